//===- Int4Matmul.cpp - int4-weight products, dequantized in registers ----===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// kiln-cpu-int4-matmul (Passes.td).  The product of nn.int4_matmul
// (NNToLinalg's generic marked kiln.int4_product = G) becomes a kernel
// whose weights stay 4-bit in memory: per panel of 4 vectors of columns and
// block of rows, each pair of reduction elements costs one widening byte
// load per vector (vpmovzxbd), a mask and a shift for the two nibbles, two
// conversions to f32 and the FMAs with the rows' broadcast inputs.  The
// zero point is not subtracted per weight: with acc = sum_k x[k] code[k]
// and sx = sum_k x[k] over a group, the group adds scale x acc - scale x
// zp x sx to the result.
//
// Written with vector ops for the same reason as the int8 kernels
// (Int8Matmul.cpp): the generic's body (nibble select by a loop index,
// per-group scale) does not vectorize into this form upstream.
//
//===----------------------------------------------------------------------===//

#include "CPUPasses.h"
#include "kiln/Transforms/Quantize.h"
#include "kiln/Transforms/Statistics.h"

#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstring>

namespace kiln::cpu {
#define GEN_PASS_DEF_CPUINT4MATMUL
#include "Passes.h.inc"
} // namespace kiln::cpu

using namespace mlir;
using kiln::cpu::rawConstantData;

namespace {

/// Vectors of columns per panel, and rows per register tile.
constexpr int64_t kVectors = 4, kRows = 4;

/// One nn.int4_matmul product on buffers.
struct Int4Product {
  linalg::GenericOp op;
  Value x, c;                             // f32 [M, K/G, G/2, 2], f32 [M, N]
  memref::GlobalOp codes, scales, zeros;  // i8 [K/G, G/2, N], f32 [K/G, N] x 2
  int64_t K = 0, N = 0, G = 0;
  /// x holds activations rounded to q * sx per row and group (W4A8).
  bool lhsInt8 = false;
};

/// The constant global of `et` and static shape `shape` that `v` reads.
memref::GlobalOp globalOf(Value v, Type et, ArrayRef<int64_t> shape, SymbolTable &symbols) {
  MemRefType t;
  memref::GlobalOp g = kiln::cpu::constantGlobalOf(v, et, symbols, t);
  return g && t.getShape() == shape ? g : memref::GlobalOp();
}

bool matchInt4(linalg::GenericOp g, SymbolTable &symbols, Int4Product &p) {
  auto attr = g->getAttrOfType<IntegerAttr>(kiln::quant::kInt4ProductAttr);
  if (!attr || !g.hasPureBufferSemantics() || g.getNumDpsInputs() != 4 || g.getNumDpsInits() != 1 ||
      g.getNumLoops() != 5)
    return false;
  p.G = attr.getInt();
  MLIRContext *ctx = g.getContext();
  auto D = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineMap> maps{AffineMap::get(5, 0, {D(0), D(2), D(3), D(4)}, ctx),
                              AffineMap::get(5, 0, {D(2), D(3), D(1)}, ctx), AffineMap::get(5, 0, {D(2), D(1)}, ctx),
                              AffineMap::get(5, 0, {D(2), D(1)}, ctx), AffineMap::get(5, 0, {D(0), D(1)}, ctx)};
  if (p.G < 2 || p.G % 2 || g.getIndexingMapsArray() != maps)
    return false;
  p.x = g.getDpsInputs()[0];
  p.c = g.getDpsInits()[0];
  auto xt = dyn_cast<MemRefType>(p.x.getType());
  if (!xt || xt.getRank() != 4 || !xt.getElementType().isF32() ||
      !kiln::cpu::isOperand(p.c.getType(), Float32Type::get(g.getContext()), 2, /*identity=*/false))
    return false;
  auto wt = dyn_cast<MemRefType>(g.getDpsInputs()[1].getType());
  if (!wt || !wt.hasStaticShape() || wt.getRank() != 3)
    return false;
  p.K = wt.getDimSize(0) * wt.getDimSize(1) * 2;
  p.N = wt.getDimSize(2);
  if (wt.getDimSize(1) * 2 != p.G || xt.getDimSize(1) != p.K / p.G || xt.getDimSize(2) != p.G / 2 ||
      xt.getDimSize(3) != 2 || cast<MemRefType>(p.c.getType()).getDimSize(1) != p.N)
    return false;
  Type i8 = IntegerType::get(ctx, 8), f32 = Float32Type::get(ctx);
  p.codes = globalOf(g.getDpsInputs()[1], i8, {p.K / p.G, p.G / 2, p.N}, symbols);
  p.scales = globalOf(g.getDpsInputs()[2], f32, {p.K / p.G, p.N}, symbols);
  p.zeros = globalOf(g.getDpsInputs()[3], f32, {p.K / p.G, p.N}, symbols);
  p.op = g;
  p.lhsInt8 = g->hasAttr(kiln::quant::kInt4LhsInt8Attr) && p.G % 8 == 0;
  return p.codes && p.scales && p.zeros;
}

struct Int4Emitter {
  OpBuilder &b;
  Location loc;
  const Int4Product &p;
  int64_t L;          // lanes
  Value wq, sq, oq;   // packed codes [P][K/2][W] i8, scales and scale x zp [P][K/G][W] f32
  int64_t W() const { return kVectors * L; }

