/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The scribbler: a hostile peer writes into the whole shared region at full speed while the victim runs every
 * kind of call on every lane, and the victim must come out whole, and must hand over exactly what the peer sent.
 *
 * Layout: every ring the victim reads ends at a PROT_NONE page. The core computes all its pointers from the
 * region's base, so the victim's view of a region must be virtually contiguous; and a ring is always followed by
 * more of the region (side B's A->B ring by its own B->A ring, side A's B->A ring by the next lane). So each of the
 * victim's lanes lives in a region of its own, in a memfd mapped twice (tests/hostile/guard_map.h): the adversary
 * maps the whole file read-write; the victim's view maps the same pages only up to the end of the one ring that
 * lane guards, placed in the file so that this end falls on a page boundary, and is PROT_NONE from there on. A
 * byte read past the ring is a SIGSEGV (reported with the seed, or by ASan). Lanes (region lanes, lane, side):
 *   0: 1, 0, A  send and receive; the guard follows its receive ring (B->A), the region's end
 *   1: 2, 1, B  receive only: the guard follows its receive ring (A->B) and covers its own B->A ring
 *   2: 3, 2, A  send and receive, as lane 0 but behind two other lanes
 *   3: 2, 0, B  receive only, as lane 1 but with a lane after it
 *   4: 2, 1, B  send only: the guard follows its send ring (B->A), so a write past it faults too
 *   5: 1, 0, A  send only: the guard follows its send ring (A->B) and covers its receive ring
 * The slack below each region's start (in its first page) holds a canary, checked at the end and poisoned for
 * ASan in the victim's view; the page below the view is PROT_NONE. Receive buffers end at a guard page too.
 *
 * The adversary thread stands in for a compromised peer. Most of the time it behaves like an honest one (writes
 * valid messages, whole and in fragments, published whole or in pieces, and consumes what the victim sends) so
 * that the victim gets deep into its message paths; in between it makes smart moves: indices ahead by a ring + 8,
 * behind, near 2^32, misaligned; record lengths just past the remaining space; unknown flags, PAD records where
 * none may be; totals that disagree with the fragments; a fragment chain that never ends; record headers
 * rewritten while the victim may be reading them; the waiting, want_cons, bell and state words flipped; and plain
 * noise anywhere, the header and the victim's own words included.
 *
 * The victim asserts, for every call: it returns (a watchdog fails the test if one call takes more than a
 * generous bound: a hang detector, not a speed check), its result is one the API documents for that call, once
 * it has said TZCHAN_EPROTO every call says TZCHAN_EPROTO (and no call returns success while the endpoint is
 * broken), and a message handed over has the length the victim's checked copy said: recv (and each message of
 * recv_many) <= cap and <= max_msg with nothing written past it, recv_some <= cap and never more than the total
 * its message announced, peek's length <= max_msg with the pointer range inside the lane's receive data area and
 * stable on a second peek, reserve's range inside the send data area. A broken endpoint is reopened (as a port would after a reset).
 *
 * Content: every honest message's payload is a pattern of (lane, message number, byte offset), and the adversary
 * logs where each one lies in the stream (the stream positions before it, at its first record and after it) and
 * the lane's byte taint count when it began writing it. The taint count goes odd before every move that writes
 * anything the victim's receive side reads other than honestly (any attack except those on the victim's send
 * ring, the doorbell words and the state word; the adversary's own resynchronisations and lane resets) and even
 * after it; the byte taint count moves too if the move may rewrite bytes of messages already written: noise in the
 * ring or anywhere, a header written without asking for room, anything that may change the victim's consumer
 * index word (our honest writes size their room by it), resynchronisations and resets; the other attacks only
 * move the producer index or append records where there is room. A
 * delivery (recv, a whole message from recv_some, peek) is content-checked when (1) the taint count read after it
 * returned is even and the same as before the victim's latest open of the lane (the victim reopens, when idle,
 * soon after a taint, to get a fresh view), (2) the victim's own consumer index stood at a logged message's
 * position before (or at its first record, past a PAD) before the call that delivered its first byte and at its
 * end after the call that delivered its last, and (3) the byte taint count has not moved since that message was
 * begun. A checked delivery must have exactly the message's length and bytes: a correct core cannot do otherwise,
 * since every byte it consumed was written honestly, once, and published after it was written, and its view of
 * the indices was taken after the last dishonest write. The share of deliveries checked is printed; a wrong one
 * fails the run.
 *
 * Usage: scribbler [seconds, default 5] [seed, default or "-" from the clock] [move to focus on, 0..21]. Prints the
 * seed and the counts. With a move, two attacks in three are that move, every whole honest message is
 * self-published, and the adversary pauses between such a record's payload and its header (see g_focus).
 * Exit 0 pass, 1 fail.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../common/check.h"
#include "guard_map.h"
#include "tzchan/tzchan.h"
#include "tzchan/wire.h"

#if defined(__SANITIZE_ADDRESS__)
#define SCRIB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SCRIB_ASAN 1
#endif
#endif
#ifdef SCRIB_ASAN
#include <sanitizer/asan_interface.h>
#endif

#define LANES 6u /* the victim's lanes, one region each */
#define RING 1024u
#define MAX_MSG (RING / 2u)
#define CALL_LIMIT_NS (20ull * 1000000000ull) /* one call taking 20 s is a hang, whatever the machine's load */
#define CANARY 0x5au
#define NO_GEN UINT64_MAX

enum role { ROLE_BOTH, ROLE_RECV, ROLE_SEND };
struct lane_cfg {
    uint32_t lanes, lane; /* the region's lane count, and the victim's lane in it */
    enum tzchan_side side;
    enum role role;
};
static const struct lane_cfg g_cfg[LANES] = {
    {1, 0, TZCHAN_SIDE_A, ROLE_BOTH}, {2, 1, TZCHAN_SIDE_B, ROLE_RECV}, {3, 2, TZCHAN_SIDE_A, ROLE_BOTH},
    {2, 0, TZCHAN_SIDE_B, ROLE_RECV}, {2, 1, TZCHAN_SIDE_B, ROLE_SEND}, {1, 0, TZCHAN_SIDE_A, ROLE_SEND},
};
static const char *const role_name[] = {"send+recv", "recv only", "send only"};

struct region {
    struct guard_region g;
    unsigned char header[TZCHAN_WIRE_HEADER_BYTES]; /* pristine header, for the adversary to restore */
};
static struct region g_reg[LANES];
static uint64_t g_seed;
/* Focus mode (third argument): two attacks in three are this move; every whole honest message is self-published,
 * and the adversary pauses between a self-published record's payload and its header, as a preempted peer would,
 * so that the victim often reads the header's place while the record is being written. -1: off. */
static int g_focus = -1;
static atomic_bool g_stop;
/* Per lane: odd while the adversary writes anything but honest traffic into what the victim receives; every such
 * move adds 2 (see the top comment). Written by the adversary only. */
static _Atomic uint64_t g_taint[LANES];
/* Per lane: how many of those moves may have rewritten bytes of honest messages already written (noise in the
 * ring, the adversary rewriting from the victim's consumer index); the others only append records after them or
 * move indices. Written by the adversary only. */
static _Atomic uint64_t g_btaint[LANES];

/* ---- failing with the seed --------------------------------------------------------------------------------- */
static void fail(const char *what, unsigned lane, const char *call, int64_t got)
{
    fprintf(stderr, "scribbler: FAIL (seed %" PRIu64 "): lane %u, %s: %s (result %" PRId64 ")\n", g_seed, lane,
            call, what, got);
    fflush(stderr);
    _exit(T_EXIT_FAIL);
}

#define VCHECK(cond, lane, call, got)                                                                              \
    do {                                                                                                           \
        if (!(cond))                                                                                               \
            fail(#cond, (lane), (call), (int64_t)(got));                                                           \
    } while (0)

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    char msg[200];
    int n = snprintf(msg, sizeof msg, "scribbler: FAIL (seed %" PRIu64 "): signal %d at %p\n", g_seed, sig,
                     si->si_addr);
    if (n > 0)
        (void)!write(2, msg, (size_t)n);
    for (unsigned l = 0; l < LANES; l++)
        if (guard_region_hit(&g_reg[l].g, si->si_addr)) {
            n = snprintf(msg, sizeof msg, "scribbler: the victim touched the guard page after lane %u's %s ring\n",
                         l, g_cfg[l].role == ROLE_SEND ? "send" : "receive");
            if (n > 0)
                (void)!write(2, msg, (size_t)n);
        }
    _exit(T_EXIT_FAIL);
}

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* ---- the layout, computed here independently of the core ---------------------------------------------------- */
#define STRIDE (TZCHAN_WIRE_LANE_CTRL + 2u * RING)
static enum tzchan_side victim_side(unsigned l)
{
    return g_cfg[l].side;
}
/* The lane's start in the adversary's view (adv) or the victim's (vic). */
static unsigned char *lane_at(unsigned l, bool vic)
{
    return (vic ? g_reg[l].g.vic : g_reg[l].g.adv) + TZCHAN_WIRE_HEADER_BYTES + (size_t)g_cfg[l].lane * STRIDE;
}
struct lview {
    uint32_t *v_txprod, *v_rxcons; /* written by the victim */
    uint32_t *a_rxprod, *a_txcons; /* written by the adversary: the victim reads them */
    struct tzchan_wire_sleep *v_sleep, *a_sleep;
    unsigned char *v_txdata, *v_rxdata;
};
/* The lane's words and data areas, in the adversary's view or in the victim's. */
static struct lview view_in(unsigned l, bool vic)
{
    unsigned char *b = lane_at(l, vic);
    struct tzchan_wire_lane *w = (struct tzchan_wire_lane *)(void *)b;
    struct lview v;
    bool a = victim_side(l) == TZCHAN_SIDE_A;
    v.v_txprod = a ? &w->ab_prod.value : &w->ba_prod.value;
    v.a_txcons = a ? &w->ab_cons.value : &w->ba_cons.value;
    v.a_rxprod = a ? &w->ba_prod.value : &w->ab_prod.value;
    v.v_rxcons = a ? &w->ba_cons.value : &w->ab_cons.value;
    v.v_sleep = a ? &w->sleep_a : &w->sleep_b;
    v.a_sleep = a ? &w->sleep_b : &w->sleep_a;
    v.v_txdata = b + TZCHAN_WIRE_LANE_CTRL + (a ? 0u : RING);
    v.v_rxdata = b + TZCHAN_WIRE_LANE_CTRL + (a ? RING : 0u);
    return v;
}
static struct lview view(unsigned l)
{
    return view_in(l, false);
}

