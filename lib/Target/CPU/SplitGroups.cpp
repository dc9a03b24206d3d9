//===- SplitGroups.cpp - grouped convolutions group by group --------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// kiln-cpu-split-groups (Passes.td) runs on buffers, after
// kiln-cpu-pad-borders and before kiln-cpu-pack-weights.  The NN lowering
// writes a grouped convolution (neither plain nor depthwise) as
// linalg.conv_2d_ngchw_gfchw on [N, G, C/G, H, W] x [G, F/G, C/G, KH, KW]
// views, which kiln-cpu-tile-and-vectorize has no micro-kernel for: the
// general tiling ran ResNeXt-50's grouped 3x3 layers at 1 to 5 GFLOP/s, 10
// to 20 times ONNX Runtime's time.  Each group is a plain convolution with
// C/G input and F/G output channels, contiguous in the NCHW buffers; this
// pass makes the grouped op an scf.for over the groups whose body is a
// linalg.conv_2d_nchw_fchw on channel subviews of the 4-D buffers, which
// the packed or the row micro-kernel then computes (and whose filter view,
// an offset into the constant filter, kiln-cpu-pack-weights can pack).
//
// The epilogue ops move into the loop on the group's channels, where
// kiln-cpu-tile-and-vectorize finds them next to the plain convolution
// (the bias init before it, the post op after it) and fuses them into its
// register tiles; elementwise fusion usually leaves the init as a 5-D
// generic over the grouped output, which is re-indexed here on 4-D views.
//
//===----------------------------------------------------------------------===//

#include "CPUPasses.h"
#include "kiln/Transforms/Statistics.h"

namespace kiln::cpu {
#define GEN_PASS_DEF_CPUSPLITGROUPS
#include "Passes.h.inc"
} // namespace kiln::cpu

using namespace mlir;

