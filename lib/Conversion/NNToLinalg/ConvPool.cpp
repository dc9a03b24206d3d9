//===- ConvPool.cpp - convolution and pooling to linalg -------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// nn.conv, nn.conv_transpose, nn.pool, nn.pool_indices and nn.max_unpool.
// 1-D and 2-D convolutions and pooling use the linalg named ops (1-D as 2-D
// with a unit dim), 3-D ungrouped convolutions conv_3d_ncdhw_fcdhw, the
// other ranks one linalg.generic; a transposed convolution is a convolution
// of the stride-dilated, padded input with the flipped filter.
//
//===----------------------------------------------------------------------===//

#include "Common.h"
#include "Patterns.h"
#include "kiln/Transforms/ConstantUtils.h"

using namespace mlir;
using namespace kiln::nn_to_linalg;
namespace nn = kiln::nn;
using kiln::makeF32Constant;
using kiln::readF32Constant;
using kiln::makeI8Constant;
using kiln::readI8Constant;

namespace {

/// Pads spatial dims of an NC... tensor.
Value padSpatial(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> pads, Value padValue) {
  auto t = rtt(x);
  int64_t ns = t.getRank() - 2;
  bool any = llvm::any_of(pads, [](int64_t p) { return p != 0; });
  if (!any)
    return x;
  SmallVector<int64_t> shape(t.getShape());
  SmallVector<OpFoldResult> lo(t.getRank(), b.getIndexAttr(0)), hi(t.getRank(), b.getIndexAttr(0));
  for (int64_t i = 0; i < ns; ++i) {
    lo[i + 2] = b.getIndexAttr(pads[i]);
    hi[i + 2] = b.getIndexAttr(pads[i + ns]);
    if (shape[i + 2] != kDyn)
      shape[i + 2] += pads[i] + pads[i + ns];
  }
  auto type = RankedTensorType::get(shape, t.getElementType());
  return tensor::PadOp::create(b, loc, type, x, lo, hi, padValue);
}

/// Output init for a conv: bias broadcast along channels, or zeros.
Value convInit(OpBuilder &b, Location loc, RankedTensorType res, ArrayRef<Value> dims, Value bias) {
  return epilogueInit(b, loc, res, dims, bias, 1);
}

/// Inserts a unit dim at position 2 (1-D spatial -> 2-D).
Value expandTo2D(OpBuilder &b, Location loc, Value v, bool dynDim0) {
  auto t = rtt(v);
  auto nt = RankedTensorType::get({t.getDimSize(0), t.getDimSize(1), 1, t.getDimSize(2)},
                                  t.getElementType());
  SmallVector<OpFoldResult> os{mixedDim(b, loc, v, 0), mixedDim(b, loc, v, 1), b.getIndexAttr(1),
                               mixedDim(b, loc, v, 2)};
  (void)dynDim0;
  return tensor::ExpandShapeOp::create(b, loc, nt, v,
                                       SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}}, os);
}

Value collapseFrom2D(OpBuilder &b, Location loc, Value v) {
  auto t = rtt(v);
  auto nt = RankedTensorType::get({t.getDimSize(0), t.getDimSize(1), t.getDimSize(3)}, t.getElementType());
  return tensor::CollapseShapeOp::create(b, loc, nt, v, SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
}

/// Widest output row (static) for which conv2D gathers the windows (im2col)
/// and runs a 1x1 convolution: 8, or 14 for strided convolutions, whose
/// direct kernel reads deinterleaved input rows (measured, 3x3: 7 wide 4.3
/// -> 2.3 ms; 14 wide stride 2 2.75 -> 2.1 ms; 14 wide stride 1 2.2 -> 2.0
/// ms for 256 channels but 1.0 -> 1.8 ms for 16); and the largest gathered
/// tensor (elements).
constexpr int64_t kIm2colMaxWidth = 8, kIm2colMaxStridedWidth = 14, kIm2colMaxElems = 1 << 20;

/// 2-D convolution (NCHW input, FCHW filter) on an already padded input.
/// A grouped one needs static channel counts (the callers check).
Value conv2D(OpBuilder &b, Location loc, Value x, Value w, Value bias, ArrayRef<int64_t> strides,
             ArrayRef<int64_t> dil, int64_t groups, RankedTensorType res) {
  auto xt = rtt(x), wt = rtt(w);
  SmallVector<Value> dims{dimOf(b, loc, x, 0), cIdx(b, loc, res.getDimSize(1))};
  for (int64_t i = 2; i < 4; ++i) {
    if (res.isDynamicDim(i)) {
      // out = (in - (k-1)*d - 1) / s + 1 on the padded input.
      Value in = dimOf(b, loc, x, i);
      int64_t ek = dil[i - 2] * (wt.getDimSize(i) - 1) + 1;
      Value v = arith::SubIOp::create(b, loc, in, cIdx(b, loc, ek));
      v = arith::DivUIOp::create(b, loc, v, cIdx(b, loc, strides[i - 2]));
      dims.push_back(arith::AddIOp::create(b, loc, v, cIdx(b, loc, 1)));
    } else {
      dims.push_back(cIdx(b, loc, res.getDimSize(i)));
    }
  }
  int64_t C = xt.getDimSize(1), F = wt.getDimSize(0);
  SmallVector<int64_t> unitStrides(strides);
  if (groups == 1 && wt.getDimSize(2) == 1 && wt.getDimSize(3) == 1 &&
      (strides[0] != 1 || strides[1] != 1)) {
    // A strided 1x1 convolution reads one input pixel in s*s: subsample the
    // input once into a dense tensor and convolve with stride 1, the
    // matrix-product-like kernel (ResNet-50's downsampling convolutions ran
    // at 36 to 49 GFLOP/s strided, under half the stride-1 1x1 rate).
    SmallVector<OpFoldResult> offsets(4, b.getIndexAttr(0)), sizes, steps;
    SmallVector<int64_t> shape;
    for (int64_t i = 0; i < 4; ++i) {
      int64_t st = i == 1 ? xt.getDimSize(1) : i == 0 ? xt.getDimSize(0) : res.getDimSize(i);
      shape.push_back(st);
      Value v = i == 1 ? dimOf(b, loc, x, 1) : dims[i];
      sizes.push_back(ShapedType::isDynamic(st) ? OpFoldResult(v) : OpFoldResult(b.getIndexAttr(st)));
      steps.push_back(b.getIndexAttr(i < 2 ? 1 : strides[i - 2]));
    }
    auto subT = RankedTensorType::get(shape, xt.getElementType());
    Value sub = tensor::ExtractSliceOp::create(b, loc, subT, x, offsets, sizes, steps);
    SmallVector<Value> dynSizes;
    for (int64_t i = 0; i < 4; ++i)
      if (ShapedType::isDynamic(shape[i]))
        dynSizes.push_back(i == 1 ? dimOf(b, loc, x, 1) : dims[i]);
    Value empty = tensor::EmptyOp::create(b, loc, subT, dynSizes);
    x = linalg::CopyOp::create(b, loc, sub, empty).getResult(0);
    xt = rtt(x);
    unitStrides.assign({1, 1});
    strides = unitStrides;
  }
  SmallVector<int64_t> unitDil(dil);
  int64_t KH = wt.getDimSize(2), KW = wt.getDimSize(3), OH = res.getDimSize(2), OW = res.getDimSize(3);
  if (groups == 1 && C != kDyn && KH != kDyn && KW != kDyn && KH * KW > 1 && OH != kDyn &&
      OW != kDyn && (OW <= kIm2colMaxWidth || (OW <= kIm2colMaxStridedWidth && strides[1] != 1)) &&
      OH * OW >= 16 && C * KH * KW * OH * OW <= kIm2colMaxElems &&
      isa<FloatType>(xt.getElementType())) {
    // Narrow outputs (ResNet-50's 7x7 layers: 50 GFLOP/s, a third of the
    // rate of its wide 3x3 layers): gather the windows once (im2col,
    // [N, C, KH, KW, OH, OW] -> [N, C*KH*KW, OH, OW]) and run a 1x1
    // convolution over them, which the CPU kernels compute over the
    // flattened pixels with full vectors.
    MLIRContext *ctx = b.getContext();
    AffineExpr n = getAffineDimExpr(0, ctx), c = getAffineDimExpr(1, ctx),
               kh = getAffineDimExpr(2, ctx), kw = getAffineDimExpr(3, ctx),
               oh = getAffineDimExpr(4, ctx), ow = getAffineDimExpr(5, ctx);
    auto xMap = AffineMap::get(6, 0, {n, c, oh * strides[0] + kh * dil[0], ow * strides[1] + kw * dil[1]}, ctx);
    auto colT = RankedTensorType::get({xt.getDimSize(0), C, KH, KW, OH, OW}, xt.getElementType());
    SmallVector<Value> dynSizes;
    if (xt.isDynamicDim(0))
      dynSizes.push_back(dims[0]);
    Value empty = tensor::EmptyOp::create(b, loc, colT, dynSizes);
    SmallVector<utils::IteratorType> iters(6, utils::IteratorType::parallel);
    Value col = linalg::GenericOp::create(
                    b, loc, TypeRange{colT}, ValueRange{x}, ValueRange{empty},
                    ArrayRef<AffineMap>{xMap, AffineMap::getMultiDimIdentityMap(6, ctx)}, iters,
                    [](OpBuilder &nb, Location nl, ValueRange args) {
                      linalg::YieldOp::create(nb, nl, args[0]);
                    })
                    .getResult(0);
    auto flatT = RankedTensorType::get({xt.getDimSize(0), C * KH * KW, OH, OW}, xt.getElementType());
    x = tensor::CollapseShapeOp::create(b, loc, flatT, col,
                                        SmallVector<ReassociationIndices>{{0}, {1, 2, 3}, {4}, {5}});
    auto wFlatT = RankedTensorType::get({F, C * KH * KW, 1, 1}, wt.getElementType());
    w = tensor::ExpandShapeOp::create(
        b, loc, wFlatT,
        tensor::CollapseShapeOp::create(b, loc, RankedTensorType::get({F, C * KH * KW}, wt.getElementType()), w,
                                        SmallVector<ReassociationIndices>{{0}, {1, 2, 3}}),
        SmallVector<ReassociationIndices>{{0}, {1, 2, 3}});
    xt = rtt(x);
    wt = rtt(w);
    unitStrides.assign({1, 1});
    strides = unitStrides;
    unitDil.assign({1, 1});
    dil = unitDil;
  }
  auto sAttr = b.getI64TensorAttr(strides);
  auto dAttr = b.getI64TensorAttr(dil);
  if (groups == 1) {
    Value init = convInit(b, loc, res, dims, bias);
    return linalg::Conv2DNchwFchwOp::create(b, loc, TypeRange{res}, ValueRange{x, w},
                                            ValueRange{init}, sAttr, dAttr)
        .getResult(0);
  }
  assert(C != kDyn && F != kDyn && "grouped convolution needs static channel counts");
  if (groups == C && F == C && wt.getDimSize(1) == 1) {
    // Depthwise: filter [C, 1, kh, kw] -> [C, kh, kw].
    auto fType = RankedTensorType::get({C, wt.getDimSize(2), wt.getDimSize(3)}, wt.getElementType());
    Value f = tensor::CollapseShapeOp::create(b, loc, fType, w,
                                              SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}});
    Value init = convInit(b, loc, res, dims, bias);
    return linalg::DepthwiseConv2DNchwChwOp::create(b, loc, TypeRange{res}, ValueRange{x, f},
                                                    ValueRange{init}, sAttr, dAttr)
        .getResult(0);
  }
  // General groups: [N, G, C/G, H, W] x [G, F/G, C/G, kh, kw] -> [N, G, F/G, OH, OW].
  int64_t G = groups;
  // Static sizes must be attributes in expand_shape's output_shape.
  auto ofr = [&](int64_t staticSize, Value v) -> OpFoldResult {
    return ShapedType::isDynamic(staticSize) ? OpFoldResult(v) : OpFoldResult(b.getIndexAttr(staticSize));
  };
  SmallVector<OpFoldResult> xs{ofr(xt.getDimSize(0), dims[0]), b.getIndexAttr(G), b.getIndexAttr(C / G)};
  for (int64_t i = 2; i < 4; ++i)
    xs.push_back(xt.isDynamicDim(i) ? OpFoldResult(dimOf(b, loc, x, i)) : OpFoldResult(b.getIndexAttr(xt.getDimSize(i))));
  auto xgT = RankedTensorType::get({xt.getDimSize(0), G, C / G, xt.getDimSize(2), xt.getDimSize(3)},
                                   xt.getElementType());
  Value xg = tensor::ExpandShapeOp::create(b, loc, xgT, x,
                                           SmallVector<ReassociationIndices>{{0}, {1, 2}, {3}, {4}}, xs);
  auto wgT = RankedTensorType::get({G, F / G, wt.getDimSize(1), wt.getDimSize(2), wt.getDimSize(3)},
                                   wt.getElementType());
  Value wg = tensor::ExpandShapeOp::create(b, loc, wgT, w,
                                           SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}, {4}});
  auto rgT = RankedTensorType::get({res.getDimSize(0), G, F / G, res.getDimSize(2), res.getDimSize(3)},
                                   res.getElementType());
  Value init = convInit(b, loc, res, dims, bias);
  SmallVector<OpFoldResult> rs{ofr(res.getDimSize(0), dims[0]), b.getIndexAttr(G), b.getIndexAttr(F / G),
                               ofr(res.getDimSize(2), dims[2]), ofr(res.getDimSize(3), dims[3])};
  Value initG = tensor::ExpandShapeOp::create(b, loc, rgT, init,
                                              SmallVector<ReassociationIndices>{{0}, {1, 2}, {3}, {4}}, rs);
  Value r = linalg::Conv2DNgchwGfchwOp::create(b, loc, TypeRange{rgT}, ValueRange{xg, wg},
                                               ValueRange{initG}, sAttr, dAttr)
                .getResult(0);
  return tensor::CollapseShapeOp::create(b, loc, res, r, SmallVector<ReassociationIndices>{{0}, {1, 2}, {3}, {4}});
}

