// RUN: kiln-opt --split-input-file --verify-diagnostics --onnx-shape-inference %s | FileCheck %s

// Shape inference of normalization and softmax (lib/Dialect/ONNX/Normalization.cpp).

// CHECK-LABEL: func.func @norms
// CHECK: "onnx.LayerNormalization"{{.*}} -> (tensor<2x3x4xf16>, tensor<2x1x1xf32>, tensor<2x1x1xf32>)
// CHECK: "onnx.BatchNormalization"{{.*}} -> tensor<2x3x4xf16>
// CHECK: "onnx.Softmax"{{.*}} -> tensor<2x3x4xf16>
func.func @norms(%x: tensor<2x3x4xf16>, %s: tensor<3x4xf16>, %c: tensor<3xf16>)
    -> (tensor<*xf16>, tensor<*xf32>, tensor<*xf32>, tensor<*xf16>, tensor<*xf16>) {
  %n = onnx.NoValue
  %y, %mean, %inv = "onnx.LayerNormalization"(%x, %s, %n) {axis = 1 : i64}
      : (tensor<2x3x4xf16>, tensor<3x4xf16>, none) -> (tensor<*xf16>, tensor<*xf32>, tensor<*xf32>)
  %b = "onnx.BatchNormalization"(%x, %c, %c, %c, %c)
      : (tensor<2x3x4xf16>, tensor<3xf16>, tensor<3xf16>, tensor<3xf16>, tensor<3xf16>) -> tensor<*xf16>
  %sm = "onnx.Softmax"(%x) : (tensor<2x3x4xf16>) -> tensor<*xf16>
  return %y, %mean, %inv, %b, %sm : tensor<*xf16>, tensor<*xf32>, tensor<*xf32>, tensor<*xf16>, tensor<*xf16>
}

// -----

func.func @groups(%x: tensor<1x6x4xf32>, %s: tensor<6xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{num_groups = 4 must divide the channel count 6}}
  %0 = "onnx.GroupNormalization"(%x, %s, %s) {num_groups = 4 : i64}
      : (tensor<1x6x4xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @layer_norm_axis(%x: tensor<2x3xf32>, %s: tensor<3xf32>) -> tensor<*xf32> {
  %n = onnx.NoValue
  // expected-error @+1 {{axis 2 out of range for rank 2}}
  %0 = "onnx.LayerNormalization"(%x, %s, %n) {axis = 2 : i64} : (tensor<2x3xf32>, tensor<3xf32>, none) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}
