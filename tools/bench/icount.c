/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tzchan-icount: the per-message work of a 64-byte message, as a deterministic instruction count.
 *
 * One thread, one lane of a 64 KiB ring (both endpoints in this process), N pairs of "send one 64-byte message,
 * receive it" in one of these ways:
 *   send     tzchan_send + tzchan_recv, one message at a time
 *   batch32  32 x tzchan_send_flags(MORE) + tzchan_flush, then 32 x tzchan_recv
 *   many32   one tzchan_send_many of 32 messages, then one tzchan_recv_many of up to 32 (each into its own buffer)
 *   batchmany 32 x tzchan_send_flags(MORE) + tzchan_flush, then one tzchan_recv_many of up to 32
 *   zerocopy tzchan_reserve + tzchan_commit, tzchan_peek + tzchan_release, the caller copying 64 bytes in and out
 *   ck_ring  Concurrency Kit's SPSC ring as a user comparing libraries would write it: enqueue a pointer to a
 *            64-byte slot it copied the message into, dequeue it and copy the message out (fixed-size copies)
 * Run it under `valgrind --tool=callgrind` for two values of N and take the difference of the totals divided by
 * the difference of N: that removes start-up and leaves instructions per pair (tools/bench/icount.sh does this).
 * Counts are the same on every run of the same binary, whatever else the machine does.
 *
 * Usage: tzchan-icount send|batch32|many32|batchmany|zerocopy|ck_ring N     (prints a checksum so nothing is optimised away)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tzchan/tzchan.h"

#ifdef TZCHAN_BENCH_HAVE_CK
#include <ck_ring.h>
#endif

#define RING (64u * 1024u)
#define MSG 64u
#define BATCH 32u

static _Alignas(64) unsigned char g_region[128 + 768 + 2 * RING];

static unsigned char g_out[BATCH][MSG];

/* Makes the 64 bytes at p count as used, so the compiler keeps a copy into them whole (a harness that reads only
 * out[0] lets gcc reduce a copy out of the ring to a one-byte load, which the baseline's count once had). */
static inline void used(const void *p)
{
    __asm__ volatile("" : : "r"(p) : "memory");
}

static int run_tzchan(unsigned long n, int batched)
{
    struct tzchan a, b;
    size_t size = tzchan_region_size(1, RING);
    if (size > sizeof g_region || tzchan_region_init(g_region, size, 1, RING) != 0 ||
        tzchan_open(&a, g_region, size, TZCHAN_SIDE_A, 0) != 0 || tzchan_open(&b, g_region, size, TZCHAN_SIDE_B, 0) != 0)
        return 1;
    unsigned char in[MSG], out[MSG];
    memset(in, 0x5a, sizeof in);
    uint64_t sum = 0;
    if (!batched) {
        for (unsigned long i = 0; i < n; i++) {
            in[0] = (unsigned char)i;
            if (tzchan_send(&a, in, MSG) != MSG || tzchan_recv(&b, out, sizeof out) != MSG)
                return 1;
            sum += out[0];
        }
    } else if (batched == 3) {
        /* zero copy: reserve + commit, peek + release, the caller's own 64-byte copies */
        for (unsigned long i = 0; i < n; i++) {
            in[0] = (unsigned char)i;
            void *w = tzchan_reserve(&a, MSG);
            if (w == NULL)
                return 1;
            memcpy(w, in, MSG);
            if (tzchan_commit(&a, MSG) != 0)
                return 1;
            size_t len;
            const void *r = tzchan_peek(&b, &len);
            if (r == NULL || len != MSG)
                return 1;
            memcpy(out, r, MSG);
            used(out);
            if (tzchan_release(&b) != 0)
                return 1;
            sum += out[0];
        }
    } else if (batched == 4) {
        struct tzchan_in v[BATCH];
        for (unsigned k = 0; k < BATCH; k++) {
            v[k].buf = g_out[k];
            v[k].cap = MSG;
        }
        for (unsigned long i = 0; i < n; i += BATCH) {
            for (unsigned k = 0; k < BATCH; k++) {
                in[0] = (unsigned char)(i + k);
                if (tzchan_send_flags(&a, in, MSG, TZCHAN_MORE) != MSG)
                    return 1;
            }
            if (tzchan_flush(&a) != 0 || tzchan_recv_many(&b, v, BATCH) != BATCH)
                return 1;
            for (unsigned k = 0; k < BATCH; k++)
                sum += g_out[k][0] + v[k].len;
        }
    } else if (batched == 2) {
        static unsigned char src[BATCH][MSG];
        struct tzchan_out o[BATCH];
        struct tzchan_in v[BATCH];
        for (unsigned k = 0; k < BATCH; k++) {
            memset(src[k], 0x5a, MSG);
            o[k].buf = src[k];
            o[k].len = MSG;
            v[k].buf = g_out[k];
            v[k].cap = MSG;
        }
        for (unsigned long i = 0; i < n; i += BATCH) {
            for (unsigned k = 0; k < BATCH; k++)
                src[k][0] = (unsigned char)(i + k);
            if (tzchan_send_many(&a, o, BATCH) != BATCH || tzchan_recv_many(&b, v, BATCH) != BATCH)
                return 1;
            for (unsigned k = 0; k < BATCH; k++)
                sum += g_out[k][0] + v[k].len;
        }
    } else {
        for (unsigned long i = 0; i < n; i += BATCH) {
            for (unsigned k = 0; k < BATCH; k++) {
                in[0] = (unsigned char)(i + k);
                if (tzchan_send_flags(&a, in, MSG, TZCHAN_MORE) != MSG)
                    return 1;
            }
            if (tzchan_flush(&a) != 0)
                return 1;
            for (unsigned k = 0; k < BATCH; k++) {
                if (tzchan_recv(&b, out, sizeof out) != MSG)
                    return 1;
                sum += out[0];
            }
        }
    }
    printf("checksum %llu\n", (unsigned long long)sum);
    return 0;
}

