// RUN: kiln-opt --convert-onnx-to-nn %s | FileCheck %s

// Per-axis QuantizeLinear: scale and zero point become [1, 3, 1]; uint8
// output (output_dtype 2) is an unsigned nn.quantize.
// CHECK-LABEL: func @quantize_axis
// CHECK: %[[S:.*]] = nn.reshape %arg1 : (tensor<3xf32>) -> tensor<1x3x1xf32>
// CHECK: %[[Z:.*]] = nn.reshape %arg2 : (tensor<3xi8>) -> tensor<1x3x1xi8>
// CHECK: nn.quantize %arg0, %[[S]], %[[Z]] {unsigned_result} : (tensor<1x3x2xf32>, tensor<1x3x1xf32>, tensor<1x3x1xi8>) -> tensor<1x3x2xi8>
func.func @quantize_axis(%x: tensor<1x3x2xf32>, %s: tensor<3xf32>, %z: tensor<3xi8>) -> tensor<1x3x2xi8> {
  %y = "onnx.QuantizeLinear"(%x, %s, %z) {output_dtype = 2 : i64} : (tensor<1x3x2xf32>, tensor<3xf32>, tensor<3xi8>) -> tensor<1x3x2xi8>
  return %y : tensor<1x3x2xi8>
}

// int8 output: signed saturation.
// CHECK-LABEL: func @quantize_int8
// CHECK: nn.quantize %arg0, %{{.*}}, %{{.*}} : (tensor<4xf32>, tensor<1xf32>, tensor<1xi8>) -> tensor<4xi8>
func.func @quantize_int8(%x: tensor<4xf32>, %s: tensor<f32>, %z: tensor<i8>) -> tensor<4xi8> {
  %y = "onnx.QuantizeLinear"(%x, %s, %z) {output_dtype = 3 : i64} : (tensor<4xf32>, tensor<f32>, tensor<i8>) -> tensor<4xi8>
  return %y : tensor<4xi8>
}

