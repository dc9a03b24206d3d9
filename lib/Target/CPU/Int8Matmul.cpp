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
// The elementwise ops that consume the int32 accumulators (dequantization,
// bias, residual, activation, the next layer's quantization) run on the
// accumulator registers before the store when nothing in between writes
// what the moved kernel reads (EpilogueChain): the accumulators then never
// go through memory.
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
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <cstdlib>
#include <cstring>
#include <optional>

namespace kiln::cpu {
#define GEN_PASS_DEF_CPUINT8MATMUL
#include "Passes.h.inc"
} // namespace kiln::cpu

using namespace mlir;
using kiln::cpu::constantGlobalOf;
using kiln::cpu::isOperand;
using kiln::cpu::rawConstantData;

namespace {

/// Rows of the matmul kernel's register tile, its columns (two vectors of
/// 16 lanes), and the filters of the convolution kernels' tile.
constexpr int64_t kRows = 8, kPanel = 32, kLanes = 16, kFilterRows = 8;

//===----------------------------------------------------------------------===//
// Matching the three product forms of NNToLinalg
//===----------------------------------------------------------------------===//

/// The value `v` with its ext op looked through: `v` = ext(arg) where arg
/// is block argument `argNo`; sets `isSigned` for extsi.
bool extOfArg(Value v, unsigned argNo, bool &isSigned) {
  Operation *d = v.getDefiningOp();
  if (!d || !isa<arith::ExtSIOp, arith::ExtUIOp, arith::ExtFOp>(d))
    return false;
  auto arg = dyn_cast<BlockArgument>(d->getOperand(0));
  if (!arg || arg.getArgNumber() != argNo)
    return false;
  isSigned = !isa<arith::ExtUIOp>(d);
  return true;
}

/// Whether `g` (buffers, two inputs, one init) has `parallel` parallel
/// loops then one or more reductions, `maps`, and the body acc +
/// extsi(weight) * ext(activation) (in either order), or (`bf16`) acc +
/// extf(weight) * extf(activation): the weight is input `wArg`, the
/// activation input 1 - wArg, sign-extended when `xSigned`.  (The element
/// types are matchProduct's to check, on the operands.)
bool isProduct(linalg::GenericOp g, unsigned parallel, ArrayRef<AffineMap> maps, unsigned wArg, bool &xSigned,
               bool &bf16) {
  if (!g.hasPureBufferSemantics() || g.getNumDpsInputs() != 2 || g.getNumDpsInits() != 1 ||
      g.getIndexingMapsArray() != maps)
    return false;
  auto iters = g.getIteratorTypesArray();
  for (unsigned i = 0; i < iters.size(); ++i)
    if ((iters[i] == utils::IteratorType::parallel) != (i < parallel))
      return false;
  Block &body = g.getRegion().front();
  Operation *add = cast<linalg::YieldOp>(body.getTerminator()).getOperand(0).getDefiningOp();
  if (!add || !isa<arith::AddIOp, arith::AddFOp>(add) || body.getOperations().size() != 5) // 2 ext, mul, add, yield
    return false;
  bf16 = isa<arith::AddFOp>(add);
  Value acc = add->getOperand(0), prod = add->getOperand(1);
  if (acc != body.getArgument(2))
    std::swap(acc, prod);
  Operation *mul = prod.getDefiningOp();
  if (acc != body.getArgument(2) || !mul || !(bf16 ? isa<arith::MulFOp>(mul) : isa<arith::MulIOp>(mul)))
    return false;
  bool wSigned = false;
  Value w = mul->getOperand(0), x = mul->getOperand(1);
  if (!extOfArg(w, wArg, wSigned))
    std::swap(w, x);
  if (!extOfArg(w, wArg, wSigned) || !wSigned || !extOfArg(x, 1 - wArg, xSigned))
    return false;
  xSigned &= !bf16; // (extf has no signedness)
  return true;
}

/// The dilation `d` when `e` is `dim(out) + dim(win) * d`.
std::optional<int64_t> dilationOf(AffineExpr e, unsigned out, unsigned win) {
  MLIRContext *ctx = e.getContext();
  for (int64_t d = 1; d <= 64; ++d)
    if (e == getAffineDimExpr(out, ctx) + getAffineDimExpr(win, ctx) * d)
      return d;
  return std::nullopt;
}

/// One int8 product found on buffers, in one of NNToLinalg's forms:
///   Matmul  nn.qmatmul: x [M, K] x w [K, N] -> c [M, N] (int8Matmul);
///   Columns nn.qconv on gathered windows: w [F, K] x x [N, K, P] ->
///           c [N, F, P] (int8WeightsProduct);
///   Direct  stride-1 nn.qconv on its padded input: loops (n, f, oh, ow, c,
///           kh, kw), w [F, C, KH, KW], x (n, c, oh + kh d0, ow + kw d1) ->
///           c [N, F, OH, OW].
struct Product {
  enum Form { Matmul, Columns, Direct } form;
  linalg::GenericOp op;
  Value x, c;
  memref::GlobalOp w;
  bool xSigned = false;
  /// bf16 x bf16 -> f32 (vdpbf16ps, pairs of the reduction per 32-bit
  /// lane) instead of u8/s8 x s8 -> i32 (vpdpbusd, quads).
  bool bf16 = false;
  // Matmul: K, N.  Columns: F, K (= L), P (= OW).  Direct: F, C (= L),
  // taps KH x KW, OH, OW, dilations.
  int64_t F = 0, L = 0, KH = 1, KW = 1, OH = 1, OW = 0, d0 = 1, d1 = 1;
  /// Reduction elements per 32-bit lane of the dot instruction: four int8
  /// (a quad) or two bf16 (a pair).
  int64_t G() const { return bf16 ? 2 : 4; }
  /// The element types: of the input and weights (i8 or bf16), of the
  /// accumulators (i32 or f32).
  Type inType(MLIRContext *ctx) const { return bf16 ? (Type)BFloat16Type::get(ctx) : (Type)IntegerType::get(ctx, 8); }
  Type accType(MLIRContext *ctx) const { return bf16 ? (Type)Float32Type::get(ctx) : (Type)IntegerType::get(ctx, 32); }
  /// Groups of G elements of the reduction (K or C), the last one partial.
  int64_t quads() const { return (L + G() - 1) / G(); }
};

bool matchProduct(linalg::GenericOp g, SymbolTable &symbols, Product &p) {
  MLIRContext *ctx = g.getContext();
  auto D = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  if (g.getNumLoops() == 3) {
    MemRefType wt;
    if (!isProduct(g, 2, {AffineMap::get(3, 0, {D(0), D(2)}, ctx), AffineMap::get(3, 0, {D(2), D(1)}, ctx),
                          AffineMap::get(3, 0, {D(0), D(1)}, ctx)},
                   1, p.xSigned, p.bf16) ||
        !isOperand(g.getDpsInputs()[0].getType(), p.inType(ctx), 2, false) || !isOperand(g.getDpsInits()[0].getType(), p.accType(ctx), 2, false))
      return false;
    p.w = constantGlobalOf(g.getDpsInputs()[1], p.inType(ctx), symbols, wt);
    if (!p.w || wt.getRank() != 2)
      return false;
    p.form = Product::Matmul;
    p.x = g.getDpsInputs()[0];
    p.L = wt.getDimSize(0);
    p.F = wt.getDimSize(1);
  } else if (g.getNumLoops() == 4) {
    MemRefType wt;
    if (!isProduct(g, 3, {AffineMap::get(4, 0, {D(1), D(3)}, ctx), AffineMap::get(4, 0, {D(0), D(3), D(2)}, ctx),
                          AffineMap::get(4, 0, {D(0), D(1), D(2)}, ctx)},
                   0, p.xSigned, p.bf16) ||
        !isOperand(g.getDpsInputs()[1].getType(), p.inType(ctx), 3, true) || !isOperand(g.getDpsInits()[0].getType(), p.accType(ctx), 3, true))
      return false;
    p.w = constantGlobalOf(g.getDpsInputs()[0], p.inType(ctx), symbols, wt);
    if (!p.w || wt.getRank() != 2)
      return false;
    p.form = Product::Columns;
    p.x = g.getDpsInputs()[1];
    p.F = wt.getDimSize(0);
    p.L = wt.getDimSize(1);
    p.OW = cast<MemRefType>(p.x.getType()).getDimSize(2);
  } else if (g.getNumLoops() == 7) {
    SmallVector<AffineMap> maps = g.getIndexingMapsArray();
    if (maps.size() != 3 || maps[1].getNumResults() != 4)
      return false;
    std::optional<int64_t> d0 = dilationOf(maps[1].getResult(2), 2, 5), d1 = dilationOf(maps[1].getResult(3), 3, 6);
    MemRefType wt;
    if (!d0 || !d1 ||
        !isProduct(g, 4, {AffineMap::get(7, 0, {D(1), D(4), D(5), D(6)}, ctx),
                          AffineMap::get(7, 0, {D(0), D(4), D(2) + D(5) * *d0, D(3) + D(6) * *d1}, ctx),
                          AffineMap::get(7, 0, {D(0), D(1), D(2), D(3)}, ctx)},
                   0, p.xSigned, p.bf16) ||
        !isOperand(g.getDpsInputs()[1].getType(), p.inType(ctx), 4, true) || !isOperand(g.getDpsInits()[0].getType(), p.accType(ctx), 4, true))
      return false;
    p.w = constantGlobalOf(g.getDpsInputs()[0], p.inType(ctx), symbols, wt);
    auto xt = cast<MemRefType>(g.getDpsInputs()[1].getType()), ct = cast<MemRefType>(g.getDpsInits()[0].getType());
    if (!p.w || wt.getRank() != 4 || llvm::any_of(xt.getShape().drop_front(), ShapedType::isDynamic) ||
        llvm::any_of(ct.getShape().drop_front(), ShapedType::isDynamic))
      return false;
    p.form = Product::Direct;
    p.x = g.getDpsInputs()[1];
    p.F = wt.getDimSize(0);
    p.L = wt.getDimSize(1);
    p.KH = wt.getDimSize(2);
    p.KW = wt.getDimSize(3);
    p.OH = ct.getDimSize(2);
    p.OW = ct.getDimSize(3);
    p.d0 = *d0;
    p.d1 = *d1;
    // The padded input holds every window the output reads.
    if (xt.getDimSize(2) < p.OH + (p.KH - 1) * p.d0 || xt.getDimSize(3) < p.OW + (p.KW - 1) * p.d1)
      return false;
  } else {
    return false;
  }
  p.op = g;
  p.c = g.getDpsInits()[0];
  auto xt = cast<MemRefType>(p.x.getType()), ct = cast<MemRefType>(p.c.getType());
  // Operand sizes agree with the weights (and the columns' dynamic P is not
  // taken).
  if (p.form == Product::Matmul)
    return p.L > 0 && p.F > 0 && xt.getDimSize(1) == p.L && ct.getDimSize(1) == p.F;
  return p.F > 0 && p.L > 0 && p.OW > 0 && !ShapedType::isDynamic(p.OW) && xt.getDimSize(1) == p.L &&
         ct.getDimSize(1) == p.F && (p.form == Product::Direct || ct.getDimSize(2) == p.OW);
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

/// Whether `v` is an integer zero or a float +0.
bool isZero(Value v) { return matchPattern(v, m_Zero()) || matchPattern(v, m_PosZeroFloat()); }

/// What zeroes the product's result `c` right before `op`, if anything: a
/// zero fill of `c`, or (bufferization's form when two products share one
/// zero-filled tensor) a copy into `c` of a buffer that a zero fill wrote
/// and nothing else wrote since. The accumulators then start at zero and
/// the op goes (the kernel writes every element of `c`).
Operation *zeroInitBefore(Operation *op, Value c) {
  Operation *prev = op->getPrevNode();
  if (auto fill = dyn_cast_or_null<linalg::FillOp>(prev))
    return fill.getDpsInits()[0] == c && isZero(fill.getInputs()[0]) ? prev : nullptr;
  auto copy = dyn_cast_or_null<memref::CopyOp>(prev);
  if (!copy || copy.getTarget() != c || copy.getSource().getType() != c.getType())
    return nullptr;
  Value src = copy.getSource();
  if (!src.getDefiningOp<memref::AllocOp>())
    return nullptr;
  linalg::FillOp zero;
  for (Operation *u : src.getUsers()) {
    if (u->getBlock() != op->getBlock())
      return nullptr;
    if (!u->isBeforeInBlock(copy))
      continue;
    if (auto f = dyn_cast<linalg::FillOp>(u); f && f.getDpsInits()[0] == src && !zero &&
                                              isZero(f.getInputs()[0])) {
      zero = f;
      continue;
    }
    // Before the copy, only copies out of the zero buffer.
    if (auto cp = dyn_cast<memref::CopyOp>(u); cp && cp.getSource() == src && zero && zero->isBeforeInBlock(cp))
      continue;
    return nullptr;
  }
  return zero ? prev : nullptr;
}

/// A private constant i32 global `name` of `shape` holding `values`, and a
/// memref.get_global of it at `b`'s insertion point.
Value addI32Global(OpBuilder &b, memref::GlobalOp after, StringRef name, ArrayRef<int64_t> shape,
                   ArrayRef<int32_t> values, SymbolTable &symbols, Location useLoc) {
  auto mt = MemRefType::get(shape, b.getI32Type());
  FlatSymbolRefAttr ref = kiln::cpu::addConstantGlobal(
      after, name, mt, HeapAsmResourceBlob::allocateAndCopyInferAlign(values), symbols);
  return memref::GetGlobalOp::create(b, useLoc, mt, ref.getValue());
}

/// Packs weights into i32 words of G elements (int8: quads of bytes;
/// bf16: pairs of halves): weight (o, l, t) (outer o < O, reduction element
/// l < L, inner t < T) at `at(o, l, t)` goes to element l % G of the word
/// `word(o, l / G, t)`; for int8, `bias[bias index(o, t)]` sums 128 x the
/// weights (a signed activation's bias).
template <typename At, typename Word, typename BiasAt>
void packWords(const Product &p, int64_t O, int64_t T, At at, Word word, BiasAt biasAt, std::vector<int32_t> &pk,
               std::vector<int32_t> &bias) {
  int64_t G = p.G(), bits = 32 / G;
  for (int64_t o = 0; o < O; ++o)
    for (int64_t l = 0; l < p.L; ++l)
      for (int64_t t = 0; t < T; ++t) {
        uint16_t v = at(o, l, t); // the element's bits (int8: sign-extended)
        uint32_t field = p.bf16 ? uint32_t(v) : uint32_t(uint8_t(v));
        reinterpret_cast<uint32_t &>(pk[word(o, l / G, t)]) |= field << (bits * (l % G));
        if (!p.bf16)
          bias[biasAt(o, t)] += 128 * int32_t(int8_t(uint8_t(v)));
      }
}

//===----------------------------------------------------------------------===//
// The dequantizing epilogue, fused into the kernels' stores
//===----------------------------------------------------------------------===//

/// How an epilogue op reads one input at a store of 16 lanes.
struct EpiOperand {
  enum Kind { Chained, Full, LaneVector, Scalar } kind = Chained;
  Value mem;                 // Full: a view in the product's index space; else the operand
  SmallVector<unsigned> dims; // LaneVector, Scalar: the product dims of its indices
};

/// The elementwise linalg.generics that read the product's int32
/// accumulators (the dequantization: scale, bias, residual, activation, and
/// where kiln-cpu-fuse-elementwise joined it, the next layer's
/// quantization), computed on the accumulator registers and stored to the
/// last one's output, so that the accumulators never go through memory.
/// The product's index space (Matmul [M, N], Columns [N, F, P], Direct [N,
/// F, OH, OW]) may be a collapse of theirs (the Columns' [N, F, OH, OW]).
struct EpilogueChain {
  SmallVector<linalg::GenericOp> ops;
  SmallVector<ReassociationIndices> groups; // the product's dims as groups of the epilogue's
  SmallVector<SmallVector<EpiOperand>> operands;
  Value out;                 // the last op's output, viewed in the product's space
  SmallVector<Operation *> dead; // buffers and views no longer used once fused
  SmallVector<Operation *> deallocs; // of buffers the kernel reads: moved after it
};

/// Whether `op` (between the product and its epilogue) surely writes no
/// memory.
bool writesNothing(Operation *op) {
  return isa<memref::AllocOp, memref::ExpandShapeOp, memref::CollapseShapeOp, memref::SubViewOp,
             memref::GetGlobalOp, memref::DimOp, arith::ConstantOp, memref::CastOp>(op) ||
         isMemoryEffectFree(op);
}

/// The buffer `v` is a view of (through subviews, reshapes and casts).
Value rootBuffer(Value v) {
  while (Operation *d = v.getDefiningOp()) {
    if (auto sv = dyn_cast<memref::SubViewOp>(d))
      v = sv.getSource();
    else if (auto ex = dyn_cast<memref::ExpandShapeOp>(d))
      v = ex.getSrc();
    else if (auto co = dyn_cast<memref::CollapseShapeOp>(d))
      v = co.getSrc();
    else if (auto ca = dyn_cast<memref::CastOp>(d))
      v = ca.getSource();
    else if (auto rc = dyn_cast<memref::ReinterpretCastOp>(d))
      v = rc.getSource();
    else
      break;
  }
  return v;
}

/// Whether `to` follows `from` in their block and the ops between leave the
/// buffers `roots` alone (the kernel moves past them to `to`: it reads the
/// product's input there, and each epilogue op's inputs): no write or free
/// of them, except deallocations, which go to `deallocs` (they then move
/// after the kernel).  Ops whose effects are unknown stop it.
bool leavesAlone(Operation *from, Operation *to, ArrayRef<Value> roots, SmallVectorImpl<Operation *> &deallocs) {
  if (from->getBlock() != to->getBlock() || !from->isBeforeInBlock(to))
    return false;
  for (Operation *o = from->getNextNode(); o != to; o = o->getNextNode()) {
    if (writesNothing(o))
      continue;
    if (auto d = dyn_cast<memref::DeallocOp>(o)) {
      if (llvm::is_contained(roots, rootBuffer(d.getMemref())))
        deallocs.push_back(o);
      continue;
    }
    std::optional<SmallVector<MemoryEffects::EffectInstance>> effects = getEffectsRecursively(o);
    if (!effects)
      return false;
    for (const MemoryEffects::EffectInstance &e : *effects) {
      if (!isa<MemoryEffects::Write, MemoryEffects::Free>(e.getEffect()))
        continue;
      Value v = e.getValue();
      if (!v || llvm::is_contained(roots, rootBuffer(v)))
        return false;
    }
  }
  return true;
}

/// Whether `mem` (rank of the epilogue's space) has a view in the
/// product's index space (collapsed by `groups`) whose last dim is
/// unit-stride.
bool hasProductView(Value mem, ArrayRef<ReassociationIndices> groups) {
  int64_t rank = 0;
  for (const ReassociationIndices &g : groups)
    rank += g.size();
  auto mt = dyn_cast<MemRefType>(mem.getType());
  if (!mt || rank == 0 || mt.getRank() != rank)
    return false;
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(mt.getStridesAndOffset(strides, offset)) || strides.back() != 1)
    return false;
  return (int64_t)groups.size() == rank || memref::CollapseShapeOp::isGuaranteedCollapsible(mt, groups);
}

/// That view.
Value productView(OpBuilder &b, Location loc, Value mem, ArrayRef<ReassociationIndices> groups) {
  if ((int64_t)groups.size() == cast<MemRefType>(mem.getType()).getRank())
    return mem;
  return memref::CollapseShapeOp::create(b, loc, mem, groups);
}

/// The chain of elementwise generics after product `p` (whose result
/// buffer is a memref.alloc, zeroed by `zeroFill`: zeroInitBefore), or
/// nothing.
std::optional<EpilogueChain> matchEpilogue(const Product &p, Operation *zeroFill) {
  auto alloc = p.c.getDefiningOp<memref::AllocOp>();
  if (!zeroFill || !alloc)
    return std::nullopt;
  int64_t rank = cast<MemRefType>(p.c.getType()).getRank();
  // The accumulators as the first op reads them: p.c, or an expand_shape of
  // it (groups: the reassociation; identity otherwise).
  Value acc = p.c;
  SmallVector<ReassociationIndices> groups;
  for (int64_t d = 0; d < rank; ++d)
    groups.push_back({d});
  EpilogueChain chain;
  Operation *reader = nullptr;
  for (Operation *u : p.c.getUsers()) {
    if (u == p.op || u == zeroFill || isa<memref::DeallocOp>(u))
      continue;
    if (auto ex = dyn_cast<memref::ExpandShapeOp>(u); ex && !reader) {
      if (!ex->hasOneUse())
        return std::nullopt;
      acc = ex.getResult();
      groups = ex.getReassociationIndices();
      reader = *ex->getUsers().begin();
      chain.dead.push_back(ex);
      continue;
    }
    if (reader)
      return std::nullopt;
    reader = u;
  }
  chain.dead.push_back(alloc);
  // E space dim -> product dim, and whether it is alone in its group.
  int64_t erank = cast<MemRefType>(acc.getType()).getRank();
  SmallVector<unsigned> toProduct(erank);
  SmallVector<bool> single(erank);
  for (auto [g, grp] : llvm::enumerate(groups))
    for (int64_t e : grp) {
      toProduct[e] = g;
      single[e] = grp.size() == 1;
    }
  chain.groups = groups;
  Operation *prev = p.op;
  Value chained = acc;
  // What the ops the kernel moves past must leave alone: the product's
  // input, then also each accepted epilogue op's inputs.
  SmallVector<Value> roots{rootBuffer(p.x)};
  while (auto e = dyn_cast_or_null<linalg::GenericOp>(reader)) {
    SmallVector<Operation *> deallocs;
    if (!e.hasPureBufferSemantics() || e.getNumDpsInits() != 1 || e.getNumLoops() != (unsigned)erank ||
        e.getNumParallelLoops() != e.getNumLoops() || !leavesAlone(prev, e, roots, deallocs))
      break;
    Block &body = e.getRegion().front();
    Value outArg = body.getArgument(e.getNumDpsInputs());
    // Its output must be viewable in the product's space (else the chain
    // ends before it: e.g. a store into a padded buffer's interior, which
    // a Columns product cannot address as [N, F, OH * OW]).
    // Nor may it share memory with the product's input: in place of the
    // input (bufferization reuses a dead buffer), the fused stores would
    // overwrite pixels other tiles still read.
    if (!outArg.use_empty() || !e.getIndexingMapsArray().back().isIdentity() ||
        !hasProductView(e.getDpsInits()[0], groups) || rootBuffer(e.getDpsInits()[0]) == rootBuffer(p.x))
      break;
    bool bodyOk = llvm::all_of(body.without_terminator(), [](Operation &op) {
      return op.getNumRegions() == 0 && isMemoryEffectFree(&op) && !isa<linalg::IndexOp>(op) &&
             !isa<arith::DivSIOp, arith::DivUIOp, arith::RemSIOp, arith::RemUIOp, arith::CeilDivSIOp,
                  arith::CeilDivUIOp, arith::FloorDivSIOp>(op) &&
             llvm::all_of(op.getResultTypes(), [](Type t) { return t.isIntOrFloat(); }) &&
             llvm::all_of(op.getOperandTypes(), [](Type t) { return t.isIntOrFloat(); });
    });
    if (!bodyOk)
      break;
    SmallVector<EpiOperand> ops;
    int chainedUses = 0;
    bool ok = true;
    for (OpOperand *inp : e.getDpsInputOperands()) {
      OpOperand &in = *inp;
      EpiOperand o;
      AffineMap m = e.getMatchingIndexingMap(&in);
      if (in.get() == chained) {
        o.kind = EpiOperand::Chained;
        ok &= m.isIdentity();
        ++chainedUses;
      } else if (m.isIdentity()) {
        o.kind = EpiOperand::Full;
        o.mem = in.get();
        ok &= hasProductView(o.mem, groups);
      } else if (m.isProjectedPermutation() && !m.isPermutation()) {
        o.mem = in.get();
        unsigned last = ~0u;
        for (AffineExpr r : m.getResults()) {
          unsigned d = cast<AffineDimExpr>(r).getPosition();
          ok &= single[d] && (last == ~0u || d > last);
          last = d;
          o.dims.push_back(toProduct[d]);
        }
        bool lane = !o.dims.empty() && (int64_t)last == erank - 1;
        o.kind = lane ? EpiOperand::LaneVector : EpiOperand::Scalar;
        if (lane) {
          auto mt = cast<MemRefType>(o.mem.getType());
          SmallVector<int64_t> strides;
          int64_t offset;
          ok &= succeeded(mt.getStridesAndOffset(strides, offset)) && strides.back() == 1;
        }
      } else {
        ok = false;
      }
      ops.push_back(o);
    }
    if (!ok || chainedUses != 1)
      break;
    chain.ops.push_back(e);
    chain.operands.push_back(std::move(ops));
    chain.deallocs.append(deallocs.begin(), deallocs.end());
    for (Value in : e.getDpsInputs())
      if (in != chained)
        roots.push_back(rootBuffer(in));
    Value out = e.getDpsInits()[0];
    prev = e;
    // Continue while the output is a buffer of its own read by one more
    // elementwise op only.
    auto outAlloc = out.getDefiningOp<memref::AllocOp>();
    Operation *next = nullptr;
    bool more = (bool)outAlloc;
    if (more)
      for (Operation *u : out.getUsers()) {
        if (u == e || isa<memref::DeallocOp>(u))
          continue;
        more &= !next && isa<linalg::GenericOp>(u);
        next = u;
      }
    if (more && next && cast<linalg::GenericOp>(next).getNumDpsInits() == 1 &&
        cast<linalg::GenericOp>(next).getDpsInits()[0] != out) {
      chain.dead.push_back(outAlloc);
      chained = out;
      reader = next;
      continue;
    }
    break;
  }
  if (chain.ops.empty())
    return std::nullopt;
  // The last op's output; an op that failed to join leaves its predecessor
  // as the last one, whose buffer then stays.
  Value out = chain.ops.back().getDpsInits()[0];
  if (!chain.dead.empty() && chain.dead.back() == out.getDefiningOp())
    chain.dead.pop_back();
  chain.out = out;
  return chain;
}

/// Builds the chain's views in the product's index space at `b` (the last
/// epilogue op, where the kernel goes: every operand is defined there).
void materializeViews(OpBuilder &b, EpilogueChain &chain) {
  for (auto [e, ops] : llvm::zip(chain.ops, chain.operands))
    for (EpiOperand &o : ops)
      if (o.kind == EpiOperand::Full)
        o.mem = productView(b, e.getLoc(), o.mem, chain.groups);
  chain.out = productView(b, chain.ops.back().getLoc(), chain.out, chain.groups);
}

//===----------------------------------------------------------------------===//
// Emitting the kernels
//===----------------------------------------------------------------------===//

/// What the three kernels share: index constants, the vpdpbusd call, masked
/// vector reads and writes, loops carrying accumulators.
struct VnniEmitter {
  OpBuilder &b;
  Location loc;
  const Product &p;
  Value wq, bias; // the packed weights; 128 x their sums (signed activations)
  bool zeroInit;
  const EpilogueChain *epi = nullptr; // the fused epilogue, if any
  bool vnni = true;                   // false: the AVX2 form (int8 only)
  /// Rows of the matmul's register tile and filters of the convolutions'
  /// (the AVX2 form has 16 256-bit registers, not 32 512-bit ones).
  int64_t rowsPerTile() const { return vnni || p.bf16 ? kRows : kRows / 2; }
  int64_t filtersPerTile() const { return vnni || p.bf16 ? kFilterRows : kFilterRows / 2; }
  Type inT = p.inType(b.getContext());
  /// 16 words (the packed weights), 16 accumulators (i32 or f32), one dot
  /// operand (64 bytes or 32 bf16: 16 words of G elements), one input row
  /// of 16 elements, a mask.
  VectorType v16 = VectorType::get({kLanes}, IntegerType::get(b.getContext(), 32));
  VectorType a16 = VectorType::get({kLanes}, p.accType(b.getContext()));
  VectorType v64 = VectorType::get({p.G() * kLanes}, inT);
  VectorType b16 = VectorType::get({kLanes}, inT);
  VectorType m16 = VectorType::get({kLanes}, IntegerType::get(b.getContext(), 1));

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value a, Value c) { return arith::AddIOp::create(b, loc, a, c); }
  Value mulc(Value a, int64_t c) { return c == 1 ? a : (Value)arith::MulIOp::create(b, loc, a, idx(c)); }
  Value zero16() { return arith::ConstantOp::create(b, loc, a16, cast<TypedAttr>(b.getZeroAttr(a16))); }
  /// The zero of the input's element type (padding of partial groups).
  Value inZero() { return arith::ConstantOp::create(b, loc, inT, cast<TypedAttr>(b.getZeroAttr(inT))); }
  Value mask(int64_t lanes) { return vector::CreateMaskOp::create(b, loc, m16, ValueRange{idx(lanes)}); }

