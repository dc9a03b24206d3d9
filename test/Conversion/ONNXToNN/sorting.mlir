// RUN: kiln-opt --convert-onnx-to-nn %s | FileCheck %s

// Negative axes are normalized; keepdims and select_last_index become attributes.
// CHECK-LABEL: func @argmax
// CHECK: nn.arg_reduce %arg0 {axis = 1 : i64, is_max = true, keepdims = true, select_last = true} : tensor<2x3x4xf32> -> tensor<2x1x4xi64>
func.func @argmax(%x: tensor<2x3x4xf32>) -> tensor<2x1x4xi64> {
  %y = "onnx.ArgMax"(%x) {axis = -2 : i64, keepdims = 1 : i64, select_last_index = 1 : i64} : (tensor<2x3x4xf32>) -> tensor<2x1x4xi64>
  return %y : tensor<2x1x4xi64>
}

// CHECK-LABEL: func @argmin
// CHECK: nn.arg_reduce %arg0 {axis = 0 : i64, is_max = false, keepdims = false, select_last = false} : tensor<2x3x4xi32> -> tensor<3x4xi64>
func.func @argmin(%x: tensor<2x3x4xi32>) -> tensor<3x4xi64> {
  %y = "onnx.ArgMin"(%x) {keepdims = 0 : i64} : (tensor<2x3x4xi32>) -> tensor<3x4xi64>
  return %y : tensor<3x4xi64>
}

