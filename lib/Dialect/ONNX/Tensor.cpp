//===- Tensor.cpp - onnx shape inference: shape, data movement ------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Concat, Split, Slice, Pad,
// Shape, Size, Expand, ConstantOfShape, Range, Tile, EyeLike, DepthToSpace and
// SpaceToDepth (dialects/onnx/ops/Tensor.td).
//
//===----------------------------------------------------------------------===//

#include "ShapeInference.h"

using namespace mlir;
using namespace kiln::onnx;
using namespace kiln::onnx::inference;

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

INFER(SizeOp) {
  CTX;
  if (!c.ranked(getData(), "data"))
    return failure();
  return c.add({}, IntegerType::get(getContext(), 64));
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
