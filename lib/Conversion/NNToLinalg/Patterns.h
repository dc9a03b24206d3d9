//===- Patterns.h - nn -> linalg lowering patterns by family ----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// One populate function per op family, defined in the family's file.  Each
// adds one pattern per nn op of its family (LowerToLinalg, Common.h); an nn
// op has exactly one pattern.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_CONVERSION_NNTOLINALG_PATTERNS_H
#define KILN_LIB_CONVERSION_NNTOLINALG_PATTERNS_H

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace kiln::nn_to_linalg {

/// nn.unary, nn.binary, nn.clamp, nn.select, nn.cast (Elementwise.cpp).
void populateElementwisePatterns(mlir::RewritePatternSet &patterns);
/// nn.transpose, nn.reshape, nn.concat, nn.slice, nn.dynamic_slice, nn.pad,
/// nn.pad_mode, nn.broadcast, nn.shape_of, nn.fill, nn.range, nn.resize
/// (Tensor.cpp).
void populateTensorPatterns(mlir::RewritePatternSet &patterns);
/// nn.matmul, nn.einsum, nn.det (Matmul.cpp).
void populateMatmulPatterns(mlir::RewritePatternSet &patterns);
/// nn.attention: a tiled online softmax (Attention.cpp).
void populateAttentionPatterns(mlir::RewritePatternSet &patterns);
/// nn.conv, nn.conv_transpose, nn.pool, nn.pool_indices, nn.max_unpool
/// (ConvPool.cpp).
void populateConvPoolPatterns(mlir::RewritePatternSet &patterns);
/// nn.reduce, nn.reduce_axes, nn.softmax, nn.layer_norm (Normalization.cpp).
void populateNormalizationPatterns(mlir::RewritePatternSet &patterns);
/// nn.gather, nn.gather_elements, nn.gather_nd, nn.scatter_elements,
/// nn.scatter_nd, nn.one_hot, nn.trilu, nn.compress, nn.reverse_sequence
/// (Indexing.cpp).
void populateIndexingPatterns(mlir::RewritePatternSet &patterns);
/// nn.arg_reduce, nn.hardmax, nn.cumsum, nn.topk, nn.nonzero, nn.unique,
/// nn.non_max_suppression (Sorting.cpp).
void populateSortingPatterns(mlir::RewritePatternSet &patterns);
/// nn.nll_loss (Loss.cpp).
void populateLossPatterns(mlir::RewritePatternSet &patterns);
/// nn.quantize, nn.dequantize (Quantization.cpp).
void populateQuantizationPatterns(mlir::RewritePatternSet &patterns);
/// nn.window, nn.dft, nn.stft, nn.mel_weight_matrix, nn.tfidf (Signal.cpp).
void populateSignalPatterns(mlir::RewritePatternSet &patterns);
/// nn.grid_sample, nn.roi_align (Vision.cpp).
void populateVisionPatterns(mlir::RewritePatternSet &patterns);

/// The patterns of every family above: the whole of convert-nn-to-linalg.
void populateNNToLinalgPatterns(mlir::RewritePatternSet &patterns);

} // namespace kiln::nn_to_linalg

#endif // KILN_LIB_CONVERSION_NNTOLINALG_PATTERNS_H
