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

// -----

func.func @qconv_float_input(%x: tensor<1x2x4x4xf32>, %w: tensor<3x2x1x1xi8>, %s: tensor<3xf32>) -> tensor<1x3x4x4xf32> {
  // expected-error @+1 {{activations and weights must be i8 tensors}}
  %y = nn.qconv %x, %w, %s {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, input_scale = 0.1 : f32, input_zero_point = 0 : i64, input_unsigned} : tensor<1x2x4x4xf32>, tensor<3x2x1x1xi8>, tensor<3xf32> -> tensor<1x3x4x4xf32>
  return %y : tensor<1x3x4x4xf32>
}

// -----

func.func @qconv_scale_count(%x: tensor<1x2x4x4xi8>, %w: tensor<3x2x1x1xi8>, %s: tensor<2xf32>) -> tensor<1x3x4x4xf32> {
  // expected-error @+1 {{weight scale has 2 entries for 3 output channels}}
  %y = nn.qconv %x, %w, %s {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, input_scale = 0.1 : f32, input_zero_point = 0 : i64, input_unsigned} : tensor<1x2x4x4xi8>, tensor<3x2x1x1xi8>, tensor<2xf32> -> tensor<1x3x4x4xf32>
  return %y : tensor<1x3x4x4xf32>
}

// -----

func.func @qconv_zero_point(%x: tensor<1x2x4x4xi8>, %w: tensor<3x2x1x1xi8>, %s: tensor<3xf32>) -> tensor<1x3x4x4xf32> {
  // expected-error @+1 {{zero point 200 is outside [-128, 127]}}
  %y = nn.qconv %x, %w, %s {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, input_scale = 0.1 : f32, input_zero_point = 200 : i64} : tensor<1x2x4x4xi8>, tensor<3x2x1x1xi8>, tensor<3xf32> -> tensor<1x3x4x4xf32>
  return %y : tensor<1x3x4x4xf32>
}

// -----

func.func @qmatmul_scale(%x: tensor<4x2xi8>, %w: tensor<2x3xi8>, %s: tensor<3xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{activation scale must be positive and finite (got 0}}
  %y = nn.qmatmul %x, %w, %s {lhs_scale = 0.0 : f32, lhs_zero_point = 0 : i64, lhs_unsigned} : tensor<4x2xi8>, tensor<2x3xi8>, tensor<3xf32> -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}

// -----

func.func @qmatmul_rhs_rank(%x: tensor<4x2xi8>, %w: tensor<1x2x3xi8>, %s: tensor<3xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{lhs must have rank >= 2 and rhs rank 2}}
  %y = nn.qmatmul %x, %w, %s {lhs_scale = 1.0 : f32, lhs_zero_point = 0 : i64, lhs_unsigned} : tensor<4x2xi8>, tensor<1x2x3xi8>, tensor<3xf32> -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}

// -----

func.func @qmatmul_i32_bias(%x: tensor<4x2xi8>, %w: tensor<2x3xi8>, %s: tensor<3xf32>, %b: tensor<3xf32>) -> tensor<4x3xi32> {
  // expected-error @+1 {{an i32 result (the int32 accumulators) takes no bias, residual or activation}}
  %y = nn.qmatmul %x, %w, %s bias(%b : tensor<3xf32>) {lhs_scale = 1.0 : f32, lhs_zero_point = 0 : i64, lhs_unsigned} : tensor<4x2xi8>, tensor<2x3xi8>, tensor<3xf32> -> tensor<4x3xi32>
  return %y : tensor<4x3xi32>
}

// -----

func.func @qmatmul_i16(%x: tensor<4x2xi8>, %w: tensor<2x3xi8>, %s: tensor<3xf32>) -> tensor<4x3xi16> {
  // expected-error @+1 {{result must be f32 or i32}}
  %y = nn.qmatmul %x, %w, %s {lhs_scale = 1.0 : f32, lhs_zero_point = 0 : i64, lhs_unsigned} : tensor<4x2xi8>, tensor<2x3xi8>, tensor<3xf32> -> tensor<4x3xi16>
  return %y : tensor<4x3xi16>
}

// -----

func.func @qconv_i32_act(%x: tensor<1x2x4x4xi8>, %w: tensor<3x2x1x1xi8>, %s: tensor<3xf32>) -> tensor<1x3x4x4xi32> {
  // expected-error @+1 {{an i32 result (the int32 accumulators) takes no bias, residual or activation}}
  %y = nn.qconv %x, %w, %s act relu {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, input_scale = 1.0 : f32, input_zero_point = 0 : i64} : tensor<1x2x4x4xi8>, tensor<3x2x1x1xi8>, tensor<3xf32> -> tensor<1x3x4x4xi32>
  return %y : tensor<1x3x4x4xi32>
}

// -----

