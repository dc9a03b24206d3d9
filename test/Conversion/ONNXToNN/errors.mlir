// RUN: kiln-opt --convert-onnx-to-nn --split-input-file --verify-diagnostics %s

func.func @pad_runtime_axes(%x: tensor<4xf32>, %a: tensor<1xi64>) -> tensor<6xf32> {
  %p = onnx.Constant {value = dense<[1, 1]> : tensor<2xi64>} : tensor<2xi64>
  %n = onnx.NoValue
  // expected-error @+1 {{axes must be constant}}
  %y = "onnx.Pad"(%x, %p, %n, %a) {mode = "reflect"} : (tensor<4xf32>, tensor<2xi64>, none, tensor<1xi64>) -> tensor<6xf32>
  return %y : tensor<6xf32>
}
