// RUN: kiln-opt --split-input-file --kiln-cpu-tile-and-vectorize --canonicalize %s | FileCheck %s

// The depthwise micro-kernel on a small plane (at most 16 x 16): one tile
// per channel, one register per output row; each tap is loaded and
// broadcast once and multiplied into every row with its shifted input row
// (a stride-2 row read as 14 contiguous columns, the last masked where it
// is past the row, and deinterleaved); the
// 7 rows are read and written once.
// CHECK-LABEL: func.func @plane_stride2
// CHECK: scf.for %{{.*}} = %c0 to %c24 step %c1
// CHECK-COUNT-7: vector.transfer_read {{.*}} vector<7xf32>
// CHECK: %[[W:.*]] = memref.load
// CHECK: %[[BW:.*]] = vector.broadcast %[[W]] : f32 to vector<7xf32>
// CHECK: %[[ROW:.*]] = vector.transfer_read {{.*}} vector<14xf32>
// CHECK: %[[EVEN:.*]] = vector.shuffle %[[ROW]], %[[ROW]] [0, 2, 4, 6, 8, 10, 12]
// CHECK: vector.fma %[[BW]], %[[EVEN]], %{{.*}} : vector<7xf32>
// CHECK-COUNT-7: vector.transfer_write {{.*}} vector<7xf32>
// CHECK-NOT: linalg.depthwise_conv_2d_nchw_chw
// CHECK: return
func.func @plane_stride2(%x: memref<1x24x15x15xf32>, %w: memref<24x3x3xf32>, %y: memref<1x24x7x7xf32>) {
  linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w : memref<1x24x15x15xf32>, memref<24x3x3xf32>) outs(%y : memref<1x24x7x7xf32>)
  return
}

// -----

// A wider plane: one channel x one output row per tile (the row in chunks
// of 32 columns, then 16 and 8: 56 = 32 + 16 + 8), the channel loop
// outside the row loop (consecutive tiles stay in one channel's planes).
// CHECK-LABEL: func.func @rows
// CHECK: scf.for %{{.*}} = %c0 to %c8 step %c1
// CHECK-NEXT: scf.for %{{.*}} = %c0 to %c56 step %c1
// CHECK: vector.fma {{.*}} : vector<32xf32>
// CHECK: vector.fma {{.*}} : vector<16xf32>
// CHECK: vector.fma {{.*}} : vector<8xf32>
// CHECK-NOT: linalg.depthwise_conv_2d_nchw_chw
// CHECK: return
func.func @rows(%x: memref<1x8x58x58xf32>, %w: memref<8x3x3xf32>, %y: memref<1x8x56x56xf32>) {
  linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : memref<1x8x58x58xf32>, memref<8x3x3xf32>) outs(%y : memref<1x8x56x56xf32>)
  return
}

// -----

// Stride 3 is left to the general tiling (no micro-kernel: no broadcast
// FMA over whole rows).
// CHECK-LABEL: func.func @stride3
// CHECK-NOT: vector<13xf32>
// CHECK: return
func.func @stride3(%x: memref<1x4x22x22xf32>, %w: memref<4x3x3xf32>, %y: memref<1x4x7x7xf32>) {
  linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<3> : tensor<2xi64>}
      ins(%x, %w : memref<1x4x22x22xf32>, memref<4x3x3xf32>) outs(%y : memref<1x4x7x7xf32>)
  return
}

// -----

