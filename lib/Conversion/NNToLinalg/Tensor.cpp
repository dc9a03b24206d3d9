//===- Tensor.cpp - shape and data movement ops to linalg/tensor ----------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Shapes and data movement: nn.transpose, nn.reshape, nn.concat, nn.slice,
// nn.dynamic_slice, nn.pad, nn.pad_mode, nn.broadcast, nn.shape_of, nn.fill,
// nn.range and nn.resize, to linalg.transpose / generic and tensor ops.
//
//===----------------------------------------------------------------------===//

#include "Common.h"
#include "Patterns.h"

using namespace mlir;
using namespace kiln::nn_to_linalg;
namespace nn = kiln::nn;

namespace {

/// Reshape with explicit result dims (index values for every dim).
Value reshapeWithDims(OpBuilder &b, Location loc, Value x, RankedTensorType res,
                      ArrayRef<Value> dims) {
  auto src = rtt(x);
  if (src == res)
    return x;
  // Prefer collapse/expand when the reassociation is unambiguous.
  if (src.getRank() > res.getRank()) {
    if (auto re = getReassociationIndicesForCollapse(src.getShape(), res.getShape()))
      return tensor::CollapseShapeOp::create(b, loc, res, x, *re);
  } else if (src.getRank() < res.getRank()) {
    if (auto re = getReassociationIndicesForCollapse(res.getShape(), src.getShape())) {
      SmallVector<OpFoldResult> outShape;
      for (int64_t i = 0; i < res.getRank(); ++i)
        outShape.push_back(res.isDynamicDim(i) ? OpFoldResult(dims[i])
                                               : OpFoldResult(b.getIndexAttr(res.getDimSize(i))));
      return tensor::ExpandShapeOp::create(b, loc, res, x, *re, outShape);
    }
  }
  SmallVector<Value> elems;
  for (Value d : dims)
    elems.push_back(arith::IndexCastOp::create(b, loc, b.getI64Type(), d));
  Value shape = tensor::FromElementsOp::create(
      b, loc, RankedTensorType::get({res.getRank()}, b.getI64Type()), elems);
  return tensor::ReshapeOp::create(b, loc, res, x, shape);
}

/// Result dims of an nn.reshape from the element count: static dims, and
/// the (single) dynamic dim = (product of the input's dims) / (product of
/// the result's static dims), computed from the input's dynamic dims times
/// a constant ratio where the static products allow it (so that a reshape
/// that moves a batch dim yields that dim itself, which the memory planner
/// traces to the inputs).
SmallVector<Value> derivedReshapeDims(OpBuilder &b, Location loc, Value x, RankedTensorType res) {
  auto src = rtt(x);
  SmallVector<Value> dims;
  int64_t staticIn = 1;
  Value dynIn;
  for (int64_t i = 0; i < src.getRank(); ++i) {
    if (!src.isDynamicDim(i)) {
      staticIn *= src.getDimSize(i);
      continue;
    }
    Value d = dimOf(b, loc, x, i);
    dynIn = dynIn ? (Value)arith::MulIOp::create(b, loc, dynIn, d) : d;
  }
  int64_t known = 1;
  for (int64_t i = 0; i < res.getRank(); ++i)
    if (!res.isDynamicDim(i))
      known *= res.getDimSize(i);
  Value dyn;
  if (known == 0 || staticIn == 0) {
    dyn = cIdx(b, loc, 0);
  } else if (!dynIn) {
    dyn = cIdx(b, loc, staticIn / known);
  } else if (staticIn % known == 0) {
    dyn = staticIn == known ? dynIn : (Value)arith::MulIOp::create(b, loc, dynIn, cIdx(b, loc, staticIn / known));
  } else if (known % staticIn == 0) {
    dyn = arith::DivUIOp::create(b, loc, dynIn, cIdx(b, loc, known / staticIn));
  } else {
    dyn = arith::DivUIOp::create(b, loc, arith::MulIOp::create(b, loc, dynIn, cIdx(b, loc, staticIn)),
                                 cIdx(b, loc, known));
  }
  for (int64_t i = 0; i < res.getRank(); ++i)
    dims.push_back(res.isDynamicDim(i) ? dyn : cIdx(b, loc, res.getDimSize(i)));
  return dims;
}

/// Element `i` of a 1-D integer tensor as an index value.
Value indexAt(OpBuilder &b, Location loc, Value t, int64_t i) {
  Value e = tensor::ExtractOp::create(b, loc, t, ValueRange{cIdx(b, loc, i)});
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), e);
}

