/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Translation tables in the long-descriptor format with a 4 KiB granule and a 32-bit input address: three levels
 * (4 x 1 GiB, 512 x 2 MiB, 512 x 4 KiB). AArch64 stage 1 with T0SZ = 32 and ARMv7 LPAE with T0SZ = 0 walk exactly
 * this shape, so one builder serves EL3, S-EL1, NS-EL1 and both ARMv7 worlds. Tables come from a caller-supplied
 * pool; nothing is allocated. Mapping uses 2 MiB blocks where both addresses and the size allow, pages elsewhere.
 * Not thread-safe: one CPU builds a given set of tables; the caller does the TLB maintenance (tz_mmu_unmap says when).
 */
#ifndef TZ_MMU_H
#define TZ_MMU_H

#include <stdint.h>

/* Attribute bits of block and page descriptors (the caller ORs what it wants). MAIR slot 0 must be Device-nGnRnE,
 * slot 1 Normal write-back read/write-allocate. */
#define TZ_PTE_DEVICE (0ull << 2)
#define TZ_PTE_NORMAL ((1ull << 2) | (3ull << 8))  /* AttrIndx 1, inner shareable */
#define TZ_PTE_NS (1ull << 5)                      /* output address is in the non-secure PA space */
#define TZ_PTE_RO (1ull << 7)                      /* AP[2]: read-only */
#define TZ_PTE_AP1 (1ull << 6)                     /* AP[1]: RES1 in single-privilege regimes (EL3) */
#define TZ_PTE_AF (1ull << 10)
#define TZ_PTE_PXN (1ull << 53)
#define TZ_PTE_XN (1ull << 54)

struct tz_mmu {
    uint64_t *l1;                 /* 4 entries, 4 KiB aligned storage */
    uint64_t (*pool)[512];        /* next-level tables, 4 KiB aligned */
    unsigned pool_used, pool_count;
};

/* Clears l1 and binds the pool. */
void tz_mmu_init(struct tz_mmu *m, uint64_t *l1, uint64_t (*pool)[512], unsigned pool_count);
/* Maps [va, va+size) to [pa, ...) with attrs (AF is added). 4 KiB aligned, below 4 GiB, not already mapped with a
 * different granularity. Returns 0, or -1 (bad arguments or the pool ran out; what was mapped stays mapped). */
int tz_mmu_map(struct tz_mmu *m, uint64_t va, uint64_t pa, uint64_t size, uint64_t attrs);
/* Invalidates the descriptors of [va, va+size) (as mapped by one tz_mmu_map call). The caller must then issue a
 * barrier and invalidate the TLB before it relies on the range being gone. Tables are not returned to the pool. */
void tz_mmu_unmap(struct tz_mmu *m, uint64_t va, uint64_t size);
/* Table address for TTBR0. */
uint64_t tz_mmu_ttbr(const struct tz_mmu *m);

#define TZ_MAIR_VALUE 0x000000000000ff00ull /* slot 0: Device-nGnRnE, slot 1: Normal WB RWA inner+outer */

#endif /* TZ_MMU_H */
