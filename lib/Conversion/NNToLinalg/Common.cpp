//===- Common.cpp - helpers shared by the nn -> linalg lowerings ----------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// See Common.h.
//
//===----------------------------------------------------------------------===//

#include "Common.h"
#include "RuntimeChecks.h"

#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;

namespace kiln::nn_to_linalg {

void replaceOpWithCast(PatternRewriter &rewriter, Operation *op, ValueRange values) {
  SmallVector<Value> replacements;
  for (auto [from, to] : llvm::zip_equal(op->getResults(), values)) {
    if (to.getType() != from.getType())
      to = tensor::CastOp::create(rewriter, op->getLoc(), from.getType(), to);
    replacements.push_back(to);
  }
  rewriter.replaceOp(op, replacements);
}

Value cIdx(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

Value dimOf(OpBuilder &b, Location loc, Value t, int64_t i) {
  auto type = rtt(t);
  if (!type.isDynamicDim(i))
    return cIdx(b, loc, type.getDimSize(i));
  return tensor::DimOp::create(b, loc, t, i);
}

OpFoldResult mixedDim(OpBuilder &b, Location loc, Value t, int64_t i) {
  auto type = cast<RankedTensorType>(t.getType());
  if (!type.isDynamicDim(i))
    return b.getIndexAttr(type.getDimSize(i));
  return tensor::DimOp::create(b, loc, t, i).getResult();
}

SmallVector<Value> allDims(OpBuilder &b, Location loc, Value t) {
  SmallVector<Value> dims;
  for (int64_t i = 0; i < rtt(t).getRank(); ++i)
    dims.push_back(dimOf(b, loc, t, i));
  return dims;
}

Value empty(OpBuilder &b, Location loc, RankedTensorType type, ArrayRef<Value> dims) {
  SmallVector<Value> dyn;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (type.isDynamicDim(i))
      dyn.push_back(dims[i]);
  return tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType(), dyn);
}

Value generateOver(OpBuilder &b, Location loc, Value init,
                   function_ref<void(OpBuilder &, Location, ValueRange)> body) {
  auto t = cast<RankedTensorType>(init.getType());
  int64_t r = t.getRank();
  return linalg::GenericOp::create(b, loc, TypeRange{t}, ValueRange{}, ValueRange{init},
                                   SmallVector<AffineMap>{b.getMultiDimIdentityMap(r)},
                                   SmallVector<utils::IteratorType>(r, utils::IteratorType::parallel),
                                   body)
      .getResult(0);
}

static TypedAttr scalarAttr(OpBuilder &b, Type t, double v) {
  if (auto ft = dyn_cast<FloatType>(t))
    return b.getFloatAttr(ft, v);
  return b.getIntegerAttr(t, (int64_t)v);
}

Value scalar(OpBuilder &b, Location loc, Type t, double v) {
  return arith::ConstantOp::create(b, loc, t, scalarAttr(b, t, v));
}

Value lowest(OpBuilder &b, Location loc, Type t) {
  if (auto ft = dyn_cast<FloatType>(t))
    return arith::ConstantOp::create(
        b, loc, t, b.getFloatAttr(ft, APFloat::getInf(ft.getFloatSemantics(), true)));
  unsigned w = t.getIntOrFloatBitWidth();
  return arith::ConstantOp::create(b, loc, t, b.getIntegerAttr(t, APInt::getSignedMinValue(w)));
}

Value highest(OpBuilder &b, Location loc, Type t) {
  if (auto ft = dyn_cast<FloatType>(t))
    return arith::ConstantOp::create(
        b, loc, t, b.getFloatAttr(ft, APFloat::getInf(ft.getFloatSemantics(), false)));
  unsigned w = t.getIntOrFloatBitWidth();
  return arith::ConstantOp::create(b, loc, t, b.getIntegerAttr(t, APInt::getSignedMaxValue(w)));
}

Value fillTensor(OpBuilder &b, Location loc, Value init, Value v) {
  return linalg::FillOp::create(b, loc, v, init).getResult(0);
}

AffineMap broadcastMap(OpBuilder &b, RankedTensorType operand, RankedTensorType res) {
  SmallVector<AffineExpr> exprs;
  for (int64_t i = 0; i < res.getRank(); ++i) {
    if (operand.getDimSize(i) == 1 && res.getDimSize(i) != 1)
      exprs.push_back(b.getAffineConstantExpr(0));
    else
      exprs.push_back(b.getAffineDimExpr(i));
  }
  return AffineMap::get(res.getRank(), 0, exprs, b.getContext());
}

SmallVector<Value> elementwiseDims(OpBuilder &b, Location loc, RankedTensorType res,
                                   ValueRange operands) {
  SmallVector<Value> dims;
  for (int64_t i = 0; i < res.getRank(); ++i) {
    if (!res.isDynamicDim(i)) {
      dims.push_back(cIdx(b, loc, res.getDimSize(i)));
      continue;
    }
    Value d;
    for (Value v : operands)
      if (rtt(v).getDimSize(i) != 1) {
        d = dimOf(b, loc, v, i);
        break;
      }
    dims.push_back(d ? d : cIdx(b, loc, 1));
  }
  return dims;
}

Value elementwise(OpBuilder &b, Location loc, RankedTensorType res, ValueRange operands,
                  BodyFn body) {
  SmallVector<Value> dims = elementwiseDims(b, loc, res, operands);
  Value init = empty(b, loc, res, dims);
  SmallVector<AffineMap> maps;
  for (Value v : operands)
    maps.push_back(broadcastMap(b, rtt(v), res));
  maps.push_back(b.getMultiDimIdentityMap(res.getRank()));
  SmallVector<utils::IteratorType> iters(res.getRank(), utils::IteratorType::parallel);
  auto g = linalg::GenericOp::create(
      b, loc, TypeRange{res}, operands, ValueRange{init}, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value r = body(nb, nl, args.drop_back());
        linalg::YieldOp::create(nb, nl, r);
      });
  return g.getResult(0);
}

