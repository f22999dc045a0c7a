/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Linux port, running: doorbells (a shared futex on the peer's bell word, or eventfds), the blocking calls with
 * timeouts built on the core's tzchan_wait_prepare()/tzchan_wait_done() handshake, liveness through the hand-off
 * socket, lane choice, the event-loop hooks and statistics. docs/LINUX.md s.4-7.
 *
 * Sleeping: a blocked call sleeps in slices of at most TZCHAN_LINUX_SLICE_MS. In futex mode it sleeps on the
 * peer's bell word (FUTEX_WAIT, shared: the word is in a MAP_SHARED memfd mapping, so the kernel keys it by the
 * file page and both processes meet there) and polls the socket after each slice that ended without a ring. In
 * pollable mode (cfg.eventfd) one sleeper per lane polls the lane's doorbell socket, its private wake eventfd and
 * the liveness socket together (and is the only one to drain the doorbell, so it cannot eat another sleeper's
 * ring); further sleepers of that lane use the futex word and are woken by it. Either way the peer's death is
 * seen within one slice.
 *
 * Nothing here blocks on anything the peer controls. The doorbell socket's file description may be shared with
 * the peer (it made the pair and may have kept a copy), so its O_NONBLOCK is the peer's to clear: every send and
 * recv on it passes MSG_DONTWAIT, which holds per call whatever the flags say. A full doorbell (the peer does not
 * drain) only means our ring is already pending; an empty one only means nothing to drain. The wake eventfd
 * never leaves this process. docs/LINUX.md s.4 says why the doorbells are no longer eventfds.
 *
 * Several threads on one lane: the lane mutex serialises every core call. A thread about to sleep announces the
 * union of what it and the lane's other sleepers wait for (the core keeps one waiting word per side and lane),
 * and any ring wakes every sleeper of the lane (futex wake-all), each of which re-announces. wait_done() is
 * called only by the last sleeper to leave, so it never withdraws another's wait. The futex word's value check
 * (the peer bumps its bell before it rings) is what makes every sleep safe against a ring that came first.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "tzchan/wire.h"

/* ---- time ------------------------------------------------------------------------------------------------- */
static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax() __builtin_ia32_pause()
#elif defined(__aarch64__) || defined(__arm__)
#define cpu_relax() __asm__ __volatile__("yield" ::: "memory")
#else
#define cpu_relax() atomic_signal_fence(memory_order_seq_cst)
#endif

/* ---- doorbells -------------------------------------------------------------------------------------------- */
static long futex(const uint32_t *word, int op, uint32_t val, const struct timespec *ts)
{
#if defined(SYS_futex_time64) && UINTPTR_MAX == 0xffffffffu
    /* 32-bit targets built with a 64-bit time_t (_TIME_BITS=64) pass a 64-bit timespec: the time64 call */
    if (sizeof(ts->tv_sec) == 8)
        return syscall(SYS_futex_time64, word, op, val, ts, NULL, 0);
#endif
    return syscall(SYS_futex, word, op, val, ts, NULL, 0);
}

/* Rings through a doorbell socket: one byte, never waiting. EAGAIN (the peer's queue is full: it has rings it
 * has not drained, so it is readable anyway) and EPIPE (gone: the liveness line reports it) need nothing more.
 * Mutant "send without MSG_DONTWAIT": test_doorbell_hostile (filler). */