/* The adversary's word accesses: 32-bit atomics, so the test itself has no torn words (the bytes it scribbles
 * with memcpy are meant to be torn). */
static uint32_t ld(const uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}
static void st(uint32_t *p, uint32_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELAXED);
}
static void st_rel(uint32_t *p, uint32_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}
static void st_at(unsigned char *p, uint32_t v)
{
    st((uint32_t *)(void *)p, v);
}

/* ---- honest messages: their bytes, and where they lie ------------------------------------------------------- */
/* Byte `at` onwards of the payload of the adversary's honest message number `seq` on lane l. */
static void pat_fill(unsigned char *b, size_t n, unsigned l, uint64_t seq, uint64_t at)
{
    t_fill(b, n, g_seed ^ (seq * 0x100000001b3ull + l + 1) * 0x9e3779b97f4a7c15ull, at);
}

/* The log of honest messages, per lane, indexed by the stream position after the message. An entry is a small
 * seqlock (ver odd while the adversary rewrites it), since the victim may read an entry being reused. */
#define LOG_N 1024u
struct logent {
    _Atomic uint32_t ver, before, start, end, len;
    _Atomic uint64_t seq, epoch;
};
struct logval {
    uint32_t before, start, end, len;
    uint64_t seq, epoch; /* epoch: the lane's byte taint count when the message was begun */
};
static struct logent g_log[LANES][LOG_N];

static void log_put(unsigned l, const struct logval *m)
{
    struct logent *e = &g_log[l][(m->end >> 3) & (LOG_N - 1u)];
    uint32_t v = atomic_load_explicit(&e->ver, memory_order_relaxed);
    atomic_store_explicit(&e->ver, v + 1u, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&e->before, m->before, memory_order_relaxed);
    atomic_store_explicit(&e->start, m->start, memory_order_relaxed);
    atomic_store_explicit(&e->end, m->end, memory_order_relaxed);
    atomic_store_explicit(&e->len, m->len, memory_order_relaxed);
    atomic_store_explicit(&e->seq, m->seq, memory_order_relaxed);
    atomic_store_explicit(&e->epoch, m->epoch, memory_order_relaxed);
    atomic_store_explicit(&e->ver, v + 2u, memory_order_release);
}

static bool log_get(unsigned l, uint32_t end, struct logval *m)
{
    struct logent *e = &g_log[l][(end >> 3) & (LOG_N - 1u)];
    uint32_t v1 = atomic_load_explicit(&e->ver, memory_order_acquire);
    m->before = atomic_load_explicit(&e->before, memory_order_relaxed);
    m->start = atomic_load_explicit(&e->start, memory_order_relaxed);
    m->end = atomic_load_explicit(&e->end, memory_order_relaxed);
    m->len = atomic_load_explicit(&e->len, memory_order_relaxed);
    m->seq = atomic_load_explicit(&e->seq, memory_order_relaxed);
    m->epoch = atomic_load_explicit(&e->epoch, memory_order_relaxed);
    atomic_thread_fence(memory_order_acquire);
    uint32_t v2 = atomic_load_explicit(&e->ver, memory_order_relaxed);
    return v1 == v2 && (v1 & 1u) == 0 && v1 != 0 && m->end == end;
}

/* ---- the adversary ------------------------------------------------------------------------------------------ */
struct adv_lane {
    uint32_t P;              /* where our next record goes (our private producer index) */
    unsigned endless;        /* > 0: a message of unknown length is open and gets fragments, never a LAST */
    unsigned restore_in;     /* iterations until the state word is put back */
    unsigned header_restore; /* iterations until the region's header is put back */
    uint64_t seq;            /* number of our next honest message */
    uint64_t vcalls_seen;    /* the victim's call count on this lane at our last attack */
};
struct adv {
    uint64_t rng;
    struct adv_lane lane[LANES];
    uint64_t moves[32], honest_msgs, taints, resyncs, resets;
};
static struct adv g_adv;
static atomic_bool g_down[LANES]; /* the victim cannot reopen this lane: the adversary resets it */
/* Calls the victim has made on each lane. The adversary attacks a lane only after the victim made ATTACK_GAP
 * calls on it since the last attack, so the density of attacks among the victim's calls does not depend on how
 * the machine's load shares the CPU between the two threads (a starved victim would otherwise meet nothing but
 * the aftermath of attacks). */
static _Atomic uint64_t g_vcalls[LANES];
#ifndef ATTACK_GAP
#define ATTACK_GAP 4u
#endif

static uint32_t rnd(struct adv *a, uint32_t n)
{
    return n ? (uint32_t)(t_rand(&a->rng) % n) : 0;
}

/* A move that writes what the victim receives other than honestly begins: the count goes odd (and the byte count
 * moves if it may rewrite bytes of messages already written). The full fence orders the counts before the move's
 * stores, so a victim that read any of them sees the counts change. */
static void taint_begin(struct adv *a, unsigned l, bool bytes)
{
    if (bytes)
        atomic_fetch_add(&g_btaint[l], 1);
    atomic_fetch_add(&g_taint[l], 1);
    atomic_thread_fence(memory_order_seq_cst);
    a->taints++;
}

static void adv_zero_ahead(unsigned l, uint32_t P);

/* ... and ends. If the move left the producer index ahead of where our next record would go (within a ring: a
 * value the victim may accept), the next record goes after it, so an honest write never lands in bytes the
 * victim may already count as published. Then rule Z holds again at P, as an honest producer keeps it: the 8
 * bytes there are zero, whatever the move wrote there or an earlier lap left there (a move that moves P, a
 * header written at P, noise). Without it, the victim reaching P finds the header of a record a lap old,
 * self-published, and takes it as the honest message being written there (a wrong length, nothing scribbled
 * since). If P's 8 bytes are not free (the victim's consumer index is less than 8 bytes of free space behind),
 * zeroing them rewrites a written message's header: the byte taint count moves first. */
static void taint_end(struct adv *a, unsigned l)
{
    struct adv_lane *al = &a->lane[l];
    uint32_t q = ld(view(l).a_rxprod);
    if (q - al->P - 1u < RING)
        al->P = (q + 7u) & ~7u;
    if (al->P - ld(view(l).v_rxcons) > RING - 8u)
        atomic_fetch_add(&g_btaint[l], 1);
    adv_zero_ahead(l, al->P);
    atomic_thread_fence(memory_order_seq_cst);
    atomic_fetch_add(&g_taint[l], 1);
}

/* Resets a lane the victim cannot reopen, as a peer restarting its side would: a valid header, consistent
 * indices where they stand, the peer open and not waiting. */
/* Rule Z: the 8 bytes at P (the next header's place) zero, so the victim finds "nothing yet" there and never what
 * an earlier lap left (the adversary's records are published by prod; only its noise can look self-published). */
static void adv_zero_ahead(unsigned l, uint32_t P)
{
    memset(view(l).v_rxdata + (P & (RING - 1u)), 0, 8);
}

static void adv_reset_lane(struct adv *a, unsigned l)
{
    struct lview v = view(l);
    taint_begin(a, l, true);
    a->resets++;
    memcpy(g_reg[l].g.adv, g_reg[l].header, TZCHAN_WIRE_HEADER_BYTES);
    uint32_t c = ld(v.v_rxcons) & ~7u, p = ld(v.v_txprod) & ~7u;
    st(v.v_rxcons, c);
    st(v.v_txprod, p);
    st(v.a_txcons, p);
    adv_zero_ahead(l, c);
    st_rel(v.a_rxprod, c);
    st(&v.a_sleep->waiting, 0);
    st(&v.a_sleep->state, TZCHAN_WIRE_STATE_OPEN);
    a->lane[l].P = c;
    a->lane[l].endless = 0;
    taint_end(a, l);
    atomic_store(&g_down[l], false);
}

