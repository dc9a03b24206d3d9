//===- Target.h - Kiln's code generation targets ----------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// A target turns the linalg-on-tensors module that the front end produces
// (one public `func.func` with `kiln.entry`) into something a program links:
// it checks its options, builds its lowering pipeline and writes the
// artifact.  Targets live in lib/Target/<Name>/ and are listed once in
// lib/Target/Targets.def; kiln-compile --target=<name> looks them up here
// (docs/targets.md, "Adding a target").
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGET_TARGET_H
#define KILN_TARGET_TARGET_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace kiln {

/// What Target::writeArtifact produces.
enum class ArtifactKind { LLVMIR, Assembly, Object, StaticLib, SharedLib, CSource };

/// Options of every target (kiln-compile's --mtriple, --mcpu, --mattr, -O,
/// --profile and --name).
struct TargetOptions {
  /// Target triple; empty = the host's.  validateTargetOptions() replaces it
  /// by the normalized triple (aarch64-linux-gnu -> aarch64-unknown-linux-gnu).
  std::string triple;
  /// Target CPU; "native" = the host CPU and its features.
  std::string cpu = "native";
  /// Extra target features ("+avx2,-avx512f").
  std::string features;
  /// 0..3: the target's own optimizations and LLVM's level.
  unsigned optLevel = 2;
  /// Winograd for stride-1 3x3 convolutions (kiln-compile --winograd):
  /// "auto" (a cost model per layer; AVX-512 targets at -O2 and up), "f4",
  /// "f2" (every such convolution, any target, -O1 and up) or "off".
  std::string winograd = "auto";
  /// Products with mostly-zero constant weights on the sparse kernel
  /// (kiln-compile --sparse-kernel): "auto" (AVX2/AVX-512 targets at -O2
  /// and up, at most 60 % of the weights nonzero) or "off".
  std::string sparseKernel = "auto";
  /// Time every ONNX node of the entry function (kiln-compile --profile).
  bool profile = false;
  /// Run the tile loops of large ops on several threads (OpenMP; the count
  /// is chosen at run time).  Only where the target is the host's
  /// architecture and OS (libomp must be there to link against).
  /// kiln-compile --parallel.
  bool parallel = true;
  /// C identifier that prefixes the generated header's macros and the
  /// artifact's exported symbols (kiln-compile --name; see
  /// defaultModelName()).
  std::string modelName = "model";
  /// Threads for LLVM's optimization and code generation of a library
  /// (kiln-compile -j); 0 = the CPUs this process may run on.  The
  /// library's bytes do not depend on it: the module is split into the
  /// same parts whatever the count (see CPUArtifact.cpp).
  unsigned jobs = 0;
  /// Parts a library is split into for LLVM (0 = by its size; for tests:
  /// kiln-compile --llvm-parts).
  unsigned llvmParts = 0;
  /// Called by writeArtifact as it starts each of its phases ("translation
  /// to LLVM IR", "LLVM optimization", "code generation", "link"), so that
  /// kiln-compile -v and --mlir-timing can time them.
  std::function<void(llvm::StringRef phase)> onPhase;
};

/// A code generation target.  Implementations are stateless; one instance
/// of each is registered (registerAllTargets()).
class Target {
public:
  virtual ~Target();

  /// `--target=` name ("cpu").
  virtual llvm::StringRef getName() const = 0;
  /// One line for `kiln-compile --list-targets`.
  virtual llvm::StringRef getDescription() const = 0;

  /// Checks the triple, CPU and features and normalizes them in place, and
  /// that the target can write `kind` (if given) for that triple, before any
  /// work is done.  The message of a returned error is one line, without a
  /// tool prefix ("unknown CPU 'foo' for target x86_64-pc-linux-gnu").
  virtual llvm::Error validateOptions(TargetOptions &opts,
                                      std::optional<ArtifactKind> kind) const = 0;

