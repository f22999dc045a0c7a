/* SPDX-License-Identifier: BSD-2-Clause */
/* tzchan_send_many and tzchan_recv_many: several whole messages per call. What a user relies on: each call moves
 * exactly what the same number of tzchan_send / tzchan_recv calls would (bytes intact, in order, none lost or
 * duplicated, the same records on the wire), stops only before a message that could not move now, reports the
 * documented error when the first cannot move, publishes before it returns (with one doorbell per wait of the
 * peer), and refuses a hostile peer's records as tzchan_recv does. One thread, both ends. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../common/check.h"
#include "tzchan/tzchan.h"
#include "tzchan/wire.h"

#define RING 4096u
#define MAXN 48

struct pair {
    void *mem;
    size_t size;
    struct tzchan a, b;
};

static void pair_open_at(struct pair *p, uint32_t ring, uint32_t start)
{
    p->size = tzchan_region_size(1, ring);
    CHECK(p->size != 0);
    p->mem = aligned_alloc(64, (p->size + 63) & ~(size_t)63);
    CHECK(p->mem != NULL);
    memset(p->mem, 0xa5, p->size);
    CHECK_EQ(tzchan_region_init(p->mem, p->size, 1, ring), 0);
    struct tzchan_wire_lane *l = (struct tzchan_wire_lane *)(void *)((unsigned char *)p->mem + TZCHAN_WIRE_HEADER_BYTES);
    l->ab_prod.value = l->ab_cons.value = start;
    CHECK_EQ(tzchan_open(&p->a, p->mem, p->size, TZCHAN_SIDE_A, 0), 0);
    CHECK_EQ(tzchan_open(&p->b, p->mem, p->size, TZCHAN_SIDE_B, 0), 0);
}

static struct tzchan_wire_lane *lane0(struct pair *p)
{
    return (struct tzchan_wire_lane *)(void *)((unsigned char *)p->mem + TZCHAN_WIRE_HEADER_BYTES);
}

static unsigned char *ab_data(struct pair *p)
{
    return (unsigned char *)lane0(p) + 768; /* PROTOCOL.md: the A->B data area follows the lane's index lines */
}

/* message k of a run: its length and bytes are functions of k */
static size_t msg_len(uint64_t seed, uint64_t k, size_t max)
{
    uint64_t s = seed ^ (k * 0x2545f4914f6cdd1dull);
    uint64_t r = t_rand(&s);
    switch (r % 8) {
    case 0: return (size_t)(r >> 8) % 9;               /* 0..8 */
    case 1: case 2: return 56 + (size_t)(r >> 8) % 17; /* around one cache line, the inline-copy limit */
    case 3: return (size_t)(r >> 8) % 300;
    case 4: return max - (size_t)(r >> 8) % 3;         /* the largest */
    case 5: return (r >> 8) % 4 == 0 ? max + 1 : 64;   /* sometimes too large for one message */
    default: return (size_t)(r >> 8) % 1200;
    }
}

static unsigned char out_buf[MAXN][RING], in_buf[MAXN][RING], one[RING];

/* 1 to MAXN receive entries into in_buf, of random size: mostly as large as the ring, one in 16 below 200 bytes
 * (often smaller than the message); returns how many. */
static size_t random_entries(struct tzchan_in *in, uint64_t *rnd)
{
    size_t n = 1 + (size_t)(t_rand(rnd) % MAXN);
    for (size_t i = 0; i < n; i++) {
        in[i].buf = in_buf[i];
        in[i].cap = t_rand(rnd) % 16 == 0 ? (size_t)(t_rand(rnd) % 200) : RING;
        in[i].len = 99999;
    }
    return n;
}

/* Receive entries 0..n) into in_buf, each as large as the ring. */
static void entries(struct tzchan_in *in, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        in[i].buf = in_buf[i];
        in[i].cap = RING;
    }
}

/* Receives one batch of whole messages, checking each (message k's length and bytes); returns how many. */
static uint64_t receive_batch(struct pair *p, uint64_t seed, uint64_t k, size_t cap)
{
    struct tzchan_in in[MAXN];
    const size_t max = tzchan_max_msg(&p->b);
    for (size_t i = 0; i < MAXN; i++) {
        in[i].buf = in_buf[i];
        in[i].cap = cap;
    }
    int64_t r = tzchan_recv_many(&p->b, in, MAXN);
    CHECK(r >= 1 && r <= MAXN);
    for (size_t i = 0; i < (size_t)r; i++) {
        size_t len = msg_len(seed, k + i, max);
        CHECK_EQ(in[i].len, len);
        t_fill(one, len, seed, (k + i) << 20);
        CHECK(memcmp(in_buf[i], one, len) == 0);
    }
    return (uint64_t)r;
}

