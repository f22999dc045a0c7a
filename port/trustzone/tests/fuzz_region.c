/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target for the registration checks: every input is a request (base, size, lanes, ring) against one of
 * two memory maps; tz_region_check() must agree with the 128-bit oracle, and must accept only ranges that are
 * inside non-secure RAM and clear of every forbidden range. Traps on the first disagreement.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "region_oracle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tz_reg_req r;
    const struct tz_memmap *m;
    int got;

    if (size < 25)
        return 0;
    memcpy(&r.base, data, 8);
    memcpy(&r.size, data + 8, 8);
    memcpy(&r.lanes, data + 16, 4);
    memcpy(&r.ring_bytes, data + 20, 4);
    m = (data[24] & 1) ? &top_map : &qemu_map;
    got = tz_region_check(m, &r);
    if (got != oracle(m, &r))
        __builtin_trap();
    if (got == TZ_REG_OK) {
        u128 b = r.base, e = (u128)r.base + r.size;
        for (size_t i = 0; i < m->forbidden_count; i++) {
            u128 fb = m->forbidden[i].base, fe = fb + m->forbidden[i].size;
            if (m->forbidden[i].size && b < fe && fb < e)
                __builtin_trap();
        }
    }
    return 0;
}