  /// What buildLoweringPipeline() lowers to, for kiln-compile -v ("LLVM
  /// dialect", "emitc").
  virtual llvm::StringRef getLoweredForm() const { return "LLVM dialect"; }

  /// What kiln-compile writes for this target when --emit is not given;
  /// nullopt: a library (the shared or static one by the output's name).
  virtual std::optional<ArtifactKind> defaultArtifact() const { return std::nullopt; }

  /// The target that builds the side libraries kiln-compile runs on this
  /// machine while it compiles (calibration, sensitivity, evaluation): this
  /// one, or, for a target that writes no library (C source), another.
  virtual const Target &sideTarget() const { return *this; }

  /// Adds the target's own graph passes on the nn dialect, run after the
  /// graph passes and the quantizer and before the lowering to linalg (the
  /// C target's integer-only int8 epilogues); most targets add none.
  virtual void buildNNPasses(mlir::OpPassManager &pm, const TargetOptions &opts) const {}

  /// Adds the passes that lower the linalg-on-tensors module to what
  /// writeArtifact() expects.
  virtual void buildLoweringPipeline(mlir::OpPassManager &pm,
                                     const TargetOptions &opts) const = 0;

  /// Writes the artifact for a module that went through
  /// buildLoweringPipeline(); for libraries also the C header `<stem>.h`.
  /// Diagnostics go to the module's context.  It may release the module's
  /// weight blobs (DenseResourceElementsAttr) once it holds its own copy:
  /// the module's constants cannot be read afterwards.
  virtual mlir::LogicalResult writeArtifact(mlir::ModuleOp module, const TargetOptions &opts,
                                            ArtifactKind kind,
                                            llvm::StringRef outputPath) const = 0;

  /// Registers the target's passes and pipelines with MLIR's global registry
  /// (for kiln-opt).
  virtual void registerPasses() const {}

  /// The per-core L2 cache of the CPU that `opts` (validated) generates code
  /// for, in bytes, where the target knows it; 0 when it does not.  Target-
  /// independent lowerings size their blocks from it (kiln-compile records
  /// it as the module attribute `kiln.l2_cache_bytes`).
  virtual uint64_t l2CacheBytes(const TargetOptions &opts) const { return 0; }

  /// Whether the code for `opts` (validated) has kernels for layers of
  /// `precision` ("int8", "bf16", "int8-depthwise": depthwise convolutions
  /// in int8); if not, an error saying why.  The default accepts every
  /// precision.
  virtual llvm::Error checkPrecision(llvm::StringRef precision, const TargetOptions &opts) const {
    return llvm::Error::success();
  }
};

/// Adds a target to the registry (names must be unique).
void registerTarget(std::unique_ptr<Target> target);
/// Registers every target listed in lib/Target/Targets.def, once.
void registerAllTargets();
/// The target called `name`, or null.
const Target *lookupTarget(llvm::StringRef name);
/// Every registered target, in registration order.
llvm::SmallVector<const Target *> getRegisteredTargets();
/// "cpu, cuda": the registered names, for messages.
std::string registeredTargetNames();

/// Checks what every target shares (the model name: a C identifier, not a
/// keyword, not starting with "kiln"), then the target's own options and
/// the artifact kind that will be written, if known.
llvm::Error validateTargetOptions(const Target &target, TargetOptions &opts,
                                  std::optional<ArtifactKind> kind = std::nullopt);

/// The model name derived from an output path: its stem without a leading
/// "lib", made a C identifier ("out/libmy-net.so" -> "my_net"; "-" ->
/// "model").
std::string defaultModelName(llvm::StringRef outputPath);
/// Why `name` cannot be a model name, or "" if it can.
std::string checkModelName(llvm::StringRef name);

/// The kind `--emit=lib` writes to `path`: a static archive for ".a", a
/// shared library otherwise.
ArtifactKind libraryKindFor(llvm::StringRef path);

} // namespace kiln

#endif
