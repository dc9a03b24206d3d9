//===- Elementwise.cpp - onnx shape inference: elementwise ----------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Unary, binary and variadic elementwise operators (numpy broadcasting),
// activations, comparisons, logic and bitwise operators, Cast, Clip, Dropout
// and Where (dialects/onnx/ops/Elementwise.td).
//
//===----------------------------------------------------------------------===//

#include "ShapeInference.h"

using namespace mlir;
using namespace kiln::onnx;
using namespace kiln::onnx::inference;

#define UNARY_SAME(OP) INFER(OP) { CTX; return inferSame(c, getOperation()->getOperand(0)); }
UNARY_SAME(ReluOp)
UNARY_SAME(SigmoidOp)
UNARY_SAME(TanhOp)
UNARY_SAME(ErfOp)
UNARY_SAME(ExpOp)
UNARY_SAME(LogOp)
UNARY_SAME(SqrtOp)
UNARY_SAME(NegOp)
UNARY_SAME(AbsOp)
UNARY_SAME(ReciprocalOp)
UNARY_SAME(FloorOp)
UNARY_SAME(CeilOp)
UNARY_SAME(HardSwishOp)
UNARY_SAME(IdentityOp)
UNARY_SAME(LeakyReluOp)
UNARY_SAME(HardSigmoidOp)

INFER(NotOp) {
  CTX;
  if (!getElementTypeOrSelf(getX().getType()).isInteger(1))
    return c.error() << "input must be a bool tensor";
  return inferSame(c, getX());
}

INFER(GeluOp) {
  CTX;
  if (getApproximate() != "none" && getApproximate() != "tanh")
    return c.error() << "approximate must be 'none' or 'tanh', got '"
                     << getApproximate() << "'";
  return inferSame(c, getX());
}

INFER(ClipOp) {
  CTX;
  for (Value b : {getMin(), getMax()}) {
    if (isa<NoneType>(b.getType()))
      continue;
    auto t = c.ranked(b, "min/max");
    if (!t)
      return failure();
    if (t.getNumElements() != 1 && !(t.getRank() == 0))
      return c.error() << "min and max must be scalars";
  }
  return inferSame(c, getInput());
}

INFER(CastOp) {
  CTX;
  auto t = c.ranked(getInput(), "input");
  if (!t)
    return failure();
  Type e = getElementTypeForONNXType(getContext(), getTo());
  if (!e)
    return c.error() << "unsupported target type 'to' = " << getTo();
  return c.add(t.getShape(), e);
}

INFER(DropoutOp) {
  CTX;
  auto t = c.ranked(getData(), "data");
  if (!t)
    return failure();
  SmallVector<int64_t> mode;
  if (!isa<NoneType>(getTrainingMode().getType())) {
    if (!getConstantIntValues(getTrainingMode(), mode) || mode.size() != 1)
      return c.error() << "training_mode must be a constant (Kiln compiles inference only)";
    // training_mode = true drops nothing when the ratio is a constant 0
    // (torch exports F.dropout(x, p=0.0) so, e.g. in Swin's attention): the
    // output is the input and the mask all true, as in inference.
    SmallVector<double> ratio;
    if (mode[0] != 0 &&
        (isa<NoneType>(getRatio().getType()) || !getConstantFloatValues(getRatio(), ratio) ||
         ratio.size() != 1 || ratio[0] != 0.0))
      return c.error() << "training_mode = true with a ratio other than a constant 0 is random "
                          "(Kiln compiles inference only)";
  }
  types.push_back(t);
  if (getNumResults() > 1)
    types.push_back(RankedTensorType::get(t.getShape(), IntegerType::get(getContext(), 1)));
  return success();
}

#define BINARY(OP, BOOLRES)                                                    \
  INFER(OP) {                                                                  \
    CTX;                                                                       \
    if (failed(checkSameElem(c, getOperands())))                               \
      return failure();                                                        \
    Type e = BOOLRES ? IntegerType::get(getContext(), 1)                      \
                     : getElementTypeOrSelf(getA().getType());                 \
    return inferBroadcast(c, getOperands(), e);                                \
  }
BINARY(AddOp, false)
BINARY(SubOp, false)
BINARY(MulOp, false)
BINARY(DivOp, false)
BINARY(EqualOp, true)
BINARY(LessOp, true)
BINARY(GreaterOp, true)
BINARY(AndOp, true)
BINARY(OrOp, true)

INFER(PowOp) {
  CTX;
  return inferBroadcast(c, getOperands(), getElementTypeOrSelf(getX().getType()));
}

