//===- Common.h - shared pieces of the onnx -> nn conversion ----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The onnx -> nn conversion is one pattern per onnx op, grouped by op family
// (one file each, exposing populate<Family>Patterns).  A pattern builds the
// replacement with a per-op `Lowering` object (the builder, the op, and the
// helpers that report an error naming the node), then replaces the op.
//
// Order: the pass converts users before producers, so while a pattern runs
// the producers of its operands are still onnx ops and constant or shape
// values (and integer signedness) are read through them.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_LIB_CONVERSION_ONNXTONN_COMMON_H
#define KILN_LIB_CONVERSION_ONNXTONN_COMMON_H

#include "kiln/Conversion/Passes.h"

#include "mlir/IR/PatternMatch.h"

namespace kiln::onnx_to_nn {

namespace ox = kiln::onnx;
namespace nn = kiln::nn;
using mlir::ArrayRef;
using mlir::FailureOr;
using mlir::Location;
using mlir::OpBuilder;
using mlir::RankedTensorType;
using mlir::SmallVector;
using mlir::SmallVectorImpl;
using mlir::Type;
using mlir::Value;

inline constexpr int64_t kDyn = mlir::ShapedType::kDynamic;

/// The replacement values of a converted op, or failure (after an error).
using LoweringResult = FailureOr<SmallVector<Value>>;

//===----------------------------------------------------------------------===//
// Helpers building nn / tensor / arith values.
//===----------------------------------------------------------------------===//

inline RankedTensorType rtt(Value v) { return mlir::cast<RankedTensorType>(v.getType()); }
inline bool isNone(Value v) { return !v || mlir::isa<mlir::NoneType>(v.getType()); }

/// Emits `d` as an index value (constant if static).
Value dimValue(OpBuilder &b, Location loc, Value t, int64_t i);
/// Builds a 1-D i64 shape tensor from index values.
Value shapeTensor(OpBuilder &b, Location loc, ArrayRef<Value> dims);
/// Reshape `x` to `type`; `dims` (optional) gives the result dims as index
/// values and is only used when more than one result dim is dynamic.
Value reshapeTo(OpBuilder &b, Location loc, Value x, RankedTensorType type,
                ArrayRef<Value> dims = {});
/// Reshape to a static `shape` (same element type).
Value reshapeStatic(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> shape);
/// Prepends size-1 dims so that `v` has `rank` dims.
Value toRank(OpBuilder &b, Location loc, Value v, int64_t rank);
/// nn.binary with both operands brought to the result's rank.
Value binary(OpBuilder &b, Location loc, nn::BinaryKind kind, Value lhs, Value rhs,
             RankedTensorType resType);
Value unary(OpBuilder &b, Location loc, nn::UnaryKind kind, Value x,
            mlir::FloatAttr alpha = {}, mlir::FloatAttr beta = {});
/// Reads a constant's float elements (dense or resource).
bool readFloats(Value v, SmallVectorImpl<double> &out);
mlir::ElementsAttr floatsAttr(RankedTensorType type, ArrayRef<double> vals);
Value constTensor(OpBuilder &b, Location loc, RankedTensorType type, ArrayRef<double> vals);
/// A constant of `rank` size-1 dims holding `v`.
Value splatOfRank(OpBuilder &b, Location loc, int64_t rank, Type elem, double v);
SmallVector<int64_t> intsAttr(std::optional<mlir::ArrayAttr> a);
/// Index value of a static size.
Value idxOf(OpBuilder &b, Location loc, int64_t v);
/// Transposes a 2-D value (at compile time when it is an f32 constant).
Value transpose2D(OpBuilder &b, Location loc, Value v);
/// `v` converted to element type `et` (nn.cast, signed), or `v` itself.
Value castElem(OpBuilder &b, Location loc, Value v, Type et);

bool isUnsignedONNXCode(int64_t d);
/// Whether integer value `v` holds an ONNX unsigned type (follows the value
/// back through its onnx producers).
bool isUnsignedInt(Value v, int depth = 0);

//===----------------------------------------------------------------------===//
// Lowering of one op.
//===----------------------------------------------------------------------===//

/// What the conversion of one op needs: the builder (positioned before the
/// op), its location, and the op.  Each family derives its own struct from it
/// with the op-specific conversions as members.
struct Lowering {
  Lowering(OpBuilder &b, mlir::Operation *op) : b(b), loc(op->getLoc()), op(op) {}

