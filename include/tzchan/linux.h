/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tzchan Linux port: two processes (or VMs sharing memory through a file) talk through a tzchan region.
 *
 * The creator (side A) makes a sealed memfd region, lays it out and hands it to the other side (side B) over a
 * unix socket in one SCM_RIGHTS message: this stands in for the SMC that passes a buffer's address to the secure
 * world. Side B checks the fd (a memfd, sealed against shrinking and growing, exactly the announced size), the
 * geometry against limits it chooses, maps it, opens every lane and answers accept or refuse with a reason. The
 * socket then stays open as the liveness line: when the peer dies or closes, blocked calls return TZCHAN_EPIPE.
 *
 * On top of the core's non-blocking calls this port adds blocking calls with timeouts (futex doorbells by
 * default; on request pollable doorbells, a socket per lane, so an event loop can poll them), one lane per CPU
 * and a helper to pick
 * the caller's lane. docs/LINUX.md describes the design: the hand-off format, the limits, doorbells, liveness,
 * lanes and migration, blocking semantics.
 *
 * Threads: every call on a connection may be made from any thread. Calls on one lane are serialised by a mutex
 * of that lane, which blocking calls release while they sleep, so one thread may block in send while another
 * blocks in recv on the same lane. Different lanes never share a lock. A streamed message (send_begin .. send_end,
 * or a recv_some sequence) belongs to the thread that started it until it ends: other threads' stream calls on
 * that lane and direction return TZCHAN_EINVAL meanwhile (whole-message calls get the core's TZCHAN_EINVAL too).
 *
 * Errors: >= 0 on success, a negative TZCHAN_E* code (include/tzchan/tzchan.h) on failure. Timeouts are in
 * milliseconds: 0 = do not sleep, -1 = no limit; a call that would sleep past its timeout returns
 * TZCHAN_ETIMEDOUT (also for 0). A signal handler that runs while the call sleeps in the kernel makes it return
 * TZCHAN_EINTR (whatever SA_RESTART says, like poll(2)); a signal that lands between two sleeps only runs its
 * handler. Nothing is lost: an interrupted call consumed or published nothing (the stream calls report the
 * bytes they did take), so repeating it is correct.
 */
#ifndef TZCHAN_LINUX_H
#define TZCHAN_LINUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tzchan/tzchan.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- hand-off messages (the socket's wire format; little-endian, fixed size) ------------------------------- */
#define TZCHAN_LINUX_HELLO_MAGIC 0x4f4c485au  /* 'Z' 'H' 'L' 'O' in memory order */
#define TZCHAN_LINUX_ANSWER_MAGIC 0x534e415au /* 'Z' 'A' 'N' 'S' */
#define TZCHAN_LINUX_HANDOFF_VERSION 2u       /* 2: pollable doorbells are sockets, not eventfds */
/* hello.flags: pollable doorbells, one per lane, attached. The "EVENTFD" names (here, in the config, the limits
 * and the reasons) are kept for source compatibility: since hand-off version 2 these doorbells are connected
 * AF_UNIX stream sockets, not eventfds, because a peer that shares an eventfd's file description can make our
 * reads and writes on it block (docs/LINUX.md s.4). */
#define TZCHAN_LINUX_HELLO_EVENTFD 1u
#define TZCHAN_LINUX_MAX_EVENTFD_LANES 252u /* SCM_RIGHTS carries at most 253 fds: the memfd + one per lane */

/* Sent by the creator with the fds attached (SCM_RIGHTS): fds[0] = the region's memfd, then with
 * TZCHAN_LINUX_HELLO_EVENTFD one doorbell socket per lane: one end of a socketpair whose other end the creator
 * keeps; each side rings the other by sending a byte on its end and polls its end for the other's rings. */
struct tzchan_linux_hello {
    uint32_t magic;        /* TZCHAN_LINUX_HELLO_MAGIC */
    uint32_t version;      /* TZCHAN_LINUX_HANDOFF_VERSION */
    uint32_t lanes;        /* the region's lane count */
    uint32_t ring_bytes;   /* the region's ring size */
    uint64_t region_bytes; /* = tzchan_region_size(lanes, ring_bytes) = the memfd's size */
    uint32_t flags;        /* TZCHAN_LINUX_HELLO_EVENTFD or 0; other bits are refused */
    uint32_t nfds;         /* fds attached: 1, or 1 + lanes with EVENTFD */
    uint32_t reserved[8];  /* zero */
};
/* Sent back by the acceptor: accept (reason 0) or refuse (reason > 0); never with fds (nfds = 0: any fd
 * attached makes the answer malformed, and the creator closes it). After a refusal the creator may send another
 * hello on the same socket. */
struct tzchan_linux_answer {
    uint32_t magic;       /* TZCHAN_LINUX_ANSWER_MAGIC */
    uint32_t version;     /* TZCHAN_LINUX_HANDOFF_VERSION */
    uint32_t reason;      /* enum tzchan_linux_reason */
    uint32_t nfds;        /* fds attached */
    uint32_t reserved[4]; /* zero */
};
_Static_assert(sizeof(struct tzchan_linux_hello) == 64, "hello is 64 bytes");
_Static_assert(sizeof(struct tzchan_linux_answer) == 32, "answer is 32 bytes");

/* Why the acceptor refused a hello (the answer's reason). */
enum tzchan_linux_reason {
    TZCHAN_LINUX_ACCEPTED = 0,
    TZCHAN_LINUX_R_MALFORMED = 1,   /* not a hello: wrong length, magic, reserved bits, or fd count */
    TZCHAN_LINUX_R_VERSION = 2,     /* a hand-off version this build does not speak */
    TZCHAN_LINUX_R_NOT_MEMFD = 3,   /* fds[0] is not a read-write memfd (no seals possible) */
    TZCHAN_LINUX_R_NOT_SEALED = 4,  /* missing F_SEAL_SHRINK, F_SEAL_GROW or F_SEAL_SEAL, or has a write seal */
    TZCHAN_LINUX_R_SIZE = 5,        /* the memfd's size is not region_bytes, or region_bytes not the geometry's */
    TZCHAN_LINUX_R_GEOMETRY = 6,    /* lanes or ring outside the acceptor's limits, or pollable mode not allowed */
    TZCHAN_LINUX_R_LAYOUT = 7,      /* the region's contents do not open (core: EPROTO / EVERSION / EINVAL) */
    TZCHAN_LINUX_R_RESOURCES = 8,   /* the acceptor could not map or allocate */
    TZCHAN_LINUX_R_BAD_EVENTFD = 9, /* an attached doorbell fd is not a connected AF_UNIX stream socket */
    TZCHAN_LINUX_R_PEER = 10        /* the peer's credentials (SO_PEERCRED) are not allowed by the limits */
};
/* "sealed memfd of the wrong size"-style text for a reason code; never NULL. */
const char *tzchan_linux_reason_str(unsigned reason);

/* ---- setting up ---------------------------------------------------------------------------------------------- */
/* What the creator asks for. lanes 0 = one per configured CPU (get_nprocs_conf()); ring_bytes 0 = 64 KiB. */
struct tzchan_linux_config {
    uint32_t lanes;
    uint32_t ring_bytes;
    bool eventfd; /* pollable doorbells (sockets; tzchan_linux_fd) instead of futexes; lanes <= 252 */
    /* Appended later; 0 keeps the default. TZCHAN_LINUX_FENCE_AUTO: this process registers for membarrier()
     * and, where the kernel allows it, every lane sleeps behind the asymmetric fence, so that the peer publishes
     * without a full fence (docs/LINUX.md s.4.1); TZCHAN_LINUX_FENCE_FULL: the portable path, a full fence per
     * publication in both directions (the acceptor follows the creator's choice). Other values: EINVAL. */
    uint32_t fence;
};
/* config.fence, limits.fence */
#define TZCHAN_LINUX_FENCE_AUTO 0u /* the sleep fence where membarrier() allows it, else the full fence */
#define TZCHAN_LINUX_FENCE_FULL 1u /* never offer the sleep fence */

/* What the acceptor accepts; a NULL pointer means the defaults in brackets. 0 in a field also means its default. */
struct tzchan_linux_limits {
    uint32_t max_lanes;        /* [1024] */
    uint32_t min_ring;         /* [1 KiB] */
    uint32_t max_ring;         /* [256 MiB] */
    uint64_t max_region_bytes; /* [1 GiB] the memory the acceptor is willing to map */
    bool refuse_eventfd;       /* [false] refuse pollable-doorbell mode */
    /* Appended later; a zero-initialised struct still means "anyone may connect". Who may connect, by the
     * socket's SO_PEERCRED (the peer's ids when it called connect(), or when the socketpair was made). A
     * refused peer gets R_PEER before anything it sent is looked at. */
    uint32_t peer_check; /* [0 = anyone] TZCHAN_LINUX_PEER_UID and/or TZCHAN_LINUX_PEER_GID; other bits: EINVAL */
    uint32_t peer_uid;   /* with TZCHAN_LINUX_PEER_UID: the one uid accepted (0 = root only) */
    uint32_t peer_gid;   /* with TZCHAN_LINUX_PEER_GID: the one primary gid accepted */
    /* Appended later: [0 = TZCHAN_LINUX_FENCE_AUTO] whether this side offers the sleep fence (it does only if the
     * creator offered it too, docs/LINUX.md s.4.1); TZCHAN_LINUX_FENCE_FULL declines it. Other values: EINVAL. */
    uint32_t fence;
};
#define TZCHAN_LINUX_PEER_UID 1u /* limits.peer_check: the peer's uid must be peer_uid */
#define TZCHAN_LINUX_PEER_GID 2u /* limits.peer_check: the peer's gid must be peer_gid */

struct tzchan_linux; /* a connection: region, socket, lanes; opaque */

/* Creator side (side A). Makes the region (memfd "tzchan", sealed, mapped shared, laid out), opens side A of
 * every lane, sends the hello over `sock` (a connected SOCK_SEQPACKET or SOCK_STREAM unix socket, e.g. one end of
 * a socketpair or from tzchan_linux_dial) and waits up to timeout_ms for the answer. On success *out owns `sock`
 * (closed by tzchan_linux_close). Blocks; call from one thread per socket. Each connection keeps a handle on the
 * region open (the creator its read-write memfd, the acceptor a read-only reopening of it) until close, so that
 * tzchan-stat(1) can find the region in /proc/PID/fd; it costs one fd per connection.
 * Returns 0; TZCHAN_EPROTO if refused (*reason says why when reason != NULL) or the answer is malformed (*reason
 * = TZCHAN_LINUX_R_MALFORMED); TZCHAN_EINVAL (bad config); TZCHAN_ENOMEM; TZCHAN_EIO (a system call failed);
 * TZCHAN_EPIPE (socket closed); TZCHAN_ETIMEDOUT (no answer in time, or the peer did not take the hello in time:
 * timeout_ms bounds the whole call); TZCHAN_EINTR (a signal while waiting). On
 * failure `sock` stays open and the caller's (after EINTR/ETIMEDOUT an answer may still arrive on it). */
int tzchan_linux_create(struct tzchan_linux **out, int sock, const struct tzchan_linux_config *cfg, int timeout_ms,
                        unsigned *reason);

/* Acceptor side (side B). Receives one hello on `sock`, checks it against `lim`, answers; timeout_ms bounds the
 * whole call, the answer included (it is sent without blocking: a creator that does not read cannot hold us).
 * Accepted: returns 0, *out owns `sock`. TZCHAN_EINVAL: unknown bits in lim->peer_check, or an unknown lim->fence
 * (nothing read).
 * Refused: returns TZCHAN_EPROTO with *reason set (the refusal was sent;
 * `sock` stays the caller's and another hello may follow). Other failures: TZCHAN_EPIPE (peer closed),
 * TZCHAN_ETIMEDOUT (no hello in time, or the answer could not be sent in time: then nothing is accepted and
 * *reason holds the verdict that was not delivered), TZCHAN_EINTR, TZCHAN_ENOMEM, TZCHAN_EIO. Blocks; one thread
 * per socket. */
int tzchan_linux_accept(struct tzchan_linux **out, int sock, const struct tzchan_linux_limits *lim, int timeout_ms,
                        unsigned *reason);

/* Unix socket helpers (SOCK_SEQPACKET, close-on-exec). listen: binds `path` (an existing socket file there is
 * replaced) and returns the listening fd; dial: connects to `path` and returns the fd; accept_conn: waits up to
 * timeout_ms for one connection on a listening fd. They return an fd >= 0 (the caller's) or TZCHAN_EIO /
 * TZCHAN_EINVAL (path empty or too long) / TZCHAN_ETIMEDOUT / TZCHAN_ENOMEM. Any thread. */
int tzchan_linux_listen(const char *path);
int tzchan_linux_dial(const char *path);
int tzchan_linux_accept_conn(int listen_fd, int timeout_ms);

/* Closes every lane (tzchan_close: the peer's receives drain then return EPIPE, its sends return EPIPE), closes
 * the socket (so a peer that never looks at the region still sees it gone), unmaps and frees. No call on `l` may
 * be in progress or follow (the caller joins its threads first). NULL is ignored. */
void tzchan_linux_close(struct tzchan_linux *l);

/* ---- geometry and lanes -------------------------------------------------------------------------------------- */
/* Accessors: any thread, any time between create/accept and close; never block; 0 / false for NULL. */
uint32_t tzchan_linux_lanes(const struct tzchan_linux *l);
size_t tzchan_linux_max_msg(const struct tzchan_linux *l); /* largest whole message: ring_bytes / 2 */
bool tzchan_linux_is_creator(const struct tzchan_linux *l);
bool tzchan_linux_uses_eventfd(const struct tzchan_linux *l);
/* True if this side's lanes sleep behind the asymmetric fence (membarrier), so the peer publishes without a full
 * fence; false on the portable path (config/limits fence FULL, no usable membarrier, or the creator did not offer
 * it). Each side decides for its own lanes: docs/LINUX.md s.4.1. */
bool tzchan_linux_uses_sleep_fence(const struct tzchan_linux *l);
/* The lane for the calling thread's current CPU: sched_getcpu() modulo the lane count (0 if unknown). Any
 * thread; never blocks. A hint
 * only: the thread may migrate right after; correctness never depends on it (see the header's Threads note and
 * docs/LINUX.md: each lane keeps one producer per direction because its calls are serialised by its mutex). */
uint32_t tzchan_linux_my_lane(const struct tzchan_linux *l);

/* ---- blocking calls (any thread; one lane's calls are serialised, sleeps release the lane) ------------------ */
/* As tzchan_send, sleeping while the ring is full. Returns len; ETIMEDOUT; EINTR; EPIPE (peer closed or died);
 * EMSGSIZE (len > max_msg: use the stream calls); EINVAL (lane out of range, a stream is open); EPROTO. */
int64_t tzchan_linux_send(struct tzchan_linux *l, uint32_t lane, const void *buf, size_t len, int timeout_ms);
/* As tzchan_recv, sleeping until a message is complete. Returns its length; ETIMEDOUT; EINTR; EPIPE (peer
 * closed or died and nothing is left); EMSGSIZE (does not fit cap, or a streamed giant: use recv_some); EINVAL. */
int64_t tzchan_linux_recv(struct tzchan_linux *l, uint32_t lane, void *buf, size_t cap, int timeout_ms);
/* As tzchan_send_begin (never blocks). The calling thread owns the lane's send direction until send_end, and
 * only it may call send_some/send_end meanwhile. Returns 0; EINVAL (lane out of range, a message or reservation
 * open); EPIPE (peer closed); EPROTO. */
int tzchan_linux_send_begin(struct tzchan_linux *l, uint32_t lane, uint64_t total_len);
/* Takes all `len` bytes of the open message, sleeping while the ring is full. Returns len; or, when it stops
 * early (timeout, signal, peer gone), the bytes taken if any, else ETIMEDOUT / EINTR / EPIPE; EINVAL (no message
 * open, the caller is not the thread that began it, len past the declared total); EPROTO. */
int64_t tzchan_linux_send_some(struct tzchan_linux *l, uint32_t lane, const void *buf, size_t len, int timeout_ms);
/* As tzchan_send_end, sleeping while the closing record does not fit. 0; ETIMEDOUT; EINTR; EPIPE; EINVAL (as
 * send_some, or fewer bytes than declared were sent); EPROTO. */
int tzchan_linux_send_end(struct tzchan_linux *l, uint32_t lane, int timeout_ms);
/* As tzchan_recv_some, sleeping until bytes or a message end are available (like read(2): returns what is
 * there, at most cap). The calling thread owns the lane's receive direction until the message ends. Returns > 0,
 * or 0 with *end_of_message; ETIMEDOUT; EINTR; EPIPE; EINVAL; EPROTO. */
int64_t tzchan_linux_recv_some(struct tzchan_linux *l, uint32_t lane, void *buf, size_t cap, bool *end_of_message,
                               int timeout_ms);

/* ---- event loops --------------------------------------------------------------------------------------------- */
/* The lane's doorbell fd (pollable mode only; TZCHAN_EINVAL with futexes): becomes readable when the peer rings.
 * It is a socket; do not read it yourself (disarm drains it).
 * The connection owns it. Use: arm -> 0: poll the fd (and tzchan_linux_socket for POLLHUP), then disarm and call
 * the non-blocking core calls on tzchan_linux_endpoint; 1: the condition already holds, go ahead now. */
int tzchan_linux_fd(const struct tzchan_linux *l, uint32_t lane);
/* The liveness socket: POLLHUP/POLLIN on it means the peer is gone. The connection owns it. */
int tzchan_linux_socket(const struct tzchan_linux *l);
/* tzchan_wait_prepare on the lane (under its mutex). 0 = sleep on the fd; 1 = no need; EINVAL; EPROTO; EPIPE if
 * the peer is known dead. Event-loop use of a lane excludes blocking calls on that lane (both drain the fd). */
int tzchan_linux_arm(struct tzchan_linux *l, uint32_t lane, enum tzchan_wait what);
/* After the fd polled readable (or the loop gave up waiting): drains the fd and calls tzchan_wait_done. */
void tzchan_linux_disarm(struct tzchan_linux *l, uint32_t lane);
/* The lane's core endpoint for the non-blocking calls (zero copy, batching). The caller must keep that lane
 * to one thread at a time itself: the port's mutex does not cover direct use. */
struct tzchan *tzchan_linux_endpoint(struct tzchan_linux *l, uint32_t lane);
/* True once the peer has closed the region or the liveness socket reported it gone (checks the socket now). */
bool tzchan_linux_peer_gone(struct tzchan_linux *l);

/* ---- statistics ---------------------------------------------------------------------------------------------- */
struct tzchan_linux_stats {
    struct tzchan_stats core; /* this side's endpoint counters (doorbells = rings we sent) */
    uint64_t sleeps;          /* kernel sleeps (futex waits or polls) blocking calls made */
    uint64_t sleep_ns;        /* time spent in them */
    uint64_t liveness_checks; /* socket polls made because a sleep slice ended */
};
/* Snapshot of one lane's counters (takes the lane's mutex briefly). Returns 0 or TZCHAN_EINVAL. */
int tzchan_linux_get_stats(struct tzchan_linux *l, uint32_t lane, struct tzchan_linux_stats *st);

/* ---- errors -------------------------------------------------------------------------------------------------- */
/* The errno of the system call that made the calling thread's most recent failing port call fail (e.g. ENOENT
 * after tzchan_linux_dial returned TZCHAN_EIO for a missing socket path, EINTR after a blocking call returned
 * TZCHAN_EINTR), for messages a person can act on: strerror(tzchan_linux_last_errno()). Thread-local; set only
 * when a port call fails because a system call did (TZCHAN_EIO, TZCHAN_ENOMEM, TZCHAN_EPIPE from a send, ...),
 * never cleared by a call that succeeds, so read it right after the failing call. 0 if no port call of this
 * thread has failed on a system call yet. Any thread; never blocks. */
int tzchan_linux_last_errno(void);

/* Longest a blocked call sleeps before it checks the liveness socket again (futex sleeps; the one doorbell poller
 * of a lane polls the socket together with its doorbell). Bounds the EPIPE delay after the peer's death. */
#define TZCHAN_LINUX_SLICE_MS 20

#ifdef __cplusplus
}
#endif
#endif /* TZCHAN_LINUX_H */
