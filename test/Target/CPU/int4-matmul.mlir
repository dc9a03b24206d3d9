// RUN: kiln-opt --kiln-cpu-int4-matmul --split-input-file %s | FileCheck %s
// RUN: kiln-opt --kiln-cpu-int4-matmul="lanes=8" --split-input-file %s | FileCheck %s --check-prefix=AVX2
// RUN: kiln-opt --kiln-cpu-int4-matmul="lanes=0" --split-input-file %s | FileCheck %s --check-prefix=OFF
// RUN: kiln-opt --kiln-cpu-int4-matmul="vnni=false" --split-input-file %s | FileCheck %s --check-prefix=NOVNNI
// RUN: not kiln-opt --kiln-cpu-int4-matmul="lanes=4" --split-input-file %s 2>&1 | FileCheck %s --check-prefix=LANES

// nn.int4_matmul's product (NNToLinalg: marked kiln.int4_product = G, x
// viewed [M, K/G, G/2, 2], codes [K/G, G/2, N], scales and zero points
// [K/G, N]) on buffers becomes the int4 kernel: the codes repacked into
// [P][K/2][64] bytes (P = ceil(N / 64); 16 lanes x 4 vectors), the scales
// and scale x zero point into [P][K/G][64] f32, per panel and row block a
// loop over the groups and, inside, over the pairs of k: byte vectors
// widened to i32, their nibbles as f32 (vpermps from the table 0..15 for
// the low one and the high one shifted down by 4), FMAs with the rows'
// broadcast x; at each group's end the result gets scale x acc - scale x
// zp x sum(x), masked past N.  With 8 lanes (AVX2) the nibbles are masked
// and converted instead; lanes=0 leaves the generic.

