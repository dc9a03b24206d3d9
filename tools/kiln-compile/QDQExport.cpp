//===- QDQExport.cpp - kiln-compile --emit=qdq-onnx -----------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The input ONNX model with Kiln's int8 quantization written into it as
// QuantizeLinear / DequantizeLinear nodes (QDQ, the format of ONNX Runtime's
// quantizer).  Each int8 layer of the quantized nn module is found again as
// its ONNX node (the layers carry their node names); the node's input gets
// Q + DQ with the layer's scale and zero point, its weight initializer is
// replaced by int8 values and per-channel scales through DQ, quantized as
// kiln-nn-quantize does (symmetric, max |w| / 127), and a bias becomes
// int32 at scale x_scale * w_scale through DQ (--qdq-bias=int32, the
// default: ONNX Runtime fuses a node into its QLinear kernels only when all
// its inputs come through DQ) or stays float (--qdq-bias=float: the QDQ
// model then computes exactly what Kiln's int8 library computes).  The int8 weights are checked against
// the layer's own: per-channel quantization does not change when a graph
// pass scales an output channel (BatchNorm folding), but it does when one
// changes the weights otherwise, and such layers stay float.
//
//===----------------------------------------------------------------------===//

#include "QDQExport.h"
#include "Options.h"

#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Support/NodeLocation.h"
#include "kiln/Transforms/ConstantUtils.h"
#include "kiln/Transforms/Quantize.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <google/protobuf/io/coded_stream.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

using namespace mlir;

namespace {

/// One int8 layer of the quantized module.
struct Int8Layer {
  Operation *op;
  std::vector<std::string> nodes; // its Conv / MatMul / Gemm nodes
  float scale = 1;
  int64_t zeroPoint = 0;
  bool isUnsigned = true;
  std::string label; // for messages: the first node name, or the op
};

/// Every node name of `table` in `loc` whose op type is Conv, MatMul or
/// Gemm, in order (a layer merged from sibling nodes has several).
void layerNodes(Location loc, DictionaryAttr table, std::vector<std::string> &out) {
  if (auto n = dyn_cast<NameLoc>(loc)) {
    StringRef s = n.getName().strref();
    if (auto t = table ? table.getAs<StringAttr>(s) : StringAttr())
      if ((t.getValue() == "Conv" || t.getValue() == "MatMul" || t.getValue() == "Gemm") &&
          std::find(out.begin(), out.end(), s.str()) == out.end())
        out.push_back(s.str());
    layerNodes(n.getChildLoc(), table, out);
  } else if (auto f = dyn_cast<FusedLoc>(loc)) {
    for (Location l : f.getLocations())
      layerNodes(l, table, out);
  } else if (auto c = dyn_cast<CallSiteLoc>(loc)) {
    layerNodes(c.getCallee(), table, out);
    layerNodes(c.getCaller(), table, out);
  } else if (auto o = dyn_cast<OpaqueLoc>(loc)) {
    layerNodes(o.getFallbackLocation(), table, out);
  }
}

/// A float initializer's values (raw or float_data; not external data).
bool floatValues(const onnx::TensorProto &t, std::vector<float> &out) {
  if (t.data_type() != onnx::TensorProto::FLOAT || t.data_location() == onnx::TensorProto::EXTERNAL)
    return false;
  int64_t n = 1;
  for (int64_t d : t.dims())
    n *= d;
  if (!t.raw_data().empty()) {
    if ((int64_t)t.raw_data().size() != n * 4)
      return false;
    out.resize(n);
    std::memcpy(out.data(), t.raw_data().data(), n * 4);
    return true;
  }
  if (t.float_data_size() != n)
    return false;
  out.assign(t.float_data().begin(), t.float_data().end());
  return true;
}

/// A tensor proto named `name` of `type` with `dims` and raw bytes.
onnx::TensorProto rawTensor(const std::string &name, int type, const std::vector<int64_t> &dims, const void *data,
                            size_t bytes) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(type);
  for (int64_t d : dims)
    t.add_dims(d);
  t.set_raw_data(data, bytes);
  return t;
}

bool hasSubgraphs(const onnx::GraphProto &g) {
  for (const auto &n : g.node())
    for (const auto &a : n.attribute())
      if (a.has_g() || a.graphs_size())
        return true;
  return false;
}

