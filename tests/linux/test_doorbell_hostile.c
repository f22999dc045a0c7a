/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A peer must not be able to make a doorbell operation block: in pollable-doorbell mode (cfg.eventfd) the peer
 * holds the other end of every doorbell we ring or drain, and anything it can set on a shared file description
 * (O_NONBLOCK, a counter, a queue) is its to set. Each scenario below opens a fresh pair in this process and then
 * plays the creator (side A) as a hostile peer, using only what a peer holds: its doorbell fds and copies of the
 * ones it handed over. Side B must keep every timeout.
 *
 *  - filler: the peer clears O_NONBLOCK on every doorbell description and fills the doorbell that B rings (for
 *    an eventfd: its counter to 0xfffffffffffffffe; for a socket: its queue), then announces it waits for data.
 *    B sends one message with a 200 ms timeout (the core rings the peer inside that call, under the lane mutex),
 *    while a second thread of B receives on the same lane with a 200 ms timeout. Both must return in time.
 *  - drainer: the peer clears O_NONBLOCK on B's doorbell and empties it; B arms and disarms (disarm drains the
 *    doorbell). Disarm must return.
 *  - stealer: a peer thread sits in a blocking read() on B's doorbell and so eats rings meant for B; 100 times,
 *    B receives with a 500 ms timeout while the peer sends a message. Each receive must return the message.
 *
 * Every call is watched: one still running 5 s past its timeout fails the test (a hang detector with generous
 * slack, not a speed check).
 * Mutants killed: an eventfd write() to ring the peer, or a read() to drain our doorbell, that relies on the
 * shared O_NONBLOCK (the port before its doorbells became sockets used with MSG_DONTWAIT): the filler's send and
 * the second thread's receive (blocked on the lane mutex) hang; the drainer's disarm hangs; a stealer round hangs
 * when the peer wins the race for a ring.
 */
#include "lx.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>

#define TIMEOUT_MS 200
#define SLACK_MS 5000
#define ROUNDS 100 /* stealer rounds: the old port hung in each of 4 trial runs (with 20, in 1 of 2) */

static bool is_eventfd(int fd)
{
    char path[64], link[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, link, sizeof link - 1);
    if (n < 0)
        return false;
    link[n] = 0;
    return strcmp(link, "anon_inode:[eventfd]") == 0;
}

static void set_nonblock(int fd, bool on)
{
    int fl = fcntl(fd, F_GETFL);
    CHECK(fl >= 0);
    CHECK(fcntl(fd, F_SETFL, on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK)) == 0);
}

/* empties a doorbell (eventfd counter or socket queue) */
static void drain(int fd)
{
    set_nonblock(fd, true);
    unsigned char buf[4096];
    while (read(fd, buf, sizeof buf) > 0) {
    }
}

/* The doorbell B rings is A's: fill it as far as it goes. */
static void fill_ring_target(int a_fd, int b_fd)
{
    if (is_eventfd(a_fd)) {
        drain(a_fd);
        uint64_t v = 0xfffffffffffffffeull; /* the counter's maximum: any further write must wait */
        CHECK(write(a_fd, &v, sizeof v) == (ssize_t)sizeof v);
    } else {
        unsigned char b = 1; /* B's end sends into A's queue: fill that queue */
        while (send(b_fd, &b, 1, MSG_DONTWAIT) == 1) {
        }
    }
}

static struct lx_pair pr;
static int64_t t2_rc;

static void *second_receiver(void *p)
{
    (void)p;
    usleep(20 * 1000); /* let the send take the lane first */
    char buf[16];
    lx_watch_begin(1, TIMEOUT_MS + SLACK_MS, "B: a second thread's recv(200 ms) on the lane");
    t2_rc = tzchan_linux_recv(pr.b, 0, buf, sizeof buf, TIMEOUT_MS);
    lx_watch_end(1);
    return NULL;
}

