//===- Quantization.cpp - onnx -> nn: quantization ------------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// QuantizeLinear / DequantizeLinear / DynamicQuantizeLinear, and the integer
// ops MatMulInteger, ConvInteger, QLinearMatMul, QLinearConv (int32
// accumulation after zero-point subtraction, then requantization).
//
//===----------------------------------------------------------------------===//

#include "Common.h"

using namespace mlir;

namespace kiln::onnx_to_nn {
namespace {

bool quantUnsigned(std::optional<ArrayAttr> dts, unsigned i) {
  // Unknown signedness (0) defaults to uint8, ONNX's default quantized type.
  if (!dts || i >= dts->size())
    return true;
  int64_t t = cast<IntegerAttr>((*dts)[i]).getInt();
  return t == 0 || isUnsignedONNXCode(t);
}

struct QuantizationLowering : Lowering {
  using Lowering::Lowering;

  Value quantParam(Value p, RankedTensorType x, int64_t axis);
  Value toI32(Value v, bool isUnsigned);
  LoweringResult quantIntegerMatmul(Value A, Value B, Value azp, Value bzp, bool ua, bool ub,
                                    RankedTensorType res);
  FailureOr<Value> quantIntegerConv(Operation *o, Value x, Value w, Value xzp, Value wzp, bool ux,
                                    bool uw, RankedTensorType res);

  Value f32like(Value v, Type et) { return castElem(b, loc, v, et); }
  UnitAttr unitIf(bool c) { return c ? b.getUnitAttr() : UnitAttr(); }
  static int64_t normAxis(int64_t a, int64_t r) { return a < 0 ? a + r : a; }

  // Requantizes an int32 accumulator: quantize(float(acc) * s1 * s2, ys, yzp).
  Value requant(Value acc, Value s1, Value s2, Value ys, Value yzp, bool uy) {
    auto at = rtt(acc);
    auto ft = at.clone(b.getF32Type());
    Value f = nn::CastOp::create(b, loc, ft, acc, false, false);
    auto mulT = [&](Value p, Value q) {
      auto pt = rtt(p), qt = rtt(q);
      SmallVector<int64_t> shape;
      for (int64_t i = 0; i < pt.getRank(); ++i)
        shape.push_back(pt.getDimSize(i) == 1 ? qt.getDimSize(i) : pt.getDimSize(i));
      return binary(b, loc, nn::BinaryKind::mul, p, q, RankedTensorType::get(shape, b.getF32Type()));
    };
    Value m = mulT(f32like(s1, b.getF32Type()), f32like(s2, b.getF32Type()));
    f = binary(b, loc, nn::BinaryKind::mul, f, m, ft);
    return nn::QuantizeOp::create(b, loc, at.clone(b.getI8Type()), f,
                                  quantParam(f32like(ys, b.getF32Type()), at, 0),
                                  quantParam(yzp, at, 0), unitIf(uy));
  }

