//===- Prune.cpp - kiln-compile --prune: structured channel pruning ------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// See Prune.h.  The channel groups and their removal are
// kiln/Transforms/ChannelGroups.h (shared with kiln-nn-remove-dead-channels);
// this file observes the calibration data, ranks, refits and reports.
//
//===----------------------------------------------------------------------===//

#include "Prune.h"
#include "Options.h"
#include "SideModel.h"

#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Support/NodeLocation.h"
#include "kiln/Transforms/ChannelGroups.h"
#include "kiln/Transforms/ConstantUtils.h"
#include "kiln/Transforms/Quantize.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatAdapters.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>

using namespace mlir;
using namespace kiln::compile;
namespace nn = kiln::nn;
using kiln::ChannelGroups;

bool kiln::compile::checkPruneOptions(PruneOptions &o) {
  if (o.spec.empty())
    return true;
  auto [kind, ratio] = llvm::StringRef(o.spec).split(':');
  double r = 0;
  if ((kind != "channels" && kind != "flops") || ratio.getAsDouble(r) || !(r > 0 && r < 1)) {
    printError("--prune: '" + o.spec + "' is not channels:R or flops:R with 0 < R < 1 (e.g. channels:0.5)");
    return false;
  }
  o.kind = kind.str();
  o.ratio = r;
  return true;
}

namespace {

constexpr const char *kLayerAttr = "kiln.prune.layer";
/// Gram matrices up to this many columns (128 input channels of a 3x3
/// conv and the bias column); wider layers are ranked from the diagonal and
/// not refitted.
constexpr int64_t kMaxGramColumns = 128 * 9 + 1;
/// im2col rows sampled per image and conv layer.
constexpr int64_t kPositionsPerImage = 16;

/// A layer that reads channels of some group (ChannelGroups::Boundary).
struct Reader {
  int64_t C = 0, kk = 1, F = 0, n = 0;  // input channels, taps per channel, outputs, C * kk + 1
  bool conv = false, gram = false, conv2d = false;
  SmallVector<float> w;                  // [F, C, kk] (conv) or [C, F] (matmul)
  std::vector<double> A;                 // n x n (upper triangle) or the diagonal
  uint64_t rows = 0;
  std::vector<double> energy;            // per input channel
  double totalEnergy = 0;
  // conv geometry
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1;

