// RUN: kiln-opt --convert-onnx-to-nn --split-input-file --verify-diagnostics %s

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
