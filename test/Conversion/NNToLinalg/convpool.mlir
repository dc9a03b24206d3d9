// RUN: kiln-opt --convert-nn-to-linalg %s | FileCheck %s
// RUN: kiln-opt --convert-nn-to-linalg --mlir-print-local-scope %s | FileCheck %s --check-prefix=LOCAL

// The im2col gather of @conv_im2col (stride 2, dilation 2).
// LOCAL-LABEL: func @conv_im2col
// LOCAL: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d4 * 2 + d2 * 2, d5 * 2 + d3 * 2)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>]

// The input map of the 3-D pooling below (maps are printed first).
// CHECK: #[[XMAP:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d2 * 2 + d5, d3 * 2 + d6, d4 * 2 + d7)>

// Convolution with bias: the bias initializes the output (no separate add);
// padding is a tensor.pad; a dynamic batch flows through tensor.dim.
// CHECK-LABEL: func @conv_bias
// CHECK: %[[P:.*]] = tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: %[[N:.*]] = tensor.dim %[[P]], %c0
// CHECK: %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x4x8x20xf32>
// CHECK: %[[INIT:.*]] = linalg.generic {{.*}} ins(%arg2 : tensor<4xf32>) outs(%[[E]] : tensor<?x4x8x20xf32>)
// CHECK: linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%[[P]], %arg1 : {{.*}}) outs(%[[INIT]] : tensor<?x4x8x20xf32>)
func.func @conv_bias(%x: tensor<?x3x8x20xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>) -> tensor<?x4x8x20xf32> {
  %y = nn.conv %x, %w, %b {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<?x3x8x20xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<?x4x8x20xf32>
  return %y : tensor<?x4x8x20xf32>
}

// Narrow output rows (at most 8 wide, or 14 for a strided convolution; at
// least 16 pixels): the windows are
// gathered once (im2col: x[n, c, oh * s + kh * d, ow * s + kw * d] into
// [N, C, KH, KW, OH, OW], collapsed to [N, C*KH*KW, OH, OW]) and convolved
// with the [F, C*KH*KW, 1, 1] filter, stride and dilation 1.
// CHECK-LABEL: func @conv_im2col
// CHECK: %[[P:.*]] = tensor.pad %arg0 low[0, 0, 2, 2] high[0, 0, 2, 2]
// CHECK: %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?x6x3x3x7x7xf32>
// CHECK: %[[COL:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%[[P]] : tensor<?x6x17x17xf32>) outs(%[[E]] : tensor<?x6x3x3x7x7xf32>)
// CHECK: %[[X:.*]] = tensor.collapse_shape %[[COL]] {{\[\[}}0], [1, 2, 3], [4], [5]] : tensor<?x6x3x3x7x7xf32> into tensor<?x54x7x7xf32>
// CHECK: %[[WF:.*]] = tensor.collapse_shape %arg1 {{\[\[}}0], [1, 2, 3]] : tensor<8x6x3x3xf32> into tensor<8x54xf32>
// CHECK: %[[W:.*]] = tensor.expand_shape %[[WF]] {{\[\[}}0], [1, 2, 3]] output_shape [8, 54, 1, 1] : tensor<8x54xf32> into tensor<8x54x1x1xf32>
// CHECK: linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%[[X]], %[[W]] : tensor<?x54x7x7xf32>, tensor<8x54x1x1xf32>)
func.func @conv_im2col(%x: tensor<?x6x13x13xf32>, %w: tensor<8x6x3x3xf32>) -> tensor<?x8x7x7xf32> {
  %y = nn.conv %x, %w {dilations = array<i64: 2, 2>, groups = 1 : i64, pads = array<i64: 2, 2, 2, 2>, strides = array<i64: 2, 2>} : (tensor<?x6x13x13xf32>, tensor<8x6x3x3xf32>) -> tensor<?x8x7x7xf32>
  return %y : tensor<?x8x7x7xf32>
}

// Not gathered: fewer than 16 output pixels, rows wider than 14, and rows
// of 9 to 14 with stride 1.
// CHECK-LABEL: func @conv_no_im2col
// CHECK-NOT: tensor.collapse_shape
// CHECK: linalg.conv_2d_nchw_fchw {{.*}} ins(%arg0, %arg1 : tensor<1x6x5x5xf32>, tensor<8x6x3x3xf32>)
// CHECK: linalg.conv_2d_nchw_fchw {{.*}} ins(%arg2, %arg1 : tensor<1x6x3x17xf32>, tensor<8x6x3x3xf32>)
// CHECK: linalg.conv_2d_nchw_fchw {{.*}} ins(%arg3, %arg1 : tensor<1x6x16x16xf32>, tensor<8x6x3x3xf32>)
func.func @conv_no_im2col(%x: tensor<1x6x5x5xf32>, %w: tensor<8x6x3x3xf32>, %z: tensor<1x6x3x17xf32>, %u: tensor<1x6x16x16xf32>) -> (tensor<1x8x3x3xf32>, tensor<1x8x1x15xf32>, tensor<1x8x14x14xf32>) {
  %y = nn.conv %x, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x6x5x5xf32>, tensor<8x6x3x3xf32>) -> tensor<1x8x3x3xf32>
  %v = nn.conv %z, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x6x3x17xf32>, tensor<8x6x3x3xf32>) -> tensor<1x8x1x15xf32>
  %t = nn.conv %u, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x6x16x16xf32>, tensor<8x6x3x3xf32>) -> tensor<1x8x14x14xf32>
  return %y, %v, %t : tensor<1x8x3x3xf32>, tensor<1x8x1x15xf32>, tensor<1x8x14x14xf32>
}

