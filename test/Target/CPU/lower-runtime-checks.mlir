// RUN: kiln-opt --split-input-file --verify-diagnostics --kiln-cpu-lower-runtime-checks %s | FileCheck %s

// Checks are numbered in walk order; their messages become the module
// attribute kiln.checks; each becomes a call of the recorder when the
// condition is false, with missing values 0.
// CHECK-LABEL: module attributes {kiln.checks = ["first {0}", "second {0} {1} {2}"]}
// CHECK: func.func private @kiln_check_failed(i32, i64, i64, i64)
// CHECK-LABEL: func.func @main
// CHECK: %[[N1:.*]] = arith.xori %arg0, %true
// CHECK: scf.if %[[N1]] {
// CHECK-DAG: %[[ID1:.*]] = arith.constant 1 : i32
// CHECK-DAG: %[[Z:.*]] = arith.constant 0 : i64
// CHECK: func.call @kiln_check_failed(%[[ID1]], %arg1, %[[Z]], %[[Z]])
// CHECK: %[[N2:.*]] = arith.xori %arg0, %true
// CHECK: scf.if %[[N2]] {
// CHECK: %[[ID2:.*]] = arith.constant 2 : i32
// CHECK: func.call @kiln_check_failed(%[[ID2]], %arg1, %arg1, %arg1)
// CHECK-NOT: nn.check
module {
  func.func @main(%ok: i1, %v: i64) {
    nn.check %ok, "first {0}", %v
    nn.check %ok, "second {0} {1} {2}", %v, %v, %v
    return
  }
}

// -----

// No check: nothing is added.
// CHECK-LABEL: module {
// CHECK-NOT: kiln_check_failed
// CHECK-NOT: kiln.checks
module {
  func.func @main() {
    return
  }
}

// -----

// The recorder's name is reserved.
module {
  // expected-error @+1 {{'kiln_check_failed' is reserved for the run-time check recorder}}
  func.func private @kiln_check_failed(i32)
  func.func @main(%ok: i1) {
    nn.check %ok, "m"
    return
  }
}

// -----

// Consecutive stop checks share one exit: the rest of the function runs
// under the conjunction of their conditions; the other branch yields
// placeholders (an empty tensor with dynamic sizes 0, zero) for the values
// used after it; values defined before the checks are used directly.
// CHECK-LABEL: module attributes {kiln.checks = ["a {0}", "b {0}", "c"]}
// CHECK: func.func private @kiln_check_ok() -> i1
// CHECK-LABEL: func.func @main
// CHECK: func.call @kiln_check_failed(%c1_i32
// CHECK: %[[OK:.*]] = arith.andi %arg0, %arg1 : i1
// CHECK: func.call @kiln_check_failed(%c2_i32
// CHECK: %[[R:.*]]:2 = scf.if %[[OK]] -> (tensor<?xf32>, i64) {
// CHECK: tensor.empty(%arg3)
// CHECK: arith.addi %arg2, %arg2
// CHECK: func.call @kiln_check_failed(%c3_i32
// CHECK: scf.yield
// CHECK: } else {
// CHECK-DAG: %[[Z:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[E:.*]] = tensor.empty(%[[Z]]) : tensor<?xf32>
// CHECK-DAG: %[[ZI:.*]] = arith.constant 0 : i64
// CHECK: scf.yield %[[E]], %[[ZI]] : tensor<?xf32>, i64
// CHECK: return %[[R]]#0, %[[R]]#1, %arg4
module {
  func.func @main(%ok1: i1, %ok2: i1, %v: i64, %n: index, %x: tensor<?xf32>) -> (tensor<?xf32>, i64, tensor<?xf32>) {
    nn.check %ok1, "a {0}", %v {stop}
    nn.check %ok2, "b {0}", %v {stop}
    %y = tensor.empty(%n) : tensor<?xf32>
    %z = arith.addi %v, %v : i64
    nn.check %ok1, "c"
    return %y, %z, %x : tensor<?xf32>, i64, tensor<?xf32>
  }
}

// -----

// A view defined after the checks and used by the next segment is not
// yielded: its source and size are, and the view is made again after the
// guard, so that the guard's result bufferizes to the source's layout and
// not to a strided one.  A value the terminator uses is yielded as is.
// CHECK-LABEL: func.func @main
// CHECK: %[[G:.*]]:2 = scf.if %arg0 -> (index, tensor<?x8xf32>) {
// CHECK: %[[Y:.*]] = linalg.copy
// CHECK: %[[M:.*]] = arith.addi
// CHECK: tensor.extract_slice %[[Y]]
// CHECK: scf.yield %[[M]], %[[Y]] : index, tensor<?x8xf32>
// CHECK: } else {
// CHECK: %[[V:.*]] = tensor.extract_slice %[[G]]#1[0, 0] [%[[G]]#0, 4] [1, 1]
// CHECK: scf.if %arg1 -> (tensor<?x4xf32>) {
// CHECK: linalg.copy ins(%[[V]] : tensor<?x4xf32>)
module {
  func.func @main(%ok1: i1, %ok2: i1, %n: index, %x: tensor<?x8xf32>) -> tensor<?x4xf32> {
    nn.check %ok1, "a" {stop}
    %y = linalg.copy ins(%x : tensor<?x8xf32>) outs(%x : tensor<?x8xf32>) -> tensor<?x8xf32>
    %m = arith.addi %n, %n : index
    %v = tensor.extract_slice %y[0, 0] [%m, 4] [1, 1] : tensor<?x8xf32> to tensor<?x4xf32>
    nn.check %ok2, "b" {stop}
    %e = tensor.empty(%m) : tensor<?x4xf32>
    %z = linalg.copy ins(%v : tensor<?x4xf32>) outs(%e : tensor<?x4xf32>) -> tensor<?x4xf32>
    return %z : tensor<?x4xf32>
  }
}

