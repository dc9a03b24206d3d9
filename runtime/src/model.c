/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* Loading, validating and querying model libraries. */
#define _GNU_SOURCE
#include "internal.h"

#include <dlfcn.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#if defined(__linux__)
#include <link.h>
#include <sys/mman.h>
#endif
#include <sched.h>
#include <stdatomic.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Upper bound on the number of inputs/outputs a sane model declares; guards
 * against reading garbage metadata. */
#define KILN_MAX_TENSORS 65536
/* Upper bound on the run-time checks of a model (ABI v2). */
#define KILN_MAX_CHECKS (1 << 24)

static kiln_status validate_tensor(const char *where, const char *kind,
                                   int32_t index, const kiln_abi_tensor *t) {
  if (!t->name)
    return kiln_set_error(KILN_ERROR_ABI, "%s: %s %d has a NULL name", where,
                          kind, (int)index);
  if (kiln_dtype_size((kiln_dtype)t->dtype) == 0)
    return kiln_set_error(KILN_ERROR_ABI,
                          "%s: %s %d ('%s') has unknown dtype %d", where, kind,
                          (int)index, t->name, (int)t->dtype);
  if (t->rank < 0 || t->rank > KILN_MAX_RANK)
    return kiln_set_error(KILN_ERROR_ABI,
                          "%s: %s %d ('%s') has rank %d, supported 0..%d",
                          where, kind, (int)index, t->name, (int)t->rank,
                          KILN_MAX_RANK);
  if (t->rank > 0 && !t->dims)
    return kiln_set_error(KILN_ERROR_ABI, "%s: %s %d ('%s') has NULL dims",
                          where, kind, (int)index, t->name);
  for (int32_t d = 0; d < t->rank; ++d)
    if (t->dims[d] < -1)
      return kiln_set_error(KILN_ERROR_ABI,
                            "%s: %s %d ('%s') has invalid dim %d = %lld",
                            where, kind, (int)index, t->name, (int)d,
                            (long long)t->dims[d]);
  return KILN_OK;
}

static kiln_status validate_abi(const char *where, const kiln_abi_model *abi) {
  if (!abi)
    return kiln_set_error(KILN_ERROR_ABI, "%s: model metadata is NULL", where);
  if (abi->abi_version < KILN_ABI_MIN_VERSION ||
      abi->abi_version > KILN_ABI_VERSION)
    return kiln_set_error(KILN_ERROR_ABI,
                          "%s: unsupported ABI version %d (this runtime "
                          "supports versions %d to %d; recompile the model "
                          "with this release's kiln-compile)",
                          where, (int)abi->abi_version, KILN_ABI_MIN_VERSION,
                          KILN_ABI_VERSION);
  if (!abi->name)
    return kiln_set_error(KILN_ERROR_ABI, "%s: model name is NULL", where);
  if (!abi->invoke)
    return kiln_set_error(KILN_ERROR_ABI, "%s: invoke entry point is NULL",
                          where);
  if (abi->num_inputs < 0 || abi->num_inputs > KILN_MAX_TENSORS ||
      abi->num_outputs < 0 || abi->num_outputs > KILN_MAX_TENSORS)
    return kiln_set_error(KILN_ERROR_ABI,
                          "%s: invalid tensor counts (%d inputs, %d outputs)",
                          where, (int)abi->num_inputs, (int)abi->num_outputs);
  if (abi->num_inputs > 0 && !abi->inputs)
    return kiln_set_error(KILN_ERROR_ABI, "%s: input table is NULL", where);
  if (abi->num_outputs > 0 && !abi->outputs)
    return kiln_set_error(KILN_ERROR_ABI, "%s: output table is NULL", where);
  /* Version 1 metadata ends before `checks`; its num_checks is reserved. */
  if (abi->abi_version < 2 && abi->num_checks != 0)
    return kiln_set_error(KILN_ERROR_ABI,
                          "%s: ABI version 1 metadata has reserved field %d "
                          "(expected 0)",
                          where, (int)abi->num_checks);
  /* Version 3: the arena (older metadata ends before these fields). */
  if (abi->abi_version >= 3) {
    if (abi->arena_bytes < -1 || abi->arena_lower_bound < -1)
      return kiln_set_error(KILN_ERROR_ABI,
                            "%s: invalid arena size %lld (lower bound %lld)",
                            where, (long long)abi->arena_bytes,
                            (long long)abi->arena_lower_bound);
    if (abi->arena_bytes == -1 && !abi->arena_size)
      return kiln_set_error(KILN_ERROR_ABI,
                            "%s: the arena's size depends on the inputs but "
                            "arena_size is NULL",
                            where);
  }
  if (abi->num_checks < 0 || abi->num_checks > KILN_MAX_CHECKS)
    return kiln_set_error(KILN_ERROR_ABI, "%s: invalid check count %d", where,
                          (int)abi->num_checks);
  if (abi->num_checks > 0 && !abi->checks)
    return kiln_set_error(KILN_ERROR_ABI, "%s: check table is NULL", where);
  for (int32_t i = 0; i < abi->num_checks; ++i)
    if (!abi->checks[i])
      return kiln_set_error(KILN_ERROR_ABI, "%s: check %d has a NULL message",
                            where, (int)i);
  for (int32_t i = 0; i < abi->num_inputs; ++i) {
    kiln_status s = validate_tensor(where, "input", i, &abi->inputs[i]);
    if (s != KILN_OK)
      return s;
  }
  for (int32_t i = 0; i < abi->num_outputs; ++i) {
    kiln_status s = validate_tensor(where, "output", i, &abi->outputs[i]);
    if (s != KILN_OK)
      return s;
  }
  return KILN_OK;
}

