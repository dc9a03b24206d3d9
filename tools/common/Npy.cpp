//===- Npy.cpp - small strict reader/writer of numpy .npy files -----------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Format (numpy.lib.format): the magic "\x93NUMPY", a major and a minor
// version byte, the header length (uint16 for 1.0, uint32 for 2.0, little-
// endian), then an ASCII Python dict literal
//     {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// padded with spaces and ended by '\n', then the raw data.
//===----------------------------------------------------------------------===//
#include "Npy.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the .npy reader assumes a little-endian host"
#endif

namespace kiln::npy {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;

struct DtypeName {
  kiln_dtype dtype;
  const char *descr;
};
constexpr DtypeName kDtypes[] = {
    {KILN_DTYPE_FLOAT16, "<f2"}, {KILN_DTYPE_FLOAT, "<f4"},  {KILN_DTYPE_DOUBLE, "<f8"},
    {KILN_DTYPE_INT8, "|i1"},    {KILN_DTYPE_INT16, "<i2"},  {KILN_DTYPE_INT32, "<i4"},
    {KILN_DTYPE_INT64, "<i8"},   {KILN_DTYPE_UINT8, "|u1"},  {KILN_DTYPE_UINT16, "<u2"},
    {KILN_DTYPE_UINT32, "<u4"},  {KILN_DTYPE_UINT64, "<u8"}, {KILN_DTYPE_BOOL, "|b1"},
};

/// A cursor over the header dict, with the few Python literals numpy writes.
struct Parser {
  const std::string &s;
  size_t i = 0;
  void skipSpace() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n'))
      ++i;
  }
  bool eat(char c) {
    skipSpace();
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  }
  bool string(std::string &out) {
    skipSpace();
    if (i >= s.size() || (s[i] != '\'' && s[i] != '"'))
      return false;
    const char q = s[i++];
    const size_t end = s.find(q, i);
    if (end == std::string::npos)
      return false;
    out = s.substr(i, end - i);
    i = end + 1;
    return true;
  }
  bool word(const char *w) {
    skipSpace();
    const size_t n = std::strlen(w);
    if (s.compare(i, n, w) != 0)
      return false;
    i += n;
    return true;
  }
  bool integer(int64_t &out) {
    skipSpace();
    const size_t start = i;
    out = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      if (__builtin_mul_overflow(out, 10, &out) ||
          __builtin_add_overflow(out, s[i] - '0', &out))
        return false;
      ++i;
    }
    if (i < s.size() && s[i] == 'L') // Python 2 longs in old files
      ++i;
    return i > start;
  }
};

} // namespace

std::string descr(kiln_dtype dtype) {
  for (const DtypeName &d : kDtypes)
    if (d.dtype == dtype)
      return d.descr;
  return "";
}

