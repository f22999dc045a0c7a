/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The SMC interface between the normal world and the tzchan secure payload, in the Arm SMC Calling Convention
 * (SMCCC, DEN0028). Shared by the monitor, the secure payload, the normal-world client and (later) a Linux driver.
 *
 * All calls are SMC32: function ID in w0/r0, arguments in w1..w6/r1..r6, results in w0..w3/r0..r3. The monitor
 * takes only the low 32 bits of every argument register (SMCCC says the upper halves of an SMC32 call are
 * undefined), so a caller cannot smuggle bits in through them.
 *
 * Owning entity 50 (0x32) is the first of the Trusted OS range (50..63). Fast calls (bit 31 set) run to completion
 * with interrupts masked; the doorbell is a yielding call (bit 31 clear) because it drains a ring.
 */
#ifndef TZ_SMC_H
#define TZ_SMC_H

#define TZ_SMC_FAST 0x80000000u
#define TZ_SMC_OEN_SHIFT 24
#define TZ_SMC_OEN_MASK 0x3fu
#define TZ_SMC_OEN_TOS 50u  /* Trusted OS owning entity used by tzchan */
#define TZ_SMC_OEN_TOS_GENERIC 63u  /* Trusted OS: call count / UID / revision queries live here */

#define TZ_SMC_FID(fast, oen, num) (((fast) ? TZ_SMC_FAST : 0u) | ((unsigned)(oen) << TZ_SMC_OEN_SHIFT) | (num))

/* Registration generations. Every accepted REGISTER starts a new generation: a non-zero 32-bit number, returned in
 * w1, that the secure side never hands out twice while it runs (it counts up from 1 and skips 0 on wrap-around).
 * UNREGISTER, STATUS, DOORBELL and TZ_SMC_LK_DOORBELL take it back in w1 so that a caller that still holds an
 * old registration (a normal world that restarted, or the old half of one) cannot act on the new one: a call
 * whose w1 is neither 0 nor the current generation is refused with TZ_REG_ESTALE and changes nothing. w1 = 0
 * means "whichever registration is current", which is what callers written before generations existed pass.
 * The generation lives only in these registers, never in shared memory: the wire format is unchanged.
 *
 * Takeover (peer restart). A REGISTER whose arguments pass the checks that need no memory (TZ_REG_EOVERFLOW ..
 * TZ_REG_ESIZE refuse and change nothing) ends the current registration first, whether or not the new region then
 * proves good: the secure side stops using the old region and never writes to it again (the normal world may
 * already have reused that memory, possibly for the new region), its own users of the old channel see
 * TZCHAN_EPIPE, it unmaps the old region and returns its translation tables, and the old generation is stale.
 * The new region must be freshly laid out by tzchan_region_init(): if side B's words (its indices and doorbell
 * slot) are not zero, the memory still holds an earlier registration's state and REGISTER answers
 * TZ_REG_ENOTFRESH. So a restarted normal world re-registers with one REGISTER of a fresh region elsewhere. One
 * that reuses memory of the old region first retires the old registration (REGISTER of that memory as it is,
 * answered TZ_REG_ENOTFRESH, or UNREGISTER with w1 = 0) and only then lays it out: until the takeover the secure
 * side may still be writing to the old region, and such late writes land in a layout made over it anywhere; the
 * freshness check sees them only in side B's words, elsewhere they break the new channel later (TZCHAN_EPROTO,
 * the region is dropped, and the normal world registers again). */

/* Fast calls */
#define TZ_SMC_REGISTER   TZ_SMC_FID(1, TZ_SMC_OEN_TOS, 0x01u)
    /* in:  w1 = region PA bits 31..0, w2 = PA bits 63..32, w3 = region bytes, w4 = lanes, w5 = ring bytes
     * out: w0 = 0 and w1 = the new generation, or w0 = a negative TZ_REG_E* / TZCHAN_E* code (as a signed 32-bit
     *      value): TZ_REG_EOVERFLOW..TZ_REG_ESIZE (arguments; nothing changed), TZ_REG_EMAP (could not map),
     *      TZCHAN_EPROTO / TZCHAN_EVERSION / TZ_REG_EGEOMETRY (the header), TZ_REG_ENOTFRESH (not a fresh layout) */
