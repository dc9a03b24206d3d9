//===- Phases.h - kiln-compile -v: time and memory per phase ----*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
#ifndef KILN_TOOLS_KILN_COMPILE_PHASES_H
#define KILN_TOOLS_KILN_COMPILE_PHASES_H

#include "mlir/Support/Timing.h"
#include "llvm/ADT/StringRef.h"

#include <chrono>
#include <optional>
#include <string>

namespace kiln::compile {

/// The phases of one compile (import, graph passes, lowering, LLVM
/// optimization, code generation, link).  With -v, each prints one line to
/// stderr when it ends: its wall time and the process's peak memory so far
/// (getrusage's ru_maxrss).  Each phase is also a timer nested under
/// `parent` for --mlir-timing.
class PhaseReport {
public:
  PhaseReport(bool verbose, mlir::TimingScope &parent) : verbose(verbose), parent(parent) {}
  ~PhaseReport() { end(); }

  /// Ends the current phase (if any) and starts `name` (its --mlir-timing
  /// timer is called `timerName`, by default `name`).
  void begin(llvm::StringRef name, llvm::StringRef timerName = {});
  /// Ends the current phase.
  void end();
  /// The current phase's timer (for a pass manager's timing).
  mlir::TimingScope &timing() { return timer ? *timer : parent; }

  /// With -v, prints "kiln-compile: <message>".
  void note(const llvm::Twine &message) const;
  bool isVerbose() const { return verbose; }

private:
  bool verbose;
  mlir::TimingScope &parent;
  std::string current;
  std::optional<mlir::TimingScope> timer;
  std::chrono::steady_clock::time_point start;
};

/// The process's peak resident memory so far, in bytes.
uint64_t peakMemoryBytes();

} // namespace kiln::compile

#endif
