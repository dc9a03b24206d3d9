//===- FuseEpilogue.cpp - bias/residual/activation into conv and matmul ---===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// kiln-nn-fuse-epilogue: the elementwise ops that follow an nn.conv or
// nn.matmul, or their int8 forms nn.qconv / nn.qmatmul (bias add, the
// residual add of a skip connection, one activation) become the op's
// epilogue, so that the lowering computes them in the conv/matmul's loop
// nest instead of another pass over the result.
//
//===----------------------------------------------------------------------===//

#include "kiln/Transforms/ConstantUtils.h"
#include "kiln/Transforms/Passes.h"
#include "kiln/Transforms/Statistics.h"

#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_NNFUSEEPILOGUE
#include "kiln/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// The layers that take an epilogue: nn.conv, nn.matmul and their int8
/// forms nn.qconv, nn.qmatmul (f32 results, the same epilogue).
bool isLayer(Operation *p) { return p && isa<nn::ConvOp, nn::MatmulOp, nn::QConvOp, nn::QMatmulOp>(p); }

/// The epilogue of a conv/matmul, edited and then written back as a new op.
struct Epilogue {
  Value bias, residual;
  nn::ActKindAttr act;
  FloatAttr alpha, beta;

  static Epilogue of(Operation *p) {
    return llvm::TypeSwitch<Operation *, Epilogue>(p)
        .Case<nn::ConvOp, nn::MatmulOp, nn::QConvOp, nn::QMatmulOp>([](auto o) {
          return Epilogue{o.getBias(), o.getResidual(), o.getActAttr(), o.getActAlphaAttr(), o.getActBetaAttr()};
        });
  }

  /// Replaces `root` (the last op absorbed) by a copy of `p` with this
  /// epilogue; `p` and the ops in `between` (absorbed ops between p and
  /// root, used only by root) are erased.
  void replace(PatternRewriter &rewriter, Operation *p, Operation *root,
               ArrayRef<Operation *> between = {}) const {
    SmallVector<Location> locs{p->getLoc()};
    for (Operation *o : between)
      locs.push_back(o->getLoc());
    locs.push_back(root->getLoc());
    Operation *n = rewriter.clone(*p);
    n->setLoc(rewriter.getFusedLoc(locs));
    llvm::TypeSwitch<Operation *>(n).Case<nn::ConvOp, nn::MatmulOp, nn::QConvOp, nn::QMatmulOp>([&](auto o) {
      o.getBiasMutable().assign(bias ? ValueRange(bias) : ValueRange());
      o.getResidualMutable().assign(residual ? ValueRange(residual) : ValueRange());
      o.setActAttr(act);
      o.setActAlphaAttr(alpha);
      o.setActBetaAttr(beta);
    });
    rewriter.replaceOp(root, n->getResults());
    for (Operation *o : between)
      rewriter.eraseOp(o);
    rewriter.eraseOp(p);
  }
};

/// The layer that produces `v`, if `v` is its only use's operand (one user)
/// and the op can still take an epilogue step before its activation.
Operation *fusibleProducer(Value v) {
  Operation *p = v.getDefiningOp();
  if (!isLayer(p) || !v.hasOneUse() || !isa<FloatType>(getElementTypeOrSelf(v.getType())))
    return nullptr;
  return Epilogue::of(p).act ? nullptr : p;
}

/// add(p, c) with c a constant that varies at most along the channel dim:
/// the sum becomes the op's (constant) bias.
struct FuseBiasAdd : OpRewritePattern<nn::BinaryOp> {
  FuseBiasAdd(MLIRContext *ctx, std::atomic<uint64_t> &stat) : OpRewritePattern(ctx), stat(stat) {}
  std::atomic<uint64_t> &stat;

  LogicalResult matchAndRewrite(nn::BinaryOp add, PatternRewriter &rewriter) const override {
    if (add.getKind() != nn::BinaryKind::add)
      return failure();
    for (int side = 0; side < 2; ++side) {
      Value pv = side == 0 ? add.getLhs() : add.getRhs();
      Value cv = side == 0 ? add.getRhs() : add.getLhs();
      Operation *p = fusibleProducer(pv);
      if (!p || pv.getType() != add.getType())
        continue;
      auto rt = cast<RankedTensorType>(pv.getType());
      if (!rt.getElementType().isF32())
        continue;
      int64_t cd = outputChannelDim(p, rt), F = rt.getDimSize(cd);
      SmallVector<double> c;
      SmallVector<float> bias;
      // A run-time bias (not a constant) leaves the add alone.
      if (ShapedType::isDynamic(F) || !readChannelConstant(cv, rt, cd, F, c) ||
          !readLayerBias(p, F, bias))
        continue;
      Epilogue e = Epilogue::of(p);
      for (int64_t f = 0; f < F; ++f)
        bias[f] += (float)c[f];
      e.bias = makeF32Constant(rewriter, add.getLoc(), RankedTensorType::get({F}, rt.getElementType()),
                               bias, "kiln_fused_bias");
      e.replace(rewriter, p, add);
      ++stat;
      return success();
    }
    return failure();
  }
};

