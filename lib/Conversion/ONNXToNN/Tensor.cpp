//===- Tensor.cpp - onnx -> nn: shape and data movement -------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Constants, Reshape / Flatten / Squeeze / Unsqueeze, Transpose, Concat,
// Split, Slice, Pad, Expand, Tile, DepthToSpace / SpaceToDepth, Shape, Size,
// ConstantOfShape, Range, EyeLike and Trilu.  Shapes, axes, pads and sizes
// read from constants give static nn ops; the others are computed at run
// time (nn.dynamic_slice, nn.pad_mode, shape tensors).
//
//===----------------------------------------------------------------------===//

#include "Common.h"

using namespace mlir;

namespace kiln::onnx_to_nn {
namespace {

/// Element `i` of a 1-D (or 0-D) integer tensor as an index value: a
/// constant when known at compile time, else read at run time.
Value indexAt(OpBuilder &b, Location loc, Value t, int64_t i) {
  SmallVector<int64_t> vals;
  if (ox::getShapeValues(t, vals) && i < (int64_t)vals.size() && vals[i] != ox::kUnknownValue)
    return arith::ConstantIndexOp::create(b, loc, vals[i]);
  SmallVector<Value> idx;
  if (rtt(t).getRank() == 1)
    idx.push_back(arith::ConstantIndexOp::create(b, loc, i));
  Value e = tensor::ExtractOp::create(b, loc, t, idx);
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), e);
}

/// Small helper for index arithmetic with selects.
struct IdxMath {
  OpBuilder &b;
  Location loc;
  Value c(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value min(Value x, Value y) { return arith::MinSIOp::create(b, loc, x, y); }
  Value max(Value x, Value y) { return arith::MaxSIOp::create(b, loc, x, y); }
  Value cmp(arith::CmpIPredicate p, Value x, Value y) { return arith::CmpIOp::create(b, loc, p, x, y); }
  Value eq(Value x, Value y) { return cmp(arith::CmpIPredicate::eq, x, y); }
  Value lt(Value x, Value y) { return cmp(arith::CmpIPredicate::slt, x, y); }
  Value sel(Value c, Value x, Value y) { return arith::SelectOp::create(b, loc, c, x, y); }
  Value andI(Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }
  Value orI(Value x, Value y) { return arith::OrIOp::create(b, loc, x, y); }
  Value i1(bool v) { return arith::ConstantIntOp::create(b, loc, b.getI1Type(), v); }
  Value toIdx(Value i1v) {
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), arith::ExtUIOp::create(b, loc, b.getI64Type(), i1v));
  }
  /// Negative axis -> axis + rank.
  Value normAxis(Value a, int64_t rank) { return sel(lt(a, c(0)), add(a, c(rank)), a); }
};

struct TensorLowering : Lowering {
  using Lowering::Lowering;

  LoweringResult reshape(ox::ReshapeOp r);
  LoweringResult slice(ox::SliceOp s);
  LoweringResult split(ox::SplitOp s);
  LoweringResult pad(ox::PadOp p);
  LoweringResult expand(ox::ExpandOp e);
  LoweringResult tile(ox::TileOp t);
  Value blockShuffle(Value x, ArrayRef<int64_t> split, ArrayRef<Value> splitDims,
                     ArrayRef<int64_t> perm);
  LoweringResult depthToSpace(ox::DepthToSpaceOp d);
  LoweringResult spaceToDepth(ox::SpaceToDepthOp s);
  LoweringResult eyeLike(ox::EyeLikeOp e);
  LoweringResult trilu(ox::TriluOp t);
  LoweringResult sliceDynamic(ox::SliceOp s);
  LoweringResult splitDynamic(ox::SplitOp s);
  LoweringResult padModes(ox::PadOp p, ArrayRef<int64_t> axes);
  LoweringResult squeezeDynamic(ox::SqueezeOp s);
  LoweringResult unsqueezeDynamic(ox::UnsqueezeOp u);

