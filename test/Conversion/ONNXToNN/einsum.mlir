// RUN: kiln-opt --convert-onnx-to-nn %s | FileCheck %s

// Ellipsis dims get letters no operand uses, right-aligned and broadcast;
// the output is made explicit.
// CHECK-LABEL: func @batch_matmul_ellipsis
// CHECK: nn.einsum %arg0, %arg1 {equation = "abij,bjk->abik"} : (tensor<2x1x3x4xf32>, tensor<5x4x6xf32>) -> tensor<2x5x3x6xf32>
func.func @batch_matmul_ellipsis(%a: tensor<2x1x3x4xf32>, %b: tensor<5x4x6xf32>) -> tensor<2x5x3x6xf32> {
  %y = "onnx.Einsum"(%a, %b) {equation = "...ij, ...jk -> ...ik"} : (tensor<2x1x3x4xf32>, tensor<5x4x6xf32>) -> tensor<2x5x3x6xf32>
  return %y : tensor<2x5x3x6xf32>
}

// Implicit output: letters that appear once, in alphabetical order.
// CHECK-LABEL: func @implicit
// CHECK: nn.einsum %arg0, %arg1 {equation = "ij,jk->ik"}
func.func @implicit(%a: tensor<3x4xf64>, %b: tensor<4x5xf64>) -> tensor<3x5xf64> {
  %y = "onnx.Einsum"(%a, %b) {equation = "ij,jk"} : (tensor<3x4xf64>, tensor<4x5xf64>) -> tensor<3x5xf64>
  return %y : tensor<3x5xf64>
}

// Diagonal of the trailing two dims; a scalar inner product.
// CHECK-LABEL: func @diagonal
// CHECK: nn.einsum %arg0 {equation = "aii->ai"} : (tensor<3x5x5xf32>) -> tensor<3x5xf32>
// CHECK: nn.einsum %arg1, %arg1 {equation = "i,i->"} : (tensor<7xf32>, tensor<7xf32>) -> tensor<f32>
func.func @diagonal(%a: tensor<3x5x5xf32>, %v: tensor<7xf32>) -> (tensor<3x5xf32>, tensor<f32>) {
  %y = "onnx.Einsum"(%a) {equation = "...ii->...i"} : (tensor<3x5x5xf32>) -> tensor<3x5xf32>
  %z = "onnx.Einsum"(%v, %v) {equation = "i,i"} : (tensor<7xf32>, tensor<7xf32>) -> tensor<f32>
  return %y, %z : tensor<3x5xf32>, tensor<f32>
}
