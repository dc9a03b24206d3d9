// RUN: kiln-opt --split-input-file --kiln-cpu-winograd=mode=f4 --canonicalize %s | FileCheck %s
// RUN: kiln-opt --split-input-file --kiln-cpu-winograd=mode=f2 --canonicalize %s | FileCheck %s --check-prefix=F2
// RUN: kiln-opt --split-input-file --kiln-cpu-winograd %s | FileCheck %s --check-prefix=AUTO
// RUN: kiln-opt --split-input-file --kiln-cpu-winograd=mode=off %s | FileCheck %s --check-prefix=OFF
// RUN: kiln-opt --split-input-file --kiln-cpu-winograd=mode=f4 --kiln-cpu-pack-weights --kiln-cpu-tile-and-vectorize --canonicalize %s | FileCheck %s --check-prefix=TILE
// RUN: not kiln-opt --kiln-cpu-winograd=mode=f3 %s 2>&1 | FileCheck %s --check-prefix=BAD

// kiln-cpu-winograd: a stride-1 3x3 convolution with a constant filter as
// F(4x4, 3x3): the input transform (each 6x6 patch of 16 tiles at a time
// from 5 masked loads per input row, split by shuffles) into V [36, N, C, 4] (8x8 outputs: 2 x 2 tiles),
// 36 products (1x1 convolutions of V's slices with the transformed filter's
// panels, from a zero bias init) into M [36, N, F, 4], then the output
// transform (A^T M A, interleaved by shuffles, added to the output with
// masked loads and stores).  The image is one block (its V and M fit the
// 512 KB of a block), so the loops over channels, positions and output
// channels run on threads.
// CHECK-DAG: memref.global "private" constant @w_wino4_zero : memref<32xf32> = dense<0.000000e+00>
// CHECK-DAG: memref.global "private" constant @w_wino4_fpanels : memref<36x8x32xf32> = dense_resource<w_wino4_fpanels>
// CHECK-DAG: memref.global "private" constant @w_wino4 : memref<1152x8x1xf32> = dense_resource<w_wino4>
// CHECK-LABEL: func.func @f4
// CHECK: %[[V:.*]] = memref.alloc() {alignment = 64 : i64} : memref<36x1x8x4xf32>
// CHECK: %[[M:.*]] = memref.alloc() {alignment = 64 : i64} : memref<36x1x32x4xf32>
// CHECK: vector.maskedload %arg0[%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}], %{{.*}}, %{{.*}} : memref<1x8x10x10xf32>, vector<16xi1>, vector<16xf32> into vector<16xf32>
// CHECK: vector.shuffle
// CHECK: vector.maskedstore %[[V]][%c35, %c0, %{{.*}}, %{{.*}}]
// CHECK: } {kiln.parallel}
// CHECK: scf.for %[[XI:.*]] = %c0 to %c36 step %c1 {
// CHECK: memref.get_global @w_wino4 : memref<1152x8x1xf32>
// CHECK: memref.subview %[[V]][%[[XI]], 0, 0, 0] [1, 1, 8, 4]
// CHECK: linalg.generic {{.*}} attrs = {kiln.epilogue}
// CHECK: linalg.conv_2d_nchw_fchw {{{.*}}kiln.packed_filter = @w_wino4_fpanels{{.*}}} ins({{.*}} : memref<1x8x4x1xf32, {{.*}}>, memref<32x8x1x1xf32, {{.*}}>) outs({{.*}} : memref<1x32x4x1xf32, {{.*}}>)
// CHECK: } {kiln.parallel}
// CHECK: vector.maskedload %[[M]][%c35, %c0, %{{.*}}, %{{.*}}]
// CHECK: vector.shuffle
// CHECK: %[[OLD:.*]] = vector.maskedload %arg1[%c0, %{{.*}}, %{{.*}}, %{{.*}}]
// CHECK: %[[NEW:.*]] = arith.addf %[[OLD]], %{{.*}} : vector<16xf32>
// CHECK: vector.maskedstore %arg1[%c0, %{{.*}}, %{{.*}}, %{{.*}}], %{{.*}}, %[[NEW]]
// CHECK: } {kiln.parallel}
// CHECK: memref.dealloc %[[V]]
// CHECK: memref.dealloc %[[M]]
// CHECK-NOT: linalg.conv_2d_nchw_fchw
// CHECK: return
// F2-LABEL: func.func @f4
// F2: memref.alloc() {alignment = 64 : i64} : memref<16x1x8x16xf32>
// F2: memref.alloc() {alignment = 64 : i64} : memref<16x1x32x16xf32>
// F2: scf.for %{{.*}} = %c0 to %c16 step %c1 {
// F2: linalg.conv_2d_nchw_fchw {{{.*}}kiln.packed_filter = @w_wino2_fpanels
// OFF-LABEL: func.func @f4
// OFF: linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%arg0, %0
// The products become the packed convolution kernel: no linalg op left.
// TILE-LABEL: func.func @f4
// TILE: memref.get_global @w_wino4_fpanels : memref<36x8x32xf32>
// TILE: vector.fma
// TILE-NOT: linalg.
// TILE: return
// Auto: 8 channels are too few (the panels are 32 wide).
// AUTO-LABEL: func.func @f4
// AUTO: linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%arg0, %0
// BAD: kiln-cpu-winograd: unknown mode 'f3' (expected auto, off, f2 or f4)
memref.global "private" constant @w : memref<32x8x3x3xf32> = dense<1.0>
func.func @f4(%x: memref<1x8x10x10xf32>, %y: memref<1x32x8x8xf32>) {
  %w = memref.get_global @w : memref<32x8x3x3xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : memref<1x8x10x10xf32>, memref<32x8x3x3xf32>) outs(%y : memref<1x32x8x8xf32>)
  return
}

