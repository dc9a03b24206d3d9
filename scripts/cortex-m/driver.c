/* Runs a model from kiln-compile --target=c --name=model on the images in
 * images.bin (float32, MODEL_INPUTS_0_SIZE per image) and writes its outputs
 * to outputs.bin (float32, MODEL_OUTPUTS_0_SIZE per image).  Built for the
 * host and, with -DKILN_CORTEX_M and startup.c, for QEMU's Cortex-M boards
 * (the files are the host's, through semihosting).  On Cortex-M it also
 * reports the SysTick ticks (core clock) per inference and the stack the model
 * used (by painting it).  scripts/run-cortex-m.sh drives it. */
#include "model.h"

#include <stdint.h>
#include <stdio.h>

#if MODEL_NUM_INPUTS != 1 || MODEL_NUM_OUTPUTS != 1
#error "the driver runs models with one input and one output"
#endif

static uint64_t arena[(MODEL_ARENA_BYTES + 7) / 8 + 1];
static float input[MODEL_INPUTS_0_SIZE];
static float output[MODEL_OUTPUTS_0_SIZE];

#ifdef KILN_CORTEX_M
uint64_t kiln_cycles(void);
/* Words painted below the caller's stack pointer before the first run. */
#define PAINT_WORDS (96u * 1024u / 4u)
#define PAINT 0xDEADBEEFu

static uint32_t *paint_stack(void) {
  uint32_t *sp;
  uint32_t i;
  __asm__ volatile("mov %0, sp" : "=r"(sp));
  for (i = 16; i < 16 + PAINT_WORDS; i++)
    sp[-(int32_t)i] = PAINT;
  return sp;
}

static uint32_t stack_used(const uint32_t *sp) {
  uint32_t i;
  for (i = 16 + PAINT_WORDS - 1; i >= 16; i--)
    if (sp[-(int32_t)i] != PAINT)
      return i * 4u;
  return 0;
}
#endif

int main(void) {
  FILE *in = fopen("images.bin", "rb");
  FILE *out = fopen("outputs.bin", "wb");
  unsigned n = 0;
#ifdef KILN_CORTEX_M
  uint64_t cycles = 0;
  uint32_t stack = 0;
#endif
  if (!in || !out) {
    printf("error: cannot open images.bin or outputs.bin\n");
    return 1;
  }
  while (fread(input, sizeof(float), MODEL_INPUTS_0_SIZE, in) == MODEL_INPUTS_0_SIZE) {
#ifdef KILN_CORTEX_M
    if (n == 0) {
      const uint32_t *sp = paint_stack();
      uint64_t t0 = kiln_cycles();
      model_run(input, output, arena);
      cycles += kiln_cycles() - t0;
      stack = stack_used(sp);
    } else {
      uint64_t t0 = kiln_cycles();
      model_run(input, output, arena);
      cycles += kiln_cycles() - t0;
    }
#else
    model_run(input, output, arena);
#endif
    if (fwrite(output, sizeof(float), MODEL_OUTPUTS_0_SIZE, out) != MODEL_OUTPUTS_0_SIZE) {
      printf("error: cannot write outputs.bin\n");
      return 1;
    }
    n++;
  }
  fclose(in);
  fclose(out);
  printf("images: %u\n", n);
#ifdef KILN_CORTEX_M
  if (n)
    printf("systick ticks per inference: %lu\n", (unsigned long)(cycles / n));
  printf("stack bytes: %lu\n", (unsigned long)stack);
#endif
  printf("arena bytes: %lu\n", (unsigned long)MODEL_ARENA_BYTES);
  return 0;
}
