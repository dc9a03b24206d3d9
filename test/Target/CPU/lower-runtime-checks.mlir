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
