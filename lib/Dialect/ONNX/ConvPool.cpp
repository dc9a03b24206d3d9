//===- ConvPool.cpp - onnx shape inference: convolution, pooling ----------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Conv, ConvTranspose, MaxPool, AveragePool, the global pools and MaxUnpool
// (dialects/onnx/ops/ConvPool.td).
//
//===----------------------------------------------------------------------===//

#include "ShapeInference.h"

using namespace mlir;
using namespace kiln::onnx;
using namespace kiln::onnx::inference;

/// Resolved convolution / pooling geometry.
struct SpatialGeometry {
  SmallVector<int64_t> kernel, strides, dilations, padsBegin, padsEnd, out;
};

static FailureOr<SpatialGeometry>
computeGeometry(Ctx &c, RankedTensorType x, ArrayRef<int64_t> kernel,
                std::optional<ArrayAttr> stridesA, std::optional<ArrayAttr> dilA,
                std::optional<ArrayAttr> padsA, StringRef autoPad, bool ceilMode) {
  int64_t ns = x.getRank() - 2;
  SpatialGeometry g;
  auto read = [&](std::optional<ArrayAttr> a, int64_t n, int64_t dflt,
                  SmallVectorImpl<int64_t> &out, StringRef what) -> LogicalResult {
    if (!a) {
      out.assign(n, dflt);
      return success();
    }
    for (Attribute e : *a)
      out.push_back(cast<IntegerAttr>(e).getInt());
    if ((int64_t)out.size() != n)
      return c.error() << "'" << what << "' has " << out.size()
                       << " entries, expected " << n;
    return success();
  };
  g.kernel.assign(kernel.begin(), kernel.end());
  if ((int64_t)g.kernel.size() != ns)
    return (LogicalResult)(c.error() << "kernel has " << g.kernel.size()
                                     << " spatial dims, input has " << ns);
  SmallVector<int64_t> pads;
  if (failed(read(stridesA, ns, 1, g.strides, "strides")) ||
      failed(read(dilA, ns, 1, g.dilations, "dilations")) ||
      failed(read(padsA, 2 * ns, 0, pads, "pads")))
    return failure();
  for (int64_t i = 0; i < ns; ++i) {
    if (g.strides[i] < 1 || g.dilations[i] < 1 || g.kernel[i] < 1)
      return (LogicalResult)(c.error() << "kernel, strides and dilations must be positive");
    if (pads[i] < 0 || pads[i + ns] < 0)
      return (LogicalResult)(c.error() << "pads must be non-negative");
    // Keeps the arithmetic below within int64 for any input dimension.
    constexpr int64_t kMaxGeometry = int64_t(1) << 31;
    if (g.strides[i] > kMaxGeometry || g.dilations[i] > kMaxGeometry ||
        g.kernel[i] > kMaxGeometry || pads[i] > kMaxGeometry || pads[i + ns] > kMaxGeometry)
      return (LogicalResult)(c.error() << "kernel, strides, dilations and pads must be at most 2^31");
  }
  if (autoPad != "NOTSET" && autoPad != "VALID" && autoPad != "SAME_UPPER" &&
      autoPad != "SAME_LOWER")
    return (LogicalResult)(c.error() << "unknown auto_pad '" << autoPad << "'");
  for (int64_t i = 0; i < ns; ++i) {
    int64_t in = x.getDimSize(i + 2);
    int64_t ek = g.dilations[i] * (g.kernel[i] - 1) + 1;
    int64_t pb = pads[i], pe = pads[i + ns];
    if (autoPad == "VALID") {
      pb = pe = 0;
    } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      if (in == kDyn) {
        return (LogicalResult)(c.error()
                               << "auto_pad SAME with a dynamic spatial dimension is not supported");
      }
      int64_t out = (in + g.strides[i] - 1) / g.strides[i];
      int64_t total = std::max<int64_t>(0, (out - 1) * g.strides[i] + ek - in);
      pb = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
      pe = total - pb;
    }
    g.padsBegin.push_back(pb);
    g.padsEnd.push_back(pe);
    if (in == kDyn) {
      g.out.push_back(kDyn);
      continue;
    }
    int64_t span = in + pb + pe - ek;
    if (span < 0)
      return (LogicalResult)(c.error() << "kernel (extent " << ek
                                       << ") is larger than the padded input (" << in + pb + pe
                                       << ") in spatial dimension " << i);
    int64_t out = span / g.strides[i] + 1;
    if (ceilMode) {
      out = (span + g.strides[i] - 1) / g.strides[i] + 1;
      // The last window must start inside the input or the begin padding.
      if ((out - 1) * g.strides[i] >= in + pb)
        --out;
    }
    g.out.push_back(out);
  }
  return g;
}

