/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A stand-in for Linux's use of PSCI, booted by the Linux firmware (tz-linux.bin) in place of the kernel Image:
 * it runs at NS-EL1 with the MMU off on CPU0 and on CPU2 (QEMU -smp 3) and checks what the kernel test cannot
 * reach (the test kernel has no CPU hotplug, so Linux never calls CPU_OFF or AFFINITY_INFO):
 *   - PSCI_VERSION is 1.0; PSCI_FEATURES answers 0 for every function served and NOT_SUPPORTED for others;
 *   - AFFINITY_INFO: ON for CPU0, OFF for CPU2 before CPU_ON, INVALID_PARAMETERS for CPU1 (the payload's), for a
 *     CPU the machine lacks and for an affinity level above 0;
 *   - CPU_ON: INVALID_PARAMETERS for CPU1, ALREADY_ON for CPU0, INVALID_ADDRESS outside normal-world RAM; then
 *     three rounds of CPU_ON(CPU2) -> CPU2 runs with its context ID in x0 and sees itself ON -> CPU_OFF ->
 *     AFFINITY_INFO(CPU2) turns OFF, the second CPU_ON of a round answered ON_PENDING or ALREADY_ON;
 *   - while CPU2 is on in the first round, both CPUs make forwarded Trusted OS calls at once (CPU0 STATUS, CPU2 an
 *     unknown ID), each checking its own answer: the monitor's one mailbox must be taken in turns. (Without the
 *     monitor's lock the window is narrow: this caught that mutant in 2 of 7 runs; the lock is argued in
 *     el3_common.c, not proven here.)
 * It prints "PSCI-CHECK PASS" (or the failures) on the normal world's UART and powers off with SYSTEM_OFF.
 * Memory is Device with the MMU off: CPU0 and CPU2 share only aligned words, through load-acquire/store-release.
 */
#include <stdint.h>

#include "tz_board.h"
#include "tz_smc.h"
#include "lk_smc.h"

void psci_check_main(void);
void psci_check_secondary(uint64_t context);
extern char psci_check_secondary_entry[];

#define UART0 0x09000000u
#define ROUNDS 3u
#define HAMMER_CALLS 2000u
#define CONTEXT_BASE 0x5ec0000000000000ull /* a context ID with high bits set: x0 must arrive whole */
#define CALL_UNKNOWN TZ_SMC_FID(1, TZ_SMC_OEN_TOS, 0x3fu) /* a Trusted OS call nobody serves */

static uint32_t failures;
static uint64_t seen_context;  /* CPU2 -> CPU0: the context ID it started with (release/acquire) */
static uint32_t hammer_done;   /* CPU2 -> CPU0: its forwarded calls are over (release/acquire) */
static uint32_t hammer_bad;    /* CPU2's wrong answers, read by CPU0 after hammer_done */
static uint32_t self_state;    /* CPU2's AFFINITY_INFO for itself in the current round */

static void putc_(char c)
{
    volatile uint32_t *dr = (volatile uint32_t *)(uintptr_t)UART0;
    volatile uint32_t *fr = (volatile uint32_t *)(uintptr_t)(UART0 + 0x18u);
    while (*fr & (1u << 5))
        ;
    *dr = (uint32_t)(unsigned char)c;
}

static void puts_(const char *s)
{
    while (*s)
        putc_(*s++);
}

static void puthex(uint64_t v)
{
    int i;
    puts_("0x");
    for (i = 60; i >= 0; i -= 4)
        putc_("0123456789abcdef"[(v >> i) & 0xfu]);
}

static uint64_t smc(uint64_t fid, uint64_t x1, uint64_t x2, uint64_t x3)
{
    register uint64_t r0 __asm__("x0") = fid, r1 __asm__("x1") = x1, r2 __asm__("x2") = x2, r3 __asm__("x3") = x3;
    __asm__ volatile("smc #0"
                     : "+r"(r0), "+r"(r1), "+r"(r2), "+r"(r3)
                     :
                     : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16",
                       "x17", "memory");
    return r0;
}

