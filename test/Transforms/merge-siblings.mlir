// RUN: kiln-opt --kiln-nn-merge-siblings --mlir-pass-statistics %s 2>%t.stats | FileCheck %s
// RUN: FileCheck %s --check-prefix=STATS < %t.stats

// STATS: kiln-nn-merge-siblings
// STATS-DAG: 3 groups-formed
// STATS-DAG: 4 siblings-merged

// Three 1x1 convs of one input with the same activation: one conv with the
// filters concatenated along F (the missing bias is zeros), then slices.
// CHECK-LABEL: func.func @conv_branches
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x4x4xf32>)
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[\[\[}}1.000000e+00]], {{\[\[}}2.000000e+00]]], {{\[\[\[}}3.000000e+00]], {{\[\[}}4.000000e+00]]], {{\[\[\[}}5.000000e+00]], {{\[\[}}6.000000e+00]]], {{\[\[\[}}7.000000e+00]], {{\[\[}}8.000000e+00]]]]> : tensor<4x2x1x1xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<[1.000000e-01, 2.000000e-01, 0.000000e+00, 3.000000e-01]> : tensor<4xf32>
// CHECK: %[[M:.*]] = nn.conv %[[X]], %[[W]], %[[B]] act relu {{.*}} -> tensor<1x4x4x4xf32>
// CHECK-NEXT: %[[S0:.*]] = nn.slice %[[M]] {offsets = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1, 1, 1>} : tensor<1x4x4x4xf32> -> tensor<1x2x4x4xf32>
// CHECK-NEXT: %[[S1:.*]] = nn.slice %[[M]] {offsets = array<i64: 0, 2, 0, 0>, strides = array<i64: 1, 1, 1, 1>} : tensor<1x4x4x4xf32> -> tensor<1x1x4x4xf32>
// CHECK-NEXT: %[[S2:.*]] = nn.slice %[[M]] {offsets = array<i64: 0, 3, 0, 0>, strides = array<i64: 1, 1, 1, 1>} : tensor<1x4x4x4xf32> -> tensor<1x1x4x4xf32>
// CHECK-NOT: nn.conv
// CHECK: return %[[S0]], %[[S1]], %[[S2]]
func.func @conv_branches(%x: tensor<1x2x4x4xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>) {
  %w0 = arith.constant dense<[[[[1.0]], [[2.0]]], [[[3.0]], [[4.0]]]]> : tensor<2x2x1x1xf32>
  %b0 = arith.constant dense<[0.1, 0.2]> : tensor<2xf32>
  %w1 = arith.constant dense<[[[[5.0]], [[6.0]]]]> : tensor<1x2x1x1xf32>
  %w2 = arith.constant dense<[[[[7.0]], [[8.0]]]]> : tensor<1x2x1x1xf32>
  %b2 = arith.constant dense<[0.3]> : tensor<1xf32>
  %c0 = nn.conv %x, %w0, %b0 act relu {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %c1 = nn.conv %x, %w1 act relu {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>) -> tensor<1x1x4x4xf32>
  %c2 = nn.conv %x, %w2, %b2 act relu {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>, tensor<1xf32>) -> tensor<1x1x4x4xf32>
  return %c0, %c1, %c2 : tensor<1x2x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>
}

// Q/K-style projections: matmuls of one lhs by constant [K, Ni] (one of them
// reshaped to [1, K, N]) concatenated along N; slices along the last dim.
// The merged [1, K, N] weight is a [K, N] constant reshaped.
// CHECK-LABEL: func.func @matmul_projections
// CHECK-SAME: (%[[X:.*]]: tensor<5x2x3xf32>)
// CHECK: %[[W2:.*]] = arith.constant dense<{{\[\[}}1.000000e+00, 2.000000e+00, 7.000000e+00], [3.000000e+00, 4.000000e+00, 8.000000e+00], [5.000000e+00, 6.000000e+00, 9.000000e+00]]> : tensor<3x3xf32>
// CHECK-NEXT: %[[W:.*]] = nn.reshape %[[W2]] : (tensor<3x3xf32>) -> tensor<1x3x3xf32>
// CHECK-NEXT: %[[B:.*]] = arith.constant dense<[0.000000e+00, 0.000000e+00, 5.000000e-01]> : tensor<3xf32>
// CHECK: %[[M:.*]] = nn.matmul %[[X]], %[[W]] bias(%[[B]] : tensor<3xf32>) : tensor<5x2x3xf32>, tensor<1x3x3xf32> -> tensor<5x2x3xf32>
// CHECK-NEXT: %[[S0:.*]] = nn.slice %[[M]] {offsets = array<i64: 0, 0, 0>, strides = array<i64: 1, 1, 1>} : tensor<5x2x3xf32> -> tensor<5x2x2xf32>
// CHECK-NEXT: %[[S1:.*]] = nn.slice %[[M]] {offsets = array<i64: 0, 0, 2>, strides = array<i64: 1, 1, 1>} : tensor<5x2x3xf32> -> tensor<5x2x1xf32>
// CHECK-NOT: nn.matmul
// CHECK: return %[[S0]], %[[S1]]
func.func @matmul_projections(%x: tensor<5x2x3xf32>) -> (tensor<5x2x2xf32>, tensor<5x2x1xf32>) {
  %w0 = arith.constant dense<[[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]]> : tensor<1x3x2xf32>
  %w1c = arith.constant dense<[[7.0], [8.0], [9.0]]> : tensor<3x1xf32>
  %w1 = nn.reshape %w1c : (tensor<3x1xf32>) -> tensor<1x3x1xf32>
  %b1 = arith.constant dense<0.5> : tensor<1xf32>
  %m0 = nn.matmul %x, %w0 : tensor<5x2x3xf32>, tensor<1x3x2xf32> -> tensor<5x2x2xf32>
  %m1 = nn.matmul %x, %w1 bias(%b1 : tensor<1xf32>) : tensor<5x2x3xf32>, tensor<1x3x1xf32> -> tensor<5x2x1xf32>
  return %m0, %m1 : tensor<5x2x2xf32>, tensor<5x2x1xf32>
}

// Negative: each conv has a would-be sibling that differs from it in one way
// that forbids merging: strides (%a, %e), pads (%b, %e), kernel size (%c,
// %b; %d, %a), the activation (%e, %f), a run-time filter (%i, %e), groups
// = 2 (%g, %h), a residual (%j, %l), another input (%k, %l).
// CHECK-LABEL: func.func @conv_refused
// CHECK-COUNT-12: nn.conv
// CHECK-NOT: nn.slice
// CHECK: return
func.func @conv_refused(%x: tensor<1x2x4x4xf32>, %y: tensor<1x2x4x4xf32>, %wr: tensor<2x2x1x1xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x2x4x4xf32>, tensor<1x2x6x6xf32>, tensor<1x2x2x2xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %w = arith.constant dense<1.0> : tensor<2x2x1x1xf32>
  %w3 = arith.constant dense<1.0> : tensor<2x2x3x3xf32>
  %wg = arith.constant dense<1.0> : tensor<2x1x1x1xf32>
  %a = nn.conv %x, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x2x2xf32>
  %b = nn.conv %x, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x6x6xf32>
  %c = nn.conv %x, %w3 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x4x4xf32>
  %d = nn.conv %x, %w3 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x2x2xf32>
  %e = nn.conv %x, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %f = nn.conv %x, %w act relu {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %g = nn.conv %x, %wg {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %h = nn.conv %x, %wg {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %i = nn.conv %x, %wr {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %j = nn.conv %x, %w residual(%y : tensor<1x2x4x4xf32>) act tanh {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %k = nn.conv %y, %w act tanh {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %l = nn.conv %x, %w act tanh {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  return %a, %c, %b, %d, %e, %f, %g, %h, %i, %j, %k, %l : tensor<1x2x2x2xf32>, tensor<1x2x4x4xf32>, tensor<1x2x6x6xf32>, tensor<1x2x2x2xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}

// Negative: each matmul has a would-be sibling that differs in one way that
// forbids merging: a run-time rhs (%a, %h), a residual (%d, %h), the
// activation (%b, %c), another lhs (%e, %b), and a merged width of 6000 over
// the cap of 4096 (%f, %g).
// CHECK-LABEL: func.func @matmul_refused
// CHECK-COUNT-8: nn.matmul
// CHECK-NOT: nn.slice
// CHECK: return
func.func @matmul_refused(%x: tensor<2x3xf32>, %y: tensor<2x3xf32>, %wr: tensor<3x4xf32>, %r: tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x3000xf32>, tensor<2x3000xf32>, tensor<2x4xf32>) {
  %w = arith.constant dense<1.0> : tensor<3x4xf32>
  %wb = arith.constant dense<1.0> : tensor<3x3000xf32>
  %a = nn.matmul %x, %wr : tensor<2x3xf32>, tensor<3x4xf32> -> tensor<2x4xf32>
  %b = nn.matmul %x, %w act relu : tensor<2x3xf32>, tensor<3x4xf32> -> tensor<2x4xf32>
  %c = nn.matmul %x, %w act gelu : tensor<2x3xf32>, tensor<3x4xf32> -> tensor<2x4xf32>
  %d = nn.matmul %x, %w residual(%r : tensor<2x4xf32>) : tensor<2x3xf32>, tensor<3x4xf32> -> tensor<2x4xf32>
  %e = nn.matmul %y, %w act relu : tensor<2x3xf32>, tensor<3x4xf32> -> tensor<2x4xf32>
  %f = nn.matmul %y, %wb : tensor<2x3xf32>, tensor<3x3000xf32> -> tensor<2x3000xf32>
  %g = nn.matmul %y, %wb : tensor<2x3xf32>, tensor<3x3000xf32> -> tensor<2x3000xf32>
  %h = nn.matmul %x, %w : tensor<2x3xf32>, tensor<3x4xf32> -> tensor<2x4xf32>
  return %a, %b, %c, %d, %e, %f, %g, %h : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x3000xf32>, tensor<2x3000xf32>, tensor<2x4xf32>
}

// A dynamic batch (and sequence) dim: the siblings still merge, the slices
// take the whole dynamic dims.
// CHECK-LABEL: func.func @dynamic_batch
// CHECK: %[[M:.*]] = nn.matmul %{{.*}}, %{{.*}} : tensor<?x?x3xf32>, tensor<3x4xf32> -> tensor<?x?x4xf32>
// CHECK-NEXT: nn.slice %[[M]] {offsets = array<i64: 0, 0, 0>, strides = array<i64: 1, 1, 1>} : tensor<?x?x4xf32> -> tensor<?x?x2xf32>
// CHECK-NEXT: nn.slice %[[M]] {offsets = array<i64: 0, 0, 2>, strides = array<i64: 1, 1, 1>} : tensor<?x?x4xf32> -> tensor<?x?x2xf32>
func.func @dynamic_batch(%x: tensor<?x?x3xf32>) -> (tensor<?x?x2xf32>, tensor<?x?x2xf32>) {
  %w0 = arith.constant dense<1.0> : tensor<3x2xf32>
  %w1 = arith.constant dense<2.0> : tensor<3x2xf32>
  %m0 = nn.matmul %x, %w0 : tensor<?x?x3xf32>, tensor<3x2xf32> -> tensor<?x?x2xf32>
  %m1 = nn.matmul %x, %w1 : tensor<?x?x3xf32>, tensor<3x2xf32> -> tensor<?x?x2xf32>
  return %m0, %m1 : tensor<?x?x2xf32>, tensor<?x?x2xf32>
}
