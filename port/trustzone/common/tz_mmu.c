/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Long-descriptor translation table builder (see tz_mmu.h). Invariants the code keeps:
 *  - a pool table is either free (its bit in pool_free) or hooked into exactly one parent descriptor;
 *  - live[i] is the number of valid descriptors in pool[i], and a hooked table always has live[i] > 0 once the
 *    call that hooked it returns (an empty table is unhooked and freed by the same call);
 *  - a valid descriptor is only ever overwritten by 0; a table leaves its parent only through
 *    "write 0, tlb_flush, then free" (break-before-make), so no TLB or walk-cache entry can point into a table
 *    that has been reused.
 */
#include "tz_mmu.h"

#include <stdbool.h>
#include <stddef.h>
#include "tz_libc.h"

#define DESC_VALID 1ull
#define DESC_TABLE 3ull  /* table at levels 1-2, page at level 3 */
#define DESC_BLOCK 1ull
#define ADDR_MASK 0x0000fffffffff000ull
#define SZ_1G (1ull << 30)
#define SZ_2M (2ull << 20)
#define SZ_4K 4096ull
#define SZ_4G (1ull << 32)

void tz_mmu_init(struct tz_mmu *m, uint64_t *l1, uint64_t (*pool)[512], unsigned pool_count,
                 void (*tlb_flush)(void))
{
    if (pool_count > TZ_MMU_POOL_MAX)
        pool_count = TZ_MMU_POOL_MAX;
    m->l1 = l1;
    m->pool = pool;
    m->pool_count = pool_count;
    m->pool_free = pool_count == 32u ? 0xffffffffu : (1u << pool_count) - 1u;
    memset(m->live, 0, sizeof m->live);
    m->tlb_flush = tlb_flush;
    memset(l1, 0, 4 * sizeof *l1);
}

uint64_t tz_mmu_ttbr(const struct tz_mmu *m)
{
    return (uint64_t)(uintptr_t)m->l1;
}

unsigned tz_mmu_tables_free(const struct tz_mmu *m)
{
    return (unsigned)__builtin_popcount(m->pool_free);
}

static uint64_t *table_of(uint64_t d)
{
    return (uint64_t *)(uintptr_t)(d & ADDR_MASK);
}

/* Index of t in the pool, or -1 for the level-1 table (not accounted). */
static int pool_index(const struct tz_mmu *m, const uint64_t *t)
{
    unsigned i;
    for (i = 0; i < m->pool_count; i++)
        if (t == m->pool[i])
            return (int)i;
    return -1;
}

static void live_add(struct tz_mmu *m, const uint64_t *t, int delta)
{
    int i = pool_index(m, t);
    if (i >= 0)
        m->live[i] = (uint16_t)(m->live[i] + delta);
}

static bool table_empty(const struct tz_mmu *m, const uint64_t *t)
{
    int i = pool_index(m, t);
    return i >= 0 && m->live[i] == 0;
}

/* Writes a descriptor into an invalid slot of table t (level 1 or a pool table) and counts it. */
static void install(struct tz_mmu *m, uint64_t *t, unsigned idx, uint64_t desc)
{
    t[idx] = desc;
    live_add(m, t, +1);
}

/* Invalidates the valid descriptor t[idx]; a table it pointed to is queued in *to_free (freed after the flush). */
static void remove_desc(struct tz_mmu *m, uint64_t *t, unsigned idx, bool is_table, uint32_t *to_free)
{
    if (is_table) {
        int i = pool_index(m, table_of(t[idx]));
        if (i >= 0)
            *to_free |= 1u << i;
    }
    t[idx] = 0;
    live_add(m, t, -1);
}

/* The table behind parent[idx], created (zeroed, then hooked) if the slot is invalid. NULL with *rc set if the
 * slot holds a block (TZ_MMU_EBUSY) or the pool is empty (TZ_MMU_ENOMEM). */
static uint64_t *next_table(struct tz_mmu *m, uint64_t *parent, unsigned idx, int *rc)
{
    uint64_t d = parent[idx];
    unsigned i;

    if ((d & 3u) == DESC_TABLE)
        return table_of(d);
    if (d & DESC_VALID) {
        *rc = TZ_MMU_EBUSY;
        return NULL;
    }
    for (i = 0; i < m->pool_count; i++) {
        if (m->pool_free & (1u << i)) {
            m->pool_free &= ~(1u << i);
            m->live[i] = 0;
            memset(m->pool[i], 0, sizeof m->pool[i]);
            /* release: the zeroed table is visible to the table walker before the descriptor that points to
             * it; pairs with the walker's dependency-ordered read through that descriptor */
            __atomic_thread_fence(__ATOMIC_RELEASE);
            install(m, parent, idx, (uint64_t)(uintptr_t)m->pool[i] | DESC_TABLE);
            return m->pool[i];
        }
    }
    *rc = TZ_MMU_ENOMEM;
    return NULL;
}

