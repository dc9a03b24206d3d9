// RUN: kiln-opt --convert-onnx-to-nn --split-input-file --verify-diagnostics %s

func.func @loop_scan_dynamic(%m: tensor<i64>, %y0: tensor<?xf32>) -> tensor<?x?xf32> {
  %n = onnx.NoValue
  // expected-error @+1 {{scan output #0 has a run-time element shape, which is not supported}}
  %r:2 = "onnx.Loop"(%m, %n, %y0) ({
  ^bb0(%i: tensor<i64>, %c: tensor<i1>, %y: tensor<?xf32>):
    onnx.Yield %c, %y, %y : tensor<i1>, tensor<?xf32>, tensor<?xf32>
  }) : (tensor<i64>, none, tensor<?xf32>) -> (tensor<?xf32>, tensor<?x?xf32>)
  return %r#1 : tensor<?x?xf32>
}

// -----

func.func @if_mismatch(%c: tensor<i1>, %a: tensor<3xf32>, %b: tensor<3xi64>) -> tensor<3xf32> {
  // expected-error @+1 {{outputs #0 of the branches have incompatible types 'tensor<3xf32>' and 'tensor<3xi64>'}}
  %r = "onnx.If"(%c) ({
    onnx.Yield %a : tensor<3xf32>
  }, {
    onnx.Yield %b : tensor<3xi64>
  }) : (tensor<i1>) -> tensor<3xf32>
  return %r : tensor<3xf32>
}
