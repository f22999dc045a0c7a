/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: the receive paths (recv, recv_some, peek/release, recv_total) on a ring state the peer chose.
 * Input: u32 consumer index (the lane's starting point, aligned down to 8), u32 producer index the peer
 * publishes, 8 call bytes, then up to a ring's worth of data laid into the ring from the consumer index on (so
 * records start where the victim reads, and wrap where the ring wraps). Each call byte picks a call (low 2
 * bits) and its buffer size (the rest). Every result is checked by fuzz_victim.h.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
    static unsigned char *mem;
    static size_t msize;
    if (mem == NULL) {
        msize = tzchan_region_size(1, RING);
        if (posix_memalign((void **)&mem, 64, msize) != 0)
            abort();
    }
    uint32_t cons = get32(data) & ~7u, prod = get32(data + 4);
    const uint8_t *calls = data + 8;
    data += 16, size -= 16;
    FZ_CHECK(tzchan_region_init(mem, msize, 1, RING) == 0);
    struct tzchan_wire_lane *l = (struct tzchan_wire_lane *)(void *)(mem + 128);
    unsigned char *ab = mem + 128 + 768, *ba = ab + RING;
    l->ab_prod.value = l->ab_cons.value = cons;
    static struct fz_victim v;
    memset(&v, 0, sizeof v);
    FZ_CHECK(fz_open(&v, mem, msize, TZCHAN_SIDE_B, 0, ba, ab, RING) == 0);
    for (size_t i = 0; i < size && i < RING; i++)
        ab[(cons + i) & (RING - 1u)] = data[i];
    l->ab_prod.value = prod;
    for (int i = 0; i < 8; i++) {
        size_t cap = (size_t)(calls[i] >> 2) * 17u;
        switch (calls[i] & 3u) {
        case 0: fz_recv(&v, cap); break;
        case 1: fz_recv_some(&v, cap + 1); break;
        case 2:
            fz_peek(&v);
            if (calls[i] & 4u)
                fz_release(&v);
            break;
        default: fz_recv_total(&v); break;
        }
    }
    return 0;
}
