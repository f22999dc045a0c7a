/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Registration validation (see tz_region.h). Every comparison is written so that it cannot overflow: ranges are
 * handled as [base, last] with last = base + size - 1, computed only after size != 0 and base <= UINT64_MAX -
 * (size - 1) have been established.
 */
#include "tz_region.h"

#include "tzchan/wire.h"

uint64_t tz_region_bytes(uint32_t lanes, uint32_t ring_bytes)
{
    if (lanes < 1u || lanes > TZCHAN_WIRE_MAX_LANES)
        return 0;
    if (ring_bytes < TZCHAN_WIRE_MIN_RING || ring_bytes > TZCHAN_WIRE_MAX_RING || (ring_bytes & (ring_bytes - 1u)))
        return 0;
    /* at most 1024 * (768 + 2^31) + 128: fits in 64 bits with room to spare */
    return (uint64_t)TZCHAN_WIRE_HEADER_BYTES +
           (uint64_t)lanes * ((uint64_t)TZCHAN_WIRE_LANE_CTRL + 2u * (uint64_t)ring_bytes);
}

/* Does [base, last] intersect range r? Both inclusive; r may be empty or itself wrap (then treated as reaching the
 * top of the address space, the conservative reading for a forbidden range). */
static int overlaps(uint64_t base, uint64_t last, const struct tz_range *r)
{
    uint64_t r_last;

    if (r->size == 0)
        return 0;
    r_last = (r->base > UINT64_MAX - (r->size - 1u)) ? UINT64_MAX : r->base + (r->size - 1u);
    return base <= r_last && r->base <= last;
}

/* Is [base, last] wholly inside range r? */
static int inside(uint64_t base, uint64_t last, const struct tz_range *r)
{
    if (r->size == 0 || r->base > UINT64_MAX - (r->size - 1u))
        return 0;
    return base >= r->base && last <= r->base + (r->size - 1u);
}

int tz_region_check(const struct tz_memmap *map, const struct tz_reg_req *req)
{
    uint64_t last, need;
    size_t i;
    int in_ram = 0;

    /* 1. overflow: an empty region or one that wraps the address space */
    if (req->size == 0 || req->base > UINT64_MAX - (req->size - 1u))
        return TZ_REG_EOVERFLOW;
    last = req->base + (req->size - 1u);

    /* 2. alignment of both ends */
    if ((req->base & (map->align - 1u)) != 0 || (req->size & (map->align - 1u)) != 0)
        return TZ_REG_EALIGN;

    /* 3. never share secure memory, whatever the RAM map says */
    for (i = 0; i < map->forbidden_count; i++)
        if (overlaps(req->base, last, &map->forbidden[i]))
            return TZ_REG_ESECURE;

    /* 4. wholly inside one bank of non-secure RAM (not device space, not a hole, not straddling banks) */
    for (i = 0; i < map->ns_ram_count; i++)
        if (inside(req->base, last, &map->ns_ram[i]))
            in_ram = 1;
    if (!in_ram)
        return TZ_REG_ENOTRAM;

    /* 5. geometry this secure side accepts */
    if (req->lanes < map->min_lanes || req->lanes > map->max_lanes || req->ring_bytes < map->min_ring ||
        req->ring_bytes > map->max_ring)
        return TZ_REG_EGEOMETRY;
    need = tz_region_bytes(req->lanes, req->ring_bytes);
    if (need == 0)
        return TZ_REG_EGEOMETRY;

    /* 6. big enough for the geometry, small enough to map */
    if (req->size < need || req->size > map->max_bytes)
        return TZ_REG_ESIZE;
    return TZ_REG_OK;
}

void tz_region_snap_b(struct tz_fresh_snap *snap, const volatile void *region, uint32_t lanes, uint32_t ring_bytes)
{
    const volatile unsigned char *base = region;
    uint64_t stride = (uint64_t)TZCHAN_WIRE_LANE_CTRL + 2u * (uint64_t)ring_bytes;
    uint32_t i;

    snap->nonzero = 0;
    for (i = 0; i < lanes; i++) {
        const volatile struct tzchan_wire_lane *l =
            (const volatile struct tzchan_wire_lane *)(const volatile void *)(base + TZCHAN_WIRE_HEADER_BYTES +
                                                                             (uint64_t)i * stride);
        /* each word read once; the peer may change it right after, which only matters for a region that was
         * fresh when we looked (then side B's own open takes the words over) */
        snap->nonzero += l->ab_cons.value != 0;
        snap->nonzero += l->ba_prod.value != 0;
        snap->nonzero += l->sleep_b.waiting != 0;
        snap->nonzero += l->sleep_b.want_cons != 0;
        snap->nonzero += l->sleep_b.bell != 0;
        snap->nonzero += l->sleep_b.state != 0;
    }
}

const char *tz_region_strerror(int code)
{
    switch (code) {
    case TZ_REG_OK: return "TZ_REG_OK: accepted";
    case TZ_REG_EOVERFLOW: return "TZ_REG_EOVERFLOW: empty or wraps the address space";
    case TZ_REG_EALIGN: return "TZ_REG_EALIGN: base or size not page aligned";
    case TZ_REG_ESECURE: return "TZ_REG_ESECURE: overlaps secure memory";
    case TZ_REG_ENOTRAM: return "TZ_REG_ENOTRAM: not inside non-secure RAM";
    case TZ_REG_EGEOMETRY: return "TZ_REG_EGEOMETRY: lanes or ring size not accepted";
    case TZ_REG_ESIZE: return "TZ_REG_ESIZE: size does not match the geometry";
    case TZ_REG_EBUSY: return "TZ_REG_EBUSY: a region is already registered";
    case TZ_REG_ENOTREG: return "TZ_REG_ENOTREG: no region registered";
    case TZ_REG_EMAP: return "TZ_REG_EMAP: the secure side could not map it";
    case TZ_REG_ESTALE: return "TZ_REG_ESTALE: stale registration generation";
    case TZ_REG_ENOTFRESH: return "TZ_REG_ENOTFRESH: not a freshly laid-out region";
    default: return "TZ_REG_E?: unknown code";
    }
}
