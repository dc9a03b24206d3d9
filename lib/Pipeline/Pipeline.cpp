//===- Pipeline.cpp - Kiln's named pipelines ------------------------------===//

#include "kiln/Pipeline/Pipeline.h"
#include "kiln/Conversion/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#if __has_include("kiln/Target/CPU/CPUTarget.h")
#include "kiln/Target/CPU/CPUTarget.h"
#define KILN_HAVE_CPU_TARGET 1
#endif

using namespace mlir;

void kiln::buildONNXToNNPipeline(OpPassManager &pm, const PipelineOptions &opts) {
  pm.addPass(kiln::createConvertONNXToNN());
  if (opts.optLevel > 0) {
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
  }
}

void kiln::buildNNToLinalgPipeline(OpPassManager &pm, const PipelineOptions &opts) {
  pm.addPass(kiln::createConvertNNToLinalg());
  pm.addPass(createCanonicalizerPass());
  if (opts.optLevel > 0)
    pm.addPass(createCSEPass());
}

void kiln::registerKilnPipelines() {
  PassPipelineRegistration<>("kiln-onnx-to-nn", "onnx -> nn (normalization and clean-ups)",
                             [](OpPassManager &pm) { buildONNXToNNPipeline(pm, {}); });
  PassPipelineRegistration<>("kiln-nn-to-linalg", "nn -> linalg on tensors",
                             [](OpPassManager &pm) { buildNNToLinalgPipeline(pm, {}); });
#ifdef KILN_HAVE_CPU_TARGET
  kiln::registerCPUTargetPasses();
#endif
}
