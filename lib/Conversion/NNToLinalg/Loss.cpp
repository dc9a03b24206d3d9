//===- Loss.cpp - losses to linalg ----------------------------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// nn.nll_loss: a linalg.generic over the target computes each element's
// loss, then the reduction (none, sum or mean).
//
//===----------------------------------------------------------------------===//

#include "Common.h"
#include "Patterns.h"

using namespace mlir;
using namespace kiln::nn_to_linalg;
namespace nn = kiln::nn;

namespace {

/// nn.nll_loss: one linalg.generic over the target's dims computes each
/// element's loss by extracting input[n, t, d...] (and weight[t]); a second
/// computes each element's weight (for `mean`); both are then summed.
FailureOr<Value> lowerNLLLoss(PatternRewriter &b, nn::NLLLossOp op) {
  Location loc = op.getLoc();
  StringRef red = op.getReduction();
  if (red != "none" && red != "sum" && red != "mean")
    return b.notifyMatchFailure(op, "unknown reduction '" + red + "'");
  Value x = op.getInput(), target = op.getTarget(), weight = op.getWeight();
  auto xt = rtt(x), tt = rtt(target);
  Type et = xt.getElementType();
  int64_t r = tt.getRank();
  auto lossT = RankedTensorType::get(tt.getShape(), et);
  SmallVector<Value> dims;
  for (int64_t i = 0; i < r; ++i) dims.push_back(dimOf(b, loc, target, i));
  Value numClasses = dimOf(b, loc, x, 1);
  std::optional<int64_t> ignore;
  if (op.getIgnoreIndex())
    ignore = *op.getIgnoreIndex();
  // Per element: (ignored, class index clamped to [0, C - 1]).
  auto classOf = [&](OpBuilder &nb, Location nl, Value t) -> std::pair<Value, Value> {
    Value t64 = t.getType().isInteger(64) ? t : (Value)arith::ExtSIOp::create(nb, nl, nb.getI64Type(), t);
    Value ignored;
    if (ignore)
      ignored = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, t64,
                                      arith::ConstantOp::create(nb, nl, nb.getI64IntegerAttr(*ignore)));
    Value c = arith::IndexCastOp::create(nb, nl, nb.getIndexType(), t64);
    c = arith::MaxSIOp::create(nb, nl, c, cIdx(nb, nl, 0));
    c = arith::MinSIOp::create(nb, nl, c, arith::SubIOp::create(nb, nl, numClasses, cIdx(nb, nl, 1)));
    return {ignored, c};
  };
  auto perElement = [&](bool weightsOnly) {
    SmallVector<AffineMap> maps(2, b.getMultiDimIdentityMap(r));
    return linalg::GenericOp::create(
               b, loc, TypeRange{lossT}, ValueRange{target}, ValueRange{empty(b, loc, lossT, dims)}, maps,
               SmallVector<utils::IteratorType>(r, utils::IteratorType::parallel),
               [&](OpBuilder &nb, Location nl, ValueRange a) {
                 auto [ignored, c] = classOf(nb, nl, a[0]);
                 Value w = weight ? (Value)tensor::ExtractOp::create(nb, nl, weight, ValueRange{c}) : Value();
                 Value v;
                 if (weightsOnly) {
                   v = w ? w : scalar(nb, nl, et, 1);
                 } else {
                   SmallVector<Value> idx{linalg::IndexOp::create(nb, nl, 0), c};
                   for (int64_t i = 1; i < r; ++i) idx.push_back(linalg::IndexOp::create(nb, nl, i));
                   Value in = tensor::ExtractOp::create(nb, nl, x, idx);
                   v = arith::NegFOp::create(nb, nl, weight ? (Value)arith::MulFOp::create(nb, nl, in, w) : in);
                 }
                 if (ignored)
                   v = arith::SelectOp::create(nb, nl, ignored, scalar(nb, nl, et, 0), v);
                 linalg::YieldOp::create(nb, nl, v);
               })
        .getResult(0);
  };
  Value loss = perElement(false);
  if (red == "none")
    return loss;
  SmallVector<int64_t> all;
  for (int64_t i = 0; i < r; ++i) all.push_back(i);
  auto sumAll = [&](Value v) {
    return reduceGeneric(b, loc, v, all, scalar(b, loc, et, 0), [](OpBuilder &nb, Location nl, Value a, Value c) {
      return (Value)arith::AddFOp::create(nb, nl, a, c);
    });
  };
  Value total = sumAll(loss);
  if (red == "sum")
    return total;
  Value wsum;
  if (!weight && !ignore)
    wsum = countOf(b, loc, target, all, et);
  else
    wsum = tensor::ExtractOp::create(b, loc, sumAll(perElement(true)), ValueRange{});
  return divScalar(b, loc, total, wsum);
}

} // namespace

void kiln::nn_to_linalg::populateLossPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerToLinalg<nn::NLLLossOp, lowerNLLLoss>>(patterns.getContext());
}
