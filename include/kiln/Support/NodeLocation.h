//===- NodeLocation.h - the ONNX node an op came from -----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The importer gives every op a NameLoc named after its ONNX node; passes
// that fuse or rewrite ops wrap it in FusedLocs, CallSiteLocs or further
// NameLocs.  Used by the per-node profile (InstrumentProfile.cpp) and by the
// run-time check messages (RuntimeChecks.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_SUPPORT_NODELOCATION_H
#define KILN_SUPPORT_NODELOCATION_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Location.h"

namespace kiln {

/// Module attribute in which the importer records the ONNX graph's nodes:
/// a dictionary from node name to op type.
constexpr llvm::StringLiteral kNodeTypesAttr = "kiln.profile.node_types";

/// The function kiln-nn-record-flops calls after each convolution and matrix
/// product with the FLOPs it just did (i64, 2 per multiply-add), located at
/// the op; kiln-cpu-instrument-profile turns the calls into additions to the
/// profile's per-node FLOP counters.
constexpr llvm::StringLiteral kProfileFlopsFn = "kiln.profile.flops";

/// The first NameLoc name in `loc` that is a node of `table` (the importer's
/// node table, `kiln.profile.node_types`; null: any NameLoc), looking
/// through fused, call-site and opaque locations; "" if there is none.
inline llvm::StringRef onnxNodeName(mlir::Location loc, mlir::DictionaryAttr table) {
  if (auto n = llvm::dyn_cast<mlir::NameLoc>(loc)) {
    llvm::StringRef s = n.getName().strref();
    if (!table || table.contains(s))
      return s;
    return onnxNodeName(n.getChildLoc(), table);
  }
  if (auto f = llvm::dyn_cast<mlir::FusedLoc>(loc)) {
    for (mlir::Location l : f.getLocations())
      if (llvm::StringRef s = onnxNodeName(l, table); !s.empty())
        return s;
    return "";
  }
  if (auto c = llvm::dyn_cast<mlir::CallSiteLoc>(loc)) {
    if (llvm::StringRef s = onnxNodeName(c.getCallee(), table); !s.empty())
      return s;
    return onnxNodeName(c.getCaller(), table);
  }
  if (auto o = llvm::dyn_cast<mlir::OpaqueLoc>(loc))
    return onnxNodeName(o.getFallbackLocation(), table);
  return "";
}

} // namespace kiln

#endif
