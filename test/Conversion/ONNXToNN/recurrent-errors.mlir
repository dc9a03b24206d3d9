// RUN: kiln-opt --convert-onnx-to-nn --split-input-file --verify-diagnostics %s

func.func @activation(%x: tensor<2x3x2xf32>, %w: tensor<1x4x2xf32>, %r: tensor<1x4x4xf32>) -> tensor<1x3x4xf32> {
  %n = onnx.NoValue
  // expected-error @+1 {{activation function 'Elu' is not supported}}
  %y:2 = "onnx.RNN"(%x, %w, %r, %n, %n, %n) {hidden_size = 4 : i64, activations = ["Elu"]} : (tensor<2x3x2xf32>, tensor<1x4x2xf32>, tensor<1x4x4xf32>, none, none, none) -> (tensor<2x1x3x4xf32>, tensor<1x3x4xf32>)
  return %y#1 : tensor<1x3x4xf32>
}

// -----

func.func @activation_count(%x: tensor<2x3x2xf32>, %w: tensor<1x12x2xf32>, %r: tensor<1x12x4xf32>) -> tensor<1x3x4xf32> {
  %n = onnx.NoValue
  // expected-error @+1 {{activations must list 2 functions, got 1}}
  %y:2 = "onnx.GRU"(%x, %w, %r, %n, %n, %n) {hidden_size = 4 : i64, activations = ["Tanh"]} : (tensor<2x3x2xf32>, tensor<1x12x2xf32>, tensor<1x12x4xf32>, none, none, none) -> (tensor<2x1x3x4xf32>, tensor<1x3x4xf32>)
  return %y#1 : tensor<1x3x4xf32>
}

// -----

func.func @input_forget(%x: tensor<2x3x2xf32>, %w: tensor<1x16x2xf32>, %r: tensor<1x16x4xf32>) -> tensor<1x3x4xf32> {
  %n = onnx.NoValue
  // expected-error @+1 {{input_forget = 1 is not supported}}
  %y:2 = "onnx.LSTM"(%x, %w, %r, %n, %n, %n, %n, %n) {hidden_size = 4 : i64, input_forget = 1 : i64} : (tensor<2x3x2xf32>, tensor<1x16x2xf32>, tensor<1x16x4xf32>, none, none, none, none, none) -> (tensor<2x1x3x4xf32>, tensor<1x3x4xf32>)
  return %y#1 : tensor<1x3x4xf32>
}

// -----

func.func @dynamic(%x: tensor<2x3x?xf32>, %w: tensor<1x4x2xf32>, %r: tensor<1x4x4xf32>) -> tensor<1x3x4xf32> {
  %n = onnx.NoValue
  // expected-error @+1 {{X with a run-time input size is not supported}}
  %y:2 = "onnx.RNN"(%x, %w, %r, %n, %n, %n) {hidden_size = 4 : i64} : (tensor<2x3x?xf32>, tensor<1x4x2xf32>, tensor<1x4x4xf32>, none, none, none) -> (tensor<2x1x3x4xf32>, tensor<1x3x4xf32>)
  return %y#1 : tensor<1x3x4xf32>
}

// -----

func.func @bad_direction(%x: tensor<2x3x2xf32>, %w: tensor<1x4x2xf32>, %r: tensor<1x4x4xf32>) -> tensor<1x3x4xf32> {
  %n = onnx.NoValue
  // expected-error @+1 {{unknown direction 'sideways'}}
  %y:2 = "onnx.RNN"(%x, %w, %r, %n, %n, %n) {hidden_size = 4 : i64, direction = "sideways"} : (tensor<2x3x2xf32>, tensor<1x4x2xf32>, tensor<1x4x4xf32>, none, none, none) -> (tensor<2x1x3x4xf32>, tensor<1x3x4xf32>)
  return %y#1 : tensor<1x3x4xf32>
}
