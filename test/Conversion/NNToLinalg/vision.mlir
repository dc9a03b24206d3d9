// RUN: kiln-opt --convert-nn-to-linalg %s | FileCheck %s

// CHECK-LABEL: func @grid
// CHECK: linalg.generic
// CHECK: math.roundeven
// CHECK: tensor.extract %arg0
func.func @grid(%x: tensor<1x1x4x4xf32>, %g: tensor<1x3x3x2xf32>) -> tensor<1x1x3x3xf32> {
  %y = nn.grid_sample %x, %g {align_corners = false, mode = "nearest", padding_mode = "zeros"} : (tensor<1x1x4x4xf32>, tensor<1x3x3x2xf32>) -> tensor<1x1x3x3xf32>
  return %y : tensor<1x1x3x3xf32>
}

// Adaptive sampling: a loop nest over the output carries the result; per
// element, two scf.for loops run to the run-time sample counts and carry the
// f64 accumulator; the average divides by max(count, 1).
// CHECK-LABEL: func @roi_align_adaptive
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %{{.*}}) -> (tensor<2x3x2x2xf32>)
// CHECK: math.ceil
// CHECK: %[[GH:[0-9]+]] = arith.index_cast %{{.*}} : i64 to index
// CHECK: math.ceil
// CHECK: %[[GW:[0-9]+]] = arith.index_cast %{{.*}} : i64 to index
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[GH]] step %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (f64)
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[GW]] step %{{.*}} iter_args(%[[ACC:.*]] = %{{.*}}) -> (f64)
// CHECK: tensor.extract %arg0
// CHECK: arith.addf %[[ACC]]
// CHECK: arith.divf
// CHECK: tensor.insert
func.func @roi_align_adaptive(%x: tensor<1x3x8x8xf32>, %r: tensor<2x4xf32>, %b: tensor<2xi64>) -> tensor<2x3x2x2xf32> {
  %y = nn.roi_align %x, %r, %b {half_pixel = true, max_mode = false, sampling_ratio = 0 : i64, spatial_scale = 1.0 : f64} : (tensor<1x3x8x8xf32>, tensor<2x4xf32>, tensor<2xi64>) -> tensor<2x3x2x2xf32>
  return %y : tensor<2x3x2x2xf32>
}

// Max mode starts from -inf and combines with maximumf.
// CHECK-LABEL: func @roi_align_adaptive_max
// CHECK: arith.constant 0xFFF0000000000000 : f64
// CHECK: scf.for
// CHECK: arith.maximumf %{{.*}}, %{{.*}} : f64
func.func @roi_align_adaptive_max(%x: tensor<1x3x8x8xf32>, %r: tensor<?x4xf32>, %b: tensor<?xi64>) -> tensor<?x3x2x2xf32> {
  %y = nn.roi_align %x, %r, %b {half_pixel = false, max_mode = true, sampling_ratio = 0 : i64, spatial_scale = 1.0 : f64} : (tensor<1x3x8x8xf32>, tensor<?x4xf32>, tensor<?xi64>) -> tensor<?x3x2x2xf32>
  return %y : tensor<?x3x2x2xf32>
}

// A positive sampling_ratio keeps the unrolled linalg.generic.
// CHECK-LABEL: func @roi_align_fixed
// CHECK: linalg.generic
// CHECK-NOT: scf.for
// CHECK: return
func.func @roi_align_fixed(%x: tensor<1x3x8x8xf32>, %r: tensor<2x4xf32>, %b: tensor<2xi64>) -> tensor<2x3x2x2xf32> {
  %y = nn.roi_align %x, %r, %b {half_pixel = true, max_mode = false, sampling_ratio = 2 : i64, spatial_scale = 1.0 : f64} : (tensor<1x3x8x8xf32>, tensor<2x4xf32>, tensor<2xi64>) -> tensor<2x3x2x2xf32>
  return %y : tensor<2x3x2x2xf32>
}