  /// acc + the 16 lane-wise sums of four u8 x s8 products: vpdpbusd, or
  /// (AVX2) the products widened exactly (|u8 x s8| < 2^15), even and odd
  /// ones added as i32 (the vpmaddwd pattern LLVM selects), then the pairs.
  Value dot(Value acc, Value a64, Value w64) {
    if (p.bf16) // acc + the 16 lane-wise sums of two bf16 x bf16 products
      return LLVM::CallIntrinsicOp::create(b, loc, a16, b.getStringAttr("llvm.x86.avx512bf16.dpbf16ps.512"),
                                           ValueRange{acc, a64, w64})
          .getResult(0);
    if (vnni)
      return LLVM::CallIntrinsicOp::create(b, loc, v16, b.getStringAttr("llvm.x86.avx512.vpdpbusd.512"),
                                           ValueRange{acc, a64, w64})
          .getResult(0);
    auto half = [&](Value v, int64_t n, int64_t parity) {
      SmallVector<int64_t> m;
      for (int64_t i = 0; i < n / 2; ++i)
        m.push_back(2 * i + parity);
      return vector::ShuffleOp::create(b, loc, v, v, m).getResult();
    };
    auto i32s = [&](int64_t n) { return VectorType::get({n}, b.getI32Type()); };
    auto products = [&](int64_t parity) {
      Value a = arith::ExtUIOp::create(b, loc, i32s(2 * kLanes), half(a64, 4 * kLanes, parity));
      Value w = arith::ExtSIOp::create(b, loc, i32s(2 * kLanes), half(w64, 4 * kLanes, parity));
      return arith::MulIOp::create(b, loc, a, w).getResult();
    };
    Value pairs = arith::AddIOp::create(b, loc, products(0), products(1));
    Value quads = arith::AddIOp::create(b, loc, half(pairs, 2 * kLanes, 0), half(pairs, 2 * kLanes, 1));
    return arith::AddIOp::create(b, loc, acc, quads);
  }
  /// An i32 (four bytes) in every lane, as 64 bytes.
  Value broadcast4(Value word) {
    return vector::BitCastOp::create(b, loc, v64, vector::BroadcastOp::create(b, loc, v16, word));
  }
  /// `lanes` accumulators of the result at `at` (the rest 0), or all 16.
  Value readAcc(ValueRange at, int64_t lanes) {
    if (lanes == kLanes)
      return vector::LoadOp::create(b, loc, a16, p.c, at);
    return vector::MaskedLoadOp::create(b, loc, a16, p.c, at, mask(lanes), zero16());
  }
  void writeAcc(Value v, ValueRange at, int64_t lanes) {
    if (lanes == kLanes)
      vector::StoreOp::create(b, loc, v, p.c, at);
    else
      vector::MaskedStoreOp::create(b, loc, p.c, at, mask(lanes), v);
  }
  VectorType vec(Type t) { return VectorType::get({kLanes}, t); }
  /// `lanes` elements (the rest 0) of `mem` at `at`, or all 16.
  Value readVec(Value mem, ValueRange at, int64_t lanes, Type et) {
    if (lanes == kLanes)
      return vector::LoadOp::create(b, loc, vec(et), mem, at);
    Value zero = arith::ConstantOp::create(b, loc, cast<TypedAttr>(b.getZeroAttr(vec(et))));
    return vector::MaskedLoadOp::create(b, loc, vec(et), mem, at, mask(lanes), zero);
  }
  void writeVec(Value v, Value mem, ValueRange at, int64_t lanes) {
    if (lanes == kLanes)
      vector::StoreOp::create(b, loc, v, mem, at);
    else
      vector::MaskedStoreOp::create(b, loc, mem, at, mask(lanes), v);
  }
  /// Stores the finished accumulators `v` (product indices `at`, the lanes
  /// along the last): through the fused epilogue (each op's scalar body
  /// applied to 16 lanes at once) into its output, or as int32.
  void store(Value v, ValueRange at, int64_t lanes) {
    if (!epi)
      return writeAcc(v, at, lanes);
    auto pick = [&](ArrayRef<unsigned> dims) {
      SmallVector<Value> r;
      for (unsigned d : dims)
        r.push_back(at[d]);
      return r;
    };
    Value cur = v;
    for (auto [e, ops] : llvm::zip(epi->ops, epi->operands)) {
      Block &body = const_cast<linalg::GenericOp &>(e).getRegion().front();
      IRMapping map;
      for (auto [i, o] : llvm::enumerate(ops)) {
        Type et = body.getArgument(i).getType();
        Value val;
        switch (o.kind) {
        case EpiOperand::Chained: val = cur; break;
        case EpiOperand::Full: val = readVec(o.mem, at, lanes, et); break;
        case EpiOperand::LaneVector: val = readVec(o.mem, pick(o.dims), lanes, et); break;
        case EpiOperand::Scalar:
          val = vector::BroadcastOp::create(b, loc, vec(et), memref::LoadOp::create(b, loc, o.mem, pick(o.dims)));
          break;
        }
        map.map(body.getArgument(i), val);
      }
      for (Operation &op : body.without_terminator()) {
        if (isa<arith::ConstantOp>(op)) {
          map.map(op.getResult(0), vector::BroadcastOp::create(b, loc, vec(op.getResult(0).getType()),
                                                               b.clone(op)->getResult(0)));
          continue;
        }
        for (Value x : op.getOperands())
          if (!map.contains(x)) // a scalar from outside the body
            map.map(x, vector::BroadcastOp::create(b, loc, vec(x.getType()), x));
        Operation *n = b.clone(op, map);
        for (OpResult r : n->getResults())
          r.setType(vec(r.getType()));
      }
      cur = map.lookup(body.getTerminator()->getOperand(0));
    }
    writeVec(cur, epi->out, at, lanes);
  }
  /// The accumulator's start: zero, or the result's values.
  Value initAcc(ValueRange at, int64_t lanes) { return zeroInit || lanes == 0 ? zero16() : readAcc(at, lanes); }

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
  /// `body(iv)` over [lo, hi) step `step`; returns the loop.
  scf::ForOp forLoop(Value lo, Value hi, int64_t step, function_ref<void(Value)> body) {
    return kiln::cpu::buildForLoop(b, loc, lo, hi, step, body);
  }
};

