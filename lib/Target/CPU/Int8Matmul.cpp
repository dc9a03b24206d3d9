//===- Int8Matmul.cpp - int8 products on the AVX-512 VNNI micro-kernel ----===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// kiln-cpu-int8-matmul (Passes.td).  The products of nn.qmatmul and
// nn.qconv (NNToLinalg's int8Matmul) become loops of `vpdpbusd`, each
// instruction 16 lanes x 4 u8 x s8 products accumulated in int32: per
// output row, the row's four activation bytes of a quad k = 4q .. 4q + 3
// broadcast to every lane, times the packed weights of that quad for 16
// columns (lane j holds the four weights of column j).
//
// Written with vector ops and the intrinsic call, not through upstream
// vectorization: a vector.contract over i8 -> i32 lowers to widening
// multiplies and adds (16 products per instruction at best), and MLIR's
// x86vector dialect has no vpdpbusd (its dot.i8 is AVX-VNNI-INT8's
// signed x signed vpdpbssd, which these CPUs do not have).
//
//===----------------------------------------------------------------------===//

#include "CPUPasses.h"
#include "kiln/Transforms/Statistics.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

#include <cstring>

namespace kiln::cpu {
#define GEN_PASS_DEF_CPUINT8MATMUL
#include "Passes.h.inc"
} // namespace kiln::cpu

using namespace mlir;

namespace {

/// Rows of one register tile and its columns (two vectors of 16 lanes).
constexpr int64_t kRows = 8, kPanel = 32, kLanes = 16;

/// An int8 product found on buffers.
struct Int8Product {
  linalg::GenericOp op;
  Value a, c;            // [M, K] i8, [M, N] i32
  memref::GlobalOp rhs;  // constant [K, N] i8
  bool aSigned = false;
  int64_t K = 0, N = 0;
};

/// The value `v` with its ext op looked through: `v` = ext(arg) where arg
/// is block argument `argNo`; sets `isSigned` for extsi.
bool extOfArg(Value v, unsigned argNo, bool &isSigned) {
  Operation *d = v.getDefiningOp();
  if (!d || !isa<arith::ExtSIOp, arith::ExtUIOp>(d))
    return false;
  auto arg = dyn_cast<BlockArgument>(d->getOperand(0));
  if (!arg || arg.getArgNumber() != argNo)
    return false;
  isSigned = isa<arith::ExtSIOp>(d);
  return true;
}

/// Whether `t` is a rank-2 memref whose rows are unit-stride.
bool unitInnerStride(MemRefType t) {
  if (t.getRank() != 2)
    return false;
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(t.getStridesAndOffset(strides, offset)))
    return false;
  return strides[1] == 1;
}

bool matchInt8Product(linalg::GenericOp g, SymbolTable &symbols, Int8Product &p) {
  if (!g.hasPureBufferSemantics() || g.getNumDpsInputs() != 2 || g.getNumDpsInits() != 1)
    return false;
  auto iters = g.getIteratorTypesArray();
  if (iters.size() != 3 || iters[0] != utils::IteratorType::parallel ||
      iters[1] != utils::IteratorType::parallel || iters[2] != utils::IteratorType::reduction)
    return false;
  MLIRContext *ctx = g.getContext();
  AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx), k = getAffineDimExpr(2, ctx);
  SmallVector<AffineMap> want{AffineMap::get(3, 0, {m, k}, ctx), AffineMap::get(3, 0, {k, n}, ctx),
                              AffineMap::get(3, 0, {m, n}, ctx)};
  if (g.getIndexingMapsArray() != want)
    return false;
  Value a = g.getDpsInputs()[0], bv = g.getDpsInputs()[1], c = g.getDpsInits()[0];
  auto at = dyn_cast<MemRefType>(a.getType()), ct = dyn_cast<MemRefType>(c.getType());
  if (!at || !ct || !at.getElementType().isInteger(8) || !ct.getElementType().isInteger(32) ||
      !unitInnerStride(at) || !unitInnerStride(ct))
    return false;
  auto get = bv.getDefiningOp<memref::GetGlobalOp>();
  if (!get)
    return false;
  auto bt = cast<MemRefType>(get.getType());
  auto global = symbols.lookup<memref::GlobalOp>(get.getName());
  if (!global || !global.getConstant() || global.isExternal() || !global.getInitialValue() ||
      !bt.getElementType().isInteger(8) || !bt.hasStaticShape() || !bt.getLayout().isIdentity())
    return false;
  // Body: yield addi(c, muli(ext(a), extsi(b))) in either operand order.
  Block &body = g.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getOperand(0).getDefiningOp<arith::AddIOp>();
  if (!add)
    return false;
  Value acc = add.getLhs(), prod = add.getRhs();
  if (acc != body.getArgument(2))
    std::swap(acc, prod);
  auto mul = prod.getDefiningOp<arith::MulIOp>();
  if (acc != body.getArgument(2) || !mul)
    return false;
  bool aSigned = false, bSigned = false;
  Value x = mul.getLhs(), y = mul.getRhs();
  if (!extOfArg(x, 0, aSigned))
    std::swap(x, y);
  if (!extOfArg(x, 0, aSigned) || !extOfArg(y, 1, bSigned) || !bSigned)
    return false;
  if (body.getOperations().size() != 5) // 2 ext, mul, add, yield
    return false;
  p.op = g;
  p.a = a;
  p.c = c;
  p.rhs = global;
  p.aSigned = aSigned;
  p.K = bt.getDimSize(0);
  p.N = bt.getDimSize(1);
  return p.K > 0 && p.N > 0 && at.getDimSize(1) == p.K && ct.getDimSize(1) == p.N;
}

/// The zero fill of the product's result `c` right before `op`, if any:
/// the accumulators then start at zero and the fill goes.
linalg::FillOp zeroFillBefore(Operation *op, Value c) {
  auto fill = dyn_cast_or_null<linalg::FillOp>(op->getPrevNode());
  if (fill && fill.getDpsInits()[0] == c && matchPattern(fill.getInputs()[0], m_Zero()))
    return fill;
  return {};
}

