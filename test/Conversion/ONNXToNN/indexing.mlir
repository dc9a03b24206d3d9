// RUN: kiln-opt --convert-onnx-to-nn %s | FileCheck %s

// Negative axis normalized.
// CHECK-LABEL: func @gather_elements
// CHECK: nn.gather_elements %arg0[%arg1] {axis = 0 : i64} : (tensor<3x3xf32>, tensor<2x3xi64>) -> tensor<2x3xf32>
func.func @gather_elements(%d: tensor<3x3xf32>, %i: tensor<2x3xi64>) -> tensor<2x3xf32> {
  %y = "onnx.GatherElements"(%d, %i) {axis = -2 : i64} : (tensor<3x3xf32>, tensor<2x3xi64>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// CHECK-LABEL: func @scatter_elements
// CHECK: nn.scatter_elements %arg0[%arg1], %arg2 {axis = 1 : i64, reduction = "max"}
func.func @scatter_elements(%d: tensor<1x5xf32>, %i: tensor<1x2xi64>, %u: tensor<1x2xf32>) -> tensor<1x5xf32> {
  %y = "onnx.ScatterElements"(%d, %i, %u) {axis = -1 : i64, reduction = "max"} : (tensor<1x5xf32>, tensor<1x2xi64>, tensor<1x2xf32>) -> tensor<1x5xf32>
  return %y : tensor<1x5xf32>
}

// CHECK-LABEL: func @gather_nd
// CHECK: nn.gather_nd %arg0[%arg1] {batch_dims = 1 : i64} : (tensor<2x2x2xi32>, tensor<2x1xi64>) -> tensor<2x2xi32>
func.func @gather_nd(%d: tensor<2x2x2xi32>, %i: tensor<2x1xi64>) -> tensor<2x2xi32> {
  %y = "onnx.GatherND"(%d, %i) {batch_dims = 1 : i64} : (tensor<2x2x2xi32>, tensor<2x1xi64>) -> tensor<2x2xi32>
  return %y : tensor<2x2xi32>
}

// CHECK-LABEL: func @scatter_nd
// CHECK: nn.scatter_nd %arg0[%arg1], %arg2 {reduction = "mul"}
func.func @scatter_nd(%d: tensor<4x4x4xf32>, %i: tensor<2x1xi64>, %u: tensor<2x4x4xf32>) -> tensor<4x4x4xf32> {
  %y = "onnx.ScatterND"(%d, %i, %u) {reduction = "mul"} : (tensor<4x4x4xf32>, tensor<2x1xi64>, tensor<2x4x4xf32>) -> tensor<4x4x4xf32>
  return %y : tensor<4x4x4xf32>
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

// CHECK-LABEL: func @one_hot
// CHECK: nn.one_hot %arg0, %arg1, %arg2 {axis = 1 : i64} : (tensor<2x2xf32>, tensor<f32>, tensor<2xf32>) -> tensor<2x?x2xf32>
func.func @one_hot(%i: tensor<2x2xf32>, %d: tensor<f32>, %v: tensor<2xf32>) -> tensor<2x?x2xf32> {
  %y = "onnx.OneHot"(%i, %d, %v) {axis = -2 : i64} : (tensor<2x2xf32>, tensor<f32>, tensor<2xf32>) -> tensor<2x?x2xf32>
  return %y : tensor<2x?x2xf32>
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

// CHECK-LABEL: func @compress_axis
// CHECK: nn.compress %arg0, %arg1 {axis = 0 : i64} : (tensor<3x2xf32>, tensor<3xi1>) -> tensor<?x2xf32>
func.func @compress_axis(%x: tensor<3x2xf32>, %c: tensor<3xi1>) -> tensor<?x2xf32> {
  %y = "onnx.Compress"(%x, %c) {axis = -2 : i64} : (tensor<3x2xf32>, tensor<3xi1>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// Without axis the input is flattened first.
// CHECK-LABEL: func @compress_flat
// CHECK: %[[F:.*]] = nn.reshape %arg0 : (tensor<3x2xf32>) -> tensor<6xf32>
// CHECK: nn.compress %[[F]], %arg1 {axis = 0 : i64} : (tensor<6xf32>, tensor<5xi1>) -> tensor<?xf32>
func.func @compress_flat(%x: tensor<3x2xf32>, %c: tensor<5xi1>) -> tensor<?xf32> {
  %y = "onnx.Compress"(%x, %c) : (tensor<3x2xf32>, tensor<5xi1>) -> tensor<?xf32>
  return %y : tensor<?xf32>
}

// CHECK-LABEL: func @reverse_sequence
// CHECK: nn.reverse_sequence %arg0, %arg1 {batch_axis = 0 : i64, time_axis = 1 : i64}
func.func @reverse_sequence(%x: tensor<4x4xf32>, %l: tensor<4xi64>) -> tensor<4x4xf32> {
  %y = "onnx.ReverseSequence"(%x, %l) {batch_axis = 0 : i64, time_axis = 1 : i64} : (tensor<4x4xf32>, tensor<4xi64>) -> tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}
