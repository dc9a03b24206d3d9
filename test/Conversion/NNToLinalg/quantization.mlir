// RUN: kiln-opt --convert-nn-to-linalg %s | FileCheck %s
// RUN: kiln-opt --convert-nn-to-linalg %s | FileCheck %s --check-prefix=MAPS

// Unsigned quantization: divide, round half to even, add the zero-extended
// zero point, clamp to [0, 255], convert unsigned.
// CHECK-LABEL: func @quantize_u8
// CHECK: linalg.generic
// CHECK: arith.divf
// CHECK: math.roundeven
// CHECK: arith.uitofp %{{.*}} : i8 to f32
// CHECK: arith.addf
// CHECK: arith.maximumf %{{.*}}, %cst{{.*}}
// CHECK: arith.minimumf
// CHECK: arith.fptoui %{{.*}} : f32 to i8
func.func @quantize_u8(%x: tensor<1x3x2xf32>, %s: tensor<1x3x1xf32>, %z: tensor<1x3x1xi8>) -> tensor<1x3x2xi8> {
  %y = nn.quantize %x, %s, %z {unsigned_result} : (tensor<1x3x2xf32>, tensor<1x3x1xf32>, tensor<1x3x1xi8>) -> tensor<1x3x2xi8>
  return %y : tensor<1x3x2xi8>
}

// Signed: sign extension and fptosi.
// CHECK-LABEL: func @quantize_i8
// CHECK: arith.sitofp %{{.*}} : i8 to f32
// CHECK: arith.fptosi %{{.*}} : f32 to i8
func.func @quantize_i8(%x: tensor<4xf32>, %s: tensor<1xf32>, %z: tensor<1xi8>) -> tensor<4xi8> {
  %y = nn.quantize %x, %s, %z : (tensor<4xf32>, tensor<1xf32>, tensor<1xi8>) -> tensor<4xi8>
  return %y : tensor<4xi8>
}

