//===- kiln-run.cpp - run a compiled Kiln model and check its outputs ------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// kiln-run libmodel.so --data-dir DIR [...]   compare with reference outputs
// kiln-run libmodel.so [--repeat N ...]       time the model on random inputs
//                                             (or --input NAME=FILE.npy|.pb)
//
// Reference data uses the layout of ONNX's backend test data sets:
// DIR/input_<i>.pb and DIR/output_<j>.pb, each a serialized TensorProto.
// --save-outputs DIR writes every output as DIR/<name>.npy.
//
// Exit status: 0 all outputs within tolerance (or nothing to compare), 1
// mismatch, 2 usage, load, data or runtime error.
//===----------------------------------------------------------------------===//
#include "Npy.h"
#include "Peak.h"
#include "TensorFile.h"
#include "kiln/Version.h"
#include "kiln/runtime.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <new>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "kiln-run reads TensorProto raw_data, which is little-endian"
#endif

namespace {

using kiln::data::dtypeString;
using kiln::data::asKilnTensor;
using kiln::data::readInputFile;
using kiln::data::readTensor;
using kiln::data::reinterpretBf16Bits;
using kiln::data::shapeString;
using kiln::data::Tensor;

enum ExitCode { kPass = 0, kMismatch = 1, kError = 2 };

const char *kUsage = R"(usage: kiln-run MODEL.so [options]

Runs a model library produced by kiln-compile.

With --data-dir, feeds DIR/input_<i>.pb to the model and compares its outputs
with DIR/output_<j>.pb (serialized ONNX TensorProto files, the layout of
ONNX's backend test data).  An output matches when, elementwise,
  |actual - expected| <= atol + rtol * |expected|
(NaN matches NaN; integer and bool outputs must be equal).  A data set
without output_<j>.pb files is run, but nothing is compared.  Without
--data-dir, runs the model on seeded random inputs (or the --input files)
and reports latency percentiles and throughput.

MODEL.so is a library from kiln-compile; to run an .onnx model, compile it
first: kiln-compile model.onnx -o libmodel.so

options:
  --data-dir DIR   reference data set directory; may be repeated, each data
                   set is run in turn
  --rtol R         relative tolerance (default 1e-3)
  --atol A         absolute tolerance (default 1e-5)
  --repeat N       timed runs with random inputs (default 10)
  --warmup N       untimed runs before timing (default 3)
  --batch N        value of the first dynamic dimension of each input with
                   random inputs (default 1; other dynamic dimensions are 1)
  --seed S         seed of the random inputs (default 0)
  --threads N      threads of the model's runs (kiln_model_set_num_threads;
                   default: KILN_NUM_THREADS, else the CPUs this process
                   may use); libraries compiled with --parallel=false run
                   on one thread whatever N is
  --input NAME=FILE
                   value of model input NAME instead of random data: a .npy
                   file (C order, little-endian) or a TensorProto .pb file;
                   may be repeated; not with --data-dir
  --save-outputs DIR
                   write every output as DIR/<name>.npy (characters other
                   than letters, digits, '.', '_' and '-' become '_'); the
                   first timed run's outputs, or those of the (single)
                   --data-dir run
  --profile        print the time spent per ONNX node and per op type
                   (the library must be compiled with kiln-compile --profile);
                   the timed runs are the --repeat runs after --warmup, or
                   the --data-dir runs.  Convolutions and matrix products
                   also show GFLOP/s and the percentage of the machine's
                   fp32 peak, which kiln-run measures (see --peak)
  --profile-top N  nodes listed in the per-node table (default 30; 0 = all)
  --profile-json FILE
                   also write the whole profile as JSON to FILE (implies
                   --profile)
  --peak           measure and print one core's fp32 multiply-add peak (and,
                   where the CPU has them, the int8 vpdpbusd and bf16
                   vdpbf16ps peaks of the quantized kernels)
                   (GFLOP/s, the widest FMA vectors the CPU has) and exit;
                   takes no model
  -v, --verbose    print the model signature and per-run details
  -h, --help       print this help
  --version        print Kiln's version, commit and LLVM version

Inputs are matched to model inputs by TensorProto name when every name is
present and matches, else by position; likewise for outputs.  Random inputs
are uniform in [-1, 1) for floating types, in {0..3} for integers and in
{0, 1} for bool.

Random inputs may take at most the machine's physical memory (a larger
--batch is an error).  Timing reports min, median, mean and max, the
nearest-rank p50/p90/p99 and the throughput of the sequential runs.

exit status: 0 all outputs within tolerance, or a data set without
output_<j>.pb files (nothing compared); 1 mismatch (values or shapes);
2 usage error, unreadable or malformed data, load or runtime error, or an
input too large for memory.
)";

struct Options {
  std::string model;
  std::vector<std::string> dataDirs;
  double rtol = 1e-3, atol = 1e-5;
  long repeat = 10, warmup = 3, batch = 1;
  long threads = 0; // 0: the runtime's default
  unsigned long long seed = 0;
  bool verbose = false;
  bool profile = false;
  bool peak = false;
  long profileTop = 30;
  std::string profileJson;
  std::vector<std::pair<std::string, std::string>> inputFiles; // --input NAME=FILE
  std::string saveOutputs;
};

// Wall time of the runs a profile covers.
struct RunTotals {
  long runs = 0;
  double ms = 0;
};

// --- half precision ----------------------------------------------------------
float halfToFloat(uint16_t h) {
  const uint32_t sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  float v;
  if (exp == 0)
    v = std::ldexp(static_cast<float>(mant), -24);
  else if (exp == 31)
    v = mant ? NAN : INFINITY;
  else
    v = std::ldexp(static_cast<float>(mant | 0x400), static_cast<int>(exp) - 25);
  return sign ? -v : v;
}

uint16_t floatToHalf(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000);
  if (std::isnan(f))
    return sign | 0x7e00;
  float a = std::fabs(f);
  if (a >= 65520.f)
    return sign | 0x7c00;
  if (a < 6.103515625e-05f) // subnormal: units of 2^-24
    return sign | static_cast<uint16_t>(std::nearbyint(a * 16777216.f));
  int e;
  float m = std::frexp(a, &e); // a = m * 2^e, m in [0.5, 1)
  uint32_t mant = static_cast<uint32_t>(std::nearbyint((m * 2.f - 1.f) * 1024.f));
  uint32_t exp = static_cast<uint32_t>(e - 1 + 15);
  if (mant == 1024) {
    mant = 0;
    ++exp;
  }
  return sign | static_cast<uint16_t>(exp << 10) | static_cast<uint16_t>(mant);
}

