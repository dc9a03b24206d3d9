//===- ModelABI.h - the model's ABI description (kiln.abi) ------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// What a compiled model exposes at its boundary: the entry function and, per
// input and output, the ONNX name, the ONNX dtype code and the dims (-1 for a
// dynamic dim).  Every target records it on the module as the attribute
// `kiln.abi` while the entry is still on tensors, and its artifact writer
// reads it back to emit the runtime metadata (runtime/include/kiln/abi.h)
// and the C header (HeaderWriter.h).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGET_COMMON_MODELABI_H
#define KILN_TARGET_COMMON_MODELABI_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/SmallVector.h"

#include <string>

namespace kiln {

/// Name of the module attribute holding the ABI.
constexpr llvm::StringLiteral kABIAttrName = "kiln.abi";
/// Name of the unit attribute that marks the model's entry function.
constexpr llvm::StringLiteral kEntryAttrName = "kiln.entry";

struct ABITensor {
  std::string name;
  int32_t dtype = 0; // ONNX TensorProto.DataType
  llvm::SmallVector<int64_t> dims; // -1: dynamic

  bool hasStaticShape() const { return !llvm::is_contained(dims, -1); }
};

struct ModelABI {
  std::string entry;
  llvm::SmallVector<ABITensor> inputs, outputs;

  /// Describes `entry`'s signature: ranked tensors of an ONNX element type,
  /// rank <= 8, names from the `kiln.name` argument/result attributes
  /// (default input_<i> / output_<i>), dtypes from `kiln.dtype` (checked
  /// against the element type).  Emits an error on `entry` on failure.
  static mlir::FailureOr<ModelABI> fromEntry(mlir::func::FuncOp entry);
  /// Reads the `kiln.abi` attribute of `module`; emits an error if it is
  /// missing or malformed.
  static mlir::FailureOr<ModelABI> fromModule(mlir::ModuleOp module);
  /// The `kiln.abi` attribute.
  mlir::DictionaryAttr toAttr(mlir::MLIRContext *ctx) const;
};

/// The single function of `module` marked `kiln.entry` (emits an error if
/// there is none or more than one).
mlir::FailureOr<mlir::func::FuncOp> findEntryFunction(mlir::ModuleOp module);

} // namespace kiln

#endif
