/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tzchan-test: the user-space end of the Linux normal-world test, run as /init of the initramfs (or by hand on a
 * running system with the module loaded). Through /dev/tzchan it
 *   1. sends messages of 0 B .. 6 MiB on lane 0 and checks every answer of the secure side (length, CRC-32 and
 *      sequence number), reading one answer in two pieces to check the message boundary rule;
 *   2. streams 2000 messages of mixed sizes with O_NONBLOCK and poll(), writing and reading as readiness allows;
 *   3. asks lane 1's generator for messages of 0 B .. 5 MiB, reads them through a small buffer (short reads) and
 *      checks every byte, and that no read crosses a message boundary;
 *   4. lets a 1 ms interval timer interrupt blocked reads and writes (no SA_RESTART) and checks that nothing is
 *      lost or duplicated: an interrupted write is repeated and resumes, an interrupted read returns the bytes
 *      so far and the next read continues;
 *   5. makes the driver scribble the region (debug ioctl): the secure side must report TZCHAN_EPROTO, drop the
 *      region and refuse it again, then accept a fresh one, and traffic must work again;
 *   6. unloads and reloads the module (unregister / register), sends again;
 *   7. hardening (as /init only): the test ioctls refuse a caller without CAP_SYS_ADMIN (EPERM); RX_INFO and the
 *      scribble, queued behind a reader blocked in read(), return EINTR on a signal; lane switches racing with
 *      interrupted writes on many threads leave no message behind; a reader blocked in read() and a poller
 *      blocked in poll() are woken by the secure side's answer to another thread's request; an unbind through
 *      sysfs with files open is refused and the files stay usable; a second device forced on the driver is refused; the probe's error
 *      path and remove follow one rule for freeing the region (both branches, through the debug parameters);
 *      restart: with traffic in flight the driver is unloaded as if it had crashed (no UNREGISTER, region
 *      leaked) and loaded again; the secure side must take over (new generation, its old users see
 *      TZCHAN_EPIPE), refuse the old generation in a doorbell, STATUS and UNREGISTER, and traffic both ways must
 *      verify on the new region;
 *   8. runs the hostile program (/tzchan-hostile: random calls on many threads, signals, closes, unbinds);
 * and, before all that, loads the module once with a region in secure RAM, which must be refused (the module
 * must not load);
 * then prints a summary, hands its verdict to the secure side and powers off (PSCI SYSTEM_OFF), which the
 * firmware turns into QEMU's exit status. Exit status when run by hand: 0 pass, 1 fail.
 * Arguments: [--production] [--smp] [--serve-in-call] [--only=<names>] [--parts=<names>] [module path]; --only
 * runs just the named parts of 7 and 8 (comma separated: priv, intr, wake, setlane, unbind, second, probe,
 * restart, kill, hostile) after loading the module, to try one of them alone; --parts runs everything up to 6 and
 * then only the named parts of 7 and 8 (for a secure side that does not support the others; it prints which ran).
 * --serve-in-call: the secure side drains the lanes inside the writer's own doorbell call (Genode's VMM on one CPU):
 * the unbind item first stalls the secure side (echoes left unread) so that a nonblocking write can leave a message
 * open, which that drain would otherwise never allow.
 * --smp: the firmware for an SMP Linux (every CPU runs its own secure side, entered by the yielding doorbell);
 * implies --serve-in-call and adds the SMP items.
 * --production tests a production driver (built without TZCHAN_TEST_HOOKS, e.g. by DKMS from the tzchan-dkms
 * package): the parts that need a test hook are skipped, each with its reason (the secure-RAM refusal, the
 * scribble, the scribble's EINTR case, the probe's error paths, the restart); `priv` checks instead that the test
 * ioctls are absent (ENOTTY, for root and nobody alike) and that the module has no debug_* parameter; and the
 * verdict travels as a message on lane 1 (struct lk_verdict), as the driver has no verdict ioctl.
 * --optee=<smc|ffa> tests port/optee's tzchan.ko, the client of OP-TEE's tzchan pseudo TA (the ABI Linux reaches
 * OP-TEE by): the module is loaded with debug_hostile=<abi> (hostile registrations and pumps at load, judged by the
 * module) instead of the secure-RAM refusal; the parts that are about our own firmware and its platform device
 * (unbind, second, probe, restart) are skipped, each with its reason; `kill` is added: a process streaming both
 * ways is killed mid-transfer, the module cannot be unloaded while its files are open (EWOULDBLOCK at once, no
 * hang), then unloads without UNREGISTER (closing its sessions must make the PTA give the region up: the module
 * logs the PTA's status) and reloads, and traffic both ways verifies on the new registration. With no client of
 * the PTA active -- before the first load, after each unload, and after a final unload once the verdict is handed
 * over -- it runs /tzchan-optee-counts (port/optee's init program) for a line of OP-TEE's own thread, shared-memory
 * and heap counts; port/optee/run-optee.sh requires every one to equal the first.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lk_smc.h"
#include "tz_crc32.h"
#include "tz_region.h"
#include "tzchan_ioctl.h"

#define MIB (1024u * 1024u)
#define TZCHAN_EPROTO_CODE (-4)
#define TZCHAN_EPIPE_CODE (-6)

static unsigned failures, verified;
static bool production; /* --production: the driver has no test hooks */
static bool smp_fw; /* --smp: the firmware for an SMP Linux (the secure side on every CPU, yielding doorbell) */
/* --serve-in-call (implied by --smp): the secure side drains a lane inside the writer's own doorbell call */
static bool serve_in_call;
/* 1-byte messages that fill the echo ring of a 64 KiB lane (32-byte echo records) and then some */
#define UNBIND_STALL_MSGS 2100u
static const char *optee; /* --optee=<smc|ffa>: the driver is port/optee's client of OP-TEE's tzchan PTA */
static uint64_t echo_seq[LK_MAX_LANES];
static unsigned char *big, *rbuf;
static volatile sig_atomic_t ticks;

static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("FAIL: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	failures++;
}

/* --optee: OP-TEE's own counts now (threads in use, shared-memory objects, core heap), printed as one
 * "optee-counts <when>: ..." line by port/optee's /tzchan-optee-counts; run only with no client of the PTA
 * active (the module unloaded), so every such line must equal the first (port/optee/run-optee.sh compares). */
static void optee_counts(const char *when)
{
	pid_t pid = fork();
	int status = 0;

	if (pid == 0) {
		execl("/tzchan-optee-counts", "tzchan-optee-counts", "--counts", when, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail("OP-TEE's counts %s: /tzchan-optee-counts failed (status %#x)", when, status);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fill(unsigned char *p, size_t n, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (unsigned char)x;
	}
}

static int open_lane(uint32_t lane, int flags)
{
	int fd = open("/dev/tzchan", O_RDWR | flags);
	if (fd < 0) {
		fail("open /dev/tzchan: %s", strerror(errno));
		return -1;
	}
	if (ioctl(fd, TZCHAN_IOC_SET_LANE, &lane) != 0) {
		fail("TZCHAN_IOC_SET_LANE %u: %s", lane, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* write() until the message is sent: an interrupted write is repeated with the same arguments and resumes. */
static int write_msg(int fd, const void *buf, size_t len, unsigned *interrupted)
{
	for (;;) {
		ssize_t r = write(fd, buf, len);
		if (r == (ssize_t)len)
			return 0;
		if (r < 0 && errno == EINTR) {
			if (interrupted)
				(*interrupted)++;
			continue;
		}
		fail("write(%zu): %zd (%s)", len, r, r < 0 ? strerror(errno) : "short");
		return -1;
	}
}

/* Reads exactly one message of `len` bytes through reads of at most `chunk` bytes; checks that the message
 * ends there (the next byte would belong to another message). */
static int read_msg(int fd, unsigned char *buf, size_t len, size_t chunk, unsigned *interrupted, unsigned *shorts)
{
	size_t got = 0;
	struct tzchan_ioc_rxinfo info;
	do {
		size_t want = chunk;
		ssize_t r = read(fd, buf + got, want);
		if (r < 0 && errno == EINTR) {
			if (interrupted)
				(*interrupted)++;
			continue;
		}
		if (r < 0) {
			fail("read: %s", strerror(errno));
			return -1;
		}
		if ((size_t)r < want && got + (size_t)r < len && shorts)
			(*shorts)++; /* interrupted after some bytes: the rest comes next */
		got += (size_t)r;
		if (got > len) {
			fail("read crossed a message boundary: %zu bytes for a %zu-byte message", got, len);
			return -1;
		}
		if (ioctl(fd, TZCHAN_IOC_RX_INFO, &info) != 0) {
			fail("TZCHAN_IOC_RX_INFO: %s", strerror(errno));
			return -1;
		}
		if (got == len && info.in_message) {
			fail("message of %zu bytes does not end where it should", len);
			return -1;
		}
		if (got < len && !info.in_message) {
			fail("message ended after %zu of %zu bytes", got, len);
			return -1;
		}
	} while (got < len);
	return 0;
}

static int check_echo(const struct lk_echo *e, uint32_t lane, const unsigned char *msg, size_t len)
{
	uint32_t crc = tz_crc32(0, msg, len);
	echo_seq[lane]++;
	if (e->magic != LK_ECHO_MAGIC || e->len != len || e->crc != crc || e->seq != echo_seq[lane]) {
		fail("lane %u echo: magic %#x len %llu (want %zu) crc %#x (want %#x) seq %llu (want %llu)", lane,
		     e->magic, e->len, len, e->crc, crc, e->seq, (unsigned long long)echo_seq[lane]);
		return -1;
	}
	verified++;
	return 0;
}

/* One echo round trip on a blocking fd. */
static int echo_once(int fd, uint32_t lane, const unsigned char *msg, size_t len, unsigned *interrupted)
{
	struct lk_echo e;
	if (write_msg(fd, msg, len, interrupted))
		return -1;
	if (read_msg(fd, (unsigned char *)&e, sizeof e, sizeof e, interrupted, NULL))
		return -1;
	return check_echo(&e, lane, msg, len);
}

/* Doorbells per message (both directions, both ways) over one phase: how often a side had to be woken. */
static int stats_fd = -1;
static struct tzchan_ioc_stats phase_st;
static void phase_begin(void)
{
	ioctl(stats_fd, TZCHAN_IOC_GET_STATS, &phase_st);
}
static void phase_end(const char *name)
{
	struct tzchan_ioc_stats st;
	if (ioctl(stats_fd, TZCHAN_IOC_GET_STATS, &st) != 0)
		return;
	uint64_t msgs = st.msgs_sent + st.msgs_recv - phase_st.msgs_sent - phase_st.msgs_recv;
	uint64_t bells = st.doorbells_out + st.doorbells_in - phase_st.doorbells_out - phase_st.doorbells_in;
	uint64_t bytes = st.bytes_sent + st.bytes_recv - phase_st.bytes_sent - phase_st.bytes_recv;
	printf("  %s: %llu messages, %.1f MiB, %llu doorbells (%llu to secure, %llu from secure): %.3f per message, "
	       "%.1f KiB per doorbell\n", name, (unsigned long long)msgs, (double)bytes / MIB, (unsigned long long)bells,
	       (unsigned long long)(st.doorbells_out - phase_st.doorbells_out),
	       (unsigned long long)(st.doorbells_in - phase_st.doorbells_in), msgs ? (double)bells / (double)msgs : 0.0,
	       bells ? (double)bytes / 1024.0 / (double)bells : 0.0);
}

/* ---- 1: sizes ------------------------------------------------------------------------------------------- */
static void test_sizes(int fd, uint64_t *bytes)
{
	static const size_t sizes[] = {0, 1, 7, 8, 63, 64, 100, 1000, 4095, 4096, 16383, 16384, 16385, 32767, 32768,
	                               32769, 65536, 100000, 1 * MIB, 3 * MIB + 5, 6 * MIB};
	struct lk_echo e;
	unsigned char *pe = (unsigned char *)&e;
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		fill(big, sizes[i], i + 1);
		if (echo_once(fd, 0, big, sizes[i], NULL))
			return;
		*bytes += sizes[i];
	}
	/* the boundary rule: an answer read through a 5-byte buffer arrives in pieces, in order, and the piece
	 * that ends it ends the read */
	fill(big, 777, 99);
	if (write_msg(fd, big, 777, NULL))
		return;
	if (read(fd, rbuf, 5) != 5 || read(fd, rbuf + 5, 5) != 5 || read(fd, rbuf + 10, 64) != (ssize_t)sizeof e - 10) {
		fail("short reads of a %zu-byte answer did not split as expected", sizeof e);
		return;
	}
	memcpy(pe, rbuf, sizeof e);
	check_echo(&e, 0, big, 777);
	*bytes += 777;
	printf("sizes: %zu messages of 0 B .. 6 MiB echoed and verified, one answer read in three pieces\n",
	       sizeof sizes / sizeof sizes[0] + 1);
}

/* ---- 2: poll pipeline ------------------------------------------------------------------------------------ */
static void test_poll(uint64_t *bytes)
{
	enum { N = 2000 };
	int fd = open_lane(0, O_NONBLOCK);
	unsigned sent = 0, answered = 0, eagain = 0, polls = 0;
	size_t lens[N];
	uint32_t crcs[N];
	unsigned char msg[3000];
	if (fd < 0)
		return;
	for (unsigned i = 0; i < N; i++)
		lens[i] = (i * 7919u) % sizeof msg;
	while (answered < N) {
		struct pollfd p = {fd, POLLIN | (sent < N ? POLLOUT : 0), 0};
		int n = poll(&p, 1, 5000);
		polls++;
		if (n <= 0) {
			fail("poll: %s after %u sent, %u answered", n ? strerror(errno) : "timeout", sent, answered);
			break;
		}
		if (p.revents & (POLLERR | POLLHUP)) {
			fail("poll: revents %#x", p.revents);
			break;
		}
		while ((p.revents & POLLOUT) && sent < N) {
			fill(msg, lens[sent], 1000 + sent);
			ssize_t r = write(fd, msg, lens[sent]);
			if (r < 0 && errno == EAGAIN) {
				eagain++;
				break;
			}
			if (r != (ssize_t)lens[sent]) {
				fail("nonblocking write: %zd (%s)", r, strerror(errno));
				goto out;
			}
			crcs[sent] = tz_crc32(0, msg, lens[sent]);
			*bytes += lens[sent];
			sent++;
		}
		for (;;) {
			struct lk_echo e;
			ssize_t r = read(fd, &e, sizeof e);
			if (r < 0 && errno == EAGAIN) {
				eagain++;
				break;
			}
			if (r != (ssize_t)sizeof e || answered >= sent) {
				fail("nonblocking read: %zd (%s)", r, strerror(errno));
				goto out;
			}
			echo_seq[0]++;
			if (e.magic != LK_ECHO_MAGIC || e.len != lens[answered] || e.crc != crcs[answered] ||
			    e.seq != echo_seq[0]) {
				fail("poll echo %u: len %llu/%zu crc %#x/%#x", answered, e.len, lens[answered], e.crc,
				     crcs[answered]);
				goto out;
			}
			verified++;
			answered++;
		}
	}
	printf("poll: %u messages written and answered with O_NONBLOCK through poll() (%u polls, %u EAGAIN)\n",
	       answered, polls, eagain);
out:
	close(fd);
}

/* ---- --smp: per-CPU lanes (TZCHAN_IOC_SET_PERCPU) ------------------------------------------------------------ *
 * One thread pinned to each CPU, all at once, on files in per-CPU mode: each writes multi-MiB messages (the secure
 * side answers with length and CRC-32) and asks for multi-MiB generated ones (every byte checked here), and every
 * message must travel on the lane of the thread's CPU. Then a writer that migrates mid-message: pinned to CPU1, it
 * writes one 8 MiB message while another thread moves it between the other CPUs (sched_setaffinity); the message
 * must stay on CPU1's lane whole, and so must its answer. Threads count their own failures (fail() is not
 * thread-safe); the main thread reports them. */
#define PC_ROUNDS 2u
#define PC_WAIT_MS 60000 /* an answer that does not come on the expected lane within this is a failure, not a hang */

struct pc_thread {
	int cpu;
	pthread_t th;
	unsigned bad, lane_bad, msgs;
	uint64_t bytes;
	char why[160];
};

static int pin_to(pid_t tid, int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(tid, sizeof set, &set);
}

static int pc_open(void)
{
	uint32_t on = 1;
	int fd = open("/dev/tzchan", O_RDWR);
	if (fd >= 0 && ioctl(fd, TZCHAN_IOC_SET_PERCPU, &on) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int pc_lane(int fd)
{
	struct tzchan_ioc_stats st;
	return ioctl(fd, TZCHAN_IOC_GET_STATS, &st) == 0 ? (int)st.lane : -1;
}

/* Reads exactly len bytes of one message (blocking, waiting at most PC_WAIT_MS for each piece). */
static int pc_read(int fd, unsigned char *buf, size_t len, char *why, size_t whylen)
{
	size_t got = 0;
	struct tzchan_ioc_rxinfo info;
	do {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t r;
		if (poll(&p, 1, PC_WAIT_MS) != 1) {
			snprintf(why, whylen, "no answer on lane %d within %d ms", pc_lane(fd), PC_WAIT_MS);
			return -1;
		}
		r = read(fd, buf + got, len - got < 65536 ? len - got : 65536);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(why, whylen, "read: %zd (%s)", r, r < 0 ? strerror(errno) : "empty");
			return -1;
		}
		got += (size_t)r;
		if (ioctl(fd, TZCHAN_IOC_RX_INFO, &info) != 0 || (got == len) == (info.in_message != 0)) {
			snprintf(why, whylen, "message boundary wrong after %zu of %zu bytes", got, len);
			return -1;
		}
	} while (got < len);
	return 0;
}

static int pc_write(int fd, const void *buf, size_t len, char *why, size_t whylen)
{
	for (;;) {
		ssize_t r = write(fd, buf, len);
		if (r == (ssize_t)len)
			return 0;
		if (r < 0 && errno == EINTR)
			continue;
		snprintf(why, whylen, "write(%zu): %zd (%s)", len, r, r < 0 ? strerror(errno) : "short");
		return -1;
	}
}

/* One message out (answered with its length and CRC-32) and one generated message in, on this file's lane. */
static int pc_exchange(int fd, unsigned char *msg, size_t len, size_t glen, uint64_t seed, char *why, size_t wl)
{
	struct lk_echo e;
	struct lk_gen_req q = {LK_GEN_MAGIC, 0, glen, seed};
	fill(msg, len, seed);
	if (pc_write(fd, msg, len, why, wl) || pc_read(fd, (unsigned char *)&e, sizeof e, why, wl))
		return -1;
	if (e.magic != LK_ECHO_MAGIC || e.len != len || e.crc != tz_crc32(0, msg, len)) {
		snprintf(why, wl, "answer to a %zu-byte message: magic %#x len %llu crc %#x, want crc %#x", len, e.magic,
			 e.len, e.crc, tz_crc32(0, msg, len));
		return -1;
	}
	if (pc_write(fd, &q, sizeof q, why, wl) || pc_read(fd, msg, glen, why, wl))
		return -1;
	for (size_t i = 0; i < glen; i++)
		if (msg[i] != lk_gen_byte(seed, i)) {
			snprintf(why, wl, "generated message of %zu bytes: byte %zu is %#x, want %#x", glen, i, msg[i],
				 lk_gen_byte(seed, i));
			return -1;
		}
	return 0;
}

static void *pc_worker(void *p)
{
	struct pc_thread *t = p;
	unsigned char *msg = malloc(3 * MIB);
	int fd = -1;

	if (!msg || pin_to(0, t->cpu) != 0 || (fd = pc_open()) < 0) {
		snprintf(t->why, sizeof t->why, "set-up on CPU%d: %s", t->cpu, strerror(errno));
		t->bad++;
		goto out;
	}
	for (unsigned r = 0; r < PC_ROUNDS; r++) {
		size_t len = 2 * MIB + (size_t)t->cpu * 4099u + r * 777u, glen = 3 * MIB / 2 + (size_t)t->cpu * 333u + r;
		if (pc_exchange(fd, msg, len, glen, 5000u + 10u * (unsigned)t->cpu + r, t->why, sizeof t->why)) {
			t->bad++;
			break;
		}
		/* mutant: every CPU's messages on one lane (the driver ignoring the CPU) fails here */
		if (pc_lane(fd) != (int)LK_LANES + t->cpu)
			t->lane_bad++;
		t->msgs += 2;
		t->bytes += len + glen;
	}
out:
	if (fd >= 0)
		close(fd);
	free(msg);
	return NULL;
}

struct mig {
	int fd, start_cpu, end_cpu;
	pid_t tid;
	int writing; /* 1 while the write runs (atomics) */
	size_t len;
	unsigned char *msg;
	int rc;
	char why[160];
};

static void *mig_writer(void *p)
{
	struct mig *m = p;
	pin_to(0, 1);
	m->start_cpu = sched_getcpu();
	/* 1-byte messages on this CPU's lane, answers left unread: the secure side stops reading the lane once
	 * their answers fill it (as in the unbind item), so the 8 MiB write below must sleep for room mid-message */
	for (unsigned k = 0; k < UNBIND_STALL_MSGS; k++) {
		unsigned char b = (unsigned char)k;
		if (pc_write(m->fd, &b, 1, m->why, sizeof m->why) != 0) {
			m->rc = -1;
			__atomic_store_n(&m->writing, 2, __ATOMIC_RELEASE); /* pairs with the mover's acquire */
			return NULL;
		}
	}
	/* release: tid and start_cpu are written before the mover acts on them; pairs with its acquire */
	__atomic_store_n(&m->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELAXED);
	__atomic_store_n(&m->writing, 1, __ATOMIC_RELEASE);
	m->rc = pc_write(m->fd, m->msg, m->len, m->why, sizeof m->why);
	__atomic_store_n(&m->writing, 0, __ATOMIC_RELEASE); /* pairs with the mover's acquire */
	m->end_cpu = sched_getcpu();
	return NULL;
}

/* A message left open by an O_NONBLOCK write() on one CPU (EAGAIN halfway: 1-byte messages with unread answers
 * first fill the lane's answer ring, so the secure side stops reading the lane, as for the migrating writer) and
 * finished by later write()s of the same file from another CPU: it must stay whole on its first CPU's lane. */
static void test_percpu_resume(uint64_t *bytes, unsigned n)
{
	const int first = (int)n - 2, second = 0; /* CPU2 and CPU0 with 4 CPUs */
	const size_t len = 8 * MIB;
	unsigned resumes = 0, k;
	struct lk_echo e;
	char why[160] = "";
	ssize_t r;
	int fd = -1, on_cpu;

	fill(big, len, 6200);
	if (pin_to(0, first) != 0 || (fd = pc_open()) < 0 || fcntl(fd, F_SETFL, O_NONBLOCK) != 0) {
		fail("resumed message: set-up on CPU%d: %s", first, strerror(errno));
		goto out;
	}
	for (k = 0; k < UNBIND_STALL_MSGS; k++) {
		unsigned char b = (unsigned char)k;
		struct pollfd p = {fd, POLLOUT, 0};
		r = write(fd, &b, 1);
		if (r == 1)
			continue;
		if (r < 0 && errno == EAGAIN && poll(&p, 1, PC_WAIT_MS) == 1) {
			k--;
			continue;
		}
		fail("resumed message: stalling message %u: %zd (%s)", k, r, r < 0 ? strerror(errno) : "short");
		goto out;
	}
	/* the first write() of the message, on `first`: takes what fits and stops (EAGAIN) with the message open */
	r = write(fd, big, len);
	on_cpu = sched_getcpu();
	if (r >= 0 || errno != EAGAIN || on_cpu != first) {
		fail("resumed message: the O_NONBLOCK write of %zu bytes on CPU%d returned %zd (%s), want EAGAIN on CPU%d",
		     len, on_cpu, r, r < 0 ? strerror(errno) : "no error", first);
		goto out;
	}
	/* release the stall: read the 1-byte messages' answers (on the lane of the file's open message) */
	for (k = 0; k < UNBIND_STALL_MSGS; k++) {
		unsigned char b = (unsigned char)k;
		if (pc_read(fd, (unsigned char *)&e, sizeof e, why, sizeof why) != 0 || e.magic != LK_ECHO_MAGIC ||
		    e.len != 1 || e.crc != tz_crc32(0, &b, 1)) {
			fail("resumed message: the answer to stalling message %u is wrong or missing (%s)", k, why);
			goto out;
		}
	}
	/* then finish it from another CPU: the same write() repeated (the resume rule) until it returns len */
	if (pin_to(0, second) != 0 || sched_getcpu() != second) {
		fail("resumed message: cannot move to CPU%d: %s", second, strerror(errno));
		goto out;
	}
	for (;;) {
		struct pollfd p = {fd, POLLOUT, 0};
		r = write(fd, big, len);
		on_cpu = sched_getcpu();
		if (r == (ssize_t)len)
			break;
		if (r < 0 && errno == EAGAIN && on_cpu == second && poll(&p, 1, PC_WAIT_MS) == 1) {
			resumes++;
			continue;
		}
		fail("resumed message: a resuming write on CPU%d: %zd (%s)", on_cpu, r, r < 0 ? strerror(errno) : "short");
		goto out;
	}
	resumes++; /* the one that finished it */
	/* mutant: the driver choosing the lane per write() (this CPU's) starts a new message on CPU0's lane: the
	 * lane is wrong here (and the first part stays open on CPU2's lane) */
	if (pc_lane(fd) != (int)LK_LANES + first) {
		fail("resumed message: finished on lane %d, want %u (CPU%d's, where its first byte went)", pc_lane(fd),
		     LK_LANES + (unsigned)first, first);
	} else if (pc_read(fd, (unsigned char *)&e, sizeof e, why, sizeof why) != 0) {
		fail("resumed message: %s", why);
	} else if (e.magic != LK_ECHO_MAGIC || e.len != len || e.crc != tz_crc32(0, big, len)) {
		fail("resumed message: the answer to its 8 MiB message is wrong (magic %#x, len %llu, crc %#x)", e.magic,
		     e.len, e.crc);
	} else {
		verified++;
		*bytes += len;
		printf("resumed message: an 8 MiB O_NONBLOCK write() left open on CPU%d (EAGAIN halfway), finished by %u "
		       "later write()s on CPU%d: whole on lane %u (CPU%d's), its length and CRC-32 verified by the secure "
		       "side\n", first, resumes, second, LK_LANES + (unsigned)first, first);
	}
out:
	if (fd >= 0)
		close(fd);
	{
		cpu_set_t all;
		CPU_ZERO(&all);
		for (unsigned i = 0; i < n; i++)
			CPU_SET(i, &all);
		sched_setaffinity(0, sizeof all, &all);
	}
}

/* CPU hotplug under load: the last CPU is taken offline (PSCI CPU_OFF) while threads on the other CPUs exchange
 * messages on their lanes and a writer pinned to it sleeps halfway through an 8 MiB message on its lane (stalled
 * as for the migrating writer). Linux moves the writer to another CPU; once the stall is released its message must
 * finish whole on the offline CPU's lane (served by the other CPUs' secure sides) with its answer there. Then the
 * CPU comes back (a second PSCI CPU_ON of it) and a thread pinned to it exchanges messages on its lane again. */
struct hp_load {
	int cpu, stop; /* stop: set by the main thread (atomics) */
	pthread_t th;
	unsigned bad, lane_bad, msgs;
	uint64_t bytes;
	char why[160];
};

static void *hp_load_worker(void *p)
{
	struct hp_load *t = p;
	unsigned char *msg = malloc(MIB);
	int fd = -1;

	if (!msg || pin_to(0, t->cpu) != 0 || (fd = pc_open()) < 0) {
		snprintf(t->why, sizeof t->why, "set-up on CPU%d: %s", t->cpu, strerror(errno));
		t->bad++;
		goto out;
	}
	/* acquire: pairs with the main thread's release store of stop */
	for (unsigned r = 0; !__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE); r++) {
		size_t len = 256 * 1024 + (r * 4099u) % 65536u, glen = 128 * 1024 + (r * 333u) % 32768u;
		if (pc_exchange(fd, msg, len, glen, 7000u + 1000u * (unsigned)t->cpu + r, t->why, sizeof t->why)) {
			t->bad++;
			break;
		}
		if (pc_lane(fd) != (int)LK_LANES + t->cpu)
			t->lane_bad++;
		t->msgs += 2;
		t->bytes += len + glen;
	}
out:
	if (fd >= 0)
		close(fd);
	free(msg);
	return NULL;
}

struct hp_writer {
	int fd, cpu, end_cpu, rc;
	pid_t tid;
	int writing; /* 1 while the big write runs, 2 if the writer failed before it (atomics) */
	size_t len;
	unsigned char *msg;
	char why[160];
};

static void *hp_writer_main(void *p)
{
	struct hp_writer *m = p;
	pin_to(0, m->cpu);
	for (unsigned k = 0; k < UNBIND_STALL_MSGS; k++) {
		unsigned char b = (unsigned char)k;
		if (pc_write(m->fd, &b, 1, m->why, sizeof m->why) != 0) {
			m->rc = -1;
			__atomic_store_n(&m->writing, 2, __ATOMIC_RELEASE); /* pairs with the main thread's acquire */
			return NULL;
		}
	}
	__atomic_store_n(&m->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELAXED); /* published by the release below */
	__atomic_store_n(&m->writing, 1, __ATOMIC_RELEASE); /* pairs with the main thread's acquire */
	m->rc = pc_write(m->fd, m->msg, m->len, m->why, sizeof m->why);
	m->end_cpu = sched_getcpu();
	__atomic_store_n(&m->writing, 0, __ATOMIC_RELEASE); /* pairs with the main thread's acquire */
	return NULL;
}

/* Writes "0" or "1" to a CPU's sysfs online file and reads it back. */
static int cpu_set_online(int cpu, int on)
{
	char path[64], c = 0;
	int fd, ok;
	snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/online", cpu);
	fd = open(path, O_RDWR);
	if (fd < 0)
		return -1;
	ok = write(fd, on ? "1" : "0", 1) == 1 && lseek(fd, 0, SEEK_SET) == 0 && read(fd, &c, 1) == 1 &&
	     c == (on ? '1' : '0');
	close(fd);
	return ok ? 0 : -1;
}

static void set_all_cpus(unsigned n)
{
	cpu_set_t all;
	CPU_ZERO(&all);
	for (unsigned i = 0; i < n; i++)
		CPU_SET(i, &all);
	sched_setaffinity(0, sizeof all, &all);
}

static void test_percpu_hotplug(uint64_t *bytes, unsigned n)
{
	const int off = (int)n - 1;
	struct hp_load ld[4];
	static struct hp_writer m; /* static: a writer left behind by a failure may still use it */
	struct pc_thread again_t;
	struct lk_echo e;
	pthread_t w;
	char path[64], line[32] = "", why[160] = "";
	int rd = -1, stalled = 0, went_off = 0, writer_up = 0;
	unsigned load_msgs = 0, k;
	uint64_t load_bytes = 0;

	memset(ld, 0, sizeof ld);
	memset(&again_t, 0, sizeof again_t);
	memset(&m, 0, sizeof m);
	m.fd = -1;
	m.cpu = off;
	m.len = 8 * MIB;
	m.msg = big;
	fill(big, m.len, 6300);
	/* both files take the lane of `off` (pinned there while they open) */
	if (pin_to(0, off) != 0 || (m.fd = pc_open()) < 0 || (rd = pc_open()) < 0) {
		fail("CPU hotplug: set-up on CPU%d: %s", off, strerror(errno));
		goto out;
	}
	set_all_cpus(n);
	for (unsigned i = 0; i < (unsigned)off; i++) {
		ld[i].cpu = (int)i;
		if (pthread_create(&ld[i].th, NULL, hp_load_worker, &ld[i]) != 0) {
			fail("CPU hotplug: pthread_create");
			goto out;
		}
	}
	if (pthread_create(&w, NULL, hp_writer_main, &m) != 0) {
		fail("CPU hotplug: pthread_create");
		goto out;
	}
	writer_up = 1;
	while (!__atomic_load_n(&m.writing, __ATOMIC_ACQUIRE)) /* pairs with the writer's release */
		usleep(100);
	snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)__atomic_load_n(&m.tid, __ATOMIC_RELAXED));
	for (int waited = 0; __atomic_load_n(&m.writing, __ATOMIC_ACQUIRE) == 1 && waited < 60000 && !stalled;
	     waited++) {
		FILE *sf = fopen(path, "r");
		line[0] = 0;
		if (sf && fgets(line, sizeof line, sf) && strncmp(line, "64 ", 3) == 0)
			stalled = 1;
		if (sf)
			fclose(sf);
		if (!stalled)
			usleep(1000);
	}
	if (!stalled) {
		fail("CPU hotplug: the writer on CPU%d was never seen asleep in write() mid-message", off);
		goto out;
	}
	/* CPU_OFF while the writer sleeps mid-message and the others stream */
	if (cpu_set_online(off, 0) != 0) {
		fail("CPU hotplug: taking CPU%d offline: %s", off, strerror(errno));
		goto out;
	}
	went_off = 1;
	/* release the stall: the secure side of another CPU goes on with the lane of the one that is off */
	for (k = 0; k < UNBIND_STALL_MSGS; k++) {
		unsigned char b = (unsigned char)k;
		if (pc_read(rd, (unsigned char *)&e, sizeof e, why, sizeof why) != 0 || e.magic != LK_ECHO_MAGIC ||
		    e.len != 1 || e.crc != tz_crc32(0, &b, 1)) {
			fail("CPU hotplug: the answer to stalling message %u is wrong or missing (%s)", k, why);
			goto out;
		}
	}
	pthread_join(w, NULL);
	writer_up = 0;
	if (m.rc != 0) {
		fail("CPU hotplug: the writer: %s", m.why);
		goto out;
	}
	if (m.end_cpu == off || pc_lane(m.fd) != (int)LK_LANES + off) {
		fail("CPU hotplug: the writer ended on CPU%d, its message on lane %d (want another CPU, lane %u)",
		     m.end_cpu, pc_lane(m.fd), LK_LANES + (unsigned)off);
		goto out;
	}
	if (pc_read(m.fd, (unsigned char *)&e, sizeof e, why, sizeof why) != 0 || e.magic != LK_ECHO_MAGIC ||
	    e.len != m.len || e.crc != tz_crc32(0, m.msg, m.len)) {
		fail("CPU hotplug: the answer to the 8 MiB message on CPU%d's lane is wrong or missing (%s; len %llu)",
		     off, why, e.len);
		goto out;
	}
	verified++;
	*bytes += m.len;
	/* a second CPU_ON of that CPU, then traffic pinned to it on its lane again */
	if (cpu_set_online(off, 1) != 0) {
		fail("CPU hotplug: bringing CPU%d back online: %s", off, strerror(errno));
		goto out;
	}
	went_off = 0;
	again_t.cpu = off;
	pc_worker(&again_t); /* pins this thread to `off` */
	set_all_cpus(n);
	if (again_t.bad || again_t.lane_bad) {
		fail("CPU hotplug: traffic on CPU%d after it came back: %s (%u not on its lane)", off,
		     again_t.bad ? again_t.why : "lane", again_t.lane_bad);
		goto out;
	}
	verified += again_t.msgs;
	*bytes += again_t.bytes;
out:
	for (unsigned i = 0; i < (unsigned)off; i++)
		__atomic_store_n(&ld[i].stop, 1, __ATOMIC_RELEASE); /* pairs with the worker's acquire */
	for (unsigned i = 0; i < (unsigned)off; i++) {
		if (!ld[i].th)
			continue;
		pthread_join(ld[i].th, NULL);
		if (ld[i].bad || ld[i].lane_bad)
			fail("CPU hotplug: load on CPU%u: %s (%u messages not on its lane)", i,
			     ld[i].bad ? ld[i].why : "lane", ld[i].lane_bad);
		load_msgs += ld[i].msgs;
		load_bytes += ld[i].bytes;
	}
	verified += load_msgs;
	*bytes += load_bytes;
	if (writer_up) /* a failure above left it asleep in write(): the run fails anyway, leave it */
		pthread_detach(w);
	if (went_off)
		cpu_set_online(off, 1);
	set_all_cpus(n);
	if (m.fd >= 0 && !writer_up)
		close(m.fd);
	if (rd >= 0)
		close(rd);
	if (!failures)
		printf("CPU hotplug: CPU%d taken offline (PSCI CPU_OFF) with its writer asleep halfway through an 8 MiB "
		       "message on its lane, while %u threads on the other CPUs exchanged %u messages (%.1f MiB); the "
		       "writer finished on CPU%d, the message whole on lane %u and its answer verified; CPU%d back online "
		       "(a second CPU_ON): %u messages on its lane again, verified\n", off, (unsigned)off, load_msgs,
		       (double)load_bytes / MIB, m.end_cpu, LK_LANES + (unsigned)off, off, again_t.msgs);
}

static void test_percpu(uint64_t *bytes)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	struct pc_thread t[4];
	struct mig m = {0};
	pthread_t w;
	unsigned moves = 0, lanes_ok = 0, n = ncpu > 4 ? 4u : (unsigned)ncpu;
	struct lk_echo e;
	uint32_t on = 1;
	int probe = open("/dev/tzchan", O_RDWR);

	if (probe < 0 || ioctl(probe, TZCHAN_IOC_SET_PERCPU, &on) != 0) {
		fail("per-CPU mode: TZCHAN_IOC_SET_PERCPU: %s", strerror(errno));
		if (probe >= 0)
			close(probe);
		return;
	}
	close(probe);
	if (n < 2) {
		fail("per-CPU lanes: %ld CPU(s) online, want at least 2", ncpu);
		return;
	}
	memset(t, 0, sizeof t);
	for (unsigned i = 0; i < n; i++) {
		t[i].cpu = (int)i;
		if (pthread_create(&t[i].th, NULL, pc_worker, &t[i]) != 0) {
			fail("per-CPU lanes: pthread_create");
			return;
		}
	}
	uint64_t pc_bytes = 0;
	unsigned pc_msgs = 0;
	for (unsigned i = 0; i < n; i++) {
		pthread_join(t[i].th, NULL);
		if (t[i].bad)
			fail("per-CPU lanes, thread on CPU%u: %s", i, t[i].why);
		if (t[i].lane_bad)
			fail("per-CPU lanes, thread on CPU%u: %u messages not on lane %u (this CPU's)", i, t[i].lane_bad,
			     LK_LANES + i);
		else if (!t[i].bad)
			lanes_ok++;
		pc_bytes += t[i].bytes;
		pc_msgs += t[i].msgs;
	}
	verified += pc_msgs;
	*bytes += pc_bytes;
	if (lanes_ok == n)
		printf("per-CPU lanes: %u threads, one pinned to each CPU, at once: %u multi-MiB messages each way "
		       "(%.1f MiB), every one on its CPU's lane, answers and every generated byte verified\n", n, pc_msgs,
		       (double)pc_bytes / MIB);

	/* the migrating writer */
	m.len = 8 * MIB;
	m.msg = big;
	fill(m.msg, m.len, 6100);
	m.fd = -1;
	{
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(1, &one);
		/* the file is opened (its per-CPU lane hint taken) on CPU1 too: pin ourselves for that moment */
		sched_setaffinity(0, sizeof one, &one);
		m.fd = pc_open();
		CPU_ZERO(&one);
		for (unsigned i = 0; i < n; i++)
			CPU_SET(i, &one);
		sched_setaffinity(0, sizeof one, &one);
	}
	if (m.fd < 0 || pthread_create(&w, NULL, mig_writer, &m) != 0) {
		fail("migrating writer: set-up: %s", strerror(errno));
		return;
	}
	while (!__atomic_load_n(&m.writing, __ATOMIC_ACQUIRE)) /* pairs with the writer's release */
		usleep(100);
	/* Wait until it sleeps inside its write() (the kernel shows the blocked system call: 64, write): its first
	 * bytes are in the ring, on CPU1's lane, and the rest waits for room. Then move it, and let the secure
	 * side go on by reading the stalling messages' answers on a second file of that lane. */
	char path[64], line[32] = "";
	int stalled = 0, rd = -1;
	snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)__atomic_load_n(&m.tid, __ATOMIC_RELAXED));
	for (int waited = 0; __atomic_load_n(&m.writing, __ATOMIC_ACQUIRE) == 1 && waited < 60000; waited++) {
		FILE *sf = fopen(path, "r");
		line[0] = 0;
		if (sf && fgets(line, sizeof line, sf) && strncmp(line, "64 ", 3) == 0)
			stalled = 1;
		if (sf)
			fclose(sf);
		if (stalled)
			break;
		usleep(1000);
	}
	for (unsigned k = 0; stalled && k < 3; k++) {
		if (pin_to(__atomic_load_n(&m.tid, __ATOMIC_RELAXED), (int)(2u + k % (n - 1u)) % (int)n) == 0)
			moves++;
		usleep(2000);
	}
	{
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(1, &one);
		sched_setaffinity(0, sizeof one, &one); /* the reader's file takes CPU1's lane too */
		rd = pc_open();
		CPU_ZERO(&one);
		for (unsigned i = 0; i < n; i++)
			CPU_SET(i, &one);
		sched_setaffinity(0, sizeof one, &one);
	}
	/* (writing 2: the writer failed before its big write and returned; nothing to unstall) */
	for (unsigned k = 0; rd >= 0 && __atomic_load_n(&m.writing, __ATOMIC_ACQUIRE) != 2 && k < UNBIND_STALL_MSGS;
	     k++) {
		unsigned char b = (unsigned char)k;
		char why[160];
		if (pc_read(rd, (unsigned char *)&e, sizeof e, why, sizeof why) != 0 || e.magic != LK_ECHO_MAGIC ||
		    e.len != 1 || e.crc != tz_crc32(0, &b, 1)) {
			fail("migrating writer: the answer to stalling message %u is wrong or missing", k);
			break;
		}
	}
	if (rd >= 0)
		close(rd);
	/* and on, while the rest of the message streams */
	for (unsigned k = 3; __atomic_load_n(&m.writing, __ATOMIC_ACQUIRE) == 1; k++) {
		if (pin_to(__atomic_load_n(&m.tid, __ATOMIC_RELAXED), (int)(2u + k % (n - 1u)) % (int)n) == 0)
			moves++;
		usleep(2000);
	}
	pthread_join(w, NULL);
	if (m.rc != 0) {
		fail("migrating writer: %s", m.why);
	} else if (!stalled || moves == 0 || m.end_cpu == 1) {
		fail("migrating writer: not moved in the middle of its message (%s; %u affinity changes, ended on CPU%d)",
		     stalled ? "it slept in write()" : "never seen asleep in write()", moves, m.end_cpu);
	} else if (pc_lane(m.fd) != (int)LK_LANES + 1) {
		/* mutant: a lane taken from the CPU the write ends on lands here (and its answer is not there) */
		fail("migrating writer: its message is on lane %d, want %u (CPU1's, where its first byte went)",
		     pc_lane(m.fd), LK_LANES + 1);
	} else if (pc_read(m.fd, (unsigned char *)&e, sizeof e, m.why, sizeof m.why) != 0) {
		fail("migrating writer: %s", m.why);
	} else if (e.magic != LK_ECHO_MAGIC || e.len != m.len || e.crc != tz_crc32(0, m.msg, m.len)) {
		fail("migrating writer: the answer to its 8 MiB message is wrong (len %llu, crc %#x)", e.len, e.crc);
	} else {
		verified++;
		*bytes += m.len;
		printf("migrating writer: an 8 MiB message started on CPU%d, moved %u times while it streamed (3 while "
		       "it slept in write() mid-message), ended on CPU%d: whole on lane %u (CPU1's), its length and CRC-32 "
		       "verified by the secure side\n",
		       m.start_cpu, moves, m.end_cpu, LK_LANES + 1);
	}
	close(m.fd);
	if (!failures && n >= 3)
		test_percpu_resume(bytes, n);
	if (!failures && n == 4)
		test_percpu_hotplug(bytes, n);
}

/* ---- 3: generator, short reads --------------------------------------------------------------------------- */
static int gen_check(int fd, uint64_t len, uint64_t seed, size_t chunk, unsigned *intr, unsigned *shorts)
{
	struct lk_gen_req req = {LK_GEN_MAGIC, 0, len, seed};
	if (write_msg(fd, &req, sizeof req, intr))
		return -1;
	if (read_msg(fd, big, (size_t)len, chunk, intr, shorts))
		return -1;
	for (uint64_t i = 0; i < len; i++)
		if (big[i] != lk_gen_byte(seed, i)) {
			fail("generated message of %llu bytes: byte %llu is %#x, want %#x", (unsigned long long)len,
			     (unsigned long long)i, big[i], lk_gen_byte(seed, i));
			return -1;
		}
	verified++;
	return 0;
}

static void test_generator(uint64_t *bytes)
{
	static const uint64_t sizes[] = {0, 1, 24, 1000, 40000, 65536, 1 * MIB + 3, 5 * MIB};
	int fd = open_lane(1, 0);
	if (fd < 0)
		return;
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		if (gen_check(fd, sizes[i], 7 + i, 4096, NULL, NULL))
			goto out;
		*bytes += sizes[i];
	}
	/* two messages queued back to back, read with a buffer larger than both: each read stops at its end */
	struct lk_gen_req a = {LK_GEN_MAGIC, 0, 3000, 11}, b = {LK_GEN_MAGIC, 0, 5000, 12};
	if (write_msg(fd, &a, sizeof a, NULL) || write_msg(fd, &b, sizeof b, NULL))
		goto out;
	usleep(20000);
	ssize_t r1 = read(fd, big, 1 * MIB), r2 = read(fd, big + 3000, 1 * MIB);
	if (r1 != 3000 || r2 != 5000) {
		fail("back-to-back messages read as %zd + %zd bytes, want 3000 + 5000", r1, r2);
		goto out;
	}
	for (uint64_t i = 0; i < 3000; i++)
		if (big[i] != lk_gen_byte(11, i))
			fail("back-to-back message 1 byte %llu", (unsigned long long)i);
	for (uint64_t i = 0; i < 5000; i++)
		if (big[3000 + i] != lk_gen_byte(12, i))
			fail("back-to-back message 2 byte %llu", (unsigned long long)i);
	verified += 2;
	*bytes += 8000;
	printf("generator: %zu messages of 0 B .. 5 MiB read through a 4 KiB buffer and verified byte for byte; "
	       "two queued messages read as 3000 + 5000 bytes with a 1 MiB buffer\n",
	       sizeof sizes / sizeof sizes[0] + 2);
out:
	close(fd);
}

