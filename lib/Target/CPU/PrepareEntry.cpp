//===- PrepareEntry.cpp - record the entry's ABI, request its C interface -===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// kiln-cpu-prepare-entry: runs on the tensor-level module, before types are
// lowered, so that the ABI (kiln.abi) keeps the ONNX names, dtypes and
// dynamic dims that bufferization and the LLVM conversion erase.
//
//===----------------------------------------------------------------------===//

#include "CPUPasses.h"
#include "kiln/Target/Common/ModelABI.h"

#include "mlir/IR/Builders.h"

namespace kiln::cpu {
#define GEN_PASS_DEF_CPUPREPAREENTRY
#include "Passes.h.inc"
} // namespace kiln::cpu

using namespace mlir;

namespace {
struct PrepareEntryPass : kiln::cpu::impl::CPUPrepareEntryBase<PrepareEntryPass> {
  void runOnOperation() override {
    ModuleOp m = getOperation();
    FailureOr<func::FuncOp> entry = kiln::findEntryFunction(m);
    if (failed(entry))
      return signalPassFailure();
    for (auto f : m.getOps<func::FuncOp>())
      if (f != *entry && !f.isDeclaration())
        f.setPrivate();
    FailureOr<kiln::ModelABI> abi = kiln::ModelABI::fromEntry(*entry);
    if (failed(abi))
      return signalPassFailure();
    m->setAttr(kiln::kABIAttrName, abi->toAttr(m.getContext()));
    (*entry)->setAttr("llvm.emit_c_interface", UnitAttr::get(m.getContext()));
  }
};
} // namespace
