//===- Indexing.cpp - gathers, scatters and masks to linalg ---------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// nn.gather, nn.gather_elements, nn.gather_nd, nn.scatter_elements,
// nn.scatter_nd, nn.one_hot, nn.trilu, nn.compress and nn.reverse_sequence.
// Gathers are a linalg.generic reading the input with tensor.extract at the
// (wrapped, clamped) index; scatters an scf.for nest of tensor.insert.
//
//===----------------------------------------------------------------------===//

#include "Common.h"
#include "Patterns.h"

#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace kiln::nn_to_linalg;
namespace nn = kiln::nn;

namespace {

/// An integer index element as `index`, negative values wrapped by `dim`
/// and the result clamped into [0, dim) so that a bad index cannot touch
/// memory outside the tensor.
Value wrapIndex(OpBuilder &b, Location loc, Value v, Value dim) {
  if (!v.getType().isIndex())
    v = arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
  Value zero = cIdx(b, loc, 0);
  Value neg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, v, zero);
  v = arith::SelectOp::create(b, loc, neg, arith::AddIOp::create(b, loc, v, dim), v);
  v = arith::MaxSIOp::create(b, loc, v, zero);
  return arith::MinSIOp::create(b, loc, v, arith::SubIOp::create(b, loc, dim, cIdx(b, loc, 1)));
}

/// Stores update `upd` at `dst` of the scatter accumulator `acc`, combined
/// with the value there by `reduction` (none: the update replaces it).
Value scatterStore(OpBuilder &b, Location loc, StringRef reduction, Value acc, ValueRange dst, Value upd) {
  std::optional<nn::BinaryKind> k = llvm::StringSwitch<std::optional<nn::BinaryKind>>(reduction)
                                        .Case("add", nn::BinaryKind::add)
                                        .Case("mul", nn::BinaryKind::mul)
                                        .Case("max", nn::BinaryKind::max)
                                        .Case("min", nn::BinaryKind::min)
                                        .Default(std::nullopt);
  if (k)
    upd = binaryScalar(b, loc, *k, tensor::ExtractOp::create(b, loc, acc, dst), upd);
  return tensor::InsertOp::create(b, loc, upd, acc, dst);
}

