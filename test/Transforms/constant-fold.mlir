// RUN: kiln-opt --kiln-nn-constant-fold --mlir-pass-statistics %s 2>%t.stats | FileCheck %s
// RUN: FileCheck %s --check-prefix=STATS < %t.stats

// STATS: kiln-nn-constant-fold
// STATS: 41 folded

// nn.dequantize of constants (a QDQ model's int32 bias, uint8 values with a
// zero point): (float(x) - float(zp)) * scale; 16777217 rounds to f32
// first, as the lowering's sitofp does.
// CHECK-LABEL: func.func @dequantize
// CHECK-DAG: arith.constant dense<[-1.500000e+00, 2.500000e-01, 0x4B800000]> : tensor<3xf32>
// CHECK-DAG: arith.constant dense<[-1.000000e+00, 1.270000e+01]> : tensor<2xf32>
// CHECK-NOT: nn.dequantize
func.func @dequantize() -> (tensor<3xf32>, tensor<2xf32>) {
  %b = arith.constant dense<[-6, 1, 16777217]> : tensor<3xi32>
  %s = arith.constant dense<[0.25, 0.25, 1.0]> : tensor<3xf32>
  %y = nn.dequantize %b, %s : (tensor<3xi32>, tensor<3xf32>) -> tensor<3xf32>
  %q = arith.constant dense<[118, -1]> : tensor<2xi8>
  %qs = arith.constant dense<0.1> : tensor<1xf32>
  %qz = arith.constant dense<-128> : tensor<1xi8>
  %z = nn.dequantize %q, %qs, %qz {unsigned_input} : (tensor<2xi8>, tensor<1xf32>, tensor<1xi8>) -> tensor<2xf32>
  return %y, %z : tensor<3xf32>, tensor<2xf32>
}

