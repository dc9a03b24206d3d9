// RUN: kiln-opt --convert-nn-to-linalg %s | FileCheck %s

// reduction none: one generic over the target's dims; the class index is
// clamped into [0, C - 1] before input[n, t, d] is extracted, and ignored
// elements give 0.
// CHECK-LABEL: func @none_ignore
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%arg1 : tensor<3x2xi32>) outs(%{{.*}} : tensor<3x2xf32>)
// CHECK: %[[T:.*]] = arith.extsi %{{.*}} : i32 to i64
// CHECK: %[[IGN:.*]] = arith.cmpi eq, %[[T]], %c-1_i64
// CHECK: %[[I:.*]] = arith.index_cast %[[T]] : i64 to index
// CHECK: %[[LO:.*]] = arith.maxsi %[[I]], %c0
// CHECK: %[[C:.*]] = arith.minsi %[[LO]]
// CHECK: %[[N:.*]] = linalg.index 0
// CHECK: %[[D:.*]] = linalg.index 1
// CHECK: %[[X:.*]] = tensor.extract %arg0[%[[N]], %[[C]], %[[D]]] : tensor<3x5x2xf32>
// CHECK: %[[NEG:.*]] = arith.negf %[[X]]
// CHECK: %[[R:.*]] = arith.select %[[IGN]], %{{.*}}, %[[NEG]]
// CHECK: linalg.yield %[[R]]
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @none_ignore(%x: tensor<3x5x2xf32>, %t: tensor<3x2xi32>) -> tensor<3x2xf32> {
  %y = nn.nll_loss %x, %t {ignore_index = -1 : i64, reduction = "none"} : (tensor<3x5x2xf32>, tensor<3x2xi32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// reduction mean with weights: the weighted losses are summed, and divided
// by the sum of the gathered weights (dynamic batch).
// CHECK-LABEL: func @mean_weight
// CHECK: %[[L:.*]] = linalg.generic {{.*}} ins(%arg1 : tensor<?xi64>) outs(%{{.*}} : tensor<?xf64>)
// CHECK: %[[W:.*]] = tensor.extract %arg2[%[[C:.*]]] : tensor<5xf64>
// CHECK: %[[X:.*]] = tensor.extract %arg0[%{{.*}}, %[[C]]] : tensor<?x5xf64>
// CHECK: %[[M:.*]] = arith.mulf %[[X]], %[[W]]
// CHECK: arith.negf %[[M]]
// CHECK: %[[SL:.*]] = linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%[[L]] : tensor<?xf64>)
// CHECK: arith.addf
// CHECK: %[[WS:.*]] = linalg.generic {{.*}} ins(%arg1 : tensor<?xi64>) outs(%{{.*}} : tensor<?xf64>)
// CHECK: tensor.extract %arg2
// CHECK-NOT: tensor.extract %arg0
// CHECK: %[[SW:.*]] = linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%[[WS]] : tensor<?xf64>)
// CHECK: %[[DEN:.*]] = tensor.extract %[[SW]][] : tensor<f64>
// CHECK: linalg.generic {{.*}} ins(%[[SL]] : tensor<f64>)
// CHECK: arith.divf %{{.*}}, %[[DEN]] : f64
func.func @mean_weight(%x: tensor<?x5xf64>, %t: tensor<?xi64>, %w: tensor<5xf64>) -> tensor<f64> {
  %y = nn.nll_loss %x, %t, %w {reduction = "mean"} : (tensor<?x5xf64>, tensor<?xi64>, tensor<5xf64>) -> tensor<f64>
  return %y : tensor<f64>
}

// reduction mean without weights or ignore_index: divide by the count.
// CHECK-LABEL: func @mean_plain
// CHECK: %[[CNT:.*]] = arith.constant 1.200000e+01 : f32
// CHECK: arith.divf %{{.*}}, %[[CNT]] : f32
func.func @mean_plain(%x: tensor<3x5x4xf32>, %t: tensor<3x4xi64>) -> tensor<f32> {
  %y = nn.nll_loss %x, %t {reduction = "mean"} : (tensor<3x5x4xf32>, tensor<3x4xi64>) -> tensor<f32>
  return %y : tensor<f32>
}

// reduction sum: one reduction over every dim, no division.
// CHECK-LABEL: func @sum
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]}
// CHECK-NOT: arith.divf
// CHECK: return
func.func @sum(%x: tensor<3x5x4xf16>, %t: tensor<3x4xi64>) -> tensor<f16> {
  %y = nn.nll_loss %x, %t {ignore_index = 10 : i64, reduction = "sum"} : (tensor<3x5x4xf16>, tensor<3x4xi64>) -> tensor<f16>
  return %y : tensor<f16>
}
