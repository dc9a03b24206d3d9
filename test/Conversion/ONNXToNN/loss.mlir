// RUN: kiln-opt --convert-onnx-to-nn %s | FileCheck %s

// NegativeLogLikelihoodLoss maps to nn.nll_loss; the weight is optional.
// CHECK-LABEL: func @nll_none
// CHECK: nn.nll_loss %arg0, %arg1 {reduction = "none"} : (tensor<3x5x2xf32>, tensor<3x2xi64>) -> tensor<3x2xf32>
func.func @nll_none(%x: tensor<3x5x2xf32>, %t: tensor<3x2xi64>) -> tensor<3x2xf32> {
  %n = onnx.NoValue
  %y = "onnx.NegativeLogLikelihoodLoss"(%x, %t, %n) {reduction = "none"} : (tensor<3x5x2xf32>, tensor<3x2xi64>, none) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// The default reduction is mean, with a scalar result; ignore_index may be
// negative.
// CHECK-LABEL: func @nll_mean_weight
// CHECK: nn.nll_loss %arg0, %arg1, %arg2 {ignore_index = -1 : i64, reduction = "mean"} : (tensor<3x5xf64>, tensor<3xi32>, tensor<5xf64>) -> tensor<f64>
func.func @nll_mean_weight(%x: tensor<3x5xf64>, %t: tensor<3xi32>, %w: tensor<5xf64>) -> tensor<f64> {
  %y = "onnx.NegativeLogLikelihoodLoss"(%x, %t, %w) {ignore_index = -1 : i64} : (tensor<3x5xf64>, tensor<3xi32>, tensor<5xf64>) -> tensor<f64>
  return %y : tensor<f64>
}

// SoftmaxCrossEntropyLoss: log-softmax along axis 1, then the NLL loss;
// the optional second output is the log-softmax itself.
// CHECK-LABEL: func @sce_log_prob
// CHECK: %[[LP:.*]] = nn.softmax %arg0 {axis = 1 : i64, log} : tensor<3x5x2x7xf32>
// CHECK: %[[L:.*]] = nn.nll_loss %[[LP]], %arg1 {ignore_index = 2 : i64, reduction = "sum"} : (tensor<3x5x2x7xf32>, tensor<3x2x7xi64>) -> tensor<f32>
// CHECK: return %[[L]], %[[LP]]
func.func @sce_log_prob(%x: tensor<3x5x2x7xf32>, %t: tensor<3x2x7xi64>) -> (tensor<f32>, tensor<3x5x2x7xf32>) {
  %n = onnx.NoValue
  %y:2 = "onnx.SoftmaxCrossEntropyLoss"(%x, %t, %n) {ignore_index = 2 : i64, reduction = "sum"} : (tensor<3x5x2x7xf32>, tensor<3x2x7xi64>, none) -> (tensor<f32>, tensor<3x5x2x7xf32>)
  return %y#0, %y#1 : tensor<f32>, tensor<3x5x2x7xf32>
}

// CHECK-LABEL: func @sce_weight
// CHECK: %[[LP:.*]] = nn.softmax %arg0 {axis = 1 : i64, log} : tensor<3x5xf32>
// CHECK: nn.nll_loss %[[LP]], %arg1, %arg2 {reduction = "mean"} : (tensor<3x5xf32>, tensor<3xi64>, tensor<5xf32>) -> tensor<f32>
func.func @sce_weight(%x: tensor<3x5xf32>, %t: tensor<3xi64>, %w: tensor<5xf32>) -> tensor<f32> {
  %y = "onnx.SoftmaxCrossEntropyLoss"(%x, %t, %w) : (tensor<3x5xf32>, tensor<3xi64>, tensor<5xf32>) -> tensor<f32>
  return %y : tensor<f32>
}
