//===- TileAndVectorize.cpp - tiling and vectorization for CPUs -----------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Tensor level (before bufferization):
//   1. every linalg op is tiled with scf.for loops (scf::tileUsingSCF) so
//      that each tile has static, register-sized extents: unit tiles on outer
//      dims, a divisor of the innermost extents (bounded by the vector
//      budget) on the inner ones;
//   2. 2-D convolutions and poolings whose window-height and output-height
//      tiles are 1 are decomposed to 1-D ones (upstream patterns);
//   3. each tile is vectorized with linalg::vectorize; ops the vectorizer
//      cannot handle stay as (tiled) scalar loops.
// After bufferization, kiln-cpu-lower-vectors (LowerVectors.cpp) lowers the
// vectors.
//
//===----------------------------------------------------------------------===//

#include "CPUPasses.h"
#include "kiln/Transforms/Statistics.h"

namespace kiln::cpu {
#define GEN_PASS_DEF_CPUTILEANDVECTORIZE
#include "Passes.h.inc"
} // namespace kiln::cpu

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorTransforms.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/TypeSwitch.h"

#include <optional>
#include <type_traits>

using namespace mlir;

int64_t kiln::cpu::iterationWork(linalg::LinalgOp op) {
  int64_t w = 1;
  for (int64_t r : op.getStaticLoopRanges())
    if (!ShapedType::isDynamic(r) && r > 0)
      w = w > (int64_t(1) << 40) / r ? (int64_t(1) << 40) : w * r;
  return w;
}

Value kiln::cpu::bufferRoot(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (isa<memref::SubViewOp, memref::ExpandShapeOp, memref::CollapseShapeOp, memref::CastOp,
            memref::ReinterpretCastOp>(def))
      v = def->getOperand(0);
    else
      break;
  }
  return v;
}

bool kiln::cpu::overwritesAll(Operation *op, Value buf) {
  if (auto f = dyn_cast<linalg::FillOp>(op))
    return f.getDpsInits()[0] == buf;
  auto l = dyn_cast<linalg::LinalgOp>(op);
  if (!l || l.getNumDpsInits() != 1 || l.getDpsInits()[0] != buf || l.getNumLoops() != l.getNumParallelLoops())
    return false;
  OpOperand *init = l.getDpsInitOperand(0);
  return l.getMatchingIndexingMap(init).isIdentity() && !l.payloadUsesValueFromOperand(init) &&
         llvm::none_of(l.getDpsInputs(), [&](Value v) { return kiln::cpu::bufferRoot(v) == buf; });
}

bool kiln::cpu::rawResultUnread(memref::AllocOp alloc, Operation *op, Operation *init, Operation *act) {
  if (!alloc || !op || !act || act->getBlock() != op->getBlock() || !op->isBeforeInBlock(act) ||
      (init && (init->getBlock() != op->getBlock() || !init->isBeforeInBlock(op))))
    return false;
  Block *block = op->getBlock();
  Value buf = alloc.getResult();
  // Whether `init` overwrites every element of the buffer.
  bool initWritesAll = init && overwritesAll(init, buf);
  // The first top-level op after `act` that uses the buffer (through
  // views): if it overwrites all of it, nothing later reads the raw result.
  Operation *firstAfter = nullptr;
  std::function<void(Operation *)> visit = [&](Operation *u) {
    if (isa<ViewLikeOpInterface>(u))
      for (Operation *v : u->getUsers())
        visit(v);
    Operation *a = block->findAncestorOpInBlock(*u);
    if (a && act->isBeforeInBlock(a) && !isa<memref::DeallocOp>(a) &&
        (!firstAfter || a->isBeforeInBlock(firstAfter)))
      firstAfter = a;
  };
  for (Operation *u : alloc->getUsers())
    visit(u);
  bool laterOverwrite = firstAfter && overwritesAll(firstAfter, buf);
  // A use whose top-level op comes before `init` (whose views are used
  // before it only), or after the later overwrite.
  std::function<bool(Operation *)> allowed = [&](Operation *u) -> bool {
    if (u == op || u == init || u == act || isa<memref::DeallocOp>(u))
      return true;
    Operation *a = block->findAncestorOpInBlock(*u);
    if (!a)
      return false;
    if (isa<ViewLikeOpInterface>(u))
      return llvm::all_of(u->getUsers(), allowed);
    if (initWritesAll && a->isBeforeInBlock(init))
      return true;
    return laterOverwrite && (a == firstAfter || firstAfter->isBeforeInBlock(a));
  };
  return llvm::all_of(alloc->getUsers(), allowed);
}

namespace {

using kiln::cpu::bufferRoot;
using kiln::cpu::iterationWork;
using kiln::cpu::kEpilogueAttr;
using kiln::cpu::kMinParallelWork;

/// Tiling options for scf::tileUsingSCF: static tile sizes `ts` (0: the
/// dim is not tiled), scf.for loops.
scf::SCFTilingOptions forLoopTiling(OpBuilder &b, ArrayRef<int64_t> ts) {
  scf::SCFTilingOptions opts;
  SmallVector<OpFoldResult> sizes;
  for (int64_t t : ts)
    sizes.push_back(b.getIndexAttr(t));
  opts.setTileSizes(sizes);
  opts.setLoopType(scf::SCFTilingOptions::LoopType::ForOp);
  return opts;
}

/// Whether `op`'s tile loops should run on threads: 0 (yes), -1 (no), or,
/// for an op with dynamic extents whose static work (the dynamic extents
/// counted as 1) is under kMinParallelWork but at least 1/64 of it, the
/// product of the run-time trip counts that makes up the difference
/// (kParallelMinTripsAttr: decided at run time).  With the dynamic extents
/// counted as 1, ViT-B/16's softmax ([batch x 12, 197, 197]) and transposes
/// ran on one thread at every batch.
int64_t parallelMinTrips(linalg::LinalgOp op) {
  int64_t w = iterationWork(op);
  if (w >= kMinParallelWork)
    return 0;
  bool dynamic = llvm::any_of(op.getStaticLoopRanges(), ShapedType::isDynamic);
  if (!dynamic || w * 64 < kMinParallelWork)
    return -1;
  return (kMinParallelWork + w - 1) / w;
}

/// Marks the tile loop `l` to run on threads by `minTrips`
/// (parallelMinTrips): unconditionally (0) or at run time (> 0).
void markParallel(RewriterBase &rewriter, Operation *l, int64_t minTrips) {
  if (!l || minTrips < 0)
    return;
  l->setAttr(kiln::cpu::kParallelAttr, rewriter.getUnitAttr());
  if (minTrips > 0)
    l->setAttr(kiln::cpu::kParallelMinTripsAttr, rewriter.getI64IntegerAttr(minTrips));
}

/// Largest divisor of `n` that is <= `cap` (n static and > 0).
int64_t divisorAtMost(int64_t n, int64_t cap) {
  for (int64_t t = std::min(n, cap); t > 1; --t)
    if (n % t == 0)
      return t;
  return 1;
}

/// Tile size for a loop of static extent `n` (0 = do not tile).
int64_t fit(int64_t n, int64_t cap) {
  if (ShapedType::isDynamic(n))
    return 1;
  if (n <= cap)
    return 0;
  return divisorAtMost(n, cap);
}

/// The convolution micro-kernel's tile: `rows` filters (output channels) x
/// one whole output row, computed in column chunks of 2 * kConvLanes, then
/// powers of two down to one register (56 = 32 + 16 + 8, 28 = 16 + 12):
/// multi-register vector lengths that are not powers of two made LLVM
/// assemble the accumulators element by element (measured: 28-wide chunks
/// ran at less than half the speed).  `depth`:
/// the channel block of one step of rank-1 updates.
struct ConvTile {
  int64_t rows = 0, depth = 0;
  /// A narrow 1x1 convolution (stride 1, output narrower than a register):
  /// the tile covers every output row and the micro-kernel runs over the
  /// flattened pixels, so that vectors are full (7 x 7 -> 49 = 32 + 16 + 1).
  bool flatPixels = false;
};

/// fp32 lanes of one vector register (AVX-512) and the accumulator rows of
/// a chunk: 8 rows x 2 vectors = 16 of the 32 zmm registers, the rest for
/// the input row and the broadcast filter values.
constexpr int64_t kConvLanes = 16, kConvRows = 8;

/// Whether `conv` (f32, static shapes, buffers) goes through the
/// micro-kernel, and its tile.
bool convMicroKernelTile(linalg::Conv2DNchwFchwOp conv, ConvTile &t) {
  auto lop = cast<linalg::LinalgOp>(conv.getOperation());
  if (!lop.hasPureBufferSemantics())
    return false;
  SmallVector<int64_t> r = lop.getStaticLoopRanges(); // N F OH OW C KH KW
  // A dynamic batch is tiled by 1; everything else must be static.
  if (llvm::any_of(ArrayRef<int64_t>(r).drop_front(), ShapedType::isDynamic))
    return false;
  if (!cast<MemRefType>(conv.getDpsInits()[0].getType()).getElementType().isF32())
    return false;
  SmallVector<int64_t> strides(conv.getStrides().getValues<int64_t>());
  t.flatPixels = r[5] == 1 && r[6] == 1 && strides[0] == 1 && strides[1] == 1 && r[3] < kConvLanes;
  // A row that fits one register gets twice the filters, so that each
  // input row loaded feeds 16 accumulators (ResNet-50's 14- and 7-wide
  // layers).
  t.rows = divisorAtMost(r[1], r[3] <= kConvLanes && !t.flatPixels ? 2 * kConvRows : kConvRows);
  t.depth = divisorAtMost(r[4], 16);
  return true;
}

/// `body(first index, carried values)` over [0, n) in steps of `step`: an
/// scf.for carrying the values (the accumulators of a micro-kernel), or the
/// body once when step == n.  Returns the final values.
SmallVector<Value> carriedLoop(RewriterBase &rewriter, Location loc, int64_t n, int64_t step, ValueRange init,
                               function_ref<SmallVector<Value>(Value, ValueRange)> body) {
  Value c0 = arith::ConstantIndexOp::create(rewriter, loc, 0);
  if (n == step)
    return body(c0, init);
  auto f = scf::ForOp::create(rewriter, loc, c0, arith::ConstantIndexOp::create(rewriter, loc, n),
                              arith::ConstantIndexOp::create(rewriter, loc, step), init);
  {
    OpBuilder::InsertionGuard g(rewriter);
    rewriter.setInsertionPointToStart(f.getBody());
    scf::YieldOp::create(rewriter, loc, body(f.getInductionVar(), f.getRegionIterArgs()));
  }
  return SmallVector<Value>(f.getResults().begin(), f.getResults().end());
}

/// Lanes 2 j + parity (j < cols) of `both` (2 cols lanes): one shuffle, or
/// for cols = 32 one per 16 output lanes, concatenated (see
/// readEvenColumns).
Value deinterleave(RewriterBase &rewriter, Location loc, Value both, int64_t cols, int64_t parity) {
  auto lanes = [&](int64_t first, int64_t n) {
    SmallVector<int64_t> idx;
    for (int64_t j = 0; j < n; ++j)
      idx.push_back(first + 2 * j);
    return idx;
  };
  const int64_t L = kConvLanes;
  if (cols <= L || cols % L != 0 || !llvm::isPowerOf2_64(cols / L))
    return vector::ShuffleOp::create(rewriter, loc, both, both, lanes(parity, cols));
  // Per 16 output lanes: lanes of two 16-lane registers, as one shuffle of
  // `both` with itself: LLVM splits it into the two registers' permute.
  SmallVector<Value> parts;
  for (int64_t b = 0; b < cols / L; ++b)
    parts.push_back(vector::ShuffleOp::create(rewriter, loc, both, both, lanes(2 * b * L + parity, L)));
  // Concatenated (cols is a power of two here: 32).
  while (parts.size() > 1) {
    SmallVector<Value> next;
    for (size_t i = 0; i + 1 < parts.size(); i += 2) {
      int64_t n = cast<VectorType>(parts[i].getType()).getNumElements();
      SmallVector<int64_t> cat;
      for (int64_t j = 0; j < 2 * n; ++j)
        cat.push_back(j);
      next.push_back(vector::ShuffleOp::create(rewriter, loc, parts[i], parts[i + 1], cat));
    }
    parts = next;
  }
  return parts.front();
}

/// Columns 0, 2, ..., 2 * (cols - 1) of the f32 memref `src` from `at` on
/// (the input row of a stride-2 convolution or pooling): 2 * cols
/// contiguous elements read as one vector (the last one, which is not
/// used, masked off where it is past the row) and deinterleaved by
/// shuffles of register pairs (a strided read became a gather; a read of
/// 2 * cols - 1 elements made LLVM assemble the odd-sized vector's even
/// lanes element by element: MobileNetV2's stride-2 depthwise layer on
/// 112x112x96 at 4.7% of the peak).
/// `v` (f32, or the int8 of an int8 depthwise convolution's input or
/// filter: converted exactly by sitofp; a scalar or a vector) as f32.
Value toF32(RewriterBase &rewriter, Location loc, Value v) {
  Type t = v.getType();
  if (getElementTypeOrSelf(t).isF32())
    return v;
  Type f32 = rewriter.getF32Type();
  auto vt = dyn_cast<VectorType>(t);
  return arith::SIToFPOp::create(rewriter, loc, vt ? (Type)vt.clone(f32) : f32, v);
}

Value readEvenColumns(RewriterBase &rewriter, Location loc, Value src, ValueRange at, int64_t cols) {
  Type et = cast<MemRefType>(src.getType()).getElementType();
  Value zero = arith::ConstantOp::create(rewriter, loc, et, rewriter.getZeroAttr(et));
  Value both = vector::TransferReadOp::create(rewriter, loc, VectorType::get({2 * cols}, et), src, at, zero,
                                              ArrayRef<bool>{false});
  return toF32(rewriter, loc, deinterleave(rewriter, loc, both, cols, 0));
}

/// The `cols` columns of `src` (f32, or the int8 input of an int8
/// depthwise convolution) from `at` as f32: int8 values convert exactly
/// (sitofp), after a load of a quarter of the bytes.
Value readRowF32(RewriterBase &rewriter, Location loc, Value src, ValueRange at, int64_t cols) {
  Type et = cast<MemRefType>(src.getType()).getElementType();
  Value zero = arith::ConstantOp::create(rewriter, loc, et, rewriter.getZeroAttr(et));
  return toF32(rewriter, loc,
               vector::TransferReadOp::create(rewriter, loc, VectorType::get({cols}, et), src, at, zero,
                                              ArrayRef<bool>{true}));
}

/// Calls `chunk(first column, columns)` for the column chunks of an output
/// row of `width` columns: chunks of 2 * kConvLanes in an scf.for loop, then
/// one chunk per remaining power of two, down to what fits one register
/// (a 14-wide row: one masked vector, 2.6x faster than chunks of 8, 4 and 2).
void forEachColumnChunk(RewriterBase &rewriter, Location loc, int64_t width,
                        function_ref<void(Value, int64_t)> chunk) {
  auto cIdx = [&](int64_t v) -> Value { return arith::ConstantIndexOp::create(rewriter, loc, v); };
  int64_t wide = 2 * kConvLanes, full = width / wide * wide;
  if (full > 0) {
    auto f = scf::ForOp::create(rewriter, loc, cIdx(0), cIdx(full), cIdx(wide));
    OpBuilder::InsertionGuard g(rewriter);
    rewriter.setInsertionPointToStart(f.getBody());
    chunk(f.getInductionVar(), wide);
  }
  for (int64_t start = full, rest = width - full; rest > 0;) {
    int64_t cols = rest <= kConvLanes ? rest : llvm::bit_floor(static_cast<uint64_t>(rest));
    chunk(cIdx(start), cols);
    start += cols;
    rest -= cols;
  }
}

/// Replaces the tiled convolution `conv` (N = OH = 1, `rows` filters, the
/// whole output row, all of C, KH and KW) by the micro-kernel: for each
/// column chunk, loops over KH, KW and channel blocks, each step the rank-1
/// updates of the output chunk [rows x cols] by the input rows
/// input[c, oh*s + kh*d, ow*s + kw*d] (vector<cols>) times the broadcast
/// filter scalars filter[f, c, kh, kw]; the accumulators are carried through
/// the loops in registers (read before them, written after them).
LogicalResult decomposeConvTile(RewriterBase &rewriter, linalg::Conv2DNchwFchwOp conv, const ConvTile &t) {
  auto lop = cast<linalg::LinalgOp>(conv.getOperation());
  SmallVector<int64_t> r = lop.getStaticLoopRanges();
  if (r[0] != 1 || (r[2] != 1 && !t.flatPixels) || r[1] != t.rows)
    return failure();
  int64_t OW = r[3], C = r[4], KH = r[5], KW = r[6];
  SmallVector<int64_t> strides(conv.getStrides().getValues<int64_t>());
  SmallVector<int64_t> dil(conv.getDilations().getValues<int64_t>());
  Location loc = conv.getLoc();
  Value x = conv.getDpsInputs()[0], w = conv.getDpsInputs()[1], out = conv.getDpsInits()[0];
  rewriter.setInsertionPoint(conv);
  if (t.flatPixels && r[2] != 1) {
    // [1, X, H, W] -> [1, X, 1, H * W]: the rows of a tile that covers
    // every output row (and the whole unpadded input) are contiguous.
    auto flat = [&](Value v) -> Value {
      auto mt = cast<MemRefType>(v.getType());
      SmallVector<ReassociationIndices> collapse{{0}, {1}, {2, 3}};
      if (!memref::CollapseShapeOp::isGuaranteedCollapsible(mt, collapse))
        return nullptr;
      Value c = memref::CollapseShapeOp::create(rewriter, loc, v, collapse);
      auto ct = cast<MemRefType>(c.getType());
      SmallVector<ReassociationIndices> expand{{0}, {1}, {2, 3}};
      SmallVector<int64_t> shape{ct.getDimSize(0), ct.getDimSize(1), 1, ct.getDimSize(2)};
      FailureOr<MemRefType> et = memref::ExpandShapeOp::computeExpandedType(ct, shape, expand);
      if (failed(et))
        return nullptr;
      return memref::ExpandShapeOp::create(rewriter, loc, *et, c, expand);
    };
    Value fx = flat(x), fo = flat(out);
    if (!fx || !fo || cast<MemRefType>(fx.getType()).getDimSize(3) != r[2] * r[3])
      return failure();
    x = fx;
    out = fo;
    OW = r[2] * r[3];
  }
  auto idx = [&](int64_t v) { return rewriter.getIndexAttr(v); };
  auto cIdx = [&](int64_t v) -> Value { return arith::ConstantIndexOp::create(rewriter, loc, v); };
  auto rankReduced = [&](Value src, ArrayRef<OpFoldResult> offs, ArrayRef<int64_t> sizes,
                         ArrayRef<int64_t> steps, ArrayRef<int64_t> keep) -> Value {
    auto srcT = cast<MemRefType>(src.getType());
    SmallVector<OpFoldResult> sz, st;
    for (int64_t v : sizes)
      sz.push_back(idx(v));
    for (int64_t v : steps)
      st.push_back(idx(v));
    SmallVector<int64_t> resShape;
    for (int64_t k : keep)
      resShape.push_back(sizes[k]);
    auto resT = memref::SubViewOp::inferRankReducedResultType(resShape, srcT, offs, sz, st);
    return memref::SubViewOp::create(rewriter, loc, cast<MemRefType>(resT), src, offs, sz, st);
  };
  auto affineOf = [&](AffineExpr e, ValueRange vals) -> OpFoldResult {
    SmallVector<OpFoldResult> ofr(vals.begin(), vals.end());
    return affine::makeComposedFoldedAffineApply(rewriter, loc, e, ofr);
  };
  Value c0 = cIdx(0);
  Type f32 = rewriter.getF32Type();
  Value zero = arith::ConstantOp::create(rewriter, loc, f32, rewriter.getF32FloatAttr(0));
  AffineExpr d0 = rewriter.getAffineDimExpr(0), d1 = rewriter.getAffineDimExpr(1);
  // Stride 2: the 2 * cols - 1 contiguous input columns are read as one
  // vector and deinterleaved (a strided read became a gather).
  bool deinterleave = strides[1] == 2;

  // A loop carrying the accumulator rows (none when it has one iteration).
  using Rows = SmallVector<Value>;
  auto loop = [&](int64_t n, int64_t step, const Rows &init, function_ref<Rows(Value, const Rows &)> body) -> Rows {
    return carriedLoop(rewriter, loc, n, step, init,
                       [&](Value iv, ValueRange carried) { return body(iv, Rows(carried.begin(), carried.end())); });
  };

  // The micro-kernel on the chunk of `cols` columns starting at `ow0`.
  auto chunk = [&](Value ow0, int64_t cols) {
    auto rowT = VectorType::get({cols}, f32);
    Value o2 = rankReduced(out, {idx(0), idx(0), idx(0), ow0}, {1, t.rows, 1, cols}, {1, 1, 1, 1}, {1, 3});
    Rows acc;
    for (int64_t i = 0; i < t.rows; ++i)
      acc.push_back(vector::TransferReadOp::create(rewriter, loc, rowT, o2, ValueRange{cIdx(i), c0}, zero,
                                                   ArrayRef<bool>{true}));
    OpFoldResult xCol0 = affineOf(d0 * strides[1], {ow0});
    acc = loop(KH, 1, acc, [&](Value kh, const Rows &a0) {
      return loop(KW, 1, a0, [&](Value kw, const Rows &a1) {
        OpFoldResult row = affineOf(d0 * dil[0], {kh});
        Value kwV = kw;
        OpFoldResult col = affineOf(d0 + d1 * dil[1], {getValueOrCreateConstantIndexOp(rewriter, loc, xCol0), kwV});
        int64_t span = deinterleave ? 2 * cols - 1 : cols;
        return loop(C, t.depth, a1, [&](Value cb, const Rows &a2) -> Rows {
          Value x2 = rankReduced(x, {idx(0), cb, row, col}, {1, t.depth, 1, span},
                                 {1, 1, 1, deinterleave ? 1 : strides[1]}, {1, 3});
          Value w2 = rankReduced(w, {idx(0), cb, kh, kw}, {t.rows, t.depth, 1, 1}, {1, 1, 1, 1}, {0, 1});
          Rows rows = a2;
          for (int64_t kk = 0; kk < t.depth; ++kk) {
            Value kIdx = cIdx(kk);
            Value b;
            if (deinterleave) {
              b = readEvenColumns(rewriter, loc, x2, ValueRange{kIdx, c0}, cols);
            } else {
              b = vector::TransferReadOp::create(rewriter, loc, rowT, x2, ValueRange{kIdx, c0}, zero,
                                                 ArrayRef<bool>{true});
            }
            for (int64_t i = 0; i < t.rows; ++i) {
              Value wv = memref::LoadOp::create(rewriter, loc, w2, ValueRange{cIdx(i), kIdx});
              Value bw = vector::BroadcastOp::create(rewriter, loc, rowT, wv);
              rows[i] = vector::FMAOp::create(rewriter, loc, bw, b, rows[i]);
            }
          }
          return rows;
        });
      });
    });
    for (int64_t i = 0; i < t.rows; ++i)
      vector::TransferWriteOp::create(rewriter, loc, acc[i], o2, ValueRange{cIdx(i), c0}, ArrayRef<bool>{true});
  };

  forEachColumnChunk(rewriter, loc, OW, chunk);
  rewriter.eraseOp(conv);
  return success();
}

/// Whether the depthwise convolution `dw` (f32 filter and result, the
/// input f32 or int8 (nn.qconv's depthwise form), static sizes but the
/// batch, buffers) goes through the depthwise micro-kernel.
bool depthwiseMicroKernel(linalg::DepthwiseConv2DNchwChwOp dw) {
  auto lop = cast<linalg::LinalgOp>(dw.getOperation());
  if (!lop.hasPureBufferSemantics())
    return false;
  SmallVector<int64_t> r = lop.getStaticLoopRanges(); // N OH OW C KH KW
  if (llvm::any_of(ArrayRef<int64_t>(r).drop_front(), ShapedType::isDynamic))
    return false;
  SmallVector<int64_t> strides(dw.getStrides().getValues<int64_t>());
  Type xt = cast<MemRefType>(dw.getDpsInputs()[0].getType()).getElementType();
  Type wt = cast<MemRefType>(dw.getDpsInputs()[1].getType()).getElementType();
  return cast<MemRefType>(dw.getDpsInits()[0].getType()).getElementType().isF32() &&
         (xt.isF32() || xt.isInteger(8)) && (wt.isF32() || wt.isInteger(8)) && r[4] * r[5] <= 64 &&
         strides[1] <= 2;
}

/// Filter tap (kh, kw) of a depthwise tile's filter `w` ([1, KH, KW], f32
/// or int8) as f32.
Value loadTapF32(RewriterBase &rewriter, Location loc, Value w, int64_t kh, int64_t kw) {
  auto cIdx = [&](int64_t v) -> Value { return arith::ConstantIndexOp::create(rewriter, loc, v); };
  return toF32(rewriter, loc, memref::LoadOp::create(rewriter, loc, w, ValueRange{cIdx(0), cIdx(kh), cIdx(kw)}));
}

/// The row kernel shared by the depthwise and pooling micro-kernels: `op`
/// is a tile with one output row of `OW` columns (input dps operand 0 and
/// output both NCHW with unit N and C extents, window KH x KW, the op's
/// strides and dilations).  Per column chunk (forEachColumnChunk) the output
/// row is read once, updated by `combine(acc, inputRow, kh, kw)` for each of
/// the KH x KW shifted input rows (stride 2: read contiguously and
/// deinterleaved), and written once; `op` is erased.  `start`, when given,
/// makes a chunk's initial value instead of the read (a bias), and
/// `finish` replaces the write (a post op in registers).  `wholeRow`, when
/// given, replaces the taps: it returns the chunk's accumulator updated by
/// every tap (the int8 depthwise kernel).
template <typename WindowOp>
void decomposeRowWindowTile(RewriterBase &rewriter, WindowOp op, int64_t OW, int64_t KH, int64_t KW,
                            function_ref<Value(Value, Value, int64_t, int64_t)> combine,
                            function_ref<Value(VectorType)> start = nullptr,
                            function_ref<void(Value, Value, VectorType)> finish = nullptr,
                            function_ref<Value(Value, Value, int64_t)> wholeRow = nullptr) {
  SmallVector<int64_t> strides(op.getStrides().template getValues<int64_t>());
  SmallVector<int64_t> dil(op.getDilations().template getValues<int64_t>());
  Location loc = op.getLoc();
  Value x = op.getDpsInputs()[0], out = op.getDpsInits()[0];
  rewriter.setInsertionPoint(op);
  auto cIdx = [&](int64_t v) -> Value { return arith::ConstantIndexOp::create(rewriter, loc, v); };
  Value c0 = cIdx(0);
  Type f32 = rewriter.getF32Type();
  Value zero = arith::ConstantOp::create(rewriter, loc, f32, rewriter.getF32FloatAttr(0));
  auto chunk = [&](Value ow0, int64_t cols) {
    auto rowT = VectorType::get({cols}, f32);
    Value acc = start ? start(rowT)
                      : (Value)vector::TransferReadOp::create(rewriter, loc, rowT, out, ValueRange{c0, c0, c0, ow0},
                                                              zero, ArrayRef<bool>{true});
    Value col0 = affine::makeComposedAffineApply(rewriter, loc, rewriter.getAffineDimExpr(0) * strides[1],
                                                 ArrayRef<OpFoldResult>{ow0});
    if (wholeRow)
      acc = wholeRow(acc, ow0, cols);
    for (int64_t kh = 0; kh < KH && !wholeRow; ++kh) {
      for (int64_t kw = 0; kw < KW; ++kw) {
        Value col = arith::AddIOp::create(rewriter, loc, col0, cIdx(kw * dil[1]));
        SmallVector<Value> at{c0, c0, cIdx(kh * dil[0]), col};
        // Stride 1 or 2 (depthwiseMicroKernel, poolMicroKernel).
        Value b = strides[1] == 2 ? readEvenColumns(rewriter, loc, x, at, cols)
                                  : readRowF32(rewriter, loc, x, at, cols);
        acc = combine(acc, b, kh, kw);
      }
    }
    if (finish)
      finish(acc, ow0, rowT);
    else
      vector::TransferWriteOp::create(rewriter, loc, acc, out, ValueRange{c0, c0, c0, ow0},
                                      ArrayRef<bool>{true});
  };
  forEachColumnChunk(rewriter, loc, OW, chunk);
  rewriter.eraseOp(op);
}

/// Output planes of at most this many rows and columns are one depthwise
/// tile (one channel, every row: decomposeDepthwisePlane).
constexpr int64_t kDepthwisePlane = 16;

bool sameView(Value a, Value b);

/// On a packed or depthwise convolution (and its tiles): only its
/// epilogue's post op reads its result buffer, so a tile whose post op the
/// micro-kernel applies in registers stores the post op's result only.
constexpr llvm::StringLiteral kScratchOutAttr = "kiln.scratch_out";

/// The bias init of a convolution tile `op` writing `out`: the channel
/// broadcast right before it (ops without memory effects skipped), which
/// fuseEpilogueIntoTile re-created on this tile; or null.
linalg::GenericOp biasInitBefore(Operation *op, Value out) {
  for (Operation *prev = op->getPrevNode(); prev; prev = prev->getPrevNode()) {
    if (isMemoryEffectFree(prev))
      continue;
    auto g = dyn_cast<linalg::GenericOp>(prev);
    if (g && kiln::cpu::isChannelBroadcast(g) && sameView(g.getDpsInits()[0], out))
      return g;
    return nullptr;
  }
  return nullptr;
}

/// The post op of a convolution tile `op` writing `out`: the generic right
/// after it (ops without memory effects skipped) that reads `out`, which
/// fuseEpilogueIntoTile re-created on this tile; or null.
linalg::GenericOp postOpAfter(Operation *op, Value out) {
  for (Operation *next = op->getNextNode(); next; next = next->getNextNode()) {
    if (isMemoryEffectFree(next))
      continue;
    auto g = dyn_cast<linalg::GenericOp>(next);
    if (g && llvm::any_of(g.getDpsInputs(), [&](Value v) { return sameView(v, out); }))
      return g;
    return nullptr;
  }
  return nullptr;
}

/// Whether the post op `act` of a convolution tile writing `out` can be
/// applied to the tile in registers: f32, element-wise over 4 loops,
/// reading `out` once with the identity map, its other inputs tiles that
/// `isTile` accepts (a residual) or per-channel values (rank 1), its result
/// such a tile.  Fills `actIn` (per input: the tile, the rank-1 value, or
/// null for `out`) and `actDst`.
bool planPostOp(linalg::GenericOp act, Value out, function_ref<bool(MemRefType)> isTile,
                SmallVectorImpl<Value> &actIn, Value &actDst, bool int8Dst = false) {
  MLIRContext *ctx = act.getContext();
  AffineMap chanMap = AffineMap::get(4, 0, {getAffineDimExpr(1, ctx)}, ctx);
  actIn.clear();
  actDst = nullptr;
  bool ok = act.getNumDpsInits() == 1 && act.getNumLoops() == 4 &&
            llvm::count_if(act.getDpsInputs(), [&](Value v) { return sameView(v, out); }) == 1 &&
            kiln::cpu::isVectorizableElementwiseBody(act.getBody());
  for (OpOperand &o : act->getOpOperands()) {
    if (!ok)
      break;
    AffineMap m = act.getMatchingIndexingMap(&o);
    auto t = cast<MemRefType>(o.get().getType());
    if (!t.getElementType().isF32() && !(int8Dst && !act.isDpsInput(&o) && t.getElementType().isInteger(8)))
      ok = false;
    else if (act.isDpsInput(&o) && sameView(o.get(), out))
      ok = m.isIdentity(), actIn.push_back(Value());
    else if (m.isIdentity() && isTile(t))
      act.isDpsInput(&o) ? actIn.push_back(o.get()) : (void)(actDst = o.get());
    else if (act.isDpsInput(&o) && m == chanMap && t.getRank() == 1)
      actIn.push_back(o.get());
    else
      ok = false;
  }
  if (!ok || !actDst) {
    actIn.clear();
    return false;
  }
  return true;
}

/// planPostOp for a depthwise tile ([1, 1, OH, OW], NCHW): row tiles of the
/// same shape with unit-stride rows.  The destination may be int8 (the next
/// int8 layer's quantization, fused into the post op).
bool planPostOp(linalg::GenericOp act, Value out, int64_t OH, int64_t OW, SmallVectorImpl<Value> &actIn,
                Value &actDst) {
  return planPostOp(
      act, out,
      [&](MemRefType t) {
        return t.getRank() == 4 && t.hasStaticShape() && t.getDimSize(0) == 1 && t.getDimSize(1) == 1 &&
               t.getDimSize(2) == OH && t.getDimSize(3) == OW && t.getStridesAndOffset().first.back() == 1;
      },
      actIn, actDst, /*int8Dst=*/true);
}

/// The post op planned by planPostOp applied to `acc`, a vector of `out`:
/// its arguments are `acc` for `out`, `readTile(in)` (the same elements of
/// a tile input) and the per-channel value `in[chan]` broadcast.
Value applyPostOp(RewriterBase &rewriter, Location loc, linalg::GenericOp act, ArrayRef<Value> actIn, Value acc,
                  function_ref<Value(Value)> readTile, Value chan) {
  auto vt = cast<VectorType>(acc.getType());
  SmallVector<Value> args;
  for (Value in : actIn) {
    if (!in)
      args.push_back(acc);
    else if (cast<MemRefType>(in.getType()).getRank() == 1)
      args.push_back(
          vector::BroadcastOp::create(rewriter, loc, vt, memref::LoadOp::create(rewriter, loc, in, ValueRange{chan})));
    else
      args.push_back(readTile(in));
  }
  return kiln::cpu::vectorizeElementwiseBody(rewriter, loc, act.getBody(), args, vt.getDimSize(0));
}

/// applyPostOp on the row vector of a depthwise tile `[1, 1, OH, OW]` at
/// row `row`, columns from `col0`.
Value applyRowPostOp(RewriterBase &rewriter, Location loc, linalg::GenericOp act, ArrayRef<Value> actIn, Value acc,
                     Value row, Value col0) {
  Value c0 = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value zero = arith::ConstantOp::create(rewriter, loc, rewriter.getF32Type(), rewriter.getF32FloatAttr(0));
  auto readTile = [&](Value in) -> Value {
    return vector::TransferReadOp::create(rewriter, loc, cast<VectorType>(acc.getType()), in,
                                          ValueRange{c0, c0, row, col0}, zero, ArrayRef<bool>{true});
  };
  return applyPostOp(rewriter, loc, act, actIn, acc, readTile, c0);
}

/// The int8 depthwise kernel on AVX-512 VNNI and VBMI (the pass's
/// `int8-depthwise`): a depthwise tile whose input is int8 (nn.qconv's
/// depthwise form: x and the filter int8) computes each
/// output row in int32 (the int8 filter read once per tile).  Per input
/// row a masked 64-byte load, flipped to
/// unsigned (x + 128: xor 0x80); per group of four taps along the row one
/// byte shuffle (vpermb) gathers, for 16 output columns, the four input
/// bytes each needs into its lane, and one vpdpbusd adds their products
/// with the four weights.  A 3x3 layer takes 3 loads, 3 shuffles and 3
/// vpdpbusd per 16 outputs where the f32 kernel takes 9 loads, 9 int8 to
/// f32 conversions and 9 FMAs.  The sum minus 128 * sum(w) (the flip) is
/// the exact product of the signed bytes; it converts to f32 exactly
/// (below 2^24: depthwiseMicroKernel's 64 taps of 128 x 127).
struct Int8DepthwiseDot {
  RewriterBase &rw;
  Location loc;
  Value x;
  int64_t KH, KW, stride, dil;
  SmallVector<Value> weights; // per (kh, group): the group's 4 weights in every lane, vector<64xi8>
  Value flip;                 // 128 * sum(w) per lane, vector<16xi32>