/// nn.qmatmul's kernel: per column panel (32 columns: the weights'
/// [ceil(K/4)][32] quads contiguous) and block of 8 rows, 8 x 2
/// accumulators; per quad q, the row's four bytes broadcast against the
/// panel's two vectors.
struct MatmulEmitter : VnniEmitter {
  /// The G elements x[row, k .. k + G - 1] (four bytes or two bf16)
  /// broadcast to every lane (a masked read for the last, partial group;
  /// biased by 128 for a signed int8 input).
  Value quad(Value row, Value k, bool partial) {
    auto v4 = VectorType::get({p.G()}, inT);
    Value bytes;
    if (partial) {
      Value pad = p.xSigned ? (Value)arith::ConstantIntOp::create(b, loc, b.getI8Type(), -128) : inZero();
      bytes = vector::TransferReadOp::create(b, loc, v4, p.x, ValueRange{row, k}, pad, ArrayRef<bool>{false});
    } else {
      bytes = vector::LoadOp::create(b, loc, v4, p.x, ValueRange{row, k});
    }
    Value word = vector::BitCastOp::create(b, loc, VectorType::get({1}, b.getI32Type()), bytes);
    Value s = vector::ExtractOp::create(b, loc, word, ArrayRef<int64_t>{0});
    if (p.xSigned)
      s = arith::XOrIOp::create(b, loc, s, arith::ConstantIntOp::create(b, loc, b.getI32Type(), int64_t(0x80808080u)));
    return broadcast4(s);
  }

