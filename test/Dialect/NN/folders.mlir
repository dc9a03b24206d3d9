// RUN: kiln-opt --canonicalize --split-input-file %s | FileCheck %s

// Data movement that moves nothing folds to its input.
// CHECK-LABEL: func.func @identities
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[S:.*]]: tensor<2xi64>)
// CHECK-NOT: nn.
// CHECK: return %[[X]], %[[X]], %[[X]], %[[X]], %[[X]], %[[X]], %[[X]], %[[X]]
func.func @identities(%x: tensor<2x3xf32>, %s: tensor<2xi64>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %t = nn.transpose %x {perm = array<i64: 0, 1>} : tensor<2x3xf32> -> tensor<2x3xf32>
  %r = nn.reshape %x : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %rs = nn.reshape %x, %s : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<2x3xf32>
  %b = nn.broadcast %x : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %c = nn.cast %x : tensor<2x3xf32> -> tensor<2x3xf32>
  %sl = nn.slice %x {offsets = array<i64: 0, 0>, strides = array<i64: 1, 1>} : tensor<2x3xf32> -> tensor<2x3xf32>
  %p = nn.pad %x {pads = array<i64: 0, 0, 0, 0>, value = 1.0 : f64} : tensor<2x3xf32> -> tensor<2x3xf32>
  %k = nn.concat %x {axis = 1 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %t, %r, %rs, %b, %c, %sl, %p, %k : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// Dynamic types: an identity permutation, a cast, a zero pad and a one-input
// concat still fold (their result dims are the input's).
// CHECK-LABEL: func.func @dynamic_identities
// CHECK-SAME: (%[[X:.*]]: tensor<?x3xi8>)
// CHECK-NOT: nn.
// CHECK: return %[[X]], %[[X]], %[[X]], %[[X]]
func.func @dynamic_identities(%x: tensor<?x3xi8>) -> (tensor<?x3xi8>, tensor<?x3xi8>, tensor<?x3xi8>, tensor<?x3xi8>) {
  %t = nn.transpose %x {perm = array<i64: 0, 1>} : tensor<?x3xi8> -> tensor<?x3xi8>
  %c = nn.cast %x {unsigned_src, unsigned_dst} : tensor<?x3xi8> -> tensor<?x3xi8>
  %p = nn.pad %x {pads = array<i64: 0, 0, 0, 0>, value = 0.0 : f64} : tensor<?x3xi8> -> tensor<?x3xi8>
  %k = nn.concat %x {axis = 0 : i64} : (tensor<?x3xi8>) -> tensor<?x3xi8>
  return %t, %c, %p, %k : tensor<?x3xi8>, tensor<?x3xi8>, tensor<?x3xi8>, tensor<?x3xi8>
}

// -----

// Negative cases: each op moves or converts something and stays.
// CHECK-LABEL: func.func @not_identities
// CHECK: nn.transpose %{{.*}} {perm = array<i64: 1, 0>}
// CHECK: nn.transpose %{{.*}} {perm = array<i64: 1, 0>} : tensor<3x3xf32> -> tensor<3x3xf32>
// CHECK: nn.reshape %{{.*}} : (tensor<2x3xf32>) -> tensor<3x2xf32>
// CHECK: nn.broadcast %{{.*}} : (tensor<1x3xf32>) -> tensor<2x3xf32>
// CHECK: nn.cast %{{.*}} : tensor<2x3xf32> -> tensor<2x3xf16>
// CHECK: nn.slice %{{.*}} {offsets = array<i64: 0, 1>, strides = array<i64: 1, 1>} : tensor<2x3xf32> -> tensor<2x2xf32>
// CHECK: nn.slice %{{.*}} {offsets = array<i64: 0, 2>, strides = array<i64: 1, -1>} : tensor<2x3xf32> -> tensor<2x3xf32>
// CHECK: nn.pad %{{.*}} {pads = array<i64: 0, 1, 0, 0>, value = 0.000000e+00 : f64} : tensor<2x3xf32> -> tensor<2x4xf32>
// CHECK: nn.concat %{{.*}}, %{{.*}} {axis = 0 : i64}
func.func @not_identities(%x: tensor<2x3xf32>, %q: tensor<3x3xf32>, %y: tensor<1x3xf32>) -> (tensor<3x2xf32>, tensor<3x3xf32>, tensor<3x2xf32>, tensor<2x3xf32>, tensor<2x3xf16>, tensor<2x2xf32>, tensor<2x3xf32>, tensor<2x4xf32>, tensor<4x3xf32>) {
  %t = nn.transpose %x {perm = array<i64: 1, 0>} : tensor<2x3xf32> -> tensor<3x2xf32>
  // Same type, but not the identity permutation.
  %tq = nn.transpose %q {perm = array<i64: 1, 0>} : tensor<3x3xf32> -> tensor<3x3xf32>
  %r = nn.reshape %x : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %b = nn.broadcast %y : (tensor<1x3xf32>) -> tensor<2x3xf32>
  %c = nn.cast %x : tensor<2x3xf32> -> tensor<2x3xf16>
  %s = nn.slice %x {offsets = array<i64: 0, 1>, strides = array<i64: 1, 1>} : tensor<2x3xf32> -> tensor<2x2xf32>
  // All of it, but reversed.
  %rev = nn.slice %x {offsets = array<i64: 0, 2>, strides = array<i64: 1, -1>} : tensor<2x3xf32> -> tensor<2x3xf32>
  %p = nn.pad %x {pads = array<i64: 0, 1, 0, 0>, value = 0.0 : f64} : tensor<2x3xf32> -> tensor<2x4xf32>
  %k = nn.concat %x, %x {axis = 0 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<4x3xf32>
  return %t, %tq, %r, %b, %c, %s, %rev, %p, %k : tensor<3x2xf32>, tensor<3x3xf32>, tensor<3x2xf32>, tensor<2x3xf32>, tensor<2x3xf16>, tensor<2x2xf32>, tensor<2x3xf32>, tensor<2x4xf32>, tensor<4x3xf32>
}

// -----

// Negative cases with run-time dims: a same-type reshape or broadcast of a
// dynamic type may change the dims at run time (its `shape` operand; a size-1
// input dim that broadcasts); reshape, broadcast and slice fold only with
// static types.
// CHECK-LABEL: func.func @dynamic_not_identities
// CHECK: nn.reshape %{{.*}}, %{{.*}} : (tensor<?x?xf32>, tensor<2xi64>) -> tensor<?x?xf32>
// CHECK: nn.broadcast %{{.*}}, %{{.*}} : (tensor<?x3xf32>, tensor<2xi64>) -> tensor<?x3xf32>
// CHECK: nn.slice %{{.*}} {offsets = array<i64: 0, 0>, strides = array<i64: 1, 1>} : tensor<?x3xf32> -> tensor<?x3xf32>
func.func @dynamic_not_identities(%x: tensor<?x?xf32>, %s: tensor<2xi64>, %y: tensor<?x3xf32>) -> (tensor<?x?xf32>, tensor<?x3xf32>, tensor<?x3xf32>) {
  %r = nn.reshape %x, %s : (tensor<?x?xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  %b = nn.broadcast %y, %s : (tensor<?x3xf32>, tensor<2xi64>) -> tensor<?x3xf32>
  %sl = nn.slice %y {offsets = array<i64: 0, 0>, strides = array<i64: 1, 1>} : tensor<?x3xf32> -> tensor<?x3xf32>
  return %r, %b, %sl : tensor<?x?xf32>, tensor<?x3xf32>, tensor<?x3xf32>
}
