// RUN: kiln-opt --convert-nn-to-linalg --split-input-file %s | FileCheck %s

// Grouped-query attention (4 query heads, 2 key/value heads), an i1 key
// mask, Lq = 300 (one full block of 256 query rows and one of 44), Lk = 300
// (two full key blocks of 128 and one of 44): K^T once, then one
// scf.forall per query-block size over batch x heads x blocks; per key
// block Q x K^T, the mask, the online softmax and P x V on 1 x rows x
// cols tiles.  No [.., 300, 300] scores.
// CHECK-LABEL: func.func @gqa
// CHECK-NOT: 300x300
// The key/value head of a query head: h / (4 / 2).
// CHECK: %[[G:.*]] = arith.divui %c4{{.*}}, %c2{{.*}} : index
// K^T in key blocks: the key padded to 3 x 128 rows, viewed as [.., 3,
// 128, 16], transposed to [.., 3, 16, 128].
// CHECK: %[[PAD:.*]] = tensor.pad %arg1 low[0, 0, 0, 0] high[0, 0, %{{.*}}, 0]
// CHECK: %[[E:.*]] = tensor.expand_shape %[[PAD]] {{\[\[}}0], [1], [2, 3], [4]] output_shape [2, 2, 3, 128, 16] : tensor<2x2x384x16xf32> into tensor<2x2x3x128x16xf32>
// CHECK: %[[KT:.*]] = linalg.transpose ins(%[[E]] : tensor<2x2x3x128x16xf32>) outs(%{{.*}} : tensor<2x2x3x16x128xf32>) permutation = [0, 1, 2, 4, 3]
// CHECK: scf.forall (%{{.*}}) in (%{{.*}}) shared_outs(%{{.*}} = %{{.*}}) -> (tensor<2x4x300x8xf32>)
// CHECK: arith.divui %{{.*}}, %[[G]]
// The scale on the query block, once.
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<1x256x16xf32>) outs(%{{.*}} : tensor<1x256x16xf32>)
// CHECK: arith.mulf %{{.*}}, %cst
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %{{.*}} step %c128 iter_args({{.*}}) -> (tensor<1x256xf32>, tensor<1x256xf32>, tensor<1x256x8xf32>)
// CHECK: tensor.extract_slice %[[KT]][%{{.*}}, %{{.*}}, %{{.*}}, 0, 0] [1, 1, 1, 16, 128] [1, 1, 1, 1, 1] : tensor<2x2x3x16x128xf32> to tensor<1x16x128xf32>
// CHECK: linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<1x256x16xf32>, tensor<1x16x128xf32>) outs(%{{.*}} : tensor<1x256x128xf32>)
// CHECK: ins(%{{.*}} : tensor<1x1x128xi1>) outs(%{{.*}} : tensor<1x256x128xf32>)
// CHECK: arith.select %{{.*}}, %{{.*}}, %cst
// CHECK: arith.maxnumf
// CHECK: math.exp
// CHECK: linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<1x256x128xf32>, tensor<1x128x8xf32>) outs(%{{.*}} : tensor<1x256x8xf32>)
// The last key block, 44 wide.
// CHECK: scf.for %{{.*}} = %{{.*}} to %c300{{.*}} step %c128
// CHECK: tensor<1x16x44xf32>
// CHECK: tensor.parallel_insert_slice %{{.*}} into %{{.*}} [1, 1, 256, 8] [1, 1, 1, 1] : tensor<1x256x8xf32> into tensor<2x4x300x8xf32>
// The last query block, 44 rows.
// CHECK: scf.forall
// CHECK: tensor.parallel_insert_slice %{{.*}} into %{{.*}} [1, 1, 44, 8] [1, 1, 1, 1] : tensor<1x44x8xf32> into tensor<2x4x300x8xf32>
func.func @gqa(%q: tensor<2x4x300x16xf32>, %k: tensor<2x2x300x16xf32>, %v: tensor<2x2x300x8xf32>, %m: tensor<2x1x1x300xi1>) -> tensor<2x4x300x8xf32> {
  %o = nn.attention %q, %k, %v mask(%m : tensor<2x1x1x300xi1>) {scale = 0.25 : f32} : tensor<2x4x300x16xf32>, tensor<2x2x300x16xf32>, tensor<2x2x300x8xf32> -> tensor<2x4x300x8xf32>
  return %o : tensor<2x4x300x8xf32>
}

// -----

