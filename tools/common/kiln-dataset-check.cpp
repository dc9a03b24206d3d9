//===- kiln-dataset-check.cpp - print what loadDataset reads ---------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Test driver of Dataset.h for the lit tests (test/Tools/dataset.test):
//
//   kiln-dataset-check DIR --input NAME:DTYPE:D0xD1x... [--input ...]
//                      [--option NAME] [--batch N] [--print-labels]
//
// DTYPE is a name as kiln_dtype_name prints it (float, uint8, ...); a dim
// '?' is dynamic; an empty shape is a scalar.  Prints one line per Sample,
//   sample <source>: <name>=<dtype>[<dims>] ... labels=<n> [<labels>]
// then `examples: N labeled: yes|no`; or `error: <message>` and exits 1.
// --option defaults to --data, --batch to 1.
//===----------------------------------------------------------------------===//
#include "Dataset.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

using namespace kiln::data;

namespace {

int usage(const std::string &msg) {
  std::fprintf(stderr,
               "kiln-dataset-check: %s\nusage: kiln-dataset-check DIR --input NAME:DTYPE:D0xD1x... "
               "[--input ...] [--option NAME] [--batch N] [--print-labels]\n",
               msg.c_str());
  return 2;
}

bool parseInt(const std::string &s, int64_t &out) {
  if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos)
    return false;
  out = std::stoll(s);
  return true;
}

/// NAME:DTYPE:D0xD1x... (the name may hold ':').
bool parseInput(const std::string &arg, InputSpec &in) {
  const size_t c2 = arg.rfind(':');
  const size_t c1 = c2 == std::string::npos || c2 == 0 ? std::string::npos : arg.rfind(':', c2 - 1);
  if (c1 == std::string::npos)
    return false;
  in.name = arg.substr(0, c1);
  const std::string dtype = arg.substr(c1 + 1, c2 - c1 - 1), dims = arg.substr(c2 + 1);
  in.dtype = KILN_DTYPE_UNDEFINED;
  for (int d = 1; d <= KILN_DTYPE_BFLOAT16; ++d)
    if (kiln_dtype_size(static_cast<kiln_dtype>(d)) &&
        dtype == kiln_dtype_name(static_cast<kiln_dtype>(d)))
      in.dtype = static_cast<kiln_dtype>(d);
  if (in.dtype == KILN_DTYPE_UNDEFINED)
    return false;
  in.dims.clear();
  for (size_t pos = 0; !dims.empty() && pos <= dims.size();) {
    size_t x = dims.find('x', pos);
    if (x == std::string::npos)
      x = dims.size();
    const std::string d = dims.substr(pos, x - pos);
    int64_t v;
    if (d == "?")
      v = -1;
    else if (!parseInt(d, v))
      return false;
    in.dims.push_back(v);
    pos = x + 1;
  }
  return true;
}

} // namespace

int main(int argc, char **argv) {
  std::string dir, option = "--data";
  std::vector<InputSpec> inputs;
  int64_t batch = 1;
  bool printLabels = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool hasValue = i + 1 < argc;
    if (a == "--input" && hasValue) {
      InputSpec in;
      if (!parseInput(argv[++i], in))
        return usage(std::string("bad --input '") + argv[i] + "' (NAME:DTYPE:D0xD1x...)");
      inputs.push_back(in);
    } else if (a == "--option" && hasValue) {
      option = argv[++i];
    } else if (a == "--batch" && hasValue) {
      if (!parseInt(argv[++i], batch))
        return usage(std::string("bad --batch '") + argv[i] + "'");
    } else if (a == "--print-labels") {
      printLabels = true;
    } else if (a.size() > 1 && a[0] == '-') {
      return usage("unknown or incomplete option '" + a + "'");
    } else if (dir.empty()) {
      dir = a;
    } else {
      return usage("more than one folder given");
    }
  }
  if (dir.empty() || inputs.empty())
    return usage("a folder and at least one --input are required");

  Dataset data;
  std::string err;
  if (!loadDataset(dir, inputs, option, batch, data, err)) {
    std::printf("error: %s\n", err.c_str());
    return 1;
  }
  for (const Sample &s : data.samples) {
    std::string line = "sample " + s.source + ":";
    for (const Tensor &t : s.inputs)
      line += " " + t.name + "=" + kiln_dtype_name(t.dtype) + shapeString(t.dims);
    line += " labels=" + std::to_string(s.labels.size());
    if (printLabels && !s.labels.empty()) {
      std::string l;
      for (int64_t v : s.labels)
        l += (l.empty() ? "" : ",") + std::to_string(v);
      line += " [" + l + "]";
    }
    std::printf("%s\n", line.c_str());
  }
  std::printf("examples: %lld labeled: %s\n", static_cast<long long>(data.count),
              data.labeled ? "yes" : "no");
  return 0;
}