/* Brings P back to a plausible place (the victim's published consumer index, rounded up to a record boundary)
 * if it is not one. Rewriting from
 * there may overwrite published bytes, so this is a taint; the new P is published at once, so that a victim that
 * opens afterwards never counts the old bytes as published. */
static void adv_sync(struct adv *a, unsigned l)
{
    struct lview v = view(l);
    uint32_t c = ld(v.v_rxcons);
    struct adv_lane *al = &a->lane[l];
    if (al->P - c > RING || (al->P & 7u) != 0) { /* c itself may stand inside a record: recv_some */
        taint_begin(a, l, true);
        a->resyncs++;
        al->P = (c + 7u) & ~7u;
        al->endless = 0;
        adv_zero_ahead(l, al->P);
        st_rel(v.a_rxprod, al->P);
        taint_end(a, l);
    }
}

/* Bytes an honest producer may write at P: the ring less what the victim has not released, less the 8 bytes of
 * the zero ahead (wire format version 2, PROTOCOL.md s.9.2 rules Z and Z'). */
static uint32_t adv_free(unsigned l, uint32_t P)
{
    uint32_t c = ld(view(l).v_rxcons);
    uint32_t used = P - c;
    return used > RING - 8u ? 0 : RING - 8u - used;
}


static uint32_t rec_hdr(uint32_t flags)
{
    return ((flags & TZCHAN_WIRE_REC_FIRST) && !(flags & TZCHAN_WIRE_REC_LAST)) ? 16u : 8u;
}

/* Writes one record at P (a PAD first if it would cross the ring's end), the whole record with its padding.
 * Payload: the honest pattern of message `seq` from byte `at` if honest, else noise. Returns false if there is no
 * room; *start (if not NULL) gets the record's position. */
static bool adv_record_at(struct adv *a, unsigned l, uint32_t flags, uint32_t len, uint64_t total, bool honest,
                          uint64_t seq, uint64_t at, uint32_t *start)
{
    struct lview v = view(l);
    struct adv_lane *al = &a->lane[l];
    uint32_t hdr = rec_hdr(flags);
    uint32_t span = hdr + ((len + 7u) & ~7u);
    uint32_t off = al->P & (RING - 1u), to_end = RING - off;
    uint32_t need = span > to_end ? to_end + span : span;
    /* an honest message's room was checked for all its records at once (adv_fits): do not look again, since a
     * consumer index the victim republishes after a scribble may seem to move back */
    if (span > RING || (!honest && adv_free(l, al->P) < need))
        return false;
    if (span > to_end) {
        st_at(v.v_rxdata + off, to_end - 8u);
        st_at(v.v_rxdata + off + 4, TZCHAN_WIRE_REC_PAD);
        memset(v.v_rxdata + off + 8, 0, to_end - 8u);
        al->P += to_end;
        off = 0;
    }
    if (start != NULL)
        *start = al->P;
    unsigned char *p = v.v_rxdata + off;
    if (flags & TZCHAN_WIRE_REC_SELF) { /* self-published (version 2, rule S): the whole record, then its header */
        if (honest)
            pat_fill(p + hdr, len, l, seq, at);
        else
            t_fill(p + hdr, len, a->rng, 0);
        memset(p + hdr + len, 0, span - hdr - len);
        adv_zero_ahead(l, al->P + span);
        if (g_focus >= 0) /* a preempted peer: the record written, its header not yet */
            for (volatile unsigned d = 0; d < 3000u; d++)
                ;
        st_at(p, len);
        st_rel((uint32_t *)(void *)(p + 4), flags); /* release: the record before its flags */
        al->P += span;
        return true;
    }
    st_at(p, len);
    st_at(p + 4, flags);
    if (hdr == 16u) {
        st_at(p + 8, (uint32_t)total);
        st_at(p + 12, (uint32_t)(total >> 32));
    }
    if (honest)
        pat_fill(p + hdr, len, l, seq, at);
    else
        t_fill(p + hdr, len, a->rng, 0);
    memset(p + hdr + len, 0, span - hdr - len);
    al->P += span;
    adv_zero_ahead(l, al->P);
    return true;
}

static bool adv_record(struct adv *a, unsigned l, uint32_t flags, uint32_t len, uint64_t total)
{
    return adv_record_at(a, l, flags, len, total, false, 0, 0, NULL);
}

static void adv_publish(struct adv *a, unsigned l)
{
    st_rel(view(l).a_rxprod, a->lane[l].P);
}

/* Would records of these lengths (the first with a 16-byte header if multi), PADs included, fit now? */
static bool adv_fits(unsigned l, uint32_t P, const uint32_t *lens, uint32_t n, bool multi)
{
    uint32_t free = adv_free(l, P), need = 0, pos = P;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t span = (multi && i == 0 ? 16u : 8u) + ((lens[i] + 7u) & ~7u), to_end = RING - (pos & (RING - 1u));
        if (span > RING)
            return false;
        if (span > to_end) {
            need += to_end;
            pos += to_end;
        }
        need += span;
        pos += span;
    }
    return need <= free;
}

/* An honest message: one record, or a declared or undeclared message in several fragments. It is written only if
 * it fits whole, and published at record boundaries, inside a payload, or whole; logged before it is complete. */
static void adv_honest_send(struct adv *a, unsigned l)
{
    struct adv_lane *al = &a->lane[l];
    adv_sync(a, l);
    if (al->endless) { /* keep the endless message going: fragments, never a LAST */
        if (adv_record(a, l, 0, rnd(a, 200), 0))
            adv_publish(a, l);
        al->endless--;
        return;
    }
    uint32_t kind = rnd(a, 8), n = 1, lens[6], sum = 0;
    if (kind < 5) {
        lens[0] = rnd(a, 6) == 0 ? MAX_MSG : rnd(a, 6) == 0 ? 0 : rnd(a, 300);
    } else {
        n = 2 + rnd(a, 4); /* several fragments: lengths chosen first so the declared total is right */
        for (uint32_t i = 0; i < n; i++)
            lens[i] = rnd(a, 120);
    }
    for (uint32_t i = 0; i < n; i++)
        sum += lens[i];
    if (!adv_fits(l, al->P, lens, n, n > 1))
        return;
    /* our own rule Z: the 8 bytes at P are zero before an honest message (every move ends by restoring it), or
     * the victim could take an old header there for this message (mutant: taint_end() without its zeroing) */
    static const unsigned char zero8[8];
    VCHECK(memcmp(view(l).v_rxdata + (al->P & (RING - 1u)), zero8, 8) == 0, l, "adversary: rule Z at P", al->P);
    bool declared = kind != 7;
    struct logval m;
    m.seq = al->seq++;
    m.epoch = atomic_load_explicit(&g_btaint[l], memory_order_relaxed);
    m.before = al->P;
    m.len = sum;
    uint64_t at = 0;
    for (uint32_t i = 0; i < n; i++) {
        /* a whole message is self-published half of the time (wire format version 2), else published by prod */
        uint32_t self = g_focus >= 0 || rnd(a, 2) ? TZCHAN_WIRE_REC_SELF : 0u;
        uint32_t fl = n == 1 ? TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST | self
                             : (i == 0 ? TZCHAN_WIRE_REC_FIRST : 0u) | (i == n - 1 ? TZCHAN_WIRE_REC_LAST : 0u);
        uint32_t rs = 0;
        bool ok = adv_record_at(a, l, fl, lens[i], declared ? sum : TZCHAN_LEN_UNKNOWN, true, m.seq, at, &rs);
        VCHECK(ok, l, "adversary", lens[i]); /* adv_fits() said it fits, and the victim only frees more */
        if (i == 0)
            m.start = rs;
        at += lens[i];
        if (i == n - 1) {
            m.end = al->P;
            log_put(l, &m);
        }
        if (lens[i] > 1 && rnd(a, 4) == 0) /* part of the payload first: the victim may see a partial record */
            st_rel(view(l).a_rxprod, rs + rec_hdr(fl) + rnd(a, lens[i]));
        if (i != n - 1 && rnd(a, 3) == 0)
            adv_publish(a, l); /* the victim sees a partial message */
    }
    a->honest_msgs++;
    adv_publish(a, l);
}

/* Consumes what the victim sent, as an honest peer would. */
static void adv_honest_recv(unsigned l)
{
    struct lview v = view(l);
    uint32_t p = ld(v.v_txprod);
    st_rel(v.a_txcons, p);
}

/* Moves that cannot change what the victim receives: they need no taint. */
static bool move_taints(uint32_t move)
{
    return !(move == 4 || move == 5 || move == 6 || move == 16 || move == 17);
}

/* Tainting moves that cannot rewrite bytes of honest messages already written: they only move the producer index
 * or append records where there is room (adv_record). All others may: a header written at P without asking for
 * room lands on the oldest unconsumed record when the ring is full (7-9); noise in the ring (15, 20); and any move
 * that may change the victim's consumer index word (18-21), since our later honest writes size their room by it. */
