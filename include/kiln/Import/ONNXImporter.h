//===- ONNXImporter.h - .onnx (protobuf) -> onnx dialect --------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
#ifndef KILN_IMPORT_ONNXIMPORTER_H
#define KILN_IMPORT_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace kiln {

/// Highest ImportLimits::maxSubgraphDepth accepted.
constexpr int kMaxSubgraphDepthLimit = 256;

/// Resource limits of the importer.  A model that exceeds one is refused
/// with an error naming the limit and the kiln-compile flag that raises it,
/// instead of exhausting memory or the stack.
struct ImportLimits {
  /// Largest model: the .onnx file plus all the external data it reads.
  uint64_t maxModelBytes = uint64_t(64) << 30;
  /// Largest tensor: the bytes of one initializer or constant, and the
  /// size a declared static shape (graph input or output) implies.
  uint64_t maxTensorBytes = uint64_t(16) << 30;
  /// Deepest nesting of subgraphs (If / Loop / Scan bodies), 1 to
  /// kMaxSubgraphDepthLimit: the importer recurses once per level.
  int maxSubgraphDepth = 64;
};

struct ImportOptions {
  /// Name of the generated entry function.
  std::string entryName = "main";
  /// Initializers with at least this many elements become dense_resource
  /// blobs (their bytes are moved, not copied, out of the protobuf).
  int64_t resourceThreshold = 16;
  /// Record every node's name (its NameLoc) and ONNX op type, subgraphs
  /// included, as the module attribute `kiln.profile.node_types` (a
  /// dictionary name -> op type; kiln-compile --profile).
  bool recordNodeTypes = false;
  /// Static shapes for graph inputs, by name (kiln-compile --input-shape):
  /// each replaces the dims the model declares for that input, keeping its
  /// rank and every static dim.  An unknown name, a different rank or a
  /// contradicted static dim is an error.
  std::map<std::string, std::vector<int64_t>> inputShapes;
  ImportLimits limits;
};

/// Lowest and highest default-domain opset Kiln imports.
constexpr int64_t kMinOpset = 1;
constexpr int64_t kMaxOpset = 23;

/// Reads and imports an ONNX model file.  On error, emits diagnostics that
/// name the problem (file offset, node name and op type, tensor name) and
/// returns null.  The resulting module holds one public `func.func` with the
/// unit attribute `kiln.entry`; arguments and results carry `kiln.name`
/// (the ONNX name) and `kiln.dtype` (ONNX TensorProto.DataType).
mlir::OwningOpRef<mlir::ModuleOp> importONNXFile(llvm::StringRef path,
                                                 mlir::MLIRContext *ctx,
                                                 const ImportOptions &opts = {});

/// Same, from bytes in memory; `modelDir` resolves external data ("" forbids
/// external data).
mlir::OwningOpRef<mlir::ModuleOp> importONNXBytes(llvm::StringRef bytes,
                                                  llvm::StringRef displayName,
                                                  llvm::StringRef modelDir,
                                                  mlir::MLIRContext *ctx,
                                                  const ImportOptions &opts = {});

/// The ONNX operators (default domain) the importer accepts, sorted by
/// name, each with the first opset in which it is accepted (the later of
/// kMinOpset and the opset that introduced the operator).
std::vector<std::pair<std::string, int64_t>> supportedONNXOperators();

} // namespace kiln

#endif
