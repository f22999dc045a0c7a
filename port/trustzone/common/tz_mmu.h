/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Translation tables in the long-descriptor format with a 4 KiB granule and a 32-bit input address: three levels
 * (4 x 1 GiB, 512 x 2 MiB, 512 x 4 KiB). AArch64 stage 1 with T0SZ = 32 and ARMv7 LPAE with T0SZ = 0 walk exactly
 * this shape, so one builder serves EL3, S-EL1, NS-EL1 and both ARMv7 worlds. Tables come from a caller-supplied
 * pool; nothing is allocated. Mapping uses 2 MiB blocks where both addresses and the size allow, pages elsewhere.
 *
 * Tables are accounted: every pool table counts its valid descriptors, and a table whose last descriptor is
 * removed is unhooked from its parent and returned to the pool, so map/unmap cycles of any shape never use the
 * pool up. A mapping is all or nothing: a tz_mmu_map() that fails leaves the tables as they were.
 *
 * Live tables (the MMU walks them): the builder never replaces a valid descriptor by another valid one. It writes
 * the invalid descriptor first, calls tlb_flush (which must issue the barrier that makes the write visible to
 * the walker, invalidate the TLB entries of this translation regime, and complete that with DSB + ISB), and only
 * then writes the new descriptor or hands the old table back to the pool (break-before-make). With tlb_flush
 * NULL (the tables are not in use yet) the flush is skipped.
 * Not thread-safe: one CPU builds a given set of tables.
 */
#ifndef TZ_MMU_H
#define TZ_MMU_H

#include <stddef.h>
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

#define TZ_MMU_POOL_MAX 32u /* largest pool one struct tz_mmu accounts for */

/* tz_mmu_map() results */
#define TZ_MMU_OK 0
#define TZ_MMU_EINVAL (-1) /* not 4 KiB aligned, empty, wraps, or reaches past 4 GiB */
#define TZ_MMU_ENOMEM (-2) /* the pool has no free table left */
#define TZ_MMU_EBUSY (-3)  /* part of the range is mapped already */

struct tz_mmu {
    uint64_t *l1;                     /* 4 entries, 4 KiB aligned storage */
    uint64_t (*pool)[512];            /* next-level tables, 4 KiB aligned */
    unsigned pool_count;              /* <= TZ_MMU_POOL_MAX */
    uint32_t pool_free;               /* bit i set: pool[i] is free */
    uint16_t live[TZ_MMU_POOL_MAX];   /* valid descriptors in pool[i] */
    void (*tlb_flush)(void);          /* see above; NULL while the tables are not live */
};

/* Clears l1 and binds the pool (at most TZ_MMU_POOL_MAX tables are used) and the TLB flush (may be NULL). */
void tz_mmu_init(struct tz_mmu *m, uint64_t *l1, uint64_t (*pool)[512], unsigned pool_count,
                 void (*tlb_flush)(void));
/* Maps [va, va+size) to [pa, ...) with attrs (AF is added). Returns TZ_MMU_OK or a TZ_MMU_E* code; on failure
 * nothing of the range is mapped and every table taken for it is back in the pool. */
int tz_mmu_map(struct tz_mmu *m, uint64_t va, uint64_t pa, uint64_t size, uint64_t attrs);
/* Removes the descriptors of [va, va+size) (a range mapped by tz_mmu_map; a block only partly covered stays),
 * returns emptied tables to the pool, and calls tlb_flush before any table is reused. Parts not mapped are
 * skipped. After it returns (with tlb_flush set) the range is no longer translated. */
void tz_mmu_unmap(struct tz_mmu *m, uint64_t va, uint64_t size);
/* Tables left in the pool. */
unsigned tz_mmu_tables_free(const struct tz_mmu *m);
/* Table address for TTBR0. */
uint64_t tz_mmu_ttbr(const struct tz_mmu *m);

#define TZ_MAIR_VALUE 0x000000000000ff00ull /* slot 0: Device-nGnRnE, slot 1: Normal WB RWA inner+outer */

#endif /* TZ_MMU_H */