bool read(const std::string &path, Array &out, std::string &err, uint64_t maxBytes) {
  const std::string what = "'" + path + "'";
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    err = "cannot open " + what + ": " + std::strerror(errno);
    return false;
  }
  std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (file.size() < kMagicLen + 4 || file.compare(0, kMagicLen, kMagic, kMagicLen) != 0) {
    err = what + " is not a .npy file (no \\x93NUMPY magic)";
    return false;
  }
  const unsigned major = static_cast<uint8_t>(file[6]), minor = static_cast<uint8_t>(file[7]);
  size_t headerLen, headerStart;
  if (major == 1 && minor == 0) {
    headerLen = static_cast<uint8_t>(file[8]) | static_cast<size_t>(static_cast<uint8_t>(file[9])) << 8;
    headerStart = 10;
  } else if (major == 2 && minor == 0) {
    if (file.size() < 12) {
      err = what + ": truncated .npy header";
      return false;
    }
    headerLen = 0;
    for (int b = 3; b >= 0; --b)
      headerLen = headerLen << 8 | static_cast<uint8_t>(file[8 + b]);
    headerStart = 12;
  } else {
    err = what + ": .npy version " + std::to_string(major) + "." + std::to_string(minor) +
          " is not supported (only 1.0 and 2.0)";
    return false;
  }
  if (file.size() - headerStart < headerLen) {
    err = what + ": truncated .npy header";
    return false;
  }
  const std::string header = file.substr(headerStart, headerLen);
  if (header.empty() || header.back() != '\n') {
    err = what + ": malformed .npy header (not ended by a newline)";
    return false;
  }

  // {'descr': ..., 'fortran_order': ..., 'shape': (...), } in any key order.
  Parser p{header};
  std::string dtypeStr;
  bool haveDescr = false, haveOrder = false, haveShape = false, fortran = false;
  std::vector<int64_t> shape;
  auto malformed = [&](const std::string &why) {
    err = what + ": malformed .npy header (" + why + "): " +
          header.substr(0, header.find_last_not_of(" \n") + 1);
    return false;
  };
  if (!p.eat('{'))
    return malformed("expected '{'");
  while (!p.eat('}')) {
    std::string key;
    if (!p.string(key) || !p.eat(':'))
      return malformed("expected 'key':");
    if (key == "descr" && !haveDescr) {
      if (!p.string(dtypeStr)) {
        err = what + ": the dtype is not a plain numeric type (structured arrays are not supported)";
        return false;
      }
      haveDescr = true;
    } else if (key == "fortran_order" && !haveOrder) {
      if (p.word("True"))
        fortran = true;
      else if (!p.word("False"))
        return malformed("fortran_order must be True or False");
      haveOrder = true;
    } else if (key == "shape" && !haveShape) {
      if (!p.eat('('))
        return malformed("shape must be a tuple");
      while (!p.eat(')')) {
        int64_t d;
        if (!p.integer(d))
          return malformed("shape must hold non-negative integers");
        shape.push_back(d);
        if (!p.eat(',')) {
          if (!p.eat(')'))
            return malformed("expected ',' or ')' in the shape");
          break;
        }
      }
      haveShape = true;
    } else {
      return malformed("unexpected or repeated key '" + key + "'");
    }
    if (!p.eat(',')) {
      if (!p.eat('}'))
        return malformed("expected ',' or '}'");
      break;
    }
  }
  p.skipSpace();
  if (p.i != header.size())
    return malformed("text after the dictionary");
  if (!haveDescr || !haveOrder || !haveShape)
    return malformed("needs the keys 'descr', 'fortran_order' and 'shape'");

  if (fortran) {
    err = what + ": Fortran-order arrays are not supported; save a C-order array "
                 "(numpy.ascontiguousarray)";
    return false;
  }
  out.dtype = KILN_DTYPE_UNDEFINED;
  if (dtypeStr.size() >= 2 && dtypeStr[0] == '>' && dtypeStr != ">i1" && dtypeStr != ">u1" &&
      dtypeStr != ">b1") {
    err = what + ": big-endian data ('" + dtypeStr + "') is not supported; save it as '<" +
          dtypeStr.substr(1) + "' (arr.astype(arr.dtype.newbyteorder('<')))";
    return false;
  }
  // numpy writes '|' for one-byte types; '<' and '>' mean the same there.
  std::string norm = dtypeStr;
  if (norm.size() == 3 && norm[2] == '1' && (norm[0] == '<' || norm[0] == '>'))
    norm[0] = '|';
  for (const DtypeName &d : kDtypes)
    if (norm == d.descr)
      out.dtype = d.dtype;
  if (out.dtype == KILN_DTYPE_UNDEFINED) {
    err = what + ": dtype '" + dtypeStr +
          "' is not supported (supported: <f2 <f4 <f8 |i1 <i2 <i4 <i8 |u1 <u2 <u4 <u8 |b1)";
    return false;
  }
  if (shape.size() > KILN_MAX_RANK) {
    err = what + ": rank " + std::to_string(shape.size()) + " exceeds the maximum of " +
          std::to_string(KILN_MAX_RANK);
    return false;
  }
  const uint64_t esize = kiln_dtype_size(out.dtype);
  uint64_t bytes = esize;
  for (int64_t d : shape)
    if (__builtin_mul_overflow(bytes, static_cast<uint64_t>(d), &bytes) || bytes > maxBytes) {
      err = what + ": the shape is too large";
      return false;
    }
  const size_t dataStart = headerStart + headerLen;
  if (file.size() - dataStart != bytes) {
    err = what + ": has " + std::to_string(file.size() - dataStart) + " data bytes, but its shape and '" +
          dtypeStr + "' need " + std::to_string(bytes);
    return false;
  }
  out.dims = shape;
  out.bytes.assign(file.begin() + static_cast<std::ptrdiff_t>(dataStart), file.end());
  if (out.dtype == KILN_DTYPE_BOOL)
    for (size_t k = 0; k < out.bytes.size(); ++k)
      if (out.bytes[k] > 1) {
        err = what + ": bool element " + std::to_string(k) + " is " +
              std::to_string(out.bytes[k]) + ", not 0 or 1";
        return false;
      }
  return true;
}

bool write(const std::string &path, kiln_dtype dtype, const int64_t *dims, size_t rank,
           const void *data, size_t sizeBytes, std::string &err) {
  std::string d = dtype == KILN_DTYPE_BFLOAT16 ? "<u2" : descr(dtype);
  if (d.empty()) {
    err = "cannot write '" + path + "': numpy has no dtype for " + kiln_dtype_name(dtype);
    return false;
  }
  std::string shape = "(";
  for (size_t i = 0; i < rank; ++i)
    shape += (i ? ", " : "") + std::to_string(dims[i]);
  shape += rank == 1 ? ",)" : ")";
  std::string header = "{'descr': '" + d + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad with spaces so that the data starts at a multiple of 64 bytes.
  const bool v2 = header.size() + 1 + 10 > 65535;
  const size_t prefix = v2 ? 12 : 10;
  header.append(63 - (prefix + header.size()) % 64, ' ');
  header += '\n';
  std::string out(kMagic, kMagicLen);
  out += static_cast<char>(v2 ? 2 : 1);
  out += '\0';
  const size_t n = header.size();
  for (int b = 0; b < (v2 ? 4 : 2); ++b)
    out += static_cast<char>((n >> (8 * b)) & 0xff);
  out += header;
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) {
    err = "cannot write '" + path + "': " + std::strerror(errno);
    return false;
  }
  f.write(out.data(), static_cast<std::streamsize>(out.size()));
  if (sizeBytes)
    f.write(static_cast<const char *>(data), static_cast<std::streamsize>(sizeBytes));
  f.close();
  if (!f) {
    err = "cannot write '" + path + "'";
    return false;
  }
  return true;
}

} // namespace kiln::npy
