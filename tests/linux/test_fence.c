/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Linux port's choice of publication fence between two processes (docs/LINUX.md s.4.1). A creator (this
 * process) and an acceptor (a forked child) connect with each combination of: fence AUTO or FULL on either side,
 * and membarrier() denied (EPERM, by a seccomp filter) in either process. For each, the side that may sleep
 * behind the asymmetric fence is exactly the one the rule allows: the creator when it could register and the
 * slow global membarrier exists to cover any acceptor; the acceptor only when it could register and the creator
 * offered (so its expedited fence reaches a registered creator); never with FULL. Then 300 blocking round trips
 * of 64 B messages, every 4th delayed by the child so that the parent sleeps, must arrive intact in both
 * directions within the call's timeout; a lost wake-up would cost a sleep slice, which the printed count of slices
 * that ended without a ring shows (printed, not asserted: a loaded machine can stretch a reply that long too).
 * Unknown fence values are EINVAL on both sides. Mutants: offering on the acceptor without the creator's bit, or
 * with a FULL limit, or when registration failed, fails the matching combination.
 */
#include "lx.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define ROUNDS 300

/* What the kernel offers: the expedited global command, its registration, and the slow global one. */
static bool have_expedited, have_global;

static void probe(void)
{
#ifdef SYS_membarrier
    long q = syscall(SYS_membarrier, 0 /* QUERY */, 0u, 0);
    have_expedited = q >= 0 && (q & 2) && (q & 4); /* GLOBAL_EXPEDITED, REGISTER_GLOBAL_EXPEDITED */
    have_global = q >= 0 && (q & 1);               /* GLOBAL */
#endif
}

/* membarrier() fails with EPERM in this process from now on (as under a container's seccomp policy). */
static void deny_membarrier(void)
{
#ifdef SYS_membarrier
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_membarrier, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = (unsigned short)(sizeof f / sizeof f[0]), .filter = f};
    CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
    CHECK(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0);
    CHECK(syscall(SYS_membarrier, 0, 0u, 0) == -1 && errno == EPERM);
#endif
}

struct combo {
    const char *name;
    uint32_t fence_a, fence_b; /* config.fence, limits.fence */
    bool deny_a, deny_b;       /* membarrier denied in the creator / the acceptor */
};

static int child(int sock, const struct combo *c)
{
    if (c->deny_b)
        deny_membarrier();
    struct tzchan_linux_limits lim;
    memset(&lim, 0, sizeof lim);
    lim.fence = c->fence_b;
    struct tzchan_linux *l;
    unsigned reason;
    CHECK_EQ(tzchan_linux_accept(&l, sock, &lim, 10000, &reason), 0);
    unsigned char uses = tzchan_linux_uses_sleep_fence(l) ? 1 : 0;
    CHECK_EQ(tzchan_linux_send(l, 0, &uses, 1, 10000), 1);
    unsigned char buf[64];
    for (int i = 0; i < ROUNDS; i++) {
        CHECK_EQ(tzchan_linux_recv(l, 0, buf, sizeof buf, 10000), 64);
        for (int k = 0; k < 64; k++)
            CHECK_EQ(buf[k], (unsigned char)(i + k));
        if (i % 4 == 0) {
            struct timespec ts = {0, 1000000}; /* 1 ms: longer than the parent spins, so it sleeps */
            nanosleep(&ts, NULL);
        }
        for (int k = 0; k < 64; k++)
            buf[k] = (unsigned char)(i * 7 + k);
        CHECK_EQ(tzchan_linux_send(l, 0, buf, sizeof buf, 10000), 64);
    }
    struct tzchan_linux_stats st;
    CHECK_EQ(tzchan_linux_get_stats(l, 0, &st), 0);
    printf("  acceptor: sleeps %" PRIu64 ", slices without a ring %" PRIu64 "\n", st.sleeps, st.liveness_checks);
    tzchan_linux_close(l);
    return 0;
}

