/* SPDX-License-Identifier: BSD-2-Clause */
/* PL011 output: wait (at most 10 ms) for room in the FIFO, then write. QEMU's PL011 needs no setup. */
#include <stdint.h>

#include "a64.h"

void a64_pl011_putc(uintptr_t base, char c)
{
    volatile uint32_t *dr = (volatile uint32_t *)base, *fr = (volatile uint32_t *)(base + 0x18);
    uint64_t end = a64_now() + SYSREG_R(cntfrq_el0) / 100u;
    while ((*fr & (1u << 5)) && a64_now() < end)
        __asm__ volatile("yield");
    *dr = (uint32_t)(unsigned char)c;
}
