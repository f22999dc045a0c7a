/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of the portable core: every API call, its documented results and its error paths, one thread. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../common/check.h"
#include "tzchan/tzchan.h"
#include "tzchan/wire.h"

#define RING 4096u

static void *region_alloc(uint32_t lanes, uint32_t ring, size_t *size)
{
    *size = tzchan_region_size(lanes, ring);
    CHECK(*size != 0);
    void *m = aligned_alloc(64, (*size + 63) & ~(size_t)63);
    CHECK(m != NULL);
    memset(m, 0xa5, *size);
    return m;
}

struct pair {
    void *mem;
    size_t size;
    struct tzchan a, b;
};

static void pair_open(struct pair *p, uint32_t lanes, uint32_t ring)
{
    p->mem = region_alloc(lanes, ring, &p->size);
    CHECK_EQ(tzchan_region_init(p->mem, p->size, lanes, ring), 0);
    CHECK_EQ(tzchan_open(&p->a, p->mem, p->size, TZCHAN_SIDE_A, 0), 0);
    CHECK_EQ(tzchan_open(&p->b, p->mem, p->size, TZCHAN_SIDE_B, 0), 0);
}

static struct tzchan_wire_lane *lane0(struct pair *p)
{
    return (struct tzchan_wire_lane *)(void *)((unsigned char *)p->mem + TZCHAN_WIRE_HEADER_BYTES);
}

static void test_region_size(void)
{
    CHECK_EQ(tzchan_region_size(0, RING), 0);
    CHECK_EQ(tzchan_region_size(1, 512), 0);
    CHECK_EQ(tzchan_region_size(1, 3000), 0);
    CHECK_EQ(tzchan_region_size(TZCHAN_MAX_LANES + 1, RING), 0);
    CHECK_EQ(tzchan_region_size(1, TZCHAN_MAX_RING * 2u), 0);
    CHECK_EQ(tzchan_region_size(1, 1024), 128 + 768 + 2048);
    for (uint32_t lanes = 1; lanes < 9; lanes++)
        for (uint32_t ring = 1024; ring <= (1u << 20); ring <<= 1)
            CHECK(tzchan_region_size(lanes, ring) % 64 == 0);
    if (sizeof(size_t) == 8)
        CHECK(tzchan_region_size(TZCHAN_MAX_LANES, TZCHAN_MAX_RING) != 0);
    else
        CHECK_EQ(tzchan_region_size(TZCHAN_MAX_LANES, TZCHAN_MAX_RING), 0);
}

static void test_region_init_errors(void)
{
    size_t size;
    unsigned char *m = region_alloc(2, RING, &size);
    unsigned char *copy = malloc(size);
    memcpy(copy, m, size);
    CHECK_EQ(tzchan_region_init(NULL, size, 2, RING), TZCHAN_EINVAL);
    CHECK_EQ(tzchan_region_init(m + 8, size - 8, 1, RING), TZCHAN_EINVAL);
    CHECK_EQ(tzchan_region_init(m, size, 2, RING + 1), TZCHAN_EINVAL);
    CHECK_EQ(tzchan_region_init(m, size, 2, 512), TZCHAN_EINVAL);
    CHECK_EQ(tzchan_region_init(m, size, 0, RING), TZCHAN_EINVAL);
    CHECK_EQ(tzchan_region_init(m, size - 1, 2, RING), TZCHAN_EINVAL);
    CHECK(memcmp(m, copy, size) == 0); /* touched nothing */
    CHECK_EQ(tzchan_region_init(m, size, 2, RING), 0);
    const struct tzchan_wire_header *h = (const void *)m;
    CHECK_EQ(h->magic, TZCHAN_WIRE_MAGIC);
    CHECK_EQ(h->version, 2);
    CHECK_EQ(h->lanes, 2);
    CHECK_EQ(h->ring_bytes, RING);
    CHECK_EQ(h->region_bytes, size);
    CHECK_EQ(h->lane_stride, 768 + 2 * RING);
    for (size_t i = sizeof *h; i < size; i++)
        CHECK(m[i] == 0); /* no stale byte reaches the peer */
    free(copy);
    free(m);
}

/* PROTOCOL.md s.9.2 item 9: this library speaks version 2 only. A version-1 region, laid out by hand as a
 * version-1 creator lays it out (its header, a lane with a message published by prod), and a version-3 region are
 * refused with TZCHAN_EVERSION by either side, before anything is written to them. Mutant: version-check-v1. */
static void test_version_refused(void)
{
    size_t size = tzchan_region_size(1, RING);
    CHECK(size != 0);
    unsigned char *m = aligned_alloc(64, size);
    unsigned char *copy = malloc(size);
    CHECK(m != NULL && copy != NULL);
    const uint32_t versions[] = {1, 3, 0, 0xffffffffu};
    for (size_t v = 0; v < sizeof versions / sizeof versions[0]; v++) {
        memset(m, 0, size);
        struct tzchan_wire_header *h = (void *)m;
        h->magic = TZCHAN_WIRE_MAGIC;
        h->version = versions[v];
        h->lanes = 1;
        h->ring_bytes = RING;
        h->region_bytes = size;
        h->lane_offset = TZCHAN_WIRE_HEADER_BYTES;
        h->lane_stride = TZCHAN_WIRE_LANE_CTRL + 2u * (uint64_t)RING;
        h->ring_offset_ab = TZCHAN_WIRE_LANE_CTRL;
        h->ring_offset_ba = TZCHAN_WIRE_LANE_CTRL + RING;
        struct tzchan_wire_lane *l = (void *)(m + TZCHAN_WIRE_HEADER_BYTES);
        /* a version-1 message: "hi" in a FIRST|LAST record, published by prod */
        unsigned char *ab = m + TZCHAN_WIRE_HEADER_BYTES + TZCHAN_WIRE_LANE_CTRL;
        const uint32_t hdr[2] = {2, TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST};
        memcpy(ab, hdr, 8);
        memcpy(ab + 8, "hi", 2);
        l->ab_prod.value = 16;
        l->sleep_a.state = TZCHAN_WIRE_STATE_OPEN;
        memcpy(copy, m, size);
        struct tzchan ch;
        memset(&ch, 0, sizeof ch);
        CHECK_EQ(tzchan_open(&ch, m, size, TZCHAN_SIDE_B, 0), TZCHAN_EVERSION);
        CHECK_EQ(tzchan_open(&ch, m, size, TZCHAN_SIDE_A, 0), TZCHAN_EVERSION);
        CHECK(memcmp(m, copy, size) == 0); /* refused before anything was written */
        CHECK_EQ(tzchan_recv(&ch, copy, 16), TZCHAN_EINVAL); /* the endpoint was never opened */
    }
    /* and the version this library lays out is 2, which it opens */
    CHECK_EQ(tzchan_region_init(m, size, 1, RING), 0);
    CHECK_EQ(((struct tzchan_wire_header *)(void *)m)->version, 2u);
    struct tzchan a;
    CHECK_EQ(tzchan_open(&a, m, size, TZCHAN_SIDE_A, 0), 0);
    free(copy);
    free(m);
}

