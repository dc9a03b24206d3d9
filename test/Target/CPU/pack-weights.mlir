// RUN: kiln-opt --split-input-file --kiln-cpu-pack-weights %s | FileCheck %s
// RUN: kiln-opt --split-input-file --kiln-cpu-pack-weights --kiln-cpu-tile-and-vectorize --canonicalize %s | FileCheck %s --check-prefix=TILE

// A Linear layer's weights [K=4, N=40] get a copy in column panels
// [2][4][32] (the second panel holds columns 32..39 and zeros); two matmuls
// reading the same global share it.  The matmuls keep their operands.
// CHECK: memref.global "private" constant @w : memref<4x40xf32>
// CHECK: memref.global "private" constant @w_panels : memref<2x4x32xf32> = dense_resource<w_panels> {alignment = 64 : i64}
// CHECK-NOT: memref.global
// CHECK-LABEL: func.func @linear
// CHECK: %[[W:.*]] = memref.get_global @w : memref<4x40xf32>
// CHECK: linalg.matmul {kiln.packed_rhs = @w_panels} ins(%{{.*}}, %[[W]] : memref<?x4xf32>, memref<4x40xf32>)
// CHECK: linalg.matmul {kiln.packed_rhs = @w_panels} ins(%{{.*}}, %[[W]] : memref<13x4xf32>, memref<4x40xf32>)

// The packed kernel: register tiles of 8 rows x one 32-column panel, the
// panel loop (here one full panel: folded away) outside the row loop; each
// tile reads its panel of @w_panels row by row as vector<32xf32> and updates
// one vector<32xf32> accumulator per row by broadcast-FMA.  The peeled
// remainder rows (fewer than 8 at run time) store only the rows that exist;
// the partial panel (columns 32..39) writes masked vectors.
// TILE-LABEL: func.func @linear
// TILE: scf.for
// TILE: memref.get_global @w_panels : memref<2x4x32xf32>
// TILE: vector.transfer_read {{.*}} : memref<2x4x32xf32>, vector<32xf32>
// TILE: vector.fma {{.*}} : vector<32xf32>
// TILE: vector.transfer_write {{.*}} {in_bounds = [true]} : vector<32xf32>, memref<8x32xf32
// TILE: scf.for
// TILE: scf.if
// TILE: vector.transfer_write {{.*}} {in_bounds = [true]} : vector<32xf32>, memref<?x32xf32
// TILE: scf.for
// TILE: vector.transfer_write {{.*}} : vector<32xf32>, memref<8x8xf32
// TILE-NOT: linalg.matmul
// TILE-LABEL: func.func @static_rows
// TILE-NOT: linalg.matmul
// TILE: return
memref.global "private" constant @w : memref<4x40xf32> = dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0], [3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0]]>
func.func @linear(%x: memref<?x4xf32>, %y: memref<?x40xf32>) {
  %w = memref.get_global @w : memref<4x40xf32>
  linalg.matmul ins(%x, %w : memref<?x4xf32>, memref<4x40xf32>) outs(%y : memref<?x40xf32>)
  return
}
func.func @static_rows(%x: memref<13x4xf32>, %y: memref<13x40xf32>) {
  %w = memref.get_global @w : memref<4x40xf32>
  linalg.matmul ins(%x, %w : memref<13x4xf32>, memref<4x40xf32>) outs(%y : memref<13x40xf32>)
  return
}

// -----

// The panels hold the values: W[k][n] = 32 k + n + 1 for K = 2, N = 33:
// panel 0 row 0 is 1..32, row 1 is 34..65; panel 1 is (33, 0, ...) and
// (66, 0, ...).  The blob: alignment 64 (0x40000000), then f32 little-endian
// (1.0 = 0x3F800000, 34.0 = 0x42080000, 33.0 = 0x42040000, 66.0 = 0x42840000).
// CHECK-LABEL: func.func @values
// CHECK: w_panels: "0x400000000000803F00000040
// CHECK-SAME: 00000842
// CHECK-SAME: 0000044200000000
// CHECK-SAME: 0000844200000000
memref.global "private" constant @w : memref<2x33xf32> = dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0, 24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0, 32.0, 33.0], [34.0, 35.0, 36.0, 37.0, 38.0, 39.0, 40.0, 41.0, 42.0, 43.0, 44.0, 45.0, 46.0, 47.0, 48.0, 49.0, 50.0, 51.0, 52.0, 53.0, 54.0, 55.0, 56.0, 57.0, 58.0, 59.0, 60.0, 61.0, 62.0, 63.0, 64.0, 65.0, 66.0]]>
func.func @values(%x: memref<1x2xf32>, %y: memref<1x33xf32>) {
  %w = memref.get_global @w : memref<2x33xf32>
  linalg.matmul ins(%x, %w : memref<1x2xf32>, memref<2x33xf32>) outs(%y : memref<1x33xf32>)
  return
}

// -----

// Not packed: a run-time right operand, a mutable global, fewer than 32
// columns, f64, and a matmul with a transposed operand (user-defined maps).
// CHECK-NOT: _panels
// CHECK-LABEL: func.func @negatives
// CHECK-NOT: kiln.packed_rhs
memref.global "private" @mut : memref<4x64xf32> = dense<1.0>
memref.global "private" constant @narrow : memref<4x16xf32> = dense<1.0>
memref.global "private" constant @f64 : memref<4x64xf64> = dense<1.0>
memref.global "private" constant @wt : memref<64x4xf32> = dense<1.0>
func.func @negatives(%x: memref<8x4xf32>, %b: memref<4x64xf32>, %y: memref<8x64xf32>, %y16: memref<8x16xf32>,
                     %xd: memref<8x4xf64>, %yd: memref<8x64xf64>) {
  linalg.matmul ins(%x, %b : memref<8x4xf32>, memref<4x64xf32>) outs(%y : memref<8x64xf32>)
  %m = memref.get_global @mut : memref<4x64xf32>
  linalg.matmul ins(%x, %m : memref<8x4xf32>, memref<4x64xf32>) outs(%y : memref<8x64xf32>)
  %n = memref.get_global @narrow : memref<4x16xf32>
  linalg.matmul ins(%x, %n : memref<8x4xf32>, memref<4x16xf32>) outs(%y16 : memref<8x16xf32>)
  %d = memref.get_global @f64 : memref<4x64xf64>
  linalg.matmul ins(%xd, %d : memref<8x4xf64>, memref<4x64xf64>) outs(%yd : memref<8x64xf64>)
  %t = memref.get_global @wt : memref<64x4xf32>
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %t : memref<8x4xf32>, memref<64x4xf32>) outs(%y : memref<8x64xf32>)
  return
}
