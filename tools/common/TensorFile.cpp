//===- TensorFile.cpp - dense tensors from .pb and .npy files -------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//===----------------------------------------------------------------------===//
#include "TensorFile.h"

#include "Npy.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "TensorProto raw_data and .npy data are little-endian"
#endif

namespace kiln::data {
namespace {

template <typename Dst, typename Field>
bool copyTyped(const Field &field, size_t count, Tensor &t,
               const std::string &what, std::string &err) {
  if (static_cast<size_t>(field.size()) != count) {
    err = what + ": holds " + std::to_string(field.size()) +
          " values, but shape " + shapeString(t.dims) + " needs " +
          std::to_string(count);
    return false;
  }
  t.bytes.resize(count * sizeof(Dst));
  for (size_t i = 0; i < count; ++i) {
    Dst v = static_cast<Dst>(field.Get(static_cast<int>(i)));
    std::memcpy(t.bytes.data() + i * sizeof(Dst), &v, sizeof(Dst));
  }
  return true;
}

bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() &&
         std::equal(suffix.rbegin(), suffix.rend(), s.rbegin(),
                    [](char a, char b) { return std::tolower(a) == std::tolower(b); });
}

} // namespace

std::string shapeString(const int64_t *dims, size_t rank) {
  std::string s = "[";
  for (size_t i = 0; i < rank; ++i) {
    if (i)
      s += ",";
    s += dims[i] < 0 ? std::string("?") : std::to_string(dims[i]);
  }
  return s + "]";
}
std::string shapeString(const std::vector<int64_t> &d) {
  return shapeString(d.data(), d.size());
}

std::string dtypeString(int32_t dtype) {
  const char *n = kiln_dtype_name(static_cast<kiln_dtype>(dtype));
  if (std::strcmp(n, "unknown") == 0)
    return "unsupported dtype " + std::to_string(dtype);
  return n;
}

bool readTensor(const std::string &path, Tensor &t, std::string &err) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    err = "cannot open '" + path + "': " + std::strerror(errno);
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  onnx::TensorProto tp;
  if (!tp.ParseFromString(ss.str())) {
    err = "'" + path + "' is not a valid serialized onnx.TensorProto";
    return false;
  }
  const std::string what = "'" + path + "'";
  t.name = tp.name();
  t.dtype = static_cast<kiln_dtype>(tp.data_type());
  const size_t esize = kiln_dtype_size(t.dtype);
  if (esize == 0) {
    err = what + ": " + dtypeString(tp.data_type()) + " is not supported";
    return false;
  }
  if (tp.has_data_location() &&
      tp.data_location() == onnx::TensorProto::EXTERNAL) {
    err = what + ": external tensor data is not supported";
    return false;
  }
  if (tp.dims_size() > KILN_MAX_RANK) {
    err = what + ": rank " + std::to_string(tp.dims_size()) +
          " exceeds the maximum of " + std::to_string(KILN_MAX_RANK);
    return false;
  }
  size_t count = 1;
  for (int64_t d : tp.dims()) {
    if (d < 0 || __builtin_mul_overflow(count, static_cast<size_t>(d), &count) ||
        count > (size_t(1) << 40)) {
      err = what + ": invalid or too large shape";
      return false;
    }
    t.dims.push_back(d);
  }
  if (!tp.raw_data().empty() || count == 0) {
    const std::string &raw = tp.raw_data();
    if (raw.size() != count * esize) {
      err = what + ": raw_data has " + std::to_string(raw.size()) +
            " bytes, but shape " + shapeString(t.dims) + " of " +
            dtypeString(t.dtype) + " needs " + std::to_string(count * esize);
      return false;
    }
    t.bytes.assign(raw.begin(), raw.end());
    return true;
  }
  switch (t.dtype) {
  case KILN_DTYPE_FLOAT:
    return copyTyped<float>(tp.float_data(), count, t, what + " float_data", err);
  case KILN_DTYPE_DOUBLE:
    return copyTyped<double>(tp.double_data(), count, t, what + " double_data", err);
  case KILN_DTYPE_INT64:
    return copyTyped<int64_t>(tp.int64_data(), count, t, what + " int64_data", err);
  case KILN_DTYPE_UINT32:
    return copyTyped<uint32_t>(tp.uint64_data(), count, t, what + " uint64_data", err);
  case KILN_DTYPE_UINT64:
    return copyTyped<uint64_t>(tp.uint64_data(), count, t, what + " uint64_data", err);
  case KILN_DTYPE_INT32:
    return copyTyped<int32_t>(tp.int32_data(), count, t, what + " int32_data", err);
  case KILN_DTYPE_INT16:
    return copyTyped<int16_t>(tp.int32_data(), count, t, what + " int32_data", err);
  case KILN_DTYPE_INT8:
    return copyTyped<int8_t>(tp.int32_data(), count, t, what + " int32_data", err);
  case KILN_DTYPE_UINT16:
  case KILN_DTYPE_FLOAT16: // bit patterns, per the ONNX spec
  case KILN_DTYPE_BFLOAT16:
    return copyTyped<uint16_t>(tp.int32_data(), count, t, what + " int32_data", err);
  case KILN_DTYPE_UINT8:
    return copyTyped<uint8_t>(tp.int32_data(), count, t, what + " int32_data", err);
  case KILN_DTYPE_BOOL:
    if (!copyTyped<uint8_t>(tp.int32_data(), count, t, what + " int32_data", err))
      return false;
    for (auto &b : t.bytes)
      b = b != 0;
    return true;
  default:
    err = what + ": " + dtypeString(t.dtype) + " is not supported";
    return false;
  }
}

void reinterpretBf16Bits(Tensor &t, kiln_dtype modelDtype) {
  if (modelDtype == KILN_DTYPE_BFLOAT16 && t.dtype == KILN_DTYPE_UINT16)
    t.dtype = KILN_DTYPE_BFLOAT16;
}

bool readInputFile(const std::string &path, Tensor &t, std::string &err) {
  if (endsWith(path, ".npy")) {
    kiln::npy::Array a;
    if (!kiln::npy::read(path, a, err))
      return false;
    t.dtype = a.dtype;
    t.dims = std::move(a.dims);
    t.bytes = std::move(a.bytes);
    return true;
  }
  if (endsWith(path, ".pb"))
    return readTensor(path, t, err);
  err = "'" + path + "': unknown input file type (use .npy or .pb)";
  return false;
}

kiln_tensor asKilnTensor(const Tensor &t) {
  kiln_tensor k;
  std::memset(&k, 0, sizeof k);
  k.data = t.bytes.empty() ? nullptr : const_cast<uint8_t *>(t.bytes.data());
  k.size_bytes = t.bytes.size();
  k.dtype = t.dtype;
  k.rank = static_cast<int32_t>(t.dims.size());
  for (size_t i = 0; i < t.dims.size() && i < KILN_MAX_RANK; ++i)
    k.dims[i] = t.dims[i];
  return k;
}

} // namespace kiln::data
