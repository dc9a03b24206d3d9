// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
/* Internal declarations of the Kiln runtime (not installed). */
#ifndef KILN_RUNTIME_INTERNAL_H
#define KILN_RUNTIME_INTERNAL_H

#include "kiln/runtime.h"

#include <stddef.h>
#include <stdint.h>

struct kiln_model {
  const kiln_abi_model *abi;
  void *handle; /* dlopen handle; NULL for kiln_model_from_abi() */
  const kiln_abi_profile *profile; /* NULL unless compiled with --profile */
  const char **profile_strings;    /* 2 * profile->count: name, op type */
  /* The activation arena of ABI v3 libraries: allocated at the first run,
   * grown when a run needs more, kept until kiln_model_free().  A run that
   * finds it in use by another thread uses an arena of its own. */
  void *arena;
  size_t arena_capacity;
  _Atomic int arena_busy;
  /* Threads of a run (ABI v3, args[3 + num_inputs]); >= 1. */
  _Atomic int32_t num_threads;
};

/* The default thread count: KILN_NUM_THREADS, else the CPUs in the
 * process's affinity mask (model.c). */
int32_t kiln_default_num_threads(void);

/* Validates `profile` and attaches it to `model` (profile.c). */
kiln_status kiln_attach_profile(const char *where, kiln_model *model,
                                const kiln_abi_profile *profile);

/* Formats the thread-local error message and returns `status`. */
kiln_status kiln_set_error(kiln_status status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Writes metadata dims as "[2,?,3]" (dynamic dims as '?') into buf; returns
 * buf. */
const char *kiln_format_dims(char *buf, size_t cap, const int64_t *dims,
                             int32_t rank);
/* Writes an actual shape as "[2,-1,3]" (every value as is, so that a bad
 * caller dim shows up literally) into buf; returns buf. */
const char *kiln_format_shape(char *buf, size_t cap, const int64_t *dims,
                              int32_t rank);

/* Number of elements of a shape and its byte size; returns 0 on negative dims
 * or when the shape overflows: the product of its non-zero dims (the row-major
 * strides) times elem_size must fit in ptrdiff_t, even when a zero dim makes
 * the tensor empty. */
int kiln_shape_bytes(const int64_t *dims, int32_t rank, size_t elem_size,
                     size_t *num_elements, size_t *num_bytes);

#endif