  /// The register tile of `rows` rows from `row0` for panel `pan`, whose
  /// vectors hold `lanes[h]` real columns.
  void tile(Value row0, int64_t rows, Value pan, ArrayRef<int64_t> lanes) {
    Value col0 = mulc(pan, kPanel);
    SmallVector<Value> rowIdx, init, cols{col0, add(col0, idx(kLanes))};
    for (int64_t r = 0; r < rows; ++r)
      rowIdx.push_back(add(row0, idx(r)));
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t h = 0; h < 2; ++h)
        init.push_back(initAcc(ValueRange{rowIdx[r], cols[h]}, lanes[h]));
    auto step = [&](Value q, ValueRange acc, bool partial) {
      SmallVector<Value> w, next;
      for (int64_t h = 0; h < 2; ++h)
        w.push_back(vector::BitCastOp::create(b, loc, v64,
                                              vector::LoadOp::create(b, loc, v16, wq, ValueRange{pan, q, idx(h * kLanes)})));
      Value k = mulc(q, p.G());
      for (int64_t r = 0; r < rows; ++r) {
        Value a = quad(rowIdx[r], k, partial);
        for (int64_t h = 0; h < 2; ++h)
          next.push_back(dot(acc[2 * r + h], a, w[h]));
      }
      return next;
    };
    SmallVector<Value> acc(init);
    if (p.L / p.G() > 0)
      acc = loop(p.L / p.G(), acc, [&](Value q, ValueRange a) { return step(q, a, false); });
    if (p.L % p.G())
      acc = step(idx(p.L / p.G()), acc, true);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t h = 0; h < 2; ++h) {
        if (lanes[h] == 0)
          continue;
        Value v = acc[2 * r + h];
        if (p.xSigned) // (x + 128) * w summed: subtract 128 * sum_k w
          v = arith::SubIOp::create(b, loc, v, vector::LoadOp::create(b, loc, v16, bias, ValueRange{pan, idx(h * kLanes)}));
        store(v, ValueRange{rowIdx[r], cols[h]}, lanes[h]);
      }
  }

  /// All rows for panel `pan`: blocks of kRows, then single rows.
  void panel(Value pan, ArrayRef<int64_t> lanes) {
    Value M = memref::DimOp::create(b, loc, p.x, 0);
    int64_t rows = rowsPerTile();
    Value full = mulc(arith::DivUIOp::create(b, loc, M, idx(rows)), rows);
    forLoop(idx(0), full, rows, [&](Value r) { tile(r, rows, pan, lanes); });
    forLoop(full, M, 1, [&](Value r) { tile(r, 1, pan, lanes); });
  }

  void emit() {
    int64_t fullPanels = p.F / kPanel, rest = p.F % kPanel;
    if (fullPanels > 0) {
      auto l = forLoop(idx(0), idx(fullPanels), 1, [&](Value pan) { panel(pan, {kLanes, kLanes}); });
      // The panels are independent: the run's threads share them when
      // there is enough work (a dynamic M counted as 1).
      int64_t work = p.L * p.F;
      if (int64_t m = cast<MemRefType>(p.x.getType()).getDimSize(0); !ShapedType::isDynamic(m))
        work *= m;
      if (work >= kiln::cpu::kMinParallelWork && fullPanels > 1)
        l->setAttr(kiln::cpu::kParallelAttr, b.getUnitAttr());
    }
    if (rest)
      panel(idx(fullPanels), {std::min(rest, kLanes), std::max<int64_t>(rest - kLanes, 0)});
  }
};

