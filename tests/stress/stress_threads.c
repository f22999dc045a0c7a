/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Two threads, two lanes (lane 0 carries A->B, lane 1 carries B->A), small rings. Each thread sends a seeded
 * sequence of messages of random size (0 B to several times the ring) with a random method (whole send, batched
 * send, reserve/commit, declared stream, unknown-length stream) and receives the other direction with a random
 * method (recv, peek/release, recv_some into random small buffers). Every byte, the order, the count and the end
 * of every message are checked. Usage: stress_threads [MiB per direction, default 512] [seed] [ring bytes]
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/check.h"
#include "tzchan/tzchan.h"

static uint64_t g_seed, g_target;
static uint32_t g_ring;
static void *g_mem;
static size_t g_size;

struct msgplan {
    uint64_t len;
    unsigned send_mode; /* 0 send, 1 send MORE, 2 reserve, 3 stream declared, 4 stream unknown */
    unsigned recv_mode; /* 0 recv, 1 peek, 2 recv_some */
    uint64_t seed;      /* content */
};

static struct msgplan plan(unsigned dir, uint64_t i, uint32_t max_msg)
{
    uint64_t s = g_seed ^ (dir * 0x5851f42d4c957f2dull) ^ (i * 0x2545f4914f6cdd1dull);
    struct msgplan m;
    uint64_t r = t_rand(&s);
    switch (r % 10) {
    case 0: m.len = 0; break;
    case 1: case 2: case 3: case 4: m.len = t_rand(&s) % 257; break;
    case 5: case 6: case 7: m.len = t_rand(&s) % (max_msg + 1ull); break;
    default: m.len = t_rand(&s) % (4ull * g_ring + 1); break;
    }
    m.send_mode = (unsigned)(t_rand(&s) % 5);
    if (m.len > max_msg && m.send_mode < 3)
        m.send_mode = 3 + (unsigned)(t_rand(&s) % 2);
    m.recv_mode = (unsigned)(t_rand(&s) % 3);
    m.seed = t_rand(&s);
    return m;
}

struct side {
    unsigned dir_tx, dir_rx;
    struct tzchan tx, rx;
    /* sender */
    uint64_t ti, toff, tbytes;
    struct msgplan tm;
    int tstage; /* 0 new, 1 streaming, 2 ending */
    bool tdone;
    /* receiver */
    uint64_t ri, roff, rbytes;
    struct msgplan rm;
    bool rin, rdone;
    unsigned char buf[1 << 16], want[1 << 16];
    uint64_t rng;
};

/* One step of sending; returns true if it made progress. */
static bool send_step(struct side *s)
{
    uint32_t max_msg = (uint32_t)tzchan_max_msg(&s->tx);
    if (s->tdone)
        return false;
    if (s->tstage == 0) {
        if (s->tbytes >= g_target) {
            s->tdone = true;
            CHECK_EQ(tzchan_flush(&s->tx), 0);
            return true;
        }
        s->tm = plan(s->dir_tx, s->ti, max_msg);
        s->toff = 0;
        if (s->tm.send_mode <= 2) {
            size_t n = (size_t)s->tm.len;
            int64_t r;
            if (s->tm.send_mode == 2) {
                size_t extra = n + (n & 3) <= max_msg ? (n & 3) : 0; /* sometimes reserve more than used */
                unsigned char *w = tzchan_reserve(&s->tx, n + extra);
                if (w == NULL) {
                    CHECK_EQ(tzchan_error(&s->tx), TZCHAN_EAGAIN);
                    return false;
                }
                t_fill(w, n, s->tm.seed, 0);
                CHECK_EQ(tzchan_commit(&s->tx, n), 0);
                r = (int64_t)n;
            } else {
                t_fill(s->buf, n, s->tm.seed, 0);
                r = tzchan_send_flags(&s->tx, s->buf, n, s->tm.send_mode == 1 ? TZCHAN_MORE : 0);
                if (r == TZCHAN_EAGAIN)
                    return false;
            }
            CHECK_EQ(r, (int64_t)n);
            s->tbytes += n;
            s->ti++;
            return true;
        }
        CHECK_EQ(tzchan_send_begin(&s->tx, s->tm.send_mode == 3 ? s->tm.len : TZCHAN_LEN_UNKNOWN), 0);
        s->tstage = 1;
    }
    if (s->tstage == 1) {
        uint64_t left = s->tm.len - s->toff;
        if (left == 0) {
            s->tstage = 2;
        } else {
            size_t n = (size_t)(t_rand(&s->rng) % (2ull * g_ring)) + 1;
            if (n > left)
                n = (size_t)left;
            t_fill(s->buf, n, s->tm.seed, s->toff);
            int64_t r = tzchan_send_some(&s->tx, s->buf, n);
            CHECK(r >= 0 && (size_t)r <= n);
            s->toff += (uint64_t)r;
            return r > 0;
        }
    }
    int e = tzchan_send_end(&s->tx);
    if (e == TZCHAN_EAGAIN)
        return false;
    CHECK_EQ(e, 0);
    s->tbytes += s->tm.len;
    s->ti++;
    s->tstage = 0;
    return true;
}

