// RUN: kiln-opt --split-input-file --kiln-cpu-tile-and-vectorize %s | FileCheck %s

// The convolution micro-kernel: tiles of 8 filters x one output row; the
// row is split into chunks of 32 columns (a loop) and then powers of two
// (56 = 32 + 16 + 8); each chunk keeps 8 accumulator rows in vectors across
// the loops over KH, KW and blocks of 16 channels (the one-chunk loop over
// 32 columns folds away), and every channel is a
// rank-1 update: one input row, 8 broadcast filter scalars, 8 FMAs.
// CHECK-LABEL: func.func @conv3x3
// CHECK: scf.for %[[F:.*]] = %c0 to %c64 step %c8
// CHECK: scf.for %[[OH:.*]] = %c0 to %c56 step %c1
// CHECK-COUNT-8: vector.transfer_read {{.*}} vector<32xf32>
// CHECK: %[[KH:.*]]:8 = scf.for {{.*}} = %c0 to %c3 step %c1 iter_args({{.*}}) -> (vector<32xf32>,
// CHECK: scf.for {{.*}} = %c0 to %c3 step %c1 iter_args(
// CHECK: scf.for {{.*}} = %c0 to %c64 step %c16 iter_args(
// CHECK: %[[ROW:.*]] = vector.transfer_read %{{.*}} : memref<16x32xf32, strided<[3364, 1], offset: ?>>, vector<32xf32>
// CHECK: %[[WV:.*]] = memref.load %{{.*}} : memref<8x16xf32, strided<[576, 9], offset: ?>>
// CHECK: %[[BW:.*]] = vector.broadcast %[[WV]] : f32 to vector<32xf32>
// CHECK: vector.fma %[[BW]], %[[ROW]], %{{.*}} : vector<32xf32>
// CHECK-COUNT-8: vector.transfer_write {{.*}} vector<32xf32>
// The 16- and 8-column chunks.
// CHECK: vector.fma {{.*}} : vector<16xf32>
// CHECK: vector.fma {{.*}} : vector<8xf32>
// CHECK-NOT: linalg.conv_2d_nchw_fchw
func.func @conv3x3(%x: memref<1x64x58x58xf32>, %w: memref<64x64x3x3xf32>, %y: memref<1x64x56x56xf32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : memref<1x64x58x58xf32>, memref<64x64x3x3xf32>) outs(%y : memref<1x64x56x56xf32>)
  return
}

// -----

// Stride 2: the 27 input columns under a 14-column chunk are read as one
// vector of 28 (the 28th masked off: past the subview) and deinterleaved; a row of 14 columns is one (masked) register,
// so the tile has 16 filters.
// CHECK-LABEL: func.func @conv1x1_stride2
// CHECK-COUNT-16: vector.transfer_read {{.*}} vector<14xf32>
// CHECK: memref.subview {{.*}} [1, 16, 1, 27] [1, 1, 1, 1] {{.*}} to memref<16x27xf32, strided<[784, 1], offset: ?>>
// CHECK: %[[WIDE:.*]] = vector.transfer_read {{.*}} : memref<16x27xf32, strided<[784, 1], offset: ?>>, vector<28xf32>
// CHECK: %[[EVEN:.*]] = vector.shuffle %[[WIDE]], %[[WIDE]] [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26] : vector<28xf32>, vector<28xf32>
// CHECK: vector.fma %{{.*}}, %[[EVEN]], %{{.*}} : vector<14xf32>
// CHECK-NOT: linalg.conv_2d_nchw_fchw
func.func @conv1x1_stride2(%x: memref<1x32x28x28xf32>, %w: memref<16x32x1x1xf32>, %y: memref<1x16x14x14xf32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w : memref<1x32x28x28xf32>, memref<16x32x1x1xf32>) outs(%y : memref<1x16x14x14xf32>)
  return
}

// -----

