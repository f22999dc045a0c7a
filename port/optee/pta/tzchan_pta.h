/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The tzchan pseudo TA's interface, shared by the secure side (tzchan_pta.c, built into OP-TEE OS) and its
 * normal-world clients (through Linux's TEE subsystem: the kernel's TEE client API, or /dev/tee0 ioctls).
 * Plain C with fixed-width types only, so both worlds include it unchanged. docs/OPTEE.md describes the design.
 *
 * Model: the normal world lays out a tzchan region (tzchan_region_init, side A of every lane) in shared memory it
 * registered with OP-TEE, and REGISTERs it on one session; the PTA keeps a reference on that memory object until
 * UNREGISTER, the close of that session, or a protocol violation, and opens side B of every lane. PUMP is the
 * normal -> secure doorbell: it serves one lane with what is queued (never waiting for the normal world) and
 * returns; its return is the way back. One registration exists at a time (the PTA serves one client).
 *
 * Every command checks its parameter types first: any layout other than the one listed is refused with
 * TEE_ERROR_BAD_PARAMETERS (and nothing changes); an unknown command gets TEE_ERROR_NOT_SUPPORTED.
 * Results (GlobalPlatform codes, as the client sees them in the invoke's `ret`; origin "trusted app" for the PTA's
 * own refusals, "TEE" for OP-TEE's, which come before the PTA runs):
 *   TEE_ERROR_BAD_PARAMETERS  parameter layout, lane out of range, geometry/size/offset/alignment refused
 *   TEE_ERROR_ACCESS_DENIED   the memref is not registered non-secure shared memory (SMC ABI: not found by its
 *                             cookie among OP-TEE's registered objects, e.g. a temporary memref)
 *   TEE_ERROR_BAD_FORMAT      REGISTER: the memory does not hold a fresh tzchan layout of that geometry (bad
 *                             magic, version, header, or side B's words not those of tzchan_region_init);
 *                             PUMP: the lane broke the protocol (TZCHAN_EPROTO in the detail value, or
 *                             TZCHAN_EPIPE: side A closed): the registration is dropped (reference released, the
 *                             memory never touched again); REGISTER again with a fresh layout
 *   TEE_ERROR_BAD_STATE       REGISTER while this session holds a registration; UNREGISTER without one
 *   TEE_ERROR_BUSY            REGISTER while another session holds one; PUMP on a lane another call pumps now
 *   TEE_ERROR_ITEM_NOT_FOUND  PUMP with a generation that is not the current registration's (none, or stale)
 *   TEE_ERROR_OUT_OF_MEMORY   the PTA's own state could not be allocated
 * Where a command has a "detail" output value, it holds the tzchan (TZCHAN_E*, tzchan.h) or registration
 * (TZ_REG_E*, port/trustzone/common/tz_region.h) code behind a refusal, 0 otherwise.
 */
#ifndef TZCHAN_PTA_H
#define TZCHAN_PTA_H

/* d9d1e903-bf9c-4515-a99a-cd3d1de2ab87; Linux's OP-TEE driver lists it as /sys/bus/tee/devices/optee-ta-<uuid> */
#define TZCHAN_PTA_UUID                                                                                            \
    {                                                                                                              \
        0xd9d1e903, 0xbf9c, 0x4515,                                                                                \
        {                                                                                                          \
            0xa9, 0x9a, 0xcd, 0x3d, 0x1d, 0xe2, 0xab, 0x87                                                         \
        }                                                                                                          \
    }
#define TZCHAN_PTA_UUID_STR "d9d1e903-bf9c-4515-a99a-cd3d1de2ab87"
#define TZCHAN_PTA_NAME "tzchan.pta"

/* The version of this interface (the command set below); bumped on any change of the command set.
 * 1: STATUS only. 2: REGISTER, PUMP, UNREGISTER; STATUS reports the registration. 3: CORE_COUNTS. */
#define TZCHAN_PTA_API_VERSION 3u

/* Geometry this PTA accepts (its per-lane state lives in OP-TEE's small core heap). */
#define TZCHAN_PTA_MAX_LANES 4u
#define TZCHAN_PTA_MIN_RING 4096u
#define TZCHAN_PTA_MAX_RING (1024u * 1024u)
#define TZCHAN_PTA_MAX_REGION (16u * 1024u * 1024u)

/*
 * TZCHAN_PTA_CMD_STATUS: what this PTA speaks and how it has been used so far.
 *   param 0: VALUE_OUTPUT  a = TZCHAN_PTA_API_VERSION, b = the tzchan wire format version (TZCHAN_WIRE_VERSION)
 *   param 1: VALUE_OUTPUT  a = sessions open now (this one included), b = sessions opened since boot
 *   param 2: VALUE_OUTPUT  a = the current registration's generation (0: none), b = memory objects the PTA holds
 *                          a reference on now (0 or 1: a registration being released by a PUMP still running
 *                          on another session counts until that PUMP returns)
 *   param 3: VALUE_OUTPUT  a = registrations refused since boot, b = the last channel error a PUMP hit (TZCHAN_E*,
 *                          as a signed 32-bit value; 0: none)
 */
#define TZCHAN_PTA_CMD_STATUS 0u

/*
 * TZCHAN_PTA_CMD_REGISTER: take the region.
 *   param 0: MEMREF_INOUT  the region: registered shared memory; its offset must be a multiple of 64, its size at
 *                          least the geometry's tzchan_region_size() and at most TZCHAN_PTA_MAX_REGION
 *   param 1: VALUE_INPUT   a = lanes (1 .. TZCHAN_PTA_MAX_LANES), b = ring bytes (power of two,
 *                          TZCHAN_PTA_MIN_RING .. TZCHAN_PTA_MAX_RING); the header must say the same
 *   param 2: VALUE_OUTPUT  a = the registration's generation (non-zero; PUMP names it), b = detail (above)
 *   param 3: NONE
 * The region must be freshly laid out (tzchan_region_init, side A opened, nothing sent yet).
 */
#define TZCHAN_PTA_CMD_REGISTER 1u

/*
 * TZCHAN_PTA_CMD_PUMP: the doorbell for one lane. Serves what the lane holds (receives, answers, generates) until
 * the lane must wait for the normal world or a budget of bytes is spent, announces what side B now waits for (so
 * side A's tzchan calls say when to pump again), and returns. Never waits for the normal world. Any session may
 * pump (one session per lane lets lanes run on several CPUs at once); one call per lane at a time.
 *   param 0: VALUE_INPUT   a = generation (from REGISTER), b = lane
 *   param 1: VALUE_OUTPUT  a = bytes side B received on the lane in this call, b = bytes it sent
 *   param 2: VALUE_OUTPUT  a = flags (TZCHAN_PTA_PUMP_*), b = detail (above)
 *   param 3: NONE
 */
#define TZCHAN_PTA_CMD_PUMP 2u
#define TZCHAN_PTA_PUMP_RANG 1u /* side B's tzchan rang side A (side A waited for what B did): wake its waiters */
#define TZCHAN_PTA_PUMP_MORE 2u /* the budget ran out with work left: pump again */

/*
 * TZCHAN_PTA_CMD_UNREGISTER: close side B of every lane (the normal world's calls then see TZCHAN_EPIPE) and drop
 * the registration and the reference on the memory. Only the registering session; closing that session does the
 * same. After it (or the session close) returns, the memory may be unregistered from OP-TEE and freed (a PUMP
 * still running on another session finishes first: it holds the registration until it returns).
 *   params: NONE
 */
#define TZCHAN_PTA_CMD_UNREGISTER 3u

/*
 * TZCHAN_PTA_CMD_CORE_COUNTS: what OP-TEE itself holds now, from OP-TEE's own accounting (not the PTA's), so a
 * client can show that nothing leaked: take the counts with no client of the PTA active, again after a client
 * went away, and compare. Any session may ask.
 *   param 0: VALUE_OUTPUT  a = OP-TEE threads not free (running or suspended in an RPC; this call's own thread
 *                          included, so 1 when nothing else runs), b = OP-TEE's threads in all
 *                          (its thread table `threads`/`thread_count`, read under thread_lock_global)
 *   param 1: VALUE_OUTPUT  a = non-secure shared-memory objects OP-TEE holds: under the SMC ABI the registered
 *                          ones (the list in mobj_dyn_shm.c), under FF-A the shared memory it retrieved and has
 *                          not given back (mobj_ffa.c's active and inactive lists); b = their bytes
 *   param 2: VALUE_OUTPUT  a = bytes allocated from OP-TEE's core heap now, b = the heap's size
 *                          (malloc_get_stats, CFG_WITH_STATS=y)
 *   param 3: VALUE_OUTPUT  a = memory objects this PTA holds a reference on (as STATUS), b = sessions open on it
 * The shared-memory counts come from one function per list that the build appends to OP-TEE's file
 * (port/optee/build-optee.sh): OP-TEE exports no count of its own. A build without CFG_WITH_STATS refuses the
 * command with TEE_ERROR_NOT_SUPPORTED.
 */
#define TZCHAN_PTA_CMD_CORE_COUNTS 4u

/* The test service behind the lanes (the same messages as port/trustzone/common/lk_smc.h's): every message is
 * answered with struct lk_echo {magic "ECHO", CRC-32, length, sequence number on the lane}; on lanes >= 1 a
 * struct lk_gen_req asks for a message of `len` bytes whose byte i is lk_gen_byte(seed, i). */

#endif /* TZCHAN_PTA_H */
