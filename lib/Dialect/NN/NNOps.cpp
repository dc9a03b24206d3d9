//===- NNOps.cpp - Kiln's nn dialect: ops and verifiers --------------------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//

#include "kiln/Dialect/NN/NNOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace kiln::nn;

static constexpr int64_t kDyn = ShapedType::kDynamic;

#include "nn/NNDialect.cpp.inc"
#include "nn/NNEnums.cpp.inc"

void NNDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "nn/NNOps.cpp.inc"
      >();
}

static RankedTensorType rt(Value v) { return cast<RankedTensorType>(v.getType()); }

/// The check of ops whose only constraint is `axis` in [0, rank of input).
static LogicalResult verifyAxisOf(Operation *op, int64_t axis, Value input) {
  if (axis < 0 || axis >= rt(input).getRank())
    return op->emitOpError("axis out of range");
  return success();
}

/// Explicit-rank broadcasting: each operand has the result's rank and each of
/// its dims is 1 or equal to the result's (dynamic dims are compatible).
static LogicalResult verifyBroadcastOperand(Operation *op, Value v, RankedTensorType res) {
  auto t = rt(v);
  if (t.getRank() != res.getRank())
    return op->emitOpError() << "operand of type " << t << " must have rank "
                             << res.getRank();
  for (int64_t i = 0; i < res.getRank(); ++i) {
    int64_t d = t.getDimSize(i), r = res.getDimSize(i);
    if (d == 1 || d == kDyn || r == kDyn || d == r)
      continue;
    return op->emitOpError() << "operand dimension " << i << " (" << d
                             << ") neither 1 nor the result's (" << r << ")";
  }
  return success();
}

/// Scalar operands read at run time (k, axis): one element, or a dynamic
/// shape whose single element is read.  getNumElements() asserts on dynamic
/// shapes, so check the shape first.
static bool mayHoldOneElement(RankedTensorType t) {
  return !t.hasStaticShape() || t.getNumElements() == 1;
}

LogicalResult UnaryOp::verify() {
  if (getElementTypeOrSelf(getInput()) != getElementTypeOrSelf(getResult()))
    return emitOpError("input and result element types differ");
  bool isFloat = isa<FloatType>(getElementTypeOrSelf(getInput()));
  switch (getKind()) {
  case UnaryKind::logical_not:
    if (!getElementTypeOrSelf(getInput()).isInteger(1))
      return emitOpError("logical_not needs i1");
    break;
  case UnaryKind::relu: case UnaryKind::neg: case UnaryKind::abs: case UnaryKind::sign:
    break;
  case UnaryKind::bitwise_not:
    if (isFloat)
      return emitOpError("bitwise_not needs an integer type");
    break;
  default:
    if (!isFloat)
      return emitOpError() << stringifyUnaryKind(getKind()) << " needs a floating-point type";
  }
  UnaryKind k = getKind();
  if ((k == UnaryKind::leaky_relu || k == UnaryKind::hard_sigmoid || k == UnaryKind::elu ||
       k == UnaryKind::selu || k == UnaryKind::celu || k == UnaryKind::thresholded_relu ||
       k == UnaryKind::shrink) &&
      !getAlpha())
    return emitOpError() << stringifyUnaryKind(getKind()) << " needs 'alpha'";
  if ((k == UnaryKind::hard_sigmoid || k == UnaryKind::selu || k == UnaryKind::shrink) && !getBeta())
    return emitOpError() << stringifyUnaryKind(getKind()) << " needs 'beta'";
  if (k == UnaryKind::celu && getAlpha()->convertToDouble() == 0)
    return emitOpError("celu needs a non-zero 'alpha'");
  return success();
}

LogicalResult BinaryOp::verify() {
  auto res = rt(getResult());
  if (failed(verifyBroadcastOperand(*this, getLhs(), res)) ||
      failed(verifyBroadcastOperand(*this, getRhs(), res)))
    return failure();
  Type le = getElementTypeOrSelf(getLhs()), re = getElementTypeOrSelf(getRhs());
  BinaryKind k = getKind();
  bool cmp = k == BinaryKind::eq || k == BinaryKind::lt || k == BinaryKind::gt ||
             k == BinaryKind::ge || k == BinaryKind::le || k == BinaryKind::ult ||
             k == BinaryKind::ugt || k == BinaryKind::ule || k == BinaryKind::uge;
  bool logical = k == BinaryKind::logical_and || k == BinaryKind::logical_or ||
                 k == BinaryKind::logical_xor;
  bool intOnly = k == BinaryKind::udiv || k == BinaryKind::umod || k == BinaryKind::umax ||
                 k == BinaryKind::umin || k == BinaryKind::ult || k == BinaryKind::ugt ||
                 k == BinaryKind::ule || k == BinaryKind::uge || k == BinaryKind::shl ||
                 k == BinaryKind::shru || k == BinaryKind::bitwise_and ||
                 k == BinaryKind::bitwise_or || k == BinaryKind::bitwise_xor;
  if (intOnly && !isa<IntegerType>(le))
    return emitOpError() << stringifyBinaryKind(k) << " needs integer operands";
  if (le != re && getKind() != BinaryKind::pow)
    return emitOpError() << "operand element types differ: " << le << " vs " << re;
  Type expected = (cmp || logical) ? IntegerType::get(getContext(), 1) : le;
  if (res.getElementType() != expected)
    return emitOpError() << "result element type must be " << expected;
  if (logical && !le.isInteger(1))
    return emitOpError("logical ops need i1 operands");
  return success();
}

LogicalResult ClampOp::verify() {
  if (getElementTypeOrSelf(getInput()) != getElementTypeOrSelf(getResult()))
    return emitOpError("input and result element types differ");
  if (getMin() && getMax() && getMin()->convertToDouble() > getMax()->convertToDouble())
    return emitOpError("min is greater than max");
  return success();
}

LogicalResult SelectOp::verify() {
  auto res = rt(getResult());
  if (!rt(getCond()).getElementType().isInteger(1))
    return emitOpError("condition must be i1");
  for (Value v : {getCond(), getTrueValue(), getFalseValue()})
    if (failed(verifyBroadcastOperand(*this, v, res)))
      return failure();
  if (rt(getTrueValue()).getElementType() != res.getElementType() ||
      rt(getFalseValue()).getElementType() != res.getElementType())
    return emitOpError("value and result element types differ");
  return success();
}

LogicalResult CastOp::verify() {
  auto ok = [](Type t) { return t.isIntOrFloat(); };
  if (!ok(getElementTypeOrSelf(getInput())) || !ok(getElementTypeOrSelf(getResult())))
    return emitOpError("casts between integer and float element types only");
  return success();
}

