/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Cache lines moved between the two cores per message (issue 16: "at most one cache line per 64 B message between
 * the cores besides the payload's own lines"), counted on the core's real accesses. The core is compiled here with
 * TZCHAN_ATOMICS_TRACE and TZCHAN_COPY_TRACE, so every access it makes to the region (index and doorbell words,
 * record headers, payload copies, padding) is reported, tagged with the side whose call made it. A two-cache model
 * follows each 64-byte line of the region: a side that reads a line the other side wrote since this side last
 * held it, or writes a line the other side holds, moves the line (a coherence transfer); first touches of a line
 * nobody holds are memory fetches and are not counted. Writes into the ring that the consumer has not yet read
 * stay with the producer until it reads them, as on real hardware.
 *
 * Each scenario streams 64 B messages through a 64 KiB ring, producer calls and consumer calls alternating in
 * the order that moves the most (each consumer call right after the producer's), warms up for three ring turns and
 * then counts 20 000 messages. Transfers are split by what the line holds: data lines (records: headers, payload,
 * padding, PAD records), the index lines (prod, cons) and the doorbell slots. The 64 bytes of payload are one
 * line's worth; the target counts the rest: transfers per message - 1.
 *
 * The baseline ring of tools/bench/tight.c (a ck_ring-like ring of pointers to 64 B slots) runs through the same
 * model for comparison.
 *
 * Asserted (each a property of the design; tests/mutation/mutants.txt has the mutants that break them):
 *   - the batched ways (send_many/recv_many of 32, TZCHAN_MORE x32 received by recv or recv_many) move at most 1
 *     line per message besides the payload's (issue 16's target) and the index lines at most 1/16 per message (one
 *     publication per batch);
 *   - one message per call moves about 1 line per message besides the payload's (the record's second line; the
 *     index lines far less than once per message: the consumer takes self-published records without loading
 *     prod, the producer loads cons only when its cached view of it runs out), and no more lines in all than the
 *     baseline ring;
 *   - the doorbell slots and the region header never move while nobody sleeps;
 *   - rules S and Z (PROTOCOL.md s.9.2): each self-published record is whole, and the 8 bytes after it zero, when
 *     its flags are stored, and the producer writes none of its bytes again until the consumer released them.
 * Prints the table docs/BENCHMARKS.md quotes. Exit 0 pass, 1 fail.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/check.h"
#include "../../src/atomics.h"
#include "tzchan/tzchan.h"
#include "tzchan/wire.h"

#define RING (64u * 1024u)
#define MSG 64u
#define LINE 64u
#define BATCH 32u

static unsigned char *g_region;
static size_t g_size;
static int g_side; /* 0: A (producer), 1: B (consumer), -1: not counted (setup) */
static bool g_counting;

enum kind { K_DATA, K_INDEX, K_SLOT, K_HEADER, K_N };

struct line {
    unsigned char valid; /* bit s: side s holds a current copy */
};
static struct line *g_lines;
static uint64_t g_moves[K_N], g_invals;

static size_t g_ring_index_line; /* the baseline ring's head line (tail follows), 0 when it does not run */

static enum kind kind_of(size_t line)
{
    size_t off = line * LINE;
    if (g_ring_index_line && (line == g_ring_index_line || line == g_ring_index_line + 1))
        return K_INDEX;
    if (off < TZCHAN_WIRE_HEADER_BYTES)
        return K_HEADER;
    if (off < TZCHAN_WIRE_HEADER_BYTES + TZCHAN_WIRE_LANE_CTRL) {
        /* six control slots of 128 B: ab_prod, ab_cons, ba_prod, ba_cons, sleep A, sleep B (PROTOCOL.md s.2) */
        size_t slot = (off - TZCHAN_WIRE_HEADER_BYTES) / TZCHAN_WIRE_SLOT;
        return slot < 4 ? K_INDEX : K_SLOT;
    }
    return K_DATA;
}