// -----

// In a loop body: the rest of the iteration is skipped (the iteration
// arguments go on unchanged), every iteration starts with a guard on
// kiln_check_ok(), and the code after the loop runs only if no check
// failed.  The same after an scf.if whose branch stops.  The guards are
// siblings: the second one's condition is a result of the first (false
// when the first was skipped).
// CHECK-LABEL: func.func @main
// CHECK: %[[LOOP:.*]] = scf.for {{.*}} iter_args(%[[A:.*]] = %arg3)
// CHECK-NEXT: %[[OKI:.*]] = func.call @kiln_check_ok() : () -> i1
// CHECK-NEXT: scf.if %[[OKI]] {
// CHECK: func.call @kiln_check_failed
// CHECK: %[[IN:.*]] = scf.if %arg1 -> (tensor<4xf32>) {
// CHECK-NEXT: arith.addf %[[A]], %[[A]]
// CHECK: } else {
// CHECK-NEXT: scf.yield %[[A]]
// CHECK: scf.yield %[[IN]]
// CHECK: %[[OK1:.*]] = call @kiln_check_ok()
// CHECK-NEXT: %[[AFTER:.*]]:2 = scf.if %[[OK1]] -> (tensor<4xf32>, i1) {
// CHECK: %[[BR:.*]] = scf.if %arg0
// CHECK: func.call @kiln_check_failed
// CHECK: %[[OK2:.*]] = func.call @kiln_check_ok()
// CHECK-NEXT: scf.yield %[[BR]], %[[OK2]]
// CHECK: } else {
// CHECK-DAG: tensor.empty() : tensor<4xf32>
// CHECK-DAG: %[[F:.*]] = arith.constant false
// CHECK: %[[LAST:.*]] = scf.if %[[AFTER]]#1 -> (tensor<4xf32>) {
// CHECK-NEXT: arith.addf %[[AFTER]]#0, %[[AFTER]]#0
// CHECK: } else {
// CHECK-NEXT: tensor.empty() : tensor<4xf32>
// CHECK: return %[[LAST]]
module {
  func.func @main(%c: i1, %ok: i1, %n: index, %x: tensor<4xf32>) -> tensor<4xf32> {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %r = scf.for %i = %c0 to %n step %c1 iter_args(%a = %x) -> tensor<4xf32> {
      nn.check %ok, "loop" {stop}
      %b = arith.addf %a, %a : tensor<4xf32>
      scf.yield %b : tensor<4xf32>
    }
    %s = scf.if %c -> tensor<4xf32> {
      nn.check %ok, "then" {stop}
      scf.yield %r : tensor<4xf32>
    } else {
      scf.yield %x : tensor<4xf32>
    }
    %t = arith.addf %s, %s : tensor<4xf32>
    return %t : tensor<4xf32>
  }
}

// -----

// In an scf.while body: the rest is skipped with placeholders and the
// condition is anded with kiln_check_ok(), which ends the loop.
// CHECK-LABEL: func.func @main
// CHECK: scf.while
// CHECK: %[[C:.*]] = arith.cmpi slt
// CHECK-NEXT: %[[OK:.*]] = func.call @kiln_check_ok()
// CHECK-NEXT: %[[BOTH:.*]] = arith.andi %[[C]], %[[OK]]
// CHECK-NEXT: scf.condition(%[[BOTH]])
// CHECK: } do {
// CHECK: scf.if %arg1 -> (i64) {
// CHECK: } else {
// CHECK-NEXT: %[[Z:.*]] = arith.constant 0 : i64
// CHECK-NEXT: scf.yield %[[Z]]
module {
  func.func @main(%n: i64, %ok: i1) -> i64 {
    %c0 = arith.constant 0 : i64
    %c1 = arith.constant 1 : i64
    %r = scf.while (%i = %c0) : (i64) -> i64 {
      %c = arith.cmpi slt, %i, %n : i64
      scf.condition(%c) %i : i64
    } do {
    ^bb0(%j: i64):
      nn.check %ok, "body" {stop}
      %k = arith.addi %j, %c1 : i64
      scf.yield %k : i64
    }
    return %r : i64
  }
}

// -----

// A region that yields a type with no placeholder cannot stop.
module {
  func.func @main(%ok: i1, %m: memref<4xf32>) -> memref<4xf32> {
    nn.check %ok, "m" {stop}
    // expected-error @+1 {{cannot end the run after a failed check: no placeholder for a value of type 'memref<4xf32>'}}
    %c = memref.cast %m : memref<4xf32> to memref<4xf32>
    return %c : memref<4xf32>
  }
}

// -----

// kiln_check_ok is reserved as well.
module {
  // expected-error @+1 {{'kiln_check_ok' is reserved for the run-time check recorder}}
  func.func private @kiln_check_ok() -> i32
  func.func @main(%ok: i1) {
    nn.check %ok, "m" {stop}
    return
  }
}
