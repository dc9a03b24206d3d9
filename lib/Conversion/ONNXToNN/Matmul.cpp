//===- Matmul.cpp - onnx -> nn: matrix products ---------------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// MatMul (1-D operands as matrices, batch dims rank-equalized), Gemm
// (transposes of constants folded at compile time, alpha / beta / C as nn
// ops), Einsum (equation made explicit) and Det.
//
//===----------------------------------------------------------------------===//

#include "Common.h"

using namespace mlir;

namespace kiln::onnx_to_nn {
namespace {

struct MatmulLowering : Lowering {
  using Lowering::Lowering;

  LoweringResult gemm(ox::GemmOp g);
  LoweringResult matmul(ox::MatMulOp m);

  LoweringResult lowerMatMul(ox::MatMulOp m) { return matmul(m); }
  LoweringResult lowerGemm(ox::GemmOp g) { return gemm(g); }
  LoweringResult lowerEinsum(ox::EinsumOp e) {
    SmallVector<int64_t> ranks;
    for (Value v : e.getInputs())
      ranks.push_back(rtt(v).getRank());
    std::string err;
    auto spec = ox::parseEinsum(e.getEquation(), ranks, err);
    if (failed(spec))
      return (LogicalResult)(fail() << err);
    return one(nn::EinsumOp::create(b, loc, resType(), e.getInputs(),
                                    b.getStringAttr(spec->explicitEquation())));
  }
  LoweringResult lowerDet(ox::DetOp d) {
    auto x = rtt(d.getX());
    int64_t n = x.getDimSize(x.getRank() - 1);
    if (n == kDyn || n > 8)
      return (LogicalResult)(fail() << "only static matrix sizes up to 8 x 8 are supported");
    return one(nn::DetOp::create(b, loc, resType(), d.getX()));
  }
};

LoweringResult MatmulLowering::gemm(ox::GemmOp g) {
  Value A = g.getA(), B = g.getB();
  if (g.getTransA()) A = transpose2D(b, loc, A);
  if (g.getTransB()) B = transpose2D(b, loc, B);
  auto res = resType();
  Value y = nn::MatmulOp::create(b, loc, res, A, B);
  Type et = res.getElementType();
  if (!isa<FloatType>(et) && (g.getAlpha().convertToDouble() != 1.0 || g.getBeta().convertToDouble() != 1.0))
    return (LogicalResult)(fail() << "alpha/beta scaling of integer Gemm is not supported");
  if (g.getAlpha().convertToDouble() != 1.0) {
    Value a = constTensor(b, loc, RankedTensorType::get({1, 1}, et), {g.getAlpha().convertToDouble()});
    y = binary(b, loc, nn::BinaryKind::mul, y, a, res);
  }
  if (!isNone(g.getC()) && g.getBeta().convertToDouble() != 0.0) {
    Value C = g.getC();
    if (g.getBeta().convertToDouble() != 1.0) {
      auto ct = rtt(C);
      Value bt = constTensor(b, loc, RankedTensorType::get(SmallVector<int64_t>(ct.getRank(), 1), et),
                             {g.getBeta().convertToDouble()});
      C = nn::BinaryOp::create(b, loc, ct, C, bt, nn::BinaryKind::mul);
    }
    y = binary(b, loc, nn::BinaryKind::add, y, C, res);
  }
  return one(y);
}

LoweringResult MatmulLowering::matmul(ox::MatMulOp m) {
  Value A = m.getA(), B = m.getB();
  auto at = rtt(A), bt = rtt(B), res = resType();
  bool aVec = at.getRank() == 1, bVec = bt.getRank() == 1;
  if (aVec)
    A = reshapeTo(b, loc, A, RankedTensorType::get({1, at.getDimSize(0)}, at.getElementType()));
  if (bVec)
    B = reshapeTo(b, loc, B, RankedTensorType::get({bt.getDimSize(0), 1}, bt.getElementType()));
  int64_t r = std::max(rtt(A).getRank(), rtt(B).getRank());
  A = toRank(b, loc, A, r);
  B = toRank(b, loc, B, r);
  SmallVector<int64_t> shape(res.getShape());
  if (aVec) shape.insert(shape.end() - (bVec ? 0 : 1), 1);
  if (bVec) shape.push_back(1);
  auto mmType = RankedTensorType::get(shape, res.getElementType());
  Value y = nn::MatmulOp::create(b, loc, mmType, A, B);
  if (mmType != res)
    y = reshapeTo(b, loc, y, res);
  return one(y);
}

} // namespace

void populateMatmulPatterns(RewritePatternSet &patterns) {
  using L = MatmulLowering;
  addLowering<ox::MatMulOp, &L::lowerMatMul>(patterns);
  addLowering<ox::GemmOp, &L::lowerGemm>(patterns);
  addLowering<ox::EinsumOp, &L::lowerEinsum>(patterns);
  addLowering<ox::DetOp, &L::lowerDet>(patterns);
}

} // namespace kiln::onnx_to_nn
