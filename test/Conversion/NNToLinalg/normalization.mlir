// RUN: kiln-opt --convert-nn-to-linalg %s | FileCheck %s

// l1: |x| summed in one generic.
// CHECK-LABEL: func @l1
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "parallel"]
// CHECK: math.absf
// CHECK: arith.addf
func.func @l1(%x: tensor<3x2x2xf32>) -> tensor<3x1x2xf32> {
  %y = nn.reduce l1 %x {axes = array<i64: 1>, keepdims = true} : tensor<3x2x2xf32> -> tensor<3x1x2xf32>
  return %y : tensor<3x1x2xf32>
}

// l2: sum of squares, then sqrt.
// CHECK-LABEL: func @l2
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: math.sqrt
func.func @l2(%x: tensor<3x2x2xf32>) -> tensor<3xf32> {
  %y = nn.reduce l2 %x {axes = array<i64: 1, 2>, keepdims = false} : tensor<3x2x2xf32> -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// log_sum_exp: max first (stable form), exp(x - max), sum, log + max.
// CHECK-LABEL: func @lse
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: arith.addf
// CHECK: math.log
func.func @lse(%x: tensor<3x2x2xf32>) -> tensor<3x2x1xf32> {
  %y = nn.reduce log_sum_exp %x {axes = array<i64: 2>, keepdims = true} : tensor<3x2x2xf32> -> tensor<3x2x1xf32>
  return %y : tensor<3x2x1xf32>
}

// Integer sum of squares: integer multiply and add.
// CHECK-LABEL: func @sum_square_int
// CHECK: arith.muli
// CHECK: arith.addi
func.func @sum_square_int(%x: tensor<3x2xi64>) -> tensor<3xi64> {
  %y = nn.reduce sum_square %x {axes = array<i64: 1>, keepdims = false} : tensor<3x2xi64> -> tensor<3xi64>
  return %y : tensor<3xi64>
}

// Run-time axes: a mask generic over the axes, then one generic with
// parallel result loops and reduction loops read at o + k; without keepdims
// a tensor.reshape to the compacted kept dims.
// CHECK-LABEL: func @reduce_axes
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]{{.*}}ins(%arg1 : tensor<1xi64>)
// CHECK: arith.ori
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
// CHECK: arith.addf
// CHECK: tensor.from_elements {{.*}} : tensor<2xi64>
// CHECK: tensor.reshape {{.*}} -> tensor<?x?xf32>
func.func @reduce_axes(%x: tensor<3x4x5xf32>, %a: tensor<1xi64>) -> tensor<?x?xf32> {
  %y = nn.reduce_axes sum %x, %a {keepdims = false, noop_with_empty_axes = false} : (tensor<3x4x5xf32>, tensor<1xi64>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// Integer l1: |x| with arith (cmpi + select), no math.absi.
// CHECK-LABEL: func @l1_int
// CHECK-NOT: math.absi
// CHECK: arith.cmpi slt
// CHECK: arith.select
// CHECK: arith.addi
func.func @l1_int(%x: tensor<3x4xi64>) -> tensor<3xi64> {
  %y = nn.reduce l1 %x {axes = array<i64: 1>, keepdims = false} : tensor<3x4xi64> -> tensor<3xi64>
  return %y : tensor<3xi64>
}

// Integer mean: integer sum, then signed division by the count.
// CHECK-LABEL: func @mean_int
// CHECK: arith.addi
// CHECK: arith.divsi
func.func @mean_int(%x: tensor<3x4xi32>) -> tensor<3xi32> {
  %y = nn.reduce mean %x {axes = array<i64: 1>, keepdims = false} : tensor<3x4xi32> -> tensor<3xi32>
  return %y : tensor<3xi32>
}

// softmax: the row maximum (maxnumf), exp(x - max), the row sum, one
// reciprocal per row (on the reduced [3, 2] tensor), then one multiply per
// element: no divide over the full tensor.
// CHECK-LABEL: func @softmax
// CHECK: arith.maxnumf
// CHECK: math.exp
// CHECK: arith.addf
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<3x2xf32>)
// CHECK: arith.divf
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<3x2x4xf32>)
// CHECK-NOT: arith.divf
// CHECK: arith.mulf
// CHECK-NOT: arith.divf
// CHECK: return
func.func @softmax(%x: tensor<3x2x4xf32>) -> tensor<3x2x4xf32> {
  %y = nn.softmax %x {axis = 2 : i64} : tensor<3x2x4xf32>
  return %y : tensor<3x2x4xf32>
}

// log-softmax: x - max - log(sum), no reciprocal.
// CHECK-LABEL: func @log_softmax
// CHECK: math.exp
// CHECK: math.log
// CHECK-NOT: arith.divf
// CHECK: return
func.func @log_softmax(%x: tensor<3x2x4xf32>) -> tensor<3x2x4xf32> {
  %y = nn.softmax %x {axis = 2 : i64, log} : tensor<3x2x4xf32>
  return %y : tensor<3x2x4xf32>
}
