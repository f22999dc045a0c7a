/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Host test of the TrustZone port's translation-table builder (common/tz_mmu.c), on the secure payload's own
 * layout: the boot mappings of sp_arch.c, then the registration window at 0xc0000000 mapped and unmapped the way
 * registrations do it. A software table walk checks every answer. Cases:
 *  - alternating: 100 x (2 MiB-aligned region -> one block; unaligned region -> 512 pages), each unmapped again,
 *    then a page-mapped region must still map (the old builder leaked one table per pair and ran dry after 14);
 *  - block over pages, partial unmap of a block, page over page: refused or kept, never silently replaced;
 *  - rollback: a map that runs out of tables leaves nothing behind;
 *  - break-before-make: when a table leaves its parent, the flush hook runs while the parent's descriptor is
 *    already invalid and before the table is back in the pool.
 * Exits 0 on success, 1 on the first failure.
 */
#include "tz_mmu.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define WIN 0xc0000000u
#define SZ_2M 0x200000u

static uint64_t l1[512] __attribute__((aligned(4096)));
static uint64_t pool[16][512] __attribute__((aligned(4096)));
static struct tz_mmu mmu;
static int failures;

#define CHECK(cond, ...)                                                                                          \
    do {                                                                                                          \
        if (!(cond)) {                                                                                            \
            printf("FAIL line %d: ", __LINE__);                                                                   \
            printf(__VA_ARGS__);                                                                                  \
            printf("\n");                                                                                         \
            failures++;                                                                                           \
        }                                                                                                         \
    } while (0)

/* Software walk: the output address of va, or UINT64_MAX if it does not translate. */
static uint64_t walk(uint64_t va)
{
    uint64_t d = l1[(va >> 30) & 3u], *t;
    if ((d & 3u) != 3u)
        return UINT64_MAX;
    t = (uint64_t *)(uintptr_t)(d & 0x0000fffffffff000ull);
    d = t[(va >> 21) & 511u];
    if ((d & 3u) == 1u)
        return (d & 0x0000ffffffe00000ull) | (va & (SZ_2M - 1u));
    if ((d & 3u) != 3u)
        return UINT64_MAX;
    t = (uint64_t *)(uintptr_t)(d & 0x0000fffffffff000ull);
    d = t[(va >> 12) & 511u];
    if ((d & 3u) != 3u)
        return UINT64_MAX;
    return (d & 0x0000fffffffff000ull) | (va & 0xfffu);
}

static int map(uint64_t va, uint64_t pa, uint64_t size)
{
    return tz_mmu_map(&mmu, va, pa, size, TZ_PTE_NORMAL | TZ_PTE_NS | TZ_PTE_XN | TZ_PTE_PXN);
}

#ifdef TZ_MMU_POOL_MAX
/* The flush hook: records what a TLB would be allowed to hold at that moment. */
static unsigned flushes, bbm_violations;
static uint64_t watch_l1_slot_before, watch_l2_slot_before; /* the window's descriptors before the unmap */

static bool pool_has_free(const uint64_t *t)
{
    unsigned i;
    for (i = 0; i < mmu.pool_count; i++)
        if (mmu.pool[i] == t && (mmu.pool_free & (1u << i)))
            return true;
    return false;
}

static void flush_hook(void)
{
    uint64_t d1 = l1[WIN >> 30], *l2, *old_l2, *old_l3;
    flushes++;
    if ((watch_l2_slot_before & 3u) != 3u || (watch_l1_slot_before & 3u) != 3u)
        return;
    /* the tables that were hooked at the window before the unmap must be unhooked (break) before the flush and
     * still out of the pool during it (make only after) */
    old_l2 = (uint64_t *)(uintptr_t)(watch_l1_slot_before & 0x0000fffffffff000ull);
    old_l3 = (uint64_t *)(uintptr_t)(watch_l2_slot_before & 0x0000fffffffff000ull);
    if ((d1 & 3u) == 3u) {
        l2 = (uint64_t *)(uintptr_t)(d1 & 0x0000fffffffff000ull);
        if (l2[(WIN >> 21) & 511u] != 0)
            bbm_violations++;
    }
    if (pool_has_free(old_l2) || pool_has_free(old_l3))
        bbm_violations++;
}
#define INIT(m, l, p, n) tz_mmu_init(m, l, p, n, flush_hook)
#else
#define INIT(m, l, p, n) tz_mmu_init(m, l, p, n)
#endif

static void boot(void)
{
    INIT(&mmu, l1, pool, 16);
    CHECK(tz_mmu_map(&mmu, 0, 0, 0x04000000u, TZ_PTE_NORMAL | TZ_PTE_RO) == 0, "flash");
    CHECK(tz_mmu_map(&mmu, 0x0e000000u, 0x0e000000u, 0x01000000u, TZ_PTE_NORMAL) == 0, "secure RAM");
    CHECK(tz_mmu_map(&mmu, 0x08000000u, 0x08000000u, SZ_2M, TZ_PTE_DEVICE) == 0, "GIC");
    CHECK(tz_mmu_map(&mmu, 0x09000000u, 0x09000000u, SZ_2M, TZ_PTE_DEVICE) == 0, "UARTs");
}

