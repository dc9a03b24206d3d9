//===- Matmul.cpp - onnx shape inference: matrix products -----------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// MatMul, Gemm, Einsum (and its equation parser) and Det
// (dialects/onnx/ops/Matmul.td).
//
//===----------------------------------------------------------------------===//

#include "ShapeInference.h"

#include "llvm/ADT/DenseSet.h"
#include <map>

using namespace mlir;
using namespace kiln::onnx;
using namespace kiln::onnx::inference;

/// Numpy matmul result shape of A x B (1-D operands are promoted and the
/// promoted dims dropped again); shared by MatMul and the integer matmuls.
FailureOr<SmallVector<int64_t>> inference::matmulShape(Ctx &c, RankedTensorType a,
                                                      RankedTensorType b) {
  if (a.getRank() < 1 || b.getRank() < 1)
    return (LogicalResult)(c.error() << "operands must have rank >= 1");
  SmallVector<int64_t> as(a.getShape()), bs(b.getShape());
  bool aVec = as.size() == 1, bVec = bs.size() == 1;
  if (aVec) as.insert(as.begin(), 1);
  if (bVec) bs.push_back(1);
  int64_t ka = as.back(), kb = bs[bs.size() - 2];
  if (ka != kDyn && kb != kDyn && ka != kb)
    return (LogicalResult)(c.error() << "contraction dimensions differ: A has K = " << ka
                                     << ", B has K = " << kb);
  auto batch = broadcast(c.op, ArrayRef<int64_t>(as).drop_back(2), ArrayRef<int64_t>(bs).drop_back(2));
  if (failed(batch))
    return failure();
  SmallVector<int64_t> out = *batch;
  if (!aVec) out.push_back(as[as.size() - 2]);
  if (!bVec) out.push_back(bs.back());
  return out;
}

INFER(MatMulOp) {
  CTX;
  auto a = c.ranked(getA(), "A"), b = c.ranked(getB(), "B");
  if (!a || !b || failed(checkSameElem(c, getOperands())))
    return failure();
  auto out = matmulShape(c, a, b);
  if (failed(out))
    return failure();
  return c.add(*out, a.getElementType());
}

INFER(GemmOp) {
  CTX;
  auto a = c.ranked(getA(), "A"), b = c.ranked(getB(), "B");
  if (!a || !b)
    return failure();
  if (a.getRank() != 2 || b.getRank() != 2)
    return c.error() << "A and B must be 2-D";
  int64_t m = getTransA() ? a.getDimSize(1) : a.getDimSize(0);
  int64_t ka = getTransA() ? a.getDimSize(0) : a.getDimSize(1);
  int64_t kb = getTransB() ? b.getDimSize(1) : b.getDimSize(0);
  int64_t n = getTransB() ? b.getDimSize(0) : b.getDimSize(1);
  if (ka != kDyn && kb != kDyn && ka != kb)
    return c.error() << "contraction dimensions differ: " << ka << " vs " << kb;
  if (!isa<NoneType>(getC().getType())) {
    auto ct = c.ranked(getC(), "C");
    if (!ct)
      return failure();
    SmallVector<int64_t> mn{m, n};
    if (ct.getRank() > 2 || failed(broadcast(getOperation(), mn, ct.getShape())))
      return c.error() << "C of type " << ct << " is not unidirectionally broadcastable to [M, N]";
  }
  return c.add({m, n}, a.getElementType());
}

std::string kiln::onnx::EinsumSpec::explicitEquation() const {
  // Ids 0-51 are letters; ellipsis ids take the letters no operand uses.
  llvm::SmallDenseMap<int64_t, char> letter;
  auto isLetterId = [](int64_t id) { return id < 52; };
  auto toChar = [](int64_t id) { return (char)(id < 26 ? 'a' + id : 'A' + (id - 26)); };
  llvm::SmallDenseSet<int64_t> used;
  auto all = inputs;
  all.push_back(output);
  for (auto &v : all)
    for (int64_t id : v)
      if (isLetterId(id))
        used.insert(id);
  int64_t next = 0;
  for (auto &v : all)
    for (int64_t id : v)
      if (!isLetterId(id) && !letter.count(id)) {
        while (used.count(next))
          ++next;
        used.insert(next);
        letter[id] = toChar(next);
      }
  std::string out;
  auto emit = [&](ArrayRef<int64_t> v) {
    for (int64_t id : v)
      out += isLetterId(id) ? toChar(id) : letter[id];
  };
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (i)
      out += ',';
    emit(inputs[i]);
  }
  out += "->";
  emit(output);
  return out;
}

