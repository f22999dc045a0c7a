/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Where the Linux firmware variant expects things on QEMU "virt" (secure=on), on top of port/trustzone's
 * tz_board.h: the load addresses the run script gives QEMU's generic loader and the exit statuses the monitor
 * turns PSCI calls into. run-linux.sh uses the same numbers. (The size of non-secure RAM, 512 MiB, is set for
 * every file of the firmware as TZ_NS_RAM_SIZE in port/trustzone/Makefile.)
 */
#ifndef LK_BOARD_H
#define LK_BOARD_H

#define LK_IMAGE_PA 0x40200000u  /* Linux Image: 2 MiB aligned (6.1 refuses 0x40080000) */
#define LK_DTB_PA 0x48000000u    /* device tree blob */
#define LK_INITRD_PA 0x48200000u /* initramfs (the run script writes its end into the device tree) */
#define LK_CNTFRQ_DEFAULT 62500000u

#define LK_EXIT_NO_VERDICT 2  /* powered off without a verdict from the test */
#define LK_EXIT_RESET 3       /* the normal world asked for a reset (e.g. kernel panic with panic=-1) */

#endif /* LK_BOARD_H */
