/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tzchan-stat: shows the state of tzchan channels from the outside, per lane and direction: the ring indices,
 * bytes used and free, both sides' doorbell words (what each waits for, how often each has rung the other) and
 * whether a side has closed; or the counters of the tzchan Linux driver through its statistics ioctl.
 *
 * Sources: a Linux-port region held by a process (--pid: the memfd the port keeps open, found in /proc/PID/fd by
 * its name "tzchan", or a mapping of it in /proc/PID/maps), a file holding a region (--file), or the driver's
 * device (--device). A region is opened read-only, mapped read-only (or read with pread when the file is not
 * sealed against shrinking: a mapping of a file that shrinks would SIGBUS), and nothing in it is trusted: the
 * header is checked as tzchan_open checks it, without writing anything; each index is read once per snapshot and
 * checked (0 <= prod - cons <= ring, or prod behind cons by at most ring - 8: wire format version 2 lets a consumer
 * take self-published records before prod covers them, PROTOCOL.md s.9.2 rule 7); a region that breaks a rule is reported as such, never used for anything
 * else. The tool reads a bounded amount (the header, 768 bytes per lane), so garbage cannot make it loop.
 *
 * Exit status: 0 shown and valid; 3 shown, but a header or lane is invalid (corrupted by a peer or a bug);
 * 1 a failure (a system call, nothing to show); 2 bad usage.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>

#include <linux/magic.h>
#include <unistd.h>

#include "tzchan/wire.h"
#include "tzchan_ioctl.h"

#define PROG "tzchan-stat"
#define MEMFD_NAME "/memfd:tzchan"  /* the name the Linux port gives its regions (memfd_create "tzchan") */
#define MAX_REGIONS 64              /* regions shown per process */
#define SNAPSHOT_TRIES 3            /* fresh (cons, prod) pairs tried before a direction is called invalid */

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_INVALID = 3 };

static struct {
    long pid;           /* --pid, 0 if not given */
    long fd;            /* --fd, -1 if not given */
    const char *file;   /* --file */
    const char *device; /* --device */
    long lane;          /* --lane, -1: all */
    double watch;       /* --watch seconds, 0: one shot */
    bool json;
} opt = {.fd = -1, .lane = -1};

static volatile sig_atomic_t stop;
static bool lane_missing; /* --lane N named a lane a valid region does not have: a usage error, not corruption */

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: tzchan-stat (--pid PID [--fd N] | --file PATH | --device [PATH]) [--lane N]\n"
            "                   [--watch SECONDS] [--json]\n"
            "Shows tzchan channels per lane and direction: ring indices (prod, cons), bytes used and free, each\n"
            "side's doorbell words (waiting for DATA or ROOM, want_cons, bells rung) and open/closed state.\n"
            "Nothing read from a region is trusted: a corrupted lane is reported INVALID, never used.\n"
            "  --pid PID       the Linux-port regions held by process PID (its memfds named \"tzchan\")\n"
            "  --fd N          with --pid: only the region on that process's file descriptor N\n"
            "  --file PATH     a file holding a region\n"
            "  --device [PATH] the tzchan driver's counters (TZCHAN_IOC_GET_STATS; default /dev/tzchan)\n"
            "  --lane N        show only lane N\n"
            "  --watch SECONDS refresh every SECONDS (0.1 .. 3600), clearing a terminal; stop with Ctrl-C\n"
            "  --json          one JSON document per snapshot, on one line\n"
            "Exit status: 0 shown and valid, 3 shown but something is invalid, 1 failure, 2 bad usage.\n");
}

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, PROG ": ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    fprintf(stderr, "Try '" PROG " --help'.\n");
    return EXIT_USAGE;
}

/* A decimal integer in lo .. hi, the whole string. */
static bool parse_long(const char *s, long lo, long hi, long *out)
{
    if (s == NULL || !isdigit((unsigned char)s[0]))
        return false;
    errno = 0;
    char *end;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *end != 0 || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* ---- output helpers: names come from the inspected process and may hold anything ----------------------- */
static void print_sanitized(const char *s)
{
    for (; *s; s++)
        putchar((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f ? '?' : *s);
}

static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            printf("\\u%04x", c); /* bytes >= 0x7f as code points: valid JSON, the name stays recognisable */
        else
            putchar(c);
    }
    putchar('"');
}

