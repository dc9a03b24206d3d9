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
#include <limits>

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
  LoweringResult lowerMsAttention(ox::MsAttentionOp a);
  // [B, L, H x D] -> [B, H, L, D] and back; past prepended along L.
  FailureOr<Value> splitHeads(Value x, int64_t h);
  Value mergeHeads(Value y, RankedTensorType res);
  Value concatSeq(Value past, Value x);
  // The shared end of all three: past key / value prepended, the rank-4
  // mask checked against the scores, the default scale, nn.attention, heads
  // merged back (`merge`); the results y, present key, present value.
  // `causalFromEnd`: causal attention aligned to the last key (ONNX
  // Runtime's `unidirectional`: query row i is position P + i after P past
  // keys), else to the first (ONNX's `is_causal`).
  LoweringResult finishAttention(Value q, Value k, Value v, Value pastKey, Value pastValue, Value mask,
                                 StringRef maskName, std::optional<double> scale, bool causal, bool merge,
                                 bool causalFromEnd = false);
  // f32 [1, 1, S, T] for query [.., S, D] and key [.., T, D]: 0 where key j
  // <= i + T - S, the lowest float elsewhere (ONNX Runtime's causal mask).
  Value causalFromEndMask(Value q, Value k);
  // The sum of two rank-4 f32 masks (either may be null).
  Value addMasks(Value m, Value n);
  // ONNX Runtime's int32 key masks (mask_index, key_padding_mask) as an
  // additive f32 mask [B, 1, 1 or S, T]: `fill` where a [B, T] or [B, S,
  // T] mask is <= 0, or (1-D [B] / [2B]) from each sequence's end (and start)
  // position on; `keys` is the key in heads ([B, N, T, D]).
  FailureOr<Value> keyMask(Value m, Value keys, double fill, StringRef name);
  // The additive mask of ONNX Runtime's attention operators: the int32 key
  // mask `km` (may be none; keyMask with `fill`) plus `bias`
  // (attention_bias, may be none); null when neither.  `past` (may be null)
  // [B, N, P, H] is prepended to the key `k` for the mask's length.
  FailureOr<Value> msMask(Value km, StringRef name, APFloat fill, Value bias, Value past, Value k);
  // The first of `r` that the op has.
  LoweringResult firstResults(LoweringResult r) {
    if (succeeded(r))
      r->resize(std::min<size_t>(r->size(), op->getNumResults()));
    return r;
  }
  // An integer constant of type `t` (one value: a splat).
  Value intTensor(RankedTensorType t, ArrayRef<int64_t> vals) {
    SmallVector<APInt> v;
    for (int64_t x : vals)
      v.push_back(APInt(t.getElementTypeBitWidth(), x, /*isSigned=*/true));
    auto attr = vals.size() == 1 ? DenseElementsAttr::get(t, v[0]) : DenseElementsAttr::get(t, v);
    return arith::ConstantOp::create(b, loc, t, attr);
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
  return firstResults(finishAttention(q, k, v, a.getPastKey(), a.getPastValue(), mask, "attn_mask", scale,
                                      a.getIsCausal(), r == 3));
}

LoweringResult MatmulLowering::finishAttention(Value q, Value k, Value v, Value pastKey, Value pastValue, Value mask,
                                               StringRef maskName, std::optional<double> scale, bool causal,
                                               bool merge, bool causalFromEnd) {
  if (isNone(pastKey) != isNone(pastValue))
    return (LogicalResult)(fail() << "past_key and past_value must be given together");
  if (!isNone(pastKey)) {
    if (!rtt(pastKey).getElementType().isF32() || !rtt(pastValue).getElementType().isF32())
      return (LogicalResult)(fail() << "only f32 past_key and past_value are supported");
    k = concatSeq(pastKey, k);
    v = concatSeq(pastValue, v);
    if (causal && causalFromEnd) {
      // Query row i is position P + i: the op's top-left causal flag would
      // hide the past from it.
      if (mask && !rtt(mask).getElementType().isF32())
        return (LogicalResult)(fail() << "a bool mask with causal attention over a cache is not supported");
      mask = addMasks(mask, causalFromEndMask(q, k));
      causal = false;
    }
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
  return SmallVector<Value>{merge ? mergeHeads(y, resType(0)) : y, k, v};
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
  FailureOr<Value> mask = msMask(a.getKeyPaddingMask(), "key_padding_mask", a.getMaskFilterValue(),
                                 a.getAttentionBias(), isNone(a.getPastKey()) ? Value() : a.getPastKey(), k);
  if (failed(mask))
    return failure();
  std::optional<double> scale;
  if (a.getScale())
    scale = a.getScale()->convertToDouble();
  return firstResults(finishAttention(q, k, v, a.getPastKey(), a.getPastValue(), *mask, "the mask's", scale,
                                      a.getUnidirectional(), /*merge=*/true, /*causalFromEnd=*/true));
}

Value MatmulLowering::addMasks(Value m, Value n) {
  if (!m || !n)
    return m ? m : n;
  auto mt = rtt(m), nt = rtt(n);
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < 4; ++i)
    shape.push_back(mt.getDimSize(i) == 1 ? nt.getDimSize(i) : mt.getDimSize(i));
  return nn::BinaryOp::create(b, loc, RankedTensorType::get(shape, b.getF32Type()), m, n, nn::BinaryKind::add)
      .getResult();
}

