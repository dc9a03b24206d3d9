//===- Phases.cpp - kiln-compile -v: time and memory per phase ------------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//

#include "Phases.h"
#include "Options.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <sys/resource.h>

using namespace kiln::compile;

uint64_t kiln::compile::peakMemoryBytes() {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0)
    return 0;
  return uint64_t(ru.ru_maxrss) * 1024; // kilobytes on Linux
}

void PhaseReport::begin(llvm::StringRef name, llvm::StringRef timerName) {
  end();
  current = name.str();
  timer.emplace(parent.nest((timerName.empty() ? name : timerName).str()));
  start = std::chrono::steady_clock::now();
}

void PhaseReport::end() {
  if (current.empty())
    return;
  timer.reset();
  if (verbose) {
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    llvm::errs() << kTool << ": " << llvm::left_justify(current, 26)
                 << llvm::format("%8.3f s   peak memory %7.1f MiB\n", seconds,
                                 double(peakMemoryBytes()) / (1 << 20));
  }
  current.clear();
}

void PhaseReport::note(const llvm::Twine &message) const {
  if (verbose)
    llvm::errs() << kTool << ": " << message << "\n";
}
