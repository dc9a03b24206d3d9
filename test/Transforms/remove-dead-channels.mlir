// RUN: kiln-opt --kiln-nn-remove-dead-channels --mlir-pass-statistics %s 2>%t.stats | FileCheck %s
// RUN: FileCheck %s --check-prefix=STATS < %t.stats
// The verifier must accept every rewritten function (shapes consistent).
// RUN: kiln-opt --kiln-nn-remove-dead-channels --kiln-nn-to-linalg %s -o /dev/null

// STATS: kiln-nn-remove-dead-channels
// STATS-DAG: 14 channels-removed
// STATS-DAG: 12 groups-removed

// Two zero filter rows whose relu(bias) is 0 (bias 0 and -1): removed from
// the producer, the relu and the 3x3 consumer's columns (padding is fine
// for the constant 0).
// CHECK-LABEL: func.func @zero_rows
// CHECK-DAG: %[[W1:.*]] = arith.constant dense<{{\[\[\[\[}}2.500000e-01]], {{\[\[}}-5.000000e-01]]], {{\[\[\[}}2.500000e-01]], {{\[\[}}5.000000e-01]]]]> : tensor<2x2x1x1xf32>
// CHECK-DAG: %[[B1:.*]] = arith.constant dense<[5.000000e-01, 2.500000e-01]> : tensor<2xf32>
// CHECK: %[[C1:.*]] = nn.conv %{{.*}}, %[[W1]], %[[B1]] {{.*}} -> tensor<1x2x4x4xf32>
// CHECK: %[[R:.*]] = nn.unary relu %[[C1]] {{.*}} -> tensor<1x2x4x4xf32>
// CHECK: nn.conv %[[R]], %{{.*}} : (tensor<1x2x4x4xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x4x4xf32>
func.func @zero_rows(%x: tensor<1x2x4x4xf32>) -> tensor<1x3x4x4xf32> {
  %w1 = arith.constant dense<[[[[0.25]], [[-0.5]]], [[[0.0]], [[0.0]]], [[[0.0]], [[0.0]]], [[[0.25]], [[0.5]]]]> : tensor<4x2x1x1xf32>
  %b1 = arith.constant dense<[0.5, 0.0, -1.0, 0.25]> : tensor<4xf32>
  %w2 = arith.constant dense<0.5> : tensor<3x4x3x3xf32>
  %c1 = nn.conv %x, %w1, %b1 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<4x2x1x1xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  %r = nn.unary relu %c1 : tensor<1x4x4x4xf32> -> tensor<1x4x4x4xf32>
  %c2 = nn.conv %r, %w2 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<3x4x3x3xf32>) -> tensor<1x3x4x4xf32>
  return %c2 : tensor<1x3x4x4xf32>
}

// Channel 1 is relu(2) = 2 everywhere: a 1x1 consumer takes 2 * w2[:, 1]
// into its bias (0 -> [2, -0.5, -2]).
// CHECK-LABEL: func.func @constant_absorbed
// CHECK-DAG: %[[B2:.*]] = arith.constant dense<[2.000000e+00, -5.000000e-01, -2.000000e+00]> : tensor<3xf32>
// CHECK-DAG: %[[W2:.*]] = arith.constant dense<{{\[\[\[\[}}0.000000e+00]], {{\[\[}}1.000000e+00]]], {{\[\[\[}}-5.000000e-01]], {{\[\[}}-2.500000e-01]]], {{\[\[\[}}0.000000e+00]], {{\[\[}}0.000000e+00]]]]> : tensor<3x2x1x1xf32>
// CHECK: nn.conv %{{.*}}, %[[W2]], %[[B2]] {{.*}} : (tensor<1x2x4x4xf32>, tensor<3x2x1x1xf32>, tensor<3xf32>) -> tensor<1x3x4x4xf32>
func.func @constant_absorbed(%x: tensor<1x2x4x4xf32>) -> tensor<1x3x4x4xf32> {
  %w1 = arith.constant dense<[[[[0.25]], [[-0.5]]], [[[0.0]], [[0.0]]], [[[0.0]], [[0.0]]], [[[0.25]], [[0.5]]]]> : tensor<4x2x1x1xf32>
  %b1 = arith.constant dense<[0.5, 2.0, -1.0, 0.25]> : tensor<4xf32>
  %w2 = arith.constant dense<[[[[0.0]], [[1.0]], [[-0.75]], [[1.0]]], [[[-0.5]], [[-0.25]], [[0.75]], [[-0.25]]], [[[0.0]], [[-1.0]], [[0.5]], [[0.0]]]]> : tensor<3x4x1x1xf32>
  %b2 = arith.constant dense<0.0> : tensor<3xf32>
  %c1 = nn.conv %x, %w1, %b1 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<4x2x1x1xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  %r = nn.unary relu %c1 : tensor<1x4x4x4xf32> -> tensor<1x4x4x4xf32>
  %c2 = nn.conv %r, %w2, %b2 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<3x4x1x1xf32>, tensor<3xf32>) -> tensor<1x3x4x4xf32>
  return %c2 : tensor<1x3x4x4xf32>
}

