// RUN: kiln-opt %s --split-input-file --kiln-plan-memory --canonicalize --verify-diagnostics | FileCheck %s

// Three 256-byte buffers in a chain: %c reuses %a's bytes (dead by then);
// the returned buffer lives until the end of the run (the caller copies it
// out of the arena) and takes %b's bytes.

// CHECK: module attributes {kiln.arena = {bytes = 512 : i64, classes = [{buffers = 4 : i64, bytes = 512 : i64, factor = "1", lower_bound = 512 : i64}], heap = 0 : i64, lower_bound = 512 : i64, planned = 4 : i64, results = 1 : i64, size_function = "main_arena_bytes"}}
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:[a-z0-9_]+]]: memref<4x16xf32>, %[[ARENA:[a-z0-9_]+]]: memref<?xi8> {kiln.arena})
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C256:.*]] = arith.constant 256 : index
// CHECK: %[[A:.*]] = memref.view %[[ARENA]][%[[C0]]][] : memref<?xi8> to memref<4x16xf32>
// CHECK: memref.copy %[[X]], %[[A]]
// CHECK: %[[B:.*]] = memref.view %[[ARENA]][%[[C256]]][] : memref<?xi8> to memref<4x16xf32>
// CHECK: memref.copy %[[A]], %[[B]]
// CHECK: %[[C:.*]] = memref.view %[[ARENA]][%[[C0]]][] : memref<?xi8> to memref<4x16xf32>
// CHECK: memref.copy %[[B]], %[[C]]
// CHECK: %[[R:.*]] = memref.view %[[ARENA]][%[[C256]]][] : memref<?xi8> to memref<4x16xf32>
// CHECK: memref.copy %[[C]], %[[R]]
// CHECK-NOT: memref.dealloc
// CHECK: return %[[R]]
// CHECK-LABEL: func.func @main_arena_bytes(
// CHECK-SAME: memref<4x16xf32>) -> i64 attributes {llvm.emit_c_interface}
// CHECK: %[[N:.*]] = arith.constant 512 : i64
// CHECK: return %[[N]]
func.func @main(%x: memref<4x16xf32>) -> memref<4x16xf32> attributes {kiln.entry} {
  %a = memref.alloc() {alignment = 64 : i64} : memref<4x16xf32>
  memref.copy %x, %a : memref<4x16xf32> to memref<4x16xf32>
  %b = memref.alloc() : memref<4x16xf32>
  memref.copy %a, %b : memref<4x16xf32> to memref<4x16xf32>
  memref.dealloc %a : memref<4x16xf32>
  %c = memref.alloc() : memref<4x16xf32>
  memref.copy %b, %c : memref<4x16xf32> to memref<4x16xf32>
  memref.dealloc %b : memref<4x16xf32>
  %r = memref.alloc() : memref<4x16xf32>
  memref.copy %c, %r : memref<4x16xf32> to memref<4x16xf32>
  memref.dealloc %c : memref<4x16xf32>
  return %r : memref<4x16xf32>
}

// -----

// Sizes proportional to the batch: planned in bytes per batch item, the
// offsets scaled at run time; a view (collapse_shape) keeps its buffer alive;
// the result (n x 16 elements) is traced to 16 x the batch and shares its
// class, taking the bytes of %a (dead by then).