/// nn.qconv's kernels (Columns and Direct): per image, block of filters
/// and chunk of up to 32 output pixels (one output row for Direct), F x 2
/// accumulators; per quad of the reduction, four rows of 16 pixels
/// (contiguous bytes: four column rows, or four channel planes at one tap)
/// interleaved so that lane l holds pixel l's four bytes, times each
/// filter's four weights broadcast: one vpdpbusd per filter and vector.
/// Reduction elements past L (the last quad) read element L - 1 again:
/// their weights are zero.
struct ConvEmitter : VnniEmitter {
  /// Lane l of the result holds element l of r0, r1, r2, r3 (in that
  /// order; bf16: of r0, r1).
  Value interleave(ArrayRef<Value> r) {
    SmallVector<int64_t> pairs, quads;
    for (int64_t l = 0; l < kLanes; ++l) {
      pairs.push_back(l);
      pairs.push_back(l + kLanes);
    }
    if (p.bf16)
      return vector::ShuffleOp::create(b, loc, r[0], r[1], pairs);
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

  /// 16 (or `lanes`) elements of the input at `at`.
  Value row(ValueRange at, int64_t lanes) {
    if (lanes == kLanes)
      return vector::LoadOp::create(b, loc, b16, p.x, at);
    Value zero = arith::ConstantOp::create(b, loc, b16, cast<TypedAttr>(b.getZeroAttr(b16)));
    return vector::MaskedLoadOp::create(b, loc, b16, p.x, at, mask(lanes), zero);
  }

  /// The tile of `rows` filters from `f0` x the pixel chunk at `col` of
  /// output row `oh` (Direct; null for Columns), `lanes[h]` real pixels in
  /// vector h.
  void tile(Value n, Value f0, int64_t rows, Value oh, Value col, ArrayRef<int64_t> lanes) {
    SmallVector<Value> fIdx, cols{col, add(col, idx(kLanes))}, init;
    for (int64_t r = 0; r < rows; ++r)
      fIdx.push_back(add(f0, idx(r)));
    auto outAt = [&](int64_t r, int64_t h) {
      return oh ? SmallVector<Value>{n, fIdx[r], oh, cols[h]} : SmallVector<Value>{n, fIdx[r], cols[h]};
    };
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t h = 0; h < 2; ++h)
        init.push_back(initAcc(outAt(r, h), lanes[h]));
    // One quad: `inAt(j, h)` indexes the row of element 4q + j for vector h
    // (clamped to L - 1 on the partial quad), `wAt` the quad's weights.
    auto quad = [&](ValueRange acc, function_ref<SmallVector<Value>(int64_t, int64_t)> inAt,
                    function_ref<SmallVector<Value>(Value)> wAt) {
      SmallVector<Value> a, next;
      for (int64_t h = 0; h < 2; ++h) {
        SmallVector<Value> rs;
        for (int64_t j = 0; lanes[h] && j < p.G(); ++j)
          rs.push_back(row(inAt(j, h), lanes[h]));
        a.push_back(lanes[h] ? interleave(rs) : Value());
      }
      for (int64_t r = 0; r < rows; ++r) {
        Value w64 = broadcast4(memref::LoadOp::create(b, loc, wq, wAt(fIdx[r])));
        for (int64_t h = 0; h < 2; ++h)
          next.push_back(lanes[h] ? dot(acc[2 * r + h], a[h], w64) : acc[2 * r + h]);
      }
      return next;
    };
    // The reduction's element j of group q: Gq + j, or L - 1 past L.
    int64_t G = p.G(), fullQuads = p.L / G;
    auto element = [&](Value q, int64_t j, bool tail) {
      return tail ? idx(std::min<int64_t>(fullQuads * G + j, p.L - 1)) : add(mulc(q, G), idx(j));
    };
    // Quads over the reduction (Columns: K; Direct: C at one tap).
    auto quads = [&](ValueRange acc, function_ref<SmallVector<Value>(Value, int64_t, int64_t)> rowAt,
                     function_ref<SmallVector<Value>(Value, Value)> wAt) {
      SmallVector<Value> a(acc.begin(), acc.end());
      auto one = [&](Value q, ValueRange a0, bool tail) {
        return quad(a0, [&](int64_t j, int64_t h) { return rowAt(element(q, j, tail), j, h); },
                    [&](Value f) { return wAt(f, q); });
      };
      if (fullQuads > 0)
        a = loop(fullQuads, a, [&](Value q, ValueRange a0) { return one(q, a0, false); });
      if (p.L % G)
        a = one(idx(fullQuads), a, true);
      return a;
    };
    SmallVector<Value> acc;
    if (p.form == Product::Columns) {
      acc = quads(init, [&](Value k, int64_t, int64_t h) { return SmallVector<Value>{n, k, cols[h]}; },
                  [&](Value f, Value q) { return SmallVector<Value>{f, q}; });
    } else {
      acc = loop(p.KH, init, [&](Value kh, ValueRange a0) {
        Value ih = add(oh, mulc(kh, p.d0));
        return loop(p.KW, a0, [&](Value kw, ValueRange a1) {
          Value iw = mulc(kw, p.d1);
          return quads(a1, [&](Value c, int64_t, int64_t h) { return SmallVector<Value>{n, c, ih, add(cols[h], iw)}; },
                       [&](Value f, Value q) { return SmallVector<Value>{f, kh, kw, q}; });
        });
      });
    }
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
        store(v, outAt(r, h), lanes[h]);
      }
    }
  }

  /// Every pixel chunk (Direct: of every output row) for the filters
  /// [f0, f0 + rows).
  void filters(Value n, Value f0, int64_t rows) {
    auto chunks = [&](Value oh) {
      int64_t full = p.OW / kPanel, rest = p.OW % kPanel;
      if (full > 0)
        forLoop(idx(0), idx(full * kPanel), kPanel, [&](Value col) { tile(n, f0, rows, oh, col, {kLanes, kLanes}); });
      if (rest)
        tile(n, f0, rows, oh, idx(full * kPanel), {std::min(rest, kLanes), std::max<int64_t>(rest - kLanes, 0)});
    };
    if (p.form == Product::Direct)
      forLoop(idx(0), idx(p.OH), 1, chunks);
    else
      chunks(Value());
  }

  void emit() {
    Value N = memref::DimOp::create(b, loc, p.x, 0);
    auto images = forLoop(idx(0), N, 1, [&](Value n) {
      // Rows of at most 16 pixels fill one vector per filter: twice the
      // filters per tile then (16 x 1 accumulators), so that each
      // interleaved input vector serves as many products.
      int64_t fr = p.OW <= kLanes ? 2 * filtersPerTile() : filtersPerTile();
      int64_t blocks = p.F / fr;
      if (blocks > 0) {
        auto l = forLoop(idx(0), idx(blocks * fr), fr, [&](Value f0) { filters(n, f0, fr); });
        if (blocks > 1 && p.F * p.L * p.KH * p.KW * p.OH * p.OW >= kiln::cpu::kMinParallelWork)
          l->setAttr(kiln::cpu::kParallelAttr, b.getUnitAttr());
      }
      for (int64_t f = blocks * fr; f < p.F; f += filtersPerTile())
        filters(n, idx(f), std::min(filtersPerTile(), p.F - f));
    });
    // A sequential loop over the images whose filter-block loops run on
    // threads (kiln-cpu-parallelize looks inside batch loops only).
    images->setAttr(kiln::cpu::kBatchLoopAttr, b.getUnitAttr());
  }
};

