/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Blocking calls, in futex and in eventfd mode: timeouts (0 = poll, n ms, -1 = forever) return TZCHAN_ETIMEDOUT
 * on time; a sender blocked on a full ring wakes when the peer drains; ping-pong wakes both ways; one thread
 * blocked in send and another in recv on the same lane both progress (duplex); a signal interrupts a sleep with
 * TZCHAN_EINTR and loses nothing; streams of 1 MiB through a 4 KiB ring verify, and the stream belongs to the
 * thread that began it; a peer that closes makes receives drain then return EPIPE and sends return EPIPE; the
 * event-loop hooks (arm, poll the fd, disarm) work in eventfd mode.
 */
#include "lx.h"

#include <poll.h>
#include <signal.h>
#include <stdatomic.h>

#define RING 4096u

static struct lx_pair pr;

static void timeouts(void)
{
    char buf[64];
    uint64_t t0 = lx_now_ns();
    CHECK_EQ(tzchan_linux_recv(pr.a, 0, buf, sizeof buf, 0), TZCHAN_ETIMEDOUT);
    CHECK(lx_ms_since(t0) < 1000);
    t0 = lx_now_ns();
    CHECK_EQ(tzchan_linux_recv(pr.a, 0, buf, sizeof buf, 100), TZCHAN_ETIMEDOUT);
    double ms = lx_ms_since(t0);
    CHECK(ms >= 99 && ms < 2000);
    bool eom;
    t0 = lx_now_ns();
    CHECK_EQ(tzchan_linux_recv_some(pr.a, 0, buf, sizeof buf, &eom, 30), TZCHAN_ETIMEDOUT);
    CHECK(lx_ms_since(t0) >= 29);
    /* fill the ring, then a send times out */
    int n = 0;
    int64_t r;
    while ((r = tzchan_linux_send(pr.a, 0, buf, 64, 0)) == 64)
        n++;
    CHECK_EQ(r, TZCHAN_ETIMEDOUT);
    CHECK(n > 10);
    t0 = lx_now_ns();
    CHECK_EQ(tzchan_linux_send(pr.a, 0, buf, 64, 50), TZCHAN_ETIMEDOUT);
    ms = lx_ms_since(t0);
    CHECK(ms >= 49 && ms < 2000);
    /* stream calls time out too, and report partial progress */
    for (int i = 0; i < n; i++)
        CHECK_EQ(tzchan_linux_recv(pr.b, 0, buf, sizeof buf, 0), 64);
    static unsigned char big[3 * RING];
    CHECK_EQ(tzchan_linux_send_begin(pr.a, 0, sizeof big), 0);
    r = tzchan_linux_send_some(pr.a, 0, big, sizeof big, 30);
    CHECK(r > 0 && r < (int64_t)sizeof big);
    int64_t taken = r;
    CHECK_EQ(tzchan_linux_send_some(pr.a, 0, big + taken, sizeof big - (size_t)taken, 0), TZCHAN_ETIMEDOUT);
    int64_t got = 0;
    bool done = false;
    while (!done) { /* drain while the sender finishes, in this one thread */
        r = tzchan_linux_recv_some(pr.b, 0, big, sizeof big, &eom, 0);
        CHECK(r >= 0 || r == TZCHAN_ETIMEDOUT);
        if (r > 0)
            got += r;
        done = r >= 0 && eom;
        if (taken < (int64_t)sizeof big) {
            int64_t s = tzchan_linux_send_some(pr.a, 0, big + taken, sizeof big - (size_t)taken, 0);
            if (s > 0)
                taken += s;
        }
    }
    CHECK_EQ(got, (int64_t)sizeof big);
    CHECK_EQ(tzchan_linux_send_end(pr.a, 0, 100), 0);
    printf("  timeouts (0, 30, 50, 100 ms; send, recv, stream): ok\n");
}

/* ---- a full ring drains: the blocked sender wakes ---------------------------------------------------------- */
static void *slow_drain(void *p)
{
    (void)p;
    usleep(100 * 1000);
    char buf[RING];
    int64_t r;
    while ((r = tzchan_linux_recv(pr.b, 1, buf, sizeof buf, 300)) >= 0)
        ;
    CHECK_EQ(r, TZCHAN_ETIMEDOUT);
    return NULL;
}

