// RUN: kiln-opt --convert-onnx-to-nn %s | FileCheck %s

// SAME_UPPER auto_pad is resolved into explicit pads.
// CHECK-LABEL: func @conv_same
// CHECK: nn.conv %arg0, %{{.*}} {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 1, 1>, strides = array<i64: 2, 2>}
func.func @conv_same(%x: tensor<1x1x5x5xf32>) -> tensor<1x1x3x3xf32> {
  %w = onnx.Constant {value = dense<1.0> : tensor<1x1x2x2xf32>} : tensor<1x1x2x2xf32>
  %n = onnx.NoValue
  %y = "onnx.Conv"(%x, %w, %n) {auto_pad = "SAME_UPPER", strides = [2, 2]} : (tensor<1x1x5x5xf32>, tensor<1x1x2x2xf32>, none) -> tensor<1x1x3x3xf32>
  return %y : tensor<1x1x3x3xf32>
}

// MaxPool with ceil_mode: the extra window is expressed as extra end padding,
// the ONNX pads are kept separately (explicit_pads).
// CHECK-LABEL: func @maxpool_ceil
// CHECK: nn.pool max %arg0 {count_include_pad = false, dilations = array<i64: 1, 1>, explicit_pads = array<i64: 0, 0, 0, 0>, kernel = array<i64: 2, 2>, pads = array<i64: 0, 0, 1, 1>, strides = array<i64: 2, 2>}
func.func @maxpool_ceil(%x: tensor<1x1x5x5xf32>) -> tensor<1x1x3x3xf32> {
  %y = "onnx.MaxPool"(%x) {kernel_shape = [2, 2], strides = [2, 2], ceil_mode = 1 : i64} : (tensor<1x1x5x5xf32>) -> tensor<1x1x3x3xf32>
  return %y : tensor<1x1x3x3xf32>
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
