/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Helpers shared by the Linux port's tests: a monotonic clock, a streaming 64-bit checksum that does not depend
 * on how the bytes are cut into pieces, a fast reproducible byte pattern, raw hand-off messages (to play a
 * broken or hostile creator), and a connected pair made by a real create/accept over a socketpair.
 */
#ifndef TZCHAN_TEST_LX_H
#define TZCHAN_TEST_LX_H

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../common/check.h"
#include "tzchan/linux.h"

static inline uint64_t lx_now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static inline double lx_ms_since(uint64_t t0)
{
    return (double)(lx_now_ns() - t0) / 1e6;
}

/* ---- checksum: the one tzchan-demo uses (tools/tzdata.h) ------------------------------------------------- */
#include "../../tools/tzdata.h"
#define lx_sum tzsum
#define lx_sum_init tzsum_init
#define lx_sum_update tzsum_update
#define lx_sum_final tzsum_final

/* ---- pattern: 8-byte words of stream `seed`; `at` must be a multiple of 8 (tools/tzdata.h) ------------- */
#define lx_pattern tzdata_pattern

/* ---- raw hand-off messages ---------------------------------------------------------------------------- */
static inline int lx_send_raw(int sock, const void *buf, size_t len, const int *fds, int nfds)
{
    char cbuf[CMSG_SPACE(sizeof(int) * 253)]; /* SCM_MAX_FD */
    memset(cbuf, 0, sizeof cbuf);
    struct iovec iov = {.iov_base = (void *)(uintptr_t)buf, .iov_len = len};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    if (nfds > 0) {
        m.msg_control = cbuf;
        m.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
    }
    return sendmsg(sock, &m, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/* Reads the acceptor's answer on the creator's end; returns its reason, or -1 if malformed. */
static inline int lx_read_answer(int sock)
{
    struct tzchan_linux_answer a;
    ssize_t n = recv(sock, &a, sizeof a, 0);
    if (n != (ssize_t)sizeof a || a.magic != TZCHAN_LINUX_ANSWER_MAGIC)
        return -1;
    return (int)a.reason;
}

/* A valid hello for a region of (lanes, ring) with one fd (the memfd) and futex doorbells. */
static inline struct tzchan_linux_hello lx_hello(uint32_t lanes, uint32_t ring)
{
    struct tzchan_linux_hello h;
    memset(&h, 0, sizeof h);
    h.magic = TZCHAN_LINUX_HELLO_MAGIC;
    h.version = TZCHAN_LINUX_HANDOFF_VERSION;
    h.lanes = lanes;
    h.ring_bytes = ring;
    h.region_bytes = tzchan_region_size(lanes, ring);
    h.nfds = 1;
    return h;
}

/* Forks a peer process joined to us by a SOCK_SEQPACKET socketpair. Each process keeps only its own end in *sock
 * (only the child holds its end, so its death hangs the socket up). Returns the child's pid in the parent and 0 in
 * the child, as fork() does. */
static inline pid_t lx_fork_peer(int *sock)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    close(sv[pid == 0 ? 0 : 1]);
    *sock = sv[pid == 0 ? 1 : 0];
    return pid;
}

/* ---- watchdog: fails the test (exit 1) when a watched call outlives its limit ------------------------------ */
/* A call under watch: lx_watch_begin(slot, limit_ms, name) before it, lx_watch_end(slot) after. A thread checks
 * every 10 ms and, if a call is still running past its limit, prints it and exits 1: a call that blocks forever
 * makes the test fail in bounded time instead of hanging it. Limits are generous (timeout + seconds of slack):
 * this detects hangs, it does not measure speed. */
#define LX_WATCH_SLOTS 8
static _Atomic uint64_t lx_watch_start[LX_WATCH_SLOTS]; /* 0 = idle */
static _Atomic uint64_t lx_watch_limit[LX_WATCH_SLOTS];
static const char *_Atomic lx_watch_name[LX_WATCH_SLOTS];

static inline void lx_watch_begin(int slot, uint64_t limit_ms, const char *name)
{
    /* relaxed: the name and limit are published by the release store of the start below */
    atomic_store_explicit(&lx_watch_name[slot], name, memory_order_relaxed);
    atomic_store_explicit(&lx_watch_limit[slot], limit_ms * 1000000ull, memory_order_relaxed);
    /* release: publishes name and limit; pairs with the acquire load of start in lx_watchdog */
    atomic_store_explicit(&lx_watch_start[slot], lx_now_ns(), memory_order_release);
}

static inline void lx_watch_end(int slot)
{
    /* relaxed: only ends the watch; a late view of it at worst delays nothing (the limit is generous) */
    atomic_store_explicit(&lx_watch_start[slot], 0, memory_order_relaxed);
}

static inline void *lx_watchdog(void *arg)
{
    (void)arg;
    for (;;) {
        usleep(10 * 1000);
        for (int i = 0; i < LX_WATCH_SLOTS; i++) {
            /* acquire: pairs with the release store in lx_watch_begin, so name and limit are that call's */
            uint64_t t0 = atomic_load_explicit(&lx_watch_start[i], memory_order_acquire);
            if (t0 == 0)
                continue;
            uint64_t lim = atomic_load_explicit(&lx_watch_limit[i], memory_order_relaxed);
            uint64_t now = lx_now_ns();
            if (now > t0 && now - t0 > lim) {
                fprintf(stderr, "FAIL: %s still blocked after %.0f ms (limit %.0f ms)\n",
                        atomic_load_explicit(&lx_watch_name[i], memory_order_relaxed), (double)(now - t0) / 1e6,
                        (double)lim / 1e6);
                fflush(stdout);
                _exit(T_EXIT_FAIL);
            }
        }
    }
    return NULL;
}

static inline void lx_watchdog_start(void)
{
    pthread_t t;
    CHECK(pthread_create(&t, NULL, lx_watchdog, NULL) == 0);
    pthread_detach(t);
}

/* Open file descriptors of this process (entries of /proc/self/fd, minus the one the count uses). */
static inline int lx_count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    CHECK(d != NULL);
    int n = 0;
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n - 3; /* ".", ".." and the directory's own fd */
}

/* ---- a connected pair in one process: create on sv[0] (side A), accept on sv[1] (side B) ---------------- */
struct lx_pair {
    struct tzchan_linux *a, *b;
};

struct lx_accept_arg {
    int sock;
    struct tzchan_linux *conn;
    int rc;
    unsigned reason;
};

static inline void *lx_accept_thread(void *p)
{
    struct lx_accept_arg *x = p;
    x->rc = tzchan_linux_accept(&x->conn, x->sock, NULL, 5000, &x->reason);
    return NULL;
}

static inline void lx_pair_open(struct lx_pair *pr, uint32_t lanes, uint32_t ring, bool eventfd)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
    struct lx_accept_arg x = {.sock = sv[1]};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, lx_accept_thread, &x) == 0);
    struct tzchan_linux_config cfg = {.lanes = lanes, .ring_bytes = ring, .eventfd = eventfd};
    unsigned reason = 99;
    int rc = tzchan_linux_create(&pr->a, sv[0], &cfg, 5000, &reason);
    pthread_join(t, NULL);
    CHECK_EQ(rc, 0);
    CHECK_EQ(reason, 0);
    CHECK_EQ(x.rc, 0);
    pr->b = x.conn;
}

#endif
