/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The secure payload's service for the Linux normal world (implements tz_secure.h; variant of
 * port/trustzone/common/tz_secure.c, whose registration checks it reuses through tz_region.c). It serves:
 *   - TZ_SMC_REGISTER: sanitised arguments -> tz_region_check() against the memory map (non-secure RAM only,
 *     never secure RAM, flash or this image) -> take over from a registered region (retired unwritten,
 *     unmapped) -> map the range Non-secure -> open side B of every lane, which validates the header the normal
 *     world wrote (a scribbled region is refused here with TZCHAN_EPROTO, stale memory with TZ_REG_ENOTFRESH);
 *     every refusal after mapping unmaps again; an accepted one gets a new generation (w1, tz_smc.h);
 *   - TZ_SMC_UNREGISTER, TZ_SMC_STATUS and the Trusted OS queries, as tz_smc.h describes them;
 *   - LK_SMC_VERDICT: prints the summary on the secure-only UART and returns the exit status; the same verdict
 *     can come as a message on lane 1 (struct lk_verdict, from a test of a production driver, which has no
 *     verdict ioctl), judged by that run's rules and collected by the monitor at power-off (LK_SMC_COLLECT);
 * and moves traffic: lane 0 answers every message with its length and CRC-32, lane 1 also generates messages
 * on request (lk_smc.h). Messages of any length are read with tzchan_recv_some in bounded steps, so a
 * multi-MiB message never has to fit anywhere. Any protocol violation drops the region (unmapped, never
 * touched again) and is reported through TZ_SMC_STATUS; the payload keeps serving.
 *
 * Two ways to drive it. tz_sp_run() serves every lane and owns the whole service (the single-CPU firmware, the
 * Genode VMM). The SMP firmware serves each lane on its own (tz_sp_run_lane(), sp_linux.h), holding that lane's
 * word only: everything a lane's round touches is that lane's (its endpoint, message state, step buffer and
 * counters); what concerns the whole service (dropping a broken region, judging a verdict that came as a message,
 * every call) is done with every lane's word held (tz_sp_settle() and tz_sp_call()).
 */
#include "tz_secure.h"

#include "tz_libc.h"

#include "tz_board.h"
#include "tz_plat.h"
#include "tz_print.h"
#include "tz_region.h"
#include "tz_smc.h"
#include "tz_smccc.h"
#include "tz_crc32.h"
#include "tzchan/tzchan.h"
#include "lk_board.h"
#include "lk_smc.h"
#include "sp_linux.h"

#define STEP_BYTES 16384u   /* work per lane per tz_sp_run call: keeps mailbox calls answered promptly */
#define DEADLINE_SECONDS 600u

struct lane {
    struct tzchan ch;
    bool replying;          /* the answer to the last message is not sent yet */
    bool waiting;           /* wait_prepare returned 0 and wait_done is due */
    unsigned want;          /* TZCHAN_WAIT_* this lane needs to go on */
    /* receive: the current message */
    uint64_t rx_len;
    uint32_t rx_crc;
    unsigned char head[sizeof(struct lk_gen_req)];
    uint64_t seq;
    /* send: the answer */
    struct lk_echo echo;
    bool gen, gen_open;
    uint64_t gen_len, gen_seed, gen_sent;
    int err;                /* the channel's error that broke this lane (the region is dropped by the next settle) */
    bool verdict_due;       /* a verdict came as a message on this lane: judged by the next settle (tz_sp_settle) */
};

/* Per lane, touched only by the lane's round (or with every lane held): never cleared by a registration change.
 * One cache line each, so that lanes served on different CPUs do not share one. */
struct lane_count {
    uint64_t msgs_in, bytes_in, msgs_out, bytes_out, gen_msgs, sleeps;
} __attribute__((aligned(64)));
static struct lane_count lc[LK_MAX_LANES];
/* Each lane's step buffer (a round on one lane never touches another's). */
static unsigned char lane_buf[LK_MAX_LANES][STEP_BYTES];

static struct {
    bool registered;
    uint32_t gen, gen_next;  /* current generation (0: none), the next one to hand out */
    uint32_t takeovers, stale_refused;
    void *va;
    uint64_t pa, size;
    uint32_t lanes, ring;
    struct lane lane[LK_MAX_LANES];

