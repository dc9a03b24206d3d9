// RUN: kiln-opt --convert-nn-to-linalg --split-input-file --verify-diagnostics %s

func.func @l2_int(%x: tensor<3x2xi64>) -> tensor<3xi64> {
  // expected-error @+1 {{reduction 'l2' needs a float element type}}
  %y = nn.reduce l2 %x {axes = array<i64: 1>, keepdims = false} : tensor<3x2xi64> -> tensor<3xi64>
  return %y : tensor<3xi64>
}

// -----

func.func @reduce_axes_bad_rank(%x: tensor<3x4xf32>, %a: tensor<1xi64>) -> tensor<?x?xf32> {
  // expected-error @+1 {{result rank must be 1}}
  %y = nn.reduce_axes sum %x, %a {keepdims = false, noop_with_empty_axes = false} : (tensor<3x4xf32>, tensor<1xi64>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}
