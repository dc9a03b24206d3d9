//===- HeaderWriter.h - the C header of a compiled model --------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Every library target writes `<stem>.h` next to its artifact: the model's
// signature as macros prefixed with the model name, the exported descriptor
// function `<name>_kiln_model_abi_v1`, and for a static-shape model a typed
// entry point `<name>_run` over structs with one named, typed field per input
// and output (docs/runtime.md, "Several models in one program").
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGET_COMMON_HEADERWRITER_H
#define KILN_TARGET_COMMON_HEADERWRITER_H

#include "kiln/Target/Common/MemoryPlan.h"
#include "kiln/Target/Common/ModelABI.h"

#include "mlir/Support/LogicalResult.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>

namespace kiln {

/// Descriptor symbol of ABI v1 that a shared library exports for
/// kiln_model_load() (runtime/include/kiln/abi.h: KILN_ABI_SYMBOL).
constexpr llvm::StringLiteral kABISymbol = "kiln_model_abi_v1";
/// `<name>_kiln_model_abi_v1`: the descriptor symbol every artifact exports.
std::string prefixedABISymbol(llvm::StringRef modelName);
/// `<name>_<symbol>` for another exported symbol (the profile descriptor).
std::string prefixedSymbol(llvm::StringRef modelName, llvm::StringRef symbol);

/// The model name as a macro prefix: upper case, '_' for other characters.
std::string macroPrefix(llvm::StringRef modelName);

/// The C type and kiln_dtype enumerator of an ONNX dtype (float,
/// KILN_DTYPE_FLOAT); {"", ""} if it has none.
std::pair<llvm::StringRef, llvm::StringRef> cTypeOf(int32_t dtype);

/// Elements of a tensor of static shape.
int64_t numElements(const ABITensor &t);

/// The tensors' names made C identifiers (other characters as '_', no
/// leading digit, no keyword), unique within the list; `dflt` + index for
/// a name with nothing left.
llvm::SmallVector<std::string> cFieldNames(llvm::ArrayRef<ABITensor> ts, llvm::StringRef dflt);

/// Whether `s` is a C keyword (or a C++ one that a C header must avoid).
bool isCKeyword(llvm::StringRef s);

struct HeaderOptions {
  /// C identifier of the model (TargetOptions::modelName).
  std::string modelName;
  /// The model's graph name (kiln_model_name()).
  std::string graphName;
  /// The artifact is a shared library: it also exports the unprefixed
  /// descriptor symbols, which the header then declares.
  bool sharedLibrary = false;
  /// The artifact exports `<name>_<profileSymbol>` (kiln-compile --profile).
  bool profiled = false;
  /// The profile descriptor's unprefixed symbol (kiln_model_profile_v1).
  std::string profileSymbol;
  /// The artifact's parallel loops call the OpenMP runtime (libomp).
  bool openMP = false;
  /// The static memory plan (kiln.arena), when the target planned one.
  std::optional<ArenaInfo> arena;
};

/// Writes the header for the artifact at `libPath` to `os`.
void writeModelHeader(llvm::raw_ostream &os, llvm::StringRef libPath, const ModelABI &abi,
                      const HeaderOptions &opts);
/// Writes `<libPath without extension>.h`; prints
/// "kiln-compile: error: cannot write ..." on failure.
mlir::LogicalResult writeModelHeaderFile(llvm::StringRef libPath, const ModelABI &abi,
                                         const HeaderOptions &opts);

} // namespace kiln

#endif
