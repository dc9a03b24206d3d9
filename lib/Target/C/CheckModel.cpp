//===- CheckModel.cpp - what the C target refuses, with the node's name ---===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// kiln-c-check-model (Passes.td): static shapes everywhere, element types
// with C99 arithmetic, no run-time checks.  Each refusal names the graph
// input/output or the ONNX node, and says what would make the model compile.
//
//===----------------------------------------------------------------------===//

#include "CPasses.h"

#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Support/NodeLocation.h"
#include "kiln/Target/Common/ModelABI.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringExtras.h"

namespace kiln::c {
#define GEN_PASS_DEF_CCHECKMODEL
#include "CPasses.h.inc"
} // namespace kiln::c

using namespace mlir;

std::string kiln::c::describeNode(Operation *op) {
  auto module = op->getParentOfType<ModuleOp>();
  DictionaryAttr table =
      module ? module->getAttrOfType<DictionaryAttr>(kiln::kNodeTypesAttr) : DictionaryAttr();
  StringRef node = kiln::onnxNodeName(op->getLoc(), table);
  if (node.empty())
    return "an operation ('" + op->getName().getStringRef().str() + "')";
  std::string s = "node '" + node.str() + "'";
  if (table)
    if (auto type = table.getAs<StringAttr>(node))
      s += " (" + type.getValue().str() + ")";
  return s;
}

namespace {
std::string typeString(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return s;
}

/// Why C99 cannot compute on `t`, or "".
std::string unsupportedElement(Type t) {
  if (isa<Float16Type, BFloat16Type>(t) || (isa<FloatType>(t) && t.getIntOrFloatBitWidth() < 16))
    return "element type " + typeString(t) + " has no arithmetic in C99";
  if (isa<FloatType>(t) && t.getIntOrFloatBitWidth() > 64)
    return "element type " + typeString(t) + " is not supported";
  if (isa<ComplexType>(t))
    return "complex numbers are not supported";
  if (auto i = dyn_cast<IntegerType>(t); i && !llvm::is_contained({1u, 8u, 16u, 32u, 64u}, i.getWidth()))
    return "element type " + typeString(t) + " is not supported";
  return "";
}

std::string shapeString(ArrayRef<int64_t> dims, bool withQuestion = true) {
  SmallVector<std::string> parts;
  for (int64_t d : dims)
    parts.push_back(ShapedType::isDynamic(d) ? (withQuestion ? "?" : "1") : std::to_string(d));
  return llvm::join(parts, ",");
}

struct CheckModelPass : kiln::c::impl::CCheckModelBase<CheckModelPass> {
  void runOnOperation() override {
    ModuleOp m = getOperation();
    FailureOr<func::FuncOp> entry = kiln::findEntryFunction(m);
    if (failed(entry))
      return signalPassFailure();
    FailureOr<kiln::ModelABI> abi = kiln::ModelABI::fromEntry(*entry);
    if (failed(abi))
      return signalPassFailure();
    bool ok = true;
    auto checkTensor = [&](const kiln::ABITensor &t, Type type, StringRef what) {
      if (!t.hasStaticShape()) {
        SmallVector<int64_t> dims(t.dims.begin(), t.dims.end());
        for (int64_t &d : dims)
          if (d < 0)
            d = ShapedType::kDynamic;
        auto diag = (*entry)->emitError() << what << " '" << t.name << "' has a dynamic shape ["
                                          << shapeString(dims)
                                          << "]: the C target needs static shapes (";
        if (what == "input")
          diag << "fix them with --input-shape, e.g. --input-shape " << t.name << "="
               << shapeString(dims, false) << ")";
        else
          diag << "the output's shape does not follow from the inputs' shapes)";
        ok = false;
        return;
      }
      if (std::string why = unsupportedElement(cast<ShapedType>(type).getElementType()); !why.empty()) {
        (*entry)->emitError() << what << " '" << t.name << "': " << why << " (the C target)";
        ok = false;
      }
    };
    FunctionType ft = entry->getFunctionType();
    for (auto [i, t] : llvm::enumerate(abi->inputs))
      checkTensor(t, ft.getInput(i), "input");
    // (Outputs whose shapes follow from dynamic inputs need no message of
    // their own.)
    if (ok)
      for (auto [i, t] : llvm::enumerate(abi->outputs))
        checkTensor(t, ft.getResult(i), "output");
    if (!ok)
      return signalPassFailure();
    // The graph's own ops: one error per node.
    m.walk([&](Operation *op) {
      if (isa<kiln::nn::CheckOp>(op)) {
        op->emitError() << kiln::c::describeNode(op)
                        << " needs a check while the model runs, which the C target does not "
                           "implement yet (the cpu target does)";
        ok = false;
        return WalkResult::skip();
      }
      for (Type t : op->getResultTypes()) {
        auto st = dyn_cast<ShapedType>(t);
        if (!st)
          continue;
        if (!st.hasStaticShape()) {
          op->emitError() << kiln::c::describeNode(op)
                          << ": its result's shape is only known while the model runs ("
                          << t << "); the C target needs every shape at compile time";
          ok = false;
          return WalkResult::skip();
        }
        if (std::string why = unsupportedElement(st.getElementType()); !why.empty()) {
          op->emitError() << kiln::c::describeNode(op) << ": " << why << " (the C target)";
          ok = false;
          return WalkResult::skip();
        }
      }
      return WalkResult::advance();
    });
    if (!ok)
      signalPassFailure();
  }
};
} // namespace