// -----

// The cost model: 64 channels on 56x56 (ResNet-50's first stage) take
// F(4x4); 256 on 14x14 take F(2x2) (4 x 4 tiles of F(4x4) fill only 16
// of the products' pixels; F(2x2) has 49); 512 on 7x7 stay direct (their
// products' filters, 16 x 512 x 512, are larger than the direct
// convolution's work).  A dynamic batch is a dynamic dim of V and M.
// The 56x56 layer, whose transformed filter (590 KB) is small, runs in
// blocks of 2 tile rows (28 tiles: 516 KB of V and M) through the three
// stages, the blocks (batch x 7) on threads.  V and M are block-major
// ([36, N x 7, 64, 28]): block j of image n writes and reads only its own
// contiguous [64, 28] run per position.  With one block per image (the
// 14x14 layer at a dynamic batch), the loop over images is a
// kiln.batch_loop: sequential, its three stages' loops on threads.
// AUTO-LABEL: func.func @auto_56
// AUTO: %[[N:.*]] = memref.dim %arg0, %{{.*}}
// AUTO: %[[NB:.*]] = arith.muli %[[N]], %c7
// AUTO: memref.alloc(%[[NB]]) {alignment = 64 : i64} : memref<36x?x64x28xf32>
// AUTO: memref.alloc(%[[NB]]) {alignment = 64 : i64} : memref<36x?x64x28xf32>
// AUTO: scf.for %[[B:.*]] = %{{.*}} to %[[NB]] step %{{.*}} {
// AUTO: vector.maskedstore %{{.*}}[%{{.*}}, %[[B]], %{{.*}}, %{{.*}}]
// AUTO: memref.subview %{{.*}}[%{{.*}}, %[[B]], 0, 0] [1, 1, 64, 28] [1, 1, 1, 1] : memref<36x?x64x28xf32> to memref<64x28xf32, strided<[28, 1], offset: ?>>
// AUTO: linalg.conv_2d_nchw_fchw {{{.*}}} ins({{.*}} : memref<1x64x28x1xf32, {{.*}}>, memref<64x64x1x1xf32, {{.*}}>)
// AUTO: vector.maskedstore %arg1
// AUTO: } {kiln.parallel}
// AUTO-LABEL: func.func @auto_14
// AUTO: memref.alloc() {alignment = 64 : i64} : memref<16x1x256x49xf32>
// AUTO-LABEL: func.func @auto_14_dynamic_batch
// AUTO: scf.for %{{.*}} = %c0 to %{{.*}} step %{{.*}} {
// AUTO: scf.for %{{.*}} = %c0 to %c256 step
// AUTO: } {kiln.parallel}
// AUTO: scf.for %{{.*}} = %c0 to %c16 step
// AUTO: } {kiln.parallel}
// AUTO: scf.for %{{.*}} = %c0 to %c256{{.*}} step
// AUTO: } {kiln.parallel}
// AUTO-NEXT: } {kiln.batch_loop}
// AUTO-LABEL: func.func @auto_7
// AUTO: linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%arg0, %0
memref.global "private" constant @w64 : memref<64x64x3x3xf32> = dense<1.0>
memref.global "private" constant @w256 : memref<256x256x3x3xf32> = dense<1.0>
memref.global "private" constant @w512 : memref<512x512x3x3xf32> = dense<1.0>
func.func @auto_56(%x: memref<?x64x58x58xf32>, %y: memref<?x64x56x56xf32>) {
  %w = memref.get_global @w64 : memref<64x64x3x3xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : memref<?x64x58x58xf32>, memref<64x64x3x3xf32>) outs(%y : memref<?x64x56x56xf32>)
  return
}
func.func @auto_14(%x: memref<1x256x16x16xf32>, %y: memref<1x256x14x14xf32>) {
  %w = memref.get_global @w256 : memref<256x256x3x3xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : memref<1x256x16x16xf32>, memref<256x256x3x3xf32>) outs(%y : memref<1x256x14x14xf32>)
  return
}
func.func @auto_14_dynamic_batch(%x: memref<?x256x16x16xf32>, %y: memref<?x256x14x14xf32>) {
  %w = memref.get_global @w256 : memref<256x256x3x3xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : memref<?x256x16x16xf32>, memref<256x256x3x3xf32>) outs(%y : memref<?x256x14x14xf32>)
  return
}
func.func @auto_7(%x: memref<1x512x9x9xf32>, %y: memref<1x512x7x7xf32>) {
  %w = memref.get_global @w512 : memref<512x512x3x3xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : memref<1x512x9x9xf32>, memref<512x512x3x3xf32>) outs(%y : memref<1x512x7x7xf32>)
  return
}

