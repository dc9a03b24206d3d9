// RUN: kiln-opt --kiln-nn-simplify-layout --mlir-pass-statistics %s 2>%t.stats | FileCheck %s
// RUN: FileCheck %s --check-prefix=STATS < %t.stats

// STATS: kiln-nn-simplify-layout
// STATS-DAG: 9 identities-removed
// STATS-DAG: 3 reshapes-folded
// STATS-DAG: 2 transposes-folded
// STATS-DAG: 1 transposes-to-reshape

// NCHW -> NHWC -> NCHW cancels; two transposes compose into one (the
// first only moves a size-1 dim, but it is composed, not made a reshape).
// CHECK-LABEL: func.func @transposes
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x3x4xf32>)
// CHECK-NEXT: %[[T:.*]] = nn.transpose %[[X]] {perm = array<i64: 0, 3, 1, 2>} : tensor<1x2x3x4xf32> -> tensor<1x4x2x3xf32>
// CHECK-NEXT: return %[[X]], %[[T]]
func.func @transposes(%x: tensor<1x2x3x4xf32>) -> (tensor<1x2x3x4xf32>, tensor<1x4x2x3xf32>) {
  %a = nn.transpose %x {perm = array<i64: 0, 2, 3, 1>} : tensor<1x2x3x4xf32> -> tensor<1x3x4x2xf32>
  %b = nn.transpose %a {perm = array<i64: 0, 3, 1, 2>} : tensor<1x3x4x2xf32> -> tensor<1x2x3x4xf32>
  %c = nn.transpose %x {perm = array<i64: 1, 0, 2, 3>} : tensor<1x2x3x4xf32> -> tensor<2x1x3x4xf32>
  %d = nn.transpose %c {perm = array<i64: 1, 3, 0, 2>} : tensor<2x1x3x4xf32> -> tensor<1x4x2x3xf32>
  return %b, %d : tensor<1x2x3x4xf32>, tensor<1x4x2x3xf32>
}

// reshape(reshape(x)) -> one reshape (also when the inner one has another
// user: it stays for that user); back to the input's type -> x.
// CHECK-LABEL: func.func @reshapes
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-DAG: %[[A:.*]] = nn.reshape %[[X]] : (tensor<2x3x4xf32>) -> tensor<6x4xf32>
// CHECK-DAG: %[[B:.*]] = nn.reshape %[[X]] : (tensor<2x3x4xf32>) -> tensor<24xf32>
// CHECK-DAG: %[[C:.*]] = nn.reshape %[[X]] : (tensor<2x3x4xf32>) -> tensor<4x6xf32>
// CHECK: return %[[B]], %[[X]], %[[A]], %[[C]]
func.func @reshapes(%x: tensor<2x3x4xf32>) -> (tensor<24xf32>, tensor<2x3x4xf32>, tensor<6x4xf32>, tensor<4x6xf32>) {
  %a = nn.reshape %x : (tensor<2x3x4xf32>) -> tensor<6x4xf32>
  %b = nn.reshape %a : (tensor<6x4xf32>) -> tensor<24xf32>
  %c = nn.reshape %a : (tensor<6x4xf32>) -> tensor<2x3x4xf32>
  %d = nn.reshape %a : (tensor<6x4xf32>) -> tensor<4x6xf32>
  return %b, %c, %a, %d : tensor<24xf32>, tensor<2x3x4xf32>, tensor<6x4xf32>, tensor<4x6xf32>
}

// A transpose that only moves size-1 dims: a reshape.
// CHECK-LABEL: func.func @unit_dims
// CHECK: nn.reshape %{{.*}} : (tensor<1x5x1x7xf32>) -> tensor<5x1x1x7xf32>
// CHECK-NOT: nn.transpose
func.func @unit_dims(%x: tensor<1x5x1x7xf32>) -> tensor<5x1x1x7xf32> {
  %t = nn.transpose %x {perm = array<i64: 1, 2, 0, 3>} : tensor<1x5x1x7xf32> -> tensor<5x1x1x7xf32>
  return %t : tensor<5x1x1x7xf32>
}