/// Whether convGenericND handles filter type `wt`, `G` groups and result
/// type `res`: static channels, kernel and output spatial dims.
bool genericConvIsStatic(RankedTensorType wt, int64_t G, RankedTensorType res) {
  int64_t F = wt.getDimSize(0), Cg = wt.getDimSize(1);
  return F != kDyn && Cg != kDyn && F % G == 0 &&
         !llvm::any_of(res.getShape().drop_front(1), ShapedType::isDynamic) &&
         !llvm::any_of(wt.getShape().drop_front(2), ShapedType::isDynamic);
}

/// N-d grouped convolution on an already padded input as one linalg.generic
/// over (n, g, f, out..., c, window...): x[n, g*Cg + c, o*s + k*d] *
/// w[g*Fg + f, c, k], accumulated into [N, G, Fg, out...] (bias-initialised)
/// and collapsed to [N, F, out...].  Needs static channels and spatial
/// result dims (genericConvIsStatic).
/// Integer operands narrower than the result are widened in the body:
/// the input zero-extended when `xUnsigned`, else sign-extended, the filter
/// sign-extended (nn.qconv's i8 x i8 -> i32).
Value convGenericND(OpBuilder &b, Location loc, Value xp, Value w, Value bias, ArrayRef<int64_t> strides,
                    ArrayRef<int64_t> dil, int64_t G, RankedTensorType res, bool xUnsigned = false) {
  auto wt = rtt(w);
  int64_t ns = res.getRank() - 2;
  int64_t F = wt.getDimSize(0), Cg = wt.getDimSize(1);
  assert(genericConvIsStatic(wt, G, res) && "convGenericND needs static shapes");
  int64_t Fg = F / G;
  Type et = res.getElementType();
  SmallVector<int64_t> gshape{res.getDimSize(0), G, Fg};
  gshape.append(res.getShape().begin() + 2, res.getShape().end());
  auto gT = RankedTensorType::get(gshape, et);
  SmallVector<Value> gdims{dimOf(b, loc, xp, 0), cIdx(b, loc, G), cIdx(b, loc, Fg)};
  for (int64_t i = 0; i < ns; ++i)
    gdims.push_back(cIdx(b, loc, res.getDimSize(2 + i)));
  int64_t gr = gT.getRank();
  Value init = empty(b, loc, gT, gdims);
  if (bias) {
    AffineMap bm = AffineMap::get(gr, 0, {b.getAffineDimExpr(1) * Fg + b.getAffineDimExpr(2)}, b.getContext());
    init = linalg::GenericOp::create(b, loc, TypeRange{gT}, ValueRange{bias}, ValueRange{init},
                                     SmallVector<AffineMap>{bm, b.getMultiDimIdentityMap(gr)},
                                     SmallVector<utils::IteratorType>(gr, utils::IteratorType::parallel),
                                     [](OpBuilder &nb, Location nl, ValueRange a) { linalg::YieldOp::create(nb, nl, a[0]); })
               .getResult(0);
  } else {
    init = fillTensor(b, loc, init, scalar(b, loc, et, 0));
  }
  int64_t R = 4 + 2 * ns;
  auto D = [&](int64_t i) { return b.getAffineDimExpr(i); };
  SmallVector<AffineExpr> xe{D(0), D(1) * Cg + D(3 + ns)}, we{D(1) * Fg + D(2), D(3 + ns)}, oe{D(0), D(1), D(2)};
  for (int64_t i = 0; i < ns; ++i) {
    xe.push_back(D(3 + i) * strides[i] + D(4 + ns + i) * dil[i]);
    we.push_back(D(4 + ns + i));
    oe.push_back(D(3 + i));
  }
  SmallVector<AffineMap> maps{AffineMap::get(R, 0, xe, b.getContext()), AffineMap::get(R, 0, we, b.getContext()),
                              AffineMap::get(R, 0, oe, b.getContext())};
  SmallVector<utils::IteratorType> iters(3 + ns, utils::IteratorType::parallel);
  iters.append(1 + ns, utils::IteratorType::reduction);
  bool isFloat = isa<FloatType>(et);
  Value r = linalg::GenericOp::create(
                b, loc, TypeRange{gT}, ValueRange{xp, w}, ValueRange{init}, maps, iters,
                [&](OpBuilder &nb, Location nl, ValueRange a) {
                  Value x = a[0], f = a[1];
                  if (!isFloat && x.getType() != et)
                    x = xUnsigned ? (Value)arith::ExtUIOp::create(nb, nl, et, x)
                                  : (Value)arith::ExtSIOp::create(nb, nl, et, x);
                  if (!isFloat && f.getType() != et)
                    f = arith::ExtSIOp::create(nb, nl, et, f);
                  Value v = isFloat ? (Value)arith::AddFOp::create(nb, nl, a[2], arith::MulFOp::create(nb, nl, x, f))
                                    : (Value)arith::AddIOp::create(nb, nl, a[2], arith::MulIOp::create(nb, nl, x, f));
                  linalg::YieldOp::create(nb, nl, v);
                })
                .getResult(0);
  SmallVector<ReassociationIndices> re{{0}, {1, 2}};
  for (int64_t i = 0; i < ns; ++i)
    re.push_back({3 + i});
  return tensor::CollapseShapeOp::create(b, loc, res, r, re);
}

