/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The core's whole atomics vocabulary: 32-bit loads (relaxed, acquire), 32-bit stores (relaxed, release) and one
 * full fence, on words in shared memory. Nothing else synchronises in tzchan. Shared words are declared as plain
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

static inline uint32_t tz_load_relaxed(const void *p)
{
    return atomic_load_explicit(TZ_AWORD(p), memory_order_relaxed);
}
static inline uint32_t tz_load_acquire(const void *p)
{
    return atomic_load_explicit(TZ_AWORD(p), memory_order_acquire);
}
static inline void tz_store_relaxed(void *p, uint32_t v)
{
    atomic_store_explicit(TZ_AWORD(p), v, memory_order_relaxed);
}
static inline void tz_store_release(void *p, uint32_t v)
{
    atomic_store_explicit(TZ_AWORD(p), v, memory_order_release);
}
static inline void tz_fence_full(void)
{
    atomic_thread_fence(memory_order_seq_cst);
}

#endif /* TZCHAN_ATOMICS_H */
