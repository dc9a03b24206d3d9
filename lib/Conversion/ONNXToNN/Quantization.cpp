//===- Quantization.cpp - onnx -> nn: quantization ------------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// QuantizeLinear / DequantizeLinear / DynamicQuantizeLinear, and the integer
// ops MatMulInteger, ConvInteger, QLinearMatMul, QLinearConv (int32
// accumulation after zero-point subtraction, then requantization).
// QLinearConv and QLinearMatMul with constant weights and per-tensor input
// quantization become nn.qconv / nn.qmatmul (the int8 kernels of
// docs/quantization.md) followed by nn.quantize of the f32 result.  So do
// Conv, MatMul and Gemm between DequantizeLinear nodes (QDQ models, as ONNX
// Runtime's quantizer and torch's exporter write them): the layer reads the
// quantized tensor and the weights' int8 values, and the f32 result is what
// the float op computes on the dequantized operands.
//
//===----------------------------------------------------------------------===//

#include "Common.h"
#include "kiln/Transforms/ConstantUtils.h"
#include "kiln/Transforms/Quantize.h"

#include <cmath>

using namespace mlir;

namespace kiln::onnx_to_nn {
namespace {

using kiln::makeF32Constant;
using kiln::makeI8Constant;

bool quantUnsigned(std::optional<ArrayAttr> dts, unsigned i) {
  // Unknown signedness (0) defaults to uint8, ONNX's default quantized type.
  if (!dts || i >= dts->size())
    return true;
  int64_t t = cast<IntegerAttr>((*dts)[i]).getInt();
  return t == 0 || isUnsignedONNXCode(t);
}

struct QuantizationLowering : Lowering {
  using Lowering::Lowering;

  Value quantParam(Value p, RankedTensorType x, int64_t axis);
  Value toI32(Value v, bool isUnsigned);
  LoweringResult quantIntegerMatmul(Value A, Value B, Value azp, Value bzp, bool ua, bool ub,
                                    RankedTensorType res);
  FailureOr<Value> quantIntegerConv(Operation *o, Value x, Value w, Value xzp, Value wzp, bool ux,
                                    bool uw, RankedTensorType res);

  Value f32like(Value v, Type et) { return castElem(b, loc, v, et); }
  UnitAttr unitIf(bool c) { return c ? b.getUnitAttr() : UnitAttr(); }
  static int64_t normAxis(int64_t a, int64_t r) { return a < 0 ? a + r : a; }

  // Requantizes an int32 accumulator: quantize(float(acc) * s1 * s2, ys, yzp).
  Value requant(Value acc, Value s1, Value s2, Value ys, Value yzp, bool uy) {
    auto at = rtt(acc);
    auto ft = at.clone(b.getF32Type());
    Value f = nn::CastOp::create(b, loc, ft, acc, false, false);
    auto mulT = [&](Value p, Value q) {
      auto pt = rtt(p), qt = rtt(q);
      SmallVector<int64_t> shape;
      for (int64_t i = 0; i < pt.getRank(); ++i)
        shape.push_back(pt.getDimSize(i) == 1 ? qt.getDimSize(i) : pt.getDimSize(i));
      return binary(b, loc, nn::BinaryKind::mul, p, q, RankedTensorType::get(shape, b.getF32Type()));
    };
    Value m = mulT(f32like(s1, b.getF32Type()), f32like(s2, b.getF32Type()));
    f = binary(b, loc, nn::BinaryKind::mul, f, m, ft);
    return nn::QuantizeOp::create(b, loc, at.clone(b.getI8Type()), f,
                                  quantParam(f32like(ys, b.getF32Type()), at, 0),
                                  quantParam(yzp, at, 0), unitIf(uy));
  }

