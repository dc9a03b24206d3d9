/* Startup for QEMU's MPS2 boards (mps2-an386: Cortex-M4F, mps2-an500:
 * Cortex-M7), used by scripts/run-cortex-m.sh.  The vector table holds the
 * stack top, the reset handler and the SysTick handler; reset enables the
 * FPU and starts newlib's _start (rdimon.specs: semihosting, so stdio and
 * files reach the host), which calls main().  SysTick counts the core clock
 * for kiln_cycles(). */
#include <stdint.h>

extern uint32_t __stack_top;
extern void _start(void);

static volatile uint32_t systick_wraps;

#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

void kiln_reset(void) {
  SCB_CPACR |= 0xFu << 20; /* CP10 and CP11: full access to the FPU */
  __asm volatile("dsb\n\tisb" ::: "memory");
  SYST_RVR = 0xFFFFFFu;
  SYST_CVR = 0;
  SYST_CSR = 7u; /* core clock, interrupt on wrap, enabled */
  _start();
  for (;;) {
  }
}

void kiln_systick(void) { systick_wraps++; }

static void kiln_fault(void) {
  for (;;) {
  }
}

/* Core clock cycles since reset (SysTick: 24 bits, counting down). */
uint64_t kiln_cycles(void) {
  uint32_t wraps, value;
  do {
    wraps = systick_wraps;
    value = SYST_CVR;
  } while (wraps != systick_wraps);
  return (uint64_t)wraps * 0x1000000u + (0xFFFFFFu - value);
}

__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))&__stack_top, kiln_reset, kiln_fault, kiln_fault, kiln_fault, kiln_fault,
    kiln_fault, 0, 0, 0, 0, kiln_fault, kiln_fault, 0, kiln_fault, kiln_systick};
