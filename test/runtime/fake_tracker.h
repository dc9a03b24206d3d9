// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
/* Bookkeeping of the buffers the fake models hand to the runtime.  The test
 * executable wraps free() (-Wl,--wrap=free) and untracks every freed
 * pointer, so fake_outstanding() == 0 proves that nothing leaked. */
#ifndef FAKE_TRACKER_H
#define FAKE_TRACKER_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif
void *fake_alloc(size_t bytes);
void fake_untrack(void *ptr);
int fake_outstanding(void);
#ifdef __cplusplus
}
#endif
#endif
