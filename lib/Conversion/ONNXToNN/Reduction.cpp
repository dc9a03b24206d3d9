//===- Reduction.cpp - onnx -> nn: reductions -----------------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Reduce* with constant axes become nn.reduce (axes normalized, sorted and
// deduplicated); axes known only at run time become nn.reduce_axes.
//
//===----------------------------------------------------------------------===//

#include "Common.h"

using namespace mlir;

namespace kiln::onnx_to_nn {
namespace {

struct ReductionLowering : Lowering {
  using Lowering::Lowering;

  template <typename RedT>
  LoweringResult reduce(RedT r, nn::ReduceKind kind);

  LoweringResult lowerReduceMean(ox::ReduceMeanOp r) { return reduce(r, nn::ReduceKind::mean); }
  LoweringResult lowerReduceSum(ox::ReduceSumOp r) { return reduce(r, nn::ReduceKind::sum); }
  LoweringResult lowerReduceMax(ox::ReduceMaxOp r) { return reduce(r, nn::ReduceKind::max); }
  LoweringResult lowerReduceMin(ox::ReduceMinOp r) { return reduce(r, nn::ReduceKind::min); }
  LoweringResult lowerReduceProd(ox::ReduceProdOp r) { return reduce(r, nn::ReduceKind::prod); }
  LoweringResult lowerReduceL1(ox::ReduceL1Op r) { return reduce(r, nn::ReduceKind::l1); }
  LoweringResult lowerReduceL2(ox::ReduceL2Op r) { return reduce(r, nn::ReduceKind::l2); }
  LoweringResult lowerReduceLogSum(ox::ReduceLogSumOp r) {
    return reduce(r, nn::ReduceKind::log_sum);
  }
  LoweringResult lowerReduceLogSumExp(ox::ReduceLogSumExpOp r) {
    return reduce(r, nn::ReduceKind::log_sum_exp);
  }
  LoweringResult lowerReduceSumSquare(ox::ReduceSumSquareOp r) {
    return reduce(r, nn::ReduceKind::sum_square);
  }
};

template <typename RedT>
LoweringResult ReductionLowering::reduce(RedT r, nn::ReduceKind kind) {
  auto x = rtt(r.getData());
  SmallVector<int64_t> axes;
  bool emptyByShape = !isNone(r.getAxes()) && rtt(r.getAxes()).getRank() == 1 &&
                      rtt(r.getAxes()).getDimSize(0) == 0;
  if (!isNone(r.getAxes()) && !emptyByShape && !ox::getConstantIntValues(r.getAxes(), axes)) {
    if (kind == nn::ReduceKind::log_sum_exp)
      return (LogicalResult)(fail() << "axes known only at run time are not supported for ReduceLogSumExp");
    return one(nn::ReduceAxesOp::create(b, loc, resType(), r.getData(), r.getAxes(),
                                        nn::ReduceKindAttr::get(b.getContext(), kind),
                                        b.getBoolAttr(r.getKeepdims() != 0),
                                        b.getBoolAttr(r.getNoopWithEmptyAxes() != 0)));
  }
  if (axes.empty()) {
    if (r.getNoopWithEmptyAxes())
      return one(r.getData());
    for (int64_t i = 0; i < x.getRank(); ++i)
      axes.push_back(i);
  }
  for (int64_t &a : axes)
    if (a < 0) a += x.getRank();
  llvm::sort(axes);
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  return one(nn::ReduceOp::create(b, loc, resType(), r.getData(), nn::ReduceKindAttr::get(b.getContext(), kind),
                                  b.getDenseI64ArrayAttr(axes), b.getBoolAttr(r.getKeepdims() != 0)));
}

} // namespace

void populateReductionPatterns(RewritePatternSet &patterns) {
  using L = ReductionLowering;
  addLowering<ox::ReduceMeanOp, &L::lowerReduceMean>(patterns);
  addLowering<ox::ReduceSumOp, &L::lowerReduceSum>(patterns);
  addLowering<ox::ReduceMaxOp, &L::lowerReduceMax>(patterns);
  addLowering<ox::ReduceMinOp, &L::lowerReduceMin>(patterns);
  addLowering<ox::ReduceProdOp, &L::lowerReduceProd>(patterns);
  addLowering<ox::ReduceL1Op, &L::lowerReduceL1>(patterns);
  addLowering<ox::ReduceL2Op, &L::lowerReduceL2>(patterns);
  addLowering<ox::ReduceLogSumOp, &L::lowerReduceLogSum>(patterns);
  addLowering<ox::ReduceLogSumExpOp, &L::lowerReduceLogSumExp>(patterns);
  addLowering<ox::ReduceSumSquareOp, &L::lowerReduceSumSquare>(patterns);
}

} // namespace kiln::onnx_to_nn
