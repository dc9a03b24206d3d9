//===- Sparsify.cpp - kiln-compile --sparsity: N:M and unstructured -------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// See Sparsify.h.
//
//===----------------------------------------------------------------------===//

#include "Sparsify.h"
#include "Options.h"
#include "SideModel.h"

#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Support/NodeLocation.h"
#include "kiln/Transforms/ConstantUtils.h"
#include "kiln/Transforms/Quantize.h"

#include "mlir/IR/Builders.h"
#include "llvm/Support/FormatAdapters.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace mlir;
using namespace kiln::compile;
namespace nn = kiln::nn;

bool kiln::compile::checkSparsityOptions(SparsityOptions &o) {
  if (o.spec.empty())
    return true;
  auto [head, tail] = llvm::StringRef(o.spec).split(':');
  if (head == "unstructured") {
    double r = 0;
    if (tail.getAsDouble(r) || !(r > 0 && r < 1)) {
      printError("--sparsity: '" + o.spec + "' is not unstructured:R with 0 < R < 1 (e.g. unstructured:0.8)");
      return false;
    }
    o.ratio = r;
    return true;
  }
  int64_t n = 0, m = 0;
  if (head.getAsInteger(10, n) || tail.getAsInteger(10, m) || n < 1 || m < 2 || n >= m || m > 64) {
    printError("--sparsity: '" + o.spec + "' is not N:M (0 < N < M <= 64, e.g. 2:4) or unstructured:R");
    return false;
  }
  o.n = n;
  o.m = m;
  return true;
}