  LoweringResult lowerQuantizeLinear(ox::QuantizeLinearOp q) {
    auto x = rtt(q.getX());
    int64_t axis = normAxis(q.getAxis(), x.getRank());
    // `saturate` only matters for float8 outputs, which are rejected.
    Value s = quantParam(f32like(q.getYScale(), x.getElementType()), x, axis);
    Value zp = isNone(q.getYZeroPoint()) ? Value() : quantParam(q.getYZeroPoint(), x, axis);
    return one(nn::QuantizeOp::create(b, loc, resType(), q.getX(), s, zp,
                                      unitIf(q.getOutputDtype() == 2)));
  }
  LoweringResult lowerDequantizeLinear(ox::DequantizeLinearOp d) {
    auto x = rtt(d.getX());
    int64_t axis = normAxis(d.getAxis(), x.getRank());
    bool u = !x.getElementType().isInteger(32) && quantUnsigned(d.getInputDtypes(), 0);
    Value s = quantParam(d.getXScale(), x, axis);
    Value zp = isNone(d.getXZeroPoint()) ? Value() : quantParam(d.getXZeroPoint(), x, axis);
    return one(nn::DequantizeOp::create(b, loc, resType(), d.getX(), s, zp, unitIf(u)));
  }
  LoweringResult lowerDynamicQuantizeLinear(ox::DynamicQuantizeLinearOp dq) {
    auto x = rtt(dq.getX());
    auto f0 = RankedTensorType::get({}, x.getElementType());
    auto i0 = RankedTensorType::get({}, b.getI8Type());
    SmallVector<int64_t> axes;
    for (int64_t i = 0; i < x.getRank(); ++i) axes.push_back(i);
    auto red = [&](nn::ReduceKind k) {
      return nn::ReduceOp::create(b, loc, f0, dq.getX(), nn::ReduceKindAttr::get(b.getContext(), k),
                                  b.getDenseI64ArrayAttr(axes), b.getBoolAttr(false)).getResult();
    };
    Value mx = nn::ClampOp::create(b, loc, f0, red(nn::ReduceKind::max), b.getF64FloatAttr(0), FloatAttr());
    Value mn = nn::ClampOp::create(b, loc, f0, red(nn::ReduceKind::min), FloatAttr(), b.getF64FloatAttr(0));
    Value range = nn::BinaryOp::create(b, loc, f0, mx, mn, nn::BinaryKind::sub);
    Value scale = nn::BinaryOp::create(b, loc, f0, range, constTensor(b, loc, f0, {255.0}),
                                       nn::BinaryKind::div);
    Value negMin = unary(b, loc, nn::UnaryKind::neg, mn);
    Value zp = nn::QuantizeOp::create(b, loc, i0, negMin, scale, Value(), b.getUnitAttr());
    Value y = nn::QuantizeOp::create(b, loc, resType(0), dq.getX(), toRank(b, loc, scale, x.getRank()),
                                     toRank(b, loc, zp, x.getRank()), b.getUnitAttr());
    return SmallVector<Value>{y, scale, zp};
  }
  LoweringResult lowerMatMulInteger(ox::MatMulIntegerOp m) {
    auto dts = m.getInputDtypes();
    return quantIntegerMatmul(m.getA(), m.getB(), m.getAZeroPoint(), m.getBZeroPoint(),
                              quantUnsigned(dts, 0), quantUnsigned(dts, 1), resType());
  }
  LoweringResult lowerConvInteger(ox::ConvIntegerOp c) {
    auto dts = c.getInputDtypes();
    auto r = quantIntegerConv(op, c.getX(), c.getW(), c.getXZeroPoint(), c.getWZeroPoint(),
                              quantUnsigned(dts, 0), quantUnsigned(dts, 1), resType());
    if (failed(r))
      return failure();
    return one(*r);
  }
  /// One constant scalar (a per-tensor scale or zero point; none = 0).
  bool scalarFloat(Value v, double &out) {
    SmallVector<double> vals;
    if (!readFloats(v, vals) || vals.size() != 1)
      return false;
    out = vals[0];
    return true;
  }
  bool scalarInt(Value v, bool isUnsigned, int64_t &out) {
    if (isNone(v)) {
      out = 0;
      return true;
    }
    SmallVector<int64_t> vals;
    if (!ox::getConstantIntValues(v, vals) || vals.size() != 1)
      return false;
    out = isUnsigned ? (vals[0] & 0xFF) : vals[0];
    return true;
  }
  /// Constant 8-bit weights minus their zero point (per tensor, or per
  /// output channel: element i belongs to channel chanOf(i) of F), as int8;
  /// false where a value does not fit int8 or anything is not constant.
  template <typename ChanOf>
  bool int8Weights(Value w, Value zp, bool isUnsigned, int64_t F, ChanOf chanOf, SmallVectorImpl<int8_t> &out) {
    SmallVector<int64_t> vals, zps;
    if (!ox::getConstantIntValues(w, vals) || (int64_t)vals.size() != rtt(w).getNumElements())
      return false;
    if (!isNone(zp) && (!ox::getConstantIntValues(zp, zps) || (zps.size() != 1 && (int64_t)zps.size() != F)))
      return false;
    for (size_t i = 0; i < vals.size(); ++i) {
      int64_t v = isUnsigned ? (vals[i] & 0xFF) : vals[i];
      int64_t z = zps.empty() ? 0 : (isUnsigned ? (zps[zps.size() == 1 ? 0 : chanOf(i)] & 0xFF) : zps[zps.size() == 1 ? 0 : chanOf(i)]);
      if (v - z < -128 || v - z > 127)
        return false;
      out.push_back(int8_t(v - z));
    }
    return true;
  }
  /// Per-channel float scales (one value broadcast to F).
  bool channelScales(Value s, int64_t F, SmallVectorImpl<float> &out) {
    SmallVector<double> vals;
    if (!readFloats(s, vals) || (vals.size() != 1 && (int64_t)vals.size() != F))
      return false;
    for (int64_t f = 0; f < F; ++f)
      out.push_back(float(vals[vals.size() == 1 ? 0 : f]));
    return true;
  }
  /// nn.quantize of the f32 `y` to the QLinear op's output (y_scale,
  /// y_zero_point scalars).
  Value requantizeOutput(Value y, Value ys, Value yzp, bool uy) {
    auto yt = rtt(y);
    Value s = quantParam(f32like(ys, b.getF32Type()), yt, 0);
    Value z = quantParam(yzp, yt, 0);
    return nn::QuantizeOp::create(b, loc, resType(), y, s, z, unitIf(uy));
  }

