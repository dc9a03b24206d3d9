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

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
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

/// A tile loop (one scf.for yielding tensor.insert_slice of each tile into
/// its only iter_arg, a tensor.empty) read only by a tensor.pad with a
/// constant value writes its tiles into the padded tensor instead, which
/// starts filled with the pad value: the unpadded tensor never exists
/// beside the padded one (a depthwise layer's padded input).
bool padInPlace(IRRewriter &rw, scf::ForOp loop) {
  if (loop.getNumResults() != 1 || !loop.getResult(0).hasOneUse())
    return false;
  auto pad = dyn_cast<tensor::PadOp>(*loop.getResult(0).getUsers().begin());
  Value padValue = pad ? pad.getConstantPaddingValue() : Value();
  if (!padValue || !pad.getResultType().hasStaticShape())
    return false;
  auto init = loop.getInitArgs()[0].getDefiningOp<tensor::EmptyOp>();
  auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
  auto ins = yield.getOperand(0).getDefiningOp<tensor::InsertSliceOp>();
  if (!init || !ins || ins.getDest() != loop.getRegionIterArg(0))
    return false;
  // The tile's destination: the loop carries the tensor to the insertion,
  // and the tile's op may take its slice as its init (it overwrites it).
  SmallVector<tensor::ExtractSliceOp> dests;
  for (OpOperand &u : loop.getRegionIterArg(0).getUses()) {
    if (u.getOwner() == ins)
      continue;
    auto e = dyn_cast<tensor::ExtractSliceOp>(u.getOwner());
    if (!e)
      return false;
    dests.push_back(e);
  }
  SmallVector<OpFoldResult> low = pad.getMixedLowPad();
  if (llvm::any_of(low, [](OpFoldResult o) { return !getConstantIntValue(o); }) ||
      llvm::any_of(pad.getMixedHighPad(), [](OpFoldResult o) { return !getConstantIntValue(o); }))
    return false;
  // The padded tensor, filled, as the loop's init.
  rw.setInsertionPoint(loop);
  Location loc = loop.getLoc();
  RankedTensorType pt = pad.getResultType();
  Value empty = tensor::EmptyOp::create(rw, loc, pt.getShape(), pt.getElementType());
  Value filled = linalg::FillOp::create(rw, loc, padValue, empty).getResult(0);
  // Each tile at its offset plus the low pad.
  auto shifted = [&](ArrayRef<OpFoldResult> offsets) {
    SmallVector<OpFoldResult> offs;
    for (auto [o, l] : llvm::zip(offsets, low)) {
      int64_t lv = *getConstantIntValue(l);
      if (lv == 0) {
        offs.push_back(o);
      } else if (std::optional<int64_t> c = getConstantIntValue(o)) {
        offs.push_back(rw.getIndexAttr(*c + lv));
      } else {
        Value ov = cast<Value>(o);
        offs.push_back(arith::AddIOp::create(rw, loc, ov, arith::ConstantIndexOp::create(rw, loc, lv)).getResult());
      }
    }
    return offs;
  };
  for (tensor::ExtractSliceOp e : dests) {
    rw.setInsertionPoint(e);
    auto ne = tensor::ExtractSliceOp::create(rw, e.getLoc(), e.getType(), e.getSource(), shifted(e.getMixedOffsets()),
                                             e.getMixedSizes(), e.getMixedStrides());
    rw.replaceOp(e, ne.getResult());
  }
  rw.setInsertionPoint(ins);
  SmallVector<OpFoldResult> offs = shifted(ins.getMixedOffsets());
  rw.modifyOpInPlace(loop, [&] {
    loop.getInitArgsMutable()[0].set(filled);
    loop.getRegionIterArg(0).setType(pt);
    loop.getResult(0).setType(pt);
  });
  auto ni = tensor::InsertSliceOp::create(rw, ins.getLoc(), ins.getSource(), ins.getDest(), offs,
                                          ins.getMixedSizes(), ins.getMixedStrides());
  rw.replaceOp(ins, ni.getResult());
  rw.replaceOp(pad, loop.getResult(0));
  return true;
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
    // Slices move up through the reshape between a product and its
    // epilogue, so that the product can be fused.
    RewritePatternSet bubble(&getContext());
    tensor::populateBubbleUpExtractSliceOpPatterns(bubble);
    FrozenRewritePatternSet cleanup(std::move(bubble));
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
      o.cleanupPatterns = cleanup;
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
    // the tile; loops of one iteration (the batch of 1) fold away.
    RewritePatternSet patterns(&getContext());
    tensor::populateFoldTensorEmptyPatterns(patterns);
    scf::ForOp::getCanonicalizationPatterns(patterns, &getContext());
    (void)applyPatternsGreedily(getOperation(), std::move(patterns));
    auto &numPads = kiln::passStatistic(getArgument(), "pads-in-place",
                                        "tiled epilogues writing into their reader's padded tensor");
    SmallVector<scf::ForOp> loops;
    getOperation().walk([&](scf::ForOp l) { loops.push_back(l); });
    for (scf::ForOp l : loops)
      if (padInPlace(rw, l))
        ++numPads;
  }
};

} // namespace
