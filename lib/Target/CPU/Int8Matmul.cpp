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
    // One packed copy per weight global.
    llvm::DenseMap<Operation *, std::pair<StringAttr, StringAttr>> packed;
    for (Int8Product &p : found) {
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
      // A zero fill of the result right before the product: the
      // accumulators start at zero and the fill goes.
      bool zeroInit = false;
      if (auto fill = dyn_cast_or_null<linalg::FillOp>(p.op->getPrevNode())) {
        if (fill.getDpsInits()[0] == p.c && matchPattern(fill.getInputs()[0], m_Zero())) {
          zeroInit = true;
          fill->erase();
        }
      }
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