static void blocked_sender_wakes(void)
{
    char buf[1000] = {0};
    while (tzchan_linux_send(pr.a, 1, buf, sizeof buf, 0) > 0)
        ;
    pthread_t t;
    CHECK(pthread_create(&t, NULL, slow_drain, NULL) == 0);
    uint64_t t0 = lx_now_ns();
    CHECK_EQ(tzchan_linux_send(pr.a, 1, buf, sizeof buf, -1), (int64_t)sizeof buf);
    double ms = lx_ms_since(t0);
    pthread_join(t, NULL);
    CHECK(ms >= 90);
    struct tzchan_linux_stats st;
    CHECK_EQ(tzchan_linux_get_stats(pr.a, 1, &st), 0);
    CHECK(st.sleeps >= 1);
    printf("  sender blocked on a full ring woke after %.1f ms (drain started at 100 ms): ok\n", ms);
}

/* ---- ping-pong ----------------------------------------------------------------------------------------------- */
#define ROUNDS 20000

static void *echo(void *p)
{
    uint32_t lane = (uint32_t)(uintptr_t)p;
    uint32_t v;
    for (int i = 0; i < ROUNDS; i++) {
        CHECK_EQ(tzchan_linux_recv(pr.b, lane, &v, sizeof v, 5000), 4);
        CHECK_EQ(tzchan_linux_send(pr.b, lane, &v, sizeof v, 5000), 4);
    }
    return NULL;
}

static void ping_pong(void)
{
    pthread_t t;
    CHECK(pthread_create(&t, NULL, echo, (void *)(uintptr_t)2) == 0);
    uint64_t t0 = lx_now_ns();
    for (uint32_t i = 0; i < ROUNDS; i++) {
        uint32_t v;
        CHECK_EQ(tzchan_linux_send(pr.a, 2, &i, sizeof i, 5000), 4);
        CHECK_EQ(tzchan_linux_recv(pr.a, 2, &v, sizeof v, 5000), 4);
        CHECK_EQ(v, i);
    }
    double ms = lx_ms_since(t0);
    pthread_join(t, NULL);
    struct tzchan_linux_stats sa, sb;
    tzchan_linux_get_stats(pr.a, 2, &sa);
    tzchan_linux_get_stats(pr.b, 2, &sb);
    printf("  ping-pong %d rounds: %.2f us/round, doorbells %.2f per round, sleeps a %" PRIu64 " b %" PRIu64 "\n",
           ROUNDS, ms * 1000 / ROUNDS, (double)(sa.core.doorbells + sb.core.doorbells) / ROUNDS, sa.sleeps,
           sb.sleeps);
}

/* ---- duplex: one thread blocked in send, another in recv, same lane ----------------------------------------- */
#define DUPLEX 50000

static void *duplex_echo(void *p)
{
    (void)p;
    unsigned char buf[512];
    for (int i = 0; i < DUPLEX; i++) {
        int64_t n = tzchan_linux_recv(pr.b, 3, buf, sizeof buf, 10000);
        CHECK(n >= 0);
        CHECK_EQ(tzchan_linux_send(pr.b, 3, buf, (size_t)n, 10000), n);
    }
    return NULL;
}

static void *duplex_sender(void *p)
{
    (void)p;
    unsigned char buf[512];
    for (uint32_t i = 0; i < DUPLEX; i++) {
        size_t n = 4 + i % 400;
        memset(buf, (int)(i & 0xff), n);
        memcpy(buf, &i, 4);
        CHECK_EQ(tzchan_linux_send(pr.a, 3, buf, n, 10000), (int64_t)n);
    }
    return NULL;
}

