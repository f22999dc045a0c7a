/* SPDX-License-Identifier: BSD-2-Clause */
/* AArch64 system register access and the few instructions the C code needs. */
#ifndef TZ_A64_H
#define TZ_A64_H

#include <stdint.h>

#define SYSREG_R_(name) ({ uint64_t v_; __asm__ volatile("mrs %0, " #name : "=r"(v_)); v_; })
#define SYSREG_W_(name, v) __asm__ volatile("msr " #name ", %0" : : "r"((uint64_t)(v)) : "memory")
#define SYSREG_R(name) SYSREG_R_(name) /* expands name first, so the encodings below work */
#define SYSREG_W(name, v) SYSREG_W_(name, v)
#define ISB() __asm__ volatile("isb" : : : "memory")
#define DSB(opt) __asm__ volatile("dsb " #opt : : : "memory")

/* GICv3 CPU interface registers by encoding (older assemblers do not know all the names). */
#define ICC_SRE_EL1 S3_0_C12_C12_5
#define ICC_SRE_EL3 S3_6_C12_C12_5
#define ICC_PMR_EL1 S3_0_C4_C6_0
#define ICC_IGRPEN0_EL1 S3_0_C12_C12_6
#define ICC_IGRPEN1_EL1 S3_0_C12_C12_7
#define ICC_IAR0_EL1 S3_0_C12_C8_0
#define ICC_EOIR0_EL1 S3_0_C12_C8_1
#define ICC_IAR1_EL1 S3_0_C12_C12_0
#define ICC_EOIR1_EL1 S3_0_C12_C12_1
#define ICC_SGI0R_EL1 S3_0_C12_C11_7
#define ICC_SGI1R_EL1 S3_0_C12_C11_5
#define ICC_ASGI1R_EL1 S3_0_C12_C11_6
#define CNTPS_CTL_EL1 S3_7_C14_C2_1
#define CNTPS_TVAL_EL1 S3_7_C14_C2_0


/* An SGI for affinity-0 CPU `cpu` in cluster 0 (ICC_SGI*R_EL1 layout). */
static inline uint64_t a64_sgi_value(unsigned intid, unsigned cpu)
{
    return ((uint64_t)intid << 24) | (1ull << cpu);
}

static inline uint64_t a64_now(void)
{
    uint64_t v;
    __asm__ volatile("isb; mrs %0, cntpct_el0" : "=r"(v));
    return v;
}

static inline unsigned a64_cpu(void)
{
    return (unsigned)(SYSREG_R(mpidr_el1) & 0xffu);
}

/* SCTLR bits */
#define SCTLR_M (1u << 0)
#define SCTLR_C (1u << 2)
#define SCTLR_I (1u << 12)
#define SCTLR_EL1_RES1 0x30d00800u
#define SCTLR_EL3_RES1 0x30c50830u

/* TCR: 4 GiB of VA (T0SZ 32), 4 KiB granule, inner/outer write-back, inner shareable walks */
#define TCR_COMMON ((32u) | (1u << 8) | (1u << 10) | (3u << 12))
#define TCR_EL3_VALUE (TCR_COMMON | (1u << 23) | (1u << 31))
#define TCR_EL1_VALUE (TCR_COMMON | (1u << 23)) /* EPD1: no TTBR1 walks */

/* Semihosting: SYS_EXIT with ADP_Stopped_ApplicationExit and a status. */
static inline __attribute__((noreturn)) void a64_semihost_exit(int status)
{
    static uint64_t block[2];
    block[0] = 0x20026;
    block[1] = (uint64_t)(int64_t)status;
    register uint64_t x0 __asm__("x0") = 0x18;
    register uint64_t x1 __asm__("x1") = (uint64_t)(uintptr_t)block;
    __asm__ volatile("hlt #0xf000" : : "r"(x0), "r"(x1) : "memory");
    for (;;)
        __asm__ volatile("wfi");
}

void a64_pl011_putc(uintptr_t base, char c);

#endif /* TZ_A64_H */
