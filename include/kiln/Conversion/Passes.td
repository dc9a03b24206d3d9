//===- Passes.td - Kiln conversion passes ------------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
#ifndef KILN_CONVERSION_PASSES
#define KILN_CONVERSION_PASSES

include "mlir/Pass/PassBase.td"

def ConvertONNXToNN : Pass<"convert-onnx-to-nn", "mlir::ModuleOp"> {
  let summary = "Normalize onnx ops into nn ops";
  let description = [{
    Resolves ONNX encodings: Gemm transposes and scaling, auto_pad and
    ceil_mode into explicit pads, axes given as inputs, implicit rank
    broadcasting (operands are reshaped to the result's rank), opset-specific
    defaults, BatchNormalization into a per-channel scale and shift (folded at
    compile time when its parameters are constants).  Fails, naming the node,
    on any onnx op it cannot convert.
  }];
  let dependentDialects = ["kiln::nn::NNDialect", "mlir::arith::ArithDialect",
                           "mlir::tensor::TensorDialect", "mlir::func::FuncDialect",
                           "mlir::scf::SCFDialect"];
}

def ConvertNNToLinalg : Pass<"convert-nn-to-linalg", "mlir::ModuleOp"> {
  let summary = "Lower nn ops to linalg, tensor, arith and math on tensors";
  let dependentDialects = ["mlir::linalg::LinalgDialect", "mlir::arith::ArithDialect",
                           "mlir::tensor::TensorDialect", "mlir::math::MathDialect",
                           "mlir::func::FuncDialect", "mlir::scf::SCFDialect"];
}

def InsertRuntimeChecks : Pass<"kiln-insert-runtime-checks", "mlir::ModuleOp"> {
  let summary = "Check data-dependent values (indices, divisors, run-time k and axes) before lowering";
  let description = [{
    Inserts, before each nn op whose result is undefined for some run-time
    values, a reduction loop over the checked operand and an nn.check
    whose message names the ONNX node and the offending value: indices of
    gather / gather_elements / scatter_elements / gather_nd / scatter_nd
    against the indexed axis, integer divisors of div / mod against zero, a
    run-time TopK k against its axis, run-time reduction axes against the
    rank and against repeats.  Constant operands are checked at compile
    time instead (an error naming the node).  Runs right before
    convert-nn-to-linalg, which leaves nn.check to the target.
  }];
  let dependentDialects = ["kiln::nn::NNDialect", "mlir::linalg::LinalgDialect",
                           "mlir::arith::ArithDialect", "mlir::tensor::TensorDialect",
                           "mlir::scf::SCFDialect"];
}

def ONNXShapeInference : Pass<"onnx-shape-inference", "mlir::func::FuncOp"> {
  let summary = "Re-run ONNX shape inference on every onnx op, in order";
  let description = [{
    Refines result types (e.g. after editing a test by hand) and reports ops
    whose operands violate the ONNX specification.  Function result types are
    updated to match.
  }];
}

#endif
