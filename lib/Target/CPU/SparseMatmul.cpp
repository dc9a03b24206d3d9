//===- SparseMatmul.cpp - products with sparse constant weights -----------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// kiln-cpu-sparse-matmul (Passes.td).  A linalg.matmul whose right operand
// is a constant global [K, N] (a Linear layer's weights, packed by
// kiln-cpu-pack-weights) with at most `max-density` of its weights nonzero
// (exact zeros: a model pruned in training, or kiln-compile --sparsity)
// becomes a sparse x dense kernel that does one multiply-add per nonzero
// weight instead of one per weight:
//   * the weights are stored compressed: per chunk of KC rows of K and per
//     column n, the nonzero values (f32) and their row k (u16), with the
//     start of every (chunk, column) list (i32); the dense global and its
//     panels go (kiln-cpu-flatten-constant-globals drops unused globals);
//   * per block of R = V x lanes rows of the left operand (the loop the
//     run's threads share), the block is transposed into a scratch AT [K][R]
//     (zeros past M) and the result block into CT [N][R] (C holds the bias
//     init already); then per chunk (AT's KC rows stay in L1) and column n,
//     each nonzero w at row k is one broadcast and V fused multiply-adds
//     of vectors along the rows, CT[n] += w x AT[k]; two sets of V
//     accumulators take alternate nonzeros (2V independent chains against
//     the FMA latency); at the end CT goes back into C.
// The multiply-adds are vectors along M, not N: an unstructured pattern
// has a different set of rows k in every column, so vectors along N would
// compute as dense.  The transposes cost O(M (K + N)) against the
// product's O(M K N density).  Products with fewer than `min-rows` rows
// (static) stay dense: their vectors along M would be mostly empty.
//
//===----------------------------------------------------------------------===//

#include "CPUPasses.h"
#include "kiln/Transforms/Statistics.h"

#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstring>
#include <sstream>

namespace kiln::cpu {
#define GEN_PASS_DEF_CPUSPARSEMATMUL
#include "Passes.h.inc"
} // namespace kiln::cpu

using namespace mlir;
using kiln::cpu::rawConstantData;

namespace {

/// L1-resident bytes of AT per chunk: half of a 32 KB L1 (the rest for the
/// result rows and the weight streams).  One thread on an AMD EPYC (Zen 3,
/// 32 KB L1, AVX2: 32-row blocks), 128 rows, 2:4 weights, kiln-run medians
/// of three alternating rounds, chunks of 32 / 16 / 8 KB: 768 x 3072
/// 10.4 / 8.7 / 8.6 ms, 3072 x 768 9.0 / 8.4 / 8.0 ms (dense kernel 11.7
/// and 13.1 ms); 8 KB would leave lists of a few nonzeros per chunk and
/// column at 80 % sparsity with 64-row blocks.
constexpr int64_t kChunkBytes = 16 * 1024;
/// Vectors of rows per block (with two accumulator sets: 8 chains).
constexpr int64_t kMaxVectors = 4;

struct SparseEmitter {
  OpBuilder &b;
  Location loc;
  Value a, c;               // f32 [M, K], f32 [M, N]
  Value vals, rowsK, offs;  // f32 [nnz], i16 [nnz], i32 [chunks * N + 1]
  int64_t K, N, L, V, KC, chunks;
  bool parallel;

  int64_t R() const { return V * L; }
  VectorType f32s() { return VectorType::get({L}, b.getF32Type()); }
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  /// An scf.for over [lo, hi) carrying `inits`; `body(iv, carried)` returns
  /// the values yielded.  Returns the loop's results.
  SmallVector<Value> carriedLoop(Value lo, Value hi, int64_t step, ValueRange inits,
                                 function_ref<SmallVector<Value>(Value, ValueRange)> body) {
    auto l = scf::ForOp::create(b, loc, lo, hi, idx(step), inits);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(l.getBody());
    scf::YieldOp::create(b, loc, body(l.getInductionVar(), l.getRegionIterArgs()));
    return SmallVector<Value>(l.getResults());
  }
  scf::ForOp forLoop(Value lo, Value hi, int64_t step, function_ref<void(Value)> body) {
    return kiln::cpu::buildForLoop(b, loc, lo, hi, step, body);
  }
  Value loadIndex(Value mem, Value at, bool i16) {
    Value v = memref::LoadOp::create(b, loc, mem, ValueRange{at});
    if (i16)
      v = arith::ExtUIOp::create(b, loc, b.getI32Type(), v);
    return arith::IndexCastUIOp::create(b, loc, b.getIndexType(), v);
  }

