// RUN: kiln-opt --convert-onnx-to-nn --split-input-file --verify-diagnostics %s

func.func @pad_reflect(%x: tensor<4xf32>) -> tensor<6xf32> {
  %p = onnx.Constant {value = dense<[1, 1]> : tensor<2xi64>} : tensor<2xi64>
  %n = onnx.NoValue
  // expected-error @+1 {{pad mode 'reflect' is not supported yet}}
  %y = "onnx.Pad"(%x, %p, %n, %n) {mode = "reflect"} : (tensor<4xf32>, tensor<2xi64>, none, none) -> tensor<6xf32>
  return %y : tensor<6xf32>
}