/// add(p, r) with r of the result's type: r becomes the residual operand.
struct FuseResidualAdd : OpRewritePattern<nn::BinaryOp> {
  FuseResidualAdd(MLIRContext *ctx, std::atomic<uint64_t> &stat)
      : OpRewritePattern(ctx, /*benefit=*/0), stat(stat) {}
  std::atomic<uint64_t> &stat;

  LogicalResult matchAndRewrite(nn::BinaryOp add, PatternRewriter &rewriter) const override {
    if (add.getKind() != nn::BinaryKind::add ||
        add.getLhs().getType() != add.getType() || add.getRhs().getType() != add.getType())
      return failure();
    for (int side = 0; side < 2; ++side) {
      Value pv = side == 0 ? add.getLhs() : add.getRhs();
      Value rv = side == 0 ? add.getRhs() : add.getLhs();
      Operation *p = fusibleProducer(pv);
      if (!p || rv == pv)
        continue;
      Epilogue e = Epilogue::of(p);
      if (e.residual)
        continue;
      // Prefer the later-defined producer when both sides are fusible (the
      // other one is then computed first and can be read as the residual).
      if (side == 0) {
        if (Operation *q = fusibleProducer(rv); q && !Epilogue::of(q).residual &&
                                                q->getBlock() == p->getBlock() &&
                                                p->isBeforeInBlock(q))
          continue;
      }
      e.residual = rv;
      e.replace(rewriter, p, add);
      ++stat;
      return success();
    }
    return failure();
  }
};

/// The activation kind an elementwise op computes, if it is one the epilogue
/// supports.
std::optional<nn::ActKind> actOf(nn::UnaryKind k) {
  switch (k) {
  case nn::UnaryKind::relu: return nn::ActKind::relu;
  case nn::UnaryKind::sigmoid: return nn::ActKind::sigmoid;
  case nn::UnaryKind::tanh: return nn::ActKind::tanh;
  case nn::UnaryKind::hard_swish: return nn::ActKind::hard_swish;
  case nn::UnaryKind::hard_sigmoid: return nn::ActKind::hard_sigmoid;
  case nn::UnaryKind::leaky_relu: return nn::ActKind::leaky_relu;
  case nn::UnaryKind::gelu: return nn::ActKind::gelu;
  case nn::UnaryKind::gelu_tanh: return nn::ActKind::gelu_tanh;
  default: return std::nullopt;
  }
}

struct FuseUnaryAct : OpRewritePattern<nn::UnaryOp> {
  FuseUnaryAct(MLIRContext *ctx, std::atomic<uint64_t> &stat) : OpRewritePattern(ctx), stat(stat) {}
  std::atomic<uint64_t> &stat;

  LogicalResult matchAndRewrite(nn::UnaryOp u, PatternRewriter &rewriter) const override {
    std::optional<nn::ActKind> k = actOf(u.getKind());
    Operation *p = fusibleProducer(u.getInput());
    if (!k || !p || u.getInput().getType() != u.getType())
      return failure();
    // sigmoid(p) that is half of a SiLU mul(p, sigmoid(p)) is left to
    // FuseSiLU (p has two users then, so fusibleProducer already refused).
    Epilogue e = Epilogue::of(p);
    e.act = nn::ActKindAttr::get(rewriter.getContext(), *k);
    e.alpha = u.getAlphaAttr();
    e.beta = u.getBetaAttr();
    if (*k == nn::ActKind::leaky_relu && !e.alpha)
      return failure();
    if (*k != nn::ActKind::leaky_relu && *k != nn::ActKind::hard_sigmoid)
      e.alpha = e.beta = nullptr;
    e.replace(rewriter, p, u);
    ++stat;
    return success();
  }
};

