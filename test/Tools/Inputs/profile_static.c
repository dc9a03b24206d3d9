/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* Links a static model library compiled with kiln-compile --profile,
 * attaches its profile (kiln_model_attach_profile), runs it twice on zeros
 * and prints every profile entry: "<op type> <node> <calls> <ns > 0>". */
#include <kiln/runtime.h>
#include <stdio.h>

#include "libprofstatic.h"

int main(void) {
  kiln_model *m;
  if (kiln_model_from_abi(kiln_model_abi_v1(), &m) != KILN_OK ||
      kiln_model_attach_profile(m, kiln_model_profile_v1()) != KILN_OK) {
    printf("error: %s\n", kiln_last_error());
    return 1;
  }
  static float x[KILN_MODEL_INPUTS_0_DIM_1 * KILN_MODEL_INPUTS_0_DIM_2 *
                 KILN_MODEL_INPUTS_0_DIM_3];
  kiln_tensor in = {.data = x, .size_bytes = sizeof x, .dtype = KILN_DTYPE_FLOAT,
                    .rank = 4, .dims = {1, KILN_MODEL_INPUTS_0_DIM_1,
                                        KILN_MODEL_INPUTS_0_DIM_2,
                                        KILN_MODEL_INPUTS_0_DIM_3}};
  for (int r = 0; r < 2; ++r) {
    kiln_tensor out = {0};
    if (kiln_model_run(m, &in, 1, &out, 1) != KILN_OK) {
      printf("error: %s\n", kiln_last_error());
      return 1;
    }
    kiln_free(out.data);
  }
  int32_t n = 0;
  kiln_model_profile_count(m, &n);
  unsigned long long total = 0;
  for (int32_t i = 0; i < n; ++i) {
    kiln_profile_entry e;
    kiln_model_profile_entry(m, i, &e);
    total += e.ns;
    printf("%s %s %llu\n", e.op_type, e.name, (unsigned long long)e.calls);
  }
  printf("%d entries, time recorded: %s\n", (int)n, total > 0 ? "yes" : "no");
  kiln_model_free(m);
  return 0;
}
