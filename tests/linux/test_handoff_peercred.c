/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The acceptor restricts who may connect by the socket's peer credentials (limits.peer_check, SO_PEERCRED).
 *
 *  - a limit that names a uid (or gid) that is not ours refuses our own well-formed hello with R_PEER, and the
 *    creator sees that reason; a limit that names our uid (and gid) accepts it; no check (0) accepts it;
 *  - unknown bits in peer_check are the caller's mistake: TZCHAN_EINVAL, nothing read;
 *  - when running as root: a peer that connects over a socket path as uid/gid 65534 ("nobody") is refused by
 *    a limit that allows only root, and accepted by one that allows only 65534 (skipped otherwise).
 * Mutant killed: "no credential check in tzchan_linux_accept" (before the limit existed): the excluded peer
 * is accepted.
 */
#include "lx.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

struct acc {
    int sock;
    struct tzchan_linux_limits lim;
    int rc;
    unsigned reason;
    struct tzchan_linux *conn;
};

static void *acceptor(void *p)
{
    struct acc *x = p;
    x->rc = tzchan_linux_accept(&x->conn, x->sock, &x->lim, 5000, &x->reason);
    return NULL;
}

/* a real create/accept over a socketpair with the acceptor's limit `lim`; returns the create's result */
static int pair(const char *what, struct tzchan_linux_limits lim, int want_rc, unsigned want_reason)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
    struct acc x = {.sock = sv[1], .lim = lim};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, acceptor, &x) == 0);
    struct tzchan_linux *a = NULL;
    struct tzchan_linux_config cfg = {.lanes = 1, .ring_bytes = 4096};
    unsigned reason = 99;
    int rc = tzchan_linux_create(&a, sv[0], &cfg, 5000, &reason);
    pthread_join(t, NULL);
    printf("  %-52s -> acceptor %d (reason %u: %s), creator %d (reason %u)\n", what, x.rc, x.reason,
           tzchan_linux_reason_str(x.reason), rc, reason);
    CHECK_EQ(x.rc, want_rc);
    CHECK_EQ(x.reason, want_reason);
    if (want_rc == 0) {
        CHECK_EQ(rc, 0);
        CHECK_EQ(tzchan_linux_send(a, 0, "hi", 2, 1000), 2);
        char buf[4];
        CHECK_EQ(tzchan_linux_recv(x.conn, 0, buf, sizeof buf, 1000), 2);
        tzchan_linux_close(a);
        tzchan_linux_close(x.conn);
    } else {
        CHECK_EQ(rc, TZCHAN_EPROTO);
        CHECK_EQ(reason, want_reason);
        close(sv[0]);
        close(sv[1]);
    }
    return rc;
}

/* as root: a child that drops to uid/gid 65534 connects over a path; the acceptor here applies `lim` */
static void other_user(const char *what, struct tzchan_linux_limits lim, int want_rc, unsigned want_reason)
{
    char path[108];
    snprintf(path, sizeof path, "/tmp/tzchan-peercred-%d.sock", (int)getpid());
    int lfd = tzchan_linux_listen(path);
    CHECK(lfd >= 0);
    CHECK(chmod(path, 0777) == 0);
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(3);
        int s = tzchan_linux_dial(path);
        if (s < 0)
            _exit(4);
        struct tzchan_linux *a = NULL;
        struct tzchan_linux_config cfg = {.lanes = 1, .ring_bytes = 4096};
        int rc = tzchan_linux_create(&a, s, &cfg, 5000, NULL);
        _exit(rc == 0 ? 0 : 5);
    }
    int s = tzchan_linux_accept_conn(lfd, 5000);
    CHECK(s >= 0);
    struct tzchan_linux *b = NULL;
    unsigned reason = 99;
    int rc = tzchan_linux_accept(&b, s, &lim, 5000, &reason);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    printf("  %-52s -> acceptor %d (reason %u: %s), creator exit %d\n", what, rc, reason,
           tzchan_linux_reason_str(reason), WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    CHECK_EQ(rc, want_rc);
    CHECK_EQ(reason, want_reason);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == (want_rc == 0 ? 0 : 5));
    if (rc == 0)
        tzchan_linux_close(b);
    else
        close(s);
    close(lfd);
    unlink(path);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    printf("test_handoff_peercred (uid %u, gid %u)\n", (unsigned)getuid(), (unsigned)getgid());
    uint32_t uid = (uint32_t)getuid(), gid = (uint32_t)getgid();

    pair("only uid+1 may connect",
         (struct tzchan_linux_limits){.peer_check = TZCHAN_LINUX_PEER_UID, .peer_uid = uid + 1}, TZCHAN_EPROTO,
         TZCHAN_LINUX_R_PEER);
    pair("only gid+1 may connect",
         (struct tzchan_linux_limits){.peer_check = TZCHAN_LINUX_PEER_GID, .peer_gid = gid + 1}, TZCHAN_EPROTO,
         TZCHAN_LINUX_R_PEER);
    pair("our uid, gid+1",
         (struct tzchan_linux_limits){
             .peer_check = TZCHAN_LINUX_PEER_UID | TZCHAN_LINUX_PEER_GID, .peer_uid = uid, .peer_gid = gid + 1},
         TZCHAN_EPROTO, TZCHAN_LINUX_R_PEER);
    pair("only our uid may connect",
         (struct tzchan_linux_limits){.peer_check = TZCHAN_LINUX_PEER_UID, .peer_uid = uid}, 0,
         TZCHAN_LINUX_ACCEPTED);
    pair("only our uid and gid",
         (struct tzchan_linux_limits){
             .peer_check = TZCHAN_LINUX_PEER_UID | TZCHAN_LINUX_PEER_GID, .peer_uid = uid, .peer_gid = gid},
         0, TZCHAN_LINUX_ACCEPTED);
    pair("no check (peer_uid set but not asked for)", (struct tzchan_linux_limits){.peer_uid = uid + 1}, 0,
         TZCHAN_LINUX_ACCEPTED);

    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
    struct tzchan_linux_limits bad = {.peer_check = 4};
    struct tzchan_linux *l = NULL;
    CHECK_EQ(tzchan_linux_accept(&l, sv[1], &bad, 0, NULL), TZCHAN_EINVAL);
    close(sv[0]);
    close(sv[1]);
    printf("  unknown peer_check bit -> EINVAL: ok\n");

    if (geteuid() == 0) {
        other_user("uid 65534 connects, only root allowed",
                   (struct tzchan_linux_limits){.peer_check = TZCHAN_LINUX_PEER_UID, .peer_uid = 0}, TZCHAN_EPROTO,
                   TZCHAN_LINUX_R_PEER);
        other_user("uid 65534 connects, only 65534 allowed",
                   (struct tzchan_linux_limits){.peer_check = TZCHAN_LINUX_PEER_UID | TZCHAN_LINUX_PEER_GID,
                                                .peer_uid = 65534,
                                                .peer_gid = 65534},
                   0, TZCHAN_LINUX_ACCEPTED);
    } else {
        printf("  not root: the other-user cases are skipped\n");
    }
    printf("test_handoff_peercred: ok\n");
    return T_EXIT_PASS;
}
