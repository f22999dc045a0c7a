/* SPDX-License-Identifier: BSD-2-Clause */
/* Test traffic over two lanes, both directions, with end-to-end verification (see tz_traffic.h). */
#include "tz_traffic.h"

#include "tz_libc.h"

#define PUMP_BUDGET (64u * 1024u) /* bytes moved per direction before a pump returns, so the other tasks run */

static const uint64_t sched_fixed[] = {
    0, 1, 7, 8, 9, 63, 64, 65, 100, 1000, 2040, 2047, 2048, 2049, 4095, 4096, 4097, 10000, 65536 + 3,
    300000, 1048576, (3u << 20) + 123, 0, 5, 1234567,
};
#define SCHED_FIXED (sizeof sched_fixed / sizeof sched_fixed[0])

uint64_t tz_sched_len(uint32_t seq)
{
    uint64_t x;
    if (seq < SCHED_FIXED)
        return sched_fixed[seq];
    /* small and medium messages, reproducibly mixed */
    x = (uint64_t)seq * 0x9e3779b97f4a7c15u;
    x ^= x >> 29;
    switch (x % 8) {
    case 0: return 0;
    case 1: return 3000 + x % 6000;
    default: return x % 700;
    }
}

/* Message content: a xorshift64 stream seeded from (lane, seq), taken 8 bytes at a time. */
static void gen_seed(uint64_t *s, uint64_t *w, unsigned *n, uint32_t lane, uint32_t seq)
{
    uint64_t z = ((uint64_t)lane << 32 | seq) + 0x9e3779b97f4a7c15u;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    *s = (z ^ (z >> 31)) | 1u;
    *w = 0;
    *n = 0;
}

static void gen_fill(uint64_t *s, uint64_t *w, unsigned *n, unsigned char *out, uint32_t len)
{
    uint64_t x = *s, v = *w;
    unsigned k = *n;
    while (len) {
        if (k == 0 && len >= 8) { /* whole words while aligned to the stream */
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            for (int i = 0; i < 8; i++)
                out[i] = (unsigned char)(x >> (8 * i));
            out += 8;
            len -= 8;
            continue;
        }
        if (k == 0) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            v = x;
            k = 8;
        }
        *out++ = (unsigned char)v;
        v >>= 8;
        k--;
        len--;
    }
    *s = x;
    *w = v;
    *n = k;
}

void tz_traffic_init(struct tz_traffic *t, struct tzchan *ch0, struct tzchan *ch1, uint32_t side, uint32_t count)
{
    memset(t, 0, sizeof *t);
    t->ch[0] = ch0;
    t->ch[1] = ch1;
    t->side = side;
    t->count = count > TZ_MAX_MSGS ? TZ_MAX_MSGS : count;
    t->max_msg = (uint32_t)tzchan_max_msg(ch0);
    if (t->max_msg > TZ_CHUNK)
        t->max_msg = TZ_CHUNK;
}

void tz_traffic_set_summary(struct tz_traffic *t, const struct tz_summary *s)
{
    t->summary = *s;
}

static int fail(struct tz_traffic *t, int err, uint32_t lane)
{
    if (!t->error) {
        t->error = err;
        t->lane_error = lane;
    }
    return err;
}

