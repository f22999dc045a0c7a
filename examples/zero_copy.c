/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Zero copy: the producer builds each message directly in the ring (tzchan_reserve/tzchan_commit), the consumer
 * reads it in place (tzchan_peek/tzchan_release). Two threads, one region. Remember that a peeked message lies
 * in memory the peer can still write: copy what you validate before you validate it (here: the record is copied
 * into a local struct before its fields are checked).
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tzchan/tzchan.h>

struct sample {
    uint32_t seq;
    uint32_t n;
    double values[32];
};

#define COUNT 100000
static void *mem;
static size_t size;

static void *consumer(void *arg)
{
    (void)arg;
    struct tzchan ch;
    if (tzchan_open(&ch, mem, size, TZCHAN_SIDE_B, 0) != 0)
        return (void *)1;
    for (uint32_t want = 0; want < COUNT;) {
        size_t len;
        const void *p = tzchan_peek(&ch, &len);
        if (p == NULL) {
            if (tzchan_error(&ch) != TZCHAN_EAGAIN)
                return (void *)1;
            sched_yield();
            continue;
        }
        struct sample s; /* copy first: the bytes behind p belong to shared memory */
        if (len != sizeof s)
            return (void *)1;
        memcpy(&s, p, sizeof s);
        tzchan_release(&ch);
        if (s.seq != want || s.n > 32 || s.values[0] != (double)want)
            return (void *)1;
        want++;
    }
    return NULL;
}

int main(void)
{
    size = tzchan_region_size(1, 64 * 1024);
    mem = aligned_alloc(64, size);
    struct tzchan ch;
    if (mem == NULL || tzchan_region_init(mem, size, 1, 64 * 1024) || tzchan_open(&ch, mem, size, TZCHAN_SIDE_A, 0))
        return 1;
    pthread_t t;
    pthread_create(&t, NULL, consumer, NULL);
    for (uint32_t i = 0; i < COUNT;) {
        struct sample *s = tzchan_reserve(&ch, sizeof *s); /* room in the ring itself */
        if (s == NULL) {
            if (tzchan_error(&ch) != TZCHAN_EAGAIN)
                return 1;
            sched_yield();
            continue;
        }
        s->seq = i;
        s->n = 32;
        for (int k = 0; k < 32; k++)
            s->values[k] = (double)i + k;
        tzchan_commit(&ch, sizeof *s); /* publish it */
        i++;
    }
    void *rc;
    pthread_join(t, &rc);
    printf("zero_copy: %d samples of %zu B built in the ring and read in place: %s\n", COUNT, sizeof(struct sample),
           rc == NULL ? "ok" : "FAILED");
    free(mem);
    return rc != NULL;
}
