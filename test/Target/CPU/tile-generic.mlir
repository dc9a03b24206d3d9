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

// -----

// A transpose whose innermost output dim is not the input's innermost
// (attention's K^T, [1, 12, 197, 64] -> [1, 12, 64, 197]): tiles of 16 x 16
// over those two dims (197 = 12 x 16 + a peeled remainder of 5), each 16
// input rows of 16 contiguous elements (masked to 5 in the remainder: 5
// rows), transposed in registers by shuffles and stored as 16 output rows.
// CHECK-LABEL: func.func @transpose_swap
// CHECK: scf.for %{{.*}} = %c0 to %c12 step %c1 {
// CHECK: scf.for %{{.*}} = %c0 to %c64 step %c16 {
// CHECK: scf.for %{{.*}} = %c0 to %c192 step %c16 {
// CHECK: vector.transfer_read {{.*}} {in_bounds = [true]} : memref<1x1x16x16xf32, {{.*}}>, vector<16xf32>
// CHECK: vector.shuffle
// CHECK: vector.transfer_write {{.*}} {in_bounds = [true]} : vector<16xf32>, memref<1x1x16x16xf32, strided<[151296, 12608, 197, 1]
// CHECK: vector.transfer_read {{.*}} {in_bounds = [true]} : memref<1x1x5x16xf32, {{.*}}>, vector<16xf32>
// CHECK: vector.transfer_write %{{.*}} : vector<16xf32>, memref<1x1x16x5xf32, strided<[151296, 12608, 197, 1]
// CHECK-NOT: linalg.transpose
// CHECK: return
func.func @transpose_swap(%a: memref<1x12x197x64xf32>, %b: memref<1x12x64x197xf32>) {
  linalg.transpose ins(%a : memref<1x12x197x64xf32>) outs(%b : memref<1x12x64x197xf32>) permutation = [0, 1, 3, 2]
  return
}

// -----

// Transposes that keep the innermost dim are copies of contiguous runs
// (the general tiling, no shuffles); f16 keeps it too.
// CHECK-LABEL: func.func @transpose_keep_inner
// CHECK-NOT: vector.shuffle
// CHECK: return
func.func @transpose_keep_inner(%a: memref<197x12x64xf32>, %b: memref<12x197x64xf32>,
                                %c: memref<64x48xf16>, %d: memref<48x64xf16>) {
  linalg.transpose ins(%a : memref<197x12x64xf32>) outs(%b : memref<12x197x64xf32>) permutation = [1, 0, 2]
  linalg.transpose ins(%c : memref<64x48xf16>) outs(%d : memref<48x64xf16>) permutation = [1, 0]
  return
}

// -----

// Dynamic extents with little static work (a softmax row pass over
// [batch x heads, 197, 197]: 197 x 197 with the dynamic dim counted as 1,
// under the 2^16 iterations that surely pay for threads): the parallel
// tile loops are marked with the run-time trip count that makes it pay
// (ceil(65536 / 38809) = 2); an op with less than 1/64 of that work
// (4 x 16) gets no mark.
// CHECK-LABEL: func.func @dynamic_parallel_min_trips
// CHECK: } {kiln.parallel, kiln.parallel_min_trips = 2 : i64}
// CHECK: } {kiln.parallel, kiln.parallel_min_trips = 2 : i64}
// CHECK: } {kiln.parallel, kiln.parallel_min_trips = 2 : i64}
// CHECK-NOT: kiln.parallel
// CHECK: return
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @dynamic_parallel_min_trips(%a: memref<?x197x197xf32>, %b: memref<?x197x197xf32>,
                                      %c: memref<?x4x16xf32>, %d: memref<?x4x16xf32>) {
  linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%a : memref<?x197x197xf32>) outs(%b : memref<?x197x197xf32>) {
  ^bb0(%x: f32, %y: f32):
    %e = math.exp %x : f32
    linalg.yield %e : f32
  }
  linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%c : memref<?x4x16xf32>) outs(%d : memref<?x4x16xf32>) {
  ^bb0(%x: f32, %y: f32):
    %e = math.exp %x : f32
    linalg.yield %e : f32
  }
  return
}
