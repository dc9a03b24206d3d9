//===- Parallelize.cpp - the marked tile loops on OpenMP threads ----------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// kiln-cpu-parallelize (Passes.td).  kiln-cpu-tile-and-vectorize marks the
// tile loops of parallel dims `kiln.parallel` when the op does enough work;
// this pass, after kernel outlining, turns the outermost marked band of each
// kernel into an omp.parallel region that splits the band's collapsed
// iterations into one contiguous chunk per thread, with `kiln_num_threads()`
// threads, which the artifact writer defines (the count the runtime passes to
// invoke).
//
// kiln-cpu-estimate-work (also here: it feeds the same decision) records a
// run's work per batch item for the artifact writer's one-thread rule.
//
//===----------------------------------------------------------------------===//

#include "CPUPasses.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "kiln/Transforms/Statistics.h"
#include "mlir/Dialect/Bufferization/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"

namespace kiln::cpu {
#define GEN_PASS_DEF_CPUPARALLELIZE
#define GEN_PASS_DEF_CPUESTIMATEWORK
#define GEN_PASS_DEF_CPUFORALLTOFOR
#define GEN_PASS_DEF_CPUFORALLINPLACE
#include "Passes.h.inc"
} // namespace kiln::cpu

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kNumThreadsFn = "kiln_num_threads";

