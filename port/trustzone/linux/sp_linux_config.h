/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * How the Linux firmware variant builds the secure payload's AArch64 side (port/trustzone/aarch64/sp_arch.c,
 * which includes this header through TZ_SP_CONFIG, set in port/trustzone/Makefile). Differences from the
 * bare-metal images: the normal world's doorbell is an edge-triggered SPI that the payload sets pending in the
 * distributor (Linux cannot be given an SGI through its device tree), and the secure timer is only a
 * once-a-second watchdog, not a 100 us preemption tick, so the payload provably sleeps in wfi until a doorbell or
 * a mailbox call wakes it (every wake-up is counted by cause, in sp_linux.c). Interrupts stay masked in the main
 * loop except in a window right after wfi, and Non-secure windows are mapped without the AT S1E1R check.
 */
#ifndef SP_LINUX_CONFIG_H
#define SP_LINUX_CONFIG_H

#include "lk_smc.h"

#define TZ_SP_TICK_US 1000000u /* 1 s: a watchdog, not a scheduler */
#define TZ_SP_NS_DOORBELL_SPI LK_DOORBELL_INTID
#define TZ_SP_WINDOW_CHECK 0
#define TZ_SP_IRQ_WINDOW 1

#endif /* SP_LINUX_CONFIG_H */
