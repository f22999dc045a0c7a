/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tzchan: byte messages between two parties that share memory but do not trust each other (the TrustZone secure
 * and normal worlds, two processes, two VMs, two cores of an asymmetric SoC).
 *
 * This is the portable core's API. It is freestanding C11: no libc beyond the freestanding headers, no malloc, no
 * OS calls. A region holds `lanes` lanes; each lane is a pair of single-producer/single-consumer rings (A->B and
 * B->A). An endpoint (`struct tzchan`) is one side's view of one lane, kept in the caller's private memory.
 *
 * Concurrency: an endpoint is used by one thread (or CPU) at a time; a caller that sends from one thread and
 * receives from another serialises them (the Linux port does this for its blocking calls). Different endpoints
 * (other lanes, the other side) are fully independent: that is how one lane per CPU needs no shared lock.
 *
 * Errors: calls return >= 0 on success or a negative TZCHAN_E* code; pointer-returning calls return NULL and
 * leave the code in tzchan_error(). TZCHAN_EPROTO latches: once the peer has broken the protocol, every later
 * call on the endpoint returns TZCHAN_EPROTO. Nothing in this API blocks; ports add blocking on top of
 * tzchan_wait_prepare()/tzchan_wait_done() and the notify hook.
 */
#ifndef TZCHAN_TZCHAN_H
#define TZCHAN_TZCHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && !defined(TZCHAN_STATIC_BUILD)
#define TZCHAN_API __attribute__((visibility("default")))
#else
#define TZCHAN_API
#endif

/* ---- error codes ------------------------------------------------------------------------------------------ */
#define TZCHAN_EAGAIN (-1)    /* no room / no data yet: try again, or wait through a port */
#define TZCHAN_EINVAL (-2)    /* bad argument or call out of sequence; nothing was changed */
#define TZCHAN_EMSGSIZE (-3)  /* does not fit the buffer, or cannot travel/arrive whole; nothing consumed */
#define TZCHAN_EPROTO (-4)    /* not a tzchan region, or the peer broke the protocol; the endpoint is broken */
#define TZCHAN_EVERSION (-5)  /* the region's format version is one this build does not speak */
#define TZCHAN_EPIPE (-6)     /* the peer closed its end or died */
#define TZCHAN_ETIMEDOUT (-7) /* a blocking call (port) timed out */
#define TZCHAN_EINTR (-8)     /* a blocking call (port) was interrupted before it made progress */
#define TZCHAN_ENOMEM (-9)    /* a port could not get memory or a kernel object */
#define TZCHAN_EIO (-10)      /* a port's OS call failed for another reason */

/* Name of an error code ("TZCHAN_EPROTO: peer broke the protocol"); never NULL, also for unknown codes. */
TZCHAN_API const char *tzchan_strerror(int code);

/* ---- region ------------------------------------------------------------------------------------------------ */
/* Bytes a region of `lanes` lanes with rings of `ring_bytes` needs: a multiple of 64, or 0 if the geometry is
 * invalid (ring not a power of two in 1 KiB .. 1 GiB, lanes not in 1 .. TZCHAN_MAX_LANES, or too big for size_t). */
#define TZCHAN_MAX_LANES 1024u
#define TZCHAN_MIN_RING 1024u
#define TZCHAN_MAX_RING (1u << 30)
TZCHAN_API size_t tzchan_region_size(uint32_t lanes, uint32_t ring_bytes);

/* Lays a region out in `mem` (64-byte aligned, `size` >= tzchan_region_size()). Called once, by the creator
 * (side A), before any endpoint is opened on it; not concurrently with anything else on the region.
 * Returns 0, or TZCHAN_EINVAL (mem NULL or misaligned, geometry invalid, size too small; nothing written). */
TZCHAN_API int tzchan_region_init(void *mem, size_t size, uint32_t lanes, uint32_t ring_bytes);

