//===- InstrumentProfile.cpp - per-node timers in the entry function ------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// kiln-compile --profile: wraps the top-level ops of the model's entry
// function, grouped by the ONNX node they come from, in calls that read the
// monotonic clock, and accumulates nanoseconds and call counts per node in
// globals of the generated library.  The library exports
//
//     const kiln_abi_profile *kiln_model_profile_v1(void);
//
// (runtime/include/kiln/abi.h), which the runtime finds with dlsym.  The
// calls to kiln.profile.flops that kiln-nn-record-flops placed after each
// convolution and matrix product become atomic additions to the FLOP
// counter of the entry whose timed code runs them (nested ones included:
// a Loop body's matmuls count for the Loop); calls outside the entry
// function's timed code are dropped, and so is the declaration.
//
// Attribution rule (docs/runtime.md):
//   - An op's node is the first NameLoc, in a pre-order left-to-right walk of
//     its location (FusedLoc in order, CallSiteLoc callee first), whose name
//     is a node of the ONNX graph (the module attribute
//     `kiln.profile.node_types` that the importer records).  Without that
//     attribute, the first NameLoc.  Ops with no such name (deallocations,
//     result copies) are "(unattributed)".
//   - Ops free of memory effects (constants, views, index arithmetic) are
//     neither timed nor split groups: they cost nothing measurable.
//   - Consecutive ops of one node form one timed region.  A node whose ops
//     are split into several regions accumulates the time of all of them;
//     its call count advances once per execution of its first region.
//   - Only the entry function's top-level ops are timed: loops, calls and
//     control flow count as one op of their node.  The ops inside the
//     guards that end a run after a failed Reshape/Expand size check
//     (kiln-cpu-lower-runtime-checks) count as top-level ops.
//   - An entry covers its node and every other node of the graph named
//     anywhere in the locations of the ops its timed code runs (all NameLocs
//     of a FusedLoc, e.g. the [Conv, Relu] location kiln-nn-fuse-epilogue
//     gives a fused conv, and the locations of nested ops, constants aside),
//     in order of first appearance.  Its name joins the covered node names
//     with "+", its op type their op types, each type once: a Conv with its
//     Relu fused in is "Conv+Relu" named "conv_node+relu_node"; a residual
//     Add fused into the loop of the Relu after it makes that Relu
//     "Relu+Add".  Not for control-flow nodes (Loop, If, Scan), whose
//     bodies hold their subgraph's nodes.
//
//===----------------------------------------------------------------------===//

#include "CPUPasses.h"
#include "RuntimeCheckABI.h"
#include "kiln/Target/CPU/CPUTarget.h"

#include "kiln/Support/NodeLocation.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Pass/Pass.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"

#include <functional>

namespace kiln::cpu {
#define GEN_PASS_DEF_CPUINSTRUMENTPROFILE
#include "Passes.h.inc"
} // namespace kiln::cpu

using namespace mlir;

