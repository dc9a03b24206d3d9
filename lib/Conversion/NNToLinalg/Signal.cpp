//===- Signal.cpp - signal processing to linalg ---------------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// nn.window, nn.dft, nn.stft and nn.mel_weight_matrix (signal processing),
// and nn.tfidf (n-gram counts): linalg.generics computing in f64 where the
// ONNX reference does.
//
//===----------------------------------------------------------------------===//

#include "Common.h"
#include "Patterns.h"

using namespace mlir;
using namespace kiln::nn_to_linalg;
namespace nn = kiln::nn;

namespace {

Value qF64(OpBuilder &b, Location loc, double v) { return scalar(b, loc, b.getF64Type(), v); }
Value qIdxToF64(OpBuilder &b, Location loc, Value i) {
  return arith::SIToFPOp::create(b, loc, b.getF64Type(),
                                 arith::IndexCastOp::create(b, loc, b.getI64Type(), i));
}

/// Reads element 0 of a one-element integer tensor as an index.
Value qScalarIndex(OpBuilder &b, Location loc, Value t) {
  Value v = scalarOf(b, loc, t);
  if (v.getType().isIndex())
    return v;
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
}

/// Shared DFT body: the f64 contribution of input component `ci` (value v)
/// at sample n to output component `co` of bin k, for transform length len.
Value qTwiddle(OpBuilder &b, Location loc, Value v, Value k, Value n, Value co, Value ci, Value len,
               bool inverse) {
  Value kn = arith::RemUIOp::create(b, loc, arith::MulIOp::create(b, loc, k, n), len);
  Value ang = arith::DivFOp::create(b, loc, arith::MulFOp::create(b, loc, qIdxToF64(b, loc, kn),
                                                                 qF64(b, loc, (inverse ? 2 : -2) * M_PI)),
                                    qIdxToF64(b, loc, len));
  Value c = math::CosOp::create(b, loc, ang), s = math::SinOp::create(b, loc, ang);
  Value same = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, co, ci);
  Value co0 = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, co, cIdx(b, loc, 0));
  Value coef = arith::SelectOp::create(b, loc, same, c,
                                       arith::SelectOp::create(b, loc, co0, arith::NegFOp::create(b, loc, s), s));
  return arith::MulFOp::create(b, loc, v, coef);
}

/// Accumulates `terms` (an f64 generic over result dims + 2 reduction dims)
/// and converts to the result type, scaling by `scale`.
Value qFinishF64(OpBuilder &b, Location loc, Value acc, RankedTensorType res, ArrayRef<Value> dims,
                 Value scaleF64) {
  Value init = empty(b, loc, res, dims);
  return qGeneric(b, loc, res, init, {acc}, {b.getMultiDimIdentityMap(res.getRank())},
                  SmallVector<utils::IteratorType>(res.getRank(), utils::IteratorType::parallel),
                  [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
    Value v = a[0];
    if (scaleF64)
      v = arith::DivFOp::create(nb, nl, v, scaleF64);
    return castScalar(nb, nl, v, res.getElementType(), false, false);
  });
}

Value lowerWindow(OpBuilder &b, nn::WindowOp w) {
  Location loc = w.getLoc();
  auto res = rtt(w.getResult());
  // A negative size gives an empty window.
  Value n = arith::MaxSIOp::create(b, loc, qScalarIndex(b, loc, w.getSize()), cIdx(b, loc, 0));
  Value init = empty(b, loc, res, {n});
  double a0 = 0.5, a1 = 0.5, a2 = 0;
  if (w.getKind() == "hamming") a0 = 25.0 / 46.0, a1 = 21.0 / 46.0;
  else if (w.getKind() == "blackman") a0 = 0.42, a1 = 0.5, a2 = 0.08;
  Value N = qIdxToF64(b, loc, n);
  if (!w.getPeriodic())
    N = arith::SubFOp::create(b, loc, N, qF64(b, loc, 1));
  return qGeneric(b, loc, res, init, {}, {}, {utils::IteratorType::parallel},
                  [&](OpBuilder &nb, Location nl, ValueRange) -> Value {
    Value k = qIdxToF64(nb, nl, linalg::IndexOp::create(nb, nl, 0));
    Value ang = arith::DivFOp::create(nb, nl, arith::MulFOp::create(nb, nl, k, qF64(nb, nl, 2 * M_PI)), N);
    Value v = arith::SubFOp::create(nb, nl, qF64(nb, nl, a0),
                                    arith::MulFOp::create(nb, nl, qF64(nb, nl, a1), math::CosOp::create(nb, nl, ang)));
    if (a2 != 0) {
      Value c2 = math::CosOp::create(nb, nl, arith::MulFOp::create(nb, nl, ang, qF64(nb, nl, 2)));
      v = arith::AddFOp::create(nb, nl, v, arith::MulFOp::create(nb, nl, qF64(nb, nl, a2), c2));
    }
    return castScalar(nb, nl, v, res.getElementType(), false, false);
  });
}