/* ---- a region source: read-only mapping, or pread when the file could shrink under a mapping ------------ */
struct region {
    int fd;
    long src_fd;              /* the fd number in the inspected process, -1 if none */
    char name[PATH_MAX];      /* what the fd points to (or the path) */
    char side;                /* 'A' (creator), 'B' (acceptor), '?' */
    uint64_t file_bytes;      /* the file's size when opened */
    const unsigned char *map; /* NULL: read with pread */
    size_t map_len;
};

/* Reads the 32-bit word at `off` once (a relaxed atomic load from the mapping: one load the compiler cannot
 * repeat; or a pread). False if it lies outside the file or the read failed. */
static bool rd32(const struct region *r, uint64_t off, uint32_t *out)
{
    if (off > r->file_bytes || r->file_bytes - off < 4 || (off & 3) != 0)
        return false;
    if (r->map != NULL) {
        if (off + 4 > r->map_len)
            return false;
        *out = atomic_load_explicit((_Atomic uint32_t *)(uintptr_t)(r->map + off), memory_order_relaxed);
        return true;
    }
    unsigned char b[4];
    if (pread(r->fd, b, sizeof b, (off_t)off) != (ssize_t)sizeof b)
        return false;
    *out = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return true;
}

static bool rd64(const struct region *r, uint64_t off, uint64_t *out)
{
    uint32_t lo, hi;
    if (!rd32(r, off, &lo) || !rd32(r, off + 4, &hi))
        return false;
    *out = (uint64_t)hi << 32 | lo;
    return true;
}

/* Opens `path` read-only (without blocking on a FIFO a racing process might have put there), checks it is a
 * regular file and maps it read-only if it is a shmem file (not hugetlbfs: a hole punched there can SIGBUS a
 * reader, docs/LINUX.md s.3) sealed against shrinking (a file that shrinks under a mapping SIGBUSes its reader);
 * anything else is read with pread, which a shrunk file only makes return short. 0, or -1 with a message. */
