// RUN: kiln-opt %s --split-input-file --kiln-c-lower-to-emitc --verify-diagnostics | FileCheck %s

// Memrefs become pointers to their first element: the arena's view is a cast
// of &arena[shift], a reinterpret_cast &base[offset]; loads and stores index
// with the strides of the static type; the weights are a static const array;
// exp is expf; a contiguous copy is memcpy; the entry is the static
// kiln_graph.

// CHECK: emitc.global static const @weights_0 : !emitc.array<4xf32> = dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]>
// CHECK-NOT: memref.global
// CHECK-LABEL: emitc.func @kiln_graph(
// CHECK-SAME: %[[IN:.*]]: !emitc.ptr<f32>, %[[OUT:.*]]: !emitc.ptr<f32>, %[[ARENA:.*]]: !emitc.ptr<i8>
// CHECK-SAME: specifiers = ["static"]
// CHECK: %[[G:.*]] = get_global @weights_0 : !emitc.array<4xf32>
// CHECK: %[[W:.*]] = cast %[[G]] : !emitc.array<4xf32> to !emitc.ptr<f32>
// CHECK: %[[B:.*]] = subscript %[[ARENA]][%{{.*}}] : (!emitc.ptr<i8>, !emitc.size_t) -> !emitc.lvalue<i8>
// CHECK: %[[BP:.*]] = apply "&"(%[[B]]) : (!emitc.lvalue<i8>) -> !emitc.ptr<i8>
// CHECK: %[[T:.*]] = cast %[[BP]] : !emitc.ptr<i8> to !emitc.ptr<f32>
// CHECK: %[[S0:.*]] = subscript %[[T]][%{{.*}}] : (!emitc.ptr<f32>, !emitc.size_t) -> !emitc.lvalue<f32>
// CHECK: %[[S:.*]] = apply "&"(%[[S0]]) : (!emitc.lvalue<f32>) -> !emitc.ptr<f32>
// CHECK: for %[[I:.*]] = {{.*}} : !emitc.size_t {
// CHECK: for %[[J:.*]] = {{.*}} : !emitc.size_t {
// CHECK: %[[IA:.*]] = mul %[[I]], %{{.*}} : (!emitc.size_t, !emitc.size_t) -> !emitc.size_t
// CHECK: %[[IB:.*]] = add %[[IA]], %[[J]]
// CHECK: subscript %[[IN]][%[[IB]]]
// CHECK: %[[WA:.*]] = mul %[[J]], %{{.*}} : (!emitc.size_t, !emitc.size_t) -> !emitc.size_t
// CHECK: %[[WB:.*]] = add %[[WA]], %[[I]]
// CHECK: subscript %[[W]][%[[WB]]]
// CHECK: call_opaque "expf"
// CHECK: %[[C3:.*]] = "emitc.constant"() <{value = 3 : index}>
// CHECK: %[[SA:.*]] = mul %[[I]], %[[C3]]
// CHECK: %[[SB:.*]] = add %[[SA]], %[[J]]
// CHECK: %[[SL:.*]] = subscript %[[S]][%[[SB]]]
// CHECK: assign %{{.*}} : f32 to %[[SL]]
// CHECK: call_opaque "memcpy"(%[[OUT]], %[[IN]], %{{.*}})
// CHECK-NOT: memref.
module attributes {kiln.arena = {}} {
  memref.global "private" constant @__constant_4xf32 : memref<2x2xf32> = dense<[[1.0, 2.0], [3.0, 4.0]]>
  func.func @main(%in: memref<2x2xf32>, %out: memref<2x2xf32>, %arena: memref<?xi8> {kiln.arena}) attributes {kiln.entry} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %c64 = arith.constant 64 : index
    %w = memref.get_global @__constant_4xf32 : memref<2x2xf32>
    %t = memref.view %arena[%c64][] : memref<?xi8> to memref<2x3xf32>
    %s = memref.reinterpret_cast %t to offset: [1], sizes: [2, 2], strides: [3, 1] : memref<2x3xf32> to memref<2x2xf32, strided<[3, 1], offset: 1>>
    scf.for %i = %c0 to %c2 step %c1 {
      scf.for %j = %c0 to %c2 step %c1 {
        %a = memref.load %in[%i, %j] : memref<2x2xf32>
        %b = memref.load %w[%j, %i] : memref<2x2xf32>
        %e = math.exp %a : f32
        %m = arith.mulf %e, %b : f32
        memref.store %m, %s[%i, %j] : memref<2x2xf32, strided<[3, 1], offset: 1>>
      }
    }
    memref.copy %in, %out : memref<2x2xf32> to memref<2x2xf32>
    return
  }
}