/* ---- 4: signals ------------------------------------------------------------------------------------------ */
static void on_alarm(int sig)
{
	(void)sig;
	ticks++;
}

static void test_signals(uint64_t *bytes)
{
	struct sigaction sa;
	struct itimerval it = {{0, 1000}, {0, 1000}};
	unsigned intr = 0, shorts = 0;
	int fd0 = open_lane(0, 0), fd1 = open_lane(1, 0);
	if (fd0 < 0 || fd1 < 0)
		return;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm; /* no SA_RESTART: blocked calls return EINTR or a short count */
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	for (unsigned i = 0; i < 4 && !failures; i++) {
		size_t len = 4 * MIB + i * 333;
		fill(big, len, 500 + i);
		if (echo_once(fd0, 0, big, len, &intr))
			break;
		*bytes += len;
		if (gen_check(fd1, 4 * MIB + i, 900 + i, 8 * MIB, &intr, &shorts))
			break;
		*bytes += 4 * MIB + i;
	}
	memset(&it, 0, sizeof it);
	setitimer(ITIMER_REAL, &it, NULL);
	signal(SIGALRM, SIG_DFL);
	printf("signals: %d timer signals; %u calls returned EINTR and were repeated, %u reads returned short and "
	       "were continued; 8 messages of 4 MiB verified\n", (int)ticks, intr, shorts);
	if (intr + shorts == 0)
		printf("note: no signal landed inside a blocked call this time\n");
	close(fd0);
	close(fd1);
}

