// RUN: kiln-opt --kiln-cpu-int8-matmul --split-input-file %s | FileCheck %s
// RUN: kiln-opt --kiln-cpu-int8-matmul="vnni=false" --split-input-file %s | FileCheck %s --check-prefix=AVX2

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

// -----

#mA = affine_map<(m, n, k) -> (m, k)>
#mB = affine_map<(m, n, k) -> (k, n)>
#mC = affine_map<(m, n, k) -> (m, n)>
#id = affine_map<(m, n) -> (m, n)>
#col = affine_map<(m, n) -> (n)>
memref.global "private" constant @w : memref<5x3xi8> = dense<1>
memref.global "private" constant @s : memref<3xf32> = dense<0.5>
// The dequantizing epilogue (scale and bias per column, relu) and the next
// layer's quantization, elementwise generics on the product's accumulators
// with nothing writing memory in between: computed on the accumulator
// registers (the scale a vector along the lanes, the relu's constant
// broadcast) and stored as the final i8; the int32 buffer and the f32 one
// between the two generics go.
// CHECK-LABEL: func.func @fused_epilogue
// CHECK-NOT: memref.alloc
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK: arith.sitofp {{.*}} : vector<16xi32> to vector<16xf32>
// CHECK: arith.mulf {{.*}} : vector<16xf32>
// CHECK: arith.maximumf {{.*}} : vector<16xf32>
// CHECK: arith.fptoui {{.*}} : vector<16xf32> to vector<16xi8>
// CHECK: vector.maskedstore %arg1{{.*}} : memref<?x3xi8>, vector<16xi1>, vector<16xi8>
// CHECK-NOT: linalg.generic
// CHECK-NOT: memref.alloc
func.func @fused_epilogue(%a: memref<?x5xi8>, %out: memref<?x3xi8>, %bias: memref<3xf32>) {
  %c0 = arith.constant 0 : index
  %m = memref.dim %a, %c0 : memref<?x5xi8>
  %w = memref.get_global @w : memref<5x3xi8>
  %sc = memref.get_global @s : memref<3xf32>
  %z = arith.constant 0 : i32
  %zf = arith.constant 0.0 : f32
  %q = arith.constant 4.0 : f32
  %acc = memref.alloc(%m) : memref<?x3xi32>
  linalg.fill ins(%z : i32) outs(%acc : memref<?x3xi32>)
  linalg.generic {indexing_maps = [#mA, #mB, #mC], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x5xi8>, memref<5x3xi8>) outs(%acc : memref<?x3xi32>) {
  ^bb0(%x: i8, %y: i8, %c: i32):
    %xe = arith.extui %x : i8 to i32
    %ye = arith.extsi %y : i8 to i32
    %p = arith.muli %xe, %ye : i32
    %s = arith.addi %c, %p : i32
    linalg.yield %s : i32
  }
  %f = memref.alloc(%m) : memref<?x3xf32>
  linalg.generic {indexing_maps = [#id, #col, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%acc, %sc, %bias : memref<?x3xi32>, memref<3xf32>, memref<3xf32>) outs(%f : memref<?x3xf32>) {
  ^bb0(%i: i32, %s: f32, %b: f32, %o: f32):
    %v = arith.sitofp %i : i32 to f32
    %x = arith.mulf %v, %s : f32
    %y = arith.addf %x, %b : f32
    %r = arith.maximumf %y, %zf : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%f : memref<?x3xf32>) outs(%out : memref<?x3xi8>) {
  ^bb0(%i: f32, %o: i8):
    %d = arith.divf %i, %q : f32
    %r = math.roundeven %d : f32
    %u = arith.fptoui %r : f32 to i8
    linalg.yield %u : i8
  }
  memref.dealloc %acc : memref<?x3xi32>
  memref.dealloc %f : memref<?x3xf32>
  return
}

// The kernel moves to its epilogue's place: past writes to other buffers
// (the fill of the bias the epilogue reads, which it then reads filled) and
// past the deallocation of its input, which moves after it.
// CHECK-LABEL: func.func @epilogue_past_writes
// CHECK: linalg.fill
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK: vector.maskedstore %arg1{{.*}} : memref<?x3xf32>
// CHECK: memref.dealloc %arg0
// CHECK-NOT: linalg.generic
func.func @epilogue_past_writes(%a: memref<?x5xi8>, %out: memref<?x3xf32>, %bias: memref<3xf32>) {
  %c0 = arith.constant 0 : index
  %m = memref.dim %a, %c0 : memref<?x5xi8>
  %w = memref.get_global @w : memref<5x3xi8>
  %z = arith.constant 0 : i32
  %one = arith.constant 1.0 : f32
  %acc = memref.alloc(%m) : memref<?x3xi32>
  linalg.fill ins(%z : i32) outs(%acc : memref<?x3xi32>)
  linalg.generic {indexing_maps = [#mA, #mB, #mC], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x5xi8>, memref<5x3xi8>) outs(%acc : memref<?x3xi32>) {
  ^bb0(%x: i8, %y: i8, %c: i32):
    %xe = arith.extui %x : i8 to i32
    %ye = arith.extsi %y : i8 to i32
    %p = arith.muli %xe, %ye : i32
    %s = arith.addi %c, %p : i32
    linalg.yield %s : i32
  }
  memref.dealloc %a : memref<?x5xi8>
  linalg.fill ins(%one : f32) outs(%bias : memref<3xf32>)
  linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%acc, %bias : memref<?x3xi32>, memref<3xf32>) outs(%out : memref<?x3xf32>) {
  ^bb0(%i: i32, %b: f32, %o: f32):
    %v = arith.sitofp %i : i32 to f32
    %y = arith.addf %v, %b : f32
    linalg.yield %y : f32
  }
  memref.dealloc %acc : memref<?x3xi32>
  return
}

// A write to the product's input between the product and its epilogue:
// the kernel cannot move past it, and the epilogue stays a pass of its own
// over the int32 accumulators.
// CHECK-LABEL: func.func @epilogue_not_fused
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK: vector.maskedstore {{.*}} : memref<?x3xi32>
// CHECK: linalg.fill
// CHECK: linalg.generic
func.func @epilogue_not_fused(%a: memref<?x5xi8>, %out: memref<?x3xf32>, %bias: memref<3xf32>) {
  %c0 = arith.constant 0 : index
  %m = memref.dim %a, %c0 : memref<?x5xi8>
  %w = memref.get_global @w : memref<5x3xi8>
  %z = arith.constant 0 : i32
  %z8 = arith.constant 0 : i8
  %acc = memref.alloc(%m) : memref<?x3xi32>
  linalg.fill ins(%z : i32) outs(%acc : memref<?x3xi32>)
  linalg.generic {indexing_maps = [#mA, #mB, #mC], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x5xi8>, memref<5x3xi8>) outs(%acc : memref<?x3xi32>) {
  ^bb0(%x: i8, %y: i8, %c: i32):
    %xe = arith.extui %x : i8 to i32
    %ye = arith.extsi %y : i8 to i32
    %p = arith.muli %xe, %ye : i32
    %s = arith.addi %c, %p : i32
    linalg.yield %s : i32
  }
  linalg.fill ins(%z8 : i8) outs(%a : memref<?x5xi8>)
  linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%acc, %bias : memref<?x3xi32>, memref<3xf32>) outs(%out : memref<?x3xf32>) {
  ^bb0(%i: i32, %b: f32, %o: f32):
    %v = arith.sitofp %i : i32 to f32
    %y = arith.addf %v, %b : f32
    linalg.yield %y : f32
  }
  memref.dealloc %acc : memref<?x3xi32>
  return
}

// An epilogue whose output shares memory with the product's input (here two
// subviews of one buffer; bufferization reuses a dead input's buffer this
// way): stores from the registers would overwrite input other tiles still
// read, so the epilogue stays a pass of its own.
// CHECK-LABEL: func.func @epilogue_in_place_of_input
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK: vector.maskedstore {{.*}} : memref<4x3xi32>
// CHECK: linalg.generic
func.func @epilogue_in_place_of_input(%buf: memref<4x8xi8>) {
  %w = memref.get_global @w : memref<5x3xi8>
  %z = arith.constant 0 : i32
  %x = memref.subview %buf[0, 0] [4, 5] [1, 1] : memref<4x8xi8> to memref<4x5xi8, strided<[8, 1]>>
  %o = memref.subview %buf[0, 5] [4, 3] [1, 1] : memref<4x8xi8> to memref<4x3xi8, strided<[8, 1], offset: 5>>
  %acc = memref.alloc() : memref<4x3xi32>
  linalg.fill ins(%z : i32) outs(%acc : memref<4x3xi32>)
  linalg.generic {indexing_maps = [#mA, #mB, #mC], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<4x5xi8, strided<[8, 1]>>, memref<5x3xi8>) outs(%acc : memref<4x3xi32>) {
  ^bb0(%a: i8, %y: i8, %c: i32):
    %xe = arith.extui %a : i8 to i32
    %ye = arith.extsi %y : i8 to i32
    %p = arith.muli %xe, %ye : i32
    %s = arith.addi %c, %p : i32
    linalg.yield %s : i32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%acc : memref<4x3xi32>) outs(%o : memref<4x3xi8, strided<[8, 1], offset: 5>>) {
  ^bb0(%i: i32, %q: i8):
    %t = arith.trunci %i : i32 to i8
    linalg.yield %t : i8
  }
  memref.dealloc %acc : memref<4x3xi32>
  return
}

// -----

#mA = affine_map<(m, n, k) -> (m, k)>
#mB = affine_map<(m, n, k) -> (k, n)>
#mC = affine_map<(m, n, k) -> (m, n)>
memref.global "private" constant @w : memref<5x3xi8> = dense<1>
// The AVX2 form: no vpdpbusd; each quad's u8 x s8 products widened to i32
// (even and odd bytes), summed in pairs and quads; 4 rows per tile.
// AVX2-LABEL: func.func @matmul_avx2
// AVX2-NOT: vpdpbusd
// AVX2: scf.for {{.*}} step %c4
// AVX2-NOT: vpdpbusd
// AVX2: arith.extui {{.*}} : vector<32xi8> to vector<32xi32>
// AVX2: arith.extsi {{.*}} : vector<32xi8> to vector<32xi32>
// AVX2: arith.muli {{.*}} : vector<32xi32>
// AVX2-NOT: vpdpbusd
func.func @matmul_avx2(%a: memref<?x5xi8>, %c: memref<?x3xi32>) {
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
