//===- Recurrent.td - onnx ops: recurrent layers and control flow ---*- tablegen -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// RNN, GRU, LSTM, and the subgraph operators If, Loop and Scan (regions
// ending in onnx.Yield).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_ONNX_OPS_RECURRENT
#define KILN_ONNX_OPS_RECURRENT

include "onnx/ONNXBase.td"

class ONNX_RecurrentOp<string mnemonic, string summ, dag extraIns> : ONNX_Op<mnemonic> {
  let summary = summ;
  let description = [{
    Opset 14 form.  Optional inputs are `none`; the results are the ONNX
    outputs up to the last one the model uses (an unused leading output
    still has a type).  `activations` holds the activation function names
    (ONNX STRINGS attribute), one per gate function and direction.
  }];
  let arguments = !con((ins AnyTensor:$X, AnyTensor:$W, AnyTensor:$R, ONNX_TensorOrNone:$B,
                   ONNX_TensorOrNone:$sequence_lens, ONNX_TensorOrNone:$initial_h),
                   extraIns,
                   (ins OptionalAttr<ONNX_F32ArrayAttr>:$activation_alpha,
                   OptionalAttr<ONNX_F32ArrayAttr>:$activation_beta,
                   OptionalAttr<StrArrayAttr>:$activations,
                   OptionalAttr<F32Attr>:$clip,
                   DefaultValuedAttr<StrAttr, "\"forward\"">:$direction,
                   OptionalAttr<ONNX_SI64Attr>:$hidden_size,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$layout));
  let results = (outs Variadic<AnyTensor>:$outputs);
}

def ONNX_RNNOp : ONNX_RecurrentOp<"RNN", "ONNX RNN (Elman): Y, Y_h", (ins)>, ONNX_Since<1>;

def ONNX_GRUOp : ONNX_RecurrentOp<"GRU", "ONNX GRU: Y, Y_h",
    (ins DefaultValuedAttr<ONNX_SI64Attr, "0">:$linear_before_reset)>, ONNX_Since<1>;

def ONNX_LSTMOp : ONNX_RecurrentOp<"LSTM", "ONNX LSTM: Y, Y_h, Y_c",
    (ins ONNX_TensorOrNone:$initial_c, ONNX_TensorOrNone:$P,
         DefaultValuedAttr<ONNX_SI64Attr, "0">:$input_forget)>, ONNX_Since<1>;

def ONNX_YieldOp : Op<ONNX_Dialect, "Yield", [Pure, Terminator,
    ParentOneOf<["IfOp", "LoopOp", "ScanOp"]>]> {
  let summary = "terminator of a subgraph region: the subgraph's outputs";
  let arguments = (ins Variadic<AnyTensor>:$operands);
  let assemblyFormat = "$operands attr-dict `:` type($operands)";
}

def ONNX_IfOp : ONNX_Op<"If">, ONNX_Since<1> {
  let summary = "ONNX If: runs then_branch or else_branch (regions)";
  let description = [{
    The subgraphs `then_branch` / `else_branch` are single-block regions
    without arguments ending in `onnx.Yield`; they may use any value of the
    enclosing regions.  Results whose branch types differ get `?` dims.
  }];
  let arguments = (ins AnyTensor:$cond);
  let results = (outs Variadic<AnyTensor>:$outputs);
  let regions = (region SizedRegion<1>:$then_branch, SizedRegion<1>:$else_branch);
}

def ONNX_LoopOp : ONNX_Op<"Loop">, ONNX_Since<1> {
  let summary = "ONNX Loop (opset 11+ form): while (i < M && cond) v = body(i, cond, v)";
  let description = [{
    `body` has arguments (iteration number: tensor<i64>, condition:
    tensor<i1>, loop-carried values...) and yields (condition, loop-carried
    values..., scan outputs...).  Results: the final loop-carried values
    then the scan outputs stacked along a new leading axis (run-time size).
  }];
  let arguments = (ins ONNX_TensorOrNone:$M, ONNX_TensorOrNone:$cond,
                   Variadic<AnyTensor>:$v_initial);
  let results = (outs Variadic<AnyTensor>:$outputs);
  let regions = (region SizedRegion<1>:$body);
}

def ONNX_ScanOp : ONNX_Op<"Scan">, ONNX_Since<8> {
  let summary = "ONNX Scan (opset 9+ form)";
  let description = [{
    Inputs are the initial states then `num_scan_inputs` scan inputs; `body`
    takes (states..., one slice of each scan input) and yields (states...,
    scan output slices...).  Opset 8 Scan (leading batch axis) becomes one
    Scan per batch entry at import (static batch, no sequence_lens).
  }];
  let arguments = (ins Variadic<AnyTensor>:$initial_state_and_scan_inputs,
                   ONNX_SI64Attr:$num_scan_inputs,
                   OptionalAttr<ONNX_I64ArrayAttr>:$scan_input_axes,
                   OptionalAttr<ONNX_I64ArrayAttr>:$scan_input_directions,
                   OptionalAttr<ONNX_I64ArrayAttr>:$scan_output_axes,
                   OptionalAttr<ONNX_I64ArrayAttr>:$scan_output_directions);
  let results = (outs Variadic<AnyTensor>:$outputs);
  let regions = (region SizedRegion<1>:$body);
}

#endif // KILN_ONNX_OPS_RECURRENT
