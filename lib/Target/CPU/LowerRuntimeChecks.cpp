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
// runtime/include/kiln/abi.h).  Runs on the tensor-level module, after
// elementwise fusion (which does not reach across the guards below); the
// checks run outside any linalg op, on the thread that called invoke.
//
// `stop` checks end the run (a bad Reshape/Expand size leaves no safe way
// to go on).  A run of consecutive stop checks with conditions c1..cn cuts
// its block: the ops after it, up to the next cut, run as
//
//     %r:k = scf.if (c1 && ... && cn) { <segment>; scf.yield %escaping }
//            else { scf.yield <placeholders> }
//
// where %escaping are the segment's values used after it (among them the
// next cut's condition, whose placeholder is false, so one failed segment
// skips all that follow).  Segments are siblings, not nested: a model with
// hundreds of Reshapes keeps its function flat for bufferization.
// Placeholders: the iteration argument for a value an scf.for body yields,
// else an empty tensor (dynamic sizes 0), zero or false (which ends an
// scf.while).  Each region op around a cut, up to the function, is followed
// by a cut on `kiln_check_ok()` (defined with the recorder: false once a
// check failed in this invoke); an scf.for whose body stops also starts each
// iteration with such a cut, and an scf.while's condition is anded with it.
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
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace kiln::cpu {
#define GEN_PASS_DEF_CPULOWERRUNTIMECHECKS
#include "Passes.h.inc"
} // namespace kiln::cpu

using namespace mlir;