// The constant 2 into a padded 3x3 conv would differ at the borders: that
// channel stays, the zero one goes.
// CHECK-LABEL: func.func @constant_into_padded_conv
// CHECK: nn.conv %{{.*}} -> tensor<1x3x4x4xf32>
// CHECK: nn.conv %{{.*}} : (tensor<1x3x4x4xf32>, tensor<3x3x3x3xf32>) -> tensor<1x3x4x4xf32>
func.func @constant_into_padded_conv(%x: tensor<1x2x4x4xf32>) -> tensor<1x3x4x4xf32> {
  %w1 = arith.constant dense<[[[[0.25]], [[-0.5]]], [[[0.0]], [[0.0]]], [[[0.0]], [[0.0]]], [[[0.25]], [[0.5]]]]> : tensor<4x2x1x1xf32>
  %b1 = arith.constant dense<[0.5, 2.0, -1.0, 0.25]> : tensor<4xf32>
  %w2 = arith.constant dense<0.5> : tensor<3x4x3x3xf32>
  %c1 = nn.conv %x, %w1, %b1 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<4x2x1x1xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  %r = nn.unary relu %c1 : tensor<1x4x4x4xf32> -> tensor<1x4x4x4xf32>
  %c2 = nn.conv %r, %w2 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<3x4x3x3xf32>) -> tensor<1x3x4x4xf32>
  return %c2 : tensor<1x3x4x4xf32>
}

// A residual add: channel 2 is dead in both branches (removed from both
// convs), channel 1 only in %a (kept).
// CHECK-LABEL: func.func @residual
// CHECK: %[[A:.*]] = nn.conv {{.*}} -> tensor<1x3x4x4xf32>
// CHECK: %[[B:.*]] = nn.conv {{.*}} -> tensor<1x3x4x4xf32>
// CHECK: nn.binary add %[[A]], %[[B]] : tensor<1x3x4x4xf32>, tensor<1x3x4x4xf32> -> tensor<1x3x4x4xf32>
// CHECK: nn.conv {{.*}} : (tensor<1x3x4x4xf32>, tensor<3x3x1x1xf32>) -> tensor<1x3x4x4xf32>
func.func @residual(%x: tensor<1x2x4x4xf32>) -> tensor<1x3x4x4xf32> {
  %wa = arith.constant dense<[[[[0.25]], [[-0.5]]], [[[0.0]], [[0.0]]], [[[0.0]], [[0.0]]], [[[0.25]], [[0.5]]]]> : tensor<4x2x1x1xf32>
  %wb = arith.constant dense<[[[[0.25]], [[-0.5]]], [[[1.0]], [[0.0]]], [[[0.0]], [[0.0]]], [[[0.25]], [[0.5]]]]> : tensor<4x2x1x1xf32>
  %w2 = arith.constant dense<0.5> : tensor<3x4x1x1xf32>
  %a = nn.conv %x, %wa {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<4x2x1x1xf32>) -> tensor<1x4x4x4xf32>
  %b = nn.conv %x, %wb {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<4x2x1x1xf32>) -> tensor<1x4x4x4xf32>
  %s = nn.binary add %a, %b : tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32> -> tensor<1x4x4x4xf32>
  %r = nn.unary relu %s : tensor<1x4x4x4xf32> -> tensor<1x4x4x4xf32>
  %c2 = nn.conv %r, %w2 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<3x4x1x1xf32>) -> tensor<1x3x4x4xf32>
  return %c2 : tensor<1x3x4x4xf32>
}

