// RUN: kiln-opt --convert-nn-to-linalg %s | FileCheck %s

// Transposed convolution with a static batch: the input is scattered into
// the stride-dilated buffer with a static-size insert_slice (the batch size
// is an attribute, not a dim value, so the slice type matches).
// CHECK-LABEL: func @conv_transpose_static
// CHECK: tensor.insert_slice %arg0 into %{{.*}}[0, 0, 0, 0] [1, 1, 3, 3] [1, 1, 2, 2] : tensor<1x1x3x3xf32> into tensor<1x1x5x5xf32>
// CHECK: linalg.conv_2d_nchw_fchw
func.func @conv_transpose_static(%x: tensor<1x1x3x3xf32>, %w: tensor<1x2x3x3xf32>) -> tensor<1x2x7x7xf32> {
  %y = nn.conv_transpose %x, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x1x3x3xf32>, tensor<1x2x3x3xf32>) -> tensor<1x2x7x7xf32>
  return %y : tensor<1x2x7x7xf32>
}
