// SPDX-License-Identifier: BSD-2-Clause
/*
 * /init of the OP-TEE test's initramfs: checks from user space that Linux's OP-TEE driver is up and that the
 * tzchan pseudo TA answers, then hands over to the channel test: execs /tzchan-test (port/linux-kernel's user test)
 * with this program's own arguments (--optee=<smc|ffa>, from the kernel command line), which loads /tzchan.ko
 * (port/optee's OP-TEE client), runs the traffic, prints the RESULT line and powers the machine off (PSCI
 * SYSTEM_OFF through TF-A). If a check here fails, or there is no /tzchan-test, it prints RESULT FAIL and powers
 * off itself.
 *   1. the TEE bus lists the PTA (the driver enumerated OP-TEE's devices at probe:
 * /sys/bus/tee/devices/optee-ta-<uuid>)
 *   2. /dev/tee0 is OP-TEE's (TEE_IOC_VERSION)
 *   3. a session opens on the PTA, STATUS reports the interface and wire-format versions this build expects,
 *      counts this session and holds no registration and no memory object yet, and the session closes; an
 *      unknown command is refused.
 * Uses only the kernel's TEE ioctls (no libteec). Static, so the initramfs needs nothing else.
 *
 * The same program, run as `tzchan-optee-counts --counts <when>` (the test runs it with no client of the PTA
 * active: before the module's first load and after each unload), prints what OP-TEE itself holds, from the PTA's
 * CORE_COUNTS (OP-TEE's thread table, its shared-memory object lists, its core heap's statistics) as one line
 *   optee-counts <when>: threads in use T of N, shm objects S (B bytes), heap A of Z bytes, PTA objects held P,
 *   PTA sessions Q
 * which run-optee.sh compares with the first one. Exit 0 if it could ask, 1 if not.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/tee.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tzchan_pta.h"
#include "tzchan/wire.h"

/* OP-TEE's result codes this program looks at (GlobalPlatform TEE Internal API values). */
#define TEEC_SUCCESS 0x00000000u
#define TEEC_ERROR_NOT_SUPPORTED 0xffff000au

static int failures;

static void check(int ok, const char *what)
{
    printf("%s: %s\n", ok ? "ok" : "FAIL", what);
    if (!ok)
        failures++;
}

