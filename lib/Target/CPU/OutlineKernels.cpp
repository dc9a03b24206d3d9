//===- OutlineKernels.cpp - one LLVM function per kernel ------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// kiln-cpu-outline-kernels: moves every kernel of a function (a linalg op,
// or a loop nest of scf.for/scf.parallel/scf.forall that allocates, frees
// and calls nothing) into a private function of its own, called where the
// kernel was.  Runs on memrefs, after tiling and vectorization and before
// the loops and vectors are lowered.
//
// Why: the entry function held every layer of the model, and LLVM's
// optimizer and code generator scale worse than linearly with the size of
// a function (dominator trees, live intervals, scalar evolution): Swin-T
// spent 117 s in LLVM on one function.  Functions of one kernel each are
// optimized separately, and the later function passes (vector lowering)
// and LLVM's code generation can run them in parallel.
//
// The outlined function takes the kernel's operands and the values its
// regions use from above as arguments (weights included), except
// constants, which are cloned into it so that LLVM still sees them.  It
// has internal linkage and `noinline` (LLVM's inliner would otherwise put
// a function called once straight back).  Its name is
// `<function>.k<N>.<node>` with the ONNX node of the kernel's location
// (kiln::onnxNodeName), so that profilers (perf) name the layer.
// Kernels that differ only in their arguments (the weights, the buffers:
// the 12 layers of a BERT encoder) share one function, named after the
// first of them; the memref.get_global ops inside a kernel are moved out of
// it first, so that the globals it reads are arguments as well.
// Loops that allocate, free or call something (an ONNX Loop or If body)
// are not kernels: their bodies are searched for kernels instead; a loop
// marked kiln.parallel whose body allocates and frees scratch buffers (and
// calls nothing) is one.
//
//===----------------------------------------------------------------------===//

#include "CPUPasses.h"

#include "kiln/Support/NodeLocation.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringMap.h"

namespace kiln::cpu {
#define GEN_PASS_DEF_CPUOUTLINEKERNELS
#include "Passes.h.inc"
} // namespace kiln::cpu

using namespace mlir;

namespace {

/// `s` with every character other than [A-Za-z0-9_] replaced by '_', at
/// most 40 characters.
static std::string symbolPart(StringRef s) {
  std::string out;
  for (char c : s.take_back(40))
    out.push_back(llvm::isAlnum(c) || c == '_' ? c : '_');
  return out;
}

struct OutlineKernelsPass : kiln::cpu::impl::CPUOutlineKernelsBase<OutlineKernelsPass> {
  static bool isKernel(Operation *op) {
    if (isa<linalg::LinalgOp>(op))
      return true;
    if (!isa<scf::ForOp, scf::ParallelOp, scf::ForallOp>(op))
      return false;
    // A loop that runs on threads (kiln.parallel: nn.attention's blocks)
    // may allocate its blocks' scratch buffers: kiln-cpu-parallelize gives
    // each thread its own, once.
    bool parallel = op->hasAttr(kiln::cpu::kParallelAttr);
    return !op->walk([&](Operation *o) {
                 if (parallel && isa<memref::AllocOp, memref::DeallocOp>(o))
                   return WalkResult::advance();
                 if (isa<memref::AllocOp, memref::DeallocOp, memref::ReallocOp, CallOpInterface>(o))
                   return WalkResult::interrupt();
                 return WalkResult::advance();
               })
                .wasInterrupted();
  }

  static void collect(Region &r, SmallVectorImpl<Operation *> &kernels) {
    for (Block &b : r)
      for (Operation &op : b) {
        if (isKernel(&op)) {
          kernels.push_back(&op);
          continue;
        }
        for (Region &inner : op.getRegions())
          collect(inner, kernels);
      }
  }

  /// A value the outlined function recreates instead of taking it as an
  /// argument.
  static bool isCloned(Value v) {
    Operation *def = v.getDefiningOp();
    return def && def->hasTrait<OpTrait::ConstantLike>();
  }

  /// The text of `fn` under a fixed name: equal for kernels that differ
  /// only in their arguments.
  static std::string key(func::FuncOp fn) {
    StringAttr name = fn.getSymNameAttr();
    fn.setSymName("kernel");
    std::string text;
    llvm::raw_string_ostream os(text);
    fn->print(os, OpPrintingFlags().printGenericOpForm().useLocalScope());
    fn.setSymNameAttr(name);
    return text;
  }

  void runOnOperation() override {
    ModuleOp m = getOperation();
    SymbolTable symbols(m);
    SmallVector<func::FuncOp> funcs(m.getOps<func::FuncOp>());
    llvm::StringMap<func::FuncOp> seen;
    auto nodeTable = m->getAttrOfType<DictionaryAttr>(kiln::kNodeTypesAttr);
    for (func::FuncOp f : funcs) {
      if (f.isDeclaration())
        continue;
      SmallVector<Operation *> kernels;
      collect(f.getBody(), kernels);
      unsigned n = 0;
      for (Operation *k : kernels) {
        // Globals the kernel reads (weights, Winograd's transformed filters
        // and zero biases, created inside its loops) become arguments too,
        // so that kernels that differ only in their weights share one
        // function (DenseNet-121's 58 3x3 convolutions in 4 shapes).
        SmallVector<memref::GetGlobalOp> globals;
        k->walk([&](memref::GetGlobalOp g) { globals.push_back(g); });
        for (memref::GetGlobalOp g : globals)
          g->moveBefore(k);
        llvm::SetVector<Value> free;
        for (Value v : k->getOperands())
          free.insert(v);
        getUsedValuesDefinedAbove(k->getRegions(), free);
        SmallVector<Value> args, cloned;
        for (Value v : free)
          (isCloned(v) ? cloned : args).push_back(v);

        OpBuilder b(m.getContext());
        b.setInsertionPoint(f);
        std::string name = (f.getSymName() + ".k" + Twine(n++)).str();
        StringRef node = kiln::onnxNodeName(k->getLoc(), nodeTable);
        if (!node.empty())
          name += "." + symbolPart(node);
        auto fnType = b.getFunctionType(ValueRange(args).getTypes(), k->getResultTypes());
        auto fn = func::FuncOp::create(b, k->getLoc(), name, fnType);
        fn.setPrivate();
        fn->setAttr("llvm.linkage", LLVM::LinkageAttr::get(m.getContext(), LLVM::Linkage::Internal));
        fn->setAttr("passthrough", b.getArrayAttr({b.getStringAttr("noinline")}));
        Block *body = fn.addEntryBlock();
        IRMapping map;
        for (auto [v, a] : llvm::zip(args, body->getArguments()))
          map.map(v, a);
        b.setInsertionPointToStart(body);
        for (Value v : cloned)
          b.clone(*v.getDefiningOp(), map);
        Operation *copy = b.clone(*k, map);
        func::ReturnOp::create(b, k->getLoc(), copy->getResults());
        auto [it, added] = seen.try_emplace(key(fn), fn);
        if (added) {
          symbols.insert(fn); // renames it if the name is taken
        } else {
          fn.erase();
          fn = it->second;
        }

        b.setInsertionPoint(k);
        auto call = func::CallOp::create(b, k->getLoc(), fn, args);
        k->replaceAllUsesWith(call.getResults());
        k->erase();
      }
    }
  }
};

} // namespace
