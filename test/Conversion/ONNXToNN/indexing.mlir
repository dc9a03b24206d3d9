// RUN: kiln-opt --convert-onnx-to-nn %s | FileCheck %s

// Negative axis normalized.
// CHECK-LABEL: func @gather_elements
// CHECK: nn.gather_elements %arg0[%arg1] {axis = 0 : i64} : (tensor<3x3xf32>, tensor<2x3xi64>) -> tensor<2x3xf32>
func.func @gather_elements(%d: tensor<3x3xf32>, %i: tensor<2x3xi64>) -> tensor<2x3xf32> {
  %y = "onnx.GatherElements"(%d, %i) {axis = -2 : i64} : (tensor<3x3xf32>, tensor<2x3xi64>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// CHECK-LABEL: func @scatter_elements
// CHECK: nn.scatter_elements %arg0[%arg1], %arg2 {axis = 1 : i64, reduction = "max"}
func.func @scatter_elements(%d: tensor<1x5xf32>, %i: tensor<1x2xi64>, %u: tensor<1x2xf32>) -> tensor<1x5xf32> {
  %y = "onnx.ScatterElements"(%d, %i, %u) {axis = -1 : i64, reduction = "max"} : (tensor<1x5xf32>, tensor<1x2xi64>, tensor<1x2xf32>) -> tensor<1x5xf32>
  return %y : tensor<1x5xf32>
}

// CHECK-LABEL: func @gather_nd
// CHECK: nn.gather_nd %arg0[%arg1] {batch_dims = 1 : i64} : (tensor<2x2x2xi32>, tensor<2x1xi64>) -> tensor<2x2xi32>
func.func @gather_nd(%d: tensor<2x2x2xi32>, %i: tensor<2x1xi64>) -> tensor<2x2xi32> {
  %y = "onnx.GatherND"(%d, %i) {batch_dims = 1 : i64} : (tensor<2x2x2xi32>, tensor<2x1xi64>) -> tensor<2x2xi32>
  return %y : tensor<2x2xi32>
}

// CHECK-LABEL: func @scatter_nd
// CHECK: nn.scatter_nd %arg0[%arg1], %arg2 {reduction = "mul"}
func.func @scatter_nd(%d: tensor<4x4x4xf32>, %i: tensor<2x1xi64>, %u: tensor<2x4x4xf32>) -> tensor<4x4x4xf32> {
  %y = "onnx.ScatterND"(%d, %i, %u) {reduction = "mul"} : (tensor<4x4x4xf32>, tensor<2x1xi64>, tensor<2x4x4xf32>) -> tensor<4x4x4xf32>
  return %y : tensor<4x4x4xf32>
}

// CHECK-LABEL: func @one_hot
// CHECK: nn.one_hot %arg0, %arg1, %arg2 {axis = 1 : i64} : (tensor<2x2xf32>, tensor<f32>, tensor<2xf32>) -> tensor<2x?x2xf32>
func.func @one_hot(%i: tensor<2x2xf32>, %d: tensor<f32>, %v: tensor<2xf32>) -> tensor<2x?x2xf32> {
  %y = "onnx.OneHot"(%i, %d, %v) {axis = -2 : i64} : (tensor<2x2xf32>, tensor<f32>, tensor<2xf32>) -> tensor<2x?x2xf32>
  return %y : tensor<2x?x2xf32>
}

// CHECK-LABEL: func @compress_axis
// CHECK: nn.compress %arg0, %arg1 {axis = 0 : i64} : (tensor<3x2xf32>, tensor<3xi1>) -> tensor<?x2xf32>
func.func @compress_axis(%x: tensor<3x2xf32>, %c: tensor<3xi1>) -> tensor<?x2xf32> {
  %y = "onnx.Compress"(%x, %c) {axis = -2 : i64} : (tensor<3x2xf32>, tensor<3xi1>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// Without axis the input is flattened first.
// CHECK-LABEL: func @compress_flat
// CHECK: %[[F:.*]] = nn.reshape %arg0 : (tensor<3x2xf32>) -> tensor<6xf32>
// CHECK: nn.compress %[[F]], %arg1 {axis = 0 : i64} : (tensor<6xf32>, tensor<5xi1>) -> tensor<?xf32>
func.func @compress_flat(%x: tensor<3x2xf32>, %c: tensor<5xi1>) -> tensor<?xf32> {
  %y = "onnx.Compress"(%x, %c) : (tensor<3x2xf32>, tensor<5xi1>) -> tensor<?xf32>
  return %y : tensor<?xf32>
}

// CHECK-LABEL: func @reverse_sequence
// CHECK: nn.reverse_sequence %arg0, %arg1 {batch_axis = 0 : i64, time_axis = 1 : i64}
func.func @reverse_sequence(%x: tensor<4x4xf32>, %l: tensor<4xi64>) -> tensor<4x4xf32> {
  %y = "onnx.ReverseSequence"(%x, %l) {batch_axis = 0 : i64, time_axis = 1 : i64} : (tensor<4x4xf32>, tensor<4xi64>) -> tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}