static void test_open_errors(void)
{
    size_t size;
    unsigned char *m = region_alloc(2, RING, &size);
    struct tzchan ch;
    CHECK_EQ(tzchan_region_init(m, size, 2, RING), 0);
    CHECK_EQ(tzchan_open(NULL, m, size, TZCHAN_SIDE_A, 0), TZCHAN_EINVAL);
    CHECK_EQ(tzchan_open(&ch, NULL, size, TZCHAN_SIDE_A, 0), TZCHAN_EINVAL);
    CHECK_EQ(tzchan_open(&ch, m + 32, size, TZCHAN_SIDE_A, 0), TZCHAN_EINVAL);
    CHECK_EQ(tzchan_open(&ch, m, size, (enum tzchan_side)2, 0), TZCHAN_EINVAL);
    CHECK_EQ(tzchan_open(&ch, m, size, TZCHAN_SIDE_A, 2), TZCHAN_EINVAL);
    CHECK_EQ(tzchan_open(&ch, m, size - 64, TZCHAN_SIDE_A, 0), TZCHAN_EINVAL);
    CHECK_EQ(tzchan_open(&ch, m, 64, TZCHAN_SIDE_A, 0), TZCHAN_EINVAL);

    struct tzchan_wire_header *h = (void *)m;
    h->magic ^= 1;
    CHECK_EQ(tzchan_open(&ch, m, size, TZCHAN_SIDE_B, 0), TZCHAN_EPROTO);
    h->magic ^= 1;
    h->version = 3;
    CHECK_EQ(tzchan_open(&ch, m, size, TZCHAN_SIDE_B, 0), TZCHAN_EVERSION);
    h->version = 2;
    h->flags = 1;
    CHECK_EQ(tzchan_open(&ch, m, size, TZCHAN_SIDE_B, 0), TZCHAN_EVERSION);
    h->flags = 0;
    h->ring_bytes = RING * 2; /* geometry that disagrees with region_bytes */
    CHECK_EQ(tzchan_open(&ch, m, size, TZCHAN_SIDE_B, 0), TZCHAN_EPROTO);
    h->ring_bytes = RING + 8;
    CHECK_EQ(tzchan_open(&ch, m, size, TZCHAN_SIDE_B, 0), TZCHAN_EPROTO);
    h->ring_bytes = RING;
    h->lanes = 0;
    CHECK_EQ(tzchan_open(&ch, m, size, TZCHAN_SIDE_B, 0), TZCHAN_EPROTO);
    h->lanes = 2;
    h->lane_offset = 64;
    CHECK_EQ(tzchan_open(&ch, m, size, TZCHAN_SIDE_B, 0), TZCHAN_EPROTO);
    h->lane_offset = 128;
    h->region_bytes += 64;
    CHECK_EQ(tzchan_open(&ch, m, size, TZCHAN_SIDE_B, 0), TZCHAN_EPROTO);
    h->region_bytes -= 64;
    /* impossible indices on lane 1 */
    struct tzchan_wire_lane *l1 = (void *)(m + 128 + (768 + 2 * RING));
    l1->ab_prod.value = RING + 8;
    CHECK_EQ(tzchan_open(&ch, m, size, TZCHAN_SIDE_B, 1), TZCHAN_EPROTO);
    CHECK_EQ(tzchan_open(&ch, m, size, TZCHAN_SIDE_A, 1), TZCHAN_EPROTO);
    l1->ab_prod.value = 0;
    l1->ba_cons.value = 4; /* a consumer index that is not on a record boundary */
    l1->ba_prod.value = 8;
    CHECK_EQ(tzchan_open(&ch, m, size, TZCHAN_SIDE_A, 1), TZCHAN_EPROTO);
    l1->ba_cons.value = 0;
    l1->ba_prod.value = 0;
    CHECK_EQ(tzchan_open(&ch, m, size, TZCHAN_SIDE_B, 1), 0);
    CHECK_EQ(tzchan_max_msg(&ch), RING / 2);
    free(m);
}

