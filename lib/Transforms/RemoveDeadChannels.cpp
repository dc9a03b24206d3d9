//===- RemoveDeadChannels.cpp - drop channels nothing observes ------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// kiln-nn-remove-dead-channels: models pruned during training keep their
// pruned channels as exact zeros (filter rows and bias, or a BatchNorm
// scale, which kiln-nn-fold-scale-shift has folded into the filter by now).
// Such a channel holds one constant everywhere (act(bias)); where every
// layer that reads it can take that constant into its bias (or does not
// read it: zero weights), the channel is removed from the producing layer,
// from every element-wise op, pool, depthwise conv and concat on the way,
// and from the weights of the reading layers.  The channel dependency graph
// (kiln/Transforms/ChannelGroups.h) keeps residual adds consistent: a
// channel goes only where every branch of the add agrees.
//
//===----------------------------------------------------------------------===//

#include "kiln/Transforms/ChannelGroups.h"
#include "kiln/Transforms/ConstantUtils.h"
#include "kiln/Transforms/Passes.h"
#include "kiln/Transforms/Quantize.h"
#include "kiln/Transforms/Statistics.h"

#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

namespace kiln {
#define GEN_PASS_DEF_NNREMOVEDEADCHANNELS
#include "kiln/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

RankedTensorType f32Tensor(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && t.getElementType().isF32() ? t : nullptr;
}

bool allZero(ArrayRef<int64_t> a) {
  return llvm::all_of(a, [](int64_t x) { return x == 0; });
}

double sigmoidF(double x) { return 1.0 / (1.0 + std::exp(-x)); }

/// An activation applied to a constant, in f32 as the lowering computes it
/// (the transcendental ones to within rounding of the run-time polynomials).
std::optional<double> applyAct(nn::ActKind k, std::optional<float> alpha, std::optional<float> beta,
                               double x) {
  switch (k) {
  case nn::ActKind::relu: return x > 0 ? x : 0.0;
  case nn::ActKind::clip: {
    double y = x;
    if (alpha && y < *alpha)
      y = *alpha;
    if (beta && y > *beta)
      y = *beta;
    return y;
  }
  case nn::ActKind::leaky_relu: return x < 0 ? (double)(float)(alpha.value_or(0.01f) * x) : x;
  case nn::ActKind::sigmoid: return sigmoidF(x);
  case nn::ActKind::tanh: return std::tanh(x);
  case nn::ActKind::hard_sigmoid:
    return std::max(0.0, std::min(1.0, (double)alpha.value_or(0.2f) * x + beta.value_or(0.5f)));
  case nn::ActKind::hard_swish: return x * std::max(0.0, std::min(1.0, x / 6.0 + 0.5));
  case nn::ActKind::gelu: return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
  case nn::ActKind::gelu_tanh:
    return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
  case nn::ActKind::silu: return x * sigmoidF(x);
  }
  return std::nullopt;
}

std::optional<double> applyUnary(nn::UnaryOp u, double x) {
  std::optional<float> a, b;
  if (u.getAlpha())
    a = u.getAlpha()->convertToFloat();
  if (u.getBeta())
    b = u.getBeta()->convertToFloat();
  switch (u.getKind()) {
  case nn::UnaryKind::relu: return applyAct(nn::ActKind::relu, a, b, x);
  case nn::UnaryKind::sigmoid: return applyAct(nn::ActKind::sigmoid, a, b, x);
  case nn::UnaryKind::tanh: return applyAct(nn::ActKind::tanh, a, b, x);
  case nn::UnaryKind::leaky_relu: return applyAct(nn::ActKind::leaky_relu, a, b, x);
  case nn::UnaryKind::hard_sigmoid: return applyAct(nn::ActKind::hard_sigmoid, a, b, x);
  case nn::UnaryKind::hard_swish: return applyAct(nn::ActKind::hard_swish, a, b, x);
  case nn::UnaryKind::gelu: return applyAct(nn::ActKind::gelu, a, b, x);
  case nn::UnaryKind::gelu_tanh: return applyAct(nn::ActKind::gelu_tanh, a, b, x);
  case nn::UnaryKind::neg: return -x;
  case nn::UnaryKind::abs: return std::fabs(x);
  case nn::UnaryKind::erf: return std::erf(x);  // GELU as exporters write it
  case nn::UnaryKind::exp: return std::exp(x);
  case nn::UnaryKind::sqrt: return x < 0 ? std::nullopt : std::optional<double>(std::sqrt(x));
  case nn::UnaryKind::reciprocal: return x == 0 ? std::nullopt : std::optional<double>(1.0 / x);
  default: return std::nullopt;
  }
}

std::optional<double> applyBinary(nn::BinaryKind k, double x, double y) {
  switch (k) {
  case nn::BinaryKind::add: return x + y;
  case nn::BinaryKind::sub: return x - y;
  case nn::BinaryKind::mul: return x * y;
  case nn::BinaryKind::div: return y == 0 ? std::nullopt : std::optional<double>(x / y);
  case nn::BinaryKind::max: return std::max(x, y);
  case nn::BinaryKind::min: return std::min(x, y);
  default: return std::nullopt;
  }
}

/// The epilogue activation of a conv / matmul applied to x (x itself if none).
std::optional<double> layerAct(Operation *layer, double x) {
  auto actOf = [&](auto o) -> std::optional<double> {
    if (!o.getAct())
      return x;
    std::optional<float> a, b;
    if (o.getActAlpha())
      a = o.getActAlpha()->convertToFloat();
    if (o.getActBeta())
      b = o.getActBeta()->convertToFloat();
    return applyAct(*o.getAct(), a, b, x);
  };
  if (auto c = dyn_cast<nn::ConvOp>(layer))
    return actOf(c);
  return actOf(cast<nn::MatmulOp>(layer));
}

/// A float value rounded to f32 (the constants are f32 at run time).
double toF32(double x) { return (double)(float)x; }

/// Row-major strides' helpers for slicing a constant along one axis.
SmallVector<float> sliceAxis(ArrayRef<float> vals, ArrayRef<int64_t> shape, int64_t axis,
                             ArrayRef<int64_t> keep, SmallVectorImpl<int64_t> &newShape) {
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= shape[d];
  for (int64_t d = axis + 1; d < (int64_t)shape.size(); ++d)
    inner *= shape[d];
  int64_t n = shape[axis];
  SmallVector<float> out;
  out.reserve(outer * keep.size() * inner);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t c : keep)
      for (int64_t i = 0; i < inner; ++i)
        out.push_back(vals[(o * n + c) * inner + i]);
  newShape.assign(shape.begin(), shape.end());
  newShape[axis] = keep.size();
  return out;
}

