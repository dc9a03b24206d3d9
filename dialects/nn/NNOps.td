//===- NNOps.td - Kiln's optimization dialect --------------*- tablegen -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// `nn` is the dialect Kiln's graph passes rewrite.  It has a small set of
// normalized tensor ops: ONNX encodings (Gemm transposes, auto_pad, axes as
// inputs, implicit rank broadcasting, opset differences) are resolved when
// converting from `onnx`.  Invariants:
//   * elementwise ops take operands of the result's rank; a dimension of
//     size 1 broadcasts (statically known), other dims match;
//   * axes are non-negative and attributes are explicit (no defaults that
//     depend on ranks);
//   * constants are `arith.constant`.
// Every op lowers to upstream linalg/tensor/arith/math (NNToLinalg).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_NN_OPS
#define KILN_NN_OPS

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

// Signed 64-bit integer attribute (the upstream NN_SI64Attr returns uint64_t).
def NN_SI64Attr : SignlessIntegerAttrBase<I64, "64-bit integer attribute"> {
  let returnType = "int64_t";
  let convertFromStorage = "$_self.getValue().getSExtValue()";
}

def NN_Dialect : Dialect {
  let name = "nn";
  let summary = "Kiln's normalized neural-network dialect";
  let cppNamespace = "::kiln::nn";
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::tensor::TensorDialect"];
}

