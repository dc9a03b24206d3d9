//===- Quantize.cpp - kiln-compile --quantize: calibrate, rewrite, evaluate ===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// See Quantize.h.  The float model is compiled with extra outputs (the
// tensors to observe) into a temporary library, which runs here through
// Kiln's C runtime: calibration and the accuracy checks measure the code
// Kiln generates, not a reimplementation of it.
//
//===----------------------------------------------------------------------===//

#include "Quantize.h"
#include "Options.h"
#include "SideModel.h"

#include "Dataset.h"

#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Support/NodeLocation.h"
#include "kiln/Transforms/Passes.h"
#include "kiln/Transforms/ConstantUtils.h"
#include "kiln/Transforms/Quantize.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AttrTypeSubElements.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Parallel.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <random>

using namespace mlir;
using namespace kiln::compile;
namespace quant = kiln::quant;

/// --accuracy-budget (shared with --prune).
static bool parseBudget(QuantizeOptions &o) {
  if (o.budgetText.empty())
    return true;
  double v;
  if (llvm::StringRef(o.budgetText).getAsDouble(v) || !(v >= 0) || !std::isfinite(v)) {
    printError("--accuracy-budget: '" + o.budgetText + "' is not a number of points >= 0 (e.g. 0.5)");
    return false;
  }
  o.budget = v;
  if (o.evalData.empty()) {
    printError("--accuracy-budget needs --eval-data DIR (the budget is measured on it)");
    return false;
  }
  return true;
}

bool kiln::compile::checkQuantizeOptions(QuantizeOptions &o) {
  if (o.mode.empty()) {
    for (auto [name, given] : {std::pair{"--calibration-data", !o.calibrationData.empty() && !o.pruning},
                               {"--eval-data", !o.evalData.empty() && !o.pruning},
                               {"--accuracy-budget", !o.budgetText.empty() && !o.pruning},
                               {"--quant-report", !o.report.empty()}})
      if (given) {
        printError(llvm::Twine(name) + " needs --quantize" +
                   (llvm::StringRef(name) == "--quant-report" ? "" : ", --prune or --sparsity"));
        return false;
      }
    return !o.pruning || parseBudget(o);
  }
  if (o.mode != "int8" && o.mode != "mixed" && o.mode != "bf16" && o.mode != "int4-weights") {
    printError("unknown --quantize value '" + o.mode + "' (expected int8, bf16, mixed or int4-weights)");
    return false;
  }
  bool int4Mode = o.mode == "int4-weights" || (o.mode == "mixed" && o.mixedInt4);
  if (o.mixedInt4 && o.mode != "mixed") {
    printError("--mixed-int4 applies to --quantize=mixed only");
    return false;
  }
  if ((o.int4GroupGiven || o.awqGiven || o.int4ActivationsGiven) && !int4Mode) {
    printError(llvm::Twine(o.int4GroupGiven ? "--int4-group" : o.awqGiven ? "--awq" : "--int4-activations") +
               " applies to --quantize=int4-weights and --quantize=mixed --mixed-int4 only");
    return false;
  }
  if (int4Mode) {
    int64_t g;
    if (llvm::StringRef(o.int4GroupText).getAsInteger(10, g) || g < 2 || g % 2 || g > 65536) {
      printError("--int4-group: '" + o.int4GroupText + "' is not an even group size >= 2 (e.g. 32, 64 or 128)");
      return false;
    }
    o.int4Group = g;
    if (o.awq != "on" && o.awq != "off") {
      printError("unknown --awq value '" + o.awq + "' (expected on or off)");
      return false;
    }
    if (o.int4Activations != "f32" && o.int4Activations != "int8") {
      printError("unknown --int4-activations value '" + o.int4Activations + "' (expected f32 or int8)");
      return false;
    }
    if (o.int4Activations == "int8" && g % 8) {
      printError("--int4-activations=int8 needs an --int4-group that is a multiple of 8 (got " + o.int4GroupText +
                 ")");
      return false;
    }
  }
  if (!parseBudget(o))
    return false;
  if (o.mixedFallback != "auto" && o.mixedFallback != "fp32" && o.mixedFallback != "bf16") {
    printError("unknown --mixed-fallback value '" + o.mixedFallback + "' (expected auto, fp32 or bf16)");
    return false;
  }
  if (o.mixedFallbackGiven && o.mode != "mixed") {
    printError("--mixed-fallback applies to --quantize=mixed only");
    return false;
  }
  if (o.mode == "mixed" && (o.evalData.empty() || o.budget < 0)) {
    printError("--quantize=mixed needs --eval-data DIR and --accuracy-budget=POINTS (it keeps layers in fp32 "
               "until the measured loss is within the budget)");
    return false;
  }
  if (o.mode == "int4-weights") {
    if (o.method != "minmax") {
      printError("--calibration chooses int8 activation ranges: --quantize=int4-weights keeps activations in f32");
      return false;
    }
    if (o.awq == "on" && o.calibrationData.empty()) {
      printError("--quantize=int4-weights needs --calibration-data DIR for its activation-aware scales (or "
                 "--awq=off for round-to-nearest weights)");
      return false;
    }
    if (o.awq == "off" && !o.calibrationData.empty()) {
      printError("--awq=off rounds the weights without calibration: drop --calibration-data");
      return false;
    }
    return true;
  }
  if (o.mode == "bf16") {
    // bf16 rounds each value to its nearest: there is no range to choose.
    if (!o.calibrationData.empty() || o.method != "minmax") {
      printError("--quantize=bf16 needs no calibration (each value rounds to the nearest bf16): drop "
                 "--calibration-data and --calibration");
      return false;
    }
    return true;
  }
  if (o.calibrationData.empty()) {
    printError("--quantize=" + o.mode +
               " needs --calibration-data DIR (samples of the model's inputs that set the "
               "activation ranges; scripts/write_fashion_mnist_data.py writes an example)");
    return false;
  }
  llvm::StringRef m = o.method;
  if (m.consume_front("percentile:")) {
    double p;
    if (m.getAsDouble(p) || !(p > 50 && p <= 100)) {
      printError("--calibration=percentile:P needs P in (50, 100], e.g. percentile:99.99 (got '" + o.method +
                 "')");
      return false;
    }
    o.percentile = p;
    o.method = "percentile";
  } else if (m != "minmax" && m != "entropy") {
    printError("unknown --calibration value '" + o.method + "' (expected minmax, percentile:P or entropy)");
    return false;
  }
  return true;
}

