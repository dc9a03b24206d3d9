//===- NNToLinalg.cpp - lower nn ops to linalg/tensor/arith/math ----------===//
//
// Every nn op becomes upstream ops on tensors: linalg named ops where one
// exists (matmul, batch_matmul, convolutions, pooling, transpose) so the CPU
// back end can tile and vectorize them, linalg.generic for elementwise ops
// and reductions, and tensor ops for data movement.
//
//===----------------------------------------------------------------------===//

#include "kiln/Conversion/Passes.h"
#include "RuntimeChecks.h" // [runtime-checks]

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/ADT/TypeSwitch.h"

namespace kiln {
#define GEN_PASS_DEF_CONVERTNNTOLINALG
#include "kiln/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;
namespace nn = kiln::nn;

static constexpr int64_t kDyn = ShapedType::kDynamic;

namespace {

RankedTensorType rtt(Value v) { return cast<RankedTensorType>(v.getType()); }

Value cIdx(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}
Value dimOf(OpBuilder &b, Location loc, Value t, int64_t i) {
  auto type = rtt(t);
  if (!type.isDynamicDim(i))
    return cIdx(b, loc, type.getDimSize(i));
  return tensor::DimOp::create(b, loc, t, i);
}

/// Size of dim `i` as an OpFoldResult: an attribute when static.
OpFoldResult mixedDim(OpBuilder &b, Location loc, Value t, int64_t i) {
  auto type = cast<RankedTensorType>(t.getType());
  if (!type.isDynamicDim(i))
    return b.getIndexAttr(type.getDimSize(i));
  return tensor::DimOp::create(b, loc, t, i).getResult();
}

/// tensor.empty of `type`; dynamic sizes from `dims` (one Value per dim of
/// the type, only the dynamic ones are read).
Value empty(OpBuilder &b, Location loc, RankedTensorType type, ArrayRef<Value> dims) {
  SmallVector<Value> dyn;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (type.isDynamicDim(i))
      dyn.push_back(dims[i]);
  return tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType(), dyn);
}

/// One all-parallel linalg.generic over `init` with no inputs: `body`
/// computes each element from the linalg.index values (gathers, pads,
/// resampling).
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

TypedAttr scalarAttr(OpBuilder &b, Type t, double v) {
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

/// Indexing map of an explicit-rank broadcast operand into `res`.
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

/// Result dims of an elementwise op: the first operand whose dim is not a
/// static 1 provides each dynamic size.
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

using BodyFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

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

//===----------------------------------------------------------------------===//
// Scalar bodies
//===----------------------------------------------------------------------===//

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
Value intPowScalar(OpBuilder &b, Location loc, Value x, Value e) {
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
Value intRemScalar(OpBuilder &b, Location loc, Value x, Value y, bool isUnsigned, bool floored) {
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
Value shiftScalar(OpBuilder &b, Location loc, Value x, Value y, bool left) {
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
    // [runtime-checks] A zero divisor (reported by kiln-insert-runtime-checks)
    // and INT_MIN / -1 must not trap: safeSignedDiv (RuntimeChecks.h).
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

//===----------------------------------------------------------------------===//
// Reshapes
//===----------------------------------------------------------------------===//

/// Reshape with explicit result dims (index values for every dim).
Value reshapeWithDims(OpBuilder &b, Location loc, Value x, RankedTensorType res,
                      ArrayRef<Value> dims) {
  auto src = rtt(x);
  if (src == res)
    return x;
  // Prefer collapse/expand when the reassociation is unambiguous.
  if (src.getRank() > res.getRank()) {
    if (auto re = getReassociationIndicesForCollapse(src.getShape(), res.getShape()))
      return tensor::CollapseShapeOp::create(b, loc, res, x, *re);
  } else if (src.getRank() < res.getRank()) {
    if (auto re = getReassociationIndicesForCollapse(res.getShape(), src.getShape())) {
      SmallVector<OpFoldResult> outShape;
      for (int64_t i = 0; i < res.getRank(); ++i)
        outShape.push_back(res.isDynamicDim(i) ? OpFoldResult(dims[i])
                                               : OpFoldResult(b.getIndexAttr(res.getDimSize(i))));
      return tensor::ExpandShapeOp::create(b, loc, res, x, *re, outShape);
    }
  }
  SmallVector<Value> elems;
  for (Value d : dims)
    elems.push_back(arith::IndexCastOp::create(b, loc, b.getI64Type(), d));
  Value shape = tensor::FromElementsOp::create(
      b, loc, RankedTensorType::get({res.getRank()}, b.getI64Type()), elems);
  return tensor::ReshapeOp::create(b, loc, res, x, shape);
}

/// nn.resize: a linalg.generic over the output whose body computes, per
/// resized axis, the source coordinate, the neighbours and their weights
/// (in f64, like ONNX's reference), and reads the input with tensor.extract.
Value lowerResize(OpBuilder &b, Location loc, nn::ResizeOp op) {
  Value in = op.getInput();
  auto inT = rtt(in), res = rtt(op.getResult());
  int64_t r = res.getRank();
  StringRef mode = op.getMode(), cm = op.getCoordinateMode(), nm = op.getNearestMode();
  bool crop = cm == "tf_crop_and_resize";
  Value geom = op.getGeometry();
  Type f64 = b.getF64Type();
  auto cf = [&](OpBuilder &ob, double v) {
    return arith::ConstantOp::create(ob, loc, f64, ob.getF64FloatAttr(v)).getResult();
  };
  auto toF64 = [&](Value idx) {
    return arith::SIToFPOp::create(b, loc, f64, arith::IndexCastOp::create(b, loc, b.getI64Type(), idx))
        .getResult();
  };
  // Per-axis geometry, computed once outside the loop nest: scale, input
  // length, output length and the reference's "output width" scale * in.
  struct Axis {
    bool copy;
    Value s, inLen, inF, outLen, outF, outIsOne;
  };
  SmallVector<Axis> ax(r);
  SmallVector<Value> dims(r);
  for (int64_t d = 0; d < r; ++d) {
    Axis &A = ax[d];
    A.copy = !geom && op.getScales()[d] == 1.0 && inT.getDimSize(d) == res.getDimSize(d) && !crop;
    A.inLen = dimOf(b, loc, in, d);
    if (A.copy) {
      dims[d] = A.inLen;
      continue;
    }
    A.inF = toF64(A.inLen);
    if (!geom) {
      A.s = cf(b, op.getScales()[d]);
      A.outLen = cIdx(b, loc, res.getDimSize(d)); // static (verifier)
    } else {
      Value g = tensor::ExtractOp::create(b, loc, geom, ValueRange{cIdx(b, loc, d)});
      if (op.getGeometryIsSizes()) {
        A.outLen = arith::IndexCastOp::create(b, loc, b.getIndexType(), g);
        A.s = arith::DivFOp::create(b, loc, toF64(A.outLen), A.inF);
      } else {
        A.s = g.getType() == f64 ? g : arith::ExtFOp::create(b, loc, f64, g).getResult();
        Value o = math::FloorOp::create(b, loc, arith::MulFOp::create(b, loc, A.inF, A.s));
        A.outLen = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                              arith::FPToSIOp::create(b, loc, b.getI64Type(), o));
      }
    }
    dims[d] = A.outLen;
    A.outF = arith::MulFOp::create(b, loc, A.s, A.inF);
    A.outIsOne = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, A.outF, cf(b, 1.0));
  }
  Value init = empty(b, loc, res, dims);
  Type elem = res.getElementType();
  // tf_crop_and_resize region bounds (f64): attribute or run-time operand.
  SmallVector<Value> roiV;
  if (crop) {
    for (int64_t i = 0; i < 2 * r; ++i) {
      if (Value ri = op.getRoiInput()) {
        Value v = tensor::ExtractOp::create(b, loc, ri, ValueRange{cIdx(b, loc, i)});
        roiV.push_back(v.getType() == f64 ? v : arith::ExtFOp::create(b, loc, f64, v).getResult());
      } else {
        roiV.push_back(cf(b, op.getRoi()[i]));
      }
    }
  }
  auto roiAt = [&](int64_t i) { return roiV[i]; };
  auto body = [&](OpBuilder &nb, Location nl, ValueRange) {
    auto c = [&](double v) { return cf(nb, v); };
    auto ci = [&](int64_t v) { return arith::ConstantIndexOp::create(nb, nl, v).getResult(); };
    auto add = [&](Value a, Value x) { return arith::AddFOp::create(nb, nl, a, x).getResult(); };
    auto sub = [&](Value a, Value x) { return arith::SubFOp::create(nb, nl, a, x).getResult(); };
    auto mul = [&](Value a, Value x) { return arith::MulFOp::create(nb, nl, a, x).getResult(); };
    auto div = [&](Value a, Value x) { return arith::DivFOp::create(nb, nl, a, x).getResult(); };
    auto sel = [&](Value cond, Value t, Value f) { return arith::SelectOp::create(nb, nl, cond, t, f).getResult(); };
    Value outside; // tf_crop_and_resize: some coordinate falls outside the input
    // Per axis: neighbour indices (clamped) and weights (null = 1).
    SmallVector<SmallVector<Value>> idxs(r), wts(r);
    for (int64_t d = 0; d < r; ++d) {
      Axis &A = ax[d];
      Value o = linalg::IndexOp::create(nb, nl, d);
      if (A.copy) {
        idxs[d] = {o};
        wts[d] = {Value()};
        continue;
      }
      Value x = arith::SIToFPOp::create(nb, nl, f64, arith::IndexCastOp::create(nb, nl, nb.getI64Type(), o));
      Value inM1 = sub(A.inF, c(1.0));
      Value halfPixel = sub(div(add(x, c(0.5)), A.s), c(0.5));
      Value xo;
      if (cm == "half_pixel") {
        xo = halfPixel;
      } else if (cm == "pytorch_half_pixel") {
        xo = sel(A.outIsOne, c(-0.5), halfPixel);
      } else if (cm == "half_pixel_symmetric") {
        Value outI = arith::SIToFPOp::create(nb, nl, f64, arith::IndexCastOp::create(nb, nl, nb.getI64Type(), A.outLen));
        Value adjustment = div(outI, A.outF);
        Value offset = mul(div(A.inF, c(2.0)), sub(c(1.0), adjustment));
        xo = add(offset, halfPixel);
      } else if (cm == "align_corners") {
        xo = sel(A.outIsOne, c(0.0), div(mul(x, inM1), sub(A.outF, c(1.0))));
      } else if (cm == "asymmetric") {
        xo = div(x, A.s);
      } else if (cm == "tf_half_pixel_for_nn") {
        xo = div(add(x, c(0.5)), A.s);
      } else { // tf_crop_and_resize
        Value r0 = roiAt(d), r1 = roiAt(r + d);
        Value span = sub(r1, r0);
        xo = sel(A.outIsOne, div(mul(span, inM1), c(2.0)), div(mul(mul(x, span), inM1), sub(A.outF, c(1.0))));
        xo = add(xo, mul(r0, inM1));
        Value lo = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OLT, xo, c(0.0));
        Value hi = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT, xo, inM1);
        Value out = arith::OrIOp::create(nb, nl, lo, hi);
        outside = outside ? arith::OrIOp::create(nb, nl, outside, out).getResult() : out;
      }
      Value fl = math::FloorOp::create(nb, nl, xo);
      Value ratio = sub(xo, fl);
      Value base = arith::IndexCastOp::create(nb, nl, nb.getIndexType(),
                                              arith::FPToSIOp::create(nb, nl, nb.getI64Type(), fl));
      Value last = arith::SubIOp::create(nb, nl, A.inLen, ci(1));
      auto clampIdx = [&](Value i) {
        Value cl = arith::MaxSIOp::create(nb, nl, i, ci(0));
        return arith::MinSIOp::create(nb, nl, cl, last).getResult();
      };
      auto inRange = [&](Value i) {
        Value ge = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sge, i, ci(0));
        Value lt = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, i, A.inLen);
        return arith::AndIOp::create(nb, nl, ge, lt).getResult();
      };
      if (mode == "nearest") {
        Value up;
        auto cmp = [&](arith::CmpFPredicate p, double v) {
          return arith::CmpFOp::create(nb, nl, p, ratio, c(v)).getResult();
        };
        if (nm == "round_prefer_floor") up = cmp(arith::CmpFPredicate::OGT, 0.5);
        else if (nm == "round_prefer_ceil") up = cmp(arith::CmpFPredicate::OGE, 0.5);
        else if (nm == "ceil") up = cmp(arith::CmpFPredicate::OGT, 0.0);
        Value i = up ? sel(up, arith::AddIOp::create(nb, nl, base, ci(1)), base) : base;
        idxs[d] = {clampIdx(i)};
        wts[d] = {Value()};
        continue;
      }
      SmallVector<Value> w;
      int64_t first;
      if (mode == "linear") {
        w = {sub(c(1.0), ratio), ratio};
        first = 0;
      } else {
        double a = op.getCubicCoeffA().convertToDouble();
        Value r1 = add(ratio, c(1.0)), q = sub(c(1.0), ratio), q1 = add(q, c(1.0));
        auto far = [&](Value t) { // ((a t - 5a) t + 8a) t - 4a
          return sub(mul(add(mul(sub(mul(c(a), t), c(5 * a)), t), c(8 * a)), t), c(4 * a));
        };
        auto near = [&](Value t) { // ((a + 2) t - (a + 3)) t t + 1
          return add(mul(mul(sub(mul(c(a + 2), t), c(a + 3)), t), t), c(1.0));
        };
        w = {far(r1), near(ratio), near(q), far(q1)};
        first = -1;
      }
      SmallVector<Value> ids;
      for (int64_t k = 0; k < (int64_t)w.size(); ++k)
        ids.push_back(arith::AddIOp::create(nb, nl, base, ci(first + k)));
      if (op.getExcludeOutside()) {
        Value sum = c(0.0);
        for (size_t k = 0; k < w.size(); ++k) {
          w[k] = sel(inRange(ids[k]), w[k], c(0.0));
          sum = add(sum, w[k]);
        }
        for (Value &wk : w)
          wk = div(wk, sum);
      }
      for (Value &i : ids)
        i = clampIdx(i);
      idxs[d] = ids;
      wts[d] = w;
    }
    // Sum over the cartesian product of the neighbours.
    bool interp = mode != "nearest";
    Value acc;
    SmallVector<int64_t> k(r, 0);
    while (true) {
      SmallVector<Value> at;
      Value w;
      for (int64_t d = 0; d < r; ++d) {
        at.push_back(idxs[d][k[d]]);
        if (Value wd = wts[d][k[d]])
          w = w ? mul(w, wd) : wd;
      }
      Value v = tensor::ExtractOp::create(nb, nl, in, at);
      if (interp) {
        if (elem != f64)
          v = arith::ExtFOp::create(nb, nl, f64, v);
        Value term = w ? mul(w, v) : v;
        acc = acc ? add(acc, term) : term;
      } else {
        acc = v;
      }
      int64_t d = r - 1;
      while (d >= 0 && ++k[d] == (int64_t)idxs[d].size())
        k[d--] = 0;
      if (d < 0)
        break;
    }
    if (interp && elem != f64)
      acc = arith::TruncFOp::create(nb, nl, elem, acc);
    if (outside) {
      double ev = op.getExtrapolationValue().convertToDouble();
      acc = sel(outside, scalar(nb, nl, elem, ev), acc);
    }
    linalg::YieldOp::create(nb, nl, acc);
  };
  return generateOver(b, loc, init, body);
}

/// nn.einsum: one linalg.generic whose loops are the equation's letters
/// (output letters parallel, the others reductions).
Value lowerEinsum(OpBuilder &b, Location loc, nn::EinsumOp op) {
  StringRef eq = op.getEquation();
  size_t arrow = eq.find("->");
  SmallVector<StringRef> terms;
  eq.take_front(arrow).split(terms, ',');
  StringRef out = eq.drop_front(arrow + 2);
  auto res = rtt(op.getResult());
  // Loop order: output letters, then the summed ones.
  std::string loops = out.str();
  for (StringRef t : terms)
    for (char c : t)
      if (loops.find(c) == std::string::npos)
        loops += c;
  auto loopOf = [&](char c) { return (unsigned)loops.find(c); };
  unsigned n = loops.size();
  SmallVector<AffineMap> maps;
  for (auto [i, t] : llvm::enumerate(terms)) {
    auto in = rtt(op.getInputs()[i]);
    SmallVector<AffineExpr> exprs;
    for (auto kcOuter : llvm::enumerate(t)) {
      int64_t k = kcOuter.index();
      char c = kcOuter.value();
      // A static size-1 dim broadcasts unless every use of the letter is 1.
      bool bcast = in.getDimSize(k) == 1 && llvm::any_of(llvm::enumerate(terms), [&](auto jt) {
                     auto other = rtt(op.getInputs()[jt.index()]);
                     for (auto kc : llvm::enumerate(jt.value()))
                       if (kc.value() == c && other.getDimSize(kc.index()) != 1)
                         return true;
                     return false;
                   });
      exprs.push_back(bcast ? b.getAffineConstantExpr(0) : b.getAffineDimExpr(loopOf(c)));
    }
    maps.push_back(AffineMap::get(n, 0, exprs, b.getContext()));
  }
  SmallVector<AffineExpr> outExprs;
  for (char c : out)
    outExprs.push_back(b.getAffineDimExpr(loopOf(c)));
  maps.push_back(AffineMap::get(n, 0, outExprs, b.getContext()));
  SmallVector<utils::IteratorType> iters;
  for (unsigned l = 0; l < n; ++l)
    iters.push_back(l < out.size() ? utils::IteratorType::parallel : utils::IteratorType::reduction);
  // Result dims: from an input dim with the same letter that is not a broadcast 1.
  SmallVector<Value> dims;
  for (auto [k, c] : llvm::enumerate(out)) {
    Value d;
    if (res.isDynamicDim(k))
      for (auto [i, t] : llvm::enumerate(terms))
        for (auto [kk, cc] : llvm::enumerate(t))
          if (!d && cc == c && rtt(op.getInputs()[i]).getDimSize(kk) != 1)
            d = dimOf(b, loc, op.getInputs()[i], kk);
    dims.push_back(d ? d : cIdx(b, loc, 1));
  }
  Type et = res.getElementType();
  Value init = fillTensor(b, loc, empty(b, loc, res, dims), scalar(b, loc, et, 0));
  return linalg::GenericOp::create(
             b, loc, TypeRange{res}, op.getInputs(), ValueRange{init}, maps, iters,
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               Value p = a[0];
               for (Value v : a.drop_front().drop_back())
                 p = binaryScalar(nb, nl, nn::BinaryKind::mul, p, v);
               linalg::YieldOp::create(nb, nl, binaryScalar(nb, nl, nn::BinaryKind::add, a.back(), p));
             })
      .getResult(0);
}

/// Result dims of an nn.reshape without shape operand: static dims, and the
/// (single) dynamic dim derived from the element count.
SmallVector<Value> derivedReshapeDims(OpBuilder &b, Location loc, Value x, RankedTensorType res) {
  auto src = rtt(x);
  SmallVector<Value> dims;
  Value total = cIdx(b, loc, 1);
  for (int64_t i = 0; i < src.getRank(); ++i)
    total = arith::MulIOp::create(b, loc, total, dimOf(b, loc, x, i));
  int64_t known = 1;
  for (int64_t i = 0; i < res.getRank(); ++i)
    if (!res.isDynamicDim(i))
      known *= res.getDimSize(i);
  for (int64_t i = 0; i < res.getRank(); ++i) {
    if (!res.isDynamicDim(i))
      dims.push_back(cIdx(b, loc, res.getDimSize(i)));
    else
      dims.push_back(known == 0 ? cIdx(b, loc, 0)
                                : (Value)arith::DivUIOp::create(b, loc, total, cIdx(b, loc, known)));
  }
  return dims;
}

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

/// Pads spatial dims of an NC... tensor.
Value padSpatial(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> pads, Value padValue) {
  auto t = rtt(x);
  int64_t ns = t.getRank() - 2;
  bool any = llvm::any_of(pads, [](int64_t p) { return p != 0; });
  if (!any)
    return x;
  SmallVector<int64_t> shape(t.getShape());
  SmallVector<OpFoldResult> lo(t.getRank(), b.getIndexAttr(0)), hi(t.getRank(), b.getIndexAttr(0));
  for (int64_t i = 0; i < ns; ++i) {
    lo[i + 2] = b.getIndexAttr(pads[i]);
    hi[i + 2] = b.getIndexAttr(pads[i + ns]);
    if (shape[i + 2] != kDyn)
      shape[i + 2] += pads[i] + pads[i + ns];
  }
  auto type = RankedTensorType::get(shape, t.getElementType());
  return tensor::PadOp::create(b, loc, type, x, lo, hi, padValue);
}

/// Marks a linalg op that computes part of a fused conv/matmul epilogue; the
/// CPU back end moves it into the tile loops of the conv/matmul that it
/// initializes (bias) or finishes (residual add, activation).
constexpr llvm::StringLiteral kEpilogueAttr = "kiln.epilogue";

/// Accumulator init of a conv/matmul: the bias broadcast along `biasDim`, or
/// zeros.
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

/// Output init for a conv: bias broadcast along channels, or zeros.
Value convInit(OpBuilder &b, Location loc, RankedTensorType res, ArrayRef<Value> dims, Value bias) {
  return epilogueInit(b, loc, res, dims, bias, 1);
}

/// Scalar body of a fused activation (nn.conv / nn.matmul `act`).
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

/// The post-reduction part of a conv/matmul epilogue: `act(v + residual)`
/// (either part optional), computed in place on `v` (an elementwise
/// linalg.generic with `v` as input and init), marked as an epilogue.  The
/// residual is added after the reduction, not used as the accumulator's
/// initial value: accumulating thousands of small products onto a large
/// residual lost precision (BERT's error vs torch grew 5x).
template <typename OpT>
Value applyAct(OpBuilder &b, Location loc, OpT op, Value v, Value residual = Value()) {
  if (!op.getAct() && !residual)
    return v;
  auto t = rtt(v);
  int64_t r = t.getRank();
  std::optional<nn::ActKind> k = op.getAct();
  std::optional<double> alpha = optDouble(op.getActAlpha()), beta = optDouble(op.getActBeta());
  SmallVector<Value> ins{v};
  if (residual)
    ins.push_back(residual);
  // `v` is both an input and the init: one-shot bufferization computes the
  // epilogue in place, and the payload reads only the inputs (elementwise
  // fusion mishandles producers whose payload reads their init when their
  // consumer broadcasts them).
  auto g = linalg::GenericOp::create(
      b, loc, TypeRange{t}, ins, ValueRange{v},
      SmallVector<AffineMap>(ins.size() + 1, b.getMultiDimIdentityMap(r)),
      SmallVector<utils::IteratorType>(r, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value x = a[0];
        if (residual)
          x = arith::AddFOp::create(nb, nl, x, a[1]);
        if (k)
          x = actScalar(nb, nl, *k, alpha, beta, x);
        linalg::YieldOp::create(nb, nl, x);
      });
  g->setAttr(kEpilogueAttr, b.getUnitAttr());
  return g.getResult(0);
}

/// The residual add and activation of a conv/matmul after its reduction.
template <typename OpT>
Value unfusedEpilogue(OpBuilder &b, Location loc, OpT op, Value v) {
  return applyAct(b, loc, op, v, op.getResidual());
}

/// 2-D convolution (NCHW input, FCHW filter) on an already padded input.
FailureOr<Value> conv2D(OpBuilder &b, Location loc, Operation *op, Value x, Value w, Value bias,
                        ArrayRef<int64_t> strides, ArrayRef<int64_t> dil, int64_t groups,
                        RankedTensorType res) {
  auto xt = rtt(x), wt = rtt(w);
  SmallVector<Value> dims{dimOf(b, loc, x, 0), cIdx(b, loc, res.getDimSize(1))};
  for (int64_t i = 2; i < 4; ++i) {
    if (res.isDynamicDim(i)) {
      // out = (in - (k-1)*d - 1) / s + 1 on the padded input.
      Value in = dimOf(b, loc, x, i);
      int64_t ek = dil[i - 2] * (wt.getDimSize(i) - 1) + 1;
      Value v = arith::SubIOp::create(b, loc, in, cIdx(b, loc, ek));
      v = arith::DivUIOp::create(b, loc, v, cIdx(b, loc, strides[i - 2]));
      dims.push_back(arith::AddIOp::create(b, loc, v, cIdx(b, loc, 1)));
    } else {
      dims.push_back(cIdx(b, loc, res.getDimSize(i)));
    }
  }
  auto sAttr = b.getI64TensorAttr(strides);
  auto dAttr = b.getI64TensorAttr(dil);
  int64_t C = xt.getDimSize(1), F = wt.getDimSize(0);
  if (groups == 1) {
    Value init = convInit(b, loc, res, dims, bias);
    return linalg::Conv2DNchwFchwOp::create(b, loc, TypeRange{res}, ValueRange{x, w},
                                            ValueRange{init}, sAttr, dAttr)
        .getResult(0);
  }
  if (C == kDyn || F == kDyn)
    return (LogicalResult)(op->emitError() << "grouped convolution needs static channel counts");
  if (groups == C && F == C && wt.getDimSize(1) == 1) {
    // Depthwise: filter [C, 1, kh, kw] -> [C, kh, kw].
    auto fType = RankedTensorType::get({C, wt.getDimSize(2), wt.getDimSize(3)}, wt.getElementType());
    Value f = tensor::CollapseShapeOp::create(b, loc, fType, w,
                                              SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}});
    Value init = convInit(b, loc, res, dims, bias);
    return linalg::DepthwiseConv2DNchwChwOp::create(b, loc, TypeRange{res}, ValueRange{x, f},
                                                    ValueRange{init}, sAttr, dAttr)
        .getResult(0);
  }
  // General groups: [N, G, C/G, H, W] x [G, F/G, C/G, kh, kw] -> [N, G, F/G, OH, OW].
  int64_t G = groups;
  // Static sizes must be attributes in expand_shape's output_shape.
  auto ofr = [&](int64_t staticSize, Value v) -> OpFoldResult {
    return ShapedType::isDynamic(staticSize) ? OpFoldResult(v) : OpFoldResult(b.getIndexAttr(staticSize));
  };
  SmallVector<OpFoldResult> xs{ofr(xt.getDimSize(0), dims[0]), b.getIndexAttr(G), b.getIndexAttr(C / G)};
  for (int64_t i = 2; i < 4; ++i)
    xs.push_back(xt.isDynamicDim(i) ? OpFoldResult(dimOf(b, loc, x, i)) : OpFoldResult(b.getIndexAttr(xt.getDimSize(i))));
  auto xgT = RankedTensorType::get({xt.getDimSize(0), G, C / G, xt.getDimSize(2), xt.getDimSize(3)},
                                   xt.getElementType());
  Value xg = tensor::ExpandShapeOp::create(b, loc, xgT, x,
                                           SmallVector<ReassociationIndices>{{0}, {1, 2}, {3}, {4}}, xs);
  auto wgT = RankedTensorType::get({G, F / G, wt.getDimSize(1), wt.getDimSize(2), wt.getDimSize(3)},
                                   wt.getElementType());
  Value wg = tensor::ExpandShapeOp::create(b, loc, wgT, w,
                                           SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}, {4}});
  auto rgT = RankedTensorType::get({res.getDimSize(0), G, F / G, res.getDimSize(2), res.getDimSize(3)},
                                   res.getElementType());
  Value init = convInit(b, loc, res, dims, bias);
  SmallVector<OpFoldResult> rs{ofr(res.getDimSize(0), dims[0]), b.getIndexAttr(G), b.getIndexAttr(F / G),
                               ofr(res.getDimSize(2), dims[2]), ofr(res.getDimSize(3), dims[3])};
  Value initG = tensor::ExpandShapeOp::create(b, loc, rgT, init,
                                              SmallVector<ReassociationIndices>{{0}, {1, 2}, {3}, {4}}, rs);
  Value r = linalg::Conv2DNgchwGfchwOp::create(b, loc, TypeRange{rgT}, ValueRange{xg, wg},
                                               ValueRange{initG}, sAttr, dAttr)
                .getResult(0);
  return (Value)tensor::CollapseShapeOp::create(b, loc, res, r,
                                                SmallVector<ReassociationIndices>{{0}, {1, 2}, {3}, {4}});
}

