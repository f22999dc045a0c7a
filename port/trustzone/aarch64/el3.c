/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * EL3 on both CPUs: the monitor. CPU0 prepares the machine (copies the normal-world image to non-secure RAM,
 * builds the EL3 translation tables, configures the GICv3 distributor), releases CPU1, and enters the normal
 * world at NS-EL1 once the secure payload on CPU1 is up. From then on CPU0's EL3 only serves SMCs: it sanitises
 * the arguments (SMC32: low 32 bits only; SMC64 IDs are not implemented), answers unknown owners itself, and
 * forwards Trusted OS calls to the payload on CPU1 through a mailbox in secure RAM plus a Group 0 SGI, waiting
 * for the answer with wfe and a timeout. CPU1's EL3 configures its redistributor and drops to S-EL1 for good.
 */
#include <stdint.h>
#include "tz_libc.h"

#include "a64.h"
#include "../common/tz_board.h"
#include "../common/tz_mmu.h"
#include "../common/tz_print.h"
#include "../common/tz_smc.h"
#include "a64_gic.h"
#include "mailbox.h"

extern const unsigned char __ns_image_start[], __ns_image_end[];
void tz_pen_release(void);
void el3_main_cpu0(void) __attribute__((noreturn));
void el3_main_cpu1(void) __attribute__((noreturn));
void el3_smc(uint64_t *regs);
void el3_unexpected(uint64_t vec, uint64_t esr, uint64_t elr, uint64_t far) __attribute__((noreturn));

static uint64_t el3_l1[512] __attribute__((aligned(4096)));
static uint64_t el3_pool[4][512] __attribute__((aligned(4096)));
static struct tz_mmu el3_mmu;

struct tz_mailbox tz_mbox;

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

static void gic_cpu_el3(void)
{
    SYSREG_W(ICC_SRE_EL3, 0xfu); /* system registers at EL3, lower ELs may use them too */
    ISB();
}

void el3_main_cpu0(void)
{
    uint64_t end;

    /* the normal world's image goes to non-secure RAM while the MMU is still off (nothing cached yet) */
    memcpy((void *)(uintptr_t)TZ_NS_IMAGE, __ns_image_start, (size_t)(__ns_image_end - __ns_image_start));
    el3_mmu_build();
    el3_mmu_on();
    gic_cpu_el3();
    a64_gic_dist_init();
    a64_gic_redist_init(0);
    tz_pen_release();

    /* wait for the secure payload on CPU1 (wfe, 5 s timeout) */
    end = a64_now() + 5 * SYSREG_R(cntfrq_el0);
    while (!__atomic_load_n(&tz_mbox.ready, __ATOMIC_ACQUIRE)) {
        if (a64_now() > end)
            tz_panic("EL3: the secure payload did not come up");
        __asm__ volatile("wfe");
    }

    /* enter the normal world: NS-EL1, AArch64, all interrupts masked until it has set up its vectors */
    SYSREG_W(sctlr_el1, SCTLR_EL1_RES1);
    SYSREG_W(scr_el3, (1u << 0) | (3u << 4) | (1u << 10)); /* NS, RES1, RW; IRQ/FIQ stay with EL1 */
    SYSREG_W(spsr_el3, 0x3c5u);                              /* EL1h, DAIF masked */
    SYSREG_W(elr_el3, TZ_NS_IMAGE);
    ISB();
    __asm__ volatile("eret");
    __builtin_unreachable();
}

void sp_entry(void);

void el3_main_cpu1(void)
{
    el3_mmu_on();
    gic_cpu_el3();
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

void el3_smc(uint64_t *regs)
{
    uint32_t fid = (uint32_t)regs[0], a[6], r[4] = {TZ_SMC_UNKNOWN, 0, 0, 0};
    unsigned oen = (fid >> TZ_SMC_OEN_SHIFT) & TZ_SMC_OEN_MASK, i;

    for (i = 0; i < 6; i++)
        a[i] = (uint32_t)regs[i + 1]; /* SMC32: the upper halves carry nothing */
    if ((regs[0] >> 32) == 0 && !(fid & 0x40000000u) && (oen == TZ_SMC_OEN_TOS || oen == TZ_SMC_OEN_TOS_GENERIC))
        forward(fid, a, r);
    for (i = 0; i < 4; i++)
        regs[i] = r[i];
}

void el3_unexpected(uint64_t vec, uint64_t esr, uint64_t elr, uint64_t far)
{
    tz_panic("EL3 exception, vector %llu, ESR %#llx, ELR %#llx, FAR %#llx", (unsigned long long)vec,
             (unsigned long long)esr, (unsigned long long)elr, (unsigned long long)far);
}
