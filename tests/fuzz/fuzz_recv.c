/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: the receive paths (recv, recv_some, peek/release, recv_total) on a ring state the peer chose.
 * Input: u32 consumer index (aligned down to 8 for the lane's starting point; its bit 0 picks the victim's side),
 * u32 producer index the peer publishes, 8 call bytes, then up to a ring's worth of data laid into the ring from
 * the consumer index on (so records start where the victim reads, and wrap where the ring wraps). Each call byte
 * picks a call (low 2 bits) and its buffer size (the rest). Every result is checked by fuzz_victim.h, and a
 * producer index more than a ring away from the consumer index must have broken the endpoint.
 *
 * The ring the victim reads ends at a PROT_NONE page (tests/hostile/guard_map.h): for side A it is the B->A ring,
 * the region's end; for side B the A->B ring, whose guard page covers the B->A ring behind it (the victim only
 * receives here). So a read one byte past the ring faults, rather than landing unseen in the next ring. The
 * harness writes the ring through its own read-write view of the same memory.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../hostile/guard_map.h"
#include "fuzz_victim.h"

#define RING 1024u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 16)
        return 0;
    static struct guard_region g[2]; /* [0]: victim on side A, [1]: on side B */
    static size_t msize;
    if (msize == 0) {
        msize = tzchan_region_size(1, RING);
        for (int b = 0; b < 2; b++)
            if (guard_region_map(&g[b], msize, guard_ring_end(RING, 0, b, true)) != 0)
                abort();
    }
    uint32_t c0 = get32(data), cons = c0 & ~7u, prod = get32(data + 4);
    int side_b = (int)(c0 & 1u);
    struct guard_region *r = &g[side_b];
    const uint8_t *calls = data + 8;
    data += 16, size -= 16;
    FZ_CHECK(tzchan_region_init(r->adv, msize, 1, RING) == 0);
    struct tzchan_wire_lane *l = (struct tzchan_wire_lane *)(void *)(r->adv + 128);
    unsigned char *ab = r->adv + 128 + 768, *ba = ab + RING; /* the harness's view */
    uint32_t *peer_prod = side_b ? &l->ab_prod.value : &l->ba_prod.value;
    uint32_t *my_cons = side_b ? &l->ab_cons.value : &l->ba_cons.value;
    unsigned char *rx = side_b ? ab : ba;
    *peer_prod = *my_cons = cons;
    static struct fz_victim v;
    memset(&v, 0, offsetof(struct fz_victim, buf));
    const unsigned char *vab = r->vic + 128 + 768, *vba = vab + RING; /* the victim's view */
    FZ_CHECK(fz_open(&v, r->vic, msize, side_b ? TZCHAN_SIDE_B : TZCHAN_SIDE_A, 0, side_b ? vba : vab,
                     side_b ? vab : vba, RING) == 0);
    size_t n = size < RING ? size : RING, off = cons & (RING - 1u), first = n < RING - off ? n : RING - off;
    memcpy(rx + off, data, first); /* from the consumer index on, wrapping at the ring's end */
    memcpy(rx, data + first, n - first);
    *peer_prod = prod;
    for (int i = 0; i < 8; i++) {
        size_t cap = (size_t)(calls[i] >> 2) * 17u;
        switch (calls[i] & 3u) {
        case 0: /* one message, or up to eight in one call */
            if (calls[i] & 0x80u)
                fz_recv_many(&v, cap, calls[i] >> 2);
            else
                fz_recv(&v, cap);
            break;
        case 1: fz_recv_some(&v, cap + 1); break;
        case 2:
            fz_peek(&v);
            if (calls[i] & 4u)
                fz_release(&v);
            break;
        default: fz_recv_total(&v); break;
        }
    }
    /* A producer index outside the window of PROTOCOL.md s.9.2 rule 7 is a violation: behind the value accepted at
     * open (the consumer index then), or more than a ring ahead of the consumer index. The calls above may take
     * self-published records without loading it, but a wait for data loads it (and publishes the consumer index
     * it checks it against). */
    fz_wait(&v, TZCHAN_WAIT_DATA);
    uint32_t cn = __atomic_load_n(my_cons, __ATOMIC_RELAXED);
    if (prod - cons > cn + RING - cons)
        FZ_CHECK(v.broken);
    return 0;
}
