//===- FlattenConstantGlobals.cpp - weights as 1-d globals -----------------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//

#include "CPUPasses.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/BuiltinDialect.h"

namespace kiln::cpu {
#define GEN_PASS_DEF_CPUFLATTENCONSTANTGLOBALS
#include "Passes.h.inc"
} // namespace kiln::cpu

using namespace mlir;

namespace {

/// Makes every constant multi-dimensional memref.global one-dimensional
/// (uses reshape it back with memref.expand_shape).  LLVM translates an
/// N-d global into nested arrays: one llvm::Constant per innermost row,
/// millions for a ResNet, which made LLVM's optimizer and code generator
/// crawl and used gigabytes; a 1-d global is a single ConstantDataArray
/// that shares the weights' bytes.
struct FlattenConstantGlobalsPass
    : kiln::cpu::impl::CPUFlattenConstantGlobalsBase<FlattenConstantGlobalsPass> {
  void runOnOperation() override {
    ModuleOp m = getOperation();
    // Constant private globals nothing refers to (weights copied into
    // panels by kiln-cpu-pack-weights) are not written into the library.
    {
      llvm::DenseSet<StringAttr> used;
      m.walk([&](memref::GetGlobalOp get) { used.insert(get.getNameAttr().getAttr()); });
      SmallVector<memref::GlobalOp> unused;
      DenseSet<Operation *> dropped;
      for (auto g : m.getOps<memref::GlobalOp>())
        if (g.getConstant() && g.isPrivate() && !used.contains(g.getSymNameAttr())) {
          unused.push_back(g);
          dropped.insert(g);
        }
      // Their weight blobs are released too when nothing else refers to
      // them (the compiler would otherwise hold both the plain and the
      // packed copy of every Linear layer until it exits).
      DenseSet<void *> live;
      m.walk([&](Operation *op) {
        if (dropped.contains(op))
          return;
        for (NamedAttribute a : op->getAttrs())
          if (auto r = dyn_cast<DenseResourceElementsAttr>(a.getValue()))
            live.insert(r.getRawHandle().getResource());
      });
      for (memref::GlobalOp g : unused) {
        if (auto r = dyn_cast_or_null<DenseResourceElementsAttr>(g.getInitialValue().value_or(Attribute())))
          if (auto *entry = r.getRawHandle().getResource(); entry && !live.contains(entry))
            entry->setBlob(AsmResourceBlob());
        g.erase();
      }
    }
    llvm::DenseMap<StringAttr, memref::GlobalOp> flattened;
    for (auto g : m.getOps<memref::GlobalOp>()) {
      MemRefType t = g.getType();
      if (!g.getConstant() || t.getRank() < 2 || !t.hasStaticShape() ||
          !t.getLayout().isIdentity() || g.isExternal())
        continue;
      auto init = dyn_cast_or_null<ElementsAttr>(g.getInitialValue().value_or(Attribute()));
      if (!init)
        continue;
      auto flatTensor = RankedTensorType::get({t.getNumElements()}, t.getElementType());
      Attribute flatInit;
      if (auto dense = dyn_cast<DenseElementsAttr>(init))
        flatInit = dense.reshape(flatTensor);
      else if (auto res = dyn_cast<DenseResourceElementsAttr>(init))
        flatInit = DenseResourceElementsAttr::get(flatTensor, res.getRawHandle());
      else
        continue;
      g.setInitialValueAttr(flatInit);
      g.setType(MemRefType::get({t.getNumElements()}, t.getElementType(), MemRefLayoutAttrInterface(),
                                t.getMemorySpace()));
      flattened[g.getSymNameAttr()] = g;
    }
    if (flattened.empty())
      return;
    m.walk([&](memref::GetGlobalOp get) {
      auto it = flattened.find(get.getNameAttr().getAttr());
      if (it == flattened.end())
        return;
      auto origType = cast<MemRefType>(get.getType());
      OpBuilder b(get);
      auto flat = memref::GetGlobalOp::create(b, get.getLoc(), it->second.getType(),
                                              get.getNameAttr());
      SmallVector<ReassociationIndices> reassoc(1);
      for (int64_t i = 0; i < origType.getRank(); ++i)
        reassoc[0].push_back(i);
      Value shaped = memref::ExpandShapeOp::create(b, get.getLoc(), origType, flat, reassoc);
      get.replaceAllUsesWith(shaped);
      get.erase();
    });
  }
};

} // namespace