/// Average-pool divisor per output position (compile time, any rank): the
/// number of window elements inside the input (or inside the input plus
/// the explicit pads with count_include_pad).
SmallVector<double> poolDivisors(ArrayRef<int64_t> in, ArrayRef<int64_t> out, ArrayRef<int64_t> k,
                                 ArrayRef<int64_t> s, ArrayRef<int64_t> d, ArrayRef<int64_t> pads,
                                 ArrayRef<int64_t> ep, bool cip) {
  int64_t ns = in.size(), nOut = 1, nK = 1;
  for (int64_t i = 0; i < ns; ++i) {
    nOut *= out[i];
    nK *= k[i];
  }
  SmallVector<double> div(nOut);
  for (int64_t o = 0; o < nOut; ++o) {
    SmallVector<int64_t> oi(ns);
    for (int64_t i = ns - 1, rem = o; i >= 0; --i) {
      oi[i] = rem % out[i];
      rem /= out[i];
    }
    int64_t cnt = 0;
    for (int64_t kk = 0; kk < nK; ++kk) {
      bool inInput = true, inExplicit = true;
      for (int64_t i = ns - 1, rem = kk; i >= 0; --i) {
        int64_t ki = rem % k[i];
        rem /= k[i];
        int64_t h = oi[i] * s[i] + ki * d[i] - pads[i];
        inInput &= h >= 0 && h < in[i];
        inExplicit &= h >= -ep[i] && h < in[i] + ep[i + ns];
      }
      if (cip ? inExplicit : inInput)
        ++cnt;
    }
    div[o] = std::max<int64_t>(cnt, 1);
  }
  return div;
}

/// Divides the window sums `r` (of type `res`, NC + spatial) by the divisors
/// of poolDivisors: one scalar when they are all equal, else a constant
/// [1, 1, spatial...] tensor.
Value divideByPoolDivisors(OpBuilder &b, Location loc, Value r, RankedTensorType res,
                           ArrayRef<double> div) {
  Type et = res.getElementType();
  if (llvm::all_of(div, [&](double v) { return v == div[0]; }))
    return divScalar(b, loc, r, scalar(b, loc, et, div[0]));
  SmallVector<int64_t> dshape{1, 1};
  dshape.append(res.getShape().begin() + 2, res.getShape().end());
  auto dT = RankedTensorType::get(dshape, et);
  SmallVector<APFloat> vals;
  for (double v : div) {
    APFloat f(v);
    bool lost;
    f.convert(cast<FloatType>(et).getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
    vals.push_back(f);
  }
  Value dv = arith::ConstantOp::create(b, loc, dT, DenseElementsAttr::get(dT, vals));
  return elementwise(b, loc, res, ValueRange{r, dv}, [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
    return arith::DivFOp::create(nb, nl, a[0], a[1]);
  });
}

/// Divides the window sums `r` (NCHW, `res`) of a 2-D average pool over
/// `x` with a run-time height or width by each output position's divisor,
/// computed in the same loop: the window is a box, so its count is the
/// product over h and w of the taps inside [lo, hi), lo = 0 and hi = the
/// input size (with count_include_pad: -explicit begin pad and the input
/// size + explicit end pad).  Taps of one dim are base + t*d, t in [0, k),
/// base = o*s - pad: first = ceil((lo - base) / d), last = floor((hi - 1 -
/// base) / d), clamped to [0, k - 1].  The same count as poolDivisors.
Value divideByRunTimePoolDivisors(OpBuilder &b, Location loc, Value r, Value x, RankedTensorType res,
                                  ArrayRef<int64_t> k, ArrayRef<int64_t> s, ArrayRef<int64_t> d,
                                  ArrayRef<int64_t> pads, ArrayRef<int64_t> ep, bool cip) {
  Type et = res.getElementType();
  SmallVector<Value> dims;
  for (int64_t i = 0; i < 4; ++i)
    dims.push_back(dimOf(b, loc, r, i));
  Value inH = dimOf(b, loc, x, 2), inW = dimOf(b, loc, x, 3);
  return linalg::GenericOp::create(
             b, loc, TypeRange{res}, ValueRange{r}, ValueRange{empty(b, loc, res, dims)},
             SmallVector<AffineMap>(2, b.getMultiDimIdentityMap(4)),
             SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               auto c = [&](int64_t v) { return (Value)arith::ConstantIndexOp::create(nb, nl, v); };
               Value count = c(1);
               for (int64_t i = 0; i < 2; ++i) {
                 Value in = i == 0 ? inH : inW;
                 Value o = linalg::IndexOp::create(nb, nl, 2 + i);
                 Value base = arith::SubIOp::create(nb, nl, arith::MulIOp::create(nb, nl, o, c(s[i])), c(pads[i]));
                 Value lo = c(cip ? -ep[i] : 0);
                 Value hi = cip ? (Value)arith::AddIOp::create(nb, nl, in, c(ep[i + 2])) : in;
                 Value first = arith::CeilDivSIOp::create(nb, nl, arith::SubIOp::create(nb, nl, lo, base), c(d[i]));
                 Value hiMinus = arith::SubIOp::create(nb, nl, arith::SubIOp::create(nb, nl, hi, c(1)), base);
                 Value last = arith::FloorDivSIOp::create(nb, nl, hiMinus, c(d[i]));
                 first = arith::MaxSIOp::create(nb, nl, first, c(0));
                 last = arith::MinSIOp::create(nb, nl, last, c(k[i] - 1));
                 Value n = arith::AddIOp::create(nb, nl, arith::SubIOp::create(nb, nl, last, first), c(1));
                 n = arith::MaxSIOp::create(nb, nl, n, c(0));
                 count = arith::MulIOp::create(nb, nl, count, n);
               }
               count = arith::MaxSIOp::create(nb, nl, count, c(1));
               Value ci = arith::IndexCastOp::create(nb, nl, nb.getI64Type(), count);
               Value f = arith::SIToFPOp::create(nb, nl, et, ci);
               linalg::YieldOp::create(nb, nl, arith::DivFOp::create(nb, nl, a[0], f).getResult());
             })
      .getResult(0);
}

/// Pooling as one linalg.generic over (n, c, out..., window...) for any
/// spatial rank: the max (or sum) of the padded input and, with
/// `withIndices`, the flat index of the max in the unpadded input
/// (storage_order 0: row-major; 1: spatial dims column-major), first max
/// wins.  `res` must have static spatial dims.
SmallVector<Value> poolWindowGeneric(OpBuilder &b, Location loc, Value x, RankedTensorType res,
                                     ArrayRef<int64_t> k, ArrayRef<int64_t> s, ArrayRef<int64_t> d,
                                     ArrayRef<int64_t> pads, bool isMax, bool withIndices,
                                     int64_t storageOrder) {
  auto xt = rtt(x);
  int64_t ns = xt.getRank() - 2, R = 2 + 2 * ns;
  Type et = res.getElementType();
  Value padV = isMax ? lowest(b, loc, et) : scalar(b, loc, et, 0);
  Value xp = padSpatial(b, loc, x, pads, padV);
  SmallVector<Value> dims{dimOf(b, loc, x, 0), dimOf(b, loc, x, 1)};
  for (int64_t i = 2; i < res.getRank(); ++i)
    dims.push_back(cIdx(b, loc, res.getDimSize(i)));
  Value init = fillTensor(b, loc, empty(b, loc, res, dims), padV);
  Value window = tensor::EmptyOp::create(b, loc, k, et);
  SmallVector<AffineExpr> xe{b.getAffineDimExpr(0), b.getAffineDimExpr(1)}, we, oe{b.getAffineDimExpr(0), b.getAffineDimExpr(1)};
  for (int64_t i = 0; i < ns; ++i) {
    xe.push_back(b.getAffineDimExpr(2 + i) * s[i] + b.getAffineDimExpr(2 + ns + i) * d[i]);
    we.push_back(b.getAffineDimExpr(2 + ns + i));
    oe.push_back(b.getAffineDimExpr(2 + i));
  }
  AffineMap om = AffineMap::get(R, 0, oe, b.getContext());
  SmallVector<AffineMap> maps{AffineMap::get(R, 0, xe, b.getContext()), AffineMap::get(R, 0, we, b.getContext()), om};
  SmallVector<utils::IteratorType> iters(2 + ns, utils::IteratorType::parallel);
  iters.append(ns, utils::IteratorType::reduction);
  SmallVector<Value> inits{init};
  SmallVector<Type> types{res};
  if (withIndices) {
    auto it = RankedTensorType::get(res.getShape(), b.getI64Type());
    inits.push_back(fillTensor(b, loc, empty(b, loc, it, dims), scalar(b, loc, b.getI64Type(), 0)));
    types.push_back(it);
    maps.push_back(om);
  }
  bool isFloat = isa<FloatType>(et);
  Value C = dimOf(b, loc, x, 1);
  SmallVector<Value> inDims;
  for (int64_t i = 0; i < ns; ++i)
    inDims.push_back(dimOf(b, loc, x, 2 + i));
  auto g = linalg::GenericOp::create(
      b, loc, types, ValueRange{xp, window}, inits, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange a) {
        if (!isMax) {
          Value sum = isFloat ? (Value)arith::AddFOp::create(nb, nl, a[2], a[0])
                              : (Value)arith::AddIOp::create(nb, nl, a[2], a[0]);
          linalg::YieldOp::create(nb, nl, sum);
          return;
        }
        if (!withIndices) {
          Value m = isFloat ? (Value)arith::MaximumFOp::create(nb, nl, a[2], a[0])
                            : (Value)arith::MaxSIOp::create(nb, nl, a[2], a[0]);
          linalg::YieldOp::create(nb, nl, m);
          return;
        }
        Value gt = isFloat ? (Value)arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT, a[0], a[2])
                           : (Value)arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sgt, a[0], a[2]);
        // Flat index of the element in the unpadded input.
        SmallVector<Value> p;
        for (int64_t i = 0; i < ns; ++i) {
          Value o = linalg::IndexOp::create(nb, nl, 2 + i), w = linalg::IndexOp::create(nb, nl, 2 + ns + i);
          Value v = arith::AddIOp::create(nb, nl, arith::MulIOp::create(nb, nl, o, cIdx(nb, nl, s[i])),
                                          arith::MulIOp::create(nb, nl, w, cIdx(nb, nl, d[i])));
          p.push_back(arith::SubIOp::create(nb, nl, v, cIdx(nb, nl, pads[i])));
        }
        Value n = linalg::IndexOp::create(nb, nl, 0), c = linalg::IndexOp::create(nb, nl, 1);
        Value flat = arith::AddIOp::create(nb, nl, arith::MulIOp::create(nb, nl, n, C), c);
        for (int64_t j = 0; j < ns; ++j) {
          int64_t i = storageOrder ? ns - 1 - j : j;
          flat = arith::AddIOp::create(nb, nl, arith::MulIOp::create(nb, nl, flat, inDims[i]), p[i]);
        }
        Value fi = arith::IndexCastOp::create(nb, nl, nb.getI64Type(), flat);
        linalg::YieldOp::create(nb, nl, ValueRange{arith::SelectOp::create(nb, nl, gt, a[0], a[2]),
                                                   arith::SelectOp::create(nb, nl, gt, fi, a[3])});
      });
  return SmallVector<Value>(g.getResults());
}

