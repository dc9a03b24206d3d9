//===- Winograd.cpp - 3x3 convolutions as Winograd F(m x m, 3 x 3) --------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// kiln-cpu-winograd (Passes.td) runs on buffers, before
// kiln-cpu-pack-weights.  A stride-1, undilated 3x3 f32
// `linalg.conv_2d_nchw_fchw` with a constant filter becomes Winograd's
// minimal filtering algorithm F(m x m, 3 x 3) (Lavin and Gray, 2016), with
// m = 4 (tiles of 6 x 6 input pixels, 4 x 4 outputs: 36 multiplies for
// 144 of the direct convolution) or m = 2 (4 x 4 -> 2 x 2: 16 for 36):
//
//   1. filter transform, at compile time: U[xi][f][c] = (G g[f][c] G^T)[xi]
//      for the a x a positions xi = (i, j), a = m + 2;
//   2. input transform, generated loops: for every channel c and tile t of
//      the output, V[xi][n][c][t] = (B^T d B)[xi] where d is the tile's
//      a x a input patch (zeros past the input's edge); vectors of 16
//      tiles: the m + 1 vectors of an input row that 16 patches span are
//      read with masked loads and split by shuffles into the patch columns
//      (a stride of m; LLVM scalarizes masked gathers on AMD's Zen 4, where
//      gathers made the input transform 25% of a 56x56 layer's time and
//      these loads 14%).  When the input is a zero-padded copy of another
//      buffer (PadSource), the transform reads that buffer instead and
//      the pad copy is erased;
//   3. a^2 products M[xi] = U[xi] V[xi] ([F, C] x [C, T]), each a 1x1
//      convolution of V[xi]'s tiles viewed as [1, C, T, 1] by the packed
//      convolution micro-kernel (the filter panels [a^2 * F / 32][C][32]
//      are made here; the zero init is the kernel's bias init, so M is
//      never filled);
//   4. output transform, generated loops: out[f][tile] = init + A^T
//      M[.][f][t] A, m output rows of m columns per tile, interleaved in
//      registers into contiguous vectors and stored with masked stores; the
//      init is the conv's bias init (Epilogue) or read from the output,
//      and the conv's cheap post op is applied before the store.
//
// Blocks of tile rows go through the three stages in turn (blockRows), the
// blocks on threads, when the transformed filter is small; otherwise an
// image is one block and each stage's own loop runs on threads.
//
// The mode option picks m: `f4`, `f2`, `off`, or `auto` (the default): a
// cost model (winogradTile) that compares the estimated time of the direct
// packed kernel with that of both transforms plus the a^2 products, from
// the layer's shape.  Error: the transforms are exact in real arithmetic;
// in f32 their error grows with the tile (matrices below; measured in
// docs/targets.md).
//
//===----------------------------------------------------------------------===//

#include "CPUPasses.h"
#include "kiln/Transforms/Statistics.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"

#include <cmath>
#include <cstring>
#include <vector>

namespace kiln::cpu {
#define GEN_PASS_DEF_CPUWINOGRAD
#include "Passes.h.inc"
} // namespace kiln::cpu

using namespace mlir;

