/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The SMC Calling Convention's generic Trusted OS queries (call count, UID, revision), answered the same way by
 * every secure payload that speaks the tzchan interface (the bare-metal images and the Linux-kernel firmware).
 */
#ifndef TZ_SMCCC_H
#define TZ_SMCCC_H

#include <stdint.h>

/* If fid is one of the generic queries, writes the answer into r[0..3] and returns 1; else returns 0 and leaves r
 * untouched. call_count is the number of calls the payload implements. */
int tz_smccc_generic_query(uint32_t fid, uint32_t call_count, uint32_t r[4]);

#endif /* TZ_SMCCC_H */
