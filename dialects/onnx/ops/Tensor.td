//===- Tensor.td - onnx ops: shape and data movement -------*- tablegen -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Reshape, Transpose, Squeeze, Concat, Split, Slice, Pad, Shape, Expand, Tile,
// DepthToSpace and other operators that move data or compute shapes.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_ONNX_OPS_TENSOR
#define KILN_ONNX_OPS_TENSOR

include "onnx/ONNXBase.td"

def ONNX_FlattenOp : ONNX_Op<"Flatten">, ONNX_Since<1> {
  let summary = "ONNX Flatten to 2-D at `axis`";
  let arguments = (ins AnyTensor:$input, DefaultValuedAttr<ONNX_SI64Attr, "1">:$axis);
  let results = (outs AnyTensor:$output);
}

def ONNX_ReshapeOp : ONNX_Op<"Reshape">, ONNX_Since<1> {
  let summary = "ONNX Reshape (0 copies a dim unless allowzero, -1 is inferred)";
  let arguments = (ins AnyTensor:$data, AnyTensor:$shape,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$allowzero);
  let results = (outs AnyTensor:$reshaped);
}

def ONNX_TransposeOp : ONNX_Op<"Transpose">, ONNX_Since<1> {
  let summary = "ONNX Transpose (default: reverse the dims)";
  let arguments = (ins AnyTensor:$data, OptionalAttr<ONNX_I64ArrayAttr>:$perm);
  let results = (outs AnyTensor:$transposed);
}

def ONNX_SqueezeOp : ONNX_Op<"Squeeze">, ONNX_Since<1> {
  let summary = "ONNX Squeeze (opset 13 form: axes input)";
  let arguments = (ins AnyTensor:$data, ONNX_TensorOrNone:$axes);
  let results = (outs AnyTensor:$squeezed);
}

def ONNX_UnsqueezeOp : ONNX_Op<"Unsqueeze">, ONNX_Since<1> {
  let summary = "ONNX Unsqueeze (opset 13 form: axes input)";
  let arguments = (ins AnyTensor:$data, AnyTensor:$axes);
  let results = (outs AnyTensor:$expanded);
}

def ONNX_ConcatOp : ONNX_Op<"Concat">, ONNX_Since<1> {
  let summary = "ONNX Concat";
  let arguments = (ins Variadic<AnyTensor>:$inputs, ONNX_SI64Attr:$axis);
  let results = (outs AnyTensor:$concat_result);
}

def ONNX_SplitOp : ONNX_Op<"Split">, ONNX_Since<1> {
  let summary = "ONNX Split (opset 18 form: split input, num_outputs attribute)";
  let arguments = (ins AnyTensor:$input, ONNX_TensorOrNone:$split,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$axis,
                   OptionalAttr<ONNX_SI64Attr>:$num_outputs);
  let results = (outs Variadic<AnyTensor>:$outputs);
}

def ONNX_SliceOp : ONNX_Op<"Slice">, ONNX_Since<1> {
  let summary = "ONNX Slice (opset 10+ form: starts/ends/axes/steps inputs)";
  let arguments = (ins AnyTensor:$data, AnyTensor:$starts, AnyTensor:$ends,
                   ONNX_TensorOrNone:$axes, ONNX_TensorOrNone:$steps);
  let results = (outs AnyTensor:$output);
}

def ONNX_PadOp : ONNX_Op<"Pad">, ONNX_Since<1> {
  let summary = "ONNX Pad (opset 18 form: pads, constant_value and axes inputs)";
  let arguments = (ins AnyTensor:$data, AnyTensor:$pads,
                   ONNX_TensorOrNone:$constant_value, ONNX_TensorOrNone:$axes,
                   DefaultValuedAttr<StrAttr, "\"constant\"">:$mode);
  let results = (outs AnyTensor:$output);
}

def ONNX_ShapeOp : ONNX_Op<"Shape">, ONNX_Since<1> {
  let summary = "ONNX Shape (opset 15 start/end)";
  let arguments = (ins AnyTensor:$data, OptionalAttr<ONNX_SI64Attr>:$start,
                   OptionalAttr<ONNX_SI64Attr>:$end);
  let results = (outs AnyTensor:$shape);
}

def ONNX_ExpandOp : ONNX_Op<"Expand">, ONNX_Since<8> {
  let summary = "ONNX Expand (broadcast to a shape)";
  let arguments = (ins AnyTensor:$input, AnyTensor:$shape);
  let results = (outs AnyTensor:$output);
}

def ONNX_ConstantOfShapeOp : ONNX_Op<"ConstantOfShape">, ONNX_Since<9> {
  let summary = "ONNX ConstantOfShape";
  let arguments = (ins AnyTensor:$input, OptionalAttr<ElementsAttr>:$value);
  let results = (outs AnyTensor:$output);
}

def ONNX_RangeOp : ONNX_Op<"Range">, ONNX_Since<11> {
  let summary = "ONNX Range";
  let arguments = (ins AnyTensor:$start, AnyTensor:$limit, AnyTensor:$delta);
  let results = (outs AnyTensor:$output);
}

def ONNX_SizeOp : ONNX_Op<"Size">, ONNX_Since<1> {
  let summary = "ONNX Size: the number of elements (int64 scalar)";
  let arguments = (ins AnyTensor:$data);
  let results = (outs AnyTensor:$size);
}

def ONNX_TileOp : ONNX_Op<"Tile">, ONNX_Since<1> {
  let summary = "ONNX Tile (opset 6+ form: repeats input, constant or run-time)";
  let arguments = (ins AnyTensor:$input, AnyTensor:$repeats);
  let results = (outs AnyTensor:$output);
}

def ONNX_EyeLikeOp : ONNX_Op<"EyeLike">, ONNX_Since<9> {
  let summary = "ONNX EyeLike: 2-D tensor of the input's shape with ones on diagonal k";
  let arguments = (ins AnyTensor:$input, OptionalAttr<ONNX_SI64Attr>:$dtype,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$k);
  let results = (outs AnyTensor:$output);
}

def ONNX_DepthToSpaceOp : ONNX_Op<"DepthToSpace">, ONNX_Since<1> {
  let summary = "ONNX DepthToSpace (DCR or CRD mode)";
  let arguments = (ins AnyTensor:$input, ONNX_SI64Attr:$blocksize,
                   DefaultValuedAttr<StrAttr, "\"DCR\"">:$mode);
  let results = (outs AnyTensor:$output);
}

def ONNX_SpaceToDepthOp : ONNX_Op<"SpaceToDepth">, ONNX_Since<1> {
  let summary = "ONNX SpaceToDepth";
  let arguments = (ins AnyTensor:$input, ONNX_SI64Attr:$blocksize);
  let results = (outs AnyTensor:$output);
}

#endif // KILN_ONNX_OPS_TENSOR
