//===- Recurrent.cpp - onnx -> nn: recurrent layers -----------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// RNN / GRU / LSTM unrolled over a static sequence length (up to
// kMaxUnrolledSteps), else an scf.for over the time steps.
//
//===----------------------------------------------------------------------===//

#include "Common.h"

using namespace mlir;

namespace kiln::onnx_to_nn {
namespace {

/// Applies an ONNX RNN activation function (by name) with nn ops.
FailureOr<Value> rnnActivation(OpBuilder &b, Location loc, StringRef name,
                               std::optional<double> alpha, std::optional<double> beta, Value x) {
  auto t = rtt(x);
  auto scalar = [&](double v) {
    return constTensor(b, loc, RankedTensorType::get(SmallVector<int64_t>(t.getRank(), 1),
                                                     t.getElementType()), {v});
  };
  std::string n = name.lower();
  if (n == "relu")
    return unary(b, loc, nn::UnaryKind::relu, x);
  if (n == "tanh")
    return unary(b, loc, nn::UnaryKind::tanh, x);
  if (n == "sigmoid")
    return unary(b, loc, nn::UnaryKind::sigmoid, x);
  if (n == "leakyrelu")
    return unary(b, loc, nn::UnaryKind::leaky_relu, x, b.getF32FloatAttr(alpha.value_or(0.01)));
  if (n == "hardsigmoid")
    return unary(b, loc, nn::UnaryKind::hard_sigmoid, x, b.getF32FloatAttr(alpha.value_or(0.2)),
                 b.getF32FloatAttr(beta.value_or(0.5)));
  if (n == "affine") {
    Value y = binary(b, loc, nn::BinaryKind::mul, x, scalar(alpha.value_or(1.0)), t);
    return binary(b, loc, nn::BinaryKind::add, y, scalar(beta.value_or(0.0)), t);
  }
  if (n == "scaledtanh") {
    Value y = binary(b, loc, nn::BinaryKind::mul, x, scalar(beta.value_or(1.0)), t);
    y = unary(b, loc, nn::UnaryKind::tanh, y);
    return binary(b, loc, nn::BinaryKind::mul, y, scalar(alpha.value_or(1.0)), t);
  }
  if (n == "softsign") {
    Value d = binary(b, loc, nn::BinaryKind::add, unary(b, loc, nn::UnaryKind::abs, x), scalar(1), t);
    return binary(b, loc, nn::BinaryKind::div, x, d, t);
  }
  if (n == "softplus") {
    Value e = binary(b, loc, nn::BinaryKind::add, unary(b, loc, nn::UnaryKind::exp, x), scalar(1), t);
    return unary(b, loc, nn::UnaryKind::log, e);
  }
  return failure();
}

bool isRNNActivation(StringRef n) {
  std::string l = n.lower();
  return l == "relu" || l == "tanh" || l == "sigmoid" || l == "leakyrelu" || l == "hardsigmoid" ||
         l == "affine" || l == "scaledtanh" || l == "softsign" || l == "softplus";
}
bool activationTakesAlpha(StringRef n) {
  std::string l = n.lower();
  return l == "leakyrelu" || l == "hardsigmoid" || l == "affine" || l == "scaledtanh";
}
bool activationTakesBeta(StringRef n) {
  std::string l = n.lower();
  return l == "hardsigmoid" || l == "affine" || l == "scaledtanh";
}

/// Slice of `v` with static `offsets` and result `shape` (stride 1).
Value sliceStatic(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> offsets,
                  ArrayRef<int64_t> shape) {
  auto t = RankedTensorType::get(shape, rtt(v).getElementType());
  return nn::SliceOp::create(b, loc, t, v, b.getDenseI64ArrayAttr(offsets),
                             b.getDenseI64ArrayAttr(SmallVector<int64_t>(shape.size(), 1)));
}

struct RecurrentLowering : Lowering {
  using Lowering::Lowering;

  LoweringResult recurrent(Operation *o, int kind);

