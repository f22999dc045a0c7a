/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The transports tzchan-bench compares, each as a producer loop and a consumer loop over one context: tzchan
 * (per-message, batched, zero-copy, streamed through a small ring, and a slow producer for the doorbell count),
 * its peers (pipe, AF_UNIX stream and seqpacket socketpairs, POSIX message queues, Concurrency Kit's ck_ring),
 * and the limits (memcpy on one core, a copy in on one core and out on the other). The round-trip transports
 * (a cache line bounced between cores, a bare futex and eventfd wake-up, pipe, AF_UNIX, tzchan spinning and
 * sleeping) follow. Setup runs before the fork or thread start, so every side sees the same descriptors and
 * shared mappings; each side then touches only its own fields of the context.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <linux/membarrier.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#ifdef TZCHAN_BENCH_HAVE_CK
#include <ck_ring.h>
#endif

#define RING_TARGET (256u * 1024u) /* bytes of buffering every ring-like transport gets, where it can choose */

/* ---- small I/O helpers ------------------------------------------------------------------------------------- */
static void write_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        ssize_t r = write(fd, p, n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            die("write");
        }
        p += r;
        n -= (size_t)r;
    }
}

static void read_all(int fd, unsigned char *p, size_t n)
{
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            die("read");
        }
        if (r == 0)
            die("read: unexpected end of file");
        p += r;
        n -= (size_t)r;
    }
}

static void close_fds(struct ctx *c)
{
    for (int i = 0; i < 4; i++)
        if (c->fd[i] >= 0) {
            close(c->fd[i]);
            c->fd[i] = -1;
        }
}

static void free_shm(struct ctx *c)
{
    if (c->shm != NULL)
        shm_free(c->shm, c->shm_len);
    c->shm = NULL;
}

static uint32_t pow2_floor(size_t v)
{
    uint32_t p = 1;
    while ((size_t)p * 2 <= v && p < (1u << 30))
        p *= 2;
    return p;
}

/* ---- tzchan ------------------------------------------------------------------------------------------------ */
static void tz_notify(void *ctx)
{
    struct bell *b = ctx;
    futex_wake_u32(b->word, b->shared);
}

/* The caller's op returned EAGAIN (or send_some took 0): spin a while, then sleep until the peer rings. */
static void tz_wait(struct ctx *c, struct tzchan *ch, enum tzchan_wait what, unsigned *spins)
{
    if (c->spin < 0) {
        spin_step(spins);
        return;
    }
    if ((*spins)++ < (unsigned)c->spin) {
        cpu_relax();
        return;
    }
    *spins = 0;
    if (tzchan_wait_prepare(ch, what) != 0)
        return;
    uint32_t expect;
    const uint32_t *w = tzchan_wait_word(ch, &expect);
    while (__atomic_load_n(w, __ATOMIC_ACQUIRE) == expect)
        futex_wait_u32(w, expect, c->shared);
    tzchan_wait_done(ch);
}

bool g_sleep_fence;

static long membarrier_call(int cmd)
{
    return syscall(__NR_membarrier, cmd, 0u, 0);
}

