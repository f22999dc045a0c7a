/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A hostile creator: after a valid hand-off it writes random garbage over the whole region (header, indices,
 * doorbell words, data) for a while, then exits. Meanwhile this side is blocked in receive and send calls on
 * every lane, in futex and in eventfd mode. Every call must come back (data, TZCHAN_EPROTO once the garbage is
 * noticed, or TZCHAN_EPIPE once the creator is gone): no crash, no hang, no read or write outside the region
 * (run it under ASan to see the last). The calls use no timeout, so a hang would show as the test's timeout.
 */
#include "lx.h"

#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define LANES 3u
#define RING 4096u

static void scribbler(int sock, bool evfd)
{
    size_t size = tzchan_region_size(LANES, RING);
    int fd = memfd_create("hostile", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0 || ftruncate(fd, (off_t)size) != 0 ||
        fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0)
        _exit(3);
    unsigned char *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED || tzchan_region_init(m, size, LANES, RING) != 0)
        _exit(3);
    struct tzchan_linux_hello h;
    memset(&h, 0, sizeof h);
    h.magic = TZCHAN_LINUX_HELLO_MAGIC;
    h.version = TZCHAN_LINUX_HANDOFF_VERSION;
    h.lanes = LANES;
    h.ring_bytes = RING;
    h.region_bytes = size;
    int fds[1 + LANES] = {fd};
    h.nfds = 1;
    if (evfd) {
        h.flags = TZCHAN_LINUX_HELLO_EVENTFD;
        h.nfds = 1 + LANES;
        for (unsigned i = 0; i < LANES; i++) {
            int sp[2]; /* a doorbell socketpair: the victim gets one end; the scribbler keeps the other open */
            if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0)
                _exit(3);
            fds[1 + i] = sp[1];
        }
    }
    if (lx_send_raw(sock, &h, sizeof h, fds, (int)h.nfds) != 0 || lx_read_answer(sock) != 0)
        _exit(4);
    /* let the victim block first, then scribble: random words at random places, now and then a plausible
     * record header or index, for 400 ms */
    usleep(50 * 1000);
    uint64_t seed = (uint64_t)getpid();
    uint64_t t0 = lx_now_ns();
    while (lx_now_ns() - t0 < 400ull * 1000 * 1000) {
        for (int i = 0; i < 1000; i++) {
            uint64_t r = t_rand(&seed);
            size_t off = (size_t)(r % (size / 4)) * 4;
            uint32_t v = (uint32_t)(r >> 32);
            switch (r & 3) {
            case 0: v &= 0xfff; break;                  /* small: plausible lengths and indices */
            case 1: v = (uint32_t)(r >> 40) & 7; break; /* flags-like */
            default: break;
            }
            __atomic_store_n((uint32_t *)(void *)(m + off), v, __ATOMIC_RELAXED);
        }
    }
    _exit(0);
}

static struct tzchan_linux *V;
static _Atomic int returned, saw_proto, saw_pipe;

static void *victim_recv(void *p)
{
    uint32_t lane = (uint32_t)(uintptr_t)p;
    unsigned char buf[RING];
    for (;;) {
        bool eom;
        int64_t r = (lane & 1) ? tzchan_linux_recv_some(V, lane, buf, sizeof buf, &eom, -1)
                               : tzchan_linux_recv(V, lane, buf, sizeof buf, -1);
        if (r == TZCHAN_EPROTO || r == TZCHAN_EPIPE) {
            atomic_fetch_add(r == TZCHAN_EPROTO ? &saw_proto : &saw_pipe, 1);
            break;
        }
        CHECK(r >= 0 || r == TZCHAN_EMSGSIZE || r == TZCHAN_EINVAL); /* garbage may look like anything */
        if (r == TZCHAN_EMSGSIZE || r == TZCHAN_EINVAL)
            usleep(1000); /* nothing will change by retrying at once */
    }
    atomic_fetch_add(&returned, 1);
    return NULL;
}

static void *victim_send(void *p)
{
    uint32_t lane = (uint32_t)(uintptr_t)p;
    unsigned char buf[512] = {0};
    for (;;) {
        int64_t r = tzchan_linux_send(V, lane, buf, sizeof buf, -1);
        if (r == TZCHAN_EPROTO || r == TZCHAN_EPIPE) {
            atomic_fetch_add(r == TZCHAN_EPROTO ? &saw_proto : &saw_pipe, 1);
            break;
        }
        CHECK_EQ(r, (int64_t)sizeof buf);
    }
    atomic_fetch_add(&returned, 1);
    return NULL;
}

static void run(bool evfd)
{
    int sock;
    pid_t pid = lx_fork_peer(&sock);
    if (pid == 0)
        scribbler(sock, evfd);
    CHECK_EQ(tzchan_linux_accept(&V, sock, NULL, 5000, NULL), 0);
    atomic_store(&returned, 0);
    atomic_store(&saw_proto, 0);
    atomic_store(&saw_pipe, 0);
    pthread_t t[2 * LANES];
    uint64_t t0 = lx_now_ns();
    for (uint32_t i = 0; i < LANES; i++) {
        CHECK(pthread_create(&t[2 * i], NULL, victim_recv, (void *)(uintptr_t)i) == 0);
        CHECK(pthread_create(&t[2 * i + 1], NULL, victim_send, (void *)(uintptr_t)i) == 0);
    }
    for (uint32_t i = 0; i < 2 * LANES; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ(atomic_load(&returned), 2 * LANES);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    printf("  %s: %u receivers and %u senders blocked under a scribbling peer all returned within %.0f ms "
           "(%d with EPROTO, %d with EPIPE)\n",
           evfd ? "eventfd" : "futex", LANES, LANES, lx_ms_since(t0), atomic_load(&saw_proto),
           atomic_load(&saw_pipe));
    tzchan_linux_close(V);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    printf("test_hostile_peer\n");
    run(false);
    run(true);
    printf("test_hostile_peer: ok\n");
    return T_EXIT_PASS;
}
