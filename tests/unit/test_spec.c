/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The rules of docs/PROTOCOL.md that a foreign peer relies on, one test each: side A's records are written by
 * hand here, as a peer written from the spec alone would write them (or as a hostile one would break them), and
 * side B is the tzchan core. Each test names the section and the mutant of src/tzchan.c it kills.
 * Exit 0 pass, 1 fail.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/check.h"
#include "tzchan/tzchan.h"
#include "tzchan/wire.h"

#define RING 1024u
#define MAXM (RING / 2u)

static _Alignas(64) unsigned char g_mem[128 + 768 + 2 * RING];
static struct tzchan g_b, g_a;
static uint32_t g_prod; /* the hand-written producer's index */

static struct tzchan_wire_lane *lane(void)
{
    return (struct tzchan_wire_lane *)(void *)(g_mem + TZCHAN_WIRE_HEADER_BYTES);
}
static unsigned char *ab_data(void)
{
    return g_mem + TZCHAN_WIRE_HEADER_BYTES + TZCHAN_WIRE_LANE_CTRL;
}

/* A region with side B open on lane 0 (and side A too when `with_a`, for tests that use the core on both). */
static void fresh(uint32_t base, bool with_a)
{
    CHECK_EQ(tzchan_region_init(g_mem, sizeof g_mem, 1, RING), 0);
    lane()->ab_prod.value = lane()->ab_cons.value = base;
    g_prod = base;
    CHECK_EQ(tzchan_open(&g_b, g_mem, sizeof g_mem, TZCHAN_SIDE_B, 0), 0);
    if (with_a)
        CHECK_EQ(tzchan_open(&g_a, g_mem, sizeof g_mem, TZCHAN_SIDE_A, 0), 0);
}

/* Writes a record at the hand-written producer's index (not published): header, optional total, payload
 * 0,1,2,..., zero padding. Returns its span. */
static uint32_t rec(uint32_t len, uint32_t flags, uint64_t total)
{
    unsigned char *d = ab_data();
    uint32_t off = g_prod & (RING - 1u);
    uint32_t hdr = (flags & 3u) == TZCHAN_WIRE_REC_FIRST ? 16u : 8u;
    if (flags & TZCHAN_WIRE_REC_PAD)
        len = RING - off - 8u; /* a PAD's len is fixed by where it stands */
    memcpy(d + off, &len, 4);
    memcpy(d + off + 4, &flags, 4);
    if (hdr == 16) {
        uint32_t lo = (uint32_t)total, hi = (uint32_t)(total >> 32);
        memcpy(d + off + 8, &lo, 4);
        memcpy(d + off + 12, &hi, 4);
    }
    if (flags & TZCHAN_WIRE_REC_PAD)
        return RING - off;
    for (uint32_t i = 0; i < len; i++)
        d[off + hdr + i] = (unsigned char)i;
    uint32_t span = hdr + ((len + 7u) & ~7u);
    memset(d + off + hdr + len, 0, span - hdr - len);
    return span;
}
static void advance(uint32_t n)
{
    g_prod += n;
}
static void publish(uint32_t upto)
{
    lane()->ab_prod.value = upto;
}

static int g_rings;
static void count_ring(void *ctx)
{
    (void)ctx;
    g_rings++;
}

static void check_payload(const unsigned char *p, uint32_t n, uint32_t from)
{
    for (uint32_t i = 0; i < n; i++)
        CHECK_EQ(p[i], (unsigned char)(from + i));
}

/* 4: more bytes than the declared total is the peer's broken promise: EPROTO, never EMSGSIZE, in recv and in
 * recv_some. Mutant: recv_multi answering EMSGSIZE for it. */
static void test_total_exceeded(void)
{
    static unsigned char buf[4096];
    fresh(0, false);
    advance(rec(40, TZCHAN_WIRE_REC_FIRST, 30));
    advance(rec(0, TZCHAN_WIRE_REC_LAST, 0));
    publish(g_prod);
    CHECK_EQ(tzchan_recv(&g_b, buf, sizeof buf), TZCHAN_EPROTO);
    fresh(0, false);
    advance(rec(20, TZCHAN_WIRE_REC_FIRST, 30));
    advance(rec(20, TZCHAN_WIRE_REC_LAST, 0));
    publish(g_prod);
    CHECK_EQ(tzchan_recv(&g_b, buf, sizeof buf), TZCHAN_EPROTO);
    fresh(0, false);
    advance(rec(20, TZCHAN_WIRE_REC_FIRST, 30));
    advance(rec(20, TZCHAN_WIRE_REC_LAST, 0));
    publish(g_prod);
    bool eom = false;
    CHECK_EQ(tzchan_recv_some(&g_b, buf, sizeof buf, &eom), 20);
    CHECK_EQ(tzchan_recv_some(&g_b, buf, sizeof buf, &eom), TZCHAN_EPROTO);
}

