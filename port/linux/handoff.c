/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Linux port, setting up: the creator makes a sealed memfd region and hands it over a unix socket with one
 * SCM_RIGHTS message (the hello); the acceptor validates everything the creator could get wrong or lie about
 * (message shape, fd kind, seals, size, geometry against its own limits, the region's contents through the core's
 * tzchan_open), maps it and answers. Also the unix socket helpers and tzchan_linux_close. docs/LINUX.md s.2-3.
 *
 * Trust: the acceptor trusts nothing in the hello; the creator trusts nothing in the answer (it checks the answer's
 * shape, and closes every fd a hostile acceptor attaches to it, each once). Neither side ever blocks on anything
 * the other controls: hand-off messages are sent with MSG_DONTWAIT against the caller's deadline, and the
 * pollable doorbells are socket ends used only with MSG_DONTWAIT (docs/LINUX.md s.4 says why not eventfds).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "tzchan/wire.h"

#define MAX_FDS 253 /* SCM_MAX_FD */
#define DEFAULT_RING (64u * 1024u)
#define REQUIRED_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

const char *tzchan_linux_reason_str(unsigned reason)
{
    switch (reason) {
    case TZCHAN_LINUX_ACCEPTED: return "accepted";
    case TZCHAN_LINUX_R_MALFORMED: return "malformed hand-off message";
    case TZCHAN_LINUX_R_VERSION: return "unknown hand-off version";
    case TZCHAN_LINUX_R_NOT_MEMFD: return "region fd is not a read-write memfd";
    case TZCHAN_LINUX_R_NOT_SEALED: return "memfd not sealed against shrink/grow/reseal (or write-sealed)";
    case TZCHAN_LINUX_R_SIZE: return "memfd size differs from the announced region size";
    case TZCHAN_LINUX_R_GEOMETRY: return "geometry outside the acceptor's limits";
    case TZCHAN_LINUX_R_LAYOUT: return "region contents are not a valid tzchan region";
    case TZCHAN_LINUX_R_RESOURCES: return "acceptor could not map or allocate";
    case TZCHAN_LINUX_R_BAD_EVENTFD: return "doorbell fd is not a connected unix stream socket";
    case TZCHAN_LINUX_R_PEER: return "peer's credentials not allowed";
    default: return "unknown reason";
    }
}

