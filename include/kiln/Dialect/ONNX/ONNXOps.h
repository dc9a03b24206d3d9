//===- ONNXOps.h - the onnx import dialect ----------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
#ifndef KILN_DIALECT_ONNX_ONNXOPS_H
#define KILN_DIALECT_ONNX_ONNXOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace kiln::onnx {
/// Verifies that an op's result types are compatible with what its shape
/// inference computes (shared verifier of every onnx op).
mlir::LogicalResult verifyInferredTypes(mlir::Operation *op);

/// An ONNX operator of the default domain that an op imports, with the
/// first opset that has it (ONNXOperatorOpInterface).
struct ONNXOperatorName {
  const char *name;
  int64_t sinceVersion;
};
} // namespace kiln::onnx

#include "onnx/ONNXDialect.h.inc"
#include "onnx/ONNXInterfaces.h.inc"

#define GET_OP_CLASSES
#include "onnx/ONNXOps.h.inc"

namespace kiln::onnx {

/// Sentinel for an unknown value in getShapeValues.
constexpr int64_t kUnknownValue = mlir::ShapedType::kDynamic;

/// If `v` is produced by an onnx.Constant with integer elements, returns its
/// values (flattened).
bool getConstantIntValues(mlir::Value v, llvm::SmallVectorImpl<int64_t> &out);
/// If `v` is produced by an onnx.Constant with floating-point elements,
/// returns its values (flattened) as doubles.
bool getConstantFloatValues(mlir::Value v, llvm::SmallVectorImpl<double> &out);
/// Like getConstantIntValues, but also sees through the usual shape
/// computations of exported models (Shape, Gather, Concat, Unsqueeze,
/// Squeeze, Cast, Slice), returning kUnknownValue for entries that are only
/// known at run time.  Fails if the number of elements is not known.
bool getShapeValues(mlir::Value v, llvm::SmallVectorImpl<int64_t> &out);

/// Output shape and per-axis scale factors of a Resize/Upsample with input
/// type `in`: from constant `scales` (out = floor(in * scale)) or, when
/// `scales` is none or empty, from constant `sizes` (scale = out / in, as
/// ONNX's reference computes it).  Fails with a message in `err`.
mlir::LogicalResult getResizeGeometry(mlir::RankedTensorType in, mlir::Value scales,
                                      mlir::Value sizes,
                                      llvm::SmallVectorImpl<double> &scaleOut,
                                      llvm::SmallVectorImpl<int64_t> &shapeOut,
                                      std::string &err);

/// An Einsum equation with `...` expanded for the given operand ranks and
/// the output made explicit: one subscript id per dim of each operand and of
/// the output (letters a-z are 0-25, A-Z 26-51, ellipsis dims 52 and up).
struct EinsumSpec {
  llvm::SmallVector<llvm::SmallVector<int64_t>> inputs;
  llvm::SmallVector<int64_t> output;
  /// The same as an equation of letters only ("ab,bc->ac").
  std::string explicitEquation() const;
};
mlir::FailureOr<EinsumSpec> parseEinsum(llvm::StringRef equation, llvm::ArrayRef<int64_t> ranks,
                                        std::string &err);

/// com.microsoft Attention's Q, K and V hidden sizes: qkv_hidden_sizes, or
/// the weights' `cols` columns in three equal parts; fails when neither.
mlir::FailureOr<llvm::SmallVector<int64_t, 3>> msAttentionHiddenSizes(MsAttentionOp op, int64_t cols);

/// True when a Resize/Upsample gets its scales (a non-empty 1-D float
/// tensor) or sizes (a 1-D i64 tensor) only at run time.
bool isRuntimeResizeGeometry(mlir::Value scales, mlir::Value sizes);

/// Element type for an ONNX TensorProto.DataType code (nullptr if none).
mlir::Type getElementTypeForONNXType(mlir::MLIRContext *ctx, int64_t onnxType);
/// ONNX TensorProto.DataType code of an element type; `isUnsigned` picks the
/// unsigned code for integers.  Returns 0 if there is none.
int32_t getONNXTypeForElementType(mlir::Type t, bool isUnsigned = false);

/// An ONNX operator the importer accepts, as the ODS definition of the op
/// that imports it states (ONNXOperatorOpInterface).
struct ONNXOperatorInfo {
  llvm::StringRef name;              ///< ONNX op_type (default domain)
  int64_t sinceVersion;              ///< first opset that has the operator
  mlir::RegisteredOperationName op;  ///< the onnx op it is imported as
  int64_t numInputs;                 ///< operands after filling omitted optional inputs, or -1
  bool legacyBroadcast;              ///< had `broadcast` / `axis` before opset 7
  bool recordsInputDTypes;           ///< the op has `input_dtypes` (ONNX types of its inputs)
};
/// Every ONNX operator the registered onnx ops import (the dialect must be
/// loaded in `ctx`), sorted by name.
llvm::SmallVector<ONNXOperatorInfo> getONNXOperators(mlir::MLIRContext *ctx);

/// Runs the op's shape inference and sets its result types.
mlir::LogicalResult inferShapes(mlir::Operation *op);

/// The name an op carries for diagnostics (ONNX node name, or op type).
std::string describeNode(mlir::Operation *op);

} // namespace kiln::onnx

#endif