FailureOr<kiln::onnx::EinsumSpec> kiln::onnx::parseEinsum(StringRef equation,
                                                        ArrayRef<int64_t> ranks, std::string &err) {
  std::string eq;
  for (char ch : equation)
    if (ch != ' ')
      eq += ch;
  StringRef lhs = eq, rhs;
  bool hasArrow = false;
  if (size_t pos = eq.find("->"); pos != std::string::npos) {
    lhs = StringRef(eq).take_front(pos);
    rhs = StringRef(eq).drop_front(pos + 2);
    hasArrow = true;
  }
  SmallVector<StringRef> terms;
  lhs.split(terms, ',');
  if (terms.size() != ranks.size()) {
    err = "equation '" + equation.str() + "' has " + std::to_string(terms.size()) +
          " operand terms for " + std::to_string(ranks.size()) + " inputs";
    return failure();
  }
  EinsumSpec spec;
  int64_t ellRank = -1;
  auto letterId = [](char ch) -> int64_t {
    if (ch >= 'a' && ch <= 'z') return ch - 'a';
    if (ch >= 'A' && ch <= 'Z') return 26 + (ch - 'A');
    return -1;
  };
  auto parseTerm = [&](StringRef t, int64_t rank, SmallVectorImpl<int64_t> &ids) -> bool {
    size_t ell = t.find("...");
    StringRef before = ell == StringRef::npos ? t : t.take_front(ell);
    StringRef after = ell == StringRef::npos ? StringRef() : t.drop_front(ell + 3);
    int64_t letters = before.size() + after.size();
    int64_t e = ell == StringRef::npos ? 0 : rank - letters;
    if (rank >= 0 && (e < 0 || (ell == StringRef::npos && letters != rank))) {
      err = "term '" + t.str() + "' does not match an operand of rank " + std::to_string(rank);
      return false;
    }
    for (char ch : before) {
      if (letterId(ch) < 0) {
        err = std::string("invalid subscript '") + ch + "'";
        return false;
      }
      ids.push_back(letterId(ch));
    }
    if (ell != StringRef::npos) {
      if (rank < 0) { // output: the broadcast of all ellipses
        e = std::max<int64_t>(ellRank, 0);
      } else {
        ellRank = std::max(ellRank, e);
      }
      // Ellipsis dims are right-aligned across operands.
      for (int64_t k = 0; k < e; ++k)
        ids.push_back(52 + (std::max<int64_t>(ellRank, e) - e) + k);
    }
    for (char ch : after) {
      if (letterId(ch) < 0) {
        err = std::string("invalid subscript '") + ch + "'";
        return false;
      }
      ids.push_back(letterId(ch));
    }
    return true;
  };
  // First pass for the maximal ellipsis rank, then build the ids.
  for (size_t i = 0; i < terms.size(); ++i) {
    size_t ell = terms[i].find("...");
    if (ell != StringRef::npos)
      ellRank = std::max<int64_t>(ellRank, ranks[i] - (int64_t)(terms[i].size() - 3));
  }
  for (size_t i = 0; i < terms.size(); ++i) {
    spec.inputs.emplace_back();
    if (!parseTerm(terms[i], ranks[i], spec.inputs.back()))
      return failure();
  }
  if (hasArrow) {
    if (!parseTerm(rhs, -1, spec.output))
      return failure();
    llvm::SmallDenseSet<int64_t> seenOut;
    for (int64_t id : spec.output) {
      if (!seenOut.insert(id).second) {
        err = "output subscript repeated in '" + equation.str() + "'";
        return failure();
      }
      if (!llvm::any_of(spec.inputs, [&](auto &v) { return llvm::is_contained(v, id); })) {
        err = "output subscript not among the inputs in '" + equation.str() + "'";
        return failure();
      }
    }
  } else {
    // Implicit output: ellipsis dims first, then letters appearing once, sorted.
    for (int64_t k = 0; k < std::max<int64_t>(ellRank, 0); ++k)
      spec.output.push_back(52 + k);
    std::map<int64_t, int> count;
    for (auto &v : spec.inputs)
      for (int64_t id : v)
        if (id < 52)
          ++count[id];
    for (auto &[id, n] : count)
      if (n == 1)
        spec.output.push_back(id);
  }
  return spec;
}

/// The key positions of an attention operator: `lk` new ones after those
/// of `pastKey` ([B, heads, past length, head size]) when given.
static FailureOr<int64_t> totalKeys(Ctx &c, Value pastKey, int64_t lk) {
  if (isNone(pastKey))
    return lk;
  auto pk = c.ranked(pastKey, "past_key");
  if (!pk || pk.getRank() != 4)
    return (LogicalResult)(c.error() << "past_key must be 4-D [B, heads, past length, head size]");
  return pk.getDimSize(2) == kDyn || lk == kDyn ? kDyn : pk.getDimSize(2) + lk;
}