namespace {

using kiln::cpu::bufferRoot;
using kiln::cpu::kEpilogueAttr;

/// The views of the grouped operands as 4-D ones: input and output
/// [N, G * C/G, H, W], filter [G * F/G, C/G, KH, KW].
SmallVector<ReassociationIndices> groupedIO() { return {{0}, {1, 2}, {3}, {4}}; }
SmallVector<ReassociationIndices> groupedFilter() { return {{0, 1}, {2}, {3}, {4}}; }

/// `v` without the reshapes (expand/collapse_shape) around it.
Value stripReshapes(Value v) {
  while (Operation *d = v.getDefiningOp()) {
    if (!isa<memref::ExpandShapeOp, memref::CollapseShapeOp>(d))
      break;
    v = d->getOperand(0);
  }
  return v;
}

/// Ops that touch no memory and may sit between a convolution and its
/// epilogue ops.
bool isInert(Operation *op) {
  return isa<memref::AllocOp, memref::DimOp, memref::GetGlobalOp, arith::ConstantOp, memref::ExpandShapeOp,
             memref::CollapseShapeOp, memref::SubViewOp, memref::CastOp>(op);
}

/// An element-wise generic the loop can take on the group's channels: all
/// parallel over the output's 4-D or 5-D (grouped) shape, one output whose
/// map is the identity, projection maps, no linalg.index.
bool isElementwiseOverOutput(linalg::GenericOp g, ArrayRef<int64_t> shape4, ArrayRef<int64_t> shape5) {
  if (!g.hasPureBufferSemantics() || g.getNumDpsInits() != 1 || g.getNumLoops() != g.getNumParallelLoops())
    return false;
  if (!g.getMatchingIndexingMap(g.getDpsInitOperand(0)).isIdentity())
    return false;
  for (AffineMap m : g.getIndexingMapsArray())
    if (!m.isProjectedPermutation(/*allowZeroInResults=*/false))
      return false;
  if (!g.getBody()->getOps<linalg::IndexOp>().empty())
    return false;
  auto t = cast<MemRefType>(g.getDpsInits()[0].getType());
  return t.getShape() == shape4 || t.getShape() == shape5;
}

struct Split {
  linalg::Conv2DNgchwGfchwOp conv;
  linalg::GenericOp init, act;
  int64_t G, Cg, Fg;
};

/// The 4-D buffer that the 5-D buffer `v` is an expand_shape of by `re`,
/// or null.
Value expandSource(Value v, ArrayRef<ReassociationIndices> re) {
  auto e = v.getDefiningOp<memref::ExpandShapeOp>();
  return e && e.getSrcType().getRank() == 4 && llvm::equal(e.getReassociationIndices(), re) ? e.getSrc() : Value();
}

/// Whether the 5-D buffer `v` has a 4-D view by `re` (fourD).
bool hasFourD(Value v, ArrayRef<ReassociationIndices> re) {
  return expandSource(v, re) ||
         memref::CollapseShapeOp::isGuaranteedCollapsible(cast<MemRefType>(v.getType()), re);
}

/// The 4-D view [A, B * C, D, E] (or [A * B, C, D, E]) of the 5-D buffer
/// `v` by `re` (hasFourD): the source of the expand_shape that made `v`, or
/// a new collapse_shape.
Value fourD(OpBuilder &b, Location loc, Value v, ArrayRef<ReassociationIndices> re) {
  if (Value src = expandSource(v, re))
    return src;
  return memref::CollapseShapeOp::create(b, loc, v, re);
}

/// Moves the inert ops that define `v` after `pt` (in `pt`'s block) before
/// it, operands first; false if `v` is defined after `pt` by anything else.
bool hoistBefore(Value v, Operation *pt) {
  Operation *d = v.getDefiningOp();
  // Block arguments and values of enclosing blocks dominate `pt`.
  if (!d || d->getBlock() != pt->getBlock() || d->isBeforeInBlock(pt))
    return true;
  if (!isInert(d))
    return false;
  for (Value o : d->getOperands())
    if (!hoistBefore(o, pt))
      return false;
  d->moveBefore(pt);
  return true;
}

/// Whether every operand of `g` is defined before `pt` or by inert ops
/// that can move there.
bool operandsHoistable(linalg::GenericOp g, Operation *pt) {
  std::function<bool(Value)> ok = [&](Value v) -> bool {
    Operation *d = v.getDefiningOp();
    if (!d || d->getBlock() != pt->getBlock() || d->isBeforeInBlock(pt))
      return true;
    if (!isInert(d))
      return false;
    return llvm::all_of(d->getOperands(), ok);
  };
  return llvm::all_of(g->getOperands(), ok);
}

/// Whether `conv` can be split, filling `s`.
bool analyze(linalg::Conv2DNgchwGfchwOp conv, Split &s) {
  if (!conv.hasPureBufferSemantics())
    return false;
  Value x = conv.getDpsInputs()[0], w = conv.getDpsInputs()[1], o = conv.getDpsInits()[0];
  auto xt = cast<MemRefType>(x.getType()), wt = cast<MemRefType>(w.getType()), ot = cast<MemRefType>(o.getType());
  for (MemRefType t : {xt, wt, ot})
    if (!t.getElementType().isF32())
      return false;
  // Static groups, channels, kernel and output size; the batch and the
  // input's spatial dims may be dynamic.
  if (!wt.hasStaticShape() || ot.isDynamicDim(1) || ot.isDynamicDim(2) || ot.isDynamicDim(3) ||
      ot.isDynamicDim(4) || xt.isDynamicDim(1) || xt.isDynamicDim(2))
    return false;
  // The 4-D views must exist (checked before anything changes).
  if (!hasFourD(x, groupedIO()) || !hasFourD(w, groupedFilter()) || !hasFourD(o, groupedIO()))
    return false;
  s.conv = conv;
  s.G = wt.getDimSize(0);
  s.Fg = wt.getDimSize(1);
  s.Cg = wt.getDimSize(2);
  if (s.G < 2)
    return false;
  SmallVector<int64_t> shape5(ot.getShape());
  SmallVector<int64_t> shape4{shape5[0], s.G * s.Fg, shape5[3], shape5[4]};
  Value outBase = stripReshapes(o), outRoot = bufferRoot(o);
  auto isFullOutput = [&](Value v) { return stripReshapes(v) == outBase; };
  auto readsOutput = [&](Value v) { return bufferRoot(v) == outRoot; };

  s.init = s.act = nullptr;
  Operation *prev = conv->getPrevNode();
  while (prev && isInert(prev))
    prev = prev->getPrevNode();
  if (auto g = dyn_cast_or_null<linalg::GenericOp>(prev))
    if (isElementwiseOverOutput(g, shape4, shape5) && isFullOutput(g.getDpsInits()[0]) &&
        llvm::none_of(g.getDpsInputs(), readsOutput))
      s.init = g;

  Operation *next = conv->getNextNode();
  while (next && isInert(next))
    next = next->getNextNode();
  if (auto g = dyn_cast_or_null<linalg::GenericOp>(next)) {
    Value dst = g.getDpsInits()[0];
    bool ok = isElementwiseOverOutput(g, shape4, shape5) && operandsHoistable(g, conv);
    bool readsOut = false;
    for (OpOperand *in : g.getDpsInputOperands()) {
      if (isFullOutput(in->get())) {
        readsOut = true;
        ok &= g.getMatchingIndexingMap(in).isIdentity();
      } else {
        ok &= !readsOutput(in->get()); // never a part of the output
      }
    }
    // The post op writes the output in place, or a buffer the convolution
    // does not read (later groups still read their input).
    if (!isFullOutput(dst))
      ok &= !readsOutput(dst) && bufferRoot(dst) != bufferRoot(x) && bufferRoot(dst) != bufferRoot(w) &&
            llvm::none_of(g.getDpsInputs(), [&](Value v) { return v != dst && bufferRoot(v) == bufferRoot(dst); });
    if (ok && readsOut)
      s.act = g;
  }
  return true;
}

/// `g` (element-wise over the output's 4-D or 5-D shape) re-created at
/// the builder's insertion point on group `gi`'s channels: the output and
/// its full views become `os`, every other operand a subview (rank-reduced
/// along the group dim of a 5-D domain) with its map re-indexed onto the
/// 4-D domain [N, F/G, OH, OW].
linalg::GenericOp perGroup(OpBuilder &b, linalg::GenericOp g, Value outBase, Value os, Value gi, Value gF,
                           int64_t Fg) {
  Location loc = g.getLoc();
  MLIRContext *ctx = b.getContext();
  bool five = g.getNumLoops() == 5;
  SmallVector<Value> ins, outs;
  SmallVector<AffineMap> maps;
  for (OpOperand &opnd : g->getOpOperands()) {
    Value v = opnd.get();
    AffineMap m = g.getMatchingIndexingMap(&opnd);
    bool isInit = g.isDpsInit(&opnd);
    if (stripReshapes(v) == outBase) {
      (isInit ? outs : ins).push_back(os);
      maps.push_back(AffineMap::getMultiDimIdentityMap(4, ctx));
      continue;
    }
    auto vt = cast<MemRefType>(v.getType());
    SmallVector<OpFoldResult> offs, sizes, strides(vt.getRank(), b.getIndexAttr(1));
    SmallVector<AffineExpr> exprs;
    SmallVector<int64_t> kept;
    bool dropped = false;
    for (auto [i, e] : llvm::enumerate(m.getResults())) {
      unsigned j = cast<AffineDimExpr>(e).getPosition();
      if (five && j == 1) { // the group: one, dropped
        offs.push_back(gi);
        sizes.push_back(b.getIndexAttr(1));
        dropped = true;
        continue;
      }
      if (!five && j == 1) { // the group's output channels
        offs.push_back(gF);
        sizes.push_back(b.getIndexAttr(Fg));
        kept.push_back(Fg);
      } else {
        offs.push_back(b.getIndexAttr(0));
        sizes.push_back(memref::getMixedSize(b, loc, v, i));
        kept.push_back(vt.getDimSize(i));
      }
      exprs.push_back(getAffineDimExpr(five && j > 1 ? j - 1 : j, ctx));
    }
    Value view = v;
    if (vt.getRank() > 0) {
      if (dropped) {
        MemRefType rt = memref::SubViewOp::inferRankReducedResultType(kept, vt, offs, sizes, strides);
        view = memref::SubViewOp::create(b, loc, rt, v, offs, sizes, strides);
      } else {
        view = memref::SubViewOp::create(b, loc, v, offs, sizes, strides);
      }
    }
    (isInit ? outs : ins).push_back(view);
    maps.push_back(AffineMap::get(4, 0, exprs, ctx));
  }
  auto ng = linalg::GenericOp::create(b, loc, TypeRange{}, ins, outs, maps,
                                      SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel));
  for (NamedAttribute a : g->getDiscardableAttrs())
    if (a.getName().strref().starts_with("kiln."))
      ng->setAttr(a.getName(), a.getValue());
  ng->setAttr(kEpilogueAttr, b.getUnitAttr());
  IRMapping map;
  g.getRegion().cloneInto(&ng.getRegion(), map);
  return ng;
}

