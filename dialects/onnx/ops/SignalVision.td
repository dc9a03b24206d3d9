//===- SignalVision.td - onnx ops: signal and vision -------*- tablegen -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Window functions, DFT, STFT, MelWeightMatrix, Resize, Upsample, GridSample,
// RoiAlign and TfIdfVectorizer.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_ONNX_OPS_SIGNAL_VISION
#define KILN_ONNX_OPS_SIGNAL_VISION

include "onnx/ONNXBase.td"

def ONNX_ResizeOp : ONNX_Op<"Resize">, ONNX_Since<10> {
  let summary = "ONNX Resize (opset 19 form)";
  let description = [{
    Resampling with nearest, (multi)linear or cubic interpolation.  Older
    forms are adapted at import: Resize-10 becomes `asymmetric` coordinates
    with `floor` nearest rounding and its scales input moves to `scales`;
    `roi`, `scales` and `sizes` are none when absent.  The output shape comes
    from constant `scales` (floor(in * scale)) or constant `sizes`.
  }];
  let arguments = (ins AnyTensor:$X, ONNX_TensorOrNone:$roi, ONNX_TensorOrNone:$scales,
                   ONNX_TensorOrNone:$sizes,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$antialias,
                   OptionalAttr<I64ArrayAttr>:$axes,
                   DefaultValuedAttr<StrAttr, "\"half_pixel\"">:$coordinate_transformation_mode,
                   DefaultValuedAttr<F32Attr, "-0.75">:$cubic_coeff_a,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$exclude_outside,
                   DefaultValuedAttr<F32Attr, "0.0">:$extrapolation_value,
                   DefaultValuedAttr<StrAttr, "\"stretch\"">:$keep_aspect_ratio_policy,
                   DefaultValuedAttr<StrAttr, "\"nearest\"">:$mode,
                   DefaultValuedAttr<StrAttr, "\"round_prefer_floor\"">:$nearest_mode);
  let results = (outs AnyTensor:$Y);
}

def ONNX_UpsampleOp : ONNX_Op<"Upsample">, ONNX_Since<7> {
  let summary = "ONNX Upsample (deprecated in opset 10; opset 9 form)";
  let description = [{
    Nearest (floor) or linear upsampling with `asymmetric` coordinates; the
    opset-7 `scales` attribute becomes the constant `scales` input at import.
  }];
  let arguments = (ins AnyTensor:$X, AnyTensor:$scales,
                   DefaultValuedAttr<StrAttr, "\"nearest\"">:$mode);
  let results = (outs AnyTensor:$Y);
}

class ONNX_WindowOp<string mnemonic, string summ> : ONNX_Op<mnemonic> {
  let summary = summ;
  let arguments = (ins AnyTensor:$size, DefaultValuedAttr<ONNX_SI64Attr, "1">:$output_datatype,
                   DefaultValuedAttr<ONNX_SI64Attr, "1">:$periodic);
  let results = (outs AnyTensor:$output);
}

def ONNX_HannWindowOp : ONNX_WindowOp<"HannWindow", "ONNX HannWindow">, ONNX_Since<17>;
def ONNX_HammingWindowOp : ONNX_WindowOp<"HammingWindow", "ONNX HammingWindow">, ONNX_Since<17>;
def ONNX_BlackmanWindowOp : ONNX_WindowOp<"BlackmanWindow", "ONNX BlackmanWindow">, ONNX_Since<17>;

def ONNX_DFTOp : ONNX_Op<"DFT">, ONNX_Since<17> {
  let summary = "ONNX DFT (opset 20 form: dft_length and axis inputs)";
  let description = [{
    The opset-17 `axis` attribute becomes a constant `axis` input at import.
  }];
  let arguments = (ins AnyTensor:$input, ONNX_TensorOrNone:$dft_length, ONNX_TensorOrNone:$axis,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$inverse,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$onesided);
  let results = (outs AnyTensor:$output);
}

def ONNX_STFTOp : ONNX_Op<"STFT">, ONNX_Since<17> {
  let summary = "ONNX STFT: short-time Fourier transform";
  let arguments = (ins AnyTensor:$signal, AnyTensor:$frame_step, ONNX_TensorOrNone:$window,
                   ONNX_TensorOrNone:$frame_length, DefaultValuedAttr<ONNX_SI64Attr, "1">:$onesided);
  let results = (outs AnyTensor:$output);
}

def ONNX_MelWeightMatrixOp : ONNX_Op<"MelWeightMatrix">, ONNX_Since<17> {
  let summary = "ONNX MelWeightMatrix: [dft_length / 2 + 1, num_mel_bins] triangular mel filters";
  let arguments = (ins AnyTensor:$num_mel_bins, AnyTensor:$dft_length, AnyTensor:$sample_rate,
                   AnyTensor:$lower_edge_hertz, AnyTensor:$upper_edge_hertz,
                   DefaultValuedAttr<ONNX_SI64Attr, "1">:$output_datatype);
  let results = (outs AnyTensor:$output);
}

def ONNX_GridSampleOp : ONNX_Op<"GridSample">, ONNX_Since<16> {
  let summary = "ONNX GridSample (opset 20 form: modes linear / nearest / cubic)";
  let description = [{
    Opset-16 `bilinear` / `bicubic` are renamed `linear` / `cubic` at import.
  }];
  let arguments = (ins AnyTensor:$X, AnyTensor:$grid,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$align_corners,
                   DefaultValuedAttr<StrAttr, "\"linear\"">:$mode,
                   DefaultValuedAttr<StrAttr, "\"zeros\"">:$padding_mode);
  let results = (outs AnyTensor:$Y);
}

def ONNX_RoiAlignOp : ONNX_Op<"RoiAlign">, ONNX_Since<10> {
  let summary = "ONNX RoiAlign (opset 16 form)";
  let description = [{
    RoiAlign-10 has no coordinate_transformation_mode; it behaves as
    `output_half_pixel`, which the importer sets.
  }];
  let arguments = (ins AnyTensor:$X, AnyTensor:$rois, AnyTensor:$batch_indices,
                   DefaultValuedAttr<StrAttr, "\"half_pixel\"">:$coordinate_transformation_mode,
                   DefaultValuedAttr<StrAttr, "\"avg\"">:$mode,
                   DefaultValuedAttr<ONNX_SI64Attr, "1">:$output_height,
                   DefaultValuedAttr<ONNX_SI64Attr, "1">:$output_width,
                   DefaultValuedAttr<ONNX_SI64Attr, "0">:$sampling_ratio,
                   DefaultValuedAttr<F32Attr, "1.0">:$spatial_scale);
  let results = (outs AnyTensor:$Y);
}

def ONNX_TfIdfVectorizerOp : ONNX_Op<"TfIdfVectorizer">, ONNX_Since<9> {
  let summary = "ONNX TfIdfVectorizer (integer input; string pools are not supported)";
  let arguments = (ins AnyTensor:$X, ONNX_SI64Attr:$max_gram_length,
                   ONNX_SI64Attr:$max_skip_count, ONNX_SI64Attr:$min_gram_length,
                   StrAttr:$mode, ONNX_I64ArrayAttr:$ngram_counts,
                   ONNX_I64ArrayAttr:$ngram_indexes,
                   OptionalAttr<ONNX_I64ArrayAttr>:$pool_int64s,
                   OptionalAttr<ONNX_F32ArrayAttr>:$weights);
  let results = (outs AnyTensor:$Y);
}

#endif // KILN_ONNX_OPS_SIGNAL_VISION
