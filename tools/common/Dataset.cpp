//===- Dataset.cpp - calibration / evaluation data sets -------------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The layouts are described in Dataset.h.  Files are listed and their sizes
// added up before any is read, so that a data set too large is refused
// early; the tensor bytes are counted again as they are read (a .pb file's
// varints can take less room than the values they hold).
//===----------------------------------------------------------------------===//
#include "Dataset.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <limits>

namespace kiln::data {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kMaxBytes = uint64_t(64) << 30;

bool isDigits(const std::string &s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// `name` is PREFIX<digits>SUFFIX: sets `digits`.
bool matchIndexed(const std::string &name, const std::string &prefix, const std::string &suffix,
                  std::string &digits) {
  if (name.size() <= prefix.size() + suffix.size() || name.compare(0, prefix.size(), prefix) != 0 ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return false;
  digits = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  return isDigits(digits);
}

/// Digit strings of any length in numeric order.
bool numericLess(const std::string &a, const std::string &b) {
  const size_t za = std::min(a.find_first_not_of('0'), a.size());
  const size_t zb = std::min(b.find_first_not_of('0'), b.size());
  if (a.size() - za != b.size() - zb)
    return a.size() - za < b.size() - zb;
  const int c = a.compare(za, std::string::npos, b, zb, std::string::npos);
  return c != 0 ? c < 0 : a < b;
}

/// The file name stem of an input in layout (b).
std::string fileStem(const std::string &name) {
  std::string f = name;
  for (char &c : f)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
      c = '_';
  return f;
}

struct Entry {
  std::string name;
  bool dir;
};

/// The folders and regular files in `dir`, sorted by name.
bool listFolder(const std::string &dir, std::vector<Entry> &out, std::string &why) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code ec2;
    if (it->is_directory(ec2))
      out.push_back({it->path().filename().string(), true});
    else if (it->is_regular_file(ec2))
      out.push_back({it->path().filename().string(), false});
  }
  if (ec) {
    why = ec.message();
    return false;
  }
  std::sort(out.begin(), out.end(), [](const Entry &a, const Entry &b) { return a.name < b.name; });
  return true;
}

class Loader {
public:
  Loader(const std::vector<InputSpec> &inputs, const std::string &option, std::string &err)
      : inputs(inputs), option(option), err(err) {}

  bool load(const std::string &dir, int64_t batch, Dataset &out);

private:
  const std::vector<InputSpec> &inputs;
  const std::string &option;
  std::string &err;
  uint64_t bytesRead = 0;