/* ---- small helpers -------------------------------------------------------------------------------------- */
static void close_fds(int *fds, int n)
{
    for (int i = 0; i < n; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

/* The errno of the last system call that made a port call of this thread fail (tzchan_linux_last_errno). */
static _Thread_local int last_errno;

void tzchan__linux_set_errno(int e)
{
    last_errno = e;
}

int tzchan_linux_last_errno(void)
{
    return last_errno;
}

/* Maps a failed system call's errno to a tzchan code, and keeps it for tzchan_linux_last_errno(). */
static int errno_code(int e)
{
    last_errno = e;
    return (e == ENOMEM || e == EMFILE || e == ENFILE || e == ENOSPC) ? TZCHAN_ENOMEM : TZCHAN_EIO;
}

/* ---- deadlines: every hand-off call is bounded by its caller's timeout as a whole ------------------------ */
static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* The deadline for a timeout in ms (-1 = none: UINT64_MAX). */
static uint64_t deadline_of(int timeout_ms)
{
    return timeout_ms < 0 ? UINT64_MAX : now_ns() + (uint64_t)timeout_ms * 1000000ull;
}

/* What is left of a deadline, as a poll() timeout: -1 (none), else 0 .. INT_MAX ms, rounded up. */
static int ms_left(uint64_t deadline)
{
    if (deadline == UINT64_MAX)
        return -1;
    uint64_t t = now_ns();
    if (t >= deadline)
        return 0;
    uint64_t ms = (deadline - t + 999999u) / 1000000u;
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* Waits until sock has `events` or the deadline passes. 0; TZCHAN_ETIMEDOUT; TZCHAN_EINTR; TZCHAN_EIO. */
static int wait_sock(int sock, short events, uint64_t deadline)
{
    struct pollfd p = {.fd = sock, .events = events};
    int r = poll(&p, 1, ms_left(deadline));
    if (r < 0)
        return errno == EINTR ? (last_errno = EINTR, TZCHAN_EINTR) : errno_code(errno);
    return r == 0 ? TZCHAN_ETIMEDOUT : 0;
}

static int wait_readable(int sock, int timeout_ms)
{
    return wait_sock(sock, POLLIN, deadline_of(timeout_ms));
}

/* Sends one message of len bytes with nfds fds attached, never blocking past the deadline: the peer decides
 * when it reads, so a peer that never does must not hold us (each sendmsg is MSG_DONTWAIT whatever the socket's
 * own flags, and we wait for room with poll). A stream socket may take the bytes in pieces; the fds travel with
 * the first. 0, TZCHAN_EPIPE, TZCHAN_ETIMEDOUT, TZCHAN_EINTR or TZCHAN_EIO. Mutant "sendmsg without
 * MSG_DONTWAIT": test_handoff_deadline. */
static int send_msg(int sock, const void *buf, size_t len, const int *fds, int nfds, uint64_t deadline)
{
    union {
        struct cmsghdr h;
        unsigned char b[CMSG_SPACE(sizeof(int) * MAX_FDS)];
    } cm;
    size_t done = 0;
    while (done < len) {
        struct iovec iov = {.iov_base = (unsigned char *)(uintptr_t)buf + done, .iov_len = len - done};
        struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
        if (nfds > 0 && done == 0) {
            memset(&cm, 0, sizeof cm);
            m.msg_control = cm.b;
            m.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
            struct cmsghdr *c = CMSG_FIRSTHDR(&m);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
            memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
        }
        ssize_t r = sendmsg(sock, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (r > 0) {
            done += (size_t)r;
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int e = wait_sock(sock, POLLOUT, deadline);
            if (e)
                return e;
            continue;
        }
        if (r < 0 && (errno == EPIPE || errno == ECONNRESET)) {
            last_errno = errno;
            return TZCHAN_EPIPE;
        }
        return errno_code(r < 0 ? errno : EIO); /* r == 0: the socket took nothing of a non-empty message */
    }
    return 0;
}

/* Receives one message (up to cap bytes; *truncated if it was longer) and its fds (close-on-exec). Returns the
 * byte count (0 = the peer closed), TZCHAN_EIO; *nfds fds are stored in fds (the caller closes them). */
static ssize_t recv_msg(int sock, void *buf, size_t cap, bool *truncated, int *fds, int *nfds)
{
    union {
        struct cmsghdr h;
        unsigned char b[CMSG_SPACE(sizeof(int) * MAX_FDS)];
    } cm;
    struct iovec iov = {.iov_base = buf, .iov_len = cap};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.b, .msg_controllen = sizeof cm.b};
    *nfds = 0;
    ssize_t r;
    do
        r = recvmsg(sock, &m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return (errno == ECONNRESET) ? 0 : errno_code(errno);
    /* collect every fd the kernel installed, whatever else is wrong, so none leaks */
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len < CMSG_LEN(0))
            continue;
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n && *nfds < MAX_FDS; i++)
            memcpy(&fds[(*nfds)++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
    }
    *truncated = (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0;
    return r;
}

/* True if the peer has closed its end (so a zero-byte read was the end, not an empty message). */
static bool hung_up(int sock)
{
    struct pollfd p = {.fd = sock, .events = POLLIN | POLLRDHUP};
    return poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLRDHUP | POLLERR)) != 0;
}

/* True if fd is a connected AF_UNIX stream socket: the only doorbell we accept (we send and receive on it with
 * MSG_DONTWAIT, which no peer-set file flag can override). */
static bool is_bell_socket(int fd)
{
    struct stat st;
    int v = 0;
    socklen_t len = sizeof v;
    if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
        return false;
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) != 0 || v != AF_UNIX)
        return false;
    len = sizeof v;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len) != 0 || v != SOCK_STREAM)
        return false;
    struct sockaddr_un a;
    len = sizeof a;
    return getpeername(fd, (struct sockaddr *)&a, &len) == 0; /* connected */
}