  static constexpr int64_t kLanes = 16;
  int64_t groups() const { return (KW + 3) / 4; }
  VectorType bytes() const { return VectorType::get({4 * kLanes}, rw.getI8Type()); }
  VectorType words() const { return VectorType::get({kLanes}, rw.getI32Type()); }
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(rw, loc, v); }

  /// Whether the kernel takes the tile `dw`: int8 input, and the bytes 16
  /// output columns read fit one 64-byte load.
  static bool applies(linalg::DepthwiseConv2DNchwChwOp dw) {
    if (!cast<MemRefType>(dw.getDpsInputs()[0].getType()).getElementType().isInteger(8) ||
        !cast<MemRefType>(dw.getDpsInputs()[1].getType()).getElementType().isInteger(8))
      return false;
    auto lop = cast<linalg::LinalgOp>(dw.getOperation());
    SmallVector<int64_t> r = lop.getStaticLoopRanges(); // N OH OW C KH KW
    SmallVector<int64_t> st(dw.getStrides().getValues<int64_t>()), dl(dw.getDilations().getValues<int64_t>());
    return st[1] * (kLanes - 1) + dl[1] * (r[5] - 1) < 4 * kLanes;
  }

  Value dot(Value acc, Value a, Value w) {
    return LLVM::CallIntrinsicOp::create(rw, loc, words(), rw.getStringAttr("llvm.x86.avx512.vpdpbusd.512"),
                                         ValueRange{acc, a, w})
        .getResult(0);
  }

  /// Reads the filter `w` ([1, KH, KW] int8) into the weight groups and
  /// the flip correction (once per tile).
  void init(Value w) {
    Type i8 = rw.getI8Type();
    auto quad = VectorType::get({4}, i8);
    Value zero = arith::ConstantOp::create(rw, loc, words(), rw.getZeroAttr(words()));
    Value ones = arith::ConstantOp::create(rw, loc, bytes(), DenseElementsAttr::get(bytes(), (int8_t)-128));
    Value pad = arith::ConstantOp::create(rw, loc, i8, rw.getIntegerAttr(i8, 0));
    flip = zero;
    for (int64_t kh = 0; kh < KH; ++kh)
      for (int64_t g = 0; g < groups(); ++g) {
        // Taps 4g .. 4g + 3 of row kh (past KW: zeros).
        Value q = vector::TransferReadOp::create(rw, loc, quad, w, ValueRange{idx(0), idx(kh), idx(4 * g)}, pad,
                                                 ArrayRef<bool>{4 * g + 4 <= KW});
        Value word = vector::ExtractOp::create(
            rw, loc, vector::BitCastOp::create(rw, loc, VectorType::get({1}, rw.getI32Type()), q), 0);
        Value rep = vector::BitCastOp::create(rw, loc, bytes(), vector::BroadcastOp::create(rw, loc, words(), word));
        weights.push_back(rep);
        // (0x80 as unsigned is 128.)
        flip = dot(flip, ones, rep);
      }
  }

  /// Input row `ih` from column `col` (64 bytes, masked at the row's end)
  /// as unsigned bytes x + 128.
  Value row(Value ih, Value col) {
    Type i8 = rw.getI8Type();
    Value pad = arith::ConstantOp::create(rw, loc, i8, rw.getIntegerAttr(i8, 0));
    Value v = vector::TransferReadOp::create(rw, loc, bytes(), x, ValueRange{idx(0), idx(0), ih, col}, pad,
                                             ArrayRef<bool>{false});
    Value m = arith::ConstantOp::create(rw, loc, bytes(), DenseElementsAttr::get(bytes(), (int8_t)-128));
    return arith::XOrIOp::create(rw, loc, v, m);
  }

  /// The bytes of tap group `g` for 16 output columns from row bytes `r`:
  /// lane j holds columns stride * j + dil * (4g .. 4g + 3) (a tap past KW
  /// repeats column stride * j; its weight is 0).
  Value window(Value r, int64_t g) {
    SmallVector<int64_t> m;
    for (int64_t j = 0; j < kLanes; ++j)
      for (int64_t t = 0; t < 4; ++t)
        m.push_back(stride * j + (4 * g + t < KW ? dil * (4 * g + t) : 0));
    return vector::ShuffleOp::create(rw, loc, r, r, m);
  }

  /// The exact sums of 16 columns as f32 (the first `cols`), added to `start`.
  Value finish(Value sum, Value start, int64_t cols) {
    Value v = arith::SubIOp::create(rw, loc, sum, flip);
    Value f = arith::SIToFPOp::create(rw, loc, VectorType::get({kLanes}, rw.getF32Type()), v);
    if (cols < kLanes) {
      SmallVector<int64_t> m;
      for (int64_t j = 0; j < cols; ++j)
        m.push_back(j);
      f = vector::ShuffleOp::create(rw, loc, f, f, m);
    }
    return arith::AddFOp::create(rw, loc, start, f);
  }

  /// `start` (f32, `cols` <= 32 columns from `col0`) plus the output row whose
  /// first input row is `ih0`.
  Value outputRow(Value start, Value ih0, Value col0, int64_t cols) {
    SmallVector<Value> parts;
    for (int64_t c = 0; c < cols; c += kLanes) {
      int64_t n = std::min<int64_t>(kLanes, cols - c);
      Value col = affine::makeComposedAffineApply(rw, loc, rw.getAffineDimExpr(0) * stride + c * stride,
                                                  ArrayRef<OpFoldResult>{col0});
      Value sum = arith::ConstantOp::create(rw, loc, words(), rw.getZeroAttr(words()));
      for (int64_t kh = 0; kh < KH; ++kh) {
        Value ih = arith::AddIOp::create(rw, loc, ih0, idx(kh * dil));
        Value r = row(ih, col);
        for (int64_t g = 0; g < groups(); ++g)
          sum = dot(sum, window(r, g), weights[kh * groups() + g]);
      }
      Value st = start;
      if (cols > kLanes) {
        SmallVector<int64_t> m;
        for (int64_t j = 0; j < n; ++j)
          m.push_back(c + j);
        st = vector::ShuffleOp::create(rw, loc, start, start, m);
      }
      parts.push_back(finish(sum, st, n));
    }
    if (parts.size() == 1)
      return parts[0];
    SmallVector<int64_t> m;
    for (int64_t j = 0; j < cols; ++j)
      m.push_back(j);
    return vector::ShuffleOp::create(rw, loc, parts[0], parts[1], m);
  }
};

