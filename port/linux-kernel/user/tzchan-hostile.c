/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tzchan-hostile: a hostile user of /dev/tzchan, started by the test program (/init) after the functional test.
 * For a bounded time it throws at the driver what a careless or malicious program could:
 *   - many threads on one shared fd and on fds of their own: writes and reads of random sizes (0 B .. 192 KiB,
 *     blocking and not), bad user pointers, read(fd, buf, 0), writes repeated with another length;
 *   - random ioctls (any number in the driver's range and outside it, any size and direction; valid, NULL, bad
 *     and tiny arguments), SET_LANE to any lane (valid or not) while writes are halfway, poll();
 *   - signals every millisecond or so to random threads (with and without SA_RESTART) during blocked calls;
 *   - close of an fd while another thread is blocked reading it, close and reopen, dup and close, O_NONBLOCK on
 *     and off under other threads' feet;
 *   - attempts to unbind and bind the driver through sysfs.
 * The test ioctls (scribble, verdict, generation) are left out: they need CAP_SYS_ADMIN, which this program has,
 * and the test program checks their refusal separately. Lane 1's generator is never asked for a message.
 * What it checks itself: every call returns (a watchdog signals stragglers at the end and fails if any call stays
 * blocked), no call returns a count it should not, unbind is refused. The kernel's own checks (KASAN, lockdep,
 * atomic sleep, list and object debugging) report into the kernel log, which run-linux.sh checks.
 * Usage: tzchan-hostile [seconds]  (default 20). Exit: 0 pass, 1 fail.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lk_smc.h"
#include "tzchan_ioctl.h"

enum { WORKERS = 8, SHARED_WORKERS = 4, MAX_IO = 192 * 1024, LANES_TRIED = 4 };

static double deadline;
static int shared_fd = -1;
/* bad_page: mapped PROT_NONE, an address user space owns but cannot touch. The page before it is ours too
 * (readable and writable, used by nobody else), so a buffer that starts there and runs into bad_page writes
 * nothing of the program's own: without it, the page before bad_page is whatever the C library mapped there (a
 * thread's stack and descriptor, a malloc chunk), and a read that succeeded in part overwrote it. */
static unsigned char *bad_page;
static pthread_t workers[WORKERS];
static int exited[WORKERS]; /* set by a worker as it returns: signalled no more after main has seen all set */
static pid_t worker_tid[WORKERS]; /* for the report on a worker that never returns */
static int stop_all;
static unsigned long ops, calls_ok, calls_err, unexpected, unbinds_refused;

