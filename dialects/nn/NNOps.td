//===- NNOps.td - Kiln's optimization dialect --------------*- tablegen -*-===//
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
    I32EnumAttrCase<"gelu", 16>, I32EnumAttrCase<"gelu_tanh", 17>]> {
  let cppNamespace = "::kiln::nn";
}

def NN_BinaryKind : I32EnumAttr<"BinaryKind", "elementwise binary function", [
    I32EnumAttrCase<"add", 0>, I32EnumAttrCase<"sub", 1>,
    I32EnumAttrCase<"mul", 2>, I32EnumAttrCase<"div", 3>,
    I32EnumAttrCase<"pow", 4>, I32EnumAttrCase<"max", 5>,
    I32EnumAttrCase<"min", 6>, I32EnumAttrCase<"eq", 7>,
    I32EnumAttrCase<"lt", 8>, I32EnumAttrCase<"gt", 9>,
    I32EnumAttrCase<"logical_and", 10>, I32EnumAttrCase<"logical_or", 11>]> {
  let cppNamespace = "::kiln::nn";
}

def NN_PoolKind : I32EnumAttr<"PoolKind", "pooling function", [
    I32EnumAttrCase<"max", 0>, I32EnumAttrCase<"avg", 1>]> {
  let cppNamespace = "::kiln::nn";
}

def NN_ReduceKind : I32EnumAttr<"ReduceKind", "reduction function", [
    I32EnumAttrCase<"sum", 0>, I32EnumAttrCase<"mean", 1>,
    I32EnumAttrCase<"max", 2>, I32EnumAttrCase<"min", 3>,
    I32EnumAttrCase<"prod", 4>]> {
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
    Comparison kinds (eq, lt, gt) produce `i1`.
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
}

//===----------------------------------------------------------------------===//
// Compute
//===----------------------------------------------------------------------===//

def NN_MatmulOp : NN_Op<"matmul"> {
  let summary = "batched matrix product [..., M, K] x [..., K, N]";
  let description = [{
    Both operands have rank >= 2.  Leading (batch) dimensions broadcast as in
    numpy; the result has the broadcast batch dimensions followed by M, N.
  }];
  let arguments = (ins AnyRankedTensor:$lhs, AnyRankedTensor:$rhs);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)";
}

def NN_ConvOp : NN_Op<"conv"> {
  let summary = "N-d convolution, NC[D]HW layout, with groups and optional bias";
  let description = [{
    `input` is [N, C, spatial...], `filter` is [F, C / groups, kernel...],
    `bias` (optional) is [F].  `pads` holds the begin pads of every spatial
    dimension followed by the end pads.
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$filter,
                   Optional<AnyRankedTensor>:$bias,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                   DenseI64ArrayAttr:$pads, NN_SI64Attr:$groups);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input `,` $filter (`,` $bias^)? attr-dict `:` functional-type(operands, results)";
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
}

def NN_ConcatOp : NN_Op<"concat"> {
  let summary = "concatenate along `axis`";
  let arguments = (ins Variadic<AnyRankedTensor>:$inputs, NN_SI64Attr:$axis);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` functional-type(operands, results)";
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

// ---- conformance [elementwise]: add new entries above this line ----

// ---- conformance [indexing]: add new entries above this line ----

// ---- conformance [normalization]: add new entries above this line ----

// ---- conformance [sorting]: add new entries above this line ----

// ---- conformance [loss]: add new entries above this line ----

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

// ---- conformance [convpool]: add new entries above this line ----

// ---- conformance [recurrent]: add new entries above this line ----

// ---- conformance [quant]: add new entries above this line ----

#endif // KILN_NN_OPS
