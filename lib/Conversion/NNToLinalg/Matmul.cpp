//===- Matmul.cpp - linear algebra to linalg ------------------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// nn.matmul (linalg.matmul / batch_matmul with the fused bias, residual and
// activation), nn.einsum (one linalg.generic over the equation's letters)
// and nn.det (LU elimination with partial pivoting, per matrix).
//
//===----------------------------------------------------------------------===//

#include "Common.h"
#include "Patterns.h"

#include "kiln/Transforms/ConstantUtils.h"
#include "kiln/Transforms/Quantize.h"

using namespace mlir;
using namespace kiln::nn_to_linalg;
namespace nn = kiln::nn;
using kiln::makeF32Constant;
using kiln::readF32Constant;
using kiln::readI8Constant;

namespace {

/// The batch dims of a matmul's lhs `A` [..., M, K] folded into its rows:
/// [BM, K] (`A` itself at rank 2); `ra` gets the reassociation, for
/// unfoldRows.
Value foldRows(OpBuilder &b, Location loc, Value A, SmallVectorImpl<ReassociationIndices> &ra) {
  auto at = rtt(A);
  int64_t r = at.getRank();
  ra.assign({{}, {r - 1}});
  for (int64_t i = 0; i < r - 1; ++i)
    ra[0].push_back(i);
  if (r == 2)
    return A;
  int64_t bm = 1;
  for (int64_t i = 0; i < r - 1; ++i)
    bm = (bm == kDyn || at.getDimSize(i) == kDyn) ? kDyn : bm * at.getDimSize(i);
  return tensor::CollapseShapeOp::create(b, loc, RankedTensorType::get({bm, at.getDimSize(r - 1)}, at.getElementType()),
                                         A, ra);
}

/// `y` [BM, N] back to the result type `res` [..., M, N] of a matmul whose
/// lhs `A` foldRows folded with `ra`.
Value unfoldRows(OpBuilder &b, Location loc, Value y, Value A, RankedTensorType res,
                 ArrayRef<ReassociationIndices> ra) {
  auto at = rtt(A);
  int64_t r = res.getRank();
  if (r == 2)
    return y;
  SmallVector<OpFoldResult> os;
  for (int64_t i = 0; i < r - 1; ++i)
    os.push_back(at.isDynamicDim(i) ? OpFoldResult(dimOf(b, loc, A, i)) : OpFoldResult(b.getIndexAttr(at.getDimSize(i))));
  os.push_back(res.isDynamicDim(r - 1) ? OpFoldResult(dimOf(b, loc, y, 1)) : OpFoldResult(b.getIndexAttr(res.getDimSize(r - 1))));
  return tensor::ExpandShapeOp::create(b, loc, res, y, ra, os);
}

/// nn.matmul on bf16 operands with an f32 result (kiln-nn-quantize's bf16
/// layers): with a constant rhs [1..., K, N], the batch dims of lhs fold
/// into M and the products accumulate in f32 in the kernel form of
/// nn.qmatmul (int8Matmul: the CPU's bf16 micro-kernel), then the bias,
/// residual and activation.  Other matmuls extend both operands to f32
/// (exact) and take the float lowering.
FailureOr<Value> lowerMatmul(PatternRewriter &b, nn::MatmulOp op);

FailureOr<Value> lowerBF16Matmul(PatternRewriter &b, nn::MatmulOp op) {
  Location loc = op.getLoc();
  Value A = op.getLhs(), B = op.getRhs();
  auto at = rtt(A), bt = rtt(B), res = rtt(op.getResult());
  Type bf16 = b.getBF16Type();
  int64_t r = res.getRank();
  if (!res.getElementType().isF32() || bt.getElementType() != bf16)
    return b.notifyMatchFailure(op, "a bf16 matmul needs bf16 operands and an f32 result");
  Value w;
  if (bt.hasStaticShape() && at.getRank() == r && bt.getRank() == r &&
      llvm::all_of(bt.getShape().drop_back(2), [](int64_t d) { return d == 1; }))
    w = retypedConstant(b, loc, B, RankedTensorType::get({bt.getDimSize(r - 2), bt.getDimSize(r - 1)}, bf16));
  if (!w) {
    // (The float op is lowered here: the walk that lowers nn ops does not
    // visit the ops a lowering creates.)
    auto f = nn::MatmulOp::create(b, loc, res, extendToF32(b, loc, A), extendToF32(b, loc, B), op.getBias(),
                                  op.getResidual(), op.getActAttr(), op.getActAlphaAttr(), op.getActBetaAttr());
    FailureOr<Value> r = lowerMatmul(b, f);
    b.eraseOp(f);
    return r;
  }
  SmallVector<ReassociationIndices> ra;
  Value a2 = foldRows(b, loc, A, ra);
  Value y = int8Matmul(b, loc, a2, w, ProductKind::BF16);
  if (Value bias = op.getBias())
    y = combinePerChannel(b, loc, y, bias, 1);
  Value residual = op.getResidual();
  if (residual && r != 2)
    residual = tensor::CollapseShapeOp::create(b, loc, rtt(y), residual, ra);
  return unfoldRows(b, loc, applyAct(b, loc, op, y, residual), A, res, ra);
}

FailureOr<Value> lowerMatmul(PatternRewriter &b, nn::MatmulOp op) {
  if (rtt(op.getLhs()).getElementType().isBF16())
    return lowerBF16Matmul(b, op);
  Location loc = op.getLoc();
  Value A = op.getLhs(), B = op.getRhs();
  auto at = rtt(A), bt = rtt(B), res = rtt(op.getResult());
  int64_t r = res.getRank();
  Type et = res.getElementType();
  if (at.getRank() != r || bt.getRank() != r)
    return b.notifyMatchFailure(op, "operands must have the result's rank (normalized form)");
  Value bias = op.getBias(), residual = op.getResidual();
  if ((bias || residual) && !isa<FloatType>(et))
    return b.notifyMatchFailure(op, "a fused bias/residual needs a float result");
  Value zero = scalar(b, loc, et, 0);
  if (r == 2) {
    SmallVector<Value> dims{dimOf(b, loc, A, 0), dimOf(b, loc, B, 1)};
    Value init = epilogueInit(b, loc, res, dims, bias, 1);
    Value mm = linalg::MatmulOp::create(b, loc, TypeRange{res}, ValueRange{A, B}, ValueRange{init}).getResult(0);
    return applyAct(b, loc, op, mm, residual);
  }
  bool rhsUnitBatch = llvm::all_of(bt.getShape().drop_back(2), [](int64_t d) { return d == 1; });
  if (rhsUnitBatch) {
    // Fold the batch dims of A into M: [b..., M, K] -> [B*M, K].
    SmallVector<ReassociationIndices> ra;
    Value a2 = foldRows(b, loc, A, ra);
    auto b2T = RankedTensorType::get({bt.getDimSize(r - 2), bt.getDimSize(r - 1)}, et);
    // A constant rhs (a weight) is re-typed as a 2-D constant over the same
    // data (retypedConstant: the matmul would otherwise read its rhs through
    // the collapsed view, many times slower).
    Value b2 = retypedConstant(b, loc, B, b2T);
    if (!b2)
      b2 = tensor::CollapseShapeOp::create(b, loc, b2T, B, ra);
    auto r2T = RankedTensorType::get({rtt(a2).getDimSize(0), bt.getDimSize(r - 1)}, et);
    SmallVector<Value> dims{dimOf(b, loc, a2, 0), dimOf(b, loc, b2, 1)};
    Value res2 = residual ? (Value)tensor::CollapseShapeOp::create(b, loc, r2T, residual, ra) : Value();
    Value init = epilogueInit(b, loc, r2T, dims, bias, 1);
    Value mm = linalg::MatmulOp::create(b, loc, TypeRange{r2T}, ValueRange{a2, b2}, ValueRange{init}).getResult(0);
    return unfoldRows(b, loc, applyAct(b, loc, op, mm, res2), A, res, ra);
  }
  // General: broadcast both to the full batch, collapse the batch dims.
  SmallVector<Value> resDims;
  for (int64_t i = 0; i < r - 2; ++i) {
    Value d = at.getDimSize(i) != 1 ? dimOf(b, loc, A, i) : dimOf(b, loc, B, i);
    resDims.push_back(d);
  }
  auto bcast = [&](Value v, int64_t m, int64_t n, Value dm, Value dn) -> Value {
    auto t = rtt(v);
    SmallVector<int64_t> shape(res.getShape().drop_back(2));
    shape.push_back(m);
    shape.push_back(n);
    auto full = RankedTensorType::get(shape, et);
    bool needs = false;
    for (int64_t i = 0; i < r - 2; ++i)
      if (t.getDimSize(i) == 1 && full.getDimSize(i) != 1) needs = true;
    if (!needs)
      return v;
    SmallVector<Value> dims(resDims);
    dims.push_back(dm);
    dims.push_back(dn);
    return elementwise(b, loc, full, ValueRange{v}, [](OpBuilder &, Location, ValueRange a) { return a[0]; });
  };
  A = bcast(A, at.getDimSize(r - 2), at.getDimSize(r - 1), dimOf(b, loc, A, r - 2), dimOf(b, loc, A, r - 1));
  B = bcast(B, bt.getDimSize(r - 2), bt.getDimSize(r - 1), dimOf(b, loc, B, r - 2), dimOf(b, loc, B, r - 1));
  at = rtt(A);
  bt = rtt(B);
  SmallVector<ReassociationIndices> re{{}, {r - 2}, {r - 1}};
  for (int64_t i = 0; i < r - 2; ++i) re[0].push_back(i);
  int64_t batch = 1;
  for (int64_t i = 0; i < r - 2; ++i)
    batch = (batch == kDyn || res.getDimSize(i) == kDyn) ? kDyn : batch * res.getDimSize(i);
  auto a3T = RankedTensorType::get({batch, at.getDimSize(r - 2), at.getDimSize(r - 1)}, et);
  auto b3T = RankedTensorType::get({batch, bt.getDimSize(r - 2), bt.getDimSize(r - 1)}, et);
  Value a3 = tensor::CollapseShapeOp::create(b, loc, a3T, A, re);
  Value b3 = tensor::CollapseShapeOp::create(b, loc, b3T, B, re);
  auto r3T = RankedTensorType::get({batch, at.getDimSize(r - 2), bt.getDimSize(r - 1)}, et);
  SmallVector<Value> dims{dimOf(b, loc, a3, 0), dimOf(b, loc, a3, 1), dimOf(b, loc, b3, 2)};
  Value init = fillTensor(b, loc, empty(b, loc, r3T, dims), zero);
  Value mm = linalg::BatchMatmulOp::create(b, loc, TypeRange{r3T}, ValueRange{a3, b3}, ValueRange{init}).getResult(0);
  SmallVector<OpFoldResult> os;
  for (int64_t i = 0; i < r - 2; ++i)
    os.push_back(res.isDynamicDim(i) ? OpFoldResult(resDims[i]) : OpFoldResult(b.getIndexAttr(res.getDimSize(i))));
  os.push_back(r3T.isDynamicDim(1) ? OpFoldResult(dims[1]) : OpFoldResult(b.getIndexAttr(r3T.getDimSize(1))));
  os.push_back(r3T.isDynamicDim(2) ? OpFoldResult(dims[2]) : OpFoldResult(b.getIndexAttr(r3T.getDimSize(2))));
  Value y = tensor::ExpandShapeOp::create(b, loc, res, mm, re, os);
  if (bias) {
    SmallVector<int64_t> bshape(r, 1);
    bshape[r - 1] = rtt(bias).getDimSize(0);
    SmallVector<ReassociationIndices> bre{{}};
    for (int64_t i = 0; i < r; ++i) bre.back().push_back(i);
    Value bN = tensor::ExpandShapeOp::create(b, loc, RankedTensorType::get(bshape, et), bias, bre);
    y = elementwise(b, loc, res, ValueRange{y, bN}, [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
      return arith::AddFOp::create(nb, nl, a[0], a[1]);
    });
  }
  return unfusedEpilogue(b, loc, op, y);
}

/// nn.qmatmul: the batch dims of lhs folded into M, the int32 accumulator
/// [M, N] as one linalg.generic (lhs zero- or sign-extended, rhs
/// sign-extended), then the dequantizing epilogue y = float(acc - zp *
/// sum_k(rhs[k, n])) * (sx * sw[n]) + bias[n], the residual add and the
/// activation.
FailureOr<Value> lowerQMatmul(PatternRewriter &b, nn::QMatmulOp op) {
  Location loc = op.getLoc();
  Value A = op.getLhs(), B = op.getRhs();
  auto at = rtt(A), bt = rtt(B), res = rtt(op.getResult());
  int64_t r = res.getRank(), K = bt.getDimSize(0), N = bt.getDimSize(1);
  SmallVector<int8_t> w;
  SmallVector<float> ws;
  if (!readI8Constant(B, w) || !readF32Constant(op.getRhsScale(), ws) || (int64_t)ws.size() != N)
    return b.notifyMatchFailure(op, "int8 matmul needs a constant rhs and rhs scale");
  Type f32 = b.getF32Type();
  int64_t zp = op.getLhsZeroPoint();
  bool u = op.getLhsUnsigned();
  SmallVector<ReassociationIndices> ra;
  Value a2 = foldRows(b, loc, A, ra);
  SmallVector<Value> dims{dimOf(b, loc, a2, 0), cIdx(b, loc, N)};
  Value acc = int8Matmul(b, loc, a2, B, u ? ProductKind::U8 : ProductKind::S8);
  SmallVector<int64_t> wsum(N, 0);
  for (int64_t kk = 0; kk < K; ++kk)
    for (int64_t j = 0; j < N; ++j)
      wsum[j] += w[kk * N + j];
  Value y;
  if (res.getElementType().isInteger(32)) {
    // The exact accumulators (MatMulInteger): acc - zp * sum_k w[k, n].
    y = acc;
    if (zp != 0) {
      SmallVector<int32_t> comp;
      for (int64_t j = 0; j < N; ++j)
        comp.push_back(int32_t(zp * wsum[j]));
      auto compT = RankedTensorType::get({N}, b.getI32Type());
      y = combinePerChannel(
          b, loc, acc, arith::ConstantOp::create(b, loc, compT, DenseElementsAttr::get(compT, ArrayRef<int32_t>(comp))),
          1);
    }
  } else {
    auto r2T = rtt(acc).clone(f32);
    y = dequantEpilogue(b, loc, acc, b.getMultiDimIdentityMap(2), wsum, zp, op.getLhsScale().convertToFloat(),
                        ws, op.getBias(), r2T, 1, dims);
    Value residual = op.getResidual();
    if (residual && r != 2)
      residual = tensor::CollapseShapeOp::create(b, loc, r2T, residual, ra);
    y = applyAct(b, loc, op, y, residual);
  }
  return unfoldRows(b, loc, y, A, res, ra);
}

/// nn.int4_matmul: the batch dims of lhs folded into M, then one
/// linalg.generic over (m, n, g, j, p) with k = g G + 2 j + p that
/// accumulates x[m, k] * (code(k, n) - zp[g, n]) * scale[g, n] in f32 into
/// zeros (the code: nibble p of byte rhs[g G / 2 + j, n]; x and the codes
/// are read through [M, K / G, G / 2, 2] and [K / G, G / 2, N] views, so
/// that every loop is a dim of some operand), marked kiln.int4_product = G
/// for the CPU's int4 kernel (kiln-cpu-int4-matmul), then the bias,
/// residual and activation.
FailureOr<Value> lowerInt4Matmul(PatternRewriter &b, nn::Int4MatmulOp op) {
  Location loc = op.getLoc();
  Value A = op.getLhs();
  auto res = rtt(op.getResult());
  int64_t r = res.getRank(), G = op.getGroupSize();
  auto wt = rtt(op.getRhs());
  int64_t N = wt.getDimSize(1), K = 2 * wt.getDimSize(0);
  SmallVector<int8_t> zp;
  if (!readI8Constant(op.getRhsZeroPoint(), zp))
    return b.notifyMatchFailure(op, "int4 matmul needs constant zero points");
  SmallVector<float> zf(zp.begin(), zp.end());
  Value zpF = makeF32Constant(b, loc, rtt(op.getRhsZeroPoint()).clone(b.getF32Type()), zf, "int4_zero_points_f32");
  Value codes = retypedConstant(b, loc, op.getRhs(), RankedTensorType::get({K / G, G / 2, N}, b.getI8Type()));
  if (!codes)
    return b.notifyMatchFailure(op, "int4 matmul needs constant weights");
  Type f32 = b.getF32Type();
  SmallVector<ReassociationIndices> ra;
  Value a2 = foldRows(b, loc, A, ra);
  int64_t M = rtt(a2).getDimSize(0);
  OpFoldResult mDim = M == kDyn ? OpFoldResult(dimOf(b, loc, a2, 0)) : OpFoldResult(b.getIndexAttr(M));
  SmallVector<OpFoldResult> xShape{mDim, b.getIndexAttr(K / G), b.getIndexAttr(G / 2), b.getIndexAttr(2)};
  Value xs = a2;
  if (op.getLhsInt8()) {
    // W4A8: x rounded to q * sx per row and group, sx = max |x| / 127 over
    // the group (1 for zeros), q = clamp(round_half_even(x / sx), -127, 127).
    auto x3T = RankedTensorType::get({M, K / G, G}, f32);
    Value x3 = tensor::ExpandShapeOp::create(b, loc, x3T, a2, SmallVector<ReassociationIndices>{{0}, {1, 2}},
                                             SmallVector<OpFoldResult>{mDim, b.getIndexAttr(K / G), b.getIndexAttr(G)});
    auto gT = RankedTensorType::get({M, K / G}, f32);
    Value amax0 = fillTensor(b, loc, empty(b, loc, gT, {dimOf(b, loc, a2, 0), cIdx(b, loc, K / G)}), scalar(b, loc, f32, 0));
    MLIRContext *ctx = b.getContext();
    AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx), d2 = getAffineDimExpr(2, ctx);
    auto par = utils::IteratorType::parallel;
    Value amax = linalg::GenericOp::create(
                     b, loc, TypeRange{gT}, ValueRange{x3}, ValueRange{amax0},
                     SmallVector<AffineMap>{AffineMap::get(3, 0, {d0, d1, d2}, ctx), AffineMap::get(3, 0, {d0, d1}, ctx)},
                     SmallVector<utils::IteratorType>{par, par, utils::IteratorType::reduction},
                     [&](OpBuilder &nb, Location nl, ValueRange a) {
                       Value m = arith::MaximumFOp::create(nb, nl, a[1], math::AbsFOp::create(nb, nl, a[0]));
                       linalg::YieldOp::create(nb, nl, m);
                     })
                     .getResult(0);
    Value q3 = linalg::GenericOp::create(
                   b, loc, TypeRange{x3T}, ValueRange{x3, amax}, ValueRange{empty(b, loc, x3T, {dimOf(b, loc, a2, 0), cIdx(b, loc, K / G), cIdx(b, loc, G)})},
                   SmallVector<AffineMap>{AffineMap::get(3, 0, {d0, d1, d2}, ctx), AffineMap::get(3, 0, {d0, d1}, ctx),
                                          AffineMap::get(3, 0, {d0, d1, d2}, ctx)},
                   SmallVector<utils::IteratorType>(3, par), [&](OpBuilder &nb, Location nl, ValueRange a) {
                     Value zero = scalar(nb, nl, f32, 0), one = scalar(nb, nl, f32, 1);
                     Value pos = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT, a[1], zero);
                     Value sx = arith::SelectOp::create(
                         nb, nl, pos, arith::DivFOp::create(nb, nl, a[1], scalar(nb, nl, f32, 127)), one);
                     Value q = math::RoundEvenOp::create(nb, nl, arith::DivFOp::create(nb, nl, a[0], sx));
                     q = arith::MinimumFOp::create(nb, nl, arith::MaximumFOp::create(nb, nl, q, scalar(nb, nl, f32, -127)),
                                                   scalar(nb, nl, f32, 127));
                     Value r = arith::MulFOp::create(nb, nl, q, sx);
                     linalg::YieldOp::create(nb, nl, r);
                   })
                   .getResult(0);
    xs = tensor::CollapseShapeOp::create(b, loc, rtt(a2), q3, SmallVector<ReassociationIndices>{{0}, {1, 2}});
  }
  Value x4 = tensor::ExpandShapeOp::create(b, loc, RankedTensorType::get({M, K / G, G / 2, 2}, f32), xs,
                                           SmallVector<ReassociationIndices>{{0}, {1, 2, 3}}, xShape);
  auto r2T = RankedTensorType::get({M, N}, f32);
  Value acc = fillTensor(b, loc, empty(b, loc, r2T, {dimOf(b, loc, a2, 0), cIdx(b, loc, N)}), scalar(b, loc, f32, 0));
  MLIRContext *ctx = b.getContext();
  AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx), g = getAffineDimExpr(2, ctx),
             j = getAffineDimExpr(3, ctx), p = getAffineDimExpr(4, ctx);
  auto par = utils::IteratorType::parallel, red = utils::IteratorType::reduction;
  auto prod = linalg::GenericOp::create(
      b, loc, TypeRange{r2T}, ValueRange{x4, codes, op.getRhsScale(), zpF}, ValueRange{acc},
      SmallVector<AffineMap>{AffineMap::get(5, 0, {m, g, j, p}, ctx), AffineMap::get(5, 0, {g, j, n}, ctx),
                             AffineMap::get(5, 0, {g, n}, ctx), AffineMap::get(5, 0, {g, n}, ctx),
                             AffineMap::get(5, 0, {m, n}, ctx)},
      SmallVector<utils::IteratorType>{par, par, red, red, red}, [&](OpBuilder &nb, Location nl, ValueRange a) {
        Type i32 = nb.getI32Type();
        Value byte = arith::ExtUIOp::create(nb, nl, i32, a[1]);
        Value shift = arith::IndexCastOp::create(
            nb, nl, i32, arith::MulIOp::create(nb, nl, linalg::IndexOp::create(nb, nl, 4), cIdx(nb, nl, 4)));
        Value code = arith::AndIOp::create(nb, nl, arith::ShRUIOp::create(nb, nl, byte, shift),
                                           arith::ConstantIntOp::create(nb, nl, i32, 15));
        Value w = arith::MulFOp::create(
            nb, nl, arith::SubFOp::create(nb, nl, arith::UIToFPOp::create(nb, nl, nb.getF32Type(), code), a[3]), a[2]);
        Value sum = arith::AddFOp::create(nb, nl, a[4], arith::MulFOp::create(nb, nl, a[0], w));
        linalg::YieldOp::create(nb, nl, sum);
      });
  prod->setAttr(kiln::quant::kInt4ProductAttr, b.getI64IntegerAttr(G));
  if (op.getLhsInt8())
    prod->setAttr(kiln::quant::kInt4LhsInt8Attr, b.getUnitAttr());
  Value y = prod.getResult(0);
  if (Value bias = op.getBias())
    y = combinePerChannel(b, loc, y, bias, 1);
  Value residual = op.getResidual();
  if (residual && r != 2)
    residual = tensor::CollapseShapeOp::create(b, loc, r2T, residual, ra);
  return unfoldRows(b, loc, applyAct(b, loc, op, y, residual), A, res, ra);
}

