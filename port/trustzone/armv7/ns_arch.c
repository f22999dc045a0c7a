/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The ARMv7 normal world (NS SVC mode, the only core): translation tables with the region aliased at another VA,
 * the non-secure physical timer, the GICv2 CPU interface's non-secure view (Group 1 as IRQ), the SMC, and the
 * doorbell to the secure side, which on this single core is an SMC that lets it drain the rings.
 */
#include <stdint.h>

#include "a32.h"
#include "../common/tz_board.h"
#include "../common/tz_mmu.h"
#include "../common/tz_normal.h"
#include "../common/tz_plat.h"
#include "../common/tz_print.h"
#include "../common/tz_smc.h"

#ifndef TZ_NS_MODE
#define TZ_NS_MODE 1
#endif
/* The interrupt the secure side rings the normal world with: this port's monitor raises an SGI; an image built for
 * another secure side (the Genode VMM of port/genode injects an SPI) names its own. */
#ifndef TZ_NS_DOORBELL_IRQ
#define TZ_NS_DOORBELL_IRQ TZ_IRQ_SGI_TO_NORMAL
#endif

#define REG(a) (*(volatile uint32_t *)(uintptr_t)(a))

const char tz_ns_arch_name[] = "armv7";
static uint64_t ns_l1[512] __attribute__((aligned(4096)));
static uint64_t ns_pool[8][512] __attribute__((aligned(4096)));
static struct tz_mmu ns_mmu;
static uint32_t tick;
static volatile int probe_armed, probe_faulted;

void ns_main(void) __attribute__((noreturn));
void a32_ns_irq(void);
int a32_ns_dabt(void);
void ns_unexpected(uint32_t kind, uint32_t lr, uint32_t dfsr, uint32_t dfar) __attribute__((noreturn));

uint64_t tz_arch_now(void) { return a32_now(); }
uint64_t tz_arch_freq(void) { return CNTFRQ_R(); }
void tz_arch_irq_off(void) { __asm__ volatile("cpsid i" ::: "memory"); }
void tz_arch_irq_on(void) { __asm__ volatile("cpsie i" ::: "memory"); }
void tz_arch_wfi(void) { __asm__ volatile("dsb; wfi" ::: "memory"); }
void tz_arch_exit(int status) { a32_semihost_exit(status); }
void tz_arch_putc(char c) { a32_pl011_putc(TZ_UART0_BASE, c); }

void tz_ns_smc(uint32_t fid, const uint32_t a[6], uint32_t r[4])
{
    register uint32_t r0 __asm__("r0") = fid;
    register uint32_t r1 __asm__("r1") = a[0];
    register uint32_t r2 __asm__("r2") = a[1];
    register uint32_t r3 __asm__("r3") = a[2];
    register uint32_t r4 __asm__("r4") = a[3];
    register uint32_t r5 __asm__("r5") = a[4];
    register uint32_t r6 __asm__("r6") = a[5];
    __asm__ volatile("smc #0" : "+r"(r0), "+r"(r1), "+r"(r2), "+r"(r3), "+r"(r4), "+r"(r5), "+r"(r6) : : "memory");
    r[0] = r0;
    r[1] = r1;
    r[2] = r2;
    r[3] = r3;
}

void tz_ns_smc_raw(const uint64_t x[7], uint32_t r[4])
{
    uint32_t a[6];
    unsigned i;
    for (i = 0; i < 6; i++)
        a[i] = (uint32_t)x[i + 1]; /* 32-bit registers: there are no upper halves to smuggle anything in */
    tz_ns_smc((uint32_t)x[0], a, r);
}

uint64_t tz_ns_va_to_pa(const void *va)
{
    uint64_t par;
    CP15_W(0, c7, c8, 0, (uintptr_t)va); /* ATS1CPR: stage 1, PL1, read */
    ISB();
    par = CP15_R64(0, c7); /* 64-bit PAR (long-descriptor format) */
    if (par & 1u)
        tz_panic("no translation for %p", va);
    return (par & 0x000000fffffff000ull) | ((uintptr_t)va & 0xfffu);
}

