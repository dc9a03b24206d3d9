//===- Indexing.cpp - onnx shape inference: gather, scatter ---------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Gather, GatherElements, GatherND, ScatterElements, ScatterND, Trilu, OneHot,
// Compress and ReverseSequence (dialects/onnx/ops/Indexing.td).
//
//===----------------------------------------------------------------------===//

#include "ShapeInference.h"

using namespace mlir;
using namespace kiln::onnx;
using namespace kiln::onnx::inference;

INFER(GatherOp) {
  CTX;
  auto x = c.ranked(getData(), "data"), idx = c.ranked(getIndices(), "indices");
  if (!x || !idx)
    return failure();
  if (!isa<IntegerType>(idx.getElementType()))
    return c.error() << "indices must be integers";
  int64_t r = x.getRank(), axis = normAxis(getAxis(), r);
  if (axis < 0 || axis >= r)
    return c.error() << "axis " << getAxis() << " out of range for rank " << r;
  SmallVector<int64_t> iv;
  if (getConstantIntValues(getIndices(), iv) && x.getDimSize(axis) != kDyn)
    for (int64_t i : iv)
      if (i < -x.getDimSize(axis) || i >= x.getDimSize(axis))
        return c.error() << "index " << i << " out of range for dimension of size "
                         << x.getDimSize(axis);
  SmallVector<int64_t> out(x.getShape().take_front(axis));
  out.append(idx.getShape().begin(), idx.getShape().end());
  out.append(x.getShape().begin() + axis + 1, x.getShape().end());
  return c.add(out, x.getElementType());
}

static LogicalResult checkReduction(Ctx &c, StringRef r) {
  if (r == "none" || r == "add" || r == "mul" || r == "max" || r == "min")
    return success();
  return c.error() << "unknown reduction '" << r << "'";
}

INFER(GatherElementsOp) {
  CTX;
  auto x = c.ranked(getData(), "data"), idx = c.ranked(getIndices(), "indices");
  if (!x || !idx)
    return failure();
  if (!isa<IntegerType>(idx.getElementType()))
    return c.error() << "indices must be integers";
  int64_t r = x.getRank(), axis = normAxis(getAxis(), r);
  if (axis < 0 || axis >= r)
    return c.error() << "axis " << getAxis() << " out of range for rank " << r;
  if (idx.getRank() != r)
    return c.error() << "indices must have the data's rank " << r;
  return c.add(idx.getShape(), x.getElementType());
}

INFER(ScatterElementsOp) {
  CTX;
  auto x = c.ranked(getData(), "data"), idx = c.ranked(getIndices(), "indices"),
       u = c.ranked(getUpdates(), "updates");
  if (!x || !idx || !u)
    return failure();
  if (!isa<IntegerType>(idx.getElementType()))
    return c.error() << "indices must be integers";
  int64_t r = x.getRank(), axis = normAxis(getAxis(), r);
  if (axis < 0 || axis >= r)
    return c.error() << "axis " << getAxis() << " out of range for rank " << r;
  if (idx.getRank() != r || failed(verifyCompatibleShape(idx.getShape(), u.getShape())))
    return c.error() << "indices and updates must have the same shape, of the data's rank";
  if (u.getElementType() != x.getElementType())
    return c.error() << "updates must have the data's element type";
  if (failed(checkReduction(c, getReduction())))
    return failure();
  return c.add(x.getShape(), x.getElementType());
}

INFER(GatherNDOp) {
  CTX;
  auto x = c.ranked(getData(), "data"), idx = c.ranked(getIndices(), "indices");
  if (!x || !idx)
    return failure();
  if (!isa<IntegerType>(idx.getElementType()))
    return c.error() << "indices must be integers";
  int64_t q = idx.getRank(), bd = getBatchDims();
  if (q < 1 || idx.isDynamicDim(q - 1))
    return c.error() << "indices must have a static last dimension";
  int64_t k = idx.getDimSize(q - 1);
  if (bd < 0 || bd >= q || bd >= x.getRank() + 1 || bd + k > x.getRank())
    return c.error() << "batch_dims " << bd << " + indices.shape[-1] " << k
                     << " does not fit data of rank " << x.getRank();
  SmallVector<int64_t> out(idx.getShape().drop_back());
  out.append(x.getShape().begin() + bd + k, x.getShape().end());
  return c.add(out, x.getElementType());
}