// Concat along the channels: a dead channel of each input, at its offset.
// CHECK-LABEL: func.func @concat
// CHECK: %[[A:.*]] = nn.conv {{.*}} -> tensor<1x1x4x4xf32>
// CHECK: %[[B:.*]] = nn.conv {{.*}} -> tensor<1x2x4x4xf32>
// CHECK: nn.concat %[[A]], %[[B]] {axis = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x3x4x4xf32>
// CHECK: nn.conv {{.*}} : (tensor<1x3x4x4xf32>, tensor<3x3x1x1xf32>) -> tensor<1x3x4x4xf32>
func.func @concat(%x: tensor<1x2x4x4xf32>) -> tensor<1x3x4x4xf32> {
  %wa = arith.constant dense<[[[[0.25]], [[-0.5]]], [[[0.0]], [[0.0]]]]> : tensor<2x2x1x1xf32>
  %wb = arith.constant dense<[[[[0.0]], [[0.0]]], [[[0.25]], [[0.5]]], [[[1.0]], [[0.5]]]]> : tensor<3x2x1x1xf32>
  %w2 = arith.constant dense<0.5> : tensor<3x5x1x1xf32>
  %a = nn.conv %x, %wa {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %b = nn.conv %x, %wb {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<3x2x1x1xf32>) -> tensor<1x3x4x4xf32>
  %cat = nn.concat %a, %b {axis = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<1x3x4x4xf32>) -> tensor<1x5x4x4xf32>
  %r = nn.unary relu %cat : tensor<1x5x4x4xf32> -> tensor<1x5x4x4xf32>
  %c2 = nn.conv %r, %w2 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x5x4x4xf32>, tensor<3x5x1x1xf32>) -> tensor<1x3x4x4xf32>
  return %c2 : tensor<1x3x4x4xf32>
}

// Through a padded depthwise conv: its input channel 1 is 0, so its output
// channel 1 is relu(0.5) = 0.5 everywhere, taken into the 1x1 consumer's
// bias (0.5 * w3[:, 1]); groups 4 -> 3.
// CHECK-LABEL: func.func @depthwise
// CHECK: nn.conv {{.*}} -> tensor<1x3x4x4xf32>
// CHECK: nn.conv {{.*}}groups = 3 : i64{{.*}} : (tensor<1x3x4x4xf32>, tensor<3x1x3x3xf32>, tensor<3xf32>) -> tensor<1x3x4x4xf32>
// CHECK: %[[B3:.*]] = arith.constant dense<[5.000000e-01, -1.250000e-01, -5.000000e-01]> : tensor<3xf32>
// CHECK: nn.conv %{{.*}}, %{{.*}}, %[[B3]] {{.*}} : (tensor<1x3x4x4xf32>, tensor<3x3x1x1xf32>, tensor<3xf32>) -> tensor<1x3x4x4xf32>
func.func @depthwise(%x: tensor<1x2x4x4xf32>) -> tensor<1x3x4x4xf32> {
  %w1 = arith.constant dense<[[[[0.25]], [[-0.5]]], [[[0.0]], [[0.0]]], [[[1.0]], [[0.5]]], [[[0.25]], [[0.5]]]]> : tensor<4x2x1x1xf32>
  %wd = arith.constant dense<0.25> : tensor<4x1x3x3xf32>
  %bd = arith.constant dense<[0.0, 0.5, 0.0, 0.0]> : tensor<4xf32>
  %w3 = arith.constant dense<[[[[0.0]], [[1.0]], [[-0.75]], [[1.0]]], [[[-0.5]], [[-0.25]], [[0.75]], [[-0.25]]], [[[0.0]], [[-1.0]], [[0.5]], [[0.0]]]]> : tensor<3x4x1x1xf32>
  %c1 = nn.conv %x, %w1 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<4x2x1x1xf32>) -> tensor<1x4x4x4xf32>
  %d = nn.conv %c1, %wd, %bd {dilations = array<i64: 1, 1>, groups = 4 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<4x1x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  %r = nn.unary relu %d : tensor<1x4x4x4xf32> -> tensor<1x4x4x4xf32>
  %c3 = nn.conv %r, %w3 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<3x4x1x1xf32>) -> tensor<1x3x4x4xf32>
  return %c3 : tensor<1x3x4x4xf32>
}

