// SPDX-License-Identifier: BSD-2-Clause
/* The AArch64 bare-metal normal worlds' platform side (common/tz_plat.h), shared by the two-core images' normal
 * world (ns_arch.c) and the SMP image's (ns_smp.c): counter, IRQ mask (FIQs stay with the secure world), UART0. */
#include <stdint.h>
#include "a64.h"
#include "../common/tz_board.h"
#include "../common/tz_plat.h"

uint64_t tz_arch_now(void) { return a64_now(); }
uint64_t tz_arch_freq(void) { return SYSREG_R(cntfrq_el0); }
void tz_arch_irq_off(void) { __asm__ volatile("msr daifset, #2" ::: "memory"); }
void tz_arch_irq_on(void) { __asm__ volatile("msr daifclr, #2" ::: "memory"); }
void tz_arch_wfi(void) { __asm__ volatile("dsb sy; wfi" ::: "memory"); }
void tz_arch_exit(int status) { a64_semihost_exit(status); }
void tz_arch_putc(char c) { a64_pl011_putc(TZ_UART0_BASE, c); }