Value lowerTranspose(OpBuilder &b, nn::TransposeOp t) {
  Location loc = t.getLoc();
  auto res = rtt(t.getResult());
  SmallVector<Value> dims;
  for (int64_t i = 0; i < res.getRank(); ++i) dims.push_back(dimOf(b, loc, t.getInput(), t.getPerm()[i]));
  Value init = empty(b, loc, res, dims);
  return linalg::TransposeOp::create(b, loc, t.getInput(), init, t.getPerm()).getResult()[0];
}

Value lowerReshape(OpBuilder &b, nn::ReshapeOp r) {
  Location loc = r.getLoc();
  auto res = rtt(r.getResult());
  // With one dynamic result dim and no static 0, the element count fixes
  // it: the run-time checks (kiln-insert-runtime-checks) stop a run whose
  // shape operand disagrees with the compiled static dims or with the
  // input's element count, so deriving it from the input is exact, and
  // buffer sizes then follow the input's dims instead of values loaded
  // from a shape tensor at run time (which the memory planner cannot
  // size in advance).
  bool oneDynamic = llvm::count_if(res.getShape(), ShapedType::isDynamic) == 1 &&
                    llvm::none_of(res.getShape(), [](int64_t d) { return d == 0; });
  SmallVector<Value> dims = r.getShape() && !oneDynamic ? dimsFromShapeOperand(b, loc, res, r.getShape())
                                                        : derivedReshapeDims(b, loc, r.getInput(), res);
  return reshapeWithDims(b, loc, r.getInput(), res, dims);
}

Value lowerConcat(OpBuilder &b, nn::ConcatOp c) {
  return tensor::ConcatOp::create(b, c.getLoc(), rtt(c.getResult()), c.getAxis(), c.getInputs());
}

FailureOr<Value> lowerSlice(OpBuilder &b, nn::SliceOp op) {
  Location loc = op.getLoc();
  auto res = rtt(op.getResult());
  Value x = op.getInput();
  bool negative = llvm::any_of(op.getStrides(), [](int64_t s) { return s < 0; });
  SmallVector<Value> dims;
  for (int64_t i = 0; i < res.getRank(); ++i)
    dims.push_back(res.isDynamicDim(i) ? dimOf(b, loc, x, i) : cIdx(b, loc, res.getDimSize(i)));
  if (!negative) {
    SmallVector<OpFoldResult> offs, sizes, strides;
    for (int64_t i = 0; i < res.getRank(); ++i) {
      offs.push_back(b.getIndexAttr(op.getOffsets()[i]));
      sizes.push_back(res.isDynamicDim(i) ? OpFoldResult(dims[i]) : OpFoldResult(b.getIndexAttr(res.getDimSize(i))));
      strides.push_back(b.getIndexAttr(op.getStrides()[i]));
    }
    return (Value)tensor::ExtractSliceOp::create(b, loc, res, x, offs, sizes, strides);
  }
  Value init = empty(b, loc, res, dims);
  return generateOver(b, loc, init,
             [&](OpBuilder &nb, Location nl, ValueRange) {
               SmallVector<Value> idx;
               for (int64_t i = 0; i < res.getRank(); ++i) {
                 Value iv = linalg::IndexOp::create(nb, nl, i);
                 Value v = arith::AddIOp::create(nb, nl, cIdx(nb, nl, op.getOffsets()[i]),
                                                 arith::MulIOp::create(nb, nl, iv, cIdx(nb, nl, op.getStrides()[i])));
                 idx.push_back(v);
               }
               linalg::YieldOp::create(nb, nl, tensor::ExtractOp::create(nb, nl, x, idx).getResult());
             });
}