/* Message k, `len` > max_msg bytes, through the stream calls; the consumer reads it with recv_some. */
static void stream_big(struct pair *p, uint64_t seed, uint64_t k, size_t len)
{
    static unsigned char whole[RING];
    CHECK(len <= sizeof whole);
    t_fill(whole, len, seed, k << 20);
    CHECK_EQ(tzchan_send_begin(&p->a, len), 0);
    size_t done = 0, got = 0;
    bool ended = false, eom = false;
    while (!eom) {
        if (done < len) {
            int64_t n = tzchan_send_some(&p->a, whole + done, len - done);
            CHECK(n >= 0);
            done += (size_t)n;
        } else if (!ended) {
            int e = tzchan_send_end(&p->a);
            CHECK(e == 0 || e == TZCHAN_EAGAIN);
            ended = e == 0;
        }
        int64_t n = tzchan_recv_some(&p->b, one, sizeof one, &eom);
        if (n == TZCHAN_EAGAIN)
            continue;
        CHECK(n >= 0 && got + (size_t)n <= len);
        CHECK(memcmp(one, whole + got, (size_t)n) == 0);
        got += (size_t)n;
    }
    CHECK_EQ(got, len);
    while (!ended) {
        int e = tzchan_send_end(&p->a);
        CHECK(e == 0 || e == TZCHAN_EAGAIN);
        ended = e == 0;
    }
}

/* Random batches both ways through one ring, indices starting at `start` (so they wrap), against the plain calls
 * as the oracle. */
static void differential(uint64_t seed, uint32_t start)
{
    struct pair p;
    pair_open_at(&p, RING, start);
    const size_t max = tzchan_max_msg(&p.a);
    uint64_t rnd = seed, sent = 0, recvd = 0, bytes = 0;
    const uint64_t total = 3000;
    struct tzchan_out o[MAXN];
    struct tzchan_in in[MAXN];
    int stops_send = 0, stops_recv = 0, big_first = 0, small_cap = 0;
    bool blocked = false;
    while (recvd < total) {
        /* the producer: a batch of the next messages */
        if (sent < total && t_rand(&rnd) % 3 != 0) {
            size_t n = 1 + (size_t)(t_rand(&rnd) % MAXN);
            if (n > total - sent)
                n = (size_t)(total - sent);
            for (size_t i = 0; i < n; i++) {
                size_t len = msg_len(seed, sent + i, max);
                t_fill(out_buf[i], len > max ? max : len, seed, (sent + i) << 20);
                o[i].buf = out_buf[i];
                o[i].len = len;
            }
            int64_t r = tzchan_send_many(&p.a, o, n);
            if (msg_len(seed, sent, max) > max) {
                /* the first cannot ever go: EMSGSIZE, nothing sent; the stream calls carry it, after the rest */
                CHECK_EQ(r, TZCHAN_EMSGSIZE);
                big_first++;
                while (recvd < sent)
                    recvd += receive_batch(&p, seed, recvd, RING);
                stream_big(&p, seed, sent, max + 1);
                sent++;
                recvd++;
                continue;
            }
            if (r == TZCHAN_EAGAIN) {
                r = 0; /* no room: the consumer goes next (it may only have a PAD record to consume) */
                blocked = true;
            }
            CHECK(r >= 0 && (size_t)r <= n);
            if (r > 0 && (size_t)r < n) {
                /* it stopped before o[r]: a single send of it must fail now too, and consume nothing */
                stops_send++;
                int64_t e = tzchan_send(&p.a, o[r].buf, o[r].len);
                CHECK(e == TZCHAN_EAGAIN || e == TZCHAN_EMSGSIZE);
                CHECK_EQ(e == TZCHAN_EMSGSIZE, o[r].len > max);
            }
            sent += (uint64_t)r;
        }
        /* the consumer: a batch into buffers of random size, sometimes too small */
        if (recvd < sent || blocked) {
            blocked = false;
            size_t n = random_entries(in, &rnd);
            int64_t r = tzchan_recv_many(&p.b, in, n);
            if (recvd == sent) {
                CHECK_EQ(r, TZCHAN_EAGAIN); /* nothing but a PAD was there */
                continue;
            }
            if (r == TZCHAN_EMSGSIZE) {
                /* the first did not fit its buffer: left queued, a large enough buffer takes it */
                small_cap++;
                CHECK(in[0].cap < msg_len(seed, recvd, max));
                in[0].cap = RING;
                n = 1;
                r = tzchan_recv_many(&p.b, in, n);
                CHECK_EQ(r, 1);
            }
            CHECK(r >= 1 && (size_t)r <= n);
            for (size_t i = 0; i < (size_t)r; i++) {
                size_t len = msg_len(seed, recvd + i, max);
                CHECK(len <= max);
                CHECK_EQ(in[i].len, len);
                t_fill(one, len, seed, (recvd + i) << 20);
                CHECK(memcmp(in_buf[i], one, len) == 0);
                bytes += len;
            }
            if ((size_t)r < n) {
                /* it stopped before in[r]: a single receive into that buffer must fail now too */
                stops_recv++;
                int64_t e = tzchan_recv(&p.b, in[r].buf, in[r].cap);
                CHECK(e == TZCHAN_EAGAIN || e == TZCHAN_EMSGSIZE);
            }
            recvd += (uint64_t)r;
        }
    }
    CHECK_EQ(recvd, total);
    CHECK_EQ(tzchan_recv_many(&p.b, in, MAXN), TZCHAN_EAGAIN); /* nothing duplicated */
    struct tzchan_stats st;
    tzchan_get_stats(&p.b, &st);
    CHECK_EQ(st.msgs_recv, total);
    tzchan_get_stats(&p.a, &st);
    CHECK_EQ(st.msgs_sent, total);
    /* the test saw every way a batch stops */
    CHECK(stops_send > 0 && stops_recv > 0 && big_first > 0 && small_cap > 0);
    (void)bytes;
    free(p.mem);
}

