//===- NNToLinalg.cpp - lower nn ops to linalg/tensor/arith/math ----------===//
//
// Every nn op becomes upstream ops on tensors: linalg named ops where one
// exists (matmul, batch_matmul, convolutions, pooling, transpose) so the CPU
// back end can tile and vectorize them, linalg.generic for elementwise ops
// and reductions, and tensor ops for data movement.
//
//===----------------------------------------------------------------------===//

#include "kiln/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"
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

Value unaryScalar(OpBuilder &b, Location loc, nn::UnaryOp op, Value x) {
  Type t = x.getType();
  bool isF = isa<FloatType>(t);
  auto c = [&](double v) { return scalar(b, loc, t, v); };
  switch (op.getKind()) {
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
    double a = op.getAlpha()->convertToDouble(), be = op.getBeta()->convertToDouble();
    Value v = arith::AddFOp::create(b, loc, arith::MulFOp::create(b, loc, x, c(a)), c(be));
    return arith::MinimumFOp::create(b, loc, arith::MaximumFOp::create(b, loc, v, c(0)), c(1));
  }
  case nn::UnaryKind::leaky_relu: {
    Value neg = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, c(0));
    Value scaled = arith::MulFOp::create(b, loc, x, c(op.getAlpha()->convertToDouble()));
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
  }
  llvm_unreachable("unknown unary kind");
}

Value binaryScalar(OpBuilder &b, Location loc, nn::BinaryKind k, Value x, Value y) {
  bool isF = isa<FloatType>(x.getType());
  switch (k) {
  case nn::BinaryKind::add:
    return isF ? (Value)arith::AddFOp::create(b, loc, x, y) : (Value)arith::AddIOp::create(b, loc, x, y);
  case nn::BinaryKind::sub:
    return isF ? (Value)arith::SubFOp::create(b, loc, x, y) : (Value)arith::SubIOp::create(b, loc, x, y);
  case nn::BinaryKind::mul:
    return isF ? (Value)arith::MulFOp::create(b, loc, x, y) : (Value)arith::MulIOp::create(b, loc, x, y);
  case nn::BinaryKind::div:
    return isF ? (Value)arith::DivFOp::create(b, loc, x, y) : (Value)arith::DivSIOp::create(b, loc, x, y);
  case nn::BinaryKind::pow:
    return isF ? (Value)math::PowFOp::create(b, loc, x, y) : (Value)math::IPowIOp::create(b, loc, x, y);
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
  }
  llvm_unreachable("unknown binary kind");
}

