/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The /dev/tzchan character device, shared by the tzchan Linux drivers: the driver for our own secure payload
 * (tzchan_drv.c: SMC doorbells, an interrupt back) and the OP-TEE client (port/optee/kmod/tzchan_optee.c: the
 * PTA's PUMP invoke as the doorbell, its return as the way back). This part owns the lanes' side-A endpoints and
 * everything user space sees: write() sends one message of any size, read() returns one message (a short buffer
 * gets the rest on the next read), poll() reports readiness, O_NONBLOCK gives EAGAIN, ioctls give statistics, the
 * lane choice and the state of a partly read message. docs/LINUX-KERNEL.md gives the exact rules.
 *
 * A backend (struct tzc_backend) lays out and registers the region, rings the secure side and answers the test
 * ioctls. Its doorbell towards the secure side is the core's notify hook (tzc_layout): called inside a core call,
 * under the lane's spinlock. A backend whose doorbell may sleep (a TEE invoke) only records the ring there and
 * rings in after_core(), which this part calls after every core call on a lane once the spinlock is dropped. The
 * way back is tzc_doorbell_in(): every lane's sleepers and pollers re-check.
 */
#ifndef TZCHAN_CDEV_H
#define TZCHAN_CDEV_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

#include "tzchan/tzchan.h"

#define TZC_BOUNCE 16384u	/* per lane and direction: user copies go through here, never under a lock */
#define TZC_MAX_LANES 8u	/* lanes a region may have (lock_all gives each its own lockdep subclass) */

struct tzc_lane {
	struct tzchan ch;	/* side A endpoint of this lane: every call under lock */
	spinlock_t lock;
	struct mutex tx_mutex;	/* one writer at a time, for a whole write() */
	struct mutex rx_mutex;	/* one reader at a time */
	wait_queue_head_t wq;	/* readers and writers of this lane */
	wait_queue_head_t pollq;	/* pollers of this lane (apart, so that a poller's kick does not wake itself) */
	unsigned int kick;	/* bumped (under lock) to make sleepers re-check without an interrupt */
	unsigned int sleep_data, sleep_room;	/* threads asleep for data / room (under lock) */
	bool poll_data, poll_room;	/* a poller is interested (under lock) */

	/* the message being written: kept when a write stops halfway (signal, O_NONBLOCK) */
	bool tx_open;
	struct file *tx_owner;
	u64 tx_total, tx_done;
	u8 *tx_buf;

	/* the message being read: bytes taken from the ring but not yet returned (rx_buf[rx_off..rx_have)) */
	u8 *rx_buf;
	size_t rx_have, rx_off;
	bool rx_end;		/* those bytes end the message */
	bool rx_in_msg;
	u64 rx_delivered;

	/* for the backend: a ring recorded by the notify hook under the lock, rung by after_core() (0/1) */
	atomic_t bell;
	struct mutex ring_mutex;	/* the backend's: one doorbell call per lane at a time, if it needs that */
};

struct tzc_backend {
	/* After a core call on lane l, outside its spinlock (may sleep; may be NULL). */
	void (*after_core)(struct tzc_lane *l);
	/* ioctls this part does not know (the test hooks); -ENOTTY for none. May be NULL. */
	long (*ioctl)(struct file *file, unsigned int cmd, void __user *uarg);
};

struct tzc_dev {
	const struct tzc_backend *be;
	void *region;
	size_t size;
	u32 lanes, ring;
	u32 cpu_lane0, cpu_lanes;	/* per-CPU lanes (TZCHAN_IOC_SET_PERCPU): cpu_lanes of them from cpu_lane0; 0: none */
	struct tzc_lane lane[TZC_MAX_LANES];
	atomic_t seq;		/* bumped by every doorbell from the secure side */
	struct mutex admin;	/* the scribble test against everything else that needs all lanes */
	bool registered;	/* the secure side holds the region (else read/write give EPIPE, open ENODEV) */

	atomic64_t msgs_sent, bytes_sent, msgs_recv, bytes_recv;
	atomic64_t doorbells_out, doorbells_in, sleeps, protocol_errors;
};

extern struct tzc_dev tzc;

/* Allocates the lanes' buffers and initialises their locks (lanes <= TZC_MAX_LANES). 0 or -ENOMEM (nothing held). */
int tzc_lanes_init(u32 lanes);
void tzc_lanes_free(void);
/* Lays the region out afresh (tzc.region, tzc.size, tzc.lanes, tzc.ring) and opens side A of every lane with
 * notify(lane) as the core's doorbell hook; nobody may use the lanes meanwhile. 0 or a TZCHAN_E* code. */
int tzc_layout(void (*notify)(void *lane));
/* The secure side rang: every lane's sleepers and pollers re-check. Any context. */
void tzc_doorbell_in(void);
/* Every lane's writer and reader mutex (tzc.admin held), for the tests that change the region under all users.
 * 0 or -ERESTARTSYS (nothing held). */
int tzc_lock_all(void);
void tzc_unlock_all(void);
/* /dev/tzchan: register once the region is registered, deregister before it goes. */
int tzc_cdev_register(void);
void tzc_cdev_deregister(void);

#endif /* TZCHAN_CDEV_H */
