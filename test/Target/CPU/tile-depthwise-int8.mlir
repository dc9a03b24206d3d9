// RUN: kiln-opt --split-input-file --kiln-cpu-tile-and-vectorize="int8-depthwise=1" --canonicalize %s | FileCheck %s
// RUN: kiln-opt --split-input-file --kiln-cpu-tile-and-vectorize --canonicalize %s | FileCheck %s --check-prefix=F32

// nn.qconv's depthwise form (int8 input and filter, f32 accumulator) on
// the int8 depthwise kernel: the filter's rows read as quads of int8 taps
// (the last tap past KW = 3 masked to zero) and broadcast to every lane;
// per input row one masked 64-byte load flipped to unsigned (xor 0x80),
// one byte shuffle gathering, for 16 output columns, the 3 taps of each,
// and one vpdpbusd per filter row; the sum minus 128 * sum(w) (the flip)
// converted to f32 and added to the rows' start value.  A 7 x 7 plane at
// stride 2 (the shuffle takes every other byte).
// CHECK-LABEL: func.func @plane_stride2
// CHECK-COUNT-3: vector.transfer_read {{.*}} : memref<1x3x3xi8, {{.*}}>, vector<4xi8>
// CHECK: %[[ROW:.*]] = vector.transfer_read {{.*}} : memref<1x1x15x15xi8, {{.*}}>, vector<64xi8>
// CHECK: %[[U:.*]] = arith.xori %[[ROW]], %{{.*}} : vector<64xi8>
// CHECK: %[[WIN:.*]] = vector.shuffle %[[U]], %[[U]] [0, 1, 2, 0, 2, 3, 4, 2, 4, 5, 6, 4,
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %[[WIN]], %{{.*}})
// CHECK: arith.subi
// CHECK: arith.sitofp {{.*}} : vector<16xi32> to vector<16xf32>
// CHECK: vector.shuffle {{.*}} [0, 1, 2, 3, 4, 5, 6] : vector<16xf32>, vector<16xf32>
// CHECK-COUNT-7: vector.transfer_write {{.*}} vector<7xf32>
// CHECK-NOT: vector.fma
// CHECK-NOT: linalg.depthwise_conv_2d_nchw_chw
// CHECK: return
// Without int8-depthwise (a CPU without AVX-512 VNNI and VBMI): the f32
// kernel on int8 rows and taps converted exactly (sitofp).
// F32-LABEL: func.func @plane_stride2
// F32-NOT: vpdpbusd
// F32: arith.sitofp {{.*}} : vector<7xi8> to vector<7xf32>
// F32: vector.fma {{.*}} : vector<7xf32>
// F32-NOT: linalg.depthwise_conv_2d_nchw_chw
// F32: return
func.func @plane_stride2(%x: memref<1x24x15x15xi8>, %w: memref<24x3x3xi8>, %y: memref<1x24x7x7xf32>) {
  linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w : memref<1x24x15x15xi8>, memref<24x3x3xi8>) outs(%y : memref<1x24x7x7xf32>)
  return
}

// -----

// A wider plane: one output row per tile, in column chunks of 32 (two
// 16-lane halves), 16 and 8 (56 = 32 + 16 + 8); a 5 x 5 filter takes two
// tap groups per filter row (taps 0-3, then 4 and three zero taps), the
// second gathering column 4 of each window (the zero taps repeat column
// 0).  Its epilogue (the dequantization, ReLU6 and the next int8 layer's quantization, one
// kiln.epilogue generic into an int8 buffer) runs on the rows in registers:
// the rows are stored as int8, never as f32.
// CHECK-LABEL: func.func @rows_quantized_epilogue
// CHECK: scf.for
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [4, 0, 0, 0, 5, 1, 1, 1, 6, 2, 2, 2,
// CHECK-COUNT-10: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK: math.roundeven {{.*}} : vector<32xf32>
// CHECK: arith.fptoui {{.*}} : vector<32xf32> to vector<32xi8>
// CHECK: vector.transfer_write {{.*}} : vector<32xi8>, memref<1x1x1x56xi8
// CHECK: vector.transfer_write {{.*}} : vector<16xi8>, memref<1x1x1x56xi8
// CHECK: vector.transfer_write {{.*}} : vector<8xi8>, memref<1x1x1x56xi8
// CHECK-NOT: vector<32xf32>, memref
// CHECK: return
func.func @rows_quantized_epilogue(%x: memref<1x8x60x60xi8>, %w: memref<8x5x5xi8>, %s: memref<8xf32>, %b: memref<8xf32>, %start: memref<8xf32>) -> memref<1x8x56x56xi8> {
  %lo = arith.constant 0.0 : f32
  %hi = arith.constant 6.0 : f32
  %qs = arith.constant 0.025 : f32
  %qmax = arith.constant 255.0 : f32
  %acc = memref.alloc() {alignment = 64 : i64} : memref<1x8x56x56xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%start : memref<8xf32>) outs(%acc : memref<1x8x56x56xf32>) attrs = {kiln.epilogue} {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : memref<1x8x60x60xi8>, memref<8x5x5xi8>) outs(%acc : memref<1x8x56x56xf32>)
  %y = memref.alloc() {alignment = 64 : i64} : memref<1x8x56x56xi8>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d1)>,
                                   affine_map<(d0, d1, d2, d3) -> (d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%acc, %s, %b : memref<1x8x56x56xf32>, memref<8xf32>, memref<8xf32>) outs(%y : memref<1x8x56x56xi8>) attrs = {kiln.epilogue} {
  ^bb0(%in: f32, %sc: f32, %bi: f32, %o: i8):
    %m = arith.mulf %in, %sc : f32
    %a = arith.addf %m, %bi : f32
    %r0 = arith.maximumf %a, %lo : f32
    %r1 = arith.minimumf %r0, %hi : f32
    %d = arith.divf %r1, %qs : f32
    %q = math.roundeven %d : f32
    %c0 = arith.maximumf %q, %lo : f32
    %c1 = arith.minimumf %c0, %qmax : f32
    %u = arith.fptoui %c1 : f32 to i8
    linalg.yield %u : i8
  }
  memref.dealloc %acc : memref<1x8x56x56xf32>
  return %y : memref<1x8x56x56xi8>
}

// -----

// Rows too wide for one 64-byte load per 16 columns (stride 2 and a 7-wide
// window dilated by 6: 30 + 36 bytes) keep the f32 kernel on int8 rows.
// CHECK-LABEL: func.func @window_too_wide
// CHECK-NOT: vpdpbusd
// CHECK: arith.sitofp
// CHECK: return
func.func @window_too_wide(%x: memref<1x4x80x80xi8>, %w: memref<4x7x7xi8>, %y: memref<1x4x22x22xf32>) {
  linalg.depthwise_conv_2d_nchw_chw {dilations = dense<6> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w : memref<1x4x80x80xi8>, memref<4x7x7xi8>) outs(%y : memref<1x4x22x22xf32>)
  return
}
