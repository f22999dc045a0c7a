/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tzchan-bench: measures tzchan against its peers and against the machine's limits, in one run, on one machine,
 * and prints the ratios the project judges speed by (docs/BENCHMARKS.md). Throughput for 8 B .. 16 MiB messages
 * between two threads and between two processes (producer on one core, consumer on another), round-trip latency
 * spinning and sleeping, doorbells per message, and lanes 1..N. Every figure is the median of several trials;
 * trials of all transports are interleaved so that drift in the machine's load hits all of them alike. Output:
 * an aligned table (stdout), --json for machines, --plot for an SVG chart of throughput against message size.
 * This file holds the driver, the statistics and the three report writers; transports.c holds the transports.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>

#include "bench.h"

/* ---- helpers ----------------------------------------------------------------------------------------------- */
uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int g_ncpu = 1;

void pin_to(int cpu)
{
    if (g_ncpu < 2)
        return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu % g_ncpu, &set);
    (void)sched_setaffinity(0, sizeof set, &set);
}

void spin_step(unsigned *n)
{
    cpu_relax();
    if ((++*n & 4095u) == 0 || g_ncpu < 2) /* on one CPU the peer can only run if we step aside */
        sched_yield();
}

void die(const char *what)
{
    fprintf(stderr, "tzchan-bench: %s: %s\n", what, strerror(errno));
    exit(2);
}

void futex_wait_u32(const uint32_t *word, uint32_t expect, bool shared)
{
    syscall(SYS_futex, word, shared ? FUTEX_WAIT : FUTEX_WAIT_PRIVATE, expect, NULL, NULL, 0);
}

void futex_wake_u32(const uint32_t *word, bool shared)
{
    syscall(SYS_futex, word, shared ? FUTEX_WAKE : FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

void *shm_alloc(size_t len)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        die("mmap");
    memset(p, 0, len); /* fault it in before anyone measures */
    return p;
}

void shm_free(void *p, size_t len)
{
    munmap(p, len);
}

/* ---- configuration ----------------------------------------------------------------------------------------- */
static const size_t sizes[] = {8, 64, 256, 4096, 65536, 1u << 20, 16u << 20};
#define NSIZES (sizeof sizes / sizeof sizes[0])
#define MAXREPS 31
#define MAXX 16
enum { M_THREADS, M_PROCS, NMODES };
static const char *const mode_name[NMODES] = {"threads", "processes"};

static struct {
    bool quick;
    int reps;
    double trial_s;         /* seconds per timed trial */
    bool mode_on[NMODES];
    const char *json, *plot, *only;
    bool sec_tput, sec_lat, sec_bell, sec_lanes;
    bool full_fence;        /* --fence full: do not use the asymmetric sleep fence */
} opt = {false, 5, 0.1, {true, true}, NULL, NULL, NULL, true, true, true, true, false};

static int cpu_prod = 0, cpu_cons = 1;
static unsigned char *g_src, *g_dst;
#define BUF_BYTES ((16u << 20) + 4096u)

static bool selected(const char *name)
{
    if (opt.only == NULL)
        return true;
    size_t n = strlen(name);
    for (const char *p = opt.only; (p = strstr(p, name)) != NULL; p += n)
        if ((p == opt.only || p[-1] == ',') && (p[n] == 0 || p[n] == ','))
            return true;
    return false;
}

/* ---- statistics -------------------------------------------------------------------------------------------- */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

struct cell {
    double v[MAXREPS];
    int n;
    bool na, run;
    uint64_t count;
};

static double median(const struct cell *c)
{
    if (c->n == 0)
        return 0;
    double t[MAXREPS];
    memcpy(t, c->v, sizeof(double) * (size_t)c->n);
    qsort(t, (size_t)c->n, sizeof t[0], cmp_double);
    return c->n % 2 ? t[c->n / 2] : (t[c->n / 2 - 1] + t[c->n / 2]) / 2;
}

/* (max - min) / median */
static double spread(const struct cell *c)
{
    if (c->n < 2)
        return 0;
    double lo = c->v[0], hi = c->v[0];
    for (int i = 1; i < c->n; i++) {
        lo = c->v[i] < lo ? c->v[i] : lo;
        hi = c->v[i] > hi ? c->v[i] : hi;
    }
    double m = median(c);
    return m > 0 ? (hi - lo) / m : 0;
}

static bool valid(const struct cell *c)
{
    return c->run && !c->na && c->n > 0;
}

/* ---- running one transport --------------------------------------------------------------------------------- */
struct ctl {
    _Alignas(64) atomic_uint bar_count;
    atomic_uint bar_gen;
    _Alignas(64) uint64_t t_end[2];
};
static struct ctl *g_ctl;

static void barrier(void)
{
    unsigned gen = atomic_load_explicit(&g_ctl->bar_gen, memory_order_acquire);
    if (atomic_fetch_add_explicit(&g_ctl->bar_count, 1, memory_order_acq_rel) == 1) {
        atomic_store_explicit(&g_ctl->bar_count, 0, memory_order_relaxed);
        atomic_fetch_add_explicit(&g_ctl->bar_gen, 1, memory_order_acq_rel);
        return;
    }
    unsigned n = 0;
    while (atomic_load_explicit(&g_ctl->bar_gen, memory_order_acquire) == gen)
        spin_step(&n);
}

struct job {
    const struct xport *xp;
    struct ctx *c;
    uint64_t counts[2]; /* warm-up, timed */
};

static void cons_body(struct job *j)
{
    pin_to(cpu_cons);
    if (g_sleep_fence && j->c->shared)
        (void)sleep_fence_init(); /* this process is a peer the other's sleep fence must reach */
    for (int ph = 0; ph < 2; ph++) {
        barrier();
        j->xp->cons(j->c, j->counts[ph]);
        g_ctl->t_end[ph] = now_ns();
        barrier();
    }
}

static void *cons_thread(void *arg)
{
    cons_body(arg);
    return NULL;
}

/* Runs warm messages untimed, then n timed; returns the nanoseconds from the producer's start of the timed phase
 * to the consumer's receipt of its last message (for latency transports: to the ping side's end). */
static uint64_t run_job(const struct xport *xp, struct ctx *c, bool procs, uint64_t warm, uint64_t n)
{
    pin_to(cpu_prod);
    if (xp->kind & X_SOLO) {
        xp->prod(c, warm);
        uint64_t t0 = now_ns();
        xp->prod(c, n);
        return now_ns() - t0;
    }
    struct job j = {xp, c, {warm, n}};
    pthread_t th;
    pid_t pid = -1;
    if (procs) {
        fflush(NULL);
        pid = fork();
        if (pid < 0)
            die("fork");
        if (pid == 0) {
            cons_body(&j);
            _exit(0);
        }
    } else if (pthread_create(&th, NULL, cons_thread, &j) != 0) {
        die("pthread_create");
    }
    uint64_t t0 = 0, t1 = 0;
    for (int ph = 0; ph < 2; ph++) {
        barrier();
        t0 = now_ns();
        xp->prod(c, j.counts[ph]);
        t1 = now_ns();
        barrier();
    }
    if (procs) {
        int st;
        if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "tzchan-bench: %s: consumer process failed\n", xp->name);
            exit(2);
        }
    } else {
        pthread_join(th, NULL);
    }
    uint64_t end = (xp->kind & X_LAT) ? t1 : g_ctl->t_end[1];
    return end > t0 ? end - t0 : 1;
}

