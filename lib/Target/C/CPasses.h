//===- CPasses.h - passes of the C target (internal) ------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Declared in Passes.td (one pass per file); the generated create functions
// are kiln::c::createC<Name>().
//
//===----------------------------------------------------------------------===//
#ifndef KILN_LIB_TARGET_C_CPASSES_H
#define KILN_LIB_TARGET_C_CPASSES_H

#include "kiln/Target/Target.h"

#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

#include <memory>
#include <string>

namespace kiln::c {

#define GEN_PASS_DECL
#include "CPasses.h.inc"

#define GEN_PASS_REGISTRATION
#include "CPasses.h.inc"

/// The name of the graph function in the generated C (static; the writer
/// adds the exported `<name>_run` that calls it).
constexpr llvm::StringLiteral kGraphFunction = "kiln_graph";

/// "node 'conv1' (Conv)" for the ONNX node `op` came from, from its location
/// and the importer's node table; "an operation" if it has none.
std::string describeNode(mlir::Operation *op);

std::unique_ptr<kiln::Target> createTarget();

/// Bytes of one element of type `t` (an MLIR integer or float, or emitc's
/// size_t) in the generated C: the bit width rounded up to bytes (bool: 1),
/// size_t as 8 (a 64-bit host's).
int64_t elementBytes(mlir::Type t);

/// The C target's pipeline, linalg on tensors -> emitc.
void buildCLoweringPipeline(mlir::OpPassManager &pm, const kiln::TargetOptions &opts);

/// Writes `<stem>.c` (the emitc module through MLIR's C emitter, the entry
/// point) and `<stem>.h` for a module that went through the pipeline.
mlir::LogicalResult writeCSource(mlir::ModuleOp module, const kiln::TargetOptions &opts,
                                 llvm::StringRef outputPath);

} // namespace kiln::c

#endif
