//===- Indexing.td - onnx ops: gather and scatter ----------*- tablegen -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Gather*, Scatter*, OneHot, Trilu, Compress and ReverseSequence.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_ONNX_OPS_INDEXING
#define KILN_ONNX_OPS_INDEXING

include "onnx/ONNXBase.td"

def ONNX_GatherOp : ONNX_Op<"Gather">, ONNX_Since<1> {
  let summary = "ONNX Gather along `axis` (negative indices wrap)";
  let arguments = (ins AnyTensor:$data, AnyTensor:$indices,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$axis);
  let results = (outs AnyTensor:$output);
}

def ONNX_GatherElementsOp : ONNX_Op<"GatherElements">, ONNX_Since<11> {
  let summary = "ONNX GatherElements: output[i][j] = data[indices[i][j]][j] (axis 0); negative indices wrap";
  let arguments = (ins AnyTensor:$data, AnyTensor:$indices,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$axis);
  let results = (outs AnyTensor:$output);
}

def ONNX_ScatterElementsOp : ONNX_Op<"ScatterElements">,
    ONNX_Since<11>, ONNX_AlsoImports<"Scatter", 9> {
  let summary = "ONNX ScatterElements (opset 18 form: reduction none/add/mul/max/min)";
  let description = [{
    The deprecated Scatter (opsets 9-10) is imported as this op.
  }];
  let arguments = (ins AnyTensor:$data, AnyTensor:$indices, AnyTensor:$updates,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$axis,
                   DefaultValuedAttr<StrAttr, "\"none\"">:$reduction);
  let results = (outs AnyTensor:$output);
}

def ONNX_GatherNDOp : ONNX_Op<"GatherND">, ONNX_Since<11> {
  let summary = "ONNX GatherND (opset 12+ form with batch_dims)";
  let arguments = (ins AnyTensor:$data, AnyTensor:$indices,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$batch_dims);
  let results = (outs AnyTensor:$output);
}

def ONNX_ScatterNDOp : ONNX_Op<"ScatterND">, ONNX_Since<11> {
  let summary = "ONNX ScatterND (opset 18 form: reduction none/add/mul/max/min)";
  let arguments = (ins AnyTensor:$data, AnyTensor:$indices, AnyTensor:$updates,
                   DefaultValuedAttr<StrAttr, "\"none\"">:$reduction);
  let results = (outs AnyTensor:$output);
}

def ONNX_TriluOp : ONNX_Op<"Trilu">, ONNX_Since<14> {
  let summary = "ONNX Trilu: upper or lower triangle of the last two dims, diagonal offset k (optional input)";
  let arguments = (ins AnyTensor:$input, ONNX_TensorOrNone:$k,
                   DefaultValuedAttr<ONNX_SI64Attr, "1">:$upper);
  let results = (outs AnyTensor:$output);
}

def ONNX_OneHotOp : ONNX_Op<"OneHot">, ONNX_Since<9> {
  let summary = "ONNX OneHot: values[1] where index == position along axis, else values[0]";
  let arguments = (ins AnyTensor:$indices, AnyTensor:$depth, AnyTensor:$values,
                   DefaultValuedAttr<ONNX_SI64Attr, "-1">:$axis);
  let results = (outs AnyTensor:$output);
}

def ONNX_CompressOp : ONNX_Op<"Compress">, ONNX_Since<9> {
  let summary = "ONNX Compress: the slices along axis (or flattened elements) where condition is true";
  let arguments = (ins AnyTensor:$input, AnyTensor:$condition, OptionalAttr<ONNX_SI64Attr>:$axis);
  let results = (outs AnyTensor:$output);
}

def ONNX_ReverseSequenceOp : ONNX_Op<"ReverseSequence">, ONNX_Since<10> {
  let summary = "ONNX ReverseSequence: reverse the first sequence_lens[b] steps along time_axis";
  let arguments = (ins AnyTensor:$input, AnyTensor:$sequence_lens,
                   DefaultValuedAttr<ONNX_SI64Attr, "1">:$batch_axis,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$time_axis);
  let results = (outs AnyTensor:$output);
}

#endif // KILN_ONNX_OPS_INDEXING
