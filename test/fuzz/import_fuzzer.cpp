//===- import_fuzzer.cpp - libFuzzer target: bytes -> onnx dialect --------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Feeds arbitrary bytes to the ONNX importer exactly as kiln-compile does
// (protobuf parse, opset and domain checks, tensors, subgraphs, per-node
// verification and shape inference, whole-module verification) and prints
// what it imported, so the custom printers run too.  Errors are expected
// and ignored; a crash, a sanitizer report, a leak, a timeout or running
// out of the memory limit is a bug.  scripts/fuzz.sh runs it; see
// docs/robustness.md.
//
//===----------------------------------------------------------------------===//

#include "kiln/Import/ONNXImporter.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // One context per input: interned attributes and resource blobs would
  // otherwise accumulate across millions of inputs.
  mlir::MLIRContext ctx(mlir::MLIRContext::Threading::DISABLED);
  ctx.getDiagEngine().registerHandler([](mlir::Diagnostic &) { return mlir::success(); });
  kiln::ImportOptions opts;
  opts.recordNodeTypes = true;
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  // No model folder: external data is refused (it is covered by the
  // broken-model corpus in test/robustness instead).
  mlir::OwningOpRef<mlir::ModuleOp> module =
      kiln::importONNXBytes(bytes, "fuzz.onnx", /*modelDir=*/"", &ctx, opts);
  if (!module)
    return 0;
  // The importer verifies what it returns; a module that fails here is an
  // importer bug.
  if (mlir::failed(mlir::verify(*module)))
    std::abort();
  llvm::raw_null_ostream os;
  module->print(os, mlir::OpPrintingFlags().elideLargeElementsAttrs(64));
  return 0;
}
