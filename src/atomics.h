/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The core's whole atomics vocabulary: 32-bit loads (relaxed, acquire), 32-bit stores (relaxed, release), one
 * full fence and one compiler-only fence, on words in shared memory. Nothing else synchronises in tzchan. Shared words are declared as plain
 * uint32_t in wire.h (a wire format has no _Atomic types); they are accessed here through _Atomic uint32_t, which
 * the asserts below pin to the same size and to a lock-free, address-free implementation (so it works between
 * processes and between worlds). Every call site says what it pairs with.
 */
#ifndef TZCHAN_ATOMICS_H
#define TZCHAN_ATOMICS_H

#include <stdatomic.h>
#include <stdint.h>

_Static_assert(sizeof(_Atomic uint32_t) == sizeof(uint32_t), "atomic words have the wire size");
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "32-bit atomics must be lock-free to work in shared memory");

#define TZ_AWORD(p) ((_Atomic uint32_t *)(uintptr_t)(p))

/* A test build (tests/unit/test_ordering.c, and only it) defines TZCHAN_ATOMICS_TRACE and gets every access
 * reported in program order, so a test can check each pairing of docs/PROTOCOL.md s.5 on real call sequences.
 * Production builds compile the hook away. */
enum tz_trace_op { TZ_T_LOAD_RLX, TZ_T_LOAD_ACQ, TZ_T_STORE_RLX, TZ_T_STORE_REL, TZ_T_FENCE, TZ_T_CFENCE };
#ifdef TZCHAN_ATOMICS_TRACE
void tzchan__trace(enum tz_trace_op op, const void *p, uint32_t v);
#define TZ_TRACE(op, p, v) tzchan__trace((op), (p), (v))
#else
#define TZ_TRACE(op, p, v) ((void)0)
#endif

static inline uint32_t tz_load_relaxed(const void *p)
{
    uint32_t v = atomic_load_explicit(TZ_AWORD(p), memory_order_relaxed);
    TZ_TRACE(TZ_T_LOAD_RLX, p, v);
    return v;
}
static inline uint32_t tz_load_acquire(const void *p)
{
    uint32_t v = atomic_load_explicit(TZ_AWORD(p), memory_order_acquire);
    TZ_TRACE(TZ_T_LOAD_ACQ, p, v);
    return v;
}
static inline void tz_store_relaxed(void *p, uint32_t v)
{
    TZ_TRACE(TZ_T_STORE_RLX, p, v);
    atomic_store_explicit(TZ_AWORD(p), v, memory_order_relaxed);
}
static inline void tz_store_release(void *p, uint32_t v)
{
    TZ_TRACE(TZ_T_STORE_REL, p, v);
    atomic_store_explicit(TZ_AWORD(p), v, memory_order_release);
}
static inline void tz_fence_full(void)
{
    TZ_TRACE(TZ_T_FENCE, NULL, 0);
    atomic_thread_fence(memory_order_seq_cst);
}
/* Compiler-only barrier: keeps program order between a store and a later load, emits no instruction. Used only on
 * the light side of the asymmetric handshake, whose heavy side (the peer's sleep fence) orders them on the CPU. */
static inline void tz_fence_compiler(void)
{
    TZ_TRACE(TZ_T_CFENCE, NULL, 0);
    atomic_signal_fence(memory_order_seq_cst);
}

#endif /* TZCHAN_ATOMICS_H */
