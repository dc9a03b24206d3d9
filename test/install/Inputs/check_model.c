/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/*
 * check_model.c - runs models/fashion_mnist_cnn.onnx compiled by kiln-compile
 * on INPUT.raw (float32 [N,1,28,28]) and compares the logits with
 * EXPECTED.raw (float32 [N,10]): |got - expected| <= 1e-4 + 1e-3 |expected|.
 *
 *   check_model INPUT.raw EXPECTED.raw           model linked in (KILN_LINKED_MODEL
 *                                                names its generated header)
 *   check_model LIB.so INPUT.raw EXPECTED.raw    model loaded with kiln_model_load
 *
 * Exit status 0 on a match, 1 on a mismatch, 2 on an error.
 */
#include <kiln/runtime.h>
#ifdef KILN_LINKED_MODEL
#include KILN_LINKED_MODEL
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static float *read_floats(const char *path, size_t *count) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    return NULL;
  }
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  float *p = malloc(size > 0 ? (size_t)size : 1);
  if (!p || fread(p, 1, (size_t)size, f) != (size_t)size) {
    fprintf(stderr, "cannot read %s\n", path);
    free(p);
    fclose(f);
    return NULL;
  }
  fclose(f);
  *count = (size_t)size / sizeof(float);
  return p;
}

int main(int argc, char **argv) {
  kiln_model *m = NULL;
  kiln_status s;
#ifdef KILN_LINKED_MODEL
  if (argc != 3) {
    fprintf(stderr, "usage: %s INPUT.raw EXPECTED.raw\n", argv[0]);
    return 2;
  }
  const char *mode = "linked";
  s = kiln_model_from_abi(kiln_model_abi_v1(), &m);
  argv += 1;
#else
  if (argc != 4) {
    fprintf(stderr, "usage: %s LIB.so INPUT.raw EXPECTED.raw\n", argv[0]);
    return 2;
  }
  const char *mode = "loaded";
  s = kiln_model_load(argv[1], &m);
  argv += 2;
#endif
  if (s != KILN_OK) {
    fprintf(stderr, "%s: %s\n", kiln_status_string(s), kiln_last_error());
    return 2;
  }
  size_t nin = 0, nexp = 0;
  float *in = read_floats(argv[0], &nin), *expected = read_floats(argv[1], &nexp);
  if (!in || !expected || nin % 784 != 0 || nexp != nin / 784 * 10) {
    fprintf(stderr, "bad input or reference sizes\n");
    return 2;
  }
  int64_t n = (int64_t)(nin / 784);
  kiln_tensor x = {.data = in, .size_bytes = nin * sizeof(float),
                   .dtype = KILN_DTYPE_FLOAT, .rank = 4, .dims = {n, 1, 28, 28}};
  kiln_tensor y = {0};
  s = kiln_model_run(m, &x, 1, &y, 1);
  if (s != KILN_OK) {
    fprintf(stderr, "%s: %s\n", kiln_status_string(s), kiln_last_error());
    return 2;
  }
  const float *got = y.data;
  double max_err = 0;
  int bad = 0;
  for (size_t i = 0; i < nexp; ++i) {
    double err = fabs((double)got[i] - expected[i]);
    max_err = err > max_err ? err : max_err;
    bad += err > 1e-4 + 1e-3 * fabs(expected[i]);
  }
  printf("%s model '%s': logits [%lld,%lld], %d mismatches, max abs err %.1e\n", mode,
         kiln_model_name(m), (long long)y.dims[0], (long long)y.dims[1], bad, max_err);
  kiln_free(y.data);
  kiln_model_free(m);
  free(in);
  free(expected);
  return bad != 0;
}
