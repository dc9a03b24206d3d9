//===- ConvPool.cpp - onnx -> nn: convolution and pooling -----------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Conv / ConvTranspose with auto_pad resolved into explicit pads, max and
// average pooling (ceil_mode as extra end padding), global pooling as a
// reduction, MaxPool indices and MaxUnpool.
//
//===----------------------------------------------------------------------===//

#include "Common.h"

using namespace mlir;

namespace kiln::onnx_to_nn {
namespace {

struct ConvPoolLowering : Lowering {
  using Lowering::Lowering;

  LoweringResult conv(ox::ConvOp c);
  LoweringResult convTranspose(ox::ConvTransposeOp c);
  template <typename PoolT>
  LoweringResult pool(PoolT p, nn::PoolKind kind);
  LoweringResult maxPoolIndices(ox::MaxPoolOp p, ArrayRef<Value> values);

  LoweringResult lowerConv(ox::ConvOp c) { return conv(c); }
  LoweringResult lowerConvTranspose(ox::ConvTransposeOp c) { return convTranspose(c); }
  LoweringResult lowerMaxPool(ox::MaxPoolOp p) {
    auto r = pool(p, nn::PoolKind::max);
    if (failed(r) || !p.getIndices())
      return r;
    return maxPoolIndices(p, *r);
  }
  LoweringResult lowerAveragePool(ox::AveragePoolOp p) { return pool(p, nn::PoolKind::avg); }
  LoweringResult lowerGlobalAveragePool(ox::GlobalAveragePoolOp p) {
    auto x = rtt(p.getX());
    SmallVector<int64_t> axes;
    for (int64_t i = 2; i < x.getRank(); ++i) axes.push_back(i);
    return one(nn::ReduceOp::create(b, loc, resType(), p.getX(), nn::ReduceKindAttr::get(b.getContext(), nn::ReduceKind::mean),
                                    b.getDenseI64ArrayAttr(axes), b.getBoolAttr(true)));
  }
  LoweringResult lowerGlobalMaxPool(ox::GlobalMaxPoolOp p) {
    auto x = rtt(p.getX());
    SmallVector<int64_t> axes;
    for (int64_t i = 2; i < x.getRank(); ++i) axes.push_back(i);
    return one(nn::ReduceOp::create(b, loc, resType(), p.getX(), nn::ReduceKindAttr::get(b.getContext(), nn::ReduceKind::max),
                                    b.getDenseI64ArrayAttr(axes), b.getBoolAttr(true)));
  }
  LoweringResult lowerMaxUnpool(ox::MaxUnpoolOp u) {
    auto res = resType();
    Value shape;
    if (!res.hasStaticShape()) {
      if (isNone(u.getOutputShape()))
        return (LogicalResult)(fail() << "MaxUnpool needs static spatial dims without output_shape");
      shape = u.getOutputShape();
    }
    // Indices address the default unpooled shape.
    auto x = rtt(u.getX());
    int64_t ns = x.getRank() - 2;
    SmallVector<int64_t> k = intsAttr(u.getKernelShape()), st = intsAttr(u.getStrides()),
                         pd = intsAttr(u.getPads()), sp;
    if (st.empty()) st.assign(ns, 1);
    if (pd.empty()) pd.assign(2 * ns, 0);
    for (int64_t i = 0; i < ns; ++i) {
      if (x.isDynamicDim(2 + i))
        return (LogicalResult)(fail() << "MaxUnpool needs static spatial input dims");
      sp.push_back((x.getDimSize(2 + i) - 1) * st[i] + k[i] - pd[i] - pd[i + ns]);
    }
    return one(nn::MaxUnpoolOp::create(b, loc, res, u.getX(), u.getI(), shape, b.getDenseI64ArrayAttr(sp)));
  }
};

LoweringResult ConvPoolLowering::conv(ox::ConvOp c) {
  auto res = resType();
  SmallVector<int64_t> strides, dil, pads;
  if (failed(convGeometry(c, rtt(c.getX()), rtt(c.getW()), strides, dil, pads)))
    return failure();
  Value bias = isNone(c.getB()) ? Value() : c.getB();
  Value r = nn::ConvOp::create(b, loc, res, c.getX(), c.getW(), bias,
                               b.getDenseI64ArrayAttr(strides), b.getDenseI64ArrayAttr(dil),
                               b.getDenseI64ArrayAttr(pads), b.getI64IntegerAttr(c.getGroup()));
  return one(r);
}

LoweringResult ConvPoolLowering::convTranspose(ox::ConvTransposeOp c) {
  auto x = rtt(c.getX()), w = rtt(c.getW());
  int64_t ns = x.getRank() - 2;
  auto res = resType();
  SmallVector<int64_t> strides = intsAttr(c.getStrides()), dil = intsAttr(c.getDilations()),
                       pads = intsAttr(c.getPads()), opad = intsAttr(c.getOutputPadding());
  if (strides.empty()) strides.assign(ns, 1);
  if (dil.empty()) dil.assign(ns, 1);
  if (pads.empty()) pads.assign(2 * ns, 0);
  if (opad.empty()) opad.assign(ns, 0);
  // Derive pads so that the result has the inferred size (covers auto_pad
  // and output_shape): full = s*(in-1) + opad + (k-1)*d + 1 - pb - pe.
  for (int64_t i = 0; i < ns; ++i) {
    int64_t in = x.getDimSize(i + 2), k = w.getDimSize(i + 2), out = res.getDimSize(i + 2);
    bool explicitPads = c.getAutoPad() == "NOTSET" && !c.getOutputShape();
    if (explicitPads)
      continue;
    if (c.getAutoPad() == "VALID" && !c.getOutputShape()) {
      pads[i] = pads[i + ns] = 0;
      continue;
    }
    if (in == kDyn || out == kDyn)
      return (LogicalResult)(fail() << (c.getOutputShape() ? "output_shape" : "auto_pad " + c.getAutoPad().str())
                                    << " needs static spatial dims (dim " << i + 2
                                    << " is dynamic; give explicit pads, or fix it with --input-shape)");
    int64_t full = strides[i] * (in - 1) + (k - 1) * dil[i] + 1;
    int64_t total = full + opad[i] - out;
    if (total < 0) {
      opad[i] += -total;
      total = 0;
    }
    if (c.getAutoPad() == "SAME_UPPER") {
      pads[i] = total / 2;
      pads[i + ns] = total - total / 2;
    } else {
      pads[i + ns] = total / 2;
      pads[i] = total - total / 2;
    }
  }
  Value bias = isNone(c.getB()) ? Value() : c.getB();
  return one(nn::ConvTransposeOp::create(
      b, loc, res, c.getX(), c.getW(), bias, b.getDenseI64ArrayAttr(strides),
      b.getDenseI64ArrayAttr(dil), b.getDenseI64ArrayAttr(pads), b.getDenseI64ArrayAttr(opad),
      b.getI64IntegerAttr(c.getGroup())));
}

template <typename PoolT>
LoweringResult ConvPoolLowering::pool(PoolT p, nn::PoolKind kind) {
  auto x = rtt(p.getX()), res = resType();
  int64_t ns = x.getRank() - 2;
  SmallVector<int64_t> k = intsAttr(p.getKernelShape()), strides = intsAttr(p.getStrides()),
                       dil = intsAttr(p.getDilations()), pads = intsAttr(p.getPads());
  if (strides.empty()) strides.assign(ns, 1);
  if (dil.empty()) dil.assign(ns, 1);
  if (pads.empty()) pads.assign(2 * ns, 0);
  StringRef ap = p.getAutoPad();
  SmallVector<int64_t> explicitPads(pads), total(pads);
  for (int64_t i = 0; i < ns; ++i) {
    int64_t in = x.getDimSize(i + 2), out = res.getDimSize(i + 2);
    int64_t ek = dil[i] * (k[i] - 1) + 1;
    // With a run-time size, the pads of SAME and the extra end pad of
    // ceil_mode would depend on it; nn.pool's pads are static.
    if (in == kDyn || out == kDyn) {
      if (ap == "SAME_UPPER" || ap == "SAME_LOWER")
        return (LogicalResult)(fail() << "auto_pad " << ap << " needs static spatial dims (dim " << i + 2
                                      << " is dynamic; fix it with --input-shape)");
      if (p.getCeilMode() != 0)
        return (LogicalResult)(fail() << "ceil_mode needs static spatial dims (dim " << i + 2
                                      << " is dynamic; fix it with --input-shape)");
    }
    if (ap == "VALID") {
      explicitPads[i] = explicitPads[i + ns] = 0;
    } else if (ap == "SAME_UPPER" || ap == "SAME_LOWER") {
      int64_t t = std::max<int64_t>(0, (out - 1) * strides[i] + ek - in);
      explicitPads[i] = ap == "SAME_UPPER" ? t / 2 : t - t / 2;
      explicitPads[i + ns] = t - explicitPads[i];
    }
    total[i] = explicitPads[i];
    total[i + ns] = explicitPads[i + ns];
    if (in != kDyn && out != kDyn) {
      // Extra end padding needed by ceil_mode so that `out` windows fit.
      int64_t needed = (out - 1) * strides[i] + ek - (in + total[i] + total[i + ns]);
      if (needed > 0)
        total[i + ns] += needed;
    }
  }
  bool cip = false;
  if constexpr (std::is_same_v<PoolT, ox::AveragePoolOp>)
    cip = p.getCountIncludePad() != 0;
  return one(nn::PoolOp::create(b, loc, res, p.getX(), nn::PoolKindAttr::get(b.getContext(), kind), b.getDenseI64ArrayAttr(k),
                                b.getDenseI64ArrayAttr(strides), b.getDenseI64ArrayAttr(dil),
                                b.getDenseI64ArrayAttr(total), b.getDenseI64ArrayAttr(explicitPads),
                                b.getBoolAttr(cip)));
}

/// MaxPool with its Indices output: nn.pool_indices with the geometry of
/// the values' nn.pool.
LoweringResult ConvPoolLowering::maxPoolIndices(ox::MaxPoolOp p, ArrayRef<Value> values) {
  auto v = values[0].getDefiningOp<nn::PoolOp>();
  if (!v)
    return (LogicalResult)(fail() << "internal error: MaxPool values are not an nn.pool");
  Value idx = nn::PoolIndicesOp::create(b, loc, resType(1), p.getX(), v.getKernelAttr(), v.getStridesAttr(),
                                        v.getDilationsAttr(), v.getPadsAttr(),
                                        b.getI64IntegerAttr(p.getStorageOrder()));
  return SmallVector<Value>{values[0], idx};
}

} // namespace

void populateConvPoolPatterns(RewritePatternSet &patterns) {
  using L = ConvPoolLowering;
  addLowering<ox::ConvOp, &L::lowerConv>(patterns);
  addLowering<ox::ConvTransposeOp, &L::lowerConvTranspose>(patterns);
  addLowering<ox::MaxPoolOp, &L::lowerMaxPool>(patterns);
  addLowering<ox::AveragePoolOp, &L::lowerAveragePool>(patterns);
  addLowering<ox::GlobalAveragePoolOp, &L::lowerGlobalAveragePool>(patterns);
  addLowering<ox::GlobalMaxPoolOp, &L::lowerGlobalMaxPool>(patterns);
  addLowering<ox::MaxUnpoolOp, &L::lowerMaxUnpool>(patterns);
}

} // namespace kiln::onnx_to_nn
