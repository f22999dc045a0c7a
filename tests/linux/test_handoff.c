/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The hand-off: the acceptor refuses every kind of bad registration with the right reason (garbage on the socket,
 * bad magic or version, an unsealed memfd, a memfd of the wrong size, a file that is not a memfd, geometry
 * outside its limits, wrong fd counts, a region whose contents are not a tzchan region, eventfd mode it does not
 * allow), sends the refusal back, and still accepts a good registration on the same socket afterwards; a good
 * registration works in futex and eventfd modes and over a socket path; the creator refuses a malformed answer.
 */
#include "lx.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>

static int sv[2];

/* a memfd of `size` bytes laid out as a region (lanes, ring), sealed with `seals` */
static int make_memfd(size_t size, uint32_t lanes, uint32_t ring, int seals)
{
    int fd = memfd_create("test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    CHECK(fd >= 0);
    CHECK(ftruncate(fd, (off_t)size) == 0);
    size_t rs = tzchan_region_size(lanes, ring);
    if (rs != 0 && rs <= size) {
        void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        CHECK(m != MAP_FAILED);
        CHECK_EQ(tzchan_region_init(m, size, lanes, ring), 0);
        munmap(m, size);
    }
    if (seals)
        CHECK(fcntl(fd, F_ADD_SEALS, seals) == 0);
    return fd;
}

#define SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

/* sends (buf, fds) as the creator, runs the acceptor, checks it refused with `want` on both ends */
static void expect_refusal(const char *what, const void *buf, size_t len, const int *fds, int nfds,
                           const struct tzchan_linux_limits *lim, unsigned want)
{
    CHECK(lx_send_raw(sv[0], buf, len, fds, nfds) == 0);
    struct tzchan_linux *l = NULL;
    unsigned reason = 0;
    int rc = tzchan_linux_accept(&l, sv[1], lim, 2000, &reason);
    int seen = lx_read_answer(sv[0]);
    printf("  %-44s -> %s (%u: %s)\n", what, rc == 0 ? "ACCEPTED" : "refused", reason,
           tzchan_linux_reason_str(reason));
    CHECK_EQ(rc, TZCHAN_EPROTO);
    CHECK(l == NULL);
    CHECK_EQ(reason, want);
    CHECK_EQ(seen, (int)want);
}

static void refusals(void)
{
    const uint32_t lanes = 2, ring = 4096;
    size_t size = tzchan_region_size(lanes, ring);
    struct tzchan_linux_hello h = lx_hello(lanes, ring);
    int good = make_memfd(size, lanes, ring, SEALS);

    const char garbage[] = "GET / HTTP/1.1\r\n\r\n";
    expect_refusal("garbage bytes, no fd", garbage, sizeof garbage, NULL, 0, NULL, TZCHAN_LINUX_R_MALFORMED);
    expect_refusal("garbage bytes with an fd", garbage, sizeof garbage, &good, 1, NULL, TZCHAN_LINUX_R_MALFORMED);
    expect_refusal("hello with no fd", &h, sizeof h, NULL, 0, NULL, TZCHAN_LINUX_R_MALFORMED);
    int two[2] = {good, good};
    expect_refusal("hello with two fds, one announced", &h, sizeof h, two, 2, NULL, TZCHAN_LINUX_R_MALFORMED);
    unsigned char longer[sizeof h + 8];
    memset(longer, 0, sizeof longer);
    memcpy(longer, &h, sizeof h);
    expect_refusal("hello 8 bytes too long", longer, sizeof longer, &good, 1, NULL, TZCHAN_LINUX_R_MALFORMED);
    struct tzchan_linux_hello x = h;
    x.magic ^= 1;
    expect_refusal("bad magic", &x, sizeof x, &good, 1, NULL, TZCHAN_LINUX_R_MALFORMED);
    x = h;
    x.reserved[3] = 1;
    expect_refusal("reserved field set", &x, sizeof x, &good, 1, NULL, TZCHAN_LINUX_R_MALFORMED);
    x = h;
    x.flags = 0x80;
    expect_refusal("unknown flag", &x, sizeof x, &good, 1, NULL, TZCHAN_LINUX_R_MALFORMED);
    x = h;
    x.version = TZCHAN_LINUX_HANDOFF_VERSION + 1;
    expect_refusal("a later hand-off version", &x, sizeof x, &good, 1, NULL, TZCHAN_LINUX_R_VERSION);

    int unsealed = make_memfd(size, lanes, ring, 0);
    expect_refusal("unsealed memfd", &h, sizeof h, &unsealed, 1, NULL, TZCHAN_LINUX_R_NOT_SEALED);
    int half = make_memfd(size, lanes, ring, F_SEAL_GROW | F_SEAL_SEAL);
    expect_refusal("memfd without F_SEAL_SHRINK", &h, sizeof h, &half, 1, NULL, TZCHAN_LINUX_R_NOT_SEALED);
    int noseal = memfd_create("noseal", MFD_CLOEXEC); /* sealing not allowed at all */
    CHECK(noseal >= 0 && ftruncate(noseal, (off_t)size) == 0);
    expect_refusal("memfd created without sealing", &h, sizeof h, &noseal, 1, NULL, TZCHAN_LINUX_R_NOT_SEALED);
    int wseal = make_memfd(size, lanes, ring, SEALS | F_SEAL_WRITE);
    expect_refusal("write-sealed memfd", &h, sizeof h, &wseal, 1, NULL, TZCHAN_LINUX_R_NOT_SEALED);
    int bigger = make_memfd(size + 4096, lanes, ring, SEALS);
    expect_refusal("sealed memfd one page too big", &h, sizeof h, &bigger, 1, NULL, TZCHAN_LINUX_R_SIZE);
    int smaller = make_memfd(size - 64, lanes, ring, SEALS);
    expect_refusal("sealed memfd 64 bytes too small", &h, sizeof h, &smaller, 1, NULL, TZCHAN_LINUX_R_SIZE);
    x = h;
    x.region_bytes += 64;
    expect_refusal("region_bytes not the geometry's", &x, sizeof x, &good, 1, NULL, TZCHAN_LINUX_R_SIZE);

    /* a sealed hugetlbfs memfd: refused whatever its size (a hole punched in it can SIGBUS us later) */
    int huge = memfd_create("huge", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB);
    if (huge >= 0 && ftruncate(huge, 2 << 20) == 0 && fcntl(huge, F_ADD_SEALS, SEALS) == 0)
        expect_refusal("sealed hugetlbfs memfd", &h, sizeof h, &huge, 1, NULL, TZCHAN_LINUX_R_NOT_MEMFD);
    else
        printf("  %-44s -> skipped (no hugetlbfs memfd here)\n", "sealed hugetlbfs memfd");
    if (huge >= 0)
        close(huge);

    char tmpl[] = "/tmp/tzchan-test-XXXXXX";
    int file = mkstemp(tmpl);
    CHECK(file >= 0 && ftruncate(file, (off_t)size) == 0);
    unlink(tmpl);
    expect_refusal("regular file", &h, sizeof h, &file, 1, NULL, TZCHAN_LINUX_R_NOT_MEMFD);
    int p[2];
    CHECK(pipe(p) == 0);
    expect_refusal("pipe", &h, sizeof h, &p[0], 1, NULL, TZCHAN_LINUX_R_NOT_MEMFD);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", good);
    int ro = open(path, O_RDONLY | O_CLOEXEC);
    CHECK(ro >= 0);
    expect_refusal("read-only memfd", &h, sizeof h, &ro, 1, NULL, TZCHAN_LINUX_R_NOT_MEMFD);

    x = lx_hello(lanes, 3000);
    expect_refusal("ring 3000 (not a power of two)", &x, sizeof x, &good, 1, NULL, TZCHAN_LINUX_R_GEOMETRY);
    x = lx_hello(0, ring);
    expect_refusal("zero lanes", &x, sizeof x, &good, 1, NULL, TZCHAN_LINUX_R_GEOMETRY);
    x = lx_hello(5000, ring);
    expect_refusal("5000 lanes", &x, sizeof x, &good, 1, NULL, TZCHAN_LINUX_R_GEOMETRY);
    struct tzchan_linux_limits lim = {.max_lanes = 1};
    expect_refusal("2 lanes, acceptor allows 1", &h, sizeof h, &good, 1, &lim, TZCHAN_LINUX_R_GEOMETRY);
    lim = (struct tzchan_linux_limits){.min_ring = 8192};
    expect_refusal("4 KiB ring, acceptor wants >= 8 KiB", &h, sizeof h, &good, 1, &lim, TZCHAN_LINUX_R_GEOMETRY);
    lim = (struct tzchan_linux_limits){.max_region_bytes = 4096};
    expect_refusal("region above the acceptor's memory limit", &h, sizeof h, &good, 1, &lim,
                   TZCHAN_LINUX_R_GEOMETRY);

    int blank = make_memfd(size, 0, 0, SEALS); /* right size, sealed, all zero: no tzchan header */
    expect_refusal("sealed memfd, not a region (zeros)", &h, sizeof h, &blank, 1, NULL, TZCHAN_LINUX_R_LAYOUT);
    int other = make_memfd(size, 1, 2 * ring, SEALS); /* laid out with another geometry of similar size */
    expect_refusal("region laid out with another geometry", &h, sizeof h, &other, 1, NULL, TZCHAN_LINUX_R_LAYOUT);

    /* pollable mode: doorbells must be connected unix stream sockets, one per lane; the acceptor may refuse the
     * mode. Eventfds (hand-off version 1's doorbells, which a peer can make block) are refused. */
    int bell[2][2], dgram[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, bell[0]) == 0);
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, bell[1]) == 0);
    CHECK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, dgram) == 0);
    int lone = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0); /* not connected */
    CHECK(lone >= 0);
    int efd[2] = {eventfd(0, EFD_CLOEXEC), eventfd(0, EFD_CLOEXEC)};
    int fds[3] = {good, bell[0][1], bell[1][1]};
    x = h;
    x.flags = TZCHAN_LINUX_HELLO_EVENTFD;
    x.nfds = 3;
    expect_refusal("pollable mode, one doorbell short", &x, sizeof x, fds, 2, NULL, TZCHAN_LINUX_R_MALFORMED);
    int fds_bad[3] = {good, bell[0][1], p[1]};
    expect_refusal("pollable mode, a pipe as doorbell", &x, sizeof x, fds_bad, 3, NULL, TZCHAN_LINUX_R_BAD_EVENTFD);
    int fds_efd[3] = {good, efd[0], efd[1]};
    expect_refusal("pollable mode, eventfds as doorbells", &x, sizeof x, fds_efd, 3, NULL,
                   TZCHAN_LINUX_R_BAD_EVENTFD);
    int fds_dgram[3] = {good, bell[0][1], dgram[1]};
    expect_refusal("pollable mode, a datagram socket as doorbell", &x, sizeof x, fds_dgram, 3, NULL,
                   TZCHAN_LINUX_R_BAD_EVENTFD);
    int fds_lone[3] = {good, lone, bell[1][1]};
    expect_refusal("pollable mode, an unconnected socket as doorbell", &x, sizeof x, fds_lone, 3, NULL,
                   TZCHAN_LINUX_R_BAD_EVENTFD);
    lim = (struct tzchan_linux_limits){.refuse_eventfd = true};
    expect_refusal("pollable mode, acceptor refuses it", &x, sizeof x, fds, 3, &lim, TZCHAN_LINUX_R_GEOMETRY);
    x = h;
    x.version = 1;
    expect_refusal("hand-off version 1 (eventfd doorbells)", &x, sizeof x, &good, 1, NULL, TZCHAN_LINUX_R_VERSION);
    close(bell[0][0]);
    close(bell[0][1]);
    close(bell[1][0]);
    close(bell[1][1]);
    close(dgram[0]);
    close(dgram[1]);
    close(lone);

    /* after all that, a raw but correct hello on the same socket is accepted */
    CHECK(lx_send_raw(sv[0], &h, sizeof h, &good, 1) == 0);
    struct tzchan_linux *l = NULL;
    unsigned reason = 99;
    CHECK_EQ(tzchan_linux_accept(&l, sv[1], NULL, 2000, &reason), 0);
    CHECK_EQ(reason, 0);
    CHECK_EQ(lx_read_answer(sv[0]), 0);
    CHECK_EQ(tzchan_linux_lanes(l), lanes);
    CHECK(!tzchan_linux_is_creator(l));
    printf("  %-44s -> accepted\n", "then a good hello on the same socket");
    tzchan_linux_close(l); /* closes sv[1] */

    int all[] = {good, unsealed, half, noseal, wseal, bigger, smaller, file,
                 p[0], p[1],     ro,   blank,  other, efd[0], efd[1],  sv[0]};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        close(all[i]);
}

