// RUN: kiln-opt --convert-onnx-to-nn --split-input-file --verify-diagnostics %s

func.func @bool_reduction(%d: tensor<4xi1>, %i: tensor<2xi64>, %u: tensor<2xi1>) -> tensor<4xi1> {
  // expected-error @+1 {{reduction 'add' on bool data is not supported}}
  %y = "onnx.ScatterElements"(%d, %i, %u) {reduction = "add"} : (tensor<4xi1>, tensor<2xi64>, tensor<2xi1>) -> tensor<4xi1>
  return %y : tensor<4xi1>
}

// -----

func.func @unknown_reduction(%d: tensor<4x4xf32>, %i: tensor<2x1xi64>, %u: tensor<2x4xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{unknown reduction 'avg'}}
  %y = "onnx.ScatterND"(%d, %i, %u) {reduction = "avg"} : (tensor<4x4xf32>, tensor<2x1xi64>, tensor<2x4xf32>) -> tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}

// -----

func.func @gather_elements_rank(%d: tensor<3x3xf32>, %i: tensor<3xi64>) -> tensor<3xf32> {
  // expected-error @+1 {{indices must have the data's rank 2}}
  %y = "onnx.GatherElements"(%d, %i) : (tensor<3x3xf32>, tensor<3xi64>) -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

func.func @gather_nd_dynamic_k(%d: tensor<3x3xf32>, %i: tensor<2x?xi64>) -> tensor<*xf32> {
  // expected-error @+1 {{indices must have a static last dimension}}
  %y = "onnx.GatherND"(%d, %i) : (tensor<3x3xf32>, tensor<2x?xi64>) -> tensor<*xf32>
  return %y : tensor<*xf32>
}

// -----

func.func @compress_condition(%x: tensor<3x2xf32>, %c: tensor<3xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{condition must be a 1-D bool tensor}}
  %y = "onnx.Compress"(%x, %c) {axis = 0 : i64} : (tensor<3x2xf32>, tensor<3xf32>) -> tensor<*xf32>
  return %y : tensor<*xf32>
}

// -----

func.func @one_hot_values(%i: tensor<3xi64>, %d: tensor<i64>, %v: tensor<3xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{values must be a 1-D tensor of 2 elements}}
  %y = "onnx.OneHot"(%i, %d, %v) : (tensor<3xi64>, tensor<i64>, tensor<3xf32>) -> tensor<*xf32>
  return %y : tensor<*xf32>
}

// -----

func.func @reverse_sequence_axes(%x: tensor<4x4xf32>, %l: tensor<4xi64>) -> tensor<4x4xf32> {
  // expected-error @+1 {{batch_axis and time_axis must be 0 and 1 (in either order)}}
  %y = "onnx.ReverseSequence"(%x, %l) {batch_axis = 0 : i64, time_axis = 0 : i64} : (tensor<4x4xf32>, tensor<4xi64>) -> tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}
