/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * EL3 of the firmware that boots Linux as the normal world (variant of port/trustzone/aarch64/el3.c, whose reset
 * code, vectors, GIC and MMU helpers it reuses, with the monitor parts both share in el3_common.c: EL3 tables,
 * CPU1's path into S-EL1, SMC32 cutting, forwarding). CPU0 builds the EL3 tables, configures the GICv3 distributor
 * and its own and CPU1's redistributors, releases the other CPUs (CPU1: the secure payload, S-EL1 for good; CPUs
 * 2..3: wait at EL3 for PSCI CPU_ON) and, once the payload is up, hands the GIC over to Linux (every SPI and
 * CPU0's SGIs/PPIs to Group 1 non-secure) and enters the Linux Image at NS-EL1 with x0 = the device tree, as the
 * arm64 boot protocol asks. From then on EL3 serves SMCs on every normal-world CPU: PSCI 1.0 (CPU_ON, CPU_OFF and
 * AFFINITY_INFO for the normal world's CPUs; SYSTEM_OFF ends QEMU with the test's status through semihosting;
 * PSCI_FEATURES names exactly the functions served, lk_smc.h), the doorbell (raises the payload's SGI itself),
 * and every other Trusted OS call forwarded to the payload through the secure mailbox, one at a time. Arguments
 * are cut to 32 bits first (SMC32; PSCI's SMC64 IDs take whole registers); any other SMC64 and unknown owners get
 * SMCCC's "unknown".
 */
#include <stdint.h>
#include "tz_libc.h"

#include "a64.h"
#include "a64_gic.h"
#include "el3_common.h"
#include "tz_board.h"
#include "mailbox.h"
#include "tz_print.h"
#include "tz_region.h"
#include "tz_smc.h"
#include "lk_smc.h"
#include "lk_board.h"

/* What SYSTEM_OFF reports until the payload gives a verdict. Written and read at EL3 on any normal-world CPU:
 * relaxed is enough, the verdict SMC returns before the normal world can ask for SYSTEM_OFF. */
static int exit_status = LK_EXIT_NO_VERDICT;

/* ---- the normal world's CPUs (PSCI CPU_ON, CPU_OFF, AFFINITY_INFO) ------------------------------------------ *
 * One word per CPU, in secure RAM: LK_PSCI_AFF_ON, _OFF, _ON_PENDING, or CPU_NOT_NS (CPU1, the payload's, and
 * CPUs the machine does not have), plus CPU_CLAIMED while a CPU_ON writes the entry point. Transitions:
 *   OFF -> CLAIMED (CPU_ON, compare-and-swap: one CPU_ON wins) -> ON_PENDING (release, after entry and context)
 *   ON_PENDING -> ON (the target, at EL3, after reading entry and context) ; ON -> OFF (CPU_OFF, on that CPU)
 * Only EL3 touches them, so the normal world cannot race them except by calling PSCI from several CPUs at once,
 * which the compare-and-swap settles. A CPU that is OFF waits at EL3 in wfe (el3_main_secondary). */
#define CPU_NOT_NS 0xffu
#define CPU_CLAIMED 0xfeu
static uint32_t cpu_state[EL3_MAX_CPUS];
static uint64_t cpu_entry[EL3_MAX_CPUS], cpu_context[EL3_MAX_CPUS];

void el3_cpu_init(void)
{
    SYSREG_W(ICC_SRE_EL3, 0xfu); /* GIC system registers at EL3, and lower ELs may use them too */
    SYSREG_W(cptr_el3, 0u);      /* FP/SIMD and the rest untrapped: Linux uses them */
    ISB();
}

static void __attribute__((noreturn)) enter_linux(uint64_t entry, uint64_t x0_value)
{
    /* arm64 boot protocol: MMU and caches off at NS-EL1, x0 as given, x1..x3 = 0, all exceptions masked.
     * SCR_EL3 0x431: NS, RES1 (bits 4, 5), RW (EL1 is AArch64); SMC enabled, IRQ/FIQ stay below EL3. */
    SYSREG_W(sctlr_el1, SCTLR_EL1_RES1);
    SYSREG_W(scr_el3, 0x431u);
    SYSREG_W(spsr_el3, 0x3c5u); /* EL1h, DAIF masked */
    SYSREG_W(elr_el3, entry);
    ISB();
    {
        register uint64_t x0 __asm__("x0") = x0_value;
        register uint64_t x1 __asm__("x1") = 0, x2 __asm__("x2") = 0, x3 __asm__("x3") = 0;
        __asm__ volatile("eret" : : "r"(x0), "r"(x1), "r"(x2), "r"(x3) : "memory");
    }
    __builtin_unreachable();
}

void el3_main_cpu0(void)
{
    uint64_t freq = SYSREG_R(cntfrq_el0);

    el3_mmu_setup();
    el3_cpu_init();
    /* CNTFRQ_EL0 is only writable here; QEMU presets it, hardware firmware must set it */
    SYSREG_W(cntfrq_el0, freq ? freq : LK_CNTFRQ_DEFAULT);
    a64_gic_dist_init();
    a64_gic_redist_init(0); /* also clears GICR_WAKER.ProcessorSleep for CPU0 */
    {
        unsigned n = a64_gic_cpu_count(EL3_MAX_CPUS), i;
        for (i = 0; i < EL3_MAX_CPUS; i++) /* before the pen opens: the others read these once released */
            cpu_state[i] = i == 0 ? LK_PSCI_AFF_ON : (i == 1 || i >= n) ? CPU_NOT_NS : LK_PSCI_AFF_OFF;
        tz_printf("EL3: %u CPUs: CPU0 boots Linux, CPU1 runs the secure payload, %u more for PSCI CPU_ON\n", n,
                  n > 2 ? n - 2 : 0);
    }
    tz_pen_release();

    el3_wait_payload();
    a64_gic_handover_ns(); /* all SPIs and CPU0's SGIs/PPIs to Linux (Group 1 non-secure) */
    tz_printf("EL3: GIC handed over, entering Linux at %#x (NS-EL1), device tree at %#x\n", LK_IMAGE_PA, LK_DTB_PA);
    /* Image, device tree and initramfs were put in RAM by QEMU's loader before reset and EL3 never wrote there,
     * so no cache line of ours can shadow them (firmware that copies them itself must clean to PoC first). */
    enter_linux(LK_IMAGE_PA, LK_DTB_PA);
}

/* CPUs 2..3 after the pen, and any normal-world CPU after CPU_OFF (on a fresh EL3 stack): wait at EL3 until a
 * CPU_ON names this CPU, then enter Linux at its entry point. */
void el3_main_secondary(unsigned cpu)
{
    uint64_t freq, entry, context;

    el3_mmu_on(); /* before reading cpu_state: CPU0 wrote it through its caches */
    el3_cpu_init();
    freq = SYSREG_R(cntfrq_el0);
    SYSREG_W(cntfrq_el0, freq ? freq : LK_CNTFRQ_DEFAULT);
    /* acquire: entry and context are read after the state says they are written; pairs with the release in
     * psci_cpu_on */
    while (__atomic_load_n(&cpu_state[cpu], __ATOMIC_ACQUIRE) != LK_PSCI_AFF_ON_PENDING)
        __asm__ volatile("wfe"); /* no timeout: a CPU that is off waits for ever */
    entry = cpu_entry[cpu];
    context = cpu_context[cpu];
    a64_gic_redist_handover_ns(cpu);
    /* release: our GIC set-up is done before AFFINITY_INFO reports ON; pairs with the acquire in psci_aff_info */
    __atomic_store_n(&cpu_state[cpu], LK_PSCI_AFF_ON, __ATOMIC_RELEASE);
    enter_linux(entry, context);
}

/* MPIDR -> CPU number (Aff0), or EL3_MAX_CPUS for one that is no normal-world CPU of this machine. */
static unsigned psci_target(uint64_t mpidr)
{
    if ((mpidr & ~(uint64_t)0xffu) != 0u || mpidr >= EL3_MAX_CPUS)
        return EL3_MAX_CPUS;
    return __atomic_load_n(&cpu_state[mpidr], __ATOMIC_RELAXED) == CPU_NOT_NS ? EL3_MAX_CPUS : (unsigned)mpidr;
}

static uint32_t psci_cpu_on(uint64_t mpidr, uint64_t entry, uint64_t context)
{
    unsigned cpu = psci_target(mpidr);
    uint32_t expect = LK_PSCI_AFF_OFF;

    if (cpu == EL3_MAX_CPUS)
        return LK_PSCI_INVALID_PARAMETERS;
    /* the entry point must be normal-world RAM (the CPU starts there with its MMU off) */
    if (entry < TZ_NS_RAM_BASE || entry >= (uint64_t)TZ_NS_RAM_BASE + TZ_NS_RAM_SIZE || (entry & 3u) != 0u)
        return LK_PSCI_INVALID_ADDRESS;
    /* relaxed: the swap only claims the CPU (of two CPU_ONs, one wins); what the target reads is published by
     * the release store below */
    if (!__atomic_compare_exchange_n(&cpu_state[cpu], &expect, CPU_CLAIMED, 0, __ATOMIC_RELAXED,
                                     __ATOMIC_RELAXED))
        return expect == LK_PSCI_AFF_ON ? LK_PSCI_ALREADY_ON : LK_PSCI_ON_PENDING;
    cpu_entry[cpu] = entry;
    cpu_context[cpu] = context;
    /* release: entry and context are written before the target can see ON_PENDING; pairs with the acquire in
     * el3_main_secondary */
    __atomic_store_n(&cpu_state[cpu], LK_PSCI_AFF_ON_PENDING, __ATOMIC_RELEASE);
    DSB(sy);
    __asm__ volatile("sev");
    return LK_PSCI_SUCCESS;
}

static uint32_t psci_aff_info(uint64_t mpidr, uint64_t level)
{
    unsigned cpu = psci_target(mpidr);
    uint32_t st;

    if (cpu == EL3_MAX_CPUS || level != 0u)
        return LK_PSCI_INVALID_PARAMETERS;
    /* acquire: pairs with the release stores of the transitions (el3_main_secondary, psci_cpu_on, CPU_OFF) */
    st = __atomic_load_n(&cpu_state[cpu], __ATOMIC_ACQUIRE);
    return st == CPU_CLAIMED ? LK_PSCI_AFF_ON_PENDING : st;
}

/* CPU_OFF: the calling CPU leaves the normal world until a CPU_ON names it again: the SMC never returns; the CPU
 * says OFF and waits at EL3 in el3_main_secondary, on a fresh stack. Refused (DENIED, returning) on a CPU that is
 * not a normal-world one: CPU1's payload must not become a CPU that CPU_ON could hand to the normal world. */
static uint32_t psci_cpu_off(void)
{
    unsigned cpu = a64_cpu();

    if (cpu >= EL3_MAX_CPUS || __atomic_load_n(&cpu_state[cpu], __ATOMIC_RELAXED) != LK_PSCI_AFF_ON)
        return LK_PSCI_DENIED; /* relaxed: only this CPU moves its own word away from ON */

    /* release: everything this CPU did happens before AFFINITY_INFO reports OFF (Linux then frees its stack);
     * pairs with the acquire in psci_aff_info */
    __atomic_store_n(&cpu_state[cpu], LK_PSCI_AFF_OFF, __ATOMIC_RELEASE);
    el3_secondary_restart();
}

/* The status SYSTEM_OFF reports: the LK_SMC_VERDICT's, else one that came as a message on the channel (a test of a
 * production driver, which has no verdict ioctl: LK_SMC_COLLECT), else LK_EXIT_NO_VERDICT. */
static int final_status(void)
{
    uint32_t a[6] = {0, 0, 0, 0, 0, 0}, r[4] = {TZ_SMC_UNKNOWN, 0, 0, 0};
    int status = __atomic_load_n(&exit_status, __ATOMIC_RELAXED); /* see exit_status */

    if (status != LK_EXIT_NO_VERDICT)
        return status;
    el3_forward(LK_SMC_COLLECT, a, r);
    return r[0] == 0 ? (int)r[1] : LK_EXIT_NO_VERDICT;
}

static void __attribute__((noreturn)) power_off(int status, const char *why)
{
    tz_printf("EL3: PSCI %s from the normal world: QEMU exit status %d\n", why, status);
    a64_semihost_exit(status);
}

/* The PSCI functions this monitor serves: PSCI_FEATURES answers from here and el3_smc() dispatches only what is
 * here, so the two cannot disagree. */
static int psci_served(uint32_t fid)
{
    switch (fid) {
    case LK_PSCI_VERSION:
    case LK_PSCI_CPU_OFF:
    case LK_PSCI_CPU_ON:
    case LK_PSCI_CPU_ON64:
    case LK_PSCI_AFFINITY_INFO:
    case LK_PSCI_AFFINITY_INFO64:
    case LK_PSCI_MIGRATE_INFO_TYPE:
    case LK_PSCI_SYSTEM_OFF:
    case LK_PSCI_SYSTEM_RESET:
    case LK_PSCI_FEATURES:
        return 1;
    default:
        return 0;
    }
}

/* PSCI_FEATURES(fid): 0 (served, no feature flags) or NOT_SUPPORTED. The first queries are logged on the secure
 * UART (Linux asks a handful at boot; the run script checks one answer), later ones only counted. */
static uint32_t psci_features(uint32_t fid)
{
    static unsigned asked;
    uint32_t answer = psci_served(fid) ? 0u : LK_PSCI_NOT_SUPPORTED;

    /* relaxed: a count, ordering nothing */
    if (__atomic_fetch_add(&asked, 1u, __ATOMIC_RELAXED) < 16u)
        tz_printf("EL3: PSCI_FEATURES(%#x) = %s\n", fid, answer == 0u ? "0 (served)" : "NOT_SUPPORTED");
    return answer;
}

void el3_smc(uint64_t *regs)
{
    uint32_t fid, a[6], r[4] = {TZ_SMC_UNKNOWN, 0, 0, 0};
    int smc32 = el3_smc32_args(regs, &fid, a);
    unsigned oen = (fid >> TZ_SMC_OEN_SHIFT) & TZ_SMC_OEN_MASK;

    if ((regs[0] >> 32) == 0u && oen == 4u) { /* standard secure service: PSCI, SMC32 or SMC64 */
        /* arguments: an SMC32 ID gets the low halves (a[]), an SMC64 ID (bit 30) the whole registers */
        uint64_t x1 = smc32 ? a[0] : regs[1], x2 = smc32 ? a[1] : regs[2], x3 = smc32 ? a[2] : regs[3];
        switch (psci_served(fid) ? fid : LK_PSCI_NOT_SUPPORTED) {
        case LK_PSCI_VERSION:
            r[0] = LK_PSCI_VERSION_1_0;
            break;
        case LK_PSCI_CPU_ON:
        case LK_PSCI_CPU_ON64:
            r[0] = psci_cpu_on(x1, x2, x3);
            break;
        case LK_PSCI_AFFINITY_INFO:
        case LK_PSCI_AFFINITY_INFO64:
            r[0] = psci_aff_info(x1, x2);
            break;
        case LK_PSCI_CPU_OFF:
            r[0] = psci_cpu_off(); /* returns only when refused */
            break;
        case LK_PSCI_FEATURES:
            r[0] = psci_features(a[0]); /* w1: the function ID asked about */
            break;
        case LK_PSCI_MIGRATE_INFO_TYPE:
            r[0] = 2u; /* no Trusted OS migration needed (it does not run on the caller's CPU) */
            break;
        case LK_PSCI_SYSTEM_OFF:
            power_off(final_status(), "SYSTEM_OFF");
        case LK_PSCI_SYSTEM_RESET: {
            int status = final_status();
            power_off(status == 0 ? LK_EXIT_RESET : status, "SYSTEM_RESET");
        }
        default:
            r[0] = LK_PSCI_NOT_SUPPORTED;
            break;
        }
        if (!smc32) { /* SMC64: the result is a 64-bit signed value */
            el3_smc_return(regs, r);
            regs[0] = (uint64_t)(int64_t)(int32_t)r[0];
            return;
        }
    } else if (!smc32) {
        /* any other SMC64, or garbage in the upper half: nothing here implements it */
    } else if (fid == LK_SMC_DOORBELL) {
        /* w1 = generation, 0 = current (what the driver passes). acquire: pairs with the payload's release in
         * tz_sp_publish_gen(). mutant: ringing for any w1 lets a stale caller wake the payload for a region
         * it no longer owns; harmless to the payload but a broken ABI promise (tz_smc.h) */
        uint32_t cur = __atomic_load_n(&tz_mbox.gen, __ATOMIC_ACQUIRE);
        if (a[0] != 0 && a[0] != cur) {
            r[0] = (uint32_t)TZ_REG_ESTALE;
        } else {
            DSB(sy); /* the caller's ring writes are visible before the interrupt can be */
            SYSREG_W(ICC_SGI0R_EL1, a64_sgi_value(TZ_IRQ_SGI_TO_SECURE, 1));
            ISB();
            r[0] = 0;
        }
    } else if (oen == TZ_SMC_OEN_TOS || oen == TZ_SMC_OEN_TOS_GENERIC) {
        el3_forward(fid, a, r);
        if (fid == LK_SMC_VERDICT && r[0] == 0)
            __atomic_store_n(&exit_status, (int)r[1], __ATOMIC_RELAXED); /* see exit_status */
    }
    el3_smc_return(regs, r);
}