/// nn.dynamic_slice: one generic over the result reading
/// input[offset + i * stride] per dim.
FailureOr<Value> lowerDynamicSlice(OpBuilder &b, nn::DynamicSliceOp op) {
  Location loc = op.getLoc();
  auto res = rtt(op.getResult());
  int64_t r = res.getRank();
  Value x = op.getInput();
  SmallVector<Value> offs, strides, dims;
  for (int64_t i = 0; i < r; ++i) {
    offs.push_back(indexAt(b, loc, op.getOffsets(), i));
    strides.push_back(indexAt(b, loc, op.getStrides(), i));
    dims.push_back(res.isDynamicDim(i) ? indexAt(b, loc, op.getSizes(), i) : cIdx(b, loc, res.getDimSize(i)));
  }
  Value init = empty(b, loc, res, dims);
  return generateOver(b, loc, init,
             [&](OpBuilder &nb, Location nl, ValueRange) {
               SmallVector<Value> idx;
               for (int64_t i = 0; i < r; ++i) {
                 Value iv = linalg::IndexOp::create(nb, nl, i);
                 idx.push_back(arith::AddIOp::create(nb, nl, offs[i], arith::MulIOp::create(nb, nl, iv, strides[i])));
               }
               linalg::YieldOp::create(nb, nl, tensor::ExtractOp::create(nb, nl, x, idx).getResult());
             });
}

Value lowerPad(OpBuilder &b, nn::PadOp p) {
  Location loc = p.getLoc();
  auto t = rtt(p.getInput());
  int64_t r = t.getRank();
  SmallVector<OpFoldResult> lo, hi;
  for (int64_t i = 0; i < r; ++i) {
    lo.push_back(b.getIndexAttr(p.getPads()[i]));
    hi.push_back(b.getIndexAttr(p.getPads()[i + r]));
  }
  Value v = scalar(b, loc, t.getElementType(), p.getValue().convertToDouble());
  return tensor::PadOp::create(b, loc, rtt(p.getResult()), p.getInput(), lo, hi, v);
}