Value MatmulLowering::causalFromEndMask(Value q, Value k) {
  Type f32 = b.getF32Type(), i64 = b.getI64Type();
  int64_t s = rtt(q).getDimSize(2), t = rtt(k).getDimSize(2);
  auto mt = RankedTensorType::get({1, 1, s, t}, f32);
  // The lowest float at j - i >= T - S + 1 (trilu's upper triangle), 0
  // below it.
  auto lowest = b.getF32FloatAttr(std::numeric_limits<float>::lowest());
  if (s != kDyn && t != kDyn) {
    Value fill = nn::FillOp::create(b, loc, mt, Value(), lowest);
    return nn::TriluOp::create(b, loc, mt, fill, Value(), b.getBoolAttr(true), b.getI64IntegerAttr(t - s + 1));
  }
  auto one = RankedTensorType::get({1}, i64);
  Value sv = nn::ShapeOfOp::create(b, loc, one, q, b.getI64IntegerAttr(2), b.getI64IntegerAttr(3));
  Value tv = nn::ShapeOfOp::create(b, loc, one, k, b.getI64IntegerAttr(2), b.getI64IntegerAttr(3));
  Value ones = intTensor(RankedTensorType::get({2}, i64), {1, 1});
  Value shape =
      nn::ConcatOp::create(b, loc, RankedTensorType::get({4}, i64), ValueRange{ones, sv, tv}, 0).getResult();
  Value fill = nn::FillOp::create(b, loc, mt, shape, lowest);
  Value diag = nn::BinaryOp::create(b, loc, one, tv, sv, nn::BinaryKind::sub).getResult();
  diag = nn::BinaryOp::create(b, loc, one, diag, intTensor(one, {1}), nn::BinaryKind::add).getResult();
  return nn::TriluOp::create(b, loc, mt, fill, diag, b.getBoolAttr(true), b.getI64IntegerAttr(0));
}

