/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* The activation arena under concurrency (ABI v3, docs/runtime.md).
 *   arena_threads MODEL.so BATCH
 * MODEL has one float input with a dynamic first dim and one float output.
 * 1. A serial run of batch BATCH gives the reference output.
 * 2. Four threads, each with its own kiln_model, run it 200 times each:
 *    every output must be bit-identical to the reference.
 * 3. Four threads share one kiln_model (one takes the model's arena, the
 *    others get arenas of their own), 50 runs each: bit-identical.
 * 4. One instance runs batch 1, then 2 * BATCH (the arena grows), then
 *    BATCH again: bit-identical to the reference, and the first BATCH rows
 *    of the larger batch (the same input rows) within 1e-5.
 * Prints "ok" and exits 0 on success. */
#include <kiln/runtime.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *path;
static int64_t batch;
static kiln_model *shared;
static float *input, *reference;
static size_t in_elems_per_item, out_bytes;
static kiln_tensor in_meta;

static kiln_status run(kiln_model *m, int64_t n, const float *x, kiln_tensor *out) {
  kiln_tensor in = in_meta;
  in.dims[0] = n;
  in.data = (void *)x;
  in.size_bytes = (size_t)n * in_elems_per_item * sizeof(float);
  memset(out, 0, sizeof *out);
  return kiln_model_run(m, &in, 1, out, 1);
}

static int check_run(kiln_model *m, const char *what, long t, int i) {
  kiln_tensor out;
  kiln_status s = run(m, batch, input, &out);
  if (s != KILN_OK) {
    fprintf(stderr, "%s thread %ld run %d: %s\n", what, t, i, kiln_last_error());
    return 1;
  }
  int bad = out.size_bytes != out_bytes || memcmp(out.data, reference, out_bytes) != 0;
  kiln_free(out.data);
  if (bad)
    fprintf(stderr, "%s thread %ld run %d: output differs from the serial run\n", what, t, i);
  return bad;
}

static void *own_instance(void *arg) {
  long t = (long)arg;
  kiln_model *m = NULL;
  if (kiln_model_load(path, &m) != KILN_OK) {
    fprintf(stderr, "load: %s\n", kiln_last_error());
    return (void *)1;
  }
  long bad = 0;
  for (int i = 0; i < 200 && !bad; ++i)
    bad = check_run(m, "own instance", t, i);
  kiln_model_free(m);
  return (void *)bad;
}

static void *shared_instance(void *arg) {
  long t = (long)arg, bad = 0;
  for (int i = 0; i < 50 && !bad; ++i)
    bad = check_run(shared, "shared instance", t, i);
  return (void *)bad;
}

static int run_threads(void *(*fn)(void *)) {
  pthread_t th[4];
  int bad = 0;
  for (long t = 0; t < 4; ++t)
    pthread_create(&th[t], NULL, fn, (void *)t);
  for (int t = 0; t < 4; ++t) {
    void *r;
    pthread_join(th[t], &r);
    bad |= r != NULL;
  }
  return bad;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s MODEL.so BATCH\n", argv[0]);
    return 2;
  }
  path = argv[1];
  batch = atoll(argv[2]);
  if (kiln_model_load(path, &shared) != KILN_OK) {
    fprintf(stderr, "load: %s\n", kiln_last_error());
    return 1;
  }
  kiln_tensor_info info;
  if (kiln_model_input_info(shared, 0, &info) != KILN_OK || info.dims[0] != -1) {
    fprintf(stderr, "expected a dynamic first input dim\n");
    return 1;
  }
  memset(&in_meta, 0, sizeof in_meta);
  in_meta.dtype = KILN_DTYPE_FLOAT;
  in_meta.rank = info.rank;
  in_elems_per_item = 1;
  for (int k = 1; k < info.rank; ++k) {
    in_meta.dims[k] = info.dims[k] < 0 ? 1 : info.dims[k];
    in_elems_per_item *= (size_t)in_meta.dims[k];
  }
  size_t n_in = 2 * (size_t)batch * in_elems_per_item;
  input = malloc(n_in * sizeof(float));
  unsigned s = 7;
  for (size_t i = 0; i < n_in / 2; ++i) {
    s = s * 1103515245u + 12345u;
    input[i] = (float)((int)((s >> 8) % 2001) - 1000) / 500.0f;
  }
  memcpy(input + n_in / 2, input, n_in / 2 * sizeof(float)); /* rows repeat */

  kiln_tensor out;
  if (run(shared, batch, input, &out) != KILN_OK) {
    fprintf(stderr, "serial run: %s\n", kiln_last_error());
    return 1;
  }
  reference = out.data;
  out_bytes = out.size_bytes;

  if (run_threads(own_instance) || run_threads(shared_instance))
    return 1;

  /* Growing the arena: batch 1, 2 * batch, batch on one new instance. */
  kiln_model *m = NULL;
  if (kiln_model_load(path, &m) != KILN_OK)
    return 1;
  kiln_tensor small, big;
  if (run(m, 1, input, &small) != KILN_OK || run(m, 2 * batch, input, &big) != KILN_OK) {
    fprintf(stderr, "grow: %s\n", kiln_last_error());
    return 1;
  }
  const float *r = reference, *b = big.data;
  for (size_t i = 0; i < out_bytes / sizeof(float); ++i)
    if (fabsf(b[i] - r[i]) > 1e-5f * (1.0f + fabsf(r[i])) ||
        fabsf(b[i + out_bytes / sizeof(float)] - r[i]) > 1e-5f * (1.0f + fabsf(r[i]))) {
      fprintf(stderr, "grow: element %zu of the batch-%lld output is %g, expected %g\n", i,
              (long long)(2 * batch), b[i], r[i]);
      return 1;
    }
  if (check_run(m, "after growing", 0, 0))
    return 1;
  kiln_free(small.data);
  kiln_free(big.data);
  kiln_model_free(m);
  kiln_free(reference);
  kiln_model_free(shared);
  free(input);
  printf("ok\n");
  return 0;
}
