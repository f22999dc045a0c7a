/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tzchan-demo: the TrustZone story as two Linux processes. The "normal world" (the parent) allocates a shared
 * region and registers it with the "secure world" (a forked child) over a socketpair, as an SMC would pass the
 * buffer's address; the secure world checks it first, and the demo shows it refusing two bad registrations (an
 * unsealed memfd, a memfd of the wrong size) before it accepts the real one. Then one normal-world thread per lane
 * sends messages of 0 B, 1 B, odd sizes, 1 MiB and --size (256 MiB) through the lane's ring (64 KiB); a secure-
 * world thread per lane checksums each one and answers with its length and 64-bit checksum, which the normal
 * world verifies. A summary table follows: messages, bytes, throughput, doorbells per message, sleeping vs busy.
 * Exit status 0 only if every message verified.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tzchan/linux.h"
#include "tzdata.h"
#include "tzerr.h"

/* ---- options ------------------------------------------------------------------------------------------------ */
static uint32_t opt_lanes; /* 0: one per CPU */
static uint32_t opt_ring = 64u * 1024u;
static uint64_t opt_size = 256ull << 20; /* the largest message */
static bool opt_eventfd; /* --eventfd: pollable (socket) doorbells; the name is historical */

static void usage(FILE *f)
{
    fprintf(f, "usage: tzchan-demo [--lanes N] [--ring BYTES] [--size BYTES] [--eventfd]\n"
               "Runs a normal-world client and a secure-world server as two processes sharing a tzchan region.\n"
               "  --lanes N      lanes (one client thread and one server thread each); default: one per CPU\n"
               "  --ring BYTES   ring size per direction, a power of two, 1K .. 16M; default 64K\n"
               "  --size BYTES   largest message sent on every lane; default 256M\n"
               "  --eventfd      pollable doorbells (one unix socketpair per lane, rung with a byte) instead of\n"
               "                 futexes; the option keeps its old name, they are no longer eventfds\n"
               "  --help         this text\n"
               "BYTES take a K, M or G suffix (powers of 1024). Exit status 0 only if every message verified.\n");
}

static bool parse_bytes(const char *s, uint64_t *out)
{
    char *end;
    if (s[0] < '0' || s[0] > '9')
        return false; /* strtoull would take "-1" as 2^64-1 */
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return false;
    unsigned shift = 0;
    if (*end == 'K' || *end == 'k')
        shift = 10;
    else if (*end == 'M' || *end == 'm')
        shift = 20;
    else if (*end == 'G' || *end == 'g')
        shift = 30;
    if (shift)
        end++;
    if (*end != 0 || v > (UINT64_MAX >> shift))
        return false;
    *out = (uint64_t)v << shift;
    return true;
}

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static const char *human(uint64_t n, char *buf, size_t cap)
{
    if (n >= (1ull << 20) && n % (1ull << 20) == 0)
        snprintf(buf, cap, "%" PRIu64 " MiB", n >> 20);
    else if (n >= 1024 && n % 1024 == 0)
        snprintf(buf, cap, "%" PRIu64 " KiB", n >> 10);
    else
        snprintf(buf, cap, "%" PRIu64 " B", n);
    return buf;
}

/* The secure world's answer to each message (its statistics ride along for the summary). */
struct answer {
    uint64_t len, sum;
    uint64_t rings, sleep_ns, busy_ns; /* the secure lane thread's doorbells, time asleep, time awake so far */
};

/* ---- the secure world (child process) ------------------------------------------------------------------------ */
static struct tzchan_linux *S;

static void *secure_lane(void *p)
{
    uint32_t lane = (uint32_t)(uintptr_t)p;
    size_t cap = 2 * tzchan_linux_max_msg(S); /* a whole ring's worth per call: fewer publications, fewer rings */
    unsigned char *buf = malloc(cap);
    if (buf == NULL)
        return (void *)1;
    uint64_t t0 = now_ns();
    for (;;) {
        struct tzsum s;
        tzsum_init(&s);
        bool eom = false;
        while (!eom) {
            int64_t r = tzchan_linux_recv_some(S, lane, buf, cap, &eom, -1);
            if (r == TZCHAN_EPIPE && s.len == 0) {
                free(buf);
                return NULL; /* the normal world closed: done */
            }
            if (r < 0) {
                fprintf(stderr, "[secure] lane %u: receive failed: %s\n", lane, tzerr_str((int)r));
                free(buf);
                return (void *)1;
            }
            tzsum_update(&s, buf, (size_t)r);
        }
        struct tzchan_linux_stats st;
        tzchan_linux_get_stats(S, lane, &st);
        uint64_t alive = now_ns() - t0;
        struct answer a = {s.len, tzsum_final(&s), st.core.doorbells, st.sleep_ns,
                           alive > st.sleep_ns ? alive - st.sleep_ns : 0};
        int64_t r = tzchan_linux_send(S, lane, &a, sizeof a, 10000);
        if (r != (int64_t)sizeof a) {
            fprintf(stderr, "[secure] lane %u: answer failed: %s\n", lane, tzerr_str((int)r));
            free(buf);
            return (void *)1;
        }
    }
}