static int region_open(struct region *r, const char *path, const char *what)
{
    r->map = NULL;
    r->map_len = 0;
    r->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (r->fd < 0) {
        fprintf(stderr, PROG ": open %s (%s): %s\n", path, what, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(r->fd, &st) != 0) {
        fprintf(stderr, PROG ": fstat %s: %s\n", path, strerror(errno));
        close(r->fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode) || st.st_size < 0) {
        fprintf(stderr, PROG ": %s (%s) is not a regular file\n", path, what);
        close(r->fd);
        return -1;
    }
    r->file_bytes = (uint64_t)st.st_size;
    int seals = fcntl(r->fd, F_GET_SEALS);
    struct statfs sf;
    if (seals >= 0 && (seals & F_SEAL_SHRINK) && fstatfs(r->fd, &sf) == 0 && sf.f_type == TMPFS_MAGIC &&
        r->file_bytes > 0 && r->file_bytes <= SIZE_MAX) {
        void *m = mmap(NULL, (size_t)r->file_bytes, PROT_READ, MAP_SHARED, r->fd, 0);
        if (m != MAP_FAILED) {
            r->map = m;
            r->map_len = (size_t)r->file_bytes;
        }
        /* a failed mapping (address space) is no failure: pread reads the same words */
    }
    return 0;
}

static void region_close(struct region *r)
{
    if (r->map != NULL)
        munmap((void *)(uintptr_t)r->map, r->map_len);
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    r->map = NULL;
}

/* ---- reading and checking a region ------------------------------------------------------------------------ */
struct geo {
    uint32_t version, lanes, ring;
    uint64_t region_bytes, stride;
};

/* Checks the header as tzchan_open does (PROTOCOL.md 2.1, 7), reading each field once and writing nothing.
 * Returns true if valid; else false with the reason in `why`. */
static bool check_header(const struct region *r, struct geo *g, char *why, size_t n)
{
    memset(g, 0, sizeof *g);
    if (r->file_bytes < TZCHAN_WIRE_HEADER_BYTES) {
        snprintf(why, n, "the file is %" PRIu64 " bytes, smaller than the %u-byte header", r->file_bytes,
                 TZCHAN_WIRE_HEADER_BYTES);
        return false;
    }
    uint32_t magic, flags, off_ab, off_ba;
    uint64_t lane_offset;
    if (!rd32(r, 0x00, &magic) || !rd32(r, 0x04, &g->version) || !rd32(r, 0x08, &g->lanes) ||
        !rd32(r, 0x0c, &g->ring) || !rd64(r, 0x10, &g->region_bytes) || !rd64(r, 0x18, &lane_offset) ||
        !rd64(r, 0x20, &g->stride) || !rd32(r, 0x28, &off_ab) || !rd32(r, 0x2c, &off_ba) ||
        !rd32(r, 0x30, &flags)) {
        snprintf(why, n, "the header could not be read");
        return false;
    }
    if (magic != TZCHAN_WIRE_MAGIC) {
        snprintf(why, n, "magic 0x%08" PRIx32 " is not 0x%08x (\"TZCH\"): not a tzchan region", magic,
                 TZCHAN_WIRE_MAGIC);
        return false;
    }
    if (g->version != TZCHAN_WIRE_VERSION) {
        snprintf(why, n, "format version %" PRIu32 ": this tool reads version %u", g->version, TZCHAN_WIRE_VERSION);
        return false;
    }
    if (flags != 0) {
        snprintf(why, n, "header flags 0x%" PRIx32 " unknown to format version 1", flags);
        return false;
    }
    if (g->lanes < 1 || g->lanes > TZCHAN_WIRE_MAX_LANES) {
        snprintf(why, n, "lane count %" PRIu32 " outside 1 .. %u", g->lanes, TZCHAN_WIRE_MAX_LANES);
        return false;
    }
    if (g->ring < TZCHAN_WIRE_MIN_RING || g->ring > TZCHAN_WIRE_MAX_RING || (g->ring & (g->ring - 1)) != 0) {
        snprintf(why, n, "ring size %" PRIu32 " is not a power of two in %u .. %u", g->ring, TZCHAN_WIRE_MIN_RING,
                 TZCHAN_WIRE_MAX_RING);
        return false;
    }
    uint64_t stride = TZCHAN_WIRE_LANE_CTRL + 2u * (uint64_t)g->ring;
    uint64_t size = TZCHAN_WIRE_HEADER_BYTES + (uint64_t)g->lanes * stride;
    if (g->stride != stride || lane_offset != TZCHAN_WIRE_HEADER_BYTES || off_ab != TZCHAN_WIRE_LANE_CTRL ||
        off_ba != TZCHAN_WIRE_LANE_CTRL + g->ring || g->region_bytes != size) {
        snprintf(why, n, "derived fields disagree with lanes %" PRIu32 " and ring %" PRIu32 " (region_bytes %" PRIu64
                 ", lane_stride %" PRIu64 ")", g->lanes, g->ring, g->region_bytes, g->stride);
        return false;
    }
    for (uint32_t i = 0; i < 19; i++) {
        uint32_t v;
        if (!rd32(r, 0x34 + 4u * i, &v) || v != 0) {
            snprintf(why, n, "reserved header word %" PRIu32 " is not zero", i);
            return false;
        }
    }
    if (g->region_bytes > r->file_bytes) {
        snprintf(why, n, "region_bytes %" PRIu64 " is more than the file's %" PRIu64 " bytes", g->region_bytes,
                 r->file_bytes);
        return false;
    }
    return true;
}

struct dir_view {
    uint32_t prod, cons, used;
    uint32_t lag; /* cons - prod when prod stands behind cons (used is then 0) */
    bool valid;
};

struct side_view {
    uint32_t waiting, want_cons, bell, state;
    bool readable;
};

struct lane_view {
    struct dir_view ab, ba;
    struct side_view a, b;
    bool valid;
};

/* One snapshot of one direction: cons first, then prod (acquire both). An honest producer never gets more than
 * a ring ahead of the consumer, and cons is read first, so a live channel can still look over-full only if the
 * consumer moved and the producer refilled between the two loads; so a failed check is retried on a fresh pair
 * (each pair read once and checked), a bounded number of times. */
static void read_dir(const struct region *r, uint64_t prod_off, uint64_t cons_off, uint32_t ring,
                     struct dir_view *d)
{
    d->valid = false;
    d->prod = d->cons = d->used = d->lag = 0;
    for (int t = 0; t < SNAPSHOT_TRIES; t++) {
        uint32_t cons, prod;
        if (!rd32(r, cons_off, &cons))
            return;
        atomic_thread_fence(memory_order_acquire); /* cons before prod: pairs with nothing we own, orders our loads */
        if (!rd32(r, prod_off, &prod))
            return;
        d->prod = prod;
        d->cons = cons;
        d->used = prod - cons; /* unsigned: wraps like the indices */
        if (d->used <= ring) {
            d->valid = true;
            return;
        }
        if (cons - prod <= ring - TZCHAN_WIRE_ZERO_AHEAD) { /* rule L: prod lags, publishing nothing ahead */
            d->lag = cons - prod;
            d->used = 0;
            d->valid = true;
            return;
        }
    }
}

static void read_side(const struct region *r, uint64_t off, struct side_view *s)
{
    s->readable = rd32(r, off + 0x0, &s->waiting) && rd32(r, off + 0x4, &s->want_cons) &&
                  rd32(r, off + 0x8, &s->bell) && rd32(r, off + 0xc, &s->state);
}

static void read_lane(const struct region *r, const struct geo *g, uint32_t lane, struct lane_view *v)
{
    uint64_t base = TZCHAN_WIRE_HEADER_BYTES + (uint64_t)lane * g->stride;
    read_dir(r, base + 0x000, base + 0x080, g->ring, &v->ab);
    read_dir(r, base + 0x100, base + 0x180, g->ring, &v->ba);
    read_side(r, base + 0x200, &v->a);
    read_side(r, base + 0x280, &v->b);
    v->valid = v->ab.valid && v->ba.valid && v->a.readable && v->b.readable;
}

/* ---- printing a region ------------------------------------------------------------------------------------- */
static const char *side_role(char side, char who)
{
    if (side == '?')
        return "";
    return side == who ? " (this process)" : " (its peer)";
}

static void text_dir(uint32_t lane, const char *dir, const struct dir_view *d, uint32_t ring)
{
    if (d->valid && d->lag)
        printf("  lane %" PRIu32 " %s: prod %" PRIu32 " cons %" PRIu32 " used 0 free %" PRIu32 " (prod %" PRIu32
               " behind: the consumer took self-published records it does not cover yet)\n",
               lane, dir, d->prod, d->cons, ring, d->lag);
    else if (d->valid)
        printf("  lane %" PRIu32 " %s: prod %" PRIu32 " cons %" PRIu32 " used %" PRIu32 " free %" PRIu32 "\n", lane,
               dir, d->prod, d->cons, d->used, ring - d->used);
    else if (d->used > ring)
        printf("  lane %" PRIu32 " %s: prod - cons = %" PRIu32 " > ring: INVALID (peer or region corrupted)"
               " [prod %" PRIu32 " cons %" PRIu32 "]\n",
               lane, dir, d->used, d->prod, d->cons);
    else
        printf("  lane %" PRIu32 " %s: indices unreadable: INVALID\n", lane, dir);
}

static void text_side(uint32_t lane, char who, char side, const struct side_view *s)
{
    printf("  lane %" PRIu32 " side %c%s: ", lane, who, side_role(side, who));
    if (!s->readable) {
        printf("unreadable: INVALID\n");
        return;
    }
    uint32_t st = s->state;
    printf("%s%s%s", (st & TZCHAN_WIRE_STATE_OPEN) ? "open" : "not open",
           (st & TZCHAN_WIRE_STATE_CLOSED) ? ", CLOSED" : "", (st & TZCHAN_WIRE_STATE_SLEEP_FENCE) ? ", sleep-fence" : "");
    if (st & ~7u)
        printf(", unknown state bits 0x%" PRIx32, st & ~7u);
    uint32_t w = s->waiting & 3u;
    printf("; waiting %s%s%s", w == 0 ? "-" : "", (w & TZCHAN_WIRE_WAIT_DATA) ? "DATA" : "",
           (w & TZCHAN_WIRE_WAIT_ROOM) ? ((w & 1u) ? "+ROOM" : "ROOM") : "");
    if (w & TZCHAN_WIRE_WAIT_ROOM)
        printf(" (want_cons %" PRIu32 ")", s->want_cons);
    if (w)
        printf(" on bell %" PRIu32, s->waiting >> TZCHAN_WIRE_WAIT_SEEN_SHIFT);
    printf("; bells rung %" PRIu32 "\n", s->bell);
}

static void json_dir(const char *key, const struct dir_view *d, uint32_t ring)
{
    printf("\"%s\":{\"prod\":%" PRIu32 ",\"cons\":%" PRIu32 ",\"used\":%" PRIu32 ",\"free\":", key, d->prod, d->cons,
           d->used);
    if (d->valid)
        printf("%" PRIu32 ",\"valid\":true}", ring - d->used);
    else
        printf("null,\"valid\":false}");
}

static void json_side(const char *key, const struct side_view *s)
{
    printf("\"%s\":{\"readable\":%s,\"state\":%" PRIu32 ",\"open\":%s,\"closed\":%s,\"sleep_fence\":%s,"
           "\"waiting_data\":%s,\"waiting_room\":%s,\"want_cons\":%" PRIu32 ",\"bell_seen\":%" PRIu32
           ",\"bells_rung\":%" PRIu32 "}",
           key, s->readable ? "true" : "false", s->state, (s->state & 1u) ? "true" : "false",
           (s->state & 2u) ? "true" : "false", (s->state & 4u) ? "true" : "false",
           (s->waiting & 1u) ? "true" : "false", (s->waiting & 2u) ? "true" : "false", s->want_cons,
           s->waiting >> TZCHAN_WIRE_WAIT_SEEN_SHIFT, s->bell);
}

/* Prints one region (text or a JSON object). Returns true if everything shown is valid. */
static bool show_region(const struct region *r, bool first)
{
    struct geo g;
    char why[256];
    bool hdr_ok = check_header(r, &g, why, sizeof why);
    bool ok = hdr_ok;
    if (opt.json) {
        printf("%s{\"fd\":%ld,\"name\":", first ? "" : ",", r->src_fd);
        json_str(r->name);
        printf(",\"side\":");
        if (r->side == '?')
            printf("null");
        else
            printf("\"%c\"", r->side);
        printf(",\"file_bytes\":%" PRIu64 ",\"access\":\"%s\",\"header_valid\":%s,\"header_error\":", r->file_bytes,
               r->map != NULL ? "mmap" : "pread", hdr_ok ? "true" : "false");
        if (hdr_ok)
            printf("null");
        else
            json_str(why);
    } else {
        printf("region");
        if (r->src_fd >= 0)
            printf(" on fd %ld", r->src_fd);
        printf(" (");
        print_sanitized(r->name);
        printf(")");
        if (r->side != '?')
            printf(": this process is side %c (%s)", r->side, r->side == 'A' ? "creator" : "acceptor");
        printf("\n");
        if (!hdr_ok)
            printf("  header: INVALID: %s\n", why);
    }
    if (hdr_ok) {
        if (opt.lane >= (long)g.lanes) {
            fprintf(stderr, PROG ": no lane %ld: the region has %" PRIu32 " lane%s\n", opt.lane, g.lanes,
                    g.lanes == 1 ? "" : "s");
            lane_missing = true;
        }
        if (opt.json)
            printf(",\"version\":%" PRIu32 ",\"lanes\":%" PRIu32 ",\"ring_bytes\":%" PRIu32 ",\"region_bytes\":%" PRIu64
                   ",\"lane\":[",
                   g.version, g.lanes, g.ring, g.region_bytes);
        else
            printf("  format version %" PRIu32 ", %" PRIu32 " lane%s, rings of %" PRIu32 " bytes, region %" PRIu64
                   " bytes (file %" PRIu64 ", read through %s)\n",
                   g.version, g.lanes, g.lanes == 1 ? "" : "s", g.ring, g.region_bytes, r->file_bytes,
                   r->map != NULL ? "a read-only mapping" : "pread");
        bool first_lane = true;
        uint32_t invalid = 0;
        for (uint32_t i = 0; i < g.lanes; i++) {
            if (opt.lane >= 0 && (uint32_t)opt.lane != i)
                continue;
            struct lane_view v;
            read_lane(r, &g, i, &v);
            invalid += !v.valid;
            if (opt.json) {
                printf("%s{\"lane\":%" PRIu32 ",\"valid\":%s,", first_lane ? "" : ",", i, v.valid ? "true" : "false");
                json_dir("a_to_b", &v.ab, g.ring);
                putchar(',');
                json_dir("b_to_a", &v.ba, g.ring);
                putchar(',');
                json_side("side_a", &v.a);
                putchar(',');
                json_side("side_b", &v.b);
                putchar('}');
            } else {
                text_dir(i, "A->B", &v.ab, g.ring);
                text_dir(i, "B->A", &v.ba, g.ring);
                text_side(i, 'A', r->side, &v.a);
                text_side(i, 'B', r->side, &v.b);
            }
            first_lane = false;
        }
        if (opt.json)
            printf("],\"invalid_lanes\":%" PRIu32, invalid);
        else if (invalid)
            printf("  %" PRIu32 " lane%s INVALID: an endpoint reading %s would stop with TZCHAN_EPROTO\n", invalid,
                   invalid == 1 ? "" : "s", invalid == 1 ? "it" : "them");
        ok = ok && invalid == 0;
    }
    if (opt.json)
        printf(",\"valid\":%s}", ok ? "true" : "false");
    return ok;
}

/* ---- finding a process's regions --------------------------------------------------------------------------- */
/* The side a process holds a region as: the creator keeps its read-write memfd, the acceptor a read-only
 * reopening (port/linux/handoff.c), so the open mode in /proc/PID/fdinfo/N tells them apart. */
static char side_of(long pid, long fd)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/fdinfo/%ld", pid, fd);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return '?';
    char side = '?';
    while (fgets(line, sizeof line, f) != NULL) {
        unsigned long flags;
        if (sscanf(line, "flags: %lo", &flags) == 1) {
            side = (flags & O_ACCMODE) == O_RDWR ? 'A' : (flags & O_ACCMODE) == O_RDONLY ? 'B' : '?';
            break;
        }
    }
    fclose(f);
    return side;
}

