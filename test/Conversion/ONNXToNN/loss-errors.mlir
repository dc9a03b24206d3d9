// RUN: kiln-opt --convert-onnx-to-nn --split-input-file --verify-diagnostics %s

func.func @reduction(%x: tensor<3x5xf32>, %t: tensor<3xi64>) -> tensor<f32> {
  %n = onnx.NoValue
  // expected-error @+1 {{reduction must be 'none', 'sum' or 'mean', got 'max'}}
  %y = "onnx.NegativeLogLikelihoodLoss"(%x, %t, %n) {reduction = "max"} : (tensor<3x5xf32>, tensor<3xi64>, none) -> tensor<f32>
  return %y : tensor<f32>
}

// -----

func.func @target_rank(%x: tensor<3x5x2xf32>, %t: tensor<3xi64>) -> tensor<f32> {
  %n = onnx.NoValue
  // expected-error @+1 {{target must have rank 2, got 1}}
  %y = "onnx.SoftmaxCrossEntropyLoss"(%x, %t, %n) : (tensor<3x5x2xf32>, tensor<3xi64>, none) -> tensor<f32>
  return %y : tensor<f32>
}

// -----

func.func @target_type(%x: tensor<3x5xf32>, %t: tensor<3xf32>) -> tensor<f32> {
  %n = onnx.NoValue
  // expected-error @+1 {{target must be an int32 or int64 tensor}}
  %y = "onnx.NegativeLogLikelihoodLoss"(%x, %t, %n) : (tensor<3x5xf32>, tensor<3xf32>, none) -> tensor<f32>
  return %y : tensor<f32>
}

// -----

func.func @target_dims(%x: tensor<3x5x2xf32>, %t: tensor<3x4xi64>) -> tensor<3x4xf32> {
  %n = onnx.NoValue
  // expected-error @+1 {{target dimension 1 (4) does not match the input's (2)}}
  %y = "onnx.NegativeLogLikelihoodLoss"(%x, %t, %n) {reduction = "none"} : (tensor<3x5x2xf32>, tensor<3x4xi64>, none) -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}

// -----

func.func @weight_size(%x: tensor<3x5xf32>, %t: tensor<3xi64>, %w: tensor<4xf32>) -> tensor<f32> {
  // expected-error @+1 {{weight has 4 entries for 5 classes}}
  %y = "onnx.NegativeLogLikelihoodLoss"(%x, %t, %w) : (tensor<3x5xf32>, tensor<3xi64>, tensor<4xf32>) -> tensor<f32>
  return %y : tensor<f32>
}

// -----

func.func @int_input(%x: tensor<3x5xi32>, %t: tensor<3xi64>) -> tensor<i32> {
  %n = onnx.NoValue
  // expected-error @+1 {{input must be a floating-point tensor}}
  %y = "onnx.NegativeLogLikelihoodLoss"(%x, %t, %n) : (tensor<3x5xi32>, tensor<3xi64>, none) -> tensor<i32>
  return %y : tensor<i32>
}
