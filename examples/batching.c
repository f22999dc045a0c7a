/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Batching: small messages sent with TZCHAN_MORE are written but not published; tzchan_flush (or the next send
 * without the flag) publishes the whole batch with one index store and one fence, instead of one per message.
 * The core publishes a batch by itself whenever it would otherwise return EAGAIN, so a batch can never deadlock.
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <tzchan/tzchan.h>

#define COUNT 1000000
#define BATCH 16
static void *mem;
static size_t size;

static void *consumer(void *arg)
{
    (void)arg;
    struct tzchan ch;
    if (tzchan_open(&ch, mem, size, TZCHAN_SIDE_B, 0) != 0)
        return (void *)1;
    uint64_t v, want = 0;
    while (want < COUNT) {
        int64_t r = tzchan_recv(&ch, &v, sizeof v);
        if (r == TZCHAN_EAGAIN) {
            sched_yield();
            continue;
        }
        if (r != sizeof v || v != want)
            return (void *)1;
        want++;
    }
    return NULL;
}

int main(void)
{
    size = tzchan_region_size(1, 16 * 1024);
    mem = aligned_alloc(64, size);
    struct tzchan ch;
    if (mem == NULL || tzchan_region_init(mem, size, 1, 16 * 1024) || tzchan_open(&ch, mem, size, TZCHAN_SIDE_A, 0))
        return 1;
    pthread_t t;
    pthread_create(&t, NULL, consumer, NULL);
    for (uint64_t i = 0; i < COUNT;) {
        unsigned flags = (i % BATCH == BATCH - 1) ? 0 : TZCHAN_MORE; /* every 16th send publishes */
        int64_t r = tzchan_send_flags(&ch, &i, sizeof i, flags);
        if (r == TZCHAN_EAGAIN) { /* the batch so far was published for us; wait for room */
            sched_yield();
            continue;
        }
        if (r != sizeof i)
            return 1;
        i++;
    }
    tzchan_flush(&ch); /* the tail of the last batch */
    void *rc;
    pthread_join(t, &rc);
    struct tzchan_stats st;
    tzchan_get_stats(&ch, &st);
    printf("batching: %llu messages of 8 B in batches of %d: %s\n", (unsigned long long)st.msgs_sent, BATCH,
           rc == NULL ? "ok" : "FAILED");
    free(mem);
    return rc != NULL;
}
