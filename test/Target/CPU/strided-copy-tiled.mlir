// RUN: kiln-opt --kiln-cpu-strided-copy-to-linalg=into-identity-only %s | FileCheck %s --check-prefix=ONLY
// RUN: kiln-opt --kiln-cpu-strided-copy-to-linalg=into-identity-only --kiln-cpu-tile-and-vectorize --canonicalize %s | FileCheck %s

// A copy from a strided view into a fresh identity buffer (the reshape of a
// Q/K/V slice): with into-identity-only (the CPU pipeline's run before
// tiling) a linalg.copy, then tiled and vectorized (the parallel loops
// marked) instead of scalar loops after the memory plan; a copy into a
// strided view (a concat's slice) stays a memref.copy for the pass's run
// after the memory plan.
// ONLY-LABEL: func.func @strided_copies
// ONLY: linalg.copy ins(%{{.*}} : memref<197x12x64xf32, strided<[2304, 64, 1]>>) outs(%{{.*}} : memref<197x12x64xf32>)
// ONLY: memref.copy %{{.*}}, %{{.*}} : memref<4x8xf32> to memref<4x8xf32, strided<[16, 1], offset: 8>>
// CHECK-LABEL: func.func @strided_copies
// CHECK: scf.for
// CHECK: vector.transfer_read %{{.*}} : memref<1x1x64xf32, strided<[2304, 64, 1], offset: ?>>, vector<1x1x64xf32>
// CHECK: } {kiln.parallel}
// CHECK: memref.copy %{{.*}}, %{{.*}} : memref<4x8xf32> to memref<4x8xf32, strided<[16, 1], offset: 8>>
// CHECK: return
func.func @strided_copies(%qkv: memref<197x3x768xf32>, %out: memref<197x12x64xf32>, %a: memref<4x8xf32>, %cat: memref<4x16xf32>) {
  %q = memref.subview %qkv[0, 0, 0] [197, 1, 768] [1, 1, 1] : memref<197x3x768xf32> to memref<197x768xf32, strided<[2304, 1]>>
  %qe = memref.expand_shape %q [[0], [1, 2]] output_shape [197, 12, 64] : memref<197x768xf32, strided<[2304, 1]>> into memref<197x12x64xf32, strided<[2304, 64, 1]>>
  memref.copy %qe, %out : memref<197x12x64xf32, strided<[2304, 64, 1]>> to memref<197x12x64xf32>
  %s = memref.subview %cat[0, 8] [4, 8] [1, 1] : memref<4x16xf32> to memref<4x8xf32, strided<[16, 1], offset: 8>>
  memref.copy %a, %s : memref<4x8xf32> to memref<4x8xf32, strided<[16, 1], offset: 8>>
  return
}