/// nn.conv: 1-D and 2-D through the 2-D named ops (plain, depthwise,
/// grouped), 3-D ungrouped through conv_3d_ncdhw_fcdhw, the others through
/// convGenericND; the bias initializes the accumulator, the residual add and
/// activation follow.
FailureOr<Value> lowerBF16Conv(PatternRewriter &b, nn::ConvOp op);

FailureOr<Value> lowerConv(PatternRewriter &b, nn::ConvOp op) {
  if (rtt(op.getInput()).getElementType().isBF16())
    return lowerBF16Conv(b, op);
  Location loc = op.getLoc();
  auto res = rtt(op.getResult());
  int64_t ns = res.getRank() - 2, groups = op.getGroups();
  Type et = res.getElementType();
  Value residual = op.getResidual();
  bool named2D = ns == 1 || ns == 2, named3D = ns == 3 && groups == 1;
  if (residual && !isa<FloatType>(et))
    return b.notifyMatchFailure(op, "a fused residual needs a float result");
  if (named2D && groups != 1 && (rtt(op.getInput()).isDynamicDim(1) || rtt(op.getFilter()).isDynamicDim(0)))
    return b.notifyMatchFailure(op, "grouped convolution needs static channel counts");
  if (named3D && llvm::any_of(res.getShape().drop_front(), ShapedType::isDynamic))
    return b.notifyMatchFailure(op, "3-D convolution needs static spatial dims");
  if (!named2D && !named3D && !genericConvIsStatic(rtt(op.getFilter()), groups, res))
    return b.notifyMatchFailure(op, "convolution needs static channels, kernel and output spatial dims");
  Value x = padSpatial(b, loc, op.getInput(), op.getPads(), scalar(b, loc, et, 0));
  Value r;
  if (ns == 2) {
    r = conv2D(b, loc, x, op.getFilter(), op.getBias(), op.getStrides(), op.getDilations(), groups, res);
  } else if (ns == 1) {
    Value x2 = expandTo2D(b, loc, x, true), w2 = expandTo2D(b, loc, op.getFilter(), false);
    auto r2 = RankedTensorType::get({res.getDimSize(0), res.getDimSize(1), 1, res.getDimSize(2)}, et);
    r = conv2D(b, loc, x2, w2, op.getBias(), {1, op.getStrides()[0]}, {1, op.getDilations()[0]}, groups, r2);
    r = applyAct(b, loc, op, r, residual ? expandTo2D(b, loc, residual, true) : Value());
    return collapseFrom2D(b, loc, r);
  } else if (named3D) {
    SmallVector<Value> dims{dimOf(b, loc, x, 0)};
    for (int64_t i = 1; i < 5; ++i)
      dims.push_back(cIdx(b, loc, res.getDimSize(i)));
    Value init = convInit(b, loc, res, dims, op.getBias());
    r = linalg::Conv3DNcdhwFcdhwOp::create(b, loc, TypeRange{res}, ValueRange{x, op.getFilter()},
                                           ValueRange{init}, b.getI64TensorAttr(op.getStrides()),
                                           b.getI64TensorAttr(op.getDilations()))
            .getResult(0);
  } else {
    r = convGenericND(b, loc, x, op.getFilter(), op.getBias(), op.getStrides(), op.getDilations(), groups, res);
  }
  return unfusedEpilogue(b, loc, op, r);
}

/// Output rows narrower than this take nn.qconv's gathered windows instead
/// of the direct form: the direct kernel's vectors are one output row (7 of
/// 16 lanes at 7x7), the windows' pixels run across rows.
constexpr int64_t kInt8DirectMinWidth = 12;

} // namespace

Value kiln::nn_to_linalg::kernelConv2D(OpBuilder &b, Location loc, Value x, Value w, function_ref<Value()> wMat,
                                       ArrayRef<int64_t> st, ArrayRef<int64_t> dl, RankedTensorType res,
                                       ProductKind kind) {
  MLIRContext *ctx = b.getContext();
  auto D = [&](int64_t i) { return b.getAffineDimExpr(i); };
  Type at = productAccType(b, kind);
  auto xt = rtt(x), wt = rtt(w);
  Type et = xt.getElementType();
  int64_t F = wt.getDimSize(0), C = wt.getDimSize(1), KH = wt.getDimSize(2), KW = wt.getDimSize(3),
          OH = res.getDimSize(2), OW = res.getDimSize(3), per = C * KH * KW;
  auto colsT = RankedTensorType::get({xt.getDimSize(0), per, OH * OW}, et);
  Value cols;
  if (KH * KW > 1 && st[0] == 1 && st[1] == 1 && C >= 4 && OW >= kInt8DirectMinWidth) {
    // Stride 1: the product reads the padded input directly, one
    // linalg.generic over (n, f, oh, ow, c, kh, kw) with the filter first
    // (the CPU's direct convolution kernel, which takes channels in fours
    // (int8) or pairs (bf16): with fewer, the gathered windows below waste
    // less).
    auto accT = res.clone(at);
    SmallVector<Value> dims{dimOf(b, loc, x, 0)};
    for (int64_t i = 1; i < 4; ++i)
      dims.push_back(cIdx(b, loc, res.getDimSize(i)));
    Value init = fillTensor(b, loc, empty(b, loc, accT, dims), scalar(b, loc, at, 0));
    SmallVector<utils::IteratorType> iters(4, utils::IteratorType::parallel);
    iters.append(3, utils::IteratorType::reduction);
    return linalg::GenericOp::create(
               b, loc, TypeRange{accT}, ValueRange{w, x}, ValueRange{init},
               SmallVector<AffineMap>{AffineMap::get(7, 0, {D(1), D(4), D(5), D(6)}, ctx),
                                      AffineMap::get(7, 0, {D(0), D(4), D(2) + D(5) * dl[0], D(3) + D(6) * dl[1]}, ctx),
                                      AffineMap::get(7, 0, {D(0), D(1), D(2), D(3)}, ctx)},
               iters, [&](OpBuilder &nb, Location nl, ValueRange v) { yieldProduct(nb, nl, v[0], v[1], v[2], kind); })
        .getResult(0);
  }
  if (KH == 1 && KW == 1 && st[0] == 1 && st[1] == 1 && xt.getDimSize(2) == OH && xt.getDimSize(3) == OW) {
    // A 1x1 stride-1 convolution reads the image as it is: [N, C, H * W].
    cols = tensor::CollapseShapeOp::create(b, loc, colsT, x, SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
  } else {
    // cols[n, c, kh, kw, oh, ow] = x[n, c, oh*s + kh*d, ow*s + kw*d]: the
    // output row innermost (contiguous reads at stride 1).
    auto colT = RankedTensorType::get({xt.getDimSize(0), C, KH, KW, OH, OW}, et);
    SmallVector<Value> dyn;
    if (xt.isDynamicDim(0))
      dyn.push_back(dimOf(b, loc, x, 0));
    Value g = linalg::GenericOp::create(
                  b, loc, TypeRange{colT}, ValueRange{x}, ValueRange{tensor::EmptyOp::create(b, loc, colT, dyn)},
                  SmallVector<AffineMap>{AffineMap::get(6, 0, {D(0), D(1), D(4) * st[0] + D(2) * dl[0], D(5) * st[1] + D(3) * dl[1]}, ctx),
                                         b.getMultiDimIdentityMap(6)},
                  SmallVector<utils::IteratorType>(6, utils::IteratorType::parallel),
                  [](OpBuilder &nb, Location nl, ValueRange a) { linalg::YieldOp::create(nb, nl, a[0]); })
                  .getResult(0);
    cols = tensor::CollapseShapeOp::create(b, loc, colsT, g, SmallVector<ReassociationIndices>{{0}, {1, 2, 3}, {4, 5}});
  }
  Value acc3 = int8WeightsProduct(b, loc, wMat(), cols, kind);
  SmallVector<OpFoldResult> os{xt.isDynamicDim(0) ? OpFoldResult(dimOf(b, loc, x, 0)) : OpFoldResult(b.getIndexAttr(xt.getDimSize(0))),
                               b.getIndexAttr(F), b.getIndexAttr(OH), b.getIndexAttr(OW)};
  return tensor::ExpandShapeOp::create(b, loc, res.clone(at), acc3, SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}},
                                       os);
}

