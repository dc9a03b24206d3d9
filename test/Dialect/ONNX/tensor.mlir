// RUN: kiln-opt --split-input-file --verify-diagnostics --onnx-shape-inference %s | FileCheck %s

// Shape inference of shape and data movement ops (lib/Dialect/ONNX/Tensor.cpp).

// CHECK-LABEL: func.func @movement
// CHECK: "onnx.Transpose"{{.*}} -> tensor<3x?x4xf32>
// CHECK: "onnx.Concat"{{.*}} -> tensor<?x6x4xf32>
// CHECK: "onnx.Slice"{{.*}} -> tensor<?x1x4xf32>
// CHECK: "onnx.Reshape"{{.*}} -> tensor<2x12xf32>
// CHECK: "onnx.Shape"{{.*}} -> tensor<3xi64>
// CHECK: "onnx.Split"{{.*}} -> (tensor<?x1x4xf32>, tensor<?x2x4xf32>)
func.func @movement(%x: tensor<?x3x4xf32>, %s: tensor<2x3x4xf32>)
    -> (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xi64>, tensor<*xf32>, tensor<*xf32>) {
  %n = onnx.NoValue
  %0 = "onnx.Transpose"(%x) {perm = [1, 0, 2]} : (tensor<?x3x4xf32>) -> tensor<*xf32>
  %1 = "onnx.Concat"(%x, %x) {axis = 1 : i64} : (tensor<?x3x4xf32>, tensor<?x3x4xf32>) -> tensor<*xf32>
  %start = onnx.Constant {value = dense<[1]> : tensor<1xi64>} : tensor<1xi64>
  %end = onnx.Constant {value = dense<[-1]> : tensor<1xi64>} : tensor<1xi64>
  %axis = onnx.Constant {value = dense<[1]> : tensor<1xi64>} : tensor<1xi64>
  %2 = "onnx.Slice"(%x, %start, %end, %axis, %n)
      : (tensor<?x3x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<*xf32>
  // [0, -1]: dim 0 is copied, the rest is 3 * 4.
  %shape = onnx.Constant {value = dense<[0, -1]> : tensor<2xi64>} : tensor<2xi64>
  %3 = "onnx.Reshape"(%s, %shape) : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<*xf32>
  %4 = "onnx.Shape"(%x) : (tensor<?x3x4xf32>) -> tensor<*xi64>
  %sizes = onnx.Constant {value = dense<[1, 2]> : tensor<2xi64>} : tensor<2xi64>
  %5, %6 = "onnx.Split"(%x, %sizes) {axis = 1 : i64} : (tensor<?x3x4xf32>, tensor<2xi64>) -> (tensor<*xf32>, tensor<*xf32>)
  return %0, %1, %2, %3, %4, %5, %6
      : tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xi64>, tensor<*xf32>, tensor<*xf32>
}

// -----

func.func @reshape_count(%x: tensor<2x3x4xf32>) -> tensor<*xf32> {
  %shape = onnx.Constant {value = dense<[5, 5]> : tensor<2xi64>} : tensor<2xi64>
  // expected-error @+1 {{cannot reshape 24 elements into 25}}
  %0 = "onnx.Reshape"(%x, %shape) : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @perm(%x: tensor<2x3xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{perm is not a permutation}}
  %0 = "onnx.Transpose"(%x) {perm = [0, 0]} : (tensor<2x3xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}