  void emit() {
    Type f32 = b.getF32Type();
    Value M = memref::DimOp::create(b, loc, a, 0);
    auto outer = forLoop(idx(0), M, R(), [&](Value m0) {
      Value rows = arith::MinUIOp::create(b, loc, idx(R()), arith::SubIOp::create(b, loc, M, m0));
      Value at = memref::AllocOp::create(b, loc, MemRefType::get({K, R()}, f32), ValueRange{}, b.getI64IntegerAttr(64));
      Value ct = memref::AllocOp::create(b, loc, MemRefType::get({N, R()}, f32), ValueRange{}, b.getI64IntegerAttr(64));
      // AT = the block's rows transposed, zeros past M.
      forLoop(idx(0), rows, 1, [&](Value i) {
        Value m = add(m0, i);
        forLoop(idx(0), idx(K), 1, [&](Value k) {
          Value x = memref::LoadOp::create(b, loc, a, ValueRange{m, k});
          memref::StoreOp::create(b, loc, x, at, ValueRange{k, i});
        });
      });
      forLoop(rows, idx(R()), 1, [&](Value i) {
        Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
        forLoop(idx(0), idx(K), 1, [&](Value k) { memref::StoreOp::create(b, loc, zero, at, ValueRange{k, i}); });
      });
      // CT = the block's result (its init) transposed.
      forLoop(idx(0), rows, 1, [&](Value i) {
        Value m = add(m0, i);
        forLoop(idx(0), idx(N), 1, [&](Value n) {
          Value x = memref::LoadOp::create(b, loc, c, ValueRange{m, n});
          memref::StoreOp::create(b, loc, x, ct, ValueRange{n, i});
        });
      });
      forLoop(idx(0), idx(chunks), 1, [&](Value ch) {
        Value base = arith::MulIOp::create(b, loc, ch, idx(N));
        forLoop(idx(0), idx(N), 1, [&](Value n) {
          Value at0 = add(base, n);
          Value j0 = loadIndex(offs, at0, false), j1 = loadIndex(offs, add(at0, idx(1)), false);
          SmallVector<Value> accs;
          Value zeros = arith::ConstantOp::create(b, loc, f32s(), cast<TypedAttr>(b.getZeroAttr(f32s())));
          for (int64_t v = 0; v < V; ++v)
            accs.push_back(vector::LoadOp::create(b, loc, f32s(), ct, ValueRange{n, idx(v * L)}));
          for (int64_t v = 0; v < V; ++v)
            accs.push_back(zeros);
          // acc[set] += w[j] x AT[k[j]].
          auto step = [&](Value j, MutableArrayRef<Value> acc) {
            Value k = loadIndex(rowsK, j, true);
            Value w = memref::LoadOp::create(b, loc, vals, ValueRange{j});
            Value wb = vector::BroadcastOp::create(b, loc, f32s(), w);
            for (int64_t v = 0; v < V; ++v) {
              Value x = vector::LoadOp::create(b, loc, f32s(), at, ValueRange{k, idx(v * L)});
              acc[v] = vector::FMAOp::create(b, loc, wb, x, acc[v]);
            }
          };
          Value count = arith::SubIOp::create(b, loc, j1, j0);
          Value pairsEnd = add(j0, arith::MulIOp::create(b, loc, arith::DivUIOp::create(b, loc, count, idx(2)), idx(2)));
          SmallVector<Value> res = carriedLoop(j0, pairsEnd, 2, accs, [&](Value j, ValueRange it) {
            SmallVector<Value> acc(it.begin(), it.end());
            step(j, MutableArrayRef<Value>(acc).take_front(V));
            step(add(j, idx(1)), MutableArrayRef<Value>(acc).drop_front(V));
            return acc;
          });
          SmallVector<Value> fin = carriedLoop(pairsEnd, j1, 1, res, [&](Value j, ValueRange it) {
            SmallVector<Value> acc(it.begin(), it.end());
            step(j, MutableArrayRef<Value>(acc).take_front(V));
            return acc;
          });
          for (int64_t v = 0; v < V; ++v)
            vector::StoreOp::create(b, loc, arith::AddFOp::create(b, loc, fin[v], fin[V + v]), ct,
                                    ValueRange{n, idx(v * L)});
        });
      });
      // C = CT transposed back (the block's rows only).
      forLoop(idx(0), rows, 1, [&](Value i) {
        Value m = add(m0, i);
        forLoop(idx(0), idx(N), 1, [&](Value n) {
          Value x = memref::LoadOp::create(b, loc, ct, ValueRange{n, i});
          memref::StoreOp::create(b, loc, x, c, ValueRange{m, n});
        });
      });
      memref::DeallocOp::create(b, loc, at);
      memref::DeallocOp::create(b, loc, ct);
    });
    if (parallel)
      outer->setAttr(kiln::cpu::kParallelAttr, b.getUnitAttr());
  }
};

struct SparseMatmulPass : kiln::cpu::impl::CPUSparseMatmulBase<SparseMatmulPass> {
  using CPUSparseMatmulBase::CPUSparseMatmulBase;

