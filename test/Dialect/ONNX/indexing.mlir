// RUN: kiln-opt --split-input-file --verify-diagnostics --onnx-shape-inference %s | FileCheck %s

// Shape inference of gather, scatter and friends (lib/Dialect/ONNX/Indexing.cpp).

// CHECK-LABEL: func.func @indexing
// CHECK: "onnx.Gather"{{.*}} -> tensor<2x3x4xf32>
// CHECK: "onnx.GatherND"{{.*}} -> tensor<2x4xf32>
// CHECK: "onnx.OneHot"{{.*}} -> tensor<2x3x5xf32>
// CHECK: "onnx.ScatterElements"{{.*}} -> tensor<5x4xf32>
func.func @indexing(%x: tensor<5x4xf32>, %i: tensor<2x3xi64>, %j: tensor<2x1xi64>, %u: tensor<2x3xf32>)
    -> (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>) {
  %0 = "onnx.Gather"(%x, %i) : (tensor<5x4xf32>, tensor<2x3xi64>) -> tensor<*xf32>
  // indices [2, 1]: two rows of 4.
  %1 = "onnx.GatherND"(%x, %j) : (tensor<5x4xf32>, tensor<2x1xi64>) -> tensor<*xf32>
  %depth = onnx.Constant {value = dense<5> : tensor<i64>} : tensor<i64>
  %values = onnx.Constant {value = dense<[0.0, 1.0]> : tensor<2xf32>} : tensor<2xf32>
  %2 = "onnx.OneHot"(%i, %depth, %values) : (tensor<2x3xi64>, tensor<i64>, tensor<2xf32>) -> tensor<*xf32>
  %3 = "onnx.ScatterElements"(%x, %i, %u) : (tensor<5x4xf32>, tensor<2x3xi64>, tensor<2x3xf32>) -> tensor<*xf32>
  return %0, %1, %2, %3 : tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>
}

// -----

func.func @constant_index(%x: tensor<5x4xf32>) -> tensor<*xf32> {
  %i = onnx.Constant {value = dense<[1, 7]> : tensor<2xi64>} : tensor<2xi64>
  // expected-error @+1 {{index 7 out of range for dimension of size 5}}
  %0 = "onnx.Gather"(%x, %i) : (tensor<5x4xf32>, tensor<2xi64>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @scatter_reduction(%x: tensor<5x4xf32>, %i: tensor<2x3xi64>, %u: tensor<2x3xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{unknown reduction 'avg'}}
  %0 = "onnx.ScatterElements"(%x, %i, %u) {reduction = "avg"}
      : (tensor<5x4xf32>, tensor<2x3xi64>, tensor<2x3xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}