static void test_errors(void)
{
    struct pair p;
    pair_open_at(&p, RING, 0);
    const size_t max = tzchan_max_msg(&p.a);
    unsigned char buf[64] = {1};
    struct tzchan_out o[3] = {{buf, 8}, {buf, 8}, {buf, 8}};
    struct tzchan_in in[3] = {{in_buf[0], RING, 0}, {in_buf[1], RING, 0}, {in_buf[2], RING, 0}};
    CHECK_EQ(tzchan_send_many(NULL, o, 1), TZCHAN_EINVAL);
    CHECK_EQ(tzchan_recv_many(NULL, in, 1), TZCHAN_EINVAL);
    CHECK_EQ(tzchan_send_many(&p.a, NULL, 1), TZCHAN_EINVAL);
    CHECK_EQ(tzchan_send_many(&p.a, o, 0), TZCHAN_EINVAL);
    CHECK_EQ(tzchan_recv_many(&p.b, NULL, 1), TZCHAN_EINVAL);
    CHECK_EQ(tzchan_recv_many(&p.b, in, 0), TZCHAN_EINVAL);
    CHECK_EQ(tzchan_recv_many(&p.b, in, 3), TZCHAN_EAGAIN);
    /* the first: NULL with a length, too large: refused, nothing sent */
    struct tzchan_out bad[2] = {{NULL, 4}, {buf, 8}};
    CHECK_EQ(tzchan_send_many(&p.a, bad, 2), TZCHAN_EINVAL);
    bad[0].buf = buf;
    bad[0].len = max + 1;
    CHECK_EQ(tzchan_send_many(&p.a, bad, 2), TZCHAN_EMSGSIZE);
    CHECK_EQ(tzchan_recv_many(&p.b, in, 3), TZCHAN_EAGAIN);
    /* a later one too large: stops before it; a zero-length message with a NULL buffer is a message */
    struct tzchan_out mixed[4] = {{buf, 3}, {NULL, 0}, {buf, max + 1}, {buf, 5}};
    CHECK_EQ(tzchan_send_many(&p.a, mixed, 4), 2);
    CHECK_EQ(tzchan_send_many(&p.a, mixed + 2, 2), TZCHAN_EMSGSIZE);
    CHECK_EQ(tzchan_send_many(&p.a, mixed + 3, 1), 1);
    /* receive: a NULL buffer with a capacity stops the batch there; a zero-capacity NULL buffer takes an empty one */
    struct tzchan_in r3[3] = {{in_buf[0], 3, 0}, {NULL, 0, 7}, {NULL, 5, 0}};
    CHECK_EQ(tzchan_recv_many(&p.b, r3, 3), 2);
    CHECK_EQ(r3[0].len, 3);
    CHECK_EQ(r3[1].len, 0);
    CHECK_EQ(tzchan_recv_many(&p.b, r3 + 2, 1), TZCHAN_EINVAL);
    /* a buffer too small for the first: EMSGSIZE, the message stays queued */
    struct tzchan_in small = {in_buf[0], 4, 0};
    CHECK_EQ(tzchan_recv_many(&p.b, &small, 1), TZCHAN_EMSGSIZE);
    small.cap = 5;
    CHECK_EQ(tzchan_recv_many(&p.b, &small, 1), 1);
    CHECK_EQ(small.len, 5);
    /* out of sequence: a stream message or a reservation open, a peek outstanding, recv_some inside a message */
    CHECK_EQ(tzchan_send_begin(&p.a, 100), 0);
    CHECK_EQ(tzchan_send_many(&p.a, o, 1), TZCHAN_EINVAL);
    CHECK_EQ(tzchan_send_some(&p.a, buf, 50), 50);
    bool eom;
    CHECK_EQ(tzchan_recv_some(&p.b, in_buf[0], 10, &eom), 10);
    CHECK_EQ(tzchan_recv_many(&p.b, in, 1), TZCHAN_EINVAL);
    CHECK_EQ(tzchan_send_some(&p.a, buf, 50), 50);
    CHECK_EQ(tzchan_send_end(&p.a), 0);
    int64_t got = 0;
    for (eom = false; !eom;) {
        int64_t k = tzchan_recv_some(&p.b, in_buf[0], RING, &eom);
        CHECK(k >= 0);
        got += k;
    }
    CHECK_EQ(got, 90);
    CHECK(tzchan_reserve(&p.a, 16) != NULL);
    CHECK_EQ(tzchan_send_many(&p.a, o, 1), TZCHAN_EINVAL);
    CHECK_EQ(tzchan_commit(&p.a, 16), 0);
    size_t len;
    CHECK(tzchan_peek(&p.b, &len) != NULL && len == 16);
    CHECK_EQ(tzchan_recv_many(&p.b, in, 1), TZCHAN_EINVAL);
    CHECK_EQ(tzchan_release(&p.b), 0);
    /* the peer closed: send EPIPE at once; receive drains, then EPIPE */
    CHECK_EQ(tzchan_send_many(&p.b, o, 3), 3);
    CHECK_EQ(tzchan_close(&p.b), 0);
    CHECK_EQ(tzchan_send_many(&p.a, o, 3), TZCHAN_EPIPE);
    CHECK_EQ(tzchan_recv_many(&p.a, in, 2), 2);
    CHECK_EQ(tzchan_recv_many(&p.a, in, 2), 1);
    CHECK_EQ(tzchan_recv_many(&p.a, in, 2), TZCHAN_EPIPE);
    CHECK_EQ(tzchan_send_many(&p.b, o, 1), TZCHAN_EINVAL); /* closed endpoint */
    free(p.mem);
}

