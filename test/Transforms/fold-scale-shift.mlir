// RUN: kiln-opt --kiln-nn-fold-scale-shift --mlir-pass-statistics %s 2>%t.stats | FileCheck %s
// RUN: FileCheck %s --check-prefix=STATS < %t.stats

// STATS: kiln-nn-fold-scale-shift
// STATS-DAG: 8 scales-folded
// STATS-DAG: 7 shifts-folded


// Inference BatchNorm after a conv: filter[f] *= s[f], bias = b * s + t.
// CHECK-LABEL: func.func @conv_bn
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[\[\[}}2.000000e+00]]], {{\[\[\[}}6.000000e+00]]]]> : tensor<2x1x1x1xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<[1.200000e+01, 2.300000e+01]> : tensor<2xf32>
// CHECK: %[[Y:.*]] = nn.conv %{{.*}}, %[[W]], %[[B]] {
// CHECK-NOT: nn.binary
// CHECK: return %[[Y]]
func.func @conv_bn(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = arith.constant dense<[[[[1.0]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>
  %b = arith.constant dense<1.0> : tensor<2xf32>
  %s = arith.constant dense<[[[[2.0]], [[3.0]]]]> : tensor<1x2x1x1xf32>
  %t = arith.constant dense<[[[[10.0]], [[20.0]]]]> : tensor<1x2x1x1xf32>
  %c = nn.conv %x, %w, %b {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %m = nn.binary mul %c, %s : tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32> -> tensor<1x2x4x4xf32>
  %a = nn.binary add %m, %t : tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32> -> tensor<1x2x4x4xf32>
  return %a : tensor<1x2x4x4xf32>
}

// div by a per-channel constant (a mul by its reciprocal) and sub: a bias is
// created.  The scale is a constant on the left of a mul here.  Dynamic batch.
// CHECK-LABEL: func.func @conv_div_sub_no_bias
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[\[\[}}5.000000e-01]]], {{\[\[\[}}4.000000e+00]]]]> : tensor<2x1x1x1xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<[-1.000000e+00, -3.000000e+00]> : tensor<2xf32>
// CHECK: %[[Y:.*]] = nn.conv %{{.*}}, %[[W]], %[[B]] {
// CHECK-NOT: nn.binary
// CHECK: return %[[Y]]
func.func @conv_div_sub_no_bias(%x: tensor<?x1x4x4xf32>) -> tensor<?x2x4x4xf32> {
  %w = arith.constant dense<[[[[1.0]]], [[[8.0]]]]> : tensor<2x1x1x1xf32>
  %d = arith.constant dense<[[[[2.0]], [[8.0]]]]> : tensor<1x2x1x1xf32>
  %h = arith.constant dense<0.5> : tensor<1x1x1x1xf32>
  %t = arith.constant dense<[[[[1.0]], [[3.0]]]]> : tensor<1x2x1x1xf32>
  %c = nn.conv %x, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<?x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<?x2x4x4xf32>
  %q = nn.binary div %c, %d : tensor<?x2x4x4xf32>, tensor<1x2x1x1xf32> -> tensor<?x2x4x4xf32>
  %m = nn.binary mul %h, %q : tensor<1x1x1x1xf32>, tensor<?x2x4x4xf32> -> tensor<?x2x4x4xf32>
  %m2 = nn.binary mul %m, %d : tensor<?x2x4x4xf32>, tensor<1x2x1x1xf32> -> tensor<?x2x4x4xf32>
  %a = nn.binary sub %m2, %t : tensor<?x2x4x4xf32>, tensor<1x2x1x1xf32> -> tensor<?x2x4x4xf32>
  return %a : tensor<?x2x4x4xf32>
}

// conv_transpose with groups = 2: filter [C = 2, F/groups = 2, 1, 1]; input
// channel c feeds output channels (c / 1) * 2 + f.
// CHECK-LABEL: func.func @conv_transpose_grouped
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[\[\[}}1.000000e+00]], {{\[\[}}2.000000e+00]]], {{\[\[\[}}3.000000e+00]], {{\[\[}}4.000000e+00]]]]> : tensor<2x2x1x1xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<5.000000e-01> : tensor<4xf32>
// CHECK: %[[Y:.*]] = nn.conv_transpose %{{.*}}, %[[W]], %[[B]] {
// CHECK-NOT: nn.binary
// CHECK: return %[[Y]]
func.func @conv_transpose_grouped(%x: tensor<1x2x3x3xf32>) -> tensor<1x4x3x3xf32> {
  %w = arith.constant dense<1.0> : tensor<2x2x1x1xf32>
  %s = arith.constant dense<[[[[1.0]], [[2.0]], [[3.0]], [[4.0]]]]> : tensor<1x4x1x1xf32>
  %t = arith.constant dense<0.5> : tensor<1x4x1x1xf32>
  %c = nn.conv_transpose %x, %w {dilations = array<i64: 1, 1>, groups = 2 : i64, output_padding = array<i64: 0, 0>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>) -> tensor<1x4x3x3xf32>
  %m = nn.binary mul %c, %s : tensor<1x4x3x3xf32>, tensor<1x4x1x1xf32> -> tensor<1x4x3x3xf32>
  %a = nn.binary add %t, %m : tensor<1x4x1x1xf32>, tensor<1x4x3x3xf32> -> tensor<1x4x3x3xf32>
  return %a : tensor<1x4x3x3xf32>
}

