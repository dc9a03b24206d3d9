//===- Matmul.cpp - onnx -> nn: matrix products ---------------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// MatMul (1-D operands as matrices, batch dims rank-equalized), Gemm
// (transposes of constants folded at compile time, alpha / beta / C as nn
// ops), Einsum (equation made explicit) and Det.
//
//===----------------------------------------------------------------------===//

#include "Common.h"

#include <cmath>

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
  LoweringResult lowerAttention(ox::AttentionOp a);
  LoweringResult lowerMultiHeadAttention(ox::MultiHeadAttentionOp a);
  // [B, L, H x D] -> [B, H, L, D] and back; past prepended along L.
  FailureOr<Value> splitHeads(Value x, int64_t h);
  Value mergeHeads(Value y, RankedTensorType res);
  Value concatSeq(Value past, Value x);
  // The shared end of both: past key / value prepended, the rank-4 mask
  // checked against the scores, the default scale, nn.attention, heads
  // merged back (`merge`), the results the op has.
  LoweringResult finishAttention(Value q, Value k, Value v, Value pastKey, Value pastValue, Value mask,
                                 StringRef maskName, std::optional<double> scale, bool causal, bool merge);
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

/// ONNX Attention (opset 23) as one nn.attention: 3-D operands split into
/// heads ([B, L, H x D] -> [B, H, L, D]) and merged back, past key / value
/// prepended along the sequence, the mask brought to rank 4.
LoweringResult MatmulLowering::lowerAttention(ox::AttentionOp a) {
  if (a.getSoftcap().convertToDouble() != 0.0)
    return (LogicalResult)(fail() << "softcap is not supported");
  if (a->getNumResults() > 3 && !a->getResult(3).use_empty())
    return (LogicalResult)(fail() << "the qk_matmul_output output is not supported");
  Value q = a.getQ(), k = a.getK(), v = a.getV();
  auto qt = rtt(q);
  int64_t r = qt.getRank();
  for (Value x : {q, k, v})
    if (!rtt(x).getElementType().isF32())
      return (LogicalResult)(fail() << "only f32 Q, K and V are supported");
  if (r == 3) {
    int64_t hq = *a.getQNumHeads(), hkv = *a.getKvNumHeads();
    FailureOr<Value> q4 = splitHeads(q, hq), k4 = splitHeads(k, hkv), v4 = splitHeads(v, hkv);
    if (failed(q4) || failed(k4) || failed(v4))
      return failure();
    q = *q4, k = *k4, v = *v4;
  }
  // The mask, rank 4.
  Value mask;
  if (!isNone(a.getAttnMask())) {
    auto mt = rtt(a.getAttnMask());
    if (mt.getRank() > 4 || (!mt.getElementType().isF32() && !mt.getElementType().isInteger(1)))
      return (LogicalResult)(fail() << "attn_mask must be bool or f32 of rank at most 4");
    mask = toRank(b, loc, a.getAttnMask(), 4);
  }
  std::optional<double> scale;
  if (a.getScale())
    scale = a.getScale()->convertToDouble();
  // (An unused qk_matmul_output, checked above, gets no value.)
  return finishAttention(q, k, v, a.getPastKey(), a.getPastValue(), mask, "attn_mask", scale, a.getIsCausal(),
                         r == 3);
}

