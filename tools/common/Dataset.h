//===- Dataset.h - calibration / evaluation data sets -----------*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Loads the samples that kiln-compile --quantize runs a model on (for
// calibration or to measure accuracy).  A data set is a folder in one of two
// layouts, told apart by its contents (a folder holding both is an error):
//
// (a) ONNX backend-test layout, one run of the model per folder:
//       DIR/test_data_set_<k>/input_<i>.pb    (or input_<i>.npy)
//       DIR/test_data_set_<k>/label.pb        (or label.npy; optional)
//     <k> is sorted numerically; input_<i> is the model's i-th input (a
//     serialized onnx.TensorProto, or a .npy array).  The label file holds
//     integers: a scalar, or one per batch row ([batch]).  output_<j>.pb and
//     other files are ignored.
//
// (b) stacked numpy arrays, every example in one file per input:
//       DIR/<input name>.npy   [N, <the input's dims after dim 0>]
//       DIR/labels.npy         [N] integers (optional)
//     Characters of the input name outside [A-Za-z0-9._-] become '_' in the
//     file name.  For a single-input model, the one .npy file other than
//     labels.npy is that input, whatever its name.  When the model's dim 0 is
//     dynamic, the N examples are split into runs of `batch` rows (the last
//     one shorter); when it is a static B, N must be a multiple of B and
//     each run has B rows.  Any other .npy file is an error.
//
// Every tensor must have the model input's dtype and rank and its static
// dims; every input of a run the same number of examples (dim 0); labels
// one per example, any integer dtype, not negative.  Data sets over 64 GiB
// are refused.  Errors name the option and the file.
//===----------------------------------------------------------------------===//
#ifndef KILN_TOOLS_COMMON_DATASET_H
#define KILN_TOOLS_COMMON_DATASET_H

#include "TensorFile.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::data {

/// One input of the model.
struct InputSpec {
  std::string name;
  kiln_dtype dtype = KILN_DTYPE_UNDEFINED;
  std::vector<int64_t> dims; // -1 = dynamic dim
};

/// One run of the model.
struct Sample {
  std::string source;          // the file(s) it came from, for messages
  std::vector<Tensor> inputs;  // in the model's input order, dims fully known
  std::vector<int64_t> labels; // one per batch row (dim 0 of the inputs), empty if unlabeled
};

struct Dataset {
  std::vector<Sample> samples;
  bool labeled = false;
  int64_t count = 0; // examples (batch rows) in all
};

/// Loads the data set in folder `dir` for a model with `inputs`.  `option`
/// is the CLI option for messages (e.g. "--calibration-data").  `batch`:
/// examples per Sample when the model's dim 0 is dynamic (layout (b));
/// ignored when dim 0 is static.  On failure returns false and sets `err`.
bool loadDataset(const std::string &dir, const std::vector<InputSpec> &inputs,
                 const std::string &option, int64_t batch, Dataset &out, std::string &err);

} // namespace kiln::data

#endif