Value unaryScalar(OpBuilder &b, Location loc, nn::UnaryKind k, std::optional<double> alpha,
                  std::optional<double> beta, Value x) {
  Type t = x.getType();
  bool isF = isa<FloatType>(t);
  // Half-precision inputs: compute the function in f32 and round once (as
  // ONNX's reference does); the exact ones stay in their type.
  if (isF && t.getIntOrFloatBitWidth() < 32 && k != nn::UnaryKind::relu && k != nn::UnaryKind::neg &&
      k != nn::UnaryKind::abs && k != nn::UnaryKind::floor && k != nn::UnaryKind::ceil &&
      k != nn::UnaryKind::round && k != nn::UnaryKind::sign) {
    Value wide = arith::ExtFOp::create(b, loc, b.getF32Type(), x);
    return arith::TruncFOp::create(b, loc, t, unaryScalar(b, loc, k, alpha, beta, wide));
  }
  auto c = [&](double v) { return scalar(b, loc, t, v); };
  switch (k) {
  case nn::UnaryKind::relu:
    return isF ? (Value)arith::MaximumFOp::create(b, loc, x, c(0))
               : (Value)arith::MaxSIOp::create(b, loc, x, c(0));
  case nn::UnaryKind::sigmoid: {
    Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
    return arith::DivFOp::create(b, loc, c(1), arith::AddFOp::create(b, loc, c(1), e));
  }
  case nn::UnaryKind::tanh: return math::TanhOp::create(b, loc, x);
  case nn::UnaryKind::erf: return math::ErfOp::create(b, loc, x);
  case nn::UnaryKind::exp: return math::ExpOp::create(b, loc, x);
  case nn::UnaryKind::log: return math::LogOp::create(b, loc, x);
  case nn::UnaryKind::sqrt: return math::SqrtOp::create(b, loc, x);
  case nn::UnaryKind::neg:
    return isF ? (Value)arith::NegFOp::create(b, loc, x) : (Value)arith::SubIOp::create(b, loc, c(0), x);
  case nn::UnaryKind::abs:
    return isF ? (Value)math::AbsFOp::create(b, loc, x) : (Value)math::AbsIOp::create(b, loc, x);
  case nn::UnaryKind::reciprocal: return arith::DivFOp::create(b, loc, c(1), x);
  case nn::UnaryKind::floor: return math::FloorOp::create(b, loc, x);
  case nn::UnaryKind::ceil: return math::CeilOp::create(b, loc, x);
  case nn::UnaryKind::logical_not:
    return arith::XOrIOp::create(b, loc, x, arith::ConstantOp::create(b, loc, b.getBoolAttr(true)));
  case nn::UnaryKind::hard_swish: {
    Value v = arith::AddFOp::create(b, loc, arith::MulFOp::create(b, loc, x, c(1.0 / 6.0)), c(0.5));
    v = arith::MinimumFOp::create(b, loc, arith::MaximumFOp::create(b, loc, v, c(0)), c(1));
    return arith::MulFOp::create(b, loc, x, v);
  }
  case nn::UnaryKind::hard_sigmoid: {
    double a = *alpha, be = *beta;
    Value v = arith::AddFOp::create(b, loc, arith::MulFOp::create(b, loc, x, c(a)), c(be));
    return arith::MinimumFOp::create(b, loc, arith::MaximumFOp::create(b, loc, v, c(0)), c(1));
  }
  case nn::UnaryKind::leaky_relu: {
    Value neg = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, c(0));
    Value scaled = arith::MulFOp::create(b, loc, x, c(*alpha));
    return arith::SelectOp::create(b, loc, neg, scaled, x);
  }
  case nn::UnaryKind::gelu: {
    Value e = math::ErfOp::create(b, loc, arith::MulFOp::create(b, loc, x, c(M_SQRT1_2)));
    Value h = arith::MulFOp::create(b, loc, x, c(0.5));
    return arith::MulFOp::create(b, loc, h, arith::AddFOp::create(b, loc, c(1), e));
  }
  case nn::UnaryKind::gelu_tanh: {
    Value x3 = arith::MulFOp::create(b, loc, arith::MulFOp::create(b, loc, x, x), x);
    Value in = arith::AddFOp::create(b, loc, x, arith::MulFOp::create(b, loc, x3, c(0.044715)));
    Value th = math::TanhOp::create(b, loc, arith::MulFOp::create(b, loc, in, c(std::sqrt(2.0 / M_PI))));
    Value h = arith::MulFOp::create(b, loc, x, c(0.5));
    return arith::MulFOp::create(b, loc, h, arith::AddFOp::create(b, loc, c(1), th));
  }
  case nn::UnaryKind::cos: return math::CosOp::create(b, loc, x);
  case nn::UnaryKind::sin: return math::SinOp::create(b, loc, x);
  case nn::UnaryKind::tan: return math::TanOp::create(b, loc, x);
  case nn::UnaryKind::acos: return math::AcosOp::create(b, loc, x);
  case nn::UnaryKind::asin: return math::AsinOp::create(b, loc, x);
  case nn::UnaryKind::atan: return math::AtanOp::create(b, loc, x);
  case nn::UnaryKind::cosh: return math::CoshOp::create(b, loc, x);
  case nn::UnaryKind::sinh: return math::SinhOp::create(b, loc, x);
  case nn::UnaryKind::acosh: return math::AcoshOp::create(b, loc, x);
  case nn::UnaryKind::asinh: return math::AsinhOp::create(b, loc, x);
  case nn::UnaryKind::atanh: return math::AtanhOp::create(b, loc, x);
  case nn::UnaryKind::round: return math::RoundEvenOp::create(b, loc, x);
  case nn::UnaryKind::sign: {
    // -1, 0 or 1; a float NaN (or signed zero) stays as it is.
    if (isF) {
      Value pos = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, c(0));
      Value neg = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, c(0));
      return arith::SelectOp::create(b, loc, pos, c(1), arith::SelectOp::create(b, loc, neg, c(-1), x));
    }
    Value pos = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, x, c(0));
    Value neg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x, c(0));
    return arith::SelectOp::create(b, loc, pos, c(1), arith::SelectOp::create(b, loc, neg, c(-1), c(0)));
  }
  case nn::UnaryKind::softplus:
  case nn::UnaryKind::mish: {
    // log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)), without overflow.
    Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, math::AbsFOp::create(b, loc, x)));
    Value sp = arith::AddFOp::create(b, loc, arith::MaximumFOp::create(b, loc, x, c(0)),
                                     math::Log1pOp::create(b, loc, e));
    if (k == nn::UnaryKind::softplus)
      return sp;
    return arith::MulFOp::create(b, loc, x, math::TanhOp::create(b, loc, sp));
  }
  case nn::UnaryKind::softsign:
    return arith::DivFOp::create(b, loc, x, arith::AddFOp::create(b, loc, c(1), math::AbsFOp::create(b, loc, x)));
  case nn::UnaryKind::elu:
  case nn::UnaryKind::selu: {
    double a = *alpha;
    Value em1 = arith::MulFOp::create(b, loc, math::ExpM1Op::create(b, loc, x), c(a));
    bool selu = k == nn::UnaryKind::selu;
    Value le0 = arith::CmpFOp::create(b, loc, selu ? arith::CmpFPredicate::OLE : arith::CmpFPredicate::OLT, x, c(0));
    Value v = arith::SelectOp::create(b, loc, le0, em1, x);
    return selu ? (Value)arith::MulFOp::create(b, loc, v, c(*beta)) : v;
  }
  case nn::UnaryKind::celu: {
    double a = *alpha;
    Value em1 = math::ExpM1Op::create(b, loc, arith::DivFOp::create(b, loc, x, c(a)));
    Value negPart = arith::MinimumFOp::create(b, loc, c(0), arith::MulFOp::create(b, loc, em1, c(a)));
    return arith::AddFOp::create(b, loc, arith::MaximumFOp::create(b, loc, x, c(0)), negPart);
  }
  case nn::UnaryKind::thresholded_relu: {
    Value gt = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, c(*alpha));
    return arith::SelectOp::create(b, loc, gt, x, c(0));
  }
  case nn::UnaryKind::shrink: {
    double l = *alpha, bias = *beta;
    Value lt = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, c(-l));
    Value gt = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, c(l));
    Value hi = arith::SelectOp::create(b, loc, gt, arith::SubFOp::create(b, loc, x, c(bias)), c(0));
    return arith::SelectOp::create(b, loc, lt, arith::AddFOp::create(b, loc, x, c(bias)), hi);
  }
  case nn::UnaryKind::bitwise_not:
    return arith::XOrIOp::create(b, loc, x, c(-1));
  }
  llvm_unreachable("unknown unary kind");
}

