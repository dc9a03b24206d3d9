//===- FuseElementwise.cpp - elementwise fusion that keeps contractions ---===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// kiln-cpu-fuse-elementwise: upstream's elementwise fusion and reshape
// propagation (linalg-fuse-elementwise-ops, with its patterns and
// canonicalizations), except into or through a contraction.  Upstream's
// pass fuses an elementwise producer into any linalg.generic consumer and
// turns a named matmul it propagates a reshape through into a generic: with
// static shapes a LayerNorm's normalization then ran inside the matmul's
// reduction loop, off the matmul micro-kernel (GPT decoder, --input-shape
// input_ids=1x256: 15.9 s a run instead of 0.1 s).  With dynamic shapes the
// reshapes do not propagate and the matmul stays named, so both paths now
// keep every contraction as it is.
//
//===----------------------------------------------------------------------===//

#include "CPUPasses.h"
#include "kiln/Transforms/Quantize.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln::cpu {
#define GEN_PASS_DEF_CPUFUSEELEMENTWISE
#include "Passes.h.inc"
} // namespace kiln::cpu

using namespace mlir;

namespace {

/// A linalg op with a reduction dim that multiplies and accumulates
/// (matmul, batch_matmul, a generic contraction, a convolution).
bool isContraction(Operation *op) {
  auto l = dyn_cast_or_null<linalg::LinalgOp>(op);
  if (!l || l.getNumReductionLoops() == 0)
    return false;
  // nn.int4_matmul's product (its kernel matches the generic as written).
  if (op->hasAttr(kiln::quant::kInt4ProductAttr))
    return true;
  return linalg::isaContractionOpInterface(l) || linalg::isaConvolutionOpInterface(l);
}

struct FuseElementwisePass : kiln::cpu::impl::CPUFuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    // As upstream: a producer with one use; and neither end a contraction.
    linalg::ControlFusionFn control = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      return producer && producer->hasOneUse() && !isContraction(producer) && !isContraction(fused->getOwner());
    };
    RewritePatternSet patterns(ctx);
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns, control);
    tensor::populateBubbleUpExpandShapePatterns(patterns);
    affine::AffineApplyOp::getCanonicalizationPatterns(patterns, ctx);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, ctx);
    ctx->getLoadedDialect<linalg::LinalgDialect>()->getCanonicalizationPatterns(patterns);
    linalg::populateConstantFoldLinalgOperations(patterns, control);
    (void)applyPatternsGreedily(getOperation(), std::move(patterns),
                                GreedyRewriteConfig().setUseTopDownTraversal());
    // A depthwise convolution's epilogue (NNToLinalg marks its ops
    // kiln.epilogue: nn.qconv's dequantization, the activation, the next
    // int8 layer's quantization) is fused into one element-wise generic,
    // but upstream's patterns re-create ops without their marks: the sole
    // element-wise reader of a depthwise result is marked again, so that
    // the depthwise micro-kernel applies it, int8 store included, in
    // registers.
    getOperation()->walk([&](linalg::DepthwiseConv2DNchwChwOp dw) {
      if (!dw->getResult(0).hasOneUse())
        return;
      auto g = dyn_cast<linalg::GenericOp>(*dw->getResult(0).getUsers().begin());
      if (g && g.getNumParallelLoops() == g.getNumLoops() && g.getNumDpsInits() == 1 &&
          g.getIndexingMapsArray().back().isIdentity() && !g->hasAttr(kiln::cpu::kEpilogueAttr) &&
          llvm::any_of(g.getDpsInputs(), [&](Value v) { return v == dw->getResult(0); }))
        g->setAttr(kiln::cpu::kEpilogueAttr, UnitAttr::get(ctx));
    });
  }
};

} // namespace