static bool is_region_name(const char *s)
{
    return strcmp(s, MEMFD_NAME) == 0 || strcmp(s, MEMFD_NAME " (deleted)") == 0;
}

/* Regions a process holds no fd for but maps (a program built on an older port): through /proc/PID/map_files,
 * which the kernel opens only for CAP_SYS_ADMIN / CAP_CHECKPOINT_RESTORE. */
static int scan_maps(long pid, struct region *out, int max, int *failed)
{
    char path[64], line[PATH_MAX + 128], last[64] = "";
    snprintf(path, sizeof path, "/proc/%ld/maps", pid);
    FILE *f = fopen(path, "re");
    if (f == NULL) {
        fprintf(stderr, PROG ": open %s: %s\n", path, strerror(errno));
        (*failed)++;
        return 0;
    }
    int n = 0;
    while (n < max && fgets(line, sizeof line, f) != NULL) {
        char range[64], name[PATH_MAX];
        name[0] = 0;
        if (sscanf(line, "%63s %*s %*s %*s %*s %4095[^\n]", range, name) < 2 || !is_region_name(name))
            continue;
        if (strcmp(range, last) == 0)
            continue;
        snprintf(last, sizeof last, "%s", range);
        char mf[128];
        snprintf(mf, sizeof mf, "/proc/%ld/map_files/%s", pid, range);
        struct region *r = &out[n];
        if (region_open(r, mf, "a mapping without an fd; needs CAP_SYS_ADMIN") != 0) {
            (*failed)++;
            continue;
        }
        r->src_fd = -1;
        r->side = '?';
        int k = snprintf(r->name, sizeof r->name, "%.3000s mapped at %s", name, range);
        (void)k;
        n++;
    }
    fclose(f);
    return n;
}