  /// A quantized activation: 8-bit `q` with its per-tensor scale and zero
  /// point (constants), unsigned (uint8) or int8.
  struct QuantInput {
    Value q;
    double scale = 0;
    int64_t zeroPoint = 0;
    bool isUnsigned = false;
  };
  /// nn.qmatmul (the CPU's int8 kernel) of `in` [..., M, K] and the int8
  /// weights [K, N] with N scales (constants named `name`_weights,
  /// `name`_weight_scales); `bias` (may be null) f32 [N]; result `rt`.
  Value qmatmulOnKernel(const QuantInput &in, ArrayRef<int64_t> wshape, ArrayRef<int8_t> wq, ArrayRef<float> ws,
                        Value bias, RankedTensorType rt, StringRef name) {
    int64_t N = wshape[1];
    Value w = makeI8Constant(b, loc, RankedTensorType::get(wshape, b.getI8Type()), wq, (name + "_weights").str());
    Value sc = makeF32Constant(b, loc, RankedTensorType::get({N}, b.getF32Type()), ws,
                               (name + "_weight_scales").str());
    return nn::QMatmulOp::create(b, loc, rt, in.q, w, sc, bias, Value(), b.getF32FloatAttr(in.scale),
                                 b.getI64IntegerAttr(in.zeroPoint), unitIf(in.isUnsigned), nullptr, nullptr,
                                 nullptr);
  }
  /// nn.qconv likewise: the int8 filter of shape `wshape` with F scales
  /// (`name`_filter, `name`_filter_scales), the geometry of convGeometry.
  Value qconvOnKernel(const QuantInput &in, ArrayRef<int64_t> wshape, ArrayRef<int8_t> wq, ArrayRef<float> ws,
                      Value bias, ArrayRef<int64_t> strides, ArrayRef<int64_t> dil, ArrayRef<int64_t> pads,
                      int64_t group, RankedTensorType rt, StringRef name) {
    int64_t F = wshape[0];
    Value w = makeI8Constant(b, loc, RankedTensorType::get(wshape, b.getI8Type()), wq, (name + "_filter").str());
    Value sc = makeF32Constant(b, loc, RankedTensorType::get({F}, b.getF32Type()), ws,
                               (name + "_filter_scales").str());
    return nn::QConvOp::create(b, loc, rt, in.q, w, sc, bias, Value(), b.getDenseI64ArrayAttr(strides),
                               b.getDenseI64ArrayAttr(dil), b.getDenseI64ArrayAttr(pads),
                               b.getI64IntegerAttr(group), b.getF32FloatAttr(in.scale),
                               b.getI64IntegerAttr(in.zeroPoint), unitIf(in.isUnsigned), nullptr, nullptr,
                               nullptr);
  }