/// Inserts a unit dim at position 2 (1-D spatial -> 2-D).
Value expandTo2D(OpBuilder &b, Location loc, Value v, bool dynDim0) {
  auto t = rtt(v);
  auto nt = RankedTensorType::get({t.getDimSize(0), t.getDimSize(1), 1, t.getDimSize(2)},
                                  t.getElementType());
  SmallVector<OpFoldResult> os{mixedDim(b, loc, v, 0), mixedDim(b, loc, v, 1), b.getIndexAttr(1),
                               mixedDim(b, loc, v, 2)};
  (void)dynDim0;
  return tensor::ExpandShapeOp::create(b, loc, nt, v,
                                       SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}}, os);
}
Value collapseFrom2D(OpBuilder &b, Location loc, Value v) {
  auto t = rtt(v);
  auto nt = RankedTensorType::get({t.getDimSize(0), t.getDimSize(1), t.getDimSize(3)}, t.getElementType());
  return tensor::CollapseShapeOp::create(b, loc, nt, v, SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
}

FailureOr<Value> convGenericND(OpBuilder &b, Location loc, Operation *op, Value xp, Value w, Value bias,
                               ArrayRef<int64_t> strides, ArrayRef<int64_t> dil, int64_t G,
                               RankedTensorType res);
FailureOr<Value> lowerConvTransposeND(OpBuilder &b, nn::ConvTransposeOp op);

FailureOr<Value> lowerConv(OpBuilder &b, nn::ConvOp op) {
  Location loc = op.getLoc();
  auto res = rtt(op.getResult());
  int64_t ns = res.getRank() - 2;
  Type et = res.getElementType();
  Value x = padSpatial(b, loc, op.getInput(), op.getPads(), scalar(b, loc, et, 0));
  Value residual = op.getResidual();
  if (residual && !isa<FloatType>(et))
    return (LogicalResult)(op.emitError() << "a fused residual needs a float result");
  FailureOr<Value> r = failure();
  if (ns == 2) {
    r = conv2D(b, loc, op, x, op.getFilter(), op.getBias(), op.getStrides(), op.getDilations(),
               op.getGroups(), res);
  } else if (ns == 1) {
    Value x2 = expandTo2D(b, loc, x, true), w2 = expandTo2D(b, loc, op.getFilter(), false);
    auto r2 = RankedTensorType::get({res.getDimSize(0), res.getDimSize(1), 1, res.getDimSize(2)}, et);
    r = conv2D(b, loc, op, x2, w2, op.getBias(), {1, op.getStrides()[0]}, {1, op.getDilations()[0]},
               op.getGroups(), r2);
    if (succeeded(r))
      r = applyAct(b, loc, op, *r, residual ? expandTo2D(b, loc, residual, true) : Value());
    if (failed(r))
      return failure();
    return collapseFrom2D(b, loc, *r);
  } else if (ns == 3 && op.getGroups() == 1) {
    SmallVector<Value> dims{dimOf(b, loc, x, 0)};
    for (int64_t i = 1; i < 5; ++i)
      dims.push_back(cIdx(b, loc, res.getDimSize(i)));
    if (llvm::any_of(res.getShape().drop_front(), ShapedType::isDynamic))
      return (LogicalResult)(op.emitError() << "3-D convolution needs static spatial dims");
    Value init = convInit(b, loc, res, dims, op.getBias());
    r = linalg::Conv3DNcdhwFcdhwOp::create(b, loc, TypeRange{res}, ValueRange{x, op.getFilter()},
                                           ValueRange{init}, b.getI64TensorAttr(op.getStrides()),
                                           b.getI64TensorAttr(op.getDilations()))
            .getResult(0);
  } else {
    r = convGenericND(b, loc, op, x, op.getFilter(), op.getBias(), op.getStrides(), op.getDilations(),
                      op.getGroups(), res);
  }
  if (failed(r))
    return failure();
  return unfusedEpilogue(b, loc, op, *r);
}

FailureOr<Value> lowerConvTranspose(OpBuilder &b, nn::ConvTransposeOp op) {
  Location loc = op.getLoc();
  auto res = rtt(op.getResult());
  auto xt = rtt(op.getInput()), wt = rtt(op.getFilter());
  int64_t ns = res.getRank() - 2;
  if (ns != 2 && ns != 1)
    return lowerConvTransposeND(b, op);
  if (!wt.hasStaticShape() || llvm::any_of(xt.getShape().drop_front(), ShapedType::isDynamic))
    return (LogicalResult)(op.emitError() << "transposed convolution needs static channel and spatial dims");
  Type et = res.getElementType();
  Value x = op.getInput(), w = op.getFilter();
  SmallVector<int64_t> strides(op.getStrides()), dil(op.getDilations()), pads(op.getPads()),
      opad(op.getOutputPadding());
  if (ns == 1) {
    x = expandTo2D(b, loc, x, true);
    w = expandTo2D(b, loc, w, false);
    strides.insert(strides.begin(), 1);
    dil.insert(dil.begin(), 1);
    opad.insert(opad.begin(), 0);
    pads = {0, pads[0], 0, pads[1]};
    xt = rtt(x);
    wt = rtt(w);
  }
  int64_t G = op.getGroups(), C = wt.getDimSize(0), Fg = wt.getDimSize(1);
  int64_t kh = wt.getDimSize(2), kw = wt.getDimSize(3);
  // 1. Dilate the input by the strides.
  int64_t H = xt.getDimSize(2), W = xt.getDimSize(3);
  int64_t Hu = (H - 1) * strides[0] + 1, Wu = (W - 1) * strides[1] + 1;
  auto upT = RankedTensorType::get({xt.getDimSize(0), C, Hu, Wu}, et);
  SmallVector<Value> upDims{dimOf(b, loc, x, 0), cIdx(b, loc, C), cIdx(b, loc, Hu), cIdx(b, loc, Wu)};
  Value up = fillTensor(b, loc, empty(b, loc, upT, upDims), scalar(b, loc, et, 0));
  SmallVector<OpFoldResult> offs(4, b.getIndexAttr(0)), sizes{mixedDim(b, loc, x, 0), b.getIndexAttr(C),
                                                             b.getIndexAttr(H), b.getIndexAttr(W)},
      strd{b.getIndexAttr(1), b.getIndexAttr(1), b.getIndexAttr(strides[0]), b.getIndexAttr(strides[1])};
  up = tensor::InsertSliceOp::create(b, loc, x, up, offs, sizes, strd);
  // 2. Pad by d*(k-1) - pad (negative: crop).
  SmallVector<int64_t> p{dil[0] * (kh - 1) - pads[0], dil[1] * (kw - 1) - pads[1],
                         dil[0] * (kh - 1) - pads[2] + opad[0], dil[1] * (kw - 1) - pads[3] + opad[1]};
  SmallVector<int64_t> padPos(4), crop(4);
  for (int i = 0; i < 4; ++i) {
    padPos[i] = std::max<int64_t>(0, p[i]);
    crop[i] = std::max<int64_t>(0, -p[i]);
  }
  Value xp = padSpatial(b, loc, up, padPos, scalar(b, loc, et, 0));
  if (llvm::any_of(crop, [](int64_t c) { return c != 0; })) {
    auto pt = rtt(xp);
    int64_t h2 = pt.getDimSize(2) - crop[0] - crop[2], w2 = pt.getDimSize(3) - crop[1] - crop[3];
    auto ct = RankedTensorType::get({pt.getDimSize(0), C, h2, w2}, et);
    SmallVector<OpFoldResult> o{b.getIndexAttr(0), b.getIndexAttr(0), b.getIndexAttr(crop[0]), b.getIndexAttr(crop[1])};
    SmallVector<OpFoldResult> s{dimOf(b, loc, xp, 0), b.getIndexAttr(C), b.getIndexAttr(h2), b.getIndexAttr(w2)};
    SmallVector<OpFoldResult> one(4, b.getIndexAttr(1));
    xp = tensor::ExtractSliceOp::create(b, loc, ct, xp, o, s, one);
  }
  // 3. Filter [C, F/G, kh, kw] -> flipped [F, C/G, kh, kw]:
  //    W'[g*Fg + f, c, i, j] = W[g*Cg + c, f, kh-1-i, kw-1-j].
  int64_t Cg = C / G, F = Fg * G;
  auto wfT = RankedTensorType::get({F, Cg, kh, kw}, et);
  Value wInit = empty(b, loc, wfT, {});
  Value wf = linalg::GenericOp::create(
                 b, loc, TypeRange{wfT}, ValueRange{}, ValueRange{wInit},
                 SmallVector<AffineMap>{b.getMultiDimIdentityMap(4)},
                 SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel),
                 [&](OpBuilder &nb, Location nl, ValueRange) {
                   Value o = linalg::IndexOp::create(nb, nl, 0), c = linalg::IndexOp::create(nb, nl, 1);
                   Value i = linalg::IndexOp::create(nb, nl, 2), j = linalg::IndexOp::create(nb, nl, 3);
                   Value g = arith::DivUIOp::create(nb, nl, o, cIdx(nb, nl, Fg));
                   Value f = arith::RemUIOp::create(nb, nl, o, cIdx(nb, nl, Fg));
                   Value cin = arith::AddIOp::create(nb, nl, arith::MulIOp::create(nb, nl, g, cIdx(nb, nl, Cg)), c);
                   Value ii = arith::SubIOp::create(nb, nl, cIdx(nb, nl, kh - 1), i);
                   Value jj = arith::SubIOp::create(nb, nl, cIdx(nb, nl, kw - 1), j);
                   Value v = tensor::ExtractOp::create(nb, nl, w, ValueRange{cin, f, ii, jj});
                   linalg::YieldOp::create(nb, nl, v);
                 })
                 .getResult(0);
  auto r2 = ns == 1 ? RankedTensorType::get({res.getDimSize(0), res.getDimSize(1), 1, res.getDimSize(2)}, et) : res;
  auto r = conv2D(b, loc, op, xp, wf, op.getBias(), {1, 1}, dil, G, r2);
  if (failed(r))
    return failure();
  return ns == 1 ? collapseFrom2D(b, loc, *r) : *r;
}

//===----------------------------------------------------------------------===//
// Matmul
//===----------------------------------------------------------------------===//

FailureOr<Value> lowerMatmul(OpBuilder &b, nn::MatmulOp op) {
  Location loc = op.getLoc();
  Value A = op.getLhs(), B = op.getRhs();
  auto at = rtt(A), bt = rtt(B), res = rtt(op.getResult());
  int64_t r = res.getRank();
  Type et = res.getElementType();
  if (at.getRank() != r || bt.getRank() != r)
    return (LogicalResult)(op.emitError() << "operands must have the result's rank (normalized form)");
  Value zero = scalar(b, loc, et, 0);
  Value bias = op.getBias(), residual = op.getResidual();
  if ((bias || residual) && !isa<FloatType>(et))
    return (LogicalResult)(op.emitError() << "a fused bias/residual needs a float result");
  if (r == 2) {
    SmallVector<Value> dims{dimOf(b, loc, A, 0), dimOf(b, loc, B, 1)};
    Value init = epilogueInit(b, loc, res, dims, bias, 1);
    Value mm = linalg::MatmulOp::create(b, loc, TypeRange{res}, ValueRange{A, B}, ValueRange{init}).getResult(0);
    return applyAct(b, loc, op, mm, residual);
  }
  bool rhsUnitBatch = llvm::all_of(bt.getShape().drop_back(2), [](int64_t d) { return d == 1; });
  if (rhsUnitBatch) {
    // Fold the batch dims of A into M: [b..., M, K] -> [B*M, K].
    SmallVector<ReassociationIndices> ra{{}, {r - 1}};
    for (int64_t i = 0; i < r - 1; ++i) ra[0].push_back(i);
    int64_t bm = 1;
    for (int64_t i = 0; i < r - 1; ++i)
      bm = (bm == kDyn || at.getDimSize(i) == kDyn) ? kDyn : bm * at.getDimSize(i);
    auto a2T = RankedTensorType::get({bm, at.getDimSize(r - 1)}, et);
    Value a2 = tensor::CollapseShapeOp::create(b, loc, a2T, A, ra);
    SmallVector<ReassociationIndices> rb{{}, {r - 1}};
    for (int64_t i = 0; i < r - 1; ++i) rb[0].push_back(i);
    auto b2T = RankedTensorType::get({bt.getDimSize(r - 2), bt.getDimSize(r - 1)}, et);
    // A constant rhs (a weight) is re-typed as a 2-D constant over the same
    // data: a collapse_shape of a resource constant does not fold, and the
    // matmul would read its rhs through the collapsed view (many times
    // slower).
    Value b2;
    if (auto k = B.getDefiningOp<arith::ConstantOp>(); k && b2T.hasStaticShape()) {
      if (auto d = dyn_cast<DenseElementsAttr>(k.getValue()))
        b2 = arith::ConstantOp::create(b, loc, b2T, d.reshape(b2T));
      else if (auto r = dyn_cast<DenseResourceElementsAttr>(k.getValue()))
        b2 = arith::ConstantOp::create(b, loc, b2T, DenseResourceElementsAttr::get(b2T, r.getRawHandle()));
    }
    if (!b2)
      b2 = tensor::CollapseShapeOp::create(b, loc, b2T, B, rb);
    auto r2T = RankedTensorType::get({bm, bt.getDimSize(r - 1)}, et);
    SmallVector<Value> dims{dimOf(b, loc, a2, 0), dimOf(b, loc, b2, 1)};
    Value res2 = residual ? (Value)tensor::CollapseShapeOp::create(b, loc, r2T, residual, ra) : Value();
    Value init = epilogueInit(b, loc, r2T, dims, bias, 1);
    Value mm = linalg::MatmulOp::create(b, loc, TypeRange{r2T}, ValueRange{a2, b2}, ValueRange{init}).getResult(0);
    mm = applyAct(b, loc, op, mm, res2);
    SmallVector<OpFoldResult> os;
    for (int64_t i = 0; i < r - 1; ++i)
      os.push_back(at.isDynamicDim(i) ? OpFoldResult(dimOf(b, loc, A, i)) : OpFoldResult(b.getIndexAttr(at.getDimSize(i))));
    os.push_back(bt.isDynamicDim(r - 1) ? OpFoldResult(dimOf(b, loc, B, r - 1)) : OpFoldResult(b.getIndexAttr(bt.getDimSize(r - 1))));
    return (Value)tensor::ExpandShapeOp::create(b, loc, res, mm, ra, os);
  }
  // General: broadcast both to the full batch, collapse the batch dims.
  SmallVector<Value> resDims;
  for (int64_t i = 0; i < r - 2; ++i) {
    Value d = at.getDimSize(i) != 1 ? dimOf(b, loc, A, i) : dimOf(b, loc, B, i);
    resDims.push_back(d);
  }
  auto bcast = [&](Value v, int64_t m, int64_t n, Value dm, Value dn) -> Value {
    auto t = rtt(v);
    SmallVector<int64_t> shape(res.getShape().drop_back(2));
    shape.push_back(m);
    shape.push_back(n);
    auto full = RankedTensorType::get(shape, et);
    bool needs = false;
    for (int64_t i = 0; i < r - 2; ++i)
      if (t.getDimSize(i) == 1 && full.getDimSize(i) != 1) needs = true;
    if (!needs)
      return v;
    SmallVector<Value> dims(resDims);
    dims.push_back(dm);
    dims.push_back(dn);
    return elementwise(b, loc, full, ValueRange{v}, [](OpBuilder &, Location, ValueRange a) { return a[0]; });
  };
  A = bcast(A, at.getDimSize(r - 2), at.getDimSize(r - 1), dimOf(b, loc, A, r - 2), dimOf(b, loc, A, r - 1));
  B = bcast(B, bt.getDimSize(r - 2), bt.getDimSize(r - 1), dimOf(b, loc, B, r - 2), dimOf(b, loc, B, r - 1));
  at = rtt(A);
  bt = rtt(B);
  SmallVector<ReassociationIndices> re{{}, {r - 2}, {r - 1}};
  for (int64_t i = 0; i < r - 2; ++i) re[0].push_back(i);
  int64_t batch = 1;
  for (int64_t i = 0; i < r - 2; ++i)
    batch = (batch == kDyn || res.getDimSize(i) == kDyn) ? kDyn : batch * res.getDimSize(i);
  auto a3T = RankedTensorType::get({batch, at.getDimSize(r - 2), at.getDimSize(r - 1)}, et);
  auto b3T = RankedTensorType::get({batch, bt.getDimSize(r - 2), bt.getDimSize(r - 1)}, et);
  Value a3 = tensor::CollapseShapeOp::create(b, loc, a3T, A, re);
  Value b3 = tensor::CollapseShapeOp::create(b, loc, b3T, B, re);
  auto r3T = RankedTensorType::get({batch, at.getDimSize(r - 2), bt.getDimSize(r - 1)}, et);
  SmallVector<Value> dims{dimOf(b, loc, a3, 0), dimOf(b, loc, a3, 1), dimOf(b, loc, b3, 2)};
  Value init = fillTensor(b, loc, empty(b, loc, r3T, dims), zero);
  Value mm = linalg::BatchMatmulOp::create(b, loc, TypeRange{r3T}, ValueRange{a3, b3}, ValueRange{init}).getResult(0);
  SmallVector<OpFoldResult> os;
  for (int64_t i = 0; i < r - 2; ++i)
    os.push_back(res.isDynamicDim(i) ? OpFoldResult(resDims[i]) : OpFoldResult(b.getIndexAttr(res.getDimSize(i))));
  os.push_back(r3T.isDynamicDim(1) ? OpFoldResult(dims[1]) : OpFoldResult(b.getIndexAttr(r3T.getDimSize(1))));
  os.push_back(r3T.isDynamicDim(2) ? OpFoldResult(dims[2]) : OpFoldResult(b.getIndexAttr(r3T.getDimSize(2))));
  Value y = tensor::ExpandShapeOp::create(b, loc, res, mm, re, os);
  if (bias) {
    SmallVector<int64_t> bshape(r, 1);
    bshape[r - 1] = rtt(bias).getDimSize(0);
    SmallVector<ReassociationIndices> bre{{}};
    for (int64_t i = 0; i < r; ++i) bre.back().push_back(i);
    Value bN = tensor::ExpandShapeOp::create(b, loc, RankedTensorType::get(bshape, et), bias, bre);
    y = elementwise(b, loc, res, ValueRange{y, bN}, [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
      return arith::AddFOp::create(nb, nl, a[0], a[1]);
    });
  }
  return unfusedEpilogue(b, loc, op, y);
}

//===----------------------------------------------------------------------===//
// Reductions (generic over a set of axes)
//===----------------------------------------------------------------------===//

/// |v| for a signless integer with arith only (math.absi has no LLVM lowering here).
Value absInt(OpBuilder &b, Location loc, Value v) {
  Value zero = arith::ConstantOp::create(b, loc, v.getType(), b.getIntegerAttr(v.getType(), 0));
  Value neg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, v, zero);
  return arith::SelectOp::create(b, loc, neg, arith::SubIOp::create(b, loc, zero, v), v);
}

/// Reduces `x` over `axes` (sorted) with `combine`, starting from `initV`.
/// Returns a tensor without the reduced dims.
Value reduceGeneric(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> axes, Value initV,
                    function_ref<Value(OpBuilder &, Location, Value, Value)> combine,
                    function_ref<Value(OpBuilder &, Location, Value)> pre = nullptr) {
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

/// Re-inserts unit dims at `axes` so `v` has rank `rank`.
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

/// Divides every element of `v` by the scalar `d`.
Value divScalar(OpBuilder &b, Location loc, Value v, Value d) {
  auto t = rtt(v);
  SmallVector<Value> dims;
  for (int64_t i = 0; i < t.getRank(); ++i) dims.push_back(dimOf(b, loc, v, i));
  return elementwise(b, loc, t, ValueRange{v}, [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
    return isa<FloatType>(t.getElementType()) ? (Value)arith::DivFOp::create(nb, nl, a[0], d)
                                              : (Value)arith::DivSIOp::create(nb, nl, a[0], d);
  });
}

FailureOr<Value> lowerReduce(OpBuilder &b, nn::ReduceOp op) {
  Location loc = op.getLoc();
  Value x = op.getInput();
  auto t = rtt(x);
  Type et = t.getElementType();
  bool isF = isa<FloatType>(et);
  SmallVector<int64_t> axes(op.getAxes());
  Value r;
  switch (op.getKind()) {
  case nn::ReduceKind::sum:
  case nn::ReduceKind::mean:
    r = reduceGeneric(b, loc, x, axes, scalar(b, loc, et, 0), [&](OpBuilder &nb, Location nl, Value a, Value c) {
      return binaryScalar(nb, nl, nn::BinaryKind::add, a, c);
    });
    if (op.getKind() == nn::ReduceKind::mean) {
      // Integer mean: sum / count truncated toward zero (numpy's mean cast
      // back to the integer type).
      Value cnt = countOf(b, loc, x, axes, isF ? et : b.getF64Type());
      if (!isF)
        cnt = arith::FPToSIOp::create(b, loc, et, cnt);
      r = divScalar(b, loc, r, cnt);
    }
    break;
  case nn::ReduceKind::max:
    r = reduceGeneric(b, loc, x, axes, lowest(b, loc, et), [&](OpBuilder &nb, Location nl, Value a, Value c) {
      return binaryScalar(nb, nl, nn::BinaryKind::max, a, c);
    });
    break;
  case nn::ReduceKind::min:
    r = reduceGeneric(b, loc, x, axes, highest(b, loc, et), [&](OpBuilder &nb, Location nl, Value a, Value c) {
      return binaryScalar(nb, nl, nn::BinaryKind::min, a, c);
    });
    break;
  case nn::ReduceKind::prod:
    r = reduceGeneric(b, loc, x, axes, scalar(b, loc, et, 1), [&](OpBuilder &nb, Location nl, Value a, Value c) {
      return binaryScalar(nb, nl, nn::BinaryKind::mul, a, c);
    });
    break;
  case nn::ReduceKind::l1:
  case nn::ReduceKind::l2:
  case nn::ReduceKind::sum_square:
  case nn::ReduceKind::log_sum: {
    nn::ReduceKind k = op.getKind();
    if (!isF && (k == nn::ReduceKind::l2 || k == nn::ReduceKind::log_sum))
      return (LogicalResult)(op.emitError() << "reduction '" << nn::stringifyReduceKind(k)
                                            << "' needs a float element type");
    r = reduceGeneric(
        b, loc, x, axes, scalar(b, loc, et, 0),
        [&](OpBuilder &nb, Location nl, Value a, Value c) { return binaryScalar(nb, nl, nn::BinaryKind::add, a, c); },
        [&](OpBuilder &nb, Location nl, Value v) -> Value {
          if (k == nn::ReduceKind::l1)
            return isF ? (Value)math::AbsFOp::create(nb, nl, v) : absInt(nb, nl, v);
          if (k == nn::ReduceKind::l2 || k == nn::ReduceKind::sum_square)
            return binaryScalar(nb, nl, nn::BinaryKind::mul, v, v);
          return v;
        });
    if (k == nn::ReduceKind::l2 || k == nn::ReduceKind::log_sum)
      r = elementwise(b, loc, rtt(r), ValueRange{r}, [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        return k == nn::ReduceKind::l2 ? (Value)math::SqrtOp::create(nb, nl, a[0])
                                       : (Value)math::LogOp::create(nb, nl, a[0]);
      });
    break;
  }
  case nn::ReduceKind::log_sum_exp: {
    if (!isF)
      return (LogicalResult)(op.emitError() << "reduction 'log_sum_exp' needs a float element type");
    // Stable form: m + log(sum(exp(x - m))) with m the max (0 where the max
    // is infinite, so that an all -inf set gives -inf, not NaN).
    Value mx = reduceGeneric(b, loc, x, axes, lowest(b, loc, et), [&](OpBuilder &nb, Location nl, Value a, Value c) {
      return binaryScalar(nb, nl, nn::BinaryKind::max, a, c);
    });
    mx = elementwise(b, loc, rtt(mx), ValueRange{mx}, [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
      Value inf = highest(nb, nl, et);
      Value absM = math::AbsFOp::create(nb, nl, a[0]);
      Value isInf = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ, absM, inf);
      return arith::SelectOp::create(nb, nl, isInf, scalar(nb, nl, et, 0), a[0]);
    });
    Value mxKeep = keepDims(b, loc, mx, axes, t);
    Value e = elementwise(b, loc, t, ValueRange{x, mxKeep}, [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
      return math::ExpOp::create(nb, nl, arith::SubFOp::create(nb, nl, a[0], a[1]));
    });
    Value sum = reduceGeneric(b, loc, e, axes, scalar(b, loc, et, 0), [](OpBuilder &nb, Location nl, Value a, Value c) {
      return (Value)arith::AddFOp::create(nb, nl, a, c);
    });
    r = elementwise(b, loc, rtt(sum), ValueRange{sum, mx}, [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
      return arith::AddFOp::create(nb, nl, math::LogOp::create(nb, nl, a[0]), a[1]);
    });
    break;
  }
  }
  if (op.getKeepdims())
    r = keepDims(b, loc, r, axes, t);
  if (r.getType() != op.getType())
    r = tensor::CastOp::create(b, loc, op.getType(), r);
  return r;
}

//===----------------------------------------------------------------------===//
// Softmax and layer norm
//===----------------------------------------------------------------------===//

/// Applies body(x, stat...) elementwise where stats are reduced over `axes`.
Value withStats(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> axes, ValueRange stats,
                function_ref<Value(OpBuilder &, Location, ValueRange)> body, ValueRange extra = {},
                ArrayRef<AffineMap> extraMaps = {}) {
  auto t = rtt(x);
  SmallVector<AffineExpr> se;
  for (int64_t i = 0; i < t.getRank(); ++i)
    if (!llvm::is_contained(axes, i))
      se.push_back(b.getAffineDimExpr(i));
  AffineMap sm = AffineMap::get(t.getRank(), 0, se, b.getContext());
  SmallVector<AffineMap> maps{b.getMultiDimIdentityMap(t.getRank())};
  SmallVector<Value> ins{x};
  for (Value s : stats) {
    maps.push_back(sm);
    ins.push_back(s);
  }
  for (auto [v, m] : llvm::zip(extra, extraMaps)) {
    ins.push_back(v);
    maps.push_back(m);
  }
  maps.push_back(b.getMultiDimIdentityMap(t.getRank()));
  SmallVector<Value> dims;
  for (int64_t i = 0; i < t.getRank(); ++i) dims.push_back(dimOf(b, loc, x, i));
  Value init = empty(b, loc, t, dims);
  SmallVector<utils::IteratorType> iters(t.getRank(), utils::IteratorType::parallel);
  return linalg::GenericOp::create(b, loc, TypeRange{t}, ins, ValueRange{init}, maps, iters,
                                   [&](OpBuilder &nb, Location nl, ValueRange a) {
                                     linalg::YieldOp::create(nb, nl, body(nb, nl, a.drop_back()));
                                   })
      .getResult(0);
}

FailureOr<Value> lowerSoftmax(OpBuilder &b, nn::SoftmaxOp op) {
  Location loc = op.getLoc();
  Value x = op.getInput();
  Type et = rtt(x).getElementType();
  SmallVector<int64_t> axes{(int64_t)op.getAxis()};
  Value mx = reduceGeneric(b, loc, x, axes, lowest(b, loc, et), [](OpBuilder &nb, Location nl, Value a, Value c) {
    return (Value)arith::MaximumFOp::create(nb, nl, a, c);
  });
  Value e = withStats(b, loc, x, axes, mx, [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
    return math::ExpOp::create(nb, nl, arith::SubFOp::create(nb, nl, a[0], a[1]));
  });
  Value sum = reduceGeneric(b, loc, e, axes, scalar(b, loc, et, 0), [](OpBuilder &nb, Location nl, Value a, Value c) {
    return (Value)arith::AddFOp::create(nb, nl, a, c);
  });
  if (op.getLog()) {
    return withStats(b, loc, x, axes, ValueRange{mx, sum}, [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
      Value s = arith::SubFOp::create(nb, nl, a[0], a[1]);
      return arith::SubFOp::create(nb, nl, s, math::LogOp::create(nb, nl, a[2]));
    });
  }
  return withStats(b, loc, e, axes, sum, [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
    return arith::DivFOp::create(nb, nl, a[0], a[1]);
  });
}