static void touch(const void *p, size_t n, bool write)
{
    if (g_side < 0 || n == 0)
        return;
    const unsigned char *q = p;
    if (q < g_region || q >= g_region + g_size)
        return; /* private memory */
    size_t first = (size_t)(q - g_region) / LINE, last = ((size_t)(q - g_region) + n - 1) / LINE;
    unsigned me = 1u << g_side, other = 1u << (1 - g_side);
    for (size_t l = first; l <= last; l++) {
        struct line *ln = &g_lines[l];
        /* a line this side does not hold comes from the other side's cache when that one holds it (a transfer);
         * writing a line both hold only invalidates the other copy (no data moves) */
        bool moved = !(ln->valid & me) && (ln->valid & other);
        bool inval = write && (ln->valid & me) && (ln->valid & other);
        ln->valid = (unsigned char)(write ? me : (ln->valid | me));
        if (g_counting && moved)
            g_moves[kind_of(l)]++;
        if (g_counting && inval)
            g_invals++;
    }
}

/* Rules S and Z of PROTOCOL.md s.9.2, checked on the same trace: when the producer (side A) publishes a record by
 * the release store of its flags (SELF), the 8 bytes after the record are already zero (the zero ahead), and from
 * then until the consumer releases it the producer writes none of its bytes (payload, padding and header all came
 * before). Words of the A->B ring so published and not yet released are marked. */
static unsigned char g_marked[RING / 8];
static uint32_t g_rule_errors, g_cons_seen;

static unsigned char *ab_ring(void)
{
    return g_region + TZCHAN_WIRE_HEADER_BYTES + TZCHAN_WIRE_LANE_CTRL;
}

static void check_self_publish(const unsigned char *p, uint32_t v)
{
    unsigned char *d = ab_ring();
    if (g_side != 0 || p < d || p >= d + RING || ((size_t)(p - d) & 7u) != 4u || !(v & TZCHAN_WIRE_REC_SELF))
        return;
    uint32_t off = (uint32_t)(p - d) - 4u, len;
    memcpy(&len, d + off, 4);
    uint32_t span = (v & TZCHAN_WIRE_REC_PAD) ? RING - off : 8u + ((len + 7u) & ~7u);
    static const unsigned char zero[8];
    if (memcmp(d + ((off + span) & (RING - 1u)), zero, 8) != 0)
        g_rule_errors++; /* rule Z */
    for (uint32_t w = off / 8u; w < (off + span) / 8u; w++)
        g_marked[w] = 1;
}

static void check_producer_write(const void *p, size_t n)
{
    const unsigned char *q = p, *d = ab_ring();
    if (g_side != 0 || q < d || q >= d + RING || n == 0)
        return;
    for (size_t w = (size_t)(q - d) / 8u; w <= ((size_t)(q - d) + n - 1u) / 8u && w < RING / 8u; w++)
        if (g_marked[w])
            g_rule_errors++; /* rule S: a published record written again */
}

static void check_release(const void *p, uint32_t v)
{
    if (g_side != 1 || p != g_region + TZCHAN_WIRE_HEADER_BYTES + offsetof(struct tzchan_wire_lane, ab_cons))
        return;
    for (uint32_t c = g_cons_seen; c != v; c += 8u)
        g_marked[(c & (RING - 1u)) / 8u] = 0;
    g_cons_seen = v;
}

void tzchan__trace(enum tz_trace_op op, const void *p, uint32_t v)
{
    if (op == TZ_T_STORE_REL) {
        check_self_publish(p, v);
        check_release(p, v);
    } else if (op == TZ_T_STORE_RLX) {
        check_producer_write(p, 4);
    }
    switch (op) {
    case TZ_T_LOAD_RLX:
    case TZ_T_LOAD_ACQ: touch(p, 4, false); break;
    case TZ_T_STORE_RLX:
    case TZ_T_STORE_REL: touch(p, 4, true); break;
    default: break;
    }
}

/* Rule L mid-call (rule_l_midcall() below): while set, every copy the producer's call makes first lets the consumer
 * take what it can (the consumer running while one tzchan_send_many call writes) */
static struct tzchan *g_mid_b;
static bool g_in_hook;
static uint64_t g_mid_next; /* the sequence number the consumer expects next */
static void mid_consume(void);

