/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Store-buffer litmus test for the doorbell handshake's one ordering assumption that the Spin model takes as
 * given: tz_fence_full() (src/atomics.h, a C11 seq_cst fence) orders a side's earlier store before its later load,
 * on this compiler and CPU. Two threads run the pattern of tx_publish() against tzchan_wait_prepare() many times:
 *
 *     producer: store prod (release); fence; r1 = load waiting     consumer: store waiting (release); fence;
 *                                                                            r2 = load prod
 *
 * and the outcome r1 == 0 && r2 == 0 (neither saw the other: the lost wake-up) must never occur. The same pattern
 * without the fences runs as a control and only reports how often that outcome appeared, which shows that the
 * test can observe the reordering on this machine (x86 and real ARM cores do; user-mode QEMU may not, and a
 * count of 0 is not a failure).
 * Usage: litmus_sb [iterations, default 200000] [seconds per half, default 10]. Exit 0 pass, 1 fail, 77 when the
 * machine was too busy to run even 1000 iterations.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../../src/atomics.h"

static uint32_t g_prod, g_waiting; /* shared words, accessed only through the core's atomics vocabulary */
static uint32_t g_r1, g_r2;
static _Atomic unsigned long g_bar; /* two-thread barrier: arrivals so far */
static unsigned long g_iters, g_missed, g_done;
static atomic_bool g_stop; /* the time budget is spent: both sides stop after the same iteration */
static int g_fenced;
static time_t g_deadline;
static long g_secs;

/* Waits until both threads have arrived at barrier number n (1, 2, ...). */
static void barrier(unsigned long n)
{
    atomic_fetch_add_explicit(&g_bar, 1, memory_order_acq_rel);
    for (unsigned spins = 0; atomic_load_explicit(&g_bar, memory_order_acquire) < 2 * n;)
        if (++spins % 1024 == 0)
            sched_yield(); /* the machine may have fewer free cores than threads */
}

static void *side(void *arg)
{
    int me = (int)(intptr_t)arg;
    for (unsigned long i = 0; i < g_iters; i++) {
        if (i % 256 == 0) { /* agree on stopping: side 0 decides, both see it after the same barrier */
            if (me == 0)
                atomic_store(&g_stop, time(NULL) >= g_deadline);
            barrier(2 * i + 1);
            barrier(2 * i + 2);
            if (atomic_load(&g_stop))
                break;
            continue;
        }
        if (me == 0) {
            g_done++;
            tz_store_relaxed(&g_prod, 0);
            tz_store_relaxed(&g_waiting, 0);
        }
        barrier(2 * i + 1); /* orders the reset before both sides' accesses */
        for (volatile unsigned d = (unsigned)((i * 2654435761u) >> (me ? 28 : 29)); d > 0; d--)
            ; /* a varying head start, so that the two sides' instructions overlap in every way */
        if (me == 0) {
            tz_store_release(&g_prod, 1);
            if (g_fenced)
                tz_fence_full();
            g_r1 = tz_load_relaxed(&g_waiting);
        } else {
            tz_store_release(&g_waiting, 1);
            if (g_fenced)
                tz_fence_full();
            g_r2 = tz_load_relaxed(&g_prod);
        }
        barrier(2 * i + 2); /* both results are in */
        if (me == 0 && g_r1 == 0 && g_r2 == 0)
            g_missed++;
    }
    return NULL;
}

static unsigned long run(int fenced)
{
    g_fenced = fenced;
    g_missed = g_done = 0;
    g_deadline = time(NULL) + g_secs;
    atomic_store(&g_bar, 0);
    pthread_t t[2];
    for (int k = 0; k < 2; k++)
        if (pthread_create(&t[k], NULL, side, (void *)(intptr_t)k) != 0)
            exit(1);
    for (int k = 0; k < 2; k++)
        pthread_join(t[k], NULL);
    return g_missed;
}

int main(int argc, char **argv)
{
    g_iters = argc > 1 ? strtoul(argv[1], NULL, 0) : 200000;
    g_secs = argc > 2 ? strtol(argv[2], NULL, 0) : 10;
    unsigned long with = run(1), with_n = g_done;
    unsigned long without = run(0), without_n = g_done;
    printf("litmus_sb: both loads missed the other store: %lu times in %lu runs with the fence, %lu times in %lu "
           "runs without it (control)\n",
           with, with_n, without, without_n);
    if (with != 0) {
        fprintf(stderr, "litmus_sb: FAIL: tz_fence_full() does not order store before load here\n");
        return 1;
    }
    if (with_n < 1000) {
        fprintf(stderr, "litmus_sb: only %lu runs in %ld s: the machine is too busy to tell\n", with_n, g_secs);
        return 77;
    }
    return 0;
}
