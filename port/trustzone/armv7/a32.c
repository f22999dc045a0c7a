/* SPDX-License-Identifier: BSD-2-Clause */
/* ARMv7-A helpers: MMU enable (LPAE), PL011 output, semihosting exit (see a32.h). */
#include "a32.h"

#include "../common/tz_mmu.h"

void a32_mmu_enable(uint64_t ttbr0)
{
    /* TTBCR: EAE (long descriptors), walks inner shareable write-back, T0SZ 0: TTBR0 translates everything */
    CP15_W(0, c2, c0, 2, (1u << 31) | (3u << 12) | (1u << 10) | (1u << 8));
    CP15_W(0, c10, c2, 0, (uint32_t)TZ_MAIR_VALUE);         /* MAIR0 */
    CP15_W(0, c10, c2, 1, (uint32_t)(TZ_MAIR_VALUE >> 32)); /* MAIR1 */
    CP15_W64(0, c2, ttbr0);                                 /* TTBR0 */
    DSB();
    CP15_W(0, c8, c7, 0, 0); /* TLBIALL */
    CP15_W(0, c7, c5, 0, 0); /* ICIALLU */
    CP15_W(0, c7, c5, 6, 0); /* BPIALL */
    DSB();
    ISB();
    SCTLR_W((SCTLR_R() & ~2u) | SCTLR_M | SCTLR_C | SCTLR_I | SCTLR_Z);
    ISB();
}

void a32_pl011_putc(uintptr_t base, char c)
{
    volatile uint32_t *dr = (volatile uint32_t *)base, *fr = (volatile uint32_t *)(base + 0x18);
    uint64_t end = a32_now() + CNTFRQ_R() / 100u;
    while ((*fr & (1u << 5)) && a32_now() < end)
        __asm__ volatile("yield");
    *dr = (uint32_t)(unsigned char)c;
}

void a32_semihost_exit(int status)
{
    static uint32_t block[2];
    block[0] = 0x20026; /* ADP_Stopped_ApplicationExit */
    block[1] = (uint32_t)status;
    register uint32_t r0 __asm__("r0") = 0x20; /* SYS_EXIT_EXTENDED: carries the status */
    register uint32_t r1 __asm__("r1") = (uint32_t)(uintptr_t)block;
    __asm__ volatile("svc 0x123456" : : "r"(r0), "r"(r1) : "memory");
    for (;;)
        __asm__ volatile("wfi");
}
