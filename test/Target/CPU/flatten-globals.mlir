// RUN: kiln-opt --kiln-cpu-flatten-constant-globals %s | FileCheck %s

// Constant N-d globals become 1-d (one LLVM ConstantDataArray instead of
// nested arrays); their uses are reshaped back with memref.expand_shape.
// Mutable, 1-d, dynamic-free-but-strided and external globals are left alone.

// CHECK-DAG: memref.global "private" constant @w : memref<6xf32> = dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00, 5.000000e+00, 6.000000e+00]>
// CHECK-DAG: memref.global "private" constant @r : memref<4xf32> = dense_resource<blob>
// CHECK-DAG: memref.global "private" @v : memref<2x3xf32> = dense<0.000000e+00>
// CHECK-DAG: memref.global "private" constant @s : memref<3xf32> = dense<1.000000e+00>
// CHECK-DAG: memref.global "private" constant @strided : memref<2x2xf32, strided<[4, 1]>> = dense<1.000000e+00>
// CHECK-DAG: memref.global "private" constant @ext : memref<2x2xf32>{{$}}
// Unused globals: a private constant (weights copied into panels by
// kiln-cpu-pack-weights) is erased; a mutable or a public one stays.
// CHECK-NOT: @unused_constant
// CHECK-DAG: memref.global "private" @unused_mutable : memref<2xf32>
// CHECK-DAG: memref.global constant @unused_public : memref<2xf32>
// CHECK-LABEL: func.func @f
// CHECK: %[[W:.*]] = memref.get_global @w : memref<6xf32>
// CHECK: memref.expand_shape %[[W]] {{\[\[}}0, 1]] output_shape [2, 3] : memref<6xf32> into memref<2x3xf32>
// CHECK: %[[R:.*]] = memref.get_global @r : memref<4xf32>
// CHECK: memref.expand_shape %[[R]] {{\[\[}}0, 1, 2]] output_shape [1, 2, 2] : memref<4xf32> into memref<1x2x2xf32>
// CHECK: memref.get_global @v : memref<2x3xf32>
// CHECK: memref.get_global @s : memref<3xf32>
// CHECK: memref.get_global @strided : memref<2x2xf32, strided<[4, 1]>>
// CHECK: memref.get_global @ext : memref<2x2xf32>
// CHECK-NOT: memref.expand_shape
// CHECK: return
module {
  memref.global "private" constant @w : memref<2x3xf32> = dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]>
  memref.global "private" constant @r : memref<1x2x2xf32> = dense_resource<blob>
  memref.global "private" @v : memref<2x3xf32> = dense<0.0>
  memref.global "private" constant @s : memref<3xf32> = dense<1.0>
  memref.global "private" constant @strided : memref<2x2xf32, strided<[4, 1]>> = dense<1.0>
  memref.global "private" constant @ext : memref<2x2xf32>
  memref.global "private" constant @unused_constant : memref<2x2xf32> = dense<1.0>
  memref.global "private" @unused_mutable : memref<2xf32> = dense<1.0>
  memref.global constant @unused_public : memref<2xf32> = dense<1.0>
  func.func @f() -> (memref<2x3xf32>, memref<1x2x2xf32>, memref<2x3xf32>, memref<3xf32>,
                     memref<2x2xf32, strided<[4, 1]>>, memref<2x2xf32>) {
    %a = memref.get_global @w : memref<2x3xf32>
    %r = memref.get_global @r : memref<1x2x2xf32>
    %b = memref.get_global @v : memref<2x3xf32>
    %c = memref.get_global @s : memref<3xf32>
    %d = memref.get_global @strided : memref<2x2xf32, strided<[4, 1]>>
    %e = memref.get_global @ext : memref<2x2xf32>
    return %a, %r, %b, %c, %d, %e : memref<2x3xf32>, memref<1x2x2xf32>, memref<2x3xf32>, memref<3xf32>,
                                    memref<2x2xf32, strided<[4, 1]>>, memref<2x2xf32>
  }
}

{-#
  dialect_resources: {
    builtin: {
      blob: "0x040000000000803F000000400000404000008040"
    }
  }
#-}
