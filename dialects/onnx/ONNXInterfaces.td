//===- ONNXInterfaces.td - interfaces of the onnx dialect ---*- tablegen -*-===//
#ifndef KILN_ONNX_INTERFACES
#define KILN_ONNX_INTERFACES

include "mlir/IR/OpBase.td"

def ONNX_ShapeInferenceOpInterface : OpInterface<"ShapeInferenceOpInterface"> {
  let description = [{
    Refines the result types of an `onnx` op from its operands (types and,
    where the ONNX semantics need them, constant operand values) and its
    attributes, following the ONNX operator specification.  Called by the
    importer on every node in topological order and by the
    `onnx-shape-inference` pass.  On failure the op emits a diagnostic that
    names the node.
  }];
  let cppNamespace = "::kiln::onnx";
  let methods = [
    InterfaceMethod<[{Computes the result types from the operands and
      attributes.  Emits an error naming the node and fails on operands that
      violate the ONNX specification.}], "::mlir::LogicalResult",
      "inferResultTypes", (ins "::llvm::SmallVectorImpl<::mlir::Type> &":$types)>,
  ];
}

#endif // KILN_ONNX_INTERFACES