  LoweringResult lowerConstant(ox::ConstantOp c) {
    return one(arith::ConstantOp::create(b, loc, resType(), cast<TypedAttr>(c.getValue())));
  }
  LoweringResult lowerFlatten(ox::FlattenOp f) {
    auto x = rtt(f.getInput());
    int64_t axis = f.getAxis() < 0 ? f.getAxis() + x.getRank() : f.getAxis();
    SmallVector<Value> dims;
    Value d0 = arith::ConstantIndexOp::create(b, loc, 1), d1 = d0;
    for (int64_t i = 0; i < x.getRank(); ++i) {
      Value d = dimValue(b, loc, f.getInput(), i);
      if (i < axis) d0 = arith::MulIOp::create(b, loc, d0, d);
      else d1 = arith::MulIOp::create(b, loc, d1, d);
    }
    return one(reshapeTo(b, loc, f.getInput(), resType(), {d0, d1}));
  }
  LoweringResult lowerReshape(ox::ReshapeOp r) { return reshape(r); }
  LoweringResult lowerSqueeze(ox::SqueezeOp s) {
    SmallVector<int64_t> sqAxes;
    if (!isNone(s.getAxes()) && !ox::getConstantIntValues(s.getAxes(), sqAxes))
      return squeezeDynamic(s);
    auto x = rtt(s.getData()), res = resType();
    SmallVector<Value> dims;
    for (int64_t i = 0; i < x.getRank(); ++i)
      if (x.getDimSize(i) != 1)
        dims.push_back(dimValue(b, loc, s.getData(), i));
    if ((int64_t)dims.size() != res.getRank())
      dims.clear();
    return one(reshapeTo(b, loc, s.getData(), res, dims));
  }
  LoweringResult lowerUnsqueeze(ox::UnsqueezeOp u) {
    SmallVector<int64_t> usqAxes;
    if (!ox::getConstantIntValues(u.getAxes(), usqAxes))
      return unsqueezeDynamic(u);
    auto x = rtt(u.getData()), res = resType();
    SmallVector<Value> dims;
    int64_t j = 0;
    for (int64_t i = 0; i < res.getRank(); ++i) {
      if (res.getDimSize(i) == 1 && (j >= x.getRank() || x.getDimSize(j) != 1 ||
                                      res.getRank() - i > x.getRank() - j)) {
        dims.push_back(arith::ConstantIndexOp::create(b, loc, 1));
      } else {
        dims.push_back(dimValue(b, loc, u.getData(), j++));
      }
    }
    if (j != x.getRank())
      dims.clear();
    return one(reshapeTo(b, loc, u.getData(), res, dims));
  }
  LoweringResult lowerTranspose(ox::TransposeOp t) {
    int64_t r = rtt(t.getData()).getRank();
    SmallVector<int64_t> perm = intsAttr(t.getPerm());
    if (perm.empty())
      for (int64_t i = r - 1; i >= 0; --i) perm.push_back(i);
    return one(nn::TransposeOp::create(b, loc, resType(), t.getData(), b.getDenseI64ArrayAttr(perm)));
  }
  LoweringResult lowerConcat(ox::ConcatOp c) {
    int64_t r = resType().getRank();
    int64_t axis = c.getAxis() < 0 ? c.getAxis() + r : c.getAxis();
    SmallVector<Value> ins;
    for (Value v : c.getInputs())
      if (rtt(v).getDimSize(axis) != 0)
        ins.push_back(v);
    if (ins.size() == 1 && ins[0].getType() == resType())
      return one(ins[0]);
    return one(nn::ConcatOp::create(b, loc, resType(), ins, b.getI64IntegerAttr(axis)));
  }
  LoweringResult lowerSplit(ox::SplitOp s) { return split(s); }
  LoweringResult lowerSlice(ox::SliceOp s) { return slice(s); }
  LoweringResult lowerPad(ox::PadOp p) { return pad(p); }
  LoweringResult lowerShape(ox::ShapeOp s) {
    int64_t r = rtt(s.getData()).getRank();
    int64_t st = s.getStart() ? *s.getStart() : 0, en = s.getEnd() ? *s.getEnd() : r;
    if (st < 0) st += r;
    if (en < 0) en += r;
    st = std::clamp<int64_t>(st, 0, r);
    en = std::clamp<int64_t>(en, st, r);
    return one(nn::ShapeOfOp::create(b, loc, resType(), s.getData(), b.getI64IntegerAttr(st),
                                     b.getI64IntegerAttr(en)));
  }
  LoweringResult lowerExpand(ox::ExpandOp e) { return expand(e); }
  LoweringResult lowerConstantOfShape(ox::ConstantOfShapeOp c) {
    auto res = resType();
    TypedAttr v = b.getF32FloatAttr(0);
    if (auto va = c.getValue()) {
      auto dense = dyn_cast<DenseElementsAttr>(*va);
      if (!dense)
        return (LogicalResult)(fail() << "value must be a dense constant");
      v = cast<TypedAttr>(dense.getSplatValue<Attribute>());
    }
    Value shape = res.hasStaticShape() ? Value() : c.getInput();
    return one(nn::FillOp::create(b, loc, res, shape, v));
  }
  LoweringResult lowerRange(ox::RangeOp r) {
    return one(nn::RangeOp::create(b, loc, resType(), r.getStart(), r.getLimit(), r.getDelta()));
  }
  LoweringResult lowerSize(ox::SizeOp sz) {
    auto t = rtt(sz.getData());
    auto res = RankedTensorType::get({}, b.getI64Type());
    if (t.hasStaticShape())
      return one(arith::ConstantOp::create(b, loc, DenseElementsAttr::get(res, (int64_t)t.getNumElements())));
    Value n = arith::ConstantIndexOp::create(b, loc, 1);
    for (int64_t i = 0; i < t.getRank(); ++i)
      n = arith::MulIOp::create(b, loc, n, dimValue(b, loc, sz.getData(), i));
    Value v = arith::IndexCastOp::create(b, loc, b.getI64Type(), n);
    return one(tensor::FromElementsOp::create(b, loc, res, ValueRange{v}));
  }
  LoweringResult lowerTrilu(ox::TriluOp t) { return trilu(t); }
  LoweringResult lowerTile(ox::TileOp t) { return tile(t); }
  LoweringResult lowerEyeLike(ox::EyeLikeOp e) { return eyeLike(e); }
  LoweringResult lowerDepthToSpace(ox::DepthToSpaceOp d) { return depthToSpace(d); }
  LoweringResult lowerSpaceToDepth(ox::SpaceToDepthOp s) { return spaceToDepth(s); }
};

