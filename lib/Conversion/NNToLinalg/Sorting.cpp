//===- Sorting.cpp - arg reductions, sorting and selection to linalg ------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// nn.arg_reduce, nn.hardmax, nn.cumsum, nn.topk, nn.nonzero, nn.unique and
// nn.non_max_suppression: arg reductions are a linalg.generic with (value,
// index) results; the others scf.for loops over tensors.
//
//===----------------------------------------------------------------------===//

#include "Common.h"
#include "Patterns.h"
#include "RuntimeChecks.h"

using namespace mlir;
using namespace kiln::nn_to_linalg;
namespace nn = kiln::nn;

namespace {

Value toI64(OpBuilder &b, Location loc, Value idx) {
  return arith::IndexCastOp::create(b, loc, b.getI64Type(), idx);
}

Value cmpI(OpBuilder &b, Location loc, arith::CmpIPredicate p, Value x, Value y) {
  return arith::CmpIOp::create(b, loc, p, x, y);
}

Value andI(OpBuilder &b, Location loc, Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }
Value orI(OpBuilder &b, Location loc, Value x, Value y) { return arith::OrIOp::create(b, loc, x, y); }
Value notI(OpBuilder &b, Location loc, Value x) {
  return arith::XOrIOp::create(b, loc, x, arith::ConstantIntOp::create(b, loc, 1, 1));
}

Value boolC(OpBuilder &b, Location loc, bool v) { return arith::ConstantIntOp::create(b, loc, v ? 1 : 0, 1); }
Value selectV(OpBuilder &b, Location loc, Value c, Value x, Value y) {
  return arith::SelectOp::create(b, loc, c, x, y);
}

/// x != 0 for an int or float scalar.
Value isNonZero(OpBuilder &b, Location loc, Value v) {
  Value z = scalar(b, loc, v.getType(), 0);
  if (isa<FloatType>(v.getType()))
    return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, v, z);
  return cmpI(b, loc, arith::CmpIPredicate::ne, v, z);
}

/// (values, indices) of the arg reduction of `x` along `axis`; the results
/// drop `axis`.  The combiner is commutative: ties are broken by the index.
std::pair<Value, Value> argReduce(OpBuilder &b, Location loc, Value x, int64_t axis, bool isMax,
                                  bool selectLast) {
  auto t = rtt(x);
  Type et = t.getElementType();
  SmallVector<int64_t> shape;
  SmallVector<Value> dims;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iters;
  for (int64_t i = 0; i < t.getRank(); ++i) {
    iters.push_back(i == axis ? utils::IteratorType::reduction : utils::IteratorType::parallel);
    if (i != axis) {
      shape.push_back(t.getDimSize(i));
      dims.push_back(dimOf(b, loc, x, i));
      outExprs.push_back(b.getAffineDimExpr(i));
    }
  }
  auto vT = RankedTensorType::get(shape, et);
  auto iT = RankedTensorType::get(shape, b.getI64Type());
  Value vInit = fillTensor(b, loc, empty(b, loc, vT, dims), isMax ? lowest(b, loc, et) : highest(b, loc, et));
  Value iInit = fillTensor(b, loc, empty(b, loc, iT, dims),
                           arith::ConstantIntOp::create(b, loc, selectLast ? -1 : INT64_MAX, 64));
  AffineMap outMap = AffineMap::get(t.getRank(), 0, outExprs, b.getContext());
  SmallVector<AffineMap> maps{b.getMultiDimIdentityMap(t.getRank()), outMap, outMap};
  auto g = linalg::GenericOp::create(
      b, loc, TypeRange{vT, iT}, ValueRange{x}, ValueRange{vInit, iInit}, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value v = a[0], bv = a[1], bi = a[2];
        Value i = toI64(nb, nl, linalg::IndexOp::create(nb, nl, axis));
        Value better = binaryScalar(nb, nl, isMax ? nn::BinaryKind::gt : nn::BinaryKind::lt, v, bv);
        Value eq = binaryScalar(nb, nl, nn::BinaryKind::eq, v, bv);
        Value tie = cmpI(nb, nl, selectLast ? arith::CmpIPredicate::sgt : arith::CmpIPredicate::slt, i, bi);
        Value take = orI(nb, nl, better, andI(nb, nl, eq, tie));
        linalg::YieldOp::create(nb, nl, ValueRange{selectV(nb, nl, take, v, bv), selectV(nb, nl, take, i, bi)});
      });
  return {g.getResult(0), g.getResult(1)};
}

FailureOr<Value> lowerArgReduce(OpBuilder &b, nn::ArgReduceOp op) {
  Location loc = op.getLoc();
  int64_t axis = op.getAxis();
  Value idx = argReduce(b, loc, op.getInput(), axis, op.getIsMax(), op.getSelectLast()).second;
  if (op.getKeepdims())
    idx = keepDims(b, loc, idx, {axis}, rtt(op.getInput()));
  return idx;
}