static void test_whole_messages(void)
{
    struct pair p;
    pair_open(&p, 1, RING);
    unsigned char out[RING], in[RING];
    CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), TZCHAN_EAGAIN);
    CHECK_EQ(tzchan_send(&p.a, NULL, 0), 0); /* a zero-length message is a message */
    CHECK_EQ(tzchan_recv(&p.b, NULL, 0), 0);
    CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), TZCHAN_EAGAIN);
    CHECK_EQ(tzchan_send(&p.a, out, RING / 2 + 1), TZCHAN_EMSGSIZE);
    CHECK_EQ(tzchan_send(&p.a, NULL, 5), TZCHAN_EINVAL);
    /* many sizes, in order, both directions, across many wraps */
    uint64_t seed = 1;
    for (int i = 0; i < 20000; i++) {
        size_t len = (size_t)(t_rand(&seed) % (RING / 2 + 1));
        if (i % 7 == 0)
            len = (size_t)i % 16;
        struct tzchan *tx = (i & 1) ? &p.b : &p.a, *rx = (i & 1) ? &p.a : &p.b;
        t_fill(out, len, (uint64_t)i, 0);
        int64_t r = tzchan_send(tx, out, len);
        if (r == TZCHAN_EAGAIN) {
            /* a PAD and the record after it need more than an empty ring's room (with the 8-byte reserve of
             * PROTOCOL.md s.9.2 rule Z'): the PAD went out alone (4.3 rule 2); the receiver consumes it */
            CHECK_EQ(tzchan_recv(rx, in, sizeof in), TZCHAN_EAGAIN);
            r = tzchan_send(tx, out, len);
        }
        CHECK_EQ(r, (int64_t)len);
        if (len > 0) {
            CHECK_EQ(tzchan_recv(rx, in, len - 1), TZCHAN_EMSGSIZE); /* stays queued */
        }
        memset(in, 0, sizeof in);
        CHECK_EQ(tzchan_recv(rx, in, sizeof in), (int64_t)len);
        CHECK(memcmp(in, out, len) == 0);
    }
    /* fill until EAGAIN, then drain in order */
    int n = 0;
    for (;; n++) {
        t_fill(out, 100, 1000u + (unsigned)n, 0);
        int64_t r = tzchan_send(&p.a, out, 100);
        if (r == TZCHAN_EAGAIN)
            break;
        CHECK_EQ(r, 100);
    }
    CHECK(n >= (int)(RING / 112) - 1);
    for (int i = 0; i < n; i++) {
        t_fill(out, 100, 1000u + (unsigned)i, 0);
        CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), 100);
        CHECK(memcmp(in, out, 100) == 0);
    }
    CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), TZCHAN_EAGAIN);
    /* the largest whole message, again and again (needs the ring to drain between them) */
    for (int i = 0; i < 10; i++) {
        t_fill(out, RING / 2, (uint64_t)i, 0);
        int64_t r = tzchan_send(&p.a, out, RING / 2);
        if (r == TZCHAN_EAGAIN) { /* the PAD alone first (4.3 rule 2), as above */
            CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), TZCHAN_EAGAIN);
            r = tzchan_send(&p.a, out, RING / 2);
        }
        CHECK_EQ(r, RING / 2);
        CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), RING / 2);
        CHECK(memcmp(in, out, RING / 2) == 0);
    }
    struct tzchan_stats st;
    tzchan_get_stats(&p.a, &st);
    CHECK(st.msgs_sent > 10000 && st.msgs_recv == 10000);
    free(p.mem);
}

/* Sends `total` bytes of stream `seed` in pieces of random size and receives them with recv_some into small
 * buffers, interleaved in one thread. */
static void stream_roundtrip(struct pair *p, uint64_t total, bool declare, uint64_t seed)
{
    unsigned char piece[3000], got[3000], want[3000];
    uint64_t rs = seed;
    CHECK_EQ(tzchan_send_begin(&p->a, declare ? total : TZCHAN_LEN_UNKNOWN), 0);
    CHECK_EQ(tzchan_send_begin(&p->a, total), TZCHAN_EINVAL); /* one is open */
    uint64_t sent = 0, recvd = 0;
    bool ended = false, eom = false;
    int guard = 0;
    while (!eom) {
        CHECK(++guard < 10000000);
        if (sent < total) {
            size_t n = (size_t)(t_rand(&rs) % sizeof piece) + 1;
            if (n > total - sent)
                n = (size_t)(total - sent);
            t_fill(piece, n, seed, sent);
            int64_t r = tzchan_send_some(&p->a, piece, n);
            CHECK(r >= 0 && (size_t)r <= n);
            sent += (uint64_t)r;
        } else if (!ended) {
            int r = tzchan_send_end(&p->a);
            CHECK(r == 0 || r == TZCHAN_EAGAIN);
            ended = r == 0;
        }
        size_t cap = (size_t)(t_rand(&rs) % sizeof got) + 1;
        int64_t r = tzchan_recv_some(&p->b, got, cap, &eom);
        if (r == TZCHAN_EAGAIN)
            continue;
        CHECK(r >= 0 && (size_t)r <= cap);
        t_fill(want, (size_t)r, seed, recvd);
        CHECK(memcmp(got, want, (size_t)r) == 0);
        recvd += (uint64_t)r;
        CHECK(recvd <= sent);
        if (recvd < total)
            CHECK(!eom);
    }
    CHECK_EQ(recvd, total);
    if (!ended)
        CHECK_EQ(tzchan_send_end(&p->a), 0);
}