FailureOr<Value> lowerLayerNorm(OpBuilder &b, nn::LayerNormOp op) {
  Location loc = op.getLoc();
  Value x = op.getInput();
  auto t = rtt(x);
  Type et = t.getElementType();
  SmallVector<int64_t> axes;
  for (int64_t i = op.getAxis(); i < t.getRank(); ++i) axes.push_back(i);
  Value cnt = countOf(b, loc, x, axes, et);
  Value sum = reduceGeneric(b, loc, x, axes, scalar(b, loc, et, 0), [](OpBuilder &nb, Location nl, Value a, Value c) {
    return (Value)arith::AddFOp::create(nb, nl, a, c);
  });
  Value mean = divScalar(b, loc, sum, cnt);
  Value centered = withStats(b, loc, x, axes, mean, [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
    return arith::SubFOp::create(nb, nl, a[0], a[1]);
  });
  Value sq = reduceGeneric(b, loc, centered, axes, scalar(b, loc, et, 0),
                           [](OpBuilder &nb, Location nl, Value a, Value c) {
                             return (Value)arith::AddFOp::create(nb, nl, a, c);
                           },
                           [](OpBuilder &nb, Location nl, Value v) { return (Value)arith::MulFOp::create(nb, nl, v, v); });
  Value var = divScalar(b, loc, sq, cnt);
  double eps = op.getEpsilon().convertToDouble();
  // Scale/bias map onto the trailing dims (numpy-aligned, size-1 broadcast).
  auto trailingMap = [&](Value v) {
    auto vt = rtt(v);
    SmallVector<AffineExpr> e;
    int64_t off = t.getRank() - vt.getRank();
    for (int64_t i = 0; i < vt.getRank(); ++i)
      e.push_back(vt.getDimSize(i) == 1 && t.getDimSize(i + off) != 1 ? b.getAffineConstantExpr(0)
                                                                        : b.getAffineDimExpr(i + off));
    return AffineMap::get(t.getRank(), 0, e, b.getContext());
  };
  SmallVector<Value> extra{op.getScale()};
  SmallVector<AffineMap> extraMaps{trailingMap(op.getScale())};
  if (op.getBias()) {
    extra.push_back(op.getBias());
    extraMaps.push_back(trailingMap(op.getBias()));
  }
  bool hasBias = (bool)op.getBias();
  return withStats(b, loc, centered, axes, var,
                   [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                     Value ve = arith::AddFOp::create(nb, nl, a[1], scalar(nb, nl, et, eps));
                     Value inv = arith::DivFOp::create(nb, nl, scalar(nb, nl, et, 1.0), math::SqrtOp::create(nb, nl, ve));
                     Value y = arith::MulFOp::create(nb, nl, arith::MulFOp::create(nb, nl, a[0], inv), a[2]);
                     if (hasBias) y = arith::AddFOp::create(nb, nl, y, a[3]);
                     return y;
                   },
                   extra, extraMaps);
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

FailureOr<Value> lowerPoolND(OpBuilder &b, nn::PoolOp op);

/// Average-pool divisor per output position (compile time, any rank): the
/// number of window elements inside the input (or inside the input plus
/// the explicit pads with count_include_pad).
SmallVector<double> poolDivisors(ArrayRef<int64_t> in, ArrayRef<int64_t> out, ArrayRef<int64_t> k,
                                 ArrayRef<int64_t> s, ArrayRef<int64_t> d, ArrayRef<int64_t> pads,
                                 ArrayRef<int64_t> ep, bool cip) {
  int64_t ns = in.size(), nOut = 1, nK = 1;
  for (int64_t i = 0; i < ns; ++i) {
    nOut *= out[i];
    nK *= k[i];
  }
  SmallVector<double> div(nOut);
  for (int64_t o = 0; o < nOut; ++o) {
    SmallVector<int64_t> oi(ns);
    for (int64_t i = ns - 1, rem = o; i >= 0; --i) {
      oi[i] = rem % out[i];
      rem /= out[i];
    }
    int64_t cnt = 0;
    for (int64_t kk = 0; kk < nK; ++kk) {
      bool inInput = true, inExplicit = true;
      for (int64_t i = ns - 1, rem = kk; i >= 0; --i) {
        int64_t ki = rem % k[i];
        rem /= k[i];
        int64_t h = oi[i] * s[i] + ki * d[i] - pads[i];
        inInput &= h >= 0 && h < in[i];
        inExplicit &= h >= -ep[i] && h < in[i] + ep[i + ns];
      }
      if (cip ? inExplicit : inInput)
        ++cnt;
    }
    div[o] = std::max<int64_t>(cnt, 1);
  }
  return div;
}

/// Divides the window sums `r` (of type `res`, NC + spatial) by the divisors
/// of poolDivisors: one scalar when they are all equal, else a constant
/// [1, 1, spatial...] tensor.
Value divideByPoolDivisors(OpBuilder &b, Location loc, Value r, RankedTensorType res,
                           ArrayRef<double> div) {
  Type et = res.getElementType();
  if (llvm::all_of(div, [&](double v) { return v == div[0]; }))
    return divScalar(b, loc, r, scalar(b, loc, et, div[0]));
  SmallVector<int64_t> dshape{1, 1};
  dshape.append(res.getShape().begin() + 2, res.getShape().end());
  auto dT = RankedTensorType::get(dshape, et);
  SmallVector<APFloat> vals;
  for (double v : div) {
    APFloat f(v);
    bool lost;
    f.convert(cast<FloatType>(et).getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
    vals.push_back(f);
  }
  Value dv = arith::ConstantOp::create(b, loc, dT, DenseElementsAttr::get(dT, vals));
  return elementwise(b, loc, res, ValueRange{r, dv}, [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
    return arith::DivFOp::create(nb, nl, a[0], a[1]);
  });
}

FailureOr<Value> lowerPool(OpBuilder &b, nn::PoolOp op) {
  Location loc = op.getLoc();
  auto res = rtt(op.getResult());
  Type et = res.getElementType();
  int64_t ns = res.getRank() - 2;
  Value x = op.getInput();
  SmallVector<int64_t> k(op.getKernel()), s(op.getStrides()), d(op.getDilations()), pads(op.getPads());
  bool isMax = op.getKind() == nn::PoolKind::max;
  if (ns == 1) {
    x = expandTo2D(b, loc, x, true);
    k.insert(k.begin(), 1);
    s.insert(s.begin(), 1);
    d.insert(d.begin(), 1);
    pads = {0, pads[0], 0, pads[1]};
  } else if (ns != 2) {
    return lowerPoolND(b, op);
  }
  auto res2 = ns == 1 ? RankedTensorType::get({res.getDimSize(0), res.getDimSize(1), 1, res.getDimSize(2)}, et) : res;
  Value padV = isMax ? lowest(b, loc, et) : scalar(b, loc, et, 0);
  Value xp = padSpatial(b, loc, x, pads, padV);
  SmallVector<Value> dims{dimOf(b, loc, x, 0), dimOf(b, loc, x, 1)};
  for (int64_t i = 2; i < 4; ++i) {
    if (!res2.isDynamicDim(i)) {
      dims.push_back(cIdx(b, loc, res2.getDimSize(i)));
      continue;
    }
    int64_t ek = d[i - 2] * (k[i - 2] - 1) + 1;
    Value v = arith::SubIOp::create(b, loc, dimOf(b, loc, xp, i), cIdx(b, loc, ek));
    v = arith::DivUIOp::create(b, loc, v, cIdx(b, loc, s[i - 2]));
    dims.push_back(arith::AddIOp::create(b, loc, v, cIdx(b, loc, 1)));
  }
  Value init = fillTensor(b, loc, empty(b, loc, res2, dims), padV);
  Value window = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{k[0], k[1]}, et);
  auto sAttr = b.getI64TensorAttr(s), dAttr = b.getI64TensorAttr(d);
  Value r;
  if (isMax) {
    r = linalg::PoolingNchwMaxOp::create(b, loc, TypeRange{res2}, ValueRange{xp, window}, ValueRange{init}, sAttr, dAttr)
            .getResult(0);
  } else {
    r = linalg::PoolingNchwSumOp::create(b, loc, TypeRange{res2}, ValueRange{xp, window}, ValueRange{init}, sAttr, dAttr)
            .getResult(0);
    // Divisor per output position, computed at compile time.
    SmallVector<int64_t> ep(op.getExplicitPads());
    if (ns == 1) ep = {0, ep[0], 0, ep[1]};
    SmallVector<double> div = poolDivisors(rtt(x).getShape().drop_front(2), res2.getShape().drop_front(2),
                                           k, s, d, pads, ep, op.getCountIncludePad());
    r = divideByPoolDivisors(b, loc, r, res2, div);
  }
  return ns == 1 ? collapseFrom2D(b, loc, r) : r;
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

FailureOr<Value> lowerSlice(OpBuilder &b, nn::SliceOp op) {
  Location loc = op.getLoc();
  auto res = rtt(op.getResult());
  Value x = op.getInput();
  bool negative = llvm::any_of(op.getStrides(), [](int64_t s) { return s < 0; });
  SmallVector<Value> dims;
  for (int64_t i = 0; i < res.getRank(); ++i)
    dims.push_back(res.isDynamicDim(i) ? dimOf(b, loc, x, i) : cIdx(b, loc, res.getDimSize(i)));
  if (!negative) {
    SmallVector<OpFoldResult> offs, sizes, strides;
    for (int64_t i = 0; i < res.getRank(); ++i) {
      offs.push_back(b.getIndexAttr(op.getOffsets()[i]));
      sizes.push_back(res.isDynamicDim(i) ? OpFoldResult(dims[i]) : OpFoldResult(b.getIndexAttr(res.getDimSize(i))));
      strides.push_back(b.getIndexAttr(op.getStrides()[i]));
    }
    return (Value)tensor::ExtractSliceOp::create(b, loc, res, x, offs, sizes, strides);
  }
  Value init = empty(b, loc, res, dims);
  return generateOver(b, loc, init,
             [&](OpBuilder &nb, Location nl, ValueRange) {
               SmallVector<Value> idx;
               for (int64_t i = 0; i < res.getRank(); ++i) {
                 Value iv = linalg::IndexOp::create(nb, nl, i);
                 Value v = arith::AddIOp::create(nb, nl, cIdx(nb, nl, op.getOffsets()[i]),
                                                 arith::MulIOp::create(nb, nl, iv, cIdx(nb, nl, op.getStrides()[i])));
                 idx.push_back(v);
               }
               linalg::YieldOp::create(nb, nl, tensor::ExtractOp::create(nb, nl, x, idx).getResult());
             });
}

FailureOr<Value> lowerGather(OpBuilder &b, nn::GatherOp op) {
  Location loc = op.getLoc();
  auto res = rtt(op.getResult());
  Value x = op.getInput(), ind = op.getIndices();
  auto it = rtt(ind);
  int64_t axis = op.getAxis(), ir = it.getRank();
  SmallVector<Value> dims;
  for (int64_t i = 0; i < res.getRank(); ++i) {
    if (i < axis) dims.push_back(dimOf(b, loc, x, i));
    else if (i < axis + ir) dims.push_back(dimOf(b, loc, ind, i - axis));
    else dims.push_back(dimOf(b, loc, x, i - ir + 1));
  }
  Value init = empty(b, loc, res, dims);
  SmallVector<AffineExpr> ie;
  for (int64_t i = 0; i < ir; ++i) ie.push_back(b.getAffineDimExpr(axis + i));
  SmallVector<AffineMap> maps{AffineMap::get(res.getRank(), 0, ie, b.getContext()),
                              b.getMultiDimIdentityMap(res.getRank())};
  Value axisDim = dimOf(b, loc, x, axis);
  return linalg::GenericOp::create(
             b, loc, TypeRange{res}, ValueRange{ind}, ValueRange{init}, maps,
             SmallVector<utils::IteratorType>(res.getRank(), utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               Value iv = arith::IndexCastOp::create(nb, nl, nb.getIndexType(), a[0]);
               Value neg = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, iv, cIdx(nb, nl, 0));
               Value wrapped = arith::AddIOp::create(nb, nl, iv, axisDim);
               iv = arith::SelectOp::create(nb, nl, neg, wrapped, iv);
               // Clamp so a bad index cannot read out of bounds.
               iv = arith::MaxSIOp::create(nb, nl, iv, cIdx(nb, nl, 0));
               iv = arith::MinSIOp::create(nb, nl, iv, arith::SubIOp::create(nb, nl, axisDim, cIdx(nb, nl, 1)));
               SmallVector<Value> idx;
               for (int64_t i = 0; i < rtt(x).getRank(); ++i) {
                 if (i < axis) idx.push_back(linalg::IndexOp::create(nb, nl, i));
                 else if (i == axis) idx.push_back(iv);
                 else idx.push_back(linalg::IndexOp::create(nb, nl, i + ir - 1));
               }
               linalg::YieldOp::create(nb, nl, tensor::ExtractOp::create(nb, nl, x, idx).getResult());
             })
      .getResult(0);
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

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

// ---- conformance [elementwise]: add new entries above this line ----

/// An integer index element as `index`, negative values wrapped by `dim`
/// and the result clamped into [0, dim) so that a bad index cannot touch
/// memory outside the tensor.
Value wrapIndex(OpBuilder &b, Location loc, Value v, Value dim) {
  if (!v.getType().isIndex())
    v = arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
  Value zero = cIdx(b, loc, 0);
  Value neg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, v, zero);
  v = arith::SelectOp::create(b, loc, neg, arith::AddIOp::create(b, loc, v, dim), v);
  v = arith::MaxSIOp::create(b, loc, v, zero);
  return arith::MinSIOp::create(b, loc, v, arith::SubIOp::create(b, loc, dim, cIdx(b, loc, 1)));
}

/// Stores update `upd` at `dst` of the scatter accumulator `acc`, combined
/// with the value there by `reduction` (none: the update replaces it).
Value scatterStore(OpBuilder &b, Location loc, StringRef reduction, Value acc, ValueRange dst, Value upd) {
  std::optional<nn::BinaryKind> k = llvm::StringSwitch<std::optional<nn::BinaryKind>>(reduction)
                                        .Case("add", nn::BinaryKind::add)
                                        .Case("mul", nn::BinaryKind::mul)
                                        .Case("max", nn::BinaryKind::max)
                                        .Case("min", nn::BinaryKind::min)
                                        .Default(std::nullopt);
  if (k)
    upd = binaryScalar(b, loc, *k, tensor::ExtractOp::create(b, loc, acc, dst), upd);
  return tensor::InsertOp::create(b, loc, upd, acc, dst);
}

SmallVector<Value> allDims(OpBuilder &b, Location loc, Value t) {
  SmallVector<Value> dims;
  for (int64_t i = 0; i < rtt(t).getRank(); ++i)
    dims.push_back(dimOf(b, loc, t, i));
  return dims;
}

Value toIndex(OpBuilder &b, Location loc, Value v) {
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
}
/// The single element of a 0-d or 1-element tensor.
Value scalarOf(OpBuilder &b, Location loc, Value t) {
  SmallVector<Value> idx(rtt(t).getRank(), cIdx(b, loc, 0));
  return tensor::ExtractOp::create(b, loc, t, idx);
}
using NestBodyFn = function_ref<SmallVector<Value>(OpBuilder &, Location, ValueRange, ValueRange)>;

/// scf.for loop nest over [0, ub) per entry of `ubs`, carrying `inits`
/// (no loop at all when `ubs` is empty).
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
/// One scf.for over [lb, ub).
SmallVector<Value> forLoop(OpBuilder &b, Location loc, Value lb, Value ub, ValueRange inits,
                           function_ref<SmallVector<Value>(OpBuilder &, Location, Value, ValueRange)> body) {
  auto f = scf::ForOp::create(b, loc, lb, ub, cIdx(b, loc, 1), inits,
                              [&](OpBuilder &nb, Location nl, Value iv, ValueRange args) {
                                scf::YieldOp::create(nb, nl, body(nb, nl, iv, args));
                              });
  return SmallVector<Value>(f.getResults().begin(), f.getResults().end());
}
/// loopNest carrying one tensor; `body` returns the updated tensor.
Value tensorLoopNest(OpBuilder &b, Location loc, ArrayRef<Value> ubs, Value init,
                     function_ref<Value(OpBuilder &, Location, ValueRange, Value)> body) {
  return loopNest(b, loc, ubs, init,
                  [&](OpBuilder &nb, Location nl, ValueRange ivs, ValueRange iter) -> SmallVector<Value> {
                    return {body(nb, nl, ivs, iter[0])};
                  })[0];
}

FailureOr<Value> lowerGatherElements(OpBuilder &b, nn::GatherElementsOp op) {
  Location loc = op.getLoc();
  auto res = rtt(op.getResult());
  Value x = op.getInput(), ind = op.getIndices();
  int64_t axis = op.getAxis(), r = res.getRank();
  Value init = empty(b, loc, res, allDims(b, loc, ind));
  Value axisDim = dimOf(b, loc, x, axis);
  SmallVector<AffineMap> maps(2, b.getMultiDimIdentityMap(r));
  return linalg::GenericOp::create(
             b, loc, TypeRange{res}, ValueRange{ind}, ValueRange{init}, maps,
             SmallVector<utils::IteratorType>(r, utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               SmallVector<Value> idx;
               for (int64_t i = 0; i < r; ++i)
                 idx.push_back(i == axis ? wrapIndex(nb, nl, a[0], axisDim)
                                         : (Value)linalg::IndexOp::create(nb, nl, i));
               linalg::YieldOp::create(nb, nl, tensor::ExtractOp::create(nb, nl, x, idx).getResult());
             })
      .getResult(0);
}

FailureOr<Value> lowerScatterElements(OpBuilder &b, nn::ScatterElementsOp op) {
  Location loc = op.getLoc();
  Value ind = op.getIndices(), upd = op.getUpdates();
  int64_t axis = op.getAxis();
  StringRef red = op.getReduction();
  Value axisDim = dimOf(b, loc, op.getData(), axis);
  return tensorLoopNest(b, loc, allDims(b, loc, ind), op.getData(),
                        [&](OpBuilder &nb, Location nl, ValueRange ivs, Value acc) -> Value {
                          Value i = tensor::ExtractOp::create(nb, nl, ind, ivs);
                          Value u = tensor::ExtractOp::create(nb, nl, upd, ivs);
                          SmallVector<Value> dst(ivs.begin(), ivs.end());
                          dst[axis] = wrapIndex(nb, nl, i, axisDim);
                          return scatterStore(nb, nl, red, acc, dst, u);
                        });
}

FailureOr<Value> lowerGatherND(OpBuilder &b, nn::GatherNDOp op) {
  Location loc = op.getLoc();
  auto res = rtt(op.getResult());
  Value x = op.getInput(), ind = op.getIndices();
  int64_t q = rtt(ind).getRank(), k = rtt(ind).getDimSize(q - 1), bd = op.getBatchDims();
  int64_t r = res.getRank();
  SmallVector<Value> dims;
  for (int64_t i = 0; i < q - 1; ++i) dims.push_back(dimOf(b, loc, ind, i));
  for (int64_t i = bd + k; i < rtt(x).getRank(); ++i) dims.push_back(dimOf(b, loc, x, i));
  Value init = empty(b, loc, res, dims);
  SmallVector<Value> xdims = allDims(b, loc, x);
  return generateOver(b, loc, init,
             [&](OpBuilder &nb, Location nl, ValueRange) {
               SmallVector<Value> outer, src;
               for (int64_t i = 0; i < q - 1; ++i) outer.push_back(linalg::IndexOp::create(nb, nl, i));
               for (int64_t i = 0; i < bd; ++i) src.push_back(outer[i]);
               for (int64_t j = 0; j < k; ++j) {
                 SmallVector<Value> ii(outer);
                 ii.push_back(cIdx(nb, nl, j));
                 Value v = tensor::ExtractOp::create(nb, nl, ind, ii);
                 src.push_back(wrapIndex(nb, nl, v, xdims[bd + j]));
               }
               for (int64_t i = q - 1; i < r; ++i) src.push_back(linalg::IndexOp::create(nb, nl, i));
               linalg::YieldOp::create(nb, nl, tensor::ExtractOp::create(nb, nl, x, src).getResult());
             });
}

FailureOr<Value> lowerScatterND(OpBuilder &b, nn::ScatterNDOp op) {
  Location loc = op.getLoc();
  Value ind = op.getIndices(), upd = op.getUpdates();
  int64_t q = rtt(ind).getRank(), k = rtt(ind).getDimSize(q - 1);
  StringRef red = op.getReduction();
  SmallVector<Value> xdims = allDims(b, loc, op.getData());
  return tensorLoopNest(b, loc, allDims(b, loc, upd), op.getData(),
                        [&](OpBuilder &nb, Location nl, ValueRange ivs, Value acc) -> Value {
                          SmallVector<Value> outer(ivs.begin(), ivs.begin() + (q - 1)), dst;
                          for (int64_t j = 0; j < k; ++j) {
                            SmallVector<Value> ii(outer);
                            ii.push_back(cIdx(nb, nl, j));
                            Value v = tensor::ExtractOp::create(nb, nl, ind, ii);
                            dst.push_back(wrapIndex(nb, nl, v, xdims[j]));
                          }
                          dst.append(ivs.begin() + (q - 1), ivs.end());
                          Value u = tensor::ExtractOp::create(nb, nl, upd, ivs);
                          return scatterStore(nb, nl, red, acc, dst, u);
                        });
}

FailureOr<Value> lowerTrilu(OpBuilder &b, nn::TriluOp op) {
  Location loc = op.getLoc();
  auto res = rtt(op.getResult());
  int64_t r = res.getRank();
  Value k;
  if (op.getKInput()) {
    SmallVector<Value> zeros(rtt(op.getKInput()).getRank(), cIdx(b, loc, 0));
    k = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                   tensor::ExtractOp::create(b, loc, op.getKInput(), zeros));
  } else {
    k = cIdx(b, loc, op.getK());
  }
  bool upper = op.getUpper();
  Type et = res.getElementType();
  return elementwise(b, loc, res, ValueRange{op.getInput()},
                     [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                       Value i = linalg::IndexOp::create(nb, nl, r - 2);
                       Value j = linalg::IndexOp::create(nb, nl, r - 1);
                       Value d = arith::SubIOp::create(nb, nl, j, i);
                       Value keep = arith::CmpIOp::create(
                           nb, nl, upper ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle, d, k);
                       return arith::SelectOp::create(nb, nl, keep, a[0], scalar(nb, nl, et, 0));
                     });
}

FailureOr<Value> lowerOneHot(OpBuilder &b, nn::OneHotOp op) {
  Location loc = op.getLoc();
  auto res = rtt(op.getResult());
  Value ind = op.getIndices();
  int64_t axis = op.getAxis(), r = res.getRank();
  Value depth = castScalar(b, loc, scalarOf(b, loc, op.getDepth()), b.getI64Type(), false, false);
  depth = arith::MaxSIOp::create(b, loc, depth, scalar(b, loc, b.getI64Type(), 0));
  Value depthIdx = arith::IndexCastOp::create(b, loc, b.getIndexType(), depth);
  Value off = tensor::ExtractOp::create(b, loc, op.getValues(), ValueRange{cIdx(b, loc, 0)});
  Value on = tensor::ExtractOp::create(b, loc, op.getValues(), ValueRange{cIdx(b, loc, 1)});
  SmallVector<Value> dims;
  for (int64_t i = 0, j = 0; i < r; ++i)
    dims.push_back(i == axis ? depthIdx : dimOf(b, loc, ind, j++));
  Value init = empty(b, loc, res, dims);
  SmallVector<AffineExpr> ie;
  for (int64_t i = 0; i < r; ++i)
    if (i != axis) ie.push_back(b.getAffineDimExpr(i));
  SmallVector<AffineMap> maps{AffineMap::get(r, 0, ie, b.getContext()), b.getMultiDimIdentityMap(r)};
  return linalg::GenericOp::create(
             b, loc, TypeRange{res}, ValueRange{ind}, ValueRange{init}, maps,
             SmallVector<utils::IteratorType>(r, utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               Value v = castScalar(nb, nl, a[0], nb.getI64Type(), false, false);
               Value neg = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, v,
                                                 scalar(nb, nl, nb.getI64Type(), 0));
               v = arith::SelectOp::create(nb, nl, neg, arith::AddIOp::create(nb, nl, v, depth), v);
               Value j = arith::IndexCastOp::create(nb, nl, nb.getI64Type(),
                                                    linalg::IndexOp::create(nb, nl, axis));
               Value hit = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, v, j);
               linalg::YieldOp::create(nb, nl, arith::SelectOp::create(nb, nl, hit, on, off).getResult());
             })
      .getResult(0);
}

FailureOr<Value> lowerCompress(OpBuilder &b, nn::CompressOp op) {
  Location loc = op.getLoc();
  auto res = rtt(op.getResult());
  Value x = op.getInput(), cond = op.getCondition();
  int64_t axis = op.getAxis(), r = res.getRank();
  Value n = arith::MinSIOp::create(b, loc, dimOf(b, loc, cond, 0), dimOf(b, loc, x, axis));
  Value zero = cIdx(b, loc, 0), one1 = cIdx(b, loc, 1);
  // Pass 1: count the selected slices.
  auto count = scf::ForOp::create(
      b, loc, zero, n, one1, ValueRange{zero},
      [&](OpBuilder &nb, Location nl, Value i, ValueRange iter) {
        Value c = tensor::ExtractOp::create(nb, nl, cond, ValueRange{i});
        Value inc = arith::SelectOp::create(nb, nl, c, cIdx(nb, nl, 1), cIdx(nb, nl, 0));
        scf::YieldOp::create(nb, nl, ValueRange{arith::AddIOp::create(nb, nl, iter[0], inc).getResult()});
      });
  SmallVector<Value> dims = allDims(b, loc, x);
  dims[axis] = count.getResult(0);
  if (!res.isDynamicDim(axis))
    dims[axis] = cIdx(b, loc, res.getDimSize(axis));
  Value init = empty(b, loc, res, dims);
  // Pass 2: copy every selected slice to the next free position.
  auto copy = scf::ForOp::create(
      b, loc, zero, n, one1, ValueRange{zero, init},
      [&](OpBuilder &nb, Location nl, Value i, ValueRange iter) {
        Value c = tensor::ExtractOp::create(nb, nl, cond, ValueRange{i});
        auto ifOp = scf::IfOp::create(
            nb, nl, c,
            [&](OpBuilder &tb, Location tl) {
              SmallVector<OpFoldResult> offs(r, tb.getIndexAttr(0)), sizes, strides(r, tb.getIndexAttr(1));
              for (int64_t d = 0; d < r; ++d)
                sizes.push_back(d == axis ? OpFoldResult(tb.getIndexAttr(1)) : mixedDim(tb, tl, x, d));
              offs[axis] = i;
              Value slice = tensor::ExtractSliceOp::create(tb, tl, x, offs, sizes, strides);
              offs[axis] = iter[0];
              Value upd = tensor::InsertSliceOp::create(tb, tl, slice, iter[1], offs, sizes, strides);
              Value next = arith::AddIOp::create(tb, tl, iter[0], cIdx(tb, tl, 1));
              scf::YieldOp::create(tb, tl, ValueRange{next, upd});
            },
            [&](OpBuilder &eb, Location el) { scf::YieldOp::create(eb, el, ValueRange{iter[0], iter[1]}); });
        scf::YieldOp::create(nb, nl, ifOp.getResults());
      });
  return copy.getResult(1);
}

