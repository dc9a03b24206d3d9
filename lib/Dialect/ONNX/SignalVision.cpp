//===- SignalVision.cpp - onnx shape inference: signal, vision ------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Window functions, DFT, STFT, MelWeightMatrix, Resize, Upsample, GridSample,
// RoiAlign and TfIdfVectorizer (dialects/onnx/ops/SignalVision.td).
//
//===----------------------------------------------------------------------===//

#include "ShapeInference.h"
#include "kiln/Support/ONNXDType.h"

using namespace mlir;
using namespace kiln::onnx;
using namespace kiln::onnx::inference;

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
  if (!isNone(getAxis())) {
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
  if (!isNone(getDftLength())) {
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
  if (!isNone(getWindow())) {
    auto w = c.ranked(getWindow(), "window");
    if (!w || w.getRank() != 1)
      return c.error() << "window must be 1-D";
    len = w.getDimSize(0);
  } else if (!isNone(getFrameLength())) {
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