LogicalResult RequantizeOp::verify() {
  auto in = rt(getInput()), res = rt(getResult());
  if (!in.getElementType().isInteger(32))
    return emitOpError("input must be i32 accumulators");
  if (!res.getElementType().isInteger(8))
    return emitOpError("result must be i8 storage");
  if (in.getShape() != res.getShape())
    return emitOpError("input and result shapes differ");
  int64_t axis = getAxis();
  if (axis < 0 || axis >= in.getRank())
    return emitOpError("axis ") << axis << " is out of range for rank " << in.getRank();
  int64_t C = in.getDimSize(axis);
  for (Value v : {getBias(), getMultiplier(), getShift()}) {
    auto t = rt(v);
    if (t.getRank() != 1 || !t.getElementType().isInteger(32) ||
        (!ShapedType::isDynamic(C) && t.getDimSize(0) != C))
      return emitOpError("bias, multiplier and shift must be i32 [") << C << "], got " << t;
  }
  int64_t lo = getUnsignedResult() ? 0 : -128, hi = getUnsignedResult() ? 255 : 127;
  if (getClampMin() < lo || getClampMax() > hi || getClampMin() > getClampMax())
    return emitOpError("clamp range [") << getClampMin() << ", " << getClampMax() << "] is not within ["
                                        << lo << ", " << hi << "]";
  if (getOutputZeroPoint() < lo || getOutputZeroPoint() > hi)
    return emitOpError("output zero point ") << getOutputZeroPoint() << " is out of the result's range";
  if (Value r = getResidual()) {
    if (r.getType() != res)
      return emitOpError("residual type ") << r.getType() << " differs from the result type " << res;
    int64_t rlo = getResidualUnsigned() ? 0 : -128, rhi = getResidualUnsigned() ? 255 : 127;
    if (getResidualZeroPoint() < rlo || getResidualZeroPoint() > rhi)
      return emitOpError("residual zero point ") << getResidualZeroPoint() << " is out of its range";
    if (getResidualMultiplier() < 0 || getResidualMultiplier() > INT32_MAX || getResidualShift() < -31 ||
        getResidualShift() > 30)
      return emitOpError("residual multiplier must be in [0, 2^31) and its shift in [-31, 30]");
  }
  return success();
}

/// Checks the fused epilogue of a conv/matmul: residual of the result's type,
/// activation parameters present where the kind needs them, a float result.
static LogicalResult verifyEpilogue(Operation *op, Value result, Value residual,
                                    std::optional<ActKind> act, std::optional<llvm::APFloat> alpha,
                                    std::optional<llvm::APFloat> beta) {
  if (residual && residual.getType() != result.getType())
    return op->emitOpError() << "residual type " << residual.getType()
                             << " differs from the result type " << result.getType();
  if (!act)
    return (alpha || beta) ? op->emitOpError("act_alpha/act_beta without an activation") : success();
  if (!isa<FloatType>(getElementTypeOrSelf(result)))
    return op->emitOpError("a fused activation needs a float result");
  switch (*act) {
  case ActKind::leaky_relu:
    if (!alpha)
      return op->emitOpError("leaky_relu needs act_alpha (the negative slope)");
    break;
  case ActKind::hard_sigmoid:
    if (!alpha || !beta)
      return op->emitOpError("hard_sigmoid needs act_alpha and act_beta");
    break;
  case ActKind::clip:
    if (alpha && beta && alpha->convertToDouble() > beta->convertToDouble())
      return op->emitOpError("clip min (act_alpha) is greater than max (act_beta)");
    break;
  default:
    if (alpha || beta)
      return op->emitOpError() << stringifyActKind(*act) << " takes no act_alpha/act_beta";
  }
  return success();
}

LogicalResult MatmulOp::verify() {
  auto a = rt(getLhs()), b = rt(getRhs()), r = rt(getResult());
  if (a.getRank() < 2 || b.getRank() < 2)
    return emitOpError("operands must have rank >= 2");
  int64_t ka = a.getDimSize(a.getRank() - 1), kb = b.getDimSize(b.getRank() - 2);
  if (ka != kDyn && kb != kDyn && ka != kb)
    return emitOpError() << "contraction sizes differ: " << ka << " vs " << kb;
  if (r.getRank() != std::max(a.getRank(), b.getRank()))
    return emitOpError("result rank must be the larger operand rank");
  if (a.getElementType() != b.getElementType())
    return emitOpError("operand element types differ");
  if (getBias()) {
    auto bt = rt(getBias());
    int64_t n = r.getDimSize(r.getRank() - 1);
    if (bt.getRank() != 1)
      return emitOpError("bias must be 1-D [N]");
    if (bt.getDimSize(0) != kDyn && n != kDyn && bt.getDimSize(0) != n)
      return emitOpError() << "bias size " << bt.getDimSize(0) << " differs from N = " << n;
    if (bt.getElementType() != r.getElementType())
      return emitOpError("bias element type differs from the result's");
  }
  return verifyEpilogue(*this, getResult(), getResidual(), getAct(), getActAlpha(), getActBeta());
}

template <typename ConvLike>
static LogicalResult verifyConvLike(ConvLike op, bool transposed) {
  auto x = rt(op.getInput()), w = rt(op.getFilter()), r = rt(op.getResult());
  int64_t ns = x.getRank() - 2;
  if (ns < 1 || w.getRank() != x.getRank() || r.getRank() != x.getRank())
    return op.emitOpError("input, filter and result must have the same rank >= 3");
  if ((int64_t)op.getStrides().size() != ns || (int64_t)op.getDilations().size() != ns ||
      (int64_t)op.getPads().size() != 2 * ns)
    return op.emitOpError() << "strides/dilations need " << ns << " entries and pads "
                            << 2 * ns;
  if (op.getGroups() < 1)
    return op.emitOpError("groups must be >= 1");
  int64_t C = x.getDimSize(1);
  int64_t wc = transposed ? w.getDimSize(0) : w.getDimSize(1) * op.getGroups();
  if (C != kDyn && w.getDimSize(transposed ? 0 : 1) != kDyn && C != wc)
    return op.emitOpError() << "input channels " << C << " do not match the filter (" << wc << ")";
  if (op.getBias()) {
    auto b = rt(op.getBias());
    if (b.getRank() != 1)
      return op.emitOpError("bias must be 1-D");
    if (b.getDimSize(0) != kDyn && r.getDimSize(1) != kDyn && b.getDimSize(0) != r.getDimSize(1))
      return op.emitOpError("bias size differs from the output channels");
  }
  return success();
}

LogicalResult ConvOp::verify() {
  if (failed(verifyConvLike(*this, false)))
    return failure();
  return verifyEpilogue(*this, getResult(), getResidual(), getAct(), getActAlpha(), getActBeta());
}
LogicalResult ConvTransposeOp::verify() {
  if ((int64_t)getOutputPadding().size() != rt(getInput()).getRank() - 2)
    return emitOpError("output_padding needs one entry per spatial dim");
  return verifyConvLike(*this, true);
}

