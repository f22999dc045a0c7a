/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The liveness explorer: two honest endpoints on one lane, driven through the whole API, must never both end up
 * asleep (or one asleep and the other finished) while a message is unread or room is owed, must never loop
 * without progress, and must deliver every message whole, in order and byte for byte.
 *
 * A scenario is a producer script (messages, each with a length and a way of sending it: tzchan_send, batched
 * with TZCHAN_MORE and a flush, reserve/commit, a declared stream or a stream of unknown length in pieces of a
 * given schedule, optionally tzchan_close at the end) and a consumer strategy per message (tzchan_recv with a
 * cap, tzchan_recv_some with a small cap, tzchan_peek/release, tzchan_recv_total then tzchan_recv). A user who
 * gets TZCHAN_EMSGSIZE switches to tzchan_recv_some for that message, as the API says; EMSGSIZE for a message
 * that tzchan_recv must always take (one declared <= max_msg that fits cap) is itself a failure. A side whose
 * call returns EAGAIN (or send_some 0) calls tzchan_wait_prepare(): 0 puts it to sleep until the other side's
 * notify hook wakes it, 1 lets it try again. Every call is one step; calls are atomic here (the memory ordering
 * is the Spin model's business, tests/model/).
 *
 * Exhaustive part: for every scenario of a fixed enumeration (one message at every 8-aligned ring offset with
 * lengths at the edges, including the ones that force a PAD there; pairs of messages where the consumer stands
 * inside the first while the second is written; streams of unknown length whose pieces grow), every interleaving
 * of the two sides' steps is explored depth-first with the states merged by a hash of everything that matters
 * (the lane's bytes, both endpoints' private state but statistics, both scripts' positions). After every step:
 * if both sides are asleep or finished while not both finished, that is a deadlock; an edge back to a state on
 * the current path is a loop without progress (livelock); either is reported with the shortest trace that reaches
 * it (a breadth-first search of the failing scenario). Random part: long random scripts through 1, 2 and 4 KiB
 * rings under a random schedule, seed printed.
 *
 * Usage: explore [--seconds N (random part, default 20)] [--seed S] [--full] [--quick] [--preemptions K (default 2,
 *        -1 = every interleaving)] [--count] [-v]
 * Exit 0 pass, 1 fail.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tzchan/tzchan.h"
#include "tzchan/wire.h"

#define MAX_RING 4096u
#define MAX_MSGS 48
#define REGION_MAX (TZCHAN_WIRE_HEADER_BYTES + TZCHAN_WIRE_LANE_CTRL + 2u * MAX_RING)
#define PAT_BYTES (MAX_RING + 512u)

enum meth { M_SEND, M_MORE, M_RESERVE, M_DECL, M_UNK };
enum strat { S_RECV, S_SOME, S_PEEK, S_TOTAL };
static const char *const meth_name[] = {"send", "send+MORE", "reserve", "declared", "unknown-length"};
static const char *const strat_name[] = {"recv", "recv_some", "peek", "recv_total+recv"};

struct msg {
    uint32_t len;
    uint8_t meth, strat;
    uint32_t cap;                        /* receive buffer (recv, recv_some) */
    uint32_t small, split, big;          /* stream pieces: `small` until `split` bytes are sent, then `big` */
};

struct script {
    uint32_t ring, base; /* ring bytes; the lane's indices start at base (offset and wrap) */
    int n;
    bool close_at_end;
    bool poll; /* both sides retry a call that said EAGAIN instead of waiting (busy-polling users) */
    struct msg m[MAX_MSGS];
};

struct prod {
    int i;          /* next message */
    uint32_t sent;  /* bytes of the open stream taken */
    uint8_t begun, reserved, pending, blocked, asleep, woken, closed;
};

struct cons {
    int j;
    uint32_t got;
    uint8_t some_mode, total_done, peeked, blocked, asleep, woken, epipe;
};

/* ---- the live system: one region, two endpoints, two programs ------------------------------------------- */
static _Alignas(64) unsigned char g_region[REGION_MAX];
static size_t g_rsize;
static struct tzchan g_a, g_b; /* A produces on the A->B ring; B consumes it */
static struct prod g_p;
static struct cons g_c;
static const struct script *g_s;
static unsigned char g_pat[PAT_BYTES];
static char g_fail[256]; /* set by a step that saw a contract violation */
/* the schedule: who ran last, and how many more times the search may take the CPU from a side that could go on */
static struct {
    uint8_t cur, pleft;
} g_sch;
static int g_bound = 2; /* preemptions per scenario; -1: every interleaving */

struct snap {
    struct tzchan a, b;
    struct prod p;
    struct cons c;
    __typeof__(g_sch) sch;
    unsigned char region[]; /* g_rsize bytes */
};
static size_t snap_bytes(void)
{
    return sizeof(struct snap) + g_rsize;
}
static void snap_save(struct snap *s)
{
    s->a = g_a;
    s->b = g_b;
    s->p = g_p;
    s->c = g_c;
    s->sch = g_sch;
    memcpy(s->region, g_region, g_rsize);
}
static void snap_load(const struct snap *s)
{
    g_a = s->a;
    g_b = s->b;
    g_p = s->p;
    g_c = s->c;
    g_sch = s->sch;
    memcpy(g_region, s->region, g_rsize);
}

static const unsigned char *pat(int k)
{
    return g_pat + ((unsigned)k * 37u) % 256u;
}

static void wake(void *ctx)
{
    *(uint8_t *)ctx = 1;
}

static void fail(const char *fmt, const char *a, int64_t v)
{
    if (!g_fail[0])
        snprintf(g_fail, sizeof g_fail, fmt, a, v);
}

static void setup(const struct script *s)
{
    g_s = s;
    g_rsize = tzchan_region_size(1, s->ring);
    memset(g_region, 0, sizeof g_region);
    if (tzchan_region_init(g_region, g_rsize, 1, s->ring) != 0)
        abort();
    struct tzchan_wire_lane *l = (struct tzchan_wire_lane *)(void *)(g_region + TZCHAN_WIRE_HEADER_BYTES);
    l->ab_prod.value = l->ab_cons.value = l->ba_prod.value = l->ba_cons.value = s->base;
    memset(&g_a, 0, sizeof g_a);
    memset(&g_b, 0, sizeof g_b);
    if (tzchan_open(&g_a, g_region, g_rsize, TZCHAN_SIDE_A, 0) || tzchan_open(&g_b, g_region, g_rsize, TZCHAN_SIDE_B, 0))
        abort();
    memset(&g_p, 0, sizeof g_p);
    memset(&g_c, 0, sizeof g_c);
    tzchan_set_notify(&g_a, wake, &g_c.woken); /* A rings B */
    tzchan_set_notify(&g_b, wake, &g_p.woken);
    g_fail[0] = 0;
    g_sch.cur = 0;
    g_sch.pleft = g_bound < 0 ? 0 : (uint8_t)g_bound;
}

static bool prod_done(void)
{
    return g_p.i == g_s->n && !g_p.pending && (g_p.closed || !g_s->close_at_end);
}
static bool cons_done(void)
{
    return g_c.j == g_s->n && (g_c.epipe || !g_s->close_at_end);
}

/* ---- one step of each side: exactly one API call; returns false if the side cannot move ----------------- */
static bool prod_step(char *lab, size_t n)
{
    if (g_p.asleep) {
        if (!g_p.woken)
            return false;
        tzchan_wait_done(&g_a);
        g_p.asleep = g_p.woken = g_p.blocked = 0;
        snprintf(lab, n, "A wakes");
        return true;
    }
    if (g_p.blocked) {
        g_p.woken = 0;
        int r = tzchan_wait_prepare(&g_a, TZCHAN_WAIT_ROOM);
        snprintf(lab, n, "A wait_prepare(ROOM) = %d", r);
        if (r == 0)
            g_p.asleep = 1;
        else if (r == 1)
            g_p.blocked = 0;
        else
            fail("A: %s returned %" PRId64, "wait_prepare", r);
        return true;
    }
    g_p.woken = 0;
    int i = g_p.i;
    const struct msg *m = i < g_s->n ? &g_s->m[i] : NULL;
    if (g_p.pending && (m == NULL || m->meth != M_MORE)) {
        int r = tzchan_flush(&g_a);
        snprintf(lab, n, "A flush = %d", r);
        if (r != 0)
            fail("A: %s returned %" PRId64, "flush", r);
        g_p.pending = 0;
        return true;
    }
    if (m == NULL) {
        if (!g_s->close_at_end || g_p.closed)
            return false;
        int r = tzchan_close(&g_a);
        snprintf(lab, n, "A close = %d", r);
        if (r != 0)
            fail("A: %s returned %" PRId64, "close", r);
        g_p.closed = 1;
        return true;
    }
    int64_t r;
    switch (m->meth) {
    case M_SEND:
    case M_MORE:
        r = tzchan_send_flags(&g_a, pat(i), m->len, m->meth == M_MORE ? TZCHAN_MORE : 0);
        snprintf(lab, n, "A %s(#%d, %u) = %" PRId64, meth_name[m->meth], i, m->len, r);
        if (r == (int64_t)m->len) {
            g_p.i++;
            g_p.pending = m->meth == M_MORE;
        } else if (r == TZCHAN_EAGAIN) {
            g_p.blocked = !g_s->poll;
            g_p.pending = 0; /* an EAGAIN publishes the batch */
        } else {
            fail("A: send returned %s%" PRId64, "", r);
        }
        return true;
    case M_RESERVE:
        if (!g_p.reserved) {
            void *q = tzchan_reserve(&g_a, m->len);
            snprintf(lab, n, "A reserve(#%d, %u) = %s (%d)", i, m->len, q ? "ok" : "NULL", tzchan_error(&g_a));
            if (q != NULL) {
                memcpy(q, pat(i), m->len);
                g_p.reserved = 1;
            } else if (tzchan_error(&g_a) == TZCHAN_EAGAIN) {
                g_p.blocked = !g_s->poll;
            } else {
                fail("A: reserve failed with %s%" PRId64, "", tzchan_error(&g_a));
            }
            return true;
        }
        r = tzchan_commit(&g_a, m->len);
        snprintf(lab, n, "A commit(#%d, %u) = %" PRId64, i, m->len, r);
        if (r != 0)
            fail("A: commit returned %s%" PRId64, "", r);
        g_p.reserved = 0;
        g_p.i++;
        return true;
    default: /* streams */
        if (!g_p.begun) {
            uint64_t total = m->meth == M_DECL ? m->len : TZCHAN_LEN_UNKNOWN;
            r = tzchan_send_begin(&g_a, total);
            snprintf(lab, n, "A send_begin(#%d, %s%u) = %" PRId64, i, m->meth == M_DECL ? "" : "unknown, really ",
                     m->len, r);
            if (r != 0)
                fail("A: send_begin returned %s%" PRId64, "", r);
            g_p.begun = 1;
            g_p.sent = 0;
            return true;
        }
        if (g_p.sent < m->len) {
            uint32_t piece = g_p.sent < m->split ? m->small : m->big;
            if (piece > m->len - g_p.sent)
                piece = m->len - g_p.sent;
            r = tzchan_send_some(&g_a, pat(i) + g_p.sent, piece);
            snprintf(lab, n, "A send_some(#%d, %u of %u..) = %" PRId64, i, piece, g_p.sent, r);
            if (r > 0 && r <= (int64_t)piece)
                g_p.sent += (uint32_t)r;
            else if (r == 0)
                g_p.blocked = !g_s->poll;
            else
                fail("A: send_some returned %s%" PRId64, "", r);
            return true;
        }
        r = tzchan_send_end(&g_a);
        snprintf(lab, n, "A send_end(#%d) = %" PRId64, i, r);
        if (r == 0) {
            g_p.begun = 0;
            g_p.i++;
        } else if (r == TZCHAN_EAGAIN) {
            g_p.blocked = !g_s->poll;
        } else {
            fail("A: send_end returned %s%" PRId64, "", r);
        }
        return true;
    }
}

/* Is EMSGSIZE a documented answer of recv/peek for message m? (Never for a declared message that fits.) */
static bool msgsize_ok(const struct msg *m, bool peek)
{
    uint32_t max = g_s->ring / 2u;
    uint32_t lim = peek ? max : (m->cap < max ? m->cap : max);
    if (m->len > lim)
        return true;
    return m->meth == M_UNK; /* several records: EMSGSIZE when it cannot sit in the ring whole */
}

static void cons_finish(void)
{
    g_c.j++;
    g_c.got = 0;
    g_c.some_mode = g_c.total_done = g_c.peeked = 0;
}

static void check_bytes(const unsigned char *got, uint32_t n, int k, uint32_t at)
{
    if (n && memcmp(got, pat(k) + at, n) != 0)
        fail("B: wrong bytes in message %s#%" PRId64, "", k);
}

static bool cons_step(char *lab, size_t n)
{
    static unsigned char buf[MAX_RING + 64];
    if (g_c.asleep) {
        if (!g_c.woken)
            return false;
        tzchan_wait_done(&g_b);
        g_c.asleep = g_c.woken = g_c.blocked = 0;
        snprintf(lab, n, "B wakes");
        return true;
    }
    if (g_c.blocked) {
        g_c.woken = 0;
        int r = tzchan_wait_prepare(&g_b, TZCHAN_WAIT_DATA);
        snprintf(lab, n, "B wait_prepare(DATA) = %d", r);
        if (r == 0)
            g_c.asleep = 1;
        else if (r == 1)
            g_c.blocked = 0;
        else
            fail("B: %s returned %" PRId64, "wait_prepare", r);
        return true;
    }
    g_c.woken = 0;
    int j = g_c.j;
    if (j == g_s->n) {
        if (!g_s->close_at_end || g_c.epipe || !g_p.closed)
            return false;
        int64_t r = tzchan_recv(&g_b, buf, sizeof buf);
        snprintf(lab, n, "B recv after close = %" PRId64, r);
        if (r != TZCHAN_EPIPE)
            fail("B: recv after the peer closed returned %s%" PRId64, "", r);
        g_c.epipe = 1;
        return true;
    }
    const struct msg *m = &g_s->m[j];
    int st = g_c.some_mode ? S_SOME : m->strat;
    int64_t r;
    if (st == S_TOTAL && !g_c.total_done) {
        uint64_t t = 0;
        r = tzchan_recv_total(&g_b, &t);
        snprintf(lab, n, "B recv_total(#%d) = %" PRId64, j, r);
        if (r == 0) {
            if (!(t == m->len || (m->meth == M_UNK && t == TZCHAN_LEN_UNKNOWN)))
                fail("B: recv_total said %s%" PRId64, "", (int64_t)t);
            g_c.total_done = 1;
        } else if (r == TZCHAN_EAGAIN) {
            g_c.blocked = !g_s->poll;
        } else {
            fail("B: recv_total returned %s%" PRId64, "", r);
        }
        return true;
    }
    if (st == S_RECV || st == S_TOTAL) {
        r = tzchan_recv(&g_b, buf, m->cap);
        snprintf(lab, n, "B recv(#%d, cap %u) = %" PRId64, j, m->cap, r);
        if (r >= 0) {
            if (r != (int64_t)m->len)
                fail("B: recv returned a length of %s%" PRId64, "", r);
            check_bytes(buf, (uint32_t)r, j, 0);
            cons_finish();
        } else if (r == TZCHAN_EAGAIN) {
            g_c.blocked = !g_s->poll;
        } else if (r == TZCHAN_EMSGSIZE && msgsize_ok(m, false)) {
            g_c.some_mode = 1;
        } else {
            fail("B: recv returned %s%" PRId64, r == TZCHAN_EMSGSIZE ? "EMSGSIZE for a message it must take, " : "",
                 r);
        }
        return true;
    }
    if (st == S_PEEK) {
        if (g_c.peeked) {
            r = tzchan_release(&g_b);
            snprintf(lab, n, "B release(#%d) = %" PRId64, j, r);
            if (r != 0)
                fail("B: release returned %s%" PRId64, "", r);
            cons_finish();
            return true;
        }
        size_t len = 0;
        const void *q = tzchan_peek(&g_b, &len);
        snprintf(lab, n, "B peek(#%d) = %s (%d)", j, q ? "ok" : "NULL", tzchan_error(&g_b));
        if (q != NULL) {
            if (len != m->len)
                fail("B: peek returned a length of %s%" PRId64, "", (int64_t)len);
            check_bytes(q, (uint32_t)len, j, 0);
            g_c.peeked = 1;
        } else if (tzchan_error(&g_b) == TZCHAN_EAGAIN) {
            g_c.blocked = !g_s->poll;
        } else if (tzchan_error(&g_b) == TZCHAN_EMSGSIZE && msgsize_ok(m, true)) {
            g_c.some_mode = 1;
        } else {
            fail("B: peek failed with %s%" PRId64, "", tzchan_error(&g_b));
        }
        return true;
    }
    bool eom = false;
    uint32_t cap = m->strat == S_SOME ? m->cap : 509u; /* after EMSGSIZE: a large odd buffer */
    r = tzchan_recv_some(&g_b, buf, cap, &eom);
    snprintf(lab, n, "B recv_some(#%d, cap %u) = %" PRId64 "%s", j, cap, r, eom ? " end" : "");
    if (r > 0 || (r == 0 && eom)) {
        if (g_c.got + (uint64_t)r > m->len)
            fail("B: recv_some went past the message's end by %s%" PRId64, "", r);
        else
            check_bytes(buf, (uint32_t)r, j, g_c.got);
        g_c.got += (uint32_t)r;
        if (eom) {
            if (g_c.got != m->len)
                fail("B: the message ended after %s%" PRId64 " bytes", "", g_c.got);
            cons_finish();
        }
    } else if (r == TZCHAN_EAGAIN) {
        g_c.blocked = !g_s->poll;
    } else {
        fail("B: recv_some returned %s%" PRId64, "", r);
    }
    return true;
}

static bool side_step(int side, char *lab, size_t n)
{
    return side == 0 ? prod_step(lab, n) : cons_step(lab, n);
}

/* After a step: a deadlock is both sides asleep or finished, not both finished. */
static bool deadlocked(void)
{
    bool pd = prod_done(), cd = cons_done();
    bool pi = (g_p.asleep && !g_p.woken) || pd;
    bool ci = (g_c.asleep && !g_c.woken) || cd;
    return pi && ci && !(pd && cd);
}

/* ---- state hashing --------------------------------------------------------------------------------------- */
static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v * 0x9e3779b97f4a7c15ull;
    h = (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9ull;
    return h ^ (h >> 32);
}
static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, b + i, 8);
        h = mix(h, v);
    }
    for (; i < n; i++)
        h = mix(h, b[i]);
    return h;
}
/* What can differ between two states of a scenario: both endpoints' private state but statistics, both scripts'
 * positions, and what the endpoints write in the lane: its control slots' words and the A->B data area (the B->A
 * ring is never used here, the header never changes). The doorbell counters are free-running, so two paths that
 * rang a different number of times would never merge; only their relations matter (a ringer rings when the bell
 * value in the peer's waiting word equals its own bell, a sleeper sleeps while the peer's bell equals the value it
 * read), so those relations are hashed, clipped to "equal" or "not", instead of the values. */