struct Writer {
  onnx::ModelProto model;
  onnx::GraphProto *g = nullptr;
  llvm::StringSet<> names; // every tensor and node name in use
  std::vector<onnx::NodeProto> weightNodes;
  std::map<int, std::vector<onnx::NodeProto>> before; // nodes to insert before node i

  std::string fresh(const std::string &base) {
    std::string n = base;
    for (int i = 1; names.contains(n); ++i)
      n = base + "_" + std::to_string(i);
    names.insert(n);
    return n;
  }
  std::string scalarInit(const std::string &base, int type, const void *data, size_t bytes) {
    std::string n = fresh(base);
    *g->add_initializer() = rawTensor(n, type, {}, data, bytes);
    return n;
  }
  onnx::NodeProto node(const std::string &op, std::vector<std::string> ins, const std::string &out) {
    onnx::NodeProto n;
    n.set_op_type(op);
    n.set_name(fresh("kiln_" + out));
    for (auto &i : ins)
      n.add_input(i);
    n.add_output(out);
    return n;
  }
};

} // namespace

LogicalResult kiln::compile::writeQDQModel(StringRef onnxPath, ModuleOp module, StringRef outPath,
                                           bool int32Bias) {
  auto fail = [&](const llvm::Twine &msg) {
    printError("--emit=qdq-onnx: " + msg);
    return failure();
  };
  // The quantized layers; the bf16 ones (--quantize=mixed) counted: they
  // have no QDQ form, ONNX Runtime runs them in f32.
  auto table = module->getAttrOfType<DictionaryAttr>(kiln::kNodeTypesAttr);
  std::vector<Int8Layer> layers;
  int64_t bf16Layers = 0;
  module.walk([&](Operation *op) {
    if (isa<nn::ConvOp, nn::MatmulOp>(op) && cast<ShapedType>(op->getOperand(0).getType()).getElementType().isBF16())
      ++bf16Layers;
    Int8Layer l{op, {}, 1, 0, true, ""};
    if (auto c = dyn_cast<nn::QConvOp>(op)) {
      l.scale = c.getInputScale().convertToFloat();
      l.zeroPoint = c.getInputZeroPoint();
      l.isUnsigned = c.getInputUnsigned();
    } else if (auto m = dyn_cast<nn::QMatmulOp>(op)) {
      l.scale = m.getLhsScale().convertToFloat();
      l.zeroPoint = m.getLhsZeroPoint();
      l.isUnsigned = m.getLhsUnsigned();
    } else {
      return;
    }
    layerNodes(op->getLoc(), table, l.nodes);
    l.label = l.nodes.empty() ? std::string(kiln::onnxNodeName(op->getLoc(), table)) : l.nodes.front();
    if (l.label.empty())
      l.label = op->getName().getStringRef().str();
    layers.push_back(std::move(l));
  });
  if (layers.empty())
    return fail("the model has no int8 layer to write" +
                (bf16Layers ? " (its " + std::to_string(bf16Layers) + " quantized layers are bf16, which QDQ cannot express)"
                            : std::string(" (give --quantize=int8 or mixed)")));

  Writer w;
  {
    auto buf = llvm::MemoryBuffer::getFile(onnxPath);
    if (!buf)
      return fail("cannot read " + onnxPath + ": " + buf.getError().message());
    google::protobuf::io::CodedInputStream cis(reinterpret_cast<const uint8_t *>((*buf)->getBufferStart()),
                                               (int)std::min<size_t>((*buf)->getBufferSize(), INT_MAX));
    cis.SetTotalBytesLimit(INT_MAX);
    if (!w.model.MergeFromCodedStream(&cis))
      return fail("cannot parse " + onnxPath);
  }
  w.g = w.model.mutable_graph();
  onnx::GraphProto &g = *w.g;
  for (const auto &o : w.model.opset_import())
    if ((o.domain().empty() || o.domain() == "ai.onnx") && o.version() < 13)
      return fail("per-channel DequantizeLinear needs opset 13 or later; " + onnxPath + " has opset " +
                  std::to_string(o.version()));

  // Names, producers and initializers of the top-level graph (node names as
  // the importer gives them: an unnamed node is <op_type>_<index>).
  llvm::StringMap<int> nodeIndex, producer;
  llvm::StringMap<int> initIndex;
  for (int i = 0; i < g.node_size(); ++i) {
    const auto &n = g.node(i);
    std::string name = n.name().empty() ? n.op_type() + "_" + std::to_string(i) : n.name();
    nodeIndex[name] = i;
    w.names.insert(name);
    for (const auto &o : n.output())
      producer[o] = i, w.names.insert(o);
  }
  for (int i = 0; i < g.initializer_size(); ++i)
    initIndex[g.initializer(i).name()] = i, w.names.insert(g.initializer(i).name());
  llvm::StringSet<> graphInputs;
  for (const auto &in : g.input())
    graphInputs.insert(in.name()), w.names.insert(in.name());

  int written = 0, alreadyQDQ = 0;
  std::vector<std::string> skipped;
  // Per tensor and quantization: the Q + DQ nodes, placed before the first
  // node that reads them.
  struct ActivationQDQ {
    std::string dq;
    std::vector<onnx::NodeProto> nodes;
    int first;
  };
  std::map<std::pair<std::string, std::pair<float, int64_t>>, ActivationQDQ> activationDQ;
  llvm::StringSet<> replacedWeights;
  for (const Int8Layer &l : layers) {
    auto skip = [&](const std::string &why) { skipped.push_back(l.label + ": " + why); };
    if (l.nodes.empty()) {
      skip("no Conv, MatMul or Gemm node of the model computes it");
      continue;
    }
    std::vector<int> idx;
    for (const std::string &n : l.nodes)
      if (auto it = nodeIndex.find(n); it != nodeIndex.end())
        idx.push_back(it->second);
    if (idx.size() != l.nodes.size()) {
      skip("its node is not in the model's main graph");
      continue;
    }
    std::string x = g.node(idx[0]).input(0);
    if (llvm::any_of(idx, [&](int i) { return g.node(i).input(0) != x; })) {
      skip("merged from nodes that read different tensors");
      continue;
    }
    if (auto p = producer.find(x); p != producer.end() && g.node(p->second).op_type() == "DequantizeLinear") {
      ++alreadyQDQ;
      continue;
    }
    // The weights of each node, quantized; checked against the layer's.
    struct NodeWeights {
      int node;
      std::string init;
      SmallVector<int8_t> q;
      SmallVector<float> scales;
      std::vector<int64_t> dims;
      int64_t axis;
    };
    std::vector<NodeWeights> nws;
    std::string why;
    for (size_t k = 0; k < idx.size(); ++k) {
      int i = idx[k];
      const auto &n = g.node(i);
      NodeWeights nw{i, n.input_size() > 1 ? n.input(1) : "", {}, {}, {}, 0};
      auto it = initIndex.find(nw.init);
      if (it == initIndex.end()) {
        why = "the weight of node '" + l.nodes[k] + "' is not an initializer";
        break;
      }
      const auto &t = g.initializer(it->second);
      std::vector<float> vals;
      if (!floatValues(t, vals)) {
        why = "the weight '" + nw.init + "' is not float32 data in the model file";
        break;
      }
      nw.dims.assign(t.dims().begin(), t.dims().end());
      bool transB = false;
      for (const auto &a : n.attribute())
        if (a.name() == "transB")
          transB = a.i() != 0;
      if (n.op_type() == "Conv") {
        if (nw.dims.size() < 3 || nw.dims[0] == 0) {
          why = "unexpected weight shape";
          break;
        }
        int64_t F = nw.dims[0], per = (int64_t)vals.size() / F;
        kiln::quant::quantizeWeights(vals, F, [&](size_t k) { return int64_t(k) / per; }, nw.q, nw.scales);
        nw.axis = 0;
      } else {
        if (nw.dims.size() != 2 || nw.dims[0] == 0 || nw.dims[1] == 0) {
          why = "the weight of node '" + l.nodes[k] + "' is not 2-D";
          break;
        }
        nw.axis = (n.op_type() == "Gemm" && transB) ? 0 : 1;
        int64_t cols = nw.dims[1], F = nw.dims[nw.axis];
        kiln::quant::quantizeWeights(vals, F,
                         [&](size_t k) { return nw.axis == 0 ? int64_t(k) / cols : int64_t(k) % cols; }, nw.q,
                         nw.scales);
      }
      nws.push_back(std::move(nw));
    }
    if (!why.empty()) {
      skip(why);
      continue;
    }
    if (nws.size() == 1) {
      // The layer's int8 weights in Kiln's layout ([F, ...] or [K, N]).
      SmallVector<int8_t> kq;
      Value wv = l.op->getOperand(1);
      const NodeWeights &nw = nws[0];
      if (!kiln::readI8Constant(wv, kq) || kq.size() != nw.q.size()) {
        skip("the layer's weights do not have the node's shape (a graph pass changed them)");
        continue;
      }
      bool transposed = g.node(nw.node).op_type() == "Gemm" && nw.axis == 0;
      int64_t rows = nw.dims[0], cols = nw.dims.size() > 1 ? nw.dims[1] : 1, off1 = 0;
      for (size_t k = 0; k < kq.size(); ++k) {
        // Kiln holds a transB Gemm's weights as [K, N] = the node's [N, K] transposed.
        size_t j = transposed ? (k % rows) * cols + k / rows : k;
        int d = std::abs(int(kq[k]) - int(nw.q[j]));
        if (d > 1) {
          off1 = INT64_MAX;
          break;
        }
        off1 += d;
      }
      // Rounding ties after a folded per-channel scale may move a value by one.
      if (off1 > std::max<int64_t>(1, (int64_t)kq.size() / 1000)) {
        skip("the layer's int8 weights differ from the node's (a graph pass changed them)");
        continue;
      }
    }

    // Activation: Q + DQ of x (one pair per tensor and quantization).
    auto key = std::make_pair(x, std::make_pair(l.scale, l.zeroPoint));
    std::string xdq;
    int first = *std::min_element(idx.begin(), idx.end());
    if (auto it = activationDQ.find(key); it != activationDQ.end()) {
      xdq = it->second.dq;
      it->second.first = std::min(it->second.first, first);
    } else {
      uint8_t zpU = (uint8_t)l.zeroPoint;
      int8_t zpS = (int8_t)l.zeroPoint;
      std::string s = w.scalarInit(x + "_kiln_scale", onnx::TensorProto::FLOAT, &l.scale, 4);
      std::string z = l.isUnsigned ? w.scalarInit(x + "_kiln_zero_point", onnx::TensorProto::UINT8, &zpU, 1)
                                   : w.scalarInit(x + "_kiln_zero_point", onnx::TensorProto::INT8, &zpS, 1);
      std::string q = w.fresh(x + "_kiln_q");
      xdq = w.fresh(x + "_kiln_dq");
      activationDQ[key] = {xdq, {w.node("QuantizeLinear", {x, s, z}, q), w.node("DequantizeLinear", {q, s, z}, xdq)},
                           first};
    }
    for (NodeWeights &nw : nws) {
      onnx::NodeProto &n = *g.mutable_node(nw.node);
      int64_t F = (int64_t)nw.scales.size();
      std::string wq = w.fresh(nw.init + "_kiln_int8");
      *g.add_initializer() = rawTensor(wq, onnx::TensorProto::INT8, nw.dims, nw.q.data(), nw.q.size());
      std::string ws = w.fresh(nw.init + "_kiln_scale");
      *g.add_initializer() = rawTensor(ws, onnx::TensorProto::FLOAT, {F}, nw.scales.data(), F * 4);
      std::vector<int8_t> zeros(F, 0);
      std::string wz = w.fresh(nw.init + "_kiln_zero_point");
      *g.add_initializer() = rawTensor(wz, onnx::TensorProto::INT8, {F}, zeros.data(), F);
      std::string wdq = w.fresh(nw.init + "_kiln_dq");
      onnx::NodeProto dq = w.node("DequantizeLinear", {wq, ws, wz}, wdq);
      auto *axis = dq.add_attribute();
      axis->set_name("axis");
      axis->set_type(onnx::AttributeProto::INT);
      axis->set_i(nw.axis);
      w.weightNodes.push_back(std::move(dq));
      // A float bias (Conv B, Gemm C [N]) as int32 at scale x_scale * w_scale.
      if (int32Bias && n.input_size() > 2 && !n.input(2).empty()) {
        auto bi = initIndex.find(n.input(2));
        std::vector<float> b;
        if (bi != initIndex.end() && floatValues(g.initializer(bi->second), b) && (int64_t)b.size() == F) {
          std::vector<int32_t> bq(F);
          std::vector<float> bs(F);
          bool fits = true;
          for (int64_t f = 0; f < F; ++f) {
            bs[f] = l.scale * nw.scales[f];
            double v = std::nearbyint(double(b[f]) / double(bs[f]));
            fits &= std::fabs(v) < 2147483647.0;
            bq[f] = fits ? (int32_t)v : 0;
          }
          if (fits) {
            std::string bn = w.fresh(n.input(2) + "_kiln_int32");
            *g.add_initializer() = rawTensor(bn, onnx::TensorProto::INT32, {F}, bq.data(), F * 4);
            std::string bsn = w.fresh(n.input(2) + "_kiln_scale");
            *g.add_initializer() = rawTensor(bsn, onnx::TensorProto::FLOAT, {F}, bs.data(), F * 4);
            std::string bdq = w.fresh(n.input(2) + "_kiln_dq");
            onnx::NodeProto d = w.node("DequantizeLinear", {bn, bsn}, bdq);
            auto *ax = d.add_attribute();
            ax->set_name("axis");
            ax->set_type(onnx::AttributeProto::INT);
            ax->set_i(0);
            w.weightNodes.push_back(std::move(d));
            replacedWeights.insert(n.input(2));
            n.set_input(2, bdq);
          }
        }
      }
      n.set_input(0, xdq);
      n.set_input(1, wdq);
      replacedWeights.insert(nw.init);
    }
    ++written;
  }

  // The node list with the inserted nodes; float weights and biases no node
  // reads any more are dropped (kept when a subgraph might read them or the graph
  // lists them as inputs).
  for (auto &[key, a] : activationDQ)
    for (auto &n : a.nodes)
      w.before[a.first].push_back(std::move(n));
  google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
  for (auto &n : w.weightNodes)
    *nodes.Add() = std::move(n);
  for (int i = 0; i < g.node_size(); ++i) {
    for (auto &n : w.before[i])
      *nodes.Add() = std::move(n);
    *nodes.Add() = g.node(i);
  }
  g.mutable_node()->Swap(&nodes);
  if (!hasSubgraphs(g)) {
    llvm::StringSet<> used;
    for (const auto &n : g.node())
      for (const auto &i : n.input())
        used.insert(i);
    for (const auto &o : g.output())
      used.insert(o.name());
    auto *inits = g.mutable_initializer();
    inits->erase(std::remove_if(inits->begin(), inits->end(),
                                [&](const onnx::TensorProto &t) {
                                  return replacedWeights.contains(t.name()) && !used.contains(t.name()) &&
                                         !graphInputs.contains(t.name());
                                }),
                 inits->end());
  }

  for (const std::string &s : skipped)
    llvm::errs() << kTool << ": warning: --emit=qdq-onnx: layer " << s << "; it stays float in the QDQ model\n";
  if (bf16Layers)
    llvm::errs() << kTool << ": warning: --emit=qdq-onnx: " << bf16Layers
                 << " bf16 layer(s) stay float in the QDQ model (QDQ has no bf16 form)\n";
  if (written == 0)
    return fail("none of the " + std::to_string(layers.size()) + " int8 layers could be written");
  std::string bytes;
  if (!w.model.SerializeToString(&bytes))
    return fail("cannot serialize the model (over 2 GiB?)");
  std::error_code ec;
  llvm::raw_fd_ostream out(outPath, ec);
  if (ec)
    return fail("cannot write " + outPath + ": " + ec.message());
  out << bytes;
  llvm::errs() << kTool << ": --emit=qdq-onnx: " << written << " of " << layers.size()
               << " int8 layers written as QuantizeLinear/DequantizeLinear";
  if (alreadyQDQ)
    llvm::errs() << " (" << alreadyQDQ << " already quantized in the model)";
  llvm::errs() << "\n";
  return success();
}
