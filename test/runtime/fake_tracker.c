/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
#include "fake_tracker.h"

#include <pthread.h>
#include <stdlib.h>

#define FAKE_MAX_LIVE 4096
static pthread_mutex_t fake_mu = PTHREAD_MUTEX_INITIALIZER;
static void *fake_live[FAKE_MAX_LIVE];
static int fake_count;

void *fake_alloc(size_t bytes) {
  void *p = malloc(bytes ? bytes : 1);
  if (!p)
    return NULL;
  pthread_mutex_lock(&fake_mu);
  if (fake_count < FAKE_MAX_LIVE)
    fake_live[fake_count++] = p;
  pthread_mutex_unlock(&fake_mu);
  return p;
}

void fake_untrack(void *ptr) {
  if (!ptr)
    return;
  pthread_mutex_lock(&fake_mu);
  for (int i = 0; i < fake_count; ++i)
    if (fake_live[i] == ptr) {
      fake_live[i] = fake_live[--fake_count];
      break;
    }
  pthread_mutex_unlock(&fake_mu);
}

int fake_outstanding(void) {
  pthread_mutex_lock(&fake_mu);
  int n = fake_count;
  pthread_mutex_unlock(&fake_mu);
  return n;
}
