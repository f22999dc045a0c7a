/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the Linux normal world and our secure side agree on beyond port/trustzone/common/tz_smc.h: the extra SMC
 * function IDs the Linux firmware variant serves, the PSCI calls its monitor answers, the interrupt that carries
 * the secure side's doorbell to Linux, and the formats of the test service's messages. Included by the kernel
 * module, the user-space test program and the firmware, so it holds macros and fixed-width layouts only.
 *
 * Registration, unregistration and the status query keep the IDs and register use of tz_smc.h
 * (TZ_SMC_REGISTER, TZ_SMC_UNREGISTER, TZ_SMC_STATUS), including the registration generation (REGISTER returns
 * it in w1; the other calls take it in w1, where 0 means "the current one", so a driver that passes 0 keeps
 * working) and the takeover: a REGISTER while a region is registered replaces it (tz_smc.h).
 */
#ifndef LK_SMC_H
#define LK_SMC_H

#include "tz_smc.h"

/* Fast SMC32 calls in the Trusted OS range (owning entity 50), reserved in tz_smc.h clear of its 0x01..0x05. */
#define LK_SMC_DOORBELL TZ_SMC_LK_DOORBELL /* 0xb2000010 */
    /* "the ring has something for you / I freed room". Served by the monitor itself on the calling CPU: it raises
     * the secure payload's doorbell SGI and returns at once (no waiting for the payload). in: w1 = generation or
     * 0 (current). out: w0 = 0, or TZ_REG_ESTALE (-25) for a generation that is not current (nothing rung). */
#define LK_SMC_VERDICT TZ_SMC_LK_VERDICT /* 0xb2000011 */
    /* The normal world's test result before it powers off: w1 = 0 (all verified) or a failure count,
     * w2 = messages it verified. The payload prints its own summary and combines both into the status that
     * PSCI SYSTEM_OFF turns into the QEMU exit status. out: w0 = 0, w1 = that status. */
#define LK_SMC_COLLECT TZ_SMC_LK_COLLECT /* 0xb2000012 */
    /* The status of a verdict that came as a message on lane 1 (struct lk_verdict, below): what a production
     * driver's test sends, having no verdict ioctl. The monitor asks at PSCI SYSTEM_OFF/RESET when no
     * LK_SMC_VERDICT came. out: w0 = 0, w1 = that status, or LK_EXIT_NO_VERDICT (2) when none came. */

/* The firmware for an SMP Linux (tz-linux-smp.bin, port/trustzone/linux/el3_linux_smp.c): the secure side runs on
 * every CPU and is entered by the CPU that calls, so its doorbell is a yielding call that serves the lanes right
 * there (TZ_SMP_DOORBELL's ID and rules, tz_smp.h): it may answer LK_SMC_PREEMPTED when an interrupt of the normal
 * world became pending meanwhile; the caller takes it and continues the same call with LK_SMC_RESUME on the SAME
 * CPU (the driver keeps preemption off from the doorbell to the last resume). A driver tells the two firmwares apart
 * with LK_SMC_RESUME before anything else: the SMP firmware answers LK_SMC_ENOTPREEMPTED (nothing preempted), the
 * other one SMCCC's unknown (-1). LK_SMC_DOORBELL keeps its generation check there, and serves the lanes until
 * they wait or an interrupt of the normal world is pending (no preemption: a fast call). */
#define LK_SMC_YDOORBELL 0x32000020u   /* = TZ_SMP_DOORBELL; in: w1 = generation or 0; out: w0 = 0, PREEMPTED, error */
#define LK_SMC_RESUME 0x32000021u      /* = TZ_SMP_RESUME; out: as LK_SMC_YDOORBELL, or ENOTPREEMPTED */
#define LK_SMC_PREEMPTED 1             /* = TZ_SMP_PREEMPTED */
#define LK_SMC_EBUSY (-40)             /* = TZ_SMP_EBUSY: a call of this CPU is preempted, resume it first */
#define LK_SMC_ENOTPREEMPTED (-41)     /* = TZ_SMP_ENOTPREEMPTED */
/* The SMP firmware's power-off, made by its monitor on the secure side of the CPU that called PSCI SYSTEM_OFF
 * (w1 = 0) or SYSTEM_RESET (w1 = 1): the secure side computes the exit status (as LK_SMC_COLLECT and
 * LK_SMC_VERDICT describe), prints its per-CPU summary and ends the run. A normal world that makes this call
 * itself powers the machine off, as SYSTEM_OFF would. */
#define LK_SMC_POWER TZ_SMC_FID(1, TZ_SMC_OEN_TOS, 0x13u)

/* PSCI 1.0: the calls the monitor answers; every other function ID in the PSCI range gets NOT_SUPPORTED (-1),
 * and PSCI_FEATURES (w1 = a function ID) answers 0 for exactly the IDs below and NOT_SUPPORTED for any other,
 * including SMCCC_VERSION (0x80000000: the monitor speaks SMCCC 1.0) and CPU_SUSPEND. The normal world may have
 * several CPUs: CPU0 and CPUs 2..3 (CPU1 runs the secure payload and is no normal-world CPU: CPU_ON and
 * AFFINITY_INFO answer INVALID_PARAMETERS for it). CPU_ON and AFFINITY_INFO come as SMC32 (32-bit arguments) or
 * SMC64 (64-bit ones, what arm64 Linux uses). */