/// nn.pad_mode: one generic over the result; per dim the source index
/// o - begin is mapped into [0, d) by the mode (constant: clamped read and a
/// select of the pad value outside).
FailureOr<Value> lowerPadMode(OpBuilder &b, nn::PadModeOp op) {
  Location loc = op.getLoc();
  auto res = rtt(op.getResult());
  int64_t r = res.getRank();
  Type et = res.getElementType();
  Value x = op.getInput();
  StringRef mode = op.getMode();
  SmallVector<Value> lo, in, dims;
  for (int64_t i = 0; i < r; ++i) {
    lo.push_back(indexAt(b, loc, op.getPads(), i));
    in.push_back(dimOf(b, loc, x, i));
    if (res.isDynamicDim(i)) {
      Value hi = indexAt(b, loc, op.getPads(), i + r);
      Value d = arith::AddIOp::create(b, loc, arith::AddIOp::create(b, loc, in[i], lo[i]), hi);
      dims.push_back(arith::MaxSIOp::create(b, loc, d, cIdx(b, loc, 0)));
    } else {
      dims.push_back(cIdx(b, loc, res.getDimSize(i)));
    }
  }
  Value padV;
  if (op.getValue()) {
    SmallVector<Value> zeros(rtt(op.getValue()).getRank(), cIdx(b, loc, 0));
    padV = tensor::ExtractOp::create(b, loc, op.getValue(), zeros);
  } else {
    padV = scalar(b, loc, et, 0);
  }
  Value init = empty(b, loc, res, dims);
  return generateOver(b, loc, init,
             [&](OpBuilder &nb, Location nl, ValueRange) {
               Value zero = cIdx(nb, nl, 0), one = cIdx(nb, nl, 1);
               Value inside;
               SmallVector<Value> idx;
               auto posMod = [&](Value a, Value m) -> Value {
                 Value rem = arith::RemSIOp::create(nb, nl, a, m);
                 Value neg = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, rem, zero);
                 return arith::SelectOp::create(nb, nl, neg, arith::AddIOp::create(nb, nl, rem, m), rem);
               };
               for (int64_t i = 0; i < r; ++i) {
                 Value o = linalg::IndexOp::create(nb, nl, i);
                 Value s = arith::SubIOp::create(nb, nl, o, lo[i]);
                 Value last = arith::SubIOp::create(nb, nl, in[i], one);
                 Value v;
                 if (mode == "reflect") {
                   // Period 2 * (d - 1); a dim of size 1 always reads 0.
                   Value period = arith::MaxSIOp::create(nb, nl, arith::AddIOp::create(nb, nl, last, last), one);
                   Value m = posMod(s, period);
                   v = arith::MinSIOp::create(nb, nl, m, arith::SubIOp::create(nb, nl, period, m));
                 } else if (mode == "wrap") {
                   v = posMod(s, arith::MaxSIOp::create(nb, nl, in[i], one));
                 } else {
                   if (mode == "constant") {
                     Value ge = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sge, s, zero);
                     Value lt = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, s, in[i]);
                     Value ok = arith::AndIOp::create(nb, nl, ge, lt);
                     inside = inside ? arith::AndIOp::create(nb, nl, inside, ok).getResult() : ok;
                   }
                   v = arith::MaxSIOp::create(nb, nl, arith::MinSIOp::create(nb, nl, s, last), zero);
                 }
                 idx.push_back(v);
               }
               Value e = tensor::ExtractOp::create(nb, nl, x, idx);
               if (inside)
                 e = arith::SelectOp::create(nb, nl, inside, e, padV);
               linalg::YieldOp::create(nb, nl, e);
             });
}

Value lowerBroadcast(OpBuilder &b, nn::BroadcastOp bc) {
  Location loc = bc.getLoc();
  auto res = rtt(bc.getResult());
  SmallVector<Value> dims = bc.getShape() ? dimsFromShapeOperand(b, loc, res, bc.getShape())
                                          : elementwiseDims(b, loc, res, ValueRange{bc.getInput()});
  Value init = empty(b, loc, res, dims);
  // A dynamic input dim under a result dim that need not be the same size
  // (a static one, or one from `shape`) may be 1 at run time: read it at
  // index 0 then.  (kiln-insert-runtime-checks stops the run before this
  // when it is neither 1 nor the result's size.)
  auto in = rtt(bc.getInput());
  SmallVector<Value> runtimeOne(res.getRank());
  bool anyRuntimeOne = false;
  for (int64_t i = 0; i < res.getRank(); ++i)
    if (in.isDynamicDim(i) && (!res.isDynamicDim(i) || bc.getShape())) {
      runtimeOne[i] = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, dimOf(b, loc, bc.getInput(), i),
                                            cIdx(b, loc, 1));
      anyRuntimeOne = true;
    }
  if (anyRuntimeOne) {
    Value x = bc.getInput();
    return generateOver(b, loc, init, [&](OpBuilder &nb, Location nl, ValueRange) {
      SmallVector<Value> idx;
      for (int64_t i = 0; i < res.getRank(); ++i) {
        Value iv = linalg::IndexOp::create(nb, nl, i);
        if (runtimeOne[i])
          iv = arith::SelectOp::create(nb, nl, runtimeOne[i], cIdx(nb, nl, 0), iv);
        else if (in.getDimSize(i) == 1)
          iv = cIdx(nb, nl, 0);
        idx.push_back(iv);
      }
      linalg::YieldOp::create(nb, nl, tensor::ExtractOp::create(nb, nl, x, idx).getResult());
    });
  }
  SmallVector<AffineMap> maps{broadcastMap(b, in, res), b.getMultiDimIdentityMap(res.getRank())};
  return linalg::GenericOp::create(b, loc, TypeRange{res}, ValueRange{bc.getInput()}, ValueRange{init}, maps,
                                   SmallVector<utils::IteratorType>(res.getRank(), utils::IteratorType::parallel),
                                   [](OpBuilder &nb, Location nl, ValueRange a) { linalg::YieldOp::create(nb, nl, a[0]); })
      .getResult(0);
}