static uint32_t rel(uint32_t x, uint32_t y)
{
    return x == y ? 0u : 1u;
}
static uint64_t state_hash(void)
{
    size_t priv = offsetof(struct tzchan, st_msgs_sent); /* statistics differ between merged paths */
    struct tzchan a = g_a, b = g_b;
    const unsigned char *lane = g_region + TZCHAN_WIRE_HEADER_BYTES;
    const struct tzchan_wire_lane *l = (const void *)lane;
    uint32_t m = TZCHAN_WIRE_WAIT_SEEN_MASK, wa = l->sleep_a.waiting, wb = l->sleep_b.waiting;
    uint32_t r[12] = {rel(a.bell, b.wait_seen), rel(b.bell, a.wait_seen), rel(wb >> 2, a.bell & m),
                      rel(wa >> 2, b.bell & m), wa & 3u, wb & 3u, rel(l->sleep_a.bell, a.bell),
                      rel(l->sleep_b.bell, b.bell), l->sleep_a.want_cons, l->sleep_b.want_cons,
                      l->sleep_a.state, l->sleep_b.state};
    a.bell = a.wait_seen = b.bell = b.wait_seen = 0;
    uint64_t h = hash_bytes(0x243f6a8885a308d3ull, &a, priv);
    h = hash_bytes(h, &b, priv);
    h = hash_bytes(h, r, sizeof r);
    h = hash_bytes(h, &g_p, sizeof g_p);
    h = hash_bytes(h, &g_c, sizeof g_c);
    if (g_bound >= 0)
        h = hash_bytes(h, &g_sch, sizeof g_sch);
    for (unsigned slot = 0; slot < 4; slot++) /* the four indices */
        h = hash_bytes(h, lane + slot * TZCHAN_WIRE_SLOT, 4);
    return hash_bytes(h, lane + TZCHAN_WIRE_LANE_CTRL, g_s->ring);
}

