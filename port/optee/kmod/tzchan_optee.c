// SPDX-License-Identifier: BSD-2-Clause
/*
 * tzchan over OP-TEE: the normal-world end of a tzchan region whose secure side is the tzchan pseudo TA inside
 * OP-TEE OS (port/optee/pta). A kernel-side client of Linux's TEE subsystem (tee_client_open_context and friends,
 * so SMC and FF-A OP-TEE alike) exposing the same /dev/tzchan as port/linux-kernel's driver: the character device
 * is that driver's tzchan_cdev.c, linked in unchanged; this file is its OP-TEE backend. docs/OPTEE.md.
 *
 * At load it opens a context on OP-TEE and one session on the PTA per lane (lanes = online CPUs, 2 .. the PTA's
 * maximum: OP-TEE runs the calls of one session one at a time, so a session per lane lets lanes run on several
 * CPUs at once), allocates the region as registered shared memory (tee_shm_alloc_kernel_buf), lays it out, and
 * REGISTERs it on lane 0's session; a refusal fails the load with the reason in the kernel log.
 *
 * Doorbells: normal -> secure is the PTA's PUMP command for the lane, a preemptible OP-TEE standard call that
 * serves what is queued and returns; its return is the way back (PUMP says whether side B rang: then every
 * waiter re-checks, as after the SMC driver's interrupt). The core's notify hook runs under the lane's spinlock,
 * where an invoke may not sleep: it only records the ring (lane->bell), and the shared character device calls
 * after_core() once the spinlock is dropped, which pumps (under the lane's ring_mutex: one PUMP per lane at a
 * time, as the PTA requires). The thread that rang does the secure side's work before it goes on, so nothing in
 * either world ever waits for a doorbell that nobody will ring, and nothing in the secure world sleeps.
 *
 * Lifetime: OP-TEE's unregistering of shared memory waits until nobody in the secure world holds it, and the PTA
 * holds the region until UNREGISTER or the close of the registering session. So this module always ends the
 * registration (UNREGISTER, then closes the sessions) before it frees the memory (tee_shm_free), on every path.
 * The region is the module's, never a user process's: a process killed mid-stream only closes its files
 * (a half-written message is completed with zeros by the character device), and the module cannot be unloaded
 * while a file is open.
 *
 * Test hooks (TZCHAN_TEST_HOOKS=y, as in port/linux-kernel; CAP_SYS_ADMIN): the scribble and verdict ioctls, and
 * the debug_hostile parameter, which makes the load first try the hostile registrations and pumps of
 * docs/OPTEE.md and count the refusals.
 */
#include <linux/capability.h>
#include <linux/cpumask.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/tee_drv.h>
#include <linux/uaccess.h>
#include <linux/uuid.h>

#include "tzchan/tzchan.h"
#include "tzchan_cdev.h"
#include "tzchan_ioctl.h"
#include "tzchan_pta.h"
#include "tz_region.h"

#define TZO_RING_BYTES (64u * 1024u)	/* as port/linux-kernel's driver (lk_smc.h LK_RING_BYTES) */

/* GlobalPlatform result codes and origins this file looks at (the PTA's, tzchan_pta.h) */
#define TZO_SUCCESS 0x00000000u
#define TZO_BAD_PARAMETERS 0xffff0006u
#define TZO_ACCESS_DENIED 0xffff0001u
#define TZO_BAD_FORMAT 0xffff0005u
#define TZO_BAD_STATE 0xffff0007u
#define TZO_ITEM_NOT_FOUND 0xffff0008u
#define TZO_NOT_SUPPORTED 0xffff000au
#define TZO_BUSY 0xffff000du
#define TZO_ORIGIN_TA 4u	/* TEEC_ORIGIN_TRUSTED_APP: the PTA itself answered */

static struct {
	struct tee_context *ctx;
	u32 sess[TZC_MAX_LANES];
	bool sess_open[TZC_MAX_LANES];
	struct tee_shm *shm;
	u32 gen;		/* the registration's generation (0: none); changed with every lane locked or no
				 * file open (load, scribble, unload), read with READ_ONCE by the pumps */
	bool misc_up;
	bool laid_out;		/* side A of every lane is open (tzc_layout succeeded once) */
	u32 hostile_total, hostile_ok;
	atomic64_t pump_more;
} tzo;

