// SPDX-License-Identifier: BSD-2-Clause
/*
 * tzchan Linux driver: the normal-world end of a tzchan region shared with the TrustZone secure world.
 *
 * At load it allocates the region in normal-world memory (physically contiguous pages), lays it out with the
 * portable core (src/tzchan.c, linked in unchanged), opens side A of every lane and registers the region with
 * the secure side by SMC (physical address, size, geometry); if the secure side refuses, the module does not
 * load and the reason is in the kernel log. It unregisters the region on unload. The secure side answers an
 * accepted REGISTER with a generation (tz_smc.h); the driver keeps it and passes it back in every doorbell and
 * in UNREGISTER, so that once another registration has taken over (a normal world that restarted without
 * unregistering) a late call of ours is refused (TZ_REG_ESTALE) instead of acting on the new one.
 *
 * /dev/tzchan (a misc device): write() sends one message of any size, read() returns one message (a short
 * buffer gets the rest on the next read), poll() reports readiness, O_NONBLOCK gives EAGAIN, ioctls give
 * statistics, the lane choice and the state of a partly read message.
 *
 * Test hooks (the scribble, verdict and generation ioctls, the debug_* module parameters) exist only in a build with
 * TZCHAN_TEST_HOOKS defined (Kbuild: TZCHAN_TEST_HOOKS=y, which the QEMU test sets); even there the ioctls
 * need CAP_SYS_ADMIN, because a scribble wipes every lane of every user and makes the secure side drop the region.
 *
 * Lanes: writers are serialised per lane (a mutex held for a whole message) and so are readers; the lane is
 * chosen per open file. Not one lane per CPU: a write() of several MiB streams through the ring, sleeps while
 * the secure side drains it and may move between CPUs, so a per-CPU lane could not keep a message in one piece.
 * Every call into the core for a lane runs under that lane's spinlock (never across a sleep or a user copy), so
 * a reader and a writer on one lane never use the endpoint at the same time; different lanes share nothing.
 *
 * Doorbells: normal -> secure is an SMC (LK_SMC_DOORBELL), made by the core only when the secure side has said
 * it waits; secure -> normal is an edge-triggered SPI named in the device tree, which the secure side raises
 * only when this side has said it waits (tzchan_wait_prepare). Nothing here busy-waits.
 *
 * See docs/LINUX-KERNEL.md for the design and the exact read/write/poll rules.
 */
#include <linux/arm-smccc.h>
#include <linux/capability.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mod_devicetable.h>
#include <linux/mutex.h>
#include <linux/of.h>
#include <linux/platform_device.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "tzchan/tzchan.h"
#include "tz_region.h"
#include "tz_smc.h"
#include "lk_smc.h"
#include "tzchan_ioctl.h"

#define TZC_BOUNCE 16384u	/* per lane and direction: user copies go through here, never under a lock */

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
};

static struct tzc_dev {
	struct platform_device *pdev;	/* the one device bound (set first in probe, cleared last): see tzc_probe */
	void *region;
	size_t size;
	phys_addr_t pa;
	u32 lanes, ring;
	struct tzc_lane lane[LK_LANES];
	int irq;
	atomic_t seq;		/* bumped by every doorbell interrupt */
	struct mutex admin;	/* the scribble test against everything else that needs all lanes */
	bool registered;
	u32 gen;		/* our registration's generation (REGISTER's w1; 0: none); changed only with every lane
				 * locked or no file open, read with READ_ONCE by the doorbell */
	int probe_err;
	bool misc_up;

	atomic64_t msgs_sent, bytes_sent, msgs_recv, bytes_recv;
	atomic64_t doorbells_out, doorbells_in, sleeps, protocol_errors;
} tzc;

#ifdef TZCHAN_TEST_HOOKS
/* Debug: register this physical address instead of the region's (e.g. secure RAM), to see the secure side refuse
 * it and the module refuse to load. 0: the real region. */
static unsigned long long debug_register_pa;
module_param(debug_register_pa, ullong, 0400);
MODULE_PARM_DESC(debug_register_pa, "debug: physical address to register instead of the region's");

/* Debug: fail the probe after the region is registered (as if misc_register failed), to run its error path. */
static bool debug_fail_probe;
module_param(debug_fail_probe, bool, 0400);
MODULE_PARM_DESC(debug_fail_probe, "debug: fail the probe after registering the region");

/* Debug: after the real TZ_SMC_UNREGISTER, act as if it had answered this code (0: its real answer), to run the
 * branch that leaks the region. The secure side did unmap it, so nothing is at risk. */
static int debug_unregister_result;
module_param(debug_unregister_result, int, 0400);
MODULE_PARM_DESC(debug_unregister_result, "debug: pretend TZ_SMC_UNREGISTER answered this code");

/* Debug: unload as a crashed driver would leave things: no TZ_SMC_UNREGISTER, side A not closed, the region's
 * pages leaked (never reused: the secure side still maps them). The next load registers a fresh region and the
 * secure side takes over from the old one (tz_smc.h). Writable at run time (root), so a test can decide after
 * traffic that this instance "crashes". */
static bool debug_crash_unload;
module_param(debug_crash_unload, bool, 0600);
MODULE_PARM_DESC(debug_crash_unload, "debug: unload without unregistering and leak the region, as a crash would");
#else
#define debug_register_pa 0ull
#define debug_fail_probe false
#define debug_unregister_result 0
#define debug_crash_unload false
#endif

