/* SPDX-License-Identifier: BSD-2-Clause */
/* Kernel stand-in for <stddef.h> (see stdint.h in this folder). */
#ifndef TZCHAN_SHIM_STDDEF_H
#define TZCHAN_SHIM_STDDEF_H
#include <linux/stddef.h>
#include <linux/types.h>
#endif
