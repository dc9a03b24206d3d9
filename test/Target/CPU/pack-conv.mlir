// RUN: kiln-opt --split-input-file --kiln-cpu-pack-weights %s | FileCheck %s
// RUN: kiln-opt --split-input-file --kiln-cpu-pack-weights --kiln-cpu-tile-and-vectorize --canonicalize %s | FileCheck %s --check-prefix=TILE
// RUN: kiln-opt --split-input-file --kiln-cpu-pack-weights=pack-convs=false %s | FileCheck %s --check-prefix=OFF

// kiln-cpu-pack-weights on convolutions: a constant filter [F, C, KH, KW]
// gets a copy in output-channel panels [ceil(F / 32)][C * KH * KW][32],
// panel p row k holding the 32 filters p * 32 ... of tap k (zeros past F).
// Here F = 2, C = 64, W[f][c] = 64 f + c + 1: row 0 is (1, 65, 0, ...), row
// 1 is (2, 66, 0, ...).  The blob: alignment 64 (0x40000000), then f32
// little-endian (1.0 = 0x3F800000, 65.0 = 0x42820000, 2.0 = 0x40000000,
// 66.0 = 0x42840000).
// CHECK: memref.global "private" constant @w_fpanels : memref<1x64x32xf32> = dense_resource<w_fpanels> {alignment = 64 : i64}
// CHECK-LABEL: func.func @values
// CHECK: linalg.conv_2d_nchw_fchw {{{.*}}kiln.packed_filter = @w_fpanels
// CHECK: w_fpanels: "0x400000000000803F000082420000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000004000008442000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
// OFF-LABEL: func.func @values
// OFF-NOT: kiln.packed_filter
memref.global "private" constant @w : memref<2x64x1x1xf32> = dense<[[[[1.0]], [[2.0]], [[3.0]], [[4.0]], [[5.0]], [[6.0]], [[7.0]], [[8.0]], [[9.0]], [[10.0]], [[11.0]], [[12.0]], [[13.0]], [[14.0]], [[15.0]], [[16.0]], [[17.0]], [[18.0]], [[19.0]], [[20.0]], [[21.0]], [[22.0]], [[23.0]], [[24.0]], [[25.0]], [[26.0]], [[27.0]], [[28.0]], [[29.0]], [[30.0]], [[31.0]], [[32.0]], [[33.0]], [[34.0]], [[35.0]], [[36.0]], [[37.0]], [[38.0]], [[39.0]], [[40.0]], [[41.0]], [[42.0]], [[43.0]], [[44.0]], [[45.0]], [[46.0]], [[47.0]], [[48.0]], [[49.0]], [[50.0]], [[51.0]], [[52.0]], [[53.0]], [[54.0]], [[55.0]], [[56.0]], [[57.0]], [[58.0]], [[59.0]], [[60.0]], [[61.0]], [[62.0]], [[63.0]], [[64.0]]], [[[65.0]], [[66.0]], [[67.0]], [[68.0]], [[69.0]], [[70.0]], [[71.0]], [[72.0]], [[73.0]], [[74.0]], [[75.0]], [[76.0]], [[77.0]], [[78.0]], [[79.0]], [[80.0]], [[81.0]], [[82.0]], [[83.0]], [[84.0]], [[85.0]], [[86.0]], [[87.0]], [[88.0]], [[89.0]], [[90.0]], [[91.0]], [[92.0]], [[93.0]], [[94.0]], [[95.0]], [[96.0]], [[97.0]], [[98.0]], [[99.0]], [[100.0]], [[101.0]], [[102.0]], [[103.0]], [[104.0]], [[105.0]], [[106.0]], [[107.0]], [[108.0]], [[109.0]], [[110.0]], [[111.0]], [[112.0]], [[113.0]], [[114.0]], [[115.0]], [[116.0]], [[117.0]], [[118.0]], [[119.0]], [[120.0]], [[121.0]], [[122.0]], [[123.0]], [[124.0]], [[125.0]], [[126.0]], [[127.0]], [[128.0]]]]>
func.func @values(%x: memref<1x64x7x7xf32>, %y: memref<1x2x7x7xf32>) {
  %w = memref.get_global @w : memref<2x64x1x1xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : memref<1x64x7x7xf32>, memref<2x64x1x1xf32>) outs(%y : memref<1x2x7x7xf32>)
  return
}

