/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tzchan-cat: netcat over a tzchan region. One side listens on a unix socket path, the other connects and
 * creates the region; then each copies its stdin to the peer and the peer's data to its stdout, on lane 0, until
 * both directions have ended. Each read from stdin travels as one message; an empty message means end of input.
 * Progress: when stderr is a terminal and neither stdin nor stdout is (data is piped or redirected, so the line
 * cannot mix with what a person types or reads), one status line on stderr, rewritten with \r at most five times
 * a second, shows the bytes sent and received, their rates, and the percentage sent when stdin is a regular file
 * (its size is known); the last state stays on the line when both directions end. --progress / --no-progress
 * force it on or off. Nothing is printed when it is off.
 * Exit status: 0 when both directions ended cleanly, 1 on an error or if the peer vanished first, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tzchan/linux.h"
#include "tzerr.h"

static struct tzchan_linux *C;
static int tx_status; /* 0 ok, 1 failed */

/* ---- progress ---------------------------------------------------------------------------------------------- */
static _Atomic uint64_t tx_bytes, rx_bytes; /* relaxed counters: only the progress line reads them */
static atomic_bool progress_stop;
static _Atomic uint64_t tx_end_ns, rx_end_ns; /* when each direction ended (0: not yet): rates stop there */
static uint64_t tx_total;   /* bytes stdin will give (a regular file), 0 if unknown */
static bool tx_total_known;
static uint64_t start_ns;

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* "12.3 MiB" into buf */
static const char *human(double v, char *buf, size_t n)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    snprintf(buf, n, u == 0 ? "%.0f %s" : "%.1f %s", v, unit[u]);
    return buf;
}

static void progress_line(bool last)
{
    uint64_t tx = atomic_load_explicit(&tx_bytes, memory_order_relaxed);
    uint64_t rx = atomic_load_explicit(&rx_bytes, memory_order_relaxed);
    uint64_t t = now_ns(), te = atomic_load(&tx_end_ns), re = atomic_load(&rx_end_ns);
    double s = (double)((te ? te : t) - start_ns) / 1e9, sr = (double)((re ? re : t) - start_ns) / 1e9;
    if (s < 1e-3)
        s = 1e-3;
    if (sr < 1e-3)
        sr = 1e-3;
    char a[32], b[32], c[32], d[32], e[32];
    char pct[48] = "";
    if (tx_total_known)
        snprintf(pct, sizeof pct, " of %s (%.0f%%)", human((double)tx_total, c, sizeof c),
                 tx_total ? 100.0 * (double)(tx > tx_total ? tx_total : tx) / (double)tx_total : 100.0);
    /* \r and erase to the end of the line: the terminal shows one line, rewritten */
    fprintf(stderr, "\rtzchan-cat: sent %s%s, %s/s; received %s, %s/s\033[K%s", human((double)tx, a, sizeof a),
            pct, human((double)tx / s, b, sizeof b), human((double)rx, d, sizeof d),
            human((double)rx / sr, e, sizeof e), last ? "\n" : "");
    fflush(stderr);
}

static void *progress_thread(void *p)
{
    (void)p;
    while (!atomic_load(&progress_stop)) {
        struct timespec ts = {0, 200 * 1000 * 1000};
        nanosleep(&ts, NULL);
        if (!atomic_load(&progress_stop))
            progress_line(false);
    }
    return NULL;
}

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
        atomic_fetch_add_explicit(&tx_bytes, (uint64_t)n, memory_order_relaxed);
        if (n == 0) {
            atomic_store(&tx_end_ns, now_ns());
            break;
        }
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
        if (n == 0) {
            atomic_store(&rx_end_ns, now_ns());
            break; /* the peer's end of input */
        }
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
        atomic_fetch_add_explicit(&rx_bytes, (uint64_t)n, memory_order_relaxed);
    }
    free(buf);
    return status;
}

static void usage(FILE *f)
{
    fprintf(
        f, "usage: tzchan-cat (--listen PATH | --connect PATH) [--ring BYTES] [--progress | --no-progress]\n"
           "Copies stdin to the peer and the peer's data to stdout through a tzchan region set up over the\n"
           "unix socket PATH, on lane 0; each read from stdin travels as one message.\n"
           "  --listen PATH   wait for one peer on the unix socket PATH (replaced if it exists)\n"
           "  --connect PATH  connect to PATH and create the region (one lane)\n"
           "  --ring BYTES    with --connect: ring size per direction, a power of two, 1K .. 256M (K, M\n"
           "                  suffixes); default 64K\n"
           "  --progress      a status line on stderr (bytes, rates, percent sent when stdin is a file);\n"
           "                  by default shown when stderr is a terminal and stdin and stdout are not\n"
           "  --no-progress   never show it\n"
           "Errors name the operating system's reason. Exit status: 0 both directions ended cleanly, 1 an\n"
           "error or the peer vanished first, 2 bad usage.\n");
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
    int progress = -1; /* -1: decide from the terminals */
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
        } else if (strcmp(argv[i], "--progress") == 0 || strcmp(argv[i], "--no-progress") == 0) {
            progress = argv[i][2] == 'p';
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
    if (progress < 0)
        progress = isatty(STDERR_FILENO) && !isatty(STDIN_FILENO) && !isatty(STDOUT_FILENO);
    struct stat st;
    if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode)) {
        off_t pos = lseek(STDIN_FILENO, 0, SEEK_CUR);
        tx_total_known = true;
        tx_total = (uint64_t)st.st_size - (pos > 0 && pos <= st.st_size ? (uint64_t)pos : 0u);
    }
    start_ns = now_ns();
    pthread_t pt;
    if (progress && (errno = pthread_create(&pt, NULL, progress_thread, NULL)) != 0) {
        fprintf(stderr, "tzchan-cat: pthread_create: %s (no progress line)\n", strerror(errno));
        progress = 0;
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
    if (progress) {
        atomic_store(&progress_stop, true);
        pthread_join(pt, NULL);
        progress_line(true);
    }
    tzchan_linux_close(C);
    return rx_status || tx_status;
}