/// The int8 data of a constant global's initial value (`n` bytes), a splat
/// expanded into `storage`; empty if unreadable.
ArrayRef<int8_t> int8Data(memref::GlobalOp g, int64_t n, std::vector<int8_t> &storage) {
  Attribute init = *g.getInitialValue();
  if (auto dense = dyn_cast<DenseIntElementsAttr>(init)) {
    storage.clear();
    if (dense.isSplat())
      storage.assign(size_t(n), dense.getSplatValue<int8_t>());
    else
      for (int8_t v : dense.getValues<int8_t>())
        storage.push_back(v);
    return storage;
  }
  if (auto res = dyn_cast<DenseResourceElementsAttr>(init))
    if (AsmResourceBlob *blob = res.getRawHandle().getBlob(); blob && (int64_t)blob->getData().size() >= n)
      return ArrayRef<int8_t>(reinterpret_cast<const int8_t *>(blob->getData().data()), n);
  return {};
}

/// A private constant i32 global `name` of `shape` holding `values`.
memref::GetGlobalOp addI32Global(OpBuilder &b, memref::GlobalOp after, StringRef name, ArrayRef<int64_t> shape,
                                 ArrayRef<int32_t> values, SymbolTable &symbols, Location useLoc) {
  Type i32 = b.getI32Type();
  auto tt = RankedTensorType::get(shape, i32);
  auto blob = HeapAsmResourceBlob::allocateAndCopyInferAlign(values);
  auto init = DenseResourceElementsAttr::get(tt, name, std::move(blob));
  OpBuilder gb(after);
  gb.setInsertionPointAfter(after);
  auto mt = MemRefType::get(shape, i32);
  auto g = memref::GlobalOp::create(gb, after.getLoc(), name, gb.getStringAttr("private"), mt, init,
                                    /*constant=*/true, gb.getI64IntegerAttr(64));
  symbols.insert(g);
  return memref::GetGlobalOp::create(b, useLoc, mt, g.getSymName());
}

struct Emitter {
  OpBuilder &b;
  Location loc;
  const Int8Product &p;
  Value panels, colBias; // [NP, KQ, 32] i32; [NP, 32] i32 (signed lhs only)
  bool zeroInit;
  VectorType v16 = VectorType::get({kLanes}, IntegerType::get(b.getContext(), 32));
  VectorType v64 = VectorType::get({4 * kLanes}, IntegerType::get(b.getContext(), 8));

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }

  /// The four bytes A[row, 4q .. 4q + 3] broadcast to every lane (masked
  /// read for the last, partial quad; biased by 128 for a signed lhs).
  Value quad(Value row, Value k, bool partial) {
    auto v4 = VectorType::get({4}, b.getI8Type());
    Value bytes;
    if (partial) {
      Value pad = arith::ConstantIntOp::create(b, loc, b.getI8Type(), p.aSigned ? -128 : 0);
      bytes = vector::TransferReadOp::create(b, loc, v4, p.a, ValueRange{row, k}, pad,
                                             ArrayRef<bool>{false});
    } else {
      bytes = vector::LoadOp::create(b, loc, v4, p.a, ValueRange{row, k});
    }
    Value word = vector::BitCastOp::create(b, loc, VectorType::get({1}, b.getI32Type()), bytes);
    Value s = vector::ExtractOp::create(b, loc, word, ArrayRef<int64_t>{0});
    if (p.aSigned)
      s = arith::XOrIOp::create(b, loc, s, arith::ConstantIntOp::create(b, loc, b.getI32Type(), int64_t(0x80808080u)));
    Value bc = vector::BroadcastOp::create(b, loc, v16, s);
    return vector::BitCastOp::create(b, loc, v64, bc);
  }

  Value dot(Value acc, Value a64, Value w) {
    Value w64 = vector::BitCastOp::create(b, loc, v64, w);
    return LLVM::CallIntrinsicOp::create(b, loc, v16, b.getStringAttr("llvm.x86.avx512.vpdpbusd.512"),
                                         ValueRange{acc, a64, w64})
        .getResult(0);
  }

  /// Lanes of half `h` of panel `pIdx` that are real columns: all, or
  /// (last panel) the static remainder.
  int64_t validLanes(int64_t lastPanel, bool isLast, int64_t h) {
    if (!isLast)
      return kLanes;
    int64_t first = lastPanel * kPanel + h * kLanes;
    return std::clamp<int64_t>(p.N - first, 0, kLanes);
  }

  Value readC(Value row, Value col, int64_t lanes) {
    if (lanes == kLanes)
      return vector::LoadOp::create(b, loc, v16, p.c, ValueRange{row, col});
    Value zero = arith::ConstantOp::create(b, loc, v16, DenseElementsAttr::get(v16, int32_t(0)));
    Value mask = vector::CreateMaskOp::create(b, loc, VectorType::get({kLanes}, b.getI1Type()), ValueRange{idx(lanes)});
    return vector::MaskedLoadOp::create(b, loc, v16, p.c, ValueRange{row, col}, mask, zero);
  }
  void writeC(Value v, Value row, Value col, int64_t lanes) {
    if (lanes == kLanes) {
      vector::StoreOp::create(b, loc, v, p.c, ValueRange{row, col});
      return;
    }
    Value mask = vector::CreateMaskOp::create(b, loc, VectorType::get({kLanes}, b.getI1Type()), ValueRange{idx(lanes)});
    vector::MaskedStoreOp::create(b, loc, p.c, ValueRange{row, col}, mask, v);
  }

  /// The register tile of `rows` rows from `row0` for panel `pan`
  /// (`isLast`: the static last panel, whose columns may end early).
  void tile(Value row0, int64_t rows, Value pan, int64_t lastPanel, bool isLast) {
    Value col0 = arith::MulIOp::create(b, loc, pan, idx(kPanel));
    SmallVector<Value> rowIdx, init;
    for (int64_t r = 0; r < rows; ++r)
      rowIdx.push_back(arith::AddIOp::create(b, loc, row0, idx(r)));
    SmallVector<Value> cols{col0, arith::AddIOp::create(b, loc, col0, idx(kLanes))};
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t h = 0; h < 2; ++h) {
        int64_t lanes = validLanes(lastPanel, isLast, h);
        if (zeroInit || lanes == 0)
          init.push_back(arith::ConstantOp::create(b, loc, v16, DenseElementsAttr::get(v16, int32_t(0))));
        else
          init.push_back(readC(rowIdx[r], cols[h], lanes));
      }
    int64_t fullQuads = p.K / 4;
    auto step = [&](OpBuilder &, Value q, ValueRange acc, bool partial) {
      SmallVector<Value> w;
      for (int64_t h = 0; h < 2; ++h)
        w.push_back(vector::LoadOp::create(b, loc, v16, panels, ValueRange{pan, q, idx(h * kLanes)}));
      Value k = arith::MulIOp::create(b, loc, q, idx(4));
      SmallVector<Value> next;
      for (int64_t r = 0; r < rows; ++r) {
        Value a = quad(rowIdx[r], k, partial);
        for (int64_t h = 0; h < 2; ++h)
          next.push_back(dot(acc[2 * r + h], a, w[h]));
      }
      return next;
    };
    SmallVector<Value> acc(init);
    if (fullQuads > 0) {
      auto loop = scf::ForOp::create(b, loc, idx(0), idx(fullQuads), idx(1), init);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      SmallVector<Value> next = step(b, loop.getInductionVar(), loop.getRegionIterArgs(), false);
      scf::YieldOp::create(b, loc, next);
      b.setInsertionPointAfter(loop);
      acc.assign(loop.getResults().begin(), loop.getResults().end());
    }
    if (p.K % 4)
      acc = step(b, idx(fullQuads), acc, true);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t h = 0; h < 2; ++h) {
        int64_t lanes = validLanes(lastPanel, isLast, h);
        if (lanes == 0)
          continue;
        Value v = acc[2 * r + h];
        if (p.aSigned) // (a + 128) * w summed: subtract 128 * sum_k w
          v = arith::SubIOp::create(b, loc, v,
                                    vector::LoadOp::create(b, loc, v16, colBias, ValueRange{pan, idx(h * kLanes)}));
        writeC(v, rowIdx[r], cols[h], lanes);
      }
  }

  /// All rows for panel `pan`: blocks of kRows, then single rows.
  void panel(Value pan, int64_t lastPanel, bool isLast) {
    Value M = memref::DimOp::create(b, loc, p.a, 0);
    Value full = arith::MulIOp::create(b, loc, arith::DivUIOp::create(b, loc, M, idx(kRows)), idx(kRows));
    auto blocks = scf::ForOp::create(b, loc, idx(0), full, idx(kRows));
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(blocks.getBody());
      tile(blocks.getInductionVar(), kRows, pan, lastPanel, isLast);
    }
    auto rest = scf::ForOp::create(b, loc, full, M, idx(1));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(rest.getBody());
    tile(rest.getInductionVar(), 1, pan, lastPanel, isLast);
  }
};

