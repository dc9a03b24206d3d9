// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
/*
 * kiln/runtime.h - the Kiln C runtime API.
 *
 * Load a model library produced by kiln-compile (or wrap one that is linked
 * statically), inspect its inputs and outputs, and run it.  Every entry point
 * checks its arguments; a failing call returns a kiln_status other than
 * KILN_OK and leaves a human-readable message in kiln_last_error().
 *
 * Error checking: every pointer argument is checked for NULL, every index and
 * count against the model, and every input tensor against the metadata
 * (dtype, rank, static dims, dynamic dims >= 1, shape overflow, size_bytes,
 * NULL data) before the model runs; output buffers are checked against the
 * result's size.  Messages name the function and argument ("kiln_model_run:
 * outputs is NULL") or the tensor ("input 1 ('y'): ...").  The getters that
 * return a sentinel instead of a status (kiln_model_name, _num_inputs,
 * _num_outputs, _find_input, _find_output, _has_profile) also set the
 * message for a NULL argument.  Not checkable, so undefined: pointers to
 * freed or too small memory (a buffer shorter than its size_bytes, an array
 * shorter than its count), a model used after kiln_model_free().
 *
 * Threading: all functions may be called from several threads.  The error
 * message is thread-local.  One kiln_model may be run from several threads
 * at once: the model keeps one activation arena (its intermediate tensors,
 * sized by the static memory plan, allocated at the first run and reused by
 * every later one), and a run that finds it in use by another thread
 * allocates an arena of its own for that run (correct, but it pays the
 * allocation and page faults: give each thread its own kiln_model for
 * speed).  kiln_model_free() must not race with any other use of the same
 * model.
 *
 * See docs/runtime.md for a walk-through.
 */
#ifndef KILN_RUNTIME_H
#define KILN_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "kiln/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define KILN_API
#else
#define KILN_API __attribute__((visibility("default")))
#endif

/* ---------------------------------------------------------------------------
 * Status codes and errors
 */
typedef enum kiln_status {
  KILN_OK = 0,
  KILN_ERROR_INVALID_ARGUMENT = 1, /* null pointer, bad index/count, ...    */
  KILN_ERROR_LOAD = 2,             /* dlopen/dlsym failed                    */
  KILN_ERROR_ABI = 3,              /* metadata not a valid Kiln ABI model     */
  KILN_ERROR_DTYPE = 4,            /* tensor element type mismatch            */
  KILN_ERROR_SHAPE = 5,            /* rank/dimension mismatch or bad dim      */
  KILN_ERROR_BUFFER_TOO_SMALL = 6, /* size_bytes smaller than needed          */
  KILN_ERROR_OUT_OF_MEMORY = 7,
  KILN_ERROR_INTERNAL = 8,         /* the model broke the ABI contract        */
  KILN_ERROR_NO_PROFILE = 9,       /* not compiled with kiln-compile --profile */
  KILN_ERROR_INVALID_INPUT = 10    /* input values the model cannot compute
                                      on: an index out of range, an integer
                                      division by zero, ... (run-time check) */
} kiln_status;

/* Message describing the most recent failing call made on this thread
 * (never NULL; "" if no call has failed yet).  Successful calls do not clear
 * it.  The string stays valid until the next failing call on this thread. */
KILN_API const char *kiln_last_error(void);

/* Static name of a status, e.g. "KILN_ERROR_SHAPE". */
KILN_API const char *kiln_status_string(kiln_status status);

/* ---------------------------------------------------------------------------
 * Element types (ONNX TensorProto.DataType numbering)
 */
typedef enum kiln_dtype {
  KILN_DTYPE_UNDEFINED = 0,
  KILN_DTYPE_FLOAT = 1,
  KILN_DTYPE_UINT8 = 2,
  KILN_DTYPE_INT8 = 3,
  KILN_DTYPE_UINT16 = 4,
  KILN_DTYPE_INT16 = 5,
  KILN_DTYPE_INT32 = 6,
  KILN_DTYPE_INT64 = 7,
  KILN_DTYPE_BOOL = 9, /* one byte per element, 0 or 1 */
  KILN_DTYPE_FLOAT16 = 10,
  KILN_DTYPE_DOUBLE = 11,
  KILN_DTYPE_UINT32 = 12,
  KILN_DTYPE_UINT64 = 13,
  KILN_DTYPE_BFLOAT16 = 16
} kiln_dtype;

/* Size of one element in bytes; 0 for an unknown dtype. */
KILN_API size_t kiln_dtype_size(kiln_dtype dtype);
/* Lower-case ONNX-style name ("float", "int64", "bfloat16", ...); "unknown"
 * for an unknown dtype. */
