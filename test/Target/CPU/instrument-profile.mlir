// RUN: kiln-opt --split-input-file --verify-diagnostics --kiln-cpu-instrument-profile %s | FileCheck %s

// Top-level ops of the entry function are grouped by ONNX node (the first
// NameLoc that names a node of `kiln.profile.node_types`); each group is
// bracketed by kiln_profile_now / kiln_profile_record(index, start, calls).
// Memory-effect-free ops (constants, views) are not timed and do not split a
// group; ops without a node are "(unattributed)"; a node seen again later
// reuses its index and does not count a second call.

// CHECK-LABEL: func.func @main
// CHECK-SAME: %[[X:[a-z0-9]+]]: memref<4xf32>
// conv: alloc + fill + (pure subview) + copy, one region.
// CHECK:      %[[T0:.*]] = llvm.call @kiln_profile_now() : () -> i64
// CHECK-NEXT: memref.alloc
// CHECK-NEXT: linalg.fill
// CHECK-NEXT: memref.subview
// CHECK-NEXT: memref.copy
// CHECK-NEXT: %[[I0:.*]] = llvm.mlir.constant(0 : i32) : i32
// CHECK-NEXT: %[[C1:.*]] = llvm.mlir.constant(1 : i64) : i64
// CHECK-NEXT: llvm.call @kiln_profile_record(%[[I0]], %[[T0]], %[[C1]]) : (i32, i64, i64) -> ()
// relu: its fused location names a weight first (not a node), then "relu".
// CHECK-NEXT: %[[T1:.*]] = llvm.call @kiln_profile_now() : () -> i64
// CHECK-NEXT: linalg.generic
// CHECK:      %[[I1:.*]] = llvm.mlir.constant(1 : i32) : i32
// CHECK-NEXT: %[[C1b:.*]] = llvm.mlir.constant(1 : i64) : i64
// CHECK-NEXT: llvm.call @kiln_profile_record(%[[I1]], %[[T1]], %[[C1b]])
// The constant between relu and conv is not timed.
// CHECK-NEXT: arith.constant
// conv again (a CallSiteLoc names it too): index 0, calls += 0.
// CHECK-NEXT: %[[T2:.*]] = llvm.call @kiln_profile_now() : () -> i64
// CHECK-NEXT: memref.alloc
// CHECK-NEXT: linalg.fill
// CHECK-NEXT: %[[I2:.*]] = llvm.mlir.constant(0 : i32) : i32
// CHECK-NEXT: %[[C0:.*]] = llvm.mlir.constant(0 : i64) : i64
// CHECK-NEXT: llvm.call @kiln_profile_record(%[[I2]], %[[T2]], %[[C0]])
// Deallocations carry no node: "(unattributed)", index 2.
// CHECK-NEXT: %[[T3:.*]] = llvm.call @kiln_profile_now() : () -> i64
// CHECK-NEXT: memref.dealloc
// CHECK-NEXT: %[[I3:.*]] = llvm.mlir.constant(2 : i32) : i32
// CHECK-NEXT: %[[C1c:.*]] = llvm.mlir.constant(1 : i64) : i64
// CHECK-NEXT: llvm.call @kiln_profile_record(%[[I3]], %[[T3]], %[[C1c]])
// CHECK-NEXT: return
//
// The helper is not instrumented.
// CHECK-LABEL: func.func private @helper
// CHECK-NOT: llvm.call
// CHECK: return
//
// CHECK: llvm.func @clock_gettime(i32, !llvm.ptr) -> i32
// CHECK: llvm.mlir.global internal @kiln_profile_ns(dense<0> : tensor<3xi64>) {{.*}} : !llvm.array<3 x i64>
// CHECK: llvm.mlir.global internal @kiln_profile_calls(dense<0> : tensor<3xi64>) {{.*}} : !llvm.array<3 x i64>
// CHECK: llvm.mlir.global internal @kiln_profile_flops(dense<0> : tensor<3xi64>) {{.*}} : !llvm.array<3 x i64>
// CHECK: llvm.mlir.global internal constant @kiln_profile_strings("conv\00Conv\00relu\00Relu\00(unattributed)\00(none)\00")
// CHECK-LABEL: llvm.func internal @kiln_profile_now() -> i64
// CHECK: %[[CLK:.*]] = llvm.mlir.constant(1 : i32) : i32
// CHECK: llvm.call @clock_gettime(%[[CLK]], %{{.*}})
// CHECK-LABEL: llvm.func internal @kiln_profile_record(
// CHECK: llvm.call @kiln_profile_now()
// CHECK: llvm.atomicrmw add {{.*}} monotonic
// CHECK: llvm.atomicrmw add {{.*}} monotonic
// CHECK-LABEL: llvm.mlir.global internal constant @kiln_profile_desc()
// Version 2, 3 entries, the strings and the ns, calls and FLOP counters.
// CHECK: llvm.mlir.constant(2 : i32)
// CHECK: llvm.mlir.constant(3 : i32)
// CHECK: llvm.mlir.addressof @kiln_profile_strings
// CHECK: llvm.mlir.addressof @kiln_profile_ns
// CHECK: llvm.mlir.addressof @kiln_profile_calls
// CHECK: llvm.mlir.addressof @kiln_profile_flops
// CHECK-LABEL: llvm.func @kiln_model_profile_v1() -> !llvm.ptr
// CHECK: llvm.mlir.addressof @kiln_profile_desc
module attributes {kiln.profile.node_types = {conv = "Conv", relu = "Relu"}} {
  func.func @main(%x: memref<4xf32>) -> memref<6xf32> attributes {kiln.entry} {
    %zero = arith.constant 0.0 : f32 loc("conv")
    %a = memref.alloc() : memref<6xf32> loc("conv")
    linalg.fill ins(%zero : f32) outs(%a : memref<6xf32>) loc("conv")
    %v = memref.subview %a[1] [4] [1] : memref<6xf32> to memref<4xf32, strided<[1], offset: 1>> loc("conv")
    memref.copy %x, %v : memref<4xf32> to memref<4xf32, strided<[1], offset: 1>> loc("conv")
    linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
        outs(%a : memref<6xf32>) {
    ^bb0(%o: f32):
      %m = arith.maximumf %o, %zero : f32
      linalg.yield %m : f32
    } loc(fused["conv.weight", "relu"("model.onnx":0:0)])
    %one = arith.constant 1.0 : f32
    %b = memref.alloc() : memref<6xf32> loc("conv")
    linalg.fill ins(%one : f32) outs(%b : memref<6xf32>) loc(callsite("conv" at "model.onnx":1:1))
    memref.dealloc %b : memref<6xf32> loc("model.onnx":0:0)
    return %a : memref<6xf32>
  }
  func.func private @helper(%m: memref<6xf32>) {
    %zero = arith.constant 0.0 : f32 loc("conv")
    linalg.fill ins(%zero : f32) outs(%m : memref<6xf32>) loc("conv")
    return
  }
}

