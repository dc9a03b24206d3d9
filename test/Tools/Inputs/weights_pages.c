/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* weights-pages.test: how much of a model library's read-only segment (its
 * weights) the kernel maps with 2 MiB pages once the library is loaded and
 * its weights read.
 *
 *   weights_pages MODEL.so PROBE_FILE
 *
 * First a probe: PROBE_FILE is written in one write() of 8 MiB and mapped;
 * if none of it is mapped with 2 MiB pages, this file system or kernel keeps
 * no large folios in its page cache, and the program prints "unsupported".
 * Otherwise it loads MODEL.so (kiln_model_load), reads every page of the
 * library's read-only mapping, and prints "weights: X of Y KiB in 2 MiB
 * pages" and "mostly huge: yes/no" (X at least Y minus 4 MiB: the unaligned
 * head and tail of the segment). */
#define _GNU_SOURCE
#include <kiln/runtime.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Size and FilePmdMapped (KiB) of the mapping of the file named `path`
 * (a base name) at the lowest address whose permissions are `perms`
 * ("r--p"). */
static int smaps_of(const char *path, const char *perms, unsigned long *start,
                    long *size_kb, long *pmd_kb) {
  FILE *f = fopen("/proc/self/smaps", "r");
  if (!f)
    return -1;
  char line[4096];
  int in = 0, found = 0;
  while (fgets(line, sizeof line, f)) {
    unsigned long a, b;
    char p[8];
    if (sscanf(line, "%lx-%lx %7s", &a, &b, p) == 3) { /* a mapping's first line */
      if (found)
        break;
      in = strstr(line, path) && strcmp(p, perms) == 0;
      if (in) {
        *start = a;
        found = 1;
      }
      continue;
    }
    if (in) {
      sscanf(line, "Size: %ld kB", size_kb);
      sscanf(line, "FilePmdMapped: %ld kB", pmd_kb);
    }
  }
  fclose(f);
  return found ? 0 : -1;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s MODEL.so PROBE_FILE\n", argv[0]);
    return 2;
  }
  /* The probe. */
  size_t n = (size_t)8 << 20;
  char *data = malloc(n);
  if (!data)
    return 2;
  memset(data, 1, n);
  int fd = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, data, n) != (ssize_t)n)
    return 2;
  /* At a 2 MiB-aligned address (a PMD maps an aligned 2 MiB of the file). */
  size_t huge = (size_t)2 << 20;
  char *area = mmap(NULL, n + huge, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (area == MAP_FAILED)
    return 2;
  char *aligned = (char *)(((unsigned long)area + huge - 1) & ~(unsigned long)(huge - 1));
  char *p = mmap(aligned, n, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0);
  if (p == MAP_FAILED)
    return 2;
  volatile char sink = 0;
  for (size_t i = 0; i < n; i += 4096)
    sink += p[i];
  unsigned long start = 0;
  long size_kb = 0, pmd_kb = 0;
  const char *probe = strrchr(argv[2], '/');
  probe = probe ? probe + 1 : argv[2];
  if (smaps_of(probe, "r--p", &start, &size_kb, &pmd_kb) != 0 || pmd_kb == 0) {
    printf("unsupported\n");
    return 0;
  }
  munmap(area, n + huge);
  close(fd);
  free(data);

  kiln_model *m = NULL;
  if (kiln_model_load(argv[1], &m) != KILN_OK) {
    fprintf(stderr, "load: %s\n", kiln_last_error());
    return 1;
  }
  const char *base = strrchr(argv[1], '/');
  base = base ? base + 1 : argv[1];
  if (smaps_of(base, "r--p", &start, &size_kb, &pmd_kb) != 0) {
    fprintf(stderr, "no read-only mapping of %s\n", base);
    return 1;
  }
  for (long off = 0; off < size_kb * 1024; off += 4096)
    sink += ((volatile char *)start)[off];
  smaps_of(base, "r--p", &start, &size_kb, &pmd_kb);
  printf("weights: %ld of %ld KiB in 2 MiB pages\n", pmd_kb, size_kb);
  printf("mostly huge: %s\n", pmd_kb >= size_kb - 4096 ? "yes" : "no");
  kiln_model_free(m);
  return 0;
}
