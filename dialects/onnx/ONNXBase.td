//===- ONNXBase.td - onnx dialect, op base class, op facts --*- tablegen -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The dialect, the type and attribute constraints its ops share, and
// ONNX_Op, the base class of every op that imports an ONNX operator.  The
// ops themselves are in ops/<Family>.td, one file per op family (included by
// ONNXOps.td), mirroring lib/Dialect/ONNX/<Family>.cpp where their shape
// inference lives.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_ONNX_BASE
#define KILN_ONNX_BASE

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "onnx/ONNXInterfaces.td"

// Signed 64-bit integer attribute (the upstream ONNX_SI64Attr returns uint64_t).
def ONNX_SI64Attr : SignlessIntegerAttrBase<I64, "64-bit integer attribute"> {
  let returnType = "int64_t";
  let convertFromStorage = "$_self.getValue().getSExtValue()";
}

def ONNX_Dialect : Dialect {
  let name = "onnx";
  let summary = "Kiln's ONNX import dialect";
  let description = [{
    The `onnx` dialect mirrors ONNX operators one to one.  It is produced by
    the importer and consumed by the `onnx -> nn` normalization.  Values are
    ranked tensors whose dynamic dimensions (such as a symbolic batch) are `?`.
  }];
  let cppNamespace = "::kiln::onnx";
  let usePropertiesForAttributes = 0;
  let hasConstantMaterializer = 0;
}

// An optional ONNX input: `none` (from onnx.NoValue) when the model omits it.
def ONNX_TensorOrNone : AnyTypeOf<[AnyTensor, NoneType]>;
def ONNX_I64ArrayAttr : TypedArrayAttrBase<I64Attr, "64-bit integer array">;
def ONNX_F32ArrayAttr : TypedArrayAttrBase<F32Attr, "32-bit float array">;

//===----------------------------------------------------------------------===//
// Facts about the ONNX operator behind an op
//
// Stated once, here, as mixins of the op's def; the importer and
// `kiln-compile --list-operators` read them from the registered ops through
// ONNXOperatorOpInterface (see ONNXInterfaces.td), so they keep no tables.
//===----------------------------------------------------------------------===//

// Required on every ONNX_Op: the first opset of ONNX's default domain that
// has the operator (ONNX Operators.md).  The importer refuses the operator in
// models of an older opset.
class ONNX_Since<int version> {
  int onnxSinceVersion = version;
}

// An operator of another domain than ONNX's default one (ONNX Runtime's
// contrib operators, "com.microsoft"): the importer knows it as
// "<domain>.<name>" and takes it only from nodes of that domain.  `name`
// is the operator's name where the mnemonic differs from it (an operator of
// the default domain has the same name: com.microsoft.Attention is
// onnx.MsAttention).
class ONNX_Domain<string domain, string name = ""> {
  string onnxDomain = domain;
  string onnxDomainOpName = name;
}

// An older ONNX operator that the importer also maps to this op, and the
// first opset that has it (e.g. the deprecated Scatter is ScatterElements).
class ONNX_AlsoImports<string name, int version> {
  string onnxAliasName = name;
  int onnxAliasSinceVersion = version;
}

// Before opset 7 the operator broadcast only with `broadcast` = 1, aligning B
// with A at `axis`; the importer rewrites that form into numpy broadcasting.
class ONNX_LegacyBroadcast {
  bit onnxLegacyBroadcast = 1;
}

// The base class of the ops that import an ONNX operator: pure, with ONNX
// shape inference (ShapeInferenceOpInterface, implemented in
// lib/Dialect/ONNX/<Family>.cpp) as the verifier, and the operator facts
// above (ONNXOperatorOpInterface, generated here).
//
// The number of ONNX inputs is derived from `arguments`: an op with an
// optional input (ONNX_TensorOrNone) and no variadic one always has all its
// operands, and the importer fills the trailing inputs a node omits with
// `none`; other ops take the node's inputs as they are.
class ONNX_Op<string mnemonic, list<Trait> traits = []>
    : Op<ONNX_Dialect, mnemonic,
         !listconcat(traits, [Pure, DeclareOpInterfaceMethods<ONNX_ShapeInferenceOpInterface>,
                              DeclareOpInterfaceMethods<ONNX_OperatorOpInterface>])> {
  int onnxSinceVersion = 0;
  string onnxDomain = "";
  string onnxDomainOpName = "";
  string onnxAliasName = "";
  int onnxAliasSinceVersion = 0;
  bit onnxLegacyBroadcast = 0;
  assert !gt(onnxSinceVersion, 0),
    "onnx." # mnemonic # " needs ONNX_Since<N>: the first opset with the ONNX operator";

  defvar args = !foreach(i, !range(!size(arguments)), !getdagarg<Constraint>(arguments, i));
  defvar numOperands = !foldl(0, args, n, a, !add(n, !if(!isa<TypeConstraint>(a), 1, 0)));
  defvar hasOptional = !foldl(0, args, b, a, !or(b, !eq(a, ONNX_TensorOrNone)));
  defvar hasVariadic = !foldl(0, args, b, a, !or(b, !isa<Variadic>(a)));
  int onnxNumInputs = !if(!and(hasOptional, !not(hasVariadic)), numOperands, -1);

  let hasVerifier = 1;
  let extraClassDefinition = [{
    ::mlir::LogicalResult $cppClass::verify() {
      return ::kiln::onnx::verifyInferredTypes(getOperation());
    }
    ::llvm::ArrayRef<::kiln::onnx::ONNXOperatorName> $cppClass::getONNXOperatorNames() {
      static const ::kiln::onnx::ONNXOperatorName names[] = {
        {"}] # !if(!empty(onnxDomain), "", onnxDomain # ".") #
        !if(!empty(onnxDomainOpName), mnemonic, onnxDomainOpName) # [{", }] # onnxSinceVersion # [{},}] #
        !if(!empty(onnxAliasName), "",
            "{\"" # onnxAliasName # "\", " # onnxAliasSinceVersion # "},") # [{
      };
      return names;
    }
    int64_t $cppClass::getNumONNXInputs() { return }] # onnxNumInputs # [{; }
    bool $cppClass::hasLegacyBroadcast() { return }] #
        !if(onnxLegacyBroadcast, "true", "false") # [{; }
  }];
}

// An op with one input X and one result Y.
class ONNX_UnaryOp<string mnemonic, string summ> : ONNX_Op<mnemonic> {
  let summary = summ;
  let arguments = (ins AnyTensor:$X);
  let results = (outs AnyTensor:$Y);
}

#endif // KILN_ONNX_BASE