/* Opens the regions process `pid` holds (or only its fd opt.fd). Returns how many; -1 if the process cannot be
 * inspected at all (message printed). */
static int find_regions(long pid, struct region *out, int max)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/fd", pid);
    if (opt.fd >= 0) {
        char fdpath[96], link[PATH_MAX];
        snprintf(fdpath, sizeof fdpath, "%s/%ld", path, opt.fd);
        ssize_t k = readlink(fdpath, link, sizeof link - 1);
        if (k < 0) {
            fprintf(stderr, PROG ": %s: %s\n", fdpath, strerror(errno));
            return -1;
        }
        link[k] = 0;
        if (region_open(&out[0], fdpath, "the process's fd") != 0)
            return -1;
        out[0].src_fd = opt.fd;
        out[0].side = is_region_name(link) ? side_of(pid, opt.fd) : '?';
        snprintf(out[0].name, sizeof out[0].name, "%s", link);
        return 1;
    }
    DIR *d = opendir(path);
    if (d == NULL) {
        int e = errno;
        fprintf(stderr, PROG ": pid %ld: %s: %s%s\n", pid, path, strerror(e),
                e == ENOENT ? " (no such process)"
                            : e == EACCES ? " (inspect as the process's user or as root)" : "");
        return -1;
    }
    int n = 0, failed = 0;
    struct dirent *de;
    while (n < max && (de = readdir(d)) != NULL) {
        long fd;
        if (!parse_long(de->d_name, 0, INT_MAX, &fd))
            continue;
        char fdpath[96], link[PATH_MAX];
        snprintf(fdpath, sizeof fdpath, "%s/%ld", path, fd);
        ssize_t k = readlink(fdpath, link, sizeof link - 1);
        if (k < 0)
            continue; /* closed meanwhile */
        link[k] = 0;
        if (!is_region_name(link))
            continue;
        if (region_open(&out[n], fdpath, "the process's region fd") != 0) {
            failed++;
            continue;
        }
        out[n].src_fd = fd;
        out[n].side = side_of(pid, fd);
        snprintf(out[n].name, sizeof out[n].name, "%s", link);
        n++;
    }
    closedir(d);
    if (n == 0)
        n = scan_maps(pid, out, max, &failed);
    if (n == 0 && failed == 0)
        fprintf(stderr, PROG ": pid %ld holds no tzchan region (no fd or mapping named %s)\n", pid, MEMFD_NAME);
    return n == 0 ? -1 : n;
}