// -----

// The packed convolution kernel with its epilogue: register tiles of 32
// output channels (one panel; F = 40: a full panel and a peeled one of 8)
// x 14 pixels (7-wide rows: 2 rows per tile, in a loop over the rows; the
// 7th row a peeled tile of 7; the input is larger than the filter, so the
// pixel loop is outside the panels).  The accumulators start as the bias vector (the init op is erased),
// are updated per tap by broadcast-FMA with the panel's row, transposed
// into per-channel pixel vectors, and the ReLU is applied to them before
// the masked stores; no linalg op is left.
// CHECK-LABEL: func.func @conv_epilogue
// CHECK: linalg.conv_2d_nchw_fchw {{{.*}}kiln.packed_filter = @w_fpanels
// TILE-LABEL: func.func @conv_epilogue
// TILE: scf.for %{{.*}} = %c0 to %c6 step %c2
// TILE: memref.get_global @w_fpanels : memref<2x64x32xf32>
// TILE: vector.transfer_read %{{.*}} : memref<32xf32, strided<[1]{{.*}}>>, vector<16xf32>
// TILE: scf.for %{{.*}} = %c0 to %c64 step %c8 iter_args(
// TILE: vector.transfer_read %{{.*}} : memref<2x64x32xf32>, vector<16xf32>
// TILE: %[[XS:.*]] = memref.load %{{.*}} : memref<1x64x2x7xf32
// TILE: %[[BX:.*]] = vector.broadcast %[[XS]] : f32 to vector<16xf32>
// TILE: vector.fma %[[BX]], %{{.*}} : vector<16xf32>
// TILE: vector.shuffle
// TILE: arith.maximumf %{{.*}} : vector<16xf32>
// TILE: vector.maskedstore %{{.*}} : memref<32x14xf32, {{.*}}>, vector<16xi1>, vector<16xf32>
// TILE-NOT: linalg.
// TILE: return
// OFF-LABEL: func.func @conv_epilogue
// OFF-NOT: kiln.packed_filter
memref.global "private" constant @w : memref<40x64x1x1xf32> = dense<0.5>
memref.global "private" constant @b : memref<40xf32> = dense<[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0, 24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0, 32.0, 33.0, 34.0, 35.0, 36.0, 37.0, 38.0, 39.0]>
func.func @conv_epilogue(%x: memref<1x64x7x7xf32>, %y: memref<1x40x7x7xf32>) {
  %cst = arith.constant 0.0 : f32
  %w = memref.get_global @w : memref<40x64x1x1xf32>
  %b = memref.get_global @b : memref<40xf32>
  %acc = memref.alloc() {alignment = 64 : i64} : memref<1x40x7x7xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%b : memref<40xf32>) outs(%acc : memref<1x40x7x7xf32>) attrs = {kiln.epilogue} {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : memref<1x64x7x7xf32>, memref<40x64x1x1xf32>) outs(%acc : memref<1x40x7x7xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%acc : memref<1x40x7x7xf32>) outs(%y : memref<1x40x7x7xf32>) attrs = {kiln.epilogue} {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %cst : f32
    linalg.yield %r : f32
  }
  memref.dealloc %acc : memref<1x40x7x7xf32>
  return
}

// -----