LoweringResult TensorLowering::reshape(ox::ReshapeOp r) {
  auto res = resType();
  auto x = rtt(r.getData());
  SmallVector<int64_t> vals;
  if (!ox::getShapeValues(r.getShape(), vals))
    vals.assign(res.getRank(), kDyn);
  // A shape known at compile time with at most one size left to derive:
  // the result type says it all.  Run-time shape values always go to
  // nn.reshape's shape operand, whose sizes kiln-insert-runtime-checks
  // checks against the input.
  if (res.getNumDynamicDims() <= 1 && x.getNumDynamicDims() <= 1 && !llvm::is_contained(vals, kDyn))
    return one(reshapeTo(b, loc, r.getData(), res));
  // Build the final dims at run time: entries of the shape input that are
  // not known at compile time may be 0 (copy the input's dim unless
  // allowzero) or -1 (inferred from the element count), so both cases are
  // resolved with selects; known entries fold to constants.
  auto cst = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v).getResult(); };
  Value oneV = cst(1), minusOne = cst(-1), zero = cst(0);
  SmallVector<Value> dims(res.getRank()), neg(res.getRank());
  Value known = oneV;
  for (int64_t i = 0; i < res.getRank(); ++i) {
    if (!res.isDynamicDim(i) && vals[i] != kDyn) {
      dims[i] = cst(res.getDimSize(i));
      known = arith::MulIOp::create(b, loc, known, dims[i]);
      continue;
    }
    Value e;
    if (vals[i] != kDyn) {
      e = cst(vals[i]);
    } else {
      Value idx = cst(i);
      Value x64 = tensor::ExtractOp::create(b, loc, r.getShape(), ValueRange{idx});
      e = arith::IndexCastOp::create(b, loc, b.getIndexType(), x64);
    }
    if (!r.getAllowzero() && i < x.getRank()) {
      Value isZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, e, zero);
      e = arith::SelectOp::create(b, loc, isZero, dimValue(b, loc, r.getData(), i), e);
    }
    neg[i] = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, e, minusOne);
    dims[i] = e;
    known = arith::MulIOp::create(b, loc, known, arith::SelectOp::create(b, loc, neg[i], oneV, e));
  }
  Value total = oneV;
  for (int64_t i = 0; i < x.getRank(); ++i)
    total = arith::MulIOp::create(b, loc, total, dimValue(b, loc, r.getData(), i));
  // A zero-sized known part leaves nothing to infer from; avoid dividing by 0.
  Value safeKnown = arith::MaxUIOp::create(b, loc, known, oneV);
  Value inferred = arith::DivUIOp::create(b, loc, total, safeKnown);
  for (int64_t i = 0; i < res.getRank(); ++i)
    if (neg[i])
      dims[i] = arith::SelectOp::create(b, loc, neg[i], inferred, dims[i]);
  Value shape = shapeTensor(b, loc, dims);
  return one(nn::ReshapeOp::create(b, loc, res, r.getData(), shape));
}

LoweringResult TensorLowering::slice(ox::SliceOp s) {
  auto x = rtt(s.getData()), res = resType();
  int64_t r = x.getRank();
  SmallVector<int64_t> starts, ends, axes, steps;
  bool known = ox::getShapeValues(s.getStarts(), starts) && ox::getShapeValues(s.getEnds(), ends) &&
               !llvm::is_contained(starts, ox::kUnknownValue) &&
               !llvm::is_contained(ends, ox::kUnknownValue);
  if (!isNone(s.getAxes())) known &= ox::getConstantIntValues(s.getAxes(), axes);
  if (!isNone(s.getSteps())) known &= ox::getConstantIntValues(s.getSteps(), steps);
  if (!known)
    return sliceDynamic(s);
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(i);
  if (steps.empty()) steps.assign(starts.size(), 1);
  SmallVector<int64_t> offsets(r, 0), strides(r, 1);
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t a = axes[i] < 0 ? axes[i] + r : axes[i];
    int64_t d = x.getDimSize(a);
    if (d == kDyn) {
      // Only the identity slice of a dynamic dimension is supported.
      bool full = steps[i] == 1 && (starts[i] == 0) && ends[i] >= (int64_t(1) << 31);
      if (!full)
        return sliceDynamic(s);
      continue;
    }
    int64_t st = starts[i] < 0 ? starts[i] + d : starts[i];
    if (steps[i] > 0)
      st = std::clamp<int64_t>(st, 0, d);
    else
      st = std::clamp<int64_t>(st, 0, d - 1);
    offsets[a] = res.getDimSize(a) == 0 ? 0 : st;
    strides[a] = steps[i];
  }
  return one(nn::SliceOp::create(b, loc, res, s.getData(), b.getDenseI64ArrayAttr(offsets),
                                 b.getDenseI64ArrayAttr(strides)));
}