  /// A convolution node's geometry (convGeometry, quiet: the float
  /// lowering reports its errors) and group count, for nn.qconv.
  bool kernelConvGeometry(Operation *o, RankedTensorType xt, RankedTensorType wt, SmallVector<int64_t> &strides,
                          SmallVector<int64_t> &dil, SmallVector<int64_t> &pads, int64_t &group) {
    if (failed(convGeometry(o, xt, wt, strides, dil, pads, /*report=*/false)))
      return false;
    IntegerAttr groupAttr = o->getAttrOfType<IntegerAttr>("group");
    group = groupAttr ? groupAttr.getInt() : 1;
    return group >= 1 && wt.getDimSize(0) % group == 0;
  }
  /// The per-tensor zero point `zp` of an integer op's 8-bit input: a
  /// constant goes to `in.zeroPoint`, a run-time one (DynamicQuantizeLinear's)
  /// to `runtime` (in.zeroPoint 0).  False if it is not one value.
  bool inputZeroPoint(Value zp, bool isUnsigned, QuantInput &in, Value &runtime) {
    if (isNone(zp))
      return true;
    auto zt = rtt(zp);
    if (!zt.hasStaticShape() || zt.getNumElements() != 1)
      return false;
    if (!scalarInt(zp, isUnsigned, in.zeroPoint)) {
      in.zeroPoint = 0;
      runtime = zp;
    }
    return true;
  }
  /// acc - zp * wsum, the run-time zero point `zp`'s term: wsum[c] sums
  /// the weights `wq` of output channel c < `channels` (element i is
  /// channel chanOf(i)), along dim `chanDim` of `acc`, whose type is `res`;
  /// `x`: the input, for the zero point's shape.
  Value subtractZeroPointTerm(Value acc, Value zp, bool isUnsigned, Value x, ArrayRef<int8_t> wq, int64_t channels,
                              function_ref<int64_t(size_t)> chanOf, int64_t chanDim, RankedTensorType res) {
    SmallVector<int32_t> wsum(channels, 0);
    for (size_t i = 0; i < wq.size(); ++i)
      wsum[chanOf(i)] += wq[i];
    SmallVector<int64_t> shape(res.getRank(), 1);
    shape[chanDim] = wsum.size();
    auto wsT = RankedTensorType::get(shape, b.getI32Type());
    Value ws = arith::ConstantOp::create(b, loc, wsT, DenseElementsAttr::get(wsT, ArrayRef<int32_t>(wsum)));
    Value term = binary(b, loc, nn::BinaryKind::mul, quantParam(toI32(zp, isUnsigned), rtt(x), 0), ws, wsT);
    return binary(b, loc, nn::BinaryKind::sub, acc, term, res);
  }

  /// MatMulInteger with constant 2-D weights (their zero point, per tensor
  /// or per column, folded into them where the difference fits int8) and
  /// an 8-bit A with a per-tensor zero point: the exact int32 accumulators
  /// on the int8 kernels (nn.qmatmul with an i32 result).  A constant zero
  /// point is the op's attribute; a run-time one (DynamicQuantizeLinear's,
  /// as ONNX Runtime's dynamic quantization writes it) is subtracted after,
  /// as zp * sum_k w[k, n].  Null when it does not apply.
  Value integerMatmulOnKernel(Value A, Value B, Value azp, Value bzp, bool ua, bool ub, RankedTensorType res) {
    auto at = rtt(A), bt = rtt(B);
    if (!at.getElementType().isInteger(8) || bt.getRank() != 2 || !bt.hasStaticShape() || at.getRank() < 2 ||
        res.getRank() != at.getRank())
      return Value();
    int64_t K = bt.getDimSize(0), N = bt.getDimSize(1);
    auto column = [&](size_t i) { return int64_t(i) % N; };
    SmallVector<int8_t> wq;
    if (!int8Weights(B, bzp, ub, N, column, wq))
      return Value();
    QuantInput in{A, 1.0, 0, ua};
    Value runtimeZp;
    if (!inputZeroPoint(azp, ua, in, runtimeZp))
      return Value();
    auto rt = res.clone(b.getI32Type());
    Value acc = qmatmulOnKernel(in, {K, N}, wq, SmallVector<float>(N, 1.f), Value(), rt, "matmul_integer");
    if (!runtimeZp)
      return acc;
    return subtractZeroPointTerm(acc, runtimeZp, ua, A, wq, N, column, rt.getRank() - 1, rt);
  }

  /// ConvInteger likewise (nn.qconv with an i32 result): constant 8-bit
  /// weights (their zero point, per tensor or per output channel, folded
  /// in), static channels, kernel and output spatial dims, an 8-bit X with
  /// a per-tensor zero point.  The padding holds a constant zero point; a
  /// run-time one (subtracted after, as zp * sum w[f]) only without
  /// padding, where every tap reads the input.  Null when it does not apply.
  Value integerConvOnKernel(Operation *o, Value X, Value W, Value xzp, Value wzp, bool ux, bool uw,
                            RankedTensorType res) {
    auto xt = rtt(X), wt = rtt(W);
    if (!xt.getElementType().isInteger(8) || !wt.hasStaticShape() ||
        llvm::any_of(res.getShape().drop_front(), ShapedType::isDynamic))
      return Value();
    int64_t F = wt.getDimSize(0), per = wt.getNumElements() / F;
    auto filter = [&](size_t i) { return int64_t(i) / per; };
    SmallVector<int8_t> wq;
    if (!int8Weights(W, wzp, uw, F, filter, wq))
      return Value();
    SmallVector<int64_t> strides, dil, pads;
    int64_t group;
    if (!kernelConvGeometry(o, xt, wt, strides, dil, pads, group))
      return Value();
    QuantInput in{X, 1.0, 0, ux};
    Value runtimeZp;
    if (!inputZeroPoint(xzp, ux, in, runtimeZp) ||
        (runtimeZp && llvm::any_of(pads, [](int64_t p) { return p != 0; })))
      return Value();
    Type i32 = b.getI32Type();
    Value acc = qconvOnKernel(in, wt.getShape(), wq, SmallVector<float>(F, 1.f), Value(), strides, dil, pads, group,
                              res.clone(i32), "conv_integer");
    if (!runtimeZp)
      return acc;
    return subtractZeroPointTerm(acc, runtimeZp, ux, X, wq, F, filter, 1, res.clone(i32));
  }

