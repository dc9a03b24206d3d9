//===- SideModel.h - temporary libraries kiln-compile runs itself -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// --quantize and --prune compile clones of the model (with extra outputs:
// the tensors they observe) into temporary libraries and run them here on
// the calibration and evaluation data through Kiln's C runtime, so that
// they measure the code Kiln generates.  The helpers both share.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TOOLS_KILN_COMPILE_SIDEMODEL_H
#define KILN_TOOLS_KILN_COMPILE_SIDEMODEL_H
#include "Dataset.h"

#include "kiln/runtime.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallString.h"
#include <string>
#include <vector>

namespace kiln::compile {

/// A loaded temporary library.
struct Model {
  kiln_model *m = nullptr;
  ~Model() { kiln_model_free(m); }
};

/// A temporary folder removed when it goes out of scope.
struct TempDir {
  llvm::SmallString<128> path;
  ~TempDir();
};

/// What a --quantize or --prune run works with: its data sets, loaded for
/// the model's inputs, and a temporary folder for its side libraries.
struct SideSession {
  std::string option;  ///< "--quantize" or "--prune", for the messages
  kiln::data::Dataset calib, eval;
  TempDir tmp;
  /// Loads the data sets (an empty path: none) and creates the folder;
  /// reports and fails on an error (naming the file).
  mlir::LogicalResult open(mlir::func::FuncOp entry, llvm::StringRef calibrationData, llvm::StringRef evalData,
                           int64_t batch);
  /// A path in the temporary folder.
  std::string libPath(llvm::StringRef name) const;
  /// Loads a side library; reports and fails if it cannot.
  mlir::LogicalResult load(llvm::StringRef path, Model &m) const;
  /// The top-1 predictions of `module` on the eval set: a clone compiled
  /// (`compile`: the caller's CompileFn) to `name` in the folder and run.
  mlir::LogicalResult predictions(mlir::ModuleOp module, llvm::StringRef name,
                                  llvm::function_ref<mlir::LogicalResult(mlir::ModuleOp, llvm::StringRef)> compile,
                                  std::vector<int64_t> &pred) const;
};

/// The percentage of `pred` that is right on `eval`: top-1 against its
/// labels, or, without labels, agreement with `reference` (the dense
/// model's predictions).
double scorePredictions(const kiln::data::Dataset &eval, const std::vector<int64_t> &pred,
                        const std::vector<int64_t> &reference);

/// Lower Cholesky factor L (M = L L') of the n x n symmetric matrix `m`, in
/// place in its lower triangle (the upper one is left as it was); false if
/// `m` is not positive definite.
bool choleskyFactor(std::vector<double> &m, int64_t n);

/// The entry function of an nn-stage module.
mlir::func::FuncOp entryOf(mlir::ModuleOp module);
/// The model inputs as the data set loader checks them.
std::vector<kiln::data::InputSpec> inputSpecs(mlir::func::FuncOp entry);
/// Appends `values` to the entry's results (named `prefix<i>`, f32).
void addOutputs(mlir::func::FuncOp entry, llvm::ArrayRef<mlir::Value> values, llvm::StringRef prefix);
/// One run of `model` on `sample` into `outs` (one per output, which the
/// caller frees: freeOutputs); false if it failed (kiln_last_error() says
/// why).
bool runSample(kiln_model *model, const kiln::data::Sample &sample, std::vector<kiln_tensor> &outs);
void freeOutputs(std::vector<kiln_tensor> &outs);
/// Runs `model` on every sample; `visit(sample index, outputs)` sees the
/// outputs (freed after it returns).
mlir::LogicalResult runAll(kiln_model *model, const kiln::data::Dataset &data, llvm::StringRef what,
                           llvm::function_ref<mlir::LogicalResult(size_t, llvm::ArrayRef<kiln_tensor>)> visit);
/// Top-1 over a data set: per run, argmax over the last dim of output 0 for
/// each row.  `preds` gets every row's class.
mlir::LogicalResult collectPredictions(kiln_model *model, const kiln::data::Dataset &data, llvm::StringRef what,
                                       std::vector<int64_t> &preds);
/// Writes a report's `text` to `path` ("-": stdout); reports and fails if
/// the file cannot be written (`option` names the flag).
mlir::LogicalResult writeReportText(llvm::StringRef text, llvm::StringRef path, llvm::StringRef option);
/// A conv / matmul's name in the reports: its ONNX node ("(unnamed)" if
/// none) and that node's op type from the importer's node table (else
/// "Conv" or "MatMul").
std::pair<std::string, std::string> layerNameAndType(mlir::Operation *layer, mlir::DictionaryAttr table);
/// `v` with `prec` digits after the point.
std::string fmt(double v, int prec);
/// A clone of `module` whose weights are copies in blobs of their own:
/// compiling a module releases its blobs (the back end moves the weights
/// into the LLVM module), which would empty the original's weights, since
/// a clone refers to the same named resources.
mlir::OwningOpRef<mlir::ModuleOp> cloneWithOwnWeights(mlir::ModuleOp module);

} // namespace kiln::compile
#endif
