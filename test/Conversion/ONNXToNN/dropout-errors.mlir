// RUN: kiln-opt --split-input-file --verify-diagnostics --convert-onnx-to-nn %s

func.func @train_ratio_half(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = onnx.Constant {value = dense<0.5> : tensor<f32>} : tensor<f32>
  %t = onnx.Constant {value = dense<true> : tensor<i1>} : tensor<i1>
  // expected-error @+1 {{training_mode = true with a ratio other than a constant 0 is random}}
  %y = "onnx.Dropout"(%x, %r, %t) : (tensor<2x3xf32>, tensor<f32>, tensor<i1>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @train_default_ratio(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %n = onnx.NoValue
  %t = onnx.Constant {value = dense<true> : tensor<i1>} : tensor<i1>
  // expected-error @+1 {{training_mode = true with a ratio other than a constant 0 is random}}
  %y = "onnx.Dropout"(%x, %n, %t) : (tensor<2x3xf32>, none, tensor<i1>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @train_runtime_mode(%x: tensor<2x3xf32>, %t: tensor<i1>) -> tensor<2x3xf32> {
  %n = onnx.NoValue
  // expected-error @+1 {{training_mode must be a constant}}
  %y = "onnx.Dropout"(%x, %n, %t) : (tensor<2x3xf32>, none, tensor<i1>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