//===----------------------------------------------------------------------===//
// Convolutions: weights on the left, [F, K] x [N, K, P] -> [N, F, P]
//===----------------------------------------------------------------------===//

/// Filter rows of one register tile of the convolution kernel.
constexpr int64_t kFilterRows = 8;

/// An int8 convolution product found on buffers (int8WeightsProduct).
struct Int8ConvProduct {
  linalg::GenericOp op;
  Value x, c;           // columns [N, K, P] i8, result [N, F, P] i32
  memref::GlobalOp w;   // constant [F, K] i8
  bool xSigned = false;
  int64_t F = 0, K = 0, P = 0;
};

bool matchInt8ConvProduct(linalg::GenericOp g, SymbolTable &symbols, Int8ConvProduct &p) {
  if (!g.hasPureBufferSemantics() || g.getNumDpsInputs() != 2 || g.getNumDpsInits() != 1)
    return false;
  auto iters = g.getIteratorTypesArray();
  if (iters.size() != 4 || iters[3] != utils::IteratorType::reduction ||
      llvm::any_of(ArrayRef(iters).take_front(3), [](auto t) { return t != utils::IteratorType::parallel; }))
    return false;
  MLIRContext *ctx = g.getContext();
  AffineExpr n = getAffineDimExpr(0, ctx), f = getAffineDimExpr(1, ctx), q = getAffineDimExpr(2, ctx),
             k = getAffineDimExpr(3, ctx);
  SmallVector<AffineMap> want{AffineMap::get(4, 0, {f, k}, ctx), AffineMap::get(4, 0, {n, k, q}, ctx),
                              AffineMap::get(4, 0, {n, f, q}, ctx)};
  if (g.getIndexingMapsArray() != want)
    return false;
  Value wv = g.getDpsInputs()[0], x = g.getDpsInputs()[1], c = g.getDpsInits()[0];
  auto xt = dyn_cast<MemRefType>(x.getType()), ct = dyn_cast<MemRefType>(c.getType());
  if (!xt || !ct || !xt.getElementType().isInteger(8) || !ct.getElementType().isInteger(32) || xt.getRank() != 3 ||
      !xt.getLayout().isIdentity() || !ct.getLayout().isIdentity() || ShapedType::isDynamic(xt.getDimSize(2)))
    return false;
  auto get = wv.getDefiningOp<memref::GetGlobalOp>();
  if (!get)
    return false;
  auto wt = cast<MemRefType>(get.getType());
  auto global = symbols.lookup<memref::GlobalOp>(get.getName());
  if (!global || !global.getConstant() || global.isExternal() || !global.getInitialValue() ||
      !wt.getElementType().isInteger(8) || !wt.hasStaticShape() || !wt.getLayout().isIdentity())
    return false;
  Block &body = g.getRegion().front();
  auto add = cast<linalg::YieldOp>(body.getTerminator()).getOperand(0).getDefiningOp<arith::AddIOp>();
  if (!add || body.getOperations().size() != 5)
    return false;
  Value acc = add.getLhs(), prod = add.getRhs();
  if (acc != body.getArgument(2))
    std::swap(acc, prod);
  auto mul = prod.getDefiningOp<arith::MulIOp>();
  if (acc != body.getArgument(2) || !mul)
    return false;
  bool wSigned = false, xSigned = false;
  Value a = mul.getLhs(), bb = mul.getRhs();
  if (!extOfArg(a, 0, wSigned))
    std::swap(a, bb);
  if (!extOfArg(a, 0, wSigned) || !wSigned || !extOfArg(bb, 1, xSigned))
    return false;
  p.op = g;
  p.x = x;
  p.c = c;
  p.w = global;
  p.xSigned = xSigned;
  p.F = wt.getDimSize(0);
  p.K = wt.getDimSize(1);
  p.P = xt.getDimSize(2);
  return p.F > 0 && p.K > 0 && p.P > 0 && xt.getDimSize(1) == p.K && ct.getDimSize(1) == p.F &&
         ct.getDimSize(2) == p.P;
}