static void duplex(void)
{
    pthread_t e, s;
    CHECK(pthread_create(&e, NULL, duplex_echo, NULL) == 0);
    CHECK(pthread_create(&s, NULL, duplex_sender, NULL) == 0);
    unsigned char buf[512];
    uint64_t t0 = lx_now_ns();
    for (uint32_t i = 0; i < DUPLEX; i++) {
        int64_t n = tzchan_linux_recv(pr.a, 3, buf, sizeof buf, 10000);
        CHECK_EQ(n, 4 + i % 400);
        uint32_t v;
        memcpy(&v, buf, 4);
        CHECK_EQ(v, i);
        if (n > 4)
            CHECK_EQ(buf[n - 1], i & 0xff);
    }
    pthread_join(s, NULL);
    pthread_join(e, NULL);
    struct tzchan_linux_stats sa, sb;
    tzchan_linux_get_stats(pr.a, 3, &sa);
    tzchan_linux_get_stats(pr.b, 3, &sb);
    printf("  duplex (send and recv threads on one lane): %d messages each way in %.0f ms, %" PRIu64
           " sleeps, %" PRIu64 " ran a whole slice: ok\n",
           DUPLEX, lx_ms_since(t0), sa.sleeps + sb.sleeps, sa.liveness_checks + sb.liveness_checks);
}

/* ---- signals ---------------------------------------------------------------------------------------------- */
static volatile sig_atomic_t got_signal;
static void on_usr1(int sig)
{
    (void)sig;
    got_signal = 1;
}

static atomic_bool poke_stop;

/* A signal interrupts only a sleep in the kernel (like poll(2)): one that lands while the thread is between two
 * sleeps runs its handler and the call goes on. So poke every 20 ms until the call returns. */
static void *poke(void *p)
{
    usleep(50 * 1000);
    while (!atomic_load(&poke_stop)) {
        pthread_kill(*(pthread_t *)p, SIGUSR1);
        usleep(20 * 1000);
    }
    return NULL;
}

static void signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1; /* no SA_RESTART: the sleep is interrupted */
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
    pthread_t self = pthread_self(), t;
    CHECK(pthread_create(&t, NULL, poke, &self) == 0);
    char buf[64];
    uint64_t t0 = lx_now_ns();
    atomic_store(&poke_stop, false);
    int64_t r = tzchan_linux_recv(pr.a, 0, buf, sizeof buf, 5000);
    atomic_store(&poke_stop, true);
    pthread_join(t, NULL);
    CHECK(got_signal);
    CHECK_EQ(r, TZCHAN_EINTR);
    CHECK(lx_ms_since(t0) < 4000);
    /* nothing was lost: a message sent now arrives whole, and a message queued before a signal too */
    CHECK_EQ(tzchan_linux_send(pr.b, 0, "after", 5, 100), 5);
    CHECK_EQ(tzchan_linux_recv(pr.a, 0, buf, sizeof buf, 100), 5);
    CHECK(memcmp(buf, "after", 5) == 0);
    printf("  a signal interrupts a sleep with TZCHAN_EINTR, nothing lost: ok\n");
}

/* ---- streams and their owner ------------------------------------------------------------------------------- */
#define STREAM (1u << 20)

static void *stream_rx(void *p)
{
    uint64_t *sum = p;
    static unsigned char buf[3000];
    struct lx_sum s;
    lx_sum_init(&s);
    bool eom = false;
    while (!eom) {
        int64_t r = tzchan_linux_recv_some(pr.b, 1, buf, sizeof buf, &eom, 5000);
        CHECK(r >= 0);
        lx_sum_update(&s, buf, (size_t)r);
    }
    *sum = lx_sum_final(&s);
    return NULL;
}

static void *intruder(void *p)
{
    (void)p;
    CHECK_EQ(tzchan_linux_send_some(pr.a, 1, "x", 1, 0), TZCHAN_EINVAL);
    CHECK_EQ(tzchan_linux_send_end(pr.a, 1, 0), TZCHAN_EINVAL);
    CHECK_EQ(tzchan_linux_send(pr.a, 1, "x", 1, 0), TZCHAN_EINVAL);
    return NULL;
}