static void test_streams(void)
{
    struct pair p;
    pair_open(&p, 1, RING);
    unsigned char buf[RING], want[RING];
    bool eom;
    /* errors */
    CHECK_EQ(tzchan_send_some(&p.a, buf, 1), TZCHAN_EINVAL);
    CHECK_EQ(tzchan_send_end(&p.a), TZCHAN_EINVAL);
    CHECK_EQ(tzchan_recv_some(&p.b, buf, 0, &eom), TZCHAN_EINVAL);
    CHECK_EQ(tzchan_recv_some(&p.b, buf, 1, &eom), TZCHAN_EAGAIN);
    CHECK_EQ(tzchan_send_begin(&p.a, 10), 0);
    CHECK_EQ(tzchan_send(&p.a, buf, 1), TZCHAN_EINVAL);
    CHECK(tzchan_reserve(&p.a, 1) == NULL && tzchan_error(&p.a) == TZCHAN_EINVAL);
    CHECK_EQ(tzchan_send_some(&p.a, buf, 11), TZCHAN_EINVAL); /* past the declared total */
    CHECK_EQ(tzchan_send_some(&p.a, buf, 4), 4);
    CHECK_EQ(tzchan_send_end(&p.a), TZCHAN_EINVAL); /* 6 bytes short: stays open */
    CHECK_EQ(tzchan_send_some(&p.a, buf + 4, 6), 6);
    CHECK_EQ(tzchan_send_end(&p.a), 0);
    uint64_t total = 0;
    CHECK_EQ(tzchan_recv_total(&p.b, &total), 0);
    CHECK_EQ(total, 10);
    CHECK_EQ(tzchan_recv(&p.b, want, sizeof want), 10); /* declared <= max_msg: receivable whole */
    CHECK(memcmp(want, buf, 10) == 0);

    /* zero-length messages through the stream calls, both kinds */
    CHECK_EQ(tzchan_send_begin(&p.a, 0), 0);
    CHECK_EQ(tzchan_send_end(&p.a), 0);
    CHECK_EQ(tzchan_send_begin(&p.a, TZCHAN_LEN_UNKNOWN), 0);
    CHECK_EQ(tzchan_send_end(&p.a), 0);
    eom = false;
    CHECK_EQ(tzchan_recv_some(&p.b, buf, sizeof buf, &eom), 0);
    CHECK(eom);
    CHECK_EQ(tzchan_recv(&p.b, buf, sizeof buf), 0);

    /* a declared message of max_msg bytes sent one byte at a time is still one record for tzchan_recv */
    t_fill(want, RING / 2, 77, 0);
    CHECK_EQ(tzchan_send_begin(&p.a, RING / 2), 0);
    for (unsigned i = 0; i < RING / 2; i++)
        CHECK_EQ(tzchan_send_some(&p.a, want + i, 1), 1);
    CHECK_EQ(tzchan_send_end(&p.a), 0);
    CHECK_EQ(tzchan_recv(&p.b, buf, sizeof buf), RING / 2);
    CHECK(memcmp(buf, want, RING / 2) == 0);

    /* recv in the middle of a recv_some message is out of sequence */
    CHECK_EQ(tzchan_send(&p.a, want, 100), 100);
    CHECK_EQ(tzchan_recv_some(&p.b, buf, 10, &eom), 10);
    CHECK(!eom);
    CHECK_EQ(tzchan_recv(&p.b, buf, sizeof buf), TZCHAN_EINVAL);
    size_t plen;
    CHECK(tzchan_peek(&p.b, &plen) == NULL && tzchan_error(&p.b) == TZCHAN_EINVAL);
    CHECK_EQ(tzchan_recv_some(&p.b, buf + 10, sizeof buf, &eom), 90);
    CHECK(eom);
    CHECK(memcmp(buf, want, 100) == 0);

    /* giants: far larger than the ring, declared and not, read in small pieces */
    stream_roundtrip(&p, 1, true, 5);
    stream_roundtrip(&p, 3 * RING + 17, true, 6);
    stream_roundtrip(&p, 10 * RING + 1, false, 7);
    stream_roundtrip(&p, 5u << 20, true, 8);
    stream_roundtrip(&p, 777, false, 9);
    /* a declared giant is EMSGSIZE for tzchan_recv, with nothing consumed */
    CHECK_EQ(tzchan_send_begin(&p.a, 3 * RING), 0);
    t_fill(want, 100, 10, 0);
    CHECK_EQ(tzchan_send_some(&p.a, want, 100), 100);
    CHECK_EQ(tzchan_recv(&p.b, buf, sizeof buf), TZCHAN_EMSGSIZE);
    CHECK(tzchan_peek(&p.b, &plen) == NULL && tzchan_error(&p.b) == TZCHAN_EMSGSIZE);
    CHECK_EQ(tzchan_recv_total(&p.b, &total), 0);
    CHECK_EQ(total, 3 * RING);
    CHECK_EQ(tzchan_recv_some(&p.b, buf, sizeof buf, &eom), 100);
    CHECK(memcmp(buf, want, 100) == 0 && !eom);
    CHECK_EQ(tzchan_recv_total(&p.b, &total), 0);
    CHECK_EQ(total, 3 * RING);
    uint64_t left = 3 * RING - 100, at = 100;
    while (left) {
        size_t n = left < 1000 ? (size_t)left : 1000;
        t_fill(want, n, 10, at);
        int64_t r = tzchan_send_some(&p.a, want, n);
        CHECK(r > 0);
        int64_t g = 0;
        while (g < r) { /* a piece may come back in two parts where the ring wraps */
            int64_t k = tzchan_recv_some(&p.b, buf + g, sizeof buf - (size_t)g, &eom);
            CHECK(k > 0);
            g += k;
        }
        CHECK_EQ(g, r);
        CHECK(memcmp(buf, want, (size_t)g) == 0);
        left -= (uint64_t)r;
        at += (uint64_t)r;
        CHECK(eom == (left == 0));
    }
    CHECK_EQ(tzchan_send_end(&p.a), 0);
    /* an unknown-length message that sits in the ring whole is receivable whole */
    t_fill(want, 1500, 11, 0);
    CHECK_EQ(tzchan_send_begin(&p.a, TZCHAN_LEN_UNKNOWN), 0);
    CHECK_EQ(tzchan_send_some(&p.a, want, 700), 700);
    CHECK_EQ(tzchan_recv(&p.b, buf, sizeof buf), TZCHAN_EAGAIN);
    CHECK_EQ(tzchan_send_some(&p.a, want + 700, 800), 800);
    CHECK_EQ(tzchan_send_end(&p.a), 0);
    CHECK_EQ(tzchan_recv(&p.b, buf, 1499), TZCHAN_EMSGSIZE);
    CHECK_EQ(tzchan_recv(&p.b, buf, sizeof buf), 1500);
    CHECK(memcmp(buf, want, 1500) == 0);
    /* one that cannot sit in the ring whole: EMSGSIZE once the ring is full of it, then recv_some reads it */
    CHECK_EQ(tzchan_send_begin(&p.a, TZCHAN_LEN_UNKNOWN), 0);
    uint64_t put = 0;
    for (;;) {
        t_fill(want, 1, 12, put);
        int64_t r = tzchan_send_some(&p.a, want, 1);
        if (r == 0)
            break;
        CHECK_EQ(r, 1);
        put++;
    }
    CHECK(put < RING / 2); /* small pieces cost a header each */
    CHECK_EQ(tzchan_recv(&p.b, buf, sizeof buf), TZCHAN_EMSGSIZE);
    uint64_t got = 0;
    eom = false;
    while (!eom) {
        int64_t r = tzchan_recv_some(&p.b, buf, sizeof buf, &eom);
        if (r == TZCHAN_EAGAIN) {
            CHECK_EQ(tzchan_send_end(&p.a), 0);
            continue;
        }
        CHECK(r >= 0);
        t_fill(want, (size_t)r, 12, got);
        CHECK(memcmp(buf, want, (size_t)r) == 0);
        got += (uint64_t)r;
    }
    CHECK_EQ(got, put);
    free(p.mem);
}