std::optional<double> optDouble(std::optional<llvm::APFloat> v) {
  return v ? std::optional<double>(v->convertToDouble()) : std::nullopt;
}

Value unaryScalar(OpBuilder &b, Location loc, nn::UnaryOp op, Value x) {
  return unaryScalar(b, loc, op.getKind(), optDouble(op.getAlpha()), optDouble(op.getBeta()), x);
}

/// x ** e for integers, exact with wrap-around (square and multiply over
/// the bits of e).  A negative e gives 1 for x = 1, +-1 for x = -1 and 0
/// otherwise (math.ipowi's semantics).
static Value intPowScalar(OpBuilder &b, Location loc, Value x, Value e) {
  Type t = x.getType();
  unsigned w = t.getIntOrFloatBitWidth();
  auto c = [&](int64_t v) { return scalar(b, loc, t, (double)v); };
  if (w == 1) // bool: x ** e = x || e == 0
    return arith::OrIOp::create(b, loc, x, arith::XOrIOp::create(b, loc, e, c(1)));
  Value r = c(1), base = x, ee = e, one = c(1), zero = c(0);
  for (unsigned i = 0; i + 1 < w; ++i) {
    Value odd = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, arith::AndIOp::create(b, loc, ee, one), zero);
    r = arith::SelectOp::create(b, loc, odd, arith::MulIOp::create(b, loc, r, base), r);
    if (i + 2 < w) {
      base = arith::MulIOp::create(b, loc, base, base);
      ee = arith::ShRUIOp::create(b, loc, ee, one);
    }
  }
  Value eOdd = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, arith::AndIOp::create(b, loc, e, one), zero);
  Value isOne = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, x, one);
  Value isMinusOne = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, x, c(-1));
  Value negRes = arith::SelectOp::create(
      b, loc, isOne, one, arith::SelectOp::create(b, loc, isMinusOne, arith::SelectOp::create(b, loc, eOdd, c(-1), one), zero));
  Value eNeg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, e, zero);
  return arith::SelectOp::create(b, loc, eNeg, negRes, r);
}