/// Replaces the depthwise tile `dw` (N = C = 1, the whole output plane of
/// OH <= kDepthwisePlane rows of OW <= kDepthwisePlane columns) by one
/// register per output row: the rows are read once, each filter tap is
/// loaded and broadcast once and multiplied into every row with its
/// shifted input row (stride 2: read contiguously and deinterleaved), and
/// the rows are written once.  With one output row per tile, MobileNetV2's
/// 7x7 and 14x14 depthwise layers spent most of their time on per-tile
/// work (its 960-channel 7x7 layer: 0.2 ms for 0.4 MFLOP).
LogicalResult decomposeDepthwisePlane(RewriterBase &rewriter, linalg::DepthwiseConv2DNchwChwOp dw, bool int8Dot) {
  auto lop = cast<linalg::LinalgOp>(dw.getOperation());
  SmallVector<int64_t> r = lop.getStaticLoopRanges(); // N OH OW C KH KW
  int64_t OH = r[1], OW = r[2], KH = r[4], KW = r[5];
  if (r[0] != 1 || r[3] != 1 || OH > kDepthwisePlane || OW > kDepthwisePlane)
    return failure();
  SmallVector<int64_t> strides(dw.getStrides().getValues<int64_t>());
  SmallVector<int64_t> dil(dw.getDilations().getValues<int64_t>());
  Location loc = dw.getLoc();
  Value x = dw.getDpsInputs()[0], w = dw.getDpsInputs()[1], out = dw.getDpsInits()[0];
  rewriter.setInsertionPoint(dw);
  auto cIdx = [&](int64_t v) -> Value { return arith::ConstantIndexOp::create(rewriter, loc, v); };
  Value c0 = cIdx(0);
  Type f32 = rewriter.getF32Type();
  Value zero = arith::ConstantOp::create(rewriter, loc, f32, rewriter.getF32FloatAttr(0));
  auto rowT = VectorType::get({OW}, f32);
  // The bias init right before the tile (a channel broadcast into `out`,
  // re-created on this tile by fuseEpilogueIntoTile): the rows start as
  // the bias, and the init is erased.
  linalg::GenericOp biasInit = biasInitBefore(dw, out);
  // Output layout [N, OH, OW, C] of the loops is NCHW in memory: out[0, 0, oh, ow].
  SmallVector<Value> acc;
  if (biasInit) {
    Value bv = vector::BroadcastOp::create(
        rewriter, loc, rowT, memref::LoadOp::create(rewriter, loc, biasInit.getDpsInputs()[0], ValueRange{c0}));
    acc.assign(OH, bv);
    rewriter.eraseOp(biasInit);
  } else {
    for (int64_t oh = 0; oh < OH; ++oh)
      acc.push_back(vector::TransferReadOp::create(rewriter, loc, rowT, out, ValueRange{c0, c0, cIdx(oh), c0},
                                                   zero, ArrayRef<bool>{true}));
  }
  if (int8Dot && Int8DepthwiseDot::applies(dw)) {
    // The int8 kernel: each input row's bytes loaded and each tap group's
    // window gathered once, one vpdpbusd per output row, row and group.
    Int8DepthwiseDot k{rewriter, loc, x, KH, KW, strides[1], dil[1], {}, {}};
    k.init(w);
    llvm::DenseMap<int64_t, SmallVector<Value>> windows;
    for (int64_t oh = 0; oh < OH; ++oh) {
      Value sum = arith::ConstantOp::create(rewriter, loc, k.words(), rewriter.getZeroAttr(k.words()));
      for (int64_t kh = 0; kh < KH; ++kh) {
        int64_t ih = oh * strides[0] + kh * dil[0];
        SmallVector<Value> &win = windows[ih];
        if (win.empty()) {
          Value r = k.row(cIdx(ih), c0);
          for (int64_t g = 0; g < k.groups(); ++g)
            win.push_back(k.window(r, g));
        }
        for (int64_t g = 0; g < k.groups(); ++g)
          sum = k.dot(sum, win[g], k.weights[kh * k.groups() + g]);
      }
      acc[oh] = k.finish(sum, acc[oh], OW);
    }
  }
  // Input rows, each read once per kw.
  llvm::DenseMap<std::pair<int64_t, int64_t>, Value> rows;
  for (int64_t kh = 0; kh < KH && !(int8Dot && Int8DepthwiseDot::applies(dw)); ++kh)
    for (int64_t kw = 0; kw < KW; ++kw) {
      Value bw = vector::BroadcastOp::create(rewriter, loc, rowT, loadTapF32(rewriter, loc, w, kh, kw));
      for (int64_t oh = 0; oh < OH; ++oh) {
        int64_t ih = oh * strides[0] + kh * dil[0], iw = kw * dil[1];
        Value &row = rows[{ih, iw}];
        if (!row) {
          SmallVector<Value> at{c0, c0, cIdx(ih), cIdx(iw)};
          row = strides[1] == 2 ? readEvenColumns(rewriter, loc, x, at, OW) : readRowF32(rewriter, loc, x, at, OW);
        }
        acc[oh] = vector::FMAOp::create(rewriter, loc, bw, row, acc[oh]);
      }
    }
  // The post op right after the tile (an element-wise generic reading
  // `out`, re-created on this tile by fuseEpilogueIntoTile): applied to the
  // rows in registers and stored to its destination; the rows themselves
  // are stored only when something else reads the convolution's result.
  linalg::GenericOp act = postOpAfter(dw, out);
  // Per input of `act`: a [1, 1, OH, OW] tile read by rows, a per-channel
  // value (rank 1), or `out` itself (null).
  SmallVector<Value> actIn;
  Value actDst;
  if (act && !planPostOp(act, out, OH, OW, actIn, actDst))
    act = nullptr;
  bool storeRows = !act || (!sameView(act.getDpsInits()[0], out) && !dw->hasAttr(kScratchOutAttr));
  if (storeRows)
    for (int64_t oh = 0; oh < OH; ++oh)
      vector::TransferWriteOp::create(rewriter, loc, acc[oh], out, ValueRange{c0, c0, cIdx(oh), c0},
                                      ArrayRef<bool>{true});
  if (act) {
    // After the views `act` takes of the tile.
    rewriter.setInsertionPoint(act);
    for (int64_t oh = 0; oh < OH; ++oh) {
      Value y = applyRowPostOp(rewriter, loc, act, actIn, acc[oh], cIdx(oh), c0);
      vector::TransferWriteOp::create(rewriter, loc, y, actDst, ValueRange{c0, c0, cIdx(oh), c0},
                                      ArrayRef<bool>{true});
    }
    rewriter.eraseOp(act);
  }
  rewriter.eraseOp(dw);
  return success();
}

/// Replaces the tiled depthwise convolution `dw` (N = OH = C = 1, the whole
/// output row; a whole small plane goes to decomposeDepthwisePlane) by SIMD
/// across the row: per column chunk (32 columns in a
/// loop, then powers of two down to one register, as the convolution
/// micro-kernel), the accumulator is read once, updated by KH x KW
/// broadcast-FMAs of the shifted input rows (stride 2: read contiguously
/// and deinterleaved), and written once.
LogicalResult decomposeDepthwiseTile(RewriterBase &rewriter, linalg::DepthwiseConv2DNchwChwOp dw, bool int8Dot) {
  auto lop = cast<linalg::LinalgOp>(dw.getOperation());
  SmallVector<int64_t> r = lop.getStaticLoopRanges();
  if (r[0] == 1 && r[3] == 1 && r[1] > 1)
    return decomposeDepthwisePlane(rewriter, dw, int8Dot);
  if (r[0] != 1 || r[1] != 1 || r[3] != 1) // loops: N OH OW C KH KW
    return failure();
  Value w = dw.getDpsInputs()[1], out = dw.getDpsInits()[0];
  Location loc = dw.getLoc();
  // As the plane kernel: a bias init right before the tile is the chunks'
  // start value, and a post op right after it is applied in registers; the
  // row itself is stored only when something else reads it (the
  // convolution's result was written, read back by the post op and written
  // to memory besides the post op's: MobileNetV2's 112 x 112 and 56 x 56
  // depthwise layers).
  linalg::GenericOp biasInit = biasInitBefore(dw, out);
  linalg::GenericOp act = postOpAfter(dw, out);
  SmallVector<Value> actIn;
  Value actDst;
  if (act && !planPostOp(act, out, 1, r[2], actIn, actDst))
    act = nullptr;
  bool storeRow = !act || (!sameView(act.getDpsInits()[0], out) && !dw->hasAttr(kScratchOutAttr));
  // The code goes where the post op's views of the tile are defined (ops
  // without memory effects between the tile and the post op).
  if (act)
    dw->moveBefore(act);
  auto start = [&](VectorType rowT) -> Value {
    Value c0 = arith::ConstantIndexOp::create(rewriter, loc, 0);
    return vector::BroadcastOp::create(rewriter, loc, rowT,
                                       memref::LoadOp::create(rewriter, loc, biasInit.getDpsInputs()[0], ValueRange{c0}));
  };
  // (Without a post op: the row's plain write.)
  auto finish = [&](Value acc, Value ow0, VectorType) {
    Value c0 = arith::ConstantIndexOp::create(rewriter, loc, 0);
    if (storeRow)
      vector::TransferWriteOp::create(rewriter, loc, acc, out, ValueRange{c0, c0, c0, ow0}, ArrayRef<bool>{true});
    if (act) {
      Value y = applyRowPostOp(rewriter, loc, act, actIn, acc, c0, ow0);
      vector::TransferWriteOp::create(rewriter, loc, y, actDst, ValueRange{c0, c0, c0, ow0}, ArrayRef<bool>{true});
    }
  };
  function_ref<Value(VectorType)> startRef = nullptr;
  if (biasInit)
    startRef = start;
  std::optional<Int8DepthwiseDot> k8;
  if (int8Dot && Int8DepthwiseDot::applies(dw)) {
    SmallVector<int64_t> st(dw.getStrides().getValues<int64_t>()), dl(dw.getDilations().getValues<int64_t>());
    rewriter.setInsertionPoint(dw);
    k8.emplace(Int8DepthwiseDot{rewriter, loc, dw.getDpsInputs()[0], r[4], r[5], st[1], dl[1], {}, {}});
    k8->init(w);
  }
  auto wholeRow = [&](Value acc, Value ow0, int64_t cols) -> Value {
    return k8->outputRow(acc, arith::ConstantIndexOp::create(rewriter, loc, 0), ow0, cols);
  };
  function_ref<Value(Value, Value, int64_t)> wholeRowRef = nullptr;
  if (k8)
    wholeRowRef = wholeRow;
  decomposeRowWindowTile(
      rewriter, dw, r[2], r[4], r[5],
      [&](Value acc, Value row, int64_t kh, int64_t kw) -> Value {
    Value wv = loadTapF32(rewriter, loc, w, kh, kw);
    return vector::FMAOp::create(rewriter, loc,
                                 vector::BroadcastOp::create(rewriter, loc, cast<VectorType>(row.getType()), wv),
                                 row, acc);
      },
      startRef, finish, wholeRowRef);
  if (biasInit)
    rewriter.eraseOp(biasInit);
  if (act)
    rewriter.eraseOp(act);
  return success();
}

/// Whether the max or sum pooling `p` (f32, static sizes but the batch,
/// buffers, stride 1 or 2 along the row) goes through the pooling
/// micro-kernel.
template <typename PoolOp>
bool poolMicroKernel(PoolOp p) {
  auto lop = cast<linalg::LinalgOp>(p.getOperation());
  if (!lop.hasPureBufferSemantics())
    return false;
  SmallVector<int64_t> r = lop.getStaticLoopRanges(); // N C OH OW KH KW
  if (llvm::any_of(ArrayRef<int64_t>(r).drop_front(), ShapedType::isDynamic))
    return false;
  SmallVector<int64_t> strides(p.getStrides().template getValues<int64_t>());
  return cast<MemRefType>(p.getDpsInits()[0].getType()).getElementType().isF32() && r[4] * r[5] <= 64 &&
         strides[1] <= 2;
}

/// The max pooling tile `p` of decomposePoolTile with a window 3 wide at
/// stride 2 (no dilation along the row) and an input row of at least
/// 2 OW + 1 columns, as two separable steps per column chunk: the max over
/// the KH rows of the contiguous input at columns [2 ow0, 2 ow0 + 2 cols)
/// and of the same shifted by one, their max m (m[i] = max of columns i and
/// i + 1 of every row), then out[j] = max(m[2 j], m[2 j + 1]): two
/// deinterleaves per chunk instead of one per tap (9 for 3x3), and two
/// reads per row instead of three.  maximumf propagates NaN whatever the
/// order, so the result is the op's.  One thread, Intel Xeon VM, four
/// alternating rounds: SqueezeNet's three MaxPools 0.309-0.313 -> 0.289-
/// 0.304 ms per run, ResNet-50's 0.29-0.34 -> 0.27-0.31 ms (the tiles are
/// one channel x one output row; the rest is per-tile work and memory).
void decomposeMaxPoolStride2Width3(RewriterBase &rewriter, linalg::PoolingNchwMaxOp p, int64_t OW, int64_t KH) {
  Location loc = p.getLoc();
  Value x = p.getDpsInputs()[0], out = p.getDpsInits()[0];
  SmallVector<int64_t> dil(p.getDilations().getValues<int64_t>());
  rewriter.setInsertionPoint(p);
  auto cIdx = [&](int64_t v) -> Value { return arith::ConstantIndexOp::create(rewriter, loc, v); };
  Value c0 = cIdx(0);
  Type f32 = rewriter.getF32Type();
  Value zero = arith::ConstantOp::create(rewriter, loc, f32, rewriter.getF32FloatAttr(0));
  forEachColumnChunk(rewriter, loc, OW, [&](Value ow0, int64_t cols) {
    auto rowT = VectorType::get({cols}, f32), bothT = VectorType::get({2 * cols}, f32);
    Value col0 = affine::makeComposedAffineApply(rewriter, loc, rewriter.getAffineDimExpr(0) * 2,
                                                 ArrayRef<OpFoldResult>{ow0});
    Value col1 = arith::AddIOp::create(rewriter, loc, col0, cIdx(1));
    Value m;
    for (int64_t kh = 0; kh < KH; ++kh)
      for (Value col : {col0, col1}) {
        Value row = vector::TransferReadOp::create(rewriter, loc, bothT, x, ValueRange{c0, c0, cIdx(kh * dil[0]), col},
                                                   zero, ArrayRef<bool>{true});
        m = m ? (Value)arith::MaximumFOp::create(rewriter, loc, m, row) : row;
      }
    Value acc = vector::TransferReadOp::create(rewriter, loc, rowT, out, ValueRange{c0, c0, c0, ow0}, zero,
                                               ArrayRef<bool>{true});
    acc = arith::MaximumFOp::create(rewriter, loc, acc, deinterleave(rewriter, loc, m, cols, 0));
    acc = arith::MaximumFOp::create(rewriter, loc, acc, deinterleave(rewriter, loc, m, cols, 1));
    vector::TransferWriteOp::create(rewriter, loc, acc, out, ValueRange{c0, c0, c0, ow0}, ArrayRef<bool>{true});
  });
  rewriter.eraseOp(p);
}

/// Replaces the tiled max or sum pooling `p` (N = C = OH = 1, the whole
/// output row) by SIMD across the row, as the depthwise micro-kernel: per
/// column chunk the output is read once, combined (max: arith.maximumf,
/// NaN-propagating like the op; sum: arith.addf, window order as the op)
/// with the KH x KW shifted input rows (stride 2: read contiguously and
/// deinterleaved), and written once.  The upstream vectorization of the
/// strided 1-D pooling it replaces ran ResNet-50's 3x3 stride-2 MaxPool at
/// 3.3 ms and SqueezeNet's three at 31% of the model's time.  (Average
/// pooling divides the sum afterwards, in its own loop.)
template <typename PoolOp>
LogicalResult decomposePoolTile(RewriterBase &rewriter, PoolOp p) {
  constexpr bool isMax = std::is_same_v<PoolOp, linalg::PoolingNchwMaxOp>;
  auto lop = cast<linalg::LinalgOp>(p.getOperation());
  SmallVector<int64_t> r = lop.getStaticLoopRanges();
  if (r[0] != 1 || r[1] != 1 || r[2] != 1) // loops: N C OH OW KH KW
    return failure();
  if constexpr (isMax) {
    SmallVector<int64_t> strides(p.getStrides().template getValues<int64_t>());
    SmallVector<int64_t> dil(p.getDilations().template getValues<int64_t>());
    auto xt = cast<MemRefType>(p.getDpsInputs()[0].getType());
    if (strides[1] == 2 && r[5] == 3 && dil[1] == 1 && !xt.isDynamicDim(3) && xt.getDimSize(3) >= 2 * r[3] + 1 &&
        xt.isLastDimUnitStride()) {
      decomposeMaxPoolStride2Width3(rewriter, p, r[3], r[4]);
      return success();
    }
  }
  Location loc = p.getLoc();
  decomposeRowWindowTile(rewriter, p, r[3], r[4], r[5], [&](Value acc, Value row, int64_t, int64_t) -> Value {
    if constexpr (isMax)
      return arith::MaximumFOp::create(rewriter, loc, acc, row);
    else
      return arith::AddFOp::create(rewriter, loc, acc, row);
  });
  return success();
}

/// Chooses tile sizes (0 = untiled) for a linalg op, or returns false to
/// leave the op alone.
/// Rows per matmul tile.  A dynamic row count (batch * sequence of a Linear
/// layer) or a static one that is not a multiple of it is tiled by this too,
/// and the row loop is peeled so that every tile but the last is static
/// (vectorizable).
constexpr int64_t kMatmulRows = 8;

bool chooseTileSizes(linalg::LinalgOp op, SmallVectorImpl<int64_t> &tiles, SmallVectorImpl<int64_t> &peelDims) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  unsigned n = ranges.size();
  tiles.assign(n, 0);
  peelDims.clear();
  if (n == 0)
    return false;
  // Rows of a matmul-like op: kMatmulRows per tile; a dynamic row count is
  // peeled (see the tiling loop).
  auto rowTile = [&](unsigned d) {
    if (!ShapedType::isDynamic(ranges[d]) &&
        (ranges[d] <= kMatmulRows || ranges[d] % kMatmulRows == 0))
      return divisorAtMost(ranges[d], kMatmulRows);
    // Dynamic, or static but not a multiple of kMatmulRows (ViT's 197
    // tokens, a prime: its largest divisor <= 8 is 1): full tiles and a
    // peeled remainder.
    peelDims.push_back(d);
    return kMatmulRows;
  };
  // Columns (cap 32) and reduction depth (cap 16) of a matmul-like op: a
  // divisor of the extent when there is one of at least half the cap, else
  // full tiles of `cap` and a peeled remainder (the attention products of
  // ViT have 197 columns or a depth of 197: tiles of 1 ran at 5 GFLOP/s).
  auto splitTile = [&](unsigned d, int64_t cap) -> int64_t {
    int64_t e = ranges[d];
    if (ShapedType::isDynamic(e) || e <= cap)
      return fit(e, cap);
    int64_t t = divisorAtMost(e, cap);
    if (2 * t >= cap)
      return t;
    peelDims.push_back(d);
    return cap;
  };
  // A linalg.generic that is a matmul in disguise (a named matmul whose
  // operands were reshaped by elementwise fusion, e.g. [b,s,k] x [k,n]):
  // tiled like a matmul on its innermost m, n and k dims, unit tiles on the
  // others, so that tiles vectorize to an 8x32x16 vector.contract instead of
  // dot products over a strided column.
  if (auto g = dyn_cast<linalg::GenericOp>(op.getOperation());
      g && linalg::isaContractionOpInterface(op)) {
    FailureOr<linalg::ContractionDimensions> cd = linalg::inferContractionDims(op);
    if (succeeded(cd) && !cd->m.empty() && !cd->n.empty() && !cd->k.empty()) {
      for (unsigned d = 0; d < n; ++d)
        tiles[d] = ranges[d] == 1 ? 0 : 1;
      // The rows: the innermost m dim, unless it is dynamic or shorter than
      // a tile and another m dim is static and longer.  torch's
      // sequence-first attention ([L, N, E] x [E, 3E], N the batch) had its
      // rows on N: at batch 1 no full tile, every row scalar (ViT-B/16's
      // in-projection: 47% of the model's time).
      unsigned mDim = cd->m.back();
      if (ShapedType::isDynamic(ranges[mDim]) || ranges[mDim] < kMatmulRows)
        for (unsigned d : cd->m)
          if (!ShapedType::isDynamic(ranges[d]) && ranges[d] >= kMatmulRows &&
              (ShapedType::isDynamic(ranges[mDim]) || ranges[d] > ranges[mDim]))
            mDim = d;
      tiles[mDim] = rowTile(mDim);
      tiles[cd->n.back()] = splitTile(cd->n.back(), 32);
      tiles[cd->k.back()] = splitTile(cd->k.back(), 16);
      llvm::sort(peelDims);
      if (ShapedType::isDynamic(ranges[cd->n.back()]) ||
          ShapedType::isDynamic(ranges[cd->k.back()]))
        return false;
      return true;
    }
  }
  return llvm::TypeSwitch<Operation *, bool>(op)
      .Case([&](linalg::MatmulOp) {
        int64_t rows = rowTile(0);
        tiles.assign({rows, splitTile(1, 32), splitTile(2, 16)});
        return true;
      })
      .Case([&](linalg::BatchMatmulOp) {
        int64_t rows = rowTile(1);
        tiles.assign({1, rows, splitTile(2, 32), splitTile(3, 16)});
        return true;
      })
      .Case([&](linalg::Conv2DNchwFchwOp c) {
        // [N, F, OH, OW, C, KH, KW]
        ConvTile t;
        if (convMicroKernelTile(c, t)) {
          // t.rows filters x one output row; the micro-kernel
          // (decomposeConvTile) splits the row into register tiles and loops
          // over the reduction (C, KH, KW) inside each.
          tiles.assign({1, t.rows == ranges[1] ? 0 : t.rows, 1, 0, 0, 0, 0});
          if (ranges[0] == 1) // static 1; a dynamic batch is tiled by 1
            tiles[0] = 0;
          if (ranges[2] == 1 || t.flatPixels)
            tiles[2] = 0;
          return true;
        }
        tiles.assign({1, fit(ranges[1], 8) ? fit(ranges[1], 8) : 0, 1, fit(ranges[3], 16),
                 fit(ranges[4], 16), 1, 0});
        return true;
      })
      .Case([&](linalg::PoolingNchwMaxOp p) {
        if (poolMicroKernel(p)) {
          // One channel x one output row per tile; decomposePoolTile
          // vectorizes the row.  Loops: [N, C, OH, OW, KH, KW].
          tiles.assign({ranges[0] == 1 ? 0 : 1, ranges[1] == 1 ? 0 : 1, ranges[2] == 1 ? 0 : 1, 0, 0, 0});
          return true;
        }
        tiles.assign({1, fit(ranges[1], 8), 1, fit(ranges[3], 16), 1, 0});
        return true;
      })
      .Case([&](linalg::PoolingNchwSumOp p) {
        if (poolMicroKernel(p)) {
          tiles.assign({ranges[0] == 1 ? 0 : 1, ranges[1] == 1 ? 0 : 1, ranges[2] == 1 ? 0 : 1, 0, 0, 0});
          return true;
        }
        tiles.assign({1, fit(ranges[1], 8), 1, fit(ranges[3], 16), 1, 0});
        return true;
      })
      .Case([&](linalg::DepthwiseConv2DNchwChwOp dw) {
        if (depthwiseMicroKernel(dw)) {
          // One channel x one output row per tile, or the whole plane when
          // it is small (kDepthwisePlane); decomposeDepthwiseTile
          // vectorizes the rows.
          // Loops: [N, OH, OW, C, KH, KW].
          bool plane = ranges[1] <= kDepthwisePlane && ranges[2] <= kDepthwisePlane;
          tiles.assign({ranges[0] == 1 ? 0 : 1, ranges[1] == 1 || plane ? 0 : 1, 0, ranges[3] == 1 ? 0 : 1, 0, 0});
          return true;
        }
        // [N, OH, OW, C, KH, KW]: unit tiles outside, 32 channels inside.
        tiles.assign({1, 1, 1, fit(ranges[3], 32), 0, 0});
        return true;
      })
      .Case([&](linalg::GenericOp g) {
        // Unit tiles on every loop but the innermost one, which keeps up to
        // 64 elements; reductions are tiled the same way.  An extent with
        // no divisor of at least 32 gets tiles of 64 and a peeled remainder
        // (ViT's softmax rows of 197, a prime, ran element by element: 19%
        // of the model's time).
        for (unsigned i = 0; i + 1 < n; ++i)
          tiles[i] = ranges[i] == 1 ? 0 : 1;
        tiles[n - 1] = splitTile(n - 1, 64);
        if (ShapedType::isDynamic(ranges[n - 1]))
          return false;
        (void)g;
        return true;
      })
      .Case<linalg::TransposeOp, linalg::BroadcastOp, linalg::CopyOp>([&](Operation *) {
        // Data movement: unit tiles but on the innermost loop (otherwise a
        // whole transpose is vectorized as one n-D vector and unrolled into
        // thousands of shuffles).
        for (unsigned i = 0; i + 1 < n; ++i)
          tiles[i] = ranges[i] == 1 ? 0 : 1;
        tiles[n - 1] = splitTile(n - 1, 64);
        return ShapedType::isStatic(ranges[n - 1]);
      })
      .Case([&](linalg::FillOp) {
        for (unsigned i = 0; i + 1 < n; ++i)
          tiles[i] = ranges[i] == 1 ? 0 : 1;
        tiles[n - 1] = splitTile(n - 1, 64);
        return ShapedType::isStatic(ranges[n - 1]);
      })
      .Default([](Operation *) { return false; });
}