namespace {

/// The matrices of F(m x m, 3 x 3): B^T [a][a], G [a][3], A^T [m][a]
/// (Toom-Cook on the interpolation points 0, 1, -1 and, for m = 4, 2 and
/// -1/2, plus the point at infinity).  For F(4x4) these points instead of
/// Lavin and Gray's 0, +-1, +-2 halve the mean f32 error and cut the
/// largest by 4 (10,000 random 64-channel tiles against a float64 direct
/// sum: mean 3.6e-6 vs 6.5e-6 of the output's mean magnitude, largest
/// 1.0e-5 vs 4.1e-5), for about a third more adds in the input transform
/// (B^T has 4 or 5 nonzeros per row instead of 3).
struct WinogradMatrices {
  int64_t m, a;
  std::vector<double> BT, G, AT;
};

const WinogradMatrices &matrices(int64_t m) {
  static const WinogradMatrices f2{2,
                                   4,
                                   {1, 0, -1, 0, 0, 1, 1, 0, 0, -1, 1, 0, 0, 1, 0, -1},
                                   {1, 0, 0, 0.5, 0.5, 0.5, 0.5, -0.5, 0.5, 0, 0, 1},
                                   {1, 1, 1, 0, 0, 1, -1, -1}};
  static const WinogradMatrices f4{
      4,
      6,
      {1, 1.5, -2, -1.5, 1, 0,  0, -1, -2.5, -0.5, 1, 0, 0, 1, 0.5, -2.5, 1, 0,
       0, -0.5, -1, 0.5, 1, 0,  0, 2, -1, -2, 1, 0,      0, 1, 1.5, -2, -1.5, 1},
      {1, 0, 0, -1.0 / 3, -1.0 / 3, -1.0 / 3, 1.0 / 3, -1.0 / 3, 1.0 / 3, 1.0 / 15, 2.0 / 15, 4.0 / 15,
       -16.0 / 15, 8.0 / 15, -4.0 / 15, 0, 0, 1},
      {1, 1, 1, 1, 1, 0, 0, 1, -1, 2, -0.5, 0, 0, 1, 1, 4, 0.25, 0, 0, 1, -1, 8, -0.125, 1}};
  return m == 4 ? f4 : f2;
}

/// The shape of a convolution Winograd can compute (N may be dynamic).
struct ConvShape {
  int64_t N, C, H, W, F, OH, OW;
};

/// Whether `conv` is a stride-1 undilated 3x3 f32 convolution on static
/// identity-layout buffers whose filter is a constant global; fills `s`.
memref::GlobalOp candidate(linalg::Conv2DNchwFchwOp conv, SymbolTable &symbols, ConvShape &s) {
  if (!conv.hasPureBufferSemantics())
    return {};
  if (!llvm::all_of(conv.getStrides().getValues<int64_t>(), [](int64_t v) { return v == 1; }) ||
      !llvm::all_of(conv.getDilations().getValues<int64_t>(), [](int64_t v) { return v == 1; }))
    return {};
  auto xt = cast<MemRefType>(conv.getDpsInputs()[0].getType());
  auto wt = cast<MemRefType>(conv.getDpsInputs()[1].getType());
  auto ot = cast<MemRefType>(conv.getDpsInits()[0].getType());
  // Every size static but the batch.
  for (MemRefType t : {xt, wt, ot})
    if (!t.getElementType().isF32() || !t.getLayout().isIdentity() ||
        llvm::any_of(t.getShape().drop_front(), ShapedType::isDynamic))
      return {};
  if (wt.isDynamicDim(0))
    return {};
  if (wt.getDimSize(2) != 3 || wt.getDimSize(3) != 3)
    return {};
  auto get = conv.getDpsInputs()[1].getDefiningOp<memref::GetGlobalOp>();
  if (!get)
    return {};
  memref::GlobalOp g = kiln::cpu::constantGlobal(get, symbols);
  if (!g)
    return {};
  s = {xt.getDimSize(0), xt.getDimSize(1), xt.getDimSize(2), xt.getDimSize(3),
       wt.getDimSize(0), ot.getDimSize(2), ot.getDimSize(3)};
  return g;
}

/// The estimated time (arbitrary units: f32 multiply-adds at the packed
/// kernel's rate) of the direct packed convolution and of F(m x m) on
/// shape `s`.  The a^2 products run on the same micro-kernel with K = C
/// instead of 9 C (same rate); each transformed element costs about
/// kTransformCost multiply-adds (its share of the masked loads and stores,
/// shuffles and the transform's adds); the tiles round the output up to a
/// multiple of m, and the products' pixel tiles up to 14.
constexpr double kTransformCost = 6.0;
int64_t batch(const ConvShape &s) { return ShapedType::isDynamic(s.N) ? 1 : s.N; }
double directCost(const ConvShape &s) {
  // Each output row rounded up to the kernel's columns per tile.
  int64_t gh, gw;
  kiln::cpu::packedConvPixels(s.OH, s.OW, gh, gw);
  double tiles = std::ceil(double(s.OW) / gw) * gw;
  return double(batch(s)) * s.F * s.C * 9 * s.OH * tiles;
}
double winogradCost(const ConvShape &s, int64_t m) {
  int64_t a = m + 2;
  double T = double(batch(s)) * std::ceil(double(s.OH) / m) * std::ceil(double(s.OW) / m);
  double Tp = std::ceil(T / 14) * 14;
  double Fp = std::ceil(double(s.F) / 32) * 32;
  double gemm = double(a * a) * Fp * s.C * Tp;
  double transforms = kTransformCost * double(a * a) * T * (s.C + s.F);
  return gemm + transforms;
}

/// The tile m for `s` under `mode`: 0 (direct), 2 or 4.
int64_t winogradTile(const ConvShape &s, StringRef mode) {
  if (mode == "f4")
    return 4;
  if (mode == "f2")
    return 2;
  if (mode != "auto")
    return 0;
  // Channels below 32 waste most of a filter panel.
  if (s.C < 32 || s.F < 32)
    return 0;
  double d = directCost(s), c2 = winogradCost(s, 2), c4 = winogradCost(s, 4);
  if (std::min(c2, c4) >= d)
    return 0;
  return c4 <= c2 ? 4 : 2;
}

/// A convolution's input that is a zero-padded copy of another buffer: a
/// fresh allocation that is filled with zeros, has `src` copied into its
/// interior at rows pt..., columns pl..., and is read by the convolution
/// only.  The input transform then reads `src` itself (rows and columns
/// outside it are zeros) and the copy is erased.
struct PadSource {
  Value src;
  int64_t pt = 0, pl = 0;
  SmallVector<Operation *> ops; // fill, subview, copy, deallocs
};

bool isZeroFill(Operation *op, Value buf) {
  Value v = kiln::cpu::fillYield(op, buf);
  return v && matchPattern(v, m_AnyZeroFloat());
}

PadSource padSource(linalg::Conv2DNchwFchwOp conv) {
  Value x = conv.getDpsInputs()[0];
  auto alloc = x.getDefiningOp<memref::AllocOp>();
  if (!alloc)
    return {};
  PadSource p;
  bool filled = false;
  for (Operation *u : alloc->getUsers()) {
    if (u == conv.getOperation())
      continue;
    if (isa<memref::DeallocOp>(u)) {
      p.ops.push_back(u);
      continue;
    }
    if (isZeroFill(u, x) && u->isBeforeInBlock(conv) && !filled) {
      filled = true;
      p.ops.push_back(u);
      continue;
    }
    auto sv = dyn_cast<memref::SubViewOp>(u);
    if (!sv || p.src || !sv->hasOneUse())
      return {};
    auto copy = dyn_cast<memref::CopyOp>(*sv->getUsers().begin());
    if (!copy || copy.getTarget() != sv.getResult() || !copy->isBeforeInBlock(conv))
      return {};
    auto st = cast<MemRefType>(copy.getSource().getType());
    if (!st.getLayout().isIdentity() || !sv.hasUnitStride() || st.isDynamicDim(2) || st.isDynamicDim(3))
      return {};
    ArrayRef<int64_t> offs = sv.getStaticOffsets();
    if (offs.size() != 4 || offs[0] != 0 || offs[1] != 0 || ShapedType::isDynamic(offs[2]) ||
        ShapedType::isDynamic(offs[3]))
      return {};
    p.src = copy.getSource();
    p.pt = offs[2];
    p.pl = offs[3];
    p.ops.push_back(copy);
    p.ops.push_back(sv);
  }
  if (!filled || !p.src)
    return {};
  return p;
}

/// The convolution's epilogue (NNToLinalg's `kiln.epilogue` ops), applied
/// by the output transform: `init` fills the output with the bias
/// broadcast over the channels right before the convolution (the
/// transform then starts from the bias instead of reading the output);
/// `act` is the element-wise post op right after it that reads the
/// output (ReLU, residual add...; its other inputs the output's shape or
/// per-channel), computed on the transform's vectors and stored to its own
/// result.  `scratch`: nothing else reads the output buffer, which is then
/// neither written nor kept.
struct Epilogue {
  linalg::GenericOp init, act;
  bool scratch = false;
};

bool isEpilogue(Operation *op) { return op && isa<linalg::GenericOp>(op) && op->hasAttr("kiln.epilogue"); }

/// The ops next to `op` that touch memory, skipping allocations.
Operation *effectfulNeighbor(Operation *op, bool after) {
  for (Operation *o = after ? op->getNextNode() : op->getPrevNode(); o; o = after ? o->getNextNode() : o->getPrevNode())
    if (!isMemoryEffectFree(o) && !isa<memref::AllocOp>(o))
      return o;
  return nullptr;
}

Epilogue epilogueOf(linalg::Conv2DNchwFchwOp conv) {
  Epilogue e;
  Value out = conv.getDpsInits()[0];
  auto ot = cast<MemRefType>(out.getType());
  MLIRContext *ctx = conv.getContext();
  AffineMap chanMap = AffineMap::get(4, 0, {getAffineDimExpr(1, ctx)}, ctx);
  auto f32Memref = [](Value v, int64_t rank) {
    auto t = cast<MemRefType>(v.getType());
    return t.getElementType().isF32() && t.getRank() == rank;
  };
  if (Operation *p = effectfulNeighbor(conv, false); isEpilogue(p)) {
    auto g = cast<linalg::GenericOp>(p);
    if (kiln::cpu::isChannelBroadcast(g) && g.getDpsInits()[0] == out)
      e.init = g;
  }
  if (Operation *n = effectfulNeighbor(conv, true); isEpilogue(n)) {
    auto g = cast<linalg::GenericOp>(n);
    bool ok = g.getNumDpsInits() == 1 && g.getDpsInits()[0].getType() == ot && g.getNumReductionLoops() == 0 &&
         llvm::count(g.getDpsInputs(), out) == 1 && kiln::cpu::isVectorizableElementwiseBody(g.getBody()) &&
         g.getBody()->getArgument(g.getNumDpsInputs()).use_empty();
    for (OpOperand *o : g.getDpsInputOperands()) {
      AffineMap m = g.getMatchingIndexingMap(o);
      ok = ok && ((m.isIdentity() && o->get().getType() == ot) || (m == chanMap && f32Memref(o->get(), 1)));
    }
    ok = ok && g.getIndexingMapsArray().back().isIdentity();
    // Its result buffer must exist before the convolution (an allocation
    // in between is moved up).
    if (ok)
      if (Operation *d = g.getDpsInits()[0].getDefiningOp(); d && !d->isBeforeInBlock(conv))
        ok = isa<memref::AllocOp>(d) && d->getNumOperands() == 0 && d->getBlock() == conv->getBlock();
    if (ok)
      e.act = g;
  }
  if (e.act && e.act.getDpsInits()[0] != out)
    if (auto alloc = out.getDefiningOp<memref::AllocOp>())
      e.scratch = kiln::cpu::rawResultUnread(alloc, conv, e.init, e.act);
  return e;
}

/// The tile rows per block of the staged computation (rewrite), a divisor
/// of TH: blocks of at most kBlockBytes of V and M when the transformed
/// filter (read once per block) is at most kBlockFilterBytes, else TH (one
/// block per image, each stage over all of it).
constexpr int64_t kBlockBytes = 512 * 1024, kBlockFilterBytes = 1024 * 1024;
int64_t blockRows(const ConvShape &s, int64_t m, int64_t TH, int64_t TW) {
  int64_t a2 = (m + 2) * (m + 2), Fp = (s.F + 31) / 32 * 32;
  if (a2 * Fp * s.C * 4 > kBlockFilterBytes)
    return TH;
  int64_t perRow = a2 * (s.C + Fp) * 4 * TW, best = 1;
  for (int64_t r = 1; r <= TH; ++r)
    if (TH % r == 0 && r * perRow <= kBlockBytes)
      best = r;
  return best;
}

/// sum_k coeffs[k] * vals[k] over the nonzero coefficients (adds and
/// subtracts for +-1), or `zero` when all are zero.
Value combine(OpBuilder &b, Location loc, ArrayRef<double> coeffs, ArrayRef<Value> vals, Value zero) {
  Value acc;
  auto vt = cast<VectorType>(zero.getType());
  for (auto [c, v] : llvm::zip(coeffs, vals)) {
    if (c == 0)
      continue;
    if (!acc) {
      if (c == 1)
        acc = v;
      else if (c == -1)
        acc = arith::NegFOp::create(b, loc, v);
      else
        acc = arith::MulFOp::create(
            b, loc, v, arith::ConstantOp::create(b, loc, vt, DenseElementsAttr::get(vt, float(c))));
      continue;
    }
    if (c == 1)
      acc = arith::AddFOp::create(b, loc, acc, v);
    else if (c == -1)
      acc = arith::SubFOp::create(b, loc, acc, v);
    else
      acc = vector::FMAOp::create(b, loc, arith::ConstantOp::create(b, loc, vt, DenseElementsAttr::get(vt, float(c))),
                                  v, acc);
  }
  return acc ? acc : zero;
}

constexpr int64_t L = 16; // lanes: tiles per vector

/// Rewrites `conv` (shape `s`, filter data `g`) as F(m x m, 3 x 3).
LogicalResult rewrite(linalg::Conv2DNchwFchwOp conv, memref::GlobalOp g, const ConvShape &s, int64_t m,
                      bool blocked, SymbolTable &symbols) {
  // The input transform reads the unpadded source when the input is a
  // padded copy (PadSource), the input itself otherwise.
  PadSource pad = padSource(conv);
  Value src = pad.src ? pad.src : conv.getDpsInputs()[0];
  auto srcT = cast<MemRefType>(src.getType());
  const int64_t srcH = srcT.getDimSize(2), srcW = srcT.getDimSize(3), chunks = m + 1;
  const WinogradMatrices &wm = matrices(m);
  const int64_t a = wm.a, A2 = a * a, PW = kiln::cpu::kMatmulPanelWidth;
  const int64_t TH = (s.OH + m - 1) / m, TW = (s.OW + m - 1) / m;
  const int64_t P = (s.F + PW - 1) / PW, Fp = P * PW;
  int64_t n = s.F * s.C * 9;
  std::vector<char> storage;
  ArrayRef<char> raw = kiln::cpu::rawConstantData(g, Float32Type::get(g.getContext()), n, storage);
  if (raw.size() != size_t(n) * sizeof(float))
    return failure();
  const float *gw = reinterpret_cast<const float *>(raw.data());

  // 1. U[xi][f][c] (f < F; zeros up to Fp), and the same in panels
  //    [A2 * P][C][32] (panel xi * P + f / 32, row c, lane f % 32).
  AsmResourceBlob ublob = kiln::cpu::zeroedPanels(A2 * Fp, s.C, 1);
  AsmResourceBlob pblob = kiln::cpu::zeroedPanels(A2 * P, s.C, PW);
  float *u = reinterpret_cast<float *>(ublob.getMutableData().data());
  float *pn = reinterpret_cast<float *>(pblob.getMutableData().data());
  for (int64_t f = 0; f < s.F; ++f)
    for (int64_t c = 0; c < s.C; ++c) {
      const float *k = gw + (f * s.C + c) * 9;
      // Gg (a x 3), then (Gg) G^T (a x a), in double.
      double gg[6][3];
      for (int64_t i = 0; i < a; ++i)
        for (int64_t q = 0; q < 3; ++q)
          gg[i][q] = wm.G[i * 3 + 0] * k[0 * 3 + q] + wm.G[i * 3 + 1] * k[1 * 3 + q] + wm.G[i * 3 + 2] * k[2 * 3 + q];
      for (int64_t i = 0; i < a; ++i)
        for (int64_t j = 0; j < a; ++j) {
          double v = gg[i][0] * wm.G[j * 3 + 0] + gg[i][1] * wm.G[j * 3 + 1] + gg[i][2] * wm.G[j * 3 + 2];
          int64_t xi = i * a + j;
          u[(xi * Fp + f) * s.C + c] = float(v);
          pn[((xi * P + f / PW) * s.C + c) * PW + f % PW] = float(v);
        }
    }
  std::string base = g.getSymName().str() + "_wino" + std::to_string(m);
  FlatSymbolRefAttr uRef = kiln::cpu::addPanelsGlobal(g, base, A2 * Fp, s.C, 1, std::move(ublob), symbols);
  FlatSymbolRefAttr pRef = kiln::cpu::addPanelsGlobal(g, base + "_fpanels", A2 * P, s.C, PW, std::move(pblob), symbols);

  OpBuilder b(conv);
  Location loc = conv.getLoc();
  MLIRContext *ctx = b.getContext();
  Type f32 = b.getF32Type(), i32 = b.getI32Type();
  auto vt = VectorType::get({L}, f32);
  auto it = VectorType::get({L}, i32);
  auto mt = VectorType::get({L}, b.getI1Type());
  auto cIdx = [&](int64_t v) -> Value { return arith::ConstantIndexOp::create(b, loc, v); };
  auto cI32 = [&](int64_t v) -> Value {
    return arith::ConstantOp::create(b, loc, it, DenseElementsAttr::get(it, int32_t(v)));
  };
  Value zeroV = arith::ConstantOp::create(b, loc, vt, DenseElementsAttr::get(vt, 0.0f));
  SmallVector<int32_t> laneInit;
  for (int64_t l = 0; l < L; ++l)
    laneInit.push_back(int32_t(l));
  Value lanes = arith::ConstantOp::create(b, loc, it, DenseElementsAttr::get(it, ArrayRef<int32_t>(laneInit)));
  Value x = conv.getDpsInputs()[0], out = conv.getDpsInits()[0];
  Value c0 = cIdx(0), c1 = cIdx(1);

  // Loops: scf.for with the builder inside the body; `parallel` marks the
  // loop for kiln-cpu-parallelize.
  auto loopTo = [&](Value ub, int64_t step, bool parallel, function_ref<void(Value)> body) {
    auto f = scf::ForOp::create(b, loc, c0, ub, cIdx(step));
    if (parallel)
      f->setAttr(kiln::cpu::kParallelAttr, b.getUnitAttr());
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(f.getBody());
    body(f.getInductionVar());
    return f;
  };
  auto loop = [&](int64_t ub, int64_t step, bool parallel, function_ref<void(Value)> body) {
    loopTo(cIdx(ub), step, parallel, body);
  };
  // The batch (dynamic where the model's is).
  Value nDim = memref::DimOp::create(b, loc, src, 0);
  // The mask of the tiles twb ... twb + 15 of a tile row that are < TW.
  auto tileMask = [&](Value twb) -> Value {
    Value t = arith::IndexCastOp::create(b, loc, i32, twb);
    Value tw = arith::AddIOp::create(b, loc, vector::BroadcastOp::create(b, loc, it, t), lanes);
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, tw, cI32(TW));
  };
  // The index of tile (th, twb) in an image: th * TW + twb.
  auto tileIndex = [&](Value th, Value twb) -> Value {
    return arith::AddIOp::create(b, loc, arith::MulIOp::create(b, loc, th, cIdx(TW)), twb);
  };
  // Row `row` clamped into [0, limit) and whether it was inside, as a
  // vector mask.
  auto rowIn = [&](Value row, int64_t limit, Value &clamped, Value &okV) {
    Value ok = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, row, cIdx(limit));
    clamped = arith::SelectOp::create(b, loc, ok, row, c0);
    okV = vector::BroadcastOp::create(b, loc, mt, ok);
  };

  // Blocks of RB tile rows (RB divides TH) go through the three stages in
  // turn, so that their part of V and M is still in cache when the next
  // stage reads it, and the blocks run on threads.  Only where the
  // transformed filter is small (it is read once per block):
  // blockRows.  RB = TH (one block per image) leaves the stages' own loops
  // to the threads.
  const int64_t RB = blocked ? blockRows(s, m, TH, TW) : TH, NB = TH / RB, BT = RB * TW;
  Value nBlocks = arith::MulIOp::create(b, loc, nDim, cIdx(NB));

  // 2. Input transform.  V [a^2, N * NB, C, BT] and M [a^2, N * NB, Fp, BT]:
  // block j of image n is "batch" n * NB + j, so that each block's part of
  // V and M for one position is one contiguous [C or Fp, BT] run (blocks on
  // different threads share no cache line but at the runs' ends; with the
  // tiles of all blocks in one row, two threads wrote the same lines of
  // every row: SqueezeNet's 13x13 and 27x27 layers took twice as long on 2
  // threads as on 1).
  int64_t nb = ShapedType::isDynamic(s.N) ? ShapedType::kDynamic : s.N * NB;
  auto vType = MemRefType::get({A2, nb, s.C, BT}, f32);
  SmallVector<Value> dynN;
  if (ShapedType::isDynamic(s.N))
    dynN.push_back(nBlocks);
  Value V = memref::AllocOp::create(b, loc, vType, dynN, b.getI64IntegerAttr(64));
  auto mType = MemRefType::get({A2, nb, Fp, BT}, f32);
  Value M = memref::AllocOp::create(b, loc, mType, dynN, b.getI64IntegerAttr(64));
  auto zType = MemRefType::get({Fp}, f32);
  std::string zName = base + "_zero";
  OpBuilder gb(g);
  gb.setInsertionPointAfter(g);
  auto zg = memref::GlobalOp::create(gb, loc, zName, gb.getStringAttr("private"), zType,
                                     DenseElementsAttr::get(RankedTensorType::get({Fp}, f32), 0.0f),
                                     /*constant=*/true, gb.getI64IntegerAttr(64));
  symbols.insert(zg);
  Epilogue epi = epilogueOf(conv);
  if (epi.act)
    if (Operation *d = epi.act.getDpsInits()[0].getDefiningOp(); d && !d->isBeforeInBlock(conv))
      d->moveBefore(V.getDefiningOp());

  // With one block per image, the loop over images (dynamic at a dynamic
  // batch) stays sequential and the stages' loops inside it take the
  // threads (kiln.batch_loop; as a plain loop it kept them all sequential:
  // ResNet-50's 14x14 and 28x28 3x3 layers ran as fast on 2 threads as on
  // 1).
  scf::ForOp blockLoop = loopTo(nBlocks, 1, NB > 1, [&](Value blockIdx) {
    Value nIdx = arith::DivUIOp::create(b, loc, blockIdx, cIdx(NB));
    Value th0 = arith::MulIOp::create(b, loc, arith::RemUIOp::create(b, loc, blockIdx, cIdx(NB)), cIdx(RB));
    Value t0 = arith::MulIOp::create(b, loc, th0, cIdx(TW));
    auto blockRowsLoop = [&](function_ref<void(Value)> body) {
      auto f = scf::ForOp::create(b, loc, th0, arith::AddIOp::create(b, loc, th0, cIdx(RB)), c1);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(f.getBody());
      body(f.getInductionVar());
    };
    loop(s.C, 1, NB == 1, [&](Value c) {
      blockRowsLoop([&](Value th) {
        loop(TW, L, false, [&](Value twb) {
          Value ok = tileMask(twb);
          // The patch columns of the 16 tiles, m * tw + l (l < a), are
          // 16 m + a - m consecutive input columns from m * twb - pl:
          // loaded as `chunks` vectors (masked past the row's ends), then
          // split by shuffles into d[.][l] (lane t: column m t + l).
          Value colStart = arith::SubIOp::create(b, loc, arith::MulIOp::create(b, loc, twb, cIdx(m)), cIdx(pad.pl));
          SmallVector<Value> chunkAt(chunks), chunkMask(chunks);
          Value negStart = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, colStart, c0);
          for (int64_t q = 0; q < chunks; ++q) {
            // (Only chunk 0 of the first vector of a row starts before the
            // row, by pl: loaded from column 0 and shifted below.)
            Value at = arith::AddIOp::create(b, loc, colStart, cIdx(L * q));
            if (q == 0)
              at = arith::MaxSIOp::create(b, loc, at, c0);
            chunkAt[q] = at;
            Value colV = arith::AddIOp::create(
                b, loc, vector::BroadcastOp::create(b, loc, it, arith::IndexCastOp::create(b, loc, i32, at)), lanes);
            chunkMask[q] = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, colV, cI32(srcW));
          }
          Value row0 = arith::SubIOp::create(b, loc, arith::MulIOp::create(b, loc, th, cIdx(m)), cIdx(pad.pt));
          // d[k][l]: input row m th + k, column m tw + l.
          SmallVector<SmallVector<Value>> d(a, SmallVector<Value>(a));
          for (int64_t k = 0; k < a; ++k) {
            Value row = arith::AddIOp::create(b, loc, row0, cIdx(k));
            Value rowOk = arith::AndIOp::create(
                b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, row, c0),
                arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, row, cIdx(srcH)));
            row = arith::SelectOp::create(b, loc, rowOk, row, c0);
            Value rowOkV = vector::BroadcastOp::create(b, loc, mt, rowOk);
            SmallVector<Value> ch(chunks);
            for (int64_t q = 0; q < chunks; ++q)
              ch[q] = vector::MaskedLoadOp::create(b, loc, vt, src, ValueRange{nIdx, c, row, chunkAt[q]},
                                                   arith::AndIOp::create(b, loc, chunkMask[q], rowOkV), zeroV);
            if (pad.pl > 0) {
              SmallVector<int64_t> shift;
              for (int64_t e = 0; e < L; ++e)
                shift.push_back(e < pad.pl ? 0 : L + e - pad.pl);
              Value shifted = vector::ShuffleOp::create(b, loc, zeroV, ch[0], shift);
              ch[0] = arith::SelectOp::create(b, loc, negStart, shifted, ch[0]);
            }
            for (int64_t l = 0; l < m; ++l) {
              // Lane t: element m t + l of ch[0 .. m - 1].
              if (m == 2) {
                SmallVector<int64_t> idx;
                for (int64_t t = 0; t < L; ++t)
                  idx.push_back(2 * t + l);
                d[k][l] = vector::ShuffleOp::create(b, loc, ch[0], ch[1], idx);
              } else {
                SmallVector<int64_t> idx;
                for (int64_t t = 0; t < L / 2; ++t)
                  idx.push_back(4 * t + l);
                Value lo = vector::ShuffleOp::create(b, loc, ch[0], ch[1], idx);
                Value hi = vector::ShuffleOp::create(b, loc, ch[2], ch[3], idx);
                SmallVector<int64_t> cat;
                for (int64_t t = 0; t < L; ++t)
                  cat.push_back(t);
                d[k][l] = vector::ShuffleOp::create(b, loc, lo, hi, cat);
              }
            }
            // Columns m t + l for l >= m: column m (t + 1) + l - m, the
            // next tile's; the last lane's is chunk m's first elements.
            for (int64_t l = m; l < a; ++l) {
              SmallVector<int64_t> idx;
              for (int64_t t = 0; t + 1 < L; ++t)
                idx.push_back(t + 1);
              idx.push_back(L + l - m);
              d[k][l] = vector::ShuffleOp::create(b, loc, d[k][l - m], ch[m], idx);
            }
          }
          // t = B^T d (rows), V = t B (columns).
          SmallVector<SmallVector<Value>> t(a, SmallVector<Value>(a));
          for (int64_t i = 0; i < a; ++i)
            for (int64_t l = 0; l < a; ++l) {
              SmallVector<Value> colK;
              for (int64_t k = 0; k < a; ++k)
                colK.push_back(d[k][l]);
              t[i][l] = combine(b, loc, ArrayRef<double>(wm.BT).slice(i * a, a), colK, zeroV);
            }
          Value tIdx = arith::SubIOp::create(b, loc, tileIndex(th, twb), t0);
          for (int64_t i = 0; i < a; ++i)
            for (int64_t j = 0; j < a; ++j) {
              Value v = combine(b, loc, ArrayRef<double>(wm.BT).slice(j * a, a), t[i], zeroV);
              vector::MaskedStoreOp::create(b, loc, V, ValueRange{cIdx(i * a + j), blockIdx, c, tIdx}, ok, v);
            }
        });
      });
    });

    // 3. The a^2 products of the block's BT tiles, 1x1 convolutions on
    //    [1, C, BT, 1] views.
    loop(A2, 1, NB == 1, [&](Value xi) {
    Value uAll = memref::ExpandShapeOp::create(
        b, loc, ArrayRef<int64_t>{A2 * Fp, s.C, 1, 1},
        memref::GetGlobalOp::create(b, loc, MemRefType::get({A2 * Fp, s.C, 1}, f32), uRef.getAttr()),
        ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
    Value zeros = memref::GetGlobalOp::create(b, loc, zType, zg.getSymNameAttr());
    // buf[xi, block, :, :] as [1, rows, BT, 1].
    auto view3 = [&](Value buf, int64_t rows) -> Value {
      SmallVector<OpFoldResult> offs{xi, blockIdx, b.getIndexAttr(0), b.getIndexAttr(0)};
      SmallVector<OpFoldResult> sizes{b.getIndexAttr(1), b.getIndexAttr(1), b.getIndexAttr(rows), b.getIndexAttr(BT)};
      SmallVector<OpFoldResult> ones(4, b.getIndexAttr(1));
      auto rt = memref::SubViewOp::inferRankReducedResultType({rows, BT}, cast<MemRefType>(buf.getType()), offs,
                                                              sizes, ones);
      Value sv = memref::SubViewOp::create(b, loc, cast<MemRefType>(rt), buf, offs, sizes, ones);
      return memref::ExpandShapeOp::create(b, loc, ArrayRef<int64_t>{1, rows, BT, 1}, sv,
                                           ArrayRef<ReassociationIndices>{{0, 1}, {2, 3}});
    };
    Value vx = view3(V, s.C), mx = view3(M, Fp);
    Value fOff = arith::MulIOp::create(b, loc, xi, cIdx(Fp));
    SmallVector<OpFoldResult> wo{fOff, b.getIndexAttr(0), b.getIndexAttr(0), b.getIndexAttr(0)};
    SmallVector<OpFoldResult> ws{b.getIndexAttr(Fp), b.getIndexAttr(s.C), b.getIndexAttr(1), b.getIndexAttr(1)};
    SmallVector<OpFoldResult> w1(4, b.getIndexAttr(1));
    Value wx = memref::SubViewOp::create(b, loc, uAll, wo, ws, w1);
    // The zero init, in the form the packed kernel starts its
    // accumulators from (a bias broadcast over the channels).
    AffineExpr d0, d1, d2, d3;
    bindDims(ctx, d0, d1, d2, d3);
    auto init = linalg::GenericOp::create(
        b, loc, ValueRange{zeros}, ValueRange{mx},
        ArrayRef<AffineMap>{AffineMap::get(4, 0, {d1}, ctx), AffineMap::getMultiDimIdentityMap(4, ctx)},
        SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel),
        [](OpBuilder &nb, Location nl, ValueRange args) { linalg::YieldOp::create(nb, nl, args[0]); });
    init->setAttr("kiln.epilogue", b.getUnitAttr());
    auto ones = DenseIntElementsAttr::get(RankedTensorType::get({2}, b.getI64Type()), ArrayRef<int64_t>{1, 1});
    auto mm = linalg::Conv2DNchwFchwOp::create(b, loc, TypeRange{}, ValueRange{vx, wx}, ValueRange{mx}, ones, ones);
    mm->setAttr(kiln::cpu::kPackedFilterAttr, pRef);
    });

    // 4. Output transform of the block, with the epilogue.
    loop(s.F, 1, NB == 1, [&](Value f) {
      Value bias;
      if (epi.init)
        bias = vector::BroadcastOp::create(b, loc, vt,
                                           memref::LoadOp::create(b, loc, epi.init.getDpsInputs()[0], ValueRange{f}));
      blockRowsLoop([&](Value th) {
        loop(TW, L, false, [&](Value twb) {
          Value ok = tileMask(twb);
          Value tIdx = arith::SubIOp::create(b, loc, tileIndex(th, twb), t0);
          SmallVector<Value> mv(A2);
          for (int64_t xi = 0; xi < A2; ++xi)
            mv[xi] = vector::MaskedLoadOp::create(b, loc, vt, M, ValueRange{cIdx(xi), blockIdx, f, tIdx}, ok, zeroV);
          // s = M A (a x m), y = A^T s (m x m).
          SmallVector<SmallVector<Value>> sm(a, SmallVector<Value>(m));
          for (int64_t i = 0; i < a; ++i)
            for (int64_t q = 0; q < m; ++q)
              sm[i][q] = combine(b, loc, ArrayRef<double>(wm.AT).slice(q * a, a),
                                 ArrayRef<Value>(mv).slice(i * a, a), zeroV);
          Value row0 = arith::MulIOp::create(b, loc, th, cIdx(m));
          Value colBase = arith::MulIOp::create(b, loc, twb, cIdx(m));
          for (int64_t r = 0; r < m; ++r) {
            SmallVector<Value> y(m);
            for (int64_t q = 0; q < m; ++q) {
              SmallVector<Value> colI;
              for (int64_t i = 0; i < a; ++i)
                colI.push_back(sm[i][q]);
              y[q] = combine(b, loc, ArrayRef<double>(wm.AT).slice(r * a, a), colI, zeroV);
            }
            // Interleave: z[h][e] = y[(16 h + e) % m][(16 h + e) / m].
            SmallVector<Value> z(m);
            if (m == 2) {
              for (int64_t h = 0; h < 2; ++h) {
                SmallVector<int64_t> idx;
                for (int64_t e = 0; e < L; ++e) {
                  int64_t p = L * h + e;
                  idx.push_back((p % 2) * L + p / 2);
                }
                z[h] = vector::ShuffleOp::create(b, loc, y[0], y[1], idx);
              }
            } else {
              SmallVector<int64_t> inter;
              for (int64_t e = 0; e < L; ++e) {
                inter.push_back(e);
                inter.push_back(L + e);
              }
              Value p01 = vector::ShuffleOp::create(b, loc, y[0], y[1], inter);
              Value p23 = vector::ShuffleOp::create(b, loc, y[2], y[3], inter);
              for (int64_t h = 0; h < 4; ++h) {
                SmallVector<int64_t> idx;
                for (int64_t e = 0; e < L; ++e) {
                  int64_t p = L * h + e, tt = p / 4, q = p % 4;
                  idx.push_back(q < 2 ? 2 * tt + q : 2 * L + 2 * tt + q - 2);
                }
                z[h] = vector::ShuffleOp::create(b, loc, p01, p23, idx);
              }
            }
            Value row, rowOk;
            rowIn(arith::AddIOp::create(b, loc, row0, cIdx(r)), s.OH, row, rowOk);
            for (int64_t h = 0; h < m; ++h) {
              Value col = arith::AddIOp::create(b, loc, colBase, cIdx(L * h));
              Value colV = arith::AddIOp::create(
                  b, loc, vector::BroadcastOp::create(b, loc, it, arith::IndexCastOp::create(b, loc, i32, col)),
                  lanes);
              Value mask = arith::AndIOp::create(
                  b, loc, rowOk, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, colV, cI32(s.OW)));
              // Columns past OW are masked; the index itself stays inside
              // the row's buffer when some lane is live.
              Value colC = arith::MinSIOp::create(b, loc, col, cIdx(s.OW - 1));
              SmallVector<Value> at{nIdx, f, row, colC};
              Value start = bias ? bias : vector::MaskedLoadOp::create(b, loc, vt, out, at, mask, zeroV);
              Value y = arith::AddFOp::create(b, loc, start, z[h]);
              if (!epi.scratch)
                vector::MaskedStoreOp::create(b, loc, out, at, mask, y);
              if (!epi.act)
                continue;
              SmallVector<Value> args;
              for (Value in : epi.act.getDpsInputs()) {
                if (in == out)
                  args.push_back(y);
                else if (cast<MemRefType>(in.getType()).getRank() == 4)
                  args.push_back(vector::MaskedLoadOp::create(b, loc, vt, in, at, mask, zeroV));
                else
                  args.push_back(
                      vector::BroadcastOp::create(b, loc, vt, memref::LoadOp::create(b, loc, in, ValueRange{f})));
              }
              vector::MaskedStoreOp::create(
                  b, loc, epi.act.getDpsInits()[0], at, mask,
                  kiln::cpu::vectorizeElementwiseBody(b, loc, epi.act.getBody(), args, L));
            }
          }
        });
      });
    });
  });
  if (NB == 1)
    blockLoop->setAttr(kiln::cpu::kBatchLoopAttr, b.getUnitAttr());
  memref::DeallocOp::create(b, loc, V);
  memref::DeallocOp::create(b, loc, M);
  conv.erase();
  if (epi.init)
    epi.init.erase();
  if (epi.act)
    epi.act.erase();
  // A scratch output that nothing else uses (its deallocation aside) goes
  // away; one that bufferization shares with other results stays.
  if (Operation *alloc = epi.scratch ? out.getDefiningOp() : nullptr;
      alloc && llvm::all_of(alloc->getUsers(), [](Operation *u) { return isa<memref::DeallocOp>(u); })) {
    for (Operation *u : llvm::make_early_inc_range(alloc->getUsers()))
      u->erase();
    alloc->erase();
  }
  if (pad.src) {
    Operation *alloc = x.getDefiningOp();
    // Copy before subview (the copy uses it), deallocs, fill, then alloc.
    for (Operation *op : pad.ops)
      op->erase();
    alloc->erase();
  }
  return success();
}

