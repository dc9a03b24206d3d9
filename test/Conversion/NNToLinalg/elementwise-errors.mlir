// RUN: kiln-opt --split-input-file --verify-diagnostics %s

func.func @udiv_float(%a: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{udiv needs integer operands}}
  %y = nn.binary udiv %a, %a : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

func.func @selu_beta(%a: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{selu needs 'beta'}}
  %y = nn.unary selu %a {alpha = 1.0 : f32} : tensor<3xf32> -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

func.func @cos_int(%a: tensor<3xi32>) -> tensor<3xi32> {
  // expected-error @+1 {{cos needs a floating-point type}}
  %y = nn.unary cos %a : tensor<3xi32> -> tensor<3xi32>
  return %y : tensor<3xi32>
}

// -----

func.func @ge_result(%a: tensor<3xi32>) -> tensor<3xi32> {
  // expected-error @+1 {{result element type must be 'i1'}}
  %y = nn.binary ge %a, %a : tensor<3xi32>, tensor<3xi32> -> tensor<3xi32>
  return %y : tensor<3xi32>
}
