//===- Attention.cpp - nn.attention as a tiled online softmax -------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// nn.attention never materializes its [.., Lq, Lk] scores.  One scf.forall
// iteration per (batch, head, block of query rows: 256 where half the L2
// holds a block's working set) scales its query block once (scale * (Q K^T)
// = (scale * Q) K^T) and streams the keys and values in blocks of kBlockK
// rows (FlashAttention-2's order, on tensors):
//
//   S     = Q_blk x K^T_blk                       (linalg.batch_matmul, 1 x bq x bk)
//   S     = S + mask, -inf where causal            (only with a mask, or across the diagonal)
//   m'    = max(m, rowmax S)
//   P     = exp(S - m')                            (in place of S)
//   a     = exp(m - m');  l = a * l + rowsum P
//   acc   = a * acc + P x V_blk                    (linalg.batch_matmul accumulating)
//
// and finally writes acc / l into its slice of the result.  (m' = -inf, a
// row whose positions are all removed so far, is taken as 0 in the
// exponentials, so that a fully masked first block gives P = 0 rather than
// NaN; a row with every position removed ends as 0 / 0 = NaN, as in
// torch.)  Memory: the blocks of one iteration, O(rows x (kBlockK + Dv))
// per thread whatever the sequence length.
//
// Every block has a static size where the sequences are static, for the CPU
// micro-kernels: the last, shorter query block of a static Lq gets a forall
// of its own; the key loop has a static block size and a last partial block
// runs in a second loop of at most one trip; causal self-attention over a
// static sequence uses key blocks as wide as the query blocks, so that the
// keys left of a query block are whole blocks without the mask and the block
// on the diagonal is one static block.  K^T is laid out in key blocks,
// [.., ceil(Lk / bk), D, bk] (each block's panel contiguous: the right
// operand the matmul micro-kernel reads in place), by one transpose of the
// key's producer when that is a transpose (BERT's and ViT's head split),
// else of the key.
//
//===----------------------------------------------------------------------===//

#include "Common.h"
#include "Patterns.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace kiln::nn_to_linalg;
namespace nn = kiln::nn;