  /// QLinearMatMul with constant per-tensor input quantization and a
  /// constant 2-D weight: nn.qmatmul (the CPU's int8 kernel) and a
  /// quantization of its f32 result; null when it does not apply.
  Value qlinearMatMulOnKernel(ox::QLinearMatMulOp m, bool ua, bool ub, bool uy) {
    auto at = rtt(m.getA()), bt = rtt(m.getB());
    QuantInput in{m.getA(), 0, 0, ua};
    if (at.getRank() < 2 || bt.getRank() != 2 || !bt.hasStaticShape() || !scalarFloat(m.getAScale(), in.scale) ||
        !(in.scale > 0) || !scalarInt(m.getAZeroPoint(), ua, in.zeroPoint))
      return Value();
    int64_t N = bt.getDimSize(1);
    SmallVector<int8_t> wq;
    SmallVector<float> ws;
    if (!int8Weights(m.getB(), m.getBZeroPoint(), ub, N, [&](size_t i) { return int64_t(i) % N; }, wq) ||
        !channelScales(m.getBScale(), N, ws))
      return Value();
    if (rtt(m.getYScale()).getNumElements() != 1 || rtt(m.getYZeroPoint()).getNumElements() != 1)
      return Value();
    Value y = qmatmulOnKernel(in, bt.getShape(), wq, ws, Value(), resType().clone(b.getF32Type()), "qlinear");
    return requantizeOutput(y, m.getYScale(), m.getYZeroPoint(), uy);
  }

  /// QLinearConv likewise: nn.qconv with the int32 bias as a float bias
  /// (bias * x_scale * w_scale[f]); needs static channels, kernel and output
  /// spatial dims.
  Value qlinearConvOnKernel(ox::QLinearConvOp c, bool ux, bool uw, bool uy) {
    auto xt = rtt(c.getX()), wt = rtt(c.getW());
    auto res = resType();
    QuantInput in{c.getX(), 0, 0, ux};
    if (!wt.hasStaticShape() || llvm::any_of(res.getShape().drop_front(), ShapedType::isDynamic) ||
        !scalarFloat(c.getXScale(), in.scale) || !(in.scale > 0) || !scalarInt(c.getXZeroPoint(), ux, in.zeroPoint))
      return Value();
    int64_t F = wt.getDimSize(0), per = wt.getNumElements() / F;
    SmallVector<int8_t> wq;
    SmallVector<float> ws;
    if (!int8Weights(c.getW(), c.getWZeroPoint(), uw, F, [&](size_t i) { return int64_t(i) / per; }, wq) ||
        !channelScales(c.getWScale(), F, ws))
      return Value();
    if (rtt(c.getYScale()).getNumElements() != 1 || rtt(c.getYZeroPoint()).getNumElements() != 1)
      return Value();
    Value bias;
    if (!isNone(c.getB())) {
      SmallVector<int64_t> bv;
      if (!ox::getConstantIntValues(c.getB(), bv) || (int64_t)bv.size() != F)
        return Value();
      SmallVector<float> bf;
      for (int64_t f = 0; f < F; ++f)
        bf.push_back(float(double(bv[f]) * in.scale * double(ws[f])));
      bias = makeF32Constant(b, loc, RankedTensorType::get({F}, b.getF32Type()), bf, "qlinear_bias");
    }
    SmallVector<int64_t> strides, dil, pads;
    int64_t group;
    if (!kernelConvGeometry(c, xt, wt, strides, dil, pads, group))
      return Value();
    Value y = qconvOnKernel(in, wt.getShape(), wq, ws, bias, strides, dil, pads, group, res.clone(b.getF32Type()),
                            "qlinear");
    return requantizeOutput(y, c.getYScale(), c.getYZeroPoint(), uy);
  }

  //===--------------------------------------------------------------------===//
  // QDQ: Conv / MatMul / Gemm between DequantizeLinear nodes
  //===--------------------------------------------------------------------===//