/// True if `v` is `iterArg` updated in place: a chain of tensor.insert_slice
/// / vector.transfer_write / destination-style ops / nested scf.for loops
/// of the same kind, as tiling produces.  Such a value has the shape of
/// `iterArg`.
bool isDestinationChain(Value v, Value iterArg, unsigned depth = 0) {
  while (v != iterArg) {
    if (depth > 32)
      return false;
    Operation *def = v.getDefiningOp();
    if (!def)
      return false;
    if (auto ins = dyn_cast<tensor::InsertSliceOp>(def)) {
      v = ins.getDest();
    } else if (auto w = dyn_cast<vector::TransferWriteOp>(def)) {
      if (!w.getResult())
        return false;
      v = w.getBase();
    } else if (auto dps = dyn_cast<DestinationStyleOpInterface>(def)) {
      v = dps.getTiedOpOperand(cast<OpResult>(v))->get();
    } else if (auto loop = dyn_cast<scf::ForOp>(def)) {
      unsigned k = cast<OpResult>(v).getResultNumber();
      Value yielded = loop.getYieldedValues()[k];
      if (!isDestinationChain(yielded, loop.getRegionIterArgs()[k], depth + 1))
        return false;
      v = loop.getInitArgs()[k];
    } else {
      return false;
    }
  }
  return true;
}

/// tensor.dim of a tiled loop's result -> tensor.dim of its init.  Keeps the
/// dynamic sizes (a batch dimension) tied to the function arguments instead
/// of chains of loop results through the whole model, which the value-bounds
/// analysis of one-shot bufferization would otherwise walk again and again.
struct DimOfTiledLoopResult : OpRewritePattern<tensor::DimOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tensor::DimOp dim, PatternRewriter &rewriter) const override {
    auto res = dyn_cast<OpResult>(dim.getSource());
    if (!res)
      return failure();
    Value init;
    if (auto loop = dyn_cast<scf::ForOp>(res.getOwner())) {
      unsigned k = res.getResultNumber();
      if (!isDestinationChain(loop.getYieldedValues()[k], loop.getRegionIterArgs()[k]))
        return failure();
      init = loop.getInitArgs()[k];
    } else if (auto dps = dyn_cast<DestinationStyleOpInterface>(res.getOwner())) {
      init = dps.getTiedOpOperand(res)->get();
    } else if (auto w = dyn_cast<vector::TransferWriteOp>(res.getOwner())) {
      init = w.getBase();
    } else {
      return failure();
    }
    rewriter.modifyOpInPlace(dim, [&] { dim.getSourceMutable().assign(init); });
    return success();
  }
};

/// Patterns that tie tensor.dim ops to the function arguments.
void populateDimFoldingPatterns(RewritePatternSet &patterns) {
  patterns.add<DimOfTiledLoopResult>(patterns.getContext());
  memref::populateResolveRankedShapedTypeResultDimsPatterns(patterns);
  tensor::DimOp::getCanonicalizationPatterns(patterns, patterns.getContext());
}

/// Ops that may sit between a conv/matmul and its epilogue ops without
/// touching their buffers.
bool isInertBetween(Operation *op) {
  return isa<memref::AllocOp, memref::DimOp, memref::GetGlobalOp, arith::ConstantOp>(op) ||
         (isa<memref::SubViewOp>(op) && op->getOperand(0).getDefiningOp<memref::AllocOp>());
}

/// The ops defining the buffer `dst` that sit after `op` and can move
/// before it (an allocation, or a subview of one: the interior of a padded
/// buffer), outermost first; false if `dst` is not ready before `op` and
/// cannot be made so.
bool destinationChain(Value dst, Operation *op, SmallVectorImpl<Operation *> &chain) {
  chain.clear();
  Operation *def = dst.getDefiningOp();
  while (def && !def->isBeforeInBlock(op)) {
    if (def->getBlock() != op->getBlock() || !isa<memref::AllocOp, memref::SubViewOp>(def))
      return false;
    chain.insert(chain.begin(), def);
    Operation *src = isa<memref::SubViewOp>(def) ? def->getOperand(0).getDefiningOp() : nullptr;
    for (Value v : def->getOperands()) {
      Operation *d = v.getDefiningOp();
      if (d && d != src && !d->isBeforeInBlock(op))
        return false;
    }
    def = src;
  }
  return true;
}

/// An elementwise epilogue generic over the full output of `out` (all
/// parallel, every map a projection, the output map the identity).
bool isEpilogueGeneric(Operation *op, Value out, bool int8Dst = false) {
  auto g = dyn_cast_or_null<linalg::GenericOp>(op);
  if (!g || !g->hasAttr(kEpilogueAttr) || !g.hasPureBufferSemantics() || g.getNumDpsInits() != 1 ||
      g.getNumReductionLoops() != 0)
    return false;
  if (!g.getIndexingMapsArray().back().isIdentity())
    return false;
  // The same shape; the layout may differ (a padded buffer's interior,
  // kiln-cpu-pad-borders).
  auto dt = cast<MemRefType>(g.getDpsInits()[0].getType()), ot = cast<MemRefType>(out.getType());
  return dt.getShape() == ot.getShape() &&
         (dt.getElementType() == ot.getElementType() || (int8Dst && dt.getElementType().isInteger(8)));
}

/// The epilogue ops of a conv/matmul `op` on buffers: `init` (writes op's
/// output buffer right before it) and `act` (reads that buffer right after
/// it, writes a buffer op does not read).
void findEpilogue(linalg::LinalgOp op, linalg::GenericOp &init, linalg::GenericOp &act) {
  init = act = nullptr;
  if (op->getNumResults() != 0 || op.getNumDpsInits() != 1)
    return;
  Value out = op.getDpsInits()[0];
  Operation *prev = op->getPrevNode();
  while (prev && isInertBetween(prev))
    prev = prev->getPrevNode();
  if (isEpilogueGeneric(prev, out) && cast<linalg::GenericOp>(prev).getDpsInits()[0] == out) {
    auto g = cast<linalg::GenericOp>(prev);
    // The init may read the residual but not op's inputs' buffers in a way
    // op would overwrite: op writes only `out`.
    if (llvm::none_of(g.getDpsInputs(), [&](Value v) { return bufferRoot(v) == bufferRoot(out) && v != out; }))
      init = g;
  }
  Operation *next = op->getNextNode();
  while (next && isInertBetween(next))
    next = next->getNextNode();
  // A depthwise convolution's post op may also quantize its result for the
  // next int8 layer (an int8 destination; the depthwise micro-kernel
  // applies it in registers, planPostOp).
  if (isEpilogueGeneric(next, out, isa<linalg::DepthwiseConv2DNchwChwOp>(op.getOperation()))) {
    auto g = cast<linalg::GenericOp>(next);
    Value dst = g.getDpsInits()[0];
    bool readsOut = llvm::is_contained(g.getDpsInputs(), out);
    // Its result buffer must not be one that op reads (tiles of it are
    // written while op still runs).
    bool clobbers = llvm::any_of(op.getDpsInputs(), [&](Value v) { return bufferRoot(v) == bufferRoot(dst); });
    // Every input other than `out` must be a buffer op does not write.
    bool otherInputsSafe = llvm::all_of(g.getDpsInputs(), [&](Value v) {
      return v == out || bufferRoot(v) != bufferRoot(out);
    });
    // The result buffer must exist before op (an alloc between op and act
    // is hoisted).
    SmallVector<Operation *> chain;
    bool dstReady = destinationChain(dst, op, chain);
    // Activations with transcendental functions (sigmoid, SiLU, GELU,
    // tanh: math ops in the body) stay a loop nest of their own: computed
    // per conv tile they made EfficientNet-B0 about 10% slower (measured,
    // docs/passes.md); the cheap ones (relu, clip, leaky relu, hard
    // sigmoid/swish) go into the tiles.
    // (Rounding, as an int8 quantization does, is cheap.)
    bool transcendental = false;
    g.getBody()->walk([&](Operation *o) {
      if (o->getDialect() && o->getDialect()->getNamespace() == "math" && !isa<math::RoundEvenOp>(o))
        transcendental = true;
    });
    if (readsOut && !clobbers && otherInputsSafe && dstReady && !transcendental)
      act = g;
  }
}

/// Re-creates the elementwise `g` on the output tile `tile` (a subview of
/// its iteration domain) at the builder's insertion point and erases `g`.
LogicalResult tileEpilogueOp(RewriterBase &rewriter, linalg::GenericOp g, memref::SubViewOp tile) {
  FailureOr<TilingResult> t = cast<TilingInterface>(g.getOperation())
                                  .getTiledImplementation(rewriter, tile.getMixedOffsets(),
                                                          tile.getMixedSizes());
  if (failed(t))
    return failure();
  for (Operation *op : t->tiledOps)
    op->removeAttr(kEpilogueAttr);
  rewriter.eraseOp(g);
  return success();
}

/// Marks `op` kScratchOutAttr when it has a post op `act` and its own
/// result buffer is read by nothing but its epilogue (`init`, `act`): its
/// tiles then store the post op's result only.  Uses of the buffer before
/// an `init` that writes all of it do not count: bufferization reuses a
/// dead buffer for the result (MobileNetV2's expansion convolutions write
/// the previous block's depthwise output buffer; there the full result was
/// stored besides the post op's: 0.62 against 0.23 ms for the same layer
/// with a fresh buffer, on an Intel Xeon); nor do uses after `act` from an
/// op that overwrites all of the buffer on (the next layer's bias init
/// when bufferization reuses this buffer for its result: two 64-channel
/// 3x3 layers at 224x224 with their ReLUs, VGG-16's first two, stored
/// both results, 4.2 against 2.7 ms for the first, kiln.rawResultUnread).
void markScratchOut(RewriterBase &rewriter, linalg::LinalgOp op, linalg::GenericOp init, linalg::GenericOp act) {
  auto alloc = op.getDpsInits()[0].getDefiningOp<memref::AllocOp>();
  if (!alloc || !act)
    return;
  if (kiln::cpu::rawResultUnread(alloc, op, init, act))
    op->setAttr(kScratchOutAttr, rewriter.getUnitAttr());
}

/// Moves the allocation of the post op's result buffer, or the subview of
/// one (findEpilogue accepts them between `op` and `act`), before `op` and
/// its init, so that the post op can be re-created inside `op`'s tile
/// loops.
void hoistEpilogueDest(linalg::LinalgOp op, linalg::GenericOp init, linalg::GenericOp act) {
  if (!act)
    return;
  SmallVector<Operation *> chain;
  if (destinationChain(act.getDpsInits()[0], op, chain))
    for (Operation *d : chain)
      d->moveBefore(init ? init.getOperation() : op.getOperation());
}

/// Re-creates the epilogue ops `init` (before) and `act` (after) of a
/// conv/matmul on the output tile of its tiled op `tiled` (a subview of
/// the output), recording each fused op in `fused`.
void fuseEpilogueIntoTile(RewriterBase &rewriter, linalg::LinalgOp tiled, linalg::GenericOp init,
                          linalg::GenericOp act, llvm::DenseSet<Operation *> &fused,
                          std::atomic<uint64_t> &numFused) {
  auto tile = tiled.getDpsInits()[0].getDefiningOp<memref::SubViewOp>();
  if (!tile)
    return;
  for (auto [g, before] : {std::make_pair(init, true), std::make_pair(act, false)}) {
    if (!g)
      continue;
    if (before)
      rewriter.setInsertionPoint(tiled);
    else
      rewriter.setInsertionPointAfter(tiled);
    Operation *o = g.getOperation();
    if (succeeded(tileEpilogueOp(rewriter, g, tile))) {
      fused.insert(o);
      ++numFused;
    }
  }
}

/// Marks the register tiles of a packed matmul (tilePackedMatmul) that
/// decomposePackedMatmulTile turns into the micro-kernel.
constexpr llvm::StringLiteral kPackedTileAttr = "kiln.packed_tile";

/// The global named by `op`'s attribute `attr` (kiln-cpu-pack-weights),
/// when `op` works on buffers.
FlatSymbolRefAttr packedWeights(linalg::LinalgOp op, StringRef attr) {
  auto ref = op->getAttrOfType<FlatSymbolRefAttr>(attr);
  if (!ref || !op.hasPureBufferSemantics())
    return {};
  return ref;
}

/// The packed panels of `mm` when it goes through the packed micro-kernel.
FlatSymbolRefAttr packedPanels(linalg::MatmulOp mm) { return packedWeights(mm, kiln::cpu::kPackedRhsAttr); }

/// On a linalg.matmul (one batch of a batch matmul whose operands are both
/// computed at run time, splitBatchMatmul): the packed matmul micro-kernel
/// reads the right operand's rows in place instead of panels.
constexpr llvm::StringLiteral kDirectRhsAttr = "kiln.direct_rhs";

/// Whether the packed matmul micro-kernel computes `mm`: panels of a
/// constant right operand, or a right operand read in place.
bool usesMatmulKernel(linalg::MatmulOp mm) { return packedPanels(mm) || mm->hasAttr(kDirectRhsAttr); }

/// Whether the micro-kernel can read the rows of a batch matmul's right
/// operand `bt` in place and store the rows of its result `ct`: the right
/// operand's last two dims (depth, columns) static, unit-stride rows.
bool rhsRowsInPlace(MemRefType bt, MemRefType ct) {
  int64_t n = bt.getRank();
  return n >= 2 && !bt.isDynamicDim(n - 2) && !bt.isDynamicDim(n - 1) && bt.isLastDimUnitStride() &&
         ct.isLastDimUnitStride();
}

/// A contraction generic with two batch dims (elementwise fusion folds the
/// reshapes of BERT-style attention into its products: maps (b, h, m, k),
/// (b, h, k, n) -> (b, h, m, n), multiply-add) on buffers whose batch dims
/// collapse: rewritten as a linalg.batch_matmul on [B * H, ...] views, so
/// that splitBatchMatmul takes it.  A fill of its output right before it
/// is moved onto the collapsed view (it stays the init splitBatchMatmul
/// looks for).  Returns the new op, or null.
linalg::BatchMatmulOp batchMatmulFromGeneric(RewriterBase &rewriter, linalg::GenericOp g) {
  if (!g.hasPureBufferSemantics() || g.getNumDpsInputs() != 2 || g.getNumDpsInits() != 1 || g.getNumLoops() != 5 ||
      !linalg::isaContractionOpInterface(g))
    return {};
  MLIRContext *ctx = g.getContext();
  AffineExpr d0, d1, d2, d3, d4;
  bindDims(ctx, d0, d1, d2, d3, d4);
  auto maps = g.getIndexingMapsArray();
  if (maps[0] != AffineMap::get(5, 0, {d0, d1, d2, d4}, ctx) || maps[1] != AffineMap::get(5, 0, {d0, d1, d4, d3}, ctx) ||
      maps[2] != AffineMap::get(5, 0, {d0, d1, d2, d3}, ctx))
    return {};
  auto it = g.getIteratorTypesArray();
  for (int i = 0; i < 4; ++i)
    if (it[i] != utils::IteratorType::parallel)
      return {};
  if (it[4] != utils::IteratorType::reduction)
    return {};
  Value a = g.getDpsInputs()[0], b = g.getDpsInputs()[1], c = g.getDpsInits()[0];
  SmallVector<ReassociationIndices> re{{0, 1}, {2}, {3}};
  for (Value v : {a, b, c}) {
    auto t = cast<MemRefType>(v.getType());
    if (!t.getElementType().isF32() || !memref::CollapseShapeOp::isGuaranteedCollapsible(t, re))
      return {};
  }
  // Only what splitBatchMatmul takes (the collapse keeps the inner dims).
  if (!rhsRowsInPlace(cast<MemRefType>(b.getType()), cast<MemRefType>(c.getType())))
    return {};
  Operation *prev = g->getPrevNode();
  auto fill = dyn_cast_or_null<linalg::FillOp>(prev);
  if (fill && (!fill.hasPureBufferSemantics() || fill.getDpsInits()[0] != c))
    fill = nullptr;
  rewriter.setInsertionPoint(fill ? fill.getOperation() : g.getOperation());
  Location loc = g.getLoc();
  Value a3 = memref::CollapseShapeOp::create(rewriter, loc, a, re);
  Value b3 = memref::CollapseShapeOp::create(rewriter, loc, b, re);
  Value c3 = memref::CollapseShapeOp::create(rewriter, loc, c, re);
  if (fill)
    rewriter.modifyOpInPlace(fill, [&] { fill.getDpsInitsMutable()[0].set(c3); });
  rewriter.setInsertionPoint(g);
  auto bmm = linalg::BatchMatmulOp::create(rewriter, loc, ValueRange{a3, b3}, ValueRange{c3});
  rewriter.eraseOp(g);
  return bmm;
}

