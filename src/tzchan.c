/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The portable core: region layout, the two rings of a lane, records and messages, the doorbell handshake.
 *
 * Trust: the region is shared with a peer that may be hostile. Geometry is copied into struct tzchan at open and
 * never re-read. A peer index is loaded once per refresh, checked against our own private copy of the other
 * index (0 <= prod - cons <= ring, and never moving backwards), and only the checked copy is used. A record
 * header is loaded once (single 32-bit atomic loads, so the compiler cannot fetch it twice), checked, then used;
 * payload is copied out before anyone looks at it. Any violation latches the endpoint broken (TZCHAN_EPROTO).
 * Every loop over shared data is bounded by the ring size, because each pass consumes at least 8 bytes.
 *
 * Freestanding: only <stdint.h>, <stddef.h>, <stdbool.h>, <stdatomic.h>; the compiler's memcpy/memset builtins
 * (the environment provides memcpy and memset, as every freestanding C environment must).
 */
#include "tzchan/tzchan.h"
#include "tzchan/wire.h"
#include "atomics.h"

/* ---- private state ---------------------------------------------------------------------------------------- */
#define F_BROKEN 0x01u        /* the peer broke the protocol: everything returns TZCHAN_EPROTO */
#define F_CLOSED 0x02u        /* tzchan_close() was called on this endpoint */
#define F_TX_FIRST_DONE 0x04u /* the open stream message has written its first record */
#define F_TX_WANT 0x08u       /* tx_want holds the consumer index our last EAGAIN needs */
#define F_RX_IN_REC 0x10u     /* recv_some is inside a record (header consumed, payload pending) */
#define F_RX_REC_LAST 0x20u   /* ... and that record ends its message */
#define F_RX_IDLE 0x40u       /* rx_idle_prod holds the producer index of our last EAGAIN */
#define F_OPENED 0x80u
#define F_TX_BUSY 0x100u      /* tx_state != TX_IDLE (kept with it by set_tx_state(), so a fast path tests one word) */
#define F_RX_BUSY 0x200u      /* rx_state != RX_IDLE (kept with it by set_rx_state()) */
#define F_RX_REC_SELF 0x400u  /* ... and that record is self-published: complete, whatever prod says */

enum { TX_IDLE = 0, TX_STREAM = 1, TX_RESERVED = 2 };
enum { RX_IDLE = 0, RX_MSG = 1, RX_PEEKED = 2 };

#define STREAM_CHUNK 16384u /* send_some publishes at least this often (or every ring/4) while it copies */
#define MIN_FRAG 256u /* a fragment of a declared stream > max_msg starts at the ring's beginning rather than be
                       * smaller than this (only recv_some reads those, so the producer may insist on room) */

#ifdef TZCHAN_COPY_TRACE /* a test build (tests/unit/test_lines.c, and only it) sees every copy the core makes */
void tzchan__trace_copy(void *d, const void *s, size_t n);
void tzchan__trace_set(void *d, int c, size_t n);
#define TZ_MEMCPY(d, s, n) tzchan__trace_copy((d), (s), (n))
#define TZ_MEMSET(d, c, n) tzchan__trace_set((d), (c), (n))
#else
#define TZ_MEMCPY(d, s, n) __builtin_memcpy((d), (s), (n))
#define TZ_MEMSET(d, c, n) __builtin_memset((d), (c), (n))
#endif
/* The fast paths of tzchan_send and tzchan_recv are leaf code: their helpers are inlined into them, and the general
 * ways they fall back on are kept out of them (else the compiler merges them and every call pays the general way's
 * register saves). GNU C attributes, understood by gcc and clang, in their reserved spellings: the Linux kernel
 * (which builds this file into its module) defines `noinline` and `always_inline` as macros. */
#define TZ_INLINE inline __attribute__((__always_inline__))
#define TZ_OUTLINE __attribute__((__noinline__))
/* Marks the public calls of the per-message path. Empty in every build of the library; tools/bench/icount_inline.c
 * builds this file into a benchmark with it defined as TZ_INLINE, to count what a message costs when those calls
 * are inlined into the caller's loop (no call overhead, lengths known at compile time). */
#ifndef TZ_HOT
#define TZ_HOT
#endif

struct rec {          /* checked private copy of one record header */
    uint32_t len;     /* payload bytes */
    uint32_t flags;
    uint32_t hdr;     /* header bytes: 8, or 16 for FIRST without LAST */
    uint32_t span;    /* bytes from the record's start to the next record's start */
    uint64_t total;   /* declared message total (FIRST records), else len */
};

static inline uint32_t align8(uint32_t n)
{
    return (n + 7u) & ~7u; /* n <= 2^30: no overflow */
}

static inline uint32_t min32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

#define SMALL_MSG 64u /* messages up to this size are copied inline by the fast paths */

/* Copies a small message's n <= SMALL_MSG bytes between private and shared memory without a call: two fixed-size
 * copies of the first and the last bytes, overlapping in the middle, which the compiler turns into a few loads and
 * stores. */
static TZ_INLINE void copy_small(void *dst, const void *src, uint32_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (n >= 32u) {
        TZ_MEMCPY(d, s, 32);
        TZ_MEMCPY(d + n - 32u, s + n - 32u, 32);
    } else if (n >= 16u) {
        TZ_MEMCPY(d, s, 16);
        TZ_MEMCPY(d + n - 16u, s + n - 16u, 16);
    } else if (n >= 8u) {
        TZ_MEMCPY(d, s, 8);
        TZ_MEMCPY(d + n - 8u, s + n - 8u, 8);
    } else if (n >= 4u) {
        TZ_MEMCPY(d, s, 4);
        TZ_MEMCPY(d + n - 4u, s + n - 4u, 4);
    } else if (n != 0u) {
        d[0] = s[0];
        d[n >> 1] = s[n >> 1];
        d[n - 1u] = s[n - 1u];
    }
}

/* The API states of a side, each mirrored by a busy flag so that the fast paths test the endpoint with one load. */
static inline void set_tx_state(struct tzchan *ch, uint32_t s)
{
    ch->tx_state = s;
    ch->flags = s == TX_IDLE ? ch->flags & ~F_TX_BUSY : ch->flags | F_TX_BUSY;
}

static inline void set_rx_state(struct tzchan *ch, uint32_t s)
{
    ch->rx_state = s;
    ch->flags = s == RX_IDLE ? ch->flags & ~F_RX_BUSY : ch->flags | F_RX_BUSY;
}

static struct tzchan_wire_sleep *sleep_slot(void *p)
{
    return (struct tzchan_wire_sleep *)p;
}

static int broken(struct tzchan *ch)
{
    ch->flags |= F_BROKEN;
    ch->error = TZCHAN_EPROTO;
    ch->st_violations++;
    return TZCHAN_EPROTO;
}

/* 0 if the endpoint can be used; else the code every call returns. */
static inline int unusable(const struct tzchan *ch)
{
    if (ch == NULL || !(ch->flags & F_OPENED))
        return TZCHAN_EINVAL;
    if (ch->flags & (F_BROKEN | F_CLOSED))
        return (ch->flags & F_BROKEN) ? TZCHAN_EPROTO : TZCHAN_EINVAL;
    return 0;
}

static bool peer_closed_hint(const struct tzchan *ch)
{
    /* relaxed: a status read only; no data is read on its strength */
    return (tz_load_relaxed(&sleep_slot(ch->peer_sleep)->state) & TZCHAN_WIRE_STATE_CLOSED) != 0;
}

/* ---- doorbell --------------------------------------------------------------------------------------------- */
/* The store-load barrier between publishing an index and loading the peer's waiting word (PROTOCOL.md s.6): a
 * full fence, or only a compiler barrier when the peer announced that it sleeps behind an asymmetric fence, which
 * then does the CPU-level ordering for both of us. A hostile peer that announces it falsely can only lose its own
 * wake-ups. peer_state is the peer's state word, loaded by the caller at any time during this call: the announcement
 * is a bit the peer sets before it first sleeps and that stays set for as long as it can sleep (until it closes), so
 * a value loaded before our index store says what one loaded after it would, or a stale 0 (a needless fence). */
static TZ_INLINE void publish_fence(uint32_t peer_state)
{
    if (peer_state & TZCHAN_WIRE_STATE_SLEEP_FENCE)
        tz_fence_compiler(); /* the peer's sleep fence orders our store before our load on the CPU */
    else
        tz_fence_full(); /* seq_cst: pairs with the seq_cst fence in the peer's tzchan_wait_prepare() */
}

static TZ_INLINE uint32_t peer_state(const struct tzchan *ch)
{
    /* relaxed: a status word (closed, sleep-fence announcement); no data is read on its strength */
    return tz_load_relaxed(&sleep_slot(ch->peer_sleep)->state);
}

/* Rings the peer, whose waiting word we just read as w, if we have not rung since it read our bell: the word
 * carries the bell value the peer will sleep on (low 30 bits). Once we rang, our bell differs from it and the
 * peer's sleep returns at once, so one ring per wait suffices; a wrong skip is impossible (a peer asleep on our
 * bell saw its current value), and a 2^30 wrap can only cause one needless ring. */
static TZ_OUTLINE void ring_peer(struct tzchan *ch, uint32_t w)
{
    if ((w >> TZCHAN_WIRE_WAIT_SEEN_SHIFT) != (ch->bell & TZCHAN_WIRE_WAIT_SEEN_MASK))
        return;
    ch->bell++;
    /* release: orders the bell after our index stores, so a waiter that sees the new bell also sees them; the
     * waiter read the old value with the acquire load in tzchan_wait_prepare() before it announced its wait */
    tz_store_release(&sleep_slot(ch->my_sleep)->bell, ch->bell);
    ch->st_rings++;
    if (ch->notify != NULL)
        ch->notify(ch->notify_ctx);
}

/* ring_peer(), then returns r: a fast path's last call, made as a tail call (no frame kept for it). */
static TZ_OUTLINE int64_t ring_peer_ret(struct tzchan *ch, uint32_t w, int64_t r)
{
    ring_peer(ch, w);
    return r;
}

/* ring_peer(), then returns 0: as ring_peer_ret(), for the calls that return an int. */
static TZ_OUTLINE int ring_peer_ret0(struct tzchan *ch, uint32_t w)
{
    ring_peer(ch, w);
    return 0;
}

/* ---- send side -------------------------------------------------------------------------------------------- */
/* Bytes we may write at tx_prod_v: the ring less what the consumer has not released, less the reserve of rule Z'
 * (PROTOCOL.md s.9.2): the zero ahead of the last record we write lands in those 8 bytes, never on bytes the consumer
 * has not released. tx_prod_v - tx_cons_seen <= ring - 8 always (open checks it; we write only into this room; a
 * refresh only shrinks it), so no underflow. */
static inline uint32_t tx_free(const struct tzchan *ch)
{
    return ch->ring - TZCHAN_WIRE_ZERO_AHEAD - (ch->tx_prod_v - ch->tx_cons_seen);
}

static TZ_INLINE void tx_publish(struct tzchan *ch);

static int tx_refresh(struct tzchan *ch)
{
    /* acquire: pairs with the consumer's release store of cons in rx_publish(): its reads of the bytes it freed
     * happen before we overwrite them */
    uint32_t c = tz_load_acquire(ch->tx_cons);
    /* cons may only move forward, and never past what we have written (it may pass what we published: the consumer
     * takes self-published records without prod, PROTOCOL.md s.9.2 rule 7) */
    uint32_t old = ch->tx_cons_seen;
    if (c - old > ch->tx_prod_v - old)
        return broken(ch);
    ch->tx_cons_seen = c;
    /* Rule L (prod never more than ring - 8 behind what we wrote) follows from the reserve (we never write more than
     * ring - 8 past tx_cons_seen) as long as tx_cons_seen never stands past tx_pub: so when the consumer took records
     * that prod does not cover yet, publish them now (rare: a batch the consumer keeps up with) */
    if (c - old > ch->tx_pub - old)
        tx_publish(ch);
    return 0;
}