// A strided 1x1 convolution subsamples its input once into a dense tensor
// (strided extract_slice + copy) and convolves it with stride 1; with a
// dynamic batch and padding (pixels of the pad are taken too).
// CHECK-LABEL: func @conv1x1_stride2
// CHECK: %[[P:.*]] = tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: %[[N:.*]] = tensor.dim %[[P]], %c0
// CHECK: %[[S:.*]] = tensor.extract_slice %[[P]][0, 0, 0, 0] [%[[N]], 8, 5, 4] [1, 1, 2, 3] : tensor<?x8x10x10xf32> to tensor<?x8x5x4xf32>
// CHECK: %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x8x5x4xf32>
// CHECK: %[[D:.*]] = linalg.copy ins(%[[S]] : tensor<?x8x5x4xf32>) outs(%[[E]] : tensor<?x8x5x4xf32>)
// CHECK: linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%[[D]], %arg1 : tensor<?x8x5x4xf32>, tensor<16x8x1x1xf32>)
func.func @conv1x1_stride2(%x: tensor<?x8x8x8xf32>, %w: tensor<16x8x1x1xf32>) -> tensor<?x16x5x4xf32> {
  %y = nn.conv %x, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 3>} : (tensor<?x8x8x8xf32>, tensor<16x8x1x1xf32>) -> tensor<?x16x5x4xf32>
  return %y : tensor<?x16x5x4xf32>
}

// Not for other kernels (3x3 stride 2) nor grouped 1x1 convolutions.
// CHECK-LABEL: func @conv3x3_stride2_not_subsampled
// CHECK-NOT: tensor.extract_slice
// CHECK: linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
// CHECK-NOT: tensor.extract_slice
// CHECK: linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
// CHECK: return
func.func @conv3x3_stride2_not_subsampled(%x: tensor<1x8x9x41xf32>, %w: tensor<4x8x3x3xf32>, %w1: tensor<4x4x1x1xf32>) -> (tensor<1x4x4x20xf32>, tensor<1x4x5x21xf32>) {
  %y = nn.conv %x, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x8x9x41xf32>, tensor<4x8x3x3xf32>) -> tensor<1x4x4x20xf32>
  %z = nn.conv %x, %w1 {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x8x9x41xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x5x21xf32>
  return %y, %z : tensor<1x4x4x20xf32>, tensor<1x4x5x21xf32>
}

// Depthwise convolution (groups == channels, multiplier 1) uses the
// depthwise named op.
// CHECK-LABEL: func @depthwise
// CHECK: tensor.collapse_shape %arg1 {{\[\[}}0, 1], [2], [3]] : tensor<8x1x3x3xf32> into tensor<8x3x3xf32>
// CHECK: linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
func.func @depthwise(%x: tensor<1x8x9x9xf32>, %w: tensor<8x1x3x3xf32>) -> tensor<1x8x4x4xf32> {
  %y = nn.conv %x, %w {dilations = array<i64: 1, 1>, groups = 8 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x8x9x9xf32>, tensor<8x1x3x3xf32>) -> tensor<1x8x4x4xf32>
  return %y : tensor<1x8x4x4xf32>
}

