//===- ONNXOps.td - the onnx import dialect -----------------*- tablegen -*-===//
//
// One op per ONNX operator of the default domain, with ONNX semantics.
// Attributes keep their ONNX names and types (INT -> i64, FLOAT -> f32,
// INTS -> array of i64, FLOATS -> array of f32, STRING -> string, TENSOR ->
// elements).  Optional inputs that the model leaves out are `none` values
// produced by `onnx.NoValue`.  Operators whose signature changed between
// opsets are imported in their newest form (e.g. axes as an input); the
// importer adapts older opsets.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_ONNX_OPS
#define KILN_ONNX_OPS

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "onnx/ONNXInterfaces.td"

// Signed 64-bit integer attribute (the upstream ONNX_SI64Attr returns uint64_t).
def ONNX_SI64Attr : SignlessIntegerAttrBase<I64, "64-bit integer attribute"> {
  let returnType = "int64_t";
  let convertFromStorage = "$_self.getValue().getSExtValue()";
}

def ONNX_Dialect : Dialect {
  let name = "onnx";
  let summary = "Kiln's ONNX import dialect";
  let description = [{
    The `onnx` dialect mirrors ONNX operators one to one.  It is produced by
    the importer and consumed by the `onnx -> nn` normalization.  Values are
    ranked tensors whose dynamic dimensions (such as a symbolic batch) are `?`.
  }];
  let cppNamespace = "::kiln::onnx";
  let usePropertiesForAttributes = 0;
  let hasConstantMaterializer = 0;
}

def ONNX_TensorOrNone : AnyTypeOf<[AnyTensor, NoneType]>;
def ONNX_I64ArrayAttr : TypedArrayAttrBase<I64Attr, "64-bit integer array">;
def ONNX_F32ArrayAttr : TypedArrayAttrBase<F32Attr, "32-bit float array">;

class ONNX_Op<string mnemonic, list<Trait> traits = []>
    : Op<ONNX_Dialect, mnemonic,
         !listconcat(traits, [Pure, DeclareOpInterfaceMethods<ONNX_ShapeInferenceOpInterface>])> {
  let hasVerifier = 1;
  let extraClassDefinition = [{
    ::mlir::LogicalResult $cppClass::verify() {
      return ::kiln::onnx::verifyInferredTypes(getOperation());
    }
  }];
}

//===----------------------------------------------------------------------===//
// Structural
//===----------------------------------------------------------------------===//

def ONNX_NoValueOp : Op<ONNX_Dialect, "NoValue", [Pure]> {
  let summary = "an omitted optional input";
  let results = (outs NoneType:$none);
  let assemblyFormat = "attr-dict";
}

