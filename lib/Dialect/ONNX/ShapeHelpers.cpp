//===- ShapeHelpers.cpp - onnx shape inference: shared helpers ------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Reading constant operands and shape computations (getShapeValues), the
// provenance of dynamic dimensions, Ctx, broadcasting and the other helpers of
// ShapeInference.h.
//
//===----------------------------------------------------------------------===//

#include "ShapeInference.h"

#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;
using namespace kiln::onnx;
using namespace kiln::onnx::inference;

//===----------------------------------------------------------------------===//
// Constant operands and shape values
//===----------------------------------------------------------------------===//

static bool getElementsIntValues(ElementsAttr attr, SmallVectorImpl<int64_t> &out) {
  if (!isa<IntegerType>(attr.getElementType()))
    return false;
  if (auto dense = dyn_cast<DenseIntElementsAttr>(attr)) {
    for (APInt v : dense.getValues<APInt>())
      out.push_back(attr.getElementType().isInteger(1) ? v.getZExtValue() : v.getSExtValue());
    return true;
  }
  if (auto res = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob)
      return false;
    ArrayRef<char> data = blob->getData();
    unsigned bw = attr.getElementType().getIntOrFloatBitWidth();
    unsigned bytes = std::max(1u, bw / 8);
    int64_t n = attr.getNumElements();
    if ((int64_t)data.size() < n * (int64_t)bytes)
      return false;
    for (int64_t i = 0; i < n; ++i) {
      int64_t v = 0;
      const char *p = data.data() + i * bytes;
      switch (bytes) {
      case 1: v = bw == 1 ? (int64_t)(uint8_t)*p : (int64_t)(int8_t)*p; break;
      case 2: { int16_t x; memcpy(&x, p, 2); v = x; break; }
      case 4: { int32_t x; memcpy(&x, p, 4); v = x; break; }
      case 8: { memcpy(&v, p, 8); break; }
      default: return false;
      }
      out.push_back(v);
    }
    return true;
  }
  return false;
}

bool kiln::onnx::getConstantIntValues(Value v, SmallVectorImpl<int64_t> &out) {
  auto c = v.getDefiningOp<ConstantOp>();
  if (!c)
    return false;
  return getElementsIntValues(c.getValue(), out);
}

bool kiln::onnx::getConstantFloatValues(Value v, SmallVectorImpl<double> &out) {
  auto c = v.getDefiningOp<ConstantOp>();
  if (!c)
    return false;
  ElementsAttr attr = c.getValue();
  if (!isa<FloatType>(attr.getElementType()))
    return false;
  if (auto dense = dyn_cast<DenseFPElementsAttr>(attr)) {
    for (APFloat f : dense.getValues<APFloat>()) {
      bool lost;
      f.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
      out.push_back(f.convertToDouble());
    }
    return true;
  }
  if (auto res = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob)
      return false;
    ArrayRef<char> data = blob->getData();
    int64_t n = attr.getNumElements();
    if (attr.getElementType().isF32() && (int64_t)data.size() >= n * 4) {
      for (int64_t i = 0; i < n; ++i) {
        float f; memcpy(&f, data.data() + 4 * i, 4); out.push_back(f);
      }
      return true;
    }
    if (attr.getElementType().isF64() && (int64_t)data.size() >= n * 8) {
      for (int64_t i = 0; i < n; ++i) {
        double f; memcpy(&f, data.data() + 8 * i, 8); out.push_back(f);
      }
      return true;
    }
  }
  return false;
}