LoweringResult MatmulLowering::finishAttention(Value q, Value k, Value v, Value pastKey, Value pastValue, Value mask,
                                               StringRef maskName, std::optional<double> scale, bool causal,
                                               bool merge) {
  if (isNone(pastKey) != isNone(pastValue))
    return (LogicalResult)(fail() << "past_key and past_value must be given together");
  if (!isNone(pastKey)) {
    if (!rtt(pastKey).getElementType().isF32() || !rtt(pastValue).getElementType().isF32())
      return (LogicalResult)(fail() << "only f32 past_key and past_value are supported");
    k = concatSeq(pastKey, k);
    v = concatSeq(pastValue, v);
  }
  auto qt = rtt(q);
  SmallVector<int64_t> scores{qt.getDimSize(0), qt.getDimSize(1), qt.getDimSize(2), rtt(k).getDimSize(2)};
  if (mask)
    for (int64_t i = 0; i < 4; ++i) {
      int64_t m = rtt(mask).getDimSize(i);
      if (m != 1 && m != kDyn && scores[i] != kDyn && m != scores[i])
        return (LogicalResult)(fail() << maskName << " dim " << i << " (" << m
                                      << ") neither broadcasts nor matches the scores' (" << scores[i] << ")");
    }
  int64_t d = qt.getDimSize(3);
  if (!scale && d == kDyn)
    return (LogicalResult)(fail() << "the default scale needs a static head size");
  auto yt = RankedTensorType::get({scores[0], scores[1], scores[2], rtt(v).getDimSize(3)}, b.getF32Type());
  Value y = nn::AttentionOp::create(b, loc, yt, q, k, v, mask,
                                    b.getF32FloatAttr((float)scale.value_or(1.0 / std::sqrt((double)d))),
                                    causal ? b.getUnitAttr() : nullptr)
                .getResult();
  SmallVector<Value> results{merge ? mergeHeads(y, resType(0)) : y, k, v};
  results.resize(std::min<size_t>(3, op->getNumResults()));
  return results;
}

FailureOr<Value> MatmulLowering::splitHeads(Value x, int64_t h) {
  auto t = rtt(x);
  int64_t hd = t.getDimSize(2);
  if (hd == kDyn)
    return (LogicalResult)(fail() << "3-D query, key and value need a static hidden size");
  Type f32 = b.getF32Type();
  SmallVector<Value> dims{dimValue(b, loc, x, 0), dimValue(b, loc, x, 1), idxOf(b, loc, h), idxOf(b, loc, hd / h)};
  Value s = reshapeTo(b, loc, x, RankedTensorType::get({t.getDimSize(0), t.getDimSize(1), h, hd / h}, f32), dims);
  return nn::TransposeOp::create(b, loc, RankedTensorType::get({t.getDimSize(0), h, t.getDimSize(1), hd / h}, f32),
                                 s, b.getDenseI64ArrayAttr({0, 2, 1, 3}))
      .getResult();
}

Value MatmulLowering::mergeHeads(Value y, RankedTensorType res) {
  auto yt = rtt(y);
  auto tt = RankedTensorType::get({yt.getDimSize(0), yt.getDimSize(2), yt.getDimSize(1), yt.getDimSize(3)},
                                  yt.getElementType());
  y = nn::TransposeOp::create(b, loc, tt, y, b.getDenseI64ArrayAttr({0, 2, 1, 3})).getResult();
  SmallVector<Value> dims{dimValue(b, loc, y, 0), dimValue(b, loc, y, 1), idxOf(b, loc, res.getDimSize(2))};
  return reshapeTo(b, loc, y, res, dims);
}

Value MatmulLowering::concatSeq(Value past, Value x) {
  auto pt = rtt(past), xt = rtt(x);
  SmallVector<int64_t> shape(xt.getShape());
  shape[2] = pt.getDimSize(2) == kDyn || xt.getDimSize(2) == kDyn ? kDyn : pt.getDimSize(2) + xt.getDimSize(2);
  return nn::ConcatOp::create(b, loc, RankedTensorType::get(shape, xt.getElementType()), ValueRange{past, x}, 2)
      .getResult();
}

