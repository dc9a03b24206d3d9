// RUN: kiln-opt --kiln-nn-fuse-epilogue --mlir-pass-statistics %s 2>%t.stats | FileCheck %s
// RUN: FileCheck %s --check-prefix=STATS < %t.stats
// RUN: kiln-opt --split-input-file --verify-diagnostics %S/Inputs/epilogue-invalid.mlir

// STATS: kiln-nn-fuse-epilogue
// STATS-DAG: 11 fused-activation
// STATS-DAG: 1 gelu-recognized
// STATS-DAG: 5 fused-bias
// STATS-DAG: 2 fused-residual

// Conv + bias add + residual add + relu: one op.
// CHECK-LABEL: func.func @conv_bias_residual_relu
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x8x8xf32>, %[[R:.*]]: tensor<1x4x8x8xf32>)
// CHECK: %[[B:.*]] = arith.constant dense<[1.500000e+00, 2.500000e+00, 3.500000e+00, 4.500000e+00]> : tensor<4xf32>
// CHECK: %[[Y:.*]] = nn.conv %[[X]], %{{.*}}, %[[B]] residual(%[[R]] : tensor<1x4x8x8xf32>) act relu {
// CHECK-NOT: nn.binary
// CHECK-NOT: nn.unary
// CHECK: return %[[Y]]
func.func @conv_bias_residual_relu(%x: tensor<1x4x8x8xf32>, %r: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %w = arith.constant dense<0.5> : tensor<4x4x3x3xf32>
  %b0 = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %b1 = arith.constant dense<0.5> : tensor<1x4x1x1xf32>
  %c = nn.conv %x, %w, %b0 {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  %a = nn.binary add %c, %b1 : tensor<1x4x8x8xf32>, tensor<1x4x1x1xf32> -> tensor<1x4x8x8xf32>
  %s = nn.binary add %r, %a : tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32>
  %y = nn.unary relu %s : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32>
  return %y : tensor<1x4x8x8xf32>
}

// Matmul + bias [1, N] + gelu; clamp (Relu6) after another matmul; SiLU.
// CHECK-LABEL: func.func @matmul_epilogues
// CHECK: nn.matmul %{{.*}}, %{{.*}} bias(%{{.*}} : tensor<3xf32>) act gelu
// CHECK: nn.matmul %{{.*}}, %{{.*}} act clip {act_alpha = 0.000000e+00 : f32, act_beta = 6.000000e+00 : f32}
// CHECK: nn.matmul %{{.*}}, %{{.*}} act silu
// CHECK-NOT: nn.unary
// CHECK-NOT: nn.clamp
// CHECK-NOT: nn.binary
func.func @matmul_epilogues(%x: tensor<2x5xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %w = arith.constant dense<0.25> : tensor<5x3xf32>
  %b = arith.constant dense<[[1.0, 2.0, 3.0]]> : tensor<1x3xf32>
  %m = nn.matmul %x, %w : tensor<2x5xf32>, tensor<5x3xf32> -> tensor<2x3xf32>
  %a = nn.binary add %b, %m : tensor<1x3xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
  %g = nn.unary gelu %a : tensor<2x3xf32> -> tensor<2x3xf32>
  %m2 = nn.matmul %x, %w : tensor<2x5xf32>, tensor<5x3xf32> -> tensor<2x3xf32>
  %c = nn.clamp %m2 {max = 6.0 : f64, min = 0.0 : f64} : tensor<2x3xf32> -> tensor<2x3xf32>
  %m3 = nn.matmul %x, %w : tensor<2x5xf32>, tensor<5x3xf32> -> tensor<2x3xf32>
  %sg = nn.unary sigmoid %m3 : tensor<2x3xf32> -> tensor<2x3xf32>
  %sl = nn.binary mul %m3, %sg : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
  return %g, %c, %sl : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}

// Negative: the conv result has a second user, so nothing may be fused.
// CHECK-LABEL: func.func @multiple_users
// CHECK: %[[C:.*]] = nn.conv
// CHECK-NOT: act 
// CHECK: nn.unary relu %[[C]]
// CHECK: return
func.func @multiple_users(%x: tensor<1x4x8x8xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) {
  %w = arith.constant dense<0.5> : tensor<4x4x1x1xf32>
  %c = nn.conv %x, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x8x8xf32>
  %y = nn.unary relu %c : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32>
  return %y, %c : tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>
}

// Negative: nothing is fused after the activation (add after relu stays), a
// bias that varies along a non-channel dim is not a bias, an unsupported
// activation (exp) and an integer conv stay apart.
// CHECK-LABEL: func.func @not_fusible
// CHECK: %[[C:.*]] = nn.conv %{{.*}}, %{{.*}} act relu {
// CHECK: nn.binary add %[[C]]
// CHECK: %[[C2:.*]] = nn.conv
// CHECK-NOT: act
// CHECK: nn.binary add %[[C2]]
// CHECK: nn.unary exp
// CHECK: nn.conv
// CHECK-NOT: act 
// CHECK: nn.unary relu
func.func @not_fusible(%x: tensor<1x4x8x8xf32>, %xi: tensor<1x4x8x8xi32>) -> (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>, tensor<1x4x8x8xi32>) {
  %w = arith.constant dense<0.5> : tensor<4x4x1x1xf32>
  %b = arith.constant dense<0.5> : tensor<1x4x1x1xf32>
  %bw = arith.constant dense<0.5> : tensor<1x1x1x8xf32>
  %c = nn.conv %x, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x8x8xf32>
  %r = nn.unary relu %c : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32>
  %a = nn.binary add %r, %b : tensor<1x4x8x8xf32>, tensor<1x4x1x1xf32> -> tensor<1x4x8x8xf32>
  %c2 = nn.conv %x, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x8x8xf32>
  %a2 = nn.binary add %c2, %bw : tensor<1x4x8x8xf32>, tensor<1x1x1x8xf32> -> tensor<1x4x8x8xf32>
  %e = nn.unary exp %a2 : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32>
  %wi = arith.constant dense<1> : tensor<4x4x1x1xi32>
  %ci = nn.conv %xi, %wi {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xi32>, tensor<4x4x1x1xi32>) -> tensor<1x4x8x8xi32>
  %ri = nn.unary relu %ci : tensor<1x4x8x8xi32> -> tensor<1x4x8x8xi32>
  return %a, %e, %ri : tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>, tensor<1x4x8x8xi32>
}

// GELU as exported (x * (erf(x / sqrt 2) + 1) * 0.5) becomes one gelu, fused
// into the matmul with its bias; Relu6 arriving as relu then clamp becomes
// one clip.
// CHECK-LABEL: func.func @gelu_and_relu6
// CHECK: nn.matmul %{{.*}}, %{{.*}} bias(%{{.*}} : tensor<3xf32>) act gelu :
// CHECK-NOT: nn.unary erf
// CHECK: nn.conv {{.*}} act clip {act_alpha = 0.000000e+00 : f32, act_beta = 6.000000e+00 : f32
// CHECK-NOT: nn.clamp
func.func @gelu_and_relu6(%x: tensor<2x5xf32>, %xc: tensor<1x4x8x8xf32>) -> (tensor<2x3xf32>, tensor<1x4x8x8xf32>) {
  %w = arith.constant dense<0.25> : tensor<5x3xf32>
  %b = arith.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %b2 = nn.reshape %b : (tensor<3xf32>) -> tensor<1x3xf32>
  %sqrt2 = arith.constant dense<1.41421354> : tensor<1x1xf32>
  %one = arith.constant dense<1.0> : tensor<1x1xf32>
  %half = arith.constant dense<0.5> : tensor<1x1xf32>
  %m = nn.matmul %x, %w : tensor<2x5xf32>, tensor<5x3xf32> -> tensor<2x3xf32>
  %a = nn.binary add %b2, %m : tensor<1x3xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
  %d = nn.binary div %a, %sqrt2 : tensor<2x3xf32>, tensor<1x1xf32> -> tensor<2x3xf32>
  %e = nn.unary erf %d : tensor<2x3xf32> -> tensor<2x3xf32>
  %e1 = nn.binary add %e, %one : tensor<2x3xf32>, tensor<1x1xf32> -> tensor<2x3xf32>
  %p = nn.binary mul %a, %e1 : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
  %g = nn.binary mul %p, %half : tensor<2x3xf32>, tensor<1x1xf32> -> tensor<2x3xf32>
  %wc = arith.constant dense<0.5> : tensor<4x4x1x1xf32>
  %c = nn.conv %xc, %wc {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x8x8xf32>
  %r = nn.unary relu %c : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32>
  %r6 = nn.clamp %r {max = 6.0 : f64, min = 0.0 : f64} : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32>
  return %g, %r6 : tensor<2x3xf32>, tensor<1x4x8x8xf32>
}

// Negative: 0.4 instead of 0.5 is not a GELU.
// CHECK-LABEL: func.func @not_gelu
// CHECK: nn.unary erf
// CHECK-NOT: gelu
func.func @not_gelu(%a: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %sqrt2 = arith.constant dense<1.41421354> : tensor<1x1xf32>
  %one = arith.constant dense<1.0> : tensor<1x1xf32>
  %half = arith.constant dense<0.4> : tensor<1x1xf32>
  %d = nn.binary div %a, %sqrt2 : tensor<2x3xf32>, tensor<1x1xf32> -> tensor<2x3xf32>
  %e = nn.unary erf %d : tensor<2x3xf32> -> tensor<2x3xf32>
  %e1 = nn.binary add %e, %one : tensor<2x3xf32>, tensor<1x1xf32> -> tensor<2x3xf32>
  %p = nn.binary mul %a, %e1 : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
  %g = nn.binary mul %p, %half : tensor<2x3xf32>, tensor<1x1xf32> -> tensor<2x3xf32>
  return %g : tensor<2x3xf32>
}

// The int8 forms take the same epilogue: nn.qconv + bias add + residual add
// + relu; nn.qmatmul + bias + Relu6 (relu then clamp).
// CHECK-LABEL: func.func @int8_layers
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x8x8xi8>, %[[R:.*]]: tensor<1x4x8x8xf32>, %[[A:.*]]: tensor<2x5xi8>)
// CHECK: %[[B:.*]] = arith.constant dense<[1.500000e+00, 2.500000e+00, 3.500000e+00, 4.500000e+00]> : tensor<4xf32>
// CHECK: %[[Y:.*]] = nn.qconv %[[X]], %{{.*}}, %{{.*}} bias(%[[B]] : tensor<4xf32>) residual(%[[R]] : tensor<1x4x8x8xf32>) act relu {
// CHECK: %[[M:.*]] = nn.qmatmul %[[A]], %{{.*}}, %{{.*}} bias(%{{.*}} : tensor<3xf32>) act clip {act_alpha = 0.000000e+00 : f32, act_beta = 6.000000e+00 : f32, lhs_scale
// CHECK-NOT: nn.binary
// CHECK-NOT: nn.unary
// CHECK-NOT: nn.clamp
// CHECK: return %[[Y]], %[[M]]
func.func @int8_layers(%x: tensor<1x4x8x8xi8>, %r: tensor<1x4x8x8xf32>, %a: tensor<2x5xi8>) -> (tensor<1x4x8x8xf32>, tensor<2x3xf32>) {
  %w = arith.constant dense<3> : tensor<4x4x3x3xi8>
  %ws = arith.constant dense<0.125> : tensor<4xf32>
  %b1 = arith.constant dense<[[[[1.5]], [[2.5]], [[3.5]], [[4.5]]]]> : tensor<1x4x1x1xf32>
  %c = nn.qconv %x, %w, %ws {dilations = array<i64: 1, 1>, groups = 1 : i64, input_scale = 0.5 : f32, input_zero_point = 0 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : tensor<1x4x8x8xi8>, tensor<4x4x3x3xi8>, tensor<4xf32> -> tensor<1x4x8x8xf32>
  %ab = nn.binary add %c, %b1 : tensor<1x4x8x8xf32>, tensor<1x4x1x1xf32> -> tensor<1x4x8x8xf32>
  %s = nn.binary add %r, %ab : tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32>
  %y = nn.unary relu %s : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32>
  %mw = arith.constant dense<1> : tensor<5x3xi8>
  %ms = arith.constant dense<0.25> : tensor<3xf32>
  %mb = arith.constant dense<[[1.0, 2.0, 3.0]]> : tensor<1x3xf32>
  %m = nn.qmatmul %a, %mw, %ms {lhs_scale = 1.0 : f32, lhs_zero_point = 0 : i64} : tensor<2x5xi8>, tensor<5x3xi8>, tensor<3xf32> -> tensor<2x3xf32>
  %mba = nn.binary add %m, %mb : tensor<2x3xf32>, tensor<1x3xf32> -> tensor<2x3xf32>
  %mr = nn.unary relu %mba : tensor<2x3xf32> -> tensor<2x3xf32>
  %m6 = nn.clamp %mr {max = 6.0 : f64, min = 0.0 : f64} : tensor<2x3xf32> -> tensor<2x3xf32>
  return %y, %m6 : tensor<1x4x8x8xf32>, tensor<2x3xf32>
}
