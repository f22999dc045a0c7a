/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The secure payload's service in the SMP image, S-EL1 on every CPU: this CPU's lane is served by the secure world
 * of this CPU only, when the normal world of this CPU calls (TZ_SMP_DOORBELL, a yielding call) or when this CPU's
 * secure timer fires while the normal world runs. The runtime under it (sp_percpu.c) brings the calls and timer
 * events and carries the preemption: a drain that finds a normal-world interrupt pending calls
 * sp_percpu_preempt(), which answers TZ_SMP_PREEMPTED and returns at TZ_SMP_RESUME, and the drain goes on where
 * it stood. See tz_smp.h for the calls and el3_smp.c for the monitor.
 *
 * Shared between CPUs: the translation tables and the registration, written by CPU0 (REGISTER, before the normal
 * world powers on the other CPUs) and published with a release store; the per-CPU results, published with a
 * release store by each CPU's REPORT2 and read by CPU0's FINISH. No lock.
 */
#include <stdbool.h>
#include <stdint.h>
#include "tz_libc.h"

#include "a64.h"
#include "sp_plat.h"
#include "sp_percpu.h"
#include "../common/tz_board.h"
#include "../common/tz_mmu.h"
#include "../common/tz_plat.h"
#include "../common/tz_print.h"
#include "../common/tz_region.h"
#include "../common/tz_secure.h"
#include "../common/tz_smc.h"
#include "../common/tz_smccc.h"
#include "../common/tz_smp.h"

#define NCPU TZ_SMP_MAX_CPUS
#define STEP (8u * 1024u)        /* bytes per direction between two looks at a pending normal-world interrupt */
#define SEC_TICK_US 500u         /* secure timer period */
#define RUN_SECONDS 60u          /* no verdict after this long: FAIL (a run takes a few seconds) */

extern const unsigned char __flash_image_end[], __sram_start[], __sram_end[];

const char tz_sp_arch_name[] = "aarch64";
uint64_t tz_sp_image_ranges[4];

static uint64_t tick, deadline;
static struct tz_memmap memmap;

/* The registration: written by CPU0 once, before `ready` (release); read by every CPU after an acquire of it. */
static struct {
    void *va;
    uint64_t pa, size;
    uint32_t lanes, ring, gen;
    uint32_t ready; /* the generation once published, 0 before */
} reg;

/* One CPU's secure side. Only that CPU touches it, until it publishes `reported` (then CPU0 reads it). */
struct sp_cpu {
    struct tzchan ch;
    struct tz_lane lane;
    bool opened, waiting;
    uint32_t doorbells, busy_refused;
    uint64_t ticks, ticks_mid, ticks_secure, ns_bells, timer_served, timer_bytes;
    uint32_t rep[12];         /* the normal world's REPORT and REPORT2 words */
    uint32_t reported;        /* 1 after both reports (release) */
} __attribute__((aligned(64)));
static struct sp_cpu cpus[NCPU];

void sp_smp_main(uint64_t cpu) __attribute__((noreturn));

/* ---- memory ----------------------------------------------------------------------------------------------- */
static void mmu_on(void)
{
    SYSREG_W(mair_el1, TZ_MAIR_VALUE);
    SYSREG_W(tcr_el1, TCR_EL1_VALUE);
    SYSREG_W(ttbr0_el1, tz_mmu_ttbr(&sp_mmu));
    __asm__ volatile("dsb sy; tlbi vmalle1; dsb sy; ic iallu; dsb sy; isb" ::: "memory");
    SYSREG_W(sctlr_el1, SCTLR_EL1_RES1 | SCTLR_M | SCTLR_C | SCTLR_I);
    ISB();
}

/* The region, Non-secure, normal write-back (the normal world's attributes), never executable; checked with
 * AT S1E1R. Only CPU0 maps, before any other CPU runs the secure world's lanes. */
static void *map_ns(uint64_t pa, uint64_t size)
{
    uint64_t par;
    if (size > TZ_SP_WINDOW_SIZE ||
        tz_mmu_map(&sp_mmu, TZ_SP_WINDOW_VA, pa, size, TZ_PTE_NORMAL | TZ_PTE_NS | TZ_PTE_XN | TZ_PTE_PXN))
        return NULL;
    DSB(ishst);
    ISB();
    __asm__ volatile("at s1e1r, %0" : : "r"((uint64_t)TZ_SP_WINDOW_VA));
    ISB();
    par = SYSREG_R(par_el1);
    if ((par & 1u) || (par & 0x0000fffffffff000ull) != (pa & ~0xfffull) || !(par & (1u << 9))) {
        tz_mmu_unmap(&sp_mmu, TZ_SP_WINDOW_VA, size);
        return NULL;
    }
    return (void *)(uintptr_t)TZ_SP_WINDOW_VA;
}

