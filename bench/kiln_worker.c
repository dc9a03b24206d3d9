/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/*
 * kiln_worker - the Kiln side of the benchmark harness (bench/bench.py).
 *
 * A persistent process driven by a line protocol on stdin; every command is
 * answered by exactly one line on stdout, "ok ..." or "err MESSAGE".  The
 * same protocol is spoken by bench/ort_worker.js for ONNX Runtime.
 *
 *   rss                          -> ok VMHWM_KB VMRSS_KB   (/proc/self/status)
 *   load LIB [THREADS]           -> ok NAME                (kiln_model_load;
 *                                          THREADS: kiln_model_set_num_threads)
 *   input NAME DTYPE DIMS FILE   -> ok     sets an input from a raw file
 *                                          (DTYPE: float32, int64, ...;
 *                                          DIMS: 1x3x224x224)
 *   run N                        -> ok T1 ... TN   N runs, each timed in ns
 *                                   around kiln_model_run() only
 *   dump DIR                     -> ok T NAME:DTYPE:DIMS ...  one more run (T ns);
 *                                   its outputs are written to DIR/output_K.bin
 *   quit                         -> (exits)
 *
 * Outputs are allocated by the runtime (data == NULL) on every run and freed
 * after the timer stops, as an application that keeps no buffers would.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kiln/runtime.h"

#define MAX_IO 64

static kiln_model *model;
static int32_t num_inputs, num_outputs;
static kiln_tensor inputs[MAX_IO];
static int input_set[MAX_IO];

static void reply(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
  fflush(stdout);
}

static const struct {
  const char *name;
  kiln_dtype dtype;
} dtypes[] = {
    {"float32", KILN_DTYPE_FLOAT}, {"float64", KILN_DTYPE_DOUBLE},
    {"float16", KILN_DTYPE_FLOAT16}, {"int64", KILN_DTYPE_INT64},
    {"int32", KILN_DTYPE_INT32},   {"int16", KILN_DTYPE_INT16},
    {"int8", KILN_DTYPE_INT8},     {"uint8", KILN_DTYPE_UINT8},
    {"uint16", KILN_DTYPE_UINT16}, {"uint32", KILN_DTYPE_UINT32},
    {"uint64", KILN_DTYPE_UINT64}, {"bool", KILN_DTYPE_BOOL},
};

static int dtype_from_name(const char *s, kiln_dtype *out) {
  for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; ++i)
    if (strcmp(s, dtypes[i].name) == 0) {
      *out = dtypes[i].dtype;
      return 1;
    }
  return 0;
}

static const char *dtype_to_name(kiln_dtype d) {
  for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; ++i)
    if (dtypes[i].dtype == d)
      return dtypes[i].name;
  return "unknown";
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void cmd_rss(void) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) {
    reply("err cannot open /proc/self/status: %s", strerror(errno));
    return;
  }
  char line[256];
  long hwm = -1, rss = -1;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "VmHWM:", 6) == 0)
      hwm = strtol(line + 6, NULL, 10);
    else if (strncmp(line, "VmRSS:", 6) == 0)
      rss = strtol(line + 6, NULL, 10);
  }
  fclose(f);
  reply("ok %ld %ld", hwm, rss);
}

static void cmd_load(char *path) {
  if (!path || !*path) {
    reply("err usage: load LIB [THREADS]");
    return;
  }
  int threads = 0;
  char *sp = strchr(path, ' ');
  if (sp) {
    *sp = '\0';
    threads = atoi(sp + 1);
    if (threads < 1) {
      reply("err usage: load LIB [THREADS] (THREADS >= 1)");
      return;
    }
  }
  if (model) {
    reply("err a model is already loaded");
    return;
  }
  if (kiln_model_load(path, &model) != KILN_OK) {
    model = NULL;
    reply("err %s", kiln_last_error());
    return;
  }
  if (threads > 0 && kiln_model_set_num_threads(model, threads) != KILN_OK) {
    reply("err %s", kiln_last_error());
    kiln_model_free(model);
    model = NULL;
    return;
  }
  num_inputs = kiln_model_num_inputs(model);
  num_outputs = kiln_model_num_outputs(model);
  if (num_inputs > MAX_IO || num_outputs > MAX_IO) {
    reply("err model has %d inputs and %d outputs; the worker handles %d",
          num_inputs, num_outputs, MAX_IO);
    kiln_model_free(model);
    model = NULL;
    return;
  }
  reply("ok %s", kiln_model_name(model)[0] ? kiln_model_name(model) : "-");
}

static void cmd_input(char *args) {
  char *save = NULL;
  char *name = strtok_r(args, " ", &save);
  char *dtype_s = strtok_r(NULL, " ", &save);
  char *dims_s = strtok_r(NULL, " ", &save);
  char *file = strtok_r(NULL, " ", &save);
  if (!model || !name || !dtype_s || !dims_s || !file) {
    reply("err usage: input NAME DTYPE DIMS FILE (after load)");
    return;
  }
  int32_t idx = kiln_model_find_input(model, name);
  if (idx < 0) {
    reply("err the model has no input '%s'", name);
    return;
  }
  kiln_tensor t;
  memset(&t, 0, sizeof t);
  if (!dtype_from_name(dtype_s, &t.dtype)) {
    reply("err unknown dtype '%s'", dtype_s);
    return;
  }
  size_t count = 1;
  char *dsave = NULL;
  for (char *d = strtok_r(dims_s, "x", &dsave); d; d = strtok_r(NULL, "x", &dsave)) {
    if (t.rank == KILN_MAX_RANK) {
      reply("err rank above %d", KILN_MAX_RANK);
      return;
    }
    char *end;
    long long v = strtoll(d, &end, 10);
    if (*end || v < 0) {
      reply("err bad dimension '%s'", d);
      return;
    }
    t.dims[t.rank++] = v;
    count *= (size_t)v;
  }
  size_t bytes = count * kiln_dtype_size(t.dtype);
  FILE *f = fopen(file, "rb");
  if (!f) {
    reply("err cannot open %s: %s", file, strerror(errno));
    return;
  }
  void *data = malloc(bytes ? bytes : 1);
  size_t got = data ? fread(data, 1, bytes, f) : 0;
  int extra = fgetc(f) != EOF;
  fclose(f);
  if (!data || got != bytes || extra) {
    free(data);
    reply("err %s does not hold exactly %zu bytes", file, bytes);
    return;
  }
  t.data = data;
  t.size_bytes = bytes;
  free(inputs[idx].data);
  inputs[idx] = t;
  input_set[idx] = 1;
  reply("ok");
}

static int ready(void) {
  if (!model) {
    reply("err no model loaded");
    return 0;
  }
  for (int32_t i = 0; i < num_inputs; ++i)
    if (!input_set[i]) {
      kiln_tensor_info info;
      kiln_model_input_info(model, i, &info);
      reply("err input %d ('%s') not set", i, info.name);
      return 0;
    }
  return 1;
}

/* One run; the outputs stay allocated in `outs` (caller frees). */
static int run_once(kiln_tensor *outs, int64_t *ns) {
  memset(outs, 0, sizeof(kiln_tensor) * (size_t)num_outputs);
  int64_t t0 = now_ns();
  kiln_status s = kiln_model_run(model, inputs, num_inputs, outs, num_outputs);
  int64_t t1 = now_ns();
  if (s != KILN_OK) {
    reply("err %s: %s", kiln_status_string(s), kiln_last_error());
    return 0;
  }
  *ns = t1 - t0;
  return 1;
}