// Identities: all nine ops go.
// CHECK-LABEL: func.func @identities
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[I:.*]]: tensor<2x3xi64>)
// CHECK-NOT: nn.
// CHECK: return %[[X]], %[[X]], %[[X]], %[[X]], %[[X]], %[[X]], %[[X]], %[[X]], %[[I]]
func.func @identities(%x: tensor<2x3xf32>, %i: tensor<2x3xi64>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xi64>) {
  %t = nn.transpose %x {perm = array<i64: 0, 1>} : tensor<2x3xf32> -> tensor<2x3xf32>
  %r = nn.reshape %x : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %b = nn.broadcast %x : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %c = nn.cast %x : tensor<2x3xf32> -> tensor<2x3xf32>
  %s = nn.slice %x {offsets = array<i64: 0, 0>, strides = array<i64: 1, 1>} : tensor<2x3xf32> -> tensor<2x3xf32>
  %p = nn.pad %x {pads = array<i64: 0, 0, 0, 0>, value = 0.0 : f64} : tensor<2x3xf32> -> tensor<2x3xf32>
  %k = nn.concat %x {axis = 0 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %one = arith.constant dense<1.0> : tensor<1x1xf32>
  %m = nn.binary mul %one, %x : tensor<1x1xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
  %z = arith.constant dense<0> : tensor<1x1xi64>
  %a = nn.binary add %i, %z : tensor<2x3xi64>, tensor<1x1xi64> -> tensor<2x3xi64>
  return %t, %r, %b, %c, %s, %p, %k, %m, %a : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xi64>
}

// ---- Negative cases ----

// The inner transpose has another user and the pair does not cancel: both
// stay as they are.
// CHECK-LABEL: func.func @shared_transpose
// CHECK: %[[A:.*]] = nn.transpose %arg0 {perm = array<i64: 1, 2, 0>}
// CHECK: nn.transpose %[[A]] {perm = array<i64: 1, 2, 0>}
func.func @shared_transpose(%x: tensor<2x3x4xf32>) -> (tensor<3x4x2xf32>, tensor<4x2x3xf32>) {
  %a = nn.transpose %x {perm = array<i64: 1, 2, 0>} : tensor<2x3x4xf32> -> tensor<3x4x2xf32>
  %b = nn.transpose %a {perm = array<i64: 1, 2, 0>} : tensor<3x4x2xf32> -> tensor<4x2x3xf32>
  return %a, %b : tensor<3x4x2xf32>, tensor<4x2x3xf32>
}

// A real permutation (size-2 and size-3 dims swap) stays a transpose;
// dynamic reshapes and a reshape with a run-time shape operand are left
// alone; a broadcast / slice with dynamic dims is not provably an identity.
// CHECK-LABEL: func.func @not_identities
// CHECK: nn.transpose
// CHECK: nn.reshape
// CHECK: nn.reshape
// CHECK: nn.reshape %{{.*}}, %{{.*}}
// CHECK: nn.broadcast
// CHECK: nn.slice
func.func @not_identities(%x: tensor<1x2x3xf32>, %y: tensor<?x4xf32>, %s: tensor<2xi64>, %z: tensor<?x4xf32>) -> (tensor<1x3x2xf32>, tensor<4x?xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) {
  %t = nn.transpose %x {perm = array<i64: 0, 2, 1>} : tensor<1x2x3xf32> -> tensor<1x3x2xf32>
  %a = nn.reshape %y : (tensor<?x4xf32>) -> tensor<?xf32>
  %b = nn.reshape %a : (tensor<?xf32>) -> tensor<4x?xf32>
  %c = nn.reshape %y, %s : (tensor<?x4xf32>, tensor<2xi64>) -> tensor<?x4xf32>
  %d = nn.broadcast %z, %s : (tensor<?x4xf32>, tensor<2xi64>) -> tensor<?x4xf32>
  %e = nn.slice %z {offsets = array<i64: 0, 0>, strides = array<i64: 1, 1>} : tensor<?x4xf32> -> tensor<?x4xf32>
  return %t, %b, %c, %d, %e : tensor<1x3x2xf32>, tensor<4x?xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>
}

// mul by 2, add of a non-splat constant, add of 0 that broadcasts x (the
// other operand does not have the result's type), sub 0 - x, a nonzero pad.
// CHECK-LABEL: func.func @not_arith_identities
// CHECK: nn.binary mul
// CHECK: nn.binary add
// CHECK: nn.binary add
// CHECK: nn.binary sub
// CHECK: nn.pad
func.func @not_arith_identities(%x: tensor<2x3xf32>, %v: tensor<1x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x5xf32>) {
  %two = arith.constant dense<2.0> : tensor<1x1xf32>
  %m = nn.binary mul %x, %two : tensor<2x3xf32>, tensor<1x1xf32> -> tensor<2x3xf32>
  %ns = arith.constant dense<[[0.0, 1.0, 0.0]]> : tensor<1x3xf32>
  %a = nn.binary add %x, %ns : tensor<2x3xf32>, tensor<1x3xf32> -> tensor<2x3xf32>
  %z = arith.constant dense<0.0> : tensor<2x3xf32>
  %b = nn.binary add %v, %z : tensor<1x3xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
  %s = nn.binary sub %z, %x : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
  %p = nn.pad %x {pads = array<i64: 0, 1, 0, 1>, value = 0.0 : f64} : tensor<2x3xf32> -> tensor<2x5xf32>
  return %m, %a, %b, %s, %p : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x5xf32>
}
