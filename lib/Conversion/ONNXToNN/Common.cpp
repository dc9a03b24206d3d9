//===- Common.cpp - shared pieces of the onnx -> nn conversion ------------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//

#include "Common.h"

#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;

namespace kiln::onnx_to_nn {

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
                ArrayRef<Value> dims) {
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
            FloatAttr alpha, FloatAttr beta) {
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

/// Transposes a 2-D constant at compile time when possible.
/// The raw little-endian f32 data of a constant (onnx or arith constant,
/// dense or resource, not a splat), or an empty ArrayRef.
static ArrayRef<char> rawF32Constant(Value v) {
  Attribute a;
  if (auto c = v.getDefiningOp<arith::ConstantOp>())
    a = c.getValue();
  else if (auto c = v.getDefiningOp<ox::ConstantOp>())
    a = c.getValue();
  auto e = dyn_cast_or_null<ElementsAttr>(a);
  if (!e || !e.getElementType().isF32())
    return {};
  size_t bytes = size_t(e.getNumElements()) * 4;
  if (auto d = dyn_cast<DenseElementsAttr>(a))
    return d.isSplat() || d.getRawData().size() != bytes ? ArrayRef<char>() : d.getRawData();
  if (auto r = dyn_cast<DenseResourceElementsAttr>(a))
    if (AsmResourceBlob *blob = r.getRawHandle().getBlob(); blob && blob->getData().size() == bytes)
      return blob->getData();
  return {};
}

Value transpose2D(OpBuilder &b, Location loc, Value v) {
  auto t = rtt(v);
  SmallVector<int64_t> shape{t.getDimSize(1), t.getDimSize(0)};
  auto resT = RankedTensorType::get(shape, t.getElementType());
  // A large f32 constant (a Gemm's weights with transB): transposed from
  // its raw bytes into the new blob in 64 x 64 blocks.  (Through doubles,
  // VGG-16's 102M-element classifier took 7 s and 1.2 GB more memory.)
  if (ArrayRef<char> raw = t.hasStaticShape() ? rawF32Constant(v) : ArrayRef<char>(); !raw.empty()) {
    int64_t R = t.getDimSize(0), C = t.getDimSize(1);
    AsmResourceBlob blob = HeapAsmResourceBlob::allocate(raw.size(), alignof(float));
    const float *src = reinterpret_cast<const float *>(raw.data());
    float *dst = reinterpret_cast<float *>(blob.getMutableData().data());
    constexpr int64_t B = 64;
    for (int64_t i0 = 0; i0 < R; i0 += B)
      for (int64_t j0 = 0; j0 < C; j0 += B)
        for (int64_t i = i0; i < std::min(R, i0 + B); ++i)
          for (int64_t j = j0; j < std::min(C, j0 + B); ++j)
            dst[j * R + i] = src[i * C + j];
    auto attr = DenseResourceElementsAttr::get(resT, "kiln_transposed", std::move(blob));
    return arith::ConstantOp::create(b, loc, resT, attr);
  }
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

bool isUnsignedONNXCode(int64_t d) { return d == 2 || d == 4 || d == 12 || d == 13; }

/// Whether integer value `v` holds an ONNX unsigned type.  MLIR integers are
/// signless, so this follows the value back to where the type is known: a
/// graph input's `kiln.dtype`, a Cast/CastLike target, or an op carrying
/// `kiln.dtype`; any other op passes signedness on from its first operand of
/// the same element type.  (Operands are still onnx ops when their user is
/// converted: users are converted first.)
bool isUnsignedInt(Value v, int depth) {
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

/// Index value of a static size.
Value idxOf(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

Value reshapeStatic(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> shape) {
  return reshapeTo(b, loc, v, RankedTensorType::get(shape, rtt(v).getElementType()));
}

/// Strides, dilations and explicit pads of a Conv-like node (Conv,
/// ConvInteger, QLinearConv share the attribute names): ONNX's defaults filled
/// in and auto_pad resolved exactly as shape inference did.
LogicalResult Lowering::convGeometry(Operation *o, RankedTensorType x, RankedTensorType w,
                                     SmallVector<int64_t> &strides, SmallVector<int64_t> &dil,
                                     SmallVector<int64_t> &pads, bool report) {
  int64_t ns = x.getRank() - 2;
  if (ns > 3)
    return report ? (LogicalResult)(fail() << "convolutions with more than 3 spatial dims are not supported")
                  : failure();
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
        return report ? (LogicalResult)(fail() << "auto_pad with dynamic spatial dims is not supported") : failure();
      int64_t ek = dil[i] * (k - 1) + 1;
      int64_t out = (in + strides[i] - 1) / strides[i];
      int64_t total = std::max<int64_t>(0, (out - 1) * strides[i] + ek - in);
      pads[i] = ap == "SAME_UPPER" ? total / 2 : total - total / 2;
      pads[i + ns] = total - pads[i];
    }
  }
  return success();
}

InFlightDiagnostic Lowering::fail() { return op->emitError() << ox::describeNode(op) << ": "; }

void replaceWithValues(PatternRewriter &rewriter, Operation *op, ValueRange repl) {
  for (auto [from, to] : llvm::zip(op->getResults(), repl)) {
    if (to.getType() != from.getType())
      to = tensor::CastOp::create(rewriter, op->getLoc(), from.getType(), to);
    rewriter.replaceAllUsesWith(from, to);
  }
  rewriter.eraseOp(op);
}

void populateONNXToNNPatterns(RewritePatternSet &patterns) {
  populateElementwisePatterns(patterns);
  populateConvPoolPatterns(patterns);
  populateMatmulPatterns(patterns);
  populateNormalizationPatterns(patterns);
  populateReductionPatterns(patterns);
  populateTensorPatterns(patterns);
  populateIndexingPatterns(patterns);
  populateSortingPatterns(patterns);
  populateLossPatterns(patterns);
  populateControlFlowPatterns(patterns);
  populateRecurrentPatterns(patterns);
  populateQuantizationPatterns(patterns);
  populateSignalVisionPatterns(patterns);
}

} // namespace kiln::onnx_to_nn