static void test_zero_copy(void)
{
    struct pair p;
    pair_open(&p, 1, RING);
    size_t len;
    CHECK(tzchan_peek(&p.b, &len) == NULL && tzchan_error(&p.b) == TZCHAN_EAGAIN);
    CHECK_EQ(tzchan_release(&p.b), TZCHAN_EINVAL);
    CHECK_EQ(tzchan_commit(&p.a, 0), TZCHAN_EINVAL);
    CHECK(tzchan_reserve(&p.a, RING / 2 + 1) == NULL && tzchan_error(&p.a) == TZCHAN_EMSGSIZE);
    for (int i = 0; i < 5000; i++) {
        size_t n = (size_t)(i * 37) % (RING / 2 - 16);
        unsigned char *w = tzchan_reserve(&p.a, n + 16);
        CHECK(w != NULL);
        CHECK(((uintptr_t)w & 7) == 0);
        CHECK(tzchan_reserve(&p.a, 1) == NULL && tzchan_error(&p.a) == TZCHAN_EINVAL);
        CHECK_EQ(tzchan_send(&p.a, w, 1), TZCHAN_EINVAL);
        memset(w, 0xa5, n + 16); /* the whole reservation dirty: commit must zero the padding after n */
        t_fill(w, n, (uint64_t)i, 0);
        CHECK_EQ(tzchan_commit(&p.a, n + 17), TZCHAN_EINVAL);
        CHECK_EQ(tzchan_commit(&p.a, n), 0); /* shorter than reserved */
        const unsigned char *r = tzchan_peek(&p.b, &len);
        CHECK(r != NULL);
        CHECK_EQ(len, n);
        for (size_t j = n; j < ((n + 7) & ~(size_t)7); j++) /* padding zero (PROTOCOL.md 2.2): no stale bytes leak */
            CHECK_EQ(r[j], 0);
        const unsigned char *r2 = tzchan_peek(&p.b, &len); /* peeking again gives the same */
        CHECK(r2 == r && len == n);
        unsigned char want[RING];
        t_fill(want, n, (uint64_t)i, 0);
        CHECK(memcmp(r, want, n) == 0);
        CHECK_EQ(tzchan_recv(&p.b, want, sizeof want), TZCHAN_EINVAL);
        CHECK_EQ(tzchan_release(&p.b), 0);
        CHECK_EQ(tzchan_release(&p.b), TZCHAN_EINVAL);
    }
    /* a full ring: reserve says EAGAIN */
    int k = 0;
    while (k < 64 && tzchan_reserve(&p.a, 1000) != NULL) { /* bounded: a reserve that never fills fails below */
        CHECK_EQ(tzchan_commit(&p.a, 1000), 0);
        k++;
    }
    CHECK(tzchan_error(&p.a) == TZCHAN_EAGAIN && k >= 3);
    free(p.mem);
    /* a reservation outlived by the endpoint: after the peer broke it, commit says EPROTO and publishes nothing;
     * after close, EINVAL */
    pair_open(&p, 1, RING);
    CHECK(tzchan_reserve(&p.a, 24) != NULL);
    lane0(&p)->ba_prod.value = RING + 8; /* a's receive side sees a producer index a ring + 8 ahead */
    unsigned char in[8];
    CHECK_EQ(tzchan_recv(&p.a, in, sizeof in), TZCHAN_EPROTO);
    CHECK_EQ(tzchan_commit(&p.a, 24), TZCHAN_EPROTO);
    CHECK(tzchan_peek(&p.b, &len) == NULL && tzchan_error(&p.b) == TZCHAN_EAGAIN);
    free(p.mem);
    pair_open(&p, 1, RING);
    CHECK(tzchan_reserve(&p.a, 24) != NULL);
    CHECK_EQ(tzchan_close(&p.a), 0);
    CHECK_EQ(tzchan_commit(&p.a, 24), TZCHAN_EINVAL);
    CHECK(tzchan_peek(&p.b, &len) == NULL);
    free(p.mem);

    /* peek while tzchan_recv_some is inside a record: EINVAL, though the payload bytes at the consumer index read
     * as an honest self-published header (the fast path's state test: F_RX_BUSY, which a record in progress
     * implies) */
    pair_open(&p, 1, RING);
    unsigned char msg[64] = {0}, part[8];
    uint32_t fake[2] = {8u, TZCHAN_WIRE_REC_SELF_MSG}; /* len 8, FIRST|LAST|SELF: little-endian words */
    memcpy(msg + 8, fake, sizeof fake);
    CHECK_EQ(tzchan_send(&p.a, msg, sizeof msg), 64);
    bool eom = true;
    CHECK_EQ(tzchan_recv_some(&p.b, part, sizeof part, &eom), 8);
    CHECK(!eom);
    CHECK(tzchan_peek(&p.b, &len) == NULL && tzchan_error(&p.b) == TZCHAN_EINVAL);
    unsigned char rest[64];
    CHECK_EQ(tzchan_recv_some(&p.b, rest, sizeof rest, &eom), 56);
    CHECK(eom && memcmp(rest, msg + 8, 56) == 0);
    /* reserve on a lane whose peer closed, with room to spare: EPIPE (mutant reserve-fast-peer-closed) */
    CHECK_EQ(tzchan_close(&p.b), 0);
    CHECK(tzchan_reserve(&p.a, 8) == NULL && tzchan_error(&p.a) == TZCHAN_EPIPE);
    free(p.mem);
}