    uint32_t accepted, refused, unregistered;
    int last_error, last_refusal;
    uint32_t eproto_seen, other_errors;
    uint64_t rang;          /* SPIs raised at the normal world */
    uint64_t sgis, calls;   /* SGI 8 taken (doorbells + mailbox calls), mailbox calls served */
    uint64_t sleeps;        /* times the payload went to wfi with every lane waiting (tz_sp_run) */
    uint64_t deadline;
    int channel_verdict;    /* exit status of a verdict that came as a message; LK_EXIT_NO_VERDICT: none */
} sp;

_Static_assert(sizeof(struct lk_verdict) == sizeof(struct lk_gen_req), "lane 1 reads one request head for both");

static struct tz_memmap memmap;

/* The sum of every lane's counters (with every lane held, or on the single-CPU firmware). */
static struct lane_count totals(void)
{
    struct lane_count t = {0, 0, 0, 0, 0, 0};
    for (uint32_t i = 0; i < LK_MAX_LANES; i++) {
        t.msgs_in += lc[i].msgs_in;
        t.bytes_in += lc[i].bytes_in;
        t.msgs_out += lc[i].msgs_out;
        t.bytes_out += lc[i].bytes_out;
        t.gen_msgs += lc[i].gen_msgs;
        t.sleeps += lc[i].sleeps;
    }
    return t;
}

void tz_sp_init(void)
{
    memset(&sp, 0, sizeof sp);
    memset(lc, 0, sizeof lc);
    sp.gen_next = 1;
    sp.channel_verdict = LK_EXIT_NO_VERDICT;
    tz_sp_board_memmap(&memmap, 1, LK_MAX_LANES, 4096, 1u << 20);
    sp.deadline = tz_arch_now() + (uint64_t)DEADLINE_SECONDS * tz_arch_freq();
    tz_printf("tzchan secure payload for Linux (%s): up, serving SMC owner %u, doorbell SPI %u\n", tz_sp_arch_name,
              TZ_SMC_OEN_TOS, LK_DOORBELL_SPI);
}

static const char *code_name(int code)
{
    return code <= TZ_REG_EOVERFLOW ? tz_region_strerror(code) : tzchan_strerror(code);
}

static int refuse(int code, uint64_t pa, uint64_t size)
{
    sp.refused++;
    sp.last_refusal = code;
    tz_printf("register %#llx+%#llx: refused, %s\n", (unsigned long long)pa, (unsigned long long)size,
              code_name(code));
    return code;
}

static void collect_rings(void)
{
    struct tzchan_stats st;
    for (uint32_t i = 0; i < sp.lanes; i++) {
        tzchan_get_stats(&sp.lane[i].ch, &st);
        sp.rang += st.doorbells;
    }
}

/* close: the normal world asked (orderly); otherwise the region is hostile and is not written again. */
static void drop_region(bool close)
{
    collect_rings();
    for (uint32_t i = 0; i < sp.lanes; i++)
        if (close)
            tzchan_close(&sp.lane[i].ch);
    tz_sp_unmap_ns(sp.va, sp.size);
    memset(sp.lane, 0, sizeof sp.lane);
    sp.registered = false;
    sp.va = NULL;
    sp.gen = 0;
    tz_sp_publish_gen(0);
}

bool tz_sp_chatty(void)
{
    return true;
}

/* Is gen (w1 of a call) the current generation? 0 always is ("whichever is current": what a driver written
 * before generations passes; ours passes the generation it got). */
static bool gen_current(uint32_t gen)
{
    if (gen == 0 || gen == sp.gen)
        return true;
    sp.stale_refused++;
    return false;
}