/* The secure world's policy: what it accepts (also printed by the normal world, which owns the terminal). */
static const struct tzchan_linux_limits secure_limits = {
    .max_lanes = 1024, .min_ring = 1024, .max_ring = 16u << 20, .max_region_bytes = 1ull << 30};

static int secure_world(int sock)
{
    /* silent but for errors: the normal world prints the answers it gets, so the output has one order */
    for (;;) {
        unsigned reason = 0;
        int e = tzchan_linux_accept(&S, sock, &secure_limits, 10000, &reason);
        if (e == 0)
            break;
        if (e == TZCHAN_EPROTO)
            continue; /* refused; the answer told the normal world why, and it may try again */
        fprintf(stderr, "[secure] hand-off failed: %s\n", tzerr_str(e));
        return 1;
    }
    uint32_t n = tzchan_linux_lanes(S);
    pthread_t *t = calloc(n, sizeof *t);
    int bad = t == NULL;
    for (uint32_t i = 0; !bad && i < n; i++)
        bad |= pthread_create(&t[i], NULL, secure_lane, (void *)(uintptr_t)i) != 0;
    for (uint32_t i = 0; !bad && i < n; i++) {
        void *rc;
        pthread_join(t[i], &rc);
        bad |= rc != NULL;
    }
    tzchan_linux_close(S);
    free(t);
    return bad;
}

/* ---- the normal world (parent) ------------------------------------------------------------------------------- */
static struct tzchan_linux *N;
static uint64_t *sizes;
static size_t nsizes;
static uint64_t total_bytes;            /* all lanes, all messages */
static _Atomic uint64_t progress_bytes; /* bytes answered so far, all lanes */

struct lane_result {
    uint64_t msgs, bytes, ns, failures;
    uint64_t first_bad; /* size of the first message that failed */
    uint64_t *sums;     /* per size: the verified checksum */
    bool *ok;           /* per size: verified */
    struct answer last; /* the secure side's last answer (its statistics) */
    struct tzchan_linux_stats st;
    uint64_t busy_ns;
};
static struct lane_result *res;

/* Sends one message of len bytes (whole if it fits, else streamed) and returns its checksum, or an error. */
static int send_one(uint32_t lane, uint64_t len, uint64_t seed, unsigned char *buf, size_t chunk, uint64_t *sum)
{
    struct tzsum s;
    tzsum_init(&s);
    if (len <= tzchan_linux_max_msg(N)) {
        tzdata_pattern(buf, (size_t)len, seed, 0);
        tzsum_update(&s, buf, (size_t)len);
        int64_t r = tzchan_linux_send(N, lane, buf, (size_t)len, 10000);
        if (r < 0)
            return (int)r;
    } else {
        int e = tzchan_linux_send_begin(N, lane, len);
        if (e)
            return e;
        for (uint64_t at = 0; at < len; at += chunk) {
            size_t n = len - at < chunk ? (size_t)(len - at) : chunk;
            tzdata_pattern(buf, n, seed, at);
            tzsum_update(&s, buf, n);
            int64_t r = tzchan_linux_send_some(N, lane, buf, n, 10000);
            if (r != (int64_t)n)
                return r < 0 ? (int)r : TZCHAN_EIO;
            atomic_fetch_add_explicit(&progress_bytes, n, memory_order_relaxed);
        }
        e = tzchan_linux_send_end(N, lane, 10000);
        if (e)
            return e;
        atomic_fetch_sub_explicit(&progress_bytes, len, memory_order_relaxed); /* counted again below */
    }
    *sum = tzsum_final(&s);
    return 0;
}