LogicalResult EinsumOp::verify() {
  StringRef eq = getEquation();
  size_t arrow = eq.find("->");
  if (arrow == StringRef::npos)
    return emitOpError("equation must have an explicit output ('->')");
  SmallVector<StringRef> terms;
  eq.take_front(arrow).split(terms, ',');
  StringRef out = eq.drop_front(arrow + 2);
  if (terms.size() != getInputs().size())
    return emitOpError("equation has ") << terms.size() << " terms for " << getInputs().size()
                                        << " inputs";
  auto letters = [](StringRef t) { return llvm::all_of(t, [](char c) { return llvm::isAlpha(c); }); };
  for (size_t i = 0; i < terms.size(); ++i)
    if (!letters(terms[i]) || (int64_t)terms[i].size() != rt(getInputs()[i]).getRank())
      return emitOpError("term '") << terms[i] << "' does not match input #" << i;
  if (!letters(out) || (int64_t)out.size() != rt(getResult()).getRank())
    return emitOpError("output term '") << out << "' does not match the result";
  for (char c : out)
    if (!llvm::any_of(terms, [&](StringRef t) { return t.contains(c); }))
      return emitOpError("output letter '") << c << "' is not among the inputs";
  return success();
}

LogicalResult ResizeOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getResult().getType());
  int64_t r = in.getRank();
  if (out.getRank() != r || in.getElementType() != out.getElementType())
    return emitOpError("result must have the input's rank and element type");
  bool dynamic = (bool)getGeometry();
  if (dynamic) {
    auto g = cast<RankedTensorType>(getGeometry().getType());
    if (g.getRank() != 1 || (g.hasStaticShape() && g.getDimSize(0) != r))
      return emitOpError("geometry must be a 1-D tensor with one entry per dimension");
    if (getGeometryIsSizes() ? !g.getElementType().isInteger(64) : !isa<FloatType>(g.getElementType()))
      return emitOpError("geometry must hold i64 sizes or floating-point scales");
  } else if ((int64_t)getScales().size() != r) {
    return emitOpError("needs one scale per dimension");
  }
  StringRef m = getMode(), c = getCoordinateMode(), n = getNearestMode();
  if (m != "nearest" && m != "linear" && m != "cubic")
    return emitOpError("unknown mode '") << m << "'";
  if (c != "half_pixel" && c != "half_pixel_symmetric" && c != "pytorch_half_pixel" &&
      c != "align_corners" && c != "asymmetric" && c != "tf_half_pixel_for_nn" &&
      c != "tf_crop_and_resize")
    return emitOpError("unknown coordinate_mode '") << c << "'";
  if (n != "round_prefer_floor" && n != "round_prefer_ceil" && n != "floor" && n != "ceil")
    return emitOpError("unknown nearest_mode '") << n << "'";
  if (getRoiInput()) {
    auto rt = cast<RankedTensorType>(getRoiInput().getType());
    if (c != "tf_crop_and_resize" || rt.getRank() != 1 || !isa<FloatType>(rt.getElementType()) ||
        (rt.hasStaticShape() && rt.getDimSize(0) != 2 * r))
      return emitOpError("roi_input must be a 1-D float tensor of 2 * rank entries, with tf_crop_and_resize");
  } else if (c == "tf_crop_and_resize" ? (int64_t)getRoi().size() != 2 * r : !getRoi().empty()) {
    return emitOpError("roi must have 2 * rank entries with tf_crop_and_resize and be empty otherwise");
  }
  if (m != "nearest" && !isa<FloatType>(in.getElementType()))
    return emitOpError("linear and cubic interpolation need a floating-point element type");
  for (int64_t d = 0; d < r && !dynamic; ++d) {
    bool copy = getScales()[d] == 1.0 && in.getDimSize(d) == out.getDimSize(d) &&
                c != "tf_crop_and_resize";
    if (!copy && (in.isDynamicDim(d) || out.isDynamicDim(d)))
      return emitOpError("resized dimension ") << d << " must be static";
  }
  return success();
}

LogicalResult PoolOp::verify() {
  auto x = rt(getInput());
  int64_t ns = x.getRank() - 2;
  if (ns < 1 || rt(getResult()).getRank() != x.getRank())
    return emitOpError("input and result must be [N, C, spatial...]");
  if ((int64_t)getKernel().size() != ns || (int64_t)getStrides().size() != ns ||
      (int64_t)getDilations().size() != ns || (int64_t)getPads().size() != 2 * ns ||
      (int64_t)getExplicitPads().size() != 2 * ns)
    return emitOpError("kernel/strides/dilations/pads do not match the spatial rank");
  return success();
}

LogicalResult ReduceOp::verify() {
  auto x = rt(getInput()), r = rt(getResult());
  for (int64_t a : getAxes())
    if (a < 0 || a >= x.getRank())
      return emitOpError() << "axis " << a << " out of range";
  int64_t expected = getKeepdims() ? x.getRank() : x.getRank() - (int64_t)getAxes().size();
  if (r.getRank() != expected)
    return emitOpError() << "result rank must be " << expected;
  return success();
}

LogicalResult SoftmaxOp::verify() { return verifyAxisOf(*this, getAxis(), getInput()); }

LogicalResult AttentionOp::verify() {
  auto q = rt(getQuery()), k = rt(getKey()), v = rt(getValue()), r = rt(getResult());
  int64_t n = q.getRank();
  if (n != 3 && n != 4)
    return emitOpError("query must have rank 3 ([G, Lq, D]) or 4 ([B, H, Lq, D])");
  if (k.getRank() != n || v.getRank() != n || r.getRank() != n)
    return emitOpError("query, key, value and result must have the same rank");
  for (RankedTensorType t : {q, k, v, r})
    if (!t.getElementType().isF32())
      return emitOpError("operands and result must be f32");
  auto same = [](int64_t a, int64_t b) { return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b; };
  auto d = [](RankedTensorType t, int64_t i) { return t.getDimSize(i); };
  if (!same(d(q, 0), d(k, 0)) || !same(d(q, 0), d(v, 0)))
    return emitOpError("query, key and value must have the same batch dim");
  if (n == 4) {
    if (!same(d(k, 1), d(v, 1)))
      return emitOpError("key and value must have the same number of heads");
    int64_t hq = d(q, 1), hkv = d(k, 1);
    if (!ShapedType::isDynamic(hq) && !ShapedType::isDynamic(hkv) && (hkv < 1 || hq % hkv != 0))
      return emitOpError("the query heads (") << hq << ") must be a multiple of the key/value heads (" << hkv << ")";
  }
  if (!same(d(q, n - 1), d(k, n - 1)))
    return emitOpError("query and key must have the same head size");
  if (!same(d(k, n - 2), d(v, n - 2)))
    return emitOpError("key and value must have the same sequence length");
  for (int64_t i = 0; i < n - 2; ++i)
    if (!same(d(r, i), d(q, i)))
      return emitOpError("result batch dims must be the query's");
  if (!same(d(r, n - 2), d(q, n - 2)) || !same(d(r, n - 1), d(v, n - 1)))
    return emitOpError("result must be [..., Lq, Dv]");
  if (Value m = getMask()) {
    auto mt = rt(m);
    if (mt.getRank() != n)
      return emitOpError("mask must have the scores' rank");
    if (!mt.getElementType().isF32() && !mt.getElementType().isInteger(1))
      return emitOpError("mask must be f32 (additive) or i1 (true keeps a position)");
    SmallVector<int64_t> scores(q.getShape().take_front(n - 1));
    scores.push_back(d(k, n - 2));
    for (int64_t i = 0; i < n; ++i)
      if (mt.getDimSize(i) != 1 && !same(mt.getDimSize(i), scores[i]))
        return emitOpError("mask dim ") << i << " (" << mt.getDimSize(i)
                                        << ") is neither 1 nor the scores' dim (" << scores[i] << ")";
  }
  float s = getScale().convertToFloat();
  if (!std::isfinite(s) || s == 0)
    return emitOpError("scale must be finite and nonzero");
  return success();
}

