//===- SimplifyLayout.cpp - merge and remove data movement on nn ---------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// kiln-nn-simplify-layout: transpose(transpose(x)) and reshape(reshape(x))
// become one op; a transpose that only moves size-1 dims becomes a
// reshape; data movement that does not move anything (identity transpose,
// same-type reshape / broadcast / cast, whole-input slice, zero pad,
// one-input concat) and arithmetic identities (x * 1, x + 0, x - 0) are
// removed.
//
//===----------------------------------------------------------------------===//

#include "kiln/Transforms/ConstantUtils.h"
#include "kiln/Transforms/Passes.h"
#include "kiln/Transforms/Statistics.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_NNSIMPLIFYLAYOUT
#include "kiln/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

bool isIdentityPerm(ArrayRef<int64_t> perm) {
  for (int64_t i = 0, e = perm.size(); i < e; ++i)
    if (perm[i] != i)
      return false;
  return true;
}

template <typename OpT>
struct CountedPattern : OpRewritePattern<OpT> {
  CountedPattern(MLIRContext *ctx, std::atomic<uint64_t> &stat) : OpRewritePattern<OpT>(ctx), stat(stat) {}
  std::atomic<uint64_t> &stat;
};

/// transpose(transpose(x, p1), p2) -> transpose(x, p1[p2[i]]), or x.
/// Only when the inner transpose has no other user or the pair cancels.
struct ComposeTransposes : CountedPattern<nn::TransposeOp> {
  using CountedPattern::CountedPattern;
  LogicalResult matchAndRewrite(nn::TransposeOp t2, PatternRewriter &rewriter) const override {
    auto t1 = t2.getInput().getDefiningOp<nn::TransposeOp>();
    if (!t1)
      return failure();
    ArrayRef<int64_t> p1 = t1.getPerm(), p2 = t2.getPerm();
    if (p1.size() != p2.size())
      return failure();
    SmallVector<int64_t> perm;
    for (int64_t i : p2)
      perm.push_back(p1[i]);
    Value x = t1.getInput();
    bool identity = isIdentityPerm(perm) && x.getType() == t2.getType();
    // With other users t1 stays: a transpose of x instead of t1 gains
    // nothing unless the pair cancels.
    if (!identity && !t1->hasOneUse())
      return failure();
    if (identity)
      rewriter.replaceOp(t2, x);
    else
      rewriter.replaceOpWithNewOp<nn::TransposeOp>(t2, t2.getType(), x, rewriter.getDenseI64ArrayAttr(perm));
    ++stat;
    return success();
  }
};

/// reshape(reshape(x)) -> reshape(x) (x itself when the types match): the
/// row-major order is unchanged by both.  The inner reshape stays if it
/// has other users (reshapes are cheap: no data moves).
struct ComposeReshapes : CountedPattern<nn::ReshapeOp> {
  using CountedPattern::CountedPattern;
  LogicalResult matchAndRewrite(nn::ReshapeOp r2, PatternRewriter &rewriter) const override {
    auto r1 = r2.getInput().getDefiningOp<nn::ReshapeOp>();
    if (!r1 || r1.getShape() || r2.getShape())
      return failure();
    Value x = r1.getInput();
    auto xt = cast<RankedTensorType>(x.getType()), rt = cast<RankedTensorType>(r2.getType());
    if (!xt.hasStaticShape() || !rt.hasStaticShape() || !cast<ShapedType>(r1.getType()).hasStaticShape())
      return failure();
    if (x.getType() == r2.getType())
      rewriter.replaceOp(r2, x);
    else
      rewriter.replaceOpWithNewOp<nn::ReshapeOp>(r2, r2.getType(), x, Value());
    ++stat;
    return success();
  }
};

