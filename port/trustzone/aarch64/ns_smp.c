/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The normal world of the SMP image, NS-EL1 on every CPU. CPU0 builds the translation tables, counts the CPUs
 * (PSCI AFFINITY_INFO), lays out one region with a lane per CPU and 64 KiB rings, registers it, and powers the
 * other CPUs on with PSCI CPU_ON. Every CPU then opens side A of its own lane and writes and reads at once: its
 * messages to the secure side and the secure side's messages to it, several MiB each, every byte regenerated and
 * compared (tz_lane.c). When the secure side waits for what it just provided (the lane's notify hook), it calls
 * TZ_SMP_DOORBELL on its own CPU; a TZ_SMP_PREEMPTED answer means its own interrupt was pending: it takes it (its
 * interrupts are unmasked across the SMC, so it is taken as soon as the SMC returns) and calls TZ_SMP_RESUME.
 * Its timer runs at a short period all along, so interrupts do land in the middle of the secure side's drains.
 * While it sends its 1 MiB messages it rings nobody and sleeps when blocked: the secure side's timer serves the
 * lane and its doorbell SGI wakes this CPU.
 * When the lane is done both ways it reports its view (TZ_SMP_REPORT, TZ_SMP_REPORT2); CPU0 waits for every CPU,
 * prints the normal world's summary and asks the secure side for the verdict (TZ_SMP_FINISH).
 */
#include <stdbool.h>
#include <stdint.h>
#include "tz_libc.h"

#include "a64.h"
#include "../common/lk_smc.h"
#include "../common/tz_board.h"
#include "../common/tz_mmu.h"
#include "../common/tz_plat.h"
#include "../common/tz_print.h"
#include "../common/tz_region.h"
#include "../common/tz_smc.h"
#include "../common/tz_smp.h"

#define NCPU TZ_SMP_MAX_CPUS
#define NS_TICK_US 200u /* the normal world's timer period: short, so that it is often pending in a secure call */
#define PUMP (64u * 1024u)

static uint64_t ns_l1[512] __attribute__((aligned(4096)));
static uint64_t ns_pool[8][512] __attribute__((aligned(4096)));
static struct tz_mmu ns_mmu;
static uint64_t tick;
static void *region;
static uint64_t region_size;
static uint32_t gen, ncpu;

/* One CPU's lane and counters: only that CPU writes them; CPU0 reads them after `done` (acquire). */
struct ns_cpu {
    struct tzchan ch;
    struct tz_lane lane;
    volatile bool need_bell, in_call;
    volatile uint32_t ticks, ticks_in_call, bells_in;
    uint32_t doorbells, preempted, resumed, errors, probes_bad;
    bool probed_busy;
    int32_t last_rc;
    uint32_t done;
} __attribute__((aligned(64)));
static struct ns_cpu cpus[NCPU];

void ns_smp_main(uint64_t cpu) __attribute__((noreturn));
void ns_smp_secondary(void);
void el1_irq(uint64_t fiq, uint64_t *frame);
void el1_sync(uint64_t vec, uint64_t *frame);
void el1_unexpected(uint64_t vec, uint64_t esr, uint64_t elr, uint64_t far) __attribute__((noreturn));

static struct ns_cpu *me(void) { return &cpus[a64_cpu() % NCPU]; }

static void smc(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6,
                uint64_t r[4])
{
    register uint64_t x0 __asm__("x0") = fid;
    register uint64_t x1 __asm__("x1") = a1, x2 __asm__("x2") = a2, x3 __asm__("x3") = a3;
    register uint64_t x4 __asm__("x4") = a4, x5 __asm__("x5") = a5, x6 __asm__("x6") = a6;
    __asm__ volatile("smc #0"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5), "+r"(x6)
                     :
                     : "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", "memory");
    r[0] = x0;
    r[1] = x1;
    r[2] = x2;
    r[3] = x3;
}

static void timer_arm(void)
{
    SYSREG_W(cntp_tval_el0, tick);
    SYSREG_W(cntp_ctl_el0, 1u);
}

void el1_irq(uint64_t fiq, uint64_t *frame)
{
    struct ns_cpu *c = me();
    (void)fiq;
    (void)frame;
    for (;;) {
        uint64_t id = SYSREG_R(ICC_IAR1_EL1) & 0xffffffu;
        if (id >= 1020u)
            break;
        if (id == TZ_IRQ_NS_TIMER) {
            timer_arm();
            c->ticks++;
            if (c->in_call)
                c->ticks_in_call++;
        } else if (id == TZ_IRQ_SGI_TO_NORMAL) {
            c->bells_in++;
        }
        SYSREG_W(ICC_EOIR1_EL1, id);
    }
}

