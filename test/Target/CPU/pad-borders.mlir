// RUN: kiln-opt --split-input-file --kiln-cpu-pad-borders %s | FileCheck %s

// kiln-cpu-pad-borders: the zero fill of a padded buffer [N, 8, 12, 14]
// whose interior [?, 8, 10, 10] at (0, 0, 1, 2) then receives a copy (a
// dynamic batch, copied whole) becomes fills of the rows above and below
// the interior (dim 2: 1 row at 0, 1 row at 11; all columns), then of the
// columns left and right of it within the interior rows (dim 3: 2 columns
// at 0, 2 at 12); the channels are copied whole (no block).
// CHECK-LABEL: func.func @pad
// CHECK: %[[P:.*]] = memref.alloc(%[[N:.*]]) {alignment = 64 : i64} : memref<?x8x12x14xf32>
// CHECK: %[[TOP:.*]] = memref.subview %[[P]][0, 0, 0, 0] [%[[N]], 8, 1, 14] [1, 1, 1, 1]
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[TOP]]
// CHECK: %[[BOT:.*]] = memref.subview %[[P]][0, 0, 11, 0] [%[[N]], 8, 1, 14] [1, 1, 1, 1]
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[BOT]]
// CHECK: %[[LEFT:.*]] = memref.subview %[[P]][0, 0, 1, 0] [%{{.*}}, 8, 10, 2] [1, 1, 1, 1]
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[LEFT]]
// CHECK: %[[RIGHT:.*]] = memref.subview %[[P]][0, 0, 1, 12] [%{{.*}}, 8, 10, 2] [1, 1, 1, 1]
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[RIGHT]]
// CHECK-NOT: linalg.fill
// CHECK-NOT: linalg.map
// CHECK: memref.copy
func.func @pad(%src: memref<?x8x10x10xf32>) -> memref<?x8x12x14xf32> {
  %c0 = arith.constant 0 : index
  %cst = arith.constant 0.0 : f32
  %n = memref.dim %src, %c0 : memref<?x8x10x10xf32>
  %p = memref.alloc(%n) {alignment = 64 : i64} : memref<?x8x12x14xf32>
  linalg.map outs(%p : memref<?x8x12x14xf32>)
    (%init: f32) {
      linalg.yield %cst : f32
    }
  %in = memref.subview %p[0, 0, 1, 2] [%n, 8, 10, 10] [1, 1, 1, 1] : memref<?x8x12x14xf32> to memref<?x8x10x10xf32, strided<[1344, 168, 14, 1], offset: 16>>
  memref.copy %src, %in : memref<?x8x10x10xf32> to memref<?x8x10x10xf32, strided<[1344, 168, 14, 1], offset: 16>>
  return %p : memref<?x8x12x14xf32>
}

// -----

