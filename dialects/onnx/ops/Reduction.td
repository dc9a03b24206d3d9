//===- Reduction.td - onnx ops: reductions and losses ------*- tablegen -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Reduce* (opset 18 form: axes is an optional input), ArgMax, ArgMin and the
// losses (NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_ONNX_OPS_REDUCTION
#define KILN_ONNX_OPS_REDUCTION

include "onnx/ONNXBase.td"

class ONNX_ReduceOp<string mnemonic, string summ> : ONNX_Op<mnemonic> {
  let summary = summ;
  let arguments = (ins AnyTensor:$data, ONNX_TensorOrNone:$axes,
                   DefaultValuedAttr<ONNX_SI64Attr, "1">:$keepdims,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$noop_with_empty_axes);
  let results = (outs AnyTensor:$reduced);
}

def ONNX_ReduceMeanOp : ONNX_ReduceOp<"ReduceMean", "ONNX ReduceMean">, ONNX_Since<1>;
def ONNX_ReduceSumOp : ONNX_ReduceOp<"ReduceSum", "ONNX ReduceSum">, ONNX_Since<1>;
def ONNX_ReduceMaxOp : ONNX_ReduceOp<"ReduceMax", "ONNX ReduceMax">, ONNX_Since<1>;
def ONNX_ReduceMinOp : ONNX_ReduceOp<"ReduceMin", "ONNX ReduceMin">, ONNX_Since<1>;
def ONNX_ReduceProdOp : ONNX_ReduceOp<"ReduceProd", "ONNX ReduceProd">, ONNX_Since<1>;
def ONNX_ReduceL1Op : ONNX_ReduceOp<"ReduceL1", "ONNX ReduceL1">, ONNX_Since<1>;
def ONNX_ReduceL2Op : ONNX_ReduceOp<"ReduceL2", "ONNX ReduceL2">, ONNX_Since<1>;
def ONNX_ReduceLogSumOp : ONNX_ReduceOp<"ReduceLogSum", "ONNX ReduceLogSum">, ONNX_Since<1>;
def ONNX_ReduceLogSumExpOp : ONNX_ReduceOp<"ReduceLogSumExp", "ONNX ReduceLogSumExp">,
    ONNX_Since<1>;
def ONNX_ReduceSumSquareOp : ONNX_ReduceOp<"ReduceSumSquare", "ONNX ReduceSumSquare">,
    ONNX_Since<1>;

def ONNX_ArgMaxOp : ONNX_Op<"ArgMax">, ONNX_Since<1> {
  let summary = "ONNX ArgMax: index (i64) of the largest element along `axis`";
  let description = "Ties: the first index, or the last with `select_last_index`.";
  let arguments = (ins AnyTensor:$data, DefaultValuedAttr<ONNX_SI64Attr, "0">:$axis,
                   DefaultValuedAttr<ONNX_SI64Attr, "1">:$keepdims,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$select_last_index);
  let results = (outs AnyTensor:$reduced);
}

def ONNX_ArgMinOp : ONNX_Op<"ArgMin">, ONNX_Since<1> {
  let summary = "ONNX ArgMin: index (i64) of the smallest element along `axis`";
  let description = "Ties: the first index, or the last with `select_last_index`.";
  let arguments = (ins AnyTensor:$data, DefaultValuedAttr<ONNX_SI64Attr, "0">:$axis,
                   DefaultValuedAttr<ONNX_SI64Attr, "1">:$keepdims,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$select_last_index);
  let results = (outs AnyTensor:$reduced);
}

def ONNX_NegativeLogLikelihoodLossOp : ONNX_Op<"NegativeLogLikelihoodLoss">, ONNX_Since<12> {
  let summary = "ONNX NegativeLogLikelihoodLoss (opset 12+)";
  let description = [{
    `input` is [N, C, d1, ..., dk] (log-probabilities), `target` [N, d1,
    ..., dk] (int32/int64 class indices), `weight` (optional) [C].  The
    loss of one element is -input[n, target, d...] * weight[target], 0
    where target == ignore_index.  `reduction` is none (per element), sum
    or mean (divided by the sum of the weights of non-ignored elements).
  }];
  let arguments = (ins AnyTensor:$input, AnyTensor:$target, ONNX_TensorOrNone:$weight,
                   OptionalAttr<ONNX_SI64Attr>:$ignore_index,
                   DefaultValuedAttr<StrAttr, "\"mean\"">:$reduction);
  let results = (outs AnyTensor:$loss);
}

def ONNX_SoftmaxCrossEntropyLossOp : ONNX_Op<"SoftmaxCrossEntropyLoss">, ONNX_Since<12> {
  let summary = "ONNX SoftmaxCrossEntropyLoss (opset 12+)";
  let description = [{
    NegativeLogLikelihoodLoss of log_softmax(scores) along axis 1; the
    optional second output is that log-probability tensor.
  }];
  let arguments = (ins AnyTensor:$scores, AnyTensor:$labels, ONNX_TensorOrNone:$weights,
                   OptionalAttr<ONNX_SI64Attr>:$ignore_index,
                   DefaultValuedAttr<StrAttr, "\"mean\"">:$reduction);
  let results = (outs AnyTensor:$output, Optional<AnyTensor>:$log_prob);
}

#endif // KILN_ONNX_OPS_REDUCTION