// matmul with a constant rhs [K, N]: column n *= s[n]; the shift becomes the
// bias operand.  The second matmul has a reshaped [1, K, N] rhs and bias.
// CHECK-LABEL: func.func @matmul_scale_shift
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[}}1.000000e+01, 2.000000e+02], [3.000000e+01, 4.000000e+02], [5.000000e+01, 6.000000e+02]]> : tensor<3x2xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK-DAG: %[[B3:.*]] = arith.constant dense<[1.000000e+01, 1.000000e+02]> : tensor<2xf32>
// CHECK: %[[Y:.*]] = nn.matmul %{{.*}}, %[[W]] bias(%[[B]] : tensor<2xf32>) :
// The scaled [1, K, N] weight is a [K, N] constant reshaped, as the importer
// builds it (it holds %W's values; the driver may share the two constants).
// CHECK: %[[W3:.*]] = nn.reshape %{{.*}} : (tensor<3x2xf32>) -> tensor<1x3x2xf32>
// CHECK: %[[Y3:.*]] = nn.matmul %{{.*}}, %[[W3]] bias(%[[B3]] : tensor<2xf32>) :
// CHECK-NOT: nn.binary
// CHECK: return %[[Y]], %[[Y3]]
func.func @matmul_scale_shift(%x: tensor<4x3xf32>, %x3: tensor<5x4x3xf32>) -> (tensor<4x2xf32>, tensor<5x4x2xf32>) {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>
  %s = arith.constant dense<[[10.0, 100.0]]> : tensor<1x2xf32>
  %t = arith.constant dense<[[1.0, 2.0]]> : tensor<1x2xf32>
  %m = nn.matmul %x, %w : tensor<4x3xf32>, tensor<3x2xf32> -> tensor<4x2xf32>
  %p = nn.binary mul %m, %s : tensor<4x2xf32>, tensor<1x2xf32> -> tensor<4x2xf32>
  %a = nn.binary add %p, %t : tensor<4x2xf32>, tensor<1x2xf32> -> tensor<4x2xf32>
  %w3 = nn.reshape %w : (tensor<3x2xf32>) -> tensor<1x3x2xf32>
  %b = arith.constant dense<1.0> : tensor<2xf32>
  %b3 = nn.reshape %b : (tensor<2xf32>) -> tensor<1x1x2xf32>
  %s3 = nn.reshape %s : (tensor<1x2xf32>) -> tensor<1x1x2xf32>
  %m3 = nn.matmul %x3, %w3 : tensor<5x4x3xf32>, tensor<1x3x2xf32> -> tensor<5x4x2xf32>
  %a3 = nn.binary add %m3, %b3 : tensor<5x4x2xf32>, tensor<1x1x2xf32> -> tensor<5x4x2xf32>
  %p3 = nn.binary mul %a3, %s3 : tensor<5x4x2xf32>, tensor<1x1x2xf32> -> tensor<5x4x2xf32>
  return %a, %p3 : tensor<4x2xf32>, tensor<5x4x2xf32>
}

// Negative: a scale that is not a constant.
// CHECK-LABEL: func.func @non_constant_scale
// CHECK: nn.conv
// CHECK: nn.binary mul
func.func @non_constant_scale(%x: tensor<1x2x4x4xf32>, %s: tensor<1x2x1x1xf32>) -> tensor<1x2x4x4xf32> {
  %w = arith.constant dense<1.0> : tensor<2x2x1x1xf32>
  %c = nn.conv %x, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %m = nn.binary mul %c, %s : tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32> -> tensor<1x2x4x4xf32>
  return %m : tensor<1x2x4x4xf32>
}