// A padded buffer of 64 KB or more (here [1, 96, 16, 16], 96 KB) whose batch
// and channels are copied whole: the four border fills run in one loop over
// the batch and the channels, marked kiln.parallel, each on its channel's
// part of the four blocks (subviews of the blocks: the blocks stay the
// buffer's only uses besides the interior, so writeInPlace still applies
// where the copy's source is a fresh buffer).
// CHECK-LABEL: func.func @pad_threads
// CHECK: %[[P:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1x96x16x16xf32>
// CHECK: %[[TOP:.*]] = memref.subview %[[P]][0, 0, 0, 0] [1, 96, 1, 16]
// CHECK: %[[BOT:.*]] = memref.subview %[[P]][0, 0, 15, 0] [1, 96, 1, 16]
// CHECK: %[[LEFT:.*]] = memref.subview %[[P]][0, 0, 1, 0] [1, 96, 14, 1]
// CHECK: %[[RIGHT:.*]] = memref.subview %[[P]][0, 0, 1, 15] [1, 96, 14, 1]
// CHECK: scf.for %[[N:.*]] = %{{.*}} to %{{.*}} step
// CHECK: scf.for %[[C:.*]] = %{{.*}} to %{{.*}} step
// CHECK: %[[T:.*]] = memref.subview %[[TOP]][%[[N]], %[[C]], 0, 0] [1, 1, 1, 16]
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[T]]
// CHECK: memref.subview %[[BOT]][%[[N]], %[[C]], 0, 0] [1, 1, 1, 16]
// CHECK: linalg.fill
// CHECK: memref.subview %[[LEFT]][%[[N]], %[[C]], 0, 0] [1, 1, 14, 1]
// CHECK: linalg.fill
// CHECK: memref.subview %[[RIGHT]][%[[N]], %[[C]], 0, 0] [1, 1, 14, 1]
// CHECK: linalg.fill
// CHECK: } {kiln.parallel}
// CHECK: } {kiln.parallel}
// CHECK-NOT: linalg.fill
// CHECK: memref.copy
// Below 64 KB ([1, 8, 16, 16], 8 KB): four fills, no loop.
// CHECK-LABEL: func.func @pad_small
// CHECK-NOT: scf.for
// CHECK-COUNT-4: linalg.fill
// CHECK-NOT: scf.for
func.func @pad_threads(%src: memref<1x96x14x14xf32>) -> memref<1x96x16x16xf32> {
  %cst = arith.constant 0.0 : f32
  %p = memref.alloc() {alignment = 64 : i64} : memref<1x96x16x16xf32>
  linalg.fill ins(%cst : f32) outs(%p : memref<1x96x16x16xf32>)
  %in = memref.subview %p[0, 0, 1, 1] [1, 96, 14, 14] [1, 1, 1, 1] : memref<1x96x16x16xf32> to memref<1x96x14x14xf32, strided<[24576, 256, 16, 1], offset: 17>>
  memref.copy %src, %in : memref<1x96x14x14xf32> to memref<1x96x14x14xf32, strided<[24576, 256, 16, 1], offset: 17>>
  return %p : memref<1x96x16x16xf32>
}
func.func @pad_small(%src: memref<1x8x14x14xf32>) -> memref<1x8x16x16xf32> {
  %cst = arith.constant 0.0 : f32
  %p = memref.alloc() {alignment = 64 : i64} : memref<1x8x16x16xf32>
  linalg.fill ins(%cst : f32) outs(%p : memref<1x8x16x16xf32>)
  %in = memref.subview %p[0, 0, 1, 1] [1, 8, 14, 14] [1, 1, 1, 1] : memref<1x8x16x16xf32> to memref<1x8x14x14xf32, strided<[2048, 256, 16, 1], offset: 17>>
  memref.copy %src, %in : memref<1x8x14x14xf32> to memref<1x8x14x14xf32, strided<[2048, 256, 16, 1], offset: 17>>
  return %p : memref<1x8x16x16xf32>
}

// -----

// Left alone: a fill read before the copy; a fill with a value computed
// in its body; a copy into a subview with a dynamic offset.
// CHECK-LABEL: func.func @kept
// CHECK-COUNT-3: linalg.map
func.func @kept(%src: memref<1x4x6x6xf32>, %o: index, %other: memref<1x4x8x8xf32>) {
  %cst = arith.constant -1.0 : f32
  %a = memref.alloc() : memref<1x4x8x8xf32>
  linalg.map outs(%a : memref<1x4x8x8xf32>)
    (%init: f32) {
      linalg.yield %cst : f32
    }
  memref.copy %a, %other : memref<1x4x8x8xf32> to memref<1x4x8x8xf32>
  %ai = memref.subview %a[0, 0, 1, 1] [1, 4, 6, 6] [1, 1, 1, 1] : memref<1x4x8x8xf32> to memref<1x4x6x6xf32, strided<[256, 64, 8, 1], offset: 9>>
  memref.copy %src, %ai : memref<1x4x6x6xf32> to memref<1x4x6x6xf32, strided<[256, 64, 8, 1], offset: 9>>
  %b = memref.alloc() : memref<1x4x8x8xf32>
  linalg.map outs(%b : memref<1x4x8x8xf32>)
    (%init: f32) {
      %z = arith.addf %init, %cst : f32
      linalg.yield %z : f32
    }
  %bi = memref.subview %b[0, 0, 1, 1] [1, 4, 6, 6] [1, 1, 1, 1] : memref<1x4x8x8xf32> to memref<1x4x6x6xf32, strided<[256, 64, 8, 1], offset: 9>>
  memref.copy %src, %bi : memref<1x4x6x6xf32> to memref<1x4x6x6xf32, strided<[256, 64, 8, 1], offset: 9>>
  %c = memref.alloc() : memref<1x4x8x8xf32>
  linalg.map outs(%c : memref<1x4x8x8xf32>)
    (%init: f32) {
      linalg.yield %cst : f32
    }
  %ci = memref.subview %c[0, 0, %o, 1] [1, 4, 6, 6] [1, 1, 1, 1] : memref<1x4x8x8xf32> to memref<1x4x6x6xf32, strided<[256, 64, 8, 1], offset: ?>>
  memref.copy %src, %ci : memref<1x4x6x6xf32> to memref<1x4x6x6xf32, strided<[256, 64, 8, 1], offset: ?>>
  memref.copy %b, %other : memref<1x4x8x8xf32> to memref<1x4x8x8xf32>
  memref.copy %c, %other : memref<1x4x8x8xf32> to memref<1x4x8x8xf32>
  return
}