// i64 shape arithmetic: a Reshape target computed from shape_of of an input
// with a static shape (not a constant itself).
// CHECK-LABEL: func.func @shape_arith
// CHECK-DAG: %[[S:.*]] = arith.constant dense<[2, 12]> : tensor<2xi64>
// CHECK-DAG: %[[C:.*]] = arith.constant dense<[true, false]> : tensor<2xi1>
// CHECK-NOT: nn.
// CHECK: return %[[S]], %[[C]]
func.func @shape_arith(%x: tensor<2x3x4xf32>) -> (tensor<2xi64>, tensor<2xi1>) {
  %s = nn.shape_of %x {start = 0 : i64, end = 3 : i64} : tensor<2x3x4xf32> -> tensor<3xi64>
  %i0 = arith.constant dense<[0]> : tensor<1xi64>
  %i12 = arith.constant dense<[1, 2]> : tensor<2xi64>
  %n = nn.gather %s[%i0] {axis = 0 : i64} : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  %hw = nn.gather %s[%i12] {axis = 0 : i64} : (tensor<3xi64>, tensor<2xi64>) -> tensor<2xi64>
  %h = nn.slice %hw {offsets = array<i64: 0>, strides = array<i64: 1>} : tensor<2xi64> -> tensor<1xi64>
  %w = nn.slice %hw {offsets = array<i64: 1>, strides = array<i64: 1>} : tensor<2xi64> -> tensor<1xi64>
  %hw1 = nn.binary mul %h, %w : tensor<1xi64>, tensor<1xi64> -> tensor<1xi64>
  %c2 = arith.constant dense<2> : tensor<1xi64>
  %hw2 = nn.binary div %hw1, %c2 : tensor<1xi64>, tensor<1xi64> -> tensor<1xi64>
  %hw3 = nn.binary mul %hw2, %c2 : tensor<1xi64>, tensor<1xi64> -> tensor<1xi64>
  %shape = nn.concat %n, %hw3 {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %lim = arith.constant dense<[3, 3]> : tensor<2xi64>
  %lt = nn.binary lt %shape, %lim : tensor<2xi64>, tensor<2xi64> -> tensor<2xi1>
  return %shape, %lt : tensor<2xi64>, tensor<2xi1>
}

// Integer semantics of the lowering: floored mod, wrap-around, unsigned
// kinds, shifts by the width give 0, max/min, eq, sub.
// CHECK-LABEL: func.func @int_semantics
// CHECK-DAG: arith.constant dense<[1, 1, -3, 0]> : tensor<4xi64>
// CHECK-DAG: arith.constant dense<[-2147483648, 0, 5, -9]> : tensor<4xi32>
// CHECK-DAG: arith.constant dense<[1, 1, 1, 7]> : tensor<4xi32>
// CHECK-DAG: arith.constant dense<[7, -7, 9, 3]> : tensor<4xi64>
// CHECK-DAG: arith.constant dense<[false, true, false, true]> : tensor<4xi1>
// CHECK-DAG: arith.constant dense<[7, 2, 9, 3]> : tensor<4xi64>
// CHECK-NOT: nn.
func.func @int_semantics() -> (tensor<4xi64>, tensor<4xi32>, tensor<4xi32>, tensor<4xi64>, tensor<4xi1>, tensor<4xi64>) {
  %a = arith.constant dense<[7, -7, 9, 3]> : tensor<4xi64>
  %b = arith.constant dense<[2, 2, -4, 0]> : tensor<4xi64>
  %m = nn.binary mod %a, %b : tensor<4xi64>, tensor<4xi64> -> tensor<4xi64>
  %x = arith.constant dense<[2147483647, -1, 2, -10]> : tensor<4xi32>
  %y = arith.constant dense<[1, 1, 3, 1]> : tensor<4xi32>
  %add = nn.binary add %x, %y : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  %sh = arith.constant dense<[32, 40, 33, 0]> : tensor<4xi32>
  %one = arith.constant dense<[1, 1, 1, 7]> : tensor<4xi32>
  %u = nn.binary shl %one, %sh : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  %ud = nn.binary udiv %x, %y : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  %ud2 = nn.binary umin %u, %ud : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  %ud3 = nn.binary umax %ud2, %one : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  %z = arith.constant dense<0> : tensor<4xi64>
  %s = nn.binary sub %a, %z : tensor<4xi64>, tensor<4xi64> -> tensor<4xi64>
  %e = nn.binary eq %a, %b : tensor<4xi64>, tensor<4xi64> -> tensor<4xi1>
  %g = nn.binary gt %a, %b : tensor<4xi64>, tensor<4xi64> -> tensor<4xi1>
  %ng = nn.unary logical_not %g : tensor<4xi1> -> tensor<4xi1>
  %bz = nn.binary eq %b, %z : tensor<4xi64>, tensor<4xi64> -> tensor<4xi1>
  %both = nn.binary logical_or %ng, %bz : tensor<4xi1>, tensor<4xi1> -> tensor<4xi1>
  %five = arith.constant dense<5> : tensor<1xi64>
  %mx = nn.binary max %a, %five : tensor<4xi64>, tensor<1xi64> -> tensor<4xi64>
  %mn = nn.binary min %mx, %s : tensor<4xi64>, tensor<4xi64> -> tensor<4xi64>
  %ab = nn.unary abs %b : tensor<4xi64> -> tensor<4xi64>
  %r = nn.binary max %mn, %ab : tensor<4xi64>, tensor<4xi64> -> tensor<4xi64>
  return %m, %add, %ud3, %s, %both, %r : tensor<4xi64>, tensor<4xi32>, tensor<4xi32>, tensor<4xi64>, tensor<4xi1>, tensor<4xi64>
}

// Floats: round half to even, clamp, cast, select; a transpose of a
// 6x8 f32 weight (48 elements: a resource blob).
// CHECK-LABEL: func.func @floats
// CHECK-DAG: arith.constant dense<[2.000000e+00, -2.000000e+00, 0.000000e+00, 3.000000e+00]> : tensor<4xf32>
// CHECK-DAG: arith.constant dense<[1, -2, 0, 3]> : tensor<4xi64>
// CHECK-DAG: arith.constant dense<[1.000000e+00, -1.000000e+00, 1.000000e+00, 1.000000e+00]> : tensor<4xf32>
// CHECK-DAG: arith.constant dense_resource<kiln_folded{{.*}}> : tensor<8x6xf32>
// CHECK-NOT: nn.
func.func @floats() -> (tensor<4xf32>, tensor<4xi64>, tensor<4xf32>, tensor<8x6xf32>) {
  %f = arith.constant dense<[1.5, -2.5, 0.5, 3.0]> : tensor<4xf32>
  %r = nn.unary round %f : tensor<4xf32> -> tensor<4xf32>
  %i = nn.cast %f : tensor<4xf32> -> tensor<4xi64>
  %c = nn.clamp %f {max = 1.0 : f64, min = -1.0 : f64} : tensor<4xf32> -> tensor<4xf32>
  %z = arith.constant dense<0.0> : tensor<1xf32>
  %pos = nn.binary gt %f, %z : tensor<4xf32>, tensor<1xf32> -> tensor<4xi1>
  %one = arith.constant dense<1.0> : tensor<1xf32>
  %s = nn.select %pos, %one, %c : tensor<4xi1>, tensor<1xf32>, tensor<4xf32> -> tensor<4xf32>
  %w = arith.constant dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], [8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0], [16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0], [24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0], [32.0, 33.0, 34.0, 35.0, 36.0, 37.0, 38.0, 39.0], [40.0, 41.0, 42.0, 43.0, 44.0, 45.0, 46.0, 47.0]]> : tensor<6x8xf32>
  %t = nn.transpose %w {perm = array<i64: 1, 0>} : tensor<6x8xf32> -> tensor<8x6xf32>
  return %r, %i, %s, %t : tensor<4xf32>, tensor<4xi64>, tensor<4xf32>, tensor<8x6xf32>
}

