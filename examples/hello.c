/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Hello over the Linux port: two processes, one region. The parent creates a sealed memfd region and hands it to
 * the child over a socketpair (the stand-in for the SMC that passes a buffer's address); the child validates and
 * accepts it. Then one message each way with the blocking calls.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <tzchan/linux.h>

int main(void)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
        return 1;
    pid_t pid = fork();
    if (pid == 0) { /* the other world: accept the region, answer one message */
        close(sv[0]);
        struct tzchan_linux *l;
        unsigned reason = 0;
        if (tzchan_linux_accept(&l, sv[1], NULL, 5000, &reason) != 0) {
            fprintf(stderr, "refused: %s\n", tzchan_linux_reason_str(reason));
            _exit(1);
        }
        char buf[64];
        int64_t n = tzchan_linux_recv(l, 0, buf, sizeof buf - 1, 5000);
        if (n < 0)
            _exit(1);
        buf[n] = 0;
        printf("child got: \"%s\"\n", buf);
        const char reply[] = "hello from the other side";
        int rc = tzchan_linux_send(l, 0, reply, sizeof reply, 5000) == (int64_t)sizeof reply ? 0 : 1;
        tzchan_linux_close(l);
        fflush(stdout); /* _exit does not flush stdio */
        _exit(rc);
    }
    close(sv[1]);
    struct tzchan_linux_config cfg = {.lanes = 1, .ring_bytes = 4096};
    struct tzchan_linux *l;
    unsigned reason = 0;
    int e = tzchan_linux_create(&l, sv[0], &cfg, 5000, &reason);
    if (e != 0) {
        fprintf(stderr, "create: %s (%s)\n", tzchan_strerror(e), tzchan_linux_reason_str(reason));
        return 1;
    }
    const char msg[] = "hello, world";
    char buf[64];
    int ok = tzchan_linux_send(l, 0, msg, strlen(msg), 5000) == (int64_t)strlen(msg) &&
             tzchan_linux_recv(l, 0, buf, sizeof buf, 5000) > 0;
    printf("parent got: \"%s\"\n", ok ? buf : "(nothing)");
    tzchan_linux_close(l);
    int status;
    waitpid(pid, &status, 0);
    return ok && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
