//===- Quantize.cpp - int8 post-training quantization of nn layers --------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// kiln-nn-quantize (Passes.td) and the helpers of kiln/Transforms/Quantize.h
// that kiln-compile's calibration shares with it.
//
//===----------------------------------------------------------------------===//

#include "kiln/Transforms/Quantize.h"
#include "kiln/Transforms/ConstantUtils.h"
#include "kiln/Transforms/Passes.h"
#include "kiln/Transforms/Statistics.h"

#include "mlir/IR/DialectResourceBlobManager.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace kiln {
#define GEN_PASS_DEF_NNQUANTIZE
#include "kiln/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
namespace nn = kiln::nn;
using namespace kiln::quant;
using kiln::makeF32Constant;
using kiln::makeI8Constant;
using kiln::readF32Constant;

namespace {

RankedTensorType rtt(Value v) { return cast<RankedTensorType>(v.getType()); }
constexpr int64_t kDyn = ShapedType::kDynamic;

/// The constant [K, N] data behind a matmul's rhs of type [1..., K, N].
bool matmulWeight(nn::MatmulOp m, SmallVectorImpl<float> &w) {
  auto bt = rtt(m.getRhs());
  if (!bt.hasStaticShape() || !llvm::all_of(bt.getShape().drop_back(2), [](int64_t d) { return d == 1; }))
    return false;
  return readF32Constant(m.getRhs(), w);
}

} // namespace

bool kiln::quant::isInt8DepthwiseShape(ShapedType filter, ShapedType result, int64_t groups,
                                       ArrayRef<int64_t> strides) {
  return result.getRank() == 4 && filter.getRank() == 4 && filter.hasStaticShape() && groups > 1 &&
         filter.getDimSize(0) == groups && filter.getDimSize(1) == 1 && result.getDimSize(1) == groups &&
         filter.getDimSize(2) * filter.getDimSize(3) <= 64 && strides.size() == 2 && strides[1] <= 2;
}

bool kiln::quant::isInt8Depthwise(Operation *op) {
  if (auto c = dyn_cast<nn::ConvOp>(op))
    return isInt8DepthwiseShape(rtt(c.getFilter()), rtt(c.getResult()), c.getGroups(), c.getStrides());
  if (auto c = dyn_cast<nn::QConvOp>(op))
    return isInt8DepthwiseShape(rtt(c.getFilter()), rtt(c.getResult()), c.getGroups(), c.getStrides());
  return false;
}

bool kiln::quant::isQuantizable(Operation *op, std::string *why) {
  auto no = [&](const char *reason) {
    if (why)
      *why = reason;
    return false;
  };
  if (auto c = dyn_cast<nn::ConvOp>(op)) {
    auto x = rtt(c.getInput()), w = rtt(c.getFilter()), r = rtt(c.getResult());
    if (!x.getElementType().isF32() || !r.getElementType().isF32())
      return no("not f32");
    if (!w.hasStaticShape())
      return no("dynamic filter shape");
    SmallVector<float> data;
    if (!readF32Constant(c.getFilter(), data))
      return no("filter is not a constant");
    if (w.getDimSize(0) % c.getGroups() != 0 ||
        llvm::any_of(r.getShape().drop_front(1), ShapedType::isDynamic))
      return no("dynamic channels or output spatial dims");
    // Grouped convolutions have no int8 kernel: their generic int8 loops
    // ran MobileNetV2 3 times slower than its fp32 kernels, so they stay
    // float.  2-D depthwise ones run the depthwise micro-kernel on int8
    // rows (isInt8Depthwise).
    if (c.getGroups() != 1 && !isInt8Depthwise(op))
      return no("grouped, or depthwise beyond the int8 depthwise kernel (2-D, window <= 64 taps, row stride <= 2)");
    return true;
  }
  if (auto m = dyn_cast<nn::MatmulOp>(op)) {
    auto a = rtt(m.getLhs()), r = rtt(m.getResult());
    if (!a.getElementType().isF32() || !r.getElementType().isF32())
      return no("not f32");
    if (r.getRank() != a.getRank())
      return no("the rhs has more batch dims than the lhs");
    SmallVector<float> w;
    if (!matmulWeight(m, w))
      return no("rhs is not a constant [K, N] weight");
    return true;
  }
  return no("not a convolution or matmul");
}

