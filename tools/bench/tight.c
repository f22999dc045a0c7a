/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tzchan-tight: cross-core throughput in a tight harness (issue 16). Two threads pinned to two CPUs, both
 * spinning (no pause, no sleep, no system call in any hot loop), fixed-size copies, one process:
 *
 *   ring       the baseline: a single-producer/single-consumer ring of pointers to 64 B slots, written here the
 *              way a user comparing libraries writes Concurrency Kit's ck_ring (copy into a slot, enqueue its
 *              address; dequeue, copy out): power-of-two mask, acquire/release on the two indices, nothing else
 *   tz-sleep   tzchan_send/tzchan_recv of 64 B, both endpoints behind the asymmetric sleep fence (membarrier
 *              PRIVATE_EXPEDITED), so neither publishes with a full fence
 *   tz-full    the same with the full fence per publication (the TrustZone path: no asymmetric fence there)
 *   tz-batch   64 B with TZCHAN_MORE, published every 32 messages (sleep fence where available)
 *   tz-many    64 B with tzchan_send_many / tzchan_recv_many, up to 32 messages per call (sleep fence)
 *   tz-morem   tz-batch's sender (TZCHAN_MORE, published every 32 messages), tz-many's receiver (tzchan_recv_many)
 *   xcopy      the cross-core copy limit at 64 KiB and 16 MiB: chunks of min(size, 64 KiB) copied into a ring of
 *              shared buffers on one core and out on the other, one flag per buffer on its own cache line
 *   tz-64k     tzchan_send/recv of 64 KiB messages; tz-16m: 16 MiB messages through the stream calls; both
 *              through a 256 KiB ring (as tzchan-bench's tz-send)
 *
 * Every case runs --reps times, interleaved (rep 1 of every case, then rep 2, ...), each rep sized by a
 * calibration run to about --time seconds; the table shows the median and the best rep of each case, and the
 * ratios issue 16 sets targets for, of the medians and of the best reps (on a loaded machine many short reps and
 * the best of them come closest to the channel's own cost: see the comment above the ratio table).
 * The consumer always checks the sequence number carried in each message's first 8 bytes and counts messages and
 * bytes; with --check (implied by --quick) the producer fills every byte from a pattern of the sequence number
 * and the consumer checks every byte. Exit 0 when every count matched and every check passed, 1 otherwise. Speed
 * is printed, never judged: the verdict column is information for docs/BENCHMARKS.md. Mutant: a baseline slot
 * pool smaller than the ring (a slot refilled before the consumer copied it out) makes --quick fail.
 *
 * Usage: tzchan-tight [--quick] [--check] [--time SECONDS] [--reps N] [--cpus P,C]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "tzchan/tzchan.h"

#define SMALL 64u
#define BIG_RING (256u * 1024u)
#define SMALL_RING (64u * 1024u)
#define RING_N 1024u /* baseline ring entries; 2 * RING_N slots of 64 B */
#define BATCH 32u
#define XC_CHUNK (64u * 1024u)
#define XC_BUFS 4u /* 4 x 64 KiB = 256 KiB of buffering, as tzchan's ring */

static bool g_check;
static int g_cpu[2] = {0, 1};
static int g_fail;

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void *xalloc(size_t n)
{
    void *p = NULL;
    if (posix_memalign(&p, 4096, n) != 0) {
        fprintf(stderr, "tzchan-tight: out of memory\n");
        exit(1);
    }
    memset(p, 0, n);
    return p;
}

/* ---- message contents -------------------------------------------------------------------------------------- */
static inline unsigned char pat(uint64_t seq, size_t k)
{
    return (unsigned char)(seq * 131u + k * 7u + (k >> 9));
}

/* The producer's message `seq` in buf: the sequence number in the first 8 bytes, and with --check every other
 * byte from the pattern (else they keep what they had). */
static void fill(unsigned char *buf, size_t size, uint64_t seq)
{
    if (g_check)
        for (size_t k = 8; k < size; k++)
            buf[k] = pat(seq, k);
    memcpy(buf, &seq, 8);
}

/* The consumer's check of message `seq` (its bytes [from, to) when it arrives in pieces). */
static bool verify(const unsigned char *buf, size_t from, size_t to, uint64_t seq)
{
    for (size_t k = from; k < to && k < 8; k++)
        if (buf[k - from] != (unsigned char)(seq >> (8 * k)))
            return false;
    if (g_check)
        for (size_t k = from > 8 ? from : 8; k < to; k++)
            if (buf[k - from] != pat(seq, k))
                return false;
    return true;
}

/* ---- a case: setup, a producer and a consumer on two threads, teardown -------------------------------------- */
struct run {
    size_t size;  /* bytes per message */
    uint64_t n;   /* messages */
    void *shared; /* the case's shared memory */
    struct tzchan a, b;
    bool sleep_fence, batch;
    /* results */
    uint64_t sent, got, bytes_got;
    bool bad;
};

struct kase {
    const char *name;
    size_t size;
    void (*setup)(struct run *r);
    void (*prod)(struct run *r);
    void (*cons)(struct run *r);
    void (*teardown)(struct run *r);
    bool sleep_fence, batch;
    double mps[256]; /* messages/s per rep */
    int nrep;
    bool skipped;
};

/* ---- the baseline ring ------------------------------------------------------------------------------------- */
struct tring {
    _Alignas(64) _Atomic uint32_t head; /* consumer's index: written by the consumer only */
    _Alignas(64) _Atomic uint32_t tail; /* producer's index: written by the producer only */
    _Alignas(64) unsigned char *_Atomic ent[RING_N];
    _Alignas(64) unsigned char slot[2 * RING_N][SMALL];
};

static void ring_setup(struct run *r)
{
    r->shared = xalloc(sizeof(struct tring));
}

static void ring_prod(struct run *r)
{
    struct tring *q = r->shared;
    unsigned char src[SMALL];
    memset(src, 0, sizeof src);
    for (uint64_t i = 0; i < r->n; i++) {
        fill(src, SMALL, i);
        /* slot i mod 2N was last used by message i - 2N, which the consumer copied out before it dequeued
         * message i - 2N + 1, and we only get here once the ring had room for message i - 1 (so the consumer
         * dequeued message i - 1 - N or later) */
        unsigned char *s = q->slot[i & (2 * RING_N - 1)];
        memcpy(s, src, SMALL);
        /* relaxed: our own index */
        uint32_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
        /* acquire: pairs with the consumer's release store of head (its copy-out of the slot we reuse is done) */
        while (t - atomic_load_explicit(&q->head, memory_order_acquire) == RING_N)
            ;
        /* relaxed: the release store of tail below publishes the entry */
        atomic_store_explicit(&q->ent[t & (RING_N - 1)], s, memory_order_relaxed);
        /* release: publishes the slot's bytes and the entry; pairs with the consumer's acquire load of tail */
        atomic_store_explicit(&q->tail, t + 1, memory_order_release);
    }
    r->sent = r->n;
}

static void ring_cons(struct run *r)
{
    struct tring *q = r->shared;
    unsigned char dst[SMALL];
    for (uint64_t i = 0; i < r->n; i++) {
        /* relaxed: our own index */
        uint32_t h = atomic_load_explicit(&q->head, memory_order_relaxed);
        /* acquire: pairs with the producer's release store of tail (entry and slot bytes are visible) */
        while (atomic_load_explicit(&q->tail, memory_order_acquire) == h)
            ;
        /* relaxed: ordered by the acquire load of tail above */
        unsigned char *s = atomic_load_explicit(&q->ent[h & (RING_N - 1)], memory_order_relaxed);
        memcpy(dst, s, SMALL);
        /* release: our copy-out is done before the producer may reuse the slot; pairs with its acquire load */
        atomic_store_explicit(&q->head, h + 1, memory_order_release);
        if (!verify(dst, 0, SMALL, i))
            r->bad = true;
        r->got++;
        r->bytes_got += SMALL;
    }
}

static void plain_teardown(struct run *r)
{
    free(r->shared);
    r->shared = NULL;
}

/* ---- tzchan ------------------------------------------------------------------------------------------------ */
#define MB_CMD_PRIVATE_EXPEDITED 8
#define MB_CMD_REGISTER_PRIVATE_EXPEDITED 16
static bool g_have_private_mb;

static void private_fence(void *ctx)
{
    (void)ctx;
    /* every CPU running a thread of this process (the peer endpoint's thread) executes a full barrier */
#ifdef SYS_membarrier
    if (syscall(SYS_membarrier, MB_CMD_PRIVATE_EXPEDITED, 0u, 0) != 0)
        abort(); /* registered at start; cannot fail */
#endif
}

static void tz_setup(struct run *r)
{
    uint32_t ring = r->size <= SMALL ? SMALL_RING : BIG_RING;
    size_t len = tzchan_region_size(1, ring);
    r->shared = xalloc(len);
    if (tzchan_region_init(r->shared, len, 1, ring) != 0 || tzchan_open(&r->a, r->shared, len, TZCHAN_SIDE_A, 0) != 0 ||
        tzchan_open(&r->b, r->shared, len, TZCHAN_SIDE_B, 0) != 0) {
        fprintf(stderr, "tzchan-tight: region setup failed\n");
        exit(1);
    }
    if (r->sleep_fence && (tzchan_set_sleep_fence(&r->a, private_fence, NULL) != 0 ||
                           tzchan_set_sleep_fence(&r->b, private_fence, NULL) != 0)) {
        fprintf(stderr, "tzchan-tight: tzchan_set_sleep_fence failed\n");
        exit(1);
    }
}

static void tz_prod(struct run *r)
{
    unsigned char *src = xalloc(r->size);
    for (uint64_t i = 0; i < r->n; i++) {
        fill(src, r->size, i);
        unsigned flags = (r->batch && (i + 1) % BATCH != 0 && i + 1 != r->n) ? TZCHAN_MORE : 0u;
        int64_t e;
        while ((e = tzchan_send_flags(&r->a, src, r->size, flags)) == TZCHAN_EAGAIN)
            ;
        if (e != (int64_t)r->size) {
            r->bad = true;
            break;
        }
        r->sent++;
    }
    free(src);
}

static void tz_cons(struct run *r)
{
    unsigned char *dst = xalloc(r->size);
    for (uint64_t i = 0; i < r->n; i++) {
        int64_t e;
        while ((e = tzchan_recv(&r->b, dst, r->size)) == TZCHAN_EAGAIN)
            ;
        if (e != (int64_t)r->size || !verify(dst, 0, r->size, i)) {
            r->bad = true;
            break;
        }
        r->got++;
        r->bytes_got += (uint64_t)e;
    }
    free(dst);
}

/* Up to BATCH messages per call each way; a call that takes fewer leaves the rest for the next one. */
static void tzm_prod(struct run *r)
{
    unsigned char *src = xalloc(BATCH * SMALL);
    struct tzchan_out o[BATCH];
    for (uint64_t i = 0; i < r->n;) {
        size_t n = r->n - i < BATCH ? (size_t)(r->n - i) : BATCH;
        for (size_t k = 0; k < n; k++) {
            fill(src + k * SMALL, SMALL, i + k);
            o[k].buf = src + k * SMALL;
            o[k].len = SMALL;
        }
        size_t done = 0;
        while (done < n) {
            int64_t e = tzchan_send_many(&r->a, o + done, n - done);
            if (e == TZCHAN_EAGAIN)
                continue;
            if (e <= 0) {
                r->bad = true;
                free(src);
                return;
            }
            done += (size_t)e;
        }
        i += n;
        r->sent += n;
    }
    free(src);
}

static void tzm_cons(struct run *r)
{
    unsigned char *dst = xalloc(BATCH * SMALL);
    struct tzchan_in v[BATCH];
    for (size_t k = 0; k < BATCH; k++) {
        v[k].buf = dst + k * SMALL;
        v[k].cap = SMALL;
    }
    for (uint64_t i = 0; i < r->n;) {
        size_t n = r->n - i < BATCH ? (size_t)(r->n - i) : BATCH;
        int64_t e;
        while ((e = tzchan_recv_many(&r->b, v, n)) == TZCHAN_EAGAIN)
            ;
        if (e <= 0) {
            r->bad = true;
            break;
        }
        for (int64_t k = 0; k < e; k++) {
            if (v[k].len != SMALL || !verify(dst + (size_t)k * SMALL, 0, SMALL, i + (uint64_t)k)) {
                r->bad = true;
                free(dst);
                return;
            }
        }
        i += (uint64_t)e;
        r->got += (uint64_t)e;
        r->bytes_got += (uint64_t)e * SMALL;
    }
    free(dst);
}

/* Messages larger than the ring: the stream calls, the sender in pieces of at most 64 KiB (as a user copying
 * from a file would), the receiver into the message's place in its buffer. */
static void tzs_prod(struct run *r)
{
    unsigned char *src = xalloc(r->size);
    for (uint64_t i = 0; i < r->n && !r->bad; i++) {
        fill(src, r->size, i);
        if (tzchan_send_begin(&r->a, r->size) != 0) {
            r->bad = true;
            break;
        }
        for (size_t off = 0; off < r->size;) {
            size_t want = r->size - off < XC_CHUNK ? r->size - off : XC_CHUNK;
            int64_t e = tzchan_send_some(&r->a, src + off, want);
            if (e < 0) {
                r->bad = true;
                break;
            }
            off += (size_t)e;
        }
        int e;
        while ((e = tzchan_send_end(&r->a)) == TZCHAN_EAGAIN)
            ;
        if (e != 0)
            r->bad = true;
        else
            r->sent++;
    }
    free(src);
}

static void tzs_cons(struct run *r)
{
    unsigned char *dst = xalloc(r->size + 1); /* + 1: room for the cap of 1 that waits for the end of message */
    for (uint64_t i = 0; i < r->n; i++) {
        size_t off = 0;
        bool eom = false;
        while (!eom) {
            size_t cap = r->size - off;
            int64_t e = tzchan_recv_some(&r->b, dst + off, cap != 0 ? cap : 1, &eom);
            if (e == TZCHAN_EAGAIN)
                continue;
            if (e < 0 || (size_t)e > cap) {
                r->bad = true;
                free(dst);
                return;
            }
            off += (size_t)e;
        }
        if (off != r->size || !verify(dst, 0, r->size, i)) {
            r->bad = true;
            break;
        }
        r->got++;
        r->bytes_got += off;
    }
    free(dst);
}

static void tz_teardown(struct run *r)
{
    tzchan_close(&r->a);
    tzchan_close(&r->b);
    plain_teardown(r);
}

/* ---- the cross-core copy limit ----------------------------------------------------------------------------- */
struct xc {
    _Alignas(64) struct {
        _Atomic uint32_t full; /* 1: the producer filled the buffer; 0: the consumer emptied it */
        unsigned char pad[60];
    } flag[XC_BUFS];
    _Alignas(4096) unsigned char buf[XC_BUFS][XC_CHUNK];
};

static void xc_setup(struct run *r)
{
    r->shared = xalloc(sizeof(struct xc));
}

static void xc_prod(struct run *r)
{
    struct xc *x = r->shared;
    unsigned char *src = xalloc(r->size);
    uint64_t k = 0;
    for (uint64_t i = 0; i < r->n; i++) {
        fill(src, r->size, i);
        for (size_t off = 0; off < r->size; off += XC_CHUNK, k++) {
            size_t b = (size_t)(k % XC_BUFS), len = r->size - off < XC_CHUNK ? r->size - off : XC_CHUNK;
            /* acquire: pairs with the consumer's release store of 0 (its copy-out is done) */
            while (atomic_load_explicit(&x->flag[b].full, memory_order_acquire) != 0)
                ;
            memcpy(x->buf[b], src + off, len);
            /* release: publishes the chunk; pairs with the consumer's acquire load */
            atomic_store_explicit(&x->flag[b].full, 1, memory_order_release);
        }
        r->sent++;
    }
    free(src);
}

static void xc_cons(struct run *r)
{
    struct xc *x = r->shared;
    unsigned char *dst = xalloc(r->size);
    uint64_t k = 0;
    for (uint64_t i = 0; i < r->n; i++) {
        for (size_t off = 0; off < r->size; off += XC_CHUNK, k++) {
            size_t b = (size_t)(k % XC_BUFS), len = r->size - off < XC_CHUNK ? r->size - off : XC_CHUNK;
            /* acquire: pairs with the producer's release store of 1 (the chunk's bytes are visible) */
            while (atomic_load_explicit(&x->flag[b].full, memory_order_acquire) == 0)
                ;
            memcpy(dst + off, x->buf[b], len);
            /* release: our copy-out is done before the producer refills; pairs with its acquire load */
            atomic_store_explicit(&x->flag[b].full, 0, memory_order_release);
        }
        if (!verify(dst, 0, r->size, i))
            r->bad = true;
        r->got++;
        r->bytes_got += r->size;
    }
    free(dst);
}

/* ---- running a case on two pinned threads ------------------------------------------------------------------ */
struct side {
    struct run *r;
    const struct kase *k;
    int cpu;
    bool producer;
    _Atomic int *go;
    uint64_t t_end;
};

static void pin(int cpu)
{
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    (void)pthread_setaffinity_np(pthread_self(), sizeof s, &s); /* best effort: fewer CPUs still run correctly */
}

static void *side_main(void *p)
{
    struct side *s = p;
    pin(s->cpu);
    /* acq_rel: a start line both threads cross together; pairs with the other thread's increment */
    atomic_fetch_add_explicit(s->go, 1, memory_order_acq_rel);
    while (atomic_load_explicit(s->go, memory_order_acquire) < 2)
        ;
    if (s->producer)
        s->k->prod(s->r);
    else
        s->k->cons(s->r);
    s->t_end = now_ns();
    return NULL;
}

/* Runs n messages of case k; returns the seconds from the start line to the consumer's last message. */
static double run_once(const struct kase *k, uint64_t n, bool *ok)
{
    struct run r;
    memset(&r, 0, sizeof r);
    r.size = k->size;
    r.n = n;
    r.sleep_fence = k->sleep_fence;
    r.batch = k->batch;
    k->setup(&r);
    _Atomic int go = 0;
    struct side sp = {&r, k, g_cpu[0], true, &go, 0}, sc = {&r, k, g_cpu[1], false, &go, 0};
    pthread_t tp, tc;
    uint64_t t0 = now_ns();
    if (pthread_create(&tp, NULL, side_main, &sp) != 0 || pthread_create(&tc, NULL, side_main, &sc) != 0) {
        fprintf(stderr, "tzchan-tight: pthread_create failed\n");
        exit(1);
    }
    pthread_join(tp, NULL);
    pthread_join(tc, NULL);
    k->teardown(&r);
    *ok = !r.bad && r.sent == n && r.got == n && r.bytes_got == n * (uint64_t)k->size;
    if (!*ok)
        fprintf(stderr, "tzchan-tight: %s %zu B: sent %llu, received %llu messages (%llu bytes) of %llu%s\n", k->name,
                k->size, (unsigned long long)r.sent, (unsigned long long)r.got, (unsigned long long)r.bytes_got,
                (unsigned long long)n, r.bad ? ", bad contents or call failure" : "");
    return (double)(sc.t_end - t0) / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(const struct kase *k)
{
    if (k->skipped || k->nrep == 0)
        return 0;
    double v[256];
    memcpy(v, k->mps, sizeof(double) * (size_t)k->nrep);
    qsort(v, (size_t)k->nrep, sizeof v[0], cmp_double);
    return k->nrep % 2 ? v[k->nrep / 2] : (v[k->nrep / 2 - 1] + v[k->nrep / 2]) / 2;
}

static struct kase cases[] = {
    {"ring", SMALL, ring_setup, ring_prod, ring_cons, plain_teardown, false, false, {0}, 0, false},
    {"tz-sleep", SMALL, tz_setup, tz_prod, tz_cons, tz_teardown, true, false, {0}, 0, false},
    {"tz-full", SMALL, tz_setup, tz_prod, tz_cons, tz_teardown, false, false, {0}, 0, false},
    {"tz-batch", SMALL, tz_setup, tz_prod, tz_cons, tz_teardown, true, true, {0}, 0, false},
    {"tz-many", SMALL, tz_setup, tzm_prod, tzm_cons, tz_teardown, true, false, {0}, 0, false},
    {"tz-morem", SMALL, tz_setup, tz_prod, tzm_cons, tz_teardown, true, true, {0}, 0, false},
    {"xcopy", 64u * 1024u, xc_setup, xc_prod, xc_cons, plain_teardown, false, false, {0}, 0, false},
    {"tz-64k", 64u * 1024u, tz_setup, tz_prod, tz_cons, tz_teardown, true, false, {0}, 0, false},
    {"xcopy", 16u << 20, xc_setup, xc_prod, xc_cons, plain_teardown, false, false, {0}, 0, false},
    {"tz-16m", 16u << 20, tz_setup, tzs_prod, tzs_cons, tz_teardown, true, false, {0}, 0, false},
};
#define NCASES (sizeof cases / sizeof cases[0])

static double best(const struct kase *k)
{
    double b = 0;
    for (int i = 0; i < k->nrep; i++)
        b = k->mps[i] > b ? k->mps[i] : b;
    return k->skipped ? 0 : b;
}

static double mps_of(const char *name, size_t size, bool use_best)
{
    for (size_t i = 0; i < NCASES; i++)
        if (strcmp(cases[i].name, name) == 0 && cases[i].size == size)
            return use_best ? best(&cases[i]) : median(&cases[i]);
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: tzchan-tight [--quick] [--check] [--time SECONDS] [--reps N] [--cpus P,C]\n"
                    "  --quick  a correctness run of a fraction of a second (implies --check, one rep)\n"
                    "  --check  fill and check every byte of every message (slower; ratios then mean less)\n");
    exit(2);
}

int main(int argc, char **argv)
{
    bool quick = false;
    double secs = 0.5;
    int reps = 5;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            quick = g_check = true;
        } else if (strcmp(argv[i], "--check") == 0) {
            g_check = true;
        } else if (strcmp(argv[i], "--time") == 0 && i + 1 < argc) {
            secs = atof(argv[++i]);
            if (!(secs > 0 && secs <= 60))
                usage();
        } else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
            reps = atoi(argv[++i]);
            if (reps < 1 || reps > 256)
                usage();
        } else if (strcmp(argv[i], "--cpus") == 0 && i + 1 < argc) {
            if (sscanf(argv[++i], "%d,%d", &g_cpu[0], &g_cpu[1]) != 2 || g_cpu[0] < 0 || g_cpu[1] < 0)
                usage();
        } else {
            usage();
        }
    }
    if (quick)
        reps = 1;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