struct WinogradPass : kiln::cpu::impl::CPUWinogradBase<WinogradPass> {
  using CPUWinogradBase::CPUWinogradBase;
  void runOnOperation() override {
    ModuleOp mod = getOperation();
    if (mode != "auto" && mode != "off" && mode != "f2" && mode != "f4") {
      mod.emitError() << "kiln-cpu-winograd: unknown mode '" << mode << "' (expected auto, off, f2 or f4)";
      return signalPassFailure();
    }
    if (mode == "off")
      return;
    SymbolTable symbols(mod);
    std::atomic<uint64_t> &num2 =
        kiln::passStatistic(getArgument(), "convs-f2", "3x3 convolutions computed as Winograd F(2x2, 3x3)");
    std::atomic<uint64_t> &num4 =
        kiln::passStatistic(getArgument(), "convs-f4", "3x3 convolutions computed as Winograd F(4x4, 3x3)");
    SmallVector<linalg::Conv2DNchwFchwOp> convs;
    mod.walk([&](linalg::Conv2DNchwFchwOp c) { convs.push_back(c); });
    for (linalg::Conv2DNchwFchwOp conv : convs) {
      ConvShape s;
      memref::GlobalOp g = candidate(conv, symbols, s);
      if (!g)
        continue;
      int64_t m = winogradTile(s, mode);
      if (m == 0)
        continue;
      if (succeeded(rewrite(conv, g, s, m, block, symbols)))
        ++(m == 4 ? num4 : num2);
    }
  }
};

} // namespace
