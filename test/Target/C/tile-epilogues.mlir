// RUN: kiln-opt %s --kiln-c-tile-epilogues --canonicalize | FileCheck %s

// A 1x1 convolution as [F, C] x [N, C, P] into int32 accumulators, reshaped
// to NCHW and requantized to int8: the epilogue is tiled per (n, f) and the
// product and its zero fill move into the loop through the expand_shape;
// the accumulator is one channel (1x1x16 i32), not the whole 1x4x16.
// CHECK-LABEL: func.func @pointwise
// CHECK-NOT: tensor<1x4x16xi32>
// CHECK: scf.for %[[F:[a-z0-9_]+]] =
// CHECK: %[[W:.*]] = tensor.extract_slice %{{.*}}[%[[F]], 0] [1, 3] [1, 1] : tensor<4x3xi8> to tensor<1x3xi8>
// CHECK: %[[E:.*]] = tensor.empty() : tensor<1x1x16xi32>
// CHECK: %[[Z:.*]] = linalg.fill {{.*}} outs(%[[E]] : tensor<1x1x16xi32>)
// CHECK: %[[A:.*]] = linalg.generic {{.*}} ins(%[[W]], %arg0 : tensor<1x3xi8>, tensor<1x3x16xi8>) outs(%[[Z]] : tensor<1x1x16xi32>)
// CHECK: tensor.expand_shape %[[A]] {{.*}} into tensor<1x1x4x4xi32>
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x1x4x4xi8>)
// CHECK: tensor.insert_slice {{.*}} into %{{.*}}[0, %[[F]], 0, 0] [1, 1, 4, 4]
#w = affine_map<(n, f, p, c) -> (f, c)>
#x = affine_map<(n, f, p, c) -> (n, c, p)>
#o = affine_map<(n, f, p, c) -> (n, f, p)>
#id = affine_map<(n, f, h, w) -> (n, f, h, w)>
func.func @pointwise(%x: tensor<1x3x16xi8>) -> tensor<1x4x4x4xi8> {
  %w = arith.constant dense<[[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]]> : tensor<4x3xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x4x16xi32>
  %z = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x4x16xi32>) -> tensor<1x4x16xi32>
  %acc = linalg.generic {indexing_maps = [#w, #x, #o], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%w, %x : tensor<4x3xi8>, tensor<1x3x16xi8>) outs(%z : tensor<1x4x16xi32>) {
  ^bb0(%a: i8, %b: i8, %s: i32):
    %a32 = arith.extsi %a : i8 to i32
    %b32 = arith.extsi %b : i8 to i32
    %m = arith.muli %a32, %b32 : i32
    %r = arith.addi %s, %m : i32
    linalg.yield %r : i32
  } -> tensor<1x4x16xi32>
  %acc4 = tensor.expand_shape %acc [[0], [1], [2, 3]] output_shape [1, 4, 4, 4] : tensor<1x4x16xi32> into tensor<1x4x4x4xi32>
  %e8 = tensor.empty() : tensor<1x4x4x4xi8>
  %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%acc4 : tensor<1x4x4x4xi32>) outs(%e8 : tensor<1x4x4x4xi8>) {
  ^bb0(%a: i32, %o: i8):
    %t = arith.trunci %a : i32 to i8
    linalg.yield %t : i8
  } -> tensor<1x4x4x4xi8>
  return %y : tensor<1x4x4x4xi8>
}

