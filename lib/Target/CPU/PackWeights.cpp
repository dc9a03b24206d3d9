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
#include <vector>

namespace kiln::cpu {
#define GEN_PASS_DEF_CPUPACKWEIGHTS
#include "Passes.h.inc"
} // namespace kiln::cpu

using namespace mlir;

namespace kiln::cpu {

/// The raw little-endian data of a constant global's initial value (`n`
/// elements of `elementType`, whole bytes each), or an empty ArrayRef for
/// another element type or attribute.  A splat is expanded into `storage`.
ArrayRef<char> rawConstantData(memref::GlobalOp g, Type elementType, int64_t n, std::vector<char> &storage) {
  unsigned bits = elementType.getIntOrFloatBitWidth();
  if (g.getType().getElementType() != elementType || bits % 8)
    return {};
  Attribute init = g.getInitialValue().value_or(Attribute());
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(init)) {
    ArrayRef<char> raw = dense.getRawData();
    if (!dense.isSplat())
      return raw;
    storage.clear();
    storage.reserve(size_t(n) * bits / 8);
    for (int64_t i = 0; i < n; ++i)
      storage.insert(storage.end(), raw.begin(), raw.begin() + bits / 8);
    return storage;
  }
  if (auto res = dyn_cast_or_null<DenseResourceElementsAttr>(init)) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob)
      return {};
    return blob->getData();
  }
  return {};
}

/// The constant, defined global that `get` reads, with `get`'s type.
memref::GlobalOp constantGlobal(memref::GetGlobalOp get, SymbolTable &symbols) {
  auto g = symbols.lookup<memref::GlobalOp>(get.getName());
  if (!g || !g.getConstant() || g.isExternal() || g.getType() != get.getType())
    return {};
  return g;
}

/// A zero-filled blob for P x K x W floats (64-byte aligned).
AsmResourceBlob zeroedPanels(int64_t P, int64_t K, int64_t W) {
  AsmResourceBlob blob = HeapAsmResourceBlob::allocate(size_t(P * K * W) * sizeof(float), 64);
  MutableArrayRef<char> dst = blob.getMutableData();
  std::memset(dst.data(), 0, dst.size());
  return blob;
}

/// A new private constant global `name` (renamed if taken) of type `type`
/// holding `blob` (64-byte aligned), right after `after`.
FlatSymbolRefAttr addConstantGlobal(memref::GlobalOp after, StringRef name, MemRefType type, AsmResourceBlob blob,
                                    SymbolTable &symbols) {
  auto tt = RankedTensorType::get(type.getShape(), type.getElementType());
  auto init = DenseResourceElementsAttr::get(tt, name, std::move(blob));
  OpBuilder b(after);
  b.setInsertionPointAfter(after);
  auto pg = memref::GlobalOp::create(b, after.getLoc(), name, b.getStringAttr("private"), type, init,
                                     /*constant=*/true, b.getI64IntegerAttr(64));
  symbols.insert(pg); // renames it if the name is taken
  return FlatSymbolRefAttr::get(pg.getSymNameAttr());
}

/// A new private constant global `name` (renamed if taken) of type
/// [P][K][W] f32 holding `blob`, right after `after`.
FlatSymbolRefAttr addPanelsGlobal(memref::GlobalOp after, StringRef name, int64_t P, int64_t K, int64_t W,
                                  AsmResourceBlob blob, SymbolTable &symbols) {
  return addConstantGlobal(after, name, MemRefType::get({P, K, W}, Float32Type::get(after.getContext())),
                           std::move(blob), symbols);
}

} // namespace kiln::cpu