/// nn.einsum: one linalg.generic whose loops are the equation's letters
/// (output letters parallel, the others reductions).
Value lowerEinsum(OpBuilder &b, nn::EinsumOp op) {
  Location loc = op.getLoc();
  StringRef eq = op.getEquation();
  size_t arrow = eq.find("->");
  SmallVector<StringRef> terms;
  eq.take_front(arrow).split(terms, ',');
  StringRef out = eq.drop_front(arrow + 2);
  auto res = rtt(op.getResult());
  // Loop order: output letters, then the summed ones.
  std::string loops = out.str();
  for (StringRef t : terms)
    for (char c : t)
      if (loops.find(c) == std::string::npos)
        loops += c;
  auto loopOf = [&](char c) { return (unsigned)loops.find(c); };
  unsigned n = loops.size();
  SmallVector<AffineMap> maps;
  for (auto [i, t] : llvm::enumerate(terms)) {
    auto in = rtt(op.getInputs()[i]);
    SmallVector<AffineExpr> exprs;
    for (auto kcOuter : llvm::enumerate(t)) {
      int64_t k = kcOuter.index();
      char c = kcOuter.value();
      // A static size-1 dim broadcasts unless every use of the letter is 1.
      bool bcast = in.getDimSize(k) == 1 && llvm::any_of(llvm::enumerate(terms), [&](auto jt) {
                     auto other = rtt(op.getInputs()[jt.index()]);
                     for (auto kc : llvm::enumerate(jt.value()))
                       if (kc.value() == c && other.getDimSize(kc.index()) != 1)
                         return true;
                     return false;
                   });
      exprs.push_back(bcast ? b.getAffineConstantExpr(0) : b.getAffineDimExpr(loopOf(c)));
    }
    maps.push_back(AffineMap::get(n, 0, exprs, b.getContext()));
  }
  SmallVector<AffineExpr> outExprs;
  for (char c : out)
    outExprs.push_back(b.getAffineDimExpr(loopOf(c)));
  maps.push_back(AffineMap::get(n, 0, outExprs, b.getContext()));
  SmallVector<utils::IteratorType> iters;
  for (unsigned l = 0; l < n; ++l)
    iters.push_back(l < out.size() ? utils::IteratorType::parallel : utils::IteratorType::reduction);
  // Result dims: from an input dim with the same letter that is not a broadcast 1.
  SmallVector<Value> dims;
  for (auto [k, c] : llvm::enumerate(out)) {
    Value d;
    if (res.isDynamicDim(k))
      for (auto [i, t] : llvm::enumerate(terms))
        for (auto [kk, cc] : llvm::enumerate(t))
          if (!d && cc == c && rtt(op.getInputs()[i]).getDimSize(kk) != 1)
            d = dimOf(b, loc, op.getInputs()[i], kk);
    dims.push_back(d ? d : cIdx(b, loc, 1));
  }
  Type et = res.getElementType();
  Value init = fillTensor(b, loc, empty(b, loc, res, dims), scalar(b, loc, et, 0));
  return linalg::GenericOp::create(
             b, loc, TypeRange{res}, op.getInputs(), ValueRange{init}, maps, iters,
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               Value p = a[0];
               for (Value v : a.drop_front().drop_back())
                 p = binaryScalar(nb, nl, nn::BinaryKind::mul, p, v);
               linalg::YieldOp::create(nb, nl, binaryScalar(nb, nl, nn::BinaryKind::add, a.back(), p));
             })
      .getResult(0);
}

