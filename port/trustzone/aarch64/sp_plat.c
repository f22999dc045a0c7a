// SPDX-License-Identifier: BSD-2-Clause
/* The AArch64 secure payloads' platform side (common/tz_plat.h) and S-EL1 translation tables, shared by the payload of the
 * dedicated-CPU images (sp_arch.c) and the per-CPU one of the SMP image (sp_smp.c). */
#include <stdint.h>
#include "a64.h"
#include "sp_plat.h"
#include "../common/tz_board.h"
#include "../common/tz_mmu.h"
#include "../common/tz_print.h"
#include "../common/tz_plat.h"

uint64_t tz_arch_now(void) { return a64_now(); }
uint64_t tz_arch_freq(void) { return SYSREG_R(cntfrq_el0); }
void tz_arch_irq_off(void) { __asm__ volatile("msr daifset, #3" ::: "memory"); }
void tz_arch_irq_on(void) { __asm__ volatile("msr daifclr, #3" ::: "memory"); }
void tz_arch_wfi(void) { __asm__ volatile("dsb sy; wfi" ::: "memory"); }
void tz_arch_exit(int status) { a64_semihost_exit(status); }
void tz_arch_putc(char c) { a64_pl011_putc(TZ_UART1_BASE, c); }

/* tz_mmu's break-before-make flush: the invalid descriptors reach the table walker (dsb ishst), every S-EL1 TLB and
 * walk-cache entry goes (tlbi vmalle1is), and that completes (dsb ish) before the next instruction (isb). */
static void sp_tlb_flush(void)
{
    __asm__ volatile("dsb ishst; tlbi vmalle1is; dsb ish; isb" ::: "memory");
}

static uint64_t sp_l1[512] __attribute__((aligned(4096)));
static uint64_t sp_pool[16][512] __attribute__((aligned(4096)));
struct tz_mmu sp_mmu;

void sp_mmu_build(void)
{
    const uint64_t ro = TZ_PTE_NORMAL | TZ_PTE_RO;
    const uint64_t rw = TZ_PTE_NORMAL | TZ_PTE_XN | TZ_PTE_PXN;
    const uint64_t dev = TZ_PTE_DEVICE | TZ_PTE_XN | TZ_PTE_PXN;
    tz_mmu_init(&sp_mmu, sp_l1, sp_pool, 16, sp_tlb_flush);
    if (tz_mmu_map(&sp_mmu, TZ_FLASH_BASE, TZ_FLASH_BASE, TZ_FLASH_SIZE, ro) ||
        tz_mmu_map(&sp_mmu, TZ_SRAM_BASE, TZ_SRAM_BASE, TZ_SRAM_SIZE, rw) ||
        tz_mmu_map(&sp_mmu, 0x08000000u, 0x08000000u, 0x200000u, dev) ||
        tz_mmu_map(&sp_mmu, 0x09000000u, 0x09000000u, 0x200000u, dev))
        tz_panic("S-EL1 tables");
}
