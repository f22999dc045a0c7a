/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: tzchan_open on a region the peer laid out. Input: one control byte (bit 0: side, bits 1-2: lane,
 * bits 3-7: how many calls to make after a successful open), then the region's bytes, exactly as many as the
 * input has (the buffer is allocated to that size, so ASan sees any access past it). open must answer with a
 * documented code; when it accepts the region, the geometry it copied must match the header it checked.
 *
 * The calls that follow (receive, send, wait) run on a copy of the region whose receive ring, the one the victim
 * reads, ends at a PROT_NONE page (tests/hostile/guard_map.h), so a read past that ring faults even where the
 * region goes on behind it; open must accept the copy too. On side B the guard page covers the victim's own send
 * ring (it follows the receive ring), so there the victim only receives and waits.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../hostile/guard_map.h"
#include "fuzz_victim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Guarded copies, kept by (size, guard), since mapping one costs more than a run. */
#define GCACHE 8
static struct guard_region g_cache[GCACHE];
static unsigned g_used;

static struct guard_region *guarded(size_t size, size_t guard)
{
    for (unsigned i = 0; i < g_used; i++)
        if (g_cache[i].size == size && g_cache[i].guard == guard)
            return &g_cache[i];
    if (g_used == GCACHE) {
        for (unsigned i = 0; i < g_used; i++)
            guard_region_unmap(&g_cache[i]);
        g_used = 0;
    }
    struct guard_region *g = &g_cache[g_used];
    if (guard_region_map(g, size, guard) != 0)
        abort();
    g_used++;
    return g;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t ctl = data[0];
    data++, size--;
    void *mem = NULL;
    if (posix_memalign(&mem, 64, size ? size : 1) != 0)
        return 0;
    if (size)
        memcpy(mem, data, size);
    enum tzchan_side side = (ctl & 1) ? TZCHAN_SIDE_B : TZCHAN_SIDE_A;
    uint32_t lane = (ctl >> 1) & 3u;
    static struct fz_victim v;
    memset(&v, 0, offsetof(struct fz_victim, buf));
    int e = tzchan_open(&v.ch, mem, size, side, lane);
    FZ_CHECK(e == 0 || e == TZCHAN_EPROTO || e == TZCHAN_EVERSION || e == TZCHAN_EINVAL);
    if (e == 0) {
        /* what open accepted must be what the header says, and must fit in what we gave it */
        const struct tzchan_wire_header *h = mem;
        uint32_t ring = h->ring_bytes;
        size_t rsize = tzchan_region_size(h->lanes, ring);
        FZ_CHECK(size >= rsize && rsize != 0);
        FZ_CHECK(lane < h->lanes && tzchan_max_msg(&v.ch) == ring / 2);
        /* the calls run on a guarded copy of the region (the bytes as the peer laid them out) */
        struct guard_region *g = guarded(rsize, guard_ring_end(ring, lane, side == TZCHAN_SIDE_B, true));
        memcpy(g->adv, data, rsize);
        const unsigned char *lb = g->vic + 128 + (size_t)lane * (768 + 2 * (size_t)ring);
        const unsigned char *ab = lb + 768, *ba = lb + 768 + ring;
        FZ_CHECK(fz_open(&v, g->vic, rsize, side, lane, side == TZCHAN_SIDE_A ? ab : ba,
                         side == TZCHAN_SIDE_A ? ba : ab, ring) == 0);
        for (unsigned i = 0; i < (unsigned)(ctl >> 3); i++) {
            switch (i % 6) {
            case 0: fz_recv(&v, sizeof v.buf); break;
            case 1: fz_recv_some(&v, 100); break;
            case 2:
                fz_peek(&v);
                fz_release(&v);
                break;
            case 3: fz_recv_total(&v); break;
            case 4:
                if (side == TZCHAN_SIDE_A) /* side B's send ring lies behind the guard */
                    fz_send(&v, 64, false);
                break;
            default: fz_wait(&v, 3); break;
            }
        }
    }
    free(mem);
    return 0;
}