// Flatten into a Linear layer: the dead channel is a block of 4 rows of
// the matmul's weights.
// CHECK-LABEL: func.func @flatten_linear
// CHECK: nn.conv {{.*}} -> tensor<1x2x2x2xf32>
// CHECK: nn.reshape %{{.*}} : (tensor<1x2x2x2xf32>) -> tensor<1x8xf32>
// CHECK: nn.matmul %{{.*}}, %{{.*}} : tensor<1x8xf32>, tensor<8x2xf32> -> tensor<1x2xf32>
func.func @flatten_linear(%x: tensor<1x2x2x2xf32>) -> tensor<1x2xf32> {
  %w1 = arith.constant dense<[[[[0.25]], [[-0.5]]], [[[0.0]], [[0.0]]], [[[0.25]], [[0.5]]]]> : tensor<3x2x1x1xf32>
  %wl = arith.constant dense<0.5> : tensor<12x2xf32>
  %c1 = nn.conv %x, %w1 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x2x2xf32>, tensor<3x2x1x1xf32>) -> tensor<1x3x2x2xf32>
  %r = nn.unary relu %c1 : tensor<1x3x2x2xf32> -> tensor<1x3x2x2xf32>
  %f = nn.reshape %r : (tensor<1x3x2x2xf32>) -> tensor<1x12xf32>
  %y = nn.matmul %f, %wl : tensor<1x12xf32>, tensor<12x2xf32> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// A BatchNorm shift on a zero row: relu(0 + 1.5) = 1.5, taken into the
// consumer's bias (created); the shift constant loses the channel.
// CHECK-LABEL: func.func @bn_shift
// CHECK: %[[T:.*]] = arith.constant dense<0.000000e+00> : tensor<1x3x1x1xf32>
// CHECK: nn.binary add %{{.*}}, %[[T]] : tensor<1x3x4x4xf32>, tensor<1x3x1x1xf32> -> tensor<1x3x4x4xf32>
// CHECK: %[[B2:.*]] = arith.constant dense<[1.500000e+00, -3.750000e-01, -1.500000e+00]> : tensor<3xf32>
// CHECK: nn.conv %{{.*}}, %{{.*}}, %[[B2]] {{.*}} : (tensor<1x3x4x4xf32>, tensor<3x3x1x1xf32>, tensor<3xf32>) -> tensor<1x3x4x4xf32>
func.func @bn_shift(%x: tensor<1x2x4x4xf32>) -> tensor<1x3x4x4xf32> {
  %w1 = arith.constant dense<[[[[0.25]], [[-0.5]]], [[[0.0]], [[0.0]]], [[[1.0]], [[0.5]]], [[[0.25]], [[0.5]]]]> : tensor<4x2x1x1xf32>
  %t = arith.constant dense<[[[[0.0]], [[1.5]], [[0.0]], [[0.0]]]]> : tensor<1x4x1x1xf32>
  %w2 = arith.constant dense<[[[[0.0]], [[1.0]], [[-0.75]], [[1.0]]], [[[-0.5]], [[-0.25]], [[0.75]], [[-0.25]]], [[[0.0]], [[-1.0]], [[0.5]], [[0.0]]]]> : tensor<3x4x1x1xf32>
  %c1 = nn.conv %x, %w1 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<4x2x1x1xf32>) -> tensor<1x4x4x4xf32>
  %s = nn.binary add %c1, %t : tensor<1x4x4x4xf32>, tensor<1x4x1x1xf32> -> tensor<1x4x4x4xf32>
  %r = nn.unary relu %s : tensor<1x4x4x4xf32> -> tensor<1x4x4x4xf32>
  %c2 = nn.conv %r, %w2 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<3x4x1x1xf32>) -> tensor<1x3x4x4xf32>
  return %c2 : tensor<1x3x4x4xf32>
}

