// RUN: kiln-opt --convert-nn-to-linalg --split-input-file --verify-diagnostics %s

func.func @reduction(%x: tensor<3x5xf32>, %t: tensor<3xi64>) -> tensor<f32> {
  // expected-error @+1 {{unknown reduction 'max'}}
  %y = nn.nll_loss %x, %t {reduction = "max"} : (tensor<3x5xf32>, tensor<3xi64>) -> tensor<f32>
  return %y : tensor<f32>
}

// -----

func.func @none_shape(%x: tensor<3x5xf32>, %t: tensor<3xi64>) -> tensor<f32> {
  // expected-error @+1 {{reduction 'none' gives a result of the target's shape}}
  %y = nn.nll_loss %x, %t {reduction = "none"} : (tensor<3x5xf32>, tensor<3xi64>) -> tensor<f32>
  return %y : tensor<f32>
}

// -----

func.func @sum_shape(%x: tensor<3x5xf32>, %t: tensor<3xi64>) -> tensor<3xf32> {
  // expected-error @+1 {{reduction 'sum' gives a 0-d result}}
  %y = nn.nll_loss %x, %t {reduction = "sum"} : (tensor<3x5xf32>, tensor<3xi64>) -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

func.func @weight(%x: tensor<3x5xf32>, %t: tensor<3xi64>, %w: tensor<4xf32>) -> tensor<f32> {
  // expected-error @+1 {{weight needs one entry per class}}
  %y = nn.nll_loss %x, %t, %w {reduction = "mean"} : (tensor<3x5xf32>, tensor<3xi64>, tensor<4xf32>) -> tensor<f32>
  return %y : tensor<f32>
}

// -----

func.func @target_float(%x: tensor<3x5xf32>, %t: tensor<3xf32>) -> tensor<f32> {
  // expected-error @+1 {{target must be an integer tensor}}
  %y = nn.nll_loss %x, %t {reduction = "mean"} : (tensor<3x5xf32>, tensor<3xf32>) -> tensor<f32>
  return %y : tensor<f32>
}
