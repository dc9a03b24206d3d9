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
  LogicalResult convGeometry(Operation *o, RankedTensorType x, RankedTensorType w,
                             SmallVector<int64_t> &strides, SmallVector<int64_t> &dil,
                             SmallVector<int64_t> &pads);
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

  FailureOr<SmallVector<Value>> layerNormWithStats(ox::LayerNormalizationOp ln);
  std::pair<Value, Value> meanVar(Value x, ArrayRef<int64_t> axes);
  Value normalizeChannels(Value x, Value mean, Value var, double eps, Value scale, Value bias);
  FailureOr<SmallVector<Value>> batchNormTraining(ox::BatchNormalizationOp bn);
  FailureOr<SmallVector<Value>> instanceNorm(ox::InstanceNormalizationOp in);
  FailureOr<SmallVector<Value>> meanVarianceNorm(ox::MeanVarianceNormalizationOp mvn);
  FailureOr<SmallVector<Value>> lrn(ox::LRNOp l);
  FailureOr<SmallVector<Value>> groupNorm(ox::GroupNormalizationOp g);
  // ---- conformance [normalization]: add new entries above this line ----

  FailureOr<SmallVector<Value>> unique(ox::UniqueOp u);
  FailureOr<SmallVector<Value>> nonMaxSuppression(ox::NonMaxSuppressionOp n);

  // ---- conformance [sorting]: add new entries above this line ----

  // ---- conformance [loss]: add new entries above this line ----

  FailureOr<SmallVector<Value>> sliceDynamic(ox::SliceOp s);
  FailureOr<SmallVector<Value>> splitDynamic(ox::SplitOp s);
  FailureOr<SmallVector<Value>> padModes(ox::PadOp p, ArrayRef<int64_t> axes);
  FailureOr<SmallVector<Value>> squeezeDynamic(ox::SqueezeOp s);
  FailureOr<SmallVector<Value>> unsqueezeDynamic(ox::UnsqueezeOp u);

  FailureOr<SmallVector<Value>> maxPoolIndices(ox::MaxPoolOp p, ArrayRef<Value> values);

  // ---- conformance [convpool]: add new entries above this line ----

  FailureOr<SmallVector<Value>> recurrent(Operation *o, int kind);
  FailureOr<SmallVector<Value>> ifOp(ox::IfOp op);
  FailureOr<SmallVector<Value>> loopOp(ox::LoopOp op);
  FailureOr<SmallVector<Value>> scanOp(ox::ScanOp op);
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

/// Strides, dilations and explicit pads of a Conv-like node (Conv,
/// ConvInteger, QLinearConv share the attribute names): ONNX's defaults filled
/// in and auto_pad resolved exactly as shape inference did.
LogicalResult Converter::convGeometry(Operation *o, RankedTensorType x, RankedTensorType w,
                                      SmallVector<int64_t> &strides, SmallVector<int64_t> &dil,
                                      SmallVector<int64_t> &pads) {
  int64_t ns = x.getRank() - 2;
  if (ns > 3)
    return fail() << "convolutions with more than 3 spatial dims are not supported";
  auto ints = [&](StringRef n) {
    ArrayAttr a = o->getAttrOfType<ArrayAttr>(n);
    return a ? intsAttr(a) : SmallVector<int64_t>();
  };
  strides = ints("strides"), dil = ints("dilations"), pads = ints("pads");
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
        return fail() << "auto_pad with dynamic spatial dims is not supported";
      int64_t ek = dil[i] * (k - 1) + 1;
      int64_t out = (in + strides[i] - 1) / strides[i];
      int64_t total = std::max<int64_t>(0, (out - 1) * strides[i] + ek - in);
      pads[i] = ap == "SAME_UPPER" ? total / 2 : total - total / 2;
      pads[i + ns] = total - pads[i];
    }
  }
  return success();
}

FailureOr<SmallVector<Value>> Converter::conv(ox::ConvOp c) {
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
    return batchNormTraining(bn);
  if (llvm::any_of(bn.getRunning(), [](Value v) { return !v.use_empty(); }))
    return (LogicalResult)(fail() << "the running_mean/running_var outputs need training_mode = 1");
  // Unused running_mean/running_var results (inference): pass the inputs through.
  auto withUnused = [&](Value y) -> FailureOr<SmallVector<Value>> {
    SmallVector<Value> r{y};
    Value in[2] = {bn.getInputMean(), bn.getInputVar()};
    for (auto [i, out] : llvm::enumerate(bn.getRunning()))
      r.push_back(in[i].getType() == out.getType() ? in[i] : (Value)tensor::CastOp::create(b, loc, out.getType(), in[i]));
    return r;
  };
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
    return withUnused(nn::BinaryOp::create(b, loc, x, y, tv, nn::BinaryKind::add));
  }
  // General case: y = (x - mean) / sqrt(var + eps) * scale + bias.
  auto reshapeP = [&](Value v) { return reshapeTo(b, loc, v, pType); };
  Value epsC = constTensor(b, loc, RankedTensorType::get(SmallVector<int64_t>(x.getRank(), 1), et), {eps});
  Value var_ = nn::BinaryOp::create(b, loc, pType, reshapeP(bn.getInputVar()), epsC, nn::BinaryKind::add);
  Value sd = unary(b, loc, nn::UnaryKind::sqrt, var_);
  Value s = nn::BinaryOp::create(b, loc, pType, reshapeP(bn.getScale()), sd, nn::BinaryKind::div);
  Value centered = nn::BinaryOp::create(b, loc, x, bn.getX(), reshapeP(bn.getInputMean()), nn::BinaryKind::sub);
  Value y = nn::BinaryOp::create(b, loc, x, centered, s, nn::BinaryKind::mul);
  return withUnused(nn::BinaryOp::create(b, loc, x, y, reshapeP(bn.getB()), nn::BinaryKind::add));
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
  bool emptyByShape = !isNone(r.getAxes()) && rtt(r.getAxes()).getRank() == 1 &&
                      rtt(r.getAxes()).getDimSize(0) == 0;
  if (!isNone(r.getAxes()) && !emptyByShape && !ox::getConstantIntValues(r.getAxes(), axes)) {
    if (kind == nn::ReduceKind::log_sum_exp)
      return (LogicalResult)(fail() << "axes known only at run time are not supported for ReduceLogSumExp");
    return one(nn::ReduceAxesOp::create(b, loc, resType(), r.getData(), r.getAxes(),
                                        nn::ReduceKindAttr::get(b.getContext(), kind),
                                        b.getBoolAttr(r.getKeepdims() != 0),
                                        b.getBoolAttr(r.getNoopWithEmptyAxes() != 0)));
  }
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

//===----------------------------------------------------------------------===//
// Elementwise helpers (conformance work)
//===----------------------------------------------------------------------===//

bool isUnsignedONNXCode(int64_t d) { return d == 2 || d == 4 || d == 12 || d == 13; }

/// Whether integer value `v` holds an ONNX unsigned type.  MLIR integers are
/// signless, so this follows the value back to where the type is known: a
/// graph input's `kiln.dtype`, a Cast/CastLike target, or an op carrying
/// `kiln.dtype`; any other op passes signedness on from its first operand of
/// the same element type.  (Operands are still onnx ops when their user is
/// converted: users are converted first.)
bool isUnsignedInt(Value v, int depth = 0) {
  Type et = getElementTypeOrSelf(v.getType());
  if (!isa<IntegerType>(et) || et.isInteger(1) || depth > 64)
    return false;
  if (auto ba = dyn_cast<BlockArgument>(v)) {
    auto f = dyn_cast_or_null<func::FuncOp>(ba.getOwner()->getParentOp());
    if (!f || ba.getOwner() != &f.getBody().front())
      return false;
    auto a = f.getArgAttrOfType<IntegerAttr>(ba.getArgNumber(), "kiln.dtype");
    return a && isUnsignedONNXCode(a.getInt());
  }
  Operation *def = v.getDefiningOp();
  if (!def)
    return false;
  if (auto c = dyn_cast<ox::CastOp>(def))
    return isUnsignedONNXCode(c.getTo());
  if (auto c = dyn_cast<ox::CastLikeOp>(def))
    return isUnsignedInt(c.getTargetType(), depth + 1);
  if (auto a = def->getAttrOfType<IntegerAttr>("kiln.dtype"))
    return isUnsignedONNXCode(a.getInt());
  if (!isa<ox::ONNXDialect>(def->getDialect()) || isa<ox::ConstantOp, ox::ShapeOp, ox::SizeOp>(def))
    return false;
  for (Value o : def->getOperands())
    if (getElementTypeOrSelf(o.getType()) == et)
      return isUnsignedInt(o, depth + 1);
  return false;
}

/// `v` converted to element type `et` (nn.cast, signed), or `v` itself.
Value castElem(OpBuilder &b, Location loc, Value v, Type et) {
  auto t = rtt(v);
  if (t.getElementType() == et)
    return v;
  return nn::CastOp::create(b, loc, t.clone(et), v, false, false);
}

