/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Spin model of tzchan's doorbell handshake (src/tzchan.c: tx_publish, rx_publish, ring_peer,
 * tzchan_wait_prepare, tzchan_wait_done; docs/PROTOCOL.md s.6), on one ring: the producer sleeps for ROOM when
 * the ring is full, the consumer sleeps for DATA when it is empty, and each rings the other only when the other
 * has said it waits, once per wait epoch.
 *
 * Memory: every store to a shared word goes through the storing side's FIFO store buffer, which a separate
 * process drains into memory at any time (total store order, as on x86; the one reordering it allows, a later
 * load passing an earlier store, is exactly what the full fences are for). A full fence waits until the side's
 * buffer is empty. Loads read memory (each side only loads words the other side writes). The futex-style sleep
 * is "sleep only while the peer's bell still holds the value read before announcing the wait"; a ring stores the
 * new bell value and then makes a system call (a full barrier).
 *
 * Mutants (spin -D...): NO_FENCE_PUBLISH drops the fence between publishing an index and reading the peer's
 * waiting word; NO_FENCE_WAIT drops the fence between announcing the wait and re-checking the ring; NO_EPOCH
 * never advances the wait epoch, so a second wait looks like the first one, already rung for. Each must fail.
 *
 * Checked (tests/model/check.sh): no invalid end state (nobody asleep for good when the run should end), the
 * assertions, and under weak fairness the LTL properties below (every message arrives; a side asleep while what
 * it waits for holds is woken).
 */

#ifndef N
#define N 4          /* messages sent */
#endif
#ifndef CAP
#define CAP 2        /* ring capacity in messages */
#endif
#ifndef E
#define E 16         /* wait epochs are counted modulo E (2^30 in the real word); see VERIFICATION.md on the wrap */
#endif
#define SB 2         /* store buffer depth */

#define DATA 1
#define ROOM 2

/* shared words, indexed */
#define PROD 0       /* producer index (written by P) */
#define CONS 1       /* consumer index (written by C) */
#define WP 2         /* P's waiting word: epoch * 4 + bits */
#define WC 3         /* C's waiting word */
#define WANTP 4      /* P's want_cons: the consumer index its ROOM wait needs */
#define BP 5         /* P's bell: C sleeps on it */
#define BC 6         /* C's bell: P sleeps on it */
byte mem[7];

chan sbP = [SB] of { byte, byte };
chan sbC = [SB] of { byte, byte };

/* visible to the LTL properties */
byte received = 0;
byte p_prod = 0, c_cons = 0;
bit p_asleep = 0, c_asleep = 0;

#define STORE(sb, w, v) sb!w,v
#define FENCE(sb) (len(sb) == 0)

proctype Flush(chan sb)
{
    byte w, v;
end:
    do
    :: atomic { sb?w,v -> mem[w] = v }   /* one store leaves the buffer and reaches memory */
    od
}

/* ring_peer(): ring once per wait epoch of the peer (w is the waiting word just read) */
#define RING(sb, bellw, bell, rung_for, w) \
    if \
    :: (w) != rung_for -> rung_for = (w); bell++; STORE(sb, bellw, bell); FENCE(sb) /* notify: a syscall */ \
    :: else -> skip \
    fi

#ifdef NO_FENCE_PUBLISH
#define PUB_FENCE(sb) skip
#else
#define PUB_FENCE(sb) FENCE(sb)
#endif
#ifdef NO_FENCE_WAIT
#define WAIT_FENCE(sb) skip
#else
#define WAIT_FENCE(sb) FENCE(sb)
#endif
#ifdef NO_EPOCH
#define NEXT_EPOCH(e) skip
#else
#define NEXT_EPOCH(e) e = (e + 1) % E
#endif

proctype Producer()
{
    byte cons_seen = 0, seen, epoch = 0, rung_for = 0, bell = 0, w;
    do
    :: p_prod == N -> break
    :: else ->
        if
        :: p_prod - cons_seen < CAP ->
            /* send + tx_publish(): release store of prod; full fence; look at C's waiting word */
            p_prod++;
            STORE(sbP, PROD, p_prod);
            PUB_FENCE(sbP);
            w = mem[WC];
            if
            :: (w & DATA) -> RING(sbP, BP, bell, rung_for, w)
            :: else -> if :: !(w & ROOM) -> rung_for = 0 :: else -> skip fi
            fi
        :: else ->
            cons_seen = mem[CONS];                       /* tx_refresh() */
            if
            :: p_prod - cons_seen < CAP -> skip
            :: else ->
                /* tzchan_wait_prepare(ROOM): read C's bell, announce, fence, check again */
                seen = mem[BC];
                NEXT_EPOCH(epoch);
                STORE(sbP, WANTP, p_prod + 1 - CAP);
                STORE(sbP, WP, epoch * 4 + ROOM);
                WAIT_FENCE(sbP);
                cons_seen = mem[CONS];
                if
                :: p_prod - cons_seen < CAP -> STORE(sbP, WP, epoch * 4)   /* holds: returns 1 */
                :: else ->
                    /* returns 0: sleep on C's bell while it still equals seen (futex) */
                    atomic { if :: mem[BC] == seen -> p_asleep = 1 :: else -> skip fi }
                    atomic { mem[BC] != seen -> p_asleep = 0 }
                    STORE(sbP, WP, epoch * 4)                      /* tzchan_wait_done() */
                fi
            fi
        fi
    od;
    FENCE(sbP)
}

proctype Consumer()
{
    byte prod_seen = 0, seen, epoch = 0, rung_for = 0, bell = 0, w;
    do
    :: received == N -> break
    :: else ->
        if
        :: prod_seen != c_cons ->
            /* recv + rx_publish(): release store of cons; full fence; look at P's waiting word */
            c_cons++;
            received++;
            STORE(sbC, CONS, c_cons);
            PUB_FENCE(sbC);
            w = mem[WP];
            if
            :: (w & ROOM) && c_cons >= mem[WANTP] -> RING(sbC, BC, bell, rung_for, w)
            :: else -> if :: !(w & DATA) -> rung_for = 0 :: else -> skip fi
            fi
        :: else ->
            prod_seen = mem[PROD];                       /* rx_refresh() */
            if
            :: prod_seen != c_cons -> skip
            :: else ->
                /* tzchan_wait_prepare(DATA) */
                seen = mem[BP];
                NEXT_EPOCH(epoch);
                STORE(sbC, WC, epoch * 4 + DATA);
                WAIT_FENCE(sbC);
                prod_seen = mem[PROD];
                if
                :: prod_seen != c_cons -> STORE(sbC, WC, epoch * 4)
                :: else ->
                    atomic { if :: mem[BP] == seen -> c_asleep = 1 :: else -> skip fi }
                    atomic { mem[BP] != seen -> c_asleep = 0 }
                    STORE(sbC, WC, epoch * 4)
                fi
            fi
        fi
    od;
    assert(c_cons == N && received == N)
}

init
{
    atomic {
        run Flush(sbP);
        run Flush(sbC);
        run Producer();
        run Consumer()
    }
}

/* every message arrives (fails on a lost wake-up: the run stops short of it) */
ltl all_arrive { <> (received == N) }
/* a side asleep while what it waits for holds is woken */
ltl data_wakes { [] ((c_asleep && mem[PROD] != c_cons) -> <> !c_asleep) }
ltl room_wakes { [] ((p_asleep && p_prod - mem[CONS] < CAP) -> <> !p_asleep) }
