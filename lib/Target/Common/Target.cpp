//===- Target.cpp - the target registry and shared option checks ----------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//

#include "kiln/Target/Target.h"
#include "kiln/Target/Common/HeaderWriter.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Path.h"

#include <vector>

using namespace kiln;

Target::~Target() = default;

namespace {
std::vector<std::unique_ptr<Target>> &registry() {
  static std::vector<std::unique_ptr<Target>> targets;
  return targets;
}
} // namespace

void kiln::registerTarget(std::unique_ptr<Target> target) {
  if (lookupTarget(target->getName()))
    llvm::report_fatal_error(llvm::Twine("Kiln target '") + target->getName() +
                             "' registered twice");
  registry().push_back(std::move(target));
}

const Target *kiln::lookupTarget(llvm::StringRef name) {
  for (const auto &t : registry())
    if (t->getName() == name)
      return t.get();
  return nullptr;
}

llvm::SmallVector<const Target *> kiln::getRegisteredTargets() {
  llvm::SmallVector<const Target *> out;
  for (const auto &t : registry())
    out.push_back(t.get());
  return out;
}

std::string kiln::registeredTargetNames() {
  llvm::SmallVector<llvm::StringRef> names;
  for (const auto &t : registry())
    names.push_back(t->getName());
  return llvm::join(names, ", ");
}

std::string kiln::checkModelName(llvm::StringRef name) {
  if (name.empty())
    return "the model name is empty";
  if (name.size() > 64)
    return "the model name is longer than 64 characters";
  if (!(llvm::isAlpha(name[0]) || name[0] == '_') ||
      !llvm::all_of(name, [](char c) { return llvm::isAlnum(c) || c == '_'; }))
    return "the model name must be a C identifier (letters, digits and '_', not starting "
           "with a digit)";
  if (name[0] == '_')
    return "the model name must not start with '_' (reserved in C)";
  if (name.lower().rfind("kiln", 0) == 0)
    return "the model name must not start with 'kiln' (the runtime's prefix)";
  if (isCKeyword(name))
    return "the model name must not be a C or C++ keyword";
  return "";
}

std::string kiln::defaultModelName(llvm::StringRef outputPath) {
  llvm::StringRef stem = llvm::sys::path::stem(outputPath);
  if (stem.starts_with("lib") && stem.size() > 3)
    stem = stem.drop_front(3);
  std::string name;
  for (char c : stem)
    name.push_back(llvm::isAlnum(c) ? c : '_');
  // "my-net" -> "my_net"; then make what is left a valid name.
  name = llvm::StringRef(name).trim('_').str();
  if (outputPath == "-" || name.empty())
    return "model";
  if (name.size() > 64)
    name.resize(64);
  if (!checkModelName(name).empty())
    name = "m_" + name.substr(0, 62);
  return name;
}

llvm::Error kiln::validateTargetOptions(const Target &target, TargetOptions &opts,
                                        std::optional<ArtifactKind> kind) {
  std::string why = checkModelName(opts.modelName);
  if (!why.empty())
    return llvm::createStringError("invalid --name '" + opts.modelName + "': " + why);
  return target.validateOptions(opts, kind);
}

ArtifactKind kiln::libraryKindFor(llvm::StringRef path) {
  return path.ends_with(".a") ? ArtifactKind::StaticLib : ArtifactKind::SharedLib;
}