#ifdef SYS_membarrier
    g_have_private_mb = syscall(SYS_membarrier, MB_CMD_REGISTER_PRIVATE_EXPEDITED, 0u, 0) == 0;
#endif
    printf("tzchan-tight: producer on CPU %d, consumer on CPU %d, %ld CPUs online%s; sleep fence %s; %s\n", g_cpu[0],
           g_cpu[1], ncpu, ncpu < 2 ? " (NOT cross-core: figures mean nothing)" : "",
           g_have_private_mb ? "membarrier(PRIVATE_EXPEDITED)" : "unavailable (the cases behind it skipped)",
           g_check ? "every byte checked" : "sequence numbers checked");
    for (size_t c = 0; c < NCASES; c++)
        if (cases[c].sleep_fence && !g_have_private_mb)
            cases[c].skipped = true;

    /* sizes of each rep: a calibration run (also the warm-up) to about secs seconds; --quick: fixed and small */
    uint64_t n[NCASES];
    for (size_t c = 0; c < NCASES; c++) {
        if (cases[c].skipped)
            continue;
        bool ok;
        if (quick) {
            n[c] = cases[c].size <= SMALL ? 20000u : cases[c].size <= 65536u ? 200u : 3u;
            (void)run_once(&cases[c], n[c], &ok);
            g_fail |= !ok;
            continue;
        }
        uint64_t m = cases[c].size <= SMALL ? 100000u : cases[c].size <= 65536u ? 1000u : 4u;
        double t;
        for (;;) {
            t = run_once(&cases[c], m, &ok);
            g_fail |= !ok;
            if (t >= secs / 4 || m > (1ull << 40))
                break;
            m *= 4;
        }
        double want = (double)m * secs / (t > 0 ? t : 1e-9);
        n[c] = want < 1 ? 1 : (uint64_t)want;
    }
    if (quick) {
        printf("%s\n", g_fail ? "FAIL" : "all messages arrived whole, in order, every byte checked");
        return g_fail ? 1 : 0;
    }
    for (int rep = 0; rep < reps; rep++)
        for (size_t c = 0; c < NCASES; c++) {
            if (cases[c].skipped)
                continue;
            bool ok;
            double t = run_once(&cases[c], n[c], &ok);
            g_fail |= !ok;
            cases[c].mps[cases[c].nrep++] = (double)n[c] / t;
        }

    printf("\n%-9s %10s %14s %12s %10s %14s\n", "case", "size", "msgs/s", "MB/s", "spread", "best msgs/s");
    for (size_t c = 0; c < NCASES; c++) {
        const struct kase *k = &cases[c];
        if (k->skipped) {
            printf("%-9s %10zu %14s\n", k->name, k->size, "n/a");
            continue;
        }
        double med = median(k), lo = k->mps[0], hi = k->mps[0];
        for (int i = 1; i < k->nrep; i++) {
            lo = k->mps[i] < lo ? k->mps[i] : lo;
            hi = k->mps[i] > hi ? k->mps[i] : hi;
        }
        printf("%-9s %10zu %14.0f %12.1f %9.0f%% %14.0f\n", k->name, k->size, med, med * (double)k->size / 1e6,
               med > 0 ? 100 * (hi - lo) / med : 0, hi);
    }

    struct {
        const char *what, *num, *den;
        size_t size;
        double goal;
    } t[] = {
        {"64 B per message, sleep fence / ring", "tz-sleep", "ring", SMALL, 1.0},
        {"64 B per message, full fence / ring", "tz-full", "ring", SMALL, 0.5},
        {"64 B batched by 32 / ring", "tz-batch", "ring", SMALL, 3.0},
        {"64 B send_many/recv_many 32 / ring", "tz-many", "ring", SMALL, 3.0},
        {"64 B MORE by 32, recv_many / ring", "tz-morem", "ring", SMALL, 3.0},
        {"64 KiB / cross-core copy", "tz-64k", "xcopy", 64u * 1024u, 0.6},
        {"16 MiB (streamed) / cross-core copy", "tz-16m", "xcopy", 16u << 20, 0.5},
    };
    /* Two estimators. The median of the reps is what a loaded machine gives. The best rep approximates the
     * machine without the load: both sides spin, so a rep in which either thread lost its CPU to another process
     * measures the scheduler, not the channel (the spinner burns its slice waiting for a peer that is not
     * running); with many short reps some run with both threads on their CPUs throughout. */
    printf("\nratios (issue 16 targets) of the medians and of the best reps, %d interleaved reps\n", reps);
    printf("%-38s %7s %8s %8s  %s\n", "target", "goal", "median", "best", "verdict (best)");
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        double a = mps_of(t[i].num, t[i].size, false), b = mps_of(t[i].den, t[i].size, false);
        double ab = mps_of(t[i].num, t[i].size, true), bb = mps_of(t[i].den, t[i].size, true);
        if (a <= 0 || b <= 0 || ab <= 0 || bb <= 0) {
            printf("%-38s >= %-4.1f %8s %8s  n/a\n", t[i].what, t[i].goal, "-", "-");
            continue;
        }
        double q = ab / bb;
        printf("%-38s >= %-4.1f %8.3f %8.3f  %s\n", t[i].what, t[i].goal, a / b, q,
               q >= t[i].goal ? "met" : "not met");
    }
    if (g_fail)
        printf("\nFAIL: a message was lost, reordered or damaged (see above)\n");
    return g_fail ? 1 : 0;
}
