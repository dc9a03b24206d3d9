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

// -----

func.func @attention_heads(%q: tensor<1x3x8x4xf32>, %k: tensor<1x2x8x4xf32>, %v: tensor<1x2x8x4xf32>) -> tensor<1x3x8x4xf32> {
  // expected-error @+1 {{the query heads (3) must be a multiple of the key/value heads (2)}}
  %o = nn.attention %q, %k, %v {scale = 1.0 : f32} : tensor<1x3x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x3x8x4xf32>
  return %o : tensor<1x3x8x4xf32>
}

// -----

func.func @attention_head_size(%q: tensor<2x8x4xf32>, %k: tensor<2x8x5xf32>, %v: tensor<2x8x4xf32>) -> tensor<2x8x4xf32> {
  // expected-error @+1 {{query and key must have the same head size}}
  %o = nn.attention %q, %k, %v {scale = 1.0 : f32} : tensor<2x8x4xf32>, tensor<2x8x5xf32>, tensor<2x8x4xf32> -> tensor<2x8x4xf32>
  return %o : tensor<2x8x4xf32>
}

// -----

func.func @attention_mask(%q: tensor<2x8x4xf32>, %k: tensor<2x6x4xf32>, %v: tensor<2x6x4xf32>, %m: tensor<1x8x8xf32>) -> tensor<2x8x4xf32> {
  // expected-error @+1 {{mask dim 2 (8) is neither 1 nor the scores' dim (6)}}
  %o = nn.attention %q, %k, %v mask(%m : tensor<1x8x8xf32>) {scale = 1.0 : f32} : tensor<2x8x4xf32>, tensor<2x6x4xf32>, tensor<2x6x4xf32> -> tensor<2x8x4xf32>
  return %o : tensor<2x8x4xf32>
}

// -----

func.func @attention_rank(%q: tensor<8x4xf32>, %k: tensor<8x4xf32>, %v: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{query must have rank 3 ([G, Lq, D]) or 4 ([B, H, Lq, D])}}
  %o = nn.attention %q, %k, %v {scale = 1.0 : f32} : tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32> -> tensor<8x4xf32>
  return %o : tensor<8x4xf32>
}

// -----

func.func @attention_scale(%q: tensor<2x8x4xf32>, %k: tensor<2x8x4xf32>, %v: tensor<2x8x4xf32>) -> tensor<2x8x4xf32> {
  // expected-error @+1 {{scale must be finite and nonzero}}
  %o = nn.attention %q, %k, %v {scale = 0.0 : f32} : tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<2x8x4xf32> -> tensor<2x8x4xf32>
  return %o : tensor<2x8x4xf32>
}
