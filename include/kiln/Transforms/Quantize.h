//===- Quantize.h - int8 post-training quantization of nn layers -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// What kiln-nn-quantize (Passes.td) and kiln-compile's calibration share:
// which layers can run in int8, their activation input (the tensor that
// calibration observes), the activation parameters chosen from a range,
// and the rewrite of one layer into nn.qconv / nn.qmatmul.
//
// Scheme (docs/quantization.md): activations uint8, asymmetric, one scale
// and zero point per tensor; weights int8, symmetric ([-127, 127]), one
// scale per output channel; int32 accumulation; the result dequantized to
// f32 in the layer's epilogue (bias, residual, activation as before).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TRANSFORMS_QUANTIZE_H
#define KILN_TRANSFORMS_QUANTIZE_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Operation.h"
#include "llvm/ADT/SmallVector.h"

#include <string>

namespace kiln::quant {

/// On an nn.conv / nn.matmul: the calibrated range [lo, hi] of its
/// activation input (array<f32: lo, hi>), written by calibration.  The
/// layer is quantized by kiln-nn-quantize when it has this attribute.
constexpr llvm::StringLiteral kRangeAttr = "kiln.quant.input_range";
/// On a layer: "int8" (the default with kRangeAttr, which int8 needs)
/// quantizes it; "bf16" runs it on bf16 operands with f32 accumulation (no
/// range needed); "fp32" keeps it in float (a mixed-precision choice).
constexpr llvm::StringLiteral kPrecisionAttr = "kiln.quant.precision";

/// Whether `op` can run in int8: an f32 nn.conv, ungrouped or depthwise
/// (isInt8Depthwise), with a constant filter and static channels, kernel
/// and output spatial dims (other grouped convolutions have no int8 kernel
/// yet), or an f32 nn.matmul
/// whose rhs is a constant [K, N] (or [1..., K, N]) and whose result has
/// the lhs's rank.  If not, `why` (when given) says why.
bool isQuantizable(mlir::Operation *op, std::string *why = nullptr);

/// Whether `op` (nn.conv or nn.qconv) is a 2-D depthwise convolution the
/// int8 depthwise kernel takes: one filter per channel, a window of at most
/// 64 taps, a row stride of at most 2.  Its int8 form reads a signed input
/// (the uint8 zero point minus 128).
bool isInt8Depthwise(mlir::Operation *op);
/// isInt8Depthwise on the shapes: a 2-D convolution with `filter` [F,
/// C/groups, KH, KW], `result` [N, F, OH, OW], `groups` and `strides`
/// (also for imported QDQ convolutions).
bool isInt8DepthwiseShape(mlir::ShapedType filter, mlir::ShapedType result, int64_t groups,
                          llvm::ArrayRef<int64_t> strides);

/// The layers under `root` that isQuantizable accepts, in walk order.
llvm::SmallVector<mlir::Operation *> quantizableLayers(mlir::Operation *root);

/// The activation input of a layer: the conv's input, the matmul's lhs.
mlir::Value layerInput(mlir::Operation *layer);

/// Multiply-accumulates of one run of the layer (static dims; a dynamic
/// dim counts as 1).
int64_t layerMacs(mlir::Operation *layer);

/// uint8 activation parameters for values in [lo, hi]: the range is
/// widened to contain 0 (so that 0, the padding, is exact), scale = (hi -
/// lo) / 255, zero point = round(-lo / scale) in [0, 255].  An empty range
/// (lo = hi = 0) gives scale 1, zero point 0.
struct ActParams {
  float scale = 1;
  int64_t zeroPoint = 0;
};
ActParams activationParams(float lo, float hi);

/// Symmetric int8 per channel: `w` has `channels` groups; element i belongs
/// to channel chanOf(i).  Fills `q` and the scales (max |w| / 127; 1 for an
/// all-zero channel), rounding half to even and clamping to [-127, 127].
/// (kiln-nn-quantize's weights; --emit=qdq-onnx writes the same.)
void quantizeWeights(llvm::ArrayRef<float> w, int64_t channels, llvm::function_ref<int64_t(size_t)> chanOf,
                     llvm::SmallVectorImpl<int8_t> &q, llvm::SmallVectorImpl<float> &scales);

/// Replaces `layer` (isQuantizable) by nn.quantize of its input and an
/// nn.qconv / nn.qmatmul with per-channel int8 weights; returns the new
/// layer.  The weights are quantized here (round half to even).
mlir::Operation *quantizeLayer(mlir::OpBuilder &b, mlir::Operation *layer, ActParams act);

/// The bits of the bf16 value nearest `f` (round half to even, as
/// vcvtneps2bf16; a NaN stays a quiet NaN).
uint16_t toBF16(float f);

/// Rewrites `layer` (isQuantizable) to bf16 in place: its input through
/// nn.cast to bf16, its weights rounded to a bf16 constant (toBF16); the
/// result stays f32 (the products accumulate in f32, the epilogue runs in
/// f32).  Returns `layer`.
mlir::Operation *castLayerToBF16(mlir::OpBuilder &b, mlir::Operation *layer);

/// int4 weight-only layers (precision "int4"): the group size along K
/// (an even divisor of K; kiln-compile --int4-group), and optionally the
/// activation-aware per-input-channel scales s (array<f32> of K values,
/// chosen by kiln-compile's AWQ search): the weights are quantized as
/// diag(s) W and the input divided by s (folded into a LayerNorm before the
/// layer when it can be, else an nn.binary mul).
constexpr llvm::StringLiteral kGroupAttr = "kiln.quant.int4_group";
constexpr llvm::StringLiteral kAWQScaleAttr = "kiln.quant.awq_scale";
/// On an int4 layer: "int8" quantizes its activations at run time per row
/// and group (nn.int4_matmul's lhs_int8: W4A8); "f32" (the default) keeps them.
constexpr llvm::StringLiteral kInt4ActAttr = "kiln.quant.int4_activations";
/// On nn.int4_matmul's linalg.generic with lhs_int8: its x operand holds
/// the activations already rounded to q * sx per row and group.
constexpr llvm::StringLiteral kInt4LhsInt8Attr = "kiln.int4_lhs_int8";

/// On the linalg.generic of an nn.int4_matmul (NNToLinalg): its group size;
/// the CPU back end runs the generics it marks on its int4 kernel.
constexpr llvm::StringLiteral kInt4ProductAttr = "kiln.int4_product";

/// Whether `op` can take int4 weights in groups of `group`: an nn.matmul
/// that isQuantizable, whose K is a multiple of `group` (even).  If not,
/// `why` says why.
bool isInt4Quantizable(mlir::Operation *op, int64_t group, std::string *why = nullptr);

/// Asymmetric 4-bit codes of `w` [K, N] (row-major) in groups of `group`
/// along K, per column: per group, scale = (max - min) / 15 over the
/// group's values with 0 included, zero point = round(-min / scale) in
/// [0, 15], code = clamp(round(w / scale) + zero point, 0, 15) (round half
/// to even); an all-zero group has scale 1, zero point 0.  `codes` is
/// [K, N], `scales` and `zeroPoints` [K / group, N].
struct Int4Weights {
  llvm::SmallVector<uint8_t> codes;
  llvm::SmallVector<float> scales;
  llvm::SmallVector<int8_t> zeroPoints;
  /// The value code (k, n) stands for.
  float value(int64_t k, int64_t n, int64_t N, int64_t group) const {
    int64_t g = (k / group) * N + n;
    return scales[g] * float(int(codes[k * N + n]) - zeroPoints[g]);
  }
};
void quantizeInt4(llvm::ArrayRef<float> w, int64_t K, int64_t N, int64_t group, Int4Weights &q);

/// Replaces `layer` (isInt4Quantizable) by an nn.int4_matmul of its input
/// (divided by `awq` when given: K scales) and its weights (times `awq`)
/// in groups of `group`; returns the new layer.  `scaledInput` is the input
/// already divided by the same scales when another layer made it (shared
/// inputs), else null: the division is made here (an nn.binary mul by the
/// reciprocals), returned through it.
mlir::Operation *quantizeLayerInt4(mlir::OpBuilder &b, mlir::Operation *layer, int64_t group,
                                   llvm::ArrayRef<float> awq, mlir::Value &scaledInput, bool lhsInt8 = false);

} // namespace kiln::quant

#endif
