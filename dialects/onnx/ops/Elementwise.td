//===- Elementwise.td - onnx ops: elementwise operators ----*- tablegen -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Unary and binary elementwise operators (numpy broadcasting), activations,
// comparisons, logic and bitwise operators, Cast, Clip, Dropout, Where.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_ONNX_OPS_ELEMENTWISE
#define KILN_ONNX_OPS_ELEMENTWISE

include "onnx/ONNXBase.td"

def ONNX_ReluOp : ONNX_UnaryOp<"Relu", "ONNX Relu: max(x, 0)">, ONNX_Since<1>;
def ONNX_SigmoidOp : ONNX_UnaryOp<"Sigmoid", "ONNX Sigmoid: 1 / (1 + exp(-x))">, ONNX_Since<1>;
def ONNX_TanhOp : ONNX_UnaryOp<"Tanh", "ONNX Tanh">, ONNX_Since<1>;
def ONNX_ErfOp : ONNX_UnaryOp<"Erf", "ONNX Erf: the Gauss error function">, ONNX_Since<9>;
def ONNX_ExpOp : ONNX_UnaryOp<"Exp", "ONNX Exp">, ONNX_Since<1>;
def ONNX_LogOp : ONNX_UnaryOp<"Log", "ONNX Log">, ONNX_Since<1>;
def ONNX_SqrtOp : ONNX_UnaryOp<"Sqrt", "ONNX Sqrt">, ONNX_Since<1>;
def ONNX_NegOp : ONNX_UnaryOp<"Neg", "ONNX Neg">, ONNX_Since<1>;
def ONNX_AbsOp : ONNX_UnaryOp<"Abs", "ONNX Abs">, ONNX_Since<1>;
def ONNX_ReciprocalOp : ONNX_UnaryOp<"Reciprocal", "ONNX Reciprocal">, ONNX_Since<1>;
def ONNX_FloorOp : ONNX_UnaryOp<"Floor", "ONNX Floor">, ONNX_Since<1>;
def ONNX_CeilOp : ONNX_UnaryOp<"Ceil", "ONNX Ceil">, ONNX_Since<1>;
def ONNX_NotOp : ONNX_UnaryOp<"Not", "ONNX Not (boolean)">, ONNX_Since<1>;
def ONNX_HardSwishOp : ONNX_UnaryOp<"HardSwish", "ONNX HardSwish: x * max(0, min(1, x/6 + 1/2))">,
    ONNX_Since<14>;
def ONNX_IdentityOp : ONNX_UnaryOp<"Identity", "ONNX Identity">, ONNX_Since<1>;

def ONNX_LeakyReluOp : ONNX_Op<"LeakyRelu">, ONNX_Since<1> {
  let summary = "ONNX LeakyRelu: x < 0 ? alpha * x : x";
  let arguments = (ins AnyTensor:$X, DefaultValuedAttr<F32Attr, "0.01">:$alpha);
  let results = (outs AnyTensor:$Y);
}

def ONNX_HardSigmoidOp : ONNX_Op<"HardSigmoid">, ONNX_Since<1> {
  let summary = "ONNX HardSigmoid: max(0, min(1, alpha * x + beta))";
  let arguments = (ins AnyTensor:$X, DefaultValuedAttr<F32Attr, "0.2">:$alpha,
                   DefaultValuedAttr<F32Attr, "0.5">:$beta);
  let results = (outs AnyTensor:$Y);
}

def ONNX_GeluOp : ONNX_Op<"Gelu">, ONNX_Since<20> {
  let summary = "ONNX Gelu (opset 20): exact (erf) or tanh approximation";
  let arguments = (ins AnyTensor:$X, DefaultValuedAttr<StrAttr, "\"none\"">:$approximate);
  let results = (outs AnyTensor:$Y);
}

def ONNX_ClipOp : ONNX_Op<"Clip">, ONNX_Since<1> {
  let summary = "ONNX Clip (opset 11+ form: min and max are optional inputs)";
  let arguments = (ins AnyTensor:$input, ONNX_TensorOrNone:$min, ONNX_TensorOrNone:$max);
  let results = (outs AnyTensor:$output);
}