#ifdef TZCHAN_TEST_HOOKS
/* Debug: at load, try the hostile registrations and pumps (docs/OPTEE.md) and log each answer. The value names
 * the ABI Linux reaches OP-TEE by ("smc" or "ffa"; the TEE client API does not tell): under the SMC ABI a
 * driver-private buffer is memory OP-TEE has not registered, under FF-A every buffer is shared with OP-TEE. */
static char *debug_hostile;
module_param(debug_hostile, charp, 0400);
MODULE_PARM_DESC(debug_hostile, "debug: smc|ffa: try hostile registrations and pumps at load, count the refusals");

/* Debug: at unload, do not UNREGISTER: closing the sessions alone must make the PTA give the region up (what
 * happens when a client dies without a word). Writable at run time (root), so a test can choose per unload. */
static bool debug_unload_without_unregister;
module_param(debug_unload_without_unregister, bool, 0600);
MODULE_PARM_DESC(debug_unload_without_unregister, "debug: unload without UNREGISTER (the session close releases)");
#else
#define debug_hostile NULL
#define debug_unload_without_unregister false
#endif

/* ---- talking to the PTA ---------------------------------------------------------------------------------- */
struct tzo_answer {
	int rc;		/* the TEE subsystem's answer (0, or a negative errno: nothing reached OP-TEE) */
	u32 ret, origin;	/* OP-TEE's (GlobalPlatform) result and its origin */
};

static void tzo_invoke(u32 session, u32 func, struct tee_param p[4], struct tzo_answer *a)
{
	struct tee_ioctl_invoke_arg arg = { .func = func, .session = session, .num_params = 4 };

	a->rc = tee_client_invoke_func(tzo.ctx, &arg, p);
	a->ret = a->rc ? 0 : arg.ret;
	a->origin = a->rc ? 0 : arg.ret_origin;
}

static bool tzo_ok(const struct tzo_answer *a)
{
	return a->rc == 0 && a->ret == TZO_SUCCESS;
}

static void tzo_value(struct tee_param *p, u64 attr, u64 a, u64 b)
{
	memset(p, 0, sizeof(*p));
	p->attr = attr;
	p->u.value.a = a;
	p->u.value.b = b;
}

static void tzo_none(struct tee_param *p)
{
	memset(p, 0, sizeof(*p));
	p->attr = TEE_IOCTL_PARAM_ATTR_TYPE_NONE;
}

/* REGISTER with an explicit memref and geometry; *detail gets the PTA's detail code, *gen the generation. */
static void tzo_register_raw(u32 session, struct tee_shm *shm, size_t offs, size_t size, u32 lanes, u32 ring,
			     struct tzo_answer *a, s32 *detail, u32 *gen)
{
	struct tee_param p[4];

	memset(&p[0], 0, sizeof(p[0]));
	p[0].attr = TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT;
	p[0].u.memref.shm = shm;
	p[0].u.memref.shm_offs = offs;
	p[0].u.memref.size = size;
	tzo_value(&p[1], TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT, lanes, ring);
	tzo_value(&p[2], TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT, 0, 0);
	tzo_none(&p[3]);
	tzo_invoke(session, TZCHAN_PTA_CMD_REGISTER, p, a);
	*detail = (s32)p[2].u.value.b;
	*gen = (u32)p[2].u.value.a;
}

/* Registers the region on lane 0's session. Returns 0 (tzo.gen set) or the refusal: the PTA's detail code
 * (TZ_REG_E* or TZCHAN_E*) when it gave one, else -EACCES (OP-TEE refused) or the TEE subsystem's errno. */
static int tzo_register(void)
{
	struct tzo_answer a;
	s32 detail;
	u32 gen;

	tzo_register_raw(tzo.sess[0], tzo.shm, 0, tzc.size, tzc.lanes, tzc.ring, &a, &detail, &gen);
	if (tzo_ok(&a) && gen) {
		WRITE_ONCE(tzo.gen, gen);
		return 0;
	}
	pr_info("tzchan-optee: REGISTER refused: rc %d, ret %#x origin %u, detail %d\n", a.rc, a.ret, a.origin,
		detail);
	return a.rc ? a.rc : detail ? detail : -EACCES;
}

