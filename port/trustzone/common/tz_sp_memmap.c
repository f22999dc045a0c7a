/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The board's registration map, as every secure payload on it checks registrations against: non-secure RAM is
 * where a region may lie; secure flash, secure RAM and the payload's own image are never shared. Used by the
 * bare-metal payload (tz_secure.c) and the Linux-kernel firmware (sp_linux.c), which differ only in the
 * geometries they accept.
 */
#include "tz_board.h"
#include "tz_region.h"
#include "tz_secure.h"

static struct tz_range forbidden[4];
static const struct tz_range ns_ram[] = {{TZ_NS_RAM_BASE, TZ_NS_RAM_SIZE}};

void tz_sp_board_memmap(struct tz_memmap *m, uint32_t min_lanes, uint32_t max_lanes, uint32_t min_ring,
                        uint32_t max_ring)
{
    forbidden[0] = (struct tz_range){TZ_FLASH_BASE, TZ_FLASH_SIZE};
    forbidden[1] = (struct tz_range){TZ_SRAM_BASE, TZ_SRAM_SIZE};
    forbidden[2] = (struct tz_range){tz_sp_image_ranges[0], tz_sp_image_ranges[1]};
    forbidden[3] = (struct tz_range){tz_sp_image_ranges[2], tz_sp_image_ranges[3]};
    *m = (struct tz_memmap){ns_ram, 1, forbidden, 4, 4096, TZ_SP_WINDOW_SIZE, min_lanes, max_lanes, min_ring, max_ring};
}
