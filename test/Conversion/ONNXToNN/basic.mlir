// RUN: kiln-opt --convert-onnx-to-nn %s | FileCheck %s

// Gemm with transB on a constant: the transpose is folded at compile time,
// bias becomes a broadcast add of rank-equalized operands.
// CHECK-LABEL: func @gemm
func.func @gemm(%x: tensor<?x3xf32>) -> tensor<?x2xf32> {
  %w = onnx.Constant {value = dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>} : tensor<2x3xf32>
  %b = onnx.Constant {value = dense<[0.5, -0.5]> : tensor<2xf32>} : tensor<2xf32>
  // CHECK-DAG: %[[WT:.*]] = arith.constant dense_resource<kiln_transposed> : tensor<3x2xf32>
  // CHECK-DAG: %[[B:.*]] = arith.constant dense<[5.000000e-01, -5.000000e-01]> : tensor<2xf32>
  // CHECK: %[[MM:.*]] = nn.matmul %arg0, %[[WT]] : tensor<?x3xf32>, tensor<3x2xf32> -> tensor<?x2xf32>
  // CHECK: %[[B2:.*]] = nn.reshape %[[B]] : (tensor<2xf32>) -> tensor<1x2xf32>
  // CHECK: nn.binary add %[[MM]], %[[B2]] : tensor<?x2xf32>, tensor<1x2xf32> -> tensor<?x2xf32>
  %y = "onnx.Gemm"(%x, %w, %b) {transB = 1 : i64} : (tensor<?x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// SAME_UPPER auto_pad is resolved into explicit pads.
// CHECK-LABEL: func @conv_same
// CHECK: nn.conv %arg0, %{{.*}} {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 1, 1>, strides = array<i64: 2, 2>}
func.func @conv_same(%x: tensor<1x1x5x5xf32>) -> tensor<1x1x3x3xf32> {
  %w = onnx.Constant {value = dense<1.0> : tensor<1x1x2x2xf32>} : tensor<1x1x2x2xf32>
  %n = onnx.NoValue
  %y = "onnx.Conv"(%x, %w, %n) {auto_pad = "SAME_UPPER", strides = [2, 2]} : (tensor<1x1x5x5xf32>, tensor<1x1x2x2xf32>, none) -> tensor<1x1x3x3xf32>
  return %y : tensor<1x1x3x3xf32>
}

// BatchNormalization with constant parameters folds into one scale and one
// shift (per channel, shaped [1, C, 1, 1]).
// CHECK-LABEL: func @batchnorm
// CHECK-DAG: %[[S:.*]] = arith.constant dense<{{\[\[\[\[}}2.000000e+00{{\]\]}}, {{\[\[}}5.000000e-01{{\]\]\]\]}}> : tensor<1x2x1x1xf32>
// CHECK-DAG: %[[T:.*]] = arith.constant dense<{{\[\[\[\[}}1.000000e+00{{\]\]}}, {{\[\[}}-1.000000e+00{{\]\]\]\]}}> : tensor<1x2x1x1xf32>
// CHECK: %[[M:.*]] = nn.binary mul %arg0, %[[S]]
// CHECK: nn.binary add %[[M]], %[[T]]
// CHECK-NOT: onnx.
func.func @batchnorm(%x: tensor<?x2x3x3xf32>) -> tensor<?x2x3x3xf32> {
  %scale = onnx.Constant {value = dense<[2.0, 1.0]> : tensor<2xf32>} : tensor<2xf32>
  %bias = onnx.Constant {value = dense<[1.0, -1.0]> : tensor<2xf32>} : tensor<2xf32>
  %mean = onnx.Constant {value = dense<[0.0, 0.0]> : tensor<2xf32>} : tensor<2xf32>
  %var = onnx.Constant {value = dense<[1.0, 4.0]> : tensor<2xf32>} : tensor<2xf32>
  %y = "onnx.BatchNormalization"(%x, %scale, %bias, %mean, %var) {epsilon = 0.0 : f32} : (tensor<?x2x3x3xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x2x3x3xf32>
  return %y : tensor<?x2x3x3xf32>
}

// MatMul with a lower-rank weight is rank-equalized with leading unit dims.
// CHECK-LABEL: func @matmul_broadcast
// CHECK: %[[W3:.*]] = nn.reshape %{{.*}} : (tensor<4x5xf32>) -> tensor<1x4x5xf32>
// CHECK: nn.matmul %arg0, %[[W3]] : tensor<?x3x4xf32>, tensor<1x4x5xf32> -> tensor<?x3x5xf32>
func.func @matmul_broadcast(%x: tensor<?x3x4xf32>) -> tensor<?x3x5xf32> {
  %w = onnx.Constant {value = dense<1.0> : tensor<4x5xf32>} : tensor<4x5xf32>
  %y = "onnx.MatMul"(%x, %w) : (tensor<?x3x4xf32>, tensor<4x5xf32>) -> tensor<?x3x5xf32>
  return %y : tensor<?x3x5xf32>
}

// Clip with constant bounds becomes nn.clamp; Identity and Dropout vanish.
// CHECK-LABEL: func @clip_identity
// CHECK: %[[C:.*]] = nn.clamp %arg0 {max = 6.000000e+00 : f64, min = 0.000000e+00 : f64}
// CHECK-NEXT: return %[[C]]
func.func @clip_identity(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %lo = onnx.Constant {value = dense<0.0> : tensor<f32>} : tensor<f32>
  %hi = onnx.Constant {value = dense<6.0> : tensor<f32>} : tensor<f32>
  %i = "onnx.Identity"(%x) : (tensor<2x2xf32>) -> tensor<2x2xf32>
  %n = onnx.NoValue
  %d = "onnx.Dropout"(%i, %n, %n) : (tensor<2x2xf32>, none, none) -> tensor<2x2xf32>
  %y = "onnx.Clip"(%d, %lo, %hi) : (tensor<2x2xf32>, tensor<f32>, tensor<f32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// Clip with run-time bounds must NOT become nn.clamp.
// CHECK-LABEL: func @clip_dynamic_bounds
// CHECK-NOT: nn.clamp
// CHECK: nn.binary max
// CHECK: nn.binary min
func.func @clip_dynamic_bounds(%x: tensor<2x2xf32>, %lo: tensor<f32>, %hi: tensor<f32>) -> tensor<2x2xf32> {
  %y = "onnx.Clip"(%x, %lo, %hi) : (tensor<2x2xf32>, tensor<f32>, tensor<f32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// MaxPool with ceil_mode: the extra window is expressed as extra end padding,
// the ONNX pads are kept separately (explicit_pads).
// CHECK-LABEL: func @maxpool_ceil
// CHECK: nn.pool max %arg0 {count_include_pad = false, dilations = array<i64: 1, 1>, explicit_pads = array<i64: 0, 0, 0, 0>, kernel = array<i64: 2, 2>, pads = array<i64: 0, 0, 1, 1>, strides = array<i64: 2, 2>}
func.func @maxpool_ceil(%x: tensor<1x1x5x5xf32>) -> tensor<1x1x3x3xf32> {
  %y = "onnx.MaxPool"(%x) {kernel_shape = [2, 2], strides = [2, 2], ceil_mode = 1 : i64} : (tensor<1x1x5x5xf32>) -> tensor<1x1x3x3xf32>
  return %y : tensor<1x1x3x3xf32>
}

// Reshape to a shape known only at run time: 0 copies the input dim and -1
// is inferred from the element count, both resolved with selects.
// CHECK-LABEL: func @reshape_runtime_shape
// CHECK-DAG: %[[M1:.*]] = arith.constant -1 : index
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0 : index
// CHECK: %[[E0:.*]] = tensor.extract %arg1
// CHECK: %[[I0:.*]] = arith.index_cast %[[E0]] : i64 to index
// CHECK: %[[Z0:.*]] = arith.cmpi eq, %[[I0]], %[[ZERO]] : index
// CHECK: %[[D0:.*]] = arith.select %[[Z0]], %{{.*}}, %[[I0]] : index
// CHECK: arith.cmpi eq, %[[D0]], %[[M1]] : index
// CHECK: arith.divui
// CHECK: nn.reshape %arg0, %{{.*}} : (tensor<2x3x4xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
func.func @reshape_runtime_shape(%x: tensor<2x3x4xf32>, %s: tensor<3xi64>) -> tensor<?x?x?xf32> {
  %0 = "onnx.Reshape"(%x, %s) {allowzero = 0 : i64} : (tensor<2x3x4xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  return %0 : tensor<?x?x?xf32>
}