  bool fail(const std::string &file, const std::string &msg) {
    err = option + " " + file + ": " + msg;
    return false;
  }
  std::string modelInput(size_t i) const {
    return "the model's input " + std::to_string(i) + " '" + inputs[i].name + "'";
  }
  bool checkSize(const std::string &what, const std::vector<std::string> &paths);
  bool read(const std::string &path, Tensor &t);
  bool check(const std::string &path, size_t i, Tensor &t, size_t fromDim);
  bool readLabels(const std::string &path, bool scalarOk, std::vector<int64_t> &labels);
  bool loadSets(const std::string &dir, const std::vector<std::string> &sets, Dataset &out);
  bool loadStacked(const std::string &dir, const std::vector<std::string> &npys, int64_t batch,
                   Dataset &out);
};

bool Loader::checkSize(const std::string &what, const std::vector<std::string> &paths) {
  uint64_t total = 0;
  for (const std::string &p : paths) {
    std::error_code ec;
    const uintmax_t size = fs::file_size(p, ec);
    if (!ec)
      total += size;
  }
  if (total > kMaxBytes)
    return fail(what, "the data set has " + std::to_string(total >> 30) +
                          " GiB of files; at most 64 GiB is supported");
  return true;
}

bool Loader::read(const std::string &path, Tensor &t) {
  std::string why;
  if (!readInputFile(path, t, why)) {
    err = option + ": " + why;
    return false;
  }
  bytesRead += t.bytes.size();
  if (bytesRead > kMaxBytes)
    return fail(path, "the data set holds more than 64 GiB of tensor data, the most supported");
  return true;
}

/// The dtype, the rank and the static dims from `fromDim` on.
bool Loader::check(const std::string &path, size_t i, Tensor &t, size_t fromDim) {
  const InputSpec &in = inputs[i];
  reinterpretBf16Bits(t, in.dtype);
  if (t.dtype != in.dtype)
    return fail(path, "holds " + dtypeString(t.dtype) + ", but " + modelInput(i) + " is " +
                          kiln_dtype_name(in.dtype));
  if (t.dims.size() != in.dims.size())
    return fail(path, "has rank " + std::to_string(t.dims.size()) + " " + shapeString(t.dims) +
                          ", but " + modelInput(i) + " has rank " + std::to_string(in.dims.size()) +
                          " " + shapeString(in.dims));
  for (size_t d = fromDim; d < t.dims.size(); ++d)
    if (in.dims[d] >= 0 && t.dims[d] != in.dims[d])
      return fail(path, "dim " + std::to_string(d) + " is " + std::to_string(t.dims[d]) + ", but " +
                            modelInput(i) + " " + shapeString(in.dims) + " has " +
                            std::to_string(in.dims[d]));
  t.name = in.name;
  return true;
}

bool Loader::readLabels(const std::string &path, bool scalarOk, std::vector<int64_t> &labels) {
  Tensor t;
  if (!read(path, t))
    return false;
  if (t.dims.size() > 1 || (t.dims.empty() && !scalarOk))
    return fail(path, "labels must be a " + std::string(scalarOk ? "scalar or a " : "") +
                          "[N] tensor, not " + shapeString(t.dims));
  const kiln_dtype dt = t.dtype;
  const bool isSigned = dt == KILN_DTYPE_INT8 || dt == KILN_DTYPE_INT16 || dt == KILN_DTYPE_INT32 ||
                        dt == KILN_DTYPE_INT64;
  const bool isUnsigned = dt == KILN_DTYPE_UINT8 || dt == KILN_DTYPE_UINT16 ||
                          dt == KILN_DTYPE_UINT32 || dt == KILN_DTYPE_UINT64;
  if (!isSigned && !isUnsigned)
    return fail(path, "labels must be integers, not " + dtypeString(dt));
  const size_t esize = kiln_dtype_size(dt), n = t.bytes.size() / esize;
  labels.resize(n);
  for (size_t k = 0; k < n; ++k) {
    // Little-endian: the low `esize` bytes, sign-extended for signed types.
    uint64_t u = 0;
    std::memcpy(&u, t.bytes.data() + k * esize, esize);
    if (isSigned && esize < 8 && (u >> (8 * esize - 1)) & 1)
      u |= ~uint64_t(0) << (8 * esize);
    const int64_t v = static_cast<int64_t>(u);
    if (isUnsigned ? u > uint64_t(std::numeric_limits<int64_t>::max()) : v < 0)
      return fail(path, "label " + std::to_string(k) + " is " +
                            (isUnsigned ? "too large (" + std::to_string(u)
                                        : "negative (" + std::to_string(v)) + ")");
    labels[k] = v;
  }
  return true;
}

// --- layout (a): DIR/test_data_set_<k>/input_<i>.pb ----------------------------
bool Loader::loadSets(const std::string &dir, const std::vector<std::string> &sets,
                      Dataset &out) {
  struct Files {
    std::string dir, label;
    std::vector<std::string> inputs;
  };
  std::vector<Files> plan;
  std::vector<std::string> all;
  for (const std::string &set : sets) {
    Files f{dir + "/" + set, "", std::vector<std::string>(inputs.size())};
    std::vector<Entry> entries;
    std::string why, digits;
    if (!listFolder(f.dir, entries, why))
      return fail(f.dir, "cannot list the folder: " + why);
    for (const Entry &e : entries) {
      const std::string path = f.dir + "/" + e.name;
      if (e.dir)
        continue;
      if (matchIndexed(e.name, "input_", ".pb", digits) ||
          matchIndexed(e.name, "input_", ".npy", digits)) {
        const size_t i = digits.size() > 9 ? inputs.size() : std::stoul(digits);
        if (i >= inputs.size())
          return fail(path, "the model has only " + std::to_string(inputs.size()) + " input" +
                                (inputs.size() == 1 ? "" : "s"));
        if (!f.inputs[i].empty())
          return fail(path, "a second file for input " + std::to_string(i) + " besides " +
                                f.inputs[i]);
        f.inputs[i] = path;
      } else if (e.name == "label.pb" || e.name == "label.npy") {
        if (!f.label.empty())
          return fail(path, "a second label file besides " + f.label);
        f.label = path;
      }
    }
    for (size_t i = 0; i < inputs.size(); ++i)
      if (f.inputs[i].empty())
        return fail(f.dir, "no input_" + std::to_string(i) + ".pb or input_" + std::to_string(i) +
                               ".npy for " + modelInput(i));
    if (!plan.empty() && f.label.empty() && !plan[0].label.empty())
      return fail(f.dir, "no label file, but " + plan[0].dir + " has one");
    if (!plan.empty() && !f.label.empty() && plan[0].label.empty())
      return fail(f.label, "a label file, but " + plan[0].dir + " has none");
    all.insert(all.end(), f.inputs.begin(), f.inputs.end());
    if (!f.label.empty())
      all.push_back(f.label);
    plan.push_back(std::move(f));
  }
  if (!checkSize(dir, all))
    return false;

  for (Files &f : plan) {
    Sample s;
    s.source = f.dir;
    int64_t examples = -1;
    std::string first;
    for (size_t i = 0; i < inputs.size(); ++i) {
      Tensor t;
      if (!read(f.inputs[i], t) || !check(f.inputs[i], i, t, 0))
        return false;
      if (!t.dims.empty()) {
        if (examples < 0) {
          examples = t.dims[0];
          first = f.inputs[i];
        } else if (t.dims[0] != examples) {
          return fail(f.inputs[i], "holds " + std::to_string(t.dims[0]) +
                                       " examples (dim 0), but " + first + " holds " +
                                       std::to_string(examples));
        }
      }
      s.inputs.push_back(std::move(t));
    }
    if (examples < 0)
      examples = 1; // every input is a scalar
    if (examples == 0)
      return fail(f.dir, "holds no examples (dim 0 is 0)");
    if (!f.label.empty()) {
      if (!readLabels(f.label, true, s.labels))
        return false;
      if (static_cast<int64_t>(s.labels.size()) != examples)
        return fail(f.label, "holds " + std::to_string(s.labels.size()) +
                                 " labels, but the inputs hold " + std::to_string(examples) +
                                 " examples");
    }
    out.count += examples;
    out.samples.push_back(std::move(s));
  }
  out.labeled = !plan.empty() && !plan[0].label.empty();
  return true;
}

// --- layout (b): DIR/<input>.npy stacked on axis 0 ------------------------------
bool Loader::loadStacked(const std::string &dir, const std::vector<std::string> &npys,
                         int64_t batch, Dataset &out) {
  auto has = [&](const std::string &n) {
    return std::find(npys.begin(), npys.end(), n) != npys.end();
  };
  std::vector<std::string> files(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string name = fileStem(inputs[i].name) + ".npy";
    for (size_t j = 0; j < i; ++j)
      if (fileStem(inputs[j].name) + ".npy" == name)
        return fail(dir, "the model's inputs '" + inputs[j].name + "' and '" + inputs[i].name +
                             "' would both be read from " + name +
                             "; use the test_data_set layout");
    if (has(name))
      files[i] = name;
  }
  std::vector<std::string> others;
  for (const std::string &n : npys)
    if (n != "labels.npy" && std::find(files.begin(), files.end(), n) == files.end())
      others.push_back(n);
  if (inputs.size() == 1 && files[0].empty() && others.size() == 1) {
    files[0] = others[0];
    others.clear();
  }
  std::string expected;
  for (const InputSpec &in : inputs)
    expected += (expected.empty() ? "" : ", ") + fileStem(in.name) + ".npy";
  for (size_t i = 0; i < inputs.size(); ++i)
    if (files[i].empty())
      return fail(dir, "no " + fileStem(inputs[i].name) + ".npy for " + modelInput(i));
  if (!others.empty())
    return fail(dir + "/" + others[0], "unknown file: the model's inputs are read from " +
                                           expected + ", the labels from labels.npy");

  // Rows per Sample: the static dim 0, else `batch`.
  int64_t run = -1;
  size_t runFrom = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].dims.empty())
      return fail(dir, modelInput(i) + " is a scalar, which cannot be stacked; use the "
                                       "test_data_set layout");
    const int64_t d0 = inputs[i].dims[0];
    if (d0 >= 0 && run >= 0 && d0 != run)
      return fail(dir, modelInput(runFrom) + " has batch size " + std::to_string(run) +
                           " but input " + std::to_string(i) + " '" + inputs[i].name + "' has " +
                           std::to_string(d0) + "; use the test_data_set layout");
    if (d0 == 0)
      return fail(dir, modelInput(i) + " has batch size 0 " + shapeString(inputs[i].dims));
    if (d0 >= 0 && run < 0) {
      run = d0;
      runFrom = i;
    }
  }
  const bool staticBatch = run >= 0;
  if (!staticBatch) {
    if (batch < 1)
      return fail(dir, "the batch size must be at least 1, not " + std::to_string(batch));
    run = batch;
  }
  std::vector<std::string> paths;
  for (const std::string &f : files)
    paths.push_back(dir + "/" + f);
  const bool labeled = has("labels.npy");
  std::vector<std::string> all = paths;
  if (labeled)
    all.push_back(dir + "/labels.npy");
  if (!checkSize(dir, all))
    return false;

  // One input at a time: read it, cut it into runs, free it.
  int64_t n = -1;
  for (size_t i = 0; i < inputs.size(); ++i) {
    Tensor t;
    if (!read(paths[i], t) || !check(paths[i], i, t, 1))
      return false;
    const int64_t rows = t.dims[0];
    if (n >= 0 && rows != n)
      return fail(paths[i], "holds " + std::to_string(rows) + " examples (dim 0), but " +
                                paths[0] + " holds " + std::to_string(n));
    n = rows;
    if (n == 0)
      return fail(paths[i], "holds no examples (dim 0 is 0)");
    if (staticBatch && n % run != 0)
      return fail(paths[i], "holds " + std::to_string(n) +
                                " examples (dim 0), not a multiple of the batch size " +
                                std::to_string(run) + " of " + modelInput(runFrom) + " " +
                                shapeString(inputs[runFrom].dims));
    const size_t rowBytes = t.bytes.size() / static_cast<size_t>(n);
    for (int64_t r = 0, s = 0, len; r < n; r += len, ++s) {
      len = std::min(run, n - r);
      if (i == 0) {
        out.samples.emplace_back();
        std::string src;
        for (const std::string &p : paths)
          src += (src.empty() ? "" : ", ") + p;
        out.samples.back().source = src + (len == 1 ? " row " + std::to_string(r)
                                                    : " rows " + std::to_string(r) + "-" +
                                                          std::to_string(r + len - 1));
      }
      Tensor piece;
      piece.name = t.name;
      piece.dtype = t.dtype;
      piece.dims = t.dims;
      piece.dims[0] = len;
      const auto begin = t.bytes.begin() + static_cast<std::ptrdiff_t>(r * rowBytes);
      piece.bytes.assign(begin, begin + static_cast<std::ptrdiff_t>(len * rowBytes));
      out.samples[s].inputs.push_back(std::move(piece));
    }
  }
  if (labeled) {
    const std::string path = dir + "/labels.npy";
    std::vector<int64_t> labels;
    if (!readLabels(path, false, labels))
      return false;
    if (static_cast<int64_t>(labels.size()) != n)
      return fail(path, "holds " + std::to_string(labels.size()) + " labels, but " + paths[0] +
                            " holds " + std::to_string(n) + " examples");
    size_t k = 0;
    for (Sample &s : out.samples) {
      const size_t len = static_cast<size_t>(s.inputs[0].dims[0]);
      s.labels.assign(labels.begin() + k, labels.begin() + k + len);
      k += len;
    }
  }
  out.labeled = labeled;
  out.count = n;
  return true;
}

