//===- ConstantUtils.h - reading and writing nn constants -------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Helpers shared by the graph passes that compute new weights at compile
// time (scale/shift folding, epilogue bias fusion, layer merging, constant
// folding).  Constants in `nn` are arith.constant ops holding either a
// DenseElementsAttr or a DenseResourceElementsAttr (the importer's blobs).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TRANSFORMS_CONSTANTUTILS_H
#define KILN_TRANSFORMS_CONSTANTUTILS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/SmallVector.h"

namespace kiln {

/// Reads the elements of an f32 constant (dense, splat or resource) in
/// row-major order, looking through nn.reshape ops (without a run-time
/// shape) of it.  False if `v` is not such a constant.
bool readF32Constant(mlir::Value v, llvm::SmallVectorImpl<float> &out);

/// True if `v` is a float constant (or an nn.reshape of one) whose elements
/// all equal one value (returned in `value`).
bool isFloatSplatConstant(mlir::Value v, double &value);

/// An f32 constant of `type` holding `values` (row-major).  Small constants
/// (up to 16 elements) are dense attributes, larger ones resource blobs named
/// after `blobName`.
mlir::Value makeF32Constant(mlir::OpBuilder &b, mlir::Location loc, mlir::RankedTensorType type,
                            llvm::ArrayRef<float> values, llvm::StringRef blobName);

/// An i64 constant of `type` holding `values` (row-major): dense up to 16
/// elements, else a resource blob named after `blobName`.
mlir::Value makeI64Constant(mlir::OpBuilder &b, mlir::Location loc, mlir::RankedTensorType type,
                            llvm::ArrayRef<int64_t> values, llvm::StringRef blobName);

/// Reads the elements of an i8 constant (dense, splat or resource) in
/// row-major order, looking through nn.reshape ops as readF32Constant.
bool readI8Constant(mlir::Value v, llvm::SmallVectorImpl<int8_t> &out);
/// An i8 constant of `type` holding `values` (row-major): dense up to 64
/// elements, else a resource blob named after `blobName`.
mlir::Value makeI8Constant(mlir::OpBuilder &b, mlir::Location loc, mlir::RankedTensorType type,
                           llvm::ArrayRef<int8_t> values, llvm::StringRef blobName);
/// Erases, under `root`, every unused arith.constant and unused nn.reshape
/// (the weights a pass replaced), repeating until none is left.
void eraseDeadConstants(mlir::Operation *root);

/// Releases the data of every builtin resource blob (dense_resource weights)
/// of `root`'s context that no attribute under `root` refers to: the
/// weights that passes replaced (transposed, folded, packed).  Their entries
/// stay, empty; the context keeps every blob until it is destroyed
/// otherwise (VGG-16: two copies of its 528 MB of weights after the graph
/// passes).  Only while no other module of the context is in use.
void releaseUnreferencedBlobs(mlir::Operation *root);

/// makeF32Constant for a matmul weight: a `type` of rank > 2 whose leading
/// dims are all 1 ([1..., K, N]) is built as a [K, N] constant and an
/// nn.reshape to `type`, as the importer builds it.  The lowering then sees
/// a 2-D constant (a collapse of a resource blob does not fold, and the
/// matmul would read its rhs through the collapse: many times slower).
mlir::Value makeF32MatmulWeight(mlir::OpBuilder &b, mlir::Location loc, mlir::RankedTensorType type,
                                llvm::ArrayRef<float> values, llvm::StringRef blobName);

/// Output-channel dim of a conv / conv_transpose / matmul (or int8 qconv /
/// qmatmul) result of type `rt`: 1 for the convolutions ([N, F,
/// spatial...]), the last for the matmuls ([..., M, N]) -- the dim a bias
/// broadcasts along.
int64_t outputChannelDim(mlir::Operation *layer, mlir::RankedTensorType rt);

/// Reads constant `c` (of `rt`'s rank, f32) as one value per output channel:
/// every dim of c is 1 except possibly dim `cd`, which may equal F.  False if
/// c is not such a constant (varies along another dim, dynamic, ...).
bool readChannelConstant(mlir::Value c, mlir::RankedTensorType rt, int64_t cd, int64_t F,
                         llvm::SmallVectorImpl<double> &out);

/// The bias operand of a conv / conv_transpose / matmul / qconv / qmatmul
/// (null if none).
mlir::Value layerBias(mlir::Operation *layer);

/// The layer's bias as F values (zeros if it has none); false if the bias is
/// not an f32 constant of F elements.
bool readLayerBias(mlir::Operation *layer, int64_t F, llvm::SmallVectorImpl<float> &bias);

/// Number of elements of a static shape; -1 if any dim is dynamic.
int64_t staticNumElements(mlir::ShapedType t);

} // namespace kiln

#endif