/* ---- timer ----------------------------------------------------------------------------------------------- */
static void svc_tick(unsigned cpu, bool from_ns)
{
    struct sp_cpu *c = &cpus[cpu % NCPU];
    c->ticks++;
    /* mid-transfer: it stopped the normal world while a message of this lane was half sent or half received.
     * mutant: never counting it (from_ns taken as false) fails the verdict's per-CPU check */
    if (from_ns && c->opened && tz_lane_mid(&c->lane))
        c->ticks_mid++;
    else if (!from_ns)
        c->ticks_secure++;
    if (cpu == 0 && tz_arch_now() > deadline) {
        tz_printf("no verdict after %u s: giving up\nVERDICT FAIL aarch64 smp\n", RUN_SECONDS);
        tz_arch_exit(1);
    }
}

/* The lane's notify hook: the normal world of this CPU waits for what we just made available; the runtime rings
 * it as we return to it. */
static void ring_ns(void *ctx)
{
    ((struct sp_cpu *)ctx)->ns_bells++;
    sp_percpu_ring_ns();
}

/* Moves this lane's traffic with FIQ unmasked, STEP bytes at a time, until it would wait, `limit` bytes have moved
 * or (stop_on_ns) a normal-world interrupt is pending. Returns < 0 on a lane error, 1 when it stopped for a
 * pending normal-world interrupt, 0 otherwise. */
static int move(struct sp_cpu *c, uint64_t limit, bool stop_on_ns)
{
    uint64_t before = c->lane.bytes_sent + c->lane.bytes_recv;
    for (;;) {
        int r;
        if (c->waiting) {
            tzchan_wait_done(&c->ch);
            c->waiting = false;
        }
        __asm__ volatile("msr daifclr, #1" ::: "memory");
        r = tz_lane_pump(&c->lane, STEP);
        __asm__ volatile("msr daifset, #1" ::: "memory");
        if (r < 0)
            return r;
        if (stop_on_ns && sp_percpu_ns_pending())
            return 1;
        if (r > 0 && c->lane.bytes_sent + c->lane.bytes_recv - before < limit)
            continue;
        if (r > 0 || !c->lane.wait)
            return 0;
        /* announce what we wait for; the normal world's next send or receive rings us (its notify hook makes
         * it call TZ_SMP_DOORBELL). 1: it is there already, go on */
        r = tzchan_wait_prepare(&c->ch, (enum tzchan_wait)c->lane.wait);
        if (r < 0)
            return r;
        c->waiting = true;
        if (r == 0)
            return 0;
    }
}

/* The drain of TZ_SMP_DOORBELL: on a pending normal-world interrupt it answers TZ_SMP_PREEMPTED from here (the
 * runtime) and goes on after TZ_SMP_RESUME. */
static int drain(struct sp_cpu *c)
{
    for (;;) {
        int rc = move(c, ~(uint64_t)0, true);
        if (rc <= 0)
            return rc;
        sp_percpu_preempt();
    }
}

/* A secure timer event stopped the normal world of this CPU and no call of it is preempted: serve the lane until it
 * waits (and says so, so that the normal world's next send or receive rings again) or a normal-world interrupt
 * is pending. Bounded without a limit: the normal world is stopped, so at most a ring's worth moves each way. */
static void svc_event(unsigned cpu)
{
    struct sp_cpu *c = &cpus[cpu % NCPU];
    if (c->opened && !tz_lane_done(&c->lane)) {
        uint64_t before = c->lane.bytes_sent + c->lane.bytes_recv;
        c->timer_served++;
        (void)move(c, ~(uint64_t)0, true); /* an error latches in the lane; the next doorbell reports it */
        c->timer_bytes += c->lane.bytes_sent + c->lane.bytes_recv - before;
    }
}

