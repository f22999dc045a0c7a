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
 * /dev/tzchan (a misc device: read, write, poll and the common ioctls) is tzchan_cdev.c, shared with the OP-TEE
 * client (port/optee/kmod); this file is its backend for our own secure payload.
 *
 * Test hooks (the scribble, verdict and generation ioctls, the debug_* module parameters) exist only in a build with
 * TZCHAN_TEST_HOOKS defined (Kbuild: TZCHAN_TEST_HOOKS=y, which the QEMU test sets); even there the ioctls
 * need CAP_SYS_ADMIN, because a scribble wipes every lane of every user and makes the secure side drop the region.
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
#include "tzchan_cdev.h"

static struct tzc_smc_dev {
	struct platform_device *pdev;	/* the one device bound (set first in probe, cleared last): see tzc_probe */
	phys_addr_t pa;
	int irq;
	u32 gen;		/* our registration's generation (REGISTER's w1; 0: none); changed only with every lane
				 * locked or no file open, read with READ_ONCE by the doorbell */
	int probe_err;
	bool misc_up;
	bool yielding;		/* the secure side runs on every CPU: yielding doorbell (lk_smc.h), set in probe */
	atomic64_t resumes;	/* LK_SMC_RESUME calls made */
} smc;

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

/*
 * The yielding doorbell of a secure side that runs on every CPU (the SMP firmware, lk_smc.h): it serves the lanes
 * on this CPU and answers LK_SMC_PREEMPTED when one of our interrupts became pending; the interrupt is taken as the
 * SMC returns (interrupts are enabled here), then LK_SMC_RESUME continues the same call. Preemption stays off from
 * the doorbell to the last resume: the preempted call lives on this CPU's secure side, and a resume made on
 * another CPU would find nothing there while this one stayed preempted. Process context, no spinlock held
 * (after_core below, or the scribble test).
 */
static void tzc_ring_yielding(u32 gen)
{
	struct arm_smccc_res res;
	int r;

	preempt_disable();
	r = tzc_smc(LK_SMC_YDOORBELL, gen, 0, 0, 0, 0, &res);
	while (r == LK_SMC_PREEMPTED) {
		atomic64_inc(&smc.resumes);
		r = tzc_smc(LK_SMC_RESUME, 0, 0, 0, 0, 0, &res);
	}
	preempt_enable();
}

/* Rings with our generation: if another registration has taken over, the secure side refuses (TZ_REG_ESTALE) and
 * serves nothing, so a doorbell of ours can never wake the secure side for a region that is not ours. */
static void tzc_ring_secure(void *ctx)
{
	struct arm_smccc_res res;

	if (smc.yielding)
		tzc_ring_yielding(READ_ONCE(smc.gen));
	else
		tzc_smc(LK_SMC_DOORBELL, READ_ONCE(smc.gen), 0, 0, 0, 0, &res);
	atomic64_inc(&tzc.doorbells_out);
}

/* The core's notify hook with the yielding doorbell, under the lane's spinlock: record the ring only; the call is
 * made by after_core once the spinlock is dropped. */
static void tzc_notify_bell(void *lane)
{
	struct tzc_lane *l = lane;

	/* relaxed: the ring is taken by this thread's own after_core() (program order) or earlier by another
	 * thread's atomic_xchg there (fully ordered); either rings after the data the core published before */
	atomic_set(&l->bell, 1);
}

static void tzc_after_core_yielding(struct tzc_lane *l)
{
	/* atomic_xchg (fully ordered): a recorded ring is taken by exactly one thread; pairs with tzc_notify_bell */
	if (atomic_xchg(&l->bell, 0))
		tzc_ring_secure(NULL);
}

/* The core's doorbell hook for this secure side. */
static void (*tzc_notify(void))(void *)
{
	return smc.yielding ? tzc_notify_bell : tzc_ring_secure;
}

static irqreturn_t tzc_irq(int irq, void *data)
{
	tzc_doorbell_in();
	return IRQ_HANDLED;
}

/* Registers the region (or debug_register_pa). Returns 0 with *gen = the new generation, or the refusal. */
static int tzc_register(u32 *gen)
{
	struct arm_smccc_res res;
	u64 pa = debug_register_pa ? debug_register_pa : smc.pa;
	int r = tzc_smc(TZ_SMC_REGISTER, lower_32_bits(pa), upper_32_bits(pa), (u32)tzc.size, tzc.lanes, tzc.ring,
			&res);

	*gen = r == 0 ? (u32)res.a1 : 0;
	return r;
}


