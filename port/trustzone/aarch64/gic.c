/* SPDX-License-Identifier: BSD-2-Clause */
/* GICv3 distributor and redistributor set-up, and the hand-over to a normal world that runs the GIC itself,
 * from EL3 (see a64_gic.h). Every wait is bounded in time. */
#include <stdint.h>

#include "a64.h"
#include "a64_gic.h"
#include "../common/tz_board.h"
#include "../common/tz_print.h"

#define REG(a) (*(volatile uint32_t *)(uintptr_t)(a))
#define GICD_CTLR 0x0000u
#define GICD_TYPER 0x0004u
#define GICD_IGROUPR 0x0080u
#define GICR_TYPER 0x0008u
#define GICR_WAKER 0x0014u
#define GICR_SGI 0x10000u
#define GICR_IGROUPR0 (GICR_SGI + 0x0080u)
#define GICR_ISENABLER0 (GICR_SGI + 0x0100u)
#define GICR_ICENABLER0 (GICR_SGI + 0x0180u)
#define GICR_IPRIORITYR (GICR_SGI + 0x0400u)
#define GICR_IGRPMODR0 (GICR_SGI + 0x0d00u)
#define GICR_NSACR (GICR_SGI + 0x0e00u)

static void wait_clear(uintptr_t reg, uint32_t bits, const char *what)
{
    uint64_t end = a64_now() + SYSREG_R(cntfrq_el0) / 10u;
    while (REG(reg) & bits) {
        if (a64_now() > end)
            tz_panic("GIC: %s stuck", what);
        __asm__ volatile("yield");
    }
}

void a64_gic_dist_init(void)
{
    REG(TZ_GICD_BASE + GICD_CTLR) = (1u << 4) | (1u << 5);                 /* ARE_S, ARE_NS */
    wait_clear(TZ_GICD_BASE + GICD_CTLR, 1u << 31, "GICD_CTLR.RWP");
    REG(TZ_GICD_BASE + GICD_CTLR) = (1u << 4) | (1u << 5) | 7u;            /* + Grp0, Grp1NS, Grp1S */
    wait_clear(TZ_GICD_BASE + GICD_CTLR, 1u << 31, "GICD_CTLR.RWP");
}

static void set_prio(uintptr_t rd, unsigned intid, uint8_t prio)
{
    volatile uint8_t *p = (volatile uint8_t *)(rd + GICR_IPRIORITYR + intid);
    *p = prio;
}

void a64_gic_redist_init(unsigned cpu)
{
    uintptr_t rd = TZ_GICR_BASE + cpu * TZ_GICR_STRIDE;
    REG(rd + GICR_WAKER) &= ~(1u << 1); /* ProcessorSleep off */
    wait_clear(rd + GICR_WAKER, 1u << 2, "GICR_WAKER.ChildrenAsleep");
    if (cpu == 0) {
        REG(rd + GICR_IGROUPR0) = (1u << TZ_IRQ_NS_TIMER) | (1u << TZ_IRQ_SGI_TO_NORMAL); /* Group 1 NS */
        REG(rd + GICR_IGRPMODR0) = 0;
        set_prio(rd, TZ_IRQ_NS_TIMER, 0xa0);
        set_prio(rd, TZ_IRQ_SGI_TO_NORMAL, 0xa0);
        REG(rd + GICR_ISENABLER0) = (1u << TZ_IRQ_NS_TIMER) | (1u << TZ_IRQ_SGI_TO_NORMAL);
    } else {
        REG(rd + GICR_IGROUPR0) = 0; /* everything Group 0 (secure) */
        REG(rd + GICR_IGRPMODR0) = 0;
        set_prio(rd, TZ_IRQ_SEC_TIMER, 0x40);
        set_prio(rd, TZ_IRQ_SGI_TO_SECURE, 0x40);
        /* the normal world may raise the doorbell SGI (Group 0) at this CPU, and nothing else */
        REG(rd + GICR_NSACR) = 1u << (2 * TZ_IRQ_SGI_TO_SECURE);
        REG(rd + GICR_ISENABLER0) = (1u << TZ_IRQ_SEC_TIMER) | (1u << TZ_IRQ_SGI_TO_SECURE);
    }
}