static void test_batching(void)
{
    struct pair p;
    pair_open(&p, 1, RING);
    unsigned char buf[64] = {1, 2, 3}, in[64];
    CHECK_EQ(tzchan_send_flags(&p.a, buf, 8, 7u), TZCHAN_EINVAL);
    CHECK_EQ(tzchan_send_flags(&p.a, buf, 8, TZCHAN_MORE), 8);
    CHECK_EQ(tzchan_send_flags(&p.a, buf, 8, TZCHAN_MORE), 8);
    /* a batch's records are published by prod, not by themselves (PROTOCOL.md s.9.2 item 2): not visible yet */
    CHECK_EQ(lane0(&p)->ab_prod.value, 0u);
    CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), TZCHAN_EAGAIN);
    CHECK_EQ(tzchan_flush(&p.a), 0);
    CHECK_EQ(lane0(&p)->ab_prod.value, 32u);
    CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), 8);
    CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), 8);
    CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), TZCHAN_EAGAIN);
    CHECK_EQ(tzchan_send_flags(&p.a, buf, 8, TZCHAN_MORE), 8);
    CHECK_EQ(tzchan_send(&p.a, buf, 8), 8); /* a send without the flag publishes both */
    CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), 8);
    CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), 8);
    /* a batch that fills the ring is published by the EAGAIN */
    int n = 0;
    while (tzchan_send_flags(&p.a, buf, 56, TZCHAN_MORE) == 56)
        n++;
    CHECK(n > 10);
    for (int i = 0; i < n; i++)
        CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), 56);
    CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), TZCHAN_EAGAIN);
    free(p.mem);
}

/* A producer that stops with a batch unflushed (it never closed) and reopens at its published prod: as in version 1,
 * the batch is lost and the lane goes on; the consumer never takes the lost messages and the reopened producer
 * never finds the consumer past what it wrote. Batches with a PAD in them too. Mutant more-self-published (the
 * batch's records self-published) fails it: the consumer takes a lost message, or the producer breaks. */
static void test_reopen_unflushed(void)
{
    unsigned char buf[600], in[600];
    for (unsigned k = 0; k < sizeof buf; k++)
        buf[k] = (unsigned char)(k * 7 + 1);
    for (unsigned len = 8; len <= 600; len += 296) {
        struct pair p;
        pair_open(&p, 1, RING);
        for (int round = 0; round < 3 * (int)(RING / 64); round++) {
            buf[0] = (unsigned char)round;
            CHECK_EQ(tzchan_send(&p.a, buf, len), (int64_t)len);
            CHECK_EQ(tzchan_send_flags(&p.a, buf, len, TZCHAN_MORE), (int64_t)len); /* lost with the reopen */
            CHECK_EQ(tzchan_send_flags(&p.a, buf, len, TZCHAN_MORE), (int64_t)len);
            CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), (int64_t)len);
            CHECK(in[0] == (unsigned char)round && memcmp(in + 1, buf + 1, len - 1) == 0);
            CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), TZCHAN_EAGAIN);
            CHECK_EQ(tzchan_open(&p.a, p.mem, p.size, TZCHAN_SIDE_A, 0), 0); /* the producer starts again */
            CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), TZCHAN_EAGAIN);
        }
        CHECK_EQ(tzchan_error(&p.a), 0);
        CHECK_EQ(tzchan_error(&p.b), 0);
        free(p.mem);
    }
}

static int rings_a, rings_b;
static void ring_a(void *ctx)
{
    (void)ctx;
    rings_a++;
}
static void ring_b(void *ctx)
{
    (void)ctx;
    rings_b++;
}

static void test_doorbells(void)
{
    struct pair p;
    pair_open(&p, 1, RING);
    tzchan_set_notify(&p.a, ring_a, NULL);
    tzchan_set_notify(&p.b, ring_b, NULL);
    unsigned char buf[2048] = {0}, in[2048];
    uint32_t expect = 0;
    /* nobody waits: no doorbell */
    for (int i = 0; i < 100; i++) {
        CHECK_EQ(tzchan_send(&p.a, buf, 16), 16);
        CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), 16);
    }
    CHECK_EQ(rings_a + rings_b, 0);
    CHECK_EQ(tzchan_wait_prepare(&p.b, (enum tzchan_wait)0), TZCHAN_EINVAL);
    CHECK_EQ(tzchan_wait_prepare(&p.b, (enum tzchan_wait)4), TZCHAN_EINVAL);
    /* B waits for data: the first send rings once; further sends in the same wait do not */
    CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), TZCHAN_EAGAIN);
    CHECK_EQ(tzchan_wait_prepare(&p.b, TZCHAN_WAIT_DATA), 0);
    const uint32_t *word = tzchan_wait_word(&p.b, &expect);
    CHECK(word != NULL && *word == expect);
    CHECK_EQ(tzchan_send(&p.a, buf, 16), 16);
    CHECK_EQ(rings_a, 1);
    CHECK(*word != expect); /* the bell moved: a futex sleeper would not sleep */
    CHECK_EQ(tzchan_send(&p.a, buf, 16), 16);
    CHECK_EQ(rings_a, 1);
    tzchan_wait_done(&p.b);
    /* data present: wait_prepare says no need */
    CHECK_EQ(tzchan_wait_prepare(&p.b, TZCHAN_WAIT_DATA), 1);
    CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), 16);
    CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), 16);
    CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), TZCHAN_EAGAIN);
    CHECK_EQ(tzchan_wait_prepare(&p.b, TZCHAN_WAIT_DATA), 0);
    CHECK_EQ(tzchan_send_flags(&p.a, buf, 16, TZCHAN_MORE), 16); /* batched: not published, no ring */
    CHECK_EQ(rings_a, 1);
    CHECK_EQ(tzchan_flush(&p.a), 0);
    CHECK_EQ(rings_a, 2);
    tzchan_wait_done(&p.b);
    CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), 16);
    /* A fills the ring, waits for room; B's receive rings once enough is free */
    int n = 0;
    while (tzchan_send(&p.a, buf, 1000) == 1000)
        n++;
    CHECK_EQ(tzchan_wait_prepare(&p.a, TZCHAN_WAIT_ROOM), 0);
    CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), 1000);
    CHECK_EQ(rings_b, 1);
    tzchan_wait_done(&p.a);
    CHECK_EQ(tzchan_wait_prepare(&p.a, TZCHAN_WAIT_ROOM), 1);
    CHECK_EQ(tzchan_send(&p.a, buf, 1000), 1000);
    /* close: the peer drains, then EPIPE; its sends get EPIPE; a waiter is rung */
    CHECK_EQ(tzchan_wait_prepare(&p.a, TZCHAN_WAIT_DATA), 0);
    CHECK(!tzchan_peer_closed(&p.a));
    CHECK_EQ(tzchan_close(&p.b), 0);
    CHECK_EQ(rings_b, 2);
    CHECK(tzchan_peer_closed(&p.a));
    CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), TZCHAN_EINVAL);
    CHECK_EQ(tzchan_send(&p.a, buf, 8), TZCHAN_EPIPE);
    struct tzchan_stats st;
    tzchan_get_stats(&p.a, &st);
    CHECK_EQ(st.doorbells, 2);
    CHECK(st.waits >= 1);
    (void)n;
    free(p.mem);
}

