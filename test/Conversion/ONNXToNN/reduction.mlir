// RUN: kiln-opt --convert-onnx-to-nn %s | FileCheck %s

// New reduction kinds map onto nn.reduce with constant, sorted, normalized axes.
// CHECK-LABEL: func @reduce_kinds
// CHECK: nn.reduce l1 %arg0 {axes = array<i64: 1>, keepdims = true} : tensor<3x2x2xf32> -> tensor<3x1x2xf32>
// CHECK: nn.reduce l2 %arg0 {axes = array<i64: 1, 2>, keepdims = false} : tensor<3x2x2xf32> -> tensor<3xf32>
// CHECK: nn.reduce log_sum %arg0 {axes = array<i64: 0, 1, 2>, keepdims = true} : tensor<3x2x2xf32> -> tensor<1x1x1xf32>
// CHECK: nn.reduce log_sum_exp %arg0 {axes = array<i64: 2>, keepdims = true} : tensor<3x2x2xf32> -> tensor<3x2x1xf32>
// CHECK: nn.reduce sum_square %arg0 {axes = array<i64: 0>, keepdims = false} : tensor<3x2x2xf32> -> tensor<2x2xf32>
func.func @reduce_kinds(%x: tensor<3x2x2xf32>) -> (tensor<3x1x2xf32>, tensor<3xf32>, tensor<1x1x1xf32>, tensor<3x2x1xf32>, tensor<2x2xf32>) {
  %n = onnx.NoValue
  %a1 = onnx.Constant {value = dense<[-2]> : tensor<1xi64>} : tensor<1xi64>
  %a12 = onnx.Constant {value = dense<[2, 1]> : tensor<2xi64>} : tensor<2xi64>
  %a2 = onnx.Constant {value = dense<[-1]> : tensor<1xi64>} : tensor<1xi64>
  %a0 = onnx.Constant {value = dense<[0]> : tensor<1xi64>} : tensor<1xi64>
  %0 = "onnx.ReduceL1"(%x, %a1) : (tensor<3x2x2xf32>, tensor<1xi64>) -> tensor<3x1x2xf32>
  %1 = "onnx.ReduceL2"(%x, %a12) {keepdims = 0 : i64} : (tensor<3x2x2xf32>, tensor<2xi64>) -> tensor<3xf32>
  %2 = "onnx.ReduceLogSum"(%x, %n) : (tensor<3x2x2xf32>, none) -> tensor<1x1x1xf32>
  %3 = "onnx.ReduceLogSumExp"(%x, %a2) : (tensor<3x2x2xf32>, tensor<1xi64>) -> tensor<3x2x1xf32>
  %4 = "onnx.ReduceSumSquare"(%x, %a0) {keepdims = 0 : i64} : (tensor<3x2x2xf32>, tensor<1xi64>) -> tensor<2x2xf32>
  return %0, %1, %2, %3, %4 : tensor<3x1x2xf32>, tensor<3xf32>, tensor<1x1x1xf32>, tensor<3x2x1xf32>, tensor<2x2xf32>
}

// An axes input whose static shape is [0] is empty: with
// noop_with_empty_axes = 1 the reduction is the identity, otherwise it
// reduces every axis.
// CHECK-LABEL: func @reduce_empty_axes_input
// CHECK-NOT: nn.reduce sum %arg0 {axes = array<i64: 0, 1, 2>, keepdims = true} : tensor<3x2x2xf32> -> tensor<3x2x2xf32>
// CHECK: nn.reduce sum %arg0 {axes = array<i64: 0, 1, 2>, keepdims = true} : tensor<3x2x2xf32> -> tensor<1x1x1xf32>
// CHECK: return %arg0, %{{.*}} : tensor<3x2x2xf32>, tensor<1x1x1xf32>
func.func @reduce_empty_axes_input(%x: tensor<3x2x2xf32>, %axes: tensor<0xi64>) -> (tensor<3x2x2xf32>, tensor<1x1x1xf32>) {
  %0 = "onnx.ReduceSum"(%x, %axes) {noop_with_empty_axes = 1 : i64} : (tensor<3x2x2xf32>, tensor<0xi64>) -> tensor<3x2x2xf32>
  %1 = "onnx.ReduceSum"(%x, %axes) : (tensor<3x2x2xf32>, tensor<0xi64>) -> tensor<1x1x1xf32>
  return %0, %1 : tensor<3x2x2xf32>, tensor<1x1x1xf32>
}

// Axes known only at run time: nn.reduce_axes; the dims that may be
// reduced become dynamic (a static 1 stays 1).
// CHECK-LABEL: func @reduce_runtime_axes
// CHECK: nn.reduce_axes sum %arg0, %arg1 {keepdims = true, noop_with_empty_axes = false} : (tensor<3x1x2xf32>, tensor<1xi64>) -> tensor<?x1x?xf32>
// CHECK: nn.reduce_axes max %arg0, %arg1 {keepdims = false, noop_with_empty_axes = false} : (tensor<3x1x2xf32>, tensor<1xi64>) -> tensor<?x?xf32>
func.func @reduce_runtime_axes(%x: tensor<3x1x2xf32>, %a: tensor<1xi64>) -> (tensor<?x1x?xf32>, tensor<?x?xf32>) {
  %0 = "onnx.ReduceSum"(%x, %a) : (tensor<3x1x2xf32>, tensor<1xi64>) -> tensor<?x1x?xf32>
  %1 = "onnx.ReduceMax"(%x, %a) {keepdims = 0 : i64} : (tensor<3x1x2xf32>, tensor<1xi64>) -> tensor<?x?xf32>
  return %0, %1 : tensor<?x1x?xf32>, tensor<?x?xf32>
}