struct CPUInt8MatmulPass : kiln::cpu::impl::CPUInt8MatmulBase<CPUInt8MatmulPass> {
  using CPUInt8MatmulBase::CPUInt8MatmulBase;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto &count = kiln::passStatistic(getArgument(), "int8-matmuls",
                                      "int8 products on the VNNI micro-kernel (or its AVX2 form)");
    auto &countBF16 =
        kiln::passStatistic(getArgument(), "bf16-matmuls", "bf16 products on the AVX512_BF16 micro-kernel");
    auto &fused = kiln::passStatistic(getArgument(), "fused-epilogues",
                                      "int8 products whose dequantizing epilogue runs on the accumulator registers");
    // KILN_INT8_EPILOGUE=separate: the epilogue as its own pass over int32
    // accumulators in memory (for measuring the fusion).
    const char *mode = std::getenv("KILN_INT8_EPILOGUE");
    bool fuseEpilogue = !(mode && StringRef(mode) == "separate");
    SymbolTable symbols(module);
    SmallVector<Product> found;
    module.walk([&](linalg::GenericOp g) {
      Product p;
      if (matchProduct(g, symbols, p) && (p.bf16 ? bf16 : int8))
        found.push_back(p);
    });
    // One packed copy per weight global (a matmul's weights may serve
    // several products).
    llvm::DenseMap<Operation *, std::pair<Value, Value>> packed;
    for (Product &p : found) {
      Operation *zeroFill = zeroInitBefore(p.op, p.c);
      // With its epilogue fused, the kernel takes the place of the last
      // epilogue op (every operand is defined there; nothing between the
      // product and it writes what the kernel reads: leavesAlone).
      std::optional<EpilogueChain> epi = fuseEpilogue ? matchEpilogue(p, zeroFill) : std::nullopt;
      OpBuilder b(epi ? epi->ops.back().getOperation() : p.op.getOperation());
      Location loc = p.op.getLoc();
      int64_t T = p.KH * p.KW, LQ = p.quads();
      // Matmul: panels [ceil(N/32)][LQ][32], bias [ceil(N/32)][32]; convs:
      // [F][KH][KW][LQ] (Columns: KH = KW = 1), bias [F].
      SmallVector<int64_t> shape = p.form == Product::Matmul
                                       ? SmallVector<int64_t>{(p.F + kPanel - 1) / kPanel, LQ, kPanel}
                                       : SmallVector<int64_t>{p.F, p.KH, p.KW, LQ};
      if (p.form == Product::Columns)
        shape = {p.F, LQ};
      SmallVector<int64_t> biasShape = p.form == Product::Matmul ? SmallVector<int64_t>{shape[0], kPanel}
                                                                 : SmallVector<int64_t>{p.F};
      Value wq, bias;
      if (auto it = packed.find(p.w); it != packed.end()) {
        wq = memref::GetGlobalOp::create(b, loc, cast<MemRefType>(it->second.first.getType()),
                                         it->second.first.getDefiningOp<memref::GetGlobalOp>().getName());
        if (Value pb = it->second.second)
          bias = memref::GetGlobalOp::create(b, loc, cast<MemRefType>(pb.getType()),
                                             pb.getDefiningOp<memref::GetGlobalOp>().getName());
      } else {
        std::vector<char> storage;
        Type et = p.inType(b.getContext());
        int64_t bytes = et.getIntOrFloatBitWidth() / 8;
        ArrayRef<char> raw = rawConstantData(p.w, et, p.F * p.L * T, storage);
        if ((int64_t)raw.size() < p.F * p.L * T * bytes)
          continue;
        // The weights' bits (int8 sign-extended to 16 bits).
        std::vector<uint16_t> w(size_t(p.F * p.L * T));
        for (size_t i = 0; i < w.size(); ++i) {
          if (p.bf16)
            std::memcpy(&w[i], raw.data() + 2 * i, 2);
          else
            w[i] = uint16_t(int16_t(int8_t(raw[i])));
        }
        int64_t words = 1, biases = 1;
        for (int64_t d : shape)
          words *= d;
        for (int64_t d : biasShape)
          biases *= d;
        std::vector<int32_t> pk(size_t(words), 0), sums(size_t(biases), 0);
        if (p.form == Product::Matmul)
          // Weight (n, k) of [K, N]; column n in panel n / 32, lane n % 32.
          packWords(p, p.F, 1, [&](int64_t n, int64_t k, int64_t) { return w[k * p.F + n]; },
                    [&](int64_t n, int64_t q, int64_t) { return ((n / kPanel) * LQ + q) * kPanel + n % kPanel; },
                    [&](int64_t n, int64_t) { return n; }, pk, sums);
        else
          // Filter (f, l, t) of [F][L][T] (T taps; Columns: T = 1).
          packWords(p, p.F, T, [&](int64_t f, int64_t l, int64_t t) { return w[(f * p.L + l) * T + t]; },
                    [&](int64_t f, int64_t q, int64_t t) { return (f * T + t) * LQ + q; },
                    [&](int64_t f, int64_t) { return f; }, pk, sums);
        std::string base = (p.w.getSymName() + (p.bf16 ? "_bf16" : "_vnni")).str();
        wq = addI32Global(b, p.w, base, shape, pk, symbols, loc);
        // (int8 only: the signed activations' bias.)
        if (!p.bf16)
          bias = addI32Global(b, p.w, base + "_bias", biasShape, sums, symbols, loc);
        packed[p.w] = {wq, bias};
      }
      bool zeroInit = (bool)zeroFill;
      if (zeroFill)
        zeroFill->erase();
      if (epi)
        materializeViews(b, *epi);
      const EpilogueChain *chain = epi ? &*epi : nullptr;
      if (p.form == Product::Matmul)
        MatmulEmitter{{b, loc, p, wq, bias, zeroInit, chain, vnni}}.emit();
      else
        ConvEmitter{{b, loc, p, wq, bias, zeroInit, chain, vnni}}.emit();
      p.op->erase();
      ++(p.bf16 ? countBF16 : count);
      if (epi) {
        // Buffers the kernel reads live until it is done.
        for (Operation *d : epi->deallocs)
          d->moveBefore(epi->ops.back());
        for (linalg::GenericOp e : llvm::reverse(epi->ops))
          e->erase();
        // The int32 accumulators and the chain's intermediate buffers.
        for (Operation *d : epi->dead) {
          if (isa<memref::ExpandShapeOp>(d)) {
            if (d->use_empty())
              d->erase();
            continue;
          }
          if (llvm::all_of(d->getUsers(), [](Operation *u) { return isa<memref::DeallocOp>(u); })) {
            for (Operation *u : llvm::make_early_inc_range(d->getUsers()))
              u->erase();
            d->erase();
          }
        }
        ++fused;
      }
    }
  }
};

} // namespace

scf::ForOp kiln::cpu::buildForLoop(OpBuilder &b, Location loc, Value lo, Value hi, int64_t step,
                                  function_ref<void(Value)> body) {
  auto l = scf::ForOp::create(b, loc, lo, hi, arith::ConstantIndexOp::create(b, loc, step));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(l.getBody());
  body(l.getInductionVar());
  return l;
}

memref::GlobalOp kiln::cpu::constantGlobalOf(Value v, Type et, SymbolTable &symbols, MemRefType &type) {
  auto get = v.getDefiningOp<memref::GetGlobalOp>();
  if (!get)
    return {};
  type = cast<MemRefType>(get.getType());
  if (type.getElementType() != et || !type.hasStaticShape() || !type.getLayout().isIdentity())
    return {};
  return kiln::cpu::constantGlobal(get, symbols);
}

bool kiln::cpu::isOperand(Type t, Type et, int64_t r, bool identity) {
  auto m = dyn_cast<MemRefType>(t);
  if (!m || m.getRank() != r || m.getElementType() != et)
    return false;
  if (identity)
    return m.getLayout().isIdentity();
  SmallVector<int64_t> strides;
  int64_t offset;
  return succeeded(m.getStridesAndOffset(strides, offset)) && strides.back() == 1;
}