/* One throughput trial: messages per second, or -1 when the transport cannot carry this size here. */
static double tput_trial(const struct xport *xp, bool procs, size_t size, uint64_t n)
{
    if (xp->fits != NULL && !xp->fits(size))
        return -1;
    struct ctx c;
    ctx_init(&c, size, procs, g_src, g_dst);
    if (xp->setup(&c) != 0)
        return -1;
    uint64_t warm = n / 10 ? n / 10 : 1;
    uint64_t ns = run_job(xp, &c, procs, warm, n);
    xp->teardown(&c);
    return (double)n * 1e9 / (double)ns;
}

static uint64_t count_for(double rate, double seconds, uint64_t lo)
{
    double n = rate * seconds;
    if (n < (double)lo)
        return lo;
    if (n > 2e9)
        return 2000000000u;
    return (uint64_t)n;
}

static struct cell tput[NMODES][MAXX][NSIZES];

static void run_throughput(void)
{
    size_t nx = xp_tput_n < MAXX ? xp_tput_n : MAXX;
    /* calibration: a short run of each, to size the timed trials; doubles as the first warm-up */
    for (int m = 0; m < NMODES; m++) {
        if (!opt.mode_on[m])
            continue;
        for (size_t s = 0; s < NSIZES; s++)
            for (size_t x = 0; x < nx; x++) {
                struct cell *cl = &tput[m][x][s];
                const struct xport *xp = &xp_tput[x];
                if (!selected(xp->name) || ((xp->kind & X_SOLO) && m == M_PROCS))
                    continue;
                cl->run = true;
                uint64_t probe = (uint64_t)((opt.quick ? 256u << 10 : 1u << 20) / sizes[s]);
                uint64_t cap = opt.quick ? 500 : 20000;
                probe = probe < 2 ? 2 : probe > cap ? cap : probe;
                double r = tput_trial(xp, m == M_PROCS, sizes[s], probe);
                if (r < 0) {
                    cl->na = true;
                    continue;
                }
                cl->count = count_for(r, opt.trial_s, 2);
            }
    }
    for (int rep = 0; rep < opt.reps; rep++) {
        for (int m = 0; m < NMODES; m++)
            for (size_t s = 0; s < NSIZES; s++)
                for (size_t x = 0; x < nx; x++) {
                    struct cell *cl = &tput[m][x][s];
                    if (!cl->run || cl->na)
                        continue;
                    double r = tput_trial(&xp_tput[x], m == M_PROCS, sizes[s], cl->count);
                    if (r > 0 && cl->n < MAXREPS)
                        cl->v[cl->n++] = r;
                }
        fprintf(stderr, "\rthroughput: %d/%d trials done", rep + 1, opt.reps);
    }
    fprintf(stderr, "\n");
}

/* ---- latency ----------------------------------------------------------------------------------------------- */
struct latrow {
    const struct xport *xp;
    size_t size;
    struct cell med, p99; /* ns, one value per repetition */
};
#define MAXLAT 16
static struct latrow lat[MAXLAT];
static size_t nlat;

static void lat_trial(struct latrow *r, uint64_t n)
{
    struct ctx c;
    ctx_init(&c, r->size, false, g_src, g_dst);
    c.spin = strcmp(r->xp->name, "tz-block") == 0 ? 0 : -1;
    uint64_t warm = n / 10 ? n / 10 : 1;
    c.samples = calloc(n > warm ? n : warm, sizeof(uint64_t));
    if (c.samples == NULL)
        die("calloc");
    if (r->xp->setup(&c) != 0) {
        r->med.na = r->p99.na = true;
        free(c.samples);
        return;
    }
    run_job(r->xp, &c, false, warm, n);
    r->xp->teardown(&c);
    qsort(c.samples, n, sizeof(uint64_t), cmp_u64);
    r->med.v[r->med.n++] = (double)c.samples[n / 2];
    r->p99.v[r->p99.n++] = (double)c.samples[(n * 99) / 100];
    free(c.samples);
}

