//===- Sorting.cpp - onnx shape inference: sorting, selection -------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Hardmax, CumSum, TopK, NonZero, Unique and NonMaxSuppression
// (dialects/onnx/ops/Sorting.td).
//
//===----------------------------------------------------------------------===//

#include "ShapeInference.h"

using namespace mlir;
using namespace kiln::onnx;
using namespace kiln::onnx::inference;

INFER(HardmaxOp) {
  CTX;
  auto x = c.ranked(getInput(), "input");
  if (!x)
    return failure();
  int64_t r = x.getRank();
  if (r == 0 || getAxis() < -r || getAxis() >= r)
    return c.error() << "axis " << getAxis() << " out of range for rank " << r;
  return c.add(x.getShape(), x.getElementType());
}

INFER(CumSumOp) {
  CTX;
  auto x = c.ranked(getX(), "x");
  auto a = c.ranked(getAxis(), "axis");
  if (!x || !a)
    return failure();
  if (x.getRank() == 0)
    return c.error() << "the input must have rank >= 1";
  if (!isa<IntegerType>(a.getElementType()) ||
      !(a.getRank() == 0 || (a.getRank() == 1 && a.getDimSize(0) == 1)))
    return c.error() << "axis must be an integer scalar";
  SmallVector<int64_t> av;
  if (getConstantIntValues(getAxis(), av) &&
      (av[0] < -x.getRank() || av[0] >= x.getRank()))
    return c.error() << "axis " << av[0] << " out of range for rank " << x.getRank();
  return c.add(x.getShape(), x.getElementType());
}

INFER(TopKOp) {
  CTX;
  auto x = c.ranked(getX(), "X");
  auto k = c.ranked(getK(), "K");
  if (!x || !k)
    return failure();
  int64_t r = x.getRank(), axis = getAxis();
  if (r == 0 || axis < -r || axis >= r)
    return c.error() << "axis " << axis << " out of range for rank " << r;
  axis = normAxis(axis, r);
  if (!k.getElementType().isInteger(64) ||
      !(k.getRank() == 0 || (k.getRank() == 1 && k.getDimSize(0) == 1)))
    return c.error() << "K must be a 1-element i64 tensor";
  SmallVector<int64_t> kv;
  int64_t kk = kDyn;
  if (getConstantIntValues(getK(), kv)) {
    kk = kv[0];
    if (kk < 0 || (!x.isDynamicDim(axis) && kk > x.getDimSize(axis)))
      return c.error() << "K = " << kk << " is out of range for an axis of size "
                       << x.getDimSize(axis);
  }
  SmallVector<int64_t> out(x.getShape());
  out[axis] = kk;
  (void)c.add(out, x.getElementType());
  return c.add(out, IntegerType::get(getContext(), 64));
}

INFER(NonZeroOp) {
  CTX;
  auto x = c.ranked(getX(), "X");
  if (!x)
    return failure();
  return c.add({x.getRank(), kDyn}, IntegerType::get(getContext(), 64));
}

INFER(UniqueOp) {
  CTX;
  auto x = c.ranked(getX(), "X");
  if (!x)
    return failure();
  unsigned n = getOperation()->getNumResults();
  if (n < 1 || n > 4)
    return c.error() << "has " << n << " outputs, expected 1 to 4";
  Type i64 = IntegerType::get(getContext(), 64);
  int64_t rows;
  if (auto a = getAxis()) {
    int64_t r = x.getRank(), axis = *a;
    if (r == 0 || axis < -r || axis >= r)
      return c.error() << "axis " << axis << " out of range for rank " << r;
    axis = normAxis(axis, r);
    SmallVector<int64_t> ys(x.getShape());
    ys[axis] = kDyn;
    (void)c.add(ys, x.getElementType());
    rows = x.getDimSize(axis);
  } else {
    (void)c.add({kDyn}, x.getElementType());
    rows = product(x.getShape());
  }
  if (n > 1) (void)c.add({kDyn}, i64);
  if (n > 2) (void)c.add({rows}, i64);
  if (n > 3) (void)c.add({kDyn}, i64);
  return success();
}

INFER(NonMaxSuppressionOp) {
  CTX;
  auto bx = c.ranked(getBoxes(), "boxes");
  auto sc = c.ranked(getScores(), "scores");
  if (!bx || !sc)
    return failure();
  if (bx.getRank() != 3 || (!bx.isDynamicDim(2) && bx.getDimSize(2) != 4))
    return c.error() << "boxes must be [batches, boxes, 4]";
  if (sc.getRank() != 3)
    return c.error() << "scores must be [batches, classes, boxes]";
  return c.add({kDyn, 3}, IntegerType::get(getContext(), 64));
}