/* Publishes prod, which the caller knows to be past tx_pub (it just wrote a record there), and returns the peer's
 * waiting word if it waits for data (the caller then calls ring_peer()), else 0. The fast paths load the index
 * word's address and the peer's doorbell slot before their copies, which the compiler must assume may write *ch,
 * and pass them here; and they ring in a tail call, so that they need no stack frame. */
static TZ_INLINE uint32_t tx_publish_new(struct tzchan *ch, void *tx_prod, struct tzchan_wire_sleep *ps,
                                         uint32_t prod, uint32_t peer_st)
{
    /* release: publishes every record byte written before it; pairs with the acquire load of prod in
     * rx_refresh() */
    tz_store_release(tx_prod, prod);
    ch->tx_pub = prod;
    /* our prod store before our load of the peer's waiting word; pairs with the fence (and sleep fence) in the
     * peer's tzchan_wait_prepare() (store waiting; fence; load prod), so at least one of us sees the other's store */
    publish_fence(peer_st);
    /* relaxed: ordered by the fence above */
    uint32_t w = tz_load_relaxed(&ps->waiting);
    return (w & TZCHAN_WIRE_WAIT_DATA) ? w : 0u;
}

/* Publishes what we wrote and rings the peer if it waits for data. peer_st: the peer's state word (peer_state()),
 * which the caller may have loaded already. */
static TZ_INLINE void tx_publish_st(struct tzchan *ch, uint32_t peer_st)
{
    uint32_t prod = ch->tx_prod_v;
    if (ch->tx_pub == prod)
        return;
    uint32_t w = tx_publish_new(ch, ch->tx_prod, sleep_slot(ch->peer_sleep), prod, peer_st);
    if (w)
        ring_peer(ch, w);
}

static TZ_INLINE void tx_publish(struct tzchan *ch)
{
    tx_publish_st(ch, peer_state(ch));
}

/* Records that the send call returning now needs `need` bytes free at tx_prod_v, publishes, returns EAGAIN. */
static int tx_wait_for(struct tzchan *ch, uint32_t need)
{
    ch->tx_want = ch->tx_prod_v + need + TZCHAN_WIRE_ZERO_AHEAD - ch->ring; /* tx_free() >= need from there */
    ch->flags |= F_TX_WANT;
    tx_publish(ch); /* never EAGAIN with unpublished progress */
    return TZCHAN_EAGAIN;
}

/* Makes sure `need` bytes are free at tx_prod_v. */
static int tx_need(struct tzchan *ch, uint32_t need)
{
    if (tx_free(ch) >= need)
        return 0;
    int e = tx_refresh(ch);
    if (e)
        return e;
    if (tx_free(ch) >= need)
        return 0;
    return tx_wait_for(ch, need);
}

static inline void put_hdr_at(unsigned char *p, uint32_t len, uint32_t flags)
{
    /* relaxed: published by the release store of prod in tx_publish() */
    tz_store_relaxed(p, len);
    tz_store_relaxed(p + 4, flags);
}

static inline void put_hdr(struct tzchan *ch, uint32_t len, uint32_t flags)
{
    put_hdr_at(ch->tx_data + (ch->tx_prod_v & ch->mask), len, flags);
}

/* Rule Z: eight zero bytes at z, the place of the header after a record we complete (offset 0 after one that ends
 * at the ring's end), written before anything publishes the record's last byte; they lie in the reserve that
 * tx_free() keeps. Plain stores: published by the release store that publishes the record (flags or prod). */
static TZ_INLINE void put_zero_ahead(unsigned char *z)
{
    TZ_MEMSET(z, 0, TZCHAN_WIRE_ZERO_AHEAD);
}

/* Rule S: the header of a self-published record whose payload, padding and zero ahead are written: len, then
 * flags. Also the header of a TZCHAN_MORE batch's record (flags without SELF, MSG_FLAGS()), which prod publishes:
 * for it the release below is stronger than needed (relaxed would do), kept so that the send paths store every
 * whole message's header the same way, without a branch on the batch flag. */
static TZ_INLINE void put_self_hdr(unsigned char *p, uint32_t len, uint32_t flags)
{
    tz_store_relaxed(p, len); /* relaxed: published by the release store of flags below */
    /* release: publishes the record (payload, padding, zero ahead, len) by its own header; pairs with the acquire
     * load of flags in rec_read(), tzchan_recv(), tzchan_recv_many() and tzchan_wait_prepare() (P3/C3) */
    tz_store_release(p + 4, flags);
}


/* The flags of a whole message's record: self-published (rule S) when the call publishes before it returns, and
 * published by prod, as in version 1, when it is a TZCHAN_MORE message of a batch (PROTOCOL.md s.9.2 item 2): an
 * unflushed batch stays invisible, so a producer that stops with one can reopen at its published prod (the batch
 * is lost, as in version 1) and never finds the consumer past it. mutant more-self-published: SELF for
 * TZCHAN_MORE too fails test_core's reopen after an unflushed batch */
#define MSG_FLAGS(more) ((more) ? (TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST) : TZCHAN_WIRE_REC_SELF_MSG)

/* Room for a record: the next `contig` bytes must not cross the ring's end (else a PAD record fills the rest
 * first) and `need` of them must be free now. A PAD is published alone if the record then has to wait
 * (PROTOCOL.md 4.3: the consumer consumes it on any receive call). */
static int tx_room(struct tzchan *ch, uint32_t contig, uint32_t need, uint32_t pad_flags)
{
    int e;
    uint32_t to_end = ch->ring - (ch->tx_prod_v & ch->mask);
    if (contig > to_end) {
        e = tx_need(ch, to_end);
        if (e)
            return e;
        /* the zero ahead at offset 0, then the PAD's header: self-published (rule S), or plain before a record of
         * a batch (pad_flags PAD: published by prod with the batch) */
        put_zero_ahead(ch->tx_data);
        put_self_hdr(ch->tx_data + (ch->tx_prod_v & ch->mask), to_end - TZCHAN_WIRE_REC_HDR, pad_flags);
        ch->tx_prod_v += to_end;
    }
    e = tx_need(ch, need);
    if (e)
        return e;
    ch->flags &= ~F_TX_WANT;
    return 0;
}

static int tx_usable(struct tzchan *ch)
{
    int e = unusable(ch);
    if (e)
        return e;
    if (peer_closed_hint(ch))
        return TZCHAN_EPIPE;
    return 0;
}

/* The general way of tzchan_send_flags: every argument and state check in the order the API documents them,
 * room made with a PAD record or waited for (EAGAIN). */
/* self: the record and a PAD before it publish themselves (a send without TZCHAN_MORE, or send_many's, which
 * publishes before it returns); else they wait for prod (a TZCHAN_MORE message of a batch). */
static TZ_OUTLINE int64_t send_general(struct tzchan *ch, const void *buf, size_t len, unsigned flags, bool self)
{
    int e = tx_usable(ch);
    if (e)
        return e;
    if (ch->tx_state != TX_IDLE || (buf == NULL && len != 0) || (flags & ~TZCHAN_MORE))
        return TZCHAN_EINVAL;
    if (len > ch->max_msg)
        return TZCHAN_EMSGSIZE;
    uint32_t n = (uint32_t)len, span = TZCHAN_WIRE_REC_HDR + align8(n);
    e = tx_room(ch, span, span, self ? TZCHAN_WIRE_REC_SELF_PAD : TZCHAN_WIRE_REC_PAD);
    if (e)
        return e;
    uint32_t off = ch->tx_prod_v & ch->mask;
    unsigned char *p = ch->tx_data + off;
    /* rule S: payload, padding, the zero ahead, then the header (a batch's too: rule Z) */
    if (n)
        TZ_MEMCPY(p + TZCHAN_WIRE_REC_HDR, buf, n);
    if (align8(n) != n)
        TZ_MEMSET(p + TZCHAN_WIRE_REC_HDR + n, 0, align8(n) - n);
    put_zero_ahead(ch->tx_data + ((off + span) & ch->mask));
    put_self_hdr(p, n, MSG_FLAGS(!self));
    ch->tx_prod_v += span;
    ch->st_msgs_sent++;
    ch->st_bytes_sent += n;
    if (!(flags & TZCHAN_MORE))
        tx_publish(ch);
    return (int64_t)n;
}

/* The end of send_msg() for a message larger than SMALL_MSG: kept out of it, so that the small-message path calls
 * nothing it must save registers around. */
static TZ_OUTLINE int64_t send_copy_big(struct tzchan *ch, unsigned char *p, unsigned char *z, const void *buf,
                                        uint32_t n, unsigned flags)
{
    TZ_MEMCPY(p + TZCHAN_WIRE_REC_HDR, buf, n);
    put_zero_ahead(z);
    put_self_hdr(p, n, MSG_FLAGS(flags & TZCHAN_MORE));
    if (!(flags & TZCHAN_MORE))
        tx_publish(ch);
    return (int64_t)n;
}

/* Whole-message send. Fast path: a usable endpoint, valid arguments, a peer not closed and the record fitting both
 * the free space we already know of and the rest of the ring (no PAD, no refresh of the peer's index): the same
 * record the general way would write, without its calls. Everything else goes the general way, which checks it
 * all again in the documented order. No peer-written value is used here but the state word (read once: its
 * CLOSED bit here, its sleep-fence bit when publishing) and the doorbell words tx_publish_new() reads. */
static TZ_INLINE int64_t send_msg(struct tzchan *ch, const void *buf, size_t len, unsigned flags)
{
    if (ch != NULL && (ch->flags & (F_OPENED | F_BROKEN | F_CLOSED | F_TX_BUSY)) == F_OPENED &&
        len <= ch->max_msg && buf != NULL && !(flags & ~TZCHAN_MORE)) {
        uint32_t peer_st = peer_state(ch); /* loaded once: the closed check here, the fence choice in publishing */
        uint32_t n = (uint32_t)len, span = TZCHAN_WIRE_REC_HDR + align8(n); /* n <= ring/2: no overflow */
        uint32_t prod = ch->tx_prod_v, off = prod & ch->mask;
        /* the record before the ring's end, and room for it and its zero ahead (the reserve, rule Z', which also
         * keeps rule L: see tx_refresh()). A sum of at most ring - 8 and 8 + ring/2: no overflow */
        if (!(peer_st & TZCHAN_WIRE_STATE_CLOSED) && span <= ch->ring - off &&
            (prod - ch->tx_cons_seen) + span <= ch->ring - TZCHAN_WIRE_ZERO_AHEAD) {
            unsigned char *p = ch->tx_data + off;
            /* the zero ahead's place: after the record, or offset 0 if it ends at the ring's end */
            unsigned char *z = span == ch->ring - off ? ch->tx_data : p + span;
            /* private bookkeeping first, and what publishing needs in locals: the compiler must assume the byte
             * copy below may write *ch */
            void *tx_prod = ch->tx_prod;
            struct tzchan_wire_sleep *ps = sleep_slot(ch->peer_sleep);
            prod += span;
            ch->tx_prod_v = prod;
            ch->flags &= ~F_TX_WANT;
            ch->st_msgs_sent++;
            if (n & 7u) /* the zero padding: 8 zero bytes over the last word, then the payload over their start */
                TZ_MEMSET(p + TZCHAN_WIRE_REC_HDR + (n & ~7u), 0, 8);
            /* apart from the other counter: side by side, gcc pairs the two adds into a 7-instruction vector add */
            ch->st_bytes_sent += n;
            if (n > SMALL_MSG)
                return send_copy_big(ch, p, z, buf, n, flags);
            copy_small(p + TZCHAN_WIRE_REC_HDR, buf, n);
            /* rule S: the zero ahead, then the header that publishes the record (or, in a batch, waits for prod) */
            put_zero_ahead(z);
            put_self_hdr(p, n, MSG_FLAGS(flags & TZCHAN_MORE));
            if (!(flags & TZCHAN_MORE)) {
                uint32_t w = tx_publish_new(ch, tx_prod, ps, prod, peer_st); /* prod is past tx_pub: it grew */
                if (w)
                    return ring_peer_ret(ch, w, (int64_t)n);
            }
            return (int64_t)n;
        }
    }
    return send_general(ch, buf, len, flags, !(flags & TZCHAN_MORE));
}