  void runOnOperation() override {
    if (lanes == 0)
      return;
    if (lanes != 8 && lanes != 16) {
      getOperation().emitError() << "kiln-cpu-sparse-matmul: lanes must be 8, 16 or 0 (got " << int64_t(lanes) << ")";
      return signalPassFailure();
    }
    if (!(maxDensity >= 0 && maxDensity <= 1)) {
      std::ostringstream v;
      v << double(maxDensity);
      getOperation().emitError() << "kiln-cpu-sparse-matmul: max-density must be in [0, 1] (got " << v.str() << ")";
      return signalPassFailure();
    }
    ModuleOp module = getOperation();
    auto &count = kiln::passStatistic(getArgument(), "sparse-matmuls", "Products on the sparse-weight kernel");
    auto &countDense = kiln::passStatistic(getArgument(), "weights-dense-bytes",
                                           "Bytes of the dense weights those products read before");
    auto &countSparse = kiln::passStatistic(getArgument(), "weights-sparse-bytes",
                                            "Bytes of their compressed weights (values, rows, list starts)");
    SymbolTable symbols(module);
    SmallVector<linalg::MatmulOp> found;
    module.walk([&](linalg::MatmulOp mm) {
      if (mm->hasAttr(kiln::cpu::kPackedRhsAttr) && mm.hasPureBufferSemantics() && !mm.hasUserDefinedMaps())
        found.push_back(mm);
    });
    int64_t L = lanes;
    // One compressed copy per global.
    struct Compressed {
      FlatSymbolRefAttr vals, rows, offs;
      int64_t chunks = 0, KC = 0;
    };
    llvm::DenseMap<std::pair<StringAttr, int64_t>, Compressed> cache;
    for (linalg::MatmulOp mm : found) {
      Value a = mm.getDpsInputs()[0], c = mm.getDpsInits()[0];
      auto get = mm.getDpsInputs()[1].getDefiningOp<memref::GetGlobalOp>();
      if (!get)
        continue;
      memref::GlobalOp g = kiln::cpu::constantGlobal(get, symbols);
      Type f32 = Float32Type::get(&getContext());
      if (!g || !kiln::cpu::isOperand(a.getType(), f32, 2, false) || !kiln::cpu::isOperand(c.getType(), f32, 2, false))
        continue;
      auto bt = g.getType();
      int64_t K = bt.getDimSize(0), N = bt.getDimSize(1);
      int64_t M = cast<MemRefType>(a.getType()).getDimSize(0);
      if (K > 65535 || (!ShapedType::isDynamic(M) && M < minRows))
        continue;
      int64_t V = kMaxVectors;
      if (!ShapedType::isDynamic(M))
        V = std::min<int64_t>(V, (M + L - 1) / L);
      int64_t R = V * L;
      int64_t KC = std::max<int64_t>(8, kChunkBytes / (R * 4));
      std::vector<char> storage;
      ArrayRef<char> raw = rawConstantData(g, f32, K * N, storage);
      if ((int64_t)raw.size() != K * N * 4)
        continue;
      const float *w = reinterpret_cast<const float *>(raw.data());
      int64_t nnz = 0;
      for (int64_t i = 0; i < K * N; ++i)
        nnz += w[i] != 0.f;
      if (double(nnz) > maxDensity * double(K * N))
        continue;
      auto key = std::make_pair(g.getSymNameAttr(), KC);
      auto it = cache.find(key);
      int64_t chunks = (K + KC - 1) / KC;
      if (it == cache.end()) {
        std::vector<float> v;
        std::vector<uint16_t> r;
        std::vector<int32_t> o;
        v.reserve(nnz);
        r.reserve(nnz);
        o.reserve(chunks * N + 1);
        for (int64_t ch = 0; ch < chunks; ++ch)
          for (int64_t n = 0; n < N; ++n) {
            o.push_back(int32_t(v.size()));
            for (int64_t k = ch * KC; k < std::min(K, (ch + 1) * KC); ++k)
              if (w[k * N + n] != 0.f) {
                v.push_back(w[k * N + n]);
                r.push_back(uint16_t(k));
              }
          }
        o.push_back(int32_t(v.size()));
        // (A global needs at least one element.)
        if (v.empty()) {
          v.push_back(0.f);
          r.push_back(0);
        }
        Compressed cp;
        cp.chunks = chunks;
        cp.KC = KC;
        int64_t n = v.size();
        cp.vals = kiln::cpu::addConstantGlobal(g, (g.getSymName() + "_sparse_values").str(),
                                               MemRefType::get({n}, f32),
                                               HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<float>(v)),
                                               symbols);
        cp.rows = kiln::cpu::addConstantGlobal(
            g, (g.getSymName() + "_sparse_rows").str(), MemRefType::get({n}, IntegerType::get(&getContext(), 16)),
            HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<uint16_t>(r)), symbols);
        cp.offs = kiln::cpu::addConstantGlobal(
            g, (g.getSymName() + "_sparse_starts").str(),
            MemRefType::get({int64_t(o.size())}, IntegerType::get(&getContext(), 32)),
            HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<int32_t>(o)), symbols);
        it = cache.try_emplace(key, cp).first;
        countDense += uint64_t(K * N * 4);
        countSparse += uint64_t(n * 6 + int64_t(o.size()) * 4);
      }
      const Compressed &cp = it->second;
      OpBuilder b(mm);
      Location loc = mm.getLoc();
      auto getOf = [&](FlatSymbolRefAttr ref) -> Value {
        auto gl = symbols.lookup<memref::GlobalOp>(ref.getValue());
        return memref::GetGlobalOp::create(b, loc, gl.getType(), ref.getValue());
      };
      bool parallel = ShapedType::isDynamic(M) ||
                      ((M + R - 1) / R > 1 && double(M) * K * N * (double(nnz) / (K * N)) >= kiln::cpu::kMinParallelWork);
      SparseEmitter e{b, loc, a, c, getOf(cp.vals), getOf(cp.rows), getOf(cp.offs), K, N, L, V, cp.KC,
                      cp.chunks, parallel};
      e.emit();
      mm->erase();
      ++count;
    }
  }
};

} // namespace
