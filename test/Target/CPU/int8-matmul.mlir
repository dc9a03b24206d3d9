// RUN: kiln-opt --kiln-cpu-int8-matmul --split-input-file %s | FileCheck %s

// The three int8 products NNToLinalg writes, on buffers, become the VNNI
// micro-kernel: the weights packed into i32 quads (a new constant global),
// vpdpbusd in the loops, the zero fill of the result dropped.

#mA = affine_map<(m, n, k) -> (m, k)>
#mB = affine_map<(m, n, k) -> (k, n)>
#mC = affine_map<(m, n, k) -> (m, n)>
memref.global "private" constant @w : memref<5x3xi8> = dense<[[1, 2, 3], [4, 5, 6], [7, 8, 9], [-1, -2, -3], [0, 1, 0]]>
// nn.qmatmul's product [M, K] x [K, N]: panels [ceil(N/32)][ceil(K/4)][32];
// K = 5 leaves a partial quad (a masked read).
// CHECK: memref.global "private" constant @w_vnni : memref<1x2x32xi32>
// CHECK-LABEL: func.func @matmul
// CHECK-NOT: linalg.fill
// CHECK: scf.for
// CHECK: vector.transfer_read {{.*}} : memref<?x5xi8>, vector<4xi8>
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK: vector.maskedstore
// CHECK-NOT: linalg.generic
func.func @matmul(%a: memref<?x5xi8>, %c: memref<?x3xi32>) {
  %w = memref.get_global @w : memref<5x3xi8>
  %z = arith.constant 0 : i32
  linalg.fill ins(%z : i32) outs(%c : memref<?x3xi32>)
  linalg.generic {indexing_maps = [#mA, #mB, #mC], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x5xi8>, memref<5x3xi8>) outs(%c : memref<?x3xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extui %x : i8 to i32
    %ye = arith.extsi %y : i8 to i32
    %p = arith.muli %xe, %ye : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  }
  return
}

// A right operand that is not a constant global: left to the generic path.
// CHECK-LABEL: func.func @not_constant
// CHECK-NOT: llvm.call_intrinsic
// CHECK: linalg.generic
func.func @not_constant(%a: memref<?x5xi8>, %w: memref<5x3xi8>, %c: memref<?x3xi32>) {
  linalg.generic {indexing_maps = [#mA, #mB, #mC], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x5xi8>, memref<5x3xi8>) outs(%c : memref<?x3xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extui %x : i8 to i32
    %ye = arith.extsi %y : i8 to i32
    %p = arith.muli %xe, %ye : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  }
  return
}

// -----

#mW = affine_map<(n, f, p, k) -> (f, k)>
#mX = affine_map<(n, f, p, k) -> (n, k, p)>
#mO = affine_map<(n, f, p, k) -> (n, f, p)>
memref.global "private" constant @f : memref<2x8xi8> = dense<1>
// nn.qconv through gathered windows: [F, K] x [N, K, P], quads per filter
// row [F][ceil(K/4)]; the four rows of a quad interleaved by shuffles.  A
// signed input (extsi) is biased by 128 and the bias's product subtracted.
// CHECK-DAG: memref.global "private" constant @f_vnni : memref<2x2xi32>
// CHECK-DAG: memref.global "private" constant @f_vnni_bias : memref<2xi32>
// CHECK-LABEL: func.func @conv_cols
// CHECK: vector.shuffle
// CHECK: arith.xori
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK: arith.subi
// CHECK-NOT: linalg.generic
func.func @conv_cols(%x: memref<?x8x20xi8>, %c: memref<?x2x20xi32>) {
  %w = memref.get_global @f : memref<2x8xi8>
  linalg.generic {indexing_maps = [#mW, #mX, #mO], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%w, %x : memref<2x8xi8>, memref<?x8x20xi8>) outs(%c : memref<?x2x20xi32>) {
  ^bb0(%y: i8, %v: i8, %acc: i32):
    %ye = arith.extsi %y : i8 to i32
    %ve = arith.extsi %v : i8 to i32
    %p = arith.muli %ye, %ve : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  }
  return
}

// -----

#dW = affine_map<(n, f, oh, ow, c, kh, kw) -> (f, c, kh, kw)>
#dX = affine_map<(n, f, oh, ow, c, kh, kw) -> (n, c, oh + kh, ow + kw)>
#dO = affine_map<(n, f, oh, ow, c, kh, kw) -> (n, f, oh, ow)>
memref.global "private" constant @g : memref<16x6x3x3xi8> = dense<2>
// A stride-1 nn.qconv on its padded input: quads of channels per tap,
// [F][KH][KW][ceil(C/4)]; 6 channels leave a partial quad.  Rows of at most
// 16 pixels: 16 filters per tile.
// CHECK: memref.global "private" constant @g_vnni : memref<16x3x3x2xi32>
// CHECK-LABEL: func.func @conv_direct
// CHECK: vector.shuffle
// CHECK-COUNT-16: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK: vector.maskedstore
// CHECK-NOT: linalg.generic
func.func @conv_direct(%x: memref<?x6x14x14xi8>, %c: memref<?x16x12x12xi32>) {
  %w = memref.get_global @g : memref<16x6x3x3xi8>
  linalg.generic {indexing_maps = [#dW, #dX, #dO], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%w, %x : memref<16x6x3x3xi8>, memref<?x6x14x14xi8>) outs(%c : memref<?x16x12x12xi32>) {
  ^bb0(%y: i8, %v: i8, %acc: i32):
    %ye = arith.extsi %y : i8 to i32
    %ve = arith.extui %v : i8 to i32
    %p = arith.muli %ye, %ve : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  }
  return
}