Value lowerDFT(OpBuilder &b, nn::DFTOp d) {
  Location loc = d.getLoc();
  auto res = rtt(d.getResult());
  auto in = rtt(d.getInput());
  int64_t r = in.getRank(), axis = d.getAxis(), len = d.getLength(), cin = in.getDimSize(r - 1);
  bool inverse = d.getInverse();
  SmallVector<Value> dims;
  for (int64_t i = 0; i < r; ++i)
    dims.push_back(i == axis || i == r - 1 ? cIdx(b, loc, res.getDimSize(i)) : dimOf(b, loc, d.getInput(), i));
  auto accT = res.clone(b.getF64Type());
  Value acc = fillTensor(b, loc, empty(b, loc, accT, dims), qF64(b, loc, 0));
  Value dummy = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{len, cin}, b.getF64Type());
  SmallVector<utils::IteratorType> iters(r, utils::IteratorType::parallel);
  iters.push_back(utils::IteratorType::reduction);
  iters.push_back(utils::IteratorType::reduction);
  AffineMap dm = AffineMap::get(r + 2, 0, {b.getAffineDimExpr(r), b.getAffineDimExpr(r + 1)}, b.getContext());
  Value inDim = dimOf(b, loc, d.getInput(), axis);
  Value x = d.getInput();
  Value sum = qGeneric(b, loc, accT, acc, {dummy}, {dm}, iters,
                       [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
    SmallVector<Value> idx;
    for (int64_t i = 0; i < r + 2; ++i) idx.push_back(linalg::IndexOp::create(nb, nl, i));
    Value n = idx[r], ci = idx[r + 1], k = idx[axis], co = idx[r - 1];
    Value valid = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::ult, n, inDim);
    SmallVector<Value> xi(idx.begin(), idx.begin() + r);
    xi[axis] = arith::SelectOp::create(nb, nl, valid, n, cIdx(nb, nl, 0));
    xi[r - 1] = ci;
    Value v = castScalar(nb, nl, tensor::ExtractOp::create(nb, nl, x, xi), nb.getF64Type(), false, false);
    v = arith::SelectOp::create(nb, nl, valid, v, qF64(nb, nl, 0));
    Value t = qTwiddle(nb, nl, v, k, n, co, ci, cIdx(nb, nl, len), inverse);
    return arith::AddFOp::create(nb, nl, a[1], t);
  });
  return qFinishF64(b, loc, sum, res, dims, inverse ? qF64(b, loc, (double)len) : Value());
}