/* A private read-only handle on the region's memfd (a new open file description, so its mode is ours and says
 * "acceptor" to an inspection tool), or -1 if /proc is not there: then the connection keeps no handle. The fd is
 * a sealed shmem regular file by now (check_hello), so opening it has no side effect. */
static int reopen_readonly(int fd)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    return open(path, O_RDONLY | O_CLOEXEC);
}

/* ---- the connection ----------------------------------------------------------------------------------- */
static void free_conn(struct tzchan_linux *l)
{
    if (l == NULL)
        return;
    if (l->lane != NULL) {
        for (uint32_t i = 0; i < l->lanes; i++) {
            struct tzchan__lane *ln = &l->lane[i];
            if (ln->bell_fd >= 0)
                close(ln->bell_fd);
            if (ln->wake_fd >= 0)
                close(ln->wake_fd);
            pthread_mutex_destroy(&ln->mu);
        }
        free(l->lane);
    }
    if (l->memfd >= 0)
        close(l->memfd);
    if (l->mem != NULL)
        munmap(l->mem, l->size);
    free(l);
}

static struct tzchan_linux *alloc_conn(uint32_t lanes, uint32_t ring, bool creator, bool eventfd)
{
    struct tzchan_linux *l = calloc(1, sizeof *l);
    if (l == NULL)
        return NULL;
    l->sock = -1;
    l->memfd = -1;
    l->lanes = lanes;
    l->ring = ring;
    l->creator = creator;
    l->eventfd = eventfd;
    atomic_init(&l->dead, false);
    l->spin_ns = get_nprocs() > 1 ? TZCHAN__LINUX_SPIN_NS : 0;
    void *p = NULL;
    if (posix_memalign(&p, 64, sizeof(struct tzchan__lane) * lanes) != 0) {
        free(l);
        return NULL;
    }
    memset(p, 0, sizeof(struct tzchan__lane) * lanes);
    l->lane = p;
    for (uint32_t i = 0; i < lanes; i++) {
        struct tzchan__lane *ln = &l->lane[i];
        pthread_mutex_init(&ln->mu, NULL);
        ln->conn = l;
        ln->idx = i;
        ln->bell_fd = ln->wake_fd = -1;
    }
    return l;
}

/* Opens our side of every lane on the mapping and registers the doorbell. Returns 0 or the core's code. */
static int open_lanes(struct tzchan_linux *l)
{
    enum tzchan_side side = l->creator ? TZCHAN_SIDE_A : TZCHAN_SIDE_B;
    uint64_t stride = TZCHAN_WIRE_LANE_CTRL + 2u * (uint64_t)l->ring;
    size_t my_slot =
        l->creator ? offsetof(struct tzchan_wire_lane, sleep_a) : offsetof(struct tzchan_wire_lane, sleep_b);
    size_t peer_slot =
        l->creator ? offsetof(struct tzchan_wire_lane, sleep_b) : offsetof(struct tzchan_wire_lane, sleep_a);
    for (uint32_t i = 0; i < l->lanes; i++) {
        struct tzchan__lane *ln = &l->lane[i];
        int e = tzchan_open(&ln->ch, l->mem, l->size, side, i);
        if (e)
            return e;
        if (tzchan_max_msg(&ln->ch) != l->ring / 2u)
            return TZCHAN_EPROTO; /* the header changed under us: not the geometry announced */
        /* our bell counter: the core writes it, the peer's futex sleeps on it, we wake that futex */
        ln->my_bell = (uint32_t *)(void *)(l->mem + TZCHAN_WIRE_HEADER_BYTES + (size_t)(i * stride) + my_slot +
                                           offsetof(struct tzchan_wire_sleep, bell));
        ln->peer_state = (const uint32_t *)(const void *)(l->mem + TZCHAN_WIRE_HEADER_BYTES + (size_t)(i * stride) +
                                                          peer_slot + offsetof(struct tzchan_wire_sleep, state));
        tzchan_set_notify(&ln->ch, tzchan__linux_notify, ln);
    }
    return 0;
}