  double wAt(int64_t f, int64_t col) const {  // weight of output f at im2col column col
    return conv ? w[f * C * kk + col] : w[col * F + f];
  }
};

/// Fills `r` from boundary layer `op`; false if it is not modelled.
bool describeReader(Operation *op, Reader &r) {
  if (!kiln::readF32Constant(op->getOperand(1), r.w))
    return false;
  auto wt = cast<RankedTensorType>(op->getOperand(1).getType());
  if (auto c = dyn_cast<nn::ConvOp>(op)) {
    r.conv = true;
    r.F = wt.getDimSize(0);
    r.C = wt.getDimSize(1);
    r.kk = r.w.size() / (r.F * r.C);
    if (wt.getRank() == 4) {
      r.conv2d = true;
      r.kh = wt.getDimSize(2);
      r.kw = wt.getDimSize(3);
      r.sh = c.getStrides()[0];
      r.sw = c.getStrides()[1];
      r.dh = c.getDilations()[0];
      r.dw = c.getDilations()[1];
      r.ph = c.getPads()[0];
      r.pw = c.getPads()[1];
    }
  } else {
    int64_t rank = wt.getRank();
    r.C = wt.getDimSize(rank - 2);
    r.F = wt.getDimSize(rank - 1);
  }
  r.n = r.C * r.kk + 1;
  r.gram = r.n <= kMaxGramColumns && (!r.conv || r.conv2d);
  return true;
}

/// Adds the rows of `buf` (`count` rows of r.n values) to r.A.
void accumulate(Reader &r, const std::vector<float> &buf, int64_t count) {
  int64_t n = r.n;
  if (!r.gram) {
    for (int64_t k = 0; k < count; ++k)
      for (int64_t i = 0; i < n; ++i)
        r.A[i] += double(buf[k * n + i]) * buf[k * n + i];
  } else {
    for (int64_t k = 0; k < count; ++k) {
      const float *row = buf.data() + k * n;
      for (int64_t i = 0; i < n; ++i) {
        double bi = row[i];
        if (bi == 0)
          continue;
        double *Ai = r.A.data() + i * n;
        for (int64_t j = i; j < n; ++j)
          Ai[j] += bi * row[j];
      }
    }
  }
  r.rows += count;
}

/// The rows a reader computes from: for a matmul every row of the observed
/// input `t` (C values), for a 2-D conv the im2col rows (C x taps values) of
/// kPositionsPerImage output positions per image drawn from `rng`; each row
/// ends with a 1 (the bias column).  The positions depend only on `rng` and
/// the spatial sizes, so the same seed gives the same positions in the
/// dense and the pruned model.
std::vector<float> rowsOf(const Reader &r, const kiln_tensor &t, int64_t C, std::mt19937_64 &rng, int64_t &count) {
  const float *x = static_cast<const float *>(t.data);
  int64_t n = C * r.kk + 1;
  std::vector<float> rows;
  count = 0;
  if (!r.conv) {
    count = C > 0 ? int64_t(t.size_bytes / 4) / C : 0;
    rows.assign(size_t(count * n), 0.f);
    for (int64_t k = 0; k < count; ++k) {
      std::copy(x + k * C, x + (k + 1) * C, rows.begin() + k * n);
      rows[k * n + n - 1] = 1.f;
    }
    return rows;
  }
  if (!r.conv2d || t.rank != 4 || t.dims[1] != C)
    return rows;
  int64_t N = t.dims[0], H = t.dims[2], W = t.dims[3];
  int64_t OH = (H + 2 * r.ph - r.dh * (r.kh - 1) - 1) / r.sh + 1;
  int64_t OW = (W + 2 * r.pw - r.dw * (r.kw - 1) - 1) / r.sw + 1;
  if (OH <= 0 || OW <= 0)
    return rows;
  int64_t P = std::min<int64_t>(kPositionsPerImage, OH * OW);
  rows.assign(size_t(N * P * n), 0.f);
  std::vector<int64_t> pos(OH * OW);
  std::iota(pos.begin(), pos.end(), 0);
  for (int64_t img = 0; img < N; ++img) {
    // P distinct output positions (all of them for small maps).
    for (int64_t k = 0; k < P; ++k)
      std::swap(pos[k], pos[k + int64_t(rng() % uint64_t(OH * OW - k))]);
    for (int64_t k = 0; k < P; ++k) {
      int64_t oh = pos[k] / OW, ow = pos[k] % OW;
      float *row = rows.data() + (img * P + k) * n;
      for (int64_t c = 0; c < C; ++c)
        for (int64_t i = 0; i < r.kh; ++i) {
          int64_t ih = oh * r.sh - r.ph + i * r.dh;
          if (ih < 0 || ih >= H)
            continue;
          for (int64_t j = 0; j < r.kw; ++j) {
            int64_t iw = ow * r.sw - r.pw + j * r.dw;
            if (iw >= 0 && iw < W)
              row[c * r.kk + i * r.kw + j] = x[((img * C + c) * H + ih) * W + iw];
          }
        }
      row[n - 1] = 1.f;
    }
  }
  count = N * P;
  return rows;
}

/// The sampling seed of reader `reader` on calibration sample `sample`.
std::mt19937_64 rowRng(size_t reader, size_t sample) {
  return std::mt19937_64(0x6b696c6eULL ^ (uint64_t(reader) << 32) ^ uint64_t(sample));
}

/// Adds the rows the reader computes from on one observed input to its
/// Gram matrix.
void observe(Reader &r, const kiln_tensor &t, std::mt19937_64 &rng) {
  int64_t count = 0;
  std::vector<float> rows = rowsOf(r, t, r.C, rng, count);
  if (count > 0)
    accumulate(r, rows, count);
}

double gramAt(const Reader &r, int64_t i, int64_t j) {
  if (!r.gram)
    return i == j ? r.A[i] : 0.0;
  return i <= j ? r.A[i * r.n + j] : r.A[j * r.n + i];
}

/// Each input channel's contribution to the layer's output energy:
/// sum_f w_fc' G_cc w_fc (the squared weights without calibration data).
void rankChannels(Reader &r, bool calibrated) {
  calibrated &= r.rows > 0;  // a layer whose inputs could not be sampled: its weights
  r.energy.assign(r.C, 0.0);
  for (int64_t c = 0; c < r.C; ++c)
    for (int64_t f = 0; f < r.F; ++f)
      for (int64_t a = 0; a < r.kk; ++a) {
        double wa = r.wAt(f, c * r.kk + a);
        if (!calibrated) {
          r.energy[c] += wa * wa;
          continue;
        }
        for (int64_t b = 0; b < r.kk; ++b)
          r.energy[c] += wa * gramAt(r, c * r.kk + a, c * r.kk + b) * r.wAt(f, c * r.kk + b);
      }
  r.totalEnergy = 0;
  for (double e : r.energy)
    r.totalEnergy += std::max(e, 0.0);
}

/// Cholesky solve of M x = b for several right-hand sides (M n x n,
/// symmetric positive definite after the ridge); false if it is not.
bool choleskySolve(std::vector<double> M, int64_t n, std::vector<std::vector<double>> &rhs) {
  if (!choleskyFactor(M, n))
    return false;
  for (auto &b : rhs) {
    for (int64_t i = 0; i < n; ++i) {
      double s = b[i];
      for (int64_t k = 0; k < i; ++k)
        s -= M[i * n + k] * b[k];
      b[i] = s / M[i * n + i];
    }
    for (int64_t i = n - 1; i >= 0; --i) {
      double s = b[i];
      for (int64_t k = i + 1; k < n; ++k)
        s -= M[k * n + i] * b[k];
      b[i] = s / M[i * n + i];
    }
  }
  return true;
}

/// Refits reader `r` (op `op`) to its original outputs with only the input
/// channels `kept`: the weights of the removed channels become 0 (removed
/// with them) and the others and the bias are the least-squares fit on the
/// calibration rows.  False if the system could not be solved (the layer
/// keeps its weights, minus the removed channels).
bool refit(const Reader &r, Operation *op, const std::vector<bool> &keptChannel) {
  if (!r.gram || r.rows == 0)
    return false;
  std::vector<int64_t> S;
  for (int64_t c = 0; c < r.C; ++c)
    if (keptChannel[c])
      for (int64_t a = 0; a < r.kk; ++a)
        S.push_back(c * r.kk + a);
  S.push_back(r.n - 1);
  int64_t m = S.size();
  // Normal equations M u = rhs_f, M = G[S, S] and rhs_f = G[S, :] w_f (the
  // dense model's rows: each layer is fitted as if its kept inputs were
  // unchanged; a second pass on the pruned model's inputs, tried, lost
  // accuracy: each layer then compensated for upstream errors that the
  // upstream layers' own refits removed).
  std::vector<double> M(size_t(m * m));
  double trace = 0;
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < m; ++j)
      M[i * m + j] = gramAt(r, S[i], S[j]);
    trace += M[i * m + i];
  }
  std::vector<std::vector<double>> rhs(r.F, std::vector<double>(m, 0.0));
  for (int64_t f = 0; f < r.F; ++f)
    for (int64_t i = 0; i < m; ++i) {
      double s = 0;
      for (int64_t col = 0; col + 1 < r.n; ++col)
        if (double wv = r.wAt(f, col))
          s += gramAt(r, S[i], col) * wv;
      rhs[f][i] = s;
    }
  // A small ridge keeps channels that were always 0 (dead inputs) solvable.
  bool solved = false;
  for (double lambda = 1e-6; lambda <= 1e-1 && !solved; lambda *= 10) {
    std::vector<double> Mr = M;
    for (int64_t i = 0; i < m; ++i)
      Mr[i * m + i] += lambda * trace / m + 1e-12;
    std::vector<std::vector<double>> x = rhs;
    if (choleskySolve(Mr, m, x)) {
      rhs = std::move(x);
      solved = true;
    }
  }
  if (!solved)
    return false;
  std::vector<float> w(r.w.size(), 0.f);
  SmallVector<float> bias;
  (void)kiln::readLayerBias(op, r.F, bias);
  for (int64_t f = 0; f < r.F; ++f) {
    for (int64_t i = 0; i + 1 < m; ++i) {
      int64_t col = S[i];
      (r.conv ? w[f * r.C * r.kk + col] : w[col * r.F + f]) = float(rhs[f][i]);
    }
    bias[f] = float(bias[f] + rhs[f][m - 1]);
  }
  OpBuilder b(op);
  auto wt = cast<RankedTensorType>(op->getOperand(1).getType());
  Value nw = r.conv ? kiln::makeF32Constant(b, op->getLoc(), wt, w, "kiln_refit_weight")
                    : kiln::makeF32MatmulWeight(b, op->getLoc(), wt, w, "kiln_refit_weight");
  op->setOperand(1, nw);
  Value nb = kiln::makeF32Constant(b, op->getLoc(), RankedTensorType::get({r.F}, b.getF32Type()), bias,
                                   "kiln_refit_bias");
  if (auto c = dyn_cast<nn::ConvOp>(op))
    c.getBiasMutable().assign(nb);
  else
    cast<nn::MatmulOp>(op).getBiasMutable().assign(nb);
  return true;
}