struct tzc_file {
	u32 lane;	/* changed only under the old lane's tx_mutex (SET_LANE); READ_ONCE elsewhere */
};

/* ---- SMC calls ------------------------------------------------------------------------------------------- */
static int tzc_smc(u32 fid, u32 a1, u32 a2, u32 a3, u32 a4, u32 a5, struct arm_smccc_res *res)
{
	arm_smccc_smc(fid, a1, a2, a3, a4, a5, 0, 0, res);
	return (int)(s32)res->a0;	/* SMC32: the answer is w0 */
}

static const char *tzc_code_name(int code)
{
	switch (code) {
	case TZ_REG_EOVERFLOW: return "address range overflows";
	case TZ_REG_EALIGN: return "misaligned";
	case TZ_REG_ESECURE: return "overlaps secure memory";
	case TZ_REG_ENOTRAM: return "not inside non-secure RAM";
	case TZ_REG_EGEOMETRY: return "geometry not accepted";
	case TZ_REG_ESIZE: return "bad size";
	case TZ_REG_EBUSY: return "a region is already registered";
	case TZ_REG_ENOTREG: return "nothing registered";
	case TZ_REG_EMAP: return "the secure side could not map it";
	case TZ_REG_ESTALE: return "stale generation";
	case TZ_REG_ENOTFRESH: return "not a fresh layout";
	case -1: return "unknown SMC (no tzchan secure side?)";
	default: return tzchan_strerror(code);
	}
}

/* Rings with our generation: if another registration has taken over, the monitor refuses (TZ_REG_ESTALE) and
 * rings nothing, so a doorbell of ours can never wake the secure side for a region that is not ours. */
static void tzc_ring_secure(void *ctx)
{
	struct arm_smccc_res res;

	tzc_smc(LK_SMC_DOORBELL, READ_ONCE(tzc.gen), 0, 0, 0, 0, &res);
	atomic64_inc(&tzc.doorbells_out);
}

/* Registers the region (or debug_register_pa). Returns 0 with *gen = the new generation, or the refusal. */
static int tzc_register(u32 *gen)
{
	struct arm_smccc_res res;
	u64 pa = debug_register_pa ? debug_register_pa : tzc.pa;
	int r = tzc_smc(TZ_SMC_REGISTER, lower_32_bits(pa), upper_32_bits(pa), (u32)tzc.size, tzc.lanes, tzc.ring,
			&res);

	*gen = r == 0 ? (u32)res.a1 : 0;
	return r;
}

/* Lays the region out afresh and opens side A of every lane (nobody may use the lanes meanwhile). */
static int tzc_layout(void)
{
	u32 i;
	int r;

	memset(tzc.region, 0, tzc.size);
	r = tzchan_region_init(tzc.region, tzc.size, tzc.lanes, tzc.ring);
	if (r)
		return r;
	for (i = 0; i < tzc.lanes; i++) {
		struct tzc_lane *l = &tzc.lane[i];

		r = tzchan_open(&l->ch, tzc.region, tzc.size, TZCHAN_SIDE_A, i);
		if (r)
			return r;
		tzchan_set_notify(&l->ch, tzc_ring_secure, NULL);
		l->tx_open = false;
		l->tx_owner = NULL;
		l->rx_have = l->rx_off = 0;
		l->rx_end = l->rx_in_msg = false;
		l->rx_delivered = 0;
		l->poll_data = l->poll_room = false;
	}
	return 0;
}

/* ---- doorbells and sleeping ------------------------------------------------------------------------------ */
/* Makes the lane's sleepers (readers and writers) re-check. Called with l->lock held. */
static void lane_kick_sleepers(struct tzc_lane *l)
{
	l->kick++;
	wake_up_interruptible_all(&l->wq);
}

/* Makes everybody on the lane re-check: sleepers and pollers. */
static void lane_wake(struct tzc_lane *l)
{
	wake_up_interruptible_all(&l->wq);
	wake_up_interruptible_all(&l->pollq);
}

/* Makes every sleeper and poller of the lane re-check (a sleeper whose own condition does not hold while
 * another's does). Called with l->lock held. */
static void lane_kick(struct tzc_lane *l)
{
	lane_kick_sleepers(l);
	wake_up_interruptible_all(&l->pollq);
}

static irqreturn_t tzc_irq(int irq, void *data)
{
	u32 i;

	atomic64_inc(&tzc.doorbells_in);
	atomic_inc(&tzc.seq);
	for (i = 0; i < tzc.lanes; i++)
		lane_wake(&tzc.lane[i]);
	return IRQ_HANDLED;
}

/* Announces in shared memory what this lane's sleepers and pollers wait for (or that nobody waits).
 * Returns 0 (armed, or nobody waits), 1 (some announced condition already holds) or a negative TZCHAN_E*.
 * Called with l->lock held. */
static int lane_arm(struct tzc_lane *l)
{
	unsigned int bits = 0;

	if (l->sleep_data || l->poll_data)
		bits |= TZCHAN_WAIT_DATA;
	if (l->sleep_room || l->poll_room)
		bits |= TZCHAN_WAIT_ROOM;
	if (!bits) {
		tzchan_wait_done(&l->ch);
		return 0;
	}
	return tzchan_wait_prepare(&l->ch, (enum tzchan_wait)bits);
}