FailureOr<Value> lowerHardmax(OpBuilder &b, nn::HardmaxOp op) {
  Location loc = op.getLoc();
  Value x = op.getInput();
  int64_t axis = op.getAxis();
  auto res = rtt(op.getResult());
  Value idx = argReduce(b, loc, x, axis, /*isMax=*/true, /*selectLast=*/false).second;
  SmallVector<Value> dims;
  SmallVector<AffineExpr> exprs;
  for (int64_t i = 0; i < res.getRank(); ++i) {
    dims.push_back(dimOf(b, loc, x, i));
    if (i != axis)
      exprs.push_back(b.getAffineDimExpr(i));
  }
  Type et = res.getElementType();
  SmallVector<AffineMap> maps{AffineMap::get(res.getRank(), 0, exprs, b.getContext()),
                              b.getMultiDimIdentityMap(res.getRank())};
  return linalg::GenericOp::create(
             b, loc, TypeRange{res}, ValueRange{idx}, ValueRange{empty(b, loc, res, dims)}, maps,
             SmallVector<utils::IteratorType>(res.getRank(), utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               Value i = toI64(nb, nl, linalg::IndexOp::create(nb, nl, axis));
               Value eq = cmpI(nb, nl, arith::CmpIPredicate::eq, i, a[0]);
               linalg::YieldOp::create(nb, nl, selectV(nb, nl, eq, scalar(nb, nl, et, 1), scalar(nb, nl, et, 0)));
             })
      .getResult(0);
}

/// Cumulative sum of `x` along a static `axis`: one scf.for along the axis
/// carrying the running sum of a slice.
Value cumsumAlong(OpBuilder &b, Location loc, Value x, int64_t axis, bool exclusive, bool reverse) {
  auto t = rtt(x);
  int64_t r = t.getRank();
  SmallVector<Value> dims;
  SmallVector<int64_t> sshape(t.getShape());
  sshape[axis] = 1;
  auto sT = RankedTensorType::get(sshape, t.getElementType());
  SmallVector<Value> sdims;
  for (int64_t i = 0; i < r; ++i) {
    dims.push_back(dimOf(b, loc, x, i));
    sdims.push_back(i == axis ? cIdx(b, loc, 1) : dims.back());
  }
  Value acc0 = fillTensor(b, loc, empty(b, loc, sT, sdims), scalar(b, loc, t.getElementType(), 0));
  Value out0 = empty(b, loc, t, dims);
  Value n = dims[axis];
  auto res = forLoop(b, loc, cIdx(b, loc, 0), n, ValueRange{out0, acc0},
                     [&](OpBuilder &nb, Location nl, Value k, ValueRange args) -> SmallVector<Value> {
                       Value pos = k;
                       if (reverse)
                         pos = arith::SubIOp::create(nb, nl, arith::SubIOp::create(nb, nl, n, cIdx(nb, nl, 1)), k);
                       SmallVector<OpFoldResult> offs(r, nb.getIndexAttr(0)), sizes, strides(r, nb.getIndexAttr(1));
                       offs[axis] = pos;
                       for (int64_t i = 0; i < r; ++i)
                         sizes.push_back(i == axis ? OpFoldResult(nb.getIndexAttr(1)) : mixedDim(nb, nl, x, i));
                       Value s = tensor::ExtractSliceOp::create(nb, nl, sT, x, offs, sizes, strides);
                       Value acc = args[1];
                       Value out = args[0];
                       if (exclusive)
                         out = tensor::InsertSliceOp::create(nb, nl, acc, out, offs, sizes, strides);
                       // acc += s, in place (the loop carries one buffer).
                       Value next = linalg::GenericOp::create(
                                        nb, nl, TypeRange{sT}, ValueRange{s}, ValueRange{acc},
                                        SmallVector<AffineMap>(2, nb.getMultiDimIdentityMap(r)),
                                        SmallVector<utils::IteratorType>(r, utils::IteratorType::parallel),
                                        [](OpBuilder &bb, Location ll, ValueRange a) {
                                          linalg::YieldOp::create(
                                              bb, ll, binaryScalar(bb, ll, nn::BinaryKind::add, a[1], a[0]));
                                        })
                                        .getResult(0);
                       if (!exclusive)
                         out = tensor::InsertSliceOp::create(nb, nl, next, out, offs, sizes, strides);
                       return {out, next};
                     });
  return res[0];
}

