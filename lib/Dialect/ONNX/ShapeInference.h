//===- ShapeInference.h - helpers of onnx shape inference -------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Shared by the per-family shape inference files of lib/Dialect/ONNX
// (Elementwise.cpp, ConvPool.cpp, ...): saturating shape arithmetic, the
// inference context Ctx, numpy broadcasting, and the shape functions more
// than one family uses.  Private to the dialect library.
//
// Shape inference follows the ONNX operator specification (onnx.ai/onnx
// Operators.md).  Unknown sizes are ShapedType::kDynamic ("?").
//
//===----------------------------------------------------------------------===//
#ifndef KILN_LIB_DIALECT_ONNX_SHAPEINFERENCE_H
#define KILN_LIB_DIALECT_ONNX_SHAPEINFERENCE_H

#include "kiln/Dialect/ONNX/ONNXOps.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/STLExtras.h"

#include <cmath>
#include <limits>
#include <optional>

namespace kiln::onnx::inference {

using mlir::LogicalResult;
using mlir::Value;

constexpr int64_t kDyn = mlir::ShapedType::kDynamic;

// Shape arithmetic on values a hostile model can make arbitrarily large
// (attributes, constant shape inputs): saturating instead of overflowing
// (INT64_MIN is kDyn, so the low end saturates one above it).  Ctx::add
// then refuses the absurd result with an error.
constexpr int64_t kSatMin = std::numeric_limits<int64_t>::min() + 1;
constexpr int64_t kSatMax = std::numeric_limits<int64_t>::max();
/// `r`, or the bound an overflowed result saturates to.
inline int64_t saturated(bool overflowed, bool negative, int64_t r) {
  if (overflowed)
    return negative ? kSatMin : kSatMax;
  return r == kDyn ? kSatMin : r;
}
inline int64_t satAdd(int64_t a, int64_t b) {
  int64_t r;
  bool o = __builtin_add_overflow(a, b, &r);
  return saturated(o, a < 0, r);
}
inline int64_t satSub(int64_t a, int64_t b) {
  int64_t r;
  bool o = __builtin_sub_overflow(a, b, &r);
  return saturated(o, a < 0, r);
}
inline int64_t satMul(int64_t a, int64_t b) {
  int64_t r;
  bool o = __builtin_mul_overflow(a, b, &r);
  return saturated(o, (a < 0) != (b < 0), r);
}
/// A dimension computed in floating point (Resize sizes, Range counts).
inline int64_t doubleToDim(double v) {
  if (std::isnan(v) || v >= 9.0e18)
    return kSatMax;
  if (v <= -9.0e18)
    return kSatMin;
  return (int64_t)v;
}
/// Largest number of elements an inferred result may have (2^40: 4 TiB of
/// f32); shapes beyond come from hostile or broken attributes and inputs.
constexpr int64_t kMaxInferredElements = int64_t(1) << 40;

inline mlir::RankedTensorType getRanked(Value v) {
  return llvm::dyn_cast<mlir::RankedTensorType>(v.getType());
}

inline int64_t normAxis(int64_t axis, int64_t rank) {
  return axis < 0 ? axis + rank : axis;
}

/// Whether an optional operand was left out (`none`).
inline bool isNone(Value v) { return !v || llvm::isa<mlir::NoneType>(v.getType()); }

/// The state of one op's shape inference: its diagnostics and the result
/// types inferred so far.
struct Ctx {
  mlir::Operation *op;
  llvm::SmallVectorImpl<mlir::Type> &types;
  mlir::InFlightDiagnostic error() { return op->emitOpError(); }
  mlir::RankedTensorType ranked(Value v, llvm::StringRef what) {
    auto t = getRanked(v);
    if (!t)
      (void)(error() << "operand '" << what << "' must be a ranked tensor");
    return t;
  }
  /// `v` as a ranked tensor of rank >= minRank, else an error
  /// "<what> must be <layout>".
  mlir::RankedTensorType rankedAtLeast(Value v, llvm::StringRef what, int64_t minRank,
                                       llvm::StringRef layout) {
    auto t = ranked(v, what);
    if (t && t.getRank() < minRank) {
      (void)(error() << what << " must be " << layout);
      return {};
    }
    return t;
  }
  /// Appends the result type, refusing negative dims and absurd sizes.
  LogicalResult add(llvm::ArrayRef<int64_t> shape, mlir::Type elem);
  static std::string shapeString(llvm::ArrayRef<int64_t> shape);
};

/// The integer attributes of an optional array attribute (empty if absent).
llvm::SmallVector<int64_t> readInts(std::optional<mlir::ArrayAttr> a);

/// The product of the dims, kDyn if one is dynamic (saturating).
int64_t product(llvm::ArrayRef<int64_t> dims);

/// Numpy multidirectional broadcasting.
mlir::FailureOr<llvm::SmallVector<int64_t>> broadcast(mlir::Operation *op,
                                                      llvm::ArrayRef<int64_t> a,
                                                      llvm::ArrayRef<int64_t> b);
/// Adds the broadcast shape of the operands with element type `elem`.
LogicalResult inferBroadcast(Ctx &c, mlir::ValueRange operands, mlir::Type elem);
/// Fails unless the operands have one element type.
LogicalResult checkSameElem(Ctx &c, mlir::ValueRange operands);
/// Adds the type of `v` (a ranked tensor) as the result type.
LogicalResult inferSame(Ctx &c, Value v);

/// Provenance of dynamic dimensions (ShapeHelpers.cpp): the tensor and
/// dimension where dynamic dimension `i` of `v` first appears, following ops
/// that pass it through unchanged; two dynamic dimensions with the same
/// origin are equal at run time.
using DimOrigin = std::pair<Value, int64_t>;
DimOrigin dimOrigin(Value v, int64_t i);
/// Element `idx` of a shape tensor built by the usual exported shape
/// computation, when it is dimension d of some tensor T (Shape(T)[d]):
/// returns dimOrigin(T, d).
std::optional<DimOrigin> shapeElementOrigin(Value v, int64_t idx);

/// Numpy matmul result shape of A x B (Matmul.cpp; also the integer and
/// quantized matmuls).
mlir::FailureOr<llvm::SmallVector<int64_t>> matmulShape(Ctx &c, mlir::RankedTensorType a,
                                                        mlir::RankedTensorType b);
/// Result shape [N, M, spatial...] of a convolution of X by W with `g`
/// groups (ConvPool.cpp; also the integer and quantized convolutions).
mlir::FailureOr<llvm::SmallVector<int64_t>>
convShape(Ctx &c, mlir::RankedTensorType x, mlir::RankedTensorType w, int64_t g,
          std::optional<mlir::ArrayAttr> kernelA, std::optional<mlir::ArrayAttr> strides,
          std::optional<mlir::ArrayAttr> dil, std::optional<mlir::ArrayAttr> pads,
          llvm::StringRef autoPad);

} // namespace kiln::onnx::inference

/// Defines an op's ShapeInferenceOpInterface method; CTX makes its Ctx `c`.
#define INFER(OP) LogicalResult OP::inferResultTypes(SmallVectorImpl<Type> &types)
#define CTX Ctx c{getOperation(), types}

#endif // KILN_LIB_DIALECT_ONNX_SHAPEINFERENCE_H
