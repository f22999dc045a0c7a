/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The /dev/tzchan user interface beyond read/write/poll: the ioctls of the tzchan Linux driver and their
 * argument layouts. Shared by the kernel module and user programs (only <linux/ioctl.h> and <linux/types.h>).
 * See docs/LINUX-KERNEL.md for the read/write semantics and the message boundary rule.
 */
#ifndef TZCHAN_IOCTL_H
#define TZCHAN_IOCTL_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Counters of the whole device (all lanes, all files) since the module was loaded. */
struct tzchan_ioc_stats {
	__u64 msgs_sent;	/* messages written completely */
	__u64 bytes_sent;
	__u64 msgs_recv;	/* messages read to their end */
	__u64 bytes_recv;
	__u64 doorbells_out;	/* doorbell SMCs to the secure side (rung only when it said it waits) */
	__u64 doorbells_in;	/* doorbell interrupts from the secure side */
	__u64 sleeps;		/* times a reader or writer slept waiting for the secure side */
	__u64 protocol_errors;	/* TZCHAN_EPROTO seen by this side */
	__u32 lanes;		/* lanes in the region */
	__u32 lane;		/* this file's lane */
	__u32 ring_bytes;	/* bytes per ring */
	__u32 max_msg;		/* largest message that travels as one record */
};

/* The current message on this file's lane, as the reader sees it. */
struct tzchan_ioc_rxinfo {
	__u32 in_message;	/* 1: a message is partly read; the next read continues it */
	__u32 reserved;
	__u64 delivered;	/* bytes of it already returned by read() */
};

/* Result of the scribble test (debug): codes are TZCHAN_E* / TZ_REG_E* as the secure side returned them.
 * SCRIBBLE, VERDICT and GENERATION exist only in a driver built with the test hooks (TZCHAN_TEST_HOOKS=y), and
 * need CAP_SYS_ADMIN there (EPERM otherwise); a production driver answers them with ENOTTY. */
struct tzchan_ioc_scribble {
	__s32 secure_error;	/* the error the secure side reported after the scribble (expect TZCHAN_EPROTO) */
	__s32 secure_registered;	/* 0: it dropped the region */
	__s32 reregister_scribbled;	/* answer to registering the scribbled region again (expect a refusal) */
	__s32 reregister_fresh;	/* answer to registering a freshly laid out region (expect 0) */
};

/* The test's verdict, passed on to the secure side before power-off. */
struct tzchan_ioc_verdict {
	__u32 failures;		/* 0 = everything verified */
	__u32 messages;		/* messages verified */
	__s32 status;		/* out: the exit status the firmware will report at SYSTEM_OFF */
	__u32 reserved;
};

/* The registration generation (test builds only, CAP_SYS_ADMIN): the generation the driver holds and, with
 * `stale` set to another one (e.g. what a crashed instance of the driver held before the secure side took over),
 * the answers of a doorbell, STATUS and UNREGISTER made with it. Codes are TZ_REG_E* (tz_region.h). */
struct tzchan_ioc_generation {
	__u32 generation;	/* out: the generation of the driver's registration (REGISTER's w1), 0: none */
	__u32 stale;		/* in: a generation to try (not the driver's own: EINVAL); 0: only report */
	__s32 doorbell;		/* out: LK_SMC_DOORBELL with `stale` (expect TZ_REG_ESTALE: nothing rung) */
	__s32 status;		/* out: TZ_SMC_STATUS with `stale` (expect TZ_REG_ESTALE) */
	__s32 unregister;	/* out: TZ_SMC_UNREGISTER with `stale` (expect TZ_REG_ESTALE: nothing changed) */
	__u32 secure_generation;	/* out: then STATUS with the driver's generation: its w3, the current one */
	__s32 secure_status;	/* out: that STATUS's w0 (0: the driver's generation is current) */
	__s32 secure_error;	/* out: its w1, the last channel error the secure side saw (TZCHAN_E*) */
};

#define TZCHAN_IOC_MAGIC 'z'
#define TZCHAN_IOC_GET_STATS _IOR(TZCHAN_IOC_MAGIC, 1, struct tzchan_ioc_stats)
#define TZCHAN_IOC_SET_LANE _IOW(TZCHAN_IOC_MAGIC, 2, __u32)	/* EBUSY while this file has a message open */
#define TZCHAN_IOC_RX_INFO _IOR(TZCHAN_IOC_MAGIC, 3, struct tzchan_ioc_rxinfo)
/* 1: per-CPU mode: each message goes on the lane of the CPU its first byte is written on and keeps that lane to
 * its last byte (the writer may migrate or sleep meanwhile); reads, poll and RX_INFO use the lane of the file's
 * current or last message; SET_LANE is refused (EBUSY) until 0 leaves the mode. EINVAL where the region has no
 * per-CPU lanes; EBUSY while a message of this file is open. */
#define TZCHAN_IOC_SET_PERCPU _IOW(TZCHAN_IOC_MAGIC, 4, __u32)
/* test builds only, CAP_SYS_ADMIN: */
#define TZCHAN_IOC_SCRIBBLE _IOR(TZCHAN_IOC_MAGIC, 0x70, struct tzchan_ioc_scribble)	/* breaks the region */
#define TZCHAN_IOC_VERDICT _IOWR(TZCHAN_IOC_MAGIC, 0x71, struct tzchan_ioc_verdict)
#define TZCHAN_IOC_GENERATION _IOWR(TZCHAN_IOC_MAGIC, 0x72, struct tzchan_ioc_generation)

#endif /* TZCHAN_IOCTL_H */