struct FuseClamp : OpRewritePattern<nn::ClampOp> {
  FuseClamp(MLIRContext *ctx, std::atomic<uint64_t> &stat) : OpRewritePattern(ctx), stat(stat) {}
  std::atomic<uint64_t> &stat;

  LogicalResult matchAndRewrite(nn::ClampOp c, PatternRewriter &rewriter) const override {
    Operation *p = fusibleProducer(c.getInput());
    // clamp(relu(y), lo, hi) is clip(y, max(lo, 0), hi): Relu6 arrives as a
    // relu followed by a clamp, and the relu may already be fused.
    bool afterRelu = false;
    if (!p) {
      Operation *q = c.getInput().getDefiningOp();
      if (isLayer(q) && c.getInput().hasOneUse()) {
        Epilogue qe = Epilogue::of(q);
        if (qe.act && qe.act.getValue() == nn::ActKind::relu) {
          p = q;
          afterRelu = true;
        }
      }
    }
    if (!p || c.getInput().getType() != c.getType())
      return failure();
    Epilogue e = Epilogue::of(p);
    e.act = nn::ActKindAttr::get(rewriter.getContext(), nn::ActKind::clip);
    auto f32 = [&](std::optional<APFloat> v) -> FloatAttr {
      if (!v)
        return nullptr;
      return rewriter.getF32FloatAttr((float)v->convertToDouble());
    };
    e.alpha = f32(c.getMin());
    e.beta = f32(c.getMax());
    if (afterRelu) {
      if (c.getMin() && c.getMin()->convertToDouble() < 0)
        e.alpha = rewriter.getF32FloatAttr(0.0f);
      if (!c.getMin() || c.getMin()->convertToDouble() < 0) {
        // The bound check below compares with the clamp's own min: done here.
        if (e.beta && (double)e.beta.getValueAsDouble() != c.getMax()->convertToDouble())
          return failure();
        e.alpha = rewriter.getF32FloatAttr(0.0f);
        e.replace(rewriter, p, c);
        ++stat;
        return success();
      }
    }
    // The bounds are kept as f32: refuse a bound that f32 cannot hold.
    if ((e.alpha && (double)e.alpha.getValueAsDouble() != c.getMin()->convertToDouble()) ||
        (e.beta && (double)e.beta.getValueAsDouble() != c.getMax()->convertToDouble()))
      return failure();
    e.replace(rewriter, p, c);
    ++stat;
    return success();
  }
};

/// mul(p, sigmoid(p)) (either order): SiLU / Swish.
struct FuseSiLU : OpRewritePattern<nn::BinaryOp> {
  FuseSiLU(MLIRContext *ctx, std::atomic<uint64_t> &stat) : OpRewritePattern(ctx), stat(stat) {}
  std::atomic<uint64_t> &stat;

  LogicalResult matchAndRewrite(nn::BinaryOp mul, PatternRewriter &rewriter) const override {
    if (mul.getKind() != nn::BinaryKind::mul || mul.getLhs().getType() != mul.getType() ||
        mul.getRhs().getType() != mul.getType())
      return failure();
    for (int side = 0; side < 2; ++side) {
      Value pv = side == 0 ? mul.getLhs() : mul.getRhs();
      Value sv = side == 0 ? mul.getRhs() : mul.getLhs();
      auto sig = sv.getDefiningOp<nn::UnaryOp>();
      if (!sig || sig.getKind() != nn::UnaryKind::sigmoid || sig.getInput() != pv || !sv.hasOneUse())
        continue;
      Operation *p = pv.getDefiningOp();
      if (!isLayer(p) || !isa<FloatType>(getElementTypeOrSelf(pv.getType())))
        continue;
      // p's users are exactly the sigmoid and this mul.
      if (llvm::any_of(pv.getUsers(), [&](Operation *u) { return u != sig && u != mul; }))
        continue;
      Epilogue e = Epilogue::of(p);
      if (e.act)
        continue;
      e.act = nn::ActKindAttr::get(rewriter.getContext(), nn::ActKind::silu);
      e.alpha = e.beta = nullptr;
      e.replace(rewriter, p, mul, {sig.getOperation()});
      ++stat;
      return success();
    }
    return failure();
  }
};