/* The sleep fence (docs/LINUX.md s.4.1). The expedited membarrier reaches the peer only if the peer's process
 * registered for it, which we cannot ask the kernel; a Linux-port side sets its SLEEP_FENCE bit only after it
 * registered, so the bit is the evidence. The creator offers first, before the hello, when it could register and
 * the slow MEMBARRIER_CMD_GLOBAL (which reaches every process) is there to cover an acceptor that turns out not to
 * have registered (tzchan__linux_sleep_fence picks per sleep). The acceptor offers, per lane, only when it
 * registered and the creator's bit is set, so its expedited fence always reaches the creator; an acceptor that
 * cannot register or declines keeps the full fence, and then so does the creator's publishing (its peer offers
 * nothing). An unregistered creator offers nothing, and the acceptor follows. Lanes not yet shared with any
 * thread: tzchan_set_sleep_fence() may be called here. */
static void offer_sleep_fence(struct tzchan_linux *l, uint32_t fence)
{
    if (fence != TZCHAN_LINUX_FENCE_AUTO)
        return;
    unsigned have = tzchan__linux_fence_register();
    if (!(have & TZCHAN__FENCE_EXPEDITED) || (l->creator && !(have & TZCHAN__FENCE_GLOBAL)))
        return;
    bool all = true;
    for (uint32_t i = 0; i < l->lanes; i++) {
        struct tzchan__lane *ln = &l->lane[i];
        /* relaxed: the region came to us over the socket (a system call on each side orders it); a hostile
         * creator that sets the bit without registering can withhold our wake-ups, as it could by not ringing */
        if (!l->creator && !(__atomic_load_n(ln->peer_state, __ATOMIC_RELAXED) & TZCHAN_WIRE_STATE_SLEEP_FENCE)) {
            all = false;
            continue;
        }
        if (tzchan_set_sleep_fence(&ln->ch, tzchan__linux_sleep_fence, ln) != 0)
            all = false;
    }
    l->sleep_fence = all;
}

/* Pollable mode: each lane's private wake eventfd (for our own threads only; never sent). */
static int make_wake_fds(struct tzchan_linux *l)
{
    for (uint32_t i = 0; i < l->lanes; i++) {
        int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (fd < 0)
            return errno_code(errno);
        l->lane[i].wake_fd = fd;
    }
    return 0;
}

/* Creator, pollable mode: one doorbell socketpair per lane; we keep one end, peer_ends[i] goes to the peer. */
static int make_bells(struct tzchan_linux *l, int *peer_ends)
{
    for (uint32_t i = 0; i < l->lanes; i++)
        peer_ends[i] = -1;
    for (uint32_t i = 0; i < l->lanes; i++) {
        int sp[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sp) != 0)
            return errno_code(errno);
        l->lane[i].bell_fd = sp[0];
        peer_ends[i] = sp[1];
    }
    return make_wake_fds(l);
}