static void run_latency(void)
{
    for (size_t x = 0; x < xp_lat_n; x++) {
        const struct xport *xp = &xp_lat[x];
        if (!selected(xp->name))
            continue;
        static const size_t lsz[] = {64, 4096};
        for (size_t k = 0; k < 2; k++) {
            size_t size = lsz[k];
            if (!xp->fits(size)) {
                if (k == 0 && xp->fits(0))
                    size = 0;
                else
                    continue;
            }
            if (nlat < MAXLAT) {
                lat[nlat].xp = xp;
                lat[nlat].size = size;
                lat[nlat].med.run = lat[nlat].p99.run = true;
                nlat++;
            }
        }
    }
    /* round trips per trial: a probe sizes each row to about 3 trial times (1000 .. 20000 samples) */
    uint64_t n[MAXLAT];
    for (size_t i = 0; i < nlat; i++) {
        n[i] = opt.quick ? 200 : 20000;
        if (opt.quick)
            continue;
        struct latrow probe = lat[i];
        probe.med.n = probe.p99.n = 0;
        lat_trial(&probe, 200);
        if (probe.med.na || probe.med.n == 0) {
            lat[i].med.na = lat[i].p99.na = probe.med.na;
            continue;
        }
        double want = 3 * opt.trial_s * 1e9 / probe.med.v[0];
        n[i] = want < 1000 ? 1000 : want > 20000 ? 20000 : (uint64_t)want;
    }
    for (int rep = 0; rep < opt.reps; rep++)
        for (size_t i = 0; i < nlat; i++)
            if (!lat[i].med.na && lat[i].med.n < MAXREPS)
                lat_trial(&lat[i], n[i]);
}

static const struct latrow *lat_find(const char *name, size_t size)
{
    for (size_t i = 0; i < nlat; i++)
        if (strcmp(lat[i].xp->name, name) == 0 && lat[i].size == size && valid(&lat[i].med))
            return &lat[i];
    return NULL;
}

/* ---- doorbells --------------------------------------------------------------------------------------------- */
struct bellrow {
    const char *what;
    int spin;
    bool lowrate;
    uint64_t msgs, rings, waits;
};
static struct bellrow bells[] = {
    {"saturated, spin 2000 then sleep", 2000, false, 0, 0, 0},
    {"saturated, sleep at once", 0, false, 0, 0, 0},
    {"low rate (1 msg / 50 us), spin 2000 then sleep", 2000, true, 0, 0, 0},
};
#define NBELLS (sizeof bells / sizeof bells[0])

static void run_doorbells(void)
{
    for (size_t i = 0; i < NBELLS; i++) {
        struct bellrow *b = &bells[i];
        struct ctx c;
        ctx_init(&c, 64, false, g_src, g_dst);
        c.spin = b->spin;
        const struct xport *xp = b->lowrate ? &xp_tz_lowrate : &xp_tz_send;
        xp->setup(&c);
        uint64_t n = b->lowrate ? (opt.quick ? 50 : 1000) : (opt.quick ? 20000 : 500000);
        run_job(xp, &c, false, 0, n);
        struct tzchan_stats sa, sb;
        tzchan_get_stats(&c.a, &sa);
        tzchan_get_stats(&c.b, &sb);
        b->msgs = sb.msgs_recv;
        b->rings = sa.doorbells + sb.doorbells;
        b->waits = sa.waits + sb.waits;
        xp->teardown(&c);
    }
}

/* ---- lanes ------------------------------------------------------------------------------------------------- */
#define MAXLANES 64
static struct cell lanes_res[MAXLANES + 1];
static uint32_t nlanes_max;

static void run_lanes_all(void)
{
    nlanes_max = g_ncpu < MAXLANES ? (uint32_t)g_ncpu : MAXLANES;
    uint64_t n = opt.quick ? 5000 : 300000;
    for (int rep = 0; rep < opt.reps; rep++)
        for (uint32_t l = 1; l <= nlanes_max; l++) {
            lanes_res[l].run = true;
            if (lanes_res[l].n < MAXREPS)
                lanes_res[l].v[lanes_res[l].n++] = run_lanes(l, 64, n, 200, g_ncpu);
        }
}

/* ---- machine ----------------------------------------------------------------------------------------------- */
static char cpu_model[128] = "unknown", kernel[128] = "unknown", date_utc[32];

static void read_machine(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[256];
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "model name", 10) == 0 || strncmp(line, "Model", 5) == 0) {
            char *p = strchr(line, ':');
            if (p != NULL) {
                p += 1 + strspn(p + 1, " \t");
                p[strcspn(p, "\n")] = 0;
                snprintf(cpu_model, sizeof cpu_model, "%s", p);
                break;
            }
        }
    }
    if (f != NULL)
        fclose(f);
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(kernel, sizeof kernel, "%.40s %.60s %.20s", u.sysname, u.release, u.machine);
    time_t t = time(NULL);
    strftime(date_utc, sizeof date_utc, "%Y-%m-%d %H:%M UTC", gmtime(&t));
}

/* ---- formatting -------------------------------------------------------------------------------------------- */
static const char *si(double v, char *buf, size_t n)
{
    static const char suf[] = " KMGTP";
    int k = 0;
    while (v >= 999.5 && k < 5) {
        v /= 1000;
        k++;
    }
    if (k == 0)
        snprintf(buf, n, "%.3g", v);
    else
        snprintf(buf, n, "%.3g%c", v, suf[k]);
    return buf;
}

