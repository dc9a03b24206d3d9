// RUN: kiln-opt --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(func.func(kiln-nn-quantize))' --mlir-pass-statistics %s 2>%t.stats | FileCheck %s
// RUN: FileCheck %s --check-prefix=STATS < %t.stats

// STATS: kiln-nn-quantize
// STATS-DAG: 3 quantized-layers
// STATS-DAG: 2 float-layers
// STATS-DAG: 4 unsupported
// STATS-DAG: 2 bf16-layers

// A calibrated conv: the input range [0, 6] (after a ReLU) gives scale
// 6/255 and zero point 0; the filter is quantized per output channel,
// symmetric: max |w| of each channel maps to 127 (0.5 -> 127, -0.25 ->
// -127, 0.125 -> round(0.125 / (0.5 / 127)) = round(31.75) = 32).  The
// bias and activation move to nn.qconv unchanged.
// CHECK-LABEL: func.func @conv
// CHECK-SAME: (%[[X:.*]]: tensor<?x1x4x4xf32>
// CHECK-DAG: %[[S:.*]] = arith.constant dense<0.0235294122> : tensor<1x1x1x1xf32>
// CHECK-DAG: %[[Z:.*]] = arith.constant dense<0> : tensor<1x1x1x1xi8>
// CHECK: %[[Q:.*]] = nn.quantize %[[X]], %[[S]], %[[Z]] {unsigned_result} : (tensor<?x1x4x4xf32>, tensor<1x1x1x1xf32>, tensor<1x1x1x1xi8>) -> tensor<?x1x4x4xi8>
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[\[\[}}127, 32]]], {{\[\[\[}}-127, 0]]]]> : tensor<2x1x1x2xi8>
// CHECK-DAG: %[[WS:.*]] = arith.constant dense<[0.00393700786, 0.00196850393]> : tensor<2xf32>
// CHECK: nn.qconv %[[Q]], %[[W]], %[[WS]] bias(%{{.*}} : tensor<2xf32>) act relu {dilations = array<i64: 1, 1>, groups = 1 : i64, input_scale = 0.0235294122 : f32, input_unsigned, input_zero_point = 0 : i64, pads = array<i64: 0, 0, 0, 1>, strides = array<i64: 1, 1>}
// CHECK-NOT: nn.conv
func.func @conv(%x: tensor<?x1x4x4xf32>) -> tensor<?x2x4x4xf32> {
  %w = arith.constant dense<[[[[0.5, 0.125]]], [[[-0.25, 0.0]]]]> : tensor<2x1x1x2xf32>
  %b = arith.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %c = nn.conv %x, %w, %b act relu {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 1>, strides = array<i64: 1, 1>, kiln.quant.input_range = array<f32: 0.0, 6.0>} : (tensor<?x1x4x4xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>) -> tensor<?x2x4x4xf32>
  return %c : tensor<?x2x4x4xf32>
}

// A matmul whose input spans [-1, 3]: scale 4/255, zero point
// round(1 / (4/255)) = round(63.75) = 64; one weight scale per column.
// CHECK-LABEL: func.func @matmul
// CHECK-DAG: arith.constant dense<64> : tensor<1x1x1xi8>
// CHECK: nn.quantize %arg0, %{{.*}}, %{{.*}} {unsigned_result} : (tensor<2x4x2xf32>, tensor<1x1x1xf32>, tensor<1x1x1xi8>) -> tensor<2x4x2xi8>
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[}}127, -127, 0], [-64, 64, 0]]> : tensor<2x3xi8>
// CHECK-DAG: arith.constant dense<[0.0157480314, 0.0314960629, 1.000000e+00]> : tensor<3xf32>
// CHECK: nn.qmatmul %{{.*}}, %[[W]], %{{.*}} {lhs_scale = 0.0156862754 : f32, lhs_unsigned, lhs_zero_point = 64 : i64} : tensor<2x4x2xi8>, tensor<2x3xi8>, tensor<3xf32> -> tensor<2x4x3xf32>
func.func @matmul(%x: tensor<2x4x2xf32>) -> tensor<2x4x3xf32> {
  %w = arith.constant dense<[[2.0, -4.0, 0.0], [-1.0, 2.0, 0.0]]> : tensor<2x3xf32>
  %r = nn.reshape %w : (tensor<2x3xf32>) -> tensor<1x2x3xf32>
  %y = nn.matmul %x, %r {kiln.quant.input_range = array<f32: -1.0, 3.0>} : tensor<2x4x2xf32>, tensor<1x2x3xf32> -> tensor<2x4x3xf32>
  return %y : tensor<2x4x3xf32>
}

