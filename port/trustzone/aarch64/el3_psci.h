/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The PSCI CPU power states that the AArch64 monitors share (linux/el3_linux.c, which boots Linux, and
 * aarch64/el3_smp.c, the SMP image): one word per CPU, in secure RAM, touched only at EL3:
 *   LK_PSCI_AFF_ON, _OFF, _ON_PENDING, EL3_CPU_NONE (no normal-world CPU: absent, or the dedicated payload's),
 *   and EL3_CPU_CLAIMED while a CPU_ON writes the entry point. Transitions:
 *   OFF -> CLAIMED (CPU_ON, compare-and-swap: of two CPU_ONs one wins) -> ON_PENDING (release, after entry and
 *   context) -> ON (the target, at EL3, after reading them: el3_psci_wait_on) ; ON -> OFF (CPU_OFF, on that CPU).
 * The normal world cannot race them except by calling PSCI from several CPUs at once, which the compare-and-swap
 * settles. A CPU that is OFF waits at EL3 in wfe.
 */
#ifndef TZ_EL3_PSCI_H
#define TZ_EL3_PSCI_H

#include <stdint.h>

#define EL3_CPU_NONE 0xffu
#define EL3_CPU_CLAIMED 0xfeu

/* CPU0, before the pen opens (the others read the states once released): cpu's state (ON, OFF or NONE). */
void el3_psci_set(unsigned cpu, uint32_t state);
/* CPU0, before the pen opens, for the images where every CPU runs the normal world: CPU0 ON, CPUs 1 .. n-1 OFF
 * (n: the CPUs the GIC has), the others NONE. Returns n. */
unsigned el3_psci_set_all(unsigned n);
/* CPU_ON (SMC32 or SMC64 arguments widened): a normal-world CPU that is OFF starts at entry (normal-world RAM,
 * 4-aligned) with x0 = context. */
uint32_t el3_psci_cpu_on(uint64_t mpidr, uint64_t entry, uint64_t context);
/* AFFINITY_INFO, level 0 only. */
uint32_t el3_psci_aff_info(uint64_t mpidr, uint64_t level);
/* CPU_OFF's state change on the calling CPU (which then starts over in el3_main_secondary): DENIED unless it is
 * a normal-world CPU that is ON; else 0 (the state says OFF). */
uint32_t el3_psci_cpu_off(unsigned cpu);
/* The target's side of CPU_ON: waits (wfe, for ever) until a CPU_ON names this CPU; returns its entry point and
 * context. el3_psci_now_on() then says ON, once the CPU's own set-up is done. */
void el3_psci_wait_on(unsigned cpu, uint64_t *entry, uint64_t *context);
void el3_psci_now_on(unsigned cpu);

/* The Linux monitors' PSCI: whether they serve fid (1) or not (0), and PSCI_FEATURES(fid): 0 (served, no feature
 * flags) or NOT_SUPPORTED. The first queries are logged on the secure UART (Linux asks a handful at boot; the run
 * scripts check one answer), later ones only counted. */
int el3_psci_linux_served(uint32_t fid);
uint32_t el3_psci_linux_features(uint32_t fid);

#endif