static void alternating(void)
{
    unsigned i;
    int rc;
#ifdef TZ_MMU_POOL_MAX
    unsigned base_free = tz_mmu_tables_free(&mmu);
#endif
    for (i = 0; i < 100; i++) {
        rc = map(WIN, 0x41000000u, SZ_2M); /* 2 MiB aligned: a block */
        CHECK(rc == 0, "pair %u: block map -> %d", i, rc);
        CHECK(walk(WIN + 0x1234u) == 0x41001234u, "pair %u: block translates", i);
        tz_mmu_unmap(&mmu, WIN, SZ_2M);
        CHECK(walk(WIN) == UINT64_MAX, "pair %u: block gone", i);
        rc = map(WIN, 0x41201000u, SZ_2M); /* 4 KiB aligned only: pages in a level-3 table */
        CHECK(rc == 0, "pair %u: page map -> %d", i, rc);
        CHECK(walk(WIN + SZ_2M - 4096u + 8u) == 0x41201000u + SZ_2M - 4096u + 8u, "pair %u: pages translate", i);
#ifdef TZ_MMU_POOL_MAX
        watch_l1_slot_before = l1[WIN >> 30];
        watch_l2_slot_before = ((uint64_t *)(uintptr_t)(l1[WIN >> 30] & 0x0000fffffffff000ull))[(WIN >> 21) & 511u];
        flushes = 0;
#endif
        tz_mmu_unmap(&mmu, WIN, SZ_2M);
        CHECK(walk(WIN) == UINT64_MAX, "pair %u: pages gone", i);
#ifdef TZ_MMU_POOL_MAX
        CHECK(flushes >= 1, "pair %u: unmap did not flush the TLB", i);
        watch_l2_slot_before = 0;
        CHECK(tz_mmu_tables_free(&mmu) == base_free, "pair %u: %u tables free, want %u", i,
              tz_mmu_tables_free(&mmu), base_free);
#endif
        if (failures)
            return;
    }
    /* the registration that the old builder refused after the pool ran dry: 5 pages */
    rc = map(WIN, 0x40800000u, 0x5000u);
    CHECK(rc == 0, "after 100 pairs: a page-mapped region -> %d", rc);
    CHECK(walk(WIN + 0x4ff8u) == 0x40804ff8u, "after 100 pairs: it translates");
    tz_mmu_unmap(&mmu, WIN, 0x5000u);
#ifdef TZ_MMU_POOL_MAX
    CHECK(bbm_violations == 0, "%u break-before-make violations", bbm_violations);
    CHECK(tz_mmu_tables_free(&mmu) == base_free, "tables leaked");
#endif
}

static void overlaps(void)
{
    int rc;
    rc = map(WIN, 0x40800000u, 0x1000u);
    CHECK(rc == 0, "one page -> %d", rc);
    /* mutant killed: a block written over the live table (the old code) */
    rc = map(WIN, 0x41000000u, SZ_2M);
    CHECK(rc != 0, "block over a live page table accepted");
    CHECK(walk(WIN) == 0x40800000u, "the page survived the refused block (got %#" PRIx64 ")", walk(WIN));
    /* mutant killed: a page written over a valid page */
    rc = map(WIN, 0x40900000u, 0x1000u);
    CHECK(rc != 0, "page over a valid page accepted");
    CHECK(walk(WIN) == 0x40800000u, "the page survived the refused page");
    tz_mmu_unmap(&mmu, WIN, 0x1000u);
    CHECK(walk(WIN) == UINT64_MAX, "page gone");
    rc = map(WIN, 0x41000000u, SZ_2M);
    CHECK(rc == 0, "block after the pages went -> %d", rc);
    tz_mmu_unmap(&mmu, WIN + 0x1000u, 0x1000u); /* only part of the block: it must stay */
    CHECK(walk(WIN + 0x1000u) == 0x41001000u, "partial unmap removed a block");
    tz_mmu_unmap(&mmu, WIN, SZ_2M);
    CHECK(walk(WIN) == UINT64_MAX, "block gone");
    CHECK(map(WIN, 0x40800000u, 0) != 0, "empty range accepted");
    CHECK(map(WIN + 0x800u, 0x40800000u, 0x1000u) != 0, "unaligned va accepted");
    CHECK(map(0xfffff000u, 0x40800000u, 0x2000u) != 0, "range past 4 GiB accepted");
}

#ifdef TZ_MMU_POOL_MAX
static void rollback(void)
{
    static uint64_t l1b[512] __attribute__((aligned(4096)));
    static uint64_t poolb[2][512] __attribute__((aligned(4096)));
    struct tz_mmu m;
    int rc;

    tz_mmu_init(&m, l1b, poolb, 2, NULL);
    /* 4 MiB of pages at an unaligned PA: a level-2 table and two level-3 tables, one more than the pool holds */
    rc = tz_mmu_map(&m, WIN, 0x41001000u, 2u * SZ_2M, TZ_PTE_NORMAL);
    CHECK(rc == TZ_MMU_ENOMEM, "map beyond the pool -> %d, want TZ_MMU_ENOMEM", rc);
    CHECK(tz_mmu_tables_free(&m) == 2, "failed map kept %u tables", 2u - tz_mmu_tables_free(&m));
    CHECK(l1b[WIN >> 30] == 0, "failed map left a level-1 descriptor");
    rc = tz_mmu_map(&m, WIN, 0x41001000u, SZ_2M - 0x1000u, TZ_PTE_NORMAL);
    CHECK(rc == 0, "a map that fits after the failure -> %d", rc);
}
#endif

int main(void)
{
    boot();
    alternating();
    overlaps();
#ifdef TZ_MMU_POOL_MAX
    rollback();
#endif
    if (failures) {
        printf("tz_mmu: %d failures\n", failures);
        return 1;
    }
    printf("tz_mmu: 100 alternating block/page registrations, overlaps, rollback, break-before-make: all pass\n");
    return 0;
}
