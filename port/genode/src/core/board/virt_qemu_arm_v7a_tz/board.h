/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Core's view of QEMU virt ARMv7 with Genode as the secure world: the TrustZone VM service of base-hw's arm_v7
 * support, the secure physical timer, and a GICv2 CPU interface that takes Genode's interrupts as FIQs.
 */
#ifndef _SRC__CORE__BOARD__VIRT_QEMU_ARM_V7A_TZ__BOARD_H_
#define _SRC__CORE__BOARD__VIRT_QEMU_ARM_V7A_TZ__BOARD_H_

/* base-hw core includes */
#include <hw/spec/arm/virt_qemu_tz_board.h>
#include <hw/spec/arm/gicv2.h>
#include <spec/arm/generic_timer.h>
#include <spec/arm/trustzone_board.h>
#include <spec/arm/cortex_a15_cpu.h>

namespace Board {

	using namespace Hw::Virt_qemu_tz_board;

	using Hw::Global_interrupt_controller;
	struct Local_interrupt_controller;

	enum { TIMER_IRQ = SECURE_TIMER_IRQ };

	static constexpr Genode::size_t NR_OF_CPUS = 1;
}


/*
 * Bootstrap configured the groups (see its platform.cc); core adds what the TrustZone VCPU needs: which interrupts
 * are secure, and setting a normal-world interrupt pending for the VMM's injection.
 */
struct Board::Local_interrupt_controller : Hw::Local_interrupt_controller
{
	/* the distributor's set-pending registers, which Hw::Global_interrupt_controller does not name */
	struct Ispendr : Hw::Global_interrupt_controller::Register_array<0x200, 32, 1024, 1, true> {
		struct Set_pending : Bitfield<0, 1> { }; };

	Hw::Global_interrupt_controller &_gicd;

	Local_interrupt_controller(Hw::Global_interrupt_controller &gicd)
	: Hw::Local_interrupt_controller(gicd), _gicd(gicd) { }

	/* Genode's interrupts are Group 0, signalled as FIQ: contexts run with IRQs masked and FIQs unmasked */
	static constexpr bool fast_interrupts() { return true; }

	/* true for an interrupt the normal world must never see set pending by the VMM */
	bool secure(unsigned irq)
	{
		using D = Hw::Global_interrupt_controller;
		if (irq < D::MIN_SPI || irq > _gicd.max_irq()) return true;
		return !_gicd.read<D::Igroupr::Group_status>(irq);
	}

	/* set a Group 1 shared peripheral interrupt pending (SGIs cannot be set pending through GICD_ISPENDR) */
	void trigger(unsigned irq)
	{
		if (secure(irq)) return;
		_gicd.write<Ispendr::Set_pending>(1, irq);
	}

};

#endif /* _SRC__CORE__BOARD__VIRT_QEMU_ARM_V7A_TZ__BOARD_H_ */