INFER(ScatterNDOp) {
  CTX;
  auto x = c.ranked(getData(), "data"), idx = c.ranked(getIndices(), "indices"),
       u = c.ranked(getUpdates(), "updates");
  if (!x || !idx || !u)
    return failure();
  if (!isa<IntegerType>(idx.getElementType()))
    return c.error() << "indices must be integers";
  int64_t q = idx.getRank();
  if (q < 1 || idx.isDynamicDim(q - 1))
    return c.error() << "indices must have a static last dimension";
  int64_t k = idx.getDimSize(q - 1);
  if (k > x.getRank())
    return c.error() << "indices.shape[-1] " << k << " exceeds the data's rank " << x.getRank();
  SmallVector<int64_t> ushape(idx.getShape().drop_back());
  ushape.append(x.getShape().begin() + k, x.getShape().end());
  if (failed(verifyCompatibleShape(ushape, u.getShape())))
    return c.error() << "updates must have shape indices.shape[:-1] + data.shape[k:]";
  if (u.getElementType() != x.getElementType())
    return c.error() << "updates must have the data's element type";
  if (failed(checkReduction(c, getReduction())))
    return failure();
  return c.add(x.getShape(), x.getElementType());
}

INFER(TriluOp) {
  CTX;
  auto x = c.ranked(getInput(), "input");
  if (!x)
    return failure();
  if (x.getRank() < 2)
    return c.error() << "input must have rank >= 2";
  if (!isa<NoneType>(getK().getType())) {
    auto kt = c.ranked(getK(), "k");
    if (!kt)
      return failure();
    if (!isa<IntegerType>(kt.getElementType()) || kt.getRank() > 1 ||
        (kt.hasStaticShape() && kt.getNumElements() != 1))
      return c.error() << "k must be an integer scalar";
  }
  return c.add(x.getShape(), x.getElementType());
}

INFER(OneHotOp) {
  CTX;
  auto idx = c.ranked(getIndices(), "indices"), dt = c.ranked(getDepth(), "depth"),
       vt = c.ranked(getValues(), "values");
  if (!idx || !dt || !vt)
    return failure();
  if (dt.hasStaticShape() && dt.getNumElements() != 1)
    return c.error() << "depth must be a scalar";
  if (vt.getRank() != 1 || (!vt.isDynamicDim(0) && vt.getDimSize(0) != 2))
    return c.error() << "values must be a 1-D tensor of 2 elements";
  int64_t r = idx.getRank() + 1, axis = normAxis(getAxis(), r);
  if (axis < 0 || axis >= r)
    return c.error() << "axis " << getAxis() << " out of range for output rank " << r;
  int64_t depth = kDyn;
  SmallVector<int64_t> iv;
  SmallVector<double> fv;
  if (getConstantIntValues(getDepth(), iv))
    depth = iv[0];
  else if (getConstantFloatValues(getDepth(), fv))
    depth = (int64_t)fv[0];
  if (depth != kDyn && depth < 1)
    return c.error() << "depth must be positive, got " << depth;
  SmallVector<int64_t> out(idx.getShape());
  out.insert(out.begin() + axis, depth);
  return c.add(out, vt.getElementType());
}

INFER(CompressOp) {
  CTX;
  auto x = c.ranked(getInput(), "input"), ct = c.ranked(getCondition(), "condition");
  if (!x || !ct)
    return failure();
  if (ct.getRank() != 1 || !ct.getElementType().isInteger(1))
    return c.error() << "condition must be a 1-D bool tensor";
  int64_t n = kDyn;
  SmallVector<int64_t> cv;
  int64_t limit = kDyn;
  if (getAxis()) {
    int64_t axis = normAxis(*getAxis(), x.getRank());
    if (axis < 0 || axis >= x.getRank())
      return c.error() << "axis " << *getAxis() << " out of range for rank " << x.getRank();
    limit = x.getDimSize(axis);
  } else if (x.hasStaticShape()) {
    limit = x.getNumElements();
  }
  if (getConstantIntValues(getCondition(), cv) && limit != kDyn) {
    n = 0;
    for (int64_t i = 0; i < (int64_t)cv.size() && i < limit; ++i)
      n += cv[i] != 0;
  }
  if (!getAxis())
    return c.add({n}, x.getElementType());
  SmallVector<int64_t> out(x.getShape());
  out[normAxis(*getAxis(), x.getRank())] = n;
  return c.add(out, x.getElementType());
}

INFER(ReverseSequenceOp) {
  CTX;
  auto x = c.ranked(getInput(), "input"), l = c.ranked(getSequenceLens(), "sequence_lens");
  if (!x || !l)
    return failure();
  int64_t r = x.getRank(), ba = getBatchAxis(), ta = getTimeAxis();
  if (r < 2 || ba < 0 || ba > 1 || ta < 0 || ta > 1 || ba == ta)
    return c.error() << "batch_axis and time_axis must be 0 and 1 (in either order)";
  if (l.getRank() != 1 || !isa<IntegerType>(l.getElementType()))
    return c.error() << "sequence_lens must be a 1-D integer tensor";
  return c.add(x.getShape(), x.getElementType());
}
