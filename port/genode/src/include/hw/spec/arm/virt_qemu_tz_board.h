/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The board facts of QEMU virt ARMv7 with Genode as the secure world, for bootstrap and core: the memory split,
 * interrupt numbers and GIC priorities of tzchan_tz/board_map.h (shared with the VMM), and the log UART's driver.
 */
#ifndef _SRC__INCLUDE__HW__SPEC__ARM__VIRT_QEMU_TZ_BOARD_H_
#define _SRC__INCLUDE__HW__SPEC__ARM__VIRT_QEMU_TZ_BOARD_H_

#include <drivers/uart/pl011.h>
#include <hw/spec/arm/boot_info.h>
#include <tzchan_tz/board_map.h>

namespace Hw::Virt_qemu_tz_board {

	using namespace Tzchan_tz::Board_map;

	using Serial = Genode::Pl011_uart;
}

#endif /* _SRC__INCLUDE__HW__SPEC__ARM__VIRT_QEMU_TZ_BOARD_H_ */
