//===- kiln-opt.cpp - mlir-opt with Kiln's dialects and passes ------------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//

#include "kiln/Conversion/Passes.h"
#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Dialect/ONNX/ONNXOps.h"
#include "kiln/Pipeline/Pipeline.h"
#include "kiln/Transforms/Passes.h"
#include "kiln/Transforms/Statistics.h"
#include "kiln/Version.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ToolOutputFile.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  kiln::registerKilnConversionPasses();
  kiln::registerKilnTransformsPasses();
  kiln::registerKilnPipelines();
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<kiln::onnx::ONNXDialect, kiln::nn::NNDialect>();
  llvm::cl::SetVersionPrinter(
      [](llvm::raw_ostream &os) { os << kiln::versionString("kiln-opt"); });
  // As mlir-opt, plus the printer of Kiln's pass counters
  // (--mlir-pass-statistics) on the pass manager.
  auto [inputFilename, outputFilename] =
      mlir::registerAndParseCLIOptions(argc, argv, "Kiln optimizer driver\n", registry);
  mlir::MlirOptMainConfig base = mlir::MlirOptMainConfig::createFromCLOptions();
  mlir::MlirOptMainConfig config = base;
  config.setPassPipelineSetupFn([base](mlir::PassManager &pm) -> mlir::LogicalResult {
    if (mlir::failed(base.setupPassPipeline(pm)))
      return mlir::failure();
    kiln::addKilnStatisticsInstrumentation(pm);
    return mlir::success();
  });
  std::string error;
  auto input = mlir::openInputFile(inputFilename, &error);
  if (!input) {
    llvm::errs() << error << "\n";
    return 1;
  }
  auto output = mlir::openOutputFile(outputFilename, &error);
  if (!output) {
    llvm::errs() << error << "\n";
    return 1;
  }
  if (mlir::failed(mlir::MlirOptMain(output->os(), std::move(input), registry, config)))
    return 1;
  output->keep();
  return 0;
}