// The result buffer is one that bufferization reused: it was used before
// the bias init, which overwrites all of it.  Those uses do not count, and
// the convolution's own result is still never stored (only the ReLU's).
// TILE-LABEL: func.func @conv_epilogue_reused_buffer
// TILE: %[[ACC:.*]] = memref.alloc()
// TILE: call @use(%[[ACC]])
// TILE-NOT: %[[ACC]]
// TILE: vector.fma
// TILE-NOT: %[[ACC]]
// TILE: memref.dealloc %[[ACC]]
// After the post op, an op that overwrites all of the buffer (the next
// layer's init when bufferization reuses the buffer): nothing later reads
// the convolution's own result, which is not stored.
// TILE-LABEL: func.func @conv_epilogue_overwritten_after
// TILE: %[[ACC3:.*]] = memref.alloc()
// TILE-NOT: memref.subview %[[ACC3]]
// TILE: vector.fma
// TILE-NOT: memref.subview %[[ACC3]]
// TILE: call @use(%arg1)
// TILE: memref.subview %[[ACC3]]
// TILE: call @use(%[[ACC3]])
// A read of the buffer before that overwrite keeps the result.
// TILE-LABEL: func.func @conv_epilogue_read_then_overwritten
// TILE: %[[ACC4:.*]] = memref.alloc()
// TILE: memref.subview %[[ACC4]]
// TILE: vector.fma
// TILE: call @use(%[[ACC4]])
// A use after the post op keeps the result: its tiles store it.
// TILE-LABEL: func.func @conv_epilogue_used_after
// TILE: %[[ACC2:.*]] = memref.alloc()
// TILE: vector.fma
// TILE: memref.subview %[[ACC2]]
// TILE: call @use(%[[ACC2]])
memref.global "private" constant @w : memref<40x64x1x1xf32> = dense<0.5>
memref.global "private" constant @b : memref<40xf32> = dense<1.0>
func.func private @use(memref<1x40x7x7xf32>)
func.func @conv_epilogue_reused_buffer(%x: memref<1x64x7x7xf32>, %y: memref<1x40x7x7xf32>) {
  %cst = arith.constant 0.0 : f32
  %w = memref.get_global @w : memref<40x64x1x1xf32>
  %b = memref.get_global @b : memref<40xf32>
  %acc = memref.alloc() {alignment = 64 : i64} : memref<1x40x7x7xf32>
  call @use(%acc) : (memref<1x40x7x7xf32>) -> ()
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%b : memref<40xf32>) outs(%acc : memref<1x40x7x7xf32>) attrs = {kiln.epilogue} {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : memref<1x64x7x7xf32>, memref<40x64x1x1xf32>) outs(%acc : memref<1x40x7x7xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%acc : memref<1x40x7x7xf32>) outs(%y : memref<1x40x7x7xf32>) attrs = {kiln.epilogue} {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %cst : f32
    linalg.yield %r : f32
  }
  memref.dealloc %acc : memref<1x40x7x7xf32>
  return
}
func.func @conv_epilogue_overwritten_after(%x: memref<1x64x7x7xf32>, %y: memref<1x40x7x7xf32>, %z: memref<1x40x7x7xf32>) {
  %cst = arith.constant 0.0 : f32
  %w = memref.get_global @w : memref<40x64x1x1xf32>
  %b = memref.get_global @b : memref<40xf32>
  %acc = memref.alloc() {alignment = 64 : i64} : memref<1x40x7x7xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%b : memref<40xf32>) outs(%acc : memref<1x40x7x7xf32>) attrs = {kiln.epilogue} {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : memref<1x64x7x7xf32>, memref<40x64x1x1xf32>) outs(%acc : memref<1x40x7x7xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%acc : memref<1x40x7x7xf32>) outs(%y : memref<1x40x7x7xf32>) attrs = {kiln.epilogue} {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %cst : f32
    linalg.yield %r : f32
  }
  call @use(%y) : (memref<1x40x7x7xf32>) -> ()
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%z : memref<1x40x7x7xf32>) outs(%acc : memref<1x40x7x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  call @use(%acc) : (memref<1x40x7x7xf32>) -> ()
  memref.dealloc %acc : memref<1x40x7x7xf32>
  return
}
func.func @conv_epilogue_read_then_overwritten(%x: memref<1x64x7x7xf32>, %y: memref<1x40x7x7xf32>, %z: memref<1x40x7x7xf32>) {
  %cst = arith.constant 0.0 : f32
  %w = memref.get_global @w : memref<40x64x1x1xf32>
  %b = memref.get_global @b : memref<40xf32>
  %acc = memref.alloc() {alignment = 64 : i64} : memref<1x40x7x7xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%b : memref<40xf32>) outs(%acc : memref<1x40x7x7xf32>) attrs = {kiln.epilogue} {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : memref<1x64x7x7xf32>, memref<40x64x1x1xf32>) outs(%acc : memref<1x40x7x7xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%acc : memref<1x40x7x7xf32>) outs(%y : memref<1x40x7x7xf32>) attrs = {kiln.epilogue} {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %cst : f32
    linalg.yield %r : f32
  }
  call @use(%acc) : (memref<1x40x7x7xf32>) -> ()
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%z : memref<1x40x7x7xf32>) outs(%acc : memref<1x40x7x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  call @use(%acc) : (memref<1x40x7x7xf32>) -> ()
  memref.dealloc %acc : memref<1x40x7x7xf32>
  return
}
func.func @conv_epilogue_used_after(%x: memref<1x64x7x7xf32>, %y: memref<1x40x7x7xf32>) {
  %cst = arith.constant 0.0 : f32
  %w = memref.get_global @w : memref<40x64x1x1xf32>
  %b = memref.get_global @b : memref<40xf32>
  %acc = memref.alloc() {alignment = 64 : i64} : memref<1x40x7x7xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%b : memref<40xf32>) outs(%acc : memref<1x40x7x7xf32>) attrs = {kiln.epilogue} {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : memref<1x64x7x7xf32>, memref<40x64x1x1xf32>) outs(%acc : memref<1x40x7x7xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%acc : memref<1x40x7x7xf32>) outs(%y : memref<1x40x7x7xf32>) attrs = {kiln.epilogue} {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %cst : f32
    linalg.yield %r : f32
  }
  call @use(%acc) : (memref<1x40x7x7xf32>) -> ()
  memref.dealloc %acc : memref<1x40x7x7xf32>
  return
}

