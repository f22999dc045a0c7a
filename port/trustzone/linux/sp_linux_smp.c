/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The secure payload of the firmware for an SMP Linux (tz-linux-smp.bin), S-EL1 on every CPU: the per-CPU runtime
 * aarch64/sp_percpu.c brings each CPU's calls and secure-timer events, and the test service is sp_linux.c's (the
 * same registration, takeover, lanes and verdict as the single-CPU firmware), driven from whichever CPU enters:
 *   - the yielding doorbell (LK_SMC_YDOORBELL, lk_smc.h) serves the lanes on the calling CPU until they wait; when a
 *     normal-world interrupt becomes pending it answers LK_SMC_PREEMPTED and continues at LK_SMC_RESUME;
 *   - this CPU's secure timer, when it stops the normal world (TZ_SMP_EV_FIQ) and no call of this CPU is preempted,
 *     serves the lanes until they wait or a normal-world interrupt is pending (no doorbell can be lost for good:
 *     the timer is the backstop);
 *   - the fast calls (REGISTER, UNREGISTER, STATUS, VERDICT, COLLECT, the fast doorbell, LK_SMC_POWER).
 *
 * One busy word for the service, secure RAM only. The service's state (sp_linux.c: the registration and every
 * lane's endpoint and message state) is touched only by the CPU that holds the word. A server (doorbell or timer)
 * tries once to take it; if another CPU holds it, it sets `again` and leaves: the holder, after releasing, sees
 * `again` and serves another round, so nothing that was rung is left unserved. A holder never returns to the
 * normal world with the word: a round is bounded (each lane moves at most sp_linux.c's STEP_BYTES each way per
 * round) and the word is released before every preemption point. A fast call that needs the service waits for
 * the word, for at most one such round of another CPU's secure side: nothing the normal world controls can hold
 * it longer (the normal world cannot stop a secure CPU: its interrupts only mark themselves pending there).
 */
#include <stdbool.h>
#include <stdint.h>
#include "tz_libc.h"

#include "a64.h"
#include "sp_plat.h"
#include "sp_percpu.h"
#include "tz_board.h"
#include "tz_mmu.h"
#include "tz_plat.h"
#include "tz_print.h"
#include "tz_region.h"
#include "tz_secure.h"
#include "tz_smc.h"
#include "tz_smp.h"
#include "lk_board.h"
#include "lk_smc.h"
#include "sp_linux.h"

_Static_assert(LK_SMC_YDOORBELL == TZ_SMP_DOORBELL && LK_SMC_RESUME == TZ_SMP_RESUME &&
                   LK_SMC_PREEMPTED == TZ_SMP_PREEMPTED && LK_SMC_EBUSY == TZ_SMP_EBUSY &&
                   LK_SMC_ENOTPREEMPTED == TZ_SMP_ENOTPREEMPTED,
               "lk_smc.h names tz_smp.h's yielding calls for the driver");

#define NCPU SP_PERCPU_MAX
#define SEC_TICK_US 10000u /* this CPU's secure timer: 10 ms, the backstop that serves the lanes without a doorbell */

#define REG(a) (*(volatile uint32_t *)(uintptr_t)(a))
#define GICD_ISPENDR 0x0200u

extern const unsigned char __flash_image_end[], __sram_start[], __sram_end[];

const char tz_sp_arch_name[] = "aarch64 smp";
uint64_t tz_sp_image_ranges[4];

static uint64_t tick;
static bool service_up;   /* CPU0's first entry set up the service (before Linux ran anywhere) */
static uint32_t busy;     /* 0, or the holder's CPU + 1 */
static uint32_t again;    /* a server found the word taken: its holder serves another round */
static uint32_t cur_gen;  /* the registration's generation, for the doorbells' check without the word */
static int exit_status = LK_EXIT_NO_VERDICT; /* LK_SMC_VERDICT's status (under the word) */

/* Per CPU, touched by that CPU only (read by the CPU that powers off, once every other CPU is stopped). */
struct sp_cpu_stats {
    uint64_t doorbells, fast_doorbells, rounds, moved, skipped, events, event_moved, calls, ticks, ticks_mid;
    uint64_t served[4]; /* messages in, bytes in, messages out, bytes out that this CPU's rounds moved */
} __attribute__((aligned(64)));
static struct sp_cpu_stats pcs[NCPU];

