/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Bootstrap for QEMU virt ARMv7 with Genode as the secure world.
 *
 * QEMU starts an ELF boot image in secure SVC mode with the MMU off. Bootstrap stays there: it sets the monitor
 * vector (core's TrustZone exception vector, mapped at the system exception vector's address), gives the normal
 * world the VFP (NSACR cp10/cp11), sets up the GIC's two groups and turns the MMU on. Only Genode's RAM (see
 * virt_qemu_tz_board.h) goes to Genode's allocators; the normal world's RAM is left alone.
 *
 * GIC groups. Group 0 (secure) holds the secure timer PPI, Genode's IPI SGI and the secure UART, at a priority in
 * the upper half; every other interrupt is Group 1 (non-secure) in the lower half. The CPU interface signals
 * Group 0 as FIQ (FIQEn): while the normal world runs, SCR.FIQ (set by core's monitor code) takes Genode's timer
 * to the monitor, so Genode keeps its CPU share whatever the normal world does; Group 1 arrives as IRQ, which the
 * normal world takes itself (SCR.IRQ clear) and which Genode never unmasks.
 */

#include <platform.h>

using namespace Board;


static void configure_distributor(Hw::Global_interrupt_controller &gicd)
{
	using D = Hw::Global_interrupt_controller;

	gicd.write<D::Ctlr>(0);

	/* shared peripheral interrupts: Group 1, level, disabled; the secure UART in Group 0 */
	for (unsigned i = D::MIN_SPI; i <= gicd.max_irq(); i++) {
		bool const group0 = secure_irq(i);
		gicd.write<D::Igroupr::Group_status>(group0 ? 0 : 1, i);
		gicd.write<D::Ipriorityr::Priority>(group0 ? GROUP0_PRIORITY : GROUP1_PRIORITY, i);
		gicd.write<D::Icfgr::Edge_triggered>(0, i);
		gicd.write<D::Icenabler::Clear_enable>(1, i);
		gicd.write<D::Itargetsr::Cpu_targets>(1, i);
	}

	/* the VMM's doorbell into the normal world: an edge-triggered Group 1 SPI that core sets pending, enabled
	 * here for the normal world (which need not know the distributor) */
	gicd.write<D::Icfgr::Edge_triggered>(1, NS_DOORBELL_IRQ);
	gicd.write<D::Isenabler::Set_enable>(1, NS_DOORBELL_IRQ);

	D::Ctlr::access_t ctlr = 0;
	D::Ctlr::Enable_grp0::set(ctlr, 1);
	D::Ctlr::Enable_grp1::set(ctlr, 1);
	gicd.write<D::Ctlr>(ctlr);
}


Hw::Global_interrupt_controller::Global_interrupt_controller()
:
	Mmio({(char *)Board::Cpu_mmio::IRQ_CONTROLLER_DISTR_BASE, Mmio::SIZE})
{
	configure_distributor(*this);
}


Hw::Local_interrupt_controller::Local_interrupt_controller(Distributor &distributor)
:
	Mmio({(char *)Board::Cpu_mmio::IRQ_CONTROLLER_CPU_BASE, Mmio::SIZE}),
	_distr(distributor)
{
	using D = Distributor;

	write<Ctlr>(0);

	/* software-generated and private peripheral interrupts (banked per CPU) */
	for (unsigned i = 0; i < D::MIN_SPI; i++) {
		bool const group0 = secure_irq(i);
		_distr.write<D::Igroupr::Group_status>(group0 ? 0 : 1, i);
		_distr.write<D::Ipriorityr::Priority>(group0 ? GROUP0_PRIORITY : GROUP1_PRIORITY, i);
	}

	/* the normal world's physical timer, enabled for it as the bare-metal secure side does */
	_distr.write<D::Isenabler::Set_enable>(1, NS_TIMER_IRQ);

	/* let every priority through (secure view), no preemption among Group 0 */
	write<Pmr::Priority>(0xff);
	write<Bpr::Binary_point>(~0);

	/* both groups on; Group 0 as FIQ; a secure acknowledge of Group 1 answers 1022 (AckCtl clear) */
	Ctlr::access_t v = 0;
	Ctlr::Enable_grp0::set(v, 1);
	Ctlr::Enable_grp1::set(v, 1);
	Ctlr::Fiq_en::set(v, 1);
	write<Ctlr>(v);
}


Bootstrap::Platform::Board::Board()
:
	early_ram_regions(Memory_region { RAM_BASE, RAM_SIZE }),
	late_ram_regions(Memory_region { }),
	core_mmio(Memory_region { UART_BASE, UART_SIZE },
	          Memory_region { Cpu_mmio::IRQ_CONTROLLER_DISTR_BASE,
	                          Cpu_mmio::IRQ_CONTROLLER_DISTR_SIZE },
	          Memory_region { Cpu_mmio::IRQ_CONTROLLER_CPU_BASE,
	                          Cpu_mmio::IRQ_CONTROLLER_CPU_SIZE })
{
	/* the monitor vector: core maps its TrustZone exception vector at this address */
	Cpu::Mvbar::write(Hw::Mm::system_exception_vector().base);

	/* the normal world may use the VFP (cp10, cp11) and set ACTLR.SMP */
	Cpu::Nsacr::access_t nsacr = 0;
	Cpu::Nsacr::Cpnsae10::set(nsacr, 1);
	Cpu::Nsacr::Cpnsae11::set(nsacr, 1);
	Cpu::Nsacr::Ns_smp::set(nsacr, 1);
	Cpu::Nsacr::write(nsacr);
}


Bootstrap::Platform::Cpu_id Bootstrap::Platform::enable_mmu()
{
	static ::Board::Global_interrupt_controller gic { };
	::Board::Local_interrupt_controller lic { gic };

	Cpu::Sctlr::init();
	Cpu::Cpsr::init();
	Cpu::enable_mmu_and_caches((Genode::addr_t)core_pd->table_base);

	return { 0 };
}


void Board::Cpu::wake_up_all_cpus(void *) { }