// -----

// Without an init op the accumulators are read from the output (masked
// loads of the 14 pixels of each channel, transposed); stride 2 and
// dilation 2 only change the constant input indices of the taps (here
// output pixel (0, 1) at tap (1, 2) reads input (2, 6)).
// TILE-LABEL: func.func @conv3x3_stride2_dilation2
// TILE: vector.maskedload %{{.*}} : memref<32x14xf32, {{.*}}>, vector<16xi1>, vector<16xf32> into vector<16xf32>
// TILE: vector.shuffle
// TILE: memref.load %{{.*}}[%c0, %{{.*}}, %c2, %c6] : memref<1x16x
// TILE: vector.maskedstore
// TILE-NOT: linalg.
// TILE: return
memref.global "private" constant @w3 : memref<32x16x3x3xf32> = dense<0.5>
func.func @conv3x3_stride2_dilation2(%x: memref<1x16x17x17xf32>, %y: memref<1x32x7x7xf32>) {
  %w = memref.get_global @w3 : memref<32x16x3x3xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<2> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w : memref<1x16x17x17xf32>, memref<32x16x3x3xf32>) outs(%y : memref<1x32x7x7xf32>)
  return
}

// -----

// Left to the row kernel: fewer than 8 channels and fewer than 27
// channels x taps (a 1x1 convolution of 4 channels), a dynamic width, f16,
// a filter that is not a constant global.
// CHECK-LABEL: func.func @not_packed
// CHECK-NOT: kiln.packed_filter
// CHECK: return
memref.global "private" constant @w4 : memref<32x4x1x1xf32> = dense<0.5>
memref.global "private" constant @w5 : memref<32x32x1x1xf32> = dense<0.5>
memref.global "private" constant @w6 : memref<32x16x3x3xf16> = dense<0.5>
func.func @not_packed(%x4: memref<1x4x7x7xf32>, %y4: memref<1x32x7x7xf32>, %x5: memref<1x32x7x7xf32>,
                      %y5: memref<1x32x7x7xf32>, %xd: memref<1x32x7x?xf32>, %yd: memref<1x32x7x?xf32>,
                      %xh: memref<1x16x9x9xf16>, %yh: memref<1x32x7x7xf16>, %wa: memref<32x32x1x1xf32>) {
  %w4 = memref.get_global @w4 : memref<32x4x1x1xf32>
  %w5 = memref.get_global @w5 : memref<32x32x1x1xf32>
  %w6 = memref.get_global @w6 : memref<32x16x3x3xf16>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x4, %w4 : memref<1x4x7x7xf32>, memref<32x4x1x1xf32>) outs(%y4 : memref<1x32x7x7xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%xd, %w5 : memref<1x32x7x?xf32>, memref<32x32x1x1xf32>) outs(%yd : memref<1x32x7x?xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%xh, %w6 : memref<1x16x9x9xf16>, memref<32x16x3x3xf16>) outs(%yh : memref<1x32x7x7xf16>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x5, %wa : memref<1x32x7x7xf32>, memref<32x32x1x1xf32>) outs(%y5 : memref<1x32x7x7xf32>)
  return
}

