//===- Recurrent.cpp - onnx shape inference: RNNs, control flow -----------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The recurrent layers RNN, GRU and LSTM, and the control flow operators If,
// Loop and Scan, whose subgraphs are regions ending in onnx.Yield
// (dialects/onnx/ops/Recurrent.td).
//
//===----------------------------------------------------------------------===//

#include "ShapeInference.h"

using namespace mlir;
using namespace kiln::onnx;
using namespace kiln::onnx::inference;

/// Shared shape inference of RNN / GRU / LSTM (`gates` gate blocks in W).
static LogicalResult inferRecurrent(Ctx &c, Value X, Value W, Value R, int64_t gates,
                                    StringRef direction, std::optional<int64_t> hiddenSize,
                                    int64_t layout, unsigned maxResults) {
  auto x = c.ranked(X, "X"), w = c.ranked(W, "W"), r = c.ranked(R, "R");
  if (!x || !w || !r)
    return failure();
  if (x.getRank() != 3 || w.getRank() != 3 || r.getRank() != 3)
    return c.error() << "X, W and R must be 3-D";
  if (direction != "forward" && direction != "reverse" && direction != "bidirectional")
    return c.error() << "unknown direction '" << direction << "'";
  if (layout != 0 && layout != 1)
    return c.error() << "layout must be 0 or 1, got " << layout;
  int64_t d = direction == "bidirectional" ? 2 : 1;
  if (!w.isDynamicDim(0) && w.getDimSize(0) != d)
    return c.error() << "W has " << w.getDimSize(0) << " directions, direction '" << direction
                     << "' needs " << d;
  int64_t h = hiddenSize ? *hiddenSize : r.getDimSize(2);
  if (h != kDyn && h <= 0)
    return c.error() << "hidden_size must be positive";
  if (h != kDyn && ((!w.isDynamicDim(1) && w.getDimSize(1) != gates * h) ||
                    (!r.isDynamicDim(1) && r.getDimSize(1) != gates * h) ||
                    (!r.isDynamicDim(2) && r.getDimSize(2) != h)))
    return c.error() << "W must be [" << d << ", " << gates * h << ", input_size] and R ["
                     << d << ", " << gates * h << ", " << h << "] for hidden_size " << h;
  unsigned n = c.op->getNumResults();
  if (n == 0 || n > maxResults)
    return c.error() << "has " << n << " outputs, expected 1 to " << maxResults;
  int64_t s = x.getDimSize(layout ? 1 : 0), b = x.getDimSize(layout ? 0 : 1);
  Type e = x.getElementType();
  for (unsigned i = 0; i < n; ++i) {
    if (i == 0)
      (void)c.add(layout ? SmallVector<int64_t>{b, s, d, h} : SmallVector<int64_t>{s, d, b, h}, e);
    else
      (void)c.add(layout ? SmallVector<int64_t>{b, d, h} : SmallVector<int64_t>{d, b, h}, e);
  }
  return success();
}

INFER(RNNOp) {
  CTX;
  return inferRecurrent(c, getX(), getW(), getR(), 1, getDirection(), getHiddenSize(),
                        getLayout(), 2);
}
INFER(GRUOp) {
  CTX;
  return inferRecurrent(c, getX(), getW(), getR(), 3, getDirection(), getHiddenSize(),
                        getLayout(), 2);
}
INFER(LSTMOp) {
  CTX;
  return inferRecurrent(c, getX(), getW(), getR(), 4, getDirection(), getHiddenSize(),
                        getLayout(), 3);
}

/// The most precise type compatible with both (differing dims become `?`).
static FailureOr<RankedTensorType> joinTypes(Ctx &c, Type a, Type b, StringRef what) {
  auto ta = dyn_cast<RankedTensorType>(a), tb = dyn_cast<RankedTensorType>(b);
  if (!ta || !tb)
    return (LogicalResult)(c.error() << what << " must be ranked tensors");
  if (ta.getElementType() != tb.getElementType() || ta.getRank() != tb.getRank())
    return (LogicalResult)(c.error() << what << " have incompatible types " << ta << " and "
                                     << tb);
  SmallVector<int64_t> shape;
  for (auto [x, y] : llvm::zip(ta.getShape(), tb.getShape()))
    shape.push_back(x == y ? x : kDyn);
  return RankedTensorType::get(shape, ta.getElementType());
}

static Operation *regionYield(Region &r) {
  if (r.empty() || r.front().empty())
    return nullptr;
  Operation *t = &r.front().back();
  return isa<YieldOp>(t) ? t : nullptr;
}