LoweringResult TensorLowering::split(ox::SplitOp s) {
  auto x = rtt(s.getInput());
  int64_t r = x.getRank(), axis = s.getAxis() < 0 ? s.getAxis() + r : s.getAxis();
  SmallVector<Value> outs;
  int64_t off = 0;
  for (Value res : s.getResults())
    if (rtt(res).isDynamicDim(axis))
      return splitDynamic(s);
  for (Value res : s.getResults()) {
    auto t = rtt(res);
    SmallVector<int64_t> offsets(r, 0), strides(r, 1);
    offsets[axis] = t.getDimSize(axis) == 0 ? 0 : off;
    off += t.getDimSize(axis);
    outs.push_back(nn::SliceOp::create(b, loc, t, s.getInput(), b.getDenseI64ArrayAttr(offsets),
                                       b.getDenseI64ArrayAttr(strides)));
  }
  return outs;
}

LoweringResult TensorLowering::pad(ox::PadOp p) {
  auto x = rtt(p.getData());
  int64_t r = x.getRank();
  SmallVector<int64_t> pads, axes;
  if (!isNone(p.getAxes())) {
    if (!ox::getConstantIntValues(p.getAxes(), axes))
      return (LogicalResult)(fail() << "axes must be constant");
    for (int64_t &a : axes)
      if (a < 0) a += r;
  } else {
    for (int64_t i = 0; i < r; ++i) axes.push_back(i);
  }
  if (p.getMode() != "constant" || !ox::getConstantIntValues(p.getPads(), pads) ||
      llvm::any_of(pads, [](int64_t v) { return v < 0; }))
    return padModes(p, axes);
  SmallVector<int64_t> full(2 * r, 0);
  int64_t n = axes.size();
  for (int64_t i = 0; i < n; ++i) {
    full[axes[i]] = pads[i];
    full[axes[i] + r] = pads[i + n];
  }
  double value = 0;
  if (!isNone(p.getConstantValue())) {
    SmallVector<double> fv;
    SmallVector<int64_t> iv;
    if (readFloats(p.getConstantValue(), fv) && !fv.empty()) value = fv[0];
    else if (ox::getConstantIntValues(p.getConstantValue(), iv) && !iv.empty()) value = iv[0];
    else return padModes(p, axes);
  }
  return one(nn::PadOp::create(b, loc, resType(), p.getData(), b.getDenseI64ArrayAttr(full),
                               b.getF64FloatAttr(value)));
}

LoweringResult TensorLowering::expand(ox::ExpandOp e) {
  auto res = resType();
  Value x = toRank(b, loc, e.getInput(), res.getRank());
  Value shape;
  auto st = rtt(e.getShape());
  int64_t n = st.getDimSize(0), r = res.getRank();
  SmallVector<int64_t> vals;
  if (!ox::getShapeValues(e.getShape(), vals) || (int64_t)vals.size() != n)
    vals.assign(n, kDyn);
  // Entry i of the shape when the result dim it gives is not certain at
  // compile time: a dynamic dim, or a static one whose entry is run-time
  // data (which must still be 1 or that size: checked on nn.broadcast).
  auto runtimeEntry = [&](int64_t i) {
    return i >= r - n && (res.isDynamicDim(i) || vals[i - (r - n)] == kDyn);
  };
  bool anyRuntime = false;
  for (int64_t i = 0; i < r; ++i)
    anyRuntime |= runtimeEntry(i) || res.isDynamicDim(i);
  if (anyRuntime) {
    SmallVector<Value> dims;
    for (int64_t i = 0; i < r; ++i) {
      if (!runtimeEntry(i) && !res.isDynamicDim(i)) {
        dims.push_back(arith::ConstantIndexOp::create(b, loc, res.getDimSize(i)));
        continue;
      }
      Value xd = dimValue(b, loc, x, i);
      if (i < r - n) {
        dims.push_back(xd);
        continue;
      }
      Value idx = arith::ConstantIndexOp::create(b, loc, i - (r - n));
      Value sv = arith::IndexCastOp::create(
          b, loc, b.getIndexType(), tensor::ExtractOp::create(b, loc, e.getShape(), ValueRange{idx}));
      // The entry, or the input's dim where the entry is 1.  Sizes that do
      // not broadcast (input 3, entry 4; input 4, entry 0) stay visible to
      // the run-time check of nn.broadcast (input dim 1 or the result's);
      // max(input, entry) turned input 0, entry 1 into 1 instead of 0 and
      // input 4, entry 0 into 4 instead of an error.
      Value isOne = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, sv,
                                          arith::ConstantIndexOp::create(b, loc, 1));
      dims.push_back(arith::SelectOp::create(b, loc, isOne, xd, sv));
    }
    shape = shapeTensor(b, loc, dims);
  }
  return one(nn::BroadcastOp::create(b, loc, res, x, shape));
}

