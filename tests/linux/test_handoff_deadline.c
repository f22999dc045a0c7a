/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The hand-off calls keep their timeouts even when the other side stops reading.
 *
 *  - acceptor: a creator sends hello after hello (garbage, so each is refused) and never reads an answer. The
 *    answers pile up until the socket's send buffer is full; from then on each accept must give up on its
 *    answer when its timeout is spent (TZCHAN_ETIMEDOUT) instead of blocking in sendmsg.
 *  - creator: an acceptor that never reads lets the creator's send buffer fill; tzchan_linux_create must return
 *    TZCHAN_ETIMEDOUT within its timeout instead of blocking in sendmsg with the hello.
 *
 * Every call is watched: one that is still running 5 s past its 200 ms timeout fails the test (a hang
 * detector with generous slack, not a speed check).
 * Mutant killed: "sendmsg without MSG_DONTWAIT / without waiting for room against the deadline" in send_msg
 * (the pre-fix blocking send): the watchdog reports the accept (or create) still blocked and exits 1.
 */
#include "lx.h"

#include <poll.h>
#include <signal.h>

#define TIMEOUT_MS 200
#define LIMIT_MS (TIMEOUT_MS + 5000)

static void acceptor_side(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
    int small = 1; /* the kernel rounds it up to its minimum: a few answers fill it */
    CHECK(setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &small, sizeof small) == 0);
    const char garbage[] = "not a hello";
    int answered = 0, timed_out = 0;
    double worst = 0;
    for (int i = 0; i < 10000 && timed_out < 3; i++) {
        CHECK(send(sv[0], garbage, sizeof garbage, MSG_DONTWAIT) == (ssize_t)sizeof garbage);
        struct tzchan_linux *l = NULL;
        unsigned why = 0;
        lx_watch_begin(0, LIMIT_MS, "tzchan_linux_accept (creator never reads its answers)");
        uint64_t t0 = lx_now_ns();
        int rc = tzchan_linux_accept(&l, sv[1], NULL, TIMEOUT_MS, &why);
        double ms = lx_ms_since(t0);
        lx_watch_end(0);
        if (ms > worst)
            worst = ms;
        CHECK(ms < LIMIT_MS);
        if (rc == TZCHAN_EPROTO) {
            CHECK_EQ(why, TZCHAN_LINUX_R_MALFORMED);
            answered++;
        } else {
            CHECK_EQ(rc, TZCHAN_ETIMEDOUT); /* the refusal could not be delivered in time */
            timed_out++;
        }
    }
    printf("  acceptor: %d refusals sent, then %d accepts gave up on their answer; longest %.1f ms (timeout %d)\n",
           answered, timed_out, worst, TIMEOUT_MS);
    CHECK(timed_out == 3); /* the buffer did fill: the case was really exercised */
    close(sv[0]);
    close(sv[1]);
}

static void creator_side(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
    int small = 1;
    CHECK(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small) == 0);
    /* fill the creator's send buffer: the acceptor (sv[1]) never reads */
    char junk[256] = {0};
    int queued = 0;
    while (send(sv[0], junk, sizeof junk, MSG_DONTWAIT) == (ssize_t)sizeof junk)
        queued++;
    CHECK(errno == EAGAIN || errno == EWOULDBLOCK);
    struct tzchan_linux *l = NULL;
    struct tzchan_linux_config cfg = {.lanes = 1, .ring_bytes = 4096};
    lx_watch_begin(0, LIMIT_MS, "tzchan_linux_create (acceptor never reads)");
    uint64_t t0 = lx_now_ns();
    int rc = tzchan_linux_create(&l, sv[0], &cfg, TIMEOUT_MS, NULL);
    double ms = lx_ms_since(t0);
    lx_watch_end(0);
    printf("  creator: send buffer full (%d messages queued), create returned %d (%s) after %.1f ms (timeout %d)\n",
           queued, rc, tzchan_strerror(rc), ms, TIMEOUT_MS);
    CHECK_EQ(rc, TZCHAN_ETIMEDOUT);
    CHECK(ms < LIMIT_MS);
    close(sv[0]);
    close(sv[1]);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    printf("test_handoff_deadline\n");
    lx_watchdog_start();
    acceptor_side();
    creator_side();
    printf("test_handoff_deadline: ok\n");
    return T_EXIT_PASS;
}