/// An f32 linalg.batch_matmul on buffers, [B, M, K] x [B, K, N] -> [B, M, N]
/// with K and N static and unit-stride rows of the right operand and the
/// result (attention's Q K^T and P V), becomes an scf.for over the batch of
/// linalg.matmul ops on rank-reduced subviews marked kDirectRhsAttr, which
/// the packed matmul micro-kernel computes reading the right operand's rows
/// in place (the general 8 x 32 x 16 tiling re-read and re-wrote its
/// accumulators every 16 k: ViT-B/16's Q K^T at 100 GFLOP/s).  A zero (or
/// any constant) linalg.fill of the result right before it moves into the
/// loop as an element-wise init marked kiln.epilogue, so that the
/// micro-kernel's tiles write it.  The loop runs on threads
/// (kiln.parallel) when the batch matmul does enough work.
bool splitBatchMatmul(RewriterBase &rewriter, linalg::BatchMatmulOp bmm) {
  if (!bmm.hasPureBufferSemantics() || bmm.hasUserDefinedMaps())
    return false;
  Value a = bmm.getDpsInputs()[0], b = bmm.getDpsInputs()[1], c = bmm.getDpsInits()[0];
  auto at = cast<MemRefType>(a.getType()), bt = cast<MemRefType>(b.getType()), ct = cast<MemRefType>(c.getType());
  for (MemRefType t : {at, bt, ct})
    if (!t.getElementType().isF32() || t.getRank() != 3)
      return false;
  if (!rhsRowsInPlace(bt, ct))
    return false;
  // The init: a fill of the whole result right before the op.
  Operation *prev = bmm->getPrevNode();
  while (prev && isa<memref::AllocOp, memref::DimOp, arith::ConstantOp, memref::SubViewOp, memref::ExpandShapeOp,
                     memref::CollapseShapeOp>(prev))
    prev = prev->getPrevNode();
  auto fill = dyn_cast_or_null<linalg::FillOp>(prev);
  if (fill && (!fill.hasPureBufferSemantics() || fill.getDpsInits()[0] != c))
    fill = nullptr;
  bool parallel = iterationWork(cast<linalg::LinalgOp>(bmm.getOperation())) >= kMinParallelWork;
  Location loc = bmm.getLoc();
  rewriter.setInsertionPoint(bmm);
  Value c0 = arith::ConstantIndexOp::create(rewriter, loc, 0), c1 = arith::ConstantIndexOp::create(rewriter, loc, 1);
  Value nb = memref::DimOp::create(rewriter, loc, c, 0);
  auto loop = scf::ForOp::create(rewriter, loc, c0, nb, c1);
  if (parallel)
    loop->setAttr(kiln::cpu::kParallelAttr, rewriter.getUnitAttr());
  OpBuilder::InsertionGuard g(rewriter);
  rewriter.setInsertionPointToStart(loop.getBody());
  Value bi = loop.getInductionVar();
  auto slice = [&](Value v, MemRefType t) -> Value {
    SmallVector<OpFoldResult> offs{bi, rewriter.getIndexAttr(0), rewriter.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes{rewriter.getIndexAttr(1), memref::getMixedSize(rewriter, loc, v, 1),
                                    memref::getMixedSize(rewriter, loc, v, 2)};
    SmallVector<OpFoldResult> strides(3, rewriter.getIndexAttr(1));
    MemRefType rt = memref::SubViewOp::inferRankReducedResultType({t.getDimSize(1), t.getDimSize(2)}, t, offs,
                                                                   sizes, strides);
    return memref::SubViewOp::create(rewriter, loc, rt, v, offs, sizes, strides);
  };
  Value as = slice(a, at), bs = slice(b, bt), cs = slice(c, ct);
  if (fill) {
    Value v = fill.getDpsInputs()[0];
    MLIRContext *ctx = rewriter.getContext();
    auto init = linalg::GenericOp::create(
        rewriter, loc, TypeRange{}, ValueRange{}, ValueRange{cs}, AffineMap::getMultiDimIdentityMap(2, ctx),
        SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
        [&](OpBuilder &nb2, Location l, ValueRange) { linalg::YieldOp::create(nb2, l, v); });
    init->setAttr(kEpilogueAttr, rewriter.getUnitAttr());
  }
  auto mm = linalg::MatmulOp::create(rewriter, loc, ValueRange{as, bs}, ValueRange{cs});
  mm->setAttr(kDirectRhsAttr, rewriter.getUnitAttr());
  rewriter.eraseOp(bmm);
  if (fill)
    rewriter.eraseOp(fill);
  return true;
}

/// On a packed convolution or matmul (and its tiles) whose filter panels are the
/// outer loop: each tile prefetches its share of the next panel (weights
/// of batch-1 layers come from memory once; spread over the tiles of a
/// panel, their reads no longer stall the panel's first tile).
constexpr llvm::StringLiteral kPrefetchPanelAttr = "kiln.prefetch_panel";

/// The panel after `panel` of `numPanels` (the last one: itself).
Value nextPanelIndex(RewriterBase &rewriter, Location loc, Value panel, int64_t numPanels) {
  return arith::MinSIOp::create(
      rewriter, loc, arith::AddIOp::create(rewriter, loc, panel, arith::ConstantIndexOp::create(rewriter, loc, 1)),
      arith::ConstantIndexOp::create(rewriter, loc, numPanels - 1));
}

/// Prefetches row `k` of panel `panel` of `panels` ([P, K, 32] f32) into L2:
/// its two cache lines.
void prefetchPanelRow(RewriterBase &rewriter, Location loc, Value panels, Value panel, Value k) {
  for (int64_t line = 0; line < kiln::cpu::kMatmulPanelWidth; line += 16)
    memref::PrefetchOp::create(rewriter, loc, panels,
                               ValueRange{panel, k, arith::ConstantIndexOp::create(rewriter, loc, line)},
                               /*isWrite=*/false, /*localityHint=*/2, /*isDataCache=*/true);
}

/// Packed matmuls whose right operand has at least this many bytes
/// prefetch the next panel (its weights come from memory at every run).
constexpr int64_t kMatmulPrefetchBytes = 1024 * 1024;
/// Rows of the next panel each loop iteration of the packed matmul kernel
/// prefetches (2 cache lines each): with 8 k per iteration, a tile covers
/// K / 8 rows, its whole share when M >= 64.
constexpr int64_t kMatmulPrefetchRows = 1;

/// Tiles the packed matmul `mm` ([M, K] x [K, N], the right operand also in
/// panels) into register tiles of kMatmulRows rows x kMatmulPanelWidth
/// columns, with the column-panel loop outside the row loop (a panel, K x 32
/// floats, stays in L2 while every row block of the left operand passes
/// over it), its epilogue ops (kiln.epilogue: bias init, residual add,
/// cheap activation) computed on each output tile, the row loop peeled when
/// the rows are dynamic or not a multiple of the tile (and the column loop
/// when N is not a multiple of the panel width), so that every tile but the
/// last has static extents.  The tiles are marked kPackedTileAttr;
/// decomposePackedMatmulTile replaces them after the slices are folded.
void tilePackedMatmul(RewriterBase &rewriter, linalg::MatmulOp mm, llvm::DenseSet<Operation *> &fused,
                      std::atomic<uint64_t> &numEpilogueOpsFused, bool worthThreads,
                      int64_t tileRows) {
  auto lop = cast<linalg::LinalgOp>(mm.getOperation());
  SmallVector<int64_t> r = lop.getStaticLoopRanges(); // M N K
  const int64_t W = kiln::cpu::kMatmulPanelWidth;
  int64_t rowTile = (ShapedType::isDynamic(r[0]) || r[0] > tileRows) ? tileRows : 0;
  int64_t colTile = r[1] > W ? W : 0;
  if (rowTile == 0 && colTile == 0) {
    mm->setAttr(kPackedTileAttr, rewriter.getUnitAttr());
    return;
  }
  linalg::GenericOp epiInit, epiAct;
  findEpilogue(lop, epiInit, epiAct);
  hoistEpilogueDest(lop, epiInit, epiAct);
  scf::SCFTilingOptions opts;
  opts.setTileSizes({rewriter.getIndexAttr(rowTile), rewriter.getIndexAttr(colTile), rewriter.getIndexAttr(0)});
  // Columns (panels) outside, rows inside.
  opts.setInterchange({1, 0, 2});
  opts.setLoopType(scf::SCFTilingOptions::LoopType::ForOp);
  rewriter.setInsertionPoint(mm);
  FailureOr<scf::SCFTilingResult> res = scf::tileUsingSCF(rewriter, cast<TilingInterface>(mm.getOperation()), opts);
  if (failed(res))
    return;
  rewriter.eraseOp(mm);
  auto tiled = cast<linalg::LinalgOp>(res->tiledOps.front());
  tiled->setAttr(kPackedTileAttr, rewriter.getUnitAttr());
  // Weights that do not stay in L2 between runs (over kMatmulPrefetchBytes,
  // several panels): each row tile prefetches its share of the next panel
  // (decomposePackedMatmulTile).  One thread on the Intel Xeon VM, three
  // alternating profiles: BERT encoder 158-162 -> 141-154 ms (its 768 ->
  // 3072 and 3072 -> 768 layers at 52-59% -> 62-66% of the peak), two
  // threads 84 -> 73-76 ms; ViT-B/16's QKV, fc1 and output projections
  // 64 / 63 / 59% -> 72 / 70 / 71%, its fc2 (3072 -> 768) unchanged at 63%.
  if (colTile && !ShapedType::isDynamic(r[1]) && !ShapedType::isDynamic(r[2]) &&
      r[1] * r[2] * 4 >= kMatmulPrefetchBytes)
    tiled->setAttr(kPrefetchPanelAttr, rewriter.getUnitAttr());
  // Loops, outermost first: the column loop (when tiled), then the row loop.
  scf::ForOp colLoop, rowLoop;
  unsigned li = 0;
  if (colTile)
    colLoop = dyn_cast<scf::ForOp>(res->loops[li++].getOperation());
  if (rowTile)
    rowLoop = dyn_cast<scf::ForOp>(res->loops[li++].getOperation());
  if (worthThreads)
    for (scf::ForOp l : {colLoop, rowLoop})
      if (l)
        l->setAttr(kiln::cpu::kParallelAttr, rewriter.getUnitAttr());
  fuseEpilogueIntoTile(rewriter, tiled, epiInit, epiAct, fused, numEpilogueOpsFused);
  // Inner loop first: peeling clones the loop's body for the remainder.
  scf::ForOp partial;
  if (rowLoop && (ShapedType::isDynamic(r[0]) || r[0] % rowTile != 0))
    (void)scf::peelForLoopAndSimplifyBounds(rewriter, rowLoop, partial);
  if (colLoop && r[1] % colTile != 0)
    (void)scf::peelForLoopAndSimplifyBounds(rewriter, colLoop, partial);
}

/// Replaces the register tile `mm` of a packed matmul (kPackedTileAttr: at
/// most kMatmulRows rows, static or not; at most kMatmulPanelWidth columns
/// starting at a multiple of it; all of K) by the micro-kernel: the rows x
/// 32 accumulators (one vector<32xf32> per row, two AVX-512 registers) are
/// read from the output tile (the bias the epilogue put there), updated for
/// each k by a broadcast-FMA of the left operand's scalar with the panel's
/// row k (contiguous, 128 bytes), in an scf.for over blocks of k unrolled
/// inside, and written back.  A tile with fewer rows than kMatmulRows at
/// run time (the peeled remainder) computes its last row in the missing
/// ones' places and stores only its own; columns past N (the last panel)
/// are masked.
LogicalResult decomposePackedMatmulTile(RewriterBase &rewriter, linalg::MatmulOp mm, int64_t tileRows) {
  FlatSymbolRefAttr panelsRef = packedPanels(mm);
  bool direct = mm->hasAttr(kDirectRhsAttr);
  if (!panelsRef && !direct)
    return failure();
  const int64_t W = kiln::cpu::kMatmulPanelWidth;
  Value a = mm.getDpsInputs()[0], b = mm.getDpsInputs()[1], c = mm.getDpsInits()[0];
  auto ct = cast<MemRefType>(c.getType());
  int64_t rowsStatic = ct.getDimSize(0), colsStatic = ct.getDimSize(1);
  if ((!ShapedType::isDynamic(rowsStatic) && rowsStatic > tileRows) ||
      (!ShapedType::isDynamic(colsStatic) && colsStatic > W))
    return failure();
  // The panel: the column offset of the right operand's tile.  (Read in
  // place: the tile's own rows, [K, cols] with unit-stride rows.)
  Value bRoot = b;
  OpFoldResult col0 = rewriter.getIndexAttr(0);
  if (auto sv = b.getDefiningOp<memref::SubViewOp>(); sv && !direct) {
    col0 = sv.getMixedOffsets()[1];
    bRoot = sv.getSource();
    if (!isConstantIntValue(sv.getMixedOffsets()[0], 0))
      return failure();
  }
  auto bt = cast<MemRefType>(bRoot.getType());
  if (bt.getRank() != 2 || bt.isDynamicDim(0) || (!direct && !bt.hasStaticShape()) ||
      (direct && (!bt.isLastDimUnitStride() || bt.isDynamicDim(1))))
    return failure();
  int64_t K = bt.getDimSize(0), N = bt.getDimSize(1);
  auto panelsT = MemRefType::get({(N + W - 1) / W, K, W}, bt.getElementType());

  Location loc = mm.getLoc();
  rewriter.setInsertionPoint(mm);
  auto cIdx = [&](int64_t v) -> Value { return arith::ConstantIndexOp::create(rewriter, loc, v); };
  Type f32 = rewriter.getF32Type();
  Value zero = arith::ConstantOp::create(rewriter, loc, f32, rewriter.getF32FloatAttr(0));
  Value c0 = cIdx(0);
  Value panels, panel;
  if (!direct) {
    panels = memref::GetGlobalOp::create(rewriter, loc, panelsT, panelsRef.getAttr());
    panel = getValueOrCreateConstantIndexOp(
        rewriter, loc,
        affine::makeComposedFoldedAffineApply(rewriter, loc, rewriter.getAffineDimExpr(0).floorDiv(W), {col0}));
  }
  bool dynRows = ShapedType::isDynamic(rowsStatic);
  int64_t R = dynRows ? tileRows : rowsStatic;
  auto vt = VectorType::get({W}, f32);
  bool fullCols = colsStatic == W;
  int64_t depth = divisorAtMost(K, 8);
  // The next panel's share of this tile (kPrefetchPanelAttr, as for the
  // packed convolutions): the tile of rows [r0, r0 + 8) of the M rows
  // prefetches rows [r0 K / M, (r0 + 8) K / M) of the next panel (M known
  // at run time), kMatmulPrefetchRows per loop iteration of `depth` k,
  // clamped to its share's last row: the tiles of a panel fetch the next
  // one once while this one computes.
  Value nextPanel, shareBase, shareEnd;
  if (!direct && mm->hasAttr(kPrefetchPanelAttr)) {
    auto sv = a.getDefiningOp<memref::SubViewOp>();
    if (sv) {
      rewriter.setInsertionPoint(mm);
      nextPanel = nextPanelIndex(rewriter, loc, panel, panelsT.getDimSize(0));
      Value r0 = getValueOrCreateConstantIndexOp(rewriter, loc, sv.getMixedOffsets()[0]);
      Value m = memref::DimOp::create(rewriter, loc, sv.getSource(), 0);
      Value kK = cIdx(K);
      shareBase = arith::DivUIOp::create(rewriter, loc, arith::MulIOp::create(rewriter, loc, r0, kK), m);
      Value next = arith::DivUIOp::create(
          rewriter, loc, arith::MulIOp::create(rewriter, loc, arith::AddIOp::create(rewriter, loc, r0, cIdx(tileRows)), kK),
          m);
      shareEnd = arith::MinSIOp::create(
          rewriter, loc, arith::MaxSIOp::create(rewriter, loc, arith::SubIOp::create(rewriter, loc, next, cIdx(1)), shareBase),
          cIdx(K - 1));
    }
  }
  // The loop over k (blocks of `depth`, unrolled inside): for each k, the
  // panel's row k times each row's scalar of the left operand, into
  // accumulator i * partials + k % partials.
  auto kLoop = [&](ArrayRef<Value> rowIdx, int64_t partials, SmallVector<Value> init) {
    return carriedLoop(rewriter, loc, K, depth, init, [&](Value k0, ValueRange in) {
      SmallVector<Value> out(in.begin(), in.end());
      if (nextPanel) {
        // Iteration k0 / depth prefetches share rows base + (k0 / depth) *
        // kMatmulPrefetchRows + j.
        Value it = affine::AffineApplyOp::create(
            rewriter, loc, rewriter.getAffineDimExpr(0).floorDiv(depth) * kMatmulPrefetchRows, ValueRange{k0});
        for (int64_t j = 0; j < kMatmulPrefetchRows; ++j) {
          Value pk = arith::AddIOp::create(rewriter, loc, arith::AddIOp::create(rewriter, loc, shareBase, it), cIdx(j));
          prefetchPanelRow(rewriter, loc, panels, nextPanel, arith::MinSIOp::create(rewriter, loc, pk, shareEnd));
        }
      }
      for (int64_t kk = 0; kk < depth; ++kk) {
        Value k = kk == 0 ? k0 : (Value)arith::AddIOp::create(rewriter, loc, k0, cIdx(kk));
        Value bv = direct ? vector::TransferReadOp::create(rewriter, loc, vt, b, ValueRange{k, c0}, zero,
                                                           ArrayRef<bool>{fullCols})
                          : vector::TransferReadOp::create(rewriter, loc, vt, panels, ValueRange{panel, k, c0}, zero,
                                                           ArrayRef<bool>{true});
        for (auto [i, r] : llvm::enumerate(rowIdx)) {
          Value av = memref::LoadOp::create(rewriter, loc, a, ValueRange{r, k});
          Value bc = vector::BroadcastOp::create(rewriter, loc, vt, av);
          Value &o = out[i * partials + kk % partials];
          o = vector::FMAOp::create(rewriter, loc, bc, bv, o);
        }
      }
      return out;
    });
  };
  // One row (static, or at run time: a batch of 1 in a model with a
  // dynamic batch: an LSTM step, a classifier): a GEMV.  The 8-row kernel
  // below would compute that row 8 times; here the row's k are spread over
  // 4 partial sums (independent FMA chains: one accumulator would wait for
  // the previous FMA at every k), added at the end.
  auto emitGemv = [&] {
    const int64_t P = std::min<int64_t>(4, depth);
    Value zv = arith::ConstantOp::create(rewriter, loc, vt, DenseElementsAttr::get(vt, 0.0f));
    SmallVector<Value> part(P, zv);
    part[0] = vector::TransferReadOp::create(rewriter, loc, vt, c, ValueRange{c0, c0}, zero,
                                             ArrayRef<bool>{fullCols});
    part = kLoop({c0}, P, part);
    Value sum = part[0];
    for (int64_t p = 1; p < P; ++p)
      sum = arith::AddFOp::create(rewriter, loc, sum, part[p]);
    vector::TransferWriteOp::create(rewriter, loc, sum, c, ValueRange{c0, c0}, ArrayRef<bool>{fullCols});
  };
  if (!dynRows && R == 1) {
    emitGemv();
    rewriter.eraseOp(mm);
    return success();
  }
  Value rows;
  std::optional<OpBuilder::InsertionGuard> elseGuard;
  if (dynRows) {
    rows = memref::DimOp::create(rewriter, loc, c, 0);
    Value one = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::eq, rows, cIdx(1));
    auto ifOp = scf::IfOp::create(rewriter, loc, one, /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard g(rewriter);
      rewriter.setInsertionPointToStart(ifOp.thenBlock());
      emitGemv();
    }
    elseGuard.emplace(rewriter);
    rewriter.setInsertionPointToStart(ifOp.elseBlock());
  }
  // Row indices: a remainder tile repeats its last row.
  SmallVector<Value> row(R);
  if (dynRows) {
    Value last = arith::SubIOp::create(rewriter, loc, rows, cIdx(1));
    for (int64_t i = 0; i < R; ++i)
      row[i] = i == 0 ? c0 : (Value)arith::MinSIOp::create(rewriter, loc, cIdx(i), last);
  } else {
    for (int64_t i = 0; i < R; ++i)
      row[i] = cIdx(i);
  }
  SmallVector<Value> acc;
  for (int64_t i = 0; i < R; ++i)
    acc.push_back(vector::TransferReadOp::create(rewriter, loc, vt, c, ValueRange{row[i], c0}, zero,
                                                 ArrayRef<bool>{fullCols}));
  acc = kLoop(row, 1, acc);
  for (int64_t i = 0; i < R; ++i) {
    auto store = [&] {
      vector::TransferWriteOp::create(rewriter, loc, acc[i], c, ValueRange{row[i], c0}, ArrayRef<bool>{fullCols});
    };
    if (!dynRows || i == 0) {
      store();
      continue;
    }
    Value inTile = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::slt, cIdx(i), rows);
    auto ifOp = scf::IfOp::create(rewriter, loc, inTile, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard g(rewriter);
    rewriter.setInsertionPointToStart(ifOp.thenBlock());
    store();
  }
  elseGuard.reset();
  rewriter.eraseOp(mm);
  return success();
}

/// Marks the register tiles of a packed convolution (tilePackedConv) that
/// decomposePackedConvTile turns into the micro-kernel.
constexpr llvm::StringLiteral kPackedConvTileAttr = "kiln.packed_conv_tile";
/// Marks the tiles of a wide 1x1 stride-1 packed convolution that
/// decomposePackedConvFlatTile turns into the pixel-vector micro-kernel
/// (whole rows, contiguous pixels).
constexpr llvm::StringLiteral kPackedConvFlatAttr = "kiln.packed_conv_flat";

/// The input of one block of rows of a pixel-vector convolution whose
/// pixels are outside the panels (tilePackedConv): 256 KB (ResNeXt-50's
/// 128 -> 256 layers at 56x56: blocks of 8 rows; 128, 256 and 512 KB
/// measured the same).
constexpr int64_t kFlatBlockInputBytes = 256 * 1024;

/// The input of a pixel-vector tile up to which decomposePackedConvFlatTile
/// keeps its pixel chunks outside the channel groups (in L1 with room to
/// spare).
constexpr int64_t kFlatChunkOuterInputBytes = 32 * 1024;

/// Output rows of a pixel-vector tile (flatConvRows): about 112 pixels.
int64_t flatConvRows(int64_t OH, int64_t OW) { return divisorAtMost(OH, std::max<int64_t>(1, 128 / OW)); }

/// The tiles of a pixel-vector convolution with its panels outside the
/// pixels and an input that stays in L2 (kPanelsOuterInputBytes): at least
/// this many tiles (panels x row blocks) per image, so that the threads
/// get equal shares; the rows of a panel in as few blocks as that allows
/// (flatPanelRows).
constexpr int64_t kFlatMinTiles = 8;

/// Output rows of a pixel-vector tile whose panels are outside the pixels
/// and whose input stays in L2: the whole image where F output channels
/// make kFlatMinTiles panels, else the rows in kFlatMinTiles / panels
/// blocks (never fewer rows than flatConvRows).  decomposePackedConvFlatTile
/// then walks each group of 8 output channels over all the tile's pixels: 8 output (and residual) channel
/// rows written in long sequential runs instead of 32 rows 48 pixels at a
/// time.  Measured on the Intel Xeon, ResNet-50's 64 -> 256 1x1 layer with
/// its residual at 56x56: 1.16 -> 0.96 ms at batch 1, 17.8 -> 9.8 ms at
/// batch 8 (the batch's tensors no longer in the caches: 16 sequential
/// streams the prefetchers follow, not 64 partial ones).
int64_t flatPanelRows(int64_t F, int64_t OH, int64_t OW) {
  int64_t panels = (F + kiln::cpu::kMatmulPanelWidth - 1) / kiln::cpu::kMatmulPanelWidth;
  int64_t blocks = std::max<int64_t>(1, (kFlatMinTiles + panels - 1) / panels);
  return std::max(flatConvRows(OH, OW), divisorAtMost(OH, std::max<int64_t>(1, OH / blocks)));
}

