/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: a sequence interleaving a hostile peer's writes with the victim's calls, on four lanes, each in a
 * region of its own whose victim view ends at a PROT_NONE page right after the one ring the lane guards
 * (tests/hostile/guard_map.h), so that a read past a ring the victim reads, or a write past a ring it sends on,
 * faults:
 *   slot 0: region of 2 lanes, lane 1, victim side A, sends and receives (guard after B->A, the region's end)
 *   slot 1: region of 2 lanes, lane 0, victim side B, receives only (guard after A->B, covering its B->A ring)
 *   slot 2: region of 2 lanes, lane 1, victim side B, sends only (guard after B->A, the region's end)
 *   slot 3: region of 1 lane, victim side A, sends only (guard after A->B, covering its B->A ring)
 * The peer has an honest endpoint on each lane, in its own read-write view (so valid traffic flows and the victim
 * gets deep into its message paths), and may also write any word of the region directly: its own indices, record
 * headers where the victim will read them, its doorbell slot, the victim's words, the header.
 *
 * Input: commands of 7 bytes: op (mod 26), then a byte whose bits 0-1 pick the slot and whose other bits are a
 * small argument x, then a 16-bit argument a (bytes 2-3, little-endian) and a 32-bit one w (bytes 3-6). A victim
 * call the slot's role excludes is skipped. Every victim result is checked by fuzz_victim.h.
 *
 * Content: the honest peer sends payloads that are a pattern of (slot, message number, offset) and logs where each
 * message lies (the stream positions before it, at its first record, after it) with the slot's taint count. Every
 * hostile write that can change what the victim receives (ops 20, 21, 24, 25) adds one to the count; a message is
 * logged only if its position before is known to be true (the peer's producer word was last stored by the peer
 * itself, not scribbled) and nothing was tainted while it was sent. A message the victim delivers is checked when
 * the count has not moved since the victim's latest open, its consumer index stood at a logged message's position
 * before (or at its first record) before the delivery and at its end after, and that message was logged with the
 * same count: then it must have that message's length and bytes. And while a slot has seen nothing but honest calls
 * (no hostile write, no reopen of the peer, no reopen of the victim inside a message), the victim must never report
 * TZCHAN_EPROTO: a core that rejects honest traffic fails too.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../hostile/guard_map.h"
#include "fuzz_victim.h"

#define RING 1024u
#define SLOTS 4u
#define STRIDE (768u + 2u * RING)
#define LOG_N 256u
#define PEND_N 64u /* TZCHAN_MORE messages of one unpublished batch the log can take */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum role { ROLE_BOTH, ROLE_RECV, ROLE_SEND };
static const struct {
    uint32_t lanes, lane;
    enum tzchan_side side;
    enum role role;
} g_cfg[SLOTS] = {
    {2, 1, TZCHAN_SIDE_A, ROLE_BOTH},
    {2, 0, TZCHAN_SIDE_B, ROLE_RECV},
    {2, 1, TZCHAN_SIDE_B, ROLE_SEND},
    {1, 0, TZCHAN_SIDE_A, ROLE_SEND},
};

struct logent {
    uint64_t run; /* the run (input) that wrote it */
    uint32_t before, start, end, len;
    uint64_t seq, taint;
};

struct slot {
    struct guard_region g;
    unsigned char header[128];
    struct fz_victim vic;
    struct tzchan peer;
    uint64_t taint, gen; /* hostile writes so far; the count at the victim's latest open (or UINT64_MAX) */
    bool honest;         /* nothing but honest calls on this slot so far in this run: no EPROTO is possible */
    bool peer_true;      /* the peer's producer word holds what the peer itself stored last */
    uint64_t seq;        /* the peer's next message number */
    struct {             /* the stream message the peer has open */
        bool active, known;
        uint32_t before;
        uint64_t seq, taint, taken, total;
    } pm;
    struct { /* the TZCHAN_MORE messages the peer wrote and has not published yet (a batch) */
        unsigned n;
        bool known;      /* the producer word was the peer's own when the first was written */
        bool lost;       /* where they lie is not known (a taint met them): until the peer publishes all it wrote */
        uint32_t before; /* that word: where the batch begins */
        uint64_t taint, seq[PEND_N];
        uint32_t len[PEND_N];
    } pb;
    struct logent log[LOG_N];
};
static struct slot g_slot[SLOTS];
static uint64_t g_run;
static uint64_t g_seen, g_checked; /* deliveries, and those content-checked */
static uint64_t g_batch_logged;     /* messages of the peer's TZCHAN_MORE batches logged (content known) */

static enum tzchan_side vside(unsigned s)
{
    return g_cfg[s].side;
}
static enum tzchan_side pside(unsigned s)
{
    return vside(s) == TZCHAN_SIDE_A ? TZCHAN_SIDE_B : TZCHAN_SIDE_A;
}
/* the lane's start in the harness's (adversary's) view, or in the victim's */
static unsigned char *lane_at(unsigned s, bool vic)
{
    return (vic ? g_slot[s].g.vic : g_slot[s].g.adv) + 128 + (size_t)g_cfg[s].lane * STRIDE;
}
static bool side_b(unsigned s)
{
    return vside(s) == TZCHAN_SIDE_B;
}
/* the peer's producer word and the victim's receive data area on slot s (harness's view) */
static uint32_t *peer_prod(unsigned s)
{
    return (uint32_t *)(void *)(lane_at(s, false) + (side_b(s) ? 0x000 : 0x100));
}
static uint32_t *peer_cons(unsigned s)
{
    return (uint32_t *)(void *)(lane_at(s, false) + (side_b(s) ? 0x180 : 0x080));
}
static uint32_t *victim_cons(unsigned s, bool vic)
{
    return (uint32_t *)(void *)(lane_at(s, vic) + (side_b(s) ? 0x080 : 0x180));
}
static uint32_t *victim_prod(unsigned s)
{
    return (uint32_t *)(void *)(lane_at(s, false) + (side_b(s) ? 0x100 : 0x000));
}
static struct tzchan_wire_sleep *peer_sleep(unsigned s)
{
    return (struct tzchan_wire_sleep *)(void *)(lane_at(s, false) + (side_b(s) ? 0x200 : 0x280));
}
static unsigned char *vtx(unsigned s, bool vic)
{
    return lane_at(s, vic) + 768 + (side_b(s) ? RING : 0);
}
static unsigned char *vrx(unsigned s, bool vic)
{
    return lane_at(s, vic) + 768 + (side_b(s) ? 0 : RING);
}
static uint32_t ldw(const uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}
static uint32_t get16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}
static uint32_t get32(const uint8_t *p)
{
    return get16(p) | get16(p + 2) << 16;
}

/* The payload pattern: bytes `at`.. of message `seq` on slot s (one hash per 8 bytes of the stream). */
static FZ_NO_COVERAGE uint64_t pattern_word(uint64_t seed, uint64_t word)
{
    uint64_t x = seed ^ word * 0xd1b54a32d192ed03ull;
    x ^= x >> 29;
    x *= 0xbf58476d1ce4e5b9ull;
    return x ^ (x >> 32);
}

static FZ_NO_COVERAGE void pattern(unsigned char *b, size_t n, unsigned s, uint64_t seq, uint64_t at)
{
    uint64_t seed = (seq * 4u + s + 1u) * 0x9e3779b97f4a7c15ull;
    size_t i = 0;
    for (; i < n && ((at + i) & 7u) != 0; i++) /* up to a word boundary */
        b[i] = (unsigned char)(pattern_word(seed, (at + i) >> 3) >> (8u * ((at + i) & 7u)));
    for (; n - i >= 8; i += 8) { /* whole words, little-endian: byte k of word w is stream byte 8w + k */
        uint64_t x = pattern_word(seed, (at + i) >> 3);
        for (unsigned k = 0; k < 8; k++)
            b[i + k] = (unsigned char)(x >> (8u * k));
    }
    for (; i < n; i++)
        b[i] = (unsigned char)(pattern_word(seed, (at + i) >> 3) >> (8u * ((at + i) & 7u)));
}

static void log_put(unsigned s, uint32_t before, uint32_t end, uint32_t len, uint64_t seq, uint64_t taint)
{
    struct slot *sl = &g_slot[s];
    struct logent *e = &sl->log[(end >> 3) & (LOG_N - 1u)];
    /* the first record is at `before`, or at the ring's start after a PAD that fills the rest */
    uint32_t off = before & (RING - 1u), start = before;
    if (off != 0) {
        uint32_t len0 = ldw((const uint32_t *)(void *)(vrx(s, false) + off));
        uint32_t fl0 = ldw((const uint32_t *)(void *)(vrx(s, false) + off + 4));
        if (fl0 == TZCHAN_WIRE_REC_PAD && len0 == RING - off - 8u)
            start = before + (RING - off);
    }
    *e = (struct logent){g_run, before, start, end, len, seq, taint};
}

/* Every message the victim delivers: is it one the peer logged, with nothing tainted since? Then it must be it. */
static void on_message(struct fz_victim *v, uint32_t before, const unsigned char *msg, uint64_t len)
{
    unsigned s = v->id;
    struct slot *sl = &g_slot[s];
    uint32_t after = ldw(victim_cons(s, false));
    g_seen++;
    const struct logent *e = &sl->log[(after >> 3) & (LOG_N - 1u)];
    if (sl->gen != sl->taint || e->run != g_run || e->end != after || e->taint != sl->taint ||
        (before != e->before && before != e->start))
        return;
    g_checked++;
    FZ_CHECK(len == e->len); /* the length the peer sent */
    static unsigned char expect[8192];
    FZ_CHECK(len <= sizeof expect);
    pattern(expect, (size_t)len, s, e->seq, 0);
    FZ_CHECK(memcmp(msg, expect, (size_t)len) == 0); /* the bytes the peer sent */
}

static void report(void)
{
    fprintf(stderr, "fuzz_seq: %llu of %llu deliveries content-checked; %llu messages of TZCHAN_MORE batches logged\n",
            (unsigned long long)g_checked, (unsigned long long)g_seen, (unsigned long long)g_batch_logged);
}

static void victim_open(unsigned s)
{
    struct slot *sl = &g_slot[s];
    (void)fz_open(&sl->vic, sl->g.vic, sl->g.size, vside(s), g_cfg[s].lane, vtx(s, true), vrx(s, true), RING);
    sl->gen = sl->vic.open ? sl->taint : UINT64_MAX;
}

static void batch_all_published(unsigned s);

static void peer_open(unsigned s)
{
    struct slot *sl = &g_slot[s];
    int r = tzchan_open(&sl->peer, sl->g.adv, sl->g.size, pside(s), g_cfg[s].lane);
    /* it continues from the producer word as it stands, which is now true for what it writes next; an open that
     * failed (the word scribbled to a value no opener accepts) leaves the peer unusable and the word untrue */
    sl->peer_true = r == 0;
    sl->pm.active = false;
    batch_all_published(s); /* an unpublished batch is lost with the old endpoint; the new one starts at the word */
}

static void taint(unsigned s)
{
    g_slot[s].taint++;
    g_slot[s].peer_true = false;
    if (g_slot[s].pb.n)
        g_slot[s].pb.lost = true; /* the walk of batch_published() reads the ring: it may be scribbled now */
}

/* The peer published (with prod, as TZCHAN_MORE batches are: PROTOCOL.md s.9.2 item 2): log each message of its
 * batch that the published word now covers, where the peer wrote it, found by walking its records from where the
 * batch began (a PAD to the ring's end before a record that did not fit), if nothing was tainted since the batch
 * began. The rest stays pending: a send may publish only the records before its own (a PAD published alone, or the
 * publication of a refresh that found the consumer past the published word). */
static void batch_published(unsigned s)
{
    struct slot *sl = &g_slot[s];
    if (sl->pb.lost)
        return; /* until batch_all_published() */
    uint32_t pos = sl->pb.before, prod = ldw(peer_prod(s)), before[PEND_N], end[PEND_N];
    unsigned m = 0; /* how many the published word covers */
    for (unsigned k = 0; k < sl->pb.n; k++) {
        before[k] = pos;
        uint32_t off = pos & (RING - 1u);
        if (off != 0) {
            uint32_t len0 = ldw((const uint32_t *)(void *)(vrx(s, false) + off));
            uint32_t fl0 = ldw((const uint32_t *)(void *)(vrx(s, false) + off + 4));
            if ((fl0 == TZCHAN_WIRE_REC_PAD || fl0 == TZCHAN_WIRE_REC_SELF_PAD) && len0 == RING - off - 8u)
                pos += RING - off;
        }
        pos += 8u + ((sl->pb.len[k] + 7u) & ~7u);
        end[k] = pos;
        if (pos - sl->pb.before <= prod - sl->pb.before)
            m = k + 1;
    }
    for (unsigned k = 0; k < m; k++) {
        if (sl->pb.known && sl->pb.taint == sl->taint) {
            log_put(s, before[k], end[k], sl->pb.len[k], sl->pb.seq[k], sl->pb.taint);
            g_batch_logged++;
        }
    }
    if (m == 0)
        return;
    sl->pb.before = end[m - 1];
    sl->pb.n -= m;
    memmove(sl->pb.seq, sl->pb.seq + m, sizeof sl->pb.seq[0] * sl->pb.n);
    memmove(sl->pb.len, sl->pb.len + m, sizeof sl->pb.len[0] * sl->pb.n);
}

/* After a peer call that may have published: a word it changed is its own store again, and a batch it held is
 * published. */
static void peer_stored(unsigned s, uint32_t w0)
{
    if (ldw(peer_prod(s)) != w0) {
        g_slot[s].peer_true = true;
        if (g_slot[s].pb.n)
            batch_published(s);
    }
}

/* The peer's call just published everything it wrote (a flush, a send without TZCHAN_MORE, an EAGAIN): nothing is
 * pending any more, and the published word is where the peer writes next. */
static void batch_all_published(unsigned s)
{
    g_slot[s].pb.n = 0;
    g_slot[s].pb.lost = false;
}

/* A message of the peer's batch, written at the end of what is not published yet. A batch begun while the
 * producer word is not the peer's own lies where the log cannot tell: lost until all is published. */
static void batch_add(unsigned s, uint32_t w0, bool known, uint64_t t0, uint64_t seq, uint32_t len)
{
    struct slot *sl = &g_slot[s];
    if (sl->pb.n == 0) {
        sl->pb.before = w0;
        sl->pb.known = known;
        sl->pb.taint = t0;
        sl->pb.lost = !known;
    }
    if (sl->pb.n == PEND_N) {
        /* more than the log takes: where the rest lies is not followed, so nothing more of this batch is logged,
         * and a publication that covers only the messages kept must not start a new batch at its word (the rest
         * would still be unpublished): lost until all is published */
        sl->pb.lost = true;
        return;
    }
    sl->pb.seq[sl->pb.n] = seq;
    sl->pb.len[sl->pb.n++] = len;
}

static unsigned char g_pat[8192];

/* One whole message; with `more`, a TZCHAN_MORE message of a batch that a later publication logs (the message
 * sent without it after a batch joins the batch, which it publishes). */
static void peer_send(unsigned s, size_t len, bool more)
{
    struct slot *sl = &g_slot[s];
    uint32_t w0 = ldw(peer_prod(s));
    bool known = sl->peer_true;
    uint64_t t0 = sl->taint, seq = sl->seq;
    pattern(g_pat, len, s, seq, 0);
    int64_t r = tzchan_send_flags(&sl->peer, g_pat, len, more ? TZCHAN_MORE : 0u);
    bool alone = r == (int64_t)len;
    if (alone && (more || sl->pb.n)) {
        batch_add(s, w0, known, t0, seq, (uint32_t)len);
        sl->seq++;
        alone = false;
    }
    peer_stored(s, w0);
    if (alone) {
        sl->seq++;
        if (known && sl->taint == t0)
            log_put(s, w0, ldw(peer_prod(s)), (uint32_t)len, seq, t0);
    }
    if ((r == (int64_t)len && !more) || r == TZCHAN_EAGAIN)
        batch_all_published(s);
}

static void peer_flush(unsigned s)
{
    uint32_t w0 = ldw(peer_prod(s));
    int e = tzchan_flush(&g_slot[s].peer);
    peer_stored(s, w0);
    if (e == 0)
        batch_all_published(s);
}

static bool peer_begin(unsigned s, uint64_t total)
{
    struct slot *sl = &g_slot[s];
    uint32_t w0 = ldw(peer_prod(s));
    bool known = sl->peer_true;
    if (tzchan_send_begin(&sl->peer, total) != 0)
        return false;
    sl->pm.active = true;
    sl->pm.known = known;
    sl->pm.before = w0;
    sl->pm.seq = sl->seq++;
    sl->pm.taint = sl->taint;
    sl->pm.taken = 0;
    sl->pm.total = total;
    return true;
}

static void peer_some(unsigned s, size_t n)
{
    struct slot *sl = &g_slot[s];
    if (n > sizeof g_pat)
        n = sizeof g_pat;
    uint32_t w0 = ldw(peer_prod(s));
    if (sl->pm.active)
        pattern(g_pat, n, s, sl->pm.seq, sl->pm.taken);
    int64_t r = tzchan_send_some(&sl->peer, g_pat, n);
    peer_stored(s, w0);
    if (r > 0 && sl->pm.active)
        sl->pm.taken += (uint64_t)r;
}

static void peer_end(unsigned s)
{
    struct slot *sl = &g_slot[s];
    uint32_t w0 = ldw(peer_prod(s));
    int r = tzchan_send_end(&sl->peer);
    peer_stored(s, w0);
    if (r == 0 && sl->pm.active) {
        sl->pm.active = false;
        if (sl->pm.known && sl->pm.taint == sl->taint && sl->pm.taken <= 8192)
            log_put(s, sl->pm.before, ldw(peer_prod(s)), (uint32_t)sl->pm.taken, sl->pm.seq, sl->pm.taint);
    }
}

static bool allowed(unsigned op, enum role r)
{
    if (op <= 7)
        return r != ROLE_RECV; /* sending */
    if ((op >= 8 && op <= 12) || op == 15)
        return r != ROLE_SEND; /* receiving */
    return true;
}

static void setup(void)
{
    for (unsigned s = 0; s < SLOTS; s++) {
        struct slot *sl = &g_slot[s];
        size_t size = tzchan_region_size(g_cfg[s].lanes, RING);
        size_t guard = guard_ring_end(RING, g_cfg[s].lane, side_b(s), g_cfg[s].role != ROLE_SEND);
        if (guard_region_map(&sl->g, size, guard) != 0)
            abort();
        FZ_CHECK(tzchan_region_init(sl->g.adv, size, g_cfg[s].lanes, RING) == 0);
        memcpy(sl->header, sl->g.adv, sizeof sl->header);
        sl->vic.id = s;
        sl->vic.on_message = on_message;
        sl->vic.my_cons = victim_cons(s, true);
    }
    atexit(report);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (g_run++ == 0)
        setup();
    for (unsigned s = 0; s < SLOTS; s++) {
        struct slot *sl = &g_slot[s];
        FZ_CHECK(tzchan_region_init(sl->g.adv, sl->g.size, g_cfg[s].lanes, RING) == 0);
        memset(&sl->vic, 0, offsetof(struct fz_victim, buf));
        sl->taint = 0;
        sl->seq = 0;
        sl->honest = true;
        victim_open(s);
        FZ_CHECK(sl->vic.open);
        peer_open(s);
        FZ_CHECK(tzchan_error(&sl->peer) == 0);
    }
    static unsigned char sink[4096];
    for (; size >= 7; data += 7, size -= 7) {
        unsigned op = data[0] % 26u, s = data[1] & 3u, x = data[1] >> 2;
        uint32_t a = get16(data + 2), w = get32(data + 3);
        struct slot *sl = &g_slot[s];
        struct fz_victim *v = &sl->vic;
        struct tzchan *peer = &sl->peer;
        if (op < 16 && !allowed(op, g_cfg[s].role))
            continue;
        /* the peer's writes (20-25), its reopen (19, which may leave a message unfinished) and the victim's reopen
         * inside a message it is receiving (14) can each make a later EPROTO right; nothing else can */
        if (op >= 19 || (op == 14 && (v->in_msg || v->peeked)))
            sl->honest = false;
        if (op < 16 && !v->open) {
            victim_open(s);
            continue;
        }
        switch (op) {
        /* ---- the victim ---- */
        case 0: /* one whole message, or several in one call */
            if (x & 1u)
                fz_send_many(v, a % 700u, x >> 1);
            else
                fz_send(v, a % 700u, false);
            break;
        case 1: fz_send(v, a % 700u, true); break;
        case 2: fz_flush(v); break;
        case 3: fz_reserve(v, a % 700u); break;
        case 4: fz_commit(v, a % 700u); break;
        case 5: fz_send_begin(v, (x & 1) ? TZCHAN_LEN_UNKNOWN : (uint64_t)a * (x + 1)); break;
        case 6: fz_send_some(v, a % 5000u); break;
        case 7: fz_send_end(v); break;
        case 8:
            if (x & 1u)
                fz_recv_many(v, a % 4200u, x >> 1);
            else
                fz_recv(v, a % 4200u);
            break;
        case 9: fz_recv_some(v, a % 4200u); break;
        case 10: fz_peek(v); break;
        case 11: fz_release(v); break;
        case 12: fz_recv_total(v); break;
        case 13: {
            /* A send-only victim's receive ring lies behind the guard page (it never receives), and a DATA wait
             * reads the header at the victim's consumer index (PROTOCOL.md s.9.2 item 8): such a slot waits for
             * ROOM only. Values outside 1..3 still go through as they are (EINVAL). */
            unsigned what = x & 7u;
            if (g_cfg[s].role == ROLE_SEND && what >= 1u && what <= 3u)
                what = TZCHAN_WAIT_ROOM;
            fz_wait(v, what);
            break;
        }
        case 14: victim_open(s); break;
        case 15: /* the victim drains: recv_some until it stops */
            for (int i = 0; i < 64 && v->open && !v->broken; i++)
                fz_recv_some(v, 1 + a % 3000u);
            break;
        /* ---- the peer, honest ---- */
        case 16: /* a whole message, or one of a TZCHAN_MORE batch (then sometimes flushed) */
            peer_send(s, a % 600u, (x & 3u) == 1u || (x & 3u) == 2u);
            if ((x & 3u) == 2u)
                peer_flush(s);
            break;
        case 17: (void)tzchan_recv(peer, sink, sizeof sink); break;
        case 18: {
            bool eom;
            if (peer_begin(s, (x & 1) ? TZCHAN_LEN_UNKNOWN : a)) {
                peer_some(s, (x & 1) ? a % 3000u : (a < 3000u ? a : 3000u));
                peer_end(s);
            }
            peer_some(s, a % 2000u);
            peer_end(s);
            (void)tzchan_recv_some(peer, sink, sizeof sink, &eom);
            break;
        }
        case 19: peer_open(s); break;
        /* ---- the peer, hostile ---- */
        case 20: /* a record header where the victim will read next, then publish up to it */
        {
            taint(s);
            uint32_t c = ldw(victim_cons(s, false)), off = (c + 8u * (x & 7u)) & (RING - 1u) & ~7u;
            memcpy(vrx(s, false) + off, data + 3, 4);
            uint32_t fl = x >> 3;
            memcpy(vrx(s, false) + off + 4, &fl, 4);
            __atomic_store_n(peer_prod(s), c + a % (2u * RING), __ATOMIC_RELEASE);
            break;
        }
        case 21:
            taint(s);
            __atomic_store_n(peer_prod(s), (x & 1) ? w : ldw(victim_cons(s, false)) + (uint32_t)(int32_t)(int16_t)a,
                             __ATOMIC_RELEASE);
            break;
        case 22: /* the consumer index of the victim's send ring: cannot change what it receives */
            __atomic_store_n(peer_cons(s), (x & 1) ? w : ldw(victim_prod(s)) + (uint32_t)(int32_t)(int16_t)a,
                             __ATOMIC_RELEASE);
            break;
        case 23: /* the peer's doorbell slot: waiting, want_cons, bell, state */
            __atomic_store_n((uint32_t *)peer_sleep(s) + (x & 3u), w, __ATOMIC_RELAXED);
            break;
        case 24: /* any word of the lane, the victim's own included */
            taint(s);
            __atomic_store_n((uint32_t *)(void *)(lane_at(s, false) + 4u * (a % (STRIDE / 4u))), w,
                             __ATOMIC_RELAXED);
            break;
        default: /* the header: a word of it rewritten (or put back) */
            taint(s);
            if (x & 1)
                memcpy(sl->g.adv, sl->header, sizeof sl->header);
            else
                __atomic_store_n((uint32_t *)(void *)(sl->g.adv + 4u * (a % 32u)), w, __ATOMIC_RELAXED);
            break;
        }
        FZ_CHECK(!(sl->honest && v->broken)); /* an honest peer never breaks the victim */
    }
    return 0;
}