  /// The activation of a QDQ layer: `v` is DequantizeLinear of an 8-bit
  /// tensor with a constant per-tensor scale and zero point.
  std::optional<QuantInput> qdqInput(Value v) {
    auto dq = v.getDefiningOp<ox::DequantizeLinearOp>();
    if (!dq || dq.getBlockSize() != 0 || !rtt(dq.getX()).getElementType().isInteger(8) ||
        !rtt(dq.getY()).getElementType().isF32())
      return std::nullopt;
    QuantInput in;
    in.q = dq.getX();
    in.isUnsigned = quantUnsigned(dq.getInputDtypes(), 0);
    if (!scalarFloat(dq.getXScale(), in.scale) || !(in.scale > 0) || !std::isfinite(in.scale) ||
        !scalarInt(dq.getXZeroPoint(), in.isUnsigned, in.zeroPoint))
      return std::nullopt;
    return in;
  }
  /// The weights of a QDQ layer: `v` is DequantizeLinear of constant 8-bit
  /// weights, per tensor or per `axis` (the output channel, F of them;
  /// element i belongs to channel chanOf(i)): their values minus the zero
  /// point as int8, and F scales.
  template <typename ChanOf>
  bool qdqWeights(Value v, int64_t axis, int64_t F, ChanOf chanOf, SmallVectorImpl<int8_t> &wq,
                  SmallVectorImpl<float> &ws) {
    auto dq = v.getDefiningOp<ox::DequantizeLinearOp>();
    if (!dq || dq.getBlockSize() != 0)
      return false;
    auto wt = rtt(dq.getX());
    if (!wt.getElementType().isInteger(8) || !wt.hasStaticShape() || !rtt(dq.getY()).getElementType().isF32())
      return false;
    if (rtt(dq.getXScale()).getNumElements() != 1 && normAxis(dq.getAxis(), wt.getRank()) != axis)
      return false; // per-axis along another axis than the output channel
    if (!int8Weights(dq.getX(), dq.getXZeroPoint(), quantUnsigned(dq.getInputDtypes(), 0), F, chanOf, wq) ||
        !channelScales(dq.getXScale(), F, ws))
      return false;
    return llvm::all_of(ws, [](float s) { return std::isfinite(s); });
  }

  /// Conv(DQ(x), DQ(w), b), ungrouped or 2-D depthwise (one filter per
  /// channel, at most 64 taps, a row stride of at most 2: the CPU's int8
  /// depthwise kernel): nn.qconv on the model's int8 values (the zero
  /// points' terms exact in int32), its f32 result what the float Conv
  /// computes on the dequantized operands.  Other grouped convolutions keep
  /// the float lowering (no int8 kernel).  Null, with nothing created, where
  /// the pattern does not apply.
  Value qdqConv(ox::ConvOp c) {
    std::optional<QuantInput> in = qdqInput(c.getX());
    auto wt = rtt(c.getW()), res = resType();
    int64_t group = c.getGroup();
    if (!in || !wt.hasStaticShape() || wt.getRank() < 3 || !res.getElementType().isF32() ||
        llvm::any_of(res.getShape().drop_front(), ShapedType::isDynamic))
      return Value();
    int64_t F = wt.getDimSize(0), per = wt.getNumElements() / std::max<int64_t>(F, 1);
    SmallVector<int8_t> wq;
    SmallVector<float> ws;
    if (F == 0 || !qdqWeights(c.getW(), 0, F, [&](size_t i) { return int64_t(i) / per; }, wq, ws))
      return Value();
    if (!isNone(c.getB())) {
      auto bt = rtt(c.getB());
      if (bt.getRank() != 1 || bt.getDimSize(0) != F || !bt.getElementType().isF32())
        return Value();
    }
    // Geometry the float lowering cannot take either is reported there.
    SmallVector<int64_t> strides, dil, pads;
    if (failed(convGeometry(c, rtt(c.getX()), wt, strides, dil, pads, /*report=*/false)) ||
        (group != 1 && !kiln::quant::isInt8DepthwiseShape(wt, res, group, strides)))
      return Value();
    return qconvOnKernel(*in, wt.getShape(), wq, ws, isNone(c.getB()) ? Value() : c.getB(), strides, dil, pads,
                         group, res, "qdq");
  }

  /// MatMul(DQ(a), DQ(w)) with a of rank >= 2 and constant 2-D weights
  /// quantized per tensor or per column (axis 1).
  Value qdqMatMul(ox::MatMulOp m) {
    std::optional<QuantInput> in = qdqInput(m.getA());
    auto bt = rtt(m.getB());
    if (!in || rtt(m.getA()).getRank() < 2 || bt.getRank() != 2 || !bt.hasStaticShape() ||
        !resType().getElementType().isF32())
      return Value();
    int64_t N = bt.getDimSize(1);
    SmallVector<int8_t> wq;
    SmallVector<float> ws;
    if (N == 0 || !qdqWeights(m.getB(), 1, N, [&](size_t i) { return int64_t(i) % N; }, wq, ws))
      return Value();
    return qmatmulOnKernel(*in, bt.getShape(), wq, ws, Value(), resType(), "qdq");
  }