  VectorType f32s() { return VectorType::get({L}, b.getF32Type()); }
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value a, Value c) { return arith::AddIOp::create(b, loc, a, c); }
  Value mulc(Value a, int64_t c) { return c == 1 ? a : (Value)arith::MulIOp::create(b, loc, a, idx(c)); }
  Value zeros() { return arith::ConstantOp::create(b, loc, f32s(), cast<TypedAttr>(b.getZeroAttr(f32s()))); }
  Value mask(int64_t lanes) {
    return vector::CreateMaskOp::create(b, loc, VectorType::get({L}, b.getI1Type()), ValueRange{idx(lanes)});
  }

  /// The result row `row` at column `col`: `lanes` of L.
  Value readC(Value row, Value col, int64_t lanes) {
    if (lanes == L)
      return vector::LoadOp::create(b, loc, f32s(), p.c, ValueRange{row, col});
    return vector::MaskedLoadOp::create(b, loc, f32s(), p.c, ValueRange{row, col}, mask(lanes), zeros());
  }
  void writeC(Value v, Value row, Value col, int64_t lanes) {
    if (lanes == L)
      vector::StoreOp::create(b, loc, v, p.c, ValueRange{row, col});
    else
      vector::MaskedStoreOp::create(b, loc, p.c, ValueRange{row, col}, mask(lanes), v);
  }

