//===- Reduction.cpp - onnx shape inference: reductions, losses -----------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Reduce* (axes as an optional input), ArgMax, ArgMin, NegativeLogLikelihoodLoss
// and SoftmaxCrossEntropyLoss (dialects/onnx/ops/Reduction.td).
//
//===----------------------------------------------------------------------===//

#include "ShapeInference.h"

using namespace mlir;
using namespace kiln::onnx;
using namespace kiln::onnx::inference;

/// Reduction axes: empty result means "reduce nothing" (noop).
static FailureOr<SmallVector<int64_t>> reduceAxes(Ctx &c, Value axesV, int64_t rank,
                                                  bool noopWithEmpty) {
  SmallVector<int64_t> axes;
  auto axesT = dyn_cast<RankedTensorType>(axesV.getType());
  bool emptyByShape = axesT && axesT.getRank() == 1 && axesT.getDimSize(0) == 0;
  if (!isa<NoneType>(axesV.getType()) && !emptyByShape) {
    if (!getConstantIntValues(axesV, axes))
      return (LogicalResult)(c.error() << "axes must be a constant tensor");
  }
  if (axes.empty()) {
    if (noopWithEmpty)
      return axes;
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
    return axes;
  }
  for (int64_t &a : axes) {
    if (a < -rank || a >= rank)
      return (LogicalResult)(c.error() << "axis " << a << " out of range for rank " << rank);
    a = normAxis(a, rank);
  }
  llvm::sort(axes);
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  return axes;
}

template <typename RedT>
static LogicalResult inferReduce(RedT op, Ctx &c) {
  auto x = c.ranked(op.getData(), "data");
  if (!x)
    return failure();
  // Axes known only at run time: the rank is known (keepdims, or a static
  // axes length); dims that may be reduced are dynamic.
  SmallVector<int64_t> constAxes;
  auto axesT = dyn_cast<RankedTensorType>(op.getAxes().getType());
  if (axesT && axesT.getRank() == 1 && axesT.getDimSize(0) != 0 &&
      !getConstantIntValues(op.getAxes(), constAxes)) {
    SmallVector<int64_t> out;
    for (int64_t d : x.getShape())
      out.push_back(d == 1 ? 1 : kDyn);
    if (!op.getKeepdims()) {
      if (axesT.isDynamicDim(0))
        return c.error() << "axes known only at run time need a static length when keepdims = 0";
      if (axesT.getDimSize(0) > x.getRank())
        return c.error() << "more axes than the rank " << x.getRank();
      out.assign(x.getRank() - axesT.getDimSize(0), kDyn);
    }
    return c.add(out, x.getElementType());
  }
  auto axes = reduceAxes(c, op.getAxes(), x.getRank(), op.getNoopWithEmptyAxes());
  if (failed(axes))
    return failure();
  SmallVector<int64_t> out;
  for (int64_t i = 0; i < x.getRank(); ++i) {
    if (!llvm::is_contained(*axes, i))
      out.push_back(x.getDimSize(i));
    else if (op.getKeepdims())
      out.push_back(1);
  }
  return c.add(out, x.getElementType());
}
INFER(ReduceMeanOp) { CTX; return inferReduce(*this, c); }
INFER(ReduceSumOp) { CTX; return inferReduce(*this, c); }
INFER(ReduceMaxOp) { CTX; return inferReduce(*this, c); }
INFER(ReduceMinOp) { CTX; return inferReduce(*this, c); }
INFER(ReduceProdOp) { CTX; return inferReduce(*this, c); }
INFER(ReduceL1Op) { CTX; return inferReduce(*this, c); }
INFER(ReduceL2Op) { CTX; return inferReduce(*this, c); }
INFER(ReduceLogSumOp) { CTX; return inferReduce(*this, c); }
INFER(ReduceLogSumExpOp) { CTX; return inferReduce(*this, c); }
INFER(ReduceSumSquareOp) { CTX; return inferReduce(*this, c); }

template <typename ArgT>
static LogicalResult inferArgReduce(ArgT op, Ctx &c) {
  auto x = c.ranked(op.getData(), "data");
  if (!x)
    return failure();
  int64_t r = x.getRank(), axis = op.getAxis();
  if (r == 0)
    return c.error() << "the input must have rank >= 1";
  if (axis < -r || axis >= r)
    return c.error() << "axis " << axis << " out of range for rank " << r;
  axis = normAxis(axis, r);
  SmallVector<int64_t> out;
  for (int64_t i = 0; i < r; ++i) {
    if (i != axis)
      out.push_back(x.getDimSize(i));
    else if (op.getKeepdims())
      out.push_back(1);
  }
  return c.add(out, IntegerType::get(op.getContext(), 64));
}
INFER(ArgMaxOp) { CTX; return inferArgReduce(*this, c); }
INFER(ArgMinOp) { CTX; return inferArgReduce(*this, c); }

/// Shared by NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss: input
/// [N, C, d...], target [N, d...] integers, weight [C]; the loss is [N, d...]
/// for reduction none, else a scalar.
static LogicalResult inferLoss(Ctx &c, Value inputV, Value targetV, Value weightV,
                               StringRef reduction, bool withLogProb) {
  auto x = c.ranked(inputV, "input"), t = c.ranked(targetV, "target");
  if (!x || !t)
    return failure();
  if (!isa<FloatType>(x.getElementType()))
    return c.error() << "input must be a floating-point tensor";
  if (!t.getElementType().isInteger(32) && !t.getElementType().isInteger(64))
    return c.error() << "target must be an int32 or int64 tensor";
  if (x.getRank() < 2)
    return c.error() << "input must be [N, C, d1, ..., dk], got rank " << x.getRank();
  if (t.getRank() != x.getRank() - 1)
    return c.error() << "target must have rank " << x.getRank() - 1 << ", got " << t.getRank();
  SmallVector<int64_t> out;
  for (int64_t i = 0; i < t.getRank(); ++i) {
    int64_t dx = x.getDimSize(i == 0 ? 0 : i + 1), dt = t.getDimSize(i);
    if (dx != kDyn && dt != kDyn && dx != dt)
      return c.error() << "target dimension " << i << " (" << dt
                       << ") does not match the input's (" << dx << ")";
    out.push_back(dx != kDyn ? dx : dt);
  }
  if (!isa<NoneType>(weightV.getType())) {
    auto w = c.ranked(weightV, "weight");
    if (!w)
      return failure();
    if (w.getRank() != 1 || w.getElementType() != x.getElementType())
      return c.error() << "weight must be a 1-D tensor of the input's element type";
    if (w.getDimSize(0) != kDyn && x.getDimSize(1) != kDyn && w.getDimSize(0) != x.getDimSize(1))
      return c.error() << "weight has " << w.getDimSize(0) << " entries for " << x.getDimSize(1)
                       << " classes";
  }
  if (reduction != "none" && reduction != "sum" && reduction != "mean")
    return c.error() << "reduction must be 'none', 'sum' or 'mean', got '" << reduction << "'";
  if (reduction != "none")
    out.clear();
  (void)c.add(out, x.getElementType());
  if (withLogProb)
    c.types.push_back(RankedTensorType::get(x.getShape(), x.getElementType()));
  return success();
}

INFER(NegativeLogLikelihoodLossOp) {
  CTX;
  return inferLoss(c, getInput(), getTarget(), getWeight(), getReduction(), false);
}

INFER(SoftmaxCrossEntropyLossOp) {
  CTX;
  return inferLoss(c, getScores(), getLabels(), getWeights(), getReduction(), getNumResults() > 1);
}