FailureOr<Value> MatmulLowering::keyMask(Value m, Value keys, double fill, StringRef name) {
  auto mt = rtt(m);
  Type f32 = b.getF32Type(), i1 = b.getI1Type(), i64 = b.getI64Type();
  if (!mt.getElementType().isInteger(32) || mt.getRank() < 1 || mt.getRank() > 3)
    return (LogicalResult)(fail() << name << " must be int32 [B], [2 x B], [B, total length] or [B, S, total length]");
  int64_t bs = rtt(keys).getDimSize(0), t = rtt(keys).getDimSize(2);
  Value keep;
  SmallVector<int64_t> shape;
  if (mt.getRank() == 1) {
    // Key positions 0 .. T-1 against each sequence's end (and start).
    int64_t n = mt.getDimSize(0);
    bool starts = n != kDyn && bs != kDyn && n == 2 * bs;
    if (n != kDyn && bs != kDyn && n != bs && !starts)
      return (LogicalResult)(fail() << "1-D " << name << " must have B (" << bs << ") or 2 x B entries, not " << n);
    if (n == kDyn || bs == kDyn)
      return (LogicalResult)(fail() << "1-D " << name << " needs a static batch size");
    auto scalar = RankedTensorType::get({}, i64);
    Value limit = nn::ShapeOfOp::create(b, loc, RankedTensorType::get({1}, i64), keys, b.getI64IntegerAttr(2),
                                        b.getI64IntegerAttr(3));
    limit = reshapeTo(b, loc, limit, scalar);
    Value pos = nn::RangeOp::create(b, loc, RankedTensorType::get({t}, i64), intTensor(scalar, {0}), limit,
                                    intTensor(scalar, {1}))
                    .getResult();
    pos = reshapeTo(b, loc, pos, RankedTensorType::get({1, t}, i64), {idxOf(b, loc, 1), dimValue(b, loc, pos, 0)});
    auto edge = [&](int64_t off) {
      Value e = nn::SliceOp::create(b, loc, RankedTensorType::get({bs}, mt.getElementType()), m,
                                    b.getDenseI64ArrayAttr({off}), b.getDenseI64ArrayAttr({1}))
                    .getResult();
      return reshapeTo(b, loc, castElem(b, loc, e, i64), RankedTensorType::get({bs, 1}, i64));
    };
    auto bt = RankedTensorType::get({bs, t}, i1);
    keep = nn::BinaryOp::create(b, loc, bt, pos, edge(0), nn::BinaryKind::lt).getResult();
    if (starts) {
      Value after = nn::BinaryOp::create(b, loc, bt, pos, edge(bs), nn::BinaryKind::ge).getResult();
      keep = nn::BinaryOp::create(b, loc, bt, keep, after, nn::BinaryKind::logical_and).getResult();
    }
    shape = {bs, 1, 1, t};
  } else {
    Value zero = intTensor(RankedTensorType::get(SmallVector<int64_t>(mt.getRank(), 1), mt.getElementType()), {0});
    keep = nn::BinaryOp::create(b, loc, mt.clone(i1), m, zero, nn::BinaryKind::gt).getResult();
    shape = {mt.getDimSize(0), 1, mt.getRank() == 3 ? mt.getDimSize(1) : 1, mt.getDimSize(mt.getRank() - 1)};
  }
  auto kt = rtt(keep);
  Value add = nn::SelectOp::create(b, loc, kt.clone(f32), keep, splatOfRank(b, loc, kt.getRank(), f32, 0.0),
                                   splatOfRank(b, loc, kt.getRank(), f32, fill))
                  .getResult();
  Value c1 = idxOf(b, loc, 1);
  SmallVector<Value> dims{dimValue(b, loc, add, 0), c1, c1, dimValue(b, loc, add, kt.getRank() - 1)};
  if (kt.getRank() == 3)
    dims[2] = dimValue(b, loc, add, 1);
  return reshapeTo(b, loc, add, RankedTensorType::get(shape, f32), dims);
}

FailureOr<Value> MatmulLowering::msMask(Value km, StringRef name, APFloat fill, Value bias, Value past, Value k) {
  Value mask;
  if (!isNone(km)) {
    FailureOr<Value> m = keyMask(km, past ? concatSeq(past, k) : k, fill.convertToDouble(), name);
    if (failed(m))
      return failure();
    mask = *m;
  }
  if (!isNone(bias)) {
    if (rtt(bias).getRank() != 4 || !rtt(bias).getElementType().isF32())
      return (LogicalResult)(fail() << "attention_bias must be f32 [batch or 1, heads or 1, S, total length]");
    mask = addMasks(mask, bias);
  }
  return mask;
}

