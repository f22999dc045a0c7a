/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The ARMv7 secure side, one core: the monitor's C half (SMC dispatch and world switch, secure timer FIQ) and the
 * secure payload in secure SVC mode. The payload runs only when the normal world calls it: every call (fast or
 * the doorbell) lets it serve the request, then move traffic until every lane waits, then return. Its
 * interrupts (the secure timer, Group 0) are FIQs routed to the monitor, which handles them in either world;
 * normal-world IRQs stay pending while the payload runs (it keeps IRQ masked).
 */
#include <stdbool.h>
#include <stdint.h>
#include "tz_libc.h"

#include "a32.h"
#include "../common/tz_board.h"
#include "../common/tz_mmu.h"
#include "../common/tz_plat.h"
#include "../common/tz_print.h"
#include "../common/tz_secure.h"
#include "../common/tz_smc.h"

#define GICD_CTLR 0x000u
#define GICD_IGROUPR0 0x080u
#define GICD_ISENABLER0 0x100u
#define GICD_IPRIORITYR 0x400u
#define GICD_SGIR 0xf00u
#define GICC_CTLR 0x000u
#define GICC_PMR 0x004u
#define GICC_IAR 0x00cu
#define GICC_EOIR 0x010u
#define REG(a) (*(volatile uint32_t *)(uintptr_t)(a))

#define SCR_NS (1u << 0)
#define SCR_FIQ (1u << 2) /* FIQs to the monitor */
#define SCR_AW (1u << 5)  /* the normal world may mask aborts, but not FIQs (FW stays 0) */
#define SP_RETURN 0xfffffff0u /* r0 of the payload's SMC: "here are my results, give me the next call" */

struct a32_frame {
    uint32_t r[13];
    uint32_t svc_sp, svc_lr, svc_spsr;
    uint32_t pc, cpsr;
    uint32_t ns;      /* in: the caller's world; out: the world to enter */
    uint32_t spare;
};
_Static_assert(sizeof(struct a32_frame) == 80, "frame layout is shared with monitor.S");

extern const unsigned char __ns_image_start[], __ns_image_end[], __flash_image_end[], __sram_start[],
    __sram_end[];
void sec_main(void) __attribute__((noreturn));
void a32_mon_smc(struct a32_frame *f);
void a32_mon_fiq(uint32_t from_ns);
void a32_mon_unexpected(uint32_t lr, uint32_t spsr) __attribute__((noreturn));
void sec_unexpected(uint32_t kind, uint32_t lr, uint32_t dfsr, uint32_t dfar) __attribute__((noreturn));

const char tz_sp_arch_name[] = "armv7";
uint64_t tz_sp_image_ranges[4];
static uint64_t sec_l1[512] __attribute__((aligned(4096)));
static uint64_t sec_pool[16][512] __attribute__((aligned(4096)));
static struct tz_mmu sec_mmu;
static uint32_t tick;
static struct a32_frame ctx_secure, ctx_normal;
static bool normal_started;

/* ---- tz_plat.h -------------------------------------------------------------------------------------------- */
uint64_t tz_arch_now(void) { return a32_now(); }
uint64_t tz_arch_freq(void) { return CNTFRQ_R(); }
void tz_arch_irq_off(void) { __asm__ volatile("cpsid f" ::: "memory"); }
void tz_arch_irq_on(void) { __asm__ volatile("cpsie f" ::: "memory"); }
void tz_arch_wfi(void) { __asm__ volatile("dsb; wfi" ::: "memory"); }
void tz_arch_exit(int status) { a32_semihost_exit(status); }
void tz_arch_putc(char c) { a32_pl011_putc(TZ_UART1_BASE, c); }

/* ---- tz_secure.h ------------------------------------------------------------------------------------------ */
/* tz_mmu's break-before-make flush: the invalid descriptors are written (DSB), every secure PL1 TLB and walk-cache
 * entry goes (TLBIALL), and that completes (DSB) before the next instruction (ISB). */
static void sec_tlb_flush(void)
{
    DSB();
    CP15_W(0, c8, c7, 0, 0); /* TLBIALL */
    DSB();
    ISB();
}