/* ---- one snapshot ------------------------------------------------------------------------------------------- */
static struct region regions[MAX_REGIONS];

static int snapshot_regions(void)
{
    int n;
    if (opt.file != NULL) {
        if (region_open(&regions[0], opt.file, "a region file") != 0)
            return EXIT_FAIL;
        regions[0].src_fd = -1;
        regions[0].side = '?';
        snprintf(regions[0].name, sizeof regions[0].name, "%s", opt.file);
        n = 1;
    } else {
        n = find_regions(opt.pid, regions, MAX_REGIONS);
        if (n < 0)
            return EXIT_FAIL;
    }
    bool ok = true;
    if (opt.json) {
        printf("{\"tool\":\"tzchan-stat\",\"time\":%lld,", (long long)time(NULL));
        if (opt.file != NULL) {
            printf("\"source\":\"file\",\"path\":");
            json_str(opt.file);
        } else {
            printf("\"source\":\"pid\",\"pid\":%ld", opt.pid);
        }
        printf(",\"regions\":[");
    } else if (opt.file == NULL) {
        printf("pid %ld: %d tzchan region%s\n", opt.pid, n, n == 1 ? "" : "s");
    }
    for (int i = 0; i < n; i++) {
        ok = show_region(&regions[i], i == 0) && ok;
        region_close(&regions[i]);
    }
    if (opt.json)
        printf("],\"valid\":%s}\n", ok ? "true" : "false");
    else
        printf("%s\n", ok ? "all shown valid" : "INVALID state shown above (peer or region corrupted)");
    return !ok ? EXIT_INVALID : lane_missing ? EXIT_FAIL : EXIT_OK;
}

