/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * CRC-32 (IEEE 802.3, reflected), table-driven, the table built on first use (see tz_crc32.h). Linked into the
 * bare-metal images, the Linux-kernel firmware and the Linux test program.
 */
#include "tz_crc32.h"

static uint32_t crc_table[256];

uint32_t tz_crc32(uint32_t crc, const void *buf, uint64_t len)
{
    const unsigned char *p = buf;
    if (crc_table[1] == 0) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
            crc_table[i] = c;
        }
    }
    crc = ~crc;
    while (len--)
        crc = crc_table[(crc ^ *p++) & 0xffu] ^ (crc >> 8);
    return ~crc;
}