/* ---- 5: scribble ----------------------------------------------------------------------------------------- */
static void test_scribble(uint64_t *bytes)
{
	struct tzchan_ioc_scribble s;
	int fd = open_lane(0, 0);
	if (fd < 0)
		return;
	if (ioctl(fd, TZCHAN_IOC_SCRIBBLE, &s) != 0) {
		fail("TZCHAN_IOC_SCRIBBLE: %s", strerror(errno));
		close(fd);
		return;
	}
	printf("scribble: secure side reported %d (TZCHAN_EPROTO is %d) and %s the region; registering the "
	       "scribbled region again: %d; a fresh region: %d\n", s.secure_error, TZCHAN_EPROTO_CODE,
	       s.secure_registered ? "kept" : "dropped", s.reregister_scribbled, s.reregister_fresh);
	if (s.secure_error != TZCHAN_EPROTO_CODE || s.secure_registered || s.reregister_scribbled >= 0 ||
	    s.reregister_fresh != 0)
		fail("scribble case");
	/* the region is laid out afresh: both sides start counting again */
	memset(echo_seq, 0, sizeof echo_seq);
	for (unsigned i = 0; i < 20 && !failures; i++) {
		size_t len = (size_t)i * 5000u;
		fill(big, len, 3000 + i);
		if (echo_once(fd, 0, big, len, NULL))
			break;
		*bytes += len;
	}
	if (!failures)
		printf("scribble: 20 messages echoed and verified on the fresh region\n");
	close(fd);
}

