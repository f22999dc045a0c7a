/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the tools print for a failed Linux-port call: the operating system's reason when a system call failed
 * ("No such file or directory", from tzchan_linux_last_errno()), which a person can act on, rather than only
 * the tzchan code's text ("operating system call failed"). Header-only; shared by the tools.
 */
#ifndef TZCHAN_TOOLS_TZERR_H
#define TZCHAN_TOOLS_TZERR_H

#include <string.h>

#include "tzchan/linux.h"

/* The text for `code`, returned by a Linux-port call of this thread just now. */
static inline const char *tzerr_str(int code)
{
    int e = tzchan_linux_last_errno();
    if ((code == TZCHAN_EIO || code == TZCHAN_ENOMEM) && e != 0)
        return strerror(e);
    return tzchan_strerror(code);
}

#endif /* TZCHAN_TOOLS_TZERR_H */
