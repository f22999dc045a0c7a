/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The secure payload's AArch64 side, S-EL1 on CPU1: its translation tables (secure RAM and flash, devices, and a
 * window where a registered region is mapped Non-secure), the secure physical timer, the GICv3 CPU interface for
 * Group 0 (doorbell SGI and timer arrive as FIQ), the secure-only UART, and the main loop: serve the EL3
 * mailbox, move traffic, sleep in wfi when every lane waits.
 *
 * An image may choose differently through a header named by TZ_SP_CONFIG (compiler flag; the Linux-kernel
 * firmware uses port/trustzone/linux/sp_linux_config.h): the tick period, the normal world's doorbell (an
 * SPI set pending in the distributor instead of SGI 9), whether the Non-secure window is checked with AT S1E1R,
 * and whether the main loop keeps interrupts masked except in a window after wfi. Without it: the bare-metal
 * images' choices below.
 */
#include <stdbool.h>
#include <stdint.h>
#include "tz_libc.h"

#include "a64.h"
#include "sp_plat.h"
#include "mailbox.h"
#include "../common/tz_board.h"
#include "../common/tz_mmu.h"
#include "../common/tz_plat.h"
#include "../common/tz_print.h"
#include "../common/tz_secure.h"

#ifdef TZ_SP_CONFIG
#include TZ_SP_CONFIG
#endif
#ifndef TZ_SP_TICK_US
#define TZ_SP_TICK_US TZ_TICK_US /* secure timer period in microseconds (a whole fraction of 1 s) */
#endif
#ifndef TZ_SP_WINDOW_CHECK
#define TZ_SP_WINDOW_CHECK 1 /* verify (and print) each Non-secure window mapping with AT S1E1R */
#endif
#ifndef TZ_SP_IRQ_WINDOW
#define TZ_SP_IRQ_WINDOW 0 /* 1: interrupts stay masked in the main loop except right after wfi */
#endif
/* TZ_SP_NS_DOORBELL_SPI: when defined, the INTID of an edge-triggered SPI rung for the normal world by setting it
 * pending in the distributor; otherwise the normal world's doorbell is SGI TZ_IRQ_SGI_TO_NORMAL to CPU0. */

extern const unsigned char __flash_image_end[], __sram_start[], __sram_end[];

const char tz_sp_arch_name[] = "aarch64";
uint64_t tz_sp_image_ranges[4];

static uint64_t tick;

void sp_main(void) __attribute__((noreturn));
void el1_irq(uint64_t fiq);
void el1_sync(uint64_t vec, uint64_t *frame);
void el1_unexpected(uint64_t vec, uint64_t esr, uint64_t elr, uint64_t far) __attribute__((noreturn));

#ifdef TZ_SP_NS_DOORBELL_SPI
#define REG(a) (*(volatile uint32_t *)(uintptr_t)(a))
#define GICD_ISPENDR 0x0200u
#endif

/* ---- tz_secure.h ------------------------------------------------------------------------------------------ */
void *tz_sp_map_ns(uint64_t pa, uint64_t size)
{
#if TZ_SP_WINDOW_CHECK
    uint64_t par;
#endif
    if (size > TZ_SP_WINDOW_SIZE)
        return NULL;
    /* Non-secure, normal write-back cacheable, inner shareable: the same attributes the normal world uses, so
     * no cache maintenance is needed; never executable, never secure */
    if (tz_mmu_map(&sp_mmu, TZ_SP_WINDOW_VA, pa, size, TZ_PTE_NORMAL | TZ_PTE_NS | TZ_PTE_XN | TZ_PTE_PXN))
        return NULL; /* tz_mmu_map left nothing behind */
    DSB(ishst);
    ISB();
#if TZ_SP_WINDOW_CHECK
    /* ask the MMU what it made of it: the window must translate to the registered PA, Non-secure, Normal WB */
    __asm__ volatile("at s1e1r, %0" : : "r"((uint64_t)TZ_SP_WINDOW_VA));
    ISB();
    par = SYSREG_R(par_el1);
    if (tz_sp_chatty())
        tz_printf("window check (AT S1E1R): VA %#x -> PA %#llx, NS=%u, attr %#x\n", TZ_SP_WINDOW_VA,
                  (unsigned long long)(par & 0x0000fffffffff000ull), (unsigned)((par >> 9) & 1u),
                  (unsigned)(par >> 56));
    if ((par & 1u) || (par & 0x0000fffffffff000ull) != (pa & ~0xfffull) || !(par & (1u << 9)) || (par >> 56) != 0xffu) {
        tz_sp_unmap_ns((void *)(uintptr_t)TZ_SP_WINDOW_VA, size);
        return NULL;
    }
#endif
    return (void *)(uintptr_t)TZ_SP_WINDOW_VA;
}

void tz_sp_unmap_ns(void *va, uint64_t size)
{
    tz_mmu_unmap(&sp_mmu, (uintptr_t)va, size); /* invalidates, flushes the TLB (sp_tlb_flush), frees tables */
#if TZ_SP_WINDOW_CHECK
    __asm__ volatile("at s1e1r, %0" : : "r"((uint64_t)(uintptr_t)va));
    ISB();
    if (!(SYSREG_R(par_el1) & 1u)) /* the translation must be gone */
        tz_panic("window still mapped after unmap");
#endif
}

void tz_sp_publish_gen(uint32_t gen)
{
    __atomic_store_n(&tz_mbox.gen, gen, __ATOMIC_RELEASE); /* pairs with EL3's acquire in its doorbell check */
}