/* Our data messages: lane 0 if we are A, lane 1 if we are B. */
static int pump_tx(struct tz_traffic *t, int *moved)
{
    uint32_t lane = t->side == TZCHAN_SIDE_A ? 0 : 1;
    struct tzchan *ch = t->ch[lane];
    uint32_t budget = PUMP_BUDGET;
    int64_t r;

    while (t->tx.seq < t->count && budget) {
        if (!t->tx.open) {
            t->tx.len = tz_sched_len(t->tx.seq);
            gen_seed(&t->tx.gen_s, &t->tx.gen_w, &t->tx.gen_n, lane, t->tx.seq);
            t->tx.crc = 0;
            t->tx.off = 0;
            t->tx.blen = t->tx.boff = 0;
            t->tx.whole = t->tx.len <= t->max_msg;
            if (t->tx.whole) {
                gen_fill(&t->tx.gen_s, &t->tx.gen_w, &t->tx.gen_n, t->tx.buf, (uint32_t)t->tx.len);
                t->tx.crc = tz_crc32(0, t->tx.buf, t->tx.len);
            } else {
                r = tzchan_send_begin(ch, t->tx.len);
                if (r < 0)
                    return fail(t, (int)r, lane);
            }
            t->tx.open = true;
        }
        t->busy |= 1; /* a streamed message is partly in the ring from here to send_end */
        if (t->tx.whole) {
            r = tzchan_send(ch, t->tx.buf, (size_t)t->tx.len);
            if (r == TZCHAN_EAGAIN) {
                t->busy &= ~1u; /* nothing of a whole message is in the ring yet */
                t->wait[lane] |= TZCHAN_WAIT_ROOM;
                return 0;
            }
            if (r < 0)
                return fail(t, (int)r, lane);
            budget = budget > t->tx.len + 8 ? budget - (uint32_t)t->tx.len - 8 : 0;
        } else {
            while (t->tx.off < t->tx.len) {
                if (t->tx.boff == t->tx.blen) {
                    uint64_t left = t->tx.len - t->tx.off;
                    t->tx.blen = left < TZ_CHUNK ? (uint32_t)left : TZ_CHUNK;
                    t->tx.boff = 0;
                    gen_fill(&t->tx.gen_s, &t->tx.gen_w, &t->tx.gen_n, t->tx.buf, t->tx.blen);
                    t->tx.crc = tz_crc32(t->tx.crc, t->tx.buf, t->tx.blen);
                }
                r = tzchan_send_some(ch, t->tx.buf + t->tx.boff, t->tx.blen - t->tx.boff);
                if (r < 0)
                    return fail(t, (int)r, lane);
                if (r == 0) {
                    t->wait[lane] |= TZCHAN_WAIT_ROOM;
                    return 0;
                }
                t->tx.boff += (uint32_t)r;
                t->tx.off += (uint64_t)r;
                *moved = 1;
                if ((uint64_t)r >= budget)
                    return 0; /* yield to the other tasks; not a wait */
                budget -= (uint32_t)r;
            }
            r = tzchan_send_end(ch);
            if (r == TZCHAN_EAGAIN) {
                t->wait[lane] |= TZCHAN_WAIT_ROOM;
                return 0;
            }
            if (r < 0)
                return fail(t, (int)r, lane);
        }
        t->tx.sent_crc[t->tx.seq] = t->tx.crc;
        t->bytes_sent += t->tx.len;
        t->msgs_sent++;
        t->tx.seq++;
        t->tx.open = false;
        t->busy &= ~1u;
        *moved = 1;
    }
    return 0;
}

/* The peer's acks for our messages arrive on the same lane's other ring. */
static int pump_acks(struct tz_traffic *t, int *moved)
{
    uint32_t lane = t->side == TZCHAN_SIDE_A ? 0 : 1;
    struct tzchan *ch = t->ch[lane];
    struct tz_ack a;
    int64_t r;

    while (t->tx.acked < t->tx.seq) {
        r = tzchan_recv(ch, &a, sizeof a);
        if (r == TZCHAN_EAGAIN) {
            t->wait[lane] |= TZCHAN_WAIT_DATA;
            return 0;
        }
        if (r < 0)
            return fail(t, (int)r, lane);
        if (r != sizeof a || a.magic != TZ_ACK_MAGIC || a.seq != t->tx.acked ||
            ((uint64_t)a.len_hi << 32 | a.len_lo) != tz_sched_len(t->tx.acked) ||
            a.crc != t->tx.sent_crc[t->tx.acked])
            t->bad++;
        t->tx.acked++;
        *moved = 1;
    }
    return 0;
}