/// Static conv / matmul weights: [F, C/groups, k...] or [1..., K, N].
struct LayerWeights {
  RankedTensorType type;
  SmallVector<float> w;
};

bool readWeights(Value v, LayerWeights &lw) {
  lw.type = f32Tensor(v);
  return lw.type && lw.type.hasStaticShape() && readF32Constant(v, lw.w);
}

} // namespace

//===----------------------------------------------------------------------===//
// ChannelGroups
//===----------------------------------------------------------------------===//

const ChannelGroups::ValueInfo *ChannelGroups::info(Value v) const {
  auto it = values.find(v);
  return it == values.end() ? nullptr : &it->second;
}

unsigned ChannelGroups::find(unsigned n) {
  while (parent[n] != n) {
    parent[n] = parent[parent[n]];
    n = parent[n];
  }
  return n;
}

/// Gives `v` nodes along `axis` (or checks it has them there).  A value
/// whose producer is not modelled is pinned.  False if v cannot have nodes
/// there (not f32, dynamic channels, another axis).
bool ChannelGroups::attach(Value v, int64_t axis, bool producerHandled) {
  auto it = values.find(v);
  if (it != values.end())
    return it->second.axis == axis;
  auto t = f32Tensor(v);
  if (!t || axis < 0 || axis >= t.getRank() || ShapedType::isDynamic(t.getDimSize(axis)))
    return false;
  ValueInfo vi;
  vi.axis = axis;
  vi.channels = t.getDimSize(axis);
  vi.base = nodes.size();
  for (int64_t c = 0; c < vi.channels; ++c) {
    nodes.push_back({v, c});
    parent.push_back(nodes.size() - 1);
    pinned.push_back(!producerHandled && !handledResults.count(v));
    konst.push_back(std::nullopt);
  }
  values[v] = vi;
  return true;
}