/* A producer that waits for room is rung by the receive that frees it, whichever way that receive takes: here the
 * small-message fast path of tzchan_recv (a fresh ring filled from offset 0 with 24-byte messages, so the first
 * records are whole messages far from the ring's end). mutant recv-fast-no-ring: that path never rings. */
static void test_room_bell_small(void)
{
    struct pair p;
    pair_open(&p, 1, RING);
    rings_b = 0;
    tzchan_set_notify(&p.b, ring_b, NULL);
    unsigned char buf[24], in[64]; /* span 32: the ring fills with no PAD */
    uint32_t sent = 0;
    for (;;) {
        memset(buf, (int)(sent & 0xff), sizeof buf);
        int64_t r = tzchan_send(&p.a, buf, sizeof buf);
        if (r == TZCHAN_EAGAIN)
            break;
        CHECK_EQ(r, 24);
        sent++;
    }
    CHECK(sent > 100);
    CHECK_EQ(tzchan_wait_prepare(&p.a, TZCHAN_WAIT_ROOM), 0);
    uint32_t got = 0;
    while (rings_b == 0 && got < 8) {
        CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), 24);
        CHECK(in[0] == (unsigned char)(got & 0xff) && in[23] == (unsigned char)(got & 0xff));
        got++;
    }
    CHECK_EQ(rings_b, 1); /* rung, by one of the first few receives, all of them whole 24-byte messages */
    tzchan_wait_done(&p.a);
    CHECK_EQ(tzchan_wait_prepare(&p.a, TZCHAN_WAIT_ROOM), 1);
    CHECK_EQ(tzchan_send(&p.a, buf, sizeof buf), 24);
    free(p.mem);
}

static void test_close_drain(void)
{
    struct pair p;
    pair_open(&p, 1, RING);
    unsigned char buf[100] = {9}, in[100];
    CHECK_EQ(tzchan_send(&p.a, buf, 100), 100);
    CHECK_EQ(tzchan_send(&p.a, buf, 50), 50);
    CHECK_EQ(tzchan_close(&p.a), 0);
    CHECK_EQ(tzchan_close(&p.a), TZCHAN_EINVAL);
    CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), 100);
    CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), 50);
    CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), TZCHAN_EPIPE);
    CHECK_EQ(tzchan_wait_prepare(&p.b, TZCHAN_WAIT_DATA), 1);
    free(p.mem);
}

/* The peer breaks the rules: the endpoint says EPROTO, and keeps saying it. */
static void test_violations(void)
{
    unsigned char in[RING];
    bool eom;
    size_t len;
    struct pair p;
    /* producer index a ring + 8 ahead */
    pair_open(&p, 1, RING);
    lane0(&p)->ab_prod.value = RING + 8;
    CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), TZCHAN_EPROTO);
    CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), TZCHAN_EPROTO);
    CHECK_EQ(tzchan_send(&p.b, in, 1), TZCHAN_EPROTO);
    CHECK(tzchan_peek(&p.b, &len) == NULL && tzchan_error(&p.b) == TZCHAN_EPROTO);
    CHECK_EQ(tzchan_wait_prepare(&p.b, TZCHAN_WAIT_DATA), TZCHAN_EPROTO);
    CHECK_EQ(tzchan_recv_some(&p.b, in, 1, &eom), TZCHAN_EPROTO);
    free(p.mem);
    /* producer index moving backwards */
    pair_open(&p, 1, RING);
    CHECK_EQ(tzchan_send(&p.a, in, 100), 100);
    CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), 100); /* self-published: prod not loaded */
    CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), TZCHAN_EAGAIN); /* nothing at 112: prod loaded, 112 accepted */
    CHECK_EQ(tzchan_send(&p.a, in, 100), 100);
    CHECK_EQ(tzchan_recv_some(&p.b, in, 10, &eom), 10);
    lane0(&p)->ab_prod.value = 104; /* behind the 112 accepted (though within ring - 8 of cons) */
    CHECK_EQ(tzchan_recv_some(&p.b, in, sizeof in, &eom), 90); /* already-checked bytes are still ours */
    CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), TZCHAN_EPROTO);
    free(p.mem);
    /* consumer index ahead of what was published, seen by the producer */
    pair_open(&p, 1, RING);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(tzchan_send(&p.a, in, 1000), 1000);
    lane0(&p)->ab_cons.value = 0x80000000u; /* far past anything published */
    CHECK_EQ(tzchan_send(&p.a, in, 1000), 1000); /* fits by our own count: the peer's index is not needed */
    CHECK_EQ(tzchan_send(&p.a, in, 1000), TZCHAN_EPROTO);
    CHECK_EQ(tzchan_send(&p.a, in, 1), TZCHAN_EPROTO);
    free(p.mem);
    /* record headers: unknown flag, length past the ring's end, PAD at offset 0, bad PAD, LAST with no FIRST */
    const uint32_t bad[][2] = {{4, 0x13}, {RING, 3}, {RING - 8, 4}, {8, 4}, {4, 2}, {0, 0}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pair_open(&p, 1, RING);
        unsigned char *data = (unsigned char *)lane0(&p) + 768;
        memcpy(data, bad[i], 8);
        lane0(&p)->ab_prod.value = 16;
        CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), TZCHAN_EPROTO);
        CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), TZCHAN_EPROTO);
        free(p.mem);
    }
    /* a message that sends more bytes than its first record announced */
    pair_open(&p, 1, RING);
    {
        unsigned char *data = (unsigned char *)lane0(&p) + 768;
        uint32_t first[4] = {8, 1, 10, 0}; /* FIRST, 8 bytes, total 10 */
        uint32_t last[2] = {8, 2};         /* LAST, 8 more bytes: 16 > 10 */
        memcpy(data, first, 16);
        memcpy(data + 24, last, 8);
        lane0(&p)->ab_prod.value = 40;
        CHECK_EQ(tzchan_recv_some(&p.b, in, sizeof in, &eom), 8);
        CHECK_EQ(tzchan_recv_some(&p.b, in, sizeof in, &eom), TZCHAN_EPROTO);
    }
    free(p.mem);
}