/* open-addressing set of 64-bit hashes, cleared in O(1) by an epoch; values carry a colour for the depth-first
 * search */
struct hset {
    uint64_t *k;
    uint32_t *ep;
    uint32_t *v; /* colour | depth << 2 */
    size_t cap, n;
    uint32_t epoch;
};
static void hs_alloc(struct hset *s, size_t cap)
{
    s->cap = cap;
    s->k = calloc(cap, sizeof *s->k);
    s->ep = calloc(cap, sizeof *s->ep);
    s->v = calloc(cap, sizeof *s->v);
    if (!s->k || !s->ep || !s->v)
        abort();
}
static void hs_free(struct hset *s)
{
    free(s->k);
    free(s->ep);
    free(s->v);
}
static void hs_clear(struct hset *s)
{
    if (s->cap == 0)
        hs_alloc(s, 1u << 16);
    s->epoch++;
    s->n = 0;
}
static uint32_t *hs_get(struct hset *s, uint64_t key, bool add)
{
    if (add && s->n * 2 >= s->cap) {
        struct hset t = {0};
        hs_alloc(&t, s->cap * 2);
        t.epoch = 1;
        for (size_t i = 0; i < s->cap; i++)
            if (s->ep[i] == s->epoch) {
                size_t x = (size_t)(s->k[i] >> 7) & (t.cap - 1);
                while (t.ep[x] == 1)
                    x = (x + 1) & (t.cap - 1);
                t.k[x] = s->k[i];
                t.ep[x] = 1;
                t.v[x] = s->v[i];
                t.n++;
            }
        hs_free(s);
        *s = t;
    }
    size_t x = (size_t)(key >> 7) & (s->cap - 1);
    while (s->ep[x] == s->epoch) {
        if (s->k[x] == key)
            return &s->v[x];
        x = (x + 1) & (s->cap - 1);
    }
    if (!add)
        return NULL;
    s->k[x] = key;
    s->ep[x] = s->epoch;
    s->v[x] = 0;
    s->n++;
    return &s->v[x];
}

