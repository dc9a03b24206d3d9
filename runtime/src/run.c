/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* kiln_model_run: argument checks, memref descriptors, result hand-over. */
#define _GNU_SOURCE /* madvise and MADV_HUGEPAGE */
#include "internal.h"

#include <stdatomic.h>
#include <stdio.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(void *) == 8 && sizeof(int64_t) == 8,
               "the Kiln ABI assumes 64-bit pointers");

/* MLIR lowers memref.get_global with this `allocated` pointer: the buffer is
 * static and must never be freed. */
#define KILN_MLIR_DEADBEEF ((uintptr_t)0xdeadbeef)

/* Arenas of 2 MiB or more are rounded up to and aligned on 2 MiB and offered
 * to the kernel for transparent huge pages: a convolution's tile writes to
 * dozens of channel planes at once, each on its own 4 KiB page otherwise,
 * and a run after an idle pause refills fewer TLB entries. */
#define KILN_HUGE_PAGE ((size_t)2 << 20)
static void *alloc_arena(size_t bytes) {
  if (bytes < KILN_HUGE_PAGE)
    return aligned_alloc(64, bytes);
  bytes = (bytes + KILN_HUGE_PAGE - 1) / KILN_HUGE_PAGE * KILN_HUGE_PAGE;
  void *p = aligned_alloc(KILN_HUGE_PAGE, bytes);
#ifdef MADV_HUGEPAGE
  if (p)
    (void)madvise(p, bytes, MADV_HUGEPAGE);
#endif
  return p;
}

/* The activation arena (ABI v3): the model's own when no other run holds
 * it, grown to `need` bytes; otherwise (another thread runs the same model)
 * a buffer for this run only, returned in *own. */
static kiln_status acquire_arena(kiln_model *m, size_t need, void **base,
                                 void **own) {
  size_t bytes = (need + 63) / 64 * 64;
  if (bytes == 0)
    bytes = 64;
  *own = NULL;
  int expected = 0;
  if (atomic_compare_exchange_strong(&m->arena_busy, &expected, 1)) {
    if (m->arena_capacity < bytes) {
      free(m->arena);
      m->arena = alloc_arena(bytes);
      m->arena_capacity = m->arena ? bytes : 0;
      if (!m->arena) {
        atomic_store(&m->arena_busy, 0);
        return kiln_set_error(KILN_ERROR_OUT_OF_MEMORY,
                              "kiln_model_run: out of memory allocating the "
                              "model's arena of %zu bytes",
                              bytes);
      }
    }
    *base = m->arena;
    return KILN_OK;
  }
  *own = alloc_arena(bytes);
  if (!*own)
    return kiln_set_error(KILN_ERROR_OUT_OF_MEMORY,
                          "kiln_model_run: out of memory allocating an arena "
                          "of %zu bytes (the model's own is in use by another "
                          "thread)",
                          bytes);
  *base = *own;
  return KILN_OK;
}

static void release_arena(kiln_model *m, void *own) {
  if (own)
    free(own);
  else
    atomic_store(&m->arena_busy, 0);
}

static void free_block(char *block, const char *stack_block) {
  if (block != stack_block)
    free(block);
}

/* A memref descriptor of rank r occupies 3 + 2r int64 slots. */
static size_t desc_slots(int32_t rank) { return 3 + 2 * (size_t)rank; }

typedef struct output_state {
  void *allocated;   /* as returned by invoke */
  const char *src;   /* address of element 0: aligned + offset */
  const int64_t *sizes;
  const int64_t *strides;
  size_t bytes;      /* byte size of the dense result */
  size_t num_elements;
  int owned;         /* `allocated` must be freed by us */
  int handed_over;   /* `allocated` now belongs to the caller */
  int runtime_alloc; /* caller passed data == NULL */
} output_state;

static int is_row_major(const int64_t *sizes, const int64_t *strides,
                        int32_t rank) {
  int64_t expected = 1;
  for (int32_t d = rank - 1; d >= 0; --d) {
    if (sizes[d] != 1 && strides[d] != expected)
      return 0;
    expected *= sizes[d];
  }
  return 1;
}

