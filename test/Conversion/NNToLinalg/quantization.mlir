// RUN: kiln-opt --convert-nn-to-linalg %s | FileCheck %s

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
