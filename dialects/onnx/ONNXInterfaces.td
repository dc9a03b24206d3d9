//===- ONNXInterfaces.td - interfaces of the onnx dialect ---*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
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

def ONNX_OperatorOpInterface : OpInterface<"ONNXOperatorOpInterface"> {
  let description = [{
    What the importer needs to know about the ONNX operator(s) an op
    imports, stated once in the op's ODS definition (the `ONNX_Since`,
    `ONNX_AlsoImports` and `ONNX_LegacyBroadcast` mixins of ONNX_Op, and its
    `arguments`) and generated for every ONNX_Op.  The importer and
    `kiln-compile --list-operators` read these facts from the registered ops
    (`kiln::onnx::getONNXOperators`); they keep no tables of their own.
  }];
  let cppNamespace = "::kiln::onnx";
  let methods = [
    StaticInterfaceMethod<[{The ONNX operators of the default domain that the
      importer maps to this op (the op's own name first), each with the first
      opset that has it.}], "::llvm::ArrayRef<::kiln::onnx::ONNXOperatorName>",
      "getONNXOperatorNames">,
    StaticInterfaceMethod<[{The number of operands the op always has when its
      ONNX operator has trailing optional inputs: the importer fills those a
      node omits with `none` and refuses more.  -1 when the op takes the
      node's inputs as they are.}], "int64_t", "getNumONNXInputs">,
    StaticInterfaceMethod<[{Whether the operator had the `broadcast` / `axis`
      attributes before opset 7 (the importer adapts that form).}], "bool",
      "hasLegacyBroadcast">,
  ];
}

#endif // KILN_ONNX_INTERFACES
