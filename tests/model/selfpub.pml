/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Spin model of the self-published records of wire format version 2 (docs/PROTOCOL.md s.9): a whole message's
 * record is published by its own header, so the consumer takes it without loading the producer's index, and the
 * producer keeps the header position after every record it completes zeroed ("zero ahead"), so the consumer can
 * tell "nothing here yet" from a header without trusting stale bytes.
 *
 * What is stored. The ring is W words of 8 bytes (a record starts on a word; its span is a number of words). Each
 * word holds what was last written to it: ZERO, the genuine header of record k (HDR(k): a self-published FIRST|LAST
 * or PAD record), a header published through prod (SHDR(k): a stream record, v1's way), or payload of record k
 * (PAY(k)). Payload is the caller's bytes: anything at all, so a payload word read where a header is expected is
 * taken for the most harmful header there is (a self-published one of any length): the consumer must never read
 * one there. A PAD's area is not written (as on the wire), so it keeps whatever older laps left in it.
 *
 * Memory. Each access to a shared word is one step, sequentially consistent. The pattern checked is message
 * passing (payload and the zero ahead, then the header with a release store; the header with an acquire load,
 * then the payload), which release/acquire makes behave as here; the store-load handshake of the doorbell (the
 * consumer re-checks the header at cons after announcing its wait, where v1 re-checks prod) is doorbell.pml's
 * pattern with another word.
 *
 * Producer: N messages, each a whole message of 1..MAXW words (header included; a PAD first if it does not fit
 * before the ring's end) or, with -DSTREAMS, also a stream record (header first, published with prod while the
 * record is not complete, then its payload, then the zero ahead and prod again: v1's way, which v2 keeps for
 * streams). It may publish prod after any record or keep it for later (send_many, which publishes once at its end;
 * TZCHAN_MORE batches are not self-published and travel as v1's records do), and it publishes
 * before it waits and before its written index would run more than R - 8 past prod (rule L). It waits until the
 * consumer's published index leaves need + RES words free: RES = 1 is v2's 8-byte reserve, so the zero ahead never
 * lands on a word the consumer has not consumed.
 * Consumer: loads the word at its index. A self-published header: takes the record (checks it is the genuine
 * header of the next record and that every payload word is that record's). ZERO: loads prod; if prod covers the
 * word, loads it again (it must now be a header: an honest producer wrote it before publishing prod; the model has
 * no empty continuation record, whose header is eight zero bytes and which version 1's rules take), else waits
 * for the word or prod to change. A prod-published header: takes the record once prod covers all of it. It
 * publishes its index after any record or later, and always before it waits.
 *
 * Mutants (spin -D...), each must fail: NO_ZERO (no zero ahead: a stale payload word or an old header is taken
 * for a header), NO_RESERVE (RES = 0: the zero ahead wipes the header the consumer is about to read),
 * HEADER_FIRST (the header before the payload: the consumer reads payload not yet written), ZERO_LATE (with
 * STREAMS: a stream record of a header alone is published before its zero ahead is written), LAG (a batch that
 * never publishes prod while the consumer keeps taking its records: prod falls more than R - 8 behind cons, where
 * a check without history cannot tell it from a prod ahead; the model found this rule missing from the first
 * draft).
 * Checked (tests/model/check.sh): no invalid end state (both done, nobody waiting for good) and the assertions.
 */

#ifndef W
#define W 8                /* ring words (R = 64 bytes); W divides 256 */
#endif
#ifndef N
#define N 4                /* messages */
#endif
#ifndef MAXW
#define MAXW 5             /* a whole record's span in words at most: 8 + max_msg (R/2) bytes */
#endif
#ifdef NO_RESERVE
#define RES 0
#else
#define RES 1              /* v2's reserve: the producer never fills the last 8 bytes of the ring */
#endif
#define NR (2 * N)         /* records at most: each message may need a PAD first */

#define ZERO 0
#define HDR(k) (1 + 3 * (k))
#define SHDR(k) (2 + 3 * (k))
#define PAY(k) (3 + 3 * (k))

#define USED(p, c) (((p) - (c)) & 255)
/* rule 7: prod is published before the written index would run more than R - 8 past it, record by record (so a
 * batch longer than the ring publishes as it goes, and prod never lags cons by more than R - 8) */
#ifdef LAG
#define BOUND_LAG(span) skip
#else
#define BOUND_LAG(span) if :: USED(wr, prod) + (span) + RES > W -> prod = wr :: else -> skip fi
#endif
#define AT(i) word[(i) % W]

byte word[W];
byte prod = 0, cons = 0;   /* published indices, in words, modulo 256 */
byte rec_span[NR];         /* each record's span in words, as the producer wrote it */
bit rec_pad[NR];
byte got = 0;              /* messages the consumer delivered */

proctype Producer()
{
    byte wr = 0, k = 0, m = 0, s, need, i, to_end;
    bit stream;
    do
    :: m == N -> break
    :: else ->
        /* rule 7: the consumer's index never passes what the producer has written (it may pass prod) */
        assert(USED(wr, cons) <= W - RES);
        if
        :: s = 1 :: s = 2 :: s = 3 :: s = 4 :: s = MAXW
        fi;
        stream = 0;
#ifdef STREAMS
        if :: stream = 1 :: skip fi;
#endif
        to_end = W - wr % W;
        if
        :: s > to_end ->
            /* a PAD first: self-published, its area left as it was */
            BOUND_LAG(to_end);
            if
            :: USED(wr, cons) + to_end + RES > W -> prod = wr; (USED(wr, cons) + to_end + RES <= W)
            :: else -> skip
            fi;
            assert(USED(wr, cons) + to_end + RES <= W);
            d_step { rec_span[k] = to_end; rec_pad[k] = 1 };
#ifndef NO_ZERO
            AT(wr + to_end) = ZERO;
#endif
            AT(wr) = HDR(k);
            wr = wr + to_end; k++
        :: else -> skip
        fi;
        BOUND_LAG(s);
        if
        :: USED(wr, cons) + s + RES > W -> prod = wr; (USED(wr, cons) + s + RES <= W)
        :: else -> skip
        fi;
        assert(USED(wr, cons) + s + RES <= W);
        d_step { rec_span[k] = s; rec_pad[k] = 0 };
        if
        :: !stream ->
#ifdef HEADER_FIRST
            AT(wr) = HDR(k);
#endif
            i = 1;
            do
            :: i < s -> AT(wr + i) = PAY(k); i++
            :: else -> break
            od;
#ifndef NO_ZERO
            AT(wr + s) = ZERO;
#endif
#ifndef HEADER_FIRST
            AT(wr) = HDR(k);
#endif
            wr = wr + s
        :: else ->
            /* a stream record: header, prod (the header alone, while the record is not complete), payload, the
             * zero ahead, prod. The zero ahead comes before any publication that covers the record's last byte:
             * a record of a header alone is published only with it (the model found this) */
            AT(wr) = SHDR(k);
            if
            :: s > 1 -> prod = wr + 1
#ifdef ZERO_LATE
            :: s == 1 -> prod = wr + 1
#endif
            :: else -> skip
            fi;
            i = 1;
            do
            :: i < s -> AT(wr + i) = PAY(k); i++
            :: else -> break
            od;
#ifndef NO_ZERO
            AT(wr + s) = ZERO;
#endif
            wr = wr + s;
            prod = wr
        fi;
        k++; m++;
        if
        :: prod = wr
        :: skip            /* batched: published later */
        fi
    od;
    prod = wr
}

/* rule 7 of s.9.2, in the form an opener checks: prod is ahead of cons by at most R, or behind it by at most
 * R - 8 (the consumer took self-published records prod does not cover yet); an honest producer never falls
 * outside. (The form with the last value accepted would add a history variable to every state.) */
#define PROD_LOAD p = prod; assert(USED(p, cv) <= W || USED(cv, p) <= W - RES)

proctype Consumer()
{
    byte cv = 0, k = 0, v, p, i;
    do
    :: got == N -> break
    :: else ->
        v = AT(cv);
        if
        :: v == ZERO ->
            PROD_LOAD;
            if
            :: USED(p, cv) > 0 && USED(p, cv) <= W ->
                /* prod is ahead of the word: an honest producer wrote its header before publishing prod. (prod
                 * may also stand behind cv: the consumer took self-published records that prod does not cover
                 * yet. Behind is not ahead: there is nothing there for prod to vouch for.) */
                v = AT(cv);
                assert(v != ZERO)
            :: else ->
                cons = cv; /* publish before waiting */
                (AT(cv) != ZERO || prod != p)
            fi
        :: v == SHDR(k) ->
            /* published through prod: take it once prod covers all of it */
            PROD_LOAD;
            if
            :: USED(p, cv) >= rec_span[k] && USED(p, cv) <= W ->
                i = 1;
                do
                :: i < rec_span[k] -> assert(AT(cv + i) == PAY(k)); i++
                :: else -> break
                od;
                cv = cv + rec_span[k]; k++; got++;
                if :: cons = cv :: skip fi
            :: else ->
                cons = cv;
                (prod != p)
            fi
        :: else ->
            /* taken for a self-published header: it must be the genuine header of the next record */
            assert(v == HDR(k));
            if
            :: !rec_pad[k] ->
                i = 1;
                do
                :: i < rec_span[k] -> assert(AT(cv + i) == PAY(k)); i++
                :: else -> break
                od;
                got++
            :: else -> skip
            fi;
            cv = cv + rec_span[k]; k++;
            if :: cons = cv :: skip fi
        fi
    od;
    cons = cv
}

init {
    atomic { run Producer(); run Consumer() }
}
