//===- ONNXOps.cpp - onnx dialect: ops, verifier, operator facts ----------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The dialect and its generated op classes, the shape inference driver and
// the shared verifier, the ONNX operator facts of the ops (the importer's
// view of ODS), and onnx.Constant.  The shape inference of the other ops is
// in one file per op family (Elementwise.cpp, ConvPool.cpp, ...; helpers in
// ShapeInference.h), mirroring dialects/onnx/ops/<Family>.td.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/ONNX/ONNXOps.h"
#include "kiln/Support/ONNXDType.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace kiln::onnx;

#include "onnx/ONNXDialect.cpp.inc"
#include "onnx/ONNXInterfaces.cpp.inc"

void ONNXDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "onnx/ONNXOps.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

std::string kiln::onnx::describeNode(Operation *op) {
  std::string name;
  if (auto nl = dyn_cast<NameLoc>(op->getLoc()))
    name = nl.getName().str();
  // The node's op_type: the ONNX operator's name without its domain
  // (onnx.MsAttention is com.microsoft's Attention).
  StringRef type = op->getName().getStringRef().drop_front(5);
  if (auto iface = dyn_cast<ONNXOperatorOpInterface>(op))
    type = StringRef(iface.getONNXOperatorNames().front().name).rsplit('.').second.empty()
               ? StringRef(iface.getONNXOperatorNames().front().name)
               : StringRef(iface.getONNXOperatorNames().front().name).rsplit('.').second;
  return "node '" + name + "' (" + type.str() + ")";
}

Type kiln::onnx::getElementTypeForONNXType(MLIRContext *ctx, int64_t t) {
  return kiln::onnxElementType(ctx, t);
}

int32_t kiln::onnx::getONNXTypeForElementType(Type t, bool isUnsigned) {
  if (t.isF32()) return 1;
  if (t.isF16()) return 10;
  if (t.isBF16()) return 16;
  if (t.isF64()) return 11;
  if (t.isInteger(1)) return 9;
  if (t.isInteger(8)) return isUnsigned ? 2 : 3;
  if (t.isInteger(16)) return isUnsigned ? 4 : 5;
  if (t.isInteger(32)) return isUnsigned ? 12 : 6;
  if (t.isInteger(64)) return isUnsigned ? 13 : 7;
  return 0;
}

//===----------------------------------------------------------------------===//
// Inference driver and shared verifier
//===----------------------------------------------------------------------===//

LogicalResult kiln::onnx::inferShapes(Operation *op) {
  auto iface = dyn_cast<ShapeInferenceOpInterface>(op);
  if (!iface)
    return success();
  SmallVector<Type> types;
  if (failed(iface.inferResultTypes(types)))
    return failure();
  if (types.size() != op->getNumResults())
    return op->emitOpError() << "has " << op->getNumResults()
                             << " results but shape inference produced "
                             << types.size();
  for (auto [res, t] : llvm::zip(op->getResults(), types))
    res.setType(t);
  return success();
}

LogicalResult kiln::onnx::verifyInferredTypes(Operation *op) {
  auto iface = dyn_cast<ShapeInferenceOpInterface>(op);
  if (!iface)
    return success();
  for (Value v : op->getOperands())
    if (!isa<RankedTensorType, NoneType>(v.getType()))
      return success(); // Not inferred yet.
  SmallVector<Type> types;
  if (failed(iface.inferResultTypes(types)))
    return failure();
  if (types.size() != op->getNumResults())
    return op->emitOpError() << "expected " << types.size() << " results, got "
                             << op->getNumResults();
  for (auto [i, pair] : llvm::enumerate(llvm::zip(op->getResultTypes(), types))) {
    auto [actual, inferred] = pair;
    if (isa<UnrankedTensorType>(actual))
      continue;
    if (failed(verifyCompatibleShape(actual, inferred)) ||
        getElementTypeOrSelf(actual) != getElementTypeOrSelf(inferred))
      return op->emitOpError() << "result #" << i << " has type " << actual
                               << " but the operands imply " << inferred;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// ONNX operator facts (ONNXOperatorOpInterface)
//===----------------------------------------------------------------------===//

SmallVector<ONNXOperatorInfo> kiln::onnx::getONNXOperators(MLIRContext *ctx) {
  SmallVector<ONNXOperatorInfo> ops;
  // Every registered op, not getRegisteredOperationsByDialect("onnx"): in
  // kiln-compile, which loads every upstream dialect, that missed onnx ops.
  for (RegisteredOperationName op : ctx->getRegisteredOperations()) {
    auto *facts = op.getInterface<ONNXOperatorOpInterface>();
    if (!facts)
      continue; // other dialects, onnx.NoValue, onnx.Yield
    bool recordsInputDTypes = llvm::any_of(
        op.getAttributeNames(), [](StringAttr name) { return name == "input_dtypes"; });
    for (const ONNXOperatorName &name : facts->getONNXOperatorNames())
      ops.push_back({name.name, name.sinceVersion, op, facts->getNumONNXInputs(),
                     facts->hasLegacyBroadcast(), recordsInputDTypes});
  }
  llvm::sort(ops, [](const ONNXOperatorInfo &a, const ONNXOperatorInfo &b) {
    return a.name < b.name;
  });
  return ops;
}

//===----------------------------------------------------------------------===//
// onnx.Constant
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  types.push_back(cast<ShapedType>(getValue().getType()).clone(getValue().getElementType()));
  types.back() = RankedTensorType::get(cast<ShapedType>(getValue().getType()).getShape(),
                                       getValue().getElementType());
  return success();
}
OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

#define GET_OP_CLASSES
#include "onnx/ONNXOps.cpp.inc"
