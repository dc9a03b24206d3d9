// RUN: kiln-opt --kiln-nn-fixed-point-requantize %s | FileCheck %s
// RUN: kiln-opt --kiln-nn-fixed-point-requantize %s | kiln-opt --convert-nn-to-linalg | FileCheck %s --check-prefix=LOWER

// Conv + ReLU -> max pool -> quantize (uint8, zero point 10) -> next int8
// conv.  The conv yields its int32 accumulators; nn.requantize maps them
// with s_x * s_w[c] / s_y = 0.5 * [0.25, 0.5] / 0.125 = [1, 2] (Q31 mantissa
// 2^30, shifts 1 and 2) and the bias [1, -0.5] in units of [0.125, 0.25]
// ([8, -2]); max pooling compares signed bytes, so the values become int8
// with the zero point 10 - 128 = -118 (ReLU clamps there), and the next
// conv reads them as signed with that zero point.
// CHECK-LABEL: func.func @conv_relu_pool
// CHECK: %[[ACC:.*]] = nn.qconv %arg0, {{.*}} {{{.*}}input_unsigned{{.*}}} : tensor<1x1x4x4xi8>, tensor<2x1x1x1xi8>, tensor<2xf32> -> tensor<1x2x4x4xi32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<[8, -2]> : tensor<2xi32>
// CHECK-DAG: %[[M:.*]] = arith.constant dense<1073741824> : tensor<2xi32>
// CHECK-DAG: %[[S:.*]] = arith.constant dense<[1, 2]> : tensor<2xi32>
// CHECK: %[[R:.*]] = nn.requantize %[[ACC]], %[[B]], %[[M]], %[[S]] {axis = 1 : i64, clamp_max = 127 : i64, clamp_min = -118 : i64, output_zero_point = -118 : i64} : tensor<1x2x4x4xi32>, tensor<2xi32>, tensor<2xi32>, tensor<2xi32> -> tensor<1x2x4x4xi8>
// CHECK: %[[P:.*]] = nn.pool max %[[R]] {{.*}} : tensor<1x2x4x4xi8> -> tensor<1x2x2x2xi8>
// CHECK-NOT: nn.quantize
// CHECK: nn.qconv %[[P]], {{.*}}input_zero_point = -118 : i64
// CHECK-NOT: input_unsigned
// CHECK-SAME: -> tensor<1x3x2x2xf32>
// LOWER-LABEL: func.func @conv_relu_pool
// LOWER: linalg.generic {{.*}} ins({{.*}} : tensor<1x2x4x4xi32>, tensor<2xi32>, tensor<2xi32>, tensor<2xi32>) outs({{.*}} : tensor<1x2x4x4xi8>)
// LOWER: arith.muli {{.*}} : i64
// LOWER: arith.shrsi {{.*}} : i64
// LOWER: arith.trunci {{.*}} : i64 to i8
// LOWER: linalg.pooling_nchw_max {{.*}} -> tensor<1x2x2x2xi8>
// LOWER-LABEL: func.func @residual
// LOWER: linalg.generic {{.*}} ins({{.*}} : tensor<1x2x4x4xi32>, tensor<2xi32>, tensor<2xi32>, tensor<2xi32>, tensor<1x2x4x4xi8>) outs({{.*}} : tensor<1x2x4x4xi8>)
// LOWER: arith.extui {{.*}} : i8 to i64
func.func @conv_relu_pool(%x: tensor<1x1x4x4xi8>) -> tensor<1x3x2x2xf32> {
  %w = arith.constant dense<[[[[1]]], [[[-3]]]]> : tensor<2x1x1x1xi8>
  %ws = arith.constant dense<[0.25, 0.5]> : tensor<2xf32>
  %b = arith.constant dense<[1.0, -0.5]> : tensor<2xf32>
  %c = nn.qconv %x, %w, %ws bias(%b : tensor<2xf32>) act relu {dilations = array<i64: 1, 1>, groups = 1 : i64, input_scale = 0.5 : f32, input_zero_point = 3 : i64, input_unsigned, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<1x1x4x4xi8>, tensor<2x1x1x1xi8>, tensor<2xf32> -> tensor<1x2x4x4xf32>
  %p = nn.pool max %c {count_include_pad = false, dilations = array<i64: 1, 1>, explicit_pads = array<i64: 0, 0, 0, 0>, kernel = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : tensor<1x2x4x4xf32> -> tensor<1x2x2x2xf32>
  %s = arith.constant dense<0.125> : tensor<1x1x1x1xf32>
  %z = arith.constant dense<10> : tensor<1x1x1x1xi8>
  %q = nn.quantize %p, %s, %z {unsigned_result} : (tensor<1x2x2x2xf32>, tensor<1x1x1x1xf32>, tensor<1x1x1x1xi8>) -> tensor<1x2x2x2xi8>
  %w2 = arith.constant dense<1> : tensor<3x2x1x1xi8>
  %ws2 = arith.constant dense<0.1> : tensor<3xf32>
  %y = nn.qconv %q, %w2, %ws2 {dilations = array<i64: 1, 1>, groups = 1 : i64, input_scale = 0.125 : f32, input_zero_point = 10 : i64, input_unsigned, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<1x2x2x2xi8>, tensor<3x2x1x1xi8>, tensor<3xf32> -> tensor<1x3x2x2xf32>
  return %y : tensor<1x3x2x2xf32>
}

// MatMul + Clip(0, 6) -> quantize (uint8, zero point 0, scale 0.05), no
// pooling: the values stay unsigned; the clamp is [0, round(6 / 0.05)] =
// [0, 120]; 0.02 * 0.01 / 0.05 = 0.512 * 2^-7 (mantissa 1099511562 in f32
// arithmetic, shift -7); bias 0.1 / 0.0002 = 500.
// CHECK-LABEL: func.func @matmul_clip
// CHECK: %[[ACC:.*]] = nn.qmatmul %arg0, {{.*}} -> tensor<3x1xi32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<500> : tensor<1xi32>
// CHECK-DAG: %[[M:.*]] = arith.constant dense<1099511562> : tensor<1xi32>
// CHECK-DAG: %[[S:.*]] = arith.constant dense<-7> : tensor<1xi32>
// CHECK: nn.requantize %[[ACC]], %[[B]], %[[M]], %[[S]] {axis = 1 : i64, clamp_max = 120 : i64, clamp_min = 0 : i64, output_zero_point = 0 : i64, unsigned_result}
func.func @matmul_clip(%x: tensor<3x2xi8>) -> tensor<3x1xi8> {
  %w = arith.constant dense<1> : tensor<2x1xi8>
  %ws = arith.constant dense<0.01> : tensor<1xf32>
  %b = arith.constant dense<0.1> : tensor<1xf32>
  %c = nn.qmatmul %x, %w, %ws bias(%b : tensor<1xf32>) act clip {act_alpha = 0.0 : f32, act_beta = 6.0 : f32, lhs_scale = 0.02 : f32, lhs_zero_point = 0 : i64, lhs_unsigned} : tensor<3x2xi8>, tensor<2x1xi8>, tensor<1xf32> -> tensor<3x1xf32>
  %s = arith.constant dense<0.05> : tensor<1x1xf32>
  %z = arith.constant dense<0> : tensor<1x1xi8>
  %q = nn.quantize %c, %s, %z {unsigned_result} : (tensor<3x1xf32>, tensor<1x1xf32>, tensor<1x1xi8>) -> tensor<3x1xi8>
  return %q : tensor<3x1xi8>
}

// An unsigned quantization's zero point is stored as i8 bits: -56 is 200.
// CHECK-LABEL: func.func @unsigned_zero_point
// CHECK: nn.requantize {{.*}} {axis = 1 : i64, clamp_max = 255 : i64, clamp_min = 200 : i64, output_zero_point = 200 : i64, unsigned_result}
func.func @unsigned_zero_point(%x: tensor<3x2xi8>) -> tensor<3x1xi8> {
  %w = arith.constant dense<1> : tensor<2x1xi8>
  %ws = arith.constant dense<0.01> : tensor<1xf32>
  %c = nn.qmatmul %x, %w, %ws act relu {lhs_scale = 0.02 : f32, lhs_zero_point = 0 : i64, lhs_unsigned} : tensor<3x2xi8>, tensor<2x1xi8>, tensor<1xf32> -> tensor<3x1xf32>
  %s = arith.constant dense<0.05> : tensor<1x1xf32>
  %z = arith.constant dense<-56> : tensor<1x1xi8>
  %q = nn.quantize %c, %s, %z {unsigned_result} : (tensor<3x1xf32>, tensor<1x1xf32>, tensor<1x1xi8>) -> tensor<3x1xi8>
  return %q : tensor<3x1xi8>
}

// A residual add whose residual has its own 8-bit quantization (the one
// the layer reading it made, earlier in the block) reads those bytes,
// rescaled to the output's scale: 0.25 / 0.125 = 2 (mantissa 2^30, shift
// 2); its zero point 7, unsigned.  The float residual's producer can then
// go too (the pass repeats until nothing changes): here the first conv,
// whose result was read by the quantization and the residual add.
// CHECK-LABEL: func.func @residual
// CHECK: %[[A1:.*]] = nn.qconv %arg0, {{.*}} -> tensor<1x2x4x4xi32>
// CHECK: %[[R1:.*]] = nn.requantize %[[A1]], {{.*}} {axis = 1 : i64, clamp_max = 255 : i64, clamp_min = 0 : i64, output_zero_point = 7 : i64, unsigned_result}
// CHECK: %[[A2:.*]] = nn.qconv %[[R1]], {{.*}} -> tensor<1x2x4x4xi32>
// CHECK: nn.requantize %[[A2]], {{.*}} residual(%[[R1]] : tensor<1x2x4x4xi8>) {axis = 1 : i64, clamp_max = 255 : i64, clamp_min = 10 : i64, output_zero_point = 10 : i64, residual_multiplier = 1073741824 : i64, residual_shift = 2 : i64, residual_unsigned, residual_zero_point = 7 : i64, unsigned_result}
// CHECK-NOT: nn.quantize
func.func @residual(%x: tensor<1x1x4x4xi8>) -> tensor<1x2x4x4xi8> {
  %w = arith.constant dense<1> : tensor<2x1x1x1xi8>
  %ws = arith.constant dense<0.25> : tensor<2xf32>
  %c1 = nn.qconv %x, %w, %ws {dilations = array<i64: 1, 1>, groups = 1 : i64, input_scale = 0.5 : f32, input_zero_point = 0 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<1x1x4x4xi8>, tensor<2x1x1x1xi8>, tensor<2xf32> -> tensor<1x2x4x4xf32>
  %s1 = arith.constant dense<0.25> : tensor<1x1x1x1xf32>
  %z1 = arith.constant dense<7> : tensor<1x1x1x1xi8>
  %q1 = nn.quantize %c1, %s1, %z1 {unsigned_result} : (tensor<1x2x4x4xf32>, tensor<1x1x1x1xf32>, tensor<1x1x1x1xi8>) -> tensor<1x2x4x4xi8>
  %w2 = arith.constant dense<1> : tensor<2x2x1x1xi8>
  %c2 = nn.qconv %q1, %w2, %ws residual(%c1 : tensor<1x2x4x4xf32>) act relu {dilations = array<i64: 1, 1>, groups = 1 : i64, input_scale = 0.25 : f32, input_zero_point = 7 : i64, input_unsigned, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<1x2x4x4xi8>, tensor<2x2x1x1xi8>, tensor<2xf32> -> tensor<1x2x4x4xf32>
  %s2 = arith.constant dense<0.125> : tensor<1x1x1x1xf32>
  %z2 = arith.constant dense<10> : tensor<1x1x1x1xi8>
  %q2 = nn.quantize %c2, %s2, %z2 {unsigned_result} : (tensor<1x2x4x4xf32>, tensor<1x1x1x1xf32>, tensor<1x1x1x1xi8>) -> tensor<1x2x4x4xi8>
  return %q2 : tensor<1x2x4x4xi8>
}

// Left alone: a residual add whose residual has no 8-bit quantization, an
// activation other than ReLU / Clip, a
// result read by something else too, pooling whose quantized values a
// non-layer reads (it could not be moved to signed bytes), a per-channel
// output scale.
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: nn.requantize
// CHECK-COUNT-5: nn.quantize
// CHECK-NOT: nn.requantize
// CHECK: return
func.func @left_alone(%x: tensor<1x1x4x4xi8>, %r: tensor<1x2x4x4xf32>) -> (tensor<1x2x4x4xi8>, tensor<1x2x4x4xi8>, tensor<1x2x4x4xi8>, tensor<1x2x4x4xf32>, tensor<1x2x2x2xi8>, tensor<1x2x4x4xi8>) {
  %w = arith.constant dense<1> : tensor<2x1x1x1xi8>
  %ws = arith.constant dense<0.25> : tensor<2xf32>
  %s = arith.constant dense<0.125> : tensor<1x1x1x1xf32>
  %z = arith.constant dense<10> : tensor<1x1x1x1xi8>
  %c1 = nn.qconv %x, %w, %ws residual(%r : tensor<1x2x4x4xf32>) {dilations = array<i64: 1, 1>, groups = 1 : i64, input_scale = 0.5 : f32, input_zero_point = 0 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<1x1x4x4xi8>, tensor<2x1x1x1xi8>, tensor<2xf32> -> tensor<1x2x4x4xf32>
  %q1 = nn.quantize %c1, %s, %z {unsigned_result} : (tensor<1x2x4x4xf32>, tensor<1x1x1x1xf32>, tensor<1x1x1x1xi8>) -> tensor<1x2x4x4xi8>
  %c2 = nn.qconv %x, %w, %ws act sigmoid {dilations = array<i64: 1, 1>, groups = 1 : i64, input_scale = 0.5 : f32, input_zero_point = 0 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<1x1x4x4xi8>, tensor<2x1x1x1xi8>, tensor<2xf32> -> tensor<1x2x4x4xf32>
  %q2 = nn.quantize %c2, %s, %z {unsigned_result} : (tensor<1x2x4x4xf32>, tensor<1x1x1x1xf32>, tensor<1x1x1x1xi8>) -> tensor<1x2x4x4xi8>
  %c3 = nn.qconv %x, %w, %ws {dilations = array<i64: 1, 1>, groups = 1 : i64, input_scale = 0.5 : f32, input_zero_point = 0 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<1x1x4x4xi8>, tensor<2x1x1x1xi8>, tensor<2xf32> -> tensor<1x2x4x4xf32>
  %q3 = nn.quantize %c3, %s, %z {unsigned_result} : (tensor<1x2x4x4xf32>, tensor<1x1x1x1xf32>, tensor<1x1x1x1xi8>) -> tensor<1x2x4x4xi8>
  %c4 = nn.qconv %x, %w, %ws {dilations = array<i64: 1, 1>, groups = 1 : i64, input_scale = 0.5 : f32, input_zero_point = 0 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<1x1x4x4xi8>, tensor<2x1x1x1xi8>, tensor<2xf32> -> tensor<1x2x4x4xf32>
  %p4 = nn.pool max %c4 {count_include_pad = false, dilations = array<i64: 1, 1>, explicit_pads = array<i64: 0, 0, 0, 0>, kernel = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : tensor<1x2x4x4xf32> -> tensor<1x2x2x2xf32>
  %q4 = nn.quantize %p4, %s, %z {unsigned_result} : (tensor<1x2x2x2xf32>, tensor<1x1x1x1xf32>, tensor<1x1x1x1xi8>) -> tensor<1x2x2x2xi8>
  %c5 = nn.qconv %x, %w, %ws {dilations = array<i64: 1, 1>, groups = 1 : i64, input_scale = 0.5 : f32, input_zero_point = 0 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<1x1x4x4xi8>, tensor<2x1x1x1xi8>, tensor<2xf32> -> tensor<1x2x4x4xf32>
  %s5 = arith.constant dense<[[[[0.125]], [[0.25]]]]> : tensor<1x2x1x1xf32>
  %q5 = nn.quantize %c5, %s5, %z {unsigned_result} : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>, tensor<1x1x1x1xi8>) -> tensor<1x2x4x4xi8>
  return %q1, %q2, %q3, %c3, %q4, %q5 : tensor<1x2x4x4xi8>, tensor<1x2x4x4xi8>, tensor<1x2x4x4xi8>, tensor<1x2x4x4xf32>, tensor<1x2x2x2xi8>, tensor<1x2x4x4xi8>
}