/// The exact GELU as ONNX exporters write it before opset 20 (no Gelu op):
/// x * (erf(x / sqrt(2)) + 1) * 0.5, the three factors in any order and
/// nesting, x / sqrt(2) also as x * (1 / sqrt(2)).  Becomes nn.unary gelu,
/// which the epilogue pattern can then fuse.
struct RecognizeGelu : OpRewritePattern<nn::BinaryOp> {
  RecognizeGelu(MLIRContext *ctx, std::atomic<uint64_t> &stat)
      : OpRewritePattern(ctx, /*benefit=*/2), stat(stat) {}
  std::atomic<uint64_t> &stat;

  static bool isSplat(Value v, double want, double tol) {
    double d;
    return isFloatSplatConstant(v, d) && std::abs(d - want) <= tol * std::abs(want);
  }

  /// x if `v` is erf(x / sqrt 2) + 1 (single-use intermediates).
  static Value erfArgOf(Value v) {
    auto add = v.getDefiningOp<nn::BinaryOp>();
    if (!add || add.getKind() != nn::BinaryKind::add || !v.hasOneUse())
      return {};
    for (int side = 0; side < 2; ++side) {
      Value e = side ? add.getLhs() : add.getRhs(), one = side ? add.getRhs() : add.getLhs();
      auto erf = e.getDefiningOp<nn::UnaryOp>();
      if (!erf || erf.getKind() != nn::UnaryKind::erf || !e.hasOneUse() || !isSplat(one, 1.0, 0))
        continue;
      auto scale = erf.getInput().getDefiningOp<nn::BinaryOp>();
      if (!scale || !erf.getInput().hasOneUse())
        continue;
      if (scale.getKind() == nn::BinaryKind::div && isSplat(scale.getRhs(), M_SQRT2, 1e-6))
        return scale.getLhs();
      if (scale.getKind() == nn::BinaryKind::mul) {
        if (isSplat(scale.getRhs(), M_SQRT1_2, 1e-6))
          return scale.getLhs();
        if (isSplat(scale.getLhs(), M_SQRT1_2, 1e-6))
          return scale.getRhs();
      }
    }
    return {};
  }

  LogicalResult matchAndRewrite(nn::BinaryOp mul, PatternRewriter &rewriter) const override {
    if (mul.getKind() != nn::BinaryKind::mul)
      return failure();
    // Flatten the product (the root and at most one single-use inner mul).
    SmallVector<Value> factors;
    SmallVector<Operation *> inner;
    for (Value v : {mul.getLhs(), mul.getRhs()}) {
      auto m = v.getDefiningOp<nn::BinaryOp>();
      if (m && m.getKind() == nn::BinaryKind::mul && v.hasOneUse() && inner.empty() &&
          !erfArgOf(v)) {
        factors.append({m.getLhs(), m.getRhs()});
        inner.push_back(m);
      } else {
        factors.push_back(v);
      }
    }
    if (factors.size() != 3)
      return failure();
    // One factor is 0.5, one is erf(x / sqrt 2) + 1, the remaining one is x.
    for (unsigned h = 0; h < 3; ++h) {
      if (!isSplat(factors[h], 0.5, 0))
        continue;
      for (unsigned e = 0; e < 3; ++e) {
        if (e == h)
          continue;
        Value x = factors[3 - h - e];
        if (erfArgOf(factors[e]) != x || x.getType() != mul.getType())
          continue;
        rewriter.replaceOpWithNewOp<nn::UnaryOp>(mul, mul.getType(), x, nn::UnaryKind::gelu, nullptr,
                                                 nullptr);
        ++stat;
        return success();
      }
    }
    return failure();
  }
};

struct NNFuseEpiloguePass : kiln::impl::NNFuseEpilogueBase<NNFuseEpiloguePass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    auto &numBias = passStatistic(getArgument(), "fused-bias", "Bias adds fused into a conv/matmul");
    auto &numResidual =
        passStatistic(getArgument(), "fused-residual", "Residual adds fused into a conv/matmul");
    auto &numAct = passStatistic(getArgument(), "fused-activation", "Activations fused into a conv/matmul");
    patterns.add<FuseBiasAdd>(ctx, numBias);
    patterns.add<FuseResidualAdd>(ctx, numResidual);
    patterns.add<FuseUnaryAct, FuseClamp, FuseSiLU>(ctx, numAct);
    patterns.add<RecognizeGelu>(
        ctx, passStatistic(getArgument(), "gelu-recognized",
                           "x * (erf(x / sqrt 2) + 1) * 0.5 subgraphs turned into one gelu"));
    GreedyRewriteConfig config;
    config.enableFolding(false);
    config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      signalPassFailure();
  }
};

} // namespace
