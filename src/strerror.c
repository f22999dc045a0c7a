/* SPDX-License-Identifier: BSD-2-Clause */
/* Names of the error codes. */
#include "tzchan/tzchan.h"

const char *tzchan_strerror(int code)
{
    switch (code) {
    case 0: return "success";
    case TZCHAN_EAGAIN: return "TZCHAN_EAGAIN: no room or no data yet, try again";
    case TZCHAN_EINVAL: return "TZCHAN_EINVAL: invalid argument or call out of sequence";
    case TZCHAN_EMSGSIZE: return "TZCHAN_EMSGSIZE: message does not fit the buffer or cannot travel whole";
    case TZCHAN_EPROTO: return "TZCHAN_EPROTO: not a tzchan region, or the peer broke the protocol";
    case TZCHAN_EVERSION: return "TZCHAN_EVERSION: region format version not supported";
    case TZCHAN_EPIPE: return "TZCHAN_EPIPE: peer closed or died";
    case TZCHAN_ETIMEDOUT: return "TZCHAN_ETIMEDOUT: timed out";
    case TZCHAN_EINTR: return "TZCHAN_EINTR: interrupted";
    case TZCHAN_ENOMEM: return "TZCHAN_ENOMEM: out of memory or kernel objects";
    case TZCHAN_EIO: return "TZCHAN_EIO: operating system call failed";
    default: return code >= 0 ? "success" : "unknown tzchan error";
    }
}