/* ---- endpoint ---------------------------------------------------------------------------------------------- */
enum tzchan_side { TZCHAN_SIDE_A = 0, TZCHAN_SIDE_B = 1 };

/* One side's endpoint on one lane. Allocate it anywhere private (stack, static, heap); its fields are private to
 * the core and may change between releases. All geometry is copied here at open and never re-read. */
struct tzchan {
    /* shared memory (untrusted): data areas and the words this endpoint reads or writes */
    unsigned char *tx_data, *rx_data;
    void *tx_prod, *tx_cons, *rx_prod, *rx_cons; /* index words */
    void *my_sleep, *peer_sleep;                 /* doorbell slots */
    /* geometry (private copy) */
    uint32_t ring, mask, max_msg;
    uint32_t lane;
    uint32_t side;
    /* send side */
    uint32_t tx_prod_v;     /* next byte we write */
    uint32_t tx_pub;        /* last value published in *tx_prod */
    uint32_t tx_cons_seen;  /* last checked value of the peer's consumer index */
    uint32_t tx_rec_rem;    /* payload bytes still to write into the open record */
    uint32_t tx_rec_pad;    /* zero bytes written together with its last payload byte */
    uint32_t tx_want;       /* consumer index our last EAGAIN needs (valid if tx_want_set) */
    uint32_t tx_reserved;   /* length handed out by tzchan_reserve (valid if tx_state == RESERVED) */
    uint32_t tx_state;      /* idle / stream open / reserved */
    uint64_t tx_total;      /* declared total of the open stream message */
    uint64_t tx_sent;       /* bytes taken for it so far */
    /* receive side */
    uint32_t rx_cons_v;     /* next byte we read */
    uint32_t rx_pub;        /* last value published in *rx_cons */
    uint32_t rx_prod_seen;  /* last checked value of the peer's producer index */
    uint32_t rx_rec_rem;    /* payload bytes left in the current record (recv_some) */
    uint32_t rx_rec_pad;    /* zero bytes after it (published with its last payload byte) */
    uint32_t rx_idle_prod;  /* producer index when a receive call last returned EAGAIN */
    uint32_t rx_peek_end;   /* index after the peeked record (valid if rx_state == PEEKED) */
    uint32_t rx_state;      /* idle / in a streamed message / in its last record / peeked */
    uint64_t rx_total;      /* total announced by the current message's first record */
    uint64_t rx_got;        /* bytes of it delivered so far */
    const void *rx_peek_ptr;
    uint32_t rx_peek_len;
    /* doorbells */
    void (*notify)(void *ctx);
    void *notify_ctx;
    void (*sleep_fence)(void *ctx);
    void *sleep_fence_ctx;
    uint32_t wait_what, wait_seen; /* what we wait for; the peer's bell value we sleep on */
    uint32_t bell;          /* our bell counter (we are its only writer) */
    uint32_t flags;
    int error;              /* latched TZCHAN_EPROTO, or the cause of the last NULL return */
    /* statistics */
    uint64_t st_msgs_sent, st_bytes_sent, st_msgs_recv, st_bytes_recv, st_rings, st_waits, st_violations;
};

/* Opens side `side`'s endpoint on lane `lane` of the region at `mem` (`size` bytes: the mapping the caller may
 * touch). Validates the header and the lane's current indices, copies the geometry into `ch` and marks this side
 * open in the region. Returns 0; TZCHAN_EINVAL (NULL, misaligned, side/lane out of range, size smaller than the
 * region claims); TZCHAN_EPROTO (bad magic, inconsistent header or non-zero reserved bytes, impossible indices or
 * own indices not on an 8-byte boundary); TZCHAN_EVERSION. A reopen continues where the lane's indices stand; a
 * side that closed in the middle of a message must not reopen the lane (docs/PROTOCOL.md s.3). */
TZCHAN_API int tzchan_open(struct tzchan *ch, void *mem, size_t size, enum tzchan_side side, uint32_t lane);

