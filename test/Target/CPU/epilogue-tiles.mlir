// RUN: kiln-opt --split-input-file --kiln-cpu-tile-and-vectorize %s | FileCheck %s

// A matmul with a fused epilogue (NNToLinalg marks the ops kiln.epilogue):
// the bias + residual init and the relu are computed per 8x32 output tile
// inside the matmul's row/column loops, around the K loop.
// CHECK-LABEL: func.func @matmul_epilogue
// CHECK: scf.for
// CHECK:   scf.for
// CHECK:     arith.addf {{.*}} : vector<8x32xf32>
// CHECK:     vector.transfer_write
// CHECK:     scf.for
// CHECK:       vector.contract
// CHECK:     }
// CHECK:     arith.maximumf {{.*}} : vector<8x32xf32>
// CHECK:     vector.transfer_write
// CHECK:   }
// CHECK: }
// CHECK-NOT: kiln.epilogue
// CHECK: return
#bias = affine_map<(m, n) -> (n)>
#id = affine_map<(m, n) -> (m, n)>
func.func @matmul_epilogue(%a: memref<64x128xf32>, %w: memref<128x64xf32>, %b: memref<64xf32>,
                           %r: memref<64x64xf32>, %out: memref<64x64xf32>) {
  %acc = memref.alloc() : memref<64x64xf32>
  linalg.generic {indexing_maps = [#bias, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%b, %r : memref<64xf32>, memref<64x64xf32>) outs(%acc : memref<64x64xf32>) attrs = {kiln.epilogue} {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  }
  linalg.matmul ins(%a, %w : memref<64x128xf32>, memref<128x64xf32>) outs(%acc : memref<64x64xf32>)
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%acc : memref<64x64xf32>) outs(%out : memref<64x64xf32>) attrs = {kiln.epilogue} {
  ^bb0(%x: f32, %o: f32):
    %m = arith.maximumf %x, %zero : f32
    linalg.yield %m : f32
  }
  memref.dealloc %acc : memref<64x64xf32>
  return
}

// -----

// Negative: the activation writes into the matmul's own input %a; computing
// it per tile would overwrite rows the matmul still reads, so it stays a
// separate loop nest after the matmul.  And an op between the init and the
// matmul (a copy into the accumulator) keeps the init apart.
// CHECK-LABEL: func.func @not_fusible
// CHECK: vector.broadcast
// CHECK: memref.copy
// CHECK-NOT: vector.broadcast
// CHECK: scf.for
// CHECK:   scf.for
// CHECK:     scf.for
// CHECK:       vector.contract
// CHECK-NOT: arith.maximumf
// CHECK: }
// CHECK: arith.maximumf
#bias = affine_map<(m, n) -> (n)>
#id = affine_map<(m, n) -> (m, n)>
func.func @not_fusible(%a: memref<64x64xf32>, %w: memref<64x64xf32>, %b: memref<64xf32>, %c: memref<64x64xf32>) {
  %acc = memref.alloc() : memref<64x64xf32>
  linalg.generic {indexing_maps = [#bias, #id], iterator_types = ["parallel", "parallel"]}
      ins(%b : memref<64xf32>) outs(%acc : memref<64x64xf32>) attrs = {kiln.epilogue} {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  }
  memref.copy %c, %acc : memref<64x64xf32> to memref<64x64xf32>
  linalg.matmul ins(%a, %w : memref<64x64xf32>, memref<64x64xf32>) outs(%acc : memref<64x64xf32>)
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%acc : memref<64x64xf32>) outs(%a : memref<64x64xf32>) attrs = {kiln.epilogue} {
  ^bb0(%x: f32, %o: f32):
    %m = arith.maximumf %x, %zero : f32
    linalg.yield %m : f32
  }
  memref.dealloc %acc : memref<64x64xf32>
  return
}

// -----

// An activation with a transcendental function (here sigmoid: math.exp)
// stays a loop nest of its own after the matmul (per-tile it was slower);
// the bias init still goes into the tiles.
// CHECK-LABEL: func.func @sigmoid_stays_out
// CHECK: scf.for
// CHECK:   scf.for
// CHECK:     vector.broadcast
// CHECK:     scf.for
// CHECK:       vector.contract
// CHECK-NOT: math.exp
// CHECK: }
// CHECK: math.exp
#bias = affine_map<(m, n) -> (n)>
#id = affine_map<(m, n) -> (m, n)>
func.func @sigmoid_stays_out(%a: memref<64x64xf32>, %w: memref<64x64xf32>, %b: memref<64xf32>, %out: memref<64x64xf32>) {
  %acc = memref.alloc() : memref<64x64xf32>
  linalg.generic {indexing_maps = [#bias, #id], iterator_types = ["parallel", "parallel"]}
      ins(%b : memref<64xf32>) outs(%acc : memref<64x64xf32>) attrs = {kiln.epilogue} {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  }
  linalg.matmul ins(%a, %w : memref<64x64xf32>, memref<64x64xf32>) outs(%acc : memref<64x64xf32>)
  %one = arith.constant 1.0 : f32
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%acc : memref<64x64xf32>) outs(%out : memref<64x64xf32>) attrs = {kiln.epilogue} {
  ^bb0(%x: f32, %o: f32):
    %n = arith.negf %x : f32
    %e = math.exp %n : f32
    %d = arith.addf %e, %one : f32
    %s = arith.divf %one, %d : f32
    linalg.yield %s : f32
  }
  memref.dealloc %acc : memref<64x64xf32>
  return
}
