// RUN: kiln-opt --convert-onnx-to-nn --split-input-file --verify-diagnostics %s

func.func @antialias(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32> {
  %n = onnx.NoValue
  %s = onnx.Constant {value = dense<[1.0, 1.0, 0.5, 0.5]> : tensor<4xf32>} : tensor<4xf32>
  // expected-error @+1 {{antialias is not supported}}
  %y = "onnx.Resize"(%x, %n, %s, %n) {mode = "linear", antialias = 1 : i64} : (tensor<1x1x4x4xf32>, none, tensor<4xf32>, none) -> tensor<1x1x2x2xf32>
  return %y : tensor<1x1x2x2xf32>
}

// -----

func.func @no_geometry(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32> {
  %n = onnx.NoValue
  // expected-error @+1 {{one of scales and sizes must be given}}
  %y = "onnx.Resize"(%x, %n, %n, %n) : (tensor<1x1x4x4xf32>, none, none, none) -> tensor<1x1x4x4xf32>
  return %y : tensor<1x1x4x4xf32>
}

// -----

func.func @scales_rank(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x8x8xf32> {
  %n = onnx.NoValue
  %s = onnx.Constant {value = dense<[2.0, 2.0]> : tensor<2xf32>} : tensor<2xf32>
  // expected-error @+1 {{scales has 2 entries for an input of rank 4}}
  %y = "onnx.Resize"(%x, %n, %s, %n) : (tensor<1x1x4x4xf32>, none, tensor<2xf32>, none) -> tensor<1x1x8x8xf32>
  return %y : tensor<1x1x8x8xf32>
}

// -----

func.func @linear_int(%x: tensor<1x1x2x2xi32>) -> tensor<1x1x4x4xi32> {
  %n = onnx.NoValue
  %s = onnx.Constant {value = dense<[1.0, 1.0, 2.0, 2.0]> : tensor<4xf32>} : tensor<4xf32>
  // expected-error @+1 {{mode 'linear' needs a floating-point input}}
  %y = "onnx.Resize"(%x, %n, %s, %n) {mode = "linear"} : (tensor<1x1x2x2xi32>, none, tensor<4xf32>, none) -> tensor<1x1x4x4xi32>
  return %y : tensor<1x1x4x4xi32>
}