bool kiln::onnx::getShapeValues(Value v, SmallVectorImpl<int64_t> &out) {
  if (getConstantIntValues(v, out))
    return true;
  Operation *def = v.getDefiningOp();
  if (!def)
    return false;
  if (auto shape = dyn_cast<ShapeOp>(def)) {
    auto t = getRanked(shape.getData());
    if (!t)
      return false;
    int64_t r = t.getRank();
    int64_t start = shape.getStart() ? normAxis(*shape.getStart(), r) : 0;
    int64_t end = shape.getEnd() ? normAxis(*shape.getEnd(), r) : r;
    start = std::clamp<int64_t>(start, 0, r);
    end = std::clamp<int64_t>(end, 0, r);
    for (int64_t i = start; i < end; ++i)
      out.push_back(t.getDimSize(i));
    return true;
  }
  if (auto cast = dyn_cast<CastOp>(def))
    return getShapeValues(cast.getInput(), out);
  if (auto id = dyn_cast<IdentityOp>(def))
    return getShapeValues(id.getX(), out);
  if (auto unsq = dyn_cast<UnsqueezeOp>(def))
    return getRanked(unsq.getData()) && getRanked(unsq.getData()).getRank() <= 1 &&
           getShapeValues(unsq.getData(), out);
  if (auto sq = dyn_cast<SqueezeOp>(def))
    return getRanked(sq.getData()) && getRanked(sq.getData()).getRank() <= 1 &&
           getShapeValues(sq.getData(), out);
  if (auto concat = dyn_cast<ConcatOp>(def)) {
    for (Value in : concat.getInputs()) {
      auto t = getRanked(in);
      if (!t || t.getRank() > 1)
        return false;
      if (!getShapeValues(in, out))
        return false;
    }
    return true;
  }
  if (auto gather = dyn_cast<GatherOp>(def)) {
    SmallVector<int64_t> data, idx;
    auto dt = getRanked(gather.getData());
    if (!dt || dt.getRank() != 1 || !getShapeValues(gather.getData(), data) ||
        !getConstantIntValues(gather.getIndices(), idx))
      return false;
    for (int64_t i : idx) {
      if (i < 0) i += data.size();
      if (i < 0 || i >= (int64_t)data.size())
        return false;
      out.push_back(data[i]);
    }
    return true;
  }
  if (auto neg = dyn_cast<NegOp>(def)) {
    SmallVector<int64_t> a;
    if (!getShapeValues(neg.getX(), a))
      return false;
    for (int64_t x : a)
      out.push_back(x == kUnknownValue ? kUnknownValue : -x);
    return true;
  }
  if (auto size = dyn_cast<SizeOp>(def)) {
    // The element count of a statically shaped tensor (e.g. the rank, as
    // Size(Shape(X)) in ONNX function bodies).
    auto t = getRanked(size.getData());
    if (!t || !t.hasStaticShape())
      return false;
    out.push_back(t.getNumElements());
    return true;
  }
  if (auto cos = dyn_cast<ConstantOfShapeOp>(def)) {
    // A 1-D fill of a known length with an integer value.
    SmallVector<int64_t> len, fill{0};
    auto it = getRanked(cos.getInput());
    if (!it || it.getRank() != 1 || !getShapeValues(cos.getInput(), len) || len.size() != 1 ||
        len[0] == kUnknownValue || len[0] < 0 || len[0] > 64)
      return false;
    if (auto v = cos.getValue()) {
      fill.clear();
      if (!getElementsIntValues(*v, fill) || fill.size() != 1)
        return false;
    }
    out.append(len[0], fill[0]);
    return true;
  }
  if (auto mod = dyn_cast<ModOp>(def); mod && mod.getFmod() != 0)
    return false;
  if (isa<AddOp, SubOp, MulOp, DivOp, ModOp>(def)) {
    // Shape arithmetic on small integer vectors (numpy broadcasting of a
    // one-element operand).
    SmallVector<int64_t> a, b;
    if (!getShapeValues(def->getOperand(0), a) || !getShapeValues(def->getOperand(1), b))
      return false;
    if (a.size() != b.size() && a.size() != 1 && b.size() != 1)
      return false;
    size_t n = std::max(a.size(), b.size());
    for (size_t i = 0; i < n; ++i) {
      int64_t x = a[a.size() == 1 ? 0 : i], y = b[b.size() == 1 ? 0 : i];
      if (x == kUnknownValue || y == kUnknownValue) {
        out.push_back(kUnknownValue);
        continue;
      }
      if (isa<AddOp>(def)) out.push_back(satAdd(x, y));
      else if (isa<SubOp>(def)) out.push_back(satSub(x, y));
      else if (isa<MulOp>(def)) out.push_back(satMul(x, y));
      else if (y == 0 || (y == -1 && x == kSatMin)) return false;
      else if (isa<DivOp>(def)) out.push_back(x / y);
      else out.push_back(((x % y) + y) % y); // Mod, fmod = 0: the sign of the divisor
    }
    return true;
  }
  if (auto slice = dyn_cast<SliceOp>(def)) {
    SmallVector<int64_t> data, starts, ends, steps;
    auto dt = getRanked(slice.getData());
    if (!dt || dt.getRank() != 1 || !getShapeValues(slice.getData(), data) ||
        !getConstantIntValues(slice.getStarts(), starts) ||
        !getConstantIntValues(slice.getEnds(), ends) || starts.size() != 1 ||
        ends.size() != 1)
      return false;
    int64_t step = 1;
    if (!isa<NoneType>(slice.getSteps().getType())) {
      if (!getConstantIntValues(slice.getSteps(), steps) || steps.size() != 1)
        return false;
      step = steps[0];
    }
    if (step != 1)
      return false;
    int64_t n = data.size();
    int64_t s = starts[0] < 0 ? starts[0] + n : starts[0];
    int64_t e = ends[0] < 0 ? ends[0] + n : ends[0];
    s = std::clamp<int64_t>(s, 0, n);
    e = std::clamp<int64_t>(e, 0, n);
    for (int64_t i = s; i < e; ++i)
      out.push_back(data[i]);
    return true;
  }
  return false;
}

