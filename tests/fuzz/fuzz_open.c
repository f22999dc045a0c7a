/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: tzchan_open on a region the peer laid out. Input: one control byte (bit 0: side, bits 1-2: lane,
 * bits 3-7: how many calls to make after a successful open), then the region's bytes, exactly as many as the
 * input has (the buffer is allocated to that size, so ASan sees any access past it). open must answer with a
 * documented code; when it accepts the region, the geometry it copied must match the header it checked, and the
 * calls that follow (receive, send, wait) must stay inside the region and return documented codes.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_victim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
    memset(&v, 0, sizeof v);
    int e = tzchan_open(&v.ch, mem, size, side, lane);
    FZ_CHECK(e == 0 || e == TZCHAN_EPROTO || e == TZCHAN_EVERSION || e == TZCHAN_EINVAL);
    if (e == 0) {
        /* what open accepted must be what the header says, and must fit in what we gave it */
        const struct tzchan_wire_header *h = mem;
        uint32_t ring = h->ring_bytes;
        FZ_CHECK(size >= tzchan_region_size(h->lanes, ring) && tzchan_region_size(h->lanes, ring) != 0);
        FZ_CHECK(lane < h->lanes && tzchan_max_msg(&v.ch) == ring / 2);
        const unsigned char *lb = (const unsigned char *)mem + 128 + (size_t)lane * (768 + 2 * (size_t)ring);
        const unsigned char *ab = lb + 768, *ba = lb + 768 + ring;
        v.open = true;
        v.txdata = side == TZCHAN_SIDE_A ? ab : ba;
        v.rxdata = side == TZCHAN_SIDE_A ? ba : ab;
        v.ring = ring;
        v.max_msg = ring / 2;
        for (unsigned i = 0; i < (unsigned)(ctl >> 3); i++) {
            switch (i % 6) {
            case 0: fz_recv(&v, sizeof v.buf); break;
            case 1: fz_recv_some(&v, 100); break;
            case 2:
                fz_peek(&v);
                fz_release(&v);
                break;
            case 3: fz_recv_total(&v); break;
            case 4: fz_send(&v, 64, false); break;
            default: fz_wait(&v, 3); break;
            }
        }
    }
    free(mem);
    return 0;
}
