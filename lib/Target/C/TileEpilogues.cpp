//===- TileEpilogues.cpp - products computed a channel at a time ----------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// kiln-c-tile-epilogues: the C target computes a convolution's or matmul's
// accumulators for one output channel (or row) at a time, right before the
// element-wise epilogue that reads them, so that the accumulator of the
// whole layer never sits in the arena (Passes.td).
//
//===----------------------------------------------------------------------===//

#include "CPasses.h"

#include "kiln/Transforms/Statistics.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln::c {
#define GEN_PASS_DEF_CTILEEPILOGUES
#include "CPasses.h.inc"
} // namespace kiln::c

using namespace mlir;

namespace {

/// The product (a linalg op with a reduction loop and one result, read only
/// by `use`'s owner, possibly through one tensor.expand_shape) whose result
/// `use` reads.
linalg::LinalgOp productOf(OpOperand &use) {
  Value v = use.get();
  if (!v.hasOneUse())
    return {};
  if (auto e = v.getDefiningOp<tensor::ExpandShapeOp>()) {
    v = e.getSrc();
    if (!v.hasOneUse())
      return {};
  }
  auto p = v.getDefiningOp<linalg::LinalgOp>();
  if (!p || p->getNumResults() != 1 || p.getNumReductionLoops() == 0 || !isa<TilingInterface>(p.getOperation()))
    return {};
  return p;
}

struct TileEpiloguesPass final : kiln::c::impl::CTileEpiloguesBase<TileEpiloguesPass> {
  void runOnOperation() override {
    auto &numTiled = kiln::passStatistic(getArgument(), "epilogues-tiled",
                                   "element-wise epilogues tiled with their product fused in");
    SmallVector<std::pair<linalg::GenericOp, linalg::LinalgOp>> work;
    getOperation().walk([&](linalg::GenericOp g) {
      if (g->getNumResults() != 1 || g.getNumReductionLoops() != 0 || g.getNumLoops() < 2 ||
          !g.getIndexingMapsArray().back().isIdentity())
        return;
      // Only where the epilogue changes the element type (int32
      // accumulators to int8 or f32): one of the accumulator's own type
      // writes over it in place, which tiling would undo (the fp32 CNN's
      // arena grew 7%).
      Type outT = getElementTypeOrSelf(g->getResult(0).getType());
      for (OpOperand *in : g.getDpsInputOperands())
        if (linalg::LinalgOp p = productOf(*in); p && getElementTypeOrSelf(p->getResult(0).getType()) != outT) {
          work.push_back({g, p});
          return;
        }
    });
    IRRewriter rw(&getContext());
    for (auto [g, p] : work) {
      int64_t r = g.getNumLoops();
      // Tiles of 1 along every dim but the last two (N, C of NCHW; the
      // batch and rows of [B, M, N]); a 2-d epilogue by rows.
      int64_t tiled = r == 2 ? 1 : r - 2;
      SmallVector<OpFoldResult> sizes;
      for (int64_t i = 0; i < r; ++i)
        sizes.push_back(rw.getIndexAttr(i < tiled ? 1 : 0));
      scf::SCFTilingOptions to;
      to.setTileSizes(sizes);
      to.setLoopType(scf::SCFTilingOptions::LoopType::ForOp);
      scf::SCFTileAndFuseOptions o;
      o.setTilingOptions(to);
      Operation *product = p.getOperation();
      // Only the product and the fill of its accumulator: its inputs (a
      // padded input, gathered windows) would be recomputed per tile.
      o.setFusionControlFn([product](tensor::ExtractSliceOp, OpResult producer,
                                     bool) -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
        Operation *op = producer.getOwner();
        if (op == product || isa<linalg::FillOp>(op))
          return scf::SCFTileAndFuseOptions::ControlFnResult{};
        return std::nullopt;
      });
      RewritePatternSet cleanup(&getContext());
      tensor::populateBubbleUpExtractSliceOpPatterns(cleanup);
      o.cleanupPatterns = FrozenRewritePatternSet(std::move(cleanup));
      rw.setInsertionPoint(g);
      FailureOr<scf::SCFTileAndFuseResult> res =
          scf::tileConsumerAndFuseProducersUsingSCF(rw, cast<TilingInterface>(g.getOperation()), o);
      if (failed(res))
        continue;
      // Keep it only when the product went into the loop (else the tiling
      // gains nothing); the untiled ops are then dead.
      if (!res->fusedProducers.contains(product)) {
        if (!res->loops.empty() && res->loops.front()->use_empty())
          rw.eraseOp(res->loops.front());
        continue;
      }
      rw.replaceAllUsesWith(g->getResult(0), res->replacements.lookup(g->getResult(0)));
      rw.eraseOp(g);
      ++numTiled;
    }
    // A tile's accumulator is a slice of the whole layer's tensor.empty:
    // made its own (tile-sized) empty, so that bufferization allocates only
    // the tile.
    RewritePatternSet patterns(&getContext());
    tensor::populateFoldTensorEmptyPatterns(patterns);
    (void)applyPatternsGreedily(getOperation(), std::move(patterns));
  }
};

} // namespace