// -----

// The ReLU writes the interior of a padded buffer (kiln-cpu-pad-borders
// let it, instead of a copy): its allocation and subview, after the
// convolution, move before it; the 7-wide rows of a 2-row tile are not
// contiguous there, so each channel is stored as two masked rows of 7
// (one mask of 7 lanes, made once), the second shifted to the front by a
// shuffle.
// TILE-LABEL: func.func @conv_epilogue_padded
// TILE: %[[P:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1x40x9x9xf32>
// TILE-NEXT: %[[PI:.*]] = memref.subview %[[P]][0, 0, 1, 1] [1, 40, 7, 7]
// TILE-NEXT: scf.for
// TILE: %[[M:.*]] = vector.constant_mask [7] : vector<16xi1>
// TILE: %[[Y:.*]] = arith.maximumf %{{.*}} : vector<16xf32>
// TILE-NEXT: vector.maskedstore %[[T:.*]][%c0, %c0, %c0, %c0], %[[M]], %[[Y]] : memref<1x32x2x7xf32, strided<[3240, 81, 9, 1], offset: ?>>
// TILE-NEXT: %[[Y1:.*]] = vector.shuffle %[[Y]], %[[Y]] [7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0]
// TILE-NEXT: vector.maskedstore %[[T]][%c0, %c0, %c1, %c0], %[[M]], %[[Y1]]
// TILE-NOT: linalg.
// TILE: return %[[P]]
memref.global "private" constant @wp : memref<40x64x1x1xf32> = dense<0.5>
memref.global "private" constant @bp : memref<40xf32> = dense<1.0>
func.func @conv_epilogue_padded(%x: memref<1x64x7x7xf32>) -> memref<1x40x9x9xf32> {
  %cst = arith.constant 0.0 : f32
  %w = memref.get_global @wp : memref<40x64x1x1xf32>
  %b = memref.get_global @bp : memref<40xf32>
  %acc = memref.alloc() {alignment = 64 : i64} : memref<1x40x7x7xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%b : memref<40xf32>) outs(%acc : memref<1x40x7x7xf32>) attrs = {kiln.epilogue} {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : memref<1x64x7x7xf32>, memref<40x64x1x1xf32>) outs(%acc : memref<1x40x7x7xf32>)
  %p = memref.alloc() {alignment = 64 : i64} : memref<1x40x9x9xf32>
  %pi = memref.subview %p[0, 0, 1, 1] [1, 40, 7, 7] [1, 1, 1, 1] : memref<1x40x9x9xf32> to memref<1x40x7x7xf32, strided<[3240, 81, 9, 1], offset: 10>>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%acc : memref<1x40x7x7xf32>) outs(%pi : memref<1x40x7x7xf32, strided<[3240, 81, 9, 1], offset: 10>>) attrs = {kiln.epilogue} {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %cst : f32
    linalg.yield %r : f32
  }
  memref.dealloc %acc : memref<1x40x7x7xf32>
  return %p : memref<1x40x9x9xf32>
}

// -----