  /// Gemm(DQ(a), DQ(w), c) without transA: transB weights [N, K] are
  /// quantized per row (axis 0) and transposed here; alpha scales the
  /// weight scales; c is none or a 1-D f32 [N] bias with beta 1.
  Value qdqGemm(ox::GemmOp g) {
    std::optional<QuantInput> in = qdqInput(g.getA());
    auto bt = rtt(g.getB());
    double alpha = g.getAlpha().convertToDouble();
    if (!in || g.getTransA() || bt.getRank() != 2 || !bt.hasStaticShape() || !resType().getElementType().isF32() ||
        !std::isfinite(alpha))
      return Value();
    bool tb = g.getTransB();
    int64_t N = bt.getDimSize(tb ? 0 : 1), K = bt.getDimSize(tb ? 1 : 0);
    if (!isNone(g.getC())) {
      auto ct = rtt(g.getC());
      if (ct.getRank() != 1 || ct.getDimSize(0) != N || !ct.getElementType().isF32() ||
          g.getBeta().convertToDouble() != 1.0)
        return Value();
    }
    SmallVector<int8_t> wq;
    SmallVector<float> ws;
    if (N == 0 || K == 0 ||
        !qdqWeights(g.getB(), tb ? 0 : 1, N, [&](size_t i) { return tb ? int64_t(i) / K : int64_t(i) % N; }, wq, ws))
      return Value();
    if (tb) {
      SmallVector<int8_t> t(wq.size());
      for (int64_t n = 0; n < N; ++n)
        for (int64_t k = 0; k < K; ++k)
          t[k * N + n] = wq[n * K + k];
      wq = std::move(t);
    }
    for (float &s : ws)
      s = float(double(s) * alpha);
    return qmatmulOnKernel(*in, {K, N}, wq, ws, isNone(g.getC()) ? Value() : g.getC(), resType(), "qdq");
  }

