// RUN: kiln-opt --split-input-file --verify-diagnostics %s

func.func @roi_align_negative_ratio(%x: tensor<1x3x8x8xf32>, %r: tensor<2x4xf32>, %b: tensor<2xi64>) -> tensor<2x3x2x2xf32> {
  // expected-error @+1 {{sampling_ratio must be >= 0}}
  %y = nn.roi_align %x, %r, %b {half_pixel = true, max_mode = false, sampling_ratio = -2 : i64, spatial_scale = 1.0 : f64} : (tensor<1x3x8x8xf32>, tensor<2x4xf32>, tensor<2xi64>) -> tensor<2x3x2x2xf32>
  return %y : tensor<2x3x2x2xf32>
}