class NN_Op<string mnemonic, list<Trait> traits = []>
    : Op<NN_Dialect, mnemonic, !listconcat(traits, [Pure])> {
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def NN_UnaryKind : I32EnumAttr<"UnaryKind", "elementwise unary function", [
    I32EnumAttrCase<"relu", 0>, I32EnumAttrCase<"sigmoid", 1>,
    I32EnumAttrCase<"tanh", 2>, I32EnumAttrCase<"erf", 3>,
    I32EnumAttrCase<"exp", 4>, I32EnumAttrCase<"log", 5>,
    I32EnumAttrCase<"sqrt", 6>, I32EnumAttrCase<"neg", 7>,
    I32EnumAttrCase<"abs", 8>, I32EnumAttrCase<"reciprocal", 9>,
    I32EnumAttrCase<"floor", 10>, I32EnumAttrCase<"ceil", 11>,
    I32EnumAttrCase<"logical_not", 12>, I32EnumAttrCase<"hard_swish", 13>,
    I32EnumAttrCase<"hard_sigmoid", 14>, I32EnumAttrCase<"leaky_relu", 15>,
    I32EnumAttrCase<"gelu", 16>, I32EnumAttrCase<"gelu_tanh", 17>,
    I32EnumAttrCase<"cos", 18>, I32EnumAttrCase<"sin", 19>,
    I32EnumAttrCase<"tan", 20>, I32EnumAttrCase<"acos", 21>,
    I32EnumAttrCase<"asin", 22>, I32EnumAttrCase<"atan", 23>,
    I32EnumAttrCase<"cosh", 24>, I32EnumAttrCase<"sinh", 25>,
    I32EnumAttrCase<"acosh", 26>, I32EnumAttrCase<"asinh", 27>,
    I32EnumAttrCase<"atanh", 28>, I32EnumAttrCase<"sign", 29>,
    I32EnumAttrCase<"round", 30>, I32EnumAttrCase<"softplus", 31>,
    I32EnumAttrCase<"softsign", 32>, I32EnumAttrCase<"elu", 33>,
    I32EnumAttrCase<"selu", 34>, I32EnumAttrCase<"celu", 35>,
    I32EnumAttrCase<"thresholded_relu", 36>, I32EnumAttrCase<"shrink", 37>,
    I32EnumAttrCase<"mish", 38>, I32EnumAttrCase<"bitwise_not", 39>]> {
  let cppNamespace = "::kiln::nn";
}

def NN_BinaryKind : I32EnumAttr<"BinaryKind", "elementwise binary function", [
    I32EnumAttrCase<"add", 0>, I32EnumAttrCase<"sub", 1>,
    I32EnumAttrCase<"mul", 2>, I32EnumAttrCase<"div", 3>,
    I32EnumAttrCase<"pow", 4>, I32EnumAttrCase<"max", 5>,
    I32EnumAttrCase<"min", 6>, I32EnumAttrCase<"eq", 7>,
    I32EnumAttrCase<"lt", 8>, I32EnumAttrCase<"gt", 9>,
    I32EnumAttrCase<"logical_and", 10>, I32EnumAttrCase<"logical_or", 11>,
    I32EnumAttrCase<"logical_xor", 12>, I32EnumAttrCase<"ge", 13>,
    I32EnumAttrCase<"le", 14>, I32EnumAttrCase<"mod", 15>,
    I32EnumAttrCase<"fmod", 16>, I32EnumAttrCase<"udiv", 17>,
    I32EnumAttrCase<"umod", 18>, I32EnumAttrCase<"umax", 19>,
    I32EnumAttrCase<"umin", 20>, I32EnumAttrCase<"ult", 21>,
    I32EnumAttrCase<"ugt", 22>, I32EnumAttrCase<"ule", 23>,
    I32EnumAttrCase<"uge", 24>, I32EnumAttrCase<"shl", 25>,
    I32EnumAttrCase<"shru", 26>, I32EnumAttrCase<"bitwise_and", 27>,
    I32EnumAttrCase<"bitwise_or", 28>, I32EnumAttrCase<"bitwise_xor", 29>,
    I32EnumAttrCase<"prelu", 30>]> {
  let cppNamespace = "::kiln::nn";
}

def NN_ActKind : I32EnumAttr<"ActKind", "activation fused into a conv/matmul epilogue", [
    I32EnumAttrCase<"relu", 0>, I32EnumAttrCase<"clip", 1>,
    I32EnumAttrCase<"leaky_relu", 2>, I32EnumAttrCase<"sigmoid", 3>,
    I32EnumAttrCase<"hard_swish", 4>, I32EnumAttrCase<"hard_sigmoid", 5>,
    I32EnumAttrCase<"gelu", 6>, I32EnumAttrCase<"gelu_tanh", 7>,
    I32EnumAttrCase<"silu", 8>, I32EnumAttrCase<"tanh", 9>]> {
  let cppNamespace = "::kiln::nn";
}

def NN_PoolKind : I32EnumAttr<"PoolKind", "pooling function", [
    I32EnumAttrCase<"max", 0>, I32EnumAttrCase<"avg", 1>]> {
  let cppNamespace = "::kiln::nn";
}

def NN_ReduceKind : I32EnumAttr<"ReduceKind", "reduction function", [
    I32EnumAttrCase<"sum", 0>, I32EnumAttrCase<"mean", 1>,
    I32EnumAttrCase<"max", 2>, I32EnumAttrCase<"min", 3>,
    I32EnumAttrCase<"prod", 4>, I32EnumAttrCase<"l1", 5>,
    I32EnumAttrCase<"l2", 6>, I32EnumAttrCase<"log_sum", 7>,
    I32EnumAttrCase<"log_sum_exp", 8>, I32EnumAttrCase<"sum_square", 9>]> {
  let cppNamespace = "::kiln::nn";
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

def NN_UnaryOp : NN_Op<"unary", [SameOperandsAndResultShape]> {
  let summary = "elementwise unary function";
  let description = [{
    `kind` selects the function.  `alpha`/`beta` parametrize leaky_relu
    (alpha) and hard_sigmoid (alpha, beta).  `gelu` is the exact (erf) form,
    `gelu_tanh` the tanh approximation.
    Further kinds: the trigonometric and hyperbolic functions and their
    inverses; `sign` (-1/0/1, also integers); `round` (half to even);
    `softplus` log(1 + exp(x)); `softsign` x / (1 + |x|); `mish`
    x * tanh(softplus(x)); `bitwise_not` (integers);
    `elu` (alpha): x < 0 ? alpha * (exp(x) - 1) : x;
    `selu` (alpha, beta = gamma): beta * (x <= 0 ? alpha * (exp(x) - 1) : x);
    `celu` (alpha): max(0, x) + min(0, alpha * (exp(x / alpha) - 1));
    `thresholded_relu` (alpha): x > alpha ? x : 0;
    `shrink` (alpha = lambd, beta = bias): x < -alpha ? x + beta :
    (x > alpha ? x - beta : 0).
  }];
  let arguments = (ins AnyRankedTensor:$input, NN_UnaryKind:$kind,
                   OptionalAttr<F32Attr>:$alpha, OptionalAttr<F32Attr>:$beta);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$kind $input attr-dict `:` type($input) `->` type($result)";
}

def NN_BinaryOp : NN_Op<"binary"> {
  let summary = "elementwise binary function with explicit-rank broadcasting";
  let description = [{
    Operands have the result's rank.  A dimension of size 1 in an operand
    broadcasts along that dimension; other dimensions equal the result's.
    Comparison kinds (eq, lt, gt, ge, le, ult, ugt, ule, uge) produce `i1`;
    logical kinds take and produce `i1`.  Integers are signless: the `u`
    kinds (udiv, umod, umax, umin, ult, ugt, ule, uge) treat them as
    unsigned, the others as signed.  `mod` is the floored (Python) remainder,
    whose sign follows the divisor; `fmod` the truncated (C) remainder,
    whose sign follows the dividend.  `shl`/`shru` are left and logical
    right shifts (a shift by the bit width or more gives 0).  `pow` of
    integers is exact with wrap-around.  `prelu` is lhs < 0 ? rhs * lhs : lhs.
  }];
  let arguments = (ins AnyRankedTensor:$lhs, AnyRankedTensor:$rhs, NN_BinaryKind:$kind);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$kind $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)";
}

def NN_ClampOp : NN_Op<"clamp", [SameOperandsAndResultShape]> {
  let summary = "clamp to [min, max] (either bound optional)";
  let arguments = (ins AnyRankedTensor:$input, OptionalAttr<F64Attr>:$min,
                   OptionalAttr<F64Attr>:$max);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def NN_SelectOp : NN_Op<"select"> {
  let summary = "elementwise cond ? a : b with explicit-rank broadcasting";
  let arguments = (ins AnyRankedTensor:$cond, AnyRankedTensor:$true_value,
                   AnyRankedTensor:$false_value);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$cond `,` $true_value `,` $false_value attr-dict `:` type($cond) `,` type($true_value) `,` type($false_value) `->` type($result)";
}

def NN_CastOp : NN_Op<"cast", [SameOperandsAndResultShape]> {
  let summary = "element type conversion; `unsigned_src`/`unsigned_dst` give integer signedness";
  let arguments = (ins AnyRankedTensor:$input, UnitAttr:$unsigned_src, UnitAttr:$unsigned_dst);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  // Folds to the input when the types are the same.
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Compute
//===----------------------------------------------------------------------===//

def NN_MatmulOp : NN_Op<"matmul", [AttrSizedOperandSegments]> {
  let summary = "batched matrix product [..., M, K] x [..., K, N] with an optional fused epilogue";
  let description = [{
    Both operands have rank >= 2.  Leading (batch) dimensions broadcast as in
    numpy; the result has the broadcast batch dimensions followed by M, N.

    Epilogue (written by `kiln-nn-fuse-epilogue`): the result is
    `act(lhs x rhs + bias + residual)`, where `bias` is 1-D [N] (added to
    every row), `residual` has the result's type, and `act` (optional) is one
    of the activations of `nn.conv`.  The lowering computes the epilogue in
    the matmul's loop nest: the bias initializes the accumulator, and the
    residual add with a cheap activation (relu, clip, leaky_relu,
    hard_sigmoid, hard_swish) is applied to each finished output tile (the
    residual is added after the reduction, not used as the initial value:
    that lost precision); sigmoid, tanh, silu and gelu run as an elementwise
    loop nest right after the op (per tile they measured slower).
  }];
  let arguments = (ins AnyRankedTensor:$lhs, AnyRankedTensor:$rhs,
                   Optional<AnyRankedTensor>:$bias, Optional<AnyRankedTensor>:$residual,
                   OptionalAttr<NN_ActKind>:$act, OptionalAttr<F32Attr>:$act_alpha,
                   OptionalAttr<F32Attr>:$act_beta);
  let results = (outs AnyRankedTensor:$result);
  let builders = [
    OpBuilder<(ins "::mlir::Type":$result, "::mlir::Value":$lhs, "::mlir::Value":$rhs), [{
      build($_builder, $_state, result, lhs, rhs, ::mlir::Value(), ::mlir::Value(),
            nullptr, nullptr, nullptr);
    }]>];
  let assemblyFormat = [{
    $lhs `,` $rhs (`bias` `(` $bias^ `:` type($bias) `)`)?
    (`residual` `(` $residual^ `:` type($residual) `)`)? (`act` $act^)? attr-dict `:`
    type($lhs) `,` type($rhs) `->` type($result)
  }];
  let extraClassDeclaration = [{
    /// True if the op has any epilogue (bias, residual or activation).
    bool hasEpilogue() { return getBias() || getResidual() || getAct(); }
  }];
}

def NN_ConvOp : NN_Op<"conv", [AttrSizedOperandSegments]> {
  let summary = "N-d convolution, NC[D]HW layout, with groups, optional bias and fused epilogue";
  let description = [{
    `input` is [N, C, spatial...], `filter` is [F, C / groups, kernel...],
    `bias` (optional) is [F].  `pads` holds the begin pads of every spatial
    dimension followed by the end pads.

    Epilogue (written by `kiln-nn-fuse-epilogue`): the result is
    `act(conv(input, filter) + bias + residual)`.  `residual` (optional) has
    the result's type (the skip connection of a residual block).  `act`
    (optional) is applied last:
      relu; clip (min `act_alpha`, max `act_beta`, either absent = no bound);
      leaky_relu (slope `act_alpha`); sigmoid; tanh;
      hard_sigmoid max(0, min(1, alpha * x + beta)) (`act_alpha`, `act_beta`);
      hard_swish x * max(0, min(1, x / 6 + 1 / 2)); gelu (erf form);
      gelu_tanh; silu x * sigmoid(x).
    The lowering computes the epilogue in the convolution's loop nest: the
    bias initializes the accumulator, and the residual add with a cheap
    activation (relu, clip, leaky_relu, hard_sigmoid, hard_swish) is applied
    to each finished output tile; sigmoid, tanh, silu and gelu run as an
    elementwise loop nest right after the op (per tile they measured
    slower).
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$filter,
                   Optional<AnyRankedTensor>:$bias, Optional<AnyRankedTensor>:$residual,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                   DenseI64ArrayAttr:$pads, NN_SI64Attr:$groups,
                   OptionalAttr<NN_ActKind>:$act, OptionalAttr<F32Attr>:$act_alpha,
                   OptionalAttr<F32Attr>:$act_beta);
  let results = (outs AnyRankedTensor:$result);
  let builders = [
    OpBuilder<(ins "::mlir::Type":$result, "::mlir::Value":$input, "::mlir::Value":$filter,
                   "::mlir::Value":$bias, "::mlir::DenseI64ArrayAttr":$strides,
                   "::mlir::DenseI64ArrayAttr":$dilations, "::mlir::DenseI64ArrayAttr":$pads,
                   "::mlir::IntegerAttr":$groups), [{
      build($_builder, $_state, result, input, filter, bias, ::mlir::Value(), strides,
            dilations, pads, groups, nullptr, nullptr, nullptr);
    }]>];
  let assemblyFormat = [{
    $input `,` $filter (`,` $bias^)? (`residual` `(` $residual^ `:` type($residual) `)`)?
    (`act` $act^)? attr-dict `:`
    `(` type($input) `,` type($filter) (`,` type($bias)^)? `)` `->` type($result)
  }];
  let extraClassDeclaration = [{
    bool hasEpilogue() { return getResidual() || getAct(); }
  }];
}

def NN_ConvTransposeOp : NN_Op<"conv_transpose"> {
  let summary = "N-d transposed convolution, NC[D]HW layout";
  let description = [{
    `filter` is [C, F / groups, kernel...] as in ONNX.  `pads` are the begin
    pads followed by the end pads removed from the full output;
    `output_padding` is added at the end of each spatial dimension.
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$filter,
                   Optional<AnyRankedTensor>:$bias,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                   DenseI64ArrayAttr:$pads, DenseI64ArrayAttr:$output_padding,
                   NN_SI64Attr:$groups);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input `,` $filter (`,` $bias^)? attr-dict `:` functional-type(operands, results)";
}

def NN_PoolOp : NN_Op<"pool"> {
  let summary = "N-d max / average pooling over the spatial dims of NC[D]HW";
  let description = [{
    `pads` are begin pads then end pads (ceil_mode is resolved into extra end
    padding).  For `avg`, `count_include_pad` selects the divisor; padding
    that only comes from ceil_mode is never counted.
  }];
  let arguments = (ins AnyRankedTensor:$input, NN_PoolKind:$kind,
                   DenseI64ArrayAttr:$kernel, DenseI64ArrayAttr:$strides,
                   DenseI64ArrayAttr:$dilations, DenseI64ArrayAttr:$pads,
                   DenseI64ArrayAttr:$explicit_pads, BoolAttr:$count_include_pad);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$kind $input attr-dict `:` type($input) `->` type($result)";
}

def NN_ReduceOp : NN_Op<"reduce"> {
  let summary = "reduction over a set of axes";
  let description = [{
    `kind`: sum, mean, max, min, prod, l1 (sum of |x|), l2 (sqrt of the sum
    of squares), log_sum (log of the sum), log_sum_exp (log of the sum of
    exp, computed as max + log(sum(exp(x - max)))) and sum_square.  mean,
    l2, log_sum and log_sum_exp need a float element type.  A reduction over
    an empty set gives the kind's identity (0 for sum, -inf/lowest for max,
    ...), as in numpy.
  }];
  let arguments = (ins AnyRankedTensor:$input, NN_ReduceKind:$kind,
                   DenseI64ArrayAttr:$axes, BoolAttr:$keepdims);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$kind $input attr-dict `:` type($input) `->` type($result)";
}

def NN_SoftmaxOp : NN_Op<"softmax", [SameOperandsAndResultType]> {
  let summary = "softmax (or log-softmax) along one axis";
  let arguments = (ins AnyRankedTensor:$input, NN_SI64Attr:$axis, UnitAttr:$log);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def NN_AttentionOp : NN_Op<"attention"> {
  let summary = "scaled dot-product attention: softmax(scale * Q K^T + mask) V, heads as batch dims";
  let description = [{
    `query` [B, Hq, Lq, D], `key` [B, Hkv, Lk, D], `value` [B, Hkv, Lk, Dv]
    -> [B, Hq, Lq, Dv] (rank 4), or [G, Lq, D], [G, Lk, D], [G, Lk, Dv] ->
    [G, Lq, Dv] (rank 3: batch and heads in one dim).  For rank 4, Hq is a
    multiple of Hkv: query head h attends with key/value head
    h / (Hq / Hkv) (multi-query attention: Hkv = 1; grouped-query: 1 < Hkv <
    Hq).  The scores `scale * Q K^T` are f32 [B, Hq, Lq, Lk] (never
    materialized by the lowering).

    `mask` (optional) has the scores' rank; each of its dims is 1
    (broadcast) or the scores' dim.  An f32 mask is added to the scaled
    scores (0 keeps a position, -inf or a large negative value removes it:
    BERT's attention_mask, a relative position bias, a key-padding mask of
    shape [B, 1, 1, Lk]); an i1 mask keeps the positions where it is true.
    `causal` removes key positions j > i from query row i (top-left
    aligned, as torch's `is_causal` and ONNX Attention's `is_causal`).
    The softmax runs along Lk; a row with every position removed gives NaN,
    as torch does.

    Written by `kiln-nn-fuse-attention` from exported MatMul / scale / Add /
    Softmax / MatMul chains.  The lowering (NNToLinalg) streams blocks of
    keys and values with an online softmax (FlashAttention-2): per query
    block a running maximum, sum and output accumulator, rescaled when the
    maximum grows; with `causal`, key blocks entirely above the diagonal
    are skipped.
  }];
  let arguments = (ins AnyRankedTensor:$query, AnyRankedTensor:$key, AnyRankedTensor:$value,
                   Optional<AnyRankedTensor>:$mask, F32Attr:$scale, UnitAttr:$causal);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`mask` `(` $mask^ `:` type($mask) `)`)? attr-dict `:`
    type($query) `,` type($key) `,` type($value) `->` type($result)
  }];
}

def NN_LayerNormOp : NN_Op<"layer_norm"> {
  let summary = "layer normalization over the dims from `axis` to the end";
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$scale,
                   Optional<AnyRankedTensor>:$bias, NN_SI64Attr:$axis, F32Attr:$epsilon);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input `,` $scale (`,` $bias^)? attr-dict `:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def NN_TransposeOp : NN_Op<"transpose"> {
  let summary = "permute dimensions: result dim i = input dim perm[i]";
  let arguments = (ins AnyRankedTensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  // Folds to the input for the identity permutation.
  let hasFolder = 1;
}

def NN_ReshapeOp : NN_Op<"reshape"> {
  let summary = "row-major reshape";
  let description = [{
    Without `shape`, the result type must be static except for dimensions
    that the lowering can derive (at most one dynamic dimension, computed
    from the element count).  With `shape` (a 1-D i64 tensor holding the
    final dims, no 0 / -1 codes) the result dims are taken from it at run
    time.
  }];
  let arguments = (ins AnyRankedTensor:$input, Optional<AnyRankedTensor>:$shape);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input (`,` $shape^)? attr-dict `:` functional-type(operands, results)";
  // Folds to the input when it has the (static) result type.
  let hasFolder = 1;
}

def NN_ConcatOp : NN_Op<"concat"> {
  let summary = "concatenate along `axis`";
  let arguments = (ins Variadic<AnyRankedTensor>:$inputs, NN_SI64Attr:$axis);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` functional-type(operands, results)";
  // Folds to its one input when that has the result type.
  let hasFolder = 1;
}

def NN_SliceOp : NN_Op<"slice"> {
  let summary = "strided slice with static offsets and strides (all dims)";
  let description = [{
    `offsets`, `strides` have one entry per dim; sizes are the result's dims
    (a dynamic result dim takes the whole input dim, offset 0, stride 1).
    Strides may be negative (reverse traversal from `offsets`).
  }];
  let arguments = (ins AnyRankedTensor:$input, DenseI64ArrayAttr:$offsets,
                   DenseI64ArrayAttr:$strides);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  // Folds to the input when it takes all of it (offsets 0, strides 1, static).
  let hasFolder = 1;
}

def NN_GatherOp : NN_Op<"gather"> {
  let summary = "gather slices along `axis` by integer indices (negative wrap)";
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$indices, NN_SI64Attr:$axis);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input `[` $indices `]` attr-dict `:` functional-type(operands, results)";
}

