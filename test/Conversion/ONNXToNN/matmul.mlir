// RUN: kiln-opt --convert-onnx-to-nn %s | FileCheck %s

// Gemm with transB on a constant: the transpose is folded at compile time,
// bias becomes a broadcast add of rank-equalized operands.
// CHECK-LABEL: func @gemm
func.func @gemm(%x: tensor<?x3xf32>) -> tensor<?x2xf32> {
  %w = onnx.Constant {value = dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>} : tensor<2x3xf32>
  %b = onnx.Constant {value = dense<[0.5, -0.5]> : tensor<2xf32>} : tensor<2xf32>
  // CHECK-DAG: %[[WT:.*]] = arith.constant dense_resource<kiln_transposed> : tensor<3x2xf32>
  // CHECK-DAG: %[[B:.*]] = arith.constant dense<[5.000000e-01, -5.000000e-01]> : tensor<2xf32>
  // CHECK: %[[MM:.*]] = nn.matmul %arg0, %[[WT]] : tensor<?x3xf32>, tensor<3x2xf32> -> tensor<?x2xf32>
  // CHECK: %[[B2:.*]] = nn.reshape %[[B]] : (tensor<2xf32>) -> tensor<1x2xf32>
  // CHECK: nn.binary add %[[MM]], %[[B2]] : tensor<?x2xf32>, tensor<1x2xf32> -> tensor<?x2xf32>
  %y = "onnx.Gemm"(%x, %w, %b) {transB = 1 : i64} : (tensor<?x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// MatMul with a lower-rank weight is rank-equalized with leading unit dims.
// CHECK-LABEL: func @matmul_broadcast
// CHECK: %[[W3:.*]] = nn.reshape %{{.*}} : (tensor<4x5xf32>) -> tensor<1x4x5xf32>
// CHECK: nn.matmul %arg0, %[[W3]] : tensor<?x3x4xf32>, tensor<1x4x5xf32> -> tensor<?x3x5xf32>
func.func @matmul_broadcast(%x: tensor<?x3x4xf32>) -> tensor<?x3x5xf32> {
  %w = onnx.Constant {value = dense<1.0> : tensor<4x5xf32>} : tensor<4x5xf32>
  %y = "onnx.MatMul"(%x, %w) : (tensor<?x3x4xf32>, tensor<4x5xf32>) -> tensor<?x3x5xf32>
  return %y : tensor<?x3x5xf32>
}

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

// CHECK-LABEL: func @det
// CHECK: nn.det %arg0 : tensor<3x2x2xf32> -> tensor<3xf32>
func.func @det(%x: tensor<3x2x2xf32>) -> tensor<3xf32> {
  %y = "onnx.Det"(%x) : (tensor<3x2x2xf32>) -> tensor<3xf32>
  return %y : tensor<3xf32>
}
