// RUN: kiln-opt --convert-onnx-to-nn --split-input-file --verify-diagnostics %s

func.func @dft_runtime_length(%x: tensor<1x8x1xf32>, %l: tensor<i64>) -> tensor<1x?x2xf32> {
  %n = onnx.NoValue
  // expected-error @+1 {{dft_length must be a constant}}
  %y = "onnx.DFT"(%x, %l, %n) : (tensor<1x8x1xf32>, tensor<i64>, none) -> tensor<1x?x2xf32>
  return %y : tensor<1x?x2xf32>
}

// -----

func.func @tfidf_strings(%x: tensor<6xi32>) -> tensor<2xf32> {
  // expected-error @+1 {{needs pool_int64s (string pools are not supported)}}
  %y = "onnx.TfIdfVectorizer"(%x) {max_gram_length = 1 : i64, max_skip_count = 0 : i64, min_gram_length = 1 : i64, mode = "TF", ngram_counts = [0], ngram_indexes = [0, 1]} : (tensor<6xi32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

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

// -----

func.func @roi_align_negative_ratio(%x: tensor<1x1x8x8xf32>, %r: tensor<2x4xf32>, %b: tensor<2xi64>) -> tensor<2x1x2x2xf32> {
  // expected-error @+1 {{sampling_ratio = -1 is not supported; it must be >= 0}}
  %y = "onnx.RoiAlign"(%x, %r, %b) {output_height = 2 : i64, output_width = 2 : i64, sampling_ratio = -1 : i64} : (tensor<1x1x8x8xf32>, tensor<2x4xf32>, tensor<2xi64>) -> tensor<2x1x2x2xf32>
  return %y : tensor<2x1x2x2xf32>
}

// -----

func.func @roi_align_bad_mode(%x: tensor<1x1x8x8xf32>, %r: tensor<2x4xf32>, %b: tensor<2xi64>) -> tensor<2x1x2x2xf32> {
  // expected-error @+1 {{mode 'sum' is not supported}}
  %y = "onnx.RoiAlign"(%x, %r, %b) {mode = "sum", output_height = 2 : i64, output_width = 2 : i64} : (tensor<1x1x8x8xf32>, tensor<2x4xf32>, tensor<2xi64>) -> tensor<2x1x2x2xf32>
  return %y : tensor<2x1x2x2xf32>
}
