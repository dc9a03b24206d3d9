// RUN: kiln-opt --convert-onnx-to-nn --split-input-file --verify-diagnostics %s

func.func @float8_output(%x: tensor<4xf32>, %s: tensor<f32>) -> tensor<4xi8> {
  %n = onnx.NoValue
  // expected-error @+1 {{output type unsupported (17) is not supported; only uint8 and int8 are}}
  %y = "onnx.QuantizeLinear"(%x, %s, %n) {output_dtype = 17 : i64} : (tensor<4xf32>, tensor<f32>, none) -> tensor<4xi8>
  return %y : tensor<4xi8>
}

// -----

func.func @blocked(%x: tensor<4x4xf32>, %s: tensor<4x2xf32>) -> tensor<4x4xi8> {
  %n = onnx.NoValue
  // expected-error @+1 {{blocked quantization (block_size = 2) is not supported}}
  %y = "onnx.QuantizeLinear"(%x, %s, %n) {block_size = 2 : i64} : (tensor<4x4xf32>, tensor<4x2xf32>, none) -> tensor<4x4xi8>
  return %y : tensor<4x4xi8>
}