// CHECK: kiln.arena = {bytes = -1 : i64, classes = [{buffers = 3 : i64, bytes = 128 : i64, factor = "x[0]", lower_bound = 128 : i64}], heap = 0 : i64, lower_bound = -1 : i64, planned = 3 : i64, results = 1 : i64
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:[a-z0-9_]+]]: memref<?x16xf32> {kiln.name = "x"}, %[[ARENA:[a-z0-9_]+]]: memref<?xi8> {kiln.arena})
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[N:.*]] = memref.dim %[[X]], %[[C0]]
// CHECK: %[[OFF:.*]] = arith.muli %[[N]], %[[C64]] : index
// CHECK: %[[D:.*]] = memref.dim %[[X]], %[[C0]]
// CHECK: memref.view %[[ARENA]][%[[C0]]][%[[D]]] : memref<?xi8> to memref<?x16xf32>
// CHECK: memref.view %[[ARENA]][%[[OFF]]][%[[D]]] : memref<?xi8> to memref<?x16xf32>
// CHECK: %[[R:.*]] = memref.view %[[ARENA]][%[[C0]]][%{{.*}}] : memref<?xi8> to memref<?xf32>
// CHECK: return %[[R]]
// The size: 128 bytes per item.
// CHECK-LABEL: func.func @main_arena_bytes(
// CHECK-SAME: %[[Y:[a-z0-9_]+]]: memref<?x16xf32>) -> i64
// CHECK-DAG: %[[C128:.*]] = arith.constant 128 : index
// CHECK: %[[DY:.*]] = memref.dim %[[Y]]
// CHECK: %[[B:.*]] = arith.muli %[[DY]], %[[C128]] : index
// CHECK: %[[I:.*]] = arith.index_cast %[[B]] : index to i64
// CHECK: return %[[I]]
func.func @main(%x: memref<?x16xf32> {kiln.name = "x"}) -> memref<?xf32> attributes {kiln.entry} {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x16xf32>
  %a = memref.alloc(%n) : memref<?x16xf32>
  memref.copy %x, %a : memref<?x16xf32> to memref<?x16xf32>
  %b = memref.alloc(%n) : memref<?x16xf32>
  %flat = memref.collapse_shape %a [[0, 1]] : memref<?x16xf32> into memref<?xf32>
  %bflat = memref.collapse_shape %b [[0, 1]] : memref<?x16xf32> into memref<?xf32>
  memref.copy %flat, %bflat : memref<?xf32> to memref<?xf32>
  %c16 = arith.constant 16 : index
  %n16 = arith.muli %n, %c16 : index
  %r = memref.alloc(%n16) : memref<?xf32>
  memref.copy %bflat, %r : memref<?xf32> to memref<?xf32>
  memref.dealloc %a : memref<?x16xf32>
  memref.dealloc %b : memref<?x16xf32>
  return %r : memref<?xf32>
}

// -----

// Sizes traced through the shapes a model's graph computes at run time: the
// dim of a guard's result (a buffer, or a 0-sized placeholder when a check
// failed) is the guarded buffer's size; a select between two values that
// trace to the same factor, and an exact division of a multiple, are that
// factor.  Those four buffers share the batch's class (8 + 64 + 64 + 32
// bytes per item, all live at once); the 0-sized placeholder is the static
// class.  A select between the batch and another input's dim, on a
// condition computed during the run (%bad), stays on the heap.

// CHECK: kiln.arena = {bytes = -1 : i64, classes = [{buffers = 1 : i64, bytes = 0 : i64, factor = "1", lower_bound = 0 : i64}, {buffers = 4 : i64, bytes = 168 : i64, factor = "x[0]", lower_bound = 168 : i64}], heap = 1 : i64, lower_bound = -1 : i64, planned = 5 : i64, results = 0 : i64
// CHECK-LABEL: func.func @main(
// CHECK-COUNT-1: memref.alloc(
// CHECK-NOT: memref.alloc(
// CHECK: return
func.func private @use(memref<?xf32>, memref<?x16xf32>, memref<?x16xf32>, memref<?x2xf32>, memref<?x16xf32>)
func.func @main(%x: memref<?x16xf32> {kiln.name = "x"}, %y: memref<?xf32> {kiln.name = "y"}, %ok: i1) attributes {kiln.entry} {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : index
  %n = memref.dim %x, %c0 : memref<?x16xf32>
  %m = memref.dim %y, %c0 : memref<?xf32>
  %n2 = arith.muli %n, %c2 : index
  %a = memref.alloc(%n2) : memref<?xf32>
  %g = scf.if %ok -> (memref<?x16xf32>) {
    %b = memref.alloc(%n) : memref<?x16xf32>
    scf.yield %b : memref<?x16xf32>
  } else {
    %z = memref.alloc() : memref<0x16xf32>
    %zc = memref.cast %z : memref<0x16xf32> to memref<?x16xf32>
    scf.yield %zc : memref<?x16xf32>
  }
  %gd = memref.dim %g, %c0 : memref<?x16xf32>
  %c = memref.alloc(%gd) : memref<?x16xf32>
  %is0 = arith.cmpi eq, %gd, %c0 : index
  %sel = arith.select %is0, %n, %gd : index
  %n16 = arith.muli %sel, %c8 : index
  %half = arith.divui %n16, %c2 : index
  %d = memref.alloc(%half) : memref<?x2xf32>
  %bad = arith.select %is0, %n, %m : index
  %e = memref.alloc(%bad) : memref<?x16xf32>
  func.call @use(%a, %g, %c, %d, %e) : (memref<?xf32>, memref<?x16xf32>, memref<?x16xf32>, memref<?x2xf32>, memref<?x16xf32>) -> ()
  memref.dealloc %a : memref<?xf32>
  memref.dealloc %c : memref<?x16xf32>
  memref.dealloc %d : memref<?x2xf32>
  memref.dealloc %e : memref<?x16xf32>
  return
}

