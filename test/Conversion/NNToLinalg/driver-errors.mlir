// RUN: kiln-opt --convert-nn-to-linalg --split-input-file --verify-diagnostics %s

// The pass reports the first nn op that it cannot lower, in the order of the
// walk (operands before their users), and only that one.
func.func @first_only(%a: tensor<2x3x4xf32>, %b: tensor<4x5xf32>, %x: tensor<1x1x?x4x4xf32>) -> (tensor<2x3x5xf32>, tensor<1x1x?x2x2xf32>) {
  %r = nn.unary relu %a : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  // expected-error @+1 {{operands must have the result's rank (normalized form)}}
  %y = nn.matmul %r, %b : tensor<2x3x4xf32>, tensor<4x5xf32> -> tensor<2x3x5xf32>
  %p = nn.pool max %x {count_include_pad = false, dilations = array<i64: 1, 1, 1>, explicit_pads = array<i64: 0, 0, 0, 0, 0, 0>, kernel = array<i64: 2, 2, 2>, pads = array<i64: 0, 0, 0, 0, 0, 0>, strides = array<i64: 2, 2, 2>} : tensor<1x1x?x4x4xf32> -> tensor<1x1x?x2x2xf32>
  return %y, %p : tensor<2x3x5xf32>, tensor<1x1x?x2x2xf32>
}

// -----

// The ops in a region come before the op that holds the region, and before
// the ops that follow it.
func.func @region_first(%c: i1, %a: tensor<2x3x4xf32>, %b: tensor<4x5xf32>, %x: tensor<1x1x?x4x4xf32>) -> (tensor<1x1x?x2x2xf32>, tensor<2x3x5xf32>) {
  %r = scf.if %c -> (tensor<1x1x?x2x2xf32>) {
    // expected-error @+1 {{pooling with 3 or more spatial dims needs static spatial dims}}
    %p = nn.pool max %x {count_include_pad = false, dilations = array<i64: 1, 1, 1>, explicit_pads = array<i64: 0, 0, 0, 0, 0, 0>, kernel = array<i64: 2, 2, 2>, pads = array<i64: 0, 0, 0, 0, 0, 0>, strides = array<i64: 2, 2, 2>} : tensor<1x1x?x4x4xf32> -> tensor<1x1x?x2x2xf32>
    scf.yield %p : tensor<1x1x?x2x2xf32>
  } else {
    %q = nn.pool avg %x {count_include_pad = false, dilations = array<i64: 1, 1, 1>, explicit_pads = array<i64: 0, 0, 0, 0, 0, 0>, kernel = array<i64: 2, 2, 2>, pads = array<i64: 0, 0, 0, 0, 0, 0>, strides = array<i64: 2, 2, 2>} : tensor<1x1x?x4x4xf32> -> tensor<1x1x?x2x2xf32>
    scf.yield %q : tensor<1x1x?x2x2xf32>
  }
  %y = nn.matmul %a, %b : tensor<2x3x4xf32>, tensor<4x5xf32> -> tensor<2x3x5xf32>
  return %r, %y : tensor<1x1x?x2x2xf32>, tensor<2x3x5xf32>
}
