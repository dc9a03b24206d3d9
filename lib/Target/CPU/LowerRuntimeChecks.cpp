//===- LowerRuntimeChecks.cpp - nn.check -> a call of the error recorder ---===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// kiln-cpu-lower-runtime-checks: numbers the module's nn.check ops (1, 2,
// ... in walk order), records their messages as the module attribute
// `kiln.checks` (an array of strings, check i + 1 at index i) and replaces
// each with
//
//     scf.if %not_ok { func.call @kiln_check_failed(%id, %v0, %v1, %v2) }
//
// (missing values are 0).  `kiln_check_failed` is declared here and defined
// by the artifact writer (RuntimeCheckABI.cpp): it keeps the first failure
// of the current invoke in the caller's kiln_abi_error record (ABI v2,
// runtime/include/kiln/abi.h).  Runs on the tensor-level module, first in
// the CPU pipeline; the checks run outside any linalg op, on the thread
// that called invoke.
//
//===----------------------------------------------------------------------===//

#include "CPUPasses.h"
#include "RuntimeCheckABI.h"

#include "kiln/Dialect/NN/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace kiln::cpu {
#define GEN_PASS_DEF_CPULOWERRUNTIMECHECKS
#include "Passes.h.inc"
} // namespace kiln::cpu

using namespace mlir;

namespace {

struct LowerRuntimeChecksPass
    : kiln::cpu::impl::CPULowerRuntimeChecksBase<LowerRuntimeChecksPass> {
  void runOnOperation() override {
    ModuleOp m = getOperation();
    SmallVector<kiln::nn::CheckOp> checks;
    m.walk([&](kiln::nn::CheckOp c) { checks.push_back(c); });
    if (checks.empty())
      return;
    OpBuilder b(m.getContext());
    Type i32 = b.getI32Type(), i64 = b.getI64Type();
    auto fnType = b.getFunctionType({i32, i64, i64, i64}, {});
    auto fn = m.lookupSymbol<func::FuncOp>(kiln::cpu::kCheckFailedSymbol);
    if (!fn) {
      b.setInsertionPointToStart(m.getBody());
      fn = func::FuncOp::create(b, m.getLoc(), kiln::cpu::kCheckFailedSymbol, fnType);
      fn.setPrivate();
    } else if (fn.getFunctionType() != fnType || !fn.isDeclaration()) {
      fn.emitError() << "'" << kiln::cpu::kCheckFailedSymbol
                     << "' is reserved for the run-time check recorder";
      return signalPassFailure();
    }
    SmallVector<Attribute> messages;
    if (auto old = m->getAttrOfType<ArrayAttr>(kiln::cpu::kChecksAttr))
      messages.append(old.begin(), old.end());
    for (kiln::nn::CheckOp c : checks) {
      int32_t id = messages.size() + 1;
      messages.push_back(c.getMessageAttr());
      b.setInsertionPoint(c);
      Location loc = c.getLoc();
      Value notOk = arith::XOrIOp::create(b, loc, c.getCondition(),
                                          arith::ConstantIntOp::create(b, loc, b.getI1Type(), 1));
      auto ifOp = scf::IfOp::create(b, loc, notOk, /*withElseRegion=*/false);
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(ifOp.thenBlock());
      SmallVector<Value> args{arith::ConstantIntOp::create(b, loc, i32, id)};
      args.append(c.getValues().begin(), c.getValues().end());
      if (args.size() < 4)
        args.resize(4, arith::ConstantIntOp::create(b, loc, i64, 0));
      func::CallOp::create(b, loc, fn, args);
      c.erase();
    }
    m->setAttr(kiln::cpu::kChecksAttr, b.getArrayAttr(messages));
  }
};

} // namespace
