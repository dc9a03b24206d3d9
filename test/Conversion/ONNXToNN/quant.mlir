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

// CHECK-LABEL: func @det
// CHECK: nn.det %arg0 : tensor<3x2x2xf32> -> tensor<3xf32>
func.func @det(%x: tensor<3x2x2xf32>) -> tensor<3xf32> {
  %y = "onnx.Det"(%x) : (tensor<3x2x2xf32>) -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// DFT-20 form: the constant axis input becomes an attribute.
// CHECK-LABEL: func @dft
// CHECK: nn.dft %arg0 {axis = 2 : i64, inverse = false, length = 10 : i64, onesided = false}
func.func @dft(%x: tensor<1x10x10x1xf32>) -> tensor<1x10x10x2xf32> {
  %n = onnx.NoValue
  %a = onnx.Constant {value = dense<2> : tensor<i64>} : tensor<i64>
  %y = "onnx.DFT"(%x, %n, %a) : (tensor<1x10x10x1xf32>, none, tensor<i64>) -> tensor<1x10x10x2xf32>
  return %y : tensor<1x10x10x2xf32>
}

// CHECK-LABEL: func @grid
// CHECK: nn.grid_sample %arg0, %arg1 {align_corners = true, mode = "cubic", padding_mode = "border"}
func.func @grid(%x: tensor<1x1x4x4xf32>, %g: tensor<1x6x6x2xf32>) -> tensor<1x1x6x6xf32> {
  %y = "onnx.GridSample"(%x, %g) {mode = "cubic", padding_mode = "border", align_corners = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<1x6x6x2xf32>) -> tensor<1x1x6x6xf32>
  return %y : tensor<1x1x6x6xf32>
}

// n-grams shorter than min_gram_length get length 0 (never counted).
// CHECK-LABEL: func @tfidf
// CHECK: nn.tfidf %arg0 {lengths = array<i64: 0, 2, 2>, max_len = 2 : i64, max_skip = 1 : i64, mode = "TF", ngrams = array<i64: 4, -1, 5, 6, 6, 7>, out_index = array<i64: 2, 0, 1>
func.func @tfidf(%x: tensor<2x6xi32>) -> tensor<2x3xf32> {
  %y = "onnx.TfIdfVectorizer"(%x) {max_gram_length = 2 : i64, max_skip_count = 1 : i64, min_gram_length = 2 : i64, mode = "TF", ngram_counts = [0, 1], ngram_indexes = [2, 0, 1], pool_int64s = [4, 5, 6, 6, 7]} : (tensor<2x6xi32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