static int snapshot_device(void)
{
    int fd = open(opt.device, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        fprintf(stderr, PROG ": open %s: %s\n", opt.device, strerror(errno));
        return EXIT_FAIL;
    }
    struct tzchan_ioc_stats s;
    memset(&s, 0, sizeof s);
    if (ioctl(fd, TZCHAN_IOC_GET_STATS, &s) != 0) {
        fprintf(stderr, PROG ": ioctl TZCHAN_IOC_GET_STATS on %s: %s%s\n", opt.device, strerror(errno),
                errno == ENOTTY ? " (not the tzchan driver's device)" : "");
        close(fd);
        return EXIT_FAIL;
    }
    close(fd);
    if (opt.json) {
        printf("{\"tool\":\"tzchan-stat\",\"time\":%lld,\"source\":\"device\",\"path\":", (long long)time(NULL));
        json_str(opt.device);
        printf(",\"lanes\":%u,\"ring_bytes\":%u,\"max_msg\":%u,\"msgs_sent\":%llu,\"bytes_sent\":%llu,"
               "\"msgs_recv\":%llu,\"bytes_recv\":%llu,\"doorbells_out\":%llu,\"doorbells_in\":%llu,"
               "\"sleeps\":%llu,\"protocol_errors\":%llu}\n",
               s.lanes, s.ring_bytes, s.max_msg, (unsigned long long)s.msgs_sent, (unsigned long long)s.bytes_sent,
               (unsigned long long)s.msgs_recv, (unsigned long long)s.bytes_recv,
               (unsigned long long)s.doorbells_out, (unsigned long long)s.doorbells_in,
               (unsigned long long)s.sleeps, (unsigned long long)s.protocol_errors);
    } else {
        printf("device ");
        print_sanitized(opt.device);
        printf(": %u lane%s, rings of %u bytes, messages up to %u bytes in one record\n", s.lanes,
               s.lanes == 1 ? "" : "s", s.ring_bytes, s.max_msg);
        printf("  counters of the whole device (all lanes, all files) since the driver was loaded:\n");
        printf("  sent      %llu messages, %llu bytes\n", (unsigned long long)s.msgs_sent,
               (unsigned long long)s.bytes_sent);
        printf("  received  %llu messages, %llu bytes\n", (unsigned long long)s.msgs_recv,
               (unsigned long long)s.bytes_recv);
        printf("  doorbells %llu rung to the secure side, %llu received from it; %llu sleeps\n",
               (unsigned long long)s.doorbells_out, (unsigned long long)s.doorbells_in,
               (unsigned long long)s.sleeps);
        printf("  protocol violations seen (TZCHAN_EPROTO): %llu%s\n", (unsigned long long)s.protocol_errors,
               s.protocol_errors ? ": BROKEN" : "");
    }
    return s.protocol_errors ? EXIT_INVALID : EXIT_OK;
}

