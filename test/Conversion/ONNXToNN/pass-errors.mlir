// RUN: kiln-opt --convert-onnx-to-nn --split-input-file --verify-diagnostics %s

// The pass needs ranked result types (run onnx shape inference first).
func.func @not_inferred(%x: tensor<2x3xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{result types were not inferred}}
  %y = "onnx.Relu"(%x) : (tensor<2x3xf32>) -> tensor<*xf32>
  return %y : tensor<*xf32>
}

// -----

// A conversion that fails reports once, naming the node, and stops the pass
// (its user was converted before it, users first).
func.func @stops_at_failure(%x: tensor<3xf32>) -> tensor<3xf32> {
  %r = "onnx.Relu"(%x) : (tensor<3xf32>) -> tensor<3xf32>
  // expected-error @+1 {{node '' (Celu): alpha = 0 is not allowed}}
  %y = "onnx.Celu"(%r) {alpha = 0.0 : f32} : (tensor<3xf32>) -> tensor<3xf32>
  %z = "onnx.Neg"(%y) : (tensor<3xf32>) -> tensor<3xf32>
  return %z : tensor<3xf32>
}