void ChannelGroups::unite(Value a, int64_t ca, Value b, int64_t cb) {
  unsigned x = find(values[a].base + ca), y = find(values[b].base + cb);
  if (x != y)
    parent[x] = y;
}

void ChannelGroups::pinValue(Value v) {
  auto it = values.find(v);
  if (it == values.end())
    return;
  for (int64_t c = 0; c < it->second.channels; ++c)
    pinned[it->second.base + c] = true;
}

/// conv (groups 1 or depthwise) and matmul with constant f32 weights.
bool ChannelGroups::visitLayer(Operation *op) {
  Value out = op->getResult(0), in = op->getOperand(0), wv = op->getOperand(1);
  auto ot = f32Tensor(out), it = f32Tensor(in);
  LayerWeights lw;
  if (!ot || !it || !readWeights(wv, lw))
    return false;
  Value bias = layerBias(op), residual;
  bool conv = isa<nn::ConvOp>(op);
  int64_t axisOut = outputChannelDim(op, ot), axisIn = conv ? 1 : it.getRank() - 1;
  if (ot.getRank() < 2 || it.getRank() < 2 || ShapedType::isDynamic(ot.getDimSize(axisOut)) ||
      ShapedType::isDynamic(it.getDimSize(axisIn)))
    return false;
  int64_t F = ot.getDimSize(axisOut), C = it.getDimSize(axisIn);
  SmallVector<float> b;
  if (!readLayerBias(op, F, b))
    return false;
  bool depthwise = false, pads = false;
  SmallVector<double> tapSum;  // depthwise: sum of the taps of each filter
  if (auto c = dyn_cast<nn::ConvOp>(op)) {
    residual = c.getResidual();
    int64_t G = c.getGroups();
    pads = !allZero(c.getPads());
    if (lw.type.getDimSize(0) != F)
      return false;
    if (G == C && C > 1 && lw.type.getDimSize(1) == 1 && F % C == 0)
      depthwise = true;
    else if (G != 1 || lw.type.getDimSize(1) != C)
      return false;
  } else {
    auto m = cast<nn::MatmulOp>(op);
    residual = m.getResidual();
    int64_t r = lw.type.getRank();
    if (r < 2 || lw.type.getDimSize(r - 2) != C || lw.type.getDimSize(r - 1) != F)
      return false;
    for (int64_t d = 0; d + 2 < r; ++d)
      if (lw.type.getDimSize(d) != 1)
        return false;
  }
  if (residual && (!f32Tensor(residual) || residual.getType() != out.getType()))
    return false;
  // Nodes: the output's are rows of the weights; the input's are columns
  // (a boundary) or, depthwise, coupled to the outputs they feed.
  if (!attach(in, axisIn, false))
    return false;
  handledResults.insert(out);
  if (!attach(out, axisOut, true) || (residual && !attach(residual, axisOut, false)))
    return false;
  int64_t per = lw.w.size() / F;
  auto rowZero = [&](int64_t f) {
    if (conv)
      return llvm::all_of(ArrayRef<float>(lw.w).slice(f * per, per), [](float x) { return x == 0; });
    for (int64_t k = 0; k < C; ++k)
      if (lw.w[k * F + f] != 0)
        return false;
    return true;
  };
  const ValueInfo &ii = values[in], &oi = values[out];
  for (int64_t f = 0; f < F; ++f) {
    std::optional<double> acc;
    if (rowZero(f)) {
      acc = (double)b[f];
    } else if (depthwise) {
      std::optional<double> k = konst[ii.base + f / (F / C)];
      if (k && (*k == 0 || !pads)) {
        double s = 0;
        for (int64_t i = 0; i < per; ++i)
          s += lw.w[f * per + i];
        acc = toF32(*k * s + b[f]);
      }
    }
    if (acc && residual) {
      std::optional<double> r = konst[values[residual].base + f];
      acc = r ? std::optional<double>(toF32(*acc + *r)) : std::nullopt;
    }
    if (acc)
      konst[oi.base + f] = layerAct(op, *acc);
    if (residual)
      unite(residual, f, out, f);
    if (depthwise)
      unite(in, f / (F / C), out, f);
  }
  handledUses.insert(&op->getOpOperand(0));
  if (residual)
    for (OpOperand &u : op->getOpOperands())
      if (u.get() == residual && u.getOperandNumber() > 1)
        handledUses.insert(&u);
  producerOps.push_back(op);
  if (!depthwise) {
    Boundary bd{op, in, std::vector<bool>(C, true), !conv || !pads};
    for (int64_t f = 0; f < F; ++f)
      for (int64_t c = 0; c < C; ++c) {
        bool nz = conv ? llvm::any_of(ArrayRef<float>(lw.w).slice(f * per + c * (per / C), per / C),
                                      [](float x) { return x != 0; })
                       : lw.w[c * F + f] != 0;
        if (nz)
          bd.zeroColumn[c] = false;
      }
    boundariesOf[in].push_back(boundaryList.size());
    boundaryList.push_back(std::move(bd));
  }
  return true;
}