// Negative: a scale and a shift that vary along a spatial dim.
// CHECK-LABEL: func.func @spatial_scale
// CHECK: nn.conv
// CHECK: nn.binary mul
// CHECK: nn.binary add
func.func @spatial_scale(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = arith.constant dense<1.0> : tensor<2x2x1x1xf32>
  %s = arith.constant dense<[[[[1.0, 2.0, 3.0, 4.0]]]]> : tensor<1x1x1x4xf32>
  %c = nn.conv %x, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %m = nn.binary mul %c, %s : tensor<1x2x4x4xf32>, tensor<1x1x1x4xf32> -> tensor<1x2x4x4xf32>
  %a = nn.binary add %m, %s : tensor<1x2x4x4xf32>, tensor<1x1x1x4xf32> -> tensor<1x2x4x4xf32>
  return %a : tensor<1x2x4x4xf32>
}

// Negative: the conv result has a second user.
// CHECK-LABEL: func.func @two_users
// CHECK: %[[C:.*]] = nn.conv
// CHECK: nn.binary mul %[[C]]
// CHECK: return
func.func @two_users(%x: tensor<1x2x4x4xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %w = arith.constant dense<1.0> : tensor<2x2x1x1xf32>
  %s = arith.constant dense<2.0> : tensor<1x2x1x1xf32>
  %c = nn.conv %x, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %m = nn.binary mul %c, %s : tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32> -> tensor<1x2x4x4xf32>
  return %m, %c : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}