FailureOr<Value> lowerReverseSequence(OpBuilder &b, nn::ReverseSequenceOp op) {
  Location loc = op.getLoc();
  auto res = rtt(op.getResult());
  Value x = op.getInput(), lens = op.getLens();
  int64_t ba = op.getBatchAxis(), ta = op.getTimeAxis(), r = res.getRank();
  Value init = empty(b, loc, res, allDims(b, loc, x));
  Value T = dimOf(b, loc, x, ta);
  SmallVector<AffineMap> maps{AffineMap::get(r, 0, {b.getAffineDimExpr(ba)}, b.getContext()),
                              b.getMultiDimIdentityMap(r)};
  return linalg::GenericOp::create(
             b, loc, TypeRange{res}, ValueRange{lens}, ValueRange{init}, maps,
             SmallVector<utils::IteratorType>(r, utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               Value len = arith::IndexCastOp::create(nb, nl, nb.getIndexType(), a[0]);
               len = arith::MinSIOp::create(nb, nl, arith::MaxSIOp::create(nb, nl, len, cIdx(nb, nl, 0)), T);
               Value t = linalg::IndexOp::create(nb, nl, ta);
               Value inside = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, t, len);
               Value rev = arith::SubIOp::create(nb, nl, arith::SubIOp::create(nb, nl, len, cIdx(nb, nl, 1)), t);
               SmallVector<Value> idx;
               for (int64_t i = 0; i < r; ++i)
                 idx.push_back(i == ta ? (Value)arith::SelectOp::create(nb, nl, inside, rev, t)
                                       : (Value)linalg::IndexOp::create(nb, nl, i));
               linalg::YieldOp::create(nb, nl, tensor::ExtractOp::create(nb, nl, x, idx).getResult());
             })
      .getResult(0);
}

/// f64 arithmetic helpers for the [vision] lowerings (GridSample, RoiAlign).
struct VisionF64 {
  OpBuilder &b;
  Location l;
  Type f = b.getF64Type();
  Value c(double v) { return scalar(b, l, f, v); }
  Value add(Value x, Value y) { return arith::AddFOp::create(b, l, x, y); }
  Value sub(Value x, Value y) { return arith::SubFOp::create(b, l, x, y); }
  Value mul(Value x, Value y) { return arith::MulFOp::create(b, l, x, y); }
  Value div(Value x, Value y) { return arith::DivFOp::create(b, l, x, y); }
  Value max(Value x, Value y) { return arith::MaximumFOp::create(b, l, x, y); }
  Value min(Value x, Value y) { return arith::MinimumFOp::create(b, l, x, y); }
  Value floor(Value x) { return math::FloorOp::create(b, l, x); }
  Value cmp(arith::CmpFPredicate p, Value x, Value y) { return arith::CmpFOp::create(b, l, p, x, y); }
  Value sel(Value c0, Value x, Value y) { return arith::SelectOp::create(b, l, c0, x, y); }
  Value both(Value x, Value y) { return arith::AndIOp::create(b, l, x, y); }
  Value fromIdx(Value i) {
    return arith::SIToFPOp::create(b, l, f, arith::IndexCastOp::create(b, l, b.getI64Type(), i));
  }
  /// Index of an integral (or in-range) coordinate, clamped to [0, size - 1].
  Value toIdx(Value x, Value sizeF) {
    Value cl = max(min(x, sub(sizeF, c(1))), c(0));
    return arith::IndexCastOp::create(b, l, b.getIndexType(),
                                      arith::FPToSIOp::create(b, l, b.getI64Type(), cl));
  }
};

/// RoiAlign with sampling_ratio = 0: the samples per bin, ceil(roi size /
/// output size), are known only at run time, so each output element runs an
/// scf.for nest over its samples (onnxruntime's algorithm, in f64).
Value lowerRoiAlignAdaptive(OpBuilder &b, nn::RoiAlignOp op) {
  Location loc = op.getLoc();
  auto res = rtt(op.getResult());
  Value x = op.getInput(), rois = op.getRois(), bidx = op.getBatchIndices();
  Type et = res.getElementType();
  bool halfPixel = op.getHalfPixel(), maxMode = op.getMaxMode();
  int64_t PH = res.getDimSize(2), PW = res.getDimSize(3);
  double scale = op.getSpatialScale().convertToDouble();
  Value H = dimOf(b, loc, x, 2), W = dimOf(b, loc, x, 3);
  SmallVector<Value> dims{dimOf(b, loc, rois, 0), dimOf(b, loc, x, 1), cIdx(b, loc, PH), cIdx(b, loc, PW)};
  Value init = empty(b, loc, res, dims);
  return tensorLoopNest(
      b, loc, dims, init, [&](OpBuilder &nb, Location nl, ValueRange ivs, Value acc) -> Value {
        VisionF64 m{nb, nl};
        Value r = ivs[0], ch = ivs[1];
        Value Hf = m.fromIdx(H), Wf = m.fromIdx(W);
        auto roi = [&](int64_t k) {
          Value v = tensor::ExtractOp::create(nb, nl, rois, ValueRange{r, cIdx(nb, nl, k)});
          return m.sub(m.mul(castScalar(nb, nl, v, m.f, false, false), m.c(scale)), m.c(halfPixel ? 0.5 : 0));
        };
        Value n = tensor::ExtractOp::create(nb, nl, bidx, ValueRange{r});
        n = arith::IndexCastOp::create(nb, nl, nb.getIndexType(),
                                       castScalar(nb, nl, n, nb.getI64Type(), false, false));
        Value x1 = roi(0), y1 = roi(1), x2 = roi(2), y2 = roi(3);
        Value rw = m.sub(x2, x1), rh = m.sub(y2, y1);
        if (!halfPixel)
          rw = m.max(rw, m.c(1)), rh = m.max(rh, m.c(1));
        Value binH = m.div(rh, m.c((double)PH)), binW = m.div(rw, m.c((double)PW));
        auto gridCount = [&](Value bin) -> Value {
          Value cnt = m.max(math::CeilOp::create(nb, nl, bin), m.c(0));
          return arith::IndexCastOp::create(nb, nl, nb.getIndexType(),
                                            arith::FPToSIOp::create(nb, nl, nb.getI64Type(), cnt));
        };
        Value gh = gridCount(binH), gw = gridCount(binW);
        Value ghF = m.fromIdx(gh), gwF = m.fromIdx(gw);
        Value yStart = m.add(y1, m.mul(m.fromIdx(ivs[2]), binH));
        Value xStart = m.add(x1, m.mul(m.fromIdx(ivs[3]), binW));
        Value zero = cIdx(nb, nl, 0), one1 = cIdx(nb, nl, 1);
        Value start = maxMode ? lowest(nb, nl, m.f) : m.c(0);
        auto outer = scf::ForOp::create(
            nb, nl, zero, gh, one1, ValueRange{start},
            [&](OpBuilder &ob, Location ol, Value iy, ValueRange oacc) {
              auto inner = scf::ForOp::create(
                  ob, ol, zero, gw, one1, ValueRange{oacc[0]},
                  [&](OpBuilder &ib, Location il, Value ixv, ValueRange iacc) {
                    VisionF64 k{ib, il};
                    Value y = k.add(yStart, k.div(k.mul(k.add(k.fromIdx(iy), k.c(0.5)), binH), ghF));
                    Value xx = k.add(xStart, k.div(k.mul(k.add(k.fromIdx(ixv), k.c(0.5)), binW), gwF));
                    Value outside = arith::OrIOp::create(
                        ib, il,
                        arith::OrIOp::create(ib, il, k.cmp(arith::CmpFPredicate::OLT, y, k.c(-1)),
                                             k.cmp(arith::CmpFPredicate::OGT, y, Hf)),
                        arith::OrIOp::create(ib, il, k.cmp(arith::CmpFPredicate::OLT, xx, k.c(-1)),
                                             k.cmp(arith::CmpFPredicate::OGT, xx, Wf)));
                    y = k.max(y, k.c(0));
                    xx = k.max(xx, k.c(0));
                    // Low corner, clamped to the last row / column (then the weight is on it alone).
                    Value yl = k.min(k.floor(y), k.sub(Hf, k.c(1))), xl = k.min(k.floor(xx), k.sub(Wf, k.c(1)));
                    y = k.min(y, k.sub(Hf, k.c(1)));
                    xx = k.min(xx, k.sub(Wf, k.c(1)));
                    Value yh = k.min(k.add(yl, k.c(1)), k.sub(Hf, k.c(1)));
                    Value xh = k.min(k.add(xl, k.c(1)), k.sub(Wf, k.c(1)));
                    Value ly = k.sub(y, yl), lx = k.sub(xx, xl);
                    Value hy = k.sub(k.c(1), ly), hx = k.sub(k.c(1), lx);
                    auto at = [&](Value fy, Value fx) {
                      Value v = tensor::ExtractOp::create(ib, il, x, ValueRange{n, ch, k.toIdx(fy, Hf), k.toIdx(fx, Wf)});
                      return castScalar(ib, il, v, k.f, false, false);
                    };
                    Value t1 = k.mul(k.mul(hy, hx), at(yl, xl)), t2 = k.mul(k.mul(hy, lx), at(yl, xh));
                    Value t3 = k.mul(k.mul(ly, hx), at(yh, xl)), t4 = k.mul(k.mul(ly, lx), at(yh, xh));
                    Value v = maxMode ? k.max(k.max(k.max(t1, t2), t3), t4) : k.add(k.add(t1, t2), k.add(t3, t4));
                    v = k.sel(outside, k.c(0), v);
                    Value next = maxMode ? k.max(iacc[0], v) : k.add(iacc[0], v);
                    scf::YieldOp::create(ib, il, ValueRange{next});
                  });
              scf::YieldOp::create(ob, ol, inner.getResults());
            });
        Value total = outer.getResult(0);
        Value count = arith::MulIOp::create(nb, nl, gh, gw);
        Value none = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, count, zero);
        Value out = maxMode ? total : m.div(total, m.max(m.fromIdx(count), m.c(1)));
        out = m.sel(none, m.c(0), out);
        return tensor::InsertOp::create(nb, nl, castScalar(nb, nl, out, et, false, false), acc, ivs);
      });
}

// ---- conformance [indexing]: add new entries above this line ----

/// nn.reduce_axes: reduction over axes known only at run time, in one
/// linalg.generic with 2 * rank loops: o_j (parallel, over the result dims
/// out_j = reduced_j ? 1 : in_j) and k_j (reduction, over red_j = reduced_j
/// ? in_j : 1); the input is read at o_j + k_j.  The k ranges come from a
/// placeholder i8 tensor of shape red.  Without keepdims the result is a
/// tensor.reshape to the kept dims, compacted at run time.
FailureOr<Value> lowerReduceAxes(OpBuilder &b, nn::ReduceAxesOp op) {
  Location loc = op.getLoc();
  Value x = op.getInput(), axesV = op.getAxes();
  auto t = rtt(x);
  auto resT = rtt(op.getResult());
  Type et = t.getElementType();
  bool isF = isa<FloatType>(et);
  int64_t r = t.getRank();
  nn::ReduceKind k = op.getKind();
  if (k == nn::ReduceKind::log_sum_exp)
    return (LogicalResult)(op.emitError() << "reduction 'log_sum_exp' over run-time axes is not supported");
  if (!isF && (k == nn::ReduceKind::l2 || k == nn::ReduceKind::log_sum))
    return (LogicalResult)(op.emitError() << "reduction '" << nn::stringifyReduceKind(k)
                                          << "' needs a float element type");
  auto i1 = b.getI1Type();
  // Mask of reduced dims: mask[i] = any(normalize(axes[k]) == i).
  Value n = dimOf(b, loc, axesV, 0);
  auto maskT = RankedTensorType::get({r}, i1);
  Value mask = fillTensor(b, loc, empty(b, loc, maskT, {}), arith::ConstantIntOp::create(b, loc, i1, 0));
  {
    SmallVector<AffineMap> maps{AffineMap::get(2, 0, {b.getAffineDimExpr(0)}, b.getContext()),
                                AffineMap::get(2, 0, {b.getAffineDimExpr(1)}, b.getContext())};
    SmallVector<utils::IteratorType> iters{utils::IteratorType::reduction, utils::IteratorType::parallel};
    mask = linalg::GenericOp::create(
               b, loc, TypeRange{maskT}, ValueRange{axesV}, ValueRange{mask}, maps, iters,
               [&](OpBuilder &nb, Location nl, ValueRange a) {
                 Value ax = a[0];
                 if (ax.getType() != nb.getI64Type())
                   ax = arith::ExtSIOp::create(nb, nl, nb.getI64Type(), ax);
                 Value rank = arith::ConstantIntOp::create(nb, nl, nb.getI64Type(), r);
                 Value zero = arith::ConstantIntOp::create(nb, nl, nb.getI64Type(), 0);
                 Value neg = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, ax, zero);
                 ax = arith::SelectOp::create(nb, nl, neg, arith::AddIOp::create(nb, nl, ax, rank), ax);
                 Value i = arith::IndexCastOp::create(nb, nl, nb.getI64Type(), linalg::IndexOp::create(nb, nl, 1));
                 Value eq = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, ax, i);
                 linalg::YieldOp::create(nb, nl, ValueRange{arith::OrIOp::create(nb, nl, a[1], eq)});
               })
               .getResult(0);
  }
  Value isEmpty = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, n, cIdx(b, loc, 0));
  Value c1 = cIdx(b, loc, 1);
  SmallVector<Value> m(r), outDims(r), redDims(r), inDims(r);
  SmallVector<int64_t> outShape(r), redShape(r);
  for (int64_t i = 0; i < r; ++i) {
    m[i] = tensor::ExtractOp::create(b, loc, mask, ValueRange{cIdx(b, loc, i)});
    if (!op.getNoopWithEmptyAxes())
      m[i] = arith::OrIOp::create(b, loc, m[i], isEmpty);
    inDims[i] = dimOf(b, loc, x, i);
    outDims[i] = arith::SelectOp::create(b, loc, m[i], c1, inDims[i]);
    redDims[i] = arith::SelectOp::create(b, loc, m[i], inDims[i], c1);
    bool unit = t.getDimSize(i) == 1;
    outShape[i] = unit ? 1 : ShapedType::kDynamic;
    redShape[i] = unit ? 1 : ShapedType::kDynamic;
  }
  auto outT = RankedTensorType::get(outShape, et);
  auto redT = RankedTensorType::get(redShape, b.getI8Type());
  Value placeholder = empty(b, loc, redT, redDims);
  Value initV;
  switch (k) {
  case nn::ReduceKind::max: initV = lowest(b, loc, et); break;
  case nn::ReduceKind::min: initV = highest(b, loc, et); break;
  case nn::ReduceKind::prod: initV = scalar(b, loc, et, 1); break;
  default: initV = scalar(b, loc, et, 0); break;
  }
  Value init = fillTensor(b, loc, empty(b, loc, outT, outDims), initV);
  SmallVector<AffineExpr> xe, oe, ke;
  for (int64_t i = 0; i < r; ++i) {
    xe.push_back(b.getAffineDimExpr(i) + b.getAffineDimExpr(r + i));
    oe.push_back(b.getAffineDimExpr(i));
    ke.push_back(b.getAffineDimExpr(r + i));
  }
  SmallVector<AffineMap> maps{AffineMap::get(2 * r, 0, xe, b.getContext()),
                              AffineMap::get(2 * r, 0, ke, b.getContext()),
                              AffineMap::get(2 * r, 0, oe, b.getContext())};
  SmallVector<utils::IteratorType> iters(r, utils::IteratorType::parallel);
  iters.append(r, utils::IteratorType::reduction);
  Value red = linalg::GenericOp::create(
                  b, loc, TypeRange{outT}, ValueRange{x, placeholder}, ValueRange{init}, maps, iters,
                  [&](OpBuilder &nb, Location nl, ValueRange a) {
                    Value v = a[0], acc = a[2], res;
                    switch (k) {
                    case nn::ReduceKind::max: res = binaryScalar(nb, nl, nn::BinaryKind::max, v, acc); break;
                    case nn::ReduceKind::min: res = binaryScalar(nb, nl, nn::BinaryKind::min, v, acc); break;
                    case nn::ReduceKind::prod: res = binaryScalar(nb, nl, nn::BinaryKind::mul, v, acc); break;
                    case nn::ReduceKind::l1:
                      v = isF ? (Value)math::AbsFOp::create(nb, nl, v) : absInt(nb, nl, v);
                      res = binaryScalar(nb, nl, nn::BinaryKind::add, v, acc);
                      break;
                    case nn::ReduceKind::l2:
                    case nn::ReduceKind::sum_square:
                      v = binaryScalar(nb, nl, nn::BinaryKind::mul, v, v);
                      res = binaryScalar(nb, nl, nn::BinaryKind::add, v, acc);
                      break;
                    default: res = binaryScalar(nb, nl, nn::BinaryKind::add, v, acc); break;
                    }
                    linalg::YieldOp::create(nb, nl, res);
                  })
                  .getResult(0);
  if (k == nn::ReduceKind::mean) {
    Value cnt = c1;
    for (int64_t i = 0; i < r; ++i)
      cnt = arith::MulIOp::create(b, loc, cnt, redDims[i]);
    Value cf = arith::IndexCastOp::create(b, loc, b.getI64Type(), cnt);
    if (isF)
      cf = arith::SIToFPOp::create(b, loc, et, cf);
    else if (et != cf.getType())
      cf = arith::TruncIOp::create(b, loc, et, cf);
    red = divScalar(b, loc, red, cf);
  } else if (k == nn::ReduceKind::l2 || k == nn::ReduceKind::log_sum) {
    red = elementwise(b, loc, outT, ValueRange{red}, [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
      return k == nn::ReduceKind::l2 ? (Value)math::SqrtOp::create(nb, nl, a[0])
                                     : (Value)math::LogOp::create(nb, nl, a[0]);
    });
  }
  if (op.getKeepdims())
    return red.getType() == resT ? red : (Value)tensor::CastOp::create(b, loc, resT, red);
  // Compact the kept dims: result dim j is the j-th dim with mask false.
  // Duplicate axes (invalid) leave fewer reduced dims than the result rank
  // assumes; the extra dims are then 0 (an empty result) so the reshape
  // never reads out of bounds.
  int64_t R = resT.getRank();
  Value zero = cIdx(b, loc, 0);
  SmallVector<Value> shape(R, zero);
  Value pos = zero;
  for (int64_t i = 0; i < r; ++i) {
    Value kept = arith::XOrIOp::create(b, loc, m[i], arith::ConstantIntOp::create(b, loc, i1, 1));
    for (int64_t j = 0; j < R; ++j) {
      Value here = arith::AndIOp::create(
          b, loc, kept, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, pos, cIdx(b, loc, j)));
      shape[j] = arith::SelectOp::create(b, loc, here, inDims[i], shape[j]);
    }
    pos = arith::AddIOp::create(b, loc, pos, arith::SelectOp::create(b, loc, kept, c1, zero));
  }
  Value ok = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, pos, cIdx(b, loc, R));
  SmallVector<Value> elems;
  for (Value d : shape) {
    d = arith::SelectOp::create(b, loc, ok, d, zero);
    elems.push_back(arith::IndexCastOp::create(b, loc, b.getI64Type(), d));
  }
  Value shapeT = tensor::FromElementsOp::create(b, loc, RankedTensorType::get({R}, b.getI64Type()), elems);
  return (Value)tensor::ReshapeOp::create(b, loc, resT, red, shapeT);
}
// ---- conformance [normalization]: add new entries above this line ----

//===----------------------------------------------------------------------===//
// Sorting family: arg reductions, hardmax, cumsum, topk, nonzero, unique,
// non-max suppression
//===----------------------------------------------------------------------===//

Value toI64(OpBuilder &b, Location loc, Value idx) {
  return arith::IndexCastOp::create(b, loc, b.getI64Type(), idx);
}
Value cmpI(OpBuilder &b, Location loc, arith::CmpIPredicate p, Value x, Value y) {
  return arith::CmpIOp::create(b, loc, p, x, y);
}
Value andI(OpBuilder &b, Location loc, Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }
Value orI(OpBuilder &b, Location loc, Value x, Value y) { return arith::OrIOp::create(b, loc, x, y); }
Value notI(OpBuilder &b, Location loc, Value x) {
  return arith::XOrIOp::create(b, loc, x, arith::ConstantIntOp::create(b, loc, 1, 1));
}
Value boolC(OpBuilder &b, Location loc, bool v) { return arith::ConstantIntOp::create(b, loc, v ? 1 : 0, 1); }
Value selectV(OpBuilder &b, Location loc, Value c, Value x, Value y) {
  return arith::SelectOp::create(b, loc, c, x, y);
}
/// x != 0 for an int or float scalar.
Value isNonZero(OpBuilder &b, Location loc, Value v) {
  Value z = scalar(b, loc, v.getType(), 0);
  if (isa<FloatType>(v.getType()))
    return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, v, z);
  return cmpI(b, loc, arith::CmpIPredicate::ne, v, z);
}


/// (values, indices) of the arg reduction of `x` along `axis`; the results
/// drop `axis`.  The combiner is commutative: ties are broken by the index.
std::pair<Value, Value> argReduce(OpBuilder &b, Location loc, Value x, int64_t axis, bool isMax,
                                  bool selectLast) {
  auto t = rtt(x);
  Type et = t.getElementType();
  SmallVector<int64_t> shape;
  SmallVector<Value> dims;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iters;
  for (int64_t i = 0; i < t.getRank(); ++i) {
    iters.push_back(i == axis ? utils::IteratorType::reduction : utils::IteratorType::parallel);
    if (i != axis) {
      shape.push_back(t.getDimSize(i));
      dims.push_back(dimOf(b, loc, x, i));
      outExprs.push_back(b.getAffineDimExpr(i));
    }
  }
  auto vT = RankedTensorType::get(shape, et);
  auto iT = RankedTensorType::get(shape, b.getI64Type());
  Value vInit = fillTensor(b, loc, empty(b, loc, vT, dims), isMax ? lowest(b, loc, et) : highest(b, loc, et));
  Value iInit = fillTensor(b, loc, empty(b, loc, iT, dims),
                           arith::ConstantIntOp::create(b, loc, selectLast ? -1 : INT64_MAX, 64));
  AffineMap outMap = AffineMap::get(t.getRank(), 0, outExprs, b.getContext());
  SmallVector<AffineMap> maps{b.getMultiDimIdentityMap(t.getRank()), outMap, outMap};
  auto g = linalg::GenericOp::create(
      b, loc, TypeRange{vT, iT}, ValueRange{x}, ValueRange{vInit, iInit}, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value v = a[0], bv = a[1], bi = a[2];
        Value i = toI64(nb, nl, linalg::IndexOp::create(nb, nl, axis));
        Value better = binaryScalar(nb, nl, isMax ? nn::BinaryKind::gt : nn::BinaryKind::lt, v, bv);
        Value eq = binaryScalar(nb, nl, nn::BinaryKind::eq, v, bv);
        Value tie = cmpI(nb, nl, selectLast ? arith::CmpIPredicate::sgt : arith::CmpIPredicate::slt, i, bi);
        Value take = orI(nb, nl, better, andI(nb, nl, eq, tie));
        linalg::YieldOp::create(nb, nl, ValueRange{selectV(nb, nl, take, v, bv), selectV(nb, nl, take, i, bi)});
      });
  return {g.getResult(0), g.getResult(1)};
}

FailureOr<Value> lowerArgReduce(OpBuilder &b, nn::ArgReduceOp op) {
  Location loc = op.getLoc();
  int64_t axis = op.getAxis();
  Value idx = argReduce(b, loc, op.getInput(), axis, op.getIsMax(), op.getSelectLast()).second;
  if (op.getKeepdims())
    idx = keepDims(b, loc, idx, {axis}, rtt(op.getInput()));
  return idx;
}

FailureOr<Value> lowerHardmax(OpBuilder &b, nn::HardmaxOp op) {
  Location loc = op.getLoc();
  Value x = op.getInput();
  int64_t axis = op.getAxis();
  auto res = rtt(op.getResult());
  Value idx = argReduce(b, loc, x, axis, /*isMax=*/true, /*selectLast=*/false).second;
  SmallVector<Value> dims;
  SmallVector<AffineExpr> exprs;
  for (int64_t i = 0; i < res.getRank(); ++i) {
    dims.push_back(dimOf(b, loc, x, i));
    if (i != axis)
      exprs.push_back(b.getAffineDimExpr(i));
  }
  Type et = res.getElementType();
  SmallVector<AffineMap> maps{AffineMap::get(res.getRank(), 0, exprs, b.getContext()),
                              b.getMultiDimIdentityMap(res.getRank())};
  return linalg::GenericOp::create(
             b, loc, TypeRange{res}, ValueRange{idx}, ValueRange{empty(b, loc, res, dims)}, maps,
             SmallVector<utils::IteratorType>(res.getRank(), utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               Value i = toI64(nb, nl, linalg::IndexOp::create(nb, nl, axis));
               Value eq = cmpI(nb, nl, arith::CmpIPredicate::eq, i, a[0]);
               linalg::YieldOp::create(nb, nl, selectV(nb, nl, eq, scalar(nb, nl, et, 1), scalar(nb, nl, et, 0)));
             })
      .getResult(0);
}

/// Cumulative sum of `x` along a static `axis`: one scf.for along the axis
/// carrying the running sum of a slice.
Value cumsumAlong(OpBuilder &b, Location loc, Value x, int64_t axis, bool exclusive, bool reverse) {
  auto t = rtt(x);
  int64_t r = t.getRank();
  SmallVector<Value> dims;
  SmallVector<int64_t> sshape(t.getShape());
  sshape[axis] = 1;
  auto sT = RankedTensorType::get(sshape, t.getElementType());
  SmallVector<Value> sdims;
  for (int64_t i = 0; i < r; ++i) {
    dims.push_back(dimOf(b, loc, x, i));
    sdims.push_back(i == axis ? cIdx(b, loc, 1) : dims.back());
  }
  Value acc0 = fillTensor(b, loc, empty(b, loc, sT, sdims), scalar(b, loc, t.getElementType(), 0));
  Value out0 = empty(b, loc, t, dims);
  Value n = dims[axis];
  auto res = forLoop(b, loc, cIdx(b, loc, 0), n, ValueRange{out0, acc0},
                     [&](OpBuilder &nb, Location nl, Value k, ValueRange args) -> SmallVector<Value> {
                       Value pos = k;
                       if (reverse)
                         pos = arith::SubIOp::create(nb, nl, arith::SubIOp::create(nb, nl, n, cIdx(nb, nl, 1)), k);
                       SmallVector<OpFoldResult> offs(r, nb.getIndexAttr(0)), sizes, strides(r, nb.getIndexAttr(1));
                       offs[axis] = pos;
                       for (int64_t i = 0; i < r; ++i)
                         sizes.push_back(i == axis ? OpFoldResult(nb.getIndexAttr(1)) : mixedDim(nb, nl, x, i));
                       Value s = tensor::ExtractSliceOp::create(nb, nl, sT, x, offs, sizes, strides);
                       Value acc = args[1];
                       Value out = args[0];
                       if (exclusive)
                         out = tensor::InsertSliceOp::create(nb, nl, acc, out, offs, sizes, strides);
                       // acc += s, in place (the loop carries one buffer).
                       Value next = linalg::GenericOp::create(
                                        nb, nl, TypeRange{sT}, ValueRange{s}, ValueRange{acc},
                                        SmallVector<AffineMap>(2, nb.getMultiDimIdentityMap(r)),
                                        SmallVector<utils::IteratorType>(r, utils::IteratorType::parallel),
                                        [](OpBuilder &bb, Location ll, ValueRange a) {
                                          linalg::YieldOp::create(
                                              bb, ll, binaryScalar(bb, ll, nn::BinaryKind::add, a[1], a[0]));
                                        })
                                        .getResult(0);
                       if (!exclusive)
                         out = tensor::InsertSliceOp::create(nb, nl, next, out, offs, sizes, strides);
                       return {out, next};
                     });
  return res[0];
}

FailureOr<Value> lowerCumSum(OpBuilder &b, nn::CumSumOp op) {
  Location loc = op.getLoc();
  Value x = op.getInput();
  auto res = rtt(op.getResult());
  bool ex = op.getExclusive(), rev = op.getReverse();
  auto fit = [&](Value v) -> Value {
    return v.getType() == res ? v : (Value)tensor::CastOp::create(b, loc, res, v);
  };
  if (!op.getAxisInput())
    return fit(cumsumAlong(b, loc, x, op.getAxis(), ex, rev));
  int64_t r = rtt(x).getRank();
  Value a = toIndex(b, loc, scalarOf(b, loc, op.getAxisInput()));
  Value neg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, a, cIdx(b, loc, 0));
  a = selectV(b, loc, neg, arith::AddIOp::create(b, loc, a, cIdx(b, loc, r)), a);
  SmallVector<int64_t> cases;
  for (int64_t i = 1; i < r; ++i)
    cases.push_back(i);
  // Axis 0 is the default case (an out-of-range axis is invalid ONNX).
  auto sw = scf::IndexSwitchOp::create(b, loc, TypeRange{res}, a, cases, cases.size());
  OpBuilder::InsertionGuard g(b);
  for (int64_t i = 0; i < r; ++i) {
    Region &region = i == 0 ? sw.getDefaultRegion() : sw.getCaseRegions()[i - 1];
    b.createBlock(&region);
    scf::YieldOp::create(b, loc, fit(cumsumAlong(b, loc, x, i, ex, rev)));
  }
  return sw.getResult(0);
}

