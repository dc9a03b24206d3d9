// RUN: kiln-opt --split-input-file --convert-onnx-to-nn %s | FileCheck %s

// Dropout in training mode with a constant ratio of 0 (torch's
// F.dropout(x, p=0.0), exported by Swin's attention) drops nothing: the
// output is the input and the mask is all true.
// CHECK-LABEL: func.func @train_ratio_zero
// CHECK-NOT: onnx.Dropout
// CHECK: %[[M:.*]] = nn.fill
// CHECK: return %arg0, %[[M]]
func.func @train_ratio_zero(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xi1>) {
  %r = onnx.Constant {value = dense<0.0> : tensor<f32>} : tensor<f32>
  %t = onnx.Constant {value = dense<true> : tensor<i1>} : tensor<i1>
  %y, %m = "onnx.Dropout"(%x, %r, %t) : (tensor<2x3xf32>, tensor<f32>, tensor<i1>) -> (tensor<2x3xf32>, tensor<2x3xi1>)
  return %y, %m : tensor<2x3xf32>, tensor<2x3xi1>
}

// -----

// A mask of run-time shape takes the data's shape.
// CHECK-LABEL: func.func @dynamic_mask
// CHECK: %[[S:.*]] = nn.shape_of %arg0
// CHECK: nn.fill %[[S]]
func.func @dynamic_mask(%x: tensor<?x3xf32>) -> (tensor<?x3xf32>, tensor<?x3xi1>) {
  %n = onnx.NoValue
  %y, %m = "onnx.Dropout"(%x, %n, %n) : (tensor<?x3xf32>, none, none) -> (tensor<?x3xf32>, tensor<?x3xi1>)
  return %y, %m : tensor<?x3xf32>, tensor<?x3xi1>
}
