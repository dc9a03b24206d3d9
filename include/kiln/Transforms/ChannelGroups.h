//===- ChannelGroups.h - channels that must be removed together -*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The channel dependency graph of an nn function, shared by dead-channel
// removal (kiln-nn-remove-dead-channels) and structured pruning.
//
// Every f32 value that a convolution or matmul makes or reads has a channel
// axis (1 for NC[D]HW, the last for [..., N]); channel c of such a value is
// a node.  Ops that compute channel c of their result from channel c of
// their operands (element-wise ops, pooling, depthwise convolutions,
// residual adds, concat at an offset, flatten into a Linear) join those
// nodes into one group: a group is removed as a whole or not at all, so a
// residual add loses a channel only where every branch agrees.  A conv /
// matmul with constant weights bounds the groups: its output channels start
// a group (they are rows of its weights), its input channels end one
// (columns of its weights).  Every other use of a value (an op this
// analysis does not model, a function result, a nested region) pins the
// value's nodes: its shape must stay.
//
// A group can be removed when nothing observes it: at each conv / matmul
// that reads it, the weights of the channel are zero, or the channel holds
// one known constant everywhere that the layer can take into its bias.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TRANSFORMS_CHANNELGROUPS_H
#define KILN_TRANSFORMS_CHANNELGROUPS_H
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallVector.h"
#include <optional>
#include <vector>
namespace kiln {

class ChannelGroups {
public:
  /// Builds the graph of the top-level block of `func` (ops in nested
  /// regions are not modelled: the values they use are pinned).
  explicit ChannelGroups(mlir::func::FuncOp func);

  struct ValueInfo {
    int64_t axis = -1;     ///< channel axis of the value's type
    int64_t channels = 0;  ///< static size of that axis
    unsigned base = 0;     ///< node id of channel 0
  };
  /// A conv / matmul that reads a value's channels as weight columns.
  struct Boundary {
    mlir::Operation *layer;
    mlir::Value input;
    std::vector<bool> zeroColumn;  ///< per input channel: all its weights are 0
    bool absorbsConstants;         ///< a constant channel can go into the bias
  };

  /// Group id (a representative node) of every node, and its nodes.
  unsigned group(unsigned node);
  llvm::SmallVector<unsigned> groups();
  const std::vector<unsigned> &members(unsigned group);
  bool isPinned(unsigned group);
  /// True if nothing observes the group (see the file comment).
  bool isUnobserved(unsigned group);
  /// The value and channel of a node; the value's info (null if the value has
  /// no nodes).
  std::pair<mlir::Value, int64_t> nodeOf(unsigned node) const { return nodes[node]; }
  const ValueInfo *info(mlir::Value v) const;
  /// Constant that node holds everywhere, if known.
  std::optional<double> constantOf(unsigned node) const { return konst[node]; }
  /// The conv / matmul layers whose output channels start groups (their
  /// weights are constants the removal can slice).
  llvm::ArrayRef<mlir::Operation *> producers() const { return producerOps; }
  llvm::ArrayRef<Boundary> boundaries() const { return boundaryList; }

  /// Removes the nodes of `removed` (group ids) from every value, slicing
  /// the weights of the layers and the constants of the element-wise ops,
  /// and adding constant channels into the biases of the layers that read
  /// them.  Groups whose removal would leave a value without channels are
  /// kept.  Returns the number of channels removed from the layers' outputs
  /// (and sets `removedGroups`).  The analysis is stale afterwards.
  int64_t remove(llvm::ArrayRef<unsigned> removed, int64_t &removedGroups);

private:
  bool attach(mlir::Value v, int64_t axis, bool producerHandled);
  void unite(mlir::Value a, int64_t ca, mlir::Value b, int64_t cb);
  void pinValue(mlir::Value v);
  unsigned find(unsigned n);
  void visit(mlir::Operation *op);
  bool visitLayer(mlir::Operation *op);
  bool visitElementwise(mlir::Operation *op);
  void passChannels(mlir::Operation *op, mlir::Value src, mlir::Value out, int64_t C, bool keepsConstant);
  void finalize();

  mlir::func::FuncOp func;
  llvm::DenseMap<mlir::Value, ValueInfo> values;
  std::vector<std::pair<mlir::Value, int64_t>> nodes;
  std::vector<unsigned> parent;
  std::vector<bool> pinned;  ///< per node; folded into the group's root by finalize
  std::vector<std::optional<double>> konst;
  llvm::DenseSet<mlir::OpOperand *> handledUses;
  llvm::DenseSet<mlir::Value> handledResults;
  llvm::SmallVector<mlir::Operation *> producerOps;
  std::vector<Boundary> boundaryList;
  llvm::DenseMap<mlir::Value, llvm::SmallVector<unsigned>> boundariesOf;
  llvm::DenseMap<unsigned, std::vector<unsigned>> memberLists;
  bool finalized = false;
};

/// Multiply-accumulates of the convolutions and matmuls of `func` (dynamic
/// dims counted as 1): the figure dead-channel removal and pruning report.
int64_t countLayerMacs(mlir::func::FuncOp func);

} // namespace kiln
#endif
