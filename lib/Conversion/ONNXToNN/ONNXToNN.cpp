//===- ONNXToNN.cpp - normalize onnx ops into nn ops ----------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The pass: applies the op-family patterns (populate*Patterns, Common.h) to
// every onnx op, users before producers.
//
//===----------------------------------------------------------------------===//

#include "Common.h"

#include "mlir/Rewrite/FrozenRewritePatternSet.h"
#include "mlir/Rewrite/PatternApplicator.h"

namespace kiln {
#define GEN_PASS_DEF_CONVERTONNXTONN
#include "kiln/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;
namespace ox = kiln::onnx;

namespace {

/// Upstream's walk driver (walkAndApplyPatterns) visits ops in forward
/// post-order, producers before users and region ops before their parent;
/// the greedy driver erases trivially dead ops (every onnx op is Pure) and
/// retries failed ops in later iterations.  Neither keeps what the patterns
/// rely on, so the pass applies them with upstream's PatternApplicator in its
/// own order: the reverse of a post-order walk, i.e. users before producers
/// (constant and shape operands, and the signedness of integers, are read
/// through their onnx producers) and a parent before the ops in its regions
/// (If/Loop/Scan move their bodies, still onnx, into scf regions).
struct ConvertONNXToNNPass : kiln::impl::ConvertONNXToNNBase<ConvertONNXToNNPass> {
  LogicalResult initialize(MLIRContext *ctx) override {
    RewritePatternSet set(ctx);
    kiln::onnx_to_nn::populateONNXToNNPatterns(set);
    patterns = FrozenRewritePatternSet(std::move(set));
    return success();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<Operation *> ops;
    module.walk([&](Operation *op) {
      if (isa<ox::ONNXDialect>(op->getDialect()) && !isa<ox::NoValueOp>(op))
        ops.push_back(op);
    });
    const auto &byName = patterns.getOpSpecificNativePatterns();
    PatternApplicator applicator(patterns);
    applicator.applyDefaultCostModel();
    PatternRewriter rewriter(&getContext());
    for (Operation *op : llvm::reverse(ops)) {
      for (Value v : op->getResults())
        if (!isa<RankedTensorType>(v.getType())) {
          op->emitError() << ox::describeNode(op) << ": result types were not inferred";
          return signalPassFailure();
        }
      if (!byName.count(op->getName())) {
        op->emitError() << ox::describeNode(op)
                        << ": no conversion to nn is implemented for this operator";
        return signalPassFailure();
      }
      rewriter.setInsertionPoint(op);
      // A pattern that fails has reported why, naming the node.
      if (failed(applicator.matchAndRewrite(op, rewriter)))
        return signalPassFailure();
    }
    module.walk([&](ox::NoValueOp op) { op->erase(); });
  }

  FrozenRewritePatternSet patterns;
};

} // namespace