//===----------------------------------------------------------------------===//
// Provenance of dynamic dimensions
//
// A Reshape like [Shape(T)[0], -1, 28, 28] (the channel shuffle of
// ShuffleNet, the head split of attention) can only get a static -1 if the
// dynamic entry is provably the same run-time value as a dynamic dimension of
// the reshaped tensor.  dimOrigin() follows a dynamic dimension back through
// ops that pass it through unchanged to the tensor and dimension where it
// first appears (a graph input's batch, typically); two dynamic dimensions
// with the same origin are equal at run time.
//===----------------------------------------------------------------------===//

namespace kiln::onnx::inference {

DimOrigin dimOrigin(Value v, int64_t i) {
  for (int guard = 0; guard < 10000; ++guard) {
    auto t = getRanked(v);
    Operation *def = v.getDefiningOp();
    if (!t || !def || i < 0 || i >= t.getRank() || !t.isDynamicDim(i))
      return {v, i};
    // Ops whose result has the shape of operand 0.
    if (isa<ReluOp, SigmoidOp, TanhOp, ErfOp, SqrtOp, ExpOp, NegOp, CastOp, IdentityOp,
            ClipOp, LeakyReluOp, HardSwishOp, HardSigmoidOp, SoftmaxOp, LayerNormalizationOp,
            BatchNormalizationOp, DropoutOp>(def)) {
      auto in = getRanked(def->getOperand(0));
      if (!in || in.getRank() != t.getRank())
        return {v, i};
      v = def->getOperand(0);
      continue;
    }
    // Broadcasting binary ops: the operand that has this dimension as a
    // dynamic dimension while every other operand has 1 or nothing there.
    if (isa<AddOp, SubOp, MulOp, DivOp, PowOp, WhereOp>(def)) {
      Value from;
      bool ok = true;
      for (Value o : def->getOperands()) {
        auto ot = getRanked(o);
        if (!ot) { ok = false; break; }
        int64_t j = i - (t.getRank() - ot.getRank());
        if (j < 0 || ot.getDimSize(j) == 1)
          continue;
        if (!ot.isDynamicDim(j) || from) { ok = false; break; }
        from = o;
      }
      if (!ok || !from)
        return {v, i};
      i -= t.getRank() - getRanked(from).getRank();
      v = from;
      continue;
    }
    if (auto tr = dyn_cast<TransposeOp>(def)) {
      SmallVector<int64_t> perm = readInts(tr.getPerm());
      int64_t r = t.getRank();
      if (perm.empty())
        for (int64_t k = r - 1; k >= 0; --k) perm.push_back(k);
      if ((int64_t)perm.size() != r)
        return {v, i};
      v = tr.getData();
      i = perm[i];
      continue;
    }
    // The batch dimension of convolutions and pools.
    if (isa<ConvOp, MaxPoolOp, AveragePoolOp, GlobalAveragePoolOp, GlobalMaxPoolOp>(def) &&
        i == 0) {
      v = def->getOperand(0);
      continue;
    }
    if (auto cc = dyn_cast<ConcatOp>(def)) {
      if (normAxis(cc.getAxis(), t.getRank()) == i || cc.getInputs().empty())
        return {v, i};
      v = cc.getInputs().front();
      continue;
    }
    if (auto sl = dyn_cast<SliceOp>(def)) {
      // Only dimensions the slice does not touch (constant axes).
      SmallVector<int64_t> axes;
      if (isa<NoneType>(sl.getAxes().getType())) {
        SmallVector<int64_t> starts;
        if (!getConstantIntValues(sl.getStarts(), starts))
          return {v, i};
        for (int64_t k = 0; k < (int64_t)starts.size(); ++k) axes.push_back(k);
      } else if (!getConstantIntValues(sl.getAxes(), axes)) {
        return {v, i};
      }
      if (llvm::any_of(axes, [&](int64_t a) { return normAxis(a, t.getRank()) == i; }))
        return {v, i};
      v = sl.getData();
      continue;
    }
    if (auto sp = dyn_cast<SplitOp>(def)) {
      if (normAxis(sp.getAxis(), t.getRank()) == i)
        return {v, i};
      v = sp.getInput();
      continue;
    }
    if (auto mm = dyn_cast<MatMulOp>(def)) {
      // Leading (batch or row) dimensions of A when A has the result's rank.
      auto a = getRanked(mm.getA());
      if (!a || a.getRank() != t.getRank() || i >= t.getRank() - 1)
        return {v, i};
      v = mm.getA();
      continue;
    }
    if (auto rs = dyn_cast<ReshapeOp>(def)) {
      SmallVector<int64_t> vals;
      if (!getShapeValues(rs.getShape(), vals) || i >= (int64_t)vals.size())
        return {v, i};
      if (vals[i] == 0 && !rs.getAllowzero()) {
        v = rs.getData();
        continue;
      }
      if (vals[i] != kUnknownValue)
        return {v, i};
      auto o = shapeElementOrigin(rs.getShape(), i);
      if (!o)
        return {v, i};
      std::tie(v, i) = *o;
      continue;
    }
    return {v, i};
  }
  return {v, i};
}

/// Element `idx` of a shape tensor built by the usual exported shape
/// computation, when it is dimension d of some tensor T (Shape(T)[d]):
/// returns dimOrigin(T, d).
std::optional<DimOrigin> shapeElementOrigin(Value v, int64_t idx) {
  for (int guard = 0; guard < 1000; ++guard) {
    Operation *def = v.getDefiningOp();
    if (!def)
      return std::nullopt;
    if (auto shape = dyn_cast<ShapeOp>(def)) {
      auto t = getRanked(shape.getData());
      if (!t)
        return std::nullopt;
      int64_t r = t.getRank();
      int64_t start = shape.getStart() ? std::clamp<int64_t>(normAxis(*shape.getStart(), r), 0, r) : 0;
      if (start + idx >= r)
        return std::nullopt;
      return dimOrigin(shape.getData(), start + idx);
    }
    if (isa<CastOp, IdentityOp>(def)) {
      v = def->getOperand(0);
      continue;
    }
    if (isa<UnsqueezeOp, SqueezeOp>(def)) {
      auto t = getRanked(def->getOperand(0));
      if (!t || t.getRank() > 1)
        return std::nullopt;
      v = def->getOperand(0);
      continue;
    }
    if (auto concat = dyn_cast<ConcatOp>(def)) {
      bool found = false;
      for (Value in : concat.getInputs()) {
        auto t = getRanked(in);
        if (!t || t.getRank() > 1 || t.isDynamicDim(0) && t.getRank() == 1)
          return std::nullopt;
        int64_t n = t.getRank() == 0 ? 1 : t.getDimSize(0);
        if (idx < n) {
          v = in;
          found = true;
          break;
        }
        idx -= n;
      }
      if (!found)
        return std::nullopt;
      continue;
    }
    if (auto gather = dyn_cast<GatherOp>(def)) {
      SmallVector<int64_t> ids;
      auto dt = getRanked(gather.getData());
      if (!dt || dt.getRank() != 1 || dt.isDynamicDim(0) ||
          !getConstantIntValues(gather.getIndices(), ids) || idx >= (int64_t)ids.size())
        return std::nullopt;
      int64_t k = ids[idx] < 0 ? ids[idx] + dt.getDimSize(0) : ids[idx];
      if (k < 0 || k >= dt.getDimSize(0))
        return std::nullopt;
      v = gather.getData();
      idx = k;
      continue;
    }
    return std::nullopt;
  }
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Shape helpers
//===----------------------------------------------------------------------===//

LogicalResult Ctx::add(ArrayRef<int64_t> shape, Type elem) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d == kDyn)
      continue;
    if (d < 0 || d > kMaxInferredElements || (d != 0 && n > kMaxInferredElements / d))
      return error() << "the result would have shape [" << shapeString(shape)
                     << "]: a negative dimension or more than 2^40 elements";
    n *= d;
  }
  types.push_back(RankedTensorType::get(shape, elem));
  return success();
}