  /// Rows [r0, r0 + rows) x panel `pan` (`lanes[v]` real columns in vector v).
  void tile(Value pan, Value r0, int64_t rows, ArrayRef<int64_t> lanes) {
    // A single row keeps even and odd k in separate accumulators (twice the
    // independent FMA chains).
    bool split = rows == 1;
    int64_t nv = 0;
    while (nv < kVectors && lanes[nv] > 0)
      ++nv;
    int64_t accs = rows * nv * (split ? 2 : 1);
    auto accAt = [&](int64_t r, int64_t v, int64_t parity) { return (r * nv + v) * (split ? 2 : 1) + (split ? parity : 0); };
    SmallVector<Value> rowIdx;
    for (int64_t r = 0; r < rows; ++r)
      rowIdx.push_back(add(r0, idx(r)));
    VectorType bytesT = VectorType::get({L}, b.getI8Type()), wordsT = VectorType::get({L}, b.getI32Type());
    Value fifteen = arith::ConstantOp::create(b, loc, wordsT, DenseElementsAttr::get(wordsT, int32_t(15)));
    Value four = arith::ConstantOp::create(b, loc, wordsT, DenseElementsAttr::get(wordsT, int32_t(4)));
    SmallVector<float> codesF;
    for (int64_t i = 0; i < L; ++i)
      codesF.push_back(float(i));
    Value table = arith::ConstantOp::create(b, loc, f32s(), DenseElementsAttr::get(f32s(), ArrayRef<float>(codesF)));
    auto groups = scf::ForOp::create(b, loc, idx(0), idx(p.K / p.G), idx(1));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(groups.getBody());
    Value g = groups.getInductionVar();
    SmallVector<Value> init(accs + rows, zeros());
    auto pairs = scf::ForOp::create(b, loc, idx(0), idx(p.G / 2), idx(1), init);
    {
      OpBuilder::InsertionGuard g2(b);
      b.setInsertionPointToStart(pairs.getBody());
      Value j = pairs.getInductionVar();
      ValueRange acc = pairs.getRegionIterArgs();
      Value kk = add(mulc(g, p.G / 2), j);
      Value zero = idx(0), one = idx(1);
      SmallVector<Value> we, wo;
      for (int64_t v = 0; v < nv; ++v) {
        Value bytes = vector::LoadOp::create(b, loc, bytesT, wq, ValueRange{pan, kk, idx(v * L)});
        Value u = arith::ExtUIOp::create(b, loc, wordsT, bytes);
        Value hi = arith::ShRUIOp::create(b, loc, u, four);
        if (L == 16) {
          // vpermps: lane i of the table 0, 1, ..., 15 at index u & 15 (the
          // instruction reads the index's low 4 bits): the code as f32 in
          // one shuffle, without the mask and the conversion.
          auto perm = [&](Value i) {
            return LLVM::CallIntrinsicOp::create(b, loc, f32s(), b.getStringAttr("llvm.x86.avx512.permvar.sf.512"),
                                                 ValueRange{table, i})
                .getResult(0);
          };
          we.push_back(perm(u));
          wo.push_back(perm(hi));
          continue;
        }
        we.push_back(arith::UIToFPOp::create(b, loc, f32s(), arith::AndIOp::create(b, loc, u, fifteen)));
        wo.push_back(arith::UIToFPOp::create(b, loc, f32s(), hi));
      }
      SmallVector<Value> next(acc.begin(), acc.end());
      for (int64_t r = 0; r < rows; ++r) {
        Value xe = vector::BroadcastOp::create(
            b, loc, f32s(), memref::LoadOp::create(b, loc, p.x, ValueRange{rowIdx[r], g, j, zero}));
        Value xo = vector::BroadcastOp::create(
            b, loc, f32s(), memref::LoadOp::create(b, loc, p.x, ValueRange{rowIdx[r], g, j, one}));
        for (int64_t v = 0; v < nv; ++v) {
          Value &ae = next[accAt(r, v, 0)];
          ae = vector::FMAOp::create(b, loc, xe, we[v], ae);
          Value &ao = next[accAt(r, v, 1)];
          ao = vector::FMAOp::create(b, loc, xo, wo[v], ao);
        }
        Value &sx = next[accs + r];
        sx = arith::AddFOp::create(b, loc, sx, arith::AddFOp::create(b, loc, xe, xo));
      }
      scf::YieldOp::create(b, loc, next);
    }
    // The group's contribution: scale x acc - scale x zp x sum(x).
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t v = 0; v < nv; ++v) {
        Value a = pairs.getResult(accAt(r, v, 0));
        if (split)
          a = arith::AddFOp::create(b, loc, a, pairs.getResult(accAt(r, v, 1)));
        Value s = vector::LoadOp::create(b, loc, f32s(), sq, ValueRange{pan, g, idx(v * L)});
        Value o = vector::LoadOp::create(b, loc, f32s(), oq, ValueRange{pan, g, idx(v * L)});
        Value col = add(mulc(pan, W()), idx(v * L));
        Value cv = vector::FMAOp::create(b, loc, s, a, readC(rowIdx[r], col, lanes[v]));
        cv = arith::SubFOp::create(b, loc, cv, arith::MulFOp::create(b, loc, o, pairs.getResult(accs + r)));
        writeC(cv, rowIdx[r], col, lanes[v]);
      }
  }

  scf::ForOp forLoop(Value lo, Value hi, int64_t step, function_ref<void(Value)> body) {
    return kiln::cpu::buildForLoop(b, loc, lo, hi, step, body);
  }

  /// `tile(pan, row0, rows, lanes)` over every panel of 4 L columns (the
  /// loop over full panels on threads when there is enough work, then the
  /// partial one, `lanes[v]` real columns in vector v) and every block of
  /// kRows rows, then the single rows.
  void forEachTile(function_ref<void(Value, Value, int64_t, ArrayRef<int64_t>)> tileFn) {
    auto panel = [&](Value pan, ArrayRef<int64_t> lanes) {
      Value M = memref::DimOp::create(b, loc, p.x, 0);
      Value full = mulc(arith::DivUIOp::create(b, loc, M, idx(kRows)), kRows);
      forLoop(idx(0), full, kRows, [&](Value r) { tileFn(pan, r, kRows, lanes); });
      forLoop(full, M, 1, [&](Value r) { tileFn(pan, r, 1, lanes); });
    };
    int64_t full = p.N / W(), rest = p.N % W();
    if (full > 0) {
      auto l = forLoop(idx(0), idx(full), 1, [&](Value pan) { panel(pan, SmallVector<int64_t>(kVectors, L)); });
      int64_t work = p.K * p.N;
      if (int64_t m = cast<MemRefType>(p.x.getType()).getDimSize(0); !ShapedType::isDynamic(m))
        work *= m;
      if (full > 1 && work >= kiln::cpu::kMinParallelWork)
        l->setAttr(kiln::cpu::kParallelAttr, b.getUnitAttr());
    }
    if (rest) {
      SmallVector<int64_t> lanes;
      for (int64_t v = 0; v < kVectors; ++v)
        lanes.push_back(std::clamp<int64_t>(rest - v * L, 0, L));
      panel(idx(full), lanes);
    }
  }

  void emit() {
    forEachTile([&](Value pan, Value r0, int64_t rows, ArrayRef<int64_t> lanes) { tile(pan, r0, rows, lanes); });
  }
};