static int do_register(uint64_t pa, uint64_t size, uint32_t lanes, uint32_t ring, uint32_t *gen_out)
{
    struct tz_reg_req req = {pa, size, lanes, ring};
    struct tz_fresh_snap snap;
    int rc;

    /* 1. the checks that need no memory: a refusal here changes nothing */
    rc = tz_region_check(&memmap, &req);
    if (rc != TZ_REG_OK)
        return refuse(rc, pa, size);
    /* 2. takeover (tz_smc.h): the normal world restarted; the old region is not written again. The lanes'
     *    users are this file's pumps, which simply stop; the status reports TZCHAN_EPIPE for them. */
    if (sp.registered) {
        sp.takeovers++;
        tz_printf("register: takes over from generation %u: old region retired unwritten and unmapped\n", sp.gen);
        drop_region(false);
        sp.last_error = TZCHAN_EPIPE;
    }
    /* 3. map, 4. fresh? (side B's words, before our open writes them), header and lanes; unmap on refusal */
    sp.va = tz_sp_map_ns(pa, size);
    if (!sp.va)
        return refuse(TZ_REG_EMAP, pa, size);
    tz_region_snap_b(&snap, sp.va, lanes, ring);
    memset(sp.lane, 0, sizeof sp.lane);
    for (uint32_t i = 0; i < lanes; i++) {
        rc = tzchan_open(&sp.lane[i].ch, sp.va, (size_t)size, TZCHAN_SIDE_B, i);
        /* the header may claim another geometry than the SMC did: the SMC's is the one we validated */
        if (rc == 0 && tzchan_max_msg(&sp.lane[i].ch) != ring / 2)
            rc = TZ_REG_EGEOMETRY;
        if (rc == 0 && i + 1 == lanes && snap.nonzero)
            rc = TZ_REG_ENOTFRESH;
        if (rc < 0) {
            tz_sp_unmap_ns(sp.va, size);
            memset(sp.lane, 0, sizeof sp.lane);
            sp.va = NULL;
            return refuse(rc, pa, size);
        }
        tzchan_set_notify(&sp.lane[i].ch, tz_sp_ring_normal, NULL);
    }
    sp.registered = true;
    sp.pa = pa;
    sp.size = size;
    sp.lanes = lanes;
    sp.ring = ring;
    sp.accepted++;
    sp.gen = sp.gen_next++;
    if (sp.gen_next == 0)
        sp.gen_next = 1; /* 0 means "current" in every call: never hand it out */
    *gen_out = sp.gen;
    tz_sp_publish_gen(sp.gen);
    tz_printf("register %#llx+%#llx: accepted as generation %u, %u lanes of %u-byte rings, mapped non-secure at "
              "%p\n", (unsigned long long)pa, (unsigned long long)size, sp.gen, lanes, ring, sp.va);
    return 0;
}

static void put_ratio(uint64_t num, uint64_t den)
{
    uint64_t x = den ? num * 1000u / den : 0;
    tz_printf("%llu.%03llu", (unsigned long long)(x / 1000u), (unsigned long long)(x % 1000u));
}

/* The normal world's result (0 = all verified) plus our own checks -> the status SYSTEM_OFF will report. The
 * test's restart step (docs/LINUX-KERNEL.md) drops the driver without UNREGISTER and loads it again, then tries
 * the old generation in a doorbell (answered by the monitor), a STATUS and an UNREGISTER: so a whole run has
 * exactly one takeover and exactly two stale generations refused here; any other count fails (a missing
 * takeover, or a driver that sends a stale generation of its own).
 * A run against a production driver (`production`: the verdict came as a message) has none of the test hooks
 * that cause those events, so its rules are the opposite: no scribble seen, no refusal, no takeover, no stale
 * generation, and the test's unload and reload (one unregister, two registrations). */
