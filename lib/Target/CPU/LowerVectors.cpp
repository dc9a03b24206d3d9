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
    // Maxima and minima across the lanes of a vector (the row maximum of
    // softmax and of nn.attention's score blocks, per tile) as a tree of
    // vector ops on halves: LLVM expands vector.reduce.fmax of a
    // vector<64xf32> into 64 dependent scalar steps with a NaN test each
    // (nn.attention at 2048 tokens: 9% of its time in that maximum).  The
    // result is the sequential one: maxnum / minnum ignore NaN in any order
    // and maximumf / minimumf propagate it in any order.
    {
      SmallVector<vector::ReductionOp> minmax;
      f.walk([&](vector::ReductionOp r) {
        auto vt = r.getSourceVectorType();
        int64_t n = vt.getRank() == 1 && !vt.isScalable() ? vt.getDimSize(0) : 0;
        if (isa<FloatType>(r.getType()) && n >= 4 && llvm::isPowerOf2_64(n) && !isa<vector::MaskOp>(r->getParentOp()) &&
            (r.getKind() == vector::CombiningKind::MAXNUMF || r.getKind() == vector::CombiningKind::MINNUMF ||
             r.getKind() == vector::CombiningKind::MAXIMUMF || r.getKind() == vector::CombiningKind::MINIMUMF))
          minmax.push_back(r);
      });
      IRRewriter rw(ctx);
      for (vector::ReductionOp r : minmax) {
        rw.setInsertionPoint(r);
        Location loc = r.getLoc();
        Value v = r.getVector();
        int64_t n = r.getSourceVectorType().getDimSize(0);
        auto combine = [&](Value a, Value b) -> Value {
          switch (r.getKind()) {
          case vector::CombiningKind::MAXNUMF:
            return arith::MaxNumFOp::create(rw, loc, a, b);
          case vector::CombiningKind::MINNUMF:
            return arith::MinNumFOp::create(rw, loc, a, b);
          case vector::CombiningKind::MAXIMUMF:
            return arith::MaximumFOp::create(rw, loc, a, b);
          default:
            return arith::MinimumFOp::create(rw, loc, a, b);
          }
        };
        for (; n > 1; n /= 2) {
          SmallVector<int64_t> loIdx = llvm::to_vector(llvm::seq<int64_t>(0, n / 2)),
                               hiIdx = llvm::to_vector(llvm::seq<int64_t>(n / 2, n));
          Value lo = vector::ShuffleOp::create(rw, loc, v, v, loIdx);
          Value hi = vector::ShuffleOp::create(rw, loc, v, v, hiIdx);
          v = combine(lo, hi);
        }
        Value res = vector::ExtractOp::create(rw, loc, v, ArrayRef<int64_t>{0});
        if (Value acc = r.getAcc())
          res = combine(res, acc);
        rw.replaceOp(r, res);
      }
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
