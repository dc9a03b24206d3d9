// RUN: kiln-opt --convert-onnx-to-nn --split-input-file --verify-diagnostics %s

func.func @argmax_bool(%x: tensor<2x3xi1>) -> tensor<2x1xi64> {
  // expected-error @+1 {{(ArgMax): element type 'i1' is not supported}}
  %y = "onnx.ArgMax"(%x) {axis = 1 : i64} : (tensor<2x3xi1>) -> tensor<2x1xi64>
  return %y : tensor<2x1xi64>
}

// -----

func.func @argmax_axis(%x: tensor<2x3xf32>) -> tensor<2x1xi64> {
  // expected-error @+1 {{axis 2 out of range for rank 2}}
  %y = "onnx.ArgMax"(%x) {axis = 2 : i64} : (tensor<2x3xf32>) -> tensor<2x1xi64>
  return %y : tensor<2x1xi64>
}

// -----

func.func @topk_k_too_large(%x: tensor<3x4xf32>) -> (tensor<3x5xf32>, tensor<3x5xi64>) {
  %k = onnx.Constant {value = dense<5> : tensor<1xi64>} : tensor<1xi64>
  // expected-error @+1 {{K = 5 is out of range for an axis of size 4}}
  %v, %i = "onnx.TopK"(%x, %k) : (tensor<3x4xf32>, tensor<1xi64>) -> (tensor<3x5xf32>, tensor<3x5xi64>)
  return %v, %i : tensor<3x5xf32>, tensor<3x5xi64>
}

// -----

func.func @cumsum_axis_not_scalar(%x: tensor<3x4xf32>, %a: tensor<2xi64>) -> tensor<3x4xf32> {
  // expected-error @+1 {{axis must be an integer scalar}}
  %y = "onnx.CumSum"(%x, %a) : (tensor<3x4xf32>, tensor<2xi64>) -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}

// -----

func.func @nms_f16(%b: tensor<1x6x4xf16>, %s: tensor<1x2x6xf16>) -> tensor<?x3xi64> {
  %n = onnx.NoValue
  // expected-error @+1 {{(NonMaxSuppression): boxes and scores must be f32}}
  %y = "onnx.NonMaxSuppression"(%b, %s, %n, %n, %n) : (tensor<1x6x4xf16>, tensor<1x2x6xf16>, none, none, none) -> tensor<?x3xi64>
  return %y : tensor<?x3xi64>
}

// -----

func.func @unique_two_dynamic_dims(%x: tensor<?x?xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{(Unique): an input with more than one dynamic dim is not supported}}
  %y = "onnx.Unique"(%x) : (tensor<?x?xf32>) -> tensor<?xf32>
  return %y : tensor<?xf32>
}

// -----

func.func @unique_bool_sorted(%x: tensor<4xi1>) -> tensor<?xi1> {
  // expected-error @+1 {{(Unique): element type 'i1' is not supported with sorted = 1}}
  %y = "onnx.Unique"(%x) : (tensor<4xi1>) -> tensor<?xi1>
  return %y : tensor<?xi1>
}