// -----

// A loop that computes ops of several nodes (elementwise fusion keeps only
// the consumer's location on the loop) lists their names and op types after
// its own, in order of first appearance; constants do not count.
// Control-flow nodes are not expanded.
// CHECK-LABEL: func.func @main
// CHECK: @kiln_profile_strings("relu+add+mul\00Relu+Add+Mul\00loop\00Loop\00")
module attributes {kiln.profile.node_types = {add = "Add", mul = "Mul", relu = "Relu", loop = "Loop", cst = "Constant"}} {
  func.func @main(%x: memref<4xf32>) -> memref<4xf32> attributes {kiln.entry} {
    %a = memref.alloc() : memref<4xf32> loc("relu")
    linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
        ins(%x : memref<4xf32>) outs(%a : memref<4xf32>) {
    ^bb0(%i: f32, %o: f32):
      %c = arith.constant 2.0 : f32 loc("cst")
      %s = arith.addf %i, %i : f32 loc("add")
      %m = arith.mulf %s, %c : f32 loc("mul")
      %r = arith.maximumf %m, %s : f32 loc("relu")
      %t = arith.addf %r, %r : f32 loc("add")
      linalg.yield %t : f32 loc("relu")
    } loc("relu")
    %c0 = arith.constant 0 : index
    %c4 = arith.constant 4 : index
    %c1 = arith.constant 1 : index
    scf.for %k = %c0 to %c4 step %c1 {
      %v = memref.load %x[%k] : memref<4xf32> loc("add")
      memref.store %v, %a[%k] : memref<4xf32> loc("mul")
    } loc("loop")
    return %a : memref<4xf32>
  }
}

