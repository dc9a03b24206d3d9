// RUN: kiln-opt --convert-nn-to-linalg %s | FileCheck %s

// Batched matmul with a broadcast batch dim: one generic, loops (a, b, i, k, j),
// the size-1 dim of %a reads index 0, j is a reduction.
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, 0, d2, d4)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, d4, d3)>
// CHECK-DAG: #[[O:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[D:.*]] = affine_map<(d0, d1) -> (d0, d1, d1)>
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
