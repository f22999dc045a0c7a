/* SPDX-License-Identifier: BSD-2-Clause */
/* GICv3 set-up done by EL3 (the secure side owns interrupt grouping). */
#ifndef TZ_A64_GIC_H
#define TZ_A64_GIC_H

void a64_gic_dist_init(void);
/* cpu 0: normal-world CPU (its timer and doorbell SGI in Group 1 non-secure);
 * cpu 1: secure CPU (secure timer and doorbell SGI in Group 0, the SGI raisable from the normal world). */
void a64_gic_redist_init(unsigned cpu);

#endif /* TZ_A64_GIC_H */