/* ---- exhaustive search of one scenario ------------------------------------------------------------------- */
enum { GREY = 1, BLACK = 2 };
enum verdict { V_OK, V_DEADLOCK, V_LIVELOCK, V_CONTRACT };
static struct hset g_seen;
static unsigned char *g_stack; /* snapshots, one per depth */
static size_t g_stack_depth;
static uint64_t g_states, g_scenarios;
static bool g_verbose, g_dry, g_quick, g_full;
static int g_maxdepth;
static size_t g_fail_depth; /* length of the failing path the depth-first search found */

static unsigned char *stack_at(size_t d)
{
    if (d >= g_stack_depth) {
        size_t nd = g_stack_depth ? g_stack_depth * 2 : 4096;
        while (nd <= d)
            nd *= 2;
        g_stack = realloc(g_stack, nd * (sizeof(struct snap) + REGION_MAX));
        if (!g_stack)
            abort();
        g_stack_depth = nd;
    }
    return g_stack + d * (sizeof(struct snap) + REGION_MAX);
}

static char (*g_path)[160]; /* the current path's steps, one per depth */
static size_t g_path_cap;

static bool prod_can_move(void)
{
    return !(g_p.asleep && !g_p.woken) && !prod_done();
}
static bool cons_can_move(void)
{
    return !(g_c.asleep && !g_c.woken) && !(g_c.j == g_s->n && (g_c.epipe || !g_s->close_at_end || !g_p.closed));
}