namespace {

constexpr const char *kLayerAttr = "kiln.sparsity.layer";
/// Layers up to this K get the second-order pruning (a K x K Gram matrix,
/// two Cholesky factorizations and an inverse: O(K^3)); wider ones the
/// first-order score |w| x ||x_k||.
constexpr int64_t kMaxSecondOrderK = 1024;

/// One Linear layer: an nn.matmul with constant weights [K, N] (leading
/// unit dims allowed).
struct Layer {
  nn::MatmulOp op;
  int64_t K = 0, N = 0;
  SmallVector<float> w;
  std::vector<double> inputNorm;  // ||x_k|| over the calibration rows (empty: magnitude)
  std::vector<double> H;          // X'X over the calibration rows (upper triangle; empty: none)
  int64_t rows = 0;
  bool reconstructed = false;
  std::string name, opType, skipped;
  int64_t nonzeroBefore = 0, nonzeroAfter = 0;
};

bool describeLayer(nn::MatmulOp op, Layer &l) {
  auto wt = dyn_cast<RankedTensorType>(op.getRhs().getType());
  if (!wt || !wt.hasStaticShape() || wt.getRank() < 2 || !wt.getElementType().isF32())
    return false;
  for (int64_t d = 0; d + 2 < wt.getRank(); ++d)
    if (wt.getDimSize(d) != 1)
      return false;
  l.K = wt.getDimSize(wt.getRank() - 2);
  l.N = wt.getDimSize(wt.getRank() - 1);
  if (l.K < 1 || l.N < 1 || !kiln::readF32Constant(op.getRhs(), l.w) || (int64_t)l.w.size() != l.K * l.N)
    return false;
  l.op = op;
  return true;
}

/// Zeroes the weights the pattern drops, per column (N:M) or per layer
/// (unstructured), lowest score first.
void sparsify(Layer &l, const SparsityOptions &o) {
  auto score = [&](int64_t k, int64_t n) {
    double s = std::fabs(l.w[k * l.N + n]);
    return l.inputNorm.empty() ? s : s * l.inputNorm[k];
  };
  if (o.m) {
    std::vector<int64_t> idx(o.m);
    for (int64_t n = 0; n < l.N; ++n)
      for (int64_t k0 = 0; k0 + o.m <= l.K; k0 += o.m) {
        std::iota(idx.begin(), idx.end(), k0);
        // The M - N lowest scores of the group go (ties: the later k).
        std::stable_sort(idx.begin(), idx.end(), [&](int64_t a, int64_t b) { return score(a, n) > score(b, n); });
        for (int64_t j = o.n; j < o.m; ++j)
          l.w[idx[j] * l.N + n] = 0.f;
      }
    return;
  }
  int64_t total = l.K * l.N, drop = int64_t(std::llround(o.ratio * double(total)));
  std::vector<int64_t> idx(total);
  std::iota(idx.begin(), idx.end(), 0);
  std::nth_element(idx.begin(), idx.begin() + drop, idx.end(), [&](int64_t a, int64_t b) {
    double sa = score(a / l.N, a % l.N), sb = score(b / l.N, b % l.N);
    return sa != sb ? sa < sb : a < b;
  });
  for (int64_t i = 0; i < drop; ++i)
    l.w[idx[i]] = 0.f;
}

/// Second-order pruning with reconstruction (SparseGPT, Frantar and
/// Alistarh 2023, the OBS update done column by column): with H = X'X of
/// the layer's calibration inputs (dampened by 1 % of its mean diagonal)
/// and U the upper Cholesky factor of H^-1, the columns of K are visited
/// in order; in blocks of 128 (unstructured: the fraction R of the block's
/// weights with the lowest w^2 / U_kk^2 over all outputs; N:M: per output,
/// the M - N lowest of each group of M) the pruned weights are zeroed and
/// their error (w - q) / U_kk is spread over the weights of the later
/// columns through row k of U, which compensates the layer's output on the
/// calibration rows as far as the kept weights can.  False (the weights
/// unchanged) when H is singular beyond the dampening.
bool sparseGPT(Layer &l, const SparsityOptions &o) {
  // (Blocks of whole N:M groups.)
  const int64_t K = l.K, N = l.N, B = o.m ? (128 + o.m - 1) / o.m * o.m : 128;
  std::vector<double> H(size_t(K * K));
  for (int64_t i = 0; i < K; ++i)
    for (int64_t j = i; j < K; ++j)
      H[i * K + j] = H[j * K + i] = l.H[i * K + j];
  // W as [N][K] (rows: outputs).
  std::vector<double> W(size_t(N * K));
  for (int64_t k = 0; k < K; ++k)
    for (int64_t n = 0; n < N; ++n)
      W[n * K + k] = l.w[k * N + n];
  double mean = 0;
  for (int64_t i = 0; i < K; ++i)
    mean += H[i * K + i];
  mean /= double(K);
  if (!(mean > 0))
    return false;
  for (int64_t i = 0; i < K; ++i) {
    if (H[i * K + i] == 0) {  // an input that is always 0: its weights do nothing
      H[i * K + i] = 1;
      for (int64_t n = 0; n < N; ++n)
        W[n * K + i] = 0;
    }
    H[i * K + i] += 0.01 * mean;
  }
  // H = L L'; Y = L^-1 (lower); H^-1 = Y'Y; its lower Cholesky factor is U'.
  if (!choleskyFactor(H, K))
    return false;
  std::vector<double> Y(size_t(K * K), 0.0);
  for (int64_t i = 0; i < K; ++i) {
    double *yi = &Y[i * K];
    yi[i] = 1;
    for (int64_t k = 0; k < i; ++k)
      if (double lik = H[i * K + k])
        for (int64_t j = 0; j <= k; ++j)
          yi[j] -= lik * Y[k * K + j];
    double inv = 1 / H[i * K + i];
    for (int64_t j = 0; j <= i; ++j)
      yi[j] *= inv;
  }
  std::vector<double> Hinv(size_t(K * K), 0.0);
  for (int64_t k = 0; k < K; ++k) {
    const double *yk = &Y[k * K];
    for (int64_t i = 0; i <= k; ++i)
      if (double v = yk[i])
        for (int64_t j = 0; j <= i; ++j)
          Hinv[i * K + j] += v * yk[j];
  }
  Y.clear();
  H.clear();
  for (int64_t i = 0; i < K; ++i)
    for (int64_t j = i + 1; j < K; ++j)
      Hinv[i * K + j] = Hinv[j * K + i];
  if (!choleskyFactor(Hinv, K))
    return false;
  // U[i][j] (j >= i) = Hinv's factor at (j, i): copied into the upper triangle.
  std::vector<double> U(size_t(K * K), 0.0);
  for (int64_t i = 0; i < K; ++i)
    for (int64_t j = i; j < K; ++j)
      U[i * K + j] = Hinv[j * K + i];
  Hinv.clear();
  std::vector<char> mask;
  std::vector<double> err;
  std::vector<int64_t> idx;
  for (int64_t i1 = 0; i1 < K; i1 += B) {
    int64_t i2 = std::min(K, i1 + B), cnt = i2 - i1;
    mask.assign(size_t(N * cnt), 0);
    err.assign(size_t(N * cnt), 0.0);
    auto score = [&](int64_t n, int64_t k) {
      double w = W[n * K + k], d = U[k * K + k];
      return w * w / (d * d);
    };
    if (!o.m) {
      // The fraction R of the block's weights with the lowest scores.
      std::vector<std::pair<double, int64_t>> all;
      all.reserve(size_t(N * cnt));
      for (int64_t n = 0; n < N; ++n)
        for (int64_t t = 0; t < cnt; ++t)
          all.push_back({score(n, i1 + t), n * cnt + t});
      int64_t drop = int64_t(std::llround(o.ratio * double(all.size())));
      std::nth_element(all.begin(), all.begin() + drop, all.end());
      for (int64_t j = 0; j < drop; ++j)
        mask[all[j].second] = 1;
    }
    for (int64_t t = 0; t < cnt; ++t) {
      int64_t k = i1 + t;
      if (o.m && (k % o.m) == 0) {
        idx.resize(o.m);
        for (int64_t n = 0; n < N; ++n) {
          std::iota(idx.begin(), idx.end(), k);
          std::stable_sort(idx.begin(), idx.end(),
                           [&](int64_t a, int64_t b) { return score(n, a) < score(n, b); });
          for (int64_t j = 0; j < o.m - o.n; ++j)
            mask[n * cnt + (idx[j] - i1)] = 1;
        }
      }
      double d = U[k * K + k];
      const double *uk = &U[k * K];
      for (int64_t n = 0; n < N; ++n) {
        double *wn = &W[n * K];
        if (!mask[n * cnt + t])
          continue;
        double e = wn[k] / d;
        err[n * cnt + t] = e;
        wn[k] = 0;
        for (int64_t j = k + 1; j < i2; ++j)
          wn[j] -= e * uk[j];
      }
    }
    // The block's errors onto the later columns.
    for (int64_t n = 0; n < N; ++n) {
      double *wn = &W[n * K];
      for (int64_t t = 0; t < cnt; ++t)
        if (double e = err[n * cnt + t]) {
          const double *ut = &U[(i1 + t) * K];
          for (int64_t j = i2; j < K; ++j)
            wn[j] -= e * ut[j];
        }
    }
  }
  for (int64_t k = 0; k < K; ++k)
    for (int64_t n = 0; n < N; ++n)
      l.w[k * N + n] = float(W[n * K + k]);
  return true;
}

int64_t countNonzero(ArrayRef<float> w) {
  return std::count_if(w.begin(), w.end(), [](float v) { return v != 0.f; });
}

} // namespace