static const char *size_name(size_t s, char *buf, size_t n)
{
    if (s >= (1u << 20))
        snprintf(buf, n, "%zu MiB", s >> 20);
    else if (s >= 1024)
        snprintf(buf, n, "%zu KiB", s >> 10);
    else
        snprintf(buf, n, "%zu B", s);
    return buf;
}

static int xindex(const char *name)
{
    for (size_t x = 0; x < xp_tput_n && x < MAXX; x++)
        if (strcmp(xp_tput[x].name, name) == 0)
            return (int)x;
    return -1;
}

/* messages/s of transport `name` at size index s, mode m; 0 if not measured */
static double rate_of(int m, const char *name, size_t s)
{
    int x = xindex(name);
    if (x < 0 || !valid(&tput[m][x][s]))
        return 0;
    return median(&tput[m][x][s]);
}

static size_t size_index(size_t size)
{
    for (size_t s = 0; s < NSIZES; s++)
        if (sizes[s] == size)
            return s;
    return 0;
}

/* ---- targets ----------------------------------------------------------------------------------------------- */
struct target {
    const char *what;
    double goal;      /* the ratio must reach it (higher) or stay below it (lower) */
    bool lower;
    double value;     /* measured ratio, 0 = not measured */
};
#define NTARGETS 11
static struct target targets[NMODES][NTARGETS];

static void ratio_target(struct target *t, const char *what, double goal, double num, double den)
{
    t->what = what;
    t->goal = goal;
    t->lower = false;
    t->value = (num > 0 && den > 0) ? num / den : 0;
}

static void compute_targets(void)
{
    size_t s64 = size_index(64), s64k = size_index(65536), s16m = size_index(16u << 20);
    for (int m = 0; m < NMODES; m++) {
        struct target *t = targets[m];
        ratio_target(&t[0], "64 B tz-send / ck_ring", 1, rate_of(m, "tz-send", s64), rate_of(m, "ck_ring", s64));
        ratio_target(&t[1], "64 B tz-send / unix-str", 20, rate_of(m, "tz-send", s64),
                     rate_of(m, "unix-str", s64));
        ratio_target(&t[2], "64 B tz-batch / unix-str", 100, rate_of(m, "tz-batch", s64),
                     rate_of(m, "unix-str", s64));
        ratio_target(&t[3], "64 B tz-batch / ck_ring", 3, rate_of(m, "tz-batch", s64), rate_of(m, "ck_ring", s64));
        ratio_target(&t[4], "64 KiB tz-send / xcopy", 0.6, rate_of(m, "tz-send", s64k), rate_of(m, "xcopy", s64k));
        ratio_target(&t[5], "64 KiB tz-send / unix-str", 3, rate_of(m, "tz-send", s64k),
                     rate_of(m, "unix-str", s64k));
        ratio_target(&t[6], "64 KiB tz-zc / xcopy", 1, rate_of(m, "tz-zc", s64k), rate_of(m, "xcopy", s64k));
        ratio_target(&t[7], "16 MiB tz-64k (streamed) / xcopy", 0.5, rate_of(m, "tz-64k", s16m),
                     rate_of(m, "xcopy", s16m));
        t[8] = t[9] = t[10] = (struct target){NULL, 0, false, 0};
        if (m == M_THREADS) {
            const struct latrow *ts = lat_find("tz-spin", 64), *cl = lat_find("cacheline", 0);
            const struct latrow *tb = lat_find("tz-block", 64), *fx = lat_find("futex", 0);
            t[8].what = "64 B spinning round trip / cacheline";
            t[8].goal = 2;
            t[8].lower = true;
            t[8].value = (ts && cl) ? median(&ts->med) / median(&cl->med) : 0;
            t[9].what = "64 B blocking round trip / futex";
            t[9].goal = 1.2;
            t[9].lower = true;
            t[9].value = (tb && fx) ? median(&tb->med) / median(&fx->med) : 0;
            t[10].what = "doorbells per message, saturated";
            t[10].goal = 0.001;
            t[10].lower = true;
            t[10].value = (opt.sec_bell && bells[0].msgs) ? (double)bells[0].rings / (double)bells[0].msgs : -1;
        }
    }
}

static const char *verdict(const struct target *t, char *buf, size_t n)
{
    if (t->value == 0 || t->value < 0) {
        if (t->lower && t->value == 0 && strstr(t->what, "doorbells") != NULL)
            snprintf(buf, n, "met");
        else
            snprintf(buf, n, "not measured");
    } else if (t->lower ? t->value <= t->goal : t->value >= t->goal) {
        snprintf(buf, n, "met");
    } else {
        snprintf(buf, n, "short %.2fx", t->lower ? t->value / t->goal : t->goal / t->value);
    }
    return buf;
}