/// Joins channel c of `src` (operand 0 of `op`) and of `out` for a pool or
/// reduction: a constant channel stays that constant where `keepsConstant`
/// (max, or an average over values that are all the constant), else only 0.
void ChannelGroups::passChannels(Operation *op, Value src, Value out, int64_t C, bool keepsConstant) {
  handledResults.insert(out);
  for (int64_t c = 0; c < C; ++c) {
    std::optional<double> k = konst[values[src].base + c];
    if (k && (keepsConstant || *k == 0))
      konst[values[out].base + c] = *k;
    unite(src, c, out, c);
  }
  handledUses.insert(&op->getOpOperand(0));
}

/// Ops that compute channel c of the result from channel c of their
/// operands.
bool ChannelGroups::visitElementwise(Operation *op) {
  if (op->getNumResults() != 1)
    return false;
  Value out = op->getResult(0);
  auto ot = f32Tensor(out);
  if (!ot)
    return false;
  // The channel axis comes from the first operand that has nodes.
  Value src;
  int64_t axis = -1;
  for (Value v : op->getOperands())
    if (const ValueInfo *vi = info(v)) {
      src = v;
      axis = vi->axis;
      break;
    }
  if (!src)
    return false;
  auto st = cast<RankedTensorType>(src.getType());
  int64_t C = values[src].channels;
  int64_t outAxis = axis;
  SmallVector<std::pair<Value, int64_t>> coupled;  // (value, its axis)

  auto sameRank = [&](Value v) { return cast<RankedTensorType>(v.getType()).getRank() == ot.getRank(); };
  return llvm::TypeSwitch<Operation *, bool>(op)
      .Case<nn::UnaryOp, nn::ClampOp>([&](Operation *o) {
        if (ot.getShape() != st.getShape())
          return false;
        if (!attach(out, axis, true))
          return false;
        handledResults.insert(out);
        for (int64_t c = 0; c < C; ++c) {
          std::optional<double> k = konst[values[src].base + c], r;
          if (k) {
            if (auto u = dyn_cast<nn::UnaryOp>(o))
              r = applyUnary(u, *k);
            else {
              auto cl = cast<nn::ClampOp>(o);
              double y = *k;
              if (cl.getMin() && y < cl.getMin()->convertToDouble())
                y = cl.getMin()->convertToDouble();
              if (cl.getMax() && y > cl.getMax()->convertToDouble())
                y = cl.getMax()->convertToDouble();
              r = y;
            }
          }
          if (r)
            konst[values[out].base + c] = toF32(*r);
          unite(src, c, out, c);
        }
        handledUses.insert(&o->getOpOperand(0));
        return true;
      })
      .Case<nn::BinaryOp>([&](nn::BinaryOp b) {
        if (!sameRank(b.getLhs()) || !sameRank(b.getRhs()) || ot.getDimSize(axis) != C)
          return false;
        // Each operand: nodes (dim C at the axis, not a constant), a
        // constant (sliced per channel), or broadcast along the axis.
        struct Side { Value v; bool nodes = false; SmallVector<float> vals; RankedTensorType t; };
        Side sides[2];
        for (int s = 0; s < 2; ++s) {
          Side &sd = sides[s];
          sd.v = s == 0 ? b.getLhs() : b.getRhs();
          sd.t = cast<RankedTensorType>(sd.v.getType());
          bool isConst = sd.t.hasStaticShape() && f32Tensor(sd.v) && readF32Constant(sd.v, sd.vals);
          if (!isConst) {
            if (sd.t.getDimSize(axis) == C) {
              if (!attach(sd.v, axis, false))
                return false;
              sd.nodes = true;
            } else if (sd.t.getDimSize(axis) != 1) {
              return false;
            }
          } else if (sd.t.getDimSize(axis) != C && sd.t.getDimSize(axis) != 1) {
            return false;
          }
        }
        if (!attach(out, axis, true))
          return false;
        handledResults.insert(out);
        // The value of side s at channel c if it is one constant there.
        auto sideConst = [&](Side &sd, int64_t c) -> std::optional<double> {
          if (sd.nodes)
            return konst[values[sd.v].base + c];
          if (sd.vals.empty())
            return std::nullopt;  // a broadcast non-constant
          SmallVector<int64_t> keep{sd.t.getDimSize(axis) == 1 ? 0 : c}, ns;
          SmallVector<float> sl = sliceAxis(sd.vals, sd.t.getShape(), axis, keep, ns);
          if (!llvm::all_equal(sl))
            return std::nullopt;
          return (double)sl[0];
        };
        for (int64_t c = 0; c < C; ++c) {
          std::optional<double> x = sideConst(sides[0], c), y = sideConst(sides[1], c), r;
          if (x && y)
            r = applyBinary(b.getKind(), *x, *y);
          if (r)
            konst[values[out].base + c] = toF32(*r);
          for (Side &sd : sides)
            if (sd.nodes)
              unite(sd.v, c, out, c);
        }
        for (int s = 0; s < 2; ++s)
          if (sides[s].nodes)
            handledUses.insert(&b->getOpOperand(s));
        return true;
      })
      .Case<nn::PoolOp>([&](nn::PoolOp p) {
        if (axis != 1 || ot.getDimSize(1) != C || !attach(out, 1, true))
          return false;
        passChannels(p, src, out, C, p.getKind() == nn::PoolKind::max || !p.getCountIncludePad() ||
                                         allZero(p.getExplicitPads()));
        return true;
      })
      .Case<nn::ReduceOp>([&](nn::ReduceOp r) {
        int64_t shift = 0;
        for (int64_t a : r.getAxes()) {
          int64_t aa = a < 0 ? a + st.getRank() : a;
          if (aa == axis)
            return false;
          if (aa < axis && !r.getKeepdims())
            ++shift;
        }
        outAxis = axis - shift;
        if (outAxis >= ot.getRank() || ot.getDimSize(outAxis) != C || !attach(out, outAxis, true))
          return false;
        passChannels(r, src, out, C, r.getKind() == nn::ReduceKind::mean || r.getKind() == nn::ReduceKind::max ||
                                         r.getKind() == nn::ReduceKind::min);
        return true;
      })
      .Case<nn::ReshapeOp>([&](nn::ReshapeOp r) {
        // Flatten: [d0.., C, s...] -> [d0.., C * prod(s)] with the leading
        // dims unchanged; channel c becomes the block [c * S, (c + 1) * S).
        if (r.getShape() || st.getRank() < 1)
          return false;
        int64_t S = 1;
        for (int64_t d = axis + 1; d < st.getRank(); ++d) {
          if (ShapedType::isDynamic(st.getDimSize(d)))
            return false;
          S *= st.getDimSize(d);
        }
        if (ot.getRank() != axis + 1 || ot.getDimSize(axis) != C * S)
          return false;
        for (int64_t d = 0; d < axis; ++d)
          if (ot.getDimSize(d) != st.getDimSize(d))
            return false;
        if (!attach(out, axis, true))
          return false;
        handledResults.insert(out);
        for (int64_t c = 0; c < C; ++c)
          for (int64_t i = 0; i < S; ++i) {
            std::optional<double> k = konst[values[src].base + c];
            konst[values[out].base + c * S + i] = k;
            unite(src, c, out, c * S + i);
          }
        handledUses.insert(&r->getOpOperand(0));
        return true;
      })
      .Case<nn::ConcatOp>([&](nn::ConcatOp cc) {
        // Along the channel axis: input i's channel c is the result's
        // channel offset_i + c.  Along another axis: channel c of every
        // input is the result's channel c.
        int64_t ax = cc.getAxis() < 0 ? cc.getAxis() + ot.getRank() : cc.getAxis();
        SmallVector<Value> ins(cc.getInputs());
        for (Value v : ins)
          if (!attach(v, axis, false))
            return false;
        if (!attach(out, axis, true))
          return false;
        handledResults.insert(out);
        int64_t off = 0;
        for (auto [idx, v] : llvm::enumerate(ins)) {
          int64_t n = values[v].channels;
          for (int64_t c = 0; c < n; ++c) {
            int64_t oc = ax == axis ? off + c : c;
            if (oc >= values[out].channels)
              return false;
            std::optional<double> k = konst[values[v].base + c];
            unsigned on = values[out].base + oc;
            if (ax == axis || idx == 0)
              konst[on] = k;
            else if (konst[on] != k)
              konst[on] = std::nullopt;
            unite(v, c, out, oc);
          }
          if (ax == axis)
            off += n;
        }
        if (ax == axis && off != values[out].channels)
          return false;
        for (OpOperand &u : cc->getOpOperands())
          handledUses.insert(&u);
        return true;
      })
      .Default([](Operation *) { return false; });
}

