// RUN: kiln-opt %s --split-input-file --kiln-cpu-forall-to-for | FileCheck %s --check-prefix=FOR
// RUN: kiln-opt %s --split-input-file --kiln-cpu-forall-to-for=mark=false | FileCheck %s --check-prefix=NOMARK

// kiln-cpu-forall-to-for: a forall on buffers becomes scf.for loops, the
// outermost marked kiln.parallel (not with mark=false).
// FOR-LABEL: func.func @buffers
// FOR-NOT: scf.forall
// FOR: scf.for %{{.*}} = %c0 to %c4 step %c1
// FOR: scf.for %{{.*}} = %c0{{.*}} to %c2 step %c1
// FOR: memref.store
// FOR: } {kiln.parallel}
// FOR: } {kiln.parallel}
// NOMARK-LABEL: func.func @buffers
// NOMARK-NOT: kiln.parallel
func.func @buffers(%m: memref<4x2xf32>) {
  %f = arith.constant 1.0 : f32
  scf.forall (%i, %j) in (4, 2) {
    memref.store %f, %m[%i, %j] : memref<4x2xf32>
  }
  return
}