/// TopK: per slice along the axis, k selection passes; pass j takes the
/// element that comes first, in the (value, index) order, among those after
/// the element of pass j - 1.
FailureOr<SmallVector<Value>> lowerTopK(OpBuilder &b, nn::TopKOp op) {
  Location loc = op.getLoc();
  Value x = op.getInput();
  auto t = rtt(x);
  int64_t r = t.getRank(), axis = op.getAxis();
  bool largest = op.getLargest();
  auto vT = rtt(op.getValues()), iT = rtt(op.getIndices());
  Value k = vT.isDynamicDim(axis) ? toIndex(b, loc, scalarOf(b, loc, op.getK())) : cIdx(b, loc, vT.getDimSize(axis));
  Value n = dimOf(b, loc, x, axis);
  // [runtime-checks] A run-time k outside [0, n] is reported by nn.check;
  // clamp it so the run stays memory-safe until then.
  if (vT.isDynamicDim(axis))
    k = kiln::clampIndex(b, loc, k, cIdx(b, loc, 0), n);
  SmallVector<Value> odims, outer;
  for (int64_t i = 0; i < r; ++i) {
    odims.push_back(i == axis ? k : dimOf(b, loc, x, i));
    if (i != axis)
      outer.push_back(odims.back());
  }
  Value v0 = empty(b, loc, vT, odims), i0 = empty(b, loc, iT, odims);
  Type et = t.getElementType();
  // a before b in the output order.
  auto before = [&](OpBuilder &nb, Location nl, Value va, Value ia, Value vb, Value ib) -> Value {
    Value strict = binaryScalar(nb, nl, largest ? nn::BinaryKind::gt : nn::BinaryKind::lt, va, vb);
    Value eq = binaryScalar(nb, nl, nn::BinaryKind::eq, va, vb);
    return orI(nb, nl, strict, andI(nb, nl, eq, cmpI(nb, nl, arith::CmpIPredicate::slt, ia, ib)));
  };
  auto res = loopNest(
      b, loc, outer, ValueRange{v0, i0},
      [&](OpBuilder &nb, Location nl, ValueRange ivs, ValueRange args) -> SmallVector<Value> {
        auto at = [&](Value pos) {
          SmallVector<Value> idx(ivs.begin(), ivs.end());
          idx.insert(idx.begin() + axis, pos);
          return idx;
        };
        Value lo = lowest(nb, nl, et), m1 = arith::ConstantIntOp::create(nb, nl, -1, 64);
        auto sel = forLoop(
            nb, nl, cIdx(nb, nl, 0), k, ValueRange{args[0], args[1], lo, m1},
            [&](OpBuilder &jb, Location jl, Value j, ValueRange ja) -> SmallVector<Value> {
              Value hasPrev = cmpI(jb, jl, arith::CmpIPredicate::sgt, j, cIdx(jb, jl, 0));
              Value prevV = ja[2], prevI = ja[3];
              auto best = forLoop(
                  jb, jl, cIdx(jb, jl, 0), n, ValueRange{lowest(jb, jl, et), m1, boolC(jb, jl, false)},
                  [&](OpBuilder &ib, Location il, Value i, ValueRange ia) -> SmallVector<Value> {
                    Value v = tensor::ExtractOp::create(ib, il, x, at(i));
                    Value ii = toI64(ib, il, i);
                    Value afterPrev = orI(ib, il, notI(ib, il, hasPrev), before(ib, il, prevV, prevI, v, ii));
                    Value better = orI(ib, il, notI(ib, il, ia[2]), before(ib, il, v, ii, ia[0], ia[1]));
                    Value take = andI(ib, il, afterPrev, better);
                    return {selectV(ib, il, take, v, ia[0]), selectV(ib, il, take, ii, ia[1]),
                            orI(ib, il, ia[2], take)};
                  });
              Value ov = tensor::InsertOp::create(jb, jl, best[0], ja[0], at(j));
              Value oi = tensor::InsertOp::create(jb, jl, best[1], ja[1], at(j));
              return {ov, oi, best[0], best[1]};
            });
        return {sel[0], sel[1]};
      });
  return SmallVector<Value>{res[0], res[1]};
}

FailureOr<Value> lowerNonZero(OpBuilder &b, nn::NonZeroOp op) {
  Location loc = op.getLoc();
  Value x = op.getInput();
  int64_t r = rtt(x).getRank();
  auto res = rtt(op.getResult());
  SmallVector<Value> ubs;
  for (int64_t i = 0; i < r; ++i)
    ubs.push_back(dimOf(b, loc, x, i));
  Value count = loopNest(b, loc, ubs, ValueRange{cIdx(b, loc, 0)},
                         [&](OpBuilder &nb, Location nl, ValueRange ivs, ValueRange a) -> SmallVector<Value> {
                           Value nz = isNonZero(nb, nl, tensor::ExtractOp::create(nb, nl, x, ivs));
                           return {selectV(nb, nl, nz, arith::AddIOp::create(nb, nl, a[0], cIdx(nb, nl, 1)), a[0])};
                         })[0];
  Value out0 = empty(b, loc, res, {cIdx(b, loc, r), count});
  return loopNest(b, loc, ubs, ValueRange{out0, cIdx(b, loc, 0)},
                  [&](OpBuilder &nb, Location nl, ValueRange ivs, ValueRange a) -> SmallVector<Value> {
                    Value nz = isNonZero(nb, nl, tensor::ExtractOp::create(nb, nl, x, ivs));
                    auto ifOp = scf::IfOp::create(
                        nb, nl, nz,
                        [&](OpBuilder &tb, Location tl) {
                          Value o = a[0];
                          for (int64_t d = 0; d < r; ++d)
                            o = tensor::InsertOp::create(tb, tl, toI64(tb, tl, ivs[d]), o,
                                                         ValueRange{cIdx(tb, tl, d), a[1]});
                          scf::YieldOp::create(tb, tl, ValueRange{o, arith::AddIOp::create(tb, tl, a[1], cIdx(tb, tl, 1))});
                        },
                        [&](OpBuilder &eb, Location el) { scf::YieldOp::create(eb, el, ValueRange{a[0], a[1]}); });
                    return {ifOp.getResult(0), ifOp.getResult(1)};
                  })[0];
}

/// Unique rows of [n, m]: (1) a stable bottom-up merge sort of the row
/// indices by row (lexicographic), O(n log n) row comparisons; (2) one pass
/// over the sorted order that numbers the groups of equal rows (the first
/// of each group, by stability, is the first occurrence); (3) unsorted: the
/// groups ranked by first occurrence; (4) fresh outputs of U rows filled in
/// one pass over the input rows.
FailureOr<SmallVector<Value>> lowerUnique(OpBuilder &b, nn::UniqueOp op) {
  Location loc = op.getLoc();
  Value x = op.getInput();
  Type i64 = b.getI64Type();
  Value n = dimOf(b, loc, x, 0), m = dimOf(b, loc, x, 1);
  Value c0 = cIdx(b, loc, 0), c1 = cIdx(b, loc, 1);
  auto vecT = RankedTensorType::get({kDyn}, b.getIndexType());
  auto newVec = [&](OpBuilder &nb, Location nl) -> Value {
    return tensor::EmptyOp::create(nb, nl, vecT.getShape(), vecT.getElementType(), ValueRange{n});
  };
  auto get = [&](OpBuilder &nb, Location nl, Value t, Value i) -> Value {
    return tensor::ExtractOp::create(nb, nl, t, ValueRange{i});
  };
  auto put = [&](OpBuilder &nb, Location nl, Value t, Value i, Value v) -> Value {
    return tensor::InsertOp::create(nb, nl, v, t, ValueRange{i});
  };
  auto add = [&](OpBuilder &nb, Location nl, Value p, Value q) -> Value {
    return arith::AddIOp::create(nb, nl, p, q);
  };
  auto elem = [&](OpBuilder &nb, Location nl, Value i, Value c) -> Value {
    return tensor::ExtractOp::create(nb, nl, x, ValueRange{i, c});
  };
  auto rowsEqual = [&](OpBuilder &nb, Location nl, Value i, Value j) -> Value {
    return forLoop(nb, nl, cIdx(nb, nl, 0), m, ValueRange{boolC(nb, nl, true)},
                   [&](OpBuilder &cb, Location cl, Value c, ValueRange a) -> SmallVector<Value> {
                     Value eq = binaryScalar(cb, cl, nn::BinaryKind::eq, elem(cb, cl, i, c), elem(cb, cl, j, c));
                     return {andI(cb, cl, a[0], eq)};
                   })[0];
  };
  auto rowLess = [&](OpBuilder &nb, Location nl, Value i, Value j) -> Value {
    auto r = forLoop(nb, nl, cIdx(nb, nl, 0), m, ValueRange{boolC(nb, nl, false), boolC(nb, nl, false)},
                     [&](OpBuilder &cb, Location cl, Value c, ValueRange a) -> SmallVector<Value> {
                       Value u = elem(cb, cl, i, c), v = elem(cb, cl, j, c);
                       Value lt = binaryScalar(cb, cl, nn::BinaryKind::lt, u, v);
                       Value gt = binaryScalar(cb, cl, nn::BinaryKind::gt, u, v);
                       return {orI(cb, cl, a[0], orI(cb, cl, lt, gt)), selectV(cb, cl, a[0], a[1], lt)};
                     });
    return r[1];
  };
  // (1) Merge sort of the row indices: ceil(log2 n) levels of runs of width
  // 2^l, merged into a second buffer (ties take the left run) and copied
  // back.
  Value perm0 = forLoop(b, loc, c0, n, ValueRange{newVec(b, loc)},
                        [&](OpBuilder &nb, Location nl, Value i, ValueRange a) -> SmallVector<Value> {
                          return {put(nb, nl, a[0], i, i)};
                        })[0];
  // levels = ceil(log2 n) = #{l in [0, 64) : 2^l < n} (math.ctlz has no
  // lowering on the CPU path).
  Value levels = forLoop(b, loc, c0, cIdx(b, loc, 64), ValueRange{c0},
                         [&](OpBuilder &nb, Location nl, Value l, ValueRange a) -> SmallVector<Value> {
                           Value w = arith::ShLIOp::create(nb, nl, cIdx(nb, nl, 1), l);
                           Value below = cmpI(nb, nl, arith::CmpIPredicate::ult, w, n);
                           return {selectV(nb, nl, below, add(nb, nl, a[0], cIdx(nb, nl, 1)), a[0])};
                         })[0];
  Value last = arith::SubIOp::create(b, loc, arith::MaxUIOp::create(b, loc, n, c1), c1);
  auto sortedBufs = forLoop(
      b, loc, c0, levels, ValueRange{perm0, newVec(b, loc)},
      [&](OpBuilder &lb, Location ll, Value l, ValueRange la) -> SmallVector<Value> {
        Value src = la[0];
        Value width = arith::ShLIOp::create(lb, ll, cIdx(lb, ll, 1), l);
        Value step = add(lb, ll, width, width);
        auto runs = scf::ForOp::create(
            lb, ll, cIdx(lb, ll, 0), n, step, ValueRange{la[1]},
            [&](OpBuilder &rb, Location rl, Value lo, ValueRange ra) {
              Value mid = arith::MinUIOp::create(rb, rl, add(rb, rl, lo, width), n);
              Value hi = arith::MinUIOp::create(rb, rl, add(rb, rl, lo, step), n);
              auto merged = forLoop(
                  rb, rl, lo, hi, ValueRange{ra[0], lo, mid},
                  [&](OpBuilder &kb, Location kl, Value k, ValueRange ka) -> SmallVector<Value> {
                    Value i = ka[1], j = ka[2];
                    Value iValid = cmpI(kb, kl, arith::CmpIPredicate::ult, i, mid);
                    Value jValid = cmpI(kb, kl, arith::CmpIPredicate::ult, j, hi);
                    Value a = get(kb, kl, src, arith::MinUIOp::create(kb, kl, i, last));
                    Value bb = get(kb, kl, src, arith::MinUIOp::create(kb, kl, j, last));
                    Value right = andI(kb, kl, jValid, orI(kb, kl, notI(kb, kl, iValid), rowLess(kb, kl, bb, a)));
                    Value dst = put(kb, kl, ka[0], k, selectV(kb, kl, right, bb, a));
                    Value one = cIdx(kb, kl, 1), zero = cIdx(kb, kl, 0);
                    return {dst, add(kb, kl, i, selectV(kb, kl, right, zero, one)),
                            add(kb, kl, j, selectV(kb, kl, right, one, zero))};
                  });
              scf::YieldOp::create(rb, rl, ValueRange{merged[0]});
            });
        // Copy back (one-shot bufferization does not swap loop buffers).
        Value back = linalg::CopyOp::create(lb, ll, runs.getResult(0), src).getResult(0);
        return {back, runs.getResult(0)};
      });
  Value sorted = sortedBufs[0];
  // (2) Groups of equal rows in sorted order: group of every input row,
  // first occurrence (leader) of every group, and U.
  auto groups = forLoop(
      b, loc, c0, n, ValueRange{newVec(b, loc), newVec(b, loc), c0},
      [&](OpBuilder &nb, Location nl, Value p, ValueRange a) -> SmallVector<Value> {
        Value r = get(nb, nl, sorted, p);
        Value prev = get(nb, nl, sorted, arith::SubIOp::create(nb, nl, arith::MaxUIOp::create(nb, nl, p, cIdx(nb, nl, 1)),
                                                               cIdx(nb, nl, 1)));
        Value isNew = orI(nb, nl, cmpI(nb, nl, arith::CmpIPredicate::eq, p, cIdx(nb, nl, 0)),
                          notI(nb, nl, rowsEqual(nb, nl, prev, r)));
        Value g = selectV(nb, nl, isNew, add(nb, nl, a[2], cIdx(nb, nl, 1)), a[2]);
        Value gid = arith::SubIOp::create(nb, nl, g, cIdx(nb, nl, 1));
        Value groupOf = put(nb, nl, a[0], r, gid);
        Value leader = put(nb, nl, a[1], gid, selectV(nb, nl, isNew, r, get(nb, nl, a[1], gid)));
        return {groupOf, leader, g};
      });
  Value groupOf = groups[0], leader = groups[1], U = groups[2];
  // (3) Output position of every group: its sorted rank, or its rank by
  // first occurrence.
  Value posOf;
  if (!op.getSorted()) {
    posOf = forLoop(b, loc, c0, n, ValueRange{newVec(b, loc), c0},
                    [&](OpBuilder &nb, Location nl, Value i, ValueRange a) -> SmallVector<Value> {
                      Value gid = get(nb, nl, groupOf, i);
                      Value isLeader = cmpI(nb, nl, arith::CmpIPredicate::eq, get(nb, nl, leader, gid), i);
                      Value pos = put(nb, nl, a[0], gid, selectV(nb, nl, isLeader, a[1], get(nb, nl, a[0], gid)));
                      return {pos, selectV(nb, nl, isLeader, add(nb, nl, a[1], cIdx(nb, nl, 1)), a[1])};
                    })[0];
  }
  // (4) Outputs.
  auto rowsT = rtt(op.getRows());
  Value rows0 = empty(b, loc, rowsT, {U, m});
  Value idx0 = empty(b, loc, rtt(op.getIndices()), {U});
  Value inv0 = empty(b, loc, rtt(op.getInverse()), {n});
  Value cnt0 = fillTensor(b, loc, empty(b, loc, rtt(op.getCounts()), {U}), scalar(b, loc, i64, 0));
  auto outs = forLoop(
      b, loc, c0, n, ValueRange{rows0, idx0, inv0, cnt0},
      [&](OpBuilder &nb, Location nl, Value i, ValueRange a) -> SmallVector<Value> {
        Value gid = get(nb, nl, groupOf, i);
        Value fi = get(nb, nl, leader, gid);
        Value p = posOf ? get(nb, nl, posOf, gid) : gid;
        Value inv = put(nb, nl, a[2], i, toI64(nb, nl, p));
        Value c = get(nb, nl, a[3], p);
        Value cnt = put(nb, nl, a[3], p, arith::AddIOp::create(nb, nl, c, scalar(nb, nl, i64, 1)));
        Value idx = put(nb, nl, a[1], p, toI64(nb, nl, fi));
        Value rows = forLoop(nb, nl, cIdx(nb, nl, 0), m, ValueRange{a[0]},
                             [&](OpBuilder &cb, Location cl, Value c, ValueRange ca) -> SmallVector<Value> {
                               return {tensor::InsertOp::create(cb, cl, elem(cb, cl, fi, c), ca[0],
                                                                ValueRange{p, c})
                                           .getResult()};
                             })[0];
        return {rows, idx, inv, cnt};
      });
  return SmallVector<Value>(outs.begin(), outs.end());
}

/// Greedy NMS (ONNX Runtime's semantics: score > threshold, IoU >
/// threshold suppresses, boxes of zero area never overlap).
FailureOr<Value> lowerNMS(OpBuilder &b, nn::NonMaxSuppressionOp op) {
  Location loc = op.getLoc();
  Value boxes = op.getBoxes(), scores = op.getScores();
  Type f32 = b.getF32Type(), i64 = b.getI64Type();
  Value B = dimOf(b, loc, boxes, 0), S = dimOf(b, loc, boxes, 1), C = dimOf(b, loc, scores, 1);
  Value c0 = cIdx(b, loc, 0);
  Value maxOut = scalarOf(b, loc, op.getMaxOutput());
  maxOut = arith::MaxSIOp::create(b, loc, maxOut, scalar(b, loc, i64, 0));
  Value limit = arith::MinUIOp::create(b, loc, toIndex(b, loc, maxOut), S);
  Value iouThr = scalarOf(b, loc, op.getIouThreshold());
  Value scoreThr = scalarOf(b, loc, op.getScoreThreshold());
  bool hasThr = op.getHasScoreThreshold();
  bool center = op.getCenterPointBox();
  Value total = arith::MulIOp::create(b, loc, arith::MulIOp::create(b, loc, B, C), S);
  auto scratchT = RankedTensorType::get({kDyn, 3}, i64);
  Value scratch0 = tensor::EmptyOp::create(b, loc, scratchT.getShape(), i64, ValueRange{total});
  auto suppT = RankedTensorType::get({kDyn}, b.getI1Type());
  // Box i of batch bi as (ymin, xmin, ymax, xmax).
  auto corners = [&](OpBuilder &nb, Location nl, Value bi, Value i) -> SmallVector<Value> {
    SmallVector<Value> v;
    for (int64_t c = 0; c < 4; ++c)
      v.push_back(tensor::ExtractOp::create(nb, nl, boxes, ValueRange{bi, i, cIdx(nb, nl, c)}));
    auto mn = [&](Value p, Value q) -> Value { return arith::MinimumFOp::create(nb, nl, p, q); };
    auto mx = [&](Value p, Value q) -> Value { return arith::MaximumFOp::create(nb, nl, p, q); };
    if (center) {
      // (x_center, y_center, width, height)
      Value half = scalar(nb, nl, f32, 0.5);
      Value hw = arith::MulFOp::create(nb, nl, v[2], half), hh = arith::MulFOp::create(nb, nl, v[3], half);
      return {arith::SubFOp::create(nb, nl, v[1], hh), arith::SubFOp::create(nb, nl, v[0], hw),
              arith::AddFOp::create(nb, nl, v[1], hh), arith::AddFOp::create(nb, nl, v[0], hw)};
    }
    return {mn(v[0], v[2]), mn(v[1], v[3]), mx(v[0], v[2]), mx(v[1], v[3])};
  };
  auto overlaps = [&](OpBuilder &nb, Location nl, ArrayRef<Value> p, ArrayRef<Value> q) -> Value {
    auto mn = [&](Value u, Value v) -> Value { return arith::MinimumFOp::create(nb, nl, u, v); };
    auto mx = [&](Value u, Value v) -> Value { return arith::MaximumFOp::create(nb, nl, u, v); };
    auto sub = [&](Value u, Value v) -> Value { return arith::SubFOp::create(nb, nl, u, v); };
    auto mul = [&](Value u, Value v) -> Value { return arith::MulFOp::create(nb, nl, u, v); };
    auto gtF = [&](Value u, Value v) -> Value {
      return arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT, u, v);
    };
    Value zero = scalar(nb, nl, f32, 0);
    Value iy0 = mx(p[0], q[0]), ix0 = mx(p[1], q[1]), iy1 = mn(p[2], q[2]), ix1 = mn(p[3], q[3]);
    Value nonEmpty = andI(nb, nl, gtF(iy1, iy0), gtF(ix1, ix0));
    Value inter = mul(mx(sub(iy1, iy0), zero), mx(sub(ix1, ix0), zero));
    Value ap = mul(sub(p[2], p[0]), sub(p[3], p[1])), aq = mul(sub(q[2], q[0]), sub(q[3], q[1]));
    Value areasOk = andI(nb, nl, gtF(ap, zero), gtF(aq, zero));
    Value uni = sub(arith::AddFOp::create(nb, nl, ap, aq), inter);
    Value iou = arith::DivFOp::create(nb, nl, inter, uni);
    return andI(nb, nl, andI(nb, nl, nonEmpty, areasOk), gtF(iou, iouThr));
  };
  auto res = loopNest(
      b, loc, {B, C}, ValueRange{scratch0, c0},
      [&](OpBuilder &nb, Location nl, ValueRange ivs, ValueRange a) -> SmallVector<Value> {
        Value bi = ivs[0], ci = ivs[1];
        Value supp0 = fillTensor(nb, nl, tensor::EmptyOp::create(nb, nl, suppT.getShape(), nb.getI1Type(), ValueRange{S}),
                                 boolC(nb, nl, false));
        auto sel = forLoop(
            nb, nl, cIdx(nb, nl, 0), limit, ValueRange{a[0], a[1], supp0},
            [&](OpBuilder &tb, Location tl, Value, ValueRange ta) -> SmallVector<Value> {
              auto best = forLoop(
                  tb, tl, cIdx(tb, tl, 0), S,
                  ValueRange{scalar(tb, tl, f32, 0), cIdx(tb, tl, 0), boolC(tb, tl, false)},
                  [&](OpBuilder &ib, Location il, Value i, ValueRange ia) -> SmallVector<Value> {
                    Value s = tensor::ExtractOp::create(ib, il, scores, ValueRange{bi, ci, i});
                    Value ok = notI(ib, il, tensor::ExtractOp::create(ib, il, ta[2], ValueRange{i}));
                    if (hasThr)
                      ok = andI(ib, il, ok, arith::CmpFOp::create(ib, il, arith::CmpFPredicate::OGT, s, scoreThr));
                    Value better = orI(ib, il, notI(ib, il, ia[2]),
                                       arith::CmpFOp::create(ib, il, arith::CmpFPredicate::OGT, s, ia[0]));
                    Value take = andI(ib, il, ok, better);
                    return {selectV(ib, il, take, s, ia[0]), selectV(ib, il, take, i, ia[1]),
                            orI(ib, il, ia[2], take)};
                  });
              Value found = best[2], bj = best[1];
              auto ifOp = scf::IfOp::create(
                  tb, tl, found,
                  [&](OpBuilder &yb, Location yl) {
                    Value row = ta[1];
                    Value sc = ta[0];
                    sc = tensor::InsertOp::create(yb, yl, toI64(yb, yl, bi), sc, ValueRange{row, cIdx(yb, yl, 0)});
                    sc = tensor::InsertOp::create(yb, yl, toI64(yb, yl, ci), sc, ValueRange{row, cIdx(yb, yl, 1)});
                    sc = tensor::InsertOp::create(yb, yl, toI64(yb, yl, bj), sc, ValueRange{row, cIdx(yb, yl, 2)});
                    SmallVector<Value> pb = corners(yb, yl, bi, bj);
                    Value supp = tensor::InsertOp::create(yb, yl, boolC(yb, yl, true), ta[2], ValueRange{bj});
                    supp = forLoop(yb, yl, cIdx(yb, yl, 0), S, ValueRange{supp},
                                   [&](OpBuilder &jb, Location jl, Value j, ValueRange ja) -> SmallVector<Value> {
                                     Value old = tensor::ExtractOp::create(jb, jl, ja[0], ValueRange{j});
                                     Value o = overlaps(jb, jl, pb, corners(jb, jl, bi, j));
                                     return {tensor::InsertOp::create(jb, jl, orI(jb, jl, old, o), ja[0], ValueRange{j})
                                                 .getResult()};
                                   })[0];
                    scf::YieldOp::create(yb, yl, ValueRange{sc, arith::AddIOp::create(yb, yl, row, cIdx(yb, yl, 1)), supp});
                  },
                  [&](OpBuilder &yb, Location yl) { scf::YieldOp::create(yb, yl, ValueRange{ta[0], ta[1], ta[2]}); });
              return {ifOp.getResult(0), ifOp.getResult(1), ifOp.getResult(2)};
            });
        return {sel[0], sel[1]};
      });
  // Copy the first N rows into a fresh [N, 3] tensor.
  Value scratch = res[0], N = res[1];
  auto outT = rtt(op.getResult());
  Value out0 = empty(b, loc, outT, {N, cIdx(b, loc, 3)});
  return linalg::GenericOp::create(
             b, loc, TypeRange{outT}, ValueRange{}, ValueRange{out0},
             SmallVector<AffineMap>{b.getMultiDimIdentityMap(2)},
             SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location nl, ValueRange) {
               Value r = linalg::IndexOp::create(nb, nl, 0), c = linalg::IndexOp::create(nb, nl, 1);
               linalg::YieldOp::create(nb, nl, tensor::ExtractOp::create(nb, nl, scratch, ValueRange{r, c}).getResult());
             })
      .getResult(0);
}

// ---- conformance [sorting]: add new entries above this line ----

