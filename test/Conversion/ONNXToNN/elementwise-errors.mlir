// RUN: kiln-opt --convert-onnx-to-nn --split-input-file --verify-diagnostics %s

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

// -----

func.func @float_mod_fmod0(%a: tensor<3xf32>, %b: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{fmod = 0 with floating-point inputs is not allowed (ONNX requires fmod = 1)}}
  %y = "onnx.Mod"(%a, %b) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

func.func @celu_alpha0(%a: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{alpha = 0 is not allowed}}
  %y = "onnx.Celu"(%a) {alpha = 0.0 : f32} : (tensor<3xf32>) -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

func.func @mean_int(%a: tensor<3xi32>, %b: tensor<3xi32>) -> tensor<3xi32> {
  // expected-error @+1 {{Mean needs floating-point inputs}}
  %y = "onnx.Mean"(%a, %b) : (tensor<3xi32>, tensor<3xi32>) -> tensor<3xi32>
  return %y : tensor<3xi32>
}

// -----

func.func @mod_bool(%a: tensor<3xi1>, %b: tensor<3xi1>) -> tensor<3xi1> {
  // expected-error @+1 {{Mod of bool is not supported}}
  %y = "onnx.Mod"(%a, %b) : (tensor<3xi1>, tensor<3xi1>) -> tensor<3xi1>
  return %y : tensor<3xi1>
}

// -----

func.func @bitshift_direction(%a: tensor<3xi8>, %b: tensor<3xi8>) -> tensor<3xi8> {
  // expected-error @+1 {{direction must be 'LEFT' or 'RIGHT', got 'UP'}}
  %y = "onnx.BitShift"(%a, %b) {direction = "UP"} : (tensor<3xi8>, tensor<3xi8>) -> tensor<3xi8>
  return %y : tensor<3xi8>
}

// -----

func.func @cos_int(%a: tensor<3xi32>) -> tensor<3xi32> {
  // expected-error @+1 {{input must be a floating-point tensor}}
  %y = "onnx.Cos"(%a) : (tensor<3xi32>) -> tensor<3xi32>
  return %y : tensor<3xi32>
}
