/* SPDX-License-Identifier: BSD-2-Clause */
/* ARMv7-A (Cortex-A15, LPAE, Security Extensions) helpers shared by the secure and normal images. */
#ifndef TZ_A32_H
#define TZ_A32_H

#include <stdint.h>

#define CP15_R(op1, crn, crm, op2) ({ uint32_t v_; \
    __asm__ volatile("mrc p15, " #op1 ", %0, " #crn ", " #crm ", " #op2 : "=r"(v_)); v_; })
#define CP15_W(op1, crn, crm, op2, v) \
    __asm__ volatile("mcr p15, " #op1 ", %0, " #crn ", " #crm ", " #op2 : : "r"((uint32_t)(v)) : "memory")
#define CP15_W64(op1, crm, v) \
    __asm__ volatile("mcrr p15, " #op1 ", %Q0, %R0, " #crm : : "r"((uint64_t)(v)) : "memory")
#define CP15_R64(op1, crm) ({ uint64_t v_; \
    __asm__ volatile("mrrc p15, " #op1 ", %Q0, %R0, " #crm : "=r"(v_)); v_; })
#define ISB() __asm__ volatile("isb" : : : "memory")
#define DSB() __asm__ volatile("dsb" : : : "memory")

/* registers by name */
#define SCTLR_R() CP15_R(0, c1, c0, 0)
#define SCTLR_W(v) CP15_W(0, c1, c0, 0, v)
#define SCR_R() CP15_R(0, c1, c1, 0)
#define SCR_W(v) CP15_W(0, c1, c1, 0, v)
#define CNTFRQ_R() CP15_R(0, c14, c0, 0)
#define CNTPCT_R() CP15_R64(0, c14)
#define CNTP_TVAL_W(v) CP15_W(0, c14, c2, 0, v)
#define CNTP_CTL_W(v) CP15_W(0, c14, c2, 1, v)

#define SCTLR_M (1u << 0)
#define SCTLR_C (1u << 2)
#define SCTLR_Z (1u << 11)
#define SCTLR_I (1u << 12)

static inline uint64_t a32_now(void)
{
    ISB();
    return CNTPCT_R();
}

/* Turns on the MMU (LPAE, TTBR0 covers all 4 GiB) with caches, for the current security state's bank. */
void a32_mmu_enable(uint64_t ttbr0);
void a32_pl011_putc(uintptr_t base, char c);
void a32_semihost_exit(int status) __attribute__((noreturn));

#endif /* TZ_A32_H */