static bool recv_step(struct side *s, uint64_t *cum)
{
    uint32_t max_msg = (uint32_t)tzchan_max_msg(&s->rx);
    if (s->rdone)
        return false;
    if (!s->rin) {
        if (*cum >= g_target) {
            s->rdone = true;
            return true;
        }
        s->rm = plan(s->dir_rx, s->ri, max_msg);
        s->roff = 0;
        s->rin = true;
    }
    uint64_t total;
    unsigned mode = s->rm.recv_mode;
    bool whole_ok = s->rm.len <= max_msg && s->rm.send_mode != 4;
    if (!whole_ok)
        mode = 2;
    if (mode != 2 && s->roff == 0) {
        int e = tzchan_recv_total(&s->rx, &total);
        if (e == TZCHAN_EAGAIN)
            return false;
        CHECK_EQ(e, 0);
        CHECK_EQ(total, s->rm.len);
        size_t n = (size_t)s->rm.len;
        t_fill(s->want, n, s->rm.seed, 0);
        if (mode == 0) {
            int64_t r = tzchan_recv(&s->rx, s->buf, sizeof s->buf);
            if (r == TZCHAN_EAGAIN)
                return false;
            CHECK_EQ(r, (int64_t)n);
            CHECK(memcmp(s->buf, s->want, n) == 0);
        } else {
            size_t len;
            const void *p = tzchan_peek(&s->rx, &len);
            if (p == NULL) {
                CHECK_EQ(tzchan_error(&s->rx), TZCHAN_EAGAIN);
                return false;
            }
            CHECK_EQ(len, n);
            CHECK(memcmp(p, s->want, n) == 0);
            CHECK_EQ(tzchan_release(&s->rx), 0);
        }
        goto done;
    }
    {
        size_t cap = (size_t)(t_rand(&s->rng) % (3ull * g_ring)) + 1;
        bool eom = false;
        int64_t r = tzchan_recv_some(&s->rx, s->buf, cap, &eom);
        if (r == TZCHAN_EAGAIN)
            return false;
        CHECK(r >= 0 && (size_t)r <= cap);
        CHECK((uint64_t)r <= s->rm.len - s->roff);
        t_fill(s->want, (size_t)r, s->rm.seed, s->roff);
        CHECK(memcmp(s->buf, s->want, (size_t)r) == 0);
        s->roff += (uint64_t)r;
        CHECK(eom == (s->roff == s->rm.len) || !eom);
        if (!eom) {
            CHECK(r > 0);
            return true;
        }
        CHECK_EQ(s->roff, s->rm.len);
    }
done:
    *cum += s->rm.len;
    s->rbytes += s->rm.len;
    s->ri++;
    s->rin = false;
    return true;
}

static void *run(void *arg)
{
    struct side *s = arg;
    uint64_t cum = 0;
    unsigned idle = 0;
    time_t t0 = time(NULL);
    while (!s->tdone || !s->rdone) {
        bool p = send_step(s);
        p |= recv_step(s, &cum);
        if (p) {
            idle = 0;
        } else if (++idle > 64) {
            sched_yield();
            if ((idle & 0xfffff) == 0)
                CHECK(time(NULL) - t0 < 1200); /* no livelock */
        }
    }
    return NULL;
}

static void pin(pthread_t t, int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu % (int)sysconf(_SC_NPROCESSORS_ONLN), &set);
    pthread_setaffinity_np(t, sizeof set, &set);
}

int main(int argc, char **argv)
{
    uint64_t mib = argc > 1 ? strtoull(argv[1], NULL, 0) : 512;
    g_seed = argc > 2 ? strtoull(argv[2], NULL, 0) : (uint64_t)time(NULL);
    g_ring = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 0) : 4096;
    g_target = mib << 20;
    printf("stress_threads: seed %llu, ring %u, %llu MiB each way\n", (unsigned long long)g_seed, g_ring,
           (unsigned long long)mib);
    fflush(stdout);
    g_size = tzchan_region_size(2, g_ring);
    CHECK(g_size != 0);
    g_mem = aligned_alloc(64, g_size);
    CHECK(g_mem != NULL);
    CHECK_EQ(tzchan_region_init(g_mem, g_size, 2, g_ring), 0);
    static struct side a, b;
    a.dir_tx = 0, a.dir_rx = 1, b.dir_tx = 1, b.dir_rx = 0;
    a.rng = g_seed + 1, b.rng = g_seed + 2;
    CHECK_EQ(tzchan_open(&a.tx, g_mem, g_size, TZCHAN_SIDE_A, 0), 0);
    CHECK_EQ(tzchan_open(&b.rx, g_mem, g_size, TZCHAN_SIDE_B, 0), 0);
    CHECK_EQ(tzchan_open(&b.tx, g_mem, g_size, TZCHAN_SIDE_B, 1), 0);
    CHECK_EQ(tzchan_open(&a.rx, g_mem, g_size, TZCHAN_SIDE_A, 1), 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_t ta, tb;
    CHECK(pthread_create(&ta, NULL, run, &a) == 0);
    CHECK(pthread_create(&tb, NULL, run, &b) == 0);
    pin(ta, 0);
    pin(tb, 1);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    CHECK_EQ(a.ti, b.ri);
    CHECK_EQ(b.ti, a.ri);
    CHECK_EQ(a.tbytes, b.rbytes);
    CHECK_EQ(b.tbytes, a.rbytes);
    uint64_t bytes = a.rbytes + b.rbytes;
    printf("stress_threads: %llu + %llu messages, %.1f MiB checked in %.2f s (%.0f MiB/s)\n",
           (unsigned long long)b.ri, (unsigned long long)a.ri, (double)bytes / 1048576.0, s,
           (double)bytes / 1048576.0 / s);
    CHECK(bytes >= 2 * g_target);
    /* nothing is left over in either ring */
    bool eom;
    CHECK_EQ(tzchan_recv_some(&b.rx, b.buf, 1, &eom), TZCHAN_EAGAIN);
    CHECK_EQ(tzchan_recv_some(&a.rx, a.buf, 1, &eom), TZCHAN_EAGAIN);
    free(g_mem);
    return 0;
}
