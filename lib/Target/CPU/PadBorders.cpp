//===- PadBorders.cpp - fill only the border of a padded copy -------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// kiln-cpu-pad-borders (Passes.td) runs on buffers, before tiling.  A pad
// lowers to a fresh buffer filled with the pad value and the source copied
// into its interior: every element of the interior is written twice.  When
// the fill (linalg.fill, or a linalg.map that yields a value defined
// outside it) is followed by one copy of a static-offset interior block
// before anything reads the buffer, the fill is replaced by fills of the
// blocks around the interior (at most two per dim: the rows above and
// below, then within those, the columns left and right, ...).  MobileNetV2's
// stride-2 depthwise layer on 112x112x96 spent 36% of its time in the
// memset of its 5 MB padded input.
//
//===----------------------------------------------------------------------===//

#include "CPUPasses.h"
#include "kiln/Transforms/Statistics.h"

namespace kiln::cpu {
#define GEN_PASS_DEF_CPUPADBORDERS
#include "Passes.h.inc"
} // namespace kiln::cpu

using namespace mlir;

Value kiln::cpu::fillYield(Operation *op, Value buf) {
  if (auto fill = dyn_cast<linalg::FillOp>(op))
    return fill.getDpsInits()[0] == buf ? fill.getDpsInputs()[0] : Value();
  if (auto map = dyn_cast<linalg::MapOp>(op)) {
    if (map.getDpsInits()[0] != buf || map.getNumDpsInputs() != 0)
      return {};
    auto y = cast<linalg::YieldOp>(map.getMapper().front().getTerminator());
    return y.getNumOperands() == 1 ? y.getOperand(0) : Value();
  }
  return {};
}

namespace {

/// The scalar `op` fills `buf` with, if it is a fill of `buf` by a value
/// defined outside it (the one its border fills can use).
Value fillValue(Operation *op, Value buf) {
  Value v = kiln::cpu::fillYield(op, buf);
  // A value from outside the map's body (the init argument is not one).
  if (v && isa<linalg::MapOp>(op) && v.getParentRegion() == &cast<linalg::MapOp>(op).getMapper())
    return {};
  return v;
}

struct PadBordersPass : kiln::cpu::impl::CPUPadBordersBase<PadBordersPass> {
  void runOnOperation() override {
    std::atomic<uint64_t> &numPads = kiln::passStatistic(
        getArgument(), "pads-bordered", "Padded copies whose fill now covers only the border");
    SmallVector<std::pair<Operation *, memref::CopyOp>> work;
    getOperation().walk([&](memref::AllocOp alloc) {
      Value buf = alloc.getResult();
      Operation *fill = nullptr;
      for (Operation *u : buf.getUsers())
        if (fillValue(u, buf)) {
          if (fill)
            return;
          fill = u;
        }
      if (!fill)
        return;
      // The next op touching memory after the fill: the copy into a
      // subview of `buf`.
      Operation *next = fill->getNextNode();
      while (next && (isMemoryEffectFree(next) || isa<memref::AllocOp>(next)))
        next = next->getNextNode();
      auto copy = dyn_cast_or_null<memref::CopyOp>(next);
      if (!copy)
        return;
      auto sv = copy.getTarget().getDefiningOp<memref::SubViewOp>();
      if (!sv || sv.getSource() != buf || !sv.hasUnitStride() ||
          cast<MemRefType>(sv.getType()).getRank() != cast<MemRefType>(buf.getType()).getRank())
        return;
      // Static offsets and sizes, except a dim copied whole (offset 0,
      // size of the buffer's dim: the dynamic batch).
      auto bt = cast<MemRefType>(buf.getType());
      for (int64_t d = 0; d < bt.getRank(); ++d) {
        bool whole = sv.getStaticOffsets()[d] == 0 &&
                     (sv.getStaticSizes()[d] == bt.getDimSize(d) ||
                      (bt.isDynamicDim(d) && ShapedType::isDynamic(sv.getStaticSizes()[d])));
        if (!whole && (ShapedType::isDynamic(sv.getStaticOffsets()[d]) ||
                       ShapedType::isDynamic(sv.getStaticSizes()[d]) || bt.isDynamicDim(d)))
          return;
      }
      work.emplace_back(fill, copy);
    });
    for (auto [fill, copy] : work) {
      auto sv = copy.getTarget().getDefiningOp<memref::SubViewOp>();
      Value buf = sv.getSource();
      Value v = fillValue(fill, buf);
      auto bt = cast<MemRefType>(buf.getType());
      OpBuilder b(fill);
      Location loc = fill->getLoc();
      int64_t rank = bt.getRank();
      // Block d (before / after the interior along dim d): dims < d
      // restricted to the interior, dim d the border part, dims > d whole.
      SmallVector<OpFoldResult> full;
      for (int64_t d = 0; d < rank; ++d)
        full.push_back(bt.isDynamicDim(d) ? OpFoldResult(memref::DimOp::create(b, loc, buf, d).getResult())
                                          : OpFoldResult(b.getIndexAttr(bt.getDimSize(d))));
      SmallVector<OpFoldResult> ones(rank, b.getIndexAttr(1));
      for (int64_t d = 0; d < rank; ++d) {
        if (bt.isDynamicDim(d))
          continue; // copied whole
        int64_t o = sv.getStaticOffsets()[d], s = sv.getStaticSizes()[d], n = bt.getDimSize(d);
        for (auto [start, len] : {std::make_pair(int64_t(0), o), std::make_pair(o + s, n - o - s)}) {
          if (len <= 0)
            continue;
          SmallVector<OpFoldResult> offs, sizes;
          for (int64_t k = 0; k < rank; ++k) {
            if (k < d) {
              offs.push_back(sv.getMixedOffsets()[k]);
              sizes.push_back(sv.getMixedSizes()[k]);
            } else if (k == d) {
              offs.push_back(b.getIndexAttr(start));
              sizes.push_back(b.getIndexAttr(len));
            } else {
              offs.push_back(b.getIndexAttr(0));
              sizes.push_back(full[k]);
            }
          }
          Value part = memref::SubViewOp::create(b, loc, buf, offs, sizes, ones);
          linalg::FillOp::create(b, loc, ValueRange{v}, ValueRange{part});
        }
      }
      fill->erase();
      ++numPads;
    }
  }
};

} // namespace