/// One conv / matmul for the report.
struct LayerRow {
  std::string name, opType;
  int64_t in = 0, out = 0, macs = 0, weightBytes = 0;
  double removedShare = -1;  // of its output energy, carried by removed inputs (-1: reads none)
};

SmallVector<Operation *> layersOf(func::FuncOp f) {
  SmallVector<Operation *> ops;
  f.walk([&](Operation *op) {
    if (isa<nn::ConvOp, nn::MatmulOp>(op))
      ops.push_back(op);
  });
  return ops;
}

LayerRow describeLayer(Operation *op, DictionaryAttr table) {
  LayerRow l;
  std::tie(l.name, l.opType) = layerNameAndType(op, table);
  auto wt = cast<RankedTensorType>(op->getOperand(1).getType());
  if (isa<nn::ConvOp>(op)) {
    l.out = wt.getDimSize(0);
    l.in = cast<RankedTensorType>(op->getOperand(0).getType()).getDimSize(1);
  } else {
    l.in = wt.getDimSize(wt.getRank() - 2);
    l.out = wt.getDimSize(wt.getRank() - 1);
  }
  l.macs = kiln::quant::layerMacs(op);
  l.weightBytes = kiln::staticNumElements(wt) * 4;
  return l;
}

struct Eval {
  double metric = 0;  // top-1 % (labeled) or agreement % with the dense model
  double loss = 0;    // points lost against the dense model
};

} // namespace

