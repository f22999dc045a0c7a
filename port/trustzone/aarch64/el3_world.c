/* SPDX-License-Identifier: BSD-2-Clause */
/* The per-CPU world switch of EL3 (see el3_world.h). Each CPU touches only its own el3_cpus[] entry. */
#include <stdint.h>
#include "tz_libc.h"

#include "a64.h"
#include "el3_common.h"
#include "el3_world.h"
#include "../common/tz_smc.h"
#include "../common/tz_smp.h"

struct el3_cpu el3_cpus[EL3_MAX_CPUS];

/* The EL1 registers the two worlds share (no EL2 to bank them), in the order of el3_world.sys[]. */
#define SYSREGS(X) \
    X(0, sctlr_el1) X(1, cpacr_el1) X(2, ttbr0_el1) X(3, ttbr1_el1) X(4, tcr_el1) X(5, mair_el1) \
    X(6, amair_el1) X(7, vbar_el1) X(8, contextidr_el1) X(9, tpidr_el1) X(10, tpidr_el0) X(11, tpidrro_el0) \
    X(12, sp_el1) X(13, sp_el0) X(14, elr_el1) X(15, spsr_el1) X(16, esr_el1) X(17, far_el1) X(18, par_el1) \
    X(19, afsr0_el1) X(20, afsr1_el1) X(21, cntkctl_el1) X(22, csselr_el1)

static void sys_save(struct el3_world *w)
{
#define SAVE(i, r) w->sys[i] = SYSREG_R(r);
    SYSREGS(SAVE)
#undef SAVE
}

static void sys_load(const struct el3_world *w)
{
#define LOAD(i, r) SYSREG_W(r, w->sys[i]);
    SYSREGS(LOAD)
#undef LOAD
}

void el3_world_prepare(struct el3_cpu *c, unsigned w, uint64_t entry, uint64_t arg)
{
    struct el3_world *p = &c->w[w];
    memset(p, 0, sizeof *p);
    p->x[0] = arg;
    p->elr = entry;
    p->spsr = 0x3c5u; /* EL1h, DAIF masked */
    p->sys[0] = SCTLR_EL1_RES1;
}

static void make_current(struct el3_cpu *c, unsigned to)
{
    const struct el3_world *p = &c->w[to];
    sys_load(p);
    SYSREG_W(scr_el3, to == EL3_WORLD_NS ? EL3_SCR_NS : EL3_SCR_S);
    SYSREG_W(elr_el3, p->elr);
    SYSREG_W(spsr_el3, p->spsr);
    c->cur = to;
    ISB();
}

void el3_world_switch(struct el3_cpu *c, uint64_t *frame, unsigned to)
{
    struct el3_world *from = &c->w[c->cur];
    memcpy(from->x, frame, sizeof from->x);
    from->elr = SYSREG_R(elr_el3);
    from->spsr = SYSREG_R(spsr_el3);
    sys_save(from);
    make_current(c, to);
    memcpy(frame, c->w[to].x, sizeof c->w[to].x);
}

void el3_world_enter(struct el3_cpu *c)
{
    make_current(c, c->cur);
    el3_world_eret(c->w[c->cur].x);
}

void el3_world_boot(unsigned cpu, uint64_t ns_entry, uint64_t ns_context, uint64_t s_entry)
{
    struct el3_cpu *c = &el3_cpus[cpu];
    el3_world_prepare(c, EL3_WORLD_NS, ns_entry, ns_context);
    el3_world_prepare(c, EL3_WORLD_S, s_entry, cpu);
    c->cur = EL3_WORLD_S;
    c->ns_wait = EL3_WAIT_BOOT;
    el3_world_enter(c);
}

void el3_world_trap(uint64_t *frame, uint64_t kind)
{
    unsigned cpu = a64_cpu();
    struct el3_cpu *c = &el3_cpus[cpu];
    uint64_t esr = SYSREG_R(esr_el3);

    if (cpu >= EL3_MAX_CPUS)
        el3_unexpected(99, esr, SYSREG_R(elr_el3), cpu);
    if (kind == 1u) {
        /* a Group 0 interrupt: only the normal world takes FIQs to EL3 (EL3_SCR_NS), never the secure one */
        if (c->cur != EL3_WORLD_NS)
            el3_unexpected(10, esr, SYSREG_R(elr_el3), SYSREG_R(far_el3));
        c->ns_wait = EL3_WAIT_FIQ;
        el3_world_switch(c, frame, EL3_WORLD_S);
        frame[0] = TZ_SMP_EV_FIQ;
        return;
    }
    if ((esr >> 26) != 0x17u) /* only SMCs come here */
        el3_unexpected(8, esr, SYSREG_R(elr_el3), SYSREG_R(far_el3));

    if (c->cur == EL3_WORLD_NS) {
        uint32_t fid, a[6];
        int smc32;
        unsigned oen, i;
        if (el3_world_ns_smc(frame))
            return;
        smc32 = el3_smc32_args(frame, &fid, a);
        oen = (fid >> TZ_SMC_OEN_SHIFT) & TZ_SMC_OEN_MASK;
        if (smc32 && (oen == TZ_SMC_OEN_TOS || oen == TZ_SMC_OEN_TOS_GENERIC)) {
            c->ns_wait = EL3_WAIT_CALL;
            el3_world_switch(c, frame, EL3_WORLD_S);
            frame[0] = TZ_SMP_EV_CALL;
            frame[1] = fid;
            for (i = 0; i < 6; i++)
                frame[2 + i] = a[i];
            return;
        }
        frame[0] = TZ_SMC_UNKNOWN; /* SMC64 (other than what the image answers), garbage upper halves, owners
                                    * nobody serves */
        return;
    }
    /* the secure world: its only call is "return to the normal world" */
    if (frame[0] != TZ_SMP_SP_RETURN)
        el3_unexpected(20, esr, SYSREG_R(elr_el3), frame[0]);
    {
        uint32_t r[4] = {(uint32_t)frame[1], (uint32_t)frame[2], (uint32_t)frame[3], (uint32_t)frame[4]};
        unsigned w = c->ns_wait, i;
        el3_world_switch(c, frame, EL3_WORLD_NS);
        /* a call gets its results in x0..x3; a normal world stopped by an interrupt, or entered for the first
         * time, gets its registers back as they were */
        if (w == EL3_WAIT_CALL)
            for (i = 0; i < 4; i++)
                frame[i] = r[i];
        c->ns_wait = EL3_WAIT_NONE;
    }
}
