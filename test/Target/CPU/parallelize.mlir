// RUN: kiln-opt %s --split-input-file --kiln-cpu-parallelize | FileCheck %s

// Two perfectly nested marked tile loops with invariant bounds: one OpenMP
// region over both (their 8 x 8 iterations collapsed, one contiguous chunk
// per thread), the team size from kiln_num_threads(); the unmarked
// reduction loop inside stays sequential.

// CHECK-LABEL: func.func @band(
// CHECK: %[[N:.*]] = call @kiln_num_threads() : () -> i32
// CHECK: omp.parallel num_threads(%[[N]] : i32) {
// CHECK: %[[T:.*]] = func.call @omp_get_thread_num() : () -> i32
// CHECK: %[[TI:.*]] = arith.index_castui %[[T]] : i32 to index
// CHECK: %[[NT:.*]] = func.call @omp_get_num_threads() : () -> i32
// CHECK: %[[NTI:.*]] = arith.index_castui %[[NT]] : i32 to index
// CHECK: %[[CHUNK:.*]] = arith.ceildivui %[[TOTAL:.*]], %[[NTI]] : index
// CHECK: %[[B0:.*]] = arith.muli %[[TI]], %[[CHUNK]] : index
// CHECK: %[[BEGIN:.*]] = arith.minui %[[B0]], %[[TOTAL]] : index
// CHECK: %[[E0:.*]] = arith.addi %[[BEGIN]], %[[CHUNK]] : index
// CHECK: %[[END:.*]] = arith.minui %[[E0]], %[[TOTAL]] : index
// CHECK: scf.for %[[IDX:.*]] = %[[BEGIN]] to %[[END]] step %{{.*}} {
// CHECK: %[[JJ:.*]] = arith.remui %[[IDX]], %{{.*}} : index
// CHECK: %[[II:.*]] = arith.divui %[[IDX]], %{{.*}} : index
// CHECK: %[[JS:.*]] = arith.muli %[[JJ]], %{{.*}} : index
// CHECK: %[[J:.*]] = arith.addi %{{.*}}, %[[JS]] : index
// CHECK: %[[IS:.*]] = arith.muli %[[II]], %{{.*}} : index
// CHECK: %[[I:.*]] = arith.addi %{{.*}}, %[[IS]] : index
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK: memref.store %{{.*}}, %{{.*}}[%[[I]], %[[J]]]
// CHECK: omp.terminator
// CHECK-NOT: kiln.parallel
// CHECK-DAG: func.func private @kiln_num_threads() -> i32
// CHECK-DAG: func.func private @omp_get_thread_num() -> i32
// CHECK-DAG: func.func private @omp_get_num_threads() -> i32
func.func @band(%a: memref<64x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c64 = arith.constant 64 : index
  %f = arith.constant 1.0 : f32
  scf.for %i = %c0 to %c64 step %c8 {
    scf.for %j = %c0 to %c64 step %c8 {
      scf.for %k = %c0 to %c8 step %c1 {
        memref.store %f, %a[%i, %j] : memref<64x64xf32>
      }
    } {kiln.parallel}
  } {kiln.parallel}
  return
}

// -----

// Stay sequential: a marked loop inside an unmarked loop (no nested
// parallelism), a marked loop with loop-carried values.  Their markers are
// dropped; no thread count is declared.

// CHECK-LABEL: func.func @sequential(
// CHECK-NOT: omp.
// CHECK-NOT: kiln.parallel
// CHECK-NOT: kiln_num_threads
func.func @sequential(%a: memref<64xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %z = arith.constant 0.0 : f32
  scf.for %i = %c0 to %c64 step %c1 {
    scf.for %j = %c0 to %c64 step %c1 {
      memref.store %z, %a[%j] : memref<64xf32>
    } {kiln.parallel}
  }
  %s = scf.for %i = %c0 to %c64 step %c1 iter_args(%acc = %z) -> (f32) {
    %v = memref.load %a[%i] : memref<64xf32>
    %n = arith.addf %acc, %v : f32
    scf.yield %n : f32
  } {kiln.parallel}
  return %s : f32
}

// -----

// An inner marked loop whose bounds depend on the outer one ends the band:
// the outer loop alone is split over the threads, the inner one stays a
// sequential scf.for.

// CHECK-LABEL: func.func @triangular(
// CHECK: omp.parallel
// CHECK: scf.for %[[IDX:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NOT: arith.remui
// CHECK: %[[IS:.*]] = arith.muli %[[IDX]], %{{.*}} : index
// CHECK: %[[I:.*]] = arith.addi %{{.*}}, %[[IS]] : index
// CHECK: scf.for %{{.*}} = %[[I]] to
func.func @triangular(%a: memref<64x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %f = arith.constant 1.0 : f32
  scf.for %i = %c0 to %c64 step %c1 {
    scf.for %j = %i to %c64 step %c1 {
      memref.store %f, %a[%i, %j] : memref<64x64xf32>
    } {kiln.parallel}
  } {kiln.parallel}
  return
}

// -----

// A sequential batch loop (kiln.batch_loop, from the packed convolution's
// tiling when its panel loop is peeled) does not stop the marked loops
// inside it from running on threads: each becomes a band of its own, in
// the batch loop's body; the batch loop stays a sequential scf.for and
// loses its marker.

