/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tzchan-icount-inline: tools/bench/icount.c with the core built into it and the public calls of the per-message
 * path (tzchan_send, tzchan_send_flags, tzchan_flush, tzchan_recv, tzchan_send_many, tzchan_recv_many) inlined
 * into its loops (TZ_HOT, src/tzchan.c). No library is built this way: it answers how much of a message's count
 * is call overhead (argument passing, frames, saved registers, a length not known at compile time) and how much is
 * the work of the calls themselves. tools/bench/icount.sh prints its counts next to the library's.
 */
#define TZ_HOT inline __attribute__((__always_inline__))
#include TZCHAN_CORE_C_FILE /* src/tzchan.c, or the mutated copy the mutation suite builds (CMake's TZCHAN_CORE_C) */
#include "icount.c"