std::string Ctx::shapeString(ArrayRef<int64_t> shape) {
  std::string s;
  llvm::raw_string_ostream os(s);
  llvm::interleave(
      shape, os, [&](int64_t d) { d == kDyn ? os << "?" : os << d; }, ", ");
  return s;
}

SmallVector<int64_t> readInts(std::optional<ArrayAttr> a) {
  SmallVector<int64_t> out;
  if (a)
    for (Attribute e : *a)
      out.push_back(cast<IntegerAttr>(e).getInt());
  return out;
}

int64_t product(ArrayRef<int64_t> dims) {
  int64_t p = 1;
  for (int64_t d : dims) {
    if (d == kDyn)
      return kDyn;
    p = satMul(p, d);
  }
  return p;
}

/// Numpy multidirectional broadcasting.
FailureOr<SmallVector<int64_t>> broadcast(Operation *op,
                                                 ArrayRef<int64_t> a,
                                                 ArrayRef<int64_t> b) {
  size_t r = std::max(a.size(), b.size());
  SmallVector<int64_t> out(r);
  for (size_t i = 0; i < r; ++i) {
    int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
    int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (da == 1) out[i] = db;
    else if (db == 1) out[i] = da;
    else if (da == kDyn) out[i] = db;
    else if (db == kDyn) out[i] = da;
    else if (da == db) out[i] = da;
    else {
      op->emitOpError() << "operands are not broadcast-compatible: dimension "
                        << i << " is " << da << " vs " << db;
      return failure();
    }
  }
  return out;
}

LogicalResult inferBroadcast(Ctx &c, ValueRange operands, Type elem) {
  SmallVector<int64_t> shape;
  for (auto [i, v] : llvm::enumerate(operands)) {
    auto t = c.ranked(v, "input");
    if (!t)
      return failure();
    if (i == 0) {
      shape.assign(t.getShape().begin(), t.getShape().end());
      continue;
    }
    auto b = broadcast(c.op, shape, t.getShape());
    if (failed(b))
      return failure();
    shape = *b;
  }
  return c.add(shape, elem);
}

LogicalResult checkSameElem(Ctx &c, ValueRange operands) {
  Type e;
  for (Value v : operands) {
    Type t = getElementTypeOrSelf(v.getType());
    if (!e) e = t;
    else if (e != t)
      return c.error() << "operands must have the same element type, got " << e
                       << " and " << t;
  }
  return success();
}

LogicalResult inferSame(Ctx &c, Value v) {
  auto t = c.ranked(v, "input");
  if (!t)
    return failure();
  c.types.push_back(t);
  return success();
}

} // namespace kiln::onnx::inference
