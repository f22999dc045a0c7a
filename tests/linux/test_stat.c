/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tzchan-stat against a live channel and a scribbled one.
 *
 * Live: this process creates a Linux-port region (side A, 2 lanes, 4 KiB rings) for a child (side B) over a
 * socketpair. A sends three 100-byte messages on lane 0 that nobody receives (3 records of 8 + 104 bytes: prod
 * 336, cons 0); B sends one 1000-byte message on lane 1 (prod 1008) and then blocks in a receive on lane 1. The
 * tool, pointed at the child and at us, must print exactly those indices, the right side for each process, and
 * B's announced wait for DATA on lane 1 (polled for with a deadline: B sleeps when the scheduler lets it); its
 * --json must be one well-formed JSON document (checked by the given checker) holding the same numbers.
 * Scribbled: with the child gone, we write garbage into our own region: lane 1's A->B producer index 96 bytes
 * behind its consumer (prod - cons = 4294967200), then random bytes over the lanes, then over the header. Each
 * time the tool must exit normally (status 3, "INVALID"), never crash or hang: it runs under alarm(30).
 * Mutants: a tool that trusts prod - cons prints a huge "used" with status 0 (the first scribble check fails); a
 * tool that loops over garbage record lengths or lane counts hangs (alarm) or crashes (signal).
 * Usage: test_stat path/to/tzchan-stat [path/to/json-checker]
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tzchan/linux.h"
#include "tzchan/wire.h"

static const char *tool, *checker;
static int failures;

#define CHECK(c, ...)                                                                                              \
    do {                                                                                                           \
        if (!(c)) {                                                                                                \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                                            \
            printf(__VA_ARGS__);                                                                                   \
            printf("\n");                                                                                          \
            failures++;                                                                                            \
        }                                                                                                          \
    } while (0)

/* Runs the tool with args (NULL-terminated) under alarm(30); its stdout goes to *out (malloc'd). Returns its
 * exit status, or 128 + signal if it died of one. */
static int run_tool(char **out, const char *a1, const char *a2, const char *a3, const char *a4)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], STDOUT_FILENO);
        close(p[0]);
        close(p[1]);
        alarm(30); /* a hang detector (survives exec): the tool must never loop on garbage */
        char *argv[] = {(char *)tool, (char *)a1, (char *)a2, (char *)a3, (char *)a4, NULL};
        execv(tool, argv);
        _exit(126);
    }
    close(p[1]);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len + 1 >= cap)
            buf = realloc(buf, cap *= 2);
        ssize_t n = read(p[0], buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    buf[len] = 0;
    close(p[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    *out = buf;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static char pidbuf[32], selfbuf[32];

/* The child: side B. Sends 1000 bytes on lane 1, says so, then blocks in a receive on lane 1 until A sends. */
static int child(int sock, int ready_fd)
{
    struct tzchan_linux *l;
    unsigned reason;
    if (tzchan_linux_accept(&l, sock, NULL, 10000, &reason) != 0)
        return 1;
    static char msg[1000];
    memset(msg, 'b', sizeof msg);
    if (tzchan_linux_send(l, 1, msg, sizeof msg, 10000) != (int64_t)sizeof msg)
        return 1;
    /* tells the parent whether B sleeps behind the asymmetric fence (the state tzchan-stat must show) */
    if (write(ready_fd, tzchan_linux_uses_sleep_fence(l) ? "f" : "r", 1) != 1)
        return 1;
    char in[64];
    int64_t n = tzchan_linux_recv(l, 1, in, sizeof in, 60000);
    tzchan_linux_close(l);
    return n == 1 ? 0 : 1;
}

/* Our own region's memfd, mapped read-write (the port keeps it open: the same fd tzchan-stat finds). */
static unsigned char *map_own_region(size_t *size)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *de;
    unsigned char *m = NULL;
    while (d != NULL && (de = readdir(d)) != NULL) {
        char path[300], link[256];
        snprintf(path, sizeof path, "/proc/self/fd/%s", de->d_name);
        ssize_t k = readlink(path, link, sizeof link - 1);
        if (k <= 0)
            continue;
        link[k] = 0;
        if (strncmp(link, "/memfd:tzchan", 13) != 0)
            continue;
        int fd = atoi(de->d_name);
        struct stat st;
        if (fstat(fd, &st) != 0)
            continue;
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p != MAP_FAILED) {
            m = p;
            *size = (size_t)st.st_size;
            break;
        }
    }
    if (d != NULL)
        closedir(d);
    return m;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)rng;
}

