/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: a sequence interleaving a hostile peer's writes with the victim's calls. The region has two lanes
 * of 1 KiB rings; the victim is side A on lane 0 and side B on lane 1. The peer has an honest endpoint on each
 * lane (so valid traffic flows and the victim gets deep into its message paths) and may also write any word of
 * the region directly: its own indices, record headers where the victim will read them, its doorbell slot, the
 * victim's words, the header. Input: commands of 7 bytes: op (mod 26), then a byte whose bit 0 picks the lane
 * and whose other bits are a small argument x, then a 16-bit argument a (bytes 2-3, little-endian) and a 32-bit
 * one w (bytes 3-6). Every victim result is checked by fuzz_victim.h.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_victim.h"

#define RING 1024u
#define LANES 2u
#define STRIDE (768u + 2u * RING)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t get16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}
static uint32_t get32(const uint8_t *p)
{
    return get16(p) | get16(p + 2) << 16;
}

static unsigned char *g_mem;
static size_t g_size;
static struct fz_victim g_vic[LANES];
static struct tzchan g_peer[LANES];

static enum tzchan_side vside(unsigned l)
{
    return l ? TZCHAN_SIDE_B : TZCHAN_SIDE_A;
}
static unsigned char *lane_at(unsigned l)
{
    return g_mem + 128 + (size_t)l * STRIDE;
}
/* the peer's producer word and the victim's receive data area on lane l */
static uint32_t *peer_prod(unsigned l)
{
    return (uint32_t *)(void *)(lane_at(l) + (l ? 0x000 : 0x100));
}
static uint32_t *peer_cons(unsigned l)
{
    return (uint32_t *)(void *)(lane_at(l) + (l ? 0x180 : 0x080));
}
static uint32_t *victim_cons(unsigned l)
{
    return (uint32_t *)(void *)(lane_at(l) + (l ? 0x080 : 0x180));
}
static uint32_t *victim_prod(unsigned l)
{
    return (uint32_t *)(void *)(lane_at(l) + (l ? 0x100 : 0x000));
}
static struct tzchan_wire_sleep *peer_sleep(unsigned l)
{
    return (struct tzchan_wire_sleep *)(void *)(lane_at(l) + (l ? 0x200 : 0x280));
}
static unsigned char *vtx(unsigned l)
{
    return lane_at(l) + 768 + (l ? RING : 0);
}
static unsigned char *vrx(unsigned l)
{
    return lane_at(l) + 768 + (l ? 0 : RING);
}

