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
// Then, when a copy's source is a fresh buffer that only element-wise ops
// (linalg.generic, linalg.fill) write and nothing but the copy reads, and
// its destination is a subview of a fresh buffer (a padded interior, a
// concat's slice), those ops write the destination directly: its buffer is
// allocated where the source was first written, the source and the copy
// are erased (writeInPlace).  The copy was 26 to 31% of MobileNetV2's
// padded depthwise layers, and the source a second buffer of that size.
//
//===----------------------------------------------------------------------===//

#include "CPUPasses.h"
#include "kiln/Transforms/Statistics.h"
#include "mlir/IR/Dominance.h"

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

/// Whether the subviews `a` and `b` of one buffer are disjoint: along
/// some dim both have a static offset and size and the ranges do not meet.
bool disjoint(memref::SubViewOp a, memref::SubViewOp b) {
  for (auto [oa, sa, ob, sb] : llvm::zip(a.getStaticOffsets(), a.getStaticSizes(), b.getStaticOffsets(),
                                         b.getStaticSizes())) {
    if (ShapedType::isDynamic(oa) || ShapedType::isDynamic(sa) || ShapedType::isDynamic(ob) ||
        ShapedType::isDynamic(sb))
      continue;
    if (oa + sa <= ob || ob + sb <= oa)
      return true;
  }
  return false;
}

