//===- Sorting.td - onnx ops: sorting and selection --------*- tablegen -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// TopK, Unique, NonZero, NonMaxSuppression, CumSum and Hardmax.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_ONNX_OPS_SORTING
#define KILN_ONNX_OPS_SORTING

include "onnx/ONNXBase.td"

def ONNX_HardmaxOp : ONNX_Op<"Hardmax">, ONNX_Since<1> {
  let summary = "ONNX Hardmax (opset 13 semantics: along one axis)";
  let description = [{
    1 at the first maximum along `axis`, 0 elsewhere.  Before opset 13 the
    input was coerced to 2-D at `axis`; the importer adapts that form.
  }];
  let arguments = (ins AnyTensor:$input, DefaultValuedAttr<ONNX_SI64Attr, "-1">:$axis);
  let results = (outs AnyTensor:$output);
}

def ONNX_CumSumOp : ONNX_Op<"CumSum">, ONNX_Since<11> {
  let summary = "ONNX CumSum: cumulative sum along the axis given as a scalar input";
  let arguments = (ins AnyTensor:$x, AnyTensor:$axis,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$exclusive,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$reverse);
  let results = (outs AnyTensor:$y);
}

def ONNX_TopKOp : ONNX_Op<"TopK">, ONNX_Since<1> {
  let summary = "ONNX TopK (opset 11 form: K is an input)";
  let description = [{
    The K largest (or smallest) elements along `axis` and their indices;
    equal values keep the lower index first.  TopK-1 (k attribute) is
    adapted at import.
  }];
  let arguments = (ins AnyTensor:$X, AnyTensor:$K,
                   DefaultValuedAttr<ONNX_SI64Attr, "-1">:$axis,
                   DefaultValuedAttr<ONNX_SI64Attr, "1">:$largest,
                   DefaultValuedAttr<ONNX_SI64Attr, "1">:$sorted);
  let results = (outs AnyTensor:$Values, AnyTensor:$Indices);
}

def ONNX_NonZeroOp : ONNX_Op<"NonZero">, ONNX_Since<9> {
  let summary = "ONNX NonZero: indices [rank, N] of the non-zero elements (N at run time)";
  let arguments = (ins AnyTensor:$X);
  let results = (outs AnyTensor:$Y);
}

def ONNX_UniqueOp : ONNX_Op<"Unique">, ONNX_Since<11> {
  let summary = "ONNX Unique: unique elements or slices (run-time count)";
  let description = [{
    Results, in order: Y, indices, inverse_indices, counts; the model may
    ask for a prefix of them.
  }];
  let arguments = (ins AnyTensor:$X, OptionalAttr<ONNX_SI64Attr>:$axis,
                   DefaultValuedAttr<ONNX_SI64Attr, "1">:$sorted);
  let results = (outs Variadic<AnyTensor>:$outputs);
}

def ONNX_NonMaxSuppressionOp : ONNX_Op<"NonMaxSuppression">, ONNX_Since<10> {
  let summary = "ONNX NonMaxSuppression: greedy per-class box selection, [N, 3] indices";
  let arguments = (ins AnyTensor:$boxes, AnyTensor:$scores,
                   ONNX_TensorOrNone:$max_output_boxes_per_class,
                   ONNX_TensorOrNone:$iou_threshold, ONNX_TensorOrNone:$score_threshold,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$center_point_box);
  let results = (outs AnyTensor:$selected_indices);
}

#endif // KILN_ONNX_OPS_SORTING