/// The convolution kernel: per image, per block of kFilterRows filters and
/// per chunk of 32 output pixels (two vectors of 16), 8 x 2 int32
/// accumulators; per quad q of the reduction, the four column rows k = 4q
/// .. 4q + 3 of the chunk (contiguous bytes) are interleaved so that lane
/// l holds the four bytes of pixel l, and each filter's four weights of
/// the quad are broadcast: one vpdpbusd per filter and vector.
struct ConvEmitter {
  OpBuilder &b;
  Location loc;
  const Int8ConvProduct &p;
  Value wq, bias; // [F, KQ] i32 packed quads; [F] i32 (signed columns only)
  bool zeroInit;
  VectorType v16 = VectorType::get({kLanes}, IntegerType::get(b.getContext(), 32));
  VectorType v64 = VectorType::get({4 * kLanes}, IntegerType::get(b.getContext(), 8));
  VectorType b16 = VectorType::get({kLanes}, IntegerType::get(b.getContext(), 8));
  VectorType m16 = VectorType::get({kLanes}, IntegerType::get(b.getContext(), 1));

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }

  /// Row `k` (static or not) of image `n`, pixels [col, col + lanes).
  Value row(Value n, Value k, Value col, int64_t lanes) {
    if (lanes == kLanes)
      return vector::LoadOp::create(b, loc, b16, p.x, ValueRange{n, k, col});
    Value mask = vector::CreateMaskOp::create(b, loc, m16, ValueRange{idx(lanes)});
    Value zero = arith::ConstantOp::create(b, loc, b16, DenseElementsAttr::get(b16, int8_t(0)));
    return vector::MaskedLoadOp::create(b, loc, b16, p.x, ValueRange{n, k, col}, mask, zero);
  }

  /// Lane l of the result holds byte l of r0, r1, r2, r3 (in that order).
  Value interleave(ArrayRef<Value> r) {
    SmallVector<int64_t> pairs, quads;
    for (int64_t l = 0; l < kLanes; ++l) {
      pairs.push_back(l);
      pairs.push_back(l + kLanes);
    }
    for (int64_t l = 0; l < kLanes; ++l)
      for (int64_t j : {2 * l, 2 * l + 1, 2 * kLanes + 2 * l, 2 * kLanes + 2 * l + 1})
        quads.push_back(j);
    Value s01 = vector::ShuffleOp::create(b, loc, r[0], r[1], pairs);
    Value s23 = vector::ShuffleOp::create(b, loc, r[2], r[3], pairs);
    Value v = vector::ShuffleOp::create(b, loc, s01, s23, quads);
    if (p.xSigned)
      v = arith::XOrIOp::create(b, loc, v,
                                arith::ConstantOp::create(b, loc, v64, DenseElementsAttr::get(v64, int8_t(-128))));
    return v;
  }

  Value dot(Value acc, Value a64, Value w64) {
    return LLVM::CallIntrinsicOp::create(b, loc, v16, b.getStringAttr("llvm.x86.avx512.vpdpbusd.512"),
                                         ValueRange{acc, a64, w64})
        .getResult(0);
  }

  /// The tile of `rows` filters from `f0` x the pixel chunk at `col` with
  /// `lanes[h]` real pixels in vector h (16, fewer, or 0).
  void tile(Value n, Value f0, int64_t rows, Value col, ArrayRef<int64_t> lanes) {
    SmallVector<Value> fIdx, cols{col, arith::AddIOp::create(b, loc, col, idx(kLanes))}, init;
    for (int64_t r = 0; r < rows; ++r)
      fIdx.push_back(arith::AddIOp::create(b, loc, f0, idx(r)));
    Value zero = arith::ConstantOp::create(b, loc, v16, DenseElementsAttr::get(v16, int32_t(0)));
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t h = 0; h < 2; ++h) {
        if (zeroInit || lanes[h] == 0) {
          init.push_back(zero);
        } else if (lanes[h] == kLanes) {
          init.push_back(vector::LoadOp::create(b, loc, v16, p.c, ValueRange{n, fIdx[r], cols[h]}));
        } else {
          Value mask = vector::CreateMaskOp::create(b, loc, m16, ValueRange{idx(lanes[h])});
          init.push_back(vector::MaskedLoadOp::create(b, loc, v16, p.c, ValueRange{n, fIdx[r], cols[h]}, mask, zero));
        }
      }
    // One quad: rows k of the quad past K read row K - 1 (their weights
    // are zero).
    auto step = [&](Value q, ValueRange acc, bool tail) {
      SmallVector<Value> a;
      for (int64_t h = 0; h < 2; ++h) {
        if (lanes[h] == 0) {
          a.push_back(Value());
          continue;
        }
        SmallVector<Value> rs;
        for (int64_t j = 0; j < 4; ++j) {
          Value k = tail ? idx(std::min<int64_t>((p.K / 4) * 4 + j, p.K - 1))
                         : (Value)arith::AddIOp::create(b, loc, arith::MulIOp::create(b, loc, q, idx(4)), idx(j));
          rs.push_back(row(n, k, cols[h], lanes[h]));
        }
        a.push_back(interleave(rs));
      }
      SmallVector<Value> next;
      for (int64_t r = 0; r < rows; ++r) {
        Value w = memref::LoadOp::create(b, loc, wq, ValueRange{fIdx[r], q});
        Value w64 = vector::BitCastOp::create(b, loc, v64, vector::BroadcastOp::create(b, loc, v16, w));
        for (int64_t h = 0; h < 2; ++h)
          next.push_back(lanes[h] ? dot(acc[2 * r + h], a[h], w64) : acc[2 * r + h]);
      }
      return next;
    };
    SmallVector<Value> acc(init);
    int64_t fullQuads = p.K / 4;
    if (fullQuads > 0) {
      auto loop = scf::ForOp::create(b, loc, idx(0), idx(fullQuads), idx(1), init);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      scf::YieldOp::create(b, loc, step(loop.getInductionVar(), loop.getRegionIterArgs(), false));
      b.setInsertionPointAfter(loop);
      acc.assign(loop.getResults().begin(), loop.getResults().end());
    }
    if (p.K % 4)
      acc = step(idx(fullQuads), acc, true);
    for (int64_t r = 0; r < rows; ++r) {
      Value rb;
      if (p.xSigned)
        rb = vector::BroadcastOp::create(b, loc, v16, memref::LoadOp::create(b, loc, bias, ValueRange{fIdx[r]}));
      for (int64_t h = 0; h < 2; ++h) {
        if (lanes[h] == 0)
          continue;
        Value v = acc[2 * r + h];
        if (rb)
          v = arith::SubIOp::create(b, loc, v, rb);
        if (lanes[h] == kLanes) {
          vector::StoreOp::create(b, loc, v, p.c, ValueRange{n, fIdx[r], cols[h]});
        } else {
          Value mask = vector::CreateMaskOp::create(b, loc, m16, ValueRange{idx(lanes[h])});
          vector::MaskedStoreOp::create(b, loc, p.c, ValueRange{n, fIdx[r], cols[h]}, mask, v);
        }
      }
    }
  }

  /// Every pixel chunk for the filters [f0, f0 + rows).
  void filters(Value n, Value f0, int64_t rows) {
    int64_t full = p.P / kPanel, rest = p.P % kPanel;
    if (full > 0) {
      auto loop = scf::ForOp::create(b, loc, idx(0), idx(full * kPanel), idx(kPanel));
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      tile(n, f0, rows, loop.getInductionVar(), {kLanes, kLanes});
    }
    if (rest)
      tile(n, f0, rows, idx(full * kPanel),
           {std::min<int64_t>(rest, kLanes), std::max<int64_t>(rest - kLanes, 0)});
  }

  void emit() {
    Value N = memref::DimOp::create(b, loc, p.x, 0);
    auto images = scf::ForOp::create(b, loc, idx(0), N, idx(1));
    // A sequential loop over the images whose filter-block loops run on
    // threads (kiln-cpu-parallelize looks inside batch loops only).
    images->setAttr(kiln::cpu::kBatchLoopAttr, b.getUnitAttr());
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(images.getBody());
    Value n = images.getInductionVar();
    int64_t blocks = p.F / kFilterRows;
    if (blocks > 0) {
      auto loop = scf::ForOp::create(b, loc, idx(0), idx(blocks * kFilterRows), idx(kFilterRows));
      // The filter blocks are independent: the run's threads share them
      // when an image's product is large enough.
      if (blocks > 1 && p.F * p.K * p.P >= kiln::cpu::kMinParallelWork)
        loop->setAttr(kiln::cpu::kParallelAttr, b.getUnitAttr());
      OpBuilder::InsertionGuard g2(b);
      b.setInsertionPointToStart(loop.getBody());
      filters(n, loop.getInductionVar(), kFilterRows);
    }
    for (int64_t f = blocks * kFilterRows; f < p.F; ++f)
      filters(n, idx(f), 1);
  }
};

