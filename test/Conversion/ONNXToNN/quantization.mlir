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
