// RUN: kiln-opt --kiln-nn-dce --mlir-pass-statistics %s 2>%t.stats | FileCheck %s
// RUN: FileCheck %s --check-prefix=STATS < %t.stats

// STATS: kiln-nn-dce
// STATS: 8 erased

// A dead chain (constant -> add -> relu -> transpose) goes entirely; the
// live op and its operands stay.
// CHECK-LABEL: func.func @chain
// CHECK-NOT: nn.transpose
// CHECK-NOT: nn.unary
// CHECK: %[[C:.*]] = arith.constant dense<2.000000e+00>
// CHECK-NEXT: %[[M:.*]] = nn.binary mul %{{.*}}, %[[C]]
// CHECK-NEXT: return %[[M]]
func.func @chain(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %c1 = arith.constant dense<1.0> : tensor<1x1xf32>
  %a = nn.binary add %x, %c1 : tensor<2x3xf32>, tensor<1x1xf32> -> tensor<2x3xf32>
  %r = nn.unary relu %a : tensor<2x3xf32> -> tensor<2x3xf32>
  %t = nn.transpose %r {perm = array<i64: 1, 0>} : tensor<2x3xf32> -> tensor<3x2xf32>
  %c2 = arith.constant dense<2.0> : tensor<1x1xf32>
  %m = nn.binary mul %x, %c2 : tensor<2x3xf32>, tensor<1x1xf32> -> tensor<2x3xf32>
  return %m : tensor<2x3xf32>
}

// Dead ops inside a region (scf.if branches) go; the region's yields and the
// scf.if (whose result is used) stay.
// CHECK-LABEL: func.func @in_region
// CHECK: scf.if
// CHECK-NOT: nn.unary
// CHECK: scf.yield %{{.*}} : tensor<4xf32>
// CHECK: } else {
// CHECK-NOT: nn.cast
// CHECK: scf.yield
func.func @in_region(%p: i1, %x: tensor<4xf32>) -> tensor<4xf32> {
  %r = scf.if %p -> tensor<4xf32> {
    %e = nn.unary exp %x : tensor<4xf32> -> tensor<4xf32>
    scf.yield %x : tensor<4xf32>
  } else {
    %c = nn.cast %x : tensor<4xf32> -> tensor<4xi64>
    %n = nn.unary neg %x : tensor<4xf32> -> tensor<4xf32>
    scf.yield %n : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// Negative: an op with side effects (a store into a memref) stays even
// though it has no results; used values stay.
// CHECK-LABEL: func.func @side_effects
// CHECK: nn.unary sqrt
// CHECK: memref.store
func.func @side_effects(%x: tensor<4xf32>, %m: memref<4xf32>) -> tensor<4xf32> {
  %s = nn.unary sqrt %x : tensor<4xf32> -> tensor<4xf32>
  %i = arith.constant 0 : index
  %f = arith.constant 1.0 : f32
  memref.store %f, %m[%i] : memref<4xf32>
  return %s : tensor<4xf32>
}

// A dead scf.if goes with the ops nested in it (counted once), then the
// constant that only fed it.
// CHECK-LABEL: func.func @dead_if
// CHECK-NOT: scf.if
// CHECK-NOT: arith.constant
// CHECK: return %arg1
func.func @dead_if(%p: i1, %x: tensor<4xf32>) -> tensor<4xf32> {
  %c = arith.constant dense<3.0> : tensor<4xf32>
  %r = scf.if %p -> tensor<4xf32> {
    %e = nn.unary exp %x : tensor<4xf32> -> tensor<4xf32>
    %a = nn.binary add %e, %c : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
    scf.yield %a : tensor<4xf32>
  } else {
    scf.yield %x : tensor<4xf32>
  }
  return %x : tensor<4xf32>
}
