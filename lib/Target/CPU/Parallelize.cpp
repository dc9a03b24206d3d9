//===- Parallelize.cpp - the marked tile loops on OpenMP threads ----------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// kiln-cpu-parallelize (Passes.td).  kiln-cpu-tile-and-vectorize marks the
// tile loops of parallel dims `kiln.parallel` when the op does enough work;
// this pass, after kernel outlining, turns the outermost marked band of each
// kernel into one scf.parallel, lowers it with upstream convert-scf-to-openmp
// and sets each omp.parallel's thread count to `kiln_num_threads()`, which
// the artifact writer defines (the count the runtime passes to invoke).
//
//===----------------------------------------------------------------------===//

#include "CPUPasses.h"

#include "mlir/Conversion/SCFToOpenMP/SCFToOpenMP.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/IR/IRMapping.h"
#include "kiln/Transforms/Statistics.h"

namespace kiln::cpu {
#define GEN_PASS_DEF_CPUPARALLELIZE
#include "Passes.h.inc"
} // namespace kiln::cpu

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kParallelAttr = "kiln.parallel";
constexpr llvm::StringLiteral kNumThreadsFn = "kiln_num_threads";

bool isMarked(scf::ForOp f) { return f->hasAttr(kParallelAttr) && f.getInitArgs().empty(); }

/// The marked loop perfectly nested in `f` (its body is that loop and the
/// yield), with bounds defined outside `outer`.
scf::ForOp nestedMarked(scf::ForOp f, scf::ForOp outer) {
  Block *b = f.getBody();
  if (b->getOperations().size() != 2)
    return {};
  auto inner = dyn_cast<scf::ForOp>(&b->front());
  if (!inner || !isMarked(inner))
    return {};
  for (Value v : {inner.getLowerBound(), inner.getUpperBound(), inner.getStep()})
    if (!outer.isDefinedOutsideOfLoop(v))
      return {};
  return inner;
}

struct ParallelizePass : kiln::cpu::impl::CPUParallelizeBase<ParallelizePass> {
  void runOnOperation() override {
    ModuleOp m = getOperation();
    MLIRContext *ctx = &getContext();
    std::atomic<uint64_t> &numLoops = kiln::passStatistic(
        getArgument(), "loops-parallelized", "Tile loop bands run on OpenMP threads");

    // 1. Outermost marked bands -> scf.parallel.
    SmallVector<scf::ForOp> outermost;
    m.walk([&](scf::ForOp f) {
      if (!isMarked(f))
        return;
      for (Operation *p = f->getParentOp(); p; p = p->getParentOp())
        if (isa<scf::ForOp, scf::ParallelOp, scf::ForallOp>(p))
          return; // inside another loop: nested parallelism is not wanted
      outermost.push_back(f);
    });
    unsigned converted = 0;
    for (scf::ForOp f : outermost) {
      SmallVector<scf::ForOp> band{f};
      while (scf::ForOp inner = nestedMarked(band.back(), f))
        band.push_back(inner);
      OpBuilder b(f);
      SmallVector<Value> lbs, ubs, steps;
      for (scf::ForOp l : band) {
        lbs.push_back(l.getLowerBound());
        ubs.push_back(l.getUpperBound());
        steps.push_back(l.getStep());
      }
      auto par = scf::ParallelOp::create(b, f.getLoc(), lbs, ubs, steps);
      Block *body = par.getBody();
      // Move the innermost loop's body (without its yield) into the
      // parallel loop, its induction variables replaced.
      Block *inner = band.back().getBody();
      for (auto [l, iv] : llvm::zip(band, par.getInductionVars()))
        l.getInductionVar().replaceAllUsesWith(iv);
      body->getOperations().splice(body->begin(), inner->getOperations(), inner->begin(),
                                   std::prev(inner->end()));
      f.erase();
      ++converted;
    }
    numLoops += converted;
    // Markers of loops that stayed sequential.
    m.walk([&](scf::ForOp f) { f->removeAttr(kParallelAttr); });
    if (!converted)
      return;

    // 2. scf.parallel -> omp.parallel + omp.wsloop (upstream).
    OpPassManager pm(ModuleOp::getOperationName());
    pm.addPass(createConvertSCFToOpenMPPass());
    if (failed(runPipeline(pm, m)))
      return signalPassFailure();

    // The conversion wraps each iteration in a memref.alloca_scope; its body
    // becomes several blocks once the tile loops in it are lowered to
    // branches, which alloca_scope does not allow.  omp.parallel is an
    // allocation scope itself (per thread), so the scopes are inlined.
    SmallVector<memref::AllocaScopeOp> scopes;
    m.walk([&](memref::AllocaScopeOp s) {
      if (s->getParentOfType<omp::ParallelOp>())
        scopes.push_back(s);
    });
    for (memref::AllocaScopeOp s : scopes) {
      Block *body = &s.getBodyRegion().front();
      auto ret = cast<memref::AllocaScopeReturnOp>(body->getTerminator());
      SmallVector<Value> results(ret.getResults());
      ret.erase();
      s->getBlock()->getOperations().splice(Block::iterator(s), body->getOperations());
      s->replaceAllUsesWith(results);
      s.erase();
    }

    // 3. num_threads = kiln_num_threads().
    auto fnTy = FunctionType::get(ctx, {}, {IntegerType::get(ctx, 32)});
    if (!m.lookupSymbol<func::FuncOp>(kNumThreadsFn)) {
      OpBuilder mb = OpBuilder::atBlockEnd(m.getBody());
      auto decl = func::FuncOp::create(mb, m.getLoc(), kNumThreadsFn, fnTy);
      decl.setPrivate();
    }
    m.walk([&](omp::ParallelOp p) {
      if (p.getNumThreads())
        return;
      OpBuilder b(p);
      Value n = func::CallOp::create(b, p.getLoc(), kNumThreadsFn, TypeRange{b.getI32Type()},
                                     ValueRange{})
                    .getResult(0);
      p.getNumThreadsMutable().assign(n);
    });
  }
};

} // namespace
