//===- RuntimeChecks.h - safe arithmetic for checked nn lowerings -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// kiln-insert-runtime-checks (RuntimeChecks.cpp) reports bad values at run
// time with nn.check; the run still finishes before the runtime reports the
// failure, so the lowerings of the checked ops must stay memory-safe and
// trap-free on those values.  These helpers are what the lowerings use.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CONVERSION_NNTOLINALG_RUNTIMECHECKS_H
#define KILN_CONVERSION_NNTOLINALG_RUNTIMECHECKS_H

#include "mlir/IR/Builders.h"

namespace kiln {

/// Signed integer x / y (truncating) that never traps: a zero divisor gives
/// 0, INT_MIN / -1 gives INT_MIN (two's complement wrap).
mlir::Value safeSignedDiv(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x, mlir::Value y);

/// `v` (index) clamped into [lo, hi].
mlir::Value clampIndex(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v, mlir::Value lo,
                       mlir::Value hi);

} // namespace kiln

#endif