// Loop order at a dynamic batch: the batch loop outermost; one image's
// input here is 58 KB (under kPanelsOuterInputBytes), so the panel loop
// (step 32) is outside the pixel loops (rows, then 12-pixel tiles), and
// every loop of the nest is marked for threads.  The next panel is not
// prefetched (only where the filter is larger than the input: a panel
// that walks many pixel tiles would prefetch the same lines on every
// tile; ResNet-50's stem 2.03 -> 1.90 ms without).
// TILE-LABEL: func.func @order_small_input
// TILE: scf.for %{{.*}} = %c0 to %{{.*}} step %c1 {
// TILE-NEXT: scf.for %{{.*}} = %c0 to %c64 step %c32 {
// TILE-NEXT: scf.for %{{.*}} = %c0 to %c28 step %c1 {
// TILE-NEXT: scf.for %{{.*}} = %c0 to %c24 step %c12 {
// TILE-NOT: kiln.batch_loop
// TILE-NOT: memref.prefetch
// TILE: return
memref.global "private" constant @ws : memref<64x16x3x3xf32> = dense<0.5>
func.func @order_small_input(%x: memref<?x16x30x30xf32>, %y: memref<?x64x28x28xf32>) {
  %w = memref.get_global @ws : memref<64x16x3x3xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : memref<?x16x30x30xf32>, memref<64x16x3x3xf32>) outs(%y : memref<?x64x28x28xf32>)
  return
}

// -----

// The filter (64 x 256 x 3 x 3, 2 panels of 2304 taps) is larger than the
// input (256 x 9 x 9): panels outside the pixels, and each tile prefetches
// its share of the next panel into L2 in proportion to its pixels (14 of
// 49: 659 taps, 3 per loop iteration of 9 taps; the peeled last row, 7
// pixels: 330 taps, 2 per iteration), clamped to the last tap (2303).
// TILE-LABEL: func.func @prefetch_share
// TILE: scf.for %{{.*}} = %c0 to %c64 step %c32 {
// TILE: scf.for %{{.*}} = %c0 to %c6 step %c2 {
// TILE: scf.for %{{.*}} = %c0 to %c256 step %c1 iter_args
// TILE: arith.minsi %{{.*}}, %c2303 : index
// TILE-COUNT-6: memref.prefetch %{{.*}}[%{{.*}}, %{{.*}}, %c{{0|16}}], read, locality<2>, data : memref<2x2304x32xf32>
// TILE-NOT: memref.prefetch
// TILE: scf.yield
// TILE: scf.for %{{.*}} = %c0 to %c256 step %c1 iter_args
// TILE-COUNT-4: memref.prefetch %{{.*}}[%{{.*}}, %{{.*}}, %c{{0|16}}], read, locality<2>, data : memref<2x2304x32xf32>
// TILE-NOT: memref.prefetch
// TILE: scf.yield
// TILE: return
memref.global "private" constant @wl : memref<64x256x3x3xf32> = dense<0.5>
func.func @prefetch_share(%x: memref<?x256x9x9xf32>, %y: memref<?x64x7x7xf32>) {
  %w = memref.get_global @wl : memref<64x256x3x3xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : memref<?x256x9x9xf32>, memref<64x256x3x3xf32>) outs(%y : memref<?x64x7x7xf32>)
  return
}

// -----

// One image's input is 3.2 MB and the filter smaller: the pixel loops are
// outside the panel loop (a tile's input stays in L1 while it walks the
// panels), and the tiles stay on the transposing kernel, not the
// pixel-vector one (1x1 and 56 wide, but its tile's input would be
// re-read by every panel).
// TILE-LABEL: func.func @order_large_input
// TILE: scf.for %{{.*}} = %c0 to %{{.*}} step %c1 {
// TILE-NEXT: scf.for %{{.*}} = %c0 to %c56 step %c1 {
// TILE-NEXT: scf.for %{{.*}} = %c0 to %c48 step %c12 {
// TILE-NEXT: scf.for %{{.*}} = %c0 to %c64 step %c32 {
// TILE: vector.shuffle
// TILE: return
memref.global "private" constant @wl : memref<64x256x1x1xf32> = dense<0.5>
func.func @order_large_input(%x: memref<?x256x56x56xf32>, %y: memref<?x64x56x56xf32>) {
  %w = memref.get_global @wl : memref<64x256x1x1xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : memref<?x256x56x56xf32>, memref<64x256x1x1xf32>) outs(%y : memref<?x64x56x56xf32>)
  return
}

// -----

