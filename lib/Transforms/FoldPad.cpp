//===- FoldPad.cpp - nn.pad into conv / pool pads -------------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// kiln-nn-fold-pad: an explicit nn.pad of the spatial dims in front of a
// conv or pool becomes part of the op's own padding, so that the padded
// tensor is never materialized.  The lowering pads conv inputs with 0,
// max-pool inputs with -inf and average-pool inputs with 0 (and counts
// positions within `explicit_pads` in the divisor with count_include_pad),
// so those are the pad values that fold.
//
//===----------------------------------------------------------------------===//

#include "kiln/Transforms/Passes.h"
#include "kiln/Transforms/Statistics.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace kiln {
#define GEN_PASS_DEF_NNFOLDPAD
#include "kiln/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// The spatial pads of `pad` (begin pads then end pads, 2 * ns entries) if
/// it pads only the spatial dims of a float NC[D]HW tensor with static
/// spatial dims, by non-negative amounts.
std::optional<SmallVector<int64_t>> spatialPads(nn::PadOp pad) {
  auto xt = cast<RankedTensorType>(pad.getInput().getType());
  auto rt = cast<RankedTensorType>(pad.getType());
  int64_t r = xt.getRank(), ns = r - 2;
  if (ns < 1 || !isa<FloatType>(xt.getElementType()) || (int64_t)pad.getPads().size() != 2 * r)
    return std::nullopt;
  for (int64_t d = 2; d < r; ++d)
    if (xt.isDynamicDim(d) || rt.isDynamicDim(d))
      return std::nullopt;
  ArrayRef<int64_t> p = pad.getPads();
  if (p[0] != 0 || p[1] != 0 || p[r] != 0 || p[r + 1] != 0)
    return std::nullopt; // batch or channel padded
  SmallVector<int64_t> sp;
  for (int64_t i = 0; i < ns; ++i)
    sp.push_back(p[2 + i]);
  for (int64_t i = 0; i < ns; ++i)
    sp.push_back(p[r + 2 + i]);
  if (llvm::any_of(sp, [](int64_t v) { return v < 0; }))
    return std::nullopt;
  return sp;
}

SmallVector<int64_t> addPads(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  SmallVector<int64_t> s(a);
  for (size_t i = 0; i < s.size(); ++i)
    s[i] += b[i];
  return s;
}

struct FoldPadIntoConv : OpRewritePattern<nn::ConvOp> {
  FoldPadIntoConv(MLIRContext *ctx, std::atomic<uint64_t> &stat) : OpRewritePattern(ctx), stat(stat) {}
  std::atomic<uint64_t> &stat;

  LogicalResult matchAndRewrite(nn::ConvOp conv, PatternRewriter &rewriter) const override {
    auto pad = conv.getInput().getDefiningOp<nn::PadOp>();
    if (!pad || pad.getValue().convertToDouble() != 0.0)
      return failure();
    std::optional<SmallVector<int64_t>> sp = spatialPads(pad);
    if (!sp || sp->size() != conv.getPads().size())
      return failure();
    SmallVector<int64_t> pads = addPads(conv.getPads(), *sp);
    rewriter.modifyOpInPlace(conv, [&] {
      conv.getInputMutable().assign(pad.getInput());
      conv.setPadsAttr(rewriter.getDenseI64ArrayAttr(pads));
    });
    if (pad->use_empty())
      rewriter.eraseOp(pad);
    ++stat;
    return success();
  }
};

struct FoldPadIntoPool : OpRewritePattern<nn::PoolOp> {
  FoldPadIntoPool(MLIRContext *ctx, std::atomic<uint64_t> &stat) : OpRewritePattern(ctx), stat(stat) {}
  std::atomic<uint64_t> &stat;

  LogicalResult matchAndRewrite(nn::PoolOp pool, PatternRewriter &rewriter) const override {
    auto pad = pool.getInput().getDefiningOp<nn::PadOp>();
    if (!pad)
      return failure();
    double v = pad.getValue().convertToDouble();
    if (pool.getKind() == nn::PoolKind::avg) {
      // The divisor counts the padded positions only with count_include_pad
      // (and then exactly those within explicit_pads).
      if (!pool.getCountIncludePad() || v != 0.0)
        return failure();
    } else if (!(std::isinf(v) && v < 0)) {
      return failure(); // the lowering pads max pooling with -inf
    }
    std::optional<SmallVector<int64_t>> sp = spatialPads(pad);
    if (!sp || sp->size() != pool.getPads().size())
      return failure();
    SmallVector<int64_t> pads = addPads(pool.getPads(), *sp), ep = addPads(pool.getExplicitPads(), *sp);
    rewriter.modifyOpInPlace(pool, [&] {
      pool.getInputMutable().assign(pad.getInput());
      pool.setPadsAttr(rewriter.getDenseI64ArrayAttr(pads));
      pool.setExplicitPadsAttr(rewriter.getDenseI64ArrayAttr(ep));
    });
    if (pad->use_empty())
      rewriter.eraseOp(pad);
    ++stat;
    return success();
  }
};

struct NNFoldPadPass : kiln::impl::NNFoldPadBase<NNFoldPadPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    auto &numConv = passStatistic(getArgument(), "pads-folded-into-conv", "nn.pad folded into conv pads");
    auto &numPool = passStatistic(getArgument(), "pads-folded-into-pool", "nn.pad folded into pool pads");
    RewritePatternSet patterns(ctx);
    patterns.add<FoldPadIntoConv>(ctx, numConv);
    patterns.add<FoldPadIntoPool>(ctx, numPool);
    GreedyRewriteConfig config;
    config.enableFolding(false);
    config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      signalPassFailure();
  }
};

} // namespace
