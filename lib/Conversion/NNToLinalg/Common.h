//===- Common.h - helpers shared by the nn -> linalg lowerings --*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The pattern that wraps a lowering function (LowerToLinalg), and the
// builders that more than one op family uses: shapes and dims, constants,
// elementwise linalg.generics, the scalar bodies of nn.unary / nn.binary /
// nn.cast, the fused conv/matmul epilogue, reductions and scf loop nests.
// A helper that only one family uses stays in that family's file.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_CONVERSION_NNTOLINALG_COMMON_H
#define KILN_LIB_CONVERSION_NNTOLINALG_COMMON_H

#include "kiln/Dialect/NN/NNOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

#include <optional>
#include <type_traits>

namespace kiln::nn_to_linalg {

using mlir::AffineMap;
using mlir::ArrayRef;
using mlir::function_ref;
using mlir::Location;
using mlir::OpBuilder;
using mlir::OpFoldResult;
using mlir::RankedTensorType;
using mlir::SmallVector;
using mlir::Type;
using mlir::TypedAttr;
using mlir::Value;
using mlir::ValueRange;

constexpr int64_t kDyn = mlir::ShapedType::kDynamic;

//===----------------------------------------------------------------------===//
// Lowering patterns
//===----------------------------------------------------------------------===//

/// Replaces the results of `op` by `values` (one per result); a value whose
/// type differs from its result's (a more or less static shape) goes through
/// a tensor.cast to the result type.
void replaceOpWithCast(mlir::PatternRewriter &rewriter, mlir::Operation *op, ValueRange values);

/// The rewrite pattern of one nn op: `Lower(rewriter, op)` builds the
/// replacement in front of `op` and returns it as a Value, a
/// FailureOr<Value>, or a FailureOr<SmallVector<Value>> (one value per
/// result, for ops with several results).  A lowering that cannot handle
/// `op` returns `rewriter.notifyMatchFailure(op, "reason")` before it builds
/// any IR; convert-nn-to-linalg reports that reason as the error at `op`.
template <typename OpT, auto Lower>
struct LowerToLinalg final : mlir::OpRewritePattern<OpT> {
  using mlir::OpRewritePattern<OpT>::OpRewritePattern;

