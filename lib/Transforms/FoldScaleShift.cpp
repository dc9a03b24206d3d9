//===- FoldScaleShift.cpp - per-channel affine ops into conv/matmul weights ===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// kiln-nn-fold-scale-shift: an inference BatchNormalization reaches nn as
// `add(mul(x, s), t)` with constant s, t of shape [1, C, 1...].  When x is
// produced by a conv, conv_transpose or matmul with constant weights, the
// scale is folded into the weights and bias (w'[f] = w[f] * s[f], b' = b * s)
// and the shift into the bias (b' = b + t), so that the two elementwise
// passes over the activation disappear.  An int8 nn.qconv / nn.qmatmul
// (QDQ models) takes the scale into its per-channel weight scales instead
// of its int8 weights, exactly.
//
//===----------------------------------------------------------------------===//

#include "kiln/Transforms/ConstantUtils.h"
#include "kiln/Transforms/Passes.h"
#include "kiln/Transforms/Statistics.h"

#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/TypeSwitch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace kiln {
#define GEN_PASS_DEF_NNFOLDSCALESHIFT
#include "kiln/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// The linear producer of `v` (conv, conv_transpose, matmul, or the int8
/// qconv / qmatmul) if `v` is its result, has one user, is f32 and the
/// producer has no epilogue activation or residual (an affine op cannot
/// move through those).
Operation *foldableProducer(Value v) {
  Operation *p = v.getDefiningOp();
  if (!p || !isa<nn::ConvOp, nn::ConvTransposeOp, nn::MatmulOp, nn::QConvOp, nn::QMatmulOp>(p) || !v.hasOneUse())
    return nullptr;
  auto t = dyn_cast<RankedTensorType>(v.getType());
  if (!t || !t.getElementType().isF32())
    return nullptr;
  bool epilogue = llvm::TypeSwitch<Operation *, bool>(p)
                      .Case<nn::ConvOp, nn::MatmulOp, nn::QConvOp, nn::QMatmulOp>(
                          [](auto o) { return o.getAct() || o.getResidual(); })
                      .Default([](Operation *) { return false; });
  return epilogue ? nullptr : p;
}

/// What a per-channel scale multiplies: the weights of a float layer, the
/// per-channel weight scales (f32 [F]) of an int8 one.
bool isInt8Layer(Operation *p) { return isa<nn::QConvOp, nn::QMatmulOp>(p); }
unsigned scaledOperand(Operation *p) { return isInt8Layer(p) ? 2 : 1; }

/// A copy of producer `p` with a new scaled operand (scaledOperand) and/or
/// bias (null = keep p's).
Operation *rebuild(PatternRewriter &rewriter, Location loc, Operation *p, Value weight, Value bias) {
  Operation *n = rewriter.clone(*p);
  n->setLoc(loc);
  if (weight)
    n->setOperand(scaledOperand(p), weight);
  if (bias)
    llvm::TypeSwitch<Operation *>(n).Case<nn::ConvOp, nn::ConvTransposeOp, nn::MatmulOp, nn::QConvOp, nn::QMatmulOp>(
        [&](auto o) { o.getBiasMutable().assign(bias); });
  return n;
}

/// The operand of `op` that the pattern may fold: for mul/add either side,
/// for div/sub only the lhs (x / c, x - c).  Returns the producer and sets
/// `cv` to the other operand.
Operation *matchOperands(nn::BinaryOp op, int side, Value &cv) {
  Value pv = side == 0 ? op.getLhs() : op.getRhs();
  cv = side == 0 ? op.getRhs() : op.getLhs();
  if (pv.getType() != op.getType())
    return nullptr; // the constant would broadcast the producer's result
  return foldableProducer(pv);
}

/// mul(p, s) or div(p, d) with s (or 1 / d) constant per output channel:
/// scales the producer's weights and bias.
struct FoldScale : OpRewritePattern<nn::BinaryOp> {
  FoldScale(MLIRContext *ctx, std::atomic<uint64_t> &stat) : OpRewritePattern(ctx), stat(stat) {}
  std::atomic<uint64_t> &stat;

  LogicalResult matchAndRewrite(nn::BinaryOp op, PatternRewriter &rewriter) const override {
    bool isDiv = op.getKind() == nn::BinaryKind::div;
    if (op.getKind() != nn::BinaryKind::mul && !isDiv)
      return failure();
    for (int side = 0; side < (isDiv ? 1 : 2); ++side) {
      Value cv;
      Operation *p = matchOperands(op, side, cv);
      if (!p)
        continue;
      auto rt = cast<RankedTensorType>(op.getType());
      int64_t cd = outputChannelDim(p, rt), F = rt.getDimSize(cd);
      SmallVector<double> s;
      if (ShapedType::isDynamic(F) || !readChannelConstant(cv, rt, cd, F, s))
        continue;
      bool finite = true;
      for (double &v : s) {
        if (isDiv) {
          if (v == 0.0)
            finite = false;
          v = 1.0 / v;
        }
        finite &= std::isfinite(v);
      }
      if (!finite)
        continue; // x * inf or x / 0 is not a scaled weight
      // Float layers: the weights of output channel f times s[f]; int8
      // layers: their weight scale (the result is linear in it).
      Value wv = p->getOperand(scaledOperand(p));
      auto wt = dyn_cast<RankedTensorType>(wv.getType());
      SmallVector<float> w, bias;
      if (!wt || !wt.getElementType().isF32() || !wt.hasStaticShape() ||
          !readF32Constant(wv, w) || !readLayerBias(p, F, bias))
        continue;
      if (isInt8Layer(p) ? (int64_t)w.size() != F : !scaleWeights(p, wt, s, w))
        continue;
      if (isInt8Layer(p))
        for (int64_t f = 0; f < F; ++f)
          w[f] = (float)((double)w[f] * s[f]);
      for (int64_t f = 0; f < F; ++f)
        bias[f] = (float)((double)bias[f] * s[f]);
      Location loc = rewriter.getFusedLoc({p->getLoc(), op.getLoc()});
      Value nw = isa<nn::MatmulOp>(p) ? makeF32MatmulWeight(rewriter, loc, wt, w, "kiln_scaled_weight")
                                      : makeF32Constant(rewriter, loc, wt, w, "kiln_scaled_weight");
      Value nb;
      if (layerBias(p))
        nb = makeF32Constant(rewriter, loc, RankedTensorType::get({F}, rewriter.getF32Type()), bias,
                             "kiln_scaled_bias");
      Operation *n = rebuild(rewriter, loc, p, nw, nb);
      rewriter.replaceOp(op, n->getResults());
      rewriter.eraseOp(p);
      ++stat;
      return success();
    }
    return failure();
  }