SmallVector<Operation *> kiln::quant::quantizableLayers(Operation *root) {
  SmallVector<Operation *> layers;
  root->walk([&](Operation *op) {
    if (isa<nn::ConvOp, nn::MatmulOp>(op) && isQuantizable(op))
      layers.push_back(op);
  });
  return layers;
}

Value kiln::quant::layerInput(Operation *layer) {
  if (auto c = dyn_cast<nn::ConvOp>(layer))
    return c.getInput();
  if (auto m = dyn_cast<nn::MatmulOp>(layer))
    return m.getLhs();
  return Value();
}

int64_t kiln::quant::layerMacs(Operation *layer) {
  auto count = [](ArrayRef<int64_t> dims) {
    int64_t n = 1;
    for (int64_t d : dims)
      n *= d == kDyn ? 1 : d;
    return n;
  };
  if (auto c = dyn_cast<nn::ConvOp>(layer)) {
    auto w = rtt(c.getFilter());
    return count(rtt(c.getResult()).getShape()) * count(w.getShape().drop_front(1));
  }
  if (auto m = dyn_cast<nn::MatmulOp>(layer)) {
    auto a = rtt(m.getLhs());
    return count(rtt(m.getResult()).getShape()) * count(a.getShape().take_back(1));
  }
  return 0;
}

void kiln::quant::quantizeWeights(ArrayRef<float> w, int64_t channels, function_ref<int64_t(size_t)> chanOf,
                                  SmallVectorImpl<int8_t> &q, SmallVectorImpl<float> &scales) {
  SmallVector<float> amax(channels, 0.f);
  for (size_t i = 0; i < w.size(); ++i)
    amax[chanOf(i)] = std::max(amax[chanOf(i)], std::fabs(w[i]));
  scales.clear();
  for (float a : amax)
    scales.push_back(a > 0 ? a / 127.f : 1.f);
  q.resize(w.size());
  for (size_t i = 0; i < w.size(); ++i) {
    float v = std::nearbyint(w[i] / scales[chanOf(i)]); // round half to even (default mode)
    q[i] = (int8_t)std::clamp(v, -127.f, 127.f);
  }
}

ActParams kiln::quant::activationParams(float lo, float hi) {
  lo = std::min(lo, 0.f);
  hi = std::max(hi, 0.f);
  ActParams p;
  if (!(hi - lo > 0) || !std::isfinite(hi - lo))
    return p;
  p.scale = (hi - lo) / 255.f;
  p.zeroPoint = std::clamp<int64_t>((int64_t)std::nearbyint(-lo / p.scale), 0, 255);
  return p;
}

