// RUN: kiln-opt --convert-nn-to-linalg --split-input-file --verify-diagnostics %s

func.func @l2_int(%x: tensor<3x2xi64>) -> tensor<3xi64> {
  // expected-error @+1 {{reduction 'l2' needs a float element type}}
  %y = nn.reduce l2 %x {axes = array<i64: 1>, keepdims = false} : tensor<3x2xi64> -> tensor<3xi64>
  return %y : tensor<3xi64>
}