def ONNX_CastOp : ONNX_Op<"Cast">, ONNX_Since<1> {
  let summary = "ONNX Cast to the element type `to` (ONNX TensorProto.DataType)";
  let arguments = (ins AnyTensor:$input, ONNX_SI64Attr:$to, DefaultValuedAttr<ONNX_SI64Attr, "1">:$saturate);
  let results = (outs AnyTensor:$output);
}

def ONNX_DropoutOp : ONNX_Op<"Dropout">, ONNX_Since<1> {
  let summary = "ONNX Dropout; inference only: the identity (mask all true)";
  let arguments = (ins AnyTensor:$data, ONNX_TensorOrNone:$ratio,
                   ONNX_TensorOrNone:$training_mode, OptionalAttr<ONNX_SI64Attr>:$seed);
  let results = (outs AnyTensor:$output, Optional<AnyTensor>:$mask);
}

class ONNX_BinaryOp<string mnemonic, string summ> : ONNX_Op<mnemonic> {
  let summary = summ;
  let description = "Multidirectional (numpy) broadcasting.";
  let arguments = (ins AnyTensor:$A, AnyTensor:$B);
  let results = (outs AnyTensor:$C);
}

def ONNX_AddOp : ONNX_BinaryOp<"Add", "ONNX Add">, ONNX_Since<1>, ONNX_LegacyBroadcast;
def ONNX_SubOp : ONNX_BinaryOp<"Sub", "ONNX Sub">, ONNX_Since<1>, ONNX_LegacyBroadcast;
def ONNX_MulOp : ONNX_BinaryOp<"Mul", "ONNX Mul">, ONNX_Since<1>, ONNX_LegacyBroadcast;
def ONNX_DivOp : ONNX_BinaryOp<"Div", "ONNX Div">, ONNX_Since<1>, ONNX_LegacyBroadcast;
def ONNX_EqualOp : ONNX_BinaryOp<"Equal", "ONNX Equal (bool result)">,
    ONNX_Since<1>, ONNX_LegacyBroadcast;
def ONNX_LessOp : ONNX_BinaryOp<"Less", "ONNX Less (bool result)">,
    ONNX_Since<1>, ONNX_LegacyBroadcast;
def ONNX_GreaterOp : ONNX_BinaryOp<"Greater", "ONNX Greater (bool result)">,
    ONNX_Since<1>, ONNX_LegacyBroadcast;
def ONNX_AndOp : ONNX_BinaryOp<"And", "ONNX And">, ONNX_Since<1>, ONNX_LegacyBroadcast;
def ONNX_OrOp : ONNX_BinaryOp<"Or", "ONNX Or">, ONNX_Since<1>, ONNX_LegacyBroadcast;

def ONNX_PowOp : ONNX_Op<"Pow">, ONNX_Since<1>, ONNX_LegacyBroadcast {
  let summary = "ONNX Pow (broadcasting; exponent may have another type)";
  let arguments = (ins AnyTensor:$X, AnyTensor:$Y);
  let results = (outs AnyTensor:$Z);
}

class ONNX_VariadicOp<string mnemonic, string summ> : ONNX_Op<mnemonic> {
  let summary = summ;
  let arguments = (ins Variadic<AnyTensor>:$data_0);
  let results = (outs AnyTensor:$result);
}

def ONNX_MaxOp : ONNX_VariadicOp<"Max", "ONNX Max (variadic, broadcasting)">, ONNX_Since<1>;
def ONNX_MinOp : ONNX_VariadicOp<"Min", "ONNX Min (variadic, broadcasting)">, ONNX_Since<1>;
def ONNX_SumOp : ONNX_VariadicOp<"Sum", "ONNX Sum (variadic, broadcasting)">, ONNX_Since<1>;