/* 4.1: prod stops only inside a payload or at a record boundary. Inside a header, inside the padding after a
 * payload, or inside a PAD: EPROTO. Mutants: the padding check in recv_some, rec_whole's wait_below, rec_read's
 * header check. */
static void test_prod_positions(void)
{
    static unsigned char buf[4096];
    bool eom;
    /* inside a header */
    for (uint32_t k = 1; k < 8; k++) {
        fresh(0, false);
        rec(5, TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST, 0);
        publish(k);
        CHECK_EQ(tzchan_recv(&g_b, buf, sizeof buf), TZCHAN_EPROTO);
    }
    for (uint32_t k = 9; k < 16; k++) { /* inside a 16-byte first header */
        fresh(0, false);
        rec(100, TZCHAN_WIRE_REC_FIRST, 200);
        publish(k);
        CHECK_EQ(tzchan_recv_some(&g_b, buf, sizeof buf, &eom), TZCHAN_EPROTO);
    }
    /* inside a payload: wait */
    fresh(0, false);
    rec(5, TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST, 0);
    publish(8 + 4);
    CHECK_EQ(tzchan_recv(&g_b, buf, sizeof buf), TZCHAN_EAGAIN);
    CHECK_EQ(tzchan_recv_some(&g_b, buf, 2, &eom), 2);
    check_payload(buf, 2, 0);
    /* inside the padding: the last byte came without it */
    fresh(0, false);
    rec(5, TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST, 0);
    publish(8 + 5);
    CHECK_EQ(tzchan_recv(&g_b, buf, sizeof buf), TZCHAN_EPROTO);
    fresh(0, false);
    rec(5, TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST, 0);
    publish(8 + 5);
    size_t len;
    CHECK(tzchan_peek(&g_b, &len) == NULL && tzchan_error(&g_b) == TZCHAN_EPROTO);
    fresh(0, false);
    rec(5, TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST, 0);
    publish(8 + 5);
    CHECK_EQ(tzchan_recv_some(&g_b, buf, sizeof buf, &eom), TZCHAN_EPROTO);
    /* inside a PAD */
    fresh(RING - 64, false);
    rec(0, TZCHAN_WIRE_REC_PAD, 0);
    publish(RING - 64 + 8);
    CHECK_EQ(tzchan_recv(&g_b, buf, sizeof buf), TZCHAN_EPROTO);
}

/* 4: the legal shapes a foreign producer may use, each received as one message. Mutant: any receive path that
 * refuses one (e.g. an empty continuation record taken for the end). */
static void test_legal_shapes(void)
{
    static unsigned char buf[4096];
    bool eom;
    /* a multi-record message with a declared total <= max_msg: tzchan_recv takes it whole */
    fresh(0, false);
    advance(rec(10, TZCHAN_WIRE_REC_FIRST, 30));
    advance(rec(0, 0, 0)); /* an empty continuation record */
    advance(rec(10, 0, 0));
    advance(rec(10, TZCHAN_WIRE_REC_LAST, 0));
    publish(g_prod);
    CHECK_EQ(tzchan_recv(&g_b, buf, sizeof buf), 30);
    check_payload(buf, 10, 0);
    check_payload(buf + 10, 10, 0);
    /* FIRST whose total equals its own len, then an empty LAST; FIRST with total 0 */
    fresh(8, false);
    advance(rec(7, TZCHAN_WIRE_REC_FIRST, 7));
    advance(rec(0, TZCHAN_WIRE_REC_LAST, 0));
    advance(rec(0, TZCHAN_WIRE_REC_FIRST, 0));
    advance(rec(0, TZCHAN_WIRE_REC_LAST, 0));
    publish(g_prod);
    CHECK_EQ(tzchan_recv(&g_b, buf, sizeof buf), 7);
    CHECK_EQ(tzchan_recv_some(&g_b, buf, 1, &eom), 0);
    CHECK(eom);
    /* one record of R-8 bytes: EMSGSIZE for recv and peek, read by recv_some */
    fresh(0, false);
    advance(rec(RING - 8, TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST, 0));
    publish(g_prod);
    CHECK_EQ(tzchan_recv(&g_b, buf, sizeof buf), TZCHAN_EMSGSIZE);
    size_t len;
    CHECK(tzchan_peek(&g_b, &len) == NULL && tzchan_error(&g_b) == TZCHAN_EMSGSIZE);
    uint32_t got = 0;
    do {
        int64_t r = tzchan_recv_some(&g_b, buf + got, 100, &eom);
        CHECK(r >= 0);
        got += (uint32_t)r;
    } while (!eom);
    CHECK_EQ(got, RING - 8);
    check_payload(buf, RING - 8, 0);
}