// Negative: a relu between the conv and the mul, and a conv whose epilogue
// already has an activation or a residual.
// CHECK-LABEL: func.func @nonlinear_between
// CHECK: nn.unary relu
// CHECK: nn.binary mul
// CHECK: nn.conv {{.*}} act relu
// CHECK: nn.binary mul
// CHECK: nn.conv {{.*}} residual
// CHECK: nn.binary add
func.func @nonlinear_between(%x: tensor<1x2x4x4xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %w = arith.constant dense<1.0> : tensor<2x2x1x1xf32>
  %s = arith.constant dense<2.0> : tensor<1x2x1x1xf32>
  %c = nn.conv %x, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %r = nn.unary relu %c : tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
  %m = nn.binary mul %r, %s : tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32> -> tensor<1x2x4x4xf32>
  %c2 = nn.conv %x, %w act relu {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %m2 = nn.binary mul %c2, %s : tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32> -> tensor<1x2x4x4xf32>
  %c3 = nn.conv %x, %w residual(%x : tensor<1x2x4x4xf32>) {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %a3 = nn.binary add %c3, %s : tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32> -> tensor<1x2x4x4xf32>
  return %m, %m2, %a3 : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}

// Negative: a matmul whose rhs is not a constant (the scale is refused; the
// shift needs no constant weights and still goes into the bias).
// CHECK-LABEL: func.func @matmul_runtime_rhs
// CHECK: %[[M:.*]] = nn.matmul %{{.*}}, %{{.*}} bias(
// CHECK: nn.binary mul %[[M]]
func.func @matmul_runtime_rhs(%x: tensor<4x3xf32>, %w: tensor<3x2xf32>) -> tensor<4x2xf32> {
  %s = arith.constant dense<[[10.0, 100.0]]> : tensor<1x2xf32>
  %m = nn.matmul %x, %w : tensor<4x3xf32>, tensor<3x2xf32> -> tensor<4x2xf32>
  %a = nn.binary add %m, %s : tensor<4x2xf32>, tensor<1x2xf32> -> tensor<4x2xf32>
  %p = nn.binary mul %a, %s : tensor<4x2xf32>, tensor<1x2xf32> -> tensor<4x2xf32>
  return %p : tensor<4x2xf32>
}

// Negative: division by zero, c - x (the constant on the left of a sub), a
// constant that broadcasts the conv result to a larger shape, and f16.
// CHECK-LABEL: func.func @refused_shapes_and_values
// CHECK: nn.binary div
// CHECK: nn.binary sub
// CHECK: nn.binary mul
// CHECK: nn.binary mul
func.func @refused_shapes_and_values(%x: tensor<1x2x4x4xf32>, %x1: tensor<1x2x1x1xf32>, %h: tensor<1x2x4x4xf16>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf16>) {
  %w = arith.constant dense<1.0> : tensor<2x2x1x1xf32>
  %z = arith.constant dense<[[[[0.0]], [[2.0]]]]> : tensor<1x2x1x1xf32>
  %c = nn.conv %x, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %d = nn.binary div %c, %z : tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32> -> tensor<1x2x4x4xf32>
  %c2 = nn.conv %x, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %s = nn.binary sub %z, %c2 : tensor<1x2x1x1xf32>, tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
  %big = arith.constant dense<2.0> : tensor<1x2x4x4xf32>
  %c3 = nn.conv %x1, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x1x1xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x1x1xf32>
  %m = nn.binary mul %c3, %big : tensor<1x2x1x1xf32>, tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
  %wh = arith.constant dense<1.0> : tensor<2x2x1x1xf16>
  %sh = arith.constant dense<2.0> : tensor<1x2x1x1xf16>
  %ch = nn.conv %h, %wh {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf16>, tensor<2x2x1x1xf16>) -> tensor<1x2x4x4xf16>
  %mh = nn.binary mul %ch, %sh : tensor<1x2x4x4xf16>, tensor<1x2x1x1xf16> -> tensor<1x2x4x4xf16>
  return %d, %s, %m, %mh : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf16>
}

// int8 nn.qconv (a QDQ model's conv and BatchNorm): the scale multiplies the
// per-channel weight scales, not the int8 weights; the shift goes into the
// bias: filter_scale' = [0.5 * 2, 0.25 * -4], bias' = [1 * 2 + 10, 1 * -4 + 20].
// CHECK-LABEL: func.func @qconv_bn
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[\[\[}}1]]], {{\[\[\[}}-3]]]]> : tensor<2x1x1x1xi8>
// CHECK-DAG: %[[S:.*]] = arith.constant dense<[1.000000e+00, -1.000000e+00]> : tensor<2xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<[1.200000e+01, 1.600000e+01]> : tensor<2xf32>
// CHECK: %[[Y:.*]] = nn.qconv %arg0, %[[W]], %[[S]] bias(%[[B]] : tensor<2xf32>)
// CHECK-NOT: nn.binary
// CHECK: return %[[Y]]
func.func @qconv_bn(%x: tensor<1x1x4x4xi8>) -> tensor<1x2x4x4xf32> {
  %w = arith.constant dense<[[[[1]]], [[[-3]]]]> : tensor<2x1x1x1xi8>
  %ws = arith.constant dense<[0.5, 0.25]> : tensor<2xf32>
  %b = arith.constant dense<1.0> : tensor<2xf32>
  %s = arith.constant dense<[[[[2.0]], [[-4.0]]]]> : tensor<1x2x1x1xf32>
  %t = arith.constant dense<[[[[10.0]], [[20.0]]]]> : tensor<1x2x1x1xf32>
  %c = nn.qconv %x, %w, %ws bias(%b : tensor<2xf32>) {dilations = array<i64: 1, 1>, groups = 1 : i64, input_scale = 1.0 : f32, input_zero_point = 0 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<1x1x4x4xi8>, tensor<2x1x1x1xi8>, tensor<2xf32> -> tensor<1x2x4x4xf32>
  %m = nn.binary mul %c, %s : tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32> -> tensor<1x2x4x4xf32>
  %a = nn.binary add %m, %t : tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32> -> tensor<1x2x4x4xf32>
  return %a : tensor<1x2x4x4xf32>
}

// An int8 nn.qmatmul with an activation already fused: the scale cannot
// move through the relu and stays.
// CHECK-LABEL: func.func @qmatmul_act_not_folded
// CHECK: %[[Y:.*]] = nn.qmatmul {{.*}} act relu
// CHECK: nn.binary mul %[[Y]]
func.func @qmatmul_act_not_folded(%x: tensor<3x2xi8>) -> tensor<3x2xf32> {
  %w = arith.constant dense<1> : tensor<2x2xi8>
  %ws = arith.constant dense<[0.5, 0.25]> : tensor<2xf32>
  %s = arith.constant dense<[[2.0, 3.0]]> : tensor<1x2xf32>
  %c = nn.qmatmul %x, %w, %ws act relu {lhs_scale = 1.0 : f32, lhs_zero_point = 0 : i64} : tensor<3x2xi8>, tensor<2x2xi8>, tensor<2xf32> -> tensor<3x2xf32>
  %m = nn.binary mul %c, %s : tensor<3x2xf32>, tensor<1x2xf32> -> tensor<3x2xf32>
  return %m : tensor<3x2xf32>
}
