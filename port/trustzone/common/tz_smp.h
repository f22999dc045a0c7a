/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The SMP image's interface (AArch64, port/trustzone/aarch64/el3_smp.c, sp_smp.c, ns_smp.c): every CPU runs the
 * normal world and enters the secure world itself, on that same CPU. This header holds the calls the normal world
 * makes, the events the monitor hands the secure world on each CPU, and the per-lane test traffic both worlds run
 * (tz_lane.c).
 *
 * Lanes: the normal world registers one region with one lane per normal-world CPU; CPU n uses lane n and only
 * lane n, in both worlds, so the secure side of a lane is only ever run on that lane's CPU and no lane state is
 * shared between CPUs (no lock anywhere: tz_lane has one endpoint per lane, which tzchan lets run independently).
 *
 * Calls (SMCCC SMC32, owner TZ_SMC_OEN_TOS; results in w0..w3):
 *   TZ_SMC_REGISTER (tz_smc.h) as in the other images, once, from CPU0 before the other CPUs use their lanes
 *     (any other REGISTER: TZ_REG_EBUSY; no takeover here, the other images exercise it).
 *   TZ_SMP_DOORBELL (yielding): "my lane has something for you". The secure side on this CPU drains what the
 *     lane holds for it and refills its own direction until it would wait, with its interrupts unmasked. If a
 *     normal-world interrupt becomes pending meanwhile it stops at the next step and answers TZ_SMP_PREEMPTED;
 *     the caller takes its interrupt and calls TZ_SMP_RESUME, which continues the same drain where it stopped.
 *     w1 = generation or 0. Out: w0 = 0 (done; w1 = 1 once the secure side has sent and received all of this
 *     lane's messages), TZ_SMP_PREEMPTED, or a negative error (TZ_REG_ESTALE, TZ_REG_ENOTREG, TZ_SMP_EBUSY: a
 *     call of this CPU is preempted and must be resumed first; a tzchan error the lane latched).
 *   TZ_SMP_RESUME (yielding): continues this CPU's preempted call. Out: as TZ_SMP_DOORBELL; TZ_SMP_ENOTPREEMPTED
 *     if nothing is preempted on this CPU.
 *   TZ_SMP_REPORT (fast): this CPU's normal-world view of its lane, for the verdict. w1 = messages received,
 *     w2/w3 = bytes received (low/high), w4 = verification failures, w5 = its timer interrupts, w6 = doorbell calls.
 *   TZ_SMP_REPORT2 (fast): w1 = TZ_SMP_PREEMPTED answers seen, w2 = TZ_SMP_RESUME calls made, w3 = messages sent
 *     whole, w4 = doorbell interrupts taken, w5 = timer interrupts that landed inside a secure call, w6 = answers
 *     to its deliberate wrong calls (DOORBELL while preempted, RESUME with nothing preempted, a stale generation,
 *     a second REGISTER, the secure world's own return ID) that were not the documented refusal.
 *   TZ_SMP_FINISH (fast, CPU0, after every CPU reported): the secure side prints the summary and the verdict and
 *     ends the run.
 */
#ifndef TZ_SMP_H
#define TZ_SMP_H

#include <stdbool.h>
#include <stdint.h>

#include "tz_smc.h"
#include "tzchan/tzchan.h"

#define TZ_SMP_MAX_CPUS 4u
#define TZ_SMP_RING (64u * 1024u) /* bytes per ring: one lane per CPU, both directions */

#define TZ_SMP_DOORBELL TZ_SMC_FID(0, TZ_SMC_OEN_TOS, 0x20u)
#define TZ_SMP_RESUME TZ_SMC_FID(0, TZ_SMC_OEN_TOS, 0x21u)
#define TZ_SMP_REPORT TZ_SMC_FID(1, TZ_SMC_OEN_TOS, 0x22u)
#define TZ_SMP_REPORT2 TZ_SMC_FID(1, TZ_SMC_OEN_TOS, 0x23u)
#define TZ_SMP_FINISH TZ_SMC_FID(1, TZ_SMC_OEN_TOS, 0x24u)

#define TZ_SMP_PREEMPTED 1       /* w0 of a yielding call that stopped for a normal-world interrupt */
#define TZ_SMP_EBUSY (-40)       /* a call of this CPU is preempted: resume it first */
#define TZ_SMP_ENOTPREEMPTED (-41) /* RESUME with nothing preempted on this CPU */

/* The secure world's own call to the monitor (an SMC from S-EL1, refused from the normal world): "return to the
 * normal world of this CPU", with x1..x4 the results of the call being answered (ignored after an interrupt
 * event). The monitor comes back with the next event in x0 (below): the call's ID in x1 and its arguments
 * (cut to 32 bits) in x2..x7, or nothing for an interrupt. */
#define TZ_SMP_SP_RETURN 0xf2000000u /* an SMC64-shaped ID no normal-world call uses */
#define TZ_SMP_EV_BOOT 0u /* first entry on this CPU (x0 = 0 at the secure entry point) */
#define TZ_SMP_EV_CALL 1u
#define TZ_SMP_EV_FIQ 2u  /* a secure (Group 0) interrupt arrived while this CPU ran the normal world */

/* ---- per-lane test traffic (tz_lane.c) ------------------------------------------------------------------------
 * Each lane carries TZ_LANE_MSGS messages in each direction at once, of the lengths tz_lane_len() gives (several
 * MiB each, and a few small ones), sent as stream messages of declared length; every byte is a function of
 * (lane, direction, message, offset), so the receiver regenerates and compares each one, and checks each
 * message's declared and delivered length. */
#define TZ_LANE_MSGS 12u
#define TZ_LANE_CHUNK 4096u

struct tz_lane {
    struct tzchan *ch;
    uint32_t lane, side, count;
    unsigned wait;           /* after a pump that moved nothing: TZCHAN_WAIT_* bits */
    int error;               /* first tzchan error, or TZCHAN_EPROTO for a verification failure of ours */
    uint32_t bad;            /* verification failures (content, declared or delivered length) */
    uint32_t msgs_sent, msgs_recv;
    uint64_t bytes_sent, bytes_recv;
    /* sender */
    uint32_t tx_seq;
    bool tx_open;
    uint64_t tx_len, tx_off, tx_boff;
    uint32_t tx_blen;
    /* receiver */
    uint32_t rx_seq;
    bool rx_open;
    uint64_t rx_len, rx_off;
    unsigned char tx_buf[TZ_LANE_CHUNK], rx_buf[TZ_LANE_CHUNK], rx_exp[TZ_LANE_CHUNK];
};

/* Length of message seq from `side`'s sender on lane `lane`. */
uint64_t tz_lane_len(uint32_t lane, uint32_t side, uint32_t seq);
/* Total bytes `side` sends on `lane` in `count` messages. */
uint64_t tz_lane_total(uint32_t lane, uint32_t side, uint32_t count);
void tz_lane_init(struct tz_lane *t, struct tzchan *ch, uint32_t side, uint32_t lane, uint32_t count);
/* Moves up to about `budget` bytes each way. Returns 1 if anything moved, 0 if nothing could (t->wait says what
 * it waits for), or a negative error (t->error). */
int tz_lane_pump(struct tz_lane *t, uint32_t budget);
/* Every message sent whole and every message of the peer received whole. */
bool tz_lane_done(const struct tz_lane *t);
/* A message is half sent or half received right now. */
bool tz_lane_mid(const struct tz_lane *t);

#endif /* TZ_SMP_H */