/* Publishes everything (batched messages, and the space freed by receives), marks this side closed in the region
 * and rings the peer if it waits: the peer's receive calls return TZCHAN_EPIPE once they have drained what was sent
 * before, its send calls return TZCHAN_EPIPE at once. A stream message not yet ended stays incomplete (the peer
 * gets its published bytes from recv_some, then EPIPE); a reservation not committed is dropped. The endpoint may
 * not be used afterwards (calls return TZCHAN_EINVAL). */
TZCHAN_API int tzchan_close(struct tzchan *ch);

/* Largest message tzchan_send/tzchan_recv/tzchan_reserve handle whole: ring_bytes / 2. */
TZCHAN_API size_t tzchan_max_msg(const struct tzchan *ch);

/* ---- whole messages ---------------------------------------------------------------------------------------- */
/* Sends one message of `len` bytes (0 allowed), visible to the peer when it returns. All or nothing: returns
 * len, TZCHAN_EAGAIN (no room now; batched messages were published), TZCHAN_EMSGSIZE (len > max_msg: use the
 * stream calls), TZCHAN_EINVAL (a stream or reservation is open), TZCHAN_EPIPE (peer closed), TZCHAN_EPROTO. */
TZCHAN_API int64_t tzchan_send(struct tzchan *ch, const void *buf, size_t len);

/* Receives the next message into buf and frees its space. Returns its length; TZCHAN_EAGAIN (none complete
 * yet); TZCHAN_EMSGSIZE (longer than cap or than max_msg, or a message in several records, e.g. a stream of
 * unknown length, that has not ended while fewer than TZCHAN_WIRE_STREAM_ROOM bytes of the ring are free, so it
 * cannot arrive whole: read it with tzchan_recv_some; nothing of it consumed); TZCHAN_EINVAL (recv_some is in the
 * middle of a message, or a peek is outstanding); TZCHAN_EPIPE (peer closed and nothing complete is left: a message
 * it left unfinished is reported so too); TZCHAN_EPROTO. Never EAGAIN for a message it can never take whole. */
TZCHAN_API int64_t tzchan_recv(struct tzchan *ch, void *buf, size_t cap);

/* ---- messages of any size ---------------------------------------------------------------------------------- */
#define TZCHAN_LEN_UNKNOWN UINT64_MAX
/* Opens a message of total_len bytes (TZCHAN_LEN_UNKNOWN: ended by send_end). Never TZCHAN_EAGAIN; EINVAL if a
 * message or reservation is open; EPIPE (peer closed); EPROTO. A declared length <= max_msg travels as one record, so the peer can take it
 * with tzchan_recv. */
TZCHAN_API int tzchan_send_begin(struct tzchan *ch, uint64_t total_len);
/* Takes up to len bytes of the open message; returns the number taken (visible to the peer on return), 0 when
 * it cannot take a byte now (the ring is full, or only a record's last byte is left and the zero padding that goes
 * with it does not fit yet); EINVAL if no message is open or len goes past the declared total; EPIPE; EPROTO. */
TZCHAN_API int64_t tzchan_send_some(struct tzchan *ch, const void *buf, size_t len);
/* Closes the open message. TZCHAN_EAGAIN if its closing record does not fit yet; EINVAL if fewer than the
 * declared bytes were sent (the message stays open) or none is open; EPIPE; EPROTO. */
TZCHAN_API int tzchan_send_end(struct tzchan *ch);
/* Reads up to cap (> 0) bytes of the current message. Returns > 0 bytes, or 0 only with *end_of_message set
 * (a message ended, e.g. a zero-length one); *end_of_message is true when the returned bytes end the message.
 * TZCHAN_EAGAIN when nothing is available; EINVAL (cap 0, NULL, peek outstanding); EPIPE; EPROTO. */
TZCHAN_API int64_t tzchan_recv_some(struct tzchan *ch, void *buf, size_t cap, bool *end_of_message);
/* The total length the current (or next) message announced: its length if it is one record, the declared total
 * for a streamed message (TZCHAN_LEN_UNKNOWN if undeclared). Returns 0 and sets *total, TZCHAN_EAGAIN if no
 * message has started, EINVAL (total NULL), EPIPE (peer closed and nothing is left), EPROTO. Does not consume
 * anything. */
