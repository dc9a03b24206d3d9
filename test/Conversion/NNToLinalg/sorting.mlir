// RUN: kiln-opt --convert-nn-to-linalg %s | FileCheck %s

// Arg reduction: one linalg.generic with (value, index) outputs; ties are
// decided by comparing indices (sgt: the last index wins).
// CHECK-LABEL: func @arg_reduce
// CHECK: %[[R:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]} ins(%arg0 : tensor<2x3x4xf32>) outs(%{{.*}}, %{{.*}} : tensor<2x4xf32>, tensor<2x4xi64>)
// CHECK: linalg.index 1
// CHECK: arith.cmpf ogt
// CHECK: arith.cmpf oeq
// CHECK: arith.cmpi sgt
// CHECK: linalg.yield
// CHECK: tensor.expand_shape %[[R]]#1 {{\[\[}}0], [1, 2]] output_shape [2, 1, 4] : tensor<2x4xi64> into tensor<2x1x4xi64>
func.func @arg_reduce(%x: tensor<2x3x4xf32>) -> tensor<2x1x4xi64> {
  %0 = nn.arg_reduce %x {axis = 1 : i64, is_max = true, keepdims = true, select_last = true} : tensor<2x3x4xf32> -> tensor<2x1x4xi64>
  return %0 : tensor<2x1x4xi64>
}

// Hardmax: arg max (first index), then a one-hot generic.
// CHECK-LABEL: func @hardmax
// CHECK: %[[A:.*]]:2 = linalg.generic
// CHECK: arith.cmpi slt
// CHECK: linalg.generic {{.*}} ins(%[[A]]#1 : tensor<2xi64>) outs(%{{.*}} : tensor<2x3xf32>)
// CHECK: arith.cmpi eq
func.func @hardmax(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.hardmax %x {axis = 1 : i64} : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// CumSum: an scf.for along the axis carrying the output and the running
// sum of one slice (updated in place); exclusive inserts before adding.
// CHECK-LABEL: func @cumsum
// CHECK: scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[OUT:.*]] = %{{.*}}, %[[ACC:.*]] = %{{.*}}) -> (tensor<2x3xf32>, tensor<2x1xf32>)
// CHECK: %[[S:.*]] = tensor.extract_slice %arg0[0, %[[K]]] [2, 1] [1, 1]
// CHECK: tensor.insert_slice %[[ACC]] into %[[OUT]][0, %[[K]]]
// CHECK: linalg.generic {{.*}} ins(%[[S]] : tensor<2x1xf32>) outs(%[[ACC]] : tensor<2x1xf32>)
// A run-time axis selects one loop per axis.
// CHECK: scf.index_switch %{{.*}} -> tensor<2x3xf32>
// CHECK: case 1 {
// CHECK: scf.for
// CHECK: default {
// CHECK: scf.for
func.func @cumsum(%x: tensor<2x3xf32>, %a: tensor<i32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %0 = nn.cumsum %x {axis = 1 : i64, exclusive = true, reverse = false} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %1 = nn.cumsum %x axis %a {axis = 0 : i64, exclusive = false, reverse = true} : (tensor<2x3xf32>, tensor<i32>) -> tensor<2x3xf32>
  return %0, %1 : tensor<2x3xf32>, tensor<2x3xf32>
}

// TopK with a run-time k: outputs of k columns, k selection passes.  k is
// clamped to [0, 4] (a bad k is reported by kiln-insert-runtime-checks; the
// clamp keeps the rest of that run memory-safe).
// CHECK-LABEL: func @topk
// CHECK: %[[KV:.*]] = tensor.extract %arg1
// CHECK: %[[K0:.*]] = arith.index_cast %[[KV]] : i64 to index
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : index
// CHECK: %[[K1:.*]] = arith.maxsi %[[K0]], %[[C0]] : index
// CHECK: %[[K:.*]] = arith.minsi %[[K1]], %[[C4]] : index
// CHECK: tensor.empty(%[[K]]) : tensor<3x?xf32>
// CHECK: tensor.empty(%[[K]]) : tensor<3x?xi64>
// CHECK: scf.for {{.*}} -> (tensor<3x?xf32>, tensor<3x?xi64>)
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[K]] {{.*}} -> (tensor<3x?xf32>, tensor<3x?xi64>, f32, i64)
// CHECK: scf.for {{.*}} -> (f32, i64, i1)
// CHECK: tensor.insert
// CHECK: tensor.insert
// CHECK: return %{{.*}}#0, %{{.*}}#1
func.func @topk(%x: tensor<3x4xf32>, %k: tensor<1xi64>) -> (tensor<3x?xf32>, tensor<3x?xi64>) {
  %v, %i = nn.topk %x, %k {axis = 1 : i64, largest = false} : (tensor<3x4xf32>, tensor<1xi64>) -> (tensor<3x?xf32>, tensor<3x?xi64>)
  return %v, %i : tensor<3x?xf32>, tensor<3x?xi64>
}

