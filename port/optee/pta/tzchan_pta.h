/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The tzchan pseudo TA's interface, shared by the secure side (tzchan_pta.c, built into OP-TEE OS) and its
 * normal-world clients (through Linux's TEE subsystem: /dev/tee0 ioctls or the kernel's TEE client API).
 * Plain C with fixed-width types only, so both worlds include it unchanged.
 *
 * Commands take and return OP-TEE value parameters; any parameter layout other than the one listed is refused with
 * TEE_ERROR_BAD_PARAMETERS, and an unknown command with TEE_ERROR_NOT_SUPPORTED.
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

/* The version of this interface (the command set below); bumped on any incompatible change. */
#define TZCHAN_PTA_API_VERSION 1u

/*
 * TZCHAN_PTA_CMD_STATUS: what this PTA speaks and how it has been used so far.
 *   param 0: VALUE_OUTPUT  a = TZCHAN_PTA_API_VERSION, b = the tzchan wire format version (TZCHAN_WIRE_VERSION)
 *   param 1: VALUE_OUTPUT  a = sessions open now (this one included), b = sessions opened since boot
 *   params 2, 3: NONE
 */
#define TZCHAN_PTA_CMD_STATUS 0u

#endif /* TZCHAN_PTA_H */