void a64_gic_redist_init_percpu(unsigned cpu)
{
    uintptr_t rd = TZ_GICR_BASE + cpu * TZ_GICR_STRIDE;
    const uint32_t ns = (1u << TZ_IRQ_NS_TIMER) | (1u << TZ_IRQ_SGI_TO_NORMAL);
    REG(rd + GICR_WAKER) &= ~(1u << 1); /* ProcessorSleep off */
    wait_clear(rd + GICR_WAKER, 1u << 2, "GICR_WAKER.ChildrenAsleep");
    REG(rd + GICR_ICENABLER0) = 0xffffffffu;
    REG(rd + GICR_IGROUPR0) = ns; /* the rest, the secure timer among them, Group 0 */
    REG(rd + GICR_IGRPMODR0) = 0;
    REG(rd + GICR_NSACR) = 0;     /* the normal world raises no Group 0 SGI: it enters by SMC */
    set_prio(rd, TZ_IRQ_SEC_TIMER, 0x40);
    set_prio(rd, TZ_IRQ_NS_TIMER, 0xa0);
    set_prio(rd, TZ_IRQ_SGI_TO_NORMAL, 0xa0);
    REG(rd + GICR_ISENABLER0) = (1u << TZ_IRQ_SEC_TIMER) | ns;
    DSB(sy);
}

void a64_gic_handover_ns(void)
{
    uint32_t lines = ((REG(TZ_GICD_BASE + GICD_TYPER) & 0x1fu) + 1u) * 32u, i;
    uintptr_t rd0 = TZ_GICR_BASE;
    for (i = 32; i < lines; i += 32)
        REG(TZ_GICD_BASE + GICD_IGROUPR + i / 8u) = 0xffffffffu;
    REG(rd0 + GICR_ICENABLER0) = 0xffffffffu; /* the normal world enables its own */
    REG(rd0 + GICR_IGROUPR0) = 0xffffffffu;
    DSB(sy);
}

void a64_gic_redist_handover_ns(unsigned cpu)
{
    uintptr_t rd = TZ_GICR_BASE + cpu * TZ_GICR_STRIDE;
    REG(rd + GICR_WAKER) &= ~(1u << 1); /* ProcessorSleep off */
    wait_clear(rd + GICR_WAKER, 1u << 2, "GICR_WAKER.ChildrenAsleep");
    REG(rd + GICR_ICENABLER0) = 0xffffffffu; /* the normal world enables its own */
    REG(rd + GICR_IGRPMODR0) = 0;
    REG(rd + GICR_IGROUPR0) = 0xffffffffu;
    DSB(sy);
}

void a64_gic_redist_linux_percpu(unsigned cpu)
{
    uintptr_t rd = TZ_GICR_BASE + cpu * TZ_GICR_STRIDE;
    REG(rd + GICR_WAKER) &= ~(1u << 1); /* ProcessorSleep off */
    wait_clear(rd + GICR_WAKER, 1u << 2, "GICR_WAKER.ChildrenAsleep");
    REG(rd + GICR_ICENABLER0) = 0xffffffffu;                 /* the normal world enables its own */
    REG(rd + GICR_IGRPMODR0) = 0;
    REG(rd + GICR_IGROUPR0) = ~(1u << TZ_IRQ_SEC_TIMER);     /* all but the secure timer: Group 1 non-secure */
    REG(rd + GICR_NSACR) = 0;                                /* no Group 0 SGI from the normal world */
    set_prio(rd, TZ_IRQ_SEC_TIMER, 0x40);
    REG(rd + GICR_ISENABLER0) = 1u << TZ_IRQ_SEC_TIMER;
    DSB(sy);
}

unsigned a64_gic_cpu_count(unsigned max)
{
    unsigned n;
    for (n = 0; n < max; n++)
        if (REG(TZ_GICR_BASE + n * TZ_GICR_STRIDE + GICR_TYPER) & (1u << 4)) /* Last, in the low word */
            return n + 1u;
    return max;
}
