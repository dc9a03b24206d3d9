// RUN: kiln-opt --pass-pipeline='builtin.module(func.func(kiln-cpu-lower-vectors))' %s | FileCheck %s

// vector.contract (a matmul tile) becomes FMAs over 1-D vectors, and the
// loop-invariant accumulator transfers move out of the K loop.
// CHECK-LABEL: func.func @matmul_tile
// CHECK-COUNT-4: vector.load %arg2{{.*}} : memref<4x8xf32>, vector<8xf32>
// CHECK: scf.for
// CHECK-NOT: vector.contract
// CHECK-NOT: %arg2
// CHECK: vector.fma {{.*}} : vector<8xf32>
// CHECK-NOT: %arg2
// CHECK: scf.yield
// CHECK-COUNT-4: vector.store {{.*}}, %arg2{{.*}} : memref<4x8xf32>, vector<8xf32>
#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
func.func @matmul_tile(%a: memref<4x16xf32>, %b: memref<16x8xf32>, %c: memref<4x8xf32>) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %f0 = arith.constant 0.0 : f32
  scf.for %k = %c0 to %c16 step %c4 {
    %va = vector.transfer_read %a[%c0, %k], %f0 {in_bounds = [true, true]} : memref<4x16xf32>, vector<4x4xf32>
    %vb = vector.transfer_read %b[%k, %c0], %f0 {in_bounds = [true, true]} : memref<16x8xf32>, vector<4x8xf32>
    %acc = vector.transfer_read %c[%c0, %c0], %f0 {in_bounds = [true, true]} : memref<4x8xf32>, vector<4x8xf32>
    %r = vector.contract {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %va, %vb, %acc : vector<4x4xf32>, vector<4x8xf32> into vector<4x8xf32>
    vector.transfer_write %r, %c[%c0, %c0] {in_bounds = [true, true]} : vector<4x8xf32>, memref<4x8xf32>
  }
  return
}

// A 2-D transfer becomes 1-D loads (the rank the LLVM conversion takes).
// CHECK-LABEL: func.func @transfer_2d
// CHECK-NOT: vector.transfer_read
// CHECK-COUNT-2: vector.load {{.*}} : memref<2x8xf32>, vector<8xf32>
// CHECK-NOT: vector.transfer_read
func.func @transfer_2d(%m: memref<2x8xf32>) -> vector<2x8xf32> {
  %c0 = arith.constant 0 : index
  %f0 = arith.constant 0.0 : f32
  %v = vector.transfer_read %m[%c0, %c0], %f0 {in_bounds = [true, true]} : memref<2x8xf32>, vector<2x8xf32>
  return %v : vector<2x8xf32>
}

// 1-D vector arithmetic is already what LLVM takes: left as it is.
// CHECK-LABEL: func.func @one_d
// CHECK-NEXT: %[[S:.*]] = arith.addf %arg0, %arg1 : vector<8xf32>
// CHECK-NEXT: %[[F:.*]] = vector.fma %[[S]], %arg1, %arg0 : vector<8xf32>
// CHECK-NEXT: return %[[F]]
func.func @one_d(%x: vector<8xf32>, %y: vector<8xf32>) -> vector<8xf32> {
  %s = arith.addf %x, %y : vector<8xf32>
  %f = vector.fma %s, %y, %x : vector<8xf32>
  return %f : vector<8xf32>
}

// A tile of one output element (a row of a GlobalAveragePool, ReduceSum,
// softmax): one vector.reduction of the flattened 56 elements, allowed to
// reassociate (a tree of vector adds, not 56 dependent scalar adds); a
// max keeps its kind.
// CHECK-LABEL: func.func @row_reductions
// CHECK: %[[F:.*]] = vector.extract %arg0[0, 0] : vector<56xf32> from vector<1x1x56xf32>
// CHECK: %[[A:.*]] = vector.extract %arg1[0, 0] : f32 from vector<1x1xf32>
// CHECK: %[[R:.*]] = vector.reduction <add>, %[[F]], %[[A]] fastmath<reassoc> : vector<56xf32> into f32
// CHECK: vector.broadcast %[[R]] : f32 to vector<1x1xf32>
// CHECK: vector.reduction <maximumf>, %{{.*}}, %{{.*}} : vector<56xf32> into f32
// Kept dims wider than 1 keep the lowering across rows (no reduction of
// 56 elements, the rows transposed into vector<28x2xf32>):
// CHECK-NOT: vector.reduction
// CHECK: vector<28x2xf32>
// CHECK: return
func.func @row_reductions(%x: vector<1x1x56xf32>, %acc: vector<1x1xf32>, %y: vector<2x28xf32>, %acc2: vector<2xf32>) -> (vector<1x1xf32>, vector<1x1xf32>, vector<2xf32>) {
  %0 = vector.multi_reduction <add>, %x, %acc [2] : vector<1x1x56xf32> to vector<1x1xf32>
  %1 = vector.multi_reduction <maximumf>, %x, %acc [2] : vector<1x1x56xf32> to vector<1x1xf32>
  %2 = vector.multi_reduction <add>, %y, %acc2 [1] : vector<2x28xf32> to vector<2xf32>
  return %0, %1, %2 : vector<1x1xf32>, vector<1x1xf32>, vector<2xf32>
}

// -----

// A maximum across the lanes of a vector becomes a tree of vector maxima
// on halves (LLVM expanded vector.reduce.fmax of 64 lanes into 64 scalar
// steps); the accumulator is combined last.
// CHECK-LABEL: func.func @row_max
// CHECK-NOT: vector.reduction
// CHECK: %[[A:.*]] = vector.shuffle %arg0, %arg0 [0, 1, 2, 3, 4, 5, 6, 7] : vector<16xf32>, vector<16xf32>
// CHECK: %[[B:.*]] = vector.shuffle %arg0, %arg0 [8, 9, 10, 11, 12, 13, 14, 15] : vector<16xf32>, vector<16xf32>
// CHECK: arith.maxnumf %[[A]], %[[B]] : vector<8xf32>
// CHECK: arith.maxnumf %{{.*}}, %{{.*}} : vector<4xf32>
// CHECK: arith.maxnumf %{{.*}}, %{{.*}} : vector<2xf32>
// CHECK: arith.maxnumf %{{.*}}, %{{.*}} : vector<1xf32>
// CHECK: %[[E:.*]] = vector.extract %{{.*}}[0] : f32 from vector<1xf32>
// CHECK: arith.maxnumf %[[E]], %arg1 : f32
func.func @row_max(%v: vector<16xf32>, %acc: f32) -> f32 {
  %r = vector.reduction <maxnumf>, %v, %acc : vector<16xf32> into f32
  return %r : f32
}

// -----

// NaN-propagating minimum, no accumulator; a 3-lane vector is left alone.
// CHECK-LABEL: func.func @row_min
// CHECK: arith.minimumf %{{.*}}, %{{.*}} : vector<2xf32>
// CHECK: arith.minimumf %{{.*}}, %{{.*}} : vector<1xf32>
// CHECK: vector.reduction <minimumf>, %arg1 : vector<3xf32> into f32
func.func @row_min(%v: vector<4xf32>, %w: vector<3xf32>) -> (f32, f32) {
  %r = vector.reduction <minimumf>, %v : vector<4xf32> into f32
  %s = vector.reduction <minimumf>, %w : vector<3xf32> into f32
  return %r, %s : f32, f32
}