namespace {

using kiln::cpu::addPanelsGlobal;
using kiln::cpu::constantGlobal;
using kiln::cpu::rawConstantData;
using kiln::cpu::zeroedPanels;

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
  return constantGlobal(get, symbols);
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

/// The constant global a convolution's filter reads, through reshapes of
/// an identity-layout global (the im2col lowering views a [F, C, KH, KW]
/// filter as [F, C * KH * KW, 1, 1]): the data is the same row-major
/// [F][C * KH * KW] either way.  Null when the filter is not such a view.
memref::GlobalOp filterGlobal(Value w, SymbolTable &symbols) {
  while (true) {
    if (auto c = w.getDefiningOp<memref::CollapseShapeOp>()) {
      w = c.getSrc();
      continue;
    }
    if (auto e = w.getDefiningOp<memref::ExpandShapeOp>()) {
      w = e.getSrc();
      continue;
    }
    break;
  }
  auto get = w.getDefiningOp<memref::GetGlobalOp>();
  if (!get)
    return {};
  auto t = cast<MemRefType>(get.getType());
  if (!t.getElementType().isF32() || !t.hasStaticShape() || !t.getLayout().isIdentity())
    return {};
  return constantGlobal(get, symbols);
}

struct PackWeightsPass : kiln::cpu::impl::CPUPackWeightsBase<PackWeightsPass> {
  using CPUPackWeightsBase::CPUPackWeightsBase;
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
    // The panels [P][K][W] of the constant global `g` (P * K * W floats,
    // zeros where `fill` writes nothing), made once per global and kind
    // (`cache`, `suffix`); null if `g`'s value cannot be read.
    using Cache = llvm::DenseMap<StringAttr, FlatSymbolRefAttr>;
    auto getOrPack = [&](Cache &cache, memref::GlobalOp g, StringRef suffix, int64_t P, int64_t K,
                         std::atomic<uint64_t> &counter,
                         function_ref<void(const float *, float *)> fill) -> FlatSymbolRefAttr {
      if (auto it = cache.find(g.getSymNameAttr()); it != cache.end())
        return it->second;
      int64_t n = cast<MemRefType>(g.getType()).getNumElements();
      std::vector<char> storage;
      ArrayRef<char> src = rawConstantData(g, Float32Type::get(g.getContext()), n, storage);
      if (src.size() != size_t(n) * sizeof(float))
        return {};
      AsmResourceBlob blob = zeroedPanels(P, K, W);
      fill(reinterpret_cast<const float *>(src.data()), reinterpret_cast<float *>(blob.getMutableData().data()));
      FlatSymbolRefAttr ref = addPanelsGlobal(g, (g.getSymName() + suffix).str(), P, K, W, std::move(blob), symbols);
      cache[g.getSymNameAttr()] = ref;
      ++counter;
      return ref;
    };
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
      int64_t P = (N + W - 1) / W;
      FlatSymbolRefAttr ref =
          getOrPack(packed, g, "_panels", P, K, numPacked, [&](const float *s, float *d) {
            for (int64_t p = 0; p < P; ++p) {
              int64_t cols = std::min(W, N - p * W);
              for (int64_t k = 0; k < K; ++k)
                std::memcpy(d + (p * K + k) * W, s + k * N + p * W, size_t(cols) * sizeof(float));
            }
          });
      if (!ref)
        return;
      mm->setAttr(kiln::cpu::kPackedRhsAttr, ref);
      ++numOps;
    });

    std::atomic<uint64_t> &numFilters = kiln::passStatistic(
        getArgument(), "filters-packed", "Constant convolution filters stored in output-channel panels");
    std::atomic<uint64_t> &numConvs = kiln::passStatistic(
        getArgument(), "convs-annotated", "linalg.conv_2d_nchw_fchw ops given packed filter panels");
    llvm::DenseMap<StringAttr, FlatSymbolRefAttr> packedFilters;
    m.walk([&](linalg::Conv2DNchwFchwOp conv) {
      // (kiln-cpu-winograd's products carry their panels already.)
      if (!packConvs || conv->hasAttr(kiln::cpu::kPackedFilterAttr) || !kiln::cpu::usePackedConvKernel(conv))
        return;
      Value w = conv.getDpsInputs()[1];
      auto wt = cast<MemRefType>(w.getType());
      int64_t F = wt.getDimSize(0), K = wt.getDimSize(1) * wt.getDimSize(2) * wt.getDimSize(3);
      // One group's filters (kiln-cpu-split-groups): a subview of the
      // grouped convolution's filter [G * F, C/G, KH, KW] at output
      // channel g * F.  The whole filter is packed; whole panels per group
      // (F a multiple of the panel width), so that a panel never mixes
      // groups, which read different input channels.
      if (auto sv = w.getDefiningOp<memref::SubViewOp>()) {
        auto st = cast<MemRefType>(sv.getSource().getType());
        // Or 16 channels per group, two groups per panel, for the
        // transposing kernel only (a KxK filter: the pixel-vector kernel,
        // 1x1 only, reads whole panels).
        bool halfPanels = F == W / 2 && (wt.getDimSize(2) > 1 || wt.getDimSize(3) > 1);
        bool groupView = (F % W == 0 || halfPanels) && st.getRank() == 4 && st.hasStaticShape() &&
                         st.getShape().drop_front() == wt.getShape().drop_front() &&
                         llvm::all_of(sv.getMixedStrides(), [](OpFoldResult o) { return isConstantIntValue(o, 1); }) &&
                         llvm::all_of(ArrayRef<OpFoldResult>(sv.getMixedOffsets()).drop_front(),
                                      [](OpFoldResult o) { return isConstantIntValue(o, 0); });
        if (!groupView)
          return;
        w = sv.getSource();
        F = st.getDimSize(0);
      }
      memref::GlobalOp g = filterGlobal(w, symbols);
      if (!g)
        return;
      if (cast<MemRefType>(g.getType()).getNumElements() != F * K)
        return;
      // [F][K] -> [ceil(F / W)][K][W]: panel p, row k holds the W filters
      // p * W ... of tap k (zeros past F).
      FlatSymbolRefAttr ref =
          getOrPack(packedFilters, g, "_fpanels", (F + W - 1) / W, K, numFilters, [&](const float *s, float *d) {
            for (int64_t f = 0; f < F; ++f)
              for (int64_t k = 0; k < K; ++k)
                d[((f / W) * K + k) * W + f % W] = s[f * K + k];
          });
      if (!ref)
        return;
      conv->setAttr(kiln::cpu::kPackedFilterAttr, ref);
      ++numConvs;
    });
  }
};

} // namespace
