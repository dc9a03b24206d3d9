//===- Normalization.cpp - onnx shape inference: normalization ------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// BatchNormalization, LayerNormalization, InstanceNormalization,
// GroupNormalization, MeanVarianceNormalization, LRN, Softmax and LogSoftmax
// (dialects/onnx/ops/Normalization.td).
//
//===----------------------------------------------------------------------===//

#include "ShapeInference.h"

using namespace mlir;
using namespace kiln::onnx;
using namespace kiln::onnx::inference;

INFER(BatchNormalizationOp) {
  CTX;
  auto x = c.ranked(getX(), "X");
  if (!x)
    return failure();
  if (getNumResults() > 3)
    return c.error() << "the saved_mean/saved_var outputs (BatchNormalization before opset 14) are not supported";
  types.push_back(x);
  for (unsigned i = 1; i < getNumResults(); ++i) {
    auto m = c.ranked(i == 1 ? getInputMean() : getInputVar(), i == 1 ? "input_mean" : "input_var");
    if (!m)
      return failure();
    types.push_back(m);
  }
  return success();
}
INFER(InstanceNormalizationOp) {
  CTX;
  auto x = c.rankedAtLeast(getInput(), "input", 3, "[N, C, spatial...]");
  if (!x)
    return failure();
  types.push_back(x);
  return success();
}
INFER(MeanVarianceNormalizationOp) { CTX; return inferSame(c, getX()); }
INFER(LRNOp) {
  CTX;
  auto x = c.rankedAtLeast(getX(), "X", 2, "[N, C, ...]");
  if (!x)
    return failure();
  if (getSize() < 1)
    return c.error() << "size must be >= 1";
  types.push_back(x);
  return success();
}
INFER(GroupNormalizationOp) {
  CTX;
  auto x = c.rankedAtLeast(getX(), "X", 2, "[N, C, ...]");
  if (!x)
    return failure();
  int64_t g = getNumGroups(), C = x.getDimSize(1);
  if (g < 1 || (C != kDyn && C % g != 0))
    return c.error() << "num_groups = " << g << " must divide the channel count " << C;
  types.push_back(x);
  return success();
}

INFER(LayerNormalizationOp) {
  CTX;
  auto x = c.ranked(getX(), "X");
  if (!x)
    return failure();
  int64_t r = x.getRank(), axis = normAxis(getAxis(), r);
  if (axis < 0 || axis >= r)
    return c.error() << "axis " << getAxis() << " out of range for rank " << r;
  types.push_back(x);
  SmallVector<int64_t> stat(x.getShape());
  for (int64_t i = axis; i < r; ++i)
    stat[i] = 1;
  for (unsigned i = 1; i < getNumResults(); ++i)
    types.push_back(RankedTensorType::get(stat, Float32Type::get(getContext())));
  return success();
}

INFER(SoftmaxOp) { CTX; return inferSame(c, getInput()); }
INFER(LogSoftmaxOp) { CTX; return inferSame(c, getInput()); }