static int tzc_errno(int code)
{
	switch (code) {
	case TZCHAN_EAGAIN: return -EAGAIN;
	case TZCHAN_EINVAL: return -EINVAL;
	case TZCHAN_EMSGSIZE: return -EMSGSIZE;
	case TZCHAN_EPIPE: return -EPIPE;
	case TZCHAN_EPROTO:
		atomic64_inc(&tzc.protocol_errors);
		return -EPROTO;
	default: return -EIO;
	}
}

/*
 * Sleeps until the secure side rings or another thread of this lane asks for a re-check. `what` is the one
 * condition the caller needs (its last core call on the lane returned EAGAIN / took nothing). Returns 0 (try
 * again), -EAGAIN (O_NONBLOCK), -ERESTARTSYS (signal) or an error from the core.
 * No wake-up is lost: the doorbell sequence number is sampled under the lock before the wait is announced,
 * and the core re-checks the ring after announcing it.
 */
static int lane_wait(struct tzc_lane *l, unsigned int what, bool nonblock)
{
	unsigned int seq, kick;
	int r, ret = 0;

	if (nonblock)
		return -EAGAIN;
	spin_lock(&l->lock);
	seq = atomic_read(&tzc.seq);
	if (what == TZCHAN_WAIT_DATA)
		l->sleep_data++;
	else
		l->sleep_room++;
	r = lane_arm(l);
	if (r > 0) {
		/* something announced holds: perhaps only another sleeper's condition */
		r = tzchan_wait_prepare(&l->ch, (enum tzchan_wait)what);
		if (r == 0)
			lane_kick(l);	/* ours does not hold (and is announced): the others re-check */
	}
	kick = l->kick;
	spin_unlock(&l->lock);

	if (r == 0) {
		atomic64_inc(&tzc.sleeps);
		ret = wait_event_interruptible(l->wq, atomic_read(&tzc.seq) != seq || READ_ONCE(l->kick) != kick);
	}

	spin_lock(&l->lock);
	if (what == TZCHAN_WAIT_DATA)
		l->sleep_data--;
	else
		l->sleep_room--;
	if (lane_arm(l) > 0)
		lane_kick(l);
	spin_unlock(&l->lock);
	if (r < 0)
		return tzc_errno(r);
	return ret;
}

/* ---- write ----------------------------------------------------------------------------------------------- */
static ssize_t tzc_write(struct file *file, const char __user *ubuf, size_t len, loff_t *ppos)
{
	struct tzc_file *f = file->private_data;
	bool nonblock = file->f_flags & O_NONBLOCK;
	struct tzc_lane *l;
	size_t whole_max;
	ssize_t ret;
	u32 lane;
	s64 r;

	if (!READ_ONCE(tzc.registered))
		return -EPIPE;	/* the secure side dropped the region and no fresh one was accepted */
relock:
	lane = READ_ONCE(f->lane);
	l = &tzc.lane[lane];
	if (nonblock) {
		if (!mutex_trylock(&l->tx_mutex))
			return -EAGAIN;
	} else if (mutex_lock_interruptible(&l->tx_mutex)) {
		return -ERESTARTSYS;
	}
	/* SET_LANE changes the lane only under the old lane's writer mutex: if it did so while we waited, follow
	 * it. From here on the file's lane stays `lane` until we unlock, so a message this write leaves open stays
	 * on the lane the file uses (SET_LANE refuses to leave it). */
	if (READ_ONCE(f->lane) != lane) {
		mutex_unlock(&l->tx_mutex);
		goto relock;
	}
	/* a message another file left halfway must be finished by that file first */
	if (l->tx_open && l->tx_owner != file) {
		mutex_unlock(&l->tx_mutex);
		if (nonblock)
			return -EAGAIN;
		if (wait_event_interruptible(l->wq, !READ_ONCE(l->tx_open)))
			return -ERESTARTSYS;
		goto relock;
	}
	whole_max = min_t(size_t, TZC_BOUNCE, tzchan_max_msg(&l->ch));
	if (l->tx_open && l->tx_total != len) {
		ret = -EINVAL;	/* a resumed write must repeat the interrupted one */
		goto out;
	}

	if (!l->tx_open && len <= whole_max) {
		/* small: one record, all or nothing */
		if (copy_from_user(l->tx_buf, ubuf, len)) {
			ret = -EFAULT;
			goto out;
		}
		for (;;) {
			spin_lock(&l->lock);
			r = tzchan_send(&l->ch, l->tx_buf, len);
			spin_unlock(&l->lock);
			if (r != TZCHAN_EAGAIN)
				break;
			ret = lane_wait(l, TZCHAN_WAIT_ROOM, nonblock);
			if (ret)
				goto out;
		}
		if (r < 0) {
			ret = tzc_errno((int)r);
			goto out;
		}
		goto sent;
	}

	if (!l->tx_open) {
		spin_lock(&l->lock);
		r = tzchan_send_begin(&l->ch, len);
		spin_unlock(&l->lock);
		if (r < 0) {
			ret = tzc_errno((int)r);
			goto out;
		}
		l->tx_open = true;
		l->tx_owner = file;
		l->tx_total = len;
		l->tx_done = 0;
	}
	while (l->tx_done < len) {
		size_t n = min_t(u64, len - l->tx_done, TZC_BOUNCE);

		if (copy_from_user(l->tx_buf, ubuf + l->tx_done, n)) {
			ret = -EFAULT;
			goto out;	/* the message stays open for a corrected retry (or is padded at close) */
		}
		spin_lock(&l->lock);
		r = tzchan_send_some(&l->ch, l->tx_buf, n);
		spin_unlock(&l->lock);
		if (r < 0) {
			ret = tzc_errno((int)r);
			goto out;
		}
		if (r == 0) {
			ret = lane_wait(l, TZCHAN_WAIT_ROOM, nonblock);
			if (ret)
				goto out;
			continue;
		}
		l->tx_done += r;
	}
	for (;;) {
		spin_lock(&l->lock);
		r = tzchan_send_end(&l->ch);
		spin_unlock(&l->lock);
		if (r != TZCHAN_EAGAIN)
			break;
		ret = lane_wait(l, TZCHAN_WAIT_ROOM, nonblock);
		if (ret)
			goto out;
	}
	if (r < 0) {
		ret = tzc_errno((int)r);
		goto out;
	}
	l->tx_open = false;
	l->tx_owner = NULL;
	lane_wake(l);	/* writers and pollers waiting for this message to end */
sent:
	atomic64_inc(&tzc.msgs_sent);
	atomic64_add(len, &tzc.bytes_sent);
	ret = len;
out:
	mutex_unlock(&l->tx_mutex);
	return ret;
}

