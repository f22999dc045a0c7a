/* SPDX-License-Identifier: BSD-2-Clause */
/* GICv3 set-up done by EL3 (the secure side owns interrupt grouping). */
#ifndef TZ_A64_GIC_H
#define TZ_A64_GIC_H

void a64_gic_dist_init(void);
/* cpu 0: normal-world CPU (its timer and doorbell SGI in Group 1 non-secure);
 * cpu 1: secure CPU (secure timer and doorbell SGI in Group 0, the SGI raisable from the normal world). */
void a64_gic_redist_init(unsigned cpu);
/* A CPU that runs both worlds (the SMP image), on that CPU: its secure timer in Group 0 (taken by EL3 while the
 * normal world runs, by S-EL1 while the secure world runs), its non-secure timer and normal-world doorbell SGI in
 * Group 1 non-secure, all three enabled, everything else of its SGIs and PPIs disabled. */
void a64_gic_redist_init_percpu(unsigned cpu);
/* For a normal world that manages the GIC itself (Linux): every SPI, and CPU0's SGIs and PPIs, to Group 1
 * non-secure, CPU0's SGI/PPI enables cleared. Without it every interrupt stays secure Group 0 and such a normal
 * world never sees its timer. The groups are already enabled (a64_gic_dist_init: ARE_S | ARE_NS | Grp0 | Grp1NS
 * | Grp1S); the normal world configures, prioritises and enables what it uses. Call after both redistributors
 * are set up; CPU1's (the secure payload's) is left alone. */
void a64_gic_handover_ns(void);
/* Another CPU of a normal world that runs the GIC itself (PSCI CPU_ON), on that CPU before it enters the normal
 * world: wakes its redistributor (GICR_WAKER.ProcessorSleep, which the normal world cannot write) and gives all
 * its SGIs and PPIs to Group 1 non-secure, disabled, as a64_gic_handover_ns does for CPU0. */
void a64_gic_redist_handover_ns(unsigned cpu);
/* A CPU that runs both worlds under a normal world that runs the GIC itself (the SMP Linux firmware), on that CPU
 * before either world runs there: wakes its redistributor, gives every SGI and PPI but the secure timer to Group 1
 * non-secure, disabled (the normal world enables its own), and keeps the secure timer in Group 0, enabled (taken
 * by EL3 while the normal world runs, by S-EL1 while the secure world runs; the normal world can neither see nor
 * change a Group 0 interrupt's enable, group or priority). */
void a64_gic_redist_linux_percpu(unsigned cpu);
/* How many CPUs the machine has, counted by their redistributors (GICR_TYPER.Last marks the last), at most max. */
unsigned a64_gic_cpu_count(unsigned max);

#endif /* TZ_A64_GIC_H */