static int rings_a, rings_b;
static void count_ring(void *ctx) /* the doorbell: counts in the int it is given */
{
    ++*(int *)ctx;
}

/* Published before return, one doorbell per wait, the room freed published and rung, earlier batched messages
 * published with the batch. */
static void test_publication(void)
{
    struct pair p;
    pair_open_at(&p, RING, 0);
    tzchan_set_notify(&p.a, count_ring, &rings_a);
    tzchan_set_notify(&p.b, count_ring, &rings_b);
    unsigned char buf[1000] = {7};
    struct tzchan_out o[8];
    for (int i = 0; i < 8; i++) {
        o[i].buf = buf;
        o[i].len = 64;
    }
    struct tzchan_in in[16];
    entries(in, 16);
    /* B sleeps for data; one batch: all published, exactly one ring */
    CHECK_EQ(tzchan_recv_many(&p.b, in, 16), TZCHAN_EAGAIN);
    CHECK_EQ(tzchan_wait_prepare(&p.b, TZCHAN_WAIT_DATA), 0);
    CHECK_EQ(tzchan_send_flags(&p.a, buf, 32, TZCHAN_MORE), 32); /* batched before: goes out with the batch */
    CHECK_EQ(rings_a, 0);
    uint32_t before = lane0(&p)->ab_prod.value;
    CHECK_EQ(tzchan_send_many(&p.a, o, 8), 8);
    CHECK_EQ(lane0(&p)->ab_prod.value - before, 40 + 8 * 72); /* published when it returned */
    CHECK_EQ(rings_a, 1);
    tzchan_wait_done(&p.b);
    CHECK_EQ(tzchan_recv_many(&p.b, in, 16), 9);
    CHECK_EQ(in[0].len, 32);
    CHECK_EQ(lane0(&p)->ab_cons.value, lane0(&p)->ab_prod.value); /* the room freed is published */
    CHECK_EQ(rings_b, 0);
    /* A fills the ring and sleeps for room; a batch receive frees it and rings once */
    for (int i = 0; i < 8; i++)
        o[i].len = 1000;
    int64_t r, n = 0;
    while ((r = tzchan_send_many(&p.a, o, 8)) > 0)
        n += r;
    CHECK_EQ(r, TZCHAN_EAGAIN);
    CHECK(n >= 3);
    CHECK_EQ(tzchan_wait_prepare(&p.a, TZCHAN_WAIT_ROOM), 0);
    CHECK_EQ(tzchan_recv_many(&p.b, in, 16), n);
    CHECK_EQ(rings_b, 1);
    tzchan_wait_done(&p.a);
    CHECK_EQ(tzchan_wait_prepare(&p.a, TZCHAN_WAIT_ROOM), 1);
    /* a batch that ends in EAGAIN leaves B waiting correctly: DATA does not hold until more is published */
    CHECK_EQ(tzchan_recv_many(&p.b, in, 16), TZCHAN_EAGAIN);
    CHECK_EQ(tzchan_send_many(&p.a, o, 2), 2);
    CHECK_EQ(tzchan_recv_many(&p.b, in, 16), 2);
    CHECK_EQ(tzchan_wait_prepare(&p.b, TZCHAN_WAIT_DATA), 0);
    tzchan_wait_done(&p.b);
    const uint64_t msgs = 9 + (uint64_t)n + 2;
    const uint64_t bytes = 32 + 8 * 64 + ((uint64_t)n + 2) * 1000;
    struct tzchan_stats st;
    tzchan_get_stats(&p.b, &st);
    CHECK_EQ(st.msgs_recv, msgs);
    CHECK_EQ(st.bytes_recv, bytes);
    tzchan_get_stats(&p.a, &st);
    CHECK_EQ(st.msgs_sent, msgs);
    CHECK_EQ(st.bytes_sent, bytes);
    free(p.mem);
}

/* Records published by prod (as TZCHAN_MORE batches are) that tzchan_recv_many's batch form must not take: kind 0 a
 * record longer than max_msg (legal: a stream message in one record), then hostile ones: 1 a record that crosses
 * the ring's end, covered by prod; 2 a prod that moves backwards. `after`: the record follows an honest batch record
 * taken in the same call. Hostile: EPROTO in that call and after, nothing read past the data area (ASan), nothing
 * more published. */
