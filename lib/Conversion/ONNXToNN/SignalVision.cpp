//===- SignalVision.cpp - onnx -> nn: signal, image and text operators ----===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Resize / Upsample (static or run-time geometry), GridSample, RoiAlign,
// the window functions, DFT, STFT, MelWeightMatrix and TfIdfVectorizer.
//
//===----------------------------------------------------------------------===//

#include "Common.h"

using namespace mlir;

namespace kiln::onnx_to_nn {
namespace {

struct SignalVisionLowering : Lowering {
  using Lowering::Lowering;

  LoweringResult window(Value size, int64_t periodic, StringRef kind) {
    if (!isa<FloatType>(resType().getElementType()))
      return (LogicalResult)(fail() << "only floating-point output types are supported");
    return one(nn::WindowOp::create(b, loc, resType(), size, b.getStringAttr(kind),
                                    b.getBoolAttr(periodic != 0)));
  }

  LoweringResult lowerResize(ox::ResizeOp rz) {
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
  }
  LoweringResult lowerUpsample(ox::UpsampleOp up) {
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
  }
  LoweringResult lowerHannWindow(ox::HannWindowOp w) { return window(w.getSize(), w.getPeriodic(), "hann"); }
  LoweringResult lowerHammingWindow(ox::HammingWindowOp w) { return window(w.getSize(), w.getPeriodic(), "hamming"); }
  LoweringResult lowerBlackmanWindow(ox::BlackmanWindowOp w) { return window(w.getSize(), w.getPeriodic(), "blackman"); }
  LoweringResult lowerDFT(ox::DFTOp d) {
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
  LoweringResult lowerSTFT(ox::STFTOp s) {
    Value win = isNone(s.getWindow()) ? Value() : s.getWindow();
    Value fl = isNone(s.getFrameLength()) ? Value() : s.getFrameLength();
    return one(nn::STFTOp::create(b, loc, resType(), s.getSignal(), s.getFrameStep(), win, fl,
                                  b.getBoolAttr(s.getOnesided() != 0)));
  }
  LoweringResult lowerMelWeightMatrix(ox::MelWeightMatrixOp m) {
    return one(nn::MelWeightMatrixOp::create(b, loc, resType(), m.getNumMelBins(), m.getDftLength(),
                                             m.getSampleRate(), m.getLowerEdgeHertz(),
                                             m.getUpperEdgeHertz()));
  }
  LoweringResult lowerGridSample(ox::GridSampleOp g) {
    StringRef mode = g.getMode(), pad = g.getPaddingMode();
    if (mode != "linear" && mode != "nearest" && mode != "cubic")
      return (LogicalResult)(fail() << "mode '" << mode << "' is not supported");
    if (pad != "zeros" && pad != "border" && pad != "reflection")
      return (LogicalResult)(fail() << "padding_mode '" << pad << "' is not supported");
    return one(nn::GridSampleOp::create(b, loc, resType(), g.getX(), g.getGrid(), g.getModeAttr(),
                                        g.getPaddingModeAttr(), b.getBoolAttr(g.getAlignCorners() != 0)));
  }
  LoweringResult lowerRoiAlign(ox::RoiAlignOp ra) {
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
  LoweringResult lowerTfIdfVectorizer(ox::TfIdfVectorizerOp t) {
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
};

} // namespace

void populateSignalVisionPatterns(RewritePatternSet &patterns) {
  using L = SignalVisionLowering;
  addLowering<ox::ResizeOp, &L::lowerResize>(patterns);
  addLowering<ox::UpsampleOp, &L::lowerUpsample>(patterns);
  addLowering<ox::HannWindowOp, &L::lowerHannWindow>(patterns);
  addLowering<ox::HammingWindowOp, &L::lowerHammingWindow>(patterns);
  addLowering<ox::BlackmanWindowOp, &L::lowerBlackmanWindow>(patterns);
  addLowering<ox::DFTOp, &L::lowerDFT>(patterns);
  addLowering<ox::STFTOp, &L::lowerSTFT>(patterns);
  addLowering<ox::MelWeightMatrixOp, &L::lowerMelWeightMatrix>(patterns);
  addLowering<ox::GridSampleOp, &L::lowerGridSample>(patterns);
  addLowering<ox::RoiAlignOp, &L::lowerRoiAlign>(patterns);
  addLowering<ox::TfIdfVectorizerOp, &L::lowerTfIdfVectorizer>(patterns);
}

} // namespace kiln::onnx_to_nn
