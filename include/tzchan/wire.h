/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tzchan wire format, version 2: the layout of a shared region, byte for byte.
 *
 * This header is the machine-readable half of docs/PROTOCOL.md; the two say the same thing. Everything here lives
 * in memory that the other side can write at any time, so nothing in this file is ever trusted: the core copies
 * what it needs into private memory and checks it first. Only fixed-width integers appear here (no pointers,
 * size_t, bool or enum), every field is little-endian, and every offset is asserted below.
 *
 * Region:   [ region header, 128 B ][ lane 0 ][ lane 1 ] ... [ lane N-1 ]
 * Lane:     [ 6 control slots of 128 B = 768 B ][ ring A->B data ][ ring B->A data ]
 * Record:   [ header 8 B (or 16 B for the first record of a multi-record message) ][ payload ][ zero pad to 8 ]
 */
#ifndef TZCHAN_WIRE_H
#define TZCHAN_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* The format is little-endian; the core reads and writes fields in the CPU's native order, so it builds only
 * for little-endian CPUs (all of x86-64, armhf and aarch64 Linux/bare-metal targets are). See PROTOCOL.md s.1. */
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && (__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__)
#error "the tzchan wire format is little-endian; this core supports little-endian CPUs only"
#endif

#define TZCHAN_WIRE_MAGIC 0x48435a54u /* bytes 'T' 'Z' 'C' 'H' in memory order */
#define TZCHAN_WIRE_VERSION 2u /* self-published records (PROTOCOL.md s.9); version 1 is refused */

#define TZCHAN_WIRE_SLOT 128u          /* control words are 128 B apart: see PROTOCOL.md s.2.2 */
#define TZCHAN_WIRE_HEADER_BYTES 128u  /* region header slot */
#define TZCHAN_WIRE_LANE_CTRL 768u     /* six control slots per lane */
#define TZCHAN_WIRE_MIN_RING 1024u     /* ring data area, bytes, power of two */
#define TZCHAN_WIRE_MAX_RING (1u << 30)
#define TZCHAN_WIRE_MAX_LANES 1024u
#define TZCHAN_WIRE_ALIGN 64u          /* the region's start must be 64-byte aligned */

/* Region header, at offset 0. Written once by side A (tzchan_region_init), then read-only by convention. */
struct tzchan_wire_header {
    uint32_t magic;        /* 0x00: TZCHAN_WIRE_MAGIC */
    uint32_t version;      /* 0x04: TZCHAN_WIRE_VERSION */
    uint32_t lanes;        /* 0x08: 1 .. TZCHAN_WIRE_MAX_LANES */
    uint32_t ring_bytes;   /* 0x0c: power of two, TZCHAN_WIRE_MIN_RING .. TZCHAN_WIRE_MAX_RING */
    uint64_t region_bytes; /* 0x10: = 128 + lanes * lane_stride */
    uint64_t lane_offset;  /* 0x18: = 128, offset of lane 0 from the region's start */
    uint64_t lane_stride;  /* 0x20: = 768 + 2 * ring_bytes */
    uint32_t ring_offset_ab; /* 0x28: = 768, offset of the A->B data area inside a lane */
    uint32_t ring_offset_ba; /* 0x2c: = 768 + ring_bytes */
    uint32_t flags;        /* 0x30: 0 (an opener refuses any bit it does not know) */
    uint32_t reserved[19]; /* 0x34 .. 0x7f: zero */
};

/* Ring index slot: one free-running 32-bit index, alone on its 128-byte slot. */
struct tzchan_wire_index {
    uint32_t value;        /* prod: bytes published by the producer; cons: bytes released by the consumer */
    uint32_t reserved[31];
};

/* Per-side doorbell slot: written only by the side that owns it (A or B). */
struct tzchan_wire_sleep {
    uint32_t waiting;      /* 0x00: bit0 waits for DATA, bit1 for ROOM, bits 2..31 the peer's bell value (low 30
                            * bits) this side read before announcing the wait, i.e. the value it sleeps on */
    uint32_t want_cons;    /* 0x04: with ROOM: the consumer index this side waits for on its send ring */
    uint32_t bell;         /* 0x08: how many times this side rang the other (the peer's futex/WFE word) */
    uint32_t state;        /* 0x0c: bit0 OPEN (set by tzchan_open), bit1 CLOSED (set by tzchan_close),
                            * bit2 SLEEP_FENCE (the owner fences asymmetrically before it sleeps: PROTOCOL.md s.6) */
    uint32_t reserved[28];
};

#define TZCHAN_WIRE_WAIT_DATA 1u
#define TZCHAN_WIRE_WAIT_ROOM 2u
#define TZCHAN_WIRE_WAIT_SEEN_SHIFT 2u
#define TZCHAN_WIRE_WAIT_SEEN_MASK 0x3fffffffu
#define TZCHAN_WIRE_STATE_OPEN 1u
#define TZCHAN_WIRE_STATE_CLOSED 2u
#define TZCHAN_WIRE_STATE_SLEEP_FENCE 4u