/* A file closed with its message half written: complete it with zero bytes so the lane is usable again (the
 * peer gets a message of the declared length whose tail is zeros). Bounded: gives up after 10 s. */
static void tzc_abandon(struct tzc_lane *l)
{
	unsigned long end = jiffies + 10 * HZ;
	s64 r = 0;

	mutex_lock(&l->tx_mutex);
	memset(l->tx_buf, 0, TZC_BOUNCE);
	while (l->tx_done < l->tx_total && time_before(jiffies, end)) {
		spin_lock(&l->lock);
		r = tzchan_send_some(&l->ch, l->tx_buf, min_t(u64, l->tx_total - l->tx_done, TZC_BOUNCE));
		spin_unlock(&l->lock);
		if (r < 0)
			break;
		if (r == 0)
			schedule_timeout_uninterruptible(1);
		l->tx_done += r;
	}
	while (r >= 0 && time_before(jiffies, end)) {
		spin_lock(&l->lock);
		r = tzchan_send_end(&l->ch);
		spin_unlock(&l->lock);
		if (r != TZCHAN_EAGAIN)
			break;
		schedule_timeout_uninterruptible(1);
	}
	if (r < 0 || l->tx_done < l->tx_total)
		pr_warn_ratelimited("tzchan: lane %u: could not complete an abandoned message (%lld)\n", l->ch.lane, r);
	else
		pr_info_ratelimited("tzchan: lane %u: a writer closed halfway; its message was completed with zeros\n",
				    l->ch.lane);
	l->tx_open = false;
	l->tx_owner = NULL;
	lane_wake(l);
	mutex_unlock(&l->tx_mutex);
}

/* ---- read ------------------------------------------------------------------------------------------------ */
static void rx_message_ended(struct tzc_lane *l)
{
	l->rx_in_msg = false;
	l->rx_end = false;
	l->rx_delivered = 0;
	atomic64_inc(&tzc.msgs_recv);
}

static ssize_t tzc_read(struct file *file, char __user *ubuf, size_t count, loff_t *ppos)
{
	struct tzc_file *f = file->private_data;
	struct tzc_lane *l = &tzc.lane[READ_ONCE(f->lane)];
	bool nonblock = file->f_flags & O_NONBLOCK;
	size_t done = 0;
	ssize_t ret = 0;
	bool end;
	s64 r;

	if (count == 0)
		return 0;	/* consumes nothing (a zero-length message is read with any buffer) */
	if (!READ_ONCE(tzc.registered))
		return -EPIPE;
	if (nonblock) {
		if (!mutex_trylock(&l->rx_mutex))
			return -EAGAIN;
	} else if (mutex_lock_interruptible(&l->rx_mutex)) {
		return -ERESTARTSYS;
	}
	for (;;) {
		if (l->rx_off < l->rx_have) {
			size_t n = min(count - done, l->rx_have - l->rx_off);

			if (n == 0)
				break;	/* the caller's buffer is full: the rest stays for the next read */
			if (copy_to_user(ubuf + done, l->rx_buf + l->rx_off, n)) {
				ret = done ? 0 : -EFAULT;
				break;
			}
			l->rx_off += n;
			l->rx_delivered += n;
			done += n;
		}
		if (l->rx_off == l->rx_have) {
			l->rx_off = l->rx_have = 0;
			if (l->rx_end) {
				rx_message_ended(l);
				break;	/* a read never returns bytes of two messages */
			}
		}
		if (done == count)
			break;
		spin_lock(&l->lock);
		r = tzchan_recv_some(&l->ch, l->rx_buf, TZC_BOUNCE, &end);
		spin_unlock(&l->lock);
		if (r == TZCHAN_EAGAIN) {
			if (done && nonblock)
				break;	/* what has arrived of this message so far */
			ret = lane_wait(l, TZCHAN_WAIT_DATA, nonblock);
			if (ret) {
				if (done)
					ret = 0;	/* a signal after some bytes: a short read, nothing lost */
				break;
			}
			continue;
		}
		if (r < 0) {
			ret = done ? 0 : tzc_errno((int)r);
			break;
		}
		l->rx_have = r;
		l->rx_off = 0;
		l->rx_end = end;
		l->rx_in_msg = true;
		atomic64_add(r, &tzc.bytes_recv);
	}
	spin_lock(&l->lock);
	l->poll_data = false;
	spin_unlock(&l->lock);
	mutex_unlock(&l->rx_mutex);
	return ret ? ret : (ssize_t)done;
}

