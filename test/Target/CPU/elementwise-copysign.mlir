// RUN: kiln-opt --kiln-cpu-math-approximation --convert-math-to-libm %s | FileCheck %s

// The atan/asin/acos approximations leave math.copysign on n-D vectors,
// which math-to-libm cannot scalarize: it becomes integer bit operations.
// CHECK-LABEL: func @copysign_nd
// CHECK-NOT: math.copysign
// CHECK: arith.bitcast %{{.*}} : vector<1x1x5xf32> to vector<1x1x5xi32>
// CHECK: arith.andi %{{.*}}, %{{.*}} : vector<1x1x5xi32>
// CHECK: arith.ori
// CHECK: arith.bitcast %{{.*}} : vector<1x1x5xi32> to vector<1x1x5xf32>
func.func @copysign_nd(%a: vector<1x1x5xf32>, %b: vector<1x1x5xf32>) -> vector<1x1x5xf32> {
  %0 = math.copysign %a, %b : vector<1x1x5xf32>
  return %0 : vector<1x1x5xf32>
}

// atan of an n-D vector lowers completely.
// CHECK-LABEL: func @atan_nd
// CHECK-NOT: math.
// CHECK: return
func.func @atan_nd(%a: vector<1x2x8xf32>) -> vector<1x2x8xf32> {
  %0 = math.atan %a : vector<1x2x8xf32>
  return %0 : vector<1x2x8xf32>
}