float bf16ToFloat(uint16_t b) {
  uint32_t x = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}

uint16_t floatToBf16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  if (std::isnan(f))
    return static_cast<uint16_t>((x >> 16) | 0x40);
  x += 0x7fff + ((x >> 16) & 1); // round to nearest even
  return static_cast<uint16_t>(x >> 16);
}

bool isFloating(kiln_dtype t) {
  return t == KILN_DTYPE_FLOAT || t == KILN_DTYPE_DOUBLE ||
         t == KILN_DTYPE_FLOAT16 || t == KILN_DTYPE_BFLOAT16;
}

double floatAt(kiln_dtype t, const uint8_t *p, size_t i) {
  switch (t) {
  case KILN_DTYPE_FLOAT: {
    float v;
    std::memcpy(&v, p + 4 * i, 4);
    return v;
  }
  case KILN_DTYPE_DOUBLE: {
    double v;
    std::memcpy(&v, p + 8 * i, 8);
    return v;
  }
  case KILN_DTYPE_FLOAT16:
  case KILN_DTYPE_BFLOAT16: {
    uint16_t v;
    std::memcpy(&v, p + 2 * i, 2);
    return t == KILN_DTYPE_FLOAT16 ? halfToFloat(v) : bf16ToFloat(v);
  }
  default:
    return 0;
  }
}

// Printable value of element i of any dtype.
std::string valueString(kiln_dtype t, const uint8_t *p, size_t i) {
  char buf[64];
  if (isFloating(t)) {
    std::snprintf(buf, sizeof buf, "%.9g", floatAt(t, p, i));
    return buf;
  }
  switch (t) {
  case KILN_DTYPE_UINT8: return std::to_string(p[i]);
  case KILN_DTYPE_BOOL: return p[i] ? "true" : "false";
  case KILN_DTYPE_INT8: return std::to_string(static_cast<int8_t>(p[i]));
  case KILN_DTYPE_UINT16: { uint16_t v; std::memcpy(&v, p + 2 * i, 2); return std::to_string(v); }
  case KILN_DTYPE_INT16: { int16_t v; std::memcpy(&v, p + 2 * i, 2); return std::to_string(v); }
  case KILN_DTYPE_INT32: { int32_t v; std::memcpy(&v, p + 4 * i, 4); return std::to_string(v); }
  case KILN_DTYPE_UINT32: { uint32_t v; std::memcpy(&v, p + 4 * i, 4); return std::to_string(v); }
  case KILN_DTYPE_INT64: { int64_t v; std::memcpy(&v, p + 8 * i, 8); return std::to_string(v); }
  case KILN_DTYPE_UINT64: { uint64_t v; std::memcpy(&v, p + 8 * i, 8); return std::to_string(v); }
  default: return "?";
  }
}

// --- files -------------------------------------------------------------------
bool fileExists(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() &&
         std::equal(suffix.rbegin(), suffix.rend(), s.rbegin(),
                    [](char a, char b) { return std::tolower(a) == std::tolower(b); });
}

/// File name of an output in --save-outputs: the tensor name with every
/// character outside [A-Za-z0-9._-] replaced by '_' ("output_<j>" when
/// that is empty, "." or "..", or already taken).
std::string outputFileName(const std::string &name, size_t index,
                           std::vector<std::string> &taken) {
  std::string f;
  for (char c : name)
    f += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ? c : '_';
  if (f.empty() || f == "." || f == ".." || std::find(taken.begin(), taken.end(), f) != taken.end())
    f = "output_" + std::to_string(index);
  taken.push_back(f);
  return f + ".npy";
}

// --- the model ---------------------------------------------------------------
struct ModelDeleter {
  void operator()(kiln_model *m) const { kiln_model_free(m); }
};
using ModelPtr = std::unique_ptr<kiln_model, ModelDeleter>;

std::vector<kiln_tensor_info> infos(kiln_model *m, bool outputs) {
  std::vector<kiln_tensor_info> v(outputs ? kiln_model_num_outputs(m)
                                          : kiln_model_num_inputs(m));
  for (size_t i = 0; i < v.size(); ++i) {
    if (outputs)
      kiln_model_output_info(m, static_cast<int32_t>(i), &v[i]);
    else
      kiln_model_input_info(m, static_cast<int32_t>(i), &v[i]);
  }
  return v;
}

void printSignature(kiln_model *m) {
  std::printf("model '%s'\n", kiln_model_name(m));
  for (int pass = 0; pass < 2; ++pass)
    for (const auto &ti : infos(m, pass == 1))
      std::printf("  %-6s '%s': %s %s\n", pass ? "output" : "input", ti.name,
                  kiln_dtype_name(ti.dtype),
                  shapeString(ti.dims, static_cast<size_t>(ti.rank)).c_str());
}

// Owns the output buffers that kiln_model_run allocated.
struct Outputs {
  std::vector<kiln_tensor> t;
  explicit Outputs(size_t n) : t(n) { std::memset(t.data(), 0, n * sizeof(kiln_tensor)); }
  ~Outputs() { release(); }
  void release() {
    for (auto &o : t) {
      kiln_free(o.data);
      o.data = nullptr;
      o.size_bytes = 0;
    }
  }
};

/// --save-outputs: writes every output of one run as DIR/<name>.npy.
bool saveOutputs(kiln_model *model, const Outputs &outs, const std::string &dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir)) {
    std::fflush(stdout);
    std::fprintf(stderr, "kiln-run: error: --save-outputs: cannot create directory '%s': %s\n",
                 dir.c_str(), ec ? ec.message().c_str() : "not a directory");
    return false;
  }
  const auto outInfo = infos(model, true);
  std::vector<std::string> taken;
  for (size_t j = 0; j < outs.t.size(); ++j) {
    const kiln_tensor &o = outs.t[j];
    const std::string path = dir + "/" + outputFileName(outInfo[j].name, j, taken);
    std::string err;
    if (!kiln::npy::write(path, o.dtype, o.dims, static_cast<size_t>(o.rank), o.data,
                          o.size_bytes, err)) {
      std::fflush(stdout);
      std::fprintf(stderr, "kiln-run: error: --save-outputs: %s\n", err.c_str());
      return false;
    }
    std::printf("saved output %zu '%s' %s %s to %s%s\n", j, outInfo[j].name,
                kiln_dtype_name(o.dtype),
                shapeString(o.dims, static_cast<size_t>(o.rank)).c_str(), path.c_str(),
                o.dtype == KILN_DTYPE_BFLOAT16 ? " (bfloat16 bit patterns as uint16: numpy "
                                                 "has no bfloat16)"
                                               : "");
  }
  return true;
}

