//===- FuseAttention.cpp - MatMul/Softmax/MatMul chains into nn.attention -===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// kiln-nn-fuse-attention (Passes.td): exporters write scaled dot-product
// attention as
//
//   P = softmax(scale * (Q' x K^T') + mask_1 + ... + mask_n, axis = last)
//   O = P x V
//
// with the scale as a Mul or Div by a scalar constant, either after the
// first product or on Q' (and K^T': torch's SDPA export scales both by the
// square root), and the masks as Adds.  The chain becomes one nn.attention,
// whose lowering never materializes P.  Heads are batch dims already (the
// reshapes and transposes around them stay as they are); K^T' from a
// transpose becomes the key ([.., Lk, D]) through one transpose of that
// transpose's input, which composes into the lowering's own.
//
//===----------------------------------------------------------------------===//

#include "kiln/Transforms/ConstantUtils.h"
#include "kiln/Transforms/Passes.h"
#include "kiln/Transforms/Statistics.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>

namespace kiln {
#define GEN_PASS_DEF_NNFUSEATTENTION
#include "kiln/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

bool allOnes(ArrayRef<int64_t> shape) {
  return llvm::all_of(shape, [](int64_t d) { return d == 1; });
}

/// `v` is an f32 constant with every dim 1 (a scalar): its value.
bool scalarF32(Value v, double &c) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && t.getElementType().isF32() && allOnes(t.getShape()) && isFloatSplatConstant(v, c);
}

/// A finite scalar constant: a scale.
bool scalarConstant(Value v, double &c) { return scalarF32(v, c) && std::isfinite(c); }

/// The shape of a top-left causal mask of the [.., lq, lk] scores: [1, ..,
/// 1, L, L] with static L = lq = lk.
bool causalShape(Value m, int64_t lq, int64_t lk) {
  auto t = cast<RankedTensorType>(m.getType());
  int64_t r = t.getRank();
  return lq == lk && !ShapedType::isDynamic(lq) && t.getDimSize(r - 2) == lq && t.getDimSize(r - 1) == lk &&
         allOnes(t.getShape().drop_back(2));
}

/// `x` is `y * c`, `c * y` or `y / c` for a scalar constant c, with y of
/// x's type: sets y and the factor.
bool scaledBy(Value x, Value &y, double &f) {
  auto bo = x.getDefiningOp<nn::BinaryOp>();
  if (!bo)
    return false;
  double c;
  Value l = bo.getLhs(), r = bo.getRhs();
  if (bo.getKind() == nn::BinaryKind::mul) {
    if (l.getType() == x.getType() && scalarConstant(r, c)) {
      y = l, f = c;
      return true;
    }
    if (r.getType() == x.getType() && scalarConstant(l, c)) {
      y = r, f = c;
      return true;
    }
  }
  if (bo.getKind() == nn::BinaryKind::div && l.getType() == x.getType() && scalarConstant(r, c) && c != 0) {
    y = l, f = 1.0 / c;
    return true;
  }
  return false;
}

/// A [1, .., 1, L, L] constant mask that keeps j <= i (0) and removes j > i
/// (-inf or at most -1e4, which exp() takes to 0 like -inf for scores
/// within 1e4 of each other): top-left causal attention.
bool isCausalMask(Value m, int64_t lq, int64_t lk) {
  if (!causalShape(m, lq, lk))
    return false;
  SmallVector<float> vals;
  if (!readF32Constant(m, vals) || (int64_t)vals.size() != lq * lk)
    return false;
  for (int64_t i = 0; i < lq; ++i)
    for (int64_t j = 0; j < lk; ++j) {
      float x = vals[i * lk + j];
      if (j <= i ? x != 0.0f : !(x <= -1e4f))
        return false;
    }
  return true;
}