/* the hooks the traced core calls (src/tzchan.c) */
void tzchan__trace_copy(void *d, const void *s, size_t n);
void tzchan__trace_set(void *d, int c, size_t n);

void tzchan__trace_copy(void *d, const void *s, size_t n)
{
    if (g_mid_b != NULL && g_side == 0 && !g_in_hook)
        mid_consume();
    check_producer_write(d, n);
    touch(s, n, false);
    touch(d, n, true);
    memcpy(d, s, n);
}

void tzchan__trace_set(void *d, int c, size_t n)
{
    check_producer_write(d, n);
    touch(d, n, true);
    memset(d, c, n);
}

enum way { W_ONE, W_MORE, W_MANY, W_MOREMANY, W_RING, W_N };
static const char *const way_name[] = {"send + recv, one per call", "TZCHAN_MORE x32 + flush, recv",
                                       "send_many 32 + recv_many 32", "TZCHAN_MORE x32 + flush, recv_many",
                                       "pointer ring (ck_ring-like)"};

struct result {
    double per_msg[K_N], total, invals;
};

/* The baseline of tools/bench/tight.c laid out in the region's data area (so the same model counts it): a head
 * and a tail index on lines of their own, 512 pointer entries, 1024 slots of 64 B (half of tight.c's, to fit). Each access it makes to shared
 * memory is reported by hand, in the order its code makes them: the producer reads head (is there room?), copies
 * the message into a slot, stores the slot's address in the entry and publishes tail; the consumer reads tail,
 * the entry and the slot, and publishes head. */
enum { RN = 512 };
static void ring_run(uint64_t warm, uint64_t count)
{
    unsigned char *base = g_region + TZCHAN_WIRE_HEADER_BYTES + TZCHAN_WIRE_LANE_CTRL;
    uint32_t *head = (uint32_t *)(void *)base, *tail = (uint32_t *)(void *)(base + LINE);
    unsigned char **ent = (unsigned char **)(void *)(base + 2 * LINE);
    unsigned char *slots = base + 2 * LINE + RN * sizeof(void *);
    CHECK((size_t)(slots + 2 * RN * MSG - g_region) <= g_size);
    static unsigned char msg[MSG], out[MSG];
    *head = *tail = 0;
    g_ring_index_line = (size_t)(base - g_region) / LINE;
    for (uint64_t i = 0; i < warm + count; i++) {
        g_counting = i >= warm;
        g_side = 0;
        touch(head, 4, false);
        unsigned char *slot = slots + (i % (2 * RN)) * MSG;
        touch(slot, MSG, true);
        memcpy(slot, msg, MSG);
        touch(&ent[i % RN], sizeof(void *), true);
        ent[i % RN] = slot;
        touch(tail, 4, true);
        *tail = (uint32_t)(i + 1);
        g_side = 1;
        touch(tail, 4, false);
        touch(&ent[i % RN], sizeof(void *), false);
        touch(ent[i % RN], MSG, false);
        memcpy(out, ent[i % RN], MSG);
        touch(head, 4, true);
        *head = (uint32_t)(i + 1);
    }
    g_side = -1;
    g_ring_index_line = 0;
}