/// Whether the packed convolution `conv` is computed by the pixel-vector
/// micro-kernel (decomposePackedConvFlatTile): 1x1, stride 1, output rows
/// at least kFlatConvMinWidth wide, an input whose rows are exactly the
/// output's (no padding: a tile's input pixels are contiguous).
bool useFlatPixelKernel(linalg::Conv2DNchwFchwOp conv) {
  auto lop = cast<linalg::LinalgOp>(conv.getOperation());
  SmallVector<int64_t> r = lop.getStaticLoopRanges(); // N F OH OW C KH KW
  auto xt = cast<MemRefType>(conv.getDpsInputs()[0].getType());
  auto ot = cast<MemRefType>(conv.getDpsInits()[0].getType());
  SmallVector<int64_t> strides(conv.getStrides().getValues<int64_t>());
  return r[5] == 1 && r[6] == 1 && strides[0] == 1 && strides[1] == 1 && r[3] >= kiln::cpu::kFlatConvMinWidth &&
         xt.getDimSize(2) == r[2] && xt.getDimSize(3) == r[3] &&
         memref::CollapseShapeOp::isGuaranteedCollapsible(xt, {{0}, {1}, {2, 3}}) &&
         memref::CollapseShapeOp::isGuaranteedCollapsible(ot, {{0}, {1}, {2, 3}});
}

/// The packed filter panels of `conv` (kiln-cpu-pack-weights).
FlatSymbolRefAttr packedFilter(linalg::Conv2DNchwFchwOp conv) {
  return packedWeights(conv, kiln::cpu::kPackedFilterAttr);
}

/// Tiles the packed convolution `conv` (loops [N, F, OH, OW, C, KH, KW])
/// into register tiles of kMatmulPanelWidth output channels (one filter
/// panel) x packedConvPixels output pixels, with all of C, KH and KW; the
/// panel loop outside the pixel loops or inside them (whichever of filter
/// and input is larger stays where it is read once, see below), the
/// epilogue ops computed on each
/// output tile, the loops whose extent the tile does not divide peeled (so
/// that every tile has static extents).  Tiles are marked
/// kPackedConvTileAttr for decomposePackedConvTile.
void tilePackedConv(RewriterBase &rewriter, linalg::Conv2DNchwFchwOp conv, llvm::DenseSet<Operation *> &fused,
                    std::atomic<uint64_t> &numEpilogueOpsFused, bool worthThreads) {
  auto lop = cast<linalg::LinalgOp>(conv.getOperation());
  SmallVector<int64_t> r = lop.getStaticLoopRanges(); // N F OH OW C KH KW
  const int64_t W = kiln::cpu::kMatmulPanelWidth;
  int64_t gh, gw;
  kiln::cpu::packedConvPixels(r[2], r[3], gh, gw);
  // Loop order: the batch outermost (each image's tensors stay in the
  // caches while its tiles run; filter panels outside it, reused across
  // images, measured 10 to 20% slower at batch 8 on ResNet-50's 14x14 and
  // 7x7 layers), then
  //  - the filter panels outside the pixels when the filter is larger than
  //    one image's input (a panel stays in L2 while the tile walks the
  //    pixels: ResNet-50's 7x7 and 14x14 layers), or when one image's input
  //    fits in kPanelsOuterInputBytes: the input stays in L2 while each
  //    panel walks it, and each output channel row is written in one
  //    sequential run (32 write streams at a time) instead of 12 pixels at
  //    a time across all output channels.  Measured on the Intel Xeon:
  //    MobileNetV2 at batch 8 81.5 -> 62.6 ms, its 16 -> 96 expansion at
  //    112x112 17.3 -> 4.7 ms (the pixel-outer order's hundreds of
  //    partial-line streams miss the prefetchers once the tensors leave
  //    the caches); ResNet-50's 64-channel 56x56 1x1 layers 20 to 50%
  //    faster at batch 8;
  //  - else the pixels outside the panels: a tile's input (all channels)
  //    stays in L1 while the tile walks the panels; panels outside re-read
  //    an input larger than L2 once per panel (ResNet-50's 256-channel
  //    56x56 1x1 layers, 3.2 MB, 25 to 40% slower that way at batch 8).
  auto xt = cast<MemRefType>(conv.getDpsInputs()[0].getType());
  int64_t inputElems = r[4] * xt.getDimSize(2) * xt.getDimSize(3);
  bool filterLarger = ShapedType::isDynamic(inputElems) || r[1] * r[4] * r[5] * r[6] >= inputElems;
  bool panelsOuter = filterLarger || inputElems * 4 <= kiln::cpu::kPanelsOuterInputBytes;
  SmallVector<int64_t> order = panelsOuter ? SmallVector<int64_t>{0, 1, 2, 3, 4, 5, 6}
                                           : SmallVector<int64_t>{0, 2, 3, 1, 4, 5, 6};
  // The pixel-vector kernel where the panels are outside the pixels (with
  // the pixels outside, its tile's input, [C, 48] per register tile, is
  // re-read from L2 by every panel and 8-channel group: ResNet-50's 256-
  // and 512-channel 1x1 layers at 56x56 and 28x28 were 1.2 to 1.3 times
  // slower on it); or with one panel (no panel loop: the input is read
  // once in either order; MobileNetV2's 144 -> 24 projection at 56x56).
  bool flat = (panelsOuter || r[1] <= W) && useFlatPixelKernel(conv);
  // The pixels outside several panels, with few input channels (a chunk's
  // input [C, 48] in at most half of L1): blocks of rows whose input is
  // about kFlatBlockInputBytes, the panels inside each block (the block's
  // input stays in L2 while each panel walks it, and each output channel
  // is written in runs of whole rows) on the pixel-vector kernel.
  // ResNeXt-50's 128 -> 256 1x1 layers with their residual at 56x56 (1.6 MB
  // of input) 2.0-3.3 -> 1.65-2.1 ms on one thread; with 256 or 512 input
  // channels the chunk's input no longer stays in L1 (ResNeXt-50's 256 ->
  // 128 ones 1.43 -> 1.88 ms): those stay on the transposing kernel.
  bool blocked = !flat && r[4] * 48 * 4 <= 24 * 1024 && useFlatPixelKernel(conv);
  if (blocked) {
    order = {0, 2, 3, 1, 4, 5, 6};
    flat = true;
  }
  linalg::GenericOp epiInit, epiAct;
  findEpilogue(lop, epiInit, epiAct);
  if (flat) {
    // Whole rows per tile; one row where the post op writes rows that are
    // not contiguous (a padded buffer's interior).
    gw = r[3];
    gh = blocked ? divisorAtMost(r[2], std::max<int64_t>(1, kFlatBlockInputBytes / (r[4] * r[3] * 4)))
                 : (inputElems * 4 <= kiln::cpu::kPanelsOuterInputBytes ? flatPanelRows(r[1], r[2], r[3])
                                                                        : flatConvRows(r[2], r[3]));
    if (epiAct && !memref::CollapseShapeOp::isGuaranteedCollapsible(
                      cast<MemRefType>(epiAct.getDpsInits()[0].getType()), {{0}, {1}, {2, 3}}))
      gh = 1;
  }
  StringRef tileAttr = flat ? kPackedConvFlatAttr : kPackedConvTileAttr;
  SmallVector<int64_t> ts{r[0] == 1 ? 0 : 1, r[1] > W ? W : 0, gh < r[2] ? gh : 0, gw < r[3] ? gw : 0, 0, 0, 0};
  if (llvm::all_of(ts, [](int64_t t) { return t == 0; })) {
    conv->setAttr(tileAttr, rewriter.getUnitAttr());
    return;
  }
  hoistEpilogueDest(lop, epiInit, epiAct);
  markScratchOut(rewriter, lop, epiInit, epiAct);

  scf::SCFTilingOptions opts = forLoopTiling(rewriter, ts);
  // Each tile prefetches its share of the next panel into L2 (1/T of it
  // for the T tiles of a panel, decomposePackedConvTile), so that a
  // panel's weights arrive from memory while the previous panel computes.
  // The whole next panel from every tile, as before, was 3 to 12% slower on
  // ResNet-50's 3x3 layers with panels over 256 KB; shared, ResNet-50's
  // three 512-channel 3x3 layers at 7x7 (590 KB panels) went 8.0 -> 7.25
  // ms on one thread (Intel Xeon VM, four alternating profiles).
  if (filterLarger && r[1] > W)
    conv->setAttr(kPrefetchPanelAttr, rewriter.getUnitAttr());
  opts.setInterchange(order);
  rewriter.setInsertionPoint(conv);
  FailureOr<scf::SCFTilingResult> res =
      scf::tileUsingSCF(rewriter, cast<TilingInterface>(conv.getOperation()), opts);
  if (failed(res))
    return;
  rewriter.eraseOp(conv);
  auto tiled = cast<linalg::LinalgOp>(res->tiledOps.front());
  tiled->setAttr(tileAttr, rewriter.getUnitAttr());
  // The loops of the tiled dims, in `order`.
  llvm::SmallDenseMap<int64_t, scf::ForOp> loopOf;
  unsigned li = 0;
  for (int64_t d : order)
    if (ts[d] != 0 && li < res->loops.size())
      loopOf[d] = dyn_cast<scf::ForOp>(res->loops[li++].getOperation());
  // The batch loop with the panel loop right inside it and peeled (its
  // remainder splits the band) would be a band of its own, one iteration at
  // batch 1: it stays sequential and the loops inside it take the threads.
  bool batchOnly = panelsOuter && loopOf.lookup(0) && loopOf.lookup(1) && r[1] % W != 0;
  if (worthThreads)
    for (auto &[d, l] : loopOf)
      if (l)
        l->setAttr(d == 0 && batchOnly ? kiln::cpu::kBatchLoopAttr : kiln::cpu::kParallelAttr,
                   rewriter.getUnitAttr());
  fuseEpilogueIntoTile(rewriter, tiled, epiInit, epiAct, fused, numEpilogueOpsFused);
  // Inner loops first: peeling clones the loop's body for the remainder.
  scf::ForOp partial;
  for (int64_t d : llvm::reverse(order))
    if (scf::ForOp l = loopOf.lookup(d); l && d >= 1 && d <= 3 && r[d] % ts[d] != 0)
      (void)scf::peelForLoopAndSimplifyBounds(rewriter, l, partial);
}

/// The transpose of the 16 x 16 matrix whose rows are `rows` (16 vectors
/// of 16 lanes), in four stages of two-input shuffles: the stage of block
/// size b swaps the off-diagonal b x b blocks of every 2b x 2b block
/// (64 shuffles, one AVX-512 permute each).
SmallVector<Value> transpose16(RewriterBase &rewriter, Location loc, SmallVector<Value> rows) {
  for (int64_t b = 8; b >= 1; b /= 2) {
    SmallVector<int64_t> lo(16), hi(16);
    for (int64_t j = 0; j < 16; ++j) {
      lo[j] = (j & b) ? 16 + j - b : j;
      hi[j] = (j & b) ? 16 + j : j + b;
    }
    for (int64_t i = 0; i < 16; ++i) {
      if (i & b)
        continue;
      Value a = rows[i], c = rows[i + b];
      rows[i] = vector::ShuffleOp::create(rewriter, loc, a, c, lo);
      rows[i + b] = vector::ShuffleOp::create(rewriter, loc, a, c, hi);
    }
  }
  return rows;
}

/// Whether `a` and `b` are the same memref view: the same value, or
/// subviews of the same source with the same offsets, sizes and strides
/// (the epilogue ops re-created on a tile take their own subviews).
bool sameView(Value a, Value b) {
  if (a == b)
    return true;
  auto sa = a.getDefiningOp<memref::SubViewOp>(), sb = b.getDefiningOp<memref::SubViewOp>();
  return sa && sb && sa.getType() == sb.getType() && sameView(sa.getSource(), sb.getSource()) &&
         isEqualConstantIntOrValueArray(sa.getMixedOffsets(), sb.getMixedOffsets()) &&
         isEqualConstantIntOrValueArray(sa.getMixedSizes(), sb.getMixedSizes()) &&
         isEqualConstantIntOrValueArray(sa.getMixedStrides(), sb.getMixedStrides());
}

/// The full filter that the filter tile of `conv` is a view of (through
/// the subviews of tiling and of kiln-cpu-winograd's per-position slices,
/// which may only offset the output channels) and the tile's first output
/// channel in it (affine ops at the rewriter's insertion point).
LogicalResult filterRoot(RewriterBase &rewriter, linalg::Conv2DNchwFchwOp conv, Value &wRoot, OpFoldResult &f0) {
  wRoot = conv.getDpsInputs()[1];
  f0 = rewriter.getIndexAttr(0);
  while (auto sv = wRoot.getDefiningOp<memref::SubViewOp>()) {
    for (OpFoldResult o : ArrayRef<OpFoldResult>(sv.getMixedOffsets()).drop_front())
      if (!isConstantIntValue(o, 0))
        return failure();
    AffineExpr e0, e1;
    bindDims(rewriter.getContext(), e0, e1);
    f0 = affine::makeComposedFoldedAffineApply(rewriter, conv.getLoc(), e0 + e1, {f0, sv.getMixedOffsets()[0]});
    wRoot = sv.getSource();
  }
  return success();
}

/// Replaces the register tile `conv` of a packed convolution
/// (kPackedConvTileAttr: batch 1, at most kMatmulPanelWidth output channels
/// starting at a multiple of it, R <= kConvTilePixels output pixels
/// contiguous in the output, all of C, KH and KW) by the micro-kernel.  The
/// accumulators are vectors across output channels: two vector<16xf32> per
/// pixel (2R of the 32 AVX-512 registers).  They are read from the output
/// tile (the bias its epilogue put there; one masked load of the R pixels
/// per channel, transposed in registers by transpose16), updated for every
/// filter tap (c, kh, kw) by the panel's 32 weights of that tap (two
/// contiguous vectors) times the broadcast input pixel each output pixel
/// reads at that tap (a scalar load from the NCHW input: any stride and
/// dilation), in an scf.for over blocks of channels with the taps unrolled,
/// and transposed back and stored (masked) once.
LogicalResult decomposePackedConvTile(RewriterBase &rewriter, linalg::Conv2DNchwFchwOp conv) {
  FlatSymbolRefAttr panelsRef = packedFilter(conv);
  if (!panelsRef)
    return failure();
  const int64_t W = kiln::cpu::kMatmulPanelWidth, L = 16;
  Value x = conv.getDpsInputs()[0], out = conv.getDpsInits()[0];
  auto ot = cast<MemRefType>(out.getType());
  if (!ot.hasStaticShape() || ot.getDimSize(0) != 1)
    return failure();
  int64_t Fp = ot.getDimSize(1), gh = ot.getDimSize(2), gw = ot.getDimSize(3), R = gh * gw;
  if (Fp > W || R > L || R < 1)
    return failure();
  Value wRoot;
  OpFoldResult f0;
  rewriter.setInsertionPoint(conv);
  if (failed(filterRoot(rewriter, conv, wRoot, f0)))
    return failure();
  auto wt = cast<MemRefType>(wRoot.getType());
  if (!wt.hasStaticShape() || wt.getRank() != 4)
    return failure();
  int64_t F = wt.getDimSize(0), C = wt.getDimSize(1), KH = wt.getDimSize(2), KW = wt.getDimSize(3);
  int64_t K = C * KH * KW;
  SmallVector<int64_t> strides(conv.getStrides().getValues<int64_t>());
  SmallVector<int64_t> dil(conv.getDilations().getValues<int64_t>());
  Location loc = conv.getLoc();
  rewriter.setInsertionPoint(conv);
  // The output tile as [Fp, R]: its pixels are contiguous (one row part,
  // or whole rows).
  SmallVector<ReassociationIndices> collapse{{0, 1}, {2, 3}};
  if (!memref::CollapseShapeOp::isGuaranteedCollapsible(ot, collapse))
    return failure();
  Value o2 = memref::CollapseShapeOp::create(rewriter, loc, out, collapse);

  auto cIdx = [&](int64_t v) -> Value { return arith::ConstantIndexOp::create(rewriter, loc, v); };
  Type f32 = rewriter.getF32Type();
  auto vt = VectorType::get({L}, f32);
  Value c0 = cIdx(0);
  Value zero = arith::ConstantOp::create(rewriter, loc, f32, rewriter.getF32FloatAttr(0));
  Value zeroV = arith::ConstantOp::create(rewriter, loc, vt, DenseElementsAttr::get(vt, 0.0f));
  Value mask = vector::ConstantMaskOp::create(rewriter, loc, VectorType::get({L}, rewriter.getI1Type()),
                                              ArrayRef<int64_t>{R});
  auto panelsT = MemRefType::get({(F + W - 1) / W, K, W}, f32);
  Value panels = memref::GetGlobalOp::create(rewriter, loc, panelsT, panelsRef.getAttr());
  Value panel = getValueOrCreateConstantIndexOp(
      rewriter, loc,
      affine::makeComposedFoldedAffineApply(rewriter, loc, rewriter.getAffineDimExpr(0).floorDiv(W), {f0}));
  int64_t H = (Fp + L - 1) / L; // vector halves in use
  // The tile's first lane in its panel: 0, or 16 for the odd groups of a
  // grouped convolution with 16 output channels per group (two groups per
  // panel, kiln-cpu-pack-weights); such a tile has one vector half, and a
  // tile of two halves starts a panel.
  Value lane0 = H == 1 ? getValueOrCreateConstantIndexOp(
                             rewriter, loc,
                             affine::makeComposedFoldedAffineApply(rewriter, loc,
                                                                   rewriter.getAffineDimExpr(0) % W, {f0}))
                       : cIdx(0);
  // The next panel's share of this tile (kPrefetchPanelAttr), in
  // proportion to its pixels: a tile whose first pixel is p0 = oh * OW + ow
  // of the OH x OW output (the offsets of the subview `out` in its source)
  // prefetches taps [p0 * K / (OH OW), ...) of the next panel, R * K /
  // (OH OW) of them (rounded up), interleaved with its own taps; the tiles
  // of a panel (the peeled last row too) cover the next panel once.
  Value nextPanel, shareBase;
  int64_t shareTaps = 0;
  if (conv->hasAttr(kPrefetchPanelAttr)) {
    nextPanel = nextPanelIndex(rewriter, loc, panel, panelsT.getDimSize(0));
    shareTaps = K;
    shareBase = c0;
    if (auto sv = out.getDefiningOp<memref::SubViewOp>()) {
      auto st = cast<MemRefType>(sv.getSource().getType());
      if (st.getRank() == 4 && !st.isDynamicDim(2) && !st.isDynamicDim(3)) {
        int64_t pixels = st.getDimSize(2) * st.getDimSize(3);
        shareTaps = std::min(K, (R * K + pixels - 1) / pixels);
        AffineExpr oh, ow;
        bindDims(rewriter.getContext(), oh, ow);
        shareBase = getValueOrCreateConstantIndexOp(
            rewriter, loc,
            affine::makeComposedFoldedAffineApply(rewriter, loc,
                                                  ((oh * st.getDimSize(3) + ow) * K).floorDiv(pixels),
                                                  {sv.getMixedOffsets()[2], sv.getMixedOffsets()[3]}));
      }
    }
  }

  // acc[p * H + h]: pixel p, output channels h * 16 ... h * 16 + 15.
  SmallVector<Value> acc(R * H);
  // The usual init, the bias broadcast over the tile (the conv's epilogue
  // init, re-created on this tile by fuseEpilogueIntoTile): the
  // accumulators start as the bias vector itself, and the init is erased.
  linalg::GenericOp biasInit = biasInitBefore(conv, out);
  if (biasInit) {
    Value bias = biasInit.getDpsInputs()[0];
    for (int64_t h = 0; h < H; ++h) {
      Value bv = vector::TransferReadOp::create(rewriter, loc, vt, bias, ValueRange{cIdx(h * L)}, zero,
                                                ArrayRef<bool>{(h + 1) * L <= Fp});
      for (int64_t p = 0; p < R; ++p)
        acc[p * H + h] = bv;
    }
    rewriter.eraseOp(biasInit);
  }
  for (int64_t h = 0; h < H && !biasInit; ++h) {
    SmallVector<Value> rows(L, zeroV);
    for (int64_t l = 0; l < L && h * L + l < Fp; ++l)
      rows[l] = vector::MaskedLoadOp::create(rewriter, loc, vt, o2, ValueRange{cIdx(h * L + l), c0}, mask, zeroV);
    SmallVector<Value> cols = transpose16(rewriter, loc, rows);
    for (int64_t p = 0; p < R; ++p)
      acc[p * H + h] = cols[p];
  }
  // Channel blocks: about 8 taps per loop iteration, unrolled.
  int64_t taps = KH * KW;
  int64_t cb = divisorAtMost(C, std::max<int64_t>(1, 8 / taps));
  // Taps of the next panel prefetched per loop iteration (cb * taps taps
  // of this one), at most one per tap of this tile.
  int64_t U = cb * taps;
  int64_t perIter = nextPanel ? std::min(U, (U * shareTaps + K - 1) / K) : 0;
  auto body = [&](Value cBase, ValueRange in) {
    SmallVector<Value> a(in.begin(), in.end());
    // Share tap i * perIter + j of this tile (i = cBase / cb), clamped to
    // the share's last tap and to the panel's.
    Value pf0;
    if (nextPanel) {
      AffineExpr cE = rewriter.getAffineDimExpr(0), bE = rewriter.getAffineDimExpr(1);
      pf0 = affine::AffineApplyOp::create(rewriter, loc, bE + cE.floorDiv(cb) * perIter, ValueRange{cBase, shareBase});
    }
    Value shareEnd = nextPanel ? (Value)arith::MinSIOp::create(
                                     rewriter, loc, arith::AddIOp::create(rewriter, loc, shareBase, cIdx(shareTaps - 1)),
                                     cIdx(K - 1))
                               : Value();
    int64_t tapNo = 0;
    for (int64_t cc = 0; cc < cb; ++cc) {
      Value c = cc == 0 ? cBase : (Value)arith::AddIOp::create(rewriter, loc, cBase, cIdx(cc));
      for (int64_t kh = 0; kh < KH; ++kh)
        for (int64_t kw = 0; kw < KW; ++kw, ++tapNo) {
          // Tap k = (c * KH + kh) * KW + kw of the panel.
          Value k = affine::AffineApplyOp::create(
              rewriter, loc, rewriter.getAffineDimExpr(0) * taps + (kh * KW + kw), ValueRange{c});
          if (nextPanel && tapNo < perIter) {
            Value pk = arith::MinSIOp::create(rewriter, loc, arith::AddIOp::create(rewriter, loc, pf0, cIdx(tapNo)),
                                              shareEnd);
            prefetchPanelRow(rewriter, loc, panels, nextPanel, pk);
          }
          SmallVector<Value> wv(H);
          for (int64_t h = 0; h < H; ++h)
            wv[h] = vector::TransferReadOp::create(rewriter, loc, vt, panels,
                                                   ValueRange{panel, k, h == 0 ? lane0 : cIdx(h * L)},
                                                   zero, ArrayRef<bool>{true});
          for (int64_t p = 0; p < R; ++p) {
            int64_t ih = (p / gw) * strides[0] + kh * dil[0], iw = (p % gw) * strides[1] + kw * dil[1];
            Value xs = memref::LoadOp::create(rewriter, loc, x, ValueRange{c0, c, cIdx(ih), cIdx(iw)});
            Value bx = vector::BroadcastOp::create(rewriter, loc, vt, xs);
            for (int64_t h = 0; h < H; ++h)
              a[p * H + h] = vector::FMAOp::create(rewriter, loc, bx, wv[h], a[p * H + h]);
          }
        }
    }
    return a;
  };
  acc = carriedLoop(rewriter, loc, C, cb, acc, body);
  // The post op (residual add, activation), re-created on this tile right
  // after it by fuseEpilogueIntoTile, is applied to the transposed
  // registers before they are stored.
  linalg::GenericOp act = postOpAfter(conv, out);
  // Per input of `act`: the [Fp, R] view of an identity-mapped tile, or the
  // 1-D per-channel vector of a (d1)-mapped one; `out` itself is null.
  SmallVector<Value> actIn;
  Value actDst;
  // Or, where the destination tile's rows are not contiguous (the interior
  // of a padded buffer, kiln-cpu-pad-borders), its [1, Fp, gh, gw] view:
  // one masked store per row.
  bool actDstRows = false;
  // The stores go where `act` is (after the views it takes of the tile).
  if (act)
    rewriter.setInsertionPoint(act);
  // Tiles of the tile's shape: [Fp, R] views where the pixels collapse
  // (inputs must); a destination whose rows do not is stored row by row.
  if (act && !planPostOp(
                 act, out,
                 [&](MemRefType t) {
                   return t.getRank() == 4 && t.hasStaticShape() && t.getDimSize(1) == Fp &&
                          t.getDimSize(2) == gh && t.getDimSize(3) == gw &&
                          (memref::CollapseShapeOp::isGuaranteedCollapsible(t, collapse) ||
                           t.getStridesAndOffset().first.back() == 1);
                 },
                 actIn, actDst))
    act = nullptr;
  auto collapsible = [&](Value v) {
    return memref::CollapseShapeOp::isGuaranteedCollapsible(cast<MemRefType>(v.getType()), collapse);
  };
  if (act && llvm::any_of(actIn, [&](Value v) {
        return v && cast<MemRefType>(v.getType()).getRank() == 4 && !collapsible(v);
      })) {
    act = nullptr;
    actIn.clear();
    actDst = Value();
  }
  if (act) {
    for (Value &v : actIn)
      if (v && cast<MemRefType>(v.getType()).getRank() == 4)
        v = memref::CollapseShapeOp::create(rewriter, loc, v, collapse);
    actDstRows = !collapsible(actDst);
    if (!actDstRows)
      actDst = memref::CollapseShapeOp::create(rewriter, loc, actDst, collapse);
  }
  // The mask of one row of a non-contiguous destination tile.
  Value rowMask;
  if (actDstRows)
    rowMask = vector::ConstantMaskOp::create(rewriter, loc, VectorType::get({L}, rewriter.getI1Type()),
                                             ArrayRef<int64_t>{gw});
  for (int64_t h = 0; h < H; ++h) {
    SmallVector<Value> rows(L, zeroV);
    for (int64_t p = 0; p < R; ++p)
      rows[p] = acc[p * H + h];
    SmallVector<Value> chans = transpose16(rewriter, loc, rows);
    for (int64_t l = 0; l < L && h * L + l < Fp; ++l) {
      Value f = cIdx(h * L + l);
      if (!act || (!sameView(act.getDpsInits()[0], out) && !conv->hasAttr(kScratchOutAttr)))
        vector::MaskedStoreOp::create(rewriter, loc, o2, ValueRange{f, c0}, mask, chans[l]);
      if (!act)
        continue;
      Value y = applyPostOp(
          rewriter, loc, act, actIn, chans[l],
          [&](Value in) -> Value {
            return vector::MaskedLoadOp::create(rewriter, loc, vt, in, ValueRange{f, c0}, mask, zeroV);
          },
          f);
      if (!actDstRows) {
        vector::MaskedStoreOp::create(rewriter, loc, actDst, ValueRange{f, c0}, mask, y);
        continue;
      }
      // Row r: lanes r * gw ... moved to the front, gw of them stored.
      for (int64_t r = 0; r < gh; ++r) {
        SmallVector<int64_t> idx;
        for (int64_t j = 0; j < L; ++j)
          idx.push_back(r * gw + j < L ? r * gw + j : 0);
        Value row = r == 0 ? y : (Value)vector::ShuffleOp::create(rewriter, loc, y, y, idx);
        vector::MaskedStoreOp::create(rewriter, loc, actDst, ValueRange{c0, f, cIdx(r), c0}, rowMask, row);
      }
    }
  }
  if (act)
    rewriter.eraseOp(act);
  rewriter.eraseOp(conv);
  return success();
}