// CHECK-LABEL: func.func @batch_loop(
// CHECK: scf.for
// CHECK-NOT: kiln.batch_loop
// CHECK: omp.parallel
// CHECK: omp.terminator
// CHECK: omp.parallel
// CHECK: omp.terminator
// CHECK-NOT: kiln.batch_loop
// CHECK-NOT: kiln.parallel
// CHECK: return
func.func @batch_loop(%a: memref<?x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  %f = arith.constant 1.0 : f32
  %n = memref.dim %a, %c0 : memref<?x64xf32>
  scf.for %b = %c0 to %n step %c1 {
    scf.for %j = %c0 to %c32 step %c1 {
      memref.store %f, %a[%b, %j] : memref<?x64xf32>
    } {kiln.parallel}
    scf.for %j = %c32 to %c64 step %c1 {
      memref.store %f, %a[%b, %j] : memref<?x64xf32>
    } {kiln.parallel}
  } {kiln.batch_loop}
  return
}

// -----

// A loop marked both ways is a band itself: the marked loops inside it are
// nested and stay sequential (one omp.parallel).

// CHECK-LABEL: func.func @batch_loop_parallel(
// CHECK-COUNT-1: omp.parallel
// CHECK-NOT: omp.parallel
// CHECK: return
func.func @batch_loop_parallel(%a: memref<?x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  %f = arith.constant 1.0 : f32
  %n = memref.dim %a, %c0 : memref<?x64xf32>
  scf.for %b = %c0 to %n step %c1 {
    scf.for %j = %c0 to %c32 step %c1 {
      memref.store %f, %a[%b, %j] : memref<?x64xf32>
    } {kiln.parallel}
    scf.for %j = %c32 to %c64 step %c1 {
      memref.store %f, %a[%b, %j] : memref<?x64xf32>
    } {kiln.parallel}
  } {kiln.batch_loop, kiln.parallel}
  return
}

// -----

// A band whose op has too little static work to be sure of paying for
// threads (kiln.parallel_min_trips = 4, set by kiln-cpu-tile-and-vectorize
// for ops with dynamic extents): the team is kiln_num_threads() only when
// the trip counts of the band's loops with run-time bounds (here the outer
// one, %n) multiply to at least 4, else 1.
// CHECK-LABEL: func.func @band_min_trips(
// CHECK: %[[N:.*]] = call @kiln_num_threads() : () -> i32
// CHECK: %[[ENOUGH:.*]] = arith.cmpi uge, %{{.*}}, %c4 : index
// CHECK: %[[TEAM:.*]] = arith.select %[[ENOUGH]], %[[N]], %c1_i32 : i32
// CHECK: omp.parallel num_threads(%[[TEAM]] : i32) {
// CHECK-NOT: kiln.parallel
// CHECK: return
func.func @band_min_trips(%m: memref<?x197xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c197 = arith.constant 197 : index
  %cst = arith.constant 1.0 : f32
  scf.for %i = %c0 to %n step %c1 {
    scf.for %j = %c0 to %c197 step %c1 {
      memref.store %cst, %m[%i, %j] : memref<?x197xf32>
    } {kiln.parallel, kiln.parallel_min_trips = 4 : i64}
  } {kiln.parallel, kiln.parallel_min_trips = 4 : i64}
  return
}

// -----

// Scratch buffers of an iteration (allocated and freed in one block of the
// band's body, also inside an inner loop) are allocated once per thread
// around its chunk; a buffer sized inside the iteration stays there.
// CHECK-LABEL: func.func @scratch
// CHECK: omp.parallel
// CHECK: %[[A:.*]] = memref.alloc() : memref<64xf32>
// CHECK: %[[B:.*]] = memref.alloc() : memref<128xf32>
// CHECK: scf.for
// CHECK: %[[D:.*]] = memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK: scf.for
// CHECK: memref.store %{{.*}}, %[[B]]
// CHECK: memref.dealloc %[[D]] : memref<?xf32>
// CHECK-NEXT: }
// CHECK-NEXT: memref.dealloc %[[B]]
// CHECK-NEXT: memref.dealloc %[[A]]
// CHECK-NEXT: omp.terminator
func.func @scratch(%out: memref<8x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %f = arith.constant 1.0 : f32
  scf.for %i = %c0 to %c8 step %c1 {
    %a = memref.alloc() : memref<64xf32>
    memref.store %f, %a[%c0] : memref<64xf32>
    %n = arith.addi %i, %c4 : index
    %d = memref.alloc(%n) : memref<?xf32>
    memref.store %f, %d[%c0] : memref<?xf32>
    scf.for %j = %c0 to %c4 step %c1 {
      %b = memref.alloc() : memref<128xf32>
      memref.store %f, %b[%j] : memref<128xf32>
      %x = memref.load %b[%c0] : memref<128xf32>
      memref.store %x, %out[%i, %j] : memref<8x64xf32>
      memref.dealloc %b : memref<128xf32>
    }
    %y = memref.load %a[%c0] : memref<64xf32>
    memref.store %y, %out[%i, %c0] : memref<8x64xf32>
    memref.dealloc %d : memref<?xf32>
    memref.dealloc %a : memref<64xf32>
  } {kiln.parallel}
  return
}
