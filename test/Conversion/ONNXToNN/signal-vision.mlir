// RUN: kiln-opt --convert-onnx-to-nn %s | FileCheck %s

// DFT-20 form: the constant axis input becomes an attribute.
// CHECK-LABEL: func @dft
// CHECK: nn.dft %arg0 {axis = 2 : i64, inverse = false, length = 10 : i64, onesided = false}
func.func @dft(%x: tensor<1x10x10x1xf32>) -> tensor<1x10x10x2xf32> {
  %n = onnx.NoValue
  %a = onnx.Constant {value = dense<2> : tensor<i64>} : tensor<i64>
  %y = "onnx.DFT"(%x, %n, %a) : (tensor<1x10x10x1xf32>, none, tensor<i64>) -> tensor<1x10x10x2xf32>
  return %y : tensor<1x10x10x2xf32>
}

// CHECK-LABEL: func @grid
// CHECK: nn.grid_sample %arg0, %arg1 {align_corners = true, mode = "cubic", padding_mode = "border"}
func.func @grid(%x: tensor<1x1x4x4xf32>, %g: tensor<1x6x6x2xf32>) -> tensor<1x1x6x6xf32> {
  %y = "onnx.GridSample"(%x, %g) {mode = "cubic", padding_mode = "border", align_corners = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<1x6x6x2xf32>) -> tensor<1x1x6x6xf32>
  return %y : tensor<1x1x6x6xf32>
}

// n-grams shorter than min_gram_length get length 0 (never counted).
// CHECK-LABEL: func @tfidf
// CHECK: nn.tfidf %arg0 {lengths = array<i64: 0, 2, 2>, max_len = 2 : i64, max_skip = 1 : i64, mode = "TF", ngrams = array<i64: 4, -1, 5, 6, 6, 7>, out_index = array<i64: 2, 0, 1>
func.func @tfidf(%x: tensor<2x6xi32>) -> tensor<2x3xf32> {
  %y = "onnx.TfIdfVectorizer"(%x) {max_gram_length = 2 : i64, max_skip_count = 1 : i64, min_gram_length = 2 : i64, mode = "TF", ngram_counts = [0, 1], ngram_indexes = [2, 0, 1], pool_int64s = [4, 5, 6, 6, 7]} : (tensor<2x6xi32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// Constant scales: static geometry as attributes, output floor(in * scale).
// CHECK-LABEL: func @resize_scales
// CHECK: nn.resize %arg0 {coordinate_mode = "half_pixel", cubic_coeff_a = -7.500000e-01 : f64, exclude_outside = false, extrapolation_value = 0.000000e+00 : f64, geometry_is_sizes = false, mode = "linear", nearest_mode = "round_prefer_floor", roi = array<f64>, scales = array<f64: 1.000000e+00, 1.000000e+00, 0.60000002384185791, 0.60000002384185791>} : (tensor<1x1x2x4xf32>) -> tensor<1x1x1x2xf32>
func.func @resize_scales(%x: tensor<1x1x2x4xf32>) -> tensor<1x1x1x2xf32> {
  %n = onnx.NoValue
  %s = onnx.Constant {value = dense<[1.0, 1.0, 0.6, 0.6]> : tensor<4xf32>} : tensor<4xf32>
  %y = "onnx.Resize"(%x, %n, %s, %n) {mode = "linear"} : (tensor<1x1x2x4xf32>, none, tensor<4xf32>, none) -> tensor<1x1x1x2xf32>
  return %y : tensor<1x1x1x2xf32>
}

// Constant sizes: scale = out / in.
// CHECK-LABEL: func @resize_sizes
// CHECK: nn.resize %arg0 {{.*}}mode = "cubic"{{.*}}scales = array<f64: 1.000000e+00, 1.000000e+00, 7.500000e-01, 7.500000e-01>} : (tensor<1x1x4x4xf32>) -> tensor<1x1x3x3xf32>
func.func @resize_sizes(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x3x3xf32> {
  %n = onnx.NoValue
  %e = onnx.Constant {value = dense<> : tensor<0xf32>} : tensor<0xf32>
  %s = onnx.Constant {value = dense<[1, 1, 3, 3]> : tensor<4xi64>} : tensor<4xi64>
  %y = "onnx.Resize"(%x, %n, %e, %s) {mode = "cubic"} : (tensor<1x1x4x4xf32>, none, tensor<0xf32>, tensor<4xi64>) -> tensor<1x1x3x3xf32>
  return %y : tensor<1x1x3x3xf32>
}

// Sizes and roi known only at run time: they become operands and the
// output dims are dynamic.
// CHECK-LABEL: func @resize_runtime
// CHECK: nn.resize %arg0 geometry %arg2 roi %arg1 {coordinate_mode = "tf_crop_and_resize"{{.*}}geometry_is_sizes = true{{.*}}roi = array<f64>, scales = array<f64>} : (tensor<1x1x4x4xf32>, tensor<4xi64>, tensor<8xf32>) -> tensor<?x?x?x?xf32>
func.func @resize_runtime(%x: tensor<1x1x4x4xf32>, %roi: tensor<8xf32>, %sz: tensor<4xi64>) -> tensor<?x?x?x?xf32> {
  %n = onnx.NoValue
  %y = "onnx.Resize"(%x, %roi, %n, %sz) {mode = "linear", coordinate_transformation_mode = "tf_crop_and_resize"} : (tensor<1x1x4x4xf32>, tensor<8xf32>, none, tensor<4xi64>) -> tensor<?x?x?x?xf32>
  return %y : tensor<?x?x?x?xf32>
}

// Upsample: asymmetric coordinates, floor rounding.
// CHECK-LABEL: func @upsample
// CHECK: nn.resize %arg0 {coordinate_mode = "asymmetric"{{.*}}mode = "nearest", nearest_mode = "floor"{{.*}}scales = array<f64: 1.000000e+00, 1.000000e+00, 2.000000e+00, 3.000000e+00>} : (tensor<1x1x2x2xf32>) -> tensor<1x1x4x6xf32>
func.func @upsample(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x4x6xf32> {
  %s = onnx.Constant {value = dense<[1.0, 1.0, 2.0, 3.0]> : tensor<4xf32>} : tensor<4xf32>
  %y = "onnx.Upsample"(%x, %s) {mode = "nearest"} : (tensor<1x1x2x2xf32>, tensor<4xf32>) -> tensor<1x1x4x6xf32>
  return %y : tensor<1x1x4x6xf32>
}

// A dynamic resized dim with constant scales: the constant becomes the
// run-time geometry operand.
// CHECK-LABEL: func @resize_dynamic_dim
// CHECK: %[[S:.*]] = arith.constant dense<[1.000000e+00, 1.000000e+00, 2.000000e+00, 2.000000e+00]> : tensor<4xf32>
// CHECK: nn.resize %arg0 geometry %[[S]] {{.*}}geometry_is_sizes = false{{.*}}scales = array<f64>} : (tensor<1x1x?x4xf32>, tensor<4xf32>) -> tensor<1x1x?x8xf32>
func.func @resize_dynamic_dim(%x: tensor<1x1x?x4xf32>) -> tensor<1x1x?x8xf32> {
  %n = onnx.NoValue
  %s = onnx.Constant {value = dense<[1.0, 1.0, 2.0, 2.0]> : tensor<4xf32>} : tensor<4xf32>
  %y = "onnx.Resize"(%x, %n, %s, %n) : (tensor<1x1x?x4xf32>, none, tensor<4xf32>, none) -> tensor<1x1x?x8xf32>
  return %y : tensor<1x1x?x8xf32>
}

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