// Left alone: an epilogue of the accumulator's own type (f32: it writes
// over the accumulator in place), and accumulators read by something else
// too (they must exist whole).
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: scf.for
// CHECK: return
#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
#id2 = affine_map<(m, n) -> (m, n)>
func.func @left_alone(%x: tensor<8x3xf32>, %xi: tensor<8x3xi8>) -> (tensor<8x4xf32>, tensor<8x4xi8>, tensor<8x4xi32>) {
  %w = arith.constant dense<1.0> : tensor<3x4xf32>
  %wi = arith.constant dense<1> : tensor<3x4xi8>
  %c0 = arith.constant 0.0 : f32
  %c0i = arith.constant 0 : i32
  %e = tensor.empty() : tensor<8x4xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<8x4xf32>) -> tensor<8x4xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<8x3xf32>, tensor<3x4xf32>) outs(%z : tensor<8x4xf32>) -> tensor<8x4xf32>
  %e2 = tensor.empty() : tensor<8x4xf32>
  %relu = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%mm : tensor<8x4xf32>) outs(%e2 : tensor<8x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %c0 : f32
    linalg.yield %r : f32
  } -> tensor<8x4xf32>
  %ei = tensor.empty() : tensor<8x4xi32>
  %zi = linalg.fill ins(%c0i : i32) outs(%ei : tensor<8x4xi32>) -> tensor<8x4xi32>
  %acc = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%xi, %wi : tensor<8x3xi8>, tensor<3x4xi8>) outs(%zi : tensor<8x4xi32>) {
  ^bb0(%a: i8, %b: i8, %s: i32):
    %a32 = arith.extsi %a : i8 to i32
    %b32 = arith.extsi %b : i8 to i32
    %m = arith.muli %a32, %b32 : i32
    %r = arith.addi %s, %m : i32
    linalg.yield %r : i32
  } -> tensor<8x4xi32>
  %e8 = tensor.empty() : tensor<8x4xi8>
  %q = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%acc : tensor<8x4xi32>) outs(%e8 : tensor<8x4xi8>) {
  ^bb0(%a: i32, %o: i8):
    %t = arith.trunci %a : i32 to i8
    linalg.yield %t : i8
  } -> tensor<8x4xi8>
  return %relu, %q, %acc : tensor<8x4xf32>, tensor<8x4xi8>, tensor<8x4xi32>
}

// A 2-d epilogue is tiled by rows: each row's accumulators are computed
// beside its requantization.
// CHECK-LABEL: func.func @rows
// CHECK: scf.for %[[M:[a-z0-9_]+]] =
// CHECK: tensor.extract_slice %arg0[%[[M]], 0] [1, 3] [1, 1] : tensor<8x3xi8> to tensor<1x3xi8>
// CHECK: linalg.fill {{.*}} -> tensor<1x4xi32>
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x4xi32>)
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x4xi8>)
func.func @rows(%xi: tensor<8x3xi8>) -> tensor<8x4xi8> {
  %wi = arith.constant dense<1> : tensor<3x4xi8>
  %c0i = arith.constant 0 : i32
  %ei = tensor.empty() : tensor<8x4xi32>
  %zi = linalg.fill ins(%c0i : i32) outs(%ei : tensor<8x4xi32>) -> tensor<8x4xi32>
  %acc = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%xi, %wi : tensor<8x3xi8>, tensor<3x4xi8>) outs(%zi : tensor<8x4xi32>) {
  ^bb0(%a: i8, %b: i8, %s: i32):
    %a32 = arith.extsi %a : i8 to i32
    %b32 = arith.extsi %b : i8 to i32
    %m = arith.muli %a32, %b32 : i32
    %r = arith.addi %s, %m : i32
    linalg.yield %r : i32
  } -> tensor<8x4xi32>
  %e8 = tensor.empty() : tensor<8x4xi8>
  %q = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%acc : tensor<8x4xi32>) outs(%e8 : tensor<8x4xi8>) {
  ^bb0(%a: i32, %o: i8):
    %t = arith.trunci %a : i32 to i8
    linalg.yield %t : i8
  } -> tensor<8x4xi8>
  return %q : tensor<8x4xi8>
}