static void *normal_lane(void *p)
{
    uint32_t lane = (uint32_t)(uintptr_t)p;
    struct lane_result *r = &res[lane];
    size_t chunk = 1u << 20;
    size_t need = tzchan_linux_max_msg(N) > chunk ? tzchan_linux_max_msg(N) : chunk;
    unsigned char *buf = malloc(need);
    if (buf == NULL) {
        r->failures = nsizes;
        return NULL;
    }
    uint64_t t0 = now_ns();
    for (size_t m = 0; m < nsizes; m++) {
        uint64_t len = sizes[m], want = 0;
        int e = send_one(lane, len, (uint64_t)lane << 32 | m, buf, chunk, &want);
        struct answer a;
        int64_t got = e ? e : tzchan_linux_recv(N, lane, &a, sizeof a, 10000);
        bool ok = got == (int64_t)sizeof a && a.len == len && a.sum == want;
        if (!ok) {
            if (r->failures++ == 0)
                r->first_bad = len;
            if (got < 0) {
                fprintf(stderr, "[normal] lane %u, %" PRIu64 " B: %s\n", lane, len, tzerr_str((int)got));
                break;
            }
        } else {
            r->sums[m] = a.sum;
            r->ok[m] = true;
            r->last = a;
        }
        r->msgs++;
        r->bytes += len;
        atomic_fetch_add_explicit(&progress_bytes, len, memory_order_relaxed);
    }
    r->ns = now_ns() - t0;
    tzchan_linux_get_stats(N, lane, &r->st);
    r->busy_ns = r->ns > r->st.sleep_ns ? r->ns - r->st.sleep_ns : 0;
    free(buf);
    return NULL;
}

/* A raw registration that the secure world must refuse; prints what it answered. */
static void bad_registration(int sock, const char *what, size_t fd_size, int seals, uint32_t lanes)
{
    size_t size = tzchan_region_size(lanes, opt_ring);
    int fd = memfd_create("tzchan-bad", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0 || ftruncate(fd, (off_t)fd_size) != 0 || (seals && fcntl(fd, F_ADD_SEALS, seals) != 0)) {
        perror("[normal] memfd");
        exit(1);
    }
    struct tzchan_linux_hello h;
    memset(&h, 0, sizeof h);
    h.magic = TZCHAN_LINUX_HELLO_MAGIC;
    h.version = TZCHAN_LINUX_HANDOFF_VERSION;
    h.lanes = lanes;
    h.ring_bytes = opt_ring;
    h.region_bytes = size;
    h.nfds = 1;
    char cbuf[CMSG_SPACE(sizeof(int))];
    memset(cbuf, 0, sizeof cbuf);
    struct iovec iov = {.iov_base = &h, .iov_len = sizeof h};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    printf("[normal] registering %s\n", what);
    fflush(stdout);
    struct tzchan_linux_answer a;
    if (sendmsg(sock, &m, MSG_NOSIGNAL) != (ssize_t)sizeof h || recv(sock, &a, sizeof a, 0) != (ssize_t)sizeof a) {
        perror("[normal] hand-off socket");
        exit(1);
    }
    printf("         secure world: %s (reason %u: %s)\n", a.reason ? "REFUSED" : "ACCEPTED, it should not have",
           a.reason, tzchan_linux_reason_str(a.reason));
    close(fd);
    if (a.reason == 0)
        exit(1);
}

static void progress_bar(bool final)
{
    uint64_t done = atomic_load_explicit(&progress_bytes, memory_order_relaxed);
    if (done > total_bytes)
        done = total_bytes;
    int width = 40, fill = total_bytes ? (int)((double)done / (double)total_bytes * width) : width;
    fprintf(stderr, "\r  [%.*s%*s] %3.0f%%  %.0f / %.0f MiB%s", fill, "########################################",
            width - fill, "", total_bytes ? 100.0 * (double)done / (double)total_bytes : 100.0,
            (double)done / 1048576.0, (double)total_bytes / 1048576.0, final ? "\n" : "");
    fflush(stderr);
}

static void build_sizes(void)
{
    uint64_t mm = opt_ring / 2u;
    const uint64_t cand[] = {0,    1,      7,  13,     63,         64,       100,           1000,
                             4093, mm - 1, mm, mm + 1, 3 * mm + 5, 1u << 20, (1u << 20) + 3};
    sizes = malloc(sizeof cand + sizeof(uint64_t));
    if (sizes == NULL)
        exit(1);
    for (size_t i = 0; i < sizeof cand / sizeof cand[0]; i++) {
        bool dup = false;
        for (size_t j = 0; j < nsizes; j++)
            dup |= sizes[j] == cand[i];
        if (cand[i] < opt_size && !dup)
            sizes[nsizes++] = cand[i];
    }
    sizes[nsizes++] = opt_size;
}

