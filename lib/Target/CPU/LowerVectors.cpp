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
    // A multi_reduction whose kept dims all have extent 1 (a tile of one
    // output element: a row of ReduceSum/ReduceMean, GlobalAveragePool,
    // softmax, LayerNorm) becomes one vector.reduction of the flattened
    // source: the InnerParallel lowering below made it a chain of scalar
    // ops, one per element.
    {
      SmallVector<vector::MultiDimReductionOp> flat;
      f.walk([&](vector::MultiDimReductionOp r) {
        auto st = r.getSourceVectorType();
        if (st.isScalable() || isa<vector::MaskOp>(r->getParentOp()))
          return;
        for (auto [d, reduced] : llvm::enumerate(r.getReductionMask()))
          if (!reduced && st.getDimSize(d) != 1)
            return;
        flat.push_back(r);
      });
      IRRewriter rw(ctx);
      for (vector::MultiDimReductionOp r : flat) {
        rw.setInsertionPoint(r);
        Location loc = r.getLoc();
        auto st = r.getSourceVectorType();
        Value src = vector::ShapeCastOp::create(
            rw, loc, VectorType::get({st.getNumElements()}, st.getElementType()), r.getSource());
        Value acc = r.getAcc();
        Value accScalar = acc;
        if (auto at = dyn_cast<VectorType>(acc.getType()))
          accScalar = vector::ExtractOp::create(rw, loc, acc, SmallVector<int64_t>(at.getRank(), 0));
        Value red = vector::ReductionOp::create(rw, loc, r.getKind(), src, accScalar);
        Value res = red;
        if (auto rt = dyn_cast<VectorType>(r.getType()))
          res = vector::BroadcastOp::create(rw, loc, rt, red);
        rw.replaceOp(r, res);
      }
    }
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
    // Floating-point sums and products across the lanes of a vector (the
    // reductions of ReduceSum/ReduceMean, GlobalAveragePool, softmax and
    // LayerNorm, per tile) may reassociate: without it LLVM adds the lanes
    // one after the other, a chain of dependent scalar adds (a 56-element
    // row: 56 vaddss; MobileNet/EfficientNet-style GlobalAveragePool on
    // 144 x 56 x 56 took 0.25 ms, ONNX Runtime 0.03); with it, a tree of
    // vector adds.  The result differs from the sequential sum by rounding
    // only (the lane order is not the model's anyway).
    f.walk([&](vector::ReductionOp r) {
      if (!isa<FloatType>(r.getType()) ||
          (r.getKind() != vector::CombiningKind::ADD && r.getKind() != vector::CombiningKind::MUL))
        return;
      r.setFastmathAttr(arith::FastMathFlagsAttr::get(
          ctx, r.getFastmath() | arith::FastMathFlags::reassoc));
    });
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