/// Whether `s` (of type `st`) is computed from a product (nn.matmul)
/// through Adds, Muls, Divs and Selects of that type.
bool leadsToProduct(Value s, RankedTensorType st, int depth = 8) {
  if (s.getType() != st || depth == 0)
    return false;
  Operation *d = s.getDefiningOp();
  if (isa_and_nonnull<nn::MatmulOp>(d))
    return true;
  if (auto b = dyn_cast_or_null<nn::BinaryOp>(d))
    return (b.getKind() == nn::BinaryKind::add || b.getKind() == nn::BinaryKind::mul ||
            b.getKind() == nn::BinaryKind::div) &&
           (leadsToProduct(b.getLhs(), st, depth - 1) || leadsToProduct(b.getRhs(), st, depth - 1));
  if (auto sel = dyn_cast_or_null<nn::SelectOp>(d))
    return leadsToProduct(sel.getTrueValue(), st, depth - 1) || leadsToProduct(sel.getFalseValue(), st, depth - 1);
  return false;
}

/// `v` is a scalar f32 constant (every dim 1) of -inf or at most -1e4:
/// the fill of a masked_fill.
bool negativeFill(Value v, double &fill) { return scalarF32(v, fill) && fill <= -1e4; }

/// A constant i1 [1, .., 1, L, L] mask that keeps (true, or false when
/// `inverted`) exactly the positions j <= i: top-left causal.
bool isCausalBool(Value m, bool inverted, int64_t lq, int64_t lk) {
  if (!causalShape(m, lq, lk))
    return false;
  DenseElementsAttr a;
  if (!matchPattern(m, m_Constant(&a)))
    return false;
  int64_t idx = 0;
  for (bool keep : a.getValues<bool>()) {
    int64_t i = idx / lk, j = idx % lk;
    ++idx;
    if ((keep != inverted) != (j <= i))
      return false;
  }
  return idx == lq * lk;
}

/// A per-window mask of Swin's shifted windows: the scores [B, H, Lq, Lk]
/// viewed as [B / w, w, H, Lq, Lk] and `mask` [1, w or 1, H or 1, Lq or 1,
/// Lk or 1] added (window b % w of batch b).
struct WindowMask {
  Value mask;
  nn::ReshapeOp view; // the scores as [B / w, w, ..]
  /// tensor.dim of the view or the masked view (an exporter's shape
  /// arithmetic for the view back), answered from the view's shape.
  SmallVector<Operation *> dims;
};

struct Chain {
  Value q, kt, v;
  SmallVector<Value> masks;
  SmallVector<WindowMask> windowMasks;
  SmallVector<tensor::DimOp> scoreDims; // tensor.dim ops of the scores
  /// A Where's condition: positions where it is true (false when
  /// boolInverted) are kept; the others get -inf (boolFillIsInf) or a
  /// large negative value.
  Value boolMask;
  bool boolInverted = false, boolFillIsInf = false, boolCausal = false;
  double scale = 1;
  SmallVector<Operation *> ops; // the matched ops, last (the P x V) first
};

