//===- RuntimeChecks.cpp - checks of data-dependent values -----------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// kiln-insert-runtime-checks: before nn ops are lowered, inserts an nn.check
// in front of every op whose result is undefined for some run-time values:
//
//   op                         checked                                  values
//   gather, gather_elements,   every index in [-d, d-1], d the size of  index, -d, d-1
//   scatter_elements           the indexed axis
//   gather_nd, scatter_nd      index component j in [-d_j, d_j - 1]     index, -d_j, d_j-1
//   binary div/udiv/mod/umod/  (integer) no zero in the divisor         number of zeros
//   fmod
//   topk (run-time k)          0 <= k <= size of the axis               k, size
//   reduce_axes                every axis in [-r, r-1], none repeated   axis, -r, r-1 / axis, count
//   reshape (run-time sizes)   each target dim >= 0 (or the static      dim / elements, input
//                              size), elements equal the input's        elements            (stop)
//   broadcast (run-time sizes) each input dim 1 or the result's, the    input dim, result dim
//                              result dim >= 0                                              (stop)
//
// The condition is computed by one pass over the checked tensor (min and max
// of the indices, the count of zero divisors: an scf.for nest with SSA
// accumulators, which LLVM vectorizes; per-component min/max of GatherND
// indices and per-axis counts: a linalg.generic), not a call per element.  Constant
// operands are checked here instead, at compile time: a bad constant is a
// compile error naming the node.  OneHot is not checked: ONNX defines an
// out-of-range index (an all-`off` row).
//
// The lowerings of the index and divisor ops keep clamping bad values
// (RuntimeChecks.h), so the rest of the run is memory-safe; the target
// records the first failed check (kiln-cpu-lower-runtime-checks) and the
// runtime returns KILN_ERROR_INVALID_INPUT instead of the outputs.  Sizes
// cannot be clamped (every op after a bad Reshape would see a shape that
// does not match its data), so those checks carry `stop`: a failure ends
// the run there.
//
//===----------------------------------------------------------------------===//

#include "RuntimeChecks.h"

#include "kiln/Conversion/Passes.h"

#include "kiln/Support/NodeLocation.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/TypeSwitch.h"

namespace kiln {
#define GEN_PASS_DEF_INSERTRUNTIMECHECKS
#include "kiln/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;
namespace nn = kiln::nn;

Value kiln::safeSignedDiv(OpBuilder &b, Location loc, Value x, Value y) {
  Type t = x.getType();
  auto c = [&](int64_t v) -> Value {
    return arith::ConstantOp::create(b, loc, t, b.getIntegerAttr(t, v));
  };
  Value zero = c(0);
  Value yZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, y, zero);
  Value yMinusOne = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, y, c(-1));
  Value bad = arith::OrIOp::create(b, loc, yZero, yMinusOne);
  Value safeY = arith::SelectOp::create(b, loc, bad, c(1), y);
  Value q = arith::DivSIOp::create(b, loc, x, safeY);
  q = arith::SelectOp::create(b, loc, yMinusOne, arith::SubIOp::create(b, loc, zero, x), q);
  return arith::SelectOp::create(b, loc, yZero, zero, q);
}

Value kiln::clampIndex(OpBuilder &b, Location loc, Value v, Value lo, Value hi) {
  return arith::MinSIOp::create(b, loc, arith::MaxSIOp::create(b, loc, v, lo), hi);
}

namespace {

RankedTensorType rtt(Value v) { return cast<RankedTensorType>(v.getType()); }

Value i64c(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIntOp::create(b, loc, b.getI64Type(), v);
}

/// Size of dim `i` of `t` as i64.
Value dimI64(OpBuilder &b, Location loc, Value t, int64_t i) {
  auto type = rtt(t);
  if (!type.isDynamicDim(i))
    return i64c(b, loc, type.getDimSize(i));
  Value d = tensor::DimOp::create(b, loc, t, i);
  return arith::IndexCastOp::create(b, loc, b.getI64Type(), d);
}

Value toI64(OpBuilder &b, Location loc, Value v) {
  if (v.getType() == b.getI64Type())
    return v;
  return arith::ExtSIOp::create(b, loc, b.getI64Type(), v);
}

/// A check's message template may not contain "{0}".."{2}" except where it
/// means them: names are quoted, braces in names are kept as they are (the
/// runtime only replaces the three exact placeholders).
struct Checker {
  OpBuilder &b;
  DictionaryAttr nodeTypes; // kiln.profile.node_types (null: not recorded)

