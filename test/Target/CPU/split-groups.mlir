// RUN: kiln-opt --split-input-file --kiln-cpu-split-groups %s | FileCheck %s
// RUN: kiln-opt --split-input-file --kiln-cpu-split-groups --kiln-cpu-pack-weights %s | FileCheck %s --check-prefix=PACK

// kiln-cpu-split-groups: a grouped convolution (the NN lowering's
// conv_2d_ngchw_gfchw on [N, G, C/G, H, W] views) becomes a loop over the
// groups of plain convolutions on channel subviews of the 4-D buffers, with
// its epilogue ops (here the bias init that elementwise fusion left as a 5-D
// generic over the grouped output, and a ReLU into a fresh buffer whose
// allocation comes after the convolution) moved into the loop on the
// group's channels: the init right before the convolution and writing its
// output view, the ReLU right after it reading that view, both marked
// kiln.epilogue for kiln-cpu-tile-and-vectorize.  Enough work: the loop is
// marked kiln.parallel.  G = 4 groups of 8 input and 32 output channels:
// whole filter panels per group, so kiln-cpu-pack-weights packs the whole
// filter [128, 8, 3, 3] and annotates the group's convolution.
// CHECK-LABEL: func.func @grouped_bias_relu
// CHECK: %[[RES:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1x128x14x14xf32>
// CHECK: scf.for %[[G:.*]] = %{{.*}} to %c4 step
// CHECK-DAG: %[[GC:.*]] = arith.muli %[[G]], %c8
// CHECK-DAG: %[[GF:.*]] = arith.muli %[[G]], %c32
// CHECK-DAG: %[[XS:.*]] = memref.subview %{{.*}}[0, %[[GC]], 0, 0] [1, 8, 16, 16] [1, 1, 1, 1] : memref<1x32x16x16xf32> to memref<1x8x16x16xf32
// CHECK-DAG: %[[WS:.*]] = memref.subview %[[W:.*]][%[[GF]], 0, 0, 0] [32, 8, 3, 3] [1, 1, 1, 1] : memref<128x8x3x3xf32> to memref<32x8x3x3xf32
// CHECK-DAG: %[[OS:.*]] = memref.subview %{{.*}}[0, %[[GF]], 0, 0] [1, 32, 14, 14] [1, 1, 1, 1] : memref<1x128x14x14xf32> to memref<1x32x14x14xf32
// CHECK-DAG: %[[DS:.*]] = memref.subview %[[RES]][0, %[[GF]], 0, 0] [1, 32, 14, 14]
// CHECK-DAG: %[[BS:.*]] = memref.subview %{{.*}}[%[[G]], 0] [1, 32] [1, 1] : memref<4x32xf32> to memref<32xf32
// CHECK: linalg.generic {indexing_maps = [#[[CH:.*]], #[[ID:.*]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[BS]] : {{.*}}) outs(%[[OS]] : {{.*}}) attrs =  {kiln.epilogue}
// CHECK: linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%[[XS]], %[[WS]] : {{.*}}) outs(%[[OS]] : {{.*}})
// CHECK-NEXT: linalg.generic {indexing_maps = [#[[ID]], #[[ID]]], {{.*}} ins(%[[OS]] : {{.*}}) outs(%[[DS]] : {{.*}}) attrs =  {kiln.epilogue}
// CHECK: arith.maximumf
// CHECK: } {kiln.parallel}
// CHECK-NOT: linalg.conv_2d_ngchw_gfchw
// CHECK: return %[[RES]]
// PACK: memref.global "private" constant @w_fpanels : memref<4x72x32xf32>
// PACK-LABEL: func.func @grouped_bias_relu
// PACK: linalg.conv_2d_nchw_fchw {{{.*}}kiln.packed_filter = @w_fpanels
#bias5 = affine_map<(d0, d1, d2, d3, d4) -> (d1, d2)>
#id5 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
memref.global "private" constant @w : memref<128x8x3x3xf32> = dense<0.5>
memref.global "private" constant @b : memref<128xf32> = dense<1.0>
func.func @grouped_bias_relu(%x: memref<1x32x16x16xf32>) -> memref<1x128x14x14xf32> {
  %cst = arith.constant 0.0 : f32
  %w = memref.get_global @w : memref<128x8x3x3xf32>
  %b = memref.get_global @b : memref<128xf32>
  %xg = memref.expand_shape %x [[0], [1, 2], [3], [4]] output_shape [1, 4, 8, 16, 16] : memref<1x32x16x16xf32> into memref<1x4x8x16x16xf32>
  %wg = memref.expand_shape %w [[0, 1], [2], [3], [4]] output_shape [4, 32, 8, 3, 3] : memref<128x8x3x3xf32> into memref<4x32x8x3x3xf32>
  %bg = memref.expand_shape %b [[0, 1]] output_shape [4, 32] : memref<128xf32> into memref<4x32xf32>
  %acc = memref.alloc() {alignment = 64 : i64} : memref<1x4x32x14x14xf32>
  linalg.generic {indexing_maps = [#bias5, #id5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%bg : memref<4x32xf32>) outs(%acc : memref<1x4x32x14x14xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%xg, %wg : memref<1x4x8x16x16xf32>, memref<4x32x8x3x3xf32>) outs(%acc : memref<1x4x32x14x14xf32>)
  %flat = memref.collapse_shape %acc [[0], [1, 2], [3], [4]] : memref<1x4x32x14x14xf32> into memref<1x128x14x14xf32>
  %res = memref.alloc() {alignment = 64 : i64} : memref<1x128x14x14xf32>
  linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%flat : memref<1x128x14x14xf32>) outs(%res : memref<1x128x14x14xf32>) attrs = {kiln.epilogue} {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %cst : f32
    linalg.yield %r : f32
  }
  memref.dealloc %acc : memref<1x4x32x14x14xf32>
  return %res : memref<1x128x14x14xf32>
}

// -----

// A dynamic batch and dynamic input rows (the output's are static), a 4-D
// init on the output's collapsed view and a post op that adds a residual
// in place: the residual's group slice is read per group.  Few iterations
// (2 groups of 2 channels, 4 x 4 pixels): no kiln.parallel.  4 output
// channels per group: no packed panels (the row kernel computes them).
// CHECK-LABEL: func.func @dynamic_residual_small
// CHECK: scf.for %[[G:.*]] = %{{.*}} to %{{.*}} step
// CHECK-DAG: %[[GF:.*]] = arith.muli %[[G]], %c4
// CHECK-DAG: memref.subview %{{.*}}[0, %{{.*}}, 0, 0] [%{{.*}}, 2, %{{.*}}, 6] [1, 1, 1, 1] : memref<?x4x?x6xf32> to memref<?x2x?x6xf32
// CHECK-DAG: %[[OS:.*]] = memref.subview %{{.*}}[0, %[[GF]], 0, 0] [%{{.*}}, 4, 4, 4] [1, 1, 1, 1] : memref<?x8x4x4xf32> to memref<?x4x4x4xf32
// CHECK-DAG: %[[RS:.*]] = memref.subview %{{.*}}[0, %[[GF]], 0, 0] [%{{.*}}, 4, 4, 4] [1, 1, 1, 1] : memref<?x8x4x4xf32> to memref<?x4x4x4xf32
// CHECK-DAG: %[[BS:.*]] = memref.subview %{{.*}}[%[[GF]]] [4] [1] : memref<8xf32> to memref<4xf32
// CHECK: linalg.generic {{.*}} ins(%[[BS]] : {{.*}}) outs(%[[OS]] : {{.*}}) attrs =  {kiln.epilogue}
// CHECK: linalg.conv_2d_nchw_fchw {{.*}} outs(%[[OS]] : {{.*}})
// CHECK-NEXT: linalg.generic {{.*}} ins(%[[OS]], %[[RS]] : {{.*}}) outs(%[[OS]] : {{.*}}) attrs =  {kiln.epilogue}
// CHECK: arith.addf
// CHECK-NOT: kiln.parallel
// CHECK: return
// PACK-LABEL: func.func @dynamic_residual_small
// PACK-NOT: kiln.packed_filter
// PACK: return
#ch = affine_map<(d0, d1, d2, d3) -> (d1)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
memref.global "private" constant @w2 : memref<8x2x3x3xf32> = dense<0.5>
memref.global "private" constant @b2 : memref<8xf32> = dense<1.0>
func.func @dynamic_residual_small(%x: memref<?x4x?x6xf32>, %r: memref<?x8x4x4xf32>, %o: memref<?x8x4x4xf32>) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %n = memref.dim %x, %c0 : memref<?x4x?x6xf32>
  %h = memref.dim %x, %c2 : memref<?x4x?x6xf32>
  %w = memref.get_global @w2 : memref<8x2x3x3xf32>
  %b = memref.get_global @b2 : memref<8xf32>
  %xg = memref.expand_shape %x [[0], [1, 2], [3], [4]] output_shape [%n, 2, 2, %h, 6] : memref<?x4x?x6xf32> into memref<?x2x2x?x6xf32>
  %wg = memref.expand_shape %w [[0, 1], [2], [3], [4]] output_shape [2, 4, 2, 3, 3] : memref<8x2x3x3xf32> into memref<2x4x2x3x3xf32>
  %og = memref.expand_shape %o [[0], [1, 2], [3], [4]] output_shape [%n, 2, 4, 4, 4] : memref<?x8x4x4xf32> into memref<?x2x4x4x4xf32>
  linalg.generic {indexing_maps = [#ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%b : memref<8xf32>) outs(%o : memref<?x8x4x4xf32>) attrs = {kiln.epilogue} {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%xg, %wg : memref<?x2x2x?x6xf32>, memref<2x4x2x3x3xf32>) outs(%og : memref<?x2x4x4x4xf32>)
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%o, %r : memref<?x8x4x4xf32>, memref<?x8x4x4xf32>) outs(%o : memref<?x8x4x4xf32>) attrs = {kiln.epilogue} {
  ^bb0(%a: f32, %c: f32, %out: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Near misses.  The post op writes the convolution's input buffer (later
// groups still read it): it stays after the loop, over the whole output;
// the init still moves in.
// CHECK-LABEL: func.func @post_op_writes_input
// CHECK: scf.for
// CHECK: linalg.generic {{.*}} attrs =  {kiln.epilogue}
// CHECK: linalg.conv_2d_nchw_fchw
// CHECK-NEXT: {{^ *}}}{{$}}
// CHECK-NEXT: linalg.generic {{.*}} ins(%{{.*}} : memref<1x8x4x4xf32>) outs(%{{.*}} : memref<1x8x4x4xf32>) attrs =  {kiln.epilogue}
// CHECK: return
#ch = affine_map<(d0, d1, d2, d3) -> (d1)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @post_op_writes_input(%x: memref<1x8x4x4xf32>, %w: memref<8x4x1x1xf32>, %b: memref<8xf32>, %o: memref<1x8x4x4xf32>) {
  %cst = arith.constant 0.0 : f32
  %xg = memref.expand_shape %x [[0], [1, 2], [3], [4]] output_shape [1, 2, 4, 4, 4] : memref<1x8x4x4xf32> into memref<1x2x4x4x4xf32>
  %wg = memref.expand_shape %w [[0, 1], [2], [3], [4]] output_shape [2, 4, 4, 1, 1] : memref<8x4x1x1xf32> into memref<2x4x4x1x1xf32>
  %og = memref.expand_shape %o [[0], [1, 2], [3], [4]] output_shape [1, 2, 4, 4, 4] : memref<1x8x4x4xf32> into memref<1x2x4x4x4xf32>
  linalg.generic {indexing_maps = [#ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%b : memref<8xf32>) outs(%o : memref<1x8x4x4xf32>) attrs = {kiln.epilogue} {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%xg, %wg : memref<1x2x4x4x4xf32>, memref<2x4x4x1x1xf32>) outs(%og : memref<1x2x4x4x4xf32>)
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%o : memref<1x8x4x4xf32>) outs(%x : memref<1x8x4x4xf32>) attrs = {kiln.epilogue} {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %cst : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// Not split: f16 (the kernels are f32), a dynamic output size.
// CHECK-LABEL: func.func @not_split
// CHECK-NOT: scf.for
// CHECK: linalg.conv_2d_ngchw_gfchw
// CHECK: linalg.conv_2d_ngchw_gfchw
// CHECK-NOT: linalg.conv_2d_nchw_fchw
// CHECK: return
func.func @not_split(%xh: memref<1x2x4x6x6xf16>, %wh: memref<2x4x4x3x3xf16>, %oh: memref<1x2x4x4x4xf16>,
                     %x: memref<1x2x4x?x6xf32>, %w: memref<2x4x4x3x3xf32>, %o: memref<1x2x4x?x4xf32>) {
  linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%xh, %wh : memref<1x2x4x6x6xf16>, memref<2x4x4x3x3xf16>) outs(%oh : memref<1x2x4x4x4xf16>)
  linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : memref<1x2x4x?x6xf32>, memref<2x4x4x3x3xf32>) outs(%o : memref<1x2x4x?x4xf32>)
  return
}

// -----

// 16 output channels per group: two groups share a filter panel, so the
// 3x3 filter is packed (the transposing kernel starts the odd groups'
// tiles at lane 16 of their panel); a 1x1 one is not (the pixel-vector
// kernel reads whole panels), its groups go to the row kernel.
// PACK: memref.global "private" constant @w16_fpanels : memref<2x144x32xf32>
// PACK-LABEL: func.func @sixteen_per_group
// PACK: linalg.conv_2d_nchw_fchw {{{.*}}kiln.packed_filter = @w16_fpanels
// PACK: linalg.conv_2d_nchw_fchw
// PACK-NOT: kiln.packed_filter
// PACK: return
// CHECK-LABEL: func.func @sixteen_per_group
// CHECK-COUNT-2: scf.for
memref.global "private" constant @w16 : memref<64x16x3x3xf32> = dense<0.5>
memref.global "private" constant @w16x1 : memref<64x16x1x1xf32> = dense<0.5>
func.func @sixteen_per_group(%x: memref<1x64x16x16xf32>, %o: memref<1x64x14x14xf32>, %o1: memref<1x64x16x16xf32>) {
  %w = memref.get_global @w16 : memref<64x16x3x3xf32>
  %w1 = memref.get_global @w16x1 : memref<64x16x1x1xf32>
  %xg = memref.expand_shape %x [[0], [1, 2], [3], [4]] output_shape [1, 4, 16, 16, 16] : memref<1x64x16x16xf32> into memref<1x4x16x16x16xf32>
  %wg = memref.expand_shape %w [[0, 1], [2], [3], [4]] output_shape [4, 16, 16, 3, 3] : memref<64x16x3x3xf32> into memref<4x16x16x3x3xf32>
  %og = memref.expand_shape %o [[0], [1, 2], [3], [4]] output_shape [1, 4, 16, 14, 14] : memref<1x64x14x14xf32> into memref<1x4x16x14x14xf32>
  linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%xg, %wg : memref<1x4x16x16x16xf32>, memref<4x16x16x3x3xf32>) outs(%og : memref<1x4x16x14x14xf32>)
  %wg1 = memref.expand_shape %w1 [[0, 1], [2], [3], [4]] output_shape [4, 16, 16, 1, 1] : memref<64x16x1x1xf32> into memref<4x16x16x1x1xf32>
  %og1 = memref.expand_shape %o1 [[0], [1, 2], [3], [4]] output_shape [1, 4, 16, 16, 16] : memref<1x64x16x16xf32> into memref<1x4x16x16x16xf32>
  linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%xg, %wg1 : memref<1x4x16x16x16xf32>, memref<4x16x16x1x1xf32>) outs(%og1 : memref<1x4x16x16x16xf32>)
  return
}
