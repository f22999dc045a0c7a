/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tzchan-demo-threads: the portable core alone. Two threads share one region (ring 64 KiB): the "normal" thread
 * sends messages of 0 B .. 64 MiB (whole messages up to max_msg, streamed beyond), the "secure" thread receives
 * each one (whole or in pieces), checks every byte and answers with the length and a 64-bit checksum, which the
 * normal thread verifies. Spins politely (sched_yield) instead of sleeping: sleeping needs a port.
 * Exit status 0 only if every message verified.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tzchan/tzchan.h"

#define RING (64u * 1024u)
static const uint64_t sizes[] = {0, 1, 7, 63, 64, 1000, 4096, 32768, 65536, 1u << 20, 16u << 20, 64u << 20};
#define NSIZES (sizeof sizes / sizeof sizes[0])

static void *g_mem;
static size_t g_size;

static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}
static unsigned char byte_at(uint64_t msg, uint64_t off)
{
    return (unsigned char)((off * 131u + msg * 7u) ^ (off >> 9));
}
static void yield_spin(unsigned *idle)
{
    if (++*idle > 32)
        sched_yield();
}

struct answer {
    uint64_t len, sum;
};

static void *secure_world(void *arg)
{
    (void)arg;
    struct tzchan ch;
    if (tzchan_open(&ch, g_mem, g_size, TZCHAN_SIDE_B, 0) != 0)
        return (void *)1;
    static unsigned char buf[1 << 16];
    for (size_t m = 0; m < NSIZES; m++) {
        uint64_t total = 0, got = 0, h = 0xcbf29ce484222325ull;
        unsigned idle = 0;
        int e;
        while ((e = tzchan_recv_total(&ch, &total)) == TZCHAN_EAGAIN)
            yield_spin(&idle);
        if (e != 0)
            return (void *)2;
        bool eom = false, bad = false;
        while (!eom) {
            int64_t r = tzchan_recv_some(&ch, buf, sizeof buf, &eom);
            if (r == TZCHAN_EAGAIN) {
                yield_spin(&idle);
                continue;
            }
            if (r < 0)
                return (void *)3;
            for (int64_t i = 0; i < r; i++)
                bad |= buf[i] != byte_at(m, got + (uint64_t)i);
            h = fnv(h, buf, (size_t)r);
            got += (uint64_t)r;
        }
        struct answer a = {got, bad ? 0 : h};
        while (tzchan_send(&ch, &a, sizeof a) == TZCHAN_EAGAIN)
            yield_spin(&idle);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        bool help = strcmp(argv[1], "--help") == 0;
        fprintf(help ? stdout : stderr,
                "Usage: tzchan-demo-threads\n"
                "Runs the portable core alone: two threads share one region with a 64 KiB ring; one sends\n"
                "messages of 0 B to 64 MiB (whole up to the largest whole message, streamed beyond), the other\n"
                "receives and checksums each one and answers with its length and checksum, which the sender\n"
                "verifies. Prints one line per message and a summary.\n\n"
                "Exit status: 0 if every message verified, 1 otherwise.\n");
        return help ? 0 : 2;
    }
    g_size = tzchan_region_size(1, RING);
    g_mem = aligned_alloc(64, g_size);
    if (g_mem == NULL || tzchan_region_init(g_mem, g_size, 1, RING) != 0)
        return 1;
    struct tzchan ch;
    if (tzchan_open(&ch, g_mem, g_size, TZCHAN_SIDE_A, 0) != 0)
        return 1;
    printf("tzchan-demo-threads: one region, one lane, ring %u KiB, max whole message %zu B\n", RING / 1024,
           tzchan_max_msg(&ch));
    pthread_t t;
    pthread_create(&t, NULL, secure_world, NULL);
    static unsigned char chunk[1 << 16];
    int failures = 0;
    uint64_t bytes = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    printf("  %10s  %-8s  %-18s  %s\n", "size", "method", "checksum", "verdict");
    for (size_t m = 0; m < NSIZES; m++) {
        uint64_t len = sizes[m], h = 0xcbf29ce484222325ull;
        unsigned idle = 0;
        bool whole = len <= tzchan_max_msg(&ch);
        if (whole) {
            for (uint64_t i = 0; i < len; i++)
                chunk[i] = byte_at(m, i);
            h = fnv(h, chunk, (size_t)len);
            while (tzchan_send(&ch, chunk, (size_t)len) == TZCHAN_EAGAIN)
                yield_spin(&idle);
        } else {
            tzchan_send_begin(&ch, len);
            for (uint64_t off = 0; off < len;) {
                size_t n = len - off < sizeof chunk ? (size_t)(len - off) : sizeof chunk;
                for (size_t i = 0; i < n; i++)
                    chunk[i] = byte_at(m, off + i);
                h = fnv(h, chunk, n);
                for (size_t done = 0; done < n;) {
                    int64_t r = tzchan_send_some(&ch, chunk + done, n - done);
                    if (r < 0)
                        return 1;
                    if (r == 0)
                        yield_spin(&idle);
                    done += (size_t)r;
                }
                off += n;
            }
            while (tzchan_send_end(&ch) == TZCHAN_EAGAIN)
                yield_spin(&idle);
        }
        struct answer a;
        int64_t r;
        while ((r = tzchan_recv(&ch, &a, sizeof a)) == TZCHAN_EAGAIN)
            yield_spin(&idle);
        bool ok = r == (int64_t)sizeof a && a.len == len && a.sum == h;
        failures += !ok;
        bytes += len;
        printf("  %10" PRIu64 "  %-8s  %016" PRIx64 "  %s\n", len, whole ? "send" : "stream", a.sum,
               ok ? "verified" : "MISMATCH");
    }
    void *rc;
    pthread_join(t, &rc);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    struct tzchan_stats st;
    tzchan_get_stats(&ch, &st);
    printf("summary: %zu messages, %.1f MiB in %.3f s (%.0f MiB/s including checks), %d failed\n", NSIZES,
           (double)bytes / 1048576.0, s, (double)bytes / 1048576.0 / s, failures + (rc != NULL));
    free(g_mem);
    return failures || rc != NULL;
}