static void tzo_status(u32 session, u32 out[8], struct tzo_answer *a)
{
	struct tee_param p[4];
	int i;

	for (i = 0; i < 4; i++)
		tzo_value(&p[i], TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT, 0, 0);
	tzo_invoke(session, TZCHAN_PTA_CMD_STATUS, p, a);
	for (i = 0; i < 4; i++) {
		out[2 * i] = (u32)p[i].u.value.a;
		out[2 * i + 1] = (u32)p[i].u.value.b;
	}
}

/* Logs the PTA's STATUS. Returns the memory objects it holds, or -1 if it did not answer. */
static int tzo_log_status(u32 session, const char *when)
{
	struct tzo_answer a;
	u32 st[8];

	tzo_status(session, st, &a);
	if (tzo_ok(&a))
		pr_info("tzchan-optee: PTA status %s: interface %u, sessions open %u, registration %u, memory objects "
			"held %u, registrations refused %u, last lane error %d\n", when, st[0], st[2], st[4], st[5], st[6],
			(s32)st[7]);
	else
		pr_warn("tzchan-optee: PTA status %s: rc %d ret %#x\n", when, a.rc, a.ret);
	return tzo_ok(&a) ? (int)st[5] : -1;
}

static void tzo_pump_raw(u32 session, u32 gen, u32 lane, struct tzo_answer *a, u32 *flags, s32 *detail)
{
	struct tee_param p[4];

	tzo_value(&p[0], TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT, gen, lane);
	tzo_value(&p[1], TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT, 0, 0);
	tzo_value(&p[2], TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT, 0, 0);
	tzo_none(&p[3]);
	tzo_invoke(session, TZCHAN_PTA_CMD_PUMP, p, a);
	*flags = (u32)p[2].u.value.a;
	*detail = (s32)p[2].u.value.b;
}

/* The doorbell: pumps lane l until the PTA has no more to do for now. Caller holds l->ring_mutex. Returns 0, or
 * the PTA's detail code when it dropped the registration (then the device reports EPIPE from here on), or another
 * negative code for a refusal (a stale generation after a scribble: nothing to do). */
static int tzo_pump(struct tzc_lane *l)
{
	u32 lane = (u32)(l - tzc.lane), gen = READ_ONCE(tzo.gen), flags;
	struct tzo_answer a;
	s32 detail;

	if (!gen)
		return -EPIPE;
	do {
		tzo_pump_raw(tzo.sess[lane], gen, lane, &a, &flags, &detail);
		atomic64_inc(&tzc.doorbells_out);
		if (!tzo_ok(&a)) {
			if (a.rc == 0 && a.ret == TZO_BAD_FORMAT && a.origin == TZO_ORIGIN_TA) {
				/* the PTA dropped the region: nobody may wait for it any longer */
				pr_info("tzchan-optee: lane %u: the secure side dropped the region (%s)\n", lane,
					tzchan_strerror(detail));
				WRITE_ONCE(tzc.registered, false);
				tzc_doorbell_in();
				return detail ? detail : -EPIPE;
			}
			pr_warn_ratelimited("tzchan-optee: lane %u: PUMP: rc %d ret %#x origin %u\n", lane, a.rc, a.ret,
					    a.origin);
			return a.rc ? a.rc : -EIO;
		}
		if (flags & TZCHAN_PTA_PUMP_RANG)
			tzc_doorbell_in();
		if (flags & TZCHAN_PTA_PUMP_MORE)
			atomic64_inc(&tzo.pump_more);
	} while (flags & TZCHAN_PTA_PUMP_MORE);
	return 0;
}

/* The core's notify hook, under the lane's spinlock: record the ring only. */
static void tzo_notify(void *lane)
{
	struct tzc_lane *l = lane;

	/* relaxed: the ring is taken by this thread's own after_core() (program order) or earlier by another
	 * thread's atomic_xchg there (fully ordered); either pumps after the data the core published before it rang */
	atomic_set(&l->bell, 1);
}