// Maps data-set tensors to model tensors: by name when every name is present
// and matches a distinct model tensor, else by position.
std::vector<int> matchTensors(const std::vector<Tensor> &data,
                              const std::vector<kiln_tensor_info> &model,
                              bool &byName) {
  std::vector<int> map(data.size(), -1);
  std::vector<bool> used(model.size(), false);
  byName = !data.empty();
  for (size_t i = 0; i < data.size() && byName; ++i) {
    int found = -1;
    for (size_t j = 0; j < model.size(); ++j)
      if (!data[i].name.empty() && data[i].name == model[j].name && !used[j])
        found = static_cast<int>(j);
    if (found < 0)
      byName = false;
    else {
      map[i] = found;
      used[found] = true;
    }
  }
  if (!byName)
    for (size_t i = 0; i < data.size(); ++i)
      map[i] = static_cast<int>(i);
  return map;
}

// Compares one output with its reference; prints one report line.
bool compareOutput(int index, const kiln_tensor_info &info,
                   const kiln_tensor &actual, const Tensor &expected,
                   const Options &opt) {
  const std::vector<int64_t> gotDims(actual.dims, actual.dims + actual.rank);
  const kiln_dtype dt = info.dtype;
  std::printf("  output %d '%s' %s %s: ", index, info.name, kiln_dtype_name(dt),
              shapeString(gotDims).c_str());
  if (gotDims != expected.dims) {
    std::printf("FAIL shape mismatch: expected %s\n",
                shapeString(expected.dims).c_str());
    return false;
  }
  const size_t esize = kiln_dtype_size(dt);
  const size_t count = expected.bytes.size() / esize;
  const uint8_t *a = static_cast<const uint8_t *>(actual.data);
  const uint8_t *e = expected.bytes.data();
  double maxAbs = 0, maxRel = 0;
  size_t mismatches = 0, first = 0;
  for (size_t i = 0; i < count; ++i) {
    bool ok;
    if (isFloating(dt)) {
      const double x = floatAt(dt, a, i), y = floatAt(dt, e, i);
      if (std::isnan(x) || std::isnan(y)) {
        ok = std::isnan(x) && std::isnan(y);
      } else if (x == y) {
        ok = true; // also equal infinities
      } else {
        const double diff = std::fabs(x - y);
        ok = diff <= opt.atol + opt.rtol * std::fabs(y);
        if (std::isfinite(diff)) {
          maxAbs = std::max(maxAbs, diff);
          if (y != 0)
            maxRel = std::max(maxRel, diff / std::fabs(y));
        } else {
          maxAbs = maxRel = INFINITY;
        }
      }
    } else {
      ok = std::memcmp(a + i * esize, e + i * esize, esize) == 0;
      if (!ok)
        maxAbs = maxRel = NAN; // not meaningful for integers: reported below
    }
    if (!ok && mismatches++ == 0)
      first = i;
  }
  if (isFloating(dt))
    std::printf("max_abs_err %.3g max_rel_err %.3g ", maxAbs, maxRel);
  std::printf("mismatches %zu/%zu", mismatches, count);
  if (mismatches == 0) {
    std::printf(" OK\n");
    return true;
  }
  // Multi-index of the first mismatch.
  std::vector<int64_t> idx(gotDims.size());
  size_t rest = first;
  for (size_t d = gotDims.size(); d-- > 0;) {
    idx[d] = static_cast<int64_t>(rest % static_cast<size_t>(gotDims[d]));
    rest /= static_cast<size_t>(gotDims[d]);
  }
  std::printf(" FAIL (first at index %zu %s: got %s, expected %s)\n", first,
              shapeString(idx).c_str(), valueString(dt, a, first).c_str(),
              valueString(dt, e, first).c_str());
  return false;
}

