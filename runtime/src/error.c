/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* Status strings, thread-local error messages, dtypes, kiln_free. */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static _Thread_local char kiln_error_message[2048];

kiln_status kiln_set_error(kiln_status status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(kiln_error_message, sizeof kiln_error_message, fmt, ap);
  va_end(ap);
  return status;
}

const char *kiln_last_error(void) { return kiln_error_message; }

const char *kiln_status_string(kiln_status status) {
  switch (status) {
  case KILN_OK: return "KILN_OK";
  case KILN_ERROR_INVALID_ARGUMENT: return "KILN_ERROR_INVALID_ARGUMENT";
  case KILN_ERROR_LOAD: return "KILN_ERROR_LOAD";
  case KILN_ERROR_ABI: return "KILN_ERROR_ABI";
  case KILN_ERROR_DTYPE: return "KILN_ERROR_DTYPE";
  case KILN_ERROR_SHAPE: return "KILN_ERROR_SHAPE";
  case KILN_ERROR_BUFFER_TOO_SMALL: return "KILN_ERROR_BUFFER_TOO_SMALL";
  case KILN_ERROR_OUT_OF_MEMORY: return "KILN_ERROR_OUT_OF_MEMORY";
  case KILN_ERROR_INTERNAL: return "KILN_ERROR_INTERNAL";
  case KILN_ERROR_NO_PROFILE: return "KILN_ERROR_NO_PROFILE";
  case KILN_ERROR_INVALID_INPUT: return "KILN_ERROR_INVALID_INPUT";
  }
  return "KILN_ERROR_UNKNOWN";
}

size_t kiln_dtype_size(kiln_dtype dtype) {
  switch (dtype) {
  case KILN_DTYPE_UINT8:
  case KILN_DTYPE_INT8:
  case KILN_DTYPE_BOOL:
    return 1;
  case KILN_DTYPE_UINT16:
  case KILN_DTYPE_INT16:
  case KILN_DTYPE_FLOAT16:
  case KILN_DTYPE_BFLOAT16:
    return 2;
  case KILN_DTYPE_FLOAT:
  case KILN_DTYPE_INT32:
  case KILN_DTYPE_UINT32:
    return 4;
  case KILN_DTYPE_INT64:
  case KILN_DTYPE_DOUBLE:
  case KILN_DTYPE_UINT64:
    return 8;
  case KILN_DTYPE_UNDEFINED:
    break;
  }
  return 0;
}

const char *kiln_dtype_name(kiln_dtype dtype) {
  switch (dtype) {
  case KILN_DTYPE_FLOAT: return "float";
  case KILN_DTYPE_UINT8: return "uint8";
  case KILN_DTYPE_INT8: return "int8";
  case KILN_DTYPE_UINT16: return "uint16";
  case KILN_DTYPE_INT16: return "int16";
  case KILN_DTYPE_INT32: return "int32";
  case KILN_DTYPE_INT64: return "int64";
  case KILN_DTYPE_BOOL: return "bool";
  case KILN_DTYPE_FLOAT16: return "float16";
  case KILN_DTYPE_DOUBLE: return "double";
  case KILN_DTYPE_UINT32: return "uint32";
  case KILN_DTYPE_UINT64: return "uint64";
  case KILN_DTYPE_BFLOAT16: return "bfloat16";
  case KILN_DTYPE_UNDEFINED: break;
  }
  return "unknown";
}

void kiln_free(void *ptr) { free(ptr); }

static const char *format_dims(char *buf, size_t cap, const int64_t *dims,
                               int32_t rank, int dynamic_as_question) {
  size_t n = 0;
  if (cap == 0)
    return buf;
  buf[0] = '\0';
  n += (size_t)snprintf(buf + n, cap - n, "[");
  for (int32_t i = 0; i < rank && n < cap; ++i) {
    if (dynamic_as_question && dims[i] < 0)
      n += (size_t)snprintf(buf + n, cap - n, "%s?", i ? "," : "");
    else
      n += (size_t)snprintf(buf + n, cap - n, "%s%lld", i ? "," : "",
                            (long long)dims[i]);
  }
  if (n < cap)
    snprintf(buf + n, cap - n, "]");
  return buf;
}

const char *kiln_format_dims(char *buf, size_t cap, const int64_t *dims,
                             int32_t rank) {
  return format_dims(buf, cap, dims, rank, 1);
}

const char *kiln_format_shape(char *buf, size_t cap, const int64_t *dims,
                              int32_t rank) {
  return format_dims(buf, cap, dims, rank, 0);
}

int kiln_shape_bytes(const int64_t *dims, int32_t rank, size_t elem_size,
                     size_t *num_elements, size_t *num_bytes) {
  /* `extent` is the product of the non-zero dims: a zero dim makes the tensor
   * empty, but the strides of the other dims still have to be representable
   * (a memref descriptor holds them as int64). */
  size_t extent = 1;
  int empty = 0;
  for (int32_t i = 0; i < rank; ++i) {
    if (dims[i] < 0)
      return 0;
    if (dims[i] == 0) {
      empty = 1;
      continue;
    }
    if (__builtin_mul_overflow(extent, (size_t)dims[i], &extent))
      return 0;
  }
  size_t bytes;
  if (__builtin_mul_overflow(extent, elem_size, &bytes) ||
      bytes > (size_t)PTRDIFF_MAX)
    return 0;
  if (num_elements)
    *num_elements = empty ? 0 : extent;
  if (num_bytes)
    *num_bytes = empty ? 0 : bytes;
  return 1;
}
