// RUN: kiln-opt --kiln-nn-merge-sequential --mlir-pass-statistics %s 2>%t.stats | FileCheck %s
// RUN: FileCheck %s --check-prefix=STATS < %t.stats

// STATS: kiln-nn-merge-sequential
// STATS-DAG: 5 merged
// STATS-DAG: 2 refused-costlier

// conv A (kernel 1x2, strides [1, 2], pads, F1 = 2) then a 1x1 conv B (F2 = 1)
// with B's residual and relu: one conv with A's geometry and B's epilogue.
// W = 10 * [1, 2] + 100 * [3, 4]; b = 10 * 1 + 100 * 2 + 0.5.  FLOPs per
// pixel: 1*1*2 = 2 < 2*1*2 + 1*2 = 6.
// CHECK-LABEL: func.func @conv_then_1x1
// CHECK-SAME: (%[[X:.*]]: tensor<1x1x4x5xf32>, %[[R:.*]]: tensor<1x1x4x3xf32>)
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[\[\[}}3.100000e+02, 4.200000e+02]]]]> : tensor<1x1x1x2xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<2.105000e+02> : tensor<1xf32>
// CHECK: %[[Y:.*]] = nn.conv %[[X]], %[[W]], %[[B]] residual(%[[R]] : tensor<1x1x4x3xf32>) act relu {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 1, 0, 1>, strides = array<i64: 1, 2>}
// CHECK-NOT: nn.conv
// CHECK: return %[[Y]]
func.func @conv_then_1x1(%x: tensor<1x1x4x5xf32>, %r: tensor<1x1x4x3xf32>) -> tensor<1x1x4x3xf32> {
  %w1 = arith.constant dense<[[[[1.0, 2.0]]], [[[3.0, 4.0]]]]> : tensor<2x1x1x2xf32>
  %b1 = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %w2 = arith.constant dense<[[[[10.0]], [[100.0]]]]> : tensor<1x2x1x1xf32>
  %b2 = arith.constant dense<0.5> : tensor<1xf32>
  %a = nn.conv %x, %w1, %b1 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 1, 0, 1>, strides = array<i64: 1, 2>} : (tensor<1x1x4x5xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>) -> tensor<1x2x4x3xf32>
  %b = nn.conv %a, %w2, %b2 residual(%r : tensor<1x1x4x3xf32>) act relu {dilations = array<i64: 2, 2>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x3xf32>, tensor<1x2x1x1xf32>, tensor<1xf32>) -> tensor<1x1x4x3xf32>
  return %b : tensor<1x1x4x3xf32>
}

// matmul chain x W1 + b1 -> (.) W2 + b2 -> gelu: x (W1 W2) + (b1 W2 + b2).
// K N2 = 2 < K N1 + N1 N2 = 9.  Then a chain of three without biases, the
// middle weight reshaped to [1, N1, N2]: both steps merge.
// CHECK-LABEL: func.func @matmul_chains
// CHECK-SAME: (%[[X:.*]]: tensor<5x2xf32>, %[[X3:.*]]: tensor<3x5x2xf32>)
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[}}3.210000e+02], [6.540000e+02]]> : tensor<2x1xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<1.115000e+02> : tensor<1xf32>
// CHECK: %[[Y:.*]] = nn.matmul %[[X]], %[[W]] bias(%[[B]] : tensor<1xf32>) act gelu : tensor<5x2xf32>, tensor<2x1xf32> -> tensor<5x1xf32>
// CHECK: %[[W3C:.*]] = arith.constant dense<{{\[\[}}6.420000e+02], [1.308000e+03]]> : tensor<2x1xf32>
// CHECK: %[[W3:.*]] = nn.reshape %[[W3C]] : (tensor<2x1xf32>) -> tensor<1x2x1xf32>
// CHECK: %[[Y3:.*]] = nn.matmul %[[X3]], %[[W3]] : tensor<3x5x2xf32>, tensor<1x2x1xf32> -> tensor<3x5x1xf32>
// CHECK-NOT: nn.matmul
// CHECK: return %[[Y]], %[[Y3]]
func.func @matmul_chains(%x: tensor<5x2xf32>, %x3: tensor<3x5x2xf32>) -> (tensor<5x1xf32>, tensor<3x5x1xf32>) {
  %w1 = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %b1 = arith.constant dense<1.0> : tensor<3xf32>
  %w2 = arith.constant dense<[[1.0], [10.0], [100.0]]> : tensor<3x1xf32>
  %b2 = arith.constant dense<0.5> : tensor<1xf32>
  %m1 = nn.matmul %x, %w1 bias(%b1 : tensor<3xf32>) : tensor<5x2xf32>, tensor<2x3xf32> -> tensor<5x3xf32>
  %m2 = nn.matmul %m1, %w2 bias(%b2 : tensor<1xf32>) act gelu : tensor<5x3xf32>, tensor<3x1xf32> -> tensor<5x1xf32>
  %w2r = nn.reshape %w2 : (tensor<3x1xf32>) -> tensor<1x3x1xf32>
  %w3 = arith.constant dense<2.0> : tensor<1x1xf32>
  %n1 = nn.matmul %x3, %w1 : tensor<3x5x2xf32>, tensor<2x3xf32> -> tensor<3x5x3xf32>
  %n2 = nn.matmul %n1, %w2r : tensor<3x5x3xf32>, tensor<1x3x1xf32> -> tensor<3x5x1xf32>
  %n3 = nn.matmul %n2, %w3 : tensor<3x5x1xf32>, tensor<1x1xf32> -> tensor<3x5x1xf32>
  return %m2, %n3 : tensor<5x1xf32>, tensor<3x5x1xf32>
}

