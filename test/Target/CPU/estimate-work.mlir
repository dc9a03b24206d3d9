// RUN: kiln-opt %s --split-input-file --kiln-cpu-estimate-work | FileCheck %s

// A run's work per batch item (kiln-cpu-estimate-work): the iterations of
// every linalg op (the product of its loop ranges), ops inside a loop with
// constant bounds once per iteration, a dynamic range (the batch) counted
// as 1.  The artifact writer runs a run with less work than
// kMinParallelRunWork on one thread.

// 16 x 16 x 16 (matmul) + 16 x 16 (fill) + 3 x 16 x 16 (the fill in a
// loop of 3 trips) = 5120.
// CHECK: module attributes {kiln.run_work = 5120 : i64}
// CHECK-LABEL: func.func @static
func.func @static(%a: memref<16x16xf32>, %b: memref<16x16xf32>, %c: memref<16x16xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<16x16xf32>)
  linalg.matmul ins(%a, %b : memref<16x16xf32>, memref<16x16xf32>) outs(%c : memref<16x16xf32>)
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  scf.for %i = %c0 to %c3 step %c1 {
    linalg.fill ins(%zero : f32) outs(%c : memref<16x16xf32>)
  }
  return
}

// -----

// One dynamic range per op (the batch): counted as 1, so the figure is per
// batch item; a loop over the batch counts as that op's dynamic range.
// 1 x 8 x 32 (fill) + 1 x 4 x 8 (fill in the batch loop) = 288.
// CHECK: module attributes {kiln.run_work = 288 : i64}
// CHECK-LABEL: func.func @batch
func.func @batch(%x: memref<?x8x32xf32>, %y: memref<?x4x8xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%x : memref<?x8x32xf32>)
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %y, %c0 : memref<?x4x8xf32>
  scf.for %i = %c0 to %n step %c1 {
    %s = memref.subview %y[%i, 0, 0] [1, 4, 8] [1, 1, 1] : memref<?x4x8xf32> to memref<4x8xf32, strided<[8, 1], offset: ?>>
    linalg.fill ins(%zero : f32) outs(%s : memref<4x8xf32, strided<[8, 1], offset: ?>>)
  }
  return
}

// -----

// Two dynamic ranges (batch x sequence): the work does not scale with the
// batch alone, so nothing is recorded (every run may use the threads).
// CHECK-NOT: kiln.run_work
// CHECK-LABEL: func.func @two_dynamic
func.func @two_dynamic(%x: memref<?x?xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%x : memref<?x?xf32>)
  return
}

// -----

// The batch loop and a dynamic range of the op inside it: two.
// CHECK-NOT: kiln.run_work
// CHECK-LABEL: func.func @loop_and_dynamic
func.func @loop_and_dynamic(%x: memref<?xf32>, %n: index) {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    linalg.fill ins(%zero : f32) outs(%x : memref<?xf32>)
  }
  return
}

// -----

// A while loop: a trip count the estimate cannot bound.
// CHECK-NOT: kiln.run_work
// CHECK-LABEL: func.func @while
func.func @while(%x: memref<4xf32>, %stop: i1) {
  %zero = arith.constant 0.0 : f32
  scf.while : () -> () {
    scf.condition(%stop)
  } do {
    linalg.fill ins(%zero : f32) outs(%x : memref<4xf32>)
    scf.yield
  }
  return
}
