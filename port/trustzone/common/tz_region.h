/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Validation of a region the normal world registers by SMC, before the secure side maps or touches a byte of it.
 *
 * Plain C with no dependency on the platform, the core or libc, so the same code runs in the secure payload and in
 * host unit tests and fuzzers. The caller describes its memory map (where non-secure RAM is, what must never be
 * shared: secure RAM, secure flash, its own image) and its limits; tz_region_check() says yes or gives the first
 * reason for no. All arithmetic is overflow-checked; nothing here reads the region itself.
 */
#ifndef TZ_REGION_H
#define TZ_REGION_H

#include <stddef.h>
#include <stdint.h>

/* Refusal codes: negative, clear of SMCCC's -1..-3 and of TZCHAN_E* (-1..-10). */
#define TZ_REG_OK 0
#define TZ_REG_EOVERFLOW (-16) /* base + size wraps around the address space, or size is 0 */
#define TZ_REG_EALIGN (-17)    /* base or size not a multiple of the required alignment (the page size) */
#define TZ_REG_ESECURE (-18)   /* overlaps secure RAM, secure flash or the secure image */
#define TZ_REG_ENOTRAM (-19)   /* not wholly inside one non-secure RAM bank */
#define TZ_REG_EGEOMETRY (-20) /* lanes or ring size not accepted by this secure side */
#define TZ_REG_ESIZE (-21)     /* too small for the geometry, or larger than the secure side will map */
#define TZ_REG_EBUSY (-22)     /* a region is already registered (no longer returned: REGISTER takes over, tz_smc.h) */
#define TZ_REG_ENOTREG (-23)   /* unregister without a registered region */
#define TZ_REG_EMAP (-24)      /* the secure side could not map the region (no translation table left, window in
                                * use, or the MMU did not translate it as asked); nothing stays mapped */
#define TZ_REG_ESTALE (-25)    /* the call names a registration generation that is no longer the current one */
#define TZ_REG_ENOTFRESH (-26) /* the region's side-B words are not those of a fresh tzchan_region_init() layout:
                                * the memory still holds an earlier registration's state */

struct tz_range {
    uint64_t base;
    uint64_t size; /* bytes; a range with size 0 is empty */
};

/* What the secure side accepts. Ranges may be listed in any order; forbidden ranges may overlap each other. */
struct tz_memmap {
    const struct tz_range *ns_ram;    /* banks of non-secure RAM: a region must lie wholly inside one */
    size_t ns_ram_count;
    const struct tz_range *forbidden; /* secure RAM, secure flash, own image, anything else never shared */
    size_t forbidden_count;
    uint64_t align;                   /* power of two >= 64: required alignment of base and size */
    uint64_t max_bytes;               /* largest region the secure side will map */
    uint32_t min_lanes, max_lanes;    /* accepted lane counts */
    uint32_t min_ring, max_ring;      /* accepted ring sizes (powers of two) */
};

/* Registration request, already reduced to the widths the SMC interface defines. */
struct tz_reg_req {
    uint64_t base;       /* physical address of the region */
    uint64_t size;       /* bytes the normal world shares */
    uint32_t lanes;
    uint32_t ring_bytes;
};

/* Bytes a region of this geometry needs in wire format v1 (header + lanes * (control + 2 rings)), or 0 if the
 * geometry is outside the wire format's limits. Same result as tzchan_region_size(), computed independently. */
uint64_t tz_region_bytes(uint32_t lanes, uint32_t ring_bytes);

/* Checks req against map, in this order: overflow, alignment, secure overlap, RAM containment, geometry, size.
 * Returns TZ_REG_OK or the first TZ_REG_E* that applies. Pure function; map must itself be sane (align a power of
 * two). Never reads or writes the region. */
int tz_region_check(const struct tz_memmap *map, const struct tz_reg_req *req);

/* Side B's words of each lane (ab_cons, ba_prod and the sleep_b slot), read once from a mapped region whose
 * size the SMC's geometry was checked against (tz_region_check() said TZ_REG_OK for lanes and ring_bytes).
 * The only function here that reads the region. Take the snapshot before side B opens the region. */
struct tz_fresh_snap {
    uint32_t nonzero; /* side-B words that were not 0 */
};
void tz_region_snap_b(struct tz_fresh_snap *snap, const volatile void *region, uint32_t lanes, uint32_t ring_bytes);

/* "TZ_REG_ESECURE: overlaps secure memory"; never NULL. */
const char *tz_region_strerror(int code);

#endif /* TZ_REGION_H */
