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
