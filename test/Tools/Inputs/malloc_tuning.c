/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* malloc_tuning LIB: loads a model (kiln_model_load tunes glibc's malloc,
 * docs/runtime.md "The heap"), then allocates, frees and allocates again
 * 4 MiB and prints how many blocks glibc serves by mmap (mallinfo2's hblks)
 * while the block is live: 0 when the thresholds were raised, 1 with
 * glibc's defaults (4 MiB is above the initial 128 KiB mmap threshold). */
#include <kiln/runtime.h>

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc != 2)
    return 2;
  kiln_model *m = NULL;
  if (kiln_model_load(argv[1], &m) != KILN_OK) {
    fprintf(stderr, "%s\n", kiln_last_error());
    return 1;
  }
  char *p = malloc(4 << 20);
  memset(p, 1, 4 << 20);
  printf("mmapped blocks: %zu\n", (size_t)mallinfo2().hblks);
  free(p);
  kiln_model_free(m);
  return 0;
}
