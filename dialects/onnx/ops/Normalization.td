//===- Normalization.td - onnx ops: normalization ----------*- tablegen -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// BatchNormalization, LayerNormalization, InstanceNormalization,
// GroupNormalization, MeanVarianceNormalization, LRN, Softmax and LogSoftmax.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_ONNX_OPS_NORMALIZATION
#define KILN_ONNX_OPS_NORMALIZATION

include "onnx/ONNXBase.td"

def ONNX_BatchNormalizationOp : ONNX_Op<"BatchNormalization">, ONNX_Since<1> {
  let summary = "ONNX BatchNormalization (opset 15)";
  let description = [{
    With `training_mode` = 1 the statistics come from the batch and the
    optional results `running` are running_mean and running_var.
  }];
  let arguments = (ins AnyTensor:$X, AnyTensor:$scale, AnyTensor:$B,
                   AnyTensor:$input_mean, AnyTensor:$input_var,
                   DefaultValuedAttr<F32Attr, "1e-05">:$epsilon,
                   DefaultValuedAttr<F32Attr, "0.9">:$momentum,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$training_mode);
  let results = (outs AnyTensor:$Y, Variadic<AnyTensor>:$running);
}

def ONNX_LayerNormalizationOp : ONNX_Op<"LayerNormalization">, ONNX_Since<17> {
  let summary = "ONNX LayerNormalization (opset 17)";
  let arguments = (ins AnyTensor:$X, AnyTensor:$Scale, ONNX_TensorOrNone:$B,
                   DefaultValuedAttr<ONNX_SI64Attr, "-1">:$axis,
                   DefaultValuedAttr<F32Attr, "1e-05">:$epsilon,
                   DefaultValuedAttr<ONNX_SI64Attr, "1">:$stash_type);
  let description = "Optional outputs Mean and InvStdDev are the variadic `stats`.";
  let results = (outs AnyTensor:$Y, Variadic<AnyTensor>:$stats);
}

def ONNX_SoftmaxOp : ONNX_Op<"Softmax">, ONNX_Since<1> {
  let summary = "ONNX Softmax (opset 13 semantics: along one axis)";
  let arguments = (ins AnyTensor:$input, DefaultValuedAttr<ONNX_SI64Attr, "-1">:$axis);
  let results = (outs AnyTensor:$output);
}

def ONNX_LogSoftmaxOp : ONNX_Op<"LogSoftmax">, ONNX_Since<1> {
  let summary = "ONNX LogSoftmax (opset 13 semantics: along one axis)";
  let arguments = (ins AnyTensor:$input, DefaultValuedAttr<ONNX_SI64Attr, "-1">:$axis);
  let results = (outs AnyTensor:$output);
}

def ONNX_InstanceNormalizationOp : ONNX_Op<"InstanceNormalization">, ONNX_Since<1> {
  let summary = "ONNX InstanceNormalization";
  let arguments = (ins AnyTensor:$input, AnyTensor:$scale, AnyTensor:$B,
                   DefaultValuedAttr<F32Attr, "1e-05">:$epsilon);
  let results = (outs AnyTensor:$output);
}

def ONNX_MeanVarianceNormalizationOp : ONNX_Op<"MeanVarianceNormalization">, ONNX_Since<9> {
  let summary = "ONNX MeanVarianceNormalization";
  let arguments = (ins AnyTensor:$X, OptionalAttr<ONNX_I64ArrayAttr>:$axes);
  let results = (outs AnyTensor:$Y);
}

def ONNX_LRNOp : ONNX_Op<"LRN">, ONNX_Since<1> {
  let summary = "ONNX LRN (local response normalization across channels)";
  let arguments = (ins AnyTensor:$X,
                   DefaultValuedAttr<F32Attr, "0.0001">:$alpha,
                   DefaultValuedAttr<F32Attr, "0.75">:$beta,
                   DefaultValuedAttr<F32Attr, "1.0">:$bias,
                   ONNX_SI64Attr:$size);
  let results = (outs AnyTensor:$Y);
}

def ONNX_GroupNormalizationOp : ONNX_Op<"GroupNormalization">, ONNX_Since<18> {
  let summary = "ONNX GroupNormalization (opset 21: per-channel scale and bias)";
  let description = [{
    The importer turns the per-group scale/bias of opsets 18-20 into
    per-channel ones.
  }];
  let arguments = (ins AnyTensor:$X, AnyTensor:$scale, AnyTensor:$bias,
                   DefaultValuedAttr<F32Attr, "1e-05">:$epsilon,
                   ONNX_SI64Attr:$num_groups,
                   DefaultValuedAttr<ONNX_SI64Attr, "1">:$stash_type);
  let results = (outs AnyTensor:$Y);
}

#endif // KILN_ONNX_OPS_NORMALIZATION
