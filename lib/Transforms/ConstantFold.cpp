//===- ConstantFold.cpp - evaluate constant nn ops at compile time -------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// kiln-nn-constant-fold: nn ops whose operands are all constants are
// evaluated here and replaced by an arith.constant.  The arithmetic follows
// the lowering (NNToLinalg's scalar bodies): integers wrap, `mod` is
// floored, a zero divisor of `mod`/`udiv` gives 0, `max`/`min` of floats
// propagate NaN, ...  Values the lowering leaves undefined (signed integer
// division by zero or INT_MIN / -1, float-to-int casts out of range) are
// not folded.  Float functions (exp, tanh, ...) are computed with the C
// library in double and rounded to the element type, so they can differ
// from the generated code by an ulp or so.
//
//===----------------------------------------------------------------------===//

#include "kiln/Transforms/ConstantUtils.h"
#include "kiln/Transforms/Passes.h"
#include "kiln/Transforms/Statistics.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace kiln {
#define GEN_PASS_DEF_NNCONSTANTFOLD
#include "kiln/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

constexpr int64_t kMaxElements = 16 * 1024 * 1024;
constexpr int64_t kMinGrowthLimit = 1024;

/// A constant tensor being folded: floats (f32, f64) in `f` (f32 values are
/// exactly representable), integers of width `w` <= 64 in `i`, sign-extended
/// (i1 as 0 / 1).
struct CT {
  RankedTensorType type;
  bool isF = false;
  unsigned w = 0;
  SmallVector<double> f;
  SmallVector<int64_t> i;
  int64_t size() const { return isF ? (int64_t)f.size() : (int64_t)i.size(); }
};

/// v wrapped to a signed integer of width w (i1: 0 / 1).
int64_t norm(int64_t v, unsigned w) {
  if (w >= 64)
    return v;
  if (w == 1)
    return v & 1;
  return (int64_t)((uint64_t)v << (64 - w)) >> (64 - w);
}
uint64_t uval(int64_t v, unsigned w) {
  return w >= 64 ? (uint64_t)v : (uint64_t)v & ((1ull << w) - 1);
}
int64_t minOf(unsigned w) { return w >= 64 ? std::numeric_limits<int64_t>::min() : -(int64_t(1) << (w - 1)); }
int64_t maxOf(unsigned w) { return w >= 64 ? std::numeric_limits<int64_t>::max() : (int64_t(1) << (w - 1)) - 1; }

/// The element kinds folded: f32, f64 and signless integers of 1..64 bits.
bool supportedElement(Type t, bool &isF, unsigned &w) {
  if (t.isF32() || t.isF64()) {
    isF = true;
    w = t.getIntOrFloatBitWidth();
    return true;
  }
  if (auto it = dyn_cast<IntegerType>(t); it && it.isSignless() && it.getWidth() <= 64) {
    isF = false;
    w = it.getWidth();
    return true;
  }
  return false;
}

/// Reads a constant operand (dense or resource blob); at most `maxElems`.
bool readConst(Value v, CT &out, int64_t maxElems) {
  auto c = v.getDefiningOp<arith::ConstantOp>();
  if (!c)
    return false;
  auto type = dyn_cast<RankedTensorType>(c.getType());
  if (!type || !type.hasStaticShape() || type.getNumElements() > maxElems)
    return false;
  out.type = type;
  if (!supportedElement(type.getElementType(), out.isF, out.w))
    return false;
  int64_t n = type.getNumElements();
  if (auto d = dyn_cast<DenseElementsAttr>(c.getValue())) {
    if (out.isF) {
      if (d.isSplat()) {
        out.f.assign(n, d.getSplatValue<APFloat>().convertToDouble());
        return true;
      }
      out.f.reserve(n);
      for (APFloat x : d.getValues<APFloat>())
        out.f.push_back(x.convertToDouble());
      return true;
    }
    auto get = [&](const APInt &x) { return out.w == 1 ? (int64_t)x.getZExtValue() : x.getSExtValue(); };
    if (d.isSplat()) {
      out.i.assign(n, get(d.getSplatValue<APInt>()));
      return true;
    }
    out.i.reserve(n);
    for (APInt x : d.getValues<APInt>())
      out.i.push_back(get(x));
    return true;
  }
  if (auto r = dyn_cast<DenseResourceElementsAttr>(c.getValue())) {
    AsmResourceBlob *blob = r.getRawHandle().getBlob();
    if (!blob || out.w % 8 != 0)
      return false;
    ArrayRef<char> data = blob->getData();
    size_t bytes = out.w / 8;
    if (data.size() < bytes * n)
      return false;
    const char *p = data.data();
    if (out.isF) {
      out.f.resize(n);
      for (int64_t k = 0; k < n; ++k) {
        if (out.w == 32) {
          float x;
          std::memcpy(&x, p + 4 * k, 4);
          out.f[k] = x;
        } else {
          std::memcpy(&out.f[k], p + 8 * k, 8);
        }
      }
      return true;
    }
    out.i.resize(n);
    for (int64_t k = 0; k < n; ++k) {
      uint64_t x = 0;
      std::memcpy(&x, p + bytes * k, bytes); // little-endian host
      out.i[k] = norm((int64_t)x, out.w);
    }
    return true;
  }
  return false;
}

