/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The shape a secure world uses: the core with a custom doorbell and no busy-waiting.
 *
 * The "normal world" (main thread) lays out a region and "registers" it with a function call that stands in for
 * the SMC: the "secure world" validates the arguments and opens its end (tzchan_open checks everything it reads).
 * The secure side then serves: it drains its ring, and when there is nothing to do it announces that it waits
 * (tzchan_wait_prepare), sleeps until the normal world's doorbell rings (here a condition variable stands in for
 * WFI + SGI, or for the SMC that enters the secure world on a single core), and carries on. The doorbell is rung by
 * the core only when the secure side said it waits, so under load it is rare.
 *
 * The secure-side code below uses only the core's API: on bare metal, replace the condition variable with
 * wfi/wfe and the notify hook with an SGI or SMC (see port/trustzone).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tzchan/tzchan.h>

/* ---- the doorbell: one per direction; a futex, a socket, an SGI or an SMC in a real port ---- */
struct doorbell {
    pthread_mutex_t m;
    pthread_cond_t c;
    unsigned rung;
};
static struct doorbell to_secure = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
static struct doorbell to_normal = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};

static void ring(void *ctx) /* the notify hook */
{
    struct doorbell *d = ctx;
    pthread_mutex_lock(&d->m);
    d->rung++;
    pthread_cond_signal(&d->c);
    pthread_mutex_unlock(&d->m);
}

/* Sleeps until the peer rings, unless the wait is already satisfied. Returns < 0 on a broken channel. */
static int wait_for(struct tzchan *ch, struct doorbell *d, enum tzchan_wait what)
{
    pthread_mutex_lock(&d->m);
    unsigned seen = d->rung; /* read before announcing the wait: a ring after it changes this */
    pthread_mutex_unlock(&d->m);
    int r = tzchan_wait_prepare(ch, what);
    if (r != 0)
        return r < 0 ? r : 0; /* 1: no need to sleep */
    pthread_mutex_lock(&d->m);
    while (d->rung == seen)
        pthread_cond_wait(&d->c, &d->m); /* on bare metal: wfi until the SGI */
    pthread_mutex_unlock(&d->m);
    tzchan_wait_done(ch);
    return 0;
}

/* ---- secure world ---- */
static struct tzchan secure_ch;
static int secure_register(void *mem, size_t size, uint32_t lanes) /* what the SMC handler does */
{
    if (mem == NULL || size == 0 || lanes != 1) /* sanitise the arguments first */
        return TZCHAN_EINVAL;
    int e = tzchan_open(&secure_ch, mem, size, TZCHAN_SIDE_B, 0); /* validates the region, copies geometry */
    if (e == 0)
        tzchan_set_notify(&secure_ch, ring, &to_normal);
    return e;
}

static void *secure_world(void *arg)
{
    (void)arg;
    unsigned char buf[2048];
    uint64_t served = 0;
    for (;;) {
        int64_t n = tzchan_recv(&secure_ch, buf, sizeof buf);
        if (n == TZCHAN_EAGAIN) {
            if (wait_for(&secure_ch, &to_secure, TZCHAN_WAIT_DATA) < 0)
                break;
            continue;
        }
        if (n < 0) /* EPIPE: the normal world closed; EPROTO: it broke the protocol */
            break;
        uint32_t sum = 0;
        for (int64_t i = 0; i < n; i++)
            sum = sum * 31u + buf[i];
        while (tzchan_send(&secure_ch, &sum, sizeof sum) == TZCHAN_EAGAIN)
            if (wait_for(&secure_ch, &to_secure, TZCHAN_WAIT_ROOM) < 0)
                return (void *)1;
        served++;
    }
    return (void *)(uintptr_t)(served == 0);
}

/* ---- normal world ---- */
int main(void)
{
    size_t size = tzchan_region_size(1, 4096);
    void *mem = aligned_alloc(64, size);
    struct tzchan ch;
    if (mem == NULL || tzchan_region_init(mem, size, 1, 4096) || tzchan_open(&ch, mem, size, TZCHAN_SIDE_A, 0))
        return 1;
    tzchan_set_notify(&ch, ring, &to_secure);
    if (secure_register(mem, size, 1) != 0) /* "SMC": register the region */
        return 1;
    pthread_t t;
    pthread_create(&t, NULL, secure_world, NULL);
    unsigned char msg[2048];
    int bad = 0;
    const int count = 20000;
    for (int i = 0; i < count; i++) {
        size_t len = (size_t)(i * 97) % sizeof msg;
        uint32_t sum = 0, got = 0;
        for (size_t k = 0; k < len; k++) {
            msg[k] = (unsigned char)(i + k);
            sum = sum * 31u + msg[k];
        }
        while (tzchan_send(&ch, msg, len) == TZCHAN_EAGAIN)
            wait_for(&ch, &to_normal, TZCHAN_WAIT_ROOM);
        int64_t r;
        while ((r = tzchan_recv(&ch, &got, sizeof got)) == TZCHAN_EAGAIN)
            wait_for(&ch, &to_normal, TZCHAN_WAIT_DATA);
        bad += r != sizeof got || got != sum;
    }
    tzchan_close(&ch); /* the secure side drains and sees EPIPE */
    void *rc;
    pthread_join(t, &rc);
    struct tzchan_stats mine, theirs;
    tzchan_get_stats(&ch, &mine);
    tzchan_get_stats(&secure_ch, &theirs);
    printf("freestanding_doorbell: %d requests answered, %d wrong; doorbells: normal->secure %llu, "
           "secure->normal %llu (one per sleep, never a busy-wait)\n",
           count, bad, (unsigned long long)mine.doorbells, (unsigned long long)theirs.doorbells);
    free(mem);
    return bad != 0 || rc != NULL;
}