/* The peer's data messages: lane 1 if we are A, lane 0 if we are B; we ack each on the same lane. */
static int pump_rx(struct tz_traffic *t, int *moved)
{
    uint32_t lane = t->side == TZCHAN_SIDE_A ? 1 : 0;
    struct tzchan *ch = t->ch[lane];
    uint32_t budget = PUMP_BUDGET;
    bool eom;
    int64_t r;

    for (;;) {
        if (t->rx.ack_pending) {
            r = tzchan_send(ch, &t->rx.ack, sizeof t->rx.ack);
            if (r == TZCHAN_EAGAIN) {
                t->wait[lane] |= TZCHAN_WAIT_ROOM;
                return 0;
            }
            if (r < 0)
                return fail(t, (int)r, lane);
            t->rx.ack_pending = false;
            *moved = 1;
        }
        if (t->rx.seq >= t->count)
            return 0;
        if (!budget)
            return 0;
        r = tzchan_recv_some(ch, t->rx.buf, TZ_CHUNK, &eom);
        if (r == TZCHAN_EAGAIN) {
            t->wait[lane] |= TZCHAN_WAIT_DATA;
            return 0;
        }
        if (r < 0)
            return fail(t, (int)r, lane);
        if (!t->rx.open) {
            t->rx.open = true;
            t->rx.len = 0;
            t->rx.crc = 0;
            gen_seed(&t->rx.gen_s, &t->rx.gen_w, &t->rx.gen_n, lane, t->rx.seq);
        }
        t->busy |= 2;
        if (r > 0) {
            uint64_t want = tz_sched_len(t->rx.seq);
            if (t->rx.len + (uint64_t)r > want) {
                t->bad++; /* longer than scheduled: count it, keep the stream in step */
            } else {
                gen_fill(&t->rx.gen_s, &t->rx.gen_w, &t->rx.gen_n, t->rx.expect, (uint32_t)r);
                if (memcmp(t->rx.expect, t->rx.buf, (size_t)r) != 0)
                    t->bad++;
            }
            t->rx.crc = tz_crc32(t->rx.crc, t->rx.buf, (uint64_t)r);
            t->rx.len += (uint64_t)r;
            budget = (uint64_t)r >= budget ? 0 : budget - (uint32_t)r;
        }
        *moved = 1;
        if (eom) {
            if (t->rx.len != tz_sched_len(t->rx.seq))
                t->bad++;
            t->rx.ack.magic = TZ_ACK_MAGIC;
            t->rx.ack.seq = t->rx.seq;
            t->rx.ack.len_lo = (uint32_t)t->rx.len;
            t->rx.ack.len_hi = (uint32_t)(t->rx.len >> 32);
            t->rx.ack.crc = t->rx.crc;
            t->rx.ack.zero = 0;
            t->rx.ack_pending = true;
            t->bytes_recv += t->rx.len;
            t->msgs_recv++;
            t->rx.seq++;
            t->rx.open = false;
            t->busy &= ~2u;
        }
    }
}

/* The summary: A sends it on lane 0 once all else is done; B takes it after the last data message. */
static int pump_summary(struct tz_traffic *t, int *moved)
{
    struct tzchan *ch = t->ch[0];
    int64_t r;

    if (t->side == TZCHAN_SIDE_A) {
        if (t->tx.summary_sent || t->tx.acked < t->count || t->rx.seq < t->count || t->rx.ack_pending)
            return 0;
        /* the traffic's own figures are final now; the caller filled in the port's (interrupts, doorbells) */
        t->summary.magic = TZ_SUMMARY_MAGIC;
        t->summary.errors = t->bad;
        t->summary.msgs_ok = t->msgs_recv;
        t->summary.acks_ok = t->tx.acked;
        t->summary.bytes_ok = t->bytes_recv;
        r = tzchan_send(ch, &t->summary, sizeof t->summary);
        if (r == TZCHAN_EAGAIN) {
            t->wait[0] |= TZCHAN_WAIT_ROOM;
            return 0;
        }
        if (r < 0)
            return fail(t, (int)r, 0);
        t->tx.summary_sent = true;
    } else {
        if (t->rx.summary_got || t->rx.seq < t->count || t->rx.ack_pending)
            return 0;
        r = tzchan_recv(ch, &t->summary, sizeof t->summary);
        if (r == TZCHAN_EAGAIN) {
            t->wait[0] |= TZCHAN_WAIT_DATA;
            return 0;
        }
        if (r < 0)
            return fail(t, (int)r, 0);
        if (r != sizeof t->summary || t->summary.magic != TZ_SUMMARY_MAGIC)
            t->bad++;
        t->rx.summary_got = true;
    }
    *moved = 1;
    return 0;
}

int tz_traffic_pump(struct tz_traffic *t)
{
    int moved = 0, r;

    if (t->error)
        return t->error;
    t->wait[0] = t->wait[1] = 0;
    if ((r = pump_acks(t, &moved)) < 0 || (r = pump_rx(t, &moved)) < 0 || (r = pump_tx(t, &moved)) < 0 ||
        (r = pump_summary(t, &moved)) < 0)
        return r;
    return moved;
}

bool tz_traffic_done(const struct tz_traffic *t)
{
    bool mine = t->tx.seq == t->count && t->tx.acked == t->count;
    bool theirs = t->rx.seq == t->count && !t->rx.ack_pending;
    return mine && theirs && (t->side == TZCHAN_SIDE_A ? t->tx.summary_sent : t->rx.summary_got);
}
