/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The reusable half of the AArch64 EL3 monitor, linked into every AArch64 firmware image: the EL3 translation
 * tables and MMU enable, the wait for the payload to come up (CPU1's path into it is el3_cpu1.c, which the SMP
 * image, with no dedicated payload CPU, leaves out), SMC32 argument cutting and the forwarding of Trusted OS calls to the payload on CPU1
 * through the mailbox in secure RAM plus a Group 0 SGI, one call at a time from whichever CPU makes it. What
 * differs per image (how CPU0 enters the normal world, where the other CPUs go, which calls EL3 answers itself)
 * stays in el3.c and linux/el3_linux.c.
 */
#include <stdint.h>
#include "tz_libc.h"

#include "a64.h"
#include "../common/tz_board.h"
#include "../common/tz_mmu.h"
#include "../common/tz_print.h"
#include "../common/tz_smc.h"
#include "a64_gic.h"
#include "el3_common.h"
#include "mailbox.h"

static uint64_t el3_l1[512] __attribute__((aligned(4096)));
static uint64_t el3_pool[4][512] __attribute__((aligned(4096)));
static struct tz_mmu el3_mmu;

struct tz_mailbox tz_mbox;

/* How long EL3 waits for the payload to answer a forwarded call. The payload answers within microseconds; only
 * an emulator whose host deschedules the payload's CPU comes near this (the images end after 60 s anyway). */
#define EL3_FORWARD_TIMEOUT_S 5u

static void el3_mmu_build(void)
{
    const uint64_t ro = TZ_PTE_NORMAL | TZ_PTE_RO | TZ_PTE_AP1;
    const uint64_t rw = TZ_PTE_NORMAL | TZ_PTE_AP1 | TZ_PTE_XN;
    const uint64_t dev = TZ_PTE_DEVICE | TZ_PTE_AP1 | TZ_PTE_XN;
    tz_mmu_init(&el3_mmu, el3_l1, el3_pool, 4, NULL); /* built once, before the MMU is on */
    if (tz_mmu_map(&el3_mmu, TZ_FLASH_BASE, TZ_FLASH_BASE, TZ_FLASH_SIZE, ro) ||
        tz_mmu_map(&el3_mmu, TZ_SRAM_BASE, TZ_SRAM_BASE, TZ_SRAM_SIZE, rw) ||
        tz_mmu_map(&el3_mmu, 0x08000000u, 0x08000000u, 0x200000u, dev) ||
        tz_mmu_map(&el3_mmu, 0x09000000u, 0x09000000u, 0x200000u, dev))
        tz_panic("EL3 tables");
}

void el3_mmu_on(void)
{
    SYSREG_W(mair_el3, TZ_MAIR_VALUE);
    SYSREG_W(tcr_el3, TCR_EL3_VALUE);
    SYSREG_W(ttbr0_el3, tz_mmu_ttbr(&el3_mmu));
    DSB(sy);
    __asm__ volatile("tlbi alle3; dsb sy; ic iallu; dsb sy; isb" ::: "memory");
    SYSREG_W(sctlr_el3, SCTLR_EL3_RES1 | SCTLR_M | SCTLR_C | SCTLR_I);
    ISB();
}

void el3_mmu_setup(void)
{
    el3_mmu_build();
    el3_mmu_on();
}

void el3_wait_payload(void)
{
    uint64_t end = a64_now() + 5 * SYSREG_R(cntfrq_el0);
    while (!__atomic_load_n(&tz_mbox.ready, __ATOMIC_ACQUIRE)) { /* pairs with the payload's release */
        if (a64_now() > end)
            tz_panic("EL3: the secure payload did not come up");
        __asm__ volatile("wfe");
    }
}

/* The mailbox holds one call. With several normal-world CPUs (the Linux image) two may forward at once, so
 * el3_forward takes this lock around the whole exchange. Only EL3 takes it, always with interrupts masked (the
 * SMC exception masked them) and never while holding another, and the holder's wait for the payload is bounded
 * (EL3_FORWARD_TIMEOUT_S twice), so a waiter waits at most that long and no deadlock is possible; the payload
 * and the normal world never touch it. */
