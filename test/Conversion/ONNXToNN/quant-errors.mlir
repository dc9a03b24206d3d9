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

// -----

func.func @dft_runtime_length(%x: tensor<1x8x1xf32>, %l: tensor<i64>) -> tensor<1x?x2xf32> {
  %n = onnx.NoValue
  // expected-error @+1 {{dft_length must be a constant}}
  %y = "onnx.DFT"(%x, %l, %n) : (tensor<1x8x1xf32>, tensor<i64>, none) -> tensor<1x?x2xf32>
  return %y : tensor<1x?x2xf32>
}

// -----

func.func @det_too_large(%x: tensor<9x9xf32>) -> tensor<f32> {
  // expected-error @+1 {{only static matrix sizes up to 8 x 8 are supported}}
  %y = "onnx.Det"(%x) : (tensor<9x9xf32>) -> tensor<f32>
  return %y : tensor<f32>
}

// -----

func.func @tfidf_strings(%x: tensor<6xi32>) -> tensor<2xf32> {
  // expected-error @+1 {{needs pool_int64s (string pools are not supported)}}
  %y = "onnx.TfIdfVectorizer"(%x) {max_gram_length = 1 : i64, max_skip_count = 0 : i64, min_gram_length = 1 : i64, mode = "TF", ngram_counts = [0], ngram_indexes = [0, 1]} : (tensor<6xi32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}
