// RUN: kiln-opt --split-input-file --verify-diagnostics %s

func.func @binary_rank(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{operand of type 'tensor<3xf32>' must have rank 2}}
  %y = nn.binary add %a, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @transpose_perm(%a: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{perm is not a permutation}}
  %y = nn.transpose %a {perm = array<i64: 0, 0>} : tensor<2x3xf32> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

func.func @unary_int(%a: tensor<2xi32>) -> tensor<2xi32> {
  // expected-error @+1 {{sigmoid needs a floating-point type}}
  %y = nn.unary sigmoid %a : tensor<2xi32> -> tensor<2xi32>
  return %y : tensor<2xi32>
}

// -----

func.func @slice_oob(%a: tensor<4xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{slice of dim 0 reads outside [0, 4)}}
  %y = nn.slice %a {offsets = array<i64: 2>, strides = array<i64: 1>} : tensor<4xf32> -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

func.func @ok(%a: tensor<?x3xf32>, %b: tensor<1x3xf32>) -> tensor<?x3xf32> {
  %y = nn.binary add %a, %b : tensor<?x3xf32>, tensor<1x3xf32> -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}