LogicalResult LayerNormOp::verify() { return verifyAxisOf(*this, getAxis(), getInput()); }

LogicalResult TransposeOp::verify() {
  auto x = rt(getInput()), r = rt(getResult());
  if ((int64_t)getPerm().size() != x.getRank() || r.getRank() != x.getRank())
    return emitOpError("perm must have one entry per dim");
  SmallVector<bool> seen(x.getRank(), false);
  for (int64_t p : getPerm()) {
    if (p < 0 || p >= x.getRank() || seen[p])
      return emitOpError("perm is not a permutation");
    seen[p] = true;
  }
  for (auto [i, p] : llvm::enumerate(getPerm())) {
    if (!ShapedType::isDynamic(r.getDimSize(i)) && !ShapedType::isDynamic(x.getDimSize(p)) &&
        r.getDimSize(i) != x.getDimSize(p))
      return emitOpError("result shape does not match the permuted input");
  }
  return success();
}

LogicalResult ReshapeOp::verify() {
  auto x = rt(getInput()), r = rt(getResult());
  if (x.getElementType() != r.getElementType())
    return emitOpError("element types differ");
  if (getShape()) {
    auto s = rt(getShape());
    if (s.getRank() != 1 || !s.getElementType().isInteger(64) ||
        (s.getDimSize(0) != kDyn && s.getDimSize(0) != r.getRank()))
      return emitOpError("shape must be 1-D i64 with one entry per result dim");
    return success();
  }
  if (x.hasStaticShape() && r.hasStaticShape() && x.getNumElements() != r.getNumElements())
    return emitOpError() << "element counts differ: " << x << " vs " << r;
  if (r.getNumDynamicDims() > 1)
    return emitOpError("without a shape operand at most one result dim may be dynamic");
  return success();
}

LogicalResult ConcatOp::verify() {
  if (getInputs().empty())
    return emitOpError("needs at least one input");
  auto r = rt(getResult());
  if (getAxis() < 0 || getAxis() >= r.getRank())
    return emitOpError("axis out of range");
  for (Value v : getInputs())
    if (rt(v).getRank() != r.getRank() || rt(v).getElementType() != r.getElementType())
      return emitOpError("inputs must match the result's rank and element type");
  return success();
}

LogicalResult SliceOp::verify() {
  auto x = rt(getInput()), r = rt(getResult());
  if ((int64_t)getOffsets().size() != x.getRank() || (int64_t)getStrides().size() != x.getRank() ||
      r.getRank() != x.getRank())
    return emitOpError("offsets and strides need one entry per dim");
  for (int64_t i = 0; i < x.getRank(); ++i) {
    int64_t s = getStrides()[i], o = getOffsets()[i], n = r.getDimSize(i), d = x.getDimSize(i);
    if (s == 0)
      return emitOpError("strides must be non-zero");
    if (n == kDyn || d == kDyn || n == 0)
      continue;
    int64_t last = o + (n - 1) * s;
    if (o < 0 || o >= d || last < 0 || last >= d)
      return emitOpError() << "slice of dim " << i << " reads outside [0, " << d << ")";
  }
  return success();
}

LogicalResult GatherOp::verify() {
  auto x = rt(getInput()), idx = rt(getIndices()), r = rt(getResult());
  if (getAxis() < 0 || getAxis() >= x.getRank())
    return emitOpError("axis out of range");
  if (!isa<IntegerType>(idx.getElementType()))
    return emitOpError("indices must be integers");
  if (r.getRank() != x.getRank() - 1 + idx.getRank())
    return emitOpError("result rank must be rank(input) - 1 + rank(indices)");
  return success();
}

LogicalResult PadOp::verify() {
  if ((int64_t)getPads().size() != 2 * rt(getInput()).getRank())
    return emitOpError("pads need two entries per dim");
  return success();
}

LogicalResult BroadcastOp::verify() {
  return verifyBroadcastOperand(*this, getInput(), rt(getResult()));
}

LogicalResult ShapeOfOp::verify() {
  auto r = rt(getResult());
  if (r.getRank() != 1 || !r.getElementType().isInteger(64))
    return emitOpError("result must be a 1-D i64 tensor");
  int64_t rank = rt(getInput()).getRank();
  if (getStart() < 0 || getEnd() > rank || getStart() > getEnd())
    return emitOpError("invalid [start, end)");
  return success();
}

LogicalResult RangeOp::verify() {
  if (rt(getResult()).getRank() != 1)
    return emitOpError("result must be 1-D");
  return success();
}

LogicalResult FillOp::verify() {
  auto r = rt(getResult());
  if (!getShape() && !r.hasStaticShape())
    return emitOpError("a dynamic result needs a shape operand");
  if (getValue().getType() != r.getElementType())
    return emitOpError("value type must be the result element type");
  return success();
}


static bool isReductionName(StringRef r) {
  return r == "none" || r == "add" || r == "mul" || r == "max" || r == "min";
}

LogicalResult GatherElementsOp::verify() {
  auto x = rt(getInput()), idx = rt(getIndices()), r = rt(getResult());
  if (getAxis() < 0 || getAxis() >= x.getRank())
    return emitOpError("axis out of range");
  if (!isa<IntegerType>(idx.getElementType()))
    return emitOpError("indices must be integers");
  if (idx.getRank() != x.getRank() || r.getRank() != x.getRank())
    return emitOpError("input, indices and result must have the same rank");
  if (failed(verifyCompatibleShape(r.getShape(), idx.getShape())) ||
      r.getElementType() != x.getElementType())
    return emitOpError("result must have the shape of indices and the element type of input");
  return success();
}

LogicalResult ScatterElementsOp::verify() {
  auto x = rt(getData()), idx = rt(getIndices()), u = rt(getUpdates()), r = rt(getResult());
  if (getAxis() < 0 || getAxis() >= x.getRank())
    return emitOpError("axis out of range");
  if (!isa<IntegerType>(idx.getElementType()))
    return emitOpError("indices must be integers");
  if (idx.getRank() != x.getRank() || failed(verifyCompatibleShape(idx.getShape(), u.getShape())))
    return emitOpError("indices and updates must have the same shape, of the data's rank");
  if (u.getElementType() != x.getElementType() || failed(verifyCompatibleShape(r, x)) ||
      r.getElementType() != x.getElementType())
    return emitOpError("updates and result must have the data's element type (and the result its shape)");
  if (!isReductionName(getReduction()))
    return emitOpError("unknown reduction '") << getReduction() << "'";
  return success();
}