// -----

// Not rewritten in any mode: stride 2, dilation 2, a 1x1 or 5x5 filter, a
// filter that is not a constant global.
// CHECK-LABEL: func.func @negatives
// CHECK-COUNT-5: linalg.conv_2d_nchw_fchw
// CHECK-NOT: vector.maskedstore
// CHECK: return
// F2-LABEL: func.func @negatives
// F2-NOT: vector.maskedstore
// F2: return
memref.global "private" constant @n3 : memref<32x32x3x3xf32> = dense<1.0>
memref.global "private" constant @n1 : memref<32x32x1x1xf32> = dense<1.0>
memref.global "private" constant @n5 : memref<32x32x5x5xf32> = dense<1.0>
func.func @negatives(%x: memref<1x32x20x20xf32>, %wa: memref<32x32x3x3xf32>, %y9: memref<1x32x9x9xf32>,
                     %y16: memref<1x32x16x16xf32>, %y20: memref<1x32x20x20xf32>, %y18: memref<1x32x18x18xf32>) {
  %w3 = memref.get_global @n3 : memref<32x32x3x3xf32>
  %w1 = memref.get_global @n1 : memref<32x32x1x1xf32>
  %w5 = memref.get_global @n5 : memref<32x32x5x5xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w3 : memref<1x32x20x20xf32>, memref<32x32x3x3xf32>) outs(%y9 : memref<1x32x9x9xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<2> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w3 : memref<1x32x20x20xf32>, memref<32x32x3x3xf32>) outs(%y16 : memref<1x32x16x16xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w1 : memref<1x32x20x20xf32>, memref<32x32x1x1xf32>) outs(%y20 : memref<1x32x20x20xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w5 : memref<1x32x20x20xf32>, memref<32x32x5x5xf32>) outs(%y16 : memref<1x32x16x16xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %wa : memref<1x32x20x20xf32>, memref<32x32x3x3xf32>) outs(%y18 : memref<1x32x18x18xf32>)
  return
}