/// Integer remainder; `floored` gives the sign of the divisor (Python),
/// otherwise the sign of the dividend (C).  A zero divisor gives 0 instead
/// of trapping, and so does the overflowing INT_MIN % -1.
static Value intRemScalar(OpBuilder &b, Location loc, Value x, Value y, bool isUnsigned, bool floored) {
  Type t = x.getType();
  Value zero = scalar(b, loc, t, 0), one = scalar(b, loc, t, 1);
  Value yZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, y, zero);
  Value bad = yZero;
  if (!isUnsigned)
    bad = arith::OrIOp::create(b, loc, bad, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, y, scalar(b, loc, t, -1)));
  Value safeY = arith::SelectOp::create(b, loc, bad, one, y);
  Value r = isUnsigned ? (Value)arith::RemUIOp::create(b, loc, x, safeY) : (Value)arith::RemSIOp::create(b, loc, x, safeY);
  if (!isUnsigned && floored) {
    Value rNZ = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, r, zero);
    Value diff = arith::XOrIOp::create(b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, r, zero),
                                       arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, safeY, zero));
    Value fix = arith::AndIOp::create(b, loc, rNZ, diff);
    r = arith::SelectOp::create(b, loc, fix, arith::AddIOp::create(b, loc, r, safeY), r);
  }
  return arith::SelectOp::create(b, loc, bad, zero, r);
}

/// Shift; amounts of the bit width or more give 0 (not poison).
static Value shiftScalar(OpBuilder &b, Location loc, Value x, Value y, bool left) {
  Type t = x.getType();
  Value big = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, y, scalar(b, loc, t, t.getIntOrFloatBitWidth()));
  Value s = left ? (Value)arith::ShLIOp::create(b, loc, x, y) : (Value)arith::ShRUIOp::create(b, loc, x, y);
  return arith::SelectOp::create(b, loc, big, scalar(b, loc, t, 0), s);
}

