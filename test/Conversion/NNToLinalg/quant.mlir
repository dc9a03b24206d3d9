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

// Det: one generic over the batch; pivoting by selects.
// CHECK-LABEL: func @det
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel"]
// CHECK-COUNT-4: tensor.extract %arg0
// CHECK: arith.select
// CHECK: arith.mulf
func.func @det(%x: tensor<3x2x2xf32>) -> tensor<3xf32> {
  %y = nn.det %x : tensor<3x2x2xf32> -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// Window of run-time length: the size is read from the tensor.
// CHECK-LABEL: func @hann
// CHECK: %[[N:.*]] = tensor.extract %arg0[]
// CHECK: %[[I:.*]] = arith.index_cast %[[N]] : i32 to index
// CHECK: tensor.empty(%[[I]]) : tensor<?xf32>
// CHECK: linalg.generic
// CHECK: math.cos
func.func @hann(%n: tensor<i32>) -> tensor<?xf32> {
  %y = nn.window "hann" %n {periodic = true} : tensor<i32> -> tensor<?xf32>
  return %y : tensor<?xf32>
}

// DFT: f64 accumulation with two reduction dims (sample, component), then a
// conversion to the result type.
// CHECK-LABEL: func @dft
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction"]
// CHECK: math.cos
// CHECK: math.sin
// CHECK: arith.addf %{{.*}} : f64
// CHECK: linalg.generic
// CHECK: arith.truncf
func.func @dft(%x: tensor<2x8x1xf32>) -> tensor<2x5x2xf32> {
  %y = nn.dft %x {axis = 1 : i64, inverse = false, length = 8 : i64, onesided = true} : tensor<2x8x1xf32> -> tensor<2x5x2xf32>
  return %y : tensor<2x5x2xf32>
}

// CHECK-LABEL: func @grid
// CHECK: linalg.generic
// CHECK: math.roundeven
// CHECK: tensor.extract %arg0
func.func @grid(%x: tensor<1x1x4x4xf32>, %g: tensor<1x3x3x2xf32>) -> tensor<1x1x3x3xf32> {
  %y = nn.grid_sample %x, %g {align_corners = false, mode = "nearest", padding_mode = "zeros"} : (tensor<1x1x4x4xf32>, tensor<1x3x3x2xf32>) -> tensor<1x1x3x3xf32>
  return %y : tensor<1x1x3x3xf32>
}
