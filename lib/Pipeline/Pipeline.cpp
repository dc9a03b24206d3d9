//===- Pipeline.cpp - Kiln's named pipelines ------------------------------===//

#include "kiln/Pipeline/Pipeline.h"
#include "kiln/Conversion/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "kiln/Target/CPU/CPUTarget.h"

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
  kiln::cpu::registerCPUTargetPasses();
}