// Grouped (non-depthwise) convolution goes through the grouped named op.
// CHECK-LABEL: func @grouped
// CHECK-NOT: depthwise
// CHECK: linalg.conv_2d_ngchw_gfchw
func.func @grouped(%x: tensor<1x4x5x5xf32>, %w: tensor<6x2x3x3xf32>) -> tensor<1x6x3x3xf32> {
  %y = nn.conv %x, %w {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x5x5xf32>, tensor<6x2x3x3xf32>) -> tensor<1x6x3x3xf32>
  return %y : tensor<1x6x3x3xf32>
}

// 3-D grouped convolution: one generic over (n, g, f, od, oh, ow, c, kd,
// kh, kw) into [N, G, F/G, ...], collapsed to [N, F, ...].
// CHECK-LABEL: func @conv3d_groups
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "reduction"]
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: tensor.collapse_shape {{.*}} {{\[}}[0], [1, 2], [3], [4], [5]] : tensor<1x2x2x2x2x2xf32> into tensor<1x4x2x2x2xf32>
func.func @conv3d_groups(%x: tensor<1x4x3x3x3xf32>, %w: tensor<4x2x2x2x2xf32>) -> tensor<1x4x2x2x2xf32> {
  %y = nn.conv %x, %w {dilations = array<i64: 1, 1, 1>, groups = 2 : i64, pads = array<i64: 0, 0, 0, 0, 0, 0>, strides = array<i64: 1, 1, 1>} : (tensor<1x4x3x3x3xf32>, tensor<4x2x2x2x2xf32>) -> tensor<1x4x2x2x2xf32>
  return %y : tensor<1x4x2x2x2xf32>
}

// Transposed convolution with a static batch and a filter known only at
// run time: the input is scattered into the stride-dilated buffer with a static-size insert_slice (the batch size
// is an attribute, not a dim value, so the slice type matches).
// CHECK-LABEL: func @conv_transpose_static
// CHECK: tensor.insert_slice %arg0 into %{{.*}}[0, 0, 0, 0] [1, 1, 3, 3] [1, 1, 2, 2] : tensor<1x1x3x3xf32> into tensor<1x1x5x5xf32>
// CHECK: linalg.conv_2d_nchw_fchw
func.func @conv_transpose_static(%x: tensor<1x1x3x3xf32>, %w: tensor<1x2x3x3xf32>) -> tensor<1x2x7x7xf32> {
  %y = nn.conv_transpose %x, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x1x3x3xf32>, tensor<1x2x3x3xf32>) -> tensor<1x2x7x7xf32>
  return %y : tensor<1x2x7x7xf32>
}