static void tzo_after_core(struct tzc_lane *l)
{
	/* atomic_xchg (fully ordered): a recorded ring is taken by exactly one thread, which pumps; pairs with the
	 * atomic_set in tzo_notify */
	if (!atomic_xchg(&l->bell, 0))
		return;
	mutex_lock(&l->ring_mutex);
	tzo_pump(l);
	mutex_unlock(&l->ring_mutex);
}

/* ---- the test hooks -------------------------------------------------------------------------------------- */
#ifdef TZCHAN_TEST_HOOKS
/* One hostile call and its expected answer: `want_ret` from the PTA with `want_detail` (0: any), or, when
 * `before_pta`, any refusal that came before the PTA (from OP-TEE's or Linux's checks). */
static void tzo_expect(const char *what, const struct tzo_answer *a, u32 want_ret, s32 detail, s32 want_detail,
		       bool before_pta)
{
	bool ok;

	if (before_pta)
		ok = a->rc != 0 || (a->ret != TZO_SUCCESS && a->origin != TZO_ORIGIN_TA);
	else
		ok = a->rc == 0 && a->ret == want_ret && a->origin == TZO_ORIGIN_TA &&
		     (want_detail == 0 || detail == want_detail);
	tzo.hostile_total++;
	tzo.hostile_ok += ok;
	pr_info("tzchan-optee: hostile: %s: rc %d ret %#x origin %u detail %d: %s\n", what, a->rc, a->ret, a->origin,
		detail, ok ? "refused as documented" : "NOT AS DOCUMENTED");
}

/* Before the real registration: requests the PTA must refuse, each with its documented answer. */
static void tzo_hostile_before(void)
{
	size_t need = tzc.size;
	struct tzo_answer a;
	struct tee_shm *priv;
	struct tee_param p[4];
	s32 d;
	u32 g;

	tzo_register_raw(tzo.sess[0], tzo.shm, 0, need, 0, tzc.ring, &a, &d, &g);
	tzo_expect("register 0 lanes", &a, TZO_BAD_PARAMETERS, d, TZ_REG_EGEOMETRY, false);
	tzo_register_raw(tzo.sess[0], tzo.shm, 0, need, TZCHAN_PTA_MAX_LANES + 1, tzc.ring, &a, &d, &g);
	tzo_expect("register more lanes than the PTA serves", &a, TZO_BAD_PARAMETERS, d, TZ_REG_EGEOMETRY, false);
	tzo_register_raw(tzo.sess[0], tzo.shm, 0, need, tzc.lanes, tzc.ring - 1, &a, &d, &g);
	tzo_expect("register a ring size that is no power of two", &a, TZO_BAD_PARAMETERS, d, TZ_REG_EGEOMETRY, false);
	tzo_register_raw(tzo.sess[0], tzo.shm, 0, tzchan_region_size(tzc.lanes, tzc.ring) - 64, tzc.lanes, tzc.ring,
			 &a, &d, &g);
	tzo_expect("register a memref smaller than the geometry", &a, TZO_BAD_PARAMETERS, d, TZ_REG_ESIZE, false);
	tzo_register_raw(tzo.sess[0], tzo.shm, 8, need - PAGE_SIZE, tzc.lanes, tzc.ring, &a, &d, &g);
	tzo_expect("register at an offset that is not a multiple of 64", &a, TZO_BAD_PARAMETERS, d, TZ_REG_EALIGN,
		   false);
	tzo_register_raw(tzo.sess[0], tzo.shm, PAGE_SIZE, (size_t)-1 - PAGE_SIZE + 1, tzc.lanes, tzc.ring, &a, &d,
			 &g);
	tzo_expect("register offset + size past the end of the address space", &a, 0, d, 0, true);
	/* the shared memory object may be larger than the region (the allocator rounds up): go past its end */
	tzo_register_raw(tzo.sess[0], tzo.shm, 0, tzo.shm->size + PAGE_SIZE, tzc.lanes, tzc.ring, &a, &d, &g);
	tzo_expect("register a memref past the end of the shared memory", &a, 0, d, 0, true);
	tzo_register_raw(tzo.sess[0], NULL, 0, 0, tzc.lanes, tzc.ring, &a, &d, &g);
	tzo_expect("register a null memref (no shared memory object)", &a, TZO_ACCESS_DENIED, d, 0, false);
	/* memory that is not registered with OP-TEE: a driver-private buffer, which the SMC ABI passes as a
	 * temporary reference (under FF-A every buffer is shared with OP-TEE, so there is no such memory) */
	if (strcmp(debug_hostile, "smc") == 0) {
		priv = tee_shm_alloc_priv_buf(tzo.ctx, tzc.size);
		if (IS_ERR(priv)) {
			pr_err("tzchan-optee: hostile: no private buffer (%ld)\n", PTR_ERR(priv));
			tzo.hostile_total++;	/* counts as not done */
		} else {
			tzo_register_raw(tzo.sess[0], priv, 0, tzc.size, tzc.lanes, tzc.ring, &a, &d, &g);
			tzo_expect("register memory not registered with OP-TEE (a temporary reference)", &a, 0, d, 0,
				   true);
			tee_shm_free(priv);
		}
	} else {
		pr_info("tzchan-optee: hostile: unregistered memory: not expressible under FF-A (every buffer is "
			"shared with OP-TEE); the null memref above stands for it\n");
	}
	/* a region that is not laid out (all zeros): no tzchan header */
	memset(tzc.region, 0, tzc.size);
	tzo_register_raw(tzo.sess[0], tzo.shm, 0, need, tzc.lanes, tzc.ring, &a, &d, &g);
	tzo_expect("register memory without a tzchan layout", &a, TZO_BAD_FORMAT, d, TZCHAN_EPROTO, false);
	/* wrong parameter layout */
	tzo_value(&p[0], TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT, 0, 0);
	tzo_value(&p[1], TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT, tzc.lanes, tzc.ring);
	tzo_value(&p[2], TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT, 0, 0);
	tzo_none(&p[3]);
	tzo_invoke(tzo.sess[0], TZCHAN_PTA_CMD_REGISTER, p, &a);
	tzo_expect("register with a value where the memref goes", &a, TZO_BAD_PARAMETERS, 0, 0, false);
	tzo_none(&p[0]);
	tzo_none(&p[1]);
	tzo_none(&p[2]);
	tzo_invoke(tzo.sess[1], TZCHAN_PTA_CMD_UNREGISTER, p, &a);
	tzo_expect("unregister with nothing registered", &a, TZO_BAD_STATE, 0, 0, false);
	tzo_invoke(tzo.sess[0], 0x7fffffffu, p, &a);
	tzo_expect("an unknown command", &a, TZO_NOT_SUPPORTED, 0, 0, false);
}