Value binaryScalar(OpBuilder &b, Location loc, nn::BinaryKind k, Value x, Value y) {
  bool isF = isa<FloatType>(x.getType());
  auto icmp = [&](arith::CmpIPredicate p) { return (Value)arith::CmpIOp::create(b, loc, p, x, y); };
  switch (k) {
  case nn::BinaryKind::add:
    return isF ? (Value)arith::AddFOp::create(b, loc, x, y) : (Value)arith::AddIOp::create(b, loc, x, y);
  case nn::BinaryKind::sub:
    return isF ? (Value)arith::SubFOp::create(b, loc, x, y) : (Value)arith::SubIOp::create(b, loc, x, y);
  case nn::BinaryKind::mul:
    return isF ? (Value)arith::MulFOp::create(b, loc, x, y) : (Value)arith::MulIOp::create(b, loc, x, y);
  case nn::BinaryKind::div:
    // A zero divisor (reported by kiln-insert-runtime-checks) and INT_MIN / -1
    // must not trap: safeSignedDiv (RuntimeChecks.h).
    return isF ? (Value)arith::DivFOp::create(b, loc, x, y) : kiln::safeSignedDiv(b, loc, x, y);
  case nn::BinaryKind::pow:
    return isF ? (Value)math::PowFOp::create(b, loc, x, y) : intPowScalar(b, loc, x, y);
  case nn::BinaryKind::max:
    return isF ? (Value)arith::MaximumFOp::create(b, loc, x, y) : (Value)arith::MaxSIOp::create(b, loc, x, y);
  case nn::BinaryKind::min:
    return isF ? (Value)arith::MinimumFOp::create(b, loc, x, y) : (Value)arith::MinSIOp::create(b, loc, x, y);
  case nn::BinaryKind::eq:
    return isF ? (Value)arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, x, y)
               : (Value)arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, x, y);
  case nn::BinaryKind::lt:
    return isF ? (Value)arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, y)
               : (Value)arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x, y);
  case nn::BinaryKind::gt:
    return isF ? (Value)arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, y)
               : (Value)arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, x, y);
  case nn::BinaryKind::logical_and: return arith::AndIOp::create(b, loc, x, y);
  case nn::BinaryKind::logical_or: return arith::OrIOp::create(b, loc, x, y);
  case nn::BinaryKind::logical_xor: return arith::XOrIOp::create(b, loc, x, y);
  case nn::BinaryKind::ge:
    return isF ? (Value)arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGE, x, y) : icmp(arith::CmpIPredicate::sge);
  case nn::BinaryKind::le:
    return isF ? (Value)arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLE, x, y) : icmp(arith::CmpIPredicate::sle);
  case nn::BinaryKind::mod:
  case nn::BinaryKind::fmod: {
    bool floored = k == nn::BinaryKind::mod;
    if (!isF)
      return intRemScalar(b, loc, x, y, false, floored);
    Value r = arith::RemFOp::create(b, loc, x, y);
    if (!floored)
      return r;
    Value zero = scalar(b, loc, x.getType(), 0);
    Value rNZ = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::ONE, r, zero);
    Value diff = arith::XOrIOp::create(b, loc, arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, r, zero),
                                       arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, y, zero));
    Value fix = arith::AndIOp::create(b, loc, rNZ, diff);
    return arith::SelectOp::create(b, loc, fix, arith::AddFOp::create(b, loc, r, y), r);
  }
  case nn::BinaryKind::udiv: {
    Type t = x.getType();
    Value yZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, y, scalar(b, loc, t, 0));
    Value safeY = arith::SelectOp::create(b, loc, yZero, scalar(b, loc, t, 1), y);
    return arith::SelectOp::create(b, loc, yZero, scalar(b, loc, t, 0), arith::DivUIOp::create(b, loc, x, safeY));
  }
  case nn::BinaryKind::umod: return intRemScalar(b, loc, x, y, true, false);
  case nn::BinaryKind::umax: return arith::MaxUIOp::create(b, loc, x, y);
  case nn::BinaryKind::umin: return arith::MinUIOp::create(b, loc, x, y);
  case nn::BinaryKind::ult: return icmp(arith::CmpIPredicate::ult);
  case nn::BinaryKind::ugt: return icmp(arith::CmpIPredicate::ugt);
  case nn::BinaryKind::ule: return icmp(arith::CmpIPredicate::ule);
  case nn::BinaryKind::uge: return icmp(arith::CmpIPredicate::uge);
  case nn::BinaryKind::shl: return shiftScalar(b, loc, x, y, true);
  case nn::BinaryKind::shru: return shiftScalar(b, loc, x, y, false);
  case nn::BinaryKind::bitwise_and: return arith::AndIOp::create(b, loc, x, y);
  case nn::BinaryKind::bitwise_or: return arith::OrIOp::create(b, loc, x, y);
  case nn::BinaryKind::bitwise_xor: return arith::XOrIOp::create(b, loc, x, y);
  case nn::BinaryKind::prelu: {
    Value zero = scalar(b, loc, x.getType(), 0);
    Value neg = isF ? (Value)arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, zero)
                    : (Value)arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x, zero);
    Value scaled = isF ? (Value)arith::MulFOp::create(b, loc, x, y) : (Value)arith::MulIOp::create(b, loc, x, y);
    return arith::SelectOp::create(b, loc, neg, scaled, x);
  }
  }
  llvm_unreachable("unknown binary kind");
}

