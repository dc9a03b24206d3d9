//===- Quantization.cpp - onnx shape inference: quantization --------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, MatMulInteger,
// ConvInteger, QLinearMatMul and QLinearConv (dialects/onnx/ops/Quantization.td).
//
//===----------------------------------------------------------------------===//

#include "ShapeInference.h"
#include "kiln/Support/ONNXDType.h"

using namespace mlir;
using namespace kiln::onnx;
using namespace kiln::onnx::inference;

/// Integer element type of a quantized value (8 bits; 32 for dequantize).
static LogicalResult checkQuantElem(Ctx &c, Value v, StringRef what, bool allowI32 = false) {
  Type e = getElementTypeOrSelf(v.getType());
  if (e.isInteger(8) || (allowI32 && e.isInteger(32)))
    return success();
  return c.error() << what << " has element type " << e << "; only uint8 / int8"
                   << (allowI32 ? " / int32" : "") << " are supported (float8 and 4-bit types are not)";
}

static LogicalResult checkQuantScale(Ctx &c, Value scale, Value zp, RankedTensorType x,
                                     int64_t axis, int64_t blockSize) {
  if (blockSize != 0)
    return c.error() << "blocked quantization (block_size = " << blockSize << ") is not supported";
  auto s = c.ranked(scale, "scale");
  if (!s)
    return failure();
  if (!isa<FloatType>(s.getElementType()))
    return c.error() << "the scale must be a float tensor";
  if (s.getRank() > 1)
    return c.error() << "the scale must be a scalar or 1-D (per-axis); got " << s;
  if (s.getRank() == 1 && s.getNumElements() != 1) {
    int64_t a = axis < 0 ? axis + x.getRank() : axis;
    if (a < 0 || a >= x.getRank())
      return c.error() << "axis " << axis << " is out of range for rank " << x.getRank();
    if (s.getDimSize(0) != kDyn && x.getDimSize(a) != kDyn && s.getDimSize(0) != x.getDimSize(a))
      return c.error() << "the scale has " << s.getDimSize(0) << " entries but axis " << a
                       << " has size " << x.getDimSize(a);
  }
  if (!isa<NoneType>(zp.getType())) {
    auto z = c.ranked(zp, "zero_point");
    if (!z)
      return failure();
    if (z.getShape() != s.getShape() && z.getNumElements() != s.getNumElements())
      return c.error() << "the zero point " << z << " must have the shape of the scale " << s;
  }
  return success();
}

INFER(QuantizeLinearOp) {
  CTX;
  auto x = c.ranked(getX(), "x");
  if (!x)
    return failure();
  if (failed(checkQuantScale(c, getYScale(), getYZeroPoint(), x, getAxis(), getBlockSize())))
    return failure();
  if (!isNone(getYZeroPoint()) && failed(checkQuantElem(c, getYZeroPoint(), "y_zero_point")))
    return failure();
  if (getOutputDtype() != 2 && getOutputDtype() != 3)
    return c.error() << "output type " << kiln::onnxDTypeName(getOutputDtype()) << " (" << getOutputDtype()
                     << ") is not supported; only uint8 and int8 are";
  return c.add(x.getShape(), IntegerType::get(getContext(), 8));
}

INFER(DequantizeLinearOp) {
  CTX;
  auto x = c.ranked(getX(), "x");
  if (!x || failed(checkQuantElem(c, getX(), "x", true)))
    return failure();
  if (failed(checkQuantScale(c, getXScale(), getXZeroPoint(), x, getAxis(), getBlockSize())))
    return failure();
  if (!isNone(getXZeroPoint()) && getElementTypeOrSelf(getXZeroPoint().getType()) != x.getElementType())
    return c.error() << "x_zero_point must have the element type of x";
  return c.add(x.getShape(), getElementTypeOrSelf(getXScale().getType()));
}

INFER(DynamicQuantizeLinearOp) {
  CTX;
  auto x = c.ranked(getX(), "x");
  if (!x)
    return failure();
  if (!x.getElementType().isF32())
    return c.error() << "x must be float32";
  (void)c.add(x.getShape(), IntegerType::get(getContext(), 8));
  (void)c.add({}, x.getElementType());
  return c.add({}, IntegerType::get(getContext(), 8));
}

INFER(MatMulIntegerOp) {
  CTX;
  auto a = c.ranked(getA(), "A"), b = c.ranked(getB(), "B");
  if (!a || !b || failed(checkQuantElem(c, getA(), "A")) || failed(checkQuantElem(c, getB(), "B")))
    return failure();
  auto out = matmulShape(c, a, b);
  if (failed(out))
    return failure();
  return c.add(*out, IntegerType::get(getContext(), 32));
}

INFER(ConvIntegerOp) {
  CTX;
  auto x = c.ranked(getX(), "x"), w = c.ranked(getW(), "w");
  if (!x || !w || failed(checkQuantElem(c, getX(), "x")) || failed(checkQuantElem(c, getW(), "w")))
    return failure();
  auto out = convShape(c, x, w, getGroup(), getKernelShape(), getStrides(), getDilations(),
                            getPads(), getAutoPad());
  if (failed(out))
    return failure();
  return c.add(*out, IntegerType::get(getContext(), 32));
}

INFER(QLinearMatMulOp) {
  CTX;
  auto a = c.ranked(getA(), "a"), b = c.ranked(getB(), "b");
  if (!a || !b || failed(checkQuantElem(c, getA(), "a")) || failed(checkQuantElem(c, getB(), "b")) ||
      failed(checkQuantElem(c, getYZeroPoint(), "y_zero_point")))
    return failure();
  auto out = matmulShape(c, a, b);
  if (failed(out))
    return failure();
  return c.add(*out, IntegerType::get(getContext(), 8));
}

INFER(QLinearConvOp) {
  CTX;
  auto x = c.ranked(getX(), "x"), w = c.ranked(getW(), "w");
  if (!x || !w || failed(checkQuantElem(c, getX(), "x")) || failed(checkQuantElem(c, getW(), "w")) ||
      failed(checkQuantElem(c, getYZeroPoint(), "y_zero_point")))
    return failure();
  auto out = convShape(c, x, w, getGroup(), getKernelShape(), getStrides(), getDilations(),
                            getPads(), getAutoPad());
  if (failed(out))
    return failure();
  return c.add(*out, IntegerType::get(getContext(), 8));
}
