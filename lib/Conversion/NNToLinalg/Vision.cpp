//===- Vision.cpp - vision ops to linalg ----------------------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// nn.grid_sample and nn.roi_align: one linalg.generic over the output
// sampling the input (a loop nest per element for RoiAlign's adaptive
// sampling ratio).
//
//===----------------------------------------------------------------------===//

#include "Common.h"
#include "Patterns.h"

using namespace mlir;
using namespace kiln::nn_to_linalg;
namespace nn = kiln::nn;

namespace {

/// f64 arithmetic helpers for the [vision] lowerings (GridSample, RoiAlign).
struct VisionF64 {
  OpBuilder &b;
  Location l;
  Type f = b.getF64Type();
  Value c(double v) { return scalar(b, l, f, v); }
  Value add(Value x, Value y) { return arith::AddFOp::create(b, l, x, y); }
  Value sub(Value x, Value y) { return arith::SubFOp::create(b, l, x, y); }
  Value mul(Value x, Value y) { return arith::MulFOp::create(b, l, x, y); }
  Value div(Value x, Value y) { return arith::DivFOp::create(b, l, x, y); }
  Value max(Value x, Value y) { return arith::MaximumFOp::create(b, l, x, y); }
  Value min(Value x, Value y) { return arith::MinimumFOp::create(b, l, x, y); }
  Value floor(Value x) { return math::FloorOp::create(b, l, x); }
  Value cmp(arith::CmpFPredicate p, Value x, Value y) { return arith::CmpFOp::create(b, l, p, x, y); }
  Value sel(Value c0, Value x, Value y) { return arith::SelectOp::create(b, l, c0, x, y); }
  Value both(Value x, Value y) { return arith::AndIOp::create(b, l, x, y); }
  Value fromIdx(Value i) {
    return arith::SIToFPOp::create(b, l, f, arith::IndexCastOp::create(b, l, b.getI64Type(), i));
  }
  /// Index of an integral (or in-range) coordinate, clamped to [0, size - 1].
  Value toIdx(Value x, Value sizeF) {
    Value cl = max(min(x, sub(sizeF, c(1))), c(0));
    return arith::IndexCastOp::create(b, l, b.getIndexType(),
                                      arith::FPToSIOp::create(b, l, b.getI64Type(), cl));
  }
};

/// ONNX / onnxruntime GridSample reflection of coordinate `x` into [lo, hi].
Value qReflect(OpBuilder &b, Location loc, Value x, Value lo, Value hi) {
  Type ft = x.getType();
  Value range = arith::SubFOp::create(b, loc, hi, lo);
  Value below = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, lo);
  Value above = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, hi);
  Value dx = arith::SelectOp::create(b, loc, below, arith::SubFOp::create(b, loc, lo, x),
                                     arith::SubFOp::create(b, loc, x, hi));
  Value n = arith::FPToSIOp::create(b, loc, b.getI64Type(), arith::DivFOp::create(b, loc, dx, range));
  Value r = arith::SubFOp::create(b, loc, dx,
                                  arith::MulFOp::create(b, loc, arith::SIToFPOp::create(b, loc, ft, n), range));
  Value even = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                     arith::AndIOp::create(b, loc, n, scalar(b, loc, b.getI64Type(), 1)),
                                     scalar(b, loc, b.getI64Type(), 0));
  Value loR = arith::AddFOp::create(b, loc, lo, r), hiR = arith::SubFOp::create(b, loc, hi, r);
  Value resBelow = arith::SelectOp::create(b, loc, even, loR, hiR);
  Value resAbove = arith::SelectOp::create(b, loc, even, hiR, loR);
  return arith::SelectOp::create(b, loc, below, resBelow,
                                 arith::SelectOp::create(b, loc, above, resAbove, x));
}

Value qClampI(OpBuilder &b, Location loc, Value v, Value lo, Value hi) {
  return arith::MinSIOp::create(b, loc, arith::MaxSIOp::create(b, loc, v, lo), hi);
}