/* ---- the table --------------------------------------------------------------------------------------------- */
static void print_tables(FILE *o)
{
    char b1[32], b2[32];
    fprintf(o, "tzchan-bench: %s, %d CPUs, %s, %s\n", cpu_model, g_ncpu, kernel, date_utc);
    fprintf(o, "producer on cpu %d, consumer on cpu %d; median of %d trials of ~%.0f ms each, interleaved; "
               "+-N%% = (max - min) / median\n",
            cpu_prod, cpu_cons, opt.reps, opt.trial_s * 1000);
    fprintf(o, "tzchan publish fence: %s\n",
            g_sleep_fence ? "asymmetric (peers sleep behind membarrier(); no full fence per message)"
                          : "full fence per publication (portable path)");
    if (opt.sec_tput) {
        fprintf(o, "\ncolumns:\n");
        for (size_t x = 0; x < xp_tput_n && x < MAXX; x++)
            fprintf(o, "  %-9s %s%s\n", xp_tput[x].name, xp_tput[x].what,
                    (!have_ck_ring() && strcmp(xp_tput[x].name, "ck_ring") == 0) ? " (not built: n/a)" : "");
        for (int m = 0; m < NMODES; m++) {
            if (!opt.mode_on[m])
                continue;
            for (int unit = 0; unit < 2; unit++) {
                fprintf(o, "\nthroughput between %s, %s\n%8s", mode_name[m],
                        unit ? "bytes/s" : "messages/s", "size");
                for (size_t x = 0; x < xp_tput_n && x < MAXX; x++)
                    fprintf(o, " %11s", xp_tput[x].name);
                fprintf(o, "\n");
                for (size_t s = 0; s < NSIZES; s++) {
                    fprintf(o, "%8s", size_name(sizes[s], b1, sizeof b1));
                    for (size_t x = 0; x < xp_tput_n && x < MAXX; x++) {
                        const struct cell *c = &tput[m][x][s];
                        char cellbuf[48];
                        if (!c->run)
                            snprintf(cellbuf, sizeof cellbuf, "-");
                        else if (!valid(c))
                            snprintf(cellbuf, sizeof cellbuf, "n/a");
                        else
                            snprintf(cellbuf, sizeof cellbuf, "%s +-%.0f%%",
                                     si(median(c) * (unit ? (double)sizes[s] : 1.0), b2, sizeof b2),
                                     spread(c) * 100);
                        fprintf(o, " %11s", cellbuf);
                    }
                    fprintf(o, "\n");
                }
            }
            fprintf(o, "\nratios between %s: tzchan / column, same size, same run\n%8s %-9s", mode_name[m], "size",
                    "tzchan");
            for (size_t x = 0; x < xp_tput_n && x < MAXX; x++)
                if (!(xp_tput[x].kind & X_TZ))
                    fprintf(o, " %9s", xp_tput[x].name);
            fprintf(o, "\n");
            for (size_t s = 0; s < NSIZES; s++)
                for (size_t t = 0; t < xp_tput_n && t < MAXX; t++) {
                    if (!(xp_tput[t].kind & X_TZ) || !valid(&tput[m][t][s]))
                        continue;
                    fprintf(o, "%8s %-9s", size_name(sizes[s], b1, sizeof b1), xp_tput[t].name);
                    for (size_t x = 0; x < xp_tput_n && x < MAXX; x++) {
                        if (xp_tput[x].kind & X_TZ)
                            continue;
                        if (valid(&tput[m][x][s]))
                            fprintf(o, " %8.3gx", median(&tput[m][t][s]) / median(&tput[m][x][s]));
                        else
                            fprintf(o, " %9s", "n/a");
                    }
                    fprintf(o, "\n");
                }
        }
    }
    if (opt.sec_lat && nlat) {
        const struct latrow *cl = lat_find("cacheline", 0), *fx = lat_find("futex", 0);
        fprintf(o, "\nround trip between threads (us; median and p99 of each trial, median over trials)\n");
        fprintf(o, "%-10s %8s %9s %9s %7s %12s %9s\n", "transport", "size", "median", "p99", "spread", "/cacheline",
                "/futex");
        for (size_t i = 0; i < nlat; i++) {
            const struct latrow *r = &lat[i];
            fprintf(o, "%-10s %8s", r->xp->name, r->size ? size_name(r->size, b1, sizeof b1) : "-");
            if (!valid(&r->med)) {
                fprintf(o, " %9s\n", "n/a");
                continue;
            }
            double md = median(&r->med);
            fprintf(o, " %9.2f %9.2f %6.0f%%", md / 1e3, median(&r->p99) / 1e3, spread(&r->med) * 100);
            fprintf(o, " %11.2fx", cl ? md / median(&cl->med) : 0);
            fprintf(o, " %8.2fx\n", fx ? md / median(&fx->med) : 0);
        }
    }
    if (opt.sec_bell) {
        fprintf(o, "\ndoorbells, 64 B tz-send between threads (both directions counted)\n");
        fprintf(o, "%-48s %10s %10s %10s %12s\n", "load", "messages", "doorbells", "sleeps", "per message");
        for (size_t i = 0; i < NBELLS; i++)
            fprintf(o, "%-48s %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %12.5f\n", bells[i].what, bells[i].msgs,
                    bells[i].rings, bells[i].waits,
                    bells[i].msgs ? (double)bells[i].rings / (double)bells[i].msgs : 0.0);
    }
    if (opt.sec_lanes && nlanes_max) {
        fprintf(o, "\nlanes: 64 B tz-send, one producer/consumer thread pair per lane (spin 200 then sleep)\n");
        fprintf(o, "%6s %14s %8s %14s\n", "lanes", "messages/s", "spread", "per lane");
        for (uint32_t l = 1; l <= nlanes_max; l++) {
            double md = median(&lanes_res[l]);
            fprintf(o, "%6u %14s %7.0f%%", l, si(md, b1, sizeof b1), spread(&lanes_res[l]) * 100);
            fprintf(o, " %14s\n", si(md / l, b2, sizeof b2));
        }
    }
    fprintf(o, "\ntargets (issue 4): ratio measured in this run\n%-40s %-10s %10s  %s\n", "target", "goal", "ratio",
            "verdict");
    for (int m = 0; m < NMODES; m++) {
        if (!opt.mode_on[m])
            continue;
        for (int i = 0; i < NTARGETS; i++) {
            const struct target *t = &targets[m][i];
            if (t->what == NULL)
                continue;
            char g[24], name[80];
            snprintf(g, sizeof g, "%s %g", t->lower ? "<=" : ">=", t->goal);
            snprintf(name, sizeof name, "%s (%s)", t->what, m == M_THREADS ? "thr" : "proc");
            if (t->value < 0)
                fprintf(o, "%-40s %-10s %10s  %s\n", name, g, "-", verdict(t, b1, sizeof b1));
            else
                fprintf(o, "%-40s %-10s %10.4g  %s\n", name, g, t->value, verdict(t, b1, sizeof b1));
        }
    }
    fprintf(o, "heap allocations in the data path: 0 (the core links no allocator; see the freestanding_symbols "
               "test)\n");
}

