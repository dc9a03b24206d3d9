//===- Pipeline.h - Kiln's named pipelines ----------------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
#ifndef KILN_PIPELINE_PIPELINE_H
#define KILN_PIPELINE_PIPELINE_H

#include "mlir/Pass/PassManager.h"

#include <set>
#include <string>

namespace kiln {

struct PipelineOptions {
  /// 0..3.  -O0 skips graph clean-ups; the CPU back end also uses it.
  unsigned optLevel = 2;
  /// Graph passes on nn not to run (their kiln-opt names, e.g.
  /// "kiln-nn-fuse-epilogue"); kiln-compile --disable-pass.
  std::set<std::string> disabledPasses;
  /// kiln-compile --profile: count each node's FLOPs at run time
  /// (kiln-nn-record-flops) for the per-node profile.
  bool profile = false;
  /// Only the graph passes after `startAfter` (if set) and up to
  /// `stopAfter` (if set; kiln-opt names) of buildNNOptimizationPipeline:
  /// kiln-compile --prune stops after kiln-nn-remove-dead-channels, prunes,
  /// and runs the rest.
  std::string startAfter, stopAfter;
};

/// onnx dialect -> nn dialect (normalization and graph clean-ups).
void buildONNXToNNPipeline(mlir::OpPassManager &pm, const PipelineOptions &opts);
/// The graph optimization passes on nn (lib/Transforms) that `optLevel`
/// selects, in order.  Part of buildONNXToNNPipeline.
void buildNNOptimizationPipeline(mlir::OpPassManager &pm, const PipelineOptions &opts);
/// Names of all graph passes of buildNNOptimizationPipeline, in order.
llvm::SmallVector<llvm::StringRef> nnOptimizationPassNames();

/// nn dialect -> linalg on tensors.
void buildNNToLinalgPipeline(mlir::OpPassManager &pm, const PipelineOptions &opts);

/// Registers `kiln-onnx-to-nn` and `kiln-nn-to-linalg` pipelines and every
/// target's passes and pipelines with the global registry (for kiln-opt).
void registerKilnPipelines();

} // namespace kiln

#endif