static void streams(void)
{
    static unsigned char data[STREAM];
    lx_pattern(data, sizeof data, 7, 0);
    struct lx_sum s;
    lx_sum_init(&s);
    lx_sum_update(&s, data, sizeof data);
    uint64_t want = lx_sum_final(&s), got = 0;
    pthread_t t, in;
    CHECK(pthread_create(&t, NULL, stream_rx, &got) == 0);
    CHECK_EQ(tzchan_linux_send_begin(pr.a, 1, sizeof data), 0);
    CHECK(pthread_create(&in, NULL, intruder, NULL) == 0);
    pthread_join(in, NULL);
    for (size_t off = 0; off < sizeof data; off += 100000) {
        size_t n = sizeof data - off < 100000 ? sizeof data - off : 100000;
        CHECK_EQ(tzchan_linux_send_some(pr.a, 1, data + off, n, 5000), (int64_t)n);
    }
    CHECK_EQ(tzchan_linux_send_end(pr.a, 1, 5000), 0);
    pthread_join(t, NULL);
    CHECK(got == want);
    printf("  1 MiB stream through a 4 KiB ring, checksum verified; other threads kept out: ok\n");
}

/* ---- event loop hooks (eventfd mode) ----------------------------------------------------------------------- */
static void *late_send(void *p)
{
    (void)p;
    usleep(30 * 1000);
    CHECK_EQ(tzchan_linux_send(pr.b, 0, "evt", 3, 1000), 3);
    return NULL;
}

static void event_loop(void)
{
    int fd = tzchan_linux_fd(pr.a, 0);
    CHECK(fd >= 0);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, late_send, NULL) == 0);
    struct tzchan *ch = tzchan_linux_endpoint(pr.a, 0);
    char buf[16];
    int64_t r;
    int polls = 0;
    while ((r = tzchan_recv(ch, buf, sizeof buf)) == TZCHAN_EAGAIN) {
        int a = tzchan_linux_arm(pr.a, 0, TZCHAN_WAIT_DATA);
        CHECK(a >= 0);
        if (a == 0) {
            struct pollfd p[2] = {{.fd = fd, .events = POLLIN},
                                  {.fd = tzchan_linux_socket(pr.a), .events = POLLIN}};
            CHECK(poll(p, 2, 2000) > 0);
            CHECK(p[0].revents & POLLIN);
            CHECK_EQ(p[1].revents, 0);
            polls++;
        }
        tzchan_linux_disarm(pr.a, 0);
    }
    pthread_join(t, NULL);
    CHECK_EQ(r, 3);
    CHECK(polls >= 1);
    printf("  event loop: arm, poll(fd), disarm, recv: ok\n");
}

/* ---- the peer closes ---------------------------------------------------------------------------------------- */
static void *closer(void *p)
{
    (void)p;
    usleep(50 * 1000);
    CHECK_EQ(tzchan_linux_send(pr.b, 0, "last", 4, 100), 4);
    tzchan_linux_close(pr.b);
    return NULL;
}

static void peer_closes(void)
{
    pthread_t t;
    CHECK(pthread_create(&t, NULL, closer, NULL) == 0);
    char buf[16];
    CHECK_EQ(tzchan_linux_recv(pr.a, 0, buf, sizeof buf, 5000), 4); /* what was sent before the close arrives */
    uint64_t t0 = lx_now_ns();
    CHECK_EQ(tzchan_linux_recv(pr.a, 0, buf, sizeof buf, 5000), TZCHAN_EPIPE);
    double ms = lx_ms_since(t0);
    pthread_join(t, NULL);
    CHECK_EQ(tzchan_linux_send(pr.a, 1, "x", 1, 5000), TZCHAN_EPIPE);
    CHECK(tzchan_linux_peer_gone(pr.a));
    CHECK(ms < 2000);
    printf("  peer closed: receive drained then EPIPE (%.1f ms), send EPIPE: ok\n", ms);
    tzchan_linux_close(pr.a);
}

int main(void)
{
    for (int mode = 0; mode < 2; mode++) {
        printf("test_blocking: %s doorbells\n", mode ? "eventfd" : "futex");
        lx_pair_open(&pr, 4, RING, mode == 1);
        timeouts();
        blocked_sender_wakes();
        ping_pong();
        duplex();
        signals();
        streams();
        if (mode == 1)
            event_loop();
        peer_closes();
    }
    printf("test_blocking: ok\n");
    return T_EXIT_PASS;
}
