/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* Runs the `gather` model of make_runtime_error_models.py ([10,4] initializer
 * 'data', indices 'idx' [n]) from 8 threads at once, each alternating good
 * and bad indices, and checks every status, message and result: the check
 * record of ABI v2 belongs to one call.  Prints "ok" and exits 0 on success.
 * With -DSTATIC_MODEL the model is linked statically (the thread-local
 * record slot then lives in the executable). */
#include <kiln/runtime.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static kiln_model *model;
static const char *expected =
    "node 'Gather_3' (Gather): index %lld is out of range [-10, 9] on axis 0 of 'data'";

static void *worker(void *arg) {
  long t = (long)arg;
  float first_row[4];
  for (int i = 0; i < 300; ++i) {
    int bad = (i + t) % 2;
    int64_t idx[3] = {0, bad ? 1000 + t : 9, -10};
    kiln_tensor in = {idx, sizeof idx, KILN_DTYPE_INT64, 1, {3}};
    kiln_tensor out = {0};
    kiln_status s = kiln_model_run(model, &in, 1, &out, 1);
    if (bad) {
      char want[256];
      snprintf(want, sizeof want, expected, (long long)(1000 + t));
      if (s != KILN_ERROR_INVALID_INPUT || strcmp(kiln_last_error(), want) != 0 || out.data) {
        fprintf(stderr, "thread %ld run %d: got %s '%s'\n", t, i, kiln_status_string(s),
                kiln_last_error());
        return (void *)1;
      }
      continue;
    }
    if (s != KILN_OK || out.dims[0] != 3 || out.dims[1] != 4) {
      fprintf(stderr, "thread %ld run %d: %s %s\n", t, i, kiln_status_string(s), kiln_last_error());
      return (void *)1;
    }
    const float *y = (const float *)out.data;
    if (i < 2)
      memcpy(first_row, y, sizeof first_row);
    else if (memcmp(first_row, y, sizeof first_row) != 0) {
      fprintf(stderr, "thread %ld run %d: wrong result\n", t, i);
      return (void *)1;
    }
    kiln_free(out.data);
  }
  return NULL;
}

#ifdef STATIC_MODEL
/* Linked with the static library (kiln-compile --name=gather -o gather.a),
 * which exports its descriptor under the model's name. */
const kiln_abi_model *gather_kiln_model_abi_v1(void);
#endif

int main(int argc, char **argv) {
#ifdef STATIC_MODEL
  (void)argc;
  (void)argv;
  if (kiln_model_from_abi(gather_kiln_model_abi_v1(), &model) != KILN_OK) {
#else
  if (argc != 2 || kiln_model_load(argv[1], &model) != KILN_OK) {
#endif
    fprintf(stderr, "load: %s\n", kiln_last_error());
    return 2;
  }
  pthread_t th[8];
  for (long t = 0; t < 8; ++t)
    pthread_create(&th[t], NULL, worker, (void *)t);
  int failed = 0;
  for (int t = 0; t < 8; ++t) {
    void *r;
    pthread_join(th[t], &r);
    failed |= r != NULL;
  }
  kiln_model_free(model);
  if (failed)
    return 1;
  puts("ok");
  return 0;
}
