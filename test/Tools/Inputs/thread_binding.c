/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* The thread binding of multi-threaded runs (docs/runtime.md "Parallel
 * runs").
 *   thread_binding MODEL.so THREADS RUNS
 * MODEL must have static shapes and parallel loops.  Runs it RUNS times on
 * THREADS threads from the main thread, then prints:
 *   "caller mask kept" when the main thread's CPU mask after the runs is the
 *   one it had before (the run gives it back);
 *   "pinned workers: N of M" (M: the process's other threads, N: those whose
 *   mask is one CPU of the caller's mask);
 *   "distinct CPUs: yes|no" (whether those single CPUs differ from each
 *   other).
 * Exits 2 on a load/run error. */
#define _GNU_SOURCE
#include "static_io.h"

#include <dirent.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s MODEL.so THREADS RUNS\n", argv[0]);
    return 2;
  }
  cpu_set_t before, after;
  if (sched_getaffinity(0, sizeof before, &before) != 0)
    return 2;
  kiln_model *m = NULL;
  if (kiln_model_load(argv[1], &m) != KILN_OK) {
    fprintf(stderr, "load: %s\n", kiln_last_error());
    return 2;
  }
  if (kiln_model_set_num_threads(m, atoi(argv[2])) != KILN_OK)
    return 2;
  int ni, no;
  kiln_tensor in[STATIC_IO_MAX], out[STATIC_IO_MAX];
  if (static_io_alloc(m, in, &ni, out, &no) != 0)
    return 2;
  long runs = atol(argv[3]);
  for (long r = 0; r < runs; ++r)
    if (kiln_model_run(m, in, ni, out, no) != KILN_OK) {
      fprintf(stderr, "run %ld: %s\n", r, kiln_last_error());
      return 2;
    }
  if (sched_getaffinity(0, sizeof after, &after) != 0)
    return 2;
  printf("caller mask %s\n", CPU_EQUAL(&before, &after) ? "kept" : "changed");

  pid_t self = (pid_t)syscall(SYS_gettid);
  DIR *d = opendir("/proc/self/task");
  if (!d)
    return 2;
  int others = 0, pinned = 0, distinct = 1;
  cpu_set_t seen;
  CPU_ZERO(&seen);
  for (struct dirent *e; (e = readdir(d));) {
    pid_t tid = (pid_t)atoi(e->d_name);
    if (tid <= 0 || tid == self)
      continue;
    ++others;
    cpu_set_t mask;
    if (sched_getaffinity(tid, sizeof mask, &mask) != 0)
      continue;
    if (CPU_COUNT(&mask) != 1)
      continue;
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &mask) && CPU_ISSET(c, &before)) {
        ++pinned;
        if (CPU_ISSET(c, &seen))
          distinct = 0;
        CPU_SET(c, &seen);
      }
  }
  closedir(d);
  printf("pinned workers: %d of %d\n", pinned, others);
  printf("distinct CPUs: %s\n", distinct ? "yes" : "no");
  static_io_free(in, ni, out, no);
  kiln_model_free(m);
  return 0;
}