/* ---- calls ------------------------------------------------------------------------------------------------ */
static int32_t do_register(const uint32_t a[6], uint32_t *gen)
{
    struct tz_reg_req req = {(uint64_t)a[1] << 32 | a[0], a[2], a[3], a[4]};
    struct tz_fresh_snap snap;
    void *va;
    int rc;

    /* one registration for the run, from CPU0, before the other CPUs use lanes (the takeover rules of the other
     * images are exercised there; here a second REGISTER would pull the region from under running lanes) */
    /* relaxed: only CPU0 gets to the load, and CPU0 is the only writer */
    if (a64_cpu() != 0 || __atomic_load_n(&reg.ready, __ATOMIC_RELAXED) != 0u)
        return TZ_REG_EBUSY;
    rc = tz_region_check(&memmap, &req);
    if (rc != TZ_REG_OK)
        return rc;
    va = map_ns(req.base, req.size);
    if (!va)
        return TZ_REG_EMAP;
    tz_region_snap_b(&snap, va, req.lanes, req.ring_bytes);
    if (snap.nonzero) {
        tz_mmu_unmap(&sp_mmu, TZ_SP_WINDOW_VA, req.size);
        return TZ_REG_ENOTFRESH;
    }
    reg.va = va;
    reg.pa = req.base;
    reg.size = req.size;
    reg.lanes = req.lanes;
    reg.ring = req.ring_bytes;
    reg.gen = 1;
    *gen = 1;
    tz_printf("register %#llx+%#llx: accepted, %u lanes of %u-byte rings, one per CPU\n",
              (unsigned long long)req.base, (unsigned long long)req.size, (unsigned)req.lanes,
              (unsigned)req.ring_bytes);
    /* release: the registration is written before any CPU can see it; pairs with the acquire in lane_open */
    __atomic_store_n(&reg.ready, 1u, __ATOMIC_RELEASE);
    return 0;
}

/* Opens side B of this CPU's lane on the first doorbell of this CPU. */
static int32_t lane_open(struct sp_cpu *c, unsigned cpu, uint32_t gen)
{
    int rc;
    if (c->opened)
        return gen == 0 || gen == reg.gen ? 0 : TZ_REG_ESTALE;
    /* acquire: pairs with the release in do_register */
    if (__atomic_load_n(&reg.ready, __ATOMIC_ACQUIRE) == 0u || cpu >= reg.lanes)
        return TZ_REG_ENOTREG;
    if (gen != 0 && gen != reg.gen)
        return TZ_REG_ESTALE;
    rc = tzchan_open(&c->ch, reg.va, (size_t)reg.size, TZCHAN_SIDE_B, cpu);
    if (rc == 0 && tzchan_max_msg(&c->ch) != reg.ring / 2u)
        rc = TZ_REG_EGEOMETRY; /* the header claims another geometry than the one registered */
    if (rc < 0)
        return rc;
    tzchan_set_notify(&c->ch, ring_ns, c);
    tz_lane_init(&c->lane, &c->ch, TZCHAN_SIDE_B, cpu, TZ_LANE_MSGS);
    c->opened = true;
    return 0;
}

static bool cpu_ok(unsigned i, bool print);

static void finish(void)
{
    unsigned n = reg.lanes, i, cpus_hw = 0, k;
    bool pass = n >= 2u;
    uint64_t longest = 0;

    while (cpus_hw < NCPU && !((*(volatile uint32_t *)(uintptr_t)(TZ_GICR_BASE + cpus_hw * TZ_GICR_STRIDE + 8u)) &
                               (1u << 4)))
        cpus_hw++;
    cpus_hw++;
    for (i = 0; i < n; i++)
        for (k = 0; k < 2u * TZ_LANE_MSGS; k++)
            if (tz_lane_len(i, k & 1u, k / 2u) > longest)
                longest = tz_lane_len(i, k & 1u, k / 2u);
    tz_printf("SMP summary: %u CPUs in the machine, %u lanes (one per normal-world CPU), %u-byte rings, %u "
              "messages each way per lane, 0 to %llu bytes long\n", cpus_hw, n, (unsigned)reg.ring, TZ_LANE_MSGS,
              (unsigned long long)longest);
    tz_printf("cpu  msgs in/out  bytes in / out      doorbells  per msg  sec-timer mid/all  preempted  resumed  "
              "ns-timer  timer-served (bytes)  bells to NS\n");
    if (n != cpus_hw)
        pass = false;
    for (i = 0; i < n && i < NCPU; i++)
        pass = cpu_ok(i, true) && pass;
    tz_printf("VERDICT %s aarch64 smp\n", pass ? "PASS" : "FAIL");
    tz_arch_exit(pass ? 0 : 1);
}