Operation *kiln::quant::quantizeLayer(OpBuilder &b, Operation *layer, ActParams act) {
  Location loc = layer->getLoc();
  b.setInsertionPoint(layer);
  Value x = layerInput(layer);
  auto xt = rtt(x);
  int64_t r = xt.getRank();
  auto unitT = [&](Type et) { return RankedTensorType::get(SmallVector<int64_t>(r, 1), et); };
  Value s = arith::ConstantOp::create(b, loc, unitT(b.getF32Type()),
                                      DenseElementsAttr::get(unitT(b.getF32Type()), act.scale));
  // A depthwise layer reads its input as signed int8 with the zero point
  // moved by -128 (the same values: q - 128 for every uint8 q), the form
  // its kernel converts (lowerQConv); the others read uint8.
  bool isSigned = isInt8Depthwise(layer);
  int64_t zeroPoint = isSigned ? act.zeroPoint - 128 : act.zeroPoint;
  UnitAttr unsignedAttr = isSigned ? UnitAttr() : b.getUnitAttr();
  Value zp = arith::ConstantOp::create(
      b, loc, unitT(b.getI8Type()), DenseElementsAttr::get(unitT(b.getI8Type()), (int8_t)zeroPoint));
  Value xq = nn::QuantizeOp::create(b, loc, xt.clone(b.getI8Type()), x, s, zp, unsignedAttr);
  auto zpAttr = b.getI64IntegerAttr(zeroPoint);
  auto scaleAttr = b.getF32FloatAttr(act.scale);
  SmallVector<float> w;
  SmallVector<int8_t> q;
  SmallVector<float> ws;
  Operation *res = nullptr;
  if (auto c = dyn_cast<nn::ConvOp>(layer)) {
    auto wt = rtt(c.getFilter());
    readF32Constant(c.getFilter(), w);
    int64_t F = wt.getDimSize(0), per = wt.getNumElements() / F;
    quantizeWeights(w, F, [&](size_t i) { return int64_t(i) / per; }, q, ws);
    Value wq = makeI8Constant(b, loc, wt.clone(b.getI8Type()), q, "qweights");
    Value sc = makeF32Constant(b, loc, RankedTensorType::get({F}, b.getF32Type()), ws, "qweight_scales");
    res = nn::QConvOp::create(b, loc, c.getResult().getType(), xq, wq, sc, c.getBias(), c.getResidual(),
                              c.getStridesAttr(), c.getDilationsAttr(), c.getPadsAttr(), c.getGroupsAttr(),
                              scaleAttr, zpAttr, unsignedAttr, c.getActAttr(), c.getActAlphaAttr(),
                              c.getActBetaAttr());
  } else {
    auto m = cast<nn::MatmulOp>(layer);
    auto bt = rtt(m.getRhs());
    matmulWeight(m, w);
    int64_t K = bt.getDimSize(bt.getRank() - 2), N = bt.getDimSize(bt.getRank() - 1);
    quantizeWeights(w, N, [&](size_t i) { return int64_t(i) % N; }, q, ws);
    Value wq = makeI8Constant(b, loc, RankedTensorType::get({K, N}, b.getI8Type()), q, "qweights");
    Value sc = makeF32Constant(b, loc, RankedTensorType::get({N}, b.getF32Type()), ws, "qweight_scales");
    res = nn::QMatmulOp::create(b, loc, m.getResult().getType(), xq, wq, sc, m.getBias(), m.getResidual(),
                                scaleAttr, zpAttr, b.getUnitAttr(), m.getActAttr(), m.getActAlphaAttr(),
                                m.getActBetaAttr());
  }
  layer->getResult(0).replaceAllUsesWith(res->getResult(0));
  layer->erase();
  return res;
}

uint16_t kiln::quant::toBF16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) // NaN: keep it quiet
    return uint16_t((u >> 16) | 0x40);
  u += 0x7fffu + ((u >> 16) & 1);
  return uint16_t(u >> 16);
}

Operation *kiln::quant::castLayerToBF16(OpBuilder &b, Operation *layer) {
  Location loc = layer->getLoc();
  b.setInsertionPoint(layer);
  Value x = layerInput(layer);
  Value w = isa<nn::ConvOp>(layer) ? cast<nn::ConvOp>(layer).getFilter() : cast<nn::MatmulOp>(layer).getRhs();
  SmallVector<float> data;
  readF32Constant(w, data);
  std::vector<uint16_t> bits(data.size());
  for (size_t i = 0; i < data.size(); ++i)
    bits[i] = toBF16(data[i]);
  auto wt = rtt(w).clone(b.getBF16Type());
  auto blob = HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<uint16_t>(bits));
  Value wb = arith::ConstantOp::create(b, loc, wt, DenseResourceElementsAttr::get(wt, "bf16_weights", std::move(blob)));
  Value xb = nn::CastOp::create(b, loc, rtt(x).clone(b.getBF16Type()), x, nullptr, nullptr);
  layer->setOperand(0, xb);
  layer->setOperand(1, wb);
  return layer;
}

