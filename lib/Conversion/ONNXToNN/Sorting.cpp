//===- Sorting.cpp - onnx -> nn: sorting and selection --------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// ArgMax / ArgMin, Hardmax, CumSum, TopK, NonZero, Unique and
// NonMaxSuppression.
//
//===----------------------------------------------------------------------===//

#include "Common.h"

using namespace mlir;

namespace kiln::onnx_to_nn {
namespace {

/// A 1-element tensor<1xT> constant.
Value scalarTensor1(OpBuilder &b, Location loc, TypedAttr v) {
  auto t = RankedTensorType::get({1}, v.getType());
  return arith::ConstantOp::create(b, loc, t, DenseElementsAttr::get(t, ArrayRef<Attribute>{v}));
}

struct SortingLowering : Lowering {
  using Lowering::Lowering;

  LoweringResult unique(ox::UniqueOp u);
  LoweringResult nonMaxSuppression(ox::NonMaxSuppressionOp n);

  template <typename ArgT>
  LoweringResult argReduce(ArgT a, bool isMax) {
    auto t = rtt(a.getData());
    if (!t.getElementType().isIntOrFloat() || t.getElementType().isInteger(1))
      return (LogicalResult)(fail() << "element type " << t.getElementType() << " is not supported");
    int64_t axis = a.getAxis() < 0 ? a.getAxis() + t.getRank() : a.getAxis();
    return one(nn::ArgReduceOp::create(b, loc, resType(), a.getData(), b.getI64IntegerAttr(axis),
                                       b.getBoolAttr(a.getKeepdims() != 0),
                                       b.getBoolAttr(a.getSelectLastIndex() != 0), b.getBoolAttr(isMax)));
  }

