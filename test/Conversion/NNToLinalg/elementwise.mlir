// RUN: kiln-opt --convert-nn-to-linalg %s | FileCheck %s

// The broadcast map of @add_broadcast below (maps are printed first).
// CHECK-DAG: #[[BMAP:.*]] = affine_map<(d0, d1) -> (0, d1)>

// Floored integer mod: a guarded remsi (divisor 0 or -1 gives 0), then the
// divisor is added when the remainder's sign differs from the divisor's.
// CHECK-LABEL: func @ints
// CHECK: linalg.generic
// CHECK: %[[Z:.*]] = arith.cmpi eq, %[[Y:.*]], %c0_i32
// CHECK: %[[M1:.*]] = arith.cmpi eq, %[[Y]], %c-1_i32
// CHECK: %[[BAD:.*]] = arith.ori %[[Z]], %[[M1]]
// CHECK: %[[SY:.*]] = arith.select %[[BAD]], %c1_i32, %[[Y]]
// CHECK: %[[R:.*]] = arith.remsi %{{.*}}, %[[SY]]
// CHECK: arith.xori
// CHECK: arith.addi %[[R]], %[[SY]]
// CHECK: linalg.yield
// Unsigned mod: remui, only a zero divisor is guarded.
// CHECK: linalg.generic
// CHECK: arith.remui
// CHECK: linalg.yield
// Logical right shift; shifting by the bit width or more gives 0.
// CHECK: linalg.generic
// CHECK: %[[BIG:.*]] = arith.cmpi uge, %{{.*}}, %c32_i32
// CHECK: %[[S:.*]] = arith.shrui
// CHECK: arith.select %[[BIG]], %c0_i32, %[[S]]
// Integer pow: square and multiply, no math.ipowi.
// CHECK: linalg.generic
// CHECK-NOT: math.ipowi
// CHECK: arith.muli
// CHECK: arith.shrui
// CHECK: arith.cmpi slt
// CHECK: linalg.yield
// Integer sign.
// CHECK: linalg.generic
// CHECK: arith.cmpi sgt
// CHECK: arith.cmpi slt
// CHECK: linalg.yield
// CHECK: linalg.generic
// CHECK: arith.divui
func.func @ints(%a: tensor<4xi32>, %b: tensor<4xi32>) -> (tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>) {
  %m = nn.binary mod %a, %b : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  %u = nn.binary umod %a, %b : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  %s = nn.binary shru %a, %b : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  %p = nn.binary pow %a, %b : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  %g = nn.unary sign %a : tensor<4xi32> -> tensor<4xi32>
  %d = nn.binary udiv %a, %b : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  return %m, %u, %s, %p, %g, %d : tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>
}

// CHECK-LABEL: func @floats
// CHECK: math.roundeven
// CHECK: math.acos
// selu: gamma * (x <= 0 ? alpha * expm1(x) : x).
// CHECK: math.expm1
// CHECK: arith.cmpf ole
// CHECK: arith.select
// CHECK: arith.mulf
// CHECK: arith.remf
// CHECK: arith.cmpf olt
// CHECK: arith.mulf
// CHECK: arith.select
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// bf16 -> f16 goes through f32.
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: arith.truncf %{{.*}} : f32 to f16
func.func @floats(%x: tensor<4xf32>, %y: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf16>) {
  %r = nn.unary round %x : tensor<4xf32> -> tensor<4xf32>
  %a = nn.unary acos %x : tensor<4xf32> -> tensor<4xf32>
  %s = nn.unary selu %x {alpha = 2.0 : f32, beta = 3.0 : f32} : tensor<4xf32> -> tensor<4xf32>
  %f = nn.binary fmod %x, %y : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %p = nn.binary prelu %x, %y : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %b = nn.cast %x : tensor<4xf32> -> tensor<4xbf16>
  %h = nn.cast %b : tensor<4xbf16> -> tensor<4xf16>
  return %r, %a, %s, %f, %p, %h : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf16>
}

// Half precision: the function is computed in f32 and rounded once.
// CHECK-LABEL: func @half
// CHECK: %[[W:.*]] = arith.extf %{{.*}} : f16 to f32
// CHECK: %[[A:.*]] = math.asin %[[W]] : f32
// CHECK: arith.truncf %[[A]] : f32 to f16
// CHECK-NOT: arith.extf
// CHECK: math.roundeven %{{.*}} : f16
func.func @half(%x: tensor<4xf16>) -> (tensor<4xf16>, tensor<4xf16>) {
  %a = nn.unary asin %x : tensor<4xf16> -> tensor<4xf16>
  %r = nn.unary round %x : tensor<4xf16> -> tensor<4xf16>
  return %a, %r : tensor<4xf16>, tensor<4xf16>
}

// Broadcasting binary op: size-1 dims map to the constant 0.
// CHECK-LABEL: func @add_broadcast
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[BMAP]], #{{.*}}], iterator_types = ["parallel", "parallel"]}
// CHECK: arith.addf
func.func @add_broadcast(%a: tensor<?x3xf32>, %b: tensor<1x3xf32>) -> tensor<?x3xf32> {
  %y = nn.binary add %a, %b : tensor<?x3xf32>, tensor<1x3xf32> -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}
