// RUN: kiln-opt --convert-nn-to-linalg %s | FileCheck %s

// nn ops inside the regions of ONNX control flow (scf.if / scf.while /
// scf.for) are lowered in place.
// CHECK-LABEL: func @in_loop
// CHECK: scf.while
// CHECK: } do {
// CHECK: linalg.generic
// CHECK: tensor.concat dim(0) {{.*}} : (tensor<?x2xf32>, tensor<1x2xf32>) -> tensor<?x2xf32>
// CHECK: scf.yield
// CHECK-NOT: nn.
func.func @in_loop(%n: i64, %y0: tensor<2xf32>, %d: tensor<2xf32>) -> tensor<?x2xf32> {
  %c0 = arith.constant 0 : i64
  %c1 = arith.constant 1 : i64
  %e = tensor.empty() : tensor<0x2xf32>
  %acc0 = tensor.cast %e : tensor<0x2xf32> to tensor<?x2xf32>
  %r:3 = scf.while (%i = %c0, %y = %y0, %acc = %acc0) : (i64, tensor<2xf32>, tensor<?x2xf32>) -> (i64, tensor<2xf32>, tensor<?x2xf32>) {
    %k = arith.cmpi slt, %i, %n : i64
    scf.condition(%k) %i, %y, %acc : i64, tensor<2xf32>, tensor<?x2xf32>
  } do {
  ^bb0(%i: i64, %y: tensor<2xf32>, %acc: tensor<?x2xf32>):
    %s = nn.binary add %y, %d : tensor<2xf32>, tensor<2xf32> -> tensor<2xf32>
    %s1 = nn.reshape %s : (tensor<2xf32>) -> tensor<1x2xf32>
    %a = nn.concat %acc, %s1 {axis = 0 : i64} : (tensor<?x2xf32>, tensor<1x2xf32>) -> tensor<?x2xf32>
    %i1 = arith.addi %i, %c1 : i64
    scf.yield %i1, %s, %a : i64, tensor<2xf32>, tensor<?x2xf32>
  }
  return %r#2 : tensor<?x2xf32>
}

// CHECK-LABEL: func @in_if
// CHECK: scf.if
// CHECK: linalg.generic
// CHECK: } else {
// CHECK: linalg.generic
func.func @in_if(%c: i1, %x: tensor<3xf32>) -> tensor<3xf32> {
  %r = scf.if %c -> (tensor<3xf32>) {
    %a = nn.unary relu %x : tensor<3xf32> -> tensor<3xf32>
    scf.yield %a : tensor<3xf32>
  } else {
    %b = nn.unary tanh %x : tensor<3xf32> -> tensor<3xf32>
    scf.yield %b : tensor<3xf32>
  }
  return %r : tensor<3xf32>
}
