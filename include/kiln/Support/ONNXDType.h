//===- ONNXDType.h - ONNX TensorProto.DataType <-> MLIR types ---*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// One table for the ONNX element types Kiln supports, shared by the
// importer, the dialects and the back ends.  Codes are ONNX's
// TensorProto.DataType numbers (also used by the library ABI, kiln/abi.h).
// Unsigned ONNX types map to signless MLIR integers of the same width.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_SUPPORT_ONNXDTYPE_H
#define KILN_SUPPORT_ONNXDTYPE_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include <cstdint>

namespace kiln {

/// Name of an ONNX data type code ("float32", "int64", ...), or "unsupported".
inline const char *onnxDTypeName(int64_t t) {
  switch (t) {
  case 1: return "float32"; case 2: return "uint8"; case 3: return "int8";
  case 4: return "uint16"; case 5: return "int16"; case 6: return "int32";
  case 7: return "int64"; case 9: return "bool"; case 10: return "float16";
  case 11: return "float64"; case 12: return "uint32"; case 13: return "uint64";
  case 16: return "bfloat16";
  }
  return "unsupported";
}

/// The MLIR element type that stores ONNX data type `t`, or null.
inline mlir::Type onnxElementType(mlir::MLIRContext *ctx, int64_t t) {
  mlir::Builder b(ctx);
  switch (t) {
  case 1: return b.getF32Type();
  case 2: case 3: return b.getIntegerType(8);
  case 4: case 5: return b.getIntegerType(16);
  case 6: case 12: return b.getIntegerType(32);
  case 7: case 13: return b.getIntegerType(64);
  case 9: return b.getI1Type();
  case 10: return b.getF16Type();
  case 11: return b.getF64Type();
  case 16: return b.getBF16Type();
  default: return nullptr;
  }
}

/// The ONNX data type code for an MLIR element type (signed for integers),
/// or 0 when it has none.
inline int64_t onnxDTypeOf(mlir::Type e) {
  if (e.isF32()) return 1;
  if (e.isF16()) return 10;
  if (e.isBF16()) return 16;
  if (e.isF64()) return 11;
  if (e.isInteger(1)) return 9;
  if (e.isInteger(8)) return 3;
  if (e.isInteger(16)) return 5;
  if (e.isInteger(32)) return 6;
  if (e.isInteger(64)) return 7;
  return 0;
}

} // namespace kiln

#endif
