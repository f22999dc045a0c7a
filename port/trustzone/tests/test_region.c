/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Host test of the TrustZone port's registration validation (common/tz_region.c): one case per refusal code on the
 * QEMU virt memory map, edge cases at both ends of every range, then a randomized comparison against an
 * independent oracle written with 128-bit arithmetic (millions of requests biased towards the boundaries).
 * Exits 0 on success, 1 on the first mismatch.
 */
#include "region_oracle.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tzchan/wire.h"

static int failures;

static void expect(const char *what, const struct tz_memmap *m, uint64_t base, uint64_t size, uint32_t lanes,
                   uint32_t ring, int want)
{
    struct tz_reg_req r = {base, size, lanes, ring};
    int got = tz_region_check(m, &r);
    if (got != want) {
        printf("FAIL %s: base %#" PRIx64 " size %#" PRIx64 " lanes %u ring %u: got %s, want %s\n", what, base, size,
               lanes, ring, tz_region_strerror(got), tz_region_strerror(want));
        failures++;
    }
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

/* A value near one of the interesting points of the map, or anything at all. */
static uint64_t pick_addr(void)
{
    static const uint64_t points[] = {0, 0x0e000000u, 0x0f000000u, 0x04000000u, 0x40000000u, 0x40010000u,
                                      0x48000000u, 0x47fff000u, UINT64_MAX, UINT64_MAX - 0xfff, 0x100000000u};
    uint64_t p = points[rnd() % (sizeof points / sizeof points[0])];
    switch (rnd() % 4) {
    case 0: return p;
    case 1: return p + ((rnd() % 17) - 8) * 4096u;
    case 2: return p + (rnd() % 8192) - 4096;
    default: return rnd();
    }
}

static uint64_t pick_size(void)
{
    switch (rnd() % 5) {
    case 0: return (rnd() % 64) * 4096u;
    case 1: return rnd() % 0x20000u;
    case 2: return (uint64_t)0 - (rnd() % 0x3000u);
    case 3: return 18432u + ((rnd() % 3) - 1) * 4096u;
    default: return rnd() >> (rnd() % 64);
    }
}

/* tz_region_snap_b: only side B's words count (those the secure side itself writes), on every lane.
 * mutant killed: a snapshot that skips a word, a lane, or counts side A's words */
static void snap_cases(void)
{
    static uint64_t mem[(128 + 3 * (768 + 2 * 1024)) / 8];
    unsigned char *base = (unsigned char *)mem;
    const size_t stride = 768 + 2 * 1024;
    static const size_t b_words[] = {0x080, 0x100, 0x280, 0x284, 0x288, 0x28c}; /* ab_cons ba_prod sleep_b.* */
    static const size_t a_words[] = {0x000, 0x180, 0x200, 0x204, 0x208, 0x20c}; /* ab_prod ba_cons sleep_a.* */
    struct tz_fresh_snap snap;
    size_t lane, k;

    tz_region_snap_b(&snap, mem, 3, 1024);
    if (snap.nonzero != 0) {
        printf("FAIL snap: a zeroed region is not fresh\n");
        failures++;
    }
    for (lane = 0; lane < 3; lane++) {
        for (k = 0; k < 6; k++) {
            uint32_t *w = (uint32_t *)(void *)(base + TZCHAN_WIRE_HEADER_BYTES + lane * stride + b_words[k]);
            *w = 1;
            tz_region_snap_b(&snap, mem, 3, 1024);
            if (snap.nonzero != 1) {
                printf("FAIL snap: side-B word %#zx of lane %zu not seen\n", b_words[k], lane);
                failures++;
            }
            *w = 0;
            w = (uint32_t *)(void *)(base + TZCHAN_WIRE_HEADER_BYTES + lane * stride + a_words[k]);
            *w = 7;
        }
    }
    tz_region_snap_b(&snap, mem, 3, 1024);
    if (snap.nonzero != 0) {
        printf("FAIL snap: side A's words (which the normal world writes at open) made the region look stale\n");
        failures++;
    }
}

int main(void)
{
    const uint64_t good = 0x40100000u, need = 128 + 2 * (768 + 2 * 4096); /* 18048 -> 5 pages */
    struct tz_memmap m = qemu_map;
    long i, accepted = 0;

    snap_cases();

    /* one case per code */
    expect("good", &m, good, 5 * 4096, 2, 4096, TZ_REG_OK);
    expect("empty", &m, good, 0, 2, 4096, TZ_REG_EOVERFLOW);
    expect("wraps", &m, UINT64_MAX - 0xfff, 0x2000, 2, 4096, TZ_REG_EOVERFLOW);
    expect("ends exactly at the top", &m, UINT64_MAX - 0xfff, 0x1000, 2, 4096, TZ_REG_ENOTRAM);
    expect("misaligned base", &m, good + 64, 5 * 4096, 2, 4096, TZ_REG_EALIGN);
    expect("misaligned size", &m, good, need, 2, 4096, TZ_REG_EALIGN);
    expect("secure RAM", &m, 0x0e000000u, 5 * 4096, 2, 4096, TZ_REG_ESECURE);
    expect("secure RAM last page", &m, 0x0efff000u, 4096, 1, 1024, TZ_REG_ESECURE);
    expect("just past secure RAM", &m, 0x0f000000u, 5 * 4096, 2, 4096, TZ_REG_ENOTRAM);
    expect("secure flash", &m, 0, 5 * 4096, 2, 4096, TZ_REG_ESECURE);
    expect("own image in NS RAM", &m, 0x4000f000u, 5 * 4096, 2, 4096, TZ_REG_ESECURE);
    expect("after own image", &m, 0x40010000u, 5 * 4096, 2, 4096, TZ_REG_OK);
    expect("covers everything", &m, 0, 1ull << 40, 2, 4096, TZ_REG_ESECURE);
    expect("device space", &m, 0x09000000u, 5 * 4096, 2, 4096, TZ_REG_ENOTRAM);
    expect("straddles end of RAM", &m, 0x47ffe000u, 5 * 4096, 2, 4096, TZ_REG_ENOTRAM);
    expect("last pages of RAM", &m, 0x47ffb000u, 5 * 4096, 2, 4096, TZ_REG_OK);
    expect("above 4 GiB", &m, 0x140000000u, 5 * 4096, 2, 4096, TZ_REG_ENOTRAM);
    expect("ring not power of two", &m, good, 5 * 4096, 2, 3000, TZ_REG_EGEOMETRY);
    expect("no lanes", &m, good, 5 * 4096, 0, 4096, TZ_REG_EGEOMETRY);
    expect("too many lanes", &m, good, 64 * 4096, 9, 4096, TZ_REG_EGEOMETRY);
    expect("ring too small", &m, good, 5 * 4096, 2, 512, TZ_REG_EGEOMETRY);
    expect("ring too big", &m, good, 5 * 4096, 2, 2u << 20, TZ_REG_EGEOMETRY);
    expect("too small for geometry", &m, good, 4 * 4096, 2, 4096, TZ_REG_ESIZE);
    expect("larger than mappable", &m, good, 17u << 20, 2, 4096, TZ_REG_ESIZE);
    m.max_lanes = 1024;
    m.max_ring = 1u << 31; /* a map wider than the wire format: the format's own limits still apply */
    expect("ring beyond wire limit", &m, good, 16u << 20, 1, 1u << 31, TZ_REG_EGEOMETRY);
    expect("lanes beyond wire limit", &m, good, 16u << 20, 1025, 1024, TZ_REG_EGEOMETRY);
    m = qemu_map;
    if (tz_region_bytes(2, 4096) != need || tz_region_bytes(0, 4096) != 0 || tz_region_bytes(1, 1000) != 0) {
        printf("FAIL tz_region_bytes\n");
        failures++;
    }

    /* randomized comparison with the oracle, on the QEMU map and on one with a bank ending at the top */
    for (i = 0; i < 3000000 && failures < 10; i++) {
        const struct tz_memmap *mp = (i & 1) ? &top_map : &qemu_map;
        struct tz_reg_req r;
        int got, want;
        r.base = pick_addr();
        if (i & 1 && rnd() % 2)
            r.base = 0xffffffff00000000u + (rnd() % 0x100000000u & ~0xfffull);
        r.size = pick_size();
        r.lanes = (uint32_t)(rnd() % 4 ? rnd() % 10 : rnd());
        r.ring_bytes = (uint32_t)(rnd() % 3 ? 1u << (rnd() % 32) : rnd());
        got = tz_region_check(mp, &r);
        want = oracle(mp, &r);
        accepted += got == TZ_REG_OK;
        if (got != want) {
            printf("FAIL random %ld: base %#" PRIx64 " size %#" PRIx64 " lanes %u ring %u: got %s, want %s\n", i,
                   r.base, r.size, r.lanes, r.ring_bytes, tz_region_strerror(got), tz_region_strerror(want));
            failures++;
        }
    }
    printf("tz_region: %ld random requests, %ld accepted, %d failures\n", i, accepted, failures);
    if (strcmp(tz_region_strerror(TZ_REG_ESECURE), "TZ_REG_ESECURE: overlaps secure memory") != 0)
        failures++;
    return failures ? 1 : 0;
}