// The plane kernel with its epilogue (a bias init and a Clip, kiln.epilogue):
// the rows start as the channel's bias (no write and read-back of the
// accumulator), the Clip is applied to them in registers and only its result
// is stored (the convolution's own buffer is read by nothing else: no row is
// stored to it).
// CHECK-LABEL: func.func @plane_epilogue
// CHECK: scf.for
// CHECK: %[[B:.*]] = memref.load %{{.*}}[%{{.*}}] : memref<1xf32, strided<[1], offset: ?>>
// CHECK: vector.broadcast %[[B]] : f32 to vector<14xf32>
// CHECK-NOT: vector.transfer_write
// CHECK: arith.maximumf {{.*}} : vector<14xf32>
// CHECK-NEXT: arith.minimumf {{.*}} : vector<14xf32>
// CHECK-NEXT: vector.transfer_write {{.*}} : vector<14xf32>, memref<1x1x14x14xf32, strided<[4704, 196, 14, 1], offset: ?>>
// CHECK-COUNT-13: vector.transfer_write
// CHECK-NOT: vector.transfer_write
// CHECK-NOT: linalg.generic
// CHECK: return
// With a second reader of the convolution's result, its rows are stored
// too (14 more stores, before the Clip's).
// CHECK-LABEL: func.func @plane_epilogue_shared
// CHECK: vector.broadcast
// CHECK-COUNT-14: vector.transfer_write %{{.*}} : vector<14xf32>, memref<1x1x14x14xf32, strided<[4704, 196, 14, 1], offset: ?>>
// CHECK: arith.maximumf
// CHECK-NEXT: arith.minimumf
// CHECK-NEXT: vector.transfer_write
// CHECK: return
func.func @plane_epilogue(%x: memref<1x24x16x16xf32>, %w: memref<24x3x3xf32>, %b: memref<24xf32>) -> memref<1x24x14x14xf32> {
  %lo = arith.constant 0.0 : f32
  %hi = arith.constant 6.0 : f32
  %acc = memref.alloc() {alignment = 64 : i64} : memref<1x24x14x14xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%b : memref<24xf32>) outs(%acc : memref<1x24x14x14xf32>) attrs = {kiln.epilogue} {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : memref<1x24x16x16xf32>, memref<24x3x3xf32>) outs(%acc : memref<1x24x14x14xf32>)
  %y = memref.alloc() {alignment = 64 : i64} : memref<1x24x14x14xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%acc : memref<1x24x14x14xf32>) outs(%y : memref<1x24x14x14xf32>) attrs = {kiln.epilogue} {
  ^bb0(%in: f32, %o: f32):
    %m = arith.maximumf %in, %lo : f32
    %n = arith.minimumf %m, %hi : f32
    linalg.yield %n : f32
  }
  memref.dealloc %acc : memref<1x24x14x14xf32>
  return %y : memref<1x24x14x14xf32>
}
func.func @plane_epilogue_shared(%x: memref<1x24x16x16xf32>, %w: memref<24x3x3xf32>, %b: memref<24xf32>, %raw: memref<1x24x14x14xf32>) -> memref<1x24x14x14xf32> {
  %lo = arith.constant 0.0 : f32
  %hi = arith.constant 6.0 : f32
  %acc = memref.alloc() {alignment = 64 : i64} : memref<1x24x14x14xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%b : memref<24xf32>) outs(%acc : memref<1x24x14x14xf32>) attrs = {kiln.epilogue} {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : memref<1x24x16x16xf32>, memref<24x3x3xf32>) outs(%acc : memref<1x24x14x14xf32>)
  %y = memref.alloc() {alignment = 64 : i64} : memref<1x24x14x14xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%acc : memref<1x24x14x14xf32>) outs(%y : memref<1x24x14x14xf32>) attrs = {kiln.epilogue} {
  ^bb0(%in: f32, %o: f32):
    %m = arith.maximumf %in, %lo : f32
    %n = arith.minimumf %m, %hi : f32
    linalg.yield %n : f32
  }
  memref.copy %acc, %raw : memref<1x24x14x14xf32> to memref<1x24x14x14xf32>
  memref.dealloc %acc : memref<1x24x14x14xf32>
  return %y : memref<1x24x14x14xf32>
}

// -----

