// RUN: kiln-opt --pass-pipeline='builtin.module(func.func(kiln-cpu-fresh-entry-results))' %s | FileCheck %s

// Every memref the kiln.entry function returns must be a distinct buffer that
// the caller owns.

// A fresh allocation returned once is left alone.
// CHECK-LABEL: func.func @fresh
// CHECK: %[[A:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NOT: memref.copy
// CHECK-NOT: memref.dealloc
// CHECK: return %[[A]]
func.func @fresh() -> memref<4xf32> attributes {kiln.entry} {
  %a = memref.alloc() : memref<4xf32>
  return %a : memref<4xf32>
}

// The same buffer returned twice: the second result is a copy; the original
// is returned, so it is not freed.
// CHECK-LABEL: func.func @twice
// CHECK: %[[A:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT: %[[C:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4xf32>
// CHECK-NEXT: memref.copy %[[A]], %[[C]]
// CHECK-NOT: memref.dealloc
// CHECK: return %[[A]], %[[C]]
func.func @twice() -> (memref<4xf32>, memref<4xf32>) attributes {kiln.entry} {
  %a = memref.alloc() : memref<4xf32>
  return %a, %a : memref<4xf32>, memref<4xf32>
}

// An argument and a global are copied and never freed.
// CHECK-LABEL: func.func @arg_and_global
// CHECK: memref.alloc() {alignment = 64 : i64} : memref<4xf32>
// CHECK: memref.copy %arg0
// CHECK: memref.alloc() {alignment = 64 : i64} : memref<4xf32>
// CHECK: memref.copy %{{.*}}, %{{.*}}
// CHECK-NOT: memref.dealloc
// CHECK: return
memref.global "private" constant @g : memref<4xf32> = dense<1.0>
func.func @arg_and_global(%x: memref<4xf32>) -> (memref<4xf32>, memref<4xf32>)
    attributes {kiln.entry} {
  %g = memref.get_global @g : memref<4xf32>
  return %x, %g : memref<4xf32>, memref<4xf32>
}

// A loop result may be the loop's init at run time: it is copied (dynamic
// size kept) and the original is freed unless its base pointer is also
// returned.
// CHECK-LABEL: func.func @loop_result
// CHECK: %[[R:.*]] = scf.for
// CHECK: %[[D:.*]] = memref.dim %[[R]], %{{.*}} : memref<?xf32>
// CHECK: %[[C:.*]] = memref.alloc(%[[D]]) {alignment = 64 : i64} : memref<?xf32>
// CHECK: memref.copy %[[R]], %[[C]]
// CHECK: memref.extract_aligned_pointer_as_index
// CHECK: arith.cmpi ne
// CHECK: scf.if
// CHECK-NEXT: memref.dealloc %[[R]]
// CHECK: return %[[C]]
func.func @loop_result(%n: index, %init: memref<?xf32>) -> memref<?xf32> attributes {kiln.entry} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%b = %init) -> (memref<?xf32>) {
    %d = memref.dim %b, %c0 : memref<?xf32>
    %f = memref.alloc(%d) : memref<?xf32>
    scf.yield %f : memref<?xf32>
  }
  return %r : memref<?xf32>
}

// Functions other than the entry are left alone.
// CHECK-LABEL: func.func @not_entry
// CHECK-NOT: memref.copy
// CHECK: return %arg0, %arg0
func.func @not_entry(%x: memref<4xf32>) -> (memref<4xf32>, memref<4xf32>) {
  return %x, %x : memref<4xf32>, memref<4xf32>
}
