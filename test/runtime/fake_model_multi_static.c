/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* fake_model_multi for static linking next to fake_model_add: the metadata
 * getter is renamed so that only fake_model_add defines kiln_model_abi_v1. */
#define FAKE_MULTI_ABI_FN fake_multi_abi
#include "fake_model_multi.c"
