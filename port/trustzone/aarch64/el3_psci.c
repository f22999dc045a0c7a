// SPDX-License-Identifier: BSD-2-Clause
/* The PSCI CPU power states of the AArch64 monitors (el3_psci.h). */
#include "el3_psci.h"
#include "a64.h"
#include "el3_common.h"
#include "../common/lk_smc.h"
#include "../common/tz_board.h"
#include "../common/tz_print.h"

static uint32_t cpu_state[EL3_MAX_CPUS];
static uint64_t cpu_entry[EL3_MAX_CPUS], cpu_context[EL3_MAX_CPUS];

void el3_psci_set(unsigned cpu, uint32_t state)
{
    cpu_state[cpu] = state; /* plain: written before the pen opens, which publishes it */
}

/* MPIDR -> CPU number (Aff0), or EL3_MAX_CPUS for one that is no normal-world CPU of this machine. */
static unsigned psci_target(uint64_t mpidr)
{
    if ((mpidr & ~(uint64_t)0xffu) != 0u || mpidr >= EL3_MAX_CPUS)
        return EL3_MAX_CPUS;
    /* relaxed: NONE is written before the pen opens and never changes */
    return __atomic_load_n(&cpu_state[mpidr], __ATOMIC_RELAXED) == EL3_CPU_NONE ? EL3_MAX_CPUS : (unsigned)mpidr;
}

uint32_t el3_psci_cpu_on(uint64_t mpidr, uint64_t entry, uint64_t context)
{
    unsigned cpu = psci_target(mpidr);
    uint32_t expect = LK_PSCI_AFF_OFF;

    if (cpu == EL3_MAX_CPUS)
        return LK_PSCI_INVALID_PARAMETERS;
    /* the entry point must be normal-world RAM (the CPU starts there with its MMU off) */
    if (entry < TZ_NS_RAM_BASE || entry >= (uint64_t)TZ_NS_RAM_BASE + TZ_NS_RAM_SIZE || (entry & 3u) != 0u)
        return LK_PSCI_INVALID_ADDRESS;
    /* relaxed: the swap only claims the CPU (of two CPU_ONs, one wins); what the target reads is published by
     * the release store below */
    if (!__atomic_compare_exchange_n(&cpu_state[cpu], &expect, EL3_CPU_CLAIMED, 0, __ATOMIC_RELAXED,
                                     __ATOMIC_RELAXED))
        return expect == LK_PSCI_AFF_ON ? LK_PSCI_ALREADY_ON : LK_PSCI_ON_PENDING;
    cpu_entry[cpu] = entry;
    cpu_context[cpu] = context;
    /* release: entry and context (and everything the caller did before CPU_ON) are written before the target can
     * see ON_PENDING; pairs with the acquire in el3_psci_wait_on */
    __atomic_store_n(&cpu_state[cpu], LK_PSCI_AFF_ON_PENDING, __ATOMIC_RELEASE);
    DSB(sy);
    __asm__ volatile("sev");
    return LK_PSCI_SUCCESS;
}

uint32_t el3_psci_aff_info(uint64_t mpidr, uint64_t level)
{
    unsigned cpu = psci_target(mpidr);
    uint32_t st;

    if (cpu == EL3_MAX_CPUS || level != 0u)
        return LK_PSCI_INVALID_PARAMETERS;
    /* acquire: pairs with the release stores of the transitions (el3_psci_now_on, el3_psci_cpu_on, CPU_OFF) */
    st = __atomic_load_n(&cpu_state[cpu], __ATOMIC_ACQUIRE);
    return st == EL3_CPU_CLAIMED ? LK_PSCI_AFF_ON_PENDING : st;
}

uint32_t el3_psci_cpu_off(unsigned cpu)
{
    if (cpu >= EL3_MAX_CPUS || __atomic_load_n(&cpu_state[cpu], __ATOMIC_RELAXED) != LK_PSCI_AFF_ON)
        return LK_PSCI_DENIED; /* relaxed: only this CPU moves its own word away from ON */
    /* release: everything this CPU did happens before AFFINITY_INFO reports OFF (Linux then frees its stack);
     * pairs with the acquire in el3_psci_aff_info */
    __atomic_store_n(&cpu_state[cpu], LK_PSCI_AFF_OFF, __ATOMIC_RELEASE);
    return 0;
}

void el3_psci_wait_on(unsigned cpu, uint64_t *entry, uint64_t *context)
{
    /* acquire: entry and context are read after the state says they are written; pairs with the release in
     * el3_psci_cpu_on */
    while (__atomic_load_n(&cpu_state[cpu], __ATOMIC_ACQUIRE) != LK_PSCI_AFF_ON_PENDING)
        __asm__ volatile("wfe"); /* no timeout: a CPU that is off waits for ever */
    *entry = cpu_entry[cpu];
    *context = cpu_context[cpu];
}

void el3_psci_now_on(unsigned cpu)
{
    /* release: the CPU's set-up (its GIC redistributor, for one) is done before AFFINITY_INFO reports ON; pairs
     * with the acquire in el3_psci_aff_info */
    __atomic_store_n(&cpu_state[cpu], LK_PSCI_AFF_ON, __ATOMIC_RELEASE);
}

/* The PSCI functions the Linux monitors serve (linux/el3_linux.c and linux/el3_linux_smp.c): their PSCI_FEATURES
 * answers from here and their dispatch takes only what is here, so the two cannot disagree. */
int el3_psci_linux_served(uint32_t fid)
{
    switch (fid) {
    case LK_PSCI_VERSION:
    case LK_PSCI_CPU_OFF:
    case LK_PSCI_CPU_ON:
    case LK_PSCI_CPU_ON64:
    case LK_PSCI_AFFINITY_INFO:
    case LK_PSCI_AFFINITY_INFO64:
    case LK_PSCI_MIGRATE_INFO_TYPE:
    case LK_PSCI_SYSTEM_OFF:
    case LK_PSCI_SYSTEM_RESET:
    case LK_PSCI_FEATURES:
        return 1;
    default:
        return 0;
    }
}

uint32_t el3_psci_linux_features(uint32_t fid)
{
    static unsigned asked;
    uint32_t answer = el3_psci_linux_served(fid) ? 0u : LK_PSCI_NOT_SUPPORTED;

    /* relaxed: a count, ordering nothing */
    if (__atomic_fetch_add(&asked, 1u, __ATOMIC_RELAXED) < 16u)
        tz_printf("EL3: PSCI_FEATURES(%#x) = %s\n", fid, answer == 0u ? "0 (served)" : "NOT_SUPPORTED");
    return answer;
}

unsigned el3_psci_set_all(unsigned n)
{
    for (unsigned i = 0; i < EL3_MAX_CPUS; i++)
        el3_psci_set(i, i == 0 ? LK_PSCI_AFF_ON : i < n ? LK_PSCI_AFF_OFF : EL3_CPU_NONE);
    return n;
}
