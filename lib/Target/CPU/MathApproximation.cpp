//===- MathApproximation.cpp - polynomial math approximations --------------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//

#include "CPUPasses.h"

#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln::cpu {
#define GEN_PASS_DEF_CPUMATHAPPROXIMATION
#include "Passes.h.inc"
} // namespace kiln::cpu

using namespace mlir;

namespace {

/// math.copysign as integer bit operations.  The atan/asin/acos
/// approximations emit copysign on n-D vectors, which math-to-libm cannot
/// scalarize.
struct CopySignToBits : OpRewritePattern<math::CopySignOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(math::CopySignOp op, PatternRewriter &rw) const override {
    Type t = op.getType();
    unsigned w = getElementTypeOrSelf(t).getIntOrFloatBitWidth();
    Type it = rw.getIntegerType(w);
    if (auto vt = dyn_cast<VectorType>(t))
      it = vt.clone(it);
    auto cst = [&](const APInt &v) -> Value {
      TypedAttr a = isa<VectorType>(it) ? (TypedAttr)DenseElementsAttr::get(cast<ShapedType>(it), v)
                                        : (TypedAttr)rw.getIntegerAttr(it, v);
      return arith::ConstantOp::create(rw, op.getLoc(), it, a);
    };
    APInt sign = APInt::getSignMask(w);
    Value a = arith::BitcastOp::create(rw, op.getLoc(), it, op.getLhs());
    Value b = arith::BitcastOp::create(rw, op.getLoc(), it, op.getRhs());
    Value mag = arith::AndIOp::create(rw, op.getLoc(), a, cst(~sign));
    Value sgn = arith::AndIOp::create(rw, op.getLoc(), b, cst(sign));
    Value r = arith::OrIOp::create(rw, op.getLoc(), mag, sgn);
    rw.replaceOpWithNewOp<arith::BitcastOp>(op, t, r);
    return success();
  }
};

/// Replaces math functions by polynomial approximations that vectorize
/// (erf, tanh, exp, log, ...); the rest goes to libm.
struct MathApproximationPass : kiln::cpu::impl::CPUMathApproximationBase<MathApproximationPass> {
  using CPUMathApproximationBase::CPUMathApproximationBase;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns);
    patterns.add<CopySignToBits>(&getContext());
    if (expandBF16)
      arith::populateExpandBFloat16Patterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
    // arith.maximumf / minimumf (ReLU, Clip, MaxPool, Max, Min) without the
    // ordering of -0 below +0: x86 lowers the IEEE maximum to six vector
    // instructions (sign tests and blends, then the NaN test), with nsz to
    // three (max, NaN test, blend) and ReLU's max with 0 to one `vmaxps`
    // whose NaN operand comes out.  NaN still propagates; only the sign of
    // a zero result is unspecified.
    getOperation()->walk([](Operation *op) {
      if (!isa<arith::MaximumFOp, arith::MinimumFOp>(op))
        return;
      auto fm = cast<arith::ArithFastMathInterface>(op);
      arith::FastMathFlags flags = fm.getFastMathFlagsAttr() ? fm.getFastMathFlagsAttr().getValue()
                                                             : arith::FastMathFlags::none;
      op->setAttr(fm.getFastMathAttrName(),
                  arith::FastMathFlagsAttr::get(op->getContext(), flags | arith::FastMathFlags::nsz));
    });
  }
};

} // namespace