static int verdict(uint32_t normal_failures, uint32_t normal_msgs, bool production)
{
    bool pass;
    uint64_t rang = sp.rang;
    struct tzchan_stats st;
    struct lane_count t = totals();
    for (uint32_t i = 0; sp.registered && i < sp.lanes; i++) {
        tzchan_get_stats(&sp.lane[i].ch, &st);
        rang += st.doorbells; /* the region still registered: its rings are not in sp.rang yet */
    }
    tz_printf("---- tzchan secure side summary (Linux normal world) ----\n");
    tz_printf("messages: %llu in (%llu bytes, each answered with its length and CRC-32), %llu out "
              "(%llu bytes, %llu generated on request)\n",
              (unsigned long long)t.msgs_in, (unsigned long long)t.bytes_in, (unsigned long long)t.msgs_out,
              (unsigned long long)t.bytes_out, (unsigned long long)t.gen_msgs);
    tz_printf("doorbells: %llu SPIs raised at Linux, %llu SGIs taken (%llu of them mailbox calls); ",
              (unsigned long long)rang, (unsigned long long)sp.sgis, (unsigned long long)sp.calls);
    put_ratio(rang + (sp.sgis - sp.calls), t.msgs_in + t.msgs_out);
    tz_printf(" per message both ways; slept in wfi %llu times\n", (unsigned long long)(sp.sleeps + t.sleeps));
    tz_printf("registrations: %u accepted, %u refused (last: %s), %u unregistered, %u taken over; "
              "TZCHAN_EPROTO caught %u; other errors %u; stale generations refused %u\n",
              sp.accepted, sp.refused, sp.refused ? code_name(sp.last_refusal) : "none", sp.unregistered,
              sp.takeovers, sp.eproto_seen, sp.other_errors, sp.stale_refused);
    tz_printf("normal world reports: %u messages verified, %u failures\n", normal_msgs, normal_failures);
    tz_printf("verdict rules: %s\n", production ? "production driver (no test hooks): no scribble, refusal, "
              "takeover or stale generation; one reload" : "test driver: one scribble, secure RAM refused, one "
              "takeover, two stale generations refused");
    if (production)
        pass = normal_failures == 0 && normal_msgs > 0 && t.msgs_in > 0 && sp.eproto_seen == 0 &&
               sp.accepted >= 2 && sp.unregistered >= 1 && sp.refused == 0 && sp.other_errors == 0 &&
               sp.takeovers == 0 && sp.stale_refused == 0;
    else
        pass = normal_failures == 0 && normal_msgs > 0 && t.msgs_in > 0 && sp.eproto_seen == 1 &&
               sp.accepted >= 3 && sp.unregistered >= 1 && sp.refused >= 2 && sp.other_errors == 0 &&
               sp.takeovers == 1 && sp.stale_refused == 2;
    tz_printf("VERDICT %s linux\n", pass ? "PASS" : "FAIL");
    return pass ? 0 : 1;
}

void tz_sp_call(uint32_t fid, const uint32_t a[6], uint32_t r[4])
{
    r[0] = r[1] = r[2] = r[3] = 0;
    sp.calls++;
    switch (fid) {
    case TZ_SMC_REGISTER:
        r[0] = (uint32_t)do_register((uint64_t)a[1] << 32 | a[0], a[2], a[3], a[4], &r[1]);
        break;
    case TZ_SMC_UNREGISTER:
        if (!gen_current(a[0])) {
            r[0] = (uint32_t)TZ_REG_ESTALE;
            break;
        }
        if (!sp.registered) {
            r[0] = (uint32_t)TZ_REG_ENOTREG;
            break;
        }
        drop_region(true);
        sp.unregistered++;
        tz_printf("unregister: region closed and unmapped\n");
        break;
    case TZ_SMC_STATUS:
        if (!gen_current(a[0]))
            r[0] = (uint32_t)TZ_REG_ESTALE;
        r[1] = (uint32_t)sp.last_error;
        r[2] = sp.refused;
        r[3] = sp.gen; /* 0: nothing registered; non-zero still reads as "registered" to older drivers */
        break;
    case LK_SMC_VERDICT:
        r[1] = (uint32_t)verdict(a[0], a[1], false);
        break;
    case LK_SMC_COLLECT:
        r[1] = (uint32_t)sp.channel_verdict;
        break;
    default:
        if (tz_smccc_generic_query(fid, 4, r))
            break;
        r[0] = TZ_SMC_UNKNOWN;
        break;
    }
}

/* A verdict that came as a message on a lane: judged (with the whole service's counters), answered on that lane. */
static void channel_verdict(struct lane *l)
{
    struct lk_verdict v;
    memcpy(&v, l->head, sizeof v);
    /* the first one counts: a later one (a confused or hostile test) cannot turn a FAIL into a PASS */
    int status = verdict(v.failures, (uint32_t)v.messages, true);
    if (sp.channel_verdict == LK_EXIT_NO_VERDICT)
        sp.channel_verdict = status;
    l->echo = (struct lk_echo){LK_VERDICT_MAGIC, (unsigned)sp.channel_verdict, 0, l->seq};
    l->verdict_due = false;
    l->replying = true;
}

/* A message ended: prepare its answer. whole: the caller holds the whole service (else a verdict waits for the
 * next settle, and the lane answers nothing until then). */
