// RUN: kiln-opt --convert-nn-to-linalg --split-input-file --verify-diagnostics %s

func.func @pool3d_dynamic(%x: tensor<1x1x?x4x4xf32>) -> tensor<1x1x?x2x2xf32> {
  // expected-error @+1 {{pooling with 3 or more spatial dims needs static spatial dims}}
  %y = nn.pool max %x {count_include_pad = false, dilations = array<i64: 1, 1, 1>, explicit_pads = array<i64: 0, 0, 0, 0, 0, 0>, kernel = array<i64: 2, 2, 2>, pads = array<i64: 0, 0, 0, 0, 0, 0>, strides = array<i64: 2, 2, 2>} : tensor<1x1x?x4x4xf32> -> tensor<1x1x?x2x2xf32>
  return %y : tensor<1x1x?x2x2xf32>
}

// -----

func.func @conv3d_groups_dynamic(%x: tensor<1x4x?x3x3xf32>, %w: tensor<4x2x2x2x2xf32>) -> tensor<1x4x?x2x2xf32> {
  // expected-error @+1 {{convolution needs static channels, kernel and output spatial dims}}
  %y = nn.conv %x, %w {dilations = array<i64: 1, 1, 1>, groups = 2 : i64, pads = array<i64: 0, 0, 0, 0, 0, 0>, strides = array<i64: 1, 1, 1>} : (tensor<1x4x?x3x3xf32>, tensor<4x2x2x2x2xf32>) -> tensor<1x4x?x2x2xf32>
  return %y : tensor<1x4x?x2x2xf32>
}
