// RUN: kiln-opt --kiln-cpu-tile-and-vectorize %s | FileCheck %s

// Booleans are one byte per element in memory, but LLVM packs vectors of i1
// into bits, so linalg ops that read or write i1 must stay scalar; the f32
// op next to them is vectorized as usual.

#id = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @cmp
func.func @cmp(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>) -> (tensor<4x8xi1>, tensor<4x8xf32>) {
  %e = tensor.empty() : tensor<4x8xi1>
  // CHECK: linalg.generic
  // CHECK-NOT: vector.transfer
  // CHECK: arith.cmpf olt, {{.*}} : f32
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a, %b : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xi1>) {
  ^bb0(%x: f32, %y: f32, %o: i1):
    %c = arith.cmpf olt, %x, %y : f32
    linalg.yield %c : i1
  } -> tensor<4x8xi1>
  %e2 = tensor.empty() : tensor<4x8xf32>
  // CHECK-NOT: linalg.generic
  // CHECK: arith.addf {{.*}} : vector<1x8xf32>
  %s = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a, %b : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e2 : tensor<4x8xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %c = arith.addf %x, %y : f32
    linalg.yield %c : f32
  } -> tensor<4x8xf32>
  return %r, %s : tensor<4x8xi1>, tensor<4x8xf32>
}