KILN_API const char *kiln_dtype_name(kiln_dtype dtype);

/* ---------------------------------------------------------------------------
 * Tensors
 */
#define KILN_MAX_RANK 8

/* Static description of a model input or output.  The pointers refer to the
 * model's metadata and stay valid until kiln_model_free(). */
typedef struct kiln_tensor_info {
  const char *name;
  kiln_dtype dtype;
  int32_t rank;
  const int64_t *dims; /* `rank` entries; -1 marks a dynamic dimension */
} kiln_tensor_info;

/* A dense row-major tensor passed to or returned from kiln_model_run().
 *
 * Inputs: the caller fills every field; `data` must point to at least
 *   product(dims) * kiln_dtype_size(dtype) bytes and `size_bytes` must be at
 *   least that.  `data` may be NULL only when the tensor has no elements.
 *   A shape whose non-zero dims multiply to more than PTRDIFF_MAX bytes is
 *   refused (KILN_ERROR_SHAPE), even when another dim is 0.
 *
 * Outputs: the caller chooses per output:
 *   - data != NULL: a buffer of `size_bytes` capacity; the result is copied
 *     into it (KILN_ERROR_BUFFER_TOO_SMALL if it does not fit).  `size_bytes`
 *     is left unchanged.
 *   - data == NULL: the runtime allocates the result; on success `data` points
 *     to it and `size_bytes` holds its exact size.  Release it with
 *     kiln_free().  A result with no elements gives data == NULL, size 0.
 *   On success, and on KILN_ERROR_BUFFER_TOO_SMALL, `dtype`, `rank` and
 *   `dims` describe the result (so a caller can size its buffer and retry).
 *   On any failure no buffer is handed over: outputs the runtime would have
 *   allocated keep data == NULL.
 */
typedef struct kiln_tensor {
  void *data;
  size_t size_bytes;
  kiln_dtype dtype;
  int32_t rank;
  int64_t dims[KILN_MAX_RANK];
} kiln_tensor;

/* Release a buffer that kiln_model_run() allocated.  NULL is ignored. */
KILN_API void kiln_free(void *ptr);

/* ---------------------------------------------------------------------------
 * Models
 */
typedef struct kiln_model kiln_model;

/* dlopen()s a model library (RTLD_NOW | RTLD_LOCAL), looks up
 * KILN_ABI_SYMBOL and validates the metadata.  `path` follows dlopen rules: a
 * name without '/' is searched on the library path, so prefer "./lib.so".
 * Errors: KILN_ERROR_LOAD (file missing, not a library, no symbol: the
 * message carries dlerror()), KILN_ERROR_ABI (bad version or metadata). */
KILN_API kiln_status kiln_model_load(const char *path, kiln_model **out);

/* Wraps the metadata of a model linked statically into the program, e.g.
 * kiln_model_from_abi(mnist_kiln_model_abi_v1(), &m) for a model compiled
 * with --name=mnist (declared in its generated header).  The metadata is validated
 * like kiln_model_load() does and must outlive the model. */
KILN_API kiln_status kiln_model_from_abi(const kiln_abi_model *abi,
                                         kiln_model **out);

/* Releases the model (and dlclose()s its library).  NULL is ignored. */
KILN_API void kiln_model_free(kiln_model *model);

/* Threads of this model's runs (libraries compiled with the default
 * --parallel: the tile loops of large operators are split over OpenMP
 * threads).  The default, taken when the model is created, is the
 * environment variable KILN_NUM_THREADS if it holds an integer >= 1, else
 * the number of CPUs in the process's affinity mask.  `num_threads` >= 1
 * sets the count for the later runs of this model (other model handles keep
 * theirs); 0 restores the default.  Errors: KILN_ERROR_INVALID_ARGUMENT (NULL
 * model or out, a negative count).  A model without parallel loops ignores
 * the count; kiln_model_get_num_threads() still reports it. */
KILN_API kiln_status kiln_model_set_num_threads(kiln_model *model,
                                                int32_t num_threads);
KILN_API kiln_status kiln_model_get_num_threads(const kiln_model *model,
                                                int32_t *num_threads);

/* Graph name of the model; "" for a NULL model (which also sets
 * kiln_last_error()). */
KILN_API const char *kiln_model_name(const kiln_model *model);
/* Number of inputs/outputs; -1 for a NULL model (which also sets
 * kiln_last_error()). */
KILN_API int32_t kiln_model_num_inputs(const kiln_model *model);
KILN_API int32_t kiln_model_num_outputs(const kiln_model *model);

KILN_API kiln_status kiln_model_input_info(const kiln_model *model,
                                           int32_t index,
                                           kiln_tensor_info *out);