static void message_done(struct lane *l, uint32_t lane_no, bool whole)
{
    struct lk_gen_req req;
    struct lk_verdict v;
    lc[lane_no].msgs_in++;
    l->seq++;
    l->replying = true;
    l->gen = false;
    if (lane_no != 0 && l->rx_len == sizeof req) { /* lane 1, and the per-CPU lanes after it */
        memcpy(&req, l->head, sizeof req);
        if (req.magic == LK_GEN_MAGIC) {
            l->gen = true;
            l->gen_open = false;
            l->gen_len = req.len;
            l->gen_seed = req.seed;
            l->gen_sent = 0;
            return;
        }
        memcpy(&v, l->head, sizeof v);
        if (v.magic == LK_VERDICT_MAGIC) {
            l->replying = false;
            l->verdict_due = true;
            if (whole)
                channel_verdict(l);
            return;
        }
    }
    l->echo = (struct lk_echo){LK_ECHO_MAGIC, l->rx_crc, l->rx_len, l->seq};
}

/* Moves one lane forward by at most STEP_BYTES. Returns > 0 progress, 0 must wait (l->want says for what),
 * < 0 the channel's error. */
static int pump(struct lane *l, uint32_t lane_no, bool whole)
{
    unsigned char *buf = lane_buf[lane_no];
    struct lane_count *n = &lc[lane_no];
    int64_t r;
    bool end;

    l->want = 0;
    if (l->verdict_due)
        return 0; /* (not when whole: message_done judged it) nothing moves on this lane until it is judged */
    if (!l->replying) {
        r = tzchan_recv_some(&l->ch, buf, STEP_BYTES, &end);
        if (r == TZCHAN_EAGAIN) {
            l->want = TZCHAN_WAIT_DATA;
            return 0;
        }
        if (r < 0)
            return (int)r;
        if (l->rx_len < sizeof l->head) {
            uint64_t k = sizeof l->head - l->rx_len;
            memcpy(l->head + l->rx_len, buf, (size_t)(k < (uint64_t)r ? k : (uint64_t)r));
        }
        l->rx_crc = tz_crc32(l->rx_crc, buf, (uint64_t)r);
        l->rx_len += (uint64_t)r;
        n->bytes_in += (uint64_t)r;
        if (end) {
            message_done(l, lane_no, whole);
            l->rx_len = 0;
            l->rx_crc = 0;
        }
        return 1;
    }
    if (!l->gen) {
        r = tzchan_send(&l->ch, &l->echo, sizeof l->echo);
        if (r == TZCHAN_EAGAIN) {
            l->want = TZCHAN_WAIT_ROOM;
            return 0;
        }
        if (r < 0)
            return (int)r;
        n->msgs_out++;
        n->bytes_out += sizeof l->echo;
        l->replying = false;
        return 1;
    }
    if (!l->gen_open) {
        r = tzchan_send_begin(&l->ch, l->gen_len);
        if (r < 0)
            return (int)r;
        l->gen_open = true;
    }
    if (l->gen_sent < l->gen_len) {
        uint64_t k = l->gen_len - l->gen_sent;
        if (k > STEP_BYTES)
            k = STEP_BYTES;
        for (uint64_t i = 0; i < k; i++)
            buf[i] = lk_gen_byte(l->gen_seed, l->gen_sent + i);
        r = tzchan_send_some(&l->ch, buf, (size_t)k);
        if (r < 0)
            return (int)r;
        if (r == 0) {
            l->want = TZCHAN_WAIT_ROOM;
            return 0;
        }
        l->gen_sent += (uint64_t)r;
        n->bytes_out += (uint64_t)r;
        return 1;
    }
    r = tzchan_send_end(&l->ch);
    if (r == TZCHAN_EAGAIN) {
        l->want = TZCHAN_WAIT_ROOM;
        return 0;
    }
    if (r < 0)
        return (int)r;
    n->msgs_out++;
    n->gen_msgs++;
    l->replying = false;
    return 1;
}

void tz_sp_woke(void)
{
    for (uint32_t i = 0; i < sp.lanes; i++) {
        if (sp.lane[i].waiting)
            tzchan_wait_done(&sp.lane[i].ch);
        sp.lane[i].waiting = false;
    }
}