// Marked fp32 (a mixed-precision choice), a filter that is not a constant,
// and a layer without a calibrated range all stay float.
// CHECK-LABEL: func.func @kept
// CHECK-NOT: nn.quantize
// CHECK-COUNT-3: nn.conv
// CHECK-NOT: nn.qconv
func.func @kept(%x: tensor<1x1x4x4xf32>, %v: tensor<1x1x1x1xf32>) -> (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>) {
  %w = arith.constant dense<0.5> : tensor<1x1x1x1xf32>
  %a = nn.conv %x, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, kiln.quant.input_range = array<f32: 0.0, 1.0>, kiln.quant.precision = "fp32"} : (tensor<1x1x4x4xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x4x4xf32>
  %b = nn.conv %x, %v {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, kiln.quant.input_range = array<f32: 0.0, 1.0>} : (tensor<1x1x4x4xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x4x4xf32>
  %c = nn.conv %x, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x4x4xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x4x4xf32>
  return %a, %b, %c : tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>
}

// A 2-D depthwise convolution reads its input as signed int8, the uint8
// zero point moved by -128 (range [0, 2]: zero point 0 -> -128; the
// qconv without input_unsigned); its filter is int8 per channel.
// CHECK-LABEL: func.func @depthwise
// CHECK-DAG: %[[ZP:.*]] = arith.constant dense<-128> : tensor<1x1x1x1xi8>
// CHECK: %[[Q:.*]] = nn.quantize %arg0, %{{.*}}, %[[ZP]] : (tensor<1x4x6x6xf32>, tensor<1x1x1x1xf32>, tensor<1x1x1x1xi8>) -> tensor<1x4x6x6xi8>
// CHECK-NOT: unsigned_result
// CHECK: nn.qconv %[[Q]], %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, groups = 4 : i64, input_scale = {{.*}} : f32, input_zero_point = -128 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : tensor<1x4x6x6xi8>, tensor<4x1x3x3xi8>, tensor<4xf32> -> tensor<1x4x3x3xf32>
// Not the int8 depthwise kernel's: grouped (2 channels per group), a row
// stride of 3, more than 64 taps: they stay float.
// CHECK-NOT: nn.quantize
// CHECK: nn.conv {{.*}} groups = 2
// CHECK: nn.conv {{.*}} strides = array<i64: 3, 3>
// CHECK: nn.conv {{.*}} tensor<4x1x9x9xf32>
// CHECK-NOT: nn.qconv
func.func @depthwise(%x: tensor<1x4x6x6xf32>) -> (tensor<1x4x3x3xf32>, tensor<1x4x6x6xf32>, tensor<1x4x2x2xf32>, tensor<1x4x6x6xf32>) {
  %w = arith.constant dense<0.5> : tensor<4x1x3x3xf32>
  %g = arith.constant dense<0.5> : tensor<4x2x3x3xf32>
  %k = arith.constant dense<0.5> : tensor<4x1x9x9xf32>
  %a = nn.conv %x, %w {dilations = array<i64: 1, 1>, groups = 4 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>, kiln.quant.input_range = array<f32: 0.0, 2.0>} : (tensor<1x4x6x6xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x3x3xf32>
  %b = nn.conv %x, %g {dilations = array<i64: 1, 1>, groups = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>, kiln.quant.input_range = array<f32: 0.0, 1.0>} : (tensor<1x4x6x6xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32>
  %c = nn.conv %x, %w {dilations = array<i64: 1, 1>, groups = 4 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 3, 3>, kiln.quant.input_range = array<f32: 0.0, 1.0>} : (tensor<1x4x6x6xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x2x2xf32>
  %d = nn.conv %x, %k {dilations = array<i64: 1, 1>, groups = 4 : i64, pads = array<i64: 4, 4, 4, 4>, strides = array<i64: 1, 1>, kiln.quant.input_range = array<f32: 0.0, 1.0>} : (tensor<1x4x6x6xf32>, tensor<4x1x9x9xf32>) -> tensor<1x4x6x6xf32>
  return %a, %b, %c, %d : tensor<1x4x3x3xf32>, tensor<1x4x6x6xf32>, tensor<1x4x2x2xf32>, tensor<1x4x6x6xf32>
}

// No bf16 depthwise kernel: a depthwise layer asked for bf16 stays f32
// (counted as a float layer).
// CHECK-LABEL: func.func @depthwise_bf16
// CHECK-NOT: nn.cast
// CHECK: nn.conv %arg0, %{{.*}} : (tensor<1x4x6x6xf32>, tensor<4x1x3x3xf32>)
func.func @depthwise_bf16(%x: tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> {
  %w = arith.constant dense<0.5> : tensor<4x1x3x3xf32>
  %a = nn.conv %x, %w {dilations = array<i64: 1, 1>, groups = 4 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>, kiln.quant.precision = "bf16"} : (tensor<1x4x6x6xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %a : tensor<1x4x6x6xf32>
}

// bf16 (no range needed): the input goes through nn.cast to bf16, the
// weights become a bf16 constant of the same shape (0.1 rounds to
// 0x3DCD; the blob is little-endian after its alignment word), and the layer keeps its f32 result, bias and activation.
// CHECK-LABEL: func.func @bf16
// CHECK-DAG: %[[WB:.*]] = arith.constant dense_resource<bf16_weights{{.*}}> : tensor<2x1x1x2xbf16>
// CHECK-DAG: %[[XB:.*]] = nn.cast %arg0 : tensor<1x1x4x4xf32> -> tensor<1x1x4x4xbf16>
// CHECK: nn.conv %[[XB]], %[[WB]], %{{.*}} act relu {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x4x4xbf16>, tensor<2x1x1x2xbf16>, tensor<2xf32>) -> tensor<1x2x4x3xf32>
// CHECK: %[[MB:.*]] = nn.cast %{{.*}} : tensor<2x4x2xf32> -> tensor<2x4x2xbf16>
// CHECK: nn.matmul %[[MB]], %{{.*}} : tensor<2x4x2xbf16>, tensor<1x2x3xbf16> -> tensor<2x4x3xf32>
// CHECK-NOT: kiln.quant
// CHECK: bf16_weights: "0x02000000CD3D003E80BE0000"
// CHECK: bf16_weights_1: "0x02000000004080C0000080BF00400000"
func.func @bf16(%x: tensor<1x1x4x4xf32>, %m: tensor<2x4x2xf32>) -> (tensor<1x2x4x3xf32>, tensor<2x4x3xf32>) {
  %w = arith.constant dense<[[[[0.1, 0.125]]], [[[-0.25, 0.0]]]]> : tensor<2x1x1x2xf32>
  %b = arith.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %c = nn.conv %x, %w, %b act relu {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, kiln.quant.precision = "bf16"} : (tensor<1x1x4x4xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>) -> tensor<1x2x4x3xf32>
  %w2 = arith.constant dense<[[2.0, -4.0, 0.0], [-1.0, 2.0, 0.0]]> : tensor<2x3xf32>
  %r = nn.reshape %w2 : (tensor<2x3xf32>) -> tensor<1x2x3xf32>
  %y = nn.matmul %m, %r {kiln.quant.precision = "bf16"} : tensor<2x4x2xf32>, tensor<1x2x3xf32> -> tensor<2x4x3xf32>
  return %c, %y : tensor<1x2x4x3xf32>, tensor<2x4x3xf32>
}

// -----

func.func @bad_range(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32> {
  %w = arith.constant dense<0.5> : tensor<1x1x1x1xf32>
  // expected-error @+1 {{int8 needs kiln.quant.input_range = array<f32: lo, hi> with lo <= hi}}
  %a = nn.conv %x, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, kiln.quant.input_range = array<f32: 2.0, 1.0>} : (tensor<1x1x4x4xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x4x4xf32>
  return %a : tensor<1x1x4x4xf32>
}

// -----

func.func @bad_precision(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32> {
  %w = arith.constant dense<0.5> : tensor<1x1x1x1xf32>
  // expected-error @+1 {{kiln.quant.precision must be "int8", "bf16", "int4" or "fp32" (got "int3")}}
  %a = nn.conv %x, %w {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, kiln.quant.input_range = array<f32: 0.0, 1.0>, kiln.quant.precision = "int3"} : (tensor<1x1x4x4xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x4x4xf32>
  return %a : tensor<1x1x4x4xf32>
}
