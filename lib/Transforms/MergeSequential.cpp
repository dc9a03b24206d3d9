//===- MergeSequential.cpp - two linear layers into one -------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// kiln-nn-merge-sequential: a conv followed by a 1x1 conv, or a matmul by a
// constant followed by another, with no nonlinearity between them, compute
// one linear map; when that map costs fewer FLOPs than the two layers (a
// bottleneck that widens then narrows), it replaces them.
//
//===----------------------------------------------------------------------===//

#include "kiln/Transforms/ConstantUtils.h"
#include "kiln/Transforms/Passes.h"
#include "kiln/Transforms/Statistics.h"

namespace kiln {
#define GEN_PASS_DEF_NNMERGESEQUENTIAL
#include "kiln/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

RankedTensorType rankedF32Static(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && t.hasStaticShape() && t.getElementType().isF32() ? t : nullptr;
}

/// Reads an optional constant bias of `n` elements (empty if absent).
bool readOptionalBias(Value b, int64_t n, SmallVectorImpl<float> &out) {
  if (!b)
    return true;
  return readF32Constant(b, out) && (int64_t)out.size() == n;
}

/// An f32 constant, or an nn.reshape of one (cheap test before reading it).
bool isConstantWeight(Value v) {
  if (!v)
    return true;
  if (auto r = v.getDefiningOp<nn::ReshapeOp>())
    v = r.getInput();
  return (bool)v.getDefiningOp<arith::ConstantOp>();
}

/// Most multiply-adds spent computing one merged weight at compile time
/// (about a second); a bigger product is left alone.
constexpr int64_t kMaxFoldWork = int64_t(1) << 30;

enum class Outcome { NoMatch, Costlier, Merged };

/// B = conv1x1(A) with A = conv(x): one conv with A's geometry.
Outcome mergeConvs(nn::ConvOp B) {
  auto A = B.getInput().getDefiningOp<nn::ConvOp>();
  if (!A || A->getBlock() != B->getBlock() || !A.getResult().hasOneUse() || A.getAct() || A.getResidual() || A.getGroups() != 1 ||
      B.getGroups() != 1)
    return Outcome::NoMatch;
  auto w1t = rankedF32Static(A.getFilter()), w2t = rankedF32Static(B.getFilter());
  auto at = dyn_cast<RankedTensorType>(A.getType()), bt = dyn_cast<RankedTensorType>(B.getType());
  if (!w1t || !w2t || !at || !bt || !at.getElementType().isF32() || !bt.getElementType().isF32() ||
      w1t.getRank() < 3 || w2t.getRank() != w1t.getRank())
    return Outcome::NoMatch;
  // B: 1x1, stride 1, no pads (dilation does not matter for a 1x1 kernel).
  for (int64_t d = 2; d < w2t.getRank(); ++d)
    if (w2t.getDimSize(d) != 1)
      return Outcome::NoMatch;
  if (llvm::any_of(B.getStrides(), [](int64_t s) { return s != 1; }) ||
      llvm::any_of(B.getPads(), [](int64_t p) { return p != 0; }))
    return Outcome::NoMatch;
  int64_t F1 = w1t.getDimSize(0), C = w1t.getDimSize(1), F2 = w2t.getDimSize(0);
  if (w2t.getDimSize(1) != F1)
    return Outcome::NoMatch;
  int64_t k = 1;
  for (int64_t d = 2; d < w1t.getRank(); ++d)
    k *= w1t.getDimSize(d);
  if (!isConstantWeight(A.getFilter()) || !isConstantWeight(B.getFilter()) ||
      !isConstantWeight(A.getBias()) || !isConstantWeight(B.getBias()))
    return Outcome::NoMatch;
  // FLOPs (multiply-adds) per output pixel.
  if (!(F2 * C * k < F1 * C * k + F2 * F1))
    return Outcome::Costlier;
  if (F2 * F1 * C * k > kMaxFoldWork)
    return Outcome::NoMatch;
  SmallVector<float> w1, w2, b1, b2;
  if (!readF32Constant(A.getFilter(), w1) || !readF32Constant(B.getFilter(), w2) ||
      !readOptionalBias(A.getBias(), F1, b1) || !readOptionalBias(B.getBias(), F2, b2))
    return Outcome::NoMatch;
  int64_t ck = C * k;
  SmallVector<float> w(F2 * ck);
  std::vector<double> acc(ck);
  for (int64_t f2 = 0; f2 < F2; ++f2) {
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int64_t f1 = 0; f1 < F1; ++f1) {
      double s = w2[f2 * F1 + f1];
      const float *row = &w1[f1 * ck];
      for (int64_t i = 0; i < ck; ++i)
        acc[i] += s * row[i];
    }
    for (int64_t i = 0; i < ck; ++i)
      w[f2 * ck + i] = (float)acc[i];
  }
  SmallVector<float> b;
  if (!b1.empty() || !b2.empty()) {
    for (int64_t f2 = 0; f2 < F2; ++f2) {
      double s = b2.empty() ? 0.0 : b2[f2];
      for (int64_t f1 = 0; !b1.empty() && f1 < F1; ++f1)
        s += (double)w2[f2 * F1 + f1] * b1[f1];
      b.push_back((float)s);
    }
  }
  OpBuilder builder(B);
  Location loc = builder.getFusedLoc({A.getLoc(), B.getLoc()});
  SmallVector<int64_t> wshape(w1t.getShape());
  wshape[0] = F2;
  auto f32 = builder.getF32Type();
  Value nw = makeF32Constant(builder, loc, RankedTensorType::get(wshape, f32), w, "kiln_merged_filter");
  Value nb = b.empty() ? Value()
                       : makeF32Constant(builder, loc, RankedTensorType::get({F2}, f32), b, "kiln_merged_bias");
  auto n = nn::ConvOp::create(builder, loc, bt, A.getInput(), nw, nb, B.getResidual(), A.getStridesAttr(),
                              A.getDilationsAttr(), A.getPadsAttr(), A.getGroupsAttr(), B.getActAttr(),
                              B.getActAlphaAttr(), B.getActBetaAttr());
  B.getResult().replaceAllUsesWith(n.getResult());
  B.erase();
  A.erase();
  return Outcome::Merged;
}