/// Replaces the tile `conv` of a wide 1x1 stride-1 packed convolution
/// (kPackedConvFlatAttr: batch 1, at most kMatmulPanelWidth output channels
/// starting at a multiple of it, whole output rows, input and output pixels
/// contiguous) by the pixel-vector micro-kernel: the tile is a product
/// [Fp, C] x [C, P] over its P flattened pixels, in register tiles of 8
/// output channels x 3 vectors of 16 pixels (24 accumulators), each updated
/// per input channel by 3 contiguous input vectors times 8 weights
/// broadcast from the panel (contiguous across output channels).  The
/// accumulators start as the bias (or the output), the post op (residual
/// add, activation) is applied to them and they are stored as contiguous
/// pixel vectors: unlike decomposePackedConvTile's tiles (vectors across
/// channels), nothing is transposed and every store and residual load is a
/// full vector of one channel's pixels.  The pixel chunks are the outer
/// loop, so a chunk's input ([C, 48]) stays in L1 for the 8-channel groups.
LogicalResult decomposePackedConvFlatTile(RewriterBase &rewriter, linalg::Conv2DNchwFchwOp conv) {
  FlatSymbolRefAttr panelsRef = packedFilter(conv);
  if (!panelsRef)
    return failure();
  const int64_t W = kiln::cpu::kMatmulPanelWidth, L = 16, G = 8, V = 3;
  Value x = conv.getDpsInputs()[0], out = conv.getDpsInits()[0];
  auto ot = cast<MemRefType>(out.getType());
  auto xt = cast<MemRefType>(x.getType());
  if (!ot.hasStaticShape() || ot.getDimSize(0) != 1 || !xt.hasStaticShape())
    return failure();
  int64_t Fp = ot.getDimSize(1), P = ot.getDimSize(2) * ot.getDimSize(3), C = xt.getDimSize(1);
  if (Fp > W || xt.getDimSize(2) * xt.getDimSize(3) != P)
    return failure();
  Value wRoot;
  OpFoldResult f0;
  rewriter.setInsertionPoint(conv);
  Location loc = conv.getLoc();
  if (failed(filterRoot(rewriter, conv, wRoot, f0)))
    return failure();
  auto wt = cast<MemRefType>(wRoot.getType());
  if (!wt.hasStaticShape() || wt.getRank() != 4 || wt.getDimSize(1) != C || wt.getDimSize(2) != 1 ||
      wt.getDimSize(3) != 1)
    return failure();
  int64_t F = wt.getDimSize(0);
  SmallVector<ReassociationIndices> collapse{{0, 1}, {2, 3}};
  if (!memref::CollapseShapeOp::isGuaranteedCollapsible(ot, collapse) ||
      !memref::CollapseShapeOp::isGuaranteedCollapsible(xt, collapse))
    return failure();

  linalg::GenericOp biasInit = biasInitBefore(conv, out);
  Value bias = biasInit ? biasInit.getDpsInputs()[0] : Value();
  if (bias && cast<MemRefType>(bias.getType()).getRank() != 1)
    return failure();

  // The post op, planned before anything is created: its tile inputs and
  // destination (the tile's shape, pixels collapsible) become [Fp, P]
  // views, per-channel inputs stay rank 1, `out` itself is null.
  linalg::GenericOp act = postOpAfter(conv, out);
  SmallVector<Value> actIn;
  Value actDst;
  if (act && !planPostOp(
                 act, out,
                 [&](MemRefType t) {
                   return t.getRank() == 4 && t.hasStaticShape() && t.getShape() == ot.getShape() &&
                          memref::CollapseShapeOp::isGuaranteedCollapsible(t, collapse);
                 },
                 actIn, actDst))
    act = nullptr;
  if (act)
    rewriter.setInsertionPoint(act);
  else
    rewriter.setInsertionPointAfter(conv);

  auto cIdx = [&](int64_t v) -> Value { return arith::ConstantIndexOp::create(rewriter, loc, v); };
  Type f32 = rewriter.getF32Type();
  auto vt = VectorType::get({L}, f32);
  Value c0 = cIdx(0);
  Value zeroV = arith::ConstantOp::create(rewriter, loc, vt, DenseElementsAttr::get(vt, 0.0f));
  Value o2 = memref::CollapseShapeOp::create(rewriter, loc, out, collapse);
  Value x2 = memref::CollapseShapeOp::create(rewriter, loc, x, collapse);
  auto collapsed = [&](Value v) -> Value {
    return v && cast<MemRefType>(v.getType()).getRank() == 4
               ? (Value)memref::CollapseShapeOp::create(rewriter, loc, v, collapse)
               : v;
  };
  for (Value &v : actIn)
    v = collapsed(v);
  actDst = collapsed(actDst);
  bool storeOut = !act || (!sameView(act.getDpsInits()[0], out) && !conv->hasAttr(kScratchOutAttr));
  auto panelsT = MemRefType::get({(F + W - 1) / W, C, W}, f32);
  Value panels = memref::GetGlobalOp::create(rewriter, loc, panelsT, panelsRef.getAttr());
  Value panel = getValueOrCreateConstantIndexOp(
      rewriter, loc,
      affine::makeComposedFoldedAffineApply(rewriter, loc, rewriter.getAffineDimExpr(0).floorDiv(W), {f0}));

  // One register tile: channels g0 ... g0 + ng - 1 of the tile, pixels p0
  // ... p0 + 16 nv - 1 (the last vector masked to `lastLanes`).
  auto registerTile = [&](Value p0, int64_t g0, int64_t ng, int64_t nv, int64_t lastLanes) {
    Value lastMask;
    if (lastLanes < L)
      lastMask = vector::ConstantMaskOp::create(rewriter, loc, VectorType::get({L}, rewriter.getI1Type()),
                                                ArrayRef<int64_t>{lastLanes});
    SmallVector<Value> pv(nv);
    for (int64_t v = 0; v < nv; ++v)
      pv[v] = v == 0 ? p0 : (Value)arith::AddIOp::create(rewriter, loc, p0, cIdx(v * L));
    auto load = [&](Value mem, Value row, int64_t v) -> Value {
      if (v == nv - 1 && lastMask)
        return vector::MaskedLoadOp::create(rewriter, loc, vt, mem, ValueRange{row, pv[v]}, lastMask, zeroV);
      return vector::LoadOp::create(rewriter, loc, vt, mem, ValueRange{row, pv[v]});
    };
    auto store = [&](Value val, Value mem, Value row, int64_t v) {
      if (v == nv - 1 && lastMask)
        vector::MaskedStoreOp::create(rewriter, loc, mem, ValueRange{row, pv[v]}, lastMask, val);
      else
        vector::StoreOp::create(rewriter, loc, val, mem, ValueRange{row, pv[v]});
    };
    SmallVector<Value> acc(ng * nv);
    for (int64_t i = 0; i < ng; ++i) {
      Value row = cIdx(g0 + i);
      Value init;
      if (bias)
        init = vector::BroadcastOp::create(rewriter, loc, vt, memref::LoadOp::create(rewriter, loc, bias, row));
      for (int64_t v = 0; v < nv; ++v)
        acc[i * nv + v] = init ? init : load(o2, row, v);
    }
    // Two input channels per loop iteration.
    int64_t cb = divisorAtMost(C, 2);
    acc = carriedLoop(rewriter, loc, C, cb, acc, [&](Value cBase, ValueRange in) {
      SmallVector<Value> a(in.begin(), in.end());
      for (int64_t cc = 0; cc < cb; ++cc) {
        Value c = cc == 0 ? cBase : (Value)arith::AddIOp::create(rewriter, loc, cBase, cIdx(cc));
        SmallVector<Value> xv(nv);
        for (int64_t v = 0; v < nv; ++v)
          xv[v] = load(x2, c, v);
        for (int64_t i = 0; i < ng; ++i) {
          Value wsc = memref::LoadOp::create(rewriter, loc, panels, ValueRange{panel, c, cIdx(g0 + i)});
          Value wb = vector::BroadcastOp::create(rewriter, loc, vt, wsc);
          for (int64_t v = 0; v < nv; ++v)
            a[i * nv + v] = vector::FMAOp::create(rewriter, loc, wb, xv[v], a[i * nv + v]);
        }
      }
      return a;
    });
    for (int64_t i = 0; i < ng; ++i) {
      Value row = cIdx(g0 + i);
      for (int64_t v = 0; v < nv; ++v) {
        Value y = acc[i * nv + v];
        if (storeOut)
          store(y, o2, row, v);
        if (act)
          store(applyPostOp(
                    rewriter, loc, act, actIn, y, [&](Value in) { return load(in, row, v); }, row),
                actDst, row, v);
      }
    }
  };
  // The pixel chunks (3 vectors; the rest in one chunk of 1 to 3 vectors),
  // and in each the groups of 8 output channels.
  int64_t full = P / (V * L), rest = P - full * V * L;
  // The chunks outside the channel groups while a chunk's input ([C, 48])
  // stays in L1 for the groups; else (long tiles, flatPanelRows) each group
  // walks all the tile's pixels (its input from L2) and writes its 8
  // channel rows sequentially.
  // (Tiles of at least 8 chunks: on shorter ones, 7x7 and 14x14 images,
  // the order made no difference.)
  bool groupsOuter = P * C * 4 > kFlatChunkOuterInputBytes && P >= 8 * V * L;
  auto chunks = [&](int64_t g0, int64_t g1) {
    auto chunk = [&](Value p0, int64_t nv, int64_t lastLanes) {
      for (int64_t g = g0; g < g1; g += G)
        registerTile(p0, g, std::min(G, g1 - g), nv, lastLanes);
    };
    if (full > 0) {
      auto f = scf::ForOp::create(rewriter, loc, c0, cIdx(full * V * L), cIdx(V * L));
      OpBuilder::InsertionGuard g(rewriter);
      rewriter.setInsertionPointToStart(f.getBody());
      chunk(f.getInductionVar(), V, L);
    }
    if (rest > 0)
      chunk(cIdx(full * V * L), (rest + L - 1) / L, rest - (rest - 1) / L * L);
  };
  if (groupsOuter)
    for (int64_t g0 = 0; g0 < Fp; g0 += G)
      chunks(g0, std::min(Fp, g0 + G));
  else
    chunks(0, Fp);
  if (act)
    rewriter.eraseOp(act);
  if (biasInit)
    rewriter.eraseOp(biasInit);
  rewriter.eraseOp(conv);
  return success();
}

/// Marks the 16 x 16 tiles of a transpose (tileTranspose) that
/// decomposeTransposeTile turns into register transposes.
constexpr llvm::StringLiteral kTransposeTileAttr = "kiln.transpose_tile";

/// Whether a transpose by `perm` from `it` to `ot` moves the innermost dim:
/// the innermost output dim is not the input's innermost one.  `q` is the
/// output position of the input's innermost dim (the output's innermost is
/// input dim perm[last]).  Both extents static, both innermost dims
/// unit-stride, f32.
bool swapTransposeTypes(ArrayRef<int64_t> perm, MemRefType it, MemRefType ot, int64_t &q) {
  int64_t n = perm.size();
  if (n < 2 || perm[n - 1] == n - 1)
    return false;
  if (!it.getElementType().isF32() || !it.isLastDimUnitStride() || !ot.isLastDimUnitStride())
    return false;
  q = llvm::find(perm, n - 1) - perm.begin();
  return !ot.isDynamicDim(q) && !ot.isDynamicDim(n - 1);
}

/// swapTransposeTypes on the transpose `t` (buffers).
bool swapTranspose(linalg::TransposeOp t, int64_t &q) {
  return t.hasPureBufferSemantics() &&
         swapTransposeTypes(t.getPermutation(), cast<MemRefType>(t.getInput().getType()),
                            cast<MemRefType>(t.getInit().getType()), q);
}

/// Tiles a swap transpose (swapTranspose) into tiles of 16 x 16 over its
/// output dims q and last (unit tiles on the others; loops of enough work
/// kiln.parallel), the two loops peeled where 16 does not divide them, so
/// that every tile is static; the tiles are marked kTransposeTileAttr.
void tileTranspose(RewriterBase &rewriter, linalg::TransposeOp t, int64_t q, int64_t minTrips) {
  auto ot = cast<MemRefType>(t.getInit().getType());
  int64_t n = ot.getRank();
  SmallVector<int64_t> ts(n, 1);
  ts[q] = ot.getDimSize(q) > 16 ? 16 : 0;
  ts[n - 1] = ot.getDimSize(n - 1) > 16 ? 16 : 0;
  for (int64_t d = 0; d < n; ++d)
    if (d != q && d != n - 1 && !ot.isDynamicDim(d) && ot.getDimSize(d) == 1)
      ts[d] = 0;
  if (llvm::all_of(ts, [](int64_t v) { return v == 0; })) {
    t->setAttr(kTransposeTileAttr, rewriter.getUnitAttr());
    return;
  }
  scf::SCFTilingOptions opts = forLoopTiling(rewriter, ts);
  rewriter.setInsertionPoint(t);
  FailureOr<scf::SCFTilingResult> res = scf::tileUsingSCF(rewriter, cast<TilingInterface>(t.getOperation()), opts);
  if (failed(res))
    return;
  rewriter.eraseOp(t);
  res->tiledOps.front()->setAttr(kTransposeTileAttr, rewriter.getUnitAttr());
  SmallVector<std::pair<int64_t, scf::ForOp>> loops;
  unsigned li = 0;
  for (int64_t d = 0; d < n; ++d)
    if (ts[d] != 0 && li < res->loops.size())
      loops.push_back({d, dyn_cast<scf::ForOp>(res->loops[li++].getOperation())});
  for (auto &[d, l] : loops)
    if (d != q && d != n - 1)
      markParallel(rewriter, l, minTrips);
  // Inner loops first: peeling clones the loop's body for the remainder.
  scf::ForOp partial;
  for (auto &[d, l] : llvm::reverse(loops))
    if (l && (d == q || d == n - 1) && ot.getDimSize(d) % 16 != 0)
      (void)scf::peelForLoopAndSimplifyBounds(rewriter, l, partial);
}

/// A transpose tile (kTransposeTileAttr: output dims q and last at most 16,
/// the others 1) as register transposes: B <= 16 input rows along the
/// input's innermost dim (A <= 16 lanes, masked), transposed in registers
/// (transpose16), and A output rows of B lanes stored (masked).  A strided
/// read per element became a gather or scalar loads: ViT-B/16's K^T
/// ([197, 12, 64] -> [12, 64, 197]) took 0.16 ms per layer.
LogicalResult decomposeTransposeTile(RewriterBase &rewriter, linalg::TransposeOp t) {
  if (!t.hasPureBufferSemantics())
    return failure();
  // (The tile's views after peeling: static subviews cast to the tiled
  // op's dynamic types, which linalg.transpose does not fold.)
  Value in = t.getInput(), out = t.getInit();
  if (auto c = in.getDefiningOp<memref::CastOp>())
    in = c.getSource();
  if (auto c = out.getDefiningOp<memref::CastOp>())
    out = c.getSource();
  auto it = cast<MemRefType>(in.getType()), ot = cast<MemRefType>(out.getType());
  int64_t q;
  if (!swapTransposeTypes(t.getPermutation(), it, ot, q))
    return failure();
  int64_t n = ot.getRank(), p = t.getPermutation()[n - 1];
  int64_t A = ot.getDimSize(q), B = ot.getDimSize(n - 1);
  if (A > 16 || B > 16 || !it.hasStaticShape() || !ot.hasStaticShape())
    return failure();
  for (int64_t d = 0; d < n; ++d)
    if (d != q && d != n - 1 && ot.getDimSize(d) != 1)
      return failure();
  Location loc = t.getLoc();
  rewriter.setInsertionPoint(t);
  Type f32 = rewriter.getF32Type();
  auto vt = VectorType::get({16}, f32);
  Value zero = arith::ConstantOp::create(rewriter, loc, f32, rewriter.getF32FloatAttr(0));
  Value zeroV = arith::ConstantOp::create(rewriter, loc, vt, DenseElementsAttr::get(vt, 0.0f));
  auto cIdx = [&](int64_t v) -> Value { return arith::ConstantIndexOp::create(rewriter, loc, v); };
  Value c0 = cIdx(0);
  SmallVector<Value> rows(16, zeroV);
  for (int64_t j = 0; j < B; ++j) {
    SmallVector<Value> idx(n, c0);
    idx[p] = cIdx(j);
    rows[j] = vector::TransferReadOp::create(rewriter, loc, vt, in, idx, zero, ArrayRef<bool>{A == 16});
  }
  SmallVector<Value> cols = transpose16(rewriter, loc, rows);
  for (int64_t i = 0; i < A; ++i) {
    SmallVector<Value> idx(n, c0);
    idx[q] = cIdx(i);
    vector::TransferWriteOp::create(rewriter, loc, cols[i], out, idx, ArrayRef<bool>{B == 16});
  }
  rewriter.eraseOp(t);
  return success();
}