#define VARIADIC(OP)                                                           \
  INFER(OP) {                                                                  \
    CTX;                                                                       \
    if (getNumOperands() == 0)                                                 \
      return c.error() << "needs at least one input";                          \
    if (failed(checkSameElem(c, getOperands())))                               \
      return failure();                                                        \
    return inferBroadcast(c, getOperands(),                                    \
                          getElementTypeOrSelf(getOperand(0).getType()));      \
  }
VARIADIC(MaxOp)
VARIADIC(MinOp)
VARIADIC(SumOp)

INFER(WhereOp) {
  CTX;
  if (!getElementTypeOrSelf(getCondition().getType()).isInteger(1))
    return c.error() << "condition must be a bool tensor";
  if (failed(checkSameElem(c, ValueRange{getX(), getY()})))
    return failure();
  return inferBroadcast(c, getOperands(), getElementTypeOrSelf(getX().getType()));
}

static LogicalResult inferSameFloat(Ctx &c, Value v) {
  if (!isa<FloatType>(getElementTypeOrSelf(v.getType())))
    return c.error() << "input must be a floating-point tensor";
  return inferSame(c, v);
}
#define UNARY_FLOAT(OP) INFER(OP) { CTX; return inferSameFloat(c, getOperation()->getOperand(0)); }
UNARY_FLOAT(CosOp)
UNARY_FLOAT(SinOp)
UNARY_FLOAT(TanOp)
UNARY_FLOAT(AcosOp)
UNARY_FLOAT(AsinOp)
UNARY_FLOAT(AtanOp)
UNARY_FLOAT(CoshOp)
UNARY_FLOAT(SinhOp)
UNARY_FLOAT(AcoshOp)
UNARY_FLOAT(AsinhOp)
UNARY_FLOAT(AtanhOp)
UNARY_FLOAT(RoundOp)
UNARY_FLOAT(SoftplusOp)
UNARY_FLOAT(SoftsignOp)
UNARY_FLOAT(MishOp)
UNARY_FLOAT(EluOp)
UNARY_FLOAT(SeluOp)
UNARY_FLOAT(CeluOp)
UNARY_FLOAT(ThresholdedReluOp)
UNARY_FLOAT(ShrinkOp)
UNARY_SAME(SignOp)

INFER(BitwiseNotOp) {
  CTX;
  Type e = getElementTypeOrSelf(getX().getType());
  if (!isa<IntegerType>(e) || e.isInteger(1))
    return c.error() << "input must be an integer tensor";
  return inferSame(c, getX());
}

#define FLOAT_TO_BOOL(OP)                                                      \
  INFER(OP) {                                                                  \
    CTX;                                                                       \
    auto t = c.ranked(getX(), "X");                                            \
    if (!t)                                                                    \
      return failure();                                                        \
    if (!isa<FloatType>(t.getElementType()))                                   \
      return c.error() << "input must be a floating-point tensor";             \
    return c.add(t.getShape(), IntegerType::get(getContext(), 1));             \
  }
FLOAT_TO_BOOL(IsNaNOp)
FLOAT_TO_BOOL(IsInfOp)

BINARY(XorOp, true)
BINARY(GreaterOrEqualOp, true)
BINARY(LessOrEqualOp, true)
BINARY(BitwiseAndOp, false)
BINARY(BitwiseOrOp, false)
BINARY(BitwiseXorOp, false)
BINARY(ModOp, false)
VARIADIC(MeanOp)

INFER(BitShiftOp) {
  CTX;
  if (getDirection() != "LEFT" && getDirection() != "RIGHT")
    return c.error() << "direction must be 'LEFT' or 'RIGHT', got '" << getDirection() << "'";
  if (failed(checkSameElem(c, getOperands())))
    return failure();
  Type e = getElementTypeOrSelf(getX().getType());
  if (!isa<IntegerType>(e) || e.isInteger(1))
    return c.error() << "inputs must be integer tensors";
  return inferBroadcast(c, getOperands(), e);
}

INFER(PReluOp) {
  CTX;
  if (failed(checkSameElem(c, getOperands())))
    return failure();
  return inferBroadcast(c, getOperands(), getElementTypeOrSelf(getX().getType()));
}

INFER(CastLikeOp) {
  CTX;
  auto t = c.ranked(getInput(), "input");
  if (!t)
    return failure();
  return c.add(t.getShape(), getElementTypeOrSelf(getTargetType().getType()));
}