/* The path came back to the state it had at depth d0 (steps d0 .. d-1 of g_path). A loop in which both sides
 * took steps, or in which the side that did not move could not have, goes on forever under any fair schedule: a
 * livelock. A loop of one side alone (a poller retrying while the other could go on) is only an unfair schedule. */
static bool unfair_loop(uint32_t d0, size_t d, int side)
{
    bool a = false, b = false;
    for (size_t k = d0; k < d; k++) {
        a |= g_path[k][0] == 'A';
        b |= g_path[k][0] == 'B';
    }
    if (a && b)
        return false;
    return side == 0 ? cons_can_move() : prod_can_move();
}

/* Explores from the live state (already marked) at depth d; returns the first failure found. The side that ran
 * last goes on for free; giving the CPU to the other side while this one could still go on costs one preemption
 * (bounded by g_bound, or free when g_bound < 0). Deadlocks need few preemptions: running each side until it
 * blocks already reaches most of them. */
static enum verdict dfs(size_t d)
{
    struct snap *here = (struct snap *)(void *)stack_at(d);
    snap_save(here);
    if ((int)d > g_maxdepth)
        g_maxdepth = (int)d;
    if (d >= g_path_cap) {
        g_path_cap = g_path_cap ? g_path_cap * 2 : 4096;
        g_path = realloc(g_path, g_path_cap * sizeof *g_path);
        if (!g_path)
            abort();
    }
    bool cur_ran = false;
    for (int k = 0; k < 2; k++) {
        int side = k == 0 ? here->sch.cur : 1 - here->sch.cur;
        bool preempt = k == 1 && cur_ran && g_bound >= 0;
        if (preempt && here->sch.pleft == 0)
            continue;
        if (!side_step(side, g_path[d], sizeof g_path[d])) {
            snap_load(here);
            continue;
        }
        cur_ran |= k == 0;
        g_sch.cur = (uint8_t)side;
        if (preempt)
            g_sch.pleft--;
        if (g_fail[0])
            return V_CONTRACT;
        if (deadlocked())
            return V_DEADLOCK;
        uint64_t h = state_hash();
        uint32_t *c = hs_get(&g_seen, h, true);
        if ((*c & 3u) == GREY) {
            if (unfair_loop(*c >> 2, d + 1, side)) {
                if (k == 0)
                    cur_ran = false; /* it only spun: handing over costs no preemption */
                snap_load(here);
                continue;
            }
            g_fail_depth = d + 1;
            return V_LIVELOCK;
        }
        if (*c == 0) {
            g_states++;
            *c = GREY | (uint32_t)(d + 1) << 2;
            enum verdict v = dfs(d + 1);
            if (v != V_OK) {
                g_fail_depth = g_fail_depth ? g_fail_depth : d + 1;
                return v;
            }
            *hs_get(&g_seen, h, false) = BLACK;
        }
        snap_load(here);
    }
    return V_OK;
}

/* Breadth-first search of the failing scenario for the shortest trace to a failure of the same kind. */
struct bnode {
    int parent;
    char lab[160];
};
static void print_scenario(const struct script *s)
{
    fprintf(stderr, "scenario: ring %u, indices start at %u (offset %u), %d message(s)%s%s\n", s->ring, s->base,
            s->base & (s->ring - 1u), s->n, s->close_at_end ? ", producer closes at the end" : "",
            s->poll ? ", both sides poll (retry on EAGAIN, never sleep)" : "");
    for (int i = 0; i < s->n; i++) {
        const struct msg *m = &s->m[i];
        fprintf(stderr, "  #%d: %u bytes by %s", i, m->len, meth_name[m->meth]);
        if (m->meth >= M_DECL)
            fprintf(stderr, " (pieces of %u up to byte %u, then %u)", m->small, m->split, m->big);
        fprintf(stderr, ", received by %s (cap %u)\n", strat_name[m->strat], m->cap);
    }
}

