//===- Quantize.h - kiln-compile --quantize: calibrate, rewrite, evaluate -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Post-training quantization in kiln-compile, between the graph passes and
// the lowering (docs/quantization.md):
//   1. calibration: the float model, compiled with the activation input of
//      every quantizable layer as an extra output, runs on the
//      --calibration-data samples; each layer's input range is taken from
//      what it saw (--calibration=minmax|percentile:P|entropy);
//   2. sensitivity: a second library runs every layer twice on its float
//      input, in float and in int8, and measures the int8 output's relative
//      error (each layer alone);
//   3. with --eval-data: top-1 (or agreement with float) of the float and the
//      quantized model on the evaluation samples; --quantize=mixed keeps the
//      fewest layers in fp32 (most sensitive per measured microsecond int8
//      saves first; per MAC without timings) that bring the
//      loss within --accuracy-budget, each candidate compiled and measured;
//   4. kiln-nn-quantize rewrites the layers chosen for int8;
//   5. the per-layer report (--quant-report, text or JSON).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TOOLS_KILN_COMPILE_QUANTIZE_H
#define KILN_TOOLS_KILN_COMPILE_QUANTIZE_H

#include "Phases.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/StringRef.h"

#include <functional>
#include <string>

namespace kiln::compile {

struct QuantizeOptions {
  /// --quantize: "" (off), "int8", "bf16", "mixed" (int8, bf16 or fp32
  /// per layer) or "int4-weights".
  std::string mode;
  /// --accuracy-budget: points of top-1 (or of agreement with fp32 without
  /// labels) the quantized model may lose on --eval-data; < 0: none.
  double budget = -1;
  std::string budgetText;
  /// --calibration-data, --eval-data: data set folders (tools/common/Dataset.h).
  std::string calibrationData, evalData;
  /// --calibration: "minmax", "percentile" (with `percentile`) or "entropy".
  std::string method = "minmax";
  double percentile = 99.99;
  /// --quant-report: "" (none), "-" (stdout, text), a path (JSON if it ends
  /// in .json, else text).
  std::string report;
  /// --mixed-fallback: where a layer of --quantize=mixed goes when it leaves
  /// int8: "auto" (bf16 where the CPU has bf16 kernels, all-bf16 keeps the
  /// budget and the layer's bf16 is measured faster than its fp32; else
  /// fp32), "fp32" or "bf16".
  std::string mixedFallback = "auto";
  bool mixedFallbackGiven = false;
  /// Whether the target has bf16 kernels (Target::checkPrecision).
  bool bf16Kernels = false;
  /// Whether the target runs depthwise convolutions in int8 faster than in
  /// f32 (Target::checkPrecision "int8-depthwise"); if not they stay f32.
  bool int8Depthwise = false;
  /// --int4-group (--quantize=int4-weights): weights per scale along K.
  std::string int4GroupText = "128";
  bool int4GroupGiven = false;
  int64_t int4Group = 128;
  /// --awq: "on" (activation-aware scales searched on the calibration data)
  /// or "off" (round to nearest).
  std::string awq = "on";
  bool awqGiven = false;
  /// --mixed-int4 (--quantize=mixed): matmuls may take int4 weights where
  /// they are measured faster than int8.
  bool mixedInt4 = false;
  /// --int4-activations: "f32" (weight-only) or "int8" (W4A8: rounded per
  /// row and group at run time).
  std::string int4Activations = "f32";
  bool int4ActivationsGiven = false;
  /// --prune is given: the data options (--calibration-data, --eval-data,
  /// --accuracy-budget) are its, also without --quantize.
  bool pruning = false;
  /// Examples per run when the model's batch dim is dynamic.
  int64_t batch = 32;
};

/// Checks the option values (before any work); reports and returns false
/// on an error.
bool checkQuantizeOptions(QuantizeOptions &opts);

/// Lowers `module` (nn stage; the caller's clone) to a shared library at
/// `path`, instrumented with the per-node profile when `profile`.
using CompileFn = std::function<mlir::LogicalResult(mlir::ModuleOp module, llvm::StringRef path, bool profile)>;

/// Steps 1-5 on `module` (nn stage, after the graph passes).  Errors are
/// reported (naming the file or layer) and return failure.
mlir::LogicalResult quantizeModule(mlir::ModuleOp module, const QuantizeOptions &opts, const CompileFn &compile,
                                   PhaseReport &phases);

} // namespace kiln::compile

#endif
