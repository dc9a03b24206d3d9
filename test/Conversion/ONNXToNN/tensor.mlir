// RUN: kiln-opt --convert-onnx-to-nn %s | FileCheck %s

// Reshape to a shape known only at run time: 0 copies the input dim and -1
// is inferred from the element count, both resolved with selects.
// CHECK-LABEL: func @reshape_runtime_shape
// CHECK-DAG: %[[M1:.*]] = arith.constant -1 : index
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0 : index
// CHECK: %[[E0:.*]] = tensor.extract %arg1
// CHECK: %[[I0:.*]] = arith.index_cast %[[E0]] : i64 to index
// CHECK: %[[Z0:.*]] = arith.cmpi eq, %[[I0]], %[[ZERO]] : index
// CHECK: %[[D0:.*]] = arith.select %[[Z0]], %{{.*}}, %[[I0]] : index
// CHECK: arith.cmpi eq, %[[D0]], %[[M1]] : index
// CHECK: arith.divui
// CHECK: nn.reshape %arg0, %{{.*}} : (tensor<2x3x4xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
func.func @reshape_runtime_shape(%x: tensor<2x3x4xf32>, %s: tensor<3xi64>) -> tensor<?x?x?xf32> {
  %0 = "onnx.Reshape"(%x, %s) {allowzero = 0 : i64} : (tensor<2x3x4xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  return %0 : tensor<?x?x?xf32>
}

// Slice with run-time starts/ends/axes/steps: offsets, sizes and steps are
// computed per dim with ONNX's clamping rules (ceil-division for the size)
// and passed to nn.dynamic_slice.
// CHECK-LABEL: func @slice_runtime
// CHECK: tensor.extract %arg1
// CHECK: arith.ceildivsi
// CHECK: nn.dynamic_slice %arg0[%{{.*}}, %{{.*}}, %{{.*}}] : (tensor<20x10xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x?xf32>
func.func @slice_runtime(%x: tensor<20x10xf32>, %s: tensor<2xi64>, %e: tensor<2xi64>, %a: tensor<2xi64>, %st: tensor<2xi64>) -> tensor<?x?xf32> {
  %y = "onnx.Slice"(%x, %s, %e, %a, %st) : (tensor<20x10xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// Constant slices keep the static nn.slice.
// CHECK-LABEL: func @slice_const
// CHECK: nn.slice %arg0 {offsets = array<i64: 1, 0>, strides = array<i64: 2, 1>}
func.func @slice_const(%x: tensor<20x10xf32>) -> tensor<5x10xf32> {
  %s = onnx.Constant {value = dense<[1]> : tensor<1xi64>} : tensor<1xi64>
  %e = onnx.Constant {value = dense<[10]> : tensor<1xi64>} : tensor<1xi64>
  %a = onnx.Constant {value = dense<[0]> : tensor<1xi64>} : tensor<1xi64>
  %st = onnx.Constant {value = dense<[2]> : tensor<1xi64>} : tensor<1xi64>
  %y = "onnx.Slice"(%x, %s, %e, %a, %st) : (tensor<20x10xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<5x10xf32>
  return %y : tensor<5x10xf32>
}

// Split with a run-time split input: one nn.dynamic_slice per output.
// CHECK-LABEL: func @split_runtime
// CHECK-COUNT-2: nn.dynamic_slice %arg0
func.func @split_runtime(%x: tensor<6xf32>, %sp: tensor<2xi64>) -> (tensor<?xf32>, tensor<?xf32>) {
  %a, %b = "onnx.Split"(%x, %sp) {axis = 0 : i64} : (tensor<6xf32>, tensor<2xi64>) -> (tensor<?xf32>, tensor<?xf32>)
  return %a, %b : tensor<?xf32>, tensor<?xf32>
}

// Squeeze / Unsqueeze with run-time axes: a reshape to dims computed at
// run time.
// CHECK-LABEL: func @squeeze_runtime
// CHECK: tensor.extract %arg1
// CHECK: nn.reshape %arg0, %{{.*}} : (tensor<1x3x1x5xf32>, tensor<2xi64>) -> tensor<?x?xf32>
func.func @squeeze_runtime(%x: tensor<1x3x1x5xf32>, %a: tensor<2xi64>) -> tensor<?x?xf32> {
  %y = "onnx.Squeeze"(%x, %a) : (tensor<1x3x1x5xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// CHECK-LABEL: func @unsqueeze_runtime
// CHECK: nn.reshape %arg0, %{{.*}} : (tensor<3x5xf32>, tensor<4xi64>) -> tensor<?x?x?x?xf32>
func.func @unsqueeze_runtime(%x: tensor<3x5xf32>, %a: tensor<2xi64>) -> tensor<?x?x?x?xf32> {
  %y = "onnx.Unsqueeze"(%x, %a) : (tensor<3x5xf32>, tensor<2xi64>) -> tensor<?x?x?x?xf32>
  return %y : tensor<?x?x?x?xf32>
}

// Pad: reflect mode and run-time pads go to nn.pad_mode; constant pads in
// constant mode keep nn.pad.
// CHECK-LABEL: func @pad_reflect
// CHECK: nn.pad_mode %arg0, %{{.*}} {mode = "reflect"} : (tensor<4xf32>, tensor<2xi64>) -> tensor<6xf32>
func.func @pad_reflect(%x: tensor<4xf32>) -> tensor<6xf32> {
  %p = onnx.Constant {value = dense<[1, 1]> : tensor<2xi64>} : tensor<2xi64>
  %n = onnx.NoValue
  %y = "onnx.Pad"(%x, %p, %n, %n) {mode = "reflect"} : (tensor<4xf32>, tensor<2xi64>, none, none) -> tensor<6xf32>
  return %y : tensor<6xf32>
}

// CHECK-LABEL: func @pad_runtime
// CHECK: nn.pad_mode %arg0, %{{.*}}, %arg2 {mode = "constant"} : (tensor<1x3x4x5xf32>, tensor<8xi64>, tensor<f32>) -> tensor<?x?x?x?xf32>
func.func @pad_runtime(%x: tensor<1x3x4x5xf32>, %p: tensor<8xi64>, %v: tensor<f32>) -> tensor<?x?x?x?xf32> {
  %n = onnx.NoValue
  %y = "onnx.Pad"(%x, %p, %v, %n) {mode = "constant"} : (tensor<1x3x4x5xf32>, tensor<8xi64>, tensor<f32>, none) -> tensor<?x?x?x?xf32>
  return %y : tensor<?x?x?x?xf32>
}

// CHECK-LABEL: func @pad_const
// CHECK: nn.pad %arg0 {pads = array<i64: 1, 2>, value = 0.000000e+00 : f64}
func.func @pad_const(%x: tensor<4xf32>) -> tensor<7xf32> {
  %p = onnx.Constant {value = dense<[1, 2]> : tensor<2xi64>} : tensor<2xi64>
  %n = onnx.NoValue
  %y = "onnx.Pad"(%x, %p, %n, %n) {mode = "constant"} : (tensor<4xf32>, tensor<2xi64>, none, none) -> tensor<7xf32>
  return %y : tensor<7xf32>
}

// Size: a constant for static shapes, the product of the dims otherwise.
// CHECK-LABEL: func @size
// CHECK: arith.constant dense<24> : tensor<i64>
// CHECK: tensor.dim %arg1, %{{.*}}
// CHECK: arith.muli
// CHECK: tensor.from_elements %{{.*}} : tensor<i64>
func.func @size(%a: tensor<2x3x4xf32>, %b: tensor<?x5xf32>) -> (tensor<i64>, tensor<i64>) {
  %s = "onnx.Size"(%a) : (tensor<2x3x4xf32>) -> tensor<i64>
  %t = "onnx.Size"(%b) : (tensor<?x5xf32>) -> tensor<i64>
  return %s, %t : tensor<i64>, tensor<i64>
}

// A constant k becomes the attribute.
// CHECK-LABEL: func @trilu_const
// CHECK: nn.trilu %arg0 {k = -1 : i64, upper = false} : tensor<4x5xi64> -> tensor<4x5xi64>
func.func @trilu_const(%x: tensor<4x5xi64>) -> tensor<4x5xi64> {
  %k = "onnx.Constant"() {value = dense<-1> : tensor<i64>} : () -> tensor<i64>
  %y = "onnx.Trilu"(%x, %k) {upper = 0 : i64} : (tensor<4x5xi64>, tensor<i64>) -> tensor<4x5xi64>
  return %y : tensor<4x5xi64>
}

// A run-time k stays an operand.
// CHECK-LABEL: func @trilu_runtime
// CHECK: nn.trilu %arg0 k %arg1 : tensor<i64> {k = 0 : i64, upper = true}
func.func @trilu_runtime(%x: tensor<4x5xf32>, %k: tensor<i64>) -> tensor<4x5xf32> {
  %y = "onnx.Trilu"(%x, %k) : (tensor<4x5xf32>, tensor<i64>) -> tensor<4x5xf32>
  return %y : tensor<4x5xf32>
}

// [2,3] -> [1,2,1,3] -> broadcast [2,2,3,3] -> [4,9].
// CHECK-LABEL: func @tile_const
// CHECK: %[[R:.*]] = nn.reshape %arg0 : (tensor<2x3xf32>) -> tensor<1x2x1x3xf32>
// CHECK: %[[B:.*]] = nn.broadcast %[[R]] : (tensor<1x2x1x3xf32>) -> tensor<2x2x3x3xf32>
// CHECK: nn.reshape %[[B]] : (tensor<2x2x3x3xf32>) -> tensor<4x9xf32>
func.func @tile_const(%x: tensor<2x3xf32>) -> tensor<4x9xf32> {
  %r = "onnx.Constant"() {value = dense<[2, 3]> : tensor<2xi64>} : () -> tensor<2xi64>
  %y = "onnx.Tile"(%x, %r) : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<4x9xf32>
  return %y : tensor<4x9xf32>
}

// Run-time repeats: the broadcast and the final reshape take shape tensors.
// CHECK-LABEL: func @tile_runtime
// CHECK: tensor.extract %arg1
// CHECK: %[[S:.*]] = tensor.from_elements {{.*}} : tensor<4xi64>
// CHECK: nn.broadcast %{{.*}}, %[[S]] : (tensor<1x2x1x3xf32>, tensor<4xi64>) -> tensor<?x2x?x3xf32>
// CHECK: nn.reshape %{{.*}}, %{{.*}} : (tensor<?x2x?x3xf32>, tensor<2xi64>) -> tensor<?x?xf32>
func.func @tile_runtime(%x: tensor<2x3xf32>, %r: tensor<2xi64>) -> tensor<?x?xf32> {
  %y = "onnx.Tile"(%x, %r) : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// Ones, then the upper and lower triangle at k: the diagonal k.
// CHECK-LABEL: func @eye_like
// CHECK: %[[O:.*]] = nn.fill {value = 1.000000e+00 : f64} : () -> tensor<3x4xf64>
// CHECK: %[[U:.*]] = nn.trilu %[[O]] {k = 1 : i64, upper = true}
// CHECK: nn.trilu %[[U]] {k = 1 : i64, upper = false}
func.func @eye_like(%x: tensor<3x4xi32>) -> tensor<3x4xf64> {
  %y = "onnx.EyeLike"(%x) {dtype = 11 : i64, k = 1 : i64} : (tensor<3x4xi32>) -> tensor<3x4xf64>
  return %y : tensor<3x4xf64>
}

// CHECK-LABEL: func @depth_to_space_crd
// CHECK: nn.reshape %arg0 : (tensor<2x8x3x3xf32>) -> tensor<2x2x2x2x3x3xf32>
// CHECK: nn.transpose %{{.*}} {perm = array<i64: 0, 1, 4, 2, 5, 3>}
// CHECK: nn.reshape %{{.*}} : (tensor<2x2x3x2x3x2xf32>) -> tensor<2x2x6x6xf32>
func.func @depth_to_space_crd(%x: tensor<2x8x3x3xf32>) -> tensor<2x2x6x6xf32> {
  %y = "onnx.DepthToSpace"(%x) {blocksize = 2 : i64, mode = "CRD"} : (tensor<2x8x3x3xf32>) -> tensor<2x2x6x6xf32>
  return %y : tensor<2x2x6x6xf32>
}

// CHECK-LABEL: func @depth_to_space_dcr
// CHECK: nn.transpose %{{.*}} {perm = array<i64: 0, 3, 4, 1, 5, 2>}
func.func @depth_to_space_dcr(%x: tensor<2x8x3x3xf32>) -> tensor<2x2x6x6xf32> {
  %y = "onnx.DepthToSpace"(%x) {blocksize = 2 : i64} : (tensor<2x8x3x3xf32>) -> tensor<2x2x6x6xf32>
  return %y : tensor<2x2x6x6xf32>
}

// CHECK-LABEL: func @space_to_depth
// CHECK: nn.reshape %arg0 : (tensor<2x2x6x6xf32>) -> tensor<2x2x3x2x3x2xf32>
// CHECK: nn.transpose %{{.*}} {perm = array<i64: 0, 3, 5, 1, 2, 4>}
// CHECK: nn.reshape %{{.*}} : (tensor<2x2x2x2x3x3xf32>) -> tensor<2x8x3x3xf32>
func.func @space_to_depth(%x: tensor<2x2x6x6xf32>) -> tensor<2x8x3x3xf32> {
  %y = "onnx.SpaceToDepth"(%x) {blocksize = 2 : i64} : (tensor<2x2x6x6xf32>) -> tensor<2x8x3x3xf32>
  return %y : tensor<2x8x3x3xf32>
}
