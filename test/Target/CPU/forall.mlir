// RUN: kiln-opt %s --split-input-file --kiln-cpu-forall-in-place | FileCheck %s --check-prefix=INPLACE

// kiln-cpu-forall-in-place: a block computed into a tensor.empty and
// inserted into the shared output is computed into the output's slice.
// INPLACE-LABEL: func.func @blocks
// INPLACE: scf.forall (%[[I:.*]]) in (4) shared_outs(%[[O:.*]] = %{{.*}})
// INPLACE: %[[S:.*]] = tensor.extract_slice %[[O]][%{{.*}}] [16] [1]
// INPLACE: linalg.generic {{.*}} outs(%[[S]] : tensor<16xf32>)
// INPLACE: tensor.parallel_insert_slice
func.func @blocks(%x: tensor<64xf32>) -> tensor<64xf32> {
  %init = tensor.empty() : tensor<64xf32>
  %r = scf.forall (%i) in (4) shared_outs(%o = %init) -> (tensor<64xf32>) {
    %off = affine.apply affine_map<(d0) -> (d0 * 16)>(%i)
    %xs = tensor.extract_slice %x[%off] [16] [1] : tensor<64xf32> to tensor<16xf32>
    %e = tensor.empty() : tensor<16xf32>
    %y = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%xs : tensor<16xf32>) outs(%e : tensor<16xf32>) {
    ^bb0(%a: f32, %b: f32):
      %m = arith.mulf %a, %a : f32
      linalg.yield %m : f32
    } -> tensor<16xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %y into %o[%off] [16] [1] : tensor<16xf32> into tensor<64xf32>
    }
  }
  return %r : tensor<64xf32>
}


// -----

// Outside scf.forall loops nothing changes (on whole functions, empty
// tensor elimination broke the sub-pixel ConvTranspose lowering's strided
// inserts): the block is still computed into its tensor.empty.
// INPLACE-LABEL: func.func @outside_forall
// INPLACE: %[[E:.*]] = tensor.empty() : tensor<16xf32>
// INPLACE: %[[Y:.*]] = linalg.generic {{.*}} outs(%[[E]] : tensor<16xf32>)
// INPLACE: tensor.insert_slice %[[Y]] into %arg1[16] [16] [2]
func.func @outside_forall(%x: tensor<16xf32>, %dst: tensor<64xf32>) -> tensor<64xf32> {
  %e = tensor.empty() : tensor<16xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%a: f32, %b: f32):
    %m = arith.mulf %a, %a : f32
    linalg.yield %m : f32
  } -> tensor<16xf32>
  %r = tensor.insert_slice %y into %dst[16] [16] [2] : tensor<16xf32> into tensor<64xf32>
  return %r : tensor<64xf32>
}