/* After the real registration: requests that would take it over or use it wrongly. */
static void tzo_hostile_after(void)
{
	struct tzo_answer a;
	u32 g, flags;
	s32 d;

	tzo_register_raw(tzo.sess[0], tzo.shm, 0, tzc.size, tzc.lanes, tzc.ring, &a, &d, &g);
	tzo_expect("register twice on one session", &a, TZO_BAD_STATE, d, 0, false);
	tzo_register_raw(tzo.sess[1], tzo.shm, 0, tzc.size, tzc.lanes, tzc.ring, &a, &d, &g);
	tzo_expect("register from a second session while registered", &a, TZO_BUSY, d, TZ_REG_EBUSY, false);
	tzo_pump_raw(tzo.sess[0], tzo.gen, tzc.lanes, &a, &flags, &d);
	tzo_expect("pump a lane the region does not have", &a, TZO_BAD_PARAMETERS, d, 0, false);
	tzo_pump_raw(tzo.sess[0], tzo.gen + 1000, 0, &a, &flags, &d);
	tzo_expect("pump with a stale generation", &a, TZO_ITEM_NOT_FOUND, d, 0, false);
	tzo_pump_raw(tzo.sess[0], 0, 0, &a, &flags, &d);
	tzo_expect("pump with generation 0", &a, TZO_ITEM_NOT_FOUND, d, 0, false);
}

/* Debug: a hostile normal world scribbles the whole region and rings; the PTA must report TZCHAN_EPROTO and drop
 * the region, refuse it again, and accept a freshly laid out one. Returns 0 or -ERESTARTSYS (nothing changed). */