// CHECK-LABEL: func @dequantize
// CHECK: nn.dequantize %arg0, %{{.*}}, %{{.*}} {unsigned_input} : (tensor<4xi8>, tensor<1xf32>, tensor<1xi8>) -> tensor<4xf32>
func.func @dequantize(%x: tensor<4xi8>, %s: tensor<f32>, %z: tensor<i8>) -> tensor<4xf32> {
  %y = "onnx.DequantizeLinear"(%x, %s, %z) {input_dtypes = [2, 1, 2]} : (tensor<4xi8>, tensor<f32>, tensor<i8>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// DynamicQuantizeLinear: range including 0, scale = range / 255, the zero
// point is the quantized -min.
// CHECK-LABEL: func @dynamic
// CHECK: %[[MX:.*]] = nn.reduce max %arg0
// CHECK: %[[MX0:.*]] = nn.clamp %[[MX]] {min = 0.000000e+00 : f64}
// CHECK: %[[MN:.*]] = nn.reduce min %arg0
// CHECK: %[[MN0:.*]] = nn.clamp %[[MN]] {max = 0.000000e+00 : f64}
// CHECK: %[[R:.*]] = nn.binary sub %[[MX0]], %[[MN0]]
// CHECK: %[[SC:.*]] = nn.binary div %[[R]]
// CHECK: %[[NEG:.*]] = nn.unary neg %[[MN0]]
// CHECK: %[[ZP:.*]] = nn.quantize %[[NEG]], %[[SC]] {unsigned_result} : (tensor<f32>, tensor<f32>) -> tensor<i8>
// CHECK: %[[Y:.*]] = nn.quantize %arg0, %{{.*}}, %{{.*}} {unsigned_result} : (tensor<6xf32>, tensor<1xf32>, tensor<1xi8>) -> tensor<6xi8>
// CHECK: return %[[Y]], %[[SC]], %[[ZP]]
func.func @dynamic(%x: tensor<6xf32>) -> (tensor<6xi8>, tensor<f32>, tensor<i8>) {
  %y:3 = "onnx.DynamicQuantizeLinear"(%x) : (tensor<6xf32>) -> (tensor<6xi8>, tensor<f32>, tensor<i8>)
  return %y#0, %y#1, %y#2 : tensor<6xi8>, tensor<f32>, tensor<i8>
}

// MatMulInteger: uint8 A (zero-extended) and int8 B (sign-extended) to i32,
// zero points subtracted, i32 matmul.
// CHECK-LABEL: func @matmul_integer
// CHECK: %[[A:.*]] = nn.cast %arg0 {unsigned_src} : tensor<4x3xi8> -> tensor<4x3xi32>
// CHECK: %[[B:.*]] = nn.cast %arg1 : tensor<3x2xi8> -> tensor<3x2xi32>
// CHECK: %[[ZA:.*]] = nn.cast %arg2 {unsigned_src} : tensor<1xi8> -> tensor<1xi32>
// CHECK: %[[A2:.*]] = nn.binary sub %[[A]], %{{.*}} : tensor<4x3xi32>, tensor<1x1xi32> -> tensor<4x3xi32>
// CHECK: %[[B2:.*]] = nn.binary sub %[[B]], %{{.*}} : tensor<3x2xi32>, tensor<1x1xi32> -> tensor<3x2xi32>
// CHECK: nn.matmul %[[A2]], %[[B2]] : tensor<4x3xi32>, tensor<3x2xi32> -> tensor<4x2xi32>
func.func @matmul_integer(%a: tensor<4x3xi8>, %b: tensor<3x2xi8>, %za: tensor<1xi8>, %zb: tensor<1xi8>) -> tensor<4x2xi32> {
  %y = "onnx.MatMulInteger"(%a, %b, %za, %zb) {input_dtypes = [2, 3, 2, 3]} : (tensor<4x3xi8>, tensor<3x2xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<4x2xi32>
  return %y : tensor<4x2xi32>
}

// MatMulInteger with constant int8 weights: the exact int32 accumulators on
// the int8 kernel (nn.qmatmul with an i32 result), the constant zero point
// of A as its attribute, B's zero point (2) folded into the weights (3 - 2,
// -1 - 2, ...), unit scales unused.
// CHECK-LABEL: func @matmul_integer_kernel
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[}}1, -3], [0, 5], [-2, 2]]> : tensor<3x2xi8>
// CHECK-DAG: %[[S:.*]] = arith.constant dense<1.000000e+00> : tensor<2xf32>
// CHECK: %[[Y:.*]] = nn.qmatmul %arg0, %[[W]], %[[S]] {lhs_scale = 1.000000e+00 : f32, lhs_unsigned, lhs_zero_point = 200 : i64} : tensor<4x3xi8>, tensor<3x2xi8>, tensor<2xf32> -> tensor<4x2xi32>
// CHECK-NOT: nn.matmul
// CHECK: return %[[Y]]
func.func @matmul_integer_kernel(%a: tensor<4x3xi8>) -> tensor<4x2xi32> {
  %b = onnx.Constant {value = dense<[[3, -1], [2, 7], [0, 4]]> : tensor<3x2xi8>} : tensor<3x2xi8>
  %za = onnx.Constant {value = dense<-56> : tensor<i8>} : tensor<i8>
  %zb = onnx.Constant {value = dense<2> : tensor<i8>} : tensor<i8>
  %y = "onnx.MatMulInteger"(%a, %b, %za, %zb) {input_dtypes = [2, 3, 2, 3]} : (tensor<4x3xi8>, tensor<3x2xi8>, tensor<i8>, tensor<i8>) -> tensor<4x2xi32>
  return %y : tensor<4x2xi32>
}