// CHECK-LABEL: func @dequantize_u8
// CHECK: arith.uitofp %{{.*}} : i8 to f32
// CHECK: arith.uitofp %{{.*}} : i8 to f32
// CHECK: arith.subf
// CHECK: arith.mulf
func.func @dequantize_u8(%x: tensor<4xi8>, %s: tensor<1xf32>, %z: tensor<1xi8>) -> tensor<4xf32> {
  %y = nn.dequantize %x, %s, %z {unsigned_input} : (tensor<4xi8>, tensor<1xf32>, tensor<1xi8>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// nn.qconv, ungrouped 2-D with fewer than 4 channels: the input padded
// with its zero point (7), the windows gathered per image ([N, C*KH*KW,
// OH*OW], each tap's output row contiguous), the int32 product of the
// filter [F, C*KH*KW] (sign-extended) with them (zero-extended), then the
// epilogue on the NCHW accumulator: (acc - 7 * sum(w[f])) as f32, times
// input_scale * w_scale[f] (0.5 * [0.25, 2] = [0.125, 1]), plus the bias,
// then the activation.
// CHECK-LABEL: func @qconv
// CHECK: %[[ZP:.*]] = arith.constant 7 : i8
// CHECK: tensor.pad
// CHECK: tensor.yield %[[ZP]]
// CHECK: linalg.generic {{.*}}ins(%{{.*}} : tensor<1x1x4x4xi8>) outs(%{{.*}} : tensor<1x1x2x2x3x3xi8>)
// CHECK: tensor.collapse_shape {{.*}} : tensor<1x1x2x2x3x3xi8> into tensor<1x4x9xi8>
// CHECK: %[[WT:.*]] = arith.constant dense<{{\[\[}}1, 2, 0, 0], [-1, 0, 0, 0]]> : tensor<2x4xi8>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[WT]], %{{.*}} : tensor<2x4xi8>, tensor<1x4x9xi8>) outs(%{{.*}} : tensor<1x2x9xi32>)
// CHECK: arith.extsi %{{.*}} : i8 to i32
// CHECK: arith.extui %{{.*}} : i8 to i32
// CHECK: arith.muli
// CHECK: arith.addi
// CHECK: tensor.expand_shape {{.*}} : tensor<1x2x9xi32> into tensor<1x2x3x3xi32>
// CHECK-DAG: %[[COMP:.*]] = arith.constant dense<[21, -7]> : tensor<2xi32>
// CHECK-DAG: %[[SC:.*]] = arith.constant dense<[1.250000e-01, 1.000000e+00]> : tensor<2xf32>
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %[[COMP]], %[[SC]], %{{.*}} : tensor<1x2x3x3xi32>, tensor<2xi32>, tensor<2xf32>, tensor<2xf32>) outs(%{{.*}} : tensor<1x2x3x3xf32>)
// CHECK: arith.subi
// CHECK: arith.sitofp
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: linalg.generic
// CHECK: arith.maximumf
func.func @qconv(%x: tensor<1x1x3x3xi8>, %b: tensor<2xf32>) -> tensor<1x2x3x3xf32> {
  %w = arith.constant dense<[[[[1, 2], [0, 0]]], [[[-1, 0], [0, 0]]]]> : tensor<2x1x2x2xi8>
  %s = arith.constant dense<[0.25, 2.0]> : tensor<2xf32>
  %y = nn.qconv %x, %w, %s bias(%b : tensor<2xf32>) act relu {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 1, 1>, strides = array<i64: 1, 1>, input_scale = 0.5 : f32, input_zero_point = 7 : i64, input_unsigned} : tensor<1x1x3x3xi8>, tensor<2x1x2x2xi8>, tensor<2xf32> -> tensor<1x2x3x3xf32>
  return %y : tensor<1x2x3x3xf32>
}

// nn.qmatmul on a signed input: the batch folded into M, sign extension of
// both operands, the zero point (-3) times the column sums [1, -2].
// CHECK-LABEL: func @qmatmul
// CHECK: tensor.collapse_shape {{.*}} : tensor<2x4x3xi8> into tensor<8x3xi8>
// CHECK: linalg.generic
// CHECK: arith.extsi %{{.*}} : i8 to i32
// CHECK: arith.extsi %{{.*}} : i8 to i32
// CHECK: arith.constant dense<[-3, 6]> : tensor<2xi32>
// CHECK: linalg.generic
// CHECK: arith.subi
// CHECK: tensor.expand_shape {{.*}} : tensor<8x2xf32> into tensor<2x4x2xf32>
func.func @qmatmul(%x: tensor<2x4x3xi8>) -> tensor<2x4x2xf32> {
  %w = arith.constant dense<[[1, 0], [0, -1], [0, -1]]> : tensor<3x2xi8>
  %s = arith.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %y = nn.qmatmul %x, %w, %s {lhs_scale = 1.0 : f32, lhs_zero_point = -3 : i64} : tensor<2x4x3xi8>, tensor<3x2xi8>, tensor<2xf32> -> tensor<2x4x2xf32>
  return %y : tensor<2x4x2xf32>
}

// A depthwise nn.qconv on an unsigned input (QLinearConv's and QDQ's
// uint8): the input moved to int8 by one xor with 0x80, the zero point by
// -128 (3 -> -125: the accumulator starts at 125 * sum(w[c]) = 125), then
// the signed form below.
// CHECK-LABEL: func @qconv_depthwise(
// CHECK: %[[S:.*]] = linalg.generic
// CHECK: arith.xori %{{.*}}, %c-128_i8 : i8
// CHECK: arith.constant dense<1.250000e+02> : tensor<2xf32>
// CHECK: linalg.depthwise_conv_2d_nchw_chw {{.*}} ins(%[[S]], %{{.*}} : tensor<1x2x3x3xi8>, tensor<2x1x1xi8>)
func.func @qconv_depthwise(%x: tensor<1x2x3x3xi8>) -> tensor<1x2x3x3xf32> {
  %w = arith.constant dense<1> : tensor<2x1x1x1xi8>
  %s = arith.constant dense<[0.25, 2.0]> : tensor<2xf32>
  %y = nn.qconv %x, %w, %s {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, input_scale = 0.5 : f32, input_zero_point = 3 : i64, input_unsigned} : tensor<1x2x3x3xi8>, tensor<2x1x1x1xi8>, tensor<2xf32> -> tensor<1x2x3x3xf32>
  return %y : tensor<1x2x3x3xf32>
}

// A grouped nn.qconv (two channels per group) accumulates in one
// linalg.generic (convGenericND), the input zero-extended, the filter
// sign-extended.
// CHECK-LABEL: func @qconv_grouped
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
// CHECK: arith.extui %{{.*}} : i8 to i32
// CHECK: arith.extsi %{{.*}} : i8 to i32
// CHECK: tensor.collapse_shape {{.*}} into tensor<1x2x3x3xi32>
func.func @qconv_grouped(%x: tensor<1x4x3x3xi8>) -> tensor<1x2x3x3xf32> {
  %w = arith.constant dense<1> : tensor<2x2x1x1xi8>
  %s = arith.constant dense<[0.25, 2.0]> : tensor<2xf32>
  %y = nn.qconv %x, %w, %s {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, input_scale = 0.5 : f32, input_zero_point = 3 : i64, input_unsigned} : tensor<1x4x3x3xi8>, tensor<2x2x1x1xi8>, tensor<2xf32> -> tensor<1x2x3x3xf32>
  return %y : tensor<1x2x3x3xf32>
}

// A depthwise nn.qconv on a signed input (kiln-nn-quantize's int8
// depthwise layers): the padded int8 input (padding = the zero point) and
// the int8 filter [C, KH, KW] into linalg.depthwise_conv_2d_nchw_chw with an
// f32 accumulator (exact: integers below 2^24) that starts at -zp * sum(w[c])
// (zp 2, filter sums 4 and -2: -8 and 4), then acc * (sx * sw[c]) + bias[c]
// marked kiln.epilogue, then the activation.
// CHECK-LABEL: func @qconv_depthwise_signed
// CHECK: %[[P:.*]] = tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: tensor.yield %c2_i8 : i8
// CHECK: %[[START:.*]] = arith.constant dense<[-8.000000e+00, 4.000000e+00]> : tensor<2xf32>
// CHECK: %[[INIT:.*]] = linalg.generic {{.*}} ins(%[[START]] : tensor<2xf32>) {{.*}} attrs = {kiln.epilogue}
// CHECK: %[[ACC:.*]] = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%[[P]], %{{.*}} : tensor<1x2x7x7xi8>, tensor<2x2x2xi8>) outs(%[[INIT]] : tensor<1x2x3x3xf32>)
// CHECK: %[[SCALE:.*]] = arith.constant dense<[1.250000e-01, 1.000000e+00]> : tensor<2xf32>
// CHECK: %[[Y:.*]] = linalg.generic {{.*}} ins(%[[ACC]], %[[SCALE]], %arg1 : tensor<1x2x3x3xf32>, tensor<2xf32>, tensor<2xf32>) {{.*}} attrs = {kiln.epilogue}
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: linalg.generic {{.*}} ins(%[[Y]] : tensor<1x2x3x3xf32>)
// CHECK: arith.maximumf
func.func @qconv_depthwise_signed(%x: tensor<1x2x5x5xi8>, %b: tensor<2xf32>) -> tensor<1x2x3x3xf32> {
  %w = arith.constant dense<[[[[1, 1], [1, 1]]], [[[-1, 0], [0, -1]]]]> : tensor<2x1x2x2xi8>
  %s = arith.constant dense<[0.25, 2.0]> : tensor<2xf32>
  %y = nn.qconv %x, %w, %s bias(%b : tensor<2xf32>) act relu {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>, input_scale = 0.5 : f32, input_zero_point = 2 : i64} : tensor<1x2x5x5xi8>, tensor<2x1x2x2xi8>, tensor<2xf32> -> tensor<1x2x3x3xf32>
  return %y : tensor<1x2x3x3xf32>
}

// Stride 1 with at least 4 channels and output rows of at least 12: no
// gathered windows, one generic over
// (n, f, oh, ow, c, kh, kw) reading the padded input at (oh + kh * d, ow +
// kw * d) (dilation 2 here), the filter first.
// MAPS-DAG: affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1, d4, d5, d6)>
// MAPS-DAG: affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d4, d2 + d5 * 2, d3 + d6 * 2)>
// CHECK-LABEL: func @qconv_direct
// CHECK: tensor.pad
// CHECK-NOT: tensor.collapse_shape
// CHECK: linalg.generic {indexing_maps = [{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<3x4x3x3xi8>, tensor<?x4x18x18xi8>) outs(%{{.*}} : tensor<?x3x14x14xi32>)
// CHECK: arith.extsi %{{.*}} : i8 to i32
// CHECK: arith.extui %{{.*}} : i8 to i32
func.func @qconv_direct(%x: tensor<?x4x16x16xi8>) -> tensor<?x3x14x14xf32> {
  %w = arith.constant dense<1> : tensor<3x4x3x3xi8>
  %s = arith.constant dense<[0.25, 2.0, 1.0]> : tensor<3xf32>
  %y = nn.qconv %x, %w, %s {dilations = array<i64: 2, 2>, groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>, input_scale = 0.5 : f32, input_zero_point = 3 : i64, input_unsigned} : tensor<?x4x16x16xi8>, tensor<3x4x3x3xi8>, tensor<3xf32> -> tensor<?x3x14x14xf32>
  return %y : tensor<?x3x14x14xf32>
}

// Output rows narrower than 12 (7 here): the gathered windows, whose pixel
// vectors run across rows, instead of the direct form.
// CHECK-LABEL: func @qconv_narrow
// CHECK: tensor.collapse_shape {{.*}} : tensor<1x4x3x3x7x7xi8> into tensor<1x36x49xi8>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction"]
func.func @qconv_narrow(%x: tensor<1x4x7x7xi8>) -> tensor<1x3x7x7xf32> {
  %w = arith.constant dense<1> : tensor<3x4x3x3xi8>
  %s = arith.constant dense<[0.25, 2.0, 1.0]> : tensor<3xf32>
  %y = nn.qconv %x, %w, %s {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>, input_scale = 0.5 : f32, input_zero_point = 3 : i64, input_unsigned} : tensor<1x4x7x7xi8>, tensor<3x4x3x3xi8>, tensor<3xf32> -> tensor<1x3x7x7xf32>
  return %y : tensor<1x3x7x7xf32>
}

// bf16 layers (kiln-nn-quantize): nn.conv / nn.matmul on bf16 operands
// with an f32 result accumulate in f32 in the kernel forms of the int8
// products, body acc + extf(w) * extf(x); the padding is bf16 zero, the
// bias added after the products, the relu as the epilogue.
// CHECK-LABEL: func.func @bf16_conv_direct
// CHECK: tensor.pad
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<1x4x14x14xf32>)
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<4x8x3x3xbf16>, tensor<1x8x16x16xbf16>) outs(%{{.*}} : tensor<1x4x14x14xf32>)
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: arith.addf
// CHECK: arith.maximumf
func.func @bf16_conv_direct(%x: tensor<1x8x14x14xbf16>) -> tensor<1x4x14x14xf32> {
  %w = arith.constant dense<0.5> : tensor<4x8x3x3xbf16>
  %b = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %y = nn.conv %x, %w, %b act relu {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x8x14x14xbf16>, tensor<4x8x3x3xbf16>, tensor<4xf32>) -> tensor<1x4x14x14xf32>
  return %y : tensor<1x4x14x14xf32>
}

