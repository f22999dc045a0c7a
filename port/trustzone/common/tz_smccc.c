/* SPDX-License-Identifier: BSD-2-Clause */
/* The generic Trusted OS queries of the SMC Calling Convention; see tz_smccc.h. */
#include "tz_smccc.h"
#include "tz_smc.h"

int tz_smccc_generic_query(uint32_t fid, uint32_t call_count, uint32_t r[4])
{
    switch (fid) {
    case TZ_SMC_TOS_CALL_COUNT:
        r[0] = call_count;
        return 1;
    case TZ_SMC_TOS_UID:
        r[0] = TZ_SMC_UID0;
        r[1] = TZ_SMC_UID1;
        r[2] = TZ_SMC_UID2;
        r[3] = TZ_SMC_UID3;
        return 1;
    case TZ_SMC_TOS_REVISION:
        r[0] = TZ_SMC_REV_MAJOR;
        r[1] = TZ_SMC_REV_MINOR;
        return 1;
    default:
        return 0;
    }
}