/// An empty result tensor of `type` (static, supported element type).
bool makeResult(Type t, CT &out) {
  auto type = dyn_cast<RankedTensorType>(t);
  if (!type || !type.hasStaticShape() || !supportedElement(type.getElementType(), out.isF, out.w))
    return false;
  out.type = type;
  if (out.isF)
    out.f.resize(type.getNumElements());
  else
    out.i.resize(type.getNumElements());
  return true;
}

/// Rounds to the element type (f32 values are kept as exact doubles).
double roundF(double v, unsigned w) { return w == 32 ? (double)(float)v : v; }

/// Writes `r` as an arith.constant: a splat when all elements are equal,
/// else dense, or a resource blob for f32 / i64 results over 16 elements.
Value materialize(OpBuilder &b, Location loc, const CT &r) {
  Type et = r.type.getElementType();
  int64_t n = r.size();
  bool splat = true;
  for (int64_t k = 1; k < n && splat; ++k)
    splat = r.isF ? std::memcmp(&r.f[k], &r.f[0], sizeof(double)) == 0 : r.i[k] == r.i[0];
  if (r.isF) {
    if (splat && n > 0) {
      auto ft = cast<FloatType>(et);
      APFloat v(r.f[0]);
      bool lost;
      v.convert(ft.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
      return arith::ConstantOp::create(b, loc, r.type, DenseElementsAttr::get(r.type, ArrayRef<APFloat>(v)));
    }
    if (r.w == 32) {
      SmallVector<float> v(r.f.begin(), r.f.end());
      return makeF32Constant(b, loc, r.type, v, "kiln_folded");
    }
    return arith::ConstantOp::create(b, loc, r.type, DenseElementsAttr::get(r.type, ArrayRef<double>(r.f)));
  }
  if (r.w == 64 && !splat)
    return makeI64Constant(b, loc, r.type, r.i, "kiln_folded");
  SmallVector<APInt> v;
  for (int64_t k = 0; k < (splat && n > 0 ? 1 : n); ++k)
    v.push_back(APInt(r.w, (uint64_t)r.i[k], /*isSigned=*/r.w > 1, /*implicitTrunc=*/true));
  if (splat && n > 0)
    return arith::ConstantOp::create(b, loc, r.type, DenseElementsAttr::get(r.type, ArrayRef<APInt>(v[0])));
  return arith::ConstantOp::create(b, loc, r.type, DenseElementsAttr::get(r.type, v));
}

/// Row-major strides of a static shape.
SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> s(shape.size(), 1);
  for (int64_t d = (int64_t)shape.size() - 2; d >= 0; --d)
    s[d] = s[d + 1] * shape[d + 1];
  return s;
}

