/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* Heap allocations of a model's steady-state runs (docs/runtime.md "Memory").
 *   count_mallocs MODEL.so RUNS
 * MODEL must have static shapes.  The program interposes the C library's
 * allocation functions (glibc: the executable's definitions win for the
 * runtime, the model library and libomp), runs the model 3 times to warm
 * up, then RUNS times with caller-provided output buffers while counting,
 * prints "N heap allocations in RUNS runs" and exits 1 unless N is 0. */
#include "static_io.h"

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
  int ni, no;
  kiln_tensor in[STATIC_IO_MAX], out[STATIC_IO_MAX];
  if (static_io_alloc(m, in, &ni, out, &no) != 0)
    return 2;
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
  static_io_free(in, ni, out, no);
  kiln_model_free(m);
  return n == 0 ? 0 : 1;
}