def ONNX_ConstantOp : ONNX_Op<"Constant", [ConstantLike]> {
  let summary = "ONNX Constant: a tensor value (initializers are imported as this op)";
  let description = [{
    Holds the value as an `ElementsAttr`; large initializers are
    `dense_resource` blobs so their bytes are neither copied twice nor printed.
    The ONNX `value_float(s)`/`value_int(s)` forms are normalized to `value`.
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs AnyTensor:$output);
  let hasFolder = 1;
  let assemblyFormat = "attr-dict `:` type($output)";
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

class ONNX_UnaryOp<string mnemonic, string summ> : ONNX_Op<mnemonic> {
  let summary = summ;
  let arguments = (ins AnyTensor:$X);
  let results = (outs AnyTensor:$Y);
}
def ONNX_ReluOp : ONNX_UnaryOp<"Relu", "ONNX Relu: max(x, 0)">;
def ONNX_SigmoidOp : ONNX_UnaryOp<"Sigmoid", "ONNX Sigmoid: 1 / (1 + exp(-x))">;
def ONNX_TanhOp : ONNX_UnaryOp<"Tanh", "ONNX Tanh">;
def ONNX_ErfOp : ONNX_UnaryOp<"Erf", "ONNX Erf: the Gauss error function">;
def ONNX_ExpOp : ONNX_UnaryOp<"Exp", "ONNX Exp">;
def ONNX_LogOp : ONNX_UnaryOp<"Log", "ONNX Log">;
def ONNX_SqrtOp : ONNX_UnaryOp<"Sqrt", "ONNX Sqrt">;
def ONNX_NegOp : ONNX_UnaryOp<"Neg", "ONNX Neg">;
def ONNX_AbsOp : ONNX_UnaryOp<"Abs", "ONNX Abs">;
def ONNX_ReciprocalOp : ONNX_UnaryOp<"Reciprocal", "ONNX Reciprocal">;
def ONNX_FloorOp : ONNX_UnaryOp<"Floor", "ONNX Floor">;
def ONNX_CeilOp : ONNX_UnaryOp<"Ceil", "ONNX Ceil">;
def ONNX_NotOp : ONNX_UnaryOp<"Not", "ONNX Not (boolean)">;
def ONNX_HardSwishOp : ONNX_UnaryOp<"HardSwish", "ONNX HardSwish: x * max(0, min(1, x/6 + 1/2))">;
def ONNX_IdentityOp : ONNX_UnaryOp<"Identity", "ONNX Identity">;

def ONNX_LeakyReluOp : ONNX_Op<"LeakyRelu"> {
  let summary = "ONNX LeakyRelu: x < 0 ? alpha * x : x";
  let arguments = (ins AnyTensor:$X, DefaultValuedAttr<F32Attr, "0.01">:$alpha);
  let results = (outs AnyTensor:$Y);
}
def ONNX_HardSigmoidOp : ONNX_Op<"HardSigmoid"> {
  let summary = "ONNX HardSigmoid: max(0, min(1, alpha * x + beta))";
  let arguments = (ins AnyTensor:$X, DefaultValuedAttr<F32Attr, "0.2">:$alpha,
                   DefaultValuedAttr<F32Attr, "0.5">:$beta);
  let results = (outs AnyTensor:$Y);
}
def ONNX_GeluOp : ONNX_Op<"Gelu"> {
  let summary = "ONNX Gelu (opset 20): exact (erf) or tanh approximation";
  let arguments = (ins AnyTensor:$X, DefaultValuedAttr<StrAttr, "\"none\"">:$approximate);
  let results = (outs AnyTensor:$Y);
}
def ONNX_ClipOp : ONNX_Op<"Clip"> {
  let summary = "ONNX Clip (opset 11+ form: min and max are optional inputs)";
  let arguments = (ins AnyTensor:$input, ONNX_TensorOrNone:$min, ONNX_TensorOrNone:$max);
  let results = (outs AnyTensor:$output);
}
def ONNX_CastOp : ONNX_Op<"Cast"> {
  let summary = "ONNX Cast to the element type `to` (ONNX TensorProto.DataType)";
  let arguments = (ins AnyTensor:$input, ONNX_SI64Attr:$to, DefaultValuedAttr<ONNX_SI64Attr, "1">:$saturate);
  let results = (outs AnyTensor:$output);
}
def ONNX_DropoutOp : ONNX_Op<"Dropout"> {
  let summary = "ONNX Dropout; inference only: the identity (mask all true)";
  let arguments = (ins AnyTensor:$data, ONNX_TensorOrNone:$ratio,
                   ONNX_TensorOrNone:$training_mode, OptionalAttr<ONNX_SI64Attr>:$seed);
  let results = (outs AnyTensor:$output, Optional<AnyTensor>:$mask);
}

class ONNX_BinaryOp<string mnemonic, string summ> : ONNX_Op<mnemonic> {
  let summary = summ;
  let description = "Multidirectional (numpy) broadcasting.";
  let arguments = (ins AnyTensor:$A, AnyTensor:$B);
  let results = (outs AnyTensor:$C);
}
def ONNX_AddOp : ONNX_BinaryOp<"Add", "ONNX Add">;
def ONNX_SubOp : ONNX_BinaryOp<"Sub", "ONNX Sub">;
def ONNX_MulOp : ONNX_BinaryOp<"Mul", "ONNX Mul">;
def ONNX_DivOp : ONNX_BinaryOp<"Div", "ONNX Div">;
def ONNX_EqualOp : ONNX_BinaryOp<"Equal", "ONNX Equal (bool result)">;
def ONNX_LessOp : ONNX_BinaryOp<"Less", "ONNX Less (bool result)">;
def ONNX_GreaterOp : ONNX_BinaryOp<"Greater", "ONNX Greater (bool result)">;
def ONNX_AndOp : ONNX_BinaryOp<"And", "ONNX And">;
def ONNX_OrOp : ONNX_BinaryOp<"Or", "ONNX Or">;
def ONNX_PowOp : ONNX_Op<"Pow"> {
  let summary = "ONNX Pow (broadcasting; exponent may have another type)";
  let arguments = (ins AnyTensor:$X, AnyTensor:$Y);
  let results = (outs AnyTensor:$Z);
}
class ONNX_VariadicOp<string mnemonic, string summ> : ONNX_Op<mnemonic> {
  let summary = summ;
  let arguments = (ins Variadic<AnyTensor>:$data_0);
  let results = (outs AnyTensor:$result);
}
def ONNX_MaxOp : ONNX_VariadicOp<"Max", "ONNX Max (variadic, broadcasting)">;
def ONNX_MinOp : ONNX_VariadicOp<"Min", "ONNX Min (variadic, broadcasting)">;
def ONNX_SumOp : ONNX_VariadicOp<"Sum", "ONNX Sum (variadic, broadcasting)">;
def ONNX_WhereOp : ONNX_Op<"Where"> {
  let summary = "ONNX Where: condition ? X : Y (broadcasting)";
  let arguments = (ins AnyTensor:$condition, AnyTensor:$X, AnyTensor:$Y);
  let results = (outs AnyTensor:$output);
}

//===----------------------------------------------------------------------===//
// Linear algebra and convolution
//===----------------------------------------------------------------------===//

def ONNX_MatMulOp : ONNX_Op<"MatMul"> {
  let summary = "ONNX MatMul (numpy matmul semantics)";
  let arguments = (ins AnyTensor:$A, AnyTensor:$B);
  let results = (outs AnyTensor:$Y);
}
def ONNX_GemmOp : ONNX_Op<"Gemm"> {
  let summary = "ONNX Gemm: alpha * op(A) * op(B) + beta * C";
  let arguments = (ins AnyTensor:$A, AnyTensor:$B, ONNX_TensorOrNone:$C,
                   DefaultValuedAttr<F32Attr, "1.0">:$alpha,
                   DefaultValuedAttr<F32Attr, "1.0">:$beta,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$transA,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$transB);
  let results = (outs AnyTensor:$Y);
}
def ONNX_ConvOp : ONNX_Op<"Conv"> {
  let summary = "ONNX Conv (N-d, groups, dilations, pads, auto_pad)";
  let arguments = (ins AnyTensor:$X, AnyTensor:$W, ONNX_TensorOrNone:$B,
                   DefaultValuedAttr<StrAttr, "\"NOTSET\"">:$auto_pad,
                   OptionalAttr<ONNX_I64ArrayAttr>:$dilations,
                   DefaultValuedAttr<ONNX_SI64Attr, "1">:$group,
                   OptionalAttr<ONNX_I64ArrayAttr>:$kernel_shape,
                   OptionalAttr<ONNX_I64ArrayAttr>:$pads,
                   OptionalAttr<ONNX_I64ArrayAttr>:$strides);
  let results = (outs AnyTensor:$Y);
}
def ONNX_ConvTransposeOp : ONNX_Op<"ConvTranspose"> {
  let summary = "ONNX ConvTranspose";
  let arguments = (ins AnyTensor:$X, AnyTensor:$W, ONNX_TensorOrNone:$B,
                   DefaultValuedAttr<StrAttr, "\"NOTSET\"">:$auto_pad,
                   OptionalAttr<ONNX_I64ArrayAttr>:$dilations,
                   DefaultValuedAttr<ONNX_SI64Attr, "1">:$group,
                   OptionalAttr<ONNX_I64ArrayAttr>:$kernel_shape,
                   OptionalAttr<ONNX_I64ArrayAttr>:$output_padding,
                   OptionalAttr<ONNX_I64ArrayAttr>:$output_shape,
                   OptionalAttr<ONNX_I64ArrayAttr>:$pads,
                   OptionalAttr<ONNX_I64ArrayAttr>:$strides);
  let results = (outs AnyTensor:$Y);
}

//===----------------------------------------------------------------------===//
// Normalization, softmax, pooling
//===----------------------------------------------------------------------===//

def ONNX_BatchNormalizationOp : ONNX_Op<"BatchNormalization"> {
  let summary = "ONNX BatchNormalization (inference mode)";
  let arguments = (ins AnyTensor:$X, AnyTensor:$scale, AnyTensor:$B,
                   AnyTensor:$input_mean, AnyTensor:$input_var,
                   DefaultValuedAttr<F32Attr, "1e-05">:$epsilon,
                   DefaultValuedAttr<F32Attr, "0.9">:$momentum,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$training_mode);
  let results = (outs AnyTensor:$Y);
}
def ONNX_LayerNormalizationOp : ONNX_Op<"LayerNormalization"> {
  let summary = "ONNX LayerNormalization (opset 17)";
  let arguments = (ins AnyTensor:$X, AnyTensor:$Scale, ONNX_TensorOrNone:$B,
                   DefaultValuedAttr<ONNX_SI64Attr, "-1">:$axis,
                   DefaultValuedAttr<F32Attr, "1e-05">:$epsilon,
                   DefaultValuedAttr<ONNX_SI64Attr, "1">:$stash_type);
  let description = "Optional outputs Mean and InvStdDev are the variadic `stats`.";
  let results = (outs AnyTensor:$Y, Variadic<AnyTensor>:$stats);
}
def ONNX_SoftmaxOp : ONNX_Op<"Softmax"> {
  let summary = "ONNX Softmax (opset 13 semantics: along one axis)";
  let arguments = (ins AnyTensor:$input, DefaultValuedAttr<ONNX_SI64Attr, "-1">:$axis);
  let results = (outs AnyTensor:$output);
}
def ONNX_LogSoftmaxOp : ONNX_Op<"LogSoftmax"> {
  let summary = "ONNX LogSoftmax (opset 13 semantics: along one axis)";
  let arguments = (ins AnyTensor:$input, DefaultValuedAttr<ONNX_SI64Attr, "-1">:$axis);
  let results = (outs AnyTensor:$output);
}
class ONNX_PoolOp<string mnemonic, string summ> : ONNX_Op<mnemonic> {
  let summary = summ;
  let arguments = (ins AnyTensor:$X,
                   DefaultValuedAttr<StrAttr, "\"NOTSET\"">:$auto_pad,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$ceil_mode,
                   OptionalAttr<ONNX_I64ArrayAttr>:$dilations,
                   ONNX_I64ArrayAttr:$kernel_shape,
                   OptionalAttr<ONNX_I64ArrayAttr>:$pads,
                   OptionalAttr<ONNX_I64ArrayAttr>:$strides,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$count_include_pad,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$storage_order);
}
def ONNX_MaxPoolOp : ONNX_PoolOp<"MaxPool", "ONNX MaxPool"> {
  let results = (outs AnyTensor:$Y, Optional<AnyTensor>:$Indices);
}
def ONNX_AveragePoolOp : ONNX_PoolOp<"AveragePool", "ONNX AveragePool"> {
  let results = (outs AnyTensor:$Y);
}
def ONNX_GlobalAveragePoolOp : ONNX_UnaryOp<"GlobalAveragePool", "ONNX GlobalAveragePool">;
def ONNX_GlobalMaxPoolOp : ONNX_UnaryOp<"GlobalMaxPool", "ONNX GlobalMaxPool">;

//===----------------------------------------------------------------------===//
// Reductions (opset 18 form: axes is an optional input)
//===----------------------------------------------------------------------===//

class ONNX_ReduceOp<string mnemonic, string summ> : ONNX_Op<mnemonic> {
  let summary = summ;
  let arguments = (ins AnyTensor:$data, ONNX_TensorOrNone:$axes,
                   DefaultValuedAttr<ONNX_SI64Attr, "1">:$keepdims,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$noop_with_empty_axes);
  let results = (outs AnyTensor:$reduced);
}
def ONNX_ReduceMeanOp : ONNX_ReduceOp<"ReduceMean", "ONNX ReduceMean">;
def ONNX_ReduceSumOp : ONNX_ReduceOp<"ReduceSum", "ONNX ReduceSum">;
def ONNX_ReduceMaxOp : ONNX_ReduceOp<"ReduceMax", "ONNX ReduceMax">;
def ONNX_ReduceMinOp : ONNX_ReduceOp<"ReduceMin", "ONNX ReduceMin">;
def ONNX_ReduceProdOp : ONNX_ReduceOp<"ReduceProd", "ONNX ReduceProd">;

//===----------------------------------------------------------------------===//
// Shape and data movement
//===----------------------------------------------------------------------===//

def ONNX_FlattenOp : ONNX_Op<"Flatten"> {
  let summary = "ONNX Flatten to 2-D at `axis`";
  let arguments = (ins AnyTensor:$input, DefaultValuedAttr<ONNX_SI64Attr, "1">:$axis);
  let results = (outs AnyTensor:$output);
}
def ONNX_ReshapeOp : ONNX_Op<"Reshape"> {
  let summary = "ONNX Reshape (0 copies a dim unless allowzero, -1 is inferred)";
  let arguments = (ins AnyTensor:$data, AnyTensor:$shape,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$allowzero);
  let results = (outs AnyTensor:$reshaped);
}
def ONNX_TransposeOp : ONNX_Op<"Transpose"> {
  let summary = "ONNX Transpose (default: reverse the dims)";
  let arguments = (ins AnyTensor:$data, OptionalAttr<ONNX_I64ArrayAttr>:$perm);
  let results = (outs AnyTensor:$transposed);
}
def ONNX_SqueezeOp : ONNX_Op<"Squeeze"> {
  let summary = "ONNX Squeeze (opset 13 form: axes input)";
  let arguments = (ins AnyTensor:$data, ONNX_TensorOrNone:$axes);
  let results = (outs AnyTensor:$squeezed);
}
def ONNX_UnsqueezeOp : ONNX_Op<"Unsqueeze"> {
  let summary = "ONNX Unsqueeze (opset 13 form: axes input)";
  let arguments = (ins AnyTensor:$data, AnyTensor:$axes);
  let results = (outs AnyTensor:$expanded);
}
def ONNX_ConcatOp : ONNX_Op<"Concat"> {
  let summary = "ONNX Concat";
  let arguments = (ins Variadic<AnyTensor>:$inputs, ONNX_SI64Attr:$axis);
  let results = (outs AnyTensor:$concat_result);
}
def ONNX_SplitOp : ONNX_Op<"Split"> {
  let summary = "ONNX Split (opset 18 form: split input, num_outputs attribute)";
  let arguments = (ins AnyTensor:$input, ONNX_TensorOrNone:$split,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$axis,
                   OptionalAttr<ONNX_SI64Attr>:$num_outputs);
  let results = (outs Variadic<AnyTensor>:$outputs);
}
def ONNX_SliceOp : ONNX_Op<"Slice"> {
  let summary = "ONNX Slice (opset 10+ form: starts/ends/axes/steps inputs)";
  let arguments = (ins AnyTensor:$data, AnyTensor:$starts, AnyTensor:$ends,
                   ONNX_TensorOrNone:$axes, ONNX_TensorOrNone:$steps);
  let results = (outs AnyTensor:$output);
}
def ONNX_GatherOp : ONNX_Op<"Gather"> {
  let summary = "ONNX Gather along `axis` (negative indices wrap)";
  let arguments = (ins AnyTensor:$data, AnyTensor:$indices,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$axis);
  let results = (outs AnyTensor:$output);
}
def ONNX_PadOp : ONNX_Op<"Pad"> {
  let summary = "ONNX Pad (opset 18 form: pads, constant_value and axes inputs)";
  let arguments = (ins AnyTensor:$data, AnyTensor:$pads,
                   ONNX_TensorOrNone:$constant_value, ONNX_TensorOrNone:$axes,
                   DefaultValuedAttr<StrAttr, "\"constant\"">:$mode);
  let results = (outs AnyTensor:$output);
}
def ONNX_ShapeOp : ONNX_Op<"Shape"> {
  let summary = "ONNX Shape (opset 15 start/end)";
  let arguments = (ins AnyTensor:$data, OptionalAttr<ONNX_SI64Attr>:$start,
                   OptionalAttr<ONNX_SI64Attr>:$end);
  let results = (outs AnyTensor:$shape);
}
def ONNX_ExpandOp : ONNX_Op<"Expand"> {
  let summary = "ONNX Expand (broadcast to a shape)";
  let arguments = (ins AnyTensor:$input, AnyTensor:$shape);
  let results = (outs AnyTensor:$output);
}
def ONNX_ResizeOp : ONNX_Op<"Resize"> {
  let summary = "ONNX Resize (opset 19 form)";
  let description = [{
    Resampling with nearest, (multi)linear or cubic interpolation.  Older
    forms are adapted at import: Resize-10 becomes `asymmetric` coordinates
    with `floor` nearest rounding and its scales input moves to `scales`;
    `roi`, `scales` and `sizes` are none when absent.  The output shape comes
    from constant `scales` (floor(in * scale)) or constant `sizes`.
  }];
  let arguments = (ins AnyTensor:$X, ONNX_TensorOrNone:$roi, ONNX_TensorOrNone:$scales,
                   ONNX_TensorOrNone:$sizes,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$antialias,
                   OptionalAttr<I64ArrayAttr>:$axes,
                   DefaultValuedAttr<StrAttr, "\"half_pixel\"">:$coordinate_transformation_mode,
                   DefaultValuedAttr<F32Attr, "-0.75">:$cubic_coeff_a,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$exclude_outside,
                   DefaultValuedAttr<F32Attr, "0.0">:$extrapolation_value,
                   DefaultValuedAttr<StrAttr, "\"stretch\"">:$keep_aspect_ratio_policy,
                   DefaultValuedAttr<StrAttr, "\"nearest\"">:$mode,
                   DefaultValuedAttr<StrAttr, "\"round_prefer_floor\"">:$nearest_mode);
  let results = (outs AnyTensor:$Y);
}
def ONNX_EinsumOp : ONNX_Op<"Einsum"> {
  let summary = "ONNX Einsum";
  let description = [{
    Einstein summation over letter subscripts, with `...` for broadcast
    dims and an implicit output (letters appearing once, sorted) when the
    equation has no `->`.
  }];
  let arguments = (ins Variadic<AnyTensor>:$Inputs, StrAttr:$equation);
  let results = (outs AnyTensor:$Output);
}
def ONNX_UpsampleOp : ONNX_Op<"Upsample"> {
  let summary = "ONNX Upsample (deprecated in opset 10; opset 9 form)";
  let description = [{
    Nearest (floor) or linear upsampling with `asymmetric` coordinates; the
    opset-7 `scales` attribute becomes the constant `scales` input at import.
  }];
  let arguments = (ins AnyTensor:$X, AnyTensor:$scales,
                   DefaultValuedAttr<StrAttr, "\"nearest\"">:$mode);
  let results = (outs AnyTensor:$Y);
}
def ONNX_ConstantOfShapeOp : ONNX_Op<"ConstantOfShape"> {
  let summary = "ONNX ConstantOfShape";
  let arguments = (ins AnyTensor:$input, OptionalAttr<ElementsAttr>:$value);
  let results = (outs AnyTensor:$output);
}
def ONNX_RangeOp : ONNX_Op<"Range"> {
  let summary = "ONNX Range";
  let arguments = (ins AnyTensor:$start, AnyTensor:$limit, AnyTensor:$delta);
  let results = (outs AnyTensor:$output);
}

// ---- conformance [elementwise]: add new entries above this line ----

def ONNX_GatherElementsOp : ONNX_Op<"GatherElements"> {
  let summary = "ONNX GatherElements: output[i][j] = data[indices[i][j]][j] (axis 0); negative indices wrap";
  let arguments = (ins AnyTensor:$data, AnyTensor:$indices,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$axis);
  let results = (outs AnyTensor:$output);
}
def ONNX_ScatterElementsOp : ONNX_Op<"ScatterElements"> {
  let summary = "ONNX ScatterElements (opset 18 form: reduction none/add/mul/max/min)";
  let description = [{
    The deprecated Scatter (opsets 9-10) is imported as this op.
  }];
  let arguments = (ins AnyTensor:$data, AnyTensor:$indices, AnyTensor:$updates,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$axis,
                   DefaultValuedAttr<StrAttr, "\"none\"">:$reduction);
  let results = (outs AnyTensor:$output);
}
def ONNX_GatherNDOp : ONNX_Op<"GatherND"> {
  let summary = "ONNX GatherND (opset 12+ form with batch_dims)";
  let arguments = (ins AnyTensor:$data, AnyTensor:$indices,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$batch_dims);
  let results = (outs AnyTensor:$output);
}
def ONNX_ScatterNDOp : ONNX_Op<"ScatterND"> {
  let summary = "ONNX ScatterND (opset 18 form: reduction none/add/mul/max/min)";
  let arguments = (ins AnyTensor:$data, AnyTensor:$indices, AnyTensor:$updates,
                   DefaultValuedAttr<StrAttr, "\"none\"">:$reduction);
  let results = (outs AnyTensor:$output);
}
def ONNX_TriluOp : ONNX_Op<"Trilu"> {
  let summary = "ONNX Trilu: upper or lower triangle of the last two dims, diagonal offset k (optional input)";
  let arguments = (ins AnyTensor:$input, ONNX_TensorOrNone:$k,
                   DefaultValuedAttr<ONNX_SI64Attr, "1">:$upper);
  let results = (outs AnyTensor:$output);
}
def ONNX_TileOp : ONNX_Op<"Tile"> {
  let summary = "ONNX Tile (opset 6+ form: repeats input, constant or run-time)";
  let arguments = (ins AnyTensor:$input, AnyTensor:$repeats);
  let results = (outs AnyTensor:$output);
}
def ONNX_OneHotOp : ONNX_Op<"OneHot"> {
  let summary = "ONNX OneHot: values[1] where index == position along axis, else values[0]";
  let arguments = (ins AnyTensor:$indices, AnyTensor:$depth, AnyTensor:$values,
                   DefaultValuedAttr<ONNX_SI64Attr, "-1">:$axis);
  let results = (outs AnyTensor:$output);
}
def ONNX_EyeLikeOp : ONNX_Op<"EyeLike"> {
  let summary = "ONNX EyeLike: 2-D tensor of the input's shape with ones on diagonal k";
  let arguments = (ins AnyTensor:$input, OptionalAttr<ONNX_SI64Attr>:$dtype,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$k);
  let results = (outs AnyTensor:$output);
}
def ONNX_DepthToSpaceOp : ONNX_Op<"DepthToSpace"> {
  let summary = "ONNX DepthToSpace (DCR or CRD mode)";
  let arguments = (ins AnyTensor:$input, ONNX_SI64Attr:$blocksize,
                   DefaultValuedAttr<StrAttr, "\"DCR\"">:$mode);
  let results = (outs AnyTensor:$output);
}
def ONNX_SpaceToDepthOp : ONNX_Op<"SpaceToDepth"> {
  let summary = "ONNX SpaceToDepth";
  let arguments = (ins AnyTensor:$input, ONNX_SI64Attr:$blocksize);
  let results = (outs AnyTensor:$output);
}
def ONNX_CompressOp : ONNX_Op<"Compress"> {
  let summary = "ONNX Compress: the slices along axis (or flattened elements) where condition is true";
  let arguments = (ins AnyTensor:$input, AnyTensor:$condition, OptionalAttr<ONNX_SI64Attr>:$axis);
  let results = (outs AnyTensor:$output);
}
def ONNX_ReverseSequenceOp : ONNX_Op<"ReverseSequence"> {
  let summary = "ONNX ReverseSequence: reverse the first sequence_lens[b] steps along time_axis";
  let arguments = (ins AnyTensor:$input, AnyTensor:$sequence_lens,
                   DefaultValuedAttr<ONNX_SI64Attr, "1">:$batch_axis,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$time_axis);
  let results = (outs AnyTensor:$output);
}

// ---- conformance [indexing]: add new entries above this line ----

// ---- conformance [normalization]: add new entries above this line ----

// ---- conformance [sorting]: add new entries above this line ----

// ---- conformance [loss]: add new entries above this line ----

// ---- conformance [convpool]: add new entries above this line ----

// ---- conformance [recurrent]: add new entries above this line ----

//===----------------------------------------------------------------------===//
// Quantization, signal and vision operators ([quant] family)
//===----------------------------------------------------------------------===//

// `input_dtypes` (Kiln, set by the importer): the ONNX TensorProto.DataType
// of each input as far as the model declares it (0: unknown).  MLIR integers
// are signless, so this carries whether 8-bit inputs are uint8 or int8.
def ONNX_QuantizeLinearOp : ONNX_Op<"QuantizeLinear"> {
  let summary = "ONNX QuantizeLinear: saturate(round_half_even(x / y_scale) + y_zero_point)";
  let description = [{
    Per-tensor (scalar scale) or per-axis (1-D scale along `axis`).  The
    output type is `output_dtype` (2 uint8, 3 int8); the importer derives it
    from the zero point's type (uint8 when there is no zero point).
  }];
  let arguments = (ins AnyTensor:$x, AnyTensor:$y_scale, ONNX_TensorOrNone:$y_zero_point,
                   DefaultValuedAttr<ONNX_SI64Attr, "1">:$axis,
                   DefaultValuedAttr<ONNX_SI64Attr, "1">:$saturate,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$block_size,
                   DefaultValuedAttr<ONNX_SI64Attr, "2">:$output_dtype,
                   OptionalAttr<ONNX_I64ArrayAttr>:$input_dtypes);
  let results = (outs AnyTensor:$y);
}
def ONNX_DequantizeLinearOp : ONNX_Op<"DequantizeLinear"> {
  let summary = "ONNX DequantizeLinear: (x - x_zero_point) * x_scale";
  let arguments = (ins AnyTensor:$x, AnyTensor:$x_scale, ONNX_TensorOrNone:$x_zero_point,
                   DefaultValuedAttr<ONNX_SI64Attr, "1">:$axis,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$block_size,
                   OptionalAttr<ONNX_I64ArrayAttr>:$input_dtypes);
  let results = (outs AnyTensor:$y);
}
def ONNX_DynamicQuantizeLinearOp : ONNX_Op<"DynamicQuantizeLinear"> {
  let summary = "ONNX DynamicQuantizeLinear: uint8 quantization with scale and zero point from the data range";
  let arguments = (ins AnyTensor:$x);
  let results = (outs AnyTensor:$y, AnyTensor:$y_scale, AnyTensor:$y_zero_point);
}
def ONNX_MatMulIntegerOp : ONNX_Op<"MatMulInteger"> {
  let summary = "ONNX MatMulInteger: (A - a_zero_point) x (B - b_zero_point) in int32";
  let arguments = (ins AnyTensor:$A, AnyTensor:$B, ONNX_TensorOrNone:$a_zero_point,
                   ONNX_TensorOrNone:$b_zero_point, OptionalAttr<ONNX_I64ArrayAttr>:$input_dtypes);
  let results = (outs AnyTensor:$Y);
}
def ONNX_ConvIntegerOp : ONNX_Op<"ConvInteger"> {
  let summary = "ONNX ConvInteger: Conv of (x - x_zero_point) and (w - w_zero_point) in int32";
  let arguments = (ins AnyTensor:$x, AnyTensor:$w, ONNX_TensorOrNone:$x_zero_point,
                   ONNX_TensorOrNone:$w_zero_point,
                   DefaultValuedAttr<StrAttr, "\"NOTSET\"">:$auto_pad,
                   OptionalAttr<ONNX_I64ArrayAttr>:$dilations,
                   DefaultValuedAttr<ONNX_SI64Attr, "1">:$group,
                   OptionalAttr<ONNX_I64ArrayAttr>:$kernel_shape,
                   OptionalAttr<ONNX_I64ArrayAttr>:$pads,
                   OptionalAttr<ONNX_I64ArrayAttr>:$strides,
                   OptionalAttr<ONNX_I64ArrayAttr>:$input_dtypes);
  let results = (outs AnyTensor:$y);
}
def ONNX_QLinearMatMulOp : ONNX_Op<"QLinearMatMul"> {
  let summary = "ONNX QLinearMatMul: quantized matrix product, requantized to y_scale / y_zero_point";
  let arguments = (ins AnyTensor:$a, AnyTensor:$a_scale, AnyTensor:$a_zero_point,
                   AnyTensor:$b, AnyTensor:$b_scale, AnyTensor:$b_zero_point,
                   AnyTensor:$y_scale, AnyTensor:$y_zero_point,
                   OptionalAttr<ONNX_I64ArrayAttr>:$input_dtypes);
  let results = (outs AnyTensor:$y);
}
def ONNX_QLinearConvOp : ONNX_Op<"QLinearConv"> {
  let summary = "ONNX QLinearConv: quantized convolution (int32 bias), requantized to y_scale / y_zero_point";
  let arguments = (ins AnyTensor:$x, AnyTensor:$x_scale, AnyTensor:$x_zero_point,
                   AnyTensor:$w, AnyTensor:$w_scale, AnyTensor:$w_zero_point,
                   AnyTensor:$y_scale, AnyTensor:$y_zero_point, ONNX_TensorOrNone:$B,
                   DefaultValuedAttr<StrAttr, "\"NOTSET\"">:$auto_pad,
                   OptionalAttr<ONNX_I64ArrayAttr>:$dilations,
                   DefaultValuedAttr<ONNX_SI64Attr, "1">:$group,
                   OptionalAttr<ONNX_I64ArrayAttr>:$kernel_shape,
                   OptionalAttr<ONNX_I64ArrayAttr>:$pads,
                   OptionalAttr<ONNX_I64ArrayAttr>:$strides,
                   OptionalAttr<ONNX_I64ArrayAttr>:$input_dtypes);
  let results = (outs AnyTensor:$y);
}
def ONNX_DetOp : ONNX_UnaryOp<"Det", "ONNX Det: determinant of [..., M, M] matrices">;
class ONNX_WindowOp<string mnemonic, string summ> : ONNX_Op<mnemonic> {
  let summary = summ;
  let arguments = (ins AnyTensor:$size, DefaultValuedAttr<ONNX_SI64Attr, "1">:$output_datatype,
                   DefaultValuedAttr<ONNX_SI64Attr, "1">:$periodic);
  let results = (outs AnyTensor:$output);
}
def ONNX_HannWindowOp : ONNX_WindowOp<"HannWindow", "ONNX HannWindow">;
def ONNX_HammingWindowOp : ONNX_WindowOp<"HammingWindow", "ONNX HammingWindow">;
def ONNX_BlackmanWindowOp : ONNX_WindowOp<"BlackmanWindow", "ONNX BlackmanWindow">;
def ONNX_DFTOp : ONNX_Op<"DFT"> {
  let summary = "ONNX DFT (opset 20 form: dft_length and axis inputs)";
  let description = [{
    The opset-17 `axis` attribute becomes a constant `axis` input at import.
  }];
  let arguments = (ins AnyTensor:$input, ONNX_TensorOrNone:$dft_length, ONNX_TensorOrNone:$axis,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$inverse,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$onesided);
  let results = (outs AnyTensor:$output);
}
def ONNX_STFTOp : ONNX_Op<"STFT"> {
  let summary = "ONNX STFT: short-time Fourier transform";
  let arguments = (ins AnyTensor:$signal, AnyTensor:$frame_step, ONNX_TensorOrNone:$window,
                   ONNX_TensorOrNone:$frame_length, DefaultValuedAttr<ONNX_SI64Attr, "1">:$onesided);
  let results = (outs AnyTensor:$output);
}
def ONNX_MelWeightMatrixOp : ONNX_Op<"MelWeightMatrix"> {
  let summary = "ONNX MelWeightMatrix: [dft_length / 2 + 1, num_mel_bins] triangular mel filters";
  let arguments = (ins AnyTensor:$num_mel_bins, AnyTensor:$dft_length, AnyTensor:$sample_rate,
                   AnyTensor:$lower_edge_hertz, AnyTensor:$upper_edge_hertz,
                   DefaultValuedAttr<ONNX_SI64Attr, "1">:$output_datatype);
  let results = (outs AnyTensor:$output);
}
def ONNX_GridSampleOp : ONNX_Op<"GridSample"> {
  let summary = "ONNX GridSample (opset 20 form: modes linear / nearest / cubic)";
  let description = [{
    Opset-16 `bilinear` / `bicubic` are renamed `linear` / `cubic` at import.
  }];
  let arguments = (ins AnyTensor:$X, AnyTensor:$grid,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$align_corners,
                   DefaultValuedAttr<StrAttr, "\"linear\"">:$mode,
                   DefaultValuedAttr<StrAttr, "\"zeros\"">:$padding_mode);
  let results = (outs AnyTensor:$Y);
}
def ONNX_RoiAlignOp : ONNX_Op<"RoiAlign"> {
  let summary = "ONNX RoiAlign (opset 16 form)";
  let description = [{
    RoiAlign-10 has no coordinate_transformation_mode; it behaves as
    `output_half_pixel`, which the importer sets.
  }];
  let arguments = (ins AnyTensor:$X, AnyTensor:$rois, AnyTensor:$batch_indices,
                   DefaultValuedAttr<StrAttr, "\"half_pixel\"">:$coordinate_transformation_mode,
                   DefaultValuedAttr<StrAttr, "\"avg\"">:$mode,
                   DefaultValuedAttr<ONNX_SI64Attr, "1">:$output_height,
                   DefaultValuedAttr<ONNX_SI64Attr, "1">:$output_width,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$sampling_ratio,
                   DefaultValuedAttr<F32Attr, "1.0">:$spatial_scale);
  let results = (outs AnyTensor:$Y);
}
def ONNX_TfIdfVectorizerOp : ONNX_Op<"TfIdfVectorizer"> {
  let summary = "ONNX TfIdfVectorizer (integer input; string pools are not supported)";
  let arguments = (ins AnyTensor:$X, ONNX_SI64Attr:$max_gram_length,
                   ONNX_SI64Attr:$max_skip_count, ONNX_SI64Attr:$min_gram_length,
                   StrAttr:$mode, ONNX_I64ArrayAttr:$ngram_counts,
                   ONNX_I64ArrayAttr:$ngram_indexes,
                   OptionalAttr<ONNX_I64ArrayAttr>:$pool_int64s,
                   OptionalAttr<ONNX_F32ArrayAttr>:$weights);
  let results = (outs AnyTensor:$Y);
}

// ---- conformance [quant]: add new entries above this line ----

#endif // KILN_ONNX_OPS