// A constant filter and static spatial dims: the sub-pixel decomposition.
// Stride 2, kernel 3, no padding, 3x3 -> 7x7: per dim, the even outputs
// take taps 2 and 0 (T = 2, the input padded by 1 on both sides), the odd
// ones tap 1 (T = 1, the input as it is); each phase is a stride-1
// convolution with its taps flipped ([F, C, Ty, Tx]), inserted into the
// output with strides 2.  W[0, f, ky, kx] = 9 f + 3 ky + kx: the odd/odd
// phase's filter is W[0, f, 1, 1] = (4, 13).
// CHECK-LABEL: func @conv_transpose_subpixel
// CHECK-NOT: linalg.index
// CHECK: tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: arith.constant dense<{{\[}}[{{\[}}[8.000000e+00, 6.000000e+00], [2.000000e+00, 0.000000e+00]]], [{{\[}}[1.700000e+01, 1.500000e+01], [1.100000e+01, 9.000000e+00]]]]> : tensor<2x1x2x2xf32>
// CHECK: linalg.conv_2d_nchw_fchw {{.*}} -> tensor<1x2x4x4xf32>
// CHECK: tensor.insert_slice %{{.*}}[0, 0, 0, 0] [1, 2, 4, 4] [1, 1, 2, 2] : tensor<1x2x4x4xf32> into tensor<1x2x7x7xf32>
// CHECK: tensor.pad %arg0 low[0, 0, 1, 0] high[0, 0, 1, 0]
// CHECK: linalg.conv_2d_nchw_fchw {{.*}} -> tensor<1x2x4x3xf32>
// CHECK: tensor.insert_slice %{{.*}}[0, 0, 0, 1] [1, 2, 4, 3] [1, 1, 2, 2]
// CHECK: linalg.conv_2d_nchw_fchw {{.*}} -> tensor<1x2x3x4xf32>
// CHECK: tensor.insert_slice %{{.*}}[0, 0, 1, 0] [1, 2, 3, 4] [1, 1, 2, 2]
// CHECK: %[[W11:.*]] = arith.constant dense<{{\[}}[{{\[}}[4.000000e+00]]], [{{\[}}[1.300000e+01]]]]> : tensor<2x1x1x1xf32>
// CHECK: linalg.conv_2d_nchw_fchw {{.*}} ins(%arg0, %[[W11]] : tensor<1x1x3x3xf32>, tensor<2x1x1x1xf32>) {{.*}} -> tensor<1x2x3x3xf32>
// CHECK: tensor.insert_slice %{{.*}}[0, 0, 1, 1] [1, 2, 3, 3] [1, 1, 2, 2]
func.func @conv_transpose_subpixel(%x: tensor<1x1x3x3xf32>) -> tensor<1x2x7x7xf32> {
  %w = arith.constant dense<[[[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]], [[9.0, 10.0, 11.0], [12.0, 13.0, 14.0], [15.0, 16.0, 17.0]]]]> : tensor<1x2x3x3xf32>
  %y = nn.conv_transpose %x, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x1x3x3xf32>, tensor<1x2x3x3xf32>) -> tensor<1x2x7x7xf32>
  return %y : tensor<1x2x7x7xf32>
}

// Dilated: the stride-dilated input and one convolution, the constant
// filter flipped at compile time into a new constant (no linalg.index
// gather at run time).
// CHECK-LABEL: func @conv_transpose_dilated_constant
// CHECK-NOT: linalg.index
// CHECK: %[[WF:.*]] = arith.constant dense_resource<conv_transpose_filter> : tensor<2x1x3x3xf32>
// CHECK: linalg.conv_2d_nchw_fchw {dilations = dense<2> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%{{.*}}, %[[WF]] :
// CHECK-NOT: linalg.conv_2d_nchw_fchw
// CHECK: return
func.func @conv_transpose_dilated_constant(%x: tensor<1x1x3x3xf32>) -> tensor<1x2x9x9xf32> {
  %w = arith.constant dense<[[[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]], [[9.0, 10.0, 11.0], [12.0, 13.0, 14.0], [15.0, 16.0, 17.0]]]]> : tensor<1x2x3x3xf32>
  %y = nn.conv_transpose %x, %w {dilations = array<i64: 2, 2>, groups = 1 : i64, output_padding = array<i64: 0, 0>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x1x3x3xf32>, tensor<1x2x3x3xf32>) -> tensor<1x2x9x9xf32>
  return %y : tensor<1x2x9x9xf32>
}

// 3-D transposed convolution: stride-dilated input, padding by k - 1,
// flipped filter, then the generic N-d convolution.
// CHECK-LABEL: func @conv_transpose_3d
// CHECK: tensor.insert_slice %arg0 into %{{.*}}[0, 0, 0, 0, 0] [1, 1, 2, 2, 2] [1, 1, 2, 2, 2] : tensor<1x1x2x2x2xf32> into tensor<1x1x3x3x3xf32>
// CHECK: tensor.pad
// CHECK: arith.subi
// CHECK: tensor.extract %arg1
// CHECK: linalg.generic
// CHECK: arith.mulf
// CHECK: tensor.collapse_shape
func.func @conv_transpose_3d(%x: tensor<1x1x2x2x2xf32>, %w: tensor<1x2x2x2x2xf32>) -> tensor<1x2x4x4x4xf32> {
  %y = nn.conv_transpose %x, %w {dilations = array<i64: 1, 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0, 0>, pads = array<i64: 0, 0, 0, 0, 0, 0>, strides = array<i64: 2, 2, 2>} : (tensor<1x1x2x2x2xf32>, tensor<1x2x2x2x2xf32>) -> tensor<1x2x4x4x4xf32>
  return %y : tensor<1x2x4x4x4xf32>
}