LoweringResult TensorLowering::tile(ox::TileOp t) {
  Value x = t.getInput();
  auto xt = rtt(x), res = resType();
  int64_t r = xt.getRank();
  if (r == 0)
    return one(x);
  SmallVector<int64_t> reps;
  if (!ox::getShapeValues(t.getRepeats(), reps) || (int64_t)reps.size() != r)
    reps.assign(r, kDyn);
  // x [d0, d1, ...] -> [1, d0, 1, d1, ...] -> broadcast [r0, d0, r1, d1, ...]
  // -> [r0 * d0, r1 * d1, ...].
  SmallVector<int64_t> expShape, bcShape;
  SmallVector<Value> expDims, bcDims, outDims;
  Value one1 = idxOf(b, loc, 1);
  for (int64_t i = 0; i < r; ++i) {
    Value rep;
    if (reps[i] != kDyn) {
      if (reps[i] < 0)
        return (LogicalResult)(fail() << "negative repeat " << reps[i]);
      rep = idxOf(b, loc, reps[i]);
    } else {
      Value e = tensor::ExtractOp::create(b, loc, t.getRepeats(), ValueRange{idxOf(b, loc, i)});
      rep = arith::IndexCastOp::create(b, loc, b.getIndexType(), e);
      // A negative repeat count is invalid; treat it as 0 rather than
      // allocating a negative size.
      rep = arith::MaxSIOp::create(b, loc, rep, idxOf(b, loc, 0));
    }
    Value d = dimValue(b, loc, x, i);
    expShape.append({1, xt.getDimSize(i)});
    expDims.append({one1, d});
    bcShape.append({reps[i], xt.getDimSize(i)});
    bcDims.append({rep, d});
    outDims.push_back(arith::MulIOp::create(b, loc, rep, d));
  }
  Value e = reshapeTo(b, loc, x, RankedTensorType::get(expShape, xt.getElementType()), expDims);
  auto bcT = RankedTensorType::get(bcShape, xt.getElementType());
  Value shape = bcT.hasStaticShape() ? Value() : shapeTensor(b, loc, bcDims);
  Value bc = nn::BroadcastOp::create(b, loc, bcT, e, shape);
  return one(reshapeTo(b, loc, bc, res, outDims));
}

/// Reshapes 4-D `x` to the 6-D `split` shape and transposes it by `perm`
/// (the middle step of DepthToSpace / SpaceToDepth).
Value TensorLowering::blockShuffle(Value x, ArrayRef<int64_t> split, ArrayRef<Value> splitDims,
                              ArrayRef<int64_t> perm) {
  auto xt = rtt(x);
  auto st = RankedTensorType::get(split, xt.getElementType());
  Value s = reshapeTo(b, loc, x, st, splitDims);
  SmallVector<int64_t> pshape;
  for (int64_t p : perm)
    pshape.push_back(split[p]);
  return nn::TransposeOp::create(b, loc, RankedTensorType::get(pshape, xt.getElementType()), s,
                                 b.getDenseI64ArrayAttr(perm));
}

LoweringResult TensorLowering::depthToSpace(ox::DepthToSpaceOp d) {
  Value x = d.getInput();
  auto xt = rtt(x), res = resType();
  int64_t bs = d.getBlocksize();
  bool crd = d.getMode() == "CRD";
  Value N = dimValue(b, loc, x, 0), C = dimValue(b, loc, x, 1), H = dimValue(b, loc, x, 2),
        W = dimValue(b, loc, x, 3), B = idxOf(b, loc, bs);
  Value Cq = arith::DivUIOp::create(b, loc, C, idxOf(b, loc, bs * bs));
  int64_t n = xt.getDimSize(0), cq = res.getDimSize(1), h = xt.getDimSize(2), w = xt.getDimSize(3);
  SmallVector<int64_t> split, perm;
  SmallVector<Value> splitDims;
  if (crd) {
    split = {n, cq, bs, bs, h, w};
    splitDims = {N, Cq, B, B, H, W};
    perm = {0, 1, 4, 2, 5, 3};
  } else {
    split = {n, bs, bs, cq, h, w};
    splitDims = {N, B, B, Cq, H, W};
    perm = {0, 3, 4, 1, 5, 2};
  }
  Value tr = blockShuffle(x, split, splitDims, perm);
  SmallVector<Value> outDims{N, Cq, arith::MulIOp::create(b, loc, H, B),
                             arith::MulIOp::create(b, loc, W, B)};
  return one(reshapeTo(b, loc, tr, res, outDims));
}