void split(Split s) {
  linalg::Conv2DNgchwGfchwOp conv = s.conv;
  Location loc = conv.getLoc();
  if (s.act)
    for (Value v : s.act->getOperands())
      (void)hoistBefore(v, conv);
  OpBuilder b(conv);
  Value xg = conv.getDpsInputs()[0], wg = conv.getDpsInputs()[1], og = conv.getDpsInits()[0];
  Value x4 = fourD(b, loc, xg, groupedIO()), w4 = fourD(b, loc, wg, groupedFilter()), o4 = fourD(b, loc, og, groupedIO());
  auto o4t = cast<MemRefType>(o4.getType());
  auto wt = cast<MemRefType>(wg.getType());
  int64_t KH = wt.getDimSize(3), KW = wt.getDimSize(4);
  OpFoldResult N = memref::getMixedSize(b, loc, x4, 0), H = memref::getMixedSize(b, loc, x4, 2),
               W = memref::getMixedSize(b, loc, x4, 3), ON = memref::getMixedSize(b, loc, o4, 0);
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0), c1 = arith::ConstantIndexOp::create(b, loc, 1);
  Value cG = arith::ConstantIndexOp::create(b, loc, s.G);
  auto loop = scf::ForOp::create(b, loc, c0, cG, c1);
  // Groups on threads when the convolution does enough work (dynamic dims
  // counted as 1).
  if (kiln::cpu::iterationWork(cast<linalg::LinalgOp>(conv.getOperation())) >= kiln::cpu::kMinParallelWork)
    loop->setAttr(kiln::cpu::kParallelAttr, b.getUnitAttr());
  b.setInsertionPointToStart(loop.getBody());
  Value gi = loop.getInductionVar();
  Value gC = arith::MulIOp::create(b, loc, gi, arith::ConstantIndexOp::create(b, loc, s.Cg));
  Value gF = arith::MulIOp::create(b, loc, gi, arith::ConstantIndexOp::create(b, loc, s.Fg));
  OpFoldResult z = b.getIndexAttr(0), one = b.getIndexAttr(1);
  SmallVector<OpFoldResult> unit(4, one);
  Value xs = memref::SubViewOp::create(b, loc, x4, SmallVector<OpFoldResult>{z, gC, z, z},
                                       SmallVector<OpFoldResult>{N, b.getIndexAttr(s.Cg), H, W}, unit);
  Value ws = memref::SubViewOp::create(
      b, loc, w4, SmallVector<OpFoldResult>{gF, z, z, z},
      SmallVector<OpFoldResult>{b.getIndexAttr(s.Fg), b.getIndexAttr(s.Cg), b.getIndexAttr(KH), b.getIndexAttr(KW)},
      unit);
  Value os = memref::SubViewOp::create(
      b, loc, o4, SmallVector<OpFoldResult>{z, gF, z, z},
      SmallVector<OpFoldResult>{ON, b.getIndexAttr(s.Fg), b.getIndexAttr(o4t.getDimSize(2)),
                                b.getIndexAttr(o4t.getDimSize(3))},
      unit);
  Value outBase = stripReshapes(og);
  // The post op's views before the convolution and the init (which
  // kiln-cpu-tile-and-vectorize wants right before the convolution, and the
  // post op's destination ready before both); the post op moves after the
  // convolution below.
  linalg::GenericOp act;
  if (s.act)
    act = perGroup(b, s.act, outBase, os, gi, gF, s.Fg);
  if (s.init)
    perGroup(b, s.init, outBase, os, gi, gF, s.Fg);
  auto plain = linalg::Conv2DNchwFchwOp::create(b, loc, TypeRange{}, ValueRange{xs, ws}, ValueRange{os},
                                                conv.getStridesAttr(), conv.getDilationsAttr());
  for (NamedAttribute a : conv->getDiscardableAttrs())
    if (a.getName().strref().starts_with("kiln."))
      plain->setAttr(a.getName(), a.getValue());
  if (act) {
    act->moveAfter(plain);
    s.act.erase();
  }
  conv.erase();
  if (s.init)
    s.init.erase();
}

struct SplitGroupsPass : kiln::cpu::impl::CPUSplitGroupsBase<SplitGroupsPass> {
  void runOnOperation() override {
    std::atomic<uint64_t> &numSplit = kiln::passStatistic(
        getArgument(), "convs-split", "Grouped convolutions computed as a loop over plain convolutions");
    SmallVector<linalg::Conv2DNgchwGfchwOp> convs;
    getOperation().walk([&](linalg::Conv2DNgchwGfchwOp c) { convs.push_back(c); });
    for (linalg::Conv2DNgchwGfchwOp c : convs) {
      Split s;
      if (!analyze(c, s))
        continue;
      split(s);
      ++numSplit;
    }
  }
};

} // namespace
