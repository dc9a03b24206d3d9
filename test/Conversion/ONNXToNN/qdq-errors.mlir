// RUN: not kiln-opt --convert-onnx-to-nn %s 2>&1 | FileCheck %s

// A QDQ Conv whose geometry no lowering takes (4 spatial dims): the QDQ
// pattern leaves it to the float lowering without a diagnostic, and the
// float lowering reports it, once.  (--verify-diagnostics would not tell
// one error from two identical ones, so the errors are counted here.)
// CHECK: error: node {{.*}}(Conv): convolutions with more than 3 spatial dims are not supported
// CHECK-NOT: more than 3 spatial dims
func.func @qdq_conv_4d(%xq: tensor<1x1x2x2x2x2xi8>) -> tensor<1x1x2x2x2x2xf32> {
  %n = onnx.NoValue
  %s = onnx.Constant {value = dense<0.5> : tensor<f32>} : tensor<f32>
  %x = "onnx.DequantizeLinear"(%xq, %s, %n) {input_dtypes = [3, 1]} : (tensor<1x1x2x2x2x2xi8>, tensor<f32>, none) -> tensor<1x1x2x2x2x2xf32>
  %wq = onnx.Constant {value = dense<1> : tensor<1x1x1x1x1x1xi8>} : tensor<1x1x1x1x1x1xi8>
  %w = "onnx.DequantizeLinear"(%wq, %s, %n) {input_dtypes = [3, 1]} : (tensor<1x1x1x1x1x1xi8>, tensor<f32>, none) -> tensor<1x1x1x1x1x1xf32>
  %y = "onnx.Conv"(%x, %w, %n) : (tensor<1x1x2x2x2x2xf32>, tensor<1x1x1x1x1x1xf32>, none) -> tensor<1x1x2x2x2x2xf32>
  return %y : tensor<1x1x2x2x2x2xf32>
}
