/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The test traffic both worlds run over a registered region: written once, used by the secure payload and by the
 * normal-world client on every architecture.
 *
 * Two lanes. Lane 0 carries messages from side A (the normal world, the region's creator) to side B (the secure
 * side); lane 1 carries messages from B to A. On each lane the receiver answers every message with a 24-byte ack
 * {seq, length, CRC-32} on the lane's other ring, and the sender checks it against what it sent. The receiver also
 * regenerates each message's expected bytes (a per-message pseudo-random stream both sides can compute) and
 * compares them, so corruption is caught on both ends. Message lengths follow a fixed schedule from 0 B to a few
 * MiB; those that fit tzchan_max_msg() go through tzchan_send (whole), the rest through the stream calls, and the
 * receiver reads everything with tzchan_recv_some. When side A is done it sends one summary message on lane 0.
 *
 * Nothing here blocks: tz_traffic_pump() moves what it can and records, per lane, what the side waits for, so the
 * caller can call tzchan_wait_prepare() with it and sleep.
 */
#ifndef TZ_TRAFFIC_H
#define TZ_TRAFFIC_H

#include <stdbool.h>
#include <stdint.h>

#include "tzchan/tzchan.h"
#include "tz_crc32.h" /* tz_crc32, used by the traffic and its users */

#define TZ_LANES 2u
#define TZ_CHUNK 2048u            /* bytes generated / checked per step; >= max_msg of a 4 KiB ring */
#define TZ_MAX_MSGS 512u

/* Summary the normal world sends at the end (its own claims; the secure side prints them as such). */
#define TZ_SUMMARY_MAGIC 0x4d4d5553u /* "SUMM" */
struct tz_summary {
    uint32_t magic;
    uint32_t errors;          /* verification failures seen by the normal world */
    uint32_t msgs_ok;         /* messages it received and verified */
    uint32_t acks_ok;         /* its messages the secure side acknowledged with the right length and CRC */
    uint64_t bytes_ok;
    uint64_t irqs;            /* normal-world timer interrupts */
    uint64_t irqs_mid;        /* ... that landed while a message was half sent or half received */
    uint64_t doorbells;       /* doorbells it rang */
    uint64_t doorbell_irqs;   /* doorbell interrupts it took */
};

struct tz_ack {
    uint32_t magic;           /* "ACK1" */
    uint32_t seq;
    uint32_t len_lo, len_hi;
    uint32_t crc;
    uint32_t zero;
};
#define TZ_ACK_MAGIC 0x314b4341u

struct tz_traffic {
    struct tzchan *ch[TZ_LANES];  /* this side's endpoints, lane 0 and 1 */
    uint32_t side;                /* TZCHAN_SIDE_A or _B */
    uint32_t count;               /* data messages per direction */
    uint32_t max_msg;
    unsigned wait[TZ_LANES];      /* after a pump: what each endpoint waits for (TZCHAN_WAIT_* bits) */
    int error;                    /* first tzchan error (< 0) that stopped the traffic */
    uint32_t lane_error;          /* lane it happened on */
    volatile unsigned busy;       /* non-zero while a message is half sent or half received */

    /* sender of our data messages */
    struct {
        uint32_t seq, acked;
        bool open, whole;
        uint64_t len, off;
        uint64_t gen_s, gen_w;
        unsigned gen_n;
        uint32_t crc;
        uint32_t blen, boff;
        uint32_t sent_crc[TZ_MAX_MSGS];
        bool summary_sent;
        unsigned char buf[TZ_CHUNK];
    } tx;
    /* receiver of the peer's data messages */
    struct {
        uint32_t seq;
        bool open, ack_pending, summary_got;
        uint64_t len;
        uint64_t gen_s, gen_w;
        unsigned gen_n;
        uint32_t crc;
        struct tz_ack ack;
        unsigned char buf[TZ_CHUNK], expect[TZ_CHUNK];
    } rx;

    struct tz_summary summary;    /* side B: what side A reported */
    uint32_t bad;                 /* verification failures (content, length, acks) */
    uint64_t bytes_sent, bytes_recv;
    uint32_t msgs_sent, msgs_recv;
};

/* Length of message seq of the schedule (the same on both lanes). */
uint64_t tz_sched_len(uint32_t seq);
/* Starts the traffic on endpoints ch[0], ch[1] (already open) with `count` messages per direction. */
void tz_traffic_init(struct tz_traffic *t, struct tzchan *ch0, struct tzchan *ch1, uint32_t side, uint32_t count);
/* Moves what can move now. Returns 1 if anything moved, 0 if the side must wait (see t->wait), or the first
 * tzchan error (then t->error and t->lane_error are set and the traffic stops). */
int tz_traffic_pump(struct tz_traffic *t);
/* All our messages sent and acknowledged, all the peer's received and acknowledged (side A: summary sent;
 * side B: summary received). */
bool tz_traffic_done(const struct tz_traffic *t);
/* Side A only: the summary to send once everything else is done (filled by the caller before it is needed). */
void tz_traffic_set_summary(struct tz_traffic *t, const struct tz_summary *s);

#endif /* TZ_TRAFFIC_H */