struct TileAndVectorizePass
    : kiln::cpu::impl::CPUTileAndVectorizeBase<TileAndVectorizePass> {
  using CPUTileAndVectorizeBase::CPUTileAndVectorizeBase;
  void runOnOperation() override {
    func::FuncOp f = getOperation();
    MLIRContext *ctx = &getContext();
    IRRewriter rewriter(ctx);

    std::atomic<uint64_t> &numEpilogueOpsFused = kiln::passStatistic(
        getArgument(), "epilogue-ops-fused",
        "Epilogue ops (bias/residual init, activation) moved into a conv/matmul's tile loops");

    // 0. Batch matmuls with two run-time operands: loops of matmuls on the
    //    packed matmul micro-kernel.
    {
      std::atomic<uint64_t> &numBmm = kiln::passStatistic(
          getArgument(), "batch-matmuls-split",
          "Batch matmuls computed as a loop of matmuls on the matmul micro-kernel (right operand in place)");
      SmallVector<linalg::GenericOp> generics;
      f.walk([&](linalg::GenericOp g) {
        if (g.getNumLoops() == 5 && g.getNumDpsInputs() == 2)
          generics.push_back(g);
      });
      for (linalg::GenericOp g : generics)
        (void)batchMatmulFromGeneric(rewriter, g);
      SmallVector<linalg::BatchMatmulOp> bmms;
      f.walk([&](linalg::BatchMatmulOp b) { bmms.push_back(b); });
      for (linalg::BatchMatmulOp b : bmms)
        if (splitBatchMatmul(rewriter, b))
          ++numBmm;
    }

    // 1. Tile.
    SmallVector<linalg::LinalgOp> ops;
    f.walk([&](linalg::LinalgOp op) {
      if (op.hasPureTensorSemantics() || op.hasPureBufferSemantics())
        ops.push_back(op);
    });
    // Epilogue ops last: the conv/matmul they belong to takes them into its
    // loops; those left (not next to their op any more) are tiled alone.
    std::stable_partition(ops.begin(), ops.end(),
                          [](linalg::LinalgOp op) { return !op->hasAttr(kEpilogueAttr); });
    // Epilogue ops re-created inside a conv/matmul's tile loops (and erased).
    llvm::DenseSet<Operation *> fused;
    // Peels the loops of `dims` (each tiled in `ts`) of a tiling result,
    // outermost first (peeling keeps the original loop as the main part,
    // so the inner loops of `res` stay valid).
    auto peel = [&](scf::SCFTilingResult &res, ArrayRef<int64_t> ts, ArrayRef<int64_t> dims) {
      for (int64_t d : dims) {
        if (d >= (int64_t)ts.size() || ts[d] == 0)
          continue;
        unsigned loopIdx = 0;
        for (int64_t e = 0; e < d; ++e)
          loopIdx += ts[e] != 0;
        if (loopIdx < res.loops.size())
          if (auto loop = dyn_cast<scf::ForOp>(res.loops[loopIdx].getOperation())) {
            scf::ForOp partial;
            (void)scf::peelForLoopAndSimplifyBounds(rewriter, loop, partial);
          }
      }
    };
    for (linalg::LinalgOp op : ops) {
      if (fused.contains(op.getOperation()))
        continue;
      // A matmul with its right operand in panels: its own tiling and
      // micro-kernel.
      if (auto mm = dyn_cast<linalg::MatmulOp>(op.getOperation()); mm && usesMatmulKernel(mm)) {
        tilePackedMatmul(rewriter, mm, fused, numEpilogueOpsFused, iterationWork(op) >= kMinParallelWork,
                         matmulRows);
        continue;
      }
      if (auto pc = dyn_cast<linalg::Conv2DNchwFchwOp>(op.getOperation()); pc && packedFilter(pc)) {
        tilePackedConv(rewriter, pc, fused, numEpilogueOpsFused, iterationWork(op) >= kMinParallelWork);
        continue;
      }
      if (int64_t q; isa<linalg::TransposeOp>(op.getOperation()) &&
                     swapTranspose(cast<linalg::TransposeOp>(op.getOperation()), q)) {
        tileTranspose(rewriter, cast<linalg::TransposeOp>(op.getOperation()), q, parallelMinTrips(op));
        continue;
      }
      SmallVector<int64_t> tiles;
      SmallVector<int64_t> peelDims; // ascending: outer loops first
      if (!chooseTileSizes(op, tiles, peelDims))
        continue;
      // (Decided before tiling, which erases `op`.)
      ConvTile convTile;
      auto conv = dyn_cast<linalg::Conv2DNchwFchwOp>(op.getOperation());
      bool convKernel = conv && convMicroKernelTile(conv, convTile);
      auto dw = dyn_cast<linalg::DepthwiseConv2DNchwChwOp>(op.getOperation());
      bool dwKernel = dw && depthwiseMicroKernel(dw);
      auto pool = dyn_cast<linalg::PoolingNchwMaxOp>(op.getOperation());
      bool poolKernel = pool && poolMicroKernel(pool);
      auto sumPool = dyn_cast<linalg::PoolingNchwSumOp>(op.getOperation());
      bool sumPoolKernel = sumPool && poolMicroKernel(sumPool);
      if (llvm::all_of(tiles, [](int64_t t) { return t == 0; })) {
        // A convolution that is one tile already.
        if (convKernel)
          (void)decomposeConvTile(rewriter, conv, convTile);
        if (dwKernel)
          (void)decomposeDepthwiseTile(rewriter, dw, int8Depthwise);
        if (poolKernel)
          (void)decomposePoolTile(rewriter, pool);
        if (sumPoolKernel)
          (void)decomposePoolTile(rewriter, sumPool);
        continue;
      }
      auto tileWith = [&](linalg::LinalgOp target, ArrayRef<int64_t> ts) -> FailureOr<scf::SCFTilingResult> {
        // Which loops may run in parallel (kiln-cpu-parallelize): those
        // of parallel dims, when the op does enough work to pay for it.
        SmallVector<utils::IteratorType> targetIters = target.getIteratorTypesArray();
        int64_t minTrips = parallelMinTrips(target);
        scf::SCFTilingOptions opts = forLoopTiling(rewriter, ts);
        // Depthwise tiles ([N, OH, OW, C, KH, KW]) channel by channel: the
        // channel loop outside the row loop, so that consecutive tiles read
        // and write the same planes (rows outside walked every plane for
        // each row: hundreds of streams the prefetchers do not follow).
        SmallVector<int64_t> order = llvm::to_vector(llvm::seq<int64_t>(0, ts.size()));
        if (dwKernel && isa<linalg::DepthwiseConv2DNchwChwOp>(target.getOperation()) && ts.size() == 6)
          order = {0, 3, 1, 2, 4, 5};
        opts.setInterchange(order);
        rewriter.setInsertionPoint(target);
        FailureOr<scf::SCFTilingResult> r =
            scf::tileUsingSCF(rewriter, cast<TilingInterface>(target.getOperation()), opts);
        if (failed(r))
          return failure();
        if (target->getNumResults() == 0)
          rewriter.eraseOp(target);
        else
          rewriter.replaceOp(target, r->replacements);
        unsigned loopIdx = 0;
        for (int64_t d : order) {
          if (ts[d] == 0)
            continue;
          if (loopIdx < r->loops.size() && targetIters[d] == utils::IteratorType::parallel)
            markParallel(rewriter, r->loops[loopIdx], minTrips);
          ++loopIdx;
        }
        return r;
      };
      // A conv/matmul with a fused epilogue (kiln.epilogue ops right before
      // and after it): tile its parallel dims first, compute the epilogue
      // on each output tile inside those loops (init before the reduction,
      // activation after it), then tile the reduction dims of the tile.
      linalg::GenericOp epiInit, epiAct;
      findEpilogue(op, epiInit, epiAct);
      SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
      SmallVector<int64_t> parTiles(tiles), redTiles(tiles);
      for (unsigned d = 0; d < tiles.size(); ++d)
        (iters[d] == utils::IteratorType::parallel ? redTiles : parTiles)[d] = 0;
      bool fuseEpi = (epiInit || epiAct) && op.getNumReductionLoops() > 0 &&
                     llvm::any_of(parTiles, [](int64_t t) { return t != 0; });
      // A depthwise convolution whose result only its epilogue reads: the
      // plane kernel stores the post op's result only.
      if (dwKernel && fuseEpi)
        markScratchOut(rewriter, op, epiInit, epiAct);
      FailureOr<scf::SCFTilingResult> r = failure();
      if (fuseEpi) {
        hoistEpilogueDest(op, epiInit, epiAct);
        r = tileWith(op, parTiles);
        if (failed(r))
          continue;
        auto tiled = cast<linalg::LinalgOp>(r->tiledOps.front());
        fuseEpilogueIntoTile(rewriter, tiled, epiInit, epiAct, fused, numEpilogueOpsFused);
        if (llvm::any_of(redTiles, [](int64_t t) { return t != 0; })) {
          FailureOr<scf::SCFTilingResult> rr = tileWith(tiled, redTiles);
          if (failed(rr))
            continue;
          peel(*rr, redTiles, peelDims);
        }
      } else {
        r = tileWith(op, tiles);
        if (failed(r))
          continue;
      }
      if (dwKernel) {
        auto tiled = r->tiledOps.empty() ? nullptr : dyn_cast<linalg::DepthwiseConv2DNchwChwOp>(r->tiledOps.front());
        if (tiled)
          (void)decomposeDepthwiseTile(rewriter, tiled, int8Depthwise);
        continue;
      }
      if (poolKernel) {
        auto tiled = r->tiledOps.empty() ? nullptr : dyn_cast<linalg::PoolingNchwMaxOp>(r->tiledOps.front());
        if (tiled)
          (void)decomposePoolTile(rewriter, tiled);
        continue;
      }
      if (sumPoolKernel) {
        auto tiled = r->tiledOps.empty() ? nullptr : dyn_cast<linalg::PoolingNchwSumOp>(r->tiledOps.front());
        if (tiled)
          (void)decomposePoolTile(rewriter, tiled);
        continue;
      }
      // A convolution register tile: the micro-kernel's loops.
      if (convKernel) {
        auto tiled = r->tiledOps.empty() ? nullptr : dyn_cast<linalg::Conv2DNchwFchwOp>(r->tiledOps.front());
        if (tiled)
          (void)decomposeConvTile(rewriter, tiled, convTile);
        continue;
      }
      // A dynamic matmul row count tiled by kMatmulRows, or columns/depth
      // with no good divisor: peel those loops so that their main parts
      // have static full tiles (the vectorizer needs static shapes; unit
      // tiles would re-read the whole right-hand matrix for every row).
      peel(*r, fuseEpi ? ArrayRef<int64_t>(parTiles) : ArrayRef<int64_t>(tiles), peelDims);
    }

    // 2. Fold the slices tiling created; the register tiles of packed
    //    convolutions (static extents now) become the micro-kernel before
    //    unit-height 2-D convolutions and poolings are decomposed into 1-D
    //    ones.
    {
      RewritePatternSet patterns(ctx);
      populateDimFoldingPatterns(patterns);
      memref::SubViewOp::getCanonicalizationPatterns(patterns, ctx);
      affine::AffineMinOp::getCanonicalizationPatterns(patterns, ctx);
      scf::ForOp::getCanonicalizationPatterns(patterns, ctx);
      (void)applyPatternsGreedily(f, std::move(patterns));
      // The packed tiles: transposing (kPackedConvTileAttr) and
      // pixel-vector (kPackedConvFlatAttr) micro-kernels.
      SmallVector<linalg::Conv2DNchwFchwOp> convTiles;
      f.walk([&](linalg::Conv2DNchwFchwOp c) {
        if (c->hasAttr(kPackedConvTileAttr) || c->hasAttr(kPackedConvFlatAttr))
          convTiles.push_back(c);
      });
      for (linalg::Conv2DNchwFchwOp c : convTiles)
        if (failed(c->hasAttr(kPackedConvFlatAttr) ? decomposePackedConvFlatTile(rewriter, c)
                                                   : decomposePackedConvTile(rewriter, c)))
          c->emitWarning("kiln: packed convolution tile left to the general path");
      // Transpose tiles: register transposes.
      SmallVector<linalg::TransposeOp> trTiles;
      f.walk([&](linalg::TransposeOp t) {
        if (t->hasAttr(kTransposeTileAttr))
          trTiles.push_back(t);
      });
      for (linalg::TransposeOp t : trTiles)
        if (failed(decomposeTransposeTile(rewriter, t)))
          t->removeAttr(kTransposeTileAttr);
    }
    {
      RewritePatternSet patterns(ctx);
      linalg::populateDecomposeConvolutionPatterns(patterns);
      populateDimFoldingPatterns(patterns);
      tensor::ExtractSliceOp::getCanonicalizationPatterns(patterns, ctx);
      memref::SubViewOp::getCanonicalizationPatterns(patterns, ctx);
      tensor::InsertSliceOp::getCanonicalizationPatterns(patterns, ctx);
      affine::AffineMinOp::getCanonicalizationPatterns(patterns, ctx);
      scf::ForOp::getCanonicalizationPatterns(patterns, ctx);
      (void)applyPatternsGreedily(f, std::move(patterns));
    }

    // 2b. The register tiles of packed matmuls (static extents where the
    //     folding above made them so) become the micro-kernel.
    {
      SmallVector<linalg::MatmulOp> tilesToDecompose;
      f.walk([&](linalg::MatmulOp mm) {
        if (mm->hasAttr(kPackedTileAttr))
          tilesToDecompose.push_back(mm);
      });
      for (linalg::MatmulOp mm : tilesToDecompose)
        if (failed(decomposePackedMatmulTile(rewriter, mm, matmulRows))) {
          mm->removeAttr(kiln::cpu::kPackedRhsAttr);
          mm->removeAttr(kDirectRhsAttr);
        }
    }

    // 3. Vectorize every static-shaped linalg op that the vectorizer
    //    accepts.
    SmallVector<Operation *> candidates;
    f.walk([&](linalg::LinalgOp op) {
      if ((op.hasPureTensorSemantics() || op.hasPureBufferSemantics()) && !op.hasDynamicShape())
        candidates.push_back(op);
    });
    for (Operation *op : candidates) {
      // Do not vectorize huge iteration spaces (left untiled because they
      // did not need tiling or could not be tiled): they would unroll into
      // enormous vectors.
      auto lop = cast<linalg::LinalgOp>(op);
      int64_t volume = 1;
      for (int64_t r : lop.getStaticLoopRanges())
        volume *= r;
      if (volume > 16384)
        continue;
      // Booleans are one byte per element in memory (ONNX's layout and what
      // scalar loads/stores of i1 use), but LLVM packs vectors of i1 into
      // bits: vector transfers on i1 buffers would disagree with the scalar
      // accesses, so ops touching i1 stay scalar.
      auto isI1 = [](Type t) { return getElementTypeOrSelf(t).isInteger(1); };
      if (llvm::any_of(op->getOperandTypes(), isI1) || llvm::any_of(op->getResultTypes(), isI1))
        continue;
      if (failed(linalg::vectorizeOpPrecondition(op, {}, {}, /*vectorizeNDExtract=*/false)))
        continue;
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::VectorizationResult> v = linalg::vectorize(rewriter, op);
      if (failed(v))
        continue;
      if (op->getNumResults() == 0)
        rewriter.eraseOp(op);
      else
        rewriter.replaceOp(op, v->replacements);
    }

    // 4. Clean up transfers (fold transfers into their slices).
    {
      RewritePatternSet patterns(ctx);
      vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
      vector::populateVectorReductionToContractPatterns(patterns);
      vector::populateSinkVectorOpsPatterns(patterns);
      vector::TransferReadOp::getCanonicalizationPatterns(patterns, ctx);
      vector::TransferWriteOp::getCanonicalizationPatterns(patterns, ctx);
      populateDimFoldingPatterns(patterns);
      (void)applyPatternsGreedily(f, std::move(patterns));
    }
  }
};

} // namespace

/// The output pixels of one register tile of the packed convolution
/// kernel: `gw` columns of `gh` rows, at most kConvTilePixels in all, so
/// that the tile's pixels are contiguous in the NCHW output.  Rows of up to
/// kConvTilePixels columns are one tile (14: ResNet-50's 14x14 layers) or
/// stacked (a 7-wide output: 2 rows of 7); wider rows are split into
/// tiles of 12 (56 = 4 x 12 + 8): with 14 pixels, 28 of the 32 vector
/// registers hold accumulators and LLVM spills in the inner loop; 12 made
/// ResNet-50's 3x3 layers at 56x56 and 28x28 9 to 10% faster, while for
/// its 14- and 7-wide layers (14 = 12 + 2, and 7 pixels per tile) it was
/// 12 to 27% slower.
void kiln::cpu::packedConvPixels(int64_t OH, int64_t OW, int64_t &gh, int64_t &gw) {
  const int64_t P = kiln::cpu::kConvTilePixels, wideRowTile = 12;
  gw = OW <= P ? OW : wideRowTile;
  gh = gw == OW ? std::max<int64_t>(1, std::min(OH, P / OW)) : 1;
}

bool kiln::cpu::isChannelBroadcast(linalg::GenericOp g) {
  if (g.getNumDpsInputs() != 1 || g.getNumDpsInits() != 1 || g.getNumLoops() != 4)
    return false;
  MLIRContext *ctx = g.getContext();
  AffineMap chanMap = AffineMap::get(4, 0, {getAffineDimExpr(1, ctx)}, ctx);
  if (g.getIndexingMapsArray()[0] != chanMap || !g.getIndexingMapsArray()[1].isIdentity() ||
      !cast<MemRefType>(g.getDpsInputs()[0].getType()).getElementType().isF32())
    return false;
  auto y = cast<linalg::YieldOp>(g.getBody()->getTerminator());
  return y.getNumOperands() == 1 && y.getOperand(0) == g.getBody()->getArgument(0);
}

bool kiln::cpu::isVectorizableElementwiseBody(Block *body) {
  for (Operation &bo : body->without_terminator())
    if (bo.getNumRegions() != 0 || !OpTrait::hasElementwiseMappableTraits(&bo) ||
        !isa<arith::ArithDialect, math::MathDialect>(bo.getDialect()) ||
        !llvm::all_of(bo.getResultTypes(), [](Type t) { return t.isIntOrFloat(); }))
      return false;
  return true;
}

Value kiln::cpu::vectorizeElementwiseBody(OpBuilder &b, Location loc, Block *body, ArrayRef<Value> args,
                                          int64_t lanes) {
  IRMapping map;
  for (auto [a, v] : llvm::zip(body->getArguments().take_front(args.size()), args))
    map.map(a, v);
  for (Operation &bo : body->without_terminator()) {
    if (auto cst = dyn_cast<arith::ConstantOp>(bo)) {
      auto vtc = VectorType::get({lanes}, cst.getType());
      map.map(cst.getResult(), arith::ConstantOp::create(b, loc, vtc,
                                                         DenseElementsAttr::get(vtc, cast<TypedAttr>(cst.getValue()))));
      continue;
    }
    SmallVector<Value> operands;
    for (Value v : bo.getOperands()) {
      if (Value m = map.lookupOrNull(v)) {
        operands.push_back(m);
        continue;
      }
      // A scalar from outside the body: broadcast.
      operands.push_back(vector::BroadcastOp::create(b, loc, VectorType::get({lanes}, v.getType()), v));
    }
    OperationState st(loc, bo.getName());
    st.addOperands(operands);
    for (Type t : bo.getResultTypes())
      st.addTypes(VectorType::get({lanes}, t));
    st.addAttributes(bo.getAttrs());
    Operation *c = b.create(st);
    map.map(bo.getResults(), c->getResults());
  }
  return map.lookup(cast<linalg::YieldOp>(body->getTerminator()).getOperand(0));
}

bool kiln::cpu::usePackedConvKernel(linalg::Conv2DNchwFchwOp conv) {
  auto lop = cast<linalg::LinalgOp>(conv.getOperation());
  if (!lop.hasPureBufferSemantics())
    return false;
  SmallVector<int64_t> r = lop.getStaticLoopRanges(); // N F OH OW C KH KW
  if (llvm::any_of(ArrayRef<int64_t>(r).drop_front(), ShapedType::isDynamic) ||
      llvm::any_of(ArrayRef<int64_t>(r).drop_front(), [](int64_t v) { return v < 1; }))
    return false;
  for (Value v : {conv.getDpsInputs()[0], conv.getDpsInputs()[1], conv.getDpsInits()[0]})
    if (!cast<MemRefType>(v.getType()).getElementType().isF32())
      return false;
  // Enough channels x taps that the tile's transposes (the accumulators are
  // stored across channels) are amortized: ResNet-50's 64-channel 1x1
  // layers run 2x faster than on the row kernel, MobileNetV2's 16- and
  // 32-channel ones 1.2 to 1.5x; the 3-channel stems (3x3 and 7x7, stride
  // 2) of SqueezeNet, MobileNetV2 and ResNet-50 0.65x, 0.83x and 0.92x the
  // time.  (A 1-channel 3x3 convolution stays on the row kernel.)
  return r[4] >= 8 || r[4] * r[5] * r[6] >= 27;
}
