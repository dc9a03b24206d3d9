// RUN: kiln-opt --convert-nn-to-linalg %s | FileCheck %s

// One generic over the indices; the index is wrapped, clamped and replaces the axis coordinate.
// CHECK-LABEL: func @gather_elements
// CHECK: linalg.generic {{.*}} ins(%arg1 : tensor<2x3xi64>) outs(%{{.*}} : tensor<2x3xf32>)
// CHECK: arith.cmpi slt
// CHECK: %[[I:.*]] = arith.minsi
// CHECK: %[[J:.*]] = linalg.index 1
// CHECK: tensor.extract %arg0[%[[I]], %[[J]]] : tensor<3x3xf32>
func.func @gather_elements(%d: tensor<3x3xf32>, %i: tensor<2x3xi64>) -> tensor<2x3xf32> {
  %y = nn.gather_elements %d[%i] {axis = 0 : i64} : (tensor<3x3xf32>, tensor<2x3xi64>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// A loop nest over the indices carries the data tensor; add reads the old value.
// CHECK-LABEL: func @scatter_elements
// CHECK: scf.for %[[A:.*]] = {{.*}} iter_args(%{{.*}} = %arg0) -> (tensor<1x5xf32>)
// CHECK: scf.for %[[B:.*]] = {{.*}} iter_args(%[[T:.*]] = %{{.*}}) -> (tensor<1x5xf32>)
// CHECK: %[[I:.*]] = arith.minsi
// CHECK: %[[OLD:.*]] = tensor.extract %[[T]][%[[A]], %[[I]]]
// CHECK: %[[NEW:.*]] = arith.addf %[[OLD]]
// CHECK: tensor.insert %[[NEW]] into %[[T]][%[[A]], %[[I]]]
func.func @scatter_elements(%d: tensor<1x5xf32>, %i: tensor<1x2xi64>, %u: tensor<1x2xf32>) -> tensor<1x5xf32> {
  %y = nn.scatter_elements %d[%i], %u {axis = 1 : i64, reduction = "add"} : (tensor<1x5xf32>, tensor<1x2xi64>, tensor<1x2xf32>) -> tensor<1x5xf32>
  return %y : tensor<1x5xf32>
}

// CHECK-LABEL: func @gather_nd
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<2x2xi32>)
// CHECK: %[[B:.*]] = linalg.index 0
// CHECK: tensor.extract %arg1[%[[B]], %{{.*}}] : tensor<2x1xi64>
// CHECK: %[[I:.*]] = arith.minsi
// CHECK: %[[S:.*]] = linalg.index 1
// CHECK: tensor.extract %arg0[%[[B]], %[[I]], %[[S]]] : tensor<2x2x2xi32>
func.func @gather_nd(%d: tensor<2x2x2xi32>, %i: tensor<2x1xi64>) -> tensor<2x2xi32> {
  %y = nn.gather_nd %d[%i] {batch_dims = 1 : i64} : (tensor<2x2x2xi32>, tensor<2x1xi64>) -> tensor<2x2xi32>
  return %y : tensor<2x2xi32>
}

// Loops over the updates; reduction none just inserts.
// CHECK-LABEL: func @scatter_nd
// CHECK: scf.for
// CHECK: scf.for %[[S:.*]] = {{.*}} iter_args(%[[T:.*]] = %{{.*}})
// CHECK: %[[I:.*]] = arith.minsi
// CHECK: %[[U:.*]] = tensor.extract %arg2
// CHECK-NOT: tensor.extract %[[T]]
// CHECK: tensor.insert %[[U]] into %[[T]][%[[I]], %[[S]]]
func.func @scatter_nd(%d: tensor<4x4xf32>, %i: tensor<2x1xi64>, %u: tensor<2x4xf32>) -> tensor<4x4xf32> {
  %y = nn.scatter_nd %d[%i], %u {reduction = "none"} : (tensor<4x4xf32>, tensor<2x1xi64>, tensor<2x4xf32>) -> tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}

// CHECK-LABEL: func @trilu
// CHECK: %[[K:.*]] = arith.index_cast
// CHECK: linalg.generic
// CHECK: %[[R:.*]] = linalg.index 0
// CHECK: %[[C:.*]] = linalg.index 1
// CHECK: %[[D:.*]] = arith.subi %[[C]], %[[R]]
// CHECK: arith.cmpi sle, %[[D]], %[[K]]
// CHECK: arith.select
func.func @trilu(%x: tensor<4x5xf32>, %k: tensor<i64>) -> tensor<4x5xf32> {
  %y = nn.trilu %x k %k : tensor<i64> {k = 0 : i64, upper = false} : tensor<4x5xf32> -> tensor<4x5xf32>
  return %y : tensor<4x5xf32>
}

// Depth from the float scalar sizes the dynamic dim.
// CHECK-LABEL: func @one_hot
// CHECK: %[[D:.*]] = arith.fptosi
// CHECK: tensor.empty(%{{.*}}) : tensor<3x?xf32>
// CHECK: linalg.generic
// CHECK: arith.cmpi eq
func.func @one_hot(%i: tensor<3xi64>, %d: tensor<f32>, %v: tensor<2xf32>) -> tensor<3x?xf32> {
  %y = nn.one_hot %i, %d, %v {axis = 1 : i64} : (tensor<3xi64>, tensor<f32>, tensor<2xf32>) -> tensor<3x?xf32>
  return %y : tensor<3x?xf32>
}

// Count, then copy the selected slices.
// CHECK-LABEL: func @compress
// CHECK: %[[N:.*]] = scf.for {{.*}} -> (index)
// CHECK: %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x2xf32>
// CHECK: scf.for {{.*}} iter_args({{.*}}, %{{.*}} = %[[E]])
// CHECK: scf.if
// CHECK: tensor.extract_slice %arg0
// CHECK: tensor.insert_slice
func.func @compress(%x: tensor<3x2xf32>, %c: tensor<3xi1>) -> tensor<?x2xf32> {
  %y = nn.compress %x, %c {axis = 0 : i64} : (tensor<3x2xf32>, tensor<3xi1>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// CHECK-LABEL: func @reverse_sequence
// CHECK: linalg.generic {{.*}} ins(%arg1 : tensor<3xi64>)
// CHECK: %[[T:.*]] = linalg.index 0
// CHECK: %[[SRC:.*]] = arith.select
// CHECK: tensor.extract %arg0[%[[SRC]], %{{.*}}] : tensor<4x3xf32>
func.func @reverse_sequence(%x: tensor<4x3xf32>, %l: tensor<3xi64>) -> tensor<4x3xf32> {
  %y = nn.reverse_sequence %x, %l {batch_axis = 1 : i64, time_axis = 0 : i64} : (tensor<4x3xf32>, tensor<3xi64>) -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}