void tz_sp_ring_normal(void *ctx)
{
    (void)ctx;
    DSB(ish); /* the published indices are visible before the interrupt can be */
#ifdef TZ_SP_NS_DOORBELL_SPI
    REG(TZ_GICD_BASE + GICD_ISPENDR + 4u * (TZ_SP_NS_DOORBELL_SPI / 32u)) = 1u << (TZ_SP_NS_DOORBELL_SPI % 32u);
#else
    SYSREG_W(ICC_ASGI1R_EL1, a64_sgi_value(TZ_IRQ_SGI_TO_NORMAL, 0)); /* Group 1 non-secure SGI to CPU0 */
    ISB();
#endif
}

/* ---- set-up ----------------------------------------------------------------------------------------------- */
static void mmu_on(void)
{
    sp_mmu_build();
    SYSREG_W(mair_el1, TZ_MAIR_VALUE);
    SYSREG_W(tcr_el1, TCR_EL1_VALUE);
    SYSREG_W(ttbr0_el1, tz_mmu_ttbr(&sp_mmu));
    __asm__ volatile("dsb sy; tlbi vmalle1; dsb sy; ic iallu; dsb sy; isb" ::: "memory");
    SYSREG_W(sctlr_el1, SCTLR_EL1_RES1 | SCTLR_M | SCTLR_C | SCTLR_I);
    ISB();
}

static void timer_arm(void)
{
    SYSREG_W(CNTPS_TVAL_EL1, tick);
    SYSREG_W(CNTPS_CTL_EL1, 1u);
}

void el1_irq(uint64_t fiq)
{
    (void)fiq;
    for (;;) {
        uint64_t id = SYSREG_R(ICC_IAR0_EL1) & 0xffffffu;
        if (id >= 1020u)
            break;
        if (id == TZ_IRQ_SEC_TIMER) {
            timer_arm();
            tz_sp_tick(true);
        } else if (id == TZ_IRQ_SGI_TO_SECURE) {
            tz_sp_doorbell_irq();
        }
        SYSREG_W(ICC_EOIR0_EL1, id);
    }
}

void el1_sync(uint64_t vec, uint64_t *frame)
{
    (void)frame;
    el1_unexpected(vec, SYSREG_R(esr_el1), SYSREG_R(elr_el1), SYSREG_R(far_el1));
}

void el1_unexpected(uint64_t vec, uint64_t esr, uint64_t elr, uint64_t far)
{
    tz_panic("S-EL1 exception, vector %llu, ESR %#llx, ELR %#llx, FAR %#llx", (unsigned long long)vec,
             (unsigned long long)esr, (unsigned long long)elr, (unsigned long long)far);
}

static void serve_mailbox(void)
{
    uint32_t req = __atomic_load_n(&tz_mbox.req, __ATOMIC_ACQUIRE); /* pairs with EL3's release in forward() */
    uint32_t r[4], a[6];
    if (req == tz_mbox.done)
        return;
    memcpy(a, tz_mbox.a, sizeof a); /* EL3 already cut them to 32 bits */
    tz_sp_call(tz_mbox.fid, a, r);
    memcpy(tz_mbox.r, r, sizeof r);
    __atomic_store_n(&tz_mbox.done, req, __ATOMIC_RELEASE); /* pairs with EL3's acquire in forward() */
    __asm__ volatile("dsb ish; sev" ::: "memory");
}

void sp_main(void)
{
    mmu_on();
    SYSREG_W(ICC_SRE_EL1, 7u);
    ISB();
    SYSREG_W(ICC_PMR_EL1, 0xffu);
    SYSREG_W(ICC_IGRPEN0_EL1, 1u);
    ISB();
    tick = SYSREG_R(cntfrq_el0) / (1000000u / TZ_SP_TICK_US);
    tz_sp_image_ranges[0] = TZ_FLASH_BASE;
    tz_sp_image_ranges[1] = (uintptr_t)__flash_image_end;
    tz_sp_image_ranges[2] = (uintptr_t)__sram_start;
    tz_sp_image_ranges[3] = (uintptr_t)(__sram_end - __sram_start);
    tz_sp_init();
    timer_arm();
    __atomic_store_n(&tz_mbox.ready, 1u, __ATOMIC_RELEASE); /* pairs with EL3's acquire on CPU0 */
    __asm__ volatile("dsb ish; sev" ::: "memory");

#if TZ_SP_IRQ_WINDOW
    tz_arch_irq_off();
#endif
    for (;;) {
#if !TZ_SP_IRQ_WINDOW
        tz_arch_irq_on();
#endif
        serve_mailbox();
        if (tz_sp_run())
            continue;
#if TZ_SP_IRQ_WINDOW
        /* every lane waits (or nothing is registered): sleep until an interrupt is pending. Interrupts stay
         * masked except in the window below, so a doorbell or mailbox SGI that arrived since the checks above is
         * still pending and wfi returns at once; a mailbox call posted after serve_mailbox() raises one too. */
        tz_arch_wfi();
        tz_arch_irq_on();
        tz_arch_irq_off();
#else
        if (__atomic_load_n(&tz_mbox.req, __ATOMIC_ACQUIRE) != tz_mbox.done)
            continue; /* its SGI may have been taken while the traffic ran: do not sleep on it */
        /* every lane waits (or nothing is registered), interrupts masked: sleep until one is pending. A doorbell
         * or mailbox SGI that arrived since the checks is pending already, so wfi returns at once; it is taken
         * when the loop unmasks. A mailbox call posted after serve_mailbox() also raises the SGI. */
        tz_arch_wfi();
#endif
    }
}