#define TZ_SMC_UNREGISTER TZ_SMC_FID(1, TZ_SMC_OEN_TOS, 0x02u)
    /* in: w1 = generation or 0. out: w0 = 0 (the secure side has closed its ends and unmapped the region),
     * TZ_REG_ENOTREG (nothing registered), TZ_REG_ESTALE (w1 names another generation; nothing changed) */
#define TZ_SMC_HELLO      TZ_SMC_FID(1, TZ_SMC_OEN_TOS, 0x04u)
    /* in: w1 = test mode (TZ_MODE_*). out: w0 = 0. Tells the secure side which verdict rules apply. The first
     * HELLO sets the mode; a later one may repeat it (a restarted test normal world) but not change it
     * (TZCHAN_EINVAL), so that a hostile normal world cannot switch the verdict rules half-way. */
#define TZ_SMC_STATUS     TZ_SMC_FID(1, TZ_SMC_OEN_TOS, 0x05u)
    /* in: w1 = generation or 0. out: w0 = 0 or TZ_REG_ESTALE (w1 is not current; the rest is filled anyway),
     * w1 = last channel error seen by the secure side (TZCHAN_E* or 0), w2 = refused registrations,
     * w3 = the current generation (0: nothing registered; so "w3 != 0" still means "registered") */

/* Reserved for the firmware that boots Linux as the normal world (port/trustzone/linux, for the driver in
 * port/linux-kernel; register use and meaning in lk_smc.h beside this file). The bare-metal images do not serve
 * them (SMCCC "unknown" via the payload). */
#define TZ_SMC_LK_DOORBELL TZ_SMC_FID(1, TZ_SMC_OEN_TOS, 0x10u)
    /* 0xb2000010: a fast call that monitor serves itself: it raises the payload's doorbell SGI (8) at CPU1 and
     * returns at once. in: w1 = generation or 0; a stale one is answered TZ_REG_ESTALE (-25) and rings nothing */
#define TZ_SMC_LK_VERDICT  TZ_SMC_FID(1, TZ_SMC_OEN_TOS, 0x11u)
    /* 0xb2000011: the normal world's test verdict, forwarded to the payload */
#define TZ_SMC_LK_COLLECT  TZ_SMC_FID(1, TZ_SMC_OEN_TOS, 0x12u)
    /* 0xb2000012: the verdict that arrived as a message (a driver without the verdict ioctl), collected by the
     * monitor at power-off */

/* Yielding calls */
#define TZ_SMC_DOORBELL   TZ_SMC_FID(0, TZ_SMC_OEN_TOS, 0x03u)
    /* ARMv7 single core: "the ring has something for you". The secure side drains and refills its rings, then
     * returns once it waits again. in: w1 = generation or 0. out: w0 = 0, the channel's latched error
     * (TZCHAN_EPROTO), or TZ_REG_ESTALE (w1 is not the current generation) */

/* Generic Trusted OS queries (SMCCC section 6) */
#define TZ_SMC_TOS_CALL_COUNT 0xbf00ff00u
#define TZ_SMC_TOS_UID        0xbf00ff01u
#define TZ_SMC_TOS_REVISION   0xbf00ff03u
#define TZ_SMC_UID0 0x7a63687au /* "zchz" : an arbitrary fixed UUID for the tzchan payload */
#define TZ_SMC_UID1 0x544e4148u
#define TZ_SMC_UID2 0x31762d7au
#define TZ_SMC_UID3 0x7a74706fu
#define TZ_SMC_REV_MAJOR 1u
#define TZ_SMC_REV_MINOR 1u  /* 1.1: registration generations and takeover (above) */

/* SMCCC's answer to a function ID nobody implements */
#define TZ_SMC_UNKNOWN 0xffffffffu

/* Test modes announced with TZ_SMC_HELLO */
#define TZ_MODE_TRAFFIC 1u  /* honest normal world: messages both ways, preemption */
#define TZ_MODE_HOSTILE 2u  /* bad registrations, then a scribbled ring */
#define TZ_MODE_RESTART 3u  /* traffic, then the normal world restarts without UNREGISTER and takes over, twice */
#define TZ_MODE_SMCFUZZ 4u  /* tens of thousands of adversarial SMCs, then traffic on a good registration */

#endif /* TZ_SMC_H */