  LoweringResult lowerRNN(ox::RNNOp r) { return recurrent(r, 0); }
  LoweringResult lowerGRU(ox::GRUOp r) { return recurrent(r, 1); }
  LoweringResult lowerLSTM(ox::LSTMOp r) { return recurrent(r, 2); }
};

/// Static sequences up to this length are unrolled; longer or run-time ones
/// become an scf.for over the time steps.
static constexpr int64_t kMaxUnrolledSteps = 8;

LoweringResult RecurrentLowering::recurrent(Operation *o, int kind) {
  // kind: 0 = RNN, 1 = GRU, 2 = LSTM.
  Value X = o->getOperand(0), W = o->getOperand(1), R = o->getOperand(2), B = o->getOperand(3),
        seqLens = o->getOperand(4), h0 = o->getOperand(5);
  Value c0 = kind == 2 ? o->getOperand(6) : Value(), P = kind == 2 ? o->getOperand(7) : Value();
  int64_t layout = cast<IntegerAttr>(o->getAttr("layout")).getInt();
  StringRef direction = cast<StringAttr>(o->getAttr("direction")).getValue();
  auto clipAttr = o->getAttrOfType<FloatAttr>("clip");
  auto lbrAttr = o->getAttrOfType<IntegerAttr>("linear_before_reset");
  bool lbr = lbrAttr && lbrAttr.getInt() != 0;
  if (auto inf = o->getAttrOfType<IntegerAttr>("input_forget"); inf && inf.getInt() != 0)
    return (LogicalResult)(fail() << "input_forget = 1 is not supported");
  // The sequence length and the batch may have run-time sizes; the weights
  // and the input / hidden sizes are static.
  for (Value v : {W, R, B, P})
    if (v && !isNone(v) && !rtt(v).hasStaticShape())
      return (LogicalResult)(fail() << "W, R, B and P of run-time shape are not supported");
  {
    auto t = rtt(X);
    if (t.getRank() != 3 || t.isDynamicDim(2))
      return (LogicalResult)(fail() << "X with a run-time input size is not supported");
    for (Value v : {h0, c0})
      if (v && !isNone(v) &&
          (rtt(v).getRank() != 3 || rtt(v).isDynamicDim(layout ? 1 : 0) || rtt(v).isDynamicDim(2)))
        return (LogicalResult)(fail() << "initial states must have static direction and hidden "
                                         "dims");
  }
  if (!isa<FloatType>(rtt(X).getElementType()))
    return (LogicalResult)(fail() << "X must be a floating-point tensor");
  if (layout == 1) {
    auto xt = rtt(X);
    X = nn::TransposeOp::create(
        b, loc, RankedTensorType::get({xt.getDimSize(1), xt.getDimSize(0), xt.getDimSize(2)},
                                      xt.getElementType()),
        X, b.getDenseI64ArrayAttr({1, 0, 2}));
    for (Value *s : {&h0, &c0})
      if (*s && !isNone(*s)) {
        auto st = rtt(*s);
        *s = nn::TransposeOp::create(
            b, loc, RankedTensorType::get({st.getDimSize(1), st.getDimSize(0), st.getDimSize(2)},
                                          st.getElementType()),
            *s, b.getDenseI64ArrayAttr({1, 0, 2}));
      }
  }
  auto xt = rtt(X);
  Type et = xt.getElementType();
  int64_t S = xt.getDimSize(0), N = xt.getDimSize(1), I = xt.getDimSize(2);
  int64_t D = direction == "bidirectional" ? 2 : 1;
  int64_t H = rtt(R).getDimSize(2);
  int64_t G = kind == 0 ? 1 : kind == 1 ? 3 : 4;
  if (S == 0)
    return (LogicalResult)(fail() << "empty sequences are not supported");
  // Activation functions: F per direction.
  int64_t F = kind == 0 ? 1 : kind == 1 ? 2 : 3;
  SmallVector<std::string> acts;
  if (auto a = o->getAttrOfType<ArrayAttr>("activations")) {
    for (Attribute s : a)
      acts.push_back(cast<StringAttr>(s).getValue().str());
    if ((int64_t)acts.size() == F && D == 2)
      acts.append(SmallVector<std::string>(acts)); // same functions for both directions
    if ((int64_t)acts.size() != F * D)
      return (LogicalResult)(fail() << "activations must list " << F * D << " functions, got "
                                    << a.size());
  } else {
    for (int64_t d = 0; d < D; ++d) {
      if (kind == 0) acts.push_back("Tanh");
      else if (kind == 1) acts.append({"Sigmoid", "Tanh"});
      else acts.append({"Sigmoid", "Tanh", "Tanh"});
    }
  }
  SmallVector<double> alphas, betas;
  if (auto a = o->getAttrOfType<ArrayAttr>("activation_alpha"))
    for (Attribute v : a) alphas.push_back(cast<FloatAttr>(v).getValueAsDouble());
  if (auto a = o->getAttrOfType<ArrayAttr>("activation_beta"))
    for (Attribute v : a) betas.push_back(cast<FloatAttr>(v).getValueAsDouble());
  SmallVector<std::optional<double>> actAlpha, actBeta;
  size_t ai = 0, bi = 0;
  for (const std::string &n : acts) {
    actAlpha.push_back(activationTakesAlpha(n) && ai < alphas.size() ? std::optional(alphas[ai++])
                                                                      : std::nullopt);
    actBeta.push_back(activationTakesBeta(n) && bi < betas.size() ? std::optional(betas[bi++])
                                                                   : std::nullopt);
    if (!isRNNActivation(n))
      return (LogicalResult)(fail() << "activation function '" << n << "' is not supported");
  }
  // sequence_lens: ignored when every entry is the full length; otherwise
  // steps t >= len_b keep sequence b's state and output zeros.
  bool masked = false;
  Value lens;
  if (!isNone(seqLens)) {
    SmallVector<int64_t> lv;
    if (!ox::getConstantIntValues(seqLens, lv) || llvm::any_of(lv, [&](int64_t v) { return v != S; })) {
      // The same mask serves the reverse direction: steps t >= len keep the
      // initial state, so sequence b starts at t = len_b - 1.
      masked = true;
      auto lt = rtt(seqLens);
      if (lt.getRank() != 1 || !isa<IntegerType>(lt.getElementType()))
        return (LogicalResult)(fail() << "sequence_lens must be a 1-D integer tensor");
      lens = seqLens;
      if (!lt.getElementType().isInteger(64))
        lens = nn::CastOp::create(b, loc, RankedTensorType::get(lt.getShape(), b.getI64Type()),
                                  lens, UnitAttr(), UnitAttr());
      lens = reshapeStatic(b, loc, lens, {N, 1});
    }
  }
  auto bh = RankedTensorType::get({N, H}, et);
  Value zeroBH = constTensor(b, loc, RankedTensorType::get({1, 1}, et), {0});
  auto act = [&](int64_t idx, Value v) -> Value {
    if (clipAttr) {
      double c = clipAttr.getValueAsDouble();
      v = nn::ClampOp::create(b, loc, v.getType(), v, b.getF64FloatAttr(-c), b.getF64FloatAttr(c));
    }
    return *rnnActivation(b, loc, acts[idx], actAlpha[idx], actBeta[idx], v);
  };
  auto add = [&](Value l, Value r) { return binary(b, loc, nn::BinaryKind::add, l, r, bh); };
  auto mul = [&](Value l, Value r) { return binary(b, loc, nn::BinaryKind::mul, l, r, bh); };
  auto sub = [&](Value l, Value r) { return binary(b, loc, nn::BinaryKind::sub, l, r, bh); };
  auto mm = [&](Value l, Value r) { return nn::MatmulOp::create(b, loc, bh, l, r).getResult(); };

  SmallVector<Value> ys, hs, cs;
  for (int64_t d = 0; d < D; ++d) {
    bool reverse = direction == "reverse" || d == 1;
    SmallVector<Value> Wg, Rg, Wb, Rb, Pg;
    for (int64_t g = 0; g < G; ++g) {
      Wg.push_back(transpose2D(b, loc, reshapeStatic(b, loc, sliceStatic(b, loc, W, {d, g * H, 0}, {1, H, I}), {H, I})));
      Rg.push_back(transpose2D(b, loc, reshapeStatic(b, loc, sliceStatic(b, loc, R, {d, g * H, 0}, {1, H, H}), {H, H})));
      if (!isNone(B)) {
        Wb.push_back(reshapeStatic(b, loc, sliceStatic(b, loc, B, {d, g * H}, {1, H}), {1, H}));
        Rb.push_back(reshapeStatic(b, loc, sliceStatic(b, loc, B, {d, (G + g) * H}, {1, H}), {1, H}));
      }
    }
    if (P && !isNone(P))
      for (int64_t g = 0; g < 3; ++g)
        Pg.push_back(reshapeStatic(b, loc, sliceStatic(b, loc, P, {d, g * H}, {1, H}), {1, H}));
    auto initState = [&](Value v) -> Value {
      if (!v || isNone(v)) {
        if (N != kDyn)
          return constTensor(b, loc, bh, SmallVector<double>(N * H, 0.0));
        Value z = constTensor(b, loc, RankedTensorType::get({1, H}, et), {0.0});
        Value shape = shapeTensor(b, loc, {dimValue(b, loc, X, 1),
                                           arith::ConstantIndexOp::create(b, loc, H)});
        return nn::BroadcastOp::create(b, loc, bh, z, shape);
      }
      return reshapeStatic(b, loc, sliceStatic(b, loc, v, {d, 0, 0}, {1, N, H}), {N, H});
    };
    Value h = initState(h0), c = kind == 2 ? initState(c0) : Value();
    int64_t a0 = d * F;
    // One time step: (x_t, H_{t-1}, C_{t-1}, t as a [1, 1] i64 tensor when
    // masking) -> (H_t, C_t, Y_t).
    auto stepFn = [&](Value xt, Value h, Value c, Value tc) -> std::tuple<Value, Value, Value> {
      auto pre = [&](int64_t g, bool withR = true) {
        Value v = mm(xt, Wg[g]);
        if (withR) v = add(v, mm(h, Rg[g]));
        if (!Wb.empty()) {
          v = add(v, Wb[g]);
          if (withR) v = add(v, Rb[g]);
        }
        return v;
      };
      Value hNew, cNew;
      if (kind == 0) {
        hNew = act(a0, pre(0));
      } else if (kind == 1) {
        Value z = act(a0, pre(0)), r = act(a0, pre(1));
        Value hh = pre(2, /*withR=*/false);
        if (lbr) {
          Value rh = mm(h, Rg[2]);
          if (!Rb.empty()) rh = add(rh, Rb[2]);
          hh = add(hh, mul(r, rh));
        } else {
          hh = add(hh, mm(mul(r, h), Rg[2]));
          if (!Rb.empty()) hh = add(hh, Rb[2]);
        }
        hh = act(a0 + 1, hh);
        hNew = add(hh, mul(z, sub(h, hh))); // (1 - z) * hh + z * h
      } else {
        Value pi = pre(0), po = pre(1), pf = pre(2), pc = pre(3);
        if (!Pg.empty()) {
          pi = add(pi, mul(Pg[0], c));
          pf = add(pf, mul(Pg[2], c));
        }
        Value ig = act(a0, pi), fg = act(a0, pf), cc = act(a0 + 1, pc);
        cNew = add(mul(fg, c), mul(ig, cc));
        if (!Pg.empty())
          po = add(po, mul(Pg[1], cNew));
        Value og = act(a0, po);
        hNew = mul(og, act(a0 + 2, cNew));
      }
      Value y = hNew;
      if (masked) {
        Value m = nn::BinaryOp::create(b, loc, RankedTensorType::get({N, 1}, b.getI1Type()), lens,
                                       tc, nn::BinaryKind::gt);
        y = nn::SelectOp::create(b, loc, bh, m, hNew, zeroBH);
        hNew = nn::SelectOp::create(b, loc, bh, m, hNew, h);
        if (kind == 2)
          cNew = nn::SelectOp::create(b, loc, bh, m, cNew, c);
      }
      return {hNew, cNew, y};
    };
    if (S != kDyn && S <= kMaxUnrolledSteps) {
      // Short static sequences: unrolled.
      SmallVector<Value> yd(S);
      for (int64_t step = 0; step < S; ++step) {
        int64_t t = reverse ? S - 1 - step : step;
        Value xt = reshapeStatic(b, loc, sliceStatic(b, loc, X, {t, 0, 0}, {1, N, I}), {N, I});
        Value tc;
        if (masked)
          tc = arith::ConstantOp::create(
              b, loc, DenseElementsAttr::get(RankedTensorType::get({1, 1}, b.getI64Type()), (int64_t)t));
        auto [hNew, cNew, y] = stepFn(xt, h, c, tc);
        h = hNew;
        c = cNew;
        yd[t] = reshapeStatic(b, loc, y, {1, 1, N, H});
      }
      ys.push_back(S == 1 ? yd[0]
                          : nn::ConcatOp::create(b, loc, RankedTensorType::get({S, 1, N, H}, et), yd,
                                                 b.getI64IntegerAttr(0)).getResult());
    } else {
      // Long or run-time sequences: scf.for over the time steps carrying
      // H, C and Y (each step inserts its [N, H] slice).
      Value sv = dimValue(b, loc, X, 0), nv = dimValue(b, loc, X, 1);
      Value c0i = arith::ConstantIndexOp::create(b, loc, 0), c1i = arith::ConstantIndexOp::create(b, loc, 1);
      SmallVector<Value> dyn;
      if (S == kDyn) dyn.push_back(sv);
      if (N == kDyn) dyn.push_back(nv);
      Value acc = tensor::EmptyOp::create(b, loc, RankedTensorType::get({S, N, H}, et), dyn);
      SmallVector<Value> inits{h, acc};
      if (kind == 2)
        inits.push_back(c);
      auto loop = scf::ForOp::create(b, loc, c0i, sv, c1i, inits);
      {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(loop.getBody());
        Value iv = loop.getInductionVar();
        Value tt = iv;
        if (reverse)
          tt = arith::SubIOp::create(b, loc, arith::SubIOp::create(b, loc, sv, c1i), iv);
        auto iterArgs = loop.getRegionIterArgs();
        auto idx = [&](int64_t v) -> OpFoldResult { return b.getIndexAttr(v); };
        OpFoldResult nSize = N == kDyn ? OpFoldResult(nv) : idx(N);
        Value xt = tensor::ExtractSliceOp::create(
            b, loc, RankedTensorType::get({N, I}, et), X, ArrayRef<OpFoldResult>{tt, idx(0), idx(0)},
            ArrayRef<OpFoldResult>{idx(1), nSize, idx(I)}, ArrayRef<OpFoldResult>{idx(1), idx(1), idx(1)});
        Value tc;
        if (masked) {
          Value ti = arith::IndexCastOp::create(b, loc, b.getI64Type(), tt);
          tc = tensor::FromElementsOp::create(b, loc, RankedTensorType::get({1, 1}, b.getI64Type()),
                                              ValueRange{ti});
        }
        auto [hNew, cNew, y] = stepFn(xt, iterArgs[0], kind == 2 ? iterArgs[2] : Value(), tc);
        Value acc2 = tensor::InsertSliceOp::create(
            b, loc, y, iterArgs[1], ArrayRef<OpFoldResult>{tt, idx(0), idx(0)},
            ArrayRef<OpFoldResult>{idx(1), nSize, idx(H)}, ArrayRef<OpFoldResult>{idx(1), idx(1), idx(1)});
        SmallVector<Value> next{hNew, acc2};
        if (kind == 2)
          next.push_back(cNew);
        scf::YieldOp::create(b, loc, next);
      }
      h = loop.getResult(0);
      if (kind == 2)
        c = loop.getResult(2);
      Value one = arith::ConstantIndexOp::create(b, loc, 1), hv = arith::ConstantIndexOp::create(b, loc, H);
      ys.push_back(reshapeTo(b, loc, loop.getResult(1), RankedTensorType::get({S, 1, N, H}, et),
                             {sv, one, nv, hv}));
    }
    hs.push_back(reshapeStatic(b, loc, h, {1, N, H}));
    if (kind == 2)
      cs.push_back(reshapeStatic(b, loc, c, {1, N, H}));
  }
  auto cat = [&](ArrayRef<Value> vs, int64_t axis, ArrayRef<int64_t> shape) -> Value {
    if (vs.size() == 1)
      return vs[0];
    return nn::ConcatOp::create(b, loc, RankedTensorType::get(shape, et), vs,
                                b.getI64IntegerAttr(axis));
  };
  SmallVector<Value> outs{cat(ys, 1, {S, D, N, H}), cat(hs, 0, {D, N, H})};
  if (kind == 2)
    outs.push_back(cat(cs, 0, {D, N, H}));
  if (layout == 1) {
    outs[0] = nn::TransposeOp::create(b, loc, RankedTensorType::get({N, S, D, H}, et), outs[0],
                                      b.getDenseI64ArrayAttr({2, 0, 1, 3}));
    for (size_t i = 1; i < outs.size(); ++i)
      outs[i] = nn::TransposeOp::create(b, loc, RankedTensorType::get({N, D, H}, et), outs[i],
                                        b.getDenseI64ArrayAttr({1, 0, 2}));
  }
  outs.resize(o->getNumResults());
  return outs;
}

} // namespace

void populateRecurrentPatterns(RewritePatternSet &patterns) {
  using L = RecurrentLowering;
  addLowering<ox::RNNOp, &L::lowerRNN>(patterns);
  addLowering<ox::GRUOp, &L::lowerGRU>(patterns);
  addLowering<ox::LSTMOp, &L::lowerLSTM>(patterns);
}

} // namespace kiln::onnx_to_nn