static void shortest_trace(const struct script *s, enum verdict want)
{
    size_t sb = snap_bytes(), cap = 1u << 14, n = 0;
    unsigned char *store = malloc(cap * sb);
    struct bnode *nodes = malloc(cap * sizeof *nodes);
    struct hset seen = {0};
    int bound = g_bound;
    g_bound = -1; /* every interleaving, states merged whoever ran last */
    hs_clear(&seen);
    setup(s);
    snap_save((struct snap *)(void *)store);
    nodes[0].parent = -1;
    strcpy(nodes[0].lab, "(start)");
    n = 1;
    hs_get(&seen, state_hash(), true);
    int found = -1;
    char why[256] = "";
    size_t max_nodes = ((size_t)1 << 30) / sb; /* at most 1 GiB of states */
    for (size_t q = 0; q < n && found < 0 && n < max_nodes; q++) {
        for (int side = 0; side < 2 && found < 0; side++) {
            snap_load((const struct snap *)(void *)(store + q * sb));
            g_fail[0] = 0;
            char lab[160];
            if (!side_step(side, lab, sizeof lab))
                continue;
            enum verdict v = g_fail[0] ? V_CONTRACT : deadlocked() ? V_DEADLOCK : V_OK;
            uint32_t *c = hs_get(&seen, state_hash(), true);
            if (v == V_OK && *c)
                continue;
            *c = 1;
            if (n == cap) {
                cap *= 2;
                store = realloc(store, cap * sb);
                nodes = realloc(nodes, cap * sizeof *nodes);
                if (!store || !nodes)
                    abort();
            }
            snap_save((struct snap *)(void *)(store + n * sb));
            nodes[n].parent = (int)q;
            memcpy(nodes[n].lab, lab, sizeof lab);
            if (v != V_OK && (v == want || want == V_LIVELOCK)) {
                found = (int)n;
                snprintf(why, sizeof why, "%s", v == V_CONTRACT ? g_fail : "both sides asleep or finished");
            }
            n++;
        }
    }
    g_bound = bound;
    if (found < 0) {
        fprintf(stderr, "(no shorter trace found in %zu states)\n", n);
    } else {
        int path[100000], len = 0;
        for (int x = found; x >= 0 && len < 100000; x = nodes[x].parent)
            path[len++] = x;
        fprintf(stderr, "shortest trace (%d steps):\n", len - 1);
        for (int k = len - 1; k >= 0; k--)
            fprintf(stderr, "  %3d. %s\n", len - 1 - k, nodes[path[k]].lab);
        snap_load((const struct snap *)(void *)(store + (size_t)found * sb));
        fprintf(stderr, "then: %s; A: %s%s, B: %s%s, %d of %d messages sent, %d received\n", why,
                g_p.asleep ? "asleep" : "awake", prod_done() ? " (finished)" : "", g_c.asleep ? "asleep" : "awake",
                cons_done() ? " (finished)" : "", g_p.i, s->n, g_c.j);
    }
    free(store);
    free(nodes);
    hs_free(&seen);
}

/* The calls a script needs at the least: the exhaustive part keeps to scenarios whose every interleaving can be
 * searched (states grow with the product of both sides' positions); longer ones go to the random part. */
static uint32_t est_calls(const struct script *s, int side)
{
    uint32_t n = 0;
    for (int i = 0; i < s->n; i++) {
        const struct msg *m = &s->m[i];
        if (side == 0) {
            uint32_t small = m->small ? m->small : 1, big = m->big ? m->big : 1;
            uint32_t a = m->len < m->split ? m->len : m->split;
            n += 2 + (m->meth >= M_DECL ? (a + small - 1) / small + (m->len - a + big - 1) / big : 0);
        } else {
            n += 2 + (m->strat == S_SOME ? m->len / (m->cap ? m->cap : 1) : m->len / 509u);
        }
    }
    return n;
}

static bool run_exhaustive(const struct script *s)
{
    uint32_t budget = g_full ? 64 * 64 : 24 * 24;
    if (est_calls(s, 0) * est_calls(s, 1) > budget)
        return true;
    setup(s);
    hs_clear(&g_seen);
    *hs_get(&g_seen, state_hash(), true) = GREY; /* depth 0 */
    g_scenarios++;
    if (g_dry)
        return true;
    uint64_t before = g_states;
    enum verdict v = dfs(0);
    if (g_verbose && g_scenarios % 500 == 0)
        fprintf(stderr, "[%" PRIu64 " scenarios, %" PRIu64 " states]\n", g_scenarios, g_states);
    if (g_verbose && g_states - before > 20000) {
        fprintf(stderr, "scenario %" PRIu64 ": %" PRIu64 " states\n", g_scenarios, g_states - before);
        print_scenario(s);
    }
    if (v == V_OK)
        return true;
    static const char *const vn[] = {"ok", "DEADLOCK", "LIVELOCK (a loop without progress)", "CONTRACT VIOLATION"};
    fprintf(stderr, "explore: %s: %s\n", vn[v], v == V_CONTRACT ? g_fail : "");
    print_scenario(s);
    fprintf(stderr, "trace found (%zu steps):\n", g_fail_depth);
    for (size_t k = 0; k < g_fail_depth; k++)
        if (g_fail_depth <= 300 || k < 100 || k + 100 >= g_fail_depth)
            fprintf(stderr, "  %3zu. %s\n", k, g_path[k]);
    g_fail_depth = 0;
    if (v != V_LIVELOCK)
        shortest_trace(s, v);
    return false;
}

