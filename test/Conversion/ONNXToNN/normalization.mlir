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

// LayerNormalization with its Mean / InvStdDev outputs: decomposed into
// nn.reduce mean (keepdims) and elementwise ops.
// CHECK-LABEL: func @layer_norm_stats
// CHECK: %[[M:.*]] = nn.reduce mean %arg0 {axes = array<i64: 1, 2>, keepdims = true} : tensor<2x3x5xf32> -> tensor<2x1x1xf32>
// CHECK: nn.binary sub
// CHECK: nn.reduce mean
// CHECK: nn.unary sqrt
// CHECK: %[[I:.*]] = nn.unary reciprocal
// CHECK: return %{{.*}}, %[[M]], %[[I]]
func.func @layer_norm_stats(%x: tensor<2x3x5xf32>, %s: tensor<3x5xf32>, %b: tensor<3x5xf32>) -> (tensor<2x3x5xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>) {
  %y, %m, %i = "onnx.LayerNormalization"(%x, %s, %b) {axis = -2 : i64} : (tensor<2x3x5xf32>, tensor<3x5xf32>, tensor<3x5xf32>) -> (tensor<2x3x5xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>)
  return %y, %m, %i : tensor<2x3x5xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>
}

// BatchNormalization, training_mode = 1: batch statistics over dims 0, 2, 3
// and running statistics blended with momentum.
// CHECK-LABEL: func @bn_training
// CHECK: nn.reduce mean %arg0 {axes = array<i64: 0, 2, 3>, keepdims = true} : tensor<2x3x4x5xf32> -> tensor<1x3x1x1xf32>
// CHECK: nn.reduce mean {{.*}}axes = array<i64: 0, 2, 3>
// CHECK: nn.unary sqrt
// CHECK: nn.binary div
// CHECK: arith.constant dense<0.899999976> : tensor<1xf32>
// CHECK: nn.binary mul %arg3
// CHECK: return {{.*}} : tensor<2x3x4x5xf32>, tensor<3xf32>, tensor<3xf32>
func.func @bn_training(%x: tensor<2x3x4x5xf32>, %s: tensor<3xf32>, %b: tensor<3xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>) -> (tensor<2x3x4x5xf32>, tensor<3xf32>, tensor<3xf32>) {
  %y, %rm, %rv = "onnx.BatchNormalization"(%x, %s, %b, %m, %v) {training_mode = 1 : i64} : (tensor<2x3x4x5xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<2x3x4x5xf32>, tensor<3xf32>, tensor<3xf32>)
  return %y, %rm, %rv : tensor<2x3x4x5xf32>, tensor<3xf32>, tensor<3xf32>
}

// InstanceNormalization: statistics over the spatial dims per (n, c).
// CHECK-LABEL: func @instance_norm
// CHECK: nn.reduce mean %arg0 {axes = array<i64: 2, 3>, keepdims = true} : tensor<1x2x1x3xf32> -> tensor<1x2x1x1xf32>
// CHECK: nn.reshape %arg1 : (tensor<2xf32>) -> tensor<1x2x1x1xf32>
func.func @instance_norm(%x: tensor<1x2x1x3xf32>, %s: tensor<2xf32>, %b: tensor<2xf32>) -> tensor<1x2x1x3xf32> {
  %y = "onnx.InstanceNormalization"(%x, %s, %b) {epsilon = 0.01 : f32} : (tensor<1x2x1x3xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x1x3xf32>
  return %y : tensor<1x2x1x3xf32>
}

// MeanVarianceNormalization: default axes [0, 2, 3], E[X^2] - E[X]^2.
// CHECK-LABEL: func @mvn
// CHECK: nn.reduce mean %arg0 {axes = array<i64: 0, 2, 3>, keepdims = true}
// CHECK: nn.binary mul %arg0, %arg0
// CHECK: nn.reduce mean
// CHECK: nn.unary sqrt
func.func @mvn(%x: tensor<3x3x3x1xf32>) -> tensor<3x3x3x1xf32> {
  %y = "onnx.MeanVarianceNormalization"(%x) : (tensor<3x3x3x1xf32>) -> tensor<3x3x3x1xf32>
  return %y : tensor<3x3x3x1xf32>
}

// LRN: channel-window sum of squares as an average pool over [N, 1, C, H*W]
// with size x 1 windows padded (size - 1) / 2 before, the rest after.
// CHECK-LABEL: func @lrn
// CHECK: nn.pool avg {{.*}} {count_include_pad = true, dilations = array<i64: 1, 1>, explicit_pads = array<i64: 1, 0, 2, 0>, kernel = array<i64: 4, 1>, pads = array<i64: 1, 0, 2, 0>, strides = array<i64: 1, 1>} : tensor<2x1x5x12xf32> -> tensor<2x1x5x12xf32>
// CHECK: nn.binary pow
// CHECK: nn.binary div %arg0
func.func @lrn(%x: tensor<2x5x3x4xf32>) -> tensor<2x5x3x4xf32> {
  %y = "onnx.LRN"(%x) {size = 4 : i64} : (tensor<2x5x3x4xf32>) -> tensor<2x5x3x4xf32>
  return %y : tensor<2x5x3x4xf32>
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

// GroupNormalization: statistics over [N, G, C / G * spatial], then
// per-channel scale and bias.
// CHECK-LABEL: func @group_norm
// CHECK: nn.reshape %arg0 : (tensor<3x4x2x2xf32>) -> tensor<3x2x8xf32>
// CHECK: nn.reduce mean {{.*}}axes = array<i64: 2>, keepdims = true} : tensor<3x2x8xf32> -> tensor<3x2x1xf32>
// CHECK: nn.reshape %arg1 : (tensor<4xf32>) -> tensor<1x4x1x1xf32>
func.func @group_norm(%x: tensor<3x4x2x2xf32>, %s: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<3x4x2x2xf32> {
  %y = "onnx.GroupNormalization"(%x, %s, %b) {num_groups = 2 : i64} : (tensor<3x4x2x2xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<3x4x2x2xf32>
  return %y : tensor<3x4x2x2xf32>
}
