//===- CTarget.cpp - the embedded C target: options and pipeline ----------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// --target=c writes portable C99 (no heap, no stdio, no mutable globals):
// the weights as const arrays, every intermediate tensor in one arena that
// the caller passes in, its size a constant of the generated header
// (docs/targets.md, "The C target").  The code is scalar loops; the
// pipeline shares the tensor-level passes and the memory planner with the
// CPU target and ends in MLIR's emitc dialect, which MLIR's C/C++ emitter
// prints (CArtifact.cpp).
//
//===----------------------------------------------------------------------===//

#include "CPasses.h"

#include "../CPU/CPUPasses.h"
#include "kiln/Target/Common/MemoryPlan.h"
#include "kiln/Transforms/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/BufferizationToMemRef/BufferizationToMemRef.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/EmitC/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void kiln::c::buildCLoweringPipeline(OpPassManager &pm, const kiln::TargetOptions &opts) {
  using namespace kiln::cpu;
  pm.addPass(createCPUPrepareEntry());
  pm.addPass(createCCheckModel());
  pm.addPass(createCPUFuseElementwise());
  pm.addPass(createCanonicalizerPass());
  // Accumulators a channel (or row) at a time, beside their epilogue.
  pm.addNestedPass<func::FuncOp>(createCTileEpilogues());
  pm.addPass(createCanonicalizerPass());
  // The cpu target's bufferization; one thread: scf.forall as plain loops.
  addCPUBufferization(pm, /*markParallel=*/false);
  // A pad's fill only around the interior, and element-wise producers
  // writing straight into the padded buffer's interior (no second copy of
  // the tensor beside it).
  pm.addNestedPass<func::FuncOp>(createCPUPadBorders());
  pm.addPass(createConvertBufferizationToMemRefPass());
  // The results are written where the caller says: each a fresh buffer
  // first, then that buffer replaced by an output argument.
  pm.addNestedPass<func::FuncOp>(createCPUFreshEntryResults());
  bufferization::BufferResultsToOutParamsPassOptions ro;
  ro.hoistStaticAllocs = true;
  ro.modifyPublicFunctions = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(ro));
  // Every other buffer in the arena (lib/Target/Common).
  pm.addPass(kiln::createPlanMemoryPass());
  // Loops.
  pm.addNestedPass<func::FuncOp>(createCPUStridedCopyToLinalg());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addNestedPass<func::FuncOp>(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  // maximumf/minimumf, ceil/floor divisions, ... as compares and selects.
  pm.addPass(arith::createArithExpandOpsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createCLowerToEmitC());
  pm.addPass(createCanonicalizerPass());
  // (Not emitc's form-expressions: its output draws -Wparentheses warnings
  // (`a | b & c`), and it ran for minutes on the 30-deep select chains of an
  // integer Pow.)
}

namespace {
struct CLoweringPipelineOptions : PassPipelineOptions<CLoweringPipelineOptions> {};

class CTarget final : public kiln::Target {
public:
  StringRef getName() const override { return "c"; }
  StringRef getDescription() const override {
    return "portable C99 for microcontrollers: no heap, weights in const arrays, one static "
           "arena (--emit=c)";
  }

  llvm::Error validateOptions(kiln::TargetOptions &opts,
                              std::optional<kiln::ArtifactKind> kind) const override {
    if (kind && *kind != kiln::ArtifactKind::CSource)
      return llvm::createStringError(
          "the c target writes C source (--emit=c, -o model.c), not an object file or library");
    if (!opts.triple.empty())
      return llvm::createStringError("--mtriple has no meaning for the c target (its output is "
                                     "portable C; compile it with the target's C compiler)");
    if (!opts.cpu.empty() && opts.cpu != "native" && opts.cpu != "generic")
      return llvm::createStringError(
          "--mcpu=" + opts.cpu +
          ": the c target writes generic C99 only (CPU-specific paths such as Cortex-M DSP "
          "instructions are not implemented yet); leave --mcpu out");
    if (!opts.features.empty())
      return llvm::createStringError("--mattr has no meaning for the c target");
    if (opts.profile)
      return llvm::createStringError("--profile is not supported by the c target");
    opts.cpu = "generic";
    return llvm::Error::success();
  }

  std::optional<kiln::ArtifactKind> defaultArtifact() const override { return kiln::ArtifactKind::CSource; }

  // No library to run here: calibration and evaluation use the cpu
  // target's, for this machine.
  const kiln::Target &sideTarget() const override { return *kiln::lookupTarget("cpu"); }

  void buildNNPasses(OpPassManager &pm, const kiln::TargetOptions &) const override {
    // int8 layers keep their activations in 8 bits, with TFLite's
    // fixed-point requantization (bit-exact on every machine, no float
    // epilogue on integer-only cores).
    pm.addPass(createCSEPass());
    pm.addNestedPass<func::FuncOp>(kiln::createNNFixedPointRequantize());
    pm.addPass(createCanonicalizerPass());
  }

  StringRef getLoweredForm() const override { return "emitc"; }

  void buildLoweringPipeline(OpPassManager &pm, const kiln::TargetOptions &opts) const override {
    kiln::c::buildCLoweringPipeline(pm, opts);
  }

  LogicalResult writeArtifact(ModuleOp module, const kiln::TargetOptions &opts,
                              kiln::ArtifactKind kind, StringRef outputPath) const override {
    if (kind != kiln::ArtifactKind::CSource)
      return module.emitError("the c target writes C source only");
    return kiln::c::writeCSource(module, opts, outputPath);
  }

  void registerPasses() const override {
    kiln::c::registerKilnCPasses();
    PassPipelineRegistration<CLoweringPipelineOptions>(
        "kiln-c-lowering", "The C target's pipeline: linalg on tensors -> emitc",
        [](OpPassManager &pm, const CLoweringPipelineOptions &) {
          kiln::c::buildCLoweringPipeline(pm, kiln::TargetOptions());
        });
  }

  /// int8 layers (depthwise ones included) are integer loops in C; C99 has
  /// no bf16 arithmetic.
  llvm::Error checkPrecision(StringRef precision, const kiln::TargetOptions &opts) const override {
    if (precision == "int8" || precision == "int8-depthwise")
      return llvm::Error::success();
    return llvm::createStringError("the c target has no " + precision.str() +
                                   " kernels (C99 has no bf16 arithmetic)");
  }
};
} // namespace

std::unique_ptr<kiln::Target> kiln::c::createTarget() { return std::make_unique<CTarget>(); }
