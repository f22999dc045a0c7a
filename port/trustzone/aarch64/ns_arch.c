/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The normal world's AArch64 side, NS-EL1 on CPU0: its translation tables (RAM identity-mapped, plus an alias of
 * the region's pages at another VA, so that registering it needs a real VA->PA translation), the non-secure
 * physical timer, the GICv3 CPU interface for Group 1, the SMC and the doorbell SGI to the secure CPU.
 */
#include <stdint.h>

#include "a64.h"
#include "../common/tz_board.h"
#include "../common/tz_mmu.h"
#include "../common/tz_normal.h"
#include "../common/tz_plat.h"
#include "../common/tz_print.h"

#ifndef TZ_NS_MODE
#define TZ_NS_MODE 1
#endif

const char tz_ns_arch_name[] = "aarch64";
static uint64_t ns_l1[512] __attribute__((aligned(4096)));
static uint64_t ns_pool[8][512] __attribute__((aligned(4096)));
static struct tz_mmu ns_mmu;
static uint64_t tick;
static volatile int probe_armed, probe_faulted;

void ns_main(void) __attribute__((noreturn));
void el1_irq(uint64_t fiq);
void el1_sync(uint64_t vec, uint64_t *frame);
void el1_unexpected(uint64_t vec, uint64_t esr, uint64_t elr, uint64_t far) __attribute__((noreturn));

void tz_ns_smc_raw(const uint64_t x[7], uint32_t r[4])
{
    register uint64_t x0 __asm__("x0") = x[0];
    register uint64_t x1 __asm__("x1") = x[1];
    register uint64_t x2 __asm__("x2") = x[2];
    register uint64_t x3 __asm__("x3") = x[3];
    register uint64_t x4 __asm__("x4") = x[4];
    register uint64_t x5 __asm__("x5") = x[5];
    register uint64_t x6 __asm__("x6") = x[6];
    __asm__ volatile("smc #0"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5), "+r"(x6)
                     :
                     : "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", "memory");
    r[0] = (uint32_t)x0;
    r[1] = (uint32_t)x1;
    r[2] = (uint32_t)x2;
    r[3] = (uint32_t)x3;
}

void tz_ns_smc(uint32_t fid, const uint32_t a[6], uint32_t r[4])
{
    /* an SMC32 call: the upper halves of the argument registers are zero */
    const uint64_t x[7] = {fid, a[0], a[1], a[2], a[3], a[4], a[5]};
    tz_ns_smc_raw(x, r);
}

uint64_t tz_ns_va_to_pa(const void *va)
{
    uint64_t par;
    __asm__ volatile("at s1e1r, %0" : : "r"(va));
    ISB();
    par = SYSREG_R(par_el1);
    if (par & 1u)
        tz_panic("no translation for %p", va);
    return (par & 0x0000fffffffff000ull) | ((uintptr_t)va & 0xfffu);
}

void tz_ns_ring_secure(void *ctx)
{
    (void)ctx;
    DSB(ish); /* what we published is visible before the interrupt can be */
    SYSREG_W(ICC_SGI0R_EL1, a64_sgi_value(TZ_IRQ_SGI_TO_SECURE, 1)); /* Group 0 SGI, allowed by GICR_NSACR */
    ISB();
}

static void timer_arm(void)
{
    SYSREG_W(cntp_tval_el0, tick);
    SYSREG_W(cntp_ctl_el0, 1u);
}

void el1_irq(uint64_t fiq)
{
    (void)fiq;
    for (;;) {
        uint64_t id = SYSREG_R(ICC_IAR1_EL1) & 0xffffffu;
        if (id >= 1020u)
            break;
        if (id == TZ_IRQ_NS_TIMER) {
            timer_arm();
            tz_ns_tick();
        } else if (id == TZ_IRQ_SGI_TO_NORMAL) {
            tz_ns_doorbell_irq();
        }
        SYSREG_W(ICC_EOIR1_EL1, id);
    }
}

/* A data abort from the current EL while a probe is armed: note it and resume after the faulting access. */
void el1_sync(uint64_t vec, uint64_t *frame)
{
    uint64_t esr = SYSREG_R(esr_el1);
    if (probe_armed && (esr >> 26) == 0x25u) {
        probe_faulted = 1;
        frame[20] += 4; /* the saved ELR: skip the load or store */
        return;
    }
    el1_unexpected(vec, esr, SYSREG_R(elr_el1), SYSREG_R(far_el1));
}

int tz_ns_probe(uintptr_t addr, int write)
{
    volatile uint32_t *p = (volatile uint32_t *)addr;
    probe_faulted = 0;
    probe_armed = 1;
    DSB(sy);
    if (write)
        *p = 0x21u; /* '!' */
    else
        (void)*p;
    DSB(sy);
    ISB();
    probe_armed = 0;
    return probe_faulted;
}

void el1_unexpected(uint64_t vec, uint64_t esr, uint64_t elr, uint64_t far)
{
    tz_panic("NS-EL1 exception, vector %llu, ESR %#llx, ELR %#llx, FAR %#llx", (unsigned long long)vec,
             (unsigned long long)esr, (unsigned long long)elr, (unsigned long long)far);
}

void ns_main(void)
{
    const uint64_t ram = TZ_PTE_NORMAL, dev = TZ_PTE_DEVICE | TZ_PTE_XN | TZ_PTE_PXN;
    tz_mmu_init(&ns_mmu, ns_l1, ns_pool, 8, NULL); /* built once, before the MMU is on */
    if (tz_mmu_map(&ns_mmu, TZ_NS_RAM_BASE, TZ_NS_RAM_BASE, TZ_NS_RAM_SIZE, ram) ||
        tz_mmu_map(&ns_mmu, 0x08000000u, 0x08000000u, 0x200000u, dev) ||
        tz_mmu_map(&ns_mmu, 0x09000000u, 0x09000000u, 0x200000u, dev) ||
        tz_mmu_map(&ns_mmu, TZ_NS_REGION_VA, TZ_NS_REGION_PA, 0x10000u, ram | TZ_PTE_XN | TZ_PTE_PXN) ||
        /* secure flash and RAM as the normal world might try them: mapped here, refused by the bus */
        tz_mmu_map(&ns_mmu, TZ_FLASH_BASE, TZ_FLASH_BASE, 0x200000u, dev) ||
        tz_mmu_map(&ns_mmu, TZ_SRAM_BASE, TZ_SRAM_BASE, 0x200000u, dev))
        tz_panic("NS tables");
    SYSREG_W(mair_el1, TZ_MAIR_VALUE);
    SYSREG_W(tcr_el1, TCR_EL1_VALUE);
    SYSREG_W(ttbr0_el1, tz_mmu_ttbr(&ns_mmu));
    __asm__ volatile("dsb sy; tlbi vmalle1; dsb sy; ic iallu; dsb sy; isb" ::: "memory");
    SYSREG_W(sctlr_el1, SCTLR_EL1_RES1 | SCTLR_M | SCTLR_C | SCTLR_I);
    ISB();

    SYSREG_W(ICC_SRE_EL1, 7u);
    ISB();
    SYSREG_W(ICC_PMR_EL1, 0xffu);
    SYSREG_W(ICC_IGRPEN1_EL1, 1u);
    ISB();
    tick = SYSREG_R(cntfrq_el0) / (1000000u / TZ_TICK_US);
    timer_arm();
    tz_arch_irq_on();
    tz_ns_main(TZ_NS_MODE);
}