/* The driver probes at boot; give it a bounded while in case its probe was deferred (not a timing assertion). */
static int wait_for(const char *path)
{
    for (int i = 0; i < 100; i++) {
        struct stat st;
        if (stat(path, &st) == 0)
            return 1;
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

/* The PTA's UUID as OP-TEE's ioctls carry it: time_low, time_mid, time_hi_and_version big-endian, then the bytes */
static void uuid_octets(uint8_t out[TEE_IOCTL_UUID_LEN])
{
    const struct {
        uint32_t a;
        uint16_t b, c;
        uint8_t d[8];
    } u = TZCHAN_PTA_UUID;
    out[0] = (uint8_t)(u.a >> 24);
    out[1] = (uint8_t)(u.a >> 16);
    out[2] = (uint8_t)(u.a >> 8);
    out[3] = (uint8_t)u.a;
    out[4] = (uint8_t)(u.b >> 8);
    out[5] = (uint8_t)u.b;
    out[6] = (uint8_t)(u.c >> 8);
    out[7] = (uint8_t)u.c;
    memcpy(out + 8, u.d, 8);
}

static int invoke(int fd, uint32_t session, uint32_t func, struct tee_ioctl_param p[4], uint32_t *ret)
{
    /* the argument and its four parameters (the uapi struct ends in a flexible array), in one aligned buffer */
    union {
        uint64_t align;
        unsigned char bytes[sizeof(struct tee_ioctl_invoke_arg) + 4 * sizeof(struct tee_ioctl_param)];
    } buf;
    struct tee_ioctl_invoke_arg *arg = (struct tee_ioctl_invoke_arg *)(void *)buf.bytes;
    memset(&buf, 0, sizeof(buf));
    arg->func = func;
    arg->session = session;
    arg->num_params = 4;
    memcpy(arg->params, p, 4 * sizeof(*p));
    struct tee_ioctl_buf_data data = {.buf_ptr = (uintptr_t)&buf, .buf_len = sizeof(buf)};
    if (ioctl(fd, TEE_IOC_INVOKE, &data) != 0)
        return -errno;
    memcpy(p, arg->params, 4 * sizeof(*p));
    *ret = arg->ret;
    return 0;
}

/* Opens a session on the PTA through an open /dev/tee0. Returns 0 and the session, or -1 (printed). */
static int open_pta(int fd, uint32_t *session)
{
    union {
        uint64_t align;
        unsigned char bytes[sizeof(struct tee_ioctl_open_session_arg) + 4 * sizeof(struct tee_ioctl_param)];
    } buf;
    struct tee_ioctl_open_session_arg *arg = (struct tee_ioctl_open_session_arg *)(void *)buf.bytes;
    memset(&buf, 0, sizeof(buf));
    uuid_octets(arg->uuid);
    arg->clnt_login = TEE_IOCTL_LOGIN_PUBLIC;
    arg->num_params = 4;
    struct tee_ioctl_buf_data data = {.buf_ptr = (uintptr_t)&buf, .buf_len = sizeof(buf)};
    if (ioctl(fd, TEE_IOC_OPEN_SESSION, &data) != 0 || arg->ret != TEEC_SUCCESS) {
        printf("open session: errno %d, ret 0x%x origin %u\n", errno, arg->ret, arg->ret_origin);
        return -1;
    }
    *session = arg->session;
    return 0;
}

/* --counts <when>: OP-TEE's own counts through the PTA's CORE_COUNTS, one line (see the top of this file). */
static int print_counts(const char *when)
{
    int fd = open("/dev/tee0", O_RDWR | O_CLOEXEC);
    uint32_t session, ret = 0;
    if (fd < 0) {
        printf("optee-counts %s: open /dev/tee0: %s\n", when, strerror(errno));
        return 1;
    }
    if (open_pta(fd, &session) != 0) {
        printf("optee-counts %s: no session on the PTA\n", when);
        close(fd);
        return 1;
    }
    struct tee_ioctl_param p[4];
    memset(p, 0, sizeof(p));
    for (int i = 0; i < 4; i++)
        p[i].attr = TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT;
    int rc = invoke(fd, session, TZCHAN_PTA_CMD_CORE_COUNTS, p, &ret);
    if (rc == 0 && ret == TEEC_SUCCESS)
        printf("optee-counts %s: threads in use %llu of %llu, shm objects %llu (%llu bytes), heap %llu of %llu "
               "bytes, PTA objects held %llu, PTA sessions %llu\n", when, (unsigned long long)p[0].a,
               (unsigned long long)p[0].b, (unsigned long long)p[1].a, (unsigned long long)p[1].b,
               (unsigned long long)p[2].a, (unsigned long long)p[2].b, (unsigned long long)p[3].a,
               (unsigned long long)p[3].b);
    else
        printf("optee-counts %s: CORE_COUNTS failed: rc %d ret 0x%x\n", when, rc, ret);
    struct tee_ioctl_close_session_arg cs = {.session = session};
    ioctl(fd, TEE_IOC_CLOSE_SESSION, &cs);
    close(fd);
    return rc == 0 && ret == TEEC_SUCCESS ? 0 : 1;
}

static void test_pta(void)
{
    check(wait_for("/sys/bus/tee/devices/optee-ta-" TZCHAN_PTA_UUID_STR),
          "the TEE bus lists the tzchan PTA (optee-ta-" TZCHAN_PTA_UUID_STR ")");
    check(wait_for("/dev/tee0"), "/dev/tee0 exists");
    int fd = open("/dev/tee0", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        check(0, "open /dev/tee0");
        return;
    }
    struct tee_ioctl_version_data ver;
    memset(&ver, 0, sizeof(ver));
    check(ioctl(fd, TEE_IOC_VERSION, &ver) == 0 && ver.impl_id == TEE_IMPL_ID_OPTEE, "/dev/tee0 is OP-TEE");

    uint32_t session;
    if (open_pta(fd, &session) != 0) {
        check(0, "a session opens on the tzchan PTA");
        close(fd);
        return;
    }
    check(1, "a session opens on the tzchan PTA");

    struct tee_ioctl_param p[4];
    memset(p, 0, sizeof(p));
    for (int i = 0; i < 4; i++)
        p[i].attr = TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT;
    uint32_t ret = 0;
    int rc = invoke(fd, session, TZCHAN_PTA_CMD_STATUS, p, &ret);
    check(rc == 0 && ret == TEEC_SUCCESS, "STATUS succeeds");
    printf("status: interface %llu, wire format %llu, sessions open %llu, opened since boot %llu\n",
           (unsigned long long)p[0].a, (unsigned long long)p[0].b, (unsigned long long)p[1].a,
           (unsigned long long)p[1].b);
    check(p[0].a == TZCHAN_PTA_API_VERSION && p[0].b == TZCHAN_WIRE_VERSION,
          "STATUS reports the interface and wire-format versions this build speaks");
    check(p[1].a == 1 && p[1].b >= 1, "STATUS counts this session");
    check(p[2].a == 0 && p[2].b == 0, "STATUS: no registration and no memory object held before any client");

    memset(p, 0, sizeof(p));
    rc = invoke(fd, session, 0x7fffffffu, p, &ret);
    check(rc == 0 && ret == TEEC_ERROR_NOT_SUPPORTED, "an unknown command is refused with NOT_SUPPORTED");

    struct tee_ioctl_close_session_arg cs = {.session = session};
    check(ioctl(fd, TEE_IOC_CLOSE_SESSION, &cs) == 0, "the session closes");
    close(fd);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--counts") == 0) {
        setvbuf(stdout, NULL, _IOLBF, 0);
        return print_counts(argv[2]);
    }
    mount("proc", "/proc", "proc", 0, NULL);
    mount("sysfs", "/sys", "sysfs", 0, NULL);
    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("tzchan-optee-init: start\n");
    test_pta();
    if (!failures) {
        printf("init: the tzchan PTA answers from user space; handing over to /tzchan-test\n");
        argv[0] = "/tzchan-test";
        execv("/tzchan-test", argv);
        printf("exec /tzchan-test: %s\n", strerror(errno));
        failures++;
    }
    (void)argc;
    printf("RESULT FAIL: %d check(s) failed\n", failures);
    sync();
    reboot(RB_POWER_OFF);
    return 1;
}