//===----------------------------------------------------------------------===//
// Stride-1 convolutions read directly: W [F, C, KH, KW] x x [N, C, Hp, Wp]
//===----------------------------------------------------------------------===//

/// A stride-1 int8 convolution on its padded input (NNToLinalg's direct
/// form): loops (n, f, oh, ow, c, kh, kw), maps W (f, c, kh, kw), x (n, c,
/// oh + kh * d0, ow + kw * d1) -> (n, f, oh, ow).
struct Int8DirectConv {
  linalg::GenericOp op;
  Value x, c;
  memref::GlobalOp w;
  bool xSigned = false;
  int64_t F = 0, C = 0, KH = 0, KW = 0, OH = 0, OW = 0, d0 = 1, d1 = 1;
};

/// The dilation `d` when `e` is `dim(out) + dim(win) * d`.
std::optional<int64_t> dilationOf(AffineExpr e, unsigned out, unsigned win) {
  MLIRContext *ctx = e.getContext();
  for (int64_t d = 1; d <= 64; ++d)
    if (e == getAffineDimExpr(out, ctx) + getAffineDimExpr(win, ctx) * d)
      return d;
  return std::nullopt;
}

bool matchInt8DirectConv(linalg::GenericOp g, SymbolTable &symbols, Int8DirectConv &p) {
  if (!g.hasPureBufferSemantics() || g.getNumDpsInputs() != 2 || g.getNumDpsInits() != 1)
    return false;
  auto iters = g.getIteratorTypesArray();
  if (iters.size() != 7)
    return false;
  for (int i = 0; i < 7; ++i)
    if ((iters[i] == utils::IteratorType::parallel) != (i < 4))
      return false;
  MLIRContext *ctx = g.getContext();
  auto D = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineMap> maps = g.getIndexingMapsArray();
  if (maps[0] != AffineMap::get(7, 0, {D(1), D(4), D(5), D(6)}, ctx) ||
      maps[2] != AffineMap::get(7, 0, {D(0), D(1), D(2), D(3)}, ctx) || maps[1].getNumResults() != 4 ||
      maps[1].getResult(0) != D(0) || maps[1].getResult(1) != D(4))
    return false;
  std::optional<int64_t> d0 = dilationOf(maps[1].getResult(2), 2, 5), d1 = dilationOf(maps[1].getResult(3), 3, 6);
  if (!d0 || !d1)
    return false;
  Value wv = g.getDpsInputs()[0], x = g.getDpsInputs()[1], c = g.getDpsInits()[0];
  auto xt = dyn_cast<MemRefType>(x.getType()), ct = dyn_cast<MemRefType>(c.getType());
  if (!xt || !ct || !xt.getElementType().isInteger(8) || !ct.getElementType().isInteger(32) || xt.getRank() != 4 ||
      ct.getRank() != 4 || !xt.getLayout().isIdentity() || !ct.getLayout().isIdentity() ||
      llvm::any_of(xt.getShape().drop_front(), ShapedType::isDynamic) ||
      llvm::any_of(ct.getShape().drop_front(), ShapedType::isDynamic))
    return false;
  auto get = wv.getDefiningOp<memref::GetGlobalOp>();
  if (!get)
    return false;
  auto wt = cast<MemRefType>(get.getType());
  auto global = symbols.lookup<memref::GlobalOp>(get.getName());
  if (!global || !global.getConstant() || global.isExternal() || !global.getInitialValue() ||
      !wt.getElementType().isInteger(8) || !wt.hasStaticShape() || !wt.getLayout().isIdentity() || wt.getRank() != 4)
    return false;
  Block &body = g.getRegion().front();
  auto add = cast<linalg::YieldOp>(body.getTerminator()).getOperand(0).getDefiningOp<arith::AddIOp>();
  if (!add || body.getOperations().size() != 5)
    return false;
  Value acc = add.getLhs(), prod = add.getRhs();
  if (acc != body.getArgument(2))
    std::swap(acc, prod);
  auto mul = prod.getDefiningOp<arith::MulIOp>();
  if (acc != body.getArgument(2) || !mul)
    return false;
  bool wSigned = false, xSigned = false;
  Value a = mul.getLhs(), bb = mul.getRhs();
  if (!extOfArg(a, 0, wSigned))
    std::swap(a, bb);
  if (!extOfArg(a, 0, wSigned) || !wSigned || !extOfArg(bb, 1, xSigned))
    return false;
  p = Int8DirectConv{g, x, c, global, xSigned, wt.getDimSize(0), wt.getDimSize(1), wt.getDimSize(2),
                     wt.getDimSize(3), ct.getDimSize(2), ct.getDimSize(3), *d0, *d1};
  // The padded input holds every window the output reads.
  return xt.getDimSize(1) == p.C && ct.getDimSize(1) == p.F && xt.getDimSize(2) >= p.OH + (p.KH - 1) * p.d0 &&
         xt.getDimSize(3) >= p.OW + (p.KW - 1) * p.d1;
}

