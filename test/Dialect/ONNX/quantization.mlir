// RUN: kiln-opt --split-input-file --verify-diagnostics --onnx-shape-inference %s | FileCheck %s

// Shape inference of quantization (lib/Dialect/ONNX/Quantization.cpp).

// CHECK-LABEL: func.func @quant
// CHECK: "onnx.QuantizeLinear"{{.*}} -> tensor<2x4xi8>
// CHECK: "onnx.DequantizeLinear"{{.*}} -> tensor<2x4xf32>
// CHECK: "onnx.MatMulInteger"{{.*}} -> tensor<2x3xi32>
func.func @quant(%x: tensor<2x4xf32>, %s: tensor<f32>, %z: tensor<i8>, %w: tensor<4x3xi8>)
    -> (tensor<*xi8>, tensor<*xf32>, tensor<*xi32>) {
  %n = onnx.NoValue
  %q = "onnx.QuantizeLinear"(%x, %s, %z) {output_dtype = 3 : i64}
      : (tensor<2x4xf32>, tensor<f32>, tensor<i8>) -> tensor<*xi8>
  %d = "onnx.DequantizeLinear"(%q, %s, %z) : (tensor<*xi8>, tensor<f32>, tensor<i8>) -> tensor<*xf32>
  %m = "onnx.MatMulInteger"(%q, %w, %n, %n) : (tensor<*xi8>, tensor<4x3xi8>, none, none) -> tensor<*xi32>
  return %q, %d, %m : tensor<*xi8>, tensor<*xf32>, tensor<*xi32>
}

// -----

func.func @float_input(%x: tensor<4xf32>, %s: tensor<f32>) -> tensor<*xf32> {
  %n = onnx.NoValue
  // expected-error @+1 {{only uint8 / int8 / int32 are supported}}
  %d = "onnx.DequantizeLinear"(%x, %s, %n) : (tensor<4xf32>, tensor<f32>, none) -> tensor<*xf32>
  return %d : tensor<*xf32>
}

// -----

func.func @per_axis(%x: tensor<2x4xf32>, %s: tensor<3xf32>) -> tensor<*xi8> {
  %n = onnx.NoValue
  // expected-error @+1 {{the scale has 3 entries but axis 1 has size 4}}
  %q = "onnx.QuantizeLinear"(%x, %s, %n) : (tensor<2x4xf32>, tensor<3xf32>, none) -> tensor<*xi8>
  return %q : tensor<*xi8>
}