// A narrow 1x1 convolution with stride 1: the tile covers every output row
// and the kernel runs over the 49 flattened pixels (32 + 16 + 1).
// CHECK-LABEL: func.func @conv1x1_flat_pixels
// CHECK: memref.collapse_shape {{.*}} into memref<1x8x49xf32
// CHECK: memref.expand_shape {{.*}} into memref<1x8x1x49xf32
// CHECK: vector.fma {{.*}} : vector<32xf32>
// CHECK: vector.fma {{.*}} : vector<16xf32>
// CHECK: vector.fma {{.*}} : vector<1xf32>
func.func @conv1x1_flat_pixels(%x: memref<1x32x7x7xf32>, %w: memref<16x32x1x1xf32>, %y: memref<1x16x7x7xf32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : memref<1x32x7x7xf32>, memref<16x32x1x1xf32>) outs(%y : memref<1x16x7x7xf32>)
  return
}

// -----

// Not for the micro-kernel (f16, or a dynamic size other than the batch):
// the general tiling.
// CHECK-LABEL: func.func @conv_f16
// CHECK-NOT: vector.fma
// CHECK: return
func.func @conv_f16(%x: memref<1x8x10x10xf16>, %w: memref<8x8x3x3xf16>, %y: memref<1x8x8x8xf16>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : memref<1x8x10x10xf16>, memref<8x8x3x3xf16>) outs(%y : memref<1x8x8x8xf16>)
  return
}
// CHECK-LABEL: func.func @conv_dynamic_width
// CHECK-NOT: vector.fma
// CHECK: return
func.func @conv_dynamic_width(%x: memref<1x8x10x?xf32>, %w: memref<8x8x3x3xf32>, %y: memref<1x8x8x?xf32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : memref<1x8x10x?xf32>, memref<8x8x3x3xf32>) outs(%y : memref<1x8x8x?xf32>)
  return
}

// -----

// A dynamic batch is tiled by 1 and goes through the micro-kernel.
// CHECK-LABEL: func.func @conv_dynamic_batch
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c1
// CHECK: vector.fma {{.*}} : vector<8xf32>
// CHECK-NOT: linalg.conv_2d_nchw_fchw
func.func @conv_dynamic_batch(%x: memref<?x8x10x10xf32>, %w: memref<8x8x3x3xf32>, %y: memref<?x8x8x8xf32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : memref<?x8x10x10xf32>, memref<8x8x3x3xf32>) outs(%y : memref<?x8x8x8xf32>)
  return
}

// -----

// The max-pooling micro-kernel: one channel x one output row per tile; a
// 3-wide window at stride 2 goes in two separable steps per column chunk:
// the 28 contiguous input columns under a 14-column chunk and the same
// shifted by one, read from each of the 3 rows and maxed together (m[i] =
// the max of columns i and i + 1 of every row), then the output is the max
// of m's even and odd lanes (two deinterleaves, not nine), all with
// arith.maximumf (NaN-propagating, like the op).
// CHECK-LABEL: func.func @maxpool3x3_stride2
// CHECK: scf.for
// CHECK: scf.for
// CHECK: %[[A0:.*]] = vector.transfer_read %[[X:.*]][%c0, %c0, %c0, %c0]{{.*}} vector<28xf32>
// CHECK: %[[B0:.*]] = vector.transfer_read %[[X]][%c0, %c0, %c0, %c1]{{.*}} vector<28xf32>
// CHECK: arith.maximumf %[[A0]], %[[B0]] : vector<28xf32>
// CHECK-COUNT-4: arith.maximumf {{.*}} : vector<28xf32>
// CHECK: %[[ACC:.*]] = vector.transfer_read {{.*}} vector<14xf32>
// CHECK: %[[EVEN:.*]] = vector.shuffle %[[M:.*]], %[[M]] [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26] : vector<28xf32>, vector<28xf32>
// CHECK: %[[E:.*]] = arith.maximumf %[[ACC]], %[[EVEN]] : vector<14xf32>
// CHECK: %[[ODD:.*]] = vector.shuffle %[[M]], %[[M]] [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27] : vector<28xf32>, vector<28xf32>
// CHECK: arith.maximumf %[[E]], %[[ODD]] : vector<14xf32>
// CHECK-NOT: vector.shuffle
// CHECK: vector.transfer_write {{.*}} : vector<14xf32>
// CHECK-NOT: linalg.pooling_nchw_max
func.func @maxpool3x3_stride2(%x: memref<1x8x29x29xf32>, %y: memref<1x8x14x14xf32>) {
  %k = memref.alloc() : memref<3x3xf32>
  linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %k : memref<1x8x29x29xf32>, memref<3x3xf32>) outs(%y : memref<1x8x14x14xf32>)
  memref.dealloc %k : memref<3x3xf32>
  return
}