/// Runs one data set.  `compared` is false when it has no output_<j>.pb
/// files: then nothing is compared and the result is kPass.
ExitCode runDataSet(kiln_model *model, const std::string &dir,
                    const Options &opt, RunTotals &totals, bool &compared) {
  compared = false;
  std::printf("data set %s\n", dir.c_str());
  const auto inInfo = infos(model, false), outInfo = infos(model, true);
  auto fail = [&](const std::string &msg) {
    std::fflush(stdout);
    std::fprintf(stderr, "kiln-run: error: %s\n", msg.c_str());
    return kError;
  };
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return fail("data directory '" + dir + "' does not exist");

  std::vector<Tensor> inputs, expected;
  std::string err;
  for (int pass = 0; pass < 2; ++pass) {
    auto &vec = pass ? expected : inputs;
    for (int i = 0;; ++i) {
      std::string path = dir + "/" + (pass ? "output_" : "input_") +
                         std::to_string(i) + ".pb";
      if (!fileExists(path))
        break;
      Tensor t;
      if (!readTensor(path, t, err))
        return fail(err);
      vec.push_back(std::move(t));
    }
  }
  if (inputs.size() != inInfo.size())
    return fail("data set '" + dir + "' has " + std::to_string(inputs.size()) +
                " input_<i>.pb files, but the model has " +
                std::to_string(inInfo.size()) + " inputs");
  if (expected.size() > outInfo.size())
    return fail("data set '" + dir + "' has " + std::to_string(expected.size()) +
                " output_<j>.pb files, but the model has only " +
                std::to_string(outInfo.size()) + " outputs");

  bool inByName, outByName;
  const std::vector<int> inMap = matchTensors(inputs, inInfo, inByName);
  const std::vector<int> outMap = matchTensors(expected, outInfo, outByName);
  std::vector<kiln_tensor> kin(inInfo.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const int m = inMap[i];
    const kiln_tensor_info &ti = inInfo[m];
    reinterpretBf16Bits(inputs[i], ti.dtype);
    if (inputs[i].dtype != ti.dtype)
      return fail("input " + std::to_string(m) + " ('" + ti.name + "'): " +
                  dir + "/input_" + std::to_string(i) + ".pb holds " +
                  dtypeString(inputs[i].dtype) + ", the model expects " +
                  kiln_dtype_name(ti.dtype));
    kin[m] = asKilnTensor(inputs[i]);
    if (opt.verbose)
      std::printf("  input_%zu.pb '%s' %s %s -> input %d '%s'\n", i,
                  inputs[i].name.c_str(), kiln_dtype_name(inputs[i].dtype),
                  shapeString(inputs[i].dims).c_str(), m, ti.name);
  }
  for (size_t j = 0; j < expected.size(); ++j) {
    const kiln_tensor_info &ti = outInfo[outMap[j]];
    reinterpretBf16Bits(expected[j], ti.dtype);
    if (expected[j].dtype != ti.dtype)
      return fail("output " + std::to_string(outMap[j]) + " ('" + ti.name +
                  "'): " + dir + "/output_" + std::to_string(j) +
                  ".pb holds " + dtypeString(expected[j].dtype) +
                  ", the model produces " + kiln_dtype_name(ti.dtype));
  }

  Outputs outs(outInfo.size());
  const auto t0 = std::chrono::steady_clock::now();
  kiln_status s = kiln_model_run(model, kin.data(), static_cast<int32_t>(kin.size()),
                                 outs.t.data(), static_cast<int32_t>(outs.t.size()));
  const double ms = std::chrono::duration<double, std::milli>(
                        std::chrono::steady_clock::now() - t0).count();
  if (s != KILN_OK)
    return fail(std::string("run failed: ") + kiln_status_string(s) + ": " +
                kiln_last_error());
  totals.runs += 1;
  totals.ms += ms;
  bool allOk = true;
  for (size_t j = 0; j < expected.size(); ++j)
    allOk &= compareOutput(outMap[j], outInfo[outMap[j]], outs.t[outMap[j]],
                           expected[j], opt);
  if (opt.verbose)
    std::printf("  run time %.3f ms\n", ms);
  if (!opt.saveOutputs.empty() && !saveOutputs(model, outs, opt.saveOutputs))
    return kError;
  if (expected.empty()) {
    std::printf("  no reference outputs (no output_<j>.pb files): nothing compared\n");
    return kPass;
  }
  compared = true;
  std::printf("  %s\n", allOk ? "PASS" : "FAIL");
  return allOk ? kPass : kMismatch;
}

/// Physical memory of the machine in bytes (0 if unknown): the limit on
/// the random inputs' size.
uint64_t physicalMemory() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : 0;
}

std::string gib(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(bytes) / (1u << 30));
  return buf;
}

/// Nearest-rank percentile of sorted values: the smallest value with at
/// least p% of the values at or below it.
double percentile(const std::vector<double> &sorted, double p) {
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::min(std::max<size_t>(rank, 1), sorted.size()) - 1];
}