/* ---- creator ---------------------------------------------------------------------------------------------- */
int tzchan_linux_create(struct tzchan_linux **out, int sock, const struct tzchan_linux_config *cfg, int timeout_ms,
                        unsigned *reason)
{
    unsigned dummy;
    if (reason == NULL)
        reason = &dummy;
    *reason = TZCHAN_LINUX_ACCEPTED;
    if (out == NULL || sock < 0)
        return TZCHAN_EINVAL;
    *out = NULL;
    uint64_t deadline = deadline_of(timeout_ms);
    bool evfd = cfg != NULL && cfg->eventfd;
    uint32_t fence = cfg != NULL ? cfg->fence : TZCHAN_LINUX_FENCE_AUTO;
    if (fence > TZCHAN_LINUX_FENCE_FULL)
        return TZCHAN_EINVAL;
    uint32_t ring = (cfg != NULL && cfg->ring_bytes) ? cfg->ring_bytes : DEFAULT_RING;
    uint32_t lanes = cfg != NULL ? cfg->lanes : 0;
    if (lanes == 0) {
        int n = get_nprocs_conf();
        lanes = n < 1 ? 1u : (uint32_t)n;
        if (lanes > TZCHAN_MAX_LANES)
            lanes = TZCHAN_MAX_LANES;
        if (evfd && lanes > TZCHAN_LINUX_MAX_EVENTFD_LANES)
            lanes = TZCHAN_LINUX_MAX_EVENTFD_LANES;
    }
    if (evfd && lanes > TZCHAN_LINUX_MAX_EVENTFD_LANES)
        return TZCHAN_EINVAL;
    size_t size = tzchan_region_size(lanes, ring);
    if (size == 0)
        return TZCHAN_EINVAL;

    struct tzchan_linux *l = alloc_conn(lanes, ring, true, evfd);
    if (l == NULL)
        return errno_code(ENOMEM);
    int fds[MAX_FDS];
    int peer_ends[MAX_FDS]; /* pollable mode: the doorbell ends we hand over (closed here once sent) */
    uint32_t n_peer_ends = 0;
    int e, memfd = memfd_create("tzchan", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (memfd < 0) {
        e = errno_code(errno);
        goto fail;
    }
    if (ftruncate(memfd, (off_t)size) != 0 || fcntl(memfd, F_ADD_SEALS, REQUIRED_SEALS) != 0) {
        e = errno_code(errno);
        goto fail;
    }
    void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
    if (mem == MAP_FAILED) {
        e = errno_code(errno);
        goto fail;
    }
    l->mem = mem;
    l->size = size;
    l->memfd = memfd; /* kept for inspection (tzchan-stat); closed by free_conn */
    memfd = -1;
    if ((e = tzchan_region_init(mem, size, lanes, ring)) != 0 || (e = open_lanes(l)) != 0)
        goto fail;
    offer_sleep_fence(l, fence); /* before the hello: the acceptor follows what it finds */
    if (evfd) {
        n_peer_ends = lanes;
        if ((e = make_bells(l, peer_ends)) != 0)
            goto fail;
    }
    fds[0] = l->memfd;
    for (uint32_t i = 0; i < n_peer_ends; i++)
        fds[1 + i] = peer_ends[i];

    struct tzchan_linux_hello h;
    memset(&h, 0, sizeof h);
    h.magic = TZCHAN_LINUX_HELLO_MAGIC;
    h.version = TZCHAN_LINUX_HANDOFF_VERSION;
    h.lanes = lanes;
    h.ring_bytes = ring;
    h.region_bytes = size;
    h.flags = evfd ? TZCHAN_LINUX_HELLO_EVENTFD : 0;
    h.nfds = 1u + n_peer_ends;
    e = send_msg(sock, &h, sizeof h, fds, (int)h.nfds, deadline);
    /* sent or not, the peer's doorbell ends go: it has its own copies (the memfd stays ours, in l->memfd) */
    close_fds(peer_ends, (int)n_peer_ends);
    n_peer_ends = 0;
    if (e != 0)
        goto fail;

    if ((e = wait_sock(sock, POLLIN, deadline)) != 0)
        goto fail;
    struct tzchan_linux_answer a;
    bool trunc = false;
    int nrx = 0;
    ssize_t n = recv_msg(sock, &a, sizeof a, &trunc, fds, &nrx);
    /* An answer never carries fds (hand-off version 2): every fd a hostile acceptor attaches is closed here, once,
     * whatever else is wrong with the answer. Mutants "no close on the zero-length path", "a fd closed here and
     * again by free_conn": test_handoff_answer_fds. */
    close_fds(fds, nrx);
    if (n <= 0) {
        /* zero bytes is the end of the socket only if it hung up; otherwise an empty message, no answer */
        if (n < 0) {
            e = (int)n;
        } else if (nrx == 0 && hung_up(sock)) {
            e = TZCHAN_EPIPE;
        } else {
            *reason = TZCHAN_LINUX_R_MALFORMED;
            e = TZCHAN_EPROTO;
        }
        goto fail;
    }
    if (trunc || (size_t)n != sizeof a || a.magic != TZCHAN_LINUX_ANSWER_MAGIC ||
        a.version != TZCHAN_LINUX_HANDOFF_VERSION || a.nfds != 0 || nrx != 0 ||
        a.reserved[0] | a.reserved[1] | a.reserved[2] | a.reserved[3]) {
        *reason = TZCHAN_LINUX_R_MALFORMED;
        e = TZCHAN_EPROTO;
        goto fail;
    }
    if (a.reason != TZCHAN_LINUX_ACCEPTED) {
        *reason = a.reason;
        e = TZCHAN_EPROTO;
        goto fail;
    }
    l->sock = sock;
    *out = l;
    return 0;
fail:
    if (memfd >= 0)
        close(memfd);
    close_fds(peer_ends, (int)n_peer_ends);
    free_conn(l);
    return e;
}

/* ---- acceptor --------------------------------------------------------------------------------------------- */
/* The answer: never with fds (hand-off version 2). */
static int answer(int sock, unsigned reason, uint64_t deadline)
{
    struct tzchan_linux_answer a;
    memset(&a, 0, sizeof a);
    a.magic = TZCHAN_LINUX_ANSWER_MAGIC;
    a.version = TZCHAN_LINUX_HANDOFF_VERSION;
    a.reason = reason;
    return send_msg(sock, &a, sizeof a, NULL, 0, deadline);
}

/* True if the socket's peer credentials pass the limits (no check asked: true; cannot tell: false). Mutant "no
 * credential check": test_handoff_peercred. */
static bool peer_allowed(int sock, const struct tzchan_linux_limits *lim)
{
    if (lim->peer_check == 0)
        return true;
    struct ucred cr;
    socklen_t len = sizeof cr;
    if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 || len != sizeof cr)
        return false;
    if ((lim->peer_check & TZCHAN_LINUX_PEER_UID) && (uint32_t)cr.uid != lim->peer_uid)
        return false;
    if ((lim->peer_check & TZCHAN_LINUX_PEER_GID) && (uint32_t)cr.gid != lim->peer_gid)
        return false;
    return true;
}

