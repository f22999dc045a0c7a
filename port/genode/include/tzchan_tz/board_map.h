/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * QEMU "virt" (ARMv7, -M virt,secure=on -cpu cortex-a15 -smp 1) with Genode base-hw as the secure world: the
 * memory split and the interrupt numbers that bootstrap, core and the TrustZone VMM share.
 *
 * QEMU's virt board has no TrustZone address-space controller, so main RAM is split by convention, and this file
 * is that convention:
 *
 *   0x0e000000..0x0effffff  secure-only RAM (16 MiB). QEMU's -kernel cannot load an image there, so Genode does
 *                           not use it; it stays outside every range the normal world may register.
 *   0x40000000..0x47ffffff  normal-world RAM (128 MiB). Never in Genode's RAM allocator: the VMM reaches it only
 *                           through an I/O-memory session for exactly this range.
 *   0x48000000..0x480fffff  unused (1 MiB): a range that runs off the end of the normal world's RAM is refused as
 *                           "not normal-world RAM" (TZ_REG_ENOTRAM), as on the bare-metal secure side.
 *   0x48100000..0x57ffffff  Genode's RAM (255 MiB): the boot image is linked at 0x48100000 (QEMU -m 384).
 *
 * Devices: the GICv2 (distributor 0x08000000, CPU interface 0x08010000), the secure-only PL011 at 0x09040000 (the
 * second -serial; Genode's log) and the normal world's PL011 at 0x09000000 (the first -serial; never mapped by
 * Genode).
 */
#ifndef _INCLUDE__TZCHAN_TZ__BOARD_MAP_H_
#define _INCLUDE__TZCHAN_TZ__BOARD_MAP_H_

namespace Tzchan_tz::Board_map {

	enum {
		SECURE_ONLY_RAM_BASE = 0x0e000000,
		SECURE_ONLY_RAM_SIZE = 0x01000000,

		NS_RAM_BASE = 0x40000000,
		NS_RAM_SIZE = 0x08000000,

		RAM_BASE = 0x48100000,
		RAM_SIZE = 0x0ff00000,

		UART_BASE  = 0x09040000, /* secure-only UART */
		UART_SIZE  = 0x1000,
		UART_CLOCK = 24000000,

		NS_UART_BASE = 0x09000000,

		CACHE_LINE_SIZE_LOG2 = 6,
	};

	/* Interrupt IDs (GIC INTIDs) */
	enum {
		IPI_SGI          = 1,   /* Genode's inter-processor interrupt (Group 0) */
		SECURE_TIMER_IRQ = 29,  /* secure physical timer PPI: Genode's kernel timer (Group 0, FIQ) */
		NS_TIMER_IRQ     = 30,  /* non-secure physical timer PPI (Group 1) */
		SECURE_UART_IRQ  = 40,  /* SPI 8 (Group 0, FIQ) */
		NS_DOORBELL_IRQ  = 232, /* SPI 200: the VMM's doorbell into the normal world (Group 1) */
	};

	/* GIC priorities (secure view; lower is more urgent). The normal world sees and writes priorities and its
	 * priority mask only in the lower half (0x80..0xff), so it can neither raise a Group 1 interrupt above
	 * Group 0 nor mask Group 0 with GICC_PMR. */
	enum {
		GROUP0_PRIORITY = 0x40,
		GROUP1_PRIORITY = 0xa0,
	};

	namespace Cpu_mmio {
		enum {
			IRQ_CONTROLLER_DISTR_BASE = 0x08000000,
			IRQ_CONTROLLER_DISTR_SIZE = 0x10000,
			IRQ_CONTROLLER_CPU_BASE   = 0x08010000,
			IRQ_CONTROLLER_CPU_SIZE   = 0x10000,
		};
	};

	/* Group 0 (secure) interrupts, signalled as FIQ; all others are Group 1 for the normal world */
	static constexpr bool secure_irq(unsigned irq)
	{
		return irq == IPI_SGI || irq == SECURE_TIMER_IRQ || irq == SECURE_UART_IRQ;
	}
};

#endif /* _INCLUDE__TZCHAN_TZ__BOARD_MAP_H_ */