/// Result shape [N, M, spatial...] of a convolution of X by W with `g`
/// groups; shared by Conv and the integer convolutions.
FailureOr<SmallVector<int64_t>>
inference::convShape(Ctx &c, RankedTensorType x, RankedTensorType w, int64_t g,
          std::optional<ArrayAttr> kernelA, std::optional<ArrayAttr> strides,
          std::optional<ArrayAttr> dil, std::optional<ArrayAttr> pads, StringRef autoPad) {
  if (x.getRank() < 3 || w.getRank() != x.getRank())
    return (LogicalResult)(c.error() << "X must be [N, C, spatial...] and W [M, C/group, kernel...] of the same rank; got "
                                     << x << " and " << w);
  if (g < 1)
    return (LogicalResult)(c.error() << "group must be >= 1");
  int64_t C = x.getDimSize(1), M = w.getDimSize(0), CperG = w.getDimSize(1);
  if (C != kDyn && CperG != kDyn && C != CperG * g)
    return (LogicalResult)(c.error() << "input has " << C << " channels but W expects " << CperG
                                     << " x group " << g);
  if (M != kDyn && M % g != 0)
    return (LogicalResult)(c.error() << "output channels " << M << " not divisible by group " << g);
  SmallVector<int64_t> kernel = readInts(kernelA);
  if (kernel.empty())
    kernel.assign(w.getShape().begin() + 2, w.getShape().end());
  for (auto [i, k] : llvm::enumerate(kernel))
    if (w.getDimSize(i + 2) != kDyn && w.getDimSize(i + 2) != k)
      return (LogicalResult)(c.error() << "kernel_shape disagrees with W");
  auto geo = computeGeometry(c, x, kernel, strides, dil, pads, autoPad, false);
  if (failed(geo))
    return failure();
  SmallVector<int64_t> out{x.getDimSize(0), M};
  out.append(geo->out);
  return out;
}

INFER(ConvOp) {
  CTX;
  auto x = c.ranked(getX(), "X"), w = c.ranked(getW(), "W");
  if (!x || !w)
    return failure();
  if (getElementTypeOrSelf(x) != getElementTypeOrSelf(w))
    return c.error() << "X and W must have the same element type";
  auto out = convShape(c, x, w, getGroup(), getKernelShape(), getStrides(), getDilations(), getPads(),
                       getAutoPad());
  if (failed(out))
    return failure();
  int64_t M = (*out)[1];
  if (!isa<NoneType>(getB().getType())) {
    auto b = c.ranked(getB(), "B");
    if (!b || b.getRank() != 1 || (M != kDyn && b.getDimSize(0) != kDyn && b.getDimSize(0) != M))
      return c.error() << "B must be 1-D of size M = " << M;
  }
  return c.add(*out, x.getElementType());
}

INFER(ConvTransposeOp) {
  CTX;
  auto x = c.ranked(getX(), "X"), w = c.ranked(getW(), "W");
  if (!x || !w)
    return failure();
  if (x.getRank() < 3 || w.getRank() != x.getRank())
    return c.error() << "X must be [N, C, spatial...] and W [C, M/group, kernel...]";
  int64_t ns = x.getRank() - 2, g = getGroup();
  if (g < 1)
    return c.error() << "group must be >= 1";
  if (x.getDimSize(1) != kDyn && w.getDimSize(0) != kDyn && x.getDimSize(1) != w.getDimSize(0))
    return c.error() << "input channels " << x.getDimSize(1) << " != W dim 0 " << w.getDimSize(0);
  int64_t M = w.getDimSize(1) == kDyn ? kDyn : satMul(w.getDimSize(1), g);
  SmallVector<int64_t> kernel = readInts(getKernelShape());
  if (kernel.empty())
    kernel.assign(w.getShape().begin() + 2, w.getShape().end());
  SmallVector<int64_t> strides = readInts(getStrides()), dil = readInts(getDilations()),
                       pads = readInts(getPads()), opad = readInts(getOutputPadding()),
                       oshape = readInts(getOutputShape());
  if (strides.empty()) strides.assign(ns, 1);
  if (dil.empty()) dil.assign(ns, 1);
  if (opad.empty()) opad.assign(ns, 0);
  if (pads.empty()) pads.assign(2 * ns, 0);
  if ((int64_t)strides.size() != ns || (int64_t)dil.size() != ns ||
      (int64_t)opad.size() != ns || (int64_t)pads.size() != 2 * ns ||
      (int64_t)kernel.size() != ns)
    return c.error() << "attribute lengths do not match the " << ns << " spatial dims";
  // output_shape lists the spatial dims (optionally after N and C).
  if (!oshape.empty() && (int64_t)oshape.size() < ns)
    return c.error() << "output_shape has " << oshape.size() << " entries, fewer than the " << ns
                     << " spatial dims";
  SmallVector<int64_t> out{x.getDimSize(0), M};
  for (int64_t i = 0; i < ns; ++i) {
    int64_t in = x.getDimSize(i + 2);
    if (!oshape.empty()) {
      out.push_back(oshape[oshape.size() - ns + i]);
      continue;
    }
    if (in == kDyn) {
      out.push_back(kDyn);
      continue;
    }
    int64_t full = satAdd(satAdd(satMul(strides[i], in - 1), opad[i]),
                          satAdd(satMul(satSub(kernel[i], 1), dil[i]), 1));
    if (getAutoPad() == "SAME_UPPER" || getAutoPad() == "SAME_LOWER")
      out.push_back(satMul(in, strides[i]));
    else
      out.push_back(satSub(full, getAutoPad() == "VALID" ? 0 : satAdd(pads[i], pads[i + ns])));
  }
  return c.add(out, x.getElementType());
}