FailureOr<Value> lowerGather(OpBuilder &b, nn::GatherOp op) {
  Location loc = op.getLoc();
  auto res = rtt(op.getResult());
  Value x = op.getInput(), ind = op.getIndices();
  auto it = rtt(ind);
  int64_t axis = op.getAxis(), ir = it.getRank();
  // One constant index into a static axis (a KV cache's layer, a token's
  // position): a rank-reducing slice, a view of the input after
  // bufferization instead of a gathered copy.
  DenseIntElementsAttr ci;
  int64_t axisSize = rtt(x).getDimSize(axis);
  if (ir == 0 && matchPattern(ind, m_Constant(&ci)) && !ShapedType::isDynamic(axisSize)) {
    int64_t k = (*ci.getValues<APInt>().begin()).getSExtValue();
    if (k < 0)
      k += axisSize;
    if (k >= 0 && k < axisSize) {
      int64_t r = rtt(x).getRank();
      SmallVector<OpFoldResult> offsets(r, b.getIndexAttr(0)), sizes, strides(r, b.getIndexAttr(1));
      offsets[axis] = b.getIndexAttr(k);
      for (int64_t i = 0; i < r; ++i)
        sizes.push_back(i == axis ? OpFoldResult(b.getIndexAttr(1))
                        : rtt(x).isDynamicDim(i) ? OpFoldResult(dimOf(b, loc, x, i))
                                                 : OpFoldResult(b.getIndexAttr(rtt(x).getDimSize(i))));
      return tensor::ExtractSliceOp::create(b, loc, res, x, offsets, sizes, strides).getResult();
    }
  }
  SmallVector<Value> dims;
  for (int64_t i = 0; i < res.getRank(); ++i) {
    if (i < axis) dims.push_back(dimOf(b, loc, x, i));
    else if (i < axis + ir) dims.push_back(dimOf(b, loc, ind, i - axis));
    else dims.push_back(dimOf(b, loc, x, i - ir + 1));
  }
  Value init = empty(b, loc, res, dims);
  SmallVector<AffineExpr> ie;
  for (int64_t i = 0; i < ir; ++i) ie.push_back(b.getAffineDimExpr(axis + i));
  SmallVector<AffineMap> maps{AffineMap::get(res.getRank(), 0, ie, b.getContext()),
                              b.getMultiDimIdentityMap(res.getRank())};
  Value axisDim = dimOf(b, loc, x, axis);
  return linalg::GenericOp::create(
             b, loc, TypeRange{res}, ValueRange{ind}, ValueRange{init}, maps,
             SmallVector<utils::IteratorType>(res.getRank(), utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               Value iv = arith::IndexCastOp::create(nb, nl, nb.getIndexType(), a[0]);
               Value neg = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, iv, cIdx(nb, nl, 0));
               Value wrapped = arith::AddIOp::create(nb, nl, iv, axisDim);
               iv = arith::SelectOp::create(nb, nl, neg, wrapped, iv);
               // Clamp so a bad index cannot read out of bounds.
               iv = arith::MaxSIOp::create(nb, nl, iv, cIdx(nb, nl, 0));
               iv = arith::MinSIOp::create(nb, nl, iv, arith::SubIOp::create(nb, nl, axisDim, cIdx(nb, nl, 1)));
               SmallVector<Value> idx;
               for (int64_t i = 0; i < rtt(x).getRank(); ++i) {
                 if (i < axis) idx.push_back(linalg::IndexOp::create(nb, nl, i));
                 else if (i == axis) idx.push_back(iv);
                 else idx.push_back(linalg::IndexOp::create(nb, nl, i + ir - 1));
               }
               linalg::YieldOp::create(nb, nl, tensor::ExtractOp::create(nb, nl, x, idx).getResult());
             })
      .getResult(0);
}

FailureOr<Value> lowerGatherElements(OpBuilder &b, nn::GatherElementsOp op) {
  Location loc = op.getLoc();
  auto res = rtt(op.getResult());
  Value x = op.getInput(), ind = op.getIndices();
  int64_t axis = op.getAxis(), r = res.getRank();
  Value init = empty(b, loc, res, allDims(b, loc, ind));
  Value axisDim = dimOf(b, loc, x, axis);
  SmallVector<AffineMap> maps(2, b.getMultiDimIdentityMap(r));
  return linalg::GenericOp::create(
             b, loc, TypeRange{res}, ValueRange{ind}, ValueRange{init}, maps,
             SmallVector<utils::IteratorType>(r, utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               SmallVector<Value> idx;
               for (int64_t i = 0; i < r; ++i)
                 idx.push_back(i == axis ? wrapIndex(nb, nl, a[0], axisDim)
                                         : (Value)linalg::IndexOp::create(nb, nl, i));
               linalg::YieldOp::create(nb, nl, tensor::ExtractOp::create(nb, nl, x, idx).getResult());
             })
      .getResult(0);
}