TZCHAN_API int tzchan_recv_total(struct tzchan *ch, uint64_t *total);

/* ---- zero copy --------------------------------------------------------------------------------------------- */
/* Contiguous room for one whole message of len (<= max_msg) bytes, in shared memory, or NULL with tzchan_error()
 * TZCHAN_EAGAIN / EMSGSIZE / EINVAL / EPIPE / EPROTO. The caller writes the message there, then commits. */
TZCHAN_API void *tzchan_reserve(struct tzchan *ch, size_t len);
/* Publishes the reserved message with its final length (<= the reserved len). EINVAL if nothing is reserved. */
TZCHAN_API int tzchan_commit(struct tzchan *ch, size_t len);
/* The next message if it is complete and one record, else NULL (tzchan_error(): EAGAIN, EMSGSIZE for a streamed
 * one, EPIPE, EINVAL, EPROTO). WARNING: the pointer is into shared memory that a hostile peer can rewrite while
 * you read it: copy what you must validate before validating it. Valid until tzchan_release(). */
TZCHAN_API const void *tzchan_peek(struct tzchan *ch, size_t *len);
/* Consumes the peeked message. EINVAL if nothing is peeked. */
TZCHAN_API int tzchan_release(struct tzchan *ch);
/* The code behind the last NULL return, or TZCHAN_EPROTO once broken; 0 if none. */
TZCHAN_API int tzchan_error(const struct tzchan *ch);

/* ---- batching ---------------------------------------------------------------------------------------------- */
#define TZCHAN_MORE 1u
/* As tzchan_send; with TZCHAN_MORE the message is written but not yet published (the peer cannot see it) and the
 * peer not rung. tzchan_flush (or the next send without the flag, or any call that would return EAGAIN or sleep,
 * or tzchan_close) publishes. A producer that stops without closing and reopens loses an unflushed batch, and
 * nothing else (docs/PROTOCOL.md s.9.2 item 2). */
TZCHAN_API int64_t tzchan_send_flags(struct tzchan *ch, const void *buf, size_t len, unsigned flags);
TZCHAN_API int tzchan_flush(struct tzchan *ch);

/* ---- several messages per call ---------------------------------------------------------------------------- */
struct tzchan_out {
    const void *buf; /* the message's bytes (may be NULL when len is 0) */
    size_t len;      /* its length */
};
struct tzchan_in {
    void *buf;  /* where the message goes (may be NULL when cap is 0) */
    size_t cap; /* its size */
    size_t len; /* set by tzchan_recv_many: the length of the message received into it */
};
/* Sends msgs[0..n) in order, each a whole message, as n tzchan_send_flags(TZCHAN_MORE) calls and a tzchan_flush
 * would, stopping before the first that cannot go now. Returns how many were sent (1..n), all visible to the peer
 * when the call returns; if the first cannot go, the code tzchan_send would return for it (EAGAIN, EMSGSIZE,
 * EINVAL, EPIPE, EPROTO), with nothing sent. A call that stops early says nothing of why: the next call, with the
 * rest, returns it; but a protocol breach found during the call makes the call return EPROTO. EINVAL also for
 * msgs NULL or n 0, and while a stream message or reservation is open. */
TZCHAN_API int64_t tzchan_send_many(struct tzchan *ch, const struct tzchan_out *msgs, size_t n);
/* Receives up to n messages in order, the i-th whole into msgs[i].buf (msgs[i].len set), as n tzchan_recv calls
 * would, and frees their space with one publication, stopping before the first it cannot deliver now. Returns how
 * many arrived (1..n); if the first cannot, the code tzchan_recv would return for it (EAGAIN, EMSGSIZE with the
 * message left queued, EINVAL, EPIPE, EPROTO). A call that stops early says nothing of why: the next call does;
 * but a protocol breach found during the call makes the call return EPROTO, whatever it delivered before (the
 * endpoint is broken). EINVAL also for msgs NULL or n 0. */