/* Regression (found by the scribbler): a peer that publishes a first record's header before any of its payload
 * must not leave recv_some's caller inside a message it has not seen, where recv and peek said EINVAL. */
static void test_first_header_alone(void)
{
    struct pair p;
    unsigned char in[RING];
    bool eom;
    size_t len;
    pair_open(&p, 1, RING);
    unsigned char *data = (unsigned char *)lane0(&p) + 768;
    uint32_t first[4] = {8, 1, 16, 0}; /* FIRST, 8 bytes, total 16: header 16 + 8 */
    uint32_t last[2] = {8, 2};         /* LAST, 8 bytes */
    memcpy(data, first, 16);
    memset(data + 16, 7, 8);
    memcpy(data + 24, last, 8);
    memset(data + 32, 7, 8);
    lane0(&p)->ab_prod.value = 16; /* only the first header is published */
    CHECK_EQ(tzchan_recv_some(&p.b, in, sizeof in, &eom), TZCHAN_EAGAIN);
    CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), TZCHAN_EAGAIN);
    CHECK(tzchan_peek(&p.b, &len) == NULL && tzchan_error(&p.b) == TZCHAN_EMSGSIZE);
    CHECK_EQ(tzchan_recv_some(&p.b, in, sizeof in, &eom), TZCHAN_EAGAIN);
    lane0(&p)->ab_prod.value = 40;
    CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), 16);
    free(p.mem);
    /* the same with an empty first fragment, and a PAD before it (ring of 1 KiB) */
    pair_open(&p, 1, 1024);
    data = (unsigned char *)lane0(&p) + 768;
    for (int i = 0; i < 30; i++) { /* 30 x 32 = 960: the next record starts 64 bytes before the end */
        CHECK_EQ(tzchan_send(&p.a, in, 24), 24);
        CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), 24);
    }
    uint32_t pad[2] = {1024 - 960 - 8, 4};
    uint32_t empty_first[4] = {0, 1, 8, 0}; /* FIRST, empty, total 8 */
    memcpy(data + 960, pad, 8);
    memcpy(data, empty_first, 16);
    memcpy(data + 16, last, 8);
    memset(data + 24, 9, 8);
    lane0(&p)->ab_prod.value = 960 + 64 + 16;
    CHECK_EQ(tzchan_recv_some(&p.b, in, sizeof in, &eom), TZCHAN_EAGAIN);
    CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), TZCHAN_EAGAIN);
    lane0(&p)->ab_prod.value = 960 + 64 + 32;
    CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), 8);
    CHECK(in[0] == 9 && in[7] == 9);
    free(p.mem);
}

/* Indices start near 2^32 and wrap while messages of every kind cross. */
static void test_wrap(void)
{
    struct pair p;
    p.mem = region_alloc(1, RING, &p.size);
    CHECK_EQ(tzchan_region_init(p.mem, p.size, 1, RING), 0);
    uint32_t start = 0xffffffffu - 3 * RING + 1 - 7;
    start &= ~7u;
    lane0(&p)->ab_prod.value = lane0(&p)->ab_cons.value = start;
    lane0(&p)->ba_prod.value = lane0(&p)->ba_cons.value = start + 8;
    CHECK_EQ(tzchan_open(&p.a, p.mem, p.size, TZCHAN_SIDE_A, 0), 0);
    CHECK_EQ(tzchan_open(&p.b, p.mem, p.size, TZCHAN_SIDE_B, 0), 0);
    unsigned char out[RING], in[RING];
    for (int i = 0; i < 200; i++) {
        size_t n = (size_t)(i * 53) % (RING / 2);
        t_fill(out, n, (uint64_t)i, 0);
        CHECK_EQ(tzchan_send(&p.a, out, n), (int64_t)n);
        CHECK_EQ(tzchan_recv(&p.b, in, sizeof in), (int64_t)n);
        CHECK(memcmp(in, out, n) == 0);
        CHECK_EQ(tzchan_send(&p.b, out, n), (int64_t)n);
        CHECK_EQ(tzchan_recv(&p.a, in, sizeof in), (int64_t)n);
        CHECK(memcmp(in, out, n) == 0);
    }
    CHECK(lane0(&p)->ab_prod.value < start); /* it did wrap */
    stream_roundtrip(&p, 20 * RING + 3, true, 42);
    stream_roundtrip(&p, 20 * RING + 5, false, 43);
    free(p.mem);
}

static void test_strerror(void)
{
    for (int c = -10; c <= 0; c++) {
        const char *s = tzchan_strerror(c);
        CHECK(s != NULL && strlen(s) > 0);
    }
    CHECK(strstr(tzchan_strerror(TZCHAN_EPROTO), "EPROTO") != NULL);
    CHECK(strstr(tzchan_strerror(TZCHAN_EAGAIN), "EAGAIN") != NULL);
    CHECK(strstr(tzchan_strerror(TZCHAN_EPIPE), "EPIPE") != NULL);
    CHECK(strcmp(tzchan_strerror(-999), "unknown tzchan error") == 0);
}

int main(void)
{
    test_region_size();
    test_region_init_errors();
    test_open_errors();
    test_version_refused();
    test_whole_messages();
    test_streams();
    test_zero_copy();
    test_batching();
    test_reopen_unflushed();
    test_doorbells();
    test_room_bell_small();
    test_close_drain();
    test_violations();
    test_first_header_alone();
    test_wrap();
    test_strerror();
    printf("test_core: all checks passed\n");
    return 0;
}