bool kiln::quant::isInt4Quantizable(Operation *op, int64_t group, std::string *why) {
  if (!isa<nn::MatmulOp>(op)) {
    if (why)
      *why = "int4 weights are for MatMul/Gemm (Linear) layers only";
    return false;
  }
  if (!isQuantizable(op, why))
    return false;
  auto bt = rtt(cast<nn::MatmulOp>(op).getRhs());
  int64_t K = bt.getDimSize(bt.getRank() - 2);
  if (group < 2 || group % 2 || K % group) {
    if (why)
      *why = "K = " + std::to_string(K) + " is not a multiple of the int4 group size " + std::to_string(group);
    return false;
  }
  return true;
}

void kiln::quant::quantizeInt4(ArrayRef<float> w, int64_t K, int64_t N, int64_t group, Int4Weights &q) {
  int64_t G = K / group;
  q.codes.assign(K * N, 0);
  q.scales.assign(G * N, 1.f);
  q.zeroPoints.assign(G * N, 0);
  for (int64_t g = 0; g < G; ++g)
    for (int64_t n = 0; n < N; ++n) {
      float lo = 0, hi = 0;
      for (int64_t k = g * group; k < (g + 1) * group; ++k) {
        lo = std::min(lo, w[k * N + n]);
        hi = std::max(hi, w[k * N + n]);
      }
      if (!(hi - lo > 0) || !std::isfinite(hi - lo))
        continue;
      float scale = (hi - lo) / 15.f;
      int zp = (int)std::clamp(std::nearbyint(-lo / scale), 0.f, 15.f);
      q.scales[g * N + n] = scale;
      q.zeroPoints[g * N + n] = (int8_t)zp;
      for (int64_t k = g * group; k < (g + 1) * group; ++k)
        q.codes[k * N + n] = (uint8_t)std::clamp(std::nearbyint(w[k * N + n] / scale) + zp, 0.f, 15.f);
    }
}

Operation *kiln::quant::quantizeLayerInt4(OpBuilder &b, Operation *layer, int64_t group, ArrayRef<float> awq,
                                         Value &scaledInput, bool lhsInt8) {
  auto m = cast<nn::MatmulOp>(layer);
  Location loc = layer->getLoc();
  b.setInsertionPoint(layer);
  auto bt = rtt(m.getRhs());
  int64_t K = bt.getDimSize(bt.getRank() - 2), N = bt.getDimSize(bt.getRank() - 1);
  SmallVector<float> w;
  matmulWeight(m, w);
  Value x = m.getLhs();
  if (!awq.empty()) {
    for (int64_t k = 0; k < K; ++k)
      for (int64_t n = 0; n < N; ++n)
        w[k * N + n] *= awq[k];
    if (!scaledInput) {
      auto xt = rtt(x);
      SmallVector<int64_t> shape(xt.getRank(), 1);
      shape.back() = K;
      SmallVector<float> inv;
      for (float v : awq)
        inv.push_back(1.f / v);
      Value c = makeF32Constant(b, loc, RankedTensorType::get(shape, b.getF32Type()), inv, "awq_input_scale");
      scaledInput = nn::BinaryOp::create(b, loc, xt, x, c, nn::BinaryKind::mul);
    }
    x = scaledInput;
  }
  Int4Weights q;
  quantizeInt4(w, K, N, group, q);
  SmallVector<int8_t> packed(K / 2 * N);
  for (int64_t j = 0; j < K / 2; ++j)
    for (int64_t n = 0; n < N; ++n)
      packed[j * N + n] = (int8_t)(q.codes[2 * j * N + n] | (q.codes[(2 * j + 1) * N + n] << 4));
  auto groupsT = [&](Type et) { return RankedTensorType::get({K / group, N}, et); };
  Value wq = makeI8Constant(b, loc, RankedTensorType::get({K / 2, N}, b.getI8Type()), packed, "int4_weights");
  Value sc = makeF32Constant(b, loc, groupsT(b.getF32Type()), q.scales, "int4_scales");
  Value zp = makeI8Constant(b, loc, groupsT(b.getI8Type()), q.zeroPoints, "int4_zero_points");
  Operation *res = nn::Int4MatmulOp::create(b, loc, m.getResult().getType(), x, wq, sc, zp, m.getBias(),
                                            m.getResidual(), b.getI64IntegerAttr(group), m.getActAttr(),
                                            m.getActAlphaAttr(), m.getActBetaAttr(),
                                            lhsInt8 ? b.getUnitAttr() : UnitAttr());
  layer->getResult(0).replaceAllUsesWith(res->getResult(0));
  layer->erase();
  return res;
}