Value castScalar(OpBuilder &b, Location loc, Value x, Type to, bool uSrc, bool uDst) {
  Type from = x.getType();
  if (from == to)
    return x;
  bool fF = isa<FloatType>(from), tF = isa<FloatType>(to);
  if (fF && tF && from.getIntOrFloatBitWidth() == to.getIntOrFloatBitWidth()) // f16 <-> bf16
    return arith::TruncFOp::create(b, loc, to, arith::ExtFOp::create(b, loc, b.getF32Type(), x));
  if (fF && tF)
    return from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth()
               ? (Value)arith::ExtFOp::create(b, loc, to, x)
               : (Value)arith::TruncFOp::create(b, loc, to, x);
  if (to.isInteger(1)) {
    if (fF)
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, x, scalar(b, loc, from, 0));
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, x, scalar(b, loc, from, 0));
  }
  if (!fF && tF)
    return (uSrc || from.isInteger(1)) ? (Value)arith::UIToFPOp::create(b, loc, to, x)
                                       : (Value)arith::SIToFPOp::create(b, loc, to, x);
  if (fF && !tF)
    return uDst ? (Value)arith::FPToUIOp::create(b, loc, to, x)
                : (Value)arith::FPToSIOp::create(b, loc, to, x);
  unsigned fw = from.getIntOrFloatBitWidth(), tw = to.getIntOrFloatBitWidth();
  if (fw > tw)
    return arith::TruncIOp::create(b, loc, to, x);
  return (uSrc || from.isInteger(1)) ? (Value)arith::ExtUIOp::create(b, loc, to, x)
                                     : (Value)arith::ExtSIOp::create(b, loc, to, x);
}

Value epilogueInit(OpBuilder &b, Location loc, RankedTensorType res, ArrayRef<Value> dims, Value bias,
                   int64_t biasDim) {
  Value init = empty(b, loc, res, dims);
  if (!bias)
    return fillTensor(b, loc, init, scalar(b, loc, res.getElementType(), 0));
  int64_t r = res.getRank();
  SmallVector<AffineMap> maps{AffineMap::get(r, 0, {b.getAffineDimExpr(biasDim)}, b.getContext()),
                              b.getMultiDimIdentityMap(r)};
  SmallVector<utils::IteratorType> iters(r, utils::IteratorType::parallel);
  auto g = linalg::GenericOp::create(b, loc, TypeRange{res}, ValueRange{bias}, ValueRange{init}, maps, iters,
                                     [&](OpBuilder &nb, Location nl, ValueRange a) {
                                       linalg::YieldOp::create(nb, nl, a[0]);
                                     });
  g->setAttr(kEpilogueAttr, b.getUnitAttr());
  return g.getResult(0);
}

Value actScalar(OpBuilder &b, Location loc, nn::ActKind k, std::optional<double> alpha,
                std::optional<double> beta, Value x) {
  Type t = x.getType();
  auto un = [&](nn::UnaryKind u, std::optional<double> a = std::nullopt,
                std::optional<double> be = std::nullopt) { return unaryScalar(b, loc, u, a, be, x); };
  switch (k) {
  case nn::ActKind::relu: return un(nn::UnaryKind::relu);
  case nn::ActKind::clip: {
    Value v = x;
    if (alpha)
      v = binaryScalar(b, loc, nn::BinaryKind::max, v, scalar(b, loc, t, *alpha));
    if (beta)
      v = binaryScalar(b, loc, nn::BinaryKind::min, v, scalar(b, loc, t, *beta));
    return v;
  }
  case nn::ActKind::leaky_relu: return un(nn::UnaryKind::leaky_relu, alpha);
  case nn::ActKind::sigmoid: return un(nn::UnaryKind::sigmoid);
  case nn::ActKind::tanh: return un(nn::UnaryKind::tanh);
  case nn::ActKind::hard_swish: return un(nn::UnaryKind::hard_swish);
  case nn::ActKind::hard_sigmoid: return un(nn::UnaryKind::hard_sigmoid, alpha, beta);
  case nn::ActKind::gelu: return un(nn::UnaryKind::gelu);
  case nn::ActKind::gelu_tanh: return un(nn::UnaryKind::gelu_tanh);
  case nn::ActKind::silu: return arith::MulFOp::create(b, loc, x, un(nn::UnaryKind::sigmoid));
  }
  llvm_unreachable("unknown activation");
}