/// A constant of `rank` size-1 dims holding `v`.
Value splatOfRank(OpBuilder &b, Location loc, int64_t rank, Type elem, double v) {
  auto t = RankedTensorType::get(SmallVector<int64_t>(rank, 1), elem);
  return constTensor(b, loc, t, {v});
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

/// LayerNormalization whose Mean / InvStdDev outputs are used: decomposed
/// into nn ops (statistics in f32, stash_type = 1):
///   mean = mean(x), d = x - mean, invstd = 1 / sqrt(mean(d * d) + eps),
///   y = d * invstd * scale (+ bias).
FailureOr<SmallVector<Value>> Converter::layerNormWithStats(ox::LayerNormalizationOp ln) {
  if (ln.getStashType() != 1)
    return (LogicalResult)(fail() << "stash_type = " << ln.getStashType() << " is not supported (only 1: float)");
  Value x = ln.getX();
  auto xt = rtt(x);
  int64_t r = xt.getRank();
  int64_t axis = ln.getAxis() < 0 ? ln.getAxis() + r : ln.getAxis();
  auto f32 = b.getF32Type();
  if (!isa<FloatType>(xt.getElementType()))
    return (LogicalResult)(fail() << "X must be a float tensor");
  auto ft = xt.clone(f32);
  auto toF32 = [&](Value v) { return castElem(b, loc, v, f32); };
  Value xf = toF32(x);
  SmallVector<int64_t> axes, statShape(xt.getShape());
  for (int64_t i = axis; i < r; ++i) {
    axes.push_back(i);
    statShape[i] = 1;
  }
  auto statT = RankedTensorType::get(statShape, f32);
  auto reduceMean = [&](Value v) -> Value {
    return nn::ReduceOp::create(b, loc, statT, v, nn::ReduceKindAttr::get(b.getContext(), nn::ReduceKind::mean),
                                b.getDenseI64ArrayAttr(axes), b.getBoolAttr(true));
  };
  Value mean = reduceMean(xf);
  Value d = binary(b, loc, nn::BinaryKind::sub, xf, mean, ft);
  Value var = reduceMean(binary(b, loc, nn::BinaryKind::mul, d, d, ft));
  Value eps = constTensor(b, loc, RankedTensorType::get(SmallVector<int64_t>(r, 1), f32),
                          {ln.getEpsilon().convertToDouble()});
  Value ve = binary(b, loc, nn::BinaryKind::add, var, eps, statT);
  Value invStd = unary(b, loc, nn::UnaryKind::reciprocal, unary(b, loc, nn::UnaryKind::sqrt, ve));
  Value y = binary(b, loc, nn::BinaryKind::mul, d, invStd, ft);
  y = binary(b, loc, nn::BinaryKind::mul, y, toF32(ln.getScale()), ft);
  if (!isNone(ln.getB()))
    y = binary(b, loc, nn::BinaryKind::add, y, toF32(ln.getB()), ft);
  if (xt.getElementType() != f32)
    y = nn::CastOp::create(b, loc, xt, y, false, false);
  SmallVector<Value> res{y};
  Value stats[2] = {mean, invStd};
  for (auto [i, s] : llvm::enumerate(ln.getStats())) {
    Value v = stats[i];
    if (v.getType() != s.getType())
      v = tensor::CastOp::create(b, loc, rtt(s), v);
    res.push_back(v);
  }
  return res;
}


/// Mean and variance (population) of `x` over `axes`, keepdims, as nn ops.
std::pair<Value, Value> Converter::meanVar(Value x, ArrayRef<int64_t> axes) {
  auto xt = rtt(x);
  SmallVector<int64_t> shape(xt.getShape());
  for (int64_t a : axes)
    shape[a] = 1;
  auto st = RankedTensorType::get(shape, xt.getElementType());
  auto mean = [&](Value v) -> Value {
    return nn::ReduceOp::create(b, loc, st, v, nn::ReduceKindAttr::get(b.getContext(), nn::ReduceKind::mean),
                                b.getDenseI64ArrayAttr(axes), b.getBoolAttr(true));
  };
  Value m = mean(x);
  Value d = binary(b, loc, nn::BinaryKind::sub, x, m, xt);
  Value v = mean(binary(b, loc, nn::BinaryKind::mul, d, d, xt));
  return {m, v};
}

/// (x - mean) / sqrt(var + eps) * scale + bias with [C] scale/bias on dim 1.
Value Converter::normalizeChannels(Value x, Value mean, Value var, double eps, Value scale, Value bias) {
  auto xt = rtt(x);
  Type et = xt.getElementType();
  int64_t r = xt.getRank();
  SmallVector<int64_t> pshape(r, 1);
  pshape[1] = xt.getDimSize(1);
  auto pType = RankedTensorType::get(pshape, et);
  SmallVector<Value> pdims;
  for (int64_t i = 0; i < r; ++i)
    pdims.push_back(i == 1 ? dimValue(b, loc, x, 1) : arith::ConstantIndexOp::create(b, loc, 1).getResult());
  auto perChannel = [&](Value v) { return reshapeTo(b, loc, v, pType, pdims); };
  Value epsC = splatOfRank(b, loc, r, et, eps);
  Value sd = unary(b, loc, nn::UnaryKind::sqrt, binary(b, loc, nn::BinaryKind::add, var, epsC, rtt(var)));
  Value d = binary(b, loc, nn::BinaryKind::sub, x, mean, xt);
  Value y = binary(b, loc, nn::BinaryKind::div, d, sd, xt);
  y = binary(b, loc, nn::BinaryKind::mul, y, perChannel(scale), xt);
  return binary(b, loc, nn::BinaryKind::add, y, perChannel(bias), xt);
}

/// BatchNormalization with training_mode = 1: batch statistics over every
/// dim but 1; running_mean / running_var = input * momentum + batch * (1 - momentum).
FailureOr<SmallVector<Value>> Converter::batchNormTraining(ox::BatchNormalizationOp bn) {
  Value x = bn.getX();
  auto xt = rtt(x);
  if (xt.getRank() < 2)
    return (LogicalResult)(fail() << "input must have rank >= 2");
  if (!isa<FloatType>(xt.getElementType()))
    return (LogicalResult)(fail() << "X must be a float tensor");
  SmallVector<int64_t> axes;
  for (int64_t i = 0; i < xt.getRank(); ++i)
    if (i != 1) axes.push_back(i);
  auto [mean, var] = meanVar(x, axes);
  SmallVector<Value> res{normalizeChannels(x, mean, var, bn.getEpsilon().convertToDouble(), bn.getScale(), bn.getB())};
  double mom = bn.getMomentum().convertToDouble();
  Value stats[2] = {mean, var}, inputs[2] = {bn.getInputMean(), bn.getInputVar()};
  for (auto [i, out] : llvm::enumerate(bn.getRunning())) {
    auto ot = rtt(out);
    Type et = ot.getElementType();
    if (et != xt.getElementType())
      return (LogicalResult)(fail() << "running statistics of another type than X are not supported");
    Value batch = reshapeTo(b, loc, stats[i], ot, {dimValue(b, loc, x, 1)});
    auto c1 = RankedTensorType::get({1}, et);
    Value a = binary(b, loc, nn::BinaryKind::mul, inputs[i], constTensor(b, loc, c1, {mom}), ot);
    Value c = binary(b, loc, nn::BinaryKind::mul, batch, constTensor(b, loc, c1, {1.0 - mom}), ot);
    res.push_back(binary(b, loc, nn::BinaryKind::add, a, c, ot));
  }
  return res;
}

FailureOr<SmallVector<Value>> Converter::instanceNorm(ox::InstanceNormalizationOp in) {
  Value x = in.getInput();
  auto xt = rtt(x);
  if (!isa<FloatType>(xt.getElementType()))
    return (LogicalResult)(fail() << "input must be a float tensor");
  SmallVector<int64_t> axes;
  for (int64_t i = 2; i < xt.getRank(); ++i)
    axes.push_back(i);
  auto [mean, var] = meanVar(x, axes);
  return one(normalizeChannels(x, mean, var, in.getEpsilon().convertToDouble(), in.getScale(), in.getB()));
}

/// MeanVarianceNormalization as its ONNX function body:
/// (X - E[X]) / (sqrt(E[X^2] - E[X]^2) + 1e-9).
FailureOr<SmallVector<Value>> Converter::meanVarianceNorm(ox::MeanVarianceNormalizationOp mvn) {
  Value x = mvn.getX();
  auto xt = rtt(x);
  int64_t r = xt.getRank();
  if (!isa<FloatType>(xt.getElementType()))
    return (LogicalResult)(fail() << "X must be a float tensor");
  SmallVector<int64_t> axes = mvn.getAxes() ? intsAttr(mvn.getAxes()) : SmallVector<int64_t>{0, 2, 3};
  for (int64_t &a : axes) {
    if (a < -r || a >= r)
      return (LogicalResult)(fail() << "axis " << a << " out of range for rank " << r);
    if (a < 0) a += r;
  }
  llvm::sort(axes);
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  SmallVector<int64_t> shape(xt.getShape());
  for (int64_t a : axes)
    shape[a] = 1;
  auto st = RankedTensorType::get(shape, xt.getElementType());
  auto mean = [&](Value v) -> Value {
    return nn::ReduceOp::create(b, loc, st, v, nn::ReduceKindAttr::get(b.getContext(), nn::ReduceKind::mean),
                                b.getDenseI64ArrayAttr(axes), b.getBoolAttr(true));
  };
  Value m = mean(x);
  Value ex2 = mean(binary(b, loc, nn::BinaryKind::mul, x, x, xt));
  Value var = binary(b, loc, nn::BinaryKind::sub, ex2, binary(b, loc, nn::BinaryKind::mul, m, m, st), st);
  Value epsC = constTensor(b, loc, RankedTensorType::get(SmallVector<int64_t>(r, 1), xt.getElementType()), {1e-9});
  Value sd = binary(b, loc, nn::BinaryKind::add, unary(b, loc, nn::UnaryKind::sqrt, var), epsC, st);
  Value d = binary(b, loc, nn::BinaryKind::sub, x, m, xt);
  return one(binary(b, loc, nn::BinaryKind::div, d, sd, xt));
}

/// LRN: the windowed channel sum of x^2 is an average pool (count including
/// padding, so the divisor is always `size`) over [N, 1, C, prod(spatial)];
/// y = x / (bias + alpha * avg)^beta.
FailureOr<SmallVector<Value>> Converter::lrn(ox::LRNOp l) {
  Value x = l.getX();
  auto xt = rtt(x);
  Type et = xt.getElementType();
  if (!isa<FloatType>(et))
    return (LogicalResult)(fail() << "X must be a float tensor");
  if (!xt.hasStaticShape())
    return (LogicalResult)(fail() << "X of dynamic shape is not supported");
  int64_t N = xt.getDimSize(0), C = xt.getDimSize(1), S = 1;
  for (int64_t i = 2; i < xt.getRank(); ++i)
    S *= xt.getDimSize(i);
  int64_t size = l.getSize();
  int64_t lo = (size - 1) / 2, hi = size - 1 - lo;
  auto t4 = RankedTensorType::get({N, 1, C, S}, et);
  Value sq = binary(b, loc, nn::BinaryKind::mul, x, x, xt);
  Value sq4 = reshapeTo(b, loc, sq, t4);
  SmallVector<int64_t> pads{lo, 0, hi, 0};
  Value avg = nn::PoolOp::create(b, loc, t4, sq4, nn::PoolKindAttr::get(b.getContext(), nn::PoolKind::avg),
                                 b.getDenseI64ArrayAttr({size, 1}), b.getDenseI64ArrayAttr({1, 1}),
                                 b.getDenseI64ArrayAttr({1, 1}), b.getDenseI64ArrayAttr(pads),
                                 b.getDenseI64ArrayAttr(pads), b.getBoolAttr(true));
  avg = reshapeTo(b, loc, avg, xt);
  auto c1 = RankedTensorType::get(SmallVector<int64_t>(xt.getRank(), 1), et);
  Value den = binary(b, loc, nn::BinaryKind::mul, avg, constTensor(b, loc, c1, {l.getAlpha().convertToDouble()}), xt);
  den = binary(b, loc, nn::BinaryKind::add, den, constTensor(b, loc, c1, {l.getBias().convertToDouble()}), xt);
  den = binary(b, loc, nn::BinaryKind::pow, den, constTensor(b, loc, c1, {l.getBeta().convertToDouble()}), xt);
  return one(binary(b, loc, nn::BinaryKind::div, x, den, xt));
}


/// GroupNormalization: statistics over [N, G, C / G * spatial] (f32 with
/// stash_type = 1), then per-channel scale and bias.
FailureOr<SmallVector<Value>> Converter::groupNorm(ox::GroupNormalizationOp g) {
  Value x = g.getX();
  auto xt = rtt(x);
  Type et = xt.getElementType();
  if (!isa<FloatType>(et))
    return (LogicalResult)(fail() << "X must be a float tensor");
  if (!xt.hasStaticShape())
    return (LogicalResult)(fail() << "X of dynamic shape is not supported");
  if (g.getStashType() != 1)
    return (LogicalResult)(fail() << "stash_type = " << g.getStashType() << " is not supported (only 1: float)");
  int64_t N = xt.getDimSize(0), C = xt.getDimSize(1), G = g.getNumGroups(), S = 1;
  for (int64_t i = 2; i < xt.getRank(); ++i)
    S *= xt.getDimSize(i);
  auto f32 = b.getF32Type();
  auto toF32 = [&](Value v) { return castElem(b, loc, v, f32); };
  auto gt = RankedTensorType::get({N, G, C / G * S}, f32);
  Value xg = reshapeTo(b, loc, toF32(x), gt);
  auto [mean, var] = meanVar(xg, {2});
  Value epsC = splatOfRank(b, loc, 3, f32, g.getEpsilon().convertToDouble());
  Value sd = unary(b, loc, nn::UnaryKind::sqrt, binary(b, loc, nn::BinaryKind::add, var, epsC, rtt(var)));
  Value d = binary(b, loc, nn::BinaryKind::sub, xg, mean, gt);
  Value yn = reshapeTo(b, loc, binary(b, loc, nn::BinaryKind::div, d, sd, gt), xt.clone(f32));
  SmallVector<int64_t> pshape(xt.getRank(), 1);
  pshape[1] = C;
  auto pType = RankedTensorType::get(pshape, f32);
  Value y = binary(b, loc, nn::BinaryKind::mul, yn, reshapeTo(b, loc, toF32(g.getScale()), pType), xt.clone(f32));
  y = binary(b, loc, nn::BinaryKind::add, y, reshapeTo(b, loc, toF32(g.getBias()), pType), xt.clone(f32));
  if (et != f32)
    y = nn::CastOp::create(b, loc, xt, y, false, false);
  return one(y);
}
// ---- conformance [normalization]: add new entries above this line ----

/// A 1-element tensor<1xT> constant.
Value scalarTensor1(OpBuilder &b, Location loc, TypedAttr v) {
  auto t = RankedTensorType::get({1}, v.getType());
  return arith::ConstantOp::create(b, loc, t, DenseElementsAttr::get(t, ArrayRef<Attribute>{v}));
}

FailureOr<SmallVector<Value>> Converter::unique(ox::UniqueOp u) {
  Value x = u.getX();
  auto xt = rtt(x);
  int64_t r = xt.getRank();
  Type et = xt.getElementType();
  if (!et.isIntOrFloat() || (et.isInteger(1) && u.getSorted() != 0))
    return (LogicalResult)(fail() << "element type " << et << " is not supported"
                                  << (et.isInteger(1) ? " with sorted = 1" : ""));
  // Bring the input to 2-D [n, m]: rows are the elements (no axis) or the
  // slices along `axis` (moved to the front).
  SmallVector<int64_t> perm;
  int64_t axis = -1;
  Value rows2d;
  SmallVector<int64_t> restDims;
  if (auto a = u.getAxis()) {
    axis = *a < 0 ? *a + r : *a;
    perm.push_back(axis);
    for (int64_t i = 0; i < r; ++i)
      if (i != axis)
        perm.push_back(i);
    SmallVector<int64_t> tshape;
    for (int64_t p : perm)
      tshape.push_back(xt.getDimSize(p));
    Value xtp = x;
    if (axis != 0)
      xtp = nn::TransposeOp::create(b, loc, RankedTensorType::get(tshape, et), x,
                                    b.getDenseI64ArrayAttr(perm));
    int64_t m = 1;
    for (int64_t i = 1; i < r; ++i) {
      if (tshape[i] == kDyn)
        return (LogicalResult)(fail() << "dynamic dims other than the axis are not supported");
      m *= tshape[i];
      restDims.push_back(tshape[i]);
    }
    SmallVector<Value> dims{dimValue(b, loc, xtp, 0), arith::ConstantIndexOp::create(b, loc, m)};
    rows2d = reshapeTo(b, loc, xtp, RankedTensorType::get({tshape[0], m}, et), dims);
  } else {
    if (xt.getNumDynamicDims() > 1)
      return (LogicalResult)(fail() << "an input with more than one dynamic dim is not supported");
    int64_t n = 1;
    for (int64_t d : xt.getShape())
      n = (d == kDyn || n == kDyn) ? kDyn : n * d;
    rows2d = reshapeTo(b, loc, x, RankedTensorType::get({n, 1}, et));
  }
  auto i64 = b.getI64Type();
  auto rt2 = rtt(rows2d);
  auto un = nn::UniqueOp::create(
      b, loc,
      TypeRange{RankedTensorType::get({kDyn, rt2.getDimSize(1)}, et),
                RankedTensorType::get({kDyn}, i64),
                RankedTensorType::get({rt2.getDimSize(0)}, i64),
                RankedTensorType::get({kDyn}, i64)},
      rows2d, b.getBoolAttr(u.getSorted() != 0));
  Value y;
  if (axis < 0) {
    y = reshapeTo(b, loc, un.getRows(), RankedTensorType::get({kDyn}, et));
  } else {
    SmallVector<int64_t> shape{kDyn};
    shape.append(restDims);
    y = reshapeTo(b, loc, un.getRows(), RankedTensorType::get(shape, et));
    if (axis != 0) {
      SmallVector<int64_t> inv(r), oshape(r);
      for (int64_t i = 0; i < r; ++i)
        inv[perm[i]] = i;
      for (int64_t i = 0; i < r; ++i)
        oshape[i] = shape[inv[i]];
      y = nn::TransposeOp::create(b, loc, RankedTensorType::get(oshape, et), y,
                                  b.getDenseI64ArrayAttr(inv));
    }
  }
  SmallVector<Value> all{y, un.getIndices(), un.getInverse(), un.getCounts()};
  all.resize(op->getNumResults());
  return all;
}

FailureOr<SmallVector<Value>> Converter::nonMaxSuppression(ox::NonMaxSuppressionOp n) {
  auto bt = rtt(n.getBoxes()), st = rtt(n.getScores());
  if (!bt.getElementType().isF32() || !st.getElementType().isF32())
    return (LogicalResult)(fail() << "boxes and scores must be f32, got " << bt.getElementType()
                                  << " and " << st.getElementType());
  auto scalarInput = [&](Value v, TypedAttr dflt, Type want) -> FailureOr<Value> {
    if (isNone(v))
      return scalarTensor1(b, loc, dflt);
    auto t = rtt(v);
    if (t.getElementType() != want || !t.hasStaticShape() || t.getNumElements() != 1)
      return (LogicalResult)(fail() << "scalar inputs must be 1-element tensors of type " << want);
    return v;
  };
  auto mo = scalarInput(n.getMaxOutputBoxesPerClass(), b.getI64IntegerAttr(0), b.getI64Type());
  auto iou = scalarInput(n.getIouThreshold(), b.getF32FloatAttr(0), b.getF32Type());
  auto sc = scalarInput(n.getScoreThreshold(), b.getF32FloatAttr(0), b.getF32Type());
  if (failed(mo) || failed(iou) || failed(sc))
    return failure();
  if (n.getCenterPointBox() != 0 && n.getCenterPointBox() != 1)
    return (LogicalResult)(fail() << "center_point_box must be 0 or 1");
  return one(nn::NonMaxSuppressionOp::create(
      b, loc, resType(), n.getBoxes(), n.getScores(), *mo, *iou, *sc,
      b.getBoolAttr(n.getCenterPointBox() == 1), b.getBoolAttr(!isNone(n.getScoreThreshold()))));
}

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

//===----------------------------------------------------------------------===//
// Recurrent layers (unrolled over the static sequence length) and control
// flow (onnx.If / Loop / Scan -> scf.if / scf.while / scf.for; the body ops
// move into the scf region and are converted afterwards like any other op).
//===----------------------------------------------------------------------===//

namespace {
/// Applies an ONNX RNN activation function (by name) with nn ops.
FailureOr<Value> rnnActivation(OpBuilder &b, Location loc, StringRef name,
                               std::optional<double> alpha, std::optional<double> beta, Value x) {
  auto t = rtt(x);
  auto scalar = [&](double v) {
    return constTensor(b, loc, RankedTensorType::get(SmallVector<int64_t>(t.getRank(), 1),
                                                     t.getElementType()), {v});
  };
  std::string n = name.lower();
  if (n == "relu")
    return unary(b, loc, nn::UnaryKind::relu, x);
  if (n == "tanh")
    return unary(b, loc, nn::UnaryKind::tanh, x);
  if (n == "sigmoid")
    return unary(b, loc, nn::UnaryKind::sigmoid, x);
  if (n == "leakyrelu")
    return unary(b, loc, nn::UnaryKind::leaky_relu, x, b.getF32FloatAttr(alpha.value_or(0.01)));
  if (n == "hardsigmoid")
    return unary(b, loc, nn::UnaryKind::hard_sigmoid, x, b.getF32FloatAttr(alpha.value_or(0.2)),
                 b.getF32FloatAttr(beta.value_or(0.5)));
  if (n == "affine") {
    Value y = binary(b, loc, nn::BinaryKind::mul, x, scalar(alpha.value_or(1.0)), t);
    return binary(b, loc, nn::BinaryKind::add, y, scalar(beta.value_or(0.0)), t);
  }
  if (n == "scaledtanh") {
    Value y = binary(b, loc, nn::BinaryKind::mul, x, scalar(beta.value_or(1.0)), t);
    y = unary(b, loc, nn::UnaryKind::tanh, y);
    return binary(b, loc, nn::BinaryKind::mul, y, scalar(alpha.value_or(1.0)), t);
  }
  if (n == "softsign") {
    Value d = binary(b, loc, nn::BinaryKind::add, unary(b, loc, nn::UnaryKind::abs, x), scalar(1), t);
    return binary(b, loc, nn::BinaryKind::div, x, d, t);
  }
  if (n == "softplus") {
    Value e = binary(b, loc, nn::BinaryKind::add, unary(b, loc, nn::UnaryKind::exp, x), scalar(1), t);
    return unary(b, loc, nn::UnaryKind::log, e);
  }
  return failure();
}

bool isRNNActivation(StringRef n) {
  std::string l = n.lower();
  return l == "relu" || l == "tanh" || l == "sigmoid" || l == "leakyrelu" || l == "hardsigmoid" ||
         l == "affine" || l == "scaledtanh" || l == "softsign" || l == "softplus";
}
bool activationTakesAlpha(StringRef n) {
  std::string l = n.lower();
  return l == "leakyrelu" || l == "hardsigmoid" || l == "affine" || l == "scaledtanh";
}
bool activationTakesBeta(StringRef n) {
  std::string l = n.lower();
  return l == "hardsigmoid" || l == "affine" || l == "scaledtanh";
}

/// Slice of `v` with static `offsets` and result `shape` (stride 1).
Value sliceStatic(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> offsets,
                  ArrayRef<int64_t> shape) {
  auto t = RankedTensorType::get(shape, rtt(v).getElementType());
  return nn::SliceOp::create(b, loc, t, v, b.getDenseI64ArrayAttr(offsets),
                             b.getDenseI64ArrayAttr(SmallVector<int64_t>(shape.size(), 1)));
}

Value reshapeStatic(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> shape) {
  return reshapeTo(b, loc, v, RankedTensorType::get(shape, rtt(v).getElementType()));
}

/// Extracts the single element of a 0-d or 1-element tensor.
Value extractScalar(OpBuilder &b, Location loc, Value t) {
  SmallVector<Value> idx(rtt(t).getRank(), arith::ConstantIndexOp::create(b, loc, 0));
  return tensor::ExtractOp::create(b, loc, t, idx);
}

/// Replaces the arguments of `from` by `args` and moves its ops (including
/// the onnx.Yield) to the end of `to`.
void moveBody(Block &from, Block &to, ArrayRef<Value> args) {
  for (auto [a, v] : llvm::zip(from.getArguments(), args))
    a.replaceAllUsesWith(v);
  to.getOperations().splice(to.end(), from.getOperations());
}

Value castTo(OpBuilder &b, Location loc, Value v, Type t) {
  return v.getType() == t ? v : tensor::CastOp::create(b, loc, t, v).getResult();
}
} // namespace

/// Static sequences up to this length are unrolled; longer or run-time ones
/// become an scf.for over the time steps.
static constexpr int64_t kMaxUnrolledSteps = 8;

FailureOr<SmallVector<Value>> Converter::recurrent(Operation *o, int kind) {
  // kind: 0 = RNN, 1 = GRU, 2 = LSTM.
  Value X = o->getOperand(0), W = o->getOperand(1), R = o->getOperand(2), B = o->getOperand(3),
        seqLens = o->getOperand(4), h0 = o->getOperand(5);
  Value c0 = kind == 2 ? o->getOperand(6) : Value(), P = kind == 2 ? o->getOperand(7) : Value();
  int64_t layout = cast<IntegerAttr>(o->getAttr("layout")).getInt();
  StringRef direction = cast<StringAttr>(o->getAttr("direction")).getValue();
  auto clipAttr = o->getAttrOfType<FloatAttr>("clip");
  auto lbrAttr = o->getAttrOfType<IntegerAttr>("linear_before_reset");
  bool lbr = lbrAttr && lbrAttr.getInt() != 0;
  if (auto inf = o->getAttrOfType<IntegerAttr>("input_forget"); inf && inf.getInt() != 0)
    return (LogicalResult)(fail() << "input_forget = 1 is not supported");
  // The sequence length and the batch may have run-time sizes; the weights
  // and the input / hidden sizes are static.
  for (Value v : {W, R, B, P})
    if (v && !isNone(v) && !rtt(v).hasStaticShape())
      return (LogicalResult)(fail() << "W, R, B and P of run-time shape are not supported");
  {
    auto t = rtt(X);
    if (t.getRank() != 3 || t.isDynamicDim(2))
      return (LogicalResult)(fail() << "X with a run-time input size is not supported");
    for (Value v : {h0, c0})
      if (v && !isNone(v) &&
          (rtt(v).getRank() != 3 || rtt(v).isDynamicDim(layout ? 1 : 0) || rtt(v).isDynamicDim(2)))
        return (LogicalResult)(fail() << "initial states must have static direction and hidden "
                                         "dims");
  }
  if (!isa<FloatType>(rtt(X).getElementType()))
    return (LogicalResult)(fail() << "X must be a floating-point tensor");
  if (layout == 1) {
    auto xt = rtt(X);
    X = nn::TransposeOp::create(
        b, loc, RankedTensorType::get({xt.getDimSize(1), xt.getDimSize(0), xt.getDimSize(2)},
                                      xt.getElementType()),
        X, b.getDenseI64ArrayAttr({1, 0, 2}));
    for (Value *s : {&h0, &c0})
      if (*s && !isNone(*s)) {
        auto st = rtt(*s);
        *s = nn::TransposeOp::create(
            b, loc, RankedTensorType::get({st.getDimSize(1), st.getDimSize(0), st.getDimSize(2)},
                                          st.getElementType()),
            *s, b.getDenseI64ArrayAttr({1, 0, 2}));
      }
  }
  auto xt = rtt(X);
  Type et = xt.getElementType();
  int64_t S = xt.getDimSize(0), N = xt.getDimSize(1), I = xt.getDimSize(2);
  int64_t D = direction == "bidirectional" ? 2 : 1;
  int64_t H = rtt(R).getDimSize(2);
  int64_t G = kind == 0 ? 1 : kind == 1 ? 3 : 4;
  if (S == 0)
    return (LogicalResult)(fail() << "empty sequences are not supported");
  // Activation functions: F per direction.
  int64_t F = kind == 0 ? 1 : kind == 1 ? 2 : 3;
  SmallVector<std::string> acts;
  if (auto a = o->getAttrOfType<ArrayAttr>("activations")) {
    for (Attribute s : a)
      acts.push_back(cast<StringAttr>(s).getValue().str());
    if ((int64_t)acts.size() == F && D == 2)
      acts.append(SmallVector<std::string>(acts)); // same functions for both directions
    if ((int64_t)acts.size() != F * D)
      return (LogicalResult)(fail() << "activations must list " << F * D << " functions, got "
                                    << a.size());
  } else {
    for (int64_t d = 0; d < D; ++d) {
      if (kind == 0) acts.push_back("Tanh");
      else if (kind == 1) acts.append({"Sigmoid", "Tanh"});
      else acts.append({"Sigmoid", "Tanh", "Tanh"});
    }
  }
  SmallVector<double> alphas, betas;
  if (auto a = o->getAttrOfType<ArrayAttr>("activation_alpha"))
    for (Attribute v : a) alphas.push_back(cast<FloatAttr>(v).getValueAsDouble());
  if (auto a = o->getAttrOfType<ArrayAttr>("activation_beta"))
    for (Attribute v : a) betas.push_back(cast<FloatAttr>(v).getValueAsDouble());
  SmallVector<std::optional<double>> actAlpha, actBeta;
  size_t ai = 0, bi = 0;
  for (const std::string &n : acts) {
    actAlpha.push_back(activationTakesAlpha(n) && ai < alphas.size() ? std::optional(alphas[ai++])
                                                                      : std::nullopt);
    actBeta.push_back(activationTakesBeta(n) && bi < betas.size() ? std::optional(betas[bi++])
                                                                   : std::nullopt);
    if (!isRNNActivation(n))
      return (LogicalResult)(fail() << "activation function '" << n << "' is not supported");
  }
  // sequence_lens: ignored when every entry is the full length; otherwise
  // steps t >= len_b keep sequence b's state and output zeros.
  bool masked = false;
  Value lens;
  if (!isNone(seqLens)) {
    SmallVector<int64_t> lv;
    if (!ox::getConstantIntValues(seqLens, lv) || llvm::any_of(lv, [&](int64_t v) { return v != S; })) {
      // The same mask serves the reverse direction: steps t >= len keep the
      // initial state, so sequence b starts at t = len_b - 1.
      masked = true;
      auto lt = rtt(seqLens);
      if (lt.getRank() != 1 || !isa<IntegerType>(lt.getElementType()))
        return (LogicalResult)(fail() << "sequence_lens must be a 1-D integer tensor");
      lens = seqLens;
      if (!lt.getElementType().isInteger(64))
        lens = nn::CastOp::create(b, loc, RankedTensorType::get(lt.getShape(), b.getI64Type()),
                                  lens, UnitAttr(), UnitAttr());
      lens = reshapeStatic(b, loc, lens, {N, 1});
    }
  }
  auto bh = RankedTensorType::get({N, H}, et);
  Value zeroBH = constTensor(b, loc, RankedTensorType::get({1, 1}, et), {0});
  auto act = [&](int64_t idx, Value v) -> Value {
    if (clipAttr) {
      double c = clipAttr.getValueAsDouble();
      v = nn::ClampOp::create(b, loc, v.getType(), v, b.getF64FloatAttr(-c), b.getF64FloatAttr(c));
    }
    return *rnnActivation(b, loc, acts[idx], actAlpha[idx], actBeta[idx], v);
  };
  auto add = [&](Value l, Value r) { return binary(b, loc, nn::BinaryKind::add, l, r, bh); };
  auto mul = [&](Value l, Value r) { return binary(b, loc, nn::BinaryKind::mul, l, r, bh); };
  auto sub = [&](Value l, Value r) { return binary(b, loc, nn::BinaryKind::sub, l, r, bh); };
  auto mm = [&](Value l, Value r) { return nn::MatmulOp::create(b, loc, bh, l, r).getResult(); };

  SmallVector<Value> ys, hs, cs;
  for (int64_t d = 0; d < D; ++d) {
    bool reverse = direction == "reverse" || d == 1;
    SmallVector<Value> Wg, Rg, Wb, Rb, Pg;
    for (int64_t g = 0; g < G; ++g) {
      Wg.push_back(transpose2D(b, loc, reshapeStatic(b, loc, sliceStatic(b, loc, W, {d, g * H, 0}, {1, H, I}), {H, I})));
      Rg.push_back(transpose2D(b, loc, reshapeStatic(b, loc, sliceStatic(b, loc, R, {d, g * H, 0}, {1, H, H}), {H, H})));
      if (!isNone(B)) {
        Wb.push_back(reshapeStatic(b, loc, sliceStatic(b, loc, B, {d, g * H}, {1, H}), {1, H}));
        Rb.push_back(reshapeStatic(b, loc, sliceStatic(b, loc, B, {d, (G + g) * H}, {1, H}), {1, H}));
      }
    }
    if (P && !isNone(P))
      for (int64_t g = 0; g < 3; ++g)
        Pg.push_back(reshapeStatic(b, loc, sliceStatic(b, loc, P, {d, g * H}, {1, H}), {1, H}));
    auto initState = [&](Value v) -> Value {
      if (!v || isNone(v)) {
        if (N != kDyn)
          return constTensor(b, loc, bh, SmallVector<double>(N * H, 0.0));
        Value z = constTensor(b, loc, RankedTensorType::get({1, H}, et), {0.0});
        Value shape = shapeTensor(b, loc, {dimValue(b, loc, X, 1),
                                           arith::ConstantIndexOp::create(b, loc, H)});
        return nn::BroadcastOp::create(b, loc, bh, z, shape);
      }
      return reshapeStatic(b, loc, sliceStatic(b, loc, v, {d, 0, 0}, {1, N, H}), {N, H});
    };
    Value h = initState(h0), c = kind == 2 ? initState(c0) : Value();
    int64_t a0 = d * F;
    // One time step: (x_t, H_{t-1}, C_{t-1}, t as a [1, 1] i64 tensor when
    // masking) -> (H_t, C_t, Y_t).
    auto stepFn = [&](Value xt, Value h, Value c, Value tc) -> std::tuple<Value, Value, Value> {
      auto pre = [&](int64_t g, bool withR = true) {
        Value v = mm(xt, Wg[g]);
        if (withR) v = add(v, mm(h, Rg[g]));
        if (!Wb.empty()) {
          v = add(v, Wb[g]);
          if (withR) v = add(v, Rb[g]);
        }
        return v;
      };
      Value hNew, cNew;
      if (kind == 0) {
        hNew = act(a0, pre(0));
      } else if (kind == 1) {
        Value z = act(a0, pre(0)), r = act(a0, pre(1));
        Value hh = pre(2, /*withR=*/false);
        if (lbr) {
          Value rh = mm(h, Rg[2]);
          if (!Rb.empty()) rh = add(rh, Rb[2]);
          hh = add(hh, mul(r, rh));
        } else {
          hh = add(hh, mm(mul(r, h), Rg[2]));
          if (!Rb.empty()) hh = add(hh, Rb[2]);
        }
        hh = act(a0 + 1, hh);
        hNew = add(hh, mul(z, sub(h, hh))); // (1 - z) * hh + z * h
      } else {
        Value pi = pre(0), po = pre(1), pf = pre(2), pc = pre(3);
        if (!Pg.empty()) {
          pi = add(pi, mul(Pg[0], c));
          pf = add(pf, mul(Pg[2], c));
        }
        Value ig = act(a0, pi), fg = act(a0, pf), cc = act(a0 + 1, pc);
        cNew = add(mul(fg, c), mul(ig, cc));
        if (!Pg.empty())
          po = add(po, mul(Pg[1], cNew));
        Value og = act(a0, po);
        hNew = mul(og, act(a0 + 2, cNew));
      }
      Value y = hNew;
      if (masked) {
        Value m = nn::BinaryOp::create(b, loc, RankedTensorType::get({N, 1}, b.getI1Type()), lens,
                                       tc, nn::BinaryKind::gt);
        y = nn::SelectOp::create(b, loc, bh, m, hNew, zeroBH);
        hNew = nn::SelectOp::create(b, loc, bh, m, hNew, h);
        if (kind == 2)
          cNew = nn::SelectOp::create(b, loc, bh, m, cNew, c);
      }
      return {hNew, cNew, y};
    };
    if (S != kDyn && S <= kMaxUnrolledSteps) {
      // Short static sequences: unrolled.
      SmallVector<Value> yd(S);
      for (int64_t step = 0; step < S; ++step) {
        int64_t t = reverse ? S - 1 - step : step;
        Value xt = reshapeStatic(b, loc, sliceStatic(b, loc, X, {t, 0, 0}, {1, N, I}), {N, I});
        Value tc;
        if (masked)
          tc = arith::ConstantOp::create(
              b, loc, DenseElementsAttr::get(RankedTensorType::get({1, 1}, b.getI64Type()), (int64_t)t));
        auto [hNew, cNew, y] = stepFn(xt, h, c, tc);
        h = hNew;
        c = cNew;
        yd[t] = reshapeStatic(b, loc, y, {1, 1, N, H});
      }
      ys.push_back(S == 1 ? yd[0]
                          : nn::ConcatOp::create(b, loc, RankedTensorType::get({S, 1, N, H}, et), yd,
                                                 b.getI64IntegerAttr(0)).getResult());
    } else {
      // Long or run-time sequences: scf.for over the time steps carrying
      // H, C and Y (each step inserts its [N, H] slice).
      Value sv = dimValue(b, loc, X, 0), nv = dimValue(b, loc, X, 1);
      Value c0i = arith::ConstantIndexOp::create(b, loc, 0), c1i = arith::ConstantIndexOp::create(b, loc, 1);
      SmallVector<Value> dyn;
      if (S == kDyn) dyn.push_back(sv);
      if (N == kDyn) dyn.push_back(nv);
      Value acc = tensor::EmptyOp::create(b, loc, RankedTensorType::get({S, N, H}, et), dyn);
      SmallVector<Value> inits{h, acc};
      if (kind == 2)
        inits.push_back(c);
      auto loop = scf::ForOp::create(b, loc, c0i, sv, c1i, inits);
      {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(loop.getBody());
        Value iv = loop.getInductionVar();
        Value tt = iv;
        if (reverse)
          tt = arith::SubIOp::create(b, loc, arith::SubIOp::create(b, loc, sv, c1i), iv);
        auto iterArgs = loop.getRegionIterArgs();
        auto idx = [&](int64_t v) -> OpFoldResult { return b.getIndexAttr(v); };
        OpFoldResult nSize = N == kDyn ? OpFoldResult(nv) : idx(N);
        Value xt = tensor::ExtractSliceOp::create(
            b, loc, RankedTensorType::get({N, I}, et), X, ArrayRef<OpFoldResult>{tt, idx(0), idx(0)},
            ArrayRef<OpFoldResult>{idx(1), nSize, idx(I)}, ArrayRef<OpFoldResult>{idx(1), idx(1), idx(1)});
        Value tc;
        if (masked) {
          Value ti = arith::IndexCastOp::create(b, loc, b.getI64Type(), tt);
          tc = tensor::FromElementsOp::create(b, loc, RankedTensorType::get({1, 1}, b.getI64Type()),
                                              ValueRange{ti});
        }
        auto [hNew, cNew, y] = stepFn(xt, iterArgs[0], kind == 2 ? iterArgs[2] : Value(), tc);
        Value acc2 = tensor::InsertSliceOp::create(
            b, loc, y, iterArgs[1], ArrayRef<OpFoldResult>{tt, idx(0), idx(0)},
            ArrayRef<OpFoldResult>{idx(1), nSize, idx(H)}, ArrayRef<OpFoldResult>{idx(1), idx(1), idx(1)});
        SmallVector<Value> next{hNew, acc2};
        if (kind == 2)
          next.push_back(cNew);
        scf::YieldOp::create(b, loc, next);
      }
      h = loop.getResult(0);
      if (kind == 2)
        c = loop.getResult(2);
      Value one = arith::ConstantIndexOp::create(b, loc, 1), hv = arith::ConstantIndexOp::create(b, loc, H);
      ys.push_back(reshapeTo(b, loc, loop.getResult(1), RankedTensorType::get({S, 1, N, H}, et),
                             {sv, one, nv, hv}));
    }
    hs.push_back(reshapeStatic(b, loc, h, {1, N, H}));
    if (kind == 2)
      cs.push_back(reshapeStatic(b, loc, c, {1, N, H}));
  }
  auto cat = [&](ArrayRef<Value> vs, int64_t axis, ArrayRef<int64_t> shape) -> Value {
    if (vs.size() == 1)
      return vs[0];
    return nn::ConcatOp::create(b, loc, RankedTensorType::get(shape, et), vs,
                                b.getI64IntegerAttr(axis));
  };
  SmallVector<Value> outs{cat(ys, 1, {S, D, N, H}), cat(hs, 0, {D, N, H})};
  if (kind == 2)
    outs.push_back(cat(cs, 0, {D, N, H}));
  if (layout == 1) {
    outs[0] = nn::TransposeOp::create(b, loc, RankedTensorType::get({N, S, D, H}, et), outs[0],
                                      b.getDenseI64ArrayAttr({2, 0, 1, 3}));
    for (size_t i = 1; i < outs.size(); ++i)
      outs[i] = nn::TransposeOp::create(b, loc, RankedTensorType::get({N, D, H}, et), outs[i],
                                        b.getDenseI64ArrayAttr({1, 0, 2}));
  }
  outs.resize(o->getNumResults());
  return outs;
}

FailureOr<SmallVector<Value>> Converter::ifOp(ox::IfOp op) {
  Value cond = extractScalar(b, loc, op.getCond());
  auto thenY = cast<ox::YieldOp>(op.getThenBranch().front().getTerminator());
  auto elseY = cast<ox::YieldOp>(op.getElseBranch().front().getTerminator());
  SmallVector<Type> types(op->getResultTypes());
  for (unsigned i = types.size(); i < thenY.getNumOperands(); ++i) {
    // Outputs the model does not use: the then type if both agree.
    if (thenY.getOperand(i).getType() != elseY.getOperand(i).getType())
      return (LogicalResult)(fail() << "unused output #" << i << " has different types in the branches");
    types.push_back(thenY.getOperand(i).getType());
  }
  auto ifo = scf::IfOp::create(b, loc, types, cond, /*addThenBlock=*/false, /*addElseBlock=*/false);
  for (auto [region, y] : {std::pair{&op.getThenBranch(), thenY}, std::pair{&op.getElseBranch(), elseY}}) {
    Region &dst = region == &op.getThenBranch() ? ifo.getThenRegion() : ifo.getElseRegion();
    dst.takeBody(*region);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPoint(y);
    SmallVector<Value> outs;
    for (auto [v, t] : llvm::zip(y.getOperands(), types))
      outs.push_back(castTo(b, loc, v, t));
    scf::YieldOp::create(b, loc, outs);
    // The onnx.Yield (now after the scf.yield) is erased when its turn comes.
  }
  SmallVector<Value> res(ifo.getResults().take_front(op->getNumResults()));
  return res;
}

FailureOr<SmallVector<Value>> Converter::loopOp(ox::LoopOp op) {
  Block &body = op.getBody().front();
  auto y = cast<ox::YieldOp>(body.getTerminator());
  unsigned n = op.getVInitial().size();
  unsigned k = y.getNumOperands() - 1 - n;
  Type i64 = b.getI64Type(), i1 = b.getI1Type();
  Value maxTrip = isNone(op.getM()) ? Value() : extractScalar(b, loc, op.getM());
  Value cond0 = isNone(op.getCond()) ? arith::ConstantIntOp::create(b, loc, 1, 1).getResult()
                                     : extractScalar(b, loc, op.getCond());
  SmallVector<Value> inits{arith::ConstantIntOp::create(b, loc, 0, 64), cond0};
  SmallVector<Type> types{i64, i1};
  for (unsigned i = 0; i < n; ++i) {
    Type t = body.getArgument(i + 2).getType();
    inits.push_back(castTo(b, loc, op.getVInitial()[i], t));
    types.push_back(t);
  }
  SmallVector<RankedTensorType> scanTypes;
  for (unsigned j = 0; j < k; ++j) {
    auto et = dyn_cast<RankedTensorType>(y.getOperand(1 + n + j).getType());
    if (!et || !et.hasStaticShape())
      return (LogicalResult)(fail() << "scan output #" << j
                                    << " has a run-time element shape, which is not supported");
    SmallVector<int64_t> empty{0}, dyn{kDyn};
    empty.append(et.getShape().begin(), et.getShape().end());
    dyn.append(et.getShape().begin(), et.getShape().end());
    auto dynT = RankedTensorType::get(dyn, et.getElementType());
    Value e = tensor::EmptyOp::create(b, loc, empty, et.getElementType());
    inits.push_back(tensor::CastOp::create(b, loc, dynT, e));
    types.push_back(dynT);
    scanTypes.push_back(dynT);
  }
  SmallVector<Location> locs(types.size(), loc);
  auto w = scf::WhileOp::create(b, loc, types, inits);
  {
    Block *before = b.createBlock(&w.getBefore(), {}, types, locs);
    Value keep = before->getArgument(1);
    if (maxTrip) {
      Value inRange = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                            before->getArgument(0), maxTrip);
      keep = arith::AndIOp::create(b, loc, keep, inRange);
    }
    scf::ConditionOp::create(b, loc, keep, before->getArguments());
  }
  Block *after = b.createBlock(&w.getAfter(), {}, types, locs);
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(after);
    Value iterT = tensor::FromElementsOp::create(b, loc, RankedTensorType::get({}, i64),
                                                 ValueRange{after->getArgument(0)});
    Value condT = tensor::FromElementsOp::create(b, loc, RankedTensorType::get({}, i1),
                                                 ValueRange{after->getArgument(1)});
    SmallVector<Value> args{iterT, condT};
    for (unsigned i = 0; i < n; ++i)
      args.push_back(after->getArgument(i + 2));
    moveBody(body, *after, args);
    b.setInsertionPoint(y);
    SmallVector<Value> next;
    next.push_back(arith::AddIOp::create(b, loc, after->getArgument(0),
                                         arith::ConstantIntOp::create(b, loc, 1, 64)));
    next.push_back(extractScalar(b, loc, y.getOperand(0)));
    for (unsigned i = 0; i < n; ++i)
      next.push_back(castTo(b, loc, y.getOperand(1 + i), types[2 + i]));
    for (unsigned j = 0; j < k; ++j) {
      Value elem = y.getOperand(1 + n + j);
      auto et = rtt(elem);
      SmallVector<int64_t> one{1};
      one.append(et.getShape().begin(), et.getShape().end());
      Value e1 = reshapeStatic(b, loc, elem, one);
      next.push_back(nn::ConcatOp::create(b, loc, scanTypes[j],
                                          ValueRange{after->getArgument(2 + n + j), e1},
                                          b.getI64IntegerAttr(0)));
    }
    scf::YieldOp::create(b, loc, next);
  }
  b.setInsertionPointAfter(w);
  SmallVector<Value> res;
  for (unsigned i = 0; i < op->getNumResults(); ++i)
    res.push_back(w.getResult(2 + i));
  return res;
}