/* A lane broke (l->err): account for it and drop the region (the whole service is held). */
static void lane_broke(uint32_t i, int r)
{
    sp.last_error = r;
    if (r == TZCHAN_EPROTO)
        sp.eproto_seen++;
    else if (r != TZCHAN_EPIPE)
        sp.other_errors++;
    if (r == TZCHAN_EPIPE)
        tz_printf("lane %u: the normal world closed its end; region dropped and unmapped\n", i);
    else
        tz_printf("lane %u: %s; region dropped and unmapped, payload keeps serving\n", i, tzchan_strerror(r));
    drop_region(false);
}

int tz_sp_run(void)
{
    bool progress = false;
    int r = 0;
    uint32_t i;

    tz_sp_woke();
    if (!sp.registered)
        return 0;
    for (i = 0; i < sp.lanes; i++) {
        r = pump(&sp.lane[i], i, true);
        if (r < 0)
            break;
        if (r > 0)
            progress = true;
    }
    if (r < 0) {
        lane_broke(i, r);
        return 0;
    }
    if (progress)
        return 1;
    for (i = 0; i < sp.lanes; i++) {
        r = tzchan_wait_prepare(&sp.lane[i].ch, (enum tzchan_wait)sp.lane[i].want);
        sp.lane[i].waiting = true;
        if (r != 0)
            return 1; /* ready already (or broken: the next pump reports it) */
    }
    sp.sleeps++;
    return 0;
}

int tz_sp_run_lane(uint32_t i)
{
    struct lane *l;
    int r;

    if (!sp.registered || i >= sp.lanes)
        return 0;
    l = &sp.lane[i];
    if (l->err != 0 || l->verdict_due)
        return TZ_SP_LANE_SETTLE;
    if (l->waiting)
        tzchan_wait_done(&l->ch);
    l->waiting = false;
    r = pump(l, i, false);
    if (r < 0) {
        l->err = r; /* nothing more moves on this lane: the region is dropped by the settle the caller does */
        return TZ_SP_LANE_SETTLE;
    }
    if (l->verdict_due)
        return TZ_SP_LANE_SETTLE;
    if (r > 0)
        return 1;
    r = tzchan_wait_prepare(&l->ch, (enum tzchan_wait)l->want);
    l->waiting = true;
    if (r != 0)
        return 1; /* ready already (or broken: the next pump reports it) */
    lc[i].sleeps++;
    return 0;
}

void tz_sp_settle(void)
{
    for (uint32_t i = 0; sp.registered && i < sp.lanes; i++) {
        struct lane *l = &sp.lane[i];
        if (l->err != 0) {
            lane_broke(i, l->err); /* drops the region: every lane's state goes with it */
            return;
        }
        if (l->verdict_due)
            channel_verdict(l);
    }
}

void sp_linux_lane_counts(uint32_t lane, uint64_t c[4])
{
    const struct lane_count *n = &lc[lane % LK_MAX_LANES];
    c[0] = n->msgs_in;
    c[1] = n->bytes_in;
    c[2] = n->msgs_out;
    c[3] = n->bytes_out;
}

bool sp_linux_lane_mid(uint32_t lane)
{
    const struct lane *l = &sp.lane[lane % LK_MAX_LANES];
    if (!sp.registered || lane >= sp.lanes)
        return false;
    return l->rx_len > 0 || (l->replying && l->gen && l->gen_open && l->gen_sent < l->gen_len);
}

void tz_sp_tick(bool in_secure)
{
    (void)in_secure;
    if (tz_arch_now() > sp.deadline) {
        tz_printf("no verdict after %u s: giving up\nVERDICT FAIL linux timeout\n", DEADLINE_SECONDS);
        tz_arch_exit(1);
    }
}

void tz_sp_doorbell_irq(void)
{
    sp.sgis++;
}

unsigned tz_sp_half_way(void)
{
    unsigned n = 0;
    for (uint32_t i = 0; sp.registered && i < sp.lanes; i++) {
        const struct lane *l = &sp.lane[i];
        if (l->rx_len > 0 || (l->replying && l->gen && l->gen_open && l->gen_sent < l->gen_len))
            n++;
    }
    return n;
}
