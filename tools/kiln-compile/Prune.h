//===- Prune.h - kiln-compile --prune: structured channel pruning -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Structured channel pruning in kiln-compile (docs/pruning.md), on the nn
// stage after kiln-nn-remove-dead-channels (BatchNorm folded, dead channels
// gone) and before epilogue fusion and layer merging:
//   1. the channel groups (kiln/Transforms/ChannelGroups.h): channels that
//      go together (a layer's output channel, everything computed from it,
//      every branch of a residual add);
//   2. calibration: the inputs of the layers that read the groups, observed
//      on --calibration-data (a temporary library), give each layer's input
//      Gram matrix (im2col rows sampled for convolutions);
//   3. ranking: a group's importance is the share of its reading layers'
//      output energy that it contributes (w' G w per channel); without
//      calibration data, the share of the reading layers' squared weights;
//   4. choice: --prune=channels:R removes the fraction R of the groups of
//      every channel space (a layer's outputs, a residual stage), least
//      important first; --prune=flops:R removes the groups with the least
//      importance per multiply-accumulate saved, over the whole model,
//      until R of the MACs are gone (at most 7/8 of a space);
//   5. reconstruction: each reading layer's remaining weights and bias are
//      refitted by least squares to its original outputs on the
//      calibration rows (no retraining);
//   6. with --eval-data: top-1 (or agreement) of the dense and the pruned
//      model; with --accuracy-budget, the largest ratio within the budget
//      (binary search, each candidate compiled and run);
//   7. the report (--prune-report, text or JSON).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TOOLS_KILN_COMPILE_PRUNE_H
#define KILN_TOOLS_KILN_COMPILE_PRUNE_H
#include "Phases.h"
#include "Quantize.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LogicalResult.h"
#include <string>
namespace kiln::compile {
struct PruneOptions {
  /// --prune: "" (off), "channels:R" or "flops:R".
  std::string spec;
  std::string kind;  ///< "channels" or "flops"
  double ratio = 0;  ///< fraction of channels (per space) or of MACs
  /// --prune-reconstruct: refit the reading layers by least squares.
  bool reconstruct = true;
  /// --prune-report: "" (none), "-" (stdout), a path (.json: JSON).
  std::string report;
  /// Shared with --quantize: --calibration-data, --eval-data,
  /// --accuracy-budget (points; < 0: none).
  std::string calibrationData, evalData;
  double budget = -1;
  int64_t batch = 32;
};
/// Parses --prune; reports and returns false on an error.
bool checkPruneOptions(PruneOptions &opts);
/// Steps 1-7 on `module` (nn stage, graph passes run up to
/// kiln-nn-remove-dead-channels).
mlir::LogicalResult pruneModule(mlir::ModuleOp module, const PruneOptions &opts, const CompileFn &compile,
                                PhaseReport &phases);
} // namespace kiln::compile
#endif
