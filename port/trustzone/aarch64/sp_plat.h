/* SPDX-License-Identifier: BSD-2-Clause */
/* The AArch64 secure payloads' shared platform pieces (sp_plat.c); tz_plat.h's functions are declared there. */
#ifndef TZ_SP_PLAT_H
#define TZ_SP_PLAT_H

#include "../common/tz_mmu.h"

/* The S-EL1 translation tables (shared by every CPU of an image), and sp_mmu_build(), which lays out what every
 * payload maps: secure flash read-only, secure RAM read-write and never executable, the GIC and UART as devices.
 * A payload adds its own mappings (the window onto the normal world's memory) and turns the MMU on. */
extern struct tz_mmu sp_mmu;
void sp_mmu_build(void);

#endif
