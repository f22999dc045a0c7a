/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The parts of the EL3 monitor that every AArch64 firmware image shares (el3.c for the bare-metal images,
 * port/trustzone/linux/el3_linux.c for the one that boots Linux): the EL3 translation tables and MMU,
 * CPU1's path into the secure payload at S-EL1, cutting SMC arguments to SMC32, and forwarding a Trusted OS call
 * to the payload through the secure mailbox. Each image supplies el3_main_cpu0(), el3_main_secondary(), el3_smc()
 * and el3_cpu_init().
 */
#ifndef TZ_EL3_COMMON_H
#define TZ_EL3_COMMON_H

#include <stdint.h>

/* CPUs with an EL3 stack (start.S: MAX_CPUS): CPU0, CPU1 (the payload's) and CPUs 2 .. EL3_MAX_CPUS-1. */
#define EL3_MAX_CPUS 4u

void tz_pen_release(void);
void el3_main_cpu0(void) __attribute__((noreturn));
void el3_main_cpu1(void) __attribute__((noreturn));
/* Per image: where CPUs 2 .. EL3_MAX_CPUS-1 go once released from the pen (park, or wait for PSCI CPU_ON). */
void el3_main_secondary(unsigned cpu) __attribute__((noreturn));
/* start.S: the calling CPU starts over in el3_main_secondary() on a fresh EL3 stack (PSCI CPU_OFF). */
void el3_secondary_restart(void) __attribute__((noreturn));
void el3_smc(uint64_t *regs);
void el3_unexpected(uint64_t vec, uint64_t esr, uint64_t elr, uint64_t far) __attribute__((noreturn));

/* Per image: this CPU's EL3 system-register setup (GIC system registers, traps), run on both CPUs after the MMU
 * is on. */
void el3_cpu_init(void);

/* CPU0: builds the EL3 translation tables (secure flash, secure RAM, GIC and UART) and turns the MMU on. */
void el3_mmu_setup(void);
/* Every other CPU: turns its EL3 MMU on with the tables CPU0 built (before it touches shared secure data). */
void el3_mmu_on(void);

/* Waits (wfe, 5 s timeout) until the secure payload on CPU1 reports that it is up; panics otherwise. */
void el3_wait_payload(void);

/* Cuts an SMC's arguments to SMC32 (low 32 bits of x1..x6) into fid and a[]; returns nonzero when the call is a
 * valid SMC32 call (upper half of x0 clear, SMC64 bit clear). */
int el3_smc32_args(const uint64_t *regs, uint32_t *fid, uint32_t a[6]);

/* Writes the four results back to x0..x3. */
void el3_smc_return(uint64_t *regs, const uint32_t r[4]);

/* Forwards one call to the payload on CPU1 and waits (wfe, 5 s timeout) for its answer; SMCCC's "unknown" on
 * timeout. Any CPU may call it: calls from several CPUs take turns on the one mailbox (an EL3 lock, held with
 * interrupts masked, never by the payload). */
void el3_forward(uint32_t fid, const uint32_t a[6], uint32_t r[4]);

#endif