static void filler(void)
{
    lx_pair_open(&pr, 1, 4096, true);
    int a_fd = tzchan_linux_fd(pr.a, 0), b_fd = tzchan_linux_fd(pr.b, 0);
    CHECK(a_fd >= 0 && b_fd >= 0);
    fill_ring_target(a_fd, b_fd);
    set_nonblock(a_fd, false);
    set_nonblock(b_fd, false);
    CHECK_EQ(tzchan_linux_arm(pr.a, 0, TZCHAN_WAIT_DATA), 0); /* the peer says it waits: B will ring */
    pthread_t t;
    CHECK(pthread_create(&t, NULL, second_receiver, NULL) == 0);
    lx_watch_begin(0, TIMEOUT_MS + SLACK_MS, "B: send(200 ms) that rings a filled, blocking doorbell");
    uint64_t t0 = lx_now_ns();
    int64_t r = tzchan_linux_send(pr.b, 0, "x", 1, TIMEOUT_MS);
    double ms = lx_ms_since(t0);
    lx_watch_end(0);
    pthread_join(t, NULL);
    printf("  filler: send -> %" PRId64 " in %.1f ms; second thread's recv -> %s\n", r, ms,
           tzchan_strerror((int)t2_rc));
    CHECK_EQ(r, 1);
    CHECK_EQ(t2_rc, TZCHAN_ETIMEDOUT);
    tzchan_linux_close(pr.a);
    tzchan_linux_close(pr.b);
}

static void drainer(void)
{
    lx_pair_open(&pr, 1, 4096, true);
    int b_fd = tzchan_linux_fd(pr.b, 0);
    drain(b_fd);
    set_nonblock(b_fd, false);
    CHECK_EQ(tzchan_linux_arm(pr.b, 0, TZCHAN_WAIT_DATA), 0);
    lx_watch_begin(0, SLACK_MS, "B: disarm of an emptied, blocking doorbell");
    uint64_t t0 = lx_now_ns();
    tzchan_linux_disarm(pr.b, 0);
    double ms = lx_ms_since(t0);
    lx_watch_end(0);
    /* and a blocking receive on that lane still keeps its timeout */
    char buf[16];
    lx_watch_begin(0, TIMEOUT_MS + SLACK_MS, "B: recv(200 ms) after the drain");
    int64_t r = tzchan_linux_recv(pr.b, 0, buf, sizeof buf, TIMEOUT_MS);
    lx_watch_end(0);
    printf("  drainer: disarm returned in %.2f ms; recv -> %s\n", ms, tzchan_strerror((int)r));
    CHECK_EQ(r, TZCHAN_ETIMEDOUT);
    tzchan_linux_close(pr.a);
    tzchan_linux_close(pr.b);
}

static void *thief(void *p)
{
    int fd = (int)(intptr_t)p;
    unsigned char buf[64];
    for (;;)
        if (read(fd, buf, sizeof buf) < 0 && errno != EINTR && errno != EAGAIN)
            break;
    return NULL;
}

static void *late_sender(void *p)
{
    (void)p;
    usleep(5 * 1000);
    CHECK_EQ(tzchan_linux_send(pr.a, 0, "msg", 3, 1000), 3);
    return NULL;
}

static void stealer(void)
{
    lx_pair_open(&pr, 1, 4096, true);
    int b_fd = tzchan_linux_fd(pr.b, 0);
    int copy = dup(b_fd); /* the peer's copy of B's doorbell (it made it, or shares its description) */
    CHECK(copy >= 0);
    set_nonblock(copy, false);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, thief, (void *)(intptr_t)copy) == 0);
    pthread_detach(th); /* it stays blocked in read() until the process ends */
    double worst = 0;
    for (int i = 0; i < ROUNDS; i++) {
        pthread_t t;
        CHECK(pthread_create(&t, NULL, late_sender, NULL) == 0);
        char buf[16];
        lx_watch_begin(0, 500 + SLACK_MS, "B: recv(500 ms) while the peer steals rings");
        uint64_t t0 = lx_now_ns();
        int64_t r = tzchan_linux_recv(pr.b, 0, buf, sizeof buf, 500);
        double ms = lx_ms_since(t0);
        lx_watch_end(0);
        pthread_join(t, NULL);
        if (ms > worst)
            worst = ms;
        CHECK_EQ(r, 3);
    }
    printf("  stealer: %d receives while the peer eats rings, all delivered, longest %.1f ms\n", ROUNDS, worst);
    /* the thief keeps its copy; B's connection is left open so the thief never reads a closed fd's number */
}

/* arguments: the scenarios to run (filler, drainer, stealer); none = all */
static bool want(int argc, char **argv, const char *name)
{
    if (argc < 2)
        return true;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return true;
    return false;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    printf("test_doorbell_hostile\n");
    lx_watchdog_start();
    if (want(argc, argv, "filler"))
        filler();
    if (want(argc, argv, "drainer"))
        drainer();
    if (want(argc, argv, "stealer"))
        stealer();
    printf("test_doorbell_hostile: ok\n");
    fflush(stdout);
    _exit(T_EXIT_PASS); /* the thief is still blocked in read() */
}
