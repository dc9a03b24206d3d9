//===- Statistics.cpp - counters of Kiln's graph passes -------------------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//

#include "kiln/Transforms/Statistics.h"

#include "mlir/Pass/PassInstrumentation.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

using namespace mlir;

namespace {
struct Counter {
  std::string description;
  std::atomic<uint64_t> value{0};
};

struct Registry {
  std::mutex mutex;
  // pass -> counter name -> counter (std::map: stable addresses, sorted output).
  std::map<std::string, std::map<std::string, std::unique_ptr<Counter>>> counters;
};

Registry &registry() {
  static Registry r;
  return r;
}

/// Snapshot of all counters (pass, name) -> value.
std::map<std::pair<std::string, std::string>, uint64_t> snapshot() {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::map<std::pair<std::string, std::string>, uint64_t> s;
  for (auto &[pass, names] : r.counters)
    for (auto &[name, c] : names)
      s[{pass, name}] = c->value.load();
  return s;
}

bool passStatisticsRequested() {
  auto &opts = llvm::cl::getRegisteredOptions();
  auto it = opts.find("mlir-pass-statistics");
  if (it == opts.end())
    return false;
  return static_cast<llvm::cl::opt<bool> *>(it->second)->getValue();
}

/// Prints the counters' growth between its construction and destruction.
struct StatisticsPrinter : PassInstrumentation {
  std::map<std::pair<std::string, std::string>, uint64_t> start = snapshot();
  ~StatisticsPrinter() override {
    auto end = snapshot();
    Registry &r = registry();
    std::string out;
    llvm::raw_string_ostream os(out);
    std::string lastPass;
    for (auto &[key, v] : end) {
      auto it = start.find(key);
      uint64_t delta = v - (it == start.end() ? 0 : it->second);
      if (key.first != lastPass) {
        os << "  " << key.first << "\n";
        lastPass = key.first;
      }
      std::lock_guard<std::mutex> lock(r.mutex);
      os << "    (S) " << delta << " " << key.second << " - "
         << r.counters[key.first][key.second]->description << "\n";
    }
    if (out.empty())
      return;
    llvm::errs() << "===-------------------------------------------------------------------------===\n"
                 << "                       ... Kiln pass statistics report ...\n"
                 << "===-------------------------------------------------------------------------===\n"
                 << out;
  }
};
} // namespace

std::atomic<uint64_t> &kiln::passStatistic(llvm::StringRef pass, llvm::StringRef name,
                                           llvm::StringRef description) {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::unique_ptr<Counter> &c = r.counters[pass.str()][name.str()];
  if (!c) {
    c = std::make_unique<Counter>();
    c->description = description.str();
  }
  return c->value;
}

void kiln::addKilnStatisticsInstrumentation(PassManager &pm, bool always) {
  if (always || passStatisticsRequested())
    pm.addInstrumentation(std::make_unique<StatisticsPrinter>());
}