// -----

// In place: the ReLU that writes the padded copy's source writes the
// interior instead (the padded buffer is allocated right before it, the
// source buffer, its dealloc and the copy are gone); the border fills stay.
// A dynamic batch: the sizes come from the entry's argument.
// CHECK-LABEL: func.func @pad_in_place
// CHECK: linalg.conv_2d_nchw_fchw
// CHECK-SAME: outs(%[[ACC:[^ :]*]]
// CHECK-NEXT: %[[P:.*]] = memref.alloc(%[[N:.*]]) {alignment = 64 : i64} : memref<?x8x12x12xf32>
// CHECK-NEXT: %[[IN:.*]] = memref.subview %[[P]][0, 0, 1, 1] [%[[N]], 8, 10, 10] [1, 1, 1, 1]
// CHECK-NEXT: linalg.generic
// CHECK-SAME: ins(%[[ACC]] : memref<?x8x10x10xf32>) outs(%[[IN]] : memref<?x8x10x10xf32, strided<[1152, 144, 12, 1], offset: 13>>)
// CHECK-COUNT-4: linalg.fill
// CHECK-NOT: memref.copy
// CHECK: linalg.depthwise_conv_2d_nchw_chw
// CHECK-SAME: ins(%[[P]],
// CHECK-NOT: memref.alloc
// CHECK: return
func.func @pad_in_place(%x: memref<?x4x10x10xf32>, %w: memref<8x4x1x1xf32>, %dw: memref<8x3x3xf32>) -> memref<?x8x10x10xf32> {
  %c0 = arith.constant 0 : index
  %cst = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x4x10x10xf32>
  %acc = memref.alloc(%n) {alignment = 64 : i64} : memref<?x8x10x10xf32>
  linalg.fill ins(%cst : f32) outs(%acc : memref<?x8x10x10xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<?x4x10x10xf32>, memref<8x4x1x1xf32>) outs(%acc : memref<?x8x10x10xf32>)
  %r = memref.alloc(%n) {alignment = 64 : i64} : memref<?x8x10x10xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%acc : memref<?x8x10x10xf32>) outs(%r : memref<?x8x10x10xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %cst : f32
    linalg.yield %m : f32
  }
  %p = memref.alloc(%n) {alignment = 64 : i64} : memref<?x8x12x12xf32>
  linalg.fill ins(%cst : f32) outs(%p : memref<?x8x12x12xf32>)
  %pi = memref.subview %p[0, 0, 1, 1] [%n, 8, 10, 10] [1, 1, 1, 1] : memref<?x8x12x12xf32> to memref<?x8x10x10xf32, strided<[1152, 144, 12, 1], offset: 13>>
  memref.copy %r, %pi : memref<?x8x10x10xf32> to memref<?x8x10x10xf32, strided<[1152, 144, 12, 1], offset: 13>>
  %out = memref.alloc(%n) {alignment = 64 : i64} : memref<?x8x10x10xf32>
  linalg.fill ins(%cst : f32) outs(%out : memref<?x8x10x10xf32>)
  linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%p, %dw : memref<?x8x12x12xf32>, memref<8x3x3xf32>) outs(%out : memref<?x8x10x10xf32>)
  memref.dealloc %acc : memref<?x8x10x10xf32>
  memref.dealloc %r : memref<?x8x10x10xf32>
  memref.dealloc %p : memref<?x8x12x12xf32>
  return %out : memref<?x8x10x10xf32>
}

// -----

