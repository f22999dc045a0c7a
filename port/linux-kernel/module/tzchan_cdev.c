// SPDX-License-Identifier: BSD-2-Clause
/*
 * The /dev/tzchan character device shared by the tzchan Linux drivers (see tzchan_cdev.h).
 *
 * Lanes: writers are serialised per lane (a mutex held for a whole message) and so are readers; the lane is
 * chosen per open file, or (per-CPU mode, TZCHAN_IOC_SET_PERCPU, where the region has per-CPU lanes) per message:
 * the lane of the CPU its first byte is written on, kept in the file's state to its last byte, since a write() of
 * several MiB streams through the ring, sleeps while the secure side drains it and may move between CPUs.
 * Every call into the core for a lane runs under that lane's spinlock (never across a sleep or a user copy), so
 * a reader and a writer on one lane never use the endpoint at the same time; different lanes share nothing.
 *
 * Doorbells: the core rings the secure side only when it has said it waits, through the backend's notify hook;
 * the secure side rings back (tzc_doorbell_in) only when this side has said it waits (tzchan_wait_prepare).
 * Nothing here busy-waits.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "tzchan/tzchan.h"
#include "tzchan_cdev.h"
#include "tzchan_ioctl.h"

struct tzc_dev tzc;

struct tzc_file {
	u32 lane;	/* changed only under the old lane's tx_mutex (SET_LANE); READ_ONCE elsewhere */
	/* Per-CPU mode (TZCHAN_IOC_SET_PERCPU): each message goes on the lane of the CPU its first byte is written
	 * on, and keeps it until its last byte, however its writer migrates or sleeps meanwhile (within one write(),
	 * and across the write() calls that resume a message left open). Under pc_mutex (held for a whole write()
	 * of this file); READ_ONCE where read without it. */
	struct mutex pc_mutex;
	bool percpu;
	bool pc_open;	/* a message of this file is open on pc_lane */
	u32 pc_lane;	/* the lane of this file's current or last message: where it writes and reads */
};

/* The lane this file reads from (and reports): per-CPU mode, the lane of its current or last message. */
static u32 tzc_rx_lane(struct tzc_file *f)
{
	return READ_ONCE(f->percpu) ? READ_ONCE(f->pc_lane) : READ_ONCE(f->lane);
}

int tzc_lanes_init(u32 lanes)
{
	u32 i;

	if (lanes == 0 || lanes > TZC_MAX_LANES)
		return -EINVAL;
	for (i = 0; i < lanes; i++) {
		struct tzc_lane *l = &tzc.lane[i];

		spin_lock_init(&l->lock);
		mutex_init(&l->tx_mutex);
		mutex_init(&l->rx_mutex);
		mutex_init(&l->ring_mutex);
		init_waitqueue_head(&l->wq);
		init_waitqueue_head(&l->pollq);
		atomic_set(&l->bell, 0);
		l->tx_buf = kmalloc(TZC_BOUNCE, GFP_KERNEL);
		l->rx_buf = kmalloc(TZC_BOUNCE, GFP_KERNEL);
		if (!l->tx_buf || !l->rx_buf) {
			tzc_lanes_free();
			return -ENOMEM;
		}
	}
	return 0;
}

void tzc_lanes_free(void)
{
	u32 i;

	for (i = 0; i < TZC_MAX_LANES; i++) {
		kfree(tzc.lane[i].tx_buf);
		kfree(tzc.lane[i].rx_buf);
		tzc.lane[i].tx_buf = tzc.lane[i].rx_buf = NULL;
	}
}

int tzc_layout(void (*notify)(void *lane))
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
		tzchan_set_notify(&l->ch, notify, l);
		atomic_set(&l->bell, 0);
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

void tzc_doorbell_in(void)
{
	u32 i;

	atomic64_inc(&tzc.doorbells_in);
	atomic_inc(&tzc.seq);
	for (i = 0; i < tzc.lanes; i++)
		lane_wake(&tzc.lane[i]);
}

/* After a core call on the lane, with its spinlock dropped: the backend rings what the notify hook recorded. */
static void after_core(struct tzc_lane *l)
{
	if (tzc.be->after_core)
		tzc.be->after_core(l);
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
	after_core(l);

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
	after_core(l);
	if (r < 0)
		return tzc_errno(r);
	if (!ret && !READ_ONCE(tzc.registered))
		return -EPIPE;	/* the secure side dropped the region while we slept */
	return ret;
}