/* 4.3 rule 2: a PAD consumed by a receive call that returns EMSGSIZE (recv, peek) or by recv_total is published
 * before the call returns. Mutant: rx_fail() not publishing, or EMSGSIZE returned without it. */
static void test_pad_published(void)
{
    static unsigned char buf[4096];
    for (int how = 0; how < 3; how++) {
        fresh(RING - 64, false);
        advance(rec(0, TZCHAN_WIRE_REC_PAD, 0));
        advance(rec(MAXM + 8, TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST, 0)); /* > max_msg: EMSGSIZE */
        publish(g_prod);
        size_t len;
        uint64_t total;
        if (how == 0)
            CHECK_EQ(tzchan_recv(&g_b, buf, sizeof buf), TZCHAN_EMSGSIZE);
        else if (how == 1)
            CHECK(tzchan_peek(&g_b, &len) == NULL && tzchan_error(&g_b) == TZCHAN_EMSGSIZE);
        else
            CHECK(tzchan_recv_total(&g_b, &total) == 0 && total == MAXM + 8);
        CHECK_EQ(lane()->ab_cons.value, RING); /* the PAD's 64 bytes are free again */
    }
}

/* 3, 7: what an opener checks. Mutants: the reserved-bytes check, the own-index alignment checks. */
static void test_open_checks(void)
{
    struct tzchan c;
    CHECK_EQ(tzchan_region_init(g_mem, sizeof g_mem, 1, RING), 0);
    CHECK_EQ(tzchan_open(&c, g_mem + 8, sizeof g_mem - 8, TZCHAN_SIDE_B, 0), TZCHAN_EINVAL); /* misaligned */
    CHECK_EQ(tzchan_open(&c, g_mem, 127, TZCHAN_SIDE_B, 0), TZCHAN_EINVAL);                  /* < 128 bytes */
    g_mem[0x7f] = 1;
    CHECK_EQ(tzchan_open(&c, g_mem, sizeof g_mem, TZCHAN_SIDE_B, 0), TZCHAN_EPROTO); /* reserved byte */
    g_mem[0x7f] = 0;
    g_mem[0x34] = 1;
    CHECK_EQ(tzchan_open(&c, g_mem, sizeof g_mem, TZCHAN_SIDE_B, 0), TZCHAN_EPROTO);
    g_mem[0x34] = 0;
    /* own indices must be multiples of 8; the peer's may stand anywhere within the ring */
    lane()->ab_prod.value = 13; /* B's peer index: fine */
    lane()->ab_cons.value = 8;
    CHECK_EQ(tzchan_open(&c, g_mem, sizeof g_mem, TZCHAN_SIDE_B, 0), 0);
    lane()->ab_cons.value = 9; /* B's own cons */
    CHECK_EQ(tzchan_open(&c, g_mem, sizeof g_mem, TZCHAN_SIDE_B, 0), TZCHAN_EPROTO);
    lane()->ab_cons.value = 8;
    lane()->ab_prod.value = 12; /* A's own prod */
    CHECK_EQ(tzchan_open(&c, g_mem, sizeof g_mem, TZCHAN_SIDE_A, 0), TZCHAN_EPROTO);
    lane()->ab_prod.value = 8 + RING + 8; /* more than a ring ahead */
    CHECK_EQ(tzchan_open(&c, g_mem, sizeof g_mem, TZCHAN_SIDE_B, 0), TZCHAN_EPROTO);
    /* 9.2 rule 7: the consumer may stand up to ring - 8 past prod (the producer's batch not published yet): B, the
     * consumer, opens; A, the producer, does not (what it wrote is what it published, so the consumer cannot stand
     * past it: such a side died with records unpublished and must not reopen); nor does A when prod stands more
     * than ring - 8 ahead (no room for the zero ahead), which B accepts (prod vouches for up to a ring) */
    lane()->ab_prod.value = 16;
    lane()->ab_cons.value = 16 + RING - 8;
    CHECK_EQ(tzchan_open(&c, g_mem, sizeof g_mem, TZCHAN_SIDE_B, 0), 0);
    CHECK_EQ(tzchan_open(&c, g_mem, sizeof g_mem, TZCHAN_SIDE_A, 0), TZCHAN_EPROTO);
    lane()->ab_cons.value = 16 + RING; /* a ring past prod */
    CHECK_EQ(tzchan_open(&c, g_mem, sizeof g_mem, TZCHAN_SIDE_B, 0), TZCHAN_EPROTO);
    lane()->ab_cons.value = 16 + 8;
    CHECK_EQ(tzchan_open(&c, g_mem, sizeof g_mem, TZCHAN_SIDE_A, 0), TZCHAN_EPROTO);
    lane()->ab_cons.value = 8;
    lane()->ab_prod.value = 8 + RING;
    CHECK_EQ(tzchan_open(&c, g_mem, sizeof g_mem, TZCHAN_SIDE_B, 0), 0);
    CHECK_EQ(tzchan_open(&c, g_mem, sizeof g_mem, TZCHAN_SIDE_A, 0), TZCHAN_EPROTO);
    lane()->ab_prod.value = 8 + RING - 8;
    CHECK_EQ(tzchan_open(&c, g_mem, sizeof g_mem, TZCHAN_SIDE_A, 0), 0);
}