static void bad_batch(int kind, bool after)
{
    struct pair p;
    struct tzchan_in in[8];
    entries(in, 8);
    unsigned char buf[16];
    memset(buf, 9, sizeof buf);
    const uint32_t fl = TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST;
    const uint32_t start = kind == 1 ? RING - (after ? 48u : 24u) : 0u;
    pair_open_at(&p, RING, start);
    const uint32_t max = (uint32_t)tzchan_max_msg(&p.b);
    if (kind == 2) {
        /* r1, r2 published; the consumer takes r1 (accepting prod = r2's end); r3 published; prod then moves back
         * below r2's end: the call takes r2 if `after`, then its refresh for r3 finds prod moved backwards */
        CHECK_EQ(tzchan_send_flags(&p.a, buf, 16, TZCHAN_MORE), 16);
        CHECK_EQ(tzchan_send_flags(&p.a, buf, 16, TZCHAN_MORE), 16);
        CHECK_EQ(tzchan_flush(&p.a), 0);
        CHECK_EQ(tzchan_recv_many(&p.b, in, after ? 1 : 2), after ? 1 : 2);
        CHECK_EQ(tzchan_send_flags(&p.a, buf, 16, TZCHAN_MORE), 16);
        CHECK_EQ(tzchan_flush(&p.a), 0);
        lane0(&p)->ab_prod.value = start + 40;
    } else {
        uint32_t at = 0;
        if (after) {
            CHECK_EQ(tzchan_send_flags(&p.a, buf, 16, TZCHAN_MORE), 16);
            at = 24;
        }
        /* kind 0: max_msg + 8 bytes; kind 1: 24 bytes where 16 are left before the ring's end */
        const uint32_t h[2] = {kind == 0 ? max + 8 : 24u, fl};
        memcpy(ab_data(&p) + ((start + at) & (RING - 1)), h, 8);
        lane0(&p)->ab_prod.value = start + at + 8 + h[0];
    }
    if (kind == 0) {
        /* not hostile: a stream message in one record (PROTOCOL.md 4.2) is what this is; the batch stops before
         * it, and tzchan_recv_many, like tzchan_recv, says EMSGSIZE for it (mutant many-recv-batch-unbounded) */
        if (after) {
            CHECK_EQ(tzchan_recv_many(&p.b, in, 8), 1);
            CHECK_EQ(in[0].len, 16);
        }
        CHECK_EQ(tzchan_recv_many(&p.b, in, 8), TZCHAN_EMSGSIZE);
        CHECK_EQ(tzchan_recv(&p.b, in_buf[0], RING), TZCHAN_EMSGSIZE);
        bool end = false;
        CHECK_EQ(tzchan_recv_some(&p.b, in_buf[0], RING, &end), (int64_t)max + 8);
        CHECK(end);
        free(p.mem);
        return;
    }
    const uint32_t cons = lane0(&p)->ab_cons.value;
    CHECK_EQ(tzchan_recv_many(&p.b, in, 8), TZCHAN_EPROTO);
    CHECK_EQ(tzchan_recv_many(&p.b, in, 8), TZCHAN_EPROTO);
    CHECK_EQ(tzchan_recv(&p.b, in_buf[0], RING), TZCHAN_EPROTO);
    CHECK_EQ(lane0(&p)->ab_cons.value, cons); /* a broken endpoint publishes nothing more */
    free(p.mem);
}