void *tz_sp_map_ns(uint64_t pa, uint64_t size)
{
    uint64_t par;
    if (size > TZ_SP_WINDOW_SIZE)
        return NULL;
    if (tz_mmu_map(&sec_mmu, TZ_SP_WINDOW_VA, pa, size, TZ_PTE_NORMAL | TZ_PTE_NS | TZ_PTE_XN | TZ_PTE_PXN))
        return NULL; /* tz_mmu_map left nothing behind */
    DSB();
    ISB();
    /* ask the MMU what it made of it: the window must translate to the registered PA, Non-secure, Normal WB */
    CP15_W(0, c7, c8, 0, TZ_SP_WINDOW_VA); /* ATS1CPR */
    ISB();
    par = CP15_R64(0, c7);
    if (tz_sp_chatty())
        tz_printf("window check (ATS1CPR): VA %#x -> PA %#llx, NS=%u, attr %#x\n", (unsigned)TZ_SP_WINDOW_VA,
                  (unsigned long long)(par & 0x000000fffffff000ull), (unsigned)((par >> 9) & 1u),
                  (unsigned)(par >> 56));
    if ((par & 1u) || (par & 0x000000fffffff000ull) != (pa & ~0xfffull) || !(par & (1u << 9)) || (par >> 56) != 0xffu) {
        tz_sp_unmap_ns((void *)(uintptr_t)TZ_SP_WINDOW_VA, size);
        return NULL;
    }
    return (void *)(uintptr_t)TZ_SP_WINDOW_VA;
}

void tz_sp_unmap_ns(void *va, uint64_t size)
{
    tz_mmu_unmap(&sec_mmu, (uintptr_t)va, size); /* invalidates, flushes the TLB (sec_tlb_flush), frees tables */
    CP15_W(0, c7, c8, 0, (uintptr_t)va); /* ATS1CPR: the translation must be gone */
    ISB();
    if (!(CP15_R64(0, c7) & 1u))
        tz_panic("window still mapped after unmap");
}

void tz_sp_publish_gen(uint32_t gen)
{
    (void)gen; /* the monitor forwards every tzchan call to the payload: nobody else checks generations */
}

void tz_sp_ring_normal(void *ctx)
{
    (void)ctx;
    DSB();
    /* SGI to this CPU only (filter 0b10), NSATT: raise it as the Group 1 interrupt the normal world owns */
    REG(TZ_GICD_BASE + GICD_SGIR) = (2u << 24) | (1u << 15) | TZ_IRQ_SGI_TO_NORMAL;
}

/* ---- monitor ---------------------------------------------------------------------------------------------- */
void a32_mon_smc(struct a32_frame *f)
{
    if (f->ns) {
        uint32_t fid = f->r[0];
        unsigned oen = (fid >> TZ_SMC_OEN_SHIFT) & TZ_SMC_OEN_MASK;
        /* sanitise, then dispatch: SMC64 IDs and owners other than ours are answered here */
        if ((fid & 0x40000000u) || (oen != TZ_SMC_OEN_TOS && oen != TZ_SMC_OEN_TOS_GENERIC)) {
            f->r[0] = TZ_SMC_UNKNOWN;
            return; /* back to the normal world */
        }
        ctx_normal = *f;
        *f = ctx_secure;
        f->r[0] = fid;
        memcpy(&f->r[1], &ctx_normal.r[1], 6 * sizeof f->r[0]);
        f->ns = 0;
        return;
    }
    /* the payload returns (r1..r4: results) or, the first time, hands over to the normal world */
    ctx_secure = *f;
    if (!normal_started) {
        memset(f, 0, sizeof *f);
        f->pc = TZ_NS_IMAGE;
        f->cpsr = 0x13u | 0x80u | 0x100u; /* SVC, IRQ and aborts masked, FIQ open (it cannot close it) */
        normal_started = true;
    } else {
        *f = ctx_normal;
        memcpy(&f->r[0], &ctx_secure.r[1], 4 * sizeof f->r[0]);
    }
    f->ns = 1;
}

static void timer_arm(void)
{
    CNTP_TVAL_W(tick);
    CNTP_CTL_W(1u);
}

void a32_mon_fiq(uint32_t from_ns)
{
    for (;;) {
        uint32_t id = REG(TZ_GICC_BASE + GICC_IAR) & 0x3ffu;
        if (id >= 1020u)
            break;
        if (id == TZ_IRQ_SEC_TIMER) {
            timer_arm();
            tz_sp_tick(!from_ns);
        }
        REG(TZ_GICC_BASE + GICC_EOIR) = id;
    }
}

void a32_mon_unexpected(uint32_t lr, uint32_t spsr)
{
    tz_panic("monitor exception, lr %#x, spsr %#x", (unsigned)lr, (unsigned)spsr);
}

void sec_unexpected(uint32_t kind, uint32_t lr, uint32_t dfsr, uint32_t dfar)
{
    tz_panic("secure exception %u, lr %#x, DFSR %#x, DFAR %#x", (unsigned)kind, (unsigned)lr, (unsigned)dfsr,
             (unsigned)dfar);
}

/* ---- the payload ------------------------------------------------------------------------------------------ */
/* Hands results to the normal world and sleeps until its next call (an SMC to the monitor, which switches
 * worlds and later resumes us here with the call in r0..r6). */