static bool process_alive(long pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld", pid);
    return access(path, F_OK) == 0;
}

int main(int argc, char **argv)
{
    int sources = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return EXIT_OK;
        } else if (strcmp(a, "--version") == 0) {
            printf(PROG " (tzchan) 0.1\n");
            return EXIT_OK;
        } else if (strcmp(a, "--json") == 0) {
            opt.json = true;
        } else if (strcmp(a, "--pid") == 0) {
            if (!parse_long(v, 1, INT_MAX, &opt.pid))
                return usage_error("--pid wants a process id (1 .. %d), not '%s'", INT_MAX, v ? v : "");
            sources++;
            i++;
        } else if (strcmp(a, "--fd") == 0) {
            if (!parse_long(v, 0, INT_MAX, &opt.fd))
                return usage_error("--fd wants a file descriptor number, not '%s'", v ? v : "");
            i++;
        } else if (strcmp(a, "--file") == 0) {
            if (v == NULL || v[0] == 0)
                return usage_error("--file wants a path");
            opt.file = v;
            sources++;
            i++;
        } else if (strcmp(a, "--device") == 0) {
            opt.device = "/dev/tzchan";
            if (v != NULL && v[0] != '-') {
                opt.device = v;
                i++;
            }
            sources++;
        } else if (strcmp(a, "--lane") == 0) {
            if (!parse_long(v, 0, TZCHAN_WIRE_MAX_LANES - 1, &opt.lane))
                return usage_error("--lane wants 0 .. %u, not '%s'", TZCHAN_WIRE_MAX_LANES - 1, v ? v : "");
            i++;
        } else if (strcmp(a, "--watch") == 0) {
            char *end = NULL;
            errno = 0;
            double s = v != NULL ? strtod(v, &end) : 0;
            if (v == NULL || end == v || *end != 0 || errno != 0 || !isfinite(s) || s < 0.1 || s > 3600)
                return usage_error("--watch wants seconds, 0.1 .. 3600, not '%s'", v ? v : "");
            opt.watch = s;
            i++;
        } else {
            return usage_error("unknown option '%s'", a);
        }
    }
    if (sources != 1)
        return usage_error("give exactly one of --pid, --file, --device");
    if (opt.fd >= 0 && opt.pid == 0)
        return usage_error("--fd goes with --pid");
    if (opt.lane >= 0 && opt.device != NULL)
        return usage_error("--lane goes with --pid or --file (the driver's counters are device-wide)");

    if (opt.watch > 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
    }
    bool clear = opt.watch > 0 && !opt.json && isatty(STDOUT_FILENO);
    int status;
    for (;;) {
        if (clear)
            printf("\033[H\033[2J");
        status = opt.device != NULL ? snapshot_device() : snapshot_regions();
        fflush(stdout);
        if (opt.watch <= 0 || stop || status == EXIT_FAIL)
            break;
        struct timespec ts = {.tv_sec = (time_t)opt.watch,
                              .tv_nsec = (long)((opt.watch - floor(opt.watch)) * 1e9)};
        while (!stop && nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
        if (stop)
            break;
        if (opt.pid != 0 && !process_alive(opt.pid)) {
            fprintf(stderr, PROG ": pid %ld has exited\n", opt.pid);
            break;
        }
    }
    return status;
}