// -----

// A buffer used inside a loop lives until the loop ends, even where its last
// use in the body comes before another buffer of the body: %b must not take
// %a's bytes (the next iteration reads %a again).

// CHECK: kiln.arena = {bytes = 768 : i64
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[ARENA:[a-z0-9_]+]]: memref<?xi8> {kiln.arena})
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C256:.*]] = arith.constant 256 : index
// CHECK-DAG: %[[C512:.*]] = arith.constant 512 : index
// CHECK: memref.view %[[ARENA]][%[[C0]]][]
// CHECK: memref.view %[[ARENA]][%[[C256]]][]
// CHECK: scf.for
// CHECK: memref.view %[[ARENA]][%[[C512]]][]
func.func @main(%x: memref<4x16xf32>, %y: memref<4x16xf32>) -> memref<4x16xf32> attributes {kiln.entry} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %a = memref.alloc() : memref<4x16xf32>
  memref.copy %x, %a : memref<4x16xf32> to memref<4x16xf32>
  %r = memref.alloc() : memref<4x16xf32>
  scf.for %i = %c0 to %c4 step %c1 {
    memref.copy %a, %r : memref<4x16xf32> to memref<4x16xf32>
    %b = memref.alloc() : memref<4x16xf32>
    memref.copy %y, %b : memref<4x16xf32> to memref<4x16xf32>
    memref.copy %b, %r : memref<4x16xf32> to memref<4x16xf32>
    memref.dealloc %b : memref<4x16xf32>
  }
  memref.dealloc %a : memref<4x16xf32>
  return %r : memref<4x16xf32>
}

// -----

// Left on the heap: a buffer carried across loop iterations, one whose size
// is read from memory during the run, one that goes through an op with an
// unknown aliasing (a memref select).

// CHECK: kiln.arena = {bytes = 0 : i64, classes = [], heap = 4 : i64, lower_bound = 0 : i64, planned = 0 : i64, results = 0 : i64, size_function = ""}
// CHECK-LABEL: func.func @main(
// CHECK-NOT: kiln.arena
// CHECK-NOT: memref.view
// CHECK-NOT: @main_arena_bytes
func.func @main(%x: memref<4xf32>, %s: memref<index>, %p: i1) -> memref<4xf32> attributes {kiln.entry} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %init = memref.alloc() : memref<4xf32>
  %l = scf.for %i = %c0 to %c4 step %c1 iter_args(%acc = %init) -> (memref<4xf32>) {
    %next = memref.alloc() : memref<4xf32>
    memref.copy %acc, %next : memref<4xf32> to memref<4xf32>
    scf.yield %next : memref<4xf32>
  }
  %n = memref.load %s[] : memref<index>
  %d = memref.alloc(%n) : memref<?xf32>
  memref.dealloc %d : memref<?xf32>
  %u = memref.alloc() : memref<4xf32>
  %sel = arith.select %p, %u, %x : memref<4xf32>
  memref.copy %sel, %l : memref<4xf32> to memref<4xf32>
  return %l : memref<4xf32>
}

// -----

// expected-error @below {{no function has the 'kiln.entry' attribute}}
module {
  func.func @f(%x: memref<4xf32>) {
    return
  }
}