/// nn.nll_loss: one linalg.generic over the target's dims computes each
/// element's loss by extracting input[n, t, d...] (and weight[t]); a second
/// computes each element's weight (for `mean`); both are then summed.
FailureOr<Value> lowerNLLLoss(OpBuilder &b, nn::NLLLossOp op) {
  Location loc = op.getLoc();
  Value x = op.getInput(), target = op.getTarget(), weight = op.getWeight();
  auto xt = rtt(x), tt = rtt(target);
  Type et = xt.getElementType();
  int64_t r = tt.getRank();
  auto lossT = RankedTensorType::get(tt.getShape(), et);
  SmallVector<Value> dims;
  for (int64_t i = 0; i < r; ++i) dims.push_back(dimOf(b, loc, target, i));
  Value numClasses = dimOf(b, loc, x, 1);
  std::optional<int64_t> ignore;
  if (op.getIgnoreIndex())
    ignore = *op.getIgnoreIndex();
  // Per element: (ignored, class index clamped to [0, C - 1]).
  auto classOf = [&](OpBuilder &nb, Location nl, Value t) -> std::pair<Value, Value> {
    Value t64 = t.getType().isInteger(64) ? t : (Value)arith::ExtSIOp::create(nb, nl, nb.getI64Type(), t);
    Value ignored;
    if (ignore)
      ignored = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, t64,
                                      arith::ConstantOp::create(nb, nl, nb.getI64IntegerAttr(*ignore)));
    Value c = arith::IndexCastOp::create(nb, nl, nb.getIndexType(), t64);
    c = arith::MaxSIOp::create(nb, nl, c, cIdx(nb, nl, 0));
    c = arith::MinSIOp::create(nb, nl, c, arith::SubIOp::create(nb, nl, numClasses, cIdx(nb, nl, 1)));
    return {ignored, c};
  };
  auto perElement = [&](bool weightsOnly) {
    SmallVector<AffineMap> maps(2, b.getMultiDimIdentityMap(r));
    return linalg::GenericOp::create(
               b, loc, TypeRange{lossT}, ValueRange{target}, ValueRange{empty(b, loc, lossT, dims)}, maps,
               SmallVector<utils::IteratorType>(r, utils::IteratorType::parallel),
               [&](OpBuilder &nb, Location nl, ValueRange a) {
                 auto [ignored, c] = classOf(nb, nl, a[0]);
                 Value w = weight ? (Value)tensor::ExtractOp::create(nb, nl, weight, ValueRange{c}) : Value();
                 Value v;
                 if (weightsOnly) {
                   v = w ? w : scalar(nb, nl, et, 1);
                 } else {
                   SmallVector<Value> idx{linalg::IndexOp::create(nb, nl, 0), c};
                   for (int64_t i = 1; i < r; ++i) idx.push_back(linalg::IndexOp::create(nb, nl, i));
                   Value in = tensor::ExtractOp::create(nb, nl, x, idx);
                   v = arith::NegFOp::create(nb, nl, weight ? (Value)arith::MulFOp::create(nb, nl, in, w) : in);
                 }
                 if (ignored)
                   v = arith::SelectOp::create(nb, nl, ignored, scalar(nb, nl, et, 0), v);
                 linalg::YieldOp::create(nb, nl, v);
               })
        .getResult(0);
  };
  Value loss = perElement(false);
  StringRef red = op.getReduction();
  if (red == "none")
    return loss;
  SmallVector<int64_t> all;
  for (int64_t i = 0; i < r; ++i) all.push_back(i);
  auto sumAll = [&](Value v) {
    return reduceGeneric(b, loc, v, all, scalar(b, loc, et, 0), [](OpBuilder &nb, Location nl, Value a, Value c) {
      return (Value)arith::AddFOp::create(nb, nl, a, c);
    });
  };
  Value total = sumAll(loss);
  if (red == "sum")
    return total;
  if (red != "mean")
    return (LogicalResult)(op.emitError() << "unknown reduction '" << red << "'");
  Value wsum;
  if (!weight && !ignore)
    wsum = countOf(b, loc, target, all, et);
  else
    wsum = tensor::ExtractOp::create(b, loc, sumAll(perElement(true)), ValueRange{});
  return divScalar(b, loc, total, wsum);
}

// ---- conformance [loss]: add new entries above this line ----

/// Element `i` of a 1-D integer tensor as an index value.
Value indexAt(OpBuilder &b, Location loc, Value t, int64_t i) {
  Value e = tensor::ExtractOp::create(b, loc, t, ValueRange{cIdx(b, loc, i)});
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), e);
}

/// nn.dynamic_slice: one generic over the result reading
/// input[offset + i * stride] per dim.
FailureOr<Value> lowerDynamicSlice(OpBuilder &b, nn::DynamicSliceOp op) {
  Location loc = op.getLoc();
  auto res = rtt(op.getResult());
  int64_t r = res.getRank();
  Value x = op.getInput();
  SmallVector<Value> offs, strides, dims;
  for (int64_t i = 0; i < r; ++i) {
    offs.push_back(indexAt(b, loc, op.getOffsets(), i));
    strides.push_back(indexAt(b, loc, op.getStrides(), i));
    dims.push_back(res.isDynamicDim(i) ? indexAt(b, loc, op.getSizes(), i) : cIdx(b, loc, res.getDimSize(i)));
  }
  Value init = empty(b, loc, res, dims);
  return generateOver(b, loc, init,
             [&](OpBuilder &nb, Location nl, ValueRange) {
               SmallVector<Value> idx;
               for (int64_t i = 0; i < r; ++i) {
                 Value iv = linalg::IndexOp::create(nb, nl, i);
                 idx.push_back(arith::AddIOp::create(nb, nl, offs[i], arith::MulIOp::create(nb, nl, iv, strides[i])));
               }
               linalg::YieldOp::create(nb, nl, tensor::ExtractOp::create(nb, nl, x, idx).getResult());
             });
}

/// nn.pad_mode: one generic over the result; per dim the source index
/// o - begin is mapped into [0, d) by the mode (constant: clamped read and a
/// select of the pad value outside).
FailureOr<Value> lowerPadMode(OpBuilder &b, nn::PadModeOp op) {
  Location loc = op.getLoc();
  auto res = rtt(op.getResult());
  int64_t r = res.getRank();
  Type et = res.getElementType();
  Value x = op.getInput();
  StringRef mode = op.getMode();
  SmallVector<Value> lo, in, dims;
  for (int64_t i = 0; i < r; ++i) {
    lo.push_back(indexAt(b, loc, op.getPads(), i));
    in.push_back(dimOf(b, loc, x, i));
    if (res.isDynamicDim(i)) {
      Value hi = indexAt(b, loc, op.getPads(), i + r);
      Value d = arith::AddIOp::create(b, loc, arith::AddIOp::create(b, loc, in[i], lo[i]), hi);
      dims.push_back(arith::MaxSIOp::create(b, loc, d, cIdx(b, loc, 0)));
    } else {
      dims.push_back(cIdx(b, loc, res.getDimSize(i)));
    }
  }
  Value padV;
  if (op.getValue()) {
    SmallVector<Value> zeros(rtt(op.getValue()).getRank(), cIdx(b, loc, 0));
    padV = tensor::ExtractOp::create(b, loc, op.getValue(), zeros);
  } else {
    padV = scalar(b, loc, et, 0);
  }
  Value init = empty(b, loc, res, dims);
  return generateOver(b, loc, init,
             [&](OpBuilder &nb, Location nl, ValueRange) {
               Value zero = cIdx(nb, nl, 0), one = cIdx(nb, nl, 1);
               Value inside;
               SmallVector<Value> idx;
               auto posMod = [&](Value a, Value m) -> Value {
                 Value rem = arith::RemSIOp::create(nb, nl, a, m);
                 Value neg = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, rem, zero);
                 return arith::SelectOp::create(nb, nl, neg, arith::AddIOp::create(nb, nl, rem, m), rem);
               };
               for (int64_t i = 0; i < r; ++i) {
                 Value o = linalg::IndexOp::create(nb, nl, i);
                 Value s = arith::SubIOp::create(nb, nl, o, lo[i]);
                 Value last = arith::SubIOp::create(nb, nl, in[i], one);
                 Value v;
                 if (mode == "reflect") {
                   // Period 2 * (d - 1); a dim of size 1 always reads 0.
                   Value period = arith::MaxSIOp::create(nb, nl, arith::AddIOp::create(nb, nl, last, last), one);
                   Value m = posMod(s, period);
                   v = arith::MinSIOp::create(nb, nl, m, arith::SubIOp::create(nb, nl, period, m));
                 } else if (mode == "wrap") {
                   v = posMod(s, arith::MaxSIOp::create(nb, nl, in[i], one));
                 } else {
                   if (mode == "constant") {
                     Value ge = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sge, s, zero);
                     Value lt = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, s, in[i]);
                     Value ok = arith::AndIOp::create(nb, nl, ge, lt);
                     inside = inside ? arith::AndIOp::create(nb, nl, inside, ok).getResult() : ok;
                   }
                   v = arith::MaxSIOp::create(nb, nl, arith::MinSIOp::create(nb, nl, s, last), zero);
                 }
                 idx.push_back(v);
               }
               Value e = tensor::ExtractOp::create(nb, nl, x, idx);
               if (inside)
                 e = arith::SelectOp::create(nb, nl, inside, e, padV);
               linalg::YieldOp::create(nb, nl, e);
             });
}

/// Pooling as one linalg.generic over (n, c, out..., window...) for any
/// spatial rank: the max (or sum) of the padded input and, with
/// `withIndices`, the flat index of the max in the unpadded input
/// (storage_order 0: row-major; 1: spatial dims column-major), first max
/// wins.  `res` must have static spatial dims.
SmallVector<Value> poolWindowGeneric(OpBuilder &b, Location loc, Value x, RankedTensorType res,
                                     ArrayRef<int64_t> k, ArrayRef<int64_t> s, ArrayRef<int64_t> d,
                                     ArrayRef<int64_t> pads, bool isMax, bool withIndices,
                                     int64_t storageOrder) {
  auto xt = rtt(x);
  int64_t ns = xt.getRank() - 2, R = 2 + 2 * ns;
  Type et = res.getElementType();
  Value padV = isMax ? lowest(b, loc, et) : scalar(b, loc, et, 0);
  Value xp = padSpatial(b, loc, x, pads, padV);
  SmallVector<Value> dims{dimOf(b, loc, x, 0), dimOf(b, loc, x, 1)};
  for (int64_t i = 2; i < res.getRank(); ++i)
    dims.push_back(cIdx(b, loc, res.getDimSize(i)));
  Value init = fillTensor(b, loc, empty(b, loc, res, dims), padV);
  Value window = tensor::EmptyOp::create(b, loc, k, et);
  SmallVector<AffineExpr> xe{b.getAffineDimExpr(0), b.getAffineDimExpr(1)}, we, oe{b.getAffineDimExpr(0), b.getAffineDimExpr(1)};
  for (int64_t i = 0; i < ns; ++i) {
    xe.push_back(b.getAffineDimExpr(2 + i) * s[i] + b.getAffineDimExpr(2 + ns + i) * d[i]);
    we.push_back(b.getAffineDimExpr(2 + ns + i));
    oe.push_back(b.getAffineDimExpr(2 + i));
  }
  AffineMap om = AffineMap::get(R, 0, oe, b.getContext());
  SmallVector<AffineMap> maps{AffineMap::get(R, 0, xe, b.getContext()), AffineMap::get(R, 0, we, b.getContext()), om};
  SmallVector<utils::IteratorType> iters(2 + ns, utils::IteratorType::parallel);
  iters.append(ns, utils::IteratorType::reduction);
  SmallVector<Value> inits{init};
  SmallVector<Type> types{res};
  if (withIndices) {
    auto it = RankedTensorType::get(res.getShape(), b.getI64Type());
    inits.push_back(fillTensor(b, loc, empty(b, loc, it, dims), scalar(b, loc, b.getI64Type(), 0)));
    types.push_back(it);
    maps.push_back(om);
  }
  bool isFloat = isa<FloatType>(et);
  Value C = dimOf(b, loc, x, 1);
  SmallVector<Value> inDims;
  for (int64_t i = 0; i < ns; ++i)
    inDims.push_back(dimOf(b, loc, x, 2 + i));
  auto g = linalg::GenericOp::create(
      b, loc, types, ValueRange{xp, window}, inits, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange a) {
        if (!isMax) {
          Value sum = isFloat ? (Value)arith::AddFOp::create(nb, nl, a[2], a[0])
                              : (Value)arith::AddIOp::create(nb, nl, a[2], a[0]);
          linalg::YieldOp::create(nb, nl, sum);
          return;
        }
        if (!withIndices) {
          Value m = isFloat ? (Value)arith::MaximumFOp::create(nb, nl, a[2], a[0])
                            : (Value)arith::MaxSIOp::create(nb, nl, a[2], a[0]);
          linalg::YieldOp::create(nb, nl, m);
          return;
        }
        Value gt = isFloat ? (Value)arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT, a[0], a[2])
                           : (Value)arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sgt, a[0], a[2]);
        // Flat index of the element in the unpadded input.
        SmallVector<Value> p;
        for (int64_t i = 0; i < ns; ++i) {
          Value o = linalg::IndexOp::create(nb, nl, 2 + i), w = linalg::IndexOp::create(nb, nl, 2 + ns + i);
          Value v = arith::AddIOp::create(nb, nl, arith::MulIOp::create(nb, nl, o, cIdx(nb, nl, s[i])),
                                          arith::MulIOp::create(nb, nl, w, cIdx(nb, nl, d[i])));
          p.push_back(arith::SubIOp::create(nb, nl, v, cIdx(nb, nl, pads[i])));
        }
        Value n = linalg::IndexOp::create(nb, nl, 0), c = linalg::IndexOp::create(nb, nl, 1);
        Value flat = arith::AddIOp::create(nb, nl, arith::MulIOp::create(nb, nl, n, C), c);
        for (int64_t j = 0; j < ns; ++j) {
          int64_t i = storageOrder ? ns - 1 - j : j;
          flat = arith::AddIOp::create(nb, nl, arith::MulIOp::create(nb, nl, flat, inDims[i]), p[i]);
        }
        Value fi = arith::IndexCastOp::create(nb, nl, nb.getI64Type(), flat);
        linalg::YieldOp::create(nb, nl, ValueRange{arith::SelectOp::create(nb, nl, gt, a[0], a[2]),
                                                   arith::SelectOp::create(nb, nl, gt, fi, a[3])});
      });
  return SmallVector<Value>(g.getResults());
}

/// nn.pool with 3 or more spatial dims.
FailureOr<Value> lowerPoolND(OpBuilder &b, nn::PoolOp op) {
  Location loc = op.getLoc();
  auto res = rtt(op.getResult());
  auto xt = rtt(op.getInput());
  Type et = res.getElementType();
  if (llvm::any_of(res.getShape().drop_front(2), ShapedType::isDynamic) ||
      llvm::any_of(xt.getShape().drop_front(2), ShapedType::isDynamic))
    return (LogicalResult)(op.emitError() << "pooling with 3 or more spatial dims needs static spatial dims");
  bool isMax = op.getKind() == nn::PoolKind::max;
  Value r = poolWindowGeneric(b, loc, op.getInput(), res, op.getKernel(), op.getStrides(), op.getDilations(),
                              op.getPads(), isMax, false, 0)[0];
  if (isMax)
    return r;
  SmallVector<double> div =
      poolDivisors(xt.getShape().drop_front(2), res.getShape().drop_front(2), op.getKernel(), op.getStrides(),
                   op.getDilations(), op.getPads(), op.getExplicitPads(), op.getCountIncludePad());
  return divideByPoolDivisors(b, loc, r, res, div);
}

/// nn.pool_indices: the Indices output of MaxPool.
FailureOr<Value> lowerPoolIndices(OpBuilder &b, nn::PoolIndicesOp op) {
  auto res = rtt(op.getResult());
  auto xt = rtt(op.getInput());
  if (llvm::any_of(res.getShape().drop_front(2), ShapedType::isDynamic))
    return (LogicalResult)(op.emitError() << "MaxPool indices need static spatial dims");
  auto vt = RankedTensorType::get(res.getShape(), xt.getElementType());
  return poolWindowGeneric(b, op.getLoc(), op.getInput(), vt, op.getKernel(), op.getStrides(),
                           op.getDilations(), op.getPads(), true, true, op.getStorageOrder())[1];
}

/// N-d grouped convolution on an already padded input as one linalg.generic
/// over (n, g, f, out..., c, window...): x[n, g*Cg + c, o*s + k*d] *
/// w[g*Fg + f, c, k], accumulated into [N, G, Fg, out...] (bias-initialised)
/// and collapsed to [N, F, out...].  Needs static channels and spatial
/// result dims.
FailureOr<Value> convGenericND(OpBuilder &b, Location loc, Operation *op, Value xp, Value w, Value bias,
                               ArrayRef<int64_t> strides, ArrayRef<int64_t> dil, int64_t G,
                               RankedTensorType res) {
  auto wt = rtt(w);
  int64_t ns = res.getRank() - 2;
  int64_t F = wt.getDimSize(0), Cg = wt.getDimSize(1);
  if (F == kDyn || Cg == kDyn || F % G != 0 || llvm::any_of(res.getShape().drop_front(1), ShapedType::isDynamic) ||
      llvm::any_of(wt.getShape().drop_front(2), ShapedType::isDynamic))
    return (LogicalResult)(op->emitError() << "convolution needs static channels, kernel and output spatial dims");
  int64_t Fg = F / G;
  Type et = res.getElementType();
  SmallVector<int64_t> gshape{res.getDimSize(0), G, Fg};
  gshape.append(res.getShape().begin() + 2, res.getShape().end());
  auto gT = RankedTensorType::get(gshape, et);
  SmallVector<Value> gdims{dimOf(b, loc, xp, 0), cIdx(b, loc, G), cIdx(b, loc, Fg)};
  for (int64_t i = 0; i < ns; ++i)
    gdims.push_back(cIdx(b, loc, res.getDimSize(2 + i)));
  int64_t gr = gT.getRank();
  Value init = empty(b, loc, gT, gdims);
  if (bias) {
    AffineMap bm = AffineMap::get(gr, 0, {b.getAffineDimExpr(1) * Fg + b.getAffineDimExpr(2)}, b.getContext());
    init = linalg::GenericOp::create(b, loc, TypeRange{gT}, ValueRange{bias}, ValueRange{init},
                                     SmallVector<AffineMap>{bm, b.getMultiDimIdentityMap(gr)},
                                     SmallVector<utils::IteratorType>(gr, utils::IteratorType::parallel),
                                     [](OpBuilder &nb, Location nl, ValueRange a) { linalg::YieldOp::create(nb, nl, a[0]); })
               .getResult(0);
  } else {
    init = fillTensor(b, loc, init, scalar(b, loc, et, 0));
  }
  int64_t R = 4 + 2 * ns;
  auto D = [&](int64_t i) { return b.getAffineDimExpr(i); };
  SmallVector<AffineExpr> xe{D(0), D(1) * Cg + D(3 + ns)}, we{D(1) * Fg + D(2), D(3 + ns)}, oe{D(0), D(1), D(2)};
  for (int64_t i = 0; i < ns; ++i) {
    xe.push_back(D(3 + i) * strides[i] + D(4 + ns + i) * dil[i]);
    we.push_back(D(4 + ns + i));
    oe.push_back(D(3 + i));
  }
  SmallVector<AffineMap> maps{AffineMap::get(R, 0, xe, b.getContext()), AffineMap::get(R, 0, we, b.getContext()),
                              AffineMap::get(R, 0, oe, b.getContext())};
  SmallVector<utils::IteratorType> iters(3 + ns, utils::IteratorType::parallel);
  iters.append(1 + ns, utils::IteratorType::reduction);
  bool isFloat = isa<FloatType>(et);
  Value r = linalg::GenericOp::create(
                b, loc, TypeRange{gT}, ValueRange{xp, w}, ValueRange{init}, maps, iters,
                [&](OpBuilder &nb, Location nl, ValueRange a) {
                  Value v = isFloat ? (Value)arith::AddFOp::create(nb, nl, a[2], arith::MulFOp::create(nb, nl, a[0], a[1]))
                                    : (Value)arith::AddIOp::create(nb, nl, a[2], arith::MulIOp::create(nb, nl, a[0], a[1]));
                  linalg::YieldOp::create(nb, nl, v);
                })
                .getResult(0);
  SmallVector<ReassociationIndices> re{{0}, {1, 2}};
  for (int64_t i = 0; i < ns; ++i)
    re.push_back({3 + i});
  return (Value)tensor::CollapseShapeOp::create(b, loc, res, r, re);
}

/// N-d transposed convolution (3 or more spatial dims): the input is
/// dilated by the strides, padded by d * (k - 1) - pad (negative: cropped;
/// output_padding extends the end), and convolved with the spatially flipped
/// filter, whose [C, F/G] dims are swapped per group.
FailureOr<Value> lowerConvTransposeND(OpBuilder &b, nn::ConvTransposeOp op) {
  Location loc = op.getLoc();
  auto res = rtt(op.getResult());
  auto xt = rtt(op.getInput()), wt = rtt(op.getFilter());
  int64_t ns = res.getRank() - 2;
  if (!wt.hasStaticShape() || llvm::any_of(xt.getShape().drop_front(), ShapedType::isDynamic))
    return (LogicalResult)(op.emitError() << "transposed convolution needs static channel and spatial dims");
  Type et = res.getElementType();
  Value x = op.getInput(), w = op.getFilter();
  ArrayRef<int64_t> strides = op.getStrides(), dil = op.getDilations(), pads = op.getPads(),
                    opad = op.getOutputPadding();
  int64_t G = op.getGroups(), C = wt.getDimSize(0), Fg = wt.getDimSize(1);
  // 1. Dilate the input by the strides.
  SmallVector<int64_t> upShape{xt.getDimSize(0), C};
  SmallVector<Value> upDims{dimOf(b, loc, x, 0), cIdx(b, loc, C)};
  SmallVector<OpFoldResult> offs(ns + 2, b.getIndexAttr(0)), sizes{mixedDim(b, loc, x, 0), b.getIndexAttr(C)},
      strd{b.getIndexAttr(1), b.getIndexAttr(1)};
  for (int64_t i = 0; i < ns; ++i) {
    int64_t in = xt.getDimSize(2 + i);
    upShape.push_back((in - 1) * strides[i] + 1);
    upDims.push_back(cIdx(b, loc, upShape.back()));
    sizes.push_back(b.getIndexAttr(in));
    strd.push_back(b.getIndexAttr(strides[i]));
  }
  auto upT = RankedTensorType::get(upShape, et);
  Value up = fillTensor(b, loc, empty(b, loc, upT, upDims), scalar(b, loc, et, 0));
  up = tensor::InsertSliceOp::create(b, loc, x, up, offs, sizes, strd);
  // 2. Pad by d * (k - 1) - pad; negative amounts crop.
  SmallVector<int64_t> padPos(2 * ns), crop(2 * ns);
  for (int64_t i = 0; i < ns; ++i) {
    int64_t ek = dil[i] * (wt.getDimSize(2 + i) - 1);
    int64_t lo = ek - pads[i], hi = ek - pads[i + ns] + opad[i];
    padPos[i] = std::max<int64_t>(0, lo);
    padPos[i + ns] = std::max<int64_t>(0, hi);
    crop[i] = std::max<int64_t>(0, -lo);
    crop[i + ns] = std::max<int64_t>(0, -hi);
  }
  Value xp = padSpatial(b, loc, up, padPos, scalar(b, loc, et, 0));
  if (llvm::any_of(crop, [](int64_t c) { return c != 0; })) {
    auto pt = rtt(xp);
    SmallVector<int64_t> cs{pt.getDimSize(0), C};
    SmallVector<OpFoldResult> o(2, b.getIndexAttr(0)), s{mixedDim(b, loc, xp, 0), b.getIndexAttr(C)},
        one(ns + 2, b.getIndexAttr(1));
    for (int64_t i = 0; i < ns; ++i) {
      cs.push_back(pt.getDimSize(2 + i) - crop[i] - crop[i + ns]);
      o.push_back(b.getIndexAttr(crop[i]));
      s.push_back(b.getIndexAttr(cs.back()));
    }
    xp = tensor::ExtractSliceOp::create(b, loc, RankedTensorType::get(cs, et), xp, o, s, one);
  }
  // 3. Filter [C, F/G, k...] -> flipped [F, C/G, k...]:
  //    W'[g*Fg + f, c, i...] = W[g*Cg + c, f, (k-1-i)...].
  int64_t Cg = C / G, F = Fg * G;
  SmallVector<int64_t> wfShape{F, Cg};
  for (int64_t i = 0; i < ns; ++i)
    wfShape.push_back(wt.getDimSize(2 + i));
  auto wfT = RankedTensorType::get(wfShape, et);
  int64_t wr = wfT.getRank();
  Value wf = linalg::GenericOp::create(
                 b, loc, TypeRange{wfT}, ValueRange{}, ValueRange{empty(b, loc, wfT, {})},
                 SmallVector<AffineMap>{b.getMultiDimIdentityMap(wr)},
                 SmallVector<utils::IteratorType>(wr, utils::IteratorType::parallel),
                 [&](OpBuilder &nb, Location nl, ValueRange) {
                   Value o = linalg::IndexOp::create(nb, nl, 0), c = linalg::IndexOp::create(nb, nl, 1);
                   Value g = arith::DivUIOp::create(nb, nl, o, cIdx(nb, nl, Fg));
                   Value f = arith::RemUIOp::create(nb, nl, o, cIdx(nb, nl, Fg));
                   Value cin = arith::AddIOp::create(nb, nl, arith::MulIOp::create(nb, nl, g, cIdx(nb, nl, Cg)), c);
                   SmallVector<Value> idx{cin, f};
                   for (int64_t i = 0; i < ns; ++i)
                     idx.push_back(arith::SubIOp::create(nb, nl, cIdx(nb, nl, wfShape[2 + i] - 1),
                                                         linalg::IndexOp::create(nb, nl, 2 + i)));
                   linalg::YieldOp::create(nb, nl, tensor::ExtractOp::create(nb, nl, w, idx).getResult());
                 })
                 .getResult(0);
  SmallVector<int64_t> ones(ns, 1);
  return convGenericND(b, loc, op, xp, wf, op.getBias(), ones, dil, G, res);
}

/// nn.max_unpool: zero-filled result, an scf.for over the (flattened) input
/// elements inserting each value at its delinearized index.
FailureOr<Value> lowerMaxUnpool(OpBuilder &b, nn::MaxUnpoolOp op) {
  Location loc = op.getLoc();
  auto res = rtt(op.getResult());
  auto xt = rtt(op.getInput());
  Type et = res.getElementType();
  int64_t r = res.getRank();
  SmallVector<Value> dims = op.getShape() ? dimsFromShapeOperand(b, loc, res, op.getShape())
                                          : SmallVector<Value>();
  if (!op.getShape())
    for (int64_t i = 0; i < r; ++i)
      dims.push_back(cIdx(b, loc, res.getDimSize(i)));
  // Dims the flat indices refer to: N, C and the default unpooled dims.
  SmallVector<Value> idims{dimOf(b, loc, op.getInput(), 0), dimOf(b, loc, op.getInput(), 1)};
  for (int64_t d : op.getSpatialDims())
    idims.push_back(cIdx(b, loc, d));
  Value total = cIdx(b, loc, 1);
  for (int64_t i = 0; i < r; ++i)
    total = arith::MulIOp::create(b, loc, total, idims[i]);
  Value acc = fillTensor(b, loc, empty(b, loc, res, dims), scalar(b, loc, et, 0));
  ReassociationIndices all;
  for (int64_t i = 0; i < xt.getRank(); ++i)
    all.push_back(i);
  int64_t n = 1;
  for (int64_t d : xt.getShape())
    n = (n == kDyn || d == kDyn) ? kDyn : n * d;
  Value xf = tensor::CollapseShapeOp::create(b, loc, RankedTensorType::get({n}, xt.getElementType()), op.getInput(),
                                             SmallVector<ReassociationIndices>{all});
  Value idxf = tensor::CollapseShapeOp::create(b, loc, RankedTensorType::get({n}, rtt(op.getIndices()).getElementType()),
                                               op.getIndices(), SmallVector<ReassociationIndices>{all});
  Value zero = cIdx(b, loc, 0), one = cIdx(b, loc, 1);
  auto loop = scf::ForOp::create(
      b, loc, zero, dimOf(b, loc, xf, 0), one, ValueRange{acc},
      [&](OpBuilder &nb, Location nl, Value j, ValueRange iter) {
        Value v = tensor::ExtractOp::create(nb, nl, xf, ValueRange{j});
        Value t = arith::IndexCastOp::create(nb, nl, nb.getIndexType(),
                                             tensor::ExtractOp::create(nb, nl, idxf, ValueRange{j}));
        Value ok = arith::AndIOp::create(nb, nl, arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sge, t, zero),
                                         arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, t, total));
        auto ifOp = scf::IfOp::create(
            nb, nl, ok,
            [&](OpBuilder &ib, Location il) {
              // Row-major delinearization of the flat index.
              SmallVector<Value> pos(r);
              Value rem = t, inside;
              for (int64_t i = r - 1; i >= 0; --i) {
                pos[i] = arith::RemUIOp::create(ib, il, rem, idims[i]);
                rem = arith::DivUIOp::create(ib, il, rem, idims[i]);
                Value in = arith::CmpIOp::create(ib, il, arith::CmpIPredicate::ult, pos[i], dims[i]);
                inside = inside ? arith::AndIOp::create(ib, il, inside, in).getResult() : in;
              }
              auto inner = scf::IfOp::create(
                  ib, il, inside,
                  [&](OpBuilder &jb, Location jl) {
                    scf::YieldOp::create(jb, jl, tensor::InsertOp::create(jb, jl, v, iter[0], pos).getResult());
                  },
                  [&](OpBuilder &jb, Location jl) { scf::YieldOp::create(jb, jl, iter[0]); });
              scf::YieldOp::create(ib, il, inner.getResults());
            },
            [&](OpBuilder &ib, Location il) { scf::YieldOp::create(ib, il, iter[0]); });
        scf::YieldOp::create(nb, nl, ifOp.getResults());
      });
  return loop.getResult(0);
}

