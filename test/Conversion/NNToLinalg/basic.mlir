// RUN: kiln-opt --convert-nn-to-linalg %s | FileCheck %s

// CHECK-DAG: #[[BMAP:.*]] = affine_map<(d0, d1) -> (0, d1)>

// Convolution with bias: the bias initializes the output (no separate add);
// padding is a tensor.pad; a dynamic batch flows through tensor.dim.
// CHECK-LABEL: func @conv_bias
// CHECK: %[[P:.*]] = tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: %[[N:.*]] = tensor.dim %[[P]], %c0
// CHECK: %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x4x8x8xf32>
// CHECK: %[[INIT:.*]] = linalg.generic {{.*}} ins(%arg2 : tensor<4xf32>) outs(%[[E]] : tensor<?x4x8x8xf32>)
// CHECK: linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%[[P]], %arg1 : {{.*}}) outs(%[[INIT]] : tensor<?x4x8x8xf32>)
func.func @conv_bias(%x: tensor<?x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>) -> tensor<?x4x8x8xf32> {
  %y = nn.conv %x, %w, %b {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  return %y : tensor<?x4x8x8xf32>
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

// A matmul whose right operand has unit batch dims folds the batch into M
// (one linalg.matmul), a true batched one uses batch_matmul.
// CHECK-LABEL: func @matmul_fold_batch
// CHECK: tensor.collapse_shape %arg0 {{\[\[}}0, 1], [2]] : tensor<?x3x4xf32> into tensor<?x4xf32>
// CHECK: linalg.matmul
// CHECK-NOT: batch_matmul
// CHECK: tensor.expand_shape
func.func @matmul_fold_batch(%a: tensor<?x3x4xf32>, %b: tensor<1x4x5xf32>) -> tensor<?x3x5xf32> {
  %y = nn.matmul %a, %b : tensor<?x3x4xf32>, tensor<1x4x5xf32> -> tensor<?x3x5xf32>
  return %y : tensor<?x3x5xf32>
}
// CHECK-LABEL: func @matmul_batched
// CHECK: linalg.batch_matmul
func.func @matmul_batched(%a: tensor<2x3x4xf32>, %b: tensor<2x4x5xf32>) -> tensor<2x3x5xf32> {
  %y = nn.matmul %a, %b : tensor<2x3x4xf32>, tensor<2x4x5xf32> -> tensor<2x3x5xf32>
  return %y : tensor<2x3x5xf32>
}

// Broadcasting binary op: size-1 dims map to the constant 0.
// CHECK-LABEL: func @add_broadcast
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[BMAP]], #{{.*}}], iterator_types = ["parallel", "parallel"]}
// CHECK: arith.addf
func.func @add_broadcast(%a: tensor<?x3xf32>, %b: tensor<1x3xf32>) -> tensor<?x3xf32> {
  %y = nn.binary add %a, %b : tensor<?x3xf32>, tensor<1x3xf32> -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
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
