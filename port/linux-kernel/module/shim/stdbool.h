/* SPDX-License-Identifier: BSD-2-Clause */
/* Kernel stand-in for <stdbool.h> (see stdint.h in this folder). */
#ifndef TZCHAN_SHIM_STDBOOL_H
#define TZCHAN_SHIM_STDBOOL_H
#include <linux/types.h>
#endif