// -----

// An input that is a zero-padded copy (a fresh buffer filled with zeros,
// the source copied into its interior, read by the convolution only): the
// input transform reads the source, 1 row and 1 column before the tile
// (rows and columns outside it are zeros), and the copy is gone.  With a
// second reader, the padded buffer stays.
// CHECK-LABEL: func.func @pad_source
// CHECK-NOT: memref.copy
// CHECK: vector.maskedload %arg0[%c0, %{{.*}}, %{{.*}}, %c15], {{.*}} : memref<1x32x16x16xf32>, vector<16xi1>, vector<16xf32>
// CHECK-NOT: memref.copy
// CHECK: return
// CHECK-LABEL: func.func @pad_kept
// CHECK: memref.copy
// CHECK: vector.maskedload %{{.*}}[%c0, %{{.*}}, %{{.*}}, %c16], {{.*}} : memref<1x32x18x18xf32>, vector<16xi1>, vector<16xf32>
// CHECK: return
memref.global "private" constant @wp : memref<32x32x3x3xf32> = dense<1.0>
func.func @pad_source(%src: memref<1x32x16x16xf32>, %y: memref<1x32x16x16xf32>) {
  %cst = arith.constant 0.0 : f32
  %w = memref.get_global @wp : memref<32x32x3x3xf32>
  %p = memref.alloc() {alignment = 64 : i64} : memref<1x32x18x18xf32>
  linalg.map outs(%p : memref<1x32x18x18xf32>)
    (%init: f32) {
      linalg.yield %cst : f32
    }
  %in = memref.subview %p[0, 0, 1, 1] [1, 32, 16, 16] [1, 1, 1, 1] : memref<1x32x18x18xf32> to memref<1x32x16x16xf32, strided<[10368, 324, 18, 1], offset: 19>>
  memref.copy %src, %in : memref<1x32x16x16xf32> to memref<1x32x16x16xf32, strided<[10368, 324, 18, 1], offset: 19>>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%p, %w : memref<1x32x18x18xf32>, memref<32x32x3x3xf32>) outs(%y : memref<1x32x16x16xf32>)
  memref.dealloc %p : memref<1x32x18x18xf32>
  return
}
func.func @pad_kept(%src: memref<1x32x16x16xf32>, %y: memref<1x32x16x16xf32>, %z: memref<1x32x18x18xf32>) {
  %cst = arith.constant 0.0 : f32
  %w = memref.get_global @wp : memref<32x32x3x3xf32>
  %p = memref.alloc() {alignment = 64 : i64} : memref<1x32x18x18xf32>
  linalg.map outs(%p : memref<1x32x18x18xf32>)
    (%init: f32) {
      linalg.yield %cst : f32
    }
  %in = memref.subview %p[0, 0, 1, 1] [1, 32, 16, 16] [1, 1, 1, 1] : memref<1x32x18x18xf32> to memref<1x32x16x16xf32, strided<[10368, 324, 18, 1], offset: 19>>
  memref.copy %src, %in : memref<1x32x16x16xf32> to memref<1x32x16x16xf32, strided<[10368, 324, 18, 1], offset: 19>>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%p, %w : memref<1x32x18x18xf32>, memref<32x32x3x3xf32>) outs(%y : memref<1x32x16x16xf32>)
  memref.copy %p, %z : memref<1x32x18x18xf32> to memref<1x32x18x18xf32>
  memref.dealloc %p : memref<1x32x18x18xf32>
  return
}
