//===- ControlFlow.cpp - onnx -> nn: control flow -------------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// onnx.If / Loop / Scan -> scf.if / scf.while / scf.for.  The body ops move
// into the scf region and are converted afterwards like any other op (the
// pass converts a parent before the ops in its regions); the onnx.Yield left
// after the new scf terminator is erased when its turn comes.
//
//===----------------------------------------------------------------------===//

#include "Common.h"

using namespace mlir;

namespace kiln::onnx_to_nn {
namespace {

/// Extracts the single element of a 0-d or 1-element tensor.
Value extractScalar(OpBuilder &b, Location loc, Value t) {
  SmallVector<Value> idx(rtt(t).getRank(), arith::ConstantIndexOp::create(b, loc, 0));
  return tensor::ExtractOp::create(b, loc, t, idx);
}

/// Replaces the arguments of `from` by `args` and moves its ops (including
/// the onnx.Yield) to the end of `to`.
void moveBody(Block &from, Block &to, ArrayRef<Value> args) {
  for (auto [a, v] : llvm::zip(from.getArguments(), args))
    a.replaceAllUsesWith(v);
  to.getOperations().splice(to.end(), from.getOperations());
}

Value castTo(OpBuilder &b, Location loc, Value v, Type t) {
  return v.getType() == t ? v : tensor::CastOp::create(b, loc, t, v).getResult();
}

struct ControlFlowLowering : Lowering {
  using Lowering::Lowering;

  LoweringResult ifOp(ox::IfOp op);
  LoweringResult loopOp(ox::LoopOp op);
  LoweringResult scanOp(ox::ScanOp op);

