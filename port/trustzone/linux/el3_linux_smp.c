/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * EL3 of the firmware for an SMP Linux (tz-linux-smp.bin): every CPU runs Linux at NS-EL1 and enters the secure
 * world itself, on that CPU, through the per-CPU world switch of aarch64/el3_world.[ch] + el3_switch.S (both
 * worlds' contexts on every CPU) and the PSCI power states of aarch64/el3_psci.[ch]; the payload is
 * linux/sp_linux_smp.c on the per-CPU runtime aarch64/sp_percpu.c.
 *
 * CPU0 builds the EL3 tables, configures the GICv3 distributor, hands every SPI to Linux (Group 1 non-secure) and
 * releases the other CPUs, which wait at EL3 until Linux powers them on (PSCI CPU_ON). On each CPU's first entry
 * (CPU0 at boot, the others at their CPU_ON, any CPU again after CPU_OFF and CPU_ON) EL3 sets up that CPU's
 * redistributor (every SGI and PPI to Linux except the secure timer, which stays Group 0) and enters the secure
 * payload's per-CPU entry first (its own stack and context on that CPU); when the payload returns, Linux's entry
 * point runs at NS-EL1 (CPU0: the Image with x0 = the device tree, as the arm64 boot protocol asks; the others: the
 * CPU_ON entry point with x0 = its context).
 *
 * From then on EL3 only switches worlds (el3_world.c): a Trusted OS call goes to the secure world of the calling
 * CPU, a secure timer interrupt that arrives while Linux runs goes to the secure world of that CPU, and PSCI is
 * answered here (el3_world_ns_smc): VERSION (1.0), FEATURES, CPU_ON, CPU_OFF, AFFINITY_INFO, MIGRATE_INFO_TYPE;
 * SYSTEM_OFF and SYSTEM_RESET become LK_SMC_POWER on the secure side of the calling CPU, which knows the verdict
 * and ends the run. No lock at EL3: each CPU touches only its own contexts; the PSCI words are claimed by
 * compare-and-swap (el3_psci.c).
 */
#include <stdint.h>
#include "tz_libc.h"

#include "a64.h"
#include "a64_gic.h"
#include "el3_common.h"
#include "el3_psci.h"
#include "el3_world.h"
#include "sp_percpu.h"
#include "tz_board.h"
#include "tz_print.h"
#include "tz_smc.h"
#include "lk_smc.h"
#include "lk_board.h"

void sp_smp_entry(void);

void el3_cpu_init(void)
{
    uint64_t freq = SYSREG_R(cntfrq_el0);

    SYSREG_W(ICC_SRE_EL3, 0xfu); /* GIC system registers at EL3, and lower ELs may use them too */
    SYSREG_W(cptr_el3, 0u);      /* FP/SIMD and the rest untrapped: Linux uses them */
    SYSREG_W(vbar_el3, (uintptr_t)el3_world_vectors);
    /* CNTFRQ_EL0 is only writable here; QEMU presets it, hardware firmware must set it */
    SYSREG_W(cntfrq_el0, freq ? freq : LK_CNTFRQ_DEFAULT);
    ISB();
}

/* This CPU's first entry into both worlds: its redistributor, then the secure world (its per-CPU set-up), then
 * Linux at entry with x0 = context (x1..x3 = 0: el3_world_prepare clears the context). */
static void __attribute__((noreturn)) cpu_boot(unsigned cpu, uint64_t entry, uint64_t context)
{
    a64_gic_redist_linux_percpu(cpu);
    el3_world_boot(cpu, entry, context, (uintptr_t)sp_smp_entry);
}

void el3_main_cpu0(void)
{
    unsigned n;

    el3_mmu_setup();
    el3_cpu_init();
    a64_gic_dist_init();
    n = el3_psci_set_all(a64_gic_cpu_count(EL3_MAX_CPUS));
    a64_gic_handover_ns(); /* every SPI to Linux (CPU0's SGIs and PPIs: cpu_boot below) */
    tz_printf("EL3: %u CPUs, each runs Linux and its own secure world; CPU0 boots Linux at %#x (NS-EL1), device "
              "tree at %#x, the others wait for PSCI CPU_ON\n", n, LK_IMAGE_PA, LK_DTB_PA);
    tz_pen_release();
    /* Image, device tree and initramfs were put in RAM by QEMU's loader before reset and EL3 never wrote there,
     * so no cache line of ours can shadow them (firmware that copies them itself must clean to PoC first). */
    cpu_boot(0, LK_IMAGE_PA, LK_DTB_PA);
}

/* start.S sends CPU1 here (the single-CPU Linux firmware gives it to the payload for good): here it is a CPU like
 * CPUs 2 and 3. */
void el3_main_cpu1(void)
{
    el3_main_secondary(1);
}

/* Every CPU but CPU0 after the pen, and any CPU after CPU_OFF (on a fresh EL3 stack): wait at EL3 until a CPU_ON
 * names this CPU, then enter both worlds. */
void el3_main_secondary(unsigned cpu)
{
    uint64_t entry, context;

    el3_mmu_on(); /* before reading the PSCI states: CPU0 wrote them through its caches */
    el3_cpu_init();
    el3_psci_wait_on(cpu, &entry, &context);
    a64_gic_redist_linux_percpu(cpu);
    el3_psci_now_on(cpu); /* after our GIC set-up */
    cpu_boot(cpu, entry, context);
}

/* CPU_OFF: refused while a yielding call of this CPU's secure side is preempted (its state is on this CPU's secure
 * stack, and a CPU_ON would start that stack afresh); otherwise the CPU says OFF and waits at EL3 in
 * el3_main_secondary on a fresh stack: the SMC never returns. */
static uint32_t psci_cpu_off(unsigned cpu)
{
    if (sp_percpu_busy(cpu) || el3_psci_cpu_off(cpu) != 0u)
        return LK_PSCI_DENIED;
    el3_secondary_restart();
}

/* The calls EL3 answers itself: PSCI (SMC32 or SMC64 IDs of the standard service range). SYSTEM_OFF/RESET are
 * rewritten into LK_SMC_POWER for the secure side of this CPU (returns 0: el3_world_trap forwards it). */
int el3_world_ns_smc(uint64_t *frame)
{
    uint32_t fid = (uint32_t)frame[0], r;
    int smc64 = (fid & 0x40000000u) != 0u;
    uint64_t x1 = smc64 ? frame[1] : (uint32_t)frame[1], x2 = smc64 ? frame[2] : (uint32_t)frame[2];
    uint64_t x3 = smc64 ? frame[3] : (uint32_t)frame[3];
    unsigned i;

    if ((frame[0] >> 32) != 0u || ((fid >> TZ_SMC_OEN_SHIFT) & TZ_SMC_OEN_MASK) != 4u)
        return 0;
    switch (el3_psci_linux_served(fid) ? fid : LK_PSCI_NOT_SUPPORTED) {
    case LK_PSCI_VERSION:
        r = LK_PSCI_VERSION_1_0;
        break;
    case LK_PSCI_CPU_ON:
    case LK_PSCI_CPU_ON64:
        r = el3_psci_cpu_on(x1, x2, x3);
        break;
    case LK_PSCI_AFFINITY_INFO:
    case LK_PSCI_AFFINITY_INFO64:
        r = el3_psci_aff_info(x1, x2);
        break;
    case LK_PSCI_CPU_OFF:
        r = psci_cpu_off(a64_cpu()); /* returns only when refused */
        break;
    case LK_PSCI_FEATURES:
        r = el3_psci_linux_features((uint32_t)x1);
        break;
    case LK_PSCI_MIGRATE_INFO_TYPE:
        r = 2u; /* the Trusted OS runs on every CPU: nothing to migrate */
        break;
    case LK_PSCI_SYSTEM_OFF:
    case LK_PSCI_SYSTEM_RESET:
        frame[1] = fid == LK_PSCI_SYSTEM_RESET ? 1u : 0u;
        for (i = 2; i < 8; i++)
            frame[i] = 0;
        frame[0] = LK_SMC_POWER;
        return 0;
    default:
        r = LK_PSCI_NOT_SUPPORTED;
        break;
    }
    frame[0] = smc64 ? (uint64_t)(int64_t)(int32_t)r : r; /* SMC64: a 64-bit signed result */
    return 1;
}

/* start.S's own vectors call this for an SMC; every CPU of this image replaces them (el3_cpu_init) before any lower
 * EL runs, so it cannot be reached. */
void el3_smc(uint64_t *regs)
{
    el3_unexpected(8, SYSREG_R(esr_el3), SYSREG_R(elr_el3), regs[0]);
}
