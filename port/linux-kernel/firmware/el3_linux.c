/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * EL3 of the firmware that boots Linux as the normal world (variant of port/trustzone/aarch64/el3.c, whose reset
 * code, vectors, GIC and MMU helpers it reuses). CPU0 builds the EL3 tables, configures the GICv3 distributor
 * and both redistributors, releases CPU1 (the secure payload, S-EL1 for good) and, once the payload is up, hands
 * the GIC over to Linux (every SPI and CPU0's SGIs/PPIs to Group 1 non-secure) and enters the Linux Image at
 * NS-EL1 with x0 = the device tree, as the arm64 boot protocol asks. From then on CPU0's EL3 serves SMCs:
 * PSCI 0.2 for one CPU (SYSTEM_OFF ends QEMU with the test's status through semihosting), the doorbell (raises
 * the payload's SGI itself), and every other Trusted OS call forwarded to the payload through the secure
 * mailbox. Arguments are cut to 32 bits first (SMC32); SMC64 and unknown owners get SMCCC's "unknown".
 */
#include <stdint.h>
#include "tz_libc.h"

#include "a64.h"
#include "a64_gic.h"
#include "mailbox.h"
#include "tz_board.h"
#include "tz_mmu.h"
#include "tz_print.h"
#include "tz_smc.h"
#include "lk_smc.h"
#include "lk_board.h"

void tz_pen_release(void);
void el3_main_cpu0(void) __attribute__((noreturn));
void el3_main_cpu1(void) __attribute__((noreturn));
void el3_smc(uint64_t *regs);
void el3_unexpected(uint64_t vec, uint64_t esr, uint64_t elr, uint64_t far) __attribute__((noreturn));
void sp_entry(void);

static uint64_t el3_l1[512] __attribute__((aligned(4096)));
static uint64_t el3_pool[4][512] __attribute__((aligned(4096)));
static struct tz_mmu el3_mmu;
static int exit_status = LK_EXIT_NO_VERDICT; /* what SYSTEM_OFF reports until the payload gives a verdict */

struct tz_mailbox tz_mbox;

#define REG(a) (*(volatile uint32_t *)(uintptr_t)(a))
#define GICD_IGROUPR 0x0080u
#define GICD_TYPER 0x0004u
#define GICR_SGI 0x10000u
#define GICR_IGROUPR0 (GICR_SGI + 0x0080u)
#define GICR_ICENABLER0 (GICR_SGI + 0x0180u)

static void el3_mmu_build(void)
{
    const uint64_t ro = TZ_PTE_NORMAL | TZ_PTE_RO | TZ_PTE_AP1;
    const uint64_t rw = TZ_PTE_NORMAL | TZ_PTE_AP1 | TZ_PTE_XN;
    const uint64_t dev = TZ_PTE_DEVICE | TZ_PTE_AP1 | TZ_PTE_XN;
    tz_mmu_init(&el3_mmu, el3_l1, el3_pool, 4);
    if (tz_mmu_map(&el3_mmu, TZ_FLASH_BASE, TZ_FLASH_BASE, TZ_FLASH_SIZE, ro) ||
        tz_mmu_map(&el3_mmu, TZ_SRAM_BASE, TZ_SRAM_BASE, TZ_SRAM_SIZE, rw) ||
        tz_mmu_map(&el3_mmu, 0x08000000u, 0x08000000u, 0x200000u, dev) ||
        tz_mmu_map(&el3_mmu, 0x09000000u, 0x09000000u, 0x200000u, dev))
        tz_panic("EL3 tables");
}

static void el3_mmu_on(void)
{
    SYSREG_W(mair_el3, TZ_MAIR_VALUE);
    SYSREG_W(tcr_el3, TCR_EL3_VALUE);
    SYSREG_W(ttbr0_el3, tz_mmu_ttbr(&el3_mmu));
    DSB(sy);
    __asm__ volatile("tlbi alle3; dsb sy; ic iallu; dsb sy; isb" ::: "memory");
    SYSREG_W(sctlr_el3, SCTLR_EL3_RES1 | SCTLR_M | SCTLR_C | SCTLR_I);
    ISB();
}

static void el3_cpu_common(void)
{
    SYSREG_W(ICC_SRE_EL3, 0xfu); /* GIC system registers at EL3, and lower ELs may use them too */
    SYSREG_W(cptr_el3, 0u);      /* FP/SIMD and the rest untrapped: Linux uses them */
    ISB();
}

/* Everything the secure side does not keep goes to Linux: all SPIs, and CPU0's SGIs and PPIs, to Group 1
 * non-secure. Without this every interrupt stays secure Group 0 and Linux never sees its timer (PPI 27). The
 * groups are already enabled (a64_gic_dist_init: ARE_S | ARE_NS | Grp0 | Grp1NS | Grp1S). Linux configures,
 * prioritises and enables what it uses. */
static void gic_handover(void)
{
    uint32_t lines = ((REG(TZ_GICD_BASE + GICD_TYPER) & 0x1fu) + 1u) * 32u, i;
    uintptr_t rd0 = TZ_GICR_BASE;
    for (i = 32; i < lines; i += 32)
        REG(TZ_GICD_BASE + GICD_IGROUPR + i / 8u) = 0xffffffffu;
    REG(rd0 + GICR_ICENABLER0) = 0xffffffffu; /* Linux enables its own */
    REG(rd0 + GICR_IGROUPR0) = 0xffffffffu;
    DSB(sy);
}

void el3_main_cpu0(void)
{
    uint64_t end;
    uint64_t freq = SYSREG_R(cntfrq_el0);

    el3_mmu_build();
    el3_mmu_on();
    el3_cpu_common();
    /* CNTFRQ_EL0 is only writable here; QEMU presets it, hardware firmware must set it */
    SYSREG_W(cntfrq_el0, freq ? freq : LK_CNTFRQ_DEFAULT);
    a64_gic_dist_init();
    a64_gic_redist_init(0); /* also clears GICR_WAKER.ProcessorSleep for CPU0 */
    tz_pen_release();

    end = a64_now() + 5 * SYSREG_R(cntfrq_el0);
    while (!__atomic_load_n(&tz_mbox.ready, __ATOMIC_ACQUIRE)) { /* pairs with the payload's release */
        if (a64_now() > end)
            tz_panic("EL3: the secure payload did not come up");
        __asm__ volatile("wfe");
    }
    gic_handover();
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

void el3_main_cpu1(void)
{
    el3_mmu_on();
    el3_cpu_common();
    a64_gic_redist_init(1);
    /* S-EL1 for good: secure, AArch64 below, S-EL1 may use the secure physical timer (ST) */
    SYSREG_W(sctlr_el1, SCTLR_EL1_RES1);
    SYSREG_W(scr_el3, (3u << 4) | (1u << 10) | (1u << 11));
    SYSREG_W(spsr_el3, 0x3c5u);
    SYSREG_W(elr_el3, (uintptr_t)sp_entry);
    ISB();
    __asm__ volatile("eret");
    __builtin_unreachable();
}

/* Forwards one call to the payload on CPU1 and waits (wfe, 1 s timeout) for its answer. */
static void forward(uint32_t fid, const uint32_t a[6], uint32_t r[4])
{
    uint32_t req = tz_mbox.req + 1u;
    uint64_t end;

    tz_mbox.fid = fid;
    memcpy(tz_mbox.a, a, sizeof tz_mbox.a);
    __atomic_store_n(&tz_mbox.req, req, __ATOMIC_RELEASE); /* pairs with the acquire load in the payload */
    DSB(sy);
    SYSREG_W(ICC_SGI0R_EL1, a64_sgi_value(TZ_IRQ_SGI_TO_SECURE, 1));
    ISB();
    end = a64_now() + SYSREG_R(cntfrq_el0);
    while (__atomic_load_n(&tz_mbox.done, __ATOMIC_ACQUIRE) != req) { /* pairs with the payload's release */
        if (a64_now() > end) {
            r[0] = TZ_SMC_UNKNOWN;
            r[1] = r[2] = r[3] = 0;
            return;
        }
        __asm__ volatile("wfe");
    }
    memcpy(r, tz_mbox.r, sizeof tz_mbox.r);
}

static void __attribute__((noreturn)) power_off(int status, const char *why)
{
    tz_printf("EL3: PSCI %s from the normal world: QEMU exit status %d\n", why, status);
    a64_semihost_exit(status);
}

void el3_smc(uint64_t *regs)
{
    uint32_t fid = (uint32_t)regs[0], a[6], r[4] = {TZ_SMC_UNKNOWN, 0, 0, 0};
    unsigned oen = (fid >> TZ_SMC_OEN_SHIFT) & TZ_SMC_OEN_MASK, i;

    for (i = 0; i < 6; i++)
        a[i] = (uint32_t)regs[i + 1]; /* SMC32: the upper halves carry nothing */
    if ((regs[0] >> 32) != 0 || (fid & 0x40000000u)) {
        /* SMC64 or garbage in the upper half: nothing here implements it */
    } else if (oen == 4u) { /* standard secure service: PSCI */
        switch (fid) {
        case LK_PSCI_VERSION:
            r[0] = 2u; /* 0.2 */
            break;
        case LK_PSCI_MIGRATE_INFO_TYPE:
            r[0] = 2u; /* no Trusted OS migration needed (it does not run on the caller's CPU) */
            break;
        case LK_PSCI_SYSTEM_OFF:
            power_off(exit_status, "SYSTEM_OFF");
        case LK_PSCI_SYSTEM_RESET:
            power_off(exit_status == 0 ? LK_EXIT_RESET : exit_status, "SYSTEM_RESET");
        default:
            r[0] = LK_PSCI_NOT_SUPPORTED;
            break;
        }
    } else if (fid == LK_SMC_DOORBELL) {
        DSB(sy); /* the caller's ring writes are visible before the interrupt can be */
        SYSREG_W(ICC_SGI0R_EL1, a64_sgi_value(TZ_IRQ_SGI_TO_SECURE, 1));
        ISB();
        r[0] = 0;
    } else if (oen == TZ_SMC_OEN_TOS || oen == TZ_SMC_OEN_TOS_GENERIC) {
        forward(fid, a, r);
        if (fid == LK_SMC_VERDICT && r[0] == 0)
            exit_status = (int)r[1];
    }
    for (i = 0; i < 4; i++)
        regs[i] = r[i];
}

void el3_unexpected(uint64_t vec, uint64_t esr, uint64_t elr, uint64_t far)
{
    tz_panic("EL3 exception, vector %llu, ESR %#llx, ELR %#llx, FAR %#llx", (unsigned long long)vec,
             (unsigned long long)esr, (unsigned long long)elr, (unsigned long long)far);
}