void ChannelGroups::visit(Operation *op) {
  bool ok = false;
  if (isa<nn::ConvOp, nn::MatmulOp>(op))
    ok = visitLayer(op);
  else if (isa<nn::UnaryOp, nn::ClampOp, nn::BinaryOp, nn::PoolOp, nn::ReduceOp, nn::ReshapeOp,
               nn::ConcatOp>(op))
    ok = visitElementwise(op);
  if (ok)
    return;
  // Not modelled: its operands' and results' shapes stay.
  for (Value v : op->getOperands())
    pinValue(v);
  for (Value v : op->getResults()) {
    handledResults.erase(v);
    pinValue(v);
  }
}

ChannelGroups::ChannelGroups(func::FuncOp f) : func(f) {
  if (f.getBody().empty())
    return;
  for (Operation &op : f.getBody().front())
    visit(&op);
  // Every use that no visit modelled pins the value.
  for (auto &[v, vi] : values) {
    for (OpOperand &u : v.getUses())
      if (!handledUses.count(&u))
        pinValue(v);
    if (isa<BlockArgument>(v) || !handledResults.count(v))
      pinValue(v);
  }
}

void ChannelGroups::finalize() {
  if (finalized)
    return;
  finalized = true;
  for (unsigned n = 0; n < nodes.size(); ++n) {
    unsigned r = find(n);
    memberLists[r].push_back(n);
    if (pinned[n])
      pinned[r] = true;
  }
}