void sp_smp_main(uint64_t cpu) __attribute__((noreturn));

/* ---- tz_secure.h: the platform side sp_linux.c calls (under the word) --------------------------------------- */
void *tz_sp_map_ns(uint64_t pa, uint64_t size)
{
    if (size > TZ_SP_WINDOW_SIZE)
        return NULL;
    /* Non-secure, normal write-back cacheable, inner shareable, as the normal world maps it; never executable.
     * The tables are every CPU's; the break-before-make flush is broadcast (sp_plat.c: tlbi vmalle1is) */
    if (tz_mmu_map(&sp_mmu, TZ_SP_WINDOW_VA, pa, size, TZ_PTE_NORMAL | TZ_PTE_NS | TZ_PTE_XN | TZ_PTE_PXN))
        return NULL;
    DSB(ish);
    ISB();
    return (void *)(uintptr_t)TZ_SP_WINDOW_VA;
}

void tz_sp_unmap_ns(void *va, uint64_t size)
{
    tz_mmu_unmap(&sp_mmu, (uintptr_t)va, size); /* broadcast TLB invalidation: no CPU keeps the window */
}

void tz_sp_publish_gen(uint32_t gen)
{
    __atomic_store_n(&cur_gen, gen, __ATOMIC_RELEASE); /* pairs with the acquire in gen_ok */
}

void tz_sp_ring_normal(void *ctx)
{
    (void)ctx;
    DSB(ish); /* the published indices are visible before the interrupt can be */
    REG(TZ_GICD_BASE + GICD_ISPENDR + 4u * (LK_DOORBELL_INTID / 32u)) = 1u << (LK_DOORBELL_INTID % 32u);
}

