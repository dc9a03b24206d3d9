//===- Quantization.cpp - quantization to linalg --------------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// nn.quantize and nn.dequantize: elementwise, per tensor or per axis (the
// scale and zero point broadcast).
//
//===----------------------------------------------------------------------===//

#include "Common.h"
#include "Patterns.h"
#include "kiln/Transforms/ConstantUtils.h"

#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace kiln::nn_to_linalg;
namespace nn = kiln::nn;

namespace {

Value lowerQuantize(OpBuilder &b, nn::QuantizeOp q) {
  Location loc = q.getLoc();
  auto res = rtt(q.getResult());
  auto it = cast<IntegerType>(res.getElementType());
  bool u = q.getUnsignedResult();
  unsigned w = it.getWidth();
  double lo = u ? 0 : -std::ldexp(1.0, w - 1), hi = u ? std::ldexp(1.0, w) - 1 : std::ldexp(1.0, w - 1) - 1;
  SmallVector<Value> ops{q.getInput(), q.getScale()};
  if (q.getZeroPoint())
    ops.push_back(q.getZeroPoint());
  Value r = elementwise(b, loc, res, ops, [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
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
  // The quantization of a layer's epilogue result (the next int8 layer's
  // input) is part of that epilogue (the CPU's depthwise kernel applies
  // such a chain, int8 store included, in registers).
  if (auto g = q.getInput().getDefiningOp<linalg::GenericOp>(); g && g->hasAttr(kEpilogueAttr))
    if (Operation *d = r.getDefiningOp(); d && isa<linalg::GenericOp>(d))
      d->setAttr(kEpilogueAttr, b.getUnitAttr());
  return r;
}

Value lowerDequantize(OpBuilder &b, nn::DequantizeOp d) {
  Location loc = d.getLoc();
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

/// nn.requantize: TFLite's MultiplyByQuantizedMultiplier on each int32
/// accumulator plus its channel's bias, then the zero point and the clamp,
/// in one all-parallel linalg.generic.  The product and its rounding are
/// computed in i64, the rounding shift in i32 (its result fits), the zero
/// point and the clamp in i64 again: no int32 overflow anywhere.  TFLite's
/// x * 2^l, which wraps in int32 where it overflows, saturates here instead
/// (only a shift > 0, a real multiplier of at least 1, can reach it).  A
/// residual is rescaled by its own multiplier and shift the same way and
/// added before the zero point.
Value lowerRequantize(OpBuilder &b, nn::RequantizeOp q) {
  Location loc = q.getLoc();
  auto res = rtt(q.getResult());
  int64_t r = res.getRank();
  AffineMap chan = AffineMap::get(r, 0, {b.getAffineDimExpr(q.getAxis())}, b.getContext());
  AffineMap id = b.getMultiDimIdentityMap(r);
  Type i8 = b.getI8Type(), i64 = b.getI64Type();
  int64_t zp = q.getOutputZeroPoint(), lo = q.getClampMin(), hi = q.getClampMax();
  SmallVector<Value> ins{q.getInput(), q.getBias(), q.getMultiplier(), q.getShift()};
  SmallVector<AffineMap> maps{id, chan, chan, chan};
  if (Value residual = q.getResidual()) {
    ins.push_back(residual);
    maps.push_back(id);
  }
  maps.push_back(id);
  // Shifts known to be <= 0 (multipliers below 1, the usual case) need no
  // left shift and no saturation: fewer instructions on a Cortex-M.
  DenseIntElementsAttr shifts;
  bool mayShiftLeft = !matchPattern(q.getShift(), m_Constant(&shifts)) ||
                      llvm::any_of(shifts.getValues<APInt>(), [](const APInt &v) { return v.getSExtValue() > 0; });
  bool resU = q.getResidualUnsigned();
  int64_t rzp = q.getResidualZeroPoint(), rm = q.getResidualMultiplier(), rsh = q.getResidualShift();
  return linalg::GenericOp::create(
             b, loc, TypeRange{res}, ins, ValueRange{empty(b, loc, res, allDims(b, loc, q.getInput()))}, maps,
             SmallVector<utils::IteratorType>(r, utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               auto c64 = [&](int64_t v) { return arith::ConstantOp::create(nb, nl, nb.getI64IntegerAttr(v)); };
               auto sel = [&](arith::CmpIPredicate p, Value x, Value y, Value t, Value f) -> Value {
                 Value c = arith::CmpIOp::create(nb, nl, p, x, y);
                 return arith::SelectOp::create(nb, nl, c, t, f);
               };
               using P = arith::CmpIPredicate;
               Value zero = c64(0);
               Type i32 = nb.getI32Type();
               auto c32 = [&](int64_t v) { return arith::ConstantOp::create(nb, nl, nb.getI32IntegerAttr(v)); };
               Value zero32 = c32(0);
               // MultiplyByQuantizedMultiplier(x, m, sh): x and m i64 (x
               // within int32), sh i32; the result as i64.  Only the
               // product and its rounding need 64 bits: the rest runs on
               // i32 (cheaper on a 32-bit core).
               auto mbqm = [&](Value x, Value m, Value sh, bool mayLeft) -> Value {
                 if (mayLeft) {
                   // x * 2^left, saturated to int32.
                   Value left = arith::ExtSIOp::create(nb, nl, i64, arith::MaxSIOp::create(nb, nl, sh, zero32));
                   x = arith::ShLIOp::create(nb, nl, x, left);
                   x = arith::MinSIOp::create(nb, nl, arith::MaxSIOp::create(nb, nl, x, c64(INT32_MIN)),
                                              c64(INT32_MAX));
                 }
                 // SaturatingRoundingDoublingHighMul: (x * m + nudge) / 2^31,
                 // the division truncating toward zero (a shift of the value
                 // biased by 2^31 - 1 when negative).  m >= 0, so x = m =
                 // INT32_MIN, its one overflow, cannot happen, and the
                 // quotient fits in int32.
                 Value ab = arith::MulIOp::create(nb, nl, x, m);
                 Value v = arith::AddIOp::create(nb, nl, ab,
                                                 sel(P::sge, ab, zero, c64(1ll << 30), c64(1 - (1ll << 30))));
                 v = arith::AddIOp::create(nb, nl, v, sel(P::slt, v, zero, c64((1ll << 31) - 1), zero));
                 Value hm = arith::TruncIOp::create(nb, nl, i32, arith::ShRSIOp::create(nb, nl, v, c64(31)));
                 // RoundingDivideByPOT(hm, right): half away from zero.
                 Value right = arith::MaxSIOp::create(nb, nl, arith::SubIOp::create(nb, nl, zero32, sh), zero32);
                 Value mask = arith::SubIOp::create(nb, nl, arith::ShLIOp::create(nb, nl, c32(1), right), c32(1));
                 Value rem = arith::AndIOp::create(nb, nl, hm, mask);
                 Value thr = arith::AddIOp::create(nb, nl, arith::ShRSIOp::create(nb, nl, mask, c32(1)),
                                                   sel(P::slt, hm, zero32, c32(1), zero32));
                 Value q = arith::AddIOp::create(nb, nl, arith::ShRSIOp::create(nb, nl, hm, right),
                                                 sel(P::sgt, rem, thr, c32(1), zero32));
                 return arith::ExtSIOp::create(nb, nl, i64, q);
               };
               // acc + bias, wrapping as int32 does.
               Value x = arith::ExtSIOp::create(nb, nl, i64, arith::AddIOp::create(nb, nl, a[0], a[1]));
               Value y = mbqm(x, arith::ExtSIOp::create(nb, nl, i64, a[2]), a[3], mayShiftLeft);
               if (q.getResidual()) {
                 Value rv = resU ? (Value)arith::ExtUIOp::create(nb, nl, i64, a[4])
                                 : (Value)arith::ExtSIOp::create(nb, nl, i64, a[4]);
                 rv = arith::SubIOp::create(nb, nl, rv, c64(rzp));
                 y = arith::AddIOp::create(nb, nl, y, mbqm(rv, c64(rm), c32(rsh), rsh > 0));
               }
               // The zero point and the clamp in i64: no int32 overflow at
               // the extremes.
               y = arith::AddIOp::create(nb, nl, y, c64(zp));
               y = arith::MinSIOp::create(nb, nl, arith::MaxSIOp::create(nb, nl, y, c64(lo)), c64(hi));
               linalg::YieldOp::create(nb, nl, arith::TruncIOp::create(nb, nl, i8, y).getResult());
             })
      .getResult(0);
}

} // namespace

Type kiln::nn_to_linalg::productAccType(OpBuilder &b, ProductKind kind) {
  return kind == ProductKind::BF16 ? (Type)b.getF32Type() : (Type)b.getI32Type();
}

void kiln::nn_to_linalg::yieldProduct(OpBuilder &nb, Location nl, Value w, Value x, Value acc, ProductKind kind) {
  Type at = productAccType(nb, kind);
  Value r;
  if (kind == ProductKind::BF16) {
    Value y = arith::ExtFOp::create(nb, nl, at, w), xx = arith::ExtFOp::create(nb, nl, at, x);
    r = arith::AddFOp::create(nb, nl, acc, arith::MulFOp::create(nb, nl, y, xx));
  } else {
    Value y = arith::ExtSIOp::create(nb, nl, at, w);
    Value xx = kind == ProductKind::U8 ? (Value)arith::ExtUIOp::create(nb, nl, at, x)
                                       : (Value)arith::ExtSIOp::create(nb, nl, at, x);
    r = arith::AddIOp::create(nb, nl, acc, arith::MulIOp::create(nb, nl, y, xx));
  }
  linalg::YieldOp::create(nb, nl, r);
}

Value kiln::nn_to_linalg::combinePerChannel(OpBuilder &b, Location loc, Value acc, Value perChannel,
                                            int64_t chanDim) {
  auto t = rtt(acc);
  int64_t r = t.getRank();
  bool isFloat = isa<FloatType>(t.getElementType());
  return linalg::GenericOp::create(
             b, loc, TypeRange{t}, ValueRange{acc, perChannel}, ValueRange{acc},
             SmallVector<AffineMap>{b.getMultiDimIdentityMap(r),
                                    AffineMap::get(r, 0, {b.getAffineDimExpr(chanDim)}, b.getContext()),
                                    b.getMultiDimIdentityMap(r)},
             SmallVector<utils::IteratorType>(r, utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               linalg::YieldOp::create(nb, nl, isFloat ? (Value)arith::AddFOp::create(nb, nl, a[0], a[1])
                                                       : (Value)arith::SubIOp::create(nb, nl, a[0], a[1]));
             })
      .getResult(0);
}

Value kiln::nn_to_linalg::int8Matmul(OpBuilder &b, Location loc, Value a, Value bMat, ProductKind kind) {
  Type at = productAccType(b, kind);
  auto aT = rtt(a), bt = rtt(bMat);
  auto accT = RankedTensorType::get({aT.getDimSize(0), bt.getDimSize(1)}, at);
  SmallVector<Value> dims{dimOf(b, loc, a, 0), dimOf(b, loc, bMat, 1)};
  Value acc = fillTensor(b, loc, empty(b, loc, accT, dims), scalar(b, loc, at, 0));
  MLIRContext *ctx = b.getContext();
  AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx), k = getAffineDimExpr(2, ctx);
  return linalg::GenericOp::create(
             b, loc, TypeRange{accT}, ValueRange{a, bMat}, ValueRange{acc},
             SmallVector<AffineMap>{AffineMap::get(3, 0, {m, k}, ctx), AffineMap::get(3, 0, {k, n}, ctx),
                                    AffineMap::get(3, 0, {m, n}, ctx)},
             SmallVector<utils::IteratorType>{utils::IteratorType::parallel, utils::IteratorType::parallel,
                                              utils::IteratorType::reduction},
             [&](OpBuilder &nb, Location nl, ValueRange v) { yieldProduct(nb, nl, v[1], v[0], v[2], kind); })
      .getResult(0);
}

Value kiln::nn_to_linalg::int8WeightsProduct(OpBuilder &b, Location loc, Value w, Value cols, ProductKind kind) {
  Type at = productAccType(b, kind);
  auto wt = rtt(w), ct = rtt(cols);
  auto accT = RankedTensorType::get({ct.getDimSize(0), wt.getDimSize(0), ct.getDimSize(2)}, at);
  SmallVector<Value> dims{dimOf(b, loc, cols, 0), dimOf(b, loc, w, 0), dimOf(b, loc, cols, 2)};
  Value acc = fillTensor(b, loc, empty(b, loc, accT, dims), scalar(b, loc, at, 0));
  MLIRContext *ctx = b.getContext();
  AffineExpr n = getAffineDimExpr(0, ctx), f = getAffineDimExpr(1, ctx), p = getAffineDimExpr(2, ctx),
             k = getAffineDimExpr(3, ctx);
  return linalg::GenericOp::create(
             b, loc, TypeRange{accT}, ValueRange{w, cols}, ValueRange{acc},
             SmallVector<AffineMap>{AffineMap::get(4, 0, {f, k}, ctx), AffineMap::get(4, 0, {n, k, p}, ctx),
                                    AffineMap::get(4, 0, {n, f, p}, ctx)},
             SmallVector<utils::IteratorType>{utils::IteratorType::parallel, utils::IteratorType::parallel,
                                              utils::IteratorType::parallel, utils::IteratorType::reduction},
             [&](OpBuilder &nb, Location nl, ValueRange v) { yieldProduct(nb, nl, v[0], v[1], v[2], kind); })
      .getResult(0);
}

Value kiln::nn_to_linalg::dequantEpilogue(OpBuilder &b, Location loc, Value acc, AffineMap accMap,
                                          ArrayRef<int64_t> wsum, int64_t zp, float inputScale,
                                          ArrayRef<float> wScale, Value bias, RankedTensorType res, int64_t chanDim,
                                          ArrayRef<Value> dims) {
  int64_t C = wsum.size(), r = res.getRank();
  Type i32 = b.getI32Type(), f32 = b.getF32Type();
  SmallVector<int32_t> comp;
  SmallVector<float> scale;
  for (int64_t c = 0; c < C; ++c) {
    comp.push_back(int32_t(zp * wsum[c]));
    scale.push_back(inputScale * wScale[c]);
  }
  auto compT = RankedTensorType::get({C}, i32);
  SmallVector<Value> ins{acc, arith::ConstantOp::create(b, loc, compT, DenseElementsAttr::get(compT, ArrayRef<int32_t>(comp))),
                         kiln::makeF32Constant(b, loc, RankedTensorType::get({C}, f32), scale, "dequant_scales")};
  AffineMap chan = AffineMap::get(r, 0, {b.getAffineDimExpr(chanDim)}, b.getContext());
  SmallVector<AffineMap> maps{accMap, chan, chan};
  if (bias) {
    ins.push_back(bias);
    maps.push_back(chan);
  }
  maps.push_back(b.getMultiDimIdentityMap(r));
  return linalg::GenericOp::create(b, loc, TypeRange{res}, ins, ValueRange{empty(b, loc, res, dims)}, maps,
                                   SmallVector<utils::IteratorType>(r, utils::IteratorType::parallel),
                                   [&](OpBuilder &nb, Location nl, ValueRange a) {
                                     Value v = arith::SubIOp::create(nb, nl, a[0], a[1]);
                                     v = arith::SIToFPOp::create(nb, nl, f32, v);
                                     v = arith::MulFOp::create(nb, nl, v, a[2]);
                                     if (a.size() > 4)
                                       v = arith::AddFOp::create(nb, nl, v, a[3]);
                                     linalg::YieldOp::create(nb, nl, v);
                                   })
      .getResult(0);
}

void kiln::nn_to_linalg::populateQuantizationPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerToLinalg<nn::QuantizeOp, lowerQuantize>, LowerToLinalg<nn::DequantizeOp, lowerDequantize>,
               LowerToLinalg<nn::RequantizeOp, lowerRequantize>>(
      patterns.getContext());
}
