//===- Statistics.h - counters of Kiln's graph passes -----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Debian's LLVM/MLIR 22 are release builds without LLVM_ENABLE_STATS, so
// mlir::Pass::Statistic is a no-op there and `--mlir-pass-statistics` prints
// an empty report.  Kiln's passes count into these process-wide counters
// instead; kiln-opt and kiln-compile add an instrumentation that prints
// them (what each pass merged, folded or removed) at the end of every pass
// manager run when `--mlir-pass-statistics` is given.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TRANSFORMS_STATISTICS_H
#define KILN_TRANSFORMS_STATISTICS_H

#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringRef.h"

#include <atomic>
#include <cstdint>

namespace kiln {

/// The counter `name` of pass `pass` (its kiln-opt argument), created on
/// first use; thread-safe.  The reference stays valid for the process.
std::atomic<uint64_t> &passStatistic(llvm::StringRef pass, llvm::StringRef name,
                                     llvm::StringRef description);

/// Adds to `pm` an instrumentation that prints, when the pass manager
/// finishes (is destroyed), how much every Kiln counter grew during its
/// lifetime, if `--mlir-pass-statistics` is set (or `always`).
void addKilnStatisticsInstrumentation(mlir::PassManager &pm, bool always = false);

} // namespace kiln

#endif
