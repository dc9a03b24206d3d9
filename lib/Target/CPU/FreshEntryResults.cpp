//===- FreshEntryResults.cpp - caller-owned entry results ------------------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//

#include "CPUPasses.h"

namespace kiln::cpu {
#define GEN_PASS_DEF_CPUFRESHENTRYRESULTS
#include "Passes.h.inc"
} // namespace kiln::cpu

using namespace mlir;

namespace {

/// Makes every memref returned by the entry function a distinct buffer that
/// the caller owns (abi.h: each output is a fresh malloc'ed buffer freed
/// with free()).  Runs after the deallocation pipeline, which already
/// clones results that alias arguments or globals, so every returned buffer
/// is owned by the caller.  What remains: a buffer returned twice (`return
/// %a, %a`) and results that are not visibly an allocation (an scf.for
/// result, a view of one), which may alias another result at run time (a
/// loop that ran zero times yields its init).  Those are copied into a fresh
/// allocation; the original is then freed unless its base buffer is also
/// returned or was already freed for an earlier result, which is decided at
/// run time by comparing base pointers.  (Copying without freeing leaked the
/// original on every run.)
struct FreshEntryResultsPass
    : kiln::cpu::impl::CPUFreshEntryResultsBase<FreshEntryResultsPass> {
  /// The value a view ultimately comes from.
  static Value viewRoot(Value v) {
    while (Operation *def = v.getDefiningOp()) {
      if (auto view = dyn_cast<ViewLikeOpInterface>(def)) {
        v = view.getViewSource();
        continue;
      }
      if (auto cast = dyn_cast<memref::CastOp>(def)) {
        v = cast.getSource();
        continue;
      }
      break;
    }
    return v;
  }
  /// The aligned pointer of the allocation `v` views, as an index.
  static Value basePointer(OpBuilder &b, Location loc, Value v) {
    auto md = memref::ExtractStridedMetadataOp::create(b, loc, v);
    return memref::ExtractAlignedPointerAsIndexOp::create(b, loc, md.getBaseBuffer());
  }
  void runOnOperation() override {
    func::FuncOp f = getOperation();
    if (!f->hasAttr("kiln.entry"))
      return;
    f.walk([&](func::ReturnOp ret) {
      llvm::SmallPtrSet<Value, 8> seenRoots;
      SmallVector<Value> copiedOriginals; // to free, if no other result uses them
      OpBuilder b(ret);
      Location loc = ret.getLoc();
      for (OpOperand &operand : ret->getOpOperands()) {
        auto type = dyn_cast<MemRefType>(operand.get().getType());
        if (!type)
          continue;
        Value root = viewRoot(operand.get());
        bool firstUse = seenRoots.insert(root).second;
        if (firstUse && root.getDefiningOp<memref::AllocOp>())
          continue;
        SmallVector<Value> dynSizes;
        for (int64_t i = 0; i < type.getRank(); ++i)
          if (type.isDynamicDim(i))
            dynSizes.push_back(memref::DimOp::create(b, loc, operand.get(), i));
        auto fresh = memref::AllocOp::create(
            b, loc, MemRefType::get(type.getShape(), type.getElementType()), dynSizes,
            b.getI64IntegerAttr(64));
        memref::CopyOp::create(b, loc, operand.get(), fresh);
        // Never free a caller's input or a constant (the deallocation
        // pipeline should have cloned those already).
        bool notOwned = (isa<BlockArgument>(root) &&
                         cast<BlockArgument>(root).getOwner()->isEntryBlock() &&
                         cast<BlockArgument>(root).getOwner()->getParentOp() == f) ||
                        root.getDefiningOp<memref::GetGlobalOp>();
        if (firstUse && !notOwned)
          copiedOriginals.push_back(operand.get());
        Value repl = fresh;
        if (repl.getType() != type)
          repl = memref::CastOp::create(b, loc, type, fresh);
        operand.set(repl);
      }
      // Free each copied original whose buffer no returned value and no
      // earlier freed original shares.
      SmallVector<Value> returnedPtrs;
      for (Value v : ret->getOperands())
        if (isa<MemRefType>(v.getType()))
          returnedPtrs.push_back(basePointer(b, loc, v));
      SmallVector<Value> freedPtrs;
      for (Value orig : copiedOriginals) {
        Value p = basePointer(b, loc, orig);
        Value distinct = arith::ConstantIntOp::create(b, loc, 1, 1);
        for (Value q : llvm::concat<Value>(returnedPtrs, freedPtrs))
          distinct = arith::AndIOp::create(
              b, loc, distinct,
              arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, p, q));
        auto ifOp = scf::IfOp::create(b, loc, distinct, /*withElseRegion=*/false);
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPointToStart(ifOp.thenBlock());
        memref::DeallocOp::create(b, loc, orig);
        freedPtrs.push_back(p);
      }
    });
  }
};

} // namespace