bool sleep_fence_init(void)
{
    long q = membarrier_call(MEMBARRIER_CMD_QUERY);
    if (q < 0 || !(q & MEMBARRIER_CMD_PRIVATE_EXPEDITED) || !(q & MEMBARRIER_CMD_GLOBAL_EXPEDITED))
        return false;
    return membarrier_call(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0 &&
           membarrier_call(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED) == 0;
}

/* The sleep fence: every CPU running a thread of this process (threads), or of any registered process (the peer
 * process), executes a full barrier before this returns. */
static void sleep_fence_threads(void *ctx)
{
    (void)ctx;
    if (membarrier_call(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0)
        die("membarrier");
}

static void sleep_fence_procs(void *ctx)
{
    (void)ctx;
    if (membarrier_call(MEMBARRIER_CMD_GLOBAL_EXPEDITED) != 0)
        die("membarrier");
}

static void tz_endpoint_setup(struct ctx *c, struct tzchan *a, struct tzchan *b)
{
    /* A rings B by bumping A's bell, the word B sleeps on (and vice versa) */
    c->bell_a.word = tzchan_wait_word(b, NULL);
    c->bell_b.word = tzchan_wait_word(a, NULL);
    c->bell_a.shared = c->bell_b.shared = c->shared;
    tzchan_set_notify(a, tz_notify, &c->bell_a);
    tzchan_set_notify(b, tz_notify, &c->bell_b);
    if (g_sleep_fence) {
        void (*f)(void *) = c->shared ? sleep_fence_procs : sleep_fence_threads;
        if (tzchan_set_sleep_fence(a, f, NULL) != 0 || tzchan_set_sleep_fence(b, f, NULL) != 0)
            die("tzchan_set_sleep_fence");
    }
}

static int tz_open_region(struct ctx *c, uint32_t ring, uint32_t lanes)
{
    c->shm_len = tzchan_region_size(lanes, ring);
    c->shm = shm_alloc(c->shm_len);
    if (tzchan_region_init(c->shm, c->shm_len, lanes, ring) != 0 ||
        tzchan_open(&c->a, c->shm, c->shm_len, TZCHAN_SIDE_A, 0) != 0 ||
        tzchan_open(&c->b, c->shm, c->shm_len, TZCHAN_SIDE_B, 0) != 0)
        die("tzchan region");
    tz_endpoint_setup(c, &c->a, &c->b);
    return 0;
}

static int tz_setup(struct ctx *c)
{
    return tz_open_region(c, c->ring, 1);
}

static int tz_setup_64k(struct ctx *c)
{
    return tz_open_region(c, 64u * 1024u, 1);
}

static void tz_teardown(struct ctx *c)
{
    free_shm(c);
}

static void tz_send_one(struct ctx *c, struct tzchan *ch, const unsigned char *src, size_t len, unsigned flags)
{
    unsigned sp = 0;
    if (len <= tzchan_max_msg(ch)) {
        int64_t r;
        while ((r = tzchan_send_flags(ch, src, len, flags)) == TZCHAN_EAGAIN)
            tz_wait(c, ch, TZCHAN_WAIT_ROOM, &sp);
        if (r != (int64_t)len)
            die("tzchan_send");
        return;
    }
    if (tzchan_send_begin(ch, len) != 0)
        die("tzchan_send_begin");
    for (size_t off = 0; off < len;) {
        int64_t r = tzchan_send_some(ch, src + off, len - off);
        if (r < 0)
            die("tzchan_send_some");
        if (r == 0) {
            tz_wait(c, ch, TZCHAN_WAIT_ROOM, &sp);
            continue;
        }
        sp = 0;
        off += (size_t)r;
    }
    int e;
    while ((e = tzchan_send_end(ch)) == TZCHAN_EAGAIN)
        tz_wait(c, ch, TZCHAN_WAIT_ROOM, &sp);
    if (e != 0)
        die("tzchan_send_end");
}

static void tz_recv_one(struct ctx *c, struct tzchan *ch, unsigned char *dst, size_t len)
{
    unsigned sp = 0;
    if (len <= tzchan_max_msg(ch)) {
        int64_t r;
        while ((r = tzchan_recv(ch, dst, len)) == TZCHAN_EAGAIN)
            tz_wait(c, ch, TZCHAN_WAIT_DATA, &sp);
        if (r != (int64_t)len)
            die("tzchan_recv");
        return;
    }
    bool eom = false;
    size_t off = 0;
    while (!eom) {
        size_t cap = off < len ? len - off : 1; /* dst has slack past len */
        int64_t r = tzchan_recv_some(ch, dst + off, cap, &eom);
        if (r == TZCHAN_EAGAIN) {
            tz_wait(c, ch, TZCHAN_WAIT_DATA, &sp);
            continue;
        }
        if (r < 0)
            die("tzchan_recv_some");
        sp = 0;
        off += (size_t)r;
    }
    if (off != len)
        die("tzchan_recv_some: wrong length");
}

static void tz_prod(struct ctx *c, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        tz_send_one(c, &c->a, c->src, c->size, 0);
}

static void tz_cons(struct ctx *c, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        tz_recv_one(c, &c->b, c->dst, c->size);
}

static void tz_batch_prod(struct ctx *c, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        bool last = (i + 1) % c->batch == 0 || i + 1 == n;
        tz_send_one(c, &c->a, c->src, c->size, last ? 0u : TZCHAN_MORE);
    }
    tzchan_flush(&c->a);
}

static void tz_lowrate_prod(struct ctx *c, uint64_t n)
{
    struct timespec ts = {0, (long)c->lowrate_us * 1000L};
    for (uint64_t i = 0; i < n; i++) {
        tz_send_one(c, &c->a, c->src, c->size, 0);
        nanosleep(&ts, NULL);
    }
}

static void tz_zc_prod(struct ctx *c, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        unsigned sp = 0;
        void *p;
        while ((p = tzchan_reserve(&c->a, c->size)) == NULL) {
            if (tzchan_error(&c->a) != TZCHAN_EAGAIN)
                die("tzchan_reserve");
            tz_wait(c, &c->a, TZCHAN_WAIT_ROOM, &sp);
        }
        memcpy(p, c->src, c->size); /* the producer writes its message in place */
        if (tzchan_commit(&c->a, c->size) != 0)
            die("tzchan_commit");
    }
}