LoweringResult TensorLowering::spaceToDepth(ox::SpaceToDepthOp s) {
  Value x = s.getInput();
  auto xt = rtt(x), res = resType();
  int64_t bs = s.getBlocksize();
  Value N = dimValue(b, loc, x, 0), C = dimValue(b, loc, x, 1), B = idxOf(b, loc, bs);
  Value Hq = arith::DivUIOp::create(b, loc, dimValue(b, loc, x, 2), B);
  Value Wq = arith::DivUIOp::create(b, loc, dimValue(b, loc, x, 3), B);
  SmallVector<int64_t> split{xt.getDimSize(0), xt.getDimSize(1), res.getDimSize(2), bs,
                             res.getDimSize(3), bs};
  SmallVector<Value> splitDims{N, C, Hq, B, Wq, B};
  Value tr = blockShuffle(x, split, splitDims, {0, 3, 5, 1, 2, 4});
  SmallVector<Value> outDims{N, arith::MulIOp::create(b, loc, C, idxOf(b, loc, bs * bs)), Hq, Wq};
  return one(reshapeTo(b, loc, tr, res, outDims));
}

LoweringResult TensorLowering::trilu(ox::TriluOp t) {
  int64_t k = 0;
  Value kIn;
  if (!isNone(t.getK())) {
    SmallVector<int64_t> kv;
    if (ox::getConstantIntValues(t.getK(), kv) && kv.size() == 1) {
      k = kv[0];
    } else {
      kIn = t.getK();
      auto kt = rtt(kIn);
      if (!kt.getElementType().isInteger(64))
        kIn = nn::CastOp::create(b, loc, kt.clone(b.getI64Type()), kIn, false, false);
    }
  }
  return one(nn::TriluOp::create(b, loc, resType(), t.getInput(), kIn, b.getBoolAttr(t.getUpper() != 0),
                                 b.getI64IntegerAttr(k)));
}

LoweringResult TensorLowering::eyeLike(ox::EyeLikeOp e) {
  auto res = resType();
  Type et = res.getElementType();
  TypedAttr oneAttr = isa<FloatType>(et) ? TypedAttr(b.getFloatAttr(et, 1.0))
                                         : TypedAttr(b.getIntegerAttr(et, 1));
  Value shape;
  if (!res.hasStaticShape())
    shape = nn::ShapeOfOp::create(b, loc, RankedTensorType::get({2}, b.getI64Type()), e.getInput(),
                                  b.getI64IntegerAttr(0), b.getI64IntegerAttr(2));
  Value ones = nn::FillOp::create(b, loc, res, shape, oneAttr);
  // Ones where j - i >= k and j - i <= k: the diagonal k.
  Value up = nn::TriluOp::create(b, loc, res, ones, Value(), b.getBoolAttr(true),
                                 b.getI64IntegerAttr(e.getK()));
  return one(nn::TriluOp::create(b, loc, res, up, Value(), b.getBoolAttr(false),
                                 b.getI64IntegerAttr(e.getK())));
}

/// Slice whose starts / ends / axes / steps (or sliced dims) are known only
/// at run time: per dim, offset / size / step are computed with ONNX's
/// clamping rules and fed to nn.dynamic_slice.
LoweringResult TensorLowering::sliceDynamic(ox::SliceOp s) {
  auto x = rtt(s.getData());
  int64_t r = x.getRank();
  auto st = rtt(s.getStarts()), et = rtt(s.getEnds());
  if (st.getRank() != 1 || st.isDynamicDim(0) || et.getRank() != 1 || et.getDimSize(0) != st.getDimSize(0))
    return (LogicalResult)(fail() << "starts and ends must be 1-D tensors of the same static length");
  int64_t n = st.getDimSize(0);
  SmallVector<int64_t> axesC;
  bool axesKnown = isNone(s.getAxes()) || ox::getConstantIntValues(s.getAxes(), axesC);
  if (isNone(s.getAxes()))
    for (int64_t j = 0; j < n; ++j) axesC.push_back(j);
  if (axesKnown && (int64_t)axesC.size() != n)
    return (LogicalResult)(fail() << "axes has " << axesC.size() << " entries, expected " << n);
  for (Value v : {s.getAxes(), s.getSteps()})
    if (!isNone(v) && (rtt(v).getRank() != 1 || rtt(v).getDimSize(0) != n))
      return (LogicalResult)(fail() << "axes and steps must be 1-D tensors of " << n << " entries");
  IdxMath m{b, loc};
  SmallVector<Value> offs, sizes, steps;
  for (int64_t d = 0; d < r; ++d) {
    Value dim = dimValue(b, loc, s.getData(), d);
    Value off = m.c(0), size = dim, step = m.c(1);
    for (int64_t j = 0; j < n; ++j) {
      Value match;
      if (axesKnown) {
        int64_t a = axesC[j] < 0 ? axesC[j] + r : axesC[j];
        if (a < 0 || a >= r)
          return (LogicalResult)(fail() << "axis " << axesC[j] << " out of range");
        if (a != d)
          continue;
      } else {
        match = m.eq(m.normAxis(indexAt(b, loc, s.getAxes(), j), r), m.c(d));
      }
      Value stp = isNone(s.getSteps()) ? m.c(1) : indexAt(b, loc, s.getSteps(), j);
      stp = m.sel(m.eq(stp, m.c(0)), m.c(1), stp);  // 0 is invalid; never divide by it
      Value pos = m.lt(m.c(0), stp);
      Value sv = indexAt(b, loc, s.getStarts(), j), ev = indexAt(b, loc, s.getEnds(), j);
      sv = m.sel(m.lt(sv, m.c(0)), m.add(sv, dim), sv);
      ev = m.sel(m.lt(ev, m.c(0)), m.add(ev, dim), ev);
      // step > 0: start and end clamped to [0, dim]; step < 0: start to
      // [0, dim - 1], end to [-1, dim - 1].
      Value hi = m.sel(pos, dim, m.sub(dim, m.c(1)));
      Value sc = m.max(m.min(sv, hi), m.c(0));
      Value ec = m.max(m.min(ev, hi), m.sel(pos, m.c(0), m.c(-1)));
      Value diff = m.sel(pos, m.sub(ec, sc), m.sub(sc, ec));
      Value absStep = m.sel(pos, stp, m.sub(m.c(0), stp));
      Value sz = m.max(arith::CeilDivSIOp::create(b, loc, diff, absStep), m.c(0));
      sz = m.sel(m.eq(dim, m.c(0)), m.c(0), sz);
      Value o = m.sel(m.eq(sz, m.c(0)), m.c(0), sc);
      if (match) {
        off = m.sel(match, o, off);
        size = m.sel(match, sz, size);
        step = m.sel(match, stp, step);
      } else {
        off = o;
        size = sz;
        step = stp;
      }
    }
    offs.push_back(off);
    sizes.push_back(size);
    steps.push_back(step);
  }
  return one(nn::DynamicSliceOp::create(b, loc, resType(), s.getData(), shapeTensor(b, loc, offs),
                                        shapeTensor(b, loc, sizes), shapeTensor(b, loc, steps)));
}

