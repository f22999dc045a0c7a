/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * EL3 of the bare-metal SMP image: every CPU runs the normal world and enters the secure world itself. CPU0
 * copies the normal-world image to non-secure RAM, builds the EL3 tables, configures the GICv3 distributor and
 * releases the other CPUs, which wait at EL3 until the normal world powers them on (PSCI CPU_ON). On each CPU, as
 * it comes up, EL3 sets up its redistributor (the secure timer in Group 0, the normal world's timer and doorbell
 * SGI in Group 1 non-secure), enters the secure payload's per-CPU entry first (its secure-world set-up on this
 * CPU), and enters the normal world when the payload returns. From then on EL3 on each CPU only switches worlds
 * (el3_world.c): a Trusted OS call from the normal world goes to the secure world of the same CPU, the secure
 * world's TZ_SMP_SP_RETURN goes back with its results, and a secure (Group 0) interrupt that arrives while the
 * normal world runs is handed to the secure world of that CPU (TZ_SMP_EV_FIQ) and the normal world resumed,
 * untouched, once it is served. PSCI (CPU_ON, AFFINITY_INFO, VERSION, FEATURES, SYSTEM_OFF) is answered here
 * (el3_world_ns_smc), the rest of the dispatch is el3_world.c's.
 *
 * No lock: each CPU's EL3 touches only its own contexts and pending-call word; the only data shared between
 * CPUs at EL3 is the PSCI power state (one word per CPU, claimed by compare-and-swap, published with release).
 */
#include <stdint.h>
#include "tz_libc.h"

#include "a64.h"
#include "a64_gic.h"
#include "el3_common.h"
#include "el3_psci.h"
#include "el3_world.h"
#include "../common/lk_smc.h"
#include "../common/tz_board.h"
#include "../common/tz_print.h"
#include "../common/tz_smc.h"
#include "../common/tz_smp.h"

extern const unsigned char __ns_image_start[], __ns_image_end[];
void sp_smp_entry(void);

void el3_cpu_init(void)
{
    SYSREG_W(ICC_SRE_EL3, 0xfu); /* GIC system registers at EL3, lower ELs may use them too */
    SYSREG_W(vbar_el3, (uintptr_t)el3_world_vectors);
    ISB();
}

/* This CPU's first entry into both worlds: the secure world first (its per-CPU set-up), then the normal world
 * at entry with x0 = context, when the secure world returns. */
static void __attribute__((noreturn)) cpu_boot(unsigned cpu, uint64_t entry, uint64_t context)
{
    a64_gic_redist_init_percpu(cpu);
    el3_world_boot(cpu, entry, context, (uintptr_t)sp_smp_entry);
}

void el3_main_cpu0(void)
{
    unsigned n;

    /* the normal world's image goes to non-secure RAM while the MMU is still off (nothing cached yet) */
    memcpy((void *)(uintptr_t)TZ_NS_IMAGE, __ns_image_start, (size_t)(__ns_image_end - __ns_image_start));
    el3_mmu_setup();
    el3_cpu_init();
    a64_gic_dist_init();
    n = el3_psci_set_all(a64_gic_cpu_count(EL3_MAX_CPUS));
    tz_printf("EL3: %u CPUs, each runs the normal world and its own secure world; CPU0 starts, the others wait "
              "for PSCI CPU_ON\n", n);
    tz_pen_release();
    cpu_boot(0, TZ_NS_IMAGE, 0);
}

/* start.S sends CPU1 here (the other images give it to the payload for good): in this image it is a CPU like
 * CPUs 2 and 3. */
void el3_main_cpu1(void)
{
    el3_main_secondary(1);
}

void el3_main_secondary(unsigned cpu)
{
    uint64_t entry, context;

    el3_mmu_on(); /* before reading the PSCI states: CPU0 wrote them through its caches */
    el3_cpu_init();
    el3_psci_wait_on(cpu, &entry, &context);
    el3_psci_now_on(cpu);
    cpu_boot(cpu, entry, context);
}

static void psci(uint64_t *frame)
{
    uint32_t fid = (uint32_t)frame[0], r;
    int smc64 = (fid & 0x40000000u) != 0u;
    uint64_t x1 = smc64 ? frame[1] : (uint32_t)frame[1], x2 = smc64 ? frame[2] : (uint32_t)frame[2];
    uint64_t x3 = smc64 ? frame[3] : (uint32_t)frame[3];

    switch (fid) {
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
    case LK_PSCI_FEATURES: {
        uint32_t q = (uint32_t)x1;
        r = q == LK_PSCI_VERSION || q == LK_PSCI_CPU_ON || q == LK_PSCI_CPU_ON64 || q == LK_PSCI_AFFINITY_INFO ||
                    q == LK_PSCI_AFFINITY_INFO64 || q == LK_PSCI_SYSTEM_OFF || q == LK_PSCI_FEATURES
                ? 0u
                : LK_PSCI_NOT_SUPPORTED;
        break;
    }
    case LK_PSCI_SYSTEM_OFF:
        tz_printf("EL3: PSCI SYSTEM_OFF from the normal world before a verdict\n");
        a64_semihost_exit(2);
    default:
        r = LK_PSCI_NOT_SUPPORTED;
        break;
    }
    frame[0] = smc64 ? (uint64_t)(int64_t)(int32_t)r : r;
}

/* The calls EL3 answers itself: PSCI (SMC32 or SMC64 IDs of the standard service range). */
int el3_world_ns_smc(uint64_t *frame)
{
    if ((frame[0] >> 32) != 0u || ((frame[0] >> TZ_SMC_OEN_SHIFT) & TZ_SMC_OEN_MASK) != 4u)
        return 0;
    psci(frame);
    return 1;
}

/* start.S's own vectors call this for an SMC; every CPU of this image replaces them (el3_cpu_init) before any
 * lower EL runs, so it cannot be reached. */
void el3_smc(uint64_t *regs)
{
    el3_unexpected(8, SYSREG_R(esr_el3), SYSREG_R(elr_el3), regs[0]);
}
