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
 * One busy word per lane, secure RAM only (no lock is shared with the normal world). A lane's state (sp_linux.c:
 * its endpoint, message state, step buffer and counters) is touched only by the CPU that holds that lane's word,
 * so CPU n serving lane n runs in parallel with CPU m serving lane m. A server (doorbell or timer) goes over the
 * lanes, its own CPU's lane first (LK_LANES + cpu: the driver's per-CPU lane), then every other one (a message
 * keeps the lane of the CPU its first byte was written on while its writer migrates, so any CPU may have to serve
 * any lane), trying once per lane: if another CPU holds that lane's word, it sets the lane's `again` flag and
 * goes on: the holder, after releasing, sees `again` and serves that lane another round, so nothing that was rung
 * is left unserved (the store-then-CAS of the server and the release-then-load of the holder, both seq_cst: one
 * of the two sees the other). A holder never returns to the normal world with a word: a round is bounded (a lane
 * moves at most sp_linux.c's STEP_BYTES each way per round) and the word is released right after it, before
 * every preemption point; a server holds one lane's word at a time.
 * What concerns the whole service (every fast call: REGISTER, UNREGISTER and the takeover, STATUS, VERDICT, power;
 * a lane that broke, scribbled or closed, whose region is dropped; a verdict that came as a message) is done with
 * every lane's word held, taken in lane order (so two such CPUs cannot wait for each other), and a round that
 * finds it needs the whole service releases its lane first. So a region is never mapped, unmapped or replaced
 * while another CPU runs a round in it. Taking every word waits, for each lane, for at most one bounded round of
 * another CPU (or for another CPU that takes them all, which waits for the same): secure code only, nothing the
 * normal world controls can hold a word longer (the normal world cannot stop a secure CPU: its interrupts only
 * mark themselves pending there).
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

#define NLANES LK_MAX_LANES
_Static_assert(LK_LANES + NCPU <= NLANES, "every CPU has its own lane");

static uint64_t tick;
static bool service_up;   /* CPU0's first entry set up the service (before Linux ran anywhere) */
/* A lane's word, one cache line each. */
struct lane_word {
    uint32_t busy;        /* 0, or the holder's CPU + 1 */
    uint32_t again;       /* a server found the word taken: its holder serves the lane another round */
} __attribute__((aligned(64)));
static struct lane_word lw[NLANES]; /* busy: the first NWORDS; again: every lane's */
/* The word that guards lane l. mutant: one word for every lane (NWORDS 1) fails the run's "lanes served in
 * parallel" check */
#define NWORDS NLANES
#define WORD(l) ((l) % NWORDS)
static uint32_t cur_gen;  /* the registration's generation, for the doorbells' check without a word */
static int exit_status = LK_EXIT_NO_VERDICT; /* LK_SMC_VERDICT's status (every word held) */

/* Per CPU, touched by that CPU only (read by the CPU that powers off, holding every word). */
struct sp_cpu_stats {
    uint64_t doorbells, fast_doorbells, rounds, moved, skipped, events, event_moved, calls, ticks, ticks_mid;
    uint64_t parallel;  /* rounds that moved bytes on a lane while another CPU held another lane's word */
    uint64_t again;     /* extra rounds on a lane because a server found its word taken (its `again` flag) */
    uint64_t ups;       /* entries of sp_smp_main: 1 + the CPU_ONs after a CPU_OFF of this CPU */
    uint64_t served[4]; /* messages in, bytes in, messages out, bytes out that this CPU's rounds moved */
    uint64_t lane_msgs[NLANES]; /* messages (in + out) this CPU's rounds moved, per lane */
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

/* ---- the lanes' words --------------------------------------------------------------------------------- */
static bool try_take(unsigned cpu, unsigned lane)
{
    uint32_t free_word = 0;
    /* seq_cst: with the store to the lane's `again` before it (a server that lost) and the release-then-load of
     * `again` in give_back (the holder), one of the two sees the other: no rung lane is left unserved. acquire
     * would do for the lane's data alone (pairs with give_back's store) */
    return __atomic_compare_exchange_n(&lw[WORD(lane)].busy, &free_word, cpu + 1u, false, __ATOMIC_SEQ_CST,
                                       __ATOMIC_RELAXED);
}

/* Releases a lane's word; returns whether a server found it taken meanwhile (and another round is due). */
static bool give_back(unsigned lane)
{
    __atomic_store_n(&lw[WORD(lane)].busy, 0u, __ATOMIC_SEQ_CST); /* pairs with try_take; see there */
    return __atomic_load_n(&lw[lane].again, __ATOMIC_SEQ_CST) != 0u; /* pairs with the store in serve_lane */
}

/* The whole service: every lane's word, in lane order (two CPUs that do this cannot wait for each other). Waits,
 * per lane, for at most one bounded round of another CPU (see the top of this file). The caller holds none. */
static void take_all(unsigned cpu)
{
    for (unsigned w = 0; w < NWORDS; w++)
        while (!try_take(cpu, w))
            __asm__ volatile("yield");
}

/* Releases every word; a server that found one taken meanwhile is served by the round that follows (the callers
 * serve every lane after this). */
static void give_all(void)
{
    for (unsigned w = NWORDS; w-- > 0;)
        (void)give_back(w);
}

/* Another CPU holds another lane's word right now (relaxed: a sample for the summary, orders nothing). */
static bool others_busy(unsigned cpu, unsigned lane)
{
    for (unsigned l = 0; l < NLANES; l++) {
        uint32_t w = __atomic_load_n(&lw[WORD(l)].busy, __ATOMIC_RELAXED);
        if (l != lane && w != 0u && w != cpu + 1u)
            return true;
    }
    return false;
}

/* ---- serving the lanes ------------------------------------------------------------------------------------ */
enum drain_mode { DRAIN_YIELD, DRAIN_STOP };

/* One bounded round on `lane`, if its word is free (else its holder is told to serve it again). Returns 1 more
 * to do on it, 0 it waits (or another CPU has it), TZ_SP_LANE_SETTLE (word released: the whole service is due). */
static int serve_lane(unsigned cpu, unsigned lane, uint64_t *rounds, uint64_t *moved)
{
    struct sp_cpu_stats *c = &pcs[cpu];
    uint64_t before[4], after[4];
    bool par;
    int r;

    if (!try_take(cpu, lane)) {
        __atomic_store_n(&lw[lane].again, 1u, __ATOMIC_SEQ_CST); /* see try_take */
        if (!try_take(cpu, lane)) {
            c->skipped++;
            return 0; /* the holder sees `again` and serves the lane another round */
        }
    }
    /* relaxed: we hold the lane's word; the round below serves whatever the setter rang for */
    __atomic_store_n(&lw[lane].again, 0u, __ATOMIC_RELAXED);
    par = others_busy(cpu, lane);
    __asm__ volatile("msr daifclr, #1" ::: "memory"); /* the secure timer, and the note of a normal-world
                                                       * interrupt (sp_percpu.c), during the round */
    sp_linux_lane_counts(lane, before);
    r = tz_sp_run_lane(lane);
    sp_linux_lane_counts(lane, after);
    __asm__ volatile("msr daifset, #1" ::: "memory");
    par = others_busy(cpu, lane) || par;
    for (unsigned k = 0; k < 4; k++) /* mutant: crediting every round to CPU0 fails the "served on" check */
        c->served[k] += after[k] - before[k];
    c->lane_msgs[lane] += after[0] - before[0] + after[2] - before[2];
    (*rounds)++;
    if (par && after[1] + after[3] != before[1] + before[3])
        c->parallel++;
    if (r > 0)
        (*moved)++; /* the round moved something (or the lane is ready again), rather than finding it waiting */
    /* mutant: ignoring `again` here (r alone) leaves a lane rung while another CPU held its word unserved until
     * the next doorbell or timer event (the Linux test does not see that: any later doorbell or timer event of any
     * CPU serves every lane; the run only requires the "again" figure, i.e. that this path ran) */
    if (give_back(lane) && r == 0) {
        r = 1;
        c->again++;
    }
    return r;
}

/* Serves the lanes, this CPU's own first, a bounded round per lane at a time, until they all wait (and said so:
 * the normal world rings for the next thing) or other CPUs hold them. A pending normal-world interrupt preempts
 * the call (DRAIN_YIELD: answers LK_SMC_PREEMPTED here and goes on at LK_SMC_RESUME) or ends the drain
 * (DRAIN_STOP: a timer event or a fast call; the rest is served by the next doorbell or timer event). Never holds
 * a word across a return to the normal world. */
static void drain(unsigned cpu, enum drain_mode mode, uint64_t *rounds, uint64_t *moved)
{
    const unsigned own = LK_LANES + cpu;
    for (;;) {
        bool more = false;
        for (unsigned j = 0; j < NLANES; j++) {
            unsigned lane = j == 0 ? own : j <= own ? j - 1u : j; /* own, then 0, 1, ... skipping own */
            int r = serve_lane(cpu, lane, rounds, moved);
            if (r == TZ_SP_LANE_SETTLE) {
                take_all(cpu);
                tz_sp_settle();
                give_all();
                more = true; /* and another pass, which serves whatever was rung while we held them all */
            } else if (r > 0) {
                more = true;
            }
        }
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
              "timer events/moved  sec-timer all/mid  preempted  resumed  calls  parallel  again  ups\n");
    for (i = 0; i < NCPU; i++) {
        struct sp_percpu_stats st;
        const struct sp_cpu_stats *c = &pcs[i];
        sp_percpu_get_stats(i, &st);
        uint64_t msgs = c->served[0] + c->served[2], per = msgs ? c->doorbells * 100u / msgs : 0u;
        tz_printf("%u    %llu/%llu  %llu/%llu  %9llu  %llu.%02llu  %4llu  %6llu/%llu  %13llu  %12llu/%llu  %llu/%llu  "
                  "%9llu  %7llu  %5llu  %8llu  %5llu  %3llu\n", i,
                  (unsigned long long)c->served[0], (unsigned long long)c->served[2],
                  (unsigned long long)c->served[1], (unsigned long long)c->served[3],
                  (unsigned long long)c->doorbells, (unsigned long long)(per / 100u),
                  (unsigned long long)(per % 100u), (unsigned long long)c->fast_doorbells,
                  (unsigned long long)c->rounds, (unsigned long long)c->moved, (unsigned long long)c->skipped,
                  (unsigned long long)c->events, (unsigned long long)c->event_moved,
                  (unsigned long long)c->ticks, (unsigned long long)c->ticks_mid,
                  (unsigned long long)st.preempted, (unsigned long long)st.resumed, (unsigned long long)c->calls,
                  (unsigned long long)c->parallel, (unsigned long long)c->again,
                  (unsigned long long)c->ups);
    }
    /* Which CPUs served each lane (messages in + out): the per-CPU lanes mostly on their own CPU, and a migrating
     * writer's message on the lane of its first CPU whichever CPU served it */
    tz_printf("lane  msgs served by CPU0/CPU1/CPU2/CPU3\n");
    for (unsigned l = 0; l < NLANES; l++) {
        uint64_t m[NCPU], sum = 0;
        for (i = 0; i < NCPU; i++)
            sum += m[i] = pcs[i].lane_msgs[l];
        if (sum)
            tz_printf("lane %u  %llu/%llu/%llu/%llu\n", l, (unsigned long long)m[0], (unsigned long long)m[1],
                      (unsigned long long)m[2], (unsigned long long)m[3]);
    }
}

/* PSCI SYSTEM_OFF (reset = 0) or SYSTEM_RESET (1) through the monitor: the status the run ends with. */
static void __attribute__((noreturn)) power_off(unsigned cpu, uint32_t reset)
{
    uint32_t a[6] = {0, 0, 0, 0, 0, 0}, r[4];
    int status;

    take_all(cpu); /* kept: the run ends here */
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
        take_all(cpu);
        tz_sp_doorbell_irq(); /* sp_linux.c counts its "SGIs taken" including every call: keep its ratio sane */
        tz_sp_call(fid, a, r);
        if (fid == LK_SMC_VERDICT && r[0] == 0)
            exit_status = (int)r[1];
        give_all();
        /* Then a round on every lane: a REGISTER's lanes announce what they wait for (else the normal world, which
         * rings only a peer that said it waits, would not ring until a timer event ran a round), and a server that
         * found a word taken meanwhile is served. mutant: without it (and without the timer events) the first
         * message after a registration is never served */
        drain(cpu, DRAIN_STOP, &c->rounds, &c->moved);
        break;
    }
}

static void svc_tick(unsigned cpu, bool from_ns)
{
    struct sp_cpu_stats *c = &pcs[cpu % NCPU];
    c->ticks++;
    /* It stopped the normal world (so no round of this CPU is running): a message half moved on some lane? Looked
     * at on the lanes whose words are free right now (try once each; the event that follows serves anything rung
     * meanwhile). mutant: never counting it fails the run's "mid-transfer" check */
    if (from_ns) {
        bool mid = false;
        for (unsigned l = 0; l < NLANES; l++) {
            if (!try_take(cpu % NCPU, l))
                continue;
            mid = sp_linux_lane_mid(l) || mid;
            (void)give_back(l);
        }
        if (mid)
            c->ticks_mid++;
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
    pcs[cpu % NCPU].ups++;
    tz_printf("secure side up on CPU%u (its own stack and context; lanes served by the CPU that enters)\n",
              (unsigned)cpu);
    sp_percpu_run((unsigned)cpu, &service);
}