// -----

// A run-time check's guard yields a buffer or, when the check failed, a
// placeholder: both are planned (the guard's result keeps them alive) and
// the result's deallocation is erased; a size the guard yields, with 0 on
// the failed branch, is bounded by the other branch's size.

// CHECK: kiln.arena = {bytes = -1 : i64, {{.*}} heap = 0 : i64, lower_bound = -1 : i64, planned = 3 : i64, results = 1 : i64
// CHECK-LABEL: func.func @main(
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.dealloc
// CHECK: return
func.func @main(%x: memref<?xf32> {kiln.name = "x"}, %ok: i1) -> memref<?xf32> attributes {kiln.entry} {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?xf32>
  %r:2 = scf.if %ok -> (memref<?xf32>, index) {
    %a = memref.alloc(%n) : memref<?xf32>
    memref.copy %x, %a : memref<?xf32> to memref<?xf32>
    scf.yield %a, %n : memref<?xf32>, index
  } else {
    %p = memref.alloc(%c0) : memref<?xf32>
    scf.yield %p, %c0 : memref<?xf32>, index
  }
  %b = memref.alloc(%r#1) : memref<?xf32>
  memref.copy %r#0, %b : memref<?xf32> to memref<?xf32>
  memref.dealloc %r#0 : memref<?xf32>
  return %b : memref<?xf32>
}

// -----

// A guard whose other branch yields something that is not a planned buffer
// (here an argument): the buffer it may stand for stays on the heap.

// CHECK: kiln.arena = {bytes = 64 : i64, {{.*}} heap = 1 : i64, lower_bound = 64 : i64, planned = 1 : i64, results = 1 : i64
// CHECK-LABEL: func.func @main(
// CHECK: scf.if
// CHECK: memref.alloc() : memref<4xf32>
func.func @main(%x: memref<4xf32>, %ok: i1) -> memref<4xf32> attributes {kiln.entry} {
  %r = scf.if %ok -> (memref<4xf32>) {
    %a = memref.alloc() : memref<4xf32>
    memref.copy %x, %a : memref<4xf32> to memref<4xf32>
    scf.yield %a : memref<4xf32>
  } else {
    scf.yield %x : memref<4xf32>
  }
  %b = memref.alloc() : memref<4xf32>
  memref.copy %r, %b : memref<4xf32> to memref<4xf32>
  return %b : memref<4xf32>
}

// -----

// Four buffers that the ordering heuristics place in 512 bytes (largest
// first, longest-lived first, program order) while 448 (the lower bound:
// %a, %d and %c live together) fits them: the local search over the
// placement order finds it.  %b [128, 384) dies before %d and %c come;
// %a [0, 128), %c [128, 320) and %d [320, 448) are disjoint.

// CHECK: kiln.arena = {bytes = 448 : i64, classes = [{buffers = 4 : i64, bytes = 448 : i64, factor = "1", lower_bound = 448 : i64}]
// CHECK-LABEL: func.func @main(
// CHECK: memref.view %{{.*}}[%c128][] : memref<?xi8> to memref<64xf32>
// CHECK: memref.view %{{.*}}[%c0][] : memref<?xi8> to memref<32xf32>
// CHECK: memref.view %{{.*}}[%c320][] : memref<?xi8> to memref<32xf32>
// CHECK: memref.view %{{.*}}[%c128][] : memref<?xi8> to memref<48xf32>
func.func @main(%x: memref<4xf32>) attributes {kiln.entry} {
  %cst = arith.constant 1.0 : f32
  %b = memref.alloc() : memref<64xf32>
  linalg.fill ins(%cst : f32) outs(%b : memref<64xf32>)
  %a = memref.alloc() : memref<32xf32>
  linalg.fill ins(%cst : f32) outs(%a : memref<32xf32>)
  linalg.fill ins(%cst : f32) outs(%b : memref<64xf32>)
  memref.dealloc %b : memref<64xf32>
  %d = memref.alloc() : memref<32xf32>
  linalg.fill ins(%cst : f32) outs(%d : memref<32xf32>)
  %c = memref.alloc() : memref<48xf32>
  linalg.fill ins(%cst : f32) outs(%c : memref<48xf32>)
  linalg.fill ins(%cst : f32) outs(%a : memref<32xf32>)
  memref.dealloc %a : memref<32xf32>
  linalg.fill ins(%cst : f32) outs(%d : memref<32xf32>)
  memref.dealloc %d : memref<32xf32>
  linalg.fill ins(%cst : f32) outs(%c : memref<48xf32>)
  memref.dealloc %c : memref<48xf32>
  return
}

// -----

// The deallocation pipeline's aliasing checks at the end of the run read
// %a's address (extract_strided_metadata, extract_aligned_pointer_as_index)
// and free its base buffer under a condition: an address is no access to
// the data, so %a dies after its copy into %b and %c takes its bytes; the
// guarded dealloc is erased.

// CHECK: kiln.arena = {bytes = 128 : i64, classes = [{buffers = 3 : i64, bytes = 128 : i64, factor = "1", lower_bound = 128 : i64}]
// CHECK-LABEL: func.func @main(
// CHECK: memref.view %{{.*}}[%c0][] : memref<?xi8> to memref<16xf32>
// CHECK: memref.view %{{.*}}[%c64][] : memref<?xi8> to memref<16xf32>
// CHECK: memref.view %{{.*}}[%c0][] : memref<?xi8> to memref<16xf32>
// CHECK-NOT: memref.dealloc
// CHECK: return
func.func @main(%x: memref<16xf32>) -> memref<16xf32> attributes {kiln.entry} {
  %a = memref.alloc() : memref<16xf32>
  memref.copy %x, %a : memref<16xf32> to memref<16xf32>
  %b = memref.alloc() : memref<16xf32>
  memref.copy %a, %b : memref<16xf32> to memref<16xf32>
  %c = memref.alloc() : memref<16xf32>
  memref.copy %b, %c : memref<16xf32> to memref<16xf32>
  %base, %off, %sz, %st = memref.extract_strided_metadata %a : memref<16xf32> -> memref<f32>, index, index, index
  %p = memref.extract_aligned_pointer_as_index %base : memref<f32> -> index
  %q = memref.extract_aligned_pointer_as_index %c : memref<16xf32> -> index
  %same = arith.cmpi eq, %p, %q : index
  scf.if %same {
  } else {
    memref.dealloc %base : memref<f32>
  }
  memref.dealloc %b : memref<16xf32>
  return %c : memref<16xf32>
}

// -----

// The same metadata's base buffer read through a reinterpret_cast after %c
// is written: a real use, so %a lives until then and %c gets bytes of its
// own.

// CHECK: kiln.arena = {bytes = 192 : i64, classes = [{buffers = 3 : i64, bytes = 192 : i64, factor = "1", lower_bound = 192 : i64}]
// CHECK-LABEL: func.func @main(
// CHECK: memref.view %{{.*}}[%c0][] : memref<?xi8> to memref<16xf32>
// CHECK: memref.view %{{.*}}[%c64][] : memref<?xi8> to memref<16xf32>
// CHECK: memref.view %{{.*}}[%c128][] : memref<?xi8> to memref<16xf32>
func.func @main(%x: memref<16xf32>) -> memref<16xf32> attributes {kiln.entry} {
  %a = memref.alloc() : memref<16xf32>
  memref.copy %x, %a : memref<16xf32> to memref<16xf32>
  %b = memref.alloc() : memref<16xf32>
  memref.copy %a, %b : memref<16xf32> to memref<16xf32>
  %c = memref.alloc() : memref<16xf32>
  memref.copy %b, %c : memref<16xf32> to memref<16xf32>
  %base, %off, %sz, %st = memref.extract_strided_metadata %a : memref<16xf32> -> memref<f32>, index, index, index
  %r = memref.reinterpret_cast %base to offset: [0], sizes: [16], strides: [1] : memref<f32> to memref<16xf32>
  memref.copy %r, %c : memref<16xf32> to memref<16xf32>
  memref.dealloc %a : memref<16xf32>
  memref.dealloc %b : memref<16xf32>
  return %c : memref<16xf32>
}