/// The direct kernel: per image, block of kFilterRows filters, output row
/// and chunk of up to 32 pixels of that row (two vectors), 8 x 2 int32
/// accumulators; per filter tap (kh, kw) and quad of channels, the four
/// input rows at that tap (contiguous bytes of four channel planes; past
/// C the last channel again, its weights zero) interleaved so that lane l
/// holds pixel l's four channels, times each filter's four weights
/// broadcast: one vpdpbusd per filter and vector.
struct DirectConvEmitter {
  OpBuilder &b;
  Location loc;
  const Int8DirectConv &p;
  Value wq, bias; // [F, KH, KW, CQ] i32; [F] i32 (signed input only)
  bool zeroInit;
  VectorType v16 = VectorType::get({kLanes}, IntegerType::get(b.getContext(), 32));
  VectorType v64 = VectorType::get({4 * kLanes}, IntegerType::get(b.getContext(), 8));
  VectorType b16 = VectorType::get({kLanes}, IntegerType::get(b.getContext(), 8));
  VectorType m16 = VectorType::get({kLanes}, IntegerType::get(b.getContext(), 1));

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value a, Value c) { return arith::AddIOp::create(b, loc, a, c); }
  Value mulc(Value a, int64_t c) { return c == 1 ? a : (Value)arith::MulIOp::create(b, loc, a, idx(c)); }

  Value row(ValueRange at, int64_t lanes) {
    if (lanes == kLanes)
      return vector::LoadOp::create(b, loc, b16, p.x, at);
    Value mask = vector::CreateMaskOp::create(b, loc, m16, ValueRange{idx(lanes)});
    Value zero = arith::ConstantOp::create(b, loc, b16, DenseElementsAttr::get(b16, int8_t(0)));
    return vector::MaskedLoadOp::create(b, loc, b16, p.x, at, mask, zero);
  }

  Value interleave(ArrayRef<Value> r) {
    SmallVector<int64_t> pairs, quads;
    for (int64_t l = 0; l < kLanes; ++l) {
      pairs.push_back(l);
      pairs.push_back(l + kLanes);
    }
    for (int64_t l = 0; l < kLanes; ++l)
      for (int64_t j : {2 * l, 2 * l + 1, 2 * kLanes + 2 * l, 2 * kLanes + 2 * l + 1})
        quads.push_back(j);
    Value v = vector::ShuffleOp::create(b, loc, vector::ShuffleOp::create(b, loc, r[0], r[1], pairs),
                                        vector::ShuffleOp::create(b, loc, r[2], r[3], pairs), quads);
    if (p.xSigned)
      v = arith::XOrIOp::create(b, loc, v,
                                arith::ConstantOp::create(b, loc, v64, DenseElementsAttr::get(v64, int8_t(-128))));
    return v;
  }

  Value dot(Value acc, Value a64, Value w64) {
    return LLVM::CallIntrinsicOp::create(b, loc, v16, b.getStringAttr("llvm.x86.avx512.vpdpbusd.512"),
                                         ValueRange{acc, a64, w64})
        .getResult(0);
  }

  /// `body(iv, acc) -> acc` over [0, n): an scf.for carrying `init`.
  SmallVector<Value> loop(int64_t n, ValueRange init, function_ref<SmallVector<Value>(Value, ValueRange)> body) {
    auto l = scf::ForOp::create(b, loc, idx(0), idx(n), idx(1), init);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(l.getBody());
      scf::YieldOp::create(b, loc, body(l.getInductionVar(), l.getRegionIterArgs()));
    }
    return SmallVector<Value>(l.getResults().begin(), l.getResults().end());
  }

  void tile(Value n, Value f0, int64_t rows, Value oh, Value ow0, ArrayRef<int64_t> lanes) {
    SmallVector<Value> fIdx, cols{ow0, add(ow0, idx(kLanes))}, init;
    for (int64_t r = 0; r < rows; ++r)
      fIdx.push_back(add(f0, idx(r)));
    Value zero = arith::ConstantOp::create(b, loc, v16, DenseElementsAttr::get(v16, int32_t(0)));
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t h = 0; h < 2; ++h) {
        if (zeroInit || lanes[h] == 0) {
          init.push_back(zero);
        } else if (lanes[h] == kLanes) {
          init.push_back(vector::LoadOp::create(b, loc, v16, p.c, ValueRange{n, fIdx[r], oh, cols[h]}));
        } else {
          Value mask = vector::CreateMaskOp::create(b, loc, m16, ValueRange{idx(lanes[h])});
          init.push_back(
              vector::MaskedLoadOp::create(b, loc, v16, p.c, ValueRange{n, fIdx[r], oh, cols[h]}, mask, zero));
        }
      }
    int64_t CQ = (p.C + 3) / 4, fullCQ = p.C / 4;
    SmallVector<Value> acc = loop(p.KH, init, [&](Value kh, ValueRange a0) {
      Value ih = add(oh, mulc(kh, p.d0));
      return loop(p.KW, a0, [&](Value kw, ValueRange a1) {
        Value iw = mulc(kw, p.d1);
        auto quad = [&](Value cq, ValueRange a2, bool tail) {
          SmallVector<Value> a;
          for (int64_t h = 0; h < 2; ++h) {
            if (lanes[h] == 0) {
              a.push_back(Value());
              continue;
            }
            SmallVector<Value> rs;
            for (int64_t j = 0; j < 4; ++j) {
              Value c = tail ? idx(std::min<int64_t>(fullCQ * 4 + j, p.C - 1)) : add(mulc(cq, 4), idx(j));
              rs.push_back(row(ValueRange{n, c, ih, add(cols[h], iw)}, lanes[h]));
            }
            a.push_back(interleave(rs));
          }
          SmallVector<Value> next;
          for (int64_t r = 0; r < rows; ++r) {
            Value w = memref::LoadOp::create(b, loc, wq, ValueRange{fIdx[r], kh, kw, cq});
            Value w64 = vector::BitCastOp::create(b, loc, v64, vector::BroadcastOp::create(b, loc, v16, w));
            for (int64_t h = 0; h < 2; ++h)
              next.push_back(lanes[h] ? dot(a2[2 * r + h], a[h], w64) : a2[2 * r + h]);
          }
          return next;
        };
        SmallVector<Value> a(a1.begin(), a1.end());
        if (fullCQ > 0)
          a = loop(fullCQ, a, [&](Value cq, ValueRange a2) { return quad(cq, a2, false); });
        if (CQ > fullCQ)
          a = quad(idx(fullCQ), a, true);
        return a;
      });
    });
    for (int64_t r = 0; r < rows; ++r) {
      Value rb;
      if (p.xSigned)
        rb = vector::BroadcastOp::create(b, loc, v16, memref::LoadOp::create(b, loc, bias, ValueRange{fIdx[r]}));
      for (int64_t h = 0; h < 2; ++h) {
        if (lanes[h] == 0)
          continue;
        Value v = acc[2 * r + h];
        if (rb)
          v = arith::SubIOp::create(b, loc, v, rb);
        if (lanes[h] == kLanes) {
          vector::StoreOp::create(b, loc, v, p.c, ValueRange{n, fIdx[r], oh, cols[h]});
        } else {
          Value mask = vector::CreateMaskOp::create(b, loc, m16, ValueRange{idx(lanes[h])});
          vector::MaskedStoreOp::create(b, loc, p.c, ValueRange{n, fIdx[r], oh, cols[h]}, mask, v);
        }
      }
    }
  }

  void filters(Value n, Value f0, int64_t rows) {
    auto ohLoop = scf::ForOp::create(b, loc, idx(0), idx(p.OH), idx(1));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ohLoop.getBody());
    Value oh = ohLoop.getInductionVar();
    int64_t full = p.OW / kPanel, rest = p.OW % kPanel;
    if (full > 0) {
      auto l = scf::ForOp::create(b, loc, idx(0), idx(full * kPanel), idx(kPanel));
      OpBuilder::InsertionGuard g2(b);
      b.setInsertionPointToStart(l.getBody());
      tile(n, f0, rows, oh, l.getInductionVar(), {kLanes, kLanes});
    }
    if (rest)
      tile(n, f0, rows, oh, idx(full * kPanel), {std::min<int64_t>(rest, kLanes), std::max<int64_t>(rest - kLanes, 0)});
  }

  void emit() {
    Value N = memref::DimOp::create(b, loc, p.x, 0);
    auto images = scf::ForOp::create(b, loc, idx(0), N, idx(1));
    // A sequential loop over the images whose filter-block loops run on
    // threads (kiln-cpu-parallelize looks inside batch loops only).
    images->setAttr(kiln::cpu::kBatchLoopAttr, b.getUnitAttr());
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(images.getBody());
    Value n = images.getInductionVar();
    // Rows of at most 16 pixels fill one vector per filter: twice the
    // filters per tile then (16 x 1 accumulators), so that each
    // interleaved input vector serves as many products.
    int64_t fr = p.OW <= kLanes ? 2 * kFilterRows : kFilterRows;
    int64_t blocks = p.F / fr;
    if (blocks > 0) {
      auto l = scf::ForOp::create(b, loc, idx(0), idx(blocks * fr), idx(fr));
      if (blocks > 1 && p.F * p.C * p.KH * p.KW * p.OH * p.OW >= kiln::cpu::kMinParallelWork)
        l->setAttr(kiln::cpu::kParallelAttr, b.getUnitAttr());
      OpBuilder::InsertionGuard g2(b);
      b.setInsertionPointToStart(l.getBody());
      filters(n, l.getInductionVar(), fr);
    }
    for (int64_t f = blocks * fr; f < p.F; f += kFilterRows)
      filters(n, idx(f), std::min(kFilterRows, p.F - f));
  }
};