static void check_json(const char *doc, const char *what)
{
    if (checker == NULL)
        return;
    char path[] = "/tmp/tzchan-stat-json-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0, "mkstemp: %s", strerror(errno));
    if (fd < 0)
        return;
    size_t len = strlen(doc);
    CHECK(write(fd, doc, len) == (ssize_t)len, "write json");
    close(fd);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "'%s' '%s' >/dev/null", checker, path);
    int r = system(cmd);
    CHECK(r == 0, "%s: --json output is not one well-formed JSON document:\n%s", what, doc);
    unlink(path);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_stat path/to/tzchan-stat [json-checker]\n");
        return 1;
    }
    tool = argv[1];
    checker = argc > 2 ? argv[2] : NULL;
    signal(SIGPIPE, SIG_IGN);
    int sv[2], rp[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0 || pipe(rp) != 0) {
        perror("socketpair/pipe");
        return 1;
    }
    pid_t kid = fork();
    if (kid == 0) {
        close(sv[0]);
        close(rp[0]);
        _exit(child(sv[1], rp[1]));
    }
    close(sv[1]);
    close(rp[1]);
    struct tzchan_linux *l;
    struct tzchan_linux_config cfg = {.lanes = 2, .ring_bytes = 4096};
    unsigned reason;
    int e = tzchan_linux_create(&l, sv[0], &cfg, 10000, &reason);
    if (e != 0) {
        printf("FAIL create: %s\n", tzchan_strerror(e));
        kill(kid, SIGKILL);
        return 1;
    }
    static char msg[100];
    memset(msg, 'a', sizeof msg);
    for (int i = 0; i < 3; i++)
        CHECK(tzchan_linux_send(l, 0, msg, sizeof msg, 10000) == (int64_t)sizeof msg, "send %d", i);
    char c;
    CHECK(read(rp[0], &c, 1) == 1, "child not ready");
    /* each side's lanes show the sleep fence exactly when that side uses it (docs/LINUX.md s.4.1) */
    const char *b_wait = c == 'f' ? "lane 1 side B (this process): open, sleep-fence; waiting DATA"
                                  : "lane 1 side B (this process): open; waiting DATA";
    const char *a_state = tzchan_linux_uses_sleep_fence(l) ? "lane 1 side A (its peer): open, sleep-fence; waiting -"
                                                           : "lane 1 side A (its peer): open; waiting -";
    snprintf(pidbuf, sizeof pidbuf, "%d", (int)kid);
    snprintf(selfbuf, sizeof selfbuf, "%d", (int)getpid());

    /* ---- live: the child (side B) ---- */
    char *out = NULL;
    int st = -1;
    /* B announces its wait once it sleeps; poll for it (a deadline, not a speed check) */
    for (int t = 0; t < 200; t++) {
        free(out);
        st = run_tool(&out, "--pid", pidbuf, NULL, NULL);
        if (strstr(out, b_wait) != NULL)
            break;
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    printf("--- tzchan-stat --pid <child> (exit %d):\n%s", st, out);
    CHECK(st == 0, "live child: exit status %d, want 0", st);
    CHECK(strstr(out, "this process is side B (acceptor)") != NULL, "child not shown as side B");
    CHECK(strstr(out, "2 lanes, rings of 4096 bytes") != NULL, "geometry");
    CHECK(strstr(out, "lane 0 A->B: prod 336 cons 0 used 336 free 3760\n") != NULL, "lane 0 A->B indices");
    CHECK(strstr(out, "lane 0 B->A: prod 0 cons 0 used 0 free 4096\n") != NULL, "lane 0 B->A indices");
    CHECK(strstr(out, "lane 1 A->B: prod 0 cons 0 used 0 free 4096\n") != NULL, "lane 1 A->B indices");
    CHECK(strstr(out, "lane 1 B->A: prod 1008 cons 0 used 1008 free 3088\n") != NULL, "lane 1 B->A indices");
    CHECK(strstr(out, b_wait) != NULL, "B's state and wait on lane 1 not shown (want \"%s\")", b_wait);
    CHECK(strstr(out, a_state) != NULL, "A's state on lane 1 not shown (want \"%s\")", a_state);
    CHECK(strstr(out, "all shown valid") != NULL, "live region not called valid");
    free(out);

    /* ---- live: ourselves (side A), JSON ---- */
    st = run_tool(&out, "--pid", selfbuf, "--json", NULL);
    printf("--- tzchan-stat --pid <self> --json (exit %d):\n%s", st, out);
    CHECK(st == 0, "live self --json: exit status %d", st);
    CHECK(strstr(out, "\"side\":\"A\"") != NULL, "self not side A");
    CHECK(strstr(out, "\"lane\":0,\"valid\":true,\"a_to_b\":{\"prod\":336,\"cons\":0,\"used\":336,\"free\":3760") !=
              NULL,
          "lane 0 A->B in JSON");
    CHECK(strstr(out, "\"b_to_a\":{\"prod\":1008,\"cons\":0,\"used\":1008,\"free\":3088") != NULL,
          "lane 1 B->A in JSON");
    check_json(out, "live");
    free(out);
    st = run_tool(&out, "--pid", selfbuf, "--lane", "1");
    CHECK(st == 0 && strstr(out, "lane 0 ") == NULL && strstr(out, "lane 1 B->A: prod 1008") != NULL,
          "--lane 1 (exit %d):\n%s", st, out);
    free(out);

    st = run_tool(&out, "--pid", selfbuf, "--lane", "5");
    CHECK(st == 1 && strstr(out, "INVALID") == NULL, "--lane 5 of 2: exit %d (want 1, nothing invalid):\n%s", st,
          out);
    free(out);

    /* release the child and let it go */
    CHECK(tzchan_linux_send(l, 1, "x", 1, 10000) == 1, "release the child");
    int cst;
    waitpid(kid, &cst, 0);
    CHECK(WIFEXITED(cst) && WEXITSTATUS(cst) == 0, "child failed");

    /* ---- scribbled ---- */
    size_t size = 0;
    unsigned char *m = map_own_region(&size);
    CHECK(m != NULL && size == tzchan_region_size(2, 4096), "our own region not found in /proc/self/fd");
    if (m == NULL) {
        tzchan_linux_close(l);
        return 1;
    }
    const size_t stride = TZCHAN_WIRE_LANE_CTRL + 2 * 4096;
    unsigned char *lane1 = m + TZCHAN_WIRE_HEADER_BYTES + stride;
    uint32_t cons;
    memcpy(&cons, lane1 + 0x080, 4);
    uint32_t lag = cons - 96u, bad = cons - 4096u;
    memcpy(lane1 + 0x000, &lag, 4); /* lane 1 A->B: prod 96 behind cons, which wire format version 2 allows */
    st = run_tool(&out, "--pid", selfbuf, NULL, NULL);
    printf("--- lane 1 prod 96 behind cons (exit %d):\n%s", st, out);
    CHECK(st == 0 && strstr(out, "(prod 96 behind: the consumer took self-published records") != NULL,
          "a prod ring - 8 or less behind cons not shown as valid (exit %d)", st);
    free(out);
    memcpy(lane1 + 0x000, &bad, 4); /* lane 1 A->B: prod a ring behind cons */
    st = run_tool(&out, "--pid", selfbuf, NULL, NULL);
    printf("--- scribbled lane 1 prod (exit %d):\n%s", st, out);
    CHECK(st == 3, "scribbled: exit status %d, want 3", st);
    CHECK(strstr(out, "lane 1 A->B: prod - cons = 4294963200 > ring: INVALID (peer or region corrupted)") != NULL,
          "scribbled lane not reported invalid");
    CHECK(strstr(out, "lane 0 A->B: prod 336 cons 0 used 336 free 3760\n") != NULL, "lane 0 still shown");
    free(out);
    st = run_tool(&out, "--pid", selfbuf, "--json", NULL);
    CHECK(st == 3 && strstr(out, "\"lane\":1,\"valid\":false") != NULL, "scribbled --json (exit %d):\n%s", st, out);
    check_json(out, "scribbled");
    free(out);

    /* random garbage over the lanes, then over everything, header included: exit normally, every time */
    for (int round = 0; round < 12; round++) {
        size_t from = round < 6 ? TZCHAN_WIRE_HEADER_BYTES : 0;
        for (size_t i = from; i + 4 <= size; i += 4) {
            uint32_t v = next_rand();
            if (round % 3 == 1)
                v &= 0x1fffu; /* plausible-looking small numbers: some lanes pass, some do not */
            memcpy(m + i, &v, 4);
        }
        if (round == 9) {
            /* a header that passes the checks but claims 1024 lanes of 1 GiB rings: more than the file */
            uint32_t w[4] = {TZCHAN_WIRE_MAGIC, 1, 1024, 1u << 30};
            memcpy(m, w, sizeof w);
        }
        st = run_tool(&out, "--pid", selfbuf, round & 1 ? "--json" : NULL, NULL);
        CHECK(st == 0 || st == 3, "garbage round %d: exit status %d (crash or hang?)\n%s", round, st, out);
        CHECK(strstr(out, "INVALID") != NULL || strstr(out, "\"valid\":false") != NULL,
              "garbage round %d: nothing reported invalid:\n%s", round, out);
        if (round & 1)
            check_json(out, "garbage");
        if (round == 6 || round == 9)
            printf("--- garbage round %d (exit %d):\n%s", round, st, out);
        free(out);
    }
    munmap(m, size);
    tzchan_linux_close(l);
    printf("test_stat: %s\n", failures ? "FAILED" : "live and scribbled regions shown as they are");
    return failures ? 1 : 0;
}
