// RUN: kiln-opt --convert-nn-to-linalg %s | FileCheck %s

// The einsum maps of @bmm and @diag below (maps are printed first).
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, 0, d2, d4)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, d4, d3)>
// CHECK-DAG: #[[O:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[D:.*]] = affine_map<(d0, d1) -> (d0, d1, d1)>

// A matmul whose right operand has unit batch dims folds the batch into M
// (one linalg.matmul), a true batched one uses batch_matmul.
// CHECK-LABEL: func @matmul_fold_batch
// CHECK: tensor.collapse_shape %arg0 {{\[\[}}0, 1], [2]] : tensor<?x3x4xf32> into tensor<?x4xf32>
// CHECK: linalg.matmul
// CHECK-NOT: batch_matmul
// CHECK: tensor.expand_shape
func.func @matmul_fold_batch(%a: tensor<?x3x4xf32>, %b: tensor<1x4x5xf32>) -> tensor<?x3x5xf32> {
  %y = nn.matmul %a, %b : tensor<?x3x4xf32>, tensor<1x4x5xf32> -> tensor<?x3x5xf32>
  return %y : tensor<?x3x5xf32>
}

// CHECK-LABEL: func @matmul_batched
// CHECK: linalg.batch_matmul
func.func @matmul_batched(%a: tensor<2x3x4xf32>, %b: tensor<2x4x5xf32>) -> tensor<2x3x5xf32> {
  %y = nn.matmul %a, %b : tensor<2x3x4xf32>, tensor<2x4x5xf32> -> tensor<2x3x5xf32>
  return %y : tensor<2x3x5xf32>
}

// A constant [1, K, N] weight (e.g. a folded reshape of an initializer) is
// re-typed as a 2-D constant over the same blob, not read through a
// collapse_shape view of the constant.
// CHECK-LABEL: func.func @constant_rhs
// CHECK: %[[W:.*]] = arith.constant dense_resource<w_blob> : tensor<4x3xf32>
// CHECK-NOT: tensor.collapse_shape %{{.*}} : tensor<1x4x3xf32>
// CHECK: linalg.matmul ins(%{{.*}}, %[[W]] : tensor<?x4xf32>, tensor<4x3xf32>)
func.func @constant_rhs(%x: tensor<?x5x4xf32>) -> tensor<?x5x3xf32> {
  %w = arith.constant dense_resource<w_blob> : tensor<1x4x3xf32>
  %y = nn.matmul %x, %w : tensor<?x5x4xf32>, tensor<1x4x3xf32> -> tensor<?x5x3xf32>
  return %y : tensor<?x5x3xf32>
}

// A run-time rhs still goes through collapse_shape.
// CHECK-LABEL: func.func @runtime_rhs
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : tensor<1x4x3xf32> into tensor<4x3xf32>
func.func @runtime_rhs(%x: tensor<?x5x4xf32>, %w: tensor<1x4x3xf32>) -> tensor<?x5x3xf32> {
  %y = nn.matmul %x, %w : tensor<?x5x4xf32>, tensor<1x4x3xf32> -> tensor<?x5x3xf32>
  return %y : tensor<?x5x3xf32>
}

// Batched matmul with a broadcast batch dim: one generic, loops (a, b, i, k, j),
// the size-1 dim of %a reads index 0, j is a reduction.
// CHECK-LABEL: func @bmm
// CHECK: linalg.fill
// CHECK: linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[O]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @bmm(%a: tensor<2x1x3x4xf32>, %b: tensor<5x4x6xf32>) -> tensor<2x5x3x6xf32> {
  %y = nn.einsum %a, %b {equation = "abij,bjk->abik"} : (tensor<2x1x3x4xf32>, tensor<5x4x6xf32>) -> tensor<2x5x3x6xf32>
  return %y : tensor<2x5x3x6xf32>
}

// Diagonal: a repeated letter indexes the input twice with one loop.
// CHECK-LABEL: func @diag
// CHECK: linalg.generic {indexing_maps = [#[[D]], #{{.*}}], iterator_types = ["parallel", "parallel"]}
func.func @diag(%a: tensor<3x5x5xi32>) -> tensor<3x5xi32> {
  %y = nn.einsum %a {equation = "aii->ai"} : (tensor<3x5x5xi32>) -> tensor<3x5xi32>
  return %y : tensor<3x5xi32>
}

// Det: one generic over the batch; pivoting by selects.
// CHECK-LABEL: func @det
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel"]
// CHECK-COUNT-4: tensor.extract %arg0
// CHECK: arith.select
// CHECK: arith.mulf
func.func @det(%x: tensor<3x2x2xf32>) -> tensor<3xf32> {
  %y = nn.det %x : tensor<3x2x2xf32> -> tensor<3xf32>
  return %y : tensor<3xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w_blob: "0x040000000000803F0000004000004040000080400000A0400000C0400000E0400000004100001041000020410000304100004041"
    }
  }
#-}
