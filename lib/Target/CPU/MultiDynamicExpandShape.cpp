//===- MultiDynamicExpandShape.cpp - expand_shape -> reinterpret_cast ------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//

#include "CPUPasses.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"

namespace kiln::cpu {
#define GEN_PASS_DEF_CPUMULTIDYNAMICEXPANDSHAPE
#include "Passes.h.inc"
} // namespace kiln::cpu

using namespace mlir;

namespace {

/// memref.expand_shape where one reassociation group has several dynamic
/// sizes (a [?x768] matmul result expanded back to [?x?x?x768], as in Swin
/// with run-time window counts) becomes a memref.reinterpret_cast of the
/// source.  MLIR 22's expand-strided-metadata crashes on such an
/// expand_shape.  The expanded strides of a group are the source stride of
/// the group times the sizes of the group's inner dims; the offset is the
/// source's.
struct MultiDynamicExpandShapePass
    : kiln::cpu::impl::CPUMultiDynamicExpandShapeBase<MultiDynamicExpandShapePass> {
  void runOnOperation() override {
    SmallVector<memref::ExpandShapeOp> todo;
    getOperation()->walk([&](memref::ExpandShapeOp op) {
      auto res = op.getResultType();
      for (const ReassociationIndices &g : op.getReassociationIndices())
        if (llvm::count_if(g, [&](int64_t d) { return res.isDynamicDim(d); }) > 1) {
          todo.push_back(op);
          return;
        }
    });
    for (memref::ExpandShapeOp op : todo) {
      OpBuilder b(op);
      Location loc = op.getLoc();
      auto src = op.getSrcType();
      auto res = op.getResultType();
      auto [srcStrides, srcOffset] = src.getStridesAndOffset();
      memref::ExtractStridedMetadataOp meta;
      auto metadata = [&]() {
        if (!meta)
          meta = memref::ExtractStridedMetadataOp::create(b, loc, op.getSrc());
        return meta;
      };
      auto mul = [&](OpFoldResult x, OpFoldResult y) -> OpFoldResult {
        auto cx = getConstantIntValue(x), cy = getConstantIntValue(y);
        if (cx && cy)
          return b.getIndexAttr(*cx * *cy);
        return arith::MulIOp::create(b, loc, getValueOrCreateConstantIndexOp(b, loc, x),
                                     getValueOrCreateConstantIndexOp(b, loc, y))
            .getResult();
      };
      SmallVector<OpFoldResult> sizes = op.getMixedOutputShape();
      SmallVector<OpFoldResult> strides(res.getRank());
      for (auto [k, g] : llvm::enumerate(op.getReassociationIndices())) {
        OpFoldResult acc = ShapedType::isDynamic(srcStrides[k])
                               ? OpFoldResult(metadata().getStrides()[k])
                               : OpFoldResult(b.getIndexAttr(srcStrides[k]));
        for (int64_t d : llvm::reverse(g)) {
          strides[d] = acc;
          if (d != g.front())
            acc = mul(acc, sizes[d]);
        }
      }
      OpFoldResult offset = ShapedType::isDynamic(srcOffset)
                                ? OpFoldResult(metadata().getOffset())
                                : OpFoldResult(b.getIndexAttr(srcOffset));
      auto cast = memref::ReinterpretCastOp::create(b, loc, res, op.getSrc(), offset, sizes,
                                                    strides);
      op.replaceAllUsesWith(cast.getResult());
      op.erase();
    }
  }
};

} // namespace