FailureOr<SmallVector<Value>> Converter::scanOp(ox::ScanOp op) {
  Block &body = op.getBody().front();
  auto y = cast<ox::YieldOp>(body.getTerminator());
  int64_t m = op.getNumScanInputs();
  ValueRange ins = op.getInitialStateAndScanInputs();
  int64_t n = ins.size() - m, k = y.getNumOperands() - n;
  auto ints = [&](std::optional<ArrayAttr> a, int64_t count) {
    SmallVector<int64_t> v = intsAttr(a);
    if (v.empty()) v.assign(count, 0);
    return v;
  };
  SmallVector<int64_t> inAxes = ints(op.getScanInputAxes(), m),
                       inDirs = ints(op.getScanInputDirections(), m),
                       outAxes = ints(op.getScanOutputAxes(), k),
                       outDirs = ints(op.getScanOutputDirections(), k);
  if ((int64_t)inDirs.size() != m || (int64_t)outDirs.size() != k)
    return (LogicalResult)(fail() << "scan_input_directions / scan_output_directions have the "
                                     "wrong number of entries");
  for (int64_t i = 0; i < m; ++i)
    inAxes[i] = inAxes[i] < 0 ? inAxes[i] + rtt(ins[n + i]).getRank() : inAxes[i];
  Value len = dimValue(b, loc, ins[n], inAxes[0]);
  for (int64_t i = 1; i < m; ++i) {
    auto t = rtt(ins[n + i]);
    if (!t.isDynamicDim(inAxes[i]) && !rtt(ins[n]).isDynamicDim(inAxes[0]) &&
        t.getDimSize(inAxes[i]) != rtt(ins[n]).getDimSize(inAxes[0]))
      return (LogicalResult)(fail() << "scan inputs have different lengths");
  }
  SmallVector<Value> inits;
  SmallVector<Type> types;
  for (int64_t i = 0; i < n; ++i) {
    Type t = body.getArgument(i).getType();
    inits.push_back(castTo(b, loc, ins[i], t));
    types.push_back(t);
  }
  SmallVector<int64_t> outAxisN;
  for (int64_t j = 0; j < k; ++j) {
    auto et = dyn_cast<RankedTensorType>(y.getOperand(n + j).getType());
    if (!et || !et.hasStaticShape())
      return (LogicalResult)(fail() << "scan output #" << j
                                    << " has a run-time element shape, which is not supported");
    int64_t a = outAxes[j] < 0 ? outAxes[j] + et.getRank() + 1 : outAxes[j];
    outAxisN.push_back(a);
    SmallVector<int64_t> shape(et.getShape());
    shape.insert(shape.begin() + a, kDyn);
    SmallVector<Value> dyn{len};
    Value e = tensor::EmptyOp::create(b, loc, RankedTensorType::get(shape, et.getElementType()), dyn);
    inits.push_back(e);
    types.push_back(e.getType());
  }
  Value zero = arith::ConstantIndexOp::create(b, loc, 0), oneI = arith::ConstantIndexOp::create(b, loc, 1);
  auto f = scf::ForOp::create(b, loc, zero, len, oneI, inits);
  Block *loopBody = f.getBody();
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToStart(loopBody);
  Value iv = f.getInductionVar();
  Value last = arith::SubIOp::create(b, loc, len, oneI);
  Value rev = arith::SubIOp::create(b, loc, last, iv);
  SmallVector<Value> args(f.getRegionIterArgs().take_front(n));
  for (int64_t i = 0; i < m; ++i) {
    Value in = ins[n + i];
    auto t = rtt(in);
    SmallVector<OpFoldResult> offs, sizes, strides;
    for (int64_t d = 0; d < t.getRank(); ++d) {
      offs.push_back(d == inAxes[i] ? OpFoldResult(inDirs[i] ? rev : iv) : b.getIndexAttr(0));
      sizes.push_back(d == inAxes[i] ? OpFoldResult(b.getIndexAttr(1))
                                     : (t.isDynamicDim(d) ? OpFoldResult(dimValue(b, loc, in, d))
                                                          : b.getIndexAttr(t.getDimSize(d))));
      strides.push_back(b.getIndexAttr(1));
    }
    auto argT = cast<RankedTensorType>(body.getArgument(n + i).getType());
    args.push_back(tensor::ExtractSliceOp::create(b, loc, argT, in, offs, sizes, strides));
  }
  moveBody(body, *loopBody, args);
  b.setInsertionPoint(y);
  SmallVector<Value> next;
  for (int64_t i = 0; i < n; ++i)
    next.push_back(castTo(b, loc, y.getOperand(i), types[i]));
  for (int64_t j = 0; j < k; ++j) {
    Value elem = y.getOperand(n + j);
    auto et = rtt(elem);
    Value acc = f.getRegionIterArgs()[n + j];
    SmallVector<OpFoldResult> offs, sizes, strides;
    int64_t a = outAxisN[j];
    for (int64_t d = 0, e = 0; d <= et.getRank(); ++d) {
      if (d == a) {
        offs.push_back(outDirs[j] ? OpFoldResult(rev) : OpFoldResult(iv));
        sizes.push_back(b.getIndexAttr(1));
      } else {
        offs.push_back(b.getIndexAttr(0));
        sizes.push_back(b.getIndexAttr(et.getDimSize(e++)));
      }
      strides.push_back(b.getIndexAttr(1));
    }
    next.push_back(tensor::InsertSliceOp::create(b, loc, elem, acc, offs, sizes, strides));
  }
  scf::YieldOp::create(b, loc, next);
  b.setInsertionPointAfter(f);
  SmallVector<Value> res;
  for (unsigned i = 0; i < op->getNumResults(); ++i)
    res.push_back(f.getResult(i));
  return res;
}

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
  return t == 0 || isUnsignedONNXCode(t);
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

