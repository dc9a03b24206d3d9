// RUN: kiln-opt --kiln-cpu-outline-kernels %s | FileCheck %s

// A global read inside a kernel's loops (Winograd's transformed filters
// and zero biases are created there) is moved out of the kernel and passed
// as an argument: kernels that differ only in the globals they read share
// one function.  A kernel whose body differs otherwise gets its own.
// CHECK-LABEL: func.func private @main.k0.conv_1(
// CHECK-SAME: %[[N:.*]]: index, %[[W:.*]]: memref<8xf32>, %[[O:.*]]: memref<8xf32>)
// CHECK-NOT: memref.get_global
// CHECK: memref.load %[[W]]
// CHECK-LABEL: func.func private @main.k2.conv_3(
// CHECK: arith.addf
// CHECK-LABEL: func.func @main(
// CHECK: %[[G1:.*]] = memref.get_global @w1 : memref<8xf32>
// CHECK-NEXT: call @main.k0.conv_1(%arg1, %[[G1]], %arg0)
// CHECK: %[[G2:.*]] = memref.get_global @w2 : memref<8xf32>
// CHECK-NEXT: call @main.k0.conv_1(%arg1, %[[G2]], %arg0)
// CHECK: %[[G3:.*]] = memref.get_global @w1 : memref<8xf32>
// CHECK-NEXT: call @main.k2.conv_3(%arg1, %[[G3]], %arg0)
// CHECK-NOT: func.func private @main.k
module {
  memref.global "private" constant @w1 : memref<8xf32> = dense<1.0>
  memref.global "private" constant @w2 : memref<8xf32> = dense<2.0>
  func.func @main(%c: memref<8xf32>, %n: index) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    scf.for %i = %c0 to %n step %c1 {
      %w = memref.get_global @w1 : memref<8xf32>
      %v = memref.load %w[%i] : memref<8xf32>
      memref.store %v, %c[%i] : memref<8xf32>
    } loc("conv_1")
    scf.for %i = %c0 to %n step %c1 {
      %w = memref.get_global @w2 : memref<8xf32>
      %v = memref.load %w[%i] : memref<8xf32>
      memref.store %v, %c[%i] : memref<8xf32>
    } loc("conv_2")
    scf.for %i = %c0 to %n step %c1 {
      %w = memref.get_global @w1 : memref<8xf32>
      %v = memref.load %w[%i] : memref<8xf32>
      %d = arith.addf %v, %v : f32
      memref.store %d, %c[%i] : memref<8xf32>
    } loc("conv_3")
    return
  }
}