void el1_sync(uint64_t vec, uint64_t *frame)
{
    (void)frame;
    el1_unexpected(vec, SYSREG_R(esr_el1), SYSREG_R(elr_el1), SYSREG_R(far_el1));
}

void el1_unexpected(uint64_t vec, uint64_t esr, uint64_t elr, uint64_t far)
{
    tz_panic("NS-EL1 exception on CPU%u, vector %llu, ESR %#llx, ELR %#llx, FAR %#llx", a64_cpu(),
             (unsigned long long)vec, (unsigned long long)esr, (unsigned long long)elr, (unsigned long long)far);
}

/* The lane's notify hook: the secure side waits for what this CPU just published. Ring after the pump returns
 * (an SMC from inside the core's call would work too, but this keeps the call short). */
static void need_bell(void *ctx)
{
    ((struct ns_cpu *)ctx)->need_bell = true;
}

/* A call whose answer is known in advance (the interface's refusals, tz_smp.h): a different answer is counted,
 * reported to the secure side (REPORT2 w6) and printed as UNEXPECTED by CPU0. */
static void expect(struct ns_cpu *c, const char *what, uint64_t got, uint32_t want)
{
    if ((uint32_t)got != want) {
        c->probes_bad++;
        if (c == &cpus[0])
            tz_printf("UNEXPECTED: %s answered %#x, want %#x\n", what, (unsigned)got, (unsigned)want);
    }
}

/* TZ_SMP_DOORBELL on this CPU, resumed for as long as it comes back preempted. Returns whether the secure side
 * has all of this lane's messages sent and received, or < 0 on an error. */
static int doorbell(struct ns_cpu *c)
{
    uint64_t r[4];
    c->in_call = true;
    c->doorbells++;
    smc(TZ_SMP_DOORBELL, gen, 0, 0, 0, 0, 0, r);
    /* our interrupts are unmasked: the one that preempted the call is taken as soon as the SMC returns.
     * mutant: treating TZ_SMP_PREEMPTED as done (no RESUME) leaves the call parked; the next doorbell gets
     * TZ_SMP_EBUSY and the verdict's resumed == preempted fails */
    while ((int32_t)r[0] == TZ_SMP_PREEMPTED) {
        c->preempted++;
        if (!c->probed_busy) { /* once per CPU: a new call while one is preempted is refused */
            uint64_t b[4];
            c->probed_busy = true;
            smc(TZ_SMP_DOORBELL, gen, 0, 0, 0, 0, 0, b);
            expect(c, "DOORBELL while preempted", b[0], (uint32_t)TZ_SMP_EBUSY);
        }
        c->resumed++;
        smc(TZ_SMP_RESUME, 0, 0, 0, 0, 0, 0, r);
    }
    c->in_call = false;
    if ((int32_t)r[0] < 0) {
        c->errors++;
        c->last_rc = (int32_t)r[0];
        return (int32_t)r[0];
    }
    return r[1] != 0u;
}

static void run_lane(unsigned cpu)
{
    struct ns_cpu *c = &cpus[cpu];
    int r, secure_done = 0;
    bool quiet;

    if (cpu == 1u) { /* the registration is CPU0's, once */
        uint64_t x[4];
        smc(TZ_SMC_REGISTER, TZ_NS_REGION_PA, 0, (uint32_t)region_size, ncpu, TZ_SMP_RING, 0, x);
        expect(c, "REGISTER again, from CPU1", x[0], (uint32_t)TZ_REG_EBUSY);
    }
    r = tzchan_open(&c->ch, region, (size_t)region_size, TZCHAN_SIDE_A, cpu);
    if (r < 0)
        tz_panic("CPU%u: tzchan_open: %s", cpu, tzchan_strerror(r));
    tzchan_set_notify(&c->ch, need_bell, c);
    tz_lane_init(&c->lane, &c->ch, TZCHAN_SIDE_A, cpu, TZ_LANE_MSGS);
    secure_done = doorbell(c); /* the secure side opens its end of this lane */
    for (;;) {
        r = tz_lane_pump(&c->lane, PUMP);
        if (r < 0 || secure_done < 0)
            break;
        /* While it sends its 1 MiB messages (4 and 10 of the schedule) this CPU rings nobody: the secure side
         * gets to them only through its timer, and, once this CPU sleeps for room, wakes it with the doorbell
         * SGI. mutant: a secure side whose timer events do not serve, or that never rings, leaves this CPU
         * asleep until its own timer, and the verdict's "timer served" and "bells in" checks fail */
        quiet = c->lane.tx_open && c->lane.tx_seq % 6u == 4u;
        if ((c->need_bell && !quiet) || (r == 0 && tz_lane_done(&c->lane) && !secure_done)) {
            c->need_bell = false;
            secure_done = doorbell(c);
            continue;
        }
        if (tz_lane_done(&c->lane) && secure_done)
            break;
        if (r > 0)
            continue;
        /* nothing moves and the secure side has been rung for all we published: sleep until it rings us (it
         * serves the lane on its timer too) or our timer fires */
        r = tzchan_wait_prepare(&c->ch, (enum tzchan_wait)c->lane.wait);
        if (r < 0)
            break;
        if (r == 0) {
            tz_arch_irq_off();
            tz_arch_wfi(); /* an interrupt pending since the check ends it at once */
            tz_arch_irq_on();
        }
        tzchan_wait_done(&c->ch);
    }
}

