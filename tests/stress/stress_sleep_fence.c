/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Stress test of the asymmetric doorbell handshake (PROTOCOL.md s.6.1): two threads pinned to different CPUs move
 * messages of random sizes both ways and sleep on a futex as soon as a call returns EAGAIN, so nearly every message
 * races a wait announcement. Run three ways: both sides with a membarrier() sleep fence (publishers use only a
 * compiler barrier), only the receiver with one, and neither. A lost wake-up hangs the run: a watchdog then fails
 * the test. Every message carries its sequence number and a pattern the receiver checks. Linux only; exit 77
 * where the kernel lacks expedited membarrier.
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/check.h"
#include "tzchan/tzchan.h"

#define MSGS 200000u
#define RING 4096u

static long membarrier_call(int cmd)
{
    return syscall(__NR_membarrier, cmd, 0u, 0);
}

static void fence_hook(void *ctx)
{
    (void)ctx;
    CHECK_EQ(membarrier_call(MEMBARRIER_CMD_PRIVATE_EXPEDITED), 0);
}

static void wake_hook(void *ctx)
{
    syscall(SYS_futex, ctx, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void sleep_until_rung(struct tzchan *ch, enum tzchan_wait what)
{
    if (tzchan_wait_prepare(ch, what) != 0)
        return;
    uint32_t expect;
    const uint32_t *w = tzchan_wait_word(ch, &expect);
    while (__atomic_load_n(w, __ATOMIC_ACQUIRE) == expect)
        syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, expect, NULL, NULL, 0);
    tzchan_wait_done(ch);
}

struct side {
    struct tzchan ch;
    int cpu;
    uint64_t seed;
};

static void pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    (void)sched_setaffinity(0, sizeof set, &set);
}

/* Sends MSGS messages and receives MSGS, interleaved; sleeps whenever neither makes progress. */
static void *run_side(void *arg)
{
    struct side *s = arg;
    pin(s->cpu);
    static _Thread_local unsigned char out[600], in[600];
    uint32_t sent = 0, got = 0;
    uint64_t seed = s->seed, peer_seed = s->seed ^ 1u;
    size_t out_len = 0;
    while (sent < MSGS || got < MSGS) {
        bool progress = false;
        if (sent < MSGS) {
            if (out_len == 0) {
                out_len = 4 + (size_t)(t_rand(&seed) % 500u);
                memcpy(out, &sent, 4);
                memset(out + 4, (int)(sent * 7u), out_len - 4);
            }
            int64_t r = tzchan_send(&s->ch, out, out_len);
            if (r >= 0) {
                CHECK_EQ(r, (int64_t)out_len);
                sent++;
                out_len = 0;
                progress = true;
            } else {
                CHECK_EQ(r, TZCHAN_EAGAIN);
            }
        }
        if (got < MSGS) {
            int64_t r = tzchan_recv(&s->ch, in, sizeof in);
            if (r >= 0) {
                size_t want = 4 + (size_t)(t_rand(&peer_seed) % 500u);
                uint32_t seq;
                CHECK_EQ(r, (int64_t)want);
                memcpy(&seq, in, 4);
                CHECK_EQ(seq, got);
                for (size_t i = 4; i < want; i++)
                    CHECK_EQ(in[i], (unsigned char)(got * 7u));
                got++;
                progress = true;
            } else {
                CHECK_EQ(r, TZCHAN_EAGAIN);
            }
        }
        if (!progress) {
            int what = (got < MSGS ? TZCHAN_WAIT_DATA : 0) | (sent < MSGS ? TZCHAN_WAIT_ROOM : 0);
            sleep_until_rung(&s->ch, (enum tzchan_wait)what);
        }
    }
    return NULL;
}

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "stress_sleep_fence: no progress for 120 s: a wake-up was lost\n";
    (void)!write(2, msg, sizeof msg - 1);
    _exit(T_EXIT_FAIL);
}

int main(void)
{
    long q = membarrier_call(MEMBARRIER_CMD_QUERY);
    if (q < 0 || !(q & MEMBARRIER_CMD_PRIVATE_EXPEDITED) ||
        membarrier_call(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) != 0)
        return T_EXIT_SKIP;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    signal(SIGALRM, on_alarm);
    size_t len = tzchan_region_size(1, RING);
    void *mem = aligned_alloc(64, len);
    CHECK(mem != NULL);
    for (int variant = 0; variant < 3; variant++) {
        alarm(120);
        CHECK_EQ(tzchan_region_init(mem, len, 1, RING), 0);
        struct side a = {.cpu = 0, .seed = 42}, b = {.cpu = ncpu > 1 ? 1 : 0, .seed = 43};
        CHECK_EQ(tzchan_open(&a.ch, mem, len, TZCHAN_SIDE_A, 0), 0);
        CHECK_EQ(tzchan_open(&b.ch, mem, len, TZCHAN_SIDE_B, 0), 0);
        /* A's notify wakes B, which sleeps on A's bell (and vice versa) */
        tzchan_set_notify(&a.ch, wake_hook, (void *)tzchan_wait_word(&b.ch, NULL));
        tzchan_set_notify(&b.ch, wake_hook, (void *)tzchan_wait_word(&a.ch, NULL));
        if (variant <= 1)
            CHECK_EQ(tzchan_set_sleep_fence(&b.ch, fence_hook, NULL), 0);
        if (variant == 0)
            CHECK_EQ(tzchan_set_sleep_fence(&a.ch, fence_hook, NULL), 0);
        pthread_t ta, tb;
        CHECK_EQ(pthread_create(&ta, NULL, run_side, &a), 0);
        CHECK_EQ(pthread_create(&tb, NULL, run_side, &b), 0);
        pthread_join(ta, NULL);
        pthread_join(tb, NULL);
        struct tzchan_stats sa, sb;
        tzchan_get_stats(&a.ch, &sa);
        tzchan_get_stats(&b.ch, &sb);
        printf("variant %d: %u messages each way, %llu + %llu sleeps, %llu + %llu doorbells\n", variant, MSGS,
               (unsigned long long)sa.waits, (unsigned long long)sb.waits, (unsigned long long)sa.doorbells,
               (unsigned long long)sb.doorbells);
    }
    alarm(0);
    free(mem);
    return T_EXIT_PASS;
}