/* 7: close publishes everything, the freed space included, and rings a waiter once; the peer then drains and
 * gets EPIPE, and a half-sent stream ends in EPIPE after its published bytes. Mutant: close without rx_publish. */
static void test_close(void)
{
    static unsigned char buf[4096];
    fresh(0, true);
    CHECK_EQ(tzchan_send(&g_a, buf, 100), 100);
    bool eom;
    CHECK_EQ(tzchan_recv_some(&g_b, buf, 10, &eom), 10); /* B freed 18 bytes (header and payload): published */
    uint32_t cons = lane()->ab_cons.value;
    CHECK_EQ(tzchan_recv_some(&g_b, buf, 10, &eom), 10);
    CHECK_EQ(lane()->ab_cons.value, cons + 10);
    /* A waits for room; B's close must publish and ring */
    for (int i = 0; tzchan_send(&g_a, buf, 200) == 200; i++)
        CHECK(i < 10);
    CHECK_EQ(tzchan_wait_prepare(&g_a, TZCHAN_WAIT_ROOM), 0);
    tzchan_set_notify(&g_b, count_ring, NULL);
    g_rings = 0;
    CHECK_EQ(tzchan_close(&g_b), 0);
    CHECK_EQ(g_rings, 1);
    CHECK_EQ(tzchan_send(&g_a, buf, 1), TZCHAN_EPIPE);
    /* a half-sent stream: the peer gets its published bytes, then EPIPE */
    fresh(0, true);
    CHECK_EQ(tzchan_send_begin(&g_a, 2000), 0);
    CHECK_EQ(tzchan_send_some(&g_a, buf, 300), 300);
    CHECK_EQ(tzchan_close(&g_a), 0);
    CHECK_EQ(tzchan_recv(&g_b, buf, sizeof buf), TZCHAN_EMSGSIZE); /* declared > max_msg */
    uint32_t got = 0;
    int64_t r;
    while ((r = tzchan_recv_some(&g_b, buf, sizeof buf, &eom)) > 0)
        got += (uint32_t)r;
    CHECK_EQ(got, 300);
    CHECK_EQ(r, TZCHAN_EPIPE);
}

/* 4.3: a PAD and the record after it can need more than an empty ring: the send returns EAGAIN once with the PAD
 * published; the consumer's next receive call consumes it and the send then goes through. 6: ROOM holds when no
 * send waits for room. */
static void test_pad_alone(void)
{
    static unsigned char buf[4096];
    fresh(MAXM, true);
    CHECK_EQ(tzchan_wait_prepare(&g_a, TZCHAN_WAIT_ROOM), 1);
    CHECK_EQ(tzchan_send(&g_a, buf, MAXM), TZCHAN_EAGAIN); /* empty ring, offset 512: PAD 512 + 520 > 1024 */
    CHECK_EQ(lane()->ab_prod.value, RING);                  /* the PAD went out alone */
    CHECK_EQ(tzchan_recv(&g_b, buf, sizeof buf), TZCHAN_EAGAIN);
    CHECK_EQ(lane()->ab_cons.value, RING); /* ... and was consumed and published */
    CHECK_EQ(tzchan_wait_prepare(&g_a, TZCHAN_WAIT_ROOM), 1);
    CHECK_EQ(tzchan_send(&g_a, buf, MAXM), MAXM);
    CHECK_EQ(tzchan_recv(&g_b, buf, sizeof buf), MAXM);
}

/* 4.2: a declared stream longer than max_msg that fits in one record is one FIRST|LAST record (len > max_msg),
 * read with recv_some after recv's EMSGSIZE. */