FailureOr<Value> lowerCumSum(OpBuilder &b, nn::CumSumOp op) {
  Location loc = op.getLoc();
  Value x = op.getInput();
  auto res = rtt(op.getResult());
  bool ex = op.getExclusive(), rev = op.getReverse();
  auto fit = [&](Value v) -> Value {
    return v.getType() == res ? v : (Value)tensor::CastOp::create(b, loc, res, v);
  };
  if (!op.getAxisInput())
    return fit(cumsumAlong(b, loc, x, op.getAxis(), ex, rev));
  int64_t r = rtt(x).getRank();
  Value a = toIndex(b, loc, scalarOf(b, loc, op.getAxisInput()));
  Value neg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, a, cIdx(b, loc, 0));
  a = selectV(b, loc, neg, arith::AddIOp::create(b, loc, a, cIdx(b, loc, r)), a);
  SmallVector<int64_t> cases;
  for (int64_t i = 1; i < r; ++i)
    cases.push_back(i);
  // Axis 0 is the default case (an out-of-range axis is invalid ONNX).
  auto sw = scf::IndexSwitchOp::create(b, loc, TypeRange{res}, a, cases, cases.size());
  OpBuilder::InsertionGuard g(b);
  for (int64_t i = 0; i < r; ++i) {
    Region &region = i == 0 ? sw.getDefaultRegion() : sw.getCaseRegions()[i - 1];
    b.createBlock(&region);
    scf::YieldOp::create(b, loc, fit(cumsumAlong(b, loc, x, i, ex, rev)));
  }
  return sw.getResult(0);
}

/// TopK: per slice along the axis, k selection passes; pass j takes the
/// element that comes first, in the (value, index) order, among those after
/// the element of pass j - 1.
FailureOr<SmallVector<Value>> lowerTopK(OpBuilder &b, nn::TopKOp op) {
  Location loc = op.getLoc();
  Value x = op.getInput();
  auto t = rtt(x);
  int64_t r = t.getRank(), axis = op.getAxis();
  bool largest = op.getLargest();
  auto vT = rtt(op.getValues()), iT = rtt(op.getIndices());
  Value k = vT.isDynamicDim(axis) ? toIndex(b, loc, scalarOf(b, loc, op.getK())) : cIdx(b, loc, vT.getDimSize(axis));
  Value n = dimOf(b, loc, x, axis);
  // A run-time k outside [0, n] is reported by nn.check
  // (kiln-insert-runtime-checks); clamp it so the run stays memory-safe.
  if (vT.isDynamicDim(axis))
    k = kiln::clampIndex(b, loc, k, cIdx(b, loc, 0), n);
  SmallVector<Value> odims, outer;
  for (int64_t i = 0; i < r; ++i) {
    odims.push_back(i == axis ? k : dimOf(b, loc, x, i));
    if (i != axis)
      outer.push_back(odims.back());
  }
  Value v0 = empty(b, loc, vT, odims), i0 = empty(b, loc, iT, odims);
  Type et = t.getElementType();
  // a before b in the output order.
  auto before = [&](OpBuilder &nb, Location nl, Value va, Value ia, Value vb, Value ib) -> Value {
    Value strict = binaryScalar(nb, nl, largest ? nn::BinaryKind::gt : nn::BinaryKind::lt, va, vb);
    Value eq = binaryScalar(nb, nl, nn::BinaryKind::eq, va, vb);
    return orI(nb, nl, strict, andI(nb, nl, eq, cmpI(nb, nl, arith::CmpIPredicate::slt, ia, ib)));
  };
  auto res = loopNest(
      b, loc, outer, ValueRange{v0, i0},
      [&](OpBuilder &nb, Location nl, ValueRange ivs, ValueRange args) -> SmallVector<Value> {
        auto at = [&](Value pos) {
          SmallVector<Value> idx(ivs.begin(), ivs.end());
          idx.insert(idx.begin() + axis, pos);
          return idx;
        };
        Value lo = lowest(nb, nl, et), m1 = arith::ConstantIntOp::create(nb, nl, -1, 64);
        auto sel = forLoop(
            nb, nl, cIdx(nb, nl, 0), k, ValueRange{args[0], args[1], lo, m1},
            [&](OpBuilder &jb, Location jl, Value j, ValueRange ja) -> SmallVector<Value> {
              Value hasPrev = cmpI(jb, jl, arith::CmpIPredicate::sgt, j, cIdx(jb, jl, 0));
              Value prevV = ja[2], prevI = ja[3];
              auto best = forLoop(
                  jb, jl, cIdx(jb, jl, 0), n, ValueRange{lowest(jb, jl, et), m1, boolC(jb, jl, false)},
                  [&](OpBuilder &ib, Location il, Value i, ValueRange ia) -> SmallVector<Value> {
                    Value v = tensor::ExtractOp::create(ib, il, x, at(i));
                    Value ii = toI64(ib, il, i);
                    Value afterPrev = orI(ib, il, notI(ib, il, hasPrev), before(ib, il, prevV, prevI, v, ii));
                    Value better = orI(ib, il, notI(ib, il, ia[2]), before(ib, il, v, ii, ia[0], ia[1]));
                    Value take = andI(ib, il, afterPrev, better);
                    return {selectV(ib, il, take, v, ia[0]), selectV(ib, il, take, ii, ia[1]),
                            orI(ib, il, ia[2], take)};
                  });
              Value ov = tensor::InsertOp::create(jb, jl, best[0], ja[0], at(j));
              Value oi = tensor::InsertOp::create(jb, jl, best[1], ja[1], at(j));
              return {ov, oi, best[0], best[1]};
            });
        return {sel[0], sel[1]};
      });
  return SmallVector<Value>{res[0], res[1]};
}

