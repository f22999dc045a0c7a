/* SPDX-License-Identifier: BSD-2-Clause */
/* sp_linux.c's per-lane entry points, for the payload of the firmware for an SMP Linux (sp_linux_smp.c), which
 * serves each lane holding that lane's word only (tz_secure.h's tz_sp_run() serves them all, for a caller that
 * owns the whole service). "Lane held": the caller holds that lane's word; "all held": every lane's word. */
#ifndef SP_LINUX_H
#define SP_LINUX_H

#include <stdbool.h>
#include <stdint.h>

/* tz_sp_run_lane's answer when the lane needs the whole service (it broke, or a verdict came on it as a message):
 * the caller releases the lane, takes every lane and calls tz_sp_settle(). */
#define TZ_SP_LANE_SETTLE (-1)

/* Lane held: one bounded round on `lane` (at most STEP_BYTES each way). Returns 1 it moved something (or is
 * ready again), 0 it waits (and said so: the normal world rings when it has something for it; also for a lane
 * that does not exist or no registration), TZ_SP_LANE_SETTLE. */
int tz_sp_run_lane(uint32_t lane);
/* All held: drops the region if a lane broke, judges verdicts that came as messages. */
void tz_sp_settle(void);
/* Lane held: that lane's messages and bytes so far: c[0] messages in, c[1] bytes in, c[2] messages out, c[3]
 * bytes out (never reset by a registration change). */
void sp_linux_lane_counts(uint32_t lane, uint64_t c[4]);
/* Lane held: a message is half received or half sent on `lane` right now. */
bool sp_linux_lane_mid(uint32_t lane);

#endif /* SP_LINUX_H */
