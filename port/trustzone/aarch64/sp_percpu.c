/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The per-CPU secure payload runtime (see sp_percpu.h).
 *
 * The payload's execution on a CPU is one thread of control: it returns to the normal world by an SMC
 * (TZ_SMP_SP_RETURN) from wherever it stands, and continues after that SMC when the monitor brings it the next
 * event. A yielding call that stops for a normal-world interrupt therefore answers TZ_SMP_PREEMPTED from the
 * middle of its work and waits right there for TZ_SMP_RESUME: its state stays on this CPU's secure stack,
 * untouched until the resume.
 *
 * How a pending normal-world interrupt is noticed: while the secure world runs, SCR_EL3.FIQ is 0, so the GIC's
 * FIQ reaches S-EL1, for a Group 0 interrupt (the secure timer) and for a Group 1 non-secure one (the GIC signals
 * those to the secure state as FIQ). The FIQ handler acknowledges every Group 0 interrupt; if the FIQ line is
 * still up after that (ISR_EL1.F), what remains is the normal world's: it notes that and returns with FIQ masked.
 */
#include "sp_percpu.h"

#include "a64.h"
#include "../common/tz_board.h"
#include "../common/tz_print.h"
#include "../common/tz_smp.h"

#define DAIF_F (1u << 6)

struct rt {
    const struct sp_percpu_service *svc;
    uint64_t period;
    bool preempted, ring, in_event;
    bool ns_pending; /* set by this CPU's FIQ handler, read by the code it interrupted (atomics, relaxed) */
    struct sp_percpu_stats st;
} __attribute__((aligned(64)));
static struct rt rts[SP_PERCPU_MAX];

void el1_irq(uint64_t fiq, uint64_t *frame);
void el1_sync(uint64_t vec, uint64_t *frame);
void el1_unexpected(uint64_t vec, uint64_t esr, uint64_t elr, uint64_t far) __attribute__((noreturn));

static unsigned cpu_id(void) { return a64_cpu() % SP_PERCPU_MAX; }

static void timer_arm(struct rt *t)
{
    SYSREG_W(CNTPS_TVAL_EL1, t->period);
    SYSREG_W(CNTPS_CTL_EL1, 1u);
}

void sp_percpu_timer_start(uint64_t period)
{
    struct rt *t = &rts[cpu_id()];
    t->period = period;
    timer_arm(t);
}

void el1_irq(uint64_t fiq, uint64_t *frame)
{
    unsigned cpu = cpu_id();
    struct rt *t = &rts[cpu];
    (void)fiq;
    for (;;) {
        uint64_t id = SYSREG_R(ICC_IAR0_EL1) & 0xffffffu;
        if (id >= 1020u)
            break;
        if (id == TZ_IRQ_SEC_TIMER) {
            timer_arm(t);
            if (t->svc)
                t->svc->tick(cpu, t->in_event);
        }
        SYSREG_W(ICC_EOIR0_EL1, id);
    }
    ISB();
    /* Every Group 0 interrupt is acknowledged: a FIQ still pending is a normal-world one. Note it and return
     * with FIQ masked (saved SPSR, frame word 21); the interrupted call looks at the note at its next step.
     * mutant: not noting it (or not masking) makes every drain run to its end: no TZ_SMP_PREEMPTED, and the
     * SMP verdict's "preempted > 0" fails */
    if (SYSREG_R(isr_el1) & DAIF_F) {
        /* relaxed: read by the interrupted code on this same CPU, which sees its own CPU's writes in order */
        __atomic_store_n(&t->ns_pending, true, __ATOMIC_RELAXED);
        frame[21] |= DAIF_F;
    }
}

void el1_sync(uint64_t vec, uint64_t *frame)
{
    (void)frame;
    el1_unexpected(vec, SYSREG_R(esr_el1), SYSREG_R(elr_el1), SYSREG_R(far_el1));
}

void el1_unexpected(uint64_t vec, uint64_t esr, uint64_t elr, uint64_t far)
{
    tz_panic("S-EL1 exception on CPU%u, vector %llu, ESR %#llx, ELR %#llx, FAR %#llx", a64_cpu(),
             (unsigned long long)vec, (unsigned long long)esr, (unsigned long long)elr, (unsigned long long)far);
}

bool sp_percpu_ns_pending(void)
{
    return __atomic_load_n(&rts[cpu_id()].ns_pending, __ATOMIC_RELAXED); /* relaxed: see el1_irq */
}
bool sp_percpu_preempted(void) { return rts[cpu_id()].preempted; }
void sp_percpu_ring_ns(void) { rts[cpu_id()].ring = true; }

