//===- Normalization.cpp - reductions and normalizations to linalg --------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// nn.reduce, nn.reduce_axes (axes known at run time), nn.softmax and
// nn.layer_norm: linalg.generic reductions, then elementwise generics that
// combine the input with the reduced statistics.
//
//===----------------------------------------------------------------------===//

#include "Common.h"
#include "Patterns.h"

using namespace mlir;
using namespace kiln::nn_to_linalg;
namespace nn = kiln::nn;

namespace {

/// |v| for a signless integer with arith only (math.absi has no LLVM lowering here).
Value absInt(OpBuilder &b, Location loc, Value v) {
  Value zero = arith::ConstantOp::create(b, loc, v.getType(), b.getIntegerAttr(v.getType(), 0));
  Value neg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, v, zero);
  return arith::SelectOp::create(b, loc, neg, arith::SubIOp::create(b, loc, zero, v), v);
}

FailureOr<Value> lowerReduce(PatternRewriter &b, nn::ReduceOp op) {
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
      return b.notifyMatchFailure(op, "reduction '" + nn::stringifyReduceKind(k) + "' needs a float element type");
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
      return b.notifyMatchFailure(op, "reduction 'log_sum_exp' needs a float element type");
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
  // The row maximum ignores NaN (maxnumf): a NaN element still makes its
  // exponential, the sum and so every output of the row NaN, as with a
  // NaN-propagating maximum, and LLVM reduces maxnum vectors with vector
  // instructions where it reduced the NaN-propagating maximum element by
  // element (ViT-B/16's Softmax rows).
  Value mx = reduceGeneric(b, loc, x, axes, lowest(b, loc, et), [](OpBuilder &nb, Location nl, Value a, Value c) {
    return (Value)arith::MaxNumFOp::create(nb, nl, a, c);
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
  // The row sum's reciprocal once per row, then one multiply per element
  // (as ONNX Runtime's MLAS softmax does) instead of a vector divide per
  // element (ViT-B/16's Softmax nodes 4.16 -> 3.35 ms per run on one
  // thread of the Intel Xeon, kiln-run --profile); one rounding more than
  // the quotient (a relative error of at most about 1.2e-7).
  auto st = rtt(sum);
  Value inv = elementwise(b, loc, st, ValueRange{sum}, [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
    return arith::DivFOp::create(nb, nl, scalar(nb, nl, et, 1.0), a[0]);
  });
  return withStats(b, loc, e, axes, inv, [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
    return arith::MulFOp::create(nb, nl, a[0], a[1]);
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

/// nn.reduce_axes: reduction over axes known only at run time, in one
/// linalg.generic with 2 * rank loops: o_j (parallel, over the result dims
/// out_j = reduced_j ? 1 : in_j) and k_j (reduction, over red_j = reduced_j
/// ? in_j : 1); the input is read at o_j + k_j.  The k ranges come from a
/// placeholder i8 tensor of shape red.  Without keepdims the result is a
/// tensor.reshape to the kept dims, compacted at run time.
FailureOr<Value> lowerReduceAxes(PatternRewriter &b, nn::ReduceAxesOp op) {
  Location loc = op.getLoc();
  Value x = op.getInput(), axesV = op.getAxes();
  auto t = rtt(x);
  auto resT = rtt(op.getResult());
  Type et = t.getElementType();
  bool isF = isa<FloatType>(et);
  int64_t r = t.getRank();
  nn::ReduceKind k = op.getKind();
  if (k == nn::ReduceKind::log_sum_exp)
    return b.notifyMatchFailure(op, "reduction 'log_sum_exp' over run-time axes is not supported");
  if (!isF && (k == nn::ReduceKind::l2 || k == nn::ReduceKind::log_sum))
    return b.notifyMatchFailure(op, "reduction '" + nn::stringifyReduceKind(k) + "' needs a float element type");
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

} // namespace

void kiln::nn_to_linalg::populateNormalizationPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerToLinalg<nn::ReduceOp, lowerReduce>, LowerToLinalg<nn::ReduceAxesOp, lowerReduceAxes>,
               LowerToLinalg<nn::SoftmaxOp, lowerSoftmax>, LowerToLinalg<nn::LayerNormOp, lowerLayerNorm>>(
      patterns.getContext());
}
