// RUN: kiln-opt --split-input-file --verify-diagnostics %s | FileCheck %s

// Shape computations of ONNX function bodies (LayerNormalization's
// expansion) fold at compile time: Size of a static tensor, Neg, Sub and
// ConstantOfShape of a known length give the values of the Reshape target,
// so the result types are static.

// CHECK-LABEL: func.func @reduced_shape
// CHECK: "onnx.Reshape"({{.*}}) {allowzero = 0 : i64} : (tensor<3x1xf32>, tensor<3xi64>) -> tensor<3x1x1xf32>
func.func @reduced_shape(%x: tensor<3x4x5xf32>, %m: tensor<3x1xf32>) -> tensor<3x1x1xf32> {
  %s = "onnx.Shape"(%x) : (tensor<3x4x5xf32>) -> tensor<3xi64>
  %rank = "onnx.Size"(%s) : (tensor<3xi64>) -> tensor<i64>
  %zero = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %axis = onnx.Constant {value = dense<-2> : tensor<1xi64>} : tensor<1xi64>
  %n = onnx.NoValue
  %prefix = "onnx.Slice"(%s, %zero, %axis, %n, %n) : (tensor<3xi64>, tensor<1xi64>, tensor<1xi64>, none, none) -> tensor<1xi64>
  %num = "onnx.Neg"(%axis) : (tensor<1xi64>) -> tensor<1xi64>
  %suffix = "onnx.ConstantOfShape"(%num) {value = dense<1> : tensor<1xi64>} : (tensor<1xi64>) -> tensor<2xi64>
  %shape = "onnx.Concat"(%prefix, %suffix) {axis = 0 : i64} : (tensor<1xi64>, tensor<2xi64>) -> tensor<3xi64>
  %y = "onnx.Reshape"(%m, %shape) : (tensor<3x1xf32>, tensor<3xi64>) -> tensor<3x1x1xf32>
  return %y : tensor<3x1x1xf32>
}

// -----

// Size(Shape(X)) is the rank even when dims of X are dynamic.
// CHECK-LABEL: func.func @rank_of_dynamic
// CHECK: "onnx.ConstantOfShape"({{.*}}) {value = dense<1> : tensor<1xi64>} : (tensor<1xi64>) -> tensor<2xi64>
func.func @rank_of_dynamic(%x: tensor<?x4xf32>) -> tensor<2xi64> {
  %s = "onnx.Shape"(%x) : (tensor<?x4xf32>) -> tensor<2xi64>
  %rank = "onnx.Size"(%s) : (tensor<2xi64>) -> tensor<i64>
  %one = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %r1 = "onnx.Mul"(%rank, %one) : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %y = "onnx.ConstantOfShape"(%r1) {value = dense<1> : tensor<1xi64>} : (tensor<1xi64>) -> tensor<2xi64>
  return %y : tensor<2xi64>
}

// -----

// The element count of a dynamically shaped tensor is a run-time value: the
// fill's length is unknown, and a Reshape to it has no static rank.
func.func @size_of_dynamic(%x: tensor<?x4xf32>, %m: tensor<3x1xf32>) -> tensor<?x?xf32> {
  %size = "onnx.Size"(%x) : (tensor<?x4xf32>) -> tensor<i64>
  %one = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %n1 = "onnx.Mul"(%size, %one) : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %fill = "onnx.ConstantOfShape"(%n1) {value = dense<1> : tensor<1xi64>} : (tensor<1xi64>) -> tensor<?xi64>
  // expected-error @+1 {{the length of 'shape' must be static}}
  %y = "onnx.Reshape"(%m, %fill) : (tensor<3x1xf32>, tensor<?xi64>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