  LoweringResult lowerArgMax(ox::ArgMaxOp a) { return argReduce(a, /*isMax=*/true); }
  LoweringResult lowerArgMin(ox::ArgMinOp a) { return argReduce(a, /*isMax=*/false); }
  LoweringResult lowerHardmax(ox::HardmaxOp h) {
    int64_t r = rtt(h.getInput()).getRank();
    if (!isa<FloatType>(rtt(h.getInput()).getElementType()))
      return (LogicalResult)(fail() << "the input must be floating-point");
    return one(nn::HardmaxOp::create(b, loc, resType(), h.getInput(),
                                     b.getI64IntegerAttr(h.getAxis() < 0 ? h.getAxis() + r : h.getAxis())));
  }
  LoweringResult lowerCumSum(ox::CumSumOp cs) {
    int64_t r = rtt(cs.getX()).getRank();
    Type et = rtt(cs.getX()).getElementType();
    if (!et.isIntOrFloat() || et.isInteger(1))
      return (LogicalResult)(fail() << "element type " << et << " is not supported");
    SmallVector<int64_t> av;
    Value axisInput;
    int64_t axis = 0;
    if (ox::getConstantIntValues(cs.getAxis(), av))
      axis = av[0] < 0 ? av[0] + r : av[0];
    else
      axisInput = cs.getAxis();
    return one(nn::CumSumOp::create(b, loc, resType(), cs.getX(), axisInput,
                                    b.getI64IntegerAttr(axis), b.getBoolAttr(cs.getExclusive() != 0),
                                    b.getBoolAttr(cs.getReverse() != 0)));
  }
  LoweringResult lowerTopK(ox::TopKOp t) {
    int64_t r = rtt(t.getX()).getRank();
    if (!rtt(t.getX()).getElementType().isIntOrFloat() || rtt(t.getX()).getElementType().isInteger(1))
      return (LogicalResult)(fail() << "element type " << rtt(t.getX()).getElementType()
                                    << " is not supported");
    auto top = nn::TopKOp::create(b, loc, TypeRange{resType(0), resType(1)}, t.getX(), t.getK(),
                                  b.getI64IntegerAttr(t.getAxis() < 0 ? t.getAxis() + r : t.getAxis()),
                                  b.getBoolAttr(t.getLargest() != 0));
    return SmallVector<Value>{top.getValues(), top.getIndices()};
  }
  LoweringResult lowerNonZero(ox::NonZeroOp nz) {
    if (!rtt(nz.getX()).getElementType().isIntOrFloat())
      return (LogicalResult)(fail() << "element type is not supported");
    return one(nn::NonZeroOp::create(b, loc, resType(), nz.getX()));
  }
  LoweringResult lowerUnique(ox::UniqueOp u) { return unique(u); }
  LoweringResult lowerNonMaxSuppression(ox::NonMaxSuppressionOp n) { return nonMaxSuppression(n); }
};

LoweringResult SortingLowering::unique(ox::UniqueOp u) {
  Value x = u.getX();
  auto xt = rtt(x);
  int64_t r = xt.getRank();
  Type et = xt.getElementType();
  if (!et.isIntOrFloat() || (et.isInteger(1) && u.getSorted() != 0))
    return (LogicalResult)(fail() << "element type " << et << " is not supported"
                                  << (et.isInteger(1) ? " with sorted = 1" : ""));
  // Bring the input to 2-D [n, m]: rows are the elements (no axis) or the
  // slices along `axis` (moved to the front).
  SmallVector<int64_t> perm;
  int64_t axis = -1;
  Value rows2d;
  SmallVector<int64_t> restDims;
  if (auto a = u.getAxis()) {
    axis = *a < 0 ? *a + r : *a;
    perm.push_back(axis);
    for (int64_t i = 0; i < r; ++i)
      if (i != axis)
        perm.push_back(i);
    SmallVector<int64_t> tshape;
    for (int64_t p : perm)
      tshape.push_back(xt.getDimSize(p));
    Value xtp = x;
    if (axis != 0)
      xtp = nn::TransposeOp::create(b, loc, RankedTensorType::get(tshape, et), x,
                                    b.getDenseI64ArrayAttr(perm));
    int64_t m = 1;
    for (int64_t i = 1; i < r; ++i) {
      if (tshape[i] == kDyn)
        return (LogicalResult)(fail() << "dynamic dims other than the axis are not supported");
      m *= tshape[i];
      restDims.push_back(tshape[i]);
    }
    SmallVector<Value> dims{dimValue(b, loc, xtp, 0), arith::ConstantIndexOp::create(b, loc, m)};
    rows2d = reshapeTo(b, loc, xtp, RankedTensorType::get({tshape[0], m}, et), dims);
  } else {
    if (xt.getNumDynamicDims() > 1)
      return (LogicalResult)(fail() << "an input with more than one dynamic dim is not supported");
    int64_t n = 1;
    for (int64_t d : xt.getShape())
      n = (d == kDyn || n == kDyn) ? kDyn : n * d;
    rows2d = reshapeTo(b, loc, x, RankedTensorType::get({n, 1}, et));
  }
  auto i64 = b.getI64Type();
  auto rt2 = rtt(rows2d);
  auto un = nn::UniqueOp::create(
      b, loc,
      TypeRange{RankedTensorType::get({kDyn, rt2.getDimSize(1)}, et),
                RankedTensorType::get({kDyn}, i64),
                RankedTensorType::get({rt2.getDimSize(0)}, i64),
                RankedTensorType::get({kDyn}, i64)},
      rows2d, b.getBoolAttr(u.getSorted() != 0));
  Value y;
  if (axis < 0) {
    y = reshapeTo(b, loc, un.getRows(), RankedTensorType::get({kDyn}, et));
  } else {
    SmallVector<int64_t> shape{kDyn};
    shape.append(restDims);
    y = reshapeTo(b, loc, un.getRows(), RankedTensorType::get(shape, et));
    if (axis != 0) {
      SmallVector<int64_t> inv(r), oshape(r);
      for (int64_t i = 0; i < r; ++i)
        inv[perm[i]] = i;
      for (int64_t i = 0; i < r; ++i)
        oshape[i] = shape[inv[i]];
      y = nn::TransposeOp::create(b, loc, RankedTensorType::get(oshape, et), y,
                                  b.getDenseI64ArrayAttr(inv));
    }
  }
  SmallVector<Value> all{y, un.getIndices(), un.getInverse(), un.getCounts()};
  all.resize(op->getNumResults());
  return all;
}

LoweringResult SortingLowering::nonMaxSuppression(ox::NonMaxSuppressionOp n) {
  auto bt = rtt(n.getBoxes()), st = rtt(n.getScores());
  if (!bt.getElementType().isF32() || !st.getElementType().isF32())
    return (LogicalResult)(fail() << "boxes and scores must be f32, got " << bt.getElementType()
                                  << " and " << st.getElementType());
  auto scalarInput = [&](Value v, TypedAttr dflt, Type want) -> FailureOr<Value> {
    if (isNone(v))
      return scalarTensor1(b, loc, dflt);
    auto t = rtt(v);
    if (t.getElementType() != want || !t.hasStaticShape() || t.getNumElements() != 1)
      return (LogicalResult)(fail() << "scalar inputs must be 1-element tensors of type " << want);
    return v;
  };
  auto mo = scalarInput(n.getMaxOutputBoxesPerClass(), b.getI64IntegerAttr(0), b.getI64Type());
  auto iou = scalarInput(n.getIouThreshold(), b.getF32FloatAttr(0), b.getF32Type());
  auto sc = scalarInput(n.getScoreThreshold(), b.getF32FloatAttr(0), b.getF32Type());
  if (failed(mo) || failed(iou) || failed(sc))
    return failure();
  if (n.getCenterPointBox() != 0 && n.getCenterPointBox() != 1)
    return (LogicalResult)(fail() << "center_point_box must be 0 or 1");
  return one(nn::NonMaxSuppressionOp::create(
      b, loc, resType(), n.getBoxes(), n.getScores(), *mo, *iou, *sc,
      b.getBoolAttr(n.getCenterPointBox() == 1), b.getBoolAttr(!isNone(n.getScoreThreshold()))));
}

} // namespace

void populateSortingPatterns(RewritePatternSet &patterns) {
  using L = SortingLowering;
  addLowering<ox::ArgMaxOp, &L::lowerArgMax>(patterns);
  addLowering<ox::ArgMinOp, &L::lowerArgMin>(patterns);
  addLowering<ox::HardmaxOp, &L::lowerHardmax>(patterns);
  addLowering<ox::CumSumOp, &L::lowerCumSum>(patterns);
  addLowering<ox::TopKOp, &L::lowerTopK>(patterns);
  addLowering<ox::NonZeroOp, &L::lowerNonZero>(patterns);
  addLowering<ox::UniqueOp, &L::lowerUnique>(patterns);
  addLowering<ox::NonMaxSuppressionOp, &L::lowerNonMaxSuppression>(patterns);
}

} // namespace kiln::onnx_to_nn