Value reduceGeneric(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> axes, Value initV,
                    function_ref<Value(OpBuilder &, Location, Value, Value)> combine,
                    function_ref<Value(OpBuilder &, Location, Value)> pre) {
  auto t = rtt(x);
  SmallVector<int64_t> shape;
  SmallVector<Value> dims;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iters;
  for (int64_t i = 0; i < t.getRank(); ++i) {
    bool red = llvm::is_contained(axes, i);
    iters.push_back(red ? utils::IteratorType::reduction : utils::IteratorType::parallel);
    if (!red) {
      shape.push_back(t.getDimSize(i));
      dims.push_back(dimOf(b, loc, x, i));
      outExprs.push_back(b.getAffineDimExpr(i));
    }
  }
  auto outT = RankedTensorType::get(shape, t.getElementType());
  Value init = fillTensor(b, loc, empty(b, loc, outT, dims), initV);
  SmallVector<AffineMap> maps{b.getMultiDimIdentityMap(t.getRank()),
                              AffineMap::get(t.getRank(), 0, outExprs, b.getContext())};
  return linalg::GenericOp::create(b, loc, TypeRange{outT}, ValueRange{x}, ValueRange{init}, maps, iters,
                                   [&](OpBuilder &nb, Location nl, ValueRange a) {
                                     Value v = pre ? pre(nb, nl, a[0]) : a[0];
                                     linalg::YieldOp::create(nb, nl, combine(nb, nl, v, a[1]));
                                   })
      .getResult(0);
}

Value keepDims(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> axes, RankedTensorType full) {
  auto t = rtt(v);
  SmallVector<int64_t> shape;
  SmallVector<OpFoldResult> os;
  int64_t j = 0;
  for (int64_t i = 0; i < full.getRank(); ++i) {
    if (llvm::is_contained(axes, i)) {
      shape.push_back(1);
      os.push_back(b.getIndexAttr(1));
    } else {
      shape.push_back(t.getDimSize(j));
      os.push_back(t.isDynamicDim(j) ? OpFoldResult(tensor::DimOp::create(b, loc, v, j).getResult())
                                     : OpFoldResult(b.getIndexAttr(t.getDimSize(j))));
      ++j;
    }
  }
  auto nt = RankedTensorType::get(shape, t.getElementType());
  if (t.getRank() == 0) {
    return tensor::ExpandShapeOp::create(b, loc, nt, v, SmallVector<ReassociationIndices>{}, os);
  }
  // Group each kept dim with the unit dims that precede it; trailing unit
  // dims join the last group.
  SmallVector<ReassociationIndices> re;
  ReassociationIndices cur;
  for (int64_t i = 0; i < full.getRank(); ++i) {
    cur.push_back(i);
    if (!llvm::is_contained(axes, i)) {
      re.push_back(cur);
      cur.clear();
    }
  }
  if (!cur.empty())
    re.back().append(cur.begin(), cur.end());
  return tensor::ExpandShapeOp::create(b, loc, nt, v, re, os);
}

Value countOf(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> axes, Type et) {
  auto t = rtt(x);
  int64_t n = 1;
  bool dyn = false;
  for (int64_t a : axes) {
    if (t.isDynamicDim(a)) dyn = true;
    else n *= t.getDimSize(a);
  }
  if (!dyn)
    return scalar(b, loc, et, n);
  Value c = cIdx(b, loc, 1);
  for (int64_t a : axes)
    c = arith::MulIOp::create(b, loc, c, dimOf(b, loc, x, a));
  Value i = arith::IndexCastOp::create(b, loc, b.getI64Type(), c);
  return arith::SIToFPOp::create(b, loc, et, i);
}

Value divScalar(OpBuilder &b, Location loc, Value v, Value d) {
  auto t = rtt(v);
  SmallVector<Value> dims;
  for (int64_t i = 0; i < t.getRank(); ++i) dims.push_back(dimOf(b, loc, v, i));
  return elementwise(b, loc, t, ValueRange{v}, [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
    return isa<FloatType>(t.getElementType()) ? (Value)arith::DivFOp::create(nb, nl, a[0], d)
                                              : (Value)arith::DivSIOp::create(nb, nl, a[0], d);
  });
}

