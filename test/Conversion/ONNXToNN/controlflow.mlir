// RUN: kiln-opt --convert-onnx-to-nn %s | FileCheck %s

// If -> scf.if; the branch ops are converted in place.
// CHECK-LABEL: func @if_op
// CHECK: %[[C:.*]] = tensor.extract %arg0[] : tensor<i1>
// CHECK: scf.if %[[C]] -> (tensor<?xf32>)
// CHECK: nn.unary relu %arg1
// CHECK: tensor.cast {{.*}} : tensor<3xf32> to tensor<?xf32>
// CHECK: scf.yield
// CHECK: } else {
// CHECK: scf.yield {{.*}} : tensor<?xf32>
// CHECK-NOT: onnx.
func.func @if_op(%c: tensor<i1>, %x: tensor<3xf32>, %z: tensor<5xf32>) -> tensor<?xf32> {
  %r = "onnx.If"(%c) ({
    %a = "onnx.Relu"(%x) : (tensor<3xf32>) -> tensor<3xf32>
    onnx.Yield %a : tensor<3xf32>
  }, {
    onnx.Yield %z : tensor<5xf32>
  }) : (tensor<i1>) -> tensor<?xf32>
  return %r : tensor<?xf32>
}

// Loop -> scf.while carrying (iteration, condition, values, scan outputs);
// the scan output grows by one slice per iteration.
// CHECK-LABEL: func @loop_op
// CHECK: %[[M:.*]] = tensor.extract %arg0[] : tensor<i64>
// CHECK: scf.while ({{.*}}) : (i64, i1, tensor<2xf32>, tensor<?x2xf32>)
// CHECK: arith.cmpi slt, {{.*}}, %[[M]] : i64
// CHECK: arith.andi
// CHECK: scf.condition
// CHECK: } do {
// CHECK: tensor.from_elements {{.*}} : tensor<i64>
// CHECK: nn.binary add
// CHECK: arith.addi
// CHECK: nn.concat {{.*}} {axis = 0 : i64} : (tensor<?x2xf32>, tensor<1x2xf32>) -> tensor<?x2xf32>
// CHECK: scf.yield
func.func @loop_op(%m: tensor<i64>, %c: tensor<i1>, %y0: tensor<2xf32>, %d: tensor<2xf32>) -> (tensor<2xf32>, tensor<?x2xf32>) {
  %r:2 = "onnx.Loop"(%m, %c, %y0) ({
  ^bb0(%i: tensor<i64>, %cond: tensor<i1>, %y: tensor<2xf32>):
    %s = "onnx.Add"(%y, %d) : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
    onnx.Yield %cond, %s, %s : tensor<i1>, tensor<2xf32>, tensor<2xf32>
  }) : (tensor<i64>, tensor<i1>, tensor<2xf32>) -> (tensor<2xf32>, tensor<?x2xf32>)
  return %r#0, %r#1 : tensor<2xf32>, tensor<?x2xf32>
}

// Scan -> scf.for over the scan axis; reverse input direction reads slice
// len - 1 - i, outputs are inserted along scan_output_axes.
// CHECK-LABEL: func @scan_op
// CHECK: %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<2x?xf32>
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args({{.*}}) -> (tensor<2xf32>, tensor<2x?xf32>)
// CHECK: %[[LAST:.*]] = arith.subi
// CHECK: %[[REV:.*]] = arith.subi %[[LAST]], %[[I]]
// CHECK: tensor.extract_slice %arg1[%[[REV]], 0] [1, 2] [1, 1] : tensor<3x2xf32> to tensor<2xf32>
// CHECK: nn.binary add
// CHECK: tensor.insert_slice {{.*}}[0, %[[I]]] [2, 1] [1, 1] : tensor<2xf32> into tensor<2x?xf32>
// CHECK: scf.yield
func.func @scan_op(%s0: tensor<2xf32>, %x: tensor<3x2xf32>) -> (tensor<2xf32>, tensor<2x3xf32>) {
  %r:2 = "onnx.Scan"(%s0, %x) ({
  ^bb0(%s: tensor<2xf32>, %xt: tensor<2xf32>):
    %a = "onnx.Add"(%s, %xt) : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
    onnx.Yield %a, %a : tensor<2xf32>, tensor<2xf32>
  }) {num_scan_inputs = 1 : i64, scan_input_directions = [1], scan_output_axes = [1]} : (tensor<2xf32>, tensor<3x2xf32>) -> (tensor<2xf32>, tensor<2x3xf32>)
  return %r#0, %r#1 : tensor<2xf32>, tensor<2x3xf32>
}
