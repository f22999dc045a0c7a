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
#define HOSTILE_MSGS 8u    /* also the smcfuzz mode's final run */
#define RESTART_MSGS 32u   /* per restart round; the secure side's tz_secure.c uses the same counts */
#define SLOT_STRIDE 0x8000u /* region slots inside the 64 KiB alias: 0 and 1 */
#define POOL_PAIRS 100u    /* hostile: alternating block/page registrations with garbage headers */
#define POOL_PA 0x41000000u /* ... 2 MiB aligned, 2 MiB each: 0x41000000 (block) and 0x41201000 (pages) */
#define FUZZ_CALLS 60000u
#ifndef TZ_FUZZ_SEED
#define TZ_FUZZ_SEED 0x7a63686e2d667a31ull /* any value; printed, and the run is a pure function of it */
#endif
#define FUZZ_AREA 0x44000000u /* 16 MiB of NS RAM the fuzzer lays regions out in and points registrations at */

uint32_t tz_ns_gen;

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

/* REGISTER; on success the new generation becomes tz_ns_gen (and *gen, if given). */
static int32_t reg_gen(uint64_t pa, uint64_t size, uint32_t lanes, uint32_t ring, uint32_t *gen)
{
    uint32_t r[4];
    int32_t rc = smc(TZ_SMC_REGISTER, (uint32_t)pa, (uint32_t)(pa >> 32), (uint32_t)size, lanes, ring, r);
    if (rc == 0)
        tz_ns_gen = r[1];
    if (gen)
        *gen = rc == 0 ? r[1] : 0;
    return rc;
}

static int32_t reg(uint64_t pa, uint64_t size, uint32_t lanes, uint32_t ring)
{
    return reg_gen(pa, size, lanes, ring, NULL);
}

static unsigned cur_slot; /* which slot of the alias setup_region() uses */

static void *region_va(void)
{
    return (void *)(uintptr_t)(TZ_NS_REGION_VA + cur_slot * SLOT_STRIDE);
}

static uint64_t region_bytes(void)
{
    return (tzchan_region_size(TZ_LANES, RING_BYTES) + 4095u) & ~(uint64_t)4095u;
}

/* Lays out a fresh region at the alias VA (unless layout is false: then the memory keeps whatever an earlier
 * client left there), opens side A of both lanes, registers its physical address. Returns REGISTER's result. */
static int32_t setup_region_try(bool layout)
{
    void *va = region_va();
    uint64_t size = region_bytes(), pa;
    int32_t rc;
    uint32_t i;

    if (!layout) {
        pa = tz_ns_va_to_pa(va);
        rc = reg(pa, size, TZ_LANES, RING_BYTES);
        tz_printf("normal world: registered PA %#llx again without laying it out -> %d\n", (unsigned long long)pa,
                  (int)rc);
        return rc;
    }
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
    if (rc == 0)
        tz_printf("normal world: registered, generation %u\n", (unsigned)tz_ns_gen);
    return rc;
}