unsigned ChannelGroups::group(unsigned node) { return find(node); }

SmallVector<unsigned> ChannelGroups::groups() {
  finalize();
  SmallVector<unsigned> g;
  for (unsigned n = 0; n < nodes.size(); ++n)
    if (find(n) == n)
      g.push_back(n);
  return g;
}

const std::vector<unsigned> &ChannelGroups::members(unsigned g) {
  finalize();
  return memberLists[find(g)];
}

bool ChannelGroups::isPinned(unsigned g) {
  finalize();
  return pinned[find(g)];
}

bool ChannelGroups::isUnobserved(unsigned g) {
  if (isPinned(g))
    return false;
  for (unsigned n : members(g)) {
    auto [v, c] = nodes[n];
    auto it = boundariesOf.find(v);
    if (it == boundariesOf.end())
      continue;
    for (unsigned bi : it->second) {
      const Boundary &bd = boundaryList[bi];
      if (bd.zeroColumn[c])
        continue;
      std::optional<double> k = konst[n];
      if (!k || !std::isfinite(*k) || (*k != 0 && !bd.absorbsConstants))
        return false;
    }
  }
  return true;
}

int64_t ChannelGroups::remove(ArrayRef<unsigned> removedGroups, int64_t &numGroups) {
  finalize();
  DenseSet<unsigned> gone;
  for (unsigned g : removedGroups)
    gone.insert(find(g));
  // Keep a group where it would take a value's last channel.
  for (bool changed = true; changed;) {
    changed = false;
    for (auto &[v, vi] : values) {
      bool any = false;
      for (int64_t c = 0; c < vi.channels && !any; ++c)
        any = !gone.count(find(vi.base + c));
      if (!any && vi.channels > 0) {
        gone.erase(find(vi.base));
        changed = true;
      }
    }
  }
  numGroups = gone.size();
  if (gone.empty())
    return 0;
  auto keptOf = [&](Value v) {
    SmallVector<int64_t> keep;
    const ValueInfo &vi = values[v];
    for (int64_t c = 0; c < vi.channels; ++c)
      if (!gone.count(find(vi.base + c)))
        keep.push_back(c);
    return keep;
  };
  auto shrunk = [&](Value v) {
    const ValueInfo *vi = info(v);
    return vi && (int64_t)keptOf(v).size() != vi->channels;
  };
  auto newType = [&](Value v) {
    auto t = cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> shape(t.getShape());
    const ValueInfo &vi = values[v];
    shape[vi.axis] = keptOf(v).size();
    return RankedTensorType::get(shape, t.getElementType());
  };

  int64_t removedOut = 0;
  OpBuilder b(func.getContext());
  SmallVector<Operation *> ops;
  for (Operation &op : func.getBody().front())
    ops.push_back(&op);
  // Result types are set after all operands of an op are sliced; walking in
  // order, an op's operands are final when it is reached.
  for (Operation *op : ops) {
    bool touched = llvm::any_of(op->getOperands(), shrunk) || llvm::any_of(op->getResults(), shrunk);
    if (!touched)
      continue;
    b.setInsertionPoint(op);
    Location loc = op->getLoc();
    if (isa<nn::ConvOp, nn::MatmulOp>(op)) {
      bool conv = isa<nn::ConvOp>(op);
      Value in = op->getOperand(0), out = op->getResult(0);
      LayerWeights lw;
      (void)readWeights(op->getOperand(1), lw);
      auto ot = cast<RankedTensorType>(out.getType());
      int64_t F = ot.getDimSize(conv ? 1 : ot.getRank() - 1);
      SmallVector<float> bias;
      (void)readLayerBias(op, F, bias);
      bool hadBias = (bool)layerBias(op);
      SmallVector<int64_t> keepOut = keptOf(out), keepIn = keptOf(in);
      SmallVector<float> w = lw.w;
      SmallVector<int64_t> shape(lw.type.getShape());
      auto dw = dyn_cast<nn::ConvOp>(op);
      bool depthwise = dw && dw.getGroups() != 1;
      bool biasChanged = false;
      if (!depthwise && shrunk(in)) {
        // Removed input channels: their constant (0 unless the layer
        // absorbs constants) times their weights goes into the bias.
        const ValueInfo &ii = values[in];
        DenseSet<int64_t> kept(keepIn.begin(), keepIn.end());
        int64_t C = ii.channels, r = shape.size();
        for (int64_t c = 0; c < C; ++c) {
          if (kept.count(c))
            continue;
          double k = konst[ii.base + c].value_or(0.0);
          if (k == 0)
            continue;
          for (int64_t f = 0; f < F; ++f) {
            double s = 0;
            if (conv) {
              int64_t per = w.size() / (F * C);
              for (int64_t i = 0; i < per; ++i)
                s += w[(f * C + c) * per + i];
            } else {
              s = w[c * F + f];
            }
            bias[f] = (float)(bias[f] + k * s);
            biasChanged = true;
          }
        }
        SmallVector<int64_t> ns;
        w = sliceAxis(w, shape, conv ? 1 : r - 2, keepIn, ns);
        shape = ns;
      }
      if (shrunk(out)) {
        SmallVector<int64_t> ns;
        w = sliceAxis(w, shape, conv ? 0 : shape.size() - 1, keepOut, ns);
        shape = ns;
        SmallVector<float> nb;
        for (int64_t f : keepOut)
          nb.push_back(bias[f]);
        bias = nb;
        removedOut += F - keepOut.size();
      }
      auto wt = RankedTensorType::get(shape, b.getF32Type());
      Value nw = conv ? makeF32Constant(b, loc, wt, w, "kiln_pruned_weight")
                      : makeF32MatmulWeight(b, loc, wt, w, "kiln_pruned_weight");
      op->setOperand(1, nw);
      if (hadBias || biasChanged) {
        Value nb = makeF32Constant(b, loc, RankedTensorType::get({(int64_t)bias.size()}, b.getF32Type()),
                                   bias, "kiln_pruned_bias");
        llvm::TypeSwitch<Operation *>(op).Case<nn::ConvOp, nn::MatmulOp>(
            [&](auto o) { o.getBiasMutable().assign(nb); });
      }
      if (depthwise)
        dw.setGroups((int64_t)keepIn.size());
      if (shrunk(out))
        out.setType(newType(out));
      continue;
    }
    if (auto bin = dyn_cast<nn::BinaryOp>(op)) {
      // Constant operands with the channels: sliced.
      const ValueInfo *oi = info(bin.getResult());
      SmallVector<int64_t> keep = keptOf(bin.getResult());
      for (OpOperand &u : bin->getOpOperands()) {
        auto t = cast<RankedTensorType>(u.get().getType());
        SmallVector<float> vals;
        if (!oi || shrunk(u.get()) || t.getDimSize(oi->axis) != oi->channels || oi->channels == 1 ||
            !readF32Constant(u.get(), vals))
          continue;
        SmallVector<int64_t> shape;
        SmallVector<float> sl = sliceAxis(vals, t.getShape(), oi->axis, keep, shape);
        u.set(makeF32Constant(b, loc, RankedTensorType::get(shape, b.getF32Type()), sl,
                              "kiln_pruned_constant"));
      }
    }
    for (Value r : op->getResults())
      if (shrunk(r))
        r.setType(newType(r));
  }
  eraseDeadConstants(func);
  return removedOut;
}

