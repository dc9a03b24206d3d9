//===- Normalization.cpp - onnx -> nn: normalization and softmax ----------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// BatchNormalization (folded into a per-channel scale and shift when its
// parameters are constants; batch statistics in training mode),
// LayerNormalization, InstanceNormalization, GroupNormalization,
// MeanVarianceNormalization, LRN, Softmax and LogSoftmax.
//
//===----------------------------------------------------------------------===//

#include "Common.h"

using namespace mlir;

namespace kiln::onnx_to_nn {
namespace {

struct NormalizationLowering : Lowering {
  using Lowering::Lowering;

  LoweringResult batchNorm(ox::BatchNormalizationOp bn);
  LoweringResult layerNormWithStats(ox::LayerNormalizationOp ln);
  std::pair<Value, Value> meanVar(Value x, ArrayRef<int64_t> axes);
  Value normalizeChannels(Value x, Value mean, Value var, double eps, Value scale, Value bias);
  LoweringResult batchNormTraining(ox::BatchNormalizationOp bn);
  LoweringResult instanceNorm(ox::InstanceNormalizationOp in);
  LoweringResult meanVarianceNorm(ox::MeanVarianceNormalizationOp mvn);
  LoweringResult lrn(ox::LRNOp l);
  LoweringResult groupNorm(ox::GroupNormalizationOp g);