/* ---- 6: unload and reload -------------------------------------------------------------------------------- */
static int load_module(const char *path, const char *params)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = (int)syscall(SYS_finit_module, fd, params, 0);
	int e = errno;
	close(fd);
	errno = e;
	return r;
}

static void test_reload(const char *ko, uint64_t *bytes)
{
	if (syscall(SYS_delete_module, "tzchan", O_NONBLOCK) != 0) {
		fail("unloading tzchan: %s", strerror(errno));
		return;
	}
	if (access("/dev/tzchan", F_OK) == 0)
		fail("/dev/tzchan still there after unloading");
	if (optee)
		optee_counts("after the reload's unload");
	if (load_module(ko, "") != 0) {
		fail("reloading %s: %s", ko, strerror(errno));
		return;
	}
	int fd = open_lane(0, 0);
	if (fd < 0)
		return;
	memset(echo_seq, 0, sizeof echo_seq);
	fill(big, 2 * MIB, 4242);
	if (echo_once(fd, 0, big, 2 * MIB, NULL) == 0) {
		*bytes += 2 * MIB;
		printf("reload: module unloaded (region unregistered) and loaded again (registered); a 2 MiB message "
		       "echoed\n");
	}
	close(fd);
}

/* ---- 7: hardening ---------------------------------------------------------------------------------------- */
/* One echo round trip checked by length and CRC only (after the threaded tests the sequence numbers are
 * whatever they are). */
static int echo_plain(int fd, const unsigned char *msg, size_t len)
{
	struct lk_echo e;
	if (write_msg(fd, msg, len, NULL) || read_msg(fd, (unsigned char *)&e, sizeof e, sizeof e, NULL, NULL))
		return -1;
	if (e.magic != LK_ECHO_MAGIC || e.len != len || e.crc != tz_crc32(0, msg, len)) {
		fail("echo: magic %#x len %llu (want %zu) crc %#x", e.magic, e.len, len, e.crc);
		return -1;
	}
	verified++;
	return 0;
}