  /// Multiplies output channel f of the weights `w` (of type `wt`) by s[f].
  static bool scaleWeights(Operation *p, RankedTensorType wt, ArrayRef<double> s,
                           SmallVectorImpl<float> &w) {
    int64_t F = s.size(), n = wt.getNumElements();
    if (n == 0 || F == 0)
      return false;
    if (isa<nn::ConvOp>(p)) {
      // [F, C / groups, kernel...]
      if (wt.getRank() < 1 || wt.getDimSize(0) != F)
        return false;
      int64_t per = n / F;
      for (int64_t f = 0; f < F; ++f)
        for (int64_t i = 0; i < per; ++i)
          w[f * per + i] = (float)((double)w[f * per + i] * s[f]);
      return true;
    }
    if (auto ct = dyn_cast<nn::ConvTransposeOp>(p)) {
      // [C, F / groups, kernel...]: input channel c of group g = c / (C /
      // groups) feeds output channels g * F/groups + f.
      int64_t G = ct.getGroups();
      if (wt.getRank() < 2 || G < 1 || wt.getDimSize(1) * G != F || wt.getDimSize(0) % G)
        return false;
      int64_t C = wt.getDimSize(0), Fg = wt.getDimSize(1), Cg = C / G, k = n / (C * Fg);
      for (int64_t c = 0; c < C; ++c)
        for (int64_t f = 0; f < Fg; ++f) {
          double sc = s[(c / Cg) * Fg + f];
          for (int64_t i = 0; i < k; ++i) {
            float &x = w[(c * Fg + f) * k + i];
            x = (float)((double)x * sc);
          }
        }
      return true;
    }
    // matmul rhs [1..., K, N]: unit batch dims only (a batched rhs is still
    // scaled per column, but keep to the 2-D case the lowering expects).
    int64_t r = wt.getRank();
    if (r < 2 || wt.getDimSize(r - 1) != F)
      return false;
    for (int64_t d = 0; d + 2 < r; ++d)
      if (wt.getDimSize(d) != 1)
        return false;
    int64_t K = wt.getDimSize(r - 2);
    for (int64_t k = 0; k < K; ++k)
      for (int64_t f = 0; f < F; ++f)
        w[k * F + f] = (float)((double)w[k * F + f] * s[f]);
    return true;
  }
};

/// add(p, t) / sub(p, t) with t constant per output channel: added to the
/// producer's bias (created if absent).
struct FoldShift : OpRewritePattern<nn::BinaryOp> {
  FoldShift(MLIRContext *ctx, std::atomic<uint64_t> &stat) : OpRewritePattern(ctx), stat(stat) {}
  std::atomic<uint64_t> &stat;

  LogicalResult matchAndRewrite(nn::BinaryOp op, PatternRewriter &rewriter) const override {
    bool isSub = op.getKind() == nn::BinaryKind::sub;
    if (op.getKind() != nn::BinaryKind::add && !isSub)
      return failure();
    for (int side = 0; side < (isSub ? 1 : 2); ++side) {
      Value cv;
      Operation *p = matchOperands(op, side, cv);
      if (!p)
        continue;
      auto rt = cast<RankedTensorType>(op.getType());
      int64_t cd = outputChannelDim(p, rt), F = rt.getDimSize(cd);
      SmallVector<double> t;
      SmallVector<float> bias;
      if (ShapedType::isDynamic(F) || !readChannelConstant(cv, rt, cd, F, t) || !readLayerBias(p, F, bias))
        continue;
      for (int64_t f = 0; f < F; ++f)
        bias[f] = (float)((double)bias[f] + (isSub ? -t[f] : t[f]));
      Location loc = rewriter.getFusedLoc({p->getLoc(), op.getLoc()});
      Value nb = makeF32Constant(rewriter, loc, RankedTensorType::get({F}, rewriter.getF32Type()), bias,
                                 "kiln_shifted_bias");
      Operation *n = rebuild(rewriter, loc, p, Value(), nb);
      rewriter.replaceOp(op, n->getResults());
      rewriter.eraseOp(p);
      ++stat;
      return success();
    }
    return failure();
  }
};

struct NNFoldScaleShiftPass : kiln::impl::NNFoldScaleShiftBase<NNFoldScaleShiftPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    auto &numScales = passStatistic(getArgument(), "scales-folded",
                                    "Per-channel mul/div folded into conv/matmul weights");
    auto &numShifts = passStatistic(getArgument(), "shifts-folded",
                                    "Per-channel add/sub folded into a conv/matmul bias");
    RewritePatternSet patterns(ctx);
    patterns.add<FoldScale>(ctx, numScales);
    patterns.add<FoldShift>(ctx, numShifts);
    GreedyRewriteConfig config;
    config.enableFolding(false);
    config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      signalPassFailure();
  }
};

} // namespace
