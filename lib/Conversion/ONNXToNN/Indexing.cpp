//===- Indexing.cpp - onnx -> nn: gathers and scatters --------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Gather, GatherElements, GatherND, ScatterElements, ScatterND, OneHot,
// Compress and ReverseSequence (axes normalized; bool reductions refused).
//
//===----------------------------------------------------------------------===//

#include "Common.h"

using namespace mlir;

namespace kiln::onnx_to_nn {
namespace {

struct IndexingLowering : Lowering {
  using Lowering::Lowering;

  LoweringResult compress(ox::CompressOp c);

  LoweringResult lowerGather(ox::GatherOp g) {
    int64_t r = rtt(g.getData()).getRank();
    int64_t axis = g.getAxis() < 0 ? g.getAxis() + r : g.getAxis();
    return one(nn::GatherOp::create(b, loc, resType(), g.getData(), g.getIndices(),
                                    b.getI64IntegerAttr(axis)));
  }
  LoweringResult lowerGatherElements(ox::GatherElementsOp g) {
    int64_t r = rtt(g.getData()).getRank();
    int64_t axis = g.getAxis() < 0 ? g.getAxis() + r : g.getAxis();
    return one(nn::GatherElementsOp::create(b, loc, resType(), g.getData(), g.getIndices(),
                                            b.getI64IntegerAttr(axis)));
  }
  LoweringResult lowerScatterElements(ox::ScatterElementsOp s) {
    int64_t r = rtt(s.getData()).getRank();
    int64_t axis = s.getAxis() < 0 ? s.getAxis() + r : s.getAxis();
    if (s.getReduction() != "none" && rtt(s.getData()).getElementType().isInteger(1))
      return (LogicalResult)(fail() << "reduction '" << s.getReduction() << "' on bool data is not supported");
    return one(nn::ScatterElementsOp::create(b, loc, resType(), s.getData(), s.getIndices(),
                                             s.getUpdates(), b.getI64IntegerAttr(axis),
                                             s.getReductionAttr()));
  }
  LoweringResult lowerGatherND(ox::GatherNDOp g) {
    return one(nn::GatherNDOp::create(b, loc, resType(), g.getData(), g.getIndices(),
                                      b.getI64IntegerAttr(g.getBatchDims())));
  }
  LoweringResult lowerScatterND(ox::ScatterNDOp s) {
    if (s.getReduction() != "none" && rtt(s.getData()).getElementType().isInteger(1))
      return (LogicalResult)(fail() << "reduction '" << s.getReduction() << "' on bool data is not supported");
    return one(nn::ScatterNDOp::create(b, loc, resType(), s.getData(), s.getIndices(),
                                       s.getUpdates(), s.getReductionAttr()));
  }
  LoweringResult lowerOneHot(ox::OneHotOp o) {
    int64_t r = resType().getRank();
    int64_t axis = o.getAxis() < 0 ? o.getAxis() + r : o.getAxis();
    return one(nn::OneHotOp::create(b, loc, resType(), o.getIndices(), o.getDepth(),
                                    o.getValues(), b.getI64IntegerAttr(axis)));
  }
  LoweringResult lowerCompress(ox::CompressOp c) { return compress(c); }
  LoweringResult lowerReverseSequence(ox::ReverseSequenceOp r) {
    return one(nn::ReverseSequenceOp::create(b, loc, resType(), r.getInput(), r.getSequenceLens(),
                                             b.getI64IntegerAttr(r.getBatchAxis()),
                                             b.getI64IntegerAttr(r.getTimeAxis())));
  }
};

LoweringResult IndexingLowering::compress(ox::CompressOp c) {
  Value x = c.getInput();
  auto xt = rtt(x);
  int64_t axis = 0;
  if (c.getAxis()) {
    axis = *c.getAxis() < 0 ? *c.getAxis() + xt.getRank() : *c.getAxis();
  } else if (xt.getRank() != 1) {
    // Flattened: compress the row-major elements.
    Value n = idxOf(b, loc, 1);
    for (int64_t i = 0; i < xt.getRank(); ++i)
      n = arith::MulIOp::create(b, loc, n, dimValue(b, loc, x, i));
    auto ft = RankedTensorType::get({xt.hasStaticShape() ? xt.getNumElements() : kDyn},
                                    xt.getElementType());
    x = reshapeTo(b, loc, x, ft, {n});
  }
  return one(nn::CompressOp::create(b, loc, resType(), x, c.getCondition(),
                                    b.getI64IntegerAttr(axis)));
}

} // namespace

void populateIndexingPatterns(RewritePatternSet &patterns) {
  using L = IndexingLowering;
  addLowering<ox::GatherOp, &L::lowerGather>(patterns);
  addLowering<ox::GatherElementsOp, &L::lowerGatherElements>(patterns);
  addLowering<ox::ScatterElementsOp, &L::lowerScatterElements>(patterns);
  addLowering<ox::GatherNDOp, &L::lowerGatherND>(patterns);
  addLowering<ox::ScatterNDOp, &L::lowerScatterND>(patterns);
  addLowering<ox::OneHotOp, &L::lowerOneHot>(patterns);
  addLowering<ox::CompressOp, &L::lowerCompress>(patterns);
  addLowering<ox::ReverseSequenceOp, &L::lowerReverseSequence>(patterns);
}

} // namespace kiln::onnx_to_nn
