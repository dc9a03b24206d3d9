//===- ONNXOps.td - the onnx import dialect -----------------*- tablegen -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// One op per ONNX operator of the default domain, with ONNX semantics.
// Attributes keep their ONNX names and types (INT -> i64, FLOAT -> f32,
// INTS -> array of i64, FLOATS -> array of f32, STRING -> string, TENSOR ->
// elements).  Optional inputs that the model leaves out are `none` values
// produced by `onnx.NoValue`.  Operators whose signature changed between
// opsets are imported in their newest form (e.g. axes as an input); the
// importer adapts older opsets.
//
// The dialect and ONNX_Op are in ONNXBase.td; the ops are in ops/<Family>.td,
// one file per op family, each with its shape inference in
// lib/Dialect/ONNX/<Family>.cpp (docs/dialects.md: adding an onnx op).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_ONNX_OPS
#define KILN_ONNX_OPS

include "onnx/ONNXBase.td"

//===----------------------------------------------------------------------===//
// Structural
//===----------------------------------------------------------------------===//

def ONNX_NoValueOp : Op<ONNX_Dialect, "NoValue", [Pure]> {
  let summary = "an omitted optional input";
  let results = (outs NoneType:$none);
  let assemblyFormat = "attr-dict";
}

def ONNX_ConstantOp : ONNX_Op<"Constant", [ConstantLike]>, ONNX_Since<1> {
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
// Op families
//===----------------------------------------------------------------------===//

include "onnx/ops/Elementwise.td"
include "onnx/ops/Matmul.td"
include "onnx/ops/ConvPool.td"
include "onnx/ops/Normalization.td"
include "onnx/ops/Reduction.td"
include "onnx/ops/Tensor.td"
include "onnx/ops/Indexing.td"
include "onnx/ops/Sorting.td"
include "onnx/ops/Recurrent.td"
include "onnx/ops/Quantization.td"
include "onnx/ops/SignalVision.td"

#endif // KILN_ONNX_OPS
