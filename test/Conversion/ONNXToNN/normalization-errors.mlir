// RUN: kiln-opt --convert-onnx-to-nn --split-input-file --verify-diagnostics %s

func.func @ln_stash(%x: tensor<2x3xf32>, %s: tensor<3xf32>) -> (tensor<2x3xf32>, tensor<2x1xf32>) {
  %n = onnx.NoValue
  // expected-error @+1 {{stash_type = 0 is not supported}}
  %y, %m = "onnx.LayerNormalization"(%x, %s, %n) {stash_type = 0 : i64} : (tensor<2x3xf32>, tensor<3xf32>, none) -> (tensor<2x3xf32>, tensor<2x1xf32>)
  return %y, %m : tensor<2x3xf32>, tensor<2x1xf32>
}

// -----

func.func @bn_running_inference(%x: tensor<2x3x4xf32>, %s: tensor<3xf32>) -> (tensor<2x3x4xf32>, tensor<3xf32>) {
  // expected-error @+1 {{the running_mean/running_var outputs need training_mode = 1}}
  %y, %rm = "onnx.BatchNormalization"(%x, %s, %s, %s, %s) : (tensor<2x3x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<2x3x4xf32>, tensor<3xf32>)
  return %y, %rm : tensor<2x3x4xf32>, tensor<3xf32>
}

// -----

func.func @lrn_dynamic(%x: tensor<?x5x3xf32>) -> tensor<?x5x3xf32> {
  // expected-error @+1 {{X of dynamic shape is not supported}}
  %y = "onnx.LRN"(%x) {size = 3 : i64} : (tensor<?x5x3xf32>) -> tensor<?x5x3xf32>
  return %y : tensor<?x5x3xf32>
}

// -----

func.func @group_norm_groups(%x: tensor<3x4x2xf32>, %s: tensor<4xf32>) -> tensor<3x4x2xf32> {
  // expected-error @+1 {{num_groups = 3 must divide the channel count 4}}
  %y = "onnx.GroupNormalization"(%x, %s, %s) {num_groups = 3 : i64} : (tensor<3x4x2xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<3x4x2xf32>
  return %y : tensor<3x4x2xf32>
}