// A run-time zero point (DynamicQuantizeLinear's): the kernel with zero
// point 0, then zp * sum_k w[k, n] ([4, 3]) subtracted.
// CHECK-LABEL: func @matmul_integer_dynamic
// CHECK: %[[Y:.*]] = nn.qmatmul %arg0, %{{.*}}, %{{.*}} {lhs_scale = 1.000000e+00 : f32, lhs_unsigned, lhs_zero_point = 0 : i64} : tensor<4x3xi8>, tensor<3x2xi8>, tensor<2xf32> -> tensor<4x2xi32>
// CHECK-DAG: %[[WS:.*]] = arith.constant dense<{{\[\[}}5, 10]]> : tensor<1x2xi32>
// CHECK-DAG: %[[Z:.*]] = nn.cast %arg1 {unsigned_src} : tensor<i8> -> tensor<i32>
// CHECK: %[[T:.*]] = nn.binary mul %{{.*}}, %[[WS]] : tensor<1x1xi32>, tensor<1x2xi32> -> tensor<1x2xi32>
// CHECK: nn.binary sub %[[Y]], %[[T]] : tensor<4x2xi32>, tensor<1x2xi32> -> tensor<4x2xi32>
func.func @matmul_integer_dynamic(%a: tensor<4x3xi8>, %za: tensor<i8>) -> tensor<4x2xi32> {
  %b = onnx.Constant {value = dense<[[3, -1], [2, 7], [0, 4]]> : tensor<3x2xi8>} : tensor<3x2xi8>
  %nv = onnx.NoValue
  %y = "onnx.MatMulInteger"(%a, %b, %za, %nv) {input_dtypes = [2, 3, 2]} : (tensor<4x3xi8>, tensor<3x2xi8>, tensor<i8>, none) -> tensor<4x2xi32>
  return %y : tensor<4x2xi32>
}

// QDQ: Conv between DequantizeLinear nodes (uint8 activation per tensor,
// int8 weights per output channel, zero point 0) reads the quantized
// tensor and the weights' int8 values: nn.qconv, f32 result, float bias.
// CHECK-LABEL: func @qdq_conv
// CHECK: %[[B:.*]] = arith.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK: %[[W:.*]] = arith.constant dense<{{\[\[\[\[}}1, -2]]], {{\[\[\[}}3, 127]]]]> : tensor<2x1x1x2xi8>
// CHECK: %[[S:.*]] = arith.constant dense<[2.500000e-01, 1.250000e-01]> : tensor<2xf32>
// CHECK: %[[Y:.*]] = nn.qconv %arg0, %[[W]], %[[S]] bias(%[[B]] : tensor<2xf32>) {{{.*}}groups = 1 : i64, input_scale = 5.000000e-01 : f32, input_unsigned, input_zero_point = 128 : i64{{.*}}} : tensor<1x1x3x3xi8>, tensor<2x1x1x2xi8>, tensor<2xf32> -> tensor<1x2x3x2xf32>
// CHECK: return %[[Y]]
func.func @qdq_conv(%xq: tensor<1x1x3x3xi8>) -> tensor<1x2x3x2xf32> {
  %xs = onnx.Constant {value = dense<0.5> : tensor<f32>} : tensor<f32>
  %xz = onnx.Constant {value = dense<-128> : tensor<i8>} : tensor<i8>
  %x = "onnx.DequantizeLinear"(%xq, %xs, %xz) {input_dtypes = [2, 1, 2]} : (tensor<1x1x3x3xi8>, tensor<f32>, tensor<i8>) -> tensor<1x1x3x3xf32>
  %wq = onnx.Constant {value = dense<[[[[1, -2]]], [[[3, 127]]]]> : tensor<2x1x1x2xi8>} : tensor<2x1x1x2xi8>
  %ws = onnx.Constant {value = dense<[0.25, 0.125]> : tensor<2xf32>} : tensor<2xf32>
  %wz = onnx.Constant {value = dense<0> : tensor<2xi8>} : tensor<2xi8>
  %w = "onnx.DequantizeLinear"(%wq, %ws, %wz) {axis = 0 : i64, input_dtypes = [3, 1, 3]} : (tensor<2x1x1x2xi8>, tensor<2xf32>, tensor<2xi8>) -> tensor<2x1x1x2xf32>
  %b = onnx.Constant {value = dense<[1.0, 2.0]> : tensor<2xf32>} : tensor<2xf32>
  %y = "onnx.Conv"(%x, %w, %b) : (tensor<1x1x3x3xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>) -> tensor<1x2x3x2xf32>
  return %y : tensor<1x2x3x2xf32>
}