/* timeouts and a closed socket during the hand-off */
static void handoff_edges(void)
{
    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
    struct tzchan_linux *l = NULL;
    uint64_t t0 = lx_now_ns();
    CHECK_EQ(tzchan_linux_accept(&l, sv[1], NULL, 50, NULL), TZCHAN_ETIMEDOUT);
    CHECK(lx_ms_since(t0) >= 45);
    struct tzchan_linux_config cfg = {.lanes = 1, .ring_bytes = 4096};
    unsigned reason = 0;
    CHECK_EQ(tzchan_linux_create(&l, sv[0], &cfg, 50, &reason), TZCHAN_ETIMEDOUT); /* nobody answers */
    /* the hello is still queued on sv[1]: drop it by closing, then a create on a dead socket */
    close(sv[1]);
    CHECK_EQ(tzchan_linux_create(&l, sv[0], &cfg, 1000, &reason), TZCHAN_EPIPE);
    cfg.ring_bytes = 3000;
    CHECK_EQ(tzchan_linux_create(&l, sv[0], &cfg, 1000, &reason), TZCHAN_EINVAL);
    cfg = (struct tzchan_linux_config){.lanes = 300, .ring_bytes = 4096, .eventfd = true};
    CHECK_EQ(tzchan_linux_create(&l, sv[0], &cfg, 1000, &reason), TZCHAN_EINVAL);
    close(sv[0]);

    /* a malformed answer makes the creator refuse */
    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
    struct tzchan_linux_answer a;
    memset(&a, 0, sizeof a);
    a.magic = TZCHAN_LINUX_ANSWER_MAGIC;
    a.version = TZCHAN_LINUX_HANDOFF_VERSION;
    a.nfds = 3; /* claims fds it does not carry */
    CHECK(lx_send_raw(sv[1], &a, sizeof a, NULL, 0) == 0);
    cfg = (struct tzchan_linux_config){.lanes = 1, .ring_bytes = 4096};
    CHECK_EQ(tzchan_linux_create(&l, sv[0], &cfg, 1000, &reason), TZCHAN_EPROTO);
    CHECK_EQ(reason, TZCHAN_LINUX_R_MALFORMED);
    close(sv[0]);
    close(sv[1]);
    printf("  timeouts, closed socket, bad config, malformed answer: ok\n");
}

