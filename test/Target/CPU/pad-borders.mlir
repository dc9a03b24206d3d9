// RUN: kiln-opt --split-input-file --kiln-cpu-pad-borders %s | FileCheck %s

// kiln-cpu-pad-borders: the zero fill of a padded buffer [N, 8, 12, 14]
// whose interior [?, 8, 10, 10] at (0, 0, 1, 2) then receives a copy (a
// dynamic batch, copied whole) becomes fills of the rows above and below
// the interior (dim 2: 1 row at 0, 1 row at 11; all columns), then of the
// columns left and right of it within the interior rows (dim 3: 2 columns
// at 0, 2 at 12); the channels are copied whole (no block).
// CHECK-LABEL: func.func @pad
// CHECK: %[[P:.*]] = memref.alloc(%[[N:.*]]) {alignment = 64 : i64} : memref<?x8x12x14xf32>
// CHECK: %[[TOP:.*]] = memref.subview %[[P]][0, 0, 0, 0] [%[[N]], 8, 1, 14] [1, 1, 1, 1]
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[TOP]]
// CHECK: %[[BOT:.*]] = memref.subview %[[P]][0, 0, 11, 0] [%[[N]], 8, 1, 14] [1, 1, 1, 1]
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[BOT]]
// CHECK: %[[LEFT:.*]] = memref.subview %[[P]][0, 0, 1, 0] [%{{.*}}, 8, 10, 2] [1, 1, 1, 1]
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[LEFT]]
// CHECK: %[[RIGHT:.*]] = memref.subview %[[P]][0, 0, 1, 12] [%{{.*}}, 8, 10, 2] [1, 1, 1, 1]
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[RIGHT]]
// CHECK-NOT: linalg.fill
// CHECK-NOT: linalg.map
// CHECK: memref.copy
func.func @pad(%src: memref<?x8x10x10xf32>) -> memref<?x8x12x14xf32> {
  %c0 = arith.constant 0 : index
  %cst = arith.constant 0.0 : f32
  %n = memref.dim %src, %c0 : memref<?x8x10x10xf32>
  %p = memref.alloc(%n) {alignment = 64 : i64} : memref<?x8x12x14xf32>
  linalg.map outs(%p : memref<?x8x12x14xf32>)
    (%init: f32) {
      linalg.yield %cst : f32
    }
  %in = memref.subview %p[0, 0, 1, 2] [%n, 8, 10, 10] [1, 1, 1, 1] : memref<?x8x12x14xf32> to memref<?x8x10x10xf32, strided<[1344, 168, 14, 1], offset: 16>>
  memref.copy %src, %in : memref<?x8x10x10xf32> to memref<?x8x10x10xf32, strided<[1344, 168, 14, 1], offset: 16>>
  return %p : memref<?x8x12x14xf32>
}

// -----

// Left alone: a fill read before the copy; a fill with a value computed
// in its body; a copy into a subview with a dynamic offset.
// CHECK-LABEL: func.func @kept
// CHECK-COUNT-3: linalg.map
func.func @kept(%src: memref<1x4x6x6xf32>, %o: index, %other: memref<1x4x8x8xf32>) {
  %cst = arith.constant -1.0 : f32
  %a = memref.alloc() : memref<1x4x8x8xf32>
  linalg.map outs(%a : memref<1x4x8x8xf32>)
    (%init: f32) {
      linalg.yield %cst : f32
    }
  memref.copy %a, %other : memref<1x4x8x8xf32> to memref<1x4x8x8xf32>
  %ai = memref.subview %a[0, 0, 1, 1] [1, 4, 6, 6] [1, 1, 1, 1] : memref<1x4x8x8xf32> to memref<1x4x6x6xf32, strided<[256, 64, 8, 1], offset: 9>>
  memref.copy %src, %ai : memref<1x4x6x6xf32> to memref<1x4x6x6xf32, strided<[256, 64, 8, 1], offset: 9>>
  %b = memref.alloc() : memref<1x4x8x8xf32>
  linalg.map outs(%b : memref<1x4x8x8xf32>)
    (%init: f32) {
      %z = arith.addf %init, %cst : f32
      linalg.yield %z : f32
    }
  %bi = memref.subview %b[0, 0, 1, 1] [1, 4, 6, 6] [1, 1, 1, 1] : memref<1x4x8x8xf32> to memref<1x4x6x6xf32, strided<[256, 64, 8, 1], offset: 9>>
  memref.copy %src, %bi : memref<1x4x6x6xf32> to memref<1x4x6x6xf32, strided<[256, 64, 8, 1], offset: 9>>
  %c = memref.alloc() : memref<1x4x8x8xf32>
  linalg.map outs(%c : memref<1x4x8x8xf32>)
    (%init: f32) {
      linalg.yield %cst : f32
    }
  %ci = memref.subview %c[0, 0, %o, 1] [1, 4, 6, 6] [1, 1, 1, 1] : memref<1x4x8x8xf32> to memref<1x4x6x6xf32, strided<[256, 64, 8, 1], offset: ?>>
  memref.copy %src, %ci : memref<1x4x6x6xf32> to memref<1x4x6x6xf32, strided<[256, 64, 8, 1], offset: ?>>
  memref.copy %b, %other : memref<1x4x8x8xf32> to memref<1x4x8x8xf32>
  memref.copy %c, %other : memref<1x4x8x8xf32> to memref<1x4x8x8xf32>
  return
}
