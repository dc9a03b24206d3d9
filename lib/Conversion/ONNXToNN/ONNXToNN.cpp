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

  // ---- conformance [indexing]: add new entries above this line ----

  // ---- conformance [normalization]: add new entries above this line ----

  // ---- conformance [sorting]: add new entries above this line ----

  // ---- conformance [loss]: add new entries above this line ----

  FailureOr<SmallVector<Value>> sliceDynamic(ox::SliceOp s);
  FailureOr<SmallVector<Value>> splitDynamic(ox::SplitOp s);
  FailureOr<SmallVector<Value>> padModes(ox::PadOp p, ArrayRef<int64_t> axes);
  FailureOr<SmallVector<Value>> squeezeDynamic(ox::SqueezeOp s);
  FailureOr<SmallVector<Value>> unsqueezeDynamic(ox::UnsqueezeOp u);

  FailureOr<SmallVector<Value>> maxPoolIndices(ox::MaxPoolOp p, ArrayRef<Value> values);

  // ---- conformance [convpool]: add new entries above this line ----

  // ---- conformance [recurrent]: add new entries above this line ----

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

FailureOr<SmallVector<Value>> Converter::split(ox::SplitOp s) {
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

FailureOr<SmallVector<Value>> Converter::pad(ox::PadOp p) {
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
    int64_t a = axes[i] < 0 ? axes[i] + r : axes[i];
    full[a] = pads[i];
    full[a + r] = pads[i + n];
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

// ---- conformance [indexing]: add new entries above this line ----

// ---- conformance [normalization]: add new entries above this line ----

// ---- conformance [sorting]: add new entries above this line ----

// ---- conformance [loss]: add new entries above this line ----

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

/// Slice whose starts / ends / axes / steps (or sliced dims) are known only
/// at run time: per dim, offset / size / step are computed with ONNX's
/// clamping rules and fed to nn.dynamic_slice.
FailureOr<SmallVector<Value>> Converter::sliceDynamic(ox::SliceOp s) {
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
FailureOr<SmallVector<Value>> Converter::splitDynamic(ox::SplitOp s) {
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
FailureOr<SmallVector<Value>> Converter::padModes(ox::PadOp p, ArrayRef<int64_t> axes) {
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
FailureOr<SmallVector<Value>> Converter::squeezeDynamic(ox::SqueezeOp s) {
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
FailureOr<SmallVector<Value>> Converter::unsqueezeDynamic(ox::UnsqueezeOp u) {
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

/// MaxPool with its Indices output: nn.pool_indices with the geometry of
/// the values' nn.pool.
FailureOr<SmallVector<Value>> Converter::maxPoolIndices(ox::MaxPoolOp p, ArrayRef<Value> values) {
  auto v = values[0].getDefiningOp<nn::PoolOp>();
  if (!v)
    return (LogicalResult)(fail() << "internal error: MaxPool values are not an nn.pool");
  Value idx = nn::PoolIndicesOp::create(b, loc, resType(1), p.getX(), v.getKernelAttr(), v.getStridesAttr(),
                                        v.getDilationsAttr(), v.getPadsAttr(),
                                        b.getI64IntegerAttr(p.getStorageOrder()));
  return SmallVector<Value>{values[0], idx};
}

// ---- conformance [convpool]: add new entries above this line ----

// ---- conformance [recurrent]: add new entries above this line ----

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
      .Case([&](ox::MaxPoolOp p) -> FailureOr<SmallVector<Value>> {
        auto r = pool(p, nn::PoolKind::max);
        if (failed(r) || !p.getIndices())
          return r;
        return maxPoolIndices(p, *r);
      })
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
      })
      .Case([&](ox::UnsqueezeOp u) -> FailureOr<SmallVector<Value>> {
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

      // ---- conformance [indexing]: add new entries above this line ----

      // ---- conformance [normalization]: add new entries above this line ----

      // ---- conformance [sorting]: add new entries above this line ----

      // ---- conformance [loss]: add new entries above this line ----

      .Case([&](ox::MaxUnpoolOp u) -> FailureOr<SmallVector<Value>> {
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
      })
      // ---- conformance [convpool]: add new entries above this line ----

      // ---- conformance [recurrent]: add new entries above this line ----

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
