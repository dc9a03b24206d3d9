//===- Sparsify.h - kiln-compile --sparsity: N:M and unstructured -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Weight sparsity in kiln-compile (docs/pruning.md), on the nn stage after
// the graph passes (and after --prune; before --quantize):
//   1. the layers: every nn.matmul with constant f32 weights [K, N] (Linear
//      layers, MatMul/Gemm with an initializer);
//   2. the score of each weight: |w| (magnitude), or with
//      --calibration-data |w| x ||x_k|| (the weight times the norm of its
//      input feature over the calibration rows: Wanda, Sun et al. 2023),
//      observed by a temporary library;
//   3. the pattern: --sparsity=N:M keeps the N best-scored weights of every
//      M consecutive weights along K in each column (2:4: half of them);
//      --sparsity=unstructured:R zeroes the fraction R of each layer's
//      weights with the lowest scores;
//   4. with --eval-data: top-1 (or agreement) of the dense and the sparse
//      model;
//   5. the report (--sparsity-report).
// The CPU target computes the products on a sparse kernel where the
// weights are sparse enough (kiln-cpu-sparse-matmul).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TOOLS_KILN_COMPILE_SPARSIFY_H
#define KILN_TOOLS_KILN_COMPILE_SPARSIFY_H
#include "Phases.h"
#include "Quantize.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LogicalResult.h"
#include <string>
namespace kiln::compile {
struct SparsityOptions {
  /// --sparsity: "" (off), "N:M" or "unstructured:R".
  std::string spec;
  int64_t n = 0, m = 0;  ///< N:M
  double ratio = 0;      ///< unstructured:R
  /// The report path ("" none, "-" stdout; .json: JSON).
  std::string report;
  std::string calibrationData, evalData;
  int64_t batch = 32;
};
/// Parses --sparsity; reports and returns false on an error.
bool checkSparsityOptions(SparsityOptions &opts);
/// Steps 1-5 on `module` (nn stage, after the graph passes).
mlir::LogicalResult sparsifyModule(mlir::ModuleOp module, const SparsityOptions &opts, const CompileFn &compile,
                                   PhaseReport &phases);
} // namespace kiln::compile
#endif