// Data movement: reshape, broadcast of a scalar within the growth limit,
// concat along an inner axis, negative-stride slice, gather with a
// negative index.
// CHECK-LABEL: func.func @movement
// CHECK-DAG: arith.constant dense<{{\[}}[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi32>
// CHECK-DAG: arith.constant dense<7> : tensor<4x8xi64>
// CHECK-DAG: arith.constant dense<{{\[}}[1, 2, 9], [3, 4, 9]]> : tensor<2x3xi64>
// CHECK-DAG: arith.constant dense<[6, 4, 2]> : tensor<3xi32>
// CHECK-DAG: arith.constant dense<{{\[}}[3, 1], [6, 4]]> : tensor<2x2xi32>
// CHECK-NOT: nn.
func.func @movement() -> (tensor<2x3xi32>, tensor<4x8xi64>, tensor<2x3xi64>, tensor<3xi32>, tensor<2x2xi32>) {
  %a = arith.constant dense<[1, 2, 3, 4, 5, 6]> : tensor<6xi32>
  %r = nn.reshape %a : (tensor<6xi32>) -> tensor<2x3xi32>
  %s = arith.constant dense<7> : tensor<1x1xi64>
  %b = nn.broadcast %s : (tensor<1x1xi64>) -> tensor<4x8xi64>
  %p = arith.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi64>
  %q = arith.constant dense<9> : tensor<2x1xi64>
  %c = nn.concat %p, %q {axis = 1 : i64} : (tensor<2x2xi64>, tensor<2x1xi64>) -> tensor<2x3xi64>
  %sl = nn.slice %a {offsets = array<i64: 5>, strides = array<i64: -2>} : tensor<6xi32> -> tensor<3xi32>
  %idx = arith.constant dense<[-1, 0]> : tensor<2xi64>
  %g = nn.gather %r[%idx] {axis = 1 : i64} : (tensor<2x3xi32>, tensor<2xi64>) -> tensor<2x2xi32>
  return %r, %b, %c, %sl, %g : tensor<2x3xi32>, tensor<4x8xi64>, tensor<2x3xi64>, tensor<3xi32>, tensor<2x2xi32>
}

// The growth limit is max(1024, largest operand): a transpose of a
// 2048-element constant folds (here to a splat).
// CHECK-LABEL: func.func @large_operand
// CHECK: arith.constant dense<5.000000e-01> : tensor<64x32xf32>
// CHECK-NOT: nn.transpose
func.func @large_operand() -> tensor<64x32xf32> {
  %c = arith.constant dense<0.5> : tensor<32x64xf32>
  %t = nn.transpose %c {perm = array<i64: 1, 0>} : tensor<32x64xf32> -> tensor<64x32xf32>
  return %t : tensor<64x32xf32>
}

// ---- Negative cases: nothing folds below this line. ----

// A concat of two 1024-element constants: 2048 > max(1024, 1024).
// CHECK-LABEL: func.func @too_large_concat
// CHECK: nn.concat
func.func @too_large_concat() -> tensor<64x32xf32> {
  %a = arith.constant dense<1.0> : tensor<32x32xf32>
  %b = arith.constant dense<2.0> : tensor<32x32xf32>
  %c = nn.concat %a, %b {axis = 0 : i64} : (tensor<32x32xf32>, tensor<32x32xf32>) -> tensor<64x32xf32>
  return %c : tensor<64x32xf32>
}