FailureOr<Value> lowerNonZero(OpBuilder &b, nn::NonZeroOp op) {
  Location loc = op.getLoc();
  Value x = op.getInput();
  int64_t r = rtt(x).getRank();
  auto res = rtt(op.getResult());
  SmallVector<Value> ubs;
  for (int64_t i = 0; i < r; ++i)
    ubs.push_back(dimOf(b, loc, x, i));
  Value count = loopNest(b, loc, ubs, ValueRange{cIdx(b, loc, 0)},
                         [&](OpBuilder &nb, Location nl, ValueRange ivs, ValueRange a) -> SmallVector<Value> {
                           Value nz = isNonZero(nb, nl, tensor::ExtractOp::create(nb, nl, x, ivs));
                           return {selectV(nb, nl, nz, arith::AddIOp::create(nb, nl, a[0], cIdx(nb, nl, 1)), a[0])};
                         })[0];
  Value out0 = empty(b, loc, res, {cIdx(b, loc, r), count});
  return loopNest(b, loc, ubs, ValueRange{out0, cIdx(b, loc, 0)},
                  [&](OpBuilder &nb, Location nl, ValueRange ivs, ValueRange a) -> SmallVector<Value> {
                    Value nz = isNonZero(nb, nl, tensor::ExtractOp::create(nb, nl, x, ivs));
                    auto ifOp = scf::IfOp::create(
                        nb, nl, nz,
                        [&](OpBuilder &tb, Location tl) {
                          Value o = a[0];
                          for (int64_t d = 0; d < r; ++d)
                            o = tensor::InsertOp::create(tb, tl, toI64(tb, tl, ivs[d]), o,
                                                         ValueRange{cIdx(tb, tl, d), a[1]});
                          scf::YieldOp::create(tb, tl, ValueRange{o, arith::AddIOp::create(tb, tl, a[1], cIdx(tb, tl, 1))});
                        },
                        [&](OpBuilder &eb, Location el) { scf::YieldOp::create(eb, el, ValueRange{a[0], a[1]}); });
                    return {ifOp.getResult(0), ifOp.getResult(1)};
                  })[0];
}