  LoweringResult lowerIf(ox::IfOp o) { return ifOp(o); }
  LoweringResult lowerLoop(ox::LoopOp o) { return loopOp(o); }
  LoweringResult lowerScan(ox::ScanOp o) { return scanOp(o); }
  LoweringResult lowerYield(ox::YieldOp) { return SmallVector<Value>(); }
};

LoweringResult ControlFlowLowering::ifOp(ox::IfOp op) {
  Value cond = extractScalar(b, loc, op.getCond());
  auto thenY = cast<ox::YieldOp>(op.getThenBranch().front().getTerminator());
  auto elseY = cast<ox::YieldOp>(op.getElseBranch().front().getTerminator());
  SmallVector<Type> types(op->getResultTypes());
  for (unsigned i = types.size(); i < thenY.getNumOperands(); ++i) {
    // Outputs the model does not use: the then type if both agree.
    if (thenY.getOperand(i).getType() != elseY.getOperand(i).getType())
      return (LogicalResult)(fail() << "unused output #" << i << " has different types in the branches");
    types.push_back(thenY.getOperand(i).getType());
  }
  auto ifo = scf::IfOp::create(b, loc, types, cond, /*addThenBlock=*/false, /*addElseBlock=*/false);
  for (auto [region, y] : {std::pair{&op.getThenBranch(), thenY}, std::pair{&op.getElseBranch(), elseY}}) {
    Region &dst = region == &op.getThenBranch() ? ifo.getThenRegion() : ifo.getElseRegion();
    dst.takeBody(*region);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPoint(y);
    SmallVector<Value> outs;
    for (auto [v, t] : llvm::zip(y.getOperands(), types))
      outs.push_back(castTo(b, loc, v, t));
    scf::YieldOp::create(b, loc, outs);
    // The onnx.Yield (now after the scf.yield) is erased when its turn comes.
  }
  SmallVector<Value> res(ifo.getResults().take_front(op->getNumResults()));
  return res;
}

LoweringResult ControlFlowLowering::loopOp(ox::LoopOp op) {
  Block &body = op.getBody().front();
  auto y = cast<ox::YieldOp>(body.getTerminator());
  unsigned n = op.getVInitial().size();
  unsigned k = y.getNumOperands() - 1 - n;
  Type i64 = b.getI64Type(), i1 = b.getI1Type();
  Value maxTrip = isNone(op.getM()) ? Value() : extractScalar(b, loc, op.getM());
  Value cond0 = isNone(op.getCond()) ? arith::ConstantIntOp::create(b, loc, 1, 1).getResult()
                                     : extractScalar(b, loc, op.getCond());
  SmallVector<Value> inits{arith::ConstantIntOp::create(b, loc, 0, 64), cond0};
  SmallVector<Type> types{i64, i1};
  for (unsigned i = 0; i < n; ++i) {
    Type t = body.getArgument(i + 2).getType();
    inits.push_back(castTo(b, loc, op.getVInitial()[i], t));
    types.push_back(t);
  }
  SmallVector<RankedTensorType> scanTypes;
  for (unsigned j = 0; j < k; ++j) {
    auto et = dyn_cast<RankedTensorType>(y.getOperand(1 + n + j).getType());
    if (!et || !et.hasStaticShape())
      return (LogicalResult)(fail() << "scan output #" << j
                                    << " has a run-time element shape, which is not supported");
    SmallVector<int64_t> empty{0}, dyn{kDyn};
    empty.append(et.getShape().begin(), et.getShape().end());
    dyn.append(et.getShape().begin(), et.getShape().end());
    auto dynT = RankedTensorType::get(dyn, et.getElementType());
    Value e = tensor::EmptyOp::create(b, loc, empty, et.getElementType());
    inits.push_back(tensor::CastOp::create(b, loc, dynT, e));
    types.push_back(dynT);
    scanTypes.push_back(dynT);
  }
  SmallVector<Location> locs(types.size(), loc);
  auto w = scf::WhileOp::create(b, loc, types, inits);
  {
    Block *before = b.createBlock(&w.getBefore(), {}, types, locs);
    Value keep = before->getArgument(1);
    if (maxTrip) {
      Value inRange = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                            before->getArgument(0), maxTrip);
      keep = arith::AndIOp::create(b, loc, keep, inRange);
    }
    scf::ConditionOp::create(b, loc, keep, before->getArguments());
  }
  Block *after = b.createBlock(&w.getAfter(), {}, types, locs);
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(after);
    Value iterT = tensor::FromElementsOp::create(b, loc, RankedTensorType::get({}, i64),
                                                 ValueRange{after->getArgument(0)});
    Value condT = tensor::FromElementsOp::create(b, loc, RankedTensorType::get({}, i1),
                                                 ValueRange{after->getArgument(1)});
    SmallVector<Value> args{iterT, condT};
    for (unsigned i = 0; i < n; ++i)
      args.push_back(after->getArgument(i + 2));
    moveBody(body, *after, args);
    b.setInsertionPoint(y);
    SmallVector<Value> next;
    next.push_back(arith::AddIOp::create(b, loc, after->getArgument(0),
                                         arith::ConstantIntOp::create(b, loc, 1, 64)));
    next.push_back(extractScalar(b, loc, y.getOperand(0)));
    for (unsigned i = 0; i < n; ++i)
      next.push_back(castTo(b, loc, y.getOperand(1 + i), types[2 + i]));
    for (unsigned j = 0; j < k; ++j) {
      Value elem = y.getOperand(1 + n + j);
      auto et = rtt(elem);
      SmallVector<int64_t> one{1};
      one.append(et.getShape().begin(), et.getShape().end());
      Value e1 = reshapeStatic(b, loc, elem, one);
      next.push_back(nn::ConcatOp::create(b, loc, scanTypes[j],
                                          ValueRange{after->getArgument(2 + n + j), e1},
                                          b.getI64IntegerAttr(0)));
    }
    scf::YieldOp::create(b, loc, next);
  }
  b.setInsertionPointAfter(w);
  SmallVector<Value> res;
  for (unsigned i = 0; i < op->getNumResults(); ++i)
    res.push_back(w.getResult(2 + i));
  return res;
}