/// `back` views [B / w, w, H, Lq, Lk] scores with a per-window mask added
/// back as the `st` [B, H, Lq, Lk] scores (Swin's shifted-window attention,
/// torchvision's `attn.view(B // nW, nW, ..) + mask.unsqueeze(1).unsqueeze(0)`):
/// the mask, the view and its dims' users; the ops (the Add and both views)
/// appended to `ops`.
bool matchWindowMask(nn::ReshapeOp back, RankedTensorType st, WindowMask &wm, SmallVector<Operation *> &ops) {
  if (st.getRank() != 4)
    return false;
  auto add = back.getInput().getDefiningOp<nn::BinaryOp>();
  // Besides the chain, the view and the masked view may be used by
  // tensor.dim ops only.
  SmallVector<Operation *> dims;
  auto onlyDims = [&](Value x, Operation *chainUser) {
    for (Operation *u : x.getUsers()) {
      if (u == chainUser)
        continue;
      if (!isa<tensor::DimOp>(u))
        return false;
      dims.push_back(u);
    }
    return true;
  };
  if (!add || add.getKind() != nn::BinaryKind::add || !onlyDims(add.getResult(), back))
    return false;
  auto t5 = cast<RankedTensorType>(add.getType());
  if (t5.getRank() != 5 || !t5.getElementType().isF32())
    return false;
  Value v = add.getLhs(), m = add.getRhs();
  auto isView = [&](Value x) {
    auto r = x.getDefiningOp<nn::ReshapeOp>();
    return r && r.getInput().getType() == st && x.getType() == t5;
  };
  if (!isView(v))
    std::swap(v, m);
  if (!isView(v))
    return false;
  // [a, w, H, Lq, Lk] of [a * w, H, Lq, Lk] (the element counts agree, so
  // with H, Lq and Lk static and kept, a x w is the batch).
  ArrayRef<int64_t> inner = st.getShape().drop_front(1);
  if (t5.getShape().drop_front(2) != inner || ShapedType::isDynamicShape(inner))
    return false;
  int64_t a = t5.getDimSize(0), w = t5.getDimSize(1), b = st.getDimSize(0);
  if (!ShapedType::isDynamic(b) && !ShapedType::isDynamic(a) && !ShapedType::isDynamic(w) && a * w != b)
    return false;
  // The mask: [1, w or 1, ..]: the Add broadcasts it over a (its dim 1 is
  // w or 1 at run time, whichever it is).
  auto mt = cast<RankedTensorType>(m.getType());
  if (mt.getRank() != 5 || !mt.getElementType().isF32() || mt.getDimSize(0) != 1 ||
      ShapedType::isDynamicShape(mt.getShape().drop_front(2)))
    return false;
  if (!ShapedType::isDynamic(mt.getDimSize(1)) && !ShapedType::isDynamic(w) && mt.getDimSize(1) != 1 &&
      mt.getDimSize(1) != w)
    return false;
  for (int64_t i = 2; i < 5; ++i)
    if (mt.getDimSize(i) != 1 && mt.getDimSize(i) != t5.getDimSize(i))
      return false;
  if (!onlyDims(v, add))
    return false;
  wm = {m, v.getDefiningOp<nn::ReshapeOp>(), dims};
  ops.append({back, add, v.getDefiningOp()});
  return true;
}

/// The 4-D mask [B or 1, ..] of window mask `wm` for attention whose query
/// `s` is [B, ..]: window b % w at batch b (the mask repeated B / w times).
Value windowMaskAs4D(OpBuilder &b, Location loc, const WindowMask &wm, Value s) {
  auto mt = cast<RankedTensorType>(wm.mask.getType());
  auto st = cast<RankedTensorType>(s.getType());
  Type f32 = b.getF32Type(), i64 = b.getI64Type();
  ArrayRef<int64_t> inner = mt.getShape().drop_front(2);
  auto with = [&](int64_t d0) {
    SmallVector<int64_t> shape{d0};
    shape.append(inner.begin(), inner.end());
    return RankedTensorType::get(shape, f32);
  };
  if (mt.getDimSize(1) == 1) // (one mask for every window)
    return nn::ReshapeOp::create(b, loc, with(1), wm.mask, Value()).getResult();
  int64_t bs = st.getDimSize(0), w = mt.getDimSize(1);
  bool dynamic = ShapedType::isDynamic(bs) || ShapedType::isDynamic(w);
  SmallVector<int64_t> rep{dynamic ? ShapedType::kDynamic : bs / w, w};
  rep.append(inner.begin(), inner.end());
  auto repT = RankedTensorType::get(rep, f32);
  if (!dynamic) {
    Value r = nn::BroadcastOp::create(b, loc, repT, wm.mask, Value()).getResult();
    return nn::ReshapeOp::create(b, loc, with(bs), r, Value()).getResult();
  }
  // At run time: broadcast to [B / w, w, ..] (w the mask's dim 1), then
  // view as [B, ..].
  auto vecT = [&](int64_t n) { return RankedTensorType::get({n}, i64); };
  auto constI64 = [&](ArrayRef<int64_t> vals) {
    return makeI64Constant(b, loc, vecT((int64_t)vals.size()), vals, "window_mask_shape");
  };
  Value batch = nn::ShapeOfOp::create(b, loc, vecT(1), s, b.getI64IntegerAttr(0), b.getI64IntegerAttr(1));
  Value wv = nn::ShapeOfOp::create(b, loc, vecT(1), wm.mask, b.getI64IntegerAttr(1), b.getI64IntegerAttr(2));
  Value groups = nn::BinaryOp::create(b, loc, vecT(1), batch, wv, nn::BinaryKind::div).getResult();
  Value shape5 =
      nn::ConcatOp::create(b, loc, vecT(5), ValueRange{groups, wv, constI64(inner)}, 0).getResult();
  Value r = nn::BroadcastOp::create(b, loc, repT, wm.mask, shape5).getResult();
  Value shape4 = nn::ConcatOp::create(b, loc, vecT(4), ValueRange{batch, constI64(inner)}, 0).getResult();
  return nn::ReshapeOp::create(b, loc, with(bs), r, shape4).getResult();
}