/// Split with run-time sizes (a split input that is not constant, or a
/// dynamic split dim): each output is an nn.dynamic_slice.
LoweringResult TensorLowering::splitDynamic(ox::SplitOp s) {
  auto x = rtt(s.getInput());
  int64_t r = x.getRank(), axis = s.getAxis() < 0 ? s.getAxis() + r : s.getAxis();
  int64_t n = s.getNumResults();
  IdxMath m{b, loc};
  Value d = dimValue(b, loc, s.getInput(), axis);
  if (!isNone(s.getSplit())) {
    auto spt = rtt(s.getSplit());
    if (spt.getRank() != 1 || spt.getDimSize(0) != n)
      return (LogicalResult)(fail() << "split must be a 1-D tensor of " << n << " entries");
  }
  Value chunk;
  if (isNone(s.getSplit()))
    chunk = arith::CeilDivSIOp::create(b, loc, d, m.c(n));
  SmallVector<Value> outs;
  Value off = m.c(0);
  for (int64_t i = 0; i < n; ++i) {
    Value sz = isNone(s.getSplit()) ? m.max(m.min(chunk, m.sub(d, m.min(d, off))), m.c(0))
                                    : indexAt(b, loc, s.getSplit(), i);
    SmallVector<Value> offs(r, m.c(0)), sizes, strides(r, m.c(1));
    for (int64_t k = 0; k < r; ++k)
      sizes.push_back(k == axis ? sz : dimValue(b, loc, s.getInput(), k));
    offs[axis] = off;
    outs.push_back(nn::DynamicSliceOp::create(b, loc, resType(i), s.getInput(), shapeTensor(b, loc, offs),
                                              shapeTensor(b, loc, sizes), shapeTensor(b, loc, strides)));
    off = m.add(off, sz);
  }
  return outs;
}

/// Pad with run-time pads, negative pads or a non-constant mode: the pads
/// (scattered to every dim by `axes`) and the pad value become operands of
/// nn.pad_mode.
LoweringResult TensorLowering::padModes(ox::PadOp p, ArrayRef<int64_t> axes) {
  auto x = rtt(p.getData());
  int64_t r = x.getRank(), n = axes.size();
  auto pt = rtt(p.getPads());
  if (pt.getRank() != 1 || (!pt.isDynamicDim(0) && pt.getDimSize(0) != 2 * n))
    return (LogicalResult)(fail() << "pads must be a 1-D tensor of " << 2 * n << " entries");
  IdxMath m{b, loc};
  SmallVector<Value> full(2 * r, m.c(0));
  for (int64_t i = 0; i < n; ++i) {
    full[axes[i]] = indexAt(b, loc, p.getPads(), i);
    full[axes[i] + r] = indexAt(b, loc, p.getPads(), i + n);
  }
  Value value;
  if (!isNone(p.getConstantValue()) && p.getMode() == "constant") {
    auto vt = rtt(p.getConstantValue());
    if (vt.getElementType() != x.getElementType() || !vt.hasStaticShape() || vt.getNumElements() != 1)
      return (LogicalResult)(fail() << "constant_value must be a one-element tensor of the input's type");
    value = p.getConstantValue();
  }
  return one(nn::PadModeOp::create(b, loc, resType(), p.getData(), shapeTensor(b, loc, full), value,
                                   p.getModeAttr()));
}