// A non-constant operand.
// CHECK-LABEL: func.func @not_constant
// CHECK: nn.binary add
func.func @not_constant(%x: tensor<2xi64>) -> tensor<2xi64> {
  %c = arith.constant dense<1> : tensor<2xi64>
  %a = nn.binary add %x, %c : tensor<2xi64>, tensor<2xi64> -> tensor<2xi64>
  return %a : tensor<2xi64>
}

// A broadcast of a scalar to 2048 elements (> max(1024, 1)): stays.
// CHECK-LABEL: func.func @too_large_broadcast
// CHECK: nn.broadcast
func.func @too_large_broadcast() -> tensor<32x64xf32> {
  %s = arith.constant dense<1.0> : tensor<1x1xf32>
  %b = nn.broadcast %s : (tensor<1x1xf32>) -> tensor<32x64xf32>
  return %b : tensor<32x64xf32>
}

// shape_of of a dynamic dim, and a reshape to a dynamic shape.
// CHECK-LABEL: func.func @dynamic
// CHECK: nn.shape_of
// CHECK: nn.reshape
func.func @dynamic(%x: tensor<?x3xf32>) -> (tensor<2xi64>, tensor<?xi64>) {
  %s = nn.shape_of %x {start = 0 : i64, end = 2 : i64} : tensor<?x3xf32> -> tensor<2xi64>
  %c = arith.constant dense<[1, 2, 3, 4]> : tensor<4xi64>
  %r = nn.reshape %c : (tensor<4xi64>) -> tensor<?xi64>
  return %s, %r : tensor<2xi64>, tensor<?xi64>
}

// Unsupported: an op that is not folded (softmax), a float function not
// folded (gelu), an element type not folded (f16), signed division by zero
// (undefined in the lowering), a float-to-int cast out of range.
// CHECK-LABEL: func.func @unsupported
// CHECK: nn.softmax
// CHECK: nn.unary gelu
// CHECK: nn.binary add {{.*}}f16
// CHECK: nn.binary div
// CHECK: nn.cast
func.func @unsupported() -> (tensor<2xf32>, tensor<2xf32>, tensor<2xf16>, tensor<2xi64>, tensor<1xi32>) {
  %c = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %s = nn.softmax %c {axis = 0 : i64} : tensor<2xf32>
  %g = nn.unary gelu %c : tensor<2xf32> -> tensor<2xf32>
  %h = arith.constant dense<[1.0, 2.0]> : tensor<2xf16>
  %ha = nn.binary add %h, %h : tensor<2xf16>, tensor<2xf16> -> tensor<2xf16>
  %a = arith.constant dense<[4, 5]> : tensor<2xi64>
  %z = arith.constant dense<[2, 0]> : tensor<2xi64>
  %d = nn.binary div %a, %z : tensor<2xi64>, tensor<2xi64> -> tensor<2xi64>
  %big = arith.constant dense<3.0e9> : tensor<1xf32>
  %ci = nn.cast %big : tensor<1xf32> -> tensor<1xi32>
  return %s, %g, %ha, %d, %ci : tensor<2xf32>, tensor<2xf32>, tensor<2xf16>, tensor<2xi64>, tensor<1xi32>
}

// A reshape of a resource constant is the same blob under the new type (no
// copy of the weights).
// CHECK-LABEL: func.func @reshape_shares_blob
// CHECK: %[[C:.*]] = arith.constant dense_resource<big_w> : tensor<1x4x8xf32>
// CHECK-NOT: nn.reshape
// CHECK: return %[[C]]
func.func @reshape_shares_blob() -> tensor<1x4x8xf32> {
  %w = arith.constant dense_resource<big_w> : tensor<4x8xf32>
  %r = nn.reshape %w : (tensor<4x8xf32>) -> tensor<1x4x8xf32>
  return %r : tensor<1x4x8xf32>
}

// The transposed weight's blob starts with column 0 of %w: 0, 8, 16, 24
// (f32 little-endian after the 4-byte alignment header).
// CHECK: kiln_folded{{[_0-9]*}}: "0x040000000000000000000041000080410000C041

{-#
  dialect_resources: {
    builtin: {
      big_w: "0x0400000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    }
  }
#-}

