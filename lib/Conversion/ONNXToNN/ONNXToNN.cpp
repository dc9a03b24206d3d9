//===- ONNXToNN.cpp - normalize onnx ops into nn ops ----------------------===//

#include "kiln/Conversion/Passes.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"
#include "llvm/ADT/TypeSwitch.h"

namespace kiln {
#define GEN_PASS_DEF_CONVERTONNXTONN
#define GEN_PASS_DEF_ONNXSHAPEINFERENCE
#include "kiln/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;
namespace ox = kiln::onnx;
namespace nn = kiln::nn;

static constexpr int64_t kDyn = ShapedType::kDynamic;

namespace {

RankedTensorType rtt(Value v) { return cast<RankedTensorType>(v.getType()); }
bool isNone(Value v) { return !v || isa<NoneType>(v.getType()); }

/// Emits `d` as an index value (constant if static).
Value dimValue(OpBuilder &b, Location loc, Value t, int64_t i) {
  auto type = rtt(t);
  if (!type.isDynamicDim(i))
    return arith::ConstantIndexOp::create(b, loc, type.getDimSize(i));
  return tensor::DimOp::create(b, loc, t, i);
}

/// Builds a 1-D i64 shape tensor from index values.
Value shapeTensor(OpBuilder &b, Location loc, ArrayRef<Value> dims) {
  SmallVector<Value> elems;
  for (Value d : dims)
    elems.push_back(arith::IndexCastOp::create(b, loc, b.getI64Type(), d));
  return tensor::FromElementsOp::create(
      b, loc, RankedTensorType::get({(int64_t)dims.size()}, b.getI64Type()), elems);
}

/// Reshape `x` to `type`; `dims` (optional) gives the result dims as index
/// values and is only used when more than one result dim is dynamic.
Value reshapeTo(OpBuilder &b, Location loc, Value x, RankedTensorType type,
                ArrayRef<Value> dims = {}) {
  if (x.getType() == type)
    return x;
  Value shape;
  if (type.getNumDynamicDims() > 1 ||
      (type.getNumDynamicDims() == 1 && !dims.empty() && rtt(x).getNumDynamicDims() > 1)) {
    assert(dims.size() == (size_t)type.getRank() && "need dims for a dynamic reshape");
    shape = shapeTensor(b, loc, dims);
  }
  return nn::ReshapeOp::create(b, loc, type, x, shape);
}

/// Prepends size-1 dims so that `v` has `rank` dims.
Value toRank(OpBuilder &b, Location loc, Value v, int64_t rank) {
  auto t = rtt(v);
  if (t.getRank() == rank)
    return v;
  SmallVector<int64_t> shape(rank - t.getRank(), 1);
  shape.append(t.getShape().begin(), t.getShape().end());
  auto type = RankedTensorType::get(shape, t.getElementType());
  SmallVector<Value> dims;
  for (int64_t i = 0; i < rank - t.getRank(); ++i)
    dims.push_back(arith::ConstantIndexOp::create(b, loc, 1));
  for (int64_t i = 0; i < t.getRank(); ++i)
    dims.push_back(dimValue(b, loc, v, i));
  return reshapeTo(b, loc, v, type, dims);
}

Value binary(OpBuilder &b, Location loc, nn::BinaryKind kind, Value lhs, Value rhs,
             RankedTensorType resType) {
  int64_t r = resType.getRank();
  lhs = toRank(b, loc, lhs, r);
  rhs = toRank(b, loc, rhs, r);
  return nn::BinaryOp::create(b, loc, resType, lhs, rhs, kind);
}

Value unary(OpBuilder &b, Location loc, nn::UnaryKind kind, Value x,
            FloatAttr alpha = {}, FloatAttr beta = {}) {
  return nn::UnaryOp::create(b, loc, x.getType(), x, kind, alpha, beta);
}

/// Reads a constant's float elements (dense or resource).
bool readFloats(Value v, SmallVectorImpl<double> &out) {
  if (auto c = v.getDefiningOp<arith::ConstantOp>()) {
    // Converted already.
    if (auto d = dyn_cast<DenseFPElementsAttr>(c.getValue())) {
      for (APFloat f : d.getValues<APFloat>()) {
        bool lost;
        f.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
        out.push_back(f.convertToDouble());
      }
      return true;
    }
    if (auto r = dyn_cast<DenseResourceElementsAttr>(c.getValue())) {
      auto *blob = r.getRawHandle().getBlob();
      if (!blob || !r.getElementType().isF32())
        return false;
      auto data = blob->getData();
      for (int64_t i = 0; i < r.getNumElements(); ++i) {
        float f;
        memcpy(&f, data.data() + 4 * i, 4);
        out.push_back(f);
      }
      return true;
    }
    return false;
  }
  return ox::getConstantFloatValues(v, out);
}

ElementsAttr floatsAttr(RankedTensorType type, ArrayRef<double> vals) {
  SmallVector<APFloat> fl;
  auto ft = cast<FloatType>(type.getElementType());
  for (double d : vals) {
    APFloat f(d);
    bool lost;
    f.convert(ft.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
    fl.push_back(f);
  }
  return DenseElementsAttr::get(type, fl);
}

Value constTensor(OpBuilder &b, Location loc, RankedTensorType type, ArrayRef<double> vals) {
  return arith::ConstantOp::create(b, loc, type, cast<TypedAttr>(floatsAttr(type, vals)));
}

SmallVector<int64_t> intsAttr(std::optional<ArrayAttr> a) {
  SmallVector<int64_t> out;
  if (a)
    for (Attribute e : *a)
      out.push_back(cast<IntegerAttr>(e).getInt());
  return out;
}

//===----------------------------------------------------------------------===//
// Conversion of one op.  Returns the replacement values or failure (with a
// diagnostic naming the node).
//===----------------------------------------------------------------------===//

struct Converter {
  OpBuilder &b;
  Location loc;
  Operation *op;

  InFlightDiagnostic fail() {
    return op->emitError() << ox::describeNode(op) << ": ";
  }
  RankedTensorType resType(unsigned i = 0) { return rtt(op->getResult(i)); }

  FailureOr<SmallVector<Value>> convert();

  SmallVector<Value> one(Value v) { return {v}; }

  FailureOr<SmallVector<Value>> conv(ox::ConvOp c);
  FailureOr<SmallVector<Value>> convTranspose(ox::ConvTransposeOp c);
  FailureOr<SmallVector<Value>> gemm(ox::GemmOp g);
  FailureOr<SmallVector<Value>> matmul(ox::MatMulOp m);
  FailureOr<SmallVector<Value>> batchNorm(ox::BatchNormalizationOp bn);
  template <typename PoolT>
  FailureOr<SmallVector<Value>> pool(PoolT p, nn::PoolKind kind);
  FailureOr<SmallVector<Value>> reshape(ox::ReshapeOp r);
  FailureOr<SmallVector<Value>> slice(ox::SliceOp s);
  FailureOr<SmallVector<Value>> split(ox::SplitOp s);
  FailureOr<SmallVector<Value>> pad(ox::PadOp p);
  FailureOr<SmallVector<Value>> clip(ox::ClipOp c);
  FailureOr<SmallVector<Value>> expand(ox::ExpandOp e);
  template <typename RedT>
  FailureOr<SmallVector<Value>> reduce(RedT r, nn::ReduceKind kind);
  FailureOr<SmallVector<Value>> variadic(ValueRange ins, nn::BinaryKind kind);

  // ---- conformance [elementwise]: add new entries above this line ----

  FailureOr<SmallVector<Value>> tile(ox::TileOp t);
  Value blockShuffle(Value x, ArrayRef<int64_t> split, ArrayRef<Value> splitDims,
                     ArrayRef<int64_t> perm);
  FailureOr<SmallVector<Value>> depthToSpace(ox::DepthToSpaceOp d);
  FailureOr<SmallVector<Value>> spaceToDepth(ox::SpaceToDepthOp s);
  FailureOr<SmallVector<Value>> compress(ox::CompressOp c);
  FailureOr<SmallVector<Value>> eyeLike(ox::EyeLikeOp e);
  FailureOr<SmallVector<Value>> trilu(ox::TriluOp t);

  // ---- conformance [indexing]: add new entries above this line ----

  // ---- conformance [normalization]: add new entries above this line ----

  // ---- conformance [sorting]: add new entries above this line ----

  // ---- conformance [loss]: add new entries above this line ----

  // ---- conformance [convpool]: add new entries above this line ----

  // ---- conformance [recurrent]: add new entries above this line ----

  FailureOr<SmallVector<Value>> quantOp(Operation *o);
  Value quantParam(Value p, RankedTensorType x, int64_t axis);
  Value toI32(Value v, bool isUnsigned);
  FailureOr<SmallVector<Value>> quantIntegerMatmul(Value A, Value B, Value azp, Value bzp,
                                                   bool ua, bool ub, RankedTensorType res);
  FailureOr<Value> quantIntegerConv(Operation *o, Value x, Value w, Value xzp, Value wzp, bool ux,
                                    bool uw, RankedTensorType res);

  // ---- conformance [quant]: add new entries above this line ----

};

FailureOr<SmallVector<Value>> Converter::variadic(ValueRange ins, nn::BinaryKind kind) {
  Value acc = ins[0];
  auto res = resType();
  if (ins.size() == 1)
    return one(acc);
  for (Value v : ins.drop_front()) {
    // Intermediate results: broadcast of the two.
    auto a = rtt(acc), c = rtt(v);
    int64_t r = std::max(a.getRank(), c.getRank());
    SmallVector<int64_t> shape(r);
    for (int64_t i = 0; i < r; ++i) {
      int64_t da = i < r - a.getRank() ? 1 : a.getDimSize(i - (r - a.getRank()));
      int64_t dc = i < r - c.getRank() ? 1 : c.getDimSize(i - (r - c.getRank()));
      shape[i] = da == 1 ? dc : da;
    }
    acc = binary(b, loc, kind, acc, v, RankedTensorType::get(shape, res.getElementType()));
  }
  if (acc.getType() != res)
    acc = tensor::CastOp::create(b, loc, res, acc);
  return one(acc);
}

FailureOr<SmallVector<Value>> Converter::conv(ox::ConvOp c) {
  auto x = rtt(c.getX()), w = rtt(c.getW());
  int64_t ns = x.getRank() - 2;
  auto res = resType();
  // Recompute explicit pads (auto_pad) exactly as shape inference did.
  SmallVector<int64_t> strides = intsAttr(c.getStrides()), dil = intsAttr(c.getDilations()),
                       pads = intsAttr(c.getPads());
  if (strides.empty()) strides.assign(ns, 1);
  if (dil.empty()) dil.assign(ns, 1);
  if (pads.empty()) pads.assign(2 * ns, 0);
  StringRef ap = c.getAutoPad();
  for (int64_t i = 0; i < ns; ++i) {
    if (ap == "VALID") {
      pads[i] = pads[i + ns] = 0;
    } else if (ap == "SAME_UPPER" || ap == "SAME_LOWER") {
      int64_t in = x.getDimSize(i + 2), k = w.getDimSize(i + 2);
      int64_t ek = dil[i] * (k - 1) + 1;
      int64_t out = (in + strides[i] - 1) / strides[i];
      int64_t total = std::max<int64_t>(0, (out - 1) * strides[i] + ek - in);
      pads[i] = ap == "SAME_UPPER" ? total / 2 : total - total / 2;
      pads[i + ns] = total - pads[i];
    }
  }
  if (ns > 3)
    return (LogicalResult)(fail() << "convolutions with more than 3 spatial dims are not supported");
  Value bias = isNone(c.getB()) ? Value() : c.getB();
  Value r = nn::ConvOp::create(b, loc, res, c.getX(), c.getW(), bias,
                               b.getDenseI64ArrayAttr(strides), b.getDenseI64ArrayAttr(dil),
                               b.getDenseI64ArrayAttr(pads), b.getI64IntegerAttr(c.getGroup()));
  return one(r);
}

FailureOr<SmallVector<Value>> Converter::convTranspose(ox::ConvTransposeOp c) {
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
    if (in == kDyn || out == kDyn)
      continue;
    int64_t full = strides[i] * (in - 1) + (k - 1) * dil[i] + 1;
    bool explicitPads = c.getAutoPad() == "NOTSET" && !c.getOutputShape();
    if (explicitPads)
      continue;
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

/// Transposes a 2-D constant at compile time when possible.
Value transpose2D(OpBuilder &b, Location loc, Value v) {
  auto t = rtt(v);
  SmallVector<int64_t> shape{t.getDimSize(1), t.getDimSize(0)};
  auto resT = RankedTensorType::get(shape, t.getElementType());
  SmallVector<double> vals;
  if (t.hasStaticShape() && t.getElementType().isF32() && readFloats(v, vals)) {
    SmallVector<float> out(vals.size());
    int64_t R = t.getDimSize(0), C = t.getDimSize(1);
    for (int64_t i = 0; i < R; ++i)
      for (int64_t j = 0; j < C; ++j)
        out[j * R + i] = vals[i * C + j];
    auto blob = HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<float>(out));
    auto attr = DenseResourceElementsAttr::get(resT, "kiln_transposed", std::move(blob));
    return arith::ConstantOp::create(b, loc, resT, attr);
  }
  return nn::TransposeOp::create(b, loc, resT, v, b.getDenseI64ArrayAttr({1, 0}));
}

FailureOr<SmallVector<Value>> Converter::gemm(ox::GemmOp g) {
  Value A = g.getA(), B = g.getB();
  if (g.getTransA()) A = transpose2D(b, loc, A);
  if (g.getTransB()) B = transpose2D(b, loc, B);
  auto res = resType();
  Value y = nn::MatmulOp::create(b, loc, res, A, B);
  Type et = res.getElementType();
  if (!isa<FloatType>(et) && (g.getAlpha().convertToDouble() != 1.0 || g.getBeta().convertToDouble() != 1.0))
    return (LogicalResult)(fail() << "alpha/beta scaling of integer Gemm is not supported");
  if (g.getAlpha().convertToDouble() != 1.0) {
    Value a = constTensor(b, loc, RankedTensorType::get({1, 1}, et), {g.getAlpha().convertToDouble()});
    y = binary(b, loc, nn::BinaryKind::mul, y, a, res);
  }
  if (!isNone(g.getC()) && g.getBeta().convertToDouble() != 0.0) {
    Value C = g.getC();
    if (g.getBeta().convertToDouble() != 1.0) {
      auto ct = rtt(C);
      Value bt = constTensor(b, loc, RankedTensorType::get(SmallVector<int64_t>(ct.getRank(), 1), et),
                             {g.getBeta().convertToDouble()});
      C = nn::BinaryOp::create(b, loc, ct, C, bt, nn::BinaryKind::mul);
    }
    y = binary(b, loc, nn::BinaryKind::add, y, C, res);
  }
  return one(y);
}

FailureOr<SmallVector<Value>> Converter::matmul(ox::MatMulOp m) {
  Value A = m.getA(), B = m.getB();
  auto at = rtt(A), bt = rtt(B), res = resType();
  bool aVec = at.getRank() == 1, bVec = bt.getRank() == 1;
  if (aVec)
    A = reshapeTo(b, loc, A, RankedTensorType::get({1, at.getDimSize(0)}, at.getElementType()));
  if (bVec)
    B = reshapeTo(b, loc, B, RankedTensorType::get({bt.getDimSize(0), 1}, bt.getElementType()));
  int64_t r = std::max(rtt(A).getRank(), rtt(B).getRank());
  A = toRank(b, loc, A, r);
  B = toRank(b, loc, B, r);
  SmallVector<int64_t> shape(res.getShape());
  if (aVec) shape.insert(shape.end() - (bVec ? 0 : 1), 1);
  if (bVec) shape.push_back(1);
  auto mmType = RankedTensorType::get(shape, res.getElementType());
  Value y = nn::MatmulOp::create(b, loc, mmType, A, B);
  if (mmType != res)
    y = reshapeTo(b, loc, y, res);
  return one(y);
}

FailureOr<SmallVector<Value>> Converter::batchNorm(ox::BatchNormalizationOp bn) {
  if (bn.getTrainingMode())
    return (LogicalResult)(fail() << "training_mode = 1 is not supported (inference only)");
  auto x = rtt(bn.getX());
  if (x.getRank() < 2)
    return (LogicalResult)(fail() << "input must have rank >= 2");
  auto et = x.getElementType();
  int64_t C = x.getDimSize(1);
  SmallVector<int64_t> pshape(x.getRank(), 1);
  pshape[1] = C;
  auto pType = RankedTensorType::get(pshape, et);
  SmallVector<double> scale, bias, mean, var;
  double eps = bn.getEpsilon().convertToDouble();
  if (C != kDyn && readFloats(bn.getScale(), scale) && readFloats(bn.getB(), bias) &&
      readFloats(bn.getInputMean(), mean) && readFloats(bn.getInputVar(), var) &&
      (int64_t)scale.size() == C && (int64_t)bias.size() == C && (int64_t)mean.size() == C &&
      (int64_t)var.size() == C) {
    SmallVector<double> s(C), t(C);
    for (int64_t i = 0; i < C; ++i) {
      s[i] = scale[i] / std::sqrt(var[i] + eps);
      t[i] = bias[i] - mean[i] * s[i];
    }
    Value sv = constTensor(b, loc, pType, s), tv = constTensor(b, loc, pType, t);
    Value y = nn::BinaryOp::create(b, loc, x, bn.getX(), sv, nn::BinaryKind::mul);
    return one(nn::BinaryOp::create(b, loc, x, y, tv, nn::BinaryKind::add));
  }
  // General case: y = (x - mean) / sqrt(var + eps) * scale + bias.
  auto reshapeP = [&](Value v) { return reshapeTo(b, loc, v, pType); };
  Value epsT = constTensor(b, loc, RankedTensorType::get(pshape, et), {});
  (void)epsT;
  Value epsC = constTensor(b, loc, RankedTensorType::get(SmallVector<int64_t>(x.getRank(), 1), et), {eps});
  Value var_ = nn::BinaryOp::create(b, loc, pType, reshapeP(bn.getInputVar()), epsC, nn::BinaryKind::add);
  Value sd = unary(b, loc, nn::UnaryKind::sqrt, var_);
  Value s = nn::BinaryOp::create(b, loc, pType, reshapeP(bn.getScale()), sd, nn::BinaryKind::div);
  Value centered = nn::BinaryOp::create(b, loc, x, bn.getX(), reshapeP(bn.getInputMean()), nn::BinaryKind::sub);
  Value y = nn::BinaryOp::create(b, loc, x, centered, s, nn::BinaryKind::mul);
  return one(nn::BinaryOp::create(b, loc, x, y, reshapeP(bn.getB()), nn::BinaryKind::add));
}

template <typename PoolT>
FailureOr<SmallVector<Value>> Converter::pool(PoolT p, nn::PoolKind kind) {
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
  if (kind == nn::PoolKind::avg && llvm::any_of(x.getShape().drop_front(2), ShapedType::isDynamic))
    return (LogicalResult)(fail() << "average pooling needs static spatial dims");
  bool cip = false;
  if constexpr (std::is_same_v<PoolT, ox::AveragePoolOp>)
    cip = p.getCountIncludePad() != 0;
  return one(nn::PoolOp::create(b, loc, res, p.getX(), nn::PoolKindAttr::get(b.getContext(), kind), b.getDenseI64ArrayAttr(k),
                                b.getDenseI64ArrayAttr(strides), b.getDenseI64ArrayAttr(dil),
                                b.getDenseI64ArrayAttr(total), b.getDenseI64ArrayAttr(explicitPads),
                                b.getBoolAttr(cip)));
}

template <typename RedT>
FailureOr<SmallVector<Value>> Converter::reduce(RedT r, nn::ReduceKind kind) {
  auto x = rtt(r.getData());
  SmallVector<int64_t> axes;
  if (!isNone(r.getAxes()) && !ox::getConstantIntValues(r.getAxes(), axes))
    return (LogicalResult)(fail() << "axes must be constant");
  if (axes.empty()) {
    if (r.getNoopWithEmptyAxes())
      return one(r.getData());
    for (int64_t i = 0; i < x.getRank(); ++i)
      axes.push_back(i);
  }
  for (int64_t &a : axes)
    if (a < 0) a += x.getRank();
  llvm::sort(axes);
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  return one(nn::ReduceOp::create(b, loc, resType(), r.getData(), nn::ReduceKindAttr::get(b.getContext(), kind),
                                  b.getDenseI64ArrayAttr(axes), b.getBoolAttr(r.getKeepdims() != 0)));
}

FailureOr<SmallVector<Value>> Converter::reshape(ox::ReshapeOp r) {
  auto res = resType();
  auto x = rtt(r.getData());
  if (res.getNumDynamicDims() <= 1 && x.getNumDynamicDims() <= 1)
    return one(reshapeTo(b, loc, r.getData(), res));
  // Build the final dims at run time: entries of the shape input that are
  // not known at compile time may be 0 (copy the input's dim unless
  // allowzero) or -1 (inferred from the element count), so both cases are
  // resolved with selects; known entries fold to constants.
  SmallVector<int64_t> vals;
  if (!ox::getShapeValues(r.getShape(), vals))
    vals.assign(res.getRank(), kDyn);
  auto cst = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v).getResult(); };
  Value oneV = cst(1), minusOne = cst(-1), zero = cst(0);
  SmallVector<Value> dims(res.getRank()), neg(res.getRank());
  Value known = oneV;
  for (int64_t i = 0; i < res.getRank(); ++i) {
    if (!res.isDynamicDim(i)) {
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

FailureOr<SmallVector<Value>> Converter::slice(ox::SliceOp s) {
  auto x = rtt(s.getData()), res = resType();
  int64_t r = x.getRank();
  SmallVector<int64_t> starts, ends, axes, steps;
  ox::getShapeValues(s.getStarts(), starts);
  ox::getShapeValues(s.getEnds(), ends);
  if (!isNone(s.getAxes())) ox::getConstantIntValues(s.getAxes(), axes);
  if (!isNone(s.getSteps())) ox::getConstantIntValues(s.getSteps(), steps);
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
        return (LogicalResult)(fail() << "slicing dynamic dimension " << a << " is not supported");
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

FailureOr<SmallVector<Value>> Converter::split(ox::SplitOp s) {
  auto x = rtt(s.getInput());
  int64_t r = x.getRank(), axis = s.getAxis() < 0 ? s.getAxis() + r : s.getAxis();
  SmallVector<Value> outs;
  int64_t off = 0;
  for (Value res : s.getResults()) {
    auto t = rtt(res);
    if (t.isDynamicDim(axis))
      return (LogicalResult)(fail() << "splitting a dynamic dimension is not supported");
    SmallVector<int64_t> offsets(r, 0), strides(r, 1);
    offsets[axis] = t.getDimSize(axis) == 0 ? 0 : off;
    off += t.getDimSize(axis);
    outs.push_back(nn::SliceOp::create(b, loc, t, s.getInput(), b.getDenseI64ArrayAttr(offsets),
                                       b.getDenseI64ArrayAttr(strides)));
  }
  return outs;
}

FailureOr<SmallVector<Value>> Converter::pad(ox::PadOp p) {
  if (p.getMode() != "constant")
    return (LogicalResult)(fail() << "pad mode '" << p.getMode() << "' is not supported yet");
  auto x = rtt(p.getData());
  int64_t r = x.getRank();
  SmallVector<int64_t> pads, axes;
  if (!ox::getConstantIntValues(p.getPads(), pads))
    return (LogicalResult)(fail() << "pads must be constant");
  if (!isNone(p.getAxes()))
    ox::getConstantIntValues(p.getAxes(), axes);
  else
    for (int64_t i = 0; i < r; ++i) axes.push_back(i);
  SmallVector<int64_t> full(2 * r, 0);
  int64_t n = axes.size();
  for (int64_t i = 0; i < n; ++i) {
    int64_t a = axes[i] < 0 ? axes[i] + r : axes[i];
    full[a] = pads[i];
    full[a + r] = pads[i + n];
  }
  for (int64_t v : full)
    if (v < 0)
      return (LogicalResult)(fail() << "negative pads are not supported yet");
  double value = 0;
  if (!isNone(p.getConstantValue())) {
    SmallVector<double> fv;
    SmallVector<int64_t> iv;
    if (readFloats(p.getConstantValue(), fv) && !fv.empty()) value = fv[0];
    else if (ox::getConstantIntValues(p.getConstantValue(), iv) && !iv.empty()) value = iv[0];
    else return (LogicalResult)(fail() << "constant_value must be a constant");
  }
  return one(nn::PadOp::create(b, loc, resType(), p.getData(), b.getDenseI64ArrayAttr(full),
                               b.getF64FloatAttr(value)));
}

FailureOr<SmallVector<Value>> Converter::clip(ox::ClipOp c) {
  SmallVector<double> lo, hi;
  bool loOk = isNone(c.getMin()) || readFloats(c.getMin(), lo);
  bool hiOk = isNone(c.getMax()) || readFloats(c.getMax(), hi);
  SmallVector<int64_t> loi, hii;
  if (!loOk && ox::getConstantIntValues(c.getMin(), loi)) { lo.push_back(loi[0]); loOk = true; }
  if (!hiOk && ox::getConstantIntValues(c.getMax(), hii)) { hi.push_back(hii[0]); hiOk = true; }
  if (loOk && hiOk) {
    FloatAttr mn = lo.empty() ? FloatAttr() : b.getF64FloatAttr(lo[0]);
    FloatAttr mx = hi.empty() ? FloatAttr() : b.getF64FloatAttr(hi[0]);
    return one(nn::ClampOp::create(b, loc, resType(), c.getInput(), mn, mx));
  }
  Value y = c.getInput();
  auto res = resType();
  if (!isNone(c.getMin()))
    y = binary(b, loc, nn::BinaryKind::max, y, c.getMin(), res);
  if (!isNone(c.getMax()))
    y = binary(b, loc, nn::BinaryKind::min, y, c.getMax(), res);
  return one(y);
}

FailureOr<SmallVector<Value>> Converter::expand(ox::ExpandOp e) {
  auto res = resType();
  Value x = toRank(b, loc, e.getInput(), res.getRank());
  Value shape;
  if (!res.hasStaticShape()) {
    // Result dims: max(input dim, shape entry) per dim (numpy broadcast).
    auto st = rtt(e.getShape());
    int64_t n = st.getDimSize(0), r = res.getRank();
    SmallVector<Value> dims;
    for (int64_t i = 0; i < r; ++i) {
      if (!res.isDynamicDim(i)) {
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
      dims.push_back(arith::MaxUIOp::create(b, loc, xd, sv));
    }
    shape = shapeTensor(b, loc, dims);
  }
  return one(nn::BroadcastOp::create(b, loc, res, x, shape));
}

// ---- conformance [elementwise]: add new entries above this line ----

/// Index value of a static or dynamic size.
static Value idxOf(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

FailureOr<SmallVector<Value>> Converter::tile(ox::TileOp t) {
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
Value Converter::blockShuffle(Value x, ArrayRef<int64_t> split, ArrayRef<Value> splitDims,
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

FailureOr<SmallVector<Value>> Converter::depthToSpace(ox::DepthToSpaceOp d) {
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

FailureOr<SmallVector<Value>> Converter::spaceToDepth(ox::SpaceToDepthOp s) {
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

FailureOr<SmallVector<Value>> Converter::compress(ox::CompressOp c) {
  Value x = c.getInput();
  auto xt = rtt(x);
  int64_t axis = 0;
  if (c.getAxis()) {
    axis = *c.getAxis() < 0 ? *c.getAxis() + xt.getRank() : *c.getAxis();
  } else if (xt.getRank() != 1) {
    // Flattened: compress the row-major elements.
    Value n = idxOf(b, loc, 1);
    for (int64_t i = 0; i < xt.getRank(); ++i)
      n = arith::MulIOp::create(b, loc, n, dimValue(b, loc, x, i));
    auto ft = RankedTensorType::get({xt.hasStaticShape() ? xt.getNumElements() : kDyn},
                                    xt.getElementType());
    x = reshapeTo(b, loc, x, ft, {n});
  }
  return one(nn::CompressOp::create(b, loc, resType(), x, c.getCondition(),
                                    b.getI64IntegerAttr(axis)));
}

FailureOr<SmallVector<Value>> Converter::trilu(ox::TriluOp t) {
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

FailureOr<SmallVector<Value>> Converter::eyeLike(ox::EyeLikeOp e) {
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

// ---- conformance [indexing]: add new entries above this line ----

// ---- conformance [normalization]: add new entries above this line ----

// ---- conformance [sorting]: add new entries above this line ----

// ---- conformance [loss]: add new entries above this line ----

// ---- conformance [convpool]: add new entries above this line ----

// ---- conformance [recurrent]: add new entries above this line ----

//===----------------------------------------------------------------------===//
// [quant] family: quantization, signal and vision operators
//===----------------------------------------------------------------------===//

namespace {
bool quantUnsigned(std::optional<ArrayAttr> dts, unsigned i) {
  // Unknown signedness (0) defaults to uint8, ONNX's default quantized type.
  if (!dts || i >= dts->size())
    return true;
  int64_t t = cast<IntegerAttr>((*dts)[i]).getInt();
  return t == 0 || t == 2 || t == 4 || t == 12 || t == 13;
}
} // namespace

/// Reshapes a per-tensor (one element) or per-axis (1-D along `axis`)
/// quantization parameter to the explicit rank of `x`.
Value Converter::quantParam(Value p, RankedTensorType x, int64_t axis) {
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

Value Converter::toI32(Value v, bool isUnsigned) {
  auto t = rtt(v);
  if (t.getElementType().isInteger(32))
    return v;
  return nn::CastOp::create(b, loc, t.clone(b.getI32Type()), v, isUnsigned, false);
}

FailureOr<SmallVector<Value>> Converter::quantIntegerMatmul(Value A, Value B, Value azp, Value bzp,
                                                            bool ua, bool ub, RankedTensorType res) {
  auto at = rtt(A), bt = rtt(B);
  if (at.getRank() < 2 || bt.getRank() < 2)
    return (LogicalResult)(fail() << "1-D operands are not supported");
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

FailureOr<Value> Converter::quantIntegerConv(Operation *o, Value X, Value W, Value xzp, Value wzp,
                                             bool ux, bool uw, RankedTensorType res) {
  auto x = rtt(X), w = rtt(W);
  int64_t ns = x.getRank() - 2;
  if (ns > 3)
    return (LogicalResult)(fail() << "convolutions with more than 3 spatial dims are not supported");
  auto getI = [&](StringRef n) {
    ArrayAttr a = o->getAttrOfType<ArrayAttr>(n);
    return a ? intsAttr(a) : SmallVector<int64_t>();
  };
  SmallVector<int64_t> strides = getI("strides"), dil = getI("dilations"), pads = getI("pads");
  if (strides.empty()) strides.assign(ns, 1);
  if (dil.empty()) dil.assign(ns, 1);
  if (pads.empty()) pads.assign(2 * ns, 0);
  StringAttr apAttr = o->getAttrOfType<StringAttr>("auto_pad");
  StringRef ap = apAttr ? apAttr.getValue() : StringRef("NOTSET");
  for (int64_t i = 0; i < ns; ++i) {
    if (ap == "VALID") {
      pads[i] = pads[i + ns] = 0;
    } else if (ap == "SAME_UPPER" || ap == "SAME_LOWER") {
      int64_t in = x.getDimSize(i + 2), k = w.getDimSize(i + 2);
      if (in == kDyn || k == kDyn)
        return (LogicalResult)(fail() << "auto_pad with dynamic spatial dims is not supported");
      int64_t ek = dil[i] * (k - 1) + 1;
      int64_t out = (in + strides[i] - 1) / strides[i];
      int64_t total = std::max<int64_t>(0, (out - 1) * strides[i] + ek - in);
      pads[i] = ap == "SAME_UPPER" ? total / 2 : total - total / 2;
      pads[i + ns] = total - pads[i];
    }
  }
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

FailureOr<SmallVector<Value>> Converter::quantOp(Operation *o) {
  auto f32like = [&](Value v, Type et) -> Value {
    auto t = rtt(v);
    if (t.getElementType() == et)
      return v;
    return nn::CastOp::create(b, loc, t.clone(et), v, false, false);
  };
  auto unitIf = [&](bool c) { return c ? b.getUnitAttr() : UnitAttr(); };
  auto normAxis = [](int64_t a, int64_t r) { return a < 0 ? a + r : a; };

  if (auto q = dyn_cast<ox::QuantizeLinearOp>(o)) {
    auto x = rtt(q.getX());
    int64_t axis = normAxis(q.getAxis(), x.getRank());
    if (!q.getSaturate())
      ; // saturate only matters for float8 outputs.
    Value s = quantParam(f32like(q.getYScale(), x.getElementType()), x, axis);
    Value zp = isNone(q.getYZeroPoint()) ? Value() : quantParam(q.getYZeroPoint(), x, axis);
    return one(nn::QuantizeOp::create(b, loc, resType(), q.getX(), s, zp,
                                      unitIf(q.getOutputDtype() == 2)));
  }
  if (auto d = dyn_cast<ox::DequantizeLinearOp>(o)) {
    auto x = rtt(d.getX());
    int64_t axis = normAxis(d.getAxis(), x.getRank());
    bool u = !x.getElementType().isInteger(32) && quantUnsigned(d.getInputDtypes(), 0);
    Value s = quantParam(d.getXScale(), x, axis);
    Value zp = isNone(d.getXZeroPoint()) ? Value() : quantParam(d.getXZeroPoint(), x, axis);
    return one(nn::DequantizeOp::create(b, loc, resType(), d.getX(), s, zp, unitIf(u)));
  }
  if (auto dq = dyn_cast<ox::DynamicQuantizeLinearOp>(o)) {
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
  if (auto m = dyn_cast<ox::MatMulIntegerOp>(o)) {
    auto dts = m.getInputDtypes();
    return quantIntegerMatmul(m.getA(), m.getB(), m.getAZeroPoint(), m.getBZeroPoint(),
                              quantUnsigned(dts, 0), quantUnsigned(dts, 1), resType());
  }
  if (auto c = dyn_cast<ox::ConvIntegerOp>(o)) {
    auto dts = c.getInputDtypes();
    auto r = quantIntegerConv(o, c.getX(), c.getW(), c.getXZeroPoint(), c.getWZeroPoint(),
                              quantUnsigned(dts, 0), quantUnsigned(dts, 1), resType());
    if (failed(r))
      return failure();
    return one(*r);
  }
  // Requantizes an int32 accumulator: quantize(float(acc) * s1 * s2, ys, yzp).
  auto requant = [&](Value acc, Value s1, Value s2, Value ys, Value yzp, bool uy) -> Value {
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
  };
  if (auto m = dyn_cast<ox::QLinearMatMulOp>(o)) {
    auto dts = m.getInputDtypes();
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
  if (auto c = dyn_cast<ox::QLinearConvOp>(o)) {
    auto dts = c.getInputDtypes();
    auto acc = quantIntegerConv(o, c.getX(), c.getW(), c.getXZeroPoint(), c.getWZeroPoint(),
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
  if (auto d = dyn_cast<ox::DetOp>(o)) {
    auto x = rtt(d.getX());
    int64_t n = x.getDimSize(x.getRank() - 1);
    if (n == kDyn || n > 8)
      return (LogicalResult)(fail() << "only static matrix sizes up to 8 x 8 are supported");
    return one(nn::DetOp::create(b, loc, resType(), d.getX()));
  }
  auto window = [&](Value size, int64_t periodic, StringRef kind) -> FailureOr<SmallVector<Value>> {
    if (!isa<FloatType>(resType().getElementType()))
      return (LogicalResult)(fail() << "only floating-point output types are supported");
    return one(nn::WindowOp::create(b, loc, resType(), size, b.getStringAttr(kind),
                                    b.getBoolAttr(periodic != 0)));
  };
  if (auto w = dyn_cast<ox::HannWindowOp>(o)) return window(w.getSize(), w.getPeriodic(), "hann");
  if (auto w = dyn_cast<ox::HammingWindowOp>(o)) return window(w.getSize(), w.getPeriodic(), "hamming");
  if (auto w = dyn_cast<ox::BlackmanWindowOp>(o)) return window(w.getSize(), w.getPeriodic(), "blackman");
  if (auto d = dyn_cast<ox::DFTOp>(o)) {
    auto x = rtt(d.getInput());
    int64_t r = x.getRank();
    SmallVector<int64_t> a{1}, l;
    if (!isNone(d.getAxis()))
      a.clear(), (void)ox::getConstantIntValues(d.getAxis(), a);
    int64_t axis = a[0] < 0 ? a[0] + r : a[0];
    int64_t len = x.getDimSize(axis);
    if (!isNone(d.getDftLength())) {
      if (!ox::getConstantIntValues(d.getDftLength(), l) || l.size() != 1)
        return (LogicalResult)(fail() << "dft_length must be a constant");
      len = l[0];
    }
    if (len == kDyn || len < 1)
      return (LogicalResult)(fail() << "the transform length must be static and positive");
    return one(nn::DFTOp::create(b, loc, resType(), d.getInput(), b.getI64IntegerAttr(axis),
                                 b.getI64IntegerAttr(len), b.getBoolAttr(d.getInverse() != 0),
                                 b.getBoolAttr(d.getOnesided() != 0)));
  }
  if (auto s = dyn_cast<ox::STFTOp>(o)) {
    Value win = isNone(s.getWindow()) ? Value() : s.getWindow();
    Value fl = isNone(s.getFrameLength()) ? Value() : s.getFrameLength();
    return one(nn::STFTOp::create(b, loc, resType(), s.getSignal(), s.getFrameStep(), win, fl,
                                  b.getBoolAttr(s.getOnesided() != 0)));
  }
  if (auto m = dyn_cast<ox::MelWeightMatrixOp>(o)) {
    return one(nn::MelWeightMatrixOp::create(b, loc, resType(), m.getNumMelBins(), m.getDftLength(),
                                             m.getSampleRate(), m.getLowerEdgeHertz(),
                                             m.getUpperEdgeHertz()));
  }
  if (auto g = dyn_cast<ox::GridSampleOp>(o)) {
    StringRef mode = g.getMode(), pad = g.getPaddingMode();
    if (mode != "linear" && mode != "nearest" && mode != "cubic")
      return (LogicalResult)(fail() << "mode '" << mode << "' is not supported");
    if (pad != "zeros" && pad != "border" && pad != "reflection")
      return (LogicalResult)(fail() << "padding_mode '" << pad << "' is not supported");
    return one(nn::GridSampleOp::create(b, loc, resType(), g.getX(), g.getGrid(), g.getModeAttr(),
                                        g.getPaddingModeAttr(), b.getBoolAttr(g.getAlignCorners() != 0)));
  }
  if (auto ra = dyn_cast<ox::RoiAlignOp>(o)) {
    StringRef ctm = ra.getCoordinateTransformationMode(), mode = ra.getMode();
    if (ctm != "half_pixel" && ctm != "output_half_pixel")
      return (LogicalResult)(fail() << "coordinate_transformation_mode '" << ctm << "' is not supported");
    if (mode != "avg" && mode != "max")
      return (LogicalResult)(fail() << "mode '" << mode << "' is not supported");
    if (ra.getSamplingRatio() < 0)
      return (LogicalResult)(fail() << "sampling_ratio = " << ra.getSamplingRatio()
                                    << " is not supported; it must be >= 0");
    return one(nn::RoiAlignOp::create(b, loc, resType(), ra.getX(), ra.getRois(), ra.getBatchIndices(),
                                      b.getBoolAttr(ctm == "half_pixel"), b.getBoolAttr(mode == "max"),
                                      b.getI64IntegerAttr(ra.getSamplingRatio()),
                                      b.getF64FloatAttr(ra.getSpatialScale().convertToDouble())));
  }
  if (auto t = dyn_cast<ox::TfIdfVectorizerOp>(o)) {
    SmallVector<int64_t> pool = intsAttr(t.getPoolInt64s()), counts = intsAttr(t.getNgramCounts()),
                         idx = intsAttr(t.getNgramIndexes());
    SmallVector<double> wts;
    if (auto w = t.getWeights())
      for (Attribute a : *w) wts.push_back(cast<FloatAttr>(a).getValueAsDouble());
    int64_t maxLen = t.getMaxGramLength(), minLen = t.getMinGramLength();
    if (maxLen < 1 || minLen < 1 || minLen > maxLen || t.getMaxSkipCount() < 0 ||
        (int64_t)counts.size() > maxLen)
      return (LogicalResult)(fail() << "invalid gram lengths, skip count or ngram_counts");
    SmallVector<int64_t> ngrams, lengths;
    for (int64_t n = 1; n <= (int64_t)counts.size(); ++n) {
      int64_t start = counts[n - 1];
      int64_t end = n < (int64_t)counts.size() ? counts[n] : (int64_t)pool.size();
      if (start < 0 || end > (int64_t)pool.size() || start > end || (end - start) % n)
        return (LogicalResult)(fail() << "ngram_counts does not partition the pool");
      for (int64_t i = start; i < end; i += n) {
        for (int64_t k = 0; k < maxLen; ++k)
          ngrams.push_back(k < n ? pool[i + k] : -1);
        // n-grams outside [min_gram_length, max_gram_length] are never counted.
        lengths.push_back(n >= minLen && n <= maxLen ? n : 0);
      }
    }
    if (idx.size() != lengths.size() || (!wts.empty() && wts.size() != lengths.size()))
      return (LogicalResult)(fail() << "ngram_indexes / weights must have one entry per n-gram ("
                                    << lengths.size() << ")");
    if (wts.empty())
      wts.assign(lengths.size(), 1.0);
    auto xt = rtt(t.getX());
    if (!xt.hasStaticShape())
      return (LogicalResult)(fail() << "the input must have a static shape");
    int64_t L = xt.getDimSize(xt.getRank() - 1);
    if (L * (t.getMaxSkipCount() + 1) * maxLen > 50000)
      return (LogicalResult)(fail() << "input too long for the unrolled n-gram counter");
    return one(nn::TfIdfOp::create(b, loc, resType(), t.getX(), b.getDenseI64ArrayAttr(ngrams),
                                   b.getDenseI64ArrayAttr(lengths), b.getDenseI64ArrayAttr(idx),
                                   b.getDenseF64ArrayAttr(wts), b.getI64IntegerAttr(maxLen),
                                   b.getI64IntegerAttr(t.getMaxSkipCount()), t.getModeAttr()));
  }
  return (LogicalResult)(fail() << "no conversion to nn is implemented for this operator");
}

// ---- conformance [quant]: add new entries above this line ----

FailureOr<SmallVector<Value>> Converter::convert() {
  using K = nn::UnaryKind;
  using BK = nn::BinaryKind;
  auto un = [&](K k) -> FailureOr<SmallVector<Value>> {
    return one(unary(b, loc, k, op->getOperand(0)));
  };
  auto bin = [&](BK k) -> FailureOr<SmallVector<Value>> {
    return one(binary(b, loc, k, op->getOperand(0), op->getOperand(1), resType()));
  };
  return llvm::TypeSwitch<Operation *, FailureOr<SmallVector<Value>>>(op)
      .Case([&](ox::ConstantOp c) -> FailureOr<SmallVector<Value>> {
        return one(arith::ConstantOp::create(b, loc, resType(), cast<TypedAttr>(c.getValue())));
      })
      .Case([&](ox::ReluOp) { return un(K::relu); })
      .Case([&](ox::SigmoidOp) { return un(K::sigmoid); })
      .Case([&](ox::TanhOp) { return un(K::tanh); })
      .Case([&](ox::ErfOp) { return un(K::erf); })
      .Case([&](ox::ExpOp) { return un(K::exp); })
      .Case([&](ox::LogOp) { return un(K::log); })
      .Case([&](ox::SqrtOp) { return un(K::sqrt); })
      .Case([&](ox::NegOp) { return un(K::neg); })
      .Case([&](ox::AbsOp) { return un(K::abs); })
      .Case([&](ox::ReciprocalOp) { return un(K::reciprocal); })
      .Case([&](ox::FloorOp) { return un(K::floor); })
      .Case([&](ox::CeilOp) { return un(K::ceil); })
      .Case([&](ox::NotOp) { return un(K::logical_not); })
      .Case([&](ox::HardSwishOp) { return un(K::hard_swish); })
      .Case([&](ox::LeakyReluOp l) {
        return one(unary(b, loc, K::leaky_relu, l.getX(), l.getAlphaAttr()));
      })
      .Case([&](ox::HardSigmoidOp h) {
        return one(unary(b, loc, K::hard_sigmoid, h.getX(), h.getAlphaAttr(), h.getBetaAttr()));
      })
      .Case([&](ox::GeluOp g) {
        return un(g.getApproximate() == "tanh" ? K::gelu_tanh : K::gelu);
      })
      .Case([&](ox::IdentityOp i) { return one(i.getX()); })
      .Case([&](ox::DropoutOp d) -> FailureOr<SmallVector<Value>> {
        SmallVector<Value> r{d.getData()};
        if (d.getMask()) {
          auto mt = rtt(d.getMask());
          if (!mt.hasStaticShape())
            return (LogicalResult)(fail() << "a Dropout mask of dynamic shape is not supported");
          r.push_back(nn::FillOp::create(b, loc, mt, Value(), b.getBoolAttr(true)));
        }
        return r;
      })
      .Case([&](ox::CastOp c) -> FailureOr<SmallVector<Value>> {
        int64_t to = c.getTo();
        bool uDst = to == 2 || to == 4 || to == 12 || to == 13;
        auto in = rtt(c.getInput());
        if (in.getElementType() == resType().getElementType())
          return one(c.getInput());
        return one(nn::CastOp::create(b, loc, resType(), c.getInput(), false, uDst));
      })
      .Case([&](ox::AddOp) { return bin(BK::add); })
      .Case([&](ox::SubOp) { return bin(BK::sub); })
      .Case([&](ox::MulOp) { return bin(BK::mul); })
      .Case([&](ox::DivOp) { return bin(BK::div); })
      .Case([&](ox::EqualOp) { return bin(BK::eq); })
      .Case([&](ox::LessOp) { return bin(BK::lt); })
      .Case([&](ox::GreaterOp) { return bin(BK::gt); })
      .Case([&](ox::AndOp) { return bin(BK::logical_and); })
      .Case([&](ox::OrOp) { return bin(BK::logical_or); })
      .Case([&](ox::PowOp p) -> FailureOr<SmallVector<Value>> {
        Value y = p.getY();
        auto xt = rtt(p.getX()), yt = rtt(y);
        if (xt.getElementType() != yt.getElementType())
          y = nn::CastOp::create(b, loc, yt.clone(xt.getElementType()), y, false, false);
        return one(binary(b, loc, BK::pow, p.getX(), y, resType()));
      })
      .Case([&](ox::MaxOp m) { return variadic(m.getOperands(), BK::max); })
      .Case([&](ox::MinOp m) { return variadic(m.getOperands(), BK::min); })
      .Case([&](ox::SumOp m) { return variadic(m.getOperands(), BK::add); })
      .Case([&](ox::WhereOp w) -> FailureOr<SmallVector<Value>> {
        int64_t r = resType().getRank();
        return one(nn::SelectOp::create(b, loc, resType(), toRank(b, loc, w.getCondition(), r),
                                        toRank(b, loc, w.getX(), r), toRank(b, loc, w.getY(), r)));
      })
      .Case([&](ox::ClipOp c) { return clip(c); })
      .Case([&](ox::MatMulOp m) { return matmul(m); })
      .Case([&](ox::GemmOp g) { return gemm(g); })
      .Case([&](ox::ConvOp c) { return conv(c); })
      .Case([&](ox::ConvTransposeOp c) { return convTranspose(c); })
      .Case([&](ox::BatchNormalizationOp bn) { return batchNorm(bn); })
      .Case([&](ox::LayerNormalizationOp ln) -> FailureOr<SmallVector<Value>> {
        if (ln.getStats().size() > 0 && !ln.getStats()[0].use_empty())
          return (LogicalResult)(fail() << "the Mean/InvStdDev outputs are not supported");
        auto x = rtt(ln.getX());
        int64_t axis = ln.getAxis() < 0 ? ln.getAxis() + x.getRank() : ln.getAxis();
        Value bias = isNone(ln.getB()) ? Value() : ln.getB();
        SmallVector<Value> r{nn::LayerNormOp::create(b, loc, x, ln.getX(), ln.getScale(), bias,
                                                     b.getI64IntegerAttr(axis), ln.getEpsilonAttr())};
        for (Value s : ln.getStats())
          r.push_back(nn::FillOp::create(b, loc, rtt(s), Value(), b.getF32FloatAttr(0)));
        return r;
      })
      .Case([&](ox::SoftmaxOp s) -> FailureOr<SmallVector<Value>> {
        int64_t r = rtt(s.getInput()).getRank();
        int64_t axis = s.getAxis() < 0 ? s.getAxis() + r : s.getAxis();
        return one(nn::SoftmaxOp::create(b, loc, resType(), s.getInput(), b.getI64IntegerAttr(axis), UnitAttr()));
      })
      .Case([&](ox::LogSoftmaxOp s) -> FailureOr<SmallVector<Value>> {
        int64_t r = rtt(s.getInput()).getRank();
        int64_t axis = s.getAxis() < 0 ? s.getAxis() + r : s.getAxis();
        return one(nn::SoftmaxOp::create(b, loc, resType(), s.getInput(), b.getI64IntegerAttr(axis), b.getUnitAttr()));
      })
      .Case([&](ox::MaxPoolOp p) { return pool(p, nn::PoolKind::max); })
      .Case([&](ox::AveragePoolOp p) { return pool(p, nn::PoolKind::avg); })
      .Case([&](ox::GlobalAveragePoolOp p) -> FailureOr<SmallVector<Value>> {
        auto x = rtt(p.getX());
        SmallVector<int64_t> axes;
        for (int64_t i = 2; i < x.getRank(); ++i) axes.push_back(i);
        return one(nn::ReduceOp::create(b, loc, resType(), p.getX(), nn::ReduceKindAttr::get(b.getContext(), nn::ReduceKind::mean),
                                        b.getDenseI64ArrayAttr(axes), b.getBoolAttr(true)));
      })
      .Case([&](ox::GlobalMaxPoolOp p) -> FailureOr<SmallVector<Value>> {
        auto x = rtt(p.getX());
        SmallVector<int64_t> axes;
        for (int64_t i = 2; i < x.getRank(); ++i) axes.push_back(i);
        return one(nn::ReduceOp::create(b, loc, resType(), p.getX(), nn::ReduceKindAttr::get(b.getContext(), nn::ReduceKind::max),
                                        b.getDenseI64ArrayAttr(axes), b.getBoolAttr(true)));
      })
      .Case([&](ox::ReduceMeanOp r) { return reduce(r, nn::ReduceKind::mean); })
      .Case([&](ox::ReduceSumOp r) { return reduce(r, nn::ReduceKind::sum); })
      .Case([&](ox::ReduceMaxOp r) { return reduce(r, nn::ReduceKind::max); })
      .Case([&](ox::ReduceMinOp r) { return reduce(r, nn::ReduceKind::min); })
      .Case([&](ox::ReduceProdOp r) { return reduce(r, nn::ReduceKind::prod); })
      .Case([&](ox::FlattenOp f) -> FailureOr<SmallVector<Value>> {
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
      })
      .Case([&](ox::ReshapeOp r) { return reshape(r); })
      .Case([&](ox::SqueezeOp s) -> FailureOr<SmallVector<Value>> {
        auto x = rtt(s.getData()), res = resType();
        SmallVector<Value> dims;
        for (int64_t i = 0; i < x.getRank(); ++i)
          if (x.getDimSize(i) != 1)
            dims.push_back(dimValue(b, loc, s.getData(), i));
        if ((int64_t)dims.size() != res.getRank())
          dims.clear();
        return one(reshapeTo(b, loc, s.getData(), res, dims));
      })
      .Case([&](ox::UnsqueezeOp u) -> FailureOr<SmallVector<Value>> {
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
      })
      .Case([&](ox::TransposeOp t) -> FailureOr<SmallVector<Value>> {
        int64_t r = rtt(t.getData()).getRank();
        SmallVector<int64_t> perm = intsAttr(t.getPerm());
        if (perm.empty())
          for (int64_t i = r - 1; i >= 0; --i) perm.push_back(i);
        return one(nn::TransposeOp::create(b, loc, resType(), t.getData(), b.getDenseI64ArrayAttr(perm)));
      })
      .Case([&](ox::ConcatOp c) -> FailureOr<SmallVector<Value>> {
        int64_t r = resType().getRank();
        int64_t axis = c.getAxis() < 0 ? c.getAxis() + r : c.getAxis();
        SmallVector<Value> ins;
        for (Value v : c.getInputs())
          if (rtt(v).getDimSize(axis) != 0)
            ins.push_back(v);
        if (ins.size() == 1 && ins[0].getType() == resType())
          return one(ins[0]);
        return one(nn::ConcatOp::create(b, loc, resType(), ins, b.getI64IntegerAttr(axis)));
      })
      .Case([&](ox::SplitOp s) { return split(s); })
      .Case([&](ox::SliceOp s) { return slice(s); })
      .Case([&](ox::GatherOp g) -> FailureOr<SmallVector<Value>> {
        int64_t r = rtt(g.getData()).getRank();
        int64_t axis = g.getAxis() < 0 ? g.getAxis() + r : g.getAxis();
        return one(nn::GatherOp::create(b, loc, resType(), g.getData(), g.getIndices(),
                                        b.getI64IntegerAttr(axis)));
      })
      .Case([&](ox::PadOp p) { return pad(p); })
      .Case([&](ox::ShapeOp s) -> FailureOr<SmallVector<Value>> {
        int64_t r = rtt(s.getData()).getRank();
        int64_t st = s.getStart() ? *s.getStart() : 0, en = s.getEnd() ? *s.getEnd() : r;
        if (st < 0) st += r;
        if (en < 0) en += r;
        st = std::clamp<int64_t>(st, 0, r);
        en = std::clamp<int64_t>(en, st, r);
        return one(nn::ShapeOfOp::create(b, loc, resType(), s.getData(), b.getI64IntegerAttr(st),
                                         b.getI64IntegerAttr(en)));
      })
      .Case([&](ox::ExpandOp e) { return expand(e); })
      .Case([&](ox::ResizeOp rz) -> FailureOr<SmallVector<Value>> {
        auto x = rtt(rz.getX());
        SmallVector<double> scales, roi;
        SmallVector<int64_t> shape;
        std::string err;
        Value geometry;
        bool isSizes = false;
        if (failed(ox::getResizeGeometry(x, rz.getScales(), rz.getSizes(), scales, shape, err))) {
          if (!ox::isRuntimeResizeGeometry(rz.getScales(), rz.getSizes()))
            return (LogicalResult)(fail() << err);
          // Scales or sizes known only at run time.
          isSizes = !ox::isRuntimeResizeGeometry(rz.getScales(), Value());
          geometry = isSizes ? rz.getSizes() : rz.getScales();
          scales.clear();
        } else if (llvm::any_of(llvm::seq<int64_t>(0, x.getRank()), [&](int64_t d) {
                     return std::isnan(scales[d]) || (shape[d] == kDyn && scales[d] != 1.0);
                   })) {
          // Constant scales or sizes, but a resized dim is dynamic: the
          // geometry is completed at run time from the constant.
          isSizes = llvm::any_of(scales, [](double v) { return std::isnan(v); });
          geometry = isSizes ? rz.getSizes() : rz.getScales();
          scales.clear();
        }
        Value roiInput;
        if (rz.getCoordinateTransformationMode() == "tf_crop_and_resize") {
          if (isNone(rz.getRoi()))
            return (LogicalResult)(fail() << "tf_crop_and_resize needs a roi input");
          if (!ox::getConstantFloatValues(rz.getRoi(), roi)) {
            auto rt = rtt(rz.getRoi());
            if (rt.getRank() != 1 || !isa<FloatType>(rt.getElementType()) ||
                (rt.hasStaticShape() && rt.getDimSize(0) != 2 * x.getRank()))
              return (LogicalResult)(fail() << "roi must be a 1-D float tensor of " << 2 * x.getRank()
                                            << " entries");
            roiInput = rz.getRoi();
          } else if ((int64_t)roi.size() != 2 * x.getRank())
            return (LogicalResult)(fail() << "roi has " << roi.size() << " entries, expected "
                                          << 2 * x.getRank());
        }
        if (rz.getMode() != "nearest" && !isa<FloatType>(x.getElementType()))
          return (LogicalResult)(fail() << "mode '" << rz.getMode()
                                        << "' needs a floating-point input");
        return one(nn::ResizeOp::create(
            b, loc, resType(), rz.getX(), geometry, roiInput, b.getBoolAttr(isSizes),
            b.getDenseF64ArrayAttr(scales), b.getDenseF64ArrayAttr(roi),
            rz.getModeAttr(), rz.getCoordinateTransformationModeAttr(), rz.getNearestModeAttr(),
            b.getF64FloatAttr(rz.getCubicCoeffA().convertToDouble()),
            b.getBoolAttr(rz.getExcludeOutside() != 0),
            b.getF64FloatAttr(rz.getExtrapolationValue().convertToDouble())));
      })
      .Case([&](ox::EinsumOp e) -> FailureOr<SmallVector<Value>> {
        SmallVector<int64_t> ranks;
        for (Value v : e.getInputs())
          ranks.push_back(rtt(v).getRank());
        std::string err;
        auto spec = ox::parseEinsum(e.getEquation(), ranks, err);
        if (failed(spec))
          return (LogicalResult)(fail() << err);
        return one(nn::EinsumOp::create(b, loc, resType(), e.getInputs(),
                                        b.getStringAttr(spec->explicitEquation())));
      })
      .Case([&](ox::UpsampleOp up) -> FailureOr<SmallVector<Value>> {
        auto x = rtt(up.getX());
        SmallVector<double> scales;
        SmallVector<int64_t> shape;
        std::string err;
        Value geometry;
        if (failed(ox::getResizeGeometry(x, up.getScales(), Value(), scales, shape, err))) {
          if (!ox::isRuntimeResizeGeometry(up.getScales(), Value()))
            return (LogicalResult)(fail() << err);
          geometry = up.getScales();
          scales.clear();
        } else if (llvm::any_of(llvm::seq<int64_t>(0, x.getRank()),
                                [&](int64_t d) { return shape[d] == kDyn && scales[d] != 1.0; })) {
          geometry = up.getScales();
          scales.clear();
        }
        bool nearest = up.getMode() == "nearest";
        if (!nearest && !isa<FloatType>(x.getElementType()))
          return (LogicalResult)(fail() << "linear upsampling needs a floating-point input");
        return one(nn::ResizeOp::create(
            b, loc, resType(), up.getX(), geometry, Value(), b.getBoolAttr(false),
            b.getDenseF64ArrayAttr(scales), b.getDenseF64ArrayAttr({}),
            b.getStringAttr(nearest ? "nearest" : "linear"), b.getStringAttr("asymmetric"),
            b.getStringAttr("floor"), b.getF64FloatAttr(-0.75), b.getBoolAttr(false),
            b.getF64FloatAttr(0.0)));
      })
      .Case([&](ox::ConstantOfShapeOp c) -> FailureOr<SmallVector<Value>> {
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
      })
      .Case([&](ox::RangeOp r) -> FailureOr<SmallVector<Value>> {
        return one(nn::RangeOp::create(b, loc, resType(), r.getStart(), r.getLimit(), r.getDelta()));
      })
      // ---- conformance [elementwise]: add new entries above this line ----

      .Case([&](ox::GatherElementsOp g) -> FailureOr<SmallVector<Value>> {
        int64_t r = rtt(g.getData()).getRank();
        int64_t axis = g.getAxis() < 0 ? g.getAxis() + r : g.getAxis();
        return one(nn::GatherElementsOp::create(b, loc, resType(), g.getData(), g.getIndices(),
                                                b.getI64IntegerAttr(axis)));
      })
      .Case([&](ox::ScatterElementsOp s) -> FailureOr<SmallVector<Value>> {
        int64_t r = rtt(s.getData()).getRank();
        int64_t axis = s.getAxis() < 0 ? s.getAxis() + r : s.getAxis();
        if (s.getReduction() != "none" && rtt(s.getData()).getElementType().isInteger(1))
          return (LogicalResult)(fail() << "reduction '" << s.getReduction() << "' on bool data is not supported");
        return one(nn::ScatterElementsOp::create(b, loc, resType(), s.getData(), s.getIndices(),
                                                 s.getUpdates(), b.getI64IntegerAttr(axis),
                                                 s.getReductionAttr()));
      })
      .Case([&](ox::GatherNDOp g) -> FailureOr<SmallVector<Value>> {
        return one(nn::GatherNDOp::create(b, loc, resType(), g.getData(), g.getIndices(),
                                          b.getI64IntegerAttr(g.getBatchDims())));
      })
      .Case([&](ox::ScatterNDOp s) -> FailureOr<SmallVector<Value>> {
        if (s.getReduction() != "none" && rtt(s.getData()).getElementType().isInteger(1))
          return (LogicalResult)(fail() << "reduction '" << s.getReduction() << "' on bool data is not supported");
        return one(nn::ScatterNDOp::create(b, loc, resType(), s.getData(), s.getIndices(),
                                           s.getUpdates(), s.getReductionAttr()));
      })
      .Case([&](ox::TriluOp t) { return trilu(t); })
      .Case([&](ox::TileOp t) { return tile(t); })
      .Case([&](ox::OneHotOp o) -> FailureOr<SmallVector<Value>> {
        int64_t r = resType().getRank();
        int64_t axis = o.getAxis() < 0 ? o.getAxis() + r : o.getAxis();
        return one(nn::OneHotOp::create(b, loc, resType(), o.getIndices(), o.getDepth(),
                                        o.getValues(), b.getI64IntegerAttr(axis)));
      })
      .Case([&](ox::EyeLikeOp e) { return eyeLike(e); })
      .Case([&](ox::DepthToSpaceOp d) { return depthToSpace(d); })
      .Case([&](ox::SpaceToDepthOp s) { return spaceToDepth(s); })
      .Case([&](ox::CompressOp c) { return compress(c); })
      .Case([&](ox::ReverseSequenceOp r) -> FailureOr<SmallVector<Value>> {
        return one(nn::ReverseSequenceOp::create(b, loc, resType(), r.getInput(), r.getSequenceLens(),
                                                 b.getI64IntegerAttr(r.getBatchAxis()),
                                                 b.getI64IntegerAttr(r.getTimeAxis())));
      })

      // ---- conformance [indexing]: add new entries above this line ----

      // ---- conformance [normalization]: add new entries above this line ----

      // ---- conformance [sorting]: add new entries above this line ----

      // ---- conformance [loss]: add new entries above this line ----

      // ---- conformance [convpool]: add new entries above this line ----

      // ---- conformance [recurrent]: add new entries above this line ----

      .Case<ox::QuantizeLinearOp, ox::DequantizeLinearOp, ox::DynamicQuantizeLinearOp,
            ox::MatMulIntegerOp, ox::ConvIntegerOp, ox::QLinearMatMulOp, ox::QLinearConvOp,
            ox::DetOp, ox::HannWindowOp, ox::HammingWindowOp, ox::BlackmanWindowOp, ox::DFTOp,
            ox::STFTOp, ox::MelWeightMatrixOp, ox::GridSampleOp, ox::RoiAlignOp,
            ox::TfIdfVectorizerOp>([&](auto o) { return quantOp(o.getOperation()); })
      // ---- conformance [quant]: add new entries above this line ----

      .Default([&](Operation *) -> FailureOr<SmallVector<Value>> {
        return (LogicalResult)(fail() << "no conversion to nn is implemented for this operator");
      });
}

struct ConvertONNXToNNPass : kiln::impl::ConvertONNXToNNBase<ConvertONNXToNNPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<Operation *> ops;
    module.walk([&](Operation *op) {
      if (isa<ox::ONNXDialect>(op->getDialect()) && !isa<ox::NoValueOp>(op))
        ops.push_back(op);
    });
    OpBuilder b(&getContext());
    // Users first: while an op is converted, its producers are still onnx
    // ops, so constant and shape values can be read through them.
    for (Operation *op : llvm::reverse(ops)) {
      for (Value v : op->getResults())
        if (!isa<RankedTensorType>(v.getType())) {
          op->emitError() << ox::describeNode(op) << ": result types were not inferred";
          return signalPassFailure();
        }
      b.setInsertionPoint(op);
      Converter c{b, op->getLoc(), op};
      auto repl = c.convert();
      if (failed(repl))
        return signalPassFailure();
      for (auto [from, to] : llvm::zip(op->getResults(), *repl)) {
        if (to.getType() != from.getType())
          to = tensor::CastOp::create(b, op->getLoc(), from.getType(), to);
        from.replaceAllUsesWith(to);
      }
      op->erase();
    }
    module.walk([&](ox::NoValueOp op) { op->erase(); });
  }
};

struct ONNXShapeInferencePass : kiln::impl::ONNXShapeInferenceBase<ONNXShapeInferencePass> {
  void runOnOperation() override {
    func::FuncOp f = getOperation();
    bool failedAny = false;
    f.walk([&](Operation *op) {
      if (isa<ox::ONNXDialect>(op->getDialect()) && failed(ox::inferShapes(op)))
        failedAny = true;
    });
    if (failedAny)
      return signalPassFailure();
    if (auto ret = dyn_cast<func::ReturnOp>(f.getBody().back().getTerminator()))
      f.setType(FunctionType::get(&getContext(), f.getArgumentTypes(), ret.getOperandTypes()));
  }
};

} // namespace
