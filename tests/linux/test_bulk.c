/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * 1 GiB between two processes on two lanes at once: a forked acceptor receives on both lanes in two threads,
 * checksums every byte and answers each message with its length and checksum; the creator streams 512 MiB per
 * lane (messages of declared and of unknown length, 64 KiB rings) in two threads and verifies every answer.
 * Usage: test_bulk [MiB per lane] (default 512).
 */
#include "lx.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#define RING (64u * 1024u)
#define LANES 2u
#define MSGS 4u

struct answer {
    uint64_t len, sum;
};

static uint64_t per_lane = 512ull << 20;

/* ---- the acceptor (child process) ---------------------------------------------------------------------- */
static struct tzchan_linux *B;

static void *rx_lane(void *p)
{
    uint32_t lane = (uint32_t)(uintptr_t)p;
    unsigned char *buf = malloc(RING);
    CHECK(buf != NULL);
    for (;;) {
        struct lx_sum s;
        lx_sum_init(&s);
        bool eom = false;
        while (!eom) {
            int64_t r = tzchan_linux_recv_some(B, lane, buf, RING, &eom, -1);
            if (r == TZCHAN_EPIPE && s.len == 0)
                return NULL; /* the creator is done and closed */
            CHECK(r >= 0);
            lx_sum_update(&s, buf, (size_t)r);
        }
        struct answer a = {s.len, lx_sum_final(&s)};
        CHECK_EQ(tzchan_linux_send(B, lane, &a, sizeof a, 10000), sizeof a);
    }
}

static void acceptor(int sock)
{
    CHECK_EQ(tzchan_linux_accept(&B, sock, NULL, 5000, NULL), 0);
    pthread_t t[LANES];
    for (uint32_t i = 0; i < LANES; i++)
        CHECK(pthread_create(&t[i], NULL, rx_lane, (void *)(uintptr_t)i) == 0);
    for (uint32_t i = 0; i < LANES; i++)
        pthread_join(t[i], NULL);
    tzchan_linux_close(B);
}

/* ---- the creator (parent) ------------------------------------------------------------------------------ */
static struct tzchan_linux *A;

static void *tx_lane(void *p)
{
    uint32_t lane = (uint32_t)(uintptr_t)p;
    size_t chunk = 256u * 1024u;
    unsigned char *buf = malloc(chunk);
    CHECK(buf != NULL);
    uint64_t msg_len = per_lane / MSGS;
    for (uint32_t m = 0; m < MSGS; m++) {
        bool declared = (m & 1) == 0;
        uint64_t seed = lane * 100u + m;
        CHECK_EQ(tzchan_linux_send_begin(A, lane, declared ? msg_len : TZCHAN_LEN_UNKNOWN), 0);
        struct lx_sum s;
        lx_sum_init(&s);
        for (uint64_t at = 0; at < msg_len; at += chunk) {
            size_t n = msg_len - at < chunk ? (size_t)(msg_len - at) : chunk;
            lx_pattern(buf, n, seed, at);
            lx_sum_update(&s, buf, n);
            CHECK_EQ(tzchan_linux_send_some(A, lane, buf, n, 10000), (int64_t)n);
        }
        CHECK_EQ(tzchan_linux_send_end(A, lane, 10000), 0);
        struct answer a;
        CHECK_EQ(tzchan_linux_recv(A, lane, &a, sizeof a, 10000), sizeof a);
        CHECK_EQ(a.len, msg_len);
        CHECK(a.sum == lx_sum_final(&s));
    }
    free(buf);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        per_lane = strtoull(argv[1], NULL, 0) << 20;
    signal(SIGPIPE, SIG_IGN);
    int sock;
    pid_t pid = lx_fork_peer(&sock);
    if (pid == 0) {
        acceptor(sock);
        _exit(0);
    }
    struct tzchan_linux_config cfg = {.lanes = LANES, .ring_bytes = RING};
    CHECK_EQ(tzchan_linux_create(&A, sock, &cfg, 5000, NULL), 0);
    uint64_t t0 = lx_now_ns();
    pthread_t t[LANES];
    for (uint32_t i = 0; i < LANES; i++)
        CHECK(pthread_create(&t[i], NULL, tx_lane, (void *)(uintptr_t)i) == 0);
    for (uint32_t i = 0; i < LANES; i++)
        pthread_join(t[i], NULL);
    double s = (double)(lx_now_ns() - t0) / 1e9;
    uint64_t rings = 0, sleeps = 0, slices = 0;
    for (uint32_t i = 0; i < LANES; i++) {
        struct tzchan_linux_stats st;
        tzchan_linux_get_stats(A, i, &st);
        rings += st.core.doorbells;
        sleeps += st.sleeps;
        slices += st.liveness_checks;
    }
    tzchan_linux_close(A);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    double mib = (double)(per_lane * LANES) / 1048576.0;
    printf("test_bulk: %.0f MiB over %u lanes between two processes in %.2f s (%.0f MiB/s), every message "
           "verified; creator rang %" PRIu64 " doorbells, slept %" PRIu64 " times (%" PRIu64 " slices ran out)\n",
           mib, LANES, s, mib / s, rings, sleeps, slices);
    return T_EXIT_PASS;
}