INFER(IfOp) {
  CTX;
  auto cond = c.ranked(getCond(), "cond");
  if (!cond)
    return failure();
  if (!cond.getElementType().isInteger(1) || cond.getNumElements() != 1)
    return c.error() << "cond must be a single bool";
  Operation *ty = regionYield(getThenBranch()), *ey = regionYield(getElseBranch());
  if (!ty || !ey)
    return c.error() << "branches must end in onnx.Yield";
  if (ty->getNumOperands() != ey->getNumOperands())
    return c.error() << "then_branch has " << ty->getNumOperands()
                     << " outputs but else_branch has " << ey->getNumOperands();
  if (getNumResults() > ty->getNumOperands())
    return c.error() << "has " << getNumResults() << " outputs but the branches have "
                     << ty->getNumOperands();
  for (unsigned i = 0; i < getNumResults(); ++i) {
    auto t = joinTypes(c, ty->getOperand(i).getType(), ey->getOperand(i).getType(),
                       "outputs #" + std::to_string(i) + " of the branches");
    if (failed(t))
      return failure();
    types.push_back(*t);
  }
  return success();
}

INFER(LoopOp) {
  CTX;
  Operation *y = regionYield(getBody());
  if (!y)
    return c.error() << "the body must end in onnx.Yield";
  unsigned n = getVInitial().size();
  Block &body = getBody().front();
  if (body.getNumArguments() != n + 2)
    return c.error() << "the body has " << body.getNumArguments() << " inputs, expected " << n + 2;
  if (y->getNumOperands() < n + 1)
    return c.error() << "the body has " << y->getNumOperands() << " outputs, expected at least "
                     << n + 1 << " (condition and " << n << " loop-carried values)";
  if (getNumResults() > y->getNumOperands() - 1)
    return c.error() << "has " << getNumResults() << " outputs, the body only "
                     << y->getNumOperands() - 1;
  for (unsigned i = 0; i < getNumResults(); ++i) {
    if (i < n) {
      auto t = joinTypes(c, getVInitial()[i].getType(), y->getOperand(i + 1).getType(),
                         "loop-carried value #" + std::to_string(i) + " and its update");
      if (failed(t))
        return failure();
      types.push_back(*t);
      continue;
    }
    auto t = dyn_cast<RankedTensorType>(y->getOperand(i + 1).getType());
    if (!t)
      return c.error() << "scan output #" << i - n << " must be a ranked tensor";
    SmallVector<int64_t> shape{kDyn};
    shape.append(t.getShape().begin(), t.getShape().end());
    (void)c.add(shape, t.getElementType());
  }
  return success();
}

INFER(ScanOp) {
  CTX;
  Operation *y = regionYield(getBody());
  if (!y)
    return c.error() << "the body must end in onnx.Yield";
  int64_t m = getNumScanInputs();
  int64_t total = getInitialStateAndScanInputs().size();
  if (m < 1 || m > total)
    return c.error() << "num_scan_inputs " << m << " must be in [1, " << total << "]";
  int64_t n = total - m;
  int64_t k = (int64_t)y->getNumOperands() - n;
  if (k < 0)
    return c.error() << "the body has fewer outputs than states";
  SmallVector<int64_t> inAxes = getScanInputAxes() ? SmallVector<int64_t>() : SmallVector<int64_t>(m, 0);
  if (ArrayAttr axes = getScanInputAxesAttr())
    for (Attribute a : axes)
      inAxes.push_back(cast<IntegerAttr>(a).getInt());
  if ((int64_t)inAxes.size() != m)
    return c.error() << "scan_input_axes must have " << m << " entries";
  int64_t len = kDyn;
  for (int64_t i = 0; i < m; ++i) {
    auto t = c.ranked(getInitialStateAndScanInputs()[n + i], "scan input");
    if (!t)
      return failure();
    int64_t a = normAxis(inAxes[i], t.getRank());
    if (a < 0 || a >= t.getRank())
      return c.error() << "scan input axis " << inAxes[i] << " is out of range";
    if (len == kDyn)
      len = t.getDimSize(a);
  }
  SmallVector<int64_t> outAxes;
  if (ArrayAttr axes = getScanOutputAxesAttr())
    for (Attribute a : axes)
      outAxes.push_back(cast<IntegerAttr>(a).getInt());
  else
    outAxes.assign(k, 0);
  if ((int64_t)outAxes.size() != k)
    return c.error() << "scan_output_axes must have " << k << " entries";
  if ((int64_t)getNumResults() > n + k)
    return c.error() << "has " << getNumResults() << " outputs, expected at most " << n + k;
  for (int64_t i = 0; i < (int64_t)getNumResults(); ++i) {
    if (i < n) {
      auto t = joinTypes(c, getInitialStateAndScanInputs()[i].getType(),
                         y->getOperand(i).getType(),
                         "state #" + std::to_string(i) + " and its update");
      if (failed(t))
        return failure();
      types.push_back(*t);
      continue;
    }
    auto t = dyn_cast<RankedTensorType>(y->getOperand(i).getType());
    if (!t)
      return c.error() << "scan output #" << i - n << " must be a ranked tensor";
    int64_t a = normAxis(outAxes[i - n], t.getRank() + 1);
    if (a < 0 || a > t.getRank())
      return c.error() << "scan output axis " << outAxes[i - n] << " is out of range";
    SmallVector<int64_t> shape(t.getShape());
    shape.insert(shape.begin() + a, len);
    (void)c.add(shape, t.getElementType());
  }
  return success();
}