/// The W4A8 kernel (AVX-512 VNNI) for products whose activations are
/// rounded to q * sx per row and group: a prologue recovers q (int8) and
/// sx per row and group from x (sx = max |x| / 127: the group's largest
/// |x| is 127 sx), into scratch buffers; then per panel of 64 columns, row
/// block and group, each octet of k is one 64-byte load per vector of 16
/// columns whose low nibbles hold the codes of k = 8o .. 8o + 3 and high
/// nibbles those of 8o + 4 .. 8o + 7 (lane l: four bytes for column l),
/// split by a mask and a shift and multiplied with the row's four q bytes
/// broadcast by `vpdpbusd` (codes unsigned, q signed, exact int32 sums);
/// at the group's end the result gets scale x sx x acc - scale x zp x sx x
/// sum(q).
struct W4A8Emitter : Int4Emitter {
  Value qbuf, sxb, sxq; // i8 [M, K], f32 [M, K/G] x 2

  VectorType i32s() { return VectorType::get({16}, b.getI32Type()); }
  VectorType bytes64() { return VectorType::get({64}, b.getI8Type()); }
  Value f32c(float v) { return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v)); }

  /// q of row `row`, k .. k + 3, as 64 bytes (the four repeated per lane).
  Value quad(Value row, Value k) {
    Value bytes = vector::LoadOp::create(b, loc, VectorType::get({4}, b.getI8Type()), qbuf, ValueRange{row, k});
    Value word = vector::BitCastOp::create(b, loc, VectorType::get({1}, b.getI32Type()), bytes);
    Value w = vector::ExtractOp::create(b, loc, word, ArrayRef<int64_t>{0});
    return vector::BitCastOp::create(b, loc, bytes64(), vector::BroadcastOp::create(b, loc, i32s(), w));
  }
  Value dot(Value acc, Value codes, Value q) {
    return LLVM::CallIntrinsicOp::create(b, loc, i32s(), b.getStringAttr("llvm.x86.avx512.vpdpbusd.512"),
                                         ValueRange{acc, codes, q})
        .getResult(0);
  }

  /// q, sx and sx x sum(q) of every row and group.
  void prologue(Value M) {
    Type f32 = b.getF32Type(), i8 = b.getI8Type();
    int64_t NG = p.K / p.G;
    qbuf = memref::AllocOp::create(b, loc, MemRefType::get({ShapedType::kDynamic, p.K}, i8), ValueRange{M});
    sxb = memref::AllocOp::create(b, loc, MemRefType::get({ShapedType::kDynamic, NG}, f32), ValueRange{M});
    sxq = memref::AllocOp::create(b, loc, MemRefType::get({ShapedType::kDynamic, NG}, f32), ValueRange{M});
    forLoop(idx(0), M, 1, [&](Value m) {
      forLoop(idx(0), idx(NG), 1, [&](Value g) {
        // Every element of the group: (j, parity).
        auto each = [&](Value init, function_ref<Value(Value, Value, Value)> body) {
          auto lj = scf::ForOp::create(b, loc, idx(0), idx(p.G / 2), idx(1), ValueRange{init});
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(lj.getBody());
          Value a = lj.getRegionIterArgs()[0];
          for (int64_t par = 0; par < 2; ++par)
            a = body(a, lj.getInductionVar(), idx(par));
          scf::YieldOp::create(b, loc, a);
          return lj.getResult(0);
        };
        auto xAt = [&](Value j, Value par) { return memref::LoadOp::create(b, loc, p.x, ValueRange{m, g, j, par}); };
        Value amax = each(f32c(0), [&](Value a, Value j, Value par) {
          return arith::MaximumFOp::create(b, loc, a, math::AbsFOp::create(b, loc, xAt(j, par)));
        });
        Value pos = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, amax, f32c(0));
        Value sx = arith::SelectOp::create(b, loc, pos, arith::DivFOp::create(b, loc, amax, f32c(127)), f32c(1));
        Value sum = each(f32c(0), [&](Value a, Value j, Value par) {
          Value q = math::RoundEvenOp::create(b, loc, arith::DivFOp::create(b, loc, xAt(j, par), sx));
          q = arith::MinimumFOp::create(b, loc, arith::MaximumFOp::create(b, loc, q, f32c(-127)), f32c(127));
          Value k = add(add(mulc(g, p.G), mulc(j, 2)), par);
          memref::StoreOp::create(b, loc, arith::FPToSIOp::create(b, loc, b.getI8Type(), q), qbuf, ValueRange{m, k});
          return arith::AddFOp::create(b, loc, a, q);
        });
        memref::StoreOp::create(b, loc, sx, sxb, ValueRange{m, g});
        memref::StoreOp::create(b, loc, arith::MulFOp::create(b, loc, sx, sum), sxq, ValueRange{m, g});
      });
    });
  }

  void tile(Value pan, Value r0, int64_t rows, ArrayRef<int64_t> lanes) {
    int64_t nv = 0;
    while (nv < kVectors && lanes[nv] > 0)
      ++nv;
    SmallVector<Value> rowIdx;
    for (int64_t r = 0; r < rows; ++r)
      rowIdx.push_back(add(r0, idx(r)));
    Value low = arith::ConstantOp::create(b, loc, bytes64(), DenseElementsAttr::get(bytes64(), int8_t(15)));
    Value four = arith::ConstantOp::create(b, loc, bytes64(), DenseElementsAttr::get(bytes64(), int8_t(4)));
    Value zero = arith::ConstantOp::create(b, loc, i32s(), DenseElementsAttr::get(i32s(), int32_t(0)));
    auto groups = scf::ForOp::create(b, loc, idx(0), idx(p.K / p.G), idx(1));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(groups.getBody());
    Value g = groups.getInductionVar();
    SmallVector<Value> init(rows * nv, zero);
    auto octets = scf::ForOp::create(b, loc, idx(0), idx(p.G / 8), idx(1), init);
    {
      OpBuilder::InsertionGuard g2(b);
      b.setInsertionPointToStart(octets.getBody());
      Value o = octets.getInductionVar();
      SmallVector<Value> acc(octets.getRegionIterArgs().begin(), octets.getRegionIterArgs().end());
      Value ko = add(mulc(g, p.G / 8), o), k0 = add(mulc(g, p.G), mulc(o, 8));
      SmallVector<Value> qa, qb;
      for (int64_t r = 0; r < rows; ++r) {
        qa.push_back(quad(rowIdx[r], k0));
        qb.push_back(quad(rowIdx[r], add(k0, idx(4))));
      }
      for (int64_t v = 0; v < nv; ++v) {
        Value V = vector::LoadOp::create(b, loc, bytes64(), wq, ValueRange{pan, ko, idx(v * 64)});
        Value A = arith::AndIOp::create(b, loc, V, low);
        Value B = arith::AndIOp::create(b, loc, arith::ShRUIOp::create(b, loc, V, four), low);
        for (int64_t r = 0; r < rows; ++r) {
          Value &a = acc[r * nv + v];
          a = dot(dot(a, A, qa[r]), B, qb[r]);
        }
      }
      scf::YieldOp::create(b, loc, acc);
    }
    for (int64_t r = 0; r < rows; ++r) {
      Value sx = vector::BroadcastOp::create(b, loc, f32s(), memref::LoadOp::create(b, loc, sxb, ValueRange{rowIdx[r], g}));
      Value sq2 = vector::BroadcastOp::create(b, loc, f32s(), memref::LoadOp::create(b, loc, sxq, ValueRange{rowIdx[r], g}));
      for (int64_t v = 0; v < nv; ++v) {
        Value a = arith::SIToFPOp::create(b, loc, f32s(), octets.getResult(r * nv + v));
        Value s = vector::LoadOp::create(b, loc, f32s(), sq, ValueRange{pan, g, idx(v * L)});
        Value off = vector::LoadOp::create(b, loc, f32s(), oq, ValueRange{pan, g, idx(v * L)});
        Value col = add(mulc(pan, W()), idx(v * L));
        Value cv = vector::FMAOp::create(b, loc, arith::MulFOp::create(b, loc, s, sx), a, readC(rowIdx[r], col, lanes[v]));
        cv = arith::SubFOp::create(b, loc, cv, arith::MulFOp::create(b, loc, off, sq2));
        writeC(cv, rowIdx[r], col, lanes[v]);
      }
    }
  }

  void emit() {
    prologue(memref::DimOp::create(b, loc, p.x, 0));
    forEachTile([&](Value pan, Value r0, int64_t rows, ArrayRef<int64_t> lanes) { tile(pan, r0, rows, lanes); });
    for (Value buf : {qbuf, sxb, sxq})
      memref::DeallocOp::create(b, loc, buf);
  }
};