static kiln_status make_model(const kiln_abi_model *abi, void *handle,
                              kiln_model **out) {
  kiln_model *m = (kiln_model *)calloc(1, sizeof *m);
  if (!m)
    return kiln_set_error(KILN_ERROR_OUT_OF_MEMORY,
                          "out of memory allocating the model");
  m->abi = abi;
  m->handle = handle;
  atomic_store(&m->num_threads, kiln_default_num_threads());
  *out = m;
  return KILN_OK;
}

int32_t kiln_default_num_threads(void) {
  const char *env = getenv("KILN_NUM_THREADS");
  if (env && *env) {
    char *end = NULL;
    long v = strtol(env, &end, 10);
    if (end && *end == '\0' && v >= 1 && v <= 4096)
      return (int32_t)v;
  }
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n >= 1)
      return n;
  }
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n >= 1 ? (int32_t)n : 1;
}

kiln_status kiln_model_set_num_threads(kiln_model *model, int32_t num_threads) {
  if (!model)
    return kiln_set_error(KILN_ERROR_INVALID_ARGUMENT,
                          "kiln_model_set_num_threads: model is NULL");
  if (num_threads < 0)
    return kiln_set_error(KILN_ERROR_INVALID_ARGUMENT,
                          "kiln_model_set_num_threads: num_threads is %d "
                          "(expected >= 1, or 0 for the default)",
                          (int)num_threads);
  atomic_store(&model->num_threads,
               num_threads ? num_threads : kiln_default_num_threads());
  return KILN_OK;
}

kiln_status kiln_model_get_num_threads(const kiln_model *model,
                                       int32_t *num_threads) {
  if (!model)
    return kiln_set_error(KILN_ERROR_INVALID_ARGUMENT,
                          "kiln_model_get_num_threads: model is NULL");
  if (!num_threads)
    return kiln_set_error(KILN_ERROR_INVALID_ARGUMENT,
                          "kiln_model_get_num_threads: num_threads is NULL");
  *num_threads = atomic_load(&((kiln_model *)model)->num_threads);
  return KILN_OK;
}

#if defined(__linux__) && defined(MADV_HUGEPAGE)
/* dl_iterate_phdr callback: the read-only segments (the weights) of the
 * library whose link map is `data`. */
static int advise_segments(struct dl_phdr_info *info, size_t size,
                           void *data) {
  (void)size;
  const struct link_map *lm = data;
  if (info->dlpi_addr != lm->l_addr || !info->dlpi_name ||
      strcmp(info->dlpi_name, lm->l_name) != 0)
    return 0;
  const uintptr_t huge = (uintptr_t)2 << 20;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD || ph->p_flags != PF_R)
      continue;
    uintptr_t begin = info->dlpi_addr + ph->p_vaddr;
    uintptr_t end = begin + ph->p_memsz;
    begin = (begin + huge - 1) & ~(huge - 1);
    end &= ~(huge - 1);
    if (end > begin)
      (void)madvise((void *)begin, end - begin, MADV_HUGEPAGE);
  }
  return 1;
}
#endif