#mX = affine_map<(m, n, g, j, p) -> (m, g, j, p)>
#mW = affine_map<(m, n, g, j, p) -> (g, j, n)>
#mS = affine_map<(m, n, g, j, p) -> (g, n)>
#mC = affine_map<(m, n, g, j, p) -> (m, n)>
// K = 8, G = 4, N = 3: codes [2, 2, 3]; byte (j, n) = 0x21 everywhere
// (codes 1 and 2); scale 0.5 and zero point 8 for group 0, 0.25 and 3 for
// group 1.
memref.global "private" constant @w : memref<2x2x3xi8> = dense<33>
memref.global "private" constant @s : memref<2x3xf32> = dense<[[0.5, 0.5, 0.5], [0.25, 0.25, 0.25]]>
memref.global "private" constant @z : memref<2x3xf32> = dense<[[8.0, 8.0, 8.0], [3.0, 3.0, 3.0]]>
// CHECK-DAG: memref.global "private" constant @w_int4 : memref<1x4x64xi8> = dense_resource<w_int4>
// CHECK-DAG: memref.global "private" constant @w_int4_scales : memref<1x2x64xf32> = dense_resource<w_int4_scales>
// CHECK-DAG: memref.global "private" constant @w_int4_offsets : memref<1x2x64xf32> = dense_resource<w_int4_offsets>
// CHECK-LABEL: func.func @int4
// CHECK: scf.for
// CHECK: scf.for
// CHECK: vector.load {{.*}} : memref<1x4x64xi8>, vector<16xi8>
// CHECK: arith.extui {{.*}} : vector<16xi8> to vector<16xi32>
// CHECK: arith.shrui
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.permvar.sf.512"
// CHECK: memref.load {{.*}} : memref<?x2x2x2xf32>
// CHECK: vector.broadcast
// CHECK: vector.fma
// CHECK: vector.load {{.*}} : memref<1x2x64xf32>, vector<16xf32>
// CHECK: vector.maskedload {{.*}} : memref<?x3xf32>, vector<16xi1>, vector<16xf32> into vector<16xf32>
// CHECK: vector.fma
// CHECK: arith.subf
// CHECK: vector.maskedstore {{.*}} : memref<?x3xf32>, vector<16xi1>, vector<16xf32>
// CHECK-NOT: linalg.generic
// The packed codes: column n of panel 0 at byte n of each pair row (33 =
// 0x21 for the 3 real columns, zeros after); the offsets scale x zp (4 and
// 0.75 = 0x40800000 and 0x3F400000).
// CHECK: w_int4_offsets: "0x040000000000804000008040000080400000
// CHECK: w_int4: "0x01000000212121000000
// AVX2-LABEL: func.func @int4
// AVX2: vector.load {{.*}} : memref<1x4x32xi8>, vector<8xi8>
// AVX2: arith.andi
// AVX2: arith.uitofp {{.*}} : vector<8xi32> to vector<8xf32>
// AVX2-NOT: permvar
// AVX2: vector.fma {{.*}} : vector<8xf32>
// OFF-LABEL: func.func @int4
// OFF: linalg.generic
// OFF-SAME: kiln.int4_product = 4
// LANES: kiln-cpu-int4-matmul: lanes must be 8, 16 or 0 (got 4)
func.func @int4(%x: memref<?x2x2x2xf32>, %c: memref<?x3xf32>) {
  %w = memref.get_global @w : memref<2x2x3xi8>
  %s = memref.get_global @s : memref<2x3xf32>
  %z = memref.get_global @z : memref<2x3xf32>
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<?x3xf32>)
  linalg.generic {indexing_maps = [#mX, #mW, #mS, #mS, #mC], iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %w, %s, %z : memref<?x2x2x2xf32>, memref<2x2x3xi8>, memref<2x3xf32>, memref<2x3xf32>) outs(%c : memref<?x3xf32>) attrs = {kiln.int4_product = 4 : i64} {
  ^bb0(%xv: f32, %b: i8, %sv: f32, %zv: f32, %acc: f32):
    %u = arith.extui %b : i8 to i32
    %p = linalg.index 4 : index
    %four = arith.constant 4 : index
    %sh = arith.muli %p, %four : index
    %shi = arith.index_cast %sh : index to i32
    %v = arith.shrui %u, %shi : i32
    %m = arith.constant 15 : i32
    %code = arith.andi %v, %m : i32
    %f = arith.uitofp %code : i32 to f32
    %d = arith.subf %f, %zv : f32
    %wv = arith.mulf %d, %sv : f32
    %pr = arith.mulf %xv, %wv : f32
    %r = arith.addf %acc, %pr : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Not the kernel's form: no marker (a generic reduction of the same shape
// stays as it is), or a group size that disagrees with the codes' view.
#mX = affine_map<(m, n, g, j, p) -> (m, g, j, p)>
#mW = affine_map<(m, n, g, j, p) -> (g, j, n)>
#mS = affine_map<(m, n, g, j, p) -> (g, n)>
#mC = affine_map<(m, n, g, j, p) -> (m, n)>
memref.global "private" constant @w : memref<2x2x3xi8> = dense<33>
memref.global "private" constant @s : memref<2x3xf32> = dense<0.5>
// CHECK-LABEL: func.func @not_int4
// CHECK-COUNT-2: linalg.generic
// CHECK-NOT: vector.fma
func.func @not_int4(%x: memref<?x2x2x2xf32>, %c: memref<?x3xf32>) {
  %w = memref.get_global @w : memref<2x2x3xi8>
  %s = memref.get_global @s : memref<2x3xf32>
  linalg.generic {indexing_maps = [#mX, #mW, #mS, #mS, #mC], iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %w, %s, %s : memref<?x2x2x2xf32>, memref<2x2x3xi8>, memref<2x3xf32>, memref<2x3xf32>) outs(%c : memref<?x3xf32>) {
  ^bb0(%xv: f32, %b: i8, %sv: f32, %zv: f32, %acc: f32):
    %r = arith.addf %acc, %xv : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#mX, #mW, #mS, #mS, #mC], iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %w, %s, %s : memref<?x2x2x2xf32>, memref<2x2x3xi8>, memref<2x3xf32>, memref<2x3xf32>) outs(%c : memref<?x3xf32>) attrs = {kiln.int4_product = 8 : i64} {
  ^bb0(%xv: f32, %b: i8, %sv: f32, %zv: f32, %acc: f32):
    %r = arith.addf %acc, %xv : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// W4A8 (marked kiln.int4_lhs_int8: x holds q * sx per row and group): q
// and sx recovered into scratch buffers, the codes packed per octet of k
// ([P][K/8][4 x 64] bytes), two vpdpbusd per vector and row; without VNNI
// (vnni=false) the f32 kernel.
#mX = affine_map<(m, n, g, j, p) -> (m, g, j, p)>
#mW = affine_map<(m, n, g, j, p) -> (g, j, n)>
#mS = affine_map<(m, n, g, j, p) -> (g, n)>
#mC = affine_map<(m, n, g, j, p) -> (m, n)>
memref.global "private" constant @w8 : memref<2x4x3xi8> = dense<33>
memref.global "private" constant @s8 : memref<2x3xf32> = dense<0.5>
memref.global "private" constant @z8 : memref<2x3xf32> = dense<8.0>
// CHECK-DAG: memref.global "private" constant @w8_w4a8 : memref<1x2x256xi8> = dense_resource<w8_w4a8>
// CHECK-LABEL: func.func @w4a8
// CHECK: memref.alloc(%{{.*}}) : memref<?x16xi8>
// CHECK: math.roundeven
// CHECK: arith.fptosi {{.*}} : f32 to i8
// CHECK: vector.load {{.*}} : memref<1x2x256xi8>, vector<64xi8>
// CHECK: arith.andi {{.*}} : vector<64xi8>
// CHECK: arith.shrui {{.*}} : vector<64xi8>
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK: arith.sitofp {{.*}} : vector<16xi32> to vector<16xf32>
// CHECK: vector.maskedstore
// CHECK: memref.dealloc
// CHECK-NOT: linalg.generic
// The octet packing: byte (v = 0, 4 l + j) holds the codes of k = j (low
// nibble: 1, from 0x21's low nibble at even k) and k = 4 + j (high nibble:
// 1 again, k even), then j = 1 (odd k: 2 and 2): 0x11, 0x22, 0x11, 0x22.
// CHECK: w8_w4a8: "0x0100000011221122112211221122
// NOVNNI-LABEL: func.func @w4a8
// NOVNNI-NOT: vpdpbusd
// NOVNNI: vector.fma
func.func @w4a8(%x: memref<?x2x4x2xf32>, %c: memref<?x3xf32>) {
  %w = memref.get_global @w8 : memref<2x4x3xi8>
  %s = memref.get_global @s8 : memref<2x3xf32>
  %z = memref.get_global @z8 : memref<2x3xf32>
  linalg.generic {indexing_maps = [#mX, #mW, #mS, #mS, #mC], iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %w, %s, %z : memref<?x2x4x2xf32>, memref<2x4x3xi8>, memref<2x3xf32>, memref<2x3xf32>) outs(%c : memref<?x3xf32>) attrs = {kiln.int4_product = 8 : i64, kiln.int4_lhs_int8} {
  ^bb0(%xv: f32, %b: i8, %sv: f32, %zv: f32, %acc: f32):
    %u = arith.extui %b : i8 to i32
    %p = linalg.index 4 : index
    %four = arith.constant 4 : index
    %sh = arith.muli %p, %four : index
    %shi = arith.index_cast %sh : index to i32
    %v = arith.shrui %u, %shi : i32
    %m = arith.constant 15 : i32
    %code = arith.andi %v, %m : i32
    %f = arith.uitofp %code : i32 to f32
    %d = arith.subf %f, %zv : f32
    %wv = arith.mulf %d, %sv : f32
    %pr = arith.mulf %xv, %wv : f32
    %r = arith.addf %acc, %pr : f32
    linalg.yield %r : f32
  }
  return
}