// -----

// A 2-wide window at stride 2 keeps the per-tap path: each of the 4 taps
// reads 2 x 7 columns and deinterleaves them.
// CHECK-LABEL: func.func @maxpool2x2_stride2
// CHECK-COUNT-4: vector.shuffle {{.*}} : vector<14xf32>, vector<14xf32>
// CHECK-NOT: vector.shuffle
// CHECK: return
func.func @maxpool2x2_stride2(%x: memref<1x4x14x14xf32>, %y: memref<1x4x7x7xf32>) {
  %k = memref.alloc() : memref<2x2xf32>
  linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %k : memref<1x4x14x14xf32>, memref<2x2xf32>) outs(%y : memref<1x4x7x7xf32>)
  memref.dealloc %k : memref<2x2xf32>
  return
}

// -----

// Stride 1 with a dynamic batch: plain row reads, the batch tiled by 1.
// CHECK-LABEL: func.func @maxpool2x2_dynamic_batch
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c1
// CHECK-NOT: vector.shuffle
// CHECK-COUNT-4: arith.maximumf {{.*}} : vector<16xf32>
// CHECK-NOT: linalg.pooling_nchw_max
func.func @maxpool2x2_dynamic_batch(%x: memref<?x4x17x17xf32>, %y: memref<?x4x16x16xf32>) {
  %k = memref.alloc() : memref<2x2xf32>
  linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %k : memref<?x4x17x17xf32>, memref<2x2xf32>) outs(%y : memref<?x4x16x16xf32>)
  memref.dealloc %k : memref<2x2xf32>
  return
}

// -----

// Stride 3 stays on the general tiling.
// CHECK-LABEL: func.func @maxpool_stride3
// CHECK-NOT: vector.shuffle
// CHECK: return
func.func @maxpool_stride3(%x: memref<1x4x10x10xf32>, %y: memref<1x4x3x3xf32>) {
  %k = memref.alloc() : memref<3x3xf32>
  linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<3> : tensor<2xi64>}
      ins(%x, %k : memref<1x4x10x10xf32>, memref<3x3xf32>) outs(%y : memref<1x4x3x3xf32>)
  memref.dealloc %k : memref<3x3xf32>
  return
}

// -----

// Sum pooling (average pooling before its division) takes the same kernel
// with arith.addf, in the op's window order.
// CHECK-LABEL: func.func @sumpool2x2_stride2
// CHECK: %[[ACC:.*]] = vector.transfer_read {{.*}} vector<8xf32>
// CHECK: %[[WIDE:.*]] = vector.transfer_read {{.*}} vector<16xf32>
// CHECK: %[[EVEN:.*]] = vector.shuffle %[[WIDE]], %[[WIDE]] [0, 2, 4, 6, 8, 10, 12, 14] : vector<16xf32>, vector<16xf32>
// CHECK: arith.addf %[[ACC]], %[[EVEN]] : vector<8xf32>
// CHECK-COUNT-3: arith.addf {{.*}} : vector<8xf32>
// CHECK: vector.transfer_write {{.*}} : vector<8xf32>
// CHECK-NOT: linalg.pooling_nchw_sum
func.func @sumpool2x2_stride2(%x: memref<1x8x16x16xf32>, %y: memref<1x8x8x8xf32>) {
  %k = memref.alloc() : memref<2x2xf32>
  linalg.pooling_nchw_sum {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %k : memref<1x8x16x16xf32>, memref<2x2xf32>) outs(%y : memref<1x8x8x8xf32>)
  memref.dealloc %k : memref<2x2xf32>
  return
}
