//===- PackWeights.cpp - constant matmul operands in column panels --------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// kiln-cpu-pack-weights (Passes.td) runs on buffers, before
// kiln-cpu-tile-and-vectorize.  A linalg.matmul whose right operand is a
// constant global [K, N] (a Linear layer's weights) gets a second constant
// global holding the same values in column panels, [ceil(N / W)][K][W]
// (W = kMatmulPanelWidth, the last panel padded with zeros), and the
// attribute `kiln.packed_rhs = @panels`.  The matmul keeps its operands and
// its meaning; the attribute only tells the micro-kernel
// (TileAndVectorize.cpp) where the panels are.  A panel is the W columns one
// register tile of the micro-kernel reads, contiguous: the plain layout reads
// them with a stride of N * 4 bytes, which for N = 3072 maps every row of a
// panel to the same L1 set and to 32 of L2's 2048, so the panel never stays
// in cache while the micro-kernel walks the rows of the left operand.
// The original global is erased by kiln-cpu-flatten-constant-globals once
// nothing uses it.
//
//===----------------------------------------------------------------------===//

#include "CPUPasses.h"
#include "kiln/Transforms/Statistics.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"

#include <cstring>

namespace kiln::cpu {
#define GEN_PASS_DEF_CPUPACKWEIGHTS
#include "Passes.h.inc"
} // namespace kiln::cpu

using namespace mlir;

namespace {

/// The raw little-endian f32 data of a constant global's initial value, or
/// an empty ArrayRef (splats and other attributes are not packed).
ArrayRef<char> rawF32Data(memref::GlobalOp g) {
  Attribute init = g.getInitialValue().value_or(Attribute());
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(init)) {
    if (dense.isSplat() || !dense.getElementType().isF32())
      return {};
    return dense.getRawData();
  }
  if (auto res = dyn_cast_or_null<DenseResourceElementsAttr>(init)) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob)
      return {};
    return blob->getData();
  }
  return {};
}

/// The constant global `b` reads when it can be packed: f32, static
/// [K, N] with N >= the panel width (narrower products gain nothing),
/// identity layout, with an initial value.
memref::GlobalOp packableGlobal(Value b, SymbolTable &symbols) {
  auto get = b.getDefiningOp<memref::GetGlobalOp>();
  if (!get)
    return {};
  auto bt = cast<MemRefType>(get.getType());
  if (!bt.getElementType().isF32() || bt.getRank() != 2 || !bt.hasStaticShape() || !bt.getLayout().isIdentity() ||
      bt.getDimSize(0) < 1 || bt.getDimSize(1) < kiln::cpu::kMatmulPanelWidth)
    return {};
  auto g = symbols.lookup<memref::GlobalOp>(get.getName());
  if (!g || !g.getConstant() || g.isExternal() || g.getType() != bt)
    return {};
  return g;
}

/// A matmul in disguise with a constant right operand (elementwise fusion
/// folds the reshapes around a Linear layer on [B, S, K] into a
/// linalg.generic over (b, s, n, k): A (b, s, k), B (k, n), C (b, s, n),
/// multiply-add), on buffers whose leading two dims collapse: rewritten as
/// a linalg.matmul on [B * S, K] x [K, N] -> [B * S, N] views, so that it
/// takes the packed path.  Returns the new matmul, or null.
linalg::MatmulOp collapseBatchedLinear(linalg::GenericOp g) {
  if (!g.hasPureBufferSemantics() || g.getNumDpsInputs() != 2 || g.getNumDpsInits() != 1 ||
      g.getNumLoops() != 4 || !linalg::isaContractionOpInterface(g))
    return {};
  MLIRContext *ctx = g.getContext();
  AffineExpr d0, d1, d2, d3;
  bindDims(ctx, d0, d1, d2, d3);
  auto maps = g.getIndexingMapsArray();
  if (maps[0] != AffineMap::get(4, 0, {d0, d1, d3}, ctx) || maps[1] != AffineMap::get(4, 0, {d3, d2}, ctx) ||
      maps[2] != AffineMap::get(4, 0, {d0, d1, d2}, ctx))
    return {};
  auto it = g.getIteratorTypesArray();
  if (it[0] != utils::IteratorType::parallel || it[1] != utils::IteratorType::parallel ||
      it[2] != utils::IteratorType::parallel || it[3] != utils::IteratorType::reduction)
    return {};
  Value a = g.getDpsInputs()[0], b = g.getDpsInputs()[1], c = g.getDpsInits()[0];
  auto at = cast<MemRefType>(a.getType()), ct = cast<MemRefType>(c.getType());
  SmallVector<ReassociationIndices> re{{0, 1}, {2}};
  if (!memref::CollapseShapeOp::isGuaranteedCollapsible(at, re) ||
      !memref::CollapseShapeOp::isGuaranteedCollapsible(ct, re))
    return {};
  OpBuilder bld(g);
  Location loc = g.getLoc();
  Value a2 = memref::CollapseShapeOp::create(bld, loc, a, re);
  Value c2 = memref::CollapseShapeOp::create(bld, loc, c, re);
  auto mm = linalg::MatmulOp::create(bld, loc, ValueRange{a2, b}, ValueRange{c2});
  g.erase();
  return mm;
}