static void setup_region(void)
{
    int32_t rc = setup_region_try(true);
    if (rc != 0)
        tz_panic("registration refused: %d", (int)rc);
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
/* Runs the traffic to the end, or (stop_bytes != 0) until this side has sent that many bytes, which leaves
 * messages half-way in the rings: the restart mode's "crash in the middle of a transfer". */
static void run_traffic_until(uint32_t count, uint64_t stop_bytes)
{
    unsigned waiting[TZ_LANES];
    uint32_t i;
    int r;

    tz_traffic_init(&traffic, &ch[0], &ch[1], TZCHAN_SIDE_A, count);
    while (!tz_traffic_done(&traffic) && (stop_bytes == 0 || traffic.bytes_sent < stop_bytes)) {
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

static void run_traffic(uint32_t count)
{
    run_traffic_until(count, 0);
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

static void pool_pairs(void)
{
    unsigned i, bad = 0;
    int32_t rc1, rc2;
    memset((void *)(uintptr_t)POOL_PA, 0xa5, 4096);            /* garbage headers (identity-mapped RAM) */
    memset((void *)(uintptr_t)(POOL_PA + 0x201000u), 0x5a, 4096);
    for (i = 0; i < POOL_PAIRS; i++) {
        rc1 = reg(POOL_PA, 0x200000u, 2, RING_BYTES);
        rc2 = reg(POOL_PA + 0x201000u, 0x200000u, 2, RING_BYTES);
        if (rc1 != TZCHAN_EPROTO || rc2 != TZCHAN_EPROTO) {
            if (bad++ < 4)
                expect_refusal(i & 1 ? "garbage header, pages" : "garbage header, block",
                               rc1 != TZCHAN_EPROTO ? rc1 : rc2, TZCHAN_EPROTO);
        }
    }
    tz_printf("normal world: %u x (2 MiB block + 512 pages) registrations with garbage headers: %u pairs not "
              "refused with TZCHAN_EPROTO\n", POOL_PAIRS, bad);
    expect_refusal("a 4 KiB-mapped region after them", setup_region_try(true), 0);
    expect_refusal("unregister it", smc(TZ_SMC_UNREGISTER, tz_ns_gen, 0, 0, 0, 0, NULL), 0);
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

    /* 1b. translation-table pool: registrations that pass the argument checks but carry a garbage header, mapped
     *     alternately with a 2 MiB block (2 MiB-aligned PA) and with 512 pages (PA 4 KiB aligned only), each
     *     refused after mapping; then the 4 KiB-mapped registrations below must still be accepted and served */
    pool_pairs();

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


/* ---- restart mode ------------------------------------------------------------------------------------------ */

/* Waits until the secure side has consumed everything on lane 0 (the summary included), so that it has counted the
 * round before this client "crashes". Each STATUS call also lets the ARMv7 payload run. */
static void wait_secure_drained(void)
{
    const struct tzchan_wire_lane *lane0 =
        (const struct tzchan_wire_lane *)(const void *)((unsigned char *)region_va() + TZCHAN_WIRE_HEADER_BYTES);
    uint32_t st[4], polls = 0;
    while (__atomic_load_n(&lane0->ab_cons.value, __ATOMIC_ACQUIRE) !=
           __atomic_load_n(&lane0->ab_prod.value, __ATOMIC_RELAXED)) {
        smc(TZ_SMC_STATUS, tz_ns_gen, 0, 0, 0, 0, st);
        polls++;
        check_deadline("waiting for the secure side to take the summary");
    }
    tz_printf("normal world: the secure side has taken everything on lane 0 (%u status polls)\n", (unsigned)polls);
}

/* A warm restart of the client: everything it knew (endpoints, traffic, the generation) is forgotten, as after a
 * crash and reload of a driver; no UNREGISTER is sent. The machine layer (tables, GIC, timer) stays. */
static void warm_restart(unsigned n, unsigned slot)
{
    tz_arch_irq_off();
    memset(ch, 0, sizeof ch);
    memset(&traffic, 0, sizeof traffic);
    tz_ns_gen = 0;
    cur_slot = slot;
    tz_arch_irq_on();
    tz_printf("normal world: warm restart #%u: client state forgotten, no UNREGISTER; region slot %u\n", n, slot);
    expect_refusal("hello again, same mode", smc(TZ_SMC_HELLO, TZ_MODE_RESTART, 0, 0, 0, 0, NULL), 0);
}

static void restart_mode(void)
{
    uint32_t g0, g1, g2, st[4];
    int32_t rc;

    /* boot 1: slot 0 */
    cur_slot = 0;
    setup_region();
    g0 = tz_ns_gen;
    run_traffic(RESTART_MSGS);
    wait_secure_drained();

    /* boot 2: a fresh region at another address; the secure side must take over */
    warm_restart(1, 1);
    expect_refusal("re-register a fresh region elsewhere", setup_region_try(true), 0);
    g1 = tz_ns_gen;
    tz_printf("normal world: generations %u then %u %s\n", (unsigned)g0, (unsigned)g1,
              g1 != g0 && g1 != 0 ? "(new, as expected)" : "UNEXPECTED");
    expect_refusal("doorbell with the old generation", smc(TZ_SMC_DOORBELL, g0, 0, 0, 0, 0, NULL), TZ_REG_ESTALE);
    expect_refusal("unregister with the old generation", smc(TZ_SMC_UNREGISTER, g0, 0, 0, 0, 0, NULL),
                   TZ_REG_ESTALE);
    rc = smc(TZ_SMC_STATUS, g0, 0, 0, 0, 0, st);
    expect_refusal("status with the old generation", rc, TZ_REG_ESTALE);
    tz_printf("normal world: status says generation %u is current %s\n", (unsigned)st[3],
              st[3] == g1 ? "(the new one, as expected)" : "UNEXPECTED");
    run_traffic(RESTART_MSGS);
    wait_secure_drained();

    /* boot 3: the same address; first as the old client left it (stale contents), then laid out afresh */
    warm_restart(2, 1);
    expect_refusal("same address, stale contents", setup_region_try(false), TZ_REG_ENOTFRESH);
    expect_refusal("doorbell with the retired generation", smc(TZ_SMC_DOORBELL, g1, 0, 0, 0, 0, NULL),
                   TZ_REG_ESTALE);
    rc = smc(TZ_SMC_STATUS, g1, 0, 0, 0, 0, st);
    expect_refusal("status with the retired generation", rc, TZ_REG_ESTALE);
    tz_printf("normal world: status says generation %u is current %s\n", (unsigned)st[3],
              st[3] == 0 ? "(none: the stale REGISTER retired the old one, as expected)" : "UNEXPECTED");
    expect_refusal("same address, laid out afresh", setup_region_try(true), 0);
    g2 = tz_ns_gen;
    tz_printf("normal world: generation %u %s\n", (unsigned)g2,
              g2 != g0 && g2 != g1 && g2 != 0 ? "(new, as expected)" : "UNEXPECTED");
    expect_refusal("unregister with the first generation", smc(TZ_SMC_UNREGISTER, g0, 0, 0, 0, 0, NULL),
                   TZ_REG_ESTALE);
    /* ... and this time the client dies in the middle of a transfer: 1 MiB sent, messages half-way */
    run_traffic_until(RESTART_MSGS, 1u << 20);
    tz_printf("normal world: stopped after %llu bytes sent, %u messages acked, mid-transfer: %s\n",
              (unsigned long long)traffic.bytes_sent, (unsigned)traffic.tx.acked,
              tz_traffic_done(&traffic) ? "UNEXPECTED (the traffic had finished)" : "yes");

    /* boot 4: back to the first address, fresh; the secure side takes over from a channel in use, its users see
     * TZCHAN_EPIPE; then a last verified round */
    warm_restart(3, 0);
    expect_refusal("re-register while the old traffic is half-way", setup_region_try(true), 0);
    tz_printf("normal world: generation %u %s\n", (unsigned)tz_ns_gen,
              tz_ns_gen != g0 && tz_ns_gen != g1 && tz_ns_gen != g2 && tz_ns_gen != 0 ? "(new, as expected)"
                                                                                     : "UNEXPECTED");
    expect_refusal("doorbell with the interrupted generation", smc(TZ_SMC_DOORBELL, g2, 0, 0, 0, 0, NULL),
                   TZ_REG_ESTALE);
    run_traffic(RESTART_MSGS);
}

/* ---- smcfuzz mode ------------------------------------------------------------------------------------------ */

static uint64_t fz_state;
static uint64_t fz(void)
{
    /* xorshift64*: deterministic, so a failing run is replayed from its printed seed */
    fz_state ^= fz_state >> 12;
    fz_state ^= fz_state << 25;
    fz_state ^= fz_state >> 27;
    return fz_state * 0x2545f4914f6cdd1dull;
}

static uint64_t fz_addr(void)
{
    static const uint64_t points[] = {
        0, TZ_FLASH_BASE + 0x1000u, TZ_FLASH_SIZE - 0x1000u, TZ_SRAM_BASE, TZ_SRAM_BASE - 0x1000u,
        TZ_SRAM_BASE + TZ_SRAM_SIZE - 0x1000u, TZ_SRAM_BASE + TZ_SRAM_SIZE, TZ_GICD_BASE, TZ_UART1_BASE,
        TZ_NS_RAM_BASE, TZ_NS_IMAGE, TZ_NS_REGION_PA, TZ_NS_RAM_BASE + TZ_NS_RAM_SIZE - 0x1000u,
        TZ_NS_RAM_BASE + TZ_NS_RAM_SIZE, FUZZ_AREA, FUZZ_AREA + 0x1000u, FUZZ_AREA + 0x200000u,
        TZ_SP_WINDOW_VA, 0xfffff000u, 0xffffffffu, 0x100000000ull, 0xfffffffffffff000ull, 0x8000000000000000ull};
    uint64_t p = points[fz() % (sizeof points / sizeof points[0])];
    switch (fz() % 4) {
    case 0: return p;
    case 1: return p + ((fz() % 9) - 4) * 4096u;
    case 2: return p + (fz() % 8192u) - 4096u;
    default: return fz();
    }
}

static uint32_t fz_size(void)
{
    static const uint32_t points[] = {0, 1, 4096, 0x5000, 0x200000, TZ_SP_WINDOW_SIZE, TZ_SP_WINDOW_SIZE + 4096u,
                                      0x80000000u, 0xfffff000u, 0xffffffffu};
    switch (fz() % 3) {
    case 0: return points[fz() % (sizeof points / sizeof points[0])];
    case 1: return (uint32_t)((fz() % 4096u) * 4096u);
    default: return (uint32_t)fz();
    }
}

static uint32_t fz_geom(uint32_t *ring)
{
    static const uint32_t rings[] = {0, 1, 1023, 1024, 3000, 4096, 1u << 20, (1u << 20) + 1u, 1u << 30, 1u << 31,
                                     0xffffffffu};
    static const uint32_t lanes[] = {0, 1, 2, 3, 8, 9, 1024, 1025, 0xffffffffu};
    *ring = fz() % 4 ? RING_BYTES : rings[fz() % (sizeof rings / sizeof rings[0])];
    return fz() % 4 ? 2u : lanes[fz() % (sizeof lanes / sizeof lanes[0])];
}

#define FZ_GENS 8u
static uint32_t fz_old[FZ_GENS]; /* generations handed out earlier and no longer current */
static unsigned fz_nold;
static uint32_t fz_unexpected, fz_refused, fz_accepted, fz_stale_ok, fz_unknown_ok, fz_takeovers;
static bool fz_maybe_dropped; /* a scribble may have made the secure side drop tz_ns_gen's region on its own */
static bool fz_laid_out_live;  /* the last layout happened while a registration was (believed) live */

static void fz_expect(bool ok, const char *what, uint32_t fid, int32_t got)
{
    if (ok)
        return;
    if (fz_unexpected++ < 8)
        tz_printf("normal world: fuzz %s: fid %#x -> %d UNEXPECTED\n", what, (unsigned)fid, (int)got);
}

static void fz_retire(void)
{
    if (tz_ns_gen) {
        fz_old[fz_nold++ % FZ_GENS] = tz_ns_gen;
        tz_ns_gen = 0;
    }
}

/* A generation argument: 0, the current one, a stale one, the next one, or noise. Sets *stale if it is known
 * not to be current (the secure side's current one is tz_ns_gen or none). */
static uint32_t fz_gen(bool *stale)
{
    uint32_t g;
    switch (fz() % 5) {
    case 0: g = 0; break;
    case 1: g = tz_ns_gen; break;
    case 2: g = fz_nold ? fz_old[fz() % (fz_nold < FZ_GENS ? fz_nold : FZ_GENS)] : 0; break;
    case 3: g = tz_ns_gen + 1u; break;
    default: g = (uint32_t)fz(); break;
    }
    *stale = g != 0 && g != tz_ns_gen; /* any non-zero value but the current generation is not current */
    return g;
}

/* Lays out a valid region in one of the fuzz area's slots (some 2 MiB aligned, some not) and returns its PA. */
static uint64_t fz_fresh_region(uint64_t *size)
{
    static const uint32_t slots[] = {0, 0x1000u, 0x200000u, 0x3ff000u, 0x800000u};
    uint64_t pa = FUZZ_AREA + slots[fz() % (sizeof slots / sizeof slots[0])];
    *size = region_bytes();
    /* slots 0 and 0x1000 overlap, and any slot may be the registered one: laying it out is a scribble for the
     * secure side, which may drop the current registration on its own. And the secure side may still write to
     * the registration it is about to lose while this layout happens: those writes can land in the new region
     * anywhere (tz_smc.h: lay out over live memory only after the takeover), so the next registration may
     * break later too */
    fz_maybe_dropped = true;
    fz_laid_out_live = tz_ns_gen != 0;
    memset((void *)(uintptr_t)pa, 0, (size_t)*size);
    if (tzchan_region_init((void *)(uintptr_t)pa, (size_t)*size, TZ_LANES, RING_BYTES) < 0)
        tz_panic("fuzz: tzchan_region_init");
    return pa;
}

static bool reg_code_known(int32_t rc)
{
    return rc == 0 || (rc <= TZ_REG_EOVERFLOW && rc >= TZ_REG_ENOTFRESH && rc != TZ_REG_EBUSY &&
                       rc != TZ_REG_ENOTREG && rc != TZ_REG_ESTALE) ||
           rc == TZCHAN_EPROTO || rc == TZCHAN_EVERSION || rc == TZCHAN_EINVAL;
}

static void fz_register(uint64_t pa, uint64_t size, uint32_t lanes, uint32_t ring, uint64_t hi)
{
    uint64_t x[7] = {TZ_SMC_REGISTER, (uint32_t)pa | hi, (pa >> 32) | hi, size | hi, lanes | hi, ring | hi, hi};
    uint32_t r[4], prev = tz_ns_gen;
    int32_t rc;
    tz_ns_smc_raw(x, r);
    rc = (int32_t)r[0];
    fz_expect(reg_code_known(rc), "register: unknown result", TZ_SMC_REGISTER, rc);
    if (rc == 0) {
        fz_expect(r[1] != 0 && r[1] != prev, "register: generation not new", TZ_SMC_REGISTER, (int32_t)r[1]);
        fz_retire();
        tz_ns_gen = r[1];
        fz_maybe_dropped = fz_laid_out_live;
        fz_accepted++;
        fz_takeovers += prev != 0;
    } else {
        fz_refused++;
        if (rc > TZ_REG_EOVERFLOW || rc < TZ_REG_ESIZE)
            fz_retire(); /* passed the argument checks: the old registration is gone whatever followed */
    }
}

static void fz_one(void)
{
    uint64_t x[7], hi = (fz() % 8 == 0) ? (fz() & 0xffffffff00000000ull) : 0, size;
    uint32_t r[4], fid, lanes, ring, g;
    unsigned oen, op = (unsigned)(fz() % 100);
    bool stale;
    int32_t rc;
    unsigned i;

    if (op < 25) {                      /* REGISTER, adversarial arguments, upper halves sometimes set */
        uint64_t pa = fz_addr();
        lanes = fz_geom(&ring);
        fz_laid_out_live = true; /* whatever memory it names, it was not laid out just now */
        fz_register(pa, fz_size(), lanes, ring, hi);
    } else if (op < 33) {               /* REGISTER of a good, freshly laid-out region (takeover if one is up) */
        uint64_t pa = fz_fresh_region(&size);
        fz_register(pa, size, TZ_LANES, RING_BYTES, 0);
    } else if (op < 36) {               /* REGISTER of a good region whose side-B words are dirty */
        uint64_t pa = fz_fresh_region(&size);
        ((volatile uint32_t *)(uintptr_t)(pa + TZCHAN_WIRE_HEADER_BYTES + 0x280u + 0x0cu))[0] = 1u; /* sleep_b */
        fz_register(pa, size, TZ_LANES, RING_BYTES, 0);
    } else if (op < 48) {               /* UNREGISTER with 0, current, stale, next or noise */
        g = fz_gen(&stale);
        rc = smc(TZ_SMC_UNREGISTER, g, (uint32_t)fz(), 0, 0, 0, NULL);
        if (stale) {
            fz_expect(rc == TZ_REG_ESTALE, "unregister, stale generation", TZ_SMC_UNREGISTER, rc);
            fz_stale_ok += rc == TZ_REG_ESTALE;
        } else {
            /* the current generation is stale too if the secure side dropped the region after a scribble */
            fz_expect(rc == 0 || rc == TZ_REG_ENOTREG || (rc == TZ_REG_ESTALE && g != 0 && fz_maybe_dropped),
                      "unregister", TZ_SMC_UNREGISTER, rc);
            fz_retire();
        }
    } else if (op < 58) {               /* STATUS */
        g = fz_gen(&stale);
        rc = smc(TZ_SMC_STATUS, g, (uint32_t)fz(), (uint32_t)fz(), 0, 0, r);
        fz_expect(stale ? rc == TZ_REG_ESTALE : rc == 0 || (rc == TZ_REG_ESTALE && g != 0 && fz_maybe_dropped),
                  "status", TZ_SMC_STATUS, rc);
        fz_stale_ok += stale && rc == TZ_REG_ESTALE;
        fz_expect(r[3] == 0 || r[3] == tz_ns_gen, "status: current generation", TZ_SMC_STATUS, (int32_t)r[3]);
        if (r[3] == 0)
            fz_retire(); /* the secure side dropped it (a scribble, or an earlier refusal) */
        /* still registered now says nothing about later: a late write may already sit in the rings, unread */
    } else if (op < 68) {               /* DOORBELL (yielding SMC), or the SGI on AArch64 */
        g = fz_gen(&stale);
        if (fz() % 2) {
            tz_ns_ring_secure(NULL);
        } else {
            rc = smc(TZ_SMC_DOORBELL, g, 0, 0, 0, 0, NULL);
            fz_expect(stale ? rc == TZ_REG_ESTALE : rc <= 0, "doorbell", TZ_SMC_DOORBELL, rc);
            fz_stale_ok += stale && rc == TZ_REG_ESTALE;
        }
    } else if (op < 71) {               /* HELLO with any mode: only ours may be repeated */
        uint32_t mode = (uint32_t)(fz() % 6);
        rc = smc(TZ_SMC_HELLO, mode, 0, 0, 0, 0, NULL);
        fz_expect(mode == TZ_MODE_SMCFUZZ ? rc == 0 : rc == TZCHAN_EINVAL, "hello", TZ_SMC_HELLO, rc);
    } else if (op < 74) {               /* scribble over a registered fuzz region's rings and indices */
        uint32_t *w = (uint32_t *)(uintptr_t)(FUZZ_AREA + (fz() % 2 ? 0 : 0x1000u));
        for (i = 0; i < 64; i++)
            w[32 + fz() % 2048u] = (uint32_t)fz();
        fz_maybe_dropped = true;
        tz_ns_ring_secure(NULL);
    } else {                            /* any other function ID: documented ones with the fast/SMC64 bits
                                         * flipped, unknown ones in every owning entity, and noise */
        static const uint32_t known[] = {TZ_SMC_REGISTER, TZ_SMC_UNREGISTER, TZ_SMC_HELLO, TZ_SMC_STATUS,
                                         TZ_SMC_DOORBELL, TZ_SMC_LK_DOORBELL, TZ_SMC_LK_VERDICT,
                                         TZ_SMC_TOS_CALL_COUNT, TZ_SMC_TOS_UID, TZ_SMC_TOS_REVISION,
                                         0x84000000u, 0x84000008u};
        bool must_be_unknown;
        switch (fz() % 4) {
        case 0: fid = known[fz() % (sizeof known / sizeof known[0])] ^ TZ_SMC_FAST; break;
        case 1: fid = known[fz() % (sizeof known / sizeof known[0])] | 0x40000000u; break;
        case 2: fid = TZ_SMC_FID(fz() % 2, fz() % 64, (uint32_t)(fz() % 0x10000u)); break;
        default: fid = (uint32_t)fz(); break;
        }
        if (fid == TZ_SMC_REGISTER || fid == TZ_SMC_UNREGISTER || fid == TZ_SMC_HELLO || fid == TZ_SMC_STATUS ||
            fid == TZ_SMC_DOORBELL)
            fid ^= 0x0000ff00u; /* documented calls are exercised above, with arguments that are tracked */
        oen = (fid >> TZ_SMC_OEN_SHIFT) & TZ_SMC_OEN_MASK;
        /* SMC64, upper half of the function ID set (AArch64), unknown owner, or an unknown number in ours */
        must_be_unknown = (fid & 0x40000000u) || (hi && sizeof(void *) == 8) ||
                          (oen != TZ_SMC_OEN_TOS && oen != TZ_SMC_OEN_TOS_GENERIC) ||
                          (oen == TZ_SMC_OEN_TOS && fid != TZ_SMC_DOORBELL) || oen == TZ_SMC_OEN_TOS_GENERIC;
        if (fid == TZ_SMC_TOS_CALL_COUNT || fid == TZ_SMC_TOS_UID || fid == TZ_SMC_TOS_REVISION)
            must_be_unknown = hi && sizeof(void *) == 8;
        x[0] = fid | hi;
        for (i = 1; i < 7; i++)
            x[i] = fz();
        tz_ns_smc_raw(x, r);
        if (must_be_unknown) {
            fz_expect(r[0] == TZ_SMC_UNKNOWN, "unknown function not refused", fid, (int32_t)r[0]);
            fz_unknown_ok += r[0] == TZ_SMC_UNKNOWN;
        } else if (fid == TZ_SMC_TOS_UID) {
            fz_expect(r[0] == TZ_SMC_UID0 && r[1] == TZ_SMC_UID1 && r[2] == TZ_SMC_UID2 && r[3] == TZ_SMC_UID3,
                      "UID", fid, (int32_t)r[0]);
        } else if (fid == TZ_SMC_TOS_REVISION) {
            fz_expect(r[0] == TZ_SMC_REV_MAJOR && r[1] == TZ_SMC_REV_MINOR, "revision", fid, (int32_t)r[0]);
        } else if (fid == TZ_SMC_TOS_CALL_COUNT) {
            fz_expect(r[0] == 5u, "call count", fid, (int32_t)r[0]);
        }
    }
}

static void smcfuzz_mode(void)
{
    uint32_t n;
    int32_t rc;

    fz_state = TZ_FUZZ_SEED;
    tz_printf("normal world: SMC fuzz, seed %#llx, %u calls\n", (unsigned long long)TZ_FUZZ_SEED, FUZZ_CALLS);
    for (n = 0; n < FUZZ_CALLS; n++) {
        fz_one();
        if ((n & 4095u) == 4095u) {
            check_deadline("fuzzing");
            tz_printf("normal world: fuzz: %u calls, %u registrations accepted (%u took over), %u refused, "
                      "%u stale generations refused, %u unknown IDs refused, %u unexpected\n", (unsigned)(n + 1u),
                      (unsigned)fz_accepted, (unsigned)fz_takeovers, (unsigned)fz_refused, (unsigned)fz_stale_ok,
                      (unsigned)fz_unknown_ok, (unsigned)fz_unexpected);
        }
    }
    tz_printf("normal world: fuzz done: seed %#llx, %u calls, %u registrations accepted (%u took over), %u refused, "
              "%u stale generations refused, %u unknown IDs refused, %u results %s\n",
              (unsigned long long)TZ_FUZZ_SEED, FUZZ_CALLS, (unsigned)fz_accepted, (unsigned)fz_takeovers,
              (unsigned)fz_refused, (unsigned)fz_stale_ok, (unsigned)fz_unknown_ok, (unsigned)fz_unexpected,
              fz_unexpected ? "UNEXPECTED" : "unexpected");
    /* the secure side must still accept a good registration and serve it */
    rc = smc(TZ_SMC_UNREGISTER, 0, 0, 0, 0, 0, NULL);
    tz_printf("normal world: unregister whatever the fuzz left -> %d\n", (int)rc);
    fz_retire();
    cur_slot = 0;
    expect_refusal("a good registration after the fuzz", setup_region_try(true), 0);
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
    } else if (mode == TZ_MODE_RESTART) {
        restart_mode();
    } else if (mode == TZ_MODE_SMCFUZZ) {
        smcfuzz_mode();
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
