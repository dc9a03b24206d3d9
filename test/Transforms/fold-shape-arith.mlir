// RUN: kiln-opt --split-input-file --kiln-nn-fold-shape-arith %s | FileCheck %s

// BERT's head split: the Reshape target [B, 128, 12, 64] is built from
// Shape -> Gather(0) -> Unsqueeze -> Concat; its first element is the
// input's dim 0, and the "-1 means infer" test on it folds (a dim is never
// negative).
// CHECK-LABEL: func.func @reshape_target
// CHECK-SAME: %[[X:[a-z0-9]+]]: tensor<?x128x768xf32>
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[D:.*]] = tensor.dim %[[X]], %[[C0]]
// CHECK-NOT: tensor.extract
// CHECK-NOT: arith.cmpi
// CHECK: return %[[D]]
func.func @reshape_target(%x: tensor<?x128x768xf32>) -> index {
  %c0 = arith.constant 0 : index
  %cm1 = arith.constant -1 : index
  %i0 = arith.constant dense<0> : tensor<i64>
  %rest = arith.constant dense<[128, 12, 64]> : tensor<3xi64>
  %s = nn.shape_of %x {end = 3 : i64, start = 0 : i64} : tensor<?x128x768xf32> -> tensor<3xi64>
  %g = nn.gather %s[%i0] {axis = 0 : i64} : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %u = nn.reshape %g : (tensor<i64>) -> tensor<1xi64>
  %t = nn.concat %u, %rest {axis = 0 : i64} : (tensor<1xi64>, tensor<3xi64>) -> tensor<4xi64>
  %e = tensor.extract %t[%c0] : tensor<4xi64>
  %i = arith.index_cast %e : i64 to index
  %neg = arith.cmpi eq, %i, %cm1 : index
  %r = arith.select %neg, %c0, %i : index
  return %r : index
}

// -----

// torch's expand(n, -1, -1) (ViT's class token): where(target == -1, 1,
// target) on [n, -1, -1]; elements 1 and 2 fold to 1, element 0 to the dim.
// CHECK-LABEL: func.func @expand_target
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : i64
// CHECK-DAG: %[[D:.*]] = tensor.dim
// CHECK: %[[N:.*]] = arith.index_cast %[[D]] : index to i64
// CHECK: return %[[N]], %[[C1]], %[[C1]] : i64, i64, i64
func.func @expand_target(%x: tensor<?x196x768xf32>) -> (i64, i64, i64) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %i0 = arith.constant dense<0> : tensor<i64>
  %m1 = arith.constant dense<-1> : tensor<1xi64>
  %s = nn.shape_of %x {end = 3 : i64, start = 0 : i64} : tensor<?x196x768xf32> -> tensor<3xi64>
  %g = nn.gather %s[%i0] {axis = 0 : i64} : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %u = nn.reshape %g : (tensor<i64>) -> tensor<1xi64>
  %t = nn.concat %u, %m1, %m1 {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<3xi64>
  %ones = nn.fill {value = 1 : i64} : () -> tensor<3xi64>
  %neg = nn.binary mul %ones, %m1 : tensor<3xi64>, tensor<1xi64> -> tensor<3xi64>
  %eq = nn.binary eq %t, %neg : tensor<3xi64>, tensor<3xi64> -> tensor<3xi1>
  %w = nn.select %eq, %ones, %t : tensor<3xi1>, tensor<3xi64>, tensor<3xi64> -> tensor<3xi64>
  %e0 = tensor.extract %w[%c0] : tensor<3xi64>
  %e1 = tensor.extract %w[%c1] : tensor<3xi64>
  %e2 = tensor.extract %w[%c2] : tensor<3xi64>
  return %e0, %e1, %e2 : i64, i64, i64
}

// -----

// Left alone: an element of a tensor that is an input of the function, an
// element read at a run-time index, a gather with run-time indices, and a
// division (its integer semantics are the lowering's, not arith's).
// CHECK-LABEL: func.func @negatives
// CHECK-COUNT-4: tensor.extract
func.func @negatives(%x: tensor<?x8xf32>, %v: tensor<4xi64>, %i: index, %idx: tensor<i64>) -> (i64, i64, i64, i64) {
  %c0 = arith.constant 0 : index
  %e0 = tensor.extract %v[%c0] : tensor<4xi64>
  %s = nn.shape_of %x {end = 2 : i64, start = 0 : i64} : tensor<?x8xf32> -> tensor<2xi64>
  %e1 = tensor.extract %s[%i] : tensor<2xi64>
  %g = nn.gather %s[%idx] {axis = 0 : i64} : (tensor<2xi64>, tensor<i64>) -> tensor<i64>
  %e2 = tensor.extract %g[] : tensor<i64>
  %two = arith.constant dense<2> : tensor<2xi64>
  %d = nn.binary div %s, %two : tensor<2xi64>, tensor<2xi64> -> tensor<2xi64>
  %e3 = tensor.extract %d[%c0] : tensor<2xi64>
  return %e0, %e1, %e2, %e3 : i64, i64, i64, i64
}