// ---- conformance [convpool]: add new entries above this line ----

// ---- conformance [recurrent]: add new entries above this line ----

//===----------------------------------------------------------------------===//
// [quant] family: quantization, signal and vision ops
//===----------------------------------------------------------------------===//

namespace {
Value qF64(OpBuilder &b, Location loc, double v) { return scalar(b, loc, b.getF64Type(), v); }
Value qIdxToF64(OpBuilder &b, Location loc, Value i) {
  return arith::SIToFPOp::create(b, loc, b.getF64Type(),
                                 arith::IndexCastOp::create(b, loc, b.getI64Type(), i));
}
/// Reads element 0 of a one-element integer tensor as an index.
Value qScalarIndex(OpBuilder &b, Location loc, Value t) {
  Value v = scalarOf(b, loc, t);
  if (v.getType().isIndex())
    return v;
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
}
/// A linalg.generic with no inputs besides `ins`, writing `init`; `body`
/// gets the builder and returns the yielded value.
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
} // namespace

Value lowerQuantize(OpBuilder &b, Location loc, nn::QuantizeOp q) {
  auto res = rtt(q.getResult());
  auto it = cast<IntegerType>(res.getElementType());
  bool u = q.getUnsignedResult();
  unsigned w = it.getWidth();
  double lo = u ? 0 : -std::ldexp(1.0, w - 1), hi = u ? std::ldexp(1.0, w) - 1 : std::ldexp(1.0, w - 1) - 1;
  SmallVector<Value> ops{q.getInput(), q.getScale()};
  if (q.getZeroPoint())
    ops.push_back(q.getZeroPoint());
  return elementwise(b, loc, res, ops, [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
    Type ft = a[0].getType();
    Value v = math::RoundEvenOp::create(nb, nl, arith::DivFOp::create(nb, nl, a[0], a[1]));
    if (a.size() > 2)
      v = arith::AddFOp::create(nb, nl, v, castScalar(nb, nl, a[2], ft, u, false));
    // Clamp in f32 (the bounds are exact for widths up to 24 bits) or f64.
    Type ct = w > 24 ? (Type)nb.getF64Type() : ft;
    if (ct != ft)
      v = arith::ExtFOp::create(nb, nl, ct, v);
    v = arith::MaximumFOp::create(nb, nl, v, scalar(nb, nl, ct, lo));
    v = arith::MinimumFOp::create(nb, nl, v, scalar(nb, nl, ct, hi));
    return u ? (Value)arith::FPToUIOp::create(nb, nl, it, v) : (Value)arith::FPToSIOp::create(nb, nl, it, v);
  });
}

Value lowerDequantize(OpBuilder &b, Location loc, nn::DequantizeOp d) {
  auto res = rtt(d.getResult());
  bool u = d.getUnsignedInput();
  SmallVector<Value> ops{d.getInput(), d.getScale()};
  if (d.getZeroPoint())
    ops.push_back(d.getZeroPoint());
  return elementwise(b, loc, res, ops, [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
    Type ft = a[1].getType();
    Value x = castScalar(nb, nl, a[0], ft, u, false);
    if (a.size() > 2)
      x = arith::SubFOp::create(nb, nl, x, castScalar(nb, nl, a[2], ft, u, false));
    return arith::MulFOp::create(nb, nl, x, a[1]);
  });
}

Value lowerDet(OpBuilder &b, Location loc, nn::DetOp d) {
  auto res = rtt(d.getResult());
  auto in = rtt(d.getInput());
  int64_t r = in.getRank(), n = in.getDimSize(r - 1);
  SmallVector<Value> dims;
  for (int64_t i = 0; i < r - 2; ++i) dims.push_back(dimOf(b, loc, d.getInput(), i));
  Value init = empty(b, loc, res, dims);
  Value x = d.getInput();
  return qGeneric(b, loc, res, init, {}, {}, SmallVector<utils::IteratorType>(r - 2, utils::IteratorType::parallel),
                  [&](OpBuilder &nb, Location nl, ValueRange) -> Value {
    Type ft = res.getElementType();
    SmallVector<Value> idx;
    for (int64_t i = 0; i < r - 2; ++i) idx.push_back(linalg::IndexOp::create(nb, nl, i));
    std::vector<std::vector<Value>> a(n, std::vector<Value>(n));
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j) {
        SmallVector<Value> ix = idx;
        ix.push_back(cIdx(nb, nl, i));
        ix.push_back(cIdx(nb, nl, j));
        a[i][j] = tensor::ExtractOp::create(nb, nl, x, ix);
      }
    Value det = scalar(nb, nl, ft, 1), zero = scalar(nb, nl, ft, 0);
    for (int64_t k = 0; k < n; ++k) {
      for (int64_t i = k + 1; i < n; ++i) {
        Value swap = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT,
                                           math::AbsFOp::create(nb, nl, a[i][k]),
                                           math::AbsFOp::create(nb, nl, a[k][k]));
        for (int64_t j = k; j < n; ++j) {
          Value t = a[k][j];
          a[k][j] = arith::SelectOp::create(nb, nl, swap, a[i][j], t);
          a[i][j] = arith::SelectOp::create(nb, nl, swap, t, a[i][j]);
        }
        det = arith::SelectOp::create(nb, nl, swap, arith::NegFOp::create(nb, nl, det), det);
      }
      det = arith::MulFOp::create(nb, nl, det, a[k][k]);
      Value piv0 = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ, a[k][k], zero);
      for (int64_t i = k + 1; i < n; ++i) {
        Value f = arith::DivFOp::create(nb, nl, a[i][k], a[k][k]);
        f = arith::SelectOp::create(nb, nl, piv0, zero, f);
        for (int64_t j = k + 1; j < n; ++j)
          a[i][j] = arith::SubFOp::create(nb, nl, a[i][j], arith::MulFOp::create(nb, nl, f, a[k][j]));
      }
    }
    return det;
  });
}

Value lowerWindow(OpBuilder &b, Location loc, nn::WindowOp w) {
  auto res = rtt(w.getResult());
  // A negative size gives an empty window.
  Value n = arith::MaxSIOp::create(b, loc, qScalarIndex(b, loc, w.getSize()), cIdx(b, loc, 0));
  Value init = empty(b, loc, res, {n});
  double a0 = 0.5, a1 = 0.5, a2 = 0;
  if (w.getKind() == "hamming") a0 = 25.0 / 46.0, a1 = 21.0 / 46.0;
  else if (w.getKind() == "blackman") a0 = 0.42, a1 = 0.5, a2 = 0.08;
  Value N = qIdxToF64(b, loc, n);
  if (!w.getPeriodic())
    N = arith::SubFOp::create(b, loc, N, qF64(b, loc, 1));
  return qGeneric(b, loc, res, init, {}, {}, {utils::IteratorType::parallel},
                  [&](OpBuilder &nb, Location nl, ValueRange) -> Value {
    Value k = qIdxToF64(nb, nl, linalg::IndexOp::create(nb, nl, 0));
    Value ang = arith::DivFOp::create(nb, nl, arith::MulFOp::create(nb, nl, k, qF64(nb, nl, 2 * M_PI)), N);
    Value v = arith::SubFOp::create(nb, nl, qF64(nb, nl, a0),
                                    arith::MulFOp::create(nb, nl, qF64(nb, nl, a1), math::CosOp::create(nb, nl, ang)));
    if (a2 != 0) {
      Value c2 = math::CosOp::create(nb, nl, arith::MulFOp::create(nb, nl, ang, qF64(nb, nl, 2)));
      v = arith::AddFOp::create(nb, nl, v, arith::MulFOp::create(nb, nl, qF64(nb, nl, a2), c2));
    }
    return castScalar(nb, nl, v, res.getElementType(), false, false);
  });
}

/// Shared DFT body: the f64 contribution of input component `ci` (value v)
/// at sample n to output component `co` of bin k, for transform length len.
static Value qTwiddle(OpBuilder &b, Location loc, Value v, Value k, Value n, Value co, Value ci,
                      Value len, bool inverse) {
  Value kn = arith::RemUIOp::create(b, loc, arith::MulIOp::create(b, loc, k, n), len);
  Value ang = arith::DivFOp::create(b, loc, arith::MulFOp::create(b, loc, qIdxToF64(b, loc, kn),
                                                                 qF64(b, loc, (inverse ? 2 : -2) * M_PI)),
                                    qIdxToF64(b, loc, len));
  Value c = math::CosOp::create(b, loc, ang), s = math::SinOp::create(b, loc, ang);
  Value same = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, co, ci);
  Value co0 = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, co, cIdx(b, loc, 0));
  Value coef = arith::SelectOp::create(b, loc, same, c,
                                       arith::SelectOp::create(b, loc, co0, arith::NegFOp::create(b, loc, s), s));
  return arith::MulFOp::create(b, loc, v, coef);
}

/// Accumulates `terms` (an f64 generic over result dims + 2 reduction dims)
/// and converts to the result type, scaling by `scale`.
static Value qFinishF64(OpBuilder &b, Location loc, Value acc, RankedTensorType res, ArrayRef<Value> dims,
                        Value scaleF64) {
  Value init = empty(b, loc, res, dims);
  return qGeneric(b, loc, res, init, {acc}, {b.getMultiDimIdentityMap(res.getRank())},
                  SmallVector<utils::IteratorType>(res.getRank(), utils::IteratorType::parallel),
                  [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
    Value v = a[0];
    if (scaleF64)
      v = arith::DivFOp::create(nb, nl, v, scaleF64);
    return castScalar(nb, nl, v, res.getElementType(), false, false);
  });
}

Value lowerDFT(OpBuilder &b, Location loc, nn::DFTOp d) {
  auto res = rtt(d.getResult());
  auto in = rtt(d.getInput());
  int64_t r = in.getRank(), axis = d.getAxis(), len = d.getLength(), cin = in.getDimSize(r - 1);
  bool inverse = d.getInverse();
  SmallVector<Value> dims;
  for (int64_t i = 0; i < r; ++i)
    dims.push_back(i == axis || i == r - 1 ? cIdx(b, loc, res.getDimSize(i)) : dimOf(b, loc, d.getInput(), i));
  auto accT = res.clone(b.getF64Type());
  Value acc = fillTensor(b, loc, empty(b, loc, accT, dims), qF64(b, loc, 0));
  Value dummy = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{len, cin}, b.getF64Type());
  SmallVector<utils::IteratorType> iters(r, utils::IteratorType::parallel);
  iters.push_back(utils::IteratorType::reduction);
  iters.push_back(utils::IteratorType::reduction);
  AffineMap dm = AffineMap::get(r + 2, 0, {b.getAffineDimExpr(r), b.getAffineDimExpr(r + 1)}, b.getContext());
  Value inDim = dimOf(b, loc, d.getInput(), axis);
  Value x = d.getInput();
  Value sum = qGeneric(b, loc, accT, acc, {dummy}, {dm}, iters,
                       [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
    SmallVector<Value> idx;
    for (int64_t i = 0; i < r + 2; ++i) idx.push_back(linalg::IndexOp::create(nb, nl, i));
    Value n = idx[r], ci = idx[r + 1], k = idx[axis], co = idx[r - 1];
    Value valid = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::ult, n, inDim);
    SmallVector<Value> xi(idx.begin(), idx.begin() + r);
    xi[axis] = arith::SelectOp::create(nb, nl, valid, n, cIdx(nb, nl, 0));
    xi[r - 1] = ci;
    Value v = castScalar(nb, nl, tensor::ExtractOp::create(nb, nl, x, xi), nb.getF64Type(), false, false);
    v = arith::SelectOp::create(nb, nl, valid, v, qF64(nb, nl, 0));
    Value t = qTwiddle(nb, nl, v, k, n, co, ci, cIdx(nb, nl, len), inverse);
    return arith::AddFOp::create(nb, nl, a[1], t);
  });
  return qFinishF64(b, loc, sum, res, dims, inverse ? qF64(b, loc, (double)len) : Value());
}

Value lowerSTFT(OpBuilder &b, Location loc, nn::STFTOp s) {
  auto res = rtt(s.getResult());
  auto sig = rtt(s.getSignal());
  int64_t cin = sig.getDimSize(2);
  Value step = qScalarIndex(b, loc, s.getFrameStep());
  Value fl = s.getWindow() ? dimOf(b, loc, s.getWindow(), 0) : qScalarIndex(b, loc, s.getFrameLength());
  Value L = dimOf(b, loc, s.getSignal(), 1);
  // No frame when the signal is shorter than one frame.
  Value frames = arith::AddIOp::create(b, loc, arith::DivUIOp::create(b, loc, arith::SubIOp::create(b, loc, L, fl), step),
                                       cIdx(b, loc, 1));
  frames = arith::SelectOp::create(b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, L, fl),
                                   cIdx(b, loc, 0), frames);
  Value bins = s.getOnesided() ? (Value)arith::AddIOp::create(b, loc, arith::DivUIOp::create(b, loc, fl, cIdx(b, loc, 2)),
                                                              cIdx(b, loc, 1))
                               : fl;
  SmallVector<Value> dims{dimOf(b, loc, s.getSignal(), 0), frames, bins, cIdx(b, loc, 2)};
  auto accT = res.clone(b.getF64Type());
  Value acc = fillTensor(b, loc, empty(b, loc, accT, dims), qF64(b, loc, 0));
  Value dummy = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{kDyn, cin}, b.getF64Type(), ValueRange{fl});
  SmallVector<utils::IteratorType> iters(4, utils::IteratorType::parallel);
  iters.push_back(utils::IteratorType::reduction);
  iters.push_back(utils::IteratorType::reduction);
  AffineMap dm = AffineMap::get(6, 0, {b.getAffineDimExpr(4), b.getAffineDimExpr(5)}, b.getContext());
  Value x = s.getSignal(), win = s.getWindow();
  Value sum = qGeneric(b, loc, accT, acc, {dummy}, {dm}, iters,
                       [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
    SmallVector<Value> idx;
    for (int64_t i = 0; i < 6; ++i) idx.push_back(linalg::IndexOp::create(nb, nl, i));
    Value n = idx[4], ci = idx[5];
    Value pos = arith::AddIOp::create(nb, nl, arith::MulIOp::create(nb, nl, idx[1], step), n);
    Value v = tensor::ExtractOp::create(nb, nl, x, ValueRange{idx[0], pos, ci});
    v = castScalar(nb, nl, v, nb.getF64Type(), false, false);
    if (win)
      v = arith::MulFOp::create(nb, nl, v, castScalar(nb, nl, tensor::ExtractOp::create(nb, nl, win, ValueRange{n}),
                                                      nb.getF64Type(), false, false));
    Value t = qTwiddle(nb, nl, v, idx[2], n, idx[3], ci, fl, false);
    return arith::AddFOp::create(nb, nl, a[1], t);
  });
  return qFinishF64(b, loc, sum, res, dims, Value());
}

Value lowerTfIdf(OpBuilder &b, Location loc, nn::TfIdfOp t) {
  auto res = rtt(t.getResult());
  auto in = rtt(t.getInput());
  int64_t r = in.getRank(), L = in.getDimSize(r - 1), maxLen = t.getMaxLen(), S = t.getMaxSkip();
  int64_t cols = res.getDimSize(res.getRank() - 1), ng = t.getLengths().size();
  // Column -> n-gram table (ng: a sentinel n-gram of length 0).
  SmallVector<int64_t> colNgram(cols, ng);
  for (int64_t j = 0; j < ng; ++j)
    if (t.getOutIndex()[j] >= 0 && t.getOutIndex()[j] < cols)
      colNgram[t.getOutIndex()[j]] = j;
  SmallVector<int64_t> toks(t.getNgrams()), lens(t.getLengths());
  SmallVector<double> wts(t.getWeights());
  toks.append(maxLen, -1);
  lens.push_back(0);
  wts.push_back(0);
  auto i64t = [&](ArrayRef<int64_t> v) {
    auto ty = RankedTensorType::get({(int64_t)v.size()}, b.getI64Type());
    return arith::ConstantOp::create(b, loc, ty, DenseElementsAttr::get(ty, v)).getResult();
  };
  Value colT = i64t(colNgram), tokT = i64t(toks), lenT = i64t(lens);
  SmallVector<float> wf(wts.begin(), wts.end());
  auto wty = RankedTensorType::get({(int64_t)wf.size()}, b.getF32Type());
  Value wT = arith::ConstantOp::create(b, loc, wty, DenseElementsAttr::get(wty, ArrayRef<float>(wf)));
  SmallVector<Value> dims;
  for (int64_t i = 0; i < res.getRank(); ++i) dims.push_back(i + 1 == res.getRank() ? cIdx(b, loc, cols) : dimOf(b, loc, t.getInput(), 0));
  Value init = empty(b, loc, res, dims);
  Value x = t.getInput();
  StringRef mode = t.getMode();
  return qGeneric(b, loc, res, init, {}, {}, SmallVector<utils::IteratorType>(res.getRank(), utils::IteratorType::parallel),
                  [&](OpBuilder &nb, Location nl, ValueRange) -> Value {
    Value col = linalg::IndexOp::create(nb, nl, res.getRank() - 1);
    auto idxOf = [&](Value v) { return arith::IndexCastOp::create(nb, nl, nb.getIndexType(), v).getResult(); };
    Value j = idxOf(tensor::ExtractOp::create(nb, nl, colT, ValueRange{col}));
    Value len = tensor::ExtractOp::create(nb, nl, lenT, ValueRange{j});
    SmallVector<Value> tok, kLtLen;
    for (int64_t k = 0; k < maxLen; ++k) {
      Value p = arith::AddIOp::create(nb, nl, arith::MulIOp::create(nb, nl, j, cIdx(nb, nl, maxLen)), cIdx(nb, nl, k));
      tok.push_back(tensor::ExtractOp::create(nb, nl, tokT, ValueRange{p}));
      kLtLen.push_back(arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt,
                                             scalar(nb, nl, nb.getI64Type(), k), len));
    }
    SmallVector<Value> xs;
    for (int64_t i = 0; i < L; ++i) {
      SmallVector<Value> xi;
      if (r == 2) xi.push_back(linalg::IndexOp::create(nb, nl, 0));
      xi.push_back(cIdx(nb, nl, i));
      xs.push_back(castScalar(nb, nl, tensor::ExtractOp::create(nb, nl, x, xi), nb.getI64Type(), false, false));
    }
    Value tru = arith::ConstantOp::create(nb, nl, nb.getBoolAttr(true));
    Value fls = arith::ConstantOp::create(nb, nl, nb.getBoolAttr(false));
    Value lenPos = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sgt, len, scalar(nb, nl, nb.getI64Type(), 0));
    Value lenGt1 = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sgt, len, scalar(nb, nl, nb.getI64Type(), 1));
    Value cnt = scalar(nb, nl, nb.getF32Type(), 0), one = scalar(nb, nl, nb.getF32Type(), 1);
    for (int64_t s = 0; s <= S; ++s) {
      if (s > 0 && maxLen == 1)
        break;
      for (int64_t i = 0; i < L; ++i) {
        Value m = s == 0 ? lenPos : (Value)lenGt1;
        for (int64_t k = 0; k < maxLen; ++k) {
          int64_t pos = i + k * (s + 1);
          Value notNeeded = arith::XOrIOp::create(nb, nl, kLtLen[k], tru);
          Value hit = pos < L ? (Value)arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, xs[pos], tok[k]) : fls;
          m = arith::AndIOp::create(nb, nl, m, arith::OrIOp::create(nb, nl, notNeeded, hit));
        }
        cnt = arith::AddFOp::create(nb, nl, cnt, arith::SelectOp::create(nb, nl, m, one, scalar(nb, nl, nb.getF32Type(), 0)));
      }
    }
    Value w = tensor::ExtractOp::create(nb, nl, wT, ValueRange{j});
    if (mode == "IDF")
      cnt = arith::SelectOp::create(nb, nl, arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT, cnt,
                                                                   scalar(nb, nl, nb.getF32Type(), 0)),
                                    w, scalar(nb, nl, nb.getF32Type(), 0));
    else if (mode == "TFIDF")
      cnt = arith::MulFOp::create(nb, nl, cnt, w);
    return castScalar(nb, nl, cnt, res.getElementType(), false, false);
  });
}

namespace {
/// ONNX / onnxruntime GridSample reflection of coordinate `x` into [lo, hi].
Value qReflect(OpBuilder &b, Location loc, Value x, Value lo, Value hi) {
  Type ft = x.getType();
  Value range = arith::SubFOp::create(b, loc, hi, lo);
  Value below = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, lo);
  Value above = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, hi);
  Value dx = arith::SelectOp::create(b, loc, below, arith::SubFOp::create(b, loc, lo, x),
                                     arith::SubFOp::create(b, loc, x, hi));
  Value n = arith::FPToSIOp::create(b, loc, b.getI64Type(), arith::DivFOp::create(b, loc, dx, range));
  Value r = arith::SubFOp::create(b, loc, dx,
                                  arith::MulFOp::create(b, loc, arith::SIToFPOp::create(b, loc, ft, n), range));
  Value even = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                     arith::AndIOp::create(b, loc, n, scalar(b, loc, b.getI64Type(), 1)),
                                     scalar(b, loc, b.getI64Type(), 0));
  Value loR = arith::AddFOp::create(b, loc, lo, r), hiR = arith::SubFOp::create(b, loc, hi, r);
  Value resBelow = arith::SelectOp::create(b, loc, even, loR, hiR);
  Value resAbove = arith::SelectOp::create(b, loc, even, hiR, loR);
  return arith::SelectOp::create(b, loc, below, resBelow,
                                 arith::SelectOp::create(b, loc, above, resAbove, x));
}
Value qClampI(OpBuilder &b, Location loc, Value v, Value lo, Value hi) {
  return arith::MinSIOp::create(b, loc, arith::MaxSIOp::create(b, loc, v, lo), hi);
}
} // namespace

Value lowerGridSample(OpBuilder &b, Location loc, nn::GridSampleOp g) {
  auto res = rtt(g.getResult());
  Value X = g.getInput(), G = g.getGrid();
  SmallVector<Value> dims{dimOf(b, loc, X, 0), dimOf(b, loc, X, 1), dimOf(b, loc, G, 1), dimOf(b, loc, G, 2)};
  Value init = empty(b, loc, res, dims);
  Value Hi = dimOf(b, loc, X, 2), Wi = dimOf(b, loc, X, 3);
  StringRef mode = g.getMode(), pad = g.getPaddingMode();
  bool ac = g.getAlignCorners();
  Type et = res.getElementType();
  Type ft = b.getF32Type();
  return qGeneric(b, loc, res, init, {}, {}, SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel),
                  [&](OpBuilder &nb, Location nl, ValueRange) -> Value {
    auto c = [&](double v) { return scalar(nb, nl, ft, v); };
    auto i64 = [&](Value idx) { return arith::IndexCastOp::create(nb, nl, nb.getI64Type(), idx).getResult(); };
    Value n = linalg::IndexOp::create(nb, nl, 0), ch = linalg::IndexOp::create(nb, nl, 1);
    Value oy = linalg::IndexOp::create(nb, nl, 2), ox = linalg::IndexOp::create(nb, nl, 3);
    Value H = i64(Hi), W = i64(Wi);
    Value Hf = arith::SIToFPOp::create(nb, nl, ft, H), Wf = arith::SIToFPOp::create(nb, nl, ft, W);
    auto gv = [&](int64_t k) {
      return castScalar(nb, nl, tensor::ExtractOp::create(nb, nl, G, ValueRange{n, oy, ox, cIdx(nb, nl, k)}), ft,
                        false, false);
    };
    auto denorm = [&](Value v, Value len) -> Value {
      Value v1 = arith::AddFOp::create(nb, nl, v, c(1));
      if (ac)
        return arith::MulFOp::create(nb, nl, arith::DivFOp::create(nb, nl, v1, c(2)),
                                     arith::SubFOp::create(nb, nl, len, c(1)));
      return arith::DivFOp::create(nb, nl, arith::SubFOp::create(nb, nl, arith::MulFOp::create(nb, nl, v1, len), c(1)),
                                   c(2));
    };
    Value x = denorm(gv(0), Wf), y = denorm(gv(1), Hf);
    Value xmin = ac ? c(0) : c(-0.5), ymin = xmin;
    Value xmax = ac ? (Value)arith::SubFOp::create(nb, nl, Wf, c(1)) : (Value)arith::SubFOp::create(nb, nl, Wf, c(0.5));
    Value ymax = ac ? (Value)arith::SubFOp::create(nb, nl, Hf, c(1)) : (Value)arith::SubFOp::create(nb, nl, Hf, c(0.5));
    if (mode == "nearest") {
      x = math::RoundEvenOp::create(nb, nl, x);
      y = math::RoundEvenOp::create(nb, nl, y);
    }
    if (pad == "border") {
      // As the ONNX reference: only coordinates outside [min, max] are clamped
      // (matters for cubic taps when align_corners = 0).
      auto clampOut = [&](Value v, Value lo, Value hi, Value len) -> Value {
        Value out = arith::OrIOp::create(nb, nl, arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OLT, v, lo),
                                         arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT, v, hi));
        Value cl = arith::MinimumFOp::create(nb, nl, arith::MaximumFOp::create(nb, nl, v, c(0)),
                                             arith::SubFOp::create(nb, nl, len, c(1)));
        return arith::SelectOp::create(nb, nl, out, cl, v);
      };
      x = clampOut(x, xmin, xmax, Wf);
      y = clampOut(y, ymin, ymax, Hf);
    } else if (pad == "reflection") {
      x = qReflect(nb, nl, x, xmin, xmax);
      y = qReflect(nb, nl, y, ymin, ymax);
    }
    Value zeroI = scalar(nb, nl, nb.getI64Type(), 0), oneI = scalar(nb, nl, nb.getI64Type(), 1);
    Value Hm1 = arith::SubIOp::create(nb, nl, H, oneI), Wm1 = arith::SubIOp::create(nb, nl, W, oneI);
    auto pixel = [&](Value r, Value col) -> Value {
      Value inb;
      if (pad == "zeros") {
        Value a = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sge, r, zeroI);
        Value b2 = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, r, H);
        Value c1 = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sge, col, zeroI);
        Value d = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, col, W);
        inb = arith::AndIOp::create(nb, nl, arith::AndIOp::create(nb, nl, a, b2), arith::AndIOp::create(nb, nl, c1, d));
      } else if (pad == "reflection") {
        col = arith::FPToSIOp::create(nb, nl, nb.getI64Type(),
                                      qReflect(nb, nl, arith::SIToFPOp::create(nb, nl, ft, col), xmin, xmax));
        r = arith::FPToSIOp::create(nb, nl, nb.getI64Type(),
                                    qReflect(nb, nl, arith::SIToFPOp::create(nb, nl, ft, r), ymin, ymax));
      }
      r = qClampI(nb, nl, r, zeroI, Hm1);
      col = qClampI(nb, nl, col, zeroI, Wm1);
      Value v = tensor::ExtractOp::create(nb, nl, X, ValueRange{n, ch, arith::IndexCastOp::create(nb, nl, nb.getIndexType(), r),
                                                           arith::IndexCastOp::create(nb, nl, nb.getIndexType(), col)});
      v = castScalar(nb, nl, v, ft, false, false);
      if (inb)
        v = arith::SelectOp::create(nb, nl, inb, v, c(0));
      return v;
    };
    auto toI = [&](Value f) { return arith::FPToSIOp::create(nb, nl, nb.getI64Type(), f).getResult(); };
    Value out;
    if (mode == "nearest") {
      out = pixel(toI(y), toI(x));
    } else if (mode == "linear") {
      Value xf = math::FloorOp::create(nb, nl, x), yf = math::FloorOp::create(nb, nl, y);
      Value x1 = toI(xf), y1 = toI(yf);
      Value x2 = arith::AddIOp::create(nb, nl, x1, oneI), y2 = arith::AddIOp::create(nb, nl, y1, oneI);
      Value dx1 = arith::SubFOp::create(nb, nl, x, xf), dy1 = arith::SubFOp::create(nb, nl, y, yf);
      Value dx2 = arith::SubFOp::create(nb, nl, c(1), dx1), dy2 = arith::SubFOp::create(nb, nl, c(1), dy1);
      auto lerp = [&](Value r) {
        return arith::AddFOp::create(nb, nl, arith::MulFOp::create(nb, nl, dx2, pixel(r, x1)),
                                     arith::MulFOp::create(nb, nl, dx1, pixel(r, x2)));
      };
      out = arith::AddFOp::create(nb, nl, arith::MulFOp::create(nb, nl, dy2, lerp(y1)),
                                  arith::MulFOp::create(nb, nl, dy1, lerp(y2)));
    } else {
      Value xf = math::FloorOp::create(nb, nl, x), yf = math::FloorOp::create(nb, nl, y);
      Value x0 = arith::SubIOp::create(nb, nl, toI(xf), oneI), y0 = arith::SubIOp::create(nb, nl, toI(yf), oneI);
      Value dx = arith::SubFOp::create(nb, nl, x, xf), dy = arith::SubFOp::create(nb, nl, y, yf);
      auto coeffs = [&](Value t) {
        const double A = -0.75;
        auto mul = [&](Value p, Value q) { return arith::MulFOp::create(nb, nl, p, q).getResult(); };
        auto add = [&](Value p, Value q) { return arith::AddFOp::create(nb, nl, p, q).getResult(); };
        auto sub = [&](Value p, Value q) { return arith::SubFOp::create(nb, nl, p, q).getResult(); };
        Value t1 = add(t, c(1)), u = sub(c(1), t), u1 = sub(c(2), t);
        SmallVector<Value> k(4);
        k[0] = sub(mul(add(mul(sub(mul(c(A), t1), c(5 * A)), t1), c(8 * A)), t1), c(4 * A));
        k[1] = add(mul(mul(sub(mul(c(A + 2), t), c(A + 3)), t), t), c(1));
        k[2] = add(mul(mul(sub(mul(c(A + 2), u), c(A + 3)), u), u), c(1));
        k[3] = sub(mul(add(mul(sub(mul(c(A), u1), c(5 * A)), u1), c(8 * A)), u1), c(4 * A));
        return k;
      };
      SmallVector<Value> cx = coeffs(dx), cy = coeffs(dy);
      out = c(0);
      for (int64_t h = 0; h < 4; ++h) {
        Value r = arith::AddIOp::create(nb, nl, y0, scalar(nb, nl, nb.getI64Type(), h));
        Value row = c(0);
        for (int64_t w = 0; w < 4; ++w) {
          Value col = arith::AddIOp::create(nb, nl, x0, scalar(nb, nl, nb.getI64Type(), w));
          row = arith::AddFOp::create(nb, nl, row, arith::MulFOp::create(nb, nl, cx[w], pixel(r, col)));
        }
        out = arith::AddFOp::create(nb, nl, out, arith::MulFOp::create(nb, nl, cy[h], row));
      }
    }
    return castScalar(nb, nl, out, et, false, false);
  });
}