FailureOr<Value> lowerGatherND(OpBuilder &b, nn::GatherNDOp op) {
  Location loc = op.getLoc();
  auto res = rtt(op.getResult());
  Value x = op.getInput(), ind = op.getIndices();
  int64_t q = rtt(ind).getRank(), k = rtt(ind).getDimSize(q - 1), bd = op.getBatchDims();
  int64_t r = res.getRank();
  SmallVector<Value> dims;
  for (int64_t i = 0; i < q - 1; ++i) dims.push_back(dimOf(b, loc, ind, i));
  for (int64_t i = bd + k; i < rtt(x).getRank(); ++i) dims.push_back(dimOf(b, loc, x, i));
  Value init = empty(b, loc, res, dims);
  SmallVector<Value> xdims = allDims(b, loc, x);
  return generateOver(b, loc, init,
             [&](OpBuilder &nb, Location nl, ValueRange) {
               SmallVector<Value> outer, src;
               for (int64_t i = 0; i < q - 1; ++i) outer.push_back(linalg::IndexOp::create(nb, nl, i));
               for (int64_t i = 0; i < bd; ++i) src.push_back(outer[i]);
               for (int64_t j = 0; j < k; ++j) {
                 SmallVector<Value> ii(outer);
                 ii.push_back(cIdx(nb, nl, j));
                 Value v = tensor::ExtractOp::create(nb, nl, ind, ii);
                 src.push_back(wrapIndex(nb, nl, v, xdims[bd + j]));
               }
               for (int64_t i = q - 1; i < r; ++i) src.push_back(linalg::IndexOp::create(nb, nl, i));
               linalg::YieldOp::create(nb, nl, tensor::ExtractOp::create(nb, nl, x, src).getResult());
             });
}

FailureOr<Value> lowerScatterElements(OpBuilder &b, nn::ScatterElementsOp op) {
  Location loc = op.getLoc();
  Value ind = op.getIndices(), upd = op.getUpdates();
  int64_t axis = op.getAxis();
  StringRef red = op.getReduction();
  Value axisDim = dimOf(b, loc, op.getData(), axis);
  return tensorLoopNest(b, loc, allDims(b, loc, ind), op.getData(),
                        [&](OpBuilder &nb, Location nl, ValueRange ivs, Value acc) -> Value {
                          Value i = tensor::ExtractOp::create(nb, nl, ind, ivs);
                          Value u = tensor::ExtractOp::create(nb, nl, upd, ivs);
                          SmallVector<Value> dst(ivs.begin(), ivs.end());
                          dst[axis] = wrapIndex(nb, nl, i, axisDim);
                          return scatterStore(nb, nl, red, acc, dst, u);
                        });
}

FailureOr<Value> lowerScatterND(OpBuilder &b, nn::ScatterNDOp op) {
  Location loc = op.getLoc();
  Value ind = op.getIndices(), upd = op.getUpdates();
  int64_t q = rtt(ind).getRank(), k = rtt(ind).getDimSize(q - 1);
  StringRef red = op.getReduction();
  SmallVector<Value> xdims = allDims(b, loc, op.getData());
  return tensorLoopNest(b, loc, allDims(b, loc, upd), op.getData(),
                        [&](OpBuilder &nb, Location nl, ValueRange ivs, Value acc) -> Value {
                          SmallVector<Value> outer(ivs.begin(), ivs.begin() + (q - 1)), dst;
                          for (int64_t j = 0; j < k; ++j) {
                            SmallVector<Value> ii(outer);
                            ii.push_back(cIdx(nb, nl, j));
                            Value v = tensor::ExtractOp::create(nb, nl, ind, ii);
                            dst.push_back(wrapIndex(nb, nl, v, xdims[j]));
                          }
                          dst.append(ivs.begin() + (q - 1), ivs.end());
                          Value u = tensor::ExtractOp::create(nb, nl, upd, ivs);
                          return scatterStore(nb, nl, red, acc, dst, u);
                        });
}