namespace {

constexpr int kBins = 2048;

/// What one observed tensor (a layer's input) saw over the calibration set.
struct TapStats {
  double lo = std::numeric_limits<double>::infinity(), hi = -std::numeric_limits<double>::infinity();
  std::vector<double> hist; // kBins over [lo, hi] (second pass)
  double zeros = 0;          // exact zeros among them (ReLU outputs)
  uint64_t count = 0;
  bool nonFinite = false;
};

/// One quantizable layer, for the report.
struct Layer {
  std::string name, opType;
  int64_t macs = 0;
  float lo = 0, hi = 0;
  quant::ActParams act;
  double errSq = 0, refSq = 0; // sensitivity: sum of squared error / of squared reference
  double fp32Ns = -1, int8Ns = -1, bf16Ns = -1; // steady-state time in each precision (-1: not measured)
  std::string precision = "int8";
  std::string why; // why it stays fp32 (layers that cannot run in int8)
  // int4-weights: K, N, the AWQ exponent chosen (-1: none), and the output
  // error on the calibration rows relative to fp32 with round-to-nearest
  // weights and with the chosen scales; the measured time.
  int64_t K = 0, N = 0;
  double alpha = -1, rtnErr = -1, awqErr = -1, int4Ns = -1;
  std::vector<float> awqScale;
};


/// Average nanoseconds per run of each profile entry, by the name of its
/// first node (an entry of fused nodes is named "first+second+...": a
/// layer's entry includes what was fused into it, e.g. its ReLU and the
/// next layer's quantization).
std::map<std::string, double> profileNs(kiln_model *model, size_t runs) {
  std::map<std::string, double> ns;
  int32_t n = 0;
  if (!kiln_model_has_profile(model) || kiln_model_profile_count(model, &n) != KILN_OK)
    return ns;
  for (int32_t i = 0; i < n; ++i) {
    kiln_profile_entry e;
    if (kiln_model_profile_entry(model, i, &e) == KILN_OK && runs)
      ns[llvm::StringRef(e.name).split('+').first.str()] += double(e.ns) / double(runs);
  }
  return ns;
}

/// Each profile entry's steady-state time (ns, by first node name as
/// profileNs): `model` runs on `sample` once to warm up, then at least 3
/// and up to 10 times (while under a second), each with a fresh profile;
/// an entry's time is its fastest run.  Empty if the model has no profile
/// or a run fails.
std::map<std::string, double> steadyProfileNs(kiln_model *model, const kiln::data::Sample &sample) {
  if (!kiln_model_has_profile(model))
    return {};
  std::vector<kiln_tensor> outs(kiln_model_num_outputs(model));
  auto once = [&] {
    bool ok = runSample(model, sample, outs);
    if (ok)
      freeOutputs(outs);
    return ok;
  };
  if (!once())
    return {};
  // Each entry's fastest run: other work on the machine only ever slows a
  // run down, so the minimum is the figure it disturbs least (a mean let a
  // busy machine reorder --quantize=mixed's layers).
  std::map<std::string, double> best;
  auto t0 = std::chrono::steady_clock::now();
  for (size_t runs = 0; runs < 3 || (runs < 10 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(1));
       ++runs) {
    if (kiln_model_profile_reset(model) != KILN_OK || !once())
      return {};
    for (const auto &[name, ns] : profileNs(model, 1)) {
      auto [it, inserted] = best.try_emplace(name, ns);
      if (!inserted)
        it->second = std::min(it->second, ns);
    }
  }
  return best;
}

/// The range [lo, hi] to quantize a tensor to, from its statistics.
std::pair<double, double> chooseRange(const TapStats &t, const QuantizeOptions &o) {
  if (t.count == 0 || !(t.hi >= t.lo))
    return {0, 0};
  if (o.method == "minmax" || t.hist.empty() || t.hi == t.lo)
    return {t.lo, t.hi};
  double width = (t.hi - t.lo) / kBins;
  double total = 0;
  for (double h : t.hist)
    total += h;
  if (o.method == "percentile") {
    // The values below the (100 - P)th and above the Pth percentile are
    // clipped.  Below: a lower percentile at or above 0 (the negative values,
    // if any, are all in the tail) clips to 0, which the range always holds.
    double tail = total * (100 - o.percentile) / 100;
    double acc = 0, lo = t.lo, hi = t.hi;
    for (int i = kBins - 1; i >= 0; --i) {
      acc += t.hist[i];
      if (acc > tail) {
        hi = t.lo + (i + 1) * width;
        break;
      }
    }
    acc = 0;
    for (int i = 0; i < kBins; ++i) {
      acc += t.hist[i];
      if (acc > tail) {
        lo = t.lo + i * width;
        break;
      }
    }
    return {std::min(lo, 0.0), hi};
  }
  // entropy: the clipping threshold T of |x| whose quantization to the
  // levels available on that side keeps the distribution closest (least
  // Kullback-Leibler divergence) to the observed one, over candidate
  // thresholds from 1/16 of the range up (TensorRT's calibration, on the
  // histogram of |x| rebuilt from the value histogram).
  double amax = std::max(std::fabs(t.lo), std::fabs(t.hi));
  std::vector<double> abs(kBins, 0);
  for (int i = 0; i < kBins; ++i) {
    double center = t.lo + (i + 0.5) * width;
    int j = std::min(kBins - 1, int(std::fabs(center) / amax * kBins));
    abs[j] += t.hist[i];
  }
  // Exact zeros (most of a ReLU's output) are exact whatever the range:
  // they would only dilute the divergence of the values that clipping and
  // rounding do change.
  abs[0] = std::max(0.0, abs[0] - t.zeros);
  int levels = t.lo >= 0 ? 256 : 128;
  int best = kBins;
  double bestKL = std::numeric_limits<double>::infinity();
  for (int n = std::max(levels, kBins / 16); n <= kBins; ++n) {
    std::vector<double> p(abs.begin(), abs.begin() + n);
    for (int i = n; i < kBins; ++i)
      p[n - 1] += abs[i];
    double psum = 0;
    for (double v : p)
      psum += v;
    if (psum <= 0)
      continue;
    // Q: the histogram without the clipped mass merged into `levels`
    // groups, each group's mass spread evenly over its non-empty bins; both
    // distributions normalized.  (P holds the clipped values in its last
    // bin, Q does not: clipping costs what it moves.)
    std::vector<double> q(n, 0);
    double qsum = 0;
    for (int g = 0; g < levels; ++g) {
      int b0 = int(int64_t(g) * n / levels), b1 = int(int64_t(g + 1) * n / levels);
      double mass = 0;
      int nonEmpty = 0;
      for (int i = b0; i < b1; ++i) {
        mass += abs[i];
        nonEmpty += abs[i] > 0;
      }
      for (int i = b0; i < b1; ++i)
        if (abs[i] > 0)
          q[i] = mass / nonEmpty;
      qsum += mass;
    }
    if (qsum <= 0)
      continue;
    double kl = 0;
    for (int i = 0; i < n; ++i)
      if (p[i] > 0)
        kl += p[i] / psum * std::log((p[i] / psum) / std::max(q[i] / qsum, 1e-12));
    if (kl < bestKL) {
      bestKL = kl;
      best = n;
    }
  }
  double T = amax * (best + 0.5) / kBins;
  return {std::max(t.lo, -T), std::min(t.hi, T)};
}


/// Prints the evaluation of a quantized model on --eval-data (n examples;
/// fp32 top-1 c32, the quantized model's `correct`, its agreement with
/// fp32 and its loss in points) and records it in `json`.
void printEvaluation(size_t n, size_t c32, size_t agree, size_t correct, double loss, bool labeled, StringRef qname,
                     const QuantizeOptions &opts, llvm::json::Object &json) {
  llvm::raw_ostream &os = llvm::errs();
  StringRef metric = labeled ? "top-1 drop" : "disagreement with fp32";
  os << kTool << ": --eval-data: " << n << " examples\n";
  json["examples"] = int64_t(n);
  json["agreement"] = n ? double(agree) / n : 0.0;
  if (labeled) {
    double a32 = 100.0 * c32 / n, aq = 100.0 * correct / n;
    os << kTool << ":   top-1 fp32 " << fmt(a32, 2) << " % (" << c32 << "/" << n << "), " << qname << " "
       << fmt(aq, 2) << " % (" << correct << "/" << n << "), difference " << fmt(aq - a32, 2) << " points\n";
    json["top1_fp32"] = a32;
    json[("top1_" + qname).str()] = aq;
  }
  os << kTool << ":   " << qname << " agrees with fp32 on " << agree << "/" << n << " ("
     << fmt(n ? 100.0 * agree / n : 0, 2) << " %)\n";
  if (opts.budget >= 0) {
    json["budget"] = opts.budget;
    json["loss"] = loss;
    if (loss > opts.budget)
      os << kTool << ": warning: --accuracy-budget " << fmt(opts.budget, 2) << ": the " << metric << " is "
         << fmt(loss, 2) << " points\n";
  }
}

/// The text report's widths of the layer and op columns.
std::pair<size_t, size_t> columnWidths(ArrayRef<Layer> layers, ArrayRef<Layer> kept) {
  size_t w = 6, wop = 3;
  for (ArrayRef<Layer> ls : {layers, kept})
    for (const Layer &l : ls) {
      w = std::max(w, l.name.size() + 2);
      wop = std::max(wop, l.opType.size() + 2);
    }
  return {w, wop};
}

/// The text report's list of the layers that stay fp32, with the reason.
void writeKept(llvm::raw_ostream &os, ArrayRef<Layer> kept, size_t w, size_t wop) {
  if (!kept.empty())
    os << kept.size() << " convolution/matmul layer(s) stay fp32:\n";
  for (const Layer &l : kept)
    os << "  " << llvm::left_justify(l.name, w) << llvm::left_justify(l.opType, wop) << l.macs << " MACs: " << l.why
       << "\n";
}

/// An int4 layer's weight bytes: the codes (two per byte) and per group
/// and column an f32 scale and an i8 zero point.
int64_t int4WeightBytes(const Layer &l, int64_t group) { return l.K * l.N / 2 + 5 * (l.K / group) * l.N; }

void writeInt4TextReport(llvm::raw_ostream &os, ArrayRef<Layer> layers, ArrayRef<Layer> kept,
                         const QuantizeOptions &o) {
  os << "kiln-compile --quantize=int4-weights: " << layers.size() << " layers (groups of " << o.int4Group
     << " along K, asymmetric; AWQ " << o.awq << "; activations " << o.int4Activations << ")\n";
  auto [w, wop] = columnWidths(layers, kept);
  os << llvm::left_justify("layer", w) << llvm::left_justify("op", wop) << llvm::right_justify("K x N", 12)
     << llvm::right_justify("MACs", 12) << llvm::right_justify("fp32 KB", 10) << llvm::right_justify("int4 KB", 10)
     << llvm::right_justify("alpha", 7) << llvm::right_justify("rtn err", 10) << llvm::right_justify("awq err", 10)
     << llvm::right_justify("fp32 us", 10) << llvm::right_justify("int4 us", 10) << "\n";
  for (const Layer &l : layers) {
    os << llvm::left_justify(l.name, w) << llvm::left_justify(l.opType, wop)
       << llvm::right_justify(std::to_string(l.K) + "x" + std::to_string(l.N), 12)
       << llvm::right_justify(std::to_string(l.macs), 12) << llvm::right_justify(fmt(4.0 * l.K * l.N / 1024, 1), 10)
       << llvm::right_justify(fmt(int4WeightBytes(l, o.int4Group) / 1024.0, 1), 10)
       << llvm::right_justify(l.alpha >= 0 ? fmt(l.alpha, 2) : "-", 7)
       << llvm::right_justify(l.rtnErr >= 0 ? fmt(l.rtnErr, 5) : "-", 10)
       << llvm::right_justify(l.awqErr >= 0 ? fmt(l.awqErr, 5) : "-", 10)
       << llvm::right_justify(l.fp32Ns >= 0 ? fmt(l.fp32Ns / 1e3, 1) : "-", 10)
       << llvm::right_justify(l.int4Ns >= 0 ? fmt(l.int4Ns / 1e3, 1) : "-", 10) << "\n";
  }
  writeKept(os, kept, w, wop);
}

void writeTextReport(llvm::raw_ostream &os, ArrayRef<Layer> layers, ArrayRef<Layer> kept, const QuantizeOptions &o) {
  if (o.mode == "int4-weights")
    return writeInt4TextReport(os, layers, kept, o);
  os << "kiln-compile --quantize=" << o.mode << ": " << layers.size() << " layers";
  if (o.mode == "bf16") {
    os << " (bf16 operands, f32 accumulation; no calibration)\n";
  } else {
    os << " (calibration: " << o.method;
    if (o.method == "percentile")
      os << " " << llvm::format("%g", o.percentile);
    os << ")\n";
  }
  auto [w, wop] = columnWidths(layers, kept);
  os << llvm::left_justify("layer", w) << llvm::left_justify("op", wop) << llvm::left_justify("precision", 10)
     << llvm::right_justify("MACs", 12) << llvm::right_justify("input range", 24)
     << llvm::right_justify("scale", 12) << llvm::right_justify("zp", 5) << llvm::right_justify("rel.err", 10)
     << llvm::right_justify("fp32 us", 10) << llvm::right_justify("int8 us", 10) << llvm::right_justify("bf16 us", 10)
     << "\n";
  for (const Layer &l : layers) {
    bool ranged = l.precision == "int8" || l.precision == "fp32"; // bf16, int4: no activation range
    os << llvm::left_justify(l.name, w) << llvm::left_justify(l.opType, wop) << llvm::left_justify(l.precision, 10)
       << llvm::right_justify(std::to_string(l.macs), 12)
       << llvm::right_justify(ranged ? "[" + fmt(l.lo, 4) + ", " + fmt(l.hi, 4) + "]" : "-", 24)
       << llvm::right_justify(ranged ? fmt(l.act.scale, 6) : "-", 12)
       << llvm::right_justify(ranged ? std::to_string(l.act.zeroPoint) : "-", 5)
       << llvm::right_justify(l.refSq > 0 ? fmt(std::sqrt(l.errSq / l.refSq), 5) : "-", 10)
       << llvm::right_justify(l.fp32Ns >= 0 ? fmt(l.fp32Ns / 1e3, 1) : "-", 10)
       << llvm::right_justify(l.int8Ns >= 0 ? fmt(l.int8Ns / 1e3, 1) : "-", 10)
       << llvm::right_justify(l.bf16Ns >= 0 ? fmt(l.bf16Ns / 1e3, 1) : "-", 10) << "\n";
  }
  writeKept(os, kept, w, wop);
}

llvm::json::Value jsonReport(ArrayRef<Layer> layers, ArrayRef<Layer> kept, const QuantizeOptions &o,
                             const llvm::json::Object &eval) {
  llvm::json::Array arr;
  for (const Layer &l : layers) {
    llvm::json::Object e{{"layer", l.name}, {"op", l.opType}, {"precision", l.precision}, {"macs", l.macs}};
    if (l.precision == "int4") {
      e["k"] = l.K;
      e["n"] = l.N;
      e["fp32_weight_bytes"] = 4 * l.K * l.N;
      e["int4_weight_bytes"] = int4WeightBytes(l, o.int4Group);
      if (l.alpha >= 0)
        e["awq_alpha"] = l.alpha;
      if (l.rtnErr >= 0)
        e["rtn_rel_error"] = l.rtnErr;
      if (l.awqErr >= 0)
        e["awq_rel_error"] = l.awqErr;
      if (!l.awqScale.empty()) // the input is divided by these, the weights multiplied
        e["awq_scale"] = llvm::json::Array(l.awqScale);
      if (l.fp32Ns >= 0)
        e["fp32_us"] = l.fp32Ns / 1e3;
      if (l.int4Ns >= 0)
        e["int4_us"] = l.int4Ns / 1e3;
      if (l.int8Ns >= 0) // (--quantize=mixed --mixed-int4)
        e["int8_us"] = l.int8Ns / 1e3;
      arr.push_back(std::move(e));
      continue;
    }
    if (l.precision != "bf16") {
      e["input_range"] = llvm::json::Array{l.lo, l.hi};
      e["input_scale"] = l.act.scale;
      e["input_zero_point"] = l.act.zeroPoint;
    }
    if (l.refSq > 0)
      e["sensitivity"] = std::sqrt(l.errSq / l.refSq);
    if (l.fp32Ns >= 0)
      e["fp32_us"] = l.fp32Ns / 1e3;
    if (l.int8Ns >= 0)
      e["int8_us"] = l.int8Ns / 1e3;
    if (l.bf16Ns >= 0)
      e["bf16_us"] = l.bf16Ns / 1e3;
    if (l.int4Ns >= 0) // (--mixed-int4: measured, not chosen)
      e["int4_us"] = l.int4Ns / 1e3;
    arr.push_back(std::move(e));
  }
  for (const Layer &l : kept)
    arr.push_back(llvm::json::Object{
        {"layer", l.name}, {"op", l.opType}, {"precision", "fp32"}, {"macs", l.macs}, {"reason", l.why}});
  llvm::json::Object root{{"quantize", o.mode}, {"layers", std::move(arr)}};
  if (o.mode == "int4-weights") {
    root["activations"] = o.int4Activations == "int8"
                              ? "int8, symmetric, per row and group of " + std::to_string(o.int4Group) + ", at run time"
                              : std::string("f32");
    root["weights"] = "int4, asymmetric, groups of " + std::to_string(o.int4Group) + " along K per column";
    root["group_size"] = o.int4Group;
    root["awq"] = o.awq;
  } else if (o.mode == "bf16") {
    root["activations"] = "bf16 (round to nearest even)";
    root["weights"] = "bf16 (round to nearest even), f32 accumulation";
  } else {
    root["calibration"] = o.method == "percentile" ? "percentile:" + std::string(llvm::formatv("{0}", o.percentile)) : o.method;
    root["activations"] = "uint8, asymmetric, per tensor";
    root["weights"] = "int8, symmetric, per output channel";
  }
  if (!eval.empty())
    root["evaluation"] = llvm::json::Object(eval);
  return llvm::json::Value(std::move(root));
}

/// Writes --quant-report (if asked for).
LogicalResult writeReport(ArrayRef<Layer> layers, ArrayRef<Layer> kept, const QuantizeOptions &opts,
                          const llvm::json::Object &evalJson) {
  if (opts.report.empty())
    return success();
  std::string text;
  llvm::raw_string_ostream os(text);
  if (StringRef(opts.report).ends_with(".json"))
    os << llvm::formatv("{0:2}", jsonReport(layers, kept, opts, evalJson)) << "\n";
  else
    writeTextReport(os, layers, kept, opts);
  return writeReportText(text, opts.report, "--quant-report");
}


/// What AWQ needs of one observed tensor (a layer input [..., K]): the mean
/// |x| per channel over every calibration row, and up to kAWQRows rows
/// kept by reservoir sampling (a fixed seed: the same data gives the same
/// choice).
constexpr size_t kAWQRows = 128;
struct TapRows {
  int64_t K = 0;
  std::vector<double> absSum;
  uint64_t seen = 0;
  std::vector<float> sample; // rows x K
  std::mt19937_64 rng{0x6b696c6e};
  bool nonFinite = false;
  void add(const float *p, size_t n) {
    if (K <= 0)
      return;
    if (absSum.empty())
      absSum.assign(K, 0.0);
    for (size_t r = 0; r + K <= n; r += K) {
      const float *row = p + r;
      for (int64_t k = 0; k < K; ++k) {
        if (!std::isfinite(row[k]))
          nonFinite = true;
        absSum[k] += std::fabs(row[k]);
      }
      ++seen;
      size_t kept = sample.size() / K;
      if (kept < kAWQRows) {
        sample.insert(sample.end(), row, row + K);
      } else if (uint64_t j = rng() % seen; j < kAWQRows) {
        std::copy(row, row + K, sample.begin() + j * K);
      }
    }
  }
};

/// y = x w for the rows of `t.sample` (R x K) and `w` [K, N]: y [R, N].
std::vector<float> timesSample(const TapRows &t, ArrayRef<float> w, int64_t N) {
  int64_t K = t.K, R = int64_t(t.sample.size()) / K;
  std::vector<float> y(size_t(R * N), 0.f);
  for (int64_t r = 0; r < R; ++r)
    for (int64_t k = 0; k < K; ++k) {
      float xv = t.sample[r * K + k];
      const float *wk = w.data() + k * N;
      float *yr = y.data() + r * N;
      for (int64_t n = 0; n < N; ++n)
        yr[n] += xv * wk[n];
    }
  return y;
}

/// Squared error of X Wq against X W over the sample rows, per layer, for
/// the per-channel scales `s` (empty: 1): Wq = Q(diag(s) W) / s, Q the
/// layer's int4 quantization in groups of `group`.
std::vector<double> awqErrors(const TapRows &t, ArrayRef<std::vector<float>> ws, ArrayRef<int64_t> ns,
                              ArrayRef<std::vector<float>> refs, ArrayRef<float> s, int64_t group) {
  int64_t K = t.K;
  std::vector<double> errs;
  for (size_t l = 0; l < ws.size(); ++l) {
    int64_t N = ns[l];
    std::vector<float> w = ws[l];
    if (!s.empty())
      for (int64_t k = 0; k < K; ++k)
        for (int64_t n = 0; n < N; ++n)
          w[k * N + n] *= s[k];
    quant::Int4Weights q;
    quant::quantizeInt4(w, K, N, group, q);
    for (int64_t k = 0; k < K; ++k)
      for (int64_t n = 0; n < N; ++n)
        w[k * N + n] = q.value(k, n, N, group) / (s.empty() ? 1.f : s[k]);
    std::vector<float> y = timesSample(t, w, N);
    double err = 0;
    for (size_t i = 0; i < y.size(); ++i)
      err += double(y[i] - refs[l][i]) * (y[i] - refs[l][i]);
    errs.push_back(err);
  }
  return errs;
}

/// The AWQ search for the layers `idx` of `layers` that read tap `t` (their
/// f32 weights [K, N_l] in `ws`): per-channel scales s = mean|x|^alpha
/// (normalized so that max(s) min(s) = 1) for alpha in 0, 0.1, ..., 1,
/// the alpha with the least summed output error on the sample rows wins
/// (alpha 0 is round to nearest).  Fills each layer's alpha, rtnErr,
/// awqErr and awqScale (empty for alpha 0).
void awqSearch(const TapRows &t, ArrayRef<size_t> idx, ArrayRef<std::vector<float>> ws, std::vector<Layer> &layers,
               int64_t group) {
  int64_t K = t.K, R = int64_t(t.sample.size()) / K;
  if (R == 0 || t.seen == 0)
    return;
  std::vector<int64_t> ns;
  std::vector<std::vector<float>> refs;
  std::vector<double> refSq;
  for (size_t l = 0; l < idx.size(); ++l) {
    int64_t N = layers[idx[l]].N;
    ns.push_back(N);
    std::vector<float> y = timesSample(t, ws[l], N);
    double sq = 0;
    for (float v : y)
      sq += double(v) * v;
    refSq.push_back(sq);
    refs.push_back(std::move(y));
  }
  constexpr int kGrid = 11;
  std::vector<std::vector<float>> scales(kGrid);
  std::vector<std::vector<double>> errs(kGrid);
  for (int a = 1; a < kGrid; ++a) {
    double alpha = a / double(kGrid - 1), lo = std::numeric_limits<double>::infinity(), hi = 0;
    std::vector<double> v(K);
    for (int64_t k = 0; k < K; ++k) {
      v[k] = std::pow(std::max(t.absSum[k] / double(t.seen), 1e-8), alpha);
      lo = std::min(lo, v[k]);
      hi = std::max(hi, v[k]);
    }
    double norm = std::sqrt(lo * hi);
    for (int64_t k = 0; k < K; ++k)
      scales[a].push_back(float(v[k] / norm));
  }
  llvm::parallelFor(0, kGrid, [&](size_t a) { errs[a] = awqErrors(t, ws, ns, refs, scales[a], group); });
  int best = 0;
  auto total = [&](int a) {
    double e = 0;
    for (double v : errs[a])
      e += v;
    return e;
  };
  for (int a = 1; a < kGrid; ++a)
    if (total(a) < total(best))
      best = a;
  for (size_t l = 0; l < idx.size(); ++l) {
    Layer &L = layers[idx[l]];
    L.alpha = best / double(kGrid - 1);
    L.rtnErr = refSq[l] > 0 ? std::sqrt(errs[0][l] / refSq[l]) : 0;
    L.awqErr = refSq[l] > 0 ? std::sqrt(errs[best][l] / refSq[l]) : 0;
    L.awqScale = scales[best];
  }
}

} // namespace

