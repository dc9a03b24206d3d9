//===- Loss.cpp - onnx -> nn: loss functions ------------------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// NegativeLogLikelihoodLoss, and SoftmaxCrossEntropyLoss as a log-softmax
// followed by the NLL loss.
//
//===----------------------------------------------------------------------===//

#include "Common.h"

using namespace mlir;

namespace kiln::onnx_to_nn {
namespace {

struct LossLowering : Lowering {
  using Lowering::Lowering;

  LoweringResult lowerNegativeLogLikelihoodLoss(ox::NegativeLogLikelihoodLossOp l) {
    Value w = isNone(l.getWeight()) ? Value() : l.getWeight();
    return one(nn::NLLLossOp::create(b, loc, resType(), l.getInput(), l.getTarget(), w,
                                     l.getIgnoreIndexAttr(), l.getReductionAttr()));
  }
  LoweringResult lowerSoftmaxCrossEntropyLoss(ox::SoftmaxCrossEntropyLossOp l) {
    // log_softmax along the class axis, then the NLL loss of it.
    Value logp = nn::SoftmaxOp::create(b, loc, rtt(l.getScores()), l.getScores(),
                                       b.getI64IntegerAttr(1), b.getUnitAttr());
    Value w = isNone(l.getWeights()) ? Value() : l.getWeights();
    SmallVector<Value> r{nn::NLLLossOp::create(b, loc, resType(), logp, l.getLabels(), w,
                                               l.getIgnoreIndexAttr(), l.getReductionAttr())};
    if (l.getLogProb())
      r.push_back(logp);
    return r;
  }
};

} // namespace

void populateLossPatterns(RewritePatternSet &patterns) {
  using L = LossLowering;
  addLowering<ox::NegativeLogLikelihoodLossOp, &L::lowerNegativeLogLikelihoodLoss>(patterns);
  addLowering<ox::SoftmaxCrossEntropyLossOp, &L::lowerSoftmaxCrossEntropyLoss>(patterns);
}

} // namespace kiln::onnx_to_nn