// Negative: merging would cost more FLOPs.  3x3 conv 64 -> 16 then 1x1 to
// 256: 256*64*9 = 147456 > 16*64*9 + 256*16 = 13312.  Linear 64 -> 16 ->
// 64: 64*64 = 4096 > 64*16 + 16*64 = 2048.  (The same chain with a run-time
// second weight is not a candidate at all: not counted as refused-costlier.)
// CHECK-LABEL: func.func @costlier
// CHECK-COUNT-2: nn.conv
// CHECK-COUNT-4: nn.matmul
// CHECK: return
func.func @costlier(%x: tensor<1x64x6x6xf32>, %v: tensor<4x64xf32>, %wr: tensor<16x64xf32>) -> (tensor<1x256x6x6xf32>, tensor<4x64xf32>, tensor<4x64xf32>) {
  %w1 = arith.constant dense<0.01> : tensor<16x64x3x3xf32>
  %w2 = arith.constant dense<0.02> : tensor<256x16x1x1xf32>
  %a = nn.conv %x, %w1 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x64x6x6xf32>, tensor<16x64x3x3xf32>) -> tensor<1x16x6x6xf32>
  %b = nn.conv %a, %w2 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x16x6x6xf32>, tensor<256x16x1x1xf32>) -> tensor<1x256x6x6xf32>
  %m1w = arith.constant dense<0.01> : tensor<64x16xf32>
  %m2w = arith.constant dense<0.01> : tensor<16x64xf32>
  %m1 = nn.matmul %v, %m1w : tensor<4x64xf32>, tensor<64x16xf32> -> tensor<4x16xf32>
  %m2 = nn.matmul %m1, %m2w : tensor<4x16xf32>, tensor<16x64xf32> -> tensor<4x64xf32>
  %m3 = nn.matmul %v, %m1w : tensor<4x64xf32>, tensor<64x16xf32> -> tensor<4x16xf32>
  %m4 = nn.matmul %m3, %wr : tensor<4x16xf32>, tensor<16x64xf32> -> tensor<4x64xf32>
  return %b, %m2, %m4 : tensor<1x256x6x6xf32>, tensor<4x64xf32>, tensor<4x64xf32>
}

// Negative: a relu between, an intermediate with two users, an activation on
// the first conv, a run-time filter, B with stride 2, B with pads, A with
// groups 2.
// CHECK-LABEL: func.func @conv_refused
// CHECK-COUNT-14: nn.conv
// CHECK: return
func.func @conv_refused(%x: tensor<1x4x4x4xf32>, %wr: tensor<1x4x1x1xf32>) -> (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x4x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x2x2xf32>, tensor<1x1x6x6xf32>, tensor<1x1x4x4xf32>) {
  %w1 = arith.constant dense<0.5> : tensor<4x4x1x1xf32>
  %wg = arith.constant dense<0.5> : tensor<4x2x1x1xf32>
  %w2 = arith.constant dense<2.0> : tensor<1x4x1x1xf32>
  %a0 = nn.conv %x, %w1 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x4x4xf32>
  %r0 = nn.unary relu %a0 : tensor<1x4x4x4xf32> -> tensor<1x4x4x4xf32>
  %b0 = nn.conv %r0, %w2 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<1x4x1x1xf32>) -> tensor<1x1x4x4xf32>
  %a1 = nn.conv %x, %w1 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x4x4xf32>
  %b1 = nn.conv %a1, %w2 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<1x4x1x1xf32>) -> tensor<1x1x4x4xf32>
  %a2 = nn.conv %x, %w1 act relu {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x4x4xf32>
  %b2 = nn.conv %a2, %w2 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<1x4x1x1xf32>) -> tensor<1x1x4x4xf32>
  %a3 = nn.conv %x, %w1 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x4x4xf32>
  %b3 = nn.conv %a3, %wr {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<1x4x1x1xf32>) -> tensor<1x1x4x4xf32>
  %a4 = nn.conv %x, %w1 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x4x4xf32>
  %b4 = nn.conv %a4, %w2 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x4x4x4xf32>, tensor<1x4x1x1xf32>) -> tensor<1x1x2x2xf32>
  %a5 = nn.conv %x, %w1 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x4x4xf32>
  %b5 = nn.conv %a5, %w2 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<1x4x1x1xf32>) -> tensor<1x1x6x6xf32>
  %a6 = nn.conv %x, %wg {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<4x2x1x1xf32>) -> tensor<1x4x4x4xf32>
  %b6 = nn.conv %a6, %w2 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<1x4x1x1xf32>) -> tensor<1x1x4x4xf32>
  return %b0, %b1, %a1, %b2, %b3, %b4, %b5, %b6 : tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x4x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x2x2xf32>, tensor<1x1x6x6xf32>, tensor<1x1x4x4xf32>
}