FailureOr<SmallVector<Value>> Converter::quantOp(Operation *o) {
  auto f32like = [&](Value v, Type et) { return castElem(b, loc, v, et); };
  auto unitIf = [&](bool c) { return c ? b.getUnitAttr() : UnitAttr(); };
  auto normAxis = [](int64_t a, int64_t r) { return a < 0 ? a + r : a; };

  if (auto q = dyn_cast<ox::QuantizeLinearOp>(o)) {
    auto x = rtt(q.getX());
    int64_t axis = normAxis(q.getAxis(), x.getRank());
    // `saturate` only matters for float8 outputs, which are rejected.
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
  auto argReduce = [&](auto a, bool isMax) -> FailureOr<SmallVector<Value>> {
    auto t = rtt(a.getData());
    if (!t.getElementType().isIntOrFloat() || t.getElementType().isInteger(1))
      return (LogicalResult)(fail() << "element type " << t.getElementType() << " is not supported");
    int64_t axis = a.getAxis() < 0 ? a.getAxis() + t.getRank() : a.getAxis();
    return one(nn::ArgReduceOp::create(b, loc, resType(), a.getData(), b.getI64IntegerAttr(axis),
                                       b.getBoolAttr(a.getKeepdims() != 0),
                                       b.getBoolAttr(a.getSelectLastIndex() != 0), b.getBoolAttr(isMax)));
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
          Value shape;
          if (!mt.hasStaticShape())
            shape = nn::ShapeOfOp::create(
                b, loc, RankedTensorType::get({mt.getRank()}, b.getI64Type()), d.getData(),
                b.getI64IntegerAttr(0), b.getI64IntegerAttr(mt.getRank()));
          r.push_back(nn::FillOp::create(b, loc, mt, shape, b.getBoolAttr(true)));
        }
        return r;
      })
      .Case([&](ox::CastOp c) -> FailureOr<SmallVector<Value>> {
        int64_t to = c.getTo();
        bool uDst = isUnsignedONNXCode(to);
        auto in = rtt(c.getInput());
        if (in.getElementType() == resType().getElementType())
          return one(c.getInput());
        return one(nn::CastOp::create(b, loc, resType(), c.getInput(), isUnsignedInt(c.getInput()), uDst));
      })
      .Case([&](ox::AddOp) { return bin(BK::add); })
      .Case([&](ox::SubOp) { return bin(BK::sub); })
      .Case([&](ox::MulOp) { return bin(BK::mul); })
      .Case([&](ox::DivOp) { return bin(isUnsignedInt(op->getOperand(0)) ? BK::udiv : BK::div); })
      .Case([&](ox::EqualOp) { return bin(BK::eq); })
      .Case([&](ox::LessOp) { return bin(isUnsignedInt(op->getOperand(0)) ? BK::ult : BK::lt); })
      .Case([&](ox::GreaterOp) { return bin(isUnsignedInt(op->getOperand(0)) ? BK::ugt : BK::gt); })
      .Case([&](ox::AndOp) { return bin(BK::logical_and); })
      .Case([&](ox::OrOp) { return bin(BK::logical_or); })
      .Case([&](ox::PowOp p) -> FailureOr<SmallVector<Value>> {
        Value x = p.getX(), y = p.getY();
        auto xt = rtt(x), yt = rtt(y);
        if (isa<IntegerType>(xt.getElementType()) && isa<FloatType>(yt.getElementType())) {
          // Integer base, float exponent: pow in f64, then back to the base type.
          Type f64 = b.getF64Type();
          Value xf = nn::CastOp::create(b, loc, xt.clone(f64), x, isUnsignedInt(x), false);
          Value yf = nn::CastOp::create(b, loc, yt.clone(f64), y, false, false);
          Value z = binary(b, loc, BK::pow, xf, yf, resType().clone(f64));
          return one(nn::CastOp::create(b, loc, resType(), z, false, isUnsignedInt(x)));
        }
        if (xt.getElementType() != yt.getElementType())
          y = nn::CastOp::create(b, loc, yt.clone(xt.getElementType()), y, isUnsignedInt(y), false);
        return one(binary(b, loc, BK::pow, x, y, resType()));
      })
      .Case([&](ox::MaxOp m) { return variadic(m.getOperands(), isUnsignedInt(m.getOperand(0)) ? BK::umax : BK::max); })
      .Case([&](ox::MinOp m) { return variadic(m.getOperands(), isUnsignedInt(m.getOperand(0)) ? BK::umin : BK::min); })
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
        bool statsUsed = llvm::any_of(ln.getStats(), [](Value s) { return !s.use_empty(); });
        if (statsUsed)
          return layerNormWithStats(ln);
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
      .Case([&](ox::CosOp) { return un(K::cos); })
      .Case([&](ox::SinOp) { return un(K::sin); })
      .Case([&](ox::TanOp) { return un(K::tan); })
      .Case([&](ox::AcosOp) { return un(K::acos); })
      .Case([&](ox::AsinOp) { return un(K::asin); })
      .Case([&](ox::AtanOp) { return un(K::atan); })
      .Case([&](ox::CoshOp) { return un(K::cosh); })
      .Case([&](ox::SinhOp) { return un(K::sinh); })
      .Case([&](ox::AcoshOp) { return un(K::acosh); })
      .Case([&](ox::AsinhOp) { return un(K::asinh); })
      .Case([&](ox::AtanhOp) { return un(K::atanh); })
      .Case([&](ox::RoundOp) { return un(K::round); })
      .Case([&](ox::SoftplusOp) { return un(K::softplus); })
      .Case([&](ox::SoftsignOp) { return un(K::softsign); })
      .Case([&](ox::MishOp) { return un(K::mish); })
      .Case([&](ox::BitwiseNotOp) { return un(K::bitwise_not); })
      .Case([&](ox::SignOp s) -> FailureOr<SmallVector<Value>> {
        if (s.getX().getType() != resType() || rtt(s.getX()).getElementType().isInteger(1))
          return (LogicalResult)(fail() << "Sign of " << rtt(s.getX()).getElementType() << " is not supported");
        if (isUnsignedInt(s.getX())) {
          // Unsigned: 0 or 1.
          auto t = rtt(s.getX());
          Value ne = binary(b, loc, BK::ugt, s.getX(),
                            arith::ConstantOp::create(b, loc, DenseElementsAttr::get(
                                RankedTensorType::get(SmallVector<int64_t>(t.getRank(), 1), t.getElementType()),
                                b.getIntegerAttr(t.getElementType(), 0))),
                            t.clone(b.getI1Type()));
          return one(nn::CastOp::create(b, loc, t, ne, true, true));
        }
        return un(K::sign);
      })
      .Case([&](ox::EluOp e) { return one(unary(b, loc, K::elu, e.getX(), e.getAlphaAttr())); })
      .Case([&](ox::SeluOp e) {
        return one(unary(b, loc, K::selu, e.getX(), e.getAlphaAttr(), e.getGammaAttr()));
      })
      .Case([&](ox::CeluOp e) -> FailureOr<SmallVector<Value>> {
        if (e.getAlpha().convertToDouble() == 0)
          return (LogicalResult)(fail() << "alpha = 0 is not allowed");
        return one(unary(b, loc, K::celu, e.getX(), e.getAlphaAttr()));
      })
      .Case([&](ox::ThresholdedReluOp e) {
        return one(unary(b, loc, K::thresholded_relu, e.getX(), e.getAlphaAttr()));
      })
      .Case([&](ox::ShrinkOp e) {
        return one(unary(b, loc, K::shrink, e.getInput(), e.getLambdAttr(), e.getBiasAttr()));
      })
      .Case([&](ox::IsNaNOp n) -> FailureOr<SmallVector<Value>> {
        // x != x only for NaN (ordered equality is false).
        Value eq = binary(b, loc, BK::eq, n.getX(), n.getX(), resType());
        return one(unary(b, loc, K::logical_not, eq));
      })
      .Case([&](ox::IsInfOp n) -> FailureOr<SmallVector<Value>> {
        auto t = rtt(n.getX());
        bool pos = n.getDetectPositive() != 0, neg = n.getDetectNegative() != 0;
        if (!pos && !neg)
          return one(nn::FillOp::create(b, loc, resType(), Value(), b.getBoolAttr(false)));
        Value x = n.getX();
        if (pos && neg)
          x = unary(b, loc, K::abs, x);
        Value inf = splatOfRank(b, loc, t.getRank(), t.getElementType(),
                                neg && !pos ? -INFINITY : INFINITY);
        return one(binary(b, loc, BK::eq, x, inf, resType()));
      })
      .Case([&](ox::XorOp) { return bin(BK::logical_xor); })
      .Case([&](ox::GreaterOrEqualOp) { return bin(isUnsignedInt(op->getOperand(0)) ? BK::uge : BK::ge); })
      .Case([&](ox::LessOrEqualOp) { return bin(isUnsignedInt(op->getOperand(0)) ? BK::ule : BK::le); })
      .Case([&](ox::BitwiseAndOp) { return bin(BK::bitwise_and); })
      .Case([&](ox::BitwiseOrOp) { return bin(BK::bitwise_or); })
      .Case([&](ox::BitwiseXorOp) { return bin(BK::bitwise_xor); })
      .Case([&](ox::ModOp m) -> FailureOr<SmallVector<Value>> {
        Type e = rtt(m.getA()).getElementType();
        if (e.isInteger(1))
          return (LogicalResult)(fail() << "Mod of bool is not supported");
        if (isa<FloatType>(e) && m.getFmod() == 0)
          return (LogicalResult)(fail() << "fmod = 0 with floating-point inputs is not allowed (ONNX requires fmod = 1)");
        if (isUnsignedInt(m.getA()))
          return bin(BK::umod);
        return bin(m.getFmod() != 0 ? BK::fmod : BK::mod);
      })
      .Case([&](ox::BitShiftOp s) { return bin(s.getDirection() == "LEFT" ? BK::shl : BK::shru); })
      .Case([&](ox::PReluOp p) { return one(binary(b, loc, BK::prelu, p.getX(), p.getSlope(), resType())); })
      .Case([&](ox::MeanOp m) -> FailureOr<SmallVector<Value>> {
        auto res = resType();
        if (!isa<FloatType>(res.getElementType()))
          return (LogicalResult)(fail() << "Mean needs floating-point inputs");
        auto sum = variadic(m.getOperands(), BK::add);
        if (failed(sum) || m.getNumOperands() == 1)
          return sum;
        Value n = splatOfRank(b, loc, res.getRank(), res.getElementType(), m.getNumOperands());
        return one(binary(b, loc, BK::div, (*sum)[0], n, res));
      })
      .Case([&](ox::SizeOp sz) -> FailureOr<SmallVector<Value>> {
        auto t = rtt(sz.getData());
        auto res = RankedTensorType::get({}, b.getI64Type());
        if (t.hasStaticShape())
          return one(arith::ConstantOp::create(b, loc, DenseElementsAttr::get(res, (int64_t)t.getNumElements())));
        Value n = arith::ConstantIndexOp::create(b, loc, 1);
        for (int64_t i = 0; i < t.getRank(); ++i)
          n = arith::MulIOp::create(b, loc, n, dimValue(b, loc, sz.getData(), i));
        Value v = arith::IndexCastOp::create(b, loc, b.getI64Type(), n);
        return one(tensor::FromElementsOp::create(b, loc, res, ValueRange{v}));
      })
      .Case([&](ox::CastLikeOp c) -> FailureOr<SmallVector<Value>> {
        if (rtt(c.getInput()).getElementType() == resType().getElementType())
          return one(c.getInput());
        return one(nn::CastOp::create(b, loc, resType(), c.getInput(), isUnsignedInt(c.getInput()),
                                      isUnsignedInt(c.getTargetType())));
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

      .Case([&](ox::ReduceL1Op r) { return reduce(r, nn::ReduceKind::l1); })
      .Case([&](ox::ReduceL2Op r) { return reduce(r, nn::ReduceKind::l2); })
      .Case([&](ox::ReduceLogSumOp r) { return reduce(r, nn::ReduceKind::log_sum); })
      .Case([&](ox::ReduceLogSumExpOp r) { return reduce(r, nn::ReduceKind::log_sum_exp); })
      .Case([&](ox::ReduceSumSquareOp r) { return reduce(r, nn::ReduceKind::sum_square); })
      .Case([&](ox::InstanceNormalizationOp in) { return instanceNorm(in); })
      .Case([&](ox::MeanVarianceNormalizationOp m) { return meanVarianceNorm(m); })
      .Case([&](ox::LRNOp l) { return lrn(l); })
      .Case([&](ox::GroupNormalizationOp g) { return groupNorm(g); })
      // ---- conformance [normalization]: add new entries above this line ----

      .Case([&](ox::ArgMaxOp a) { return argReduce(a, /*isMax=*/true); })
      .Case([&](ox::ArgMinOp a) { return argReduce(a, /*isMax=*/false); })
      .Case([&](ox::HardmaxOp h) -> FailureOr<SmallVector<Value>> {
        int64_t r = rtt(h.getInput()).getRank();
        if (!isa<FloatType>(rtt(h.getInput()).getElementType()))
          return (LogicalResult)(fail() << "the input must be floating-point");
        return one(nn::HardmaxOp::create(b, loc, resType(), h.getInput(),
                                         b.getI64IntegerAttr(h.getAxis() < 0 ? h.getAxis() + r : h.getAxis())));
      })
      .Case([&](ox::CumSumOp cs) -> FailureOr<SmallVector<Value>> {
        int64_t r = rtt(cs.getX()).getRank();
        Type et = rtt(cs.getX()).getElementType();
        if (!et.isIntOrFloat() || et.isInteger(1))
          return (LogicalResult)(fail() << "element type " << et << " is not supported");
        SmallVector<int64_t> av;
        Value axisInput;
        int64_t axis = 0;
        if (ox::getConstantIntValues(cs.getAxis(), av))
          axis = av[0] < 0 ? av[0] + r : av[0];
        else
          axisInput = cs.getAxis();
        return one(nn::CumSumOp::create(b, loc, resType(), cs.getX(), axisInput,
                                        b.getI64IntegerAttr(axis), b.getBoolAttr(cs.getExclusive() != 0),
                                        b.getBoolAttr(cs.getReverse() != 0)));
      })
      .Case([&](ox::TopKOp t) -> FailureOr<SmallVector<Value>> {
        int64_t r = rtt(t.getX()).getRank();
        if (!rtt(t.getX()).getElementType().isIntOrFloat() || rtt(t.getX()).getElementType().isInteger(1))
          return (LogicalResult)(fail() << "element type " << rtt(t.getX()).getElementType()
                                        << " is not supported");
        auto top = nn::TopKOp::create(b, loc, TypeRange{resType(0), resType(1)}, t.getX(), t.getK(),
                                      b.getI64IntegerAttr(t.getAxis() < 0 ? t.getAxis() + r : t.getAxis()),
                                      b.getBoolAttr(t.getLargest() != 0));
        return SmallVector<Value>{top.getValues(), top.getIndices()};
      })
      .Case([&](ox::NonZeroOp nz) -> FailureOr<SmallVector<Value>> {
        if (!rtt(nz.getX()).getElementType().isIntOrFloat())
          return (LogicalResult)(fail() << "element type is not supported");
        return one(nn::NonZeroOp::create(b, loc, resType(), nz.getX()));
      })
      .Case([&](ox::UniqueOp u) { return unique(u); })
      .Case([&](ox::NonMaxSuppressionOp n) { return nonMaxSuppression(n); })

      // ---- conformance [sorting]: add new entries above this line ----

      .Case([&](ox::NegativeLogLikelihoodLossOp l) -> FailureOr<SmallVector<Value>> {
        Value w = isNone(l.getWeight()) ? Value() : l.getWeight();
        return one(nn::NLLLossOp::create(b, loc, resType(), l.getInput(), l.getTarget(), w,
                                         l.getIgnoreIndexAttr(), l.getReductionAttr()));
      })
      .Case([&](ox::SoftmaxCrossEntropyLossOp l) -> FailureOr<SmallVector<Value>> {
        // log_softmax along the class axis, then the NLL loss of it.
        Value logp = nn::SoftmaxOp::create(b, loc, rtt(l.getScores()), l.getScores(),
                                           b.getI64IntegerAttr(1), b.getUnitAttr());
        Value w = isNone(l.getWeights()) ? Value() : l.getWeights();
        SmallVector<Value> r{nn::NLLLossOp::create(b, loc, resType(), logp, l.getLabels(), w,
                                                   l.getIgnoreIndexAttr(), l.getReductionAttr())};
        if (l.getLogProb())
          r.push_back(logp);
        return r;
      })
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

      .Case([&](ox::RNNOp r) { return recurrent(r, 0); })
      .Case([&](ox::GRUOp r) { return recurrent(r, 1); })
      .Case([&](ox::LSTMOp r) { return recurrent(r, 2); })
      .Case([&](ox::IfOp o) { return ifOp(o); })
      .Case([&](ox::LoopOp o) { return loopOp(o); })
      .Case([&](ox::ScanOp o) { return scanOp(o); })
      // The parent (now an scf op) already yields the region's values.
      .Case([&](ox::YieldOp) { return SmallVector<Value>(); })
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