#ifdef TZCHAN_BENCH_HAVE_CK
/* not inlined into main(), where gcc compiled this loop's copy as rep movs once another way was added to main():
 * instructions that have nothing to do with the ring */
static __attribute__((noinline)) int run_ck(unsigned long n)
{
    enum { SLOTS = RING / MSG };
    static ck_ring_t ring;
    static struct ck_ring_buffer buf[SLOTS];
    static _Alignas(64) unsigned char slots[SLOTS][MSG];
    ck_ring_init(&ring, SLOTS);
    unsigned char in[MSG], out[MSG];
    memset(in, 0x5a, sizeof in);
    uint64_t sum = 0;
    for (unsigned long i = 0; i < n; i++) {
        in[0] = (unsigned char)i;
        unsigned char *slot = slots[i % SLOTS];
        memcpy(slot, in, MSG);
        if (!ck_ring_enqueue_spsc(&ring, buf, slot))
            return 1;
        void *p;
        if (!ck_ring_dequeue_spsc(&ring, buf, &p))
            return 1;
        memcpy(out, p, MSG);
        used(out);
        sum += out[0];
    }
    printf("checksum %llu\n", (unsigned long long)sum);
    return 0;
}
#endif

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: tzchan-icount send|batch32|many32|batchmany|zerocopy|ck_ring N\n");
        return 2;
    }
    char *end;
    unsigned long n = strtoul(argv[2], &end, 10);
    if (*end || n == 0 || n % BATCH) {
        fprintf(stderr, "tzchan-icount: N must be a positive multiple of %u\n", BATCH);
        return 2;
    }
    if (!strcmp(argv[1], "send"))
        return run_tzchan(n, 0);
    if (!strcmp(argv[1], "batch32"))
        return run_tzchan(n, 1);
    if (!strcmp(argv[1], "many32"))
        return run_tzchan(n, 2);
    if (!strcmp(argv[1], "batchmany"))
        return run_tzchan(n, 4);
    if (!strcmp(argv[1], "zerocopy"))
        return run_tzchan(n, 3);
    if (!strcmp(argv[1], "ck_ring")) {
#ifdef TZCHAN_BENCH_HAVE_CK
        return run_ck(n);
#else
        fprintf(stderr, "tzchan-icount: built without ck_ring.h\n");
        return 77;
#endif
    }
    fprintf(stderr, "tzchan-icount: unknown way %s\n", argv[1]);
    return 2;
}