/* Copies a strided tensor into a dense row-major buffer. */
static void copy_dense(char *dst, const output_state *o, int32_t rank,
                       size_t esize) {
  if (o->num_elements == 0)
    return;
  if (is_row_major(o->sizes, o->strides, rank)) {
    memcpy(dst, o->src, o->bytes);
    return;
  }
  int64_t index[KILN_MAX_RANK] = {0};
  const int32_t last = rank - 1; /* rank >= 1 here: rank 0 is row-major */
  const int64_t inner = o->sizes[last];
  const int64_t inner_stride = o->strides[last] * (int64_t)esize;
  for (;;) {
    const char *src = o->src;
    for (int32_t d = 0; d < last; ++d)
      src += index[d] * o->strides[d] * (int64_t)esize;
    for (int64_t k = 0; k < inner; ++k) {
      memcpy(dst, src, esize);
      dst += esize;
      src += inner_stride;
    }
    int32_t d = last - 1;
    while (d >= 0 && ++index[d] == o->sizes[d])
      index[d--] = 0;
    if (d < 0)
      break;
  }
}

static kiln_status check_input(const kiln_abi_tensor *meta, int32_t i,
                               const kiln_tensor *t, size_t *bytes_out) {
  char want[256], got[256];
  if (t->dtype != (kiln_dtype)meta->dtype)
    return kiln_set_error(
        KILN_ERROR_DTYPE,
        "input %d ('%s'): dtype mismatch: model expects %s, got %s (%d)",
        (int)i, meta->name, kiln_dtype_name((kiln_dtype)meta->dtype),
        kiln_dtype_name(t->dtype), (int)t->dtype);
  kiln_format_dims(want, sizeof want, meta->dims, meta->rank);
  if (t->rank != meta->rank) {
    if (t->rank >= 0 && t->rank <= KILN_MAX_RANK)
      kiln_format_shape(got, sizeof got, t->dims, t->rank);
    else
      got[0] = '\0';
    return kiln_set_error(
        KILN_ERROR_SHAPE,
        "input %d ('%s'): rank mismatch: model expects rank %d %s, got rank "
        "%d %s",
        (int)i, meta->name, (int)meta->rank, want, (int)t->rank, got);
  }
  kiln_format_shape(got, sizeof got, t->dims, t->rank);
  for (int32_t d = 0; d < meta->rank; ++d) {
    if (meta->dims[d] >= 0 && t->dims[d] != meta->dims[d])
      return kiln_set_error(
          KILN_ERROR_SHAPE,
          "input %d ('%s'): dim %d is %lld, model expects %lld (expected "
          "shape %s, got %s)",
          (int)i, meta->name, (int)d, (long long)t->dims[d],
          (long long)meta->dims[d], want, got);
    if (meta->dims[d] < 0 && t->dims[d] < 1)
      return kiln_set_error(
          KILN_ERROR_SHAPE,
          "input %d ('%s'): dynamic dim %d must be >= 1, got %lld (expected "
          "shape %s, got %s)",
          (int)i, meta->name, (int)d, (long long)t->dims[d], want, got);
  }
  size_t esize = kiln_dtype_size(t->dtype), count, bytes;
  if (!kiln_shape_bytes(t->dims, t->rank, esize, &count, &bytes))
    return kiln_set_error(KILN_ERROR_SHAPE,
                          "input %d ('%s'): shape %s of %s overflows the "
                          "addressable size",
                          (int)i, meta->name, got, kiln_dtype_name(t->dtype));
  if (t->size_bytes < bytes)
    return kiln_set_error(KILN_ERROR_BUFFER_TOO_SMALL,
                          "input %d ('%s'): size_bytes is %zu, but shape %s "
                          "of %s needs %zu bytes",
                          (int)i, meta->name, t->size_bytes, got,
                          kiln_dtype_name(t->dtype), bytes);
  if (!t->data && bytes > 0)
    return kiln_set_error(KILN_ERROR_INVALID_ARGUMENT,
                          "input %d ('%s'): data is NULL", (int)i, meta->name);
  *bytes_out = bytes;
  return KILN_OK;
}

