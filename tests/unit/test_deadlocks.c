/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Regression tests for the two ways two honest endpoints could both go to sleep with nobody left to ring
 * (docs/PROTOCOL.md 4.1 and 4.3), replayed step by step, plus the interplay they depend on.
 *
 * 1. An unknown-length stream read with tzchan_recv: after 60 pieces of 8 bytes (or 61 of 1) in a 1 KiB ring a
 *    piece of 256 made the producer insist on a PAD plus a 256-byte fragment, while the consumer answered EAGAIN
 *    because 56 bytes were free (its rule was "EMSGSIZE below 32"). Both slept. Mutant killed: the consumer's
 *    STREAM_ROOM threshold back at 32 with the old 256-byte minimum fragment; or any producer that needs more than
 *    STREAM_ROOM free bytes to go on.
 * 2. Owed padding: a declared message <= max_msg whose last byte fitted but whose zero padding did not was
 *    reported sent (send_end 0) with the padding owed; recv waited for it forever. Reached with the consumer
 *    standing inside an earlier message (recv_some with a small buffer). Mutant killed: send_some writing a
 *    record's last byte without its padding.
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

static _Alignas(64) unsigned char g_mem[128 + 768 + 2 * RING];
static struct tzchan g_a, g_b;
static int g_rang_a, g_rang_b; /* times each side was rung */

static void rang(void *ctx)
{
    (*(int *)ctx)++;
}

static void pair(uint32_t base)
{
    size_t size = tzchan_region_size(1, RING);
    CHECK(size == sizeof g_mem);
    CHECK_EQ(tzchan_region_init(g_mem, size, 1, RING), 0);
    struct tzchan_wire_lane *l = (struct tzchan_wire_lane *)(void *)(g_mem + TZCHAN_WIRE_HEADER_BYTES);
    l->ab_prod.value = l->ab_cons.value = base;
    CHECK_EQ(tzchan_open(&g_a, g_mem, size, TZCHAN_SIDE_A, 0), 0);
    CHECK_EQ(tzchan_open(&g_b, g_mem, size, TZCHAN_SIDE_B, 0), 0);
    tzchan_set_notify(&g_a, rang, &g_rang_b);
    tzchan_set_notify(&g_b, rang, &g_rang_a);
    g_rang_a = g_rang_b = 0;
}

static unsigned char pat(uint32_t i)
{
    return (unsigned char)(i * 13u + 5u);
}

/* The producer cannot go on (send_some 0 and wait_prepare(ROOM) says sleep): then the consumer must not be stuck
 * too. Returns what the consumer's recv said. */
static int64_t consumer_after_blocked_producer(unsigned char *buf, size_t cap)
{
    /* a consumer that keeps to tzchan_recv: receive, and on EAGAIN announce the wait (a 1 means "try again") */
    for (int k = 0; k < 3; k++) {
        int64_t r = tzchan_recv(&g_b, buf, cap);
        if (r != TZCHAN_EAGAIN)
            return r;
        int rang_before = g_rang_a;
        int w = tzchan_wait_prepare(&g_b, TZCHAN_WAIT_DATA);
        CHECK(w == 0 || w == 1);
        if (w == 1)
            continue;
        tzchan_wait_done(&g_b);
        /* both asleep with nobody left to ring: the deadlock */
        CHECK(g_rang_a != rang_before);
        return r;
    }
    CHECK(!"wait_prepare(DATA) kept saying 1 while recv said EAGAIN");
    return 0;
}