/// The result types of an attention operator: the first of `shapes`, one
/// per result the node has (`what` names the outputs it may have).
static LogicalResult addAttentionResults(Ctx &c, ArrayRef<SmallVector<int64_t>> shapes, Type et, StringRef what) {
  unsigned n = c.op->getNumResults();
  if (n > shapes.size())
    return c.error() << "has " << n << " outputs; " << what;
  for (unsigned i = 0; i < n; ++i)
    if (failed(c.add(shapes[i], et)))
      return failure();
  return success();
}

INFER(AttentionOp) {
  CTX;
  auto q = c.ranked(getQ(), "Q"), k = c.ranked(getK(), "K"), v = c.ranked(getV(), "V");
  if (!q || !k || !v)
    return failure();
  int64_t r = q.getRank();
  if ((r != 3 && r != 4) || k.getRank() != r || v.getRank() != r)
    return c.error() << "Q, K and V must all be 3-D [B, L, heads x size] or all 4-D [B, heads, L, size]";
  auto mul = [](int64_t a, int64_t b) { return a == kDyn || b == kDyn ? kDyn : a * b; };
  auto div = [](int64_t a, int64_t b) { return a == kDyn ? kDyn : a / b; };
  int64_t B = q.getDimSize(0), hq, hkv, lq, lk, d, dv;
  if (r == 4) {
    hq = q.getDimSize(1), hkv = k.getDimSize(1), lq = q.getDimSize(2), lk = k.getDimSize(2);
    d = k.getDimSize(3), dv = v.getDimSize(3);
  } else {
    if (!getQNumHeads() || !getKvNumHeads() || *getQNumHeads() < 1 || *getKvNumHeads() < 1)
      return c.error() << "3-D Q, K and V need q_num_heads and kv_num_heads (at least 1)";
    hq = *getQNumHeads(), hkv = *getKvNumHeads(), lq = q.getDimSize(1), lk = k.getDimSize(1);
    int64_t qs = q.getDimSize(2), ks = k.getDimSize(2), vs = v.getDimSize(2);
    if ((qs != kDyn && qs % hq) || (ks != kDyn && ks % hkv) || (vs != kDyn && vs % hkv))
      return c.error() << "the hidden sizes of Q, K and V (" << qs << ", " << ks << ", " << vs
                       << ") must be multiples of q_num_heads (" << hq << ") and kv_num_heads (" << hkv << ")";
    d = div(ks, hkv), dv = div(vs, hkv);
  }
  FailureOr<int64_t> total = totalKeys(c, getPastKey(), lk);
  if (failed(total))
    return failure();
  SmallVector<int64_t> y = r == 4 ? SmallVector<int64_t>{B, hq, lq, dv} : SmallVector<int64_t>{B, lq, mul(hq, dv)};
  return addAttentionResults(
      c, {y, {B, hkv, *total, d}, {B, hkv, *total, dv}, {B, hq, lq, *total}}, q.getElementType(),
      "Attention has at most 4");
}

INFER(MultiHeadAttentionOp) {
  CTX;
  auto q = c.ranked(getQuery(), "query");
  if (!q)
    return failure();
  if (isNone(getKey()) || isNone(getValue()))
    return c.error() << "packed query/key/value (no separate key and value) is not supported";
  auto k = c.ranked(getKey(), "key"), v = c.ranked(getValue(), "value");
  if (!k || !v)
    return failure();
  if (q.getRank() != 3 || k.getRank() != 3 || v.getRank() != 3)
    return c.error() << "query, key and value must be 3-D [B, L, heads x head size] (other layouts are not "
                        "supported)";
  int64_t n = getNumHeads();
  if (n < 1)
    return c.error() << "num_heads must be at least 1";
  for (auto [t, what] : {std::pair{q, "query"}, {k, "key"}, {v, "value"}})
    if (!t.isDynamicDim(2) && t.getDimSize(2) % n)
      return c.error() << "the hidden size of " << what << " (" << t.getDimSize(2) << ") is not a multiple of num_heads ("
                       << n << ")";
  auto div = [&](int64_t a) { return a == kDyn ? kDyn : a / n; };
  FailureOr<int64_t> total = totalKeys(c, getPastKey(), k.getDimSize(1));
  if (failed(total))
    return failure();
  int64_t B = q.getDimSize(0);
  return addAttentionResults(c,
                             {{B, q.getDimSize(1), v.getDimSize(2)},
                              {B, n, *total, div(k.getDimSize(2))},
                              {B, n, *total, div(v.getDimSize(2))}},
                             q.getElementType(), "only output, present_key and present_value are supported");
}