namespace {

constexpr StringLiteral kUnattributed = "(unattributed)";

/// Appends every node of `table` named in `loc` to `nodes`, once each (all
/// of them; kiln::onnxNodeName finds the first).
void collectNodes(Location loc, DictionaryAttr table, SmallVectorImpl<StringRef> &nodes) {
  loc->walk([&](Location l) {
    if (auto n = dyn_cast<NameLoc>(l)) {
      StringRef s = n.getName().strref();
      if (table.contains(s) && !llvm::is_contained(nodes, s))
        nodes.push_back(s);
    }
    return WalkResult::advance();
  });
}

struct Group {
  Operation *first, *last;
  unsigned index;
  bool counts; // first region of its node: advances the call count
};

struct InstrumentProfilePass
    : kiln::cpu::impl::CPUInstrumentProfileBase<InstrumentProfilePass> {

  void runOnOperation() override {
    ModuleOp m = getOperation();
    func::FuncOp entry;
    for (auto f : m.getOps<func::FuncOp>())
      if (f->hasAttr("kiln.entry") && !f.isDeclaration())
        entry = f;
    if (!entry) {
      m.emitError("profile instrumentation: no function with the 'kiln.entry' attribute");
      return signalPassFailure();
    }
    if (m.lookupSymbol(kiln::cpu::kProfileSymbol)) {
      m.emitError() << "profile instrumentation: the module already defines '"
                    << kiln::cpu::kProfileSymbol << "' (instrumented twice?)";
      return signalPassFailure();
    }
    Attribute tableAttr = m->getAttr(kiln::kNodeTypesAttr);
    auto table = dyn_cast_or_null<DictionaryAttr>(tableAttr);
    if (tableAttr && !table) {
      m.emitError() << "'" << kiln::kNodeTypesAttr << "' must be a dictionary (node name -> op type)";
      return signalPassFailure();
    }

    // Entries in order of first execution; groups of consecutive ops.
    SmallVector<std::pair<std::string, std::string>> entries;
    llvm::StringMap<unsigned> indexOf;
    SmallVector<Group> groups;
    auto entryIndex = [&](StringRef node) -> std::pair<unsigned, bool> {
      auto [it, inserted] = indexOf.try_emplace(node, entries.size());
      if (inserted) {
        std::string type = "(none)";
        if (!node.empty()) {
          auto t = table ? table.getAs<StringAttr>(node) : StringAttr();
          type = t ? t.str() : "unknown";
        }
        entries.emplace_back(node.empty() ? kUnattributed.str() : node.str(), type);
      }
      return {it->second, inserted};
    };
    // Other nodes whose ops run inside an entry's timed code: fused ops
    // carry every node in a FusedLoc, and elementwise chains fused into one
    // loop keep only the consumer's location on the loop, but the loop body
    // keeps every node's.
    SmallVector<SmallVector<StringRef>> covered;
    auto noteFused = [&](unsigned index, Operation *op) {
      covered.resize(entries.size());
      const std::string &own = entries[index].second;
      if (!table || entries[index].first == kUnattributed || own == "Loop" || own == "If" ||
          own == "Scan")
        return; // control flow: its subgraph's nodes are reported as the node
      SmallVector<StringRef> nodes;
      op->walk([&](Operation *nested) {
        if (!nested->hasTrait<OpTrait::ConstantLike>())
          collectNodes(nested->getLoc(), table, nodes);
      });
      auto &list = covered[index];
      for (StringRef node : nodes)
        if (node != entries[index].first && !llvm::is_contained(list, node))
          list.push_back(node);
    };
    // The guards that end a run after a failed `stop` check hold the rest
    // of the function: their ops count as top-level ones.
    auto isStopGuard = [](Operation &op) {
      auto fused = dyn_cast<FusedLoc>(op.getLoc());
      auto meta = fused ? dyn_cast_or_null<StringAttr>(fused.getMetadata()) : StringAttr();
      return isa<scf::IfOp>(op) && meta && meta.getValue() == kiln::cpu::kStopGuardMeta;
    };
    std::function<void(Block &)> visit = [&](Block &block) {
      std::optional<StringRef> current;
      for (Operation &op : block) {
        if (op.hasTrait<OpTrait::IsTerminator>())
          break;
        if (isStopGuard(op)) {
          visit(cast<scf::IfOp>(op).getThenRegion().front());
          current.reset();
          continue;
        }
        if (isMemoryEffectFree(&op))
          continue;
        StringRef node = kiln::onnxNodeName(op.getLoc(), table);
        if (current && *current == node) {
          groups.back().last = &op;
          noteFused(groups.back().index, &op);
          continue;
        }
        auto [index, first] = entryIndex(node);
        groups.push_back({&op, &op, index, first});
        noteFused(index, &op);
        current = node;
      }
    };
    for (Block &block : entry.getBody())
      visit(block);
    covered.resize(entries.size());
    for (auto [entry, nodes] : llvm::zip(entries, covered)) {
      SmallVector<std::string> types{entry.second};
      for (StringRef node : nodes) {
        entry.first += "+" + node.str();
        auto typeAttr = table.getAs<StringAttr>(node);
        std::string type = typeAttr ? typeAttr.str() : "unknown";
        if (!llvm::is_contained(types, type))
          types.push_back(type);
      }
      entry.second = llvm::join(types, "+");
    }

    // Runtime support: clock, counters, names, the exported descriptor.
    MLIRContext *ctx = &getContext();
    Location loc = m.getLoc();
    OpBuilder b = OpBuilder::atBlockEnd(m.getBody());
    auto i8 = b.getI8Type();
    auto i32 = b.getI32Type();
    auto i64 = b.getI64Type();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    size_t n = entries.size();
    auto counterTy = LLVM::LLVMArrayType::get(i64, std::max<size_t>(n, 1));

    // clock_gettime (libc).  CLOCK_MONOTONIC is 1 and struct timespec is
    // {int64, int64} on the LP64 Linux targets Kiln supports (kiln-compile
    // checks the triple).
    LLVM::LLVMFuncOp clock;
    if (auto existing = m.lookupSymbol<LLVM::LLVMFuncOp>("clock_gettime")) {
      clock = existing;
    } else if (m.lookupSymbol("clock_gettime")) {
      m.emitError("profile instrumentation: the module defines a symbol 'clock_gettime'");
      return signalPassFailure();
    } else {
      clock = LLVM::LLVMFuncOp::create(b, loc, "clock_gettime",
                                       LLVM::LLVMFunctionType::get(i32, {i32, ptr}));
    }
    auto cst = [&](OpBuilder &bb, Type t, int64_t v) -> Value {
      return LLVM::ConstantOp::create(bb, loc, t, bb.getIntegerAttr(t, v));
    };

    auto nsG = LLVM::GlobalOp::create(b, loc, counterTy, /*isConstant=*/false,
                                      LLVM::Linkage::Internal, "kiln_profile_ns",
                                      DenseElementsAttr::get(RankedTensorType::get(
                                          {(int64_t)counterTy.getNumElements()}, i64),
                                                             APInt(64, 0)));
    auto callsG = LLVM::GlobalOp::create(b, loc, counterTy, /*isConstant=*/false,
                                         LLVM::Linkage::Internal, "kiln_profile_calls",
                                         DenseElementsAttr::get(RankedTensorType::get(
                                             {(int64_t)counterTy.getNumElements()}, i64),
                                                                APInt(64, 0)));
    auto flopsG = LLVM::GlobalOp::create(b, loc, counterTy, /*isConstant=*/false,
                                         LLVM::Linkage::Internal, "kiln_profile_flops",
                                         DenseElementsAttr::get(RankedTensorType::get(
                                             {(int64_t)counterTy.getNumElements()}, i64),
                                                                APInt(64, 0)));
    std::string packed;
    for (auto &[name, type] : entries) {
      packed += name;
      packed.push_back('\0');
      packed += type;
      packed.push_back('\0');
    }
    if (packed.empty())
      packed.push_back('\0');
    auto strTy = LLVM::LLVMArrayType::get(i8, packed.size());
    auto strG = LLVM::GlobalOp::create(b, loc, strTy, /*isConstant=*/true, LLVM::Linkage::Internal,
                                       "kiln_profile_strings", b.getStringAttr(packed));

    // i64 kiln_profile_now(): CLOCK_MONOTONIC in nanoseconds.
    auto now = LLVM::LLVMFuncOp::create(b, loc, "kiln_profile_now",
                                        LLVM::LLVMFunctionType::get(i64, {}),
                                        LLVM::Linkage::Internal);
    {
      OpBuilder fb = OpBuilder::atBlockEnd(now.addEntryBlock(b));
      auto tsTy = LLVM::LLVMStructType::getLiteral(ctx, {i64, i64});
      Value ts = LLVM::AllocaOp::create(fb, loc, ptr, tsTy, cst(fb, i64, 1));
      LLVM::CallOp::create(fb, loc, clock, ValueRange{cst(fb, i32, 1), ts});
      Value sec = LLVM::LoadOp::create(fb, loc, i64, ts);
      Value nsecPtr = LLVM::GEPOp::create(fb, loc, ptr, i64, ts, ArrayRef<LLVM::GEPArg>{1});
      Value nsec = LLVM::LoadOp::create(fb, loc, i64, nsecPtr);
      Value total = LLVM::AddOp::create(
          fb, loc, LLVM::MulOp::create(fb, loc, sec, cst(fb, i64, 1000000000)), nsec);
      LLVM::ReturnOp::create(fb, loc, total);
    }

    // void kiln_profile_record(i32 index, i64 start, i64 calls).
    auto record = LLVM::LLVMFuncOp::create(
        b, loc, "kiln_profile_record",
        LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx), {i32, i64, i64}),
        LLVM::Linkage::Internal);
    {
      Block *body = record.addEntryBlock(b);
      OpBuilder fb = OpBuilder::atBlockEnd(body);
      Value end = LLVM::CallOp::create(fb, loc, now, ValueRange{}).getResult();
      Value delta = LLVM::SubOp::create(fb, loc, end, body->getArgument(1));
      auto bump = [&](LLVM::GlobalOp g, Value v) {
        Value base = LLVM::AddressOfOp::create(fb, loc, g);
        Value slot = LLVM::GEPOp::create(fb, loc, ptr, i64, base,
                                         ArrayRef<LLVM::GEPArg>{body->getArgument(0)});
        LLVM::AtomicRMWOp::create(fb, loc, LLVM::AtomicBinOp::add, slot, v,
                                  LLVM::AtomicOrdering::monotonic);
      };
      bump(nsG, delta);
      bump(callsG, body->getArgument(2));
      LLVM::ReturnOp::create(fb, loc, ValueRange{});
    }

