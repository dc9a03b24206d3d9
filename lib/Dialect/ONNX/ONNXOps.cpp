//===- ONNXOps.cpp - onnx dialect: ops, verifiers, shape inference --------===//
//
// Shape inference follows the ONNX operator specification (onnx.ai/onnx
// Operators.md).  Unknown sizes are ShapedType::kDynamic ("?").
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/ONNX/ONNXOps.h"
#include "kiln/Support/ONNXDType.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/DenseSet.h"
#include <cmath>
#include <limits>
#include <map>
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace kiln::onnx;

static constexpr int64_t kDyn = ShapedType::kDynamic;

// Shape arithmetic on values a hostile model can make arbitrarily large
// (attributes, constant shape inputs): saturating instead of overflowing
// (INT64_MIN is kDyn, so the low end saturates one above it).  Ctx::add
// then refuses the absurd result with an error.
static constexpr int64_t kSatMin = std::numeric_limits<int64_t>::min() + 1;
static constexpr int64_t kSatMax = std::numeric_limits<int64_t>::max();
/// `r`, or the bound an overflowed result saturates to.
static int64_t saturated(bool overflowed, bool negative, int64_t r) {
  if (overflowed)
    return negative ? kSatMin : kSatMax;
  return r == kDyn ? kSatMin : r;
}
static int64_t satAdd(int64_t a, int64_t b) {
  int64_t r;
  bool o = __builtin_add_overflow(a, b, &r);
  return saturated(o, a < 0, r);
}
static int64_t satSub(int64_t a, int64_t b) {
  int64_t r;
  bool o = __builtin_sub_overflow(a, b, &r);
  return saturated(o, a < 0, r);
}
static int64_t satMul(int64_t a, int64_t b) {
  int64_t r;
  bool o = __builtin_mul_overflow(a, b, &r);
  return saturated(o, (a < 0) != (b < 0), r);
}
/// A dimension computed in floating point (Resize sizes, Range counts).
static int64_t doubleToDim(double v) {
  if (std::isnan(v) || v >= 9.0e18)
    return kSatMax;
  if (v <= -9.0e18)
    return kSatMin;
  return (int64_t)v;
}
/// Largest number of elements an inferred result may have (2^40: 4 TiB of
/// f32); shapes beyond come from hostile or broken attributes and inputs.
static constexpr int64_t kMaxInferredElements = int64_t(1) << 40;

#include "onnx/ONNXDialect.cpp.inc"
#include "onnx/ONNXInterfaces.cpp.inc"

void ONNXDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "onnx/ONNXOps.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

std::string kiln::onnx::describeNode(Operation *op) {
  std::string name;
  if (auto nl = dyn_cast<NameLoc>(op->getLoc()))
    name = nl.getName().str();
  std::string s = "node '" + name + "' (" +
                  op->getName().getStringRef().drop_front(5).str() + ")";
  return s;
}

Type kiln::onnx::getElementTypeForONNXType(MLIRContext *ctx, int64_t t) {
  return kiln::onnxElementType(ctx, t);
}

int32_t kiln::onnx::getONNXTypeForElementType(Type t, bool isUnsigned) {
  if (t.isF32()) return 1;
  if (t.isF16()) return 10;
  if (t.isBF16()) return 16;
  if (t.isF64()) return 11;
  if (t.isInteger(1)) return 9;
  if (t.isInteger(8)) return isUnsigned ? 2 : 3;
  if (t.isInteger(16)) return isUnsigned ? 4 : 5;
  if (t.isInteger(32)) return isUnsigned ? 12 : 6;
  if (t.isInteger(64)) return isUnsigned ? 13 : 7;
  return 0;
}

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

static RankedTensorType getRanked(Value v) {
  return dyn_cast<RankedTensorType>(v.getType());
}