static bool cpu_ok(unsigned i, bool print)
{
    struct sp_cpu *c = &cpus[i];
    const struct tz_lane *l = &c->lane;
    struct sp_percpu_stats st;
    uint64_t want_in, want_out, ns_bytes;
    uint32_t msgs;
    bool ok;

    /* acquire: pairs with the release in that CPU's REPORT2 */
    if (!__atomic_load_n(&c->reported, __ATOMIC_ACQUIRE)) {
        if (print)
            tz_printf("%u    no report from this CPU\n", i);
        return false;
    }
    sp_percpu_get_stats(i, &st);
    want_in = tz_lane_total(i, TZCHAN_SIDE_A, TZ_LANE_MSGS);
    want_out = tz_lane_total(i, TZCHAN_SIDE_B, TZ_LANE_MSGS);
    ns_bytes = (uint64_t)c->rep[2] << 32 | c->rep[1];
    msgs = l->msgs_recv + l->msgs_sent;
    if (print)
        tz_printf("%u    %2u/%2u        %llu / %llu  %9u  %4u.%02u  %8llu/%llu  %9llu  %7llu  %8u  %llu (%llu)  %llu\n", i,
                  l->msgs_recv, l->msgs_sent, (unsigned long long)l->bytes_recv, (unsigned long long)l->bytes_sent,
                  (unsigned)c->doorbells, msgs ? c->doorbells / msgs : 0u,
                  msgs ? (c->doorbells * 100u / msgs) % 100u : 0u, (unsigned long long)c->ticks_mid,
                  (unsigned long long)c->ticks, (unsigned long long)st.preempted,
                  (unsigned long long)st.resumed, (unsigned)c->rep[4], (unsigned long long)c->timer_served,
                  (unsigned long long)c->timer_bytes, (unsigned long long)c->ns_bells);
    /* exact: every message and byte of both directions, verified by each receiver (bad == 0 on both sides) */
    ok = l->error == 0 && l->bad == 0 && l->msgs_recv == TZ_LANE_MSGS && l->msgs_sent == TZ_LANE_MSGS &&
         l->bytes_recv == want_in && l->bytes_sent == want_out && c->rep[0] == TZ_LANE_MSGS &&
         ns_bytes == want_out && c->rep[3] == 0u && c->rep[8] == TZ_LANE_MSGS;
    if (!ok && print)
        tz_printf("     FAIL: traffic (secure: error %d, bad %u; want %llu in, %llu out; normal world: bad %u, "
                  "%u sent)\n", l->error, (unsigned)l->bad, (unsigned long long)want_in,
                  (unsigned long long)want_out, (unsigned)c->rep[3], (unsigned)c->rep[8]);
    /* both worlds count the same doorbell calls, and there were some */
    if (c->doorbells == 0u || c->doorbells != c->rep[5]) {
        ok = false;
        if (print)
            tz_printf("     FAIL: doorbells %u here, %u by the normal world\n", (unsigned)c->doorbells,
                      (unsigned)c->rep[5]);
    }
    /* the secure timer stopped this CPU's normal world in the middle of a message */
    if (c->ticks_mid == 0u) {
        ok = false;
        if (print)
            tz_printf("     FAIL: no secure-timer interrupt landed mid-transfer on this CPU\n");
    }
    /* preempted calls happened, each was resumed, and both worlds saw the same numbers */
    if (st.preempted == 0u || st.resumed != st.preempted || c->rep[6] != st.preempted ||
        c->rep[7] != st.resumed) {
        ok = false;
        if (print)
            tz_printf("     FAIL: preempted %llu, resumed %llu here; the normal world saw %u and resumed %u\n",
                      (unsigned long long)st.preempted, (unsigned long long)st.resumed, (unsigned)c->rep[6],
                      (unsigned)c->rep[7]);
    }
    /* the refusals the normal world provoked on purpose, and only those: a DOORBELL while this CPU's call was
     * preempted (once per CPU), a RESUME with nothing preempted (CPU0, before registering); its own check of
     * every refusal's code (REPORT2 w6). mutant: a DOORBELL during a preempted call that starts a second drain
     * on the same lane instead of TZ_SMP_EBUSY */
    if (c->busy_refused != 1u || st.resumes_of_nothing != (i == 0u ? 1u : 0u) || c->rep[11] != 0u) {
        ok = false;
        if (print)
            tz_printf("     FAIL: refusals: %u busy, %u resumes of nothing; %u answers the normal world did not "
                      "expect\n", (unsigned)c->busy_refused, (unsigned)st.resumes_of_nothing, (unsigned)c->rep[11]);
    }
    /* the secure timer also served the lane (moved bytes) while the normal world of this CPU ran */
    if (c->timer_bytes == 0u) {
        ok = false;
        if (print)
            tz_printf("     FAIL: the secure timer never served this CPU's lane\n");
    }
    /* the secure side rang this CPU's normal world (SGI), and the normal world took such interrupts */
    if (c->ns_bells == 0u || c->rep[9] == 0u) {
        ok = false;
        if (print)
            tz_printf("     FAIL: doorbells to the normal world: %llu rung, %u taken\n",
                      (unsigned long long)c->ns_bells, (unsigned)c->rep[9]);
    }
    if (c->rep[4] == 0u) {
        ok = false;
        if (print)
            tz_printf("     FAIL: the normal world's timer never fired\n");
    }
    return ok;
}