def ONNX_WhereOp : ONNX_Op<"Where">, ONNX_Since<9> {
  let summary = "ONNX Where: condition ? X : Y (broadcasting)";
  let arguments = (ins AnyTensor:$condition, AnyTensor:$X, AnyTensor:$Y);
  let results = (outs AnyTensor:$output);
}

def ONNX_CosOp : ONNX_UnaryOp<"Cos", "ONNX Cos">, ONNX_Since<7>;
def ONNX_SinOp : ONNX_UnaryOp<"Sin", "ONNX Sin">, ONNX_Since<7>;
def ONNX_TanOp : ONNX_UnaryOp<"Tan", "ONNX Tan">, ONNX_Since<7>;
def ONNX_AcosOp : ONNX_UnaryOp<"Acos", "ONNX Acos">, ONNX_Since<7>;
def ONNX_AsinOp : ONNX_UnaryOp<"Asin", "ONNX Asin">, ONNX_Since<7>;
def ONNX_AtanOp : ONNX_UnaryOp<"Atan", "ONNX Atan">, ONNX_Since<7>;
def ONNX_CoshOp : ONNX_UnaryOp<"Cosh", "ONNX Cosh">, ONNX_Since<9>;
def ONNX_SinhOp : ONNX_UnaryOp<"Sinh", "ONNX Sinh">, ONNX_Since<9>;
def ONNX_AcoshOp : ONNX_UnaryOp<"Acosh", "ONNX Acosh">, ONNX_Since<9>;
def ONNX_AsinhOp : ONNX_UnaryOp<"Asinh", "ONNX Asinh">, ONNX_Since<9>;
def ONNX_AtanhOp : ONNX_UnaryOp<"Atanh", "ONNX Atanh">, ONNX_Since<9>;
def ONNX_SignOp : ONNX_UnaryOp<"Sign", "ONNX Sign: -1, 0 or 1">, ONNX_Since<9>;
def ONNX_RoundOp : ONNX_UnaryOp<"Round", "ONNX Round: to the nearest integer, halves to even">,
    ONNX_Since<11>;
def ONNX_SoftplusOp : ONNX_UnaryOp<"Softplus", "ONNX Softplus: log(1 + exp(x))">, ONNX_Since<1>;
def ONNX_SoftsignOp : ONNX_UnaryOp<"Softsign", "ONNX Softsign: x / (1 + |x|)">, ONNX_Since<1>;
def ONNX_MishOp : ONNX_UnaryOp<"Mish", "ONNX Mish: x * tanh(softplus(x))">, ONNX_Since<18>;
def ONNX_IsNaNOp : ONNX_UnaryOp<"IsNaN", "ONNX IsNaN (bool result)">, ONNX_Since<9>;
def ONNX_BitwiseNotOp : ONNX_UnaryOp<"BitwiseNot", "ONNX BitwiseNot">, ONNX_Since<18>;

def ONNX_IsInfOp : ONNX_Op<"IsInf">, ONNX_Since<10> {
  let summary = "ONNX IsInf (bool result)";
  let arguments = (ins AnyTensor:$X, DefaultValuedAttr<ONNX_SI64Attr, "1">:$detect_negative,
                   DefaultValuedAttr<ONNX_SI64Attr, "1">:$detect_positive);
  let results = (outs AnyTensor:$Y);
}

def ONNX_EluOp : ONNX_Op<"Elu">, ONNX_Since<1> {
  let summary = "ONNX Elu: x < 0 ? alpha * (exp(x) - 1) : x";
  let arguments = (ins AnyTensor:$X, DefaultValuedAttr<F32Attr, "1.0">:$alpha);
  let results = (outs AnyTensor:$Y);
}

def ONNX_SeluOp : ONNX_Op<"Selu">, ONNX_Since<1> {
  let summary = "ONNX Selu: gamma * (x <= 0 ? alpha * (exp(x) - 1) : x)";
  let arguments = (ins AnyTensor:$X,
                   DefaultValuedAttr<F32Attr, "1.67326319217681884765625">:$alpha,
                   DefaultValuedAttr<F32Attr, "1.05070102214813232421875">:$gamma);
  let results = (outs AnyTensor:$Y);
}

