//===- FoldShapeArith.cpp - scalars read from shape tensors ----------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// kiln-nn-fold-shape-arith (Passes.td).  Exporters compute the target shapes
// of Reshape and Expand from the input's shape at run time (Shape -> Gather
// -> Unsqueeze -> Concat, torch's expand(n, -1, -1) with Equal/Where), and
// the onnx -> nn conversion reads the elements of such a shape tensor with
// tensor.extract.  This pass follows each extracted element back through the
// small integer tensors it came from and rebuilds it as a scalar: an element
// of nn.shape_of is a tensor.dim; of a concat, reshape or gather with a
// constant index, the element it copies; of nn.binary / nn.select / nn.fill
// / constants, the scalar arith op on the elements.  Canonicalization then
// folds what is constant, and a comparison of a dim (never negative)
// against a negative constant (ONNX's -1 "infer this dim") folds too.
// Buffer sizes then come from the inputs' dims and constants, which the
// static memory plan sizes when the run starts, and the dims fixed by
// constants become constants in the lowered code.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Transforms/Passes.h"
#include "kiln/Transforms/Statistics.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_NNFOLDSHAPEARITH
#include "kiln/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// Shape tensors are small: larger tensors are data, not shapes.
constexpr int64_t kMaxShapeElements = 64;

