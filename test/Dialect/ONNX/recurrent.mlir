// RUN: kiln-opt --split-input-file --verify-diagnostics --onnx-shape-inference %s | FileCheck %s

// Shape inference of recurrent layers and control flow (lib/Dialect/ONNX/Recurrent.cpp).

// X is [seq 5, batch 2, input 3]; hidden_size 4 (R is [1, 4 * 4, 4]).
// CHECK-LABEL: func.func @lstm
// CHECK: "onnx.LSTM"{{.*}} -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>)
func.func @lstm(%x: tensor<5x2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>)
    -> (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>) {
  %n = onnx.NoValue
  %y, %h, %c = "onnx.LSTM"(%x, %w, %r, %n, %n, %n, %n, %n)
      : (tensor<5x2x3xf32>, tensor<1x16x3xf32>, tensor<1x16x4xf32>, none, none, none, none, none)
      -> (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>)
  return %y, %h, %c : tensor<*xf32>, tensor<*xf32>, tensor<*xf32>
}

// -----

// Branch results of different sizes join to `?`.
// CHECK-LABEL: func.func @if_join
// CHECK: "onnx.If"(%arg0)
// CHECK: }) : (tensor<i1>) -> tensor<2x?xf32>
func.func @if_join(%c: tensor<i1>, %a: tensor<2x3xf32>, %b: tensor<2x4xf32>) -> tensor<*xf32> {
  %0 = "onnx.If"(%c) ({
    onnx.Yield %a : tensor<2x3xf32>
  }, {
    onnx.Yield %b : tensor<2x4xf32>
  }) : (tensor<i1>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @direction(%x: tensor<5x2x3xf32>, %w: tensor<1x4x3xf32>, %r: tensor<1x4x4xf32>) -> tensor<*xf32> {
  %n = onnx.NoValue
  // expected-error @+1 {{unknown direction 'sideways'}}
  %y = "onnx.RNN"(%x, %w, %r, %n, %n, %n) {direction = "sideways"}
      : (tensor<5x2x3xf32>, tensor<1x4x3xf32>, tensor<1x4x4xf32>, none, none, none) -> tensor<*xf32>
  return %y : tensor<*xf32>
}

// -----

func.func @if_rank(%c: tensor<i1>, %a: tensor<2x3xf32>, %b: tensor<6xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{outputs #0 of the branches have incompatible types 'tensor<2x3xf32>' and 'tensor<6xf32>'}}
  %0 = "onnx.If"(%c) ({
    onnx.Yield %a : tensor<2x3xf32>
  }, {
    onnx.Yield %b : tensor<6xf32>
  }) : (tensor<i1>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}