/* A hostile producer: the receiver takes what is valid before a bad record, then EPROTO for good. */
static void test_hostile(void)
{
    struct pair p;
    struct tzchan_in in[8];
    entries(in, 8);
    unsigned char buf[64];
    memset(buf, 3, sizeof buf);
    struct tzchan_out o[3] = {{buf, 16}, {buf, 16}, {buf, 16}};
    /* bad second header (unknown flag, length past the ring's end, LAST without FIRST, FIRST without LAST whose
     * total is smaller than its length) */
    const uint32_t bad[][2] = {{4, 0x13}, {RING, 3}, {4, 2}, {64, 1}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pair_open_at(&p, RING, 0);
        CHECK_EQ(tzchan_send_many(&p.a, o, 3), 3);
        memcpy(ab_data(&p) + 24, bad[i], 8);
        if (bad[i][1] == 1)
            memset(ab_data(&p) + 32, 0, 8); /* total 0 < 64 */
        /* the breach is found in this call, after an honest message: the call says EPROTO, and so does the next */
        CHECK_EQ(tzchan_recv_many(&p.b, in, 8), TZCHAN_EPROTO);
        CHECK_EQ(tzchan_recv_many(&p.b, in, 8), TZCHAN_EPROTO);
        CHECK_EQ(tzchan_recv(&p.b, in_buf[0], RING), TZCHAN_EPROTO);
        CHECK_EQ(lane0(&p)->ab_cons.value, 0); /* nothing more is published by a broken endpoint */
        free(p.mem);
    }
    /* the last record published whole but with an unknown flag beside FIRST|LAST: EPROTO, not a message */
    pair_open_at(&p, RING, 0);
    CHECK_EQ(tzchan_send_many(&p.a, o, 2), 2);
    {
        const uint32_t odd[2] = {16, TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST | 0x10u};
        memcpy(ab_data(&p) + 24, odd, 8);
    }
    CHECK_EQ(tzchan_recv_many(&p.b, in, 8), TZCHAN_EPROTO);
    free(p.mem);
    /* a producer index a ring + 8 ahead, and one moving backwards, found by the refresh inside a batch */
    pair_open_at(&p, RING, 0);
    lane0(&p)->ab_prod.value = RING + 8;
    CHECK_EQ(tzchan_recv_many(&p.b, in, 8), TZCHAN_EPROTO);
    CHECK_EQ(tzchan_send_many(&p.b, o, 1), TZCHAN_EPROTO);
    free(p.mem);
    pair_open_at(&p, RING, 0);
    CHECK_EQ(tzchan_send_many(&p.a, o, 2), 2);
    struct tzchan_in two[2] = {{in_buf[0], RING, 0}, {in_buf[1], RING, 0}};
    CHECK_EQ(tzchan_recv_many(&p.b, two, 2), 2);
    /* the two were self-published (PROTOCOL.md s.9): the consumer loads prod only where it finds nothing, here */
    CHECK_EQ(tzchan_recv_many(&p.b, in, 8), TZCHAN_EAGAIN);
    lane0(&p)->ab_prod.value = 40; /* backwards from the 48 it accepted */
    CHECK_EQ(tzchan_recv_many(&p.b, in, 8), TZCHAN_EPROTO);
    free(p.mem);
    /* a header published whole but its payload not: a batch stops before it; once published it arrives */
    pair_open_at(&p, RING, 0);
    CHECK_EQ(tzchan_send_many(&p.a, o, 3), 3);
    {
        /* the third made a record published by prod (no SELF), as a stream's record is (PROTOCOL.md s.9.2) */
        const uint32_t fl = TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST;
        memcpy(ab_data(&p) + 48 + 4, &fl, 4);
    }
    lane0(&p)->ab_prod.value = 24 + 24 + 8; /* two whole records and the third's header */
    CHECK_EQ(tzchan_recv_many(&p.b, in, 8), 2);
    CHECK_EQ(tzchan_wait_prepare(&p.b, TZCHAN_WAIT_DATA), 0); /* it stopped for want of data: a wait sleeps */
    tzchan_wait_done(&p.b);
    CHECK_EQ(tzchan_recv_many(&p.b, in, 8), TZCHAN_EAGAIN);
    lane0(&p)->ab_prod.value = 72;
    CHECK_EQ(tzchan_recv_many(&p.b, in, 8), 1);
    CHECK_EQ(in[0].len, 16);
    free(p.mem);
    /* a whole-looking record that would cross the ring's end, after an honest one: EPROTO, and nothing is read
     * past the data area */
    pair_open_at(&p, RING, RING - 40);
    CHECK_EQ(tzchan_send_many(&p.a, o, 1), 1); /* 24 bytes at RING - 40 */
    {
        const uint32_t across[2] = {64, TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST}; /* at RING - 16 */
        memcpy(ab_data(&p) + RING - 16, across, 8);
        lane0(&p)->ab_prod.value = RING - 16 + 72;
    }
    CHECK_EQ(tzchan_recv_many(&p.b, in, 8), TZCHAN_EPROTO);
    free(p.mem);
    for (int kind = 0; kind < 3; kind++) {
        bad_batch(kind, false);
        bad_batch(kind, true);
    }
    /* the consumer's index jumping past what was published, seen by a batch that needs the refresh */
    pair_open_at(&p, RING, 0);
    struct tzchan_out big[4] = {{in_buf[0], 1000}, {in_buf[0], 1000}, {in_buf[0], 1000}, {in_buf[0], 1000}};
    CHECK_EQ(tzchan_send_many(&p.a, big, 4), 4);
    lane0(&p)->ab_cons.value = 0x80000000u;
    CHECK_EQ(tzchan_send_many(&p.a, big, 4), TZCHAN_EPROTO);
    CHECK_EQ(tzchan_send(&p.a, buf, 1), TZCHAN_EPROTO);
    free(p.mem);
    /* ... found after a message that fitted by our own count: EPROTO, and that message is not published */
    pair_open_at(&p, RING, 0);
    CHECK_EQ(tzchan_send_many(&p.a, big, 4), 4);
    lane0(&p)->ab_cons.value = 0x80000000u;
    struct tzchan_out two_out[2] = {{buf, 8}, {in_buf[0], 1000}};
    CHECK_EQ(tzchan_send_many(&p.a, two_out, 2), TZCHAN_EPROTO);
    CHECK_EQ(lane0(&p)->ab_prod.value, 4 * 1008);
    free(p.mem);
}

/* tzchan_recv_many against a TZCHAN_MORE producer, whose records prod publishes (PROTOCOL.md s.9.2 item 2):
 * random batches, published by tzchan_flush, by a last send without TZCHAN_MORE or by the EAGAIN of a full ring,
 * or left unpublished for a while; the indices wrap. Every published message arrives once, intact and in order;
 * none that is not published yet is ever delivered (mutant many-recv-prod-uncovered); a call that stops short
 * stops where a single tzchan_recv fails too. */
