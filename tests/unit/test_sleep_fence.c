/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit test of tzchan_set_sleep_fence(), deterministic and single-threaded: argument checks, the SLEEP_FENCE bit in
 * the owner's doorbell slot (set by the call, dropped by close), the hook called once per wait_prepare() that
 * decides to sleep or re-checks, and a publisher that still rings a peer sleeping behind the sleep fence.
 */
#include <stdlib.h>
#include <string.h>

#include "../common/check.h"
#include "tzchan/tzchan.h"
#include "tzchan/wire.h"

static unsigned fences;

static void count_fence(void *ctx)
{
    CHECK(ctx == &fences);
    fences++;
}

static unsigned rings;

static void count_ring(void *ctx)
{
    (void)ctx;
    rings++;
}

static uint32_t state_of(void *mem, int side)
{
    struct tzchan_wire_lane *l = (struct tzchan_wire_lane *)((unsigned char *)mem + TZCHAN_WIRE_HEADER_BYTES);
    return side == TZCHAN_SIDE_A ? l->sleep_a.state : l->sleep_b.state;
}

int main(void)
{
    const uint32_t ring = 4096;
    size_t len = tzchan_region_size(1, ring);
    void *mem = aligned_alloc(64, len);
    CHECK(mem != NULL);
    CHECK_EQ(tzchan_region_init(mem, len, 1, ring), 0);
    struct tzchan a, b;
    CHECK_EQ(tzchan_open(&a, mem, len, TZCHAN_SIDE_A, 0), 0);
    CHECK_EQ(tzchan_open(&b, mem, len, TZCHAN_SIDE_B, 0), 0);
    tzchan_set_notify(&a, count_ring, NULL);

    CHECK_EQ(tzchan_set_sleep_fence(NULL, count_fence, &fences), TZCHAN_EINVAL);
    CHECK_EQ(tzchan_set_sleep_fence(&b, NULL, &fences), TZCHAN_EINVAL);
    CHECK_EQ(state_of(mem, TZCHAN_SIDE_B) & TZCHAN_WIRE_STATE_SLEEP_FENCE, 0);
    CHECK_EQ(tzchan_set_sleep_fence(&b, count_fence, &fences), 0);
    CHECK(state_of(mem, TZCHAN_SIDE_B) & TZCHAN_WIRE_STATE_SLEEP_FENCE);
    CHECK(state_of(mem, TZCHAN_SIDE_B) & TZCHAN_WIRE_STATE_OPEN);
    CHECK_EQ(state_of(mem, TZCHAN_SIDE_A) & TZCHAN_WIRE_STATE_SLEEP_FENCE, 0);
    CHECK(!tzchan_peer_closed(&a));

    /* B waits for data behind its sleep fence; A's publish (compiler barrier only) still sees the wait and rings */
    unsigned char msg[100], got[100];
    memset(msg, 0x3c, sizeof msg);
    CHECK_EQ(tzchan_recv(&b, got, sizeof got), TZCHAN_EAGAIN);
    CHECK_EQ(tzchan_wait_prepare(&b, TZCHAN_WAIT_DATA), 0);
    CHECK_EQ(fences, 1);
    uint32_t expect;
    const uint32_t *word = tzchan_wait_word(&b, &expect);
    CHECK(word != NULL && *word == expect);
    CHECK_EQ(tzchan_send(&a, msg, sizeof msg), (int64_t)sizeof msg);
    CHECK_EQ(rings, 1);
    CHECK(*word != expect);
    tzchan_wait_done(&b);
    CHECK_EQ(tzchan_recv(&b, got, sizeof got), (int64_t)sizeof got);
    CHECK(memcmp(msg, got, sizeof msg) == 0);

    /* a wait whose condition already holds still fences (the re-check follows the fence), and does not sleep */
    CHECK_EQ(tzchan_send(&a, msg, sizeof msg), (int64_t)sizeof msg);
    CHECK_EQ(tzchan_wait_prepare(&b, TZCHAN_WAIT_DATA), 1);
    CHECK_EQ(fences, 2);
    CHECK_EQ(rings, 1);
    CHECK_EQ(tzchan_recv(&b, got, sizeof got), (int64_t)sizeof got);

    /* A (no sleep fence) waits for room; B publishes with the full fence and rings */
    tzchan_set_notify(&b, count_ring, NULL);
    int64_t r;
    unsigned sent = 0;
    while ((r = tzchan_send(&a, msg, sizeof msg)) == (int64_t)sizeof msg)
        sent++;
    CHECK_EQ(r, TZCHAN_EAGAIN);
    CHECK_EQ(tzchan_wait_prepare(&a, TZCHAN_WAIT_ROOM), 0);
    CHECK_EQ(fences, 2); /* A has no sleep fence of its own */
    for (unsigned i = 0; i < sent; i++)
        CHECK_EQ(tzchan_recv(&b, got, sizeof got), (int64_t)sizeof got);
    CHECK_EQ(rings, 2);
    tzchan_wait_done(&a);

    /* close withdraws the offer */
    CHECK_EQ(tzchan_close(&b), 0);
    CHECK_EQ(state_of(mem, TZCHAN_SIDE_B) & TZCHAN_WIRE_STATE_SLEEP_FENCE, 0);
    CHECK(tzchan_peer_closed(&a));
    free(mem);
    return T_EXIT_PASS;
}
