// RUN: kiln-opt --kiln-cpu-int8-matmul --split-input-file %s | FileCheck %s
// RUN: kiln-opt --kiln-cpu-int8-matmul="bf16=false" --split-input-file %s | FileCheck %s --check-prefix=OFF

// The bf16 products NNToLinalg writes for kiln-nn-quantize's bf16 layers
// (bf16 x bf16, acc + extf(w) * extf(x) in f32), on buffers, become the
// micro-kernels with vdpbf16ps: the weights packed into i32 words of two
// bf16 (a pair of the reduction per lane), the zero fill dropped.  Without
// the bf16 option (a CPU without AVX512_BF16) they stay generic loops.

#mA = affine_map<(m, n, k) -> (m, k)>
#mB = affine_map<(m, n, k) -> (k, n)>
#mC = affine_map<(m, n, k) -> (m, n)>
memref.global "private" constant @w : memref<5x3xbf16> = dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0], [-1.0, -2.0, -3.0], [0.0, 1.0, 0.0]]>
// nn.matmul's product [M, K] x [K, N]: panels [ceil(N/32)][ceil(K/2)][32];
// K = 5 leaves a partial pair (a masked read padded with zero).
// CHECK: memref.global "private" constant @w_bf16 : memref<1x3x32xi32> = dense_resource<w_bf16>
// CHECK-LABEL: func.func @matmul
// CHECK-NOT: linalg.fill
// CHECK: scf.for
// CHECK: vector.load {{.*}} : memref<?x5xbf16>, vector<2xbf16>
// CHECK: vector.bitcast {{.*}} : vector<16xi32> to vector<32xbf16>
// CHECK: llvm.call_intrinsic "llvm.x86.avx512bf16.dpbf16ps.512"({{.*}}) : (vector<16xf32>, vector<32xbf16>, vector<32xbf16>) -> vector<16xf32>
// CHECK: vector.transfer_read {{.*}} : memref<?x5xbf16>, vector<2xbf16>
// CHECK: vector.maskedstore {{.*}} : memref<?x3xf32>, vector<16xi1>, vector<16xf32>
// CHECK-NOT: linalg.generic
// CHECK-NOT: vpdpbusd
// OFF-LABEL: func.func @matmul
// OFF-NOT: dpbf16ps
// OFF: linalg.generic
// The weights: word (q, n) holds w[2q, n] in its low half and w[2q + 1, n]
// in its high half (1.0 = 0x3F80, 4.0 = 0x4080: 0x40803F80).
// CHECK: w_bf16: "0x04000000803F8040
func.func @matmul(%a: memref<?x5xbf16>, %c: memref<?x3xf32>) {
  %w = memref.get_global @w : memref<5x3xbf16>
  %z = arith.constant 0.0 : f32
  linalg.fill ins(%z : f32) outs(%c : memref<?x3xf32>)
  linalg.generic {indexing_maps = [#mA, #mB, #mC], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x5xbf16>, memref<5x3xbf16>) outs(%c : memref<?x3xf32>) {
  ^bb0(%x: bf16, %y: bf16, %acc: f32):
    %xe = arith.extf %x : bf16 to f32
    %ye = arith.extf %y : bf16 to f32
    %p = arith.mulf %ye, %xe : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

#mA = affine_map<(m, n, k) -> (m, k)>
#mB = affine_map<(m, n, k) -> (k, n)>
#mC = affine_map<(m, n, k) -> (m, n)>
memref.global "private" constant @w : memref<4x3xbf16> = dense<1.0>
memref.global "private" constant @h : memref<4x3xf16> = dense<1.0>
// Not the bf16 product: a right operand that is no constant global, an f16
// product, a body that is not acc + x * w (a subtraction), and an init that
// is not zero-filled (read as the accumulators' start).
// CHECK-LABEL: func.func @negative
// CHECK-COUNT-3: linalg.generic
// CHECK: llvm.call_intrinsic "llvm.x86.avx512bf16.dpbf16ps.512"
// CHECK-NOT: linalg.generic
func.func @negative(%a: memref<?x4xbf16>, %wv: memref<4x3xbf16>, %c: memref<?x3xf32>, %ah: memref<?x4xf16>) {
  linalg.generic {indexing_maps = [#mA, #mB, #mC], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %wv : memref<?x4xbf16>, memref<4x3xbf16>) outs(%c : memref<?x3xf32>) {
  ^bb0(%x: bf16, %y: bf16, %acc: f32):
    %xe = arith.extf %x : bf16 to f32
    %ye = arith.extf %y : bf16 to f32
    %p = arith.mulf %xe, %ye : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  %h = memref.get_global @h : memref<4x3xf16>
  linalg.generic {indexing_maps = [#mA, #mB, #mC], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%ah, %h : memref<?x4xf16>, memref<4x3xf16>) outs(%c : memref<?x3xf32>) {
  ^bb0(%x: f16, %y: f16, %acc: f32):
    %xe = arith.extf %x : f16 to f32
    %ye = arith.extf %y : f16 to f32
    %p = arith.mulf %xe, %ye : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  %w = memref.get_global @w : memref<4x3xbf16>
  linalg.generic {indexing_maps = [#mA, #mB, #mC], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x4xbf16>, memref<4x3xbf16>) outs(%c : memref<?x3xf32>) {
  ^bb0(%x: bf16, %y: bf16, %acc: f32):
    %xe = arith.extf %x : bf16 to f32
    %ye = arith.extf %y : bf16 to f32
    %p = arith.mulf %xe, %ye : f32
    %s = arith.subf %acc, %p : f32
    linalg.yield %s : f32
  }
  // Accumulates onto what %c holds: the kernel reads it first.
  linalg.generic {indexing_maps = [#mA, #mB, #mC], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x4xbf16>, memref<4x3xbf16>) outs(%c : memref<?x3xf32>) {
  ^bb0(%x: bf16, %y: bf16, %acc: f32):
    %xe = arith.extf %x : bf16 to f32
    %ye = arith.extf %y : bf16 to f32
    %p = arith.mulf %xe, %ye : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

#mW = affine_map<(n, f, p, k) -> (f, k)>
#mX = affine_map<(n, f, p, k) -> (n, k, p)>
#mO = affine_map<(n, f, p, k) -> (n, f, p)>
memref.global "private" constant @f : memref<2x7xbf16> = dense<1.0>
// A convolution through gathered windows: [F, K] x [N, K, P], pairs per
// filter row [F][ceil(K/2)]; the two rows of a pair interleaved by one
// shuffle; no signed-input bias (that is int8's).
// CHECK: memref.global "private" constant @f_bf16 : memref<2x4xi32>
// CHECK-NOT: _bias
// CHECK-LABEL: func.func @conv_cols
// CHECK: vector.shuffle {{.*}} : vector<16xbf16>, vector<16xbf16>
// CHECK: llvm.call_intrinsic "llvm.x86.avx512bf16.dpbf16ps.512"
// CHECK-NOT: arith.subi
// CHECK-NOT: linalg.generic
func.func @conv_cols(%x: memref<?x7x20xbf16>, %c: memref<?x2x20xf32>) {
  %w = memref.get_global @f : memref<2x7xbf16>
  %z = arith.constant 0.0 : f32
  linalg.fill ins(%z : f32) outs(%c : memref<?x2x20xf32>)
  linalg.generic {indexing_maps = [#mW, #mX, #mO], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%w, %x : memref<2x7xbf16>, memref<?x7x20xbf16>) outs(%c : memref<?x2x20xf32>) {
  ^bb0(%y: bf16, %v: bf16, %acc: f32):
    %ye = arith.extf %y : bf16 to f32
    %ve = arith.extf %v : bf16 to f32
    %p = arith.mulf %ye, %ve : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

#dW = affine_map<(n, f, oh, ow, c, kh, kw) -> (f, c, kh, kw)>
#dX = affine_map<(n, f, oh, ow, c, kh, kw) -> (n, c, oh + kh, ow + kw)>
#dO = affine_map<(n, f, oh, ow, c, kh, kw) -> (n, f, oh, ow)>
#id = affine_map<(n, f, h, w) -> (n, f, h, w)>
#ch = affine_map<(n, f, h, w) -> (f)>
memref.global "private" constant @g : memref<16x6x3x3xbf16> = dense<2.0>
// A stride-1 convolution on its padded input: pairs of channels per tap,
// [F][KH][KW][ceil(C/2)]; rows of at most 16 pixels: 16 filters per tile.
// Its epilogue (bias, relu and the next layer's cast to bf16) runs on the
// accumulator registers and stores bf16: the f32 buffer goes.
// CHECK: memref.global "private" constant @g_bf16 : memref<16x3x3x3xi32>
// CHECK-LABEL: func.func @conv_direct
// CHECK-NOT: memref.alloc
// CHECK: vector.shuffle
// CHECK-COUNT-16: llvm.call_intrinsic "llvm.x86.avx512bf16.dpbf16ps.512"
// CHECK: arith.addf {{.*}} : vector<16xf32>
// CHECK: arith.maximumf {{.*}} : vector<16xf32>
// CHECK: arith.truncf {{.*}} : vector<16xf32> to vector<16xbf16>
// CHECK: vector.maskedstore %arg1{{.*}} : memref<?x16x12x12xbf16>, vector<16xi1>, vector<16xbf16>
// CHECK-NOT: linalg.generic
// CHECK-NOT: memref.alloc
func.func @conv_direct(%x: memref<?x6x14x14xbf16>, %out: memref<?x16x12x12xbf16>, %bias: memref<16xf32>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x6x14x14xbf16>
  %w = memref.get_global @g : memref<16x6x3x3xbf16>
  %z = arith.constant 0.0 : f32
  %c = memref.alloc(%n) : memref<?x16x12x12xf32>
  linalg.fill ins(%z : f32) outs(%c : memref<?x16x12x12xf32>)
  linalg.generic {indexing_maps = [#dW, #dX, #dO], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%w, %x : memref<16x6x3x3xbf16>, memref<?x6x14x14xbf16>) outs(%c : memref<?x16x12x12xf32>) {
  ^bb0(%y: bf16, %v: bf16, %acc: f32):
    %ye = arith.extf %y : bf16 to f32
    %ve = arith.extf %v : bf16 to f32
    %p = arith.mulf %ye, %ve : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c, %bias : memref<?x16x12x12xf32>, memref<16xf32>) outs(%out : memref<?x16x12x12xbf16>) {
  ^bb0(%i: f32, %b: f32, %o: bf16):
    %v = arith.addf %i, %b : f32
    %r = arith.maximumf %v, %z : f32
    %t = arith.truncf %r : f32 to bf16
    linalg.yield %t : bf16
  }
  memref.dealloc %c : memref<?x16x12x12xf32>
  return
}