// The same order with 128 input channels (1.6 MB of input per image, a
// chunk's input [128, 48] in half of L1): blocks of 8 rows (256 KB of
// input) outside the panels, each block x panel a pixel-vector tile (no
// transposes).
// TILE-LABEL: func.func @order_large_input_few_channels
// TILE: scf.for %{{.*}} = %c0 to %{{.*}} step %c1 {
// TILE-NEXT: scf.for %{{.*}} = %c0 to %c56 step %c8 {
// TILE-NEXT: scf.for %{{.*}} = %c0 to %c256 step %c32 {
// TILE: memref.collapse_shape
// TILE: vector.fma
// TILE-NOT: vector.shuffle
// TILE: return
memref.global "private" constant @wf : memref<256x128x1x1xf32> = dense<0.5>
func.func @order_large_input_few_channels(%x: memref<?x128x56x56xf32>, %y: memref<?x256x56x56xf32>) {
  %w = memref.get_global @wf : memref<256x128x1x1xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : memref<?x128x56x56xf32>, memref<256x128x1x1xf32>) outs(%y : memref<?x256x56x56xf32>)
  return
}

// -----

// 40 output channels: the panel loop right inside the batch loop is
// peeled (one full panel, then 8 channels), which would leave the batch
// loop a band of its own (one iteration at batch 1); it is marked
// kiln.batch_loop instead of kiln.parallel, so that kiln-cpu-parallelize
// puts the threads on the pixel loops of each panel.
// TILE-LABEL: func.func @order_peeled_panels
// TILE: scf.for %{{.*}} = %c0 to %{{.*}} step %c1 {
// TILE-NEXT: scf.for %{{.*}} = %c0 to %c28 step %c1 {
// TILE: scf.for %{{.*}} = %c0 to %c28 step %c1 {
// TILE: } {kiln.batch_loop}
// TILE: return
memref.global "private" constant @wp : memref<40x16x3x3xf32> = dense<0.5>
func.func @order_peeled_panels(%x: memref<?x16x30x30xf32>, %y: memref<?x40x28x28xf32>) {
  %w = memref.get_global @wp : memref<40x16x3x3xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : memref<?x16x30x30xf32>, memref<40x16x3x3xf32>) outs(%y : memref<?x40x28x28xf32>)
  return
}

// -----

// The pixel-vector kernel: a 1x1 stride-1 convolution with 28-wide rows and
// a small input (panels outside the pixels).  Two panels: tiles of 7 whole
// rows (196 pixels; 2 panels x 4 row blocks = 8 tiles per image) x one
// panel; in each, chunks of 48 pixels (4, then one of 4 pixels, masked),
// and in each chunk groups of 8 output channels (the tile's input, 12.5 KB,
// stays in L1): 24 accumulators (8 channels x 3 vectors) that start as the
// bias (a scalar broadcast per channel), are updated per input channel (2
// per loop iteration) by 3 contiguous input vectors times 8 weights
// broadcast from the panel, get the ReLU and are stored as contiguous
// pixel vectors: no transposes, and the conv's own result is never stored.
// 40 channels: the peeled panel has one group of 8.
// TILE-LABEL: func.func @flat_kernel
// TILE: scf.for %{{.*}} = %c0 to %c28 step %c7 {
// TILE: scf.for %[[P:.*]] = %c0 to %c192 step %c48 {
// TILE: memref.load %{{.*}} : memref<32xf32
// TILE: vector.broadcast
// TILE: scf.for %{{.*}} = %c0 to %c16 step %c2 iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// TILE: vector.load %{{.*}} : memref<16x196xf32, strided<[784, 1]{{.*}}>>, vector<16xf32>
// TILE: memref.load %{{.*}} : memref<2x16x32xf32>
// TILE: vector.fma
// TILE: arith.maximumf %{{.*}} : vector<16xf32>
// TILE: vector.store %{{.*}}[%c0, %{{.*}}] : memref<32x196xf32, strided<[784, 1]{{.*}}>>, vector<16xf32>
// TILE: vector.store %{{.*}}[%c8, %{{.*}}] : memref<32x196xf32, strided<[784, 1]{{.*}}>>, vector<16xf32>
// TILE-NOT: scf.for %{{.*}} = %c0 to %c192 step %c48
// TILE: vector.maskedload %{{.*}}[%{{.*}}, %c192]{{.*}} : memref<16x196xf32
// TILE: vector.maskedstore %{{.*}}[%c0, %c192]{{.*}} : memref<32x196xf32
// TILE: vector.maskedstore %{{.*}} : memref<8x196xf32, strided<[784, 1]{{.*}}>>
// TILE-NOT: vector.shuffle
// TILE-NOT: linalg.
// TILE: return
memref.global "private" constant @wf : memref<40x16x1x1xf32> = dense<0.5>
memref.global "private" constant @bf : memref<40xf32> = dense<1.0>
func.func @flat_kernel(%x: memref<?x16x28x28xf32>, %y: memref<?x40x28x28xf32>) {
  %c0 = arith.constant 0 : index
  %cst = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x16x28x28xf32>
  %w = memref.get_global @wf : memref<40x16x1x1xf32>
  %b = memref.get_global @bf : memref<40xf32>
  %acc = memref.alloc(%n) {alignment = 64 : i64} : memref<?x40x28x28xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%b : memref<40xf32>) outs(%acc : memref<?x40x28x28xf32>) attrs = {kiln.epilogue} {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : memref<?x16x28x28xf32>, memref<40x16x1x1xf32>) outs(%acc : memref<?x40x28x28xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%acc : memref<?x40x28x28xf32>) outs(%y : memref<?x40x28x28xf32>) attrs = {kiln.epilogue} {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %cst : f32
    linalg.yield %r : f32
  }
  memref.dealloc %acc : memref<?x40x28x28xf32>
  return
}