  mlir::LogicalResult matchAndRewrite(OpT op, mlir::PatternRewriter &rewriter) const override {
    auto lowered = Lower(rewriter, op);
    if constexpr (std::is_same_v<decltype(lowered), Value>) {
      replaceOpWithCast(rewriter, op, lowered);
    } else {
      if (mlir::failed(lowered))
        return mlir::failure();
      replaceOpWithCast(rewriter, op, *lowered);
    }
    return mlir::success();
  }
};

//===----------------------------------------------------------------------===//
// Shapes, constants, elementwise generics
//===----------------------------------------------------------------------===//

inline RankedTensorType rtt(Value v) { return mlir::cast<RankedTensorType>(v.getType()); }

Value cIdx(OpBuilder &b, Location loc, int64_t v);
/// Size of dim `i` of `t` as an index value (a constant when static).
Value dimOf(OpBuilder &b, Location loc, Value t, int64_t i);
/// Size of dim `i` as an OpFoldResult: an attribute when static.
OpFoldResult mixedDim(OpBuilder &b, Location loc, Value t, int64_t i);
/// Sizes of every dim of `t` (dimOf).
SmallVector<Value> allDims(OpBuilder &b, Location loc, Value t);

/// tensor.empty of `type`; dynamic sizes from `dims` (one Value per dim of
/// the type, only the dynamic ones are read).
Value empty(OpBuilder &b, Location loc, RankedTensorType type, ArrayRef<Value> dims);

/// Result dims of an op with a shape operand (a 1-D integer tensor): static
/// dims as constants, the dynamic ones read from `shape`.
SmallVector<Value> dimsFromShapeOperand(OpBuilder &b, Location loc, RankedTensorType res, Value shape);

/// One all-parallel linalg.generic over `init` with no inputs: `body`
/// computes each element from the linalg.index values (gathers, pads,
/// resampling).
Value generateOver(OpBuilder &b, Location loc, Value init,
                   function_ref<void(OpBuilder &, Location, ValueRange)> body);

/// A linalg.generic with no inputs besides `ins`, writing `init`; `body`
/// gets the builder and returns the yielded value.
Value qGeneric(OpBuilder &b, Location loc, RankedTensorType res, Value init, ValueRange ins,
               ArrayRef<AffineMap> inMaps, ArrayRef<mlir::utils::IteratorType> iters,
               function_ref<Value(OpBuilder &, Location, ValueRange)> body);

/// The constant `v` of int or float type `t`.
Value scalar(OpBuilder &b, Location loc, Type t, double v);
/// The smallest (-inf) and largest (+inf) value of int or float type `t`.
Value lowest(OpBuilder &b, Location loc, Type t);
Value highest(OpBuilder &b, Location loc, Type t);
/// linalg.fill of `init` with `v`.
Value fillTensor(OpBuilder &b, Location loc, Value init, Value v);

/// Indexing map of an explicit-rank broadcast operand into `res`.
AffineMap broadcastMap(OpBuilder &b, RankedTensorType operand, RankedTensorType res);

/// Result dims of an elementwise op: the first operand whose dim is not a
/// static 1 provides each dynamic size.
SmallVector<Value> elementwiseDims(OpBuilder &b, Location loc, RankedTensorType res,
                                   ValueRange operands);

using BodyFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// An elementwise linalg.generic of type `res` over `operands` (explicit-rank
/// broadcasting: static size-1 dims broadcast); `body` maps the operands'
/// elements to the result's.
Value elementwise(OpBuilder &b, Location loc, RankedTensorType res, ValueRange operands,
                  BodyFn body);

/// The single element of a 0-d or 1-element tensor.
Value scalarOf(OpBuilder &b, Location loc, Value t);
/// An integer as `index`.
Value toIndex(OpBuilder &b, Location loc, Value v);

//===----------------------------------------------------------------------===//
// Scalar bodies
//===----------------------------------------------------------------------===//

std::optional<double> optDouble(std::optional<llvm::APFloat> v);

/// nn.unary `k` of the scalar `x` (alpha, beta: the op's attributes).
Value unaryScalar(OpBuilder &b, Location loc, nn::UnaryKind k, std::optional<double> alpha,
                  std::optional<double> beta, Value x);
Value unaryScalar(OpBuilder &b, Location loc, nn::UnaryOp op, Value x);
/// nn.binary `k` of the scalars `x` and `y`.
Value binaryScalar(OpBuilder &b, Location loc, nn::BinaryKind k, Value x, Value y);
/// nn.cast of the scalar `x` to `to`; uSrc / uDst: the integer source /
/// destination is unsigned.
Value castScalar(OpBuilder &b, Location loc, Value x, Type to, bool uSrc, bool uDst);

//===----------------------------------------------------------------------===//
// Fused conv/matmul epilogue
//===----------------------------------------------------------------------===//

/// Marks a linalg op that computes part of a fused conv/matmul epilogue; the
/// CPU back end moves it into the tile loops of the conv/matmul that it
/// initializes (bias) or finishes (residual add, activation).
inline constexpr llvm::StringLiteral kEpilogueAttr = "kiln.epilogue";

/// Accumulator init of a conv/matmul: the bias broadcast along `biasDim`, or
/// zeros.
Value epilogueInit(OpBuilder &b, Location loc, RankedTensorType res, ArrayRef<Value> dims, Value bias,
                   int64_t biasDim);

/// Scalar body of a fused activation (nn.conv / nn.matmul `act`).
Value actScalar(OpBuilder &b, Location loc, nn::ActKind k, std::optional<double> alpha,
                std::optional<double> beta, Value x);

/// The post-reduction part of a conv/matmul epilogue: `act(v + residual)`
/// (either part optional), computed in place on `v` (an elementwise
/// linalg.generic with `v` as input and init), marked as an epilogue.  The
/// residual is added after the reduction, not used as the accumulator's
/// initial value: accumulating thousands of small products onto a large
/// residual lost precision (BERT's error vs torch grew 5x).
template <typename OpT>
Value applyAct(OpBuilder &b, Location loc, OpT op, Value v, Value residual = Value()) {
  if (!op.getAct() && !residual)
    return v;
  auto t = rtt(v);
  int64_t r = t.getRank();
  std::optional<nn::ActKind> k = op.getAct();
  std::optional<double> alpha = optDouble(op.getActAlpha()), beta = optDouble(op.getActBeta());
  SmallVector<Value> ins{v};
  if (residual)
    ins.push_back(residual);
  // `v` is both an input and the init: one-shot bufferization computes the
  // epilogue in place, and the payload reads only the inputs (elementwise
  // fusion mishandles producers whose payload reads their init when their
  // consumer broadcasts them).
  auto g = mlir::linalg::GenericOp::create(
      b, loc, mlir::TypeRange{t}, ins, ValueRange{v},
      SmallVector<AffineMap>(ins.size() + 1, b.getMultiDimIdentityMap(r)),
      SmallVector<mlir::utils::IteratorType>(r, mlir::utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value x = a[0];
        if (residual)
          x = mlir::arith::AddFOp::create(nb, nl, x, a[1]);
        if (k)
          x = actScalar(nb, nl, *k, alpha, beta, x);
        mlir::linalg::YieldOp::create(nb, nl, x);
      });
  g->setAttr(kEpilogueAttr, b.getUnitAttr());
  return g.getResult(0);
}

/// The element type pair of a kernel product: u8 or s8 activations times
/// s8 weights accumulated in i32 (nn.qconv, nn.qmatmul), or bf16 times bf16
/// accumulated in f32 (kiln-nn-quantize's bf16 layers: nn.conv / nn.matmul
/// on bf16 operands with an f32 result).
enum class ProductKind { U8, S8, BF16 };

/// The accumulator type of `kind` (i32 or f32).
Type productAccType(OpBuilder &b, ProductKind kind);

/// The body of a kernel product: acc + ext(w) * ext(x) (the weight
/// sign-extended, the activation zero- or sign-extended; bf16 extended
/// exactly to f32), yielded.
void yieldProduct(OpBuilder &nb, Location nl, Value w, Value x, Value acc, ProductKind kind);

/// The product [M, K] x [K, N] -> [M, N] of `a` and the weights `bMat`
/// as one linalg.generic (maps (m, k), (k, n) -> (m, n), body
/// yieldProduct) on a zero-filled init: the form the CPU back end's int8
/// and bf16 micro-kernel recognizes (kiln-cpu-int8-matmul).
Value int8Matmul(OpBuilder &b, Location loc, Value a, Value bMat, ProductKind kind);

/// The product of the constant weights `w` [F, K] and each image's
/// columns `cols` [N, K, P]: [N, F, P], one linalg.generic over (n, f, p,
/// k) (maps (f, k), (n, k, p) -> (n, f, p), body yieldProduct) on a
/// zero-filled init: a convolution's product, the form the CPU back end's
/// int8/bf16 convolution micro-kernel recognizes.
Value int8WeightsProduct(OpBuilder &b, Location loc, Value w, Value cols, ProductKind kind);

/// A constant `c` (arith.constant, dense or a resource blob) re-typed as
/// `t` (static, the same element count) over the same data, or null: a
/// collapse_shape of a resource constant does not fold, and a kernel would
/// read its weights through the collapsed view.
Value retypedConstant(OpBuilder &b, Location loc, Value c, RankedTensorType t);

/// `v` (bf16) extended to f32, exactly (an elementwise linalg.generic): the
/// operands of a bf16 layer without a kernel form, for the f32 lowering.
Value extendToF32(OpBuilder &b, Location loc, Value v);

/// `acc` with `perChannel[c]` (1-D, c the dim `chanDim` of `acc`) added
/// (float) or subtracted (integer), in place: one elementwise
/// linalg.generic with `acc` as input and init (a bias after a kernel
/// product, or a zero point's constant term).
Value combinePerChannel(OpBuilder &b, Location loc, Value acc, Value perChannel, int64_t chanDim);

/// The accumulators [N, F, OH, OW] (productAccType) of an ungrouped 2-D
/// convolution of the padded input `x` and the constant filter `w` [F, C,
/// KH, KW] in the forms the CPU micro-kernels take: the direct stride-1
/// product on `x`, a 1x1 stride-1 product on `x` as it is, or the product
/// with the gathered windows (im2col).  `wMat` gives the filter as [F, C *
/// KH * KW] (the same row-major data).
Value kernelConv2D(OpBuilder &b, Location loc, Value x, Value w, function_ref<Value()> wMat,
                   ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations, RankedTensorType res,
                   ProductKind kind);

/// The dequantizing epilogue of nn.qconv / nn.qmatmul, as one elementwise
/// linalg.generic into `res` (dims `dims`): float(acc - zp * wsum[c]) *
/// (inputScale * wScale[c]) + bias[c], c the result's dim `chanDim`, `acc`
/// (i32) read with `accMap`.  `wsum` (the weights' sum per channel) and
/// `wScale` are known at compile time; the zero point's term is an i32
/// constant.
Value dequantEpilogue(OpBuilder &b, Location loc, Value acc, AffineMap accMap, ArrayRef<int64_t> wsum,
                      int64_t zp, float inputScale, ArrayRef<float> wScale, Value bias, RankedTensorType res,
                      int64_t chanDim, ArrayRef<Value> dims);

/// The residual add and activation of a conv/matmul after its reduction.
template <typename OpT>
Value unfusedEpilogue(OpBuilder &b, Location loc, OpT op, Value v) {
  return applyAct(b, loc, op, v, op.getResidual());
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

/// Reduces `x` over `axes` (sorted) with `combine`, starting from `initV`;
/// `pre` maps each element first.  Returns a tensor without the reduced dims.
Value reduceGeneric(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> axes, Value initV,
                    function_ref<Value(OpBuilder &, Location, Value, Value)> combine,
                    function_ref<Value(OpBuilder &, Location, Value)> pre = nullptr);

/// Re-inserts unit dims at `axes` so `v` has the rank of `full`.
Value keepDims(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> axes, RankedTensorType full);

/// The number of elements of `x` over `axes`, as a scalar of type `et`.
Value countOf(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> axes, Type et);

/// Divides every element of `v` by the scalar `d`.
Value divScalar(OpBuilder &b, Location loc, Value v, Value d);

//===----------------------------------------------------------------------===//
// Loops
//===----------------------------------------------------------------------===//

using NestBodyFn = function_ref<SmallVector<Value>(OpBuilder &, Location, ValueRange, ValueRange)>;

/// scf.for loop nest over [0, ub) per entry of `ubs`, carrying `inits`
/// (no loop at all when `ubs` is empty).
SmallVector<Value> loopNest(OpBuilder &b, Location loc, ArrayRef<Value> ubs, ValueRange inits,
                            NestBodyFn body);
/// One scf.for over [lb, ub).
SmallVector<Value> forLoop(OpBuilder &b, Location loc, Value lb, Value ub, ValueRange inits,
                           function_ref<SmallVector<Value>(OpBuilder &, Location, Value, ValueRange)> body);
/// loopNest carrying one tensor; `body` returns the updated tensor.
Value tensorLoopNest(OpBuilder &b, Location loc, ArrayRef<Value> ubs, Value init,
                     function_ref<Value(OpBuilder &, Location, ValueRange, Value)> body);

} // namespace kiln::nn_to_linalg

#endif // KILN_LIB_CONVERSION_NNTOLINALG_COMMON_H
