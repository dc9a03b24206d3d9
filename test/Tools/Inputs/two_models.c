/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* Links two static model libraries (two-models.test) and runs both through
 * their typed entry points: no dtype, rank or shape bookkeeping. */
#include <stdio.h>

#include "libpick.h"
#include "libscale.h"

int main(void) {
  float x[SCALE_INPUTS_0_SIZE] = {0, 1, 2, 3, 4, 5};
  float y[SCALE_OUTPUTS_0_SIZE];
  scale_inputs sin = {.x = x};
  scale_outputs sout = {.y = y};
  if (scale_run(&sin, &sout) != KILN_OK) {
    printf("scale error: %s\n", kiln_last_error());
    return 1;
  }
  printf("scale y:");
  for (int i = 0; i < SCALE_OUTPUTS_0_SIZE; ++i)
    printf(" %g", y[i]);
  printf("\n");

  /* "relu/out" into a caller buffer; "arg" allocated by the runtime. */
  float v[PICKER_INPUTS_0_SIZE] = {-1.5f, 3.0f, 7.25f, -4.0f};
  float relu[PICKER_OUTPUTS_0_SIZE];
  picker_inputs pin = {.input_1 = v};
  picker_outputs pout = {.relu_out = relu, .arg = NULL};
  if (picker_run(&pin, &pout) != KILN_OK) {
    printf("picker error: %s\n", kiln_last_error());
    return 1;
  }
  printf("picker relu/out: %g %g %g %g\n", relu[0], relu[1], relu[2], relu[3]);
  printf("picker arg: %lld (rank %d, runtime buffer: %s)\n", (long long)pout.arg[0],
         PICKER_OUTPUTS_1_RANK, pout.arg ? "yes" : "no");
  kiln_free(pout.arg);

  /* Both descriptors, through the prefixed symbols. */
  kiln_model *a, *b;
  if (kiln_model_from_abi(scale_kiln_model_abi_v1(), &a) != KILN_OK ||
      kiln_model_from_abi(picker_kiln_model_abi_v1(), &b) != KILN_OK) {
    printf("error: %s\n", kiln_last_error());
    return 1;
  }
  printf("models: %s (%d in, %d out), %s (%d in, %d out)\n", kiln_model_name(a),
         kiln_model_num_inputs(a), kiln_model_num_outputs(a), kiln_model_name(b),
         kiln_model_num_inputs(b), kiln_model_num_outputs(b));
  kiln_model_free(a);
  kiln_model_free(b);
  /* The unprefixed shorthands belong to the first header included. */
  printf("shorthands: %s, %d inputs\n", KILN_MODEL_SHORTHANDS, KILN_MODEL_NUM_INPUTS);
  return 0;
}
