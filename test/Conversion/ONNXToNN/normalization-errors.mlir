// RUN: kiln-opt --convert-onnx-to-nn --split-input-file --verify-diagnostics %s

func.func @ln_stash(%x: tensor<2x3xf32>, %s: tensor<3xf32>) -> (tensor<2x3xf32>, tensor<2x1xf32>) {
  %n = onnx.NoValue
  // expected-error @+1 {{stash_type = 0 is not supported}}
  %y, %m = "onnx.LayerNormalization"(%x, %s, %n) {stash_type = 0 : i64} : (tensor<2x3xf32>, tensor<3xf32>, none) -> (tensor<2x3xf32>, tensor<2x1xf32>)
  return %y, %m : tensor<2x3xf32>, tensor<2x1xf32>
}
