/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The normal-world client, independent of the CPU architecture. It stands in for a Linux driver and is written the
 * way one would be: allocate and lay out the region, translate its virtual address to the physical one, register
 * it by SMC, open side A of each lane, move messages with a doorbell only when the secure side waits, sleep (wfi)
 * otherwise. The hostile variant attacks the secure side instead (bad registrations, then a scribbled ring); the
 * restart variant restarts its client twice without unregistering and takes over; the smcfuzz variant throws
 * tens of thousands of adversarial SMCs at it before it registers for good.
 */
#ifndef TZ_NORMAL_H
#define TZ_NORMAL_H

#include <stdint.h>

/* ---- provided by the architecture for the normal world --------------------------------------------------- */
/* SMC32 call: fid and a[0..5] in w0..w6 / r0..r6; r[0..3] from w0..w3. */
void tz_ns_smc(uint32_t fid, const uint32_t a[6], uint32_t r[4]);
/* The same with whole registers x0..x6 (AArch64: the upper halves as given, to show they are ignored or refused;
 * ARMv7: registers are 32 bits, the upper halves are dropped). r[0..3] from w0..w3. */
void tz_ns_smc_raw(const uint64_t x[7], uint32_t r[4]);
/* Physical address of a mapped virtual address (address translation instruction). */
uint64_t tz_ns_va_to_pa(const void *va);
/* Rings the secure side (ARMv7: an SMC; AArch64: an SGI to the secure CPU). */
void tz_ns_ring_secure(void *ctx);
/* Tries one 32-bit read (write = 0) or write of addr; returns 1 if the access aborted, 0 if it went through. */
int tz_ns_probe(uintptr_t addr, int write);
extern const char tz_ns_arch_name[];

/* ---- provided by tz_normal.c ----------------------------------------------------------------------------- */
/* Generation of the current registration (what REGISTER returned), 0 for none; the ARMv7 doorbell SMC passes it. */
extern uint32_t tz_ns_gen;
/* Runs the client; mode is TZ_MODE_TRAFFIC or TZ_MODE_HOSTILE. Does not return. */
void tz_ns_main(uint32_t mode) __attribute__((noreturn));
/* Interrupt accounting, from the normal world's interrupt handler. */
void tz_ns_tick(void);
void tz_ns_doorbell_irq(void);

#endif /* TZ_NORMAL_H */
