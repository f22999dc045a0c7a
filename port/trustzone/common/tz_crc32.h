/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * CRC-32 as both worlds' test code checks messages with it: the test traffic of the bare-metal images
 * (tz_traffic.c), the Linux-kernel firmware's test service and the Linux test program. Plain C with no other
 * dependency than <stdint.h>, so it builds freestanding and in user space alike.
 */
#ifndef TZ_CRC32_H
#define TZ_CRC32_H

#include <stdint.h>

/* CRC-32 (IEEE 802.3, reflected). crc starts at 0. */
uint32_t tz_crc32(uint32_t crc, const void *buf, uint64_t len);

#endif /* TZ_CRC32_H */