FailureOr<SmallVector<int64_t, 3>> kiln::onnx::msAttentionHiddenSizes(MsAttentionOp op, int64_t cols) {
  if (auto sizes = op.getQkvHiddenSizes()) {
    SmallVector<int64_t, 3> r;
    for (Attribute a : *sizes)
      r.push_back(cast<IntegerAttr>(a).getInt());
    if (r.size() != 3)
      return failure();
    return r;
  }
  if (cols == kDyn || cols % 3)
    return failure();
  return SmallVector<int64_t, 3>{cols / 3, cols / 3, cols / 3};
}

INFER(MsAttentionOp) {
  CTX;
  auto x = c.ranked(getInput(), "input"), w = c.ranked(getWeights(), "weights");
  if (!x || !w)
    return failure();
  if (x.getRank() != 3 || w.getRank() != 2)
    return c.error() << "input must be 3-D [B, S, input hidden] and weights 2-D [input hidden, Q + K + V hidden]";
  int64_t n = getNumHeads();
  if (n < 1)
    return c.error() << "num_heads must be at least 1";
  auto sizes = msAttentionHiddenSizes(*this, w.getDimSize(1));
  if (failed(sizes))
    return c.error() << "qkv_hidden_sizes must have 3 entries, or the weights' columns (" << w.getDimSize(1)
                     << ") 3 equal parts";
  int64_t hq = (*sizes)[0], hk = (*sizes)[1], hv = (*sizes)[2];
  if (hq < 1 || hk != hq || hv < 1 || hq % n || hv % n)
    return c.error() << "the Q, K and V hidden sizes (" << hq << ", " << hk << ", " << hv
                     << ") must be positive multiples of num_heads (" << n << "), Q's equal to K's";
  if (!w.isDynamicDim(1) && w.getDimSize(1) != hq + hk + hv)
    return c.error() << "weights have " << w.getDimSize(1) << " columns, qkv_hidden_sizes sum to " << hq + hk + hv;
  int64_t B = x.getDimSize(0), S = x.getDimSize(1), T = S;
  if (!isNone(getPast())) {
    auto p = c.ranked(getPast(), "past");
    if (!p)
      return failure();
    if (p.getRank() != 5)
      return c.error() << "past must be 5-D [2, B, num_heads, past length, head size]";
    T = p.getDimSize(3) == kDyn || S == kDyn ? kDyn : p.getDimSize(3) + S;
  }
  return addAttentionResults(c, {{B, S, hv}, {2, B, n, T, hk / n}}, x.getElementType(),
                             "only output and present are supported");
}

INFER(EinsumOp) {
  CTX;
  SmallVector<int64_t> ranks;
  SmallVector<RankedTensorType> ts;
  for (Value v : getInputs()) {
    auto t = c.ranked(v, "Inputs");
    if (!t)
      return failure();
    ranks.push_back(t.getRank());
    ts.push_back(t);
  }
  if (ts.empty())
    return c.error() << "needs at least one input";
  std::string err;
  auto spec = parseEinsum(getEquation(), ranks, err);
  if (failed(spec))
    return c.error() << err;
  std::map<int64_t, int64_t> size;
  for (size_t i = 0; i < ts.size(); ++i) {
    if (ts[i].getElementType() != ts[0].getElementType())
      return c.error() << "inputs must have one element type";
    for (size_t k = 0; k < spec->inputs[i].size(); ++k) {
      int64_t id = spec->inputs[i][k], d = ts[i].getDimSize(k);
      auto [it, fresh] = size.try_emplace(id, d);
      if (fresh || it->second == d || d == kDyn)
        continue;
      if (it->second == kDyn || (id >= 52 && it->second == 1)) {
        it->second = d;
      } else if (!(id >= 52 && d == 1)) {
        return c.error() << "subscript dims disagree: " << it->second << " vs " << d;
      }
    }
  }
  SmallVector<int64_t> out;
  for (int64_t id : spec->output)
    out.push_back(size.count(id) ? size[id] : 1);
  return c.add(out, ts[0].getElementType());
}

INFER(DetOp) {
  CTX;
  auto x = c.ranked(getX(), "X");
  if (!x)
    return failure();
  if (x.getRank() < 2 || !isa<FloatType>(x.getElementType()))
    return c.error() << "X must be a float tensor [..., M, M]";
  int64_t m = x.getDimSize(x.getRank() - 1), n = x.getDimSize(x.getRank() - 2);
  if (m != kDyn && n != kDyn && m != n)
    return c.error() << "the matrices must be square; got " << n << " x " << m;
  return c.add(x.getShape().drop_back(2), x.getElementType());
}