TZ_HOT int64_t tzchan_send_flags(struct tzchan *ch, const void *buf, size_t len, unsigned flags)
{
    /* a batch's message with the flag a constant: its path has no publication and no test of the flag */
    if (flags == TZCHAN_MORE)
        return send_msg(ch, buf, len, TZCHAN_MORE);
    return send_msg(ch, buf, len, flags);
}

TZ_HOT int64_t tzchan_send(struct tzchan *ch, const void *buf, size_t len)
{
    return send_msg(ch, buf, len, 0);
}

TZ_HOT int tzchan_flush(struct tzchan *ch)
{
    int e = unusable(ch);
    if (e)
        return e;
    tx_publish(ch);
    return 0;
}

/* Several whole messages, published together. Each message goes the way of send_msg() (the fast path, else the
 * general way) with TZCHAN_MORE, so the records written are exactly those of n tzchan_send_flags(MORE) calls; only
 * the endpoint checks and the peer's state word are taken once per call, and our index and the counters are kept
 * in locals (the copies could alias *ch otherwise), written back before any general call and at the end. */
TZ_HOT int64_t tzchan_send_many(struct tzchan *ch, const struct tzchan_out *msgs, size_t n)
{
    int e = unusable(ch);
    if (e)
        return e;
    uint32_t peer_st = peer_state(ch); /* loaded once: the closed check here, the fence choice in publishing */
    if (peer_st & TZCHAN_WIRE_STATE_CLOSED)
        return TZCHAN_EPIPE;
    if (ch->tx_state != TX_IDLE || msgs == NULL || n == 0)
        return TZCHAN_EINVAL;
    const uint32_t ring = ch->ring, mask = ch->mask, max = ch->max_msg;
    unsigned char *const data = ch->tx_data;
    uint32_t prod = ch->tx_prod_v;
    /* room: bytes we may write at prod now, both before the ring's end and within the free space we know of (less
     * the reserve). It shrinks by each record; when a record does not fit it, it is computed afresh (after a refresh
     * of the consumer's index if the free space is what is short), and after a general call it is 0, so computed
     * afresh. */
    uint32_t room = 0;
    uint64_t bytes = 0;
    size_t i = 0, fast = 0;
    bool waits = false;
    for (; i < n; i++) {
        const void *buf = msgs[i].buf;
        size_t len = msgs[i].len;
        if (len <= max && buf != NULL) {
            uint32_t m = (uint32_t)len, span = TZCHAN_WIRE_REC_HDR + align8(m);
            if (span > room) {
                uint32_t to_end = ring - (prod & mask), lim = ring - TZCHAN_WIRE_ZERO_AHEAD;
                if (span <= to_end) {
                    /* an impossible index breaks the endpoint, and the general way below then says EPROTO */
                    if (lim - (prod - ch->tx_cons_seen) < span) {
                        ch->tx_prod_v = prod; /* the consumer may have taken what we wrote: check against it */
                        (void)tx_refresh(ch);
                    }
                    room = min32(to_end, lim - (prod - ch->tx_cons_seen));
                }
            }
            if (span <= room) {
                uint32_t off = prod & mask;
                unsigned char *p = data + off;
                room -= span;
                prod += span;
                bytes += m;
                fast++;
                if (m & 7u) /* the zero padding, as in send_msg() */
                    TZ_MEMSET(p + TZCHAN_WIRE_REC_HDR + (m & ~7u), 0, 8);
                if (m > SMALL_MSG)
                    TZ_MEMCPY(p + TZCHAN_WIRE_REC_HDR, buf, m);
                else
                    copy_small(p + TZCHAN_WIRE_REC_HDR, buf, m);
                put_zero_ahead(data + (prod & mask)); /* rule S, as in send_msg() */
                put_self_hdr(p, m, TZCHAN_WIRE_REC_SELF_MSG);
                continue;
            }
        }
        /* a PAD first, no room, a bad argument: the general way decides, for this one message */
        ch->tx_prod_v = prod;
        int64_t r = send_general(ch, buf, len, TZCHAN_MORE, true); /* published before we return: self-published */
        prod = ch->tx_prod_v;
        room = 0;
        if (r < 0) {
            if (i == 0)
                return r; /* as tzchan_send would (an EAGAIN has published what was written before) */
            waits = r == TZCHAN_EAGAIN; /* it noted the room it waits for: keep that */
            break;
        }
    }
    if (fast && !waits)
        ch->flags &= ~F_TX_WANT; /* as after a send that succeeds: no send call waits for room */
    ch->tx_prod_v = prod;
    ch->st_msgs_sent += fast;
    ch->st_bytes_sent += bytes;
    if (ch->flags & F_BROKEN)
        return TZCHAN_EPROTO; /* the peer broke the protocol during the call: nothing more is published */
    tx_publish_st(ch, peer_st);
    return (int64_t)i;
}

static TZ_OUTLINE void *reserve_general(struct tzchan *ch, size_t len);

void *tzchan_reserve(struct tzchan *ch, size_t len)
{
    /* fast path, as send_msg()'s: a usable endpoint with nothing open, a peer not closed, and the record fitting
     * before the ring's end and in the free space already known (its zero ahead included, rule Z'); anything else
     * goes the general way below, which checks it all again in the documented order */
    if (ch != NULL && (ch->flags & (F_OPENED | F_BROKEN | F_CLOSED | F_TX_BUSY)) == F_OPENED && len <= ch->max_msg &&
        !peer_closed_hint(ch)) {
        uint32_t span = TZCHAN_WIRE_REC_HDR + align8((uint32_t)len); /* len <= ring/2: no overflow */
        uint32_t prod = ch->tx_prod_v, off = prod & ch->mask;
        /* a sum of at most ring - 8 and 8 + ring/2: no overflow (mutant reserve-fast-no-room: without the room
         * test a reservation writes over bytes the consumer has not released) */
        if (span <= ch->ring - off && (prod - ch->tx_cons_seen) + span <= ch->ring - TZCHAN_WIRE_ZERO_AHEAD) {
            set_tx_state(ch, TX_RESERVED);
            ch->tx_reserved = (uint32_t)len;
            ch->error = 0;
            return ch->tx_data + off + TZCHAN_WIRE_REC_HDR;
        }
    }
    return reserve_general(ch, len);
}

/* The general way of tzchan_reserve: every check in the order the API documents them, a PAD or EAGAIN. */
static TZ_OUTLINE void *reserve_general(struct tzchan *ch, size_t len)
{
    int e = tx_usable(ch);
    if (e == 0 && ch->tx_state != TX_IDLE)
        e = TZCHAN_EINVAL;
    if (e == 0 && len > ch->max_msg)
        e = TZCHAN_EMSGSIZE;
    if (e == 0) {
        uint32_t span = TZCHAN_WIRE_REC_HDR + align8((uint32_t)len);
        e = tx_room(ch, span, span, TZCHAN_WIRE_REC_SELF_PAD);
    }
    if (e) {
        if (ch != NULL && !(ch->flags & F_BROKEN))
            ch->error = e;
        return NULL;
    }
    set_tx_state(ch, TX_RESERVED);
    ch->tx_reserved = (uint32_t)len;
    ch->error = 0;
    return ch->tx_data + (ch->tx_prod_v & ch->mask) + TZCHAN_WIRE_REC_HDR;
}

static TZ_OUTLINE int commit_refused(struct tzchan *ch);

/* Zeroes the bytes of the 8-byte word at w from byte `keep` (1..7) on, keeping the payload bytes before them: the
 * padding of a record whose payload the caller wrote in place, without a call to memset. */