    // The descriptor (kiln_abi_profile) and its exported accessor.
    auto descTy = LLVM::LLVMStructType::getLiteral(ctx, {i32, i32, ptr, ptr, ptr, ptr});
    auto descG = LLVM::GlobalOp::create(b, loc, descTy, /*isConstant=*/true,
                                        LLVM::Linkage::Internal, "kiln_profile_desc", Attribute());
    {
      Block *init = b.createBlock(&descG.getInitializerRegion());
      OpBuilder ib = OpBuilder::atBlockEnd(init);
      Value d = LLVM::UndefOp::create(ib, loc, descTy);
      Value fields[] = {cst(ib, i32, kiln::cpu::kProfileVersion), cst(ib, i32, (int64_t)n),
                        LLVM::AddressOfOp::create(ib, loc, strG),
                        LLVM::AddressOfOp::create(ib, loc, nsG),
                        LLVM::AddressOfOp::create(ib, loc, callsG),
                        LLVM::AddressOfOp::create(ib, loc, flopsG)};
      for (auto [i, v] : llvm::enumerate(fields))
        d = LLVM::InsertValueOp::create(ib, loc, d, v, ArrayRef<int64_t>{(int64_t)i});
      LLVM::ReturnOp::create(ib, loc, d);
    }
    b.setInsertionPointToEnd(m.getBody());
    auto accessor = LLVM::LLVMFuncOp::create(b, loc, kiln::cpu::kProfileSymbol,
                                             LLVM::LLVMFunctionType::get(ptr, {}));
    {
      OpBuilder fb = OpBuilder::atBlockEnd(accessor.addEntryBlock(b));
      LLVM::ReturnOp::create(fb, loc, ValueRange{LLVM::AddressOfOp::create(fb, loc, descG)});
    }