struct CPUInt4MatmulPass : kiln::cpu::impl::CPUInt4MatmulBase<CPUInt4MatmulPass> {
  using CPUInt4MatmulBase::CPUInt4MatmulBase;
  void runOnOperation() override {
    if (lanes == 0)
      return;
    if (lanes != 8 && lanes != 16) {
      getOperation().emitError() << "kiln-cpu-int4-matmul: lanes must be 8, 16 or 0 (got " << int64_t(lanes) << ")";
      return signalPassFailure();
    }
    ModuleOp module = getOperation();
    auto &count = kiln::passStatistic(getArgument(), "int4-matmuls", "int4-weight products on the int4 kernel");
    auto &countW4A8 = kiln::passStatistic(getArgument(), "w4a8-matmuls",
                                          "of which with int8 activations on vpdpbusd (W4A8)");
    SymbolTable symbols(module);
    SmallVector<Int4Product> found;
    module.walk([&](linalg::GenericOp g) {
      Int4Product p;
      if (matchInt4(g, symbols, p))
        found.push_back(p);
    });
    int64_t L = lanes, W = kVectors * L;
    for (Int4Product &p : found) {
      int64_t P = (p.N + W - 1) / W, NG = p.K / p.G, KH = p.K / 2;
      std::vector<char> s0, s1, s2;
      ArrayRef<char> codes = rawConstantData(p.codes, IntegerType::get(&getContext(), 8), KH * p.N, s0);
      ArrayRef<char> scales = rawConstantData(p.scales, Float32Type::get(&getContext()), NG * p.N, s1);
      ArrayRef<char> zps = rawConstantData(p.zeros, Float32Type::get(&getContext()), NG * p.N, s2);
      if ((int64_t)codes.size() < KH * p.N || (int64_t)scales.size() < 4 * NG * p.N ||
          (int64_t)zps.size() < 4 * NG * p.N)
        continue;
      bool w4a8 = p.lhsInt8 && vnni && L == 16;
      // (Both layouts hold P x K/2 x W bytes.)
      std::vector<int8_t> wp(size_t(P * KH * W), 0);
      std::vector<float> sp(size_t(P * NG * W), 0.f), op(size_t(P * NG * W), 0.f);
      for (int64_t pan = 0; pan < P; ++pan)
        for (int64_t c = 0; c < W && pan * W + c < p.N; ++c) {
          int64_t n = pan * W + c;
          for (int64_t j = 0; j < KH && !w4a8; ++j)
            wp[(pan * KH + j) * W + c] = (int8_t)codes[j * p.N + n];
          for (int64_t g = 0; g < NG; ++g) {
            float s, z;
            std::memcpy(&s, scales.data() + 4 * (g * p.N + n), 4);
            std::memcpy(&z, zps.data() + 4 * (g * p.N + n), 4);
            sp[(pan * NG + g) * W + c] = s;
            op[(pan * NG + g) * W + c] = s * z;
          }
        }
      if (w4a8) {
        // Octets of k: [P][K/8][4 x 64] bytes, byte (v, 4 l + j) of octet o
        // the codes of k = 8o + j (low nibble) and 8o + 4 + j (high) for
        // column 64 pan + 16 v + l.
        for (int64_t pan = 0; pan < P; ++pan)
          for (int64_t c = 0; c < W && pan * W + c < p.N; ++c) {
            int64_t n = pan * W + c, v = c / 16, l = c % 16;
            auto code = [&](int64_t k) { return uint8_t(codes[(k / 2) * p.N + n]) >> (4 * (k % 2)) & 15; };
            for (int64_t o = 0; o < p.K / 8; ++o)
              for (int64_t j = 0; j < 4; ++j)
                wp[((pan * (p.K / 8) + o) * 4 + v) * 64 + 4 * l + j] =
                    int8_t(code(8 * o + j) | code(8 * o + 4 + j) << 4);
          }
      }
      OpBuilder b(p.op);
      Location loc = p.op.getLoc();
      auto global = [&](StringRef suffix, Type et, ArrayRef<int64_t> shape, AsmResourceBlob blob) -> Value {
        auto mt = MemRefType::get(shape, et);
        FlatSymbolRefAttr ref =
            kiln::cpu::addConstantGlobal(p.codes, (p.codes.getSymName() + suffix).str(), mt, std::move(blob), symbols);
        return memref::GetGlobalOp::create(b, loc, mt, ref.getValue());
      };
      Value wq = w4a8 ? global("_w4a8", b.getI8Type(), {P, p.K / 8, 4 * 64},
                               HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<int8_t>(wp)))
                      : global("_int4", b.getI8Type(), {P, KH, W},
                               HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<int8_t>(wp)));
      Value sq = global("_int4_scales", b.getF32Type(), {P, NG, W},
                        HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<float>(sp)));
      Value oq = global("_int4_offsets", b.getF32Type(), {P, NG, W},
                        HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<float>(op)));
      if (w4a8) {
        W4A8Emitter e{{b, loc, p, L, wq, sq, oq}};
        e.emit();
        ++countW4A8;
      } else {
        Int4Emitter{b, loc, p, L, wq, sq, oq}.emit();
      }
      p.op->erase();
      ++count;
    }
  }
};

} // namespace