// -----

// Unsigned division on size_t is C's; on i32 through uint32_t.  rsqrt is
// 1 / sqrtf.
// CHECK-LABEL: emitc.func @kiln_graph(
// CHECK: rem %{{.*}}, %{{.*}} : (!emitc.size_t, !emitc.size_t) -> !emitc.size_t
// CHECK: %[[UL:.*]] = cast %{{.*}} : i32 to ui32
// CHECK: %[[UR:.*]] = cast %{{.*}} : i32 to ui32
// CHECK: %[[UQ:.*]] = div %[[UL]], %[[UR]] : (ui32, ui32) -> ui32
// CHECK: cast %[[UQ]] : ui32 to i32
// CHECK: %[[SQ:.*]] = call_opaque "sqrtf"
// CHECK: div %{{.*}}, %[[SQ]] : (f32, f32) -> f32
func.func @main(%a: index, %b: index, %x: i32, %y: i32, %f: f32, %o: memref<1xf32>, %oi: memref<1xi32>, %ox: memref<1xindex>) attributes {kiln.entry} {
  %r = arith.remui %a, %b : index
  %q = arith.divui %x, %y : i32
  %s = math.rsqrt %f : f32
  %c0 = arith.constant 0 : index
  memref.store %r, %ox[%c0] : memref<1xindex>
  memref.store %q, %oi[%c0] : memref<1xi32>
  memref.store %s, %o[%c0] : memref<1xf32>
  return
}

// -----

// What the code does not read is not written: an unused argument is cast to
// void, an unused global (a reshape's shape) is dropped.
// CHECK-NOT: emitc.global
// CHECK-LABEL: emitc.func @kiln_graph(
// CHECK-SAME: %[[X:[^:]*]]: !emitc.ptr<f32>, %[[UNUSED:[^:]*]]: !emitc.ptr<f32>,
// CHECK-NEXT: verbatim "(void){};" args %[[UNUSED]] : !emitc.ptr<f32>
// CHECK-NOT: get_global
// CHECK: return
memref.global "private" constant @shape : memref<1xi64> = dense<4>
func.func @main(%x: memref<2x2xf32>, %unused: memref<2xf32>, %o: memref<4xf32>) attributes {kiln.entry} {
  %s = memref.get_global @shape : memref<1xi64>
  %r = memref.reshape %x(%s) : (memref<2x2xf32>, memref<1xi64>) -> memref<4xf32>
  memref.copy %r, %o : memref<4xf32> to memref<4xf32>
  return
}

// -----

// Negative: a heap buffer (the planner could not place it) has no C form.
func.func @main(%n: index, %o: memref<1xf32>) attributes {kiln.entry} {
  // expected-error @+1 {{a buffer ('memref<?xf32>') that the memory plan could not place in the arena}}
  %a = memref.alloc(%n) : memref<?xf32>
  memref.dealloc %a : memref<?xf32>
  return
}

// -----

// Negative: a global that is not a constant (mutable state) is refused.
// expected-error @+1 {{the C target has no mutable global state}}
memref.global "private" @state : memref<4xf32> = dense<0.0>
func.func @main(%o: memref<4xf32>) attributes {kiln.entry} {
  %g = memref.get_global @state : memref<4xf32>
  memref.copy %g, %o : memref<4xf32> to memref<4xf32>
  return
}