/* Checks the hello and its fds against the limits; returns a reason (0 = acceptable so far). */
static unsigned check_hello(const struct tzchan_linux_hello *h, size_t n, bool trunc, const int *fds, int nfds,
                            const struct tzchan_linux_limits *lim)
{
    if (trunc || n != sizeof *h || h->magic != TZCHAN_LINUX_HELLO_MAGIC)
        return TZCHAN_LINUX_R_MALFORMED;
    if (h->version != TZCHAN_LINUX_HANDOFF_VERSION)
        return TZCHAN_LINUX_R_VERSION;
    for (size_t i = 0; i < sizeof h->reserved / sizeof h->reserved[0]; i++)
        if (h->reserved[i] != 0)
            return TZCHAN_LINUX_R_MALFORMED;
    if (h->flags & ~(uint32_t)TZCHAN_LINUX_HELLO_EVENTFD)
        return TZCHAN_LINUX_R_MALFORMED;
    bool evfd = (h->flags & TZCHAN_LINUX_HELLO_EVENTFD) != 0;
    if (evfd && h->lanes > TZCHAN_LINUX_MAX_EVENTFD_LANES)
        return TZCHAN_LINUX_R_MALFORMED;
    uint64_t want_fds = 1u + (evfd ? (uint64_t)h->lanes : 0u);
    if (h->nfds != want_fds || (uint64_t)nfds != want_fds)
        return TZCHAN_LINUX_R_MALFORMED;
    /* geometry: the core's limits, then ours */
    uint32_t max_lanes = lim->max_lanes ? lim->max_lanes : TZCHAN_MAX_LANES;
    uint32_t min_ring = lim->min_ring ? lim->min_ring : TZCHAN_MIN_RING;
    uint32_t max_ring = lim->max_ring ? lim->max_ring : (256u << 20);
    uint64_t max_region = lim->max_region_bytes ? lim->max_region_bytes : (1ull << 30);
    size_t need = tzchan_region_size(h->lanes, h->ring_bytes);
    if (need == 0 || h->lanes > max_lanes || h->ring_bytes < min_ring || h->ring_bytes > max_ring ||
        (evfd && lim->refuse_eventfd))
        return TZCHAN_LINUX_R_GEOMETRY;
    if (h->region_bytes != need)
        return TZCHAN_LINUX_R_SIZE;
    if (need > max_region)
        return TZCHAN_LINUX_R_GEOMETRY;
    /* the region fd: a read-write memfd, sealed so it can neither shrink (SIGBUS for us) nor grow nor reseal.
     * Order matters: seals first, size second. The creator still holds the file and may resize it until the
     * shrink and grow seals are on; a size read before the seals could be stale by the time the seals are seen
     * (shrink, then seal, between the two calls) and the mapping would outrun the file. Once the seals are
     * on, the size read after them is final. Mutant "fstat before F_GET_SEALS": test_handoff_sealrace. */
    int fl = fcntl(fds[0], F_GETFL);
    if (fl < 0 || (fl & O_ACCMODE) != O_RDWR)
        return TZCHAN_LINUX_R_NOT_MEMFD;
    int seals = fcntl(fds[0], F_GET_SEALS);
    if (seals < 0)
        return TZCHAN_LINUX_R_NOT_MEMFD;
    if ((seals & REQUIRED_SEALS) != REQUIRED_SEALS || (seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)))
        return TZCHAN_LINUX_R_NOT_SEALED;
    struct stat st;
    if (fstat(fds[0], &st) != 0 || !S_ISREG(st.st_mode))
        return TZCHAN_LINUX_R_NOT_MEMFD;
    /* a plain (shmem) memfd only: a hugetlbfs one can also be sealed, but a hole the creator punches in it gives
     * its pages and their reservation back, and our next fault there is a SIGBUS when the huge page pool is dry */
    struct statfs sf;
    if (fstatfs(fds[0], &sf) != 0 || sf.f_type != TMPFS_MAGIC)
        return TZCHAN_LINUX_R_NOT_MEMFD;
    if (st.st_size < 0 || (uint64_t)st.st_size != h->region_bytes)
        return TZCHAN_LINUX_R_SIZE;
    for (int i = 1; i < nfds; i++)
        if (!is_bell_socket(fds[i]))
            return TZCHAN_LINUX_R_BAD_EVENTFD;
    return TZCHAN_LINUX_ACCEPTED;
}