/* Counts an unexpected result; prints the first few (a broken driver can produce thousands). */
static void report(const char *fmt, const char *what, long v)
{
	if (__atomic_add_fetch(&unexpected, 1, __ATOMIC_RELAXED) > 10)
		return;
	printf("hostile: FAIL: ");
	printf(fmt, what, v);
	printf("\n");
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static __thread int my_worker = -1;		/* this thread's worker number, or -1 */
static unsigned worker_sigs[WORKERS][2];	/* signals each worker took: SIGUSR1, SIGUSR2 (for the report) */
static void on_signal(int sig)
{
	if (my_worker >= 0) /* relaxed: a count, read by main only for the report */
		__atomic_fetch_add(&worker_sigs[my_worker][sig == SIGUSR2], 1u, __ATOMIC_RELAXED);
}

/* A random buffer argument: mostly valid, sometimes NULL, a PROT_NONE page, or valid then running into it. */
static void *pick_buf(uint64_t *s, unsigned char *mine, size_t len)
{
	switch (rnd(s) % 16) {
	case 0:
		return NULL;
	case 1:
		return bad_page;
	case 2:
		return bad_page - (len < 4096 ? len / 2 : 2048); /* the tail runs into the PROT_NONE page */
	default:
		return mine;
	}
}

static size_t pick_len(uint64_t *s)
{
	switch (rnd(s) % 8) {
	case 0:
		return 0;
	case 1:
	case 2:
		return (size_t)(rnd(s) % 64);
	case 3:
	case 4:
		return (size_t)(rnd(s) % 20000);
	default:
		return (size_t)(rnd(s) % MAX_IO);
	}
}

static void count(long r, int err, const char *what)
{
	if (r >= 0) {
		__atomic_add_fetch(&calls_ok, 1, __ATOMIC_RELAXED);
		return;
	}
	__atomic_add_fetch(&calls_err, 1, __ATOMIC_RELAXED);
	switch (err) {
	case EAGAIN: case EINTR: case EINVAL: case EFAULT: case EBUSY: case ENOTTY: case EPIPE: case EBADF:
	case EMSGSIZE: case EPERM:
		break;
	default:
		report("%s: unexpected errno %ld", what, err);
	}
}

static int reopen(uint64_t *s)
{
	int fd = open("/dev/tzchan", O_RDWR | (rnd(s) & 1 ? O_NONBLOCK : 0));
	if (fd < 0) {
		report("%s: %ld", "open /dev/tzchan", errno);
		usleep(100000); /* the device is gone: do not spin */
	}
	return fd;
}

static void one_op(uint64_t *s, int *fdp, bool shared, unsigned char *buf)
{
	int fd = shared ? shared_fd : *fdp;
	size_t len = pick_len(s);
	long r;

	switch (rnd(s) % 12) {
	case 0:
	case 1:
	case 2: { /* write: never a generator request (24 bytes starting with its magic) */
		void *p = pick_buf(s, buf, len);
		if (p == buf && len >= 4)
			buf[0] = 0;
		r = write(fd, p, len);
		if (r >= 0 && (size_t)r != len)
			report("%s: a write returned the short count %ld", "write", r);
		count(r, errno, "write");
		break;
	}
	case 3:
	case 4:
	case 5: {
		void *p = pick_buf(s, buf, len);
		r = read(fd, p, len);
		if (r > (long)len)
			report("%s: read returned %ld bytes, more than asked", "read", r);
		count(r, errno, "read");
		break;
	}
	case 6: { /* a random ioctl: the driver's magic with any number, size and direction, or anything at all */
		static const unsigned long known[] = {TZCHAN_IOC_GET_STATS, TZCHAN_IOC_SET_LANE, TZCHAN_IOC_RX_INFO};
		unsigned long cmd;
		void *arg;
		switch (rnd(s) % 4) {
		case 0:
			cmd = known[rnd(s) % 3];
			break;
		case 1:
		case 2:
			cmd = _IOC((unsigned)(rnd(s) % 4), TZCHAN_IOC_MAGIC, (unsigned)(rnd(s) % 0x80),
				   (unsigned)(rnd(s) % 64));
			break;
		default:
			cmd = (unsigned long)(uint32_t)rnd(s);
			break;
		}
		if (cmd == TZCHAN_IOC_SCRIBBLE || cmd == TZCHAN_IOC_VERDICT || cmd == TZCHAN_IOC_GENERATION)
			break; /* privileged test hooks: checked by the test program */
		memcpy(buf, s, sizeof *s); /* random-ish contents, lane numbers included */
		switch (rnd(s) % 4) {
		case 0:
			arg = NULL;
			break;
		case 1:
			arg = bad_page;
			break;
		case 2:
			arg = (void *)(uintptr_t)(rnd(s) % 16);
			break;
		default:
			arg = buf;
			break;
		}
		r = ioctl(fd, cmd, arg);
		count(r, errno, "ioctl");
		break;
	}
	case 7: { /* SET_LANE, valid or not, while this or another thread may be halfway through a write */
		uint32_t lane = (uint32_t)(rnd(s) % LANES_TRIED);
		r = ioctl(fd, TZCHAN_IOC_SET_LANE, &lane);
		count(r, errno, "SET_LANE");
		break;
	}
	case 8: {
		struct pollfd p = {fd, (short)(POLLIN | (rnd(s) & 1 ? POLLOUT : 0)), 0};
		r = poll(&p, 1, (int)(rnd(s) % 20));
		count(r, errno, "poll");
		break;
	}
	case 9: /* close and reopen our own fd; on the shared one: dup and close (the file stays open) */
		if (shared) {
			int d = dup(fd);
			if (d >= 0)
				close(d);
		} else {
			close(*fdp);
			*fdp = reopen(s);
		}
		break;
	case 10: { /* O_NONBLOCK on or off under the other threads' feet */
		int fl = fcntl(fd, F_GETFL);
		if (fl >= 0)
			fcntl(fd, F_SETFL, rnd(s) & 1 ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
		break;
	}
	default: { /* a write repeated with another length: the resume rule's EINVAL, or a new message */
		size_t l2 = len / 2;
		if (len >= 4)
			buf[0] = 0;
		r = write(fd, buf, len);
		count(r, errno, "write");
		r = write(fd, buf, l2);
		count(r, errno, "write");
		break;
	}
	}
	__atomic_add_fetch(&ops, 1, __ATOMIC_RELAXED);
}

static void *worker(void *p)
{
	unsigned id = (unsigned)(uintptr_t)p;
	bool shared = id < SHARED_WORKERS;
	uint64_t s = 0x9e3779b97f4a7c15ull * (id + 1);
	unsigned char *buf = malloc(MAX_IO);
	int fd = -1;

	my_worker = (int)id;
	__atomic_store_n(&worker_tid[id], (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	if (!buf)
		return NULL;
	for (size_t i = 0; i < MAX_IO; i++)
		buf[i] = (unsigned char)rnd(&s);
	if (!shared)
		fd = reopen(&s);
	while (now_s() < deadline && fd != -2) {
		if (!shared && fd < 0)
			fd = reopen(&s);
		if (shared || fd >= 0)
			one_op(&s, &fd, shared, buf);
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	__atomic_store_n(&exited[id], 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Where a worker that never returned is: its state, the system call it is in (number and arguments, from
 * /proc/self/task/<tid>/syscall) and the kernel function it sleeps in (wchan), so that a failure says what hangs. */
static void report_stuck(unsigned id)
{
	static const char *const what[] = {"stat", "syscall", "wchan"};
	pid_t tid = __atomic_load_n(&worker_tid[id], __ATOMIC_ACQUIRE);
	printf("hostile: worker %u (tid %d, %s) still blocked:", id, (int)tid, id < SHARED_WORKERS ? "shared fd" : "own fd");
	for (unsigned k = 0; k < 3; k++) {
		char path[64], line[256] = "";
		snprintf(path, sizeof path, "/proc/self/task/%d/%s", (int)tid, what[k]);
		FILE *f = fopen(path, "r");
		if (f) {
			if (!fgets(line, sizeof line, f))
				line[0] = 0;
			fclose(f);
		}
		line[strcspn(line, "\n")] = 0;
		printf(" %s: %s;", what[k], line[0] ? line : "?");
	}
	printf(" signals taken: %u SIGUSR1 (no restart), %u SIGUSR2 (restart)\n",
	       __atomic_load_n(&worker_sigs[id][0], __ATOMIC_RELAXED), __atomic_load_n(&worker_sigs[id][1], __ATOMIC_RELAXED));
}

/* Signals every millisecond or so to a random worker: SIGUSR1 without SA_RESTART, SIGUSR2 with it. */
static void *signaller(void *p)
{
	uint64_t s = 12345;
	(void)p;
	while (!__atomic_load_n(&stop_all, __ATOMIC_ACQUIRE)) {
		pthread_kill(workers[rnd(&s) % WORKERS], rnd(&s) & 1 ? SIGUSR1 : SIGUSR2);
		usleep((useconds_t)(500 + rnd(&s) % 1500));
	}
	return NULL;
}

/* Close during a blocked read: a reader blocks on its own fd, the fd is closed under it, a signal gets it out;
 * the file is released only then. Also a blocked write whose fd is closed. */
struct blocked {
	int fd, done;
};
static void *blocked_io(void *p)
{
	struct blocked *b = p;
	unsigned char buf[256];
	long r = read(b->fd, buf, sizeof buf);
	if (r > (long)sizeof buf)
		report("%s: %ld", "read after close", r);
	__atomic_store_n(&b->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *closer(void *p)
{
	uint64_t s = 777;
	(void)p;
	while (!__atomic_load_n(&stop_all, __ATOMIC_ACQUIRE)) {
		int fd = open("/dev/tzchan", O_RDWR);
		uint32_t lane = (uint32_t)(rnd(&s) % 2);
		pthread_t t;
		if (fd < 0) {
			report("%s: %ld", "open /dev/tzchan", errno);
			break;
		}
		ioctl(fd, TZCHAN_IOC_SET_LANE, &lane);
		struct blocked b = {fd, 0};
		pthread_create(&t, NULL, blocked_io, &b);
		usleep((useconds_t)(rnd(&s) % 20000));
		close(fd); /* the reader still holds the file: release comes when it returns */
		/* signal it out (again and again: a signal that lands before it blocks is lost on it) */
		for (int i = 0; i < 2000 && !__atomic_load_n(&b.done, __ATOMIC_ACQUIRE); i++) {
			pthread_kill(t, SIGUSR1);
			usleep(10000);
		}
		if (!__atomic_load_n(&b.done, __ATOMIC_ACQUIRE)) {
			report("%s (%ld s)", "a read whose fd was closed did not return after signals", 20);
			break; /* not joined: the process exits with the failure */
		}
		pthread_join(t, NULL);
	}
	return NULL;
}

/* Unbind and bind through sysfs: the driver offers neither file, so both must fail. */
static void *unbinder(void *p)
{
	static const char *const files[] = {"/sys/bus/platform/drivers/tzchan/unbind",
					    "/sys/bus/platform/drivers/tzchan/bind"};
	unsigned i = 0;
	(void)p;
	while (!__atomic_load_n(&stop_all, __ATOMIC_ACQUIRE)) {
		int fd = open(files[i++ & 1], O_WRONLY);
		if (fd >= 0) {
			long r = write(fd, "tzchan", 6);
			close(fd);
			report("%s was offered (write: %ld)", files[(i - 1) & 1], r);
		} else {
			__atomic_add_fetch(&unbinds_refused, 1, __ATOMIC_RELAXED);
		}
		usleep(200000);
	}
	return NULL;
}

/* Reads both lanes until they stay quiet, so that writers' half messages can be completed at close (the
 * secure side answers each message and stops taking new ones while its answers are not read). */
static int drain_stop;
static void *drainer(void *p)
{
	int fd = open("/dev/tzchan", O_RDWR | O_NONBLOCK);
	uint32_t lane = (uint32_t)(uintptr_t)p;
	static unsigned char b[64 * 1024];
	if (fd < 0 || ioctl(fd, TZCHAN_IOC_SET_LANE, &lane) != 0)
		return NULL;
	while (!__atomic_load_n(&drain_stop, __ATOMIC_ACQUIRE)) {
		struct pollfd pf = {fd, POLLIN, 0};
		if (poll(&pf, 1, 50) > 0)
			while (read(fd, b, sizeof b) > 0)
				;
	}
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned seconds = argc > 1 ? (unsigned)atoi(argv[1]) : 20;
	pthread_t sig, clo, unb, dr[2];
	struct sigaction sa;
	double t0 = now_s();

	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR2, &sa, NULL);
	bad_page = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (bad_page != MAP_FAILED) {
		bad_page += 4096;
		if (mprotect(bad_page, 4096, PROT_NONE) != 0)
			bad_page = MAP_FAILED;
	}
	shared_fd = open("/dev/tzchan", O_RDWR);
	if (bad_page == MAP_FAILED || shared_fd < 0) {
		printf("hostile: FAIL: setup: %s\n", strerror(errno));
		return 1;
	}
	deadline = t0 + seconds;
	printf("hostile: %u s: %d threads (%d on one fd), signals, closes under blocked reads, unbind attempts\n",
	       seconds, WORKERS, SHARED_WORKERS);
	for (uintptr_t i = 0; i < WORKERS; i++)
		pthread_create(&workers[i], NULL, worker, (void *)i);
	pthread_create(&sig, NULL, signaller, NULL);
	pthread_create(&clo, NULL, closer, NULL);
	pthread_create(&unb, NULL, unbinder, NULL);
	for (uintptr_t i = 0; i < 2; i++)
		pthread_create(&dr[i], NULL, drainer, (void *)i);

	/* Past the deadline every worker finishes its current call and stops; the signaller keeps interrupting
	 * blocked calls meanwhile. A call still blocked 20 s later is a failure (it would never return). Workers
	 * are joined only after the signaller has stopped (signalling a joined thread is undefined). */
	unsigned left = WORKERS;
	while (left && now_s() < deadline + 20) {
		usleep(100000);
		left = 0;
		for (unsigned i = 0; i < WORKERS; i++)
			left += !__atomic_load_n(&exited[i], __ATOMIC_ACQUIRE);
	}
	__atomic_store_n(&stop_all, 1, __ATOMIC_RELEASE);
	pthread_join(sig, NULL);
	pthread_join(clo, NULL);
	pthread_join(unb, NULL);
	if (left) {
		for (unsigned i = 0; i < WORKERS; i++)
			if (!__atomic_load_n(&exited[i], __ATOMIC_ACQUIRE))
				report_stuck(i);
		printf("hostile: FAIL: %u of %d threads still blocked 20 s after the end, signals and all\n", left,
		       WORKERS);
		return 1;
	}
	for (unsigned i = 0; i < WORKERS; i++)
		pthread_join(workers[i], NULL);
	close(shared_fd);
	usleep(500000);
	__atomic_store_n(&drain_stop, 1, __ATOMIC_RELEASE);
	pthread_join(dr[0], NULL);
	pthread_join(dr[1], NULL);
	printf("hostile: %lu operations in %.1f s (%lu calls succeeded, %lu failed as allowed), %lu unbind/bind "
	       "attempts refused, %lu unexpected results\n", ops, now_s() - t0, calls_ok, calls_err, unbinds_refused,
	       unexpected);
	printf("hostile: %s\n", unexpected ? "FAIL" : "PASS");
	return unexpected ? 1 : 0;
}
