// RUN: kiln-opt --convert-nn-to-linalg %s | FileCheck %s

// Run-time slice: one generic over the result reading
// input[offset + i * stride]; dynamic result dims come from `sizes`.
// CHECK-LABEL: func @dynamic_slice
// CHECK: tensor.extract %arg3
// CHECK: tensor.empty(%{{.*}}) : tensor<?x10xf32>
// CHECK: linalg.generic
// CHECK: arith.muli
// CHECK: tensor.extract %arg0
func.func @dynamic_slice(%x: tensor<20x10xf32>, %o: tensor<2xi64>, %s: tensor<2xi64>, %st: tensor<2xi64>) -> tensor<?x10xf32> {
  %y = nn.dynamic_slice %x[%o, %s, %st] : (tensor<20x10xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x10xf32>
  return %y : tensor<?x10xf32>
}

// Reflect padding: the source index is folded into range with a modulo of
// period 2 * (d - 1).
// CHECK-LABEL: func @pad_reflect
// CHECK: linalg.generic
// CHECK: arith.remsi
// CHECK: tensor.extract %arg0
// CHECK-NOT: arith.select {{.*}} : f32
// CHECK: linalg.yield
func.func @pad_reflect(%x: tensor<4xf32>, %p: tensor<2xi64>) -> tensor<6xf32> {
  %y = nn.pad_mode %x, %p {mode = "reflect"} : (tensor<4xf32>, tensor<2xi64>) -> tensor<6xf32>
  return %y : tensor<6xf32>
}

// Constant padding with a run-time value: clamped read, then a select of
// the pad value outside the input.
// CHECK-LABEL: func @pad_constant
// CHECK: %[[V:.*]] = tensor.extract %arg2[]
// CHECK: linalg.generic
// CHECK: tensor.extract %arg0
// CHECK: arith.select %{{.*}}, %{{.*}}, %[[V]] : f32
func.func @pad_constant(%x: tensor<4xf32>, %p: tensor<2xi64>, %v: tensor<f32>) -> tensor<?xf32> {
  %y = nn.pad_mode %x, %p, %v {mode = "constant"} : (tensor<4xf32>, tensor<2xi64>, tensor<f32>) -> tensor<?xf32>
  return %y : tensor<?xf32>
}

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