    // The timed regions.
    for (const Group &g : groups) {
      Location gl = g.first->getLoc();
      OpBuilder before(g.first);
      Value start = LLVM::CallOp::create(before, gl, now, ValueRange{}).getResult();
      OpBuilder after(g.last->getContext());
      after.setInsertionPointAfter(g.last);
      LLVM::CallOp::create(after, gl, record,
                           ValueRange{cst(after, i32, g.index), start,
                                      cst(after, i64, g.counts ? 1 : 0)});
    }

    // FLOP markers inside a group count for its entry (after the timed
    // regions: a marker can be a group's last op).
    auto flopsFn = m.lookupSymbol<func::FuncOp>(kiln::kProfileFlopsFn);
    auto isMarker = [&](Operation *op) {
      auto call = dyn_cast<func::CallOp>(op);
      return flopsFn && call && call.getCallee() == kiln::kProfileFlopsFn &&
             call.getNumOperands() == 1 && call.getOperand(0).getType() == i64;
    };
    for (const Group &g : groups) {
      SmallVector<Operation *> markers;
      for (Operation *op = g.first;; op = op->getNextNode()) {
        op->walk([&](Operation *nested) {
          if (isMarker(nested))
            markers.push_back(nested);
        });
        if (op == g.last)
          break;
      }
      for (Operation *marker : markers) {
        OpBuilder mb(marker);
        Location ml = marker->getLoc();
        Value base = LLVM::AddressOfOp::create(mb, ml, flopsG);
        Value slot = LLVM::GEPOp::create(mb, ml, ptr, i64, base,
                                         ArrayRef<LLVM::GEPArg>{(int32_t)g.index});
        LLVM::AtomicRMWOp::create(mb, ml, LLVM::AtomicBinOp::add, slot, marker->getOperand(0),
                                  LLVM::AtomicOrdering::monotonic);
        marker->erase();
      }
    }
    if (flopsFn) {
      SmallVector<Operation *> stray;
      m.walk([&](func::CallOp call) {
        if (call.getCallee() == kiln::kProfileFlopsFn)
          stray.push_back(call);
      });
      for (Operation *op : stray)
        op->erase();
      if (flopsFn.isDeclaration())
        flopsFn.erase();
    }
  }
};

} // namespace