static void tz_zc_cons(struct ctx *c, uint64_t n)
{
    uint64_t sum = 0;
    for (uint64_t i = 0; i < n; i++) {
        unsigned sp = 0;
        size_t len;
        const unsigned char *p;
        while ((p = tzchan_peek(&c->b, &len)) == NULL) {
            if (tzchan_error(&c->b) != TZCHAN_EAGAIN)
                die("tzchan_peek");
            tz_wait(c, &c->b, TZCHAN_WAIT_DATA, &sp);
        }
        /* the consumer uses the message in place: one load per cache line stands for that use */
        for (size_t off = 0; off < len; off += 64) {
            uint64_t v;
            memcpy(&v, p + off, len - off < 8 ? len - off : 8);
            sum += v;
        }
        if (tzchan_release(&c->b) != 0)
            die("tzchan_release");
    }
    c->sink += sum;
}

static bool fits_whole_default(size_t size)
{
    return size <= RING_TARGET / 2; /* tzchan_max_msg() of the default ring */
}

static bool fits_big(size_t size)
{
    return size >= 64u * 1024u;
}

/* ---- pipe -------------------------------------------------------------------------------------------------- */
static int pipe_setup(struct ctx *c)
{
    if (pipe(c->fd) != 0)
        die("pipe");
    (void)fcntl(c->fd[1], F_SETPIPE_SZ, (int)RING_TARGET); /* same buffering as the rings; best effort */
    return 0;
}

static void fd_prod(struct ctx *c, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        write_all(c->fd[1], c->src, c->size);
}

static void fd_cons(struct ctx *c, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        read_all(c->fd[0], c->dst, c->size);
}

/* ---- AF_UNIX ----------------------------------------------------------------------------------------------- */
static int ustream_setup(struct ctx *c)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        die("socketpair");
    c->fd[0] = sv[1];
    c->fd[1] = sv[0];
    return 0;
}

static int useq_setup(struct ctx *c)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
        die("socketpair");
    c->fd[0] = sv[1];
    c->fd[1] = sv[0];
    int big = 4 << 20;
    (void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    (void)setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    /* probe: does one message of this size go through at all? */
    ssize_t r = send(sv[0], c->src, c->size, MSG_DONTWAIT);
    if (r != (ssize_t)c->size) {
        close_fds(c);
        return 1;
    }
    if (recv(sv[1], c->dst, c->size, 0) != (ssize_t)c->size)
        die("seqpacket probe");
    return 0;
}

