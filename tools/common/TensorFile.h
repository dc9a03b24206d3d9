//===- TensorFile.h - dense tensors from .pb and .npy files -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Reads one tensor from a serialized onnx.TensorProto (.pb, the files of
// ONNX's backend test data sets) or a numpy .npy file (Npy.h) into a dense
// host buffer.  Used by kiln-run and by the data set loader (Dataset.h).
// This header needs neither protobuf nor LLVM; the library (KilnTensorIO)
// links protobuf and onnx_proto.
//===----------------------------------------------------------------------===//
#ifndef KILN_TOOLS_COMMON_TENSORFILE_H
#define KILN_TOOLS_COMMON_TENSORFILE_H

#include "kiln/runtime.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::data {

/// A dense host tensor: C order, little-endian.
struct Tensor {
  std::string name; // the TensorProto's name ("" for .npy files)
  kiln_dtype dtype = KILN_DTYPE_UNDEFINED;
  std::vector<int64_t> dims;
  std::vector<uint8_t> bytes;
};

/// "[2,?,3]": a negative dim prints as "?".
std::string shapeString(const int64_t *dims, size_t rank);
std::string shapeString(const std::vector<int64_t> &dims);

/// kiln_dtype_name(dtype), or "unsupported dtype N" for an ONNX type that
/// Kiln has no name for.
std::string dtypeString(int32_t dtype);

/// Reads a serialized onnx.TensorProto; on failure returns false and sets
/// `err` (the path included).
bool readTensor(const std::string &path, Tensor &t, std::string &err);

/// Reads `path` by its extension: .npy (numpy) or .pb (TensorProto).
bool readInputFile(const std::string &path, Tensor &t, std::string &err);

/// `t` as a runtime input tensor (its data borrowed, not copied).
kiln_tensor asKilnTensor(const Tensor &t);

/// numpy has no bfloat16, so ONNX's test generator (onnx <= 1.13) stores
/// bfloat16 reference data as a UINT16 tensor holding the bfloat16 bit
/// patterns (same size, same bytes).  When the model's tensor is bfloat16,
/// such a tensor is taken as those bit patterns; every other mismatch stays.
void reinterpretBf16Bits(Tensor &t, kiln_dtype modelDtype);

} // namespace kiln::data

#endif