// Every reader ignores channel 2 (a zero weight column): the producer
// drops it although its filter row is not zero.
// CHECK-LABEL: func.func @unobserved
// CHECK: nn.conv {{.*}} : (tensor<1x2x4x4xf32>, tensor<3x2x1x1xf32>) -> tensor<1x3x4x4xf32>
// CHECK: nn.conv {{.*}} : (tensor<1x3x4x4xf32>, tensor<2x3x1x1xf32>) -> tensor<1x2x4x4xf32>
func.func @unobserved(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w1 = arith.constant dense<0.5> : tensor<4x2x1x1xf32>
  %w2 = arith.constant dense<[[[[1.0]], [[1.0]], [[0.0]], [[1.0]]], [[[-0.5]], [[-0.25]], [[0.0]], [[-0.25]]]]> : tensor<2x4x1x1xf32>
  %c1 = nn.conv %x, %w1 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<4x2x1x1xf32>) -> tensor<1x4x4x4xf32>
  %r = nn.unary sigmoid %c1 : tensor<1x4x4x4xf32> -> tensor<1x4x4x4xf32>
  %c2 = nn.conv %r, %w2 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<2x4x1x1xf32>) -> tensor<1x2x4x4xf32>
  return %c2 : tensor<1x2x4x4xf32>
}

// Negative: a function result keeps its shape, and so does its group.
// CHECK-LABEL: func.func @returned
// CHECK: nn.conv {{.*}} -> tensor<1x4x4x4xf32>
func.func @returned(%x: tensor<1x2x4x4xf32>) -> tensor<1x4x4x4xf32> {
  %w1 = arith.constant dense<[[[[0.25]], [[-0.5]]], [[[0.0]], [[0.0]]], [[[0.0]], [[0.0]]], [[[0.25]], [[0.5]]]]> : tensor<4x2x1x1xf32>
  %c1 = nn.conv %x, %w1 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<4x2x1x1xf32>) -> tensor<1x4x4x4xf32>
  return %c1 : tensor<1x4x4x4xf32>
}

// Negative: a grouped conv (groups 2 of 4 channels) reads the channels.
// CHECK-LABEL: func.func @grouped_reader
// CHECK: nn.conv {{.*}} -> tensor<1x4x4x4xf32>
// CHECK: nn.conv {{.*}} : (tensor<1x4x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
func.func @grouped_reader(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w1 = arith.constant dense<[[[[0.25]], [[-0.5]]], [[[0.0]], [[0.0]]], [[[0.0]], [[0.0]]], [[[0.25]], [[0.5]]]]> : tensor<4x2x1x1xf32>
  %w2 = arith.constant dense<0.5> : tensor<2x2x1x1xf32>
  %c1 = nn.conv %x, %w1 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<4x2x1x1xf32>) -> tensor<1x4x4x4xf32>
  %c2 = nn.conv %c1, %w2 {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  return %c2 : tensor<1x2x4x4xf32>
}

// Negative: a sigmoid of a dead channel is 0.5, which a padded conv cannot
// take; no channel is all zero in the reader's weights.
// CHECK-LABEL: func.func @sigmoid_into_padded
// CHECK: nn.conv {{.*}} -> tensor<1x4x4x4xf32>
func.func @sigmoid_into_padded(%x: tensor<1x2x4x4xf32>) -> tensor<1x3x4x4xf32> {
  %w1 = arith.constant dense<[[[[0.25]], [[-0.5]]], [[[0.0]], [[0.0]]], [[[0.0]], [[0.0]]], [[[0.25]], [[0.5]]]]> : tensor<4x2x1x1xf32>
  %w2 = arith.constant dense<0.5> : tensor<3x4x3x3xf32>
  %c1 = nn.conv %x, %w1 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<4x2x1x1xf32>) -> tensor<1x4x4x4xf32>
  %r = nn.unary sigmoid %c1 : tensor<1x4x4x4xf32> -> tensor<1x4x4x4xf32>
  %c2 = nn.conv %r, %w2 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<3x4x3x3xf32>) -> tensor<1x3x4x4xf32>
  return %c2 : tensor<1x3x4x4xf32>
}
