// RUN: kiln-opt --split-input-file --verify-diagnostics --onnx-shape-inference %s | FileCheck %s

// Shape inference of convolution and pooling (lib/Dialect/ONNX/ConvPool.cpp).

// CHECK-LABEL: func.func @conv_pool
// CHECK: "onnx.Conv"{{.*}} -> tensor<?x4x4x4xf32>
// CHECK: "onnx.ConvTranspose"{{.*}} -> tensor<?x2x17x17xf32>
// CHECK: "onnx.MaxPool"{{.*}} -> tensor<?x3x4x4xf32>
// CHECK: "onnx.AveragePool"{{.*}} -> tensor<?x3x3x3xf32>
// CHECK: "onnx.GlobalAveragePool"{{.*}} -> tensor<?x3x1x1xf32>
func.func @conv_pool(%x: tensor<?x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %wt: tensor<3x2x3x3xf32>)
    -> (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>) {
  %n = onnx.NoValue
  // (8 + 2 - 3) / 2 + 1 = 4
  %0 = "onnx.Conv"(%x, %w, %n) {pads = [1, 1, 1, 1], strides = [2, 2]}
      : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>, none) -> tensor<*xf32>
  // 2 * (8 - 1) + 3 = 17
  %1 = "onnx.ConvTranspose"(%x, %wt, %n) {strides = [2, 2]}
      : (tensor<?x3x8x8xf32>, tensor<3x2x3x3xf32>, none) -> tensor<*xf32>
  %2 = "onnx.MaxPool"(%x) {kernel_shape = [2, 2], strides = [2, 2]} : (tensor<?x3x8x8xf32>) -> tensor<*xf32>
  // ceil_mode: ceil((8 - 3) / 3) + 1 = 3 windows (floor mode: 2)
  %3 = "onnx.AveragePool"(%x) {kernel_shape = [3, 3], strides = [3, 3], ceil_mode = 1 : i64}
      : (tensor<?x3x8x8xf32>) -> tensor<*xf32>
  %4 = "onnx.GlobalAveragePool"(%x) : (tensor<?x3x8x8xf32>) -> tensor<*xf32>
  return %0, %1, %2, %3, %4 : tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>
}

// -----

func.func @auto_pad(%x: tensor<1x3x8x8xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{unknown auto_pad 'SAME'}}
  %0 = "onnx.MaxPool"(%x) {kernel_shape = [2, 2], auto_pad = "SAME"} : (tensor<1x3x8x8xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @kernel_too_large(%x: tensor<1x3x2x2xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{kernel (extent 3) is larger than the padded input (2) in spatial dimension 0}}
  %0 = "onnx.MaxPool"(%x) {kernel_shape = [3, 3]} : (tensor<1x3x2x2xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}