// In place: a concat of two element-wise results; each writes its slice of
// the concat's buffer (disjoint channel ranges), which is allocated before
// the first of them.
// CHECK-LABEL: func.func @concat_in_place
// CHECK-NEXT: %[[B:.*]] = memref.alloc() : memref<1x12x4x4xf32>
// CHECK-NEXT: %[[S0:.*]] = memref.subview %[[B]][0, 0, 0, 0] [1, 4, 4, 4]
// CHECK-NEXT: linalg.generic {{.*}} ins(%arg0 : memref<1x4x4x4xf32>) outs(%[[S0]] :
// CHECK-NEXT: ^bb0
// CHECK-NEXT: math.exp
// CHECK: %[[S1:.*]] = memref.subview %[[B]][0, 4, 0, 0] [1, 8, 4, 4]
// CHECK-NEXT: linalg.generic {{.*}} ins(%arg1 : memref<1x8x4x4xf32>) outs(%[[S1]] :
// CHECK-NOT: memref.copy
// CHECK-NOT: memref.alloc
// CHECK: return %[[B]]
func.func @concat_in_place(%a: memref<1x4x4x4xf32>, %b: memref<1x8x4x4xf32>) -> memref<1x12x4x4xf32> {
  %s0 = memref.alloc() : memref<1x4x4x4xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%a : memref<1x4x4x4xf32>) outs(%s0 : memref<1x4x4x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %e = math.exp %in : f32
    linalg.yield %e : f32
  }
  %s1 = memref.alloc() : memref<1x8x4x4xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%b : memref<1x8x4x4xf32>) outs(%s1 : memref<1x8x4x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %e = math.exp %in : f32
    linalg.yield %e : f32
  }
  %c = memref.alloc() : memref<1x12x4x4xf32>
  %c0 = memref.subview %c[0, 0, 0, 0] [1, 4, 4, 4] [1, 1, 1, 1] : memref<1x12x4x4xf32> to memref<1x4x4x4xf32, strided<[192, 16, 4, 1]>>
  memref.copy %s0, %c0 : memref<1x4x4x4xf32> to memref<1x4x4x4xf32, strided<[192, 16, 4, 1]>>
  %c1 = memref.subview %c[0, 4, 0, 0] [1, 8, 4, 4] [1, 1, 1, 1] : memref<1x12x4x4xf32> to memref<1x8x4x4xf32, strided<[192, 16, 4, 1], offset: 64>>
  memref.copy %s1, %c1 : memref<1x8x4x4xf32> to memref<1x8x4x4xf32, strided<[192, 16, 4, 1], offset: 64>>
  memref.dealloc %s0 : memref<1x4x4x4xf32>
  memref.dealloc %s1 : memref<1x8x4x4xf32>
  return %c : memref<1x12x4x4xf32>
}

// -----

// Copies kept (all seven): a source written by a convolution (its micro-kernel stores
// contiguous pixel runs); a source read by another op too; a destination
// buffer read before the copy; slices that overlap.
// CHECK-LABEL: func.func @copies_kept
// CHECK-COUNT-7: memref.copy
// CHECK-NOT: memref.copy
func.func @copies_kept(%x: memref<1x4x4x4xf32>, %w: memref<4x4x1x1xf32>, %o: memref<1x4x4x4xf32>) -> (memref<1x8x4x4xf32>, memref<1x8x4x4xf32>, memref<1x8x4x4xf32>) {
  %cst = arith.constant 0.0 : f32
  // Written by a convolution.
  %s0 = memref.alloc() : memref<1x4x4x4xf32>
  linalg.fill ins(%cst : f32) outs(%s0 : memref<1x4x4x4xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<1x4x4x4xf32>, memref<4x4x1x1xf32>) outs(%s0 : memref<1x4x4x4xf32>)
  %b0 = memref.alloc() : memref<1x8x4x4xf32>
  %v0 = memref.subview %b0[0, 0, 0, 0] [1, 4, 4, 4] [1, 1, 1, 1] : memref<1x8x4x4xf32> to memref<1x4x4x4xf32, strided<[128, 16, 4, 1]>>
  memref.copy %s0, %v0 : memref<1x4x4x4xf32> to memref<1x4x4x4xf32, strided<[128, 16, 4, 1]>>
  // Read by another op.
  %s1 = memref.alloc() : memref<1x4x4x4xf32>
  linalg.fill ins(%cst : f32) outs(%s1 : memref<1x4x4x4xf32>)
  memref.copy %s1, %o : memref<1x4x4x4xf32> to memref<1x4x4x4xf32>
  %v1 = memref.subview %b0[0, 4, 0, 0] [1, 4, 4, 4] [1, 1, 1, 1] : memref<1x8x4x4xf32> to memref<1x4x4x4xf32, strided<[128, 16, 4, 1], offset: 64>>
  memref.copy %s1, %v1 : memref<1x4x4x4xf32> to memref<1x4x4x4xf32, strided<[128, 16, 4, 1], offset: 64>>
  // The destination read between the source's writes and the copy.
  %s2 = memref.alloc() : memref<1x4x4x4xf32>
  %b2 = memref.alloc() : memref<1x8x4x4xf32>
  linalg.fill ins(%cst : f32) outs(%b2 : memref<1x8x4x4xf32>)
  linalg.fill ins(%cst : f32) outs(%s2 : memref<1x4x4x4xf32>)
  %r = memref.alloc() : memref<1x8x4x4xf32>
  memref.copy %b2, %r : memref<1x8x4x4xf32> to memref<1x8x4x4xf32>
  %v2 = memref.subview %b2[0, 0, 0, 0] [1, 4, 4, 4] [1, 1, 1, 1] : memref<1x8x4x4xf32> to memref<1x4x4x4xf32, strided<[128, 16, 4, 1]>>
  memref.copy %s2, %v2 : memref<1x4x4x4xf32> to memref<1x4x4x4xf32, strided<[128, 16, 4, 1]>>
  // Overlapping slices (channels 0-3 and 2-5): the second copy must stay.
  %s3 = memref.alloc() : memref<1x4x4x4xf32>
  linalg.fill ins(%cst : f32) outs(%s3 : memref<1x4x4x4xf32>)
  %b3 = memref.alloc() : memref<1x8x4x4xf32>
  %v3 = memref.subview %b3[0, 0, 0, 0] [1, 4, 4, 4] [1, 1, 1, 1] : memref<1x8x4x4xf32> to memref<1x4x4x4xf32, strided<[128, 16, 4, 1]>>
  memref.copy %x, %v3 : memref<1x4x4x4xf32> to memref<1x4x4x4xf32, strided<[128, 16, 4, 1]>>
  %v4 = memref.subview %b3[0, 2, 0, 0] [1, 4, 4, 4] [1, 1, 1, 1] : memref<1x8x4x4xf32> to memref<1x4x4x4xf32, strided<[128, 16, 4, 1], offset: 32>>
  memref.copy %s3, %v4 : memref<1x4x4x4xf32> to memref<1x4x4x4xf32, strided<[128, 16, 4, 1], offset: 32>>
  return %b0, %r, %b3 : memref<1x8x4x4xf32>, memref<1x8x4x4xf32>, memref<1x8x4x4xf32>
}