// -----

// The pixel-vector kernel on long tiles: 32 -> 64 channels at 56x56 (the
// input, 400 KB, stays in L2).  Two panels, so 4 row blocks of 14 rows (784
// pixels); a tile's input (100 KB) does not stay in L1, so each group of 8
// output channels walks all the tile's pixels (16 chunks of 48, then one
// of 16) before the next group: 8 channel rows written sequentially at a
// time, not 32 rows 48 pixels at a time.
// TILE-LABEL: func.func @flat_groups_outer
// TILE: scf.for %{{.*}} = %c0 to %c56 step %c14 {
// TILE: scf.for %{{.*}} = %c0 to %c768 step %c48 {
// TILE: vector.store %{{.*}}[%c0, %{{.*}}] : memref<32x784xf32
// TILE-NOT: vector.store %{{.*}}[%c8, %{{.*}}] : memref<32x784xf32
// TILE: }
// TILE: vector.store %{{.*}}[%c0, %c768] : memref<32x784xf32
// TILE: scf.for %{{.*}} = %c0 to %c768 step %c48 {
// TILE-NOT: vector.store %{{.*}}[%c0, %{{.*}}] : memref<32x784xf32
// TILE: vector.store %{{.*}}[%c8, %{{.*}}] : memref<32x784xf32
// TILE: return
memref.global "private" constant @wg : memref<64x32x1x1xf32> = dense<0.5>
func.func @flat_groups_outer(%x: memref<?x32x56x56xf32>, %y: memref<?x64x56x56xf32>) {
  %w = memref.get_global @wg : memref<64x32x1x1xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : memref<?x32x56x56xf32>, memref<64x32x1x1xf32>) outs(%y : memref<?x64x56x56xf32>)
  return
}

// -----

// One panel (24 output channels) and an input over 1 MB (144 x 56 x 56):
// no panel loop, so the pixel-vector kernel too (groups of 8 + 8 + 8
// channels), though the pixels would be outside the panels.
// TILE-LABEL: func.func @flat_one_panel
// TILE: scf.for %{{.*}} = %c0 to %c56 step %c2 {
// TILE: scf.for %{{.*}} = %c0 to %c96 step %c48 {
// TILE: memref.load %{{.*}} : memref<1x144x32xf32>
// TILE: vector.fma
// TILE-NOT: vector.shuffle
// TILE: return
memref.global "private" constant @w1p : memref<24x144x1x1xf32> = dense<0.5>
func.func @flat_one_panel(%x: memref<1x144x56x56xf32>, %y: memref<1x24x56x56xf32>) {
  %w = memref.get_global @w1p : memref<24x144x1x1xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : memref<1x144x56x56xf32>, memref<24x144x1x1xf32>) outs(%y : memref<1x24x56x56xf32>)
  return
}
