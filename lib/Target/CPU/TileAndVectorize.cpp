//===- TileAndVectorize.cpp - tiling and vectorization for CPUs -----------===//

#include "CPUPasses.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace {

struct TileAndVectorizePass
    : PassWrapper<TileAndVectorizePass, OperationPass<func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(TileAndVectorizePass)
  StringRef getArgument() const override { return "kiln-cpu-tile-and-vectorize"; }
  StringRef getDescription() const override {
    return "Tile linalg ops and vectorize the tiles (CPU)";
  }
  void getDependentDialects(DialectRegistry &r) const override {
    r.insert<linalg::LinalgDialect, scf::SCFDialect, vector::VectorDialect>();
  }
  void runOnOperation() override {}
};

struct LowerVectorsPass : PassWrapper<LowerVectorsPass, OperationPass<func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(LowerVectorsPass)
  StringRef getArgument() const override { return "kiln-cpu-lower-vectors"; }
  StringRef getDescription() const override {
    return "Lower vector contractions, transfers and masks for the LLVM back end";
  }
  void getDependentDialects(DialectRegistry &r) const override {
    r.insert<vector::VectorDialect>();
  }
  void runOnOperation() override {}
};

} // namespace

std::unique_ptr<Pass> kiln::cpu::createTileAndVectorizePass() {
  return std::make_unique<TileAndVectorizePass>();
}
void kiln::cpu::registerTileAndVectorizePass() { PassRegistration<TileAndVectorizePass>(); }
std::unique_ptr<Pass> kiln::cpu::createLowerVectorsPass() {
  return std::make_unique<LowerVectorsPass>();
}
void kiln::cpu::registerLowerVectorsPass() { PassRegistration<LowerVectorsPass>(); }