LogicalResult kiln::compile::quantizeModule(ModuleOp module, const QuantizeOptions &opts, const CompileFn &compile,
                                            PhaseReport &phases) {
  func::FuncOp entry = entryOf(module);
  if (!entry) {
    printError("--quantize: the module has no entry function");
    return failure();
  }
  // Layers to quantize, and the convolutions and matmuls that stay fp32
  // whatever the choice with the reason, named for the report.
  // The layers the mode rewrites: int8/bf16/mixed take convolutions and
  // matmuls; int4-weights matmuls whose K the group divides.
  bool int4 = opts.mode == "int4-weights";
  auto supported = [&](Operation *op, std::string *why) {
    if (quant::isInt8Depthwise(op) && (opts.mode == "bf16" || !opts.int8Depthwise)) {
      if (why)
        *why = opts.mode == "bf16" ? "depthwise (no bf16 kernel; f32 is faster)"
                                   : "depthwise (the int8 kernel needs AVX-512 VNNI and VBMI; f32 is faster here)";
      return false;
    }
    return int4 ? quant::isInt4Quantizable(op, opts.int4Group, why) : quant::isQuantizable(op, why);
  };
  auto layerOps = [&](Operation *root) {
    SmallVector<Operation *> r = quant::quantizableLayers(root);
    llvm::erase_if(r, [&](Operation *op) { return !supported(op, nullptr); });
    return r;
  };
  SmallVector<Operation *> ops = layerOps(module);
  auto table = module->getAttrOfType<DictionaryAttr>(kiln::kNodeTypesAttr);
  auto describe = [&](Operation *op) {
    Layer l;
    std::tie(l.name, l.opType) = layerNameAndType(op, table);
    l.macs = quant::layerMacs(op);
    if (auto m = dyn_cast<nn::MatmulOp>(op)) {
      auto bt = cast<RankedTensorType>(m.getRhs().getType());
      l.K = bt.getDimSize(bt.getRank() - 2);
      l.N = bt.getDimSize(bt.getRank() - 1);
    }
    return l;
  };
  std::vector<Layer> layers, kept;
  for (Operation *op : ops)
    layers.push_back(describe(op));
  module.walk([&](Operation *op) {
    std::string why;
    if (!isa<nn::ConvOp, nn::MatmulOp>(op) || supported(op, &why))
      return;
    Layer l = describe(op);
    l.precision = "fp32";
    l.why = why;
    kept.push_back(std::move(l));
  });
  if (ops.empty()) {
    if (int4)
      llvm::errs() << kTool << ": warning: --quantize=int4-weights: no matmul of this model has constant [K, N] "
                   << "weights with K a multiple of --int4-group=" << opts.int4Group << "; the library stays fp32\n";
    else
      llvm::errs() << kTool << ": warning: --quantize: no layer of this model can run in int8 (convolutions and "
                   << "matmuls with constant weights); the library stays fp32\n";
    return writeReport(layers, kept, opts, llvm::json::Object());
  }

  phases.begin("quantization: data");
  SideSession side;
  side.option = "--quantize";
  if (failed(side.open(entry, opts.calibrationData, opts.evalData, opts.batch)))
    return failure();
  const kiln::data::Dataset &calib = side.calib, &eval = side.eval;
  auto libPath = [&](StringRef name) { return side.libPath(name); };
  auto loadLib = [&](StringRef path, Model &m) { return side.load(path, m); };
  int32_t numOutputs = (int32_t)entry.getNumResults();

  // Rewrites `m`'s layers to the precisions `prec` (kiln-nn-quantize;
  // int8 layers with their calibrated ranges).
  Builder b(module.getContext());
  auto applyChoice = [&](ModuleOp m, const std::vector<std::string> &prec) -> LogicalResult {
    SmallVector<Operation *> mops = layerOps(m);
    for (size_t i = 0; i < mops.size(); ++i) {
      mops[i]->setAttr(quant::kPrecisionAttr, b.getStringAttr(prec[i]));
      if (prec[i] != "int4") {
        mops[i]->setAttr(quant::kRangeAttr, b.getDenseF32ArrayAttr({layers[i].lo, layers[i].hi}));
        continue;
      }
      mops[i]->setAttr(quant::kGroupAttr, b.getI64IntegerAttr(opts.int4Group));
      mops[i]->setAttr(quant::kInt4ActAttr, b.getStringAttr(opts.int4Activations));
      if (!layers[i].awqScale.empty())
        mops[i]->setAttr(quant::kAWQScaleAttr, b.getDenseF32ArrayAttr(layers[i].awqScale));
    }
    PassManager pm(m.getContext());
    pm.addNestedPass<func::FuncOp>(kiln::createNNQuantize());
    return pm.run(m);
  };
  // Compiles the model with the precisions `prec`, runs it on --eval-data
  // (the predictions into `pred`) and, with `timeLayers`, records each
  // layer's steady-state time in its precision.
  int libs = 0;
  auto runChoice = [&](const std::vector<std::string> &prec, std::vector<int64_t> &pred,
                       bool timeLayers) -> LogicalResult {
    std::string path = libPath("quantized" + std::to_string(libs++) + ".so");
    {
      OwningOpRef<ModuleOp> clone = cloneWithOwnWeights(module);
      if (failed(applyChoice(*clone, prec)) || failed(compile(*clone, path, /*profile=*/true)))
        return failure();
    }
    Model qm;
    if (failed(loadLib(path, qm)) || failed(collectPredictions(qm.m, eval, "--eval-data", pred)))
      return failure();
    if (timeLayers) {
      std::map<std::string, double> t = steadyProfileNs(qm.m, eval.samples.front());
      for (size_t i = 0; i < layers.size(); ++i)
        if (auto it = t.find(layers[i].name); it != t.end())
          (prec[i] == "fp32"   ? layers[i].fp32Ns
           : prec[i] == "bf16" ? layers[i].bf16Ns
           : prec[i] == "int4" ? layers[i].int4Ns
                               : layers[i].int8Ns) = it->second;
    }
    return success();
  };
  // One evaluated choice against fp32 on --eval-data: agreement, fp32's
  // and its top-1 (labels), its loss in points (top-1 drop, or disagreement
  // without labels).
  std::vector<int64_t> labels;
  for (const auto &smp : eval.samples)
    labels.insert(labels.end(), smp.labels.begin(), smp.labels.end());
  struct Eval {
    size_t agree = 0, correct = 0, c32 = 0;
    double loss = 0;
  };
  auto compare = [&](const std::vector<int64_t> &fp32Pred, const std::vector<int64_t> &pred) {
    Eval e;
    size_t n = fp32Pred.size();
    for (size_t i = 0; i < n; ++i) {
      e.agree += pred[i] == fp32Pred[i];
      if (eval.labeled) {
        e.c32 += fp32Pred[i] == labels[i];
        e.correct += pred[i] == labels[i];
      }
    }
    e.loss = eval.labeled ? 100.0 * (double(e.c32) - double(e.correct)) / n : 100.0 * (n - e.agree) / n;
    return e;
  };

  // Every layer in `precision` (bf16, int4: no choice to make); with
  // --eval-data, the fp32 and the quantized library run on it (and are
  // timed per layer) for the report; then the rewrite and the report.
  auto everyLayerIn = [&](StringRef precision) -> LogicalResult {
    std::vector<std::string> all(layers.size(), precision.str());
    llvm::json::Object evalJson;
    if (!opts.evalData.empty()) {
      phases.begin("quantization: evaluation");
      std::vector<int64_t> fp32Pred, pred;
      if (failed(runChoice(std::vector<std::string>(layers.size(), "fp32"), fp32Pred, true)) ||
          failed(runChoice(all, pred, true)))
        return failure();
      Eval e = compare(fp32Pred, pred);
      printEvaluation(fp32Pred.size(), e.c32, e.agree, e.correct, e.loss, eval.labeled, precision, opts, evalJson);
    }
    phases.begin("quantization: rewrite");
    if (failed(applyChoice(module, all)))
      return failure();
    return writeReport(layers, kept, opts, evalJson);
  };

  // A library of the float model with each distinct layer input as an extra
  // output (tapOf: layer -> output index past the model's); each layer's
  // fp32 time is taken on the sample the quantized library is timed on.
  std::vector<int> tapOf(ops.size());
  auto tapLibrary = [&](Model &m, size_t &numTaps) -> LogicalResult {
    OwningOpRef<ModuleOp> clone = cloneWithOwnWeights(module);
    SmallVector<Operation *> cops = layerOps(*clone);
    assert(cops.size() == ops.size() && "the clone has other layers");
    SmallVector<Value> values;
    for (size_t i = 0; i < cops.size(); ++i) {
      Value x = quant::layerInput(cops[i]);
      auto it = llvm::find(values, x);
      tapOf[i] = int(it - values.begin());
      if (it == values.end())
        values.push_back(x);
    }
    addOutputs(entryOf(*clone), values, "kiln.calibration.");
    numTaps = values.size();
    std::string path = libPath("calibration.so");
    if (failed(compile(*clone, path, /*profile=*/true)) || failed(loadLib(path, m)))
      return failure();
    return success();
  };
  auto timeFP32 = [&](Model &m) {
    std::map<std::string, double> ns =
        steadyProfileNs(m.m, eval.samples.empty() ? calib.samples.front() : eval.samples.front());
    for (Layer &l : layers)
      if (auto it = ns.find(l.name); it != ns.end())
        l.fp32Ns = it->second;
  };

  // The AWQ search (awqSearch) for the layers `use` marks, on the rows
  // `rows` sampled of each layer input (by tapOf).
  auto searchAWQ = [&](const std::vector<TapRows> &rows, const std::vector<bool> &use) -> LogicalResult {
    auto t0 = std::chrono::steady_clock::now();
    size_t searched = 0;
    for (size_t t = 0; t < rows.size(); ++t) {
      std::vector<size_t> idx;
      std::vector<std::vector<float>> ws;
      for (size_t i = 0; i < ops.size(); ++i) {
        if (tapOf[i] != int(t) || !use[i])
          continue;
        if (rows[t].nonFinite) {
          printError("--calibration-data: the input of layer '" + layers[i].name +
                     "' holds NaN or infinite values on the calibration data; its scales cannot be searched");
          return failure();
        }
        SmallVector<float> w;
        if (!kiln::readF32Constant(cast<nn::MatmulOp>(ops[i]).getRhs(), w))
          return failure();
        idx.push_back(i);
        ws.emplace_back(w.begin(), w.end());
      }
      if (idx.empty())
        continue;
      awqSearch(rows[t], idx, ws, layers, opts.int4Group);
      ++searched;
    }
    phases.note("AWQ: " + llvm::Twine(searched) + " layer inputs, " + llvm::Twine(calib.count) +
                " calibration examples, search " +
                fmt(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 2) + " s");
    return success();
  };

  if (int4) {
    // int4 weights: with --awq=on, each layer input's rows are sampled on
    // the calibration data and the per-channel scales searched (layers
    // reading one tensor share them); then the evaluation and the rewrite.
    for (Layer &l : layers)
      l.precision = "int4";
    if (opts.awq == "on") {
      phases.begin("quantization: AWQ search");
      Model m;
      size_t numTaps = 0;
      if (failed(tapLibrary(m, numTaps)))
        return failure();
      std::vector<TapRows> taps(numTaps);
      for (size_t i = 0; i < ops.size(); ++i)
        taps[tapOf[i]].K = layers[i].K;
      if (failed(runAll(m.m, calib, "--calibration-data", [&](size_t, ArrayRef<kiln_tensor> outs) {
            for (size_t t = 0; t < numTaps; ++t)
              taps[t].add(static_cast<const float *>(outs[numOutputs + t].data), outs[numOutputs + t].size_bytes / 4);
            return success();
          })))
        return failure();
      timeFP32(m);
      if (failed(searchAWQ(taps, std::vector<bool>(ops.size(), true))))
        return failure();
    }
    return everyLayerIn("int4");
  }

  if (opts.mode == "bf16") {
    for (Layer &l : layers)
      l.precision = "bf16";
    return everyLayerIn("bf16");
  }

  // 1. Calibration library: the float model plus each layer's input.
  phases.begin("quantization: calibration");
  std::vector<TapStats> taps;
  // --mixed-int4: the matmuls that can take int4 weights, and the rows of
  // their inputs for the AWQ search.
  std::vector<bool> int4Capable(ops.size(), false);
  std::vector<TapRows> rows;
  if (opts.mixedInt4)
    for (size_t i = 0; i < ops.size(); ++i)
      int4Capable[i] = quant::isInt4Quantizable(ops[i], opts.int4Group);
  {
    Model m;
    size_t numTaps = 0;
    if (failed(tapLibrary(m, numTaps)))
      return failure();
    taps.resize(numTaps);
    if (opts.mixedInt4 && opts.awq == "on") {
      rows.resize(numTaps);
      for (size_t i = 0; i < ops.size(); ++i)
        if (int4Capable[i])
          rows[tapOf[i]].K = layers[i].K;
    }
    auto observe = [&](bool histogram) {
      return runAll(m.m, calib, "--calibration-data", [&](size_t, ArrayRef<kiln_tensor> outs) {
        for (size_t t = 0; t < taps.size(); ++t) {
          const kiln_tensor &o = outs[numOutputs + t];
          const float *p = static_cast<const float *>(o.data);
          size_t n = o.size_bytes / 4;
          TapStats &s = taps[t];
          if (!histogram && !rows.empty())
            rows[t].add(p, n);
          if (!histogram) {
            for (size_t i = 0; i < n; ++i) {
              float v = p[i];
              if (!std::isfinite(v)) {
                s.nonFinite = true;
                continue;
              }
              s.lo = std::min<double>(s.lo, v);
              s.hi = std::max<double>(s.hi, v);
            }
            s.count += n;
            continue;
          }
          if (s.hist.empty())
            s.hist.assign(kBins, 0);
          double scale = s.hi > s.lo ? kBins / (s.hi - s.lo) : 0;
          for (size_t i = 0; i < n; ++i)
            if (std::isfinite(p[i])) {
              s.hist[std::min(kBins - 1, std::max(0, int((p[i] - s.lo) * scale)))] += 1;
              s.zeros += p[i] == 0;
            }
        }
        return success();
      });
    };
    auto t0 = std::chrono::steady_clock::now();
    if (failed(observe(false)) || (opts.method != "minmax" && failed(observe(true))))
      return failure();
    phases.note("calibration: " + llvm::Twine(calib.count) + " examples in " + llvm::Twine(calib.samples.size()) +
                " runs, " +
                fmt(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 2) + " s");
    timeFP32(m);
  }
  for (size_t i = 0; i < ops.size(); ++i) {
    const TapStats &s = taps[tapOf[i]];
    if (s.nonFinite) {
      printError("--calibration-data: the input of layer '" + layers[i].name +
                 "' holds NaN or infinite values on the calibration data; its range cannot be calibrated");
      return failure();
    }
    auto [lo, hi] = chooseRange(s, opts);
    layers[i].lo = float(lo);
    layers[i].hi = float(hi);
    layers[i].act = quant::activationParams(float(lo), float(hi));
  }

  if (!rows.empty() && failed(searchAWQ(rows, int4Capable)))
    return failure();

  // 2. Sensitivity: each layer in float and in int8 on the same float input.
  phases.begin("quantization: sensitivity");
  {
    OwningOpRef<ModuleOp> clone = cloneWithOwnWeights(module);
    SmallVector<Operation *> cops = layerOps(*clone);
    SmallVector<Value> values;
    OpBuilder b(clone->getContext());
    for (size_t i = 0; i < cops.size(); ++i) {
      b.setInsertionPointAfter(cops[i]);
      Operation *copy = b.clone(*cops[i]);
      Operation *q = quant::quantizeLayer(b, copy, layers[i].act);
      values.push_back(cops[i]->getResult(0));
      values.push_back(q->getResult(0));
    }
    addOutputs(entryOf(*clone), values, "kiln.sensitivity.");
    std::string path = libPath("sensitivity.so");
    if (failed(compile(*clone, path, /*profile=*/false)))
      return failure();
    Model m;
    if (failed(loadLib(path, m)))
      return failure();
    if (failed(runAll(m.m, calib, "--calibration-data", [&](size_t, ArrayRef<kiln_tensor> outs) {
          for (size_t i = 0; i < layers.size(); ++i) {
            const kiln_tensor &f = outs[numOutputs + 2 * i], &q = outs[numOutputs + 2 * i + 1];
            const float *pf = static_cast<const float *>(f.data), *pq = static_cast<const float *>(q.data);
            for (size_t k = 0, n = f.size_bytes / 4; k < n; ++k) {
              double d = double(pq[k]) - pf[k];
              layers[i].errSq += d * d;
              layers[i].refSq += double(pf[k]) * pf[k];
            }
          }
          return success();
        })))
      return failure();
  }

  // 3. Precisions: every layer int8 ("int8"), or ("mixed") the fewest
  // layers back from int8, by sensitivity per measured time saved (per MAC
  // without timings), that keep the loss on the evaluation data within the
  // budget; each goes back to its fallback: bf16 where the CPU has bf16
  // kernels, bf16 is measured faster than fp32 for the layer and all-bf16
  // keeps the budget (--mixed-fallback=auto), else fp32.  Each candidate
  // is compiled and run.
  std::vector<std::string> choice(ops.size(), "int8");
  llvm::json::Object evalJson;
  if (!opts.evalData.empty()) {
    phases.begin("quantization: evaluation");
    std::vector<int64_t> fp32Pred;
    Model fm;
    if (failed(loadLib(libPath("calibration.so"), fm)) ||
        failed(collectPredictions(fm.m, eval, "--eval-data", fp32Pred)))
      return failure();
    auto evaluate = [&](const std::vector<std::string> &prec, Eval &e, bool timeLayers) -> LogicalResult {
      std::vector<int64_t> pred;
      if (failed(runChoice(prec, pred, timeLayers)))
        return failure();
      e = compare(fp32Pred, pred);
      return success();
    };
    Eval e;
    // All int8, each layer timed (the order of --quantize=mixed below).
    if (failed(evaluate(choice, e, true)))
      return failure();
    llvm::raw_ostream &os = llvm::errs();
    StringRef metric = eval.labeled ? "top-1 drop" : "disagreement with fp32";
    if (opts.mode == "mixed")
      evalJson["all_int8_loss"] = e.loss;
    // --mixed-int4: the matmuls that can take int4 weights, timed in int4
    // (the others int8); each starts in int4 where it ran faster than in
    // int8, and the mix starts from there.
    std::vector<std::string> base = choice;
    if (opts.mixedInt4 && llvm::is_contained(int4Capable, true)) {
      std::vector<std::string> c = choice;
      for (size_t i = 0; i < layers.size(); ++i)
        if (int4Capable[i])
          c[i] = "int4";
      Eval e4;
      if (failed(evaluate(c, e4, true)))
        return failure();
      evalJson["int4_capable_loss"] = e4.loss;
      for (size_t i = 0; i < layers.size(); ++i)
        if (int4Capable[i] && layers[i].int4Ns >= 0 && layers[i].int8Ns >= 0 && layers[i].int4Ns < layers[i].int8Ns)
          base[i] = "int4";
      size_t n4 = llvm::count(base, "int4");
      os << kTool << ": --quantize=mixed: int4 weights measured faster than int8 on " << n4 << " of "
         << llvm::count(int4Capable, true) << " matmul(s) that can take them\n";
      if (n4 > 0 && failed(evaluate(base, e, false)))
        return failure();
      choice = base;
      evalJson["base_loss"] = e.loss;
    }
    auto baseNs = [&](size_t i) { return base[i] == "int4" ? layers[i].int4Ns : layers[i].int8Ns; };
    if (opts.mode == "mixed" && e.loss > opts.budget) {
      os << kTool << ": --quantize=mixed: all " << (llvm::is_contained(base, "int4") ? "int8 and int4" : "int8")
         << ": " << metric << " " << fmt(e.loss, 2) << " points > budget " << fmt(opts.budget, 2) << "\n";
      // Each layer's fallback.
      std::vector<std::string> fallback(layers.size(), opts.mixedFallback == "bf16" ? "bf16" : "fp32");
      if (opts.mixedFallback == "auto" && opts.bf16Kernels) {
        Eval eb;
        std::vector<std::string> all(layers.size(), "bf16");
        if (failed(evaluate(all, eb, true)))
          return failure();
        bool within = eb.loss <= opts.budget;
        evalJson["all_bf16_loss"] = eb.loss;
        os << kTool << ": --quantize=mixed: all bf16: " << metric << " " << fmt(eb.loss, 2) << " points"
           << (within ? "" : " > budget: the layers go back to fp32") << "\n";
        for (size_t i = 0; i < layers.size(); ++i)
          if (within && layers[i].bf16Ns >= 0 && layers[i].fp32Ns >= 0 && layers[i].bf16Ns < layers[i].fp32Ns)
            fallback[i] = "bf16";
      }
      auto fallbackNs = [&](size_t i) { return fallback[i] == "bf16" ? layers[i].bf16Ns : layers[i].fp32Ns; };
      // Layers to take out of int8 first: the most error per unit of time
      // that int8 saves over the fallback, as measured (the fallback's
      // profile against the all-int8 library's): a layer whose int8 is not
      // faster goes first.  Where some layer has no time of its own (fused
      // into another profile entry), per MAC instead.
      std::vector<size_t> order(layers.size());
      for (size_t i = 0; i < order.size(); ++i)
        order[i] = i;
      bool timed = true;
      for (size_t i = 0; i < layers.size(); ++i)
        timed &= fallbackNs(i) >= 0 && baseNs(i) >= 0;
      auto cost = [&](size_t i) {
        // (An int4 layer's sensitivity: its output error on the calibration
        // rows, as the AWQ search measured it.)
        double rel = base[i] == "int4" ? std::max(layers[i].awqErr, 0.0)
                     : layers[i].refSq > 0 ? std::sqrt(layers[i].errSq / layers[i].refSq)
                                           : 0;
        if (!timed)
          return rel / double(std::max<int64_t>(layers[i].macs, 1));
        double saved = fallbackNs(i) - baseNs(i);
        return saved <= 0 ? std::numeric_limits<double>::infinity() : rel / saved;
      };
      std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t c) { return cost(a) > cost(c); });
      os << kTool << ": --quantize=mixed: layers ordered by sensitivity per "
         << (timed ? "measured microsecond int8 saves" : "MAC (not every layer has its own time)") << "\n";
      auto firstOut = [&](size_t k) {
        std::vector<std::string> c = base;
        for (size_t j = 0; j < k; ++j)
          c[order[j]] = fallback[order[j]];
        return c;
      };
      // Binary search for the fewest layers out of int8 within the budget
      // (the loss taken as falling as layers leave int8; all at their
      // fallback is taken to meet the budget: all fp32 meets any).
      size_t lo = 1, hi = layers.size();
      while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        std::vector<std::string> c = firstOut(mid);
        Eval m;
        if (failed(evaluate(c, m, false)))
          return failure();
        os << kTool << ": --quantize=mixed: " << mid << " layer(s) out of int8 (" << llvm::count(c, "bf16")
           << " bf16, " << llvm::count(c, "fp32") << " fp32): " << metric << " " << fmt(m.loss, 2) << " points\n";
        if (m.loss <= opts.budget)
          hi = mid;
        else
          lo = mid + 1;
      }
      choice = firstOut(lo);
      // The chosen mix, measured.  (Not timed again: the report keeps the
      // times the choice was made from.)
      if (failed(evaluate(choice, e, false)))
        return failure();
    }
    printEvaluation(fp32Pred.size(), e.c32, e.agree, e.correct, e.loss, eval.labeled,
                    opts.mode == "mixed" ? "mixed" : "int8", opts, evalJson);
  }
  for (size_t i = 0; i < layers.size(); ++i)
    layers[i].precision = choice[i];

  // 4. The rewrite.
  phases.begin("quantization: rewrite");
  if (failed(applyChoice(module, choice)))
    return failure();

  // 5. The report.
  return writeReport(layers, kept, opts, evalJson);
}