LogicalResult kiln::compile::pruneModule(ModuleOp module, const PruneOptions &opts, const CompileFn &compile,
                                         PhaseReport &phases) {
  phases.begin("pruning: analysis");
  func::FuncOp entry = entryOf(module);
  if (!entry) {
    printError("--prune: the module has no entry function");
    return failure();
  }
  auto table = module->getAttrOfType<DictionaryAttr>(kiln::kNodeTypesAttr);
  ChannelGroups cg(entry);
  // The readers and, per value, the readers of its channels.
  std::vector<Reader> readers(cg.boundaries().size());
  llvm::DenseMap<Value, SmallVector<size_t>> readersOf;
  std::vector<bool> modelled(readers.size(), false);
  for (auto [i, bd] : llvm::enumerate(cg.boundaries())) {
    modelled[i] = describeReader(bd.layer, readers[i]);
    readersOf[bd.input].push_back(i);
  }
  // Candidate groups: not pinned, with at least one layer output channel.
  llvm::DenseSet<Operation *> producers(cg.producers().begin(), cg.producers().end());
  struct Candidate {
    unsigned group;
    Value space;
    double importance = 0, macs = 0;
  };
  std::vector<Candidate> cands;
  for (unsigned g : cg.groups()) {
    if (cg.isPinned(g) || cg.isUnobserved(g))
      continue;
    const std::vector<unsigned> &mem = cg.members(g);
    bool hasProducer = false, ok = true;
    for (unsigned n : mem) {
      Value v = cg.nodeOf(n).first;
      if (v.getDefiningOp() && producers.count(v.getDefiningOp()))
        hasProducer = true;
      if (auto it = readersOf.find(v); it != readersOf.end())
        for (size_t ri : it->second)
          ok &= modelled[ri];
    }
    if (hasProducer && ok)
      cands.push_back({g, cg.nodeOf(mem.front()).first});
  }
  if (cands.empty()) {
    llvm::errs() << kTool << ": warning: --prune: no channel of this model can be pruned (channels read by "
                 << "attention, normalization, grouped convolutions or model outputs stay)\n";
    return success();
  }

  // Calibration: the readers' inputs, observed on the data.
  SideSession side;
  side.option = "--prune";
  if (failed(side.open(entry, opts.calibrationData, opts.evalData, opts.batch)))
    return failure();
  const kiln::data::Dataset &calib = side.calib, &eval = side.eval;
  auto libPath = [&](StringRef name) { return side.libPath(name); };
  auto loadLib = [&](StringRef path, Model &m) { return side.load(path, m); };
  int32_t numOutputs = (int32_t)entry.getNumResults();
  bool calibrated = !calib.samples.empty();
  std::vector<size_t> readerTap(readers.size());  // the calibration library's output of each reader's input
  if (calibrated) {
    phases.begin("pruning: calibration");
    // Tap every reader's input (once per value).
    Builder b(module.getContext());
    SmallVector<Value> tapValues;
    llvm::DenseMap<Value, size_t> tapOf;
    for (auto [i, bd] : llvm::enumerate(cg.boundaries())) {
      bd.layer->setAttr(kLayerAttr, b.getI64IntegerAttr(i));
      auto [it, inserted] = tapOf.try_emplace(bd.input, tapValues.size());
      if (inserted)
        tapValues.push_back(bd.input);
      readerTap[i] = it->second;
    }
    OwningOpRef<ModuleOp> clone = cloneWithOwnWeights(module);
    std::vector<Value> cloneTaps(tapValues.size());
    entryOf(*clone).walk([&](Operation *op) {
      if (auto a = op->getAttrOfType<IntegerAttr>(kLayerAttr))
        cloneTaps[readerTap[a.getInt()]] = op->getOperand(0);
    });
    for (auto [i, bd] : llvm::enumerate(cg.boundaries()))
      bd.layer->removeAttr(kLayerAttr);
    addOutputs(entryOf(*clone), SmallVector<Value>(cloneTaps.begin(), cloneTaps.end()), "kiln.prune.");
    std::string path = libPath("calibration.so");
    if (failed(compile(*clone, path, /*profile=*/false)))
      return failure();
    Model m;
    if (failed(loadLib(path, m)))
      return failure();
    for (Reader &r : readers)
      r.A.assign(r.gram ? size_t(r.n * r.n) : size_t(r.n), 0.0);
    if (failed(runAll(m.m, calib, "--calibration-data", [&](size_t s, ArrayRef<kiln_tensor> outs) {
          for (size_t i = 0; i < readers.size(); ++i)
            if (modelled[i]) {
              std::mt19937_64 rng = rowRng(i, s);
              observe(readers[i], outs[numOutputs + readerTap[i]], rng);
            }
          return success();
        })))
      return failure();
    for (auto [i, r] : llvm::enumerate(readers))
      if (modelled[i] && r.gram && !r.A.empty() && !std::isfinite(r.A[r.n * r.n - 1])) {
        printError("--calibration-data: the input of layer '" +
                   kiln::onnxNodeName(cg.boundaries()[i].layer->getLoc(), table).str() +
                   "' holds NaN or infinite values on the calibration data");
        return failure();
      }
  }
  for (auto [i, r] : llvm::enumerate(readers))
    if (modelled[i])
      rankChannels(r, calibrated);

  // Importance (share of the readers' output energy) and MACs of each
  // candidate group.
  llvm::DenseMap<Operation *, int64_t> outChannels;
  for (Operation *p : cg.producers()) {
    auto rt = cast<RankedTensorType>(p->getResult(0).getType());
    outChannels[p] = rt.getDimSize(kiln::outputChannelDim(p, rt));
  }
  for (Candidate &c : cands) {
    for (unsigned n : cg.members(c.group)) {
      auto [v, ch] = cg.nodeOf(n);
      if (Operation *p = v.getDefiningOp(); p && producers.count(p))
        c.macs += double(kiln::quant::layerMacs(p)) / outChannels[p];
      if (auto it = readersOf.find(v); it != readersOf.end())
        for (size_t ri : it->second) {
          const Reader &r = readers[ri];
          c.macs += double(kiln::quant::layerMacs(cg.boundaries()[ri].layer)) / r.C;
          if (r.totalEnergy > 0)
            c.importance += std::max(r.energy[ch], 0.0) / r.totalEnergy;
        }
    }
  }
  double totalMacs = 0;
  for (Operation *op : layersOf(entry))
    totalMacs += kiln::quant::layerMacs(op);

  // The groups to remove at ratio `ratio`.
  std::map<Value, std::vector<size_t>, std::function<bool(Value, Value)>> spaces(
      [](Value a, Value b) { return a.getAsOpaquePointer() < b.getAsOpaquePointer(); });
  for (size_t i = 0; i < cands.size(); ++i)
    spaces[cands[i].space].push_back(i);
  auto select = [&](double ratio) {
    std::vector<unsigned> chosen;
    if (opts.kind == "channels") {
      for (auto &[space, idx] : spaces) {
        std::vector<size_t> order = idx;
        std::stable_sort(order.begin(), order.end(),
                         [&](size_t a, size_t b) { return cands[a].importance < cands[b].importance; });
        size_t k = std::min<size_t>(size_t(std::floor(ratio * order.size() + 1e-9)), order.size() - 1);
        for (size_t j = 0; j < k; ++j)
          chosen.push_back(cands[order[j]].group);
      }
      return chosen;
    }
    std::vector<size_t> order(cands.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return cands[a].importance / std::max(cands[a].macs, 1.0) < cands[b].importance / std::max(cands[b].macs, 1.0);
    });
    std::map<Value, size_t, std::function<bool(Value, Value)>> used(
        [](Value a, Value b) { return a.getAsOpaquePointer() < b.getAsOpaquePointer(); });
    double saved = 0;
    for (size_t i : order) {
      if (saved >= ratio * totalMacs)
        break;
      size_t n = spaces[cands[i].space].size();
      if (used[cands[i].space] + 1 > n - std::max<size_t>(1, (n + 7) / 8))
        continue;  // keep at least 1/8 of every space
      ++used[cands[i].space];
      saved += cands[i].macs;
      chosen.push_back(cands[i].group);
    }
    return chosen;
  };

  // Per reading layer of the last apply(): the share of its output energy
  // (of its squared weights without calibration data) that the removed
  // input channels carried -- the report's sensitivity.
  std::map<Operation *, double> removedShare;
  // Removes the groups chosen at `ratio` from `m` (the module itself or a
  // clone: the analysis of the same function gives the same group ids),
  // refitting the readers.  Returns the number of groups removed.
  auto apply = [&](ModuleOp m, double ratio, int64_t &refitted) -> int64_t {
    std::vector<unsigned> chosen = select(ratio);
    ChannelGroups target(entryOf(m));
    refitted = 0;
    llvm::DenseSet<unsigned> gone(chosen.begin(), chosen.end());
    removedShare.clear();
    for (auto [i, bd] : llvm::enumerate(target.boundaries())) {
      if (!modelled[i])
        continue;
      const ChannelGroups::ValueInfo *vi = target.info(bd.input);
      std::vector<bool> kept(readers[i].C, true);
      bool any = false;
      double share = 0;
      for (int64_t c = 0; c < readers[i].C; ++c)
        if (gone.count(target.group(vi->base + c))) {
          kept[c] = false;
          any = true;
          share += std::max(readers[i].energy[c], 0.0);
        }
      removedShare[bd.layer] = readers[i].totalEnergy > 0 ? share / readers[i].totalEnergy : 0.0;
      if (any && opts.reconstruct && calibrated && refit(readers[i], bd.layer, kept))
        ++refitted;
    }
    int64_t groups = 0;
    target.remove(chosen, groups);
    return groups;
  };

  // Evaluation (and the budget): the dense model against candidates.
  double ratio = opts.ratio;
  std::vector<int64_t> densePred;
  auto predictions = [&](ModuleOp m, StringRef name, std::vector<int64_t> &pred) {
    return side.predictions(
        m, name, [&](ModuleOp c, StringRef path) { return compile(c, path, /*profile=*/false); }, pred);
  };
  auto score = [&](const std::vector<int64_t> &pred) { return scorePredictions(eval, pred, densePred); };
  Eval denseEval, prunedEval;
  llvm::raw_ostream &os = llvm::errs();
  std::string metric;
  llvm::json::Array searchLog;
  if (!eval.samples.empty()) {
    phases.begin("pruning: evaluation");
    if (failed(predictions(module, "dense.so", densePred)))
      return failure();
    denseEval.metric = score(densePred);
    metric = eval.labeled ? "top-1" : "agreement with the dense model";
    auto evaluate = [&](double r, Eval &e) -> LogicalResult {
      OwningOpRef<ModuleOp> clone = cloneWithOwnWeights(module);
      int64_t refitted = 0;
      apply(*clone, r, refitted);
      std::vector<int64_t> pred;
      if (failed(predictions(*clone, "pruned.so", pred)))
        return failure();
      e.metric = score(pred);
      e.loss = denseEval.metric - e.metric;
      searchLog.push_back(llvm::json::Object{{"ratio", r}, {"metric", e.metric}, {"loss", e.loss}});
      return success();
    };
    if (failed(evaluate(ratio, prunedEval)))
      return failure();
    if (opts.budget >= 0 && prunedEval.loss > opts.budget) {
      os << kTool << ": --prune=" << opts.spec << ": " << metric << " loss " << fmt(prunedEval.loss, 2)
         << " points > budget " << fmt(opts.budget, 2) << "; searching the largest ratio within it\n";
      double lo = 0, hi = ratio;
      Eval best;  // ratio 0: the dense model
      best.metric = denseEval.metric;
      for (int step = 0; step < 5; ++step) {
        double mid = (lo + hi) / 2;
        Eval e;
        if (failed(evaluate(mid, e)))
          return failure();
        os << kTool << ": --prune: ratio " << fmt(mid, 3) << ": " << metric << " loss " << fmt(e.loss, 2)
           << " points\n";
        if (e.loss <= opts.budget) {
          lo = mid;
          best = e;
        } else {
          hi = mid;
        }
      }
      ratio = lo;
      prunedEval = best;
    }
  }

  // The rewrite of the module itself, and the report.
  phases.begin("pruning: rewrite");
  std::map<Operation *, LayerRow> before;
  SmallVector<Operation *> ops = layersOf(entry);
  for (Operation *op : ops)
    before[op] = describeLayer(op, table);
  int64_t refitted = 0;
  removedShare.clear();
  int64_t groups = ratio > 0 ? apply(module, ratio, refitted) : 0;
  std::vector<std::pair<LayerRow, LayerRow>> rows;
  int64_t macs0 = 0, macs1 = 0, bytes0 = 0, bytes1 = 0;
  for (Operation *op : ops) {
    LayerRow after = describeLayer(op, table);
    if (auto it = removedShare.find(op); it != removedShare.end())
      after.removedShare = it->second;
    macs0 += before[op].macs;
    macs1 += after.macs;
    bytes0 += before[op].weightBytes;
    bytes1 += after.weightBytes;
    rows.push_back({before[op], after});
  }
  os << kTool << ": --prune=" << opts.spec << (ratio != opts.ratio ? " (ratio " + fmt(ratio, 3) + " within the budget)" : "")
     << ": " << groups << " channel group(s) removed, " << refitted << " layer(s) refitted"
     << (calibrated ? "" : " (none: no --calibration-data)") << "; MACs " << macs0 << " -> " << macs1 << " ("
     << fmt(macs1 > 0 ? double(macs0) / macs1 : 0, 2) << "x fewer), weights " << bytes0 << " -> " << bytes1
     << " bytes\n";
  if (!eval.samples.empty())
    os << kTool << ": --eval-data: " << densePred.size() << " examples; " << metric << ": dense "
       << fmt(denseEval.metric, 2) << " %, pruned " << fmt(prunedEval.metric, 2) << " % (loss "
       << fmt(prunedEval.loss, 2) << " points)\n";
  if (opts.report.empty())
    return success();
  std::string text;
  llvm::raw_string_ostream rs(text);
  if (StringRef(opts.report).ends_with(".json")) {
    llvm::json::Array layers;
    for (auto &[b, a] : rows)
      layers.push_back(llvm::json::Object{{"layer", b.name},
                                          {"op", b.opType},
                                          {"removed_input_energy", a.removedShare >= 0 ? llvm::json::Value(a.removedShare)
                                                                                       : llvm::json::Value(nullptr)},
                                          {"in_channels", llvm::json::Array{b.in, a.in}},
                                          {"out_channels", llvm::json::Array{b.out, a.out}},
                                          {"macs", llvm::json::Array{b.macs, a.macs}},
                                          {"weight_bytes", llvm::json::Array{b.weightBytes, a.weightBytes}}});
    llvm::json::Object root{{"prune", opts.spec},
                            {"ratio", ratio},
                            {"ranking", calibrated ? "output energy on the calibration data" : "squared weights"},
                            {"reconstruction", opts.reconstruct && calibrated},
                            {"groups_removed", groups},
                            {"layers_refitted", refitted},
                            {"macs", llvm::json::Array{macs0, macs1}},
                            {"weight_bytes", llvm::json::Array{bytes0, bytes1}},
                            {"layers", std::move(layers)}};
    if (!eval.samples.empty())
      root["evaluation"] = llvm::json::Object{{"examples", int64_t(densePred.size())},
                                              {"metric", metric},
                                              {"dense", denseEval.metric},
                                              {"pruned", prunedEval.metric},
                                              {"loss", prunedEval.loss},
                                              {"search", std::move(searchLog)}};
    rs << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
  } else {
    size_t w = 5;
    for (auto &[b, a] : rows)
      w = std::max(w, b.name.size());
    rs << llvm::formatv("{0} {1,-8} {2,11} {3,11} {4,21} {5,21} {6,15}\n",
                        llvm::fmt_align("layer", llvm::AlignStyle::Left, w), "op", "in", "out", "MACs",
                        "weight bytes", "removed energy");
    for (auto &[b, a] : rows)
      rs << llvm::formatv("{0} {1,-8} {2,11} {3,11} {4,21} {5,21} {6,15}\n",
                          llvm::fmt_align(b.name, llvm::AlignStyle::Left, w), b.opType,
                          std::to_string(b.in) + " -> " + std::to_string(a.in),
                          std::to_string(b.out) + " -> " + std::to_string(a.out),
                          std::to_string(b.macs) + " -> " + std::to_string(a.macs),
                          std::to_string(b.weightBytes) + " -> " + std::to_string(a.weightBytes),
                          a.removedShare >= 0 ? fmt(100 * a.removedShare, 2) + " %" : std::string("-"));
    rs << "total MACs " << macs0 << " -> " << macs1 << ", weight bytes " << bytes0 << " -> " << bytes1 << "\n";
  }
  return writeReportText(text, opts.report, "--prune-report");
}