/* a good registration, both doorbell kinds, messages both ways on every lane */
static void accepted(bool eventfd)
{
    struct lx_pair pr;
    lx_pair_open(&pr, 3, 4096, eventfd);
    CHECK(tzchan_linux_is_creator(pr.a) && !tzchan_linux_is_creator(pr.b));
    CHECK_EQ(tzchan_linux_uses_eventfd(pr.a), eventfd);
    CHECK_EQ(tzchan_linux_max_msg(pr.a), 2048);
    for (uint32_t i = 0; i < 3; i++) {
        char buf[32];
        CHECK_EQ(tzchan_linux_send(pr.a, i, "ping", 4, 1000), 4);
        CHECK_EQ(tzchan_linux_recv(pr.b, i, buf, sizeof buf, 1000), 4);
        CHECK(memcmp(buf, "ping", 4) == 0);
        CHECK_EQ(tzchan_linux_send(pr.b, i, "pong!", 5, 1000), 5);
        CHECK_EQ(tzchan_linux_recv(pr.a, i, buf, sizeof buf, 1000), 5);
        CHECK(memcmp(buf, "pong!", 5) == 0);
        if (eventfd)
            CHECK(tzchan_linux_fd(pr.a, i) >= 0 && tzchan_linux_fd(pr.b, i) >= 0);
        else
            CHECK_EQ(tzchan_linux_fd(pr.a, i), TZCHAN_EINVAL);
    }
    CHECK_EQ(tzchan_linux_send(pr.a, 3, "x", 1, 0), TZCHAN_EINVAL);
    /* the lane helper follows the CPU: pin this thread to each allowed CPU in turn */
    cpu_set_t all, one;
    CHECK(sched_getaffinity(0, sizeof all, &all) == 0);
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        if (!CPU_ISSET(cpu, &all))
            continue;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        CHECK(sched_setaffinity(0, sizeof one, &one) == 0);
        CHECK_EQ(tzchan_linux_my_lane(pr.a), (uint32_t)cpu % 3u);
    }
    CHECK(sched_setaffinity(0, sizeof all, &all) == 0);
    CHECK(!tzchan_linux_peer_gone(pr.a));
    tzchan_linux_close(pr.b);
    CHECK(tzchan_linux_peer_gone(pr.a));
    tzchan_linux_close(pr.a);
    printf("  accepted (%s doorbells), 3 lanes, messages both ways: ok\n", eventfd ? "eventfd" : "futex");
}

