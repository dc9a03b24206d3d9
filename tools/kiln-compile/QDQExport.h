//===- QDQExport.h - kiln-compile --emit=qdq-onnx --------------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Kiln's int8 quantization written back into the input ONNX model as
// QuantizeLinear / DequantizeLinear nodes (docs/quantization.md), so that
// another runtime (ONNX Runtime) can run exactly the same quantization.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TOOLS_KILN_COMPILE_QDQEXPORT_H
#define KILN_TOOLS_KILN_COMPILE_QDQEXPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/StringRef.h"

namespace kiln::compile {

/// Writes the model of `onnxPath` to `outPath` with every int8 layer of
/// `module` (nn.qconv / nn.qmatmul written by --quantize, named after their
/// ONNX Conv / MatMul / Gemm nodes) quantized as Kiln quantized it: the
/// layer's input through QuantizeLinear + DequantizeLinear with its scale
/// and zero point (uint8, per tensor), its weights as an int8 initializer
/// (symmetric, per output channel) through DequantizeLinear; with
/// `int32Bias`, a float bias as int32 at scale x_scale * w_scale through
/// DequantizeLinear (ONNX Runtime fuses only such layers into its int8
/// kernels), else unchanged.  Layers that
/// cannot be written (no matching node, weights that differ from the
/// node's, which a graph pass changed) stay float with a warning naming
/// them.  Errors are reported and return failure.
mlir::LogicalResult writeQDQModel(llvm::StringRef onnxPath, mlir::ModuleOp module, llvm::StringRef outPath,
                                  bool int32Bias);

} // namespace kiln::compile

#endif
