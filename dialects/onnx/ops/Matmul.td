//===- Matmul.td - onnx ops: matrix products ---------------*- tablegen -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// MatMul, Gemm, Einsum and Det.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_ONNX_OPS_MATMUL
#define KILN_ONNX_OPS_MATMUL

include "onnx/ONNXBase.td"

def ONNX_MatMulOp : ONNX_Op<"MatMul">, ONNX_Since<1> {
  let summary = "ONNX MatMul (numpy matmul semantics)";
  let arguments = (ins AnyTensor:$A, AnyTensor:$B);
  let results = (outs AnyTensor:$Y);
}

def ONNX_GemmOp : ONNX_Op<"Gemm">, ONNX_Since<1> {
  let summary = "ONNX Gemm: alpha * op(A) * op(B) + beta * C";
  let arguments = (ins AnyTensor:$A, AnyTensor:$B, ONNX_TensorOrNone:$C,
                   DefaultValuedAttr<F32Attr, "1.0">:$alpha,
                   DefaultValuedAttr<F32Attr, "1.0">:$beta,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$transA,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$transB);
  let results = (outs AnyTensor:$Y);
}

def ONNX_AttentionOp : ONNX_Op<"Attention">, ONNX_Since<23> {
  let summary = "ONNX Attention (opset 23): scaled dot-product attention";
  let description = [{
    Q, K, V either 4-D ([B, heads, L, head size]) or 3-D ([B, L, heads x
    head size], with q_num_heads and kv_num_heads); optional attn_mask (bool:
    true attends; float: added to the scores), past_key / past_value (4-D,
    prepended to K and V along the sequence).  The results are the ONNX
    outputs up to the last one the model uses: Y, present_key,
    present_value, qk_matmul_output.
  }];
  let arguments = (ins AnyTensor:$Q, AnyTensor:$K, AnyTensor:$V, ONNX_TensorOrNone:$attn_mask,
                   ONNX_TensorOrNone:$past_key, ONNX_TensorOrNone:$past_value,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$is_causal,
                   OptionalAttr<ONNX_SI64Attr>:$kv_num_heads,
                   OptionalAttr<ONNX_SI64Attr>:$q_num_heads,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$qk_matmul_output_mode,
                   OptionalAttr<F32Attr>:$scale,
                   DefaultValuedAttr<F32Attr, "0.0">:$softcap,
                   OptionalAttr<ONNX_SI64Attr>:$softmax_precision);
  let results = (outs Variadic<AnyTensor>:$outputs);
}

def ONNX_MultiHeadAttentionOp : ONNX_Op<"MultiHeadAttention">, ONNX_Since<1>, ONNX_Domain<"com.microsoft"> {
  let summary = "ONNX Runtime's com.microsoft MultiHeadAttention (separate Q, K, V)";
  let description = [{
    The contrib operator of ONNX Runtime's transformer optimizer, in its
    unpacked form: query [B, S, N x H], key [B, L, N x H], value [B, L, N x
    Hv], optional bias [3 hidden] (Q, K and V biases, added first),
    key_padding_mask [B, total] (int32, 0 masks: mask_filter_value is added),
    attention_bias (added to the scores), past_key / past_value [B, N, P, H].
    Results up to the last one the model uses: output, present_key,
    present_value.
  }];
  let arguments = (ins AnyTensor:$query, ONNX_TensorOrNone:$key, ONNX_TensorOrNone:$value,
                   ONNX_TensorOrNone:$bias, ONNX_TensorOrNone:$key_padding_mask,
                   ONNX_TensorOrNone:$attention_bias, ONNX_TensorOrNone:$past_key,
                   ONNX_TensorOrNone:$past_value,
                   ONNX_SI64Attr:$num_heads,
                   DefaultValuedAttr<F32Attr, "-10000.0">:$mask_filter_value,
                   OptionalAttr<F32Attr>:$scale,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$unidirectional);
  let results = (outs Variadic<AnyTensor>:$outputs);
}

def ONNX_MsAttentionOp : ONNX_Op<"MsAttention">, ONNX_Since<1>, ONNX_Domain<"com.microsoft", "Attention"> {
  let summary = "ONNX Runtime's com.microsoft Attention (the QKV projection packed into one weight)";
  let description = [{
    The contrib operator ONNX Runtime's transformer optimizer writes for
    BERT and GPT-2: input [B, S, Hin] times weights [Hin, Hq + Hk + Hv]
    (qkv_hidden_sizes, default three equal parts) plus bias, split into Q,
    K and V of num_heads heads; mask_index (int32: [B] end positions, [2B]
    end and start positions, [B, T] or [B, S, T] with 0 masking, each
    masked position getting mask_filter_value), past [2, B, N, P, H]
    prepended to K and V, attention_bias added to the scores, unidirectional
    (causal, aligned to the end of the keys as with a cache).  Results up to
    the last one the model uses: output [B, S, Hv], present [2, B, N, T, H].
  }];
  let arguments = (ins AnyTensor:$input, AnyTensor:$weights, ONNX_TensorOrNone:$bias,
                   ONNX_TensorOrNone:$mask_index, ONNX_TensorOrNone:$past,
                   ONNX_TensorOrNone:$attention_bias, ONNX_TensorOrNone:$past_sequence_length,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$do_rotary,
                   DefaultValuedAttr<F32Attr, "-10000.0">:$mask_filter_value,
                   ONNX_SI64Attr:$num_heads,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$past_present_share_buffer,
                   OptionalAttr<ONNX_I64ArrayAttr>:$qkv_hidden_sizes,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$rotary_embedding_dim,
                   OptionalAttr<F32Attr>:$scale,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$unidirectional);
  let results = (outs Variadic<AnyTensor>:$outputs);
}

def ONNX_EinsumOp : ONNX_Op<"Einsum">, ONNX_Since<12> {
  let summary = "ONNX Einsum";
  let description = [{
    Einstein summation over letter subscripts, with `...` for broadcast
    dims and an implicit output (letters appearing once, sorted) when the
    equation has no `->`.
  }];
  let arguments = (ins Variadic<AnyTensor>:$Inputs, StrAttr:$equation);
  let results = (outs AnyTensor:$Output);
}

def ONNX_DetOp : ONNX_UnaryOp<"Det", "ONNX Det: determinant of [..., M, M] matrices">,
    ONNX_Since<11>;

#endif // KILN_ONNX_OPS_MATMUL
