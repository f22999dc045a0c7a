/* SPDX-License-Identifier: BSD-2-Clause */
/* The normal-world client (see tz_normal.h). */
#include "tz_normal.h"

#include "tz_libc.h"

#include "tz_board.h"
#include "tz_plat.h"
#include "tz_print.h"
#include "tz_region.h"
#include "tz_smc.h"
#include "tz_traffic.h"
#include "tzchan/tzchan.h"
#include "tzchan/wire.h"

#define RING_BYTES 4096u
#define TRAFFIC_MSGS 256u
#define HOSTILE_MSGS 8u

static struct tzchan ch[TZ_LANES];
static struct tz_traffic traffic;
static volatile uint64_t irqs, irqs_mid, doorbell_irqs;
static uint64_t deadline;

void tz_ns_tick(void)
{
    irqs++;
    if (traffic.busy)
        irqs_mid++;
}

void tz_ns_doorbell_irq(void)
{
    doorbell_irqs++;
}

static void check_deadline(const char *what)
{
    if (tz_arch_now() > deadline) {
        tz_printf("normal world: timed out %s\n", what);
        for (;;)
            tz_arch_wfi(); /* the verdict is the secure side's; it times out too */
    }
}

static int32_t smc(uint32_t fid, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4, uint32_t *out)
{
    uint32_t a[6] = {a0, a1, a2, a3, a4, 0}, r[4];
    tz_ns_smc(fid, a, r);
    if (out)
        memcpy(out, r, sizeof r);
    return (int32_t)r[0];
}

static int32_t reg(uint64_t pa, uint64_t size, uint32_t lanes, uint32_t ring)
{
    return smc(TZ_SMC_REGISTER, (uint32_t)pa, (uint32_t)(pa >> 32), (uint32_t)size, lanes, ring, NULL);
}

static void *region_va(void)
{
    return (void *)(uintptr_t)TZ_NS_REGION_VA;
}

static uint64_t region_bytes(void)
{
    return (tzchan_region_size(TZ_LANES, RING_BYTES) + 4095u) & ~(uint64_t)4095u;
}

/* Lays out a fresh region at the alias VA, registers its physical address, opens side A of both lanes. */
static void setup_region(void)
{
    void *va = region_va();
    uint64_t size = region_bytes(), pa;
    int32_t rc;
    uint32_t i;

    memset(va, 0, (size_t)size);
    rc = tzchan_region_init(va, (size_t)size, TZ_LANES, RING_BYTES);
    if (rc < 0)
        tz_panic("tzchan_region_init: %s", tzchan_strerror(rc));
    pa = tz_ns_va_to_pa(va);
    tz_printf("normal world: region at VA %p is PA %#llx, %llu bytes, %u lanes x %u-byte rings\n", va,
              (unsigned long long)pa, (unsigned long long)size, TZ_LANES, RING_BYTES);
    for (i = 0; i < TZ_LANES; i++) {
        rc = tzchan_open(&ch[i], va, (size_t)size, TZCHAN_SIDE_A, i);
        if (rc < 0)
            tz_panic("tzchan_open lane %u: %s", (unsigned)i, tzchan_strerror(rc));
        tzchan_set_notify(&ch[i], tz_ns_ring_secure, NULL);
    }
    rc = reg(pa, size, TZ_LANES, RING_BYTES);
    if (rc != 0)
        tz_panic("registration refused: %d", (int)rc);
    tz_printf("normal world: registered\n");
}

static void fill_summary(void)
{
    struct tz_summary s;
    struct tzchan_stats st;
    uint32_t i;
    memset(&s, 0, sizeof s);
    s.magic = TZ_SUMMARY_MAGIC;
    s.errors = traffic.bad;
    s.msgs_ok = traffic.msgs_recv;
    s.acks_ok = traffic.tx.acked;
    s.bytes_ok = traffic.bytes_recv;
    s.irqs = irqs;
    s.irqs_mid = irqs_mid;
    s.doorbell_irqs = doorbell_irqs;
    for (i = 0; i < TZ_LANES; i++) {
        tzchan_get_stats(&ch[i], &st);
        s.doorbells += st.doorbells;
    }
    tz_traffic_set_summary(&traffic, &s);
}

