/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Bootstrap's view of QEMU virt ARMv7 with Genode as the secure world: stays in secure SVC (no switch to Hyp,
 * no PSCI: QEMU emulates no firmware below us), one CPU.
 */
#ifndef _SRC__BOOTSTRAP__BOARD__VIRT_QEMU_ARM_V7A_TZ__BOARD_H_
#define _SRC__BOOTSTRAP__BOARD__VIRT_QEMU_ARM_V7A_TZ__BOARD_H_

#include <hw/spec/arm/virt_qemu_tz_board.h>
#include <hw/spec/arm/gicv2.h>
#include <hw/spec/arm/lpae.h>
#include <spec/arm/cpu.h>

namespace Board {

	using namespace Hw::Virt_qemu_tz_board;

	using Hw::Global_interrupt_controller;
	using Hw::Local_interrupt_controller;

	static constexpr bool NON_SECURE = false;

	static constexpr Genode::size_t NR_OF_CPUS = 1;
};

#endif /* _SRC__BOOTSTRAP__BOARD__VIRT_QEMU_ARM_V7A_TZ__BOARD_H_ */