Value lowerShapeOf(OpBuilder &b, nn::ShapeOfOp s) {
  Location loc = s.getLoc();
  SmallVector<Value> elems;
  for (int64_t i = s.getStart(); i < s.getEnd(); ++i)
    elems.push_back(arith::IndexCastOp::create(b, loc, b.getI64Type(), dimOf(b, loc, s.getInput(), i)));
  if (elems.empty())
    return tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{0}, b.getI64Type());
  return tensor::FromElementsOp::create(b, loc, rtt(s.getResult()), elems);
}

Value lowerFill(OpBuilder &b, nn::FillOp f) {
  Location loc = f.getLoc();
  auto res = rtt(f.getResult());
  SmallVector<Value> dims = f.getShape() ? dimsFromShapeOperand(b, loc, res, f.getShape())
                                         : SmallVector<Value>(res.getRank(), Value());
  Value init = empty(b, loc, res, dims);
  Value v = arith::ConstantOp::create(b, loc, f.getValue());
  return fillTensor(b, loc, init, v);
}

Value lowerRange(OpBuilder &b, nn::RangeOp r) {
  Location loc = r.getLoc();
  auto res = rtt(r.getResult());
  Type et = res.getElementType();
  Value start = scalarOf(b, loc, r.getStart()), limit = scalarOf(b, loc, r.getLimit()),
        delta = scalarOf(b, loc, r.getDelta());
  Value n;
  if (!res.isDynamicDim(0)) {
    n = cIdx(b, loc, res.getDimSize(0));
  } else if (isa<FloatType>(et)) {
    Value q = arith::DivFOp::create(b, loc, arith::SubFOp::create(b, loc, limit, start), delta);
    q = math::CeilOp::create(b, loc, q);
    q = arith::MaximumFOp::create(b, loc, q, scalar(b, loc, et, 0));
    n = arith::IndexCastOp::create(b, loc, b.getIndexType(), arith::FPToSIOp::create(b, loc, b.getI64Type(), q));
  } else {
    // ceil((limit - start) / delta) for either sign of delta.
    Value diff = arith::SubIOp::create(b, loc, limit, start);
    Value q = arith::CeilDivSIOp::create(b, loc, diff, delta);
    q = arith::MaxSIOp::create(b, loc, q, scalar(b, loc, et, 0));
    n = arith::IndexCastOp::create(b, loc, b.getIndexType(), q);
  }
  Value init = empty(b, loc, res, {n});
  return generateOver(b, loc, init,
                      [&](OpBuilder &nb, Location nl, ValueRange) {
                        Value i = linalg::IndexOp::create(nb, nl, 0);
                        Value iv = arith::IndexCastOp::create(nb, nl, nb.getI64Type(), i);
                        Value v = castScalar(nb, nl, iv, et, false, false);
                        Value y = binaryScalar(nb, nl, nn::BinaryKind::add, start,
                                               binaryScalar(nb, nl, nn::BinaryKind::mul, v, delta));
                        linalg::YieldOp::create(nb, nl, y);
                      });
}

