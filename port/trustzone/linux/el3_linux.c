/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * EL3 of the firmware that boots Linux as the normal world (variant of port/trustzone/aarch64/el3.c, whose reset
 * code, vectors, GIC and MMU helpers it reuses, with the monitor parts both share in el3_common.c: EL3 tables,
 * CPU1's path into S-EL1, SMC32 cutting, forwarding). CPU0 builds the EL3 tables, configures the GICv3 distributor
 * and both redistributors, releases CPU1 (the secure payload, S-EL1 for good) and, once the payload is up, hands
 * the GIC over to Linux (every SPI and CPU0's SGIs/PPIs to Group 1 non-secure) and enters the Linux Image at
 * NS-EL1 with x0 = the device tree, as the arm64 boot protocol asks. From then on CPU0's EL3 serves SMCs:
 * PSCI 1.0 for one CPU (SYSTEM_OFF ends QEMU with the test's status through semihosting; PSCI_FEATURES names
 * exactly the functions served, lk_smc.h), the doorbell (raises
 * the payload's SGI itself), and every other Trusted OS call forwarded to the payload through the secure
 * mailbox. Arguments are cut to 32 bits first (SMC32); SMC64 and unknown owners get SMCCC's "unknown".
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

static int exit_status = LK_EXIT_NO_VERDICT; /* what SYSTEM_OFF reports until the payload gives a verdict */

void el3_cpu_init(void)
{
    SYSREG_W(ICC_SRE_EL3, 0xfu); /* GIC system registers at EL3, and lower ELs may use them too */
    SYSREG_W(cptr_el3, 0u);      /* FP/SIMD and the rest untrapped: Linux uses them */
    ISB();
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
    tz_pen_release();

    el3_wait_payload();
    a64_gic_handover_ns(); /* all SPIs and CPU0's SGIs/PPIs to Linux (Group 1 non-secure) */
    tz_printf("EL3: GIC handed over, entering Linux at %#x (NS-EL1), device tree at %#x\n", LK_IMAGE_PA, LK_DTB_PA);

    /* arm64 boot protocol: MMU and caches off at NS-EL1, x0 = device tree, x1..x3 = 0, all exceptions masked.
     * SCR_EL3 0x431: NS, RES1 (bits 4, 5), RW (EL1 is AArch64); SMC enabled, IRQ/FIQ stay below EL3. */
    SYSREG_W(sctlr_el1, SCTLR_EL1_RES1);
    SYSREG_W(scr_el3, 0x431u);
    SYSREG_W(spsr_el3, 0x3c5u); /* EL1h, DAIF masked */
    SYSREG_W(elr_el3, LK_IMAGE_PA);
    ISB();
    /* Image, device tree and initramfs were put in RAM by QEMU's loader before reset and EL3 never wrote there,
     * so no cache line of ours can shadow them (firmware that copies them itself must clean to PoC first). */
    {
        register uint64_t x0 __asm__("x0") = LK_DTB_PA;
        register uint64_t x1 __asm__("x1") = 0, x2 __asm__("x2") = 0, x3 __asm__("x3") = 0;
        __asm__ volatile("eret" : : "r"(x0), "r"(x1), "r"(x2), "r"(x3) : "memory");
    }
    __builtin_unreachable();
}

/* The status SYSTEM_OFF reports: the LK_SMC_VERDICT's, else one that came as a message on the channel (a test of a
 * production driver, which has no verdict ioctl: LK_SMC_COLLECT), else LK_EXIT_NO_VERDICT. */
static int final_status(void)
{
    uint32_t a[6] = {0, 0, 0, 0, 0, 0}, r[4] = {TZ_SMC_UNKNOWN, 0, 0, 0};

    if (exit_status != LK_EXIT_NO_VERDICT)
        return exit_status;
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

    if (asked++ < 16u)
        tz_printf("EL3: PSCI_FEATURES(%#x) = %s\n", fid, answer == 0u ? "0 (served)" : "NOT_SUPPORTED");
    return answer;
}

void el3_smc(uint64_t *regs)
{
    uint32_t fid, a[6], r[4] = {TZ_SMC_UNKNOWN, 0, 0, 0};
    int smc32 = el3_smc32_args(regs, &fid, a);
    unsigned oen = (fid >> TZ_SMC_OEN_SHIFT) & TZ_SMC_OEN_MASK;

    if (!smc32) {
        /* SMC64 or garbage in the upper half: nothing here implements it */
    } else if (oen == 4u) { /* standard secure service: PSCI */
        switch (psci_served(fid) ? fid : LK_PSCI_NOT_SUPPORTED) {
        case LK_PSCI_VERSION:
            r[0] = LK_PSCI_VERSION_1_0;
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
            exit_status = (int)r[1];
    }
    el3_smc_return(regs, r);
}