/* ---- the enumeration ------------------------------------------------------------------------------------- */
static struct msg mk(uint32_t len, int meth, int strat, uint32_t cap)
{
    struct msg m = {len, (uint8_t)meth, (uint8_t)strat, cap, len ? len : 1, UINT32_MAX, len ? len : 1};
    return m;
}

static int add_len(uint32_t *v, int n, uint32_t x, uint32_t lim)
{
    if (x > lim)
        return n;
    for (int i = 0; i < n; i++)
        if (v[i] == x)
            return n;
    v[n] = x;
    return n + 1;
}

/* One message at every 8-aligned offset, lengths at the edges, every way of sending and receiving it. */
static bool enum_single(uint32_t ring)
{
    uint32_t max = ring / 2u;
    for (uint32_t off = 0; off < ring; off += 8) {
        if (g_quick && off % 64 != 0 && off < ring - 32)
            continue;
        struct script s = {0};
        s.ring = ring;
        s.base = (off / 8) % 2 ? 0u - ring + off : off; /* every other offset also wraps the 32-bit indices */
        s.n = 1;
        uint32_t to_end = ring - off, lens[32];
        int nl = 0;
        static const uint32_t edge[] = {0, 1, 7, 8, 9, 255, 256, 257};
        for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++)
            nl = add_len(lens, nl, edge[i], ring - 8);
        nl = add_len(lens, nl, max - 1, ring - 8);
        nl = add_len(lens, nl, max, ring - 8);
        nl = add_len(lens, nl, max + 1, ring - 8);
        nl = add_len(lens, nl, ring - 8, ring - 8);
        if (to_end >= 16) { /* the lengths that just fit, or just miss, before the ring's end */
            nl = add_len(lens, nl, to_end - 8, ring - 8);
            nl = add_len(lens, nl, to_end - 7, ring - 8);
            nl = add_len(lens, nl, to_end - 9, ring - 8);
        }
        if (to_end >= 24)
            nl = add_len(lens, nl, to_end - 16, ring - 8);
        for (int li = 0; li < nl; li++) {
            uint32_t len = lens[li];
            for (int meth = M_SEND; meth <= M_UNK; meth++) {
                if (meth <= M_RESERVE && len > max)
                    continue;
                static const uint32_t pieces[][3] = {{0, 0, 0}, {1, 8, 3}, {8, 64, 24}, {100, 0, 0}};
                int np = meth >= M_DECL ? 4 : 1;
                for (int pi = 0; pi < np; pi++) {
                    if ((pi == 1 && len > 16) || (pi == 2 && len > 128))
                        continue;
                    for (int st = S_RECV; st <= S_TOTAL; st++) {
                        static const uint32_t caps[] = {4096, 3};
                        int nc = st == S_SOME ? 2 : 1;
                        for (int ci = 0; ci < nc; ci++) {
                            if (st == S_SOME && ci == 1 && len > 64)
                                continue;
                            struct msg m = mk(len, meth, st, st == S_SOME ? (ci ? 3u : 64u) : caps[0]);
                            if (pi) {
                                m.small = pieces[pi][0];
                                m.split = pieces[pi][1];
                                m.big = pieces[pi][2] ? pieces[pi][2] : pieces[pi][0];
                            }
                            s.m[0] = m;
                            s.close_at_end = (li + meth + st) % 3 == 0;
                            s.poll = (li + meth + st + ci) % 4 == 1;
                            if (!run_exhaustive(&s))
                                return false;
                        }
                    }
                }
            }
        }
    }
    return true;
}

/* Two messages: the consumer stands inside the first (recv_some with a small cap) while the second is written
 * and ended; the second is taken whole. Lengths around the ring's free space. */
static bool enum_pairs(uint32_t ring)
{
    uint32_t max = ring / 2u;
    static const uint32_t offs[] = {0, 8, 248, 504, 512, 1000};
    for (size_t oi = 0; oi < sizeof offs / sizeof offs[0]; oi++) {
        if (offs[oi] >= ring)
            continue;
        struct script s = {0};
        s.ring = ring;
        s.base = offs[oi];
        s.n = 2;
        static const uint32_t first[] = {13, 300, 493, 500};
        for (size_t fi = 0; fi < sizeof first / sizeof first[0]; fi++) {
            for (uint32_t second = max - 15; second <= max; second += g_full ? 1u : 2u) {
                for (int meth2 = M_SEND; meth2 <= M_UNK; meth2++) {
                    if (meth2 == M_MORE || meth2 == M_RESERVE)
                        continue;
                    s.m[0] = mk(first[fi], fi % 2 ? M_SEND : M_DECL, S_SOME, 37);
                    s.m[1] = mk(second, meth2, fi % 2 ? S_RECV : S_PEEK, 4096);
                    s.close_at_end = fi == 3;
                    s.poll = meth2 == M_UNK;
                    if (!run_exhaustive(&s))
                        return false;
                }
            }
        }
    }
    return true;
}

/* Streams of unknown length whose pieces grow (smaller pieces fill most of the ring, then a big one comes), read
 * by recv: the consumer must answer EMSGSIZE before the producer needs more room than it will ever free. */