LogicalResult GatherNDOp::verify() {
  auto x = rt(getInput()), idx = rt(getIndices()), r = rt(getResult());
  int64_t bd = getBatchDims();
  if (!isa<IntegerType>(idx.getElementType()))
    return emitOpError("indices must be integers");
  if (idx.getRank() < 1 || idx.isDynamicDim(idx.getRank() - 1))
    return emitOpError("indices must have a static last dim");
  int64_t k = idx.getDimSize(idx.getRank() - 1);
  if (bd < 0 || bd >= idx.getRank() || bd + k > x.getRank())
    return emitOpError("batch_dims + indices.shape[-1] exceeds the input's rank");
  if (r.getRank() != idx.getRank() - 1 + x.getRank() - bd - k)
    return emitOpError("result rank must be rank(indices) - 1 + rank(input) - batch_dims - k");
  return success();
}

LogicalResult ScatterNDOp::verify() {
  auto x = rt(getData()), idx = rt(getIndices()), u = rt(getUpdates()), r = rt(getResult());
  if (!isa<IntegerType>(idx.getElementType()))
    return emitOpError("indices must be integers");
  if (idx.getRank() < 1 || idx.isDynamicDim(idx.getRank() - 1))
    return emitOpError("indices must have a static last dim");
  int64_t k = idx.getDimSize(idx.getRank() - 1);
  if (k > x.getRank())
    return emitOpError("indices.shape[-1] exceeds the data's rank");
  if (u.getRank() != idx.getRank() - 1 + x.getRank() - k)
    return emitOpError("updates must have rank rank(indices) - 1 + rank(data) - k");
  if (u.getElementType() != x.getElementType() || failed(verifyCompatibleShape(r, x)) ||
      r.getElementType() != x.getElementType())
    return emitOpError("updates and result must have the data's element type (and the result its shape)");
  if (!isReductionName(getReduction()))
    return emitOpError("unknown reduction '") << getReduction() << "'";
  return success();
}

LogicalResult TriluOp::verify() {
  if (getInput().getType() != getResult().getType())
    return emitOpError("result must have the input's type");
  if (rt(getInput()).getRank() < 2)
    return emitOpError("input must have rank >= 2");
  if (getKInput()) {
    auto kt = rt(getKInput());
    if (!kt.getElementType().isInteger(64) || !mayHoldOneElement(kt))
      return emitOpError("k must be an i64 tensor of one element");
  }
  return success();
}

LogicalResult OneHotOp::verify() {
  auto idx = rt(getIndices()), v = rt(getValues()), r = rt(getResult());
  if (r.getRank() != idx.getRank() + 1)
    return emitOpError("result rank must be rank(indices) + 1");
  if (getAxis() < 0 || getAxis() >= r.getRank())
    return emitOpError("axis out of range");
  if (v.getRank() != 1 || (!v.isDynamicDim(0) && v.getDimSize(0) != 2) ||
      v.getElementType() != r.getElementType())
    return emitOpError("values must be [off, on] of the result's element type");
  return success();
}

LogicalResult CompressOp::verify() {
  auto x = rt(getInput()), c = rt(getCondition()), r = rt(getResult());
  if (getAxis() < 0 || getAxis() >= x.getRank())
    return emitOpError("axis out of range");
  if (c.getRank() != 1 || !c.getElementType().isInteger(1))
    return emitOpError("condition must be a 1-D i1 tensor");
  if (r.getRank() != x.getRank() || r.getElementType() != x.getElementType())
    return emitOpError("result must have the input's rank and element type");
  return success();
}

LogicalResult ReverseSequenceOp::verify() {
  auto x = rt(getInput()), l = rt(getLens());
  int64_t r = x.getRank();
  if (getBatchAxis() < 0 || getBatchAxis() >= r || getTimeAxis() < 0 || getTimeAxis() >= r ||
      getBatchAxis() == getTimeAxis())
    return emitOpError("batch_axis and time_axis must be distinct dims of the input");
  if (l.getRank() != 1 || !isa<IntegerType>(l.getElementType()))
    return emitOpError("lens must be a 1-D integer tensor");
  if (getInput().getType() != getResult().getType())
    return emitOpError("result must have the input's type");
  return success();
}


LogicalResult ReduceAxesOp::verify() {
  auto x = rt(getInput()), a = rt(getAxes()), r = rt(getResult());
  if (a.getRank() != 1 || !isa<IntegerType>(a.getElementType()))
    return emitOpError("axes must be a 1-D integer tensor");
  if (r.getElementType() != x.getElementType())
    return emitOpError("result element type must be the input's");
  if (getKeepdims()) {
    if (r.getRank() != x.getRank())
      return emitOpError() << "result rank must be " << x.getRank();
  } else {
    if (a.isDynamicDim(0))
      return emitOpError("without keepdims, axes must have a static length");
    if (r.getRank() != x.getRank() - a.getDimSize(0))
      return emitOpError() << "result rank must be " << x.getRank() - a.getDimSize(0);
  }
  return success();
}


LogicalResult ArgReduceOp::verify() {
  auto x = rt(getInput()), r = rt(getResult());
  if (getAxis() < 0 || getAxis() >= x.getRank())
    return emitOpError("axis out of range");
  if (!r.getElementType().isInteger(64))
    return emitOpError("result must be i64");
  if (r.getRank() != x.getRank() - (getKeepdims() ? 0 : 1))
    return emitOpError("result rank does not match keepdims");
  return success();
}

LogicalResult HardmaxOp::verify() { return verifyAxisOf(*this, getAxis(), getInput()); }

LogicalResult CumSumOp::verify() {
  auto x = rt(getInput());
  if (failed(verifyCompatibleShape(x.getShape(), rt(getResult()).getShape())))
    return emitOpError("result shape must be the input's");
  if (!getAxisInput() && (getAxis() < 0 || getAxis() >= x.getRank()))
    return emitOpError("axis out of range");
  if (getAxisInput() && (!isa<IntegerType>(rt(getAxisInput()).getElementType()) ||
                         !mayHoldOneElement(rt(getAxisInput()))))
    return emitOpError("axis_input must be a 1-element integer tensor");
  return success();
}

LogicalResult TopKOp::verify() {
  auto x = rt(getInput()), v = rt(getValues()), i = rt(getIndices());
  if (getAxis() < 0 || getAxis() >= x.getRank())
    return emitOpError("axis out of range");
  if (v.getShape() != i.getShape() || v.getRank() != x.getRank())
    return emitOpError("values and indices must have the input's rank and equal shapes");
  if (!i.getElementType().isInteger(64) || v.getElementType() != x.getElementType())
    return emitOpError("indices must be i64 and values of the input's element type");
  if (!rt(getK()).getElementType().isInteger(64) || !mayHoldOneElement(rt(getK())))
    return emitOpError("k must be a 1-element i64 tensor");
  return success();
}

LogicalResult NonZeroOp::verify() {
  auto r = rt(getResult());
  if (r.getRank() != 2 || r.getDimSize(0) != rt(getInput()).getRank() ||
      !r.getElementType().isInteger(64))
    return emitOpError("result must be [rank, N] i64");
  return success();
}