// Stride 2: the gathered windows (bf16) times the filter as [F, C*KH*KW].
// CHECK-LABEL: func.func @bf16_conv_strided
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x8x3x3x7x7xbf16>)
// CHECK: tensor.collapse_shape {{.*}} into tensor<1x72x49xbf16>
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<4x72xbf16>, tensor<1x72x49xbf16>) outs(%{{.*}} : tensor<1x4x49xf32>)
func.func @bf16_conv_strided(%x: tensor<1x8x14x14xbf16>) -> tensor<1x4x7x7xf32> {
  %w = arith.constant dense<0.5> : tensor<4x8x3x3xbf16>
  %y = nn.conv %x, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x8x14x14xbf16>, tensor<4x8x3x3xbf16>) -> tensor<1x4x7x7xf32>
  return %y : tensor<1x4x7x7xf32>
}

// A matmul with a constant [1, K, N] rhs: lhs batch dims folded into M.
// CHECK-LABEL: func.func @bf16_matmul
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2]] : tensor<2x4x8xbf16> into tensor<8x8xbf16>
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<8x8xbf16>, tensor<8x3xbf16>) outs(%{{.*}} : tensor<8x3xf32>)
// CHECK: arith.mulf
// CHECK: tensor.expand_shape {{.*}} into tensor<2x4x3xf32>
func.func @bf16_matmul(%x: tensor<2x4x8xbf16>) -> tensor<2x4x3xf32> {
  %w = arith.constant dense<0.5> : tensor<1x8x3xbf16>
  %y = nn.matmul %x, %w : tensor<2x4x8xbf16>, tensor<1x8x3xbf16> -> tensor<2x4x3xf32>
  return %y : tensor<2x4x3xf32>
}