bool Loader::load(const std::string &dir, int64_t batch, Dataset &out) {
  std::error_code ec;
  const fs::file_status st = fs::status(dir, ec);
  if (!fs::exists(st))
    return fail(dir, "no such folder");
  if (!fs::is_directory(st))
    return fail(dir, "not a folder");
  if (inputs.empty())
    return fail(dir, "the model has no inputs to feed");
  std::vector<Entry> entries;
  std::string why, digits;
  if (!listFolder(dir, entries, why))
    return fail(dir, "cannot list the folder: " + why);
  std::vector<std::string> sets, npys;
  bool inputPb = false; // DIR is one test_data_set_<k> folder itself
  for (const Entry &e : entries) {
    if (e.dir && matchIndexed(e.name, "test_data_set_", "", digits))
      sets.push_back(e.name);
    else if (!e.dir && e.name.size() > 4 && e.name.compare(e.name.size() - 4, 4, ".npy") == 0)
      npys.push_back(e.name);
    inputPb |= !e.dir && matchIndexed(e.name, "input_", ".pb", digits);
  }
  if (sets.empty() && npys.empty())
    return fail(dir, "no data: expected test_data_set_*/input_*.pb or <input>.npy files" +
                         std::string(inputPb ? " (input_*.pb files are here: give the folder "
                                               "that holds test_data_set_<k> folders)"
                                             : ""));
  if (!sets.empty() && !npys.empty())
    return fail(dir, "mixes the two layouts: test_data_set_* folders and .npy files (" + npys[0] +
                         "); keep one");
  std::sort(sets.begin(), sets.end(), [](const std::string &a, const std::string &b) {
    return numericLess(a.substr(14), b.substr(14));
  });
  return sets.empty() ? loadStacked(dir, npys, batch, out) : loadSets(dir, sets, out);
}

} // namespace

bool loadDataset(const std::string &dir, const std::vector<InputSpec> &inputs,
                 const std::string &option, int64_t batch, Dataset &out, std::string &err) {
  out = Dataset();
  err.clear();
  Loader loader(inputs, option, err);
  if (loader.load(dir, batch, out))
    return true;
  out = Dataset();
  return false;
}

} // namespace kiln::data