bool isMarked(scf::ForOp f) { return f->hasAttr(kiln::cpu::kParallelAttr) && f.getInitArgs().empty(); }

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
    std::atomic<uint64_t> &numScratch = kiln::passStatistic(
        getArgument(), "scratch-per-thread", "Buffers of a parallel loop's iterations allocated once per thread");

    // Outermost marked bands.
    SmallVector<scf::ForOp> outermost;
    m.walk([&](scf::ForOp f) {
      if (!isMarked(f))
        return;
      for (Operation *p = f->getParentOp(); p; p = p->getParentOp()) {
        // A sequential batch loop may hold bands of its own.
        if (isa<scf::ForOp>(p) && p->hasAttr(kiln::cpu::kBatchLoopAttr) && !p->hasAttr(kiln::cpu::kParallelAttr))
          continue;
        if (isa<scf::ForOp, scf::ParallelOp, scf::ForallOp, omp::ParallelOp>(p))
          return; // inside another loop: nested parallelism is not wanted
      }
      outermost.push_back(f);
    });
    // Markers of loops that stay sequential.
    auto dropMarkers = [&] {
      m.walk([&](scf::ForOp f) {
        f->removeAttr(kiln::cpu::kParallelAttr);
        f->removeAttr(kiln::cpu::kBatchLoopAttr);
        f->removeAttr(kiln::cpu::kParallelMinTripsAttr);
      });
    };
    if (outermost.empty())
      return dropMarkers();

    Type i32 = IntegerType::get(ctx, 32);
    auto declare = [&](StringRef name) {
      if (!m.lookupSymbol<func::FuncOp>(name)) {
        OpBuilder mb = OpBuilder::atBlockEnd(m.getBody());
        func::FuncOp::create(mb, m.getLoc(), name, FunctionType::get(ctx, {}, {i32}))
            .setPrivate();
      }
    };
    declare(kNumThreadsFn);
    declare("omp_get_thread_num");
    declare("omp_get_num_threads");

    // Each band becomes
    //   omp.parallel num_threads(kiln_num_threads()) {
    //     t = omp_get_thread_num(), n = omp_get_num_threads()
    //     for i in [t * c, min((t + 1) * c, total)), c = ceil(total / n):
    //       (iv_0, ..., iv_k) = lb + step * delinearize(i, trip counts)
    //       body
    //   }
    // a static schedule computed in the region itself: libomp's
    // __kmpc_for_static_init, which omp.wsloop lowers to, allocates on
    // every call (a run would not be allocation-free), and there is no
    // barrier but the region's end.
    for (scf::ForOp f : outermost) {
      SmallVector<scf::ForOp> band{f};
      while (scf::ForOp inner = nestedMarked(band.back(), f))
        band.push_back(inner);
      Location loc = f.getLoc();
      OpBuilder b(f);
      auto cst = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v).getResult(); };
      SmallVector<Value> trips;
      Value total = cst(1);
      for (scf::ForOp l : band) {
        Value span = arith::SubIOp::create(b, loc, l.getUpperBound(), l.getLowerBound());
        Value trip = arith::CeilDivUIOp::create(b, loc, span, l.getStep());
        // ub < lb: no iteration (ceildivui of the wrapped difference would be huge).
        trip = arith::SelectOp::create(
            b, loc,
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle, l.getUpperBound(),
                                  l.getLowerBound()),
            cst(0), trip);
        trips.push_back(trip);
        total = arith::MulIOp::create(b, loc, total, trip);
      }
      Value n = func::CallOp::create(b, loc, kNumThreadsFn, TypeRange{i32}, ValueRange{})
                    .getResult(0);
      // Threads only for enough run-time iterations (kParallelMinTripsAttr:
      // the product of the trip counts of the band's loops whose bounds
      // are not constants).
      if (auto minTrips = f->getAttrOfType<IntegerAttr>(kiln::cpu::kParallelMinTripsAttr)) {
        Value dyn = cst(1);
        for (auto [l, trip] : llvm::zip(band, trips))
          if (!getConstantIntValue(l.getLowerBound()) || !getConstantIntValue(l.getUpperBound()) ||
              !getConstantIntValue(l.getStep()))
            dyn = arith::MulIOp::create(b, loc, dyn, trip);
        Value enough = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, dyn, cst(minTrips.getInt()));
        n = arith::SelectOp::create(b, loc, enough, n, arith::ConstantIntOp::create(b, loc, i32, 1));
      }
      auto par = omp::ParallelOp::create(b, loc);
      par.getNumThreadsMutable().assign(n);
      Block *pb = b.createBlock(&par.getRegion());
      b.setInsertionPointToStart(pb);
      auto idx = [&](Value v) {
        return arith::IndexCastUIOp::create(b, loc, b.getIndexType(), v).getResult();
      };
      Value tid = idx(func::CallOp::create(b, loc, "omp_get_thread_num", TypeRange{i32},
                                           ValueRange{})
                          .getResult(0));
      Value nt = idx(func::CallOp::create(b, loc, "omp_get_num_threads", TypeRange{i32},
                                          ValueRange{})
                         .getResult(0));
      Value chunk = arith::CeilDivUIOp::create(b, loc, total, nt);
      Value begin = arith::MinUIOp::create(b, loc, arith::MulIOp::create(b, loc, tid, chunk), total);
      Value end = arith::MinUIOp::create(b, loc, arith::AddIOp::create(b, loc, begin, chunk), total);
      auto loop = scf::ForOp::create(b, loc, begin, end, cst(1));
      omp::TerminatorOp::create(b, loc);
      b.setInsertionPointToStart(loop.getBody());
      // Delinearize (row-major over the band) and map to induction values.
      Value rest = loop.getInductionVar();
      SmallVector<Value> ivs(band.size());
      for (int k = band.size() - 1; k >= 0; --k) {
        Value i = k == 0 ? rest : arith::RemUIOp::create(b, loc, rest, trips[k]).getResult();
        if (k > 0)
          rest = arith::DivUIOp::create(b, loc, rest, trips[k]);
        ivs[k] = arith::AddIOp::create(b, loc, band[k].getLowerBound(),
                                       arith::MulIOp::create(b, loc, i, band[k].getStep()));
      }
      Block *inner = band.back().getBody();
      for (auto [l, iv] : llvm::zip(band, ivs))
        l.getInductionVar().replaceAllUsesWith(iv);
      Block *body = loop.getBody();
      body->getOperations().splice(std::prev(body->end()), inner->getOperations(),
                                   inner->begin(), std::prev(inner->end()));
      f.erase();
      // Scratch buffers of an iteration (an alloc freed in its own block,
      // static or sized outside the region): once per thread, around its
      // chunk, instead of a malloc and free per iteration (nn.attention's
      // score and row blocks).
      SmallVector<std::pair<memref::AllocOp, memref::DeallocOp>> scratch;
      loop.getBody()->walk([&](memref::AllocOp a) {
        memref::DeallocOp d;
        for (Operation *u : a->getUsers())
          if (auto dd = dyn_cast<memref::DeallocOp>(u)) {
            if (d || dd->getBlock() != a->getBlock())
              return;
            d = dd;
          } else if (u->hasTrait<OpTrait::IsTerminator>()) {
            return; // yielded: lives on after the iteration
          }
        auto outside = [&](Value v) { return !loop->isAncestor(v.getParentBlock()->getParentOp()); };
        if (!d || !llvm::all_of(a->getOperands(), outside))
          return;
        scratch.emplace_back(a, d);
      });
      for (auto [a, d] : scratch) {
        a->moveBefore(loop);
        d->moveAfter(loop);
      }
      numScratch += scratch.size();
    }
    numLoops += outermost.size();
    dropMarkers();
  }
};

} // namespace