int64_t kiln::countLayerMacs(func::FuncOp func) {
  int64_t total = 0;
  func.walk([&](Operation *op) { total += quant::layerMacs(op); });
  return total;
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

namespace {
struct NNRemoveDeadChannelsPass : kiln::impl::NNRemoveDeadChannelsBase<NNRemoveDeadChannelsPass> {
  void runOnOperation() override {
    auto &numChannels = passStatistic(getArgument(), "channels-removed",
                                      "Output channels of convolutions and matmuls removed");
    auto &numGroups = passStatistic(getArgument(), "groups-removed",
                                    "Channel groups (a channel and everything computed from it) removed");
    auto &numMacs = passStatistic(getArgument(), "macs-removed",
                                  "Multiply-accumulates removed (dynamic dims counted as 1)");
    func::FuncOp f = getOperation();
    int64_t before = countLayerMacs(f);
    ChannelGroups cg(f);
    SmallVector<unsigned> dead;
    for (unsigned g : cg.groups())
      if (cg.isUnobserved(g))
        dead.push_back(g);
    if (dead.empty())
      return;
    int64_t groups = 0;
    numChannels += cg.remove(dead, groups);
    numGroups += groups;
    numMacs += std::max<int64_t>(0, before - countLayerMacs(f));
  }
};
} // namespace
