/* SPDX-License-Identifier: BSD-2-Clause */
/* The per-CPU world switch of EL3 (see el3_world.h). Each CPU touches only its own el3_cpus[] entry. */
#include <stdint.h>
#include "tz_libc.h"

#include "a64.h"
#include "el3_common.h"
#include "el3_world.h"

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
