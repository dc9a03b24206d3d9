//===- FixedPointRequant.cpp - int8 layer epilogues in fixed point -------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// kiln-nn-fixed-point-requantize: an int8 layer (nn.qconv / nn.qmatmul)
// whose f32 result is only quantized again for the next int8 layer keeps
// its output in 8 bits: the layer yields its exact int32 accumulators and
// nn.requantize maps them to the next layer's quantization with an int32
// multiplier and shift per channel (TFLite's and CMSIS-NN's scheme), the
// bias rounded to int32 and the activation folded into the clamp.  Max
// pooling, reshapes and transposes between the layer and the quantization
// commute with it (quantization is monotone and element-wise), so they
// move to the 8-bit side; the values between them are then signed int8
// (the zero point moved by -128) so that max pooling compares them as
// signed bytes, and the next layers read them as such.
//
//===----------------------------------------------------------------------===//

#include "kiln/Transforms/ConstantUtils.h"
#include "kiln/Transforms/Passes.h"
#include "kiln/Transforms/Statistics.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"

#include <cmath>

namespace kiln {
#define GEN_PASS_DEF_NNFIXEDPOINTREQUANTIZE
#include "kiln/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

RankedTensorType rtt(Value v) { return cast<RankedTensorType>(v.getType()); }

/// TFLite's QuantizeMultiplier: `real` = m * 2^(shift - 31), m in Q31.
void quantizeMultiplier(double real, int32_t &m, int32_t &shift) {
  if (!(real > 0)) {
    m = 0;
    shift = 0;
    return;
  }
  int e = 0;
  double q = std::frexp(real, &e);
  int64_t fixed = (int64_t)std::round(q * double(1ll << 31));
  if (fixed == (1ll << 31)) {
    fixed /= 2;
    ++e;
  }
  if (e < -31) {
    e = 0;
    fixed = 0;
  }
  if (e > 30) {
    e = 30;
    fixed = (1ll << 31) - 1;
  }
  m = (int32_t)fixed;
  shift = e;
}

/// The value of a splat integer constant.
std::optional<int64_t> splatInt(Value v) {
  DenseIntElementsAttr a;
  if (!v || !matchPattern(v, m_Constant(&a)) || !a.isSplat())
    return std::nullopt;
  return a.getSplatValue<APInt>().getSExtValue();
}

/// A per-tensor 8-bit quantization: its scale and zero point (an unsigned
/// one read from its i8 bits).
struct QParams {
  double scale;
  int64_t zeroPoint;
  bool isUnsigned;
};
std::optional<QParams> quantParams(nn::QuantizeOp q) {
  double s = 0;
  std::optional<int64_t> zp = splatInt(q.getZeroPoint());
  if (!rtt(q.getResult()).getElementType().isInteger(8) || !isFloatSplatConstant(q.getScale(), s) || !(s > 0) ||
      !std::isfinite(s) || !zp)
    return std::nullopt;
  bool u = q.getUnsignedResult();
  return QParams{s, u ? (int64_t)(uint8_t)*zp : *zp, u};
}

/// Ops that commute with an element-wise monotone map: max pooling and
/// pure data movement.
bool commutes(Operation *op) {
  if (auto p = dyn_cast<nn::PoolOp>(op))
    return p.getKind() == nn::PoolKind::max;
  if (auto r = dyn_cast<nn::ReshapeOp>(op))
    return !r.getShape();
  return isa<nn::TransposeOp>(op);
}

/// What the rewrite reads of an nn.qconv / nn.qmatmul (the bias through
/// readLayerBias).
struct Layer {
  Operation *op;
  Value filterScale, residual;
  float inputScale;
  std::optional<nn::ActKind> act;
  std::optional<llvm::APFloat> alpha, beta;
};

std::optional<Layer> asLayer(Operation *op) {
  if (auto c = dyn_cast_or_null<nn::QConvOp>(op))
    return Layer{op, c.getFilterScale(), c.getResidual(), c.getInputScale().convertToFloat(), c.getAct(),
                 c.getActAlpha(), c.getActBeta()};
  if (auto m = dyn_cast_or_null<nn::QMatmulOp>(op))
    return Layer{op, m.getRhsScale(), m.getResidual(), m.getLhsScale().convertToFloat(), m.getAct(),
                 m.getActAlpha(), m.getActBeta()};
  return std::nullopt;
}

/// Whether `use` is an int8 layer's data input, which readSigned can move
/// to signed bytes.
bool canReadSigned(OpOperand &use) {
  Operation *u = use.getOwner();
  return use.getOperandNumber() == 0 && isa<nn::QConvOp, nn::QMatmulOp>(u);
}
/// The int8 layer reading `use` reads signed bytes: the same values with
/// the zero point moved by -128.
void readSigned(OpOperand &use) {
  Operation *u = use.getOwner();
  if (auto c = dyn_cast<nn::QConvOp>(u)) {
    c.setInputUnsigned(false);
    c.setInputZeroPoint(c.getInputZeroPoint() - 128);
    return;
  }
  auto m = cast<nn::QMatmulOp>(u);
  m.setLhsUnsigned(false);
  m.setLhsZeroPoint(m.getLhsZeroPoint() - 128);
}

struct FixedPointRequantizePass final : kiln::impl::NNFixedPointRequantizeBase<FixedPointRequantizePass> {
  void runOnOperation() override {
    auto &numLayers = passStatistic(getArgument(), "requantized-layers",
                                    "int8 layers whose epilogue became nn.requantize");
    auto &numMoved = passStatistic(getArgument(), "ops-moved-to-int8",
                                   "max pools, reshapes and transposes moved after the quantization");
    auto &numResiduals = passStatistic(getArgument(), "int8-residuals",
                                       "residual adds on the residual's 8-bit quantization");
    // Until nothing changes: a layer whose result a residual add read in
    // float qualifies once that add reads the 8-bit form instead.
    for (bool changed = true; changed;) {
      changed = false;
      SmallVector<nn::QuantizeOp> qs;
      getOperation().walk([&](nn::QuantizeOp q) { qs.push_back(q); });
      for (nn::QuantizeOp q : qs)
        if (rewrite(q, numMoved, numResiduals)) {
          ++numLayers;
          changed = true;
        }
    }
  }

