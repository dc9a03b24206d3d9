//===- MergeSiblings.cpp - convs/matmuls sharing an input into one op -----===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// kiln-nn-merge-siblings: Inception branches (several 1x1 convs of one
// feature map) and the Q/K/V projections of attention (several matmuls of
// one activation by constant weights) become one conv/matmul with the
// weights concatenated along the output channels, followed by one nn.slice
// per original op.  The FLOPs are the same; the input is read once and the
// wider op uses the vector units and caches better.
//
//===----------------------------------------------------------------------===//

#include "kiln/Transforms/ConstantUtils.h"
#include "kiln/Transforms/Passes.h"
#include "kiln/Transforms/Statistics.h"

#include "llvm/ADT/MapVector.h"

namespace kiln {
#define GEN_PASS_DEF_NNMERGESIBLINGS
#include "kiln/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// Widest merged op (sum of the siblings' F or N): beyond this the merged
/// weight tensor stops fitting the caches any better than the pieces, and
/// the slices copy more than the shared input read saves.
constexpr int64_t kMaxMergedWidth = 4096;

/// One sibling: the op, its constant weights and bias (bias empty = none),
/// and its width (F or N).
struct Sibling {
  Operation *op;
  SmallVector<float> weight, bias;
  int64_t width;
};

RankedTensorType resultType(Operation *op) { return cast<RankedTensorType>(op->getResult(0).getType()); }

/// Reads conv `c`'s constant filter and bias if it may be merged at all.
std::optional<Sibling> convSibling(nn::ConvOp c) {
  auto rt = resultType(c);
  auto ft = dyn_cast<RankedTensorType>(c.getFilter().getType());
  if (c.getGroups() != 1 || c.getResidual() || rt.getRank() < 3 || ShapedType::isDynamic(rt.getDimSize(1)) ||
      !rt.getElementType().isF32() || !ft || !ft.hasStaticShape() || !ft.getElementType().isF32())
    return std::nullopt;
  Sibling s{c, {}, {}, ft.getDimSize(0)};
  if (!readF32Constant(c.getFilter(), s.weight))
    return std::nullopt;
  if (c.getBias() && (!readF32Constant(c.getBias(), s.bias) || (int64_t)s.bias.size() != s.width))
    return std::nullopt;
  return s;
}

/// Reads matmul `m`'s constant rhs [1..., K, N] and bias if it may be merged.
std::optional<Sibling> matmulSibling(nn::MatmulOp m) {
  auto rt = resultType(m);
  auto wt = dyn_cast<RankedTensorType>(m.getRhs().getType());
  if (m.getResidual() || ShapedType::isDynamic(rt.getDimSize(rt.getRank() - 1)) ||
      !rt.getElementType().isF32() || !wt || !wt.hasStaticShape() || !wt.getElementType().isF32() ||
      wt.getRank() < 2)
    return std::nullopt;
  for (int64_t d = 0; d + 2 < wt.getRank(); ++d)
    if (wt.getDimSize(d) != 1)
      return std::nullopt;
  Sibling s{m, {}, {}, wt.getDimSize(wt.getRank() - 1)};
  if (!readF32Constant(m.getRhs(), s.weight))
    return std::nullopt;
  if (m.getBias() && (!readF32Constant(m.getBias(), s.bias) || (int64_t)s.bias.size() != s.width))
    return std::nullopt;
  return s;
}

/// Same shape except (possibly) dim `except`.  A dynamic dim matches a
/// dynamic dim: the siblings read the same input, so their batch (and
/// spatial, or M) sizes are the same at run time.
bool sameShapeExcept(RankedTensorType a, RankedTensorType b, int64_t except) {
  if (a.getRank() != b.getRank())
    return false;
  for (int64_t d = 0; d < a.getRank(); ++d)
    if (d != except && a.getDimSize(d) != b.getDimSize(d))
      return false;
  return true;
}

/// True if `a` and `b` (both eligible siblings of one input) compute the
/// same kind of op and may share one merged op.
bool compatible(Operation *a, Operation *b) {
  if (a->getName() != b->getName() || a->getBlock() != b->getBlock())
    return false;
  if (auto ca = dyn_cast<nn::ConvOp>(a)) {
    auto cb = cast<nn::ConvOp>(b);
    return ca.getStridesAttr() == cb.getStridesAttr() && ca.getDilationsAttr() == cb.getDilationsAttr() &&
           ca.getPadsAttr() == cb.getPadsAttr() && ca.getActAttr() == cb.getActAttr() &&
           ca.getActAlphaAttr() == cb.getActAlphaAttr() && ca.getActBetaAttr() == cb.getActBetaAttr() &&
           sameShapeExcept(cast<RankedTensorType>(ca.getFilter().getType()),
                           cast<RankedTensorType>(cb.getFilter().getType()), 0) &&
           sameShapeExcept(resultType(a), resultType(b), 1);
  }
  auto ma = cast<nn::MatmulOp>(a), mb = cast<nn::MatmulOp>(b);
  auto wa = cast<RankedTensorType>(ma.getRhs().getType()), wb = cast<RankedTensorType>(mb.getRhs().getType());
  return ma.getActAttr() == mb.getActAttr() && ma.getActAlphaAttr() == mb.getActAlphaAttr() &&
         ma.getActBetaAttr() == mb.getActBetaAttr() && sameShapeExcept(wa, wb, wa.getRank() - 1) &&
         sameShapeExcept(resultType(a), resultType(b), resultType(a).getRank() - 1);
}

/// Replaces the siblings of `group` (in block order) by one merged op and
/// one slice each.
void mergeGroup(ArrayRef<Sibling> group) {
  Operation *first = group.front().op;
  OpBuilder b(first);
  MLIRContext *ctx = first->getContext();
  SmallVector<Location> locs;
  for (const Sibling &s : group)
    locs.push_back(s.op->getLoc());
  Location loc = FusedLoc::get(ctx, locs);
  bool isConv = isa<nn::ConvOp>(first);
  auto rt0 = resultType(first);
  int64_t cd = isConv ? 1 : rt0.getRank() - 1;
  int64_t total = 0;
  bool anyBias = false;
  for (const Sibling &s : group) {
    total += s.width;
    anyBias |= !s.bias.empty();
  }
  // Weights concatenated along the output channels, biases likewise.
  Value w0 = isConv ? cast<nn::ConvOp>(first).getFilter() : cast<nn::MatmulOp>(first).getRhs();
  auto wt0 = cast<RankedTensorType>(w0.getType());
  SmallVector<int64_t> wshape(wt0.getShape());
  SmallVector<float> weight, bias;
  if (isConv) {
    wshape[0] = total; // [F, C, k...]: rows of the filters one after another
    for (const Sibling &s : group)
      weight.append(s.weight.begin(), s.weight.end());
  } else {
    int64_t r = wt0.getRank(), K = wt0.getDimSize(r - 2);
    wshape[r - 1] = total; // [1..., K, N]: columns side by side
    weight.resize(K * total);
    int64_t off = 0;
    for (const Sibling &s : group) {
      for (int64_t k = 0; k < K; ++k)
        for (int64_t n = 0; n < s.width; ++n)
          weight[k * total + off + n] = s.weight[k * s.width + n];
      off += s.width;
    }
  }
  for (const Sibling &s : group) {
    if (s.bias.empty())
      bias.append(s.width, 0.0f);
    else
      bias.append(s.bias.begin(), s.bias.end());
  }
  auto f32 = b.getF32Type();
  auto wt = RankedTensorType::get(wshape, f32);
  Value nw = isConv ? makeF32Constant(b, loc, wt, weight, "kiln_merged_weight")
                    : makeF32MatmulWeight(b, loc, wt, weight, "kiln_merged_weight");
  Value nb;
  if (anyBias)
    nb = makeF32Constant(b, loc, RankedTensorType::get({total}, f32), bias, "kiln_merged_bias");
  SmallVector<int64_t> rshape(rt0.getShape());
  rshape[cd] = total;
  auto mt = RankedTensorType::get(rshape, f32);
  Operation *merged;
  if (auto c = dyn_cast<nn::ConvOp>(first))
    merged = nn::ConvOp::create(b, loc, mt, c.getInput(), nw, nb, Value(), c.getStridesAttr(),
                                c.getDilationsAttr(), c.getPadsAttr(), c.getGroupsAttr(), c.getActAttr(),
                                c.getActAlphaAttr(), c.getActBetaAttr());
  else {
    auto m = cast<nn::MatmulOp>(first);
    merged = nn::MatmulOp::create(b, loc, mt, m.getLhs(), nw, nb, Value(), m.getActAttr(),
                                  m.getActAlphaAttr(), m.getActBetaAttr());
  }
  // The slices sit right after the merged op (a dynamic dim of a slice's
  // result takes the whole dim, as it must: only the channel dim is cut), before every original, so they
  // dominate all the originals' uses.
  int64_t off = 0;
  SmallVector<int64_t> strides(rt0.getRank(), 1);
  for (const Sibling &s : group) {
    SmallVector<int64_t> offsets(rt0.getRank(), 0);
    offsets[cd] = off;
    off += s.width;
    Value slice = nn::SliceOp::create(b, s.op->getLoc(), resultType(s.op), merged->getResult(0),
                                      b.getDenseI64ArrayAttr(offsets), b.getDenseI64ArrayAttr(strides));
    s.op->getResult(0).replaceAllUsesWith(slice);
  }
  for (const Sibling &s : group)
    s.op->erase();
}

struct NNMergeSiblingsPass : kiln::impl::NNMergeSiblingsBase<NNMergeSiblingsPass> {
  void runOnOperation() override {
    auto &numMerged = passStatistic(getArgument(), "siblings-merged",
                                    "Convs/matmuls removed by merging them into a sibling");
    auto &numGroups = passStatistic(getArgument(), "groups-formed", "Merged convs/matmuls created");
    // Candidates by shared input, in program order.
    llvm::MapVector<Value, SmallVector<Sibling>> byInput;
    getOperation().walk([&](Operation *op) {
      if (auto c = dyn_cast<nn::ConvOp>(op)) {
        if (auto s = convSibling(c))
          byInput[c.getInput()].push_back(std::move(*s));
      } else if (auto m = dyn_cast<nn::MatmulOp>(op)) {
        if (auto s = matmulSibling(m))
          byInput[m.getLhs()].push_back(std::move(*s));
      }
    });
    bool changed = false;
    for (auto &[input, cands] : byInput) {
      std::vector<bool> used(cands.size(), false);
      for (size_t i = 0; i < cands.size(); ++i) {
        if (used[i])
          continue;
        // A group: the first unused candidate and every later compatible one
        // while the merged width stays within the cap.
        SmallVector<size_t> members{i};
        int64_t width = cands[i].width;
        for (size_t j = i + 1; j < cands.size(); ++j)
          if (!used[j] && compatible(cands[i].op, cands[j].op) && width + cands[j].width <= kMaxMergedWidth) {
            members.push_back(j);
            width += cands[j].width;
          }
        if (members.size() < 2)
          continue;
        SmallVector<Sibling> group;
        for (size_t j : members) {
          used[j] = true;
          group.push_back(std::move(cands[j]));
        }
        // Block order (the walk visits a block's ops in order, but keep it
        // explicit: the merged op goes where the first one was).
        llvm::sort(group, [](const Sibling &a, const Sibling &b) { return a.op->isBeforeInBlock(b.op); });
        mergeGroup(group);
        numMerged += group.size() - 1;
        ++numGroups;
        changed = true;
      }
    }
    if (changed)
      eraseDeadConstants(getOperation());
  }
};

} // namespace