static int tzo_scribble(struct tzchan_ioc_scribble *out)
{
	struct tzo_answer a;
	u32 st[8];
	int r;

	if (mutex_lock_interruptible(&tzc.admin))
		return -ERESTARTSYS;
	if (tzc_lock_all()) {
		mutex_unlock(&tzc.admin);
		return -ERESTARTSYS;
	}
	memset(tzc.region, 0xa5, tzc.size);
	mutex_lock(&tzc.lane[0].ring_mutex);
	tzo_pump(&tzc.lane[0]);
	mutex_unlock(&tzc.lane[0].ring_mutex);
	tzo_status(tzo.sess[0], st, &a);
	out->secure_error = tzo_ok(&a) ? (s32)st[7] : -EIO;
	out->secure_registered = tzo_ok(&a) ? st[4] != 0 : 1;
	pr_info("tzchan-optee: scribbled the region; the PTA reports %s and %s it\n",
		tzchan_strerror(out->secure_error), out->secure_registered ? "still holds" : "dropped");
	if (!out->secure_registered)
		WRITE_ONCE(tzo.gen, 0);
	tzc.registered = false;

	out->reregister_scribbled = tzo_register();
	if (out->reregister_scribbled == 0) {
		struct tee_param p[4];

		tzo_none(&p[0]);
		tzo_none(&p[1]);
		tzo_none(&p[2]);
		tzo_none(&p[3]);
		tzo_invoke(tzo.sess[0], TZCHAN_PTA_CMD_UNREGISTER, p, &a);
		WRITE_ONCE(tzo.gen, 0);
	}
	r = tzc_layout(tzo_notify);
	if (r == 0) {
		out->reregister_fresh = tzo_register();
		tzc.registered = out->reregister_fresh == 0;
	} else {
		out->reregister_fresh = r;
	}
	pr_info("tzchan-optee: registering the scribbled region again: %d; a fresh one: %d (generation %u)\n",
		out->reregister_scribbled, out->reregister_fresh, tzo.gen);
	tzc_unlock_all();
	mutex_unlock(&tzc.admin);
	return 0;
}

static long tzo_ioctl(struct file *file, unsigned int cmd, void __user *uarg)
{
	switch (cmd) {
	case TZCHAN_IOC_SCRIBBLE: {
		struct tzchan_ioc_scribble out = { 0 };
		int r;

		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		r = tzo_scribble(&out);
		if (r)
			return r;
		return copy_to_user(uarg, &out, sizeof out) ? -EFAULT : 0;
	}
	case TZCHAN_IOC_VERDICT: {
		struct tzchan_ioc_verdict v;
		bool pass;

		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		if (copy_from_user(&v, uarg, sizeof v))
			return -EFAULT;
		/* The user test's verdict, with this side's own figures: the run script judges the line. */
		pass = v.failures == 0 && v.messages > 0 && tzo.hostile_ok == tzo.hostile_total;
		pr_info("tzchan-optee: summary: %llu messages written, %llu read, %llu bytes, %llu PUMP invokes "
			"(%llu with budget left over), %llu rings back, %llu protocol errors; hostile requests at this "
			"load refused as documented %u of %u\n",
			(unsigned long long)atomic64_read(&tzc.msgs_sent),
			(unsigned long long)atomic64_read(&tzc.msgs_recv),
			(unsigned long long)(atomic64_read(&tzc.bytes_sent) + atomic64_read(&tzc.bytes_recv)),
			(unsigned long long)atomic64_read(&tzc.doorbells_out),
			(unsigned long long)atomic64_read(&tzo.pump_more),
			(unsigned long long)atomic64_read(&tzc.doorbells_in),
			(unsigned long long)atomic64_read(&tzc.protocol_errors), tzo.hostile_ok, tzo.hostile_total);
		tzo_log_status(tzo.sess[0], "at the verdict");
		pr_info("tzchan-optee: VERDICT %s optee: %u failures, %u messages verified by the test\n",
			pass ? "PASS" : "FAIL", v.failures, v.messages);
		v.status = pass ? 0 : 1;
		return copy_to_user(uarg, &v, sizeof v) ? -EFAULT : 0;
	}
	case TZCHAN_IOC_GENERATION:
		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		return -EOPNOTSUPP; /* the SMC firmware's takeover; the PTA ends a registration with its session */
	default:
		return -ENOTTY;
	}
}
#endif /* TZCHAN_TEST_HOOKS */

