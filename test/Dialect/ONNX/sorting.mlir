// RUN: kiln-opt --split-input-file --verify-diagnostics --onnx-shape-inference %s | FileCheck %s

// Shape inference of sorting and selection (lib/Dialect/ONNX/Sorting.cpp).

// CHECK-LABEL: func.func @select
// CHECK: "onnx.TopK"{{.*}} -> (tensor<3x4xf32>, tensor<3x4xi64>)
// CHECK: "onnx.NonZero"{{.*}} -> tensor<2x?xi64>
// CHECK: "onnx.CumSum"{{.*}} -> tensor<3x10xf32>
func.func @select(%x: tensor<3x10xf32>) -> (tensor<*xf32>, tensor<*xi64>, tensor<*xi64>, tensor<*xf32>) {
  %k = onnx.Constant {value = dense<[4]> : tensor<1xi64>} : tensor<1xi64>
  %v, %i = "onnx.TopK"(%x, %k) : (tensor<3x10xf32>, tensor<1xi64>) -> (tensor<*xf32>, tensor<*xi64>)
  %nz = "onnx.NonZero"(%x) : (tensor<3x10xf32>) -> tensor<*xi64>
  %axis = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
  %cs = "onnx.CumSum"(%x, %axis) : (tensor<3x10xf32>, tensor<i64>) -> tensor<*xf32>
  return %v, %i, %nz, %cs : tensor<*xf32>, tensor<*xi64>, tensor<*xi64>, tensor<*xf32>
}

// -----

func.func @k_too_large(%x: tensor<3x10xf32>) -> (tensor<*xf32>, tensor<*xi64>) {
  %k = onnx.Constant {value = dense<[20]> : tensor<1xi64>} : tensor<1xi64>
  // expected-error @+1 {{K = 20 is out of range for an axis of size 10}}
  %v, %i = "onnx.TopK"(%x, %k) : (tensor<3x10xf32>, tensor<1xi64>) -> (tensor<*xf32>, tensor<*xi64>)
  return %v, %i : tensor<*xf32>, tensor<*xi64>
}