/// com.microsoft Attention (the QKV projection packed into one weight) as
/// one matmul, Q, K and V sliced from its columns, and nn.attention.
LoweringResult MatmulLowering::lowerMsAttention(ox::MsAttentionOp a) {
  if (a.getDoRotary())
    return (LogicalResult)(fail() << "do_rotary is not supported");
  if (a.getPastPresentShareBuffer() || !isNone(a.getPastSequenceLength()))
    return (LogicalResult)(fail() << "past_present_share_buffer (and past_sequence_length) is not supported");
  Type f32 = b.getF32Type();
  Value x = a.getInput(), w = a.getWeights();
  for (Value t : {x, w})
    if (!rtt(t).getElementType().isF32())
      return (LogicalResult)(fail() << "only f32 input and weights are supported");
  auto xt = rtt(x);
  auto sizes = ox::msAttentionHiddenSizes(a, rtt(w).getDimSize(1));
  int64_t n = a.getNumHeads(), total = (*sizes)[0] + (*sizes)[1] + (*sizes)[2];
  auto qkvT = RankedTensorType::get({xt.getDimSize(0), xt.getDimSize(1), total}, f32);
  Value qkv = nn::MatmulOp::create(b, loc, qkvT, x, toRank(b, loc, w, 3));
  if (!isNone(a.getBias())) {
    auto bt = rtt(a.getBias());
    if (bt.getRank() != 1 || !bt.getElementType().isF32() || (bt.getDimSize(0) != kDyn && bt.getDimSize(0) != total))
      return (LogicalResult)(fail() << "bias must be f32 [" << total << "] (Q, K and V hidden sizes)");
    qkv = binary(b, loc, nn::BinaryKind::add, qkv, a.getBias(), qkvT);
  }
  SmallVector<Value, 3> parts;
  int64_t off = 0;
  for (int64_t h : *sizes) {
    auto pt = RankedTensorType::get({xt.getDimSize(0), xt.getDimSize(1), h}, f32);
    Value p = nn::SliceOp::create(b, loc, pt, qkv, b.getDenseI64ArrayAttr({0, 0, off}),
                                  b.getDenseI64ArrayAttr({1, 1, 1}))
                  .getResult();
    FailureOr<Value> p4 = splitHeads(p, n);
    if (failed(p4))
      return failure();
    parts.push_back(*p4);
    off += h;
  }
  Value q = parts[0], k = parts[1], v = parts[2];
  Value pastK, pastV;
  bool wantPresent = op->getNumResults() > 1;
  if (!isNone(a.getPast())) {
    auto pt = rtt(a.getPast());
    if (!pt.getElementType().isF32())
      return (LogicalResult)(fail() << "only an f32 past is supported");
    auto half = RankedTensorType::get({1, pt.getDimSize(1), pt.getDimSize(2), pt.getDimSize(3), pt.getDimSize(4)}, f32);
    auto kv = RankedTensorType::get(half.getShape().drop_front(), f32);
    for (auto [i, dst] : llvm::enumerate(SmallVector<Value *>{&pastK, &pastV})) {
      Value h = nn::SliceOp::create(b, loc, half, a.getPast(), b.getDenseI64ArrayAttr({(int64_t)i, 0, 0, 0, 0}),
                                    b.getDenseI64ArrayAttr({1, 1, 1, 1, 1}))
                    .getResult();
      *dst = reshapeTo(b, loc, h, kv,
                       {dimValue(b, loc, h, 1), dimValue(b, loc, h, 2), dimValue(b, loc, h, 3), dimValue(b, loc, h, 4)});
    }
  }
  if ((wantPresent || pastK) && (*sizes)[1] != (*sizes)[2])
    return (LogicalResult)(fail() << "past and present need equal K and V hidden sizes");
  if (!isNone(a.getMaskIndex()) && rtt(a.getMaskIndex()).getRank() == 4)
    return (LogicalResult)(fail() << "a 4-D mask_index (Megatron's) is not supported");
  FailureOr<Value> mask =
      msMask(a.getMaskIndex(), "mask_index", a.getMaskFilterValue(), a.getAttentionBias(), pastK, k);
  if (failed(mask))
    return failure();
  std::optional<double> scale;
  if (a.getScale())
    scale = a.getScale()->convertToDouble();
  LoweringResult r = finishAttention(q, k, v, pastK ? pastK : Value(), pastV ? pastV : Value(), *mask, "the mask's",
                                     scale, a.getUnidirectional(), /*merge=*/true, /*causalFromEnd=*/true);
  if (failed(r) || !wantPresent)
    return r;
  // present [2, B, N, T, H]: the keys and values stacked.
  SmallVector<Value> results = *r;
  auto kt = rtt(results[1]);
  auto one = RankedTensorType::get({1, kt.getDimSize(0), kt.getDimSize(1), kt.getDimSize(2), kt.getDimSize(3)}, f32);
  SmallVector<Value> halves;
  for (Value t : {results[1], results[2]})
    halves.push_back(reshapeTo(b, loc, t, one,
                               {idxOf(b, loc, 1), dimValue(b, loc, t, 0), dimValue(b, loc, t, 1),
                                dimValue(b, loc, t, 2), dimValue(b, loc, t, 3)}));
  Value present = nn::ConcatOp::create(b, loc, resType(1), halves, 0).getResult();
  return SmallVector<Value>{results[0], present};
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
  addLowering<ox::MsAttentionOp, &L::lowerMsAttention>(patterns);
  addLowering<ox::GemmOp, &L::lowerGemm>(patterns);
  addLowering<ox::EinsumOp, &L::lowerEinsum>(patterns);
  addLowering<ox::DetOp, &L::lowerDet>(patterns);
}

} // namespace kiln::onnx_to_nn