#define LK_PSCI_VERSION 0x84000000u
#define LK_PSCI_CPU_OFF 0x84000002u
#define LK_PSCI_CPU_ON 0x84000003u          /* x1 target MPIDR, x2 entry point (NS-EL1), x3 context (its x0) */
#define LK_PSCI_CPU_ON64 0xc4000003u
#define LK_PSCI_AFFINITY_INFO 0x84000004u   /* x1 target MPIDR, x2 lowest affinity level (0 only) */
#define LK_PSCI_AFFINITY_INFO64 0xc4000004u
#define LK_PSCI_MIGRATE_INFO_TYPE 0x84000006u
#define LK_PSCI_SYSTEM_OFF 0x84000008u
#define LK_PSCI_SYSTEM_RESET 0x84000009u
#define LK_PSCI_FEATURES 0x8400000au
#define LK_PSCI_VERSION_1_0 0x00010000u /* major 1 in bits 31..16, minor 0 in bits 15..0 */
/* results (w0), as PSCI numbers them */
#define LK_PSCI_SUCCESS 0u
#define LK_PSCI_NOT_SUPPORTED 0xffffffffu      /* -1 */
#define LK_PSCI_INVALID_PARAMETERS 0xfffffffeu /* -2 */
#define LK_PSCI_DENIED 0xfffffffdu             /* -3: CPU_OFF from a CPU that is not a normal-world one */
#define LK_PSCI_ALREADY_ON 0xfffffffcu         /* -4 */
#define LK_PSCI_ON_PENDING 0xfffffffbu         /* -5 */
#define LK_PSCI_INVALID_ADDRESS 0xfffffff7u    /* -9 */
/* AFFINITY_INFO's answers */
#define LK_PSCI_AFF_ON 0u
#define LK_PSCI_AFF_OFF 1u
#define LK_PSCI_AFF_ON_PENDING 2u

/* Secure -> normal doorbell: an edge-triggered SPI the payload sets pending in the distributor. The device tree
 * gives it to the driver as <GIC_SPI LK_DOORBELL_SPI IRQ_TYPE_EDGE_RISING>. Unused by any QEMU "virt" device (its
 * platform bus takes SPIs 112..175; the GIC has 224 SPIs). */
#define LK_DOORBELL_SPI 200u
#define LK_DOORBELL_INTID (32u + LK_DOORBELL_SPI)

/* Geometry the driver registers and the payload accepts. */
#define LK_LANES 2u
#define LK_RING_BYTES (64u * 1024u)
#define LK_MAX_LANES 8u

/* ---- the test service (what the payload does with each message) ------------------------------------------- *
 * Lane 0 (echo): every message, of any length, is answered by one struct lk_echo holding its length and CRC-32
 * (IEEE 802.3, as zlib's crc32()) and its sequence number on the lane.
 * Lane 1 (generator), and every lane after it (the per-CPU lanes of a driver on the SMP firmware): a 24-byte
 * struct lk_gen_req asks for a message of `len` bytes whose byte i is
 * lk_gen_byte(seed, i); a 24-byte struct lk_verdict is the test's verdict (a production driver's test, which has
 * no verdict ioctl): answered by a struct lk_echo with magic LK_VERDICT_MAGIC and `crc` = the exit status PSCI
 * SYSTEM_OFF will report (see LK_SMC_COLLECT); any other message is answered like lane 0.
 * Both sides of the test are little-endian AArch64; the layouts are fixed-width and naturally aligned. */
#define LK_ECHO_MAGIC 0x4f484345u /* "ECHO" */
#define LK_GEN_MAGIC 0x3f4e4547u  /* "GEN?" */
#define LK_VERDICT_MAGIC 0x54445256u /* "VRDT" */

struct lk_echo {
    unsigned int magic;
    unsigned int crc;
    unsigned long long len;
    unsigned long long seq;
};

struct lk_gen_req {
    unsigned int magic;
    unsigned int reserved;
    unsigned long long len;
    unsigned long long seed;
};

/* The verdict of a test run against a production driver (no test hooks): the secure side applies the rules for
 * such a run (no scribble, no takeover, no refusal; docs/LINUX-KERNEL.md). Same size as struct lk_gen_req. */
struct lk_verdict {
    unsigned int magic;        /* LK_VERDICT_MAGIC */
    unsigned int failures;     /* 0 = everything verified */
    unsigned long long messages;   /* messages verified */
    unsigned long long reserved;   /* 0 */
};

static inline unsigned char lk_gen_byte(unsigned long long seed, unsigned long long i)
{
    unsigned long long z = (i >> 3) + seed * 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 31)) * 0xbf58476d1ce4e5b9ull;
    z ^= z >> 29;
    return (unsigned char)(z >> (8u * (unsigned)(i & 7u)));
}

#endif /* LK_SMC_H */