static bool move_keeps_bytes(uint32_t move)
{
    return move <= 3 || (move >= 10 && move <= 14);
}

static void adv_attack(struct adv *a, unsigned l)
{
    struct lview v = view(l);
    struct adv_lane *al = &a->lane[l];
    uint32_t c = ld(v.v_rxcons), vp = ld(v.v_txprod);
    uint32_t move = g_focus >= 0 && rnd(a, 3) != 0 ? (uint32_t)g_focus : rnd(a, 22);
    a->moves[move]++;
    adv_sync(a, l);
    bool taint = move_taints(move);
    if (taint)
        taint_begin(a, l, !move_keeps_bytes(move));
    uint32_t off = al->P & (RING - 1u);
    unsigned char *at = v.v_rxdata + off;
    size_t size = g_reg[l].g.size;
    switch (move) {
    case 0: st_rel(v.a_rxprod, c + RING + 8u * (1 + rnd(a, 4))); break;       /* producer a ring + 8 ahead */
    case 1: st_rel(v.a_rxprod, c - 8u * (1 + rnd(a, 4))); break;              /* behind the consumer */
    case 2: st_rel(v.a_rxprod, 0xffffffffu - rnd(a, 64)); break;              /* near 2^32 */
    case 3: st_rel(v.a_rxprod, al->P + 1 + rnd(a, 7)); break;                 /* misaligned */
    case 4: st_rel(v.a_txcons, vp + 8u * (1 + rnd(a, 4))); break;             /* consumer past the producer */
    case 5: st_rel(v.a_txcons, ld(v.a_txcons) - 8u * (1 + rnd(a, 4))); break; /* consumer backwards */
    case 6: st_rel(v.a_txcons, 0x80000000u + vp); break;                      /* far away */
    case 7: /* a record just longer than the space left before the ring's end */
        if (RING - off > 8) {
            st_at(at, RING - off - 8u + 1u + rnd(a, 8));
            st_at(at + 4, TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST);
            st_rel(v.a_rxprod, al->P + (RING - off < adv_free(l, al->P) ? RING - off : 8u));
        }
        break;
    case 8: /* unknown flag bits on a plausible record */
        st_at(at, rnd(a, 64));
        st_at(at + 4, (TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST) | (8u << rnd(a, 28)));
        st_rel(v.a_rxprod, al->P + 8u + 64u);
        break;
    case 9: /* PAD in the wrong place or with the wrong length, or PAD with other flags */
        st_at(at, rnd(a, 2) ? RING - off - 8u + 8u * (1 + rnd(a, 3)) : RING - off - 8u);
        st_at(at + 4, TZCHAN_WIRE_REC_PAD | (rnd(a, 2) ? TZCHAN_WIRE_REC_FIRST : 0u));
        st_rel(v.a_rxprod, al->P + 8u);
        break;
    case 10: /* declared total smaller than the first fragment, or far larger than what follows */
        if (adv_record(a, l, TZCHAN_WIRE_REC_FIRST, 64, rnd(a, 2) ? 8u : 1ull << 40))
            adv_record(a, l, TZCHAN_WIRE_REC_LAST, 16, 0);
        adv_publish(a, l);
        break;
    case 11: /* a new FIRST in the middle of a message, or a LAST with no FIRST */
        if (rnd(a, 2)) {
            if (adv_record(a, l, TZCHAN_WIRE_REC_FIRST, 40, TZCHAN_LEN_UNKNOWN))
                adv_record(a, l, TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST, 40, 40);
        } else {
            adv_record(a, l, TZCHAN_WIRE_REC_LAST, 24, 0);
        }
        adv_publish(a, l);
        break;
    case 12: /* a fragment chain that claims to go on forever */
        if (adv_record(a, l, TZCHAN_WIRE_REC_FIRST, 8, TZCHAN_LEN_UNKNOWN))
            al->endless = 200 + rnd(a, 2000);
        adv_publish(a, l);
        break;
    case 13: /* one record larger than max_msg: legal, recv says EMSGSIZE, recv_some reads it */
        if (adv_record(a, l, TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST, MAX_MSG + 8u + rnd(a, 200), 0))
            adv_publish(a, l);
        break;
    case 14: { /* a published header rewritten while the victim may be reading it */
        uint32_t good = rnd(a, 200);
        if (!adv_record(a, l, TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST, good, good))
            break;
        adv_publish(a, l);
        unsigned char *h = v.v_rxdata + ((al->P - ((good + 7u) & ~7u) - 8u) & (RING - 1u));
        uint32_t bad = rnd(a, 2) ? RING * 4u : RING - 8u;
        for (unsigned i = 0, k = 500 + rnd(a, 4000); i < k; i++) {
            st_at(h, (i & 1) ? bad : good);
            st_at(h + 4, (i & 2) ? TZCHAN_WIRE_REC_FIRST : TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST);
        }
        if (rnd(a, 2)) {
            st_at(h, good);
            st_at(h + 4, TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST);
        }
        break;
    }
    case 15: /* payload rewritten under the victim's copy */
        for (unsigned i = 0, k = 100 + rnd(a, 1000); i < k; i++)
            v.v_rxdata[rnd(a, RING)] = (unsigned char)t_rand(&a->rng);
        break;
    case 16: /* the peer's waiting word, want_cons and bell: flipped and random */
        st(&v.a_sleep->waiting, rnd(a, 2) ? (uint32_t)t_rand(&a->rng) : ld(&v.a_sleep->waiting) ^ 3u);
        st(&v.a_sleep->want_cons, rnd(a, 2) ? vp + rnd(a, 2 * RING) : (uint32_t)t_rand(&a->rng));
        st(&v.a_sleep->bell, (uint32_t)t_rand(&a->rng));
        break;
    case 17: /* the peer's state: closed, open, garbage; put back later */
        st(&v.a_sleep->state,
           rnd(a, 2) ? TZCHAN_WIRE_STATE_OPEN | TZCHAN_WIRE_STATE_CLOSED : (uint32_t)t_rand(&a->rng));
        al->restore_in = 50 + rnd(a, 500);
        break;
    case 18: /* the victim's own words: its indices and its waiting flag (it must not trust them either) */
        st(rnd(a, 2) ? v.v_txprod : v.v_rxcons, (uint32_t)t_rand(&a->rng));
        st(&v.v_sleep->waiting, ld(&v.v_sleep->waiting) ^ (1u + rnd(a, 3)));
        break;
    case 19: /* every index of the lane moved, consistently, to just before 2^32 (seen at the next reopen) */
    {
        uint32_t x = (0xffffffffu - 2u * RING - 8u * rnd(a, 64)) & ~7u;
        st(v.v_txprod, x);
        st(v.a_txcons, x);
        st(v.v_rxcons, x + 8u * rnd(a, 4));
        st_rel(v.a_rxprod, x + 8u * rnd(a, 4));
        al->P = ld(v.a_rxprod);
        break;
    }
    case 20: /* noise anywhere in the region, the header included */
    {
        size_t n = 1 + rnd(a, 256), o = (size_t)(t_rand(&a->rng) % (size - n));
        for (size_t i = 0; i < n; i++)
            g_reg[l].g.adv[o + i] = (unsigned char)t_rand(&a->rng);
        if (o < TZCHAN_WIRE_HEADER_BYTES)
            al->header_restore = 20 + rnd(a, 500);
        break;
    }
    default: /* noise in this lane's control slots */
    {
        size_t n = 1 + rnd(a, 16), o = rnd(a, (uint32_t)(TZCHAN_WIRE_LANE_CTRL - n));
        for (size_t i = 0; i < n; i++)
            lane_at(l, false)[o + i] = (unsigned char)t_rand(&a->rng);
        al->restore_in = 50 + rnd(a, 500);
        break;
    }
    }
    if (taint)
        taint_end(a, l);
}

static void *adversary(void *arg)
{
    struct adv *a = arg;
    while (!atomic_load_explicit(&g_stop, memory_order_relaxed)) {
        unsigned l = rnd(a, LANES);
        struct adv_lane *al = &a->lane[l];
        if (atomic_load_explicit(&g_down[l], memory_order_relaxed)) {
            adv_reset_lane(a, l);
            continue;
        }
        uint32_t r = rnd(a, 1000);
        if (r < 600 && g_cfg[l].role != ROLE_SEND)
            adv_honest_send(a, l);
        else if (r < 960 && g_cfg[l].role != ROLE_RECV)
            adv_honest_recv(l);
        else if (r >= 960) {
            uint64_t vc = atomic_load_explicit(&g_vcalls[l], memory_order_relaxed);
            if (vc - al->vcalls_seen >= ATTACK_GAP) {
                al->vcalls_seen = vc;
                adv_attack(a, l);
            }
        }
        if (al->restore_in && --al->restore_in == 0)
            st(&view(l).a_sleep->state, TZCHAN_WIRE_STATE_OPEN);
        if (al->header_restore && --al->header_restore == 0)
            memcpy(g_reg[l].g.adv, g_reg[l].header, TZCHAN_WIRE_HEADER_BYTES);
    }
    return NULL;
}