static void victim_open(unsigned l)
{
    (void)fz_open(&g_vic[l], g_mem, g_size, vside(l), l, vtx(l), vrx(l), RING);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (g_mem == NULL) {
        g_size = tzchan_region_size(LANES, RING);
        if (posix_memalign((void **)&g_mem, 64, g_size) != 0)
            abort();
    }
    FZ_CHECK(tzchan_region_init(g_mem, g_size, LANES, RING) == 0);
    unsigned char header[128];
    memcpy(header, g_mem, sizeof header);
    for (unsigned l = 0; l < LANES; l++) {
        memset(&g_vic[l], 0, sizeof g_vic[l]);
        victim_open(l);
        FZ_CHECK(g_vic[l].open);
        FZ_CHECK(tzchan_open(&g_peer[l], g_mem, g_size, vside(l) == TZCHAN_SIDE_A ? TZCHAN_SIDE_B : TZCHAN_SIDE_A,
                             l) == 0);
    }
    static const unsigned char src[4096];
    static unsigned char sink[4096];
    for (; size >= 7; data += 7, size -= 7) {
        unsigned op = data[0] % 26u, l = data[1] & 1u, x = data[1] >> 1;
        uint32_t a = get16(data + 2), w = get32(data + 3);
        struct fz_victim *v = &g_vic[l];
        struct tzchan *peer = &g_peer[l];
        if (op < 16 && !v->open) {
            victim_open(l);
            continue;
        }
        switch (op) {
        /* ---- the victim ---- */
        case 0: fz_send(v, a % 700u, false); break;
        case 1: fz_send(v, a % 700u, true); break;
        case 2: fz_flush(v); break;
        case 3: fz_reserve(v, a % 700u); break;
        case 4: fz_commit(v, a % 700u); break;
        case 5: fz_send_begin(v, (x & 1) ? TZCHAN_LEN_UNKNOWN : (uint64_t)a * (x + 1)); break;
        case 6: fz_send_some(v, a % 5000u); break;
        case 7: fz_send_end(v); break;
        case 8: fz_recv(v, a % 4200u); break;
        case 9: fz_recv_some(v, a % 4200u); break;
        case 10: fz_peek(v); break;
        case 11: fz_release(v); break;
        case 12: fz_recv_total(v); break;
        case 13: fz_wait(v, x & 7u); break;
        case 14: victim_open(l); break;
        case 15: /* the victim drains: recv_some until it stops */
            for (int i = 0; i < 64 && v->open && !v->broken; i++)
                fz_recv_some(v, 1 + a % 3000u);
            break;
        /* ---- the peer, honest ---- */
        case 16: (void)tzchan_send(peer, src, a % 600u); break;
        case 17: (void)tzchan_recv(peer, sink, sizeof sink); break;
        case 18: {
            bool eom;
            if (tzchan_send_begin(peer, (x & 1) ? TZCHAN_LEN_UNKNOWN : a) == 0) {
                (void)tzchan_send_some(peer, src, (x & 1) ? a % 3000u : (a < 3000u ? a : 3000u));
                (void)tzchan_send_end(peer);
            }
            (void)tzchan_send_some(peer, src, a % 2000u);
            (void)tzchan_send_end(peer);
            (void)tzchan_recv_some(peer, sink, sizeof sink, &eom);
            break;
        }
        case 19:
            (void)tzchan_open(peer, g_mem, g_size, vside(l) == TZCHAN_SIDE_A ? TZCHAN_SIDE_B : TZCHAN_SIDE_A, l);
            break;
        /* ---- the peer, hostile ---- */
        case 20: /* a record header where the victim will read next, then publish up to it */
        {
            uint32_t c = *victim_cons(l), off = (c + 8u * (x & 15u)) & (RING - 1u) & ~7u;
            memcpy(vrx(l) + off, data + 3, 4);
            uint32_t fl = x >> 4;
            memcpy(vrx(l) + off + 4, &fl, 4);
            __atomic_store_n(peer_prod(l), c + a % (2u * RING), __ATOMIC_RELEASE);
            break;
        }
        case 21:
            __atomic_store_n(peer_prod(l), (x & 1) ? w : *victim_cons(l) + (uint32_t)(int32_t)(int16_t)a,
                             __ATOMIC_RELEASE);
            break;
        case 22:
            __atomic_store_n(peer_cons(l), (x & 1) ? w : *victim_prod(l) + (uint32_t)(int32_t)(int16_t)a,
                             __ATOMIC_RELEASE);
            break;
        case 23: /* the peer's doorbell slot: waiting, want_cons, bell, state */
            __atomic_store_n((uint32_t *)peer_sleep(l) + (x & 3u), w, __ATOMIC_RELAXED);
            break;
        case 24: /* any word of the lane, the victim's own included */
            __atomic_store_n((uint32_t *)(void *)(lane_at(l) + 4u * (a % (STRIDE / 4u))), w, __ATOMIC_RELAXED);
            break;
        default: /* the header: a word of it rewritten (or put back) */
            if (x & 1)
                memcpy(g_mem, header, sizeof header);
            else
                __atomic_store_n((uint32_t *)(void *)(g_mem + 4u * (a % 32u)), w, __ATOMIC_RELAXED);
            break;
        }
    }
    return 0;
}