Value lowerDet(OpBuilder &b, nn::DetOp d) {
  Location loc = d.getLoc();
  auto res = rtt(d.getResult());
  auto in = rtt(d.getInput());
  int64_t r = in.getRank(), n = in.getDimSize(r - 1);
  SmallVector<Value> dims;
  for (int64_t i = 0; i < r - 2; ++i) dims.push_back(dimOf(b, loc, d.getInput(), i));
  Value init = empty(b, loc, res, dims);
  Value x = d.getInput();
  return qGeneric(b, loc, res, init, {}, {}, SmallVector<utils::IteratorType>(r - 2, utils::IteratorType::parallel),
                  [&](OpBuilder &nb, Location nl, ValueRange) -> Value {
    Type ft = res.getElementType();
    SmallVector<Value> idx;
    for (int64_t i = 0; i < r - 2; ++i) idx.push_back(linalg::IndexOp::create(nb, nl, i));
    std::vector<std::vector<Value>> a(n, std::vector<Value>(n));
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j) {
        SmallVector<Value> ix = idx;
        ix.push_back(cIdx(nb, nl, i));
        ix.push_back(cIdx(nb, nl, j));
        a[i][j] = tensor::ExtractOp::create(nb, nl, x, ix);
      }
    Value det = scalar(nb, nl, ft, 1), zero = scalar(nb, nl, ft, 0);
    for (int64_t k = 0; k < n; ++k) {
      for (int64_t i = k + 1; i < n; ++i) {
        Value swap = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT,
                                           math::AbsFOp::create(nb, nl, a[i][k]),
                                           math::AbsFOp::create(nb, nl, a[k][k]));
        for (int64_t j = k; j < n; ++j) {
          Value t = a[k][j];
          a[k][j] = arith::SelectOp::create(nb, nl, swap, a[i][j], t);
          a[i][j] = arith::SelectOp::create(nb, nl, swap, t, a[i][j]);
        }
        det = arith::SelectOp::create(nb, nl, swap, arith::NegFOp::create(nb, nl, det), det);
      }
      det = arith::MulFOp::create(nb, nl, det, a[k][k]);
      Value piv0 = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ, a[k][k], zero);
      for (int64_t i = k + 1; i < n; ++i) {
        Value f = arith::DivFOp::create(nb, nl, a[i][k], a[k][k]);
        f = arith::SelectOp::create(nb, nl, piv0, zero, f);
        for (int64_t j = k + 1; j < n; ++j)
          a[i][j] = arith::SubFOp::create(nb, nl, a[i][j], arith::MulFOp::create(nb, nl, f, a[k][j]));
      }
    }
    return det;
  });
}

} // namespace

void kiln::nn_to_linalg::populateMatmulPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerToLinalg<nn::MatmulOp, lowerMatmul>, LowerToLinalg<nn::EinsumOp, lowerEinsum>,
               LowerToLinalg<nn::DetOp, lowerDet>, LowerToLinalg<nn::QMatmulOp, lowerQMatmul>,
               LowerToLinalg<nn::Int4MatmulOp, lowerInt4Matmul>>(patterns.getContext());
}