LogicalResult kiln::compile::sparsifyModule(ModuleOp module, const SparsityOptions &opts, const CompileFn &compile,
                                            PhaseReport &phases) {
  phases.begin("sparsity: analysis");
  func::FuncOp entry = entryOf(module);
  if (!entry) {
    printError("--sparsity: the module has no entry function");
    return failure();
  }
  auto table = module->getAttrOfType<DictionaryAttr>(kiln::kNodeTypesAttr);
  std::vector<Layer> layers;
  entry.walk([&](nn::MatmulOp op) {
    Layer l;
    if (!describeLayer(op, l))
      return;
    std::tie(l.name, l.opType) = layerNameAndType(op, table);
    l.nonzeroBefore = countNonzero(l.w);
    if (opts.m && l.K % opts.m)
      l.skipped = "K = " + std::to_string(l.K) + " is not a multiple of " + std::to_string(opts.m);
    layers.push_back(std::move(l));
  });
  llvm::raw_ostream &os = llvm::errs();
  if (layers.empty()) {
    os << kTool << ": warning: --sparsity: this model has no MatMul/Gemm layer with constant weights (convolutions "
       << "are not sparsified)\n";
    return success();
  }

  SideSession side;
  side.option = "--sparsity";
  if (failed(side.open(entry, opts.calibrationData, opts.evalData, opts.batch)))
    return failure();
  bool calibrated = !side.calib.samples.empty();
  int32_t numOutputs = (int32_t)entry.getNumResults();
  if (calibrated) {
    // The norm of every input feature over the calibration rows.
    phases.begin("sparsity: calibration");
    Builder b(module.getContext());
    for (auto [i, l] : llvm::enumerate(layers))
      l.op->setAttr(kLayerAttr, b.getI64IntegerAttr(i));
    OwningOpRef<ModuleOp> clone = cloneWithOwnWeights(module);
    SmallVector<Value> taps(layers.size());
    entryOf(*clone).walk([&](nn::MatmulOp op) {
      if (auto a = op->getAttrOfType<IntegerAttr>(kLayerAttr))
        taps[a.getInt()] = op.getLhs();
    });
    for (Layer &l : layers)
      l.op->removeAttr(kLayerAttr);
    addOutputs(entryOf(*clone), taps, "kiln.sparsity.");
    std::string path = side.libPath("calibration.so");
    Model m;
    if (failed(compile(*clone, path, /*profile=*/false)) || failed(side.load(path, m)))
      return failure();
    for (Layer &l : layers) {
      l.inputNorm.assign(size_t(l.K), 0.0);
      if (l.K <= kMaxSecondOrderK && l.skipped.empty())
        l.H.assign(size_t(l.K * l.K), 0.0);
    }
    if (failed(runAll(m.m, side.calib, "--calibration-data", [&](size_t, ArrayRef<kiln_tensor> outs) {
          for (auto [i, l] : llvm::enumerate(layers)) {
            const kiln_tensor &t = outs[numOutputs + i];
            const float *x = static_cast<const float *>(t.data);
            int64_t rows = int64_t(t.size_bytes / 4) / l.K;
            l.rows += rows;
            std::vector<double> xr(size_t(l.K));
            for (int64_t r = 0; r < rows; ++r) {
              for (int64_t k = 0; k < l.K; ++k) {
                xr[k] = x[r * l.K + k];
                l.inputNorm[k] += xr[k] * xr[k];
              }
              if (!l.H.empty())
                for (int64_t i = 0; i < l.K; ++i)
                  if (double xi = xr[i]) {
                    double *hi = &l.H[i * l.K];
                    for (int64_t j = i; j < l.K; ++j)
                      hi[j] += xi * xr[j];
                  }
            }
          }
          return success();
        })))
      return failure();
    for (Layer &l : layers)
      for (double &v : l.inputNorm) {
        if (!std::isfinite(v)) {
          printError("--calibration-data: the input of layer '" + l.name +
                     "' holds NaN or infinite values on the calibration data");
          return failure();
        }
        v = std::sqrt(v);
      }
  }

  // Evaluation: the dense model's predictions before the rewrite.
  std::vector<int64_t> densePred, sparsePred;
  auto predictions = [&](StringRef name, std::vector<int64_t> &pred) {
    return side.predictions(
        module, name, [&](ModuleOp c, StringRef path) { return compile(c, path, /*profile=*/false); }, pred);
  };
  bool evaluated = !side.eval.samples.empty();
  if (evaluated) {
    phases.begin("sparsity: evaluation");
    if (failed(predictions("dense.so", densePred)))
      return failure();
  }

  phases.begin("sparsity: rewrite");
  int64_t weights = 0, nz0 = 0, nz1 = 0, done = 0;
  for (Layer &l : layers) {
    weights += l.K * l.N;
    nz0 += l.nonzeroBefore;
    if (l.skipped.empty()) {
      l.reconstructed = !l.H.empty() && sparseGPT(l, opts);
      if (!l.reconstructed)
        sparsify(l, opts);
      l.H.clear();
      OpBuilder b(l.op);
      auto wt = cast<RankedTensorType>(l.op.getRhs().getType());
      l.op.getRhsMutable().assign(kiln::makeF32MatmulWeight(b, l.op.getLoc(), wt, l.w, "kiln_sparse_weight"));
      ++done;
    }
    l.nonzeroAfter = countNonzero(l.w);
    nz1 += l.nonzeroAfter;
    l.w.clear();
  }
  kiln::eraseDeadConstants(entry);
  auto pct = [](int64_t part, int64_t whole) { return whole ? 100.0 * double(part) / double(whole) : 0.0; };
  auto method = [&](const Layer &l) -> std::string {
    if (!l.skipped.empty())
      return "-";
    return l.reconstructed ? "second-order" : calibrated ? "|w|*|x|" : "|w|";
  };
  int64_t second = llvm::count_if(layers, [](const Layer &l) { return l.reconstructed; });
  os << kTool << ": --sparsity=" << opts.spec << ": " << done << " of " << layers.size()
     << " MatMul/Gemm layer(s) sparsified ("
     << (calibrated ? std::to_string(second) + " by second-order pruning with reconstruction, " +
                          std::to_string(done - second) + " by |w| x input norm, on --calibration-data"
                    : std::string("by magnitude"))
     << "); their weights " << fmt(pct(weights - nz0, weights), 1) << " % -> " << fmt(pct(weights - nz1, weights), 1)
     << " % zero\n";
  double denseMetric = 0, sparseMetric = 0;
  std::string metric;
  if (evaluated) {
    phases.begin("sparsity: evaluation");
    if (failed(predictions("sparse.so", sparsePred)))
      return failure();
    metric = side.eval.labeled ? "top-1" : "agreement with the dense model";
    denseMetric = scorePredictions(side.eval, densePred, densePred);
    sparseMetric = scorePredictions(side.eval, sparsePred, densePred);
    os << kTool << ": --eval-data: " << densePred.size() << " examples; " << metric << ": dense "
       << fmt(denseMetric, 2) << " %, sparse " << fmt(sparseMetric, 2) << " % (loss "
       << fmt(denseMetric - sparseMetric, 2) << " points)\n";
  }
  if (opts.report.empty())
    return success();
  std::string text;
  llvm::raw_string_ostream rs(text);
  if (StringRef(opts.report).ends_with(".json")) {
    llvm::json::Array rows;
    for (const Layer &l : layers) {
      llvm::json::Object o{{"layer", l.name},
                           {"op", l.opType},
                           {"k", l.K},
                           {"n", l.N},
                           {"sparsity", llvm::json::Array{1.0 - double(l.nonzeroBefore) / double(l.K * l.N),
                                                          1.0 - double(l.nonzeroAfter) / double(l.K * l.N)}},
                           {"nonzero_weights", llvm::json::Array{l.nonzeroBefore, l.nonzeroAfter}},
                           {"method", method(l)}};
      if (!l.skipped.empty())
        o["skipped"] = l.skipped;
      rows.push_back(std::move(o));
    }
    llvm::json::Object root{{"sparsity", opts.spec},
                            {"calibration_rows", calibrated ? llvm::json::Value(layers.front().rows)
                                                            : llvm::json::Value(nullptr)},
                            {"layers_sparsified", done},
                            {"weights", weights},
                            {"nonzero_weights", llvm::json::Array{nz0, nz1}},
                            {"layers", std::move(rows)}};
    if (evaluated)
      root["evaluation"] = llvm::json::Object{{"examples", int64_t(densePred.size())},
                                              {"metric", metric},
                                              {"dense", denseMetric},
                                              {"sparse", sparseMetric},
                                              {"loss", denseMetric - sparseMetric}};
    rs << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
  } else {
    size_t w = 5;
    for (const Layer &l : layers)
      w = std::max(w, l.name.size());
    rs << llvm::formatv("{0} {1,-8} {2,13} {3,23} {4,17} {5,-12}\n",
                        llvm::fmt_align("layer", llvm::AlignStyle::Left, w), "op", "K x N", "nonzero weights",
                        "sparsity", "method");
    for (const Layer &l : layers)
      rs << llvm::formatv("{0} {1,-8} {2,13} {3,23} {4,17} {6,-12}{5}\n",
                          llvm::fmt_align(l.name, llvm::AlignStyle::Left, w), l.opType,
                          std::to_string(l.K) + " x " + std::to_string(l.N),
                          std::to_string(l.nonzeroBefore) + " -> " + std::to_string(l.nonzeroAfter),
                          fmt(100 - pct(l.nonzeroBefore, l.K * l.N), 1) + " -> " +
                              fmt(100 - pct(l.nonzeroAfter, l.K * l.N), 1) + " %",
                          l.skipped.empty() ? "" : "  (skipped: " + l.skipped + ")", method(l));
    rs << "total nonzero weights " << nz0 << " -> " << nz1 << " of " << weights << "\n";
  }
  return writeReportText(text, opts.report, "--sparsity-report");
}
