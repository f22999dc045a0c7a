/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * An epoll event loop serving several lanes: the server process puts every lane's doorbell fd (pollable mode,
 * cfg.eventfd: the name is kept for source compatibility, the fd is our end of the lane's unix socketpair) and
 * the liveness socket into one epoll set and answers requests with the non-blocking core calls; it never blocks
 * in tzchan and never busy-waits. The client process runs one thread per lane with the blocking calls.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <tzchan/linux.h>

#define LANES 4
#define REQUESTS 2000

static int serve(struct tzchan_linux *l)
{
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN};
    for (uint32_t i = 0; i < LANES; i++) {
        ev.data.u32 = i;
        epoll_ctl(ep, EPOLL_CTL_ADD, tzchan_linux_fd(l, i), &ev);
    }
    ev.data.u32 = UINT32_MAX; /* the liveness socket: the peer went away */
    epoll_ctl(ep, EPOLL_CTL_ADD, tzchan_linux_socket(l), &ev);
    uint64_t served = 0;
    for (;;) {
        /* drain every lane with non-blocking calls, then arm the ones that are idle */
        int armed = 0;
        for (uint32_t i = 0; i < LANES; i++) {
            struct tzchan *ch = tzchan_linux_endpoint(l, i);
            uint32_t req;
            int64_t n;
            while ((n = tzchan_recv(ch, &req, sizeof req)) == (int64_t)sizeof req) {
                uint32_t answer = req * 2 + 1;
                if (tzchan_send(ch, &answer, sizeof answer) != (int64_t)sizeof answer)
                    return 1; /* the client waits for each answer, so there is always room */
                served++;
            }
            if (n == TZCHAN_EPIPE)
                continue;
            if (n != TZCHAN_EAGAIN)
                return 1;
            int r = tzchan_linux_arm(l, i, TZCHAN_WAIT_DATA);
            if (r == 0)
                armed++;
            else if (r == 1)
                tzchan_linux_disarm(l, i); /* data arrived meanwhile: next round picks it up */
        }
        if (tzchan_linux_peer_gone(l))
            break;
        if (armed == 0)
            continue;
        struct epoll_event got[LANES + 1];
        int k = epoll_wait(ep, got, LANES + 1, 1000);
        for (int j = 0; j < k; j++)
            if (got[j].data.u32 != UINT32_MAX)
                tzchan_linux_disarm(l, got[j].data.u32);
        for (uint32_t i = 0; i < LANES; i++) /* lanes that did not fire stay armed: withdraw before draining */
            tzchan_linux_disarm(l, i);
    }
    printf("server: %llu requests answered on %d lanes from one epoll loop\n", (unsigned long long)served, LANES);
    close(ep);
    return served == (uint64_t)LANES * REQUESTS ? 0 : 1;
}

static struct tzchan_linux *client;
static void *client_lane(void *arg)
{
    uint32_t lane = (uint32_t)(uintptr_t)arg;
    for (uint32_t i = 0; i < REQUESTS; i++) {
        uint32_t req = i + lane * 100000u, ans = 0;
        if (tzchan_linux_send(client, lane, &req, sizeof req, 5000) != (int64_t)sizeof req ||
            tzchan_linux_recv(client, lane, &ans, sizeof ans, 5000) != (int64_t)sizeof ans || ans != req * 2 + 1)
            return (void *)1;
    }
    return NULL;
}

int main(void)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
        return 1;
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        struct tzchan_linux *l;
        if (tzchan_linux_accept(&l, sv[1], NULL, 5000, NULL) != 0)
            _exit(1);
        int rc = serve(l);
        tzchan_linux_close(l);
        fflush(stdout); /* _exit does not flush stdio */
        _exit(rc);
    }
    close(sv[1]);
    struct tzchan_linux_config cfg = {.lanes = LANES, .ring_bytes = 4096, .eventfd = true};
    if (tzchan_linux_create(&client, sv[0], &cfg, 5000, NULL) != 0)
        return 1;
    pthread_t t[LANES];
    for (uintptr_t i = 0; i < LANES; i++)
        pthread_create(&t[i], NULL, client_lane, (void *)i);
    int bad = 0;
    for (int i = 0; i < LANES; i++) {
        void *rc;
        pthread_join(t[i], &rc);
        bad += rc != NULL;
    }
    printf("client: %d lanes x %d requests, %d lanes failed\n", LANES, REQUESTS, bad);
    tzchan_linux_close(client); /* the server sees the peer gone and ends */
    int status;
    waitpid(pid, &status, 0);
    return bad == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