def ONNX_CeluOp : ONNX_Op<"Celu">, ONNX_Since<12> {
  let summary = "ONNX Celu: max(0, x) + min(0, alpha * (exp(x / alpha) - 1))";
  let arguments = (ins AnyTensor:$X, DefaultValuedAttr<F32Attr, "1.0">:$alpha);
  let results = (outs AnyTensor:$Y);
}

def ONNX_ThresholdedReluOp : ONNX_Op<"ThresholdedRelu">, ONNX_Since<10> {
  let summary = "ONNX ThresholdedRelu: x > alpha ? x : 0";
  let arguments = (ins AnyTensor:$X, DefaultValuedAttr<F32Attr, "1.0">:$alpha);
  let results = (outs AnyTensor:$Y);
}

def ONNX_ShrinkOp : ONNX_Op<"Shrink">, ONNX_Since<9> {
  let summary = "ONNX Shrink: x < -lambd ? x + bias : (x > lambd ? x - bias : 0)";
  let arguments = (ins AnyTensor:$input, DefaultValuedAttr<F32Attr, "0.0">:$bias,
                   DefaultValuedAttr<F32Attr, "0.5">:$lambd);
  let results = (outs AnyTensor:$output);
}

def ONNX_XorOp : ONNX_BinaryOp<"Xor", "ONNX Xor (bool)">, ONNX_Since<1>, ONNX_LegacyBroadcast;
def ONNX_GreaterOrEqualOp : ONNX_BinaryOp<"GreaterOrEqual", "ONNX GreaterOrEqual (bool result)">,
    ONNX_Since<12>;
def ONNX_LessOrEqualOp : ONNX_BinaryOp<"LessOrEqual", "ONNX LessOrEqual (bool result)">,
    ONNX_Since<12>;
def ONNX_BitwiseAndOp : ONNX_BinaryOp<"BitwiseAnd", "ONNX BitwiseAnd">, ONNX_Since<18>;
def ONNX_BitwiseOrOp : ONNX_BinaryOp<"BitwiseOr", "ONNX BitwiseOr">, ONNX_Since<18>;
def ONNX_BitwiseXorOp : ONNX_BinaryOp<"BitwiseXor", "ONNX BitwiseXor">, ONNX_Since<18>;

def ONNX_ModOp : ONNX_Op<"Mod">, ONNX_Since<10> {
  let summary = "ONNX Mod: floored (fmod = 0, integers) or truncated (fmod = 1) remainder";
  let arguments = (ins AnyTensor:$A, AnyTensor:$B, DefaultValuedAttr<ONNX_SI64Attr, "0">:$fmod);
  let results = (outs AnyTensor:$C);
}

def ONNX_BitShiftOp : ONNX_Op<"BitShift">, ONNX_Since<11> {
  let summary = "ONNX BitShift (unsigned integers; direction LEFT or RIGHT)";
  let arguments = (ins AnyTensor:$X, AnyTensor:$Y, StrAttr:$direction);
  let results = (outs AnyTensor:$Z);
}

def ONNX_PReluOp : ONNX_Op<"PRelu">, ONNX_Since<1> {
  let summary = "ONNX PRelu: x < 0 ? slope * x : x (slope broadcasts to x)";
  let arguments = (ins AnyTensor:$X, AnyTensor:$slope);
  let results = (outs AnyTensor:$Y);
}

def ONNX_MeanOp : ONNX_VariadicOp<"Mean", "ONNX Mean (variadic, broadcasting)">, ONNX_Since<1>;

def ONNX_CastLikeOp : ONNX_Op<"CastLike">, ONNX_Since<15> {
  let summary = "ONNX CastLike: Cast to the element type of `target_type`";
  let arguments = (ins AnyTensor:$input, AnyTensor:$target_type,
                   DefaultValuedAttr<ONNX_SI64Attr, "1">:$saturate);
  let results = (outs AnyTensor:$output);
}

#endif // KILN_ONNX_OPS_ELEMENTWISE