namespace {

/// Folds an AWQ input division `mul` (x * c, c a constant [1..., K]) into
/// the nn.layer_norm over the last dim that makes x when nothing else reads
/// that LayerNorm: its scale and bias are divided instead.
bool foldIntoLayerNorm(OpBuilder &b, nn::BinaryOp mul) {
  auto ln = mul.getLhs().getDefiningOp<nn::LayerNormOp>();
  if (!ln || !ln->hasOneUse())
    return false;
  int64_t r = rtt(ln.getResult()).getRank();
  if (ln.getAxis() != r - 1 && ln.getAxis() != -1)
    return false;
  SmallVector<float> c, g, beta;
  if (!readF32Constant(mul.getRhs(), c) || !readF32Constant(ln.getScale(), g) ||
      (ln.getBias() && !readF32Constant(ln.getBias(), beta)))
    return false;
  int64_t K = (int64_t)c.size();
  if ((int64_t)g.size() != K || (ln.getBias() && (int64_t)beta.size() != K))
    return false;
  b.setInsertionPoint(ln);
  for (int64_t k = 0; k < K; ++k)
    g[k] *= c[k];
  ln->setOperand(1, makeF32Constant(b, ln.getLoc(), rtt(ln.getScale()), g, "awq_ln_scale"));
  if (ln.getBias()) {
    for (int64_t k = 0; k < K; ++k)
      beta[k] *= c[k];
    ln->setOperand(2, makeF32Constant(b, ln.getLoc(), rtt(ln.getBias()), beta, "awq_ln_bias"));
  }
  mul.getResult().replaceAllUsesWith(ln.getResult());
  mul->erase();
  return true;
}

} // namespace