LoweringResult ControlFlowLowering::scanOp(ox::ScanOp op) {
  Block &body = op.getBody().front();
  auto y = cast<ox::YieldOp>(body.getTerminator());
  int64_t m = op.getNumScanInputs();
  ValueRange ins = op.getInitialStateAndScanInputs();
  int64_t n = ins.size() - m, k = y.getNumOperands() - n;
  auto ints = [&](std::optional<ArrayAttr> a, int64_t count) {
    SmallVector<int64_t> v = intsAttr(a);
    if (v.empty()) v.assign(count, 0);
    return v;
  };
  SmallVector<int64_t> inAxes = ints(op.getScanInputAxes(), m),
                       inDirs = ints(op.getScanInputDirections(), m),
                       outAxes = ints(op.getScanOutputAxes(), k),
                       outDirs = ints(op.getScanOutputDirections(), k);
  if ((int64_t)inDirs.size() != m || (int64_t)outDirs.size() != k)
    return (LogicalResult)(fail() << "scan_input_directions / scan_output_directions have the "
                                     "wrong number of entries");
  for (int64_t i = 0; i < m; ++i)
    inAxes[i] = inAxes[i] < 0 ? inAxes[i] + rtt(ins[n + i]).getRank() : inAxes[i];
  Value len = dimValue(b, loc, ins[n], inAxes[0]);
  for (int64_t i = 1; i < m; ++i) {
    auto t = rtt(ins[n + i]);
    if (!t.isDynamicDim(inAxes[i]) && !rtt(ins[n]).isDynamicDim(inAxes[0]) &&
        t.getDimSize(inAxes[i]) != rtt(ins[n]).getDimSize(inAxes[0]))
      return (LogicalResult)(fail() << "scan inputs have different lengths");
  }
  SmallVector<Value> inits;
  SmallVector<Type> types;
  for (int64_t i = 0; i < n; ++i) {
    Type t = body.getArgument(i).getType();
    inits.push_back(castTo(b, loc, ins[i], t));
    types.push_back(t);
  }
  SmallVector<int64_t> outAxisN;
  for (int64_t j = 0; j < k; ++j) {
    auto et = dyn_cast<RankedTensorType>(y.getOperand(n + j).getType());
    if (!et || !et.hasStaticShape())
      return (LogicalResult)(fail() << "scan output #" << j
                                    << " has a run-time element shape, which is not supported");
    int64_t a = outAxes[j] < 0 ? outAxes[j] + et.getRank() + 1 : outAxes[j];
    outAxisN.push_back(a);
    SmallVector<int64_t> shape(et.getShape());
    shape.insert(shape.begin() + a, kDyn);
    SmallVector<Value> dyn{len};
    Value e = tensor::EmptyOp::create(b, loc, RankedTensorType::get(shape, et.getElementType()), dyn);
    inits.push_back(e);
    types.push_back(e.getType());
  }
  Value zero = arith::ConstantIndexOp::create(b, loc, 0), oneI = arith::ConstantIndexOp::create(b, loc, 1);
  auto f = scf::ForOp::create(b, loc, zero, len, oneI, inits);
  Block *loopBody = f.getBody();
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToStart(loopBody);
  Value iv = f.getInductionVar();
  Value last = arith::SubIOp::create(b, loc, len, oneI);
  Value rev = arith::SubIOp::create(b, loc, last, iv);
  SmallVector<Value> args(f.getRegionIterArgs().take_front(n));
  for (int64_t i = 0; i < m; ++i) {
    Value in = ins[n + i];
    auto t = rtt(in);
    SmallVector<OpFoldResult> offs, sizes, strides;
    for (int64_t d = 0; d < t.getRank(); ++d) {
      offs.push_back(d == inAxes[i] ? OpFoldResult(inDirs[i] ? rev : iv) : b.getIndexAttr(0));
      sizes.push_back(d == inAxes[i] ? OpFoldResult(b.getIndexAttr(1))
                                     : (t.isDynamicDim(d) ? OpFoldResult(dimValue(b, loc, in, d))
                                                          : b.getIndexAttr(t.getDimSize(d))));
      strides.push_back(b.getIndexAttr(1));
    }
    auto argT = cast<RankedTensorType>(body.getArgument(n + i).getType());
    args.push_back(tensor::ExtractSliceOp::create(b, loc, argT, in, offs, sizes, strides));
  }
  moveBody(body, *loopBody, args);
  b.setInsertionPoint(y);
  SmallVector<Value> next;
  for (int64_t i = 0; i < n; ++i)
    next.push_back(castTo(b, loc, y.getOperand(i), types[i]));
  for (int64_t j = 0; j < k; ++j) {
    Value elem = y.getOperand(n + j);
    auto et = rtt(elem);
    Value acc = f.getRegionIterArgs()[n + j];
    SmallVector<OpFoldResult> offs, sizes, strides;
    int64_t a = outAxisN[j];
    for (int64_t d = 0, e = 0; d <= et.getRank(); ++d) {
      if (d == a) {
        offs.push_back(outDirs[j] ? OpFoldResult(rev) : OpFoldResult(iv));
        sizes.push_back(b.getIndexAttr(1));
      } else {
        offs.push_back(b.getIndexAttr(0));
        sizes.push_back(b.getIndexAttr(et.getDimSize(e++)));
      }
      strides.push_back(b.getIndexAttr(1));
    }
    next.push_back(tensor::InsertSliceOp::create(b, loc, elem, acc, offs, sizes, strides));
  }
  scf::YieldOp::create(b, loc, next);
  b.setInsertionPointAfter(f);
  SmallVector<Value> res;
  for (unsigned i = 0; i < op->getNumResults(); ++i)
    res.push_back(f.getResult(i));
  return res;
}

} // namespace

void populateControlFlowPatterns(RewritePatternSet &patterns) {
  using L = ControlFlowLowering;
  addLowering<ox::IfOp, &L::lowerIf>(patterns);
  addLowering<ox::LoopOp, &L::lowerLoop>(patterns);
  addLowering<ox::ScanOp, &L::lowerScan>(patterns);
  addLowering<ox::YieldOp, &L::lowerYield>(patterns);
}

} // namespace kiln::onnx_to_nn
