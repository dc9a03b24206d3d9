//===- Elementwise.cpp - onnx -> nn: elementwise operators ----------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Unary and binary math, comparisons, logic and bitwise ops, activations,
// casts, variadic Max/Min/Sum/Mean, Clip, Where, Identity and Dropout.
// Binary operands are brought to the result rank (nn.binary broadcasts
// size-1 dims only).
//
//===----------------------------------------------------------------------===//

#include "Common.h"

using namespace mlir;

namespace kiln::onnx_to_nn {
namespace {

using K = nn::UnaryKind;
using BK = nn::BinaryKind;

struct ElementwiseLowering : Lowering {
  using Lowering::Lowering;

  LoweringResult variadic(ValueRange ins, nn::BinaryKind kind);
  LoweringResult clip(ox::ClipOp c);

  LoweringResult un(nn::UnaryKind k) { return one(unary(b, loc, k, op->getOperand(0))); }
  LoweringResult bin(nn::BinaryKind k) {
    return one(binary(b, loc, k, op->getOperand(0), op->getOperand(1), resType()));
  }

  LoweringResult lowerRelu(ox::ReluOp) { return un(K::relu); }
  LoweringResult lowerSigmoid(ox::SigmoidOp) { return un(K::sigmoid); }
  LoweringResult lowerTanh(ox::TanhOp) { return un(K::tanh); }
  LoweringResult lowerErf(ox::ErfOp) { return un(K::erf); }
  LoweringResult lowerExp(ox::ExpOp) { return un(K::exp); }
  LoweringResult lowerLog(ox::LogOp) { return un(K::log); }
  LoweringResult lowerSqrt(ox::SqrtOp) { return un(K::sqrt); }
  LoweringResult lowerNeg(ox::NegOp) { return un(K::neg); }
  LoweringResult lowerAbs(ox::AbsOp) { return un(K::abs); }
  LoweringResult lowerReciprocal(ox::ReciprocalOp) { return un(K::reciprocal); }
  LoweringResult lowerFloor(ox::FloorOp) { return un(K::floor); }
  LoweringResult lowerCeil(ox::CeilOp) { return un(K::ceil); }
  LoweringResult lowerNot(ox::NotOp) { return un(K::logical_not); }
  LoweringResult lowerHardSwish(ox::HardSwishOp) { return un(K::hard_swish); }
  LoweringResult lowerLeakyRelu(ox::LeakyReluOp l) {
    return one(unary(b, loc, K::leaky_relu, l.getX(), l.getAlphaAttr()));
  }
  LoweringResult lowerHardSigmoid(ox::HardSigmoidOp h) {
    return one(unary(b, loc, K::hard_sigmoid, h.getX(), h.getAlphaAttr(), h.getBetaAttr()));
  }
  LoweringResult lowerGelu(ox::GeluOp g) {
    return un(g.getApproximate() == "tanh" ? K::gelu_tanh : K::gelu);
  }
  LoweringResult lowerIdentity(ox::IdentityOp i) { return one(i.getX()); }
  LoweringResult lowerDropout(ox::DropoutOp d) {
    SmallVector<Value> r{d.getData()};
    if (d.getMask()) {
      auto mt = rtt(d.getMask());
      Value shape;
      if (!mt.hasStaticShape())
        shape = nn::ShapeOfOp::create(
            b, loc, RankedTensorType::get({mt.getRank()}, b.getI64Type()), d.getData(),
            b.getI64IntegerAttr(0), b.getI64IntegerAttr(mt.getRank()));
      r.push_back(nn::FillOp::create(b, loc, mt, shape, b.getBoolAttr(true)));
    }
    return r;
  }
  LoweringResult lowerCast(ox::CastOp c) {
    int64_t to = c.getTo();
    bool uDst = isUnsignedONNXCode(to);
    auto in = rtt(c.getInput());
    if (in.getElementType() == resType().getElementType())
      return one(c.getInput());
    return one(nn::CastOp::create(b, loc, resType(), c.getInput(), isUnsignedInt(c.getInput()), uDst));
  }
  LoweringResult lowerAdd(ox::AddOp) { return bin(BK::add); }
  LoweringResult lowerSub(ox::SubOp) { return bin(BK::sub); }
  LoweringResult lowerMul(ox::MulOp) { return bin(BK::mul); }
  LoweringResult lowerDiv(ox::DivOp) {
    return bin(isUnsignedInt(op->getOperand(0)) ? BK::udiv : BK::div);
  }
  LoweringResult lowerEqual(ox::EqualOp) { return bin(BK::eq); }
  LoweringResult lowerLess(ox::LessOp) {
    return bin(isUnsignedInt(op->getOperand(0)) ? BK::ult : BK::lt);
  }
  LoweringResult lowerGreater(ox::GreaterOp) {
    return bin(isUnsignedInt(op->getOperand(0)) ? BK::ugt : BK::gt);
  }
  LoweringResult lowerAnd(ox::AndOp) { return bin(BK::logical_and); }
  LoweringResult lowerOr(ox::OrOp) { return bin(BK::logical_or); }
  LoweringResult lowerPow(ox::PowOp p) {
    Value x = p.getX(), y = p.getY();
    auto xt = rtt(x), yt = rtt(y);
    if (isa<IntegerType>(xt.getElementType()) && isa<FloatType>(yt.getElementType())) {
      // Integer base, float exponent: pow in f64, then back to the base type.
      Type f64 = b.getF64Type();
      Value xf = nn::CastOp::create(b, loc, xt.clone(f64), x, isUnsignedInt(x), false);
      Value yf = nn::CastOp::create(b, loc, yt.clone(f64), y, false, false);
      Value z = binary(b, loc, BK::pow, xf, yf, resType().clone(f64));
      return one(nn::CastOp::create(b, loc, resType(), z, false, isUnsignedInt(x)));
    }
    if (xt.getElementType() != yt.getElementType())
      y = nn::CastOp::create(b, loc, yt.clone(xt.getElementType()), y, isUnsignedInt(y), false);
    return one(binary(b, loc, BK::pow, x, y, resType()));
  }
  LoweringResult lowerMax(ox::MaxOp m) {
    return variadic(m.getOperands(), isUnsignedInt(m.getOperand(0)) ? BK::umax : BK::max);
  }
  LoweringResult lowerMin(ox::MinOp m) {
    return variadic(m.getOperands(), isUnsignedInt(m.getOperand(0)) ? BK::umin : BK::min);
  }
  LoweringResult lowerSum(ox::SumOp m) { return variadic(m.getOperands(), BK::add); }
  LoweringResult lowerWhere(ox::WhereOp w) {
    int64_t r = resType().getRank();
    return one(nn::SelectOp::create(b, loc, resType(), toRank(b, loc, w.getCondition(), r),
                                    toRank(b, loc, w.getX(), r), toRank(b, loc, w.getY(), r)));
  }
  LoweringResult lowerClip(ox::ClipOp c) { return clip(c); }
  LoweringResult lowerCos(ox::CosOp) { return un(K::cos); }
  LoweringResult lowerSin(ox::SinOp) { return un(K::sin); }
  LoweringResult lowerTan(ox::TanOp) { return un(K::tan); }
  LoweringResult lowerAcos(ox::AcosOp) { return un(K::acos); }
  LoweringResult lowerAsin(ox::AsinOp) { return un(K::asin); }
  LoweringResult lowerAtan(ox::AtanOp) { return un(K::atan); }
  LoweringResult lowerCosh(ox::CoshOp) { return un(K::cosh); }
  LoweringResult lowerSinh(ox::SinhOp) { return un(K::sinh); }
  LoweringResult lowerAcosh(ox::AcoshOp) { return un(K::acosh); }
  LoweringResult lowerAsinh(ox::AsinhOp) { return un(K::asinh); }
  LoweringResult lowerAtanh(ox::AtanhOp) { return un(K::atanh); }
  LoweringResult lowerRound(ox::RoundOp) { return un(K::round); }
  LoweringResult lowerSoftplus(ox::SoftplusOp) { return un(K::softplus); }
  LoweringResult lowerSoftsign(ox::SoftsignOp) { return un(K::softsign); }
  LoweringResult lowerMish(ox::MishOp) { return un(K::mish); }
  LoweringResult lowerBitwiseNot(ox::BitwiseNotOp) { return un(K::bitwise_not); }
  LoweringResult lowerSign(ox::SignOp s) {
    if (s.getX().getType() != resType() || rtt(s.getX()).getElementType().isInteger(1))
      return (LogicalResult)(fail() << "Sign of " << rtt(s.getX()).getElementType() << " is not supported");
    if (isUnsignedInt(s.getX())) {
      // Unsigned: 0 or 1.
      auto t = rtt(s.getX());
      Value ne = binary(b, loc, BK::ugt, s.getX(),
                        arith::ConstantOp::create(b, loc, DenseElementsAttr::get(
                            RankedTensorType::get(SmallVector<int64_t>(t.getRank(), 1), t.getElementType()),
                            b.getIntegerAttr(t.getElementType(), 0))),
                        t.clone(b.getI1Type()));
      return one(nn::CastOp::create(b, loc, t, ne, true, true));
    }
    return un(K::sign);
  }
  LoweringResult lowerElu(ox::EluOp e) {
    return one(unary(b, loc, K::elu, e.getX(), e.getAlphaAttr()));
  }
  LoweringResult lowerSelu(ox::SeluOp e) {
    return one(unary(b, loc, K::selu, e.getX(), e.getAlphaAttr(), e.getGammaAttr()));
  }
  LoweringResult lowerCelu(ox::CeluOp e) {
    if (e.getAlpha().convertToDouble() == 0)
      return (LogicalResult)(fail() << "alpha = 0 is not allowed");
    return one(unary(b, loc, K::celu, e.getX(), e.getAlphaAttr()));
  }
  LoweringResult lowerThresholdedRelu(ox::ThresholdedReluOp e) {
    return one(unary(b, loc, K::thresholded_relu, e.getX(), e.getAlphaAttr()));
  }
  LoweringResult lowerShrink(ox::ShrinkOp e) {
    return one(unary(b, loc, K::shrink, e.getInput(), e.getLambdAttr(), e.getBiasAttr()));
  }
  LoweringResult lowerIsNaN(ox::IsNaNOp n) {
    // x != x only for NaN (ordered equality is false).
    Value eq = binary(b, loc, BK::eq, n.getX(), n.getX(), resType());
    return one(unary(b, loc, K::logical_not, eq));
  }
  LoweringResult lowerIsInf(ox::IsInfOp n) {
    auto t = rtt(n.getX());
    bool pos = n.getDetectPositive() != 0, neg = n.getDetectNegative() != 0;
    if (!pos && !neg)
      return one(nn::FillOp::create(b, loc, resType(), Value(), b.getBoolAttr(false)));
    Value x = n.getX();
    if (pos && neg)
      x = unary(b, loc, K::abs, x);
    Value inf = splatOfRank(b, loc, t.getRank(), t.getElementType(),
                            neg && !pos ? -INFINITY : INFINITY);
    return one(binary(b, loc, BK::eq, x, inf, resType()));
  }
  LoweringResult lowerXor(ox::XorOp) { return bin(BK::logical_xor); }
  LoweringResult lowerGreaterOrEqual(ox::GreaterOrEqualOp) {
    return bin(isUnsignedInt(op->getOperand(0)) ? BK::uge : BK::ge);
  }
  LoweringResult lowerLessOrEqual(ox::LessOrEqualOp) {
    return bin(isUnsignedInt(op->getOperand(0)) ? BK::ule : BK::le);
  }
  LoweringResult lowerBitwiseAnd(ox::BitwiseAndOp) { return bin(BK::bitwise_and); }
  LoweringResult lowerBitwiseOr(ox::BitwiseOrOp) { return bin(BK::bitwise_or); }
  LoweringResult lowerBitwiseXor(ox::BitwiseXorOp) { return bin(BK::bitwise_xor); }
  LoweringResult lowerMod(ox::ModOp m) {
    Type e = rtt(m.getA()).getElementType();
    if (e.isInteger(1))
      return (LogicalResult)(fail() << "Mod of bool is not supported");
    if (isa<FloatType>(e) && m.getFmod() == 0)
      return (LogicalResult)(fail() << "fmod = 0 with floating-point inputs is not allowed (ONNX requires fmod = 1)");
    if (isUnsignedInt(m.getA()))
      return bin(BK::umod);
    return bin(m.getFmod() != 0 ? BK::fmod : BK::mod);
  }
  LoweringResult lowerBitShift(ox::BitShiftOp s) {
    return bin(s.getDirection() == "LEFT" ? BK::shl : BK::shru);
  }
  LoweringResult lowerPRelu(ox::PReluOp p) {
    return one(binary(b, loc, BK::prelu, p.getX(), p.getSlope(), resType()));
  }
  LoweringResult lowerMean(ox::MeanOp m) {
    auto res = resType();
    if (!isa<FloatType>(res.getElementType()))
      return (LogicalResult)(fail() << "Mean needs floating-point inputs");
    auto sum = variadic(m.getOperands(), BK::add);
    if (failed(sum) || m.getNumOperands() == 1)
      return sum;
    Value n = splatOfRank(b, loc, res.getRank(), res.getElementType(), m.getNumOperands());
    return one(binary(b, loc, BK::div, (*sum)[0], n, res));
  }
  LoweringResult lowerCastLike(ox::CastLikeOp c) {
    if (rtt(c.getInput()).getElementType() == resType().getElementType())
      return one(c.getInput());
    return one(nn::CastOp::create(b, loc, resType(), c.getInput(), isUnsignedInt(c.getInput()),
                                  isUnsignedInt(c.getTargetType())));
  }
};

LoweringResult ElementwiseLowering::variadic(ValueRange ins, nn::BinaryKind kind) {
  Value acc = ins[0];
  auto res = resType();
  if (ins.size() == 1)
    return one(acc);
  for (Value v : ins.drop_front()) {
    // Intermediate results: broadcast of the two.
    auto a = rtt(acc), c = rtt(v);
    int64_t r = std::max(a.getRank(), c.getRank());
    SmallVector<int64_t> shape(r);
    for (int64_t i = 0; i < r; ++i) {
      int64_t da = i < r - a.getRank() ? 1 : a.getDimSize(i - (r - a.getRank()));
      int64_t dc = i < r - c.getRank() ? 1 : c.getDimSize(i - (r - c.getRank()));
      shape[i] = da == 1 ? dc : da;
    }
    acc = binary(b, loc, kind, acc, v, RankedTensorType::get(shape, res.getElementType()));
  }
  if (acc.getType() != res)
    acc = tensor::CastOp::create(b, loc, res, acc);
  return one(acc);
}

LoweringResult ElementwiseLowering::clip(ox::ClipOp c) {
  SmallVector<double> lo, hi;
  bool loOk = isNone(c.getMin()) || readFloats(c.getMin(), lo);
  bool hiOk = isNone(c.getMax()) || readFloats(c.getMax(), hi);
  SmallVector<int64_t> loi, hii;
  if (!loOk && ox::getConstantIntValues(c.getMin(), loi)) { lo.push_back(loi[0]); loOk = true; }
  if (!hiOk && ox::getConstantIntValues(c.getMax(), hii)) { hi.push_back(hii[0]); hiOk = true; }
  if (loOk && hiOk) {
    FloatAttr mn = lo.empty() ? FloatAttr() : b.getF64FloatAttr(lo[0]);
    FloatAttr mx = hi.empty() ? FloatAttr() : b.getF64FloatAttr(hi[0]);
    return one(nn::ClampOp::create(b, loc, resType(), c.getInput(), mn, mx));
  }
  Value y = c.getInput();
  auto res = resType();
  if (!isNone(c.getMin()))
    y = binary(b, loc, nn::BinaryKind::max, y, c.getMin(), res);
  if (!isNone(c.getMax()))
    y = binary(b, loc, nn::BinaryKind::min, y, c.getMax(), res);
  return one(y);
}

} // namespace

void populateElementwisePatterns(RewritePatternSet &patterns) {
  using L = ElementwiseLowering;
  addLowering<ox::ReluOp, &L::lowerRelu>(patterns);
  addLowering<ox::SigmoidOp, &L::lowerSigmoid>(patterns);
  addLowering<ox::TanhOp, &L::lowerTanh>(patterns);
  addLowering<ox::ErfOp, &L::lowerErf>(patterns);
  addLowering<ox::ExpOp, &L::lowerExp>(patterns);
  addLowering<ox::LogOp, &L::lowerLog>(patterns);
  addLowering<ox::SqrtOp, &L::lowerSqrt>(patterns);
  addLowering<ox::NegOp, &L::lowerNeg>(patterns);
  addLowering<ox::AbsOp, &L::lowerAbs>(patterns);
  addLowering<ox::ReciprocalOp, &L::lowerReciprocal>(patterns);
  addLowering<ox::FloorOp, &L::lowerFloor>(patterns);
  addLowering<ox::CeilOp, &L::lowerCeil>(patterns);
  addLowering<ox::NotOp, &L::lowerNot>(patterns);
  addLowering<ox::HardSwishOp, &L::lowerHardSwish>(patterns);
  addLowering<ox::LeakyReluOp, &L::lowerLeakyRelu>(patterns);
  addLowering<ox::HardSigmoidOp, &L::lowerHardSigmoid>(patterns);
  addLowering<ox::GeluOp, &L::lowerGelu>(patterns);
  addLowering<ox::IdentityOp, &L::lowerIdentity>(patterns);
  addLowering<ox::DropoutOp, &L::lowerDropout>(patterns);
  addLowering<ox::CastOp, &L::lowerCast>(patterns);
  addLowering<ox::AddOp, &L::lowerAdd>(patterns);
  addLowering<ox::SubOp, &L::lowerSub>(patterns);
  addLowering<ox::MulOp, &L::lowerMul>(patterns);
  addLowering<ox::DivOp, &L::lowerDiv>(patterns);
  addLowering<ox::EqualOp, &L::lowerEqual>(patterns);
  addLowering<ox::LessOp, &L::lowerLess>(patterns);
  addLowering<ox::GreaterOp, &L::lowerGreater>(patterns);
  addLowering<ox::AndOp, &L::lowerAnd>(patterns);
  addLowering<ox::OrOp, &L::lowerOr>(patterns);
  addLowering<ox::PowOp, &L::lowerPow>(patterns);
  addLowering<ox::MaxOp, &L::lowerMax>(patterns);
  addLowering<ox::MinOp, &L::lowerMin>(patterns);
  addLowering<ox::SumOp, &L::lowerSum>(patterns);
  addLowering<ox::WhereOp, &L::lowerWhere>(patterns);
  addLowering<ox::ClipOp, &L::lowerClip>(patterns);
  addLowering<ox::CosOp, &L::lowerCos>(patterns);
  addLowering<ox::SinOp, &L::lowerSin>(patterns);
  addLowering<ox::TanOp, &L::lowerTan>(patterns);
  addLowering<ox::AcosOp, &L::lowerAcos>(patterns);
  addLowering<ox::AsinOp, &L::lowerAsin>(patterns);
  addLowering<ox::AtanOp, &L::lowerAtan>(patterns);
  addLowering<ox::CoshOp, &L::lowerCosh>(patterns);
  addLowering<ox::SinhOp, &L::lowerSinh>(patterns);
  addLowering<ox::AcoshOp, &L::lowerAcosh>(patterns);
  addLowering<ox::AsinhOp, &L::lowerAsinh>(patterns);
  addLowering<ox::AtanhOp, &L::lowerAtanh>(patterns);
  addLowering<ox::RoundOp, &L::lowerRound>(patterns);
  addLowering<ox::SoftplusOp, &L::lowerSoftplus>(patterns);
  addLowering<ox::SoftsignOp, &L::lowerSoftsign>(patterns);
  addLowering<ox::MishOp, &L::lowerMish>(patterns);
  addLowering<ox::BitwiseNotOp, &L::lowerBitwiseNot>(patterns);
  addLowering<ox::SignOp, &L::lowerSign>(patterns);
  addLowering<ox::EluOp, &L::lowerElu>(patterns);
  addLowering<ox::SeluOp, &L::lowerSelu>(patterns);
  addLowering<ox::CeluOp, &L::lowerCelu>(patterns);
  addLowering<ox::ThresholdedReluOp, &L::lowerThresholdedRelu>(patterns);
  addLowering<ox::ShrinkOp, &L::lowerShrink>(patterns);
  addLowering<ox::IsNaNOp, &L::lowerIsNaN>(patterns);
  addLowering<ox::IsInfOp, &L::lowerIsInf>(patterns);
  addLowering<ox::XorOp, &L::lowerXor>(patterns);
  addLowering<ox::GreaterOrEqualOp, &L::lowerGreaterOrEqual>(patterns);
  addLowering<ox::LessOrEqualOp, &L::lowerLessOrEqual>(patterns);
  addLowering<ox::BitwiseAndOp, &L::lowerBitwiseAnd>(patterns);
  addLowering<ox::BitwiseOrOp, &L::lowerBitwiseOr>(patterns);
  addLowering<ox::BitwiseXorOp, &L::lowerBitwiseXor>(patterns);
  addLowering<ox::ModOp, &L::lowerMod>(patterns);
  addLowering<ox::BitShiftOp, &L::lowerBitShift>(patterns);
  addLowering<ox::PReluOp, &L::lowerPRelu>(patterns);
  addLowering<ox::MeanOp, &L::lowerMean>(patterns);
  addLowering<ox::CastLikeOp, &L::lowerCastLike>(patterns);
}

} // namespace kiln::onnx_to_nn
