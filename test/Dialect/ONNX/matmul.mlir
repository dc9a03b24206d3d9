// RUN: kiln-opt --split-input-file --verify-diagnostics --onnx-shape-inference %s | FileCheck %s

// Shape inference of the matrix products (lib/Dialect/ONNX/Matmul.cpp).

// CHECK-LABEL: func.func @products
// CHECK: "onnx.MatMul"(%arg0, %arg1) : (tensor<5x2x3xf32>, tensor<3x4xf32>) -> tensor<5x2x4xf32>
// CHECK: "onnx.MatMul"(%arg1, %arg2) : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3xf32>
// CHECK: "onnx.Gemm"(%arg3, %arg1, %{{.*}}) {{{.*}}transA = 1 : i64{{.*}}} : (tensor<3x2xf32>, tensor<3x4xf32>, none) -> tensor<2x4xf32>
// CHECK: "onnx.Einsum"(%arg0, %arg1) {equation = "bij,jk->bik"} : (tensor<5x2x3xf32>, tensor<3x4xf32>) -> tensor<5x2x4xf32>
// CHECK: "onnx.Det"(%arg4) : (tensor<?x3x3xf32>) -> tensor<?xf32>
func.func @products(%a: tensor<5x2x3xf32>, %b: tensor<3x4xf32>, %v: tensor<4xf32>, %at: tensor<3x2xf32>,
                    %m: tensor<?x3x3xf32>)
    -> (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>) {
  %n = onnx.NoValue
  %0 = "onnx.MatMul"(%a, %b) : (tensor<5x2x3xf32>, tensor<3x4xf32>) -> tensor<*xf32>
  %1 = "onnx.MatMul"(%b, %v) : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<*xf32>
  %2 = "onnx.Gemm"(%at, %b, %n) {transA = 1 : i64} : (tensor<3x2xf32>, tensor<3x4xf32>, none) -> tensor<*xf32>
  %3 = "onnx.Einsum"(%a, %b) {equation = "bij,jk->bik"} : (tensor<5x2x3xf32>, tensor<3x4xf32>) -> tensor<*xf32>
  %4 = "onnx.Det"(%m) : (tensor<?x3x3xf32>) -> tensor<*xf32>
  return %0, %1, %2, %3, %4 : tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>
}

// -----

func.func @contraction(%a: tensor<2x3xf32>, %b: tensor<5x4xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{contraction dimensions differ: A has K = 3, B has K = 5}}
  %0 = "onnx.MatMul"(%a, %b) : (tensor<2x3xf32>, tensor<5x4xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @einsum_terms(%a: tensor<2x3xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{equation 'ij,jk->ik' has 2 operand terms for 1 inputs}}
  %0 = "onnx.Einsum"(%a) {equation = "ij,jk->ik"} : (tensor<2x3xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}
