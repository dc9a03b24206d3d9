// RUN: kiln-opt --kiln-cpu-tile-and-vectorize %s | FileCheck %s

// Transposes are tiled like elementwise ops (unit tiles outside, up to 64
// elements on the innermost loop) before vectorization; vectorizing the whole
// op would unroll a 3x180x5 vector into thousands of shuffles.
// CHECK-LABEL: func.func @transpose
// CHECK: scf.for
// CHECK: scf.for
// CHECK: vector.transfer_read {{.*}} : tensor<1x5x1xf32>, vector<1x5x1xf32>
// CHECK: vector.transpose {{.*}} : vector<1x5x1xf32> to vector<1x1x5xf32>
// CHECK-NOT: vector<3x180x5xf32>
func.func @transpose(%x: tensor<3x5x180xf32>) -> tensor<3x180x5xf32> {
  %e = tensor.empty() : tensor<3x180x5xf32>
  %t = linalg.transpose ins(%x : tensor<3x5x180xf32>) outs(%e : tensor<3x180x5xf32>) permutation = [0, 2, 1]
  return %t : tensor<3x180x5xf32>
}