static void report(struct ns_cpu *c)
{
    uint64_t r[4];
    const struct tz_lane *l = &c->lane;
    smc(TZ_SMP_REPORT, l->msgs_recv, (uint32_t)l->bytes_recv, (uint32_t)(l->bytes_recv >> 32), l->bad, c->ticks,
        c->doorbells, r);
    smc(TZ_SMP_REPORT2, c->preempted, c->resumed, l->msgs_sent, c->bells_in, c->ticks_in_call, c->probes_bad, r);
}

static void mmu_on(void)
{
    SYSREG_W(mair_el1, TZ_MAIR_VALUE);
    SYSREG_W(tcr_el1, TCR_EL1_VALUE);
    SYSREG_W(ttbr0_el1, tz_mmu_ttbr(&ns_mmu));
    __asm__ volatile("dsb sy; tlbi vmalle1; dsb sy; ic iallu; dsb sy; isb" ::: "memory");
    SYSREG_W(sctlr_el1, SCTLR_EL1_RES1 | SCTLR_M | SCTLR_C | SCTLR_I);
    ISB();
}

static void cpu0_setup(void)
{
    const uint64_t ram = TZ_PTE_NORMAL, dev = TZ_PTE_DEVICE | TZ_PTE_XN | TZ_PTE_PXN;
    uint64_t r[4], pa;
    unsigned i;
    int rc;

    tick = SYSREG_R(cntfrq_el0) / (1000000u / NS_TICK_US); /* before the other CPUs start: they read it */
    tz_mmu_init(&ns_mmu, ns_l1, ns_pool, 8, NULL); /* built once, before any MMU uses it */
    if (tz_mmu_map(&ns_mmu, TZ_NS_RAM_BASE, TZ_NS_RAM_BASE, TZ_NS_RAM_SIZE, ram) ||
        tz_mmu_map(&ns_mmu, 0x08000000u, 0x08000000u, 0x200000u, dev) ||
        tz_mmu_map(&ns_mmu, 0x09000000u, 0x09000000u, 0x200000u, dev))
        tz_panic("NS tables");
    mmu_on();
    /* the CPUs of the machine: AFFINITY_INFO answers INVALID_PARAMETERS for one it does not have */
    for (ncpu = 1; ncpu < NCPU; ncpu++) {
        smc(LK_PSCI_AFFINITY_INFO, ncpu, 0, 0, 0, 0, 0, r);
        if ((uint32_t)r[0] != LK_PSCI_AFF_OFF)
            break;
    }
    /* the refusals before a registration: no lane to ring, nothing to resume, and the secure world's own
     * "return" call is no call of ours (an SMC64-shaped ID: the monitor answers "unknown" itself) */
    smc(TZ_SMP_DOORBELL, 0, 0, 0, 0, 0, 0, r);
    expect(&cpus[0], "DOORBELL before REGISTER", r[0], (uint32_t)TZ_REG_ENOTREG);
    smc(TZ_SMP_RESUME, 0, 0, 0, 0, 0, 0, r);
    expect(&cpus[0], "RESUME with nothing preempted", r[0], (uint32_t)TZ_SMP_ENOTPREEMPTED);
    smc(TZ_SMP_SP_RETURN, 0, 0, 0, 0, 0, 0, r);
    expect(&cpus[0], "the secure world's return call", r[0], TZ_SMC_UNKNOWN);
    region = (void *)(uintptr_t)TZ_NS_REGION_PA; /* identity-mapped */
    region_size = (tzchan_region_size(ncpu, TZ_SMP_RING) + 4095u) & ~(uint64_t)4095u;
    memset(region, 0, (size_t)region_size);
    rc = tzchan_region_init(region, (size_t)region_size, ncpu, TZ_SMP_RING);
    if (rc < 0)
        tz_panic("tzchan_region_init: %s", tzchan_strerror(rc));
    __asm__ volatile("at s1e1r, %0" : : "r"(region));
    ISB();
    pa = (SYSREG_R(par_el1) & 0x0000fffffffff000ull) | ((uintptr_t)region & 0xfffu);
    smc(TZ_SMC_REGISTER, (uint32_t)pa, (uint32_t)(pa >> 32), (uint32_t)region_size, ncpu, TZ_SMP_RING, 0, r);
    if ((int32_t)r[0] != 0)
        tz_panic("registration refused: %d", (int)(int32_t)r[0]);
    gen = (uint32_t)r[1];
    smc(TZ_SMP_DOORBELL, gen + 1u, 0, 0, 0, 0, 0, r);
    expect(&cpus[0], "DOORBELL with another generation", r[0], (uint32_t)TZ_REG_ESTALE);
    tz_printf("normal world: %u CPUs, region at %#llx, %llu bytes, %u lanes x %u-byte rings, generation %u\n",
              ncpu, (unsigned long long)pa, (unsigned long long)region_size, ncpu, TZ_SMP_RING, gen);
    for (i = 1; i < ncpu; i++) {
        smc(LK_PSCI_CPU_ON64, i, (uintptr_t)ns_smp_secondary, i, 0, 0, 0, r);
        if (r[0] != 0u)
            tz_panic("PSCI CPU_ON(%u): %d", i, (int)(int64_t)r[0]);
    }
    tz_printf("normal world: CPUs 1..%u powered on through PSCI CPU_ON\n", ncpu - 1);
}