static const struct tzc_backend tzo_backend = {
	.after_core = tzo_after_core,
#ifdef TZCHAN_TEST_HOOKS
	.ioctl = tzo_ioctl,
#endif
};

/* ---- load / unload --------------------------------------------------------------------------------------- */
static int tzo_match(struct tee_ioctl_version_data *ver, const void *data)
{
	return ver->impl_id == TEE_IMPL_ID_OPTEE;
}

static int tzo_open_session(u32 *session)
{
	static const struct {
		u32 a;
		u16 b, c;
		u8 d[8];
	} u = TZCHAN_PTA_UUID;
	struct tee_ioctl_open_session_arg arg = { .clnt_login = TEE_IOCTL_LOGIN_PUBLIC, .num_params = 0 };
	int r;

	/* the UUID as OP-TEE's messages carry it: the first three fields big-endian, then the bytes */
	arg.uuid[0] = u.a >> 24;
	arg.uuid[1] = u.a >> 16;
	arg.uuid[2] = u.a >> 8;
	arg.uuid[3] = u.a;
	arg.uuid[4] = u.b >> 8;
	arg.uuid[5] = u.b;
	arg.uuid[6] = u.c >> 8;
	arg.uuid[7] = u.c;
	memcpy(arg.uuid + 8, u.d, 8);
	r = tee_client_open_session(tzo.ctx, &arg, NULL);
	if (r == 0 && arg.ret != TZO_SUCCESS)
		r = -ENODEV;
	if (r)
		pr_err("tzchan-optee: cannot open a session on the tzchan PTA: %d (ret %#x origin %u)\n", r, arg.ret,
		       arg.ret_origin);
	*session = arg.session;
	return r;
}

/* Ends the registration and closes every session: after this the PTA holds nothing of ours. */
static void tzo_close_sessions(void)
{
	struct tee_param p[4];
	struct tzo_answer a;
	int i;

	if (READ_ONCE(tzo.gen) && debug_unload_without_unregister) {
		pr_info("tzchan-optee: debug: closing the sessions without UNREGISTER (the close must release)\n");
		WRITE_ONCE(tzo.gen, 0);
	}
	if (READ_ONCE(tzo.gen) && tzo.sess_open[0]) {
		tzo_none(&p[0]);
		tzo_none(&p[1]);
		tzo_none(&p[2]);
		tzo_none(&p[3]);
		tzo_invoke(tzo.sess[0], TZCHAN_PTA_CMD_UNREGISTER, p, &a);
		if (!tzo_ok(&a))
			pr_info("tzchan-optee: UNREGISTER: ret %#x (closing the session ends it anyway)\n", a.ret);
		WRITE_ONCE(tzo.gen, 0);
	}
	for (i = TZC_MAX_LANES - 1; i >= 0; i--)
		if (tzo.sess_open[i]) {
			tee_client_close_session(tzo.ctx, tzo.sess[i]);
			tzo.sess_open[i] = false;
		}
}

/* Reports what the PTA holds once all our sessions are closed (a fresh session of its own, closed again).
 * Returns the memory objects it holds, or -1 if it could not be asked. */
static int tzo_log_after(const char *when)
{
	int held = -1;
	u32 s;

	if (tzo_open_session(&s) == 0) {
		held = tzo_log_status(s, when);
		tee_client_close_session(tzo.ctx, s);
	}
	return held;
}

static void tzo_teardown(void)
{
	int held = -1;
	u32 i;

	tzo_close_sessions();	/* first: OP-TEE's unregistering of the memory would wait for the PTA's reference */
	for (i = 0; tzo.laid_out && i < tzc.lanes; i++)
		tzchan_close(&tzc.lane[i].ch);
	tzo.laid_out = false;
	if (tzo.ctx)
		held = tzo_log_after("after unload");
	/* The rule for giving the memory back: only when the PTA says it holds no memory object (it serves one
	 * registration, ours). If it still held one, OP-TEE's unregistering would wait for it for ever (SMC ABI) or
	 * fail (FF-A): leak the memory instead, logged; a leak is recoverable, a hung thread in both worlds is not. */
	if (tzo.shm && held == 0)
		tee_shm_free(tzo.shm);
	else if (tzo.shm)
		pr_warn("tzchan-optee: the PTA still holds a memory object (%d) with every session of ours closed: "
			"leaking the region's %zu bytes rather than waiting for it\n", held, tzc.size);
	tzo.shm = NULL;
	tzc.region = NULL;
	if (tzo.ctx)
		tee_client_close_context(tzo.ctx);
	tzo.ctx = NULL;
	tzc_lanes_free();
}