// Negative: matmuls with a run-time second weight, an activation on the
// first, and a batched (non-unit batch dim) constant weight.
// CHECK-LABEL: func.func @matmul_refused
// CHECK-COUNT-6: nn.matmul
// CHECK: return
func.func @matmul_refused(%x: tensor<2x5x4xf32>, %wr: tensor<4x1xf32>) -> (tensor<2x5x1xf32>, tensor<2x5x1xf32>, tensor<2x5x1xf32>) {
  %w1 = arith.constant dense<0.5> : tensor<4x4xf32>
  %w2 = arith.constant dense<0.5> : tensor<4x1xf32>
  %wb = arith.constant dense<0.5> : tensor<2x4x4xf32>
  %a = nn.matmul %x, %w1 : tensor<2x5x4xf32>, tensor<4x4xf32> -> tensor<2x5x4xf32>
  %b = nn.matmul %a, %wr : tensor<2x5x4xf32>, tensor<4x1xf32> -> tensor<2x5x1xf32>
  %c = nn.matmul %x, %w1 act relu : tensor<2x5x4xf32>, tensor<4x4xf32> -> tensor<2x5x4xf32>
  %d = nn.matmul %c, %w2 : tensor<2x5x4xf32>, tensor<4x1xf32> -> tensor<2x5x1xf32>
  %e = nn.matmul %x, %wb : tensor<2x5x4xf32>, tensor<2x4x4xf32> -> tensor<2x5x4xf32>
  %f = nn.matmul %e, %w2 : tensor<2x5x4xf32>, tensor<4x1xf32> -> tensor<2x5x1xf32>
  return %b, %d, %f : tensor<2x5x1xf32>, tensor<2x5x1xf32>, tensor<2x5x1xf32>
}

// A dynamic batch: the merged matmul keeps it.
// CHECK-LABEL: func.func @dynamic_batch
// CHECK: %[[Y:.*]] = nn.matmul %{{.*}}, %{{.*}} : tensor<?x7x2xf32>, tensor<2x1xf32> -> tensor<?x7x1xf32>
// CHECK-NOT: nn.matmul
// CHECK: return %[[Y]]
func.func @dynamic_batch(%x: tensor<?x7x2xf32>) -> tensor<?x7x1xf32> {
  %w1 = arith.constant dense<1.0> : tensor<2x3xf32>
  %w2 = arith.constant dense<1.0> : tensor<3x1xf32>
  %m1 = nn.matmul %x, %w1 : tensor<?x7x2xf32>, tensor<2x3xf32> -> tensor<?x7x3xf32>
  %m2 = nn.matmul %m1, %w2 : tensor<?x7x3xf32>, tensor<3x1xf32> -> tensor<?x7x1xf32>
  return %m2 : tensor<?x7x1xf32>
}

// Negative: cheaper to run merged (1024*1024 < 1024*2048 + 2048*1024 per
// row), but computing W1 W2 takes 2^31 multiply-adds, over the 2^30 cap.
// CHECK-LABEL: func.func @too_much_compile_work
// CHECK-COUNT-2: nn.matmul
func.func @too_much_compile_work(%x: tensor<1x1024xf32>) -> tensor<1x1024xf32> {
  %w1 = arith.constant dense<1.0> : tensor<1024x2048xf32>
  %w2 = arith.constant dense<1.0> : tensor<2048x1024xf32>
  %m1 = nn.matmul %x, %w1 : tensor<1x1024xf32>, tensor<1024x2048xf32> -> tensor<1x2048xf32>
  %m2 = nn.matmul %m1, %w2 : tensor<1x2048xf32>, tensor<2048x1024xf32> -> tensor<1x1024xf32>
  return %m2 : tensor<1x1024xf32>
}