namespace {

struct NNQuantizePass : kiln::impl::NNQuantizeBase<NNQuantizePass> {
  void runOnOperation() override {
    auto &numQuantized = kiln::passStatistic(getArgument(), "quantized-layers", "layers rewritten to int8");
    auto &numFloat = kiln::passStatistic(getArgument(), "float-layers", "calibrated layers kept in fp32");
    auto &numUnsupported =
        kiln::passStatistic(getArgument(), "unsupported", "calibrated layers that cannot run in int8");
    auto &numBF16 = kiln::passStatistic(getArgument(), "bf16-layers", "layers rewritten to bf16");
    auto &numInt4 = kiln::passStatistic(getArgument(), "int4-layers", "matmuls rewritten to int4 weights");
    auto &numFolded = kiln::passStatistic(getArgument(), "awq-folded",
                                          "AWQ input divisions folded into a LayerNorm's scale and bias");
    llvm::DenseMap<std::pair<Value, Attribute>, Value> scaledInputs;
    SmallVector<Operation *> layers;
    getOperation()->walk([&](Operation *op) {
      if (isa<nn::ConvOp, nn::MatmulOp>(op) && (op->hasAttr(kRangeAttr) || op->hasAttr(kPrecisionAttr)))
        layers.push_back(op);
    });
    OpBuilder b(&getContext());
    for (Operation *op : layers) {
      StringRef precision = "int8";
      if (Attribute a = op->getAttr(kPrecisionAttr)) {
        auto p = dyn_cast<StringAttr>(a);
        if (!p || (p.getValue() != "int8" && p.getValue() != "bf16" && p.getValue() != "fp32" &&
                   p.getValue() != "int4")) {
          op->emitError() << kPrecisionAttr << " must be \"int8\", \"bf16\", \"int4\" or \"fp32\" (got " << a
                          << ")";
          return signalPassFailure();
        }
        precision = p.getValue();
      }
      op->removeAttr(kPrecisionAttr);
      auto group = dyn_cast_or_null<IntegerAttr>(op->getAttr(kGroupAttr));
      auto awq = dyn_cast_or_null<DenseF32ArrayAttr>(op->getAttr(kAWQScaleAttr));
      bool hadAWQ = op->hasAttr(kAWQScaleAttr);
      Attribute act = op->getAttr(kInt4ActAttr);
      op->removeAttr(kGroupAttr);
      op->removeAttr(kAWQScaleAttr);
      op->removeAttr(kInt4ActAttr);
      if (precision == "fp32") {
        ++numFloat;
        continue;
      }
      if (precision == "int4") {
        op->removeAttr(kRangeAttr);
        if (!group) {
          op->emitError() << "int4 needs " << kGroupAttr << " = the group size along K (e.g. 128 : i64)";
          return signalPassFailure();
        }
        std::string why;
        if (!isInt4Quantizable(op, group.getInt(), &why)) {
          op->emitError() << "cannot take int4 weights: " << why;
          return signalPassFailure();
        }
        auto bt = rtt(cast<nn::MatmulOp>(op).getRhs());
        int64_t K = bt.getDimSize(bt.getRank() - 2);
        if (hadAWQ && (!awq || (int64_t)awq.size() != K ||
                       llvm::any_of(awq.asArrayRef(), [](float v) { return !(v > 0) || !std::isfinite(v); }))) {
          op->emitError() << kAWQScaleAttr << " must be array<f32> of K = " << K << " positive finite scales";
          return signalPassFailure();
        }
        bool lhsInt8 = false;
        if (act) {
          auto a = dyn_cast<StringAttr>(act);
          if (!a || (a.getValue() != "int8" && a.getValue() != "f32")) {
            op->emitError() << kInt4ActAttr << " must be \"f32\" or \"int8\" (got " << act << ")";
            return signalPassFailure();
          }
          lhsInt8 = a.getValue() == "int8";
          if (lhsInt8 && group.getInt() % 8) {
            op->emitError() << "int8 activations need an int4 group size that is a multiple of 8 (got "
                            << group.getInt() << ")";
            return signalPassFailure();
          }
        }
        ArrayRef<float> s = awq ? awq.asArrayRef() : ArrayRef<float>();
        // Layers that read one tensor with the same scales share one division.
        Value &scaled = scaledInputs[{cast<nn::MatmulOp>(op).getLhs(), awq}];
        quantizeLayerInt4(b, op, group.getInt(), s, scaled, lhsInt8);
        ++numInt4;
        continue;
      }
      auto range = dyn_cast_or_null<DenseF32ArrayAttr>(op->getAttr(kRangeAttr));
      op->removeAttr(kRangeAttr);
      if (precision == "int8" && (!range || range.size() != 2 || !(range[0] <= range[1]))) {
        op->emitError() << "int8 needs " << kRangeAttr << " = array<f32: lo, hi> with lo <= hi";
        return signalPassFailure();
      }
      if (!isQuantizable(op)) {
        ++numUnsupported;
        continue;
      }
      if (precision == "bf16") {
        // No bf16 depthwise kernel: its operands would only be extended
        // back to f32 (slower than f32), so it stays f32.
        if (isInt8Depthwise(op)) {
          ++numFloat;
          continue;
        }
        castLayerToBF16(b, op);
        ++numBF16;
        continue;
      }
      quantizeLayer(b, op, activationParams(range[0], range[1]));
      ++numQuantized;
    }
    for (auto &[key, v] : scaledInputs)
      if (auto mul = v ? v.getDefiningOp<nn::BinaryOp>() : nn::BinaryOp())
        numFolded += foldIntoLayerNorm(b, mul);
    kiln::eraseDeadConstants(getOperation());
  }
};

} // namespace