static void useq_prod(struct ctx *c, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        while (send(c->fd[1], c->src, c->size, 0) != (ssize_t)c->size)
            if (errno != EINTR)
                die("send seqpacket");
}

static void useq_cons(struct ctx *c, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        while (recv(c->fd[0], c->dst, c->size, 0) != (ssize_t)c->size)
            if (errno != EINTR)
                die("recv seqpacket");
}

/* ---- POSIX message queue ----------------------------------------------------------------------------------- */
static int mq_setup(struct ctx *c)
{
    char name[64];
    snprintf(name, sizeof name, "/tzchan-bench-%ld", (long)getpid());
    struct mq_attr at = {0};
    at.mq_maxmsg = 10; /* the default per-queue limit for unprivileged users */
    at.mq_msgsize = (long)c->size;
    mqd_t q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &at);
    if (q == (mqd_t)-1)
        return 1; /* larger than msgsize_max, or no mqueue support: n/a */
    mq_unlink(name);
    c->fd[0] = (int)q;
    return 0;
}

static void mq_prod(struct ctx *c, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        while (mq_send((mqd_t)c->fd[0], (const char *)c->src, c->size, 0) != 0)
            if (errno != EINTR)
                die("mq_send");
}

static void mq_cons(struct ctx *c, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        while (mq_receive((mqd_t)c->fd[0], (char *)c->dst, c->size, NULL) != (ssize_t)c->size)
            if (errno != EINTR)
                die("mq_receive");
}

static void mq_teardown(struct ctx *c)
{
    if (c->fd[0] >= 0)
        mq_close((mqd_t)c->fd[0]);
    c->fd[0] = -1;
}

static void fd_teardown(struct ctx *c)
{
    close_fds(c);
}

/* ---- Concurrency Kit ck_ring SPSC: a ring of pointers to fixed-size slots ------------------------------------ */
/* The producer fills slot (seq mod 2R), then enqueues its address; the consumer dequeues and copies the slot out.
 * With 2R slots for a ring of R entries a slot is reused only after the consumer has dequeued the message that
 * follows its previous use, so it has finished copying it (the consumer copies before it dequeues again). */
#ifdef TZCHAN_BENCH_HAVE_CK
static int ck_setup(struct ctx *c)
{
    uint32_t r = pow2_floor(RING_TARGET / c->size);
    if (r < 8)
        r = 8;
    c->nslots = 2 * r;
    size_t hdr = (sizeof(struct ck_ring) + 127) & ~(size_t)127;
    size_t buf = (size_t)r * sizeof(struct ck_ring_buffer);
    c->shm_len = hdr + buf + (size_t)c->nslots * c->size + 128;
    c->shm = shm_alloc(c->shm_len);
    c->ring_hdr = c->shm;
    c->ring_buf = c->shm + hdr;
    c->slots = c->shm + ((hdr + buf + 127) & ~(size_t)127);
    ck_ring_init(c->ring_hdr, r);
    return 0;
}

static void ck_prod(struct ctx *c, uint64_t n)
{
    struct ck_ring *ring = c->ring_hdr;
    struct ck_ring_buffer *buf = c->ring_buf;
    for (uint64_t i = 0; i < n; i++) {
        unsigned char *slot = c->slots + (size_t)(c->prod_seq++ % c->nslots) * c->size;
        memcpy(slot, c->src, c->size);
        unsigned sp = 0;
        while (!ck_ring_enqueue_spsc(ring, buf, slot))
            spin_step(&sp);
    }
}

static void ck_cons(struct ctx *c, uint64_t n)
{
    struct ck_ring *ring = c->ring_hdr;
    struct ck_ring_buffer *buf = c->ring_buf;
    for (uint64_t i = 0; i < n; i++) {
        void *p;
        unsigned sp = 0;
        while (!ck_ring_dequeue_spsc(ring, buf, &p))
            spin_step(&sp);
        memcpy(c->dst, p, c->size);
    }
}
#else
static int ck_setup(struct ctx *c)
{
    (void)c;
    return 1;
}
static void ck_prod(struct ctx *c, uint64_t n)
{
    (void)c;
    (void)n;
}
#define ck_cons ck_prod
#endif

