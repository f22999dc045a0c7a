/* SPDX-License-Identifier: BSD-2-Clause */
/* Built against an installed tzchan (package or cmake --install): one region, both sides, one message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tzchan/tzchan.h>

int main(void)
{
    size_t size = tzchan_region_size(1, 4096);
    void *mem = aligned_alloc(64, size);
    struct tzchan a, b;
    char out[64];
    if (!mem || tzchan_region_init(mem, size, 1, 4096) || tzchan_open(&a, mem, size, TZCHAN_SIDE_A, 0) ||
        tzchan_open(&b, mem, size, TZCHAN_SIDE_B, 0))
        return 1;
    if (tzchan_send(&a, "hello from an installed tzchan", 31) != 31 || tzchan_recv(&b, out, sizeof out) != 31)
        return 1;
    printf("%s (max message %zu B)\n", out, tzchan_max_msg(&b));
    free(mem);
    return strcmp(out, "hello from an installed tzchan") != 0;
}