Value lowerGridSample(OpBuilder &b, nn::GridSampleOp g) {
  Location loc = g.getLoc();
  auto res = rtt(g.getResult());
  Value X = g.getInput(), G = g.getGrid();
  SmallVector<Value> dims{dimOf(b, loc, X, 0), dimOf(b, loc, X, 1), dimOf(b, loc, G, 1), dimOf(b, loc, G, 2)};
  Value init = empty(b, loc, res, dims);
  Value Hi = dimOf(b, loc, X, 2), Wi = dimOf(b, loc, X, 3);
  StringRef mode = g.getMode(), pad = g.getPaddingMode();
  bool ac = g.getAlignCorners();
  Type et = res.getElementType();
  Type ft = b.getF32Type();
  return qGeneric(b, loc, res, init, {}, {}, SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel),
                  [&](OpBuilder &nb, Location nl, ValueRange) -> Value {
    auto c = [&](double v) { return scalar(nb, nl, ft, v); };
    auto i64 = [&](Value idx) { return arith::IndexCastOp::create(nb, nl, nb.getI64Type(), idx).getResult(); };
    Value n = linalg::IndexOp::create(nb, nl, 0), ch = linalg::IndexOp::create(nb, nl, 1);
    Value oy = linalg::IndexOp::create(nb, nl, 2), ox = linalg::IndexOp::create(nb, nl, 3);
    Value H = i64(Hi), W = i64(Wi);
    Value Hf = arith::SIToFPOp::create(nb, nl, ft, H), Wf = arith::SIToFPOp::create(nb, nl, ft, W);
    auto gv = [&](int64_t k) {
      return castScalar(nb, nl, tensor::ExtractOp::create(nb, nl, G, ValueRange{n, oy, ox, cIdx(nb, nl, k)}), ft,
                        false, false);
    };
    auto denorm = [&](Value v, Value len) -> Value {
      Value v1 = arith::AddFOp::create(nb, nl, v, c(1));
      if (ac)
        return arith::MulFOp::create(nb, nl, arith::DivFOp::create(nb, nl, v1, c(2)),
                                     arith::SubFOp::create(nb, nl, len, c(1)));
      return arith::DivFOp::create(nb, nl, arith::SubFOp::create(nb, nl, arith::MulFOp::create(nb, nl, v1, len), c(1)),
                                   c(2));
    };
    Value x = denorm(gv(0), Wf), y = denorm(gv(1), Hf);
    Value xmin = ac ? c(0) : c(-0.5), ymin = xmin;
    Value xmax = ac ? (Value)arith::SubFOp::create(nb, nl, Wf, c(1)) : (Value)arith::SubFOp::create(nb, nl, Wf, c(0.5));
    Value ymax = ac ? (Value)arith::SubFOp::create(nb, nl, Hf, c(1)) : (Value)arith::SubFOp::create(nb, nl, Hf, c(0.5));
    if (mode == "nearest") {
      x = math::RoundEvenOp::create(nb, nl, x);
      y = math::RoundEvenOp::create(nb, nl, y);
    }
    if (pad == "border") {
      // As the ONNX reference: only coordinates outside [min, max] are clamped
      // (matters for cubic taps when align_corners = 0).
      auto clampOut = [&](Value v, Value lo, Value hi, Value len) -> Value {
        Value out = arith::OrIOp::create(nb, nl, arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OLT, v, lo),
                                         arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT, v, hi));
        Value cl = arith::MinimumFOp::create(nb, nl, arith::MaximumFOp::create(nb, nl, v, c(0)),
                                             arith::SubFOp::create(nb, nl, len, c(1)));
        return arith::SelectOp::create(nb, nl, out, cl, v);
      };
      x = clampOut(x, xmin, xmax, Wf);
      y = clampOut(y, ymin, ymax, Hf);
    } else if (pad == "reflection") {
      x = qReflect(nb, nl, x, xmin, xmax);
      y = qReflect(nb, nl, y, ymin, ymax);
    }
    Value zeroI = scalar(nb, nl, nb.getI64Type(), 0), oneI = scalar(nb, nl, nb.getI64Type(), 1);
    Value Hm1 = arith::SubIOp::create(nb, nl, H, oneI), Wm1 = arith::SubIOp::create(nb, nl, W, oneI);
    auto pixel = [&](Value r, Value col) -> Value {
      Value inb;
      if (pad == "zeros") {
        Value a = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sge, r, zeroI);
        Value b2 = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, r, H);
        Value c1 = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sge, col, zeroI);
        Value d = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, col, W);
        inb = arith::AndIOp::create(nb, nl, arith::AndIOp::create(nb, nl, a, b2), arith::AndIOp::create(nb, nl, c1, d));
      } else if (pad == "reflection") {
        col = arith::FPToSIOp::create(nb, nl, nb.getI64Type(),
                                      qReflect(nb, nl, arith::SIToFPOp::create(nb, nl, ft, col), xmin, xmax));
        r = arith::FPToSIOp::create(nb, nl, nb.getI64Type(),
                                    qReflect(nb, nl, arith::SIToFPOp::create(nb, nl, ft, r), ymin, ymax));
      }
      r = qClampI(nb, nl, r, zeroI, Hm1);
      col = qClampI(nb, nl, col, zeroI, Wm1);
      Value v = tensor::ExtractOp::create(nb, nl, X, ValueRange{n, ch, arith::IndexCastOp::create(nb, nl, nb.getIndexType(), r),
                                                           arith::IndexCastOp::create(nb, nl, nb.getIndexType(), col)});
      v = castScalar(nb, nl, v, ft, false, false);
      if (inb)
        v = arith::SelectOp::create(nb, nl, inb, v, c(0));
      return v;
    };
    auto toI = [&](Value f) { return arith::FPToSIOp::create(nb, nl, nb.getI64Type(), f).getResult(); };
    Value out;
    if (mode == "nearest") {
      out = pixel(toI(y), toI(x));
    } else if (mode == "linear") {
      Value xf = math::FloorOp::create(nb, nl, x), yf = math::FloorOp::create(nb, nl, y);
      Value x1 = toI(xf), y1 = toI(yf);
      Value x2 = arith::AddIOp::create(nb, nl, x1, oneI), y2 = arith::AddIOp::create(nb, nl, y1, oneI);
      Value dx1 = arith::SubFOp::create(nb, nl, x, xf), dy1 = arith::SubFOp::create(nb, nl, y, yf);
      Value dx2 = arith::SubFOp::create(nb, nl, c(1), dx1), dy2 = arith::SubFOp::create(nb, nl, c(1), dy1);
      auto lerp = [&](Value r) {
        return arith::AddFOp::create(nb, nl, arith::MulFOp::create(nb, nl, dx2, pixel(r, x1)),
                                     arith::MulFOp::create(nb, nl, dx1, pixel(r, x2)));
      };
      out = arith::AddFOp::create(nb, nl, arith::MulFOp::create(nb, nl, dy2, lerp(y1)),
                                  arith::MulFOp::create(nb, nl, dy1, lerp(y2)));
    } else {
      Value xf = math::FloorOp::create(nb, nl, x), yf = math::FloorOp::create(nb, nl, y);
      Value x0 = arith::SubIOp::create(nb, nl, toI(xf), oneI), y0 = arith::SubIOp::create(nb, nl, toI(yf), oneI);
      Value dx = arith::SubFOp::create(nb, nl, x, xf), dy = arith::SubFOp::create(nb, nl, y, yf);
      auto coeffs = [&](Value t) {
        const double A = -0.75;
        auto mul = [&](Value p, Value q) { return arith::MulFOp::create(nb, nl, p, q).getResult(); };
        auto add = [&](Value p, Value q) { return arith::AddFOp::create(nb, nl, p, q).getResult(); };
        auto sub = [&](Value p, Value q) { return arith::SubFOp::create(nb, nl, p, q).getResult(); };
        Value t1 = add(t, c(1)), u = sub(c(1), t), u1 = sub(c(2), t);
        SmallVector<Value> k(4);
        k[0] = sub(mul(add(mul(sub(mul(c(A), t1), c(5 * A)), t1), c(8 * A)), t1), c(4 * A));
        k[1] = add(mul(mul(sub(mul(c(A + 2), t), c(A + 3)), t), t), c(1));
        k[2] = add(mul(mul(sub(mul(c(A + 2), u), c(A + 3)), u), u), c(1));
        k[3] = sub(mul(add(mul(sub(mul(c(A), u1), c(5 * A)), u1), c(8 * A)), u1), c(4 * A));
        return k;
      };
      SmallVector<Value> cx = coeffs(dx), cy = coeffs(dy);
      out = c(0);
      for (int64_t h = 0; h < 4; ++h) {
        Value r = arith::AddIOp::create(nb, nl, y0, scalar(nb, nl, nb.getI64Type(), h));
        Value row = c(0);
        for (int64_t w = 0; w < 4; ++w) {
          Value col = arith::AddIOp::create(nb, nl, x0, scalar(nb, nl, nb.getI64Type(), w));
          row = arith::AddFOp::create(nb, nl, row, arith::MulFOp::create(nb, nl, cx[w], pixel(r, col)));
        }
        out = arith::AddFOp::create(nb, nl, out, arith::MulFOp::create(nb, nl, cy[h], row));
      }
    }
    return castScalar(nb, nl, out, et, false, false);
  });
}

