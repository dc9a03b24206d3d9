// RUN: kiln-opt --convert-onnx-to-nn %s | FileCheck %s

// BatchNormalization with constant parameters folds into one scale and one
// shift (per channel, shaped [1, C, 1, 1]).
// CHECK-LABEL: func @batchnorm
// CHECK-DAG: %[[S:.*]] = arith.constant dense<{{\[\[\[\[}}2.000000e+00{{\]\]}}, {{\[\[}}5.000000e-01{{\]\]\]\]}}> : tensor<1x2x1x1xf32>
// CHECK-DAG: %[[T:.*]] = arith.constant dense<{{\[\[\[\[}}1.000000e+00{{\]\]}}, {{\[\[}}-1.000000e+00{{\]\]\]\]}}> : tensor<1x2x1x1xf32>
// CHECK: %[[M:.*]] = nn.binary mul %arg0, %[[S]]
// CHECK: nn.binary add %[[M]], %[[T]]
// CHECK-NOT: onnx.
func.func @batchnorm(%x: tensor<?x2x3x3xf32>) -> tensor<?x2x3x3xf32> {
  %scale = onnx.Constant {value = dense<[2.0, 1.0]> : tensor<2xf32>} : tensor<2xf32>
  %bias = onnx.Constant {value = dense<[1.0, -1.0]> : tensor<2xf32>} : tensor<2xf32>
  %mean = onnx.Constant {value = dense<[0.0, 0.0]> : tensor<2xf32>} : tensor<2xf32>
  %var = onnx.Constant {value = dense<[1.0, 4.0]> : tensor<2xf32>} : tensor<2xf32>
  %y = "onnx.BatchNormalization"(%x, %scale, %bias, %mean, %var) {epsilon = 0.0 : f32} : (tensor<?x2x3x3xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x2x3x3xf32>
  return %y : tensor<?x2x3x3xf32>
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
