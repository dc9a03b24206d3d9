// Verifier errors of the conv/matmul epilogue (fuse-epilogue.mlir runs this).

func.func @residual_type(%x: tensor<1x4x8x8xf32>, %r: tensor<1x4x8x7xf32>) -> tensor<1x4x8x8xf32> {
  %w = arith.constant dense<0.5> : tensor<4x4x1x1xf32>
  // expected-error @+1 {{residual type 'tensor<1x4x8x7xf32>' differs from the result type 'tensor<1x4x8x8xf32>'}}
  %c = nn.conv %x, %w residual(%r : tensor<1x4x8x7xf32>) {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x8x8xf32>
  return %c : tensor<1x4x8x8xf32>
}

// -----

func.func @leaky_needs_alpha(%x: tensor<2x5xf32>, %w: tensor<5x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{leaky_relu needs act_alpha}}
  %m = nn.matmul %x, %w act leaky_relu : tensor<2x5xf32>, tensor<5x3xf32> -> tensor<2x3xf32>
  return %m : tensor<2x3xf32>
}

// -----

func.func @bias_size(%x: tensor<2x5xf32>, %w: tensor<5x3xf32>, %b: tensor<4xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{bias size 4 differs from N = 3}}
  %m = nn.matmul %x, %w bias(%b : tensor<4xf32>) : tensor<2x5xf32>, tensor<5x3xf32> -> tensor<2x3xf32>
  return %m : tensor<2x3xf32>
}

// -----

func.func @relu_params(%x: tensor<2x5xf32>, %w: tensor<5x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{relu takes no act_alpha/act_beta}}
  %m = nn.matmul %x, %w act relu {act_alpha = 1.0 : f32} : tensor<2x5xf32>, tensor<5x3xf32> -> tensor<2x3xf32>
  return %m : tensor<2x3xf32>
}

// -----

func.func @int_act(%x: tensor<2x5xi32>, %w: tensor<5x3xi32>) -> tensor<2x3xi32> {
  // expected-error @+1 {{a fused activation needs a float result}}
  %m = nn.matmul %x, %w act relu : tensor<2x5xi32>, tensor<5x3xi32> -> tensor<2x3xi32>
  return %m : tensor<2x3xi32>
}
