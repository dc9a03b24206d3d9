/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* Heap allocations of a model's steady-state runs (docs/runtime.md "Memory").
 *   count_mallocs MODEL.so RUNS
 * MODEL must have static shapes.  The program interposes the C library's
 * allocation functions (glibc: the executable's definitions win for the
 * runtime, the model library and libomp), runs the model 3 times to warm
 * up, then RUNS times with caller-provided output buffers while counting,
 * prints "N heap allocations in RUNS runs" and exits 1 unless N is 0. */
#include <kiln/runtime.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static atomic_int counting;
static atomic_long count;

static void note(void) {
  if (atomic_load(&counting))
    atomic_fetch_add(&count, 1);
}
void *malloc(size_t n) {
  note();
  return __libc_malloc(n);
}
void *calloc(size_t a, size_t b) {
  note();
  return __libc_calloc(a, b);
}
void *realloc(void *p, size_t n) {
  note();
  return __libc_realloc(p, n);
}
void *memalign(size_t a, size_t n) {
  note();
  return __libc_memalign(a, n);
}
void *aligned_alloc(size_t a, size_t n) {
  note();
  return __libc_memalign(a, n);
}
int posix_memalign(void **p, size_t a, size_t n) {
  note();
  *p = __libc_memalign(a, n);
  return *p ? 0 : ENOMEM;
}
void free(void *p) { __libc_free(p); }

static size_t bytes_of(kiln_tensor_info *info) {
  size_t n = kiln_dtype_size(info->dtype);
  for (int k = 0; k < info->rank; ++k)
    n *= (size_t)info->dims[k];
  return n;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s MODEL.so RUNS\n", argv[0]);
    return 2;
  }
  kiln_model *m = NULL;
  if (kiln_model_load(argv[1], &m) != KILN_OK) {
    fprintf(stderr, "load: %s\n", kiln_last_error());
    return 2;
  }
  int ni = kiln_model_num_inputs(m), no = kiln_model_num_outputs(m);
  kiln_tensor in[8], out[8];
  if (ni > 8 || no > 8)
    return 2;
  for (int i = 0; i < ni + no; ++i) {
    kiln_tensor_info info;
    kiln_tensor *t = i < ni ? &in[i] : &out[i - ni];
    if ((i < ni ? kiln_model_input_info(m, i, &info) : kiln_model_output_info(m, i - ni, &info)) !=
        KILN_OK)
      return 2;
    memset(t, 0, sizeof *t);
    for (int k = 0; k < info.rank; ++k)
      if (info.dims[k] < 0) {
        fprintf(stderr, "%s has a dynamic dim: compile with --input-shape\n", info.name);
        return 2;
      }
    t->dtype = info.dtype;
    t->rank = info.rank;
    for (int k = 0; k < info.rank; ++k)
      t->dims[k] = info.dims[k];
    t->size_bytes = bytes_of(&info);
    t->data = calloc(1, t->size_bytes ? t->size_bytes : 1);
  }
  long runs = atol(argv[2]);
  for (long r = 0; r < 3 + runs; ++r) {
    if (r == 3)
      atomic_store(&counting, 1);
    if (kiln_model_run(m, in, ni, out, no) != KILN_OK) {
      atomic_store(&counting, 0);
      fprintf(stderr, "run %ld: %s\n", r, kiln_last_error());
      return 2;
    }
  }
  atomic_store(&counting, 0);
  long n = atomic_load(&count);
  printf("%ld heap allocations in %ld runs\n", n, runs);
  for (int i = 0; i < ni; ++i)
    free(in[i].data);
  for (int i = 0; i < no; ++i)
    free(out[i].data);
  kiln_model_free(m);
  return n == 0 ? 0 : 1;
}
