/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Spin model of tzchan's record layer (docs/PROTOCOL.md s.3-4; src/tzchan.c: tx_room, tx_open_record,
 * tzchan_send_some, tzchan_send_end, rx_head, recv_multi, tzchan_recv, tzchan_recv_some) on one ring of R bytes.
 * It checks that two honest endpoints never deadlock (both waiting while a message is unread or room is owed)
 * and that every message the producer completes is delivered: by tzchan_recv, or, after tzchan_recv said
 * EMSGSIZE, by tzchan_recv_some.
 *
 * tzchan_send_many and tzchan_recv_many are defined as runs of tzchan_send_flags(MORE) + tzchan_flush and of
 * tzchan_recv calls of one side with no step of the peer in between (docs/DESIGN.md s.2.5), which the interleavings
 * below already contain; each publishes before it returns, the rule checked here for every call.
 *
 * Abstraction. Each API call is one atomic step (d_step): the memory ordering of the indices and records is not
 * modelled here (release/acquire pairs P1/C1, C2/P2; the doorbell handshake is doorbell.pml's job). A side whose
 * call returns EAGAIN (or a send_some that returns 0) sleeps until what it waits for holds: the producer until
 * the published consumer index leaves `need` bytes free (want_cons), the consumer until the published producer
 * index differs from the one its call saw. Sleeping publishes nothing: every call must publish before it
 * returns, which is the rule under test (tzchan_wait_prepare also publishes, a second line of defence the model
 * does not count on). Indices are bytes counted modulo 256 (R divides 256, so masking and the unsigned distance
 * behave as with the real 32-bit counters). Record bytes are not stored: the ring holds a queue of record
 * headers (flags, len) in stream order, from the first whose header the consumer has not taken to the last the
 * producer wrote; the producer appends a record and publishes its header in the same call, positions follow
 * from the spans. Payload contents are not modelled, only lengths (each delivery is checked against the length
 * the producer chose for that message).
 *
 * Sizes are real bytes: headers 8 and 16, 8-byte alignment, max_msg = R/2, STREAM_ROOM = 48 (RECV_ROOM below),
 * and the old receive threshold 32; only the ring is small (R = 128 by default; the real minimum is 1024) and
 * MIN_FRAG is scaled from 256 to R/2 = 64. What the deadlocks depend on is kept: a record's span is at most R,
 * a whole record at most 8 + R/2, and the old unknown-length producer could demand a PAD plus h + MIN_FRAG
 * contiguous bytes (here up to 80) while the consumer answered EAGAIN down to 32 free bytes (in a 1 KiB ring:
 * up to 272 against 32).
 *
 * Producer: N messages, each of a nondeterministically chosen kind and size, starting at any 8-aligned offset
 * of the ring (a reopen continues where the indices stand, so this covers a PAD at every offset):
 *   WHOLE(L)  tzchan_send / reserve+commit, L <= max_msg: one FIRST|LAST record, all or EAGAIN;
 *   DSMALL(T) send_begin(T <= max_msg), send_some of the rest until taken, send_end: one FIRST|LAST record whose
 *             header goes in when h+1 bytes are free and whose payload is filled as room appears; the last
 *             payload byte is written only together with the zero padding (want = rem + pad);
 *   DBIG(T)   send_begin(T > max_msg): FIRST (16-byte header), continuations, LAST; each record at least
 *             min(MIN_FRAG, rest) or a PAD moves it to offset 0; a first record that holds all is FIRST|LAST;
 *   UNK(p..)  send_begin(unknown), send_some of pieces p1 [p2 [p3]] or eight pieces of 1 byte (each repeated
 *             until taken), send_end: each call writes whole records where h+8 bytes fit before the end (else a
 *             PAD first), payload <= align_down8(min(to_end, free) - h), so no padding is ever owed; send_end an
 *             empty LAST.
 * KINDS (and KINDS_FIRST for the first of several messages) selects the kinds: 1 WHOLE, 2 DSMALL, 4 DBIG, 8 UNK.
 * Consumer: at each message start tzchan_recv (cap = max_msg) or tzchan_recv_some; recv_some with cap 3 once per
 * message (so its index stands inside a record, at an odd position) or max_msg; after EMSGSIZE it reads the
 * message with recv_some.
 * tzchan_recv: takes owed padding and a PAD first (and publishes that), then a complete FIRST|LAST record
 * <= max_msg is delivered, > max_msg is EMSGSIZE; a multi-record message with a declared total (> max_msg) is
 * EMSGSIZE at once; one of unknown length is delivered when complete and <= max_msg, EMSGSIZE when longer or
 * when fewer than RECV_ROOM bytes are free while it is incomplete, else EAGAIN.
 *
 * Mutants (spin -D...), each must fail:
 *   M1  today's unknown-length producer (a record needs a PAD plus h + align8(min(MIN_FRAG, offered)) contiguous
 *       bytes, h+1 free; padding may be owed) with the old receive threshold of 32 bytes;
 *   M2  owed padding: the producer writes a record's last payload byte without its padding when the padding
 *       does not fit, and reports the message sent (the padding waits for its next send);
 *   M3  tzchan_recv's EAGAIN and EMSGSIZE returns do not publish the consumer index (a PAD it skipped);
 *   M4  the receive threshold (RECV_ROOM) below what the producer's next unknown-length record needs;
 *   M5  version 2 (-DV2 implied) with a receive threshold that ignores its 8-byte reserve (RECV_ROOM above).
 * -DV2 checks version 2's record layer: the same calls with the producer's 8-byte reserve (docs/PROTOCOL.md
 * s.9); whether a record is published by prod or by its own header does not show at this level (each call is
 * one step and publishes before it returns): tests/model/selfpub.pml checks that part.
 * Checked (tests/model/check.sh): no invalid end state (a deadlock: both sides waiting, or the consumer waiting
 * for bytes the finished producer never writes), the assertions (lengths delivered; a message of known length
 * <= max_msg is never EMSGSIZE; records 8-aligned, none crossing the ring's end, no PAD at offset 0; the producer
 * owes no padding), and under weak fairness the LTL property all_delivered. No run can cycle (each step moves an
 * index forward or sleeps until the other side's moves; N is bounded), so the safety search implies it too.
 */

#ifndef R
#define R 128              /* ring bytes: a power of two dividing 256 */
#endif
#ifndef N
#define N 2                /* messages */
#endif
#define MAXMSG (R / 2)     /* tzchan_max_msg */
#define K (R / 8)          /* records in the ring at most */
#ifndef MINFRAG
#define MINFRAG (R / 2)    /* MIN_FRAG (256 in a ring of >= 1024), scaled */
#endif
/* Wire format version 2 (-DV2, docs/PROTOCOL.md s.9): the producer keeps the last RES = 8 bytes of the ring
 * free (the zero written ahead of each record it completes needs them). STREAM_ROOM stays 48: the most an
 * unknown-length producer needs is 40 (4.2), 48 with the reserve. M5: version 2 with a receive threshold of 16,
 * which suffices for version 1's producer in this model (the smallest that does) but not for version 2's. */
#if defined(V2) || defined(M5)
#define RES 8
#else
#define RES 0
#endif
#ifndef RECV_ROOM
#if defined(M1)
#define RECV_ROOM 32       /* the old threshold */
#elif defined(M4)
#define RECV_ROOM 8        /* below the 16 bytes an unknown-length continuation record needs */
#elif defined(M5)
#define RECV_ROOM 16       /* enough for version 1 here, 8 short for version 2 */
#else
#define RECV_ROOM 48       /* STREAM_ROOM */
#endif
#endif
#ifndef KINDS
#define KINDS 15           /* message kinds the producer chooses from: 1 WHOLE, 2 DSMALL, 4 DBIG, 8 UNK */
#endif
#ifndef KINDS_FIRST
#define KINDS_FIRST KINDS  /* ... for the first of several messages */
#endif
#define KINDS_OF(m) ((m) == 0 && N > 1 -> KINDS_FIRST : KINDS)
#ifndef PIECES
#define PIECES 3           /* send_some pieces of an unknown-length stream, at most */
#endif

/* record flags as on the wire, plus BIG: a FIRST record whose declared total is > max_msg (its total field) */
#define FIRST 1
#define LAST 2
#define PAD 4
#define BIG 8

#define A8(n) (((n) + 7) & 248)
#define D8(n) ((n) & 248)
#define OFF(i) ((i) & (R - 1))
#define TOEND(i) (R - OFF(i))
#define USED(p, c) (((p) - (c)) & 255)
#define FREE (R - RES - USED(prod, cons))
#define HDRF(f) (((f) & (FIRST | LAST)) == FIRST -> 16 : 8)
#define MIN(a, b) ((a) < (b) -> (a) : (b))

/* the ring: published indices and the queue of record headers not yet taken by the consumer */
byte prod, cons;
byte qfl[K], qlen[K];
byte qh, qn;

/* what the producer sent, for the checks */
byte msg_len[N];
bit msg_known_small[N];    /* WHOLE or DSMALL: tzchan_recv must never say EMSGSIZE for it */
byte sent = 0;             /* messages the producer completed (send or send_end returned success) */
byte delivered = 0;        /* messages delivered to the consumer (recv, or recv_some's end of message) */

/* appends a record written at prod; checks the layout rules: 8-aligned start, no record crosses the ring's end,
 * no PAD at offset 0 */
#define ENQ(f, l) \
    assert(qn < K && OFF(prod) % 8 == 0); \
    assert(((f) & PAD) -> OFF(prod) != 0 : OFF(prod) + HDRF(f) + (l) <= R); \
    qfl[(qh + qn) % K] = (f); qlen[(qh + qn) % K] = (l); qn++
#define DEQ qfl[qh] = 0; qlen[qh] = 0; qh = (qh + 1) % K; qn--

/* ---- producer ------------------------------------------------------------------------------------------- */
/* Each call leaves ok = 1 (progress: the call completed, or took taken > 0 bytes) or ok = 0 with need = the
 * free bytes at which it would make progress (its want_cons). The producer's own index is published when each
 * call returns, so `prod` serves as both. */

/* padding still owed after the last record's payload (M1, M2 only) */
#define FLUSH_OWED \
    if \
    :: ok && p_owed > 0 && FREE >= p_owed -> prod = prod + p_owed; p_owed = 0 \
    :: ok && p_owed > 0 && FREE < p_owed -> ok = 0; need = p_owed \
    :: else -> skip \
    fi

/* a record of `contig` bytes must not cross the ring's end: a PAD fills the rest first (needs to_end free) */
#define PAD_IF(contig) \
    if \
    :: ok && (contig) > TOEND(prod) && FREE >= TOEND(prod) -> ENQ(PAD, 0); prod = prod + TOEND(prod) \
    :: ok && (contig) > TOEND(prod) && FREE < TOEND(prod) -> ok = 0; need = TOEND(prod) \
    :: else -> skip \
    fi

#define NEED_FREE(n) \
    if \
    :: ok && FREE < (n) -> ok = 0; need = (n) \
    :: else -> skip \
    fi

/* fills the open record's payload with up to `offer - taken` bytes */
#ifdef M2
#define FILL \
    n = MIN(MIN(offer - taken, p_rem), FREE); \
    prod = prod + n; p_rem = p_rem - n; taken = taken + n; \
    if \
    :: p_rem == 0 && FREE >= p_pad -> prod = prod + p_pad; p_open = 0; p_pad = 0 \
    :: p_rem == 0 && FREE < p_pad -> p_owed = p_pad; p_open = 0; p_pad = 0 \
    :: else -> skip \
    fi; \
    if \
    :: n == 0 -> ok = 0; need = 1 \
    :: else -> skip \
    fi
#else
/* the last payload byte goes only together with the padding: hold it back while rem + pad bytes are not free */
#define FILL \
    n = MIN(MIN(offer - taken, p_rem), FREE); \
    if \
    :: n == p_rem && FREE < p_rem + p_pad -> n = p_rem - 1 \
    :: else -> skip \
    fi; \
    prod = prod + n; p_rem = p_rem - n; taken = taken + n; \
    if \
    :: p_rem == 0 -> assert(FREE >= p_pad); prod = prod + p_pad; p_open = 0; p_pad = 0 \
    :: else -> skip \
    fi; \
    if \
    :: n == 0 && (offer - taken < p_rem || p_rem >= 2) -> ok = 0; need = 1 \
    :: n == 0 && !(offer - taken < p_rem || p_rem >= 2) -> ok = 0; need = p_rem + p_pad \
    :: else -> skip \
    fi
#endif

/* send a whole message of L bytes: one FIRST|LAST record, all or EAGAIN */
#define SEND_WHOLE(L) \
    ok = 1; \
    FLUSH_OWED; \
    PAD_IF(8 + A8(L)); \
    NEED_FREE(8 + A8(L)); \
    if \
    :: ok -> ENQ(FIRST | LAST, L); prod = prod + 8 + A8(L) \
    :: else -> skip \
    fi

/* send_some(rest) of a declared message T <= max_msg: one FIRST|LAST record, header at h+1 free bytes */
#define SOME_DSMALL(T) \
    ok = 1; taken = 0; offer = (T) - p_sent; \
    if \
    :: !p_open -> \
        FLUSH_OWED; \
        PAD_IF(8 + A8(T)); \
        NEED_FREE(9); \
        if \
        :: ok -> ENQ(FIRST | LAST, T); prod = prod + 8; p_open = 1; p_rem = T; p_pad = A8(T) - (T) \
        :: else -> skip \
        fi \
    :: else -> skip \
    fi; \
    if \
    :: ok -> FILL \
    :: else -> skip \
    fi; \
    p_sent = p_sent + taken

/* opens the next record of a declared message T > max_msg */
#define OPEN_BIG(T) \
    FLUSH_OWED; \
    left = (T) - p_sent - taken; \
    h = (p_first -> 8 : 16); \
    PAD_IF(h + A8(MIN(MINFRAG, left))); \
    NEED_FREE(h + 1); \
    if \
    :: ok -> \
        n = MIN(left, TOEND(prod) - h); \
        f = (p_first -> 0 : FIRST); \
        if \
        :: n == left -> f = f | LAST; h = 8 \
        :: n != left && !p_first -> f = f | BIG \
        :: else -> skip \
        fi; \
        ENQ(f, n); prod = prod + h; p_open = 1; p_rem = n; p_pad = A8(n) - n; p_first = 1 \
    :: else -> skip \
    fi

#define SOME_DBIG(T) \
    ok = 1; taken = 0; offer = (T) - p_sent; \
    do \
    :: taken == offer -> break \
    :: else -> \
        if \
        :: !p_open -> OPEN_BIG(T) \
        :: else -> skip \
        fi; \
        if \
        :: ok -> FILL \
        :: else -> skip \
        fi; \
        if \
        :: !ok -> break \
        :: else -> skip \
        fi \
    od; \
    p_sent = p_sent + taken; \
    if \
    :: taken > 0 -> ok = 1 \
    :: else -> skip \
    fi

#ifdef M1
/* today's unknown-length send_some: a record needs h + align8(min(MIN_FRAG, offered)) contiguous bytes (else a
 * PAD first) and h+1 free; its payload is what is offered and fits; its padding is written if it fits, else owed */
#define SOME_UNK(P) \
    ok = 1; taken = 0; offer = P; \
    do \
    :: taken == offer -> break \
    :: else -> \
        if \
        :: !p_open -> \
            FLUSH_OWED; \
            h = (p_first -> 8 : 16); \
            PAD_IF(h + A8(MIN(MINFRAG, offer - taken))); \
            NEED_FREE(h + 1); \
            if \
            :: ok -> \
                n = MIN(offer - taken, MIN(TOEND(prod), FREE) - h); \
                ENQ((p_first -> 0 : FIRST), n); \
                prod = prod + h; p_open = 1; p_rem = n; p_pad = A8(n) - n; p_first = 1 \
            :: else -> skip \
            fi \
        :: else -> skip \
        fi; \
        if \
        :: ok -> \
            n = MIN(MIN(offer - taken, p_rem), FREE); \
            prod = prod + n; p_rem = p_rem - n; taken = taken + n; \
            if \
            :: p_rem == 0 && FREE >= p_pad -> prod = prod + p_pad; p_open = 0; p_pad = 0 \
            :: p_rem == 0 && FREE < p_pad -> p_owed = p_pad; p_open = 0; p_pad = 0 \
            :: else -> skip \
            fi; \
            if \
            :: n == 0 -> ok = 0; need = 1 \
            :: else -> skip \
            fi \
        :: else -> skip \
        fi; \
        if \
        :: !ok -> break \
        :: else -> skip \
        fi \
    od; \
    if \
    :: taken > 0 -> ok = 1 \
    :: else -> skip \
    fi
#else
/* send_some(P) of an unknown-length stream: whole records of offered bytes where h+8 fit before the end */
#define SOME_UNK(P) \
    ok = 1; taken = 0; offer = P; \
    do \
    :: taken == offer -> break \
    :: else -> \
        h = (p_first -> 8 : 16); \
        PAD_IF(h + 8); \
        NEED_FREE(h + 8); \
        if \
        :: !ok -> break \
        :: else -> skip \
        fi; \
        n = MIN(offer - taken, D8(MIN(TOEND(prod), FREE) - h)); \
        ENQ((p_first -> 0 : FIRST), n); \
        prod = prod + h + A8(n); taken = taken + n; p_first = 1 \
    od; \
    if \
    :: taken > 0 -> ok = 1 \
    :: else -> skip \
    fi
#endif

/* send_end of an unknown-length stream: an empty LAST record (FIRST|LAST if nothing was sent) */
#define END_UNK \
    ok = 1; \
    FLUSH_OWED; \
    NEED_FREE(8); \
    if \
    :: ok -> ENQ((p_first -> LAST : FIRST | LAST), 0); prod = prod + 8 \
    :: else -> skip \
    fi

/* the sleep after EAGAIN / send_some 0: until the consumer's published index leaves `need` bytes free */
#define ROOM_WAIT (FREE >= need)

/* a call repeated (sleeping between tries) until it makes progress */
/* scratch variables are cleared at the end of each call, so they do not split states */
#define P_CLEAR assert(USED(prod, cons) + RES <= R); /* version 2: the reserve is never written into */ \
    n = 0; h = 0; f = 0; left = 0; offer = 0; taken = 0; if :: ok -> need = 0 :: else -> skip fi

#define CALL(body) do :: skip; d_step { body; P_CLEAR }; if :: ok -> break :: else -> ROOM_WAIT fi od

/* a stream's send_some of `amount` bytes in total, repeated until all is taken */
#define SOME_ALL(body, amount) \
    taken = 0; \
    do \
    :: tot == amount -> break \
    :: else -> skip; d_step { body; tot = tot + taken; P_CLEAR }; \
        if \
        :: ok -> skip \
        :: else -> ROOM_WAIT \
        fi \
    od

proctype Producer()
{
    byte m = 0, kind, sz, reps, p1, p2, p3;
    byte n, h, f, left, offer, taken, need, tot;
    byte p_sent, p_rem, p_pad, p_owed = 0;
    bit ok, p_open, p_first;
    do
    :: m == N -> break
    :: else ->
        /* choose the message: kind and size(s); the edges of every rule */
        p1 = 0; p2 = 0; p3 = 0; reps = 1;
        if
        :: (KINDS_OF(m) & 1) -> kind = 0; if :: sz = 0 :: sz = 1 :: sz = 7 :: sz = 8 :: sz = 9 :: sz = MAXMSG - 1 :: sz = MAXMSG fi
        :: (KINDS_OF(m) & 2) -> kind = 1; if :: sz = 1 :: sz = 7 :: sz = 9 :: sz = MAXMSG - 1 :: sz = MAXMSG fi
        :: (KINDS_OF(m) & 4) -> kind = 2; if :: sz = MAXMSG + 1 :: sz = R - 16 :: sz = R - 8 :: sz = R + 9 fi
        :: (KINDS_OF(m) & 8) -> kind = 3;
            if
            :: sz = 0
            :: p1 = 1 :: p1 = 9 :: p1 = R - 24
            :: p1 = 9; if :: p2 = 1 :: p2 = 49 :: p2 = MAXMSG fi
            :: p1 = R - 24; if :: p2 = 1 :: p2 = 9 fi
#if PIECES >= 3
            :: p1 = 9; p2 = 49; if :: p3 = 1 :: p3 = MAXMSG fi
#endif
            :: p1 = 1; reps = 8   /* eight 1-byte pieces: 16 ring bytes each */
            fi;
            sz = (p1 + p2 + p3) * reps
        fi;
        d_step {
            msg_len[m] = sz;
            msg_known_small[m] = (kind <= 1);
            p_sent = 0; p_open = 0; p_first = 0; tot = 0
        };
        if
        :: kind == 0 -> CALL(SEND_WHOLE(sz))
        :: kind == 1 -> SOME_ALL(SOME_DSMALL(sz), sz)
        :: kind == 2 -> SOME_ALL(SOME_DBIG(sz), sz)
        :: kind == 3 ->
            do
            :: reps > 0 -> tot = 0; SOME_ALL(SOME_UNK(p1 - tot), p1); reps--
            :: else -> break
            od;
            tot = 0; SOME_ALL(SOME_UNK(p2 - tot), p2);
            tot = 0; SOME_ALL(SOME_UNK(p3 - tot), p3);
            CALL(END_UNK)
        fi;
        atomic {
#ifndef M2
            assert(p_owed == 0 && !p_open);
#endif
            sent++; m++;
            kind = 0; sz = 0; p1 = 0; p2 = 0; p3 = 0; tot = 0; p_sent = 0; p_first = 0; need = 0
        }
    od
}

/* ---- consumer ------------------------------------------------------------------------------------------- */
#define OK 0
#define EAGAIN 1
#define EMSGSIZE 2
#define NONE 3

#define DELIVER(len) \
    assert((len) == msg_len[delivered]); delivered++; c_some = 0; c_small = 0

#ifdef M3
#define RECV_PUBLISH if :: rc == OK -> cons = c_v :: else -> skip fi
#else
#define RECV_PUBLISH cons = c_v
#endif

/* tzchan_recv(cap = max_msg) */
#define RECV \
    rc = NONE; \
    if \
    :: c_pad > 0 && USED(prod, c_v) >= c_pad -> c_v = c_v + c_pad; c_pad = 0 \
    :: c_pad > 0 && USED(prod, c_v) < c_pad -> rc = EAGAIN \
    :: else -> skip \
    fi; \
    if \
    :: rc == NONE && qn > 0 && (qfl[qh] & PAD) -> c_v = c_v + TOEND(c_v); DEQ \
    :: else -> skip \
    fi; \
    if \
    :: rc == NONE && qn == 0 -> rc = EAGAIN \
    :: else -> skip \
    fi; \
    if \
    :: rc != NONE -> skip \
    :: else -> \
        f = qfl[qh]; l = qlen[qh]; \
        assert((f & FIRST) && !(f & PAD)); \
        if \
        :: (f & LAST) && l > MAXMSG -> rc = EMSGSIZE \
        :: (f & LAST) && l <= MAXMSG && USED(prod, c_v) >= 8 + A8(l) -> \
            c_v = c_v + 8 + A8(l); DEQ; rc = OK; DELIVER(l) \
        :: (f & LAST) && l <= MAXMSG && USED(prod, c_v) < 8 + A8(l) -> rc = EAGAIN \
        :: !(f & LAST) && (f & BIG) -> rc = EMSGSIZE \
        :: !(f & LAST) && !(f & BIG) -> \
            /* recv_multi: walk the records of the message */ \
            pos = c_v; j = 0; sum = 0; \
            do \
            :: j == qn -> break /* the next header is not published */ \
            :: else -> \
                f = qfl[(qh + j) % K]; l = qlen[(qh + j) % K]; \
                if \
                :: (f & PAD) -> span = TOEND(pos) \
                :: else -> span = HDRF(f) + A8(l); sum = sum + l \
                fi; \
                if \
                :: sum > MAXMSG -> rc = EMSGSIZE; break \
                :: USED(pos + span, c_v) > USED(prod, c_v) -> break /* not complete */ \
                :: else -> skip \
                fi; \
                pos = pos + span; j++; \
                if \
                :: (f & LAST) -> rc = OK; break \
                :: else -> skip \
                fi \
            od; \
            if \
            :: rc == OK -> c_v = pos; do :: j > 0 -> DEQ; j-- :: else -> break od; DELIVER(sum) \
            :: rc == NONE && R - USED(prod, c_v) < RECV_ROOM -> rc = EMSGSIZE \
            :: rc == NONE && R - USED(prod, c_v) >= RECV_ROOM -> rc = EAGAIN \
            :: else -> skip \
            fi \
        fi \
    fi; \
    if \
    :: rc == EMSGSIZE -> assert(!msg_known_small[delivered]); c_some = 1 \
    :: else -> skip \
    fi; \
    RECV_PUBLISH

/* tzchan_recv_some(cap) */
#define RECV_SOME(cap) \
    rc = NONE; fresh = !c_msg; s_v = c_v; s_pad = c_pad; j = 0; n = 0; eom = 0; \
    do \
    :: rc != NONE -> break \
    :: else -> \
        if \
        :: !c_inrec -> \
            if \
            :: c_pad > 0 && USED(prod, c_v) >= c_pad -> c_v = c_v + c_pad; c_pad = 0 \
            :: c_pad > 0 && USED(prod, c_v) < c_pad -> rc = EAGAIN \
            :: else -> skip \
            fi; \
            if \
            :: rc == NONE && j < qn && (qfl[(qh + j) % K] & PAD) -> c_v = c_v + TOEND(c_v); j++ \
            :: else -> skip \
            fi; \
            if \
            :: rc == NONE && j == qn -> rc = EAGAIN \
            :: rc == NONE && j < qn -> \
                f = qfl[(qh + j) % K]; l = qlen[(qh + j) % K]; j++; \
                assert(!(f & PAD) && ((f & FIRST) != 0) == !c_msg); \
                c_msg = 1; \
                c_v = c_v + HDRF(f); c_rem = l; c_padr = A8(l) - l; c_inrec = 1; c_last = ((f & LAST) != 0) \
            :: else -> skip \
            fi \
        :: else -> skip \
        fi; \
        if \
        :: rc == NONE && c_rem > 0 && USED(prod, c_v) == 0 -> rc = EAGAIN \
        :: rc == NONE && c_rem > 0 && USED(prod, c_v) > 0 -> \
            n = MIN(MIN(c_rem, USED(prod, c_v)), cap); \
            c_v = c_v + n; c_rem = c_rem - n; c_got = c_got + n \
        :: else -> skip \
        fi; \
        if \
        :: rc == NONE && c_rem == 0 -> \
            c_inrec = 0; \
            if \
            :: USED(prod, c_v) >= c_padr -> c_v = c_v + c_padr; c_pad = 0 \
            :: else -> c_pad = c_padr \
            fi; \
            if \
            :: c_last -> eom = 1; c_msg = 0 \
            :: else -> skip \
            fi \
        :: else -> skip \
        fi; \
        if \
        :: rc == NONE && (n > 0 || eom) -> rc = OK \
        :: else -> skip \
        fi \
    od; \
    if \
    :: rc == EAGAIN && fresh && c_msg && c_got == 0 -> \
        /* rx_some_fail: a message entered in this call without a byte delivered is put back */ \
        c_msg = 0; c_inrec = 0; c_rem = 0; c_v = s_v; c_pad = s_pad; j = 0 \
    :: else -> skip \
    fi; \
    do :: j > 0 -> DEQ; j-- :: else -> break od; \
    if \
    :: eom -> DELIVER(c_got); c_got = 0 \
    :: else -> skip \
    fi; \
    cons = c_v

/* scratch variables are cleared at the end of each call, so they do not split states */
#define C_CLEAR \
    if \
    :: rc == EAGAIN -> idle = prod \
    :: else -> rc = 0; idle = 0 \
    fi; \
    f = 0; l = 0; j = 0; n = 0; pos = 0; span = 0; sum = 0; s_v = 0; s_pad = 0; fresh = 0; eom = 0; \
    if \
    :: !c_inrec -> c_padr = 0; c_last = 0 \
    :: else -> skip \
    fi

proctype Consumer()
{
    byte c_v, c_pad = 0, c_rem = 0, c_padr = 0, c_got = 0;
    bit c_msg = 0, c_inrec = 0, c_last = 0, c_some = 0, c_small = 0, fresh, eom;
    byte rc, f, l, j, n, pos, span, sum, s_v, s_pad, idle;
    c_v = cons;
    do
    :: delivered == N -> break
    :: else ->
        if
        :: !c_msg && !c_some -> d_step { RECV; C_CLEAR }
        :: !c_small -> d_step { c_small = 1; RECV_SOME(3); C_CLEAR }
        :: skip; d_step { RECV_SOME(MAXMSG); C_CLEAR }
        fi;
        if
        :: rc == EAGAIN -> (prod != idle); d_step { rc = 0; idle = 0 }   /* sleep until the producer publishes */
        :: else -> skip
        fi
    od
}

init
{
    byte start = 0;
    /* any 8-aligned starting offset: what earlier traffic left */
    do
    :: start < R - 8 -> start = start + 8
    :: break
    od;
    atomic {
        prod = start;
        cons = start;
        run Producer();
        run Consumer();
        start = 0
    }
}

/* every message the producer sends is delivered (fails on a deadlock or a livelock) */
ltl all_delivered { <> (delivered == N) }