  LoweringResult lowerQuantizeLinear(ox::QuantizeLinearOp q) {
    auto x = rtt(q.getX());
    int64_t axis = normAxis(q.getAxis(), x.getRank());
    // `saturate` only matters for float8 outputs, which are rejected.
    Value s = quantParam(f32like(q.getYScale(), x.getElementType()), x, axis);
    Value zp = isNone(q.getYZeroPoint()) ? Value() : quantParam(q.getYZeroPoint(), x, axis);
    return one(nn::QuantizeOp::create(b, loc, resType(), q.getX(), s, zp,
                                      unitIf(q.getOutputDtype() == 2)));
  }
  LoweringResult lowerDequantizeLinear(ox::DequantizeLinearOp d) {
    auto x = rtt(d.getX());
    int64_t axis = normAxis(d.getAxis(), x.getRank());
    bool u = !x.getElementType().isInteger(32) && quantUnsigned(d.getInputDtypes(), 0);
    Value s = quantParam(d.getXScale(), x, axis);
    Value zp = isNone(d.getXZeroPoint()) ? Value() : quantParam(d.getXZeroPoint(), x, axis);
    return one(nn::DequantizeOp::create(b, loc, resType(), d.getX(), s, zp, unitIf(u)));
  }
  LoweringResult lowerDynamicQuantizeLinear(ox::DynamicQuantizeLinearOp dq) {
    auto x = rtt(dq.getX());
    auto f0 = RankedTensorType::get({}, x.getElementType());
    auto i0 = RankedTensorType::get({}, b.getI8Type());
    SmallVector<int64_t> axes;
    for (int64_t i = 0; i < x.getRank(); ++i) axes.push_back(i);
    auto red = [&](nn::ReduceKind k) {
      return nn::ReduceOp::create(b, loc, f0, dq.getX(), nn::ReduceKindAttr::get(b.getContext(), k),
                                  b.getDenseI64ArrayAttr(axes), b.getBoolAttr(false)).getResult();
    };
    Value mx = nn::ClampOp::create(b, loc, f0, red(nn::ReduceKind::max), b.getF64FloatAttr(0), FloatAttr());
    Value mn = nn::ClampOp::create(b, loc, f0, red(nn::ReduceKind::min), FloatAttr(), b.getF64FloatAttr(0));
    Value range = nn::BinaryOp::create(b, loc, f0, mx, mn, nn::BinaryKind::sub);
    Value scale = nn::BinaryOp::create(b, loc, f0, range, constTensor(b, loc, f0, {255.0}),
                                       nn::BinaryKind::div);
    Value negMin = unary(b, loc, nn::UnaryKind::neg, mn);
    Value zp = nn::QuantizeOp::create(b, loc, i0, negMin, scale, Value(), b.getUnitAttr());
    Value y = nn::QuantizeOp::create(b, loc, resType(0), dq.getX(), toRank(b, loc, scale, x.getRank()),
                                     toRank(b, loc, zp, x.getRank()), b.getUnitAttr());
    return SmallVector<Value>{y, scale, zp};
  }
  LoweringResult lowerMatMulInteger(ox::MatMulIntegerOp m) {
    auto dts = m.getInputDtypes();
    return quantIntegerMatmul(m.getA(), m.getB(), m.getAZeroPoint(), m.getBZeroPoint(),
                              quantUnsigned(dts, 0), quantUnsigned(dts, 1), resType());
  }
  LoweringResult lowerConvInteger(ox::ConvIntegerOp c) {
    auto dts = c.getInputDtypes();
    auto r = quantIntegerConv(op, c.getX(), c.getW(), c.getXZeroPoint(), c.getWZeroPoint(),
                              quantUnsigned(dts, 0), quantUnsigned(dts, 1), resType());
    if (failed(r))
      return failure();
    return one(*r);
  }
  LoweringResult lowerQLinearMatMul(ox::QLinearMatMulOp m) {
    auto dts = m.getInputDtypes();
    auto acc = quantIntegerMatmul(m.getA(), m.getB(), m.getAZeroPoint(), m.getBZeroPoint(),
                                  quantUnsigned(dts, 0), quantUnsigned(dts, 3), resType());
    if (failed(acc))
      return failure();
    auto at = rtt((*acc)[0]);
    int64_t r = at.getRank();
    Value as = quantParam(m.getAScale(), at, r - 2), bs = quantParam(m.getBScale(), at, r - 1);
    if (rtt(m.getYScale()).getNumElements() != 1 || rtt(m.getYZeroPoint()).getNumElements() != 1)
      return (LogicalResult)(fail() << "y_scale and y_zero_point must be scalars");
    return one(requant((*acc)[0], as, bs, m.getYScale(), m.getYZeroPoint(), quantUnsigned(dts, 7)));
  }
  LoweringResult lowerQLinearConv(ox::QLinearConvOp c) {
    auto dts = c.getInputDtypes();
    auto acc = quantIntegerConv(op, c.getX(), c.getW(), c.getXZeroPoint(), c.getWZeroPoint(),
                                quantUnsigned(dts, 0), quantUnsigned(dts, 3), resType());
    if (failed(acc))
      return failure();
    Value a = *acc;
    auto at = rtt(a);
    if (!isNone(c.getB()))
      a = binary(b, loc, nn::BinaryKind::add, a, quantParam(toI32(c.getB(), false), at, 1), at);
    if (rtt(c.getYScale()).getNumElements() != 1 || rtt(c.getYZeroPoint()).getNumElements() != 1)
      return (LogicalResult)(fail() << "y_scale and y_zero_point must be scalars");
    return one(requant(a, quantParam(c.getXScale(), at, 1), quantParam(c.getWScale(), at, 1),
                       c.getYScale(), c.getYZeroPoint(), quantUnsigned(dts, 7)));
  }
};

/// Reshapes a per-tensor (one element) or per-axis (1-D along `axis`)
/// quantization parameter to the explicit rank of `x`.
Value QuantizationLowering::quantParam(Value p, RankedTensorType x, int64_t axis) {
  auto t = rtt(p);
  int64_t r = x.getRank();
  SmallVector<int64_t> shape(r, 1);
  SmallVector<Value> dims;
  for (int64_t i = 0; i < r; ++i)
    dims.push_back(arith::ConstantIndexOp::create(b, loc, 1));
  if (!(t.hasStaticShape() && t.getNumElements() == 1)) {
    shape[axis] = t.getDimSize(0);
    dims[axis] = dimValue(b, loc, p, 0);
  }
  return reshapeTo(b, loc, p, RankedTensorType::get(shape, t.getElementType()), dims);
}

Value QuantizationLowering::toI32(Value v, bool isUnsigned) {
  auto t = rtt(v);
  if (t.getElementType().isInteger(32))
    return v;
  return nn::CastOp::create(b, loc, t.clone(b.getI32Type()), v, isUnsigned, false);
}

LoweringResult QuantizationLowering::quantIntegerMatmul(Value A, Value B, Value azp, Value bzp,
                                                        bool ua, bool ub, RankedTensorType res) {
  auto at = rtt(A), bt = rtt(B);
  if (at.getRank() < 2 || bt.getRank() < 2)
    return (LogicalResult)(fail() << "1-D operands are not supported");
  Value a = toI32(A, ua), bb = toI32(B, ub);
  if (!isNone(azp)) {
    Value z = quantParam(toI32(azp, ua), at, at.getRank() - 2);
    a = binary(b, loc, nn::BinaryKind::sub, a, z, rtt(a));
  }
  if (!isNone(bzp)) {
    Value z = quantParam(toI32(bzp, ub), bt, bt.getRank() - 1);
    bb = binary(b, loc, nn::BinaryKind::sub, bb, z, rtt(bb));
  }
  return one(nn::MatmulOp::create(b, loc, res.clone(b.getI32Type()), a, bb));
}

FailureOr<Value> QuantizationLowering::quantIntegerConv(Operation *o, Value X, Value W, Value xzp, Value wzp,
                                             bool ux, bool uw, RankedTensorType res) {
  auto x = rtt(X), w = rtt(W);
  SmallVector<int64_t> strides, dil, pads;
  if (failed(convGeometry(o, x, w, strides, dil, pads)))
    return failure();
  Value xi = toI32(X, ux), wi = toI32(W, uw);
  if (!isNone(xzp))
    xi = binary(b, loc, nn::BinaryKind::sub, xi, quantParam(toI32(xzp, ux), x, 1), rtt(xi));
  if (!isNone(wzp))
    wi = binary(b, loc, nn::BinaryKind::sub, wi, quantParam(toI32(wzp, uw), w, 0), rtt(wi));
  IntegerAttr groupAttr = o->getAttrOfType<IntegerAttr>("group");
  int64_t group = groupAttr ? groupAttr.getInt() : 1;
  return (Value)nn::ConvOp::create(b, loc, res.clone(b.getI32Type()), xi, wi, Value(),
                                   b.getDenseI64ArrayAttr(strides), b.getDenseI64ArrayAttr(dil),
                                   b.getDenseI64ArrayAttr(pads), b.getI64IntegerAttr(group));
}

} // namespace

void populateQuantizationPatterns(RewritePatternSet &patterns) {
  using L = QuantizationLowering;
  addLowering<ox::QuantizeLinearOp, &L::lowerQuantizeLinear>(patterns);
  addLowering<ox::DequantizeLinearOp, &L::lowerDequantizeLinear>(patterns);
  addLowering<ox::DynamicQuantizeLinearOp, &L::lowerDynamicQuantizeLinear>(patterns);
  addLowering<ox::MatMulIntegerOp, &L::lowerMatMulInteger>(patterns);
  addLowering<ox::ConvIntegerOp, &L::lowerConvInteger>(patterns);
  addLowering<ox::QLinearMatMulOp, &L::lowerQLinearMatMul>(patterns);
  addLowering<ox::QLinearConvOp, &L::lowerQLinearConv>(patterns);
}

} // namespace kiln::onnx_to_nn