static void run(enum way w, uint64_t count, struct result *res)
{
    memset(g_lines, 0, sizeof(struct line) * (g_size / LINE));
    memset(g_moves, 0, sizeof g_moves);
    g_invals = 0;
    g_side = -1;
    struct tzchan a, b;
    CHECK_EQ(tzchan_region_init(g_region, g_size, 1, RING), 0);
    memset(g_marked, 0, sizeof g_marked);
    g_cons_seen = 0;
    CHECK_EQ(tzchan_open(&a, g_region, g_size, TZCHAN_SIDE_A, 0), 0);
    CHECK_EQ(tzchan_open(&b, g_region, g_size, TZCHAN_SIDE_B, 0), 0);
    static unsigned char src[BATCH][MSG], dst[BATCH][MSG];
    struct tzchan_out o[BATCH];
    struct tzchan_in in[BATCH];
    for (unsigned k = 0; k < BATCH; k++) {
        memset(src[k], (int)k + 1, MSG);
        o[k].buf = src[k];
        o[k].len = MSG;
        in[k].buf = dst[k];
        in[k].cap = MSG;
    }
    const uint64_t warm = 3 * (RING / (MSG + 8));
    uint64_t sent = 0;
    g_counting = false;
    if (w == W_RING) {
        ring_run(warm, count);
        sent = warm + count;
    }
    while (sent < warm + count) {
        if (sent >= warm)
            g_counting = true;
        switch (w) {
        case W_ONE:
            g_side = 0;
            CHECK_EQ(tzchan_send(&a, src[0], MSG), MSG);
            g_side = 1;
            CHECK_EQ(tzchan_recv(&b, dst[0], MSG), MSG);
            sent++;
            break;
        case W_MORE:
        case W_MOREMANY:
            g_side = 0;
            for (unsigned k = 0; k < BATCH; k++)
                CHECK_EQ(tzchan_send_flags(&a, src[k], MSG, TZCHAN_MORE), MSG);
            CHECK_EQ(tzchan_flush(&a), 0);
            g_side = 1;
            if (w == W_MOREMANY) {
                CHECK_EQ(tzchan_recv_many(&b, in, BATCH), BATCH);
            } else {
                for (unsigned k = 0; k < BATCH; k++)
                    CHECK_EQ(tzchan_recv(&b, dst[k], MSG), MSG);
            }
            sent += BATCH;
            break;
        default:
            g_side = 0;
            CHECK_EQ(tzchan_send_many(&a, o, BATCH), BATCH);
            g_side = 1;
            CHECK_EQ(tzchan_recv_many(&b, in, BATCH), BATCH);
            sent += BATCH;
            break;
        }
        for (unsigned k = 0; k < (w == W_ONE ? 1u : BATCH); k++)
            CHECK(memcmp(dst[k], src[w == W_ONE ? 0 : k], MSG) == 0);
    }
    g_side = -1;
    const double n = (double)(sent - warm);
    res->total = 0;
    res->invals = (double)g_invals / n;
    for (int k = 0; k < K_N; k++) {
        res->per_msg[k] = (double)g_moves[k] / n;
        res->total += res->per_msg[k];
    }
}

static void mid_consume(void)
{
    unsigned char buf[MSG];
    int saved = g_side;
    g_in_hook = true;
    g_side = 1;
    for (int k = 0; k < 2; k++) { /* the record behind the producer, then the zeros where it writes now */
        int64_t r = tzchan_recv(g_mid_b, buf, sizeof buf);
        if (r == TZCHAN_EAGAIN)
            break;
        CHECK_EQ(r, MSG);
        uint64_t seq;
        memcpy(&seq, buf, sizeof seq);
        CHECK_EQ(seq, g_mid_next);
        g_mid_next++;
    }
    /* rule L: prod never lags more than ring - 8 behind the consumer */
    const struct tzchan_wire_lane *l = (const void *)(g_region + TZCHAN_WIRE_HEADER_BYTES);
    CHECK(l->ab_cons.value - l->ab_prod.value <= RING - 8u || l->ab_prod.value - l->ab_cons.value <= RING);
    g_side = saved;
    g_in_hook = false;
}

/* Rule L (PROTOCOL.md s.9.2 item 7) where it matters: one tzchan_send_many of more than three rings of 64 B
 * messages, the consumer taking each self-published record while the call goes on (before prod covers it). The
 * producer must check the consumer's index against what it wrote, not what it published (mutant
 * cons-checked-against-pub breaks the producer), and publish prod when the consumer passed it (mutant
 * refresh-no-publish: prod lags by more than ring - 8 and the consumer, finding nothing at its index, refuses it).
 * Every message arrives once, in order. */