LogicalResult UniqueOp::verify() {
  auto x = rt(getInput()), rows = rt(getRows());
  if (x.getRank() != 2 || rows.getRank() != 2 || rows.getElementType() != x.getElementType())
    return emitOpError("input and rows must be 2-D of the same element type");
  for (Value v : {getIndices(), getInverse(), getCounts()})
    if (rt(v).getRank() != 1 || !rt(v).getElementType().isInteger(64))
      return emitOpError("indices, inverse and counts must be 1-D i64");
  return success();
}

LogicalResult NonMaxSuppressionOp::verify() {
  if (rt(getBoxes()).getRank() != 3 || rt(getScores()).getRank() != 3)
    return emitOpError("boxes and scores must be 3-D");
  auto r = rt(getResult());
  if (r.getRank() != 2 || r.getDimSize(1) != 3 || !r.getElementType().isInteger(64))
    return emitOpError("result must be [N, 3] i64");
  if (!rt(getMaxOutput()).getElementType().isInteger(64))
    return emitOpError("max_output must be i64");
  return success();
}


LogicalResult NLLLossOp::verify() {
  auto x = rt(getInput()), t = rt(getTarget()), r = rt(getResult());
  if (!isa<FloatType>(x.getElementType()) || r.getElementType() != x.getElementType())
    return emitOpError("input and result must have the same floating-point element type");
  if (!isa<IntegerType>(t.getElementType()))
    return emitOpError("target must be an integer tensor");
  if (x.getRank() < 2 || t.getRank() != x.getRank() - 1)
    return emitOpError("input must be [N, C, d...] and target [N, d...]");
  for (int64_t i = 0; i < t.getRank(); ++i) {
    int64_t dx = x.getDimSize(i == 0 ? 0 : i + 1), dt = t.getDimSize(i);
    if (dx != kDyn && dt != kDyn && dx != dt)
      return emitOpError() << "target dimension " << i << " does not match the input's";
  }
  if (getWeight()) {
    auto w = rt(getWeight());
    if (w.getRank() != 1 || w.getElementType() != x.getElementType())
      return emitOpError("weight must be 1-D with the input's element type");
    if (w.getDimSize(0) != kDyn && x.getDimSize(1) != kDyn && w.getDimSize(0) != x.getDimSize(1))
      return emitOpError("weight needs one entry per class");
  }
  StringRef red = getReduction();
  if (red == "none") {
    if (r.getRank() != t.getRank())
      return emitOpError("reduction 'none' gives a result of the target's shape");
    for (int64_t i = 0; i < t.getRank(); ++i)
      if (r.getDimSize(i) != kDyn && t.getDimSize(i) != kDyn && r.getDimSize(i) != t.getDimSize(i))
        return emitOpError("reduction 'none' gives a result of the target's shape");
  } else if (red == "sum" || red == "mean") {
    if (r.getRank() != 0)
      return emitOpError() << "reduction '" << red << "' gives a 0-d result";
  } else {
    return emitOpError() << "unknown reduction '" << red << "'";
  }
  return success();
}


LogicalResult DynamicSliceOp::verify() {
  auto x = rt(getInput()), r = rt(getResult());
  if (x.getRank() != r.getRank() || x.getElementType() != r.getElementType())
    return emitOpError("result must have the input's rank and element type");
  for (Value v : {getOffsets(), getSizes(), getStrides()}) {
    auto t = rt(v);
    if (t.getRank() != 1 || !isa<IntegerType>(t.getElementType()) ||
        (!t.isDynamicDim(0) && t.getDimSize(0) != x.getRank()))
      return emitOpError("offsets, sizes and strides must be 1-D integer tensors with one entry per dim");
  }
  return success();
}

LogicalResult PadModeOp::verify() {
  auto x = rt(getInput()), r = rt(getResult()), p = rt(getPads());
  if (x.getRank() != r.getRank() || x.getElementType() != r.getElementType())
    return emitOpError("result must have the input's rank and element type");
  if (p.getRank() != 1 || !isa<IntegerType>(p.getElementType()) ||
      (!p.isDynamicDim(0) && p.getDimSize(0) != 2 * x.getRank()))
    return emitOpError("pads must be a 1-D integer tensor of 2 * rank entries");
  StringRef m = getMode();
  if (m != "constant" && m != "reflect" && m != "edge" && m != "wrap")
    return emitOpError("unknown mode '") << m << "'";
  if (getValue()) {
    auto v = rt(getValue());
    if (v.getElementType() != x.getElementType() || !v.hasStaticShape() || v.getNumElements() != 1)
      return emitOpError("value must be a one-element tensor of the input's element type");
    if (m != "constant")
      return emitOpError("value is only allowed in constant mode");
  }
  return success();
}

LogicalResult PoolIndicesOp::verify() {
  auto x = rt(getInput()), r = rt(getResult());
  int64_t ns = x.getRank() - 2;
  if (ns < 1 || r.getRank() != x.getRank() || !r.getElementType().isInteger(64))
    return emitOpError("input must be [N, C, spatial...] and the result i64 of the same rank");
  if ((int64_t)getKernel().size() != ns || (int64_t)getStrides().size() != ns ||
      (int64_t)getDilations().size() != ns || (int64_t)getPads().size() != 2 * ns)
    return emitOpError("kernel/strides/dilations/pads do not match the spatial rank");
  if (getStorageOrder() != 0 && getStorageOrder() != 1)
    return emitOpError("storage_order must be 0 or 1");
  return success();
}

LogicalResult MaxUnpoolOp::verify() {
  auto x = rt(getInput()), i = rt(getIndices()), r = rt(getResult());
  if (x.getShape() != i.getShape() || !isa<IntegerType>(i.getElementType()))
    return emitOpError("indices must be integers of the input's shape");
  if (r.getElementType() != x.getElementType())
    return emitOpError("result must have the input's element type");
  if (!getShape() && !r.hasStaticShape())
    return emitOpError("a result with dynamic dims needs a shape operand");
  if (x.getRank() < 3 || r.getRank() != x.getRank() || (int64_t)getSpatialDims().size() != x.getRank() - 2)
    return emitOpError("input and result must be [N, C, spatial...] with one spatial_dims entry per spatial dim");
  return success();
}



//===----------------------------------------------------------------------===//
// [quant] family
//===----------------------------------------------------------------------===//

LogicalResult QuantizeOp::verify() {
  auto res = rt(getResult());
  if (!isa<FloatType>(getElementTypeOrSelf(getInput())) ||
      getElementTypeOrSelf(getScale()) != getElementTypeOrSelf(getInput()))
    return emitOpError("input and scale must have the same float type");
  auto et = dyn_cast<IntegerType>(res.getElementType());
  if (!et || et.getWidth() > 32 || et.getWidth() < 2)
    return emitOpError("result must be an integer of 2 to 32 bits");
  if (rt(getInput()).getShape() != res.getShape() &&
      failed(verifyCompatibleShape(rt(getInput()).getShape(), res.getShape())))
    return emitOpError("result must have the input's shape");
  if (failed(verifyBroadcastOperand(*this, getScale(), res)))
    return failure();
  if (getZeroPoint()) {
    if (getElementTypeOrSelf(getZeroPoint()) != et)
      return emitOpError("zero_point must have the result's element type");
    if (failed(verifyBroadcastOperand(*this, getZeroPoint(), res)))
      return failure();
  }
  return success();
}

