// RUN: kiln-opt --split-input-file --verify-diagnostics --onnx-shape-inference %s | FileCheck %s

// Shape inference of signal and vision ops (lib/Dialect/ONNX/SignalVision.cpp).

// CHECK-LABEL: func.func @signal_vision
// CHECK: "onnx.Resize"{{.*}} -> tensor<1x3x8x12xf32>
// CHECK: "onnx.HannWindow"{{.*}} -> tensor<10xf32>
// CHECK: "onnx.DFT"{{.*}} -> tensor<1x5x2xf32>
// CHECK: "onnx.GridSample"{{.*}} -> tensor<1x3x5x7xf32>
func.func @signal_vision(%x: tensor<1x3x4x4xf32>, %sig: tensor<1x8x1xf32>, %grid: tensor<1x5x7x2xf32>)
    -> (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>) {
  %n = onnx.NoValue
  %scales = onnx.Constant {value = dense<[1.0, 1.0, 2.0, 3.0]> : tensor<4xf32>} : tensor<4xf32>
  %0 = "onnx.Resize"(%x, %n, %scales, %n) : (tensor<1x3x4x4xf32>, none, tensor<4xf32>, none) -> tensor<*xf32>
  %size = onnx.Constant {value = dense<10> : tensor<i64>} : tensor<i64>
  %1 = "onnx.HannWindow"(%size) : (tensor<i64>) -> tensor<*xf32>
  // A onesided DFT of 8 real samples has 8 / 2 + 1 = 5 complex bins.
  %2 = "onnx.DFT"(%sig, %n, %n) {onesided = 1 : i64} : (tensor<1x8x1xf32>, none, none) -> tensor<*xf32>
  %3 = "onnx.GridSample"(%x, %grid) : (tensor<1x3x4x4xf32>, tensor<1x5x7x2xf32>) -> tensor<*xf32>
  return %0, %1, %2, %3 : tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>
}

// -----

func.func @resize_mode(%x: tensor<1x3x4x4xf32>) -> tensor<*xf32> {
  %n = onnx.NoValue
  %scales = onnx.Constant {value = dense<[1.0, 1.0, 2.0, 2.0]> : tensor<4xf32>} : tensor<4xf32>
  // expected-error @+1 {{unknown mode 'area'}}
  %0 = "onnx.Resize"(%x, %n, %scales, %n) {mode = "area"} : (tensor<1x3x4x4xf32>, none, tensor<4xf32>, none) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @resize_scales(%x: tensor<1x3x4x4xf32>) -> tensor<*xf32> {
  %n = onnx.NoValue
  %scales = onnx.Constant {value = dense<[1.0, 2.0]> : tensor<2xf32>} : tensor<2xf32>
  // expected-error @+1 {{scales has 2 entries for an input of rank 4}}
  %0 = "onnx.Resize"(%x, %n, %scales, %n) : (tensor<1x3x4x4xf32>, none, tensor<2xf32>, none) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}
