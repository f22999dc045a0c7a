/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The size/seal race, made deterministic: a creator that shrinks its memfd and only then seals it, exactly
 * while the acceptor is checking it. The acceptor must read the seals first and the size after them (a sealed
 * size is final); an acceptor that reads the size first compares a stale size, maps more than the file holds and
 * dies of SIGBUS when it touches the missing pages.
 *
 * How the creator gets its timing: this program is linked with -Wl,--wrap=fstat, so the port's fstat() calls
 * land in __wrap_fstat below, which does the real fstat and then, once, shrinks the creator's memfd to 0 bytes and
 * seals it (SHRINK|GROW|SEAL) before returning. That is the creator's best move: the acceptor's size is now stale
 * and the seals it reads next are all there.
 *
 * Cases (each acceptor runs in a child, so a SIGBUS is reported rather than fatal):
 *  - control: a well-formed sealed hello is accepted and the wrapper saw the port's fstat (else the wrap did not
 *    take, e.g. a libc whose fstat is another symbol, and the test skips);
 *  - an unsealed memfd of the right size, shrunk and sealed right after the acceptor's size read: refused
 *    (R_NOT_SEALED), the child exits normally;
 *  - an unsealed memfd that is only shrunk (never sealed) at that moment: refused.
 * Mutant killed: "fstat before F_GET_SEALS" in check_hello (the pre-fix order): the child dies of SIGBUS in
 * tzchan_linux_accept (or, were the pages still there, accepts a region larger than its file: also a failure).
 */
#include "lx.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)
#define LANES 4u
#define RING 4096u

int __real_fstat(int fd, struct stat *st);
int __wrap_fstat(int fd, struct stat *st);

static int race_fd = -1; /* the creator's memfd to change when the acceptor reads a size */
static bool race_seal;   /* seal it after shrinking */
static int fstat_calls;  /* fstat calls the wrapper saw */

int __wrap_fstat(int fd, struct stat *st)
{
    int r = __real_fstat(fd, st);
    fstat_calls++;
    if (race_fd >= 0) {
        /* the creator moves now: shrink to nothing, then seal */
        CHECK(ftruncate(race_fd, 0) == 0);
        if (race_seal)
            CHECK(fcntl(race_fd, F_ADD_SEALS, SEALS) == 0);
        race_fd = -1;
    }
    return r;
}

static int make_region_memfd(int seals)
{
    size_t size = tzchan_region_size(LANES, RING);
    int fd = memfd_create("sealrace", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    CHECK(fd >= 0);
    CHECK(ftruncate(fd, (off_t)size) == 0);
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED);
    CHECK_EQ(tzchan_region_init(m, size, LANES, RING), 0);
    munmap(m, size);
    if (seals)
        CHECK(fcntl(fd, F_ADD_SEALS, seals) == 0);
    return fd;
}

/* Runs one hand-off of `memfd` with the acceptor in a child. Child exit: 0 refused with a reason in `ok_why`
 * (or accepted if want_accept), 2 accepted when it should not have been, 3 refused for the wrong reason, 4 other
 * error. Returns the wait status. */
static int handoff(int memfd, bool arm_race, bool seal, bool want_accept, unsigned *why_out)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
    struct tzchan_linux_hello h = lx_hello(LANES, RING);
    CHECK(lx_send_raw(sv[0], &h, sizeof h, &memfd, 1) == 0);
    int pr[2];
    CHECK(pipe(pr) == 0);
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(pr[0]);
        race_fd = arm_race ? memfd : -1;
        race_seal = seal;
        fstat_calls = 0;
        struct tzchan_linux *l = NULL;
        unsigned why = 99;
        int rc = tzchan_linux_accept(&l, sv[1], NULL, 2000, &why);
        int report[2] = {(int)why, fstat_calls};
        if (write(pr[1], report, sizeof report) != (ssize_t)sizeof report)
            _exit(4);
        if (rc == 0) {
            /* touch every lane: a region larger than its file would fault here */
            for (uint32_t i = 0; i < LANES; i++)
                (void)tzchan_linux_send(l, i, "x", 1, 0);
            _exit(want_accept ? 0 : 2);
        }
        if (want_accept)
            _exit(2);
        _exit(rc == TZCHAN_EPROTO ? 0 : 4);
    }
    close(pr[1]);
    int report[2] = {-1, -1};
    ssize_t n = read(pr[0], report, sizeof report);
    close(pr[0]);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    *why_out = n == (ssize_t)sizeof report ? (unsigned)report[0] : 999u;
    close(sv[0]);
    close(sv[1]);
    if (want_accept && WIFEXITED(st) && WEXITSTATUS(st) == 0 && n == (ssize_t)sizeof report && report[1] == 0) {
        printf("  the port's fstat() did not go through the wrapper (libc symbol differs): skipped\n");
        exit(T_EXIT_SKIP);
    }
    return st;
}

static void expect_ok(const char *what, int st, unsigned why, bool refusal)
{
    if (WIFSIGNALED(st)) {
        printf("  %-60s -> acceptor DIED of signal %d (%s)\n", what, WTERMSIG(st), strsignal(WTERMSIG(st)));
        exit(T_EXIT_FAIL);
    }
    printf("  %-60s -> %s (%u: %s), exit %d\n", what, refusal ? "refused" : "accepted", why,
           tzchan_linux_reason_str(why), WEXITSTATUS(st));
    CHECK(WIFEXITED(st));
    CHECK_EQ(WEXITSTATUS(st), 0);
    if (refusal)
        CHECK(why == TZCHAN_LINUX_R_NOT_SEALED || why == TZCHAN_LINUX_R_SIZE);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    printf("test_handoff_sealrace\n");
    unsigned why;

    int good = make_region_memfd(SEALS);
    int st = handoff(good, false, false, true, &why);
    expect_ok("control: sealed memfd of the right size", st, why, false);
    close(good);

    int fd = make_region_memfd(0);
    st = handoff(fd, true, true, false, &why);
    expect_ok("unsealed, shrunk then sealed after the size read", st, why, true);
    close(fd);

    fd = make_region_memfd(0);
    st = handoff(fd, true, false, false, &why);
    expect_ok("unsealed, shrunk (not sealed) after the size read", st, why, true);
    close(fd);

    printf("test_handoff_sealrace: ok\n");
    return T_EXIT_PASS;
}