/* ---- write ----------------------------------------------------------------------------------------------- */
/* One write() on a lane: the file's (fixed = false: follows SET_LANE) or the given one (per-CPU mode). */
static ssize_t tzc_write_on(struct file *file, const char __user *ubuf, size_t len, bool fixed, u32 fixed_lane)
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
	lane = fixed ? fixed_lane : READ_ONCE(f->lane);
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
	if (!fixed && READ_ONCE(f->lane) != lane) {
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
			after_core(l);
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
		after_core(l);
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
		after_core(l);
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
		after_core(l);
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

static ssize_t tzc_write(struct file *file, const char __user *ubuf, size_t len, loff_t *ppos)
{
	struct tzc_file *f = file->private_data;
	ssize_t ret;
	u32 lane;

	if (!READ_ONCE(f->percpu))
		return tzc_write_on(file, ubuf, len, false, 0);
	if (file->f_flags & O_NONBLOCK) {
		if (!mutex_trylock(&f->pc_mutex))
			return -EAGAIN;
	} else if (mutex_lock_interruptible(&f->pc_mutex)) {
		return -ERESTARTSYS;
	}
	if (!f->percpu) {	/* SET_LANE left per-CPU mode while we waited */
		mutex_unlock(&f->pc_mutex);
		return tzc_write_on(file, ubuf, len, false, 0);
	}
	/* The message's lane: the one its first byte went to, while it is open; else this CPU's (a hint only: the
	 * message keeps it even if we migrate right now). mutant: taking this CPU's lane for a resumed message
	 * splits it over two lanes (the rest goes as a new message on the other lane): tzchan-test --smp's
	 * "resumed message" item fails */
	lane = f->pc_open ? f->pc_lane : tzc.cpu_lane0 + raw_smp_processor_id() % tzc.cpu_lanes;
	ret = tzc_write_on(file, ubuf, len, true, lane);
	WRITE_ONCE(f->pc_lane, lane);
	/* still open on that lane (interrupted, O_NONBLOCK)? tx_owner stays this file's until its last byte */
	f->pc_open = READ_ONCE(tzc.lane[lane].tx_open) && READ_ONCE(tzc.lane[lane].tx_owner) == file;
	mutex_unlock(&f->pc_mutex);
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
		after_core(l);
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
		after_core(l);
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
	struct tzc_lane *l = &tzc.lane[tzc_rx_lane(f)];
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
		after_core(l);
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
	struct tzc_lane *l = &tzc.lane[tzc_rx_lane(f)];
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
	after_core(l);
	return mask;
}

/* ---- ioctl ----------------------------------------------------------------------------------------------- */
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
int tzc_lock_all(void)
{
	u32 i;

	BUILD_BUG_ON(TZC_MAX_LANES > MAX_LOCKDEP_SUBCLASSES);
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

void tzc_unlock_all(void)
{
	unlock_lanes(tzc.lanes);
}

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
			.lane = tzc_rx_lane(f),
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
		if (READ_ONCE(f->percpu))
			return -EBUSY;	/* per-CPU mode: leave it first (TZCHAN_IOC_SET_PERCPU 0) */
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
	case TZCHAN_IOC_SET_PERCPU: {
		u32 on;
		int r = 0;

		if (get_user(on, (u32 __user *)uarg))
			return -EFAULT;
		if (on > 1u || (on && !tzc.cpu_lanes))
			return -EINVAL;	/* no per-CPU lanes in this region (the single-CPU firmware) */
		if (mutex_lock_interruptible(&f->pc_mutex))
			return -ERESTARTSYS;
		if (f->pc_open)
			r = -EBUSY;	/* a message of this file is open: it keeps its lane until its last byte */
		else if (on && !f->percpu)
			WRITE_ONCE(f->pc_lane, tzc.cpu_lane0 + raw_smp_processor_id() % tzc.cpu_lanes);
		if (!r)
			WRITE_ONCE(f->percpu, on != 0);
		mutex_unlock(&f->pc_mutex);
		return r;
	}
	case TZCHAN_IOC_RX_INFO: {
		struct tzc_lane *l = &tzc.lane[tzc_rx_lane(f)];
		struct tzchan_ioc_rxinfo info = { 0 };

		/* interruptible: a reader blocked in read() holds this mutex for as long as it waits */
		if (mutex_lock_interruptible(&l->rx_mutex))
			return -ERESTARTSYS;
		info.in_message = l->rx_in_msg;
		info.delivered = l->rx_delivered;
		mutex_unlock(&l->rx_mutex);
		return copy_to_user(uarg, &info, sizeof info) ? -EFAULT : 0;
	}
	default:
		return tzc.be->ioctl ? tzc.be->ioctl(file, cmd, uarg) : -ENOTTY;
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
	mutex_init(&f->pc_mutex);
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

int tzc_cdev_register(void)
{
	return misc_register(&tzc_misc);
}

void tzc_cdev_deregister(void)
{
	misc_deregister(&tzc_misc);
}