SmallVector<Value> dimsFromShapeOperand(OpBuilder &b, Location loc, RankedTensorType res, Value shape) {
  SmallVector<Value> dims;
  for (int64_t i = 0; i < res.getRank(); ++i) {
    if (!res.isDynamicDim(i)) {
      dims.push_back(cIdx(b, loc, res.getDimSize(i)));
      continue;
    }
    Value e = tensor::ExtractOp::create(b, loc, shape, ValueRange{cIdx(b, loc, i)});
    dims.push_back(arith::IndexCastOp::create(b, loc, b.getIndexType(), e));
  }
  return dims;
}

Value toIndex(OpBuilder &b, Location loc, Value v) {
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
}

Value scalarOf(OpBuilder &b, Location loc, Value t) {
  SmallVector<Value> idx(rtt(t).getRank(), cIdx(b, loc, 0));
  return tensor::ExtractOp::create(b, loc, t, idx);
}

SmallVector<Value> loopNest(OpBuilder &b, Location loc, ArrayRef<Value> ubs, ValueRange inits,
                            NestBodyFn body) {
  if (ubs.empty())
    return body(b, loc, ValueRange{}, inits);
  SmallVector<Value> lbs(ubs.size(), cIdx(b, loc, 0)), steps(ubs.size(), cIdx(b, loc, 1));
  scf::LoopNest nest = scf::buildLoopNest(
      b, loc, lbs, ubs, steps, inits,
      [&](OpBuilder &nb, Location nl, ValueRange ivs, ValueRange args) -> scf::ValueVector {
        SmallVector<Value> r = body(nb, nl, ivs, args);
        return scf::ValueVector(r.begin(), r.end());
      });
  return SmallVector<Value>(nest.results.begin(), nest.results.end());
}

SmallVector<Value> forLoop(OpBuilder &b, Location loc, Value lb, Value ub, ValueRange inits,
                           function_ref<SmallVector<Value>(OpBuilder &, Location, Value, ValueRange)> body) {
  auto f = scf::ForOp::create(b, loc, lb, ub, cIdx(b, loc, 1), inits,
                              [&](OpBuilder &nb, Location nl, Value iv, ValueRange args) {
                                scf::YieldOp::create(nb, nl, body(nb, nl, iv, args));
                              });
  return SmallVector<Value>(f.getResults().begin(), f.getResults().end());
}

Value tensorLoopNest(OpBuilder &b, Location loc, ArrayRef<Value> ubs, Value init,
                     function_ref<Value(OpBuilder &, Location, ValueRange, Value)> body) {
  return loopNest(b, loc, ubs, init,
                  [&](OpBuilder &nb, Location nl, ValueRange ivs, ValueRange iter) -> SmallVector<Value> {
                    return {body(nb, nl, ivs, iter[0])};
                  })[0];
}

Value qGeneric(OpBuilder &b, Location loc, RankedTensorType res, Value init, ValueRange ins,
               ArrayRef<AffineMap> inMaps, ArrayRef<utils::IteratorType> iters,
               function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  SmallVector<AffineMap> maps(inMaps.begin(), inMaps.end());
  unsigned nLoops = iters.size();
  SmallVector<AffineExpr> outExprs;
  for (int64_t i = 0; i < res.getRank(); ++i)
    outExprs.push_back(b.getAffineDimExpr(i));
  maps.push_back(AffineMap::get(nLoops, 0, outExprs, b.getContext()));
  return linalg::GenericOp::create(b, loc, TypeRange{res}, ins, ValueRange{init}, maps, iters,
                                   [&](OpBuilder &nb, Location nl, ValueRange args) {
                                     linalg::YieldOp::create(nb, nl, body(nb, nl, args));
                                   })
      .getResult(0);
}

Value retypedConstant(OpBuilder &b, Location loc, Value c, RankedTensorType t) {
  auto k = c.getDefiningOp<arith::ConstantOp>();
  if (!k || !t.hasStaticShape())
    return Value();
  if (auto d = dyn_cast<DenseElementsAttr>(k.getValue()))
    return arith::ConstantOp::create(b, loc, t, d.reshape(t));
  if (auto r = dyn_cast<DenseResourceElementsAttr>(k.getValue()))
    return arith::ConstantOp::create(b, loc, t, DenseResourceElementsAttr::get(t, r.getRawHandle()));
  return Value();
}

Value extendToF32(OpBuilder &b, Location loc, Value v) {
  Type f32 = b.getF32Type();
  return elementwise(b, loc, rtt(v).clone(f32), ValueRange{v}, [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
    return arith::ExtFOp::create(nb, nl, f32, a[0]);
  });
}

} // namespace kiln::nn_to_linalg