// -----

// A fused op names every node of its FusedLoc (kiln-nn-fuse-epilogue gives a
// conv with a bias Add and a Relu the location fused[conv, add, relu]): the
// entry is named "conv+add1+relu+add2" and has the op type "Conv+Add+Relu",
// each type once.  Names that are not nodes (a weight) add nothing, and the
// ops form one region of the first node; a later op of another node is
// timed on its own.
// CHECK-LABEL: func.func @main
// CHECK:      %[[T0:.*]] = llvm.call @kiln_profile_now() : () -> i64
// CHECK-NEXT: memref.alloc
// CHECK-NEXT: memref.alloc
// CHECK-NEXT: %[[I0:.*]] = llvm.mlir.constant(0 : i32) : i32
// CHECK-NEXT: %[[C0:.*]] = llvm.mlir.constant(1 : i64) : i64
// CHECK-NEXT: llvm.call @kiln_profile_record(%[[I0]], %[[T0]], %[[C0]])
// CHECK-NEXT: %[[T1:.*]] = llvm.call @kiln_profile_now() : () -> i64
// CHECK-NEXT: memref.alloc
// CHECK-NEXT: memref.copy
// CHECK-NEXT: %[[I1:.*]] = llvm.mlir.constant(1 : i32) : i32
// CHECK: @kiln_profile_strings("conv+add1+relu+add2\00Conv+Add+Relu\00pool\00MaxPool\00")
module attributes {kiln.profile.node_types = {conv = "Conv", add1 = "Add", relu = "Relu", add2 = "Add", pool = "MaxPool"}} {
  func.func @main() -> memref<2xf32> attributes {kiln.entry} {
    %a = memref.alloc() : memref<2xf32> loc(fused["conv"("m.onnx":1:1), "conv.weight", "add1"("m.onnx":2:1), "relu"])
    %b = memref.alloc() : memref<2xf32> loc(fused["conv", "add2", "relu"])
    %c = memref.alloc() : memref<2xf32> loc("pool")
    memref.copy %b, %c : memref<2xf32> to memref<2xf32> loc("pool")
    return %c : memref<2xf32>
  }
}

// -----

// Without the node table, the first NameLoc names the node ("unknown" type).
// CHECK-LABEL: func.func @main
// CHECK: llvm.call @kiln_profile_now
// CHECK: memref.alloc
// CHECK: llvm.call @kiln_profile_record
// CHECK-NOT: llvm.call @kiln_profile_now
// CHECK: return
// CHECK: @kiln_profile_strings("outer\00unknown\00")
module {
  func.func @main() -> memref<2xf32> attributes {kiln.entry} {
    %a = memref.alloc() : memref<2xf32> loc(fused["outer", "inner"])
    return %a : memref<2xf32>
  }
}

// -----

// An entry function with only pure ops has an empty profile.
// CHECK-LABEL: func.func @main
// CHECK-NOT: llvm.call
// CHECK: return
// CHECK: llvm.mlir.global internal @kiln_profile_ns(dense<0> : tensor<1xi64>)
// CHECK: @kiln_profile_strings("\00")
// CHECK: llvm.mlir.constant(0 : i32)
module {
  func.func @main(%x: memref<2xf32>) -> memref<2xf32> attributes {kiln.entry} {
    return %x : memref<2xf32>
  }
}

// -----

// A table entry that is not a string gives the op type "unknown".
// CHECK-LABEL: func.func @main
// CHECK: @kiln_profile_strings("a\00unknown\00b+a\00Relu+unknown\00")
module attributes {kiln.profile.node_types = {a = 1 : i32, b = "Relu"}} {
  func.func @main() -> memref<2xf32> attributes {kiln.entry} {
    %x = memref.alloc() : memref<2xf32> loc("a")
    %y = memref.alloc() : memref<2xf32> loc("b")
    memref.copy %x, %y : memref<2xf32> to memref<2xf32> loc("b")
    scf.execute_region {
      memref.copy %y, %x : memref<2xf32> to memref<2xf32> loc("a")
      scf.yield
    } loc("b")
    return %y : memref<2xf32>
  }
}