// -----

// In place although the source's buffer holds other values before and
// after the copied one (bufferization reuses a buffer once its value is
// dead, as for a depthwise convolution's int8 result after its input's
// padded copy): the copied value's lifetime starts at the last op before
// the copy that overwrites the buffer without reading it and ends at the
// copy; only those ops write the padded interior instead.  The earlier
// value (read by the first depthwise convolution's copy, itself elided)
// and the later one keep the buffer.  A later op that reads the old
// contents (the second function) keeps the copy.
// CHECK-LABEL: func.func @reused_after_copy
// CHECK: %[[S:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<?x8x10x10xi8>
// CHECK: %[[P0:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<?x8x12x12xi8>
// CHECK-NEXT: %[[IN0:.*]] = memref.subview %[[P0]][0, 0, 1, 1]
// CHECK-NEXT: linalg.generic {{.*}} outs(%[[IN0]] :
// CHECK: %[[P:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<?x8x12x12xi8>
// CHECK-NEXT: %[[IN:.*]] = memref.subview %[[P]][0, 0, 1, 1]
// CHECK-NEXT: linalg.generic {{.*}} outs(%[[IN]] :
// CHECK-NOT: memref.copy
// CHECK: linalg.depthwise_conv_2d_nchw_chw
// CHECK-SAME: ins(%[[P]],
// CHECK: linalg.generic {{.*}} outs(%[[S]] : memref<?x8x10x10xi8>)
// CHECK: return %[[S]]
// CHECK-LABEL: func.func @read_after_copy
// CHECK: memref.copy
func.func @reused_after_copy(%x: memref<?x8x10x10xf32>, %dw: memref<8x3x3xi8>) -> memref<?x8x10x10xi8> {
  %c0 = arith.constant 0 : index
  %cst = arith.constant 0.0 : f32
  %z = arith.constant -128 : i8
  %n = memref.dim %x, %c0 : memref<?x8x10x10xf32>
  %s = memref.alloc(%n) {alignment = 64 : i64} : memref<?x8x10x10xi8>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : memref<?x8x10x10xf32>) outs(%s : memref<?x8x10x10xi8>) {
  ^bb0(%in: f32, %out: i8):
    %q = arith.fptosi %in : f32 to i8
    linalg.yield %q : i8
  }
  %p0 = memref.alloc(%n) {alignment = 64 : i64} : memref<?x8x12x12xi8>
  linalg.fill ins(%z : i8) outs(%p0 : memref<?x8x12x12xi8>)
  %pi0 = memref.subview %p0[0, 0, 1, 1] [%n, 8, 10, 10] [1, 1, 1, 1] : memref<?x8x12x12xi8> to memref<?x8x10x10xi8, strided<[1152, 144, 12, 1], offset: 13>>
  memref.copy %s, %pi0 : memref<?x8x10x10xi8> to memref<?x8x10x10xi8, strided<[1152, 144, 12, 1], offset: 13>>
  %acc0 = memref.alloc(%n) {alignment = 64 : i64} : memref<?x8x10x10xf32>
  linalg.fill ins(%cst : f32) outs(%acc0 : memref<?x8x10x10xf32>)
  linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%p0, %dw : memref<?x8x12x12xi8>, memref<8x3x3xi8>) outs(%acc0 : memref<?x8x10x10xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%acc0 : memref<?x8x10x10xf32>) outs(%s : memref<?x8x10x10xi8>) {
  ^bb0(%in: f32, %out: i8):
    %q = arith.fptosi %in : f32 to i8
    linalg.yield %q : i8
  }
  %p = memref.alloc(%n) {alignment = 64 : i64} : memref<?x8x12x12xi8>
  linalg.fill ins(%z : i8) outs(%p : memref<?x8x12x12xi8>)
  %pi = memref.subview %p[0, 0, 1, 1] [%n, 8, 10, 10] [1, 1, 1, 1] : memref<?x8x12x12xi8> to memref<?x8x10x10xi8, strided<[1152, 144, 12, 1], offset: 13>>
  memref.copy %s, %pi : memref<?x8x10x10xi8> to memref<?x8x10x10xi8, strided<[1152, 144, 12, 1], offset: 13>>
  %acc = memref.alloc(%n) {alignment = 64 : i64} : memref<?x8x10x10xf32>
  linalg.fill ins(%cst : f32) outs(%acc : memref<?x8x10x10xf32>)
  linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%p, %dw : memref<?x8x12x12xi8>, memref<8x3x3xi8>) outs(%acc : memref<?x8x10x10xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%acc : memref<?x8x10x10xf32>) outs(%s : memref<?x8x10x10xi8>) {
  ^bb0(%in: f32, %out: i8):
    %q = arith.fptosi %in : f32 to i8
    linalg.yield %q : i8
  }
  memref.dealloc %acc0 : memref<?x8x10x10xf32>
  memref.dealloc %acc : memref<?x8x10x10xf32>
  memref.dealloc %p0 : memref<?x8x12x12xi8>
  memref.dealloc %p : memref<?x8x12x12xi8>
  return %s : memref<?x8x10x10xi8>
}
func.func @read_after_copy(%x: memref<?x8x10x10xf32>, %dw: memref<8x3x3xi8>) -> memref<?x8x10x10xi8> {
  %c0 = arith.constant 0 : index
  %z = arith.constant -128 : i8
  %n = memref.dim %x, %c0 : memref<?x8x10x10xf32>
  %s = memref.alloc(%n) {alignment = 64 : i64} : memref<?x8x10x10xi8>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : memref<?x8x10x10xf32>) outs(%s : memref<?x8x10x10xi8>) {
  ^bb0(%in: f32, %out: i8):
    %q = arith.fptosi %in : f32 to i8
    linalg.yield %q : i8
  }
  %p = memref.alloc(%n) {alignment = 64 : i64} : memref<?x8x12x12xi8>
  linalg.fill ins(%z : i8) outs(%p : memref<?x8x12x12xi8>)
  %pi = memref.subview %p[0, 0, 1, 1] [%n, 8, 10, 10] [1, 1, 1, 1] : memref<?x8x12x12xi8> to memref<?x8x10x10xi8, strided<[1152, 144, 12, 1], offset: 13>>
  memref.copy %s, %pi : memref<?x8x10x10xi8> to memref<?x8x10x10xi8, strided<[1152, 144, 12, 1], offset: 13>>
  // Reads the old contents of %s (accumulates into it).
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : memref<?x8x10x10xf32>) outs(%s : memref<?x8x10x10xi8>) {
  ^bb0(%in: f32, %out: i8):
    %q = arith.fptosi %in : f32 to i8
    %a = arith.addi %q, %out : i8
    linalg.yield %a : i8
  }
  memref.dealloc %p : memref<?x8x12x12xi8>
  return %s : memref<?x8x10x10xi8>
}