static TZ_INLINE void zero_tail(unsigned char *w, uint32_t keep)
{
    uint64_t v;
    TZ_MEMCPY(&v, w, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v &= ~(~(uint64_t)0 >> (8u * keep)); /* the first bytes are the high ones */
#else
    v &= ((uint64_t)1 << (8u * keep)) - 1u; /* the first bytes are the low ones */
#endif
    TZ_MEMCPY(w, &v, 8);
}

int tzchan_commit(struct tzchan *ch, size_t len)
{
    /* the only way, as send_msg()'s fast path without the copy: a usable endpoint with a reservation of at least
     * len bytes (its room and the ring's end were checked by tzchan_reserve()); publication from locals. Anything
     * else is refused (commit_refused() says why; mutants commit-over-reserved, commit-unreserved) */
    if (ch != NULL && (ch->flags & (F_OPENED | F_BROKEN | F_CLOSED)) == F_OPENED && ch->tx_state == TX_RESERVED &&
        len <= ch->tx_reserved) {
        uint32_t peer_st = peer_state(ch); /* for the fence choice in publishing */
        uint32_t n = (uint32_t)len, span = TZCHAN_WIRE_REC_HDR + align8(n), prod = ch->tx_prod_v;
        uint32_t off = prod & ch->mask;
        unsigned char *p = ch->tx_data + off;
        /* the zero ahead's place: after the record, or offset 0 if it ends at the ring's end */
        unsigned char *z = span == ch->ring - off ? ch->tx_data : p + span;
        void *tx_prod = ch->tx_prod;
        struct tzchan_wire_sleep *ps = sleep_slot(ch->peer_sleep);
        prod += span;
        ch->tx_prod_v = prod;
        set_tx_state(ch, TX_IDLE);
        ch->st_msgs_sent++;
        /* rule S: the caller wrote the payload; padding, the zero ahead (inside the room reserve() made), header.
         * (The padding apart from the counters, which side by side gcc pairs into a vector add.) */
        if (n & 7u) /* mutant commit-pad-kept */
            zero_tail(p + TZCHAN_WIRE_REC_HDR + (n & ~7u), n & 7u);
        ch->st_bytes_sent += n;
        put_zero_ahead(z); /* mutant commit-no-zero */
        put_self_hdr(p, n, TZCHAN_WIRE_REC_SELF_MSG);
        uint32_t w = tx_publish_new(ch, tx_prod, ps, prod, peer_st); /* prod is past tx_pub: it grew */
        if (w)
            return ring_peer_ret0(ch, w);
        return 0;
    }
    return commit_refused(ch);
}

/* Why tzchan_commit refuses: the codes in the documented order (an unusable endpoint first). */
static TZ_OUTLINE int commit_refused(struct tzchan *ch)
{
    int e = unusable(ch);
    return e ? e : TZCHAN_EINVAL; /* nothing reserved, or len over the reservation */
}

int tzchan_send_begin(struct tzchan *ch, uint64_t total_len)
{
    int e = tx_usable(ch);
    if (e)
        return e;
    if (ch->tx_state != TX_IDLE)
        return TZCHAN_EINVAL;
    set_tx_state(ch, TX_STREAM);
    ch->tx_total = total_len;
    ch->tx_sent = 0;
    ch->flags &= ~F_TX_FIRST_DONE;
    return 0;
}

/* Opens the next record of the stream message; call_left: bytes the caller offers now (> 0). */
static int tx_open_record(struct tzchan *ch, size_t call_left)
{
    bool first = !(ch->flags & F_TX_FIRST_DONE);
    bool known = ch->tx_total != TZCHAN_LEN_UNKNOWN;
    uint32_t hdr = first ? TZCHAN_WIRE_REC_HDR_FIRST : TZCHAN_WIRE_REC_HDR;
    uint32_t fl = first ? TZCHAN_WIRE_REC_FIRST : 0u;
    uint32_t rlen;
    int e;
    if (first && known && ch->tx_total <= ch->max_msg) {
        /* a declared message that fits: one record, filled as room appears, so tzchan_recv can take it whole */
        hdr = TZCHAN_WIRE_REC_HDR;
        fl = TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST;
        rlen = (uint32_t)ch->tx_total;
        e = tx_room(ch, hdr + align8(rlen), hdr + 1, TZCHAN_WIRE_REC_SELF_PAD);
        if (e)
            return e;
    } else if (known) {
        /* a fragment of a declared message > max_msg: as long as fits before the ring's end, at least MIN_FRAG */
        uint64_t left = ch->tx_total - ch->tx_sent;
        uint32_t want = left < MIN_FRAG ? (uint32_t)left : MIN_FRAG;
        e = tx_room(ch, hdr + align8(want), hdr + 1, TZCHAN_WIRE_REC_SELF_PAD);
        if (e)
            return e;
        uint32_t room = ch->ring - (ch->tx_prod_v & ch->mask) - hdr; /* a multiple of 8: the padding fits too */
        rlen = left < room ? (uint32_t)left : room;
        if (rlen == left) {
            fl |= TZCHAN_WIRE_REC_LAST;
            hdr = TZCHAN_WIRE_REC_HDR; /* FIRST|LAST has the short header (PROTOCOL.md 4.2) */
        }
    } else {
        /* unknown length: a record holds only bytes offered now that fit the free space now, padding included,
         * and starts wherever hdr + 8 bytes fit before the ring's end: so STREAM_ROOM free bytes always suffice
         * for progress, which is what the consumer's EMSGSIZE rule relies on (PROTOCOL.md 4.3) */
        e = tx_room(ch, hdr + 8u, hdr + 8u, TZCHAN_WIRE_REC_SELF_PAD);
        if (e)
            return e;
        uint32_t room = min32(ch->ring - (ch->tx_prod_v & ch->mask), tx_free(ch)) - hdr;
        room &= ~7u;
        rlen = call_left < room ? (uint32_t)call_left : room;
    }
    put_hdr(ch, rlen, fl);
    if (hdr == TZCHAN_WIRE_REC_HDR_FIRST) {
        unsigned char *p = ch->tx_data + (ch->tx_prod_v & ch->mask);
        /* relaxed: published by the release store of prod in tx_publish() */
        tz_store_relaxed(p + 8, (uint32_t)ch->tx_total);
        tz_store_relaxed(p + 12, (uint32_t)(ch->tx_total >> 32));
    }
    ch->tx_prod_v += hdr;
    ch->tx_rec_rem = rlen;
    ch->tx_rec_pad = align8(rlen) - rlen;
    ch->flags |= F_TX_FIRST_DONE;
    return 0;
}

int64_t tzchan_send_some(struct tzchan *ch, const void *buf, size_t len)
{
    int e = tx_usable(ch);
    if (e)
        return e;
    if (ch->tx_state != TX_STREAM || (buf == NULL && len != 0))
        return TZCHAN_EINVAL;
    if (ch->tx_total != TZCHAN_LEN_UNKNOWN && (uint64_t)len > ch->tx_total - ch->tx_sent)
        return TZCHAN_EINVAL;
    const unsigned char *src = buf;
    size_t taken = 0;
    /* copy in pieces of at most `chunk` and publish each, so the peer copies out while we copy in */
    uint32_t chunk = min32(STREAM_CHUNK, ch->ring / 4u);
    e = 0;
    /* bounded: each pass writes >= 1 byte or leaves */
    while (taken < len) {
        if (ch->tx_rec_rem == 0) {
            e = tx_open_record(ch, len - taken);
            if (e)
                break;
        }
        size_t want = len - taken;
        uint32_t n = min32(ch->tx_rec_rem, chunk);
        if (want < n)
            n = (uint32_t)want;
        /* the record's last byte goes out only together with its zero padding (PROTOCOL.md 4.1), so a record
         * is never left complete but for padding that only a later call would write */
        uint32_t fin = ch->tx_rec_rem + ch->tx_rec_pad;
        if (n == ch->tx_rec_rem && tx_free(ch) < fin)
            n--;
        n = min32(n, tx_free(ch));
        if (n == 0) {
            e = tx_need(ch, ch->tx_rec_rem == 1u ? fin : 1u);
            if (e)
                break;
            continue;
        }
        TZ_MEMCPY(ch->tx_data + (ch->tx_prod_v & ch->mask), src + taken, n);
        ch->tx_prod_v += n;
        ch->tx_rec_rem -= n;
        ch->tx_sent += n;
        taken += n;
        if (ch->tx_rec_rem == 0) {
            /* the record's last byte: its padding and the zero ahead (rule Z) go with it, before prod covers it */
            if (ch->tx_rec_pad != 0)
                TZ_MEMSET(ch->tx_data + (ch->tx_prod_v & ch->mask), 0, ch->tx_rec_pad);
            ch->tx_prod_v += ch->tx_rec_pad;
            ch->tx_rec_pad = 0;
            put_zero_ahead(ch->tx_data + (ch->tx_prod_v & ch->mask));
        }
        if (ch->tx_prod_v - ch->tx_pub >= chunk)
            tx_publish(ch);
    }
    ch->st_bytes_sent += taken;
    if (e == TZCHAN_EPROTO)
        return e;
    tx_publish(ch);
    return (int64_t)taken;
}

int tzchan_send_end(struct tzchan *ch)
{
    int e = tx_usable(ch);
    if (e)
        return e;
    if (ch->tx_state != TX_STREAM)
        return TZCHAN_EINVAL;
    bool known = ch->tx_total != TZCHAN_LEN_UNKNOWN;
    if (known && ch->tx_sent != ch->tx_total)
        return TZCHAN_EINVAL;
    if (!known || !(ch->flags & F_TX_FIRST_DONE)) {
        /* the closing record: empty LAST (or FIRST|LAST for an empty message) */
        e = tx_room(ch, TZCHAN_WIRE_REC_HDR, TZCHAN_WIRE_REC_HDR, TZCHAN_WIRE_REC_SELF_PAD);
        if (e)
            return e;
        uint32_t fl = TZCHAN_WIRE_REC_LAST | ((ch->flags & F_TX_FIRST_DONE) ? 0u : TZCHAN_WIRE_REC_FIRST);
        put_hdr(ch, 0, fl); /* published by prod, as every record of a streamed message */
        ch->tx_prod_v += TZCHAN_WIRE_REC_HDR;
        /* a record of a header alone: its zero ahead before the prod store that publishes it (rule Z) */
        put_zero_ahead(ch->tx_data + (ch->tx_prod_v & ch->mask));
    }
    set_tx_state(ch, TX_IDLE);
    ch->flags &= ~F_TX_FIRST_DONE;
    ch->st_msgs_sent++;
    tx_publish(ch);
    return 0;
}

/* ---- receive side ----------------------------------------------------------------------------------------- */
/* Bytes from our consumer index that the producer's index (as last checked) vouches for: 0 when it stands behind
 * us (we took self-published records it does not cover yet, PROTOCOL.md s.9.2 rule 7). rx_prod_seen lies within
 * [rx_cons_v - (ring - 8), rx_cons_v + ring] (rx_refresh() checks it, rx_seen_clamp() keeps it so). */
static inline uint32_t rx_have(const struct tzchan *ch)
{
    uint32_t have = ch->rx_prod_seen - ch->rx_cons_v;
    return have <= ch->ring ? have : 0u;
}

/* Keeps rx_prod_seen, the lowest value a fresh prod may take, within ring - 8 behind cons once cons passed it (an
 * honest prod never lags further, rule L), so that it stays unambiguous however far we go on self-published
 * records without loading prod. Called by every receive call that publishes through rx_publish(), and by the
 * fast paths (which do not) when they take a record that ends at the ring's end: every lap of the ring has a PAD
 * (taken by the general way) or such a record, so cons moves at most 2 rings between calls, and seen then lies in
 * [cons - (ring - 8) - 2 ring, cons + ring], which for ring <= 2^30 the unsigned test below reads right. */
static TZ_INLINE void rx_seen_clamp(struct tzchan *ch, uint32_t cons)
{
    uint32_t lag = ch->ring - TZCHAN_WIRE_ZERO_AHEAD, low = cons - lag;
    if (ch->rx_prod_seen - low > ch->ring + lag) /* below cons - (ring - 8) */
        ch->rx_prod_seen = low;
}

/* Loads and checks the producer's index. */
static int rx_refresh(struct tzchan *ch)
{
    /* acquire: pairs with the producer's release store of prod in tx_publish(): the record bytes before the new
     * prod are visible to the loads that follow */
    uint32_t p = tz_load_acquire(ch->rx_prod);
    uint32_t seen = ch->rx_prod_seen, cons = ch->rx_cons_v;
    /* in the window from the last value accepted forward to a ring past our consumer index: never backwards, never
     * more than a ring ahead; and since seen >= cons - (ring - 8) (rx_seen_clamp()), never more than ring - 8
     * behind us (PROTOCOL.md s.9.2 rule 7) */
    if (p - seen > cons + ch->ring - seen)
        return broken(ch);
    ch->rx_prod_seen = p;
    return 0;
}

/* Publishes cons, which the caller knows to be past rx_pub, and returns the peer's waiting word if the peer waits
 * for the room this frees (the caller then calls ring_peer()), else 0. As tx_publish_new(): the fast paths pass
 * what they loaded before their copies; peer_st is the peer's state word (peer_state()), loaded at any time
 * during the call (publish_fence() says why that is enough). */
static TZ_INLINE uint32_t rx_publish_new(struct tzchan *ch, void *rx_cons, struct tzchan_wire_sleep *ps,
                                         uint32_t cons, uint32_t peer_st)
{
    /* release: our reads of the freed bytes happen before the producer reuses them; pairs with the acquire load
     * of cons in tx_refresh() */
    tz_store_release(rx_cons, cons);
    ch->rx_pub = cons;
    /* our cons store before the load of the peer's waiting word; pairs with the fence (and sleep fence) in the
     * peer's tzchan_wait_prepare(ROOM) (store waiting; fence; load cons) */
    publish_fence(peer_st);
    /* acquire: pairs with the release store of waiting in the peer's wait_prepare(), so want_cons is the one
     * that goes with this wait */
    uint32_t w = tz_load_acquire(&ps->waiting);
    if (w & TZCHAN_WIRE_WAIT_ROOM) {
        uint32_t want = tz_load_relaxed(&ps->want_cons); /* relaxed: ordered by the acquire above */
        if ((int32_t)(cons - want) >= 0)
            return w;
    }
    return 0;
}

/* Publishes cons if it moved; the caller has kept rx_prod_seen within reach of it (rx_seen_clamp()). */
static TZ_INLINE void rx_publish_only(struct tzchan *ch)
{
    uint32_t cons = ch->rx_cons_v;
    if (ch->rx_pub == cons)
        return;
    uint32_t w = rx_publish_new(ch, ch->rx_cons, sleep_slot(ch->peer_sleep), cons, peer_state(ch));
    if (w)
        ring_peer(ch, w);
}

static TZ_INLINE void rx_publish(struct tzchan *ch)
{
    rx_seen_clamp(ch, ch->rx_cons_v);
    rx_publish_only(ch);
}

/* After consuming: free the space now (users expect a receive to free what it consumed; the producer may be
 * about to wait for exactly that room). */
static TZ_INLINE void rx_consumed(struct tzchan *ch)
{
    ch->flags &= ~F_RX_IDLE;
    rx_publish(ch);
}

/* Makes sure n bytes from our consumer index are published. EAGAIN, or EPIPE if the peer closed without them. */
static int rx_need(struct tzchan *ch, uint32_t n)
{
    if (rx_have(ch) >= n)
        return 0;
    /* acquire: pairs with the release store of CLOSED in the peer's tzchan_close(), which follows its last
     * publication, so the refresh below sees everything it ever sent */
    bool closed = (tz_load_acquire(&sleep_slot(ch->peer_sleep)->state) & TZCHAN_WIRE_STATE_CLOSED) != 0;
    int e = rx_refresh(ch);
    if (e)
        return e;
    if (rx_have(ch) >= n)
        return 0;
    return closed ? TZCHAN_EPIPE : TZCHAN_EAGAIN;
}

/* Makes sure the `whole` bytes of a record (or of its header) at `ahead` bytes past our consumer index are
 * published. An honest producer publishes a header whole and a record's last payload byte only together with its
 * padding (PROTOCOL.md 4.1), so while fewer than `wait_below` bytes of it are out we wait, and a producer index
 * that stopped between `wait_below` and `whole` is a protocol violation. `ahead` lies within what was published. */
static int rx_need_rec(struct tzchan *ch, uint32_t ahead, uint32_t wait_below, uint32_t whole)
{
    int e = rx_need(ch, ahead + whole);
    uint32_t have = rx_have(ch);
    /* (ahead may lie past what prod vouches for: a self-published PAD before it) */
    if ((e == TZCHAN_EAGAIN || e == TZCHAN_EPIPE) && have >= ahead && have - ahead >= wait_below)
        return broken(ch);
    return e;
}

/* A receive call is returning e: publish what we freed (a skipped PAD too: PROTOCOL.md 4.3 rule 3), and on
 * EAGAIN/EPIPE remember where we stopped, for tzchan_wait_prepare(). */
static int rx_fail(struct tzchan *ch, int e)
{
    if (e == TZCHAN_EPROTO)
        return e;
    rx_publish(ch);
    if (e == TZCHAN_EAGAIN || e == TZCHAN_EPIPE) {
        ch->rx_idle_prod = ch->rx_prod_seen;
        ch->flags |= F_RX_IDLE;
    }
    return e;
}

/* Loads the record header at pos (a record boundary we computed, at or after our consumer index), once, and checks
 * it (PROTOCOL.md s.9.2 item 6): a self-published header is complete as it stands; any other is read again once
 * prod vouches for it (a header found before that may be half written, or eight zero bytes: nothing yet). */
static int rec_read(struct tzchan *ch, uint32_t pos, struct rec *r)
{
    uint32_t ahead = pos - ch->rx_cons_v;
    uint32_t off = pos & ch->mask;
    const unsigned char *p = ch->rx_data + off;
    /* acquire: pairs with the release store of a self-published record's flags in put_self_hdr() (C3): its len
     * and payload are visible to the loads that follow; one load each, so one value each */
    uint32_t flags = tz_load_acquire(p + 4);
    uint32_t len = tz_load_relaxed(p); /* relaxed: ordered by the acquire above */
    int e;
    if (!(flags & TZCHAN_WIRE_REC_SELF)) {
        /* not self-published (yet): prod must cover the header; then load it again, once */
        e = rx_need_rec(ch, ahead, 1, TZCHAN_WIRE_REC_HDR);
        if (e)
            return e;
        /* acquire: as above (the record may have been completed and self-published meanwhile); the acquire load
         * of prod in rx_refresh() orders a header published by prod */
        flags = tz_load_acquire(p + 4);
        len = tz_load_relaxed(p); /* relaxed: ordered by the acquire loads above */
    }
    if (flags & TZCHAN_WIRE_REC_SELF) {
        /* only a whole message of at most max_msg bytes that does not cross the ring's end, or a PAD */
        if (flags == TZCHAN_WIRE_REC_SELF_MSG && len <= ch->max_msg &&
            off + TZCHAN_WIRE_REC_HDR + len <= ch->ring) { /* len <= ring/2: no overflow */
            r->len = len;
            r->flags = flags;
            r->hdr = TZCHAN_WIRE_REC_HDR;
            r->span = TZCHAN_WIRE_REC_HDR + align8(len);
            r->total = len;
            return 0;
        }
        if (flags != TZCHAN_WIRE_REC_SELF_PAD || off == 0 || len != ch->ring - off - TZCHAN_WIRE_REC_HDR)
            return broken(ch);
        r->len = len;
        r->flags = flags;
        r->hdr = TZCHAN_WIRE_REC_HDR;
        r->span = ch->ring - off;
        r->total = 0;
        return 0;
    }
    if (flags & ~(uint32_t)TZCHAN_WIRE_REC_KNOWN)
        return broken(ch);
    if (flags & TZCHAN_WIRE_REC_PAD) {
        /* a PAD fills the ring to its end, alone; none starts at offset 0 (it would fill the whole ring) */
        if (flags != TZCHAN_WIRE_REC_PAD || off == 0 || len != ch->ring - off - TZCHAN_WIRE_REC_HDR)
            return broken(ch);
        r->len = len;
        r->flags = flags;
        r->hdr = TZCHAN_WIRE_REC_HDR;
        r->span = ch->ring - off;
        r->total = 0;
        return 0;
    }
    bool multi_first = (flags & TZCHAN_WIRE_REC_FIRST) && !(flags & TZCHAN_WIRE_REC_LAST);
    uint32_t hdr = multi_first ? TZCHAN_WIRE_REC_HDR_FIRST : TZCHAN_WIRE_REC_HDR;
    if ((uint64_t)off + hdr + len > ch->ring) /* a record never crosses the ring's end */
        return broken(ch);
    r->len = len;
    r->flags = flags;
    r->hdr = hdr;
    r->span = hdr + align8(len);
    r->total = len;
    if (multi_first) {
        e = rx_need_rec(ch, ahead, 1, TZCHAN_WIRE_REC_HDR_FIRST);
        if (e)
            return e;
        uint64_t lo = tz_load_relaxed(p + 8), hi = tz_load_relaxed(p + 12); /* relaxed: as above */
        r->total = lo | (hi << 32);
        if (r->total < len)
            return broken(ch);
    }
    return 0;
}

/* Makes sure the whole record r at `ahead` past our consumer index is published (its padding included). */
static int rec_whole(struct tzchan *ch, uint32_t ahead, const struct rec *r)
{
    if (r->flags & TZCHAN_WIRE_REC_SELF)
        return 0; /* self-published: complete since its header said so */
    /* a PAD is published whole at once; a record's payload may still be coming until its last byte */
    uint32_t wait_below = (r->flags & TZCHAN_WIRE_REC_PAD) ? r->hdr : r->hdr + r->len;
    return rx_need_rec(ch, ahead, wait_below, r->span);
}

/* Header of the next message-bearing record at our consumer index, skipping a PAD record. */
static int rx_head(struct tzchan *ch, struct rec *r)
{
    int e = rec_read(ch, ch->rx_cons_v, r);
    if (e || !(r->flags & TZCHAN_WIRE_REC_PAD))
        return e;
    e = rec_whole(ch, 0, r);
    if (e)
        return e;
    ch->rx_cons_v += r->span;
    /* we are at offset 0 now, where rec_read() refuses a PAD */
    return rec_read(ch, ch->rx_cons_v, r);
}

static int rx_usable(struct tzchan *ch)
{
    int e = unusable(ch);
    if (e)
        return e;
    if (ch->rx_state == RX_PEEKED || (ch->flags & F_RX_IN_REC) || ch->rx_state == RX_MSG)
        return TZCHAN_EINVAL;
    return 0;
}

static inline void rx_delivered(struct tzchan *ch, uint64_t len)
{
    ch->st_msgs_recv++;
    ch->st_bytes_recv += len;
    rx_consumed(ch);
}

/* tzchan_recv of a message in several records: copy them all or consume nothing. */
static int64_t recv_multi(struct tzchan *ch, unsigned char *dst, size_t cap, const struct rec *first)
{
    uint64_t lim = cap < ch->max_msg ? (uint64_t)cap : ch->max_msg;
    bool known = first->total != TZCHAN_LEN_UNKNOWN;
    if (known && first->total > lim)
        return rx_fail(ch, TZCHAN_EMSGSIZE);
    uint32_t pos = ch->rx_cons_v;
    uint64_t sum = 0;
    struct rec r = *first;
    int e;
    /* bounded: every pass moves pos forward by >= 8 bytes, inside the <= ring bytes published */
    for (;;) {
        if (!(r.flags & TZCHAN_WIRE_REC_PAD)) {
            if (known && sum + r.len > first->total)
                return broken(ch); /* more bytes than the message announced */
            if (sum + r.len > lim)
                return rx_fail(ch, TZCHAN_EMSGSIZE);
        }
        e = rec_whole(ch, pos - ch->rx_cons_v, &r);
        if (e)
            goto incomplete;
        if (!(r.flags & TZCHAN_WIRE_REC_PAD)) {
            if (r.len)
                TZ_MEMCPY(dst + sum, ch->rx_data + (pos & ch->mask) + r.hdr, r.len);
            sum += r.len;
        }
        pos += r.span;
        if (r.flags & TZCHAN_WIRE_REC_LAST)
            break;
        e = rec_read(ch, pos, &r);
        if (e)
            goto incomplete;
        if (r.flags & TZCHAN_WIRE_REC_FIRST)
            return broken(ch);
    }
    if (known && sum != first->total)
        return broken(ch); /* fewer bytes than the message announced */
    ch->rx_cons_v = pos;
    rx_delivered(ch, sum);
    return (int64_t)sum;
incomplete:
    /* the ring is (nearly) full of this message: a producer needs at most STREAM_ROOM free bytes to go on with
     * it (PROTOCOL.md 4.3), so with less it is waiting for us, and the message cannot arrive whole */
    if (e == TZCHAN_EAGAIN && ch->ring - rx_have(ch) < TZCHAN_WIRE_STREAM_ROOM)
        e = TZCHAN_EMSGSIZE;
    return rx_fail(ch, e);
}

/* The general way of tzchan_recv: every check in the documented order, PAD records, messages in several
 * records, records not yet published whole. */
static TZ_OUTLINE int64_t recv_general(struct tzchan *ch, void *buf, size_t cap)
{
    int e = rx_usable(ch);
    if (e)
        return e;
    if (buf == NULL && cap != 0)
        return TZCHAN_EINVAL;
    struct rec r;
    e = rx_head(ch, &r);
    if (e)
        return rx_fail(ch, e);
    if (!(r.flags & TZCHAN_WIRE_REC_FIRST))
        return broken(ch);
    if (!(r.flags & TZCHAN_WIRE_REC_LAST))
        return recv_multi(ch, buf, cap, &r);
    if (r.len > ch->max_msg || r.len > cap)
        return rx_fail(ch, TZCHAN_EMSGSIZE);
    e = rec_whole(ch, 0, &r);
    if (e)
        return rx_fail(ch, e);
    if (r.len)
        TZ_MEMCPY(buf, ch->rx_data + (ch->rx_cons_v & ch->mask) + r.hdr, r.len);
    ch->rx_cons_v += r.span;
    rx_delivered(ch, r.len);
    return (int64_t)r.len;
}

/* The end of tzchan_recv()'s fast path for a message larger than SMALL_MSG (see send_copy_big()). */
static TZ_OUTLINE int64_t recv_copy_big(struct tzchan *ch, void *buf, const unsigned char *src, uint32_t len)
{
    TZ_MEMCPY(buf, src, len);
    rx_consumed(ch); /* publishes the new cons: after the copy */
    return (int64_t)len;
}

/* The fast paths' test of the record at cons (p: its header, at ring offset off). The header is loaded once
 * (flags with acquire, then len) and only these values are used: true if it is a whole message the fast paths may
 * take, self-published (FIRST|LAST|SELF, PROTOCOL.md s.9.2 item 6), or FIRST|LAST within the prod value already
 * accepted (a TZCHAN_MORE batch: that prod's acquire load made these header words the final ones); at most max_msg;
 * not crossing the ring's end. *lenp and *spanp get its length and span. Mutants fast-any-flags (any SELF header
 * taken), fast-prod-uncovered (a batch record beyond the accepted prod taken: unflushed, or still being written),
 * fast-unbounded (len over max_msg), fast-path-ring-end (a record across the ring's end taken). */
static TZ_INLINE bool fast_whole(const struct tzchan *ch, const unsigned char *p, uint32_t off, uint32_t *lenp,
                                 uint32_t *spanp)
{
    /* acquire: pairs with the release store of flags in put_self_hdr() (C3); one load each */
    uint32_t fl = tz_load_acquire(p + 4), len = tz_load_relaxed(p); /* relaxed: after the acquire */
    uint32_t span = TZCHAN_WIRE_REC_HDR + align8(len); /* meaningful only when len <= max_msg = ring/2 */
    *lenp = len;
    *spanp = span;
    return (fl == TZCHAN_WIRE_REC_SELF_MSG ||
            (fl == (TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST) && span <= rx_have(ch))) &&
           len <= ch->max_msg && span <= ch->ring - off;
}

static TZ_OUTLINE int64_t recv_miss(struct tzchan *ch, void *buf, size_t cap);

/* tzchan_recv()'s fast path. Where it misses it goes to recv_miss() if `retry` (a constant in each use), else the
 * general way. */
static TZ_INLINE int64_t recv_fast(struct tzchan *ch, void *buf, size_t cap, bool retry)
{
    /* fast path: a usable endpoint between messages, and the next record a self-published whole message fitting
     * cap (PROTOCOL.md s.9.2 item 6): complete by its own header, so prod is not loaded. The header is loaded once
     * (fast_whole()) and only these loaded values are used, checked as rec_read() checks them.
     * Anything else (nothing self-published here, a record published by prod, a PAD, a header a hostile peer
     * rewrites between here and the general path) goes the general way, which checks it all again and loads the
     * header afresh; a batch record beyond the accepted prod first gets one more try after a prod load
     * (recv_miss()). */
    if (ch != NULL && (ch->flags & (F_OPENED | F_BROKEN | F_CLOSED | F_RX_IN_REC | F_RX_BUSY)) == F_OPENED &&
        (buf != NULL || cap == 0)) {
        uint32_t cons = ch->rx_cons_v, off = cons & ch->mask;
        const unsigned char *p = ch->rx_data + off;
        uint32_t len, span;
        if (fast_whole(ch, p, off, &len, &span) && len <= cap) {
            if (span == ch->ring - off) /* the end of a lap (see rx_seen_clamp()) */
                rx_seen_clamp(ch, cons + span);
            if (len > SMALL_MSG) {
                ch->rx_cons_v = cons + span;
                ch->st_msgs_recv++;
                ch->st_bytes_recv += len;
                return recv_copy_big(ch, buf, p + TZCHAN_WIRE_REC_HDR, len);
            }
            /* the copy first, with what the bookkeeping needs in locals (the copy may write *ch as far as
             * the compiler knows; fewer values live across it than the other way round) */
            cons += span;
            copy_small(buf, p + TZCHAN_WIRE_REC_HDR, len);
            ch->rx_cons_v = cons;
            ch->flags &= ~F_RX_IDLE;
            ch->st_msgs_recv++;
            ch->st_bytes_recv += len;
            /* the new cons, after the copy; it is past rx_pub: it grew by span */
            uint32_t w = rx_publish_new(ch, ch->rx_cons, sleep_slot(ch->peer_sleep), cons, peer_state(ch));
            if (w)
                return ring_peer_ret(ch, w, (int64_t)len);
            return (int64_t)len;
        }
    }
    return retry ? recv_miss(ch, buf, cap) : recv_general(ch, buf, cap);
}

TZ_HOT int64_t tzchan_recv(struct tzchan *ch, void *buf, size_t cap)
{
    return recv_fast(ch, buf, cap, true);
}

/* The fast path missed. If the record at cons is a batch record (TZCHAN_MORE: FIRST|LAST, published by prod)
 * beyond the prod value accepted, as the first of each batch is, prod is loaded, and if it moved the fast path
 * runs once more (without coming back here), loading the header afresh: only a header loaded after the acquire
 * load of a prod that covers it is final. Else, or if prod did not move, the general way, which also reports a
 * prod that rx_refresh() refused (the endpoint is broken then). */
static TZ_OUTLINE int64_t recv_miss(struct tzchan *ch, void *buf, size_t cap)
{
    if (ch != NULL && (ch->flags & (F_OPENED | F_BROKEN | F_CLOSED | F_RX_IN_REC | F_RX_BUSY)) == F_OPENED) {
        /* relaxed: a hint that picks the way; the fast path loads the header again, with acquire */
        uint32_t fl = tz_load_relaxed(ch->rx_data + (ch->rx_cons_v & ch->mask) + 4), seen = ch->rx_prod_seen;
        if (fl == (TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST) && rx_refresh(ch) == 0 && ch->rx_prod_seen != seen)
            return recv_fast(ch, buf, cap, false); /* once: a prod that kept moving would recurse a ring deep */
    }
    return recv_general(ch, buf, cap);
}

/* tzchan_recv_many()'s load of prod for a TZCHAN_MORE batch record beyond the value it accepted: our index and the
 * accepted value, kept in the caller's locals, are written back, prod is loaded and checked (rx_refresh()), and the
 * value accepted now returned (unchanged if prod did not move, or if it was refused: the endpoint is broken then). */
static TZ_OUTLINE uint32_t many_refresh(struct tzchan *ch, uint32_t cons, uint32_t seen)
{
    ch->rx_cons_v = cons;
    ch->rx_prod_seen = seen;
    (void)rx_refresh(ch);
    return ch->rx_prod_seen;
}

/* Several whole messages, the room they free published once. Each message is taken the way tzchan_recv() takes
 * it (the same fast-path checks on a header loaded once; else the general way, which checks everything again and
 * publishes), so what is delivered is exactly what n tzchan_recv() calls would deliver. Our index and the
 * counters live in locals while the copies run (the copies could alias *ch) and are written back before any
 * general call and at the end. Two forms of one loop (`batch` is a constant in each): the first takes
 * self-published records only (what tzchan_send_many and tzchan_send write); the second, which a call takes when
 * the record at cons is a TZCHAN_MORE batch's, also takes batch records that the prod value accepted covers,
 * loading prod once per call when it meets one it does not cover. Kept apart so that the first keeps its registers
 * for its own few values. */
static TZ_INLINE int64_t recv_many_loop(struct tzchan *ch, struct tzchan_in *msgs, size_t n, bool batch)
{
    const uint32_t ring = ch->ring, mask = ch->mask, max = ch->max_msg;
    const uint32_t lag = ring - TZCHAN_WIRE_ZERO_AHEAD;
    const unsigned char *const data = ch->rx_data;
    uint32_t cons = ch->rx_cons_v, seen = ch->rx_prod_seen;
    uint64_t bytes = 0;
    size_t i = 0, fast = 0;
    bool waits = false, refreshed = false;
    for (; i < n; i++) {
        void *buf = msgs[i].buf;
        size_t cap = msgs[i].cap;
        if (buf != NULL || cap == 0) {
            uint32_t off = cons & mask;
            const unsigned char *p = data + off;
            /* acquire: pairs with the release store of flags in put_self_hdr() (C3); for a batch record, orders the
             * header after the acquire load of the prod that covers it (in many_refresh()); one load each */
            uint32_t fl = tz_load_acquire(p + 4), len = tz_load_relaxed(p); /* relaxed: after the acquire */
            /* a batch record: whole if the prod value accepted covers it, as in fast_whole() (mutant
             * many-recv-prod-uncovered); its span is meaningful only for len <= max, tested below */
            bool whole = fl == TZCHAN_WIRE_REC_SELF_MSG ||
                         (batch && fl == (TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST) && seen - cons <= ring &&
                          TZCHAN_WIRE_REC_HDR + align8(len) <= seen - cons);
            if (whole && len <= max && len <= cap) {
                uint32_t span = TZCHAN_WIRE_REC_HDR + align8(len); /* len <= ring/2: no overflow */
                if (span <= ring - off) {
                    cons += span;
                    /* rx_seen_clamp(), on the local copy, at the end of a lap */
                    if (span == ring - off && seen - (cons - lag) > ring + lag)
                        seen = cons - lag;
                    bytes += len;
                    fast++;
                    msgs[i].len = len;
                    if (len > SMALL_MSG)
                        TZ_MEMCPY(buf, p + TZCHAN_WIRE_REC_HDR, len);
                    else
                        copy_small(buf, p + TZCHAN_WIRE_REC_HDR, len);
                    continue;
                }
            } else if (batch && fl == (TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST) && len <= max && len <= cap) {
                /* beyond the prod value accepted, as the first record of each batch is: prod is loaded (once per
                 * call: a prod that kept moving could hold the call a ring long), and if it moved the header is
                 * loaded again, since only one loaded after the acquire load of a prod that covers it is final
                 * (mutant many-recv-no-refresh: every batch record goes the general way, at twice the cost) */
                if (!refreshed) {
                    uint32_t fresh = many_refresh(ch, cons, seen);
                    refreshed = true;
                    if (fresh != seen) {
                        seen = fresh;
                        i--; /* this entry again, its header loaded afresh */
                        continue;
                    }
                }
                if (i > 0)
                    break; /* not published yet (or prod refused: the end says EPROTO): the batch ends here */
            } else if ((fl | len) == 0 && i > 0) {
                break; /* nothing self-published here: the batch ends (the next call looks at prod) */
            }
        }
        /* a PAD, a record published by prod, a message in several records or not yet whole, a bad argument,
         * nothing here yet: the general way decides, for this one message (and publishes what was consumed before
         * it) */
        ch->rx_cons_v = cons;
        ch->rx_prod_seen = seen;
        int64_t r = recv_general(ch, buf, cap);
        cons = ch->rx_cons_v;
        seen = ch->rx_prod_seen;
        if (r < 0) {
            if (i == 0)
                return r; /* as tzchan_recv would */
            waits = r == TZCHAN_EAGAIN || r == TZCHAN_EPIPE; /* it noted where it stopped: keep that */
            break;
        }
        msgs[i].len = (size_t)r;
    }
    if (fast && !waits)
        ch->flags &= ~F_RX_IDLE; /* as after a receive that delivers: no EAGAIN since */
    ch->rx_cons_v = cons;
    ch->rx_prod_seen = seen;
    ch->st_msgs_recv += fast;
    ch->st_bytes_recv += bytes;
    if (ch->flags & F_BROKEN)
        return TZCHAN_EPROTO; /* the peer broke the protocol during the call: what came before is suspect too */
    rx_publish_only(ch); /* the new cons: after the copies (the loop kept rx_prod_seen within reach) */
    return (int64_t)i;
}

static TZ_OUTLINE int64_t recv_many_batch(struct tzchan *ch, struct tzchan_in *msgs, size_t n)
{
    return recv_many_loop(ch, msgs, n, true);
}

TZ_HOT int64_t tzchan_recv_many(struct tzchan *ch, struct tzchan_in *msgs, size_t n)
{
    int e = rx_usable(ch);
    if (e)
        return e;
    if (msgs == NULL || n == 0)
        return TZCHAN_EINVAL;
    /* relaxed: a hint that picks the form of the loop; each form loads every header with acquire */
    if (tz_load_relaxed(ch->rx_data + (ch->rx_cons_v & ch->mask) + 4) == (TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST))
        return recv_many_batch(ch, msgs, n);
    return recv_many_loop(ch, msgs, n, false);
}

/* recv_some is returning EAGAIN or EPIPE. A message it entered in this call without delivering a byte of it is
 * put back (nothing was published past it yet), so the caller is never left inside a message it has not seen:
 * recv and peek would say EINVAL, and a peer could cause that by publishing a first header before its payload. */
static int rx_some_fail(struct tzchan *ch, int e, bool fresh, uint32_t cons)
{
    if (fresh && e != TZCHAN_EPROTO && ch->rx_state == RX_MSG && ch->rx_got == 0) {
        set_rx_state(ch, RX_IDLE);
        ch->flags &= ~(F_RX_IN_REC | F_RX_REC_LAST | F_RX_REC_SELF);
        ch->rx_cons_v = cons;
        ch->rx_rec_rem = 0;
    }
    return rx_fail(ch, e);
}

int64_t tzchan_recv_some(struct tzchan *ch, void *buf, size_t cap, bool *end_of_message)
{
    int e = unusable(ch);
    if (e)
        return e;
    if (buf == NULL || cap == 0 || end_of_message == NULL || ch->rx_state == RX_PEEKED)
        return TZCHAN_EINVAL;
    *end_of_message = false;
    bool fresh = ch->rx_state == RX_IDLE;
    uint32_t start_cons = ch->rx_cons_v;
    /* bounded: a pass without payload consumes a header (>= 8 bytes) */
    for (;;) {
        if (!(ch->flags & F_RX_IN_REC)) {
            struct rec r;
            e = rx_head(ch, &r);
            if (e)
                return rx_some_fail(ch, e, fresh, start_cons);
            bool is_first = (r.flags & TZCHAN_WIRE_REC_FIRST) != 0;
            if (ch->rx_state == RX_IDLE) {
                if (!is_first)
                    return broken(ch);
                set_rx_state(ch, RX_MSG);
                ch->rx_total = r.total;
                ch->rx_got = 0;
            } else if (is_first) {
                return broken(ch);
            }
            ch->rx_cons_v += r.hdr;
            ch->rx_rec_rem = r.len;
            ch->rx_rec_pad = align8(r.len) - r.len;
            ch->flags |= F_RX_IN_REC;
            if (r.flags & TZCHAN_WIRE_REC_LAST)
                ch->flags |= F_RX_REC_LAST;
            else
                ch->flags &= ~F_RX_REC_LAST;
            if (r.flags & TZCHAN_WIRE_REC_SELF)
                ch->flags |= F_RX_REC_SELF;
            else
                ch->flags &= ~F_RX_REC_SELF;
        }
        uint32_t n = 0;
        bool self = (ch->flags & F_RX_REC_SELF) != 0; /* the record is complete: prod says nothing about it */
        if (ch->rx_rec_rem != 0) {
            if (!self) {
                e = rx_need(ch, 1);
                if (e)
                    return rx_some_fail(ch, e, fresh, start_cons);
            }
            n = self ? ch->rx_rec_rem : min32(ch->rx_rec_rem, rx_have(ch));
            if (cap < n)
                n = (uint32_t)cap;
            if (ch->rx_total != TZCHAN_LEN_UNKNOWN && n > ch->rx_total - ch->rx_got)
                return broken(ch); /* more bytes than the message announced */
            TZ_MEMCPY(buf, ch->rx_data + (ch->rx_cons_v & ch->mask), n);
            ch->rx_cons_v += n;
            ch->rx_rec_rem -= n;
            ch->rx_got += n;
            ch->st_bytes_recv += n;
        }
        if (ch->rx_rec_rem == 0) {
            /* the last payload byte came with the record's padding (PROTOCOL.md 4.1): skip it now */
            if (!self && rx_have(ch) < ch->rx_rec_pad)
                return broken(ch);
            ch->rx_cons_v += ch->rx_rec_pad;
            ch->flags &= ~(F_RX_IN_REC | F_RX_REC_SELF);
            if (ch->flags & F_RX_REC_LAST) {
                if (ch->rx_total != TZCHAN_LEN_UNKNOWN && ch->rx_got != ch->rx_total)
                    return broken(ch); /* fewer bytes than the message announced */
                set_rx_state(ch, RX_IDLE);
                ch->st_msgs_recv++;
                *end_of_message = true;
            }
        }
        if (n != 0 || *end_of_message) {
            rx_consumed(ch);
            return (int64_t)n;
        }
    }
}

int tzchan_recv_total(struct tzchan *ch, uint64_t *total)
{
    int e = unusable(ch);
    if (e)
        return e;
    if (total == NULL)
        return TZCHAN_EINVAL;
    if (ch->rx_state == RX_MSG) {
        *total = ch->rx_total;
        return 0;
    }
    if (ch->rx_state == RX_PEEKED) {
        *total = ch->rx_peek_len;
        return 0;
    }
    struct rec r;
    e = rx_head(ch, &r);
    if (e == 0 && !(r.flags & TZCHAN_WIRE_REC_FIRST))
        e = broken(ch);
    if (e == 0)
        *total = r.total;
    return rx_fail(ch, e); /* also publishes a PAD that rx_head() skipped */
}

static TZ_OUTLINE const void *peek_general(struct tzchan *ch, size_t *len);

const void *tzchan_peek(struct tzchan *ch, size_t *len)
{
    /* fast path, as tzchan_recv()'s: a usable endpoint between messages, nothing peeked, and the next record a
     * whole message of at most max_msg, self-published or within the prod value already accepted, not crossing
     * the ring's end. The header is loaded once (flags with acquire, then len) and only these values are used;
     * anything else goes the general way, which loads and checks it all again. */
    if (ch != NULL && len != NULL &&
        (ch->flags & (F_OPENED | F_BROKEN | F_CLOSED | F_RX_IN_REC | F_RX_BUSY)) == F_OPENED) {
        uint32_t cons = ch->rx_cons_v, off = cons & ch->mask;
        const unsigned char *p = ch->rx_data + off;
        uint32_t n, span;
        if (fast_whole(ch, p, off, &n, &span)) {
            set_rx_state(ch, RX_PEEKED);
            ch->rx_peek_end = cons + span;
            ch->rx_peek_len = n;
            ch->rx_peek_ptr = p + TZCHAN_WIRE_REC_HDR;
            ch->error = 0;
            *len = n;
            return ch->rx_peek_ptr;
        }
    }
    return peek_general(ch, len);
}

/* The general way of tzchan_peek: the state checks, rx_head() (PAD records consumed, prod loaded), rec_whole(). */
static TZ_OUTLINE const void *peek_general(struct tzchan *ch, size_t *len)
{
    int e = unusable(ch);
    if (e == 0 && len == NULL)
        e = TZCHAN_EINVAL;
    if (e == 0 && ch->rx_state == RX_PEEKED) {
        *len = ch->rx_peek_len;
        return ch->rx_peek_ptr;
    }
    if (e == 0 && (ch->rx_state != RX_IDLE || (ch->flags & F_RX_IN_REC)))
        e = TZCHAN_EINVAL;
    struct rec r;
    if (e == 0)
        e = rx_head(ch, &r);
    if (e == 0 && !(r.flags & TZCHAN_WIRE_REC_FIRST))
        e = broken(ch);
    if (e == 0 && (!(r.flags & TZCHAN_WIRE_REC_LAST) || r.len > ch->max_msg))
        e = TZCHAN_EMSGSIZE;
    if (e == 0)
        e = rec_whole(ch, 0, &r);
    if (e) {
        if (ch != NULL && (ch->flags & F_OPENED)) {
            if (e != TZCHAN_EINVAL)
                e = rx_fail(ch, e);
            if (!(ch->flags & F_BROKEN))
                ch->error = e;
        }
        return NULL;
    }
    set_rx_state(ch, RX_PEEKED);
    ch->rx_peek_end = ch->rx_cons_v + r.span;
    ch->rx_peek_len = r.len;
    ch->rx_peek_ptr = ch->rx_data + (ch->rx_cons_v & ch->mask) + r.hdr;
    ch->error = 0;
    *len = r.len;
    return ch->rx_peek_ptr;
}

int tzchan_release(struct tzchan *ch)
{
    int e = unusable(ch);
    if (e)
        return e;
    if (ch->rx_state != RX_PEEKED)
        return TZCHAN_EINVAL;
    uint32_t cons = ch->rx_peek_end;
    ch->rx_cons_v = cons;
    set_rx_state(ch, RX_IDLE);
    ch->flags &= ~F_RX_IDLE;
    ch->st_msgs_recv++;
    ch->st_bytes_recv += ch->rx_peek_len;
    /* as tzchan_recv()'s fast path: the clamp once per lap, when the record ended at the ring's end (mutant
     * release-seen-clamp); the new cons is past rx_pub (it grew by the record's span) */
    if ((cons & ch->mask) == 0)
        rx_seen_clamp(ch, cons);
    uint32_t w = rx_publish_new(ch, ch->rx_cons, sleep_slot(ch->peer_sleep), cons, peer_state(ch));
    if (w)
        ring_peer(ch, w);
    return 0;
}

/* ---- waiting ---------------------------------------------------------------------------------------------- */
void tzchan_set_notify(struct tzchan *ch, void (*notify)(void *ctx), void *ctx)
{
    if (ch == NULL)
        return;
    ch->notify = notify;
    ch->notify_ctx = ctx;
}

int tzchan_set_sleep_fence(struct tzchan *ch, void (*fence)(void *ctx), void *ctx)
{
    int e = unusable(ch);
    if (e)
        return e;
    if (fence == NULL)
        return TZCHAN_EINVAL;
    ch->sleep_fence = fence;
    ch->sleep_fence_ctx = ctx;
    /* release: the hook is set before the peer can see the announcement (only our own thread calls it anyway) */
    tz_store_release(&sleep_slot(ch->my_sleep)->state, TZCHAN_WIRE_STATE_OPEN | TZCHAN_WIRE_STATE_SLEEP_FENCE);
    return 0;
}

int tzchan_wait_prepare(struct tzchan *ch, enum tzchan_wait what)
{
    int e = unusable(ch);
    if (e)
        return e;
    uint32_t bits = (uint32_t)what;
    if (bits == 0 || (bits & ~(uint32_t)(TZCHAN_WAIT_DATA | TZCHAN_WAIT_ROOM)))
        return TZCHAN_EINVAL;
    /* never sleep with progress the peer cannot see */
    tx_publish(ch);
    rx_publish(ch);
    struct tzchan_wire_sleep *ms = sleep_slot(ch->my_sleep);
    /* acquire: the bell is read before our waiting store below becomes visible, so any ring answering that store
     * changes it; pairs with the release store of the bell in the peer's ring_peer() */
    ch->wait_seen = tz_load_acquire(&sleep_slot(ch->peer_sleep)->bell);
    /* the waiting word names the bell value we will sleep on, so the peer rings exactly once for this wait */
    uint32_t not_waiting = (ch->wait_seen & TZCHAN_WIRE_WAIT_SEEN_MASK) << TZCHAN_WIRE_WAIT_SEEN_SHIFT;
    uint32_t w = not_waiting | bits;
    if (bits & TZCHAN_WAIT_ROOM)
        tz_store_relaxed(&ms->want_cons, ch->tx_want); /* relaxed: published by the release store below */
    /* release: want_cons travels with the waiting word; pairs with the acquire load of waiting in rx_publish() */
    tz_store_release(&ms->waiting, w);
    /* full fence: our waiting store before the index loads below; pairs with the fences in the peer's
     * tx_publish() and rx_publish() */
    tz_fence_full();
    /* sleep fence: makes the peer's CPU execute a full barrier, so its index store before its waiting load is
     * ordered even when its publish_fence() was only a compiler barrier (asymmetric store-buffer handshake) */
    if (ch->sleep_fence != NULL)
        ch->sleep_fence(ch->sleep_fence_ctx);
    bool holds = peer_closed_hint(ch);
    if (bits & TZCHAN_WAIT_DATA) {
        e = rx_refresh(ch);
        if (e)
            goto out;
        if ((ch->flags & F_RX_IDLE) ? ch->rx_prod_seen != ch->rx_idle_prod : rx_have(ch) != 0)
            holds = true;
        /* a self-published record at our index (at a record boundary, not peeked): its header is the word the
         * producer stores before prod (PROTOCOL.md s.9.2 item 8). acquire: pairs with put_self_hdr()'s release */
        if (!(ch->flags & F_RX_IN_REC) && ch->rx_state != RX_PEEKED &&
            (tz_load_acquire(ch->rx_data + (ch->rx_cons_v & ch->mask) + 4) & TZCHAN_WIRE_REC_SELF))
            holds = true;
    }
    if (bits & TZCHAN_WAIT_ROOM) {
        e = tx_refresh(ch);
        if (e)
            goto out;
        if (!(ch->flags & F_TX_WANT) || (int32_t)(ch->tx_cons_seen - ch->tx_want) >= 0)
            holds = true;
    }
    if (!holds) {
        ch->wait_what = bits;
        ch->st_waits++;
        return 0;
    }
out:
    tz_store_relaxed(&ms->waiting, not_waiting); /* relaxed: a hint only */
    return e ? e : 1;
}

void tzchan_wait_done(struct tzchan *ch)
{
    if (unusable(ch) == TZCHAN_EINVAL)
        return;
    ch->wait_what = 0;
    /* relaxed: clearing the flag only spares the peer needless rings; nothing is ordered by it */
    tz_store_relaxed(&sleep_slot(ch->my_sleep)->waiting,
                     (ch->wait_seen & TZCHAN_WIRE_WAIT_SEEN_MASK) << TZCHAN_WIRE_WAIT_SEEN_SHIFT);
}

const uint32_t *tzchan_wait_word(const struct tzchan *ch, uint32_t *expect)
{
    if (ch == NULL || !(ch->flags & F_OPENED))
        return NULL;
    if (expect != NULL)
        *expect = ch->wait_seen;
    return &sleep_slot(ch->peer_sleep)->bell;
}

bool tzchan_peer_closed(const struct tzchan *ch)
{
    if (ch == NULL || !(ch->flags & F_OPENED))
        return false;
    return peer_closed_hint(ch);
}

/* ---- region and endpoint ---------------------------------------------------------------------------------- */
size_t tzchan_region_size(uint32_t lanes, uint32_t ring_bytes)
{
    if (lanes == 0 || lanes > TZCHAN_MAX_LANES || ring_bytes < TZCHAN_MIN_RING || ring_bytes > TZCHAN_MAX_RING ||
        (ring_bytes & (ring_bytes - 1u)) != 0)
        return 0;
    uint64_t stride = TZCHAN_WIRE_LANE_CTRL + 2u * (uint64_t)ring_bytes;
    uint64_t total = TZCHAN_WIRE_HEADER_BYTES + (uint64_t)lanes * stride;
    if (total > (uint64_t)SIZE_MAX)
        return 0;
    return (size_t)total;
}

int tzchan_region_init(void *mem, size_t size, uint32_t lanes, uint32_t ring_bytes)
{
    size_t need = tzchan_region_size(lanes, ring_bytes);
    if (mem == NULL || ((uintptr_t)mem & (TZCHAN_WIRE_ALIGN - 1u)) != 0 || need == 0 || size < need)
        return TZCHAN_EINVAL;
    /* zero everything: indices start at 0, and no stale byte of ours reaches the peer */
    TZ_MEMSET(mem, 0, need);
    struct tzchan_wire_header *h = mem;
    h->version = TZCHAN_WIRE_VERSION;
    h->lanes = lanes;
    h->ring_bytes = ring_bytes;
    h->region_bytes = need;
    h->lane_offset = TZCHAN_WIRE_HEADER_BYTES;
    h->lane_stride = TZCHAN_WIRE_LANE_CTRL + 2u * (uint64_t)ring_bytes;
    h->ring_offset_ab = TZCHAN_WIRE_LANE_CTRL;
    h->ring_offset_ba = TZCHAN_WIRE_LANE_CTRL + ring_bytes;
    h->flags = 0;
    /* release: the header is complete before the magic says so (the hand-off to the peer orders it anyway) */
    tz_store_release(&h->magic, TZCHAN_WIRE_MAGIC);
    return 0;
}

int tzchan_open(struct tzchan *ch, void *mem, size_t size, enum tzchan_side side, uint32_t lane)
{
    if (ch == NULL || mem == NULL || ((uintptr_t)mem & (TZCHAN_WIRE_ALIGN - 1u)) != 0 ||
        (side != TZCHAN_SIDE_A && side != TZCHAN_SIDE_B) || size < TZCHAN_WIRE_HEADER_BYTES)
        return TZCHAN_EINVAL;
    unsigned char *m = mem;
    const struct tzchan_wire_header *h = mem;
    /* relaxed loads, each field once: the hand-off (SMC, socket) that gave us the region ordered its setup */
    uint32_t magic = tz_load_relaxed(&h->magic);
    uint32_t version = tz_load_relaxed(&h->version);
    uint32_t lanes = tz_load_relaxed(&h->lanes);
    uint32_t ring = tz_load_relaxed(&h->ring_bytes);
    uint64_t region_bytes = tz_load_relaxed(&h->region_bytes) | (uint64_t)tz_load_relaxed(m + 0x14) << 32;
    uint64_t lane_offset = tz_load_relaxed(&h->lane_offset) | (uint64_t)tz_load_relaxed(m + 0x1c) << 32;
    uint64_t lane_stride = tz_load_relaxed(&h->lane_stride) | (uint64_t)tz_load_relaxed(m + 0x24) << 32;
    uint32_t off_ab = tz_load_relaxed(&h->ring_offset_ab);
    uint32_t off_ba = tz_load_relaxed(&h->ring_offset_ba);
    uint32_t hflags = tz_load_relaxed(&h->flags);
    uint32_t reserved = 0;
    for (uint32_t i = 0; i < sizeof h->reserved / sizeof h->reserved[0]; i++)
        reserved |= tz_load_relaxed(&h->reserved[i]); /* relaxed, once each: as above */
    if (magic != TZCHAN_WIRE_MAGIC)
        return TZCHAN_EPROTO;
    if (version != TZCHAN_WIRE_VERSION || hflags != 0)
        return TZCHAN_EVERSION;
    size_t need = tzchan_region_size(lanes, ring);
    uint64_t stride = TZCHAN_WIRE_LANE_CTRL + 2u * (uint64_t)ring;
    if (need == 0 || region_bytes != need || reserved != 0 || lane_offset != TZCHAN_WIRE_HEADER_BYTES ||
        lane_stride != stride || off_ab != TZCHAN_WIRE_LANE_CTRL || off_ba != TZCHAN_WIRE_LANE_CTRL + ring)
        return TZCHAN_EPROTO;
    if (size < need || lane >= lanes)
        return TZCHAN_EINVAL;

    unsigned char *lb = m + TZCHAN_WIRE_HEADER_BYTES + (size_t)lane * (size_t)stride;
    struct tzchan_wire_lane *l = (struct tzchan_wire_lane *)(void *)lb;
    bool a = side == TZCHAN_SIDE_A;
    struct tzchan c;
    TZ_MEMSET(&c, 0, sizeof c);
    c.tx_data = lb + (a ? off_ab : off_ba);
    c.rx_data = lb + (a ? off_ba : off_ab);
    c.tx_prod = a ? &l->ab_prod.value : &l->ba_prod.value;
    c.tx_cons = a ? &l->ab_cons.value : &l->ba_cons.value;
    c.rx_prod = a ? &l->ba_prod.value : &l->ab_prod.value;
    c.rx_cons = a ? &l->ba_cons.value : &l->ab_cons.value;
    c.my_sleep = a ? &l->sleep_a : &l->sleep_b;
    c.peer_sleep = a ? &l->sleep_b : &l->sleep_a;
    c.ring = ring;
    c.mask = ring - 1u;
    c.max_msg = ring / 2u;
    c.lane = lane;
    c.side = (uint32_t)side;
    /* the lane's current indices: relaxed, each once, then checked (a reopen continues where they stand) */
    uint32_t tp = tz_load_relaxed(c.tx_prod), tc = tz_load_relaxed(c.tx_cons);
    uint32_t rp = tz_load_relaxed(c.rx_prod), rc = tz_load_relaxed(c.rx_cons);
    /* the ring we consume: prod at most a ring ahead of cons, or at most ring - 8 behind it (the consumer took
     * self-published records prod does not cover yet, rule L). The ring we produce: what we wrote is what we
     * published (a side publishes before it closes), and we never write more than ring - 8 ahead of the consumer
     * (rule Z'), nor may it stand past what we wrote (a consumer past our prod means we died with unpublished
     * records it took: such a side must not reopen, PROTOCOL.md s.3) */
    if (tp - tc > ring - TZCHAN_WIRE_ZERO_AHEAD || (rp - rc > ring && rc - rp > ring - TZCHAN_WIRE_ZERO_AHEAD) ||
        (tp & 7u) != 0 || (rc & 7u) != 0)
        return TZCHAN_EPROTO;
    c.tx_prod_v = c.tx_pub = tp;
    c.tx_cons_seen = tc;
    c.rx_cons_v = c.rx_pub = rc;
    c.rx_prod_seen = rp;
    struct tzchan_wire_sleep *ms = sleep_slot(c.my_sleep);
    c.bell = tz_load_relaxed(&ms->bell); /* relaxed: our own counter; any value will do */
    c.flags = F_OPENED;
    *ch = c;
    tz_store_relaxed(&ms->waiting, 0); /* relaxed: not waiting; nothing is ordered by it */
    /* release: our index and waiting words are set before the peer can see us open; the peer reads state only as
     * a status (no pairing needed beyond that) */
    tz_store_release(&ms->state, TZCHAN_WIRE_STATE_OPEN);
    return 0;
}

int tzchan_close(struct tzchan *ch)
{
    int e = unusable(ch);
    if (e == TZCHAN_EINVAL)
        return e;
    if (e == 0) { /* publish everything: what we sent and the space we freed (PROTOCOL.md 7) */
        tx_publish(ch);
        rx_publish(ch);
    }
    ch->flags |= F_CLOSED;
    /* release: everything we published comes before CLOSED; pairs with the acquire load of state in the
     * peer's rx_need() */
    tz_store_release(&sleep_slot(ch->my_sleep)->state, TZCHAN_WIRE_STATE_OPEN | TZCHAN_WIRE_STATE_CLOSED);
    /* full fence: CLOSED before we look at the peer's waiting word; pairs with the fence in its wait_prepare() */
    tz_fence_full();
    uint32_t w = tz_load_relaxed(&sleep_slot(ch->peer_sleep)->waiting); /* relaxed: ordered by the fence */
    if (w & (TZCHAN_WIRE_WAIT_DATA | TZCHAN_WIRE_WAIT_ROOM))
        ring_peer(ch, w);
    return 0;
}

size_t tzchan_max_msg(const struct tzchan *ch)
{
    return (ch != NULL && (ch->flags & F_OPENED)) ? ch->max_msg : 0;
}

int tzchan_error(const struct tzchan *ch)
{
    return ch != NULL ? ch->error : TZCHAN_EINVAL;
}

void tzchan_get_stats(const struct tzchan *ch, struct tzchan_stats *st)
{
    if (ch == NULL || st == NULL)
        return;
    st->msgs_sent = ch->st_msgs_sent;
    st->bytes_sent = ch->st_bytes_sent;
    st->msgs_recv = ch->st_msgs_recv;
    st->bytes_recv = ch->st_bytes_recv;
    st->doorbells = ch->st_rings;
    st->waits = ch->st_waits;
}
