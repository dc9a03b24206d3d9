// RUN: kiln-opt --split-input-file --verify-diagnostics --onnx-shape-inference %s | FileCheck %s

// Shape inference of reductions and losses (lib/Dialect/ONNX/Reduction.cpp).

// CHECK-LABEL: func.func @reduce
// CHECK: "onnx.ReduceSum"{{.*}} -> tensor<2x4xf32>
// CHECK: "onnx.ReduceMax"{{.*}} -> tensor<1x1x1xf32>
// CHECK: "onnx.ArgMax"{{.*}} -> tensor<2x1x4xi64>
// CHECK: "onnx.NegativeLogLikelihoodLoss"{{.*}} -> tensor<2x4xf32>
func.func @reduce(%x: tensor<2x3x4xf32>, %t: tensor<2x4xi64>)
    -> (tensor<*xf32>, tensor<*xf32>, tensor<*xi64>, tensor<*xf32>) {
  %n = onnx.NoValue
  %axes = onnx.Constant {value = dense<[-2]> : tensor<1xi64>} : tensor<1xi64>
  %0 = "onnx.ReduceSum"(%x, %axes) {keepdims = 0 : i64} : (tensor<2x3x4xf32>, tensor<1xi64>) -> tensor<*xf32>
  // No axes: all of them.
  %1 = "onnx.ReduceMax"(%x, %n) : (tensor<2x3x4xf32>, none) -> tensor<*xf32>
  %2 = "onnx.ArgMax"(%x) {axis = 1 : i64} : (tensor<2x3x4xf32>) -> tensor<*xi64>
  // input [N, C, d1], target [N, d1]: the loss per element is [N, d1].
  %3 = "onnx.NegativeLogLikelihoodLoss"(%x, %t, %n) {reduction = "none"}
      : (tensor<2x3x4xf32>, tensor<2x4xi64>, none) -> tensor<*xf32>
  return %0, %1, %2, %3 : tensor<*xf32>, tensor<*xf32>, tensor<*xi64>, tensor<*xf32>
}

// -----

func.func @axis_range(%x: tensor<2x3x4xf32>) -> tensor<*xf32> {
  %axes = onnx.Constant {value = dense<[3]> : tensor<1xi64>} : tensor<1xi64>
  // expected-error @+1 {{axis 3 out of range for rank 3}}
  %0 = "onnx.ReduceMean"(%x, %axes) : (tensor<2x3x4xf32>, tensor<1xi64>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @loss_reduction(%x: tensor<2x3xf32>, %t: tensor<2xi64>) -> tensor<*xf32> {
  %n = onnx.NoValue
  // expected-error @+1 {{reduction must be 'none', 'sum' or 'mean', got 'max'}}
  %0 = "onnx.NegativeLogLikelihoodLoss"(%x, %t, %n) {reduction = "max"}
      : (tensor<2x3xf32>, tensor<2xi64>, none) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}