// No kernel form: a grouped convolution and a matmul whose rhs is not a
// constant extend both operands to f32 (exact) and take the float
// lowerings (depthwise conv, batch matmul).
// CHECK-LABEL: func.func @bf16_fallback
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: linalg.depthwise_conv_2d_nchw_chw
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: linalg.batch_matmul {{.*}} tensor<2x4x8xf32>, tensor<2x8x3xf32>
func.func @bf16_fallback(%x: tensor<1x8x14x14xbf16>, %a: tensor<2x4x8xbf16>, %b: tensor<2x8x3xbf16>) -> (tensor<1x8x14x14xf32>, tensor<2x4x3xf32>) {
  %w = arith.constant dense<0.5> : tensor<8x1x3x3xbf16>
  %y = nn.conv %x, %w {dilations = array<i64: 1, 1>, groups = 8 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x8x14x14xbf16>, tensor<8x1x3x3xbf16>) -> tensor<1x8x14x14xf32>
  %m = nn.matmul %a, %b : tensor<2x4x8xbf16>, tensor<2x8x3xbf16> -> tensor<2x4x3xf32>
  return %y, %m : tensor<1x8x14x14xf32>, tensor<2x4x3xf32>
}

// nn.qmatmul with an i32 result (MatMulInteger): the int32 product, then
// acc - zp * sum_k w[k, n] (zero point 3: 3 * [3, 6] = [9, 18]); no
// dequantization.
// CHECK-LABEL: func.func @qmatmul_i32
// CHECK: %[[ACC:.*]] = linalg.generic {{.*}} ins(%arg0, %{{.*}} : tensor<4x2xi8>, tensor<2x2xi8>) outs(%{{.*}} : tensor<4x2xi32>)
// CHECK: arith.muli
// CHECK: linalg.generic {{.*}} ins(%[[ACC]], %{{.*}} : tensor<4x2xi32>, tensor<2xi32>) outs(%[[ACC]] : tensor<4x2xi32>)
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.subi
// CHECK-NOT: sitofp
func.func @qmatmul_i32(%x: tensor<4x2xi8>) -> tensor<4x2xi32> {
  %w = arith.constant dense<[[1, 2], [2, 4]]> : tensor<2x2xi8>
  %s = arith.constant dense<1.0> : tensor<2xf32>
  %y = nn.qmatmul %x, %w, %s {lhs_scale = 1.0 : f32, lhs_zero_point = 3 : i64, lhs_unsigned} : tensor<4x2xi8>, tensor<2x2xi8>, tensor<2xf32> -> tensor<4x2xi32>
  return %y : tensor<4x2xi32>
}

