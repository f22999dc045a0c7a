/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tzchan-cat: netcat over a tzchan region. One side listens on a unix socket path, the other connects and
 * creates the region; then each copies its stdin to the peer and the peer's data to its stdout, on lane 0, until
 * both directions have ended. Each read from stdin travels as one message; an empty message means end of input.
 * Exit status: 0 when both directions ended cleanly, 1 on an error or if the peer vanished first, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "tzchan/linux.h"
#include "tzerr.h"

static struct tzchan_linux *C;
static int tx_status; /* 0 ok, 1 failed */

static void *stdin_to_peer(void *p)
{
    (void)p;
    size_t cap = tzchan_linux_max_msg(C);
    char *buf = malloc(cap);
    if (buf == NULL) {
        tx_status = 1;
        return NULL;
    }
    for (;;) {
        ssize_t n = read(STDIN_FILENO, buf, cap);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            perror("tzchan-cat: stdin");
            tx_status = 1;
            n = 0; /* still tell the peer we are done */
        }
        int64_t r = tzchan_linux_send(C, 0, buf, (size_t)n, -1);
        if (r < 0) {
            fprintf(stderr, "tzchan-cat: send: %s\n", tzerr_str((int)r));
            tx_status = 1;
            break;
        }
        if (n == 0)
            break;
    }
    free(buf);
    return NULL;
}

static int peer_to_stdout(void)
{
    size_t cap = tzchan_linux_max_msg(C);
    char *buf = malloc(cap);
    if (buf == NULL)
        return 1;
    int status = 0;
    for (;;) {
        int64_t n = tzchan_linux_recv(C, 0, buf, cap, -1);
        if (n == TZCHAN_EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "tzchan-cat: receive: %s\n", tzerr_str((int)n));
            status = 1;
            break;
        }
        if (n == 0)
            break; /* the peer's end of input */
        for (int64_t off = 0; off < n;) {
            ssize_t w = write(STDOUT_FILENO, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                perror("tzchan-cat: stdout");
                free(buf);
                return 1;
            }
            off += w;
        }
    }
    free(buf);
    return status;
}

static void usage(FILE *f)
{
    fprintf(
        f, "usage: tzchan-cat (--listen PATH | --connect PATH) [--ring BYTES]\n"
           "Copies stdin to the peer and the peer's data to stdout through a tzchan region set up over the\n"
           "unix socket PATH. --connect creates the region (one lane, --ring bytes per direction, default 64K).\n");
}

static int bad_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "tzchan-cat: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    usage(stderr);
    return 2;
}

/* BYTES with an optional K or M suffix: a power of two the acceptor's default limits take (1K .. 256M). */
static bool parse_ring(const char *s, unsigned long *out)
{
    if (s == NULL || s[0] < '0' || s[0] > '9')
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned shift = 0;
    if (*end == 'K' || *end == 'k')
        shift = 10, end++;
    else if (*end == 'M' || *end == 'm')
        shift = 20, end++;
    if (errno != 0 || *end != 0 || v > (1ull << 30))
        return false;
    v <<= shift;
    if (v < 1024 || v > (256ull << 20) || (v & (v - 1)) != 0)
        return false;
    *out = (unsigned long)v;
    return true;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    bool listen_mode = false;
    unsigned long ring = 64u * 1024u;
    bool ring_given = false;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--listen") == 0 || strcmp(argv[i], "--connect") == 0) {
            if (v == NULL || v[0] == 0)
                return bad_usage("%s wants a socket path", argv[i]);
            if (path != NULL)
                return bad_usage("give one of --listen and --connect, once%s", "");
            if (strlen(v) >= sizeof(((struct sockaddr_un *)0)->sun_path))
                return bad_usage("socket path too long (at most 107 bytes): %s", v);
            listen_mode = argv[i][2] == 'l';
            path = v;
            i++;
        } else if (strcmp(argv[i], "--ring") == 0) {
            if (!parse_ring(v, &ring))
                return bad_usage("--ring wants a power of two from 1K to 256M (bytes, or with K or M), not '%s'",
                                 v ? v : "");
            ring_given = true;
            i++;
        } else {
            return bad_usage("unknown option '%s'", argv[i]);
        }
    }
    if (path == NULL)
        return bad_usage("give --listen PATH or --connect PATH%s", "");
    if (ring_given && listen_mode)
        return bad_usage("--ring goes with --connect (the connecting side creates the region)%s", "");
    signal(SIGPIPE, SIG_IGN);
    int e;
    if (listen_mode) {
        int lfd = tzchan_linux_listen(path);
        if (lfd < 0) {
            fprintf(stderr, "tzchan-cat: listen on %s: %s\n", path, tzerr_str(lfd));
            return 1;
        }
        int s = tzchan_linux_accept_conn(lfd, -1);
        close(lfd);
        unlink(path);
        unsigned reason = 0;
        e = s < 0 ? s : tzchan_linux_accept(&C, s, NULL, 10000, &reason);
        if (e) {
            fprintf(stderr, "tzchan-cat: accept on %s: %s%s%s\n", path, tzerr_str(e), reason ? ": " : "",
                    reason ? tzchan_linux_reason_str(reason) : "");
            return 1;
        }
    } else {
        int s = tzchan_linux_dial(path);
        struct tzchan_linux_config cfg = {.lanes = 1, .ring_bytes = (uint32_t)ring};
        unsigned reason = 0;
        e = s < 0 ? s : tzchan_linux_create(&C, s, &cfg, 10000, &reason);
        if (e) {
            fprintf(stderr, "tzchan-cat: connect to %s: %s%s%s\n", path, tzerr_str(e), reason ? ": " : "",
                    reason ? tzchan_linux_reason_str(reason) : "");
            return 1;
        }
    }
    pthread_t t;
    int pe = pthread_create(&t, NULL, stdin_to_peer, NULL);
    if (pe != 0) {
        fprintf(stderr, "tzchan-cat: pthread_create: %s\n", strerror(pe));
        return 1;
    }
    int rx_status = peer_to_stdout();
    if (rx_status != 0)
        exit(1); /* the sender may be blocked on stdin or on the dead peer: no point in waiting for it */
    pthread_join(t, NULL);
    tzchan_linux_close(C);
    return rx_status || tx_status;
}
