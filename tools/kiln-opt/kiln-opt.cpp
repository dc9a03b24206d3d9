//===- kiln-opt.cpp - mlir-opt with Kiln's dialects and passes ------------===//

#include "kiln/Conversion/Passes.h"
#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Dialect/ONNX/ONNXOps.h"
#include "kiln/Pipeline/Pipeline.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  kiln::registerKilnConversionPasses();
  kiln::registerKilnPipelines();
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<kiln::onnx::ONNXDialect, kiln::nn::NNDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Kiln optimizer driver\n", registry));
}