namespace {

struct LowerRuntimeChecksPass
    : kiln::cpu::impl::CPULowerRuntimeChecksBase<LowerRuntimeChecksPass> {
  /// A point after which the rest of its block runs only if `ok` holds.
  struct Cut {
    Operation *at;
    Value ok;
  };
  func::FuncOp okFn;
  llvm::MapVector<Block *, SmallVector<Cut>> cuts;
  llvm::SmallPtrSet<Operation *, 8> propagated; // region ops already followed by a cut

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

  /// Records that the ops after `after` run only if `ok`, and that the ops
  /// after every enclosing region op do so only if no check failed.
  void stopAfter(Operation *after, Value ok) {
    cuts[after->getBlock()].push_back({after, ok});
    Operation *parent = after->getBlock()->getParentOp();
    if (isa<func::FuncOp>(parent) || !propagated.insert(parent).second)
      return;
    OpBuilder b(parent->getContext());
    // Later iterations of a loop do not run either.
    if (auto forOp = dyn_cast<scf::ForOp>(parent)) {
      b.setInsertionPointToStart(forOp.getBody());
      auto call = func::CallOp::create(b, forOp.getLoc(), okFn, ValueRange{});
      cuts[forOp.getBody()].push_back({call, call.getResult(0)});
    } else if (auto whileOp = dyn_cast<scf::WhileOp>(parent)) {
      scf::ConditionOp cond = whileOp.getConditionOp();
      b.setInsertionPoint(cond);
      auto call = func::CallOp::create(b, whileOp.getLoc(), okFn, ValueRange{});
      Value c = arith::AndIOp::create(b, whileOp.getLoc(), cond.getCondition(), call.getResult(0));
      cond->setOperand(0, c);
    }
    b.setInsertionPointAfter(parent);
    auto call = func::CallOp::create(b, parent->getLoc(), okFn, ValueRange{});
    stopAfter(call, call.getResult(0));
  }

  /// Puts the ops of `blk` from after `cut.at` up to and including `last`
  /// (the terminator's predecessor for the last segment) into an scf.if on
  /// `cut.ok` that yields the values used after them, or placeholders.
  LogicalResult guardSegment(Block *blk, Cut cut, Operation *last) {
    if (cut.at == last)
      return success();
    Operation *term = blk->getTerminator();
    llvm::SmallPtrSet<Operation *, 32> inside;
    for (Operation *op = cut.at->getNextNode();; op = op->getNextNode()) {
      inside.insert(op);
      if (op == last)
        break;
    }
    // The values used after the segment.  A view (slice, reshape, cast) of
    // a tensor is not yielded itself: its source and its size operands are,
    // and the view is made again after the guard.  A yielded view would be
    // a buffer of another layout than the other branch's placeholder, and
    // the guard's result a memref with dynamic strides for every kernel
    // after it (BERT-base ran 1.6 times slower).  Not for values the
    // terminator uses: on a failed check they must be the placeholders.
    llvm::SetVector<Value> escaping;
    SmallVector<std::pair<Value, SmallVector<Operation *>>> views; // value, its view ops (outermost first)
    for (Operation *op = cut.at->getNextNode();; op = op->getNextNode()) {
      for (Value r : op->getResults()) {
        bool toTerm = false, used = false;
        for (Operation *u : r.getUsers()) {
          Operation *top = blk->findAncestorOpInBlock(*u);
          used |= !inside.contains(top);
          toTerm |= top == term;
        }
        if (!used)
          continue;
        SmallVector<Operation *> chain;
        Value src = r;
        for (Operation *def = src.getDefiningOp();
             !toTerm && def && inside.contains(def) &&
             isa<tensor::ExtractSliceOp, tensor::ExpandShapeOp, tensor::CollapseShapeOp, tensor::CastOp>(def);
             def = src.getDefiningOp()) {
          chain.push_back(def);
          src = def->getOperand(0);
        }
        if (chain.empty()) {
          escaping.insert(r);
          continue;
        }
        auto definedInside = [&](Value v) { return v.getDefiningOp() && inside.contains(v.getDefiningOp()); };
        if (definedInside(src))
          escaping.insert(src);
        for (Operation *view : chain)
          for (Value operand : view->getOperands().drop_front())
            if (definedInside(operand))
              escaping.insert(operand);
        views.push_back({r, std::move(chain)});
      }
      if (op == last)
        break;
    }
    Location loc = guardLoc(cut.at->getLoc());
    OpBuilder b(cut.at->getContext());
    b.setInsertionPointAfter(cut.at);
    auto ifOp = scf::IfOp::create(b, loc, ValueRange(escaping.getArrayRef()).getTypes(), cut.ok, /*withElseRegion=*/true);
    Block *then = ifOp.thenBlock();
    for (Block *br : {then, ifOp.elseBlock()}) // the builder's empty yields, if any
      if (!br->empty())
        br->back().erase();
    then->getOperations().splice(then->end(), blk->getOperations(), std::next(Block::iterator(ifOp)),
                                 std::next(Block::iterator(last)));
    b.setInsertionPointToEnd(then);
    scf::YieldOp::create(b, loc, escaping.getArrayRef());
    b.setInsertionPointToEnd(ifOp.elseBlock());
    // In an scf.for body, the iteration arguments go on unchanged.
    auto forOp = dyn_cast<scf::ForOp>(blk->getParentOp());
    SmallVector<Value> other;
    for (Value v : escaping) {
      Value p;
      if (forOp && isa<scf::YieldOp>(term))
        for (OpOperand &u : v.getUses())
          if (u.getOwner() == term && forOp.getRegionIterArgs()[u.getOperandNumber()].getType() == v.getType())
            p = forOp.getRegionIterArgs()[u.getOperandNumber()];
      if (!p) {
        FailureOr<Value> ph = placeholder(b, loc, v.getType());
        if (failed(ph))
          return v.getDefiningOp()->emitError()
                 << "cannot end the run after a failed check: no placeholder for a value of type " << v.getType();
        p = *ph;
      }
      other.push_back(p);
    }
    scf::YieldOp::create(b, loc, other);
    for (auto [e, r] : llvm::zip(escaping, ifOp.getResults())) {
      Value v = e;
      v.replaceUsesWithIf(r, [&](OpOperand &u) { return !ifOp->isAncestor(u.getOwner()); });
    }
    // The views again, each once (chains may share their inner views).
    b.setInsertionPointAfter(ifOp);
    IRMapping map;
    for (auto [e, r] : llvm::zip(escaping, ifOp.getResults()))
      map.map(e, r);
    for (auto &[v, chain] : views) {
      for (Operation *view : llvm::reverse(chain))
        if (!map.contains(view->getResult(0)))
          b.clone(*view, map);
      v.replaceUsesWithIf(map.lookup(v), [&](OpOperand &u) { return !ifOp->isAncestor(u.getOwner()); });
    }
    return success();
  }

  /// Guards the segments between the cuts of `blk` one after the other (no
  /// nesting: a failed segment yields a false condition for the next one).
  LogicalResult guardBlock(Block *blk, SmallVector<Cut> &cs) {
    llvm::sort(cs, [](const Cut &a, const Cut &b) { return a.at->isBeforeInBlock(b.at); });
    Operation *last = blk->getTerminator()->getPrevNode();
    for (int i = (int)cs.size() - 1; i >= 0; --i) {
      if (failed(guardSegment(blk, cs[i], last)))
        return failure();
      last = cs[i].at;
    }
    return success();
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
        stopAfter(ifOp, groupOk);
        groupOk = Value();
      }
    }
    for (auto &[blk, cs] : cuts)
      if (failed(guardBlock(blk, cs)))
        return signalPassFailure();
    m->setAttr(kiln::cpu::kChecksAttr, b.getArrayAttr(messages));
  }
};

} // namespace
