// RUN: kiln-opt --convert-nn-to-linalg --split-input-file --verify-diagnostics %s

// nn.matmul must be in normalized (equal-rank) form.
func.func @matmul_rank(%a: tensor<2x3x4xf32>, %b: tensor<4x5xf32>) -> tensor<2x3x5xf32> {
  // expected-error @+1 {{operands must have the result's rank (normalized form)}}
  %y = nn.matmul %a, %b : tensor<2x3x4xf32>, tensor<4x5xf32> -> tensor<2x3x5xf32>
  return %y : tensor<2x3x5xf32>
}
