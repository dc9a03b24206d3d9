//===- Passes.td - Kiln's graph passes on the nn dialect ---*- tablegen -*-===//
//
// One pass per file in lib/Transforms.  Every pass works on a func.func of
// `nn` ops, is usable alone from kiln-opt, and counts what it did in
// counters printed by `--mlir-pass-statistics` (kiln/Transforms/Statistics.h:
// Debian's release MLIR has no-op mlir::Pass::Statistic).  buildNNOptimizationPipeline
// (lib/Pipeline) runs them at -O1..-O3.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TRANSFORMS_PASSES
#define KILN_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

def NNFuseEpilogue : Pass<"kiln-nn-fuse-epilogue", "mlir::func::FuncOp"> {
  let summary = "Fuse bias, residual Add and activation into the producing conv/matmul";
  let description = [{
    Rewrites the ops that follow an `nn.conv` or `nn.matmul` into the op's
    epilogue, `act(op(x) + bias + residual)`:
      * bias: `add` of a constant broadcast along the output channels (conv:
        [1, F, 1...]; matmul: [1..., N]) becomes the op's bias (added to an
        existing bias);
      * residual: `add` of any tensor of the result's type (the skip
        connection) becomes the `residual` operand;
      * activation: relu, clamp (Clip / Relu6), leaky_relu, sigmoid, tanh,
        hard_sigmoid, hard_swish, gelu, gelu_tanh and SiLU (`mul(x,
        sigmoid(x))`) become `act`.
    Each step needs the intermediate value to have one user (the op being
    absorbed) and a float element type; nothing is fused after an
    activation.  The lowering computes the epilogue inside the conv/matmul's
    loop nest.

    Statistics: fused-bias, fused-residual, fused-activation.
  }];
  let dependentDialects = ["kiln::nn::NNDialect", "mlir::arith::ArithDialect"];
}

def NNConstantFold : Pass<"kiln-nn-constant-fold", "mlir::func::FuncOp"> {
  let summary = "Evaluate nn ops whose operands are all constants at compile time";
  let description = [{
    Replaces by an `arith.constant` every supported nn op whose operands are
    all constants (dense or resource blobs): nn.unary, nn.binary, nn.clamp,
    nn.cast and nn.select on f32, f64 and signless integers up to 64 bits
    (i64 shape arithmetic, i32, i1), computed with the semantics of the
    lowering (NNToLinalg); nn.transpose, nn.reshape (static result, no
    `shape` operand), nn.concat, nn.slice, nn.gather and nn.broadcast (any
    element type of those); and nn.shape_of of an input whose dims
    [start, end) are static, even when the input is not a constant.
    Refused: results with more than max(1024, largest operand) elements (a
    broadcast of a scalar to a big tensor stays a broadcast) or more than
    16M elements, dynamic shapes, values the lowering leaves undefined
    (integer division by zero, INT_MIN / -1, float-to-int casts out of
    range, out-of-range gather indices).  Float results of more than 16
    elements are written as resource blobs.

    Statistics: folded.
  }];
  let dependentDialects = ["kiln::nn::NNDialect", "mlir::arith::ArithDialect"];
}

def NNDeadCodeElim : Pass<"kiln-nn-dce", "mlir::func::FuncOp"> {
  let summary = "Erase side-effect-free ops whose results are unused";
  let description = [{
    Erases, in every region of the function and until nothing changes (a
    dead chain goes at once), the ops that are trivially dead: no uses of
    their results and no side effects (`mlir::wouldOpBeTriviallyDead`: all
    nn ops, arith constants, tensor ops without memory effects).  Terminators
    and ops with side effects or unknown effects stay.

    Statistics: erased.
  }];
}

def NNSimplifyLayout : Pass<"kiln-nn-simplify-layout", "mlir::func::FuncOp"> {
  let summary = "Merge transpose/reshape chains and remove identity data movement";
  let description = [{
    * transpose(transpose(x)) -> one transpose with the composed permutation
      (x itself when that is the identity);
    * reshape(reshape(x)) -> one reshape (static types, no `shape` operand;
      done whatever the other users of the inner reshape, which keeps them);
    * transpose that only moves size-1 dims (row-major order unchanged) ->
      reshape;
    * identities removed: transpose with the identity permutation,
      reshape / broadcast / cast to the input's type, slice of the whole
      input with stride 1, pad with all-zero pads, concat of one input,
      `binary mul` by a splat 1 and `binary add` of (or `sub` of) a splat 0
      when the other operand has the result's type (float: -0 + 0 is +0, so
      the removed add could have turned a -0 into +0; the rewrite keeps -0).

    Statistics: transposes-folded, reshapes-folded, transposes-to-reshape,
    identities-removed.
  }];
  let dependentDialects = ["kiln::nn::NNDialect"];
}

def NNFoldPad : Pass<"kiln-nn-fold-pad", "mlir::func::FuncOp"> {
  let summary = "Fold nn.pad into the pads of the conv or pool that reads it";
  let description = [{
    An `nn.pad` of an NC[D]HW float tensor with non-negative pads only on
    the spatial dims, feeding:
      * nn.conv (input operand) with pad value 0 -> added to the conv's `pads`;
      * nn.pool avg with count_include_pad and pad value 0 -> added to both
        `pads` and `explicit_pads` (so the padded positions are still counted
        in the divisor);
      * nn.pool max with pad value -inf (the value the lowering pads with)
        -> added to `pads` and `explicit_pads`.
    The pad op is erased when it has no other users.  Refused: other pad
    values (0 into max pool, -FLT_MAX, nonzero into conv), pads on the batch
    or channel dims, negative pads, avg pool without count_include_pad,
    dynamic spatial dims.

    Statistics: pads-folded-into-conv, pads-folded-into-pool.
  }];
  let dependentDialects = ["kiln::nn::NNDialect"];
}

#endif
