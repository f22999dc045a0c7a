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
#include "el3_psci.h"
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

/* ---- the normal world's CPUs: PSCI CPU_ON, CPU_OFF, AFFINITY_INFO (their states: aarch64/el3_psci.c) ------- *
 * CPU1 (the payload's) and CPUs the machine does not have are EL3_CPU_NONE. */

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
            el3_psci_set(i, i == 0 ? LK_PSCI_AFF_ON : (i == 1 || i >= n) ? EL3_CPU_NONE : LK_PSCI_AFF_OFF);
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

    el3_mmu_on(); /* before reading the PSCI states: CPU0 wrote them through its caches */
    el3_cpu_init();
    freq = SYSREG_R(cntfrq_el0);
    SYSREG_W(cntfrq_el0, freq ? freq : LK_CNTFRQ_DEFAULT);
    el3_psci_wait_on(cpu, &entry, &context);
    a64_gic_redist_handover_ns(cpu);
    el3_psci_now_on(cpu); /* after our GIC set-up */
    enter_linux(entry, context);
}

/* CPU_OFF: the calling CPU leaves the normal world until a CPU_ON names it again: the SMC never returns; the CPU
 * says OFF and waits at EL3 in el3_main_secondary, on a fresh stack. Refused (DENIED, returning) on a CPU that is
 * not a normal-world one: CPU1's payload must not become a CPU that CPU_ON could hand to the normal world. */
static uint32_t psci_cpu_off(void)
{
    if (el3_psci_cpu_off(a64_cpu()) != 0u)
        return LK_PSCI_DENIED;
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

void el3_smc(uint64_t *regs)
{
    uint32_t fid, a[6], r[4] = {TZ_SMC_UNKNOWN, 0, 0, 0};
    int smc32 = el3_smc32_args(regs, &fid, a);
    unsigned oen = (fid >> TZ_SMC_OEN_SHIFT) & TZ_SMC_OEN_MASK;

    if ((regs[0] >> 32) == 0u && oen == 4u) { /* standard secure service: PSCI, SMC32 or SMC64 */
        /* arguments: an SMC32 ID gets the low halves (a[]), an SMC64 ID (bit 30) the whole registers */
        uint64_t x1 = smc32 ? a[0] : regs[1], x2 = smc32 ? a[1] : regs[2], x3 = smc32 ? a[2] : regs[3];
        switch (el3_psci_linux_served(fid) ? fid : LK_PSCI_NOT_SUPPORTED) {
        case LK_PSCI_VERSION:
            r[0] = LK_PSCI_VERSION_1_0;
            break;
        case LK_PSCI_CPU_ON:
        case LK_PSCI_CPU_ON64:
            r[0] = el3_psci_cpu_on(x1, x2, x3);
            break;
        case LK_PSCI_AFFINITY_INFO:
        case LK_PSCI_AFFINITY_INFO64:
            r[0] = el3_psci_aff_info(x1, x2);
            break;
        case LK_PSCI_CPU_OFF:
            r[0] = psci_cpu_off(); /* returns only when refused */
            break;
        case LK_PSCI_FEATURES:
            r[0] = el3_psci_linux_features(a[0]); /* w1: the function ID asked about */
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
