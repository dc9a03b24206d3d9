//===- Npy.h - small strict reader/writer of numpy .npy files ---*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Reads and writes NumPy's .npy format (versions 1.0 and 2.0): one dense
// array, C order, little-endian, with the dtypes Kiln's runtime knows:
// <f2 <f4 <f8, |i1 <i2 <i4 <i8, |u1 <u2 <u4 <u8 and |b1.  Anything else
// (Fortran order, big-endian data, object or structured dtypes, a header
// that is not the dictionary numpy writes, a data size that does not match
// the shape) is refused with a message that names the file.
//===----------------------------------------------------------------------===//
#ifndef KILN_TOOLS_COMMON_NPY_H
#define KILN_TOOLS_COMMON_NPY_H

#include "kiln/runtime.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::npy {

struct Array {
  kiln_dtype dtype = KILN_DTYPE_UNDEFINED;
  std::vector<int64_t> dims;
  std::vector<uint8_t> bytes;
};

/// Reads `path`; on failure returns false and sets `err` (the path included).
/// Arrays of more than `maxBytes` data bytes are refused.
bool read(const std::string &path, Array &out, std::string &err,
          uint64_t maxBytes = uint64_t(1) << 40);

/// The .npy dtype string of `dtype` ("<f4", "|b1", ...), or "" if numpy has
/// none.  bfloat16 has none: callers write its bit patterns as "<u2".
std::string descr(kiln_dtype dtype);

/// Writes a C-order array of `dtype` (bfloat16 as "<u2" bit patterns) to
/// `path` (version 1.0, or 2.0 for a header over 65535 bytes).
bool write(const std::string &path, kiln_dtype dtype, const int64_t *dims, size_t rank,
           const void *data, size_t sizeBytes, std::string &err);

} // namespace kiln::npy

#endif
