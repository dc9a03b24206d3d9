// RUN: kiln-opt --convert-onnx-to-nn %s | FileCheck %s

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

// MaxPool with its Indices output: nn.pool for the values and
// nn.pool_indices with the same geometry.
// CHECK-LABEL: func @maxpool_indices
// CHECK: nn.pool max %arg0
// CHECK: nn.pool_indices %arg0 {dilations = array<i64: 1, 1>, kernel = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, storage_order = 1 : i64, strides = array<i64: 2, 2>}
func.func @maxpool_indices(%x: tensor<1x1x4x4xf32>) -> (tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>) {
  %y, %i = "onnx.MaxPool"(%x) {kernel_shape = [2, 2], strides = [2, 2], storage_order = 1 : i64} : (tensor<1x1x4x4xf32>) -> (tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>)
  return %y, %i : tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>
}

// MaxUnpool: the indices address the default unpooled shape
// ((in - 1) * stride + kernel - pads), passed as spatial_dims; a run-time
// output_shape becomes the shape operand.
// CHECK-LABEL: func @maxunpool_shape
// CHECK: nn.max_unpool %arg0, %arg1, %arg2 {spatial_dims = array<i64: 4, 4>} : (tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>, tensor<4xi64>) -> tensor<1x1x?x?xf32>
func.func @maxunpool_shape(%x: tensor<1x1x2x2xf32>, %i: tensor<1x1x2x2xi64>, %s: tensor<4xi64>) -> tensor<1x1x?x?xf32> {
  %y = "onnx.MaxUnpool"(%x, %i, %s) {kernel_shape = [2, 2], strides = [2, 2]} : (tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>, tensor<4xi64>) -> tensor<1x1x?x?xf32>
  return %y : tensor<1x1x?x?xf32>
}