// NonZero: count, allocate [rank, count], fill.
// CHECK-LABEL: func @nonzero
// CHECK: %[[N:.*]] = scf.for {{.*}} -> (index)
// CHECK: %[[E:.*]] = tensor.empty(%[[N]]) : tensor<2x?xi64>
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[E]], {{.*}}) -> (tensor<2x?xi64>, index)
// CHECK: scf.if
func.func @nonzero(%x: tensor<2x2xi1>) -> tensor<2x?xi64> {
  %0 = nn.nonzero %x : tensor<2x2xi1> -> tensor<2x?xi64>
  return %0 : tensor<2x?xi64>
}

// Unique: merge sort of the row indices (ceil(log2 n) levels, each merged
// into a second buffer and copied back), groups of equal rows and their
// count U, then outputs of U rows.
// CHECK-LABEL: func @unique
// CHECK: arith.shli
// CHECK: scf.for {{.*}} -> (tensor<?xindex>, tensor<?xindex>)
// CHECK: scf.for
// CHECK: linalg.copy
// CHECK: %[[P:.*]]:3 = scf.for {{.*}} -> (tensor<?xindex>, tensor<?xindex>, index)
// CHECK: tensor.empty(%[[P]]#2) : tensor<?x8xf32>
// CHECK: tensor.empty(%[[P]]#2) : tensor<?xi64>
// CHECK: %[[O:.*]]:4 = scf.for
// CHECK: return %[[O]]#0, %[[O]]#1, %[[O]]#2, %[[O]]#3
func.func @unique(%x: tensor<3x8xf32>) -> (tensor<?x8xf32>, tensor<?xi64>, tensor<3xi64>, tensor<?xi64>) {
  %r, %i, %v, %c = nn.unique %x {sorted = true} : tensor<3x8xf32> -> tensor<?x8xf32>, tensor<?xi64>, tensor<3xi64>, tensor<?xi64>
  return %r, %i, %v, %c : tensor<?x8xf32>, tensor<?xi64>, tensor<3xi64>, tensor<?xi64>
}

// NMS: selection loops write a scratch [B*C*S, 3] tensor and count N; the
// first N rows are copied into a fresh [N, 3] tensor.
// CHECK-LABEL: func @nms
// CHECK: %[[S:.*]] = tensor.empty(%{{.*}}) : tensor<?x3xi64>
// CHECK: %[[L:.*]]:2 = scf.for {{.*}} -> (tensor<?x3xi64>, index)
// CHECK: scf.if
// CHECK: %[[E:.*]] = tensor.empty(%[[L]]#1) : tensor<?x3xi64>
// CHECK: linalg.generic {{.*}} outs(%[[E]] : tensor<?x3xi64>)
// CHECK: tensor.extract %[[L]]#0
func.func @nms(%b: tensor<1x6x4xf32>, %s: tensor<1x2x6xf32>, %m: tensor<1xi64>, %t: tensor<1xf32>) -> tensor<?x3xi64> {
  %0 = nn.non_max_suppression %b, %s, %m, %t, %t {center_point_box = false, has_score_threshold = true} : (tensor<1x6x4xf32>, tensor<1x2x6xf32>, tensor<1xi64>, tensor<1xf32>, tensor<1xf32>) -> tensor<?x3xi64>
  return %0 : tensor<?x3xi64>
}
