/* SPDX-License-Identifier: BSD-2-Clause */
/* The secure mailbox between EL3 on CPU0 and the secure payload on CPU1 (secure RAM, never visible to NS). */
#ifndef TZ_A64_MAILBOX_H
#define TZ_A64_MAILBOX_H

#include <stdint.h>

struct tz_mailbox {
    uint32_t ready;   /* payload -> EL3: 1 once the payload serves calls (release/acquire) */
    uint32_t req;     /* EL3 -> payload: sequence number of the posted call (release/acquire) */
    uint32_t done;    /* payload -> EL3: sequence number of the answered call (release/acquire) */
    uint32_t fid;
    uint32_t a[6];
    uint32_t r[4];
    uint32_t gen;     /* payload -> EL3: current registration generation, 0 for none (release/acquire), for the
                       * calls EL3 answers itself (TZ_SMC_LK_DOORBELL) */
};

extern struct tz_mailbox tz_mbox;

#endif /* TZ_A64_MAILBOX_H */