/* Runs the traffic to the end: pump, and when nothing moves, announce the waits and sleep in wfi. */
static void run_traffic(uint32_t count)
{
    unsigned waiting[TZ_LANES];
    uint32_t i;
    int r;

    tz_traffic_init(&traffic, &ch[0], &ch[1], TZCHAN_SIDE_A, count);
    while (!tz_traffic_done(&traffic)) {
        fill_summary();
        tz_arch_irq_on(); /* transfers run preemptible */
        r = tz_traffic_pump(&traffic);
        tz_arch_irq_off(); /* masked from the wait announcements to wfi: no doorbell is lost in between */
        if (r < 0)
            tz_panic("normal world: lane %u: %s", (unsigned)traffic.lane_error, tzchan_strerror(r));
        check_deadline("moving messages");
        if (r > 0)
            continue;
        r = 0;
        for (i = 0; i < TZ_LANES; i++) {
            waiting[i] = 0;
            if (traffic.wait[i] && !r) {
                r = tzchan_wait_prepare(&ch[i], (enum tzchan_wait)traffic.wait[i]);
                waiting[i] = 1;
            }
        }
        if (r == 0) {
            tz_arch_wfi();
            tz_arch_irq_on(); /* take what woke us */
            tz_arch_irq_off();
        }
        for (i = 0; i < TZ_LANES; i++)
            if (waiting[i])
                tzchan_wait_done(&ch[i]);
    }
    tz_arch_irq_on();
    tz_printf("normal world: %u messages sent (%llu bytes), %u received (%llu bytes), %u verification failures, "
              "%llu timer interrupts (%llu mid-transfer), %llu doorbell interrupts\n",
              (unsigned)traffic.msgs_sent, (unsigned long long)traffic.bytes_sent, (unsigned)traffic.msgs_recv,
              (unsigned long long)traffic.bytes_recv, (unsigned)traffic.bad, (unsigned long long)irqs,
              (unsigned long long)irqs_mid, (unsigned long long)doorbell_irqs);
}

static void expect_refusal(const char *what, int32_t got, int32_t want)
{
    tz_printf("normal world: %-38s -> %d (%s) %s\n", what, (int)got,
              got == (int32_t)TZ_SMC_UNKNOWN ? "SMC unknown" :
              got <= TZ_REG_EOVERFLOW ? tz_region_strerror(got) : tzchan_strerror(got),
              got == want ? "as expected" : "UNEXPECTED");
}

static void expect_abort(const char *what, int aborted, int want)
{
    tz_printf("normal world: %-38s -> %s %s\n", what, aborted ? "aborted" : "went through",
              aborted == want ? "as expected" : "UNEXPECTED");
}

static void garbage_rounds(void)
{
    uint32_t *w = region_va(), st[4] = {0, 0, 0, 0}, round, i, n = (uint32_t)(region_bytes() / 4u);
    uint64_t x = 0x2545f4914f6cdd1dull;
    int32_t rc;

    setup_region();
    for (round = 0; round < 64; round++) {
        for (i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            __atomic_store_n(&w[i], (uint32_t)x, __ATOMIC_RELAXED);
        }
        tz_ns_ring_secure(NULL);
        smc(TZ_SMC_STATUS, 0, 0, 0, 0, 0, st);
        if (st[3] == 0)
            break; /* the secure side dropped the region */
    }
    tz_printf("normal world: %u rounds of garbage over the whole region: secure side reports %s, region %s\n",
              (unsigned)(round + (round < 64)), tzchan_strerror((int32_t)st[1]), st[3] ? "still registered" : "dropped");
    rc = smc(TZ_SMC_UNREGISTER, 0, 0, 0, 0, 0, NULL);
    tz_printf("normal world: unregister after the garbage -> %d, secure side still answering\n", (int)rc);
}