// -----

// expected-error @+1 {{profile instrumentation: no function with the 'kiln.entry' attribute}}
module {
  func.func @f() {
    return
  }
}

// -----

// expected-error @+1 {{profile instrumentation: the module already defines 'kiln_model_profile_v1' (instrumented twice?)}}
module {
  llvm.func @kiln_model_profile_v1() -> !llvm.ptr
  func.func @main() attributes {kiln.entry} {
    return
  }
}

// -----

// expected-error @+1 {{'kiln.profile.node_types' must be a dictionary (node name -> op type)}}
module attributes {kiln.profile.node_types = "Conv"} {
  func.func @main() attributes {kiln.entry} {
    return
  }
}

// -----

// The FLOP markers of kiln-nn-record-flops become atomic additions to the
// FLOP counter of the entry whose timed code runs them, also when nested in
// a loop of that code; a marker outside the entry's timed code (a helper)
// is dropped, and so is the declaration.
// CHECK-NOT: kiln.profile.flops
// CHECK-LABEL: func.func @main
// CHECK:      %[[T0:.*]] = llvm.call @kiln_profile_now()
// CHECK-NEXT: memref.alloc
// CHECK-NEXT: linalg.fill
// CHECK-NEXT: %[[F:.*]] = arith.constant 64 : i64
// CHECK-NEXT: %[[BASE:.*]] = llvm.mlir.addressof @kiln_profile_flops
// CHECK-NEXT: %[[SLOT:.*]] = llvm.getelementptr %[[BASE]][0] : (!llvm.ptr) -> !llvm.ptr, i64
// CHECK-NEXT: llvm.atomicrmw add %[[SLOT]], %[[F]] monotonic : !llvm.ptr, i64
// CHECK-NEXT: llvm.mlir.constant(0 : i32)
// CHECK-NEXT: llvm.mlir.constant(1 : i64)
// CHECK-NEXT: llvm.call @kiln_profile_record
// CHECK:      scf.for
// CHECK:        %[[BASE1:.*]] = llvm.mlir.addressof @kiln_profile_flops
// CHECK-NEXT:   %[[SLOT1:.*]] = llvm.getelementptr %[[BASE1]][1] : (!llvm.ptr) -> !llvm.ptr, i64
// CHECK-NEXT:   llvm.atomicrmw add %[[SLOT1]], %{{.*}} monotonic : !llvm.ptr, i64
// CHECK:      llvm.call @kiln_profile_record
// CHECK-LABEL: func.func private @helper
// CHECK-NOT: call
// CHECK: return
module attributes {kiln.profile.node_types = {mm = "MatMul", loop = "Loop"}} {
  func.func private @kiln.profile.flops(i64)
  func.func @main(%x: memref<4xf32>, %n: i64) -> memref<4xf32> attributes {kiln.entry} {
    %zero = arith.constant 0.0 : f32 loc("mm")
    %a = memref.alloc() : memref<4xf32> loc("mm")
    linalg.fill ins(%zero : f32) outs(%a : memref<4xf32>) loc("mm")
    %f = arith.constant 64 : i64 loc("mm")
    func.call @kiln.profile.flops(%f) : (i64) -> () loc("mm")
    %c0 = arith.constant 0 : index
    %c4 = arith.constant 4 : index
    %c1 = arith.constant 1 : index
    scf.for %k = %c0 to %c4 step %c1 {
      %v = memref.load %x[%k] : memref<4xf32> loc("loop")
      memref.store %v, %a[%k] : memref<4xf32> loc("loop")
      func.call @kiln.profile.flops(%n) : (i64) -> () loc("mm")
    } loc("loop")
    return %a : memref<4xf32>
  }
  func.func private @helper(%n: i64) {
    func.call @kiln.profile.flops(%n) : (i64) -> () loc("mm")
    return
  }
}