template <typename PoolT>
static LogicalResult inferPool(PoolT op, Ctx &c, bool withIndices) {
  auto x = c.rankedAtLeast(op.getX(), "X", 3, "[N, C, spatial...]");
  if (!x)
    return failure();
  if (op.getStorageOrder() != 0 && op.getStorageOrder() != 1)
    return c.error() << "storage_order must be 0 or 1";
  SmallVector<int64_t> kernel = readInts(op.getKernelShape());
  auto geo = computeGeometry(c, x, kernel, op.getStrides(), op.getDilations(),
                             op.getPads(), op.getAutoPad(), op.getCeilMode() != 0);
  if (failed(geo))
    return failure();
  SmallVector<int64_t> out{x.getDimSize(0), x.getDimSize(1)};
  out.append(geo->out);
  (void)c.add(out, x.getElementType());
  if (withIndices)
    (void)c.add(out, IntegerType::get(op.getContext(), 64));
  return success();
}
INFER(MaxPoolOp) {
  CTX;
  return inferPool(*this, c, getNumResults() > 1);
}
INFER(AveragePoolOp) { CTX; return inferPool(*this, c, false); }

static LogicalResult inferGlobalPool(Ctx &c, Value xv) {
  auto x = c.rankedAtLeast(xv, "X", 3, "[N, C, spatial...]");
  if (!x)
    return failure();
  SmallVector<int64_t> out(x.getShape());
  for (int64_t i = 2; i < x.getRank(); ++i)
    out[i] = 1;
  return c.add(out, x.getElementType());
}
INFER(GlobalAveragePoolOp) { CTX; return inferGlobalPool(c, getX()); }
INFER(GlobalMaxPoolOp) { CTX; return inferGlobalPool(c, getX()); }

INFER(MaxUnpoolOp) {
  CTX;
  auto x = c.ranked(getX(), "X"), idx = c.ranked(getI(), "I");
  if (!x || !idx)
    return failure();
  int64_t r = x.getRank(), ns = r - 2;
  if (r < 3 || idx.getRank() != r || !isa<IntegerType>(idx.getElementType()))
    return c.error() << "X must be [N, C, spatial...] and I an integer tensor of the same shape";
  SmallVector<int64_t> k = readInts(getKernelShape()), s = readInts(getStrides()), p = readInts(getPads());
  if (s.empty()) s.assign(ns, 1);
  if (p.empty()) p.assign(2 * ns, 0);
  if ((int64_t)k.size() != ns || (int64_t)s.size() != ns || (int64_t)p.size() != 2 * ns)
    return c.error() << "kernel_shape/strides/pads do not match the " << ns << " spatial dims";
  SmallVector<int64_t> out{x.getDimSize(0), x.getDimSize(1)};
  if (!isa<NoneType>(getOutputShape().getType())) {
    SmallVector<int64_t> shape;
    auto st = c.ranked(getOutputShape(), "output_shape");
    if (!st)
      return failure();
    if (st.getRank() != 1 || (!st.isDynamicDim(0) && st.getDimSize(0) != r))
      return c.error() << "output_shape must have " << r << " entries";
    if (getShapeValues(getOutputShape(), shape) && (int64_t)shape.size() == r)
      return c.add(shape, x.getElementType());
    out.append(ns, kDyn);
    return c.add(out, x.getElementType());
  }
  for (int64_t i = 0; i < ns; ++i) {
    int64_t in = x.getDimSize(2 + i);
    out.push_back(in == kDyn ? kDyn
                             : satSub(satSub(satAdd(satMul(in - 1, s[i]), k[i]), p[i]), p[i + ns]));
  }
  return c.add(out, x.getElementType());
}