/// nn.resize: a linalg.generic over the output whose body computes, per
/// resized axis, the source coordinate, the neighbours and their weights
/// (in f64, like ONNX's reference), and reads the input with tensor.extract.
Value lowerResize(OpBuilder &b, nn::ResizeOp op) {
  Location loc = op.getLoc();
  Value in = op.getInput();
  auto inT = rtt(in), res = rtt(op.getResult());
  int64_t r = res.getRank();
  StringRef mode = op.getMode(), cm = op.getCoordinateMode(), nm = op.getNearestMode();
  bool crop = cm == "tf_crop_and_resize";
  Value geom = op.getGeometry();
  Type f64 = b.getF64Type();
  auto cf = [&](OpBuilder &ob, double v) {
    return arith::ConstantOp::create(ob, loc, f64, ob.getF64FloatAttr(v)).getResult();
  };
  auto toF64 = [&](Value idx) {
    return arith::SIToFPOp::create(b, loc, f64, arith::IndexCastOp::create(b, loc, b.getI64Type(), idx))
        .getResult();
  };
  // Per-axis geometry, computed once outside the loop nest: scale, input
  // length, output length and the reference's "output width" scale * in.
  struct Axis {
    bool copy;
    Value s, inLen, inF, outLen, outF, outIsOne;
  };
  SmallVector<Axis> ax(r);
  SmallVector<Value> dims(r);
  for (int64_t d = 0; d < r; ++d) {
    Axis &A = ax[d];
    A.copy = !geom && op.getScales()[d] == 1.0 && inT.getDimSize(d) == res.getDimSize(d) && !crop;
    A.inLen = dimOf(b, loc, in, d);
    if (A.copy) {
      dims[d] = A.inLen;
      continue;
    }
    A.inF = toF64(A.inLen);
    if (!geom) {
      A.s = cf(b, op.getScales()[d]);
      A.outLen = cIdx(b, loc, res.getDimSize(d)); // static (verifier)
    } else {
      Value g = tensor::ExtractOp::create(b, loc, geom, ValueRange{cIdx(b, loc, d)});
      if (op.getGeometryIsSizes()) {
        A.outLen = arith::IndexCastOp::create(b, loc, b.getIndexType(), g);
        A.s = arith::DivFOp::create(b, loc, toF64(A.outLen), A.inF);
      } else {
        A.s = g.getType() == f64 ? g : arith::ExtFOp::create(b, loc, f64, g).getResult();
        Value o = math::FloorOp::create(b, loc, arith::MulFOp::create(b, loc, A.inF, A.s));
        A.outLen = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                              arith::FPToSIOp::create(b, loc, b.getI64Type(), o));
      }
    }
    dims[d] = A.outLen;
    A.outF = arith::MulFOp::create(b, loc, A.s, A.inF);
    A.outIsOne = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, A.outF, cf(b, 1.0));
  }
  Value init = empty(b, loc, res, dims);
  Type elem = res.getElementType();
  // tf_crop_and_resize region bounds (f64): attribute or run-time operand.
  SmallVector<Value> roiV;
  if (crop) {
    for (int64_t i = 0; i < 2 * r; ++i) {
      if (Value ri = op.getRoiInput()) {
        Value v = tensor::ExtractOp::create(b, loc, ri, ValueRange{cIdx(b, loc, i)});
        roiV.push_back(v.getType() == f64 ? v : arith::ExtFOp::create(b, loc, f64, v).getResult());
      } else {
        roiV.push_back(cf(b, op.getRoi()[i]));
      }
    }
  }
  auto roiAt = [&](int64_t i) { return roiV[i]; };
  auto body = [&](OpBuilder &nb, Location nl, ValueRange) {
    auto c = [&](double v) { return cf(nb, v); };
    auto ci = [&](int64_t v) { return arith::ConstantIndexOp::create(nb, nl, v).getResult(); };
    auto add = [&](Value a, Value x) { return arith::AddFOp::create(nb, nl, a, x).getResult(); };
    auto sub = [&](Value a, Value x) { return arith::SubFOp::create(nb, nl, a, x).getResult(); };
    auto mul = [&](Value a, Value x) { return arith::MulFOp::create(nb, nl, a, x).getResult(); };
    auto div = [&](Value a, Value x) { return arith::DivFOp::create(nb, nl, a, x).getResult(); };
    auto sel = [&](Value cond, Value t, Value f) { return arith::SelectOp::create(nb, nl, cond, t, f).getResult(); };
    Value outside; // tf_crop_and_resize: some coordinate falls outside the input
    // Per axis: neighbour indices (clamped) and weights (null = 1).
    SmallVector<SmallVector<Value>> idxs(r), wts(r);
    for (int64_t d = 0; d < r; ++d) {
      Axis &A = ax[d];
      Value o = linalg::IndexOp::create(nb, nl, d);
      if (A.copy) {
        idxs[d] = {o};
        wts[d] = {Value()};
        continue;
      }
      Value x = arith::SIToFPOp::create(nb, nl, f64, arith::IndexCastOp::create(nb, nl, nb.getI64Type(), o));
      Value inM1 = sub(A.inF, c(1.0));
      Value halfPixel = sub(div(add(x, c(0.5)), A.s), c(0.5));
      Value xo;
      if (cm == "half_pixel") {
        xo = halfPixel;
      } else if (cm == "pytorch_half_pixel") {
        xo = sel(A.outIsOne, c(-0.5), halfPixel);
      } else if (cm == "half_pixel_symmetric") {
        Value outI = arith::SIToFPOp::create(nb, nl, f64, arith::IndexCastOp::create(nb, nl, nb.getI64Type(), A.outLen));
        Value adjustment = div(outI, A.outF);
        Value offset = mul(div(A.inF, c(2.0)), sub(c(1.0), adjustment));
        xo = add(offset, halfPixel);
      } else if (cm == "align_corners") {
        xo = sel(A.outIsOne, c(0.0), div(mul(x, inM1), sub(A.outF, c(1.0))));
      } else if (cm == "asymmetric") {
        xo = div(x, A.s);
      } else if (cm == "tf_half_pixel_for_nn") {
        xo = div(add(x, c(0.5)), A.s);
      } else { // tf_crop_and_resize
        Value r0 = roiAt(d), r1 = roiAt(r + d);
        Value span = sub(r1, r0);
        xo = sel(A.outIsOne, div(mul(span, inM1), c(2.0)), div(mul(mul(x, span), inM1), sub(A.outF, c(1.0))));
        xo = add(xo, mul(r0, inM1));
        Value lo = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OLT, xo, c(0.0));
        Value hi = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT, xo, inM1);
        Value out = arith::OrIOp::create(nb, nl, lo, hi);
        outside = outside ? arith::OrIOp::create(nb, nl, outside, out).getResult() : out;
      }
      Value fl = math::FloorOp::create(nb, nl, xo);
      Value ratio = sub(xo, fl);
      Value base = arith::IndexCastOp::create(nb, nl, nb.getIndexType(),
                                              arith::FPToSIOp::create(nb, nl, nb.getI64Type(), fl));
      Value last = arith::SubIOp::create(nb, nl, A.inLen, ci(1));
      auto clampIdx = [&](Value i) {
        Value cl = arith::MaxSIOp::create(nb, nl, i, ci(0));
        return arith::MinSIOp::create(nb, nl, cl, last).getResult();
      };
      auto inRange = [&](Value i) {
        Value ge = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sge, i, ci(0));
        Value lt = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, i, A.inLen);
        return arith::AndIOp::create(nb, nl, ge, lt).getResult();
      };
      if (mode == "nearest") {
        Value up;
        auto cmp = [&](arith::CmpFPredicate p, double v) {
          return arith::CmpFOp::create(nb, nl, p, ratio, c(v)).getResult();
        };
        if (nm == "round_prefer_floor") up = cmp(arith::CmpFPredicate::OGT, 0.5);
        else if (nm == "round_prefer_ceil") up = cmp(arith::CmpFPredicate::OGE, 0.5);
        else if (nm == "ceil") up = cmp(arith::CmpFPredicate::OGT, 0.0);
        Value i = up ? sel(up, arith::AddIOp::create(nb, nl, base, ci(1)), base) : base;
        idxs[d] = {clampIdx(i)};
        wts[d] = {Value()};
        continue;
      }
      SmallVector<Value> w;
      int64_t first;
      if (mode == "linear") {
        w = {sub(c(1.0), ratio), ratio};
        first = 0;
      } else {
        double a = op.getCubicCoeffA().convertToDouble();
        Value r1 = add(ratio, c(1.0)), q = sub(c(1.0), ratio), q1 = add(q, c(1.0));
        auto far = [&](Value t) { // ((a t - 5a) t + 8a) t - 4a
          return sub(mul(add(mul(sub(mul(c(a), t), c(5 * a)), t), c(8 * a)), t), c(4 * a));
        };
        auto near = [&](Value t) { // ((a + 2) t - (a + 3)) t t + 1
          return add(mul(mul(sub(mul(c(a + 2), t), c(a + 3)), t), t), c(1.0));
        };
        w = {far(r1), near(ratio), near(q), far(q1)};
        first = -1;
      }
      SmallVector<Value> ids;
      for (int64_t k = 0; k < (int64_t)w.size(); ++k)
        ids.push_back(arith::AddIOp::create(nb, nl, base, ci(first + k)));
      if (op.getExcludeOutside()) {
        Value sum = c(0.0);
        for (size_t k = 0; k < w.size(); ++k) {
          w[k] = sel(inRange(ids[k]), w[k], c(0.0));
          sum = add(sum, w[k]);
        }
        for (Value &wk : w)
          wk = div(wk, sum);
      }
      for (Value &i : ids)
        i = clampIdx(i);
      idxs[d] = ids;
      wts[d] = w;
    }
    // Sum over the cartesian product of the neighbours.
    bool interp = mode != "nearest";
    Value acc;
    SmallVector<int64_t> k(r, 0);
    while (true) {
      SmallVector<Value> at;
      Value w;
      for (int64_t d = 0; d < r; ++d) {
        at.push_back(idxs[d][k[d]]);
        if (Value wd = wts[d][k[d]])
          w = w ? mul(w, wd) : wd;
      }
      Value v = tensor::ExtractOp::create(nb, nl, in, at);
      if (interp) {
        if (elem != f64)
          v = arith::ExtFOp::create(nb, nl, f64, v);
        Value term = w ? mul(w, v) : v;
        acc = acc ? add(acc, term) : term;
      } else {
        acc = v;
      }
      int64_t d = r - 1;
      while (d >= 0 && ++k[d] == (int64_t)idxs[d].size())
        k[d--] = 0;
      if (d < 0)
        break;
    }
    if (interp && elem != f64)
      acc = arith::TruncFOp::create(nb, nl, elem, acc);
    if (outside) {
      double ev = op.getExtrapolationValue().convertToDouble();
      acc = sel(outside, scalar(nb, nl, elem, ev), acc);
    }
    linalg::YieldOp::create(nb, nl, acc);
  };
  return generateOver(b, loc, init, body);
}

} // namespace

void kiln::nn_to_linalg::populateTensorPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerToLinalg<nn::TransposeOp, lowerTranspose>, LowerToLinalg<nn::ReshapeOp, lowerReshape>,
               LowerToLinalg<nn::ConcatOp, lowerConcat>, LowerToLinalg<nn::SliceOp, lowerSlice>,
               LowerToLinalg<nn::DynamicSliceOp, lowerDynamicSlice>, LowerToLinalg<nn::PadOp, lowerPad>,
               LowerToLinalg<nn::PadModeOp, lowerPadMode>, LowerToLinalg<nn::BroadcastOp, lowerBroadcast>,
               LowerToLinalg<nn::ShapeOfOp, lowerShapeOf>, LowerToLinalg<nn::FillOp, lowerFill>,
               LowerToLinalg<nn::RangeOp, lowerRange>, LowerToLinalg<nn::ResizeOp, lowerResize>>(
      patterns.getContext());
}