/// A transpose whose permutation keeps the dims of size != 1 in order is a
/// relabeling of the row-major layout: a reshape.
struct TransposeToReshape : CountedPattern<nn::TransposeOp> {
  using CountedPattern::CountedPattern;
  LogicalResult matchAndRewrite(nn::TransposeOp t, PatternRewriter &rewriter) const override {
    auto xt = cast<RankedTensorType>(t.getInput().getType());
    if (!xt.hasStaticShape() || !cast<RankedTensorType>(t.getType()).hasStaticShape() ||
        isIdentityPerm(t.getPerm()))
      return failure();
    // Left to ComposeTransposes when every user is a transpose.
    if (!t->use_empty() && llvm::all_of(t->getUsers(), [](Operation *u) { return isa<nn::TransposeOp>(u); }))
      return failure();
    int64_t last = -1;
    for (int64_t p : t.getPerm()) {
      if (xt.getDimSize(p) == 1)
        continue;
      if (p < last)
        return failure();
      last = p;
    }
    rewriter.replaceOpWithNewOp<nn::ReshapeOp>(t, t.getType(), t.getInput(), Value());
    ++stat;
    return success();
  }
};

/// Ops that compute nothing: data movement whose folder returns its input,
/// and arithmetic identities (x * 1, x + 0, x - 0).
struct RemoveIdentityOps : RewritePattern {
  RemoveIdentityOps(MLIRContext *ctx, std::atomic<uint64_t> &stat)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/2, ctx), stat(stat) {}
  std::atomic<uint64_t> &stat;

  static Value identityInput(Operation *op) {
    if (op->getNumResults() != 1)
      return nullptr;
    // Data movement that moves nothing (identity transpose, same-type
    // reshape / broadcast / cast, whole-input slice, zero pad, one-input
    // concat): the ops' folders (lib/Dialect/NN/NNOps.cpp) say so.
    if (isa<nn::NNDialect>(op->getDialect())) {
      SmallVector<OpFoldResult> folded;
      if (succeeded(op->fold(folded)) && folded.size() == 1)
        if (auto v = dyn_cast<Value>(folded[0]); v && v != op->getResult(0))
          return v;
    }
    Type rt = op->getResult(0).getType();
    auto sameType = [&](Value v) { return v && v.getType() == rt ? v : Value(); };
    if (auto b = dyn_cast<nn::BinaryOp>(op)) {
      auto splatIs = [](Value v, double want) {
        double f;
        if (isFloatSplatConstant(v, f))
          return f == want;
        APInt i;
        if (matchPattern(v, m_ConstantInt(&i)) && i.getBitWidth() > 1)
          return i.getSExtValue() == (int64_t)want;
        return false;
      };
      Value l = b.getLhs(), r = b.getRhs();
      switch (b.getKind()) {
      case nn::BinaryKind::mul:
        if (splatIs(r, 1.0) && l.getType() == rt)
          return l;
        if (splatIs(l, 1.0) && r.getType() == rt)
          return r;
        return nullptr;
      case nn::BinaryKind::add:
        if (splatIs(r, 0.0) && l.getType() == rt)
          return l;
        if (splatIs(l, 0.0) && r.getType() == rt)
          return r;
        return nullptr;
      case nn::BinaryKind::sub:
        return splatIs(r, 0.0) ? sameType(l) : Value();
      default:
        return nullptr;
      }
    }
    return nullptr;
  }

  LogicalResult matchAndRewrite(Operation *op, PatternRewriter &rewriter) const override {
    Value x = identityInput(op);
    if (!x)
      return failure();
    rewriter.replaceOp(op, x);
    ++stat;
    return success();
  }
};

struct NNSimplifyLayoutPass : kiln::impl::NNSimplifyLayoutBase<NNSimplifyLayoutPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    auto &numT = passStatistic(getArgument(), "transposes-folded", "transpose(transpose) pairs merged");
    auto &numR = passStatistic(getArgument(), "reshapes-folded", "reshape(reshape) pairs merged");
    auto &numTR = passStatistic(getArgument(), "transposes-to-reshape",
                                "Transposes that only move size-1 dims turned into reshapes");
    auto &numId = passStatistic(getArgument(), "identities-removed", "Identity ops removed");
    RewritePatternSet patterns(ctx);
    patterns.add<ComposeTransposes>(ctx, numT);
    patterns.add<ComposeReshapes>(ctx, numR);
    patterns.add<TransposeToReshape>(ctx, numTR);
    patterns.add<RemoveIdentityOps>(ctx, numId);
    GreedyRewriteConfig config;
    config.enableFolding(false);
    config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      signalPassFailure();
  }
};

} // namespace