Value lowerSTFT(OpBuilder &b, nn::STFTOp s) {
  Location loc = s.getLoc();
  auto res = rtt(s.getResult());
  auto sig = rtt(s.getSignal());
  int64_t cin = sig.getDimSize(2);
  Value step = qScalarIndex(b, loc, s.getFrameStep());
  Value fl = s.getWindow() ? dimOf(b, loc, s.getWindow(), 0) : qScalarIndex(b, loc, s.getFrameLength());
  Value L = dimOf(b, loc, s.getSignal(), 1);
  // No frame when the signal is shorter than one frame.
  Value frames = arith::AddIOp::create(b, loc, arith::DivUIOp::create(b, loc, arith::SubIOp::create(b, loc, L, fl), step),
                                       cIdx(b, loc, 1));
  frames = arith::SelectOp::create(b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, L, fl),
                                   cIdx(b, loc, 0), frames);
  Value bins = s.getOnesided() ? (Value)arith::AddIOp::create(b, loc, arith::DivUIOp::create(b, loc, fl, cIdx(b, loc, 2)),
                                                              cIdx(b, loc, 1))
                               : fl;
  SmallVector<Value> dims{dimOf(b, loc, s.getSignal(), 0), frames, bins, cIdx(b, loc, 2)};
  auto accT = res.clone(b.getF64Type());
  Value acc = fillTensor(b, loc, empty(b, loc, accT, dims), qF64(b, loc, 0));
  Value dummy = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{kDyn, cin}, b.getF64Type(), ValueRange{fl});
  SmallVector<utils::IteratorType> iters(4, utils::IteratorType::parallel);
  iters.push_back(utils::IteratorType::reduction);
  iters.push_back(utils::IteratorType::reduction);
  AffineMap dm = AffineMap::get(6, 0, {b.getAffineDimExpr(4), b.getAffineDimExpr(5)}, b.getContext());
  Value x = s.getSignal(), win = s.getWindow();
  Value sum = qGeneric(b, loc, accT, acc, {dummy}, {dm}, iters,
                       [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
    SmallVector<Value> idx;
    for (int64_t i = 0; i < 6; ++i) idx.push_back(linalg::IndexOp::create(nb, nl, i));
    Value n = idx[4], ci = idx[5];
    Value pos = arith::AddIOp::create(nb, nl, arith::MulIOp::create(nb, nl, idx[1], step), n);
    Value v = tensor::ExtractOp::create(nb, nl, x, ValueRange{idx[0], pos, ci});
    v = castScalar(nb, nl, v, nb.getF64Type(), false, false);
    if (win)
      v = arith::MulFOp::create(nb, nl, v, castScalar(nb, nl, tensor::ExtractOp::create(nb, nl, win, ValueRange{n}),
                                                      nb.getF64Type(), false, false));
    Value t = qTwiddle(nb, nl, v, idx[2], n, idx[3], ci, fl, false);
    return arith::AddFOp::create(nb, nl, a[1], t);
  });
  return qFinishF64(b, loc, sum, res, dims, Value());
}

Value lowerMelWeightMatrix(OpBuilder &b, nn::MelWeightMatrixOp m) {
  Location loc = m.getLoc();
  auto res = rtt(m.getResult());
  auto readF64 = [&](Value t) {
    SmallVector<Value> zeros(rtt(t).getRank(), cIdx(b, loc, 0));
    return castScalar(b, loc, tensor::ExtractOp::create(b, loc, t, zeros), b.getF64Type(), false, false);
  };
  auto readI64 = [&](Value t) {
    SmallVector<Value> zeros(rtt(t).getRank(), cIdx(b, loc, 0));
    return castScalar(b, loc, tensor::ExtractOp::create(b, loc, t, zeros), b.getI64Type(), false, false);
  };
  Value bins = readI64(m.getNumMelBins()), len = readI64(m.getDftLength()), sr = readI64(m.getSampleRate());
  Value lo = readF64(m.getLowerEdgeHertz()), hi = readF64(m.getUpperEdgeHertz());
  Value rows = arith::IndexCastOp::create(
      b, loc, b.getIndexType(),
      arith::AddIOp::create(b, loc, arith::DivSIOp::create(b, loc, len, scalar(b, loc, b.getI64Type(), 2)),
                            scalar(b, loc, b.getI64Type(), 1)));
  Value cols = arith::IndexCastOp::create(b, loc, b.getIndexType(), bins);
  Value init = empty(b, loc, res, {rows, cols});
  return qGeneric(b, loc, res, init, {}, {}, SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
                  [&](OpBuilder &nb, Location nl, ValueRange) -> Value {
    auto c = [&](double v) { return qF64(nb, nl, v); };
    auto mul = [&](Value p, Value q) { return arith::MulFOp::create(nb, nl, p, q).getResult(); };
    auto add = [&](Value p, Value q) { return arith::AddFOp::create(nb, nl, p, q).getResult(); };
    auto sub = [&](Value p, Value q) { return arith::SubFOp::create(nb, nl, p, q).getResult(); };
    auto div = [&](Value p, Value q) { return arith::DivFOp::create(nb, nl, p, q).getResult(); };
    auto toMel = [&](Value hz) { return mul(c(2595), math::Log10Op::create(nb, nl, add(c(1), div(hz, c(700))))); };
    Value j = linalg::IndexOp::create(nb, nl, 0), i = linalg::IndexOp::create(nb, nl, 1);
    Value lowMel = toMel(lo), highMel = toMel(hi);
    Value binsF = arith::SIToFPOp::create(nb, nl, nb.getF64Type(), bins);
    Value step = div(sub(highMel, lowMel), add(binsF, c(2)));
    Value lenP1 = arith::SIToFPOp::create(nb, nl, nb.getF64Type(), arith::AddIOp::create(nb, nl, len, scalar(nb, nl, nb.getI64Type(), 1)));
    Value srF = arith::SIToFPOp::create(nb, nl, nb.getF64Type(), sr);
    // Frequency bin of mel point k (floor division, as the reference).
    auto binOf = [&](Value k) -> Value {
      Value mel = add(mul(arith::SIToFPOp::create(nb, nl, nb.getF64Type(), k), step), lowMel);
      Value hz = mul(c(700), sub(math::PowFOp::create(nb, nl, c(10), div(mel, c(2595))), c(1)));
      Value f = math::FloorOp::create(nb, nl, div(mul(lenP1, hz), srF));
      return arith::FPToSIOp::create(nb, nl, nb.getI64Type(), f);
    };
    Value iv = arith::IndexCastOp::create(nb, nl, nb.getI64Type(), i);
    Value jv = arith::IndexCastOp::create(nb, nl, nb.getI64Type(), j);
    Value one = scalar(nb, nl, nb.getI64Type(), 1);
    Value l = binOf(iv), ce = binOf(arith::AddIOp::create(nb, nl, iv, one)),
          h = binOf(arith::AddIOp::create(nb, nl, iv, scalar(nb, nl, nb.getI64Type(), 2)));
    auto f = [&](Value v) { return arith::SIToFPOp::create(nb, nl, nb.getF64Type(), v).getResult(); };
    auto cmp = [&](arith::CmpIPredicate p, Value a, Value bb) { return arith::CmpIOp::create(nb, nl, p, a, bb).getResult(); };
    using P = arith::CmpIPredicate;
    Value lc = arith::SubIOp::create(nb, nl, ce, l), ch = arith::SubIOp::create(nb, nl, h, ce);
    Value zero = c(0);
    // Rising edge (written first, then the falling edge overwrites from the centre).
    Value rising = arith::SelectOp::create(
        nb, nl, cmp(P::eq, lc, scalar(nb, nl, nb.getI64Type(), 0)),
        arith::SelectOp::create(nb, nl, cmp(P::eq, jv, ce), c(1), zero),
        arith::SelectOp::create(nb, nl, arith::AndIOp::create(nb, nl, cmp(P::sge, jv, l), cmp(P::sle, jv, ce)),
                                div(f(arith::SubIOp::create(nb, nl, jv, l)), f(lc)), zero));
    Value inFall = arith::AndIOp::create(nb, nl, cmp(P::sgt, ch, scalar(nb, nl, nb.getI64Type(), 0)),
                                         arith::AndIOp::create(nb, nl, cmp(P::sge, jv, ce), cmp(P::slt, jv, h)));
    Value v = arith::SelectOp::create(nb, nl, inFall, div(f(arith::SubIOp::create(nb, nl, h, jv)), f(ch)), rising);
    return castScalar(nb, nl, v, res.getElementType(), false, false);
  });
}