/* Lane control block: the six slots, then the two data areas (not part of this struct). */
struct tzchan_wire_lane {
    struct tzchan_wire_index ab_prod; /* 0x000: written by A */
    struct tzchan_wire_index ab_cons; /* 0x080: written by B */
    struct tzchan_wire_index ba_prod; /* 0x100: written by B */
    struct tzchan_wire_index ba_cons; /* 0x180: written by A */
    struct tzchan_wire_sleep sleep_a; /* 0x200: written by A */
    struct tzchan_wire_sleep sleep_b; /* 0x280: written by B */
};

/* Record header, at an 8-byte aligned offset in a ring's data area. */
struct tzchan_wire_record {
    uint32_t len;   /* payload bytes (for PAD: bytes from the end of this header to the end of the ring) */
    uint32_t flags; /* TZCHAN_WIRE_REC_* */
};
/* The first record of a message that is not a single record (FIRST without LAST) has a 16-byte header. */
struct tzchan_wire_record_first {
    uint32_t len;
    uint32_t flags;
    uint32_t total_lo; /* declared total length of the whole message, low half */
    uint32_t total_hi; /* high half; total = 2^64-1 means "unknown" */
};

#define TZCHAN_WIRE_REC_FIRST 1u /* first record of a message */
#define TZCHAN_WIRE_REC_LAST 2u  /* last record of a message */
#define TZCHAN_WIRE_REC_PAD 4u   /* filler to the end of the ring; no message content */
#define TZCHAN_WIRE_REC_SELF 8u  /* published by its own header (flags stored last, with release), not by prod: only
                                  * FIRST|LAST|SELF (a whole message, len <= ring/2) and PAD|SELF (PROTOCOL.md s.9) */
/* The flags of a record published by prod (streamed messages); anything else without SELF is a protocol error. */
#define TZCHAN_WIRE_REC_KNOWN (TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST | TZCHAN_WIRE_REC_PAD)
#define TZCHAN_WIRE_REC_SELF_MSG (TZCHAN_WIRE_REC_FIRST | TZCHAN_WIRE_REC_LAST | TZCHAN_WIRE_REC_SELF)
#define TZCHAN_WIRE_REC_SELF_PAD (TZCHAN_WIRE_REC_PAD | TZCHAN_WIRE_REC_SELF)
/* The producer keeps the 8 bytes after every record it completes zero (the next header's place: "zero ahead") and
 * never writes more than ring - 8 bytes ahead of the consumer's index (the reserve they need); its published prod
 * never lags more than ring - 8 behind what it wrote (PROTOCOL.md s.9.2, rules Z, Z', L). */
#define TZCHAN_WIRE_ZERO_AHEAD 8u
#define TZCHAN_WIRE_REC_HDR 8u
#define TZCHAN_WIRE_REC_HDR_FIRST 16u
/* A producer of a message that is not one record (of unknown length, or declared <= ring/2) can always go on with
 * it once this many bytes of the ring are free (its next record with a PAD before it, or its closing record); a
 * consumer that takes messages whole reports EMSGSIZE, not EAGAIN, for such a message while it is incomplete and
 * fewer bytes than this are free (PROTOCOL.md 4.3). */
#define TZCHAN_WIRE_STREAM_ROOM 48u

_Static_assert(sizeof(struct tzchan_wire_header) == TZCHAN_WIRE_HEADER_BYTES, "header is one slot");
_Static_assert(offsetof(struct tzchan_wire_header, region_bytes) == 0x10, "header layout");
_Static_assert(offsetof(struct tzchan_wire_header, lane_stride) == 0x20, "header layout");
_Static_assert(offsetof(struct tzchan_wire_header, ring_offset_ab) == 0x28, "header layout");
_Static_assert(offsetof(struct tzchan_wire_header, flags) == 0x30, "header layout");
_Static_assert(sizeof(struct tzchan_wire_index) == TZCHAN_WIRE_SLOT, "index slot");
_Static_assert(sizeof(struct tzchan_wire_sleep) == TZCHAN_WIRE_SLOT, "sleep slot");
_Static_assert(offsetof(struct tzchan_wire_sleep, bell) == 0x08, "sleep layout");
_Static_assert(offsetof(struct tzchan_wire_sleep, state) == 0x0c, "sleep layout");
_Static_assert(offsetof(struct tzchan_wire_lane, ab_cons) == 0x080, "lane layout");
_Static_assert(offsetof(struct tzchan_wire_lane, ba_prod) == 0x100, "lane layout");
_Static_assert(offsetof(struct tzchan_wire_lane, ba_cons) == 0x180, "lane layout");
_Static_assert(offsetof(struct tzchan_wire_lane, sleep_a) == 0x200, "lane layout");
_Static_assert(offsetof(struct tzchan_wire_lane, sleep_b) == 0x280, "lane layout");
_Static_assert(sizeof(struct tzchan_wire_lane) == TZCHAN_WIRE_LANE_CTRL, "lane control block");
_Static_assert(sizeof(struct tzchan_wire_record) == TZCHAN_WIRE_REC_HDR, "record header");
_Static_assert(sizeof(struct tzchan_wire_record_first) == TZCHAN_WIRE_REC_HDR_FIRST, "first record header");

#endif /* TZCHAN_WIRE_H */