bool have_ck_ring(void)
{
#ifdef TZCHAN_BENCH_HAVE_CK
    return true;
#else
    return false;
#endif
}

static bool fits_slots(size_t size)
{
    return size <= 64u * 1024u;
}

/* ---- limits ------------------------------------------------------------------------------------------------ */
static int none_setup(struct ctx *c)
{
    (void)c;
    return 0;
}

static void none_teardown(struct ctx *c)
{
    (void)c;
}

static void memcpy_prod(struct ctx *c, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        memcpy(c->dst, c->src, c->size);
        atomic_signal_fence(memory_order_seq_cst); /* keep every copy */
    }
}

/* Cross-core copy: chunks of min(size, 64 KiB) go through a ring of buffers in shared memory, each with a full
 * flag on its own cache line: copy in on the producer's core, flag, copy out on the consumer's core, unflag. */
#define XC_FLAG(c, i) ((_Atomic uint32_t *)(void *)((c)->shm + (size_t)(i) * 64u))
static int xcopy_setup(struct ctx *c)
{
    c->chunk = c->size < 65536u ? c->size : 65536u;
    uint32_t nb = pow2_floor(RING_TARGET / c->chunk);
    c->nslots = nb < 4 ? 4 : nb > 4096 ? 4096 : nb;
    size_t flags = (size_t)c->nslots * 64u;
    c->shm_len = flags + (size_t)c->nslots * ((c->chunk + 63u) & ~(size_t)63u);
    c->shm = shm_alloc(c->shm_len);
    c->slots = c->shm + flags;
    return 0;
}

static void xcopy_prod(struct ctx *c, uint64_t n)
{
    size_t stride = (c->chunk + 63u) & ~(size_t)63u;
    for (uint64_t i = 0; i < n; i++)
        for (size_t off = 0; off < c->size; off += c->chunk) {
            uint32_t k = (uint32_t)(c->prod_seq++ % c->nslots);
            unsigned sp = 0;
            while (atomic_load_explicit(XC_FLAG(c, k), memory_order_acquire) != 0)
                spin_step(&sp);
            memcpy(c->slots + k * stride, c->src + off, c->chunk);
            atomic_store_explicit(XC_FLAG(c, k), 1, memory_order_release);
        }
}

static void xcopy_cons(struct ctx *c, uint64_t n)
{
    size_t stride = (c->chunk + 63u) & ~(size_t)63u;
    for (uint64_t i = 0; i < n; i++)
        for (size_t off = 0; off < c->size; off += c->chunk) {
            uint32_t k = (uint32_t)(c->cons_seq++ % c->nslots);
            unsigned sp = 0;
            while (atomic_load_explicit(XC_FLAG(c, k), memory_order_acquire) == 0)
                spin_step(&sp);
            memcpy(c->dst + off, c->slots + k * stride, c->chunk);
            atomic_store_explicit(XC_FLAG(c, k), 0, memory_order_release);
        }
}

static void xcopy_teardown(struct ctx *c)
{
    free_shm(c);
}

/* ---- the throughput table's columns, in print order -------------------------------------------------------- */
const struct xport xp_tz_send = {"tz-send", "tzchan_send/recv, published per message (streamed above max_msg)",
                                 X_TZ, NULL, tz_setup, tz_prod, tz_cons, tz_teardown};
const struct xport xp_tz_lowrate = {"tz-lowrate", "tzchan_send at a low rate (doorbell count)", X_TZ, NULL,
                                    tz_setup, tz_lowrate_prod, tz_cons, tz_teardown};

