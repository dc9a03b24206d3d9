/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* A hand-written model library implementing the Kiln ABI (kiln/abi.h):
 *
 *   default:          out[N,3]    = x[N,3] + y[3]       (inputs "x", "y")
 *   -DFAKE_ADD_BCAST: sum[N,4,5]  = x[N,4,5] + y[5]     (names of ONNX's
 *                     test_add_bcast, so its test data can be fed to it)
 *
 * The result is a fresh malloc'ed buffer, as generated code returns it.
 * fake_add_set_mode() makes it misbehave in ways the runtime must survive:
 *   1: return the input x itself as the result (aliasing a caller buffer);
 *   2: return a static buffer marked allocated = 0xdeadbeef (MLIR globals).
 * Other compile-time variants: -DFAKE_ABI_VERSION=N, -DFAKE_RETURN_NULL,
 * -DFAKE_ADD_ABI_FN=name (symbol name of the metadata getter),
 * -DFAKE_PROFILE=V (export a kiln_abi_profile of version V, as
 * kiln-compile --profile does: node "x_plus_y" (Add) gets 1000 ns and
 * "(unattributed)" 10 ns per run). */
#include "kiln/abi.h"
#include "fake_tracker.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifndef FAKE_ADD_ABI_FN
#define FAKE_ADD_ABI_FN kiln_model_abi_v1
#endif
#ifndef FAKE_ABI_VERSION
#define FAKE_ABI_VERSION KILN_ABI_VERSION
#endif
#define FAKE_EXPORT __attribute__((visibility("default")))

#ifdef FAKE_ADD_BCAST
#define X_RANK 3
static const int64_t x_dims[X_RANK] = {-1, 4, 5};
static const int64_t y_dims[1] = {5};
#define Y_LEN 5
#define OUT_NAME "sum"
#define MODEL_NAME "fake_add_bcast"
#else
#define X_RANK 2
static const int64_t x_dims[X_RANK] = {-1, 3};
static const int64_t y_dims[1] = {3};
#define Y_LEN 3
#define OUT_NAME "out"
#define MODEL_NAME "fake_add"
#endif

static int fake_mode;
FAKE_EXPORT void fake_add_set_mode(int mode) { fake_mode = mode; }

/* Descriptor of rank r: allocated, aligned, offset, sizes[r], strides[r]. */
typedef struct {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t sizes[X_RANK];
  int64_t strides[X_RANK];
} desc_x;
typedef struct {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t sizes[1];
  int64_t strides[1];
} desc_y;

static float static_result[1024];

#ifdef FAKE_PROFILE
static uint64_t prof_ns[2], prof_calls[2];
static const char prof_strings[] = "x_plus_y\0Add\0(unattributed)\0(none)";
/* Version 1 has no `flops` table (the runtime does not read it); later
 * versions point it at zeros. */
static uint64_t prof_flops[2];
static const kiln_abi_profile prof = {FAKE_PROFILE, 2, prof_strings, prof_ns,
                                      prof_calls, prof_flops};
FAKE_EXPORT const kiln_abi_profile *kiln_model_profile_v1(void) {
  return &prof;
}
#endif

static void invoke(void **args) {
#ifdef FAKE_PROFILE
  __atomic_fetch_add(&prof_ns[0], 1000, __ATOMIC_RELAXED);
  __atomic_fetch_add(&prof_calls[0], 1, __ATOMIC_RELAXED);
  __atomic_fetch_add(&prof_ns[1], 10, __ATOMIC_RELAXED);
  __atomic_fetch_add(&prof_calls[1], 1, __ATOMIC_RELAXED);
#if FAKE_PROFILE >= 2
  __atomic_fetch_add(&prof_flops[0], 2000, __ATOMIC_RELAXED);
#endif
#endif
  desc_x *result = (desc_x *)args[0];
  const desc_x *x = (const desc_x *)args[1];
  const desc_y *y = (const desc_y *)args[2];
  int64_t n = 1;
  for (int d = 0; d < X_RANK; ++d)
    n *= x->sizes[d];
  const float *xv = (const float *)x->aligned + x->offset;
  const float *yv = (const float *)y->aligned + y->offset;
  float *out;
  if (fake_mode == 1) {
    *result = *x; /* alias the input: contract violation the runtime copes with */
    return;
  }
  if (fake_mode == 2 && n <= 1024) {
    out = static_result;
    result->allocated = (void *)(uintptr_t)0xdeadbeef;
  } else {
    out = (float *)fake_alloc((size_t)n * sizeof(float));
    result->allocated = out;
  }
  for (int64_t i = 0; i < n; ++i)
    out[i] = xv[i] + yv[i % Y_LEN];
  result->aligned = out;
  result->offset = 0;
  int64_t stride = 1;
  for (int d = X_RANK - 1; d >= 0; --d) {
    result->sizes[d] = x->sizes[d];
    result->strides[d] = stride;
    stride *= x->sizes[d];
  }
}

static const kiln_abi_tensor inputs[2] = {
    {"x", 1 /* FLOAT */, X_RANK, x_dims},
    {"y", 1, 1, y_dims},
};
static const kiln_abi_tensor outputs[1] = {
    {OUT_NAME, 1, X_RANK, x_dims},
};
static const kiln_abi_model model = {
    FAKE_ABI_VERSION, 2, 1, 0, MODEL_NAME, inputs, outputs, invoke, NULL,
};

FAKE_EXPORT const kiln_abi_model *FAKE_ADD_ABI_FN(void) {
#ifdef FAKE_RETURN_NULL
  (void)model;
  return NULL;
#else
  return &model;
#endif
}
