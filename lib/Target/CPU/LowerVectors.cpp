//===- LowerVectors.cpp - vector ops towards the LLVM dialect -------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// kiln-cpu-lower-vectors runs after bufferization: it hoists loop-invariant
// transfers (the matmul accumulator stays in registers across the K loop)
// and lowers vector contractions to outer products / FMAs.
//
//===----------------------------------------------------------------------===//

#include "CPUPasses.h"

#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Linalg/Transforms/Hoisting.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorTransforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln::cpu {
#define GEN_PASS_DEF_CPULOWERVECTORS
#include "Passes.h.inc"
} // namespace kiln::cpu

using namespace mlir;

namespace {

struct LowerVectorsPass : kiln::cpu::impl::CPULowerVectorsBase<LowerVectorsPass> {
  void runOnOperation() override {
    func::FuncOp f = getOperation();
    MLIRContext *ctx = &getContext();
    linalg::hoistRedundantVectorTransfers(f);
    {
      RewritePatternSet patterns(ctx);
      vector::populateVectorContractLoweringPatterns(
          patterns, vector::VectorContractLowering::OuterProduct);
      vector::populateVectorOuterProductLoweringPatterns(patterns);
      vector::populateVectorMultiReductionLoweringPatterns(
          patterns, vector::VectorMultiReductionLowering::InnerParallel);
      vector::populateVectorTransposeLoweringPatterns(
          patterns, vector::VectorTransposeLowering::EltWise);
      vector::populateVectorBroadcastLoweringPatterns(patterns);
      vector::populateVectorMaskOpLoweringPatterns(patterns);
      vector::populateVectorShapeCastLoweringPatterns(patterns);
      vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
      vector::populateVectorTransferLoweringPatterns(patterns, /*maxTransferRank=*/1);
      vector::populateVectorStepLoweringPatterns(patterns);
      vector::populateVectorGatherLoweringPatterns(patterns);
      vector::populateVectorRankReducingFMAPattern(patterns);
      vector::populateVectorFromElementsUnrollPatterns(patterns);
      if (failed(applyPatternsGreedily(f, std::move(patterns))))
        return signalPassFailure();
    }
    // Remaining multi-dimensional transfers become loops of 1-D ones.
    {
      RewritePatternSet patterns(ctx);
      VectorTransferToSCFOptions o;
      o.enableFullUnroll(true);
      populateVectorToSCFConversionPatterns(patterns, o.setTargetRank(1));
      vector::populateVectorTransferLoweringPatterns(patterns, 1);
      vector::populateVectorShapeCastLoweringPatterns(patterns);
      // 1-D transfers that may run past their buffer (the last column panel
      // of a packed matmul) become masked loads and stores.
      vector::populateVectorMaskMaterializationPatterns(patterns, /*force32BitVectorIndices=*/true);
      if (failed(applyPatternsGreedily(f, std::move(patterns))))
        return signalPassFailure();
    }
  }
};

} // namespace