  LoweringResult lowerBatchNormalization(ox::BatchNormalizationOp bn) { return batchNorm(bn); }
  LoweringResult lowerLayerNormalization(ox::LayerNormalizationOp ln) {
    bool statsUsed = llvm::any_of(ln.getStats(), [](Value s) { return !s.use_empty(); });
    if (statsUsed)
      return layerNormWithStats(ln);
    auto x = rtt(ln.getX());
    int64_t axis = ln.getAxis() < 0 ? ln.getAxis() + x.getRank() : ln.getAxis();
    Value bias = isNone(ln.getB()) ? Value() : ln.getB();
    SmallVector<Value> r{nn::LayerNormOp::create(b, loc, x, ln.getX(), ln.getScale(), bias,
                                                 b.getI64IntegerAttr(axis), ln.getEpsilonAttr())};
    for (Value s : ln.getStats())
      r.push_back(nn::FillOp::create(b, loc, rtt(s), Value(), b.getF32FloatAttr(0)));
    return r;
  }
  LoweringResult lowerSoftmax(ox::SoftmaxOp s) {
    int64_t r = rtt(s.getInput()).getRank();
    int64_t axis = s.getAxis() < 0 ? s.getAxis() + r : s.getAxis();
    return one(nn::SoftmaxOp::create(b, loc, resType(), s.getInput(), b.getI64IntegerAttr(axis), UnitAttr()));
  }
  LoweringResult lowerLogSoftmax(ox::LogSoftmaxOp s) {
    int64_t r = rtt(s.getInput()).getRank();
    int64_t axis = s.getAxis() < 0 ? s.getAxis() + r : s.getAxis();
    return one(nn::SoftmaxOp::create(b, loc, resType(), s.getInput(), b.getI64IntegerAttr(axis), b.getUnitAttr()));
  }
  LoweringResult lowerInstanceNormalization(ox::InstanceNormalizationOp in) {
    return instanceNorm(in);
  }
  LoweringResult lowerMeanVarianceNormalization(ox::MeanVarianceNormalizationOp m) {
    return meanVarianceNorm(m);
  }
  LoweringResult lowerLRN(ox::LRNOp l) { return lrn(l); }
  LoweringResult lowerGroupNormalization(ox::GroupNormalizationOp g) { return groupNorm(g); }
};

LoweringResult NormalizationLowering::batchNorm(ox::BatchNormalizationOp bn) {
  if (bn.getTrainingMode())
    return batchNormTraining(bn);
  if (llvm::any_of(bn.getRunning(), [](Value v) { return !v.use_empty(); }))
    return (LogicalResult)(fail() << "the running_mean/running_var outputs need training_mode = 1");
  // Unused running_mean/running_var results (inference): pass the inputs through.
  auto withUnused = [&](Value y) -> FailureOr<SmallVector<Value>> {
    SmallVector<Value> r{y};
    Value in[2] = {bn.getInputMean(), bn.getInputVar()};
    for (auto [i, out] : llvm::enumerate(bn.getRunning()))
      r.push_back(in[i].getType() == out.getType() ? in[i] : (Value)tensor::CastOp::create(b, loc, out.getType(), in[i]));
    return r;
  };
  auto x = rtt(bn.getX());
  if (x.getRank() < 2)
    return (LogicalResult)(fail() << "input must have rank >= 2");
  auto et = x.getElementType();
  int64_t C = x.getDimSize(1);
  SmallVector<int64_t> pshape(x.getRank(), 1);
  pshape[1] = C;
  auto pType = RankedTensorType::get(pshape, et);
  SmallVector<double> scale, bias, mean, var;
  double eps = bn.getEpsilon().convertToDouble();
  if (C != kDyn && readFloats(bn.getScale(), scale) && readFloats(bn.getB(), bias) &&
      readFloats(bn.getInputMean(), mean) && readFloats(bn.getInputVar(), var) &&
      (int64_t)scale.size() == C && (int64_t)bias.size() == C && (int64_t)mean.size() == C &&
      (int64_t)var.size() == C) {
    SmallVector<double> s(C), t(C);
    for (int64_t i = 0; i < C; ++i) {
      s[i] = scale[i] / std::sqrt(var[i] + eps);
      t[i] = bias[i] - mean[i] * s[i];
    }
    Value sv = constTensor(b, loc, pType, s), tv = constTensor(b, loc, pType, t);
    Value y = nn::BinaryOp::create(b, loc, x, bn.getX(), sv, nn::BinaryKind::mul);
    return withUnused(nn::BinaryOp::create(b, loc, x, y, tv, nn::BinaryKind::add));
  }
  // General case: y = (x - mean) / sqrt(var + eps) * scale + bias.
  auto reshapeP = [&](Value v) { return reshapeTo(b, loc, v, pType); };
  Value epsC = constTensor(b, loc, RankedTensorType::get(SmallVector<int64_t>(x.getRank(), 1), et), {eps});
  Value var_ = nn::BinaryOp::create(b, loc, pType, reshapeP(bn.getInputVar()), epsC, nn::BinaryKind::add);
  Value sd = unary(b, loc, nn::UnaryKind::sqrt, var_);
  Value s = nn::BinaryOp::create(b, loc, pType, reshapeP(bn.getScale()), sd, nn::BinaryKind::div);
  Value centered = nn::BinaryOp::create(b, loc, x, bn.getX(), reshapeP(bn.getInputMean()), nn::BinaryKind::sub);
  Value y = nn::BinaryOp::create(b, loc, x, centered, s, nn::BinaryKind::mul);
  return withUnused(nn::BinaryOp::create(b, loc, x, y, reshapeP(bn.getB()), nn::BinaryKind::add));
}

/// LayerNormalization whose Mean / InvStdDev outputs are used: decomposed
/// into nn ops (statistics in f32, stash_type = 1):
///   mean = mean(x), d = x - mean, invstd = 1 / sqrt(mean(d * d) + eps),
///   y = d * invstd * scale (+ bias).
LoweringResult NormalizationLowering::layerNormWithStats(ox::LayerNormalizationOp ln) {
  if (ln.getStashType() != 1)
    return (LogicalResult)(fail() << "stash_type = " << ln.getStashType() << " is not supported (only 1: float)");
  Value x = ln.getX();
  auto xt = rtt(x);
  int64_t r = xt.getRank();
  int64_t axis = ln.getAxis() < 0 ? ln.getAxis() + r : ln.getAxis();
  auto f32 = b.getF32Type();
  if (!isa<FloatType>(xt.getElementType()))
    return (LogicalResult)(fail() << "X must be a float tensor");
  auto ft = xt.clone(f32);
  auto toF32 = [&](Value v) { return castElem(b, loc, v, f32); };
  Value xf = toF32(x);
  SmallVector<int64_t> axes, statShape(xt.getShape());
  for (int64_t i = axis; i < r; ++i) {
    axes.push_back(i);
    statShape[i] = 1;
  }
  auto statT = RankedTensorType::get(statShape, f32);
  auto reduceMean = [&](Value v) -> Value {
    return nn::ReduceOp::create(b, loc, statT, v, nn::ReduceKindAttr::get(b.getContext(), nn::ReduceKind::mean),
                                b.getDenseI64ArrayAttr(axes), b.getBoolAttr(true));
  };
  Value mean = reduceMean(xf);
  Value d = binary(b, loc, nn::BinaryKind::sub, xf, mean, ft);
  Value var = reduceMean(binary(b, loc, nn::BinaryKind::mul, d, d, ft));
  Value eps = constTensor(b, loc, RankedTensorType::get(SmallVector<int64_t>(r, 1), f32),
                          {ln.getEpsilon().convertToDouble()});
  Value ve = binary(b, loc, nn::BinaryKind::add, var, eps, statT);
  Value invStd = unary(b, loc, nn::UnaryKind::reciprocal, unary(b, loc, nn::UnaryKind::sqrt, ve));
  Value y = binary(b, loc, nn::BinaryKind::mul, d, invStd, ft);
  y = binary(b, loc, nn::BinaryKind::mul, y, toF32(ln.getScale()), ft);
  if (!isNone(ln.getB()))
    y = binary(b, loc, nn::BinaryKind::add, y, toF32(ln.getB()), ft);
  if (xt.getElementType() != f32)
    y = nn::CastOp::create(b, loc, xt, y, false, false);
  SmallVector<Value> res{y};
  Value stats[2] = {mean, invStd};
  for (auto [i, s] : llvm::enumerate(ln.getStats())) {
    Value v = stats[i];
    if (v.getType() != s.getType())
      v = tensor::CastOp::create(b, loc, rtt(s), v);
    res.push_back(v);
  }
  return res;
}

/// Mean and variance (population) of `x` over `axes`, keepdims, as nn ops.
std::pair<Value, Value> NormalizationLowering::meanVar(Value x, ArrayRef<int64_t> axes) {
  auto xt = rtt(x);
  SmallVector<int64_t> shape(xt.getShape());
  for (int64_t a : axes)
    shape[a] = 1;
  auto st = RankedTensorType::get(shape, xt.getElementType());
  auto mean = [&](Value v) -> Value {
    return nn::ReduceOp::create(b, loc, st, v, nn::ReduceKindAttr::get(b.getContext(), nn::ReduceKind::mean),
                                b.getDenseI64ArrayAttr(axes), b.getBoolAttr(true));
  };
  Value m = mean(x);
  Value d = binary(b, loc, nn::BinaryKind::sub, x, m, xt);
  Value v = mean(binary(b, loc, nn::BinaryKind::mul, d, d, xt));
  return {m, v};
}

/// (x - mean) / sqrt(var + eps) * scale + bias with [C] scale/bias on dim 1.
Value NormalizationLowering::normalizeChannels(Value x, Value mean, Value var, double eps, Value scale, Value bias) {
  auto xt = rtt(x);
  Type et = xt.getElementType();
  int64_t r = xt.getRank();
  SmallVector<int64_t> pshape(r, 1);
  pshape[1] = xt.getDimSize(1);
  auto pType = RankedTensorType::get(pshape, et);
  SmallVector<Value> pdims;
  for (int64_t i = 0; i < r; ++i)
    pdims.push_back(i == 1 ? dimValue(b, loc, x, 1) : arith::ConstantIndexOp::create(b, loc, 1).getResult());
  auto perChannel = [&](Value v) { return reshapeTo(b, loc, v, pType, pdims); };
  Value epsC = splatOfRank(b, loc, r, et, eps);
  Value sd = unary(b, loc, nn::UnaryKind::sqrt, binary(b, loc, nn::BinaryKind::add, var, epsC, rtt(var)));
  Value d = binary(b, loc, nn::BinaryKind::sub, x, mean, xt);
  Value y = binary(b, loc, nn::BinaryKind::div, d, sd, xt);
  y = binary(b, loc, nn::BinaryKind::mul, y, perChannel(scale), xt);
  return binary(b, loc, nn::BinaryKind::add, y, perChannel(bias), xt);
}

/// BatchNormalization with training_mode = 1: batch statistics over every
/// dim but 1; running_mean / running_var = input * momentum + batch * (1 - momentum).
LoweringResult NormalizationLowering::batchNormTraining(ox::BatchNormalizationOp bn) {
  Value x = bn.getX();
  auto xt = rtt(x);
  if (xt.getRank() < 2)
    return (LogicalResult)(fail() << "input must have rank >= 2");
  if (!isa<FloatType>(xt.getElementType()))
    return (LogicalResult)(fail() << "X must be a float tensor");
  SmallVector<int64_t> axes;
  for (int64_t i = 0; i < xt.getRank(); ++i)
    if (i != 1) axes.push_back(i);
  auto [mean, var] = meanVar(x, axes);
  SmallVector<Value> res{normalizeChannels(x, mean, var, bn.getEpsilon().convertToDouble(), bn.getScale(), bn.getB())};
  double mom = bn.getMomentum().convertToDouble();
  Value stats[2] = {mean, var}, inputs[2] = {bn.getInputMean(), bn.getInputVar()};
  for (auto [i, out] : llvm::enumerate(bn.getRunning())) {
    auto ot = rtt(out);
    Type et = ot.getElementType();
    if (et != xt.getElementType())
      return (LogicalResult)(fail() << "running statistics of another type than X are not supported");
    Value batch = reshapeTo(b, loc, stats[i], ot, {dimValue(b, loc, x, 1)});
    auto c1 = RankedTensorType::get({1}, et);
    Value a = binary(b, loc, nn::BinaryKind::mul, inputs[i], constTensor(b, loc, c1, {mom}), ot);
    Value c = binary(b, loc, nn::BinaryKind::mul, batch, constTensor(b, loc, c1, {1.0 - mom}), ot);
    res.push_back(binary(b, loc, nn::BinaryKind::add, a, c, ot));
  }
  return res;
}

LoweringResult NormalizationLowering::instanceNorm(ox::InstanceNormalizationOp in) {
  Value x = in.getInput();
  auto xt = rtt(x);
  if (!isa<FloatType>(xt.getElementType()))
    return (LogicalResult)(fail() << "input must be a float tensor");
  SmallVector<int64_t> axes;
  for (int64_t i = 2; i < xt.getRank(); ++i)
    axes.push_back(i);
  auto [mean, var] = meanVar(x, axes);
  return one(normalizeChannels(x, mean, var, in.getEpsilon().convertToDouble(), in.getScale(), in.getB()));
}

/// MeanVarianceNormalization as its ONNX function body:
/// (X - E[X]) / (sqrt(E[X^2] - E[X]^2) + 1e-9).
LoweringResult NormalizationLowering::meanVarianceNorm(ox::MeanVarianceNormalizationOp mvn) {
  Value x = mvn.getX();
  auto xt = rtt(x);
  int64_t r = xt.getRank();
  if (!isa<FloatType>(xt.getElementType()))
    return (LogicalResult)(fail() << "X must be a float tensor");
  SmallVector<int64_t> axes = mvn.getAxes() ? intsAttr(mvn.getAxes()) : SmallVector<int64_t>{0, 2, 3};
  for (int64_t &a : axes) {
    if (a < -r || a >= r)
      return (LogicalResult)(fail() << "axis " << a << " out of range for rank " << r);
    if (a < 0) a += r;
  }
  llvm::sort(axes);
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  SmallVector<int64_t> shape(xt.getShape());
  for (int64_t a : axes)
    shape[a] = 1;
  auto st = RankedTensorType::get(shape, xt.getElementType());
  auto mean = [&](Value v) -> Value {
    return nn::ReduceOp::create(b, loc, st, v, nn::ReduceKindAttr::get(b.getContext(), nn::ReduceKind::mean),
                                b.getDenseI64ArrayAttr(axes), b.getBoolAttr(true));
  };
  Value m = mean(x);
  Value ex2 = mean(binary(b, loc, nn::BinaryKind::mul, x, x, xt));
  Value var = binary(b, loc, nn::BinaryKind::sub, ex2, binary(b, loc, nn::BinaryKind::mul, m, m, st), st);
  Value epsC = constTensor(b, loc, RankedTensorType::get(SmallVector<int64_t>(r, 1), xt.getElementType()), {1e-9});
  Value sd = binary(b, loc, nn::BinaryKind::add, unary(b, loc, nn::UnaryKind::sqrt, var), epsC, st);
  Value d = binary(b, loc, nn::BinaryKind::sub, x, m, xt);
  return one(binary(b, loc, nn::BinaryKind::div, d, sd, xt));
}

/// LRN: the windowed channel sum of x^2 is an average pool (count including
/// padding, so the divisor is always `size`) over [N, 1, C, prod(spatial)];
/// y = x / (bias + alpha * avg)^beta.
LoweringResult NormalizationLowering::lrn(ox::LRNOp l) {
  Value x = l.getX();
  auto xt = rtt(x);
  Type et = xt.getElementType();
  if (!isa<FloatType>(et))
    return (LogicalResult)(fail() << "X must be a float tensor");
  if (!xt.hasStaticShape())
    return (LogicalResult)(fail() << "X of dynamic shape is not supported");
  int64_t N = xt.getDimSize(0), C = xt.getDimSize(1), S = 1;
  for (int64_t i = 2; i < xt.getRank(); ++i)
    S *= xt.getDimSize(i);
  int64_t size = l.getSize();
  int64_t lo = (size - 1) / 2, hi = size - 1 - lo;
  auto t4 = RankedTensorType::get({N, 1, C, S}, et);
  Value sq = binary(b, loc, nn::BinaryKind::mul, x, x, xt);
  Value sq4 = reshapeTo(b, loc, sq, t4);
  SmallVector<int64_t> pads{lo, 0, hi, 0};
  Value avg = nn::PoolOp::create(b, loc, t4, sq4, nn::PoolKindAttr::get(b.getContext(), nn::PoolKind::avg),
                                 b.getDenseI64ArrayAttr({size, 1}), b.getDenseI64ArrayAttr({1, 1}),
                                 b.getDenseI64ArrayAttr({1, 1}), b.getDenseI64ArrayAttr(pads),
                                 b.getDenseI64ArrayAttr(pads), b.getBoolAttr(true));
  avg = reshapeTo(b, loc, avg, xt);
  auto c1 = RankedTensorType::get(SmallVector<int64_t>(xt.getRank(), 1), et);
  Value den = binary(b, loc, nn::BinaryKind::mul, avg, constTensor(b, loc, c1, {l.getAlpha().convertToDouble()}), xt);
  den = binary(b, loc, nn::BinaryKind::add, den, constTensor(b, loc, c1, {l.getBias().convertToDouble()}), xt);
  den = binary(b, loc, nn::BinaryKind::pow, den, constTensor(b, loc, c1, {l.getBeta().convertToDouble()}), xt);
  return one(binary(b, loc, nn::BinaryKind::div, x, den, xt));
}

/// GroupNormalization: statistics over [N, G, C / G * spatial] (f32 with
/// stash_type = 1), then per-channel scale and bias.
LoweringResult NormalizationLowering::groupNorm(ox::GroupNormalizationOp g) {
  Value x = g.getX();
  auto xt = rtt(x);
  Type et = xt.getElementType();
  if (!isa<FloatType>(et))
    return (LogicalResult)(fail() << "X must be a float tensor");
  if (!xt.hasStaticShape())
    return (LogicalResult)(fail() << "X of dynamic shape is not supported");
  if (g.getStashType() != 1)
    return (LogicalResult)(fail() << "stash_type = " << g.getStashType() << " is not supported (only 1: float)");
  int64_t N = xt.getDimSize(0), C = xt.getDimSize(1), G = g.getNumGroups(), S = 1;
  for (int64_t i = 2; i < xt.getRank(); ++i)
    S *= xt.getDimSize(i);
  auto f32 = b.getF32Type();
  auto toF32 = [&](Value v) { return castElem(b, loc, v, f32); };
  auto gt = RankedTensorType::get({N, G, C / G * S}, f32);
  Value xg = reshapeTo(b, loc, toF32(x), gt);
  auto [mean, var] = meanVar(xg, {2});
  Value epsC = splatOfRank(b, loc, 3, f32, g.getEpsilon().convertToDouble());
  Value sd = unary(b, loc, nn::UnaryKind::sqrt, binary(b, loc, nn::BinaryKind::add, var, epsC, rtt(var)));
  Value d = binary(b, loc, nn::BinaryKind::sub, xg, mean, gt);
  Value yn = reshapeTo(b, loc, binary(b, loc, nn::BinaryKind::div, d, sd, gt), xt.clone(f32));
  SmallVector<int64_t> pshape(xt.getRank(), 1);
  pshape[1] = C;
  auto pType = RankedTensorType::get(pshape, f32);
  Value y = binary(b, loc, nn::BinaryKind::mul, yn, reshapeTo(b, loc, toF32(g.getScale()), pType), xt.clone(f32));
  y = binary(b, loc, nn::BinaryKind::add, y, reshapeTo(b, loc, toF32(g.getBias()), pType), xt.clone(f32));
  if (et != f32)
    y = nn::CastOp::create(b, loc, xt, y, false, false);
  return one(y);
}

} // namespace

void populateNormalizationPatterns(RewritePatternSet &patterns) {
  using L = NormalizationLowering;
  addLowering<ox::BatchNormalizationOp, &L::lowerBatchNormalization>(patterns);
  addLowering<ox::LayerNormalizationOp, &L::lowerLayerNormalization>(patterns);
  addLowering<ox::SoftmaxOp, &L::lowerSoftmax>(patterns);
  addLowering<ox::LogSoftmaxOp, &L::lowerLogSoftmax>(patterns);
  addLowering<ox::InstanceNormalizationOp, &L::lowerInstanceNormalization>(patterns);
  addLowering<ox::MeanVarianceNormalizationOp, &L::lowerMeanVarianceNormalization>(patterns);
  addLowering<ox::LRNOp, &L::lowerLRN>(patterns);
  addLowering<ox::GroupNormalizationOp, &L::lowerGroupNormalization>(patterns);
}

} // namespace kiln::onnx_to_nn