/* ---- poll ------------------------------------------------------------------------------------------------ */
static __poll_t tzc_poll(struct file *file, poll_table *wait)
{
	struct tzc_file *f = file->private_data;
	struct tzc_lane *l = &tzc.lane[READ_ONCE(f->lane)];
	__poll_t mask = 0;
	int r;

	poll_wait(file, &l->pollq, wait);
	spin_lock(&l->lock);
	if (l->rx_off < l->rx_have || l->rx_end) {
		mask |= EPOLLIN | EPOLLRDNORM;
	} else {
		r = tzchan_wait_prepare(&l->ch, TZCHAN_WAIT_DATA);
		if (r < 0)
			mask |= EPOLLERR;
		else if (r > 0)
			mask |= EPOLLIN | EPOLLRDNORM;
		else
			l->poll_data = true;
	}
	if (!(l->tx_open && l->tx_owner != file)) {
		r = tzchan_wait_prepare(&l->ch, TZCHAN_WAIT_ROOM);
		if (r < 0)
			mask |= EPOLLERR;
		else if (r > 0)
			mask |= EPOLLOUT | EPOLLWRNORM;
		else
			l->poll_room = true;
	}
	if (mask & EPOLLIN)
		l->poll_data = false;
	if (mask & EPOLLOUT)
		l->poll_room = false;
	/* Something announced holds that our mask does not report (a sleeper's condition): make the sleepers look
	 * again. Not the pollers: a poller woken here would poll again, find the same and wake itself again,
	 * and on a kernel without preemption that loop in poll() would never give the CPU to the sleeper that
	 * is to consume the condition (the hostile test found this livelock). */
	if (lane_arm(l) > 0)
		lane_kick_sleepers(l);
	spin_unlock(&l->lock);
	return mask;
}

/* ---- ioctl ----------------------------------------------------------------------------------------------- */
#ifdef TZCHAN_TEST_HOOKS
static void unlock_lanes(u32 n)
{
	while (n-- > 0) {
		mutex_unlock(&tzc.lane[n].rx_mutex);
		mutex_unlock(&tzc.lane[n].tx_mutex);
	}
}

/* Takes every lane's writer and reader mutex, in lane order (under tzc.admin, so no two callers interleave).
 * Interruptible: a caller queued behind a blocked reader or writer can be killed. Lockdep sees one class per
 * mutex kind, so each lane gets its own subclass. Returns 0 or -ERESTARTSYS (nothing held). */
static int lock_all(void)
{
	u32 i;

	BUILD_BUG_ON(LK_LANES > MAX_LOCKDEP_SUBCLASSES);
	for (i = 0; i < tzc.lanes; i++) {
		if (mutex_lock_interruptible_nested(&tzc.lane[i].tx_mutex, i))
			goto fail;
		if (mutex_lock_interruptible_nested(&tzc.lane[i].rx_mutex, i)) {
			mutex_unlock(&tzc.lane[i].tx_mutex);
			goto fail;
		}
	}
	return 0;
fail:
	unlock_lanes(i);
	return -ERESTARTSYS;
}

static void unlock_all(void)
{
	unlock_lanes(tzc.lanes);
}

/* Debug: behaves like a hostile normal world. Overwrites the whole region with garbage and rings the secure
 * side, waits (up to 2 s) for it to give the region up, registers the scribbled region again (it must be
 * refused), then lays out a fresh region and registers that, so the device works again afterwards.
 * Returns 0, or -ERESTARTSYS if a signal came while it waited for the lanes (then nothing was changed). */
static int tzc_scribble(struct tzchan_ioc_scribble *out)
{
	struct arm_smccc_res res;
	unsigned long end;
	u32 gen;
	int r;

	if (mutex_lock_interruptible(&tzc.admin))
		return -ERESTARTSYS;
	if (lock_all()) {
		mutex_unlock(&tzc.admin);
		return -ERESTARTSYS;
	}
	memset(tzc.region, 0xa5, tzc.size);
	tzc_ring_secure(NULL);
	end = jiffies + 2 * HZ;
	do {
		msleep(10);
		/* w1 = 0: asks about whatever is current, since we wait for our generation to end */
		tzc_smc(TZ_SMC_STATUS, 0, 0, 0, 0, 0, &res);
	} while ((u32)res.a3 != 0 && time_before(jiffies, end));
	out->secure_error = (s32)res.a1;
	out->secure_registered = (s32)res.a3;
	tzc.registered = out->secure_registered != 0;
	if (!tzc.registered)
		WRITE_ONCE(tzc.gen, 0);
	pr_info("tzchan: scribbled the region; the secure side reports %s and %s it\n",
		tzc_code_name(out->secure_error), out->secure_registered ? "still holds" : "dropped");

	out->reregister_scribbled = tzc_register(&gen);
	pr_info("tzchan: registering the scribbled region again: %s\n",
		out->reregister_scribbled ? tzc_code_name(out->reregister_scribbled) : "accepted");
	if (out->reregister_scribbled == 0)
		tzc_smc(TZ_SMC_UNREGISTER, gen, 0, 0, 0, 0, &res);

	r = tzc_layout();
	if (r == 0) {
		out->reregister_fresh = tzc_register(&gen);
		tzc.registered = out->reregister_fresh == 0;
		WRITE_ONCE(tzc.gen, gen);
		pr_info("tzchan: fresh region: %s\n",
			out->reregister_fresh ? tzc_code_name(out->reregister_fresh) : "accepted");
	} else {
		out->reregister_fresh = r;
	}
	unlock_all();
	mutex_unlock(&tzc.admin);
	return 0;
}

