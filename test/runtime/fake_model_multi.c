/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* A hand-written Kiln ABI model with three outputs of different dtypes and
 * ranks, returned through non-trivial memref descriptors:
 *
 *   input  "a"        int32 [2, N]
 *   output "rowsum"   int64 [2]     sum of each row (dense)
 *   output "positive" bool  [2, N]  a > 0, stored column-major at
 *                                   aligned = allocated + 16, offset 3
 *   output "count"    int64 []      number of positive elements (rank 0)
 *
 * fake_multi_set_mode(1) makes "rowsum" come back with shape [3], violating
 * the declared shape, to exercise the runtime's error path. */
#include "kiln/abi.h"
#include "fake_tracker.h"

#include <stdint.h>

#ifndef FAKE_MULTI_ABI_FN
#define FAKE_MULTI_ABI_FN kiln_model_abi_v1
#endif
#define FAKE_EXPORT __attribute__((visibility("default")))

static int fake_mode;
FAKE_EXPORT void fake_multi_set_mode(int mode) { fake_mode = mode; }

typedef struct {
  void *allocated, *aligned;
  int64_t offset, sizes[2], strides[2];
} desc2;
typedef struct {
  void *allocated, *aligned;
  int64_t offset, sizes[1], strides[1];
} desc1;
typedef struct {
  void *allocated, *aligned;
  int64_t offset;
} desc0;

static void invoke(void **args) {
  char *area = (char *)args[0];
  desc1 *rowsum = (desc1 *)area;
  desc2 *positive = (desc2 *)(area + sizeof(desc1));
  desc0 *count = (desc0 *)(area + sizeof(desc1) + sizeof(desc2));
  const desc2 *a = (const desc2 *)args[1];
  const int64_t rows = a->sizes[0], cols = a->sizes[1];
  const int32_t *av = (const int32_t *)a->aligned + a->offset;

  const int64_t nrows = fake_mode == 1 ? 3 : rows;
  int64_t *rs = (int64_t *)fake_alloc((size_t)nrows * sizeof(int64_t));
  char *pos_alloc = (char *)fake_alloc(16 + 3 + (size_t)(rows * cols));
  int64_t *cnt = (int64_t *)fake_alloc(sizeof(int64_t));
  unsigned char *pos = (unsigned char *)pos_alloc + 16;
  *cnt = 0;
  for (int64_t r = 0; r < nrows; ++r)
    rs[r] = 0;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      int32_t v = av[r * cols + c];
      rs[r] += v;
      pos[3 + c * rows + r] = v > 0; /* column-major */
      *cnt += v > 0;
    }
  rowsum->allocated = rowsum->aligned = rs;
  rowsum->offset = 0;
  rowsum->sizes[0] = nrows;
  rowsum->strides[0] = 1;
  positive->allocated = pos_alloc;
  positive->aligned = pos;
  positive->offset = 3;
  positive->sizes[0] = rows;
  positive->sizes[1] = cols;
  positive->strides[0] = 1;
  positive->strides[1] = rows;
  count->allocated = count->aligned = cnt;
  count->offset = 0;
}

static const int64_t a_dims[2] = {2, -1};
static const int64_t rowsum_dims[1] = {2};
static const kiln_abi_tensor inputs[1] = {{"a", 6 /* INT32 */, 2, a_dims}};
static const kiln_abi_tensor outputs[3] = {
    {"rowsum", 7 /* INT64 */, 1, rowsum_dims},
    {"positive", 9 /* BOOL */, 2, a_dims},
    {"count", 7, 0, 0},
};
static const kiln_abi_model model = {
    KILN_ABI_VERSION, 1, 3, 0, "fake_multi", inputs, outputs, invoke, NULL,
};

FAKE_EXPORT const kiln_abi_model *FAKE_MULTI_ABI_FN(void) { return &model; }