ExitCode runBenchmark(kiln_model *model, const Options &opt, RunTotals &totals) {
  const auto inInfo = infos(model, false);
  auto fail = [&](const std::string &msg) {
    std::fflush(stdout);
    std::fprintf(stderr, "kiln-run: error: %s\n", msg.c_str());
    return kError;
  };
  std::vector<Tensor> inputs(inInfo.size());
  std::vector<bool> given(inInfo.size(), false);
  // --input NAME=FILE
  for (const auto &file : opt.inputFiles) {
    const std::string &name = file.first, &path = file.second;
    auto it = std::find_if(inInfo.begin(), inInfo.end(),
                           [&](const kiln_tensor_info &ti) { return name == ti.name; });
    if (it == inInfo.end()) {
      std::string names;
      for (const auto &ti : inInfo)
        names += std::string(names.empty() ? "" : ", ") + "'" + ti.name + "'";
      return fail("--input " + name + "=" + path + ": the model has no input '" + name +
                  "' (inputs: " + names + ")");
    }
    const size_t i = static_cast<size_t>(it - inInfo.begin());
    if (given[i])
      return fail("--input: input '" + name + "' given twice");
    std::string err;
    if (!readInputFile(path, inputs[i], err))
      return fail(err);
    reinterpretBf16Bits(inputs[i], it->dtype);
    if (inputs[i].dtype != it->dtype)
      return fail("input " + std::to_string(i) + " ('" + name + "'): " + path + " holds " +
                  dtypeString(inputs[i].dtype) + ", the model expects " +
                  kiln_dtype_name(it->dtype));
    inputs[i].name = name;
    given[i] = true;
  }
  // Shapes and sizes of the random inputs, checked before any allocation.
  uint64_t totalBytes = 0;
  const uint64_t limit = physicalMemory();
  for (size_t i = 0; i < inInfo.size(); ++i) {
    if (given[i])
      continue;
    const kiln_tensor_info &ti = inInfo[i];
    Tensor &t = inputs[i];
    t.dtype = ti.dtype;
    bool firstDynamic = true;
    uint64_t bytes = kiln_dtype_size(t.dtype);
    bool overflow = false;
    for (int32_t d = 0; d < ti.rank; ++d) {
      int64_t v = ti.dims[d];
      if (v < 0) {
        v = firstDynamic ? opt.batch : 1;
        firstDynamic = false;
      }
      t.dims.push_back(v);
      overflow |= __builtin_mul_overflow(bytes, static_cast<uint64_t>(v), &bytes);
    }
    const std::string what = "random input " + std::to_string(i) + " '" + ti.name + "' " +
                             kiln_dtype_name(t.dtype) + " " + shapeString(t.dims);
    if (overflow || __builtin_add_overflow(totalBytes, bytes, &totalBytes))
      return fail(what + ": the byte size overflows (--batch " + std::to_string(opt.batch) + ")");
    if (limit && totalBytes > limit)
      return fail(what + " needs " + std::to_string(bytes) + " bytes (" + gib(bytes) + ")" +
                  (totalBytes != bytes ? ", the random inputs together " + gib(totalBytes) : "") +
                  ", more than this machine's memory (" + gib(limit) +
                  "): use a smaller --batch (now " + std::to_string(opt.batch) + ")");
  }
  std::mt19937_64 rng(opt.seed);
  std::uniform_real_distribution<float> real(-1.f, 1.f);
  std::uniform_int_distribution<int> small(0, 3), bit(0, 1);
  std::vector<kiln_tensor> kin(inInfo.size());
  for (size_t i = 0; i < inInfo.size(); ++i) {
    const kiln_tensor_info &ti = inInfo[i];
    Tensor &t = inputs[i];
    if (given[i]) {
      kin[i] = asKilnTensor(t);
      if (opt.verbose)
        std::printf("input %zu '%s' %s %s from %s\n", i, ti.name, kiln_dtype_name(t.dtype),
                    shapeString(t.dims).c_str(),
                    std::find_if(opt.inputFiles.begin(), opt.inputFiles.end(),
                                 [&](const auto &f) { return f.first == ti.name; })
                        ->second.c_str());
      continue;
    }
    size_t count = 1;
    for (int64_t v : t.dims)
      count *= static_cast<size_t>(v);
    const size_t esize = kiln_dtype_size(t.dtype);
    t.bytes.resize(count * esize);
    for (size_t k = 0; k < count; ++k) {
      uint8_t *p = t.bytes.data() + k * esize;
      auto put = [&](auto v) { std::memcpy(p, &v, sizeof v); };
      switch (t.dtype) {
      case KILN_DTYPE_FLOAT: put(real(rng)); break;
      case KILN_DTYPE_DOUBLE: put(static_cast<double>(real(rng))); break;
      case KILN_DTYPE_FLOAT16: put(floatToHalf(real(rng))); break;
      case KILN_DTYPE_BFLOAT16: put(floatToBf16(real(rng))); break;
      case KILN_DTYPE_BOOL: *p = static_cast<uint8_t>(bit(rng)); break;
      default: { // integers: little-endian small value
        std::memset(p, 0, esize);
        *p = static_cast<uint8_t>(small(rng));
      }
      }
    }
    kin[i] = asKilnTensor(t);
    if (opt.verbose)
      std::printf("random input %zu '%s' %s %s\n", i, ti.name,
                  kiln_dtype_name(t.dtype), shapeString(t.dims).c_str());
  }

  Outputs outs(static_cast<size_t>(kiln_model_num_outputs(model)));
  std::vector<double> times;
  for (long r = 0; r < opt.warmup + opt.repeat; ++r) {
    if (opt.profile && r == opt.warmup)
      kiln_model_profile_reset(model); // the profile covers the timed runs
    const auto t0 = std::chrono::steady_clock::now();
    kiln_status s = kiln_model_run(model, kin.data(), static_cast<int32_t>(kin.size()),
                                   outs.t.data(), static_cast<int32_t>(outs.t.size()));
    const double ms = std::chrono::duration<double, std::milli>(
                          std::chrono::steady_clock::now() - t0).count();
    if (s != KILN_OK) {
      std::fflush(stdout);
      std::fprintf(stderr, "kiln-run: error: run failed: %s: %s\n",
                   kiln_status_string(s), kiln_last_error());
      return kError;
    }
    if (r == 0) {
      const auto outInfo = infos(model, true);
      for (size_t j = 0; j < outs.t.size(); ++j)
        std::printf("output %zu '%s' %s %s\n", j, outInfo[j].name,
                    kiln_dtype_name(outs.t[j].dtype),
                    shapeString(outs.t[j].dims, static_cast<size_t>(outs.t[j].rank)).c_str());
    }
    if (r == opt.warmup && !opt.saveOutputs.empty() &&
        !saveOutputs(model, outs, opt.saveOutputs))
      return kError;
    outs.release();
    if (r >= opt.warmup) {
      times.push_back(ms);
      totals.runs += 1;
      totals.ms += ms;
    }
  }
  std::sort(times.begin(), times.end());
  double sum = 0;
  for (double t : times)
    sum += t;
  const size_t n = times.size();
  const double median = n % 2 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
  std::printf("latency over %zu runs (after %ld warmup): min %.4f ms, median "
              "%.4f ms, mean %.4f ms, max %.4f ms\n",
              n, opt.warmup, times.front(), median, sum / static_cast<double>(n),
              times.back());
  std::printf("percentiles: p50 %.4f ms, p90 %.4f ms, p99 %.4f ms\n", percentile(times, 50),
              percentile(times, 90), percentile(times, 99));
  const double runsPerSecond = sum > 0 ? 1000.0 * static_cast<double>(n) / sum : 0.0;
  std::printf("throughput: %.2f runs/s", runsPerSecond);
  // Samples per second where --batch sets a dynamic dimension.
  bool batched = false;
  for (size_t i = 0; i < inInfo.size(); ++i)
    for (int32_t d = 0; d < inInfo[i].rank && !given[i]; ++d)
      batched |= inInfo[i].dims[d] < 0;
  if (batched)
    std::printf(", %.2f samples/s at batch %ld", runsPerSecond * static_cast<double>(opt.batch),
                opt.batch);
  int32_t threads = 1;
  (void)kiln_model_get_num_threads(model, &threads);
  std::printf(" (one run at a time, %d thread%s)\n", (int)threads, threads == 1 ? "" : "s");
  return kPass;
}


// --- per-node profile (kiln-compile --profile) ---------------------------------
struct ProfileRow {
  std::string name, opType;
  uint64_t ns = 0, calls = 0;
  long nodes = 0; // per op type: number of nodes
  uint64_t flops = 0; // per node: FLOPs done (0: none counted)
  // FLOPs executed and the time they took, over the counted nodes.
  double flopsDone = 0, flopNs = 0;
  double gflops() const { return flopNs > 0 ? flopsDone / flopNs : 0; }
};

std::string jsonString(const std::string &s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\t': out += "\\t"; break;
    default:
      if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      } else {
        out += static_cast<char>(c);
      }
    }
  }
  return out + "\"";
}

// Fails (exit 2) when the library has no profile.
bool checkProfile(kiln_model *model) {
  int32_t count = 0;
  kiln_status s = kiln_model_profile_count(model, &count);
  if (s == KILN_OK)
    return true;
  std::fflush(stdout);
  std::fprintf(stderr, "kiln-run: error: --profile: %s: %s\n", kiln_status_string(s),
               kiln_last_error());
  return false;
}

