// RUN: kiln-opt --split-input-file --kiln-cpu-tile-and-vectorize --canonicalize %s | FileCheck %s

// Element-wise and reduction generics: unit tiles outside, the innermost
// loop in tiles of up to 64.  An extent with no divisor of at least 32
// (197, a prime: ViT's attention rows) gets tiles of 64 and a peeled
// remainder of 5, so every tile is a vector (tiles of 1 ran element by
// element).
// CHECK-LABEL: func.func @row197
// CHECK: scf.for %{{.*}} = %c0 to %c12 step %c1
// CHECK: scf.for %{{.*}} = %c0 to %c192 step %c64
// CHECK: math.exp %{{.*}} : vector<1x64xf32>
// CHECK: math.exp %{{.*}} : vector<1x5xf32>
// CHECK-NOT: math.exp %{{.*}} : f32
// CHECK: return
func.func @row197(%x: memref<12x197xf32>, %y: memref<12x197xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<12x197xf32>) outs(%y : memref<12x197xf32>) {
  ^bb0(%in: f32, %out: f32):
    %e = math.exp %in : f32
    linalg.yield %e : f32
  }
  return
}

// -----

// An extent with a divisor of at least 32 is tiled by it, not peeled
// (96 = 2 x 48).
// CHECK-LABEL: func.func @row96
// CHECK: scf.for %{{.*}} = %c0 to %c96 step %c48
// CHECK: math.exp %{{.*}} : vector<1x48xf32>
// CHECK-NOT: vector<1x32xf32>
// CHECK: return
func.func @row96(%x: memref<12x96xf32>, %y: memref<12x96xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<12x96xf32>) outs(%y : memref<12x96xf32>) {
  ^bb0(%in: f32, %out: f32):
    %e = math.exp %in : f32
    linalg.yield %e : f32
  }
  return
}
