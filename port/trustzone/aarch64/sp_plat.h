/* SPDX-License-Identifier: BSD-2-Clause */
/* The AArch64 secure payloads' shared platform pieces (sp_plat.c); tz_plat.h's functions are declared there. */
#ifndef TZ_SP_PLAT_H
#define TZ_SP_PLAT_H

/* tz_mmu's TLB flush for the S-EL1 regime of every CPU (inner shareable). */
void sp_tlb_flush(void);

#endif
