// RUN: kiln-opt --convert-onnx-to-nn --split-input-file --verify-diagnostics %s

func.func @pad_runtime_axes(%x: tensor<4xf32>, %a: tensor<1xi64>) -> tensor<6xf32> {
  %p = onnx.Constant {value = dense<[1, 1]> : tensor<2xi64>} : tensor<2xi64>
  %n = onnx.NoValue
  // expected-error @+1 {{axes must be constant}}
  %y = "onnx.Pad"(%x, %p, %n, %a) {mode = "reflect"} : (tensor<4xf32>, tensor<2xi64>, none, tensor<1xi64>) -> tensor<6xf32>
  return %y : tensor<6xf32>
}

// -----

func.func @depth_to_space_mode(%x: tensor<1x4x2x2xf32>) -> tensor<1x1x4x4xf32> {
  // expected-error @+1 {{unknown mode 'XYZ'}}
  %y = "onnx.DepthToSpace"(%x) {blocksize = 2 : i64, mode = "XYZ"} : (tensor<1x4x2x2xf32>) -> tensor<1x1x4x4xf32>
  return %y : tensor<1x1x4x4xf32>
}

// -----

func.func @space_to_depth_indivisible(%x: tensor<1x1x3x4xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{spatial dim 3 not divisible by blocksize}}
  %y = "onnx.SpaceToDepth"(%x) {blocksize = 2 : i64} : (tensor<1x1x3x4xf32>) -> tensor<*xf32>
  return %y : tensor<*xf32>
}

// -----

func.func @tile_repeats_length(%x: tensor<2x3xf32>, %r: tensor<3xi64>) -> tensor<*xf32> {
  // expected-error @+1 {{repeats has 3 entries for input of rank 2}}
  %y = "onnx.Tile"(%x, %r) : (tensor<2x3xf32>, tensor<3xi64>) -> tensor<*xf32>
  return %y : tensor<*xf32>
}

// -----

func.func @trilu_rank(%x: tensor<5xf32>) -> tensor<5xf32> {
  %n = "onnx.NoValue"() : () -> none
  // expected-error @+1 {{input must have rank >= 2}}
  %y = "onnx.Trilu"(%x, %n) : (tensor<5xf32>, none) -> tensor<5xf32>
  return %y : tensor<5xf32>
}
