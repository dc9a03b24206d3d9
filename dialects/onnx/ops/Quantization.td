//===- Quantization.td - onnx ops: quantization ------------*- tablegen -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear and the integer /
// QLinear matrix products and convolutions.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_ONNX_OPS_QUANTIZATION
#define KILN_ONNX_OPS_QUANTIZATION

include "onnx/ONNXBase.td"

// `input_dtypes` (Kiln, set by the importer): the ONNX TensorProto.DataType
// of each input as far as the model declares it (0: unknown).  MLIR integers
// are signless, so this carries whether 8-bit inputs are uint8 or int8.
def ONNX_QuantizeLinearOp : ONNX_Op<"QuantizeLinear">, ONNX_Since<10> {
  let summary = "ONNX QuantizeLinear: saturate(round_half_even(x / y_scale) + y_zero_point)";
  let description = [{
    Per-tensor (scalar scale) or per-axis (1-D scale along `axis`).  The
    output type is `output_dtype` (2 uint8, 3 int8); the importer derives it
    from the zero point's type (uint8 when there is no zero point).
  }];
  let arguments = (ins AnyTensor:$x, AnyTensor:$y_scale, ONNX_TensorOrNone:$y_zero_point,
                   DefaultValuedAttr<ONNX_SI64Attr, "1">:$axis,
                   DefaultValuedAttr<ONNX_SI64Attr, "1">:$saturate,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$block_size,
                   DefaultValuedAttr<ONNX_SI64Attr, "2">:$output_dtype,
                   OptionalAttr<ONNX_I64ArrayAttr>:$input_dtypes);
  let results = (outs AnyTensor:$y);
}

def ONNX_DequantizeLinearOp : ONNX_Op<"DequantizeLinear">, ONNX_Since<10> {
  let summary = "ONNX DequantizeLinear: (x - x_zero_point) * x_scale";
  let arguments = (ins AnyTensor:$x, AnyTensor:$x_scale, ONNX_TensorOrNone:$x_zero_point,
                   DefaultValuedAttr<ONNX_SI64Attr, "1">:$axis,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$block_size,
                   OptionalAttr<ONNX_I64ArrayAttr>:$input_dtypes);
  let results = (outs AnyTensor:$y);
}

def ONNX_DynamicQuantizeLinearOp : ONNX_Op<"DynamicQuantizeLinear">, ONNX_Since<11> {
  let summary = "ONNX DynamicQuantizeLinear: uint8 quantization with scale and zero point from the data range";
  let arguments = (ins AnyTensor:$x);
  let results = (outs AnyTensor:$y, AnyTensor:$y_scale, AnyTensor:$y_zero_point);
}

def ONNX_MatMulIntegerOp : ONNX_Op<"MatMulInteger">, ONNX_Since<10> {
  let summary = "ONNX MatMulInteger: (A - a_zero_point) x (B - b_zero_point) in int32";
  let arguments = (ins AnyTensor:$A, AnyTensor:$B, ONNX_TensorOrNone:$a_zero_point,
                   ONNX_TensorOrNone:$b_zero_point, OptionalAttr<ONNX_I64ArrayAttr>:$input_dtypes);
  let results = (outs AnyTensor:$Y);
}

def ONNX_ConvIntegerOp : ONNX_Op<"ConvInteger">, ONNX_Since<10> {
  let summary = "ONNX ConvInteger: Conv of (x - x_zero_point) and (w - w_zero_point) in int32";
  let arguments = (ins AnyTensor:$x, AnyTensor:$w, ONNX_TensorOrNone:$x_zero_point,
                   ONNX_TensorOrNone:$w_zero_point,
                   DefaultValuedAttr<StrAttr, "\"NOTSET\"">:$auto_pad,
                   OptionalAttr<ONNX_I64ArrayAttr>:$dilations,
                   DefaultValuedAttr<ONNX_SI64Attr, "1">:$group,
                   OptionalAttr<ONNX_I64ArrayAttr>:$kernel_shape,
                   OptionalAttr<ONNX_I64ArrayAttr>:$pads,
                   OptionalAttr<ONNX_I64ArrayAttr>:$strides,
                   OptionalAttr<ONNX_I64ArrayAttr>:$input_dtypes);
  let results = (outs AnyTensor:$y);
}

def ONNX_QLinearMatMulOp : ONNX_Op<"QLinearMatMul">, ONNX_Since<10> {
  let summary = "ONNX QLinearMatMul: quantized matrix product, requantized to y_scale / y_zero_point";
  let arguments = (ins AnyTensor:$a, AnyTensor:$a_scale, AnyTensor:$a_zero_point,
                   AnyTensor:$b, AnyTensor:$b_scale, AnyTensor:$b_zero_point,
                   AnyTensor:$y_scale, AnyTensor:$y_zero_point,
                   OptionalAttr<ONNX_I64ArrayAttr>:$input_dtypes);
  let results = (outs AnyTensor:$y);
}

def ONNX_QLinearConvOp : ONNX_Op<"QLinearConv">, ONNX_Since<10> {
  let summary = "ONNX QLinearConv: quantized convolution (int32 bias), requantized to y_scale / y_zero_point";
  let arguments = (ins AnyTensor:$x, AnyTensor:$x_scale, AnyTensor:$x_zero_point,
                   AnyTensor:$w, AnyTensor:$w_scale, AnyTensor:$w_zero_point,
                   AnyTensor:$y_scale, AnyTensor:$y_zero_point, ONNX_TensorOrNone:$B,
                   DefaultValuedAttr<StrAttr, "\"NOTSET\"">:$auto_pad,
                   OptionalAttr<ONNX_I64ArrayAttr>:$dilations,
                   DefaultValuedAttr<ONNX_SI64Attr, "1">:$group,
                   OptionalAttr<ONNX_I64ArrayAttr>:$kernel_shape,
                   OptionalAttr<ONNX_I64ArrayAttr>:$pads,
                   OptionalAttr<ONNX_I64ArrayAttr>:$strides,
                   OptionalAttr<ONNX_I64ArrayAttr>:$input_dtypes);
  let results = (outs AnyTensor:$y);
}

#endif // KILN_ONNX_OPS_QUANTIZATION