/// Calls f(resultIndex, operandIndices) for every element of `res`, with
/// the operands broadcast to it (explicit rank, size-1 dims broadcast).
/// False if an operand does not broadcast to the result shape.
template <typename F>
bool forEachBroadcast(ArrayRef<int64_t> res, ArrayRef<RankedTensorType> ops, F f) {
  int64_t r = res.size();
  SmallVector<SmallVector<int64_t>> st;
  for (RankedTensorType t : ops) {
    if (t.getRank() != r)
      return false;
    SmallVector<int64_t> s = stridesOf(t.getShape());
    for (int64_t d = 0; d < r; ++d) {
      if (t.getDimSize(d) == 1 && res[d] != 1)
        s[d] = 0;
      else if (t.getDimSize(d) != res[d])
        return false;
    }
    st.push_back(s);
  }
  int64_t n = 1;
  for (int64_t d : res)
    n *= d;
  SmallVector<int64_t> idx(r, 0), off(ops.size(), 0);
  for (int64_t k = 0; k < n; ++k) {
    f(k, ArrayRef<int64_t>(off));
    for (int64_t d = r - 1; d >= 0; --d) {
      ++idx[d];
      for (size_t o = 0; o < ops.size(); ++o)
        off[o] += st[o][d];
      if (idx[d] < res[d])
        break;
      for (size_t o = 0; o < ops.size(); ++o)
        off[o] -= st[o][d] * idx[d];
      idx[d] = 0;
    }
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Scalar semantics (NNToLinalg's unaryScalar / binaryScalar / castScalar)
//===----------------------------------------------------------------------===//

std::optional<double> unaryF(nn::UnaryKind k, double x) {
  switch (k) {
  case nn::UnaryKind::relu: return std::isnan(x) ? x : (x > 0 ? x : 0.0); // maximumf(x, 0); -0 -> +0
  case nn::UnaryKind::neg: return -x;
  case nn::UnaryKind::abs: return std::fabs(x);
  case nn::UnaryKind::sqrt: return std::sqrt(x);
  case nn::UnaryKind::exp: return std::exp(x);
  case nn::UnaryKind::log: return std::log(x);
  case nn::UnaryKind::reciprocal: return 1.0 / x;
  case nn::UnaryKind::floor: return std::floor(x);
  case nn::UnaryKind::ceil: return std::ceil(x);
  case nn::UnaryKind::round: return std::nearbyint(x); // default rounding: half to even
  case nn::UnaryKind::sign: return x > 0 ? 1.0 : (x < 0 ? -1.0 : x);
  case nn::UnaryKind::sigmoid: return 1.0 / (1.0 + std::exp(-x));
  case nn::UnaryKind::tanh: return std::tanh(x);
  case nn::UnaryKind::erf: return std::erf(x);
  default: return std::nullopt;
  }
}

std::optional<int64_t> unaryI(nn::UnaryKind k, int64_t x, unsigned w) {
  switch (k) {
  case nn::UnaryKind::logical_not: return w == 1 ? std::optional<int64_t>(x ^ 1) : std::nullopt;
  case nn::UnaryKind::bitwise_not: return norm(~x, w);
  case nn::UnaryKind::neg: return w == 1 ? std::nullopt : std::optional<int64_t>(norm((int64_t)(0ull - (uint64_t)x), w));
  case nn::UnaryKind::abs:
    return w == 1 ? std::nullopt : std::optional<int64_t>(norm(x < 0 ? (int64_t)(0ull - (uint64_t)x) : x, w));
  case nn::UnaryKind::relu: return w == 1 ? std::nullopt : std::optional<int64_t>(x > 0 ? x : 0);
  case nn::UnaryKind::sign: return w == 1 ? std::nullopt : std::optional<int64_t>(x > 0 ? 1 : (x < 0 ? -1 : 0));
  default: return std::nullopt;
  }
}

double maximumF(double a, double b) {
  if (std::isnan(a) || std::isnan(b))
    return std::numeric_limits<double>::quiet_NaN();
  if (a == b)
    return std::signbit(a) ? b : a; // max(-0, +0) = +0
  return a > b ? a : b;
}
double minimumF(double a, double b) {
  if (std::isnan(a) || std::isnan(b))
    return std::numeric_limits<double>::quiet_NaN();
  if (a == b)
    return std::signbit(a) ? a : b;
  return a < b ? a : b;
}

bool isComparison(nn::BinaryKind k) {
  switch (k) {
  case nn::BinaryKind::eq: case nn::BinaryKind::lt: case nn::BinaryKind::gt:
  case nn::BinaryKind::ge: case nn::BinaryKind::le: case nn::BinaryKind::ult:
  case nn::BinaryKind::ugt: case nn::BinaryKind::ule: case nn::BinaryKind::uge:
    return true;
  default:
    return false;
  }
}

/// Float binary op; comparisons give 0 / 1 in `cmp`.
std::optional<double> binaryF(nn::BinaryKind k, double x, double y, unsigned w) {
  switch (k) {
  case nn::BinaryKind::add: return x + y;
  case nn::BinaryKind::sub: return x - y;
  case nn::BinaryKind::mul: return x * y;
  case nn::BinaryKind::div: return x / y;
  case nn::BinaryKind::pow: return w == 32 ? (double)std::pow((float)x, (float)y) : std::pow(x, y);
  case nn::BinaryKind::max: return maximumF(x, y);
  case nn::BinaryKind::min: return minimumF(x, y);
  case nn::BinaryKind::eq: return x == y ? 1.0 : 0.0;
  case nn::BinaryKind::lt: return x < y ? 1.0 : 0.0;
  case nn::BinaryKind::gt: return x > y ? 1.0 : 0.0;
  case nn::BinaryKind::ge: return x >= y ? 1.0 : 0.0;
  case nn::BinaryKind::le: return x <= y ? 1.0 : 0.0;
  case nn::BinaryKind::fmod:
  case nn::BinaryKind::mod: {
    double r = std::fmod(x, y);
    if (k == nn::BinaryKind::mod && r != 0 && ((r < 0) != (y < 0)))
      r += y;
    return r;
  }
  case nn::BinaryKind::prelu: return x < 0 ? x * y : x;
  default: return std::nullopt;
  }
}

std::optional<int64_t> binaryI(nn::BinaryKind k, int64_t x, int64_t y, unsigned w) {
  uint64_t ux = uval(x, w), uy = uval(y, w);
  auto wrap = [&](uint64_t v) { return norm((int64_t)v, w); };
  if (w == 1) {
    switch (k) {
    case nn::BinaryKind::logical_and: case nn::BinaryKind::bitwise_and: return x & y;
    case nn::BinaryKind::logical_or: case nn::BinaryKind::bitwise_or: return x | y;
    case nn::BinaryKind::logical_xor: case nn::BinaryKind::bitwise_xor: return x ^ y;
    case nn::BinaryKind::eq: return x == y;
    default: return std::nullopt; // i1 arithmetic: not folded
    }
  }
  switch (k) {
  case nn::BinaryKind::add: return wrap((uint64_t)x + (uint64_t)y);
  case nn::BinaryKind::sub: return wrap((uint64_t)x - (uint64_t)y);
  case nn::BinaryKind::mul: return wrap((uint64_t)x * (uint64_t)y);
  case nn::BinaryKind::div:
    if (y == 0 || (x == minOf(w) && y == -1))
      return std::nullopt; // arith.divsi: undefined
    return x / y;
  case nn::BinaryKind::mod:
  case nn::BinaryKind::fmod: {
    if (y == 0 || y == -1)
      return 0; // the lowering's intRemScalar
    int64_t r = x % y;
    if (k == nn::BinaryKind::mod && r != 0 && ((r < 0) != (y < 0)))
      r += y;
    return r;
  }
  case nn::BinaryKind::udiv: return uy == 0 ? 0 : wrap(ux / uy);
  case nn::BinaryKind::umod: return uy == 0 ? 0 : wrap(ux % uy);
  case nn::BinaryKind::pow: {
    if (y < 0)
      return x == 1 ? 1 : (x == -1 ? ((y & 1) ? -1 : 1) : 0);
    uint64_t r = 1, base = (uint64_t)x, e = (uint64_t)y;
    while (e) {
      if (e & 1)
        r *= base;
      base *= base;
      e >>= 1;
    }
    return wrap(r);
  }
  case nn::BinaryKind::max: return std::max(x, y);
  case nn::BinaryKind::min: return std::min(x, y);
  case nn::BinaryKind::umax: return ux >= uy ? x : y;
  case nn::BinaryKind::umin: return ux <= uy ? x : y;
  case nn::BinaryKind::eq: return x == y;
  case nn::BinaryKind::lt: return x < y;
  case nn::BinaryKind::gt: return x > y;
  case nn::BinaryKind::ge: return x >= y;
  case nn::BinaryKind::le: return x <= y;
  case nn::BinaryKind::ult: return ux < uy;
  case nn::BinaryKind::ugt: return ux > uy;
  case nn::BinaryKind::ule: return ux <= uy;
  case nn::BinaryKind::uge: return ux >= uy;
  case nn::BinaryKind::shl: return uy >= w ? 0 : wrap(ux << uy);
  case nn::BinaryKind::shru: return uy >= w ? 0 : wrap(ux >> uy);
  case nn::BinaryKind::bitwise_and: return x & y;
  case nn::BinaryKind::bitwise_or: return x | y;
  case nn::BinaryKind::bitwise_xor: return x ^ y;
  case nn::BinaryKind::prelu: return x < 0 ? wrap((uint64_t)x * (uint64_t)y) : x;
  default: return std::nullopt;
  }
}

//===----------------------------------------------------------------------===//
// Folders: each fills `r` (created from the op's result type) or fails.
//===----------------------------------------------------------------------===//

struct Folder {
  Operation *op;
  SmallVector<CT> in; // the operands, all constants
  CT r;

  bool elementwise(ArrayRef<int> which, llvm::function_ref<bool(int64_t, ArrayRef<int64_t>)> f) {
    SmallVector<RankedTensorType> ts;
    for (int o : which)
      ts.push_back(in[o].type);
    bool ok = true;
    if (!forEachBroadcast(r.type.getShape(), ts, [&](int64_t k, ArrayRef<int64_t> off) {
          if (ok)
            ok = f(k, off);
        }))
      return false;
    return ok;
  }

  bool unary(nn::UnaryOp u) {
    const CT &x = in[0];
    if (x.isF != r.isF || x.w != r.w || x.type.getShape() != r.type.getShape())
      return false;
    for (int64_t k = 0, n = x.size(); k < n; ++k) {
      if (x.isF) {
        std::optional<double> v = unaryF(u.getKind(), x.f[k]);
        if (!v)
          return false;
        r.f[k] = roundF(*v, r.w);
      } else {
        std::optional<int64_t> v = unaryI(u.getKind(), x.i[k], x.w);
        if (!v)
          return false;
        r.i[k] = *v;
      }
    }
    return true;
  }

  bool binary(nn::BinaryOp b) {
    const CT &x = in[0], &y = in[1];
    nn::BinaryKind k = b.getKind();
    if (x.isF != y.isF || x.w != y.w)
      return false;
    bool cmp = isComparison(k);
    if (cmp ? (r.isF || r.w != 1) : (r.isF != x.isF || r.w != x.w))
      return false;
    return elementwise({0, 1}, [&](int64_t o, ArrayRef<int64_t> off) {
      if (x.isF) {
        std::optional<double> v = binaryF(k, x.f[off[0]], y.f[off[1]], x.w);
        if (!v)
          return false;
        if (cmp)
          r.i[o] = *v != 0;
        else
          r.f[o] = roundF(*v, r.w);
        return true;
      }
      std::optional<int64_t> v = binaryI(k, x.i[off[0]], y.i[off[1]], x.w);
      if (!v)
        return false;
      r.i[o] = *v;
      return true;
    });
  }

  bool clamp(nn::ClampOp c) {
    const CT &x = in[0];
    if (x.isF != r.isF || x.w != r.w || x.type.getShape() != r.type.getShape())
      return false;
    std::optional<double> lo, hi;
    if (c.getMin())
      lo = c.getMin()->convertToDouble();
    if (c.getMax())
      hi = c.getMax()->convertToDouble();
    std::optional<int64_t> ilo, ihi;
    if (!x.isF) {
      // The lowering makes an integer constant of each bound: only exact,
      // in-range integral bounds are folded.
      for (auto [bd, ib] : {std::pair{lo, &ilo}, std::pair{hi, &ihi}}) {
        if (!bd)
          continue;
        if (x.w == 1 || *bd != std::trunc(*bd) || *bd < (double)minOf(x.w) || *bd > (double)maxOf(x.w))
          return false;
        *ib = (int64_t)*bd;
      }
    }
    for (int64_t k = 0, n = x.size(); k < n; ++k) {
      if (x.isF) {
        double v = x.f[k];
        if (lo)
          v = maximumF(v, roundF(*lo, x.w));
        if (hi)
          v = minimumF(v, roundF(*hi, x.w));
        r.f[k] = v;
      } else {
        int64_t v = x.i[k];
        if (ilo)
          v = std::max(v, *ilo);
        if (ihi)
          v = std::min(v, *ihi);
        r.i[k] = v;
      }
    }
    return true;
  }

  bool select(nn::SelectOp) {
    const CT &c = in[0], &t = in[1], &f = in[2];
    if (c.isF || c.w != 1 || t.isF != r.isF || f.isF != r.isF || t.w != r.w || f.w != r.w)
      return false;
    return elementwise({0, 1, 2}, [&](int64_t o, ArrayRef<int64_t> off) {
      const CT &s = c.i[off[0]] ? t : f;
      int64_t si = c.i[off[0]] ? off[1] : off[2];
      if (r.isF)
        r.f[o] = s.f[si];
      else
        r.i[o] = s.i[si];
      return true;
    });
  }

  /// (float(x) - float(zero_point)) * scale in the scale's float type, each
  /// step rounded as the lowering's f32 ops round it.
  bool dequantize(nn::DequantizeOp d) {
    const CT &x = in[0], &s = in[1];
    if (x.isF || !s.isF || !r.isF || r.w != s.w || (in.size() > 2 && in[2].isF))
      return false;
    bool u = d.getUnsignedInput();
    auto toF = [&](const CT &c, int64_t k) {
      return roundF((u || c.w == 1) ? (double)uval(c.i[k], c.w) : (double)c.i[k], r.w);
    };
    SmallVector<int> which{0, 1};
    if (in.size() > 2)
      which.push_back(2);
    return elementwise(which, [&](int64_t o, ArrayRef<int64_t> off) {
      double v = toF(x, off[0]);
      if (in.size() > 2)
        v = roundF(v - toF(in[2], off[2]), r.w);
      r.f[o] = roundF(v * s.f[off[1]], r.w);
      return true;
    });
  }

  bool castOp(nn::CastOp c) {
    const CT &x = in[0];
    if (x.type.getShape() != r.type.getShape())
      return false;
    bool uSrc = c.getUnsignedSrc(), uDst = c.getUnsignedDst();
    for (int64_t k = 0, n = x.size(); k < n; ++k) {
      if (x.isF && r.isF) {
        r.f[k] = roundF(x.f[k], r.w);
      } else if (!r.isF && r.w == 1) {
        r.i[k] = x.isF ? (x.f[k] != 0 || std::isnan(x.f[k])) : (x.i[k] != 0);
      } else if (!x.isF && r.isF) {
        bool u = uSrc || x.w == 1;
        if (r.w == 32)
          r.f[k] = u ? (double)(float)uval(x.i[k], x.w) : (double)(float)x.i[k];
        else
          r.f[k] = u ? (double)uval(x.i[k], x.w) : (double)x.i[k];
      } else if (x.isF && !r.isF) {
        double t = std::trunc(x.f[k]);
        if (std::isnan(t))
          return false;
        if (uDst) {
          // fptoui: defined for 0 <= t < 2^w.
          if (t < 0 || t >= std::ldexp(1.0, r.w))
            return false;
          r.i[k] = norm((int64_t)(uint64_t)t, r.w);
        } else {
          if (t < -std::ldexp(1.0, r.w - 1) || t >= std::ldexp(1.0, r.w - 1))
            return false;
          r.i[k] = (int64_t)t;
        }
      } else { // int -> int
        if (x.w > r.w)
          r.i[k] = norm(x.i[k], r.w);
        else
          r.i[k] = (uSrc || x.w == 1) ? (int64_t)uval(x.i[k], x.w) : x.i[k];
      }
    }
    return true;
  }

  /// Data movement: r[k] = in[src][idx].
  void copy(int64_t k, const CT &src, int64_t idx) {
    if (r.isF)
      r.f[k] = src.f[idx];
    else
      r.i[k] = src.i[idx];
  }
  bool sameElement(const CT &x) const { return x.isF == r.isF && x.w == r.w; }

  bool transpose(nn::TransposeOp t) {
    const CT &x = in[0];
    ArrayRef<int64_t> perm = t.getPerm();
    int64_t rank = r.type.getRank();
    if (!sameElement(x) || (int64_t)perm.size() != rank || x.type.getRank() != rank)
      return false;
    SmallVector<int64_t> xs = stridesOf(x.type.getShape()), st(rank);
    for (int64_t d = 0; d < rank; ++d) {
      if (perm[d] < 0 || perm[d] >= rank || x.type.getDimSize(perm[d]) != r.type.getDimSize(d))
        return false;
      st[d] = xs[perm[d]];
    }
    return forEachStrided(st, [&](int64_t k, int64_t off) { copy(k, x, off); });
  }

  /// f(k, offset) over the result with per-dim input strides `st` (offset
  /// starting at `base`).
  template <typename F>
  bool forEachStrided(ArrayRef<int64_t> st, F f, int64_t base = 0) {
    ArrayRef<int64_t> shape = r.type.getShape();
    int64_t rank = shape.size(), n = r.size(), off = base;
    SmallVector<int64_t> idx(rank, 0);
    for (int64_t k = 0; k < n; ++k) {
      f(k, off);
      for (int64_t d = rank - 1; d >= 0; --d) {
        ++idx[d];
        off += st[d];
        if (idx[d] < shape[d])
          break;
        off -= st[d] * idx[d];
        idx[d] = 0;
      }
    }
    return true;
  }

  bool reshape(nn::ReshapeOp) {
    const CT &x = in[0];
    if (!sameElement(x) || x.size() != r.size())
      return false;
    r.f = x.f;
    r.i = x.i;
    return true;
  }

  bool broadcast(nn::BroadcastOp) {
    const CT &x = in[0];
    if (!sameElement(x))
      return false;
    return elementwise({0}, [&](int64_t o, ArrayRef<int64_t> off) {
      copy(o, x, off[0]);
      return true;
    });
  }

  bool concat(nn::ConcatOp c) {
    int64_t axis = c.getAxis(), rank = r.type.getRank();
    if (axis < 0 || axis >= rank)
      return false;
    // Row-major: the result is, for each outer index, the inputs' blocks
    // along `axis` one after another.
    int64_t outer = 1, inner = 1, total = 0;
    for (int64_t d = 0; d < axis; ++d)
      outer *= r.type.getDimSize(d);
    for (int64_t d = axis + 1; d < rank; ++d)
      inner *= r.type.getDimSize(d);
    for (const CT &x : in) {
      if (!sameElement(x) || x.type.getRank() != rank)
        return false;
      for (int64_t d = 0; d < rank; ++d)
        if (d != axis && x.type.getDimSize(d) != r.type.getDimSize(d))
          return false;
      total += x.type.getDimSize(axis);
    }
    if (total != r.type.getDimSize(axis))
      return false;
    int64_t k = 0;
    for (int64_t o = 0; o < outer; ++o)
      for (const CT &x : in) {
        int64_t blk = x.type.getDimSize(axis) * inner;
        for (int64_t j = 0; j < blk; ++j)
          copy(k++, x, o * blk + j);
      }
    return true;
  }

  bool slice(nn::SliceOp s) {
    const CT &x = in[0];
    int64_t rank = r.type.getRank();
    ArrayRef<int64_t> off = s.getOffsets(), str = s.getStrides();
    if (!sameElement(x) || x.type.getRank() != rank || (int64_t)off.size() != rank ||
        (int64_t)str.size() != rank)
      return false;
    SmallVector<int64_t> xs = stridesOf(x.type.getShape()), st(rank);
    int64_t base = 0;
    for (int64_t d = 0; d < rank; ++d) {
      int64_t n = r.type.getDimSize(d), dim = x.type.getDimSize(d);
      // Every read index off + i * stride (i < n) must be in the input.
      if (n > 0 && (off[d] < 0 || off[d] >= dim || off[d] + (n - 1) * str[d] < 0 ||
                    off[d] + (n - 1) * str[d] >= dim))
        return false;
      st[d] = xs[d] * str[d];
      base += xs[d] * off[d];
    }
    if (r.size() == 0)
      return true;
    return forEachStrided(st, [&](int64_t k, int64_t o) { copy(k, x, o); }, base);
  }

  bool gather(nn::GatherOp g) {
    const CT &x = in[0], &ind = in[1];
    int64_t axis = g.getAxis(), xr = x.type.getRank(), ir = ind.type.getRank();
    if (!sameElement(x) || ind.isF || axis < 0 || axis >= xr || r.type.getRank() != xr + ir - 1)
      return false;
    int64_t outer = 1, inner = 1, dim = x.type.getDimSize(axis);
    for (int64_t d = 0; d < axis; ++d)
      outer *= x.type.getDimSize(d);
    for (int64_t d = axis + 1; d < xr; ++d)
      inner *= x.type.getDimSize(d);
    if (dim == 0)
      return false;
    // Result dims: input dims before axis, index dims, input dims after.
    for (int64_t d = 0; d < r.type.getRank(); ++d) {
      int64_t want = d < axis ? x.type.getDimSize(d)
                     : d < axis + ir ? ind.type.getDimSize(d - axis)
                                     : x.type.getDimSize(d - ir + 1);
      if (r.type.getDimSize(d) != want)
        return false;
    }
    int64_t k = 0;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t j = 0, nj = ind.size(); j < nj; ++j) {
        // The lowering wraps negative indices, then clamps into range.
        int64_t iv = ind.i[j];
        if (iv < 0)
          iv += dim;
        iv = std::min(std::max<int64_t>(iv, 0), dim - 1);
        for (int64_t q = 0; q < inner; ++q)
          copy(k++, x, (o * dim + iv) * inner + q);
      }
    return k == r.size();
  }
};

/// nn.shape_of of an input whose dims [start, end) are static.
bool foldShapeOf(nn::ShapeOfOp s, CT &r) {
  auto xt = cast<RankedTensorType>(s.getInput().getType());
  if (!makeResult(s.getType(), r) || r.isF || r.w != 64)
    return false;
  int64_t start = s.getStart(), end = s.getEnd();
  if (start < 0 || end > xt.getRank() || end - start != r.size())
    return false;
  for (int64_t d = start; d < end; ++d) {
    if (xt.isDynamicDim(d))
      return false;
    r.i[d - start] = xt.getDimSize(d);
  }
  return true;
}

bool isFoldable(Operation *op) {
  return isa<nn::UnaryOp, nn::BinaryOp, nn::ClampOp, nn::SelectOp, nn::CastOp, nn::DequantizeOp,
             nn::TransposeOp, nn::ReshapeOp, nn::ConcatOp, nn::SliceOp, nn::GatherOp, nn::BroadcastOp>(op);
}

/// Evaluates `op` if its operands are all constants and the result is not
/// too large; the result tensor in `r`.
bool evaluate(Operation *op, CT &r) {
  if (auto s = dyn_cast<nn::ShapeOfOp>(op))
    return foldShapeOf(s, r);
  if (!isFoldable(op) || op->getNumResults() != 1 || op->getNumOperands() == 0)
    return false;
  auto rt = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!rt || !rt.hasStaticShape())
    return false;
  int64_t n = rt.getNumElements();
  if (n > kMaxElements)
    return false;
  // Reads the operands (none larger than 16M elements) and checks the
  // growth limit.
  Folder f{op, {}, {}};
  int64_t largest = 0;
  for (Value v : op->getOperands()) {
    if (!v.getDefiningOp<arith::ConstantOp>())
      return false;
    auto vt = dyn_cast<RankedTensorType>(v.getType());
    if (!vt || !vt.hasStaticShape())
      return false;
    largest = std::max(largest, vt.getNumElements());
  }
  if (n > std::max(kMinGrowthLimit, largest))
    return false;
  // Reshape / broadcast `shape` operands only restate the static result
  // type: they are not read.
  unsigned numData = op->getNumOperands();
  if (isa<nn::ReshapeOp, nn::BroadcastOp>(op))
    numData = 1;
  for (unsigned o = 0; o < numData; ++o) {
    CT c;
    if (!readConst(op->getOperand(o), c, kMaxElements))
      return false;
    f.in.push_back(std::move(c));
  }
  if (!makeResult(rt, f.r))
    return false;
  bool ok = llvm::TypeSwitch<Operation *, bool>(op)
                .Case([&](nn::UnaryOp u) { return f.unary(u); })
                .Case([&](nn::BinaryOp b) { return f.binary(b); })
                .Case([&](nn::ClampOp c) { return f.clamp(c); })
                .Case([&](nn::SelectOp s) { return f.select(s); })
                .Case([&](nn::CastOp c) { return f.castOp(c); })
                .Case([&](nn::DequantizeOp d) { return f.dequantize(d); })
                .Case([&](nn::TransposeOp t) { return f.transpose(t); })
                .Case([&](nn::ReshapeOp t) { return f.reshape(t); })
                .Case([&](nn::ConcatOp c) { return f.concat(c); })
                .Case([&](nn::SliceOp s) { return f.slice(s); })
                .Case([&](nn::GatherOp g) { return f.gather(g); })
                .Case([&](nn::BroadcastOp b) { return f.broadcast(b); })
                .Default([](Operation *) { return false; });
  if (!ok)
    return false;
  r = std::move(f.r);
  return true;
}

/// `rs`'s constant input as a constant of `rs`'s (static) type, sharing the
/// data; null if it is not such a reshape.
Value reshapedConstant(OpBuilder &b, nn::ReshapeOp rs) {
  auto k = rs.getInput().getDefiningOp<arith::ConstantOp>();
  auto rt = dyn_cast<RankedTensorType>(rs.getType());
  if (!k || rs.getShape() || !rt || !rt.hasStaticShape())
    return {};
  auto it = dyn_cast<RankedTensorType>(k.getType());
  if (!it || !it.hasStaticShape() || it.getNumElements() != rt.getNumElements())
    return {};
  if (auto d = dyn_cast<DenseElementsAttr>(k.getValue()))
    return arith::ConstantOp::create(b, rs.getLoc(), rt, d.reshape(rt));
  if (auto r = dyn_cast<DenseResourceElementsAttr>(k.getValue()))
    return arith::ConstantOp::create(b, rs.getLoc(), rt, DenseResourceElementsAttr::get(rt, r.getRawHandle()));
  return {};
}

struct NNConstantFoldPass : kiln::impl::NNConstantFoldBase<NNConstantFoldPass> {
  void runOnOperation() override {
    auto &numFolded = passStatistic(getArgument(), "folded", "nn ops evaluated at compile time");
    // Pre-order: producers come before their users, so a chain of constant
    // ops folds in one walk.
    SmallVector<Operation *> ops;
    getOperation().walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (isFoldable(op) || isa<nn::ShapeOfOp>(op))
        ops.push_back(op);
    });
    uint64_t folded = 0;
    for (Operation *op : ops) {
      OpBuilder b(op);
      Value c;
      // A reshape of a constant keeps its elements: the same data under the
      // new type (a resource blob is shared, not copied).
      if (auto rs = dyn_cast<nn::ReshapeOp>(op))
        c = reshapedConstant(b, rs);
      if (!c) {
        CT r;
        if (!evaluate(op, r))
          continue;
        c = materialize(b, op->getLoc(), r);
      }
      op->getResult(0).replaceAllUsesWith(c);
      llvm::SmallSetVector<Operation *, 4> producers;
      for (Value v : op->getOperands())
        if (auto k = v.getDefiningOp<arith::ConstantOp>())
          producers.insert(k);
      op->erase();
      // Constants that only fed the folded op go too.
      for (Operation *k : producers)
        if (k->use_empty())
          k->erase();
      ++folded;
    }
    numFolded += folded;
  }
};

} // namespace