static int64_t normAxis(int64_t axis, int64_t rank) {
  return axis < 0 ? axis + rank : axis;
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

using DimOrigin = std::pair<Value, int64_t>;
static SmallVector<int64_t> readInts(std::optional<ArrayAttr> a);

static std::optional<DimOrigin> shapeElementOrigin(Value v, int64_t idx);

static DimOrigin dimOrigin(Value v, int64_t i) {
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
static std::optional<DimOrigin> shapeElementOrigin(Value v, int64_t idx) {
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
// Inference driver and shared verifier
//===----------------------------------------------------------------------===//

LogicalResult kiln::onnx::inferShapes(Operation *op) {
  auto iface = dyn_cast<ShapeInferenceOpInterface>(op);
  if (!iface)
    return success();
  SmallVector<Type> types;
  if (failed(iface.inferResultTypes(types)))
    return failure();
  if (types.size() != op->getNumResults())
    return op->emitOpError() << "has " << op->getNumResults()
                             << " results but shape inference produced "
                             << types.size();
  for (auto [res, t] : llvm::zip(op->getResults(), types))
    res.setType(t);
  return success();
}

LogicalResult kiln::onnx::verifyInferredTypes(Operation *op) {
  auto iface = dyn_cast<ShapeInferenceOpInterface>(op);
  if (!iface)
    return success();
  for (Value v : op->getOperands())
    if (!isa<RankedTensorType, NoneType>(v.getType()))
      return success(); // Not inferred yet.
  SmallVector<Type> types;
  if (failed(iface.inferResultTypes(types)))
    return failure();
  if (types.size() != op->getNumResults())
    return op->emitOpError() << "expected " << types.size() << " results, got "
                             << op->getNumResults();
  for (auto [i, pair] : llvm::enumerate(llvm::zip(op->getResultTypes(), types))) {
    auto [actual, inferred] = pair;
    if (isa<UnrankedTensorType>(actual))
      continue;
    if (failed(verifyCompatibleShape(actual, inferred)) ||
        getElementTypeOrSelf(actual) != getElementTypeOrSelf(inferred))
      return op->emitOpError() << "result #" << i << " has type " << actual
                               << " but the operands imply " << inferred;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Shape helpers
//===----------------------------------------------------------------------===//

namespace {
struct Ctx {
  Operation *op;
  SmallVectorImpl<Type> &types;
  InFlightDiagnostic error() { return op->emitOpError(); }
  RankedTensorType ranked(Value v, StringRef what) {
    auto t = getRanked(v);
    if (!t)
      (void)(error() << "operand '" << what << "' must be a ranked tensor");
    return t;
  }
  /// `v` as a ranked tensor of rank >= minRank, else an error
  /// "<what> must be <layout>".
  RankedTensorType rankedAtLeast(Value v, StringRef what, int64_t minRank, StringRef layout) {
    auto t = ranked(v, what);
    if (t && t.getRank() < minRank) {
      (void)(error() << what << " must be " << layout);
      return {};
    }
    return t;
  }
  LogicalResult add(ArrayRef<int64_t> shape, Type elem) {
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
  static std::string shapeString(ArrayRef<int64_t> shape) {
    std::string s;
    llvm::raw_string_ostream os(s);
    llvm::interleave(
        shape, os, [&](int64_t d) { d == kDyn ? os << "?" : os << d; }, ", ");
    return s;
  }
};
} // namespace

/// Numpy multidirectional broadcasting.
static FailureOr<SmallVector<int64_t>> broadcast(Operation *op,
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

static LogicalResult inferBroadcast(Ctx &c, ValueRange operands, Type elem) {
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

static LogicalResult checkSameElem(Ctx &c, ValueRange operands) {
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

static LogicalResult inferSame(Ctx &c, Value v) {
  auto t = c.ranked(v, "input");
  if (!t)
    return failure();
  c.types.push_back(t);
  return success();
}

//===----------------------------------------------------------------------===//
// Per-op inference
//===----------------------------------------------------------------------===//

#define INFER(OP) LogicalResult OP::inferResultTypes(SmallVectorImpl<Type> &types)
#define CTX Ctx c{getOperation(), types}

INFER(ConstantOp) {
  types.push_back(cast<ShapedType>(getValue().getType()).clone(getValue().getElementType()));
  types.back() = RankedTensorType::get(cast<ShapedType>(getValue().getType()).getShape(),
                                       getValue().getElementType());
  return success();
}
OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

#define UNARY_SAME(OP) INFER(OP) { CTX; return inferSame(c, getOperation()->getOperand(0)); }
UNARY_SAME(ReluOp)
UNARY_SAME(SigmoidOp)
UNARY_SAME(TanhOp)
UNARY_SAME(ErfOp)
UNARY_SAME(ExpOp)
UNARY_SAME(LogOp)
UNARY_SAME(SqrtOp)
UNARY_SAME(NegOp)
UNARY_SAME(AbsOp)
UNARY_SAME(ReciprocalOp)
UNARY_SAME(FloorOp)
UNARY_SAME(CeilOp)
UNARY_SAME(HardSwishOp)
UNARY_SAME(IdentityOp)
UNARY_SAME(LeakyReluOp)
UNARY_SAME(HardSigmoidOp)
UNARY_SAME(SoftmaxOp)
UNARY_SAME(LogSoftmaxOp)

INFER(NotOp) {
  CTX;
  if (!getElementTypeOrSelf(getX().getType()).isInteger(1))
    return c.error() << "input must be a bool tensor";
  return inferSame(c, getX());
}

INFER(GeluOp) {
  CTX;
  if (getApproximate() != "none" && getApproximate() != "tanh")
    return c.error() << "approximate must be 'none' or 'tanh', got '"
                     << getApproximate() << "'";
  return inferSame(c, getX());
}

INFER(ClipOp) {
  CTX;
  for (Value b : {getMin(), getMax()}) {
    if (isa<NoneType>(b.getType()))
      continue;
    auto t = c.ranked(b, "min/max");
    if (!t)
      return failure();
    if (t.getNumElements() != 1 && !(t.getRank() == 0))
      return c.error() << "min and max must be scalars";
  }
  return inferSame(c, getInput());
}

INFER(CastOp) {
  CTX;
  auto t = c.ranked(getInput(), "input");
  if (!t)
    return failure();
  Type e = getElementTypeForONNXType(getContext(), getTo());
  if (!e)
    return c.error() << "unsupported target type 'to' = " << getTo();
  return c.add(t.getShape(), e);
}

INFER(DropoutOp) {
  CTX;
  auto t = c.ranked(getData(), "data");
  if (!t)
    return failure();
  SmallVector<int64_t> mode;
  if (!isa<NoneType>(getTrainingMode().getType())) {
    if (!getConstantIntValues(getTrainingMode(), mode) || mode.size() != 1)
      return c.error() << "training_mode must be a constant (Kiln compiles inference only)";
    // training_mode = true drops nothing when the ratio is a constant 0
    // (torch exports F.dropout(x, p=0.0) so, e.g. in Swin's attention): the
    // output is the input and the mask all true, as in inference.
    SmallVector<double> ratio;
    if (mode[0] != 0 &&
        (isa<NoneType>(getRatio().getType()) || !getConstantFloatValues(getRatio(), ratio) ||
         ratio.size() != 1 || ratio[0] != 0.0))
      return c.error() << "training_mode = true with a ratio other than a constant 0 is random "
                          "(Kiln compiles inference only)";
  }
  types.push_back(t);
  if (getNumResults() > 1)
    types.push_back(RankedTensorType::get(t.getShape(), IntegerType::get(getContext(), 1)));
  return success();
}

#define BINARY(OP, BOOLRES)                                                    \
  INFER(OP) {                                                                  \
    CTX;                                                                       \
    if (failed(checkSameElem(c, getOperands())))                               \
      return failure();                                                        \
    Type e = BOOLRES ? IntegerType::get(getContext(), 1)                      \
                     : getElementTypeOrSelf(getA().getType());                 \
    return inferBroadcast(c, getOperands(), e);                                \
  }
BINARY(AddOp, false)
BINARY(SubOp, false)
BINARY(MulOp, false)
BINARY(DivOp, false)
BINARY(EqualOp, true)
BINARY(LessOp, true)
BINARY(GreaterOp, true)
BINARY(AndOp, true)
BINARY(OrOp, true)

INFER(PowOp) {
  CTX;
  return inferBroadcast(c, getOperands(), getElementTypeOrSelf(getX().getType()));
}

#define VARIADIC(OP)                                                           \
  INFER(OP) {                                                                  \
    CTX;                                                                       \
    if (getNumOperands() == 0)                                                 \
      return c.error() << "needs at least one input";                          \
    if (failed(checkSameElem(c, getOperands())))                               \
      return failure();                                                        \
    return inferBroadcast(c, getOperands(),                                    \
                          getElementTypeOrSelf(getOperand(0).getType()));      \
  }
VARIADIC(MaxOp)
VARIADIC(MinOp)
VARIADIC(SumOp)

INFER(WhereOp) {
  CTX;
  if (!getElementTypeOrSelf(getCondition().getType()).isInteger(1))
    return c.error() << "condition must be a bool tensor";
  if (failed(checkSameElem(c, ValueRange{getX(), getY()})))
    return failure();
  return inferBroadcast(c, getOperands(), getElementTypeOrSelf(getX().getType()));
}

/// Numpy matmul result shape of A x B (1-D operands are promoted and the
/// promoted dims dropped again); shared by MatMul and the integer matmuls.
static FailureOr<SmallVector<int64_t>> matmulShape(Ctx &c, RankedTensorType a, RankedTensorType b) {
  if (a.getRank() < 1 || b.getRank() < 1)
    return (LogicalResult)(c.error() << "operands must have rank >= 1");
  SmallVector<int64_t> as(a.getShape()), bs(b.getShape());
  bool aVec = as.size() == 1, bVec = bs.size() == 1;
  if (aVec) as.insert(as.begin(), 1);
  if (bVec) bs.push_back(1);
  int64_t ka = as.back(), kb = bs[bs.size() - 2];
  if (ka != kDyn && kb != kDyn && ka != kb)
    return (LogicalResult)(c.error() << "contraction dimensions differ: A has K = " << ka
                                     << ", B has K = " << kb);
  auto batch = broadcast(c.op, ArrayRef<int64_t>(as).drop_back(2), ArrayRef<int64_t>(bs).drop_back(2));
  if (failed(batch))
    return failure();
  SmallVector<int64_t> out = *batch;
  if (!aVec) out.push_back(as[as.size() - 2]);
  if (!bVec) out.push_back(bs.back());
  return out;
}

INFER(MatMulOp) {
  CTX;
  auto a = c.ranked(getA(), "A"), b = c.ranked(getB(), "B");
  if (!a || !b || failed(checkSameElem(c, getOperands())))
    return failure();
  auto out = matmulShape(c, a, b);
  if (failed(out))
    return failure();
  return c.add(*out, a.getElementType());
}

INFER(GemmOp) {
  CTX;
  auto a = c.ranked(getA(), "A"), b = c.ranked(getB(), "B");
  if (!a || !b)
    return failure();
  if (a.getRank() != 2 || b.getRank() != 2)
    return c.error() << "A and B must be 2-D";
  int64_t m = getTransA() ? a.getDimSize(1) : a.getDimSize(0);
  int64_t ka = getTransA() ? a.getDimSize(0) : a.getDimSize(1);
  int64_t kb = getTransB() ? b.getDimSize(1) : b.getDimSize(0);
  int64_t n = getTransB() ? b.getDimSize(0) : b.getDimSize(1);
  if (ka != kDyn && kb != kDyn && ka != kb)
    return c.error() << "contraction dimensions differ: " << ka << " vs " << kb;
  if (!isa<NoneType>(getC().getType())) {
    auto ct = c.ranked(getC(), "C");
    if (!ct)
      return failure();
    SmallVector<int64_t> mn{m, n};
    if (ct.getRank() > 2 || failed(broadcast(getOperation(), mn, ct.getShape())))
      return c.error() << "C of type " << ct << " is not unidirectionally broadcastable to [M, N]";
  }
  return c.add({m, n}, a.getElementType());
}

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

static SmallVector<int64_t> readInts(std::optional<ArrayAttr> a) {
  SmallVector<int64_t> out;
  if (a)
    for (Attribute e : *a)
      out.push_back(cast<IntegerAttr>(e).getInt());
  return out;
}

/// Result shape [N, M, spatial...] of a convolution of X by W with `g`
/// groups; shared by Conv and the integer convolutions.
static FailureOr<SmallVector<int64_t>>
convShape(Ctx &c, RankedTensorType x, RankedTensorType w, int64_t g,
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

INFER(LayerNormalizationOp) {
  CTX;
  auto x = c.ranked(getX(), "X");
  if (!x)
    return failure();
  int64_t r = x.getRank(), axis = normAxis(getAxis(), r);
  if (axis < 0 || axis >= r)
    return c.error() << "axis " << getAxis() << " out of range for rank " << r;
  types.push_back(x);
  SmallVector<int64_t> stat(x.getShape());
  for (int64_t i = axis; i < r; ++i)
    stat[i] = 1;
  for (unsigned i = 1; i < getNumResults(); ++i)
    types.push_back(RankedTensorType::get(stat, Float32Type::get(getContext())));
  return success();
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

/// Reduction axes: empty result means "reduce nothing" (noop).
static FailureOr<SmallVector<int64_t>> reduceAxes(Ctx &c, Value axesV, int64_t rank,
                                                  bool noopWithEmpty) {
  SmallVector<int64_t> axes;
  auto axesT = dyn_cast<RankedTensorType>(axesV.getType());
  bool emptyByShape = axesT && axesT.getRank() == 1 && axesT.getDimSize(0) == 0;
  if (!isa<NoneType>(axesV.getType()) && !emptyByShape) {
    if (!getConstantIntValues(axesV, axes))
      return (LogicalResult)(c.error() << "axes must be a constant tensor");
  }
  if (axes.empty()) {
    if (noopWithEmpty)
      return axes;
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
    return axes;
  }
  for (int64_t &a : axes) {
    if (a < -rank || a >= rank)
      return (LogicalResult)(c.error() << "axis " << a << " out of range for rank " << rank);
    a = normAxis(a, rank);
  }
  llvm::sort(axes);
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  return axes;
}

template <typename RedT>
static LogicalResult inferReduce(RedT op, Ctx &c) {
  auto x = c.ranked(op.getData(), "data");
  if (!x)
    return failure();
  // Axes known only at run time: the rank is known (keepdims, or a static
  // axes length); dims that may be reduced are dynamic.
  SmallVector<int64_t> constAxes;
  auto axesT = dyn_cast<RankedTensorType>(op.getAxes().getType());
  if (axesT && axesT.getRank() == 1 && axesT.getDimSize(0) != 0 &&
      !getConstantIntValues(op.getAxes(), constAxes)) {
    SmallVector<int64_t> out;
    for (int64_t d : x.getShape())
      out.push_back(d == 1 ? 1 : kDyn);
    if (!op.getKeepdims()) {
      if (axesT.isDynamicDim(0))
        return c.error() << "axes known only at run time need a static length when keepdims = 0";
      if (axesT.getDimSize(0) > x.getRank())
        return c.error() << "more axes than the rank " << x.getRank();
      out.assign(x.getRank() - axesT.getDimSize(0), kDyn);
    }
    return c.add(out, x.getElementType());
  }
  auto axes = reduceAxes(c, op.getAxes(), x.getRank(), op.getNoopWithEmptyAxes());
  if (failed(axes))
    return failure();
  SmallVector<int64_t> out;
  for (int64_t i = 0; i < x.getRank(); ++i) {
    if (!llvm::is_contained(*axes, i))
      out.push_back(x.getDimSize(i));
    else if (op.getKeepdims())
      out.push_back(1);
  }
  return c.add(out, x.getElementType());
}
INFER(ReduceMeanOp) { CTX; return inferReduce(*this, c); }
INFER(ReduceSumOp) { CTX; return inferReduce(*this, c); }
INFER(ReduceMaxOp) { CTX; return inferReduce(*this, c); }
INFER(ReduceMinOp) { CTX; return inferReduce(*this, c); }
INFER(ReduceProdOp) { CTX; return inferReduce(*this, c); }

static int64_t product(ArrayRef<int64_t> dims) {
  int64_t p = 1;
  for (int64_t d : dims) {
    if (d == kDyn)
      return kDyn;
    p = satMul(p, d);
  }
  return p;
}

INFER(FlattenOp) {
  CTX;
  auto x = c.ranked(getInput(), "input");
  if (!x)
    return failure();
  int64_t r = x.getRank(), axis = normAxis(getAxis(), r);
  if (axis < 0 || axis > r)
    return c.error() << "axis " << getAxis() << " out of range for rank " << r;
  return c.add({product(x.getShape().take_front(axis)), product(x.getShape().drop_front(axis))},
               x.getElementType());
}

INFER(ReshapeOp) {
  CTX;
  auto x = c.ranked(getData(), "data");
  auto st = c.ranked(getShape(), "shape");
  if (!x || !st)
    return failure();
  if (st.getRank() != 1 || !st.getElementType().isInteger(64))
    return c.error() << "shape must be a 1-D int64 tensor";
  if (st.isDynamicDim(0))
    return c.error() << "the length of 'shape' must be static";
  SmallVector<int64_t> vals;
  if (!getShapeValues(getShape(), vals))
    vals.assign(st.getDimSize(0), kDyn);
  SmallVector<int64_t> out;
  int64_t inferIdx = -1;
  for (auto [i, v] : llvm::enumerate(vals)) {
    if (v == kDyn) {
      out.push_back(kDyn);
    } else if (v == 0 && !getAllowzero()) {
      if ((int64_t)i >= x.getRank())
        return c.error() << "shape[" << i << "] = 0 copies a dimension the input does not have";
      out.push_back(x.getDimSize(i));
    } else if (v == -1) {
      if (inferIdx >= 0)
        return c.error() << "shape has more than one -1";
      inferIdx = i;
      out.push_back(kDyn);
    } else if (v < 0) {
      return c.error() << "shape[" << i << "] = " << v << " is invalid";
    } else {
      out.push_back(v);
    }
  }
  int64_t total = product(x.getShape());
  if (inferIdx >= 0 && total == kDyn) {
    // Dynamic entries that are provably dynamic dimensions of `data` (each a
    // different one, covering all of them) cancel out of the element count:
    // -1 is the product of data's static dimensions over that of the other
    // static entries.
    SmallVector<bool> used(x.getRank(), false);
    bool matched = true;
    for (auto [i, d] : llvm::enumerate(out)) {
      if ((int64_t)i == inferIdx || d != kDyn)
        continue;
      auto o = shapeElementOrigin(getShape(), i);
      bool hit = false;
      for (int64_t k = 0; o && k < x.getRank() && !hit; ++k)
        if (x.isDynamicDim(k) && !used[k] && dimOrigin(getData(), k) == *o)
          used[k] = hit = true;
      if (!hit) {
        matched = false;
        break;
      }
    }
    for (int64_t k = 0; matched && k < x.getRank(); ++k)
      if (x.isDynamicDim(k) && !used[k])
        matched = false;
    if (matched) {
      int64_t staticTotal = 1, rest = 1;
      for (int64_t k = 0; k < x.getRank(); ++k)
        if (!x.isDynamicDim(k))
          staticTotal = satMul(staticTotal, x.getDimSize(k));
      for (auto [i, d] : llvm::enumerate(out))
        if ((int64_t)i != inferIdx && d != kDyn)
          rest = satMul(rest, d);
      if (rest == 0 || staticTotal % rest != 0)
        return c.error() << "cannot reshape " << x << " with shape entries whose product is "
                         << rest;
      out[inferIdx] = staticTotal / rest;
    }
  }
  if (inferIdx >= 0 && total != kDyn) {
    int64_t rest = 1;
    bool known = true;
    for (auto [i, d] : llvm::enumerate(out)) {
      if ((int64_t)i == inferIdx) continue;
      if (d == kDyn) { known = false; break; }
      rest = satMul(rest, d);
    }
    if (known) {
      if (rest == 0 || total % rest != 0)
        return c.error() << "cannot reshape " << x << " with shape entries whose product is " << rest;
      out[inferIdx] = total / rest;
    }
  }
  int64_t outTotal = product(out);
  if (total != kDyn && outTotal != kDyn && total != outTotal)
    return c.error() << "cannot reshape " << total << " elements into " << outTotal;
  return c.add(out, x.getElementType());
}

INFER(TransposeOp) {
  CTX;
  auto x = c.ranked(getData(), "data");
  if (!x)
    return failure();
  int64_t r = x.getRank();
  SmallVector<int64_t> perm = readInts(getPerm());
  if (perm.empty())
    for (int64_t i = r - 1; i >= 0; --i)
      perm.push_back(i);
  if ((int64_t)perm.size() != r)
    return c.error() << "perm has " << perm.size() << " entries for rank " << r;
  SmallVector<bool> seen(r, false);
  SmallVector<int64_t> out;
  for (int64_t p : perm) {
    if (p < 0 || p >= r || seen[p])
      return c.error() << "perm is not a permutation";
    seen[p] = true;
    out.push_back(x.getDimSize(p));
  }
  return c.add(out, x.getElementType());
}

INFER(SqueezeOp) {
  CTX;
  auto x = c.ranked(getData(), "data");
  if (!x)
    return failure();
  int64_t r = x.getRank();
  SmallVector<int64_t> axes;
  if (!isa<NoneType>(getAxes().getType())) {
    if (!getConstantIntValues(getAxes(), axes)) {
      // Axes known only at run time: their count gives the result rank,
      // the dims are computed at run time.
      auto at = c.ranked(getAxes(), "axes");
      if (!at)
        return failure();
      if (at.getRank() != 1 || at.isDynamicDim(0) || at.getDimSize(0) > r)
        return c.error() << "run-time axes must be a 1-D tensor of static length <= rank";
      return c.add(SmallVector<int64_t>(r - at.getDimSize(0), kDyn), x.getElementType());
    }
  } else {
    for (int64_t i = 0; i < r; ++i) {
      if (x.getDimSize(i) == kDyn)
        return c.error() << "squeeze without axes of a tensor with dynamic dimensions is not supported";
      if (x.getDimSize(i) == 1)
        axes.push_back(i);
    }
  }
  for (int64_t &a : axes) {
    if (a < -r || a >= r)
      return c.error() << "axis " << a << " out of range";
    a = normAxis(a, r);
    if (x.getDimSize(a) != 1 && x.getDimSize(a) != kDyn)
      return c.error() << "cannot squeeze dimension " << a << " of size " << x.getDimSize(a);
  }
  SmallVector<int64_t> out;
  for (int64_t i = 0; i < r; ++i)
    if (!llvm::is_contained(axes, i))
      out.push_back(x.getDimSize(i));
  return c.add(out, x.getElementType());
}

INFER(UnsqueezeOp) {
  CTX;
  auto x = c.ranked(getData(), "data");
  if (!x)
    return failure();
  SmallVector<int64_t> axes;
  if (!getConstantIntValues(getAxes(), axes)) {
    // Axes known only at run time: their count gives the result rank.
    auto at = c.ranked(getAxes(), "axes");
    if (!at)
      return failure();
    if (at.getRank() > 1 || (at.getRank() == 1 && at.isDynamicDim(0)))
      return c.error() << "run-time axes must be a tensor of static length";
    int64_t n = at.getRank() == 0 ? 1 : at.getDimSize(0);
    return c.add(SmallVector<int64_t>(x.getRank() + n, kDyn), x.getElementType());
  }
  int64_t r = x.getRank() + axes.size();
  for (int64_t &a : axes) {
    if (a < -r || a >= r)
      return c.error() << "axis " << a << " out of range for output rank " << r;
    a = normAxis(a, r);
  }
  SmallVector<int64_t> out;
  int64_t j = 0;
  for (int64_t i = 0; i < r; ++i)
    out.push_back(llvm::is_contained(axes, i) ? 1 : x.getDimSize(j++));
  if (j != x.getRank())
    return c.error() << "duplicate axes";
  return c.add(out, x.getElementType());
}

INFER(ConcatOp) {
  CTX;
  if (getInputs().empty())
    return c.error() << "needs at least one input";
  auto first = c.ranked(getInputs()[0], "inputs");
  if (!first || failed(checkSameElem(c, getInputs())))
    return failure();
  int64_t r = first.getRank(), axis = normAxis(getAxis(), r);
  if (axis < 0 || axis >= r)
    return c.error() << "axis " << getAxis() << " out of range for rank " << r;
  SmallVector<int64_t> out(first.getShape());
  out[axis] = 0;
  for (Value v : getInputs()) {
    auto t = c.ranked(v, "inputs");
    if (!t)
      return failure();
    if (t.getRank() != r)
      return c.error() << "inputs must have the same rank";
    for (int64_t i = 0; i < r; ++i) {
      int64_t d = t.getDimSize(i);
      if (i == axis) {
        out[i] = (out[i] == kDyn || d == kDyn) ? kDyn : out[i] + d;
      } else if (out[i] == kDyn) {
        out[i] = d;
      } else if (d != kDyn && d != out[i]) {
        return c.error() << "inputs differ in dimension " << i << ": " << out[i] << " vs " << d;
      }
    }
  }
  return c.add(out, first.getElementType());
}

INFER(SplitOp) {
  CTX;
  auto x = c.ranked(getInput(), "input");
  if (!x)
    return failure();
  int64_t r = x.getRank(), axis = normAxis(getAxis(), r);
  if (axis < 0 || axis >= r)
    return c.error() << "axis " << getAxis() << " out of range";
  int64_t n = getNumResults();
  if (n == 0)
    return c.error() << "must have at least one output";
  SmallVector<int64_t> sizes;
  int64_t d = x.getDimSize(axis);
  if (!isa<NoneType>(getSplit().getType())) {
    if (!getConstantIntValues(getSplit(), sizes)) {
      // Sizes known only at run time: the split dim is dynamic.
      for (int64_t i = 0; i < n; ++i) {
        SmallVector<int64_t> out(x.getShape());
        out[axis] = kDyn;
        (void)c.add(out, x.getElementType());
      }
      return success();
    }
    if ((int64_t)sizes.size() != n)
      return c.error() << "split has " << sizes.size() << " entries for " << n << " outputs";
    int64_t sum = 0;
    for (int64_t s : sizes) {
      if (s < 0)
        return c.error() << "split sizes must be non-negative";
      sum = satAdd(sum, s);
    }
    if (d != kDyn && sum != d)
      return c.error() << "split sizes sum to " << sum << " but the dimension is " << d;
  } else {
    if (getNumOutputs() && *getNumOutputs() != n)
      return c.error() << "num_outputs = " << *getNumOutputs() << " but the node has " << n << " outputs";
    if (d == kDyn) {
      sizes.assign(n, kDyn);
    } else {
      int64_t chunk = (d + n - 1) / n;
      for (int64_t i = 0; i < n; ++i)
        sizes.push_back(std::max<int64_t>(0, std::min(chunk, d - i * chunk)));
    }
  }
  for (int64_t s : sizes) {
    SmallVector<int64_t> out(x.getShape());
    out[axis] = s;
    (void)c.add(out, x.getElementType());
  }
  return success();
}

/// Resolved static slice parameters for one axis.
INFER(SliceOp) {
  CTX;
  auto x = c.ranked(getData(), "data");
  if (!x)
    return failure();
  int64_t r = x.getRank();
  SmallVector<int64_t> starts, ends, axes, steps;
  bool known = getShapeValues(getStarts(), starts) && getShapeValues(getEnds(), ends) &&
               !llvm::is_contained(starts, kUnknownValue) &&
               !llvm::is_contained(ends, kUnknownValue);
  bool axesKnown = isa<NoneType>(getAxes().getType()) || getConstantIntValues(getAxes(), axes);
  bool stepsKnown = isa<NoneType>(getSteps().getType()) || getConstantIntValues(getSteps(), steps);
  if (!known || !axesKnown || !stepsKnown) {
    // Values known only at run time: the sliced dims are dynamic (every dim
    // when the axes themselves are run-time values).
    auto st = c.ranked(getStarts(), "starts");
    if (!st)
      return failure();
    if (st.getRank() != 1)
      return c.error() << "starts must be 1-D";
    SmallVector<int64_t> out(x.getShape());
    if (!axesKnown || (axes.empty() && st.isDynamicDim(0))) {
      out.assign(r, kDyn);
    } else {
      if (axes.empty())
        for (int64_t i = 0; i < st.getDimSize(0); ++i)
          axes.push_back(i);
      for (int64_t a : axes) {
        if (a < -r || a >= r)
          return c.error() << "axis " << a << " out of range";
        out[normAxis(a, r)] = kDyn;
      }
    }
    return c.add(out, x.getElementType());
  }
  if (starts.size() != ends.size())
    return c.error() << "starts and ends differ in length";
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (axes.size() != starts.size() || steps.size() != starts.size())
    return c.error() << "starts, ends, axes and steps differ in length";
  SmallVector<int64_t> out(x.getShape());
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t a = axes[i];
    if (a < -r || a >= r)
      return c.error() << "axis " << a << " out of range";
    a = normAxis(a, r);
    int64_t step = steps[i];
    if (step == 0)
      return c.error() << "steps must be non-zero";
    int64_t d = x.getDimSize(a);
    if (d == kDyn) {
      out[a] = kDyn;
      continue;
    }
    int64_t s = starts[i], e = ends[i];
    if (s < 0) s += d;
    if (e < 0) e += d;
    if (step > 0) {
      s = std::clamp<int64_t>(s, 0, d);
      e = std::clamp<int64_t>(e, 0, d);
      out[a] = e > s ? 1 + (e - s - 1) / step : 0;
    } else {
      s = std::clamp<int64_t>(s, 0, d - 1);
      e = std::clamp<int64_t>(e, -1, d - 1);
      // -step may not exist (INT64_MIN); count in unsigned.
      uint64_t stride = uint64_t(0) - uint64_t(step);
      out[a] = s > e ? int64_t(1 + uint64_t(s - e - 1) / stride) : 0;
    }
  }
  return c.add(out, x.getElementType());
}

INFER(GatherOp) {
  CTX;
  auto x = c.ranked(getData(), "data"), idx = c.ranked(getIndices(), "indices");
  if (!x || !idx)
    return failure();
  if (!isa<IntegerType>(idx.getElementType()))
    return c.error() << "indices must be integers";
  int64_t r = x.getRank(), axis = normAxis(getAxis(), r);
  if (axis < 0 || axis >= r)
    return c.error() << "axis " << getAxis() << " out of range for rank " << r;
  SmallVector<int64_t> iv;
  if (getConstantIntValues(getIndices(), iv) && x.getDimSize(axis) != kDyn)
    for (int64_t i : iv)
      if (i < -x.getDimSize(axis) || i >= x.getDimSize(axis))
        return c.error() << "index " << i << " out of range for dimension of size "
                         << x.getDimSize(axis);
  SmallVector<int64_t> out(x.getShape().take_front(axis));
  out.append(idx.getShape().begin(), idx.getShape().end());
  out.append(x.getShape().begin() + axis + 1, x.getShape().end());
  return c.add(out, x.getElementType());
}

INFER(PadOp) {
  CTX;
  auto x = c.ranked(getData(), "data");
  if (!x)
    return failure();
  int64_t r = x.getRank();
  if (getMode() != "constant" && getMode() != "reflect" && getMode() != "edge" &&
      getMode() != "wrap")
    return c.error() << "unknown mode '" << getMode() << "'";
  SmallVector<int64_t> pads, axes;
  if (!getShapeValues(getPads(), pads)) {
    // Pads known only at run time: the padded dims are dynamic.
    auto pt = c.ranked(getPads(), "pads");
    if (!pt)
      return failure();
    if (pt.getRank() != 1)
      return c.error() << "pads must be 1-D";
    pads.assign(pt.isDynamicDim(0) ? 2 * r : pt.getDimSize(0), kDyn);
  }
  if (!isa<NoneType>(getAxes().getType())) {
    if (!getConstantIntValues(getAxes(), axes))
      return c.error() << "axes must be constant";
    for (int64_t &a : axes) {
      if (a < -r || a >= r)
        return c.error() << "axis " << a << " out of range";
      a = normAxis(a, r);
    }
  } else {
    for (int64_t i = 0; i < r; ++i)
      axes.push_back(i);
  }
  int64_t n = axes.size();
  if ((int64_t)pads.size() != 2 * n)
    return c.error() << "pads has " << pads.size() << " entries, expected " << 2 * n;
  SmallVector<int64_t> out(x.getShape());
  for (int64_t i = 0; i < n; ++i) {
    int64_t a = axes[i];
    if (out[a] == kDyn || pads[i] == kDyn || pads[i + n] == kDyn) {
      out[a] = kDyn;
      continue;
    }
    out[a] = satAdd(out[a], satAdd(pads[i], pads[i + n]));
    if (out[a] < 0)
      return c.error() << "negative padding removes more than dimension " << a << " holds";
  }
  return c.add(out, x.getElementType());
}

INFER(ShapeOp) {
  CTX;
  auto x = c.ranked(getData(), "data");
  if (!x)
    return failure();
  int64_t r = x.getRank();
  int64_t s = getStart() ? normAxis(*getStart(), r) : 0;
  int64_t e = getEnd() ? normAxis(*getEnd(), r) : r;
  s = std::clamp<int64_t>(s, 0, r);
  e = std::clamp<int64_t>(e, 0, r);
  return c.add({std::max<int64_t>(0, e - s)}, IntegerType::get(getContext(), 64));
}

INFER(ExpandOp) {
  CTX;
  auto x = c.ranked(getInput(), "input"), st = c.ranked(getShape(), "shape");
  if (!x || !st)
    return failure();
  if (st.getRank() != 1 || st.isDynamicDim(0))
    return c.error() << "shape must be 1-D with a static length";
  SmallVector<int64_t> vals;
  if (!getShapeValues(getShape(), vals))
    vals.assign(st.getDimSize(0), kDyn);
  // A dynamic entry may still be 1 at run time; broadcasting against the
  // input then keeps the input's size, which we cannot know statically.
  SmallVector<int64_t> shape;
  size_t rr = std::max<size_t>(vals.size(), x.getRank());
  for (size_t i = 0; i < rr; ++i) {
    int64_t dv = i < rr - vals.size() ? 1 : vals[i - (rr - vals.size())];
    int64_t dx = i < rr - x.getRank() ? 1 : x.getDimSize(i - (rr - x.getRank()));
    if (dv == kDyn) shape.push_back(dx == 1 ? kDyn : dx);
    else if (dv == 1) shape.push_back(dx);
    else if (dx == 1 || dx == kDyn || dx == dv) shape.push_back(dv);
    else return c.error() << "cannot expand dimension of size " << dx << " to " << dv;
  }
  return c.add(shape, x.getElementType());
}

LogicalResult kiln::onnx::getResizeGeometry(RankedTensorType in, Value scales, Value sizes,
                                            SmallVectorImpl<double> &scaleOut,
                                            SmallVectorImpl<int64_t> &shapeOut, std::string &err) {
  int64_t r = in.getRank();
  SmallVector<double> sc;
  SmallVector<int64_t> sz;
  bool haveScales = scales && !isa<NoneType>(scales.getType()) &&
                    getConstantFloatValues(scales, sc) && !sc.empty();
  if (scales && !isa<NoneType>(scales.getType()) && !haveScales) {
    auto t = getRanked(scales);
    if (!t || !t.hasStaticShape() || t.getNumElements() != 0) {
      err = "scales must be a constant (run-time scales are not supported)";
      return failure();
    }
  }
  scaleOut.clear();
  shapeOut.clear();
  if (haveScales) {
    if ((int64_t)sc.size() != r) {
      err = "scales has " + std::to_string(sc.size()) + " entries for an input of rank " +
            std::to_string(r);
      return failure();
    }
    for (int64_t i = 0; i < r; ++i) {
      if (!(sc[i] > 0)) {
        err = "scales must be positive";
        return failure();
      }
      scaleOut.push_back(sc[i]);
      if (in.isDynamicDim(i)) {
        shapeOut.push_back(kDyn); // computed at run time
      } else {
        shapeOut.push_back(doubleToDim(std::floor((double)in.getDimSize(i) * sc[i])));
      }
    }
    return success();
  }
  if (!sizes || isa<NoneType>(sizes.getType())) {
    err = "one of scales and sizes must be given";
    return failure();
  }
  if (!getShapeValues(sizes, sz)) {
    err = "sizes must be a constant (run-time sizes are not supported)";
    return failure();
  }
  if ((int64_t)sz.size() != r) {
    err = "sizes has " + std::to_string(sz.size()) + " entries for an input of rank " +
          std::to_string(r);
    return failure();
  }
  for (int64_t i = 0; i < r; ++i) {
    if (sz[i] == kDyn || sz[i] <= 0) {
      err = "sizes must be constant and positive";
      return failure();
    }
    shapeOut.push_back(sz[i]);
    // A dynamic input dim: the scale is only known at run time (NaN here).
    scaleOut.push_back(in.isDynamicDim(i) ? std::nan("")
                                          : (double)sz[i] / (double)in.getDimSize(i));
  }
  return success();
}

std::string kiln::onnx::EinsumSpec::explicitEquation() const {
  // Ids 0-51 are letters; ellipsis ids take the letters no operand uses.
  llvm::SmallDenseMap<int64_t, char> letter;
  auto isLetterId = [](int64_t id) { return id < 52; };
  auto toChar = [](int64_t id) { return (char)(id < 26 ? 'a' + id : 'A' + (id - 26)); };
  llvm::SmallDenseSet<int64_t> used;
  auto all = inputs;
  all.push_back(output);
  for (auto &v : all)
    for (int64_t id : v)
      if (isLetterId(id))
        used.insert(id);
  int64_t next = 0;
  for (auto &v : all)
    for (int64_t id : v)
      if (!isLetterId(id) && !letter.count(id)) {
        while (used.count(next))
          ++next;
        used.insert(next);
        letter[id] = toChar(next);
      }
  std::string out;
  auto emit = [&](ArrayRef<int64_t> v) {
    for (int64_t id : v)
      out += isLetterId(id) ? toChar(id) : letter[id];
  };
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (i)
      out += ',';
    emit(inputs[i]);
  }
  out += "->";
  emit(output);
  return out;
}

FailureOr<kiln::onnx::EinsumSpec> kiln::onnx::parseEinsum(StringRef equation,
                                                        ArrayRef<int64_t> ranks, std::string &err) {
  std::string eq;
  for (char ch : equation)
    if (ch != ' ')
      eq += ch;
  StringRef lhs = eq, rhs;
  bool hasArrow = false;
  if (size_t pos = eq.find("->"); pos != std::string::npos) {
    lhs = StringRef(eq).take_front(pos);
    rhs = StringRef(eq).drop_front(pos + 2);
    hasArrow = true;
  }
  SmallVector<StringRef> terms;
  lhs.split(terms, ',');
  if (terms.size() != ranks.size()) {
    err = "equation '" + equation.str() + "' has " + std::to_string(terms.size()) +
          " operand terms for " + std::to_string(ranks.size()) + " inputs";
    return failure();
  }
  EinsumSpec spec;
  int64_t ellRank = -1;
  auto letterId = [](char ch) -> int64_t {
    if (ch >= 'a' && ch <= 'z') return ch - 'a';
    if (ch >= 'A' && ch <= 'Z') return 26 + (ch - 'A');
    return -1;
  };
  auto parseTerm = [&](StringRef t, int64_t rank, SmallVectorImpl<int64_t> &ids) -> bool {
    size_t ell = t.find("...");
    StringRef before = ell == StringRef::npos ? t : t.take_front(ell);
    StringRef after = ell == StringRef::npos ? StringRef() : t.drop_front(ell + 3);
    int64_t letters = before.size() + after.size();
    int64_t e = ell == StringRef::npos ? 0 : rank - letters;
    if (rank >= 0 && (e < 0 || (ell == StringRef::npos && letters != rank))) {
      err = "term '" + t.str() + "' does not match an operand of rank " + std::to_string(rank);
      return false;
    }
    for (char ch : before) {
      if (letterId(ch) < 0) {
        err = std::string("invalid subscript '") + ch + "'";
        return false;
      }
      ids.push_back(letterId(ch));
    }
    if (ell != StringRef::npos) {
      if (rank < 0) { // output: the broadcast of all ellipses
        e = std::max<int64_t>(ellRank, 0);
      } else {
        ellRank = std::max(ellRank, e);
      }
      // Ellipsis dims are right-aligned across operands.
      for (int64_t k = 0; k < e; ++k)
        ids.push_back(52 + (std::max<int64_t>(ellRank, e) - e) + k);
    }
    for (char ch : after) {
      if (letterId(ch) < 0) {
        err = std::string("invalid subscript '") + ch + "'";
        return false;
      }
      ids.push_back(letterId(ch));
    }
    return true;
  };
  // First pass for the maximal ellipsis rank, then build the ids.
  for (size_t i = 0; i < terms.size(); ++i) {
    size_t ell = terms[i].find("...");
    if (ell != StringRef::npos)
      ellRank = std::max<int64_t>(ellRank, ranks[i] - (int64_t)(terms[i].size() - 3));
  }
  for (size_t i = 0; i < terms.size(); ++i) {
    spec.inputs.emplace_back();
    if (!parseTerm(terms[i], ranks[i], spec.inputs.back()))
      return failure();
  }
  if (hasArrow) {
    if (!parseTerm(rhs, -1, spec.output))
      return failure();
    llvm::SmallDenseSet<int64_t> seenOut;
    for (int64_t id : spec.output) {
      if (!seenOut.insert(id).second) {
        err = "output subscript repeated in '" + equation.str() + "'";
        return failure();
      }
      if (!llvm::any_of(spec.inputs, [&](auto &v) { return llvm::is_contained(v, id); })) {
        err = "output subscript not among the inputs in '" + equation.str() + "'";
        return failure();
      }
    }
  } else {
    // Implicit output: ellipsis dims first, then letters appearing once, sorted.
    for (int64_t k = 0; k < std::max<int64_t>(ellRank, 0); ++k)
      spec.output.push_back(52 + k);
    std::map<int64_t, int> count;
    for (auto &v : spec.inputs)
      for (int64_t id : v)
        if (id < 52)
          ++count[id];
    for (auto &[id, n] : count)
      if (n == 1)
        spec.output.push_back(id);
  }
  return spec;
}

INFER(EinsumOp) {
  CTX;
  SmallVector<int64_t> ranks;
  SmallVector<RankedTensorType> ts;
  for (Value v : getInputs()) {
    auto t = c.ranked(v, "Inputs");
    if (!t)
      return failure();
    ranks.push_back(t.getRank());
    ts.push_back(t);
  }
  if (ts.empty())
    return c.error() << "needs at least one input";
  std::string err;
  auto spec = parseEinsum(getEquation(), ranks, err);
  if (failed(spec))
    return c.error() << err;
  std::map<int64_t, int64_t> size;
  for (size_t i = 0; i < ts.size(); ++i) {
    if (ts[i].getElementType() != ts[0].getElementType())
      return c.error() << "inputs must have one element type";
    for (size_t k = 0; k < spec->inputs[i].size(); ++k) {
      int64_t id = spec->inputs[i][k], d = ts[i].getDimSize(k);
      auto [it, fresh] = size.try_emplace(id, d);
      if (fresh || it->second == d || d == kDyn)
        continue;
      if (it->second == kDyn || (id >= 52 && it->second == 1)) {
        it->second = d;
      } else if (!(id >= 52 && d == 1)) {
        return c.error() << "subscript dims disagree: " << it->second << " vs " << d;
      }
    }
  }
  SmallVector<int64_t> out;
  for (int64_t id : spec->output)
    out.push_back(size.count(id) ? size[id] : 1);
  return c.add(out, ts[0].getElementType());
}

bool kiln::onnx::isRuntimeResizeGeometry(Value scales, Value sizes) {
  // A non-empty 1-D tensor of the right type whose values are not constant.
  auto usable = [](Value v, bool isFloat) {
    if (!v || isa<NoneType>(v.getType()))
      return false;
    auto t = getRanked(v);
    if (!t || t.getRank() != 1 || (t.hasStaticShape() && t.getNumElements() == 0))
      return false;
    if (!(isFloat ? isa<FloatType>(t.getElementType()) : t.getElementType().isInteger(64)))
      return false;
    SmallVector<double> f;
    SmallVector<int64_t> iv;
    if (isFloat)
      return !getConstantFloatValues(v, f);
    return !getShapeValues(v, iv) || llvm::is_contained(iv, kDyn);
  };
  return usable(scales, true) || usable(sizes, false);
}

INFER(ResizeOp) {
  CTX;
  auto x = c.ranked(getX(), "X");
  if (!x)
    return failure();
  if (getMode() != "nearest" && getMode() != "linear" && getMode() != "cubic")
    return c.error() << "unknown mode '" << getMode() << "'";
  StringRef ct = getCoordinateTransformationMode();
  if (ct != "half_pixel" && ct != "half_pixel_symmetric" && ct != "pytorch_half_pixel" &&
      ct != "align_corners" && ct != "asymmetric" && ct != "tf_half_pixel_for_nn" &&
      ct != "tf_crop_and_resize")
    return c.error() << "unknown coordinate_transformation_mode '" << ct << "'";
  StringRef nm = getNearestMode();
  if (nm != "round_prefer_floor" && nm != "round_prefer_ceil" && nm != "floor" && nm != "ceil")
    return c.error() << "unknown nearest_mode '" << nm << "'";
  if (getAntialias() != 0)
    return c.error() << "antialias is not supported";
  if (getAxes())
    return c.error() << "the axes attribute is not supported";
  if (getKeepAspectRatioPolicy() != "stretch")
    return c.error() << "keep_aspect_ratio_policy '" << getKeepAspectRatioPolicy()
                     << "' is not supported";
  SmallVector<double> scales;
  SmallVector<int64_t> shape;
  std::string err;
  if (succeeded(getResizeGeometry(x, getScales(), getSizes(), scales, shape, err)))
    return c.add(shape, x.getElementType());
  if (isRuntimeResizeGeometry(getScales(), getSizes()))
    return c.add(SmallVector<int64_t>(x.getRank(), kDyn), x.getElementType());
  return c.error() << err;
}

INFER(UpsampleOp) {
  CTX;
  auto x = c.ranked(getX(), "X");
  if (!x)
    return failure();
  if (getMode() != "nearest" && getMode() != "linear" && getMode() != "bilinear")
    return c.error() << "unknown mode '" << getMode() << "'";
  SmallVector<double> scales;
  SmallVector<int64_t> shape;
  std::string err;
  if (succeeded(getResizeGeometry(x, getScales(), Value(), scales, shape, err)))
    return c.add(shape, x.getElementType());
  if (isRuntimeResizeGeometry(getScales(), Value()))
    return c.add(SmallVector<int64_t>(x.getRank(), kDyn), x.getElementType());
  return c.error() << err;
}

INFER(ConstantOfShapeOp) {
  CTX;
  auto st = c.ranked(getInput(), "input");
  if (!st)
    return failure();
  if (st.getRank() != 1 || st.isDynamicDim(0))
    return c.error() << "input must be 1-D with a static length";
  SmallVector<int64_t> vals;
  if (!getShapeValues(getInput(), vals))
    vals.assign(st.getDimSize(0), kDyn);
  for (int64_t v : vals)
    if (v != kDyn && v < 0)
      return c.error() << "negative dimension " << v;
  Type e = Float32Type::get(getContext());
  if (auto v = getValue()) {
    if (v->getNumElements() != 1)
      return c.error() << "value must have exactly one element";
    e = v->getElementType();
  }
  return c.add(vals, e);
}

INFER(RangeOp) {
  CTX;
  for (Value v : getOperands()) {
    auto t = c.ranked(v, "start/limit/delta");
    if (!t)
      return failure();
    if (t.getRank() != 0 && !(t.getRank() == 1 && t.getDimSize(0) == 1))
      return c.error() << "start, limit and delta must be scalars";
  }
  if (failed(checkSameElem(c, getOperands())))
    return failure();
  Type e = getElementTypeOrSelf(getStart().getType());
  SmallVector<double> s, l, d;
  SmallVector<int64_t> si, li, di;
  int64_t n = kDyn;
  if (getConstantIntValues(getStart(), si) && getConstantIntValues(getLimit(), li) &&
      getConstantIntValues(getDelta(), di)) {
    if (di[0] == 0)
      return c.error() << "delta must be non-zero";
    n = std::max<int64_t>(0, doubleToDim(std::ceil((double(li[0]) - double(si[0])) / double(di[0]))));
  } else if (getConstantFloatValues(getStart(), s) && getConstantFloatValues(getLimit(), l) &&
             getConstantFloatValues(getDelta(), d)) {
    if (d[0] == 0)
      return c.error() << "delta must be non-zero";
    n = std::max<int64_t>(0, doubleToDim(std::ceil((l[0] - s[0]) / d[0])));
  }
  return c.add({n}, e);
}

//===----------------------------------------------------------------------===//
// Elementwise (conformance work)
//===----------------------------------------------------------------------===//

static LogicalResult inferSameFloat(Ctx &c, Value v) {
  if (!isa<FloatType>(getElementTypeOrSelf(v.getType())))
    return c.error() << "input must be a floating-point tensor";
  return inferSame(c, v);
}
#define UNARY_FLOAT(OP) INFER(OP) { CTX; return inferSameFloat(c, getOperation()->getOperand(0)); }
UNARY_FLOAT(CosOp)
UNARY_FLOAT(SinOp)
UNARY_FLOAT(TanOp)
UNARY_FLOAT(AcosOp)
UNARY_FLOAT(AsinOp)
UNARY_FLOAT(AtanOp)
UNARY_FLOAT(CoshOp)
UNARY_FLOAT(SinhOp)
UNARY_FLOAT(AcoshOp)
UNARY_FLOAT(AsinhOp)
UNARY_FLOAT(AtanhOp)
UNARY_FLOAT(RoundOp)
UNARY_FLOAT(SoftplusOp)
UNARY_FLOAT(SoftsignOp)
UNARY_FLOAT(MishOp)
UNARY_FLOAT(EluOp)
UNARY_FLOAT(SeluOp)
UNARY_FLOAT(CeluOp)
UNARY_FLOAT(ThresholdedReluOp)
UNARY_FLOAT(ShrinkOp)
UNARY_SAME(SignOp)

INFER(BitwiseNotOp) {
  CTX;
  Type e = getElementTypeOrSelf(getX().getType());
  if (!isa<IntegerType>(e) || e.isInteger(1))
    return c.error() << "input must be an integer tensor";
  return inferSame(c, getX());
}

#define FLOAT_TO_BOOL(OP)                                                      \
  INFER(OP) {                                                                  \
    CTX;                                                                       \
    auto t = c.ranked(getX(), "X");                                            \
    if (!t)                                                                    \
      return failure();                                                        \
    if (!isa<FloatType>(t.getElementType()))                                   \
      return c.error() << "input must be a floating-point tensor";             \
    return c.add(t.getShape(), IntegerType::get(getContext(), 1));             \
  }
FLOAT_TO_BOOL(IsNaNOp)
FLOAT_TO_BOOL(IsInfOp)

BINARY(XorOp, true)
BINARY(GreaterOrEqualOp, true)
BINARY(LessOrEqualOp, true)
BINARY(BitwiseAndOp, false)
BINARY(BitwiseOrOp, false)
BINARY(BitwiseXorOp, false)
BINARY(ModOp, false)
VARIADIC(MeanOp)

INFER(BitShiftOp) {
  CTX;
  if (getDirection() != "LEFT" && getDirection() != "RIGHT")
    return c.error() << "direction must be 'LEFT' or 'RIGHT', got '" << getDirection() << "'";
  if (failed(checkSameElem(c, getOperands())))
    return failure();
  Type e = getElementTypeOrSelf(getX().getType());
  if (!isa<IntegerType>(e) || e.isInteger(1))
    return c.error() << "inputs must be integer tensors";
  return inferBroadcast(c, getOperands(), e);
}

INFER(PReluOp) {
  CTX;
  if (failed(checkSameElem(c, getOperands())))
    return failure();
  return inferBroadcast(c, getOperands(), getElementTypeOrSelf(getX().getType()));
}

INFER(SizeOp) {
  CTX;
  if (!c.ranked(getData(), "data"))
    return failure();
  return c.add({}, IntegerType::get(getContext(), 64));
}

INFER(CastLikeOp) {
  CTX;
  auto t = c.ranked(getInput(), "input");
  if (!t)
    return failure();
  return c.add(t.getShape(), getElementTypeOrSelf(getTargetType().getType()));
}

// ---- conformance [elementwise]: add new entries above this line ----

static LogicalResult checkReduction(Ctx &c, StringRef r) {
  if (r == "none" || r == "add" || r == "mul" || r == "max" || r == "min")
    return success();
  return c.error() << "unknown reduction '" << r << "'";
}

INFER(GatherElementsOp) {
  CTX;
  auto x = c.ranked(getData(), "data"), idx = c.ranked(getIndices(), "indices");
  if (!x || !idx)
    return failure();
  if (!isa<IntegerType>(idx.getElementType()))
    return c.error() << "indices must be integers";
  int64_t r = x.getRank(), axis = normAxis(getAxis(), r);
  if (axis < 0 || axis >= r)
    return c.error() << "axis " << getAxis() << " out of range for rank " << r;
  if (idx.getRank() != r)
    return c.error() << "indices must have the data's rank " << r;
  return c.add(idx.getShape(), x.getElementType());
}

INFER(ScatterElementsOp) {
  CTX;
  auto x = c.ranked(getData(), "data"), idx = c.ranked(getIndices(), "indices"),
       u = c.ranked(getUpdates(), "updates");
  if (!x || !idx || !u)
    return failure();
  if (!isa<IntegerType>(idx.getElementType()))
    return c.error() << "indices must be integers";
  int64_t r = x.getRank(), axis = normAxis(getAxis(), r);
  if (axis < 0 || axis >= r)
    return c.error() << "axis " << getAxis() << " out of range for rank " << r;
  if (idx.getRank() != r || failed(verifyCompatibleShape(idx.getShape(), u.getShape())))
    return c.error() << "indices and updates must have the same shape, of the data's rank";
  if (u.getElementType() != x.getElementType())
    return c.error() << "updates must have the data's element type";
  if (failed(checkReduction(c, getReduction())))
    return failure();
  return c.add(x.getShape(), x.getElementType());
}

INFER(GatherNDOp) {
  CTX;
  auto x = c.ranked(getData(), "data"), idx = c.ranked(getIndices(), "indices");
  if (!x || !idx)
    return failure();
  if (!isa<IntegerType>(idx.getElementType()))
    return c.error() << "indices must be integers";
  int64_t q = idx.getRank(), bd = getBatchDims();
  if (q < 1 || idx.isDynamicDim(q - 1))
    return c.error() << "indices must have a static last dimension";
  int64_t k = idx.getDimSize(q - 1);
  if (bd < 0 || bd >= q || bd >= x.getRank() + 1 || bd + k > x.getRank())
    return c.error() << "batch_dims " << bd << " + indices.shape[-1] " << k
                     << " does not fit data of rank " << x.getRank();
  SmallVector<int64_t> out(idx.getShape().drop_back());
  out.append(x.getShape().begin() + bd + k, x.getShape().end());
  return c.add(out, x.getElementType());
}

INFER(ScatterNDOp) {
  CTX;
  auto x = c.ranked(getData(), "data"), idx = c.ranked(getIndices(), "indices"),
       u = c.ranked(getUpdates(), "updates");
  if (!x || !idx || !u)
    return failure();
  if (!isa<IntegerType>(idx.getElementType()))
    return c.error() << "indices must be integers";
  int64_t q = idx.getRank();
  if (q < 1 || idx.isDynamicDim(q - 1))
    return c.error() << "indices must have a static last dimension";
  int64_t k = idx.getDimSize(q - 1);
  if (k > x.getRank())
    return c.error() << "indices.shape[-1] " << k << " exceeds the data's rank " << x.getRank();
  SmallVector<int64_t> ushape(idx.getShape().drop_back());
  ushape.append(x.getShape().begin() + k, x.getShape().end());
  if (failed(verifyCompatibleShape(ushape, u.getShape())))
    return c.error() << "updates must have shape indices.shape[:-1] + data.shape[k:]";
  if (u.getElementType() != x.getElementType())
    return c.error() << "updates must have the data's element type";
  if (failed(checkReduction(c, getReduction())))
    return failure();
  return c.add(x.getShape(), x.getElementType());
}

INFER(TriluOp) {
  CTX;
  auto x = c.ranked(getInput(), "input");
  if (!x)
    return failure();
  if (x.getRank() < 2)
    return c.error() << "input must have rank >= 2";
  if (!isa<NoneType>(getK().getType())) {
    auto kt = c.ranked(getK(), "k");
    if (!kt)
      return failure();
    if (!isa<IntegerType>(kt.getElementType()) || kt.getRank() > 1 ||
        (kt.hasStaticShape() && kt.getNumElements() != 1))
      return c.error() << "k must be an integer scalar";
  }
  return c.add(x.getShape(), x.getElementType());
}

INFER(TileOp) {
  CTX;
  auto x = c.ranked(getInput(), "input"), rt = c.ranked(getRepeats(), "repeats");
  if (!x || !rt)
    return failure();
  if (rt.getRank() != 1 || !isa<IntegerType>(rt.getElementType()))
    return c.error() << "repeats must be a 1-D integer tensor";
  if (!rt.isDynamicDim(0) && rt.getDimSize(0) != x.getRank())
    return c.error() << "repeats has " << rt.getDimSize(0) << " entries for input of rank "
                     << x.getRank();
  SmallVector<int64_t> reps, out;
  if (!getShapeValues(getRepeats(), reps))
    reps.assign(x.getRank(), kDyn);
  for (int64_t i = 0; i < x.getRank(); ++i) {
    int64_t d = x.getDimSize(i), rep = i < (int64_t)reps.size() ? reps[i] : kDyn;
    if (rep != kDyn && rep < 0)
      return c.error() << "negative repeat " << rep;
    out.push_back(d == kDyn || rep == kDyn ? (d == 0 || rep == 0 ? 0 : kDyn) : satMul(d, rep));
  }
  return c.add(out, x.getElementType());
}

INFER(OneHotOp) {
  CTX;
  auto idx = c.ranked(getIndices(), "indices"), dt = c.ranked(getDepth(), "depth"),
       vt = c.ranked(getValues(), "values");
  if (!idx || !dt || !vt)
    return failure();
  if (dt.hasStaticShape() && dt.getNumElements() != 1)
    return c.error() << "depth must be a scalar";
  if (vt.getRank() != 1 || (!vt.isDynamicDim(0) && vt.getDimSize(0) != 2))
    return c.error() << "values must be a 1-D tensor of 2 elements";
  int64_t r = idx.getRank() + 1, axis = normAxis(getAxis(), r);
  if (axis < 0 || axis >= r)
    return c.error() << "axis " << getAxis() << " out of range for output rank " << r;
  int64_t depth = kDyn;
  SmallVector<int64_t> iv;
  SmallVector<double> fv;
  if (getConstantIntValues(getDepth(), iv))
    depth = iv[0];
  else if (getConstantFloatValues(getDepth(), fv))
    depth = (int64_t)fv[0];
  if (depth != kDyn && depth < 1)
    return c.error() << "depth must be positive, got " << depth;
  SmallVector<int64_t> out(idx.getShape());
  out.insert(out.begin() + axis, depth);
  return c.add(out, vt.getElementType());
}

INFER(EyeLikeOp) {
  CTX;
  auto x = c.ranked(getInput(), "input");
  if (!x)
    return failure();
  if (x.getRank() != 2)
    return c.error() << "input must be 2-D";
  Type e = x.getElementType();
  if (auto dt = getDtype()) {
    e = getElementTypeForONNXType(getContext(), *dt);
    if (!e)
      return c.error() << "unsupported dtype " << *dt;
  }
  return c.add(x.getShape(), e);
}

INFER(DepthToSpaceOp) {
  CTX;
  auto x = c.ranked(getInput(), "input");
  if (!x)
    return failure();
  int64_t bs = getBlocksize();
  if (x.getRank() != 4)
    return c.error() << "input must be 4-D";
  if (bs < 1)
    return c.error() << "blocksize must be positive";
  if (getMode() != "DCR" && getMode() != "CRD")
    return c.error() << "unknown mode '" << getMode() << "'";
  int64_t C = x.getDimSize(1);
  if (C != kDyn && C % (bs * bs) != 0)
    return c.error() << "channels " << C << " not divisible by blocksize^2";
  auto mul = [&](int64_t d) { return d == kDyn ? kDyn : d * bs; };
  return c.add({x.getDimSize(0), C == kDyn ? kDyn : C / (bs * bs), mul(x.getDimSize(2)),
                mul(x.getDimSize(3))},
               x.getElementType());
}

INFER(SpaceToDepthOp) {
  CTX;
  auto x = c.ranked(getInput(), "input");
  if (!x)
    return failure();
  int64_t bs = getBlocksize();
  if (x.getRank() != 4)
    return c.error() << "input must be 4-D";
  if (bs < 1)
    return c.error() << "blocksize must be positive";
  for (int64_t i = 2; i < 4; ++i)
    if (x.getDimSize(i) != kDyn && x.getDimSize(i) % bs != 0)
      return c.error() << "spatial dim " << x.getDimSize(i) << " not divisible by blocksize";
  auto div = [&](int64_t d) { return d == kDyn ? kDyn : d / bs; };
  int64_t C = x.getDimSize(1);
  return c.add({x.getDimSize(0), C == kDyn ? kDyn : C * bs * bs, div(x.getDimSize(2)),
                div(x.getDimSize(3))},
               x.getElementType());
}

INFER(CompressOp) {
  CTX;
  auto x = c.ranked(getInput(), "input"), ct = c.ranked(getCondition(), "condition");
  if (!x || !ct)
    return failure();
  if (ct.getRank() != 1 || !ct.getElementType().isInteger(1))
    return c.error() << "condition must be a 1-D bool tensor";
  int64_t n = kDyn;
  SmallVector<int64_t> cv;
  int64_t limit = kDyn;
  if (getAxis()) {
    int64_t axis = normAxis(*getAxis(), x.getRank());
    if (axis < 0 || axis >= x.getRank())
      return c.error() << "axis " << *getAxis() << " out of range for rank " << x.getRank();
    limit = x.getDimSize(axis);
  } else if (x.hasStaticShape()) {
    limit = x.getNumElements();
  }
  if (getConstantIntValues(getCondition(), cv) && limit != kDyn) {
    n = 0;
    for (int64_t i = 0; i < (int64_t)cv.size() && i < limit; ++i)
      n += cv[i] != 0;
  }
  if (!getAxis())
    return c.add({n}, x.getElementType());
  SmallVector<int64_t> out(x.getShape());
  out[normAxis(*getAxis(), x.getRank())] = n;
  return c.add(out, x.getElementType());
}

INFER(ReverseSequenceOp) {
  CTX;
  auto x = c.ranked(getInput(), "input"), l = c.ranked(getSequenceLens(), "sequence_lens");
  if (!x || !l)
    return failure();
  int64_t r = x.getRank(), ba = getBatchAxis(), ta = getTimeAxis();
  if (r < 2 || ba < 0 || ba > 1 || ta < 0 || ta > 1 || ba == ta)
    return c.error() << "batch_axis and time_axis must be 0 and 1 (in either order)";
  if (l.getRank() != 1 || !isa<IntegerType>(l.getElementType()))
    return c.error() << "sequence_lens must be a 1-D integer tensor";
  return c.add(x.getShape(), x.getElementType());
}

// ---- conformance [indexing]: add new entries above this line ----

INFER(ReduceL1Op) { CTX; return inferReduce(*this, c); }
INFER(ReduceL2Op) { CTX; return inferReduce(*this, c); }
INFER(ReduceLogSumOp) { CTX; return inferReduce(*this, c); }
INFER(ReduceLogSumExpOp) { CTX; return inferReduce(*this, c); }
INFER(ReduceSumSquareOp) { CTX; return inferReduce(*this, c); }
INFER(BatchNormalizationOp) {
  CTX;
  auto x = c.ranked(getX(), "X");
  if (!x)
    return failure();
  if (getNumResults() > 3)
    return c.error() << "the saved_mean/saved_var outputs (BatchNormalization before opset 14) are not supported";
  types.push_back(x);
  for (unsigned i = 1; i < getNumResults(); ++i) {
    auto m = c.ranked(i == 1 ? getInputMean() : getInputVar(), i == 1 ? "input_mean" : "input_var");
    if (!m)
      return failure();
    types.push_back(m);
  }
  return success();
}
INFER(InstanceNormalizationOp) {
  CTX;
  auto x = c.rankedAtLeast(getInput(), "input", 3, "[N, C, spatial...]");
  if (!x)
    return failure();
  types.push_back(x);
  return success();
}
INFER(MeanVarianceNormalizationOp) { CTX; return inferSame(c, getX()); }
INFER(LRNOp) {
  CTX;
  auto x = c.rankedAtLeast(getX(), "X", 2, "[N, C, ...]");
  if (!x)
    return failure();
  if (getSize() < 1)
    return c.error() << "size must be >= 1";
  types.push_back(x);
  return success();
}
INFER(GroupNormalizationOp) {
  CTX;
  auto x = c.rankedAtLeast(getX(), "X", 2, "[N, C, ...]");
  if (!x)
    return failure();
  int64_t g = getNumGroups(), C = x.getDimSize(1);
  if (g < 1 || (C != kDyn && C % g != 0))
    return c.error() << "num_groups = " << g << " must divide the channel count " << C;
  types.push_back(x);
  return success();
}
// ---- conformance [normalization]: add new entries above this line ----

template <typename ArgT>
static LogicalResult inferArgReduce(ArgT op, Ctx &c) {
  auto x = c.ranked(op.getData(), "data");
  if (!x)
    return failure();
  int64_t r = x.getRank(), axis = op.getAxis();
  if (r == 0)
    return c.error() << "the input must have rank >= 1";
  if (axis < -r || axis >= r)
    return c.error() << "axis " << axis << " out of range for rank " << r;
  axis = normAxis(axis, r);
  SmallVector<int64_t> out;
  for (int64_t i = 0; i < r; ++i) {
    if (i != axis)
      out.push_back(x.getDimSize(i));
    else if (op.getKeepdims())
      out.push_back(1);
  }
  return c.add(out, IntegerType::get(op.getContext(), 64));
}
INFER(ArgMaxOp) { CTX; return inferArgReduce(*this, c); }
INFER(ArgMinOp) { CTX; return inferArgReduce(*this, c); }

INFER(HardmaxOp) {
  CTX;
  auto x = c.ranked(getInput(), "input");
  if (!x)
    return failure();
  int64_t r = x.getRank();
  if (r == 0 || getAxis() < -r || getAxis() >= r)
    return c.error() << "axis " << getAxis() << " out of range for rank " << r;
  return c.add(x.getShape(), x.getElementType());
}

INFER(CumSumOp) {
  CTX;
  auto x = c.ranked(getX(), "x");
  auto a = c.ranked(getAxis(), "axis");
  if (!x || !a)
    return failure();
  if (x.getRank() == 0)
    return c.error() << "the input must have rank >= 1";
  if (!isa<IntegerType>(a.getElementType()) ||
      !(a.getRank() == 0 || (a.getRank() == 1 && a.getDimSize(0) == 1)))
    return c.error() << "axis must be an integer scalar";
  SmallVector<int64_t> av;
  if (getConstantIntValues(getAxis(), av) &&
      (av[0] < -x.getRank() || av[0] >= x.getRank()))
    return c.error() << "axis " << av[0] << " out of range for rank " << x.getRank();
  return c.add(x.getShape(), x.getElementType());
}

INFER(TopKOp) {
  CTX;
  auto x = c.ranked(getX(), "X");
  auto k = c.ranked(getK(), "K");
  if (!x || !k)
    return failure();
  int64_t r = x.getRank(), axis = getAxis();
  if (r == 0 || axis < -r || axis >= r)
    return c.error() << "axis " << axis << " out of range for rank " << r;
  axis = normAxis(axis, r);
  if (!k.getElementType().isInteger(64) ||
      !(k.getRank() == 0 || (k.getRank() == 1 && k.getDimSize(0) == 1)))
    return c.error() << "K must be a 1-element i64 tensor";
  SmallVector<int64_t> kv;
  int64_t kk = kDyn;
  if (getConstantIntValues(getK(), kv)) {
    kk = kv[0];
    if (kk < 0 || (!x.isDynamicDim(axis) && kk > x.getDimSize(axis)))
      return c.error() << "K = " << kk << " is out of range for an axis of size "
                       << x.getDimSize(axis);
  }
  SmallVector<int64_t> out(x.getShape());
  out[axis] = kk;
  (void)c.add(out, x.getElementType());
  return c.add(out, IntegerType::get(getContext(), 64));
}

INFER(NonZeroOp) {
  CTX;
  auto x = c.ranked(getX(), "X");
  if (!x)
    return failure();
  return c.add({x.getRank(), kDyn}, IntegerType::get(getContext(), 64));
}

INFER(UniqueOp) {
  CTX;
  auto x = c.ranked(getX(), "X");
  if (!x)
    return failure();
  unsigned n = getOperation()->getNumResults();
  if (n < 1 || n > 4)
    return c.error() << "has " << n << " outputs, expected 1 to 4";
  Type i64 = IntegerType::get(getContext(), 64);
  int64_t rows;
  if (auto a = getAxis()) {
    int64_t r = x.getRank(), axis = *a;
    if (r == 0 || axis < -r || axis >= r)
      return c.error() << "axis " << axis << " out of range for rank " << r;
    axis = normAxis(axis, r);
    SmallVector<int64_t> ys(x.getShape());
    ys[axis] = kDyn;
    (void)c.add(ys, x.getElementType());
    rows = x.getDimSize(axis);
  } else {
    (void)c.add({kDyn}, x.getElementType());
    rows = product(x.getShape());
  }
  if (n > 1) (void)c.add({kDyn}, i64);
  if (n > 2) (void)c.add({rows}, i64);
  if (n > 3) (void)c.add({kDyn}, i64);
  return success();
}

INFER(NonMaxSuppressionOp) {
  CTX;
  auto bx = c.ranked(getBoxes(), "boxes");
  auto sc = c.ranked(getScores(), "scores");
  if (!bx || !sc)
    return failure();
  if (bx.getRank() != 3 || (!bx.isDynamicDim(2) && bx.getDimSize(2) != 4))
    return c.error() << "boxes must be [batches, boxes, 4]";
  if (sc.getRank() != 3)
    return c.error() << "scores must be [batches, classes, boxes]";
  return c.add({kDyn, 3}, IntegerType::get(getContext(), 64));
}

// ---- conformance [sorting]: add new entries above this line ----

/// Shared by NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss: input
/// [N, C, d...], target [N, d...] integers, weight [C]; the loss is [N, d...]
/// for reduction none, else a scalar.
static LogicalResult inferLoss(Ctx &c, Value inputV, Value targetV, Value weightV,
                               StringRef reduction, bool withLogProb) {
  auto x = c.ranked(inputV, "input"), t = c.ranked(targetV, "target");
  if (!x || !t)
    return failure();
  if (!isa<FloatType>(x.getElementType()))
    return c.error() << "input must be a floating-point tensor";
  if (!t.getElementType().isInteger(32) && !t.getElementType().isInteger(64))
    return c.error() << "target must be an int32 or int64 tensor";
  if (x.getRank() < 2)
    return c.error() << "input must be [N, C, d1, ..., dk], got rank " << x.getRank();
  if (t.getRank() != x.getRank() - 1)
    return c.error() << "target must have rank " << x.getRank() - 1 << ", got " << t.getRank();
  SmallVector<int64_t> out;
  for (int64_t i = 0; i < t.getRank(); ++i) {
    int64_t dx = x.getDimSize(i == 0 ? 0 : i + 1), dt = t.getDimSize(i);
    if (dx != kDyn && dt != kDyn && dx != dt)
      return c.error() << "target dimension " << i << " (" << dt
                       << ") does not match the input's (" << dx << ")";
    out.push_back(dx != kDyn ? dx : dt);
  }
  if (!isa<NoneType>(weightV.getType())) {
    auto w = c.ranked(weightV, "weight");
    if (!w)
      return failure();
    if (w.getRank() != 1 || w.getElementType() != x.getElementType())
      return c.error() << "weight must be a 1-D tensor of the input's element type";
    if (w.getDimSize(0) != kDyn && x.getDimSize(1) != kDyn && w.getDimSize(0) != x.getDimSize(1))
      return c.error() << "weight has " << w.getDimSize(0) << " entries for " << x.getDimSize(1)
                       << " classes";
  }
  if (reduction != "none" && reduction != "sum" && reduction != "mean")
    return c.error() << "reduction must be 'none', 'sum' or 'mean', got '" << reduction << "'";
  if (reduction != "none")
    out.clear();
  (void)c.add(out, x.getElementType());
  if (withLogProb)
    c.types.push_back(RankedTensorType::get(x.getShape(), x.getElementType()));
  return success();
}

INFER(NegativeLogLikelihoodLossOp) {
  CTX;
  return inferLoss(c, getInput(), getTarget(), getWeight(), getReduction(), false);
}

INFER(SoftmaxCrossEntropyLossOp) {
  CTX;
  return inferLoss(c, getScores(), getLabels(), getWeights(), getReduction(), getNumResults() > 1);
}

// ---- conformance [loss]: add new entries above this line ----

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

// ---- conformance [convpool]: add new entries above this line ----

//===----------------------------------------------------------------------===//
// Recurrent layers and control flow
//===----------------------------------------------------------------------===//

/// Shared shape inference of RNN / GRU / LSTM (`gates` gate blocks in W).
static LogicalResult inferRecurrent(Ctx &c, Value X, Value W, Value R, int64_t gates,
                                    StringRef direction, std::optional<int64_t> hiddenSize,
                                    int64_t layout, unsigned maxResults) {
  auto x = c.ranked(X, "X"), w = c.ranked(W, "W"), r = c.ranked(R, "R");
  if (!x || !w || !r)
    return failure();
  if (x.getRank() != 3 || w.getRank() != 3 || r.getRank() != 3)
    return c.error() << "X, W and R must be 3-D";
  if (direction != "forward" && direction != "reverse" && direction != "bidirectional")
    return c.error() << "unknown direction '" << direction << "'";
  if (layout != 0 && layout != 1)
    return c.error() << "layout must be 0 or 1, got " << layout;
  int64_t d = direction == "bidirectional" ? 2 : 1;
  if (!w.isDynamicDim(0) && w.getDimSize(0) != d)
    return c.error() << "W has " << w.getDimSize(0) << " directions, direction '" << direction
                     << "' needs " << d;
  int64_t h = hiddenSize ? *hiddenSize : r.getDimSize(2);
  if (h != kDyn && h <= 0)
    return c.error() << "hidden_size must be positive";
  if (h != kDyn && ((!w.isDynamicDim(1) && w.getDimSize(1) != gates * h) ||
                    (!r.isDynamicDim(1) && r.getDimSize(1) != gates * h) ||
                    (!r.isDynamicDim(2) && r.getDimSize(2) != h)))
    return c.error() << "W must be [" << d << ", " << gates * h << ", input_size] and R ["
                     << d << ", " << gates * h << ", " << h << "] for hidden_size " << h;
  unsigned n = c.op->getNumResults();
  if (n == 0 || n > maxResults)
    return c.error() << "has " << n << " outputs, expected 1 to " << maxResults;
  int64_t s = x.getDimSize(layout ? 1 : 0), b = x.getDimSize(layout ? 0 : 1);
  Type e = x.getElementType();
  for (unsigned i = 0; i < n; ++i) {
    if (i == 0)
      (void)c.add(layout ? SmallVector<int64_t>{b, s, d, h} : SmallVector<int64_t>{s, d, b, h}, e);
    else
      (void)c.add(layout ? SmallVector<int64_t>{b, d, h} : SmallVector<int64_t>{d, b, h}, e);
  }
  return success();
}

INFER(RNNOp) {
  CTX;
  return inferRecurrent(c, getX(), getW(), getR(), 1, getDirection(), getHiddenSize(),
                        getLayout(), 2);
}
INFER(GRUOp) {
  CTX;
  return inferRecurrent(c, getX(), getW(), getR(), 3, getDirection(), getHiddenSize(),
                        getLayout(), 2);
}
INFER(LSTMOp) {
  CTX;
  return inferRecurrent(c, getX(), getW(), getR(), 4, getDirection(), getHiddenSize(),
                        getLayout(), 3);
}

/// The most precise type compatible with both (differing dims become `?`).
static FailureOr<RankedTensorType> joinTypes(Ctx &c, Type a, Type b, StringRef what) {
  auto ta = dyn_cast<RankedTensorType>(a), tb = dyn_cast<RankedTensorType>(b);
  if (!ta || !tb)
    return (LogicalResult)(c.error() << what << " must be ranked tensors");
  if (ta.getElementType() != tb.getElementType() || ta.getRank() != tb.getRank())
    return (LogicalResult)(c.error() << what << " have incompatible types " << ta << " and "
                                     << tb);
  SmallVector<int64_t> shape;
  for (auto [x, y] : llvm::zip(ta.getShape(), tb.getShape()))
    shape.push_back(x == y ? x : kDyn);
  return RankedTensorType::get(shape, ta.getElementType());
}

static Operation *regionYield(Region &r) {
  if (r.empty() || r.front().empty())
    return nullptr;
  Operation *t = &r.front().back();
  return isa<YieldOp>(t) ? t : nullptr;
}

INFER(IfOp) {
  CTX;
  auto cond = c.ranked(getCond(), "cond");
  if (!cond)
    return failure();
  if (!cond.getElementType().isInteger(1) || cond.getNumElements() != 1)
    return c.error() << "cond must be a single bool";
  Operation *ty = regionYield(getThenBranch()), *ey = regionYield(getElseBranch());
  if (!ty || !ey)
    return c.error() << "branches must end in onnx.Yield";
  if (ty->getNumOperands() != ey->getNumOperands())
    return c.error() << "then_branch has " << ty->getNumOperands()
                     << " outputs but else_branch has " << ey->getNumOperands();
  if (getNumResults() > ty->getNumOperands())
    return c.error() << "has " << getNumResults() << " outputs but the branches have "
                     << ty->getNumOperands();
  for (unsigned i = 0; i < getNumResults(); ++i) {
    auto t = joinTypes(c, ty->getOperand(i).getType(), ey->getOperand(i).getType(),
                       "outputs #" + std::to_string(i) + " of the branches");
    if (failed(t))
      return failure();
    types.push_back(*t);
  }
  return success();
}

INFER(LoopOp) {
  CTX;
  Operation *y = regionYield(getBody());
  if (!y)
    return c.error() << "the body must end in onnx.Yield";
  unsigned n = getVInitial().size();
  Block &body = getBody().front();
  if (body.getNumArguments() != n + 2)
    return c.error() << "the body has " << body.getNumArguments() << " inputs, expected " << n + 2;
  if (y->getNumOperands() < n + 1)
    return c.error() << "the body has " << y->getNumOperands() << " outputs, expected at least "
                     << n + 1 << " (condition and " << n << " loop-carried values)";
  if (getNumResults() > y->getNumOperands() - 1)
    return c.error() << "has " << getNumResults() << " outputs, the body only "
                     << y->getNumOperands() - 1;
  for (unsigned i = 0; i < getNumResults(); ++i) {
    if (i < n) {
      auto t = joinTypes(c, getVInitial()[i].getType(), y->getOperand(i + 1).getType(),
                         "loop-carried value #" + std::to_string(i) + " and its update");
      if (failed(t))
        return failure();
      types.push_back(*t);
      continue;
    }
    auto t = dyn_cast<RankedTensorType>(y->getOperand(i + 1).getType());
    if (!t)
      return c.error() << "scan output #" << i - n << " must be a ranked tensor";
    SmallVector<int64_t> shape{kDyn};
    shape.append(t.getShape().begin(), t.getShape().end());
    (void)c.add(shape, t.getElementType());
  }
  return success();
}

INFER(ScanOp) {
  CTX;
  Operation *y = regionYield(getBody());
  if (!y)
    return c.error() << "the body must end in onnx.Yield";
  int64_t m = getNumScanInputs();
  int64_t total = getInitialStateAndScanInputs().size();
  if (m < 1 || m > total)
    return c.error() << "num_scan_inputs " << m << " must be in [1, " << total << "]";
  int64_t n = total - m;
  int64_t k = (int64_t)y->getNumOperands() - n;
  if (k < 0)
    return c.error() << "the body has fewer outputs than states";
  SmallVector<int64_t> inAxes = getScanInputAxes() ? SmallVector<int64_t>() : SmallVector<int64_t>(m, 0);
  if (ArrayAttr axes = getScanInputAxesAttr())
    for (Attribute a : axes)
      inAxes.push_back(cast<IntegerAttr>(a).getInt());
  if ((int64_t)inAxes.size() != m)
    return c.error() << "scan_input_axes must have " << m << " entries";
  int64_t len = kDyn;
  for (int64_t i = 0; i < m; ++i) {
    auto t = c.ranked(getInitialStateAndScanInputs()[n + i], "scan input");
    if (!t)
      return failure();
    int64_t a = normAxis(inAxes[i], t.getRank());
    if (a < 0 || a >= t.getRank())
      return c.error() << "scan input axis " << inAxes[i] << " is out of range";
    if (len == kDyn)
      len = t.getDimSize(a);
  }
  SmallVector<int64_t> outAxes;
  if (ArrayAttr axes = getScanOutputAxesAttr())
    for (Attribute a : axes)
      outAxes.push_back(cast<IntegerAttr>(a).getInt());
  else
    outAxes.assign(k, 0);
  if ((int64_t)outAxes.size() != k)
    return c.error() << "scan_output_axes must have " << k << " entries";
  if ((int64_t)getNumResults() > n + k)
    return c.error() << "has " << getNumResults() << " outputs, expected at most " << n + k;
  for (int64_t i = 0; i < (int64_t)getNumResults(); ++i) {
    if (i < n) {
      auto t = joinTypes(c, getInitialStateAndScanInputs()[i].getType(),
                         y->getOperand(i).getType(),
                         "state #" + std::to_string(i) + " and its update");
      if (failed(t))
        return failure();
      types.push_back(*t);
      continue;
    }
    auto t = dyn_cast<RankedTensorType>(y->getOperand(i).getType());
    if (!t)
      return c.error() << "scan output #" << i - n << " must be a ranked tensor";
    int64_t a = normAxis(outAxes[i - n], t.getRank() + 1);
    if (a < 0 || a > t.getRank())
      return c.error() << "scan output axis " << outAxes[i - n] << " is out of range";
    SmallVector<int64_t> shape(t.getShape());
    shape.insert(shape.begin() + a, len);
    (void)c.add(shape, t.getElementType());
  }
  return success();
}

// ---- conformance [recurrent]: add new entries above this line ----

//===----------------------------------------------------------------------===//
// [quant] family: quantization, signal and vision operators
//===----------------------------------------------------------------------===//

static bool qIsNone(Value v) { return !v || isa<NoneType>(v.getType()); }

/// Integer element type of a quantized value (8 bits; 32 for dequantize).
static LogicalResult checkQuantElem(Ctx &c, Value v, StringRef what, bool allowI32 = false) {
  Type e = getElementTypeOrSelf(v.getType());
  if (e.isInteger(8) || (allowI32 && e.isInteger(32)))
    return success();
  return c.error() << what << " has element type " << e << "; only uint8 / int8"
                   << (allowI32 ? " / int32" : "") << " are supported (float8 and 4-bit types are not)";
}

static LogicalResult checkQuantScale(Ctx &c, Value scale, Value zp, RankedTensorType x,
                                     int64_t axis, int64_t blockSize) {
  if (blockSize != 0)
    return c.error() << "blocked quantization (block_size = " << blockSize << ") is not supported";
  auto s = c.ranked(scale, "scale");
  if (!s)
    return failure();
  if (!isa<FloatType>(s.getElementType()))
    return c.error() << "the scale must be a float tensor";
  if (s.getRank() > 1)
    return c.error() << "the scale must be a scalar or 1-D (per-axis); got " << s;
  if (s.getRank() == 1 && s.getNumElements() != 1) {
    int64_t a = axis < 0 ? axis + x.getRank() : axis;
    if (a < 0 || a >= x.getRank())
      return c.error() << "axis " << axis << " is out of range for rank " << x.getRank();
    if (s.getDimSize(0) != kDyn && x.getDimSize(a) != kDyn && s.getDimSize(0) != x.getDimSize(a))
      return c.error() << "the scale has " << s.getDimSize(0) << " entries but axis " << a
                       << " has size " << x.getDimSize(a);
  }
  if (!isa<NoneType>(zp.getType())) {
    auto z = c.ranked(zp, "zero_point");
    if (!z)
      return failure();
    if (z.getShape() != s.getShape() && z.getNumElements() != s.getNumElements())
      return c.error() << "the zero point " << z << " must have the shape of the scale " << s;
  }
  return success();
}

INFER(QuantizeLinearOp) {
  CTX;
  auto x = c.ranked(getX(), "x");
  if (!x)
    return failure();
  if (failed(checkQuantScale(c, getYScale(), getYZeroPoint(), x, getAxis(), getBlockSize())))
    return failure();
  if (!qIsNone(getYZeroPoint()) && failed(checkQuantElem(c, getYZeroPoint(), "y_zero_point")))
    return failure();
  if (getOutputDtype() != 2 && getOutputDtype() != 3)
    return c.error() << "output type " << kiln::onnxDTypeName(getOutputDtype()) << " (" << getOutputDtype()
                     << ") is not supported; only uint8 and int8 are";
  return c.add(x.getShape(), IntegerType::get(getContext(), 8));
}

INFER(DequantizeLinearOp) {
  CTX;
  auto x = c.ranked(getX(), "x");
  if (!x || failed(checkQuantElem(c, getX(), "x", true)))
    return failure();
  if (failed(checkQuantScale(c, getXScale(), getXZeroPoint(), x, getAxis(), getBlockSize())))
    return failure();
  if (!qIsNone(getXZeroPoint()) && getElementTypeOrSelf(getXZeroPoint().getType()) != x.getElementType())
    return c.error() << "x_zero_point must have the element type of x";
  return c.add(x.getShape(), getElementTypeOrSelf(getXScale().getType()));
}

INFER(DynamicQuantizeLinearOp) {
  CTX;
  auto x = c.ranked(getX(), "x");
  if (!x)
    return failure();
  if (!x.getElementType().isF32())
    return c.error() << "x must be float32";
  (void)c.add(x.getShape(), IntegerType::get(getContext(), 8));
  (void)c.add({}, x.getElementType());
  return c.add({}, IntegerType::get(getContext(), 8));
}

INFER(MatMulIntegerOp) {
  CTX;
  auto a = c.ranked(getA(), "A"), b = c.ranked(getB(), "B");
  if (!a || !b || failed(checkQuantElem(c, getA(), "A")) || failed(checkQuantElem(c, getB(), "B")))
    return failure();
  auto out = matmulShape(c, a, b);
  if (failed(out))
    return failure();
  return c.add(*out, IntegerType::get(getContext(), 32));
}

INFER(ConvIntegerOp) {
  CTX;
  auto x = c.ranked(getX(), "x"), w = c.ranked(getW(), "w");
  if (!x || !w || failed(checkQuantElem(c, getX(), "x")) || failed(checkQuantElem(c, getW(), "w")))
    return failure();
  auto out = convShape(c, x, w, getGroup(), getKernelShape(), getStrides(), getDilations(),
                            getPads(), getAutoPad());
  if (failed(out))
    return failure();
  return c.add(*out, IntegerType::get(getContext(), 32));
}

INFER(QLinearMatMulOp) {
  CTX;
  auto a = c.ranked(getA(), "a"), b = c.ranked(getB(), "b");
  if (!a || !b || failed(checkQuantElem(c, getA(), "a")) || failed(checkQuantElem(c, getB(), "b")) ||
      failed(checkQuantElem(c, getYZeroPoint(), "y_zero_point")))
    return failure();
  auto out = matmulShape(c, a, b);
  if (failed(out))
    return failure();
  return c.add(*out, IntegerType::get(getContext(), 8));
}

INFER(QLinearConvOp) {
  CTX;
  auto x = c.ranked(getX(), "x"), w = c.ranked(getW(), "w");
  if (!x || !w || failed(checkQuantElem(c, getX(), "x")) || failed(checkQuantElem(c, getW(), "w")) ||
      failed(checkQuantElem(c, getYZeroPoint(), "y_zero_point")))
    return failure();
  auto out = convShape(c, x, w, getGroup(), getKernelShape(), getStrides(), getDilations(),
                            getPads(), getAutoPad());
  if (failed(out))
    return failure();
  return c.add(*out, IntegerType::get(getContext(), 8));
}

INFER(DetOp) {
  CTX;
  auto x = c.ranked(getX(), "X");
  if (!x)
    return failure();
  if (x.getRank() < 2 || !isa<FloatType>(x.getElementType()))
    return c.error() << "X must be a float tensor [..., M, M]";
  int64_t m = x.getDimSize(x.getRank() - 1), n = x.getDimSize(x.getRank() - 2);
  if (m != kDyn && n != kDyn && m != n)
    return c.error() << "the matrices must be square; got " << n << " x " << m;
  return c.add(x.getShape().drop_back(2), x.getElementType());
}

static LogicalResult inferWindow(Ctx &c, Value size, int64_t dtype) {
  Type e = kiln::onnxElementType(c.op->getContext(), dtype);
  if (!e)
    return c.error() << "unsupported output_datatype " << dtype;
  auto t = c.ranked(size, "size");
  if (!t)
    return failure();
  if (t.getNumElements() != 1 || !isa<IntegerType>(t.getElementType()))
    return c.error() << "size must be an integer scalar";
  SmallVector<int64_t> v;
  int64_t n = kDyn;
  if (getConstantIntValues(size, v) && v.size() == 1) {
    if (v[0] < 0)
      return c.error() << "size must be non-negative";
    n = v[0];
  }
  return c.add({n}, e);
}
INFER(HannWindowOp) { CTX; return inferWindow(c, getSize(), getOutputDatatype()); }
INFER(HammingWindowOp) { CTX; return inferWindow(c, getSize(), getOutputDatatype()); }
INFER(BlackmanWindowOp) { CTX; return inferWindow(c, getSize(), getOutputDatatype()); }

INFER(DFTOp) {
  CTX;
  auto x = c.ranked(getInput(), "input");
  if (!x)
    return failure();
  int64_t r = x.getRank();
  if (r < 2 || (x.getDimSize(r - 1) != 1 && x.getDimSize(r - 1) != 2) ||
      !isa<FloatType>(x.getElementType()))
    return c.error() << "input must be a float tensor [..., 1 or 2]; got " << x;
  int64_t axis = 1;
  if (!qIsNone(getAxis())) {
    SmallVector<int64_t> a;
    if (!getConstantIntValues(getAxis(), a) || a.size() != 1)
      return c.error() << "axis must be a constant scalar";
    axis = a[0];
  }
  if (axis < 0)
    axis += r;
  if (axis < 0 || axis >= r - 1)
    return c.error() << "axis " << axis << " is out of range (the last dim holds the components)";
  int64_t n = x.getDimSize(axis);
  if (!qIsNone(getDftLength())) {
    SmallVector<int64_t> l;
    if (!getConstantIntValues(getDftLength(), l) || l.size() != 1)
      n = kDyn;
    else
      n = l[0];
  }
  if (getOnesided() && getInverse())
    return c.error() << "onesided inverse DFT is not supported";
  SmallVector<int64_t> out(x.getShape());
  out[axis] = getOnesided() && n != kDyn ? n / 2 + 1 : n;
  out[r - 1] = 2;
  return c.add(out, x.getElementType());
}

INFER(STFTOp) {
  CTX;
  auto s = c.ranked(getSignal(), "signal");
  if (!s)
    return failure();
  if (s.getRank() != 3 || (s.getDimSize(2) != 1 && s.getDimSize(2) != 2) ||
      !isa<FloatType>(s.getElementType()))
    return c.error() << "signal must be a float tensor [batch, length, 1 or 2]; got " << s;
  int64_t len = kDyn;
  if (!qIsNone(getWindow())) {
    auto w = c.ranked(getWindow(), "window");
    if (!w || w.getRank() != 1)
      return c.error() << "window must be 1-D";
    len = w.getDimSize(0);
  } else if (!qIsNone(getFrameLength())) {
    SmallVector<int64_t> l;
    if (getConstantIntValues(getFrameLength(), l) && l.size() == 1)
      len = l[0];
  } else {
    return c.error() << "needs a window or a frame_length";
  }
  SmallVector<int64_t> st;
  int64_t step = kDyn;
  if (getConstantIntValues(getFrameStep(), st) && st.size() == 1)
    step = st[0];
  int64_t frames = kDyn;
  if (step != kDyn && len != kDyn && s.getDimSize(1) != kDyn) {
    if (step <= 0 || len > s.getDimSize(1))
      return c.error() << "frame_step must be positive and the frame no longer than the signal";
    frames = (s.getDimSize(1) - len) / step + 1;
  }
  int64_t bins = len == kDyn ? kDyn : (getOnesided() ? len / 2 + 1 : len);
  return c.add({s.getDimSize(0), frames, bins, 2}, s.getElementType());
}

INFER(MelWeightMatrixOp) {
  CTX;
  Type e = kiln::onnxElementType(getContext(), getOutputDatatype());
  if (!e || !isa<FloatType>(e))
    return c.error() << "unsupported output_datatype " << getOutputDatatype();
  for (Value v : getOperands()) {
    auto t = c.ranked(v, "input");
    if (!t)
      return failure();
    if (t.getNumElements() != 1)
      return c.error() << "inputs must be scalars";
  }
  SmallVector<int64_t> bins, len;
  int64_t rows = kDyn, cols = kDyn;
  if (getConstantIntValues(getDftLength(), len) && len.size() == 1)
    rows = len[0] / 2 + 1;
  if (getConstantIntValues(getNumMelBins(), bins) && bins.size() == 1)
    cols = bins[0];
  return c.add({rows, cols}, e);
}

INFER(GridSampleOp) {
  CTX;
  auto x = c.ranked(getX(), "X"), g = c.ranked(getGrid(), "grid");
  if (!x || !g)
    return failure();
  if (x.getRank() != 4 || g.getRank() != 4 || (g.getDimSize(3) != kDyn && g.getDimSize(3) != 2))
    return c.error() << "only 2-D sampling is supported: X [N, C, H, W] and grid [N, H_out, W_out, 2]";
  if (!isa<FloatType>(x.getElementType()) || !isa<FloatType>(g.getElementType()))
    return c.error() << "X and grid must be float tensors";
  return c.add({x.getDimSize(0), x.getDimSize(1), g.getDimSize(1), g.getDimSize(2)}, x.getElementType());
}

INFER(RoiAlignOp) {
  CTX;
  auto x = c.ranked(getX(), "X"), r = c.ranked(getRois(), "rois");
  if (!x || !r)
    return failure();
  if (x.getRank() != 4 || r.getRank() != 2 || !isa<FloatType>(x.getElementType()))
    return c.error() << "X must be a float [N, C, H, W] tensor and rois [num_rois, 4]";
  return c.add({r.getDimSize(0), x.getDimSize(1), getOutputHeight(), getOutputWidth()},
               x.getElementType());
}

INFER(TfIdfVectorizerOp) {
  CTX;
  auto x = c.ranked(getX(), "X");
  if (!x)
    return failure();
  if (!isa<IntegerType>(x.getElementType()) || x.getRank() < 1 || x.getRank() > 2)
    return c.error() << "X must be a 1-D or 2-D integer tensor (string input is not supported)";
  if (!getPoolInt64s())
    return c.error() << "needs pool_int64s (string pools are not supported)";
  int64_t outLen = 0;
  for (Attribute a : getNgramIndexes())
    outLen = std::max<int64_t>(outLen, cast<IntegerAttr>(a).getInt() + 1);
  if (x.getRank() == 1)
    return c.add({outLen}, Float32Type::get(getContext()));
  return c.add({x.getDimSize(0), outLen}, Float32Type::get(getContext()));
}

// ---- conformance [quant]: add new entries above this line ----

#define GET_OP_CLASSES
#include "onnx/ONNXOps.cpp.inc"