/* The kernel log from kmsg_mark() on, gathered by kmsg_read() (records concatenated). */
static int kmsg_fd = -1;
static char kmsg_buf[64 * 1024];
static void kmsg_mark(void)
{
	if (kmsg_fd < 0)
		kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (kmsg_fd >= 0)
		lseek(kmsg_fd, 0, SEEK_END);
}
static const char *kmsg_read(void)
{
	size_t have = 0;
	kmsg_buf[0] = 0;
	while (kmsg_fd >= 0 && have < sizeof kmsg_buf - 1) {
		ssize_t n = read(kmsg_fd, kmsg_buf + have, sizeof kmsg_buf - 1 - have);
		if (n < 0 && errno == EPIPE)
			continue; /* records were overwritten: go on with the next */
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	kmsg_buf[have] = 0;
	return kmsg_buf;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ssize_t r = write(fd, text, strlen(text));
	int e = errno;
	close(fd);
	errno = e;
	return r == (ssize_t)strlen(text) ? 0 : -1;
}

static void on_usr1(int sig)
{
	(void)sig;
}

/* Item: the test ioctls need CAP_SYS_ADMIN. A child that holds an open fd drops to nobody (no capabilities). The
 * generation ioctl refuses before any SMC, so the secure side's count of stale generations is not touched. */
static void test_priv(void)
{
	int fd = open_lane(0, 0), status = 0;
	if (fd < 0)
		return;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct tzchan_ioc_scribble s;
		struct tzchan_ioc_verdict v = {0};
		struct tzchan_ioc_generation g = {0};
		struct tzchan_ioc_stats st;
		int bad = 0, r;
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534)) {
			printf("FAIL: dropping privileges: %s\n", strerror(errno));
			_exit(1);
		}
		errno = 0;
		r = ioctl(fd, TZCHAN_IOC_SCRIBBLE, &s);
		if (r != -1 || errno != EPERM) {
			printf("FAIL: TZCHAN_IOC_SCRIBBLE without CAP_SYS_ADMIN: %d (%s), want EPERM\n", r, strerror(errno));
			bad++;
		}
		errno = 0;
		r = ioctl(fd, TZCHAN_IOC_VERDICT, &v);
		if (r != -1 || errno != EPERM) {
			printf("FAIL: TZCHAN_IOC_VERDICT without CAP_SYS_ADMIN: %d (%s), want EPERM\n", r, strerror(errno));
			bad++;
		}
		errno = 0;
		g.stale = 12345; /* would make a doorbell, STATUS and UNREGISTER with it */
		r = ioctl(fd, TZCHAN_IOC_GENERATION, &g);
		if (r != -1 || errno != EPERM) {
			printf("FAIL: TZCHAN_IOC_GENERATION without CAP_SYS_ADMIN: %d (%s), want EPERM\n", r,
			       strerror(errno));
			bad++;
		}
		if (ioctl(fd, TZCHAN_IOC_GET_STATS, &st) != 0) {
			printf("FAIL: TZCHAN_IOC_GET_STATS as nobody: %s\n", strerror(errno));
			bad++;
		}
		_exit(bad ? 1 : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		failures++; /* the child said why */
	else
		printf("privilege: as nobody with an open fd, the scribble, verdict and generation ioctls get EPERM; "
		       "GET_STATS works\n");
	close(fd);
}

/* Item (production driver): the test ioctls do not exist, for root (this process) and for nobody alike: ENOTTY
 * (EINVAL would also mean "no such request"), and nothing reaches the secure side; the module has no debug_*
 * parameter in sysfs. GET_STATS works for both. */
static int expect_absent(int fd, const char *who)
{
	struct tzchan_ioc_scribble s;
	struct tzchan_ioc_verdict v = {0};
	struct tzchan_ioc_generation g = {0};
	const struct { const char *name; unsigned long cmd; void *arg; } calls[] = {
		{"TZCHAN_IOC_SCRIBBLE", TZCHAN_IOC_SCRIBBLE, &s},
		{"TZCHAN_IOC_VERDICT", TZCHAN_IOC_VERDICT, &v},
		{"TZCHAN_IOC_GENERATION", TZCHAN_IOC_GENERATION, &g},
	};
	struct tzchan_ioc_stats st;
	int bad = 0;
	g.stale = 12345;
	for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
		errno = 0;
		int r = ioctl(fd, calls[i].cmd, calls[i].arg);
		if (r != -1 || (errno != ENOTTY && errno != EINVAL)) {
			printf("FAIL: %s as %s on a production driver: %d (%s), want ENOTTY\n", calls[i].name, who, r,
			       strerror(errno));
			bad++;
		}
	}
	if (ioctl(fd, TZCHAN_IOC_GET_STATS, &st) != 0) {
		printf("FAIL: TZCHAN_IOC_GET_STATS as %s: %s\n", who, strerror(errno));
		bad++;
	}
	return bad;
}

static void test_priv_production(void)
{
	int fd = open_lane(0, 0), status = 0, params = 0;
	DIR *d = opendir("/sys/module/tzchan/parameters");
	struct dirent *de;
	if (fd < 0)
		return;
	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, "debug_", 6) == 0) {
			fail("the production driver has the test parameter %s", de->d_name);
			params++;
		}
	}
	if (d)
		closedir(d);
	if (expect_absent(fd, "root"))
		failures++;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534)) {
			printf("FAIL: dropping privileges: %s\n", strerror(errno));
			_exit(1);
		}
		_exit(expect_absent(fd, "nobody") ? 1 : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		failures++; /* the child said why */
	else if (!params)
		printf("privilege: production driver: the scribble, verdict and generation ioctls are absent (ENOTTY) "
		       "for root and for nobody, no debug_* parameter; GET_STATS works\n");
	close(fd);
}

/* tzchan-stat (tools/tzchan-stat.c, built into the initramfs) against the live driver: its device-wide counters
 * must be the ones GET_STATS gave just before (the device is quiet here), in --json and in plain form, exit 0. */