/* The weights stay mapped from the library (never copied); where the
 * kernel reads them from disk into the page cache, MADV_HUGEPAGE on their
 * read-only segment makes it read 2 MiB folios and map them with 2 MiB
 * pages (a ResNet-50 library read back after eviction: 72 of its 113 MiB
 * in 2 MiB pages without, 112 with).  Pages already cached keep their
 * size; kiln-compile writes the library in large pieces so that they are
 * large too (docs/runtime.md, "Weights").  Best effort: nothing to report
 * where it does not apply. */
static void advise_weights(void *handle) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  struct link_map *lm = NULL;
  if (dlinfo(handle, RTLD_DI_LINKMAP, &lm) == 0 && lm)
    (void)dl_iterate_phdr(advise_segments, lm);
#else
  (void)handle;
#endif
}

/* glibc's malloc serves allocations above its mmap threshold (128 KiB,
 * raised up to 32 MiB by the sizes it sees freed) with fresh mappings and
 * returns heap memory above its trim threshold to the kernel on free: the
 * buffers a run allocates on the heap (its outputs, the intermediates the
 * memory plan cannot place) were then mapped, faulted in page by page,
 * zeroed by the kernel and unmapped again at every run (gpt_decode_step:
 * a third of a run's time in the kernel's page-fault path).  Once per
 * process, the first model load sets both thresholds so that such buffers
 * stay in the heap and are reused: mmap above 32 MiB, trim above 256 MiB
 * of free heap.  Not done when KILN_MALLOC_TUNING=0 or when the program
 * set glibc's own MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ /
 * MALLOC_TOP_PAD_ or GLIBC_TUNABLES (its choice wins). */
static void tune_malloc_once(void) {
#if defined(__GLIBC__)
  static atomic_int done;
  if (atomic_exchange(&done, 1))
    return;
  const char *off = getenv("KILN_MALLOC_TUNING");
  if ((off && strcmp(off, "0") == 0) || getenv("MALLOC_MMAP_THRESHOLD_") || getenv("MALLOC_TRIM_THRESHOLD_") ||
      getenv("MALLOC_TOP_PAD_") || getenv("GLIBC_TUNABLES"))
    return;
  (void)mallopt(M_MMAP_THRESHOLD, 32 << 20);
  (void)mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}

kiln_status kiln_model_load(const char *path, kiln_model **out) {
  if (!out)
    return kiln_set_error(KILN_ERROR_INVALID_ARGUMENT,
                          "kiln_model_load: out is NULL");
  *out = NULL;
  if (!path || !*path)
    return kiln_set_error(KILN_ERROR_INVALID_ARGUMENT,
                          "kiln_model_load: path is NULL or empty");

  dlerror();
  void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *why = dlerror();
    return kiln_set_error(KILN_ERROR_LOAD,
                          "cannot load model library '%s': %s", path,
                          why ? why : "unknown dlopen error");
  }
  advise_weights(handle);
  tune_malloc_once();
  dlerror();
  void *sym = dlsym(handle, KILN_ABI_SYMBOL);
  if (!sym) {
    const char *why = dlerror();
    kiln_status s = kiln_set_error(
        KILN_ERROR_LOAD,
        "'%s' is not a Kiln model library: symbol %s not found (%s)", path,
        KILN_ABI_SYMBOL, why ? why : "symbol is NULL");
    dlclose(handle);
    return s;
  }
  kiln_model_abi_fn fn;
  memcpy(&fn, &sym, sizeof fn); /* object pointer -> function pointer */
  const kiln_abi_model *abi = fn();

  char where[1024];
  snprintf(where, sizeof where, "model library '%s'", path);
  kiln_status s = validate_abi(where, abi);
  if (s == KILN_OK)
    s = make_model(abi, handle, out);
  if (s != KILN_OK) {
    dlclose(handle);
    return s;
  }
  /* Libraries compiled with kiln-compile --profile export a profile. */
  dlerror();
  void *psym = dlsym(handle, KILN_PROFILE_SYMBOL);
  if (psym) {
    kiln_model_profile_fn pfn;
    memcpy(&pfn, &psym, sizeof pfn);
    s = kiln_attach_profile(where, *out, pfn());
    if (s != KILN_OK) {
      kiln_model_free(*out);
      *out = NULL;
    }
  }
  return s;
}