void tz_ns_ring_secure(void *ctx)
{
    uint32_t a[6] = {tz_ns_gen, 0, 0, 0, 0, 0}, r[4];
    (void)ctx;
    tz_ns_smc(TZ_SMC_DOORBELL, a, r); /* the secure side drains and refills, then returns */
}

static void timer_arm(void)
{
    CNTP_TVAL_W(tick);
    CNTP_CTL_W(1u);
}

void a32_ns_irq(void)
{
    for (;;) {
        uint32_t id = REG(TZ_GICC_BASE + 0x0cu) & 0x3ffu; /* GICC_IAR, non-secure view: Group 1 */
        if (id >= 1020u)
            break;
        if (id == TZ_IRQ_NS_TIMER) {
            timer_arm();
            tz_ns_tick();
        } else if (id == TZ_NS_DOORBELL_IRQ) {
            tz_ns_doorbell_irq();
        }
        REG(TZ_GICC_BASE + 0x10u) = id; /* GICC_EOIR */
    }
}

/* Data abort while a probe is armed: note it; ns_entry.S then resumes after the faulting access. */
int a32_ns_dabt(void)
{
    if (!probe_armed)
        return 0;
    probe_faulted = 1;
    return 1;
}

int tz_ns_probe(uintptr_t addr, int write)
{
    volatile uint32_t *p = (volatile uint32_t *)addr;
    probe_faulted = 0;
    probe_armed = 1;
    DSB();
    if (write)
        *p = 0x21u; /* '!' */
    else
        (void)*p;
    DSB();
    ISB();
    probe_armed = 0;
    return probe_faulted;
}

void ns_unexpected(uint32_t kind, uint32_t lr, uint32_t dfsr, uint32_t dfar)
{
    tz_panic("normal-world exception %u, lr %#x, DFSR %#x, DFAR %#x", (unsigned)kind, (unsigned)lr,
             (unsigned)dfsr, (unsigned)dfar);
}

void ns_main(void)
{
    const uint64_t ram = TZ_PTE_NORMAL, dev = TZ_PTE_DEVICE | TZ_PTE_XN | TZ_PTE_PXN;
    tz_mmu_init(&ns_mmu, ns_l1, ns_pool, 8, NULL); /* built once, before the MMU is on */
    if (tz_mmu_map(&ns_mmu, TZ_NS_RAM_BASE, TZ_NS_RAM_BASE, TZ_NS_RAM_SIZE, ram) ||
        tz_mmu_map(&ns_mmu, 0x08000000u, 0x08000000u, 0x200000u, dev) ||
        tz_mmu_map(&ns_mmu, 0x09000000u, 0x09000000u, 0x200000u, dev) ||
        tz_mmu_map(&ns_mmu, TZ_NS_REGION_VA, TZ_NS_REGION_PA, 0x10000u, ram | TZ_PTE_XN | TZ_PTE_PXN) ||
        /* secure flash and RAM as the normal world might try them: mapped here, refused by the bus */
        tz_mmu_map(&ns_mmu, TZ_FLASH_BASE, TZ_FLASH_BASE, 0x200000u, dev) ||
        tz_mmu_map(&ns_mmu, TZ_SRAM_BASE, TZ_SRAM_BASE, 0x200000u, dev))
        tz_panic("NS tables");
    a32_mmu_enable(tz_mmu_ttbr(&ns_mmu));
    REG(TZ_GICC_BASE + 0x0u) = 1u;    /* GICC_CTLR (non-secure view): Group 1 on */
    REG(TZ_GICC_BASE + 0x4u) = 0xffu; /* GICC_PMR */
    tick = CNTFRQ_R() / (1000000u / TZ_TICK_US);
    timer_arm();
    tz_arch_irq_on();
    tz_ns_main(TZ_NS_MODE);
}