static void test_stat_tool(const struct tzchan_ioc_stats *st)
{
	if (access("/tzchan-stat", X_OK) != 0) {
		printf("tzchan-stat: not in this initramfs, not checked\n");
		return;
	}
	int p[2];
	if (pipe(p) != 0) {
		fail("tzchan-stat: pipe: %s", strerror(errno));
		return;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		execl("/tzchan-stat", "tzchan-stat", "--device", "/dev/tzchan", "--json", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	char out[2048];
	size_t n = 0;
	ssize_t r;
	while (n + 1 < sizeof out && (r = read(p[0], out + n, sizeof out - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = 0;
	close(p[0]);
	int status = 0;
	waitpid(pid, &status, 0);
	char want[160];
	snprintf(want, sizeof want, "\"msgs_sent\":%llu,\"bytes_sent\":%llu,\"msgs_recv\":%llu,\"bytes_recv\":%llu",
		 (unsigned long long)st->msgs_sent, (unsigned long long)st->bytes_sent,
		 (unsigned long long)st->msgs_recv, (unsigned long long)st->bytes_recv);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || strstr(out, want) == NULL) {
		fail("tzchan-stat --device --json: exit status %d, output \"%s\" lacks %s", status, out, want);
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execl("/tzchan-stat", "tzchan-stat", "--device", "/dev/tzchan", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail("tzchan-stat --device: exit status %d", status);
	else
		printf("tzchan-stat: the device's counters read through the tool agree with GET_STATS (plain and --json)\n");
}

static void skipped(const char *what, const char *why)
{
	printf("skipped: %s (%s; the driver has no test hooks)\n", what, why);
}

static void skipped_optee(const char *what, const char *why)
{
	printf("skipped: %s (%s; not part of the OP-TEE client)\n", what, why);
}

/* The system call glibc's poll() makes: poll where the architecture has one (32-bit ARM), else ppoll (arm64). */
#ifdef SYS_poll
#define POLL_SYSCALL SYS_poll
#else
#define POLL_SYSCALL SYS_ppoll
#endif

/* Whether thread tid sleeps inside system call nr: its state is S (an interruptible sleep) and
 * /proc/self/task/<tid>/syscall names nr. Waits for it up to ms milliseconds; the items below order their steps by
 * this instead of by a fixed delay, which a slow emulated machine can outrun. */
static bool wait_blocked_in(pid_t tid, long nr, int ms)
{
	char path[64], buf[256];
	for (int i = 0; i <= ms / 5; i++) {
		char state = 0;
		long now = -2;
		snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
		FILE *f = fopen(path, "r");
		if (f) {
			/* the state follows the command name's closing parenthesis */
			if (fgets(buf, sizeof buf, f)) {
				char *q = strrchr(buf, ')');
				if (q && q[1] == ' ')
					state = q[2];
			}
			fclose(f);
		}
		snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
		f = fopen(path, "r");
		if (f) {
			if (fscanf(f, "%ld", &now) != 1)
				now = -2; /* "running" */
			fclose(f);
		}
		if (state == 'S' && now == nr)
			return true;
		usleep(5000);
	}
	return false;
}

/* Item: RX_INFO and the scribble, queued behind a reader blocked in read(), return EINTR on a signal. */
struct intr_call {
	int fd;
	unsigned long cmd;
	void *arg;
	int done, ret, err;
	pid_t tid;
};
static void *intr_ioctl(void *p)
{
	struct intr_call *c = p;
	__atomic_store_n(&c->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	c->ret = ioctl(c->fd, c->cmd, c->arg);
	c->err = errno;
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
	return NULL;
}
struct intr_read {
	int fd;
	pid_t tid;
};
static void *intr_reader(void *p)
{
	struct intr_read *rd = p;
	char b[64];
	__atomic_store_n(&rd->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	ssize_t r = read(rd->fd, b, sizeof b);
	return (void *)(intptr_t)(r < 0 ? -errno : r);
}
static pid_t thread_tid(pid_t *tid)
{
	for (int i = 0; i < 2000 && !__atomic_load_n(tid, __ATOMIC_ACQUIRE); i++)
		usleep(5000);
	return __atomic_load_n(tid, __ATOMIC_ACQUIRE);
}
static int wait_done(int *done, int ms)
{
	for (int i = 0; i < ms / 10 && !__atomic_load_n(done, __ATOMIC_ACQUIRE); i++)
		usleep(10000);
	return __atomic_load_n(done, __ATOMIC_ACQUIRE);
}
static void test_intr_one(const char *name, unsigned long cmd, void *arg)
{
	int fr = open_lane(1, 0), fi = open_lane(1, 0);
	struct intr_call c = {fi, cmd, arg, 0, 0, 0, 0};
	struct intr_read rd = {fr, 0};
	pthread_t rt, it;
	void *rv;
	if (fr < 0 || fi < 0)
		return;
	pthread_create(&rt, NULL, intr_reader, &rd);
	/* the reader sleeps in read() on an idle lane, holding the lane's reader mutex */
	if (!wait_blocked_in(thread_tid(&rd.tid), SYS_read, 10000))
		fail("%s: the reader did not go to sleep in read() on an idle lane within 10 s", name);
	pthread_create(&it, NULL, intr_ioctl, &c);
	/* the ioctl sleeps behind it (state S inside ioctl) or, wrongly, returns without waiting */
	pid_t itid = thread_tid(&c.tid);
	for (int i = 0; i < 2000 && !__atomic_load_n(&c.done, __ATOMIC_ACQUIRE); i++)
		if (wait_blocked_in(itid, SYS_ioctl, 0))
			break;
	if (__atomic_load_n(&c.done, __ATOMIC_ACQUIRE))
		fail("%s returned (%d, %s) without waiting for the blocked reader", name, c.ret, strerror(c.err));
	else if (!wait_blocked_in(itid, SYS_ioctl, 0))
		fail("%s did not go to sleep inside ioctl() behind the blocked reader within 10 s", name);
	pthread_kill(it, SIGUSR1);
	if (!wait_done(&c.done, 3000))
		fail("%s, queued behind a blocked reader, did not return within 3 s of a signal", name);
	else if (c.ret != -1 || c.err != EINTR)
		fail("%s interrupted by a signal: %d (%s), want EINTR", name, c.ret, strerror(c.err));
	else
		printf("interruptible: %s queued behind a blocked reader returned EINTR on a signal\n", name);
	pthread_kill(rt, SIGUSR1);
	pthread_join(rt, &rv);
	if ((intptr_t)rv != -EINTR)
		fail("the blocked reader returned %ld, want -EINTR", (long)(intptr_t)rv);
	pthread_join(it, NULL);
	close(fr);
	close(fi);
}
static void test_intr(void)
{
	struct tzchan_ioc_rxinfo info;
	struct tzchan_ioc_scribble s;
	test_intr_one("RX_INFO", TZCHAN_IOC_RX_INFO, &info);
	if (production)
		skipped("intr: SCRIBBLE queued behind a blocked reader", "needs the scribble ioctl");
	else
		test_intr_one("SCRIBBLE", TZCHAN_IOC_SCRIBBLE, &s);
}

/* Item: the secure side's data wakes a reader blocked in read() and a poller blocked in poll(), when another
 * thread's request (a small write that itself never waits) makes the secure side produce it: the doorbell back
 * (the SMC driver's interrupt; the OP-TEE client's PUMP return saying the secure side rang). Each waiter gets 10 s
 * before it counts as never woken (a hang check, not a speed one), then a signal frees it. */
struct wake_call {
	int fd, done;
	pid_t tid;
	ssize_t r;
	unsigned char buf[8192];
};
static void *wake_reader(void *p)
{
	struct wake_call *c = p;
	__atomic_store_n(&c->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	c->r = read(c->fd, c->buf, sizeof c->buf);
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
	return NULL;
}
static void *wake_poller(void *p)
{
	struct wake_call *c = p;
	struct pollfd pf = {c->fd, POLLIN, 0};
	__atomic_store_n(&c->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	c->r = poll(&pf, 1, -1) == 1 && (pf.revents & POLLIN) ? 1 : -1;
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
	return NULL;
}
static int wake_one(const char *name, void *(*fn)(void *), uint64_t len, uint64_t seed)
{
	static struct wake_call c;
	struct lk_gen_req req = {LK_GEN_MAGIC, 0, len, seed};
	int fr = open_lane(1, 0), fw = open_lane(1, 0), r = -1;
	pthread_t t;
	if (fr < 0 || fw < 0)
		goto out;
	memset(&c, 0, sizeof c);
	c.fd = fr;
	pthread_create(&t, NULL, fn, &c);
	/* the waiter sleeps first: in read(), or in poll() (ppoll is the system call the C library's poll makes) */
	if (!wait_blocked_in(thread_tid(&c.tid), fn == wake_reader ? SYS_read : POLL_SYSCALL, 10000))
		fail("wake: the %s did not go to sleep on the idle lane 1 within 10 s", name);
	else if (write_msg(fw, &req, sizeof req, NULL) == 0) {
		if (!wait_done(&c.done, 10000))
			fail("wake: the %s blocked on lane 1 was not woken within 10 s by the secure side's answer", name);
		else
			r = 0;
	}
	if (!__atomic_load_n(&c.done, __ATOMIC_ACQUIRE))
		pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
	if (r == 0 && fn == wake_poller) {
		c.r = read(fr, c.buf, sizeof c.buf);
		if (c.r < 0)
			fail("wake: read after poll: %s", strerror(errno));
	}
	if (r == 0 && (c.r != (ssize_t)len)) {
		fail("wake: the %s got %zd bytes, want %llu", name, c.r, (unsigned long long)len);
		r = -1;
	}
	for (uint64_t i = 0; r == 0 && i < len; i++)
		if (c.buf[i] != lk_gen_byte(seed, i)) {
			fail("wake: byte %llu of the generated message", (unsigned long long)i);
			r = -1;
		}
	if (r == 0)
		verified++;
out:
	if (fr >= 0)
		close(fr);
	if (fw >= 0)
		close(fw);
	return r;
}
static void test_wake(void)
{
	if (wake_one("reader", wake_reader, 3000, 77) == 0 && wake_one("poller", wake_poller, 5000, 78) == 0)
		printf("wake: a reader blocked in read() and a poller blocked in poll() were woken by the secure side's "
		       "answer to another thread's request; 8000 bytes verified\n");
}

/* Item: SET_LANE racing with interrupted writes. Writers (one fd each) stream 150 KiB messages (more than a
 * ring: each write sleeps for room several times) and are signalled every few hundred microseconds, so writes
 * stop halfway and are repeated (the resume rule); a thread per fd switches its lane
 * all the time; two readers collect the echoes of both lanes. Every message must be echoed exactly once, whole
 * (length and CRC), and no repeated write may be refused: a switch that let a write leave its message open on
 * the old lane shows as EINVAL, a stall, or an echo of a zero-padded message. */
enum { SL_WRITERS = 6, SL_MSGS = 40, SL_N = SL_WRITERS * SL_MSGS, SL_BASE = 150000 };
static struct {
	int fd[SL_WRITERS], rfd[2];
	pthread_t writer[SL_WRITERS];
	int exited[SL_WRITERS], writers_done, readers_stop;
	uint32_t crc[SL_N];
	unsigned seen[SL_N];
	unsigned written, bad_echo, einval, eintr, ebusy, switches, other;
	double deadline;
} sl;
static size_t sl_len(unsigned idx)
{
	return SL_BASE + idx * 8u + idx % 7u; /* unique per message, all streamed (> 16 KiB) */
}
static void *sl_writer(void *p)
{
	unsigned w = (unsigned)(uintptr_t)p;
	unsigned char *buf = malloc(sl_len(SL_N));
	for (unsigned k = 0; buf && k < SL_MSGS; k++) {
		unsigned idx = w * SL_MSGS + k;
		size_t len = sl_len(idx);
		fill(buf, len, 7000 + idx);
		for (;;) {
			ssize_t r = write(sl.fd[w], buf, len);
			if (r == (ssize_t)len) {
				__atomic_add_fetch(&sl.written, 1, __ATOMIC_RELAXED);
				break;
			}
			if (r < 0 && errno == EINTR && now_s() < sl.deadline) {
				__atomic_add_fetch(&sl.eintr, 1, __ATOMIC_RELAXED);
				continue;
			}
			if (r < 0 && errno == EINVAL)
				__atomic_add_fetch(&sl.einval, 1, __ATOMIC_RELAXED);
			else
				__atomic_add_fetch(&sl.other, 1, __ATOMIC_RELAXED);
			goto out;
		}
	}
out:
	free(buf);
	__atomic_store_n(&sl.exited[w], 1, __ATOMIC_RELEASE);
	return NULL;
}
static void *sl_switcher(void *p)
{
	int fd = sl.fd[(uintptr_t)p];
	uint32_t lane = 0;
	while (!__atomic_load_n(&sl.writers_done, __ATOMIC_ACQUIRE)) {
		lane ^= 1;
		if (ioctl(fd, TZCHAN_IOC_SET_LANE, &lane) == 0)
			__atomic_add_fetch(&sl.switches, 1, __ATOMIC_RELAXED);
		else if (errno == EBUSY)
			__atomic_add_fetch(&sl.ebusy, 1, __ATOMIC_RELAXED);
		usleep(20);
	}
	return NULL;
}
static void *sl_signaller(void *p)
{
	(void)p;
	while (!__atomic_load_n(&sl.writers_done, __ATOMIC_ACQUIRE)) {
		for (unsigned w = 0; w < SL_WRITERS; w++)
			pthread_kill(sl.writer[w], SIGUSR1);
		usleep(300);
	}
	return NULL;
}
static void *sl_reader(void *p)
{
	int fd = sl.rfd[(uintptr_t)p];
	while (!__atomic_load_n(&sl.readers_stop, __ATOMIC_ACQUIRE)) {
		struct pollfd pf = {fd, POLLIN, 0};
		struct lk_echo e;
		if (poll(&pf, 1, 100) <= 0)
			continue;
		ssize_t r = read(fd, &e, sizeof e);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		unsigned idx = e.len >= SL_BASE ? (unsigned)((e.len - SL_BASE) / 8) : SL_N;
		if (r != (ssize_t)sizeof e || e.magic != LK_ECHO_MAGIC || idx >= SL_N || e.len != sl_len(idx) ||
		    e.crc != sl.crc[idx])
			__atomic_add_fetch(&sl.bad_echo, 1, __ATOMIC_RELAXED);
		else
			__atomic_add_fetch(&sl.seen[idx], 1, __ATOMIC_RELAXED);
	}
	return NULL;
}
static void test_setlane(void)
{
	pthread_t sw[SL_WRITERS], sig, rd[2];
	unsigned missing = 0, dup = 0;
	memset(&sl, 0, sizeof sl);
	for (unsigned i = 0; i < SL_N; i++) {
		fill(big, sl_len(i), 7000 + i);
		sl.crc[i] = tz_crc32(0, big, sl_len(i));
	}
	for (unsigned w = 0; w < SL_WRITERS; w++)
		if ((sl.fd[w] = open_lane(w & 1, 0)) < 0)
			return;
	if ((sl.rfd[0] = open_lane(0, O_NONBLOCK)) < 0 || (sl.rfd[1] = open_lane(1, O_NONBLOCK)) < 0)
		return;
	sl.deadline = now_s() + 30;
	for (uintptr_t i = 0; i < 2; i++)
		pthread_create(&rd[i], NULL, sl_reader, (void *)i);
	for (uintptr_t w = 0; w < SL_WRITERS; w++)
		pthread_create(&sl.writer[w], NULL, sl_writer, (void *)w);
	for (uintptr_t w = 0; w < SL_WRITERS; w++)
		pthread_create(&sw[w], NULL, sl_switcher, (void *)w);
	pthread_create(&sig, NULL, sl_signaller, NULL);
	/* the writers are joined only after the signaller has stopped: signalling a joined thread is undefined */
	for (unsigned w = 0; w < SL_WRITERS; w++)
		while (!__atomic_load_n(&sl.exited[w], __ATOMIC_ACQUIRE))
			usleep(10000);
	__atomic_store_n(&sl.writers_done, 1, __ATOMIC_RELEASE);
	pthread_join(sig, NULL);
	for (unsigned w = 0; w < SL_WRITERS; w++)
		pthread_join(sl.writer[w], NULL);
	for (unsigned w = 0; w < SL_WRITERS; w++) {
		pthread_join(sw[w], NULL);
		close(sl.fd[w]); /* a message left open would be completed with zeros here */
	}
	for (int i = 0; i < 300; i++) { /* the last echoes */
		unsigned got = 0;
		for (unsigned j = 0; j < SL_N; j++)
			got += __atomic_load_n(&sl.seen[j], __ATOMIC_RELAXED) != 0;
		if (got == sl.written && i >= 20)
			break;
		usleep(10000);
	}
	__atomic_store_n(&sl.readers_stop, 1, __ATOMIC_RELEASE);
	pthread_join(rd[0], NULL);
	pthread_join(rd[1], NULL);
	close(sl.rfd[0]);
	close(sl.rfd[1]);
	for (unsigned i = 0; i < SL_N; i++) {
		missing += sl.seen[i] == 0;
		dup += sl.seen[i] > 1;
	}
	printf("set-lane race: %u writers x %u messages, %u lane switches (%u refused with EBUSY), %u writes "
	       "interrupted and repeated; %u written, %u echoes missing, %u duplicated, %u bad, %u EINVAL, %u other\n",
	       SL_WRITERS, SL_MSGS, sl.switches, sl.ebusy, sl.eintr, sl.written, missing, dup, sl.bad_echo, sl.einval,
	       sl.other);
	if (sl.written != SL_N || missing || dup || sl.bad_echo || sl.einval || sl.other)
		fail("set-lane race: messages lost, refused or damaged");
	else
		verified += SL_N;
}

/* Item: no unbind through sysfs while files are open. One file holds a half-written message (the case whose
 * close touches the lane's buffers), another an idle lane; after the attempt both must work and close cleanly. */
static void test_unbind(void)
{
	char dev[256] = "";
	DIR *d = opendir("/sys/bus/platform/drivers/tzchan");
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (de->d_type == DT_LNK && strcmp(de->d_name, "module") != 0)
			snprintf(dev, sizeof dev, "%s", de->d_name);
	if (d)
		closedir(d);
	if (!dev[0]) {
		fail("no device bound to the tzchan driver in sysfs");
		return;
	}
	int fd = open_lane(0, 0), fw = open_lane(0, O_NONBLOCK);
	if (fd < 0 || fw < 0)
		return;
	/* --serve-in-call (and --smp): the secure side drains the lane inside the writer's own doorbell (the
	 * yielding call of the SMP firmware, the SMC exit of Genode's VMM), so a nonblocking write always finds room. Stall it first: 1-byte messages, their echoes left
	 * unread, until the echo ring is full and the secure side stops reading lane 0 (it waits for room for the
	 * next echo); the rest of these messages stays in the ring, which keeps room for the 1 MiB write below. */
	unsigned stall = serve_in_call ? UNBIND_STALL_MSGS : 0, k;
	for (k = 0; k < stall; k++) {
		unsigned char b = (unsigned char)k;
		if (write_msg(fd, &b, 1, NULL) != 0) {
			close(fw);
			close(fd);
			return;
		}
	}
	fill(big, 1 * MIB, 77);
	/* The write takes what fits and leaves the message open. The secure side drains the lane on a CPU of its
	 * own, so now and then it keeps pace with the whole 1 MiB and the write completes: then its echo is read
	 * and the write tried again, up to 20 times, until a message is left open as this item needs. */
	ssize_t r;
	unsigned whole = 0;
	while ((r = write(fw, big, 1 * MIB)) == (ssize_t)(1 * MIB) && whole < 20) {
		struct lk_echo e;
		whole++;
		if (read_msg(fd, (unsigned char *)&e, sizeof e, sizeof e, NULL, NULL) != 0 ||
		    e.magic != LK_ECHO_MAGIC || e.len != 1 * MIB || e.crc != tz_crc32(0, big, 1 * MIB)) {
			fail("the echo of a 1 MiB message written whole without blocking is wrong");
			close(fw);
			close(fd);
			return;
		}
	}
	if (!(r < 0 && errno == EAGAIN))
		fail("a 1 MiB nonblocking write (after %u written whole): %zd (%s), want EAGAIN with the message left "
		     "open", whole, r, strerror(errno));
	if (write_file("/sys/bus/platform/drivers/tzchan/unbind", dev) == 0)
		fail("unbinding %s through sysfs with files open was accepted", dev);
	else if (errno != ENOENT)
		fail("unbinding %s: %s, want ENOENT (no unbind file)", dev, strerror(errno));
	struct lk_echo e;
	for (k = 0; k < stall; k++) { /* the stalling messages' echoes first, in order: the secure side goes on */
		unsigned char b = (unsigned char)k;
		if (read_msg(fd, (unsigned char *)&e, sizeof e, sizeof e, NULL, NULL) != 0 || e.magic != LK_ECHO_MAGIC ||
		    e.len != 1 || e.crc != tz_crc32(0, &b, 1)) {
			fail("the echo of stalling message %u of %u is wrong (magic %#x, len %llu)", k, stall, e.magic,
			     e.len);
			close(fw);
			close(fd);
			return;
		}
	}
	close(fw); /* completes the open message with zeros */
	if (read_msg(fd, (unsigned char *)&e, sizeof e, sizeof e, NULL, NULL) == 0 &&
	    (e.magic != LK_ECHO_MAGIC || e.len != 1 * MIB))
		fail("the zero-completed message was echoed as magic %#x len %llu", e.magic, e.len);
	fill(big, 5000, 78);
	if (echo_plain(fd, big, 5000) == 0)
		printf("unbind: refused (no unbind file for %s); a half-written message was completed at close and "
		       "the other file still works (%u 1 MiB writes went through whole first)\n", dev, whole);
	close(fd);
}

/* Item: one instance. A second platform device is forced on the driver (driver_override + drivers_probe): it
 * must be refused, and the first must go on working. */
static void test_second(void)
{
	char victim[256] = "", path[512];
	DIR *d = opendir("/sys/bus/platform/devices");
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, "tzchan") == 0)
			continue;
		snprintf(path, sizeof path, "/sys/bus/platform/devices/%s/driver", de->d_name);
		if (access(path, F_OK) == 0)
			continue; /* has a driver */
		if (!victim[0] || strstr(de->d_name, "virtio_mmio"))
			snprintf(victim, sizeof victim, "%s", de->d_name);
	}
	if (d)
		closedir(d);
	if (!victim[0]) {
		fail("no unbound platform device to force on the driver");
		return;
	}
	int fd = open_lane(0, 0);
	if (fd < 0)
		return;
	kmsg_mark();
	snprintf(path, sizeof path, "/sys/bus/platform/devices/%s/driver_override", victim);
	if (write_file(path, "tzchan") != 0) {
		fail("%s: %s", path, strerror(errno));
		close(fd);
		return;
	}
	int r = write_file("/sys/bus/platform/drivers_probe", victim), e = errno;
	snprintf(path, sizeof path, "/sys/bus/platform/devices/%s/driver", victim);
	if (access(path, F_OK) == 0)
		fail("the tzchan driver bound a second device (%s)", victim);
	snprintf(path, sizeof path, "/sys/bus/platform/devices/%s/driver_override", victim);
	write_file(path, "\n");
	if (!strstr(kmsg_read(), "serves one device"))
		fail("no refusal of the second device (%s) in the kernel log", victim);
	fill(big, 70000, 79);
	int fd1 = open_lane(1, 0);
	if (echo_plain(fd, big, 70000) == 0 && fd1 >= 0 && echo_plain(fd1, big, 3000) == 0)
		printf("second device: %s forced on the driver was refused (drivers_probe: %s); the first still works\n",
		       victim, r ? strerror(e) : "no error");
	if (fd1 >= 0)
		close(fd1);
	close(fd);
}

/* Item: the probe's error path and remove free the region by one rule (only when the secure side no longer maps
 * it, else leak, logged). UNREGISTER cannot be made to fail here, so the debug parameters run both branches. */
static void expect_load(const char *ko, const char *params, int want_errno, const char *log)
{
	kmsg_mark();
	int r = load_module(ko, params), e = errno;
	if (want_errno == 0 && r != 0)
		fail("loading with '%s': %s", params, strerror(e));
	if (want_errno && r == 0) {
		fail("the module loaded with '%s'; want %s", params, strerror(want_errno));
		syscall(SYS_delete_module, "tzchan", O_NONBLOCK);
	} else if (want_errno && e != want_errno) {
		fail("loading with '%s': %s, want %s", params, strerror(e), strerror(want_errno));
	}
	if (log && !strstr(kmsg_read(), log))
		fail("loading with '%s': no '%s' in the kernel log", params, log);
}
static int unload_module(const char *log)
{
	kmsg_mark();
	if (syscall(SYS_delete_module, "tzchan", O_NONBLOCK) != 0) {
		fail("unloading tzchan: %s", strerror(errno));
		return -1;
	}
	if (log && !strstr(kmsg_read(), log))
		fail("unloading: no '%s' in the kernel log", log);
	return 0;
}
static void test_probe(const char *ko)
{
	static const char freed[] = "region unregistered (the secure side closed and unmapped it) and freed";
	static const char leaked[] = "leaking the region";
	unsigned f0 = failures;
	if (unload_module(freed))
		return;
	expect_load(ko, "debug_fail_probe=1", EIO, freed);
	expect_load(ko, "debug_fail_probe=1 debug_unregister_result=-1", EIO, leaked);
	expect_load(ko, "debug_unregister_result=-1", 0, NULL);
	unload_module(leaked);
	expect_load(ko, "", 0, NULL);
	int fd = open_lane(0, 0);
	fill(big, 3000, 80);
	if (fd >= 0 && echo_plain(fd, big, 3000) == 0 && failures == f0)
		printf("probe paths: a failed probe and an unload both free the region when unregistered and leak it "
		       "(logged) when not; reloaded, a message echoed\n");
	if (fd >= 0)
		close(fd);
}

/* Item: peer restart. The normal world's driver dies without unregistering, with traffic in flight: the
 * debug_crash_unload parameter makes its unload skip TZ_SMC_UNREGISTER, leave side A open and leak the pages, as
 * a crash (or a warm restart of the normal world alone) would. The next load registers a fresh region; the
 * secure side must take over from the old one (tz_smc.h): a new generation, TZCHAN_EPIPE for its users of the
 * old channel, the old generation refused (TZ_REG_ESTALE) for a doorbell, STATUS and an UNREGISTER that changes
 * nothing; then traffic both ways must verify on the new region, its sequence numbers starting again at 1.
 * Against a secure side that refuses a second REGISTER (TZ_REG_EBUSY) the reload fails and so does this. */
static struct {
	bool done;
	uint32_t from, to;
	unsigned after;
	int doorbell, status, unregister, old_users;
} restart;

static int get_generation(int fd, uint32_t stale, struct tzchan_ioc_generation *g)
{
	memset(g, 0, sizeof *g);
	g->stale = stale;
	if (ioctl(fd, TZCHAN_IOC_GENERATION, g) != 0) {
		fail("TZCHAN_IOC_GENERATION (stale %u): %s", stale, strerror(errno));
		return -1;
	}
	return 0;
}

/* Echoes on lane 0 (to the secure side, up to 16 ring sizes) and generated messages on lane 1 (from it), all
 * verified; `seq`: also check the echo sequence numbers (from echo_seq). Returns 0 or -1. */
static int restart_traffic(uint64_t seed, bool seq)
{
	static const size_t echo_sizes[] = {0, 1, 3000, 16384, 70000, 1 * MIB + 5};
	static const uint64_t gen_sizes[] = {0, 100, 65536 + 7, 2 * MIB};
	int r = -1, fd0 = open_lane(0, 0), fd1 = open_lane(1, 0);
	if (fd0 < 0 || fd1 < 0)
		goto out;
	for (size_t i = 0; i < sizeof echo_sizes / sizeof echo_sizes[0]; i++) {
		fill(big, echo_sizes[i], seed + i);
		if (seq ? echo_once(fd0, 0, big, echo_sizes[i], NULL) : echo_plain(fd0, big, echo_sizes[i]))
			goto out;
	}
	for (size_t i = 0; i < sizeof gen_sizes / sizeof gen_sizes[0]; i++)
		if (gen_check(fd1, gen_sizes[i], seed + 100 + i, 4096, NULL, NULL))
			goto out;
	r = 0;
out:
	if (fd0 >= 0)
		close(fd0);
	if (fd1 >= 0)
		close(fd1);
	return r;
}

static void test_restart(const char *ko)
{
	struct tzchan_ioc_generation g, s;
	struct lk_gen_req req = {LK_GEN_MAGIC, 0, 1 * MIB, 77};
	unsigned f0 = failures, v0;
	bool sent;
	int fd0, fd1;

	/* traffic on the registration that is about to be abandoned */
	fd0 = open_lane(0, 0);
	if (fd0 < 0 || get_generation(fd0, 0, &g)) {
		if (fd0 >= 0)
			close(fd0);
		return;
	}
	close(fd0);
	restart.from = g.generation;
	if (g.generation == 0 || g.secure_status != 0 || g.secure_generation != g.generation) {
		fail("restart: the driver holds generation %u, the secure side %u (status %d)", g.generation,
		     g.secure_generation, g.secure_status);
		return;
	}
	if (restart_traffic(500, false))
		return;
	/* in flight at the crash: an echo whose answer is never read, and a 1 MiB generated message that fills
	 * lane 1's ring while nobody reads it (the secure side waits for room in the old region) */
	fd0 = open_lane(0, 0);
	fd1 = open_lane(1, 0);
	fill(big, 5000, 600);
	sent = fd0 >= 0 && fd1 >= 0 && write_msg(fd0, big, 5000, NULL) == 0 &&
	       write_msg(fd1, &req, sizeof req, NULL) == 0;
	if (fd0 >= 0)
		close(fd0);
	if (fd1 >= 0)
		close(fd1);
	if (!sent)
		return;
	usleep(50000);

	/* the crash */
	if (write_file("/sys/module/tzchan/parameters/debug_crash_unload", "1") != 0) {
		fail("restart: setting debug_crash_unload: %s", strerror(errno));
		return;
	}
	if (unload_module("debug_crash_unload: leaving region"))
		return;
	if (access("/dev/tzchan", F_OK) == 0)
		fail("restart: /dev/tzchan still there after the crash");

	/* the restarted driver: a fresh region, one REGISTER, the secure side takes over (the kernel log says why
	 * if it refuses) */
	if (load_module(ko, "") != 0) {
		fail("restart: loading the driver again after the crash: %s (no takeover)", strerror(errno));
		return;
	}
	fd0 = open_lane(0, 0);
	if (fd0 < 0)
		return;
	if (get_generation(fd0, 0, &g) || get_generation(fd0, restart.from, &s)) {
		close(fd0);
		return;
	}
	close(fd0);
	restart.to = g.generation;
	restart.old_users = g.secure_error;
	restart.doorbell = s.doorbell;
	restart.status = s.status;
	restart.unregister = s.unregister;
	if (g.generation == 0 || g.generation == restart.from || g.secure_status != 0 ||
	    g.secure_generation != g.generation)
		fail("restart: after the takeover the driver holds generation %u (before: %u), the secure side %u "
		     "(status %d)", g.generation, restart.from, g.secure_generation, g.secure_status);
	if (g.secure_error != TZCHAN_EPIPE_CODE)
		fail("restart: the secure side's users of the old region saw %d, want TZCHAN_EPIPE (%d)",
		     g.secure_error, TZCHAN_EPIPE_CODE);
	if (s.doorbell != TZ_REG_ESTALE || s.status != TZ_REG_ESTALE || s.unregister != TZ_REG_ESTALE)
		fail("restart: the old generation %u got doorbell %d, status %d, unregister %d; want %d (stale) each",
		     restart.from, s.doorbell, s.status, s.unregister, TZ_REG_ESTALE);
	if (s.secure_status != 0 || s.secure_generation != g.generation)
		fail("restart: after the stale calls the secure side holds generation %u (status %d), want %u",
		     s.secure_generation, s.secure_status, g.generation);
	if (failures != f0)
		return;

	/* traffic on the new region: the secure side's lanes start again, so do the sequence numbers */
	memset(echo_seq, 0, sizeof echo_seq);
	v0 = verified;
	if (restart_traffic(700, true))
		return;
	restart.after = verified - v0;
	restart.done = true;
	printf("restart: driver reloaded without unregister, takeover generation %u -> %u, %u messages verified "
	       "after (both ways); old generation refused (doorbell %d, status %d, unregister %d), the secure side's "
	       "old users saw %d (TZCHAN_EPIPE)\n", restart.from, restart.to, restart.after, restart.doorbell,
	       restart.status, restart.unregister, restart.old_users);
}

/* Item (OP-TEE client): a process streaming both ways (6 MiB echoes on lane 0, 4 MiB generated messages on lane 1)
 * is killed mid-transfer. While it runs, the module cannot be unloaded: its open files pin it, and the request
 * fails at once (EWOULDBLOCK), it does not wait. After the kill the module unloads, told to skip UNREGISTER, so
 * that closing its sessions alone must end the registration before the memory is freed (nothing may hang), and
 * loads again, and traffic both ways verifies on the new registration
 * (the killed process's half message went with the old region). */
static void test_kill(const char *ko)
{
	struct tzchan_ioc_stats st0, st;
	int status = 0, fd = open_lane(0, 0);
	if (fd < 0)
		return;
	ioctl(fd, TZCHAN_IOC_GET_STATS, &st0);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int f0 = open_lane(0, 0), f1 = open_lane(1, 0);
		struct lk_echo e;
		for (unsigned i = 0; f0 >= 0 && f1 >= 0; i++) {
			if (write(f0, big, 6 * MIB) < 0 || read(f0, &e, sizeof e) < 0)
				break;
			struct lk_gen_req req = {LK_GEN_MAGIC, 0, 4 * MIB, i};
			if (write(f1, &req, sizeof req) < 0)
				break;
			for (size_t got = 0; got < 4 * MIB;) {
				ssize_t r = read(f1, rbuf, 64 * 1024);
				if (r <= 0)
					_exit(1);
				got += (size_t)r;
			}
		}
		_exit(1);
	}
	/* wait (bounded) until the child has moved at least 2 MiB: traffic is in flight */
	for (int i = 0; i < 200; i++) {
		usleep(50000);
		if (ioctl(fd, TZCHAN_IOC_GET_STATS, &st) == 0 &&
		    st.bytes_sent + st.bytes_recv - st0.bytes_sent - st0.bytes_recv >= 2 * MIB)
			break;
	}
	close(fd);
	errno = 0;
	double t = now_s();
	long u = syscall(SYS_delete_module, "tzchan", O_NONBLOCK);
	int ue = errno;
	if (u == 0)
		fail("the module unloaded while a process had /dev/tzchan open");
	else if (ue != EWOULDBLOCK && ue != EBUSY)
		fail("unloading with files open: %s, want EWOULDBLOCK", strerror(ue));
	else
		printf("kill: unloading with a process streaming was refused at once (%s, %.2f s)\n", strerror(ue),
		       now_s() - t);
	kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) != pid || !WIFSIGNALED(status)) {
		fail("the streaming child did not die by SIGKILL (status %#x)", status);
		return;
	}
	/* this unload skips UNREGISTER: closing the sessions alone must make the PTA give the region up */
	if (write_file("/sys/module/tzchan/parameters/debug_unload_without_unregister", "1") != 0) {
		fail("setting debug_unload_without_unregister: %s", strerror(errno));
		return;
	}
	t = now_s();
	if (syscall(SYS_delete_module, "tzchan", O_NONBLOCK) != 0) {
		fail("unloading after the kill: %s", strerror(errno));
		return;
	}
	double tu = now_s() - t;
	optee_counts("after the kill's unload");
	if (load_module(ko, "") != 0) {
		fail("reloading %s after the kill: %s", ko, strerror(errno));
		return;
	}
	memset(echo_seq, 0, sizeof echo_seq);
	if (restart_traffic(7000, true) == 0)
		printf("kill: a process streaming both ways was killed mid-transfer; the module unloaded (without "
		       "UNREGISTER: its sessions' close released the region) in %.2f s and loaded again; traffic both ways "
		       "verified\n", tu);
}

/* The hostile program (/tzchan-hostile), bounded: it gets `seconds`, and is killed after twice that plus 30 s. */
static void test_hostile(unsigned seconds)
{
	char arg[16];
	int status = 0;
	snprintf(arg, sizeof arg, "%u", seconds);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		execl("/tzchan-hostile", "tzchan-hostile", arg, (char *)NULL);
		printf("FAIL: exec /tzchan-hostile: %s\n", strerror(errno));
		_exit(1);
	}
	double end = now_s() + 2 * seconds + 30;
	pid_t w = 0;
	while (pid > 0 && (w = waitpid(pid, &status, WNOHANG)) == 0 && now_s() < end)
		usleep(50000);
	if (pid > 0 && w == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		fail("the hostile program did not finish within %u s", 2 * seconds + 30);
	} else if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fail("the hostile program failed (status %#x)", status);
	}
}

static bool wanted(const char *only, const char *name)
{
	size_t n = strlen(name);
	if (!only)
		return true;
	for (const char *p = only; (p = strstr(p, name)); p += n)
		if ((p == only || p[-1] == ',') && (p[n] == 0 || p[n] == ','))
			return true;
	return false;
}

static void test_hardening(const char *ko, const char *only)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1; /* no SA_RESTART: a blocked call returns EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	if (wanted(only, "priv") && !failures) {
		if (production)
			test_priv_production();
		else
			test_priv();
	}
	if (wanted(only, "intr") && !failures)
		test_intr();
	if (wanted(only, "wake") && !failures)
		test_wake();
	if (wanted(only, "setlane") && !failures)
		test_setlane();
	if (optee) {
		skipped_optee("unbind, second, probe, restart", "they test our own firmware's platform device and its "
			      "register-over takeover; OP-TEE's PTA ends a registration with its session instead");
		if (wanted(only, "kill") && !failures)
			test_kill(ko);
		if (wanted(only, "hostile") && !failures)
			test_hostile(25);
		return;
	}
	if (wanted(only, "unbind") && !failures)
		test_unbind();
	if (wanted(only, "second") && !failures)
		test_second();
	if (wanted(only, "probe") && !failures) {
		if (production)
			skipped("probe: the error path and remove free the region by one rule",
				"needs the debug_fail_probe and debug_unregister_result parameters");
		else
			test_probe(ko);
	}
	if (wanted(only, "restart") && !failures) {
		if (production)
			skipped("restart: takeover after a driver that vanished without unregistering",
				"needs the debug_crash_unload parameter and the generation ioctl");
		else
			test_restart(ko);
	}
	if (wanted(only, "hostile") && !failures)
		test_hostile(25);
}

/* Item (only where the initramfs has /tzchan-vfp: the Linux normal world under Genode's TrustZone VMM): the
 * normal world's floating-point state survives the secure world (tzchan-vfp.c). Silent where it is absent. */
static void test_vfp(void)
{
	int st = 0;
	if (access("/tzchan-vfp", X_OK) != 0)
		return;
	pid_t p = fork();
	if (p == 0) {
		execl("/tzchan-vfp", "tzchan-vfp", (char *)NULL);
		_exit(127);
	}
	if (p < 0 || waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail("the floating-point check /tzchan-vfp failed (status %#x)", st);
}

/* A production driver has no verdict ioctl: the verdict goes to the secure side as a message on lane 1 (struct
 * lk_verdict), answered by the exit status the firmware will report at power-off (lk_smc.h). */
static void hand_verdict_by_message(unsigned fails, unsigned msgs)
{
	struct lk_verdict m = {LK_VERDICT_MAGIC, fails, msgs, 0};
	struct lk_echo e;
	int fd = open("/dev/tzchan", O_RDWR);
	uint32_t lane = 1;
	if (fd < 0 || ioctl(fd, TZCHAN_IOC_SET_LANE, &lane) != 0 || write_msg(fd, &m, sizeof m, NULL) != 0 ||
	    read_msg(fd, (unsigned char *)&e, sizeof e, sizeof e, NULL, NULL) != 0 || e.magic != LK_VERDICT_MAGIC)
		printf("could not hand the verdict to the secure side over the channel: %s\n", strerror(errno));
	else
		printf("verdict handed to the secure side over the channel (lane 1): exit status %u\n", e.crc);
	if (fd >= 0)
		close(fd);
}

static void init_system(void)
{
	mkdir("/dev", 0755);
	mkdir("/proc", 0755);
	mkdir("/sys", 0755);
	if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) != 0 && errno != EBUSY)
		printf("mount devtmpfs: %s\n", strerror(errno));
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	{
		/* the CPUs Linux runs on (the SMP run checks that all are online) */
		char line[64] = "";
		FILE *f = fopen("/sys/devices/system/cpu/online", "r");
		if (f && fgets(line, sizeof line, f))
			printf("cpus online: %s", line);
		if (f)
			fclose(f);
	}
}

int main(int argc, char **argv)
{
	const char *ko = "/tzchan.ko", *only = NULL, *parts = NULL;
	bool pid1 = getpid() == 1;
	struct tzchan_ioc_stats st0, st;
	struct tzchan_ioc_verdict v = {0};
	uint64_t bytes = 0;
	double t0, t1;
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--production") == 0)
			production = true;
		else if (strcmp(argv[i], "--smp") == 0)
			smp_fw = serve_in_call = true;
		else if (strcmp(argv[i], "--serve-in-call") == 0)
			serve_in_call = true;
		else if (strncmp(argv[i], "--optee=", 8) == 0)
			optee = argv[i] + 8;
		else if (strncmp(argv[i], "--only=", 7) == 0)
			only = argv[i] + 7;
		else if (strncmp(argv[i], "--parts=", 8) == 0)
			parts = argv[i] + 8;
		else
			ko = argv[i];
	}
	if (pid1) {
		init_system();
		/* a region in secure RAM: the secure side must refuse it, and the module must not load */
		if (optee) {
			char params[64];
			snprintf(params, sizeof params, "debug_hostile=%s", optee);
			skipped_optee("refusal: registering secure RAM", "the hostile registrations at load stand for it");
			optee_counts("before the first load");
			if (load_module(ko, params) != 0) {
				printf("FAIL: loading %s %s: %s\n", ko, params, strerror(errno));
				failures++;
			}
		} else if (production) {
			skipped("refusal: registering secure RAM", "needs the debug_register_pa parameter");
		} else if (load_module(ko, "debug_register_pa=0x0e000000") == 0) {
			fail("the module loaded although it registered secure RAM");
			syscall(SYS_delete_module, "tzchan", O_NONBLOCK);
		} else if (errno != EACCES) {
			fail("registering secure RAM: %s, want EACCES", strerror(errno));
		} else {
			printf("refusal: registering secure RAM was refused by the secure side and the module did not "
			       "load (EACCES; reason in the kernel log)\n");
		}
		if (!optee && load_module(ko, "") != 0) {
			printf("FAIL: loading %s: %s\n", ko, strerror(errno));
			failures++;
		}
	}
	big = malloc(8 * MIB + 4096);
	rbuf = malloc(64 * 1024);
	if (!big || !rbuf)
		return 1;
	printf("tzchan-test: /dev/tzchan against the secure world%s%s%s\n",
	       production ? " (production driver: no test hooks)" : "", optee ? " (OP-TEE's tzchan PTA, ABI " : "",
	       optee ? optee : "");
	if (optee)
		printf(")\n");

	fd = failures ? -1 : open_lane(0, 0);
	if (fd >= 0 && only) {
		printf("only: %s\n", only);
		close(fd);
		if (pid1)
			test_hardening(ko, only);
	} else if (fd >= 0 && ioctl(fd, TZCHAN_IOC_GET_STATS, &st0) == 0) {
		printf("device: %u lanes, %u-byte rings, whole-record messages up to %u bytes\n", st0.lanes,
		       st0.ring_bytes, st0.max_msg);
		stats_fd = fd;
		t0 = now_s();
		phase_begin();
		test_sizes(fd, &bytes);
		phase_end("sizes (one message at a time)");
		if (!failures) {
			phase_begin();
			test_poll(&bytes);
			phase_end("poll (pipelined, O_NONBLOCK)");
		}
		if (!failures) {
			phase_begin();
			test_generator(&bytes);
			phase_end("generator (one request at a time)");
		}
		if (!failures) {
			phase_begin();
			test_signals(&bytes);
			phase_end("signals");
		}
		if (!failures && smp_fw) {
			phase_begin();
			test_percpu(&bytes);
			phase_end("per-CPU lanes (--smp)");
		}
		t1 = now_s();
		ioctl(fd, TZCHAN_IOC_GET_STATS, &st);
		test_stat_tool(&st);
		close(fd);
		uint64_t msgs = st.msgs_sent + st.msgs_recv, tb = st.bytes_sent + st.bytes_recv;
		uint64_t bells = st.doorbells_out + st.doorbells_in;
		printf("---- tzchan Linux driver summary ----\n");
		printf("messages: %llu written, %llu read, %u answers verified, %u failures\n",
		       (unsigned long long)st.msgs_sent, (unsigned long long)st.msgs_recv, verified, failures);
		printf("bytes: %llu written, %llu read (%.1f MiB through the rings)\n",
		       (unsigned long long)st.bytes_sent, (unsigned long long)st.bytes_recv, (double)tb / MIB);
		printf("throughput: %.1f MiB/s payload both ways over %.2f s (QEMU TCG, emulated)\n",
		       (double)tb / MIB / (t1 - t0), t1 - t0);
		printf("doorbells: %llu %s to the secure side, %llu %s from it: %.3f per message; "
		       "%llu sleeps; protocol errors %llu\n", (unsigned long long)st.doorbells_out,
		       optee ? "PUMP invokes" : "SMCs", (unsigned long long)st.doorbells_in,
		       optee ? "rings back (PUMP returns that woke waiters)" : "interrupts",
		       msgs ? (double)bells / (double)msgs : 0.0,
		       (unsigned long long)st.sleeps, (unsigned long long)st.protocol_errors);
		if (!failures && production)
			skipped("scribble: the secure side drops a scribbled region and accepts a fresh one",
				"needs the scribble ioctl");
		else if (!failures)
			test_scribble(&bytes);
		if (!failures && pid1)
			test_reload(ko, &bytes);
		if (!failures && pid1 && parts)
			printf("parts: of the hardening items (7, 8) only %s run (--parts)\n", parts);
		if (!failures && pid1)
			test_hardening(ko, parts);
		if (!failures && pid1)
			test_vfp();
	} else if (!failures) {
		fail("no /dev/tzchan statistics: %s", strerror(errno));
	}

	if (restart.done)
		printf("restart: driver reloaded without unregister, takeover generation %u -> %u, %u messages "
		       "verified after\n", restart.from, restart.to, restart.after);
	printf("RESULT %s: %u messages verified, %u failures\n", failures ? "FAIL" : "PASS", verified, failures);
	v.failures = failures ? failures : 0;
	v.messages = verified;
	if (production) {
		hand_verdict_by_message(v.failures, v.messages);
	} else {
		fd = open("/dev/tzchan", O_RDWR);
		if (fd >= 0 && ioctl(fd, TZCHAN_IOC_VERDICT, &v) == 0)
			printf("verdict handed to the secure side: exit status %d\n", v.status);
		else
			printf("could not hand the verdict to the secure side: %s\n", strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	if (optee && pid1) {
		/* the last lifetime item: everything the test did (hostile program included) left nothing behind */
		if (syscall(SYS_delete_module, "tzchan", O_NONBLOCK) != 0)
			printf("FAIL: the final unload: %s\n", strerror(errno));
		else
			optee_counts("after the final unload");
	}
	if (pid1) {
		sync();
		reboot(RB_POWER_OFF);
		for (;;)
			pause();
	}
	return failures ? 1 : 0;
}
