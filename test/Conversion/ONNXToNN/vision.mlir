// RUN: kiln-opt --convert-onnx-to-nn %s | FileCheck %s

// sampling_ratio = 0 (the ONNX default, adaptive sampling) is kept for the lowering.
// CHECK-LABEL: func @roi_align_adaptive
// CHECK: nn.roi_align %arg0, %arg1, %arg2 {half_pixel = true, max_mode = false, sampling_ratio = 0 : i64, spatial_scale = 2.500000e-01 : f64}
func.func @roi_align_adaptive(%x: tensor<1x3x8x8xf32>, %r: tensor<2x4xf32>, %b: tensor<2xi64>) -> tensor<2x3x2x2xf32> {
  %y = "onnx.RoiAlign"(%x, %r, %b) {output_height = 2 : i64, output_width = 2 : i64, spatial_scale = 0.25 : f32} : (tensor<1x3x8x8xf32>, tensor<2x4xf32>, tensor<2xi64>) -> tensor<2x3x2x2xf32>
  return %y : tensor<2x3x2x2xf32>
}

// CHECK-LABEL: func @roi_align_max_output_half_pixel
// CHECK: nn.roi_align %arg0, %arg1, %arg2 {half_pixel = false, max_mode = true, sampling_ratio = 0 : i64, spatial_scale = 1.000000e+00 : f64}
func.func @roi_align_max_output_half_pixel(%x: tensor<1x3x8x8xf32>, %r: tensor<?x4xf32>, %b: tensor<?xi64>) -> tensor<?x3x3x1xf32> {
  %y = "onnx.RoiAlign"(%x, %r, %b) {coordinate_transformation_mode = "output_half_pixel", mode = "max", output_height = 3 : i64, output_width = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<?x4xf32>, tensor<?xi64>) -> tensor<?x3x3x1xf32>
  return %y : tensor<?x3x3x1xf32>
}