// nn.int4_matmul: the batch dim folded into M; x viewed as [M, K/G, G/2, 2]
// and the codes re-typed as [K/G, G/2, N] so that every loop (m, n, g, j,
// p) is a dim of some operand; the body takes nibble p of the byte (shift
// by 4 p, mask 15), subtracts the zero point, scales and accumulates in
// f32 into zeros; the generic is marked for the CPU's int4 kernel; the
// bias follows.
// CHECK-LABEL: func @int4_matmul
// CHECK: tensor.collapse_shape %arg0 {{\[\[}}0, 1], [2]] : tensor<2x3x8xf32> into tensor<6x8xf32>
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0], [1, 2, 3]] output_shape [6, 2, 2, 2] : tensor<6x8xf32> into tensor<6x2x2x2xf32>
// CHECK: linalg.fill
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction"]
// CHECK-SAME: ins(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<6x2x2x2xf32>, tensor<2x2x3xi8>, tensor<2x3xf32>, tensor<2x3xf32>)
// CHECK-SAME: kiln.int4_product = 4 : i64
// CHECK: linalg.index 4
// CHECK: arith.shrui
// CHECK: arith.andi
// CHECK: arith.uitofp
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: linalg.generic
// CHECK: arith.addf
// CHECK: tensor.expand_shape
// MAPS-DAG: affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d3, d4)>
// MAPS-DAG: affine_map<(d0, d1, d2, d3, d4) -> (d2, d3, d1)>
// MAPS-DAG: affine_map<(d0, d1, d2, d3, d4) -> (d2, d1)>
func.func @int4_matmul(%x: tensor<2x3x8xf32>) -> tensor<2x3x3xf32> {
  %w = arith.constant dense<17> : tensor<4x3xi8>
  %s = arith.constant dense<0.5> : tensor<2x3xf32>
  %z = arith.constant dense<8> : tensor<2x3xi8>
  %b = arith.constant dense<1.0> : tensor<3xf32>
  %y = nn.int4_matmul %x, %w, %s, %z bias(%b : tensor<3xf32>) {group_size = 4 : i64} : tensor<2x3x8xf32>, tensor<4x3xi8>, tensor<2x3xf32>, tensor<2x3xi8> -> tensor<2x3x3xf32>
  return %y : tensor<2x3x3xf32>
}