  LoweringResult lowerQLinearMatMul(ox::QLinearMatMulOp m) {
    auto dts = m.getInputDtypes();
    if (Value v = qlinearMatMulOnKernel(m, quantUnsigned(dts, 0), quantUnsigned(dts, 3), quantUnsigned(dts, 7)))
      return one(v);
    auto acc = quantIntegerMatmul(m.getA(), m.getB(), m.getAZeroPoint(), m.getBZeroPoint(),
                                  quantUnsigned(dts, 0), quantUnsigned(dts, 3), resType());
    if (failed(acc))
      return failure();
    auto at = rtt((*acc)[0]);
    int64_t r = at.getRank();
    Value as = quantParam(m.getAScale(), at, r - 2), bs = quantParam(m.getBScale(), at, r - 1);
    if (rtt(m.getYScale()).getNumElements() != 1 || rtt(m.getYZeroPoint()).getNumElements() != 1)
      return (LogicalResult)(fail() << "y_scale and y_zero_point must be scalars");
    return one(requant((*acc)[0], as, bs, m.getYScale(), m.getYZeroPoint(), quantUnsigned(dts, 7)));
  }
  LoweringResult lowerQLinearConv(ox::QLinearConvOp c) {
    auto dts = c.getInputDtypes();
    if (Value v = qlinearConvOnKernel(c, quantUnsigned(dts, 0), quantUnsigned(dts, 3), quantUnsigned(dts, 7)))
      return one(v);
    auto acc = quantIntegerConv(op, c.getX(), c.getW(), c.getXZeroPoint(), c.getWZeroPoint(),
                                quantUnsigned(dts, 0), quantUnsigned(dts, 3), resType());
    if (failed(acc))
      return failure();
    Value a = *acc;
    auto at = rtt(a);
    if (!isNone(c.getB()))
      a = binary(b, loc, nn::BinaryKind::add, a, quantParam(toI32(c.getB(), false), at, 1), at);
    if (rtt(c.getYScale()).getNumElements() != 1 || rtt(c.getYZeroPoint()).getNumElements() != 1)
      return (LogicalResult)(fail() << "y_scale and y_zero_point must be scalars");
    return one(requant(a, quantParam(c.getXScale(), at, 1), quantParam(c.getWScale(), at, 1),
                       c.getYScale(), c.getYZeroPoint(), quantUnsigned(dts, 7)));
  }
};

/// Reshapes a per-tensor (one element) or per-axis (1-D along `axis`)
/// quantization parameter to the explicit rank of `x`.
Value QuantizationLowering::quantParam(Value p, RankedTensorType x, int64_t axis) {
  auto t = rtt(p);
  int64_t r = x.getRank();
  SmallVector<int64_t> shape(r, 1);
  SmallVector<Value> dims;
  for (int64_t i = 0; i < r; ++i)
    dims.push_back(arith::ConstantIndexOp::create(b, loc, 1));
  if (!(t.hasStaticShape() && t.getNumElements() == 1)) {
    shape[axis] = t.getDimSize(0);
    dims[axis] = dimValue(b, loc, p, 0);
  }
  return reshapeTo(b, loc, p, RankedTensorType::get(shape, t.getElementType()), dims);
}

Value QuantizationLowering::toI32(Value v, bool isUnsigned) {
  auto t = rtt(v);
  if (t.getElementType().isInteger(32))
    return v;
  return nn::CastOp::create(b, loc, t.clone(b.getI32Type()), v, isUnsigned, false);
}

LoweringResult QuantizationLowering::quantIntegerMatmul(Value A, Value B, Value azp, Value bzp,
                                                        bool ua, bool ub, RankedTensorType res) {
  auto at = rtt(A), bt = rtt(B);
  if (at.getRank() < 2 || bt.getRank() < 2)
    return (LogicalResult)(fail() << "1-D operands are not supported");
  if (Value k = integerMatmulOnKernel(A, B, azp, bzp, ua, ub, res))
    return one(k);
  Value a = toI32(A, ua), bb = toI32(B, ub);
  if (!isNone(azp)) {
    Value z = quantParam(toI32(azp, ua), at, at.getRank() - 2);
    a = binary(b, loc, nn::BinaryKind::sub, a, z, rtt(a));
  }
  if (!isNone(bzp)) {
    Value z = quantParam(toI32(bzp, ub), bt, bt.getRank() - 1);
    bb = binary(b, loc, nn::BinaryKind::sub, bb, z, rtt(bb));
  }
  return one(nn::MatmulOp::create(b, loc, res.clone(b.getI32Type()), a, bb));
}

FailureOr<Value> QuantizationLowering::quantIntegerConv(Operation *o, Value X, Value W, Value xzp, Value wzp,
                                             bool ux, bool uw, RankedTensorType res) {
  auto x = rtt(X), w = rtt(W);
  if (Value k = integerConvOnKernel(o, X, W, xzp, wzp, ux, uw, res))
    return k;
  SmallVector<int64_t> strides, dil, pads;
  if (failed(convGeometry(o, x, w, strides, dil, pads)))
    return failure();
  Value xi = toI32(X, ux), wi = toI32(W, uw);
  if (!isNone(xzp))
    xi = binary(b, loc, nn::BinaryKind::sub, xi, quantParam(toI32(xzp, ux), x, 1), rtt(xi));
  if (!isNone(wzp))
    wi = binary(b, loc, nn::BinaryKind::sub, wi, quantParam(toI32(wzp, uw), w, 0), rtt(wi));
  IntegerAttr groupAttr = o->getAttrOfType<IntegerAttr>("group");
  int64_t group = groupAttr ? groupAttr.getInt() : 1;
  return (Value)nn::ConvOp::create(b, loc, res.clone(b.getI32Type()), xi, wi, Value(),
                                   b.getDenseI64ArrayAttr(strides), b.getDenseI64ArrayAttr(dil),
                                   b.getDenseI64ArrayAttr(pads), b.getI64IntegerAttr(group));
}

/// A QDQ layer on the int8 kernels (QuantizationLowering's qdq*): tried
/// before the float lowering of the op, it fails without a diagnostic where
/// the operands are not quantized as it needs, and the float lowering runs.
template <typename OpTy, Value (QuantizationLowering::*Fn)(OpTy)>
struct QDQPattern : OpRewritePattern<OpTy> {
  explicit QDQPattern(MLIRContext *ctx) : OpRewritePattern<OpTy>(ctx, /*benefit=*/2) {}
  LogicalResult matchAndRewrite(OpTy op, PatternRewriter &rewriter) const override {
    QuantizationLowering lowering(rewriter, op);
    Value v = (lowering.*Fn)(op);
    if (!v)
      return failure();
    replaceWithValues(rewriter, op, v);
    return success();
  }
};

} // namespace

void populateQuantizationPatterns(RewritePatternSet &patterns) {
  using L = QuantizationLowering;
  addLowering<ox::QuantizeLinearOp, &L::lowerQuantizeLinear>(patterns);
  addLowering<ox::DequantizeLinearOp, &L::lowerDequantizeLinear>(patterns);
  addLowering<ox::DynamicQuantizeLinearOp, &L::lowerDynamicQuantizeLinear>(patterns);
  addLowering<ox::MatMulIntegerOp, &L::lowerMatMulInteger>(patterns);
  addLowering<ox::ConvIntegerOp, &L::lowerConvInteger>(patterns);
  addLowering<ox::QLinearMatMulOp, &L::lowerQLinearMatMul>(patterns);
  addLowering<ox::QLinearConvOp, &L::lowerQLinearConv>(patterns);
  patterns.add<QDQPattern<ox::ConvOp, &L::qdqConv>, QDQPattern<ox::MatMulOp, &L::qdqMatMul>,
               QDQPattern<ox::GemmOp, &L::qdqGemm>>(patterns.getContext());
}

} // namespace kiln::onnx_to_nn
