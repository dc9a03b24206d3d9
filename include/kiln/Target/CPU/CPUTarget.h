//===- CPUTarget.h - the CPU back end ---------------------------*- C++ -*-===//
//
// linalg-on-tensors -> (tile, vectorize) -> bufferize -> LLVM dialect ->
// LLVM IR -> object -> shared/static library + C header.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGET_CPU_CPUTARGET_H
#define KILN_TARGET_CPU_CPUTARGET_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/LogicalResult.h"
#include <functional>
#include <string>

namespace kiln::cpu {

struct CPUTargetOptions {
  /// Target triple; empty = the host's.
  std::string triple;
  /// Target CPU; "native" = the host CPU and its features.
  std::string cpu = "native";
  /// Extra target features ("+avx2,-avx512f").
  std::string features;
  /// 0: plain loops, no tiling/vectorization.  1-3: tile + vectorize;
  /// also selects LLVM's optimization level.
  unsigned optLevel = 2;
  /// Time every ONNX node of the entry function (kiln-compile --profile):
  /// the library exports kProfileSymbol (see runtime/include/kiln/abi.h).
  bool profile = false;
  /// Linker used for shared libraries.
  std::string linker = "/usr/lib/llvm-22/bin/ld.lld";
  /// Called by emitCPUArtifact as it starts each phase: "translation to
  /// LLVM IR", "LLVM optimization", "code generation", "link" (kiln-compile
  /// -v and --mlir-timing time them).
  std::function<void(llvm::StringRef phase)> onPhase;
};

/// Symbol and descriptor version of an instrumented library's profile
/// (kiln_abi_profile in runtime/include/kiln/abi.h).
constexpr const char *kProfileSymbol = "kiln_model_profile_v1";
constexpr int kProfileVersion = 1;

enum class ArtifactKind { LLVMIR, Assembly, Object, StaticLib, SharedLib };

/// Adds the passes that lower a linalg-on-tensors module (one public
/// `func.func` with `kiln.entry`) to the LLVM dialect.
void buildCPULoweringPipeline(mlir::OpPassManager &pm, const CPUTargetOptions &opts);

/// Translates an LLVM-dialect module (output of the pipeline above) to LLVM
/// IR, adds the `kiln_model_abi_v1` entry (runtime/include/kiln/abi.h),
/// optimizes it and writes the requested artifact.  For libraries, a C
/// header `<stem>.h` is written next to the output.
mlir::LogicalResult emitCPUArtifact(mlir::ModuleOp module, const CPUTargetOptions &opts,
                                    ArtifactKind kind, llvm::StringRef outputPath);

/// Registers `kiln-cpu-lowering` (pipeline, for kiln-opt) and the CPU passes.
void registerCPUTargetPasses();

} // namespace kiln::cpu

#endif