/* the result as PSCI defines it: a signed 32-bit value */
static int32_t psci(uint64_t fid, uint64_t x1, uint64_t x2, uint64_t x3)
{
    return (int32_t)(uint32_t)smc(fid, x1, x2, x3);
}

static void expect(const char *what, int64_t got, int64_t want)
{
    if (got == want)
        return;
    failures++;
    puts_("FAIL: ");
    puts_(what);
    puts_(": got ");
    puthex((uint64_t)got);
    puts_(", want ");
    puthex((uint64_t)want);
    puts_("\n");
}

static uint64_t now(void)
{
    uint64_t v;
    __asm__ volatile("isb; mrs %0, cntpct_el0" : "=r"(v));
    return v;
}

static uint64_t ticks_per_s(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
    return v;
}

/* CPU2, from CPU_ON: x0 = the context ID CPU0 gave */
void psci_check_secondary(uint64_t context)
{
    __atomic_store_n(&self_state, (uint32_t)psci(LK_PSCI_AFFINITY_INFO64, 2, 0, 0), __ATOMIC_RELAXED);
    /* release: self_state is written before CPU0 sees the context; pairs with the acquire in psci_check_main */
    __atomic_store_n(&seen_context, context, __ATOMIC_RELEASE);
    if (context == CONTEXT_BASE + 1u) { /* first round: forwarded calls while CPU0 makes its own */
        uint32_t i, bad = 0;
        for (i = 0; i < HAMMER_CALLS; i++)
            if ((uint32_t)smc(CALL_UNKNOWN, 0, 0, 0) != TZ_SMC_UNKNOWN)
                bad++;
        __atomic_store_n(&hammer_bad, bad, __ATOMIC_RELAXED);
        /* release: hammer_bad is written first; pairs with the acquire in psci_check_main */
        __atomic_store_n(&hammer_done, 1u, __ATOMIC_RELEASE);
    }
    smc(LK_PSCI_CPU_OFF, 0, 0, 0); /* does not return */
    puts_("FAIL: CPU_OFF returned on CPU2\n");
    for (;;)
        __asm__ volatile("wfe");
}

