/* SPDX-License-Identifier: BSD-2-Clause */
/* Long-descriptor translation table builder (see tz_mmu.h). */
#include "tz_mmu.h"

#include <stddef.h>
#include "tz_libc.h"

#define DESC_VALID 1ull
#define DESC_TABLE 3ull  /* table at levels 1-2, page at level 3 */
#define DESC_BLOCK 1ull
#define ADDR_MASK 0x0000fffffffff000ull
#define SZ_2M (2ull << 20)
#define SZ_4K 4096ull

void tz_mmu_init(struct tz_mmu *m, uint64_t *l1, uint64_t (*pool)[512], unsigned pool_count)
{
    m->l1 = l1;
    m->pool = pool;
    m->pool_used = 0;
    m->pool_count = pool_count;
    memset(l1, 0, 4 * sizeof *l1);
}

uint64_t tz_mmu_ttbr(const struct tz_mmu *m)
{
    return (uint64_t)(uintptr_t)m->l1;
}

/* The next-level table behind *d, creating it if d is empty; NULL if d is a block or the pool is empty. */
static uint64_t *next_table(struct tz_mmu *m, uint64_t *d)
{
    uint64_t *t;
    if ((*d & 3u) == DESC_TABLE)
        return (uint64_t *)(uintptr_t)(*d & ADDR_MASK);
    if (*d & DESC_VALID)
        return NULL;
    if (m->pool_used == m->pool_count)
        return NULL;
    t = m->pool[m->pool_used++];
    memset(t, 0, 512 * sizeof *t);
    *d = (uint64_t)(uintptr_t)t | DESC_TABLE;
    return t;
}

int tz_mmu_map(struct tz_mmu *m, uint64_t va, uint64_t pa, uint64_t size, uint64_t attrs)
{
    if ((va | pa | size) & (SZ_4K - 1) || va + size > (1ull << 32) || va + size < va)
        return -1;
    attrs |= TZ_PTE_AF;
    while (size) {
        uint64_t *l2 = next_table(m, &m->l1[va >> 30]);
        uint64_t *l3;
        unsigned i2 = (unsigned)(va >> 21) & 511u;
        if (!l2)
            return -1;
        if (((va | pa) & (SZ_2M - 1)) == 0 && size >= SZ_2M) {
            l2[i2] = (pa & ADDR_MASK) | attrs | DESC_BLOCK;
            va += SZ_2M;
            pa += SZ_2M;
            size -= SZ_2M;
            continue;
        }
        l3 = next_table(m, &l2[i2]);
        if (!l3)
            return -1;
        l3[(va >> 12) & 511u] = (pa & ADDR_MASK) | attrs | DESC_TABLE;
        va += SZ_4K;
        pa += SZ_4K;
        size -= SZ_4K;
    }
    return 0;
}

void tz_mmu_unmap(struct tz_mmu *m, uint64_t va, uint64_t size)
{
    while (size >= SZ_4K && va < (1ull << 32)) {
        uint64_t d1 = m->l1[va >> 30], *l2, *l3;
        unsigned i2 = (unsigned)(va >> 21) & 511u;
        if ((d1 & 3u) != DESC_TABLE)
            return;
        l2 = (uint64_t *)(uintptr_t)(d1 & ADDR_MASK);
        if ((l2[i2] & 3u) == DESC_BLOCK && (va & (SZ_2M - 1)) == 0 && size >= SZ_2M) {
            l2[i2] = 0;
            va += SZ_2M;
            size -= SZ_2M;
            continue;
        }
        if ((l2[i2] & 3u) != DESC_TABLE)
            return;
        l3 = (uint64_t *)(uintptr_t)(l2[i2] & ADDR_MASK);
        l3[(va >> 12) & 511u] = 0;
        va += SZ_4K;
        size -= SZ_4K;
    }
}