// CHECK-LABEL: func @hardmax
// CHECK: nn.hardmax %arg0 {axis = 1 : i64} : tensor<2x3xf32>
func.func @hardmax(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %y = "onnx.Hardmax"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// A constant axis becomes the attribute; a run-time one stays an operand.
// CHECK-LABEL: func @cumsum
// CHECK: nn.cumsum %arg0 {axis = 1 : i64, exclusive = true, reverse = false} : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: nn.cumsum %arg0 axis %arg1 {axis = 0 : i64, exclusive = false, reverse = true} : (tensor<2x3xf32>, tensor<i32>) -> tensor<2x3xf32>
func.func @cumsum(%x: tensor<2x3xf32>, %a: tensor<i32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %c = onnx.Constant {value = dense<-1> : tensor<i64>} : tensor<i64>
  %y = "onnx.CumSum"(%x, %c) {exclusive = 1 : i64} : (tensor<2x3xf32>, tensor<i64>) -> tensor<2x3xf32>
  %z = "onnx.CumSum"(%x, %a) {reverse = 1 : i64} : (tensor<2x3xf32>, tensor<i32>) -> tensor<2x3xf32>
  return %y, %z : tensor<2x3xf32>, tensor<2x3xf32>
}

// A run-time K gives a dynamic dim at the axis; a constant one a static dim.
// CHECK-LABEL: func @topk
// CHECK: nn.topk %arg0, %arg1 {axis = 1 : i64, largest = false} : (tensor<3x4xf32>, tensor<1xi64>) -> (tensor<3x?xf32>, tensor<3x?xi64>)
// CHECK: nn.topk %arg0, %{{.*}} {axis = 0 : i64, largest = true} : (tensor<3x4xf32>, tensor<1xi64>) -> (tensor<2x4xf32>, tensor<2x4xi64>)
func.func @topk(%x: tensor<3x4xf32>, %k: tensor<1xi64>) -> (tensor<3x?xf32>, tensor<3x?xi64>, tensor<2x4xi64>) {
  %v, %i = "onnx.TopK"(%x, %k) {axis = -1 : i64, largest = 0 : i64} : (tensor<3x4xf32>, tensor<1xi64>) -> (tensor<3x?xf32>, tensor<3x?xi64>)
  %k2 = onnx.Constant {value = dense<2> : tensor<1xi64>} : tensor<1xi64>
  %v2, %i2 = "onnx.TopK"(%x, %k2) {axis = 0 : i64} : (tensor<3x4xf32>, tensor<1xi64>) -> (tensor<2x4xf32>, tensor<2x4xi64>)
  return %v, %i, %i2 : tensor<3x?xf32>, tensor<3x?xi64>, tensor<2x4xi64>
}

// CHECK-LABEL: func @nonzero
// CHECK: nn.nonzero %arg0 : tensor<2x2xi1> -> tensor<2x?xi64>
func.func @nonzero(%x: tensor<2x2xi1>) -> tensor<2x?xi64> {
  %y = "onnx.NonZero"(%x) : (tensor<2x2xi1>) -> tensor<2x?xi64>
  return %y : tensor<2x?xi64>
}

// Unique along an axis: the axis moves to the front, the rest is flattened
// into rows, and the unique rows are reshaped and transposed back.
// CHECK-LABEL: func @unique_axis
// CHECK: %[[T:.*]] = nn.transpose %arg0 {perm = array<i64: 1, 0, 2>} : tensor<2x3x4xf32> -> tensor<3x2x4xf32>
// CHECK: %[[R:.*]] = nn.reshape %[[T]] : (tensor<3x2x4xf32>) -> tensor<3x8xf32>
// CHECK: %[[Y:.*]], %[[I:.*]], %[[V:.*]], %{{.*}} = nn.unique %[[R]] {sorted = false} : tensor<3x8xf32> -> tensor<?x8xf32>, tensor<?xi64>, tensor<3xi64>, tensor<?xi64>
// CHECK: %[[Y2:.*]] = nn.reshape %[[Y]] : (tensor<?x8xf32>) -> tensor<?x2x4xf32>
// CHECK: %[[Y3:.*]] = nn.transpose %[[Y2]] {perm = array<i64: 1, 0, 2>} : tensor<?x2x4xf32> -> tensor<2x?x4xf32>
// CHECK: return %[[Y3]], %[[I]], %[[V]]
func.func @unique_axis(%x: tensor<2x3x4xf32>) -> (tensor<2x?x4xf32>, tensor<?xi64>, tensor<3xi64>) {
  %y:3 = "onnx.Unique"(%x) {axis = 1 : i64, sorted = 0 : i64} : (tensor<2x3x4xf32>) -> (tensor<2x?x4xf32>, tensor<?xi64>, tensor<3xi64>)
  return %y#0, %y#1, %y#2 : tensor<2x?x4xf32>, tensor<?xi64>, tensor<3xi64>
}

// Without an axis the elements are the rows of an [n, 1] tensor.
// CHECK-LABEL: func @unique_flat
// CHECK: %[[R:.*]] = nn.reshape %arg0 : (tensor<2x3xi64>) -> tensor<6x1xi64>
// CHECK: nn.unique %[[R]] {sorted = true} : tensor<6x1xi64> -> tensor<?x1xi64>, tensor<?xi64>, tensor<6xi64>, tensor<?xi64>
// CHECK: nn.reshape %{{.*}} : (tensor<?x1xi64>) -> tensor<?xi64>
func.func @unique_flat(%x: tensor<2x3xi64>) -> tensor<?xi64> {
  %y = "onnx.Unique"(%x) : (tensor<2x3xi64>) -> tensor<?xi64>
  return %y : tensor<?xi64>
}

// Missing optional inputs become constants; no score threshold is an attribute.
// CHECK-LABEL: func @nms
// CHECK: %[[Z:.*]] = arith.constant dense<0.000000e+00> : tensor<1xf32>
// CHECK: nn.non_max_suppression %arg0, %arg1, %arg2, %{{.*}}, %{{.*}} {center_point_box = true, has_score_threshold = false} : (tensor<1x6x4xf32>, tensor<1x2x6xf32>, tensor<1xi64>, tensor<1xf32>, tensor<1xf32>) -> tensor<?x3xi64>
func.func @nms(%b: tensor<1x6x4xf32>, %s: tensor<1x2x6xf32>, %m: tensor<1xi64>) -> tensor<?x3xi64> {
  %n = onnx.NoValue
  %y = "onnx.NonMaxSuppression"(%b, %s, %m, %n, %n) {center_point_box = 1 : i64} : (tensor<1x6x4xf32>, tensor<1x2x6xf32>, tensor<1xi64>, none, none) -> tensor<?x3xi64>
  return %y : tensor<?x3xi64>
}