static void test_unknown_length_growing(uint32_t pieces, uint32_t piece, uint32_t base)
{
    pair(base);
    static unsigned char src[4096], got[4096];
    for (uint32_t i = 0; i < sizeof src; i++)
        src[i] = pat(i);
    uint32_t total = pieces * piece + 256u, sent = 0, recvd = 0;
    CHECK_EQ(tzchan_send_begin(&g_a, TZCHAN_LEN_UNKNOWN), 0);
    for (uint32_t k = 0; k < pieces; k++) {
        CHECK_EQ(tzchan_send_some(&g_a, src + sent, piece), piece);
        sent += piece;
    }
    bool switched = false, ended = false;
    /* bounded: each round moves a byte or ends, else the CHECKs fail */
    for (int round = 0; round < 10000 && !ended; round++) {
        bool blocked;
        if (sent < total) {
            int64_t r = tzchan_send_some(&g_a, src + sent, total - sent);
            CHECK(r >= 0);
            sent += (uint32_t)r;
            blocked = r == 0;
        } else {
            int e = tzchan_send_end(&g_a);
            CHECK(e == 0 || e == TZCHAN_EAGAIN);
            ended = e == 0;
            blocked = e == TZCHAN_EAGAIN;
        }
        if (!blocked)
            continue;
        int w = tzchan_wait_prepare(&g_a, TZCHAN_WAIT_ROOM);
        CHECK(w == 0 || w == 1);
        if (w == 1)
            continue;
        /* the producer sleeps: the consumer must be able to free room and ring it */
        int rang_before = g_rang_a;
        if (!switched) {
            int64_t c = consumer_after_blocked_producer(got, sizeof got);
            /* a message of unknown length that cannot sit in the ring whole: EMSGSIZE, never EAGAIN */
            CHECK_EQ(c, TZCHAN_EMSGSIZE);
            switched = true;
        }
        /* the consumer reads on until the room it frees rings the producer; running dry first is the deadlock */
        while (g_rang_a == rang_before) {
            bool eom = false;
            int64_t c = tzchan_recv_some(&g_b, got + recvd, sizeof got - recvd, &eom);
            CHECK(c > 0);
            recvd += (uint32_t)c;
        }
        tzchan_wait_done(&g_a);
    }
    CHECK(ended);
    for (int round = 0; round < 10000; round++) {
        bool eom = false;
        int64_t c = switched ? tzchan_recv_some(&g_b, got + recvd, sizeof got - recvd, &eom)
                             : tzchan_recv(&g_b, got, sizeof got);
        if (!switched && c == TZCHAN_EMSGSIZE) {
            switched = true;
            continue;
        }
        CHECK(c >= 0);
        if (!switched) {
            recvd = (uint32_t)c;
            break;
        }
        recvd += (uint32_t)c;
        if (eom)
            break;
    }
    CHECK_EQ(recvd, total);
    CHECK(memcmp(got, src, total) == 0);
}

/* A declared message that must be receivable whole, written while the consumer stands inside an earlier one. */
static void test_owed_padding(void)
{
    static unsigned char src[4096], got[4096];
    for (uint32_t i = 0; i < sizeof src; i++)
        src[i] = pat(i);
    uint32_t max = RING / 2u, checked = 0;
    static const uint32_t caps[] = {1, 3, 5, 37};
    for (uint32_t base = 0; base < RING; base += 248)
        for (uint32_t l1 = 1; l1 <= max; l1 += 3)
            for (size_t ci = 0; ci < sizeof caps / sizeof caps[0]; ci++)
                for (uint32_t t = max - 16; t <= max; t++) {
                    pair(base);
                    CHECK_EQ(tzchan_send(&g_a, src + 100, l1), l1);
                    bool eom = false;
                    int64_t part = tzchan_recv_some(&g_b, got, caps[ci], &eom);
                    CHECK(part > 0);
                    CHECK_EQ(tzchan_send_begin(&g_a, t), 0);
                    int64_t s = tzchan_send_some(&g_a, src, t);
                    CHECK(s >= 0);
                    int end = s == (int64_t)t ? tzchan_send_end(&g_a) : TZCHAN_EAGAIN;
                    CHECK(end == 0 || end == TZCHAN_EAGAIN);
                    /* the consumer finishes the first message */
                    uint32_t got1 = (uint32_t)part;
                    while (!eom) {
                        int64_t c = tzchan_recv_some(&g_b, got + got1, sizeof got - got1, &eom);
                        CHECK(c > 0 || (c == 0 && eom));
                        got1 += (uint32_t)c;
                    }
                    CHECK_EQ(got1, l1);
                    CHECK(memcmp(got, src + 100, l1) == 0);
                    int64_t r = tzchan_recv(&g_b, got, sizeof got);
                    if (end == 0) {
                        /* reported sent: it must be complete, padding and all */
                        CHECK_EQ(r, t);
                    } else {
                        CHECK_EQ(r, TZCHAN_EAGAIN);
                        /* the consumer's freeing rang the producer if it waited; either way it now goes on */
                        uint32_t done = (uint32_t)s;
                        for (int k = 0; k < 4 && done < t; k++) {
                            int64_t more = tzchan_send_some(&g_a, src + done, t - done);
                            CHECK(more > 0);
                            done += (uint32_t)more;
                        }
                        CHECK_EQ(done, t);
                        CHECK_EQ(tzchan_send_end(&g_a), 0);
                        r = tzchan_recv(&g_b, got, sizeof got);
                        CHECK_EQ(r, t);
                    }
                    CHECK(memcmp(got, src, t) == 0);
                    checked++;
                }
    printf("owed padding: %u cases, each message received whole\n", checked);
}

int main(void)
{
    /* the two reproductions, at several ring offsets */
    for (uint32_t base = 0; base < RING; base += 8) {
        test_unknown_length_growing(60, 8, base);
        test_unknown_length_growing(61, 1, base);
        test_unknown_length_growing(15, 56, base);
    }
    test_owed_padding();
    printf("test_deadlocks: pass\n");
    return 0;
}
