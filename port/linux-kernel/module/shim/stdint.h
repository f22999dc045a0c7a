/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Kernel stand-in for <stdint.h>, so that the driver can include the core's public headers (tzchan.h, and the
 * TrustZone port's tz_region.h) next to Linux headers. The fixed-width types come from <linux/types.h>; the
 * core itself (src/tzchan.c) is compiled with the compiler's own freestanding headers instead. Both give types
 * of the same size and alignment on AArch64, so struct tzchan and the calls agree.
 */
#ifndef TZCHAN_SHIM_STDINT_H
#define TZCHAN_SHIM_STDINT_H
#include <linux/types.h>
#include <linux/limits.h>
#ifndef UINT64_MAX
#define UINT64_MAX U64_MAX
#endif
#ifndef UINT32_MAX
#define UINT32_MAX U32_MAX
#endif
#ifndef INT64_MAX
#define INT64_MAX S64_MAX
#endif
#endif