/* Debug: reports the generation the driver holds and, with g->stale (another generation, e.g. one a crashed
 * instance of the driver held before the secure side took over), makes the doorbell, STATUS and UNREGISTER
 * with it and reports the answers: all three must be TZ_REG_ESTALE, and the UNREGISTER must change nothing.
 * Then a STATUS with our own generation says what the secure side now holds. Returns 0 or -EINVAL (`stale`
 * is our own generation: the UNREGISTER would end our registration). */
static int tzc_generation(struct tzchan_ioc_generation *g)
{
	struct arm_smccc_res res;
	int r = 0;

	mutex_lock(&tzc.admin);	/* the scribble changes tzc.gen under it */
	g->generation = tzc.gen;
	if (g->stale != 0 && g->stale == tzc.gen) {
		r = -EINVAL;
		goto out;
	}
	if (g->stale != 0) {
		g->doorbell = tzc_smc(LK_SMC_DOORBELL, g->stale, 0, 0, 0, 0, &res);
		g->status = tzc_smc(TZ_SMC_STATUS, g->stale, 0, 0, 0, 0, &res);
		g->unregister = tzc_smc(TZ_SMC_UNREGISTER, g->stale, 0, 0, 0, 0, &res);
		pr_info("tzchan: generation %u is stale: doorbell %d, status %d, unregister %d\n", g->stale,
			g->doorbell, g->status, g->unregister);
	}
	g->secure_status = tzc_smc(TZ_SMC_STATUS, tzc.gen, 0, 0, 0, 0, &res);
	g->secure_error = (s32)res.a1;
	g->secure_generation = (u32)res.a3;
out:
	mutex_unlock(&tzc.admin);
	return r;
}
#endif /* TZCHAN_TEST_HOOKS */

static long tzc_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct tzc_file *f = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case TZCHAN_IOC_GET_STATS: {
		struct tzchan_ioc_stats st = {
			.msgs_sent = atomic64_read(&tzc.msgs_sent),
			.bytes_sent = atomic64_read(&tzc.bytes_sent),
			.msgs_recv = atomic64_read(&tzc.msgs_recv),
			.bytes_recv = atomic64_read(&tzc.bytes_recv),
			.doorbells_out = atomic64_read(&tzc.doorbells_out),
			.doorbells_in = atomic64_read(&tzc.doorbells_in),
			.sleeps = atomic64_read(&tzc.sleeps),
			.protocol_errors = atomic64_read(&tzc.protocol_errors),
			.lanes = tzc.lanes,
			.lane = READ_ONCE(f->lane),
			.ring_bytes = tzc.ring,
			.max_msg = (u32)tzchan_max_msg(&tzc.lane[0].ch),	/* the same on every lane */
		};
		return copy_to_user(uarg, &st, sizeof st) ? -EFAULT : 0;
	}
	case TZCHAN_IOC_SET_LANE: {
		struct tzc_lane *old;
		u32 lane, cur;
		int r = 0;

		if (get_user(lane, (u32 __user *)uarg))
			return -EFAULT;
		if (lane >= tzc.lanes)
			return -EINVAL;
		/* Under the current lane's writer mutex (which a write of this file holds while it decides its lane
		 * and for as long as it writes): no write can be halfway through choosing the old lane, so none can
		 * leave a message open there after we switch. Refused while this file has a message open. */
		for (;;) {
			cur = READ_ONCE(f->lane);
			old = &tzc.lane[cur];
			if (mutex_lock_interruptible(&old->tx_mutex))
				return -ERESTARTSYS;
			if (READ_ONCE(f->lane) == cur)
				break;
			mutex_unlock(&old->tx_mutex);	/* another SET_LANE of this file won: start over */
		}
		if (old->tx_open && old->tx_owner == file)
			r = -EBUSY;
		else
			WRITE_ONCE(f->lane, lane);
		mutex_unlock(&old->tx_mutex);
		return r;
	}
	case TZCHAN_IOC_RX_INFO: {
		struct tzc_lane *l = &tzc.lane[READ_ONCE(f->lane)];
		struct tzchan_ioc_rxinfo info = { 0 };

		/* interruptible: a reader blocked in read() holds this mutex for as long as it waits */
		if (mutex_lock_interruptible(&l->rx_mutex))
			return -ERESTARTSYS;
		info.in_message = l->rx_in_msg;
		info.delivered = l->rx_delivered;
		mutex_unlock(&l->rx_mutex);
		return copy_to_user(uarg, &info, sizeof info) ? -EFAULT : 0;
	}