// Gemm with transB: the int8 weights [N, K] quantized per row (axis 0) are
// transposed to [K, N]; alpha multiplies the weight scales; C is the bias.
// CHECK-LABEL: func @qdq_gemm_transb
// CHECK: %[[C:.*]] = arith.constant dense<[1.000000e+00, -1.000000e+00]> : tensor<2xf32>
// CHECK: %[[W:.*]] = arith.constant dense<{{\[\[}}1, 4], [2, 5], [3, 6]]> : tensor<3x2xi8>
// CHECK: %[[S:.*]] = arith.constant dense<[1.250000e-01, 6.250000e-02]> : tensor<2xf32>
// CHECK: nn.qmatmul %arg0, %[[W]], %[[S]] bias(%[[C]] : tensor<2xf32>) {lhs_scale = 2.500000e-01 : f32, lhs_zero_point = -3 : i64} : tensor<4x3xi8>, tensor<3x2xi8>, tensor<2xf32> -> tensor<4x2xf32>
func.func @qdq_gemm_transb(%aq: tensor<4x3xi8>) -> tensor<4x2xf32> {
  %nv = onnx.NoValue
  %as = onnx.Constant {value = dense<0.25> : tensor<f32>} : tensor<f32>
  %az = onnx.Constant {value = dense<-3> : tensor<i8>} : tensor<i8>
  %a = "onnx.DequantizeLinear"(%aq, %as, %az) {input_dtypes = [3, 1, 3]} : (tensor<4x3xi8>, tensor<f32>, tensor<i8>) -> tensor<4x3xf32>
  %wq = onnx.Constant {value = dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi8>} : tensor<2x3xi8>
  %ws = onnx.Constant {value = dense<[0.25, 0.125]> : tensor<2xf32>} : tensor<2xf32>
  %w = "onnx.DequantizeLinear"(%wq, %ws, %nv) {axis = 0 : i64, input_dtypes = [3, 1]} : (tensor<2x3xi8>, tensor<2xf32>, none) -> tensor<2x3xf32>
  %c = onnx.Constant {value = dense<[1.0, -1.0]> : tensor<2xf32>} : tensor<2xf32>
  %y = "onnx.Gemm"(%a, %w, %c) {transB = 1 : i64, alpha = 0.5 : f32} : (tensor<4x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// Weights quantized per row of K (axis 0 of [K, N]) have no per-column
// scale: the float lowering runs on the dequantized operands.
// CHECK-LABEL: func @qdq_matmul_axis0_float
// CHECK-NOT: nn.qmatmul
// CHECK: %[[A:.*]] = nn.dequantize %arg0
// CHECK: nn.matmul %[[A]], %{{.*}} : tensor<4x3xf32>, tensor<3x2xf32> -> tensor<4x2xf32>
func.func @qdq_matmul_axis0_float(%aq: tensor<4x3xi8>) -> tensor<4x2xf32> {
  %nv = onnx.NoValue
  %as = onnx.Constant {value = dense<0.25> : tensor<f32>} : tensor<f32>
  %a = "onnx.DequantizeLinear"(%aq, %as, %nv) {input_dtypes = [3, 1]} : (tensor<4x3xi8>, tensor<f32>, none) -> tensor<4x3xf32>
  %wq = onnx.Constant {value = dense<[[1, 2], [3, 4], [5, 6]]> : tensor<3x2xi8>} : tensor<3x2xi8>
  %ws = onnx.Constant {value = dense<[0.25, 0.125, 0.5]> : tensor<3xf32>} : tensor<3xf32>
  %w = "onnx.DequantizeLinear"(%wq, %ws, %nv) {axis = 0 : i64, input_dtypes = [3, 1]} : (tensor<3x2xi8>, tensor<3xf32>, none) -> tensor<3x2xf32>
  %y = "onnx.MatMul"(%a, %w) : (tensor<4x3xf32>, tensor<3x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// A run-time (non-constant) activation scale and a grouped convolution
// (two groups of two channels: no int8 kernel) keep the float lowering.
// CHECK-LABEL: func @qdq_not_fused
// CHECK-NOT: nn.qconv
// CHECK: nn.conv
// CHECK: nn.conv {{.*}}groups = 2
func.func @qdq_not_fused(%xq: tensor<1x2x3x3xi8>, %xs: tensor<f32>, %gq: tensor<1x4x3x3xi8>) -> (tensor<1x2x3x3xf32>, tensor<1x4x3x3xf32>) {
  %nv = onnx.NoValue
  %x = "onnx.DequantizeLinear"(%xq, %xs, %nv) {input_dtypes = [3, 1]} : (tensor<1x2x3x3xi8>, tensor<f32>, none) -> tensor<1x2x3x3xf32>
  %s = onnx.Constant {value = dense<0.5> : tensor<f32>} : tensor<f32>
  %x2 = "onnx.DequantizeLinear"(%gq, %s, %nv) {input_dtypes = [3, 1]} : (tensor<1x4x3x3xi8>, tensor<f32>, none) -> tensor<1x4x3x3xf32>
  %wq = onnx.Constant {value = dense<1> : tensor<2x2x1x1xi8>} : tensor<2x2x1x1xi8>
  %w = "onnx.DequantizeLinear"(%wq, %s, %nv) {input_dtypes = [3, 1]} : (tensor<2x2x1x1xi8>, tensor<f32>, none) -> tensor<2x2x1x1xf32>
  %gwq = onnx.Constant {value = dense<1> : tensor<4x2x1x1xi8>} : tensor<4x2x1x1xi8>
  %gw = "onnx.DequantizeLinear"(%gwq, %s, %nv) {input_dtypes = [3, 1]} : (tensor<4x2x1x1xi8>, tensor<f32>, none) -> tensor<4x2x1x1xf32>
  %y = "onnx.Conv"(%x, %w, %nv) : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x3x3xf32>
  %z = "onnx.Conv"(%x2, %gw, %nv) {group = 2 : i64} : (tensor<1x4x3x3xf32>, tensor<4x2x1x1xf32>, none) -> tensor<1x4x3x3xf32>
  return %y, %z : tensor<1x2x3x3xf32>, tensor<1x4x3x3xf32>
}

// A depthwise convolution (one filter per channel) on the int8 depthwise
// form: nn.qconv with the groups, its int8 input signed (no
// input_unsigned).
// CHECK-LABEL: func @qdq_depthwise
// CHECK: nn.qconv %arg0, {{.*}}groups = 2 : i64, input_scale = 5.000000e-01 : f32, input_zero_point = 0 : i64{{.*}} : tensor<1x2x3x3xi8>, tensor<2x1x1x1xi8>, tensor<2xf32> -> tensor<1x2x3x3xf32>
func.func @qdq_depthwise(%xq: tensor<1x2x3x3xi8>) -> tensor<1x2x3x3xf32> {
  %nv = onnx.NoValue
  %s = onnx.Constant {value = dense<0.5> : tensor<f32>} : tensor<f32>
  %x = "onnx.DequantizeLinear"(%xq, %s, %nv) {input_dtypes = [3, 1]} : (tensor<1x2x3x3xi8>, tensor<f32>, none) -> tensor<1x2x3x3xf32>
  %dq = onnx.Constant {value = dense<1> : tensor<2x1x1x1xi8>} : tensor<2x1x1x1xi8>
  %dw = "onnx.DequantizeLinear"(%dq, %s, %nv) {input_dtypes = [3, 1]} : (tensor<2x1x1x1xi8>, tensor<f32>, none) -> tensor<2x1x1x1xf32>
  %z = "onnx.Conv"(%x, %dw, %nv) {group = 2 : i64} : (tensor<1x2x3x3xf32>, tensor<2x1x1x1xf32>, none) -> tensor<1x2x3x3xf32>
  return %z : tensor<1x2x3x3xf32>
}
