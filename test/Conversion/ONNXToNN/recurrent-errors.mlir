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

// -----

func.func @loop_scan_dynamic(%m: tensor<i64>, %y0: tensor<?xf32>) -> tensor<?x?xf32> {
  %n = onnx.NoValue
  // expected-error @+1 {{scan output #0 has a run-time element shape, which is not supported}}
  %r:2 = "onnx.Loop"(%m, %n, %y0) ({
  ^bb0(%i: tensor<i64>, %c: tensor<i1>, %y: tensor<?xf32>):
    onnx.Yield %c, %y, %y : tensor<i1>, tensor<?xf32>, tensor<?xf32>
  }) : (tensor<i64>, none, tensor<?xf32>) -> (tensor<?xf32>, tensor<?x?xf32>)
  return %r#1 : tensor<?x?xf32>
}

// -----

func.func @if_mismatch(%c: tensor<i1>, %a: tensor<3xf32>, %b: tensor<3xi64>) -> tensor<3xf32> {
  // expected-error @+1 {{outputs #0 of the branches have incompatible types 'tensor<3xf32>' and 'tensor<3xi64>'}}
  %r = "onnx.If"(%c) ({
    onnx.Yield %a : tensor<3xf32>
  }, {
    onnx.Yield %b : tensor<3xi64>
  }) : (tensor<i1>) -> tensor<3xf32>
  return %r : tensor<3xf32>
}