  /// "node 'Gather_3' (Gather)": the op's ONNX node and op type
  /// (`fallbackType` when the importer did not record node types).
  std::string node(Operation *op, StringRef fallbackType) {
    StringRef name = kiln::onnxNodeName(op->getLoc(), nodeTypes);
    std::string type = fallbackType.str();
    if (nodeTypes && !name.empty())
      if (auto t = nodeTypes.getAs<StringAttr>(name))
        type = t.str();
    if (name.empty())
      return "op '" + op->getName().getStringRef().str() + "'";
    return "node '" + name.str() + "' (" + type + ")";
  }

  /// How a message names tensor `v`: "'x'" for a graph input or an
  /// initializer, "the output of node 'N'" otherwise.
  std::string tensor(Value v) {
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      if (auto f = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp()))
        if (auto n = f.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "kiln.name"))
          return "'" + n.str() + "'";
      return "a loop or branch argument";
    }
    Operation *def = v.getDefiningOp();
    StringRef name = kiln::onnxNodeName(def->getLoc(), DictionaryAttr());
    if (name.empty())
      return "an intermediate tensor";
    if (isa<arith::ConstantOp>(def))
      return "'" + name.str() + "'";
    return "the output of node '" + name.str() + "'";
  }

  /// `stop`: a failure ends the run (nn.check's `stop`).
  void check(Location loc, Value ok, const std::string &message, ValueRange values, bool stop = false) {
    nn::CheckOp::create(b, loc, ok, values, b.getStringAttr(message), stop ? b.getUnitAttr() : UnitAttr());
  }

  /// Integer elements of a constant tensor (dense or resource); false if `v`
  /// is not a constant.
  static bool constantInts(Value v, SmallVectorImpl<int64_t> &out) {
    Attribute attr;
    if (!matchPattern(v, m_Constant(&attr)))
      return false;
    if (auto dense = dyn_cast<DenseIntElementsAttr>(attr)) {
      for (const APInt &x : dense.getValues<APInt>())
        out.push_back(x.getSExtValue());
      return true;
    }
    if (auto r = dyn_cast<DenseI64ResourceElementsAttr>(attr)) {
      auto vals = r.tryGetAsArrayRef();
      if (!vals)
        return false;
      out.append(vals->begin(), vals->end());
      return true;
    }
    if (auto r = dyn_cast<DenseI32ResourceElementsAttr>(attr)) {
      auto vals = r.tryGetAsArrayRef();
      if (!vals)
        return false;
      out.append(vals->begin(), vals->end());
      return true;
    }
    return false;
  }

  /// Folds `step` over every element of `t` (as i64) in row-major order,
  /// with the accumulators in SSA values: an scf.for nest whose innermost
  /// loop LLVM's loop vectorizer turns into SIMD min/max/add reductions.
  /// (A linalg reduction to a 0-d tensor is vectorized by the CPU pipeline
  /// into a serial chain of one-lane ops, several times slower.)
  SmallVector<Value> foldElements(Location loc, Value t, ValueRange inits,
                                  function_ref<SmallVector<Value>(OpBuilder &, Location, Value,
                                                                  ValueRange)>
                                      step) {
    auto type = rtt(t);
    int64_t r = type.getRank();
    if (r == 0)
      return step(b, loc, toI64(b, loc, tensor::ExtractOp::create(b, loc, t, ValueRange{})), inits);
    SmallVector<Value> lbs(r, arith::ConstantIndexOp::create(b, loc, 0)),
        steps(r, arith::ConstantIndexOp::create(b, loc, 1)), ubs;
    for (int64_t i = 0; i < r; ++i)
      ubs.push_back(type.isDynamicDim(i) ? (Value)tensor::DimOp::create(b, loc, t, i)
                                         : (Value)arith::ConstantIndexOp::create(b, loc, type.getDimSize(i)));
    scf::LoopNest nest = scf::buildLoopNest(
        b, loc, lbs, ubs, steps, inits,
        [&](OpBuilder &nb, Location nl, ValueRange ivs, ValueRange acc) -> scf::ValueVector {
          Value v = toI64(nb, nl, tensor::ExtractOp::create(nb, nl, t, ivs));
          SmallVector<Value> next = step(nb, nl, v, acc);
          return scf::ValueVector(next.begin(), next.end());
        });
    return SmallVector<Value>(nest.results.begin(), nest.results.end());
  }

  /// Min and max (i64) over all elements of integer tensor `t`.
  std::pair<Value, Value> minMaxAll(Location loc, Value t) {
    SmallVector<Value> r = foldElements(
        loc, t,
        {i64c(b, loc, std::numeric_limits<int64_t>::max()),
         i64c(b, loc, std::numeric_limits<int64_t>::min())},
        [](OpBuilder &nb, Location nl, Value v, ValueRange acc) -> SmallVector<Value> {
          return {arith::MinSIOp::create(nb, nl, v, acc[0]), arith::MaxSIOp::create(nb, nl, v, acc[1])};
        });
    return {r[0], r[1]};
  }

  /// Min and max (i64) of integer tensor `t`, per position of its last dim
  /// when `perLast` (tensors<k x i64>), else over all elements (0-d).
  std::pair<Value, Value> minMaxPerLast(Location loc, Value t) {
    const bool perLast = true;
    auto type = rtt(t);
    int64_t r = type.getRank();
    Type i64 = b.getI64Type();
    SmallVector<int64_t> shape;
    SmallVector<Value> dyn;
    SmallVector<AffineExpr> outExprs;
    SmallVector<utils::IteratorType> iters(r, utils::IteratorType::reduction);
    if (perLast) {
      shape.push_back(type.getDimSize(r - 1));
      outExprs.push_back(b.getAffineDimExpr(r - 1));
      iters[r - 1] = utils::IteratorType::parallel;
    }
    auto outT = RankedTensorType::get(shape, i64);
    auto filled = [&](int64_t v) {
      Value e = tensor::EmptyOp::create(b, loc, shape, i64, dyn);
      return linalg::FillOp::create(b, loc, i64c(b, loc, v), e).getResult(0);
    };
    Value mn0 = filled(std::numeric_limits<int64_t>::max());
    Value mx0 = filled(std::numeric_limits<int64_t>::min());
    AffineMap outMap = AffineMap::get(r, 0, outExprs, b.getContext());
    SmallVector<AffineMap> maps{b.getMultiDimIdentityMap(r), outMap, outMap};
    auto g = linalg::GenericOp::create(
        b, loc, TypeRange{outT, outT}, ValueRange{t}, ValueRange{mn0, mx0}, maps, iters,
        [&](OpBuilder &nb, Location nl, ValueRange a) {
          Value v = toI64(nb, nl, a[0]);
          linalg::YieldOp::create(nb, nl,
                                  ValueRange{arith::MinSIOp::create(nb, nl, v, a[1]),
                                             arith::MaxSIOp::create(nb, nl, v, a[2])});
        });
    return {g.getResult(0), g.getResult(1)};
  }

  Value extract(Location loc, Value t, std::optional<int64_t> i) {
    SmallVector<Value> idx;
    if (i)
      idx.push_back(arith::ConstantIndexOp::create(b, loc, *i));
    return tensor::ExtractOp::create(b, loc, t, idx);
  }

  /// Checks that the indices in [mn, mx] lie in [-d, d-1].
  void rangeCheck(Location loc, Value mn, Value mx, Value d, const std::string &message) {
    Value lo = arith::SubIOp::create(b, loc, i64c(b, loc, 0), d);
    Value hi = arith::SubIOp::create(b, loc, d, i64c(b, loc, 1));
    Value lowOk = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, mn, lo);
    Value highOk = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle, mx, hi);
    Value ok = arith::AndIOp::create(b, loc, lowOk, highOk);
    Value bad = arith::SelectOp::create(b, loc, lowOk, mx, mn);
    check(loc, ok, message, {bad, lo, hi});
  }

  static std::string rangeMessage(const std::string &node, const std::string &where) {
    return node + ": index {0} is out of range [{1}, {2}] " + where;
  }

  /// Compile-time range check of constant indices; `dimOf(j)` is the bound
  /// of component j (j = 0 unless `k` > 1: GatherND/ScatterND), -1 when
  /// dynamic (not checkable).
  LogicalResult constantRange(Operation *op, ArrayRef<int64_t> vals, int64_t k,
                              function_ref<int64_t(int64_t)> dimOf,
                              function_ref<std::string(int64_t)> where, StringRef type) {
    for (auto [n, v] : llvm::enumerate(vals)) {
      int64_t j = k > 1 ? (int64_t)n % k : 0;
      int64_t d = dimOf(j);
      if (d < 0 || (v >= -d && v <= d - 1))
        continue;
      return op->emitError() << node(op, type) << ": index " << v << " is out of range ["
                             << -d << ", " << d - 1 << "] " << where(j);
    }
    return success();
  }

  /// Gather, GatherElements, ScatterElements: indices against one axis.
  LogicalResult axisIndices(Operation *op, Value data, Value ind, int64_t axis, StringRef type) {
    Location loc = op->getLoc();
    std::string where = "on axis " + std::to_string(axis) + " of " + tensor(data);
    SmallVector<int64_t> vals;
    if (constantInts(ind, vals)) {
      int64_t d = rtt(data).getDimSize(axis);
      return constantRange(
          op, vals, 1, [&](int64_t) { return ShapedType::isDynamic(d) ? -1 : d; },
          [&](int64_t) { return where; }, type);
    }
    auto [mn, mx] = minMaxAll(loc, ind);
    rangeCheck(loc, mn, mx, dimI64(b, loc, data, axis), rangeMessage(node(op, type), where));
    return success();
  }

  /// GatherND, ScatterND: component j of the last index dim against data
  /// axis `firstAxis + j`.
  LogicalResult ndIndices(Operation *op, Value data, Value ind, int64_t firstAxis, StringRef type) {
    Location loc = op->getLoc();
    auto it = rtt(ind);
    int64_t k = it.getDimSize(it.getRank() - 1);
    if (ShapedType::isDynamic(k))
      return success(); // the lowering needs a static k anyway
    auto where = [&](int64_t j) {
      return "on axis " + std::to_string(firstAxis + j) + " of " + tensor(data) +
             " (component " + std::to_string(j) + " of the last axis of " + tensor(ind) + ")";
    };
    SmallVector<int64_t> vals;
    if (constantInts(ind, vals)) {
      auto dt = rtt(data);
      return constantRange(
          op, vals, k,
          [&](int64_t j) {
            int64_t d = dt.getDimSize(firstAxis + j);
            return ShapedType::isDynamic(d) ? -1 : d;
          },
          where, type);
    }
    auto [mn, mx] = minMaxPerLast(loc, ind);
    for (int64_t j = 0; j < k; ++j)
      rangeCheck(loc, extract(loc, mn, j), extract(loc, mx, j), dimI64(b, loc, data, firstAxis + j),
                 rangeMessage(node(op, type), where(j)));
    return success();
  }

  /// Integer division and remainder: no zero in the divisor.
  LogicalResult divisor(nn::BinaryOp op) {
    Value y = op.getRhs();
    auto yt = rtt(y);
    if (!yt.getElementType().isInteger() || yt.getElementType().isInteger(1))
      return success();
    bool isMod = op.getKind() != nn::BinaryKind::div && op.getKind() != nn::BinaryKind::udiv;
    StringRef type = isMod ? "Mod" : "Div";
    Location loc = op.getLoc();
    SmallVector<int64_t> vals;
    if (constantInts(y, vals)) {
      int64_t zeros = llvm::count(vals, 0);
      if (zeros == 0)
        return success();
      return op.emitError() << node(op, type) << ": integer division by zero: the divisor "
                            << tensor(y) << " is a constant with " << zeros << " zero element"
                            << (zeros == 1 ? "" : "s");
    }
    Value count = foldElements(loc, y, {i64c(b, loc, 0)},
                               [](OpBuilder &nb, Location nl, Value v, ValueRange acc) -> SmallVector<Value> {
                                 Value isZero = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, v,
                                                                      i64c(nb, nl, 0));
                                 Value inc = arith::ExtUIOp::create(nb, nl, nb.getI64Type(), isZero);
                                 return {arith::AddIOp::create(nb, nl, acc[0], inc)};
                               })[0];
    Value ok = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, count, i64c(b, loc, 0));
    check(loc, ok,
          node(op, type) + ": integer division by zero: the divisor " + tensor(y) +
              " has {0} zero element(s)",
          {count});
    return success();
  }

  /// TopK with a run-time k: 0 <= k <= the size of the axis.
  LogicalResult topK(nn::TopKOp op) {
    int64_t axis = op.getAxis();
    if (!rtt(op.getValues()).isDynamicDim(axis))
      return success(); // k is a constant, checked by shape inference
    Location loc = op.getLoc();
    SmallVector<Value> zeros(rtt(op.getK()).getRank(), arith::ConstantIndexOp::create(b, loc, 0));
    Value k = toI64(b, loc, tensor::ExtractOp::create(b, loc, op.getK(), zeros));
    Value n = dimI64(b, loc, op.getInput(), axis);
    Value ok = arith::AndIOp::create(
        b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, k, i64c(b, loc, 0)),
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle, k, n));
    check(loc, ok,
          node(op, "TopK") + ": k = {0} is out of range [0, {1}] (the size of axis " +
              std::to_string(axis) + " of " + tensor(op.getInput()) + ")",
          {k, n});
    return success();
  }

  /// ReduceXxx with run-time axes: each axis in [-r, r-1], none twice.
  LogicalResult reduceAxes(nn::ReduceAxesOp op) {
    Value axes = op.getAxes();
    int64_t r = rtt(op.getInput()).getRank();
    std::string type;
    switch (op.getKind()) {
    case nn::ReduceKind::sum_square: type = "ReduceSumSquare"; break;
    case nn::ReduceKind::log_sum: type = "ReduceLogSum"; break;
    case nn::ReduceKind::log_sum_exp: type = "ReduceLogSumExp"; break;
    case nn::ReduceKind::l1: type = "ReduceL1"; break;
    case nn::ReduceKind::l2: type = "ReduceL2"; break;
    default: {
      std::string k = nn::stringifyReduceKind(op.getKind()).str();
      k[0] = llvm::toUpper(k[0]);
      type = "Reduce" + k;
    }
    }
    Location loc = op.getLoc();
    std::string n = node(op, type);
    SmallVector<int64_t> vals;
    if (constantInts(axes, vals)) {
      SmallVector<int64_t> seen(r, 0);
      for (int64_t a : vals) {
        if (a < -r || a > r - 1)
          return op.emitError() << n << ": axis " << a << " is out of range [" << -r << ", " << r - 1
                                << "] for an input of rank " << r;
        if (++seen[a < 0 ? a + r : a] > 1)
          return op.emitError() << n << ": axis " << (a < 0 ? a + r : a)
                                << " appears more than once in 'axes'";
      }
      return success();
    }
    auto [mnS, mxS] = minMaxAll(loc, axes);
    rangeCheck(loc, mnS, mxS, i64c(b, loc, r),
               n + ": axis {0} is out of range [{1}, {2}] for an input of rank " + std::to_string(r));
    // counts[i] = number of axes equal to i (after wrapping negatives).
    Type i64 = b.getI64Type();
    auto countT = RankedTensorType::get({r}, i64);
    Value e = tensor::EmptyOp::create(b, loc, countT.getShape(), i64, ValueRange{});
    Value init = linalg::FillOp::create(b, loc, i64c(b, loc, 0), e).getResult(0);
    SmallVector<AffineMap> maps{AffineMap::get(2, 0, {b.getAffineDimExpr(0)}, b.getContext()),
                                AffineMap::get(2, 0, {b.getAffineDimExpr(1)}, b.getContext())};
    Value counts = linalg::GenericOp::create(
                       b, loc, TypeRange{countT}, ValueRange{axes}, ValueRange{init}, maps,
                       SmallVector<utils::IteratorType>{utils::IteratorType::reduction,
                                                        utils::IteratorType::parallel},
                       [&](OpBuilder &nb, Location nl, ValueRange a) {
                         Value ax = toI64(nb, nl, a[0]);
                         Value rank = i64c(nb, nl, r);
                         Value neg = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, ax,
                                                           i64c(nb, nl, 0));
                         ax = arith::SelectOp::create(nb, nl, neg, arith::AddIOp::create(nb, nl, ax, rank), ax);
                         Value i = arith::IndexCastOp::create(nb, nl, i64, linalg::IndexOp::create(nb, nl, 1));
                         Value eq = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, ax, i);
                         Value inc = arith::ExtUIOp::create(nb, nl, i64, eq);
                         linalg::YieldOp::create(nb, nl, ValueRange{arith::AddIOp::create(nb, nl, a[1], inc)});
                       })
                       .getResult(0);
    for (int64_t i = 0; i < r; ++i) {
      Value c = extract(loc, counts, i);
      Value ok = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle, c, i64c(b, loc, 1));
      check(loc, ok, n + ": axis {0} appears {1} times in 'axes'", {i64c(b, loc, i), c});
    }
    return success();
  }

  /// a * b for non-negative a, b, saturating at INT64_MAX (a product of
  /// user-given sizes must not wrap around to the input's element count).
  Value satMul(Location loc, Value a, Value c) {
    Value maxV = i64c(b, loc, std::numeric_limits<int64_t>::max());
    Value safeC = arith::MaxSIOp::create(b, loc, c, i64c(b, loc, 1));
    Value limit = arith::DivSIOp::create(b, loc, maxV, safeC);
    Value over = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, a, limit);
    return arith::SelectOp::create(b, loc, over, maxV, arith::MulIOp::create(b, loc, a, c));
  }

  /// Element `i` of the 1-D i64 shape operand.
  Value shapeAt(Location loc, Value shape, int64_t i) { return toI64(b, loc, extract(loc, shape, i)); }

  /// Reshape with run-time sizes (nn.reshape with a shape operand, or with
  /// a dynamic input): every target dimension is >= 0 and equals the size
  /// the result type fixes, and the target has as many elements as the
  /// input.  All conditions are computed first and the checks follow each
  /// other, so the target gives them one exit.
  LogicalResult reshape(nn::ReshapeOp op) {
    auto in = rtt(op.getInput()), res = rtt(op.getResult());
    Value shape = op.getShape();
    if (!shape && in.hasStaticShape() && res.hasStaticShape())
      return success(); // sizes fixed at compile time (verified on import)
    if (!shape && res.getNumDynamicDims() == 1) {
      // The one dynamic result dim is derived from the element count: the
      // reshape fits whenever the fixed result dims divide the input's
      // count, which holds for any run-time sizes when they divide the
      // product of the input's static dims (a batch dim carried through:
      // [?, 3136, 96] -> [?, 56, 56, 96]).  Swin-T had 1367 checks
      // without this.
      int64_t known = 1, inStatic = 1;
      for (int64_t d : res.getShape())
        if (!ShapedType::isDynamic(d))
          known *= d;
      for (int64_t d : in.getShape())
        if (!ShapedType::isDynamic(d))
          inStatic *= d;
      if (known != 0 && inStatic % known == 0)
        return success();
    }
    Location loc = op.getLoc();
    std::string n = node(op, "Reshape");
    Value total = i64c(b, loc, 1);
    for (int64_t i = 0; i < in.getRank(); ++i)
      total = satMul(loc, total, dimI64(b, loc, op.getInput(), i));
    SmallVector<std::tuple<Value, std::string, SmallVector<Value>>> checks;
    Value prod = i64c(b, loc, 1);
    if (shape) {
      for (int64_t i = 0; i < res.getRank(); ++i) {
        Value d = shapeAt(loc, shape, i);
        std::string dim = n + ": dimension " + std::to_string(i) + " of the target shape is {0}";
        if (!res.isDynamicDim(i)) {
          Value ok = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, d,
                                           i64c(b, loc, res.getDimSize(i)));
          checks.push_back({ok, dim + ", but the model was compiled for " + std::to_string(res.getDimSize(i)),
                            {d}});
        } else {
          Value ok = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, d, i64c(b, loc, 0));
          checks.push_back({ok, dim + ", a negative size", {d}});
        }
        prod = satMul(loc, prod, arith::MaxSIOp::create(b, loc, d, i64c(b, loc, 0)));
      }
    } else {
      // One dynamic result dim, derived from the element count.
      int64_t known = 1;
      for (int64_t i = 0; i < res.getRank(); ++i)
        if (!res.isDynamicDim(i))
          known *= res.getDimSize(i);
      prod = i64c(b, loc, known);
      if (known != 0 && res.getNumDynamicDims() > 0)
        prod = arith::MulIOp::create(
            b, loc, prod,
            arith::DivSIOp::create(b, loc, total, i64c(b, loc, known)));
    }
    Value ok = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, prod, total);
    checks.push_back({ok, n + ": the target shape has {0} elements but " + tensor(op.getInput()) + " has {1}",
                      {prod, total}});
    for (auto &[c, msg, vals] : checks)
      check(loc, c, msg, vals, /*stop=*/true);
    return success();
  }

  /// Broadcast with run-time sizes (a shape operand, or a dynamic input dim
  /// under a result dim that may differ): each input dim is 1 or the
  /// result's, and no result dim is negative.
  LogicalResult broadcast(nn::BroadcastOp op) {
    auto in = rtt(op.getInput()), res = rtt(op.getResult());
    Value shape = op.getShape();
    Location loc = op.getLoc();
    std::string n = node(op, "Expand");
    SmallVector<std::tuple<Value, std::string, SmallVector<Value>>> checks;
    for (int64_t i = 0; i < res.getRank(); ++i) {
      if (!shape && (!in.isDynamicDim(i) || res.isDynamicDim(i)))
        continue; // static pair (verified) or the result dim is the input's
      Value x = dimI64(b, loc, op.getInput(), i);
      // The size asked for: the shape entry (which a static result dim must
      // equal), else the static result dim.
      Value out = shape ? shapeAt(loc, shape, i) : i64c(b, loc, res.getDimSize(i));
      Value isOne = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, x, i64c(b, loc, 1));
      Value same = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, x, out);
      Value ok = arith::OrIOp::create(b, loc, isOne, same);
      ok = arith::AndIOp::create(b, loc, ok,
                                 arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, out, i64c(b, loc, 0)));
      if (shape && !res.isDynamicDim(i))
        ok = arith::AndIOp::create(b, loc, ok,
                                   arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, out,
                                                         i64c(b, loc, res.getDimSize(i))));
      checks.push_back({ok,
                        n + ": dimension " + std::to_string(i) + " of " + tensor(op.getInput()) +
                            " has size {0}, which does not broadcast to {1}",
                        {x, out}});
    }
    for (auto &[c, msg, vals] : checks)
      check(loc, c, msg, vals, /*stop=*/true);
    return success();
  }

  LogicalResult run(Operation *op) {
    b.setInsertionPoint(op);
    return llvm::TypeSwitch<Operation *, LogicalResult>(op)
        .Case([&](nn::GatherOp g) {
          return axisIndices(g, g.getInput(), g.getIndices(), g.getAxis(), "Gather");
        })
        .Case([&](nn::GatherElementsOp g) {
          return axisIndices(g, g.getInput(), g.getIndices(), g.getAxis(), "GatherElements");
        })
        .Case([&](nn::ScatterElementsOp s) {
          return axisIndices(s, s.getData(), s.getIndices(), s.getAxis(), "ScatterElements");
        })
        .Case([&](nn::GatherNDOp g) {
          return ndIndices(g, g.getInput(), g.getIndices(), g.getBatchDims(), "GatherND");
        })
        .Case([&](nn::ScatterNDOp s) { return ndIndices(s, s.getData(), s.getIndices(), 0, "ScatterND"); })
        .Case([&](nn::BinaryOp bin) {
          switch (bin.getKind()) {
          case nn::BinaryKind::div:
          case nn::BinaryKind::udiv:
          case nn::BinaryKind::mod:
          case nn::BinaryKind::umod:
          case nn::BinaryKind::fmod:
            return divisor(bin);
          default:
            return success();
          }
        })
        .Case([&](nn::TopKOp t) { return topK(t); })
        .Case([&](nn::ReduceAxesOp r) { return reduceAxes(r); })
        .Case([&](nn::ReshapeOp r) { return reshape(r); })
        .Case([&](nn::BroadcastOp r) { return broadcast(r); })
        .Default([](Operation *) { return success(); });
  }
};

struct InsertRuntimeChecksPass : kiln::impl::InsertRuntimeChecksBase<InsertRuntimeChecksPass> {
  void runOnOperation() override {
    ModuleOp m = getOperation();
    SmallVector<Operation *> ops;
    m.walk([&](Operation *op) {
      if (isa<nn::GatherOp, nn::GatherElementsOp, nn::ScatterElementsOp, nn::GatherNDOp,
              nn::ScatterNDOp, nn::BinaryOp, nn::TopKOp, nn::ReduceAxesOp, nn::ReshapeOp,
              nn::BroadcastOp>(op))
        ops.push_back(op);
    });
    OpBuilder b(&getContext());
    Checker c{b, m->getAttrOfType<DictionaryAttr>(kiln::kNodeTypesAttr)};
    bool failed = false;
    for (Operation *op : ops)
      failed |= mlir::failed(c.run(op));
    if (failed)
      signalPassFailure();
  }
};

} // namespace