void psci_check_main(void)
{
    static const uint32_t served[] = {LK_PSCI_VERSION,       LK_PSCI_CPU_OFF,           LK_PSCI_CPU_ON,
                                      LK_PSCI_CPU_ON64,      LK_PSCI_AFFINITY_INFO,     LK_PSCI_AFFINITY_INFO64,
                                      LK_PSCI_MIGRATE_INFO_TYPE, LK_PSCI_SYSTEM_OFF,   LK_PSCI_SYSTEM_RESET,
                                      LK_PSCI_FEATURES};
    static const uint32_t not_served[] = {0x80000000u /* SMCCC_VERSION */, 0x84000001u, 0xc4000001u /* CPU_SUSPEND */,
                                          0xc400000eu /* SYSTEM_SUSPEND */, 0xc4000012u /* SYSTEM_RESET2 */,
                                          0x84000005u /* MIGRATE */, 0x8400001fu, CALL_UNKNOWN};
    uint64_t entry = (uint64_t)(uintptr_t)psci_check_secondary_entry, end;
    uint32_t i, round;

    puts_("psci-check: PSCI as Linux uses it, CPU0 and CPU2\n");
    expect("PSCI_VERSION", psci(LK_PSCI_VERSION, 0, 0, 0), LK_PSCI_VERSION_1_0);
    for (i = 0; i < sizeof served / sizeof served[0]; i++)
        expect("PSCI_FEATURES(served)", psci(LK_PSCI_FEATURES, served[i], 0, 0), 0);
    for (i = 0; i < sizeof not_served / sizeof not_served[0]; i++)
        expect("PSCI_FEATURES(not served)", psci(LK_PSCI_FEATURES, not_served[i], 0, 0), -1);
    expect("CPU_SUSPEND", psci(0xc4000001u, 0, 0, 0), -1);

    expect("AFFINITY_INFO(CPU0)", psci(LK_PSCI_AFFINITY_INFO64, 0, 0, 0), LK_PSCI_AFF_ON);
    expect("AFFINITY_INFO(CPU1)", psci(LK_PSCI_AFFINITY_INFO64, 1, 0, 0), -2);
    expect("AFFINITY_INFO(CPU2) before CPU_ON", psci(LK_PSCI_AFFINITY_INFO, 2, 0, 0), LK_PSCI_AFF_OFF);
    expect("AFFINITY_INFO(CPU3, absent)", psci(LK_PSCI_AFFINITY_INFO64, 3, 0, 0), -2);
    expect("AFFINITY_INFO(CPU2, level 1)", psci(LK_PSCI_AFFINITY_INFO64, 2, 1, 0), -2);
    expect("AFFINITY_INFO(MPIDR 0x100)", psci(LK_PSCI_AFFINITY_INFO64, 0x100, 0, 0), -2);
    expect("CPU_ON(CPU1)", psci(LK_PSCI_CPU_ON64, 1, entry, 0), -2);
    expect("CPU_ON(CPU0)", psci(LK_PSCI_CPU_ON64, 0, entry, 0), -4);
    expect("CPU_ON(CPU2, secure flash)", psci(LK_PSCI_CPU_ON64, 2, 0x1000u, 0), -9);
    expect("CPU_ON(CPU2, past RAM)", psci(LK_PSCI_CPU_ON64, 2, (uint64_t)TZ_NS_RAM_BASE + TZ_NS_RAM_SIZE, 0), -9);
    expect("AFFINITY_INFO(CPU2) after refusals", psci(LK_PSCI_AFFINITY_INFO64, 2, 0, 0), LK_PSCI_AFF_OFF);

    for (round = 1; round <= ROUNDS; round++) {
        uint64_t context = CONTEXT_BASE + round;
        int32_t again;

        expect("CPU_ON(CPU2)", psci(LK_PSCI_CPU_ON64, 2, entry, context), 0);
        again = psci(LK_PSCI_CPU_ON64, 2, entry, context);
        if (again != -4 && again != -5) /* ALREADY_ON or ON_PENDING, depending on how far CPU2 got */
            expect("CPU_ON(CPU2) again", again, -5);
        end = now() + 5u * ticks_per_s();
        /* acquire: pairs with CPU2's release store of seen_context */
        while (__atomic_load_n(&seen_context, __ATOMIC_ACQUIRE) != context && now() < end)
            ;
        expect("CPU2 started with the context ID", (int64_t)__atomic_load_n(&seen_context, __ATOMIC_ACQUIRE),
               (int64_t)context);
        expect("CPU2's AFFINITY_INFO of itself", __atomic_load_n(&self_state, __ATOMIC_RELAXED), LK_PSCI_AFF_ON);
        if (round == 1) {
            uint32_t bad = 0;
            for (i = 0; i < HAMMER_CALLS; i++) {
                uint32_t r = (uint32_t)smc(TZ_SMC_STATUS, 0, 0, 0);
                if (r != 0u)
                    bad++;
            }
            expect("CPU0's STATUS answers while CPU2 calls too", bad, 0);
            end = now() + 30u * ticks_per_s();
            /* acquire: pairs with CPU2's release store of hammer_done */
            while (!__atomic_load_n(&hammer_done, __ATOMIC_ACQUIRE) && now() < end)
                ;
            expect("CPU2 finished its calls", __atomic_load_n(&hammer_done, __ATOMIC_ACQUIRE), 1);
            expect("CPU2's unknown-call answers while CPU0 calls too", __atomic_load_n(&hammer_bad, __ATOMIC_RELAXED),
                   0);
        }
        end = now() + 5u * ticks_per_s();
        while (psci(LK_PSCI_AFFINITY_INFO64, 2, 0, 0) != (int32_t)LK_PSCI_AFF_OFF && now() < end)
            ;
        expect("AFFINITY_INFO(CPU2) after its CPU_OFF", psci(LK_PSCI_AFFINITY_INFO64, 2, 0, 0), LK_PSCI_AFF_OFF);
    }
    puts_(failures == 0u ? "PSCI-CHECK PASS\n" : "PSCI-CHECK FAIL\n");
    smc(LK_PSCI_SYSTEM_OFF, 0, 0, 0);
    for (;;)
        __asm__ volatile("wfe");
}