static int __init tzo_init(void)
{
	u32 i;
	int r;

	mutex_init(&tzc.admin);
	tzc.be = &tzo_backend;
	tzc.lanes = clamp_t(u32, num_online_cpus(), 2, TZCHAN_PTA_MAX_LANES);
	tzc.lanes = min_t(u32, tzc.lanes, TZC_MAX_LANES);
	tzc.ring = TZO_RING_BYTES;
	tzc.size = PAGE_ALIGN(tzchan_region_size(tzc.lanes, tzc.ring));
	r = tzc_lanes_init(tzc.lanes);
	if (r)
		return r;
	tzo.ctx = tee_client_open_context(NULL, tzo_match, NULL, NULL);
	if (IS_ERR(tzo.ctx)) {
		r = PTR_ERR(tzo.ctx);
		tzo.ctx = NULL;
		pr_err("tzchan-optee: no OP-TEE (%d)\n", r);
		goto fail;
	}
	for (i = 0; i < tzc.lanes; i++) {
		r = tzo_open_session(&tzo.sess[i]);
		if (r)
			goto fail;
		tzo.sess_open[i] = true;
		if (i == 0)
			tzo_log_status(tzo.sess[0], "at load, before registering");
	}
	tzo.shm = tee_shm_alloc_kernel_buf(tzo.ctx, tzc.size);
	if (IS_ERR(tzo.shm)) {
		r = PTR_ERR(tzo.shm);
		tzo.shm = NULL;
		goto fail;
	}
	tzc.region = tee_shm_get_va(tzo.shm, 0);
	if (IS_ERR(tzc.region)) {
		r = PTR_ERR(tzc.region);
		tzc.region = NULL;
		goto fail;
	}
#ifdef TZCHAN_TEST_HOOKS
	if (debug_hostile)
		tzo_hostile_before();
#endif
	r = tzc_layout(tzo_notify);
	if (r) {
		pr_err("tzchan-optee: laying out the region failed: %s\n", tzchan_strerror(r));
		r = -EINVAL;
		goto fail;
	}
	tzo.laid_out = true;
	r = tzo_register();
	if (r) {
		pr_err("tzchan-optee: the PTA refused the region (%u lanes of %u bytes): %d\n", tzc.lanes, tzc.ring, r);
		r = -EACCES;
		goto fail;
	}
	tzc.registered = true;
#ifdef TZCHAN_TEST_HOOKS
	if (debug_hostile) {
		tzo_hostile_after();
		pr_info("tzchan-optee: hostile: %u of %u requests refused as documented; the PTA keeps serving\n",
			tzo.hostile_ok, tzo.hostile_total);
	}
#endif
	r = tzc_cdev_register();
	if (r)
		goto fail;
	tzo.misc_up = true;
	pr_info("tzchan-optee: region of %zu bytes registered with the OP-TEE PTA as generation %u: %u lanes of "
		"%u-byte rings, one session per lane; /dev/tzchan ready\n", tzc.size, tzo.gen, tzc.lanes, tzc.ring);
	return 0;
fail:
	tzc.registered = false;
	tzo_teardown();
	return r;
}

static void __exit tzo_exit(void)
{
	if (tzo.misc_up)
		tzc_cdev_deregister();	/* no file is open: each pins the module */
	tzo.misc_up = false;
	tzc.registered = false;
	tzo_teardown();
	pr_info("tzchan-optee: unloaded: registration ended and sessions closed before the memory was freed\n");
}

module_init(tzo_init);
module_exit(tzo_exit);

MODULE_LICENSE("Dual BSD/GPL");
MODULE_DESCRIPTION("tzchan: byte messages with OP-TEE's tzchan pseudo TA through shared memory");
