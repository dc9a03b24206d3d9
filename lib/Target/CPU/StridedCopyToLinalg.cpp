//===- StridedCopyToLinalg.cpp - strided memref.copy -> linalg.copy --------===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//

#include "CPUPasses.h"

namespace kiln::cpu {
#define GEN_PASS_DEF_CPUSTRIDEDCOPYTOLINALG
#include "Passes.h.inc"
} // namespace kiln::cpu

using namespace mlir;

namespace {

/// Rewrites memref.copy between strided (non-identity) layouts into
/// linalg.copy, so they become loops instead of calls to MLIR's C runner
/// library (`memrefCopy`), which generated libraries do not link.
/// With `into-identity-only`, only the copies from a strided source into an
/// identity target.
struct StridedCopyToLinalgPass
    : kiln::cpu::impl::CPUStridedCopyToLinalgBase<StridedCopyToLinalgPass> {
  using CPUStridedCopyToLinalgBase::CPUStridedCopyToLinalgBase;
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp c) {
      auto s = cast<MemRefType>(c.getSource().getType());
      auto t = cast<MemRefType>(c.getTarget().getType());
      bool strided = !s.getLayout().isIdentity() || !t.getLayout().isIdentity();
      if (intoIdentityOnly)
        strided = !s.getLayout().isIdentity() && t.getLayout().isIdentity() && s.getRank() > 0;
      if (strided)
        copies.push_back(c);
    });
    for (memref::CopyOp c : copies) {
      OpBuilder b(c);
      linalg::CopyOp::create(b, c.getLoc(), c.getSource(), c.getTarget());
      c.erase();
    }
  }
};

} // namespace