#ifdef TZCHAN_TEST_HOOKS
	case TZCHAN_IOC_SCRIBBLE: {
		struct tzchan_ioc_scribble out = { 0 };
		int r;

		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		r = tzc_scribble(&out);
		if (r)
			return r;
		return copy_to_user(uarg, &out, sizeof out) ? -EFAULT : 0;
	}
	case TZCHAN_IOC_VERDICT: {
		struct tzchan_ioc_verdict v;
		struct arm_smccc_res res;

		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		if (copy_from_user(&v, uarg, sizeof v))
			return -EFAULT;
		if (tzc_smc(LK_SMC_VERDICT, v.failures, v.messages, 0, 0, 0, &res) != 0)
			return -EIO;
		v.status = (s32)res.a1;
		return copy_to_user(uarg, &v, sizeof v) ? -EFAULT : 0;
	}
	case TZCHAN_IOC_GENERATION: {
		struct tzchan_ioc_generation g;
		int r;

		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		if (copy_from_user(&g, uarg, sizeof g))
			return -EFAULT;
		r = tzc_generation(&g);
		if (r)
			return r;
		return copy_to_user(uarg, &g, sizeof g) ? -EFAULT : 0;
	}
#endif /* TZCHAN_TEST_HOOKS */
	default:
		return -ENOTTY;
	}
}

static int tzc_open(struct inode *inode, struct file *file)
{
	struct tzc_file *f;

	if (!tzc.registered)
		return -ENODEV;
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	file->private_data = f;
	return 0;
}

static int tzc_release(struct inode *inode, struct file *file)
{
	u32 i;

	for (i = 0; i < tzc.lanes; i++)
		if (READ_ONCE(tzc.lane[i].tx_open) && READ_ONCE(tzc.lane[i].tx_owner) == file)
			tzc_abandon(&tzc.lane[i]);
	kfree(file->private_data);
	return 0;
}

static const struct file_operations tzc_fops = {
	.owner = THIS_MODULE,
	.open = tzc_open,
	.release = tzc_release,
	.read = tzc_read,
	.write = tzc_write,
	.poll = tzc_poll,
	.unlocked_ioctl = tzc_ioctl,
	.llseek = no_llseek,
};

static struct miscdevice tzc_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "tzchan",
	.fops = &tzc_fops,
	.mode = 0600,
};

/* ---- probe / load / unload ------------------------------------------------------------------------------- */
/* Asks the secure side to close its ends and unmap the region of our generation. Returns its answer: 0,
 * TZ_REG_ENOTREG (it had dropped the region), or TZ_REG_ESTALE (another registration took over ours and
 * nothing was changed; tzc_release_region then leaks the pages, as for any answer but the first two). */
static int tzc_unregister(void)
{
	struct arm_smccc_res res;
	int r = tzc_smc(TZ_SMC_UNREGISTER, tzc.gen, 0, 0, 0, 0, &res);

	if (debug_unregister_result)
		r = debug_unregister_result;
	tzc.registered = false;
	tzc.gen = 0;
	return r;
}

/*
 * The one rule for giving the region's pages back, for the probe's error path and for remove alike: free them only
 * when the secure side said it no longer maps them (`unreg`, the answer to TZ_SMC_UNREGISTER: closed and unmapped
 * now, or nothing registered because it dropped the region earlier). Otherwise leak them on purpose, logged:
 * pages another world may still write must never go back to the allocator.
 */
static void tzc_release_region(struct device *dev, int unreg)
{
	if (unreg == 0 || unreg == TZ_REG_ENOTREG) {
		free_pages_exact(tzc.region, tzc.size);
		dev_info(dev, "region unregistered (%s) and freed\n",
			 unreg ? "the secure side had dropped it" : "the secure side closed and unmapped it");
	} else {
		dev_warn(dev, "unregister failed (%s, %d): leaking the region %pa+%#zx rather than reusing pages the "
			 "secure side may still write\n", tzc_code_name(unreg), unreg, &tzc.pa, tzc.size);
	}
	tzc.region = NULL;
}

static void tzc_free_lanes(void)
{
	u32 i;

	for (i = 0; i < LK_LANES; i++) {
		kfree(tzc.lane[i].tx_buf);
		kfree(tzc.lane[i].rx_buf);
		tzc.lane[i].tx_buf = tzc.lane[i].rx_buf = NULL;
	}
}