static int normal_world(int sock, pid_t secure)
{
    struct tzchan_linux_config cfg = {.lanes = opt_lanes, .ring_bytes = opt_ring, .eventfd = opt_eventfd};
    uint32_t lanes = opt_lanes ? opt_lanes : (uint32_t)get_nprocs_conf();
    size_t size = tzchan_region_size(lanes, opt_ring);
    printf("[normal] the secure world (pid %d) accepts only a sealed memfd of exactly the announced size, <= %u "
           "lanes, rings %u KiB .. "
           "%u MiB, <= %" PRIu64 " MiB in all\n",
           (int)secure, secure_limits.max_lanes, secure_limits.min_ring / 1024, secure_limits.max_ring >> 20,
           secure_limits.max_region_bytes >> 20);
    bad_registration(sock, "an UNSEALED memfd (the secure world could be SIGBUSed by a shrink)", size, 0, lanes);
    bad_registration(sock, "a sealed memfd 64 bytes SMALLER than announced", size - 64,
                     F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL, lanes);
    printf("[normal] registering the real region: memfd sealed shrink|grow|seal, %u lanes x 2 rings x %u KiB, "
           "%zu KiB in all, %s doorbells\n",
           lanes, opt_ring / 1024, size / 1024, opt_eventfd ? "socket" : "futex");
    fflush(stdout);
    unsigned reason = 0;
    int e = tzchan_linux_create(&N, sock, &cfg, 10000, &reason);
    if (e) {
        fprintf(stderr, "[normal] registration failed: %s%s%s\n", tzerr_str(e), reason ? ": " : "",
                reason ? tzchan_linux_reason_str(reason) : "");
        return 1;
    }
    lanes = tzchan_linux_lanes(N);
    printf("         secure world: ACCEPTED; it mapped the region and serves each lane with a thread\n"
           "[normal] largest whole message %zu B; larger ones are streamed\n",
           tzchan_linux_max_msg(N));

    build_sizes();
    char hb[32];
    printf("[normal] sending on every lane, one thread each:");
    for (size_t i = 0; i < nsizes; i++)
        printf("%s %s", i ? "," : "", human(sizes[i], hb, sizeof hb));
    printf("\n");
    fflush(stdout);
    for (size_t i = 0; i < nsizes; i++)
        total_bytes += sizes[i] * lanes;
    res = calloc(lanes, sizeof *res);
    pthread_t *t = calloc(lanes, sizeof *t);
    if (res == NULL || t == NULL)
        return 1;
    uint64_t t0 = now_ns();
    for (uint32_t i = 0; i < lanes; i++) {
        res[i].sums = calloc(nsizes, sizeof(uint64_t));
        res[i].ok = calloc(nsizes, sizeof(bool));
        if (res[i].sums == NULL || res[i].ok == NULL ||
            pthread_create(&t[i], NULL, normal_lane, (void *)(uintptr_t)i) != 0)
            return 1;
    }
    bool tty = isatty(STDERR_FILENO) && isatty(STDOUT_FILENO);
    while (tty && atomic_load_explicit(&progress_bytes, memory_order_relaxed) < total_bytes) {
        progress_bar(false);
        int st;
        if (waitpid(secure, &st, WNOHANG) != 0)
            break; /* the secure world died: the lanes will see EPIPE */
        usleep(100 * 1000);
    }
    for (uint32_t i = 0; i < lanes; i++)
        pthread_join(t[i], NULL);
    free(t);
    if (tty)
        progress_bar(true);
    double wall = (double)(now_ns() - t0) / 1e9;

    /* per size: verified on how many lanes */
    uint64_t failures = 0;
    printf("\n  %12s  %-6s  %-19s  %s\n", "size", "how", "checksum (lane 0)", "verified");
    for (size_t m = 0; m < nsizes; m++) {
        uint32_t ok = 0;
        for (uint32_t i = 0; i < lanes; i++)
            ok += res[i].ok[m];
        printf("  %12s  %-6s  0x%016" PRIx64 "  %u/%u lanes\n", human(sizes[m], hb, sizeof hb),
               sizes[m] <= tzchan_linux_max_msg(N) ? "whole" : "stream", res[0].sums[m], ok, lanes);
    }

    printf("\n  %4s  %8s  %10s  %9s  %11s  %-21s  %s\n", "lane", "messages", "bytes", "MiB/s", "doorbells/msg",
           "normal: sleep / busy", "secure: sleep / busy");
    uint64_t tm = 0, tb = 0, tr = 0;
    double tsn = 0, tbn = 0, tss = 0, tbs = 0;
    for (uint32_t i = 0; i < lanes; i++) {
        struct lane_result *r = &res[i];
        double s = (double)r->ns / 1e9;
        uint64_t rings = r->st.core.doorbells + r->last.rings;
        char nb[32], sb[32];
        snprintf(nb, sizeof nb, "%5.2f s / %5.2f s", (double)r->st.sleep_ns / 1e9, (double)r->busy_ns / 1e9);
        snprintf(sb, sizeof sb, "%5.2f s / %5.2f s", (double)r->last.sleep_ns / 1e9, (double)r->last.busy_ns / 1e9);
        printf("  %4u  %8" PRIu64 "  %10" PRIu64 "  %9.1f  %13.3f  %-21s  %s\n", i, r->msgs, r->bytes,
               s > 0 ? (double)r->bytes / 1048576.0 / s : 0.0, r->msgs ? (double)rings / (double)r->msgs : 0.0, nb,
               sb);
        tm += r->msgs;
        tb += r->bytes;
        tr += rings;
        tsn += (double)r->st.sleep_ns / 1e9;
        tbn += (double)r->busy_ns / 1e9;
        tss += (double)r->last.sleep_ns / 1e9;
        tbs += (double)r->last.busy_ns / 1e9;
        failures += r->failures;
    }
    char nb[32], sb[32];
    snprintf(nb, sizeof nb, "%5.2f s / %5.2f s", tsn, tbn);
    snprintf(sb, sizeof sb, "%5.2f s / %5.2f s", tss, tbs);
    printf("  %4s  %8" PRIu64 "  %10" PRIu64 "  %9.1f  %13.3f  %-21s  %s\n", "all", tm, tb,
           (double)tb / 1048576.0 / wall, tm ? (double)tr / (double)tm : 0.0, nb, sb);
    printf("\n  wall time %.2f s; doorbells counted on both sides (a ring is a futex wake or a byte on the "
           "lane's doorbell socket, sent only to a side that said it sleeps)\n",
           wall);
    tzchan_linux_close(N);
    for (uint32_t i = 0; i < lanes; i++) {
        free(res[i].sums);
        free(res[i].ok);
    }
    free(res);
    return failures != 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"lanes", required_argument, NULL, 'l'}, {"ring", required_argument, NULL, 'r'},
        {"size", required_argument, NULL, 's'},  {"eventfd", no_argument, NULL, 'e'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0}};
    int c;
    uint64_t v;
    while ((c = getopt_long(argc, argv, "l:r:s:eh", longopts, NULL)) != -1) {
        switch (c) {
        case 'l':
            if (!parse_bytes(optarg, &v) || v == 0 || v > TZCHAN_MAX_LANES) {
                fprintf(stderr, "tzchan-demo: --lanes wants 1 .. %u\n", TZCHAN_MAX_LANES);
                return 2;
            }
            opt_lanes = (uint32_t)v;
            break;
        case 'r':
            if (!parse_bytes(optarg, &v) || v < 1024 || v > (16u << 20) || (v & (v - 1)) != 0) {
                fprintf(stderr, "tzchan-demo: --ring wants a power of two in 1K .. 16M\n");
                return 2;
            }
            opt_ring = (uint32_t)v;
            break;
        case 's':
            if (!parse_bytes(optarg, &v) || v > (64ull << 30)) {
                fprintf(stderr, "tzchan-demo: --size wants 0 .. 64G\n");
                return 2;
            }
            opt_size = v;
            break;
        case 'e': opt_eventfd = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "tzchan-demo: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (opt_eventfd && opt_lanes > TZCHAN_LINUX_MAX_EVENTFD_LANES) {
        fprintf(stderr, "tzchan-demo: --eventfd allows at most %u lanes\n", TZCHAN_LINUX_MAX_EVENTFD_LANES);
        return 2;
    }
    if (opt_eventfd && opt_lanes == 0 && get_nprocs_conf() > (int)TZCHAN_LINUX_MAX_EVENTFD_LANES)
        opt_lanes = TZCHAN_LINUX_MAX_EVENTFD_LANES;
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("tzchan-demo: a normal world and a secure world as two processes, sharing one tzchan region\n");
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        perror("socketpair");
        return 1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {
        close(sv[0]);
        _exit(secure_world(sv[1]));
    }
    close(sv[1]);
    int bad = normal_world(sv[0], pid);
    int st = 0;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "tzchan-demo: the secure world failed\n");
        bad = 1;
    }
    printf("\ntzchan-demo: %s\n", bad ? "FAILED: not every message verified" : "every message verified");
    return bad ? 1 : 0;
}