/// RoiAlign with sampling_ratio = 0: the samples per bin, ceil(roi size /
/// output size), are known only at run time, so each output element runs an
/// scf.for nest over its samples (onnxruntime's algorithm, in f64).
Value lowerRoiAlignAdaptive(OpBuilder &b, nn::RoiAlignOp op) {
  Location loc = op.getLoc();
  auto res = rtt(op.getResult());
  Value x = op.getInput(), rois = op.getRois(), bidx = op.getBatchIndices();
  Type et = res.getElementType();
  bool halfPixel = op.getHalfPixel(), maxMode = op.getMaxMode();
  int64_t PH = res.getDimSize(2), PW = res.getDimSize(3);
  double scale = op.getSpatialScale().convertToDouble();
  Value H = dimOf(b, loc, x, 2), W = dimOf(b, loc, x, 3);
  SmallVector<Value> dims{dimOf(b, loc, rois, 0), dimOf(b, loc, x, 1), cIdx(b, loc, PH), cIdx(b, loc, PW)};
  Value init = empty(b, loc, res, dims);
  return tensorLoopNest(
      b, loc, dims, init, [&](OpBuilder &nb, Location nl, ValueRange ivs, Value acc) -> Value {
        VisionF64 m{nb, nl};
        Value r = ivs[0], ch = ivs[1];
        Value Hf = m.fromIdx(H), Wf = m.fromIdx(W);
        auto roi = [&](int64_t k) {
          Value v = tensor::ExtractOp::create(nb, nl, rois, ValueRange{r, cIdx(nb, nl, k)});
          return m.sub(m.mul(castScalar(nb, nl, v, m.f, false, false), m.c(scale)), m.c(halfPixel ? 0.5 : 0));
        };
        Value n = tensor::ExtractOp::create(nb, nl, bidx, ValueRange{r});
        n = arith::IndexCastOp::create(nb, nl, nb.getIndexType(),
                                       castScalar(nb, nl, n, nb.getI64Type(), false, false));
        Value x1 = roi(0), y1 = roi(1), x2 = roi(2), y2 = roi(3);
        Value rw = m.sub(x2, x1), rh = m.sub(y2, y1);
        if (!halfPixel)
          rw = m.max(rw, m.c(1)), rh = m.max(rh, m.c(1));
        Value binH = m.div(rh, m.c((double)PH)), binW = m.div(rw, m.c((double)PW));
        auto gridCount = [&](Value bin) -> Value {
          Value cnt = m.max(math::CeilOp::create(nb, nl, bin), m.c(0));
          return arith::IndexCastOp::create(nb, nl, nb.getIndexType(),
                                            arith::FPToSIOp::create(nb, nl, nb.getI64Type(), cnt));
        };
        Value gh = gridCount(binH), gw = gridCount(binW);
        Value ghF = m.fromIdx(gh), gwF = m.fromIdx(gw);
        Value yStart = m.add(y1, m.mul(m.fromIdx(ivs[2]), binH));
        Value xStart = m.add(x1, m.mul(m.fromIdx(ivs[3]), binW));
        Value zero = cIdx(nb, nl, 0), one1 = cIdx(nb, nl, 1);
        Value start = maxMode ? lowest(nb, nl, m.f) : m.c(0);
        auto outer = scf::ForOp::create(
            nb, nl, zero, gh, one1, ValueRange{start},
            [&](OpBuilder &ob, Location ol, Value iy, ValueRange oacc) {
              auto inner = scf::ForOp::create(
                  ob, ol, zero, gw, one1, ValueRange{oacc[0]},
                  [&](OpBuilder &ib, Location il, Value ixv, ValueRange iacc) {
                    VisionF64 k{ib, il};
                    Value y = k.add(yStart, k.div(k.mul(k.add(k.fromIdx(iy), k.c(0.5)), binH), ghF));
                    Value xx = k.add(xStart, k.div(k.mul(k.add(k.fromIdx(ixv), k.c(0.5)), binW), gwF));
                    Value outside = arith::OrIOp::create(
                        ib, il,
                        arith::OrIOp::create(ib, il, k.cmp(arith::CmpFPredicate::OLT, y, k.c(-1)),
                                             k.cmp(arith::CmpFPredicate::OGT, y, Hf)),
                        arith::OrIOp::create(ib, il, k.cmp(arith::CmpFPredicate::OLT, xx, k.c(-1)),
                                             k.cmp(arith::CmpFPredicate::OGT, xx, Wf)));
                    y = k.max(y, k.c(0));
                    xx = k.max(xx, k.c(0));
                    // Low corner, clamped to the last row / column (then the weight is on it alone).
                    Value yl = k.min(k.floor(y), k.sub(Hf, k.c(1))), xl = k.min(k.floor(xx), k.sub(Wf, k.c(1)));
                    y = k.min(y, k.sub(Hf, k.c(1)));
                    xx = k.min(xx, k.sub(Wf, k.c(1)));
                    Value yh = k.min(k.add(yl, k.c(1)), k.sub(Hf, k.c(1)));
                    Value xh = k.min(k.add(xl, k.c(1)), k.sub(Wf, k.c(1)));
                    Value ly = k.sub(y, yl), lx = k.sub(xx, xl);
                    Value hy = k.sub(k.c(1), ly), hx = k.sub(k.c(1), lx);
                    auto at = [&](Value fy, Value fx) {
                      Value v = tensor::ExtractOp::create(ib, il, x, ValueRange{n, ch, k.toIdx(fy, Hf), k.toIdx(fx, Wf)});
                      return castScalar(ib, il, v, k.f, false, false);
                    };
                    Value t1 = k.mul(k.mul(hy, hx), at(yl, xl)), t2 = k.mul(k.mul(hy, lx), at(yl, xh));
                    Value t3 = k.mul(k.mul(ly, hx), at(yh, xl)), t4 = k.mul(k.mul(ly, lx), at(yh, xh));
                    Value v = maxMode ? k.max(k.max(k.max(t1, t2), t3), t4) : k.add(k.add(t1, t2), k.add(t3, t4));
                    v = k.sel(outside, k.c(0), v);
                    Value next = maxMode ? k.max(iacc[0], v) : k.add(iacc[0], v);
                    scf::YieldOp::create(ib, il, ValueRange{next});
                  });
              scf::YieldOp::create(ob, ol, inner.getResults());
            });
        Value total = outer.getResult(0);
        Value count = arith::MulIOp::create(nb, nl, gh, gw);
        Value none = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, count, zero);
        Value out = maxMode ? total : m.div(total, m.max(m.fromIdx(count), m.c(1)));
        out = m.sel(none, m.c(0), out);
        return tensor::InsertOp::create(nb, nl, castScalar(nb, nl, out, et, false, false), acc, ivs);
      });
}