// Average pooling whose windows see different numbers of real elements
// divides by a per-position constant (count_include_pad = false).
// CHECK-LABEL: func @avgpool_pad
// CHECK: linalg.pooling_nchw_sum
// CHECK: arith.constant dense<{{\[\[\[\[}}4.000000e+00, 6.000000e+00, 4.000000e+00]
// CHECK: arith.divf
func.func @avgpool_pad(%x: tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32> {
  %y = nn.pool avg %x {count_include_pad = false, dilations = array<i64: 1, 1>, explicit_pads = array<i64: 1, 1, 1, 1>, kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : tensor<1x1x3x3xf32> -> tensor<1x1x3x3xf32>
  return %y : tensor<1x1x3x3xf32>
}

// 3-D max pooling: one generic over (n, c, od, oh, ow, kd, kh, kw) with
// strided + dilated input indexing and a maximumf reduction.
// CHECK-LABEL: func @maxpool3d
// CHECK: linalg.generic {indexing_maps = [#[[XMAP]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
// CHECK: arith.maximumf
func.func @maxpool3d(%x: tensor<1x1x4x4x4xf32>) -> tensor<1x1x2x2x2xf32> {
  %y = nn.pool max %x {count_include_pad = false, dilations = array<i64: 1, 1, 1>, explicit_pads = array<i64: 0, 0, 0, 0, 0, 0>, kernel = array<i64: 2, 2, 2>, pads = array<i64: 0, 0, 0, 0, 0, 0>, strides = array<i64: 2, 2, 2>} : tensor<1x1x4x4x4xf32> -> tensor<1x1x2x2x2xf32>
  return %y : tensor<1x1x2x2x2xf32>
}

// 3-D average pooling with padding: sum, then a division by a per-position
// divisor constant (count_include_pad = false counts only input elements).
// CHECK-LABEL: func @avgpool3d_pads
// CHECK: tensor.pad
// CHECK: linalg.generic
// CHECK: arith.addf
// CHECK: arith.constant dense<{{.*}}> : tensor<1x1x3x3x3xf32>
// CHECK: arith.divf
func.func @avgpool3d_pads(%x: tensor<1x1x4x4x4xf32>) -> tensor<1x1x3x3x3xf32> {
  %y = nn.pool avg %x {count_include_pad = false, dilations = array<i64: 1, 1, 1>, explicit_pads = array<i64: 1, 1, 1, 1, 1, 1>, kernel = array<i64: 2, 2, 2>, pads = array<i64: 1, 1, 1, 1, 1, 1>, strides = array<i64: 2, 2, 2>} : tensor<1x1x4x4x4xf32> -> tensor<1x1x3x3x3xf32>
  return %y : tensor<1x1x3x3x3xf32>
}

// MaxPool indices: a generic with two outputs (value, i64 index); strict
// greater-than keeps the first maximum.
// CHECK-LABEL: func @pool_indices
// CHECK: linalg.generic
// CHECK: arith.cmpf ogt
// CHECK: arith.index_cast {{.*}} : index to i64
// CHECK: linalg.yield {{.*}} : f32, i64
func.func @pool_indices(%x: tensor<1x1x5x5xf32>) -> tensor<1x1x2x2xi64> {
  %y = nn.pool_indices %x {dilations = array<i64: 1, 1>, kernel = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, storage_order = 1 : i64, strides = array<i64: 2, 2>} : tensor<1x1x5x5xf32> -> tensor<1x1x2x2xi64>
  return %y : tensor<1x1x2x2xi64>
}

// MaxUnpool: zero fill, then an scf.for over the input elements inserting
// each value at its delinearized index (skipped when outside the result).
// CHECK-LABEL: func @max_unpool
// CHECK: linalg.fill
// CHECK: scf.for {{.*}} iter_args
// CHECK: arith.remui
// CHECK: arith.divui
// CHECK: scf.if
// CHECK: tensor.insert
func.func @max_unpool(%x: tensor<1x1x2x2xf32>, %i: tensor<1x1x2x2xi64>) -> tensor<1x1x4x4xf32> {
  %y = nn.max_unpool %x, %i {spatial_dims = array<i64: 4, 4>} : (tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>) -> tensor<1x1x4x4xf32>
  return %y : tensor<1x1x4x4xf32>
}
