/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* Linked into the runtime test programs with -Wl,--wrap=free: every free()
 * of the program (the statically linked runtime included) lands here, so
 * fake_outstanding() counts the model buffers nobody released. */
#include "fake_tracker.h"

void __real_free(void *ptr);
void __wrap_free(void *ptr);
void __wrap_free(void *ptr) {
  fake_untrack(ptr);
  __real_free(ptr);
}
