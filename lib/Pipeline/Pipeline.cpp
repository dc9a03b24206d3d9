//===- Pipeline.cpp - Kiln's named pipelines ------------------------------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//

#include "kiln/Pipeline/Pipeline.h"
#include "kiln/Conversion/Passes.h"
#include "kiln/Transforms/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "kiln/Target/Target.h"
#include "kiln/Target/Common/MemoryPlan.h"

using namespace mlir;

void kiln::buildONNXToNNPipeline(OpPassManager &pm, const PipelineOptions &opts) {
  pm.addPass(kiln::createConvertONNXToNN());
  if (opts.optLevel > 0) {
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
  }
  buildNNOptimizationPipeline(pm, opts);
}

/// The graph passes on nn, in order.  Each entry: the pass's name (its
/// kiln-opt argument, also accepted by kiln-compile --disable-pass), the
/// lowest -O level that runs it, and its constructor.
namespace {
struct NNPassEntry {
  llvm::StringLiteral name;
  unsigned minLevel;
  std::unique_ptr<Pass> (*create)();
};
} // namespace

static const NNPassEntry kNNPasses[] = {
    {"kiln-nn-constant-fold", 1, [] { return kiln::createNNConstantFold(); }},
    {"kiln-nn-fold-shape-arith", 1, [] { return kiln::createNNFoldShapeArith(); }},
    {"kiln-nn-simplify-layout", 1, [] { return kiln::createNNSimplifyLayout(); }},
    {"kiln-nn-fold-pad", 2, [] { return kiln::createNNFoldPad(); }},
    {"kiln-nn-fuse-attention", 2, [] { return kiln::createNNFuseAttention(); }},
    {"kiln-nn-fold-scale-shift", 2, [] { return kiln::createNNFoldScaleShift(); }},
    {"kiln-nn-remove-dead-channels", 2, [] { return kiln::createNNRemoveDeadChannels(); }},
    {"kiln-nn-fuse-epilogue", 2, [] { return kiln::createNNFuseEpilogue(); }},
    {"kiln-nn-merge-sequential", 2, [] { return kiln::createNNMergeSequential(); }},
    {"kiln-nn-merge-siblings", 2, [] { return kiln::createNNMergeSiblings(); }},
    {"cse", 1, [] { return mlir::createCSEPass(); }},
    {"kiln-nn-dce", 1, [] { return kiln::createNNDeadCodeElim(); }},
};

void kiln::buildNNOptimizationPipeline(OpPassManager &pm, const PipelineOptions &opts) {
  bool started = opts.startAfter.empty();
  for (const NNPassEntry &e : kNNPasses) {
    if (!started) {
      started = e.name == opts.startAfter;
      continue;
    }
    if (opts.optLevel >= e.minLevel && !opts.disabledPasses.count(e.name.str()))
      pm.addNestedPass<func::FuncOp>(e.create());
    if (e.name == opts.stopAfter)
      break;
  }
}

SmallVector<StringRef> kiln::nnOptimizationPassNames() {
  SmallVector<StringRef> names;
  for (const NNPassEntry &e : kNNPasses)
    names.push_back(e.name);
  return names;
}

void kiln::buildNNToLinalgPipeline(OpPassManager &pm, const PipelineOptions &opts) {
  // FLOPs of the optimized graph, for the per-node profile's GFLOP/s.
  if (opts.profile)
    pm.addPass(kiln::createNNRecordFlops());
  pm.addPass(kiln::createInsertRuntimeChecks());
  pm.addPass(kiln::createConvertNNToLinalg());
  pm.addPass(createCanonicalizerPass());
  if (opts.optLevel > 0)
    pm.addPass(createCSEPass());
}

void kiln::registerKilnPipelines() {
  PassPipelineRegistration<>("kiln-onnx-to-nn", "onnx -> nn (normalization and clean-ups)",
                             [](OpPassManager &pm) { buildONNXToNNPipeline(pm, {}); });
  PassPipelineRegistration<>("kiln-nn-optimize", "the graph passes on nn that -O3 runs, in order",
                             [](OpPassManager &pm) {
                               PipelineOptions o;
                               o.optLevel = 3;
                               buildNNOptimizationPipeline(pm, o);
                             });
  PassPipelineRegistration<>("kiln-nn-to-linalg", "nn -> linalg on tensors",
                             [](OpPassManager &pm) { buildNNToLinalgPipeline(pm, {}); });
  registerPlanMemoryPass();
  registerAllTargets();
  for (const Target *t : getRegisteredTargets())
    t->registerPasses();
}