static void bell_ring(int fd)
{
    const unsigned char one = 1;
    ssize_t r = send(fd, &one, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
    (void)r;
}

/* Empties a doorbell socket without ever blocking; false if the peer closed its end (or it failed). */
static bool bell_drain(int fd)
{
    unsigned char buf[256];
    /* bounded: a peer that keeps sending cannot keep us here; what is left keeps the fd readable and the caller
     * loops, within its own deadline. Mutant "recv without MSG_DONTWAIT": test_doorbell_hostile (drainer,
     * stealer). */
    for (int i = 0; i < 16; i++) {
        ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (r == (ssize_t)sizeof buf)
            continue;
        if (r > 0)
            return true;
        if (r == 0)
            return false; /* the peer closed its end */
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return true;
        return false;
    }
    return true;
}

/* Wakes our own lane poller through its private eventfd (ours alone, non-blocking: it never waits). */
static void wake_signal(int fd)
{
    uint64_t one = 1;
    ssize_t r = write(fd, &one, sizeof one);
    (void)r;
}

static void wake_drain(int fd)
{
    uint64_t v;
    ssize_t r = read(fd, &v, sizeof v);
    (void)r;
}

/* ---- the asymmetric sleep fence (docs/LINUX.md s.4.1) -------------------------------------------------------- */
/* membarrier(2) commands, spelled here so that older kernel headers build too (the values are ABI) */
#define MB_QUERY 0
#define MB_GLOBAL 1                    /* every running thread of every process; slow (an RCU grace period) */
#define MB_GLOBAL_EXPEDITED 2          /* every running thread of every registered process; fast (IPIs) */
#define MB_REGISTER_GLOBAL_EXPEDITED 4 /* makes this process a target of MB_GLOBAL_EXPEDITED */

static long membarrier(int cmd)
{
#ifdef SYS_membarrier
    return syscall(SYS_membarrier, cmd, 0u, 0);
#else
    (void)cmd;
    errno = ENOSYS;
    return -1;
#endif
}

/* Registration belongs to the address space: a forked child inherits it, exec drops it. It is asked for on every
 * create and accept (so a process that exec'd registers again); repeating it is harmless. No membarrier, a
 * seccomp filter or any error: 0, and the lanes keep the full fence. */
unsigned tzchan__linux_fence_register(void)
{
    long q = membarrier(MB_QUERY);
    if (q < 0 || !(q & MB_GLOBAL_EXPEDITED) || !(q & MB_REGISTER_GLOBAL_EXPEDITED) ||
        membarrier(MB_REGISTER_GLOBAL_EXPEDITED) != 0)
        return 0;
    return TZCHAN__FENCE_EXPEDITED | ((q & MB_GLOBAL) ? TZCHAN__FENCE_GLOBAL : 0u);
}

/* Called by tzchan_wait_prepare() after our waiting word and a full fence: before it returns, every CPU running
 * the peer's threads must execute a full barrier. The expedited command reaches only processes registered for it;
 * the peer's SLEEP_FENCE bit says it is (a Linux-port side sets it only after registering), so without the bit we
 * use the slow command that reaches every process. A side offers the fence only when one of the two is sure to
 * work (s.4.1), so the fallback after a failed expedited call is for a kernel that changes its mind; should both
 * fail, the wake-up comes late by one sleep slice (run_blocking re-checks after every slice), never not at all. */
void tzchan__linux_sleep_fence(void *ctx)
{
    const struct tzchan__lane *ln = ctx;
    /* relaxed: a hint; the system call's full barrier orders it before the IPIs, and a stale 0 only picks the
     * slower fence. A peer that sets the bit without registering can cost us wake-ups, which it could withhold
     * anyway by never ringing (docs/LINUX.md s.4.1) */
    uint32_t st = __atomic_load_n(ln->peer_state, __ATOMIC_RELAXED);
    if ((st & TZCHAN_WIRE_STATE_SLEEP_FENCE) && membarrier(MB_GLOBAL_EXPEDITED) == 0)
        return;
    (void)membarrier(MB_GLOBAL);
}

/* Rings the peer: a futex wake on our bell word, or a byte on the lane's doorbell socket. */
static void ring_remote(struct tzchan__lane *ln)
{
    if (ln->conn->eventfd)
        bell_ring(ln->bell_fd);
    else
        futex(ln->my_bell, FUTEX_WAKE, INT_MAX, NULL); /* shared futex: no FUTEX_PRIVATE_FLAG */
}

/* Wakes our own sleepers of this lane: those on the peer's bell word (futex) and, in pollable mode, the one
 * polling the doorbell (through its wake eventfd). Lane mutex held. */
static void wake_local(struct tzchan__lane *ln)
{
    uint32_t expect;
    futex(tzchan_wait_word(&ln->ch, &expect), FUTEX_WAKE, INT_MAX, NULL);
    if (ln->conn->eventfd)
        wake_signal(ln->wake_fd);
}

void tzchan__linux_notify(void *ctx)
{
    /* called by the core from inside a send/receive call (lane mutex held) after it bumped our bell */
    ring_remote(ctx);
}

/* ---- liveness --------------------------------------------------------------------------------------------- */
bool tzchan__linux_sock_gone(struct tzchan_linux *l)
{
    if (atomic_load_explicit(&l->dead, memory_order_relaxed))
        return true;
    /* after the hand-off nothing more is ever sent on the socket: readable (EOF, stray data), hang-up or error
     * all mean the peer is gone or broke the protocol */
    struct pollfd p = {.fd = l->sock, .events = POLLIN | POLLRDHUP};
    if (poll(&p, 1, 0) > 0 && p.revents != 0) {
        atomic_store_explicit(&l->dead, true, memory_order_relaxed);
        return true;
    }
    return false;
}

bool tzchan_linux_peer_gone(struct tzchan_linux *l)
{
    if (l == NULL)
        return true;
    if (tzchan__linux_sock_gone(l))
        return true;
    struct tzchan__lane *ln = &l->lane[0];
    pthread_mutex_lock(&ln->mu);
    bool closed = tzchan_peer_closed(&ln->ch);
    pthread_mutex_unlock(&ln->mu);
    return closed;
}

/* One sleep of at most slice_ms, on the peer's bell word (futex) or, with `poll_efd`, on the doorbell socket,
 * the wake eventfd and the liveness socket. Returns 0 (rung, or no need to sleep), SLICE_OVER (the slice ended and
 * the socket says the peer is alive), TZCHAN_EINTR (a signal), TZCHAN_EPIPE (the socket says the peer is gone).
 * Called without the lane mutex. */
#define SLICE_OVER 1
static int sleep_once(struct tzchan__lane *ln, const uint32_t *word, uint32_t expect, int slice_ms, bool poll_efd)
{
    struct tzchan_linux *l = ln->conn;
    /* relaxed: a hint; the kernel re-checks the value atomically (futex), and a change only means "retry" */
    if (atomic_load_explicit((_Atomic uint32_t *)(uintptr_t)word, memory_order_relaxed) != expect)
        return 0;
    if (poll_efd) {
        struct pollfd p[3] = {{.fd = ln->bell_fd, .events = POLLIN},
                              {.fd = l->sock, .events = POLLIN | POLLRDHUP},
                              {.fd = ln->wake_fd, .events = POLLIN}};
        int r = poll(p, 3, slice_ms);
        if (r < 0 && errno == EINTR) {
            tzchan__linux_set_errno(EINTR);
            return TZCHAN_EINTR;
        }
        if (r < 0)
            return 0; /* cannot happen with valid fds; the caller retries within its deadline */
        if (p[2].revents & POLLIN)
            wake_drain(ln->wake_fd);
        /* a doorbell the peer closed (or broke) means it is gone, like the liveness socket; only the lane's
         * one poller drains the doorbell, so no other sleeper's ring is eaten */
        if (p[1].revents != 0 || (p[0].revents & (POLLHUP | POLLERR | POLLNVAL)) ||
            ((p[0].revents & POLLIN) && !bell_drain(ln->bell_fd))) {
            /* relaxed: a sticky flag, read with relaxed loads; nothing else is published through it */
            atomic_store_explicit(&l->dead, true, memory_order_relaxed);
            return TZCHAN_EPIPE;
        }
        return r == 0 ? SLICE_OVER : 0;
    }
    struct timespec ts = {.tv_sec = slice_ms / 1000, .tv_nsec = (long)(slice_ms % 1000) * 1000000L};
    long r = futex(word, FUTEX_WAIT, expect, &ts);
    if (r != 0 && errno == EINTR) {
        tzchan__linux_set_errno(EINTR);
        return TZCHAN_EINTR;
    }
    if (r != 0 && errno == ETIMEDOUT)
        return tzchan__linux_sock_gone(l) ? TZCHAN_EPIPE : SLICE_OVER;
    return 0;
}

/* ---- the blocking engine ---------------------------------------------------------------------------------- */
/* A non-blocking step run under the lane mutex: returns TZCHAN_EAGAIN to mean "sleep for `what`, then call me
 * again", anything else to finish. */
typedef int64_t (*step_fn)(struct tzchan__lane *ln, void *arg);

static int64_t run_blocking(struct tzchan__lane *ln, unsigned what, int timeout_ms, step_fn step, void *arg)
{
    struct tzchan_linux *l = ln->conn;
    uint64_t deadline = timeout_ms > 0 ? now_ns() + (uint64_t)timeout_ms * 1000000ull : 0;
    int64_t r;
    bool spun = false;
    /* a send to a peer already known gone fails at once (a receive still drains what the peer left) */
    if ((what & TZCHAN_WAIT_ROOM) && atomic_load_explicit(&l->dead, memory_order_relaxed))
        return TZCHAN_EPIPE;
    pthread_mutex_lock(&ln->mu);
    for (;;) {
        r = step(ln, arg);
        if (r != TZCHAN_EAGAIN)
            break;
        /* the peer is known dead (or, for a poll, found dead now): after the step, so what it published
         * before it died was still taken */
        if (atomic_load_explicit(&l->dead, memory_order_relaxed) ||
            (timeout_ms == 0 && tzchan__linux_sock_gone(l))) {
            r = TZCHAN_EPIPE;
            break;
        }
        int slice = TZCHAN_LINUX_SLICE_MS;
        if (timeout_ms == 0) {
            r = TZCHAN_ETIMEDOUT;
            break;
        }
        if (!spun && l->spin_ns != 0) {
            /* the peer is usually running on another CPU and about to make progress: retry for a few
             * microseconds before paying for a sleep and a doorbell (skipped on one CPU) */
            spun = true;
            uint64_t until = now_ns() + l->spin_ns;
            do {
                for (int i = 0; i < 64; i++)
                    cpu_relax();
                r = step(ln, arg);
            } while (r == TZCHAN_EAGAIN && now_ns() < until);
            if (r != TZCHAN_EAGAIN)
                break;
        }
        if (timeout_ms > 0) {
            uint64_t t = now_ns();
            if (t >= deadline) {
                r = TZCHAN_ETIMEDOUT;
                break;
            }
            uint64_t left_ms = (deadline - t + 999999u) / 1000000u;
            if (left_ms < (uint64_t)slice)
                slice = (int)left_ms;
        }
        unsigned others = (ln->n_data ? TZCHAN_WAIT_DATA : 0u) | (ln->n_room ? TZCHAN_WAIT_ROOM : 0u);
        int p = tzchan_wait_prepare(&ln->ch, (enum tzchan_wait)(what | others));
        if (p < 0) {
            r = p;
            break;
        }
        if (p == 1) {
            /* something holds: ours, or another sleeper's (whose announcement prepare just withdrew) */
            if (ln->n_sleepers) {
                wake_local(ln);
                pthread_mutex_unlock(&ln->mu);
                sched_yield(); /* let them run before we look again */
                pthread_mutex_lock(&ln->mu);
            }
            continue;
        }
        uint32_t expect;
        const uint32_t *word = tzchan_wait_word(&ln->ch, &expect);
        /* pollable mode: one sleeper polls the doorbell (and drains it), any others sleep on the futex word and
         * are woken by that one; the word's value check keeps them from missing a ring */
        bool poll_efd = l->eventfd && !ln->bell_sleeper;
        ln->bell_sleeper |= poll_efd;
        ln->n_sleepers++;
        ln->n_data += (what & TZCHAN_WAIT_DATA) != 0;
        ln->n_room += (what & TZCHAN_WAIT_ROOM) != 0;
        pthread_mutex_unlock(&ln->mu);
        uint64_t t0 = now_ns();
        int s = sleep_once(ln, word, expect, slice, poll_efd);
        uint64_t t1 = now_ns();
        pthread_mutex_lock(&ln->mu);
        ln->sleeps++;
        ln->sleep_ns += t1 - t0;
        ln->live_checks += s == SLICE_OVER || (s == TZCHAN_EPIPE && !poll_efd);
        ln->n_sleepers--;
        ln->n_data -= (what & TZCHAN_WAIT_DATA) != 0;
        ln->n_room -= (what & TZCHAN_WAIT_ROOM) != 0;
        if (poll_efd) {
            ln->bell_sleeper = false;
            if (ln->n_sleepers != 0) /* pass the ring on to the futex sleepers */
                futex(word, FUTEX_WAKE, INT_MAX, NULL);
        }
        if (ln->n_sleepers == 0)
            tzchan_wait_done(&ln->ch);
        if (s == TZCHAN_EINTR) {
            r = TZCHAN_EINTR;
            break;
        }
        /* EPIPE: loop once more, so data published before the death is still delivered */
    }
    pthread_mutex_unlock(&ln->mu);
    return r;
}

static struct tzchan__lane *lane_of(struct tzchan_linux *l, uint32_t lane)
{
    return (l != NULL && lane < l->lanes) ? &l->lane[lane] : NULL;
}

/* ---- whole messages --------------------------------------------------------------------------------------- */
struct io {
    const unsigned char *src;
    unsigned char *dst;
    size_t len, done;
    bool *eom;
};

static int64_t step_send(struct tzchan__lane *ln, void *arg)
{
    struct io *io = arg;
    return tzchan_send(&ln->ch, io->src, io->len);
}

int64_t tzchan_linux_send(struct tzchan_linux *l, uint32_t lane, const void *buf, size_t len, int timeout_ms)
{
    struct tzchan__lane *ln = lane_of(l, lane);
    if (ln == NULL)
        return TZCHAN_EINVAL;
    struct io io = {.src = buf, .len = len};
    return run_blocking(ln, TZCHAN_WAIT_ROOM, timeout_ms, step_send, &io);
}

static int64_t step_recv(struct tzchan__lane *ln, void *arg)
{
    struct io *io = arg;
    if (ln->rx_owned)
        return TZCHAN_EINVAL; /* a recv_some is in the middle of a message */
    return tzchan_recv(&ln->ch, io->dst, io->len);
}

int64_t tzchan_linux_recv(struct tzchan_linux *l, uint32_t lane, void *buf, size_t cap, int timeout_ms)
{
    struct tzchan__lane *ln = lane_of(l, lane);
    if (ln == NULL)
        return TZCHAN_EINVAL;
    struct io io = {.dst = buf, .len = cap};
    return run_blocking(ln, TZCHAN_WAIT_DATA, timeout_ms, step_recv, &io);
}

/* ---- streams ---------------------------------------------------------------------------------------------- */
int tzchan_linux_send_begin(struct tzchan_linux *l, uint32_t lane, uint64_t total_len)
{
    struct tzchan__lane *ln = lane_of(l, lane);
    if (ln == NULL)
        return TZCHAN_EINVAL;
    pthread_mutex_lock(&ln->mu);
    int e = tzchan_send_begin(&ln->ch, total_len);
    if (e == 0) {
        ln->tx_owned = true;
        ln->tx_owner = pthread_self();
    }
    pthread_mutex_unlock(&ln->mu);
    return e;
}

static bool owns(bool owned, pthread_t owner)
{
    return owned && pthread_equal(owner, pthread_self());
}

static int64_t step_send_some(struct tzchan__lane *ln, void *arg)
{
    struct io *io = arg;
    if (!owns(ln->tx_owned, ln->tx_owner))
        return TZCHAN_EINVAL;
    int64_t r = tzchan_send_some(&ln->ch, io->src + io->done, io->len - io->done);
    if (r < 0)
        return r;
    io->done += (size_t)r;
    return io->done == io->len ? (int64_t)io->done : TZCHAN_EAGAIN;
}

int64_t tzchan_linux_send_some(struct tzchan_linux *l, uint32_t lane, const void *buf, size_t len, int timeout_ms)
{
    struct tzchan__lane *ln = lane_of(l, lane);
    if (ln == NULL || (buf == NULL && len != 0))
        return TZCHAN_EINVAL;
    struct io io = {.src = buf, .len = len};
    int64_t r = run_blocking(ln, TZCHAN_WAIT_ROOM, timeout_ms, step_send_some, &io);
    if (r < 0 && io.done > 0 && r != TZCHAN_EPROTO)
        return (int64_t)io.done; /* stopped early: report the progress; the next call reports the cause */
    return r;
}

static int64_t step_send_end(struct tzchan__lane *ln, void *arg)
{
    (void)arg;
    if (!owns(ln->tx_owned, ln->tx_owner))
        return TZCHAN_EINVAL;
    int e = tzchan_send_end(&ln->ch);
    if (e == 0)
        ln->tx_owned = false;
    return e;
}

int tzchan_linux_send_end(struct tzchan_linux *l, uint32_t lane, int timeout_ms)
{
    struct tzchan__lane *ln = lane_of(l, lane);
    if (ln == NULL)
        return TZCHAN_EINVAL;
    return (int)run_blocking(ln, TZCHAN_WAIT_ROOM, timeout_ms, step_send_end, NULL);
}

static int64_t step_recv_some(struct tzchan__lane *ln, void *arg)
{
    struct io *io = arg;
    if (ln->rx_owned && !pthread_equal(ln->rx_owner, pthread_self()))
        return TZCHAN_EINVAL;
    int64_t r = tzchan_recv_some(&ln->ch, io->dst, io->len, io->eom);
    if (r >= 0) {
        ln->rx_owned = !*io->eom;
        ln->rx_owner = pthread_self();
    }
    return r;
}

int64_t tzchan_linux_recv_some(struct tzchan_linux *l, uint32_t lane, void *buf, size_t cap, bool *end_of_message,
                               int timeout_ms)
{
    struct tzchan__lane *ln = lane_of(l, lane);
    if (ln == NULL || end_of_message == NULL)
        return TZCHAN_EINVAL;
    *end_of_message = false;
    struct io io = {.dst = buf, .len = cap, .eom = end_of_message};
    return run_blocking(ln, TZCHAN_WAIT_DATA, timeout_ms, step_recv_some, &io);
}

/* ---- lanes, event loops, statistics ------------------------------------------------------------------------ */
uint32_t tzchan_linux_my_lane(const struct tzchan_linux *l)
{
    if (l == NULL || l->lanes == 0)
        return 0;
    int cpu = sched_getcpu();
    return cpu < 0 ? 0u : (uint32_t)cpu % l->lanes;
}

int tzchan_linux_fd(const struct tzchan_linux *l, uint32_t lane)
{
    if (l == NULL || lane >= l->lanes || !l->eventfd)
        return TZCHAN_EINVAL;
    return l->lane[lane].bell_fd;
}

int tzchan_linux_arm(struct tzchan_linux *l, uint32_t lane, enum tzchan_wait what)
{
    struct tzchan__lane *ln = lane_of(l, lane);
    if (ln == NULL)
        return TZCHAN_EINVAL;
    if (tzchan__linux_sock_gone(l))
        return TZCHAN_EPIPE;
    pthread_mutex_lock(&ln->mu);
    unsigned others = (ln->n_data ? TZCHAN_WAIT_DATA : 0u) | (ln->n_room ? TZCHAN_WAIT_ROOM : 0u);
    int r = tzchan_wait_prepare(&ln->ch, (enum tzchan_wait)((unsigned)what | others));
    pthread_mutex_unlock(&ln->mu);
    return r;
}

void tzchan_linux_disarm(struct tzchan_linux *l, uint32_t lane)
{
    struct tzchan__lane *ln = lane_of(l, lane);
    if (ln == NULL)
        return;
    if (ln->bell_fd >= 0) {
        /* never blocks (MSG_DONTWAIT), whatever the peer did to the shared file flags or the queue */
        if (!bell_drain(ln->bell_fd))
            atomic_store_explicit(&l->dead, true, memory_order_relaxed); /* relaxed: the sticky flag, as above */
        wake_drain(ln->wake_fd);
    }
    pthread_mutex_lock(&ln->mu);
    if (ln->n_sleepers == 0)
        tzchan_wait_done(&ln->ch);
    pthread_mutex_unlock(&ln->mu);
}

struct tzchan *tzchan_linux_endpoint(struct tzchan_linux *l, uint32_t lane)
{
    struct tzchan__lane *ln = lane_of(l, lane);
    return ln != NULL ? &ln->ch : NULL;
}

int tzchan_linux_get_stats(struct tzchan_linux *l, uint32_t lane, struct tzchan_linux_stats *st)
{
    struct tzchan__lane *ln = lane_of(l, lane);
    if (ln == NULL || st == NULL)
        return TZCHAN_EINVAL;
    pthread_mutex_lock(&ln->mu);
    tzchan_get_stats(&ln->ch, &st->core);
    st->sleeps = ln->sleeps;
    st->sleep_ns = ln->sleep_ns;
    st->liveness_checks = ln->live_checks;
    pthread_mutex_unlock(&ln->mu);
    return 0;
}