static void test_declared_one_record(void)
{
    static unsigned char src[4096], buf[4096];
    for (unsigned i = 0; i < sizeof src; i++)
        src[i] = (unsigned char)i;
    fresh(0, true);
    CHECK_EQ(tzchan_send_begin(&g_a, MAXM + 100), 0);
    CHECK_EQ(tzchan_send_some(&g_a, src, MAXM + 100), MAXM + 100);
    CHECK_EQ(tzchan_send_end(&g_a), 0);
    uint32_t fl;
    memcpy(&fl, ab_data() + 4, 4);
    CHECK_EQ(fl, TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST);
    CHECK_EQ(tzchan_recv(&g_b, buf, sizeof buf), TZCHAN_EMSGSIZE);
    bool eom = false;
    CHECK_EQ(tzchan_recv_some(&g_b, buf, sizeof buf, &eom), MAXM + 100);
    CHECK(eom);
    check_payload(buf, MAXM + 100, 0);
}

/* 3, 4: a record that crosses the ring's end, and a producer index more than a ring ahead, are violations even
 * when everything else about them looks like a whole message (the fast path of tzchan_recv included). Mutants: the
 * fast path's `span <= ring - off`, rx_refresh's `used > ring`. */
static void test_bounds(void)
{
    static unsigned char buf[4096];
    fresh(RING - 16, false);
    advance(rec(8, TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST, 0)); /* ends exactly at the ring's end: fine */
    publish(g_prod);
    CHECK_EQ(tzchan_recv(&g_b, buf, sizeof buf), 8);
    /* one that crosses the end: 8 + 104 bytes from 16 bytes before it */
    uint32_t len = 100, fl = TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST;
    fresh(RING - 16, false);
    memcpy(ab_data() + RING - 16, &len, 4);
    memcpy(ab_data() + RING - 16 + 4, &fl, 4);
    publish(RING - 16 + 8 + 104);
    CHECK_EQ(tzchan_recv(&g_b, buf, sizeof buf), TZCHAN_EPROTO);
    fresh(0, false);
    advance(rec(8, TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST, 0));
    publish(RING + 8);
    CHECK_EQ(tzchan_recv(&g_b, buf, sizeof buf), TZCHAN_EPROTO);
}

/* 2.3, 6: want_cons is exactly the consumer index the waiting send needs, ROOM holds as soon as cons reaches it,
 * and a consumer rings a producer waiting for room when its cons reaches want_cons (signed difference >= 0).
 * Mutants: want computed 8 bytes high; the consumer's `>= 0` made `> 0`. */
static void test_want_cons(void)
{
    static unsigned char buf[4096];
    fresh(0, true);
    uint32_t sent = 0;
    while (tzchan_send(&g_a, buf, 56) == 56) /* span 64 */
        sent++;
    CHECK_EQ(sent, RING / 64u - 1u); /* the last 8 bytes are the reserve of s.9.2 rule Z' */
    CHECK_EQ(tzchan_wait_prepare(&g_a, TZCHAN_WAIT_ROOM), 0);
    CHECK_EQ(lane()->sleep_a.want_cons, 8u); /* prod 960 + span 64 + reserve 8 - ring 1024 */
    tzchan_wait_done(&g_a);
    lane()->ab_cons.value = 4; /* a foreign consumer that freed 4 bytes only */
    CHECK_EQ(tzchan_wait_prepare(&g_a, TZCHAN_WAIT_ROOM), 0);
    tzchan_wait_done(&g_a);
    lane()->ab_cons.value = 8; /* exactly enough */
    CHECK_EQ(tzchan_wait_prepare(&g_a, TZCHAN_WAIT_ROOM), 1);
    CHECK_EQ(tzchan_send(&g_a, buf, 56), 56);
    /* a foreign producer waits for room up to cons 64 exactly; our consumer reaches it with one message */
    fresh(0, false);
    tzchan_set_notify(&g_b, count_ring, NULL);
    g_rings = 0;
    advance(rec(56, TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST, 0));
    advance(rec(56, TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST, 0));
    publish(g_prod);
    lane()->sleep_a.want_cons = 64;
    lane()->sleep_a.waiting = TZCHAN_WIRE_WAIT_ROOM; /* having read our bell as 0 */
    CHECK_EQ(tzchan_recv(&g_b, buf, sizeof buf), 56);
    CHECK_EQ(g_rings, 1);
    CHECK_EQ(tzchan_recv(&g_b, buf, sizeof buf), 56);
    CHECK_EQ(g_rings, 1); /* once per wait */
}

/* ---- version 2: self-published records (s.9) ------------------------------------------------------------------ */

/* Writes a self-published record at the hand-written producer's index as s.9.2 rule S says: payload 0,1,2,...,
 * padding, the zero ahead, then the header (flags last). Returns its span. */
