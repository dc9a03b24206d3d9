//===- CPUPasses.h - passes of the CPU back end (internal) ------*- C++ -*-===//
#ifndef KILN_LIB_TARGET_CPU_CPUPASSES_H
#define KILN_LIB_TARGET_CPU_CPUPASSES_H

#include "mlir/Pass/Pass.h"
#include <memory>

namespace kiln::cpu {
std::unique_ptr<mlir::Pass> createPrepareEntryPass();
std::unique_ptr<mlir::Pass> createMathApproximationPass();
/// Tiles linalg ops for the cache/registers and vectorizes the tiles.
std::unique_ptr<mlir::Pass> createTileAndVectorizePass();
void registerTileAndVectorizePass();
/// Lowers vector ops (contractions, transfers, masks) towards LLVM.
std::unique_ptr<mlir::Pass> createLowerVectorsPass();
void registerLowerVectorsPass();
/// Wraps the entry function's top-level ops in per-ONNX-node timers
/// (InstrumentProfile.cpp; kiln-compile --profile).
std::unique_ptr<mlir::Pass> createInstrumentProfilePass();
void registerInstrumentProfilePass();
} // namespace kiln::cpu

#endif
