/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tzchan-bench internals shared by its source files: the per-run context a transport works in, the transport
 * table entry, the small platform helpers (pinning, clocks, futexes, spinning), and the report writers' view of
 * the results. The benchmark is a tool, not part of the library: it may use Linux and libc freely.
 */
#ifndef TZCHAN_BENCH_H
#define TZCHAN_BENCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tzchan/tzchan.h"

/* ---- helpers (bench.c) ---------------------------------------------------------------------------------------- */
uint64_t now_ns(void);
void pin_to(int cpu);
void die(const char *what);
void futex_wait_u32(const uint32_t *word, uint32_t expect, bool shared);
void futex_wake_u32(const uint32_t *word, bool shared);
void *shm_alloc(size_t len);
void shm_free(void *p, size_t len);

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
    __asm__ __volatile__("yield" ::: "memory");
#endif
}

/* A busy-wait step: pause, and every 4096 steps give the core away (the machine may be shared). */
void spin_step(unsigned *n);

/* ---- one transport between a producer and a consumer ---------------------------------------------------------- */
struct bell { /* what a tzchan notify hook needs: the word the peer sleeps on */
    const uint32_t *word;
    bool shared;
};

struct ctx {
    size_t size;          /* message size */
    bool shared;          /* the two sides are processes: futexes must be shared ones */
    int spin;             /* tzchan waits: retries before sleeping on a futex; < 0 never sleeps */
    unsigned batch;       /* tz-batch: publish every `batch` messages */
    uint32_t ring;        /* tzchan ring bytes */
    unsigned lowrate_us;  /* tz-lowrate: pause between messages */
    unsigned char *src, *dst; /* private buffers of the producer and the consumer (>= size + 64 bytes) */
    int fd[4];
    unsigned char *shm;   /* MAP_SHARED memory created before the fork / thread start */
    size_t shm_len;
    struct tzchan a, b;   /* tzchan: a sends (producer side), b receives; both opened before the fork */
    struct bell bell_a, bell_b;
    /* ring peers and the copy limit: slot bookkeeping, each field written by one side only */
    void *ring_hdr, *ring_buf;
    unsigned char *slots;
    uint32_t nslots;
    size_t chunk;
    _Alignas(64) uint64_t prod_seq;
    _Alignas(64) uint64_t cons_seq;
    uint64_t sink;
    uint64_t *samples;    /* latency: one round trip each, written by the ping side */
};

enum xkind { X_TZ = 1, X_PEER = 2, X_LIMIT = 4, X_SOLO = 8, X_LAT = 16 };

struct xport {
    const char *name;  /* short column name */
    const char *what;  /* one line for the legend */
    unsigned kind;
    /* NULL: every size. Else whether this transport can carry messages of c->size (after setup has run) */
    bool (*fits)(size_t size);
    int (*setup)(struct ctx *c);   /* 0, or 1 = not applicable here (n/a) */
    void (*prod)(struct ctx *c, uint64_t n); /* throughput: send n messages; latency: n round trips, timed */
    void (*cons)(struct ctx *c, uint64_t n); /* throughput: receive n messages; latency: answer n pings */
    void (*teardown)(struct ctx *c);
};

/* transports.c */
extern const struct xport xp_tput[];
extern const size_t xp_tput_n;
extern const struct xport xp_lat[];
extern const size_t xp_lat_n;
extern const struct xport xp_tz_send, xp_tz_lowrate;
bool have_ck_ring(void);
/* tzchan endpoints sleep behind an asymmetric fence (membarrier) so that publishing needs no full fence:
 * g_sleep_fence says whether to use it; sleep_fence_init() registers this process and returns false if the kernel
 * lacks expedited membarrier (then the full fence stays). Call it again in a forked child. */
extern bool g_sleep_fence;
bool sleep_fence_init(void);
/* Lanes 1..N: `lanes` producer/consumer thread pairs on one region, pair i's producer on cpu i mod ncpu and its
 * consumer on cpu (i+1) mod ncpu, n messages of `size` each, waiting with `spin` retries before sleeping.
 * Returns the aggregate messages per second. */
double run_lanes(uint32_t lanes, size_t size, uint64_t n, int spin, int ncpu);
void ctx_init(struct ctx *c, size_t size, bool shared, unsigned char *src, unsigned char *dst);

#endif /* TZCHAN_BENCH_H */