/// Elides `copy` of a fresh buffer S into a subview V of a buffer B (the
/// interior of a padded buffer, a concat's slice) by letting the ops that
/// write S write V instead, when that cannot change what anything reads.
/// S's buffer may hold other values before and after the one copied
/// (bufferization reuses a buffer once its value is dead): the copied
/// value's lifetime starts at the last op before the copy that overwrites
/// all of S without reading it (kiln::cpu::overwritesAll), or at
/// S's first use if there is none, and ends at the copy; after the copy,
/// S's next use must overwrite it the same way.
///  - S and B are allocations in the copy's block, V a unit-stride subview
///    of B used only by the copy;
///  - every use of S in the copied value's lifetime is an element-wise op
///    (a linalg.generic whose maps are projections, or a linalg.fill):
///    the value is computed by element-wise ops and read by the copy only.
///    Convolutions and matmuls writing S are left alone: their
///    micro-kernels store tiles as contiguous pixel runs, which a padded
///    interior is not;
///  - every other use of B is a subview disjoint from V (the border fills,
///    the concat's other slices), a dealloc, a memref.dim, or an op after
///    the copy;
///  - B, V and their operands can be placed before the lifetime's start.
/// B is then allocated right before the lifetime's start (the memory plan
/// starts a buffer's lifetime at its allocation), the lifetime's ops write
/// V, and the copy is erased; so is S when nothing else uses it.
bool writeInPlace(memref::CopyOp copy, DominanceInfo &dom) {
  Block *blk = copy->getBlock();
  auto v = copy.getTarget().getDefiningOp<memref::SubViewOp>();
  if (!v || !v.hasUnitStride() || v->getBlock() != blk || !v->hasOneUse())
    return false;
  auto bAlloc = v.getSource().getDefiningOp<memref::AllocOp>();
  auto sAlloc = copy.getSource().getDefiningOp<memref::AllocOp>();
  if (!bAlloc || !sAlloc || bAlloc->getBlock() != blk || sAlloc->getBlock() != blk)
    return false;
  Value src = sAlloc.getResult();
  Operation *copyOp = copy.getOperation();
  SmallVector<Operation *> users;
  for (Operation *o : src.getUsers()) {
    if (o == copyOp || isa<memref::DeallocOp>(o))
      continue;
    if (o->getBlock() != blk)
      return false;
    users.push_back(o);
  }
  llvm::sort(users, [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
  users.erase(std::unique(users.begin(), users.end()), users.end());
  // The lifetime's start (null: S's first use) and the first use after it.
  Operation *start = nullptr, *after = nullptr;
  for (Operation *o : users) {
    if (o->isBeforeInBlock(copyOp)) {
      if (kiln::cpu::overwritesAll(o, src))
        start = o;
    } else if (!after) {
      after = o;
    }
  }
  if (after && !kiln::cpu::overwritesAll(after, src))
    return false;
  SmallVector<Operation *> lifetime;
  for (Operation *o : users) {
    if (!o->isBeforeInBlock(copyOp) || (start && o->isBeforeInBlock(start)))
      continue;
    if (auto g = dyn_cast<linalg::GenericOp>(o)) {
      if (!g.hasPureBufferSemantics() || g.getNumReductionLoops() != 0 ||
          !llvm::all_of(g.getIndexingMapsArray(), [](AffineMap m) { return m.isProjectedPermutation(); }))
        return false;
    } else if (!isa<linalg::FillOp>(o)) {
      return false;
    }
    lifetime.push_back(o);
  }
  if (lifetime.empty())
    return false;
  Operation *first = lifetime.front();
  for (Operation *u : bAlloc->getUsers()) {
    if (u == v.getOperation() || isa<memref::DeallocOp, memref::DimOp>(u))
      continue;
    if (auto o = dyn_cast<memref::SubViewOp>(u); o && disjoint(o, v))
      continue;
    if (u->getBlock() != blk || !copy->isBeforeInBlock(u))
      return false;
  }
  auto available = [&](Operation *op) {
    return llvm::all_of(op->getOperands(), [&](Value x) {
      return x == bAlloc.getResult() || dom.properlyDominates(x, first);
    });
  };
  if (!available(bAlloc) || !available(v))
    return false;
  if (!bAlloc->isBeforeInBlock(first))
    bAlloc->moveBefore(first);
  v->moveBefore(first);
  llvm::SmallPtrSet<Operation *, 8> inLifetime(lifetime.begin(), lifetime.end());
  src.replaceUsesWithIf(v.getResult(), [&](OpOperand &u) { return inLifetime.contains(u.getOwner()); });
  copyOp->erase();
  if (llvm::all_of(src.getUsers(), [](Operation *u) { return isa<memref::DeallocOp>(u); })) {
    for (Operation *d : llvm::to_vector(src.getUsers()))
      d->erase();
    sAlloc->erase();
  }
  return true;
}

/// Padded buffers of at least this many bytes (static dims) get their
/// border fills in one loop over the leading whole dims, on threads.
constexpr int64_t kThreadedBorderBytes = 64 * 1024;

struct PadBordersPass : kiln::cpu::impl::CPUPadBordersBase<PadBordersPass> {
  void runOnOperation() override {
    std::atomic<uint64_t> &numPads = kiln::passStatistic(
        getArgument(), "pads-bordered", "Padded copies whose fill now covers only the border");
    std::atomic<uint64_t> &numInPlace = kiln::passStatistic(
        getArgument(), "copies-in-place",
        "Copies into a padded interior or a concat's slice elided: the source's producers write there");
    DominanceInfo &dom = getAnalysis<DominanceInfo>();
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
      // The leading dims copied whole (batch, channels: at most 2) when the
      // buffer is large enough to be written on threads: the blocks' fills
      // then run in one loop over them, on threads (see below).
      int64_t lead = 0;
      while (lead < 2 && lead < rank - 1 && sv.getStaticOffsets()[lead] == 0 &&
             (bt.isDynamicDim(lead) || sv.getStaticSizes()[lead] == bt.getDimSize(lead)))
        ++lead;
      int64_t bytes = bt.getElementTypeBitWidth() / 8;
      for (int64_t d = 0; d < rank; ++d)
        bytes *= bt.isDynamicDim(d) ? 1 : bt.getDimSize(d);
      if (bytes < kThreadedBorderBytes)
        lead = 0;
      SmallVector<Value> parts;
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
          if (lead == 0)
            linalg::FillOp::create(b, loc, ValueRange{v}, ValueRange{part});
          else
            parts.push_back(part);
        }
      }
      if (lead > 0) {
        // for n, c (kiln.parallel, one chunk of channels per thread): the
        // blocks' fills of channel (n, c).  The producer and the consumer of
        // the interior split their work by channels too, so each thread
        // writes the borders of the channels it writes and reads; filled
        // by one thread, every line of the other thread's channels moved
        // between the cores twice (the left and right columns touch every
        // row): MobileNetV2's 14x14 depthwise layers took 2.5 times as
        // long on 2 threads as on 1.
        Value c0 = arith::ConstantIndexOp::create(b, loc, 0), c1 = arith::ConstantIndexOp::create(b, loc, 1);
        SmallVector<Value> ivs;
        OpBuilder::InsertionGuard guard(b);
        for (int64_t k = 0; k < lead; ++k) {
          Value ub = getValueOrCreateConstantIndexOp(b, loc, full[k]);
          auto f = scf::ForOp::create(b, loc, c0, ub, c1);
          f->setAttr(kiln::cpu::kParallelAttr, b.getUnitAttr());
          b.setInsertionPointToStart(f.getBody());
          ivs.push_back(f.getInductionVar());
        }
        for (Value part : parts) {
          auto pt = cast<MemRefType>(part.getType());
          SmallVector<OpFoldResult> offs, sizes;
          for (int64_t k = 0; k < rank; ++k) {
            offs.push_back(k < lead ? OpFoldResult(ivs[k]) : OpFoldResult(b.getIndexAttr(0)));
            sizes.push_back(k < lead ? OpFoldResult(b.getIndexAttr(1))
                                     : (pt.isDynamicDim(k)
                                            ? OpFoldResult(memref::DimOp::create(b, loc, part, k).getResult())
                                            : OpFoldResult(b.getIndexAttr(pt.getDimSize(k)))));
          }
          Value one = memref::SubViewOp::create(b, loc, part, offs, sizes, ones);
          linalg::FillOp::create(b, loc, ValueRange{v}, ValueRange{one});
        }
      }
      fill->erase();
      ++numPads;
    }
    // Then the copies whose source's producers can write the destination.
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp c) { copies.push_back(c); });
    for (memref::CopyOp c : copies)
      if (writeInPlace(c, dom))
        ++numInPlace;
  }
};

} // namespace
