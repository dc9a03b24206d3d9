//===- Passes.td - Kiln's graph passes on the nn dialect ---*- tablegen -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
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

def NNRemoveDeadChannels : Pass<"kiln-nn-remove-dead-channels", "mlir::func::FuncOp"> {
  let summary = "Remove channels that nothing observes (pruned filters, zero BatchNorm scales)";
  let description = [{
    Models pruned during training keep the pruned channels as exact zeros:
    a conv / matmul output channel whose weights are all zero holds the
    constant act(bias) everywhere (a zero BatchNorm scale, once
    kiln-nn-fold-scale-shift has folded it, is such a row).  A channel is
    removed when nothing observes it: every conv / matmul that reads it
    either has zero weights for it, or takes its constant into its bias
    (exact: any matmul; a conv without padding; a conv with padding only
    for the constant 0).

    Channels are removed in groups (kiln/Transforms/ChannelGroups.h): the
    channel of a layer's output together with the same channel of every
    value computed from it by element-wise ops (unary, clamp, binary with
    per-channel constants, which are sliced), pooling, reductions over other
    axes, depthwise convolutions (the filter rows go, `groups` shrinks),
    concat (at the input's offset), the flatten reshape in front of a
    Linear layer (a block of columns) and residual adds, where the channel
    goes only if it goes from every branch.  Constants are propagated
    through the group (relu(b), BatchNorm shifts, sigmoid(0) = 0.5, ...).
    A value read by anything else (an op not listed, a function result, a
    grouped convolution with 1 < groups < channels, a nested region) keeps
    its shape, and so does its group.  A value never loses its last channel.
    A zero weight column drops the channel even where it holds NaN or Inf
    (0 x Inf is NaN in the unoptimized model).

    Statistics: channels-removed (output channels of convolutions and
    matmuls), groups-removed, macs-removed (dynamic dims counted as 1).
  }];
  let dependentDialects = ["kiln::nn::NNDialect", "mlir::arith::ArithDialect"];
}

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

def NNFuseAttention : Pass<"kiln-nn-fuse-attention", "mlir::func::FuncOp"> {
  let summary = "Fuse MatMul / scale / mask Adds / Softmax / MatMul chains into nn.attention";
  let description = [{
    Finds `softmax(scale * (Q x K^T) + masks, last axis) x V` as exporters
    write it (torch's nn.MultiheadAttention and TransformerEncoderLayer slow
    path, BERT, GPT, ViT and Swin blocks) and replaces it by one
    nn.attention:
      * the scale: Mul or Div by a scalar constant after the product, or on
        Q (and K^T);
      * masks: Adds of f32 tensors of the scores' rank whose dims broadcast
        into the scores (the Add's result is the scores' type); several
        add up into one mask; a constant [1, .., L, L] mask that keeps
        j <= i and removes j > i (0 and -inf, or <= -1e4) becomes the
        `causal` flag, so the lowering skips the key blocks above the
        diagonal;
      * Q, K^T and V of rank 3 or 4 with the scores' batch (and head) dims,
        unbroadcast; K^T from an nn.transpose becomes the key through one
        transpose of that transpose's input.
    Left alone: a softmax over another axis or a log-softmax, intermediate
    values with other users, a mask added inside the scale, scores that a
    mask broadcasts to a larger shape, a P x V product with a fused
    epilogue or broadcast (head-mixing) batch dims.

    Statistics: attention-fused, causal-masks.
  }];
  let dependentDialects = ["kiln::nn::NNDialect"];
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

def NNFoldShapeArith : Pass<"kiln-nn-fold-shape-arith", "mlir::func::FuncOp"> {
  let summary = "Rebuild elements read from shape tensors as scalars (dims and constants)";
  let description = [{
    Exporters compute Reshape and Expand targets from the input's shape at
    run time (Shape -> Gather -> Unsqueeze -> Concat; torch's
    expand(n, -1, -1) through Equal and Where).  Every `tensor.extract` with
    constant indices from such a small static integer tensor (at most 64
    elements) is rebuilt as a scalar: an element of `nn.shape_of` is a
    `tensor.dim` (index_cast to the element type); of `nn.concat` (1-D),
    `nn.reshape` (static) and `nn.gather` (axis 0, constant indices), the
    element it copies; of `nn.binary` (add, sub, mul, max, min and the
    signed comparisons), `nn.select`, `nn.fill` and constants, the scalar
    arith op on the elements (numpy broadcasting).  Upstream arith
    canonicalization then folds the constants, and a comparison of a value
    that is never negative (a dim, sums/products/maxima/selections of dims
    and non-negative constants) with a negative constant (`== -1`: ONNX's
    "infer this dim") or with 0 (`< 0`, `>= 0`) becomes a constant.  The
    shape tensors themselves are left to kiln-nn-dce.  Lowered buffers are
    then sized from the inputs' dims and constants, which the static memory
    plan can size when the run starts.

    Statistics: elements-folded.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::tensor::TensorDialect"];
}

def NNQuantize : Pass<"kiln-nn-quantize", "mlir::func::FuncOp"> {
  let summary = "Rewrite calibrated convolutions and matmuls to int8 (nn.qconv / nn.qmatmul), bf16 or int4 weights";
  let description = [{
    For every `nn.conv` and `nn.matmul` that carries the calibrated range of
    its activation input (`kiln.quant.input_range = array<f32: lo, hi>`,
    written by `kiln-compile --quantize`'s calibration) and is not marked
    `kiln.quant.precision = "fp32"`:
      * the input becomes `nn.quantize` to uint8 with one scale and zero
        point from the range (widened to contain 0; scale = range / 255);
      * the constant weights are quantized to int8, symmetric, one scale per
        output channel (max |w| / 127, round half to even);
      * the layer becomes `nn.qconv` / `nn.qmatmul`, which accumulates in
        int32 and dequantizes in its epilogue (bias, residual, activation
        unchanged), so its result stays f32.
    Layers that cannot run in int8 (non-constant weights, dynamic channels
    or spatial dims, a batched rhs, grouped and depthwise convolutions,
    which have no int8 kernel yet) keep their float form and are counted.
    Precision "bf16" (no range needed) casts the input to bf16 and rounds
    the weights to a bf16 constant.

    Precision "int4" (weight-only; an `nn.matmul` with a constant [K, N]
    rhs) needs `kiln.quant.int4_group = G : i64` (K a multiple of G, G
    even): the weights become asymmetric 4-bit codes per group of G along K
    and column (scale = (max - min) / 15, integer zero point), packed two
    per byte, and the layer `nn.int4_matmul` with an f32 input.  With
    `kiln.quant.awq_scale = array<f32: s_0, ...>` (K values, the AWQ
    search of kiln-compile) the weights are quantized as diag(s) W and the
    input divided by s: an `nn.binary mul` by the reciprocals, shared by the
    layers that read the same tensor with the same scales, and folded into
    an `nn.layer_norm` over the last dim that makes the input when nothing
    else reads it.

    Statistics: quantized-layers, float-layers (marked fp32), unsupported,
    bf16-layers, int4-layers, awq-folded.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect"];
}

def NNFixedPointRequantize : Pass<"kiln-nn-fixed-point-requantize", "mlir::func::FuncOp"> {
  let summary = "Keep int8 activations in 8 bits between layers: integer-only epilogues (nn.requantize)";
  let description = [{
    For targets without a float epilogue worth having (`--target=c`): an
    `nn.qconv` / `nn.qmatmul` with an f32 result, no residual and an
    activation that is none, ReLU or Clip, whose result reaches an
    `nn.quantize` (per-tensor constant scale s_y and zero point) directly or
    through max pooling, reshapes without a shape operand and transposes,
    each used once, becomes:
      * the same layer yielding its exact int32 accumulators (no bias, no
        activation);
      * `nn.requantize` with, per output channel, TFLite's QuantizeMultiplier
        of s_x * s_w[c] / s_y (an int32 Q31 mantissa and a shift), the bias
        rounded to int32 in units of s_x * s_w[c], the quantize's zero point,
        and the activation as a clamp (ReLU: at the zero point; Clip: its
        bounds quantized);
      * the pooling, reshapes and transposes on the 8-bit values.
    With max pooling in between, the values become signed int8 (zero point
    - 128) and every reader of the quantization, which must then be an int8
    layer's data input, reads them as signed; otherwise the quantization's
    signedness is kept.  Results differ from the float epilogue by the
    rounding of the bias and of the fixed-point multiply (at most one step
    of the output's scale per element, in the usual case).

    Left alone: layers with a residual or another activation, results with
    other readers, per-axis or run-time quantization parameters.

    Statistics: requantized-layers, ops-moved-to-int8.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect"];
}

def NNRecordFlops : Pass<"kiln-nn-record-flops", "mlir::ModuleOp"> {
  let summary = "Count the FLOPs of convolutions and matmuls at run time for the per-node profile";
  let description = [{
    For `kiln-compile --profile`: after every `nn.conv`, `nn.conv_transpose`
    and `nn.matmul` on float elements, inserts a call

        func.call @kiln.profile.flops(%flops) : (i64) -> ()

    at the op's location, with the floating-point operations the op just did
    (2 per multiply-add; the epilogue's bias, residual and activation are
    not counted), computed from the actual sizes (`tensor.dim` of dynamic
    dims; a constant for static shapes), and declares the function.  The
    CPU back end's kiln-cpu-instrument-profile turns each call into an
    atomic addition to the FLOP counter of the profile entry whose timed
    code runs it, so dynamic batch, spatial and sequence dims and the
    bodies of Loop / Scan count what ran.  Not for integer (quantized) ops.

      conv:           2 x result elements x (C / groups) x kernel elements
      conv_transpose: 2 x input elements x (F / groups) x kernel elements
      matmul:         2 x result elements x K

    Statistics: counted-ops, dynamic-ops (those with a run-time count).
  }];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::tensor::TensorDialect",
                           "mlir::func::FuncDialect"];
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

def NNFoldScaleShift : Pass<"kiln-nn-fold-scale-shift", "mlir::func::FuncOp"> {
  let summary = "Fold per-channel mul/div/add/sub (inference BatchNorm) into conv/matmul weights";
  let description = [{
    An inference BatchNormalization reaches nn as `add(mul(x, s), t)` with
    constant s, t of shape [1, C, 1...].  When x is the only-used f32 result
    of an `nn.conv`, `nn.conv_transpose` or `nn.matmul` that has no epilogue
    activation or residual:
      * `mul` by a constant that varies only along the output channels (or a
        scalar) scales the weights and bias: conv filter[f, ...] *= s[f];
        conv_transpose filter [C, F/groups, k...] scales output channel
        g * F/groups + f; matmul rhs [1..., K, N] column n *= s[n]; bias *= s.
        The weights (and bias) must be f32 constants.  `div` by such a
        constant is a mul by its reciprocal (refused for a zero divisor).
      * `add`/`sub` of such a constant goes into the bias (created if
        absent; an existing bias must be constant).
    The new weights are computed in double and stored as f32.

    Statistics: scales-folded, shifts-folded.
  }];
  let dependentDialects = ["kiln::nn::NNDialect", "mlir::arith::ArithDialect"];
}

def NNMergeSiblings : Pass<"kiln-nn-merge-siblings", "mlir::func::FuncOp"> {
  let summary = "Merge convs/matmuls that read the same input into one wider op plus slices";
  let description = [{
    `nn.conv` ops of one block that read the same input with identical
    strides, dilations, pads and kernel size, groups = 1, constant f32
    filters (and constant biases or none), the same epilogue activation and
    no residual become one conv whose filters (and biases; a missing bias is
    zeros) are concatenated along F, followed by one `nn.slice` per original
    op along dim 1.  Likewise `nn.matmul` ops with the same lhs, a constant
    rhs [1..., K, Ni] (concatenated along N), an optional constant bias, the
    same activation and no residual; the slices are along the last dim.
    FLOPs are unchanged; the input is read once instead of once per op and
    the wider op vectorizes better.  Rule: at least 2 siblings, a static
    channel dim (other dims may be dynamic), and the merged width (sum of F or of N) at most 4096 (larger
    groups are split greedily in program order).

    Statistics: siblings-merged (ops removed), groups-formed.
  }];
  let dependentDialects = ["kiln::nn::NNDialect", "mlir::arith::ArithDialect"];
}

def NNMergeSequential : Pass<"kiln-nn-merge-sequential", "mlir::func::FuncOp"> {
  let summary = "Merge two linear layers with nothing between them when that costs fewer FLOPs";
  let description = [{
      * `nn.conv` A (groups 1, any kernel/stride/pads/dilation, constant
        filter W1 [F1, C, k...], constant bias b1 or none, no activation or
        residual) whose result's only user is the input of a 1x1 `nn.conv` B
        (stride 1, no pads, groups 1, constant W2 [F2, F1, 1...], constant
        b2 or none; B's activation and residual are kept) becomes one conv
        with A's geometry, W[f2, c, ...] = sum_f1 W2[f2, f1] W1[f1, c, ...]
        and b = W2 b1 + b2.  Merged only if F2 C k < F1 C k + F2 F1 (FLOPs
        per output pixel, k = kernel size).
      * `nn.matmul` x W1 (+ b1), no activation or residual, whose only user
        is the lhs of `nn.matmul` (.) W2 (+ b2): W1 [K, N1] and W2 [N1, N2]
        f32 constants (rank 2 or unit batch dims) -> x (W1 W2) + (b1 W2 +
        b2), keeping the second op's epilogue.  Merged only if K N2 < K N1
        + N1 N2 (FLOPs per row).
    Merged weights are computed in double and stored as f32 (refused if
    that takes more than 2^30 multiply-adds).

    Statistics: merged, refused-costlier.
  }];
  let dependentDialects = ["kiln::nn::NNDialect", "mlir::arith::ArithDialect"];
}

#endif