/* ---- JSON -------------------------------------------------------------------------------------------------- */
static void json_str(FILE *o, const char *s)
{
    fputc('"', o);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(o, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            fprintf(o, "\\u%04x", (unsigned char)*s);
        else
            fputc(*s, o);
    }
    fputc('"', o);
}

static void json_num(FILE *o, double v)
{
    if (isfinite(v))
        fprintf(o, "%.6g", v);
    else
        fprintf(o, "null");
}

static void print_json(FILE *o)
{
    fprintf(o, "{\n  \"tool\": \"tzchan-bench\",\n  \"machine\": {\"cpu\": ");
    json_str(o, cpu_model);
    fprintf(o, ", \"cpus\": %d, \"kernel\": ", g_ncpu);
    json_str(o, kernel);
    fprintf(o, ", \"date\": ");
    json_str(o, date_utc);
    fprintf(o, "},\n  \"config\": {\"quick\": %s, \"reps\": %d, \"trial_s\": ", opt.quick ? "true" : "false",
            opt.reps);
    json_num(o, opt.trial_s);
    fprintf(o, ", \"cpu_producer\": %d, \"cpu_consumer\": %d, \"ck_ring\": %s, \"fence\": \"%s\"},\n", cpu_prod,
            cpu_cons, have_ck_ring() ? "true" : "false", g_sleep_fence ? "asym" : "full");
    fprintf(o, "  \"throughput\": [");
    bool first = true;
    for (int m = 0; m < NMODES; m++)
        for (size_t x = 0; x < xp_tput_n && x < MAXX; x++)
            for (size_t s = 0; s < NSIZES; s++) {
                const struct cell *c = &tput[m][x][s];
                if (!c->run)
                    continue;
                fprintf(o, "%s\n    {\"mode\": \"%s\", \"transport\": \"%s\", \"size\": %zu, ", first ? "" : ",",
                        mode_name[m], xp_tput[x].name, sizes[s]);
                first = false;
                if (!valid(c)) {
                    fprintf(o, "\"available\": false}");
                    continue;
                }
                fprintf(o, "\"available\": true, \"msgs_per_s\": ");
                json_num(o, median(c));
                fprintf(o, ", \"bytes_per_s\": ");
                json_num(o, median(c) * (double)sizes[s]);
                fprintf(o, ", \"spread\": ");
                json_num(o, spread(c));
                fprintf(o, ", \"trials\": %d, \"messages_per_trial\": %" PRIu64 "}", c->n, c->count);
            }
    fprintf(o, "\n  ],\n  \"latency\": [");
    for (size_t i = 0; i < nlat; i++) {
        const struct latrow *r = &lat[i];
        fprintf(o, "%s\n    {\"transport\": \"%s\", \"size\": %zu, ", i ? "," : "", r->xp->name, r->size);
        if (!valid(&r->med)) {
            fprintf(o, "\"available\": false}");
            continue;
        }
        fprintf(o, "\"available\": true, \"median_ns\": ");
        json_num(o, median(&r->med));
        fprintf(o, ", \"p99_ns\": ");
        json_num(o, median(&r->p99));
        fprintf(o, ", \"spread\": ");
        json_num(o, spread(&r->med));
        fprintf(o, "}");
    }
    fprintf(o, "\n  ],\n  \"doorbells\": [");
    for (size_t i = 0; opt.sec_bell && i < NBELLS; i++) {
        fprintf(o, "%s\n    {\"load\": ", i ? "," : "");
        json_str(o, bells[i].what);
        fprintf(o, ", \"messages\": %" PRIu64 ", \"doorbells\": %" PRIu64 ", \"sleeps\": %" PRIu64 "}", bells[i].msgs,
                bells[i].rings, bells[i].waits);
    }
    fprintf(o, "\n  ],\n  \"lanes\": [");
    for (uint32_t l = 1; opt.sec_lanes && l <= nlanes_max; l++) {
        fprintf(o, "%s\n    {\"lanes\": %u, \"msgs_per_s\": ", l > 1 ? "," : "", l);
        json_num(o, median(&lanes_res[l]));
        fprintf(o, ", \"spread\": ");
        json_num(o, spread(&lanes_res[l]));
        fprintf(o, "}");
    }
    fprintf(o, "\n  ],\n  \"targets\": [");
    first = true;
    for (int m = 0; m < NMODES; m++)
        for (int i = 0; i < NTARGETS; i++) {
            const struct target *t = &targets[m][i];
            if (t->what == NULL || !opt.mode_on[m])
                continue;
            char b[32];
            fprintf(o, "%s\n    {\"mode\": \"%s\", \"target\": ", first ? "" : ",", mode_name[m]);
            first = false;
            json_str(o, t->what);
            fprintf(o, ", \"goal\": ");
            json_num(o, t->goal);
            fprintf(o, ", \"at_most\": %s, \"ratio\": ", t->lower ? "true" : "false");
            json_num(o, t->value);
            fprintf(o, ", \"verdict\": ");
            json_str(o, verdict(t, b, sizeof b));
            fprintf(o, "}");
        }
    fprintf(o, "\n  ]\n}\n");
}