struct CPUInt8MatmulPass : kiln::cpu::impl::CPUInt8MatmulBase<CPUInt8MatmulPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto &count = kiln::passStatistic(getArgument(), "int8-matmuls", "int8 products on the VNNI micro-kernel");
    SymbolTable symbols(module);
    SmallVector<Int8Product> found;
    module.walk([&](linalg::GenericOp g) {
      Int8Product p;
      if (matchInt8Product(g, symbols, p))
        found.push_back(p);
    });
    SmallVector<Int8ConvProduct> convs;
    module.walk([&](linalg::GenericOp g) {
      Int8ConvProduct p;
      if (matchInt8ConvProduct(g, symbols, p))
        convs.push_back(p);
    });
    for (Int8ConvProduct &p : convs) {
      linalg::FillOp zeroFill = zeroFillBefore(p.op, p.c);
      std::vector<int8_t> storage;
      ArrayRef<int8_t> w = int8Data(p.w, p.F * p.K, storage);
      if (w.empty())
        continue;
      int64_t KQ = (p.K + 3) / 4;
      std::vector<int32_t> pk(size_t(p.F * KQ), 0), bias(size_t(p.F), 0);
      for (int64_t f = 0; f < p.F; ++f)
        for (int64_t k = 0; k < p.K; ++k) {
          uint32_t &word = reinterpret_cast<uint32_t &>(pk[f * KQ + k / 4]);
          word |= uint32_t(uint8_t(w[f * p.K + k])) << (8 * (k % 4));
          bias[f] += 128 * int32_t(w[f * p.K + k]);
        }
      OpBuilder b(p.op);
      Location loc = p.op.getLoc();
      std::string base = (p.w.getSymName() + "_vnni").str();
      Value wq = addI32Global(b, p.w, base, {p.F, KQ}, pk, symbols, loc);
      Value bias32 = addI32Global(b, p.w, base + "_bias", {p.F}, bias, symbols, loc);
      bool zeroInit = (bool)zeroFill;
      if (zeroFill)
        zeroFill->erase();
      ConvEmitter{b, loc, p, wq, bias32, zeroInit}.emit();
      p.op->erase();
      ++count;
    }
    SmallVector<Int8DirectConv> directs;
    module.walk([&](linalg::GenericOp g) {
      Int8DirectConv p;
      if (matchInt8DirectConv(g, symbols, p))
        directs.push_back(p);
    });
    for (Int8DirectConv &p : directs) {
      linalg::FillOp zeroFill = zeroFillBefore(p.op, p.c);
      std::vector<int8_t> storage;
      int64_t taps = p.KH * p.KW, per = p.C * taps;
      ArrayRef<int8_t> w = int8Data(p.w, p.F * per, storage);
      if (w.empty())
        continue;
      int64_t CQ = (p.C + 3) / 4;
      // [F][KH][KW][CQ]: the four channels 4q .. 4q + 3 of one tap.
      std::vector<int32_t> pk(size_t(p.F * taps * CQ), 0), bias(size_t(p.F), 0);
      for (int64_t f = 0; f < p.F; ++f)
        for (int64_t c = 0; c < p.C; ++c)
          for (int64_t t = 0; t < taps; ++t) {
            int8_t v = w[f * per + c * taps + t];
            uint32_t &word = reinterpret_cast<uint32_t &>(pk[(f * taps + t) * CQ + c / 4]);
            word |= uint32_t(uint8_t(v)) << (8 * (c % 4));
            bias[f] += 128 * int32_t(v);
          }
      OpBuilder b(p.op);
      Location loc = p.op.getLoc();
      std::string base = (p.w.getSymName() + "_vnni").str();
      Value wq = addI32Global(b, p.w, base, {p.F, p.KH, p.KW, CQ}, pk, symbols, loc);
      Value bias32 = addI32Global(b, p.w, base + "_bias", {p.F}, bias, symbols, loc);
      bool zeroInit = (bool)zeroFill;
      if (zeroFill)
        zeroFill->erase();
      DirectConvEmitter{b, loc, p, wq, bias32, zeroInit}.emit();
      p.op->erase();
      ++count;
    }
    // One packed copy per weight global.
    llvm::DenseMap<Operation *, std::pair<StringAttr, StringAttr>> packed;
    for (Int8Product &p : found) {
      linalg::FillOp zeroFill = zeroFillBefore(p.op, p.c);
      int64_t NP = (p.N + kPanel - 1) / kPanel, KQ = (p.K + 3) / 4;
      OpBuilder b(p.op);
      Location loc = p.op.getLoc();
      Value panels, colBias;
      auto it = packed.find(p.rhs);
      if (it == packed.end()) {
        std::vector<int8_t> storage;
        ArrayRef<int8_t> w = int8Data(p.rhs, p.K * p.N, storage);
        if (w.empty())
          continue;
        std::vector<int32_t> pk(size_t(NP * KQ * kPanel), 0), bias(size_t(NP * kPanel), 0);
        for (int64_t k = 0; k < p.K; ++k)
          for (int64_t n = 0; n < p.N; ++n) {
            int64_t pi = n / kPanel, lane = n % kPanel;
            uint32_t &word = reinterpret_cast<uint32_t &>(pk[(pi * KQ + k / 4) * kPanel + lane]);
            word |= uint32_t(uint8_t(w[k * p.N + n])) << (8 * (k % 4));
            bias[pi * kPanel + lane] += 128 * int32_t(w[k * p.N + n]);
          }
        std::string base = (p.rhs.getSymName() + "_vnni").str();
        auto pg = addI32Global(b, p.rhs, base, {NP, KQ, kPanel}, pk, symbols, loc);
        auto bg = addI32Global(b, p.rhs, base + "_bias", {NP, kPanel}, bias, symbols, loc);
        packed[p.rhs] = {pg.getNameAttr().getAttr(), bg.getNameAttr().getAttr()};
        panels = pg;
        colBias = bg;
      } else {
        panels = memref::GetGlobalOp::create(b, loc, MemRefType::get({NP, KQ, kPanel}, b.getI32Type()),
                                             it->second.first);
        colBias = memref::GetGlobalOp::create(b, loc, MemRefType::get({NP, kPanel}, b.getI32Type()),
                                              it->second.second);
      }
      bool zeroInit = (bool)zeroFill;
      if (zeroFill)
        zeroFill->erase();
      Emitter e{b, loc, p, panels, colBias, zeroInit};
      int64_t fullPanels = p.N / kPanel;
      if (fullPanels > 0) {
        auto loop = scf::ForOp::create(b, loc, e.idx(0), e.idx(fullPanels), e.idx(1));
        // The panels are independent: the run's threads share them when
        // there is enough work (a dynamic M counted as 1).
        int64_t work = p.K * p.N;
        if (auto m = cast<MemRefType>(p.a.getType()).getDimSize(0); !ShapedType::isDynamic(m))
          work *= m;
        if (work >= kiln::cpu::kMinParallelWork && fullPanels > 1)
          loop->setAttr(kiln::cpu::kParallelAttr, b.getUnitAttr());
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(loop.getBody());
        e.panel(loop.getInductionVar(), 0, false);
      }
      if (p.N % kPanel)
        e.panel(e.idx(fullPanels), fullPanels, true);
      p.op->erase();
      ++count;
    }
  }
};

} // namespace