ExitCode reportProfile(kiln_model *model, const Options &opt, const RunTotals &totals) {
  int32_t count = 0;
  if (!checkProfile(model))
    return kError;
  kiln_model_profile_count(model, &count);
  std::vector<ProfileRow> nodes;
  for (int32_t i = 0; i < count; ++i) {
    kiln_profile_entry e;
    if (kiln_model_profile_entry(model, i, &e) != KILN_OK) {
      std::fprintf(stderr, "kiln-run: error: %s\n", kiln_last_error());
      return kError;
    }
    ProfileRow r{e.name, e.op_type, e.ns, e.calls, 1, e.flops};
    if (e.flops) {
      r.flopsDone = static_cast<double>(e.flops);
      r.flopNs = static_cast<double>(e.ns);
    }
    nodes.push_back(r);
  }
  // Per op type, in order of first execution, then sorted by time.
  std::vector<ProfileRow> types;
  for (const ProfileRow &n : nodes) {
    auto it = std::find_if(types.begin(), types.end(),
                           [&](const ProfileRow &t) { return t.opType == n.opType; });
    if (it == types.end()) {
      types.push_back(n);
      types.back().name.clear();
      types.back().flops = 0;
    } else {
      it->ns += n.ns;
      it->calls += n.calls;
      it->nodes += 1;
      it->flopsDone += n.flopsDone;
      it->flopNs += n.flopNs;
    }
  }
  uint64_t sumNs = 0;
  for (const ProfileRow &n : nodes)
    sumNs += n.ns;
  const double runs = static_cast<double>(std::max(totals.runs, 1L));
  const double sumMs = static_cast<double>(sumNs) / 1e6;
  const double wallPerRun = totals.ms / runs, sumPerRun = sumMs / runs;
  auto byTime = [](const ProfileRow &a, const ProfileRow &b) {
    return a.ns != b.ns ? a.ns > b.ns : a.opType + a.name < b.opType + b.name;
  };
  std::vector<ProfileRow> sortedNodes = nodes;
  std::sort(sortedNodes.begin(), sortedNodes.end(), byTime);
  std::vector<ProfileRow> sortedTypes = types;
  std::sort(sortedTypes.begin(), sortedTypes.end(), byTime);
  auto pct = [&](uint64_t ns) {
    return sumNs ? 100.0 * static_cast<double>(ns) / static_cast<double>(sumNs) : 0.0;
  };

  // The machine's peak, only when there is something to compare with it.
  kiln::run::Peak peak;
  double flopsDone = 0, flopNs = 0;
  for (const ProfileRow &n : nodes)
    flopsDone += n.flopsDone, flopNs += n.flopNs;
  if (flopsDone > 0)
    peak = kiln::run::measurePeak(0.2);
  auto rate = [&](const ProfileRow &r, char *buf, size_t size) {
    if (r.flopNs <= 0)
      std::snprintf(buf, size, "%9s %7s", "-", "-");
    else
      std::snprintf(buf, size, "%9.2f %6.1f%%", r.gflops(),
                    peak.gflops > 0 ? 100.0 * r.gflops() / peak.gflops : 0.0);
  };

  std::printf("\nprofile of model '%s' over %ld run%s\n", kiln_model_name(model), totals.runs,
              totals.runs == 1 ? "" : "s");
  const size_t shown = opt.profileTop == 0
                           ? sortedNodes.size()
                           : std::min(sortedNodes.size(), static_cast<size_t>(opt.profileTop));
  std::printf("per node (%zu of %zu, by time):\n", shown, sortedNodes.size());
  std::printf("  %10s %10s %7s %8s %9s %7s  %-22s %s\n", "total ms", "ms/run", "%", "calls",
              "GFLOP/s", "% peak", "op type", "node");
  char rateBuf[64];
  for (size_t i = 0; i < shown; ++i) {
    const ProfileRow &n = sortedNodes[i];
    rate(n, rateBuf, sizeof rateBuf);
    std::printf("  %10.3f %10.4f %6.2f%% %8" PRIu64 " %s  %-22s %s\n",
                static_cast<double>(n.ns) / 1e6, static_cast<double>(n.ns) / 1e6 / runs,
                pct(n.ns), n.calls, rateBuf, n.opType.c_str(), n.name.c_str());
  }
  std::printf("per op type:\n");
  std::printf("  %10s %10s %7s %8s %6s %9s %7s  %s\n", "total ms", "ms/run", "%", "calls",
              "nodes", "GFLOP/s", "% peak", "op type");
  for (const ProfileRow &t : sortedTypes) {
    rate(t, rateBuf, sizeof rateBuf);
    std::printf("  %10.3f %10.4f %6.2f%% %8" PRIu64 " %6ld %s  %s\n",
                static_cast<double>(t.ns) / 1e6, static_cast<double>(t.ns) / 1e6 / runs,
                pct(t.ns), t.calls, t.nodes, rateBuf, t.opType.c_str());
  }
  if (flopsDone > 0) {
    ProfileRow all;
    all.flopsDone = flopsDone, all.flopNs = flopNs;
    std::printf("convolutions and matrix products: %.3f GFLOP/run in %.4f ms/run, %.2f GFLOP/s "
                "= %.1f%% of the measured peak, %.1f GFLOP/s (%s, one core)\n",
                flopsDone / 1e9 / runs, flopNs / 1e6 / runs, all.gflops(),
                100.0 * all.gflops() / peak.gflops, peak.gflops, peak.isa);
  }
  std::printf("sum of all entries %.4f ms/run; measured wall time %.4f ms/run (%.1f%% "
              "inside timed regions; the rest is the runtime's checks and copies, the model's "
              "entry and the timers themselves)\n",
              sumPerRun, wallPerRun, wallPerRun > 0 ? 100.0 * sumPerRun / wallPerRun : 0.0);

  if (!opt.profileJson.empty()) {
    FILE *f = std::fopen(opt.profileJson.c_str(), "w");
    if (!f) {
      std::fprintf(stderr, "kiln-run: error: cannot write '%s': %s\n", opt.profileJson.c_str(),
                   std::strerror(errno));
      return kError;
    }
    std::fprintf(f, "{\n  \"model\": %s,\n  \"runs\": %ld,\n  \"warmup\": %ld,\n"
                    "  \"batch\": %ld,\n  \"mode\": %s,\n",
                 jsonString(kiln_model_name(model)).c_str(), totals.runs,
                 opt.dataDirs.empty() ? opt.warmup : 0L, opt.batch,
                 opt.dataDirs.empty() ? "\"random\"" : "\"data-dir\"");
    std::fprintf(f, "  \"wall_ms_per_run\": %.6f,\n  \"profiled_ms_per_run\": %.6f,\n",
                 wallPerRun, sumPerRun);
    if (peak.gflops > 0)
      std::fprintf(f, "  \"peak_gflops_per_s\": %.3f,\n  \"peak_isa\": %s,\n", peak.gflops,
                   jsonString(peak.isa).c_str());
    else
      std::fprintf(f, "  \"peak_gflops_per_s\": null,\n  \"peak_isa\": null,\n");
    auto rows = [&](const char *key, const std::vector<ProfileRow> &v, bool perType) {
      std::fprintf(f, "  \"%s\": [", key);
      for (size_t i = 0; i < v.size(); ++i) {
        const ProfileRow &r = v[i];
        std::fprintf(f, "%s\n    {", i ? "," : "");
        if (!perType)
          std::fprintf(f, "\"name\": %s, ", jsonString(r.name).c_str());
        std::fprintf(f, "\"op_type\": %s, \"ns\": %" PRIu64 ", \"calls\": %" PRIu64
                        ", \"ms_per_run\": %.6f, \"percent\": %.4f",
                     jsonString(r.opType).c_str(), r.ns, r.calls,
                     static_cast<double>(r.ns) / 1e6 / runs, pct(r.ns));
        if (perType)
          std::fprintf(f, ", \"nodes\": %ld", r.nodes);
        else
          std::fprintf(f, ", \"flops\": %" PRIu64, r.flops);
        if (r.flopNs > 0)
          std::fprintf(f, ", \"gflops_per_s\": %.4f, \"percent_of_peak\": %.3f", r.gflops(),
                       peak.gflops > 0 ? 100.0 * r.gflops() / peak.gflops : 0.0);
        else
          std::fprintf(f, ", \"gflops_per_s\": null, \"percent_of_peak\": null");
        std::fprintf(f, "}");
      }
      std::fprintf(f, "\n  ]");
    };
    rows("nodes", nodes, false); // execution order
    std::fprintf(f, ",\n");
    rows("op_types", sortedTypes, true);
    std::fprintf(f, "\n}\n");
    if (std::fclose(f) != 0) {
      std::fprintf(stderr, "kiln-run: error: cannot write '%s'\n", opt.profileJson.c_str());
      return kError;
    }
    std::printf("profile written to %s\n", opt.profileJson.c_str());
  }
  return kPass;
}