static uint32_t self_rec(uint32_t len, uint32_t flags)
{
    unsigned char *d = ab_data();
    uint32_t off = g_prod & (RING - 1u);
    uint32_t span = (flags & TZCHAN_WIRE_REC_PAD) ? RING - off : 8u + ((len + 7u) & ~7u);
    if (flags & TZCHAN_WIRE_REC_PAD)
        len = RING - off - 8u;
    else
        for (uint32_t i = 0; i < len && off + 8u + i < RING; i++)
            d[off + 8u + i] = (unsigned char)i;
    if (!(flags & TZCHAN_WIRE_REC_PAD) && off + span <= RING)
        memset(d + off + 8u + len, 0, span - 8u - len);
    if (off + span < RING)
        memset(d + off + span, 0, 8); /* the zero ahead (at offset 0 after a record that ends at the ring's end) */
    else if (off + span == RING)
        memset(d, 0, 8);
    memcpy(d + off, &len, 4);
    memcpy(d + off + 4, &flags, 4);
    return span;
}

/* 9.2 items 2 and 6, 9.4: a header with SELF is checked before a byte of it is used, with prod never published (it
 * stays at the start): SELF on a record that is not FIRST|LAST or PAD, SELF with unknown bits, a SELF message whose
 * len crosses the ring's end or exceeds max_msg, a SELF PAD with another flag. Each is EPROTO for every receive
 * call, and the fast paths of recv and recv_many find them too. Mutants: self-on-any-record, self-flags-loose,
 * self-pad-loose, self-crosses-end, self-len-unbounded, fast-path-ring-end, many-recv-ring-end. */
static void test_self_hostile(void)
{
    static unsigned char buf[4096];
    const uint32_t S = TZCHAN_WIRE_REC_SELF, F = TZCHAN_WIRE_REC_FIRST, L = TZCHAN_WIRE_REC_LAST;
    const uint32_t P = TZCHAN_WIRE_REC_PAD;
    const struct { uint32_t at, len, flags; } bad[] = {
        {0, 8, F | S},              /* SELF on a first fragment */
        {0, 8, L | S},              /* ... on a last fragment */
        {0, 8, S},                  /* ... on a continuation record */
        {0, 8, F | L | P | S},      /* a message and a PAD at once */
        {0, 8, F | L | S | 0x10u},  /* unknown bits */
        {0, 8, F | L | S | 0x80000000u},
        {RING - 16, 100, F | L | S}, /* len across the ring's end */
        {0, MAXM + 8, F | L | S},   /* len > max_msg: never a self-published record */
        {0, RING - 8, F | L | S},   /* the whole ring */
        {RING - 64, 56, P | S | 0x10u}, /* a PAD with an unknown bit */
        {RING - 64, 56, P | S | F}, /* a PAD with FIRST */
        {RING - 64, 48, P | S},     /* a PAD whose len is not the rest of the ring */
        {0, RING - 8, P | S},       /* a PAD at offset 0 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        for (int way = 0; way < 4; way++) {
            fresh(bad[i].at, false);
            unsigned char *d = ab_data();
            uint32_t off = bad[i].at & (RING - 1u);
            memset(d + off + 8, 0x5a, RING - off - 8);
            memcpy(d + off, &bad[i].len, 4);
            memcpy(d + off + 4, &bad[i].flags, 4);
            bool eom = false;
            size_t len = 0;
            struct tzchan_in in = {buf, sizeof buf, 0};
            switch (way) {
            case 0: CHECK_EQ(tzchan_recv(&g_b, buf, sizeof buf), TZCHAN_EPROTO); break;
            case 1: CHECK_EQ(tzchan_recv_many(&g_b, &in, 1), TZCHAN_EPROTO); break;
            case 2: CHECK_EQ(tzchan_recv_some(&g_b, buf, sizeof buf, &eom), TZCHAN_EPROTO); break;
            default: CHECK(tzchan_peek(&g_b, &len) == NULL && tzchan_error(&g_b) == TZCHAN_EPROTO); break;
            }
            CHECK_EQ(tzchan_recv(&g_b, buf, sizeof buf), TZCHAN_EPROTO); /* latched */
            CHECK_EQ(lane()->ab_cons.value, bad[i].at);                /* nothing consumed */
        }
    }
    /* and the honest shapes, with prod never published: a message, an empty one, a PAD then a message, the largest */
    for (int way = 0; way < 3; way++) {
        fresh(RING - 32, false);
        advance(self_rec(5, F | L | S));
        advance(self_rec(0, F | L | S));
        advance(self_rec(0, P | S));
        advance(self_rec(MAXM, F | L | S));
        bool eom = false;
        struct tzchan_in in[4] = {{buf, sizeof buf, 0}, {buf, sizeof buf, 0}, {buf, sizeof buf, 0}, {buf, 8, 0}};
        if (way == 0) {
            CHECK_EQ(tzchan_recv(&g_b, buf, sizeof buf), 5);
            check_payload(buf, 5, 0);
            CHECK_EQ(tzchan_recv(&g_b, buf, sizeof buf), 0);
            CHECK_EQ(tzchan_recv(&g_b, buf, sizeof buf), MAXM);
            check_payload(buf, MAXM, 0);
        } else if (way == 1) {
            CHECK_EQ(tzchan_recv_many(&g_b, in, 4), 3);
            CHECK(in[0].len == 5 && in[1].len == 0 && in[2].len == MAXM);
        } else {
            CHECK_EQ(tzchan_recv_some(&g_b, buf, 3, &eom), 3);
            CHECK(!eom);
            CHECK_EQ(tzchan_recv_some(&g_b, buf + 3, sizeof buf, &eom), 2);
            CHECK(eom);
            check_payload(buf, 5, 0);
            CHECK_EQ(tzchan_recv_some(&g_b, buf, sizeof buf, &eom), 0);
            CHECK(eom);
            CHECK_EQ(tzchan_recv_some(&g_b, buf, sizeof buf, &eom), MAXM);
            CHECK(eom);
        }
        CHECK_EQ(tzchan_recv(&g_b, buf, sizeof buf), TZCHAN_EAGAIN); /* eight zero bytes: nothing yet */
        CHECK_EQ(lane()->ab_cons.value, RING + MAXM + 8u);
    }
}