Value castScalar(OpBuilder &b, Location loc, Value x, Type to, bool uSrc, bool uDst) {
  Type from = x.getType();
  if (from == to)
    return x;
  bool fF = isa<FloatType>(from), tF = isa<FloatType>(to);
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
  return linalg::GenericOp::create(b, loc, TypeRange{res}, ValueRange{}, ValueRange{init},
                                   SmallVector<AffineMap>{b.getMultiDimIdentityMap(r)},
                                   SmallVector<utils::IteratorType>(r, utils::IteratorType::parallel), body)
      .getResult(0);
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
    for (auto [k, c] : llvm::enumerate(t)) {
      // A static size-1 dim broadcasts unless every use of the letter is 1.
      bool bcast = in.getDimSize(k) == 1 && llvm::any_of(llvm::enumerate(terms), [&](auto jt) {
                     auto other = rtt(op.getInputs()[jt.index()]);
                     for (auto [kk, cc] : llvm::enumerate(jt.value()))
                       if (cc == c && other.getDimSize(kk) != 1)
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

/// Output init for a conv: bias broadcast along channels or zeros.
Value convInit(OpBuilder &b, Location loc, RankedTensorType res, ArrayRef<Value> dims, Value bias) {
  Value init = empty(b, loc, res, dims);
  Type et = res.getElementType();
  if (!bias)
    return fillTensor(b, loc, init, scalar(b, loc, et, 0));
  SmallVector<AffineExpr> e{b.getAffineDimExpr(1)};
  AffineMap bm = AffineMap::get(res.getRank(), 0, e, b.getContext());
  SmallVector<AffineMap> maps{bm, b.getMultiDimIdentityMap(res.getRank())};
  SmallVector<utils::IteratorType> iters(res.getRank(), utils::IteratorType::parallel);
  return linalg::GenericOp::create(b, loc, TypeRange{res}, ValueRange{bias}, ValueRange{init}, maps,
                                   iters,
                                   [](OpBuilder &nb, Location nl, ValueRange a) {
                                     linalg::YieldOp::create(nb, nl, a[0]);
                                   })
      .getResult(0);
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
  if (ns == 2)
    return conv2D(b, loc, op, x, op.getFilter(), op.getBias(), op.getStrides(), op.getDilations(),
                  op.getGroups(), res);
  if (ns == 1) {
    Value x2 = expandTo2D(b, loc, x, true), w2 = expandTo2D(b, loc, op.getFilter(), false);
    auto r2 = RankedTensorType::get({res.getDimSize(0), res.getDimSize(1), 1, res.getDimSize(2)}, et);
    auto r = conv2D(b, loc, op, x2, w2, op.getBias(), {1, op.getStrides()[0]},
                    {1, op.getDilations()[0]}, op.getGroups(), r2);
    if (failed(r))
      return failure();
    return collapseFrom2D(b, loc, *r);
  }
  if (ns == 3 && op.getGroups() == 1) {
    SmallVector<Value> dims{dimOf(b, loc, x, 0)};
    for (int64_t i = 1; i < 5; ++i)
      dims.push_back(cIdx(b, loc, res.getDimSize(i)));
    if (llvm::any_of(res.getShape().drop_front(), ShapedType::isDynamic))
      return (LogicalResult)(op.emitError() << "3-D convolution needs static spatial dims");
    Value init = convInit(b, loc, res, dims, op.getBias());
    return linalg::Conv3DNcdhwFcdhwOp::create(b, loc, TypeRange{res}, ValueRange{x, op.getFilter()},
                                              ValueRange{init}, b.getI64TensorAttr(op.getStrides()),
                                              b.getI64TensorAttr(op.getDilations()))
        .getResult(0);
  }
  return convGenericND(b, loc, op, x, op.getFilter(), op.getBias(), op.getStrides(), op.getDilations(),
                       op.getGroups(), res);
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
  if (r == 2) {
    SmallVector<Value> dims{dimOf(b, loc, A, 0), dimOf(b, loc, B, 1)};
    Value init = fillTensor(b, loc, empty(b, loc, res, dims), zero);
    return linalg::MatmulOp::create(b, loc, TypeRange{res}, ValueRange{A, B}, ValueRange{init}).getResult(0);
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
    Value b2 = tensor::CollapseShapeOp::create(b, loc, b2T, B, rb);
    auto r2T = RankedTensorType::get({bm, bt.getDimSize(r - 1)}, et);
    SmallVector<Value> dims{dimOf(b, loc, a2, 0), dimOf(b, loc, b2, 1)};
    Value init = fillTensor(b, loc, empty(b, loc, r2T, dims), zero);
    Value mm = linalg::MatmulOp::create(b, loc, TypeRange{r2T}, ValueRange{a2, b2}, ValueRange{init}).getResult(0);
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
  return (Value)tensor::ExpandShapeOp::create(b, loc, res, mm, re, os);
}

//===----------------------------------------------------------------------===//
// Reductions (generic over a set of axes)
//===----------------------------------------------------------------------===//

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
      if (!isF)
        return (LogicalResult)(op.emitError() << "integer mean is not supported");
      r = divScalar(b, loc, r, countOf(b, loc, x, axes, et));
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
    auto xt = rtt(x);
    int64_t H = xt.getDimSize(2), W = xt.getDimSize(3), OH = res2.getDimSize(2), OW = res2.getDimSize(3);
    SmallVector<int64_t> ep(op.getExplicitPads());
    if (ns == 1) ep = {0, ep[0], 0, ep[1]};
    bool cip = op.getCountIncludePad();
    SmallVector<double> div(OH * OW);
    bool uniform = true;
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        int64_t cnt = 0;
        for (int64_t i = 0; i < k[0]; ++i)
          for (int64_t j = 0; j < k[1]; ++j) {
            int64_t h = oh * s[0] + i * d[0] - pads[0], w = ow * s[1] + j * d[1] - pads[1];
            bool inInput = h >= 0 && h < H && w >= 0 && w < W;
            bool inExplicit = h >= -ep[0] && h < H + ep[2] && w >= -ep[1] && w < W + ep[3];
            if (cip ? inExplicit : inInput) ++cnt;
          }
        div[oh * OW + ow] = std::max<int64_t>(cnt, 1);
        if (div[oh * OW + ow] != div[0]) uniform = false;
      }
    if (uniform) {
      r = divScalar(b, loc, r, scalar(b, loc, et, div[0]));
    } else {
      auto dT = RankedTensorType::get({1, 1, OH, OW}, et);
      SmallVector<APFloat> vals;
      for (double v : div) {
        APFloat f(v);
        bool lost;
        f.convert(cast<FloatType>(et).getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
        vals.push_back(f);
      }
      Value dv = arith::ConstantOp::create(b, loc, dT, DenseElementsAttr::get(dT, vals));
      r = elementwise(b, loc, res2, ValueRange{r, dv}, [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        return arith::DivFOp::create(nb, nl, a[0], a[1]);
      });
    }
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
  return linalg::GenericOp::create(
             b, loc, TypeRange{res}, ValueRange{}, ValueRange{init},
             SmallVector<AffineMap>{b.getMultiDimIdentityMap(res.getRank())},
             SmallVector<utils::IteratorType>(res.getRank(), utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location nl, ValueRange) {
               SmallVector<Value> idx;
               for (int64_t i = 0; i < res.getRank(); ++i) {
                 Value iv = linalg::IndexOp::create(nb, nl, i);
                 Value v = arith::AddIOp::create(nb, nl, cIdx(nb, nl, op.getOffsets()[i]),
                                                 arith::MulIOp::create(nb, nl, iv, cIdx(nb, nl, op.getStrides()[i])));
                 idx.push_back(v);
               }
               linalg::YieldOp::create(nb, nl, tensor::ExtractOp::create(nb, nl, x, idx).getResult());
             })
      .getResult(0);
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

// ---- conformance [indexing]: add new entries above this line ----

// ---- conformance [normalization]: add new entries above this line ----

// ---- conformance [sorting]: add new entries above this line ----

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
  return linalg::GenericOp::create(
             b, loc, TypeRange{res}, ValueRange{}, ValueRange{init},
             SmallVector<AffineMap>{b.getMultiDimIdentityMap(r)},
             SmallVector<utils::IteratorType>(r, utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location nl, ValueRange) {
               SmallVector<Value> idx;
               for (int64_t i = 0; i < r; ++i) {
                 Value iv = linalg::IndexOp::create(nb, nl, i);
                 idx.push_back(arith::AddIOp::create(nb, nl, offs[i], arith::MulIOp::create(nb, nl, iv, strides[i])));
               }
               linalg::YieldOp::create(nb, nl, tensor::ExtractOp::create(nb, nl, x, idx).getResult());
             })
      .getResult(0);
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
  return linalg::GenericOp::create(
             b, loc, TypeRange{res}, ValueRange{}, ValueRange{init},
             SmallVector<AffineMap>{b.getMultiDimIdentityMap(r)},
             SmallVector<utils::IteratorType>(r, utils::IteratorType::parallel),
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
             })
      .getResult(0);
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
  auto xt = rtt(xp), wt = rtt(w);
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
  (void)xt;
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
        auto scalarOf = [&](Value t) -> Value {
          SmallVector<Value> idx(rtt(t).getRank(), cIdx(b, loc, 0));
          return tensor::ExtractOp::create(b, loc, t, idx);
        };
        Value start = scalarOf(r.getStart()), limit = scalarOf(r.getLimit()), delta = scalarOf(r.getDelta());
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
        return linalg::GenericOp::create(
                   b, loc, TypeRange{res}, ValueRange{}, ValueRange{init},
                   SmallVector<AffineMap>{b.getMultiDimIdentityMap(1)},
                   SmallVector<utils::IteratorType>{utils::IteratorType::parallel},
                   [&](OpBuilder &nb, Location nl, ValueRange) {
                     Value i = linalg::IndexOp::create(nb, nl, 0);
                     Value iv = arith::IndexCastOp::create(nb, nl, nb.getI64Type(), i);
                     Value v = castScalar(nb, nl, iv, et, false, false);
                     Value y = binaryScalar(nb, nl, nn::BinaryKind::add, start,
                                            binaryScalar(nb, nl, nn::BinaryKind::mul, v, delta));
                     linalg::YieldOp::create(nb, nl, y);
                   })
            .getResult(0);
      })
      // ---- conformance [elementwise]: add new entries above this line ----

      // ---- conformance [indexing]: add new entries above this line ----

      // ---- conformance [normalization]: add new entries above this line ----

      // ---- conformance [sorting]: add new entries above this line ----

      // ---- conformance [loss]: add new entries above this line ----

      .Case([&](nn::DynamicSliceOp s) { return lowerDynamicSlice(b, s); })
      .Case([&](nn::PadModeOp p) { return lowerPadMode(b, p); })
      .Case([&](nn::PoolIndicesOp p) { return lowerPoolIndices(b, p); })
      .Case([&](nn::MaxUnpoolOp u) { return lowerMaxUnpool(b, u); })
      // ---- conformance [convpool]: add new entries above this line ----

      // ---- conformance [recurrent]: add new entries above this line ----

      // ---- conformance [quant]: add new entries above this line ----

      .Default([&](Operation *o) -> FailureOr<Value> {
        return (LogicalResult)(o->emitError() << "no lowering to linalg for this op");
      });
}

struct ConvertNNToLinalgPass : kiln::impl::ConvertNNToLinalgBase<ConvertNNToLinalgPass> {
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<nn::NNDialect>(op->getDialect()))
        ops.push_back(op);
    });
    OpBuilder b(&getContext());
    for (Operation *op : ops) {
      b.setInsertionPoint(op);
      auto r = lowerOp(b, op);
      if (failed(r))
        return signalPassFailure();
      Value v = *r;
      if (v.getType() != op->getResult(0).getType())
        v = tensor::CastOp::create(b, op->getLoc(), op->getResult(0).getType(), v);
      op->getResult(0).replaceAllUsesWith(v);
      op->erase();
    }
  }
};

} // namespace
