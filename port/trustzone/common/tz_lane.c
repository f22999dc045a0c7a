/* SPDX-License-Identifier: BSD-2-Clause */
/* Per-lane test traffic of the SMP image, both directions at once, every byte checked (see tz_smp.h). */
#include "tz_smp.h"

#include "tz_libc.h"

/* Lengths, per lane and direction: multi-MiB messages that take many rounds through a 64 KiB ring, messages of
 * exactly one ring and of exactly max_msg (which travel as one record), and the edge cases 0 and 1. */
uint64_t tz_lane_len(uint32_t lane, uint32_t side, uint32_t seq)
{
    static const uint64_t base[] = {
        (3u << 20) + 17u, 0u, 1u, TZ_SMP_RING / 2u, (1u << 20) + 3u, TZ_SMP_RING + 4097u,
    };
    uint64_t len = base[seq % (sizeof base / sizeof base[0])];
    /* lanes, directions and rounds differ a little, so a message that crossed lanes or directions shows */
    return len >= 1024u ? len + 8u * lane + 3u * side + 5u * (seq / (sizeof base / sizeof base[0])) : len;
}

uint64_t tz_lane_total(uint32_t lane, uint32_t side, uint32_t count)
{
    uint64_t sum = 0;
    uint32_t i;
    for (i = 0; i < count; i++)
        sum += tz_lane_len(lane, side, i);
    return sum;
}

/* Byte `off` of message seq of side `side` on lane `lane`: a splitmix64 of the 8-byte word index. */
static void gen(uint32_t lane, uint32_t side, uint32_t seq, uint64_t off, unsigned char *out, uint32_t len)
{
    uint64_t key = ((uint64_t)lane << 48) ^ ((uint64_t)side << 40) ^ ((uint64_t)seq << 32) ^ 0x9e3779b97f4a7c15u;
    uint64_t w = off >> 3, z = 0;
    unsigned k = (unsigned)(off & 7u);
    bool have = false;

    while (len) {
        if (!have) {
            z = (key + w) * 0xbf58476d1ce4e5b9u;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
            z ^= z >> 31;
            have = true;
        }
        *out++ = (unsigned char)(z >> (8u * k));
        len--;
        if (++k == 8u) {
            k = 0;
            w++;
            have = false;
        }
    }
}

void tz_lane_init(struct tz_lane *t, struct tzchan *ch, uint32_t side, uint32_t lane, uint32_t count)
{
    memset(t, 0, sizeof *t);
    t->ch = ch;
    t->side = side;
    t->lane = lane;
    t->count = count;
}

static int fail(struct tz_lane *t, int err)
{
    if (!t->error)
        t->error = err;
    return err;
}

static int pump_tx(struct tz_lane *t, uint32_t budget, int *moved)
{
    int64_t r;

    while (t->tx_seq < t->count && budget) {
        if (!t->tx_open) {
            t->tx_len = tz_lane_len(t->lane, t->side, t->tx_seq);
            r = tzchan_send_begin(t->ch, t->tx_len);
            if (r < 0)
                return fail(t, (int)r);
            t->tx_open = true;
            t->tx_off = t->tx_boff = 0;
            t->tx_blen = 0;
        }
        if (t->tx_off < t->tx_len) {
            uint32_t done, n;
            if (t->tx_off == t->tx_boff + t->tx_blen) { /* the buffered chunk is gone: make the next one */
                uint64_t left = t->tx_len - t->tx_off;
                t->tx_boff = t->tx_off;
                t->tx_blen = left < TZ_LANE_CHUNK ? (uint32_t)left : TZ_LANE_CHUNK;
                gen(t->lane, t->side, t->tx_seq, t->tx_boff, t->tx_buf, t->tx_blen);
            }
            done = (uint32_t)(t->tx_off - t->tx_boff);
            n = t->tx_blen - done;
            r = tzchan_send_some(t->ch, t->tx_buf + done, n);
            if (r < 0)
                return fail(t, (int)r);
            if (r == 0) {
                t->wait |= TZCHAN_WAIT_ROOM;
                return 0;
            }
            t->tx_off += (uint64_t)r;
            t->bytes_sent += (uint64_t)r;
            budget = (uint64_t)r >= budget ? 0 : budget - (uint32_t)r;
            *moved = 1;
            continue;
        }
        r = tzchan_send_end(t->ch);
        if (r == TZCHAN_EAGAIN) {
            t->wait |= TZCHAN_WAIT_ROOM;
            return 0;
        }
        if (r < 0)
            return fail(t, (int)r);
        t->tx_open = false;
        t->tx_seq++;
        t->msgs_sent++;
        *moved = 1;
    }
    return 0;
}

static int pump_rx(struct tz_lane *t, uint32_t budget, int *moved)
{
    uint32_t peer = t->side ^ 1u;

    while (t->rx_seq < t->count && budget) {
        bool eom = false;
        int64_t r;
        if (!t->rx_open) {
            uint64_t total;
            int rc = tzchan_recv_total(t->ch, &total);
            if (rc == TZCHAN_EAGAIN) {
                t->wait |= TZCHAN_WAIT_DATA;
                return 0;
            }
            if (rc < 0)
                return fail(t, rc);
            t->rx_len = tz_lane_len(t->lane, peer, t->rx_seq);
            /* the declared length, before a byte of the message is taken (the end-of-message check below would
             * catch a wrong length too, only later; no honest run can tell the two apart) */
            if (total != t->rx_len) {
                t->bad++;
                return fail(t, TZCHAN_EPROTO);
            }
            t->rx_open = true;
            t->rx_off = 0;
        }
        r = tzchan_recv_some(t->ch, t->rx_buf, TZ_LANE_CHUNK, &eom);
        if (r == TZCHAN_EAGAIN) {
            t->wait |= TZCHAN_WAIT_DATA;
            return 0;
        }
        if (r < 0)
            return fail(t, (int)r);
        if (t->rx_off + (uint64_t)r > t->rx_len) {
            t->bad++;
            return fail(t, TZCHAN_EPROTO);
        }
        gen(t->lane, peer, t->rx_seq, t->rx_off, t->rx_exp, (uint32_t)r);
        /* every byte, against what the sender must have written there. mutant: a sender that generates one byte
         * wrong (or a ring that loses or repeats bytes) makes this fail on the other world's side */
        if (memcmp(t->rx_buf, t->rx_exp, (size_t)r) != 0) {
            t->bad++;
            return fail(t, TZCHAN_EPROTO);
        }
        t->rx_off += (uint64_t)r;
        t->bytes_recv += (uint64_t)r;
        budget = (uint64_t)r >= budget ? 0 : budget - (uint32_t)r;
        *moved = 1;
        if (eom) {
            if (t->rx_off != t->rx_len) {
                t->bad++;
                return fail(t, TZCHAN_EPROTO);
            }
            t->rx_open = false;
            t->rx_seq++;
            t->msgs_recv++;
        }
    }
    return 0;
}

int tz_lane_pump(struct tz_lane *t, uint32_t budget)
{
    int moved = 0, r;

    if (t->error)
        return t->error;
    t->wait = 0;
    r = pump_rx(t, budget, &moved);
    if (r < 0)
        return r;
    r = pump_tx(t, budget, &moved);
    if (r < 0)
        return r;
    if (moved)
        t->wait = 0;
    return moved;
}

bool tz_lane_done(const struct tz_lane *t)
{
    return t->msgs_sent == t->count && t->msgs_recv == t->count;
}

bool tz_lane_mid(const struct tz_lane *t)
{
    return t->tx_open || t->rx_open;
}