  OpBuilder &b;
  Location loc;
  mlir::Operation *op;

  /// Starts an error naming the node; the caller adds the reason.
  mlir::InFlightDiagnostic fail();
  RankedTensorType resType(unsigned i = 0) { return rtt(op->getResult(i)); }
  SmallVector<Value> one(Value v) { return {v}; }

  /// Strides, dilations and explicit pads of a Conv-like node (Conv,
  /// ConvInteger, QLinearConv): ONNX's defaults filled in and auto_pad
  /// resolved exactly as shape inference did.  A failure names the node,
  /// unless `report` is false (a pattern that leaves the node to another,
  /// which reports it).
  mlir::LogicalResult convGeometry(mlir::Operation *o, RankedTensorType x, RankedTensorType w,
                                   SmallVector<int64_t> &strides, SmallVector<int64_t> &dil,
                                   SmallVector<int64_t> &pads, bool report = true);
};

/// Replaces `op`'s results by `repl` (a tensor.cast where the types differ)
/// and erases it.
void replaceWithValues(mlir::PatternRewriter &rewriter, mlir::Operation *op, mlir::ValueRange repl);

namespace detail {
template <typename F> struct MemberOf;
template <typename C, typename R, typename A> struct MemberOf<R (C::*)(A)> {
  using type = C;
};
} // namespace detail

/// Converts an `OpTy` with the member function `Fn` of a Lowering struct; on
/// failure `Fn` has reported the error and the op is left alone.
template <typename OpTy, auto Fn>
struct LoweringPattern : mlir::OpRewritePattern<OpTy> {
  using mlir::OpRewritePattern<OpTy>::OpRewritePattern;

  mlir::LogicalResult matchAndRewrite(OpTy op, mlir::PatternRewriter &rewriter) const override {
    using L = typename detail::MemberOf<decltype(Fn)>::type;
    L lowering(rewriter, op);
    LoweringResult repl = (lowering.*Fn)(op);
    if (mlir::failed(repl))
      return mlir::failure();
    replaceWithValues(rewriter, op, *repl);
    return mlir::success();
  }
};

template <typename OpTy, auto Fn>
void addLowering(mlir::RewritePatternSet &patterns) {
  patterns.add<LoweringPattern<OpTy, Fn>>(patterns.getContext());
}

//===----------------------------------------------------------------------===//
// Pattern sets, one per op family.
//===----------------------------------------------------------------------===//

void populateElementwisePatterns(mlir::RewritePatternSet &patterns);
void populateConvPoolPatterns(mlir::RewritePatternSet &patterns);
void populateMatmulPatterns(mlir::RewritePatternSet &patterns);
void populateNormalizationPatterns(mlir::RewritePatternSet &patterns);
void populateReductionPatterns(mlir::RewritePatternSet &patterns);
void populateTensorPatterns(mlir::RewritePatternSet &patterns);
void populateIndexingPatterns(mlir::RewritePatternSet &patterns);
void populateSortingPatterns(mlir::RewritePatternSet &patterns);
void populateLossPatterns(mlir::RewritePatternSet &patterns);
void populateControlFlowPatterns(mlir::RewritePatternSet &patterns);
void populateRecurrentPatterns(mlir::RewritePatternSet &patterns);
void populateQuantizationPatterns(mlir::RewritePatternSet &patterns);
void populateSignalVisionPatterns(mlir::RewritePatternSet &patterns);

/// All of the above.
void populateONNXToNNPatterns(mlir::RewritePatternSet &patterns);

} // namespace kiln::onnx_to_nn

#endif // KILN_LIB_CONVERSION_ONNXTONN_COMMON_H