const struct xport xp_tput[] = {
    {"tz-send", "tzchan_send/recv, published per message (streamed above max_msg)", X_TZ, NULL, tz_setup, tz_prod,
     tz_cons, tz_teardown},
    {"tz-batch", "tzchan_send_flags(TZCHAN_MORE), published every 32 messages", X_TZ, fits_whole_default, tz_setup,
     tz_batch_prod, tz_cons, tz_teardown},
    {"tz-zc", "tzchan_reserve/commit + peek/release (write in place, one load per line)", X_TZ, fits_whole_default,
     tz_setup, tz_zc_prod, tz_zc_cons, tz_teardown},
    {"tz-64k", "tzchan through a 64 KiB ring (streamed above 32 KiB)", X_TZ, fits_big, tz_setup_64k, tz_prod,
     tz_cons, tz_teardown},
    {"pipe", "pipe(2), buffer 256 KiB", X_PEER, NULL, pipe_setup, fd_prod, fd_cons, fd_teardown},
    {"unix-str", "AF_UNIX SOCK_STREAM socketpair", X_PEER, NULL, ustream_setup, fd_prod, fd_cons, fd_teardown},
    {"unix-seq", "AF_UNIX SOCK_SEQPACKET socketpair", X_PEER, NULL, useq_setup, useq_prod, useq_cons, fd_teardown},
    {"mq", "POSIX message queue (10 messages)", X_PEER, NULL, mq_setup, mq_prod, mq_cons, mq_teardown},
    {"ck_ring", "ck_ring SPSC of pointers to fixed-size slots", X_PEER, fits_slots, ck_setup, ck_prod, ck_cons,
     tz_teardown},
    {"memcpy", "memcpy of the same size on one core", X_LIMIT | X_SOLO, NULL, none_setup, memcpy_prod, NULL,
     none_teardown},
    {"xcopy", "cross-core copy: in on one core, out on the other, min(size,64 KiB) chunks", X_LIMIT, NULL,
     xcopy_setup, xcopy_prod, xcopy_cons, xcopy_teardown},
};
const size_t xp_tput_n = sizeof xp_tput / sizeof xp_tput[0];

/* ---- round trips: prod is the timed ping side, cons answers ------------------------------------------------ */
#define LAT_WORD(c) ((_Atomic uint32_t *)(void *)(c)->shm)

static int word_setup(struct ctx *c)
{
    c->shm_len = 4096;
    c->shm = shm_alloc(c->shm_len);
    return 0;
}

static void line_ping(struct ctx *c, uint64_t n)
{
    _Atomic uint32_t *w = LAT_WORD(c);
    for (uint64_t i = 0; i < n; i++) {
        uint64_t t0 = now_ns();
        uint32_t v = (uint32_t)(2 * (c->prod_seq++) + 1);
        atomic_store_explicit(w, v, memory_order_release);
        unsigned sp = 0;
        while (atomic_load_explicit(w, memory_order_acquire) != v + 1)
            spin_step(&sp);
        c->samples[i] = now_ns() - t0;
    }
}

static void line_pong(struct ctx *c, uint64_t n)
{
    _Atomic uint32_t *w = LAT_WORD(c);
    for (uint64_t i = 0; i < n; i++) {
        uint32_t v = (uint32_t)(2 * (c->cons_seq++) + 1);
        unsigned sp = 0;
        while (atomic_load_explicit(w, memory_order_acquire) != v)
            spin_step(&sp);
        atomic_store_explicit(w, v + 1, memory_order_release);
    }
}

static void futex_ping(struct ctx *c, uint64_t n)
{
    _Atomic uint32_t *w = LAT_WORD(c);
    for (uint64_t i = 0; i < n; i++) {
        uint64_t t0 = now_ns();
        uint32_t v = (uint32_t)(2 * (c->prod_seq++) + 1);
        atomic_store_explicit(w, v, memory_order_release);
        futex_wake_u32((const uint32_t *)w, c->shared);
        uint32_t cur;
        while ((cur = atomic_load_explicit(w, memory_order_acquire)) != v + 1)
            futex_wait_u32((const uint32_t *)w, cur, c->shared);
        c->samples[i] = now_ns() - t0;
    }
}