// The tiled epilogue read only by a pad (a depthwise layer's padded input)
// writes its tiles into the interior of the padded tensor, filled first
// with the pad value: the unpadded tensor never exists beside it.  With a
// second reader the pad stays a copy.
// CHECK-LABEL: func.func @into_pad
// CHECK: %[[E:.*]] = tensor.empty() : tensor<1x4x6x6xi8>
// CHECK: %[[P:.*]] = linalg.fill ins(%{{.*}} : i8) outs(%[[E]] : tensor<1x4x6x6xi8>)
// CHECK: %[[L:.*]] = scf.for %[[F:[a-z0-9_]+]] = {{.*}} iter_args(%[[A:.*]] = %[[P]]) -> (tensor<1x4x6x6xi8>)
// CHECK: tensor.extract_slice %[[A]][0, %[[F]], 1, 1] [1, 1, 4, 4]
// CHECK: tensor.insert_slice {{.*}} into %[[A]][0, %[[F]], 1, 1] [1, 1, 4, 4]
// CHECK-NOT: tensor.pad
// CHECK: return %[[L]]
// CHECK-LABEL: func.func @pad_and_other_reader
// CHECK: scf.for
// CHECK: tensor.pad
func.func @into_pad(%x: tensor<1x3x16xi8>) -> tensor<1x4x6x6xi8> {
  %w = arith.constant dense<[[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]]> : tensor<4x3xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x4x16xi32>
  %z = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x4x16xi32>) -> tensor<1x4x16xi32>
  %acc = linalg.generic {indexing_maps = [#w, #x, #o], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%w, %x : tensor<4x3xi8>, tensor<1x3x16xi8>) outs(%z : tensor<1x4x16xi32>) {
  ^bb0(%a: i8, %b: i8, %s: i32):
    %a32 = arith.extsi %a : i8 to i32
    %b32 = arith.extsi %b : i8 to i32
    %m = arith.muli %a32, %b32 : i32
    %r = arith.addi %s, %m : i32
    linalg.yield %r : i32
  } -> tensor<1x4x16xi32>
  %acc4 = tensor.expand_shape %acc [[0], [1], [2, 3]] output_shape [1, 4, 4, 4] : tensor<1x4x16xi32> into tensor<1x4x4x4xi32>
  %e8 = tensor.empty() : tensor<1x4x4x4xi8>
  %q = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%acc4 : tensor<1x4x4x4xi32>) outs(%e8 : tensor<1x4x4x4xi8>) {
  ^bb0(%a: i32, %o: i8):
    %t = arith.trunci %a : i32 to i8
    linalg.yield %t : i8
  } -> tensor<1x4x4x4xi8>
  %pv = arith.constant -128 : i8
  %p = tensor.pad %q low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %pv : i8
  } : tensor<1x4x4x4xi8> to tensor<1x4x6x6xi8>
  return %p : tensor<1x4x6x6xi8>
}

func.func @pad_and_other_reader(%x: tensor<1x3x16xi8>) -> (tensor<1x4x6x6xi8>, tensor<1x4x4x4xi8>) {
  %w = arith.constant dense<[[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]]> : tensor<4x3xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x4x16xi32>
  %z = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x4x16xi32>) -> tensor<1x4x16xi32>
  %acc = linalg.generic {indexing_maps = [#w, #x, #o], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%w, %x : tensor<4x3xi8>, tensor<1x3x16xi8>) outs(%z : tensor<1x4x16xi32>) {
  ^bb0(%a: i8, %b: i8, %s: i32):
    %a32 = arith.extsi %a : i8 to i32
    %b32 = arith.extsi %b : i8 to i32
    %m = arith.muli %a32, %b32 : i32
    %r = arith.addi %s, %m : i32
    linalg.yield %r : i32
  } -> tensor<1x4x16xi32>
  %acc4 = tensor.expand_shape %acc [[0], [1], [2, 3]] output_shape [1, 4, 4, 4] : tensor<1x4x16xi32> into tensor<1x4x4x4xi32>
  %e8 = tensor.empty() : tensor<1x4x4x4xi8>
  %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%acc4 : tensor<1x4x4x4xi32>) outs(%e8 : tensor<1x4x4x4xi8>) {
  ^bb0(%a: i32, %o: i8):
    %t = arith.trunci %a : i32 to i8
    linalg.yield %t : i8
  } -> tensor<1x4x4x4xi8>
  %pv = arith.constant -128 : i8
  %p = tensor.pad %y low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %pv : i8
  } : tensor<1x4x4x4xi8> to tensor<1x4x6x6xi8>
  return %p, %y : tensor<1x4x6x6xi8>, tensor<1x4x4x4xi8>
}