Value lowerRoiAlign(OpBuilder &b, Location loc, nn::RoiAlignOp ra) {
  auto res = rtt(ra.getResult());
  Value X = ra.getInput(), R = ra.getRois(), BI = ra.getBatchIndices();
  int64_t PH = res.getDimSize(2), PW = res.getDimSize(3), S = ra.getSamplingRatio();
  SmallVector<Value> dims{dimOf(b, loc, R, 0), dimOf(b, loc, X, 1), cIdx(b, loc, PH), cIdx(b, loc, PW)};
  Value init = empty(b, loc, res, dims);
  Value Hi = dimOf(b, loc, X, 2), Wi = dimOf(b, loc, X, 3);
  bool half = ra.getHalfPixel(), isMax = ra.getMaxMode();
  double ss = ra.getSpatialScale().convertToDouble();
  Type ft = b.getF32Type();
  return qGeneric(b, loc, res, init, {}, {}, SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel),
                  [&](OpBuilder &nb, Location nl, ValueRange) -> Value {
    auto c = [&](double v) { return scalar(nb, nl, ft, v); };
    auto mul = [&](Value p, Value q) { return arith::MulFOp::create(nb, nl, p, q).getResult(); };
    auto add = [&](Value p, Value q) { return arith::AddFOp::create(nb, nl, p, q).getResult(); };
    auto sub = [&](Value p, Value q) { return arith::SubFOp::create(nb, nl, p, q).getResult(); };
    Value r = linalg::IndexOp::create(nb, nl, 0), ch = linalg::IndexOp::create(nb, nl, 1);
    Value ph = linalg::IndexOp::create(nb, nl, 2), pw = linalg::IndexOp::create(nb, nl, 3);
    Value bidx = arith::IndexCastOp::create(nb, nl, nb.getIndexType(),
                                            tensor::ExtractOp::create(nb, nl, BI, ValueRange{r}));
    auto roi = [&](int64_t k) {
      Value v = castScalar(nb, nl, tensor::ExtractOp::create(nb, nl, R, ValueRange{r, cIdx(nb, nl, k)}), ft, false, false);
      return sub(mul(v, c(ss)), c(half ? 0.5 : 0.0));
    };
    Value x0 = roi(0), y0 = roi(1), x1 = roi(2), y1 = roi(3);
    Value rw = sub(x1, x0), rh = sub(y1, y0);
    if (!half) {
      rw = arith::MaximumFOp::create(nb, nl, rw, c(1));
      rh = arith::MaximumFOp::create(nb, nl, rh, c(1));
    }
    Value bh = arith::DivFOp::create(nb, nl, rh, c(PH)), bw = arith::DivFOp::create(nb, nl, rw, c(PW));
    auto idxF = [&](Value i) { return arith::UIToFPOp::create(nb, nl, ft, arith::IndexCastOp::create(nb, nl, nb.getI64Type(), i)).getResult(); };
    Value H = idxF(Hi), W = idxF(Wi);
    Value Hm1 = sub(H, c(1)), Wm1 = sub(W, c(1));
    Value ys = add(y0, mul(idxF(ph), bh)), xs = add(x0, mul(idxF(pw), bw));
    Value acc = c(0);
    bool first = true;
    auto toIdx = [&](Value f) {
      return arith::IndexCastOp::create(nb, nl, nb.getIndexType(), arith::FPToSIOp::create(nb, nl, nb.getI64Type(), f)).getResult();
    };
    for (int64_t iy = 0; iy < S; ++iy) {
      Value y = add(ys, mul(c((iy + 0.5) / S), bh));
      for (int64_t ix = 0; ix < S; ++ix) {
        Value x = add(xs, mul(c((ix + 0.5) / S), bw));
        Value out = arith::OrIOp::create(
            nb, nl,
            arith::OrIOp::create(nb, nl, arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OLT, y, c(-1)),
                                 arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT, y, H)),
            arith::OrIOp::create(nb, nl, arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OLT, x, c(-1)),
                                 arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT, x, W)));
        Value yc = arith::MaximumFOp::create(nb, nl, y, c(0)), xc = arith::MaximumFOp::create(nb, nl, x, c(0));
        Value ylo = math::FloorOp::create(nb, nl, yc), xlo = math::FloorOp::create(nb, nl, xc);
        Value yEdge = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGE, ylo, Hm1);
        Value xEdge = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGE, xlo, Wm1);
        ylo = arith::SelectOp::create(nb, nl, yEdge, Hm1, ylo);
        xlo = arith::SelectOp::create(nb, nl, xEdge, Wm1, xlo);
        Value yhi = arith::SelectOp::create(nb, nl, yEdge, Hm1, add(ylo, c(1)));
        Value xhi = arith::SelectOp::create(nb, nl, xEdge, Wm1, add(xlo, c(1)));
        yc = arith::SelectOp::create(nb, nl, yEdge, ylo, yc);
        xc = arith::SelectOp::create(nb, nl, xEdge, xlo, xc);
        Value ly = sub(yc, ylo), lx = sub(xc, xlo);
        Value hy = sub(c(1), ly), hx = sub(c(1), lx);
        auto px = [&](Value yy, Value xx) {
          return castScalar(nb, nl, tensor::ExtractOp::create(nb, nl, X, ValueRange{bidx, ch, toIdx(yy), toIdx(xx)}), ft,
                            false, false);
        };
        Value t1 = mul(mul(hy, hx), px(ylo, xlo)), t2 = mul(mul(hy, lx), px(ylo, xhi));
        Value t3 = mul(mul(ly, hx), px(yhi, xlo)), t4 = mul(mul(ly, lx), px(yhi, xhi));
        Value val;
        if (isMax) {
          val = arith::MaximumFOp::create(nb, nl, arith::MaximumFOp::create(nb, nl, t1, t2),
                                          arith::MaximumFOp::create(nb, nl, t3, t4));
          val = arith::SelectOp::create(nb, nl, out, c(0), val);
          acc = first ? val : (Value)arith::MaximumFOp::create(nb, nl, acc, val);
        } else {
          val = add(add(t1, t2), add(t3, t4));
          acc = add(acc, arith::SelectOp::create(nb, nl, out, c(0), val));
        }
        first = false;
      }
    }
    if (!isMax)
      acc = arith::DivFOp::create(nb, nl, acc, c((double)(S * S)));
    return castScalar(nb, nl, acc, res.getElementType(), false, false);
  });
}

Value lowerMelWeightMatrix(OpBuilder &b, Location loc, nn::MelWeightMatrixOp m) {
  auto res = rtt(m.getResult());
  auto readF64 = [&](Value t) {
    SmallVector<Value> zeros(rtt(t).getRank(), cIdx(b, loc, 0));
    return castScalar(b, loc, tensor::ExtractOp::create(b, loc, t, zeros), b.getF64Type(), false, false);
  };
  auto readI64 = [&](Value t) {
    SmallVector<Value> zeros(rtt(t).getRank(), cIdx(b, loc, 0));
    return castScalar(b, loc, tensor::ExtractOp::create(b, loc, t, zeros), b.getI64Type(), false, false);
  };
  Value bins = readI64(m.getNumMelBins()), len = readI64(m.getDftLength()), sr = readI64(m.getSampleRate());
  Value lo = readF64(m.getLowerEdgeHertz()), hi = readF64(m.getUpperEdgeHertz());
  Value rows = arith::IndexCastOp::create(
      b, loc, b.getIndexType(),
      arith::AddIOp::create(b, loc, arith::DivSIOp::create(b, loc, len, scalar(b, loc, b.getI64Type(), 2)),
                            scalar(b, loc, b.getI64Type(), 1)));
  Value cols = arith::IndexCastOp::create(b, loc, b.getIndexType(), bins);
  Value init = empty(b, loc, res, {rows, cols});
  return qGeneric(b, loc, res, init, {}, {}, SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
                  [&](OpBuilder &nb, Location nl, ValueRange) -> Value {
    auto c = [&](double v) { return qF64(nb, nl, v); };
    auto mul = [&](Value p, Value q) { return arith::MulFOp::create(nb, nl, p, q).getResult(); };
    auto add = [&](Value p, Value q) { return arith::AddFOp::create(nb, nl, p, q).getResult(); };
    auto sub = [&](Value p, Value q) { return arith::SubFOp::create(nb, nl, p, q).getResult(); };
    auto div = [&](Value p, Value q) { return arith::DivFOp::create(nb, nl, p, q).getResult(); };
    auto toMel = [&](Value hz) { return mul(c(2595), math::Log10Op::create(nb, nl, add(c(1), div(hz, c(700))))); };
    Value j = linalg::IndexOp::create(nb, nl, 0), i = linalg::IndexOp::create(nb, nl, 1);
    Value lowMel = toMel(lo), highMel = toMel(hi);
    Value binsF = arith::SIToFPOp::create(nb, nl, nb.getF64Type(), bins);
    Value step = div(sub(highMel, lowMel), add(binsF, c(2)));
    Value lenP1 = arith::SIToFPOp::create(nb, nl, nb.getF64Type(), arith::AddIOp::create(nb, nl, len, scalar(nb, nl, nb.getI64Type(), 1)));
    Value srF = arith::SIToFPOp::create(nb, nl, nb.getF64Type(), sr);
    // Frequency bin of mel point k (floor division, as the reference).
    auto binOf = [&](Value k) -> Value {
      Value mel = add(mul(arith::SIToFPOp::create(nb, nl, nb.getF64Type(), k), step), lowMel);
      Value hz = mul(c(700), sub(math::PowFOp::create(nb, nl, c(10), div(mel, c(2595))), c(1)));
      Value f = math::FloorOp::create(nb, nl, div(mul(lenP1, hz), srF));
      return arith::FPToSIOp::create(nb, nl, nb.getI64Type(), f);
    };
    Value iv = arith::IndexCastOp::create(nb, nl, nb.getI64Type(), i);
    Value jv = arith::IndexCastOp::create(nb, nl, nb.getI64Type(), j);
    Value one = scalar(nb, nl, nb.getI64Type(), 1);
    Value l = binOf(iv), ce = binOf(arith::AddIOp::create(nb, nl, iv, one)),
          h = binOf(arith::AddIOp::create(nb, nl, iv, scalar(nb, nl, nb.getI64Type(), 2)));
    auto f = [&](Value v) { return arith::SIToFPOp::create(nb, nl, nb.getF64Type(), v).getResult(); };
    auto cmp = [&](arith::CmpIPredicate p, Value a, Value bb) { return arith::CmpIOp::create(nb, nl, p, a, bb).getResult(); };
    using P = arith::CmpIPredicate;
    Value lc = arith::SubIOp::create(nb, nl, ce, l), ch = arith::SubIOp::create(nb, nl, h, ce);
    Value zero = c(0);
    // Rising edge (written first, then the falling edge overwrites from the centre).
    Value rising = arith::SelectOp::create(
        nb, nl, cmp(P::eq, lc, scalar(nb, nl, nb.getI64Type(), 0)),
        arith::SelectOp::create(nb, nl, cmp(P::eq, jv, ce), c(1), zero),
        arith::SelectOp::create(nb, nl, arith::AndIOp::create(nb, nl, cmp(P::sge, jv, l), cmp(P::sle, jv, ce)),
                                div(f(arith::SubIOp::create(nb, nl, jv, l)), f(lc)), zero));
    Value inFall = arith::AndIOp::create(nb, nl, cmp(P::sgt, ch, scalar(nb, nl, nb.getI64Type(), 0)),
                                         arith::AndIOp::create(nb, nl, cmp(P::sge, jv, ce), cmp(P::slt, jv, h)));
    Value v = arith::SelectOp::create(nb, nl, inFall, div(f(arith::SubIOp::create(nb, nl, h, jv)), f(ch)), rising);
    return castScalar(nb, nl, v, res.getElementType(), false, false);
  });
}

// ---- conformance [quant]: add new entries above this line ----

FailureOr<Value> lowerOp(OpBuilder &b, Operation *op) {
  Location loc = op->getLoc();
  return llvm::TypeSwitch<Operation *, FailureOr<Value>>(op)
      .Case([&](nn::UnaryOp u) -> FailureOr<Value> {
        return elementwise(b, loc, rtt(u.getResult()), ValueRange{u.getInput()},
                           [&](OpBuilder &nb, Location nl, ValueRange a) { return unaryScalar(nb, nl, u, a[0]); });
      })
      .Case([&](nn::BinaryOp bo) -> FailureOr<Value> {
        return elementwise(b, loc, rtt(bo.getResult()), ValueRange{bo.getLhs(), bo.getRhs()},
                           [&](OpBuilder &nb, Location nl, ValueRange a) {
                             return binaryScalar(nb, nl, bo.getKind(), a[0], a[1]);
                           });
      })
      .Case([&](nn::ClampOp c) -> FailureOr<Value> {
        Type et = rtt(c.getResult()).getElementType();
        return elementwise(b, loc, rtt(c.getResult()), ValueRange{c.getInput()},
                           [&](OpBuilder &nb, Location nl, ValueRange a) {
                             Value v = a[0];
                             if (c.getMin())
                               v = binaryScalar(nb, nl, nn::BinaryKind::max, v,
                                                scalar(nb, nl, et, c.getMin()->convertToDouble()));
                             if (c.getMax())
                               v = binaryScalar(nb, nl, nn::BinaryKind::min, v,
                                                scalar(nb, nl, et, c.getMax()->convertToDouble()));
                             return v;
                           });
      })
      .Case([&](nn::SelectOp s) -> FailureOr<Value> {
        return elementwise(b, loc, rtt(s.getResult()), s->getOperands(),
                           [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                             return arith::SelectOp::create(nb, nl, a[0], a[1], a[2]);
                           });
      })
      .Case([&](nn::CastOp c) -> FailureOr<Value> {
        Type to = rtt(c.getResult()).getElementType();
        return elementwise(b, loc, rtt(c.getResult()), ValueRange{c.getInput()},
                           [&](OpBuilder &nb, Location nl, ValueRange a) {
                             return castScalar(nb, nl, a[0], to, c.getUnsignedSrc(), c.getUnsignedDst());
                           });
      })
      .Case([&](nn::MatmulOp m) { return lowerMatmul(b, m); })
      .Case([&](nn::ConvOp c) { return lowerConv(b, c); })
      .Case([&](nn::ConvTransposeOp c) { return lowerConvTranspose(b, c); })
      .Case([&](nn::PoolOp p) { return lowerPool(b, p); })
      .Case([&](nn::ReduceOp r) { return lowerReduce(b, r); })
      .Case([&](nn::SoftmaxOp s) { return lowerSoftmax(b, s); })
      .Case([&](nn::LayerNormOp l) { return lowerLayerNorm(b, l); })
      .Case([&](nn::TransposeOp t) -> FailureOr<Value> {
        auto res = rtt(t.getResult());
        SmallVector<Value> dims;
        for (int64_t i = 0; i < res.getRank(); ++i) dims.push_back(dimOf(b, loc, t.getInput(), t.getPerm()[i]));
        Value init = empty(b, loc, res, dims);
        return linalg::TransposeOp::create(b, loc, t.getInput(), init, t.getPerm()).getResult()[0];
      })
      .Case([&](nn::ReshapeOp r) -> FailureOr<Value> {
        auto res = rtt(r.getResult());
        SmallVector<Value> dims = r.getShape() ? dimsFromShapeOperand(b, loc, res, r.getShape())
                                               : derivedReshapeDims(b, loc, r.getInput(), res);
        return reshapeWithDims(b, loc, r.getInput(), res, dims);
      })
      .Case([&](nn::ConcatOp c) -> FailureOr<Value> {
        return (Value)tensor::ConcatOp::create(b, loc, rtt(c.getResult()), c.getAxis(), c.getInputs());
      })
      .Case([&](nn::SliceOp s) { return lowerSlice(b, s); })
      .Case([&](nn::GatherOp g) { return lowerGather(b, g); })
      .Case([&](nn::PadOp p) -> FailureOr<Value> {
        auto t = rtt(p.getInput());
        int64_t r = t.getRank();
        SmallVector<OpFoldResult> lo, hi;
        for (int64_t i = 0; i < r; ++i) {
          lo.push_back(b.getIndexAttr(p.getPads()[i]));
          hi.push_back(b.getIndexAttr(p.getPads()[i + r]));
        }
        Value v = scalar(b, loc, t.getElementType(), p.getValue().convertToDouble());
        return (Value)tensor::PadOp::create(b, loc, rtt(p.getResult()), p.getInput(), lo, hi, v);
      })
      .Case([&](nn::BroadcastOp bc) -> FailureOr<Value> {
        auto res = rtt(bc.getResult());
        SmallVector<Value> dims = bc.getShape() ? dimsFromShapeOperand(b, loc, res, bc.getShape())
                                                : elementwiseDims(b, loc, res, ValueRange{bc.getInput()});
        Value init = empty(b, loc, res, dims);
        SmallVector<AffineMap> maps{broadcastMap(b, rtt(bc.getInput()), res), b.getMultiDimIdentityMap(res.getRank())};
        return linalg::GenericOp::create(b, loc, TypeRange{res}, ValueRange{bc.getInput()}, ValueRange{init}, maps,
                                         SmallVector<utils::IteratorType>(res.getRank(), utils::IteratorType::parallel),
                                         [](OpBuilder &nb, Location nl, ValueRange a) { linalg::YieldOp::create(nb, nl, a[0]); })
            .getResult(0);
      })
      .Case([&](nn::ResizeOp rz) -> FailureOr<Value> { return lowerResize(b, loc, rz); })
      .Case([&](nn::EinsumOp e) -> FailureOr<Value> { return lowerEinsum(b, loc, e); })
      .Case([&](nn::ShapeOfOp s) -> FailureOr<Value> {
        SmallVector<Value> elems;
        for (int64_t i = s.getStart(); i < s.getEnd(); ++i)
          elems.push_back(arith::IndexCastOp::create(b, loc, b.getI64Type(), dimOf(b, loc, s.getInput(), i)));
        if (elems.empty())
          return (Value)tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{0}, b.getI64Type());
        return (Value)tensor::FromElementsOp::create(b, loc, rtt(s.getResult()), elems);
      })
      .Case([&](nn::FillOp f) -> FailureOr<Value> {
        auto res = rtt(f.getResult());
        SmallVector<Value> dims = f.getShape() ? dimsFromShapeOperand(b, loc, res, f.getShape())
                                               : SmallVector<Value>(res.getRank(), Value());
        Value init = empty(b, loc, res, dims);
        Value v = arith::ConstantOp::create(b, loc, f.getValue());
        return fillTensor(b, loc, init, v);
      })
      .Case([&](nn::RangeOp r) -> FailureOr<Value> {
        auto res = rtt(r.getResult());
        Type et = res.getElementType();
        Value start = scalarOf(b, loc, r.getStart()), limit = scalarOf(b, loc, r.getLimit()),
              delta = scalarOf(b, loc, r.getDelta());
        Value n;
        if (!res.isDynamicDim(0)) {
          n = cIdx(b, loc, res.getDimSize(0));
        } else if (isa<FloatType>(et)) {
          Value q = arith::DivFOp::create(b, loc, arith::SubFOp::create(b, loc, limit, start), delta);
          q = math::CeilOp::create(b, loc, q);
          q = arith::MaximumFOp::create(b, loc, q, scalar(b, loc, et, 0));
          n = arith::IndexCastOp::create(b, loc, b.getIndexType(), arith::FPToSIOp::create(b, loc, b.getI64Type(), q));
        } else {
          // ceil((limit - start) / delta) for either sign of delta.
          Value diff = arith::SubIOp::create(b, loc, limit, start);
          Value q = arith::CeilDivSIOp::create(b, loc, diff, delta);
          q = arith::MaxSIOp::create(b, loc, q, scalar(b, loc, et, 0));
          n = arith::IndexCastOp::create(b, loc, b.getIndexType(), q);
        }
        Value init = empty(b, loc, res, {n});
        return generateOver(b, loc, init,
                   [&](OpBuilder &nb, Location nl, ValueRange) {
                     Value i = linalg::IndexOp::create(nb, nl, 0);
                     Value iv = arith::IndexCastOp::create(nb, nl, nb.getI64Type(), i);
                     Value v = castScalar(nb, nl, iv, et, false, false);
                     Value y = binaryScalar(nb, nl, nn::BinaryKind::add, start,
                                            binaryScalar(nb, nl, nn::BinaryKind::mul, v, delta));
                     linalg::YieldOp::create(nb, nl, y);
                   });
      })
      // ---- conformance [elementwise]: add new entries above this line ----

      .Case([&](nn::GatherElementsOp g) { return lowerGatherElements(b, g); })
      .Case([&](nn::ScatterElementsOp s) { return lowerScatterElements(b, s); })
      .Case([&](nn::GatherNDOp g) { return lowerGatherND(b, g); })
      .Case([&](nn::ScatterNDOp s) { return lowerScatterND(b, s); })
      .Case([&](nn::TriluOp t) { return lowerTrilu(b, t); })
      .Case([&](nn::OneHotOp o) { return lowerOneHot(b, o); })
      .Case([&](nn::CompressOp c) { return lowerCompress(b, c); })
      .Case([&](nn::ReverseSequenceOp r) { return lowerReverseSequence(b, r); })

      // ---- conformance [indexing]: add new entries above this line ----

      .Case([&](nn::ReduceAxesOp r) { return lowerReduceAxes(b, r); })
      // ---- conformance [normalization]: add new entries above this line ----

      .Case([&](nn::ArgReduceOp a) { return lowerArgReduce(b, a); })
      .Case([&](nn::HardmaxOp h) { return lowerHardmax(b, h); })
      .Case([&](nn::CumSumOp c) { return lowerCumSum(b, c); })
      .Case([&](nn::NonZeroOp nz) { return lowerNonZero(b, nz); })
      .Case([&](nn::NonMaxSuppressionOp n) { return lowerNMS(b, n); })

      // ---- conformance [sorting]: add new entries above this line ----

      .Case([&](nn::NLLLossOp l) { return lowerNLLLoss(b, l); })
      // ---- conformance [loss]: add new entries above this line ----

      .Case([&](nn::DynamicSliceOp s) { return lowerDynamicSlice(b, s); })
      .Case([&](nn::PadModeOp p) { return lowerPadMode(b, p); })
      .Case([&](nn::PoolIndicesOp p) { return lowerPoolIndices(b, p); })
      .Case([&](nn::MaxUnpoolOp u) { return lowerMaxUnpool(b, u); })
      // ---- conformance [convpool]: add new entries above this line ----

      // ---- conformance [recurrent]: add new entries above this line ----

      .Case([&](nn::QuantizeOp q) -> FailureOr<Value> { return lowerQuantize(b, loc, q); })
      .Case([&](nn::DequantizeOp d) -> FailureOr<Value> { return lowerDequantize(b, loc, d); })
      .Case([&](nn::DetOp d) -> FailureOr<Value> { return lowerDet(b, loc, d); })
      .Case([&](nn::WindowOp w) -> FailureOr<Value> { return lowerWindow(b, loc, w); })
      .Case([&](nn::DFTOp d) -> FailureOr<Value> { return lowerDFT(b, loc, d); })
      .Case([&](nn::STFTOp s) -> FailureOr<Value> { return lowerSTFT(b, loc, s); })
      .Case([&](nn::TfIdfOp t) -> FailureOr<Value> { return lowerTfIdf(b, loc, t); })
      .Case([&](nn::GridSampleOp g) -> FailureOr<Value> { return lowerGridSample(b, loc, g); })
      .Case([&](nn::RoiAlignOp r) -> FailureOr<Value> {
        return r.getSamplingRatio() == 0 ? lowerRoiAlignAdaptive(b, r) : lowerRoiAlign(b, loc, r);
      })
      .Case([&](nn::MelWeightMatrixOp m) -> FailureOr<Value> { return lowerMelWeightMatrix(b, loc, m); })
      // ---- conformance [quant]: add new entries above this line ----

      .Default([&](Operation *o) -> FailureOr<Value> {
        return (LogicalResult)(o->emitError() << "no lowering to linalg for this op");
      });
}

/// The replacement values of every result of `op`: ops with several results
/// return them all; the others go through lowerOp.
FailureOr<SmallVector<Value>> lowerResults(OpBuilder &b, Operation *op) {
  if (auto t = dyn_cast<nn::TopKOp>(op))
    return lowerTopK(b, t);
  if (auto u = dyn_cast<nn::UniqueOp>(op))
    return lowerUnique(b, u);
  FailureOr<Value> v = lowerOp(b, op);
  if (failed(v))
    return failure();
  return SmallVector<Value>{*v};
}

struct ConvertNNToLinalgPass : kiln::impl::ConvertNNToLinalgBase<ConvertNNToLinalgPass> {
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      // [runtime-checks] nn.check is lowered by the target.
      if (isa<nn::NNDialect>(op->getDialect()) && !isa<nn::CheckOp>(op))
        ops.push_back(op);
    });
    OpBuilder b(&getContext());
    for (Operation *op : ops) {
      b.setInsertionPoint(op);
      auto r = lowerResults(b, op);
      if (failed(r))
        return signalPassFailure();
      for (auto [from, to] : llvm::zip_equal(op->getResults(), *r)) {
        if (to.getType() != from.getType())
          to = tensor::CastOp::create(b, op->getLoc(), from.getType(), to);
        from.replaceAllUsesWith(to);
      }
      op->erase();
    }
  }
};

} // namespace