static void svc_call(unsigned cpu, uint32_t fid, const uint32_t a[6], uint32_t r[4])
{
    struct sp_cpu *c = &cpus[cpu % NCPU];
    int32_t rc;
    r[0] = r[1] = r[2] = r[3] = 0;
    switch (fid) {
    case TZ_SMC_REGISTER:
        r[0] = (uint32_t)do_register(a, &r[1]);
        break;
    case TZ_SMP_DOORBELL:
        if (sp_percpu_preempted()) {
            c->busy_refused++;
            r[0] = (uint32_t)TZ_SMP_EBUSY;
            break;
        }
        rc = lane_open(c, cpu, a[0]);
        if (rc < 0) {
            r[0] = (uint32_t)rc;
            break;
        }
        c->doorbells++;
        rc = drain(c);
        r[0] = (uint32_t)rc;
        r[1] = tz_lane_done(&c->lane);
        break;
    case TZ_SMP_REPORT:
        memcpy(c->rep, a, 6 * sizeof a[0]);
        break;
    case TZ_SMP_REPORT2:
        memcpy(&c->rep[6], a, 6 * sizeof a[0]);
        /* release: this CPU's counters and lane are final before CPU0 reads them; pairs with cpu_ok's acquire */
        __atomic_store_n(&c->reported, 1u, __ATOMIC_RELEASE);
        break;
    case TZ_SMP_FINISH:
        if (cpu != 0)
            r[0] = (uint32_t)TZCHAN_EINVAL;
        else
            finish();
        break;
    default:
        if (!tz_smccc_generic_query(fid, 6, r))
            r[0] = TZ_SMC_UNKNOWN;
        break;
    }
}

static const struct sp_percpu_service service = {svc_call, svc_tick, svc_event};

void sp_smp_main(uint64_t cpu)
{
    if (cpu == 0) { /* first: the normal world starts only after this returns, and powers on the others later */
        sp_mmu_build();
        tick = SYSREG_R(cntfrq_el0) / (1000000u / SEC_TICK_US);
        deadline = a64_now() + (uint64_t)RUN_SECONDS * SYSREG_R(cntfrq_el0);
        tz_sp_image_ranges[0] = TZ_FLASH_BASE;
        tz_sp_image_ranges[1] = (uintptr_t)__flash_image_end;
        tz_sp_image_ranges[2] = (uintptr_t)__sram_start;
        tz_sp_image_ranges[3] = (uintptr_t)(__sram_end - __sram_start);
        tz_sp_board_memmap(&memmap, 1, NCPU, TZCHAN_MIN_RING, 1u << 20);
    }
    mmu_on();
    SYSREG_W(ICC_SRE_EL1, 7u);
    ISB();
    SYSREG_W(ICC_PMR_EL1, 0xffu);
    SYSREG_W(ICC_IGRPEN0_EL1, 1u);
    ISB();
    sp_percpu_timer_start(tick);
    if (cpu == 0)
        tz_printf("tzchan secure payload (aarch64 smp): up on CPU0, serving SMC owner %u on every CPU\n",
                  TZ_SMC_OEN_TOS);
    sp_percpu_run((unsigned)cpu, &service);
}