/// Replaces the tensor.dim ops of a window view (and of the masked view:
/// the same shape) by its static dims or the entries of its shape operand,
/// so that the views can go.
void answerViewDims(IRRewriter &b, const WindowMask &wm) {
  nn::ReshapeOp view = wm.view;
  auto t5 = cast<RankedTensorType>(view.getType());
  for (Operation *op : wm.dims) {
    auto dim = cast<tensor::DimOp>(op);
    std::optional<int64_t> i = dim.getConstantIndex();
    b.setInsertionPoint(dim);
    Location loc = dim.getLoc();
    Value r;
    if (i && *i >= 0 && *i < 5 && !t5.isDynamicDim(*i)) {
      r = arith::ConstantIndexOp::create(b, loc, t5.getDimSize(*i));
    } else if (i && *i >= 0 && *i < 5 && view.getShape()) {
      Value e = tensor::ExtractOp::create(b, loc, view.getShape(),
                                          ValueRange{arith::ConstantIndexOp::create(b, loc, *i)});
      r = arith::IndexCastOp::create(b, loc, b.getIndexType(), e);
    } else {
      continue; // (the view stays, computed for its dims)
    }
    b.replaceOp(dim, r);
  }
}

/// The attention chain ending at `sm`, if it is one.
std::optional<Chain> match(nn::SoftmaxOp sm) {
  auto st = cast<RankedTensorType>(sm.getType());
  int64_t r = st.getRank();
  if ((r != 3 && r != 4) || sm.getLog() || (int64_t)sm.getAxis() != r - 1 || !st.getElementType().isF32() ||
      !sm->hasOneUse())
    return std::nullopt;
  auto pv = dyn_cast<nn::MatmulOp>(*sm->getUsers().begin());
  if (!pv || pv.getLhs() != sm.getResult() || pv.hasEpilogue())
    return std::nullopt;
  Chain c;
  c.v = pv.getRhs();
  c.ops = {pv, sm};
  // Back from the softmax: masks (Adds), then scales, then Q x K^T.
  Value x = sm.getInput();
  bool scaled = false;
  nn::MatmulOp qk;
  while (true) {
    // One use on the chain; others only for the scores' dims (an
    // exporter's shape arithmetic), answered from Q and K^T after fusion.
    if (x.getType() != st)
      return std::nullopt;
    unsigned chainUses = 0;
    for (Operation *u : x.getUsers()) {
      if (auto dim = dyn_cast<tensor::DimOp>(u))
        c.scoreDims.push_back(dim);
      else
        ++chainUses;
    }
    if (chainUses != 1)
      return std::nullopt;
    Operation *def = x.getDefiningOp();
    if (auto mm = dyn_cast_or_null<nn::MatmulOp>(def)) {
      if (mm.hasEpilogue())
        return std::nullopt;
      qk = mm;
      break;
    }
    Value y;
    double f;
    if (scaledBy(x, y, f)) {
      c.scale *= f;
      scaled = true;
      c.ops.push_back(def);
      x = y;
      continue;
    }
    // A Where (masked_fill) with a large negative fill: a boolean mask.
    if (auto sel = dyn_cast_or_null<nn::SelectOp>(def)) {
      if (scaled || c.boolMask)
        return std::nullopt;
      Value tv = sel.getTrueValue(), fv = sel.getFalseValue(), s;
      double fill;
      if (leadsToProduct(tv, st) && negativeFill(fv, fill)) {
        s = tv;
      } else if (leadsToProduct(fv, st) && negativeFill(tv, fill)) {
        s = fv;
        c.boolInverted = true;
      } else {
        return std::nullopt;
      }
      auto ct = cast<RankedTensorType>(sel.getCond().getType());
      if (ct.getRank() != r || !ct.getElementType().isInteger(1))
        return std::nullopt;
      c.boolMask = sel.getCond();
      c.boolFillIsInf = std::isinf(fill);
      c.ops.push_back(def);
      x = s;
      continue;
    }
    if (auto back = dyn_cast_or_null<nn::ReshapeOp>(def)) {
      WindowMask wm;
      if (scaled || !matchWindowMask(back, st, wm, c.ops))
        return std::nullopt;
      c.windowMasks.push_back(wm);
      x = wm.view.getInput();
      continue;
    }
    auto add = dyn_cast_or_null<nn::BinaryOp>(def);
    if (!add || add.getKind() != nn::BinaryKind::add || scaled)
      return std::nullopt; // (a mask inside the scale would need scaling)
    // The scores are the operand of the result's type that leads to the
    // product; the other operand is the mask.
    Value s = add.getLhs(), m = add.getRhs();
    if (!leadsToProduct(s, st))
      std::swap(s, m);
    if (!leadsToProduct(s, st))
      return std::nullopt;
    auto mt = cast<RankedTensorType>(m.getType());
    if (!mt.getElementType().isF32() || mt.getRank() != r)
      return std::nullopt;
    c.masks.push_back(m);
    c.ops.push_back(def);
    x = s;
  }
  c.ops.push_back(qk);
  c.q = qk.getLhs();
  c.kt = qk.getRhs();
  // Scales on the operands of the product.
  Value y;
  double f;
  if (c.q.hasOneUse() && scaledBy(c.q, y, f)) {
    c.ops.push_back(c.q.getDefiningOp());
    c.scale *= f;
    c.q = y;
  }
  if (c.kt.hasOneUse() && scaledBy(c.kt, y, f)) {
    c.ops.push_back(c.kt.getDefiningOp());
    c.scale *= f;
    c.kt = y;
  }
  // Heads and batch are dims of all four, without broadcasting: a value
  // or key path that mixes them is not attention per head.
  auto qt = cast<RankedTensorType>(c.q.getType()), kt = cast<RankedTensorType>(c.kt.getType()),
       vt = cast<RankedTensorType>(c.v.getType()), ot = cast<RankedTensorType>(pv.getType());
  for (RankedTensorType t : {qt, kt, vt, ot})
    if (t.getRank() != r || !t.getElementType().isF32())
      return std::nullopt;
  for (int64_t i = 0; i < r - 2; ++i)
    if (qt.getDimSize(i) != st.getDimSize(i) || kt.getDimSize(i) != st.getDimSize(i) ||
        vt.getDimSize(i) != st.getDimSize(i) || ot.getDimSize(i) != st.getDimSize(i))
      return std::nullopt;
  if (!std::isfinite(c.scale) || c.scale == 0 || !std::isfinite((float)c.scale))
    return std::nullopt;
  // A Where mask: causal (any large negative fill: no row is fully
  // masked), or with a -inf fill the op's i1 mask, alone (a finite fill
  // gives fully masked rows torch's uniform weights, not -inf's NaN).
  if (c.boolMask) {
    if (isCausalBool(c.boolMask, c.boolInverted, st.getDimSize(r - 2), st.getDimSize(r - 1)))
      c.boolCausal = true;
    else if (!c.boolFillIsInf || !c.masks.empty())
      return std::nullopt;
  }
  return c;
}