TZCHAN_API int64_t tzchan_recv_many(struct tzchan *ch, struct tzchan_in *msgs, size_t n);

/* ---- doorbells (for ports) --------------------------------------------------------------------------------- */
enum tzchan_wait { TZCHAN_WAIT_DATA = 1, TZCHAN_WAIT_ROOM = 2 };
/* Registers how to ring the peer. The core calls notify(ctx) from inside send/receive calls, only when the peer
 * has said it waits for what the call just made available, at most once per wait of the peer. */
TZCHAN_API void tzchan_set_notify(struct tzchan *ch, void (*notify)(void *ctx), void *ctx);
/* Optional, for ports whose OS offers an asymmetric fence (Linux: membarrier()). fence(ctx) must, before it
 * returns, have made every CPU on which the peer's endpoint may be running execute a full memory barrier (a CPU
 * that switches the peer out or in executes one anyway). With it, tzchan_wait_prepare() calls fence(ctx) after
 * announcing the wait, and this endpoint says so in its doorbell slot; the peer then publishes with a compiler
 * barrier instead of a full fence, which takes the fence off its per-message path (docs/PROTOCOL.md s.6 shows
 * why no wake-up is lost). Call once, after tzchan_open() and before the endpoint is used by another thread; it
 * cannot be withdrawn, since the peer may already rely on it (tzchan_close() withdraws it). Returns 0, EINVAL. */
TZCHAN_API int tzchan_set_sleep_fence(struct tzchan *ch, void (*fence)(void *ctx), void *ctx);
/* Before sleeping: publishes our own progress, announces the wait (what: DATA, ROOM, or both as (enum tzchan_wait)3) and
 * checks again. Returns 0: sleep now (the peer will ring); 1: no need, the condition already holds; EINVAL;
 * EPROTO. DATA holds when the peer published new bytes since the receive call that last returned EAGAIN (or, if
 * none did since the last message was consumed, when anything is published), or when a self-published record
 * stands at our consumer index (a batch the peer has not flushed yet): a receive call may then still find
 * only part of a message and return EAGAIN again, after which DATA no longer holds, so a wait loop never spins;
 * when DATA does not hold, a receive call would return EAGAIN. ROOM holds when the send call that last returned
 * EAGAIN (or the send_some that returned 0) would now make progress, or when no send call is waiting for room.
 * Either holds when the peer closed. After a 0, call tzchan_wait_done() once awake (after a 1 it is not needed,
 * but harmless). */
TZCHAN_API int tzchan_wait_prepare(struct tzchan *ch, enum tzchan_wait what);
TZCHAN_API void tzchan_wait_done(struct tzchan *ch);
/* The word a futex/WFE-style port sleeps on after wait_prepare returned 0: sleep while it still holds *expect.
 * It is the peer's bell counter in shared memory (read it with a 32-bit atomic load). */
TZCHAN_API const uint32_t *tzchan_wait_word(const struct tzchan *ch, uint32_t *expect);
/* True once the peer has called tzchan_close(). */
TZCHAN_API bool tzchan_peer_closed(const struct tzchan *ch);

/* ---- statistics -------------------------------------------------------------------------------------------- */
struct tzchan_stats {
    uint64_t msgs_sent, bytes_sent;  /* messages completed / payload bytes taken, this endpoint */
    uint64_t msgs_recv, bytes_recv;  /* messages completed / payload bytes delivered */
    uint64_t doorbells;              /* times this endpoint rang the peer */
    uint64_t waits;                  /* wait_prepare calls that returned 0 (would sleep) */
};
TZCHAN_API void tzchan_get_stats(const struct tzchan *ch, struct tzchan_stats *st);

#ifdef __cplusplus
}
#endif
#endif /* TZCHAN_TZCHAN_H */