/// Element `idx` (row-major) of the static integer tensor `t` as a scalar of
/// its element type built at `b`'s insertion point, or null.
Value elementOf(OpBuilder &b, Location loc, Value t, int64_t idx, unsigned depth = 0) {
  auto tt = dyn_cast<RankedTensorType>(t.getType());
  if (depth > 16 || !tt || !tt.hasStaticShape() || tt.getNumElements() > kMaxShapeElements ||
      !tt.getElementType().isSignlessInteger() || idx < 0 || idx >= tt.getNumElements())
    return {};
  Type et = tt.getElementType();
  Operation *def = t.getDefiningOp();
  if (!def)
    return {};
  // Index of the same element in an operand broadcast to `tt` (numpy rules).
  auto broadcastIndex = [&](Value operand) -> std::optional<int64_t> {
    auto ot = dyn_cast<RankedTensorType>(operand.getType());
    if (!ot || !ot.hasStaticShape() || ot.getRank() > tt.getRank())
      return std::nullopt;
    SmallVector<int64_t> coord(tt.getRank());
    int64_t rem = idx;
    for (int64_t d = tt.getRank() - 1; d >= 0; --d) {
      coord[d] = rem % tt.getDimSize(d);
      rem /= tt.getDimSize(d);
    }
    int64_t lin = 0, off = tt.getRank() - ot.getRank();
    for (int64_t d = 0; d < ot.getRank(); ++d)
      lin = lin * ot.getDimSize(d) + (ot.getDimSize(d) == 1 ? 0 : coord[off + d]);
    return lin;
  };
  if (auto c = dyn_cast<arith::ConstantOp>(def)) {
    auto dense = dyn_cast<DenseIntElementsAttr>(c.getValue());
    if (!dense)
      return {};
    APInt v = dense.isSplat() ? dense.getSplatValue<APInt>() : *(dense.value_begin<APInt>() + idx);
    return arith::ConstantOp::create(b, loc, et, b.getIntegerAttr(et, v));
  }
  if (auto fe = dyn_cast<tensor::FromElementsOp>(def))
    return fe.getElements()[idx];
  if (auto s = dyn_cast<nn::ShapeOfOp>(def)) {
    if (tt.getRank() != 1)
      return {};
    Value d = tensor::DimOp::create(b, loc, s.getInput(), s.getStart() + idx);
    return arith::IndexCastOp::create(b, loc, et, d);
  }
  if (auto cat = dyn_cast<nn::ConcatOp>(def)) {
    if (tt.getRank() != 1)
      return {};
    int64_t at = idx;
    for (Value in : cat.getInputs()) {
      auto it = dyn_cast<RankedTensorType>(in.getType());
      if (!it || !it.hasStaticShape())
        return {};
      if (at < it.getNumElements())
        return elementOf(b, loc, in, at, depth + 1);
      at -= it.getNumElements();
    }
    return {};
  }
  if (auto r = dyn_cast<nn::ReshapeOp>(def)) {
    auto it = dyn_cast<RankedTensorType>(r.getInput().getType());
    if (!it || !it.hasStaticShape() || it.getNumElements() != tt.getNumElements())
      return {};
    return elementOf(b, loc, r.getInput(), idx, depth + 1);
  }
  if (auto g = dyn_cast<nn::GatherOp>(def)) {
    auto src = dyn_cast<RankedTensorType>(g.getInput().getType());
    DenseIntElementsAttr ind;
    if (g.getAxis() != 0 || !src || src.getRank() != 1 || !src.hasStaticShape() ||
        !matchPattern(g.getIndices(), m_Constant(&ind)))
      return {};
    int64_t i = ind.isSplat() ? ind.getSplatValue<APInt>().getSExtValue()
                              : (*(ind.value_begin<APInt>() + idx)).getSExtValue();
    if (i < 0)
      i += src.getDimSize(0);
    return elementOf(b, loc, g.getInput(), i, depth + 1);
  }
  if (auto f = dyn_cast<nn::FillOp>(def)) {
    auto v = dyn_cast<IntegerAttr>(f.getValue());
    if (!v)
      return {};
    return arith::ConstantOp::create(b, loc, et, b.getIntegerAttr(et, v.getValue()));
  }
  if (auto sel = dyn_cast<nn::SelectOp>(def)) {
    std::optional<int64_t> ic = broadcastIndex(sel.getCond()), ia = broadcastIndex(sel.getTrueValue()),
                           ib = broadcastIndex(sel.getFalseValue());
    if (!ic || !ia || !ib)
      return {};
    Value c = elementOf(b, loc, sel.getCond(), *ic, depth + 1);
    Value x = c ? elementOf(b, loc, sel.getTrueValue(), *ia, depth + 1) : Value();
    Value y = x ? elementOf(b, loc, sel.getFalseValue(), *ib, depth + 1) : Value();
    if (!y)
      return {};
    return arith::SelectOp::create(b, loc, c, x, y);
  }
  if (auto bin = dyn_cast<nn::BinaryOp>(def)) {
    std::optional<int64_t> il = broadcastIndex(bin.getLhs()), ir = broadcastIndex(bin.getRhs());
    if (!il || !ir)
      return {};
    // Only the kinds whose integer semantics are the arith op's.
    using K = nn::BinaryKind;
    K k = bin.getKind();
    if (k != K::add && k != K::sub && k != K::mul && k != K::eq && k != K::lt && k != K::gt && k != K::le &&
        k != K::ge && k != K::max && k != K::min)
      return {};
    Value l = elementOf(b, loc, bin.getLhs(), *il, depth + 1);
    Value r = l ? elementOf(b, loc, bin.getRhs(), *ir, depth + 1) : Value();
    if (!r || l.getType() != r.getType())
      return {};
    auto cmp = [&](arith::CmpIPredicate p) -> Value { return arith::CmpIOp::create(b, loc, p, l, r); };
    switch (k) {
    case K::add: return arith::AddIOp::create(b, loc, l, r);
    case K::sub: return arith::SubIOp::create(b, loc, l, r);
    case K::mul: return arith::MulIOp::create(b, loc, l, r);
    case K::max: return arith::MaxSIOp::create(b, loc, l, r);
    case K::min: return arith::MinSIOp::create(b, loc, l, r);
    case K::eq: return cmp(arith::CmpIPredicate::eq);
    case K::lt: return cmp(arith::CmpIPredicate::slt);
    case K::gt: return cmp(arith::CmpIPredicate::sgt);
    case K::le: return cmp(arith::CmpIPredicate::sle);
    case K::ge: return cmp(arith::CmpIPredicate::sge);
    default: return {};
    }
  }
  return {};
}

