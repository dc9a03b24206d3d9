// RUN: kiln-opt --convert-onnx-to-nn --split-input-file --verify-diagnostics %s

func.func @reduce_runtime_axes_unknown_length(%x: tensor<3x2xf32>, %a: tensor<?xi64>) -> tensor<?xf32> {
  // expected-error @+1 {{axes known only at run time need a static length when keepdims = 0}}
  %y = "onnx.ReduceSum"(%x, %a) {keepdims = 0 : i64} : (tensor<3x2xf32>, tensor<?xi64>) -> tensor<?xf32>
  return %y : tensor<?xf32>
}

// -----

func.func @reduce_runtime_axes_lse(%x: tensor<3x2xf32>, %a: tensor<1xi64>) -> tensor<?x?xf32> {
  // expected-error @+1 {{axes known only at run time are not supported for ReduceLogSumExp}}
  %y = "onnx.ReduceLogSumExp"(%x, %a) : (tensor<3x2xf32>, tensor<1xi64>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}
