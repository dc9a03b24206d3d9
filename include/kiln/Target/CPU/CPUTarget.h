//===- CPUTarget.h - the CPU target -----------------------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// linalg-on-tensors -> (tile, vectorize) -> bufferize -> LLVM dialect ->
// LLVM IR -> object -> shared/static library + C header.  Used through the
// target registry (kiln/Target/Target.h) as `--target=cpu`.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGET_CPU_CPUTARGET_H
#define KILN_TARGET_CPU_CPUTARGET_H

#include "kiln/Target/Target.h"

namespace kiln::cpu {

/// Symbol and descriptor version of an instrumented library's profile
/// (kiln_abi_profile in runtime/include/kiln/abi.h).
constexpr const char *kProfileSymbol = "kiln_model_profile_v1";
constexpr int kProfileVersion = 2; // 2: per-entry FLOPs

/// The CPU target (registered by registerAllTargets(), lib/Target/Targets.def).
std::unique_ptr<kiln::Target> createTarget();

} // namespace kiln::cpu

#endif
