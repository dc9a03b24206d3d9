//===- ONNXShapeInference.cpp - re-run onnx shape inference ---------------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//

#include "kiln/Conversion/Passes.h"

namespace kiln {
#define GEN_PASS_DEF_ONNXSHAPEINFERENCE
#include "kiln/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;
namespace ox = kiln::onnx;

namespace {

struct ONNXShapeInferencePass : kiln::impl::ONNXShapeInferenceBase<ONNXShapeInferencePass> {
  void runOnOperation() override {
    func::FuncOp f = getOperation();
    bool failedAny = false;
    f.walk([&](Operation *op) {
      if (isa<ox::ONNXDialect>(op->getDialect()) && failed(ox::inferShapes(op)))
        failedAny = true;
    });
    if (failedAny)
      return signalPassFailure();
    if (auto ret = dyn_cast<func::ReturnOp>(f.getBody().back().getTerminator()))
      f.setType(FunctionType::get(&getContext(), f.getArgumentTypes(), ret.getOperandTypes()));
  }
};

} // namespace