/// com.microsoft MultiHeadAttention (unpacked Q, K, V) as one
/// nn.attention: the biases added, heads split, past prepended, the
/// key-padding mask (0: masked) turned into an additive mask_filter_value
/// and added to attention_bias, heads merged back.
LoweringResult MatmulLowering::lowerMultiHeadAttention(ox::MultiHeadAttentionOp a) {
  Value q = a.getQuery(), k = a.getKey(), v = a.getValue();
  Type f32 = b.getF32Type();
  for (Value x : {q, k, v})
    if (!rtt(x).getElementType().isF32())
      return (LogicalResult)(fail() << "only f32 query, key and value are supported");
  int64_t n = a.getNumHeads();
  if (!isNone(a.getBias())) {
    // [Q hidden | K hidden | V hidden].
    auto bt = rtt(a.getBias());
    int64_t hq = rtt(q).getDimSize(2), hk = rtt(k).getDimSize(2), hv = rtt(v).getDimSize(2);
    if (bt.getRank() != 1 || hq == kDyn || hk == kDyn || hv == kDyn || bt.getDimSize(0) != hq + hk + hv ||
        !bt.getElementType().isF32())
      return (LogicalResult)(fail() << "bias must be f32 [query + key + value hidden sizes]");
    int64_t off = 0;
    for (Value *x : {&q, &k, &v}) {
      int64_t h = rtt(*x).getDimSize(2);
      Value slice = nn::SliceOp::create(b, loc, RankedTensorType::get({h}, f32), a.getBias(),
                                        b.getDenseI64ArrayAttr({off}), b.getDenseI64ArrayAttr({1}))
                        .getResult();
      *x = binary(b, loc, nn::BinaryKind::add, *x, slice, rtt(*x));
      off += h;
    }
  }
  FailureOr<Value> q4 = splitHeads(q, n), k4 = splitHeads(k, n), v4 = splitHeads(v, n);
  if (failed(q4) || failed(k4) || failed(v4))
    return failure();
  q = *q4, k = *k4, v = *v4;
  if (a.getUnidirectional() && !isNone(a.getPastKey()))
    return (LogicalResult)(fail() << "unidirectional with past_key is not supported");
  Value mask;
  if (!isNone(a.getKeyPaddingMask())) {
    Value m = a.getKeyPaddingMask();
    auto mt = rtt(m);
    if (mt.getRank() != 2 || !mt.getElementType().isInteger(32))
      return (LogicalResult)(fail() << "only an int32 key_padding_mask of shape [batch, total length] is supported");
    auto zt = RankedTensorType::get({1, 1}, mt.getElementType());
    Value zero = arith::ConstantOp::create(b, loc, zt, DenseElementsAttr::get(zt, b.getI32IntegerAttr(0)));
    auto bt = RankedTensorType::get(mt.getShape(), b.getI1Type());
    Value masked = nn::BinaryOp::create(b, loc, bt, m, zero, nn::BinaryKind::eq).getResult();
    auto ft = RankedTensorType::get(mt.getShape(), f32);
    Value fill = splatOfRank(b, loc, 2, f32, a.getMaskFilterValue().convertToDouble());
    mask = nn::SelectOp::create(b, loc, ft, masked, fill, splatOfRank(b, loc, 2, f32, 0.0)).getResult();
    mask = reshapeTo(b, loc, mask, RankedTensorType::get({mt.getDimSize(0), 1, 1, mt.getDimSize(1)}, f32),
                     {dimValue(b, loc, mask, 0), idxOf(b, loc, 1), idxOf(b, loc, 1), dimValue(b, loc, mask, 1)});
  }
  if (!isNone(a.getAttentionBias())) {
    Value ab = a.getAttentionBias();
    if (rtt(ab).getRank() != 4 || !rtt(ab).getElementType().isF32())
      return (LogicalResult)(fail() << "attention_bias must be f32 [batch or 1, heads or 1, S, total length]");
    if (mask) {
      auto mt = rtt(mask), at = rtt(ab);
      SmallVector<int64_t> shape;
      for (int64_t i = 0; i < 4; ++i)
        shape.push_back(mt.getDimSize(i) == 1 ? at.getDimSize(i) : mt.getDimSize(i));
      mask = nn::BinaryOp::create(b, loc, RankedTensorType::get(shape, f32), mask, ab, nn::BinaryKind::add).getResult();
    } else {
      mask = ab;
    }
  }
  std::optional<double> scale;
  if (a.getScale())
    scale = a.getScale()->convertToDouble();
  return finishAttention(q, k, v, a.getPastKey(), a.getPastValue(), mask, "the mask's", scale, a.getUnidirectional(),
                         /*merge=*/true);
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
  addLowering<ox::AttentionOp, &L::lowerAttention>(patterns);
  addLowering<ox::MultiHeadAttentionOp, &L::lowerMultiHeadAttention>(patterns);
  addLowering<ox::GemmOp, &L::lowerGemm>(patterns);
  addLowering<ox::EinsumOp, &L::lowerEinsum>(patterns);
  addLowering<ox::DetOp, &L::lowerDet>(patterns);
}

} // namespace kiln::onnx_to_nn