kiln_status kiln_model_from_abi(const kiln_abi_model *abi, kiln_model **out) {
  if (!out)
    return kiln_set_error(KILN_ERROR_INVALID_ARGUMENT,
                          "kiln_model_from_abi: out is NULL");
  *out = NULL;
  if (!abi)
    return kiln_set_error(KILN_ERROR_INVALID_ARGUMENT,
                          "kiln_model_from_abi: abi is NULL");
  kiln_status s = validate_abi("kiln_model_from_abi", abi);
  if (s != KILN_OK)
    return s;
  return make_model(abi, NULL, out);
}

void kiln_model_free(kiln_model *model) {
  if (!model)
    return;
  if (model->handle)
    dlclose(model->handle);
  free(model->profile_strings);
  free(model->arena);
  free(model);
}

/* The getters below return a sentinel instead of a status; a NULL argument
 * still leaves a message in kiln_last_error(). */
static int null_model(const char *fn, const kiln_model *model) {
  if (model)
    return 0;
  kiln_set_error(KILN_ERROR_INVALID_ARGUMENT, "%s: model is NULL", fn);
  return 1;
}

const char *kiln_model_name(const kiln_model *model) {
  return null_model("kiln_model_name", model) ? "" : model->abi->name;
}

int32_t kiln_model_num_inputs(const kiln_model *model) {
  return null_model("kiln_model_num_inputs", model) ? -1
                                                     : model->abi->num_inputs;
}

int32_t kiln_model_num_outputs(const kiln_model *model) {
  return null_model("kiln_model_num_outputs", model)
             ? -1
             : model->abi->num_outputs;
}

static kiln_status tensor_info(const char *fn, const kiln_model *model,
                               int32_t index, kiln_tensor_info *out,
                               int outputs) {
  if (!model)
    return kiln_set_error(KILN_ERROR_INVALID_ARGUMENT, "%s: model is NULL",
                          fn);
  if (!out)
    return kiln_set_error(KILN_ERROR_INVALID_ARGUMENT, "%s: out is NULL", fn);
  int32_t count = outputs ? model->abi->num_outputs : model->abi->num_inputs;
  if (index < 0 || index >= count)
    return kiln_set_error(KILN_ERROR_INVALID_ARGUMENT,
                          "%s: index %d out of range: model '%s' has %d %s",
                          fn, (int)index, model->abi->name, (int)count,
                          outputs ? "outputs" : "inputs");
  const kiln_abi_tensor *t =
      outputs ? &model->abi->outputs[index] : &model->abi->inputs[index];
  out->name = t->name;
  out->dtype = (kiln_dtype)t->dtype;
  out->rank = t->rank;
  out->dims = t->dims;
  return KILN_OK;
}

kiln_status kiln_model_input_info(const kiln_model *model, int32_t index,
                                  kiln_tensor_info *out) {
  return tensor_info("kiln_model_input_info", model, index, out, 0);
}

kiln_status kiln_model_output_info(const kiln_model *model, int32_t index,
                                   kiln_tensor_info *out) {
  return tensor_info("kiln_model_output_info", model, index, out, 1);
}

static int32_t find_tensor(const kiln_abi_tensor *tensors, int32_t count,
                           const char *name) {
  for (int32_t i = 0; i < count; ++i)
    if (strcmp(tensors[i].name, name) == 0)
      return i;
  return -1;
}

static int null_name(const char *fn, const char *name) {
  if (name)
    return 0;
  kiln_set_error(KILN_ERROR_INVALID_ARGUMENT, "%s: name is NULL", fn);
  return 1;
}

int32_t kiln_model_find_input(const kiln_model *model, const char *name) {
  if (null_model("kiln_model_find_input", model) ||
      null_name("kiln_model_find_input", name))
    return -1;
  return find_tensor(model->abi->inputs, model->abi->num_inputs, name);
}

int32_t kiln_model_find_output(const kiln_model *model, const char *name) {
  if (null_model("kiln_model_find_output", model) ||
      null_name("kiln_model_find_output", name))
    return -1;
  return find_tensor(model->abi->outputs, model->abi->num_outputs, name);
}