static void rule_l_midcall(void)
{
    enum { N = 3 * RING / (MSG + 8) + 100 };
    static unsigned char src[N][MSG];
    static struct tzchan_out o[N];
    struct tzchan a, b;
    g_side = -1;
    g_counting = false;
    CHECK_EQ(tzchan_region_init(g_region, g_size, 1, RING), 0);
    memset(g_marked, 0, sizeof g_marked);
    g_cons_seen = 0;
    CHECK_EQ(tzchan_open(&a, g_region, g_size, TZCHAN_SIDE_A, 0), 0);
    CHECK_EQ(tzchan_open(&b, g_region, g_size, TZCHAN_SIDE_B, 0), 0);
    for (uint64_t k = 0; k < N; k++) {
        memset(src[k], (int)(k * 5 + 3), MSG);
        memcpy(src[k], &k, sizeof k);
        o[k].buf = src[k];
        o[k].len = MSG;
    }
    g_mid_next = 0;
    g_mid_b = &b;
    g_side = 0;
    int64_t sent = tzchan_send_many(&a, o, N);
    g_mid_b = NULL;
    CHECK_EQ(sent, N); /* the consumer kept up, so the one call took all of them */
    g_side = 1;
    unsigned char buf[MSG];
    int64_t r;
    while ((r = tzchan_recv(&b, buf, sizeof buf)) == MSG) {
        uint64_t seq;
        memcpy(&seq, buf, sizeof seq);
        CHECK_EQ(seq, g_mid_next);
        g_mid_next++;
    }
    CHECK_EQ(r, TZCHAN_EAGAIN);
    CHECK_EQ(g_mid_next, N);
    CHECK_EQ(tzchan_error(&a), 0);
    g_side = -1;
    printf("rule L mid-call: one send_many of %d messages (%.1f rings), the consumer taking them as they were written: "
           "all in order\n", (int)N, (double)N * (MSG + 8) / RING);
}

int main(void)
{
    g_size = tzchan_region_size(1, RING);
    CHECK(g_size != 0);
    g_region = aligned_alloc(LINE, g_size);
    g_lines = calloc(g_size / LINE, sizeof *g_lines);
    CHECK(g_region != NULL && g_lines != NULL);
    printf("cache lines moved between the cores per 64 B message (64 KiB ring, calls of the two sides alternating):\n");
    printf("%-36s %7s %7s %9s %7s %9s %10s %13s\n", "way", "data", "index", "doorbell", "header", "total", "- payload",
           "invalidations");
    struct result r[W_N];
    for (int w = 0; w < W_N; w++) {
        run((enum way)w, 20000, &r[w]);
        printf("%-36s %7.3f %7.3f %9.3f %7.3f %9.3f %10.3f %13.3f\n", way_name[w], r[w].per_msg[K_DATA],
               r[w].per_msg[K_INDEX], r[w].per_msg[K_SLOT], r[w].per_msg[K_HEADER], r[w].total, r[w].total - 1.0,
               r[w].invals);
    }
    /* the doorbell slots and the region header never move while nobody sleeps */
    for (int w = 0; w < W_RING; w++)
        CHECK(r[w].per_msg[K_SLOT] == 0.0 && r[w].per_msg[K_HEADER] == 0.0);
    /* one per call: each record publishes itself (wire format version 2, PROTOCOL.md s.9), so the consumer does not
     * load the producer's index line, and the producer loads the consumer's only when its cached view runs out of
     * room: the index lines move far less than once per message, and the target holds: about 1 line besides the
     * payload's (the record's second line); never more than the baseline ring in all */
    CHECK(r[W_ONE].per_msg[K_INDEX] <= 1.0 / 16);
    CHECK(r[W_ONE].total - 1.0 <= 1.01);
    CHECK(r[W_ONE].total <= r[W_RING].total);
    rule_l_midcall();
    /* rules S and Z held for every self-published record of every way */
    CHECK_EQ(g_rule_errors, 0u);
    /* batched: one publication each way per batch of 32, and the target: <= 1 line besides the payload's */
    for (int w = W_MORE; w <= W_MOREMANY; w++)
        CHECK(r[w].per_msg[K_INDEX] <= 1.0 / 16 && r[w].total - 1.0 <= 1.0);
    free(g_lines);
    free(g_region);
    return 0;
}
