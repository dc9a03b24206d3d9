//===- ModelABI.cpp - the model's ABI description (kiln.abi) --------------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//

#include "kiln/Target/Common/ModelABI.h"
#include "kiln/Support/ONNXDType.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace kiln;

FailureOr<func::FuncOp> kiln::findEntryFunction(ModuleOp m) {
  func::FuncOp entry;
  for (auto f : m.getOps<func::FuncOp>()) {
    if (!f->hasAttr(kEntryAttrName))
      continue;
    if (entry)
      return f.emitError("more than one function has the 'kiln.entry' attribute");
    entry = f;
  }
  if (!entry)
    return m.emitError("no function has the 'kiln.entry' attribute (the model's entry point)");
  return entry;
}

FailureOr<ModelABI> ModelABI::fromEntry(func::FuncOp entry) {
  auto describe = [&](Type t, DictionaryAttr attrs, unsigned idx, bool isArg,
                      SmallVectorImpl<ABITensor> &out) -> LogicalResult {
    auto rt = dyn_cast<RankedTensorType>(t);
    if (!rt)
      return entry.emitError() << (isArg ? "argument #" : "result #") << idx
                               << " must be a ranked tensor, got " << t;
    Type e = rt.getElementType();
    if (!onnxDTypeOf(e))
      return entry.emitError() << (isArg ? "argument #" : "result #") << idx
                               << " has unsupported element type " << e;
    if (rt.getRank() > 8)
      return entry.emitError() << (isArg ? "argument #" : "result #") << idx << " has rank "
                               << rt.getRank() << " (the runtime supports up to 8)";
    StringAttr name = attrs ? attrs.getAs<StringAttr>("kiln.name") : StringAttr();
    IntegerAttr dtype = attrs ? attrs.getAs<IntegerAttr>("kiln.dtype") : IntegerAttr();
    int64_t code = dtype ? dtype.getInt() : 0;
    if (code && onnxElementType(e.getContext(), code) != e)
      return entry.emitError() << "'kiln.dtype' of " << (isArg ? "argument #" : "result #") << idx
                               << " is " << code << " (" << onnxDTypeName(code)
                               << "), which does not match the element type " << e;
    ABITensor desc;
    desc.name = name ? name.str() : (isArg ? "input_" : "output_") + std::to_string(idx);
    desc.dtype = code ? code : onnxDTypeOf(e);
    for (int64_t d : rt.getShape())
      desc.dims.push_back(ShapedType::isDynamic(d) ? -1 : d);
    out.push_back(std::move(desc));
    return success();
  };
  ModelABI abi;
  abi.entry = entry.getSymName().str();
  FunctionType ft = entry.getFunctionType();
  for (unsigned i = 0; i < ft.getNumInputs(); ++i)
    if (failed(describe(ft.getInput(i), entry.getArgAttrDict(i), i, true, abi.inputs)))
      return failure();
  for (unsigned i = 0; i < ft.getNumResults(); ++i)
    if (failed(describe(ft.getResult(i), entry.getResultAttrDict(i), i, false, abi.outputs)))
      return failure();
  if (abi.outputs.empty())
    return entry.emitError("the entry function has no results");
  return abi;
}

DictionaryAttr ModelABI::toAttr(MLIRContext *ctx) const {
  Builder b(ctx);
  auto tensors = [&](ArrayRef<ABITensor> ts) {
    SmallVector<Attribute> out;
    for (const ABITensor &t : ts)
      out.push_back(b.getDictionaryAttr({b.getNamedAttr("name", b.getStringAttr(t.name)),
                                         b.getNamedAttr("dtype", b.getI32IntegerAttr(t.dtype)),
                                         b.getNamedAttr("dims", b.getDenseI64ArrayAttr(t.dims))}));
    return b.getArrayAttr(out);
  };
  return b.getDictionaryAttr({b.getNamedAttr("entry", b.getStringAttr(entry)),
                              b.getNamedAttr("inputs", tensors(inputs)),
                              b.getNamedAttr("outputs", tensors(outputs))});
}

FailureOr<ModelABI> ModelABI::fromModule(ModuleOp m) {
  auto abiAttr = m->getAttrOfType<DictionaryAttr>(kABIAttrName);
  if (!abiAttr)
    return m.emitError("module has no 'kiln.abi' attribute (run the target's lowering "
                       "pipeline first)");
  auto malformed = [&]() { return m.emitError("malformed 'kiln.abi' attribute"); };
  ModelABI abi;
  auto entry = abiAttr.getAs<StringAttr>("entry");
  if (!entry)
    return malformed();
  abi.entry = entry.str();
  auto read = [&](StringRef key, SmallVectorImpl<ABITensor> &out) -> LogicalResult {
    auto arr = abiAttr.getAs<ArrayAttr>(key);
    if (!arr)
      return failure();
    for (Attribute a : arr) {
      auto d = dyn_cast<DictionaryAttr>(a);
      auto name = d ? d.getAs<StringAttr>("name") : StringAttr();
      auto dtype = d ? d.getAs<IntegerAttr>("dtype") : IntegerAttr();
      auto dims = d ? d.getAs<DenseI64ArrayAttr>("dims") : DenseI64ArrayAttr();
      if (!name || !dtype || !dims)
        return failure();
      ABITensor t;
      t.name = name.str();
      t.dtype = dtype.getInt();
      t.dims.assign(dims.asArrayRef().begin(), dims.asArrayRef().end());
      out.push_back(std::move(t));
    }
    return success();
  };
  if (failed(read("inputs", abi.inputs)) || failed(read("outputs", abi.outputs)))
    return malformed();
  return abi;
}