// --- command line --------------------------------------------------------------
bool parseDouble(const std::string &s, double &out) {
  char *end = nullptr;
  errno = 0;
  out = std::strtod(s.c_str(), &end);
  return !s.empty() && end && *end == '\0' && errno == 0 && std::isfinite(out) &&
         out >= 0;
}

bool parseLong(const std::string &s, long minValue, long &out) {
  char *end = nullptr;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || !end || *end != '\0' || errno != 0 || v < minValue ||
      v > 1000000000LL)
    return false;
  out = static_cast<long>(v);
  return true;
}

int usageError(const std::string &msg) {
  std::fprintf(stderr, "kiln-run: error: %s\n(run 'kiln-run --help' for usage)\n",
               msg.c_str());
  return kError;
}

/// Refuses files that are not shared libraries before dlopen does, with a
/// hint: an ONNX model must be compiled first, a static archive linked.
bool checkModelFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  char magic[8] = {0};
  if (!in || !in.read(magic, sizeof magic))
    return true; // missing or tiny: dlopen reports it
  if (std::memcmp(magic, "\x7f" "ELF", 4) == 0)
    return true;
  std::string stem = std::filesystem::path(path).stem().string();
  if (stem.rfind("lib", 0) == 0)
    stem = stem.substr(3);
  std::fflush(stdout);
  if (std::memcmp(magic, "!<arch>\n", 8) == 0) {
    std::fprintf(stderr,
                 "kiln-run: error: '%s' is a static archive; kiln-run loads shared libraries: "
                 "compile the model with kiln-compile ... -o lib%s.so, or link the archive "
                 "into your program\n",
                 path.c_str(), stem.c_str());
    return false;
  }
  // An ONNX model: by its extension, or a file that parses as a ModelProto
  // with a graph (protobuf accepts almost any bytes as some message, so an
  // empty parse does not count).
  bool onnxModel = endsWith(path, ".onnx");
  if (!onnxModel) {
    in.clear();
    in.seekg(0);
    onnx::ModelProto model;
    onnxModel = model.ParseFromIstream(&in) && model.has_graph() &&
                model.graph().node_size() > 0 && model.opset_import_size() > 0;
  }
  if (onnxModel) {
    std::fprintf(stderr,
                 "kiln-run: error: '%s' is an ONNX model, not a compiled model library; "
                 "compile it first:\n  kiln-compile %s -o lib%s.so\nthen run "
                 "kiln-run lib%s.so\n",
                 path.c_str(), path.c_str(), stem.c_str(), stem.c_str());
    return false;
  }
  return true; // dlopen gives the reason
}

int run(int argc, char **argv);

} // namespace

int main(int argc, char **argv) {
  GOOGLE_PROTOBUF_VERIFY_VERSION;
  try {
    return run(argc, argv);
  } catch (const std::bad_alloc &) {
    std::fflush(stdout);
    std::fprintf(stderr, "kiln-run: error: out of memory (an allocation failed)\n");
  } catch (const std::length_error &e) {
    std::fflush(stdout);
    std::fprintf(stderr, "kiln-run: error: out of memory (a buffer would be too large: %s)\n",
                 e.what());
  }
  return kError;
}

