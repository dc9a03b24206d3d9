// RUN: kiln-opt --kiln-cpu-outline-kernels %s | FileCheck %s

// Each kernel becomes a call of a private, internal, noinline function
// named after its function, its number and its ONNX node.  Constants are
// cloned into it; weights (memref.get_global) and buffers are arguments.
// Kernels that differ only in their arguments share one function; a
// different constant makes another one.
// CHECK-LABEL: func.func private @main.k0.relu_1(
// CHECK-SAME: %[[A:.*]]: memref<8xf32>, %[[B:.*]]: memref<8xf32>)
// CHECK-SAME: attributes {llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline"]}
// CHECK: %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: linalg.generic {{.*}} ins(%[[A]] : memref<8xf32>) outs(%[[B]] : memref<8xf32>)
// CHECK: arith.maximumf {{.*}}, %[[Z]]
// CHECK: return
// CHECK-LABEL: func.func private @main.k2.clip(
// CHECK: arith.constant 6.000000e+00 : f32
// CHECK-LABEL: func.func private @main.k3.loop(
// CHECK-SAME: %[[N:.*]]: index, %[[W:.*]]: memref<8xf32>, %[[O:.*]]: memref<8xf32>)
// CHECK: scf.for {{.*}} to %[[N]]
// CHECK: memref.load %[[W]]
// CHECK-LABEL: func.func @main(
// CHECK: %[[G:.*]] = memref.get_global @w : memref<8xf32>
// CHECK: call @main.k0.relu_1(%arg0, %arg1)
// CHECK: call @main.k0.relu_1(%arg1, %arg2)
// CHECK: call @main.k2.clip(%arg0, %arg1)
// CHECK: call @main.k3.loop(%arg3, %[[G]], %arg2)
// A loop that allocates is searched for kernels instead.
// CHECK: scf.for
// CHECK: memref.alloc
// CHECK: call @main.k0.relu_1(%arg0, %{{.*}})
// CHECK: memref.dealloc
// Kernels inside an scf.if (a run-time check guard) are outlined too; a
// loop that calls a function is not a kernel.
// CHECK: scf.if
// CHECK-NEXT: call @main.k0.relu_1
// CHECK: scf.for
// CHECK-NEXT: func.call @ext()
// CHECK-NOT: func.func private @main.k
#id = affine_map<(d0) -> (d0)>
module {
  memref.global "private" constant @w : memref<8xf32> = dense<1.0>
  func.func private @ext()
  func.func @main(%a: memref<8xf32>, %b: memref<8xf32>, %c: memref<8xf32>, %n: index, %ok: i1) {
    %zero = arith.constant 0.0 : f32
    %six = arith.constant 6.0 : f32
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %w = memref.get_global @w : memref<8xf32>
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
        ins(%a : memref<8xf32>) outs(%b : memref<8xf32>) {
    ^bb0(%x: f32, %y: f32):
      %r = arith.maximumf %x, %zero : f32
      linalg.yield %r : f32
    } loc("relu_1")
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
        ins(%b : memref<8xf32>) outs(%c : memref<8xf32>) {
    ^bb0(%x: f32, %y: f32):
      %r = arith.maximumf %x, %zero : f32
      linalg.yield %r : f32
    } loc("relu_2")
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
        ins(%a : memref<8xf32>) outs(%b : memref<8xf32>) {
    ^bb0(%x: f32, %y: f32):
      %r = arith.maximumf %x, %six : f32
      linalg.yield %r : f32
    } loc("clip")
    scf.for %i = %c0 to %n step %c1 {
      %v = memref.load %w[%i] : memref<8xf32>
      memref.store %v, %c[%i] : memref<8xf32>
    } loc("loop")
    scf.for %i = %c0 to %n step %c1 {
      %t = memref.alloc() : memref<8xf32>
      linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
          ins(%a : memref<8xf32>) outs(%t : memref<8xf32>) {
      ^bb0(%x: f32, %y: f32):
        %r = arith.maximumf %x, %zero : f32
        linalg.yield %r : f32
      } loc("relu_3")
      memref.dealloc %t : memref<8xf32>
    }
    scf.if %ok {
      linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
          ins(%a : memref<8xf32>) outs(%c : memref<8xf32>) {
      ^bb0(%x: f32, %y: f32):
        %r = arith.maximumf %x, %zero : f32
        linalg.yield %r : f32
      } loc("relu_4")
    }
    scf.for %i = %c0 to %n step %c1 {
      func.call @ext() : () -> ()
    }
    return
  }
}
