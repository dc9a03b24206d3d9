//===- RuntimeCheckABI.h - run-time check records of ABI v2 -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The generated library's side of kiln_abi_error (runtime/include/kiln/abi.h):
// kiln-cpu-lower-runtime-checks turns each nn.check into a call of
// kCheckFailedSymbol and lists the messages in the module attribute
// kChecksAttr; the artifact writer defines the recorder and the message table.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_LIB_TARGET_CPU_RUNTIMECHECKABI_H
#define KILN_LIB_TARGET_CPU_RUNTIMECHECKABI_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/IR/Constant.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"
#include <memory>
#include <string>

namespace mlir {
class Pass;
}

namespace kiln::cpu {

/// void kiln_check_failed(i32 check, i64 v0, i64 v1, i64 v2): records the
/// first failed check of the current invoke.
constexpr const char *kCheckFailedSymbol = "kiln_check_failed";
/// i1 kiln_check_ok(void): false once a check failed in the current invoke
/// (declared only by modules with `stop` checks).
constexpr const char *kCheckOkSymbol = "kiln_check_ok";
/// FusedLoc metadata of the guards that skip the rest of a run after a
/// failed `stop` check (kiln-cpu-instrument-profile times what they hold).
constexpr const char *kStopGuardMeta = "kiln.stop";
/// Module attribute: the check messages, check i + 1 at index i.
constexpr const char *kChecksAttr = "kiln.checks";

struct RuntimeChecks {
  /// Thread-local pointer to the current invoke's kiln_abi_error (null when
  /// the model has no checks).
  llvm::GlobalVariable *slot = nullptr;
  /// Thread-local i8: 1 once a check failed in the current invoke.
  llvm::GlobalVariable *failed = nullptr;
  /// `const char *const checks[num]` (a null pointer when num == 0).
  llvm::Constant *table = nullptr;
  int32_t num = 0;
};

/// Defines kCheckFailedSymbol (when the module declares it), its
/// thread-local record slot and the message table.
RuntimeChecks addRuntimeChecks(llvm::Module &mod, llvm::ArrayRef<std::string> messages);

/// In invoke: points the slot at args[1 + numInputs] (the caller's record)
/// before the call of the entry, and clears it after.
void setCheckRecord(llvm::IRBuilder<> &b, const RuntimeChecks &rc, llvm::Value *args,
                    unsigned numInputs);
void clearCheckRecord(llvm::IRBuilder<> &b, const RuntimeChecks &rc);

} // namespace kiln::cpu

#endif