/* 9.2 rule 7: a fresh prod may stand up to ring - 8 behind the consumer (it took self-published records prod does
 * not cover yet), never further, and never behind the value last accepted. The consumer takes a whole lap of
 * self-published records with prod left at the start, by each receive call in turn. Mutants: recv-seen-clamp,
 * many-recv-seen-clamp, publish-seen-clamp, release-seen-clamp, prod-backwards-accepted. */
static void test_prod_lag(void)
{
    static unsigned char buf[4096];
    for (int way = 0; way < 4; way++) {
        for (int honest = 0; honest < 2; honest++) {
            fresh(0, false);
            for (int half = 0; half < 2; half++) { /* a lap in two halves: a producer never writes a whole ring ahead */
                for (int i = 0; i < 8; i++)
                    advance(self_rec(56, TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST | TZCHAN_WIRE_REC_SELF));
                for (int i = 0; i < 8; i++) {
                    bool eom = false;
                    struct tzchan_in in = {buf, sizeof buf, 0};
                    if (way == 0)
                        CHECK_EQ(tzchan_recv(&g_b, buf, sizeof buf), 56);
                    else if (way == 1)
                        CHECK_EQ(tzchan_recv_many(&g_b, &in, 1), 1);
                    else if (way == 2)
                        CHECK(tzchan_recv_some(&g_b, buf, sizeof buf, &eom) == 56 && eom);
                    else {
                        size_t n = 0;
                        CHECK(tzchan_peek(&g_b, &n) != NULL && n == 56);
                        CHECK_EQ(tzchan_release(&g_b), 0);
                    }
                }
            }
            CHECK_EQ(lane()->ab_cons.value, RING);
            /* prod 16: ring - 16 behind, a lag rule L allows; prod 0: a ring behind */
            publish(honest ? 16u : 0u);
            CHECK_EQ(tzchan_recv(&g_b, buf, sizeof buf), honest ? TZCHAN_EAGAIN : TZCHAN_EPROTO);
            if (honest) {
                publish(8); /* behind the 16 just accepted */
                CHECK_EQ(tzchan_recv(&g_b, buf, sizeof buf), TZCHAN_EPROTO);
            }
        }
    }
    /* a batch that takes a record published by prod (its general way loads prod) keeps the value it accepted:
     * prod moving back from it is found. Mutant: many-recv-seen-lost. */
    fresh(0, false);
    advance(self_rec(8, TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST | TZCHAN_WIRE_REC_SELF));
    advance(rec(8, TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST, 0));
    memset(ab_data() + g_prod, 0, 8);
    publish(g_prod);
    struct tzchan_in in[4] = {{buf, 64, 0}, {buf + 64, 64, 0}, {buf + 128, 64, 0}, {buf + 192, 64, 0}};
    CHECK_EQ(tzchan_recv_many(&g_b, in, 4), 2);
    publish(24); /* behind the 32 accepted */
    CHECK_EQ(tzchan_recv(&g_b, buf, sizeof buf), TZCHAN_EPROTO);
}


/* 9.2 item 8: a consumer that got EAGAIN and prepares to wait for data does not sleep when a self-published record
 * stands at its index, even though prod did not move (a producer inside a send_many call, or between a record's
 * header store and its prod store; written here by hand). Mutant: wait-ignores-self. */