int tzchan_linux_accept(struct tzchan_linux **out, int sock, const struct tzchan_linux_limits *lim, int timeout_ms,
                        unsigned *reason)
{
    static const struct tzchan_linux_limits defaults;
    unsigned dummy;
    if (reason == NULL)
        reason = &dummy;
    *reason = TZCHAN_LINUX_ACCEPTED;
    if (out == NULL || sock < 0)
        return TZCHAN_EINVAL;
    *out = NULL;
    if (lim == NULL)
        lim = &defaults;
    if ((lim->peer_check & ~(TZCHAN_LINUX_PEER_UID | TZCHAN_LINUX_PEER_GID)) || lim->fence > TZCHAN_LINUX_FENCE_FULL)
        return TZCHAN_EINVAL;
    uint64_t deadline = deadline_of(timeout_ms); /* covers the wait, the checks and the answer */
    int e = wait_sock(sock, POLLIN, deadline);
    if (e)
        return e;
    union {
        struct tzchan_linux_hello h;
        unsigned char raw[sizeof(struct tzchan_linux_hello) + 1]; /* one more: a longer message shows */
    } msg;
    memset(&msg, 0, sizeof msg);
    int fds[MAX_FDS];
    int nfds = 0;
    bool trunc = false;
    ssize_t n = recv_msg(sock, msg.raw, sizeof msg.raw, &trunc, fds, &nfds);
    if (n == 0) {
        close_fds(fds, nfds);
        return TZCHAN_EPIPE;
    }
    if (n < 0) {
        close_fds(fds, nfds);
        return (int)n;
    }
    struct tzchan_linux_hello h = msg.h; /* private copy */
    unsigned why =
        peer_allowed(sock, lim) ? check_hello(&h, (size_t)n, trunc, fds, nfds, lim) : TZCHAN_LINUX_R_PEER;
    struct tzchan_linux *l = NULL;
    if (why == TZCHAN_LINUX_ACCEPTED) {
        bool evfd = (h.flags & TZCHAN_LINUX_HELLO_EVENTFD) != 0;
        l = alloc_conn(h.lanes, h.ring_bytes, false, evfd);
        void *mem = l != NULL ? mmap(NULL, (size_t)h.region_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0)
                              : MAP_FAILED;
        if (mem == MAP_FAILED) {
            why = TZCHAN_LINUX_R_RESOURCES;
        } else {
            l->mem = mem;
            l->size = (size_t)h.region_bytes;
            if (open_lanes(l) != 0) {
                why = TZCHAN_LINUX_R_LAYOUT;
            } else {
                l->memfd = reopen_readonly(fds[0]);
                offer_sleep_fence(l, lim->fence);
            }
        }
        if (why == TZCHAN_LINUX_ACCEPTED && evfd) {
            for (uint32_t i = 0; i < h.lanes; i++) {
                /* our end of the lane's doorbell; its file flags are the creator's to set as well, so none is
                 * relied on: every call on it passes MSG_DONTWAIT */
                l->lane[i].bell_fd = fds[1 + i];
                fds[1 + i] = -1; /* now owned by the lane */
            }
            if (make_wake_fds(l) != 0)
                why = TZCHAN_LINUX_R_RESOURCES;
        }
    }
    close_fds(fds, nfds); /* the memfd is mapped (or refused); doorbell fds taken are -1 */
    if (why != TZCHAN_LINUX_ACCEPTED) {
        free_conn(l);
        *reason = why;
        e = answer(sock, why, deadline);
        return e ? e : TZCHAN_EPROTO;
    }
    e = answer(sock, TZCHAN_LINUX_ACCEPTED, deadline);
    if (e) {
        free_conn(l);
        return e;
    }
    l->sock = sock;
    *out = l;
    return 0;
}

