// RUN: kiln-opt --split-input-file --kiln-cpu-multi-dynamic-expand-shape %s | FileCheck %s
// RUN: kiln-opt --split-input-file --kiln-cpu-multi-dynamic-expand-shape --expand-strided-metadata %s | FileCheck %s --check-prefix=META

// A group with three dynamic sizes (a matmul result [?x768] expanded back to
// [?x?x?x768], as in Swin with run-time window counts): MLIR 22's
// expand-strided-metadata crashes on the expand_shape, so it becomes a
// reinterpret_cast with row-major strides computed from the sizes.
// CHECK-LABEL: func.func @three_dynamic
// CHECK-NOT: memref.expand_shape
// CHECK: %[[S2:.*]] = arith.muli %c768, %arg3 : index
// CHECK: %[[S1:.*]] = arith.muli %[[S2]], %arg2 : index
// CHECK: memref.reinterpret_cast %{{.*}} to offset: [0], sizes: [%arg1, %arg2, %arg3, 768], strides: [%[[S1]], %[[S2]], 768, 1] : memref<?x768xf32> to memref<?x?x?x768xf32>
// META-LABEL: func.func @three_dynamic
// META: %[[A:.*]] = arith.muli %arg3, %c768
// META: %[[B:.*]] = arith.muli %[[A]], %arg2
// META: return %[[B]]
func.func @three_dynamic(%n: index, %a: index, %b: index, %c: index) -> index {
  %alloc = memref.alloc(%n) : memref<?x768xf32>
  %e = memref.expand_shape %alloc [[0, 1, 2], [3]] output_shape [%a, %b, %c, 768] : memref<?x768xf32> into memref<?x?x?x768xf32>
  %base, %off, %s:4, %st:4 = memref.extract_strided_metadata %e : memref<?x?x?x768xf32> -> memref<f32>, index, index, index, index, index, index, index, index, index
  return %st#0 : index
}

// -----

// One dynamic size per group: left to expand-strided-metadata.
// CHECK-LABEL: func.func @one_dynamic
// CHECK: memref.expand_shape
// CHECK-NOT: memref.reinterpret_cast
func.func @one_dynamic(%n: index, %a: index) -> memref<?x4x8xf32> {
  %alloc = memref.alloc(%n) : memref<?x8xf32>
  %e = memref.expand_shape %alloc [[0, 1], [2]] output_shape [%a, 4, 8] : memref<?x8xf32> into memref<?x4x8xf32>
  return %e : memref<?x4x8xf32>
}

// -----

// A strided source: the group's strides scale the source stride (16).
// CHECK-LABEL: func.func @strided_source
// CHECK: %[[S:.*]] = arith.muli %c16, %arg2 : index
// CHECK: memref.reinterpret_cast %arg0 to offset: [0], sizes: [%arg1, %arg2, 8], strides: [%[[S]], 16, 1]
// META-LABEL: func.func @strided_source
// META: memref.reinterpret_cast
func.func @strided_source(%m: memref<?x8xf32, strided<[16, 1]>>, %a: index, %b: index) -> memref<?x?x8xf32, strided<[?, 16, 1]>> {
  %e = memref.expand_shape %m [[0, 1], [2]] output_shape [%a, %b, 8] : memref<?x8xf32, strided<[16, 1]>> into memref<?x?x8xf32, strided<[?, 16, 1]>>
  return %e : memref<?x?x8xf32, strided<[?, 16, 1]>>
}
