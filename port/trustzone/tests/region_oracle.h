/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * An independent statement of the registration rules of common/tz_region.c, with 128-bit arithmetic so that no
 * comparison can overflow, and the two memory maps the host tests use. Shared by the unit test and the fuzzer.
 */
#ifndef TZ_REGION_ORACLE_H
#define TZ_REGION_ORACLE_H

#include "tz_region.h"

typedef unsigned __int128 u128;

static const struct tz_range ns_ram[] = {{0x40000000u, 128u << 20}};
static const struct tz_range forbidden[] = {
    {0x00000000u, 64u << 20},  /* secure flash */
    {0x0e000000u, 16u << 20},  /* secure RAM */
    {0x40000000u, 64u << 10},  /* pretend the secure image also owns the first 64 KiB of NS RAM */
};
static const struct tz_memmap qemu_map = {
    ns_ram, 1, forbidden, 3, 4096, 16u << 20, 1, 8, 1024, 1u << 20,
};
/* a map with a bank ending exactly at the top of the address space, and an empty forbidden range */
static const struct tz_range top_ram[] = {{0xffffffff00000000u, 0x100000000u}, {0x40000000u, 1u << 30}};
static const struct tz_range top_forbidden[] = {{0xfffffffff0000000u, 0}, {0xffffffffff000000u, 1u << 24}};
static const struct tz_memmap top_map = {top_ram, 2, top_forbidden, 2, 4096, 1ull << 40, 1, 1024, 1024, 1u << 30};

/* The oracle: the same rules, stated as set relations over 128-bit integers. */
static inline int oracle(const struct tz_memmap *m, const struct tz_reg_req *r)
{
    u128 b = r->base, e = (u128)r->base + r->size; /* [b, e) */
    size_t i;
    int ok = 0;
    if (r->size == 0 || e > ((u128)1 << 64))
        return TZ_REG_EOVERFLOW;
    if (r->base % m->align || r->size % m->align)
        return TZ_REG_EALIGN;
    for (i = 0; i < m->forbidden_count; i++) {
        u128 fb = m->forbidden[i].base, fe = fb + m->forbidden[i].size;
        if (m->forbidden[i].size && b < fe && fb < e)
            return TZ_REG_ESECURE;
    }
    for (i = 0; i < m->ns_ram_count; i++) {
        u128 rb = m->ns_ram[i].base, re = rb + m->ns_ram[i].size;
        if (m->ns_ram[i].size && re <= ((u128)1 << 64) && b >= rb && e <= re)
            ok = 1;
    }
    if (!ok)
        return TZ_REG_ENOTRAM;
    if (r->lanes < m->min_lanes || r->lanes > m->max_lanes || r->ring_bytes < m->min_ring ||
        r->ring_bytes > m->max_ring || r->lanes < 1 || r->lanes > 1024 || r->ring_bytes < 1024 ||
        r->ring_bytes > (1u << 30) || (r->ring_bytes & (r->ring_bytes - 1)))
        return TZ_REG_EGEOMETRY;
    {
        u128 need = 128 + (u128)r->lanes * (768 + 2 * (u128)r->ring_bytes);
        if ((u128)r->size < need || r->size > m->max_bytes)
            return TZ_REG_ESIZE;
    }
    return TZ_REG_OK;
}

#endif /* TZ_REGION_ORACLE_H */
