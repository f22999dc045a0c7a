/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The runtime of a secure payload that runs at S-EL1 on every CPU and is entered by the CPU that calls
 * (el3_world.h: the monitor's per-CPU world switch): the way back to the normal world (an SMC that parks this
 * CPU's secure execution until the next event), this CPU's secure timer and FIQ handler, the note that a
 * normal-world interrupt is pending, and the yielding-call protocol of tz_smp.h (TZ_SMP_PREEMPTED answered from
 * inside a call, TZ_SMP_RESUME continuing it). A service (the SMP image's test service, sp_smp.c) supplies what
 * the calls and timer events do. Everything here is per CPU and touched only by that CPU.
 */
#ifndef TZ_SP_PERCPU_H
#define TZ_SP_PERCPU_H

#include <stdbool.h>
#include <stdint.h>

#define SP_PERCPU_MAX 4u

struct sp_percpu_service {
    /* A call from the normal world of `cpu` (ID and arguments cut to 32 bits by the monitor); fills r[0..3]. Runs
     * with FIQ masked; a yielding call may unmask it around its work and call sp_percpu_preempt() when
     * sp_percpu_ns_pending() says so. TZ_SMP_RESUME never comes here. */
    void (*call)(unsigned cpu, uint32_t fid, const uint32_t a[6], uint32_t r[4]);
    /* The secure timer of `cpu` fired (called from the FIQ handler, timer re-armed); from_ns: it stopped the
     * normal world, which the monitor then handed to us (TZ_SMP_EV_FIQ). */
    void (*tick)(unsigned cpu, bool from_ns);
    /* After such an event, when no call of this CPU is preempted and no normal-world interrupt is pending: the
     * service may do work (FIQ masked on entry, as for a call). */
    void (*event)(unsigned cpu);
};

struct sp_percpu_stats {
    uint64_t preempted;          /* TZ_SMP_PREEMPTED answers */
    uint64_t resumed;            /* calls continued by TZ_SMP_RESUME */
    uint64_t resumes_of_nothing; /* TZ_SMP_RESUME with nothing preempted (answered TZ_SMP_ENOTPREEMPTED) */
    uint64_t events;             /* secure interrupts that stopped the normal world */
};

/* Starts this CPU's secure physical timer with a period of `period` counter ticks. */
void sp_percpu_timer_start(uint64_t period);
/* Serves this CPU's events for ever, starting with the return to the monitor that ends its boot entry. */
void sp_percpu_run(unsigned cpu, const struct sp_percpu_service *s) __attribute__((noreturn));
/* A normal-world interrupt is pending on this CPU (noted by the FIQ handler, which then left FIQ masked). */
bool sp_percpu_ns_pending(void);
/* From inside a yielding call: answers TZ_SMP_PREEMPTED and serves this CPU's events (timer events: tick only;
 * other calls: the service, with sp_percpu_preempted() true) until TZ_SMP_RESUME, then returns, FIQ masked. */
void sp_percpu_preempt(void);
bool sp_percpu_preempted(void);
/* Raises the normal world's doorbell (Group 1 non-secure SGI TZ_IRQ_SGI_TO_NORMAL to this CPU) when this CPU
 * next returns to the normal world: raised earlier it would itself count as a pending normal-world interrupt. */
void sp_percpu_ring_ns(void);
/* Whether a call of `cpu` is preempted (waits for TZ_SMP_RESUME). Read by EL3 on that same CPU, while its normal
 * world runs (PSCI CPU_OFF is refused then: the call's state lives on that CPU's secure stack). */
bool sp_percpu_busy(unsigned cpu);
/* This CPU's counters (read by another CPU only after that CPU published them, e.g. by a release store). */
void sp_percpu_get_stats(unsigned cpu, struct sp_percpu_stats *st);

#endif /* TZ_SP_PERCPU_H */