struct FuseAttentionPass : kiln::impl::NNFuseAttentionBase<FuseAttentionPass> {
  void runOnOperation() override {
    std::atomic<uint64_t> &numFused =
        passStatistic(getArgument(), "attention-fused", "MatMul/Softmax/MatMul chains fused into nn.attention");
    std::atomic<uint64_t> &numCausal =
        passStatistic(getArgument(), "causal-masks", "Constant causal masks turned into the causal flag");
    SmallVector<nn::SoftmaxOp> softmaxes;
    getOperation().walk([&](nn::SoftmaxOp sm) { softmaxes.push_back(sm); });
    IRRewriter b(&getContext());
    for (nn::SoftmaxOp sm : softmaxes) {
      std::optional<Chain> c = match(sm);
      if (!c)
        continue;
      auto pv = cast<nn::MatmulOp>(c->ops.front());
      // The profile's node: every fused node, in the graph's order.
      SmallVector<Location> locs;
      for (Operation *op : llvm::reverse(c->ops))
        locs.push_back(op->getLoc());
      Location loc = b.getFusedLoc(locs);
      b.setInsertionPoint(pv);
      auto st = cast<RankedTensorType>(sm.getType());
      int64_t r = st.getRank();
      // The key [.., Lk, D] from K^T [.., D, Lk].
      auto ktT = cast<RankedTensorType>(c->kt.getType());
      SmallVector<int64_t> swap = llvm::to_vector(llvm::seq<int64_t>(0, r));
      std::swap(swap[r - 2], swap[r - 1]);
      SmallVector<int64_t> kShape(ktT.getShape());
      std::swap(kShape[r - 2], kShape[r - 1]);
      auto keyT = RankedTensorType::get(kShape, ktT.getElementType());
      Value key;
      if (auto tr = c->kt.getDefiningOp<nn::TransposeOp>()) {
        SmallVector<int64_t> p;
        for (int64_t i = 0; i < r; ++i)
          p.push_back(tr.getPerm()[swap[i]]);
        key = llvm::equal(p, llvm::seq<int64_t>(0, r))
                  ? tr.getInput()
                  : nn::TransposeOp::create(b, loc, keyT, tr.getInput(), b.getDenseI64ArrayAttr(p)).getResult();
      } else {
        key = nn::TransposeOp::create(b, loc, keyT, c->kt, b.getDenseI64ArrayAttr(swap)).getResult();
      }
      // Masks: a constant causal one becomes the flag; the others add up.
      bool causal = false;
      Value mask;
      SmallVector<Value> masks(c->masks);
      for (const WindowMask &wm : c->windowMasks)
        answerViewDims(b, wm);
      // The scores' dims: Q's batch dims and rows, K^T's columns.
      for (tensor::DimOp dim : c->scoreDims)
        b.modifyOpInPlace(dim, [&] {
          std::optional<int64_t> i = dim.getConstantIndex();
          if (i && *i == r - 1)
            dim.getSourceMutable().assign(c->kt);
          else if (i)
            dim.getSourceMutable().assign(c->q);
        });
      b.setInsertionPoint(pv);
      for (const WindowMask &wm : c->windowMasks)
        masks.insert(masks.begin(), windowMaskAs4D(b, loc, wm, c->q)); // (after the Adds before it)
      for (Value m : llvm::reverse(masks)) { // (in the graph's order)
        if (!causal && isCausalMask(m, st.getDimSize(r - 2), st.getDimSize(r - 1))) {
          causal = true;
          ++numCausal;
          continue;
        }
        if (!mask) {
          mask = m;
          continue;
        }
        auto a = cast<RankedTensorType>(mask.getType()), e = cast<RankedTensorType>(m.getType());
        SmallVector<int64_t> shape;
        for (int64_t i = 0; i < r; ++i)
          shape.push_back(a.getDimSize(i) == 1 ? e.getDimSize(i) : a.getDimSize(i));
        mask = nn::BinaryOp::create(b, loc, RankedTensorType::get(shape, b.getF32Type()), mask, m,
                                    nn::BinaryKind::add)
                   .getResult();
      }
      if (c->boolMask) {
        if (c->boolCausal) {
          causal = true;
          ++numCausal;
        } else if (c->boolInverted) {
          // keep = !cond.
          mask = nn::UnaryOp::create(b, loc, c->boolMask.getType(), c->boolMask, nn::UnaryKind::logical_not,
                                     nullptr, nullptr)
                     .getResult();
        } else {
          mask = c->boolMask;
        }
      }
      auto att = nn::AttentionOp::create(b, loc, pv.getType(), c->q, key, c->v, mask,
                                         b.getF32FloatAttr((float)c->scale), causal ? b.getUnitAttr() : nullptr);
      b.replaceOp(pv, att.getResult());
      for (Operation *op : llvm::drop_begin(c->ops))
        if (op->use_empty())
          b.eraseOp(op);
      ++numFused;
    }
  }
};

} // namespace
