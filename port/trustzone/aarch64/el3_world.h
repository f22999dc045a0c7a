/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The EL3 world switch on every CPU: each CPU has a normal-world and a secure-world context (general registers,
 * the return state, and the EL1 system registers both worlds share on a core without EL2), saved and restored by
 * EL3 on that CPU only. An image using it installs el3_world_vectors (el3_switch.S) as VBAR_EL3 on each CPU; they
 * save the trapping world's x0..x30 into a frame on the CPU's EL3 stack and call el3_world_trap(), which
 * dispatches as described below; the image (el3_smp.c: the bare-metal SMP image) boots each CPU with
 * el3_world_boot() and answers what EL3 serves itself (PSCI) in el3_world_ns_smc().
 *
 * Not switched: FP/SIMD registers (the secure side is built with -mgeneral-regs-only and never touches them, so
 * the normal world's stay as they were), the timers (the secure side uses only the secure physical timer, the
 * normal world the EL1 physical one), and ICC_PMR_EL1 (both set 0xff; a normal-world write cannot reach the
 * secure half of the priority range, so it cannot mask the secure timer). A secure side that uses FP/SIMD or
 * the EL1 timers needs them added here.
 */
#ifndef TZ_EL3_WORLD_H
#define TZ_EL3_WORLD_H

#include <stdint.h>

#define EL3_WORLD_NS 0u
#define EL3_WORLD_S 1u
#define EL3_WORLD_SYSREGS 23u

/* SCR_EL3 per world. Normal world: NS, RES1 (bits 4, 5), RW (EL1 is AArch64), ST (S-EL1 may use the secure
 * timer), FIQ (bit 2): Group 0 interrupts, signalled as FIQ, are taken to EL3 wherever the normal world is, so
 * the secure world gets them even while the normal world masks its interrupts; IRQ (Group 1 non-secure) stays
 * with NS-EL1. Secure world: FIQ stays at S-EL1 (its own timer, and a pending normal-world interrupt, which the
 * GIC signals to the secure state as FIQ). */
#define EL3_SCR_NS 0xc35u
#define EL3_SCR_S 0xc30u

struct el3_world {
    uint64_t x[31];
    uint64_t elr, spsr;
    uint64_t sys[EL3_WORLD_SYSREGS];
};

/* What the normal world of a CPU waits for while its secure world runs: its first entry, the answer to a call
 * (results into x0..x3), or the end of an interrupt event (resumed untouched). */
enum { EL3_WAIT_NONE, EL3_WAIT_BOOT, EL3_WAIT_CALL, EL3_WAIT_FIQ };

struct el3_cpu {
    struct el3_world w[2];
    unsigned cur;     /* the world this CPU runs (or returns to) */
    unsigned ns_wait; /* EL3_WAIT_* */
};

extern struct el3_cpu el3_cpus[];

/* The vectors (el3_switch.S) and their C handler. kind: 0 synchronous (an SMC), 1 FIQ, both from a lower EL.
 * The dispatch (tz_smp.h): a FIQ while the normal world runs goes to the secure world of the same CPU as
 * TZ_SMP_EV_FIQ; an SMC from the normal world goes to the image's el3_world_ns_smc() first (the calls EL3
 * answers itself, PSCI), then, if it is an SMC32 Trusted OS call, to the secure world of the same CPU as
 * TZ_SMP_EV_CALL (ID in x1, arguments cut to 32 bits in x2..x7), and is otherwise answered "unknown"; the
 * secure world's only SMC is TZ_SMP_SP_RETURN, which goes back to the normal world (x1..x4 into its x0..x3 if it
 * was waiting for a call). */
extern const char el3_world_vectors[];
void el3_world_trap(uint64_t *frame, uint64_t kind);
/* Per image: answers an SMC of the normal world that EL3 serves itself (frame[0..3] = results); returns 1 if it
 * did, 0 to let el3_world_trap() dispatch it. */
int el3_world_ns_smc(uint64_t *frame);
/* This CPU's first entry: the secure world at s_entry (x0 = cpu) for its per-CPU set-up, then, when it returns,
 * the normal world at ns_entry (x0 = ns_context). */
void el3_world_boot(unsigned cpu, uint64_t ns_entry, uint64_t ns_context, uint64_t s_entry)
    __attribute__((noreturn));
/* Loads x0..x30 from x[] and erets (ELR_EL3, SPSR_EL3, SCR_EL3 and the EL1 registers are already set). */
void el3_world_eret(const uint64_t *x) __attribute__((noreturn));

/* Prepares world w of this CPU to start at entry at EL1h with every exception masked, x0 = arg, the EL1 system
 * registers at their reset-like values (MMU off). */
void el3_world_prepare(struct el3_cpu *c, unsigned w, uint64_t entry, uint64_t arg);
/* The world switch, inside el3_world_trap: saves the trapping world (frame, ELR/SPSR_EL3, EL1 registers) into
 * its context, makes world `to` current (its EL1 registers, SCR_EL3, ELR/SPSR_EL3) and copies its registers into
 * the frame, which the vector then restores. */
void el3_world_switch(struct el3_cpu *c, uint64_t *frame, unsigned to);
/* Enters this CPU's current world from EL3 outside a trap (its first entry). */
void el3_world_enter(struct el3_cpu *c) __attribute__((noreturn));

#endif /* TZ_EL3_WORLD_H */
