//===- DeadCodeElim.cpp - erase unused side-effect-free ops --------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// kiln-nn-dce: erases ops whose results are unused and that have no side
// effects, in every region of the function, until a fixed point (so that a
// dead chain a -> b -> c goes in one run).  Common-subexpression
// elimination is upstream's `cse` pass.
//
//===----------------------------------------------------------------------===//

#include "kiln/Transforms/Passes.h"
#include "kiln/Transforms/Statistics.h"

#include "mlir/Transforms/RegionUtils.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace kiln {
#define GEN_PASS_DEF_NNDEADCODEELIM
#include "kiln/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

struct NNDeadCodeElimPass : kiln::impl::NNDeadCodeElimBase<NNDeadCodeElimPass> {
  void runOnOperation() override {
    auto &numErased = passStatistic(getArgument(), "erased", "Dead side-effect-free ops erased");
    func::FuncOp f = getOperation();
    // Worklist seeded with every op in post-order; erasing an op pushes the
    // defining ops of its operands (they may have just lost their last use).
    SmallVector<Operation *> worklist;
    llvm::SmallPtrSet<Operation *, 32> queued;
    f.walk([&](Operation *op) {
      if (op != f.getOperation() && queued.insert(op).second)
        worklist.push_back(op);
    });
    uint64_t erased = 0;
    // Process from the end so that users are usually visited before their
    // producers (the walk is post-order: nested ops before their parent).
    while (!worklist.empty()) {
      Operation *op = worklist.pop_back_val();
      queued.erase(op);
      if (!isOpTriviallyDead(op))
        continue;
      SmallVector<Operation *> producers;
      op->walk([&](Operation *nested) {
        for (Value v : nested->getOperands())
          if (Operation *d = v.getDefiningOp(); d && !op->isAncestor(d))
            producers.push_back(d);
        // Ops nested in `op` go with it: drop them from the worklist.
        if (nested != op && queued.erase(nested))
          llvm::erase(worklist, nested);
      });
      op->erase();
      ++erased;
      for (Operation *d : producers)
        if (queued.insert(d).second)
          worklist.push_back(d);
    }
    numErased += erased;
  }
};

} // namespace