static bool enum_growing(uint32_t ring)
{
    struct script s = {0};
    s.ring = ring;
    s.n = 1;
    /* small pieces cost a header each, so the ring fills while the message is still short of max_msg */
    static const uint32_t smalls[] = {8, 7, 9, 16, 1, 12, 40, 56};
    for (uint32_t off = 0; off < ring; off += g_full ? 8u : g_quick ? 136u : 40u) {
        s.base = off;
        for (size_t si = 0; si < (g_quick ? 3u : sizeof smalls / sizeof smalls[0]); si++) {
            for (uint32_t split = ring / 4 + 128; split <= ring / 2; split += g_quick ? 64u : 16u) {
                struct msg m = mk(split + 256, M_UNK, S_RECV, 4096);
                m.small = smalls[si];
                m.split = split;
                m.big = 256;
                s.m[0] = m;
                if (!run_exhaustive(&s))
                    return false;
            }
        }
    }
    return true;
}

/* ---- random runs ----------------------------------------------------------------------------------------- */
static uint64_t rnd(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint32_t rnd_len(uint64_t *x, uint32_t ring)
{
    switch (rnd(x) % 6) {
    case 0: return (uint32_t)(rnd(x) % 17);
    case 1: return ring / 2u - 2u + (uint32_t)(rnd(x) % 5);
    case 2: return ring - 8u - (uint32_t)(rnd(x) % 24);
    default: return (uint32_t)(rnd(x) % (ring + 1));
    }
}

#define LAST_STEPS 256
static char g_last[LAST_STEPS][160]; /* the random run's last steps, for the report */

static void print_last(uint64_t k)
{
    uint64_t from = k > LAST_STEPS ? k - LAST_STEPS : 0;
    fprintf(stderr, "the run's last %" PRIu64 " steps (of %" PRIu64 "):\n", k - from, k);
    for (uint64_t i = from; i < k; i++)
        fprintf(stderr, "  %6" PRIu64 ". %s\n", i, g_last[i % LAST_STEPS]);
}

static bool run_random(struct script *s, uint64_t *x, uint64_t *steps)
{
    setup(s);
    uint64_t limit = 200000;
    for (uint64_t k = 0;; k++) {
        if (prod_done() && cons_done())
            return true;
        if (k == limit) {
            fprintf(stderr, "explore: random run made no end in %" PRIu64 " steps (livelock?)\n", limit);
            print_last(k);
            return false;
        }
        char *lab = g_last[k % LAST_STEPS];
        int side = (int)(rnd(x) % 2);
        if (!side_step(side, lab, 160) && !side_step(1 - side, lab, 160)) {
            fprintf(stderr, "explore: random run stuck with neither side able to move\n");
            print_last(k);
            return false;
        }
        (*steps)++;
        if (g_fail[0] || deadlocked()) {
            fprintf(stderr, "explore: random run: %s\n", g_fail[0] ? g_fail : "DEADLOCK");
            print_last(k + 1);
            return false;
        }
    }
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    double secs = 20;
    uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)clock() << 20);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            secs = atof(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--full"))
            g_full = true;
        else if (!strcmp(argv[i], "--quick"))
            g_quick = true;
        else if (!strcmp(argv[i], "-v"))
            g_verbose = true;
        else if (!strcmp(argv[i], "--count"))
            g_dry = true;
        else if (!strcmp(argv[i], "--preemptions") && i + 1 < argc)
            g_bound = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: explore [--seconds N] [--seed S] [--full] [--quick]\n");
            return 2;
        }
    }
    for (unsigned i = 0; i < PAT_BYTES; i++)
        g_pat[i] = (unsigned char)(i * 131u + (i >> 8) * 7u + 1u);
    double t0 = now_s();
    bool ok = enum_growing(1024) && enum_pairs(1024) && enum_single(1024) && (!g_full || enum_single(2048));
    double t1 = now_s();
    printf("explore: exhaustive: %" PRIu64 " scenarios, %" PRIu64 " states, deepest path %d steps, %.1f s: %s\n",
           g_scenarios, g_states, g_maxdepth, t1 - t0, ok ? "no deadlock, no livelock, every byte right" : "FAILED");
    if (!ok)
        return 1;
    printf("explore: random part, seed %" PRIu64 " (rerun: --seed %" PRIu64 ")\n", seed, seed);
    uint64_t x = seed, runs = 0, steps = 0, msgs = 0;
    while (now_s() - t1 < secs) {
        static struct script s;
        memset(&s, 0, sizeof s);
        s.ring = 1024u << (rnd(&x) % 3);
        s.base = (uint32_t)(rnd(&x) % 2 ? rnd(&x) : 0) & ~7u;
        s.n = 8 + (int)(rnd(&x) % (MAX_MSGS - 8));
        s.close_at_end = rnd(&x) % 2;
        s.poll = rnd(&x) % 4 == 0;
        for (int i = 0; i < s.n; i++) {
            struct msg *m = &s.m[i];
            m->len = rnd_len(&x, s.ring);
            m->meth = (uint8_t)(rnd(&x) % 5);
            if (m->meth <= M_RESERVE && m->len > s.ring / 2u)
                m->meth = M_DECL;
            m->small = 1 + (uint32_t)(rnd(&x) % 64);
            m->split = (uint32_t)(rnd(&x) % (m->len + 1));
            m->big = 1 + (uint32_t)(rnd(&x) % s.ring);
            m->strat = (uint8_t)(rnd(&x) % 4);
            m->cap = m->strat == S_SOME ? 1 + (uint32_t)(rnd(&x) % 100) : (rnd(&x) % 4 ? 4096u : m->len);
            if (m->cap == 0)
                m->cap = 1;
        }
        uint64_t before = x;
        if (!run_random(&s, &x, &steps)) {
            print_scenario(&s);
            fprintf(stderr, "(random state before this run: %" PRIu64 ")\n", before);
            return 1;
        }
        runs++;
        msgs += (uint64_t)s.n;
    }
    printf("explore: random: %" PRIu64 " runs, %" PRIu64 " messages, %" PRIu64 " steps: no deadlock, every byte "
           "right\n", runs, msgs, steps);
    return 0;
}
