// SPDX-License-Identifier: BSD-2-Clause
/*
 * The tzchan pseudo TA: tzchan's entry point inside OP-TEE OS, reached from the normal world through OP-TEE's
 * session/invoke calls (Linux's OP-TEE driver, over SMC or FF-A). This first step answers STATUS only: which
 * interface and wire format it speaks and how many sessions it has served. It is flagged for device enumeration,
 * so Linux's OP-TEE driver lists it on the TEE bus at boot, and it logs one line at OP-TEE's init, so a boot log
 * shows it is built in.
 *
 * Concurrency: the PTA is not TA_FLAG_CONCURRENT, so OP-TEE runs at most one of its entry points at a time (the
 * TA context's busy flag, taken under tee_ta_mutex, serialises them); the counters below need no lock of their own.
 * Trust: everything the normal world passes is checked (parameter types first) before it is used.
 */
#include <initcall.h>
#include <kernel/pseudo_ta.h>
#include <trace.h>
#include <tee_api_defines.h>
#include <tee_api_types.h>

#include "tzchan_pta.h"
#include "tzchan/wire.h"

/* Serialised by OP-TEE (see the top of the file). */
static uint32_t sessions_open;
static uint32_t sessions_total;

static TEE_Result cmd_status(uint32_t param_types, TEE_Param params[TEE_NUM_PARAMS])
{
    const uint32_t want = TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_OUTPUT, TEE_PARAM_TYPE_VALUE_OUTPUT,
                                          TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE);

    if (param_types != want)
        return TEE_ERROR_BAD_PARAMETERS;
    params[0].value.a = TZCHAN_PTA_API_VERSION;
    params[0].value.b = TZCHAN_WIRE_VERSION;
    params[1].value.a = sessions_open;
    params[1].value.b = sessions_total;
    return TEE_SUCCESS;
}

static TEE_Result open_session(uint32_t param_types __unused, TEE_Param params[TEE_NUM_PARAMS] __unused,
                               void **session __unused)
{
    sessions_open++;
    sessions_total++;
    return TEE_SUCCESS;
}

static void close_session(void *session __unused)
{
    /* OP-TEE calls this only for a session whose open succeeded, so the count is at least 1 here. */
    sessions_open--;
}

static TEE_Result invoke_command(void *session __unused, uint32_t cmd, uint32_t param_types,
                                 TEE_Param params[TEE_NUM_PARAMS])
{
    switch (cmd) {
    case TZCHAN_PTA_CMD_STATUS: return cmd_status(param_types, params);
    default: return TEE_ERROR_NOT_SUPPORTED;
    }
}

static TEE_Result tzchan_pta_announce(void)
{
    IMSG("tzchan: pseudo TA %s ready (interface %u, wire format %u)", TZCHAN_PTA_UUID_STR, TZCHAN_PTA_API_VERSION,
         TZCHAN_WIRE_VERSION);
    return TEE_SUCCESS;
}
service_init_late(tzchan_pta_announce);

pseudo_ta_register(.uuid = TZCHAN_PTA_UUID, .name = TZCHAN_PTA_NAME,
                   .flags = PTA_DEFAULT_FLAGS | TA_FLAG_DEVICE_ENUM, .open_session_entry_point = open_session,
                   .close_session_entry_point = close_session, .invoke_command_entry_point = invoke_command);