/* ---- the watchdog -------------------------------------------------------------------------------------------- */
static _Atomic uint64_t g_call_t0; /* when the victim's current call started; 0 between calls */
static const char *_Atomic g_call_name;
static _Atomic unsigned g_call_lane;
static uint64_t g_call_max_ns;

static void *watchdog(void *arg)
{
    (void)arg;
    while (!atomic_load(&g_stop)) {
        uint64_t t0 = atomic_load(&g_call_t0);
        if (t0 != 0 && now_ns() - t0 > CALL_LIMIT_NS)
            fail("a call did not return within the bound", atomic_load(&g_call_lane), atomic_load(&g_call_name),
                 (int64_t)((now_ns() - t0) / 1000000u));
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

/* ---- the victim ---------------------------------------------------------------------------------------------- */
enum op {
    OP_SEND,
    OP_SEND_MORE,
    OP_FLUSH,
    OP_RESERVE,
    OP_SEND_BEGIN,
    OP_SEND_SOME,
    OP_SEND_END,
    OP_RECV,
    OP_RECV_MANY,
    OP_SEND_MANY,
    OP_RECV_SOME,
    OP_RECV_TOTAL,
    OP_PEEK,
    OP_RELEASE,
    OP_WAIT,
    OP_OPEN,
    OP_COUNT
};
static const char *const op_name[OP_COUNT] = {
    "send",      "send MORE", "flush",     "reserve/commit", "send_begin", "send_some",
    "send_end",  "recv",      "recv_many", "send_many",      "recv_some",  "recv_total",
    "peek",      "release",   "wait_prepare", "open"};

struct victim_lane {
    struct tzchan ch;
    bool open;
    bool streaming; /* a send_begin is open */
    uint64_t st_total, st_sent;
    bool in_msg; /* recv_some is inside a message */
    uint64_t msg_got, msg_total;
    bool have_total;
    uint64_t violations; /* EPROTO latches seen on this lane */
    uint64_t gen;        /* the taint count (even) before the latest open, or NO_GEN */
    unsigned eproto_run; /* EPROTOs since the last delivery */
    uint32_t msg_before; /* our consumer index before the call that delivered the message's first byte */
    size_t acc_len;      /* bytes of the current recv_some message (kept up to sizeof acc) */
    unsigned char acc[2 * RING];
};

struct victim {
    uint64_t rng;
    struct victim_lane lane[LANES];
    uint64_t calls, ops[OP_COUNT], eproto, reopens, open_refused, delivered_msgs, delivered_bytes;
    uint64_t codes[OP_COUNT][12];
    uint64_t refreshes; /* reopens to get a fresh view after a taint */
    uint64_t restarts;  /* lanes handed back to the adversary after repeated EPROTOs */
    uint64_t content_seen, content_checked, checked_bytes, checked_multi;
    uint64_t many_seen, many_checked, many_checked_batched; /* recv_many's deliveries; checked in calls of >1 */
    /* deliveries not checked, by why: tainted since our open, not logged, begun before the latest byte taint, not
     * where the message began */
    uint64_t unchecked[5];
    unsigned char src[2 * RING];
    unsigned char expect[2 * RING], peeked[RING];
    unsigned char *buf; /* receive buffer; its end abuts a guard page */
    size_t buf_cap;
};
static struct victim g_vic;

static uint32_t vrnd(struct victim *v, uint32_t n)
{
    return n ? (uint32_t)(t_rand(&v->rng) % n) : 0;
}

static void call_begin(enum op op, unsigned l)
{
    atomic_store(&g_call_name, op_name[op]);
    atomic_store(&g_call_lane, l);
    atomic_store(&g_call_t0, now_ns());
}

static void call_end(struct victim *v, enum op op, int64_t code)
{
    uint64_t d = now_ns() - atomic_load(&g_call_t0);
    atomic_store(&g_call_t0, 0);
    atomic_fetch_add_explicit(&g_vcalls[atomic_load(&g_call_lane)], 1, memory_order_relaxed);
    if (d > g_call_max_ns)
        g_call_max_ns = d;
    v->calls++;
    v->ops[op]++;
    int64_t slot = code >= 0 ? 0 : -code;
    if (slot > 11)
        slot = 11;
    v->codes[op][slot]++;
}

/* A receive buffer of cap bytes that ends at the guard page, filled with the canary. */
static unsigned char *rxbuf(struct victim *v, size_t cap)
{
    unsigned char *b = v->buf + v->buf_cap - cap;
    memset(b, CANARY, cap);
    return b;
}

static bool in_range(const void *p, size_t len, const unsigned char *lo, size_t n)
{
    const unsigned char *q = p;
    return q >= lo && len <= n && q + len <= lo + n;
}

/* Our own consumer index, as we published it (our view). */
static uint32_t my_cons(unsigned l)
{
    return ld(view_in(l, true).v_rxcons);
}

/* A message of n bytes (its first min(n, cap) in b) was delivered on lane l, its first byte by a call that began
 * with our consumer index at `before`. Check its bytes if the rule in the top comment says they are known. */
static void content_check_to(struct victim *v, unsigned l, uint32_t before, uint32_t after, const unsigned char *b,
                             uint64_t n, size_t cap, const char *call)
{
    struct victim_lane *vl = &v->lane[l];
    /* acquire: a scribbled byte we copied (or a scribbled index we read) comes with the taint count before it */
    atomic_thread_fence(memory_order_acquire);
    uint64_t e = atomic_load_explicit(&g_taint[l], memory_order_relaxed);
    uint64_t eb = atomic_load_explicit(&g_btaint[l], memory_order_relaxed);
    v->content_seen++;
    vl->eproto_run = 0;
    struct logval m;
    int why = vl->gen == NO_GEN || e != vl->gen           ? 0
              : !log_get(l, after, &m)                    ? 1
              : m.epoch != eb                             ? 2
              : (before != m.before && before != m.start) ? 3
                                                          : 4;
    v->unchecked[why]++;
    if (why != 4)
        return;
    v->content_checked++;
    v->checked_bytes += n;
    if (m.end - m.start > 8u + ((m.len + 7u) & ~7u))
        v->checked_multi++;
    if (n != m.len || n > cap) {
        fprintf(stderr,
                "scribbler: lane %u, honest message %" PRIu64 " (stream %" PRIu32 "..%" PRIu32 ", %" PRIu32
                " bytes) delivered with %" PRIu64 " bytes\n",
                l, m.seq, m.start, m.end, m.len, n);
        fail("a message arrived with another length than the peer sent, nothing scribbled since", l, call,
             (int64_t)n);
    }
    pat_fill(v->expect, (size_t)n, l, m.seq, 0);
    for (size_t i = 0; i < n; i++)
        if (b[i] != v->expect[i]) {
            fprintf(stderr,
                    "scribbler: lane %u, honest message %" PRIu64 " (stream %" PRIu32 "..%" PRIu32 ", %" PRIu32
                    " bytes): byte %zu is 0x%02x, sent 0x%02x\n",
                    l, m.seq, m.start, m.end, m.len, i, b[i], v->expect[i]);
            fail("a message arrived with other bytes than the peer sent, nothing scribbled since", l, call,
                 (int64_t)i);
        }
}

static void content_check(struct victim *v, unsigned l, uint32_t before, const unsigned char *b, uint64_t n,
                          size_t cap, const char *call)
{
    content_check_to(v, l, before, my_cons(l), b, n, cap, call);
}

/* Once broken, every call says EPROTO. */
static void check_latched(struct victim *v, unsigned l)
{
    struct tzchan *ch = &v->lane[l].ch;
    unsigned char b[16];
    size_t len;
    bool eom;
    uint64_t total;
    VCHECK(tzchan_error(ch) == TZCHAN_EPROTO, l, "tzchan_error after EPROTO", tzchan_error(ch));
    VCHECK(tzchan_send(ch, b, 1) == TZCHAN_EPROTO, l, "send after EPROTO", 0);
    VCHECK(tzchan_send_flags(ch, b, 1, TZCHAN_MORE) == TZCHAN_EPROTO, l, "send MORE after EPROTO", 0);
    VCHECK(tzchan_flush(ch) == TZCHAN_EPROTO, l, "flush after EPROTO", 0);
    VCHECK(tzchan_recv(ch, b, sizeof b) == TZCHAN_EPROTO, l, "recv after EPROTO", 0);
    VCHECK(tzchan_recv_some(ch, b, sizeof b, &eom) == TZCHAN_EPROTO, l, "recv_some after EPROTO", 0);
    VCHECK(tzchan_recv_total(ch, &total) == TZCHAN_EPROTO, l, "recv_total after EPROTO", 0);
    VCHECK(tzchan_peek(ch, &len) == NULL && tzchan_error(ch) == TZCHAN_EPROTO, l, "peek after EPROTO", 0);
    VCHECK(tzchan_release(ch) == TZCHAN_EPROTO, l, "release after EPROTO", 0);
    VCHECK(tzchan_reserve(ch, 8) == NULL && tzchan_error(ch) == TZCHAN_EPROTO, l, "reserve after EPROTO", 0);
    VCHECK(tzchan_commit(ch, 0) == TZCHAN_EPROTO, l, "commit after EPROTO", 0);
    VCHECK(tzchan_send_begin(ch, 1) == TZCHAN_EPROTO, l, "send_begin after EPROTO", 0);
    VCHECK(tzchan_send_some(ch, b, 1) == TZCHAN_EPROTO, l, "send_some after EPROTO", 0);
    VCHECK(tzchan_send_end(ch) == TZCHAN_EPROTO, l, "send_end after EPROTO", 0);
    VCHECK(tzchan_wait_prepare(ch, TZCHAN_WAIT_DATA) == TZCHAN_EPROTO, l, "wait_prepare after EPROTO", 0);
    VCHECK(tzchan_error(ch) == TZCHAN_EPROTO, l, "tzchan_error stays EPROTO", tzchan_error(ch));
}

/* Every call's result: is it EPROTO (latch and reopen later), or one the API documents? */
static bool saw_eproto(struct victim *v, unsigned l, int64_t code)
{
    struct victim_lane *vl = &v->lane[l];
    if (code != TZCHAN_EPROTO && tzchan_error(&vl->ch) == TZCHAN_EPROTO)
        fail("a call returned something else while the endpoint turned broken", l, "any", code);
    if (code != TZCHAN_EPROTO)
        return false;
    v->eproto++;
    vl->violations++;
    check_latched(v, l);
    vl->open = false;
    /* a lane that keeps breaking without delivering anything holds garbage the victim cannot get past: ask the
     * peer to restart it (the adversary resets it, as for a refused open) */
    if (++vl->eproto_run >= 3) {
        vl->eproto_run = 0;
        v->restarts++;
        atomic_store(&g_down[l], true);
    }
    return true;
}

static void victim_open(struct victim *v, unsigned l)
{
    struct victim_lane *vl = &v->lane[l];
    call_begin(OP_OPEN, l);
    uint64_t g = atomic_load(&g_taint[l]); /* seq_cst: before open reads anything */
    int e = tzchan_open(&vl->ch, g_reg[l].g.vic, g_reg[l].g.size, victim_side(l), g_cfg[l].lane);
    call_end(v, OP_OPEN, e);
    VCHECK(e == 0 || e == TZCHAN_EPROTO || e == TZCHAN_EVERSION || e == TZCHAN_EINVAL, l, "open", e);
    if (e != 0) {
        v->open_refused++;
        atomic_store(&g_down[l], true);
        sched_yield(); /* let the adversary reset the lane rather than spin on it */
        return;
    }
    VCHECK(tzchan_max_msg(&vl->ch) == MAX_MSG, l, "max_msg after open", tzchan_max_msg(&vl->ch));
    v->reopens++;
    vl->gen = (g & 1u) ? NO_GEN : g;
    vl->open = true;
    vl->streaming = vl->in_msg = false;
}

/* tzchan_recv_many into up to 4 entries carved from the receive buffer (the last ending at its guard page), some
 * smaller than a message may be. Each message delivered is checked as recv's is: its length within its entry's cap
 * and max_msg, nothing written past it, and its bytes, when the rule of the top comment says they are known: the
 * call's consumer index before it and after it bound the run of messages, the adversary's log gives each logged
 * message's start (walking back from the end), and when that walk lands where the call began, each message is
 * checked between its own two positions. */
static void victim_recv_many(struct victim *v, unsigned l)
{
    struct victim_lane *vl = &v->lane[l];
    struct tzchan_in in[4];
    size_t n = 1 + vrnd(v, 4), end = v->buf_cap;
    for (size_t i = n; i-- > 0;) { /* from the end of the buffer down: entry n - 1 abuts the guard page */
        size_t cap = vrnd(v, 3) == 0 ? vrnd(v, 64) : MAX_MSG;
        end -= cap;
        in[i].buf = v->buf + end;
        in[i].cap = cap;
        in[i].len = SIZE_MAX;
        memset(in[i].buf, CANARY, cap);
    }
    uint32_t before = my_cons(l);
    call_begin(OP_RECV_MANY, l);
    int64_t got = tzchan_recv_many(&vl->ch, in, n);
    call_end(v, OP_RECV_MANY, got);
    if (saw_eproto(v, l, got))
        return;
    VCHECK(got == TZCHAN_EAGAIN || got == TZCHAN_EMSGSIZE || got == TZCHAN_EPIPE || (got >= 1 && (size_t)got <= n),
           l, "recv_many", got);
    if (got < 1)
        return;
    uint32_t ends[4] = {0, 0, 0, 0};
    size_t r = (size_t)got, known; /* ends[known..r) are known: the positions after those messages */
    ends[r - 1] = my_cons(l);
    for (size_t i = 0; i < r; i++) {
        VCHECK(in[i].len <= in[i].cap && in[i].len <= MAX_MSG, l, "recv_many: a length over its cap or max_msg",
               (int64_t)in[i].len);
        const unsigned char *b = in[i].buf;
        for (size_t j = in[i].len; j < in[i].cap; j++)
            VCHECK(b[j] == CANARY, l, "recv_many wrote past the length it returned", (int64_t)j);
        v->delivered_msgs++;
        v->delivered_bytes += in[i].len;
    }
    known = r - 1;
    for (size_t i = r - 1; i > 0; i--) {
        struct logval m;
        if (!log_get(l, ends[i], &m))
            break;
        ends[i - 1] = m.before; /* where message i (its PAD included) began: where message i - 1 ended */
        known = i - 1;
    }
    /* The log's messages tile the stream from `before` to `after` only if the walk reached the first message and
     * that one began where the call did (at its PAD or its first record): then they are the messages the call
     * must have delivered, in order. Else (a PAD consumed after the last message, a record not logged, the log
     * overwritten) nothing is known of them, and none is checked: assigning log entries to deliveries from a
     * walk that does not reach `before` would take the records of an earlier open (written before a taint the
     * victim reopened after) for honest ones. */
    struct logval m0;
    bool tiled = known == 0 && log_get(l, ends[0], &m0) && (before == m0.before || before == m0.start);
    uint64_t checked0 = v->content_checked;
    for (size_t i = 0; i < r; i++) {
        if (!tiled) {
            v->content_seen++;
            v->unchecked[known == 0 ? 3 : 1]++;
            continue;
        }
        content_check_to(v, l, i == 0 ? before : ends[i - 1], ends[i], in[i].buf, in[i].len, in[i].cap,
                         "recv_many");
    }
    v->many_seen += r;
    v->many_checked += v->content_checked - checked0;
    if (r > 1)
        v->many_checked_batched += v->content_checked - checked0;
}

static void victim_step(struct victim *v, unsigned l)
{
    struct victim_lane *vl = &v->lane[l];
    struct tzchan *ch = &vl->ch;
    struct lview lv = view_in(l, true);
    if (!vl->open) {
        /* after a refused open, wait for the adversary to reset the lane (as a port would wait for the peer) */
        if (!atomic_load_explicit(&g_down[l], memory_order_relaxed))
            victim_open(v, l);
        return;
    }
    /* after a taint, mostly reopen when idle for a fresh view (so that content checks resume); sometimes carry
     * on with whatever state the adversary left us in */
    if (!vl->streaming && !vl->in_msg && vl->gen != atomic_load(&g_taint[l]) && vrnd(v, 4) != 0) {
        v->refreshes++;
        victim_open(v, l);
        return;
    }
    uint32_t r = vrnd(v, 100);
    if (g_cfg[l].role == ROLE_RECV && r < 45)
        r += 45; /* its send ring is behind the guard */
    else if (g_cfg[l].role == ROLE_SEND && r >= 45 && r < 90)
        r -= 45; /* its receive ring is behind the guard, or never read */
    int64_t got;
    if (r < 45) { /* ---- sending ---- */
        if (vl->streaming) {
            if (vl->st_sent < vl->st_total || (vl->st_total == TZCHAN_LEN_UNKNOWN && vrnd(v, 4) != 0)) {
                size_t n = 1 + vrnd(v, 2 * RING);
                if (vl->st_total != TZCHAN_LEN_UNKNOWN && n > vl->st_total - vl->st_sent)
                    n = (size_t)(vl->st_total - vl->st_sent);
                call_begin(OP_SEND_SOME, l);
                got = tzchan_send_some(ch, v->src, n);
                call_end(v, OP_SEND_SOME, got);
                if (saw_eproto(v, l, got))
                    return;
                VCHECK(got == TZCHAN_EPIPE || (got >= 0 && (size_t)got <= n), l, "send_some", got);
                if (got > 0)
                    vl->st_sent += (uint64_t)got;
            } else {
                call_begin(OP_SEND_END, l);
                got = tzchan_send_end(ch);
                call_end(v, OP_SEND_END, got);
                if (saw_eproto(v, l, got))
                    return;
                VCHECK(got == 0 || got == TZCHAN_EAGAIN || got == TZCHAN_EPIPE, l, "send_end", got);
                if (got == 0)
                    vl->streaming = false;
            }
            return;
        }
        uint32_t k = vrnd(v, 6);
        size_t len = vrnd(v, 4) == 0 ? MAX_MSG : vrnd(v, 300);
        if (k == 5) {
            struct tzchan_out o[4];
            size_t n = 1 + vrnd(v, 4);
            for (size_t i = 0; i < n; i++) {
                o[i].buf = v->src;
                o[i].len = vrnd(v, 4) == 0 ? MAX_MSG : vrnd(v, 300);
            }
            call_begin(OP_SEND_MANY, l);
            got = tzchan_send_many(ch, o, n);
            call_end(v, OP_SEND_MANY, got);
            if (saw_eproto(v, l, got))
                return;
            VCHECK(got == TZCHAN_EAGAIN || got == TZCHAN_EPIPE || (got >= 1 && (size_t)got <= n), l, "send_many", got);
            return;
        }
        if (k <= 1) {
            enum op op = k ? OP_SEND_MORE : OP_SEND;
            call_begin(op, l);
            got = tzchan_send_flags(ch, v->src, len, k ? TZCHAN_MORE : 0);
            call_end(v, op, got);
            if (saw_eproto(v, l, got))
                return;
            VCHECK(got == (int64_t)len || got == TZCHAN_EAGAIN || got == TZCHAN_EPIPE, l, op_name[op], got);
        } else if (k == 2) {
            call_begin(OP_RESERVE, l);
            unsigned char *p = tzchan_reserve(ch, len);
            int e = tzchan_error(ch);
            call_end(v, OP_RESERVE, p ? 0 : e);
            if (p == NULL) {
                if (saw_eproto(v, l, e))
                    return;
                VCHECK(e == TZCHAN_EAGAIN || e == TZCHAN_EPIPE, l, "reserve", e);
                return;
            }
            VCHECK(e == 0, l, "reserve: error set on success", e);
            VCHECK(in_range(p, len, lv.v_txdata, RING), l, "reserve: range outside the send data area",
                   (int64_t)(p - lv.v_txdata));
            memset(p, 0x33, len);
            size_t n = len ? vrnd(v, (uint32_t)len + 1) : 0;
            call_begin(OP_RESERVE, l);
            int c = tzchan_commit(ch, n);
            call_end(v, OP_RESERVE, c);
            VCHECK(c == 0, l, "commit", c);
        } else if (k == 3) {
            call_begin(OP_FLUSH, l);
            int e = tzchan_flush(ch);
            call_end(v, OP_FLUSH, e);
            if (saw_eproto(v, l, e))
                return;
            VCHECK(e == 0, l, "flush", e);
        } else {
            uint64_t total = vrnd(v, 3) == 0 ? TZCHAN_LEN_UNKNOWN : vrnd(v, 5 * RING);
            call_begin(OP_SEND_BEGIN, l);
            int e = tzchan_send_begin(ch, total);
            call_end(v, OP_SEND_BEGIN, e);
            if (saw_eproto(v, l, e))
                return;
            VCHECK(e == 0 || e == TZCHAN_EPIPE, l, "send_begin", e);
            if (e == 0) {
                vl->streaming = true;
                vl->st_total = total;
                vl->st_sent = 0;
            }
        }
        return;
    }
    if (r < 90) { /* ---- receiving ---- */
        uint32_t k = vl->in_msg ? 1 : vrnd(v, 5);
        if (k == 3) {
            victim_recv_many(v, l);
            return;
        }
        if (k == 0) {
            size_t cap = vrnd(v, 3) == 0 ? v->buf_cap : vrnd(v, MAX_MSG + 1);
            unsigned char *b = rxbuf(v, cap);
            uint32_t before = my_cons(l);
            call_begin(OP_RECV, l);
            got = tzchan_recv(ch, cap ? b : NULL, cap);
            call_end(v, OP_RECV, got);
            if (saw_eproto(v, l, got))
                return;
            VCHECK(got == TZCHAN_EAGAIN || got == TZCHAN_EMSGSIZE || got == TZCHAN_EPIPE ||
                       (got >= 0 && (size_t)got <= cap && got <= MAX_MSG),
                   l, "recv", got);
            if (got >= 0) {
                for (size_t i = (size_t)got; i < cap; i++)
                    VCHECK(b[i] == CANARY, l, "recv wrote past the length it returned", (int64_t)i);
                content_check(v, l, before, b, (uint64_t)got, cap, "recv");
                v->delivered_msgs++;
                v->delivered_bytes += (uint64_t)got;
            }
        } else if (k == 1) {
            size_t cap = 1 + vrnd(v, vrnd(v, 2) ? 64 : (uint32_t)v->buf_cap);
            unsigned char *b = rxbuf(v, cap);
            bool eom = false;
            uint32_t before = vl->in_msg ? vl->msg_before : my_cons(l);
            call_begin(OP_RECV_SOME, l);
            got = tzchan_recv_some(ch, b, cap, &eom);
            call_end(v, OP_RECV_SOME, got);
            if (saw_eproto(v, l, got))
                return;
            VCHECK(got == TZCHAN_EAGAIN || got == TZCHAN_EPIPE || (got >= 0 && (size_t)got <= cap), l, "recv_some",
                   got);
            if (got < 0) {
                VCHECK(!eom, l, "recv_some: end of message with an error", got);
                return;
            }
            VCHECK(got > 0 || eom, l, "recv_some: 0 bytes without the end of a message", got);
            for (size_t i = (size_t)got; i < cap; i++)
                VCHECK(b[i] == CANARY, l, "recv_some wrote past the length it returned", (int64_t)i);
            if (!vl->in_msg) {
                vl->in_msg = true;
                vl->msg_got = 0;
                vl->have_total = false;
                vl->msg_before = before;
                vl->acc_len = 0;
            }
            vl->msg_got += (uint64_t)got;
            if (vl->acc_len <= sizeof vl->acc && (size_t)got <= sizeof vl->acc - vl->acc_len) {
                memcpy(vl->acc + vl->acc_len, b, (size_t)got);
                vl->acc_len += (size_t)got;
            } else {
                vl->acc_len = sizeof vl->acc + 1; /* longer than any honest message: any check fails on length */
            }
            if (vl->have_total && vl->msg_total != TZCHAN_LEN_UNKNOWN)
                VCHECK(vl->msg_got <= vl->msg_total, l, "recv_some delivered more than the message announced",
                       (int64_t)vl->msg_got);
            if (eom) {
                if (vl->have_total && vl->msg_total != TZCHAN_LEN_UNKNOWN)
                    VCHECK(vl->msg_got == vl->msg_total, l, "recv_some ended a message short of its total",
                           (int64_t)vl->msg_got);
                vl->in_msg = false;
                content_check(v, l, vl->msg_before, vl->acc, vl->msg_got, sizeof vl->acc, "recv_some");
                v->delivered_msgs++;
                v->delivered_bytes += vl->msg_got;
                return;
            }
            /* inside the message: the total it announced, from the victim's checked copy, must not change */
            uint64_t total = 0;
            call_begin(OP_RECV_TOTAL, l);
            int e = tzchan_recv_total(ch, &total);
            call_end(v, OP_RECV_TOTAL, e);
            VCHECK(e == 0, l, "recv_total inside a message", e);
            if (vl->have_total)
                VCHECK(total == vl->msg_total, l, "recv_total changed inside a message", (int64_t)total);
            vl->have_total = true;
            vl->msg_total = total;
            if (total != TZCHAN_LEN_UNKNOWN)
                VCHECK(vl->msg_got <= total, l, "recv_some delivered more than the message announced",
                       (int64_t)vl->msg_got);
        } else if (k == 2) {
            size_t len = 0, len2 = 0;
            uint32_t before = my_cons(l);
            call_begin(OP_PEEK, l);
            const unsigned char *p = tzchan_peek(ch, &len);
            int e = tzchan_error(ch);
            call_end(v, OP_PEEK, p ? 0 : e);
            if (p == NULL) {
                if (saw_eproto(v, l, e))
                    return;
                VCHECK(e == TZCHAN_EAGAIN || e == TZCHAN_EMSGSIZE || e == TZCHAN_EPIPE, l, "peek", e);
                return;
            }
            VCHECK(e == 0, l, "peek: error set on success", e);
            VCHECK(len <= MAX_MSG, l, "peek: length over max_msg", len);
            VCHECK(((uintptr_t)p & 7u) == 0, l, "peek: pointer not 8-byte aligned", 0);
            VCHECK(in_range(p, len, lv.v_rxdata, RING), l, "peek: range outside the receive data area",
                   (int64_t)(p - lv.v_rxdata));
            volatile unsigned char sink = 0;
            for (size_t i = 0; i < len; i++) /* the user reads it all (the peer may be rewriting it) */
                sink ^= p[i];
            (void)sink;
            memcpy(v->peeked, p, len); /* what the user got */
            call_begin(OP_PEEK, l);
            const unsigned char *p2 = tzchan_peek(ch, &len2);
            call_end(v, OP_PEEK, 0);
            VCHECK(p2 == p && len2 == len, l, "peek: a second peek disagrees with the first", (int64_t)len2);
            uint64_t total = 0;
            VCHECK(tzchan_recv_total(ch, &total) == 0 && total == len, l, "recv_total of a peeked message",
                   (int64_t)total);
            call_begin(OP_RELEASE, l);
            e = tzchan_release(ch);
            call_end(v, OP_RELEASE, e);
            VCHECK(e == 0, l, "release", e);
            content_check(v, l, before, v->peeked, len, sizeof v->peeked, "peek");
            v->delivered_msgs++;
            v->delivered_bytes += len;
        } else {
            uint64_t total = 0;
            call_begin(OP_RECV_TOTAL, l);
            int e = tzchan_recv_total(ch, &total);
            call_end(v, OP_RECV_TOTAL, e);
            if (saw_eproto(v, l, e))
                return;
            VCHECK(e == 0 || e == TZCHAN_EAGAIN || e == TZCHAN_EPIPE, l, "recv_total", e);
        }
        return;
    }
    /* ---- waiting ---- */
    enum tzchan_wait w = (enum tzchan_wait)(1 + vrnd(v, 3));
    if (g_cfg[l].role == ROLE_SEND) /* a wait for DATA reads the record header at our consumer index (PROTOCOL.md
                                     * s.9.2 item 8), and this lane's receive ring is behind the guard */
        w = TZCHAN_WAIT_ROOM;
    call_begin(OP_WAIT, l);
    int e = tzchan_wait_prepare(ch, w);
    call_end(v, OP_WAIT, e);
    if (saw_eproto(v, l, e))
        return;
    VCHECK(e == 0 || e == 1, l, "wait_prepare", e);
    uint32_t expect = 0;
    const uint32_t *word = tzchan_wait_word(ch, &expect);
    VCHECK(word == &lv.a_sleep->bell, l, "wait_word is not the peer's bell", 0);
    tzchan_wait_done(ch);
}

/* ---- main ---------------------------------------------------------------------------------------------------- */
static void map_regions(void)
{
    for (unsigned l = 0; l < LANES; l++) {
        struct region *r = &g_reg[l];
        size_t size = tzchan_region_size(g_cfg[l].lanes, RING);
        CHECK(size != 0 && size % 64 == 0);
        size_t guard =
            guard_ring_end(RING, g_cfg[l].lane, g_cfg[l].side == TZCHAN_SIDE_B, g_cfg[l].role != ROLE_SEND);
        CHECK(guard_region_map(&r->g, size, guard) == 0);
        memset(r->g.adv - r->g.slack, CANARY, r->g.slack);
#ifdef SCRIB_ASAN
        ASAN_POISON_MEMORY_REGION(r->g.vic - r->g.slack, r->g.slack);
#endif
        CHECK_EQ(tzchan_region_init(r->g.adv, size, g_cfg[l].lanes, RING), 0);
        memcpy(r->header, r->g.adv, sizeof r->header);
    }
}

static void check_slack(void)
{
    for (unsigned l = 0; l < LANES; l++) {
        struct region *r = &g_reg[l];
        for (size_t i = 0; i < r->g.slack; i++)
            if (r->g.adv[(ptrdiff_t)i - (ptrdiff_t)r->g.slack] != CANARY)
                fail("a write below the region's start", l, "slack canary", (int64_t)i);
    }
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? strtod(argv[1], NULL) : 5.0;
    g_seed = argc > 2 && strcmp(argv[2], "-") != 0 ? strtoull(argv[2], NULL, 0)
                                                   : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
    if (argc > 3) {
        g_focus = atoi(argv[3]);
        CHECK(g_focus >= 0 && g_focus < 22);
    }
    char focus[64] = "";
    if (g_focus >= 0)
        snprintf(focus, sizeof focus, " %d; focus on move %d", g_focus, g_focus);
    printf("scribbler: seed %" PRIu64 ", %.0f s, %u lanes, ring %u B (rerun: scribbler %.0f %" PRIu64 "%s)\n", g_seed,
           secs, LANES, RING, secs, g_seed, focus);
    fflush(stdout);
#ifndef SCRIB_ASAN
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
#else
    (void)on_segv;
#endif
    map_regions();
    for (unsigned l = 0; l < LANES; l++)
        printf("  lane %u: region of %u lanes, lane %u, side %c, %s; guard page at region offset %zu\n", l,
               g_cfg[l].lanes, g_cfg[l].lane, g_cfg[l].side == TZCHAN_SIDE_A ? 'A' : 'B', role_name[g_cfg[l].role],
               g_reg[l].g.guard);
    fflush(stdout);

    struct victim *v = &g_vic;
    v->rng = g_seed * 3 + 1;
    g_adv.rng = g_seed * 7 + 2;
    /* receive buffers end at a guard page */
    v->buf_cap = 2 * RING;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t blen = (v->buf_cap + page - 1) & ~(page - 1);
    unsigned char *bm = mmap(NULL, blen + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(bm != MAP_FAILED);
    CHECK(mprotect(bm + blen, page, PROT_NONE) == 0);
    v->buf = bm + blen - v->buf_cap;
    t_fill(v->src, sizeof v->src, g_seed, 0);
    for (unsigned l = 0; l < LANES; l++) {
        victim_open(v, l);
        CHECK(v->lane[l].open);
    }

    pthread_t ta, tw;
    CHECK(pthread_create(&ta, NULL, adversary, &g_adv) == 0);
    CHECK(pthread_create(&tw, NULL, watchdog, NULL) == 0);
    /* The run must see both sides of the story: violations, deliveries, deliveries checked byte for byte. A starved
     * victim (a loaded machine) may not within the time asked for, so it goes on until it has, up to four times as
     * long: the evidence, not the clock, decides. */
    uint64_t t0 = now_ns(), t_end = t0 + (uint64_t)(secs * 1e9), t_cap = t0 + (uint64_t)(4 * secs * 1e9);
    for (uint64_t i = 0;; i++) {
        victim_step(v, vrnd(v, LANES));
        if ((i & 255) == 0) {
            uint64_t t = now_ns();
            bool enough = v->eproto > 0 && v->delivered_msgs > 0 && v->content_checked > 0;
            if ((t >= t_end && enough) || t >= t_cap)
                break;
        }
    }
    double ran = (double)(now_ns() - t0) / 1e9;
    atomic_store(&g_stop, true);
    pthread_join(ta, NULL);
    pthread_join(tw, NULL);
    check_slack();

    printf("scribbler: %" PRIu64 " calls, %" PRIu64 " violations detected (EPROTO), %" PRIu64 " reopens, %" PRIu64
           " opens refused, %" PRIu64 " messages (%" PRIu64 " bytes) delivered; adversary: %" PRIu64
           " honest messages; longest call %.3f ms\n",
           v->calls, v->eproto, v->reopens, v->open_refused, v->delivered_msgs, v->delivered_bytes,
           g_adv.honest_msgs, (double)g_call_max_ns / 1e6);
    double share = v->content_seen ? 100.0 * (double)v->content_checked / (double)v->content_seen : 0.0;
    printf("scribbler: content: %" PRIu64 " of %" PRIu64 " deliveries checked byte for byte (%.1f%%; %" PRIu64
           " in several records), %" PRIu64 " bytes; %" PRIu64 " taints (%" PRIu64 " resyncs, %" PRIu64
           " lane resets), %" PRIu64 " reopens for a fresh view\n",
           v->content_checked, v->content_seen, share, v->checked_multi, v->checked_bytes, g_adv.taints,
           g_adv.resyncs, g_adv.resets, v->refreshes);
    printf("scribbler: not checked: %" PRIu64 " tainted since the victim's open, %" PRIu64
           " not an honest message's end, %" PRIu64 " written before the latest byte taint, %" PRIu64
           " not started where the message began\n",
           v->unchecked[0], v->unchecked[1], v->unchecked[2], v->unchecked[3]);
    printf("scribbler: recv_many: %" PRIu64 " of %" PRIu64 " messages checked byte for byte, %" PRIu64
           " of them in calls that delivered several\n",
           v->many_checked, v->many_seen, v->many_checked_batched);
    printf("scribbler: %" PRIu64 " lanes handed back for a reset after repeated violations\n", v->restarts);
    for (int op = 0; op < OP_COUNT; op++) {
        printf("  %-14s %10" PRIu64 " calls:", op_name[op], v->ops[op]);
        for (int c = 0; c < 12; c++)
            if (v->codes[op][c])
                printf(" %s%d=%" PRIu64, c ? "-" : ">=", c, v->codes[op][c]);
        printf("\n");
    }
    printf("  adversary moves:");
    for (int m = 0; m < 22; m++)
        printf(" %" PRIu64, g_adv.moves[m]);
    printf("\n");
    /* the run must have exercised both sides of the story */
    if (v->eproto == 0 || v->delivered_msgs == 0 || v->content_checked == 0) {
        fprintf(stderr,
                "scribbler: FAIL (seed %" PRIu64 "): in %.1f s, no %s: the run cannot show anything (is the victim "
                "starved?)\n",
                g_seed, ran,
                v->eproto == 0           ? "violation detected"
                : v->delivered_msgs == 0 ? "message delivered"
                                         : "delivery content-checked");
        return T_EXIT_FAIL;
    }
    printf("scribbler: pass (%.1f s)\n", ran);
    munmap(bm, blen + page);
    for (unsigned l = 0; l < LANES; l++)
        guard_region_unmap(&g_reg[l].g);
    return 0;
}