static void free_outputs(kiln_tensor *outs) {
  for (int32_t i = 0; i < num_outputs; ++i) {
    kiln_free(outs[i].data);
    outs[i].data = NULL;
  }
}

static void cmd_run(const char *arg) {
  long n = arg ? strtol(arg, NULL, 10) : 0;
  if (n < 1 || n > 100000) {
    reply("err usage: run N (1 <= N <= 100000)");
    return;
  }
  if (!ready())
    return;
  int64_t *times = malloc(sizeof(int64_t) * (size_t)n);
  if (!times) {
    reply("err out of memory");
    return;
  }
  kiln_tensor outs[MAX_IO];
  for (long i = 0; i < n; ++i) {
    if (!run_once(outs, &times[i])) {
      free(times);
      return;
    }
    free_outputs(outs);
  }
  printf("ok");
  for (long i = 0; i < n; ++i)
    printf(" %lld", (long long)times[i]);
  reply("");
  free(times);
}

static void cmd_dump(const char *dir) {
  if (!dir || !*dir) {
    reply("err usage: dump DIR");
    return;
  }
  if (!ready())
    return;
  kiln_tensor outs[MAX_IO];
  int64_t ns;
  if (!run_once(outs, &ns))
    return;
  char desc[8192];
  size_t used = 0;
  desc[0] = 0;
  for (int32_t i = 0; i < num_outputs; ++i) {
    char path[4096];
    snprintf(path, sizeof path, "%s/output_%d.bin", dir, i);
    FILE *f = fopen(path, "wb");
    if (!f || (outs[i].size_bytes &&
               fwrite(outs[i].data, 1, outs[i].size_bytes, f) != outs[i].size_bytes)) {
      if (f)
        fclose(f);
      free_outputs(outs);
      reply("err cannot write %s: %s", path, strerror(errno));
      return;
    }
    fclose(f);
    kiln_tensor_info info;
    kiln_model_output_info(model, i, &info);
    used += (size_t)snprintf(desc + used, sizeof desc - used, " %s:%s:", info.name,
                             dtype_to_name(outs[i].dtype));
    for (int32_t d = 0; d < outs[i].rank && used < sizeof desc; ++d)
      used += (size_t)snprintf(desc + used, sizeof desc - used, d ? "x%lld" : "%lld",
                               (long long)outs[i].dims[d]);
    if (outs[i].rank == 0 && used < sizeof desc)
      used += (size_t)snprintf(desc + used, sizeof desc - used, "scalar");
    if (used >= sizeof desc) {
      free_outputs(outs);
      reply("err output description too long");
      return;
    }
  }
  free_outputs(outs);
  reply("ok %lld%s", (long long)ns, desc);
}

int main(void) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  reply("ok kiln_worker");
  while ((len = getline(&line, &cap, stdin)) >= 0) {
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
      line[--len] = 0;
    char *cmd = line, *args = strchr(line, ' ');
    if (args)
      *args++ = 0;
    if (!*cmd)
      continue;
    if (strcmp(cmd, "quit") == 0)
      break;
    if (strcmp(cmd, "rss") == 0)
      cmd_rss();
    else if (strcmp(cmd, "load") == 0)
      cmd_load(args);
    else if (strcmp(cmd, "input") == 0)
      cmd_input(args ? args : (char *)"");
    else if (strcmp(cmd, "run") == 0)
      cmd_run(args);
    else if (strcmp(cmd, "dump") == 0)
      cmd_dump(args);
    else
      reply("err unknown command '%s'", cmd);
  }
  free(line);
  for (int i = 0; i < MAX_IO; ++i)
    free(inputs[i].data);
  kiln_model_free(model);
  return 0;
}
