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
// `stop` checks end the run (a bad Reshape/Expand size leaves no safe way
// to go on).  After a run of consecutive stop checks with conditions c1..cn:
//
//     %r = scf.if (c1 && ... && cn) { <rest of the block>; scf.yield %vals }
//          else { scf.yield <placeholders> }
//     <terminator>(%r)
//
// Placeholders: the value itself when defined before the guard, the
// iteration argument in an scf.for body, else an empty tensor (dynamic
// sizes 0), zero or false (which ends an scf.while).  Then, for each region
// op around the block up to the function, the ops after it run under the
// same guard on `kiln_check_ok()` (defined with the recorder: false once a
// check failed in this invoke); an scf.for whose body stops also starts each
// iteration with that guard, and an scf.while's condition is anded with it.
// The guards carry the location fused with the metadata "kiln.stop"
// (kiln::cpu::kStopGuardMeta) so that --profile times the ops inside them.
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
#include "llvm/ADT/SmallPtrSet.h"

namespace kiln::cpu {
#define GEN_PASS_DEF_CPULOWERRUNTIMECHECKS
#include "Passes.h.inc"
} // namespace kiln::cpu

using namespace mlir;

namespace {

struct LowerRuntimeChecksPass
    : kiln::cpu::impl::CPULowerRuntimeChecksBase<LowerRuntimeChecksPass> {
  func::FuncOp okFn;
  llvm::SmallPtrSet<Operation *, 8> guards;     // guard scf.ifs made here
  llvm::SmallPtrSet<Operation *, 8> propagated; // region ops already followed by a guard

  /// A placeholder of type `t` for the else branch of a guard.
  FailureOr<Value> placeholder(OpBuilder &b, Location loc, Type t) {
    if (auto rt = dyn_cast<RankedTensorType>(t)) {
      SmallVector<Value> dyn;
      if (rt.getNumDynamicDims() > 0)
        dyn.assign(rt.getNumDynamicDims(), arith::ConstantIndexOp::create(b, loc, 0));
      return (Value)tensor::EmptyOp::create(b, loc, rt, dyn);
    }
    if (isa<IntegerType, IndexType, FloatType>(t))
      return (Value)arith::ConstantOp::create(b, loc, t, b.getZeroAttr(t));
    return failure();
  }

  Location guardLoc(Location loc) {
    return FusedLoc::get(&getContext(), {loc},
                         StringAttr::get(&getContext(), kiln::cpu::kStopGuardMeta));
  }

  /// Moves the ops after `after` (up to the terminator) into a guard on
  /// `ok`, then stops every enclosing region op the same way.
  LogicalResult stopAfter(Operation *after, Value ok) {
    Block *blk = after->getBlock();
    Operation *term = blk->getTerminator();
    Location loc = guardLoc(after->getLoc());
    if (after->getNextNode() != term) {
      OpBuilder b(after->getContext());
      b.setInsertionPointAfter(after);
      auto ifOp = scf::IfOp::create(b, loc, term->getOperandTypes(), ok, /*withElseRegion=*/true);
      guards.insert(ifOp);
      Block *then = ifOp.thenBlock();
      then->getOperations().splice(then->end(), blk->getOperations(),
                                   std::next(Block::iterator(ifOp)), Block::iterator(term));
      b.setInsertionPointToEnd(then);
      scf::YieldOp::create(b, loc, term->getOperands());
      b.setInsertionPointToEnd(ifOp.elseBlock());
      auto forOp = dyn_cast<scf::ForOp>(blk->getParentOp());
      SmallVector<Value> other;
      for (auto [i, v] : llvm::enumerate(term->getOperands())) {
        if (!ifOp.getThenRegion().isAncestor(v.getParentRegion())) {
          other.push_back(v);
          continue;
        }
        if (forOp && isa<scf::YieldOp>(term)) {
          other.push_back(forOp.getRegionIterArgs()[i]);
          continue;
        }
        FailureOr<Value> p = placeholder(b, loc, v.getType());
        if (failed(p))
          return term->emitError() << "cannot end the run after a failed check inside a region that yields "
                                   << v.getType();
        other.push_back(*p);
      }
      scf::YieldOp::create(b, loc, other);
      for (unsigned i = 0; i < term->getNumOperands(); ++i)
        term->setOperand(i, ifOp.getResult(i));
    }
    Operation *parent = blk->getParentOp();
    if (isa<func::FuncOp>(parent) || guards.contains(parent) || !propagated.insert(parent).second)
      return success();
    OpBuilder b(parent->getContext());
    // Later iterations of a loop do not run either.
    if (auto forOp = dyn_cast<scf::ForOp>(parent)) {
      b.setInsertionPointToStart(forOp.getBody());
      auto call = func::CallOp::create(b, forOp.getLoc(), okFn, ValueRange{});
      if (failed(stopAfter(call, call.getResult(0))))
        return failure();
    } else if (auto whileOp = dyn_cast<scf::WhileOp>(parent)) {
      scf::ConditionOp cond = whileOp.getConditionOp();
      b.setInsertionPoint(cond);
      auto call = func::CallOp::create(b, whileOp.getLoc(), okFn, ValueRange{});
      Value c = arith::AndIOp::create(b, whileOp.getLoc(), cond.getCondition(), call.getResult(0));
      cond->setOperand(0, c);
    }
    b.setInsertionPointAfter(parent);
    auto call = func::CallOp::create(b, parent->getLoc(), okFn, ValueRange{});
    return stopAfter(call, call.getResult(0));
  }

  void runOnOperation() override {
    ModuleOp m = getOperation();
    SmallVector<kiln::nn::CheckOp> checks;
    m.walk([&](kiln::nn::CheckOp c) { checks.push_back(c); });
    if (checks.empty())
      return;
    OpBuilder b(m.getContext());
    Type i32 = b.getI32Type(), i64 = b.getI64Type();
    auto declare = [&](StringRef name, FunctionType type) -> func::FuncOp {
      auto fn = m.lookupSymbol<func::FuncOp>(name);
      if (!fn) {
        b.setInsertionPointToStart(m.getBody());
        fn = func::FuncOp::create(b, m.getLoc(), name, type);
        fn.setPrivate();
      } else if (fn.getFunctionType() != type || !fn.isDeclaration()) {
        fn.emitError() << "'" << name << "' is reserved for the run-time check recorder";
        return nullptr;
      }
      return fn;
    };
    func::FuncOp fn = declare(kiln::cpu::kCheckFailedSymbol, b.getFunctionType({i32, i64, i64, i64}, {}));
    if (!fn)
      return signalPassFailure();
    if (llvm::any_of(checks, [](kiln::nn::CheckOp c) { return c.getStop(); })) {
      okFn = declare(kiln::cpu::kCheckOkSymbol, b.getFunctionType({}, {b.getI1Type()}));
      if (!okFn)
        return signalPassFailure();
    }
    // A stop check continues the group of the one before when it directly
    // follows it.
    SmallVector<bool> groupGoesOn;
    for (kiln::nn::CheckOp c : checks) {
      auto next = dyn_cast_or_null<kiln::nn::CheckOp>(c->getNextNode());
      groupGoesOn.push_back(c.getStop() && next && next.getStop());
    }
    SmallVector<Attribute> messages;
    if (auto old = m->getAttrOfType<ArrayAttr>(kiln::cpu::kChecksAttr))
      messages.append(old.begin(), old.end());
    Value groupOk;
    for (auto [c, goesOn] : llvm::zip(checks, groupGoesOn)) {
      int32_t id = messages.size() + 1;
      messages.push_back(c.getMessageAttr());
      b.setInsertionPoint(c);
      Location loc = c.getLoc();
      bool stop = c.getStop();
      if (stop) // the group's conditions, anded before its checks
        groupOk = groupOk ? (Value)arith::AndIOp::create(b, loc, groupOk, c.getCondition()) : c.getCondition();
      Value notOk = arith::XOrIOp::create(b, loc, c.getCondition(),
                                          arith::ConstantIntOp::create(b, loc, b.getI1Type(), 1));
      auto ifOp = scf::IfOp::create(b, loc, notOk, /*withElseRegion=*/false);
      {
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPointToStart(ifOp.thenBlock());
        SmallVector<Value> args{arith::ConstantIntOp::create(b, loc, i32, id)};
        args.append(c.getValues().begin(), c.getValues().end());
        if (args.size() < 4)
          args.resize(4, arith::ConstantIntOp::create(b, loc, i64, 0));
        func::CallOp::create(b, loc, fn, args);
      }
      c.erase();
      if (stop && !goesOn) {
        if (failed(stopAfter(ifOp, groupOk)))
          return signalPassFailure();
        groupOk = Value();
      }
    }
    m->setAttr(kiln::cpu::kChecksAttr, b.getArrayAttr(messages));
  }
};

} // namespace