func.func @int4_group_odd(%x: tensor<4x6xf32>, %w: tensor<3x2xi8>, %s: tensor<2x2xf32>, %z: tensor<2x2xi8>) -> tensor<4x2xf32> {
  // expected-error @+1 {{group_size must be even and >= 2 (got 3)}}
  %y = nn.int4_matmul %x, %w, %s, %z {group_size = 3 : i64} : tensor<4x6xf32>, tensor<3x2xi8>, tensor<2x2xf32>, tensor<2x2xi8> -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

func.func @int4_k(%x: tensor<4x8xf32>, %w: tensor<3x2xi8>, %s: tensor<3x2xf32>, %z: tensor<3x2xi8>) -> tensor<4x2xf32> {
  // expected-error @+1 {{lhs has K = 8 but rhs packs K = 6}}
  %y = nn.int4_matmul %x, %w, %s, %z {group_size = 2 : i64} : tensor<4x8xf32>, tensor<3x2xi8>, tensor<3x2xf32>, tensor<3x2xi8> -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

func.func @int4_groups(%x: tensor<4x8xf32>, %w: tensor<4x2xi8>, %s: tensor<2x2xf32>, %z: tensor<2x2xi8>) -> tensor<4x2xf32> {
  // expected-error @+1 {{rhs_scale must be f32 [K / group_size, N] = [4, 2]}}
  %y = nn.int4_matmul %x, %w, %s, %z {group_size = 2 : i64} : tensor<4x8xf32>, tensor<4x2xi8>, tensor<2x2xf32>, tensor<2x2xi8> -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

func.func @int4_not_multiple(%x: tensor<4x8xf32>, %w: tensor<4x2xi8>, %s: tensor<2x2xf32>, %z: tensor<2x2xi8>) -> tensor<4x2xf32> {
  // expected-error @+1 {{K = 8 is not a multiple of group_size 6}}
  %y = nn.int4_matmul %x, %w, %s, %z {group_size = 6 : i64} : tensor<4x8xf32>, tensor<4x2xi8>, tensor<2x2xf32>, tensor<2x2xi8> -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

func.func @int4_zero_points(%x: tensor<4x8xf32>, %w: tensor<4x2xi8>, %s: tensor<2x2xf32>, %z: tensor<2x2xf32>) -> tensor<4x2xf32> {
  // expected-error @+1 {{rhs_zero_point must be i8 [K / group_size, N] = [2, 2]}}
  %y = nn.int4_matmul %x, %w, %s, %z {group_size = 4 : i64} : tensor<4x8xf32>, tensor<4x2xi8>, tensor<2x2xf32>, tensor<2x2xf32> -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

func.func @int4_lhs_int8_group(%x: tensor<4x8xf32>, %w: tensor<4x2xi8>, %s: tensor<2x2xf32>, %z: tensor<2x2xi8>) -> tensor<4x2xf32> {
  // expected-error @+1 {{lhs_int8 needs a group_size that is a multiple of 8 (got 4)}}
  %y = nn.int4_matmul %x, %w, %s, %z {group_size = 4 : i64, lhs_int8} : tensor<4x8xf32>, tensor<4x2xi8>, tensor<2x2xf32>, tensor<2x2xi8> -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

func.func @requantize_float_input(%x: tensor<1x2xf32>, %v: tensor<2xi32>) -> tensor<1x2xi8> {
  // expected-error @+1 {{input must be i32 accumulators}}
  %y = nn.requantize %x, %v, %v, %v {axis = 1 : i64, clamp_max = 127 : i64, clamp_min = -128 : i64, output_zero_point = 0 : i64} : tensor<1x2xf32>, tensor<2xi32>, tensor<2xi32>, tensor<2xi32> -> tensor<1x2xi8>
  return %y : tensor<1x2xi8>
}

// -----

func.func @requantize_channels(%x: tensor<1x3xi32>, %v: tensor<2xi32>) -> tensor<1x3xi8> {
  // expected-error @+1 {{bias, multiplier and shift must be i32 [3]}}
  %y = nn.requantize %x, %v, %v, %v {axis = 1 : i64, clamp_max = 127 : i64, clamp_min = -128 : i64, output_zero_point = 0 : i64} : tensor<1x3xi32>, tensor<2xi32>, tensor<2xi32>, tensor<2xi32> -> tensor<1x3xi8>
  return %y : tensor<1x3xi8>
}

// -----

func.func @requantize_clamp(%x: tensor<1x2xi32>, %v: tensor<2xi32>) -> tensor<1x2xi8> {
  // expected-error @+1 {{clamp range [-1, 200] is not within [0, 255]}}
  %y = nn.requantize %x, %v, %v, %v {axis = 1 : i64, clamp_max = 200 : i64, clamp_min = -1 : i64, output_zero_point = 0 : i64, unsigned_result} : tensor<1x2xi32>, tensor<2xi32>, tensor<2xi32>, tensor<2xi32> -> tensor<1x2xi8>
  return %y : tensor<1x2xi8>
}

// -----

func.func @requantize_axis(%x: tensor<1x2xi32>, %v: tensor<2xi32>) -> tensor<1x2xi8> {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %y = nn.requantize %x, %v, %v, %v {axis = 2 : i64, clamp_max = 127 : i64, clamp_min = -128 : i64, output_zero_point = 0 : i64} : tensor<1x2xi32>, tensor<2xi32>, tensor<2xi32>, tensor<2xi32> -> tensor<1x2xi8>
  return %y : tensor<1x2xi8>
}

// -----

func.func @requantize_residual_type(%x: tensor<1x2xi32>, %v: tensor<2xi32>, %r: tensor<1x3xi8>) -> tensor<1x2xi8> {
  // expected-error @+1 {{residual type 'tensor<1x3xi8>' differs from the result type 'tensor<1x2xi8>'}}
  %y = nn.requantize %x, %v, %v, %v residual(%r : tensor<1x3xi8>) {axis = 1 : i64, clamp_max = 127 : i64, clamp_min = -128 : i64, output_zero_point = 0 : i64} : tensor<1x2xi32>, tensor<2xi32>, tensor<2xi32>, tensor<2xi32> -> tensor<1x2xi8>
  return %y : tensor<1x2xi8>
}