/// [1..., K, N] with unit batch dims: (K, N).
bool matrixDims(RankedTensorType t, int64_t &K, int64_t &N) {
  if (!t || t.getRank() < 2)
    return false;
  for (int64_t d = 0; d + 2 < t.getRank(); ++d)
    if (t.getDimSize(d) != 1)
      return false;
  K = t.getDimSize(t.getRank() - 2);
  N = t.getDimSize(t.getRank() - 1);
  return true;
}

/// M2 = matmul(M1, W2) with M1 = matmul(x, W1): x (W1 W2).
Outcome mergeMatmuls(nn::MatmulOp M2) {
  auto M1 = M2.getLhs().getDefiningOp<nn::MatmulOp>();
  if (!M1 || M1->getBlock() != M2->getBlock() || !M1.getResult().hasOneUse() || M1.getAct() || M1.getResidual())
    return Outcome::NoMatch;
  auto w1t = rankedF32Static(M1.getRhs()), w2t = rankedF32Static(M2.getRhs());
  auto xt = dyn_cast<RankedTensorType>(M1.getLhs().getType());
  auto rt = dyn_cast<RankedTensorType>(M2.getType());
  int64_t K, N1, N1b, N2;
  if (!w1t || !w2t || !xt || !rt || !xt.getElementType().isF32() || !rt.getElementType().isF32() ||
      !matrixDims(w1t, K, N1) || !matrixDims(w2t, N1b, N2) || N1 != N1b)
    return Outcome::NoMatch;
  // The merged op x W has the batch dims of x padded to W's rank; it must
  // produce M2's result type.
  int64_t wr = std::max(w1t.getRank(), w2t.getRank());
  int64_t r = std::max(xt.getRank(), wr);
  SmallVector<int64_t> shape(r - xt.getRank(), 1);
  shape.append(xt.getShape().begin(), xt.getShape().end());
  shape.back() = N2;
  if (RankedTensorType::get(shape, rt.getElementType()) != rt)
    return Outcome::NoMatch;
  if (!isConstantWeight(M1.getRhs()) || !isConstantWeight(M2.getRhs()) ||
      !isConstantWeight(M1.getBias()) || !isConstantWeight(M2.getBias()))
    return Outcome::NoMatch;
  // FLOPs (multiply-adds) per row of x.
  if (!(K * N2 < K * N1 + N1 * N2))
    return Outcome::Costlier;
  if (K * N1 * N2 > kMaxFoldWork)
    return Outcome::NoMatch;
  SmallVector<float> w1, w2, b1, b2;
  if (!readF32Constant(M1.getRhs(), w1) || !readF32Constant(M2.getRhs(), w2) ||
      !readOptionalBias(M1.getBias(), N1, b1) || !readOptionalBias(M2.getBias(), N2, b2))
    return Outcome::NoMatch;
  SmallVector<float> w(K * N2);
  std::vector<double> acc(N2);
  for (int64_t k = 0; k < K; ++k) {
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int64_t j = 0; j < N1; ++j) {
      double s = w1[k * N1 + j];
      const float *row = &w2[j * N2];
      for (int64_t n = 0; n < N2; ++n)
        acc[n] += s * row[n];
    }
    for (int64_t n = 0; n < N2; ++n)
      w[k * N2 + n] = (float)acc[n];
  }
  SmallVector<float> b;
  if (!b1.empty() || !b2.empty()) {
    for (int64_t n = 0; n < N2; ++n) {
      double s = b2.empty() ? 0.0 : b2[n];
      for (int64_t j = 0; !b1.empty() && j < N1; ++j)
        s += (double)b1[j] * w2[j * N2 + n];
      b.push_back((float)s);
    }
  }
  OpBuilder builder(M2);
  Location loc = builder.getFusedLoc({M1.getLoc(), M2.getLoc()});
  SmallVector<int64_t> wshape(wr, 1);
  wshape[wr - 2] = K;
  wshape[wr - 1] = N2;
  auto f32 = builder.getF32Type();
  Value nw = makeF32MatmulWeight(builder, loc, RankedTensorType::get(wshape, f32), w, "kiln_merged_weight");
  Value nb = b.empty() ? Value()
                       : makeF32Constant(builder, loc, RankedTensorType::get({N2}, f32), b, "kiln_merged_bias");
  auto n = nn::MatmulOp::create(builder, loc, rt, M1.getLhs(), nw, nb, M2.getResidual(), M2.getActAttr(),
                                M2.getActAlphaAttr(), M2.getActBetaAttr());
  M2.getResult().replaceAllUsesWith(n.getResult());
  M2.erase();
  M1.erase();
  return Outcome::Merged;
}

struct NNMergeSequentialPass : kiln::impl::NNMergeSequentialBase<NNMergeSequentialPass> {
  void runOnOperation() override {
    auto &numMerged = passStatistic(getArgument(), "merged", "Pairs of linear layers merged into one");
    auto &numCostlier = passStatistic(getArgument(), "refused-costlier",
                                      "Mergeable pairs left alone because the merged op costs more FLOPs");
    // Program order: in a chain A -> B -> C, (A, B) merge first and the
    // merged op is then C's producer.
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<nn::ConvOp, nn::MatmulOp>(op))
        ops.push_back(op);
    });
    bool changed = false;
    for (Operation *op : ops) {
      Outcome o = isa<nn::ConvOp>(op) ? mergeConvs(cast<nn::ConvOp>(op)) : mergeMatmuls(cast<nn::MatmulOp>(op));
      if (o == Outcome::Costlier)
        ++numCostlier;
      if (o != Outcome::Merged)
        continue;
      ++numMerged;
      changed = true;
    }
    if (changed)
      eraseDeadConstants(getOperation());
  }
};

} // namespace
