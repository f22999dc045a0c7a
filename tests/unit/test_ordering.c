/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Every pairing of docs/PROTOCOL.md s.5, checked on the core's real call sequences: the core is compiled here with
 * TZCHAN_ATOMICS_TRACE, so every shared-memory access it makes through src/atomics.h is reported in program order,
 * tagged with the side that made the call. A scenario drives both sides through sends, receives, waits, rings, a
 * stream and a close (once with full fences, once with side B announcing a sleep fence), and the trace must show:
 *   P1  every store of A's prod is a release;          C1  every load of it by B is an acquire
 *   C2  every store of B's cons is a release;          P2  every load of it by A is an acquire
 *   F   after each of those stores the publisher fences (full, or compiler-only when the peer announced its sleep
 *       fence) and only then loads the peer's waiting word (acquire for the ROOM check, R1)
 *   W1  a waiting store with wait bits is a release, after want_cons; then a full fence (and the sleep fence hook)
 *       before the index is loaded again; B2 the peer's bell is loaded with acquire before that waiting store
 *   B1  every bell store is a release;   S1 the CLOSED store is a release, then a full fence, then the waiting load
 *   S2  a receive that finds too little loads the peer's state with acquire before its fresh load of prod.
 * Mutants killed: any of those fences removed, any of those orders weakened to relaxed, a publish that skips the
 * waiting check. On a strongly ordered machine no stress test can see most of them; this test sees them all.
 * Exit 0 pass, 1 fail.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/check.h"
#include "../../src/atomics.h"
#include "tzchan/tzchan.h"
#include "tzchan/wire.h"

#define RING 1024u

struct ev {
    enum tz_trace_op op;
    const void *p;
    uint32_t v;
    char side;
};
#define EV_HOOK ((enum tz_trace_op)100) /* the sleep fence hook ran */
static struct ev g_ev[200000];
static size_t g_n;
static char g_side = '-';

void tzchan__trace(enum tz_trace_op op, const void *p, uint32_t v)
{
    if (g_n < sizeof g_ev / sizeof g_ev[0])
        g_ev[g_n++] = (struct ev){op, p, v, g_side};
}

static _Alignas(64) unsigned char g_mem[128 + 768 + 2 * RING];
static struct tzchan g_a, g_b;
static struct tzchan_wire_lane *g_l;

static void ring_hook(void *ctx)
{
    (void)ctx;
}
static void sleep_fence_hook(void *ctx)
{
    (void)ctx;
    tzchan__trace(EV_HOOK, NULL, 0);
}

#define A(call) (g_side = 'A', (call))
#define B(call) (g_side = 'B', (call))