bool sp_percpu_busy(unsigned cpu)
{
    return rts[cpu % SP_PERCPU_MAX].preempted; /* plain: written and read on the same CPU only */
}

void sp_percpu_get_stats(unsigned cpu, struct sp_percpu_stats *st)
{
    *st = rts[cpu % SP_PERCPU_MAX].st;
}

/* Returns r[0..3] to the normal world of this CPU (or resumes it after an interrupt event) and waits for the next
 * event: ev[0] = TZ_SMP_EV_*, ev[1] = the call's ID, ev[2..7] = its arguments. FIQ is masked. */
static void sp_return(struct rt *t, const uint32_t r[4], uint64_t ev[8])
{
    register uint64_t x0 __asm__("x0") = TZ_SMP_SP_RETURN;
    register uint64_t x1 __asm__("x1") = r[0], x2 __asm__("x2") = r[1], x3 __asm__("x3") = r[2];
    register uint64_t x4 __asm__("x4") = r[3], x5 __asm__("x5") = 0, x6 __asm__("x6") = 0, x7 __asm__("x7") = 0;

    if (t->ring) {
        t->ring = false;
        DSB(ish); /* the published indices are visible before the interrupt can be */
        SYSREG_W(ICC_ASGI1R_EL1, a64_sgi_value(TZ_IRQ_SGI_TO_NORMAL, a64_cpu()));
        ISB();
    }
    __atomic_store_n(&t->ns_pending, false, __ATOMIC_RELAXED); /* FIQ masked: no handler runs meanwhile; the normal
                                                                 * world takes the interrupt now */
    __asm__ volatile("smc #0"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5), "+r"(x6), "+r"(x7)
                     :
                     : "memory");
    ev[0] = x0;
    ev[1] = x1;
    ev[2] = x2;
    ev[3] = x3;
    ev[4] = x4;
    ev[5] = x5;
    ev[6] = x6;
    ev[7] = x7;
}

/* A secure interrupt stopped the normal world of this CPU: take it here (FIQ unmasked for a moment), then let the
 * service work if it may. */
static void fiq_event(struct rt *t, unsigned cpu)
{
    t->st.events++;
    t->in_event = true;
    __asm__ volatile("msr daifclr, #1; isb; msr daifset, #1" ::: "memory");
    t->in_event = false;
    if (!t->preempted && !__atomic_load_n(&t->ns_pending, __ATOMIC_RELAXED)) /* relaxed: see el1_irq */
        t->svc->event(cpu);
}

/* One event other than TZ_SMP_RESUME, in r[] the answer if it was a call. */
static void dispatch(struct rt *t, unsigned cpu, const uint64_t ev[8], uint32_t r[4])
{
    uint32_t a[6] = {(uint32_t)ev[2], (uint32_t)ev[3], (uint32_t)ev[4], (uint32_t)ev[5], (uint32_t)ev[6],
                     (uint32_t)ev[7]};
    r[0] = r[1] = r[2] = r[3] = 0;
    if (ev[0] == TZ_SMP_EV_FIQ) {
        fiq_event(t, cpu);
    } else if ((uint32_t)ev[1] == TZ_SMP_RESUME) {
        t->st.resumes_of_nothing++; /* a resume that reaches here has nothing to resume (sp_percpu_preempt
                                     * takes the real ones) */
        r[0] = (uint32_t)TZ_SMP_ENOTPREEMPTED;
    } else {
        t->svc->call(cpu, (uint32_t)ev[1], a, r);
    }
}

void sp_percpu_preempt(void)
{
    unsigned cpu = cpu_id();
    struct rt *t = &rts[cpu];
    uint32_t r[4] = {(uint32_t)TZ_SMP_PREEMPTED, 0, 0, 0};
    uint64_t ev[8];

    __asm__ volatile("msr daifset, #1" ::: "memory");
    t->preempted = true;
    t->st.preempted++;
    for (;;) {
        sp_return(t, r, ev);
        if (ev[0] == TZ_SMP_EV_CALL && (uint32_t)ev[1] == TZ_SMP_RESUME)
            break;
        dispatch(t, cpu, ev, r); /* timer events only tick (preempted); other calls see sp_percpu_preempted() */
    }
    t->preempted = false;
    t->st.resumed++;
}

void sp_percpu_run(unsigned cpu, const struct sp_percpu_service *s)
{
    struct rt *t = &rts[cpu % SP_PERCPU_MAX];
    uint32_t r[4] = {0, 0, 0, 0};
    uint64_t ev[8];

    t->svc = s;
    for (;;) {
        sp_return(t, r, ev);
        dispatch(t, cpu, ev, r);
    }
}