/// RoiAlign with a fixed sampling_ratio: one generic over the output.
Value lowerRoiAlignFixed(OpBuilder &b, nn::RoiAlignOp ra) {
  Location loc = ra.getLoc();
  auto res = rtt(ra.getResult());
  Value X = ra.getInput(), R = ra.getRois(), BI = ra.getBatchIndices();
  int64_t PH = res.getDimSize(2), PW = res.getDimSize(3), S = ra.getSamplingRatio();
  SmallVector<Value> dims{dimOf(b, loc, R, 0), dimOf(b, loc, X, 1), cIdx(b, loc, PH), cIdx(b, loc, PW)};
  Value init = empty(b, loc, res, dims);
  Value Hi = dimOf(b, loc, X, 2), Wi = dimOf(b, loc, X, 3);
  bool half = ra.getHalfPixel(), isMax = ra.getMaxMode();
  double ss = ra.getSpatialScale().convertToDouble();
  Type ft = b.getF32Type();
  return qGeneric(b, loc, res, init, {}, {}, SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel),
                  [&](OpBuilder &nb, Location nl, ValueRange) -> Value {
    auto c = [&](double v) { return scalar(nb, nl, ft, v); };
    auto mul = [&](Value p, Value q) { return arith::MulFOp::create(nb, nl, p, q).getResult(); };
    auto add = [&](Value p, Value q) { return arith::AddFOp::create(nb, nl, p, q).getResult(); };
    auto sub = [&](Value p, Value q) { return arith::SubFOp::create(nb, nl, p, q).getResult(); };
    Value r = linalg::IndexOp::create(nb, nl, 0), ch = linalg::IndexOp::create(nb, nl, 1);
    Value ph = linalg::IndexOp::create(nb, nl, 2), pw = linalg::IndexOp::create(nb, nl, 3);
    Value bidx = arith::IndexCastOp::create(nb, nl, nb.getIndexType(),
                                            tensor::ExtractOp::create(nb, nl, BI, ValueRange{r}));
    auto roi = [&](int64_t k) {
      Value v = castScalar(nb, nl, tensor::ExtractOp::create(nb, nl, R, ValueRange{r, cIdx(nb, nl, k)}), ft, false, false);
      return sub(mul(v, c(ss)), c(half ? 0.5 : 0.0));
    };
    Value x0 = roi(0), y0 = roi(1), x1 = roi(2), y1 = roi(3);
    Value rw = sub(x1, x0), rh = sub(y1, y0);
    if (!half) {
      rw = arith::MaximumFOp::create(nb, nl, rw, c(1));
      rh = arith::MaximumFOp::create(nb, nl, rh, c(1));
    }
    Value bh = arith::DivFOp::create(nb, nl, rh, c(PH)), bw = arith::DivFOp::create(nb, nl, rw, c(PW));
    auto idxF = [&](Value i) { return arith::UIToFPOp::create(nb, nl, ft, arith::IndexCastOp::create(nb, nl, nb.getI64Type(), i)).getResult(); };
    Value H = idxF(Hi), W = idxF(Wi);
    Value Hm1 = sub(H, c(1)), Wm1 = sub(W, c(1));
    Value ys = add(y0, mul(idxF(ph), bh)), xs = add(x0, mul(idxF(pw), bw));
    Value acc = c(0);
    bool first = true;
    auto toIdx = [&](Value f) {
      return arith::IndexCastOp::create(nb, nl, nb.getIndexType(), arith::FPToSIOp::create(nb, nl, nb.getI64Type(), f)).getResult();
    };
    for (int64_t iy = 0; iy < S; ++iy) {
      Value y = add(ys, mul(c((iy + 0.5) / S), bh));
      for (int64_t ix = 0; ix < S; ++ix) {
        Value x = add(xs, mul(c((ix + 0.5) / S), bw));
        Value out = arith::OrIOp::create(
            nb, nl,
            arith::OrIOp::create(nb, nl, arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OLT, y, c(-1)),
                                 arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT, y, H)),
            arith::OrIOp::create(nb, nl, arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OLT, x, c(-1)),
                                 arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT, x, W)));
        Value yc = arith::MaximumFOp::create(nb, nl, y, c(0)), xc = arith::MaximumFOp::create(nb, nl, x, c(0));
        Value ylo = math::FloorOp::create(nb, nl, yc), xlo = math::FloorOp::create(nb, nl, xc);
        Value yEdge = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGE, ylo, Hm1);
        Value xEdge = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGE, xlo, Wm1);
        ylo = arith::SelectOp::create(nb, nl, yEdge, Hm1, ylo);
        xlo = arith::SelectOp::create(nb, nl, xEdge, Wm1, xlo);
        Value yhi = arith::SelectOp::create(nb, nl, yEdge, Hm1, add(ylo, c(1)));
        Value xhi = arith::SelectOp::create(nb, nl, xEdge, Wm1, add(xlo, c(1)));
        yc = arith::SelectOp::create(nb, nl, yEdge, ylo, yc);
        xc = arith::SelectOp::create(nb, nl, xEdge, xlo, xc);
        Value ly = sub(yc, ylo), lx = sub(xc, xlo);
        Value hy = sub(c(1), ly), hx = sub(c(1), lx);
        auto px = [&](Value yy, Value xx) {
          return castScalar(nb, nl, tensor::ExtractOp::create(nb, nl, X, ValueRange{bidx, ch, toIdx(yy), toIdx(xx)}), ft,
                            false, false);
        };
        Value t1 = mul(mul(hy, hx), px(ylo, xlo)), t2 = mul(mul(hy, lx), px(ylo, xhi));
        Value t3 = mul(mul(ly, hx), px(yhi, xlo)), t4 = mul(mul(ly, lx), px(yhi, xhi));
        Value val;
        if (isMax) {
          val = arith::MaximumFOp::create(nb, nl, arith::MaximumFOp::create(nb, nl, t1, t2),
                                          arith::MaximumFOp::create(nb, nl, t3, t4));
          val = arith::SelectOp::create(nb, nl, out, c(0), val);
          acc = first ? val : (Value)arith::MaximumFOp::create(nb, nl, acc, val);
        } else {
          val = add(add(t1, t2), add(t3, t4));
          acc = add(acc, arith::SelectOp::create(nb, nl, out, c(0), val));
        }
        first = false;
      }
    }
    if (!isMax)
      acc = arith::DivFOp::create(nb, nl, acc, c((double)(S * S)));
    return castScalar(nb, nl, acc, res.getElementType(), false, false);
  });
}

Value lowerRoiAlign(OpBuilder &b, nn::RoiAlignOp ra) {
  return ra.getSamplingRatio() == 0 ? lowerRoiAlignAdaptive(b, ra) : lowerRoiAlignFixed(b, ra);
}

} // namespace

void kiln::nn_to_linalg::populateVisionPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerToLinalg<nn::GridSampleOp, lowerGridSample>, LowerToLinalg<nn::RoiAlignOp, lowerRoiAlign>>(
      patterns.getContext());
}
