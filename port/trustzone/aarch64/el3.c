/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * EL3 on both CPUs: the monitor. CPU0 prepares the machine (copies the normal-world image to non-secure RAM,
 * builds the EL3 translation tables, configures the GICv3 distributor), releases CPU1, and enters the normal
 * world at NS-EL1 once the secure payload on CPU1 is up. From then on CPU0's EL3 only serves SMCs: it sanitises
 * the arguments (SMC32: low 32 bits only; SMC64 IDs are not implemented), answers unknown owners itself, and
 * forwards Trusted OS calls to the payload on CPU1 through a mailbox in secure RAM plus a Group 0 SGI, waiting
 * for the answer with wfe and a timeout. CPU1's EL3 configures its redistributor and drops to S-EL1 for good.
 * The tables, CPU1's path, the SMC32 cutting and the forwarding are shared with other images (el3_common.c).
 */
#include <stdint.h>
#include "tz_libc.h"

#include "a64.h"
#include "../common/tz_board.h"
#include "../common/tz_smc.h"
#include "a64_gic.h"
#include "el3_common.h"

extern const unsigned char __ns_image_start[], __ns_image_end[];

void el3_cpu_init(void)
{
    SYSREG_W(ICC_SRE_EL3, 0xfu); /* system registers at EL3, lower ELs may use them too */
    ISB();
}

void el3_main_cpu0(void)
{
    /* the normal world's image goes to non-secure RAM while the MMU is still off (nothing cached yet) */
    memcpy((void *)(uintptr_t)TZ_NS_IMAGE, __ns_image_start, (size_t)(__ns_image_end - __ns_image_start));
    el3_mmu_setup();
    el3_cpu_init();
    a64_gic_dist_init();
    a64_gic_redist_init(0);
    tz_pen_release();

    /* wait for the secure payload on CPU1 (wfe, 5 s timeout) */
    el3_wait_payload();

    /* enter the normal world: NS-EL1, AArch64, all interrupts masked until it has set up its vectors */
    SYSREG_W(sctlr_el1, SCTLR_EL1_RES1);
    SYSREG_W(scr_el3, (1u << 0) | (3u << 4) | (1u << 10)); /* NS, RES1, RW; IRQ/FIQ stay with EL1 */
    SYSREG_W(spsr_el3, 0x3c5u);                              /* EL1h, DAIF masked */
    SYSREG_W(elr_el3, TZ_NS_IMAGE);
    ISB();
    __asm__ volatile("eret");
    __builtin_unreachable();
}

/* The bare-metal images' normal world runs on CPU0 alone: any CPU from 2 on stays parked. */
void el3_main_secondary(unsigned cpu)
{
    (void)cpu;
    for (;;)
        __asm__ volatile("wfi");
}

void el3_smc(uint64_t *regs)
{
    uint32_t fid, a[6], r[4] = {TZ_SMC_UNKNOWN, 0, 0, 0};
    int smc32 = el3_smc32_args(regs, &fid, a);
    unsigned oen = (fid >> TZ_SMC_OEN_SHIFT) & TZ_SMC_OEN_MASK;

    if (smc32 && (oen == TZ_SMC_OEN_TOS || oen == TZ_SMC_OEN_TOS_GENERIC))
        el3_forward(fid, a, r);
    el3_smc_return(regs, r);
}
