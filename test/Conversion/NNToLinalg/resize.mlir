// RUN: kiln-opt --convert-nn-to-linalg %s | FileCheck %s

// Bilinear: one generic over the output; f64 coordinates and weights; the
// copied axes (scale 1) read the output index directly; 2 x 2 neighbours.
// CHECK-LABEL: func @linear
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x1x1x2xf32>)
// CHECK-COUNT-4: tensor.extract %arg0
// CHECK: arith.truncf {{.*}} : f64 to f32
// CHECK-NOT: tensor.extract %arg0
// CHECK: linalg.yield
func.func @linear(%x: tensor<1x1x2x4xf32>) -> tensor<1x1x1x2xf32> {
  %y = nn.resize %x {coordinate_mode = "half_pixel", cubic_coeff_a = -7.500000e-01 : f64, exclude_outside = false, extrapolation_value = 0.000000e+00 : f64, geometry_is_sizes = false, mode = "linear", nearest_mode = "round_prefer_floor", roi = array<f64>, scales = array<f64: 1.0, 1.0, 0.6, 0.6>} : (tensor<1x1x2x4xf32>) -> tensor<1x1x1x2xf32>
  return %y : tensor<1x1x1x2xf32>
}

// Nearest on integers: a single read, no float conversion of the value.
// CHECK-LABEL: func @nearest_int
// CHECK: linalg.generic
// CHECK: math.floor
// CHECK: arith.cmpf ogt
// CHECK: %[[V:.*]] = tensor.extract %arg0{{.*}} : tensor<2x3xi8>
// CHECK-NEXT: linalg.yield %[[V]] : i8
func.func @nearest_int(%x: tensor<2x3xi8>) -> tensor<4x6xi8> {
  %y = nn.resize %x {coordinate_mode = "half_pixel", cubic_coeff_a = -7.500000e-01 : f64, exclude_outside = false, extrapolation_value = 0.000000e+00 : f64, geometry_is_sizes = false, mode = "nearest", nearest_mode = "round_prefer_floor", roi = array<f64>, scales = array<f64: 2.0, 2.0>} : (tensor<2x3xi8>) -> tensor<4x6xi8>
  return %y : tensor<4x6xi8>
}

// Run-time sizes: output dims come from the sizes tensor.
// CHECK-LABEL: func @runtime_sizes
// CHECK: %[[S:.*]] = tensor.extract %arg1[%{{.*}}] : tensor<1xi64>
// CHECK: %[[N:.*]] = arith.index_cast %[[S]] : i64 to index
// CHECK: tensor.empty(%[[N]]) : tensor<?xf32>
// CHECK-COUNT-4: tensor.extract %arg0
func.func @runtime_sizes(%x: tensor<5xf32>, %s: tensor<1xi64>) -> tensor<?xf32> {
  %y = nn.resize %x geometry %s {coordinate_mode = "align_corners", cubic_coeff_a = -7.500000e-01 : f64, exclude_outside = true, extrapolation_value = 0.000000e+00 : f64, geometry_is_sizes = true, mode = "cubic", nearest_mode = "round_prefer_floor", roi = array<f64>, scales = array<f64>} : (tensor<5xf32>, tensor<1xi64>) -> tensor<?xf32>
  return %y : tensor<?xf32>
}
