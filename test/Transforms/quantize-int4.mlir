// kiln-nn-quantize's int4 weights (kiln.quant.precision = "int4"): codes,
// scales and zero points per group, the packing, the AWQ division and its
// folding into a LayerNorm, and the errors.
// RUN: kiln-opt --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(func.func(kiln-nn-quantize))' --mlir-pass-statistics %s 2>%t.stats | FileCheck %s
// RUN: FileCheck %s --check-prefix=STATS < %t.stats

// STATS: kiln-nn-quantize
// STATS-DAG: 6 int4-layers
// STATS-DAG: 1 awq-folded

// Groups of 2 along K = 4, per column, asymmetric with 0 in the range:
//   group 0, column 0: {-5, 10}: scale 15/15 = 1, zero point 5, codes 0, 15;
//   group 0, column 1: {-15, 0}: scale 1, zero point 15, codes 0, 15;
//   group 1, column 0: {1, 14}: lo 0, scale 14/15, zero point 0, codes
//     round(1.07) = 1, 15;
//   group 1, column 1: {30, 0}: scale 2, zero point 0, codes 15, 0.
// Byte [j, n] packs k = 2j (low nibble) and 2j + 1 (high): [0 | 15 << 4,
// 0 | 15 << 4] = [240, 240] = [-16, -16] as i8, [1 | 240, 15 | 0] = [-15, 15].
// The bias and activation move to nn.int4_matmul unchanged.
// CHECK-LABEL: func.func @groups
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[}}-16, -16], [-15, 15]]> : tensor<2x2xi8>
// CHECK-DAG: %[[S:.*]] = arith.constant dense<{{\[\[}}1.000000e+00, 1.000000e+00], [0.933333337, 2.000000e+00]]> : tensor<2x2xf32>
// CHECK-DAG: %[[Z:.*]] = arith.constant dense<{{\[\[}}5, 15], [0, 0]]> : tensor<2x2xi8>
// CHECK: nn.int4_matmul %arg0, %[[W]], %[[S]], %[[Z]] bias(%{{.*}} : tensor<2xf32>) act relu {group_size = 2 : i64} : tensor<3x4xf32>, tensor<2x2xi8>, tensor<2x2xf32>, tensor<2x2xi8> -> tensor<3x2xf32>
// CHECK-NOT: nn.matmul
func.func @groups(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[-5.0, -15.0], [10.0, 0.0], [1.0, 30.0], [14.0, 0.0]]> : tensor<4x2xf32>
  %b = arith.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %y = nn.matmul %x, %w bias(%b : tensor<2xf32>) act relu {kiln.quant.precision = "int4", kiln.quant.int4_group = 2 : i64} : tensor<3x4xf32>, tensor<4x2xf32> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// AWQ scales s = [2, 4, 1, 0.5] on a layer whose input is a LayerNorm's