static void scenario(bool sleep_fence)
{
    static unsigned char buf[4096];
    memset(buf, 7, sizeof buf);
    CHECK_EQ(tzchan_region_init(g_mem, sizeof g_mem, 1, RING), 0);
    g_l = (struct tzchan_wire_lane *)(void *)(g_mem + TZCHAN_WIRE_HEADER_BYTES);
    CHECK_EQ(tzchan_open(&g_a, g_mem, sizeof g_mem, TZCHAN_SIDE_A, 0), 0);
    CHECK_EQ(tzchan_open(&g_b, g_mem, sizeof g_mem, TZCHAN_SIDE_B, 0), 0);
    tzchan_set_notify(&g_a, ring_hook, NULL);
    tzchan_set_notify(&g_b, ring_hook, NULL);
    if (sleep_fence)
        CHECK_EQ(tzchan_set_sleep_fence(&g_b, sleep_fence_hook, NULL), 0);
    g_n = 0; /* the opens' relaxed loads are not part of the pairings */
    bool eom;
    CHECK_EQ(A(tzchan_send(&g_a, buf, 100)), 100);
    CHECK_EQ(B(tzchan_recv(&g_b, buf, sizeof buf)), 100);
    CHECK_EQ(B(tzchan_recv(&g_b, buf, sizeof buf)), TZCHAN_EAGAIN);
    CHECK_EQ(B(tzchan_wait_prepare(&g_b, TZCHAN_WAIT_DATA)), 0);
    CHECK_EQ(A(tzchan_send(&g_a, buf, 10)), 10); /* rings B */
    B(tzchan_wait_done(&g_b));
    CHECK_EQ(B(tzchan_recv(&g_b, buf, sizeof buf)), 10);
    int64_t r;
    while ((r = A(tzchan_send(&g_a, buf, 300))) == 300)
        ;
    CHECK_EQ(r, TZCHAN_EAGAIN);
    CHECK_EQ(A(tzchan_wait_prepare(&g_a, TZCHAN_WAIT_ROOM)), 0);
    CHECK_EQ(B(tzchan_recv(&g_b, buf, sizeof buf)), 300); /* rings A */
    A(tzchan_wait_done(&g_a));
    while (B(tzchan_recv(&g_b, buf, sizeof buf)) == 300)
        ;
    CHECK_EQ(A(tzchan_send_begin(&g_a, 3000)), 0);
    uint32_t sent = 0, got = 0;
    while (sent < 3000 || got < 3000) {
        if (sent < 3000) {
            r = A(tzchan_send_some(&g_a, buf, 3000 - sent));
            CHECK(r >= 0);
            sent += (uint32_t)r;
            if (sent == 3000)
                CHECK_EQ(A(tzchan_send_end(&g_a)), 0);
        }
        r = B(tzchan_recv_some(&g_b, buf, 700, &eom));
        if (r > 0)
            got += (uint32_t)r;
        else
            CHECK(r == TZCHAN_EAGAIN || (r == 0 && eom));
    }
    CHECK_EQ(B(tzchan_wait_prepare(&g_b, TZCHAN_WAIT_DATA)), 0);
    CHECK_EQ(A(tzchan_close(&g_a)), 0); /* rings B */
    CHECK_EQ(B(tzchan_recv(&g_b, buf, sizeof buf)), TZCHAN_EPIPE);
    g_side = '-';
}

static int g_errors;
static void bad(size_t i, const char *rule)
{
    if (g_errors++ < 20)
        fprintf(stderr, "event %zu (side %c): %s\n", i, g_ev[i].side, rule);
}

/* From event i on, the first event of `side` that touches p (or, p NULL, that is op); g_n if none. */
static size_t next_on(size_t i, char side, const void *p)
{
    for (; i < g_n; i++)
        if (g_ev[i].side == side && g_ev[i].p == p && g_ev[i].op != TZ_T_FENCE && g_ev[i].op != TZ_T_CFENCE)
            return i;
    return g_n;
}
static bool op_between(size_t from, size_t to, enum tz_trace_op op)
{
    for (size_t i = from; i < to && i < g_n; i++)
        if (g_ev[i].op == op)
            return true;
    return false;
}