namespace {
int run(int argc, char **argv) {
  Options opt;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i], value;
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return kPass;
    }
    if (arg == "--version") {
      std::fputs(kiln::versionString("kiln-run").c_str(), stdout);
      return kPass;
    }
    if (arg == "-v" || arg == "--verbose") {
      opt.verbose = true;
      continue;
    }
    if (arg == "--profile") {
      opt.profile = true;
      continue;
    }
    if (arg == "--peak") {
      opt.peak = true;
      continue;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      positional.push_back(arg);
      continue;
    }
    const size_t eq = arg.find('=');
    bool inlineValue = eq != std::string::npos && arg.rfind("--", 0) == 0;
    std::string name = inlineValue ? arg.substr(0, eq) : arg;
    static const char *withValue[] = {"--data-dir", "--rtol",  "--atol",
                                      "--repeat",   "--warmup", "--batch",
                                      "--seed",     "--profile-top", "--profile-json",
                                      "--input",    "--save-outputs", "--threads"};
    if (std::find_if(std::begin(withValue), std::end(withValue),
                     [&](const char *o) { return name == o; }) == std::end(withValue))
      return usageError("unknown option '" + arg + "'");
    if (inlineValue)
      value = arg.substr(eq + 1);
    else if (i + 1 < argc)
      value = argv[++i];
    else
      return usageError("option " + name + " needs a value");
    long l = 0;
    double d = 0;
    if (name == "--data-dir") {
      if (value.empty())
        return usageError("--data-dir needs a directory");
      opt.dataDirs.push_back(value);
    } else if (name == "--rtol" || name == "--atol") {
      if (!parseDouble(value, d))
        return usageError(name + " must be a finite number >= 0, got '" + value + "'");
      (name == "--rtol" ? opt.rtol : opt.atol) = d;
    } else if (name == "--input") {
      const size_t sep = value.find('=');
      if (sep == std::string::npos || sep == 0 || sep + 1 == value.size())
        return usageError("--input needs NAME=FILE (a .npy or .pb file), got '" + value + "'");
      opt.inputFiles.emplace_back(value.substr(0, sep), value.substr(sep + 1));
    } else if (name == "--save-outputs") {
      if (value.empty())
        return usageError("--save-outputs needs a directory");
      opt.saveOutputs = value;
    } else if (name == "--profile-json") {
      if (value.empty())
        return usageError("--profile-json needs a file name");
      opt.profileJson = value;
      opt.profile = true;
    } else if (name == "--profile-top") {
      if (!parseLong(value, 0, l))
        return usageError("--profile-top must be an integer >= 0, got '" + value + "'");
      opt.profileTop = l;
    } else if (name == "--threads") {
      if (!parseLong(value, 1, l) || l > 4096)
        return usageError("--threads must be an integer in [1, 4096], got '" + value + "'");
      opt.threads = l;
    } else if (name == "--seed") {
      if (!parseLong(value, 0, l))
        return usageError("--seed must be an integer in [0, 1e9], got '" + value + "'");
      opt.seed = static_cast<unsigned long long>(l);
    } else {
      const long minValue = name == "--warmup" ? 0 : 1;
      if (!parseLong(value, minValue, l))
        return usageError(name + " must be an integer >= " + std::to_string(minValue) +
                          ", got '" + value + "'");
      (name == "--repeat" ? opt.repeat : name == "--warmup" ? opt.warmup : opt.batch) = l;
    }
  }
  if (opt.peak) {
    if (!positional.empty())
      return usageError("--peak takes no model library");
    const kiln::run::Peak p = kiln::run::measurePeak(0.5);
    std::printf("peak: %.1f GFLOP/s fp32 on one core (%s, %d lanes, measured over %.2f s)\n",
                p.gflops, p.isa, p.lanes, p.seconds);
    // The quantized kernels' instructions, where the CPU has them.
    for (const kiln::run::DotPeak &d : kiln::run::measureDotPeaks(0.25))
      std::printf("peak: %.1f GOP/s %s on one core (%s, %.2f times fp32)\n", d.gops, d.precision, d.instruction,
                  p.gflops > 0 ? d.gops / p.gflops : 0.0);
    return kPass;
  }
  if (positional.size() != 1)
    return usageError(positional.empty() ? "no model library given"
                                         : "more than one model library given");
  opt.model = positional[0];
  if (!opt.inputFiles.empty() && !opt.dataDirs.empty())
    return usageError("--input cannot be combined with --data-dir (the data set gives every "
                      "input)");
  if (!opt.saveOutputs.empty() && opt.dataDirs.size() > 1)
    return usageError("--save-outputs takes the outputs of one run: give a single --data-dir");
  if (!checkModelFile(opt.model))
    return kError;
  // dlopen searches the library path for a bare name; users mean a file.
  std::string path = opt.model.find('/') == std::string::npos ? "./" + opt.model
                                                               : opt.model;
  kiln_model *raw = nullptr;
  kiln_status s = kiln_model_load(path.c_str(), &raw);
  if (s != KILN_OK) {
    std::fprintf(stderr, "kiln-run: error: %s: %s\n", kiln_status_string(s),
                 kiln_last_error());
    return kError;
  }
  ModelPtr model(raw);
  if (opt.threads > 0 &&
      kiln_model_set_num_threads(model.get(), static_cast<int32_t>(opt.threads)) != KILN_OK) {
    std::fprintf(stderr, "kiln-run: error: %s\n", kiln_last_error());
    return kError;
  }
  if (opt.verbose)
    printSignature(model.get());

  RunTotals totals;
  if (opt.profile) {
    if (!checkProfile(model.get()))
      return kError;
    kiln_model_profile_reset(model.get());
  }
  if (opt.dataDirs.empty()) {
    ExitCode c = runBenchmark(model.get(), opt, totals);
    if (c == kPass && opt.profile)
      c = reportProfile(model.get(), opt, totals);
    return c;
  }
  int worst = kPass, passed = 0, notCompared = 0;
  for (const auto &dir : opt.dataDirs) {
    bool compared = false;
    ExitCode c = runDataSet(model.get(), dir, opt, totals, compared);
    passed += c == kPass && compared;
    notCompared += c == kPass && !compared;
    worst = std::max(worst, static_cast<int>(c));
  }
  std::printf("%d of %zu data sets passed", passed, opt.dataDirs.size());
  if (notCompared)
    std::printf("; %d had no reference outputs: nothing compared", notCompared);
  std::printf("\n");
  if (opt.profile && totals.runs > 0)
    worst = std::max(worst, static_cast<int>(reportProfile(model.get(), opt, totals)));
  return worst;
}
} // namespace