static uint32_t forward_lock;

static void forward_lock_take(void)
{
    /* acquire: the holder's mailbox accesses happen after it owns the lock; pairs with the release in
     * forward_lock_drop */
    while (__atomic_exchange_n(&forward_lock, 1u, __ATOMIC_ACQUIRE) != 0u)
        while (__atomic_load_n(&forward_lock, __ATOMIC_RELAXED) != 0u) /* spin on a read until it looks free */
            __asm__ volatile("wfe");
}

static void forward_lock_drop(void)
{
    /* release: our mailbox accesses happen before the next holder's; pairs with the acquire in forward_lock_take */
    __atomic_store_n(&forward_lock, 0u, __ATOMIC_RELEASE);
    DSB(sy);
    __asm__ volatile("sev"); /* wake a waiter in wfe */
}

static void forward_locked(uint32_t fid, const uint32_t a[6], uint32_t r[4])
{
    uint32_t req = tz_mbox.req + 1u;
    uint64_t end = a64_now() + EL3_FORWARD_TIMEOUT_S * SYSREG_R(cntfrq_el0);

    /* A call that timed out below may still be in the payload's hands: it reads fid and a[] after it saw req,
     * so posting the next call now could hand it a mix of both. Wait for it to finish first, or answer this
     * call "unknown" without touching the mailbox. mutant: posting at once is what the smcfuzz images would
     * catch as an unexpected answer after a stall (only under a host too loaded to run the payload's CPU for
     * seconds) */
    while (__atomic_load_n(&tz_mbox.done, __ATOMIC_ACQUIRE) != tz_mbox.req) { /* pairs with the payload's release */
        if (a64_now() > end) {
            r[0] = TZ_SMC_UNKNOWN;
            r[1] = r[2] = r[3] = 0;
            return;
        }
        __asm__ volatile("wfe");
    }
    tz_mbox.fid = fid;
    memcpy(tz_mbox.a, a, sizeof tz_mbox.a);
    __atomic_store_n(&tz_mbox.req, req, __ATOMIC_RELEASE); /* pairs with the acquire load in the payload */
    DSB(sy);
    SYSREG_W(ICC_SGI0R_EL1, a64_sgi_value(TZ_IRQ_SGI_TO_SECURE, 1));
    ISB();
    end = a64_now() + EL3_FORWARD_TIMEOUT_S * SYSREG_R(cntfrq_el0);
    while (__atomic_load_n(&tz_mbox.done, __ATOMIC_ACQUIRE) != req) { /* pairs with the payload's release */
        if (a64_now() > end) {
            r[0] = TZ_SMC_UNKNOWN;
            r[1] = r[2] = r[3] = 0;
            return;
        }
        __asm__ volatile("wfe");
    }
    memcpy(r, tz_mbox.r, sizeof tz_mbox.r);
}

int el3_smc32_args(const uint64_t *regs, uint32_t *fid, uint32_t a[6])
{
    unsigned i;

    *fid = (uint32_t)regs[0];
    for (i = 0; i < 6; i++)
        a[i] = (uint32_t)regs[i + 1]; /* SMC32: the upper halves carry nothing */
    return (regs[0] >> 32) == 0 && !(*fid & 0x40000000u);
}

void el3_smc_return(uint64_t *regs, const uint32_t r[4])
{
    unsigned i;

    for (i = 0; i < 4; i++)
        regs[i] = r[i];
}

void el3_unexpected(uint64_t vec, uint64_t esr, uint64_t elr, uint64_t far)
{
    tz_panic("EL3 exception, vector %llu, ESR %#llx, ELR %#llx, FAR %#llx", (unsigned long long)vec,
             (unsigned long long)esr, (unsigned long long)elr, (unsigned long long)far);
}

void el3_forward(uint32_t fid, const uint32_t a[6], uint32_t r[4])
{
    forward_lock_take();
    forward_locked(fid, a, r);
    forward_lock_drop();
}