Value lowerTfIdf(OpBuilder &b, nn::TfIdfOp t) {
  Location loc = t.getLoc();
  auto res = rtt(t.getResult());
  auto in = rtt(t.getInput());
  int64_t r = in.getRank(), L = in.getDimSize(r - 1), maxLen = t.getMaxLen(), S = t.getMaxSkip();
  int64_t cols = res.getDimSize(res.getRank() - 1), ng = t.getLengths().size();
  // Column -> n-gram table (ng: a sentinel n-gram of length 0).
  SmallVector<int64_t> colNgram(cols, ng);
  for (int64_t j = 0; j < ng; ++j)
    if (t.getOutIndex()[j] >= 0 && t.getOutIndex()[j] < cols)
      colNgram[t.getOutIndex()[j]] = j;
  SmallVector<int64_t> toks(t.getNgrams()), lens(t.getLengths());
  SmallVector<double> wts(t.getWeights());
  toks.append(maxLen, -1);
  lens.push_back(0);
  wts.push_back(0);
  auto i64t = [&](ArrayRef<int64_t> v) {
    auto ty = RankedTensorType::get({(int64_t)v.size()}, b.getI64Type());
    return arith::ConstantOp::create(b, loc, ty, DenseElementsAttr::get(ty, v)).getResult();
  };
  Value colT = i64t(colNgram), tokT = i64t(toks), lenT = i64t(lens);
  SmallVector<float> wf(wts.begin(), wts.end());
  auto wty = RankedTensorType::get({(int64_t)wf.size()}, b.getF32Type());
  Value wT = arith::ConstantOp::create(b, loc, wty, DenseElementsAttr::get(wty, ArrayRef<float>(wf)));
  SmallVector<Value> dims;
  for (int64_t i = 0; i < res.getRank(); ++i) dims.push_back(i + 1 == res.getRank() ? cIdx(b, loc, cols) : dimOf(b, loc, t.getInput(), 0));
  Value init = empty(b, loc, res, dims);
  Value x = t.getInput();
  StringRef mode = t.getMode();
  return qGeneric(b, loc, res, init, {}, {}, SmallVector<utils::IteratorType>(res.getRank(), utils::IteratorType::parallel),
                  [&](OpBuilder &nb, Location nl, ValueRange) -> Value {
    Value col = linalg::IndexOp::create(nb, nl, res.getRank() - 1);
    auto idxOf = [&](Value v) { return arith::IndexCastOp::create(nb, nl, nb.getIndexType(), v).getResult(); };
    Value j = idxOf(tensor::ExtractOp::create(nb, nl, colT, ValueRange{col}));
    Value len = tensor::ExtractOp::create(nb, nl, lenT, ValueRange{j});
    SmallVector<Value> tok, kLtLen;
    for (int64_t k = 0; k < maxLen; ++k) {
      Value p = arith::AddIOp::create(nb, nl, arith::MulIOp::create(nb, nl, j, cIdx(nb, nl, maxLen)), cIdx(nb, nl, k));
      tok.push_back(tensor::ExtractOp::create(nb, nl, tokT, ValueRange{p}));
      kLtLen.push_back(arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt,
                                             scalar(nb, nl, nb.getI64Type(), k), len));
    }
    SmallVector<Value> xs;
    for (int64_t i = 0; i < L; ++i) {
      SmallVector<Value> xi;
      if (r == 2) xi.push_back(linalg::IndexOp::create(nb, nl, 0));
      xi.push_back(cIdx(nb, nl, i));
      xs.push_back(castScalar(nb, nl, tensor::ExtractOp::create(nb, nl, x, xi), nb.getI64Type(), false, false));
    }
    Value tru = arith::ConstantOp::create(nb, nl, nb.getBoolAttr(true));
    Value fls = arith::ConstantOp::create(nb, nl, nb.getBoolAttr(false));
    Value lenPos = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sgt, len, scalar(nb, nl, nb.getI64Type(), 0));
    Value lenGt1 = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sgt, len, scalar(nb, nl, nb.getI64Type(), 1));
    Value cnt = scalar(nb, nl, nb.getF32Type(), 0), one = scalar(nb, nl, nb.getF32Type(), 1);
    for (int64_t s = 0; s <= S; ++s) {
      if (s > 0 && maxLen == 1)
        break;
      for (int64_t i = 0; i < L; ++i) {
        Value m = s == 0 ? lenPos : (Value)lenGt1;
        for (int64_t k = 0; k < maxLen; ++k) {
          int64_t pos = i + k * (s + 1);
          Value notNeeded = arith::XOrIOp::create(nb, nl, kLtLen[k], tru);
          Value hit = pos < L ? (Value)arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, xs[pos], tok[k]) : fls;
          m = arith::AndIOp::create(nb, nl, m, arith::OrIOp::create(nb, nl, notNeeded, hit));
        }
        cnt = arith::AddFOp::create(nb, nl, cnt, arith::SelectOp::create(nb, nl, m, one, scalar(nb, nl, nb.getF32Type(), 0)));
      }
    }
    Value w = tensor::ExtractOp::create(nb, nl, wT, ValueRange{j});
    if (mode == "IDF")
      cnt = arith::SelectOp::create(nb, nl, arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT, cnt,
                                                                   scalar(nb, nl, nb.getF32Type(), 0)),
                                    w, scalar(nb, nl, nb.getF32Type(), 0));
    else if (mode == "TFIDF")
      cnt = arith::MulFOp::create(nb, nl, cnt, w);
    return castScalar(nb, nl, cnt, res.getElementType(), false, false);
  });
}

} // namespace

void kiln::nn_to_linalg::populateSignalPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerToLinalg<nn::WindowOp, lowerWindow>, LowerToLinalg<nn::DFTOp, lowerDFT>,
               LowerToLinalg<nn::STFTOp, lowerSTFT>, LowerToLinalg<nn::MelWeightMatrixOp, lowerMelWeightMatrix>,
               LowerToLinalg<nn::TfIdfOp, lowerTfIdf>>(patterns.getContext());
}