/* ---- the test ioctls -------------------------------------------------------------------------------------- */
#ifdef TZCHAN_TEST_HOOKS
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
	if (tzc_lock_all()) {
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
		WRITE_ONCE(smc.gen, 0);
	pr_info("tzchan: scribbled the region; the secure side reports %s and %s it\n",
		tzc_code_name(out->secure_error), out->secure_registered ? "still holds" : "dropped");

	out->reregister_scribbled = tzc_register(&gen);
	pr_info("tzchan: registering the scribbled region again: %s\n",
		out->reregister_scribbled ? tzc_code_name(out->reregister_scribbled) : "accepted");
	if (out->reregister_scribbled == 0)
		tzc_smc(TZ_SMC_UNREGISTER, gen, 0, 0, 0, 0, &res);

	r = tzc_layout(tzc_notify());
	if (r == 0) {
		out->reregister_fresh = tzc_register(&gen);
		tzc.registered = out->reregister_fresh == 0;
		WRITE_ONCE(smc.gen, gen);
		pr_info("tzchan: fresh region: %s\n",
			out->reregister_fresh ? tzc_code_name(out->reregister_fresh) : "accepted");
	} else {
		out->reregister_fresh = r;
	}
	tzc_unlock_all();
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

	mutex_lock(&tzc.admin);	/* the scribble changes smc.gen under it */
	g->generation = smc.gen;
	if (g->stale != 0 && g->stale == smc.gen) {
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
	g->secure_status = tzc_smc(TZ_SMC_STATUS, smc.gen, 0, 0, 0, 0, &res);
	g->secure_error = (s32)res.a1;
	g->secure_generation = (u32)res.a3;
out:
	mutex_unlock(&tzc.admin);
	return r;
}

/* The test hooks' ioctls (the shared character device passes on what it does not know). */
static long tzc_smc_ioctl(struct file *file, unsigned int cmd, void __user *uarg)
{
	switch (cmd) {
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
	default:
		return -ENOTTY;
	}
}
#endif /* TZCHAN_TEST_HOOKS */

/* Fast SMC doorbells ring inside the core's call (an SMC never sleeps): nothing to do after it. */
static const struct tzc_backend tzc_smc_backend = {
#ifdef TZCHAN_TEST_HOOKS
	.ioctl = tzc_smc_ioctl,
#endif
};

/* The yielding doorbell serves the lanes before it returns: rung after the core call, outside the spinlock. */
static const struct tzc_backend tzc_smc_backend_yielding = {
	.after_core = tzc_after_core_yielding,
#ifdef TZCHAN_TEST_HOOKS
	.ioctl = tzc_smc_ioctl,
#endif
};

/* ---- probe / load / unload ------------------------------------------------------------------------------- */
/* Asks the secure side to close its ends and unmap the region of our generation. Returns its answer: 0,
 * TZ_REG_ENOTREG (it had dropped the region), or TZ_REG_ESTALE (another registration took over ours and
 * nothing was changed; tzc_release_region then leaks the pages, as for any answer but the first two). */
static int tzc_unregister(void)
{
	struct arm_smccc_res res;
	int r = tzc_smc(TZ_SMC_UNREGISTER, smc.gen, 0, 0, 0, 0, &res);

	if (debug_unregister_result)
		r = debug_unregister_result;
	tzc.registered = false;
	smc.gen = 0;
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
			 "secure side may still write\n", tzc_code_name(unreg), unreg, &smc.pa, tzc.size);
	}
	tzc.region = NULL;
}