/* Reads output descriptor j and checks it against the metadata. */
static kiln_status read_output(const kiln_abi_tensor *meta, int32_t j,
                               const int64_t *desc, output_state *o) {
  void *aligned;
  memcpy(&o->allocated, &desc[0], sizeof(void *));
  memcpy(&aligned, &desc[1], sizeof(void *));
  const int64_t offset = desc[2];
  o->sizes = desc + 3;
  o->strides = desc + 3 + meta->rank;
  const size_t esize = kiln_dtype_size((kiln_dtype)meta->dtype);
  char want[256], got[256];
  kiln_format_shape(got, sizeof got, o->sizes, meta->rank);
  for (int32_t d = 0; d < meta->rank; ++d) {
    if (o->sizes[d] < 0 ||
        (meta->dims[d] >= 0 && o->sizes[d] != meta->dims[d]))
      return kiln_set_error(
          KILN_ERROR_INTERNAL,
          "output %d ('%s'): model returned shape %s, which does not match "
          "its declared shape %s",
          (int)j, meta->name, got,
          kiln_format_dims(want, sizeof want, meta->dims, meta->rank));
  }
  if (!kiln_shape_bytes(o->sizes, meta->rank, esize, &o->num_elements,
                        &o->bytes))
    return kiln_set_error(KILN_ERROR_INTERNAL,
                          "output %d ('%s'): returned shape %s overflows",
                          (int)j, meta->name, got);
  if (o->num_elements > 0 && !aligned)
    return kiln_set_error(KILN_ERROR_INTERNAL,
                          "output %d ('%s'): model returned a NULL buffer",
                          (int)j, meta->name);
  o->src = (const char *)aligned + offset * (int64_t)esize;
  return KILN_OK;
}

/* True if p points into one of the input buffers (a model that returns an
 * input unchanged would otherwise make us free the caller's memory). */
static int points_into_inputs(const void *p, const kiln_tensor *inputs,
                              const size_t *input_bytes, int32_t n) {
  for (int32_t i = 0; i < n; ++i) {
    const char *b = (const char *)inputs[i].data;
    if (b && input_bytes[i] > 0 && (const char *)p >= b &&
        (const char *)p < b + input_bytes[i])
      return 1;
  }
  return 0;
}

/* The message of a failed run-time check: its template with "{0}".."{2}"
 * replaced by the recorded values. */
static kiln_status check_failure(const kiln_abi_model *abi,
                                 const kiln_abi_error *e) {
  if (e->check < 1 || e->check > abi->num_checks)
    return kiln_set_error(KILN_ERROR_INTERNAL,
                          "model '%s' reported failed check %d, but it has "
                          "%d checks",
                          abi->name, (int)e->check, (int)abi->num_checks);
  char msg[1536];
  size_t n = 0;
  for (const char *p = abi->checks[e->check - 1]; *p && n + 1 < sizeof msg;
       ++p) {
    if (p[0] == '{' && p[1] >= '0' && p[1] <= '2' && p[2] == '}') {
      int w = snprintf(msg + n, sizeof msg - n, "%lld",
                       (long long)e->values[p[1] - '0']);
      n = w < 0 ? n : n + (size_t)w;
      if (n >= sizeof msg)
        n = sizeof msg - 1;
      p += 2;
      continue;
    }
    msg[n++] = *p;
  }
  msg[n] = '\0';
  return kiln_set_error(KILN_ERROR_INVALID_INPUT, "%s", msg);
}