/// Squeeze with run-time axes: the result rank is known from their count;
/// result dim k is the k-th input dim not named by an axis.
LoweringResult TensorLowering::squeezeDynamic(ox::SqueezeOp s) {
  auto x = rtt(s.getData());
  int64_t r = x.getRank(), n = rtt(s.getAxes()).getDimSize(0);
  IdxMath m{b, loc};
  SmallVector<Value> axes;
  for (int64_t j = 0; j < n; ++j)
    axes.push_back(m.normAxis(indexAt(b, loc, s.getAxes(), j), r));
  SmallVector<Value> out(r - n, m.c(1));
  Value pos = m.c(0);
  for (int64_t i = 0; i < r; ++i) {
    Value isAxis = m.i1(false);
    for (Value a : axes)
      isAxis = m.orI(isAxis, m.eq(a, m.c(i)));
    Value keep = m.eq(isAxis, m.i1(false));
    Value dim = dimValue(b, loc, s.getData(), i);
    for (int64_t k = 0; k < r - n; ++k)
      out[k] = m.sel(m.andI(keep, m.eq(pos, m.c(k))), dim, out[k]);
    pos = m.add(pos, m.toIdx(keep));
  }
  return one(nn::ReshapeOp::create(b, loc, resType(), s.getData(), shapeTensor(b, loc, out)));
}

/// Unsqueeze with run-time axes: result dim i is 1 when named by an axis,
/// else input dim i - (number of axes before i).
LoweringResult TensorLowering::unsqueezeDynamic(ox::UnsqueezeOp u) {
  auto x = rtt(u.getData());
  auto at = rtt(u.getAxes());
  int64_t n = at.getRank() == 0 ? 1 : at.getDimSize(0), r = x.getRank(), R = r + n;
  IdxMath m{b, loc};
  SmallVector<Value> axes;
  for (int64_t j = 0; j < n; ++j)
    axes.push_back(m.normAxis(indexAt(b, loc, u.getAxes(), j), R));
  SmallVector<Value> out;
  Value before = m.c(0);
  for (int64_t i = 0; i < R; ++i) {
    Value isAxis = m.i1(false);
    for (Value a : axes)
      isAxis = m.orI(isAxis, m.eq(a, m.c(i)));
    Value src = m.sub(m.c(i), before);
    Value dim = m.c(1);
    for (int64_t j = 0; j < r; ++j)
      dim = m.sel(m.eq(src, m.c(j)), dimValue(b, loc, u.getData(), j), dim);
    out.push_back(m.sel(isAxis, m.c(1), dim));
    before = m.add(before, m.toIdx(isAxis));
  }
  return one(nn::ReshapeOp::create(b, loc, resType(), u.getData(), shapeTensor(b, loc, out)));
}

} // namespace

void populateTensorPatterns(RewritePatternSet &patterns) {
  using L = TensorLowering;
  addLowering<ox::ConstantOp, &L::lowerConstant>(patterns);
  addLowering<ox::FlattenOp, &L::lowerFlatten>(patterns);
  addLowering<ox::ReshapeOp, &L::lowerReshape>(patterns);
  addLowering<ox::SqueezeOp, &L::lowerSqueeze>(patterns);
  addLowering<ox::UnsqueezeOp, &L::lowerUnsqueeze>(patterns);
  addLowering<ox::TransposeOp, &L::lowerTranspose>(patterns);
  addLowering<ox::ConcatOp, &L::lowerConcat>(patterns);
  addLowering<ox::SplitOp, &L::lowerSplit>(patterns);
  addLowering<ox::SliceOp, &L::lowerSlice>(patterns);
  addLowering<ox::PadOp, &L::lowerPad>(patterns);
  addLowering<ox::ShapeOp, &L::lowerShape>(patterns);
  addLowering<ox::ExpandOp, &L::lowerExpand>(patterns);
  addLowering<ox::ConstantOfShapeOp, &L::lowerConstantOfShape>(patterns);
  addLowering<ox::RangeOp, &L::lowerRange>(patterns);
  addLowering<ox::SizeOp, &L::lowerSize>(patterns);
  addLowering<ox::TriluOp, &L::lowerTrilu>(patterns);
  addLowering<ox::TileOp, &L::lowerTile>(patterns);
  addLowering<ox::EyeLikeOp, &L::lowerEyeLike>(patterns);
  addLowering<ox::DepthToSpaceOp, &L::lowerDepthToSpace>(patterns);
  addLowering<ox::SpaceToDepthOp, &L::lowerSpaceToDepth>(patterns);
}

} // namespace kiln::onnx_to_nn
