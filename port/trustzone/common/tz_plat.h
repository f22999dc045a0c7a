/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the common bare-metal code (print, traffic, secure payload, normal-world client) needs from the CPU
 * architecture of the image it is linked into. Each image (secure or normal, ARMv7 or AArch64) provides these once;
 * the secure and normal images are linked separately, so the same names mean "this world's" timer, interrupts, MMU.
 */
#ifndef TZ_PLAT_H
#define TZ_PLAT_H

#include <stdint.h>

/* Free-running system counter (CNTPCT) and its frequency (CNTFRQ). */
uint64_t tz_arch_now(void);
uint64_t tz_arch_freq(void);

/* Mask / unmask the interrupt class this world's handlers take (IRQ or FIQ). */
void tz_arch_irq_off(void);
void tz_arch_irq_on(void);

/* Sleep until an interrupt is pending (taken or not). */
void tz_arch_wfi(void);

/* Ends the emulation with this status through semihosting; on hardware: reset. Never returns. */
void tz_arch_exit(int status) __attribute__((noreturn));

/* Character output on this world's console. */
void tz_arch_putc(char c);

#endif /* TZ_PLAT_H */