/// tensor.extract with constant indices of a shape tensor -> the scalar.
struct ExtractShapeElement : OpRewritePattern<tensor::ExtractOp> {
  ExtractShapeElement(MLIRContext *ctx, std::atomic<uint64_t> &n) : OpRewritePattern(ctx), n(n) {}
  std::atomic<uint64_t> &n;
  LogicalResult matchAndRewrite(tensor::ExtractOp ex, PatternRewriter &rewriter) const override {
    auto tt = dyn_cast<RankedTensorType>(ex.getTensor().getType());
    if (!tt || !tt.hasStaticShape())
      return failure();
    int64_t lin = 0;
    for (auto [d, i] : llvm::enumerate(ex.getIndices())) {
      std::optional<int64_t> c = getConstantIntValue(i);
      if (!c)
        return failure();
      lin = lin * tt.getDimSize(d) + *c;
    }
    Value v = elementOf(rewriter, ex.getLoc(), ex.getTensor(), lin);
    if (!v || v.getType() != ex.getType())
      return failure();
    rewriter.replaceOp(ex, v);
    ++n;
    return success();
  }
};

/// Whether the integer scalar `v` is never negative: a dim (through
/// index_cast), a non-negative constant, or a sum, product, maximum or
/// selection of such values.
bool isNonNegative(Value v, unsigned depth = 0) {
  if (depth > 16)
    return false;
  APInt c;
  if (matchPattern(v, m_ConstantInt(&c)))
    return !c.isNegative();
  Operation *d = v.getDefiningOp();
  if (!d)
    return false;
  if (isa<tensor::DimOp>(d))
    return true;
  if (isa<arith::IndexCastOp, arith::IndexCastUIOp, arith::ExtUIOp>(d))
    return isNonNegative(d->getOperand(0), depth + 1);
  if (isa<arith::AddIOp, arith::MulIOp, arith::MaxSIOp>(d))
    return isNonNegative(d->getOperand(0), depth + 1) && isNonNegative(d->getOperand(1), depth + 1);
  if (auto s = dyn_cast<arith::SelectOp>(d))
    return isNonNegative(s.getTrueValue(), depth + 1) && isNonNegative(s.getFalseValue(), depth + 1);
  return false;
}

/// A comparison of a never-negative value with a negative constant (or
/// `< 0`, `>= 0`): a constant.
struct CompareNonNegative : OpRewritePattern<arith::CmpIOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::CmpIOp cmp, PatternRewriter &rewriter) const override {
    APInt c;
    if (!matchPattern(cmp.getRhs(), m_ConstantInt(&c)) || !isNonNegative(cmp.getLhs()))
      return failure();
    int64_t k = c.getSExtValue();
    std::optional<bool> r;
    using P = arith::CmpIPredicate;
    switch (cmp.getPredicate()) {
    case P::eq: if (k < 0) r = false; break;
    case P::ne: if (k < 0) r = true; break;
    case P::slt: if (k <= 0) r = false; break;
    case P::sle: if (k < 0) r = false; break;
    case P::sgt: if (k < 0) r = true; break;
    case P::sge: if (k <= 0) r = true; break;
    default: break;
    }
    if (!r)
      return failure();
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(cmp, rewriter.getBoolAttr(*r));
    return success();
  }
};

struct NNFoldShapeArithPass : kiln::impl::NNFoldShapeArithBase<NNFoldShapeArithPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    auto &numFolded = passStatistic(getArgument(), "elements-folded",
                                    "Elements of shape tensors rebuilt as scalars");
    RewritePatternSet patterns(ctx);
    patterns.add<ExtractShapeElement>(ctx, numFolded);
    patterns.add<CompareNonNegative>(ctx);
    for (RegisteredOperationName op : ctx->getRegisteredOperations())
      if (op.getDialectNamespace() == "arith")
        op.getCanonicalizationPatterns(patterns, ctx);
    tensor::ExtractOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::FromElementsOp::getCanonicalizationPatterns(patterns, ctx);
    // Not converging within the driver's iteration limit leaves correct IR
    // (every rewrite is an equivalence); it is not an error.
    (void)applyPatternsGreedily(getOperation(), std::move(patterns));
  }
};

} // namespace