static void futex_pong(struct ctx *c, uint64_t n)
{
    _Atomic uint32_t *w = LAT_WORD(c);
    for (uint64_t i = 0; i < n; i++) {
        uint32_t v = (uint32_t)(2 * (c->cons_seq++) + 1);
        uint32_t cur;
        while ((cur = atomic_load_explicit(w, memory_order_acquire)) != v)
            futex_wait_u32((const uint32_t *)w, cur, c->shared);
        atomic_store_explicit(w, v + 1, memory_order_release);
        futex_wake_u32((const uint32_t *)w, c->shared);
    }
}

static int efd_setup(struct ctx *c)
{
    c->fd[0] = eventfd(0, 0);
    c->fd[1] = eventfd(0, 0);
    if (c->fd[0] < 0 || c->fd[1] < 0)
        die("eventfd");
    return 0;
}

static void efd_ping(struct ctx *c, uint64_t n)
{
    uint64_t one = 1, got;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t t0 = now_ns();
        write_all(c->fd[0], (unsigned char *)&one, 8);
        read_all(c->fd[1], (unsigned char *)&got, 8);
        c->samples[i] = now_ns() - t0;
    }
}

static void efd_pong(struct ctx *c, uint64_t n)
{
    uint64_t one = 1, got;
    for (uint64_t i = 0; i < n; i++) {
        read_all(c->fd[0], (unsigned char *)&got, 8);
        write_all(c->fd[1], (unsigned char *)&one, 8);
    }
}

static int pipe2_setup(struct ctx *c)
{
    if (pipe(c->fd) != 0 || pipe(c->fd + 2) != 0)
        die("pipe");
    return 0;
}

static void pipe_ping(struct ctx *c, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        uint64_t t0 = now_ns();
        write_all(c->fd[1], c->src, c->size);
        read_all(c->fd[2], c->src, c->size);
        c->samples[i] = now_ns() - t0;
    }
}

static void pipe_pong(struct ctx *c, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        read_all(c->fd[0], c->dst, c->size);
        write_all(c->fd[3], c->dst, c->size);
    }
}

static void unix_ping(struct ctx *c, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        uint64_t t0 = now_ns();
        write_all(c->fd[1], c->src, c->size);
        read_all(c->fd[1], c->src, c->size);
        c->samples[i] = now_ns() - t0;
    }
}

static void unix_pong(struct ctx *c, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        read_all(c->fd[0], c->dst, c->size);
        write_all(c->fd[0], c->dst, c->size);
    }
}

static void tz_ping(struct ctx *c, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        uint64_t t0 = now_ns();
        tz_send_one(c, &c->a, c->src, c->size, 0);
        tz_recv_one(c, &c->a, c->src, c->size);
        c->samples[i] = now_ns() - t0;
    }
}

static void tz_pong(struct ctx *c, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        tz_recv_one(c, &c->b, c->dst, c->size);
        tz_send_one(c, &c->b, c->dst, c->size, 0);
    }
}

static bool fits_any(size_t size)
{
    (void)size;
    return true;
}

static bool fits_none_sized(size_t size)
{
    return size == 0; /* size-less transports run once, as size 0 */
}

/* kind X_LIMIT marks the two limits; X_TZ the tzchan rows. The spin/sleep choice is made by the caller through
 * ctx.spin ("tz-spin" runs with spin < 0, "tz-block" with spin 0). */
const struct xport xp_lat[] = {
    {"cacheline", "one cache line bounced between the two cores (latency limit)", X_LAT | X_LIMIT,
     fits_none_sized, word_setup, line_ping, line_pong, xcopy_teardown},
    {"futex", "bare futex wake-up round trip (blocking limit)", X_LAT | X_LIMIT, fits_none_sized, word_setup,
     futex_ping, futex_pong, xcopy_teardown},
    {"eventfd", "eventfd wake-up round trip", X_LAT | X_PEER, fits_none_sized, efd_setup, efd_ping, efd_pong,
     fd_teardown},
    {"pipe", "two pipes", X_LAT | X_PEER, fits_any, pipe2_setup, pipe_ping, pipe_pong, fd_teardown},
    {"unix-str", "AF_UNIX stream socketpair", X_LAT | X_PEER, fits_any, ustream_setup, unix_ping, unix_pong,
     fd_teardown},
    {"tz-spin", "tzchan, both sides spinning", X_LAT | X_TZ, fits_any, tz_setup, tz_ping, tz_pong, tz_teardown},
    {"tz-block", "tzchan, both sides sleeping on a futex at once", X_LAT | X_TZ, fits_any, tz_setup, tz_ping,
     tz_pong, tz_teardown},
};
const size_t xp_lat_n = sizeof xp_lat / sizeof xp_lat[0];