/// Unique rows of [n, m]: (1) a stable bottom-up merge sort of the row
/// indices by row (lexicographic), O(n log n) row comparisons; (2) one pass
/// over the sorted order that numbers the groups of equal rows (the first
/// of each group, by stability, is the first occurrence); (3) unsorted: the
/// groups ranked by first occurrence; (4) fresh outputs of U rows filled in
/// one pass over the input rows.
FailureOr<SmallVector<Value>> lowerUnique(OpBuilder &b, nn::UniqueOp op) {
  Location loc = op.getLoc();
  Value x = op.getInput();
  Type i64 = b.getI64Type();
  Value n = dimOf(b, loc, x, 0), m = dimOf(b, loc, x, 1);
  Value c0 = cIdx(b, loc, 0), c1 = cIdx(b, loc, 1);
  auto vecT = RankedTensorType::get({kDyn}, b.getIndexType());
  auto newVec = [&](OpBuilder &nb, Location nl) -> Value {
    return tensor::EmptyOp::create(nb, nl, vecT.getShape(), vecT.getElementType(), ValueRange{n});
  };
  auto get = [&](OpBuilder &nb, Location nl, Value t, Value i) -> Value {
    return tensor::ExtractOp::create(nb, nl, t, ValueRange{i});
  };
  auto put = [&](OpBuilder &nb, Location nl, Value t, Value i, Value v) -> Value {
    return tensor::InsertOp::create(nb, nl, v, t, ValueRange{i});
  };
  auto add = [&](OpBuilder &nb, Location nl, Value p, Value q) -> Value {
    return arith::AddIOp::create(nb, nl, p, q);
  };
  auto elem = [&](OpBuilder &nb, Location nl, Value i, Value c) -> Value {
    return tensor::ExtractOp::create(nb, nl, x, ValueRange{i, c});
  };
  auto rowsEqual = [&](OpBuilder &nb, Location nl, Value i, Value j) -> Value {
    return forLoop(nb, nl, cIdx(nb, nl, 0), m, ValueRange{boolC(nb, nl, true)},
                   [&](OpBuilder &cb, Location cl, Value c, ValueRange a) -> SmallVector<Value> {
                     Value eq = binaryScalar(cb, cl, nn::BinaryKind::eq, elem(cb, cl, i, c), elem(cb, cl, j, c));
                     return {andI(cb, cl, a[0], eq)};
                   })[0];
  };
  auto rowLess = [&](OpBuilder &nb, Location nl, Value i, Value j) -> Value {
    auto r = forLoop(nb, nl, cIdx(nb, nl, 0), m, ValueRange{boolC(nb, nl, false), boolC(nb, nl, false)},
                     [&](OpBuilder &cb, Location cl, Value c, ValueRange a) -> SmallVector<Value> {
                       Value u = elem(cb, cl, i, c), v = elem(cb, cl, j, c);
                       Value lt = binaryScalar(cb, cl, nn::BinaryKind::lt, u, v);
                       Value gt = binaryScalar(cb, cl, nn::BinaryKind::gt, u, v);
                       return {orI(cb, cl, a[0], orI(cb, cl, lt, gt)), selectV(cb, cl, a[0], a[1], lt)};
                     });
    return r[1];
  };
  // (1) Merge sort of the row indices: ceil(log2 n) levels of runs of width
  // 2^l, merged into a second buffer (ties take the left run) and copied
  // back.
  Value perm0 = forLoop(b, loc, c0, n, ValueRange{newVec(b, loc)},
                        [&](OpBuilder &nb, Location nl, Value i, ValueRange a) -> SmallVector<Value> {
                          return {put(nb, nl, a[0], i, i)};
                        })[0];
  // levels = ceil(log2 n) = #{l in [0, 64) : 2^l < n} (math.ctlz has no
  // lowering on the CPU path).
  Value levels = forLoop(b, loc, c0, cIdx(b, loc, 64), ValueRange{c0},
                         [&](OpBuilder &nb, Location nl, Value l, ValueRange a) -> SmallVector<Value> {
                           Value w = arith::ShLIOp::create(nb, nl, cIdx(nb, nl, 1), l);
                           Value below = cmpI(nb, nl, arith::CmpIPredicate::ult, w, n);
                           return {selectV(nb, nl, below, add(nb, nl, a[0], cIdx(nb, nl, 1)), a[0])};
                         })[0];
  Value last = arith::SubIOp::create(b, loc, arith::MaxUIOp::create(b, loc, n, c1), c1);
  auto sortedBufs = forLoop(
      b, loc, c0, levels, ValueRange{perm0, newVec(b, loc)},
      [&](OpBuilder &lb, Location ll, Value l, ValueRange la) -> SmallVector<Value> {
        Value src = la[0];
        Value width = arith::ShLIOp::create(lb, ll, cIdx(lb, ll, 1), l);
        Value step = add(lb, ll, width, width);
        auto runs = scf::ForOp::create(
            lb, ll, cIdx(lb, ll, 0), n, step, ValueRange{la[1]},
            [&](OpBuilder &rb, Location rl, Value lo, ValueRange ra) {
              Value mid = arith::MinUIOp::create(rb, rl, add(rb, rl, lo, width), n);
              Value hi = arith::MinUIOp::create(rb, rl, add(rb, rl, lo, step), n);
              auto merged = forLoop(
                  rb, rl, lo, hi, ValueRange{ra[0], lo, mid},
                  [&](OpBuilder &kb, Location kl, Value k, ValueRange ka) -> SmallVector<Value> {
                    Value i = ka[1], j = ka[2];
                    Value iValid = cmpI(kb, kl, arith::CmpIPredicate::ult, i, mid);
                    Value jValid = cmpI(kb, kl, arith::CmpIPredicate::ult, j, hi);
                    Value a = get(kb, kl, src, arith::MinUIOp::create(kb, kl, i, last));
                    Value bb = get(kb, kl, src, arith::MinUIOp::create(kb, kl, j, last));
                    Value right = andI(kb, kl, jValid, orI(kb, kl, notI(kb, kl, iValid), rowLess(kb, kl, bb, a)));
                    Value dst = put(kb, kl, ka[0], k, selectV(kb, kl, right, bb, a));
                    Value one = cIdx(kb, kl, 1), zero = cIdx(kb, kl, 0);
                    return {dst, add(kb, kl, i, selectV(kb, kl, right, zero, one)),
                            add(kb, kl, j, selectV(kb, kl, right, one, zero))};
                  });
              scf::YieldOp::create(rb, rl, ValueRange{merged[0]});
            });
        // Copy back (one-shot bufferization does not swap loop buffers).
        Value back = linalg::CopyOp::create(lb, ll, runs.getResult(0), src).getResult(0);
        return {back, runs.getResult(0)};
      });
  Value sorted = sortedBufs[0];
  // (2) Groups of equal rows in sorted order: group of every input row,
  // first occurrence (leader) of every group, and U.
  auto groups = forLoop(
      b, loc, c0, n, ValueRange{newVec(b, loc), newVec(b, loc), c0},
      [&](OpBuilder &nb, Location nl, Value p, ValueRange a) -> SmallVector<Value> {
        Value r = get(nb, nl, sorted, p);
        Value prev = get(nb, nl, sorted, arith::SubIOp::create(nb, nl, arith::MaxUIOp::create(nb, nl, p, cIdx(nb, nl, 1)),
                                                               cIdx(nb, nl, 1)));
        Value isNew = orI(nb, nl, cmpI(nb, nl, arith::CmpIPredicate::eq, p, cIdx(nb, nl, 0)),
                          notI(nb, nl, rowsEqual(nb, nl, prev, r)));
        Value g = selectV(nb, nl, isNew, add(nb, nl, a[2], cIdx(nb, nl, 1)), a[2]);
        Value gid = arith::SubIOp::create(nb, nl, g, cIdx(nb, nl, 1));
        Value groupOf = put(nb, nl, a[0], r, gid);
        Value leader = put(nb, nl, a[1], gid, selectV(nb, nl, isNew, r, get(nb, nl, a[1], gid)));
        return {groupOf, leader, g};
      });
  Value groupOf = groups[0], leader = groups[1], U = groups[2];
  // (3) Output position of every group: its sorted rank, or its rank by
  // first occurrence.
  Value posOf;
  if (!op.getSorted()) {
    posOf = forLoop(b, loc, c0, n, ValueRange{newVec(b, loc), c0},
                    [&](OpBuilder &nb, Location nl, Value i, ValueRange a) -> SmallVector<Value> {
                      Value gid = get(nb, nl, groupOf, i);
                      Value isLeader = cmpI(nb, nl, arith::CmpIPredicate::eq, get(nb, nl, leader, gid), i);
                      Value pos = put(nb, nl, a[0], gid, selectV(nb, nl, isLeader, a[1], get(nb, nl, a[0], gid)));
                      return {pos, selectV(nb, nl, isLeader, add(nb, nl, a[1], cIdx(nb, nl, 1)), a[1])};
                    })[0];
  }
  // (4) Outputs.
  auto rowsT = rtt(op.getRows());
  Value rows0 = empty(b, loc, rowsT, {U, m});
  Value idx0 = empty(b, loc, rtt(op.getIndices()), {U});
  Value inv0 = empty(b, loc, rtt(op.getInverse()), {n});
  Value cnt0 = fillTensor(b, loc, empty(b, loc, rtt(op.getCounts()), {U}), scalar(b, loc, i64, 0));
  auto outs = forLoop(
      b, loc, c0, n, ValueRange{rows0, idx0, inv0, cnt0},
      [&](OpBuilder &nb, Location nl, Value i, ValueRange a) -> SmallVector<Value> {
        Value gid = get(nb, nl, groupOf, i);
        Value fi = get(nb, nl, leader, gid);
        Value p = posOf ? get(nb, nl, posOf, gid) : gid;
        Value inv = put(nb, nl, a[2], i, toI64(nb, nl, p));
        Value c = get(nb, nl, a[3], p);
        Value cnt = put(nb, nl, a[3], p, arith::AddIOp::create(nb, nl, c, scalar(nb, nl, i64, 1)));
        Value idx = put(nb, nl, a[1], p, toI64(nb, nl, fi));
        Value rows = forLoop(nb, nl, cIdx(nb, nl, 0), m, ValueRange{a[0]},
                             [&](OpBuilder &cb, Location cl, Value c, ValueRange ca) -> SmallVector<Value> {
                               return {tensor::InsertOp::create(cb, cl, elem(cb, cl, fi, c), ca[0],
                                                                ValueRange{p, c})
                                           .getResult()};
                             })[0];
        return {rows, idx, inv, cnt};
      });
  return SmallVector<Value>(outs.begin(), outs.end());
}