namespace {

struct EstimateWorkPass : kiln::cpu::impl::CPUEstimateWorkBase<EstimateWorkPass> {
  void runOnOperation() override {
    ModuleOp m = getOperation();
    int64_t work = 0;
    bool scalesWithBatch = true;
    constexpr int64_t kCap = int64_t(1) << 50;
    m.walk([&](linalg::LinalgOp op) {
      int64_t w = kiln::cpu::iterationWork(op);
      int64_t dynamic = llvm::count_if(op.getStaticLoopRanges(), ShapedType::isDynamic);
      // Inside loops (ONNX Loop/Scan, recurrences, PadBorders' channel
      // loops): once per iteration.
      for (Operation *p = op->getParentOp(); p && !isa<func::FuncOp>(p); p = p->getParentOp()) {
        if (auto f = dyn_cast<scf::ForOp>(p)) {
          std::optional<int64_t> lb = getConstantIntValue(f.getLowerBound()),
                                 ub = getConstantIntValue(f.getUpperBound()),
                                 st = getConstantIntValue(f.getStep());
          if (lb && ub && st && *st > 0) {
            int64_t trips = std::max<int64_t>(0, (*ub - *lb + *st - 1) / *st);
            w = trips && w > kCap / trips ? kCap : w * trips;
          } else {
            ++dynamic;
          }
        } else if (isa<LoopLikeOpInterface>(p)) {
          scalesWithBatch = false; // a trip count the estimate cannot bound
        }
      }
      if (dynamic > 1)
        scalesWithBatch = false;
      work = std::min(work + w, kCap);
    });
    if (scalesWithBatch)
      m->setAttr(kiln::cpu::kRunWorkAttr, IntegerAttr::get(IntegerType::get(&getContext(), 64), work));
    else
      m->removeAttr(kiln::cpu::kRunWorkAttr);
  }
};

} // namespace

namespace {

struct ForallToForPass : kiln::cpu::impl::CPUForallToForBase<ForallToForPass> {
  using CPUForallToForBase::CPUForallToForBase;
  void runOnOperation() override {
    std::atomic<uint64_t> &numConverted =
        kiln::passStatistic(getArgument(), "foralls-converted", "scf.forall loops converted to scf.for");
    SmallVector<scf::ForallOp> foralls;
    getOperation().walk([&](scf::ForallOp f) { foralls.push_back(f); });
    IRRewriter rewriter(&getContext());
    for (scf::ForallOp f : foralls) {
      if (f->getNumResults() != 0) {
        f->emitError("kiln: scf.forall with results left after bufferization");
        return signalPassFailure();
      }
      bool outermost = !f->getParentOfType<LoopLikeOpInterface>();
      rewriter.setInsertionPoint(f);
      SmallVector<Operation *> loops;
      if (failed(scf::forallToForLoop(rewriter, f, &loops))) {
        f->emitError("kiln: cannot convert scf.forall to scf.for");
        return signalPassFailure();
      }
      ++numConverted;
      if (mark && outermost)
        for (Operation *l : loops)
          l->setAttr(kiln::cpu::kParallelAttr, rewriter.getUnitAttr());
    }
  }
};

} // namespace

namespace {

struct ForallInPlacePass : kiln::cpu::impl::CPUForallInPlaceBase<ForallInPlacePass> {
  void runOnOperation() override {
    SmallVector<scf::ForallOp> foralls;
    getOperation().walk([&](scf::ForallOp f) {
      if (f->getNumResults() != 0)
        foralls.push_back(f);
    });
    IRRewriter rewriter(&getContext());
    for (scf::ForallOp f : foralls)
      if (failed(bufferization::eliminateEmptyTensors(rewriter, f)))
        return signalPassFailure();
  }
};

} // namespace
