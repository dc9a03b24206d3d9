// RUN: kiln-opt --split-input-file --onnx-shape-inference %s | FileCheck %s

// Reshape's -1 next to dynamic entries (dimOrigin in ShapeHelpers.cpp): the
// declared result types below are all dynamic; shape inference must refine
// them only where a dynamic entry is provably a dynamic dimension of the
// reshaped tensor.

// The channel shuffle of ShuffleNet as torch exports it: the target shape is
// [Shape(X)[0], -1, 4, 4] and the data is a transpose of a reshape of X.
// The dynamic entry is X's batch, which is also the data's batch (through
// the reshape's Shape(X)[0] entry and the transpose's perm[0] = 0), so the
// -1 is the static channel count 2*3 = 6.
// CHECK-LABEL: func.func @shuffle_channels
// CHECK: "onnx.Reshape"({{.*}}) {allowzero = 0 : i64} : (tensor<?x3x2x4x4xf32>, tensor<4xi64>) -> tensor<?x6x4x4xf32>
func.func @shuffle_channels(%x: tensor<?x6x4x4xf32>) -> tensor<?x?x?x?xf32> {
  %s = "onnx.Shape"(%x) : (tensor<?x6x4x4xf32>) -> tensor<4xi64>
  %i0 = onnx.Constant {value = dense<0> : tensor<i64>} : tensor<i64>
  %b = "onnx.Gather"(%s, %i0) {axis = 0 : i64} : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
  %ax = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %b1 = "onnx.Unsqueeze"(%b, %ax) : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %mid = onnx.Constant {value = dense<[2, 3, 4, 4]> : tensor<4xi64>} : tensor<4xi64>
  %shape1 = "onnx.Concat"(%b1, %mid) {axis = 0 : i64} : (tensor<1xi64>, tensor<4xi64>) -> tensor<5xi64>
  %r = "onnx.Reshape"(%x, %shape1) : (tensor<?x6x4x4xf32>, tensor<5xi64>) -> tensor<?x?x?x?x?xf32>
  %t = "onnx.Transpose"(%r) {perm = [0, 2, 1, 3, 4]} : (tensor<?x?x?x?x?xf32>) -> tensor<?x3x2x4x4xf32>
  %rest = onnx.Constant {value = dense<[-1, 4, 4]> : tensor<3xi64>} : tensor<3xi64>
  %shape2 = "onnx.Concat"(%b1, %rest) {axis = 0 : i64} : (tensor<1xi64>, tensor<3xi64>) -> tensor<4xi64>
  %y = "onnx.Reshape"(%t, %shape2) : (tensor<?x3x2x4x4xf32>, tensor<4xi64>) -> tensor<?x?x?x?xf32>
  return %y : tensor<?x?x?x?xf32>
}

// -----

// Negative: the dynamic entry is the batch of another input (%z), not
// provably the data's, so the -1 stays dynamic.
// CHECK-LABEL: func.func @other_batch
// CHECK: "onnx.Reshape"({{.*}}) {allowzero = 0 : i64} : (tensor<?x6x4x4xf32>, tensor<4xi64>) -> tensor<?x?x4x4xf32>
func.func @other_batch(%x: tensor<?x6x4x4xf32>, %z: tensor<?x6x4x4xf32>) -> tensor<?x?x?x?xf32> {
  %s = "onnx.Shape"(%z) : (tensor<?x6x4x4xf32>) -> tensor<4xi64>
  %i0 = onnx.Constant {value = dense<0> : tensor<i64>} : tensor<i64>
  %b = "onnx.Gather"(%s, %i0) {axis = 0 : i64} : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
  %ax = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %b1 = "onnx.Unsqueeze"(%b, %ax) : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %rest = onnx.Constant {value = dense<[-1, 4, 4]> : tensor<3xi64>} : tensor<3xi64>
  %shape = "onnx.Concat"(%b1, %rest) {axis = 0 : i64} : (tensor<1xi64>, tensor<3xi64>) -> tensor<4xi64>
  %y = "onnx.Reshape"(%x, %shape) : (tensor<?x6x4x4xf32>, tensor<4xi64>) -> tensor<?x?x?x?xf32>
  return %y : tensor<?x?x?x?xf32>
}

// -----

// Negative: the dynamic entry is the length of a slice of the data's batch
// (one row shorter at run time), not the batch itself: no static -1.
// CHECK-LABEL: func.func @sliced_batch
// CHECK: "onnx.Reshape"({{.*}}) {allowzero = 0 : i64} : (tensor<?x6xf32>, tensor<2xi64>) -> tensor<?x?xf32>
func.func @sliced_batch(%x: tensor<?x6xf32>) -> tensor<?x?xf32> {
  %one = onnx.Constant {value = dense<[1]> : tensor<1xi64>} : tensor<1xi64>
  %big = onnx.Constant {value = dense<[1000000]> : tensor<1xi64>} : tensor<1xi64>
  %zero = onnx.Constant {value = dense<[0]> : tensor<1xi64>} : tensor<1xi64>
  %n = onnx.NoValue
  %sl = "onnx.Slice"(%x, %one, %big, %zero, %n) : (tensor<?x6xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<?x6xf32>
  %s = "onnx.Shape"(%sl) : (tensor<?x6xf32>) -> tensor<2xi64>
  %i0 = onnx.Constant {value = dense<[0]> : tensor<1xi64>} : tensor<1xi64>
  %d = "onnx.Gather"(%s, %i0) {axis = 0 : i64} : (tensor<2xi64>, tensor<1xi64>) -> tensor<1xi64>
  %m1 = onnx.Constant {value = dense<[-1]> : tensor<1xi64>} : tensor<1xi64>
  %shape = "onnx.Concat"(%d, %m1) {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %y = "onnx.Reshape"(%x, %shape) : (tensor<?x6xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// The same shape built from the data's own batch: -1 is 6.
// CHECK-LABEL: func.func @own_batch
// CHECK: "onnx.Reshape"({{.*}}) {allowzero = 0 : i64} : (tensor<?x6xf32>, tensor<2xi64>) -> tensor<?x6xf32>
func.func @own_batch(%x: tensor<?x6xf32>) -> tensor<?x?xf32> {
  %s = "onnx.Shape"(%x) : (tensor<?x6xf32>) -> tensor<2xi64>
  %i0 = onnx.Constant {value = dense<[0]> : tensor<1xi64>} : tensor<1xi64>
  %d = "onnx.Gather"(%s, %i0) {axis = 0 : i64} : (tensor<2xi64>, tensor<1xi64>) -> tensor<1xi64>
  %m1 = onnx.Constant {value = dense<[-1]> : tensor<1xi64>} : tensor<1xi64>
  %shape = "onnx.Concat"(%d, %m1) {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %y = "onnx.Reshape"(%x, %shape) : (tensor<?x6xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}