struct path_arg {
    int lfd;
    struct tzchan_linux *conn;
    int rc;
};

static void *path_acceptor(void *p)
{
    struct path_arg *x = p;
    int s = tzchan_linux_accept_conn(x->lfd, 5000);
    x->rc = s < 0 ? s : tzchan_linux_accept(&x->conn, s, NULL, 5000, NULL);
    return NULL;
}

static void over_a_path(void)
{
    char path[108];
    snprintf(path, sizeof path, "/tmp/tzchan-test-%d.sock", (int)getpid());
    int lfd = tzchan_linux_listen(path);
    CHECK(lfd >= 0);
    struct path_arg x = {.lfd = lfd};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, path_acceptor, &x) == 0);
    int s = tzchan_linux_dial(path);
    CHECK(s >= 0);
    struct tzchan_linux *a = NULL;
    struct tzchan_linux_config cfg = {.lanes = 1, .ring_bytes = 1024};
    CHECK_EQ(tzchan_linux_create(&a, s, &cfg, 5000, NULL), 0);
    pthread_join(t, NULL);
    CHECK_EQ(x.rc, 0);
    char buf[8];
    CHECK_EQ(tzchan_linux_send(x.conn, 0, "hi", 2, 1000), 2);
    CHECK_EQ(tzchan_linux_recv(a, 0, buf, sizeof buf, 1000), 2);
    tzchan_linux_close(a);
    tzchan_linux_close(x.conn);
    close(lfd);
    unlink(path);
    CHECK_EQ(tzchan_linux_dial(path), TZCHAN_EIO);
    printf("  over a socket path: ok\n");
}

int main(void)
{
    printf("test_handoff: refusals\n");
    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
    refusals();
    handoff_edges();
    accepted(false);
    accepted(true);
    over_a_path();
    printf("test_handoff: ok\n");
    return T_EXIT_PASS;
}
