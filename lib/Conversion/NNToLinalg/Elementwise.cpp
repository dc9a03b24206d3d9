//===- Elementwise.cpp - elementwise nn ops to linalg ---------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// nn.unary, nn.binary, nn.clamp, nn.select and nn.cast: one elementwise
// linalg.generic each (explicit-rank broadcasting), whose body is the scalar
// function of Common.h (unaryScalar, binaryScalar, castScalar).
//
//===----------------------------------------------------------------------===//

#include "Common.h"
#include "Patterns.h"

using namespace mlir;
using namespace kiln::nn_to_linalg;
namespace nn = kiln::nn;

namespace {

Value lowerUnary(OpBuilder &b, nn::UnaryOp u) {
  return elementwise(b, u.getLoc(), rtt(u.getResult()), ValueRange{u.getInput()},
                     [&](OpBuilder &nb, Location nl, ValueRange a) { return unaryScalar(nb, nl, u, a[0]); });
}

Value lowerBinary(OpBuilder &b, nn::BinaryOp bo) {
  return elementwise(b, bo.getLoc(), rtt(bo.getResult()), ValueRange{bo.getLhs(), bo.getRhs()},
                     [&](OpBuilder &nb, Location nl, ValueRange a) {
                       return binaryScalar(nb, nl, bo.getKind(), a[0], a[1]);
                     });
}

Value lowerClamp(OpBuilder &b, nn::ClampOp c) {
  Type et = rtt(c.getResult()).getElementType();
  return elementwise(b, c.getLoc(), rtt(c.getResult()), ValueRange{c.getInput()},
                     [&](OpBuilder &nb, Location nl, ValueRange a) {
                       Value v = a[0];
                       if (c.getMin())
                         v = binaryScalar(nb, nl, nn::BinaryKind::max, v,
                                          scalar(nb, nl, et, c.getMin()->convertToDouble()));
                       if (c.getMax())
                         v = binaryScalar(nb, nl, nn::BinaryKind::min, v,
                                          scalar(nb, nl, et, c.getMax()->convertToDouble()));
                       return v;
                     });
}

Value lowerSelect(OpBuilder &b, nn::SelectOp s) {
  return elementwise(b, s.getLoc(), rtt(s.getResult()), s->getOperands(),
                     [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                       return arith::SelectOp::create(nb, nl, a[0], a[1], a[2]);
                     });
}

Value lowerCast(OpBuilder &b, nn::CastOp c) {
  Type to = rtt(c.getResult()).getElementType();
  return elementwise(b, c.getLoc(), rtt(c.getResult()), ValueRange{c.getInput()},
                     [&](OpBuilder &nb, Location nl, ValueRange a) {
                       return castScalar(nb, nl, a[0], to, c.getUnsignedSrc(), c.getUnsignedDst());
                     });
}

} // namespace

void kiln::nn_to_linalg::populateElementwisePatterns(RewritePatternSet &patterns) {
  patterns.add<LowerToLinalg<nn::UnaryOp, lowerUnary>, LowerToLinalg<nn::BinaryOp, lowerBinary>,
               LowerToLinalg<nn::ClampOp, lowerClamp>, LowerToLinalg<nn::SelectOp, lowerSelect>,
               LowerToLinalg<nn::CastOp, lowerCast>>(patterns.getContext());
}
