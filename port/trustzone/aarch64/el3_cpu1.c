/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * CPU1's path into the secure payload at S-EL1, for good: the images whose payload has a CPU of its own (el3.c,
 * linux/el3_linux.c). The SMP image (el3_smp.c) has no dedicated payload CPU and its own el3_main_cpu1().
 */
#include <stdint.h>

#include "a64.h"
#include "../common/tz_board.h"
#include "a64_gic.h"
#include "el3_common.h"

void sp_entry(void);

void el3_main_cpu1(void)
{
    el3_mmu_on();
    el3_cpu_init();
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