static void summary(void)
{
    unsigned i;
    uint64_t r[4];
    tz_printf("normal world summary (its own view; the verdict is the secure side's):\n");
    tz_printf("cpu  msgs in/out  bytes in  bad  doorbells  preempted  resumed  timer irqs  (in a call)  bells in\n");
    for (i = 0; i < ncpu; i++) {
        struct ns_cpu *c = &cpus[i];
        /* acquire: pairs with the release of that CPU's done */
        while (!__atomic_load_n(&c->done, __ATOMIC_ACQUIRE))
            __asm__ volatile("wfe");
        tz_printf("%u    %2u/%2u        %8llu  %3u  %9u  %9u  %7u  %10u  %11u  %8u\n", i, c->lane.msgs_recv,
                  c->lane.msgs_sent, (unsigned long long)c->lane.bytes_recv, c->lane.bad, c->doorbells,
                  c->preempted, c->resumed, c->ticks, c->ticks_in_call, c->bells_in);
        if (c->lane.error || c->lane.bad || c->errors || c->probes_bad || !tz_lane_done(&c->lane))
            tz_printf("UNEXPECTED: CPU%u: lane error %d (%s), %u bad, last call result %d, %u wrong answers\n", i,
                      c->lane.error, tzchan_strerror(c->lane.error), c->lane.bad, (int)c->last_rc, c->probes_bad);
    }
    smc(TZ_SMP_FINISH, 0, 0, 0, 0, 0, 0, r); /* the secure side ends the run */
    tz_panic("TZ_SMP_FINISH returned %d", (int)(int32_t)r[0]);
}

void ns_smp_main(uint64_t cpu)
{
    struct ns_cpu *c = &cpus[cpu];
    if (cpu == 0)
        cpu0_setup();
    else
        mmu_on(); /* CPU0 built the tables before it powered this CPU on */
    SYSREG_W(ICC_SRE_EL1, 7u);
    ISB();
    SYSREG_W(ICC_PMR_EL1, 0xffu);
    SYSREG_W(ICC_IGRPEN1_EL1, 1u);
    ISB();
    timer_arm();
    tz_arch_irq_on();
    run_lane((unsigned)cpu);
    report(c);
    /* release: this CPU's lane and counters are final before CPU0 reads them; pairs with summary's acquire */
    __atomic_store_n(&c->done, 1u, __ATOMIC_RELEASE);
    __asm__ volatile("dsb ish; sev" ::: "memory");
    if (cpu == 0)
        summary();
    for (;;)
        tz_arch_wfi();
}