  bool rewrite(nn::QuantizeOp q, std::atomic<uint64_t> &numMoved, std::atomic<uint64_t> &numResiduals) {
    std::optional<QParams> qp = quantParams(q);
    if (!qp)
      return false;
    double sy = qp->scale;
    // The chain: layer -> commuting ops -> quantize, each used once.
    SmallVector<Operation *> chain;
    Value v = q.getInput();
    while (Operation *d = v.getDefiningOp()) {
      if (!v.hasOneUse() || !commutes(d))
        break;
      chain.push_back(d);
      v = d->getOperand(0);
    }
    std::optional<Layer> l = asLayer(v.getDefiningOp());
    if (!l || !v.hasOneUse() || !rtt(v).getElementType().isF32())
      return false;
    // A residual add reads the residual's own 8-bit quantization (the one
    // the next layer reading it made), rescaled to this output's scale.
    nn::QuantizeOp rq;
    std::optional<QParams> rp;
    if (l->residual) {
      for (Operation *u : l->residual.getUsers())
        if (auto cand = dyn_cast<nn::QuantizeOp>(u);
            cand && cand->getBlock() == l->op->getBlock() && cand->isBeforeInBlock(l->op))
          if ((rp = quantParams(cand))) {
            rq = cand;
            break;
          }
      if (!rq)
        return false;
    }
    bool inU = q.getUnsignedResult();
    // Max pooling compares signed bytes: the values must be int8 and the
    // readers must accept that.
    bool toSigned = inU && llvm::any_of(chain, [](Operation *o) { return isa<nn::PoolOp>(o); });
    if (toSigned && !llvm::all_of(q.getResult().getUses(), canReadSigned))
      return false;
    bool outU = inU && !toSigned;
    // (An unsigned quantization's zero point is stored as i8: its bits.)
    int64_t zp = qp->zeroPoint - (toSigned ? 128 : 0);
    int64_t lo = outU ? 0 : -128, hi = outU ? 255 : 127;
    // The activation as a clamp in the quantized domain (quantization is
    // monotone: quantize(clip(x)) = clamp(quantize(x), quantize(lo), ...)).
    auto quant = [&](double x) { return zp + (int64_t)std::nearbyint(x / sy); };
    if (l->act) {
      if (*l->act == nn::ActKind::relu) {
        lo = std::max(lo, zp);
      } else if (*l->act == nn::ActKind::clip) {
        if (l->alpha)
          lo = std::max(lo, quant(l->alpha->convertToDouble()));
        if (l->beta)
          hi = std::min(hi, quant(l->beta->convertToDouble()));
      } else {
        return false;
      }
    }
    if (lo > hi)
      return false;
    SmallVector<float> ws, bias;
    auto vt = rtt(v);
    int64_t axis = outputChannelDim(l->op, vt), F = vt.getDimSize(axis);
    if (ShapedType::isDynamic(F) || !readF32Constant(l->filterScale, ws) || (int64_t)ws.size() != F ||
        !readLayerBias(l->op, F, bias))
      return false;
    SmallVector<int32_t> mult(F), shift(F), biasQ(F);
    for (int64_t f = 0; f < F; ++f) {
      double accScale = double(l->inputScale) * double(ws[f]);
      quantizeMultiplier(accScale / sy, mult[f], shift[f]);
      double bq = accScale > 0 ? std::nearbyint(double(bias[f]) / accScale) : 0.0;
      biasQ[f] = (int32_t)std::clamp(bq, double(INT32_MIN), double(INT32_MAX));
    }

    OpBuilder b(l->op);
    Location loc = l->op->getLoc();
    auto accT = vt.clone(b.getI32Type());
    Operation *acc;
    if (auto c = dyn_cast<nn::QConvOp>(l->op))
      acc = nn::QConvOp::create(b, loc, accT, c.getInput(), c.getFilter(), c.getFilterScale(), Value(), Value(),
                                c.getStridesAttr(), c.getDilationsAttr(), c.getPadsAttr(), c.getGroupsAttr(),
                                c.getInputScaleAttr(), c.getInputZeroPointAttr(), c.getInputUnsignedAttr(),
                                nullptr, nullptr, nullptr);
    else {
      auto m = cast<nn::QMatmulOp>(l->op);
      acc = nn::QMatmulOp::create(b, loc, accT, m.getLhs(), m.getRhs(), m.getRhsScale(), Value(), Value(),
                                  m.getLhsScaleAttr(), m.getLhsZeroPointAttr(), m.getLhsUnsignedAttr(), nullptr,
                                  nullptr, nullptr);
    }
    auto vecT = RankedTensorType::get({F}, b.getI32Type());
    auto vec = [&](ArrayRef<int32_t> data) -> Value {
      return arith::ConstantOp::create(b, loc, vecT, DenseElementsAttr::get(vecT, data));
    };
    int32_t rm = 0, rsh = 0;
    if (rq)
      quantizeMultiplier(rp->scale / sy, rm, rsh);
    Value r = nn::RequantizeOp::create(
        b, loc, vt.clone(b.getI8Type()), acc->getResult(0), vec(biasQ), vec(mult), vec(shift),
        rq ? rq.getResult() : Value(), b.getI64IntegerAttr(axis), b.getI64IntegerAttr(zp),
        outU ? b.getUnitAttr() : UnitAttr(), b.getI64IntegerAttr(lo), b.getI64IntegerAttr(hi),
        b.getI64IntegerAttr(rq ? rp->zeroPoint : 0), b.getI64IntegerAttr(rm), b.getI64IntegerAttr(rsh),
        rq && rp->isUnsigned ? b.getUnitAttr() : UnitAttr());
    if (rq)
      ++numResiduals;
    // The commuting ops, now on bytes (closest to the layer first).
    for (Operation *o : llvm::reverse(chain)) {
      b.setInsertionPoint(o);
      IRMapping map;
      map.map(o->getOperand(0), r);
      Operation *n = b.clone(*o, map);
      n->getResult(0).setType(rtt(o->getResult(0)).clone(b.getI8Type()));
      r = n->getResult(0);
      ++numMoved;
    }
    if (toSigned)
      for (OpOperand &use : q.getResult().getUses())
        readSigned(use);
    q.getResult().replaceAllUsesWith(r);
    q.erase();
    for (Operation *o : chain)
      o->erase();
    l->op->erase();
    return true;
  }
};

} // namespace
