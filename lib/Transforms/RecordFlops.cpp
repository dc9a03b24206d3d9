//===- RecordFlops.cpp - FLOP counts for the per-node profile -------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// kiln-nn-record-flops (Passes.td): a call to kiln.profile.flops after each
// float convolution and matrix product, with the FLOPs it did.  Nominal
// counts of the ONNX operation (2 per multiply-add), whatever algorithm the
// back end uses.
//
//===----------------------------------------------------------------------===//

#include "kiln/Support/NodeLocation.h"
#include "kiln/Transforms/Passes.h"
#include "kiln/Transforms/Statistics.h"

namespace kiln {
#define GEN_PASS_DEF_NNRECORDFLOPS
#include "kiln/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// A product of static sizes and of run-time dims of tensors.
struct Product {
  int64_t constant = 1;
  SmallVector<std::pair<Value, int64_t>> dims; // (tensor, dim index)

  void add(Value tensor, unsigned from, unsigned to) {
    auto t = cast<RankedTensorType>(tensor.getType());
    for (unsigned i = from; i < to; ++i) {
      if (t.isDynamicDim(i))
        dims.push_back({tensor, i});
      else
        constant *= t.getDimSize(i);
    }
  }
  void addAll(Value tensor, unsigned from) {
    add(tensor, from, cast<RankedTensorType>(tensor.getType()).getRank());
  }

  Value build(OpBuilder &b, Location loc) const {
    Value v = arith::ConstantIntOp::create(b, loc, constant, 64);
    for (auto [tensor, i] : dims) {
      Value d = tensor::DimOp::create(b, loc, tensor, i);
      d = arith::IndexCastOp::create(b, loc, b.getI64Type(), d);
      v = arith::MulIOp::create(b, loc, v, d);
    }
    return v;
  }
};

bool floatTensor(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && isa<FloatType>(t.getElementType());
}

/// The FLOPs of `op` as a product, or nullopt if it is not counted.
std::optional<Product> opFlops(Operation *op) {
  Product p;
  p.constant = 2;
  if (auto c = dyn_cast<kiln::nn::ConvOp>(op)) {
    if (!floatTensor(c.getResult()) || !floatTensor(c.getFilter()))
      return std::nullopt;
    p.addAll(c.getResult(), 0);
    p.addAll(c.getFilter(), 1);
    return p;
  }
  if (auto c = dyn_cast<kiln::nn::ConvTransposeOp>(op)) {
    if (!floatTensor(c.getInput()) || !floatTensor(c.getFilter()))
      return std::nullopt;
    p.addAll(c.getInput(), 0);
    p.addAll(c.getFilter(), 1);
    return p;
  }
  if (auto m = dyn_cast<kiln::nn::MatmulOp>(op)) {
    if (!floatTensor(m.getResult()) || !floatTensor(m.getLhs()))
      return std::nullopt;
    unsigned rank = cast<RankedTensorType>(m.getLhs().getType()).getRank();
    p.addAll(m.getResult(), 0);
    p.add(m.getLhs(), rank - 1, rank);
    return p;
  }
  // Attention: Q K^T and P V, 2 * batch * heads * Lq * Lk * (D + Dv) (causal
  // counted in full; the softmax's operations are not counted).
  if (auto a = dyn_cast<kiln::nn::AttentionOp>(op)) {
    auto qt = cast<RankedTensorType>(a.getQuery().getType()), vt = cast<RankedTensorType>(a.getValue().getType());
    unsigned rank = qt.getRank();
    if (qt.isDynamicDim(rank - 1) || vt.isDynamicDim(rank - 1))
      return std::nullopt;
    p.add(a.getQuery(), 0, rank - 1);
    p.add(a.getKey(), rank - 2, rank - 1);
    p.constant *= qt.getDimSize(rank - 1) + vt.getDimSize(rank - 1);
    return p;
  }
  return std::nullopt;
}

struct NNRecordFlopsPass : kiln::impl::NNRecordFlopsBase<NNRecordFlopsPass> {
  void runOnOperation() override {
    auto &numCounted = kiln::passStatistic(getArgument(), "counted-ops",
                                           "Convolutions and matmuls whose FLOPs are counted");
    auto &numDynamic = kiln::passStatistic(getArgument(), "dynamic-ops",
                                           "Of those, counted from run-time sizes");
    ModuleOp m = getOperation();
    SmallVector<std::pair<Operation *, Product>> work;
    m.walk([&](Operation *op) {
      if (auto p = opFlops(op))
        work.push_back({op, std::move(*p)});
    });
    if (work.empty())
      return;
    MLIRContext *ctx = &getContext();
    auto fnType = FunctionType::get(ctx, {IntegerType::get(ctx, 64)}, {});
    auto fn = m.lookupSymbol<func::FuncOp>(kiln::kProfileFlopsFn);
    if (!fn) {
      if (m.lookupSymbol(kiln::kProfileFlopsFn)) {
        m.emitError() << "'" << kiln::kProfileFlopsFn << "' is already defined and is not a function";
        return signalPassFailure();
      }
      OpBuilder b = OpBuilder::atBlockBegin(m.getBody());
      fn = func::FuncOp::create(b, m.getLoc(), kiln::kProfileFlopsFn, fnType);
      fn.setPrivate();
    } else if (fn.getFunctionType() != fnType || !fn.isDeclaration()) {
      fn.emitError() << "'" << kiln::kProfileFlopsFn << "' must be a declaration of type " << fnType;
      return signalPassFailure();
    }
    for (auto &[op, p] : work) {
      OpBuilder b(op->getContext());
      b.setInsertionPointAfter(op);
      Location loc = op->getLoc();
      func::CallOp::create(b, loc, fn, ValueRange{p.build(b, loc)});
      ++numCounted;
      if (!p.dims.empty())
        ++numDynamic;
    }
  }
};

} // namespace
