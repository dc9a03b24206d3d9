/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* Per-node profiles of libraries compiled with kiln-compile --profile. */
#define _POSIX_C_SOURCE 200809L
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* Guards against garbage metadata. */
#define KILN_MAX_PROFILE_ENTRIES (1 << 24)
#define KILN_MAX_PROFILE_STRING 65536

kiln_status kiln_attach_profile(const char *where, kiln_model *model,
                                const kiln_abi_profile *profile) {
  if (!profile)
    return kiln_set_error(KILN_ERROR_ABI, "%s: profile descriptor is NULL",
                          where);
  if (profile->version < 1 || profile->version > KILN_PROFILE_VERSION)
    return kiln_set_error(KILN_ERROR_ABI,
                          "%s: unsupported profile version %d (this runtime "
                          "supports versions 1 to %d)",
                          where, (int)profile->version, KILN_PROFILE_VERSION);
  if (profile->count < 0 || profile->count > KILN_MAX_PROFILE_ENTRIES)
    return kiln_set_error(KILN_ERROR_ABI, "%s: invalid profile entry count %d",
                          where, (int)profile->count);
  if (profile->count > 0 &&
      (!profile->strings || !profile->ns || !profile->calls ||
       (profile->version >= 2 && !profile->flops)))
    return kiln_set_error(KILN_ERROR_ABI,
                          "%s: profile descriptor has NULL tables", where);
  size_t n = 2 * (size_t)profile->count;
  const char **strings =
      (const char **)calloc(n ? n : 1, sizeof *strings);
  if (!strings)
    return kiln_set_error(KILN_ERROR_OUT_OF_MEMORY,
                          "out of memory reading the model's profile");
  const char *p = profile->strings;
  for (size_t i = 0; i < n; ++i) {
    size_t len = strnlen(p, KILN_MAX_PROFILE_STRING);
    if (len == KILN_MAX_PROFILE_STRING) {
      free(strings);
      return kiln_set_error(KILN_ERROR_ABI,
                            "%s: profile string %zu is not terminated", where,
                            i);
    }
    strings[i] = p;
    p += len + 1;
  }
  free(model->profile_strings);
  model->profile = profile;
  model->profile_strings = strings;
  return KILN_OK;
}

kiln_status kiln_model_attach_profile(kiln_model *model,
                                      const kiln_abi_profile *profile) {
  if (!model)
    return kiln_set_error(KILN_ERROR_INVALID_ARGUMENT,
                          "kiln_model_attach_profile: model is NULL");
  if (!profile)
    return kiln_set_error(KILN_ERROR_INVALID_ARGUMENT,
                          "kiln_model_attach_profile: profile is NULL");
  return kiln_attach_profile("kiln_model_attach_profile", model, profile);
}

int kiln_model_has_profile(const kiln_model *model) {
  if (!model) {
    kiln_set_error(KILN_ERROR_INVALID_ARGUMENT,
                   "kiln_model_has_profile: model is NULL");
    return 0;
  }
  return model->profile ? 1 : 0;
}

static kiln_status need_profile(const char *fn, const kiln_model *model) {
  if (!model)
    return kiln_set_error(KILN_ERROR_INVALID_ARGUMENT, "%s: model is NULL",
                          fn);
  if (!model->profile)
    return kiln_set_error(KILN_ERROR_NO_PROFILE,
                          "%s: model '%s' has no per-node profile: compile it "
                          "with kiln-compile --profile",
                          fn, model->abi->name);
  return KILN_OK;
}

kiln_status kiln_model_profile_count(const kiln_model *model,
                                     int32_t *count) {
  if (count)
    *count = 0;
  kiln_status s = need_profile("kiln_model_profile_count", model);
  if (s != KILN_OK)
    return s;
  if (!count)
    return kiln_set_error(KILN_ERROR_INVALID_ARGUMENT,
                          "kiln_model_profile_count: count is NULL");
  *count = model->profile->count;
  return KILN_OK;
}

kiln_status kiln_model_profile_entry(const kiln_model *model, int32_t index,
                                     kiln_profile_entry *out) {
  kiln_status s = need_profile("kiln_model_profile_entry", model);
  if (s != KILN_OK)
    return s;
  if (!out)
    return kiln_set_error(KILN_ERROR_INVALID_ARGUMENT,
                          "kiln_model_profile_entry: out is NULL");
  const kiln_abi_profile *p = model->profile;
  if (index < 0 || index >= p->count)
    return kiln_set_error(KILN_ERROR_INVALID_ARGUMENT,
                          "kiln_model_profile_entry: index %d out of range: "
                          "the profile has %d entries",
                          (int)index, (int)p->count);
  out->name = model->profile_strings[2 * (size_t)index];
  out->op_type = model->profile_strings[2 * (size_t)index + 1];
  out->ns = __atomic_load_n(&p->ns[index], __ATOMIC_RELAXED);
  out->calls = __atomic_load_n(&p->calls[index], __ATOMIC_RELAXED);
  /* Version 1 descriptors end before the `flops` member. */
  out->flops =
      p->version >= 2 ? __atomic_load_n(&p->flops[index], __ATOMIC_RELAXED) : 0;
  return KILN_OK;
}

kiln_status kiln_model_profile_reset(kiln_model *model) {
  kiln_status s = need_profile("kiln_model_profile_reset", model);
  if (s != KILN_OK)
    return s;
  const kiln_abi_profile *p = model->profile;
  for (int32_t i = 0; i < p->count; ++i) {
    __atomic_store_n(&p->ns[i], 0, __ATOMIC_RELAXED);
    __atomic_store_n(&p->calls[i], 0, __ATOMIC_RELAXED);
    if (p->version >= 2)
      __atomic_store_n(&p->flops[i], 0, __ATOMIC_RELAXED);
  }
  return KILN_OK;
}