static void hostile(void)
{
    uint64_t pa = tz_ns_va_to_pa(region_va()), size = region_bytes();
    struct tzchan_wire_lane *lane0;
    struct tzchan_wire_header *h;
    uint32_t st[4];
    int32_t rc, rc2;

    /* 0. the hardware keeps the normal world out of secure memory and the secure UART (so it cannot forge the
     *    verdict there); the normal world can only ask the secure side, which is what the rest attacks */
    expect_abort("read its own RAM (the probe's control)", tz_ns_probe(TZ_NS_REGION_VA, 0), 0);
    expect_abort("read secure flash", tz_ns_probe(TZ_FLASH_BASE, 0), 1);
    expect_abort("read secure RAM", tz_ns_probe(TZ_SRAM_BASE, 0), 1);
    expect_abort("write secure RAM", tz_ns_probe(TZ_SRAM_BASE + 0x100u, 1), 1);
    expect_abort("write the secure-only UART", tz_ns_probe(TZ_UART1_BASE, 1), 1);

    /* 1. registrations the secure side must refuse */
    expect_refusal("secure RAM", reg(TZ_SRAM_BASE, size, 2, RING_BYTES), TZ_REG_ESECURE);
    expect_refusal("secure flash (its own image)", reg(0, size, 2, RING_BYTES), TZ_REG_ESECURE);
    expect_refusal("NS RAM running into secure RAM", reg(TZ_SRAM_BASE - 0x1000u, size, 2, RING_BYTES),
                   TZ_REG_ESECURE);
    expect_refusal("overflowing base + size", reg(0xfffffffffffff000ull, 0x2000u, 2, RING_BYTES), TZ_REG_EOVERFLOW);
    expect_refusal("empty region", reg(pa, 0, 2, RING_BYTES), TZ_REG_EOVERFLOW);
    expect_refusal("misaligned base", reg(pa + 64u, size, 2, RING_BYTES), TZ_REG_EALIGN);
    expect_refusal("ring not a power of two", reg(pa, size, 2, 3000u), TZ_REG_EGEOMETRY);
    expect_refusal("zero lanes", reg(pa, size, 0, RING_BYTES), TZ_REG_EGEOMETRY);
    expect_refusal("too small for its geometry", reg(pa, 4096u, 2, RING_BYTES), TZ_REG_ESIZE);
    expect_refusal("device space (UART)", reg(TZ_UART0_BASE, size, 2, RING_BYTES), TZ_REG_ENOTRAM);
    expect_refusal("straddling the end of RAM", reg(TZ_NS_RAM_BASE + TZ_NS_RAM_SIZE - 4096u, size, 2, RING_BYTES),
                   TZ_REG_ENOTRAM);
    memset(region_va(), 0xa5, (size_t)size);
    expect_refusal("garbage instead of a region header", reg(pa, size, 2, RING_BYTES), TZCHAN_EPROTO);
    expect_refusal("unknown function in the tzchan range", smc(TZ_SMC_FID(1, TZ_SMC_OEN_TOS, 0x7fu), 0, 0, 0, 0, 0,
                   NULL), (int32_t)TZ_SMC_UNKNOWN);
    expect_refusal("unknown owning entity (SiP)", smc(0x82000001u, 0, 0, 0, 0, 0, NULL), (int32_t)TZ_SMC_UNKNOWN);
    expect_refusal("SMC64 call", smc(TZ_SMC_REGISTER | 0x40000000u, 0, 0, 0, 0, 0, NULL), (int32_t)TZ_SMC_UNKNOWN);

    /* 2. a good registration and a clean teardown (the secure side closes and unmaps), twice over */
    setup_region();
    rc = smc(TZ_SMC_UNREGISTER, 0, 0, 0, 0, 0, NULL);
    rc2 = smc(TZ_SMC_UNREGISTER, 0, 0, 0, 0, 0, NULL);
    tz_printf("normal world: unregister -> %d, again -> %d (%s)\n", (int)rc, (int)rc2, tz_region_strerror(rc2));

    /* 3. a good registration, then a scribbled ring: the secure side must report TZCHAN_EPROTO and survive */
    setup_region();
    lane0 = (struct tzchan_wire_lane *)(void *)((unsigned char *)region_va() + TZCHAN_WIRE_HEADER_BYTES);
    h = region_va();
    memset((unsigned char *)region_va() + h->lane_offset + h->ring_offset_ab, 0xa5, RING_BYTES);
    __atomic_store_n(&lane0->ab_prod.value, 512u, __ATOMIC_RELEASE); /* "512 bytes of records" of garbage */
    tz_printf("normal world: scribbled lane 0's ring and published it\n");
    tz_ns_ring_secure(NULL);
    for (;;) {
        smc(TZ_SMC_STATUS, 0, 0, 0, 0, 0, st);
        if ((int32_t)st[1] == TZCHAN_EPROTO)
            break;
        check_deadline("waiting for the secure side to notice the scribble");
        tz_arch_wfi();
    }
    tz_printf("normal world: secure side reports %s and still answers calls (region registered: %u)\n",
              tzchan_strerror((int32_t)st[1]), (unsigned)st[3]);
    rc = smc(TZ_SMC_UNREGISTER, 0, 0, 0, 0, 0, NULL);
    tz_printf("normal world: unregister after the scribble -> %d (%s)\n", (int)rc, tz_region_strerror(rc));

    /* 4. garbage over the whole region (header, indices, doorbell slots, rings), round after round, while the
     *    secure side works on it and is rung after each round: it may only break the channel */
    garbage_rounds();

    /* 5. recovery: a fresh region works as before */
    setup_region();
    run_traffic(HOSTILE_MSGS);
}

void tz_ns_main(uint32_t mode)
{
    uint32_t r[4];

    deadline = tz_arch_now() + (uint64_t)TZ_RUN_SECONDS * tz_arch_freq();
    smc(TZ_SMC_TOS_UID, 0, 0, 0, 0, 0, r);
    tz_printf("normal world (%s): trusted OS UID %08x-%08x-%08x-%08x", tz_ns_arch_name, (unsigned)r[0], (unsigned)r[1],
              (unsigned)r[2], (unsigned)r[3]);
    smc(TZ_SMC_TOS_REVISION, 0, 0, 0, 0, 0, r);
    tz_printf(", revision %u.%u\n", (unsigned)r[0], (unsigned)r[1]);
    if (smc(TZ_SMC_HELLO, mode, 0, 0, 0, 0, NULL) != 0)
        tz_panic("hello refused");
    if (mode == TZ_MODE_HOSTILE) {
        hostile();
    } else {
        setup_region();
        run_traffic(TRAFFIC_MSGS);
    }
    tz_printf("normal world: done, waiting for the secure side's verdict\n");
    for (;;) {
        check_deadline("waiting for the verdict");
        tz_arch_wfi();
    }
}