struct PackWeightsPass : kiln::cpu::impl::CPUPackWeightsBase<PackWeightsPass> {
  void runOnOperation() override {
    ModuleOp m = getOperation();
    SymbolTable symbols(m);
    std::atomic<uint64_t> &numCollapsed = kiln::passStatistic(
        getArgument(), "batched-linears-collapsed",
        "Contractions [B, S, K] x [K, N] with constant weights rewritten as matmuls on [B * S, K]");
    {
      SmallVector<linalg::GenericOp> generics;
      m.walk([&](linalg::GenericOp g) {
        if (g.getNumDpsInputs() == 2)
          generics.push_back(g);
      });
      for (linalg::GenericOp g : generics)
        if (packableGlobal(g.getDpsInputs()[1], symbols) && collapseBatchedLinear(g))
          ++numCollapsed;
    }
    std::atomic<uint64_t> &numPacked = kiln::passStatistic(
        getArgument(), "weights-packed", "Constant matmul operands stored in column panels");
    std::atomic<uint64_t> &numOps = kiln::passStatistic(
        getArgument(), "matmuls-annotated", "linalg.matmul ops given packed panels");
    const int64_t W = kiln::cpu::kMatmulPanelWidth;
    // One packed copy per global, shared by every matmul that reads it.
    llvm::DenseMap<StringAttr, FlatSymbolRefAttr> packed;
    m.walk([&](linalg::MatmulOp mm) {
      if (!mm.hasPureBufferSemantics() || mm.hasUserDefinedMaps())
        return;
      auto at = cast<MemRefType>(mm.getDpsInputs()[0].getType());
      auto ct = cast<MemRefType>(mm.getDpsInits()[0].getType());
      memref::GlobalOp g = packableGlobal(mm.getDpsInputs()[1], symbols);
      if (!g || !at.getElementType().isF32() || !ct.getElementType().isF32())
        return;
      auto bt = g.getType();
      int64_t K = bt.getDimSize(0), N = bt.getDimSize(1);
      FlatSymbolRefAttr ref;
      if (auto it = packed.find(g.getSymNameAttr()); it != packed.end()) {
        ref = it->second;
      } else {
        ArrayRef<char> src = rawF32Data(g);
        if (src.size() != size_t(K * N) * sizeof(float))
          return;
        int64_t P = (N + W - 1) / W;
        AsmResourceBlob blob = HeapAsmResourceBlob::allocate(size_t(P * K * W) * sizeof(float), 64);
        MutableArrayRef<char> dst = blob.getMutableData();
        std::memset(dst.data(), 0, dst.size());
        const float *s = reinterpret_cast<const float *>(src.data());
        float *d = reinterpret_cast<float *>(dst.data());
        for (int64_t p = 0; p < P; ++p) {
          int64_t cols = std::min(W, N - p * W);
          for (int64_t k = 0; k < K; ++k)
            std::memcpy(d + (p * K + k) * W, s + k * N + p * W, size_t(cols) * sizeof(float));
        }
        auto tt = RankedTensorType::get({P, K, W}, bt.getElementType());
        std::string name = (g.getSymName() + "_panels").str();
        auto init = DenseResourceElementsAttr::get(tt, name, std::move(blob));
        OpBuilder b(g);
        b.setInsertionPointAfter(g);
        auto pg = memref::GlobalOp::create(b, g.getLoc(), name, b.getStringAttr("private"),
                                           MemRefType::get({P, K, W}, bt.getElementType()), init,
                                           /*constant=*/true, b.getI64IntegerAttr(64));
        symbols.insert(pg); // renames it if the name is taken
        ref = FlatSymbolRefAttr::get(pg.getSymNameAttr());
        packed[g.getSymNameAttr()] = ref;
        ++numPacked;
      }
      mm->setAttr(kiln::cpu::kPackedRhsAttr, ref);
      ++numOps;
    });
  }
};

} // namespace