// Wider planes go through the row kernel (one channel x one output row per
// tile, column chunks 16 + 4 here); the same epilogue as the plane kernel:
// the chunks start as the bias (no read of the convolution's buffer), the
// Clip is applied in registers, and only its result is stored; the
// convolution's own buffer is gone.
// CHECK-LABEL: func.func @row_epilogue
// CHECK: memref.alloc() {{.*}} : memref<1x24x20x20xf32>
// CHECK-NOT: memref.alloc
// CHECK: scf.for
// CHECK: %[[B:.*]] = memref.load %{{.*}}[%{{.*}}] : memref<1xf32, strided<[1], offset: ?>>
// CHECK: %[[BV:.*]] = vector.broadcast %[[B]] : f32 to vector<16xf32>
// CHECK: vector.fma %{{.*}}, %{{.*}}, %[[BV]] : vector<16xf32>
// CHECK-NOT: vector.transfer_write
// CHECK: arith.maximumf {{.*}} : vector<16xf32>
// CHECK-NEXT: arith.minimumf {{.*}} : vector<16xf32>
// CHECK-NEXT: vector.transfer_write {{.*}} : vector<16xf32>, memref<1x1x1x20xf32
// CHECK: vector.broadcast {{.*}} : f32 to vector<4xf32>
// CHECK-NOT: vector.transfer_write
// CHECK: arith.minimumf {{.*}} : vector<4xf32>
// CHECK-NEXT: vector.transfer_write {{.*}} : vector<4xf32>, memref<1x1x1x20xf32
// CHECK-NOT: vector.transfer_write
// CHECK-NOT: linalg.generic
// CHECK: return
// With a second reader of the convolution's result, each chunk is stored
// too, before the Clip's.
// CHECK-LABEL: func.func @row_epilogue_shared
// CHECK: vector.fma
// CHECK: vector.transfer_write %{{.*}} : vector<16xf32>, memref<1x1x1x20xf32
// CHECK-NEXT: arith.maximumf
// CHECK-NEXT: arith.minimumf
// CHECK-NEXT: vector.transfer_write %{{.*}} : vector<16xf32>, memref<1x1x1x20xf32
// CHECK: return
func.func @row_epilogue(%x: memref<1x24x22x22xf32>, %w: memref<24x3x3xf32>, %b: memref<24xf32>) -> memref<1x24x20x20xf32> {
  %lo = arith.constant 0.0 : f32
  %hi = arith.constant 6.0 : f32
  %acc = memref.alloc() {alignment = 64 : i64} : memref<1x24x20x20xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%b : memref<24xf32>) outs(%acc : memref<1x24x20x20xf32>) attrs = {kiln.epilogue} {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : memref<1x24x22x22xf32>, memref<24x3x3xf32>) outs(%acc : memref<1x24x20x20xf32>)
  %y = memref.alloc() {alignment = 64 : i64} : memref<1x24x20x20xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%acc : memref<1x24x20x20xf32>) outs(%y : memref<1x24x20x20xf32>) attrs = {kiln.epilogue} {
  ^bb0(%in: f32, %o: f32):
    %m = arith.maximumf %in, %lo : f32
    %n = arith.minimumf %m, %hi : f32
    linalg.yield %n : f32
  }
  memref.dealloc %acc : memref<1x24x20x20xf32>
  return %y : memref<1x24x20x20xf32>
}
func.func @row_epilogue_shared(%x: memref<1x24x22x22xf32>, %w: memref<24x3x3xf32>, %b: memref<24xf32>, %raw: memref<1x24x20x20xf32>) -> memref<1x24x20x20xf32> {
  %lo = arith.constant 0.0 : f32
  %hi = arith.constant 6.0 : f32
  %acc = memref.alloc() {alignment = 64 : i64} : memref<1x24x20x20xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%b : memref<24xf32>) outs(%acc : memref<1x24x20x20xf32>) attrs = {kiln.epilogue} {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : memref<1x24x22x22xf32>, memref<24x3x3xf32>) outs(%acc : memref<1x24x20x20xf32>)
  %y = memref.alloc() {alignment = 64 : i64} : memref<1x24x20x20xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%acc : memref<1x24x20x20xf32>) outs(%y : memref<1x24x20x20xf32>) attrs = {kiln.epilogue} {
  ^bb0(%in: f32, %o: f32):
    %m = arith.maximumf %in, %lo : f32
    %n = arith.minimumf %m, %hi : f32
    linalg.yield %n : f32
  }
  memref.copy %acc, %raw : memref<1x24x20x20xf32> to memref<1x24x20x20xf32>
  memref.dealloc %acc : memref<1x24x20x20xf32>
  return %y : memref<1x24x20x20xf32>
}
