/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The QEMU "virt" board with secure=on, as both images see it (ARMv7 and AArch64 share the map). A port to real
 * hardware replaces this file (or reads the same facts from its device tree).
 */
#ifndef TZ_BOARD_H
#define TZ_BOARD_H

#define TZ_FLASH_BASE 0x00000000u     /* secure flash: -bios image, executed in place */
#define TZ_FLASH_SIZE 0x04000000u
#define TZ_GICD_BASE 0x08000000u
#define TZ_GICC_BASE 0x08010000u      /* GICv2 CPU interface (ARMv7 image) */
#define TZ_GICR_BASE 0x080a0000u      /* GICv3 redistributors, 0x20000 apart (AArch64 image) */
#define TZ_GICR_STRIDE 0x20000u
#define TZ_UART0_BASE 0x09000000u     /* first -serial: the normal world's console */
#define TZ_UART1_BASE 0x09040000u     /* second -serial: secure-only */
#define TZ_SRAM_BASE 0x0e000000u      /* secure RAM */
#define TZ_SRAM_SIZE 0x01000000u
#define TZ_NS_RAM_BASE 0x40000000u
#ifndef TZ_NS_RAM_SIZE                /* an image may set its own (the Linux-kernel firmware: 512 MiB) */
#define TZ_NS_RAM_SIZE 0x08000000u    /* -m 128M, as the tests run it */
#endif
#define TZ_NS_IMAGE 0x40100000u       /* where the secure side copies the normal-world image (the DTB sits below) */
#define TZ_NS_REGION_PA 0x40800000u   /* where the normal world puts its region (it passes the PA by SMC) */
#define TZ_NS_REGION_VA 0x80000000u   /* ... and the alias it uses for it: VA != PA, so it must translate */
#define TZ_SP_WINDOW_VA 0xc0000000u   /* where the secure side maps a registered region */
#define TZ_SP_WINDOW_SIZE 0x01000000u

/* Interrupt IDs */
#define TZ_IRQ_SGI_TO_SECURE 8u       /* doorbell / mailbox to the secure payload (Group 0) */
#define TZ_IRQ_SGI_TO_NORMAL 9u       /* doorbell to the normal world (Group 1 non-secure) */
#define TZ_IRQ_SEC_TIMER 29u          /* secure physical timer PPI */
#define TZ_IRQ_NS_TIMER 30u           /* non-secure physical timer PPI */

#define TZ_TICK_US 100u               /* timer period in both worlds */
#define TZ_RUN_SECONDS 60u            /* the secure side gives up (FAIL verdict) after this long */

#endif /* TZ_BOARD_H */