kiln_status kiln_model_run(kiln_model *model, const kiln_tensor *inputs,
                           int32_t num_inputs, kiln_tensor *outputs,
                           int32_t num_outputs) {
  if (!model)
    return kiln_set_error(KILN_ERROR_INVALID_ARGUMENT,
                          "kiln_model_run: model is NULL");
  const kiln_abi_model *abi = model->abi;
  if (num_inputs != abi->num_inputs)
    return kiln_set_error(KILN_ERROR_INVALID_ARGUMENT,
                          "kiln_model_run: model '%s' has %d inputs, got "
                          "num_inputs = %d",
                          abi->name, (int)abi->num_inputs, (int)num_inputs);
  if (num_outputs != abi->num_outputs)
    return kiln_set_error(KILN_ERROR_INVALID_ARGUMENT,
                          "kiln_model_run: model '%s' has %d outputs, got "
                          "num_outputs = %d",
                          abi->name, (int)abi->num_outputs, (int)num_outputs);
  if (num_inputs > 0 && !inputs)
    return kiln_set_error(KILN_ERROR_INVALID_ARGUMENT,
                          "kiln_model_run: inputs is NULL");
  if (num_outputs > 0 && !outputs)
    return kiln_set_error(KILN_ERROR_INVALID_ARGUMENT,
                          "kiln_model_run: outputs is NULL");

  /* One block for: args[1 + n_in], input byte sizes, output states and all
   * descriptors (inputs then the result area). */
  size_t slots = 0;
  for (int32_t i = 0; i < num_inputs; ++i)
    slots += desc_slots(abi->inputs[i].rank);
  size_t result_slot = slots;
  for (int32_t j = 0; j < num_outputs; ++j)
    slots += desc_slots(abi->outputs[j].rank);
  const size_t n_in = (size_t)num_inputs, n_out = (size_t)num_outputs;
  /* args[1 + n_in]: the error record of ABI v2 (v1 libraries ignore it);
   * args[2 + n_in]: the arena and args[3 + n_in] the thread count of ABI
   * v3. */
  const size_t total = slots * sizeof(int64_t) +
                       (4 + n_in) * sizeof(void *) + n_in * sizeof(size_t) +
                       n_out * sizeof(output_state);
  /* On the stack when small (the usual case), so that a run of a model
   * whose buffers are all in the arena allocates nothing. */
  _Alignas(16) char stack_block[2048];
  char *block = total <= sizeof stack_block ? stack_block : (char *)calloc(1, total);
  if (block == stack_block)
    memset(block, 0, total);
  if (!block)
    return kiln_set_error(KILN_ERROR_OUT_OF_MEMORY,
                          "kiln_model_run: out of memory (%zu bytes of "
                          "descriptors)",
                          total);
  int64_t *descs = (int64_t *)block;
  void **args = (void **)(descs + slots);
  size_t *input_bytes = (size_t *)(args + 4 + n_in);
  output_state *outs = (output_state *)(input_bytes + n_in);

  /* Check every input before anything runs. */
  kiln_status status = KILN_OK;
  for (int32_t i = 0; i < num_inputs && status == KILN_OK; ++i)
    status = check_input(&abi->inputs[i], i, &inputs[i], &input_bytes[i]);
  if (status != KILN_OK) {
    free_block(block, stack_block);
    return status;
  }

  /* Build the input descriptors: dense row-major, offset 0. */
  size_t slot = 0;
  for (int32_t i = 0; i < num_inputs; ++i) {
    const kiln_tensor *t = &inputs[i];
    int64_t *d = descs + slot;
    memcpy(&d[0], &t->data, sizeof(void *));
    memcpy(&d[1], &t->data, sizeof(void *));
    d[2] = 0;
    int64_t stride = 1;
    for (int32_t k = t->rank - 1; k >= 0; --k) {
      d[3 + k] = t->dims[k];
      d[3 + t->rank + k] = stride;
      stride *= t->dims[k];
    }
    args[1 + i] = d;
    slot += desc_slots(t->rank);
  }
  args[0] = descs + result_slot;
  for (int32_t j = 0; j < num_outputs; ++j)
    outs[j].runtime_alloc = outputs[j].data == NULL;

  kiln_abi_error check_error;
  memset(&check_error, 0, sizeof check_error);
  args[1 + n_in] = &check_error;

  /* ABI v3: the arena, sized for these inputs. */
  int64_t arena_desc[5];
  void *own_arena = NULL, *arena_base = NULL;
  const int has_arena = abi->abi_version >= 3 && abi->arena_bytes != 0;
  if (has_arena) {
    int64_t need =
        abi->arena_bytes >= 0 ? abi->arena_bytes : abi->arena_size(args);
    if (need < 0) {
      free_block(block, stack_block);
      return kiln_set_error(KILN_ERROR_ABI,
                            "kiln_model_run: model '%s' asked for an arena of "
                            "%lld bytes",
                            abi->name, (long long)need);
    }
    status = acquire_arena(model, (size_t)need, &arena_base, &own_arena);
    if (status != KILN_OK) {
      free_block(block, stack_block);
      return status;
    }
    memcpy(&arena_desc[0], &arena_base, sizeof(void *));
    memcpy(&arena_desc[1], &arena_base, sizeof(void *));
    arena_desc[2] = 0;
    arena_desc[3] = need;
    arena_desc[4] = 1;
    args[2 + n_in] = arena_desc;
  }

  int32_t num_threads = atomic_load(&model->num_threads);
  args[3 + n_in] = &num_threads;

  abi->invoke(args);

  /* A failed run-time check: the outputs are not valid results. */
  if (check_error.check != 0)
    status = check_failure(abi, &check_error);

  /* Phase 1: read every result, decide which buffers we own, check shapes
   * and capacities.  Nothing is copied yet. */
  slot = result_slot;
  for (int32_t j = 0; j < num_outputs; ++j) {
    const kiln_abi_tensor *meta = &abi->outputs[j];
    output_state *o = &outs[j];
    const int64_t *desc = descs + slot;
    slot += desc_slots(meta->rank);
    memcpy(&o->allocated, &desc[0], sizeof(void *));
    /* Results in the arena (ABI v3) are copied out, never freed. */
    o->owned = o->allocated != NULL &&
               (uintptr_t)o->allocated != KILN_MLIR_DEADBEEF &&
               !(has_arena && o->allocated == arena_base) &&
               !points_into_inputs(o->allocated, inputs, input_bytes,
                                   num_inputs);
    for (int32_t k = 0; k < j && o->owned; ++k)
      if (outs[k].owned && outs[k].allocated == o->allocated)
        o->owned = 0; /* the same buffer returned twice: free it once */

    if (status != KILN_OK && check_error.check != 0)
      continue; /* outputs are only freed */
    kiln_status s = read_output(meta, j, desc, o);
    if (s != KILN_OK) {
      if (status == KILN_OK)
        status = s;
      continue;
    }
    kiln_tensor *t = &outputs[j];
    t->dtype = (kiln_dtype)meta->dtype;
    t->rank = meta->rank;
    for (int32_t d = 0; d < KILN_MAX_RANK; ++d)
      t->dims[d] = d < meta->rank ? o->sizes[d] : 0;
    if (!o->runtime_alloc && t->size_bytes < o->bytes && status == KILN_OK) {
      char got[256];
      status = kiln_set_error(
          KILN_ERROR_BUFFER_TOO_SMALL,
          "output %d ('%s'): buffer too small: size_bytes is %zu, but the "
          "result %s of %s needs %zu bytes",
          (int)j, meta->name, t->size_bytes,
          kiln_format_shape(got, sizeof got, o->sizes, meta->rank),
          kiln_dtype_name(t->dtype), o->bytes);
    }
  }

  /* Phase 2: deliver the results. */
  for (int32_t j = 0; j < num_outputs && status == KILN_OK; ++j) {
    const kiln_abi_tensor *meta = &abi->outputs[j];
    output_state *o = &outs[j];
    kiln_tensor *t = &outputs[j];
    const size_t esize = kiln_dtype_size((kiln_dtype)meta->dtype);
    if (!o->runtime_alloc) {
      copy_dense((char *)t->data, o, meta->rank, esize);
      continue;
    }
    t->size_bytes = o->bytes;
    if (o->num_elements == 0) {
      t->data = NULL;
    } else if (o->owned && o->src == (const char *)o->allocated &&
               is_row_major(o->sizes, o->strides, meta->rank)) {
      t->data = o->allocated; /* zero-copy hand-over */
      o->handed_over = 1;
    } else {
      char *copy = (char *)malloc(o->bytes);
      if (!copy) {
        status = kiln_set_error(KILN_ERROR_OUT_OF_MEMORY,
                                "output %d ('%s'): out of memory allocating "
                                "%zu bytes",
                                (int)j, meta->name, o->bytes);
        break;
      }
      copy_dense(copy, o, meta->rank, esize);
      t->data = copy;
    }
  }

  /* On failure, take back whatever phase 2 handed over. */
  if (status != KILN_OK) {
    for (int32_t j = 0; j < num_outputs; ++j) {
      if (!outs[j].runtime_alloc)
        continue;
      if (outputs[j].data && !outs[j].handed_over)
        free(outputs[j].data);
      outs[j].handed_over = 0;
      outputs[j].data = NULL;
      outputs[j].size_bytes = 0;
    }
  }

  /* Phase 3: release every model buffer that was not handed over. */
  for (int32_t j = 0; j < num_outputs; ++j)
    if (outs[j].owned && !outs[j].handed_over)
      free(outs[j].allocated);
  /* The results are out of the arena now. */
  if (has_arena)
    release_arena(model, own_arena);
  free_block(block, stack_block);
  return status;
}