namespace {

/// Query rows and key rows per block.  Every query block reads all of its
/// head's keys and values (4 MB per head at 8192 tokens, head size 64: from
/// L3, not L2), so rows per query block save traffic: 256 rows ran 7 to 10%
/// faster than 64 at 512, 2048 and 8192 tokens on one thread of the Intel
/// Xeon (kiln-run, alternating), 128 rows in between; on the AMD EPYC 128
/// and 256 rows measured the same.  Key blocks of 64 or 256 measured the
/// same as 128 (Intel) or 3 to 4% slower (AMD, with the blocked K^T).  The
/// query rows are the most, of 256, 128 and 64, whose block working set
/// fits half the target's L2 (module attribute `kiln.l2_cache_bytes`, 1 MB
/// when the target does not know it): the score block, the query block and
/// the accumulator, one key and one value block, f32.
constexpr int64_t kMaxBlockQ = 256, kBlockK = 128, kDefaultL2 = 1 << 20;

int64_t queryBlockRows(Operation *op, int64_t d, int64_t dv) {
  int64_t l2 = kDefaultL2;
  if (auto m = op->getParentOfType<ModuleOp>())
    if (auto a = m->getAttrOfType<IntegerAttr>("kiln.l2_cache_bytes"); a && a.getInt() > 0)
      l2 = a.getInt();
  // Unknown head sizes as 128.
  d = ShapedType::isDynamic(d) ? 128 : d;
  dv = ShapedType::isDynamic(dv) ? 128 : dv;
  for (int64_t bq = kMaxBlockQ; bq > 64; bq /= 2)
    if (4 * (bq * kBlockK + bq * (d + dv) + kBlockK * (d + dv)) <= l2 / 2)
      return bq;
  return 64;
}

int64_t staticOf(OpFoldResult f) { return getConstantIntValue(f).value_or(kDyn); }

/// A 3-D [1, s1, s2] slice of the rank-3 or rank-4 `src` at batch `bi` (and
/// head `hi` for rank 4): offsets/sizes of the last two dims given; a dim
/// of `src` with static size 1 where `broadcast` allows it is read at 0 with
/// size 1 (a broadcasting mask).
Value slice3(OpBuilder &b, Location loc, Value src, Value bi, Value hi, OpFoldResult o2, OpFoldResult s2,
             OpFoldResult o3, OpFoldResult s3, bool broadcast) {
  auto t = rtt(src);
  int64_t n = t.getRank();
  SmallVector<OpFoldResult> offs, sizes, strides(n, b.getIndexAttr(1));
  SmallVector<OpFoldResult> wantO{getAsOpFoldResult(bi)}, wantS{b.getIndexAttr(1)};
  if (n == 4) {
    wantO.push_back(getAsOpFoldResult(hi));
    wantS.push_back(b.getIndexAttr(1));
  }
  wantO.append({o2, o3});
  wantS.append({s2, s3});
  for (int64_t i = 0; i < n; ++i) {
    if (broadcast && t.getDimSize(i) == 1) {
      offs.push_back(b.getIndexAttr(0));
      sizes.push_back(b.getIndexAttr(1));
    } else {
      offs.push_back(wantO[i]);
      sizes.push_back(wantS[i]);
    }
  }
  // Rank 4: the batch dim (size 1) is dropped.
  SmallVector<int64_t> shape;
  for (int64_t i = n - 3; i < n; ++i)
    shape.push_back(staticOf(sizes[i]));
  auto rt = RankedTensorType::get(shape, t.getElementType());
  return tensor::ExtractSliceOp::create(b, loc, rt, src, offs, sizes, strides);
}

/// The [1, D, bk] panel of key block `kb` of the blocked K^T `kt` ([B,
/// heads, nb, D, bk] or [G, nb, D, bk]) at batch `bi` and head `hi`, its
/// first `bk` columns.
Value ktPanel(OpBuilder &b, Location loc, Value kt, Value bi, Value hi, Value kb, OpFoldResult d, OpFoldResult bk) {
  int64_t n = rtt(kt).getRank();
  SmallVector<OpFoldResult> offs{getAsOpFoldResult(bi)}, sizes{b.getIndexAttr(1)};
  if (n == 5) {
    offs.push_back(getAsOpFoldResult(hi));
    sizes.push_back(b.getIndexAttr(1));
  }
  offs.append({getAsOpFoldResult(kb), b.getIndexAttr(0), b.getIndexAttr(0)});
  sizes.append({b.getIndexAttr(1), d, bk});
  auto rt = RankedTensorType::get({1, staticOf(d), staticOf(bk)}, b.getF32Type());
  return tensor::ExtractSliceOp::create(b, loc, rt, kt, offs, sizes, SmallVector<OpFoldResult>(n, b.getIndexAttr(1)));
}

AffineMap map3(OpBuilder &b, ArrayRef<AffineExpr> e) { return AffineMap::get(3, 0, e, b.getContext()); }

FailureOr<Value> lowerAttention(PatternRewriter &b, nn::AttentionOp op) {
  Location loc = op.getLoc();
  Value q = op.getQuery(), k = op.getKey(), v = op.getValue(), mask = op.getMask();
  auto qt = rtt(q), vt = rtt(v);
  auto res = rtt(op.getResult());
  int64_t n = qt.getRank();
  Type f32 = b.getF32Type();
  MLIRContext *ctx = b.getContext();
  using IT = utils::IteratorType;

  Value c0 = cIdx(b, loc, 0), c1 = cIdx(b, loc, 1);
  Value nb = dimOf(b, loc, q, 0);
  Value heads = n == 4 ? dimOf(b, loc, q, 1) : c1;
  Value kvHeads = n == 4 ? dimOf(b, loc, k, 1) : c1;
  Value group = arith::DivUIOp::create(b, loc, heads, kvHeads);
  Value lq = dimOf(b, loc, q, n - 2), lk = dimOf(b, loc, k, n - 2);
  int64_t lqS = qt.getDimSize(n - 2), lkS = rtt(k).getDimSize(n - 2);
  OpFoldResult d = mixedDim(b, loc, q, n - 1), dv = mixedDim(b, loc, v, n - 1);

  // Block sizes: a sequence that fits one block is one block (static when
  // the sequence is); query blocks are static when they divide Lq.
  int64_t bqMax = queryBlockRows(op, qt.getDimSize(n - 1), vt.getDimSize(n - 1)), bkMax = kBlockK;
  if (!ShapedType::isDynamic(lqS) && lqS <= bqMax)
    bqMax = std::max<int64_t>(lqS, 1);
  if (!ShapedType::isDynamic(lkS) && lkS <= bkMax)
    bkMax = std::max<int64_t>(lkS, 1);
  // Causal self-attention over a static sequence: key blocks as wide as
  // query blocks, so that the keys left of a query block are whole blocks
  // without the mask and the block on the diagonal is one block of static
  // size (with dynamic sizes, those blocks left the matmul micro-kernel:
  // causal attention at 512 tokens took 1.7 times as long as full).
  bool causal = op.getCausal();
  bool staticDiagonal = causal && !ShapedType::isDynamic(lqS) && lqS == lkS;
  if (staticDiagonal)
    bkMax = bqMax;
  Value bqC = cIdx(b, loc, bqMax), bkC = cIdx(b, loc, bkMax);

  // K^T in blocks: [.., nb, D, bk] (key block j's [D, bk] panel
  // contiguous, the right operand the matmul micro-kernel reads in place;
  // a plain [.., D, Lk] K^T has rows Lk floats apart, a multiple of 4 KB at
  // 1024 tokens and up, which maps a block's rows onto the same L1 sets).
  // One transpose of the key's producer when that is a transpose (BERT's
  // and ViT's head split), else of the key, with the key positions split
  // into (block, row); zero rows pad the last block of a sequence that is
  // not a multiple of bk.
  SmallVector<int64_t> perm = llvm::to_vector(llvm::seq<int64_t>(0, n));
  std::swap(perm[n - 2], perm[n - 1]);
  Value kSrc = k;
  if (auto tr = k.getDefiningOp<linalg::TransposeOp>()) {
    ArrayRef<int64_t> p = tr.getPermutation();
    SmallVector<int64_t> composed(n);
    for (int64_t i = 0; i < n; ++i)
      composed[i] = p[perm[i]];
    kSrc = tr.getInput();
    perm = composed;
  }
  Value kt;
  {
    auto st = rtt(kSrc);
    int64_t pos = perm[n - 1]; // kSrc's dim of the key positions
    Value nbV = arith::CeilDivUIOp::create(b, loc, lk, bkC);
    int64_t nbS = ShapedType::isDynamic(lkS) ? kDyn : (lkS + bkMax - 1) / bkMax;
    Value padded = kSrc;
    if (ShapedType::isDynamic(lkS) || lkS % bkMax) {
      SmallVector<OpFoldResult> lo(n, b.getIndexAttr(0)), hi(n, b.getIndexAttr(0));
      hi[pos] = arith::SubIOp::create(b, loc, arith::MulIOp::create(b, loc, nbV, bkC), lk).getResult();
      SmallVector<int64_t> padShape(st.getShape());
      padShape[pos] = ShapedType::isDynamic(nbS) ? kDyn : nbS * bkMax;
      padded = tensor::PadOp::create(b, loc, RankedTensorType::get(padShape, f32), kSrc, lo, hi, scalar(b, loc, f32, 0));
    }
    // [.., nb, bk, ..]: the positions split.
    SmallVector<int64_t> eShape;
    SmallVector<OpFoldResult> eSizes;
    SmallVector<ReassociationIndices> reassoc;
    for (int64_t i = 0; i < n; ++i) {
      if (i == pos) {
        reassoc.push_back({(int64_t)eShape.size(), (int64_t)eShape.size() + 1});
        eShape.append({nbS, bkMax});
        eSizes.append({ShapedType::isDynamic(nbS) ? getAsOpFoldResult(nbV) : b.getIndexAttr(nbS),
                       b.getIndexAttr(bkMax)});
      } else {
        reassoc.push_back({(int64_t)eShape.size()});
        eShape.push_back(st.getDimSize(i));
        eSizes.push_back(mixedDim(b, loc, kSrc, i));
      }
    }
    Value expanded =
        tensor::ExpandShapeOp::create(b, loc, RankedTensorType::get(eShape, f32), padded, reassoc, eSizes);
    auto e = [&](int64_t i) { return i < pos ? i : i + 1; };
    SmallVector<int64_t> perm5, shape5;
    SmallVector<Value> dims5;
    for (int64_t i = 0; i < n - 2; ++i)
      perm5.push_back(e(perm[i]));
    perm5.append({pos, e(perm[n - 2]), pos + 1});
    for (int64_t p : perm5) {
      shape5.push_back(eShape[p]);
      dims5.push_back(getValueOrCreateConstantIndexOp(b, loc, eSizes[p]));
    }
    Value init = empty(b, loc, RankedTensorType::get(shape5, f32), dims5);
    kt = linalg::TransposeOp::create(b, loc, expanded, init, perm5).getResult()[0];
  }

  SmallVector<Value> resDims;
  for (int64_t i = 0; i < n - 1; ++i)
    resDims.push_back(dimOf(b, loc, q, i));
  resDims.push_back(dimOf(b, loc, v, n - 1));
  Value result = empty(b, loc, res, resDims);
  float scale = op.getScale().convertToFloat();
  auto id3 = map3(b, {b.getAffineDimExpr(0), b.getAffineDimExpr(1), b.getAffineDimExpr(2)});
  auto row3 = map3(b, {b.getAffineDimExpr(0), b.getAffineDimExpr(1)});
  auto id2 = AffineMap::getMultiDimIdentityMap(2, ctx);
  SmallVector<IT> par3(3, IT::parallel), par2(2, IT::parallel), red3{IT::parallel, IT::parallel, IT::reduction};
  Value negInf = lowest(b, loc, f32), zero = scalar(b, loc, f32, 0), one = scalar(b, loc, f32, 1);
  // The exponent base: the running maximum, 0 while it is -inf.
  auto safeMax = [&](OpBuilder &nb2, Location nl, Value mx) -> Value {
    Value isInf = arith::CmpFOp::create(nb2, nl, arith::CmpFPredicate::OEQ, mx, negInf);
    return arith::SelectOp::create(nb2, nl, isInf, zero, mx);
  };

  // One scf.forall over batch x heads x `nq` query blocks of `bqStatic`
  // rows (kDyn: bqMax rows, the last one shorter) from row `qBase`,
  // writing its blocks into `into`.
  auto emitForall = [&](Value into, Value nq, Value qBase, int64_t bqStatic) -> Value {
    Value total = arith::MulIOp::create(b, loc, arith::MulIOp::create(b, loc, nb, heads), nq);
    auto forall =
        scf::ForallOp::create(b, loc, ArrayRef<OpFoldResult>{getAsOpFoldResult(total)}, ValueRange{into}, std::nullopt);

    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forall.getBody());
    Value t = forall.getInductionVar(0);
    Value qb = arith::RemUIOp::create(b, loc, t, nq);
    Value bh = arith::DivUIOp::create(b, loc, t, nq);
    Value hi = arith::RemUIOp::create(b, loc, bh, heads);
    Value bi = arith::DivUIOp::create(b, loc, bh, heads);
    Value hk = arith::DivUIOp::create(b, loc, hi, group);
    Value q0 = arith::AddIOp::create(b, loc, qBase, arith::MulIOp::create(b, loc, qb, bqC));
    OpFoldResult bq = b.getIndexAttr(bqStatic);
    if (ShapedType::isDynamic(bqStatic))
      bq = arith::MinUIOp::create(b, loc, bqC, arith::SubIOp::create(b, loc, lq, q0)).getResult();
    Value bqV = getValueOrCreateConstantIndexOp(b, loc, bq);

    Value qBlk = slice3(b, loc, q, bi, hi, q0, bq, b.getIndexAttr(0), d, false);
    int64_t bqS = staticOf(bq), dvS = vt.getDimSize(n - 1);
    // The scale on the query block, once (scale * (Q K^T) = (scale * Q) K^T).
    if (scale != 1.0f) {
      auto qbT = cast<RankedTensorType>(qBlk.getType());
      SmallVector<Value> qDyn;
      if (ShapedType::isDynamic(bqS))
        qDyn.push_back(bqV);
      if (qbT.isDynamicDim(2))
        qDyn.push_back(getValueOrCreateConstantIndexOp(b, loc, d));
      Value qInit = tensor::EmptyOp::create(b, loc, qbT.getShape(), f32, qDyn);
      qBlk = qGeneric(b, loc, qbT, qInit, ValueRange{qBlk}, {id3}, par3,
                      [&](OpBuilder &nb2, Location nl, ValueRange a) -> Value {
                        return arith::MulFOp::create(nb2, nl, a[0], scalar(nb2, nl, f32, scale));
                      });
    }
    auto rowT = RankedTensorType::get({1, bqS}, f32);
    auto accT = RankedTensorType::get({1, bqS, dvS}, f32);
    SmallVector<Value> rowDyn, accDyn;
    if (ShapedType::isDynamic(bqS)) {
      rowDyn.push_back(bqV);
      accDyn.push_back(bqV);
    }
    if (ShapedType::isDynamic(dvS))
      accDyn.push_back(getValueOrCreateConstantIndexOp(b, loc, dv));
    Value m0 = fillTensor(b, loc, tensor::EmptyOp::create(b, loc, rowT.getShape(), f32, rowDyn), negInf);
    Value l0 = fillTensor(b, loc, tensor::EmptyOp::create(b, loc, rowT.getShape(), f32, rowDyn), zero);
    Value acc0 = fillTensor(b, loc, tensor::EmptyOp::create(b, loc, accT.getShape(), f32, accDyn), zero);

    // Keys [0, kEnd): all of them, or those at or left of the block's last
    // row's diagonal.
    Value kEnd = lk;
    if (causal)
      kEnd = arith::MinUIOp::create(b, loc, lk, arith::AddIOp::create(b, loc, q0, bqV));
    // Full blocks [0, kFull) without the causal mask: for causal attention
    // those left of the query block's first row (j < q0 <= i), so that only
    // the blocks across the diagonal compare positions.
    Value kSafe = causal ? (Value)arith::MinUIOp::create(b, loc, lk, q0) : kEnd;
    Value kFull = arith::MulIOp::create(b, loc, arith::DivUIOp::create(b, loc, kSafe, bkC), bkC);

    // One key block [k0, k0 + bk) of the query block: (m, l, acc) -> new.
    auto block = [&](OpBuilder &ob, Location bl, Value k0, OpFoldResult bk, ValueRange st,
                     bool maskCausal) -> SmallVector<Value> {
      Value m = st[0], l = st[1], acc = st[2];
      Value ktBlk = ktPanel(ob, bl, kt, bi, hk, arith::DivUIOp::create(ob, bl, k0, bkC), d, bk);
      Value vBlk = slice3(ob, bl, v, bi, hk, k0, bk, ob.getIndexAttr(0), dv, false);
      int64_t bkS = staticOf(bk);
      auto sT = RankedTensorType::get({1, bqS, bkS}, f32);
      SmallVector<Value> sDyn;
      if (ShapedType::isDynamic(bqS))
        sDyn.push_back(bqV);
      if (ShapedType::isDynamic(bkS))
        sDyn.push_back(getValueOrCreateConstantIndexOp(ob, bl, bk));
      Value s = fillTensor(ob, bl, tensor::EmptyOp::create(ob, bl, sT.getShape(), f32, sDyn), zero);
      s = linalg::BatchMatmulOp::create(ob, bl, TypeRange{sT}, ValueRange{qBlk, ktBlk}, ValueRange{s}).getResult(0);
      // Scale, mask, causal.
      SmallVector<Value> ins;
      SmallVector<AffineMap> maps;
      bool boolMask = false;
      if (mask) {
        auto mt = rtt(mask);
        boolMask = mt.getElementType().isInteger(1);
        Value mBlk = slice3(ob, bl, mask, bi, hi, q0, bq, k0, bk, true);
        SmallVector<AffineExpr> e{ob.getAffineConstantExpr(0)};
        for (int64_t i = 1; i < 3; ++i)
          e.push_back(mt.getDimSize(n - 3 + i) == 1 ? ob.getAffineConstantExpr(0) : ob.getAffineDimExpr(i));
        ins.push_back(mBlk);
        maps.push_back(map3(ob, e));
      }
      if (mask || maskCausal)
        s = qGeneric(ob, bl, sT, s, ins, maps, par3, [&](OpBuilder &nb2, Location nl, ValueRange a) -> Value {
          Value x = a.back();
          if (mask)
            x = boolMask ? (Value)arith::SelectOp::create(nb2, nl, a[0], x, negInf)
                         : (Value)arith::AddFOp::create(nb2, nl, x, a[0]);
          if (maskCausal) {
            Value i = arith::AddIOp::create(nb2, nl, q0, linalg::IndexOp::create(nb2, nl, 1));
            Value j = arith::AddIOp::create(nb2, nl, k0, linalg::IndexOp::create(nb2, nl, 2));
            Value above = arith::CmpIOp::create(nb2, nl, arith::CmpIPredicate::ugt, j, i);
            x = arith::SelectOp::create(nb2, nl, above, negInf, x);
          }
          return x;
        });
      // The updates of m, l and acc write the buffers they read (their DPS
      // inits), so that the loop carries them in place; a block allocates
      // S, its row maximum and alpha.
      // qGeneric's init map is the identity on its leading dims: (d0, d1) for
      // the row vectors of [1, bq, bk] loops.
      auto gen = [&](Value init, ValueRange in, ArrayRef<AffineMap> inMaps, ArrayRef<IT> iters,
                     function_ref<Value(OpBuilder &, Location, ValueRange)> fn) {
        return qGeneric(ob, bl, rtt(init), init, in, inMaps, iters, fn);
      };
      // mx = max(m, rowmax S): the new running maximum.
      // (Initialized to max(m, S[:, 0]): a fill of -inf would be merged by
      // CSE with m's initial fill and a copy of m folded into m itself,
      // both making bufferization copy m in every block.)
      auto col0 =
          AffineMap::get(2, 0, {ob.getAffineDimExpr(0), ob.getAffineDimExpr(1), ob.getAffineConstantExpr(0)}, ctx);
      Value mx = gen(tensor::EmptyOp::create(ob, bl, rowT.getShape(), f32, rowDyn), ValueRange{m, s}, {id2, col0}, par2,
                     [](OpBuilder &nb2, Location nl, ValueRange a) -> Value {
                       return arith::MaxNumFOp::create(nb2, nl, a[0], a[1]);
                     });
      mx = gen(mx, ValueRange{s}, {id3}, red3, [](OpBuilder &nb2, Location nl, ValueRange a) -> Value {
        return arith::MaxNumFOp::create(nb2, nl, a[0], a[1]);
      });
      // alpha = exp(m - mx).
      Value alpha =
          gen(tensor::EmptyOp::create(ob, bl, rowT.getShape(), f32, rowDyn), ValueRange{m, mx}, {id2, id2}, par2,
              [&](OpBuilder &nb2, Location nl, ValueRange a) -> Value {
                return math::ExpOp::create(nb2, nl, arith::SubFOp::create(nb2, nl, a[0], safeMax(nb2, nl, a[1])));
              });
      // P = exp(S - mx), in S's buffer.
      Value p = gen(s, ValueRange{mx}, {row3}, par3, [&](OpBuilder &nb2, Location nl, ValueRange a) -> Value {
        return math::ExpOp::create(nb2, nl, arith::SubFOp::create(nb2, nl, a[1], safeMax(nb2, nl, a[0])));
      });
      // l = alpha * l + rowsum P.
      Value lNew = gen(l, ValueRange{alpha}, {id2}, par2, [](OpBuilder &nb2, Location nl, ValueRange a) -> Value {
        return arith::MulFOp::create(nb2, nl, a[0], a[1]);
      });
      lNew = gen(lNew, ValueRange{p}, {id3}, red3, [](OpBuilder &nb2, Location nl, ValueRange a) -> Value {
        return arith::AddFOp::create(nb2, nl, a[0], a[1]);
      });
      // acc = alpha * acc + P x V.
      Value accNew = gen(acc, ValueRange{alpha}, {row3}, par3, [](OpBuilder &nb2, Location nl, ValueRange a) -> Value {
        return arith::MulFOp::create(nb2, nl, a[0], a[1]);
      });
      accNew =
          linalg::BatchMatmulOp::create(ob, bl, TypeRange{accT}, ValueRange{p, vBlk}, ValueRange{accNew}).getResult(0);
      // m = mx (= max(mx, m), in m's buffer: a plain copy would fold away
      // and the loop would carry mx's buffer instead).
      Value mNew = gen(m, ValueRange{mx}, {id2}, par2, [](OpBuilder &nb2, Location nl, ValueRange a) -> Value {
        return arith::MaxNumFOp::create(nb2, nl, a[0], a[1]);
      });
      return {mNew, lNew, accNew};
    };

    // Full key blocks, then the rest: the last, partial block, or for causal
    // attention the blocks across the diagonal (with dynamic sizes).
    SmallVector<Value> st{m0, l0, acc0};
    auto full =
        scf::ForOp::create(b, loc, c0, kFull, bkC, st, [&](OpBuilder &ob, Location bl, Value k0, ValueRange args) {
          scf::YieldOp::create(ob, bl, block(ob, bl, k0, ob.getIndexAttr(bkMax), args, false));
        });
    st = SmallVector<Value>(full.getResults());
    bool lkMultiple = !causal && !ShapedType::isDynamic(lkS) && lkS % bkMax == 0;
    if (staticDiagonal && !ShapedType::isDynamic(bqStatic)) {
      // The diagonal block [q0, q0 + bq): kFull = q0 (a multiple of the
      // block size) and q0 + bq <= Lk = Lq.
      st = block(b, loc, q0, b.getIndexAttr(bqStatic), st, true);
    } else if (!lkMultiple) {
      // (Static when the sequence is and nothing is causal.)
      std::optional<int64_t> rest;
      if (!causal && !ShapedType::isDynamic(lkS))
        rest = lkS % bkMax;
      auto part =
          scf::ForOp::create(b, loc, kFull, kEnd, bkC, st, [&](OpBuilder &ob, Location bl, Value k0, ValueRange args) {
            OpFoldResult bk = ob.getIndexAttr(rest.value_or(0));
            if (!rest)
              bk = arith::MinUIOp::create(ob, bl, bkC, arith::SubIOp::create(ob, bl, kEnd, k0)).getResult();
            scf::YieldOp::create(ob, bl, block(ob, bl, k0, bk, args, causal));
          });
      st = SmallVector<Value>(part.getResults());
    }

    // out = acc / l, into the result's slice.
    Value inv = qGeneric(
        b, loc, rowT, tensor::EmptyOp::create(b, loc, rowT.getShape(), f32, rowDyn), ValueRange{st[1]}, {id2}, par2,
        [&](OpBuilder &nb2, Location nl, ValueRange a) -> Value { return arith::DivFOp::create(nb2, nl, one, a[0]); });
    Value outArg = forall.getRegionIterArgs()[0];
    Value outBlk = slice3(b, loc, outArg, bi, hi, q0, bq, b.getIndexAttr(0), dv, false);
    Value out = qGeneric(
        b, loc, rtt(outBlk), outBlk, ValueRange{st[2], inv}, {id3, row3}, par3,
        [](OpBuilder &nb2, Location nl, ValueRange a) -> Value { return arith::MulFOp::create(nb2, nl, a[0], a[1]); });
    auto term = forall.getTerminator();
    b.setInsertionPointToStart(term.getBody());
    SmallVector<OpFoldResult> offs{getAsOpFoldResult(bi)}, sizes{b.getIndexAttr(1)};
    if (n == 4) {
      offs.push_back(getAsOpFoldResult(hi));
      sizes.push_back(b.getIndexAttr(1));
    }
    offs.append({getAsOpFoldResult(q0), b.getIndexAttr(0)});
    sizes.append({bq, dv});
    tensor::ParallelInsertSliceOp::create(b, loc, out, outArg, offs, sizes,
                                          SmallVector<OpFoldResult>(n, b.getIndexAttr(1)));
    return forall.getResult(0);
  };

  // Full query blocks, then (static sequences) the last, shorter one in
  // a loop of its own, so that every block has a static row count.
  if (ShapedType::isDynamic(lqS))
    return emitForall(result, arith::CeilDivUIOp::create(b, loc, lq, bqC), c0, kDyn);
  int64_t full = lqS / bqMax, last = lqS % bqMax;
  if (full)
    result = emitForall(result, cIdx(b, loc, full), c0, bqMax);
  if (last)
    result = emitForall(result, c1, cIdx(b, loc, full * bqMax), last);
  return result;
}

} // namespace

void kiln::nn_to_linalg::populateAttentionPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerToLinalg<nn::AttentionOp, lowerAttention>>(patterns.getContext());
}
