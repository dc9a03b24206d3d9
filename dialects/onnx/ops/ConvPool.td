//===- ConvPool.td - onnx ops: convolution and pooling -----*- tablegen -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Conv, ConvTranspose, MaxPool, AveragePool, the global pools and MaxUnpool.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_ONNX_OPS_CONV_POOL
#define KILN_ONNX_OPS_CONV_POOL

include "onnx/ONNXBase.td"

def ONNX_ConvOp : ONNX_Op<"Conv">, ONNX_Since<1> {
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

def ONNX_ConvTransposeOp : ONNX_Op<"ConvTranspose">, ONNX_Since<1> {
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

def ONNX_MaxPoolOp : ONNX_PoolOp<"MaxPool", "ONNX MaxPool">, ONNX_Since<1> {
  let results = (outs AnyTensor:$Y, Optional<AnyTensor>:$Indices);
}

def ONNX_AveragePoolOp : ONNX_PoolOp<"AveragePool", "ONNX AveragePool">, ONNX_Since<1> {
  let results = (outs AnyTensor:$Y);
}

def ONNX_GlobalAveragePoolOp : ONNX_UnaryOp<"GlobalAveragePool", "ONNX GlobalAveragePool">,
    ONNX_Since<1>;
def ONNX_GlobalMaxPoolOp : ONNX_UnaryOp<"GlobalMaxPool", "ONNX GlobalMaxPool">, ONNX_Since<1>;

def ONNX_MaxUnpoolOp : ONNX_Op<"MaxUnpool">, ONNX_Since<9> {
  let summary = "ONNX MaxUnpool";
  let arguments = (ins AnyTensor:$X, AnyTensor:$I, ONNX_TensorOrNone:$output_shape,
                   ONNX_I64ArrayAttr:$kernel_shape,
                   OptionalAttr<ONNX_I64ArrayAttr>:$pads,
                   OptionalAttr<ONNX_I64ArrayAttr>:$strides);
  let results = (outs AnyTensor:$output);
}

#endif // KILN_ONNX_OPS_CONV_POOL
