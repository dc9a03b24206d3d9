/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* Caller-provided input and output tensors of a model with static shapes,
 * zero-filled, for the test programs beside this file (count_mallocs.c,
 * thread_binding.c). */
#ifndef KILN_TEST_STATIC_IO_H
#define KILN_TEST_STATIC_IO_H

#include <kiln/runtime.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { STATIC_IO_MAX = 8 };

/* Fills in[0..*ni) and out[0..*no) (at most STATIC_IO_MAX each) with
 * buffers from calloc for `m`'s inputs and outputs.  Returns 0, or 2 (with
 * a message) when a tensor count exceeds STATIC_IO_MAX, a shape is
 * dynamic or the runtime refuses a query. */
static int static_io_alloc(kiln_model *m, kiln_tensor *in, int *ni, kiln_tensor *out, int *no) {
  *ni = kiln_model_num_inputs(m);
  *no = kiln_model_num_outputs(m);
  if (*ni > STATIC_IO_MAX || *no > STATIC_IO_MAX) {
    fprintf(stderr, "more than %d inputs or outputs\n", STATIC_IO_MAX);
    return 2;
  }
  for (int i = 0; i < *ni + *no; ++i) {
    kiln_tensor_info info;
    kiln_tensor *t = i < *ni ? &in[i] : &out[i - *ni];
    if ((i < *ni ? kiln_model_input_info(m, i, &info) : kiln_model_output_info(m, i - *ni, &info)) !=
        KILN_OK)
      return 2;
    memset(t, 0, sizeof *t);
    size_t bytes = kiln_dtype_size(info.dtype);
    for (int k = 0; k < info.rank; ++k) {
      if (info.dims[k] < 0) {
        fprintf(stderr, "%s has a dynamic dim: compile with --input-shape\n", info.name);
        return 2;
      }
      t->dims[k] = info.dims[k];
      bytes *= (size_t)info.dims[k];
    }
    t->dtype = info.dtype;
    t->rank = info.rank;
    t->size_bytes = bytes;
    t->data = calloc(1, bytes ? bytes : 1);
  }
  return 0;
}

static void static_io_free(kiln_tensor *in, int ni, kiln_tensor *out, int no) {
  for (int i = 0; i < ni; ++i)
    free(in[i].data);
  for (int i = 0; i < no; ++i)
    free(out[i].data);
}

#endif