// (nothing else reads it): the LayerNorm's scale and bias are divided by s
// instead of the input ([1, 1, 1, 1] -> [0.5, 0.25, 1, 2]; [0.5, ...] ->
// [0.25, 0.125, 0.5, 1]); no division is left.  The weights are quantized
// as diag(s) W: w = 1 in rows 0..3 becomes 2, 4, 1, 0.5, one group of 4 per
// column: scale 4/15, codes round(s / (4/15)): 7 (2 / 0.266666681 =
// 7.4999995 in f32), 15, 4, 2; bytes 7 | 15 << 4 = -9, 4 | 2 << 4 = 36.
// CHECK-LABEL: func.func @awq_layer_norm
// CHECK-DAG: %[[G:.*]] = arith.constant dense<[5.000000e-01, 2.500000e-01, 1.000000e+00, 2.000000e+00]> : tensor<4xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<[2.500000e-01, 1.250000e-01, 5.000000e-01, 1.000000e+00]> : tensor<4xf32>
// CHECK: %[[N:.*]] = nn.layer_norm %arg0, %[[G]], %[[B]]
// CHECK-NOT: nn.binary
// CHECK: %[[W:.*]] = arith.constant dense<{{\[\[}}-9], [36]]> : tensor<2x1xi8>
// CHECK-NOT: nn.binary
// CHECK: nn.int4_matmul %[[N]], %[[W]]
func.func @awq_layer_norm(%x: tensor<2x4xf32>) -> tensor<2x1xf32> {
  %g = arith.constant dense<1.0> : tensor<4xf32>
  %b = arith.constant dense<0.5> : tensor<4xf32>
  %n = nn.layer_norm %x, %g, %b {axis = 1 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %w = arith.constant dense<1.0> : tensor<4x1xf32>
  %y = nn.matmul %n, %w {kiln.quant.precision = "int4", kiln.quant.int4_group = 4 : i64, kiln.quant.awq_scale = array<f32: 2.0, 4.0, 1.0, 0.5>} : tensor<2x4xf32>, tensor<4x1xf32> -> tensor<2x1xf32>
  return %y : tensor<2x1xf32>
}

// Two layers read one function argument with the same scales: one
// division (a multiply by the reciprocals [0.5, 0.25]) serves both.
// CHECK-LABEL: func.func @awq_shared
// CHECK: %[[R:.*]] = arith.constant dense<{{\[\[}}5.000000e-01, 2.500000e-01]]> : tensor<1x2xf32>
// CHECK: %[[D:.*]] = nn.binary mul %arg0, %[[R]]
// CHECK-NOT: nn.binary
// CHECK: nn.int4_matmul %[[D]]
// CHECK: nn.int4_matmul %[[D]]
func.func @awq_shared(%x: tensor<3x2xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>) {
  %w = arith.constant dense<[[1.0, -1.0], [0.5, 2.0]]> : tensor<2x2xf32>
  %v = arith.constant dense<[[3.0, -1.0], [0.25, 1.0]]> : tensor<2x2xf32>
  %a = nn.matmul %x, %w {kiln.quant.precision = "int4", kiln.quant.int4_group = 2 : i64, kiln.quant.awq_scale = array<f32: 2.0, 4.0>} : tensor<3x2xf32>, tensor<2x2xf32> -> tensor<3x2xf32>
  %b = nn.matmul %x, %v {kiln.quant.precision = "int4", kiln.quant.int4_group = 2 : i64, kiln.quant.awq_scale = array<f32: 2.0, 4.0>} : tensor<3x2xf32>, tensor<2x2xf32> -> tensor<3x2xf32>
  return %a, %b : tensor<3x2xf32>, tensor<3x2xf32>
}

// kiln.quant.int4_activations = "int8" (W4A8) sets lhs_int8; "f32" does not.
// CHECK-LABEL: func.func @w4a8
// CHECK: nn.int4_matmul %arg0, {{.*}} {group_size = 8 : i64, lhs_int8}
// CHECK: nn.int4_matmul %arg0, {{.*}} {group_size = 8 : i64} :
func.func @w4a8(%x: tensor<3x16xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>) {
  %w = arith.constant dense<0.5> : tensor<16x2xf32>
  %a = nn.matmul %x, %w {kiln.quant.precision = "int4", kiln.quant.int4_group = 8 : i64, kiln.quant.int4_activations = "int8"} : tensor<3x16xf32>, tensor<16x2xf32> -> tensor<3x2xf32>
  %b = nn.matmul %x, %w {kiln.quant.precision = "int4", kiln.quant.int4_group = 8 : i64, kiln.quant.int4_activations = "f32"} : tensor<3x16xf32>, tensor<16x2xf32> -> tensor<3x2xf32>
  return %a, %b : tensor<3x2xf32>, tensor<3x2xf32>
}

// -----

func.func @w4a8_group(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<1.0> : tensor<4x2xf32>
  // expected-error @+1 {{int8 activations need an int4 group size that is a multiple of 8 (got 4)}}
  %y = nn.matmul %x, %w {kiln.quant.precision = "int4", kiln.quant.int4_group = 4 : i64, kiln.quant.int4_activations = "int8"} : tensor<3x4xf32>, tensor<4x2xf32> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

func.func @bad_act(%x: tensor<3x8xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<1.0> : tensor<8x2xf32>
  // expected-error @+1 {{kiln.quant.int4_activations must be "f32" or "int8" (got "int4")}}
  %y = nn.matmul %x, %w {kiln.quant.precision = "int4", kiln.quant.int4_group = 8 : i64, kiln.quant.int4_activations = "int4"} : tensor<3x8xf32>, tensor<8x2xf32> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

func.func @no_group(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<1.0> : tensor<4x2xf32>
  // expected-error @+1 {{int4 needs kiln.quant.int4_group = the group size along K (e.g. 128 : i64)}}
  %y = nn.matmul %x, %w {kiln.quant.precision = "int4"} : tensor<3x4xf32>, tensor<4x2xf32> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

func.func @bad_group(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<1.0> : tensor<4x2xf32>
  // expected-error @+1 {{cannot take int4 weights: K = 4 is not a multiple of the int4 group size 8}}
  %y = nn.matmul %x, %w {kiln.quant.precision = "int4", kiln.quant.int4_group = 8 : i64} : tensor<3x4xf32>, tensor<4x2xf32> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

func.func @conv(%x: tensor<1x2x4x4xf32>) -> tensor<1x1x4x4xf32> {
  %w = arith.constant dense<0.5> : tensor<1x2x1x1xf32>
  // expected-error @+1 {{cannot take int4 weights: int4 weights are for MatMul/Gemm (Linear) layers only}}
  %a = nn.conv %x, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, kiln.quant.precision = "int4", kiln.quant.int4_group = 2 : i64} : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>) -> tensor<1x1x4x4xf32>
  return %a : tensor<1x1x4x4xf32>
}

// -----

func.func @bad_awq(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<1.0> : tensor<4x2xf32>
  // expected-error @+1 {{kiln.quant.awq_scale must be array<f32> of K = 4 positive finite scales}}
  %y = nn.matmul %x, %w {kiln.quant.precision = "int4", kiln.quant.int4_group = 2 : i64, kiln.quant.awq_scale = array<f32: 1.0, 0.0, 1.0, 1.0>} : tensor<3x4xf32>, tensor<4x2xf32> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}