/// Greedy NMS (ONNX Runtime's semantics: score > threshold, IoU >
/// threshold suppresses, boxes of zero area never overlap).
FailureOr<Value> lowerNMS(OpBuilder &b, nn::NonMaxSuppressionOp op) {
  Location loc = op.getLoc();
  Value boxes = op.getBoxes(), scores = op.getScores();
  Type f32 = b.getF32Type(), i64 = b.getI64Type();
  Value B = dimOf(b, loc, boxes, 0), S = dimOf(b, loc, boxes, 1), C = dimOf(b, loc, scores, 1);
  Value c0 = cIdx(b, loc, 0);
  Value maxOut = scalarOf(b, loc, op.getMaxOutput());
  maxOut = arith::MaxSIOp::create(b, loc, maxOut, scalar(b, loc, i64, 0));
  Value limit = arith::MinUIOp::create(b, loc, toIndex(b, loc, maxOut), S);
  Value iouThr = scalarOf(b, loc, op.getIouThreshold());
  Value scoreThr = scalarOf(b, loc, op.getScoreThreshold());
  bool hasThr = op.getHasScoreThreshold();
  bool center = op.getCenterPointBox();
  Value total = arith::MulIOp::create(b, loc, arith::MulIOp::create(b, loc, B, C), S);
  auto scratchT = RankedTensorType::get({kDyn, 3}, i64);
  Value scratch0 = tensor::EmptyOp::create(b, loc, scratchT.getShape(), i64, ValueRange{total});
  auto suppT = RankedTensorType::get({kDyn}, b.getI1Type());
  // Box i of batch bi as (ymin, xmin, ymax, xmax).
  auto corners = [&](OpBuilder &nb, Location nl, Value bi, Value i) -> SmallVector<Value> {
    SmallVector<Value> v;
    for (int64_t c = 0; c < 4; ++c)
      v.push_back(tensor::ExtractOp::create(nb, nl, boxes, ValueRange{bi, i, cIdx(nb, nl, c)}));
    auto mn = [&](Value p, Value q) -> Value { return arith::MinimumFOp::create(nb, nl, p, q); };
    auto mx = [&](Value p, Value q) -> Value { return arith::MaximumFOp::create(nb, nl, p, q); };
    if (center) {
      // (x_center, y_center, width, height)
      Value half = scalar(nb, nl, f32, 0.5);
      Value hw = arith::MulFOp::create(nb, nl, v[2], half), hh = arith::MulFOp::create(nb, nl, v[3], half);
      return {arith::SubFOp::create(nb, nl, v[1], hh), arith::SubFOp::create(nb, nl, v[0], hw),
              arith::AddFOp::create(nb, nl, v[1], hh), arith::AddFOp::create(nb, nl, v[0], hw)};
    }
    return {mn(v[0], v[2]), mn(v[1], v[3]), mx(v[0], v[2]), mx(v[1], v[3])};
  };
  auto overlaps = [&](OpBuilder &nb, Location nl, ArrayRef<Value> p, ArrayRef<Value> q) -> Value {
    auto mn = [&](Value u, Value v) -> Value { return arith::MinimumFOp::create(nb, nl, u, v); };
    auto mx = [&](Value u, Value v) -> Value { return arith::MaximumFOp::create(nb, nl, u, v); };
    auto sub = [&](Value u, Value v) -> Value { return arith::SubFOp::create(nb, nl, u, v); };
    auto mul = [&](Value u, Value v) -> Value { return arith::MulFOp::create(nb, nl, u, v); };
    auto gtF = [&](Value u, Value v) -> Value {
      return arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT, u, v);
    };
    Value zero = scalar(nb, nl, f32, 0);
    Value iy0 = mx(p[0], q[0]), ix0 = mx(p[1], q[1]), iy1 = mn(p[2], q[2]), ix1 = mn(p[3], q[3]);
    Value nonEmpty = andI(nb, nl, gtF(iy1, iy0), gtF(ix1, ix0));
    Value inter = mul(mx(sub(iy1, iy0), zero), mx(sub(ix1, ix0), zero));
    Value ap = mul(sub(p[2], p[0]), sub(p[3], p[1])), aq = mul(sub(q[2], q[0]), sub(q[3], q[1]));
    Value areasOk = andI(nb, nl, gtF(ap, zero), gtF(aq, zero));
    Value uni = sub(arith::AddFOp::create(nb, nl, ap, aq), inter);
    Value iou = arith::DivFOp::create(nb, nl, inter, uni);
    return andI(nb, nl, andI(nb, nl, nonEmpty, areasOk), gtF(iou, iouThr));
  };
  auto res = loopNest(
      b, loc, {B, C}, ValueRange{scratch0, c0},
      [&](OpBuilder &nb, Location nl, ValueRange ivs, ValueRange a) -> SmallVector<Value> {
        Value bi = ivs[0], ci = ivs[1];
        Value supp0 = fillTensor(nb, nl, tensor::EmptyOp::create(nb, nl, suppT.getShape(), nb.getI1Type(), ValueRange{S}),
                                 boolC(nb, nl, false));
        auto sel = forLoop(
            nb, nl, cIdx(nb, nl, 0), limit, ValueRange{a[0], a[1], supp0},
            [&](OpBuilder &tb, Location tl, Value, ValueRange ta) -> SmallVector<Value> {
              auto best = forLoop(
                  tb, tl, cIdx(tb, tl, 0), S,
                  ValueRange{scalar(tb, tl, f32, 0), cIdx(tb, tl, 0), boolC(tb, tl, false)},
                  [&](OpBuilder &ib, Location il, Value i, ValueRange ia) -> SmallVector<Value> {
                    Value s = tensor::ExtractOp::create(ib, il, scores, ValueRange{bi, ci, i});
                    Value ok = notI(ib, il, tensor::ExtractOp::create(ib, il, ta[2], ValueRange{i}));
                    if (hasThr)
                      ok = andI(ib, il, ok, arith::CmpFOp::create(ib, il, arith::CmpFPredicate::OGT, s, scoreThr));
                    Value better = orI(ib, il, notI(ib, il, ia[2]),
                                       arith::CmpFOp::create(ib, il, arith::CmpFPredicate::OGT, s, ia[0]));
                    Value take = andI(ib, il, ok, better);
                    return {selectV(ib, il, take, s, ia[0]), selectV(ib, il, take, i, ia[1]),
                            orI(ib, il, ia[2], take)};
                  });
              Value found = best[2], bj = best[1];
              auto ifOp = scf::IfOp::create(
                  tb, tl, found,
                  [&](OpBuilder &yb, Location yl) {
                    Value row = ta[1];
                    Value sc = ta[0];
                    sc = tensor::InsertOp::create(yb, yl, toI64(yb, yl, bi), sc, ValueRange{row, cIdx(yb, yl, 0)});
                    sc = tensor::InsertOp::create(yb, yl, toI64(yb, yl, ci), sc, ValueRange{row, cIdx(yb, yl, 1)});
                    sc = tensor::InsertOp::create(yb, yl, toI64(yb, yl, bj), sc, ValueRange{row, cIdx(yb, yl, 2)});
                    SmallVector<Value> pb = corners(yb, yl, bi, bj);
                    Value supp = tensor::InsertOp::create(yb, yl, boolC(yb, yl, true), ta[2], ValueRange{bj});
                    supp = forLoop(yb, yl, cIdx(yb, yl, 0), S, ValueRange{supp},
                                   [&](OpBuilder &jb, Location jl, Value j, ValueRange ja) -> SmallVector<Value> {
                                     Value old = tensor::ExtractOp::create(jb, jl, ja[0], ValueRange{j});
                                     Value o = overlaps(jb, jl, pb, corners(jb, jl, bi, j));
                                     return {tensor::InsertOp::create(jb, jl, orI(jb, jl, old, o), ja[0], ValueRange{j})
                                                 .getResult()};
                                   })[0];
                    scf::YieldOp::create(yb, yl, ValueRange{sc, arith::AddIOp::create(yb, yl, row, cIdx(yb, yl, 1)), supp});
                  },
                  [&](OpBuilder &yb, Location yl) { scf::YieldOp::create(yb, yl, ValueRange{ta[0], ta[1], ta[2]}); });
              return {ifOp.getResult(0), ifOp.getResult(1), ifOp.getResult(2)};
            });
        return {sel[0], sel[1]};
      });
  // Copy the first N rows into a fresh [N, 3] tensor.
  Value scratch = res[0], N = res[1];
  auto outT = rtt(op.getResult());
  Value out0 = empty(b, loc, outT, {N, cIdx(b, loc, 3)});
  return linalg::GenericOp::create(
             b, loc, TypeRange{outT}, ValueRange{}, ValueRange{out0},
             SmallVector<AffineMap>{b.getMultiDimIdentityMap(2)},
             SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location nl, ValueRange) {
               Value r = linalg::IndexOp::create(nb, nl, 0), c = linalg::IndexOp::create(nb, nl, 1);
               linalg::YieldOp::create(nb, nl, tensor::ExtractOp::create(nb, nl, scratch, ValueRange{r, c}).getResult());
             })
      .getResult(0);
}

} // namespace

void kiln::nn_to_linalg::populateSortingPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerToLinalg<nn::ArgReduceOp, lowerArgReduce>, LowerToLinalg<nn::HardmaxOp, lowerHardmax>,
               LowerToLinalg<nn::CumSumOp, lowerCumSum>, LowerToLinalg<nn::TopKOp, lowerTopK>,
               LowerToLinalg<nn::NonZeroOp, lowerNonZero>, LowerToLinalg<nn::UniqueOp, lowerUnique>,
               LowerToLinalg<nn::NonMaxSuppressionOp, lowerNMS>>(patterns.getContext());
}
