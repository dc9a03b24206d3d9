// RUN: kiln-opt --convert-onnx-to-nn --split-input-file --verify-diagnostics %s

func.func @terms(%a: tensor<3x4xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{equation 'ij,jk->i' has 2 operand terms for 1 inputs}}
  %y = "onnx.Einsum"(%a) {equation = "ij,jk->i"} : (tensor<3x4xf32>) -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

func.func @rank(%a: tensor<3x4xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{term 'ijk' does not match an operand of rank 2}}
  %y = "onnx.Einsum"(%a) {equation = "ijk->i"} : (tensor<3x4xf32>) -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

func.func @sizes(%a: tensor<3x4xf32>, %b: tensor<5x6xf32>) -> tensor<3x6xf32> {
  // expected-error @+1 {{subscript dims disagree: 4 vs 5}}
  %y = "onnx.Einsum"(%a, %b) {equation = "ij,jk->ik"} : (tensor<3x4xf32>, tensor<5x6xf32>) -> tensor<3x6xf32>
  return %y : tensor<3x6xf32>
}

// -----

func.func @output_letter(%a: tensor<3x4xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{output subscript not among the inputs in 'ij->k'}}
  %y = "onnx.Einsum"(%a) {equation = "ij->k"} : (tensor<3x4xf32>) -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

func.func @det_too_large(%x: tensor<9x9xf32>) -> tensor<f32> {
  // expected-error @+1 {{only static matrix sizes up to 8 x 8 are supported}}
  %y = "onnx.Det"(%x) : (tensor<9x9xf32>) -> tensor<f32>
  return %y : tensor<f32>
}
