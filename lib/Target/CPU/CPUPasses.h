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
} // namespace kiln::cpu

#endif