LogicalResult DequantizeOp::verify() {
  auto res = rt(getResult());
  if (!isa<IntegerType>(getElementTypeOrSelf(getInput())))
    return emitOpError("input must be an integer tensor");
  if (!isa<FloatType>(res.getElementType()) || getElementTypeOrSelf(getScale()) != res.getElementType())
    return emitOpError("scale and result must have the same float type");
  if (failed(verifyCompatibleShape(rt(getInput()).getShape(), res.getShape())))
    return emitOpError("result must have the input's shape");
  if (failed(verifyBroadcastOperand(*this, getScale(), res)))
    return failure();
  if (getZeroPoint()) {
    if (getElementTypeOrSelf(getZeroPoint()) != getElementTypeOrSelf(getInput()))
      return emitOpError("zero_point must have the input's element type");
    if (failed(verifyBroadcastOperand(*this, getZeroPoint(), res)))
      return failure();
  }
  return success();
}

/// The operands common to nn.qconv and nn.qmatmul: i8 activations and
/// weights, an f32 per-channel weight scale of `channels` entries, an f32
/// result and bias, a zero point within the activations' range.
static LogicalResult verifyQuantOperands(Operation *op, Value x, Value w, Value wScale, Value bias,
                                         Value result, int64_t channels, int64_t zeroPoint,
                                         bool isUnsigned, llvm::APFloat scale, bool allowI32 = false) {
  if (!getElementTypeOrSelf(x).isInteger(8) || !getElementTypeOrSelf(w).isInteger(8))
    return op->emitOpError("activations and weights must be i8 tensors");
  if (!getElementTypeOrSelf(result).isF32() && !(allowI32 && getElementTypeOrSelf(result).isInteger(32)))
    return op->emitOpError(allowI32 ? "result must be f32 or i32" : "result must be f32");
  auto st = rt(wScale);
  if (st.getRank() != 1 || !st.getElementType().isF32())
    return op->emitOpError("weight scale must be a 1-D f32 tensor");
  if (st.getDimSize(0) != kDyn && channels != kDyn && st.getDimSize(0) != channels)
    return op->emitOpError() << "weight scale has " << st.getDimSize(0) << " entries for " << channels
                             << " output channels";
  if (bias && !getElementTypeOrSelf(bias).isF32())
    return op->emitOpError("bias must be f32");
  int64_t lo = isUnsigned ? 0 : -128, hi = isUnsigned ? 255 : 127;
  if (zeroPoint < lo || zeroPoint > hi)
    return op->emitOpError() << "zero point " << zeroPoint << " is outside [" << lo << ", " << hi << "]";
  double s = scale.convertToDouble();
  if (!(s > 0) || !std::isfinite(s))
    return op->emitOpError() << "activation scale must be positive and finite (got " << s << ")";
  return success();
}

LogicalResult QConvOp::verify() {
  if (failed(verifyConvLike(*this, false)) ||
      failed(verifyQuantOperands(*this, getInput(), getFilter(), getFilterScale(), getBias(), getResult(),
                                 rt(getFilter()).getDimSize(0), getInputZeroPoint(), getInputUnsigned(),
                                 getInputScale(), /*allowI32=*/true)))
    return failure();
  // An i32 result is the exact accumulator (ConvInteger): no epilogue.
  if (rt(getResult()).getElementType().isInteger(32) && (getBias() || getResidual() || getAct()))
    return emitOpError("an i32 result (the int32 accumulators) takes no bias, residual or activation");
  return verifyEpilogue(*this, getResult(), getResidual(), getAct(), getActAlpha(), getActBeta());
}

LogicalResult QMatmulOp::verify() {
  auto a = rt(getLhs()), b = rt(getRhs()), r = rt(getResult());
  if (a.getRank() < 2 || b.getRank() != 2)
    return emitOpError("lhs must have rank >= 2 and rhs rank 2");
  int64_t ka = a.getDimSize(a.getRank() - 1), kb = b.getDimSize(0), n = b.getDimSize(1);
  if (ka != kDyn && kb != kDyn && ka != kb)
    return emitOpError() << "contraction sizes differ: " << ka << " vs " << kb;
  if (r.getRank() != a.getRank())
    return emitOpError("result must have the lhs's rank");
  if (getBias() && (rt(getBias()).getRank() != 1 ||
                    (rt(getBias()).getDimSize(0) != kDyn && n != kDyn && rt(getBias()).getDimSize(0) != n)))
    return emitOpError("bias must be 1-D [N]");
  if (failed(verifyQuantOperands(*this, getLhs(), getRhs(), getRhsScale(), getBias(), getResult(), n,
                                 getLhsZeroPoint(), getLhsUnsigned(), getLhsScale(), /*allowI32=*/true)))
    return failure();
  // An i32 result is the exact accumulator (MatMulInteger): no epilogue.
  if (r.getElementType().isInteger(32) && (getBias() || getResidual() || getAct()))
    return emitOpError("an i32 result (the int32 accumulators) takes no bias, residual or activation");
  return verifyEpilogue(*this, getResult(), getResidual(), getAct(), getActAlpha(), getActBeta());
}

LogicalResult Int4MatmulOp::verify() {
  auto a = rt(getLhs()), w = rt(getRhs()), sc = rt(getRhsScale()), zp = rt(getRhsZeroPoint()), r = rt(getResult());
  int64_t g = getGroupSize();
  if (a.getRank() < 2 || r.getRank() != a.getRank())
    return emitOpError("lhs must have rank >= 2 and the result the lhs's rank");
  if (!a.getElementType().isF32() || !r.getElementType().isF32())
    return emitOpError("lhs and result must be f32");
  if (g < 2 || g % 2)
    return emitOpError() << "group_size must be even and >= 2 (got " << g << ")";
  if (w.getRank() != 2 || !w.hasStaticShape() || !w.getElementType().isInteger(8))
    return emitOpError("rhs must be a static i8 [K / 2, N] (two 4-bit codes per byte)");
  int64_t K = 2 * w.getDimSize(0), N = w.getDimSize(1);
  int64_t ka = a.getDimSize(a.getRank() - 1);
  if (ka != kDyn && ka != K)
    return emitOpError() << "lhs has K = " << ka << " but rhs packs K = " << K;
  if (K % g)
    return emitOpError() << "K = " << K << " is not a multiple of group_size " << g;
  if (getLhsInt8() && g % 8)
    return emitOpError() << "lhs_int8 needs a group_size that is a multiple of 8 (got " << g << ")";
  auto groupsType = [&](RankedTensorType t) {
    return t.getRank() == 2 && t.getDimSize(0) == K / g && t.getDimSize(1) == N;
  };
  if (!groupsType(sc) || !sc.getElementType().isF32())
    return emitOpError() << "rhs_scale must be f32 [K / group_size, N] = [" << K / g << ", " << N << "]";
  if (!groupsType(zp) || !zp.getElementType().isInteger(8))
    return emitOpError() << "rhs_zero_point must be i8 [K / group_size, N] = [" << K / g << ", " << N << "]";
  int64_t rn = r.getDimSize(r.getRank() - 1);
  if (rn != kDyn && rn != N)
    return emitOpError() << "result has N = " << rn << " but rhs has N = " << N;
  if (getBias() && (rt(getBias()).getRank() != 1 || rt(getBias()).getDimSize(0) != N))
    return emitOpError("bias must be 1-D [N]");
  return verifyEpilogue(*this, getResult(), getResidual(), getAct(), getActAlpha(), getActBeta());
}