/* ---- the busy word --------------------------------------------------------------------------------------- */
static bool try_take(unsigned cpu)
{
    uint32_t free_word = 0;
    /* seq_cst: with the store to `again` before it (a server that lost) and the release-then-load of `again` in
     * give_back (the holder), one of the two sees the other: no rung lane is left unserved. acquire would do for
     * the service's data alone (pairs with give_back's store) */
    return __atomic_compare_exchange_n(&busy, &free_word, cpu + 1u, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
}

/* Releases the word; returns whether a server found it taken meanwhile (and another round is due). */
static bool give_back(void)
{
    __atomic_store_n(&busy, 0u, __ATOMIC_SEQ_CST); /* pairs with try_take; see there */
    return __atomic_load_n(&again, __ATOMIC_SEQ_CST) != 0u;
}

/* For the fast calls: waits for the word, at most one round of another CPU (see the top of this file). */
static void take(unsigned cpu)
{
    while (!try_take(cpu))
        __asm__ volatile("yield");
}

/* ---- serving the lanes ------------------------------------------------------------------------------------ */
enum drain_mode { DRAIN_YIELD, DRAIN_STOP };

/* Serves every lane, a bounded round at a time, until they all wait (and said so: the normal world rings for the
 * next thing) or another CPU serves them. A pending normal-world interrupt preempts the call (DRAIN_YIELD: answers
 * LK_SMC_PREEMPTED here and goes on at LK_SMC_RESUME) or ends the drain (DRAIN_STOP: a timer event or a fast
 * call; the rest is served by the next doorbell or timer event). Never holds the word across a return to the
 * normal world. */
static void drain(unsigned cpu, enum drain_mode mode, uint64_t *rounds, uint64_t *moved)
{
    for (;;) {
        int more;
        if (!try_take(cpu)) {
            __atomic_store_n(&again, 1u, __ATOMIC_SEQ_CST); /* see try_take */
            if (!try_take(cpu)) {
                pcs[cpu].skipped++;
                return; /* the holder sees `again` and serves another round */
            }
        }
        /* relaxed: we hold the word; the round below serves whatever the setter rang for */
        __atomic_store_n(&again, 0u, __ATOMIC_RELAXED);
        tz_sp_woke();
        __asm__ volatile("msr daifclr, #1" ::: "memory"); /* the secure timer, and the note of a normal-world
                                                           * interrupt (sp_percpu.c), during the round */
        {
            uint64_t before[4], after[4];
            unsigned k;
            sp_linux_counts(before);
            more = tz_sp_run();
            sp_linux_counts(after);
            for (k = 0; k < 4; k++) /* mutant: crediting every round to CPU0 fails the "served on" check */
                pcs[cpu].served[k] += after[k] - before[k];
        }
        __asm__ volatile("msr daifset, #1" ::: "memory");
        (*rounds)++;
        if (more)
            (*moved)++; /* tz_sp_run moved something (1), rather than finding every lane waiting (0) */
        /* mutant: ignoring `again` here (more = tz_sp_run() alone) leaves a lane rung while another CPU held the
         * word unserved until the next doorbell or timer event */
        if (give_back())
            more = 1;
        if (!more)
            return;
        if (sp_percpu_ns_pending()) {
            if (mode == DRAIN_STOP)
                return;
            sp_percpu_preempt(); /* holding nothing: other CPUs serve meanwhile */
        }
    }
}

/* Is gen (w1 of a doorbell) the current generation (0: "whichever is current")? */
static bool gen_ok(uint32_t gen)
{
    return gen == 0u || gen == __atomic_load_n(&cur_gen, __ATOMIC_ACQUIRE); /* pairs with tz_sp_publish_gen */
}

static void summary(void)
{
    unsigned i;
    tz_printf("---- per-CPU secure side (SMP Linux) ----\n");
    tz_printf("cpu  msgs in/out  bytes in/out  doorbells  per msg  fast  rounds/moved  skipped(busy)  "
              "timer events/moved  sec-timer all/mid  preempted  resumed  calls\n");
    for (i = 0; i < NCPU; i++) {
        struct sp_percpu_stats st;
        const struct sp_cpu_stats *c = &pcs[i];
        sp_percpu_get_stats(i, &st);
        uint64_t msgs = c->served[0] + c->served[2], per = msgs ? c->doorbells * 100u / msgs : 0u;
        tz_printf("%u    %llu/%llu  %llu/%llu  %9llu  %llu.%02llu  %4llu  %6llu/%llu  %13llu  %12llu/%llu  %llu/%llu  "
                  "%9llu  %7llu  %5llu\n", i,
                  (unsigned long long)c->served[0], (unsigned long long)c->served[2],
                  (unsigned long long)c->served[1], (unsigned long long)c->served[3],
                  (unsigned long long)c->doorbells, (unsigned long long)(per / 100u),
                  (unsigned long long)(per % 100u), (unsigned long long)c->fast_doorbells,
                  (unsigned long long)c->rounds, (unsigned long long)c->moved, (unsigned long long)c->skipped,
                  (unsigned long long)c->events, (unsigned long long)c->event_moved,
                  (unsigned long long)c->ticks, (unsigned long long)c->ticks_mid,
                  (unsigned long long)st.preempted, (unsigned long long)st.resumed, (unsigned long long)c->calls);
    }
}

/* PSCI SYSTEM_OFF (reset = 0) or SYSTEM_RESET (1) through the monitor: the status the run ends with. */
static void __attribute__((noreturn)) power_off(unsigned cpu, uint32_t reset)
{
    uint32_t a[6] = {0, 0, 0, 0, 0, 0}, r[4];
    int status;

    take(cpu);
    status = exit_status;
    if (status == LK_EXIT_NO_VERDICT) { /* a verdict that came as a message (a production driver's test) */
        tz_sp_call(LK_SMC_COLLECT, a, r);
        if (r[0] == 0)
            status = (int)r[1];
    }
    if (reset && status == 0)
        status = LK_EXIT_RESET;
    summary();
    tz_printf("EL3: PSCI %s from the normal world on CPU%u: QEMU exit status %d\n",
              reset ? "SYSTEM_RESET" : "SYSTEM_OFF", cpu, status);
    tz_arch_exit(status);
}

static void svc_call(unsigned cpu, uint32_t fid, const uint32_t a[6], uint32_t r[4])
{
    struct sp_cpu_stats *c = &pcs[cpu % NCPU];
    r[0] = r[1] = r[2] = r[3] = 0;
    switch (fid) {
    case LK_SMC_YDOORBELL:
        if (sp_percpu_preempted()) { /* this CPU's doorbell is preempted: it must be resumed first */
            r[0] = (uint32_t)LK_SMC_EBUSY;
            break;
        }
        if (!gen_ok(a[0])) {
            r[0] = (uint32_t)TZ_REG_ESTALE;
            break;
        }
        c->doorbells++;
        drain(cpu, DRAIN_YIELD, &c->rounds, &c->moved);
        break;
    case LK_SMC_DOORBELL:
        if (!gen_ok(a[0])) {
            r[0] = (uint32_t)TZ_REG_ESTALE;
            break;
        }
        c->fast_doorbells++;
        drain(cpu, DRAIN_STOP, &c->rounds, &c->moved);
        break;
    case LK_SMC_POWER:
        power_off(cpu, a[0]);
    default:
        c->calls++;
        take(cpu);
        tz_sp_doorbell_irq(); /* sp_linux.c counts its "SGIs taken" including every call: keep its ratio sane */
        tz_sp_call(fid, a, r);
        if (fid == LK_SMC_VERDICT && r[0] == 0)
            exit_status = (int)r[1];
        (void)give_back();
        /* Then a round: a REGISTER's lanes announce what they wait for (else the normal world, which rings only a
         * peer that said it waits, would not ring until a timer event ran a round), and a server that found the
         * word taken meanwhile is served. mutant: without it (and without the timer events) the first message
         * after a registration is never served */
        drain(cpu, DRAIN_STOP, &c->rounds, &c->moved);
        break;
    }
}

static void svc_tick(unsigned cpu, bool from_ns)
{
    struct sp_cpu_stats *c = &pcs[cpu % NCPU];
    c->ticks++;
    /* It stopped the normal world (so no round of this CPU is running): a message half moved on some lane? Looked
     * at only if the word is free right now (try once; the event that follows serves anything rung meanwhile).
     * mutant: never counting it fails the run's "mid-transfer" check */
    if (from_ns && try_take(cpu % NCPU)) {
        if (sp_linux_mid())
            c->ticks_mid++;
        (void)give_back();
    }
    tz_sp_tick(true); /* sp_linux.c's deadline: no verdict after 600 s ends the run */
}

static void svc_event(unsigned cpu)
{
    struct sp_cpu_stats *c = &pcs[cpu % NCPU];
    c->events++;
    /* mutant: an event that does not serve (no drain here) leaves event_moved 0 on every CPU: the run's
     * "secure-timer events served the lanes" check fails */
    drain(cpu, DRAIN_STOP, &c->rounds, &c->event_moved);
}

static const struct sp_percpu_service service = {svc_call, svc_tick, svc_event};

static void mmu_on(void)
{
    SYSREG_W(mair_el1, TZ_MAIR_VALUE);
    SYSREG_W(tcr_el1, TCR_EL1_VALUE);
    SYSREG_W(ttbr0_el1, tz_mmu_ttbr(&sp_mmu));
    __asm__ volatile("dsb sy; tlbi vmalle1; dsb sy; ic iallu; dsb sy; isb" ::: "memory");
    SYSREG_W(sctlr_el1, SCTLR_EL1_RES1 | SCTLR_M | SCTLR_C | SCTLR_I);
    ISB();
}

/* Each CPU's first entry (sp_smp_entry.S, on this CPU's secure stack), before Linux runs on it. CPU0's comes before
 * Linux runs anywhere and sets up what all share; a CPU that comes back after CPU_OFF only sets itself up again. */
void sp_smp_main(uint64_t cpu)
{
    if (!service_up) { /* only CPU0, at boot: every other CPU is powered on by Linux, which CPU0 starts after this */
        sp_mmu_build();
        tick = SYSREG_R(cntfrq_el0) / (1000000u / SEC_TICK_US);
        tz_sp_image_ranges[0] = TZ_FLASH_BASE;
        tz_sp_image_ranges[1] = (uintptr_t)__flash_image_end;
        tz_sp_image_ranges[2] = (uintptr_t)__sram_start;
        tz_sp_image_ranges[3] = (uintptr_t)(__sram_end - __sram_start);
        tz_sp_init();
        service_up = true;
    }
    mmu_on();
    SYSREG_W(ICC_SRE_EL1, 7u);
    ISB();
    SYSREG_W(ICC_PMR_EL1, 0xffu);
    SYSREG_W(ICC_IGRPEN0_EL1, 1u);
    ISB();
    sp_percpu_timer_start(tick);
    tz_printf("secure side up on CPU%u (its own stack and context; lanes served by the CPU that enters)\n",
              (unsigned)cpu);
    sp_percpu_run((unsigned)cpu, &service);
}
