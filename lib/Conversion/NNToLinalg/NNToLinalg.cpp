//===- NNToLinalg.cpp - the convert-nn-to-linalg pass ---------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Every nn op becomes upstream ops on tensors: linalg named ops where one
// exists (matmul, batch_matmul, convolutions, pooling, transpose) so the CPU
// back end can tile and vectorize them, linalg.generic for elementwise ops
// and reductions, and tensor ops for data movement.  The lowerings are
// rewrite patterns, one per nn op, in one file per op family (Patterns.h);
// this file runs them.
//
//===----------------------------------------------------------------------===//

#include "Patterns.h"

#include "kiln/Conversion/Passes.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Rewrite/FrozenRewritePatternSet.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_CONVERTNNTOLINALG
#include "kiln/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;
namespace nn = kiln::nn;

void kiln::nn_to_linalg::populateNNToLinalgPatterns(RewritePatternSet &patterns) {
  populateElementwisePatterns(patterns);
  populateTensorPatterns(patterns);
  populateMatmulPatterns(patterns);
  populateAttentionPatterns(patterns);
  populateConvPoolPatterns(patterns);
  populateNormalizationPatterns(patterns);
  populateIndexingPatterns(patterns);
  populateSortingPatterns(patterns);
  populateLossPatterns(patterns);
  populateQuantizationPatterns(patterns);
  populateSignalPatterns(patterns);
  populateVisionPatterns(patterns);
}

namespace {

/// Keeps the reason of the first pattern that failed (the lowerings report
/// why they cannot handle an op with notifyMatchFailure).
struct FirstMatchFailure : RewriterBase::Listener {
  void notifyMatchFailure(Location loc, function_ref<void(Diagnostic &)> reasonCallback) override {
    if (reason)
      return;
    Diagnostic diag(loc, DiagnosticSeverity::Error);
    reasonCallback(diag);
    reason = diag.str();
  }
  std::optional<std::string> reason;
};

struct ConvertNNToLinalgPass : kiln::impl::ConvertNNToLinalgBase<ConvertNNToLinalgPass> {
  LogicalResult initialize(MLIRContext *ctx) override {
    RewritePatternSet set(ctx);
    kiln::nn_to_linalg::populateNNToLinalgPatterns(set);
    patterns = FrozenRewritePatternSet(std::move(set));
    assert(llvm::all_of(patterns.getOpSpecificNativePatterns(),
                        [](const auto &entry) { return entry.second.size() == 1; }) &&
           "an nn op has more than one lowering pattern");
    return success();
  }

  /// One walk in post-order (an op after the ops before it in its block, the
  /// ops in its regions before the op) applies the pattern of each nn op
  /// once, without folding.  The first nn op left, in the same order, is the
  /// error, and the only one reported: the first failure of the walk was
  /// its pattern's, or it has no pattern.
  void runOnOperation() override {
    FirstMatchFailure failure;
    walkAndApplyPatterns(getOperation(), patterns, &failure);
    Operation *left = nullptr;
    getOperation().walk([&](Operation *op) {
      // nn.check (kiln-insert-runtime-checks) is lowered by the target.
      if (!isa<nn::NNDialect>(op->getDialect()) || isa<nn::CheckOp>(op))
        return WalkResult::advance();
      left = op;
      return WalkResult::interrupt();
    });
    if (!left)
      return;
    if (failure.reason && patterns.getOpSpecificNativePatterns().count(left->getName()))
      left->emitError() << *failure.reason;
    else
      left->emitError() << "no lowering to linalg for this op";
    signalPassFailure();
  }

  FrozenRewritePatternSet patterns;
};

} // namespace
