/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Spin model of tzchan's doorbell handshake (src/tzchan.c: tx_publish, rx_publish, ring_peer,
 * tzchan_wait_prepare, tzchan_wait_done; docs/PROTOCOL.md s.6), on one ring: the producer sleeps for ROOM when
 * the ring is full, the consumer sleeps for DATA when it is empty, and each rings the other only when the other
 * has said it waits, once per wait.
 *
 * Memory: every store to a shared word goes through the storing side's FIFO store buffer, which a separate
 * process drains into memory at any time (total store order, as on x86; the one reordering it allows, a later
 * load passing an earlier store, is exactly what the full fences are for). A full fence waits until the side's
 * buffer is empty. Loads read memory (each side only loads words the other side writes). The futex-style sleep
 * is "sleep only while the peer's bell still holds the value read before announcing the wait"; a ring stores the
 * new bell value and then makes a system call (a full barrier).
 *
 * The waiting word carries the bell value the waiter read before announcing (modulo E here, 2^30 in the real
 * word); a publisher rings only if its bell still equals it, i.e. once per wait.
 *
 * Asymmetric sleep fence (tzchan_set_sleep_fence, PROTOCOL.md s.6.1): with -DASYM_C the consumer sleeps behind
 * an asymmetric fence, so the producer publishes with only a compiler barrier (its index store may still sit in
 * its store buffer when it reads the consumer's waiting word), and the consumer's sleep fence drains the
 * producer's store buffer at that instant (what membarrier() guarantees: the other CPU executes a full barrier).
 * -DASYM_P is the same the other way round; both together are the fast path on both sides.
 *
 * Mutants (spin -D...): NO_FENCE_PUBLISH drops the fence between publishing an index and reading the peer's
 * waiting word; NO_FENCE_WAIT drops the fence between announcing the wait and re-checking the ring; NO_SEEN
 * announces a fixed value instead of the bell value read, so after the first ring no wait matches and none is
 * rung; NO_SLEEP_FENCE (with ASYM_P and ASYM_C) drops the sleep fence itself. Each must fail.
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
#define E 16         /* the announced bell value is kept modulo E (2^30 in the real word) */
#endif
#define SB 2         /* store buffer depth */

#define DATA 1
#define ROOM 2

/* shared words, indexed */
#define PROD 0       /* producer index (written by P) */
#define CONS 1       /* consumer index (written by C) */
#define WP 2         /* P's waiting word: (bell value read) * 4 + bits */
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

/* ring_peer(): ring only if our bell still equals the value the peer announced (w is its waiting word) */
#define RING(sb, bellw, bell, w) \
    if \
    :: (w) / 4 == (bell) % E -> bell++; STORE(sb, bellw, bell); FENCE(sb) /* notify: a syscall */ \
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
#ifdef NO_SEEN
#define ANNOUNCED(seen) 0
#else
#define ANNOUNCED(seen) ((seen) % E)
#endif

/* the sleep fence drains the peer's store buffer at one instant: the peer's CPU executes a full barrier */
#ifdef NO_SLEEP_FENCE
#define SLEEP_FENCE(sb, w2, v2) skip
#else
#define SLEEP_FENCE(sb, w2, v2) atomic { do :: nempty(sb) -> sb?w2,v2; mem[w2] = v2 :: empty(sb) -> break od }
#endif
/* ASYM_C: the consumer has a sleep fence, so the producer publishes with a compiler barrier only */
#ifdef ASYM_C
#define P_PUB_FENCE skip
#define C_SLEEP_FENCE SLEEP_FENCE(sbP, w2, v2)
#else
#define P_PUB_FENCE PUB_FENCE(sbP)
#define C_SLEEP_FENCE skip
#endif
#ifdef ASYM_P
#define C_PUB_FENCE skip
#define P_SLEEP_FENCE SLEEP_FENCE(sbC, w2, v2)
#else
#define C_PUB_FENCE PUB_FENCE(sbC)
#define P_SLEEP_FENCE skip
#endif

proctype Producer()
{
    byte cons_seen = 0, seen = 0, bell = 0, w, w2, v2;
    do
    :: p_prod == N -> break
    :: else ->
        if
        :: p_prod - cons_seen < CAP ->
            /* send + tx_publish(): release store of prod; full fence; look at C's waiting word */
            p_prod++;
            STORE(sbP, PROD, p_prod);
            P_PUB_FENCE;
            w = mem[WC];
            if
            :: (w & DATA) -> RING(sbP, BP, bell, w)
            :: else -> skip
            fi
        :: else ->
            cons_seen = mem[CONS];                       /* tx_refresh() */
            if
            :: p_prod - cons_seen < CAP -> skip
            :: else ->
                /* tzchan_wait_prepare(ROOM): read C's bell, announce, fence, check again */
                seen = mem[BC];
                STORE(sbP, WANTP, p_prod + 1 - CAP);
                STORE(sbP, WP, ANNOUNCED(seen) * 4 + ROOM);
                WAIT_FENCE(sbP);
                P_SLEEP_FENCE;
                cons_seen = mem[CONS];
                if
                :: p_prod - cons_seen < CAP -> STORE(sbP, WP, ANNOUNCED(seen) * 4)   /* holds: returns 1 */
                :: else ->
                    /* returns 0: sleep on C's bell while it still equals seen (futex) */
                    atomic { if :: mem[BC] == seen -> p_asleep = 1 :: else -> skip fi }
                    atomic { mem[BC] != seen -> p_asleep = 0 }
                    STORE(sbP, WP, ANNOUNCED(seen) * 4)            /* tzchan_wait_done() */
                fi
            fi
        fi
    od;
    FENCE(sbP)
}

proctype Consumer()
{
    byte prod_seen = 0, seen = 0, bell = 0, w, w2, v2;
    do
    :: received == N -> break
    :: else ->
        if
        :: prod_seen != c_cons ->
            /* recv + rx_publish(): release store of cons; full fence; look at P's waiting word */
            c_cons++;
            received++;
            STORE(sbC, CONS, c_cons);
            C_PUB_FENCE;
            w = mem[WP];
            if
            :: (w & ROOM) && c_cons >= mem[WANTP] -> RING(sbC, BC, bell, w)
            :: else -> skip
            fi
        :: else ->
            prod_seen = mem[PROD];                       /* rx_refresh() */
            if
            :: prod_seen != c_cons -> skip
            :: else ->
                /* tzchan_wait_prepare(DATA) */
                seen = mem[BP];
                STORE(sbC, WC, ANNOUNCED(seen) * 4 + DATA);
                WAIT_FENCE(sbC);
                C_SLEEP_FENCE;
                prod_seen = mem[PROD];
                if
                :: prod_seen != c_cons -> STORE(sbC, WC, ANNOUNCED(seen) * 4)
                :: else ->
                    atomic { if :: mem[BP] == seen -> c_asleep = 1 :: else -> skip fi }
                    atomic { mem[BP] != seen -> c_asleep = 0 }
                    STORE(sbC, WC, ANNOUNCED(seen) * 4)
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
