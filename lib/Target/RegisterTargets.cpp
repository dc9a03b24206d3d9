//===- RegisterTargets.cpp - register every target of Targets.def ---------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//

#include "kiln/Target/Target.h"

#include <mutex>

#define KILN_TARGET(ns)                                                                        \
  namespace kiln::ns {                                                                         \
  std::unique_ptr<kiln::Target> createTarget();                                                \
  }
#include "Targets.def"

void kiln::registerAllTargets() {
  static std::once_flag once;
  std::call_once(once, [] {
#define KILN_TARGET(ns) registerTarget(kiln::ns::createTarget());
#include "Targets.def"
  });
}