static void more_batches(uint64_t seed, uint32_t start)
{
    enum { TOTAL = 3000 };
    static size_t lens[TOTAL];
    struct pair p;
    pair_open_at(&p, RING, start);
    const size_t max = tzchan_max_msg(&p.a);
    uint64_t rnd = seed, sent = 0, published = 0, recvd = 0;
    struct tzchan_in in[MAXN];
    int calls_unpublished = 0, stops = 0, big = 0;
    while (recvd < TOTAL) {
        /* the producer: up to MAXN messages with TZCHAN_MORE, until the ring is full */
        if (sent < TOTAL && t_rand(&rnd) % 4 != 0) {
            size_t k = 1 + (size_t)(t_rand(&rnd) % MAXN);
            bool full = false;
            for (size_t i = 0; i < k && sent < TOTAL && !full; i++) {
                size_t len = msg_len(seed, sent, max);
                lens[sent] = len > max ? max : len;
                t_fill(one, lens[sent], seed, sent << 20);
                int64_t r = tzchan_send_flags(&p.a, one, lens[sent], TZCHAN_MORE);
                if (r == TZCHAN_EAGAIN) {
                    full = true; /* an EAGAIN publishes what was written before it */
                    published = sent;
                } else {
                    CHECK_EQ(r, (int64_t)lens[sent]);
                    sent++;
                }
            }
            uint64_t how = t_rand(&rnd) % 3;
            if (how == 0) {
                CHECK_EQ(tzchan_flush(&p.a), 0);
                published = sent;
            } else if (how == 1 && sent < TOTAL && !full) {
                /* a last message without TZCHAN_MORE publishes the batch with it, or, if it does not fit, its
                 * EAGAIN publishes the batch alone */
                lens[sent] = msg_len(seed, sent, max) % 100;
                t_fill(one, lens[sent], seed, sent << 20);
                int64_t e = tzchan_send(&p.a, one, lens[sent]);
                if (e != TZCHAN_EAGAIN) {
                    CHECK_EQ(e, (int64_t)lens[sent]);
                    sent++;
                }
                published = sent;
            } /* else left unpublished for now */
        }
        if (sent == TOTAL && published < sent) {
            CHECK_EQ(tzchan_flush(&p.a), 0);
            published = sent;
        }
        /* the consumer: a batch into entries of random count, sometimes too small */
        size_t n = random_entries(in, &rnd);
        if (published < sent)
            calls_unpublished++;
        int64_t r = tzchan_recv_many(&p.b, in, n);
        if (r == TZCHAN_EAGAIN) {
            CHECK_EQ(recvd, published); /* nothing published left (a PAD record may have been consumed) */
            continue;
        }
        if (r == TZCHAN_EMSGSIZE) {
            CHECK(recvd < published && in[0].cap < lens[recvd]); /* left queued for a large enough buffer */
            big++;
            continue;
        }
        CHECK(r >= 1 && (size_t)r <= n);
        CHECK(recvd + (uint64_t)r <= published); /* never a message of a batch not published yet */
        for (size_t i = 0; i < (size_t)r; i++) {
            CHECK_EQ(in[i].len, lens[recvd + i]);
            t_fill(one, lens[recvd + i], seed, (recvd + i) << 20);
            CHECK(memcmp(in_buf[i], one, lens[recvd + i]) == 0);
        }
        if ((size_t)r < n) {
            /* it stopped before in[r]: a single receive into that buffer fails now too */
            stops++;
            int64_t e = tzchan_recv(&p.b, in[r].buf, in[r].cap);
            CHECK(e == TZCHAN_EAGAIN || e == TZCHAN_EMSGSIZE);
            CHECK_EQ(e == TZCHAN_EAGAIN, recvd + (uint64_t)r == published);
        }
        recvd += (uint64_t)r;
    }
    CHECK_EQ(tzchan_recv_many(&p.b, in, MAXN), TZCHAN_EAGAIN); /* nothing duplicated */
    struct tzchan_stats st;
    tzchan_get_stats(&p.b, &st);
    CHECK_EQ(st.msgs_recv, (uint64_t)TOTAL);
    /* the run met every case: calls with a batch not yet published, calls stopped short, buffers too small */
    CHECK(calls_unpublished > 0 && stops > 0 && big > 0);
    free(p.mem);
}

/* An unflushed TZCHAN_MORE record right after self-published ones the consumer took without loading prod: the prod
 * value it accepted then stands behind its index, which covers nothing (mutant many-recv-prod-lapped: the distance
 * read as huge, the unflushed record taken). */