namespace {

/// nn.conv on bf16 input and filter with an f32 result (kiln-nn-quantize's
/// bf16 layers): an ungrouped 2-D convolution with a constant filter
/// accumulates its products in f32 in the kernel forms of nn.qconv
/// (kernelConv2D: the CPU's bf16 micro-kernels), then adds the bias, the
/// residual and the activation.  Other convolutions extend both operands
/// to f32 (exact) and take the float lowering.
FailureOr<Value> lowerBF16Conv(PatternRewriter &b, nn::ConvOp op) {
  Location loc = op.getLoc();
  auto res = rtt(op.getResult());
  auto xt = rtt(op.getInput()), wt = rtt(op.getFilter());
  Type bf16 = b.getBF16Type();
  if (!res.getElementType().isF32() || xt.getElementType() != bf16 || wt.getElementType() != bf16)
    return b.notifyMatchFailure(op, "a bf16 convolution needs bf16 input and filter and an f32 result");
  Value filter = op.getFilter();
  // The filter as [F, C*KH*KW] (the same data), for the gathered windows.
  Value wm;
  if (res.getRank() == 4 && op.getGroups() == 1 && wt.hasStaticShape() && genericConvIsStatic(wt, 1, res))
    wm = retypedConstant(b, loc, filter, RankedTensorType::get({wt.getDimSize(0), wt.getNumElements() / wt.getDimSize(0)}, bf16));
  if (!wm) {
    // (The float op is lowered here: the walk that lowers nn ops does not
    // visit the ops a lowering creates.)
    auto f = nn::ConvOp::create(b, loc, res, extendToF32(b, loc, op.getInput()), extendToF32(b, loc, filter),
                                op.getBias(), op.getResidual(), op.getStridesAttr(), op.getDilationsAttr(),
                                op.getPadsAttr(), op.getGroupsAttr(), op.getActAttr(), op.getActAlphaAttr(),
                                op.getActBetaAttr());
    FailureOr<Value> r = lowerConv(b, f);
    b.eraseOp(f);
    return r;
  }
  Value x = padSpatial(b, loc, op.getInput(), op.getPads(), scalar(b, loc, bf16, 0));
  auto wMat = [&] { return wm; };
  Value acc = kernelConv2D(b, loc, x, filter, wMat, op.getStrides(), op.getDilations(), res, ProductKind::BF16);
  if (Value bias = op.getBias())
    acc = combinePerChannel(b, loc, acc, bias, 1);
  return applyAct(b, loc, op, acc, op.getResidual());
}

/// nn.qconv: the int32 accumulator of the (zero-point padded) quantized
/// input and the int8 filter, then the dequantizing epilogue y =
/// float(acc - zp * sum(w[f])) * (sx * sw[f]) + bias[f] (the zero point's
/// contribution is one constant per channel: the padding holds the zero
/// point too), then the residual add and activation.  Ungrouped 2-D
/// convolutions take the kernel forms (kernelConv2D); other convolutions
/// accumulate in one linalg.generic (convGenericND).
FailureOr<Value> lowerQConv(PatternRewriter &b, nn::QConvOp op) {
  Location loc = op.getLoc();
  auto res = rtt(op.getResult());
  auto wt = rtt(op.getFilter());
  int64_t groups = op.getGroups(), r = res.getRank(), ns = r - 2;
  if (!genericConvIsStatic(wt, groups, res))
    return b.notifyMatchFailure(op, "int8 convolution needs static channels, kernel and output spatial dims");
  int64_t F = wt.getDimSize(0), per = wt.getNumElements() / F;
  Type i8 = b.getI8Type(), i32 = b.getI32Type();
  int64_t zp = op.getInputZeroPoint();
  bool u = op.getInputUnsigned();
  SmallVector<int8_t> w;
  SmallVector<float> ws;
  if (!readI8Constant(op.getFilter(), w) || !readF32Constant(op.getFilterScale(), ws) || (int64_t)ws.size() != F)
    return b.notifyMatchFailure(op, "int8 convolution needs a constant filter and filter scale");
  SmallVector<int64_t> wsum(F, 0);
  for (int64_t f = 0; f < F; ++f)
    for (int64_t i = 0; i < per; ++i)
      wsum[f] += w[f * per + i];
  if (ns == 2 && per <= 64 && groups == F && wt.getDimSize(1) == 1 && res.getElementType().isF32()) {
    // Depthwise (kiln-nn-quantize's int8 depthwise layers, whose input is
    // signed; QDQ and QLinearConv ones, whose input may be uint8, first
    // moved to int8 by one xor with 0x80, the zero point by -128): the
    // depthwise convolution of the int8 rows and the int8 filter, both
    // converted to f32 (sitofp), into an f32 accumulator starting at
    // -zp * sum(w[c]), which the CPU's depthwise micro-kernel runs on int8
    // rows.  Every product and partial sum is an integer below 2^24 in
    // magnitude (at most 64 taps of 128 * 127, plus the start), so the f32
    // accumulator is the exact int32 one; the epilogue y = acc * (sx *
    // sw[c]) + bias[c] is then dequantEpilogue's.
    Value in = op.getInput();
    if (u) {
      auto it = rtt(in);
      in = elementwise(b, loc, it, ValueRange{in}, [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        return arith::XOrIOp::create(nb, nl, a[0], arith::ConstantOp::create(nb, nl, nb.getIntegerAttr(i8, -128)));
      });
      zp -= 128;
    }
    Value x = padSpatial(b, loc, in, op.getPads(), arith::ConstantOp::create(b, loc, b.getIntegerAttr(i8, (int8_t)zp)));
    SmallVector<float> start, scale;
    float sx = op.getInputScale().convertToFloat();
    for (int64_t f = 0; f < F; ++f) {
      start.push_back(-float(zp * wsum[f]));
      scale.push_back(sx * ws[f]);
    }
    Type f32 = b.getF32Type();
    auto chanT = RankedTensorType::get({F}, f32);
    Value acc = conv2D(b, loc, x, op.getFilter(), kiln::makeF32Constant(b, loc, chanT, start, "qconv_depthwise_start"),
                       op.getStrides(), op.getDilations(), groups, res);
    SmallVector<Value> dims{dimOf(b, loc, op.getInput(), 0)};
    for (int64_t i = 1; i < r; ++i)
      dims.push_back(cIdx(b, loc, res.getDimSize(i)));
    AffineMap chan = AffineMap::get(r, 0, {b.getAffineDimExpr(1)}, b.getContext());
    Value y = linalg::GenericOp::create(
                  b, loc, TypeRange{res},
                  ValueRange{acc, kiln::makeF32Constant(b, loc, chanT, scale, "dequant_scales"),
                             op.getBias() ? op.getBias()
                                          : kiln::makeF32Constant(b, loc, chanT, SmallVector<float>(F, 0.f),
                                                                  "qconv_depthwise_bias")},
                  ValueRange{empty(b, loc, res, dims)},
                  SmallVector<AffineMap>{b.getMultiDimIdentityMap(r), chan, chan, b.getMultiDimIdentityMap(r)},
                  SmallVector<utils::IteratorType>(r, utils::IteratorType::parallel),
                  [&](OpBuilder &nb, Location nl, ValueRange a) {
                    Value v = arith::MulFOp::create(nb, nl, a[0], a[1]);
                    linalg::YieldOp::create(nb, nl, arith::AddFOp::create(nb, nl, v, a[2]).getResult());
                  })
                  .getResult(0);
    // (A cheap post op the CPU's depthwise kernel applies in registers.)
    y.getDefiningOp()->setAttr(kEpilogueAttr, b.getUnitAttr());
    return applyAct(b, loc, op, y, op.getResidual());
  }
  Value x = padSpatial(b, loc, op.getInput(), op.getPads(), arith::ConstantOp::create(b, loc, b.getIntegerAttr(i8, (int8_t)zp)));
  Value acc;
  AffineMap accMap = b.getMultiDimIdentityMap(r);
  if (ns == 2 && groups == 1) {
    // The filter as [F, C*KH*KW] (the same row-major data).
    auto wMat = [&]() -> Value { return makeI8Constant(b, loc, RankedTensorType::get({F, per}, i8), w, "qconv_filter"); };
    acc = kernelConv2D(b, loc, x, op.getFilter(), wMat, op.getStrides(), op.getDilations(), res,
                       u ? ProductKind::U8 : ProductKind::S8);
  } else {
    acc = convGenericND(b, loc, x, op.getFilter(), Value(), op.getStrides(), op.getDilations(), groups,
                        res.clone(i32), u);
  }
  if (res.getElementType().isInteger(32)) {
    // The exact accumulators (ConvInteger): acc - zp * sum(w[f]).
    if (zp == 0)
      return acc;
    SmallVector<int32_t> comp;
    for (int64_t f = 0; f < F; ++f)
      comp.push_back(int32_t(zp * wsum[f]));
    auto compT = RankedTensorType::get({F}, i32);
    Value c = arith::ConstantOp::create(b, loc, compT, DenseElementsAttr::get(compT, ArrayRef<int32_t>(comp)));
    return combinePerChannel(b, loc, acc, c, 1);
  }
  SmallVector<Value> dims{dimOf(b, loc, op.getInput(), 0)};
  for (int64_t i = 1; i < r; ++i)
    dims.push_back(cIdx(b, loc, res.getDimSize(i)));
  Value y = dequantEpilogue(b, loc, acc, accMap, wsum, zp, op.getInputScale().convertToFloat(), ws, op.getBias(),
                            res, 1, dims);
  return applyAct(b, loc, op, y, op.getResidual());
}

/// N-d transposed convolution (3 or more spatial dims): the input is
/// dilated by the strides, padded by d * (k - 1) - pad (negative: cropped;
/// output_padding extends the end), and convolved with the spatially flipped
/// filter, whose [C, F/G] dims are swapped per group.
FailureOr<Value> lowerConvTransposeND(PatternRewriter &b, nn::ConvTransposeOp op) {
  Location loc = op.getLoc();
  auto res = rtt(op.getResult());
  auto xt = rtt(op.getInput()), wt = rtt(op.getFilter());
  int64_t ns = res.getRank() - 2;
  if (!wt.hasStaticShape() || llvm::any_of(xt.getShape().drop_front(), ShapedType::isDynamic))
    return b.notifyMatchFailure(op, "transposed convolution needs static channel and spatial dims");
  // convGenericND's requirement (genericConvIsStatic): the flipped filter is
  // static, the result dims must be.
  if (llvm::any_of(res.getShape().drop_front(), ShapedType::isDynamic))
    return b.notifyMatchFailure(op, "convolution needs static channels, kernel and output spatial dims");
  Type et = res.getElementType();
  Value x = op.getInput(), w = op.getFilter();
  ArrayRef<int64_t> strides = op.getStrides(), dil = op.getDilations(), pads = op.getPads(),
                    opad = op.getOutputPadding();
  int64_t G = op.getGroups(), C = wt.getDimSize(0), Fg = wt.getDimSize(1);
  // 1. Dilate the input by the strides.
  SmallVector<int64_t> upShape{xt.getDimSize(0), C};
  SmallVector<Value> upDims{dimOf(b, loc, x, 0), cIdx(b, loc, C)};
  SmallVector<OpFoldResult> offs(ns + 2, b.getIndexAttr(0)), sizes{mixedDim(b, loc, x, 0), b.getIndexAttr(C)},
      strd{b.getIndexAttr(1), b.getIndexAttr(1)};
  for (int64_t i = 0; i < ns; ++i) {
    int64_t in = xt.getDimSize(2 + i);
    upShape.push_back((in - 1) * strides[i] + 1);
    upDims.push_back(cIdx(b, loc, upShape.back()));
    sizes.push_back(b.getIndexAttr(in));
    strd.push_back(b.getIndexAttr(strides[i]));
  }
  auto upT = RankedTensorType::get(upShape, et);
  Value up = fillTensor(b, loc, empty(b, loc, upT, upDims), scalar(b, loc, et, 0));
  up = tensor::InsertSliceOp::create(b, loc, x, up, offs, sizes, strd);
  // 2. Pad by d * (k - 1) - pad; negative amounts crop.
  SmallVector<int64_t> padPos(2 * ns), crop(2 * ns);
  for (int64_t i = 0; i < ns; ++i) {
    int64_t ek = dil[i] * (wt.getDimSize(2 + i) - 1);
    int64_t lo = ek - pads[i], hi = ek - pads[i + ns] + opad[i];
    padPos[i] = std::max<int64_t>(0, lo);
    padPos[i + ns] = std::max<int64_t>(0, hi);
    crop[i] = std::max<int64_t>(0, -lo);
    crop[i + ns] = std::max<int64_t>(0, -hi);
  }
  Value xp = padSpatial(b, loc, up, padPos, scalar(b, loc, et, 0));
  if (llvm::any_of(crop, [](int64_t c) { return c != 0; })) {
    auto pt = rtt(xp);
    SmallVector<int64_t> cs{pt.getDimSize(0), C};
    SmallVector<OpFoldResult> o(2, b.getIndexAttr(0)), s{mixedDim(b, loc, xp, 0), b.getIndexAttr(C)},
        one(ns + 2, b.getIndexAttr(1));
    for (int64_t i = 0; i < ns; ++i) {
      cs.push_back(pt.getDimSize(2 + i) - crop[i] - crop[i + ns]);
      o.push_back(b.getIndexAttr(crop[i]));
      s.push_back(b.getIndexAttr(cs.back()));
    }
    xp = tensor::ExtractSliceOp::create(b, loc, RankedTensorType::get(cs, et), xp, o, s, one);
  }
  // 3. Filter [C, F/G, k...] -> flipped [F, C/G, k...]:
  //    W'[g*Fg + f, c, i...] = W[g*Cg + c, f, (k-1-i)...].
  int64_t Cg = C / G, F = Fg * G;
  SmallVector<int64_t> wfShape{F, Cg};
  for (int64_t i = 0; i < ns; ++i)
    wfShape.push_back(wt.getDimSize(2 + i));
  auto wfT = RankedTensorType::get(wfShape, et);
  int64_t wr = wfT.getRank();
  Value wf = linalg::GenericOp::create(
                 b, loc, TypeRange{wfT}, ValueRange{}, ValueRange{empty(b, loc, wfT, {})},
                 SmallVector<AffineMap>{b.getMultiDimIdentityMap(wr)},
                 SmallVector<utils::IteratorType>(wr, utils::IteratorType::parallel),
                 [&](OpBuilder &nb, Location nl, ValueRange) {
                   Value o = linalg::IndexOp::create(nb, nl, 0), c = linalg::IndexOp::create(nb, nl, 1);
                   Value g = arith::DivUIOp::create(nb, nl, o, cIdx(nb, nl, Fg));
                   Value f = arith::RemUIOp::create(nb, nl, o, cIdx(nb, nl, Fg));
                   Value cin = arith::AddIOp::create(nb, nl, arith::MulIOp::create(nb, nl, g, cIdx(nb, nl, Cg)), c);
                   SmallVector<Value> idx{cin, f};
                   for (int64_t i = 0; i < ns; ++i)
                     idx.push_back(arith::SubIOp::create(nb, nl, cIdx(nb, nl, wfShape[2 + i] - 1),
                                                         linalg::IndexOp::create(nb, nl, 2 + i)));
                   linalg::YieldOp::create(nb, nl, tensor::ExtractOp::create(nb, nl, w, idx).getResult());
                 })
                 .getResult(0);
  SmallVector<int64_t> ones(ns, 1);
  return convGenericND(b, loc, xp, wf, op.getBias(), ones, dil, G, res);
}

/// The filter of a 2-D transposed convolution [C, F/G, kh, kw] (row-major
/// `w`) as the filter of the convolution that computes its output positions
/// o = s * q + a along each dim: taps k = r + s * t (r = (a + pad) mod s,
/// t < T), flipped: W'[g*Fg + f, c, u, v] = W[g*Cg + c, f, ry + sy*(Ty-1-u),
/// rx + sx*(Tx-1-v)], [F, C/G, Ty, Tx].  With s = 1 and r = 0: the whole
/// flipped filter.
SmallVector<float> transposedConvSubFilter(ArrayRef<float> w, int64_t C, int64_t Fg, int64_t G, int64_t kh,
                                           int64_t kw, int64_t ry, int64_t sy, int64_t Ty, int64_t rx, int64_t sx,
                                           int64_t Tx) {
  int64_t Cg = C / G, F = Fg * G;
  SmallVector<float> out(size_t(F * Cg * Ty * Tx));
  for (int64_t o = 0; o < F; ++o)
    for (int64_t c = 0; c < Cg; ++c)
      for (int64_t u = 0; u < Ty; ++u)
        for (int64_t v = 0; v < Tx; ++v) {
          int64_t g = o / Fg, f = o % Fg, ky = ry + sy * (Ty - 1 - u), kx = rx + sx * (Tx - 1 - v);
          out[((o * Cg + c) * Ty + u) * Tx + v] = w[((g * Cg + c) * Fg + f) * kh * kw + ky * kw + kx];
        }
  return out;
}

/// Pads (positive) or crops (negative) the two spatial dims of an NCHW
/// tensor by p = {top, left, bottom, right}.  A dynamic spatial size is
/// cropped at run time (to at least 0: a negative size, more cropped than
/// there is, is caught by the result-size check of the consumers).
Value padOrCrop(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> p) {
  SmallVector<int64_t> padPos(4), crop(4);
  for (int i = 0; i < 4; ++i) {
    padPos[i] = std::max<int64_t>(0, p[i]);
    crop[i] = std::max<int64_t>(0, -p[i]);
  }
  Value xp = padSpatial(b, loc, x, padPos, scalar(b, loc, rtt(x).getElementType(), 0));
  if (llvm::all_of(crop, [](int64_t c) { return c == 0; }))
    return xp;
  auto pt = rtt(xp);
  SmallVector<int64_t> cs{pt.getDimSize(0), pt.getDimSize(1)};
  SmallVector<OpFoldResult> o{b.getIndexAttr(0), b.getIndexAttr(0), b.getIndexAttr(crop[0]), b.getIndexAttr(crop[1])};
  SmallVector<OpFoldResult> sz{mixedDim(b, loc, xp, 0), b.getIndexAttr(cs[1])};
  for (int64_t i = 2; i < 4; ++i) {
    int64_t c = crop[i - 2] + crop[i];
    if (pt.isDynamicDim(i)) {
      Value v = arith::SubIOp::create(b, loc, dimOf(b, loc, xp, i), cIdx(b, loc, c));
      sz.push_back(arith::MaxSIOp::create(b, loc, v, cIdx(b, loc, 0)).getResult());
      cs.push_back(kDyn);
    } else {
      cs.push_back(pt.getDimSize(i) - c);
      sz.push_back(b.getIndexAttr(cs.back()));
    }
  }
  SmallVector<OpFoldResult> one(4, b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(b, loc, RankedTensorType::get(cs, pt.getElementType()), xp, o, sz, one);
}

/// A strided 2-D transposed convolution with a constant f32 filter and
/// static spatial dims, undilated, computed without the zeros of the
/// dilated input: the outputs o = s * q + a of each phase (a_y, a_x) of the
/// strides are a stride-1 convolution of the input (padded or cropped by
/// phase) with the taps k = r + s * t of the filter (r = (a + pad) mod s),
/// flipped (the sub-pixel decomposition; s_y * s_x convolutions with about
/// 1 / (s_y * s_x) of the filter each, instead of one convolution of the
/// whole filter over an input of s_y * s_x times as many pixels, three in
/// four of them zeros at stride 2).  The phases' results are inserted into
/// the output with strides s; a phase that no tap reaches is the bias.
/// `x` [N, C, H, W], `wv` the filter [C, F/G, kh, kw] row-major.
Value convTransposeSubpixel(OpBuilder &b, Location loc, Value x, ArrayRef<float> wv, Value bias, int64_t G,
                            int64_t Fg, int64_t kh, int64_t kw, ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                            RankedTensorType res) {
  auto xt = rtt(x);
  Type et = res.getElementType();
  int64_t C = xt.getDimSize(1), F = Fg * G, Cg = C / G;
  int64_t K[2] = {kh, kw}, IN[2] = {xt.getDimSize(2), xt.getDimSize(3)};
  int64_t OL[2] = {res.getDimSize(2), res.getDimSize(3)};
  Value n = dimOf(b, loc, x, 0);
  Value out = empty(b, loc, res, {n});
  struct Phase {
    int64_t a, r, T, Q, lo, hi;
  };
  SmallVector<Phase> phases[2];
  for (int d = 0; d < 2; ++d)
    for (int64_t a = 0; a < strides[d]; ++a) {
      Phase ph;
      ph.a = a;
      int64_t s = strides[d], p = pads[d];
      // (a + p) mod s and div s, for a + p >= 0 (pads are >= 0).
      ph.r = (a + p) % s;
      int64_t e = (a + p) / s;
      ph.T = K[d] > ph.r ? (K[d] - ph.r + s - 1) / s : 0;
      ph.Q = a < OL[d] ? (OL[d] - a + s - 1) / s : 0;
      // out[s q + a] = sum_t x[q + e - t] w[r + s t]: a stride-1
      // convolution with the flipped taps over x shifted by T - 1 - e.
      ph.lo = ph.T - 1 - e;
      ph.hi = ph.Q + ph.T - 1 - (IN[d] + ph.lo);
      if (ph.Q > 0)
        phases[d].push_back(ph);
    }
  for (const Phase &py : phases[0])
    for (const Phase &px : phases[1]) {
      auto pt = RankedTensorType::get({res.getDimSize(0), F, py.Q, px.Q}, et);
      SmallVector<Value> dims{n, cIdx(b, loc, F), cIdx(b, loc, py.Q), cIdx(b, loc, px.Q)};
      Value r;
      if (py.T == 0 || px.T == 0) {
        r = convInit(b, loc, pt, dims, bias);
      } else {
        Value xp = padOrCrop(b, loc, x, {py.lo, px.lo, py.hi, px.hi});
        SmallVector<float> sub =
            transposedConvSubFilter(wv, C, Fg, G, kh, kw, py.r, strides[0], py.T, px.r, strides[1], px.T);
        auto wt = RankedTensorType::get({F, Cg, py.T, px.T}, et);
        Value wf = kiln::makeF32Constant(b, loc, wt, sub, "conv_transpose_phase");
        r = conv2D(b, loc, xp, wf, bias, {1, 1}, {1, 1}, G, pt);
      }
      SmallVector<OpFoldResult> offs{b.getIndexAttr(0), b.getIndexAttr(0), b.getIndexAttr(py.a),
                                     b.getIndexAttr(px.a)};
      SmallVector<OpFoldResult> sizes{res.isDynamicDim(0) ? OpFoldResult(n) : OpFoldResult(b.getIndexAttr(res.getDimSize(0))),
                                      b.getIndexAttr(F), b.getIndexAttr(py.Q), b.getIndexAttr(px.Q)};
      SmallVector<OpFoldResult> st{b.getIndexAttr(1), b.getIndexAttr(1), b.getIndexAttr(strides[0]),
                                   b.getIndexAttr(strides[1])};
      out = tensor::InsertSliceOp::create(b, loc, r, out, offs, sizes, st);
    }
  return out;
}

/// nn.conv_transpose with 1 or 2 spatial dims (the others: lowerConvTransposeND):
/// the input dilated by the strides and padded, convolved with the flipped
/// filter by conv2D; with a constant f32 filter, static spatial dims and no
/// dilation, the sub-pixel decomposition (convTransposeSubpixel) instead.
FailureOr<Value> lowerConvTranspose(PatternRewriter &b, nn::ConvTransposeOp op) {
  Location loc = op.getLoc();
  auto res = rtt(op.getResult());
  auto xt = rtt(op.getInput()), wt = rtt(op.getFilter());
  int64_t ns = res.getRank() - 2;
  if (ns != 2 && ns != 1)
    return lowerConvTransposeND(b, op);
  if (!wt.hasStaticShape() || xt.isDynamicDim(1))
    return b.notifyMatchFailure(op, "transposed convolution needs a static filter and input channel count");
  Type et = res.getElementType();
  Value x = op.getInput(), w = op.getFilter();
  SmallVector<int64_t> strides(op.getStrides()), dil(op.getDilations()), pads(op.getPads()),
      opad(op.getOutputPadding());
  if (ns == 1) {
    x = expandTo2D(b, loc, x, true);
    w = expandTo2D(b, loc, w, false);
    strides.insert(strides.begin(), 1);
    dil.insert(dil.begin(), 1);
    opad.insert(opad.begin(), 0);
    pads = {0, pads[0], 0, pads[1]};
    xt = rtt(x);
    wt = rtt(w);
  }
  int64_t G = op.getGroups(), C = wt.getDimSize(0), Fg = wt.getDimSize(1);
  int64_t kh = wt.getDimSize(2), kw = wt.getDimSize(3);
  // A constant f32 filter (the same row-major data for 1-D: [C, F/G, 1, kw]).
  SmallVector<float> wv;
  bool constFilter = et.isF32() && kiln::readF32Constant(op.getFilter(), wv) &&
                     int64_t(wv.size()) == C * Fg * kh * kw;
  bool stridedOnly = strides[0] * strides[1] > 1 && dil[0] == 1 && dil[1] == 1;
  auto r2t = ns == 1 ? RankedTensorType::get({res.getDimSize(0), res.getDimSize(1), 1, res.getDimSize(2)}, et) : res;
  if (constFilter && stridedOnly && !xt.isDynamicDim(2) && !xt.isDynamicDim(3) && !r2t.isDynamicDim(2) &&
      !r2t.isDynamicDim(3) && llvm::all_of(pads, [](int64_t p) { return p >= 0; })) {
    Value r = convTransposeSubpixel(b, loc, x, wv, op.getBias(), G, Fg, kh, kw, strides, {pads[0], pads[1]}, r2t);
    return ns == 1 ? collapseFrom2D(b, loc, r) : r;
  }
  // 1. Dilate the input by the strides: (in - 1) * s + 1 (at run time for
  //    a dynamic height or width; 0 for an empty input).
  SmallVector<int64_t> upShape{xt.getDimSize(0), C};
  SmallVector<Value> upDims{dimOf(b, loc, x, 0), cIdx(b, loc, C)};
  for (int64_t i = 2; i < 4; ++i) {
    int64_t in = xt.getDimSize(i), st = strides[i - 2];
    if (in != kDyn) {
      upShape.push_back(in == 0 ? 0 : (in - 1) * st + 1);
      upDims.push_back(cIdx(b, loc, upShape.back()));
      continue;
    }
    upShape.push_back(kDyn);
    Value v = arith::MulIOp::create(b, loc, dimOf(b, loc, x, i), cIdx(b, loc, st));
    v = arith::SubIOp::create(b, loc, v, cIdx(b, loc, st - 1));
    upDims.push_back(arith::MaxSIOp::create(b, loc, v, cIdx(b, loc, 0)));
  }
  auto upT = RankedTensorType::get(upShape, et);
  Value up = fillTensor(b, loc, empty(b, loc, upT, upDims), scalar(b, loc, et, 0));
  SmallVector<OpFoldResult> offs(4, b.getIndexAttr(0)), sizes{mixedDim(b, loc, x, 0), b.getIndexAttr(C),
                                                             mixedDim(b, loc, x, 2), mixedDim(b, loc, x, 3)},
      strd{b.getIndexAttr(1), b.getIndexAttr(1), b.getIndexAttr(strides[0]), b.getIndexAttr(strides[1])};
  up = tensor::InsertSliceOp::create(b, loc, x, up, offs, sizes, strd);
  // 2. Pad by d*(k-1) - pad (negative: crop).
  Value xp = padOrCrop(b, loc, up,
                       {dil[0] * (kh - 1) - pads[0], dil[1] * (kw - 1) - pads[1],
                        dil[0] * (kh - 1) - pads[2] + opad[0], dil[1] * (kw - 1) - pads[3] + opad[1]});
  // 3. Filter [C, F/G, kh, kw] -> flipped [F, C/G, kh, kw]:
  //    W'[g*Fg + f, c, i, j] = W[g*Cg + c, f, kh-1-i, kw-1-j].
  int64_t Cg = C / G, F = Fg * G;
  auto wfT = RankedTensorType::get({F, Cg, kh, kw}, et);
  Value wInit = empty(b, loc, wfT, {});
  // A constant filter is flipped here (the convolution kernels pack a
  // constant filter; the flip computed at run time was not folded).
  Value wf = constFilter
                 ? kiln::makeF32Constant(b, loc, wfT,
                                         transposedConvSubFilter(wv, C, Fg, G, kh, kw, 0, 1, kh, 0, 1, kw),
                                         "conv_transpose_filter")
                 : linalg::GenericOp::create(
                 b, loc, TypeRange{wfT}, ValueRange{}, ValueRange{wInit},
                 SmallVector<AffineMap>{b.getMultiDimIdentityMap(4)},
                 SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel),
                 [&](OpBuilder &nb, Location nl, ValueRange) {
                   Value o = linalg::IndexOp::create(nb, nl, 0), c = linalg::IndexOp::create(nb, nl, 1);
                   Value i = linalg::IndexOp::create(nb, nl, 2), j = linalg::IndexOp::create(nb, nl, 3);
                   Value g = arith::DivUIOp::create(nb, nl, o, cIdx(nb, nl, Fg));
                   Value f = arith::RemUIOp::create(nb, nl, o, cIdx(nb, nl, Fg));
                   Value cin = arith::AddIOp::create(nb, nl, arith::MulIOp::create(nb, nl, g, cIdx(nb, nl, Cg)), c);
                   Value ii = arith::SubIOp::create(nb, nl, cIdx(nb, nl, kh - 1), i);
                   Value jj = arith::SubIOp::create(nb, nl, cIdx(nb, nl, kw - 1), j);
                   Value v = tensor::ExtractOp::create(nb, nl, w, ValueRange{cin, f, ii, jj});
                   linalg::YieldOp::create(nb, nl, v);
                 })
                       .getResult(0);
  auto r2 = ns == 1 ? RankedTensorType::get({res.getDimSize(0), res.getDimSize(1), 1, res.getDimSize(2)}, et) : res;
  Value r = conv2D(b, loc, xp, wf, op.getBias(), {1, 1}, dil, G, r2);
  return ns == 1 ? collapseFrom2D(b, loc, r) : r;
}

/// nn.pool with 3 or more spatial dims.
FailureOr<Value> lowerPoolND(PatternRewriter &b, nn::PoolOp op) {
  Location loc = op.getLoc();
  auto res = rtt(op.getResult());
  auto xt = rtt(op.getInput());
  if (llvm::any_of(res.getShape().drop_front(2), ShapedType::isDynamic) ||
      llvm::any_of(xt.getShape().drop_front(2), ShapedType::isDynamic))
    return b.notifyMatchFailure(op, "pooling with 3 or more spatial dims needs static spatial dims");
  bool isMax = op.getKind() == nn::PoolKind::max;
  Value r = poolWindowGeneric(b, loc, op.getInput(), res, op.getKernel(), op.getStrides(), op.getDilations(),
                              op.getPads(), isMax, false, 0)[0];
  if (isMax)
    return r;
  SmallVector<double> div =
      poolDivisors(xt.getShape().drop_front(2), res.getShape().drop_front(2), op.getKernel(), op.getStrides(),
                   op.getDilations(), op.getPads(), op.getExplicitPads(), op.getCountIncludePad());
  return divideByPoolDivisors(b, loc, r, res, div);
}

/// nn.pool with 1 or 2 spatial dims: the pooling_nchw named ops on the padded
/// input (1-D as 2-D); average pooling then divides by poolDivisors.
FailureOr<Value> lowerPool(PatternRewriter &b, nn::PoolOp op) {
  Location loc = op.getLoc();
  auto res = rtt(op.getResult());
  Type et = res.getElementType();
  int64_t ns = res.getRank() - 2;
  Value x = op.getInput();
  SmallVector<int64_t> k(op.getKernel()), s(op.getStrides()), d(op.getDilations()), pads(op.getPads());
  bool isMax = op.getKind() == nn::PoolKind::max;
  if (ns == 1) {
    x = expandTo2D(b, loc, x, true);
    k.insert(k.begin(), 1);
    s.insert(s.begin(), 1);
    d.insert(d.begin(), 1);
    pads = {0, pads[0], 0, pads[1]};
  } else if (ns != 2) {
    return lowerPoolND(b, op);
  }
  auto res2 = ns == 1 ? RankedTensorType::get({res.getDimSize(0), res.getDimSize(1), 1, res.getDimSize(2)}, et) : res;
  Value padV = isMax ? lowest(b, loc, et) : scalar(b, loc, et, 0);
  Value xp = padSpatial(b, loc, x, pads, padV);
  SmallVector<Value> dims{dimOf(b, loc, x, 0), dimOf(b, loc, x, 1)};
  for (int64_t i = 2; i < 4; ++i) {
    if (!res2.isDynamicDim(i)) {
      dims.push_back(cIdx(b, loc, res2.getDimSize(i)));
      continue;
    }
    int64_t ek = d[i - 2] * (k[i - 2] - 1) + 1;
    Value v = arith::SubIOp::create(b, loc, dimOf(b, loc, xp, i), cIdx(b, loc, ek));
    v = arith::DivUIOp::create(b, loc, v, cIdx(b, loc, s[i - 2]));
    dims.push_back(arith::AddIOp::create(b, loc, v, cIdx(b, loc, 1)));
  }
  Value init = fillTensor(b, loc, empty(b, loc, res2, dims), padV);
  Value window = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{k[0], k[1]}, et);
  auto sAttr = b.getI64TensorAttr(s), dAttr = b.getI64TensorAttr(d);
  Value r;
  if (isMax) {
    r = linalg::PoolingNchwMaxOp::create(b, loc, TypeRange{res2}, ValueRange{xp, window}, ValueRange{init}, sAttr, dAttr)
            .getResult(0);
  } else {
    r = linalg::PoolingNchwSumOp::create(b, loc, TypeRange{res2}, ValueRange{xp, window}, ValueRange{init}, sAttr, dAttr)
            .getResult(0);
    SmallVector<int64_t> ep(op.getExplicitPads());
    if (ns == 1) ep = {0, ep[0], 0, ep[1]};
    if (llvm::any_of(rtt(x).getShape().drop_front(2), ShapedType::isDynamic) ||
        llvm::any_of(res2.getShape().drop_front(2), ShapedType::isDynamic)) {
      r = divideByRunTimePoolDivisors(b, loc, r, x, res2, k, s, d, pads, ep, op.getCountIncludePad());
    } else {
      // Divisor per output position, computed at compile time.
      SmallVector<double> div = poolDivisors(rtt(x).getShape().drop_front(2), res2.getShape().drop_front(2),
                                             k, s, d, pads, ep, op.getCountIncludePad());
      r = divideByPoolDivisors(b, loc, r, res2, div);
    }
  }
  return ns == 1 ? collapseFrom2D(b, loc, r) : r;
}