LogicalResult DetOp::verify() {
  auto in = rt(getInput()), res = rt(getResult());
  int64_t r = in.getRank();
  if (r < 2 || in.getDimSize(r - 1) != in.getDimSize(r - 2) || in.isDynamicDim(r - 1))
    return emitOpError("input must be [..., M, M] with a static M");
  if (in.getDimSize(r - 1) > 8)
    return emitOpError("matrices larger than 8 x 8 are not supported");
  if (res.getRank() != r - 2 || res.getElementType() != in.getElementType() ||
      !isa<FloatType>(in.getElementType()))
    return emitOpError("result must be the float batch dims of the input");
  return success();
}

LogicalResult WindowOp::verify() {
  auto s = rt(getSize()), res = rt(getResult());
  if (!isa<IntegerType>(s.getElementType()) || !s.hasStaticShape() || s.getNumElements() != 1)
    return emitOpError("size must be a one-element integer tensor");
  if (res.getRank() != 1)
    return emitOpError("result must be 1-D");
  StringRef k = getKind();
  if (k != "hann" && k != "hamming" && k != "blackman")
    return emitOpError("unknown window kind '") << k << "'";
  return success();
}

LogicalResult DFTOp::verify() {
  auto in = rt(getInput()), res = rt(getResult());
  int64_t r = in.getRank(), axis = getAxis();
  if (r < 2 || res.getRank() != r || axis < 0 || axis >= r - 1 || getLength() < 1)
    return emitOpError("bad rank, axis or length");
  if (!isa<FloatType>(in.getElementType()) || res.getElementType() != in.getElementType() ||
      res.getDimSize(r - 1) != 2 || in.isDynamicDim(r - 1))
    return emitOpError("input must be float [..., 1 or 2] and the result [..., 2]");
  int64_t n = getOnesided() ? getLength() / 2 + 1 : getLength();
  if (res.getDimSize(axis) != n)
    return emitOpError("result dim ") << axis << " must be " << n;
  return success();
}

LogicalResult STFTOp::verify() {
  auto s = rt(getSignal()), res = rt(getResult());
  if (s.getRank() != 3 || res.getRank() != 4 || s.isDynamicDim(2))
    return emitOpError("signal must be [batch, length, 1 or 2] and the result 4-D");
  if (!getWindow() && !getFrameLength())
    return emitOpError("needs a window or a frame_length");
  return success();
}

LogicalResult MelWeightMatrixOp::verify() {
  if (rt(getResult()).getRank() != 2 || !isa<FloatType>(rt(getResult()).getElementType()))
    return emitOpError("result must be a 2-D float tensor");
  return success();
}

LogicalResult GridSampleOp::verify() {
  auto x = rt(getInput()), g = rt(getGrid()), res = rt(getResult());
  if (x.getRank() != 4 || g.getRank() != 4 || res.getRank() != 4)
    return emitOpError("only 2-D sampling (4-D tensors) is supported");
  StringRef m = getMode(), p = getPaddingMode();
  if (m != "nearest" && m != "linear" && m != "cubic")
    return emitOpError("unknown mode '") << m << "'";
  if (p != "zeros" && p != "border" && p != "reflection")
    return emitOpError("unknown padding mode '") << p << "'";
  return success();
}

LogicalResult RoiAlignOp::verify() {
  if (rt(getInput()).getRank() != 4 || rt(getRois()).getRank() != 2 ||
      rt(getBatchIndices()).getRank() != 1 || rt(getResult()).getRank() != 4 ||
      rt(getResult()).isDynamicDim(2) || rt(getResult()).isDynamicDim(3))
    return emitOpError("expects input [N, C, H, W], rois [R, 4], batch_indices [R] and a static output size");
  if (getSamplingRatio() < 0)
    return emitOpError("sampling_ratio must be >= 0");
  return success();
}

LogicalResult TfIdfOp::verify() {
  size_t n = getLengths().size();
  if (getOutIndex().size() != n || getWeights().size() != n ||
      getNgrams().size() != n * (size_t)getMaxLen())
    return emitOpError("ngrams, lengths, out_index and weights disagree");
  StringRef m = getMode();
  if (m != "TF" && m != "IDF" && m != "TFIDF")
    return emitOpError("unknown mode '") << m << "'";
  return success();
}


#define GET_OP_CLASSES
#include "nn/NNOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Folders: data movement that moves nothing folds to its input.  A folder
// never changes a type, so each checks that the input has the result's type;
// where the result's dims are only known at run time (dynamic reshape,
// broadcast or slice sizes), it does not fold.
//===----------------------------------------------------------------------===//

/// `v` when it has `result`'s type (static if `needStatic`), else null.
static OpFoldResult sameTypeInput(Value v, Value result, bool needStatic = false) {
  if (v.getType() != result.getType())
    return {};
  if (needStatic && !rt(result).hasStaticShape())
    return {};
  return v;
}

OpFoldResult CastOp::fold(FoldAdaptor) { return sameTypeInput(getInput(), getResult()); }

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  for (auto [i, p] : llvm::enumerate(getPerm()))
    if (p != (int64_t)i)
      return {};
  return sameTypeInput(getInput(), getResult());
}

OpFoldResult ReshapeOp::fold(FoldAdaptor) {
  return sameTypeInput(getInput(), getResult(), /*needStatic=*/true);
}

OpFoldResult ConcatOp::fold(FoldAdaptor) {
  if (getInputs().size() != 1)
    return {};
  return sameTypeInput(getInputs()[0], getResult());
}

OpFoldResult SliceOp::fold(FoldAdaptor) {
  if (!llvm::all_of(getOffsets(), [](int64_t v) { return v == 0; }) ||
      !llvm::all_of(getStrides(), [](int64_t v) { return v == 1; }))
    return {};
  return sameTypeInput(getInput(), getResult(), /*needStatic=*/true);
}

OpFoldResult PadOp::fold(FoldAdaptor) {
  if (!llvm::all_of(getPads(), [](int64_t v) { return v == 0; }))
    return {};
  return sameTypeInput(getInput(), getResult());
}

OpFoldResult BroadcastOp::fold(FoldAdaptor) {
  return sameTypeInput(getInput(), getResult(), /*needStatic=*/true);
}

// Run-time checks (kiln-insert-runtime-checks).
LogicalResult CheckOp::verify() {
  if (getValues().size() > 3)
    return emitOpError() << "takes at most 3 values, got " << getValues().size();
  if (getMessage().empty())
    return emitOpError() << "needs a message";
  return success();
}