/* Removes what [va, end) maps; emptied tables go to *to_free. Returns whether any descriptor was invalidated. */
static bool clear_range(struct tz_mmu *m, uint64_t va, uint64_t end, uint32_t *to_free)
{
    bool cleared = false;

    while (va < end) {
        uint64_t *d1 = &m->l1[va >> 30], *l2, *l3;
        unsigned i2 = (unsigned)(va >> 21) & 511u, i3 = (unsigned)(va >> 12) & 511u;

        if ((*d1 & 3u) != DESC_TABLE) {
            va = (va | (SZ_1G - 1u)) + 1u;
            continue;
        }
        l2 = table_of(*d1);
        if ((l2[i2] & 3u) == DESC_BLOCK) {
            /* mutant: dropping the "wholly covered" test unmaps a neighbour's block; test_mmu's
             * "partial unmap keeps the block" case kills it */
            if ((va & (SZ_2M - 1u)) == 0 && end - va >= SZ_2M) {
                remove_desc(m, l2, i2, false, to_free);
                cleared = true;
            }
            va = (va | (SZ_2M - 1u)) + 1u;
        } else if ((l2[i2] & 3u) == DESC_TABLE) {
            l3 = table_of(l2[i2]);
            if (l3[i3] & DESC_VALID) {
                remove_desc(m, l3, i3, false, to_free);
                cleared = true;
                /* mutant: without this the emptied table stays hooked and is never reused: the pool runs dry
                 * after 16 alternations (test_mmu "alternating" and the QEMU hostile case kill it) */
                if (table_empty(m, l3))
                    remove_desc(m, l2, i2, true, to_free);
            }
            va += SZ_4K;
        } else {
            va = (va | (SZ_2M - 1u)) + 1u;
        }
        if (table_empty(m, l2)) {
            remove_desc(m, m->l1, (unsigned)(d1 - m->l1), true, to_free);
            cleared = true;
        }
    }
    return cleared;
}

/* Break-before-make, second half: the invalid descriptors are written; flush, then let the tables go. */
static void finish(struct tz_mmu *m, bool cleared, uint32_t to_free)
{
    /* mutant: calling tlb_flush after the tables are freed (or not at all) lets a reused table be reached
     * through a stale walk-cache entry; test_mmu's flush hook checks the order and kills it */
    if (cleared && m->tlb_flush)
        m->tlb_flush();
    m->pool_free |= to_free;
}

int tz_mmu_map(struct tz_mmu *m, uint64_t va, uint64_t pa, uint64_t size, uint64_t attrs)
{
    uint64_t va0 = va;
    uint32_t to_free = 0;
    bool cleared;
    int rc = TZ_MMU_OK;

    if (size == 0 || ((va | pa | size) & (SZ_4K - 1u)) || va >= SZ_4G || size > SZ_4G - va ||
        pa > ADDR_MASK || size > ADDR_MASK + SZ_4K - pa)
        return TZ_MMU_EINVAL;
    attrs = (attrs & ~(ADDR_MASK | 3u)) | TZ_PTE_AF;
    while (size) {
        unsigned i1 = (unsigned)(va >> 30), i2 = (unsigned)(va >> 21) & 511u, i3 = (unsigned)(va >> 12) & 511u;
        uint64_t *l2 = next_table(m, m->l1, i1, &rc), *l3;

        if (!l2)
            break;
        if (((va | pa) & (SZ_2M - 1u)) == 0 && size >= SZ_2M) {
            /* a block only goes into an invalid slot: a table there still maps pages (empty tables are never
             * left hooked), a block there is someone else's. mutant: overwriting a table descriptor with the
             * block (the old code) silently drops live page mappings and leaks the table; test_mmu's
             * "block over pages" case kills it */
            if (l2[i2] & DESC_VALID) {
                rc = TZ_MMU_EBUSY;
                break;
            }
            install(m, l2, i2, (pa & ADDR_MASK) | attrs | DESC_BLOCK);
            va += SZ_2M;
            pa += SZ_2M;
            size -= SZ_2M;
            continue;
        }
        l3 = next_table(m, l2, i2, &rc);
        if (!l3)
            break;
        if (l3[i3] & DESC_VALID) {
            rc = TZ_MMU_EBUSY;
            break;
        }
        install(m, l3, i3, (pa & ADDR_MASK) | attrs | DESC_TABLE);
        va += SZ_4K;
        pa += SZ_4K;
        size -= SZ_4K;
    }
    if (rc == TZ_MMU_OK)
        return rc;
    /* all or nothing: undo what this call mapped, and unhook a table it created but could not fill.
     * mutant: returning without the rollback leaves tables and half a mapping behind; test_mmu's "rollback"
     * case kills it */
    cleared = clear_range(m, va0, va, &to_free);
    if ((m->l1[va >> 30] & 3u) == DESC_TABLE) {
        uint64_t *l2 = table_of(m->l1[va >> 30]);
        unsigned i2 = (unsigned)(va >> 21) & 511u;
        if ((l2[i2] & 3u) == DESC_TABLE && table_empty(m, table_of(l2[i2]))) {
            remove_desc(m, l2, i2, true, &to_free);
            cleared = true;
        }
        if (table_empty(m, l2)) {
            remove_desc(m, m->l1, (unsigned)(va >> 30), true, &to_free);
            cleared = true;
        }
    }
    finish(m, cleared, to_free);
    return rc;
}

void tz_mmu_unmap(struct tz_mmu *m, uint64_t va, uint64_t size)
{
    uint32_t to_free = 0;
    bool cleared;

    if (size == 0 || va >= SZ_4G)
        return;
    if (size > SZ_4G - va)
        size = SZ_4G - va;
    cleared = clear_range(m, va & ~(SZ_4K - 1u), va + size, &to_free);
    finish(m, cleared, to_free);
}