static void next_call(const uint32_t res[4], uint32_t *fid, uint32_t a[6])
{
    register uint32_t r0 __asm__("r0") = SP_RETURN;
    register uint32_t r1 __asm__("r1") = res[0];
    register uint32_t r2 __asm__("r2") = res[1];
    register uint32_t r3 __asm__("r3") = res[2];
    register uint32_t r4 __asm__("r4") = res[3];
    register uint32_t r5 __asm__("r5") = 0;
    register uint32_t r6 __asm__("r6") = 0;
    __asm__ volatile("smc #0" : "+r"(r0), "+r"(r1), "+r"(r2), "+r"(r3), "+r"(r4), "+r"(r5), "+r"(r6) : : "memory");
    *fid = r0;
    a[0] = r1;
    a[1] = r2;
    a[2] = r3;
    a[3] = r4;
    a[4] = r5;
    a[5] = r6;
}

static void gic_init(void)
{
    REG(TZ_GICD_BASE + GICD_CTLR) = 3u;                           /* Group 0 and Group 1 */
    REG(TZ_GICD_BASE + GICD_IGROUPR0) = ~(1u << TZ_IRQ_SEC_TIMER); /* all banked IDs non-secure but our timer */
    *(volatile uint8_t *)(TZ_GICD_BASE + GICD_IPRIORITYR + TZ_IRQ_SEC_TIMER) = 0x40;
    *(volatile uint8_t *)(TZ_GICD_BASE + GICD_IPRIORITYR + TZ_IRQ_NS_TIMER) = 0xa0;
    *(volatile uint8_t *)(TZ_GICD_BASE + GICD_IPRIORITYR + TZ_IRQ_SGI_TO_NORMAL) = 0xa0;
    REG(TZ_GICD_BASE + GICD_ISENABLER0) =
        (1u << TZ_IRQ_SEC_TIMER) | (1u << TZ_IRQ_NS_TIMER) | (1u << TZ_IRQ_SGI_TO_NORMAL);
    /* secure CPU interface: both groups, Group 0 signalled as FIQ, AckCtl 0 (we acknowledge Group 0 only) */
    REG(TZ_GICC_BASE + GICC_CTLR) = (1u << 0) | (1u << 1) | (1u << 3);
    REG(TZ_GICC_BASE + GICC_PMR) = 0xffu;
}

void sec_main(void)
{
    const uint64_t ro = TZ_PTE_NORMAL | TZ_PTE_RO;
    const uint64_t rw = TZ_PTE_NORMAL | TZ_PTE_XN | TZ_PTE_PXN;
    const uint64_t dev = TZ_PTE_DEVICE | TZ_PTE_XN | TZ_PTE_PXN;
    uint32_t res[4] = {0, 0, 0, 0}, fid, a[6];

    /* the normal world's image goes to non-secure RAM while the MMU is still off */
    memcpy((void *)(uintptr_t)TZ_NS_IMAGE, __ns_image_start, (size_t)(__ns_image_end - __ns_image_start));
    tz_mmu_init(&sec_mmu, sec_l1, sec_pool, 16, sec_tlb_flush);
    if (tz_mmu_map(&sec_mmu, TZ_FLASH_BASE, TZ_FLASH_BASE, TZ_FLASH_SIZE, ro) ||
        tz_mmu_map(&sec_mmu, TZ_SRAM_BASE, TZ_SRAM_BASE, TZ_SRAM_SIZE, rw) ||
        tz_mmu_map(&sec_mmu, 0x08000000u, 0x08000000u, 0x200000u, dev) ||
        tz_mmu_map(&sec_mmu, 0x09000000u, 0x09000000u, 0x200000u, dev))
        tz_panic("secure tables");
    a32_mmu_enable(tz_mmu_ttbr(&sec_mmu));
    gic_init();
    SCR_W(SCR_FIQ | SCR_AW);
    ISB();
    tick = CNTFRQ_R() / (1000000u / TZ_TICK_US);
    tz_sp_image_ranges[0] = TZ_FLASH_BASE;
    tz_sp_image_ranges[1] = (uintptr_t)__flash_image_end;
    tz_sp_image_ranges[2] = (uintptr_t)__sram_start;
    tz_sp_image_ranges[3] = (uintptr_t)(__sram_end - __sram_start);
    tz_sp_init();
    timer_arm();

    for (;;) {
        next_call(res, &fid, a);
        tz_sp_call(fid, a, res);
        /* every call lets the payload move what it can, until each lane waits for the normal world */
        while (tz_sp_run())
            ;
        if (fid == TZ_SMC_DOORBELL)
            tz_sp_call(fid, a, res); /* report the channel's state after the drain */
    }
}
