//===- MemoryPlan.h - static memory plan of a run's buffers ------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The target-independent memory planner (docs/passes.md, kiln-plan-memory):
// every intermediate buffer of the entry function whose size is known when
// the run starts is placed in one arena by its lifetime.  The arena comes in
// as an extra argument of the entry function (the target's ABI passes it);
// `<entry>_arena_bytes` computes its size from the input shapes.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGET_COMMON_MEMORYPLAN_H
#define KILN_TARGET_COMMON_MEMORYPLAN_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <memory>
#include <optional>
#include <string>

namespace kiln {

/// Module attribute written by kiln-plan-memory (see ArenaInfo).
constexpr llvm::StringLiteral kArenaAttrName = "kiln.arena";
/// Unit attribute on the entry function's arena argument (memref<?xi8>).
constexpr llvm::StringLiteral kArenaArgAttrName = "kiln.arena";
/// Alignment of the arena and of every buffer in it, in bytes.
constexpr int64_t kArenaAlignment = 64;

/// One buffer for planMemory(): `size` bytes, live from op position `start`
/// to `end` (both inclusive).
struct PlanBuffer {
  int64_t size = 0;
  int64_t start = 0, end = 0;
};

struct MemoryPlan {
  /// Offset of each buffer, in the order given; multiples of the alignment.
  llvm::SmallVector<int64_t> offsets;
  /// Bytes of the arena (the end of the highest buffer).
  int64_t size = 0;
  /// The largest total size of simultaneously live buffers: no plan can be
  /// smaller.
  int64_t lowerBound = 0;
  /// The op position where that many bytes are live (-1: no buffers).
  int64_t peakPosition = -1;
};

/// Places the buffers so that two buffers whose lifetimes overlap never
/// share a byte: greedy by size (largest first), each into the smallest gap
/// between the already placed buffers that are live at the same time, or
/// above them.  Sizes are rounded up to `alignment`.  Deterministic.
MemoryPlan planMemory(llvm::ArrayRef<PlanBuffer> buffers, int64_t alignment = kArenaAlignment);

/// A class of buffers whose sizes scale with the same run-time value
/// (e.g. the batch size): planned together, in units of that value.
struct ArenaClass {
  /// "1" for the buffers of static size; otherwise the run-time factor,
  /// e.g. "input[0]" or "input[0] * input[2]".
  std::string factor;
  int64_t bytes = 0;      // per unit of `factor`
  int64_t lowerBound = 0; // per unit of `factor`
  int64_t buffers = 0;
};

/// What kiln-plan-memory did (the kiln.arena module attribute).
struct ArenaInfo {
  /// Arena bytes of every run, or -1 when they depend on the input shapes.
  int64_t bytes = 0;
  /// Lower bound of the live bytes, or -1 when dynamic.
  int64_t lowerBound = 0;
  /// Buffers in the arena, and those left on the heap (sizes known only
  /// during the run, buffers carried across loop iterations, ...).
  int64_t planned = 0, heap = 0;
  /// Of the planned buffers, the results of the run (copied out by the
  /// caller).
  int64_t results = 0;
  llvm::SmallVector<ArenaClass> classes;
  /// The function that computes the arena's size from the inputs (empty when
  /// nothing was planned).
  std::string sizeFunction;

  static std::optional<ArenaInfo> fromModule(mlir::ModuleOp module);
  mlir::DictionaryAttr toAttr(mlir::MLIRContext *ctx) const;
  /// One line for kiln-compile -v, e.g. "arena: 12845056 bytes (lower bound
  /// 12845056, 1.00x), 52 buffers; 1 on the heap".
  std::string summary() const;
};

/// kiln-plan-memory.
std::unique_ptr<mlir::Pass> createPlanMemoryPass();
void registerPlanMemoryPass();

} // namespace kiln

#endif