static void test_more_unflushed(void)
{
    struct pair p;
    pair_open_at(&p, RING, 0);
    unsigned char buf[16] = {1};
    struct tzchan_in in[4];
    entries(in, 4);
    CHECK_EQ(tzchan_send(&p.a, buf, 16), 16);
    CHECK_EQ(tzchan_send(&p.a, buf, 16), 16);
    CHECK_EQ(tzchan_recv_many(&p.b, in, 4), 2); /* self-published: taken without loading prod */
    CHECK_EQ(tzchan_send_flags(&p.a, buf, 8, TZCHAN_MORE), 8);
    CHECK_EQ(tzchan_recv_many(&p.b, in, 4), TZCHAN_EAGAIN);
    CHECK_EQ(tzchan_recv(&p.b, in_buf[0], RING), TZCHAN_EAGAIN);
    CHECK_EQ(tzchan_send_flags(&p.a, buf, 8, TZCHAN_MORE), 8);
    CHECK_EQ(tzchan_recv_many(&p.b, in, 4), TZCHAN_EAGAIN);
    CHECK_EQ(tzchan_flush(&p.a), 0);
    CHECK_EQ(tzchan_recv_many(&p.b, in, 4), 2);
    CHECK(in[0].len == 8 && in[1].len == 8);
    CHECK_EQ(tzchan_recv_many(&p.b, in, 4), TZCHAN_EAGAIN);
    free(p.mem);
}

/* The same records on the wire as tzchan_send: two regions, one written by batches, one by single sends, must be
 * byte for byte the same (headers, payloads, zero padding, PAD records, indices). */
static void test_wire_identical(void)
{
    struct pair p, q;
    pair_open_at(&p, 1024, 0);
    pair_open_at(&q, 1024, 0);
    unsigned char buf[512];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)(i * 7 + 1);
    struct tzchan_out o[12];
    size_t k = 0;
    for (int round = 0; round < 40; round++) {
        size_t n = 1 + (size_t)round % 12;
        for (size_t i = 0; i < n; i++) {
            o[i].buf = buf + (k + i) % 64;
            o[i].len = ((k + i) * 37) % 200; /* every remainder mod 8, a PAD now and then */
        }
        int64_t r = tzchan_send_many(&p.a, o, n);
        CHECK(r >= 1);
        for (int64_t i = 0; i < r; i++)
            CHECK_EQ(tzchan_send(&q.a, o[i].buf, o[i].len), (int64_t)o[i].len);
        if ((size_t)r < n) /* the batch tried the next one, as a single send would: a PAD may be out already */
            CHECK_EQ(tzchan_send(&q.a, o[r].buf, o[r].len), TZCHAN_EAGAIN);
        k += (size_t)r;
        CHECK(memcmp(p.mem, q.mem, p.size) == 0);
        struct tzchan_in in[12];
        entries(in, 12);
        int64_t got = 0;
        while (got < r) {
            int64_t g = tzchan_recv_many(&p.b, in, 12);
            CHECK(g >= 1);
            for (int64_t i = 0; i < g; i++) {
                CHECK_EQ(tzchan_recv(&q.b, one, sizeof one), (int64_t)in[i].len);
                CHECK(memcmp(one, in_buf[i], in[i].len) == 0);
            }
            got += g;
        }
        CHECK_EQ(got, r);
        /* a receive that finds nothing more consumes a PAD record on its way, either way */
        CHECK_EQ(tzchan_recv_many(&p.b, in, 12), TZCHAN_EAGAIN);
        CHECK_EQ(tzchan_recv(&q.b, one, sizeof one), TZCHAN_EAGAIN);
        CHECK(memcmp(p.mem, q.mem, p.size) == 0);
    }
    free(p.mem);
    free(q.mem);
}

/* What a batch that stops leaves for tzchan_wait_prepare: as after the single call that stopped it. */
static void test_wait_marks(void)
{
    struct pair p;
    pair_open_at(&p, RING, RING / 2);
    unsigned char buf[1000] = {5};
    struct tzchan_out o[8];
    for (int i = 0; i < 8; i++) {
        o[i].buf = buf;
        o[i].len = 1000;
    }
    /* from offset 2048: two records, a PAD of 32, two more; the fifth fits before the end but not in the 32
     * bytes free: EAGAIN without a PAD, and A waits for its room */
    CHECK_EQ(tzchan_send_many(&p.a, o, 8), 4);
    CHECK_EQ(tzchan_wait_prepare(&p.a, TZCHAN_WAIT_ROOM), 0);
    tzchan_wait_done(&p.a);
    /* a small message fits in those 32 bytes: then no send waits for room */
    struct tzchan_out tiny = {buf, 8};
    CHECK_EQ(tzchan_send_many(&p.a, &tiny, 1), 1);
    CHECK_EQ(tzchan_wait_prepare(&p.a, TZCHAN_WAIT_ROOM), 1);
    struct tzchan_in in[8];
    entries(in, 8);
    CHECK_EQ(tzchan_recv_many(&p.b, in, 8), 5);
    CHECK_EQ(in[4].len, 8);
    free(p.mem);
}

int main(void)
{
    test_wait_marks();
    test_wire_identical();
    test_errors();
    test_publication();
    test_hostile();
    differential(1, 0);
    differential(2, 0u - 5u * RING - 40u); /* the indices wrap during the run */
    differential(3, 1024);
    test_more_unflushed();
    more_batches(4, 0);
    more_batches(5, 0u - 5u * RING - 40u);
    more_batches(6, 2048);
    printf("test_many: all checks passed\n");
    return 0;
}