// Causal, dynamic sequence, rank 3, scale 1 (no scaling generic): the key
// loop without the mask ends at the query block's first row, the blocks
// across the diagonal (dynamic sizes) compare positions; query blocks of
// dynamic size (min(256, Lq - q0)).
// CHECK-LABEL: func.func @causal_dynamic
// CHECK: scf.forall
// CHECK-NOT: arith.mulf %{{.*}}, %cst
// CHECK: %[[Q0:.*]] = arith.addi %c0{{.*}}, %{{.*}} : index
// CHECK: arith.minui %c256{{.*}}, %{{.*}}
// CHECK: %[[SAFE:.*]] = arith.minui %{{.*}}, %[[Q0]] : index
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %{{.*}} step %c128 iter_args
// CHECK-NOT: arith.cmpi ugt
// CHECK: scf.yield
// CHECK: scf.for
// CHECK: linalg.index 1
// CHECK: linalg.index 2
// CHECK: arith.cmpi ugt
func.func @causal_dynamic(%q: tensor<?x?x32xf32>, %k: tensor<?x?x32xf32>, %v: tensor<?x?x32xf32>) -> tensor<?x?x32xf32> {
  %o = nn.attention %q, %k, %v {causal, scale = 1.0 : f32} : tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<?x?x32xf32> -> tensor<?x?x32xf32>
  return %o : tensor<?x?x32xf32>
}

// -----

// The key is a transpose: K^T is one transpose of its input (BERT's
// [B, L, H, D] -> [B, H, 1 block, D, L]); 128 keys are one whole block,
// no padding.
// CHECK-LABEL: func.func @key_from_transpose
// CHECK-NOT: tensor.pad
// CHECK: %[[E:.*]] = tensor.expand_shape %arg1 {{\[\[}}0], [1, 2], [3], [4]] output_shape [1, 1, 128, 12, 64] : tensor<1x128x12x64xf32> into tensor<1x1x128x12x64xf32>
// CHECK: linalg.transpose ins(%[[E]] : tensor<1x1x128x12x64xf32>) outs(%{{.*}} : tensor<1x12x1x64x128xf32>) permutation = [0, 3, 1, 4, 2]
// CHECK-NOT: linalg.transpose
func.func @key_from_transpose(%q: tensor<1x12x128x64xf32>, %k: tensor<1x128x12x64xf32>, %v: tensor<1x12x128x64xf32>) -> tensor<1x12x128x64xf32> {
  %kk = nn.transpose %k {perm = array<i64: 0, 2, 1, 3>} : tensor<1x128x12x64xf32> -> tensor<1x12x128x64xf32>
  %o = nn.attention %q, %kk, %v {scale = 0.125 : f32} : tensor<1x12x128x64xf32>, tensor<1x12x128x64xf32>, tensor<1x12x128x64xf32> -> tensor<1x12x128x64xf32>
  return %o : tensor<1x12x128x64xf32>
}

// -----

// A target with a 256 KB L2 (kiln-compile records the target's L2 as
// kiln.l2_cache_bytes): query blocks of 64 rows, whose working set (scores
// 64 x 128, query block and accumulator, a key and a value block) fits
// half of it; 256 rows would not.
// CHECK-LABEL: func.func @small_l2
// CHECK: linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<1x64x64xf32>, tensor<1x64x128xf32>) outs(%{{.*}} : tensor<1x64x128xf32>)
module attributes {kiln.l2_cache_bytes = 262144 : i64} {
  func.func @small_l2(%q: tensor<1x2x512x64xf32>, %k: tensor<1x2x512x64xf32>, %v: tensor<1x2x512x64xf32>) -> tensor<1x2x512x64xf32> {
    %o = nn.attention %q, %k, %v {scale = 0.125 : f32} : tensor<1x2x512x64xf32>, tensor<1x2x512x64xf32>, tensor<1x2x512x64xf32> -> tensor<1x2x512x64xf32>
    return %o : tensor<1x2x512x64xf32>
  }
}

// -----

// Without the attribute (a named --mcpu: its L2 is not known), 1 MB is
// assumed: blocks of 256 rows.
// CHECK-LABEL: func.func @default_l2
// CHECK: linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<1x256x64xf32>, tensor<1x64x128xf32>) outs(%{{.*}} : tensor<1x256x128xf32>)
func.func @default_l2(%q: tensor<1x2x512x64xf32>, %k: tensor<1x2x512x64xf32>, %v: tensor<1x2x512x64xf32>) -> tensor<1x2x512x64xf32> {
  %o = nn.attention %q, %k, %v {scale = 0.125 : f32} : tensor<1x2x512x64xf32>, tensor<1x2x512x64xf32>, tensor<1x2x512x64xf32> -> tensor<1x2x512x64xf32>
  return %o : tensor<1x2x512x64xf32>
}