static int tzc_probe(struct platform_device *pdev)
{
	struct platform_device *owner;
	size_t need;
	u32 i;
	int r, unreg;

	/* One instance only: the state is global (one region registered with the secure side, which accepts one,
	 * and one /dev/tzchan). A second device (another tzchan node, or one forced on us through driver_override)
	 * must not re-initialise the state the first one uses. */
	owner = cmpxchg(&tzc.pdev, NULL, pdev);
	if (owner) {
		dev_err(&pdev->dev, "not binding: the tzchan driver serves one device and %s has it\n",
			dev_name(&owner->dev));
		return -EBUSY;
	}
	tzc.lanes = LK_LANES;
	tzc.ring = LK_RING_BYTES;
	need = tzchan_region_size(tzc.lanes, tzc.ring);
	tzc.size = PAGE_ALIGN(need);
	for (i = 0; i < tzc.lanes; i++) {
		struct tzc_lane *l = &tzc.lane[i];

		spin_lock_init(&l->lock);
		mutex_init(&l->tx_mutex);
		mutex_init(&l->rx_mutex);
		init_waitqueue_head(&l->wq);
		init_waitqueue_head(&l->pollq);
		l->tx_buf = kmalloc(TZC_BOUNCE, GFP_KERNEL);
		l->rx_buf = kmalloc(TZC_BOUNCE, GFP_KERNEL);
		if (!l->tx_buf || !l->rx_buf) {
			r = -ENOMEM;
			goto fail;
		}
	}
	/* physically contiguous, page aligned, in the linear map (normal write-back memory, as the secure side
	 * maps it: no cache maintenance is needed between the worlds) */
	tzc.region = alloc_pages_exact(tzc.size, GFP_KERNEL | __GFP_ZERO);
	if (!tzc.region) {
		r = -ENOMEM;
		goto fail;
	}
	tzc.pa = virt_to_phys(tzc.region);
	r = tzc_layout();
	if (r) {
		dev_err(&pdev->dev, "laying out the region failed: %s\n", tzchan_strerror(r));
		r = -EINVAL;
		goto fail_region;
	}

	tzc.irq = platform_get_irq(pdev, 0);
	if (tzc.irq < 0) {
		r = tzc.irq;
		goto fail_region;
	}
	r = request_irq(tzc.irq, tzc_irq, 0, "tzchan-doorbell", &tzc);
	if (r)
		goto fail_region;

	r = tzc_register(&tzc.gen);
	if (r) {
		dev_err(&pdev->dev, "the secure side refused region %#llx+%#zx (%u lanes of %u bytes): %s (%d)\n",
			debug_register_pa ? debug_register_pa : (u64)tzc.pa, tzc.size, tzc.lanes, tzc.ring,
			tzc_code_name(r), r);
		r = -EACCES;
		goto fail_irq;
	}
	tzc.registered = true;
	r = debug_fail_probe ? -EIO : misc_register(&tzc_misc);
	if (r)
		goto fail_unregister;
	tzc.misc_up = true;
	dev_info(&pdev->dev, "region %pa+%#zx registered with the secure side as generation %u: %u lanes of "
		 "%u-byte rings, doorbell irq %d; /dev/tzchan ready\n", &tzc.pa, tzc.size, tzc.gen, tzc.lanes,
		 tzc.ring, tzc.irq);
	return 0;

fail_unregister:
	unreg = tzc_unregister();
	free_irq(tzc.irq, &tzc);
	tzc_release_region(&pdev->dev, unreg);
	goto fail;
fail_irq:
	free_irq(tzc.irq, &tzc);
fail_region:
	/* never registered (or refused): the secure side does not map it */
	free_pages_exact(tzc.region, tzc.size);
	tzc.region = NULL;
fail:
	tzc_free_lanes();
	tzc.probe_err = r;
	smp_store_release(&tzc.pdev, NULL);	/* last: the state is free for another probe */
	return r;
}

static int tzc_remove(struct platform_device *pdev)
{
	u32 i;
	int unreg;

	if (tzc.misc_up)
		misc_deregister(&tzc_misc);
	tzc.misc_up = false;
	if (debug_crash_unload) {
		/* a crash: nothing said to the secure side, nothing written to the region, the pages never reused */
		dev_warn(&pdev->dev, "debug_crash_unload: leaving region %pa+%#zx registered as generation %u, side A "
			 "open, pages leaked, as a crashed driver would\n", &tzc.pa, tzc.size, tzc.gen);
		free_irq(tzc.irq, &tzc);
		tzc.region = NULL;
		tzc.registered = false;
		tzc.gen = 0;
		tzc_free_lanes();
		smp_store_release(&tzc.pdev, NULL);
		return 0;
	}
	/* the secure side closes its ends and unmaps first; only then is the memory ours alone again */
	unreg = tzc_unregister();
	for (i = 0; i < tzc.lanes; i++)
		tzchan_close(&tzc.lane[i].ch);
	free_irq(tzc.irq, &tzc);
	tzc_release_region(&pdev->dev, unreg);
	tzc_free_lanes();
	smp_store_release(&tzc.pdev, NULL);	/* last: the state is free for another probe */
	return 0;
}

static const struct of_device_id tzc_of_match[] = {
	{ .compatible = "tzchan,secure-channel" },
	{ }
};
MODULE_DEVICE_TABLE(of, tzc_of_match);

/*
 * No bind/unbind files in sysfs: an unbind would run remove while files are open and free the lanes' buffers and
 * the region under them. Without those files the device goes away only with the module, which its open files
 * pin (fops.owner), so remove never runs while a file is open.
 */
static struct platform_driver tzc_driver = {
	.probe = tzc_probe,
	.remove = tzc_remove,
	.driver = {
		.name = "tzchan",
		.of_match_table = tzc_of_match,
		.suppress_bind_attrs = true,
	},
};

static int __init tzc_init(void)
{
	int r;

	mutex_init(&tzc.admin);
	tzc.probe_err = -ENODEV;	/* stays so if the device tree has no tzchan node */
	r = platform_driver_register(&tzc_driver);
	if (r)
		return r;
	if (!tzc.registered) {	/* probe ran synchronously and failed, or found no device */
		platform_driver_unregister(&tzc_driver);
		pr_err("tzchan: not loaded (%d)\n", tzc.probe_err);
		return tzc.probe_err;
	}
	return 0;
}

static void __exit tzc_exit(void)
{
	platform_driver_unregister(&tzc_driver);
}

module_init(tzc_init);
module_exit(tzc_exit);

MODULE_LICENSE("Dual BSD/GPL");
MODULE_DESCRIPTION("tzchan: byte messages with the TrustZone secure world through shared memory");
