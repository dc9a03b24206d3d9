// RUN: kiln-opt --split-input-file --kiln-cpu-tile-and-vectorize %s | FileCheck %s

// A matmul in disguise: elementwise fusion turns MatMul [?,128,768] x
// [768,3072] into a linalg.generic over (b, s, n, k).  It is tiled like a
// matmul (8 rows of s, 32 columns, 16 of k) and vectorizes to an 8x32x16
// contraction; unit tiles would compute dot products over a strided column.
// CHECK-LABEL: func.func @generic_contraction
// CHECK: vector.contract {{.*}} : vector<1x8x16xf32>, vector<16x32xf32> into vector<1x8x32xf32>
// CHECK-NOT: vector<64x1xf32>
#a = affine_map<(b, s, n, k) -> (b, s, k)>
#w = affine_map<(b, s, n, k) -> (k, n)>
#y = affine_map<(b, s, n, k) -> (b, s, n)>
func.func @generic_contraction(%x: memref<?x128x768xf32>, %w: memref<768x3072xf32>, %y: memref<?x128x3072xf32>) {
  linalg.generic {indexing_maps = [#a, #w, #y], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x128x768xf32>, memref<768x3072xf32>) outs(%y : memref<?x128x3072xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %m = arith.mulf %in, %in2 : f32
    %s = arith.addf %out, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Sequence-first layout (torch's nn.MultiheadAttention in-projection,
// [L, N, E] x [E, 3E] with N the batch): the rows are the static sequence
// dim (197: full tiles of 8 and a peeled remainder), not the dynamic batch,
// which is usually 1 and would leave no full tile.
// CHECK-LABEL: func.func @sequence_first
// CHECK: scf.for %{{.*}} = %c0 to %c192 step %c8
// CHECK: vector.contract {{.*}} : vector<8x1x16xf32>, vector<16x32xf32> into vector<8x1x32xf32>
#sa = affine_map<(s, b, n, k) -> (s, b, k)>
#sw = affine_map<(s, b, n, k) -> (k, n)>
#sy = affine_map<(s, b, n, k) -> (s, b, n)>
func.func @sequence_first(%x: memref<197x?x768xf32>, %w: memref<768x2304xf32>, %y: memref<197x?x2304xf32>) {
  linalg.generic {indexing_maps = [#sa, #sw, #sy], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<197x?x768xf32>, memref<768x2304xf32>) outs(%y : memref<197x?x2304xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %m = arith.mulf %in, %in2 : f32
    %s = arith.addf %out, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A dynamic row count (batch * sequence collapsed): 8-row tiles, and the row
// loop is peeled so the main loop's tiles are static and vectorized; the
// last partial tile (fewer than 8 rows) stays scalar.
// CHECK-LABEL: func.func @dynamic_rows
// CHECK: %[[UB:.*]] = affine.apply
// CHECK: scf.for %{{.*}} = %c0 to %[[UB]] step %c8
// CHECK: vector.contract {{.*}} : vector<8x16xf32>, vector<16x32xf32> into vector<8x32xf32>
// CHECK: scf.for %{{.*}} = %[[UB]] to %{{.*}} step %c8
// CHECK: linalg.matmul {{.*}} memref<?x16xf32
func.func @dynamic_rows(%x: memref<?x768xf32>, %w: memref<768x3072xf32>, %y: memref<?x3072xf32>) {
  linalg.matmul ins(%x, %w : memref<?x768xf32>, memref<768x3072xf32>) outs(%y : memref<?x3072xf32>)
  return
}

// -----

// Negative: an elementwise generic is not a contraction and keeps the
// elementwise tiling (unit tiles outside, 64 elements inside).
// CHECK-LABEL: func.func @elementwise
// CHECK-NOT: vector.contract
// CHECK: vector<1x64xf32>
#id = affine_map<(i, j) -> (i, j)>
func.func @elementwise(%a: memref<16x128xf32>, %b: memref<16x128xf32>, %c: memref<16x128xf32>) {
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a, %b : memref<16x128xf32>, memref<16x128xf32>) outs(%c : memref<16x128xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %m = arith.mulf %x, %y : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// A static row count that is not a multiple of 8 (ViT's 197 tokens, a
// prime): 8-row tiles up to 192 and a peeled, static 5-row remainder, both
// vectorized; 1-row tiles would re-read the right-hand matrix for every row.
// CHECK-LABEL: func.func @prime_rows
// CHECK: scf.for %{{.*}} = %c0 to %c192 step %c8
// CHECK: vector.contract {{.*}} : vector<8x16xf32>, vector<16x32xf32> into vector<8x32xf32>
// CHECK: vector.contract {{.*}} : vector<5x16xf32>, vector<16x32xf32> into vector<5x32xf32>
func.func @prime_rows(%x: memref<197x768xf32>, %w: memref<768x3072xf32>, %y: memref<197x3072xf32>) {
  linalg.matmul ins(%x, %w : memref<197x768xf32>, memref<768x3072xf32>) outs(%y : memref<197x3072xf32>)
  return
}

// -----

// A batch matmul with two run-time operands (attention's products; 197
// columns and depth, a prime): a loop over the batch (kiln.parallel) of
// matmuls on the packed matmul micro-kernel with the right operand read in
// place: 8 x 32 register tiles, the column panels outside the rows, one
// contiguous 32-wide row of the right operand per k, the last 5 columns
// masked.  The zero fill of the result before it moves into the loop and
// into the tiles (a zero tile written before the accumulators are read).
// CHECK-LABEL: func.func @batch_matmul_prime
// CHECK: scf.for %[[B:.*]] = %c0 to %c12 step %c1 {
// CHECK: %[[BS:.*]] = memref.subview %arg1[%[[B]], 0, 0] [1, 197, 197] [1, 1, 1] : memref<12x197x197xf32> to memref<197x197xf32
// CHECK: scf.for %{{.*}} = %c0 to %c192 step %c32 {
// CHECK: scf.for %{{.*}} = %c0 to %c200 step %c8 {
// CHECK: vector.transfer_write %{{.*}} : vector<8x32xf32>
// CHECK: scf.for %{{.*}} = %c0 to %c197 step %c1 iter_args(
// CHECK: vector.transfer_read %{{.*}} {in_bounds = [true]} : memref<197x32xf32, strided<[197, 1], offset: ?>>, vector<32xf32>
// CHECK: vector.fma {{.*}} : vector<32xf32>
// CHECK: } {kiln.parallel}
// CHECK: vector.transfer_read %{{.*}} : memref<197x5xf32, strided<[197, 1], offset: ?>>, vector<32xf32>
// CHECK: } {kiln.parallel}
// CHECK-NOT: linalg.
// CHECK: return
func.func @batch_matmul_prime(%a: memref<12x200x197xf32>, %b: memref<12x197x197xf32>, %c: memref<12x200x197xf32>) {
  %z = arith.constant 0.0 : f32
  linalg.fill ins(%z : f32) outs(%c : memref<12x200x197xf32>)
  linalg.batch_matmul ins(%a, %b : memref<12x200x197xf32>, memref<12x197x197xf32>) outs(%c : memref<12x200x197xf32>)
  return
}

// -----

// Left to the general tiling: a dynamic depth (the right operand's rows
// are not known: tiles of 8 x 32 columns (197, a prime: full tiles and a
// peeled remainder of 5) and a depth of 1), f16 (one tile).
// CHECK-LABEL: func.func @batch_matmul_general
// CHECK-NOT: vector.fma
// CHECK: scf.for %{{.*}} = %c0 to %c192 step %c32
// CHECK: vector.contract {{.*}} : vector<1x8x1xf32>, vector<1x1x32xf32> into vector<1x8x32xf32>
// CHECK: vector.contract {{.*}} : vector<1x8x1xf32>, vector<1x1x5xf32> into vector<1x8x5xf32>
// CHECK: vector.contract {{.*}} : vector<1x4x8xf16>, vector<1x8x4xf16> into vector<1x4x4xf16>
// CHECK-NOT: vector.fma
// CHECK: return
func.func @batch_matmul_general(%a: memref<12x200x?xf32>, %b: memref<12x?x197xf32>, %c: memref<12x200x197xf32>,
                                %ah: memref<2x4x8xf16>, %bh: memref<2x8x4xf16>, %ch: memref<2x4x4xf16>) {
  linalg.batch_matmul ins(%a, %b : memref<12x200x?xf32>, memref<12x?x197xf32>) outs(%c : memref<12x200x197xf32>)
  linalg.batch_matmul ins(%ah, %bh : memref<2x4x8xf16>, memref<2x8x4xf16>) outs(%ch : memref<2x4x4xf16>)
  return
}

// -----

// BERT's attention product after elementwise fusion: a contraction generic
// with two batch dims ([B, 12, 128, 64] x [B, 12, 64, 128]) and a zero fill
// of its output: rewritten as a batch matmul on the [B * 12, ...] views,
// then the same loop over the batch of matmuls on the micro-kernel.
// CHECK-LABEL: func.func @batch_matmul_two_batch_dims
// CHECK: memref.collapse_shape %arg0 {{\[}}[0, 1], [2], [3]] : memref<?x12x128x64xf32> into memref<?x128x64xf32>
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c1 {
// CHECK: vector.fma {{.*}} : vector<32xf32>
// CHECK: } {kiln.parallel}
// CHECK-NOT: linalg.
// CHECK: return
#qa = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
#kb = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4, d3)>
#sc = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
func.func @batch_matmul_two_batch_dims(%q: memref<?x12x128x64xf32>, %k: memref<?x12x64x128xf32>, %s: memref<?x12x128x128xf32>) {
  %z = arith.constant 0.0 : f32
  linalg.fill ins(%z : f32) outs(%s : memref<?x12x128x128xf32>)
  linalg.generic {indexing_maps = [#qa, #kb, #sc], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %k : memref<?x12x128x64xf32>, memref<?x12x64x128xf32>) outs(%s : memref<?x12x128x128xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  }
  return
}