static void run(const struct combo *c)
{
    int sock;
    pid_t kid = lx_fork_peer(&sock);
    if (kid == 0) {
        int r = child(sock, c);
        fflush(stdout);
        _exit(r);
    }
    /* the creator runs in a second child when its membarrier is to be denied (the filter cannot be lifted) */
    pid_t me = 0;
    if (c->deny_a) {
        fflush(stdout);
        me = fork();
        CHECK(me >= 0);
        if (me != 0) {
            close(sock);
            int st;
            CHECK(waitpid(me, &st, 0) == me);
            CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
            CHECK(waitpid(kid, &st, 0) == kid);
            CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
            return;
        }
        deny_membarrier();
    }
    struct tzchan_linux_config cfg = {.lanes = 1, .ring_bytes = 4096, .fence = c->fence_a};
    struct tzchan_linux *l;
    unsigned reason;
    CHECK_EQ(tzchan_linux_create(&l, sock, &cfg, 10000, &reason), 0);
    unsigned char b_uses = 9;
    CHECK_EQ(tzchan_linux_recv(l, 0, &b_uses, 1, 10000), 1);
    bool want_a = c->fence_a == TZCHAN_LINUX_FENCE_AUTO && !c->deny_a && have_expedited && have_global;
    bool want_b = want_a && c->fence_b == TZCHAN_LINUX_FENCE_AUTO && !c->deny_b;
    printf("%s: creator %s, acceptor %s\n", c->name, tzchan_linux_uses_sleep_fence(l) ? "sleep fence" : "full fence",
           b_uses ? "sleep fence" : "full fence");
    CHECK_EQ(tzchan_linux_uses_sleep_fence(l), want_a);
    CHECK_EQ(b_uses, want_b);
    unsigned char buf[64];
    for (int i = 0; i < ROUNDS; i++) {
        for (int k = 0; k < 64; k++)
            buf[k] = (unsigned char)(i + k);
        CHECK_EQ(tzchan_linux_send(l, 0, buf, sizeof buf, 10000), 64);
        CHECK_EQ(tzchan_linux_recv(l, 0, buf, sizeof buf, 10000), 64);
        for (int k = 0; k < 64; k++)
            CHECK_EQ(buf[k], (unsigned char)(i * 7 + k));
    }
    struct tzchan_linux_stats st;
    CHECK_EQ(tzchan_linux_get_stats(l, 0, &st), 0);
    printf("  creator: sleeps %" PRIu64 ", slices without a ring %" PRIu64 "\n", st.sleeps, st.liveness_checks);
    fflush(stdout);
    tzchan_linux_close(l);
    if (c->deny_a)
        _exit(0);
    int s;
    CHECK(waitpid(kid, &s, 0) == kid);
    CHECK(WIFEXITED(s) && WEXITSTATUS(s) == 0);
}

static void bad_values(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
    struct tzchan_linux_config cfg = {.lanes = 1, .ring_bytes = 4096, .fence = 2};
    struct tzchan_linux *l = NULL;
    CHECK_EQ(tzchan_linux_create(&l, sv[0], &cfg, 1000, NULL), TZCHAN_EINVAL);
    struct tzchan_linux_limits lim;
    memset(&lim, 0, sizeof lim);
    lim.fence = 7;
    CHECK_EQ(tzchan_linux_accept(&l, sv[1], &lim, 1000, NULL), TZCHAN_EINVAL);
    CHECK(l == NULL);
    close(sv[0]);
    close(sv[1]);
}

int main(void)
{
    probe();
    printf("kernel: expedited global membarrier %s, global membarrier %s\n", have_expedited ? "yes" : "no",
           have_global ? "yes" : "no");
    bad_values();
    static const struct combo combos[] = {
        {"auto/auto", TZCHAN_LINUX_FENCE_AUTO, TZCHAN_LINUX_FENCE_AUTO, false, false},
        {"full/auto", TZCHAN_LINUX_FENCE_FULL, TZCHAN_LINUX_FENCE_AUTO, false, false},
        {"auto/full", TZCHAN_LINUX_FENCE_AUTO, TZCHAN_LINUX_FENCE_FULL, false, false},
        {"full/full", TZCHAN_LINUX_FENCE_FULL, TZCHAN_LINUX_FENCE_FULL, false, false},
        {"auto/auto, acceptor denied membarrier", TZCHAN_LINUX_FENCE_AUTO, TZCHAN_LINUX_FENCE_AUTO, false, true},
        {"auto/auto, creator denied membarrier", TZCHAN_LINUX_FENCE_AUTO, TZCHAN_LINUX_FENCE_AUTO, true, false},
    };
    for (size_t i = 0; i < sizeof combos / sizeof combos[0]; i++)
        run(&combos[i]);
    printf("PASS\n");
    return 0;
}