/// nn.pool_indices: the Indices output of MaxPool.
FailureOr<Value> lowerPoolIndices(PatternRewriter &b, nn::PoolIndicesOp op) {
  auto res = rtt(op.getResult());
  auto xt = rtt(op.getInput());
  if (llvm::any_of(res.getShape().drop_front(2), ShapedType::isDynamic))
    return b.notifyMatchFailure(op, "MaxPool indices need static spatial dims");
  auto vt = RankedTensorType::get(res.getShape(), xt.getElementType());
  return poolWindowGeneric(b, op.getLoc(), op.getInput(), vt, op.getKernel(), op.getStrides(),
                           op.getDilations(), op.getPads(), true, true, op.getStorageOrder())[1];
}

/// nn.max_unpool: zero-filled result, an scf.for over the (flattened) input
/// elements inserting each value at its delinearized index.
FailureOr<Value> lowerMaxUnpool(OpBuilder &b, nn::MaxUnpoolOp op) {
  Location loc = op.getLoc();
  auto res = rtt(op.getResult());
  auto xt = rtt(op.getInput());
  Type et = res.getElementType();
  int64_t r = res.getRank();
  SmallVector<Value> dims = op.getShape() ? dimsFromShapeOperand(b, loc, res, op.getShape())
                                          : SmallVector<Value>();
  if (!op.getShape())
    for (int64_t i = 0; i < r; ++i)
      dims.push_back(cIdx(b, loc, res.getDimSize(i)));
  // Dims the flat indices refer to: N, C and the default unpooled dims.
  SmallVector<Value> idims{dimOf(b, loc, op.getInput(), 0), dimOf(b, loc, op.getInput(), 1)};
  for (int64_t d : op.getSpatialDims())
    idims.push_back(cIdx(b, loc, d));
  Value total = cIdx(b, loc, 1);
  for (int64_t i = 0; i < r; ++i)
    total = arith::MulIOp::create(b, loc, total, idims[i]);
  Value acc = fillTensor(b, loc, empty(b, loc, res, dims), scalar(b, loc, et, 0));
  ReassociationIndices all;
  for (int64_t i = 0; i < xt.getRank(); ++i)
    all.push_back(i);
  int64_t n = 1;
  for (int64_t d : xt.getShape())
    n = (n == kDyn || d == kDyn) ? kDyn : n * d;
  Value xf = tensor::CollapseShapeOp::create(b, loc, RankedTensorType::get({n}, xt.getElementType()), op.getInput(),
                                             SmallVector<ReassociationIndices>{all});
  Value idxf = tensor::CollapseShapeOp::create(b, loc, RankedTensorType::get({n}, rtt(op.getIndices()).getElementType()),
                                               op.getIndices(), SmallVector<ReassociationIndices>{all});
  Value zero = cIdx(b, loc, 0), one = cIdx(b, loc, 1);
  auto loop = scf::ForOp::create(
      b, loc, zero, dimOf(b, loc, xf, 0), one, ValueRange{acc},
      [&](OpBuilder &nb, Location nl, Value j, ValueRange iter) {
        Value v = tensor::ExtractOp::create(nb, nl, xf, ValueRange{j});
        Value t = arith::IndexCastOp::create(nb, nl, nb.getIndexType(),
                                             tensor::ExtractOp::create(nb, nl, idxf, ValueRange{j}));
        Value ok = arith::AndIOp::create(nb, nl, arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sge, t, zero),
                                         arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, t, total));
        auto ifOp = scf::IfOp::create(
            nb, nl, ok,
            [&](OpBuilder &ib, Location il) {
              // Row-major delinearization of the flat index.
              SmallVector<Value> pos(r);
              Value rem = t, inside;
              for (int64_t i = r - 1; i >= 0; --i) {
                pos[i] = arith::RemUIOp::create(ib, il, rem, idims[i]);
                rem = arith::DivUIOp::create(ib, il, rem, idims[i]);
                Value in = arith::CmpIOp::create(ib, il, arith::CmpIPredicate::ult, pos[i], dims[i]);
                inside = inside ? arith::AndIOp::create(ib, il, inside, in).getResult() : in;
              }
              auto inner = scf::IfOp::create(
                  ib, il, inside,
                  [&](OpBuilder &jb, Location jl) {
                    scf::YieldOp::create(jb, jl, tensor::InsertOp::create(jb, jl, v, iter[0], pos).getResult());
                  },
                  [&](OpBuilder &jb, Location jl) { scf::YieldOp::create(jb, jl, iter[0]); });
              scf::YieldOp::create(ib, il, inner.getResults());
            },
            [&](OpBuilder &ib, Location il) { scf::YieldOp::create(ib, il, iter[0]); });
        scf::YieldOp::create(nb, nl, ifOp.getResults());
      });
  return loop.getResult(0);
}

} // namespace

void kiln::nn_to_linalg::populateConvPoolPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerToLinalg<nn::ConvOp, lowerConv>, LowerToLinalg<nn::ConvTransposeOp, lowerConvTranspose>,
               LowerToLinalg<nn::PoolOp, lowerPool>, LowerToLinalg<nn::PoolIndicesOp, lowerPoolIndices>,
               LowerToLinalg<nn::MaxUnpoolOp, lowerMaxUnpool>, LowerToLinalg<nn::QConvOp, lowerQConv>>(
      patterns.getContext());
}
