// RUN: kiln-opt --split-input-file --verify-diagnostics --onnx-shape-inference %s | FileCheck %s

// Shape inference of the elementwise family (lib/Dialect/ONNX/Elementwise.cpp).

// CHECK-LABEL: func.func @broadcast
// CHECK: "onnx.Add"(%arg0, %arg1) : (tensor<2x1x4xf32>, tensor<3x1xf32>) -> tensor<2x3x4xf32>
// CHECK: "onnx.Equal"(%arg0, %arg1) : (tensor<2x1x4xf32>, tensor<3x1xf32>) -> tensor<2x3x4xi1>
// CHECK: "onnx.Max"(%arg0, %arg1, %arg2) : (tensor<2x1x4xf32>, tensor<3x1xf32>, tensor<?x1x1xf32>) -> tensor<2x3x4xf32>
func.func @broadcast(%a: tensor<2x1x4xf32>, %b: tensor<3x1xf32>, %c: tensor<?x1x1xf32>)
    -> (tensor<*xf32>, tensor<*xi1>, tensor<*xf32>) {
  %0 = "onnx.Add"(%a, %b) : (tensor<2x1x4xf32>, tensor<3x1xf32>) -> tensor<*xf32>
  %1 = "onnx.Equal"(%a, %b) : (tensor<2x1x4xf32>, tensor<3x1xf32>) -> tensor<*xi1>
  %2 = "onnx.Max"(%a, %b, %c) : (tensor<2x1x4xf32>, tensor<3x1xf32>, tensor<?x1x1xf32>) -> tensor<*xf32>
  return %0, %1, %2 : tensor<*xf32>, tensor<*xi1>, tensor<*xf32>
}

// -----

// CHECK-LABEL: func.func @unary
// CHECK: "onnx.Cos"(%arg0) : (tensor<?x3xf16>) -> tensor<?x3xf16>
// CHECK: "onnx.IsNaN"(%arg0) : (tensor<?x3xf16>) -> tensor<?x3xi1>
// CHECK: "onnx.Cast"(%arg0) {saturate = 1 : i64, to = 7 : i64} : (tensor<?x3xf16>) -> tensor<?x3xi64>
func.func @unary(%x: tensor<?x3xf16>) -> (tensor<*xf16>, tensor<*xi1>, tensor<*xi64>) {
  %0 = "onnx.Cos"(%x) : (tensor<?x3xf16>) -> tensor<*xf16>
  %1 = "onnx.IsNaN"(%x) : (tensor<?x3xf16>) -> tensor<*xi1>
  %2 = "onnx.Cast"(%x) {to = 7 : i64} : (tensor<?x3xf16>) -> tensor<*xi64>
  return %0, %1, %2 : tensor<*xf16>, tensor<*xi1>, tensor<*xi64>
}

// -----

func.func @not_broadcastable(%a: tensor<2x3xf32>, %b: tensor<4xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{operands are not broadcast-compatible: dimension 1 is 3 vs 4}}
  %0 = "onnx.Sub"(%a, %b) : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @float_only(%x: tensor<3xi32>) -> tensor<*xi32> {
  // expected-error @+1 {{input must be a floating-point tensor}}
  %0 = "onnx.Softplus"(%x) : (tensor<3xi32>) -> tensor<*xi32>
  return %0 : tensor<*xi32>
}

// -----

func.func @where_condition(%c: tensor<3xf32>, %x: tensor<3xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{condition must be a bool tensor}}
  %0 = "onnx.Where"(%c, %x, %x) : (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}