/* ---- context and lanes ------------------------------------------------------------------------------------- */
void ctx_init(struct ctx *c, size_t size, bool shared, unsigned char *src, unsigned char *dst)
{
    memset(c, 0, sizeof *c);
    c->size = size;
    c->shared = shared;
    c->spin = -1;
    c->batch = 32;
    c->ring = RING_TARGET;
    c->lowrate_us = 50;
    c->src = src;
    c->dst = dst;
    for (int i = 0; i < 4; i++)
        c->fd[i] = -1;
}

struct lane_job {
    struct ctx c;          /* c.a / c.b: this lane's endpoints */
    int cpu_prod, cpu_cons;
    uint64_t n;
    pthread_barrier_t *start;
};

static void *lane_prod(void *arg)
{
    struct lane_job *j = arg;
    pin_to(j->cpu_prod);
    pthread_barrier_wait(j->start);
    tz_prod(&j->c, j->n);
    return NULL;
}

static void *lane_cons(void *arg)
{
    struct lane_job *j = arg;
    pin_to(j->cpu_cons);
    pthread_barrier_wait(j->start);
    tz_cons(&j->c, j->n);
    return NULL;
}

double run_lanes(uint32_t lanes, size_t size, uint64_t n, int spin, int ncpu)
{
    size_t len = tzchan_region_size(lanes, RING_TARGET);
    unsigned char *mem = shm_alloc(len);
    if (tzchan_region_init(mem, len, lanes, RING_TARGET) != 0)
        die("tzchan_region_init");
    struct lane_job *jobs = calloc(lanes, sizeof *jobs);
    pthread_t *th = calloc(2u * lanes, sizeof *th);
    if (jobs == NULL || th == NULL)
        die("calloc");
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, 2u * lanes + 1u);
    for (uint32_t i = 0; i < lanes; i++) {
        struct lane_job *j = &jobs[i];
        unsigned char *src = aligned_alloc(64, size + 64), *dst = aligned_alloc(64, size + 64);
        if (src == NULL || dst == NULL)
            die("aligned_alloc");
        memset(src, 0x5a, size + 64);
        ctx_init(&j->c, size, false, src, dst);
        j->c.spin = spin;
        if (tzchan_open(&j->c.a, mem, len, TZCHAN_SIDE_A, i) != 0 ||
            tzchan_open(&j->c.b, mem, len, TZCHAN_SIDE_B, i) != 0)
            die("tzchan_open");
        tz_endpoint_setup(&j->c, &j->c.a, &j->c.b);
        j->cpu_prod = (int)(i % (uint32_t)ncpu);
        j->cpu_cons = (int)((i + 1) % (uint32_t)ncpu);
        j->n = n;
        j->start = &start;
        pthread_create(&th[2 * i], NULL, lane_prod, j);
        pthread_create(&th[2 * i + 1], NULL, lane_cons, j);
    }
    pthread_barrier_wait(&start);
    uint64_t t0 = now_ns();
    for (uint32_t i = 0; i < 2u * lanes; i++)
        pthread_join(th[i], NULL);
    uint64_t dt = now_ns() - t0;
    for (uint32_t i = 0; i < lanes; i++) {
        free(jobs[i].c.src);
        free(jobs[i].c.dst);
    }
    pthread_barrier_destroy(&start);
    free(jobs);
    free(th);
    shm_free(mem, len);
    return (double)lanes * (double)n * 1e9 / (double)(dt ? dt : 1);
}