FailureOr<Value> lowerOneHot(OpBuilder &b, nn::OneHotOp op) {
  Location loc = op.getLoc();
  auto res = rtt(op.getResult());
  Value ind = op.getIndices();
  int64_t axis = op.getAxis(), r = res.getRank();
  Value depth = castScalar(b, loc, scalarOf(b, loc, op.getDepth()), b.getI64Type(), false, false);
  depth = arith::MaxSIOp::create(b, loc, depth, scalar(b, loc, b.getI64Type(), 0));
  Value depthIdx = arith::IndexCastOp::create(b, loc, b.getIndexType(), depth);
  Value off = tensor::ExtractOp::create(b, loc, op.getValues(), ValueRange{cIdx(b, loc, 0)});
  Value on = tensor::ExtractOp::create(b, loc, op.getValues(), ValueRange{cIdx(b, loc, 1)});
  SmallVector<Value> dims;
  for (int64_t i = 0, j = 0; i < r; ++i)
    dims.push_back(i == axis ? depthIdx : dimOf(b, loc, ind, j++));
  Value init = empty(b, loc, res, dims);
  SmallVector<AffineExpr> ie;
  for (int64_t i = 0; i < r; ++i)
    if (i != axis) ie.push_back(b.getAffineDimExpr(i));
  SmallVector<AffineMap> maps{AffineMap::get(r, 0, ie, b.getContext()), b.getMultiDimIdentityMap(r)};
  return linalg::GenericOp::create(
             b, loc, TypeRange{res}, ValueRange{ind}, ValueRange{init}, maps,
             SmallVector<utils::IteratorType>(r, utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               Value v = castScalar(nb, nl, a[0], nb.getI64Type(), false, false);
               Value neg = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, v,
                                                 scalar(nb, nl, nb.getI64Type(), 0));
               v = arith::SelectOp::create(nb, nl, neg, arith::AddIOp::create(nb, nl, v, depth), v);
               Value j = arith::IndexCastOp::create(nb, nl, nb.getI64Type(),
                                                    linalg::IndexOp::create(nb, nl, axis));
               Value hit = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, v, j);
               linalg::YieldOp::create(nb, nl, arith::SelectOp::create(nb, nl, hit, on, off).getResult());
             })
      .getResult(0);
}

FailureOr<Value> lowerTrilu(OpBuilder &b, nn::TriluOp op) {
  Location loc = op.getLoc();
  auto res = rtt(op.getResult());
  int64_t r = res.getRank();
  Value k;
  if (op.getKInput()) {
    SmallVector<Value> zeros(rtt(op.getKInput()).getRank(), cIdx(b, loc, 0));
    k = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                   tensor::ExtractOp::create(b, loc, op.getKInput(), zeros));
  } else {
    k = cIdx(b, loc, op.getK());
  }
  bool upper = op.getUpper();
  Type et = res.getElementType();
  return elementwise(b, loc, res, ValueRange{op.getInput()},
                     [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                       Value i = linalg::IndexOp::create(nb, nl, r - 2);
                       Value j = linalg::IndexOp::create(nb, nl, r - 1);
                       Value d = arith::SubIOp::create(nb, nl, j, i);
                       Value keep = arith::CmpIOp::create(
                           nb, nl, upper ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle, d, k);
                       return arith::SelectOp::create(nb, nl, keep, a[0], scalar(nb, nl, et, 0));
                     });
}

FailureOr<Value> lowerCompress(OpBuilder &b, nn::CompressOp op) {
  Location loc = op.getLoc();
  auto res = rtt(op.getResult());
  Value x = op.getInput(), cond = op.getCondition();
  int64_t axis = op.getAxis(), r = res.getRank();
  Value n = arith::MinSIOp::create(b, loc, dimOf(b, loc, cond, 0), dimOf(b, loc, x, axis));
  Value zero = cIdx(b, loc, 0), one1 = cIdx(b, loc, 1);
  // Pass 1: count the selected slices.
  auto count = scf::ForOp::create(
      b, loc, zero, n, one1, ValueRange{zero},
      [&](OpBuilder &nb, Location nl, Value i, ValueRange iter) {
        Value c = tensor::ExtractOp::create(nb, nl, cond, ValueRange{i});
        Value inc = arith::SelectOp::create(nb, nl, c, cIdx(nb, nl, 1), cIdx(nb, nl, 0));
        scf::YieldOp::create(nb, nl, ValueRange{arith::AddIOp::create(nb, nl, iter[0], inc).getResult()});
      });
  SmallVector<Value> dims = allDims(b, loc, x);
  dims[axis] = count.getResult(0);
  if (!res.isDynamicDim(axis))
    dims[axis] = cIdx(b, loc, res.getDimSize(axis));
  Value init = empty(b, loc, res, dims);
  // Pass 2: copy every selected slice to the next free position.
  auto copy = scf::ForOp::create(
      b, loc, zero, n, one1, ValueRange{zero, init},
      [&](OpBuilder &nb, Location nl, Value i, ValueRange iter) {
        Value c = tensor::ExtractOp::create(nb, nl, cond, ValueRange{i});
        auto ifOp = scf::IfOp::create(
            nb, nl, c,
            [&](OpBuilder &tb, Location tl) {
              SmallVector<OpFoldResult> offs(r, tb.getIndexAttr(0)), sizes, strides(r, tb.getIndexAttr(1));
              for (int64_t d = 0; d < r; ++d)
                sizes.push_back(d == axis ? OpFoldResult(tb.getIndexAttr(1)) : mixedDim(tb, tl, x, d));
              offs[axis] = i;
              Value slice = tensor::ExtractSliceOp::create(tb, tl, x, offs, sizes, strides);
              offs[axis] = iter[0];
              Value upd = tensor::InsertSliceOp::create(tb, tl, slice, iter[1], offs, sizes, strides);
              Value next = arith::AddIOp::create(tb, tl, iter[0], cIdx(tb, tl, 1));
              scf::YieldOp::create(tb, tl, ValueRange{next, upd});
            },
            [&](OpBuilder &eb, Location el) { scf::YieldOp::create(eb, el, ValueRange{iter[0], iter[1]}); });
        scf::YieldOp::create(nb, nl, ifOp.getResults());
      });
  return copy.getResult(1);
}