// With lhs_int8 (W4A8) the activations are first rounded per row and group:
// max |x| over each group of 8 (a reduction), then q * sx with sx = max /
// 127 (1 for zeros) and q = clamp(roundeven(x / sx), -127, 127); the
// product generic reads them and is marked kiln.int4_lhs_int8.
// CHECK-LABEL: func @int4_matmul_lhs_int8
// CHECK: tensor.expand_shape %arg0 {{\[\[}}0], [1, 2]] output_shape [3, 2, 8] : tensor<3x16xf32> into tensor<3x2x8xf32>
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: math.absf
// CHECK: arith.maximumf
// CHECK: linalg.generic
// CHECK: arith.divf
// CHECK: arith.select
// CHECK: math.roundeven
// CHECK: arith.maximumf
// CHECK: arith.minimumf
// CHECK: arith.mulf
// CHECK: linalg.generic
// CHECK-SAME: kiln.int4_lhs_int8
// CHECK-SAME: kiln.int4_product = 8 : i64
func.func @int4_matmul_lhs_int8(%x: tensor<3x16xf32>) -> tensor<3x3xf32> {
  %w = arith.constant dense<17> : tensor<8x3xi8>
  %s = arith.constant dense<0.5> : tensor<2x3xf32>
  %z = arith.constant dense<8> : tensor<2x3xi8>
  %y = nn.int4_matmul %x, %w, %s, %z {group_size = 8 : i64, lhs_int8} : tensor<3x16xf32>, tensor<8x3xi8>, tensor<2x3xf32>, tensor<2x3xi8> -> tensor<3x3xf32>
  return %y : tensor<3x3xf32>
}