/* ---- SVG plot: bytes/s against message size, both on log scales ------------------------------------------- */
static void print_svg(FILE *o)
{
    static const char *const colour[] = {"#d62728", "#ff7f0e", "#8c564b", "#e377c2", "#1f77b4", "#2ca02c",
                                         "#17becf", "#9467bd", "#bcbd22", "#7f7f7f", "#000000", "#aec7e8"};
    const int W = 960, H = 600, L = 80, R = 200, T = 50, B = 60;
    int m = opt.mode_on[M_THREADS] ? M_THREADS : M_PROCS;
    double lo = 1e300, hi = 0;
    for (size_t x = 0; x < xp_tput_n && x < MAXX; x++)
        for (size_t s = 0; s < NSIZES; s++)
            if (valid(&tput[m][x][s])) {
                double v = median(&tput[m][x][s]) * (double)sizes[s];
                lo = v < lo ? v : lo;
                hi = v > hi ? v : hi;
            }
    if (hi <= 0) {
        lo = 1e6;
        hi = 1e10;
    }
    double ylo = floor(log10(lo)), yhi = ceil(log10(hi));
    if (yhi <= ylo)
        yhi = ylo + 1;
    double xlo = log2((double)sizes[0]), xhi = log2((double)sizes[NSIZES - 1]);
#define PX(v) (L + (log2(v) - xlo) / (xhi - xlo) * (W - L - R))
#define PY(v) (H - B - (log10(v) - ylo) / (yhi - ylo) * (H - T - B))
    fprintf(o, "<!-- SPDX-License-Identifier: BSD-2-Clause -->\n<!-- written by tzchan-bench --plot -->\n");
    fprintf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" "
               "font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            W, H);
    fprintf(o, "<text x=\"%d\" y=\"24\" font-size=\"15\">tzchan-bench: throughput between %s (bytes/s, log "
               "scales)</text>\n",
            L, mode_name[m]);
    fprintf(o, "<text x=\"%d\" y=\"40\" font-size=\"11\" fill=\"#555\">", L);
    for (const char *q = cpu_model; *q; q++)
        fputs(*q == '<' ? "&lt;" : *q == '&' ? "&amp;" : *q == '>' ? "&gt;" : (char[2]){*q, 0}, o);
    fprintf(o, ", %s, %s</text>\n", kernel, date_utc);
    char b[32];
    for (double e = ylo; e <= yhi + 1e-9; e++) {
        double y = PY(pow(10, e));
        fprintf(o, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", L, W - R, y, y);
        fprintf(o, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%sB/s</text>\n", L - 6, y + 4,
                si(pow(10, e), b, sizeof b));
    }
    for (size_t s = 0; s < NSIZES; s++) {
        double x = PX((double)sizes[s]);
        fprintf(o, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>\n", x, x, T, H - B);
        fprintf(o, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", x, H - B + 18,
                size_name(sizes[s], b, sizeof b));
    }
    fprintf(o, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">message size</text>\n", (L + W - R) / 2, H - 18);
    fprintf(o, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333\"/>\n", L, T,
            W - L - R, H - T - B);
    int li = 0;
    for (size_t x = 0; x < xp_tput_n && x < MAXX; x++) {
        const char *col = colour[x % (sizeof colour / sizeof colour[0])];
        bool any = false;
        for (size_t s = 0; s < NSIZES; s++)
            any |= valid(&tput[m][x][s]);
        if (!any)
            continue;
        const char *dash = (xp_tput[x].kind & X_LIMIT) ? " stroke-dasharray=\"6 4\"" : "";
        int width = (xp_tput[x].kind & X_TZ) ? 3 : 2;
        fprintf(o, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%d\"%s points=\"", col, width, dash);
        for (size_t s = 0; s < NSIZES; s++)
            if (valid(&tput[m][x][s]))
                fprintf(o, "%.1f,%.1f ", PX((double)sizes[s]), PY(median(&tput[m][x][s]) * (double)sizes[s]));
        fprintf(o, "\"/>\n");
        for (size_t s = 0; s < NSIZES; s++)
            if (valid(&tput[m][x][s]))
                fprintf(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", PX((double)sizes[s]),
                        PY(median(&tput[m][x][s]) * (double)sizes[s]), col);
        int ly = T + 10 + 20 * li++;
        fprintf(o, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"%d\"%s/>\n",
                W - R + 12, W - R + 40, ly, ly, col, width, dash);
        fprintf(o, "<text x=\"%d\" y=\"%d\">%s</text>\n", W - R + 46, ly + 4, xp_tput[x].name);
    }
#undef PX
#undef PY
    fprintf(o, "</svg>\n");
}

/* ---- main -------------------------------------------------------------------------------------------------- */
static void usage(void)
{
    fprintf(stderr,
            "usage: tzchan-bench [--quick] [--json FILE|-] [--plot FILE.svg] [--reps N] [--time SECONDS]\n"
            "                    [--mode threads|processes|both] [--only NAME,NAME...]\n"
            "                    [--sections tput,lat,bell,lanes] [--fence asym|full]\n"
            "  --quick     a smoke run of a few seconds (CI): one short trial each\n"
            "  --json      write the results as JSON to FILE ('-': stdout; the table then goes to stderr)\n"
            "  --plot      write an SVG chart of throughput against message size\n"
            "  --only      run only these transports (names as in the table)\n"
            "  --fence     asym (default where the kernel has expedited membarrier): tzchan endpoints sleep behind\n"
            "              tzchan_set_sleep_fence(membarrier) and publish without a full fence; full: the portable path\n");
}

static int bad_usage(const char *opt_name, const char *want, const char *got)
{
    fprintf(stderr, "tzchan-bench: %s wants %s, not '%s'\n", opt_name, want, got != NULL ? got : "");
    usage();
    return 2;
}

/* True if every comma-separated word of `list` is one of `words` (a NULL-terminated list), and there is one. */
static bool words_ok(const char *list, const char *const *words)
{
    if (list == NULL || list[0] == 0)
        return false;
    for (const char *p = list;;) {
        size_t n = strcspn(p, ",");
        bool known = false;
        for (const char *const *w = words; *w != NULL; w++)
            known |= strlen(*w) == n && strncmp(*w, p, n) == 0;
        if (!known)
            return false;
        if (p[n] == 0)
            return true;
        p += n + 1;
    }
}

int main(int argc, char **argv)
{
    /* every option is checked before anything is measured (or any file written) */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--quick") == 0) {
            opt.quick = true;
        } else if (strcmp(a, "--help") == 0) {
            usage();
            return 0;
        } else if (strcmp(a, "--json") == 0 || strcmp(a, "--plot") == 0) {
            if (v == NULL || v[0] == 0)
                return bad_usage(a, a[2] == 'j' ? "a file name or '-'" : "a file name", v);
            if (a[2] == 'j')
                opt.json = v;
            else
                opt.plot = v;
            i++;
        } else if (strcmp(a, "--reps") == 0) {
            char *end = NULL;
            errno = 0;
            long r = v != NULL ? strtol(v, &end, 10) : 0;
            if (v == NULL || end == v || *end != 0 || errno != 0 || r < 1 || r > MAXREPS)
                return bad_usage(a, "a number of repetitions, 1 .. 31", v);
            opt.reps = (int)r;
            i++;
        } else if (strcmp(a, "--time") == 0) {
            char *end = NULL;
            errno = 0;
            double t = v != NULL ? strtod(v, &end) : 0;
            if (v == NULL || end == v || *end != 0 || errno != 0 || !(t > 0) || t > 3600)
                return bad_usage(a, "seconds per trial, more than 0 and at most 3600", v);
            opt.trial_s = t;
            i++;
        } else if (strcmp(a, "--only") == 0) {
            if (v == NULL || v[0] == 0 || v[0] == ',' || strstr(v, ",,") != NULL || v[strlen(v) - 1] == ',')
                return bad_usage(a, "a comma-separated list of transport names", v);
            opt.only = v;
            i++;
        } else if (strcmp(a, "--mode") == 0) {
            static const char *const modes[] = {"threads", "processes", "both", NULL};
            if (v == NULL || strchr(v, ',') != NULL || !words_ok(v, modes))
                return bad_usage(a, "threads, processes or both", v);
            opt.mode_on[M_THREADS] = strcmp(v, "processes") != 0;
            opt.mode_on[M_PROCS] = strcmp(v, "threads") != 0;
            i++;
        } else if (strcmp(a, "--fence") == 0) {
            if (v == NULL || (strcmp(v, "full") != 0 && strcmp(v, "asym") != 0))
                return bad_usage(a, "asym or full", v);
            opt.full_fence = strcmp(v, "full") == 0;
            i++;
        } else if (strcmp(a, "--sections") == 0) {
            static const char *const secs[] = {"tput", "lat", "bell", "lanes", NULL};
            if (!words_ok(v, secs))
                return bad_usage(a, "a comma-separated list of tput, lat, bell, lanes", v);
            opt.sec_tput = strstr(v, "tput") != NULL;
            opt.sec_lat = strstr(v, "lat") != NULL;
            opt.sec_bell = strstr(v, "bell") != NULL;
            opt.sec_lanes = strstr(v, "lanes") != NULL;
            i++;
        } else {
            fprintf(stderr, "tzchan-bench: unknown option '%s'\n", a);
            usage();
            return 2;
        }
    }
    /* the output files are opened now, so a path that cannot be written fails before minutes of measuring */
    bool json_stdout = opt.json != NULL && strcmp(opt.json, "-") == 0;
    FILE *json_out = opt.json == NULL ? NULL : json_stdout ? stdout : fopen(opt.json, "w");
    if (opt.json != NULL && json_out == NULL)
        die(opt.json);
    FILE *plot_out = opt.plot == NULL ? NULL : fopen(opt.plot, "w");
    if (opt.plot != NULL && plot_out == NULL)
        die(opt.plot);
    if (opt.quick) {
        opt.reps = 1;
        opt.trial_s = 0.005;
    }
    if (opt.reps < 1)
        opt.reps = 1;
    if (opt.reps > MAXREPS)
        opt.reps = MAXREPS;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    g_ncpu = n > 0 ? (int)n : 1;
    cpu_prod = 0;
    cpu_cons = g_ncpu > 1 ? 1 : 0;
    read_machine();
    g_sleep_fence = !opt.full_fence && sleep_fence_init();
    g_ctl = shm_alloc(sizeof *g_ctl);
    g_src = aligned_alloc(4096, BUF_BYTES);
    g_dst = aligned_alloc(4096, BUF_BYTES);
    if (g_src == NULL || g_dst == NULL)
        die("aligned_alloc");
    for (size_t i = 0; i < BUF_BYTES; i++)
        g_src[i] = (unsigned char)(i * 131u + 7u);
    memset(g_dst, 0, BUF_BYTES);

    if (opt.sec_tput)
        run_throughput();
    if (opt.sec_lat)
        run_latency();
    if (opt.sec_bell)
        run_doorbells();
    if (opt.sec_lanes)
        run_lanes_all();
    compute_targets();

    print_tables(json_stdout ? stderr : stdout);
    if (json_out != NULL) {
        print_json(json_out);
        if (!json_stdout && fclose(json_out) != 0)
            die(opt.json);
    }
    if (plot_out != NULL) {
        print_svg(plot_out);
        if (fclose(plot_out) != 0)
            die(opt.plot);
    }
    return 0;
}