def NN_PadOp : NN_Op<"pad"> {
  let summary = "constant padding (begin pads then end pads, one per dim)";
  let arguments = (ins AnyRankedTensor:$input, DenseI64ArrayAttr:$pads, F64Attr:$value);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  // Folds to the input when every pad is 0.
  let hasFolder = 1;
}

def NN_BroadcastOp : NN_Op<"broadcast"> {
  let summary = "broadcast to the result shape (explicit-rank, size-1 dims expand)";
  let description = [{
    The input has the result's rank; each of its dims is 1 or equal to the
    result's.  Dynamic result dims are read from `shape` (1-D i64) when given.
  }];
  let arguments = (ins AnyRankedTensor:$input, Optional<AnyRankedTensor>:$shape);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input (`,` $shape^)? attr-dict `:` functional-type(operands, results)";
  // Folds to the input when it has the (static) result type.
  let hasFolder = 1;
}

def NN_ResizeOp : NN_Op<"resize", [AttrSizedOperandSegments]> {
  let summary = "N-d resampling: nearest, (multi)linear or cubic interpolation";
  let description = [{
    Every output element is computed from the input at source coordinates
    given, per axis `d` with input length `in`, output length `out` and
    scale `s = scales[d]`, by `coordinate_mode`:
    `half_pixel` (x + 0.5) / s - 0.5; `half_pixel_symmetric` the same,
    shifted so that the sampled region is centred; `pytorch_half_pixel` as
    half_pixel, or -0.5 when s * in == 1; `align_corners`
    x * (in - 1) / (s * in - 1), or 0; `asymmetric` x / s;
    `tf_half_pixel_for_nn` (x + 0.5) / s; `tf_crop_and_resize` the region
    [roi[d], roi[rank + d]] of the input (outside it: `extrapolation_value`).
    `nearest` picks one neighbour by `nearest_mode`; `linear` and `cubic`
    (coefficient `cubic_coeff_a`) weigh 2 or 4 neighbours per axis, reading
    beyond the border as the border value, or, with `exclude_outside`,
    dropping outside neighbours and renormalizing the weights.  Axes with
    scale 1 and equal lengths are copied.  Coordinates and weights are
    computed in f64, as ONNX's reference does.

    The geometry is static (`scales`, one per dim) or read at run time from
    the optional `geometry` operand: a 1-D float tensor of scales
    (out = floor(in * scale)) when `geometry_is_sizes` is false, else a 1-D
    i64 tensor of output sizes (scale = out / in).  With tf_crop_and_resize,
    the region comes from the `roi` attribute or, at run time, from the
    optional `roi_input` operand (1-D float, starts then ends).
  }];
  let arguments = (ins AnyRankedTensor:$input, Optional<AnyRankedTensor>:$geometry,
                   Optional<AnyRankedTensor>:$roi_input,
                   BoolAttr:$geometry_is_sizes, DenseF64ArrayAttr:$scales,
                   DenseF64ArrayAttr:$roi, StrAttr:$mode, StrAttr:$coordinate_mode,
                   StrAttr:$nearest_mode, F64Attr:$cubic_coeff_a, BoolAttr:$exclude_outside,
                   F64Attr:$extrapolation_value);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input (`geometry` $geometry^)? (`roi` $roi_input^)? attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def NN_EinsumOp : NN_Op<"einsum"> {
  let summary = "Einstein summation with an explicit letters-only equation";
  let description = [{
    `equation` is `ab,bc->ac`-style: one letter per dim of every input and
    of the result, no ellipsis, explicit output.  A letter repeated within
    an input takes its diagonal; letters missing from the output are summed
    over; an input dim of static size 1 broadcasts against its letter.
    Lowers to one `linalg.generic` (product of the inputs accumulated into a
    zero-filled result).
  }];
  let arguments = (ins Variadic<AnyRankedTensor>:$inputs, StrAttr:$equation);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def NN_ShapeOfOp : NN_Op<"shape_of"> {
  let summary = "the dims [start, end) of a tensor as a 1-D i64 tensor";
  let arguments = (ins AnyRankedTensor:$input, NN_SI64Attr:$start, NN_SI64Attr:$end);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def NN_RangeOp : NN_Op<"range"> {
  let summary = "1-D sequence start, start + delta, ... (scalars as 0-d tensors)";
  let arguments = (ins AnyRankedTensor:$start, AnyRankedTensor:$limit, AnyRankedTensor:$delta);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$start `,` $limit `,` $delta attr-dict `:` functional-type(operands, results)";
}

def NN_FillOp : NN_Op<"fill"> {
  let summary = "a tensor of the given (possibly run-time) shape filled with a scalar";
  let arguments = (ins Optional<AnyRankedTensor>:$shape, TypedAttrInterface:$value);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "($shape^)? attr-dict `:` functional-type(operands, results)";
}


def NN_GatherElementsOp : NN_Op<"gather_elements"> {
  let summary = "element-wise gather along `axis` (negative indices wrap)";
  let description = [{
    `result[p] = input[p with p[axis] replaced by indices[p]]`; the result has
    the shape of `indices`.  Lowers to one `linalg.generic` over the result
    whose body reads `input` with `tensor.extract` (indices clamped into
    range so that a bad index cannot read out of bounds).
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$indices, NN_SI64Attr:$axis);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input `[` $indices `]` attr-dict `:` functional-type(operands, results)";
}

def NN_ScatterElementsOp : NN_Op<"scatter_elements"> {
  let summary = "element-wise scatter of `updates` into `data` along `axis`";
  let description = [{
    The result is `data` with, for every position `p` of `indices`,
    `result[p with p[axis] = indices[p]]` set to (or, by `reduction`, combined
    with: `add`, `mul`, `max`, `min`) `updates[p]`, in row-major order of `p`
    (a later update wins).  Negative indices wrap.  Lowers to an `scf.for`
    nest over `indices` carrying the result tensor (`tensor.extract` /
    `tensor.insert`).
  }];
  let arguments = (ins AnyRankedTensor:$data, AnyRankedTensor:$indices,
                   AnyRankedTensor:$updates, NN_SI64Attr:$axis, StrAttr:$reduction);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$data `[` $indices `]` `,` $updates attr-dict `:` functional-type(operands, results)";
}

def NN_GatherNDOp : NN_Op<"gather_nd"> {
  let summary = "gather slices of `input` addressed by the last dim of `indices`";
  let description = [{
    With `k = indices.shape[-1]` and `b = batch_dims`, the result has shape
    `indices.shape[:-1] + input.shape[b + k:]` and
    `result[i, s] = input[i[:b], indices[i, 0..k), s]`.  Negative indices
    wrap.  Lowers to one `linalg.generic` over the result.
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$indices, NN_SI64Attr:$batch_dims);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input `[` $indices `]` attr-dict `:` functional-type(operands, results)";
}

def NN_ScatterNDOp : NN_Op<"scatter_nd"> {
  let summary = "scatter `updates` into `data` at positions given by the last dim of `indices`";
  let description = [{
    `result = data`; then for every position `u` of `indices.shape[:-1]` and
    `s` of `data.shape[k:]`, `result[indices[u], s]` is set to (or combined,
    by `reduction` add/mul/max/min, with) `updates[u, s]`, in row-major order
    (later updates win).  Lowers to an `scf.for` nest over `updates`.
  }];
  let arguments = (ins AnyRankedTensor:$data, AnyRankedTensor:$indices,
                   AnyRankedTensor:$updates, StrAttr:$reduction);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$data `[` $indices `]` `,` $updates attr-dict `:` functional-type(operands, results)";
}

def NN_TriluOp : NN_Op<"trilu"> {
  let summary = "keep the upper (j - i >= k) or lower (j - i <= k) triangle of the last two dims";
  let description = [{
    Other elements become zero.  The diagonal offset is the `k` attribute or,
    when the optional `k_input` operand (an i64 tensor of one element) is
    given, its value at run time.  Lowers to one elementwise
    `linalg.generic` using `linalg.index`.
  }];
  let arguments = (ins AnyRankedTensor:$input, Optional<AnyRankedTensor>:$k_input,
                   BoolAttr:$upper, NN_SI64Attr:$k);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input (`k` $k_input^ `:` type($k_input))? attr-dict `:` type($input) `->` type($result)";
}

def NN_OneHotOp : NN_Op<"one_hot"> {
  let summary = "one-hot encoding along `axis`";
  let description = [{
    `depth` is a one-element tensor (integer or float, truncated) and
    `values` the pair [off, on].  `result[..., j (at axis), ...]` is `on` where
    the index (negative ones wrap by `depth`) equals `j`, else `off`.  The
    result dim at `axis` is `depth` (dynamic when not constant).  Lowers to
    one `linalg.generic`.
  }];
  let arguments = (ins AnyRankedTensor:$indices, AnyRankedTensor:$depth,
                   AnyRankedTensor:$values, NN_SI64Attr:$axis);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$indices `,` $depth `,` $values attr-dict `:` functional-type(operands, results)";
}

def NN_CompressOp : NN_Op<"compress"> {
  let summary = "select the slices along `axis` whose `condition` entry is true";
  let description = [{
    `condition` is a 1-D i1 tensor; entries beyond the input's dim are
    ignored and missing ones count as false.  The result dim at `axis` is the
    number of selected slices (dynamic unless known).  Lowers to `scf.for`
    loops: one counting, one copying slices with `tensor.extract_slice` /
    `tensor.insert_slice`.
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$condition, NN_SI64Attr:$axis);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input `,` $condition attr-dict `:` functional-type(operands, results)";
}

def NN_ReverseSequenceOp : NN_Op<"reverse_sequence"> {
  let summary = "reverse the first `lens[b]` elements along `time_axis` of every batch entry b";
  let description = [{
    `lens` is a 1-D integer tensor indexed by `batch_axis`.  Elements at
    time steps >= lens[b] are copied unchanged.  Lowers to one
    `linalg.generic` reading the input with `tensor.extract`.
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$lens,
                   NN_SI64Attr:$batch_axis, NN_SI64Attr:$time_axis);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input `,` $lens attr-dict `:` functional-type(operands, results)";
}


def NN_ReduceAxesOp : NN_Op<"reduce_axes"> {
  let summary = "reduction over a set of axes known only at run time";
  let description = [{
    Like `nn.reduce`, but `axes` is a 1-D integer tensor (negative entries
    count from the end) read at run time.  An empty `axes` reduces every
    dim, or none with `noop_with_empty_axes`.  With `keepdims` the result
    has the input's rank; without it, `axes` must have a static length n
    and the result has rank - n dims (axes must not repeat).  Every kind
    but log_sum_exp is supported.
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$axes, NN_ReduceKind:$kind,
                   BoolAttr:$keepdims, BoolAttr:$noop_with_empty_axes);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$kind $input `,` $axes attr-dict `:` functional-type(operands, results)";
}


def NN_ArgReduceOp : NN_Op<"arg_reduce"> {
  let summary = "index (i64) of the largest (`is_max`) or smallest element along `axis`";
  let description = [{
    Ties give the first index, or the last one with `select_last`.  The
    result has the input's dims with `axis` kept as 1 (`keepdims`) or
    removed.  Lowers to one linalg.generic reduction over (value, index)
    pairs whose combiner is order-independent (the tie rule compares
    indices), so any reduction order gives the same answer.
  }];
  let arguments = (ins AnyRankedTensor:$input, NN_SI64Attr:$axis, BoolAttr:$keepdims,
                   BoolAttr:$select_last, BoolAttr:$is_max);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def NN_HardmaxOp : NN_Op<"hardmax", [SameOperandsAndResultType]> {
  let summary = "1 at the first maximum along `axis`, 0 elsewhere";
  let arguments = (ins AnyRankedTensor:$input, NN_SI64Attr:$axis);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def NN_CumSumOp : NN_Op<"cumsum"> {
  let summary = "cumulative sum along an axis (exclusive and/or reverse)";
  let description = [{
    The axis is the attribute `axis`, or, when the optional `axis_input`
    (a 0-d or 1-element integer tensor, negative values wrap) is given, read
    at run time.  `exclusive` leaves the current element out of its sum;
    `reverse` sums from the end.  Lowers to an scf.for along the axis that
    carries the running sum of one slice (O(n)); a run-time axis selects
    one such loop per possible axis with scf.index_switch.
  }];
  let arguments = (ins AnyRankedTensor:$input, Optional<AnyRankedTensor>:$axis_input,
                   NN_SI64Attr:$axis, BoolAttr:$exclusive, BoolAttr:$reverse);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input (`axis` $axis_input^)? attr-dict `:` functional-type(operands, results)";
}

def NN_TopKOp : NN_Op<"topk"> {
  let summary = "the k largest / smallest elements along `axis` and their indices";
  let description = [{
    `k` is a 1-element (or 0-d) i64 tensor read at run time when the result
    dim at `axis` is dynamic.  Results are ordered (largest first, or
    smallest first); equal values keep the lower index first.  Lowers to
    scf.for loops: k selection passes over the axis per slice (O(n*k)),
    pass j taking the best element strictly after the one of pass j-1 in
    the (value, index) order.
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$k, NN_SI64Attr:$axis,
                   BoolAttr:$largest);
  let results = (outs AnyRankedTensor:$values, AnyRankedTensor:$indices);
  let assemblyFormat = "$input `,` $k attr-dict `:` functional-type(operands, results)";
}

def NN_NonZeroOp : NN_Op<"nonzero"> {
  let summary = "coordinates [rank, N] (i64) of the non-zero elements, row-major order";
  let description = [{
    N is known at run time: a first loop nest counts, the result is a
    tensor.empty of that size, and a second loop nest fills it.
  }];
  let arguments = (ins AnyRankedTensor:$input);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def NN_UniqueOp : NN_Op<"unique"> {
  let summary = "unique rows of a 2-D tensor [n, m]: rows, first indices, inverse, counts";
  let description = [{
    Rows are compared element by element.  Results: `rows` [U, m] (sorted
    lexicographically with `sorted`, else in order of first occurrence),
    `indices` [U] (first occurrence of each), `inverse` [n] (the position
    in `rows` of each input row) and `counts` [U], all i64 but `rows`; U is
    known at run time.  Lowers to scf.for loop nests on tensors: a stable
    merge sort of the row indices (O(n log n) row comparisons), one pass
    numbering the groups of equal rows, then fresh tensors of size U.
  }];
  let arguments = (ins AnyRankedTensor:$input, BoolAttr:$sorted);
  let results = (outs AnyRankedTensor:$rows, AnyRankedTensor:$indices,
                  AnyRankedTensor:$inverse, AnyRankedTensor:$counts);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type(results)";
}

def NN_NonMaxSuppressionOp : NN_Op<"non_max_suppression"> {
  let summary = "greedy non-maximum suppression per batch and class, [N, 3] i64 result";
  let description = [{
    `boxes` [B, S, 4] (corners y1, x1, y2, x2 in any order, or
    `center_point_box`: x, y, w, h), `scores` [B, C, S]; the scalars
    (1-element tensors) `max_output` (i64), `iou_threshold` and
    `score_threshold` (f32; the latter applies only with
    `has_score_threshold`; boxes need score > threshold).  Per batch and
    class, repeatedly selects the highest-scoring remaining box (lower
    index on ties) and drops the boxes whose IoU with it exceeds
    `iou_threshold`, up to `max_output` boxes.  Each result row is
    (batch, class, box).  Lowers to scf.for loops writing into a scratch
    tensor, then a copy into a fresh [N, 3] tensor.
  }];
  let arguments = (ins AnyRankedTensor:$boxes, AnyRankedTensor:$scores,
                   AnyRankedTensor:$max_output, AnyRankedTensor:$iou_threshold,
                   AnyRankedTensor:$score_threshold, BoolAttr:$center_point_box,
                   BoolAttr:$has_score_threshold);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$boxes `,` $scores `,` $max_output `,` $iou_threshold `,` $score_threshold attr-dict `:` functional-type(operands, results)";
}


def NN_NLLLossOp : NN_Op<"nll_loss"> {
  let summary = "negative log-likelihood loss with optional class weights";
  let description = [{
    `input` is [N, C, d1, ..., dk] (float), `target` [N, d1, ..., dk]
    (integer class indices), `weight` (optional) [C].  Per element,
    loss = -input[n, target, d...] * weight[target] (weight 1 without
    `weight`), and 0 where target equals `ignore_index` (when set).
    `reduction`: `none` gives the [N, d1, ..., dk] losses, `sum` their sum
    and `mean` their sum divided by the sum of the weights of the elements
    that are not ignored (0-d results).  Class indices are clamped to
    [0, C - 1] before `input` and `weight` are read, so ignored (or
    out-of-range) targets never read out of bounds.
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$target,
                   Optional<AnyRankedTensor>:$weight, OptionalAttr<NN_SI64Attr>:$ignore_index,
                   StrAttr:$reduction);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input `,` $target (`,` $weight^)? attr-dict `:` functional-type(operands, results)";
}


def NN_DynamicSliceOp : NN_Op<"dynamic_slice"> {
  let summary = "strided slice with run-time offsets, sizes and strides (all dims)";
  let description = [{
    `offsets`, `sizes` and `strides` are 1-D integer tensors with one entry
    per dim, read at run time: result[i...] = input[offsets + i * strides]
    (strides may be negative; a zero size gives an empty result).  The
    values must already be resolved (clamped, non-negative offsets within
    the input): the ONNX Slice / Split conversion computes them with ONNX's
    clamping rules.  A static result dim must equal the run-time size.
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$offsets,
                   AnyRankedTensor:$sizes, AnyRankedTensor:$strides);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input `[` $offsets `,` $sizes `,` $strides `]` attr-dict `:` functional-type(operands, results)";
}

def NN_PadModeOp : NN_Op<"pad_mode"> {
  let summary = "padding with constant / reflect / edge / wrap modes and run-time pads";
  let description = [{
    `pads` is a 1-D integer tensor with 2 * rank entries (begin pads for
    every dim, then end pads), read at run time; negative pads crop.  Each
    output element reads the input at `o - pad_begin` per dim, mapped into
    range by `mode`: `constant` (out of range: `value`, a one-element tensor
    of the element type, or 0 without it), `reflect` (mirror without
    repeating the edge), `edge` (clamp), `wrap` (modulo).
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$pads,
                   Optional<AnyRankedTensor>:$value, StrAttr:$mode);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input `,` $pads (`,` $value^)? attr-dict `:` functional-type(operands, results)";
}

def NN_PoolIndicesOp : NN_Op<"pool_indices"> {
  let summary = "indices of the maxima of N-d max pooling (MaxPool's Indices output)";
  let description = [{
    Same geometry as `nn.pool` (`pads`: begin then end pads, ceil_mode
    resolved into end padding).  Each result element is the flat index, in
    the unpadded input, of the first maximum of its window: row-major over
    [N, C, spatial...] for `storage_order` 0; for 1 the spatial dims are
    column-major (n * C * S + c * S + w * H + h in 2-D).
  }];
  let arguments = (ins AnyRankedTensor:$input, DenseI64ArrayAttr:$kernel,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                   DenseI64ArrayAttr:$pads, NN_SI64Attr:$storage_order);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def NN_MaxUnpoolOp : NN_Op<"max_unpool"> {
  let summary = "scatter of pooled values to their flat indices (MaxUnpool)";
  let description = [{
    The result is zero except at the positions named by `indices`: each
    index is a row-major flat index over [N, C, `spatial_dims`...] (the
    default unpooled shape; N and C are the input's), delinearized and
    written with the input value at the same coordinates of the result,
    which may be larger (output_shape).  A later element wins on
    duplicates; indices outside the result are skipped.  Dynamic result
    dims are read from `shape` (1-D i64, one entry per dim).
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$indices,
                   Optional<AnyRankedTensor>:$shape, DenseI64ArrayAttr:$spatial_dims);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input `,` $indices (`,` $shape^)? attr-dict `:` functional-type(operands, results)";
}



//===----------------------------------------------------------------------===//
// [quant] family: quantization, signal and vision ops
//===----------------------------------------------------------------------===//

def NN_QuantizeOp : NN_Op<"quantize"> {
  let summary = "affine quantization: saturate(round_half_even(x / scale) + zero_point)";
  let description = [{
    `scale` (float, the input's type) and the optional `zero_point` (the
    result's integer type) broadcast against `input` with explicit rank.
    The result is an integer of width <= 32, unsigned when `unsigned_result`
    is set; values saturate to its range.  Rounding is to nearest even.
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$scale,
                   Optional<AnyRankedTensor>:$zero_point, UnitAttr:$unsigned_result);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input `,` $scale (`,` $zero_point^)? attr-dict `:` functional-type(operands, results)";
}

def NN_DequantizeOp : NN_Op<"dequantize"> {
  let summary = "affine dequantization: (float(x) - float(zero_point)) * scale";
  let description = [{
    `input` and the optional `zero_point` are integers (unsigned when
    `unsigned_input` is set); `scale` has the result's float type.  Scale
    and zero point broadcast with explicit rank.
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$scale,
                   Optional<AnyRankedTensor>:$zero_point, UnitAttr:$unsigned_input);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input `,` $scale (`,` $zero_point^)? attr-dict `:` functional-type(operands, results)";
}

def NN_RequantizeOp : NN_Op<"requantize"> {
  let summary = "int32 accumulators to 8-bit values in fixed point (TFLite / CMSIS-NN requantization)";
  let description = [{
    The integer-only epilogue of an int8 layer, for targets that keep the
    activations in 8 bits between layers (`--target=c`):

      acc = input[..., c, ...] + bias[c]          (int32, wrapping)
      y   = output_zero_point + MBQM(acc, multiplier[c], shift[c])
      result = clamp(y, clamp_min, clamp_max)     (8-bit)

    where `c` is the index along `axis`, and MBQM is TensorFlow Lite's
    MultiplyByQuantizedMultiplier: with l = max(shift, 0) and
    r = max(-shift, 0), SaturatingRoundingDoublingHighMul(acc * 2^l, m)
    (the high 32 bits of the doubled 64-bit product, rounded half away from
    zero) followed by RoundingDivideByPOT(., r) (an arithmetic shift right
    by r, rounded half away from zero).  `multiplier[c]` is the real
    multiplier's mantissa in Q31 (in [2^30, 2^31), or 0) and
    `shift[c]` its exponent (at most 30, at least -31).  `bias`,
    `multiplier` and `shift` are i32 [C].  The result is i8 storage, its
    values unsigned when `unsigned_result` is set; `clamp_min` and
    `clamp_max` lie in that range and fold the activation (ReLU, Clip).
    Every step is exact integer arithmetic, so every machine gives the same
    bits.

    With `residual` (8-bit values of the result's shape: a residual add
    before the activation, in another quantization), y also gets
    MBQM(residual - residual_zero_point, residual_multiplier,
    residual_shift), the residual rescaled to the output's scale (one
    multiplier for the tensor; `residual_unsigned`: its bytes are uint8).
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$bias, AnyRankedTensor:$multiplier,
                   AnyRankedTensor:$shift, Optional<AnyRankedTensor>:$residual, NN_SI64Attr:$axis,
                   NN_SI64Attr:$output_zero_point, UnitAttr:$unsigned_result, NN_SI64Attr:$clamp_min,
                   NN_SI64Attr:$clamp_max, DefaultValuedAttr<NN_SI64Attr, "0">:$residual_zero_point,
                   DefaultValuedAttr<NN_SI64Attr, "0">:$residual_multiplier,
                   DefaultValuedAttr<NN_SI64Attr, "0">:$residual_shift, UnitAttr:$residual_unsigned);
  let results = (outs AnyRankedTensor:$result);
  let hasVerifier = 1;
  let assemblyFormat = [{
    $input `,` $bias `,` $multiplier `,` $shift (`residual` `(` $residual^ `:` type($residual) `)`)?
    attr-dict `:` type($input) `,` type($bias) `,` type($multiplier) `,` type($shift) `->` type($result)
  }];
}

def NN_QConvOp : NN_Op<"qconv", [AttrSizedOperandSegments]> {
  let summary = "int8 convolution with a float epilogue (quantized activations and weights)";
  let description = [{
    The convolution of `nn.conv` (NC[D]HW, groups, strides, dilations,
    pads) on quantized operands, accumulated exactly in int32 and
    dequantized in the epilogue:

      result[n, f, ...] = act(input_scale * filter_scale[f] *
                              sum((x - input_zero_point) * w[f, ...])
                              + bias[f] + residual)

    `input` is i8 storage holding uint8 values (`input_unsigned`, the
    asymmetric activations Kiln's quantizer writes) or int8 values, with
    the per-tensor `input_scale` and `input_zero_point` (attributes: fixed
    at compile time).  Padding is the zero point (a real 0).  `filter` is
    int8, symmetric (no zero point) with one scale per output channel
    (`filter_scale`, f32 [F]).  `bias`, `residual` and `act` are those of
    `nn.conv`'s epilogue; the result is f32.  An i32 result is the exact
    accumulator instead (ONNX ConvInteger on the int8 kernels):
    sum((x - input_zero_point) * w[f, ...]), no bias, residual or
    activation, the scales unused.
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$filter, AnyRankedTensor:$filter_scale,
                   Optional<AnyRankedTensor>:$bias, Optional<AnyRankedTensor>:$residual,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                   DenseI64ArrayAttr:$pads, NN_SI64Attr:$groups,
                   F32Attr:$input_scale, NN_SI64Attr:$input_zero_point, UnitAttr:$input_unsigned,
                   OptionalAttr<NN_ActKind>:$act, OptionalAttr<F32Attr>:$act_alpha,
                   OptionalAttr<F32Attr>:$act_beta);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `,` $filter `,` $filter_scale (`bias` `(` $bias^ `:` type($bias) `)`)?
    (`residual` `(` $residual^ `:` type($residual) `)`)? (`act` $act^)? attr-dict `:`
    type($input) `,` type($filter) `,` type($filter_scale) `->` type($result)
  }];
}

def NN_QMatmulOp : NN_Op<"qmatmul", [AttrSizedOperandSegments]> {
  let summary = "int8 matrix product [..., M, K] x [K, N] with a float epilogue";
  let description = [{
    `nn.matmul` with a quantized left operand (the activations, i8 storage
    of uint8 when `lhs_unsigned`, else int8, per-tensor `lhs_scale` and
    `lhs_zero_point`) and a 2-D int8 right operand (the weights, symmetric,
    one scale per column: `rhs_scale`, f32 [N]), accumulated in int32:

      result[..., m, n] = act(lhs_scale * rhs_scale[n] *
                              sum_k((lhs[..., m, k] - lhs_zero_point) * rhs[k, n])
                              + bias[n] + residual)

    The result is f32; `bias`, `residual` and `act` are `nn.matmul`'s.
    An i32 result is the exact accumulator instead (ONNX MatMulInteger on
    the int8 kernels): sum_k((lhs - lhs_zero_point) * rhs), no bias,
    residual or activation, the scales unused.
  }];
  let arguments = (ins AnyRankedTensor:$lhs, AnyRankedTensor:$rhs, AnyRankedTensor:$rhs_scale,
                   Optional<AnyRankedTensor>:$bias, Optional<AnyRankedTensor>:$residual,
                   F32Attr:$lhs_scale, NN_SI64Attr:$lhs_zero_point, UnitAttr:$lhs_unsigned,
                   OptionalAttr<NN_ActKind>:$act, OptionalAttr<F32Attr>:$act_alpha,
                   OptionalAttr<F32Attr>:$act_beta);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs `,` $rhs_scale (`bias` `(` $bias^ `:` type($bias) `)`)?
    (`residual` `(` $residual^ `:` type($residual) `)`)? (`act` $act^)? attr-dict `:`
    type($lhs) `,` type($rhs) `,` type($rhs_scale) `->` type($result)
  }];
}

def NN_Int4MatmulOp : NN_Op<"int4_matmul", [AttrSizedOperandSegments]> {
  let summary = "matrix product [..., M, K] x [K, N] with int4 weights (weight-only quantization)";
  let description = [{
    `nn.matmul` whose constant right operand holds 4-bit weights in groups
    of `group_size` elements along K (kiln-nn-quantize's int4 layers).
    `rhs` is i8 [K / 2, N]: element [j, n] packs the unsigned 4-bit codes of
    k = 2j (low nibble) and k = 2j + 1 (high nibble), each in [0, 15].
    Group g = k / group_size of column n has the f32 scale
    `rhs_scale[g, n]` and the zero point `rhs_zero_point[g, n]` (i8 in
    [0, 15]).  The left operand (the activations) stays f32:

      result[..., m, n] = act(sum_k lhs[..., m, k] * rhs_scale[k / G, n] *
                              (code(k, n) - rhs_zero_point[k / G, n])
                              + bias[n] + residual)

    K must be a multiple of `group_size`, which must be even.  `bias`,
    `residual` and `act` are `nn.matmul`'s.

    With `lhs_int8` the activations are quantized at run time, per row and
    group (group_size a multiple of 8): sx = max_k |lhs[..., m, k]| / 127
    over the group (1 for an all-zero group), q = clamp(round_half_even(lhs
    / sx), -127, 127), and lhs[..., m, k] above reads q * sx (W4A8: the CPU
    kernel multiplies the codes by q in int8 with `vpdpbusd`).
  }];
  let arguments = (ins AnyRankedTensor:$lhs, AnyRankedTensor:$rhs, AnyRankedTensor:$rhs_scale,
                   AnyRankedTensor:$rhs_zero_point,
                   Optional<AnyRankedTensor>:$bias, Optional<AnyRankedTensor>:$residual,
                   NN_SI64Attr:$group_size,
                   OptionalAttr<NN_ActKind>:$act, OptionalAttr<F32Attr>:$act_alpha,
                   OptionalAttr<F32Attr>:$act_beta, UnitAttr:$lhs_int8);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs `,` $rhs_scale `,` $rhs_zero_point (`bias` `(` $bias^ `:` type($bias) `)`)?
    (`residual` `(` $residual^ `:` type($residual) `)`)? (`act` $act^)? attr-dict `:`
    type($lhs) `,` type($rhs) `,` type($rhs_scale) `,` type($rhs_zero_point) `->` type($result)
  }];
  let hasVerifier = 1;
}

def NN_DetOp : NN_Op<"det"> {
  let summary = "determinant of the square matrices in the last two dims";
  let description = [{
    [..., M, M] -> [...], M static.  Computed by Gaussian elimination with
    partial pivoting, fully unrolled in the body of one linalg.generic
    (M <= 8).
  }];
  let arguments = (ins AnyRankedTensor:$input);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def NN_WindowOp : NN_Op<"window"> {
  let summary = "1-D window function (hann, hamming, blackman) of run-time length";
  let description = [{
    `size` is a one-element integer tensor.  With N = size (periodic) or
    size - 1 (symmetric), element k is a0 - a1 cos(2 pi k / N)
    + a2 cos(4 pi k / N) with (a0, a1, a2) = (0.5, 0.5, 0) for hann,
    (25/46, 21/46, 0) for hamming and (0.42, 0.5, 0.08) for blackman.
  }];
  let arguments = (ins AnyRankedTensor:$size, StrAttr:$kind, BoolAttr:$periodic);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$kind $size attr-dict `:` type($size) `->` type($result)";
}

def NN_DFTOp : NN_Op<"dft"> {
  let summary = "discrete Fourier transform along `axis` ([..., 1 or 2] real / complex)";
  let description = [{
    The last dim holds the real (and imaginary) part; the result's last dim
    is 2.  `length` is the transform length (the input is zero-padded or
    truncated to it); the result holds bins 0 .. length/2 when `onesided`.
    `inverse` uses exp(+i...) and divides by the length.  Computed directly
    (O(n^2)) in f64 with twiddle angles reduced modulo the length.
  }];
  let arguments = (ins AnyRankedTensor:$input, NN_SI64Attr:$axis, NN_SI64Attr:$length,
                   BoolAttr:$inverse, BoolAttr:$onesided);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def NN_STFTOp : NN_Op<"stft", [AttrSizedOperandSegments]> {
  let summary = "short-time Fourier transform of [batch, length, 1 or 2] signals";
  let description = [{
    Frames of `frame_length` samples (the window's length when a window is
    given, else the one-element `frame_length` operand) every `frame_step`
    samples (one-element tensor), each multiplied by the window and
    transformed; result [batch, frames, bins, 2] (bins = frame_length / 2 + 1
    when `onesided`).
  }];
  let arguments = (ins AnyRankedTensor:$signal, AnyRankedTensor:$frame_step,
                   Optional<AnyRankedTensor>:$window, Optional<AnyRankedTensor>:$frame_length,
                   BoolAttr:$onesided);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$signal `,` $frame_step (`window` $window^)? (`length` $frame_length^)? attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def NN_MelWeightMatrixOp : NN_Op<"mel_weight_matrix"> {
  let summary = "triangular mel filter bank [dft_length / 2 + 1, num_mel_bins] (ONNX MelWeightMatrix)";
  let arguments = (ins AnyRankedTensor:$num_mel_bins, AnyRankedTensor:$dft_length,
                   AnyRankedTensor:$sample_rate, AnyRankedTensor:$lower_edge_hertz,
                   AnyRankedTensor:$upper_edge_hertz);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

def NN_GridSampleOp : NN_Op<"grid_sample"> {
  let summary = "2-D sampling of [N, C, H, W] at normalized grid points [N, Ho, Wo, 2]";
  let description = [{
    Grid values in [-1, 1] map to pixel coordinates (corner pixel centres
    with `align_corners`, else the image edges).  `mode` is nearest (round
    half to even), linear or cubic (a = -0.75); `padding_mode` zeros, border
    (clamp) or reflection decides the value of out-of-image taps.
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$grid, StrAttr:$mode,
                   StrAttr:$padding_mode, BoolAttr:$align_corners);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input `,` $grid attr-dict `:` functional-type(operands, results)";
}

def NN_RoiAlignOp : NN_Op<"roi_align"> {
  let summary = "RoiAlign: average or max of bilinear samples over regions of interest";
  let description = [{
    `input` [N, C, H, W], `rois` [R, 4] (x1, y1, x2, y2), `batch_indices`
    [R]; result [R, C, output_height, output_width].  `sampling_ratio`
    (> 0) samples per bin and axis, unrolled in the body of one
    linalg.generic; 0 (adaptive) takes ceil(roi size / output size) samples
    per roi, run-time loop bounds (an scf.for nest); `half_pixel` shifts roi coordinates by -0.5 (else
    rois are at least 1 x 1).  `max_mode` takes the maximum of the weighted
    corner values (as onnxruntime) instead of the average.
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$rois,
                   AnyRankedTensor:$batch_indices, BoolAttr:$half_pixel, BoolAttr:$max_mode,
                   NN_SI64Attr:$sampling_ratio, F64Attr:$spatial_scale);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input `,` $rois `,` $batch_indices attr-dict `:` functional-type(operands, results)";
}

def NN_TfIdfOp : NN_Op<"tfidf"> {
  let summary = "n-gram counts (TF, IDF or TFIDF) of integer sequences";
  let description = [{
    `ngrams` lists the n-grams to count, each padded with -1 to the longest
    length `max_len`, row-major; `lengths` their lengths; `out_index` the
    result column of each; `weights` the per-n-gram weights.  An n-gram is
    counted at every start position and every gap 0 .. `max_skip` (once for
    unigrams).  The result is [batch, columns] (or [columns] for 1-D input).
  }];
  let arguments = (ins AnyRankedTensor:$input, DenseI64ArrayAttr:$ngrams,
                   DenseI64ArrayAttr:$lengths, DenseI64ArrayAttr:$out_index,
                   DenseF64ArrayAttr:$weights, NN_SI64Attr:$max_len,
                   NN_SI64Attr:$max_skip, StrAttr:$mode);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}


//===----------------------------------------------------------------------===//
// Run-time checks (kiln-insert-runtime-checks; docs/runtime.md)
//===----------------------------------------------------------------------===//

def NN_CheckOp : Op<NN_Dialect, "check", [MemoryEffects<[MemWrite]>]> {
  let summary = "run-time check of data-dependent values, with a message";
  let description = [{
    When `condition` is false, the run fails with `message`, in which
    "{0}", "{1}" and "{2}" stand for `values` (at most three, printed as
    signed decimal), e.g. "node 'Gather_3' (Gather): index {0} is out of
    range ({1} to {2}) on axis 0 of 'data'".  The op only records the first
    failure of a run (the runtime's kiln_model_run returns
    KILN_ERROR_INVALID_INPUT with the message).  Without `stop`, the code
    after it still runs, on values that the checked ops clamp, and its
    results are discarded.  With `stop` (the checked op cannot be made
    memory-safe on a bad value: Reshape and Expand sizes), a failed check
    ends the run: the target skips everything after it (CPU: the rest of
    the block runs under an scf.if, and enclosing regions stop too).
    Consecutive `stop` checks share one exit.  It is not lowered by
    nn-to-linalg: the target lowers it (CPU: kiln-cpu-lower-runtime-checks).
  }];
  let arguments = (ins I1:$condition, Variadic<I64>:$values, StrAttr:$message,
                       UnitAttr:$stop);
  let assemblyFormat = "$condition `,` $message (`,` $values^)? attr-dict";
  let hasVerifier = 1;
}

#endif // KILN_NN_OPS