KILN_API kiln_status kiln_model_output_info(const kiln_model *model,
                                            int32_t index,
                                            kiln_tensor_info *out);

/* Index of the input/output with this exact name, or -1 if there is none (or
 * an argument is NULL: that case, and only that one, sets kiln_last_error()).
 */
KILN_API int32_t kiln_model_find_input(const kiln_model *model,
                                       const char *name);
KILN_API int32_t kiln_model_find_output(const kiln_model *model,
                                        const char *name);

/* Runs the model.  `inputs` holds exactly kiln_model_num_inputs() tensors in
 * model order and `outputs` exactly kiln_model_num_outputs() (see
 * kiln_tensor for the output conventions).  Every input is checked against
 * the metadata (dtype, rank, static dims, dynamic dims >= 1, byte size, NULL
 * data) before the model runs, in model order; the first failure is
 * reported.  Errors: KILN_ERROR_INVALID_ARGUMENT (NULL model/inputs/outputs,
 * num_inputs or num_outputs other than the model's, NULL input data),
 * KILN_ERROR_DTYPE, KILN_ERROR_SHAPE, KILN_ERROR_BUFFER_TOO_SMALL (input
 * size_bytes, or an output buffer: detected after the model ran).  Dynamic
 * dimensions shared between inputs (e.g. one batch size) cannot be
 * cross-checked by ABI v1: passing inconsistent values is undefined
 * behaviour of the generated code.  KILN_ERROR_INVALID_INPUT: a run-time
 * check of the generated code failed (ABI v2 libraries): the values, not the
 * shapes, of the inputs are invalid for the model, e.g.
 *   node 'Gather_3' (Gather): index 100000000 is out of range [-10, 9] on
 *   axis 0 of 'data'
 * (the ONNX node, the offending value, the valid range); no output is
 * written.  No buffer returned by the model leaks on any path. */
KILN_API kiln_status kiln_model_run(kiln_model *model,
                                    const kiln_tensor *inputs,
                                    int32_t num_inputs, kiln_tensor *outputs,
                                    int32_t num_outputs);

/* ---------------------------------------------------------------------------
 * Per-node profile (libraries compiled with `kiln-compile --profile`)
 *
 * The generated code times every ONNX node of the graph on every run.  The
 * counters belong to the loaded library: model handles that share one
 * library (the same path loaded twice) share them.  A model compiled
 * without --profile makes these calls fail with KILN_ERROR_NO_PROFILE and
 * a message saying to compile it with kiln-compile --profile.
 */
typedef struct kiln_profile_entry {
  const char *name;    /* ONNX node name, or "(unattributed)" */
  const char *op_type; /* ONNX op type ("Conv"; "Relu+Add" when ops of an
                          Add node were fused into it), "(none)" if
                          unattributed */
  uint64_t ns;         /* nanoseconds accumulated since load or reset */
  uint64_t calls;      /* executions of the node since load or reset */
  uint64_t flops;      /* floating-point operations done by the node's
                          convolutions and matrix products since load or
                          reset (2 per multiply-add); 0 for other nodes */
} kiln_profile_entry;

/* 1 when the model carries a profile, 0 otherwise (or for NULL, which also
 * sets kiln_last_error()). */
KILN_API int kiln_model_has_profile(const kiln_model *model);
/* Number of profile entries (nodes, plus one "(unattributed)" entry where
 * the model has work outside any node). */
KILN_API kiln_status kiln_model_profile_count(const kiln_model *model,
                                              int32_t *count);
/* Entry `index` in order of first execution; strings stay valid until
 * kiln_model_free().  Reading while another thread runs the model gives
 * a consistent value per counter, not a snapshot of all counters. */
KILN_API kiln_status kiln_model_profile_entry(const kiln_model *model,
                                              int32_t index,
                                              kiln_profile_entry *out);
/* Zeroes every counter.  Do not call it while the model runs. */
KILN_API kiln_status kiln_model_profile_reset(kiln_model *model);
/* For a model linked statically (kiln_model_from_abi()): attach the profile
 * of the same library, kiln_model_profile_v1() (declared in the generated
 * header of a library compiled with --profile).  kiln_model_load() finds it
 * by itself.  Validates the descriptor (KILN_ERROR_ABI if malformed;
 * KILN_ERROR_INVALID_ARGUMENT if model or profile is NULL).  A refused
 * descriptor leaves the model's current profile (or none) in place. */
KILN_API kiln_status kiln_model_attach_profile(kiln_model *model,
                                               const kiln_abi_profile *profile);

#ifdef __cplusplus
}
#endif

#endif /* KILN_RUNTIME_H */
