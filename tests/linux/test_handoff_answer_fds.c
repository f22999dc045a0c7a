/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The creator owns every fd a (hostile) acceptor attaches to its answer, and closes each exactly once.
 *
 *  1. Leaks: a hostile acceptor answers with a zero-length message carrying 253 fds, then with a well-formed
 *     refusal carrying 253 fds, then with an over-long answer carrying fds. tzchan_linux_create must refuse
 *     each, and afterwards this process must hold exactly the fds it held before (counted in /proc/self/fd).
 *     Mutant killed: "no close_fds() on the zero-length path" (the pre-fix create): 253 fds leak per attempt.
 *  2. Double close: a hostile acceptor accepts in pollable-doorbell mode with one fd per lane attached, the first
 *     an eventfd and the second a pipe (the shape that made the creator of hand-off version 1, which took
 *     eventfds from the answer, close fds twice; since version 2 any fd on an answer makes it malformed). The
 *     creator must refuse and close each received fd once. In a threaded
 *     program a second close of a number that another thread has reused closes that thread's file; this test
 *     plays that other thread: it is linked with -Wl,--wrap=close, and right after each close() the creator
 *     makes, it puts a file of "someone else" (/dev/null) on the freed number. Any later close of such a number
 *     by the creator is a double close; the test also checks that every such file is still open at the end.
 *     Mutant killed: "close_fds(fds, nrx) after some fds were handed to lanes, which free_conn closes again"
 *     (the pre-fix create): the second fd closed is someone else's /dev/null.
 */
#include "lx.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/wait.h>

int __real_close(int fd);
int __wrap_close(int fd);

/* ---- the other thread's files, planted on numbers the creator frees ------------------------------------ */
static bool armed;
static pthread_t armed_thread;
static int devnull = -1;
static int planted[256], n_planted, double_closes;

static bool is_planted(int fd)
{
    for (int i = 0; i < n_planted; i++)
        if (planted[i] == fd)
            return true;
    return false;
}

int __wrap_close(int fd)
{
    if (!armed || !pthread_equal(pthread_self(), armed_thread))
        return __real_close(fd);
    if (is_planted(fd)) {
        double_closes++;
        fprintf(stderr, "  the creator closed fd %d a second time: someone else's file by now\n", fd);
    }
    int r = __real_close(fd);
    if (r == 0 && !is_planted(fd) && n_planted < 256 && dup2(devnull, fd) == fd)
        planted[n_planted++] = fd; /* another thread's open() got the freed number */
    return r;
}

/* ---- a hostile acceptor: reads the hello, answers with `answer_len` bytes and `nfds` copies of fd ------ */
struct hostile {
    int sock;
    unsigned mode; /* 0: zero-length + fds; 1: refusal + fds; 2: over-long + fds; 3: accepted, [eventfd, pipe] */
};

static void hostile_acceptor(struct hostile *x)
{
    struct tzchan_linux_hello h;
    int fds[253];
    char cbuf[CMSG_SPACE(sizeof fds)];
    struct iovec iov = {.iov_base = &h, .iov_len = sizeof h};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
    CHECK(recvmsg(x->sock, &m, MSG_CMSG_CLOEXEC) == (ssize_t)sizeof h);
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            close(fd);
        }
    }
    struct tzchan_linux_answer a;
    memset(&a, 0, sizeof a);
    a.magic = TZCHAN_LINUX_ANSWER_MAGIC;
    a.version = h.version;
    unsigned char longer[sizeof a + 16];
    memset(longer, 0, sizeof longer);
    int n = 0;
    if (x->mode == 3) {
        fds[n++] = eventfd(0, EFD_CLOEXEC);
        int pp[2];
        CHECK(pipe(pp) == 0);
        fds[n++] = pp[0];
        close(pp[1]);
        a.reason = TZCHAN_LINUX_ACCEPTED;
        a.nfds = h.lanes;
    } else {
        for (; n < 253; n++)
            fds[n] = dup(devnull);
        a.reason = TZCHAN_LINUX_R_GEOMETRY;
        a.nfds = (uint32_t)n;
    }
    memcpy(longer, &a, sizeof a);
    const void *buf = x->mode == 2 ? (const void *)longer : (const void *)&a;
    size_t len = x->mode == 0 ? 0 : x->mode == 2 ? sizeof longer : sizeof a;
    CHECK(lx_send_raw(x->sock, buf, len, fds, n) == 0);
    for (int i = 0; i < n; i++)
        close(fds[i]);
}

/* The acceptor is a child process, not a thread: it opens and closes fds of its own while the creator works, and
 * in one fd table those numbers would collide with the files this test plants on the numbers the creator frees
 * (a planted file the acceptor closed and the creator's next open reused looked like a double close). */
static int run(unsigned mode, bool evfd, bool arm, unsigned *reason)
{
    int sock;
    pid_t pid = lx_fork_peer(&sock);
    if (pid == 0) {
        armed = false;
        struct hostile x = {.sock = sock, .mode = mode};
        hostile_acceptor(&x);
        _exit(0);
    }
    struct tzchan_linux *l = NULL;
    struct tzchan_linux_config cfg = {.lanes = 2, .ring_bytes = 4096, .eventfd = evfd};
    if (arm) {
        armed_thread = pthread_self();
        armed = true;
    }
    int rc = tzchan_linux_create(&l, sock, &cfg, 5000, reason);
    armed = false;
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0); /* the acceptor did what it was told */
    CHECK(l == NULL);
    close(sock);
    return rc;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    printf("test_handoff_answer_fds\n");
    devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    CHECK(devnull >= 0);

    static const char *what[] = {"zero-length answer with 253 fds", "refusal with 253 fds",
                                 "answer 16 bytes too long with 253 fds"};
    for (unsigned mode = 0; mode < 3; mode++) {
        int before = lx_count_fds();
        unsigned reason = 99;
        int rc = run(mode, false, false, &reason);
        int after = lx_count_fds();
        printf("  %-44s -> %d (%s), reason %u; fds before %d, after %d\n", what[mode], rc, tzchan_strerror(rc),
               reason, before, after);
        CHECK(rc < 0);
        CHECK_EQ(after, before);
    }

    unsigned reason = 99;
    int rc = run(3, true, true, &reason); /* armed while create runs */
    int gone = 0;
    for (int i = 0; i < n_planted; i++) {
        if (fcntl(planted[i], F_GETFD) < 0)
            gone++;
        else
            __real_close(planted[i]);
    }
    printf("  %-44s -> %d (%s), reason %u; %d fds the creator freed, %d closed again\n",
           "accepted, doorbells [eventfd, pipe]", rc, tzchan_strerror(rc), reason, n_planted, double_closes);
    CHECK_EQ(rc, TZCHAN_EPROTO);
    CHECK(n_planted > 0); /* the wrap took: the creator's closes were seen */
    CHECK_EQ(double_closes, 0);
    CHECK_EQ(gone, 0);
    printf("test_handoff_answer_fds: ok\n");
    return T_EXIT_PASS;
}