static void test_wait_self(void)
{
    static unsigned char buf[64];
    fresh(0, false);
    CHECK_EQ(tzchan_recv(&g_b, buf, sizeof buf), TZCHAN_EAGAIN);
    CHECK_EQ(tzchan_wait_prepare(&g_b, TZCHAN_WAIT_DATA), 0); /* nothing: it would sleep */
    tzchan_wait_done(&g_b);
    advance(self_rec(8, TZCHAN_WIRE_REC_SELF_MSG));
    CHECK_EQ(lane()->ab_prod.value, 0u);
    CHECK_EQ(tzchan_wait_prepare(&g_b, TZCHAN_WAIT_DATA), 1); /* the record is there: no sleep */
    CHECK_EQ(tzchan_recv(&g_b, buf, sizeof buf), 8);
}

/* 9.2 rule Z: after every record the producer completes, the next header's place holds eight zero bytes, so the
 * consumer never takes what an earlier lap left there for a header. Every boundary of the ring is first given a
 * stale self-published header (a lap of 8-byte messages whose payload is such a header); then each way of writing a
 * record is followed by a receive that must find nothing. Mutants: send-fast-no-zero, send-general-no-zero,
 * many-send-no-zero, commit-no-zero, pad-no-zero, stream-no-zero, send-end-zero-late. */
static void stale_laps(void)
{
    static unsigned char in[64];
    const uint32_t fake[2] = {0, TZCHAN_WIRE_REC_SELF_MSG};
    fresh(0, true);
    for (unsigned i = 0; i < 2 * RING / 16; i++) {
        CHECK_EQ(tzchan_send(&g_a, fake, 8), 8);
        CHECK_EQ(tzchan_recv(&g_b, in, sizeof in), 8);
    }
}

static void test_zero_ahead(void)
{
    static unsigned char buf[4096], in[4096];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)(i + 1);
    for (int way = 0; way < 5; way++) {
        stale_laps();
        if (way == 0) {
            CHECK_EQ(tzchan_send(&g_a, buf, 20), 20);
        } else if (way == 1) {
            struct tzchan_out o = {buf, 20};
            CHECK_EQ(tzchan_send_many(&g_a, &o, 1), 1);
        } else if (way == 2) {
            unsigned char *p = tzchan_reserve(&g_a, 100);
            CHECK(p != NULL);
            memcpy(p, buf, 20);
            CHECK_EQ(tzchan_commit(&g_a, 20), 0);
        } else if (way == 3) {
            CHECK_EQ(tzchan_send_begin(&g_a, 20), 0);
            CHECK_EQ(tzchan_send_some(&g_a, buf, 20), 20);
            CHECK_EQ(tzchan_send_end(&g_a), 0);
        } else {
            CHECK_EQ(tzchan_send_begin(&g_a, 0), 0); /* an empty message: a record of a header alone */
            CHECK_EQ(tzchan_send_end(&g_a), 0);
        }
        uint32_t n = way == 4 ? 0u : 20u;
        CHECK_EQ(tzchan_recv(&g_b, in, sizeof in), (int64_t)n);
        CHECK(memcmp(in, buf, n) == 0);
        CHECK_EQ(tzchan_recv(&g_b, in, sizeof in), TZCHAN_EAGAIN);
    }
    /* a PAD published alone (its record waits for room), then that record, written by the general way */
    stale_laps();
    for (int i = 0; i < 15; i++)
        CHECK_EQ(tzchan_send(&g_a, buf, 56), 56);
    for (int i = 0; i < 8; i++)
        CHECK_EQ(tzchan_recv(&g_b, in, sizeof in), 56);
    CHECK_EQ(tzchan_send(&g_a, buf, MAXM - 8), TZCHAN_EAGAIN); /* PAD 64, then 512 + 8 do not fit */
    for (int i = 0; i < 7; i++)
        CHECK_EQ(tzchan_recv(&g_b, in, sizeof in), 56);
    CHECK_EQ(tzchan_recv(&g_b, in, sizeof in), TZCHAN_EAGAIN); /* the PAD, then zeros at offset 0 */
    CHECK_EQ(tzchan_send(&g_a, buf, MAXM - 8), MAXM - 8);
    CHECK_EQ(tzchan_recv(&g_b, in, sizeof in), MAXM - 8);
    CHECK(memcmp(in, buf, MAXM - 8) == 0);
    CHECK_EQ(tzchan_recv(&g_b, in, sizeof in), TZCHAN_EAGAIN);
}

int main(void)
{
    test_bounds();
    test_want_cons();
    test_total_exceeded();
    test_prod_positions();
    test_legal_shapes();
    test_pad_published();
    test_open_checks();
    test_close();
    test_pad_alone();
    test_declared_one_record();
    test_self_hostile();
    test_prod_lag();
    test_wait_self();
    test_zero_ahead();
    printf("test_spec: pass\n");
    return 0;
}