static int tzc_probe(struct platform_device *pdev)
{
	struct platform_device *owner;
	size_t need;
	int r, unreg;

	/* One instance only: the state is global (one region registered with the secure side, which accepts one,
	 * and one /dev/tzchan). A second device (another tzchan node, or one forced on us through driver_override)
	 * must not re-initialise the state the first one uses. */
	owner = cmpxchg(&smc.pdev, NULL, pdev);
	if (owner) {
		dev_err(&pdev->dev, "not binding: the tzchan driver serves one device and %s has it\n",
			dev_name(&owner->dev));
		return -EBUSY;
	}
	{
		/* which secure side: one that runs on every CPU answers a resume with nothing preempted; the other
		 * one does not know the call (SMCCC's unknown) */
		struct arm_smccc_res res;

		smc.yielding = tzc_smc(LK_SMC_RESUME, 0, 0, 0, 0, 0, &res) == LK_SMC_ENOTPREEMPTED;
	}
	tzc.be = smc.yielding ? &tzc_smc_backend_yielding : &tzc_smc_backend;
	tzc.lanes = LK_LANES;
	tzc.cpu_lane0 = tzc.cpu_lanes = 0;
	if (smc.yielding) {
		/* the secure side runs on every CPU: a lane per CPU after the two test lanes (per-CPU mode) */
		tzc.cpu_lanes = min_t(u32, num_possible_cpus(), TZC_MAX_LANES - LK_LANES);
		tzc.cpu_lane0 = LK_LANES;
		tzc.lanes = LK_LANES + tzc.cpu_lanes;
	}
	tzc.ring = LK_RING_BYTES;
	need = tzchan_region_size(tzc.lanes, tzc.ring);
	tzc.size = PAGE_ALIGN(need);
	r = tzc_lanes_init(tzc.lanes);
	if (r)
		goto fail;
	/* physically contiguous, page aligned, in the linear map (normal write-back memory, as the secure side
	 * maps it: no cache maintenance is needed between the worlds) */
	tzc.region = alloc_pages_exact(tzc.size, GFP_KERNEL | __GFP_ZERO);
	if (!tzc.region) {
		r = -ENOMEM;
		goto fail;
	}
	smc.pa = virt_to_phys(tzc.region);
	r = tzc_layout(tzc_notify());
	if (r) {
		dev_err(&pdev->dev, "laying out the region failed: %s\n", tzchan_strerror(r));
		r = -EINVAL;
		goto fail_region;
	}

	smc.irq = platform_get_irq(pdev, 0);
	if (smc.irq < 0) {
		r = smc.irq;
		goto fail_region;
	}
	r = request_irq(smc.irq, tzc_irq, 0, "tzchan-doorbell", &tzc);
	if (r)
		goto fail_region;

	r = tzc_register(&smc.gen);
	if (r) {
		dev_err(&pdev->dev, "the secure side refused region %#llx+%#zx (%u lanes of %u bytes): %s (%d)\n",
			debug_register_pa ? debug_register_pa : (u64)smc.pa, tzc.size, tzc.lanes, tzc.ring,
			tzc_code_name(r), r);
		r = -EACCES;
		goto fail_irq;
	}
	tzc.registered = true;
	r = debug_fail_probe ? -EIO : tzc_cdev_register();
	if (r)
		goto fail_unregister;
	smc.misc_up = true;
	dev_info(&pdev->dev, "region %pa+%#zx registered with the secure side as generation %u: %u lanes of "
		 "%u-byte rings, doorbell irq %d, %s doorbell; /dev/tzchan ready\n", &smc.pa, tzc.size, smc.gen,
		 tzc.lanes, tzc.ring, smc.irq, smc.yielding ? "yielding (secure side on every CPU)" : "fast");
	return 0;

fail_unregister:
	unreg = tzc_unregister();
	free_irq(smc.irq, &tzc);
	tzc_release_region(&pdev->dev, unreg);
	goto fail;
fail_irq:
	free_irq(smc.irq, &tzc);
fail_region:
	/* never registered (or refused): the secure side does not map it */
	free_pages_exact(tzc.region, tzc.size);
	tzc.region = NULL;
fail:
	tzc_lanes_free();
	smc.probe_err = r;
	smp_store_release(&smc.pdev, NULL);	/* last: the state is free for another probe */
	return r;
}

static int tzc_remove(struct platform_device *pdev)
{
	u32 i;
	int unreg;

	if (smc.misc_up)
		tzc_cdev_deregister();
	smc.misc_up = false;
	if (debug_crash_unload) {
		/* a crash: nothing said to the secure side, nothing written to the region, the pages never reused */
		dev_warn(&pdev->dev, "debug_crash_unload: leaving region %pa+%#zx registered as generation %u, side A "
			 "open, pages leaked, as a crashed driver would\n", &smc.pa, tzc.size, smc.gen);
		free_irq(smc.irq, &tzc);
		tzc.region = NULL;
		tzc.registered = false;
		smc.gen = 0;
		tzc_lanes_free();
		smp_store_release(&smc.pdev, NULL);
		return 0;
	}
	/* the secure side closes its ends and unmaps first; only then is the memory ours alone again */
	unreg = tzc_unregister();
	for (i = 0; i < tzc.lanes; i++)
		tzchan_close(&tzc.lane[i].ch);
	free_irq(smc.irq, &tzc);
	tzc_release_region(&pdev->dev, unreg);
	tzc_lanes_free();
	smp_store_release(&smc.pdev, NULL);	/* last: the state is free for another probe */
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
	smc.probe_err = -ENODEV;	/* stays so if the device tree has no tzchan node */
	r = platform_driver_register(&tzc_driver);
	if (r)
		return r;
	if (!tzc.registered) {	/* probe ran synchronously and failed, or found no device */
		platform_driver_unregister(&tzc_driver);
		pr_err("tzchan: not loaded (%d)\n", smc.probe_err);
		return smc.probe_err;
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