FailureOr<Value> lowerReverseSequence(OpBuilder &b, nn::ReverseSequenceOp op) {
  Location loc = op.getLoc();
  auto res = rtt(op.getResult());
  Value x = op.getInput(), lens = op.getLens();
  int64_t ba = op.getBatchAxis(), ta = op.getTimeAxis(), r = res.getRank();
  Value init = empty(b, loc, res, allDims(b, loc, x));
  Value T = dimOf(b, loc, x, ta);
  SmallVector<AffineMap> maps{AffineMap::get(r, 0, {b.getAffineDimExpr(ba)}, b.getContext()),
                              b.getMultiDimIdentityMap(r)};
  return linalg::GenericOp::create(
             b, loc, TypeRange{res}, ValueRange{lens}, ValueRange{init}, maps,
             SmallVector<utils::IteratorType>(r, utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               Value len = arith::IndexCastOp::create(nb, nl, nb.getIndexType(), a[0]);
               len = arith::MinSIOp::create(nb, nl, arith::MaxSIOp::create(nb, nl, len, cIdx(nb, nl, 0)), T);
               Value t = linalg::IndexOp::create(nb, nl, ta);
               Value inside = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, t, len);
               Value rev = arith::SubIOp::create(nb, nl, arith::SubIOp::create(nb, nl, len, cIdx(nb, nl, 1)), t);
               SmallVector<Value> idx;
               for (int64_t i = 0; i < r; ++i)
                 idx.push_back(i == ta ? (Value)arith::SelectOp::create(nb, nl, inside, rev, t)
                                       : (Value)linalg::IndexOp::create(nb, nl, i));
               linalg::YieldOp::create(nb, nl, tensor::ExtractOp::create(nb, nl, x, idx).getResult());
             })
      .getResult(0);
}

} // namespace

void kiln::nn_to_linalg::populateIndexingPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerToLinalg<nn::GatherOp, lowerGather>, LowerToLinalg<nn::GatherElementsOp, lowerGatherElements>,
               LowerToLinalg<nn::GatherNDOp, lowerGatherND>,
               LowerToLinalg<nn::ScatterElementsOp, lowerScatterElements>,
               LowerToLinalg<nn::ScatterNDOp, lowerScatterND>, LowerToLinalg<nn::OneHotOp, lowerOneHot>,
               LowerToLinalg<nn::TriluOp, lowerTrilu>, LowerToLinalg<nn::CompressOp, lowerCompress>,
               LowerToLinalg<nn::ReverseSequenceOp, lowerReverseSequence>>(patterns.getContext());
}