static void check(bool sleep_fence)
{
    const void *pa = &g_l->ab_prod.value, *cb = &g_l->ab_cons.value;
    const void *wa = &g_l->sleep_a.waiting, *wb = &g_l->sleep_b.waiting;
    const void *ba = &g_l->sleep_a.bell, *bb = &g_l->sleep_b.bell;
    const void *sa = &g_l->sleep_a.state, *sb = &g_l->sleep_b.state;
    const void *wca = &g_l->sleep_a.want_cons;
    size_t stores_pa = 0, stores_cb = 0, waits = 0, rings = 0, closes = 0, s2 = 0;
    for (size_t i = 0; i < g_n; i++) {
        const struct ev *e = &g_ev[i];
        bool st = e->op == TZ_T_STORE_REL || e->op == TZ_T_STORE_RLX;
        bool ld = e->op == TZ_T_LOAD_ACQ || e->op == TZ_T_LOAD_RLX;
        if (e->p == pa && st) {
            stores_pa++;
            if (e->op != TZ_T_STORE_REL)
                bad(i, "P1: A's prod stored without release");
            size_t w = next_on(i + 1, 'A', wb);
            size_t nxt = next_on(i + 1, 'A', pa);
            if (w >= nxt)
                bad(i, "F: a prod publish without a look at the peer's waiting word");
            else if (!op_between(i + 1, w, sleep_fence ? TZ_T_CFENCE : TZ_T_FENCE))
                bad(i, sleep_fence ? "F': no compiler barrier between prod and waiting" : "F: no full fence between prod and waiting");
        }
        if (e->p == pa && ld && e->side == 'B' && e->op != TZ_T_LOAD_ACQ)
            bad(i, "C1: B loads A's prod without acquire");
        if (e->p == cb && st) {
            stores_cb++;
            if (e->op != TZ_T_STORE_REL)
                bad(i, "C2: B's cons stored without release");
            size_t w = next_on(i + 1, 'B', wa);
            size_t nxt = next_on(i + 1, 'B', cb);
            if (w >= nxt)
                bad(i, "F: a cons publish without a look at the peer's waiting word");
            else {
                if (!op_between(i + 1, w, TZ_T_FENCE))
                    bad(i, "F: no full fence between cons and waiting");
                if (g_ev[w].op != TZ_T_LOAD_ACQ)
                    bad(w, "R1: the ROOM check loads waiting without acquire");
            }
        }
        if (e->p == cb && ld && e->side == 'A' && e->op != TZ_T_LOAD_ACQ)
            bad(i, "P2: A loads B's cons without acquire");
        if ((e->p == wa || e->p == wb) && st && (e->v & 3u)) {
            waits++;
            char s = e->p == wa ? 'A' : 'B';
            const void *idx = s == 'A' ? cb : pa, *peer_bell = s == 'A' ? bb : ba;
            if (e->op != TZ_T_STORE_REL)
                bad(i, "W1: a waiting store without release");
            size_t k = next_on(i + 1, s, idx);
            if (!op_between(i + 1, k, TZ_T_FENCE))
                bad(i, "F: no full fence between waiting and the index re-check");
            if (s == 'B' && sleep_fence && !op_between(i + 1, k, EV_HOOK))
                bad(i, "F': the sleep fence did not run before the re-check");
            /* B2: the peer's bell was loaded (acquire) since the side's last waiting store */
            size_t j = i, seen = g_n;
            while (j-- > 0) {
                if (g_ev[j].side != s)
                    continue;
                if (g_ev[j].p == peer_bell) {
                    seen = j;
                    break;
                }
                if (g_ev[j].p == e->p)
                    break;
            }
            if (seen == g_n)
                bad(i, "B2: waiting announced without reading the peer's bell first");
            else if (g_ev[seen].op != TZ_T_LOAD_ACQ)
                bad(seen, "B2: the peer's bell loaded without acquire");
            if (s == 'A' && (e->v & 2u)) {
                size_t wc = seen;
                while (wc < i && g_ev[wc].p != wca)
                    wc++;
                if (wc == i)
                    bad(i, "W1: ROOM announced without want_cons stored before it");
            }
        }
        if ((e->p == ba || e->p == bb) && st) {
            rings++;
            if (e->op != TZ_T_STORE_REL)
                bad(i, "B1: a bell store without release");
        }
        if ((e->p == sa || e->p == sb) && st && (e->v & TZCHAN_WIRE_STATE_CLOSED)) {
            closes++;
            if (e->op != TZ_T_STORE_REL)
                bad(i, "S1: CLOSED stored without release");
            const void *pw = e->p == sa ? wb : wa;
            size_t w = next_on(i + 1, e->side, pw);
            if (w == g_n || !op_between(i + 1, w, TZ_T_FENCE))
                bad(i, "S1: no full fence between CLOSED and the look at the peer's waiting word");
        }
        if (e->p == sa && ld && e->side == 'B' && e->op == TZ_T_LOAD_ACQ) {
            size_t k = next_on(i + 1, 'B', pa);
            if (k < g_n && g_ev[k].op == TZ_T_LOAD_ACQ)
                s2++;
        }
    }
    if (s2 == 0) {
        fprintf(stderr, "S2: no receive loaded the peer's state with acquire before its fresh load of prod\n");
        g_errors++;
    }
    printf("%s: %zu events; %zu prod and %zu cons publishes, %zu waits, %zu rings, %zu closes checked\n",
           sleep_fence ? "sleep fence" : "full fences", g_n, stores_pa, stores_cb, waits, rings, closes);
    CHECK(stores_pa > 5 && stores_cb > 5 && waits >= 3 && rings >= 3 && closes == 1);
}

int main(void)
{
    scenario(false);
    check(false);
    scenario(true);
    check(true);
    if (g_errors) {
        fprintf(stderr, "test_ordering: %d violations\n", g_errors);
        return 1;
    }
    printf("test_ordering: pass\n");
    return 0;
}