/* ---- close and accessors ---------------------------------------------------------------------------------- */
void tzchan_linux_close(struct tzchan_linux *l)
{
    if (l == NULL)
        return;
    for (uint32_t i = 0; i < l->lanes; i++)
        tzchan_close(&l->lane[i].ch); /* rings the peer if it waits */
    if (l->sock >= 0)
        close(l->sock);
    free_conn(l);
}

uint32_t tzchan_linux_lanes(const struct tzchan_linux *l)
{
    return l != NULL ? l->lanes : 0;
}

size_t tzchan_linux_max_msg(const struct tzchan_linux *l)
{
    return l != NULL ? l->ring / 2u : 0;
}

bool tzchan_linux_is_creator(const struct tzchan_linux *l)
{
    return l != NULL && l->creator;
}

bool tzchan_linux_uses_sleep_fence(const struct tzchan_linux *l)
{
    return l != NULL && l->sleep_fence;
}

bool tzchan_linux_uses_eventfd(const struct tzchan_linux *l)
{
    return l != NULL && l->eventfd;
}

int tzchan_linux_socket(const struct tzchan_linux *l)
{
    return l != NULL ? l->sock : TZCHAN_EINVAL;
}

/* ---- unix socket helpers ---------------------------------------------------------------------------------- */
static int fill_addr(struct sockaddr_un *a, const char *path)
{
    if (path == NULL || strlen(path) >= sizeof a->sun_path || path[0] == 0)
        return TZCHAN_EINVAL;
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    strcpy(a->sun_path, path);
    return 0;
}

int tzchan_linux_listen(const char *path)
{
    struct sockaddr_un a;
    int e = fill_addr(&a, path);
    if (e)
        return e;
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return errno_code(errno);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 4) != 0) {
        e = errno_code(errno);
        close(fd);
        return e;
    }
    return fd;
}

int tzchan_linux_dial(const char *path)
{
    struct sockaddr_un a;
    int e = fill_addr(&a, path);
    if (e)
        return e;
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return errno_code(errno);
    int r;
    do
        r = connect(fd, (struct sockaddr *)&a, sizeof a);
    while (r != 0 && errno == EINTR);
    if (r != 0) {
        e = errno_code(errno);
        close(fd);
        return e;
    }
    return fd;
}

int tzchan_linux_accept_conn(int listen_fd, int timeout_ms)
{
    if (listen_fd < 0)
        return TZCHAN_EINVAL;
    int e = wait_readable(listen_fd, timeout_ms);
    if (e)
        return e;
    int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    return fd >= 0 ? fd : errno_code(errno);
}
