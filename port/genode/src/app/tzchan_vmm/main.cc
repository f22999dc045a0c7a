/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The TrustZone VMM of the tzchan Genode port: runs the normal world on QEMU virt ARMv7 (board
 * virt_qemu_arm_v7a_tz) through base-hw's VM service, and is the tzchan endpoint of the secure world.
 *
 * Phase 1 proves the board: a normal world that asks two SMCs (PSCI_VERSION and a call nobody implements, whose
 * answers it stores) and then only counts in its own RAM runs while the VMM watches, on the secure timer, that
 * Genode keeps getting the CPU although the normal world never gives it back on its own. All 20 secure ticks must
 * come, and the normal world's counter must have moved on between them (without Group 0 as FIQ and the monitor's
 * SCR.FIQ, the first tick would never come and the run would time out); the answers must be PSCI 1.1 and SMCCC
 * NOT_SUPPORTED.
 *
 * Phase 2 (when the ROM "ns_image.bin" is configured): the VMM stops the counting normal world, loads the
 * bare-metal ARMv7 normal world of port/trustzone (built for this board: its doorbell is the SPI below) at
 * TZ_NS_IMAGE and serves its SMCs:
 *
 *   - Entry from the other world sanitises first, dispatches second (smccc_dispatch()): an SMC64 function ID or
 *     an owner other than PSCI's (standard service, OEN 4) and the Trusted OS ones of tz_smc.h (50, 63) is
 *     answered SMCCC NOT_SUPPORTED (-1); so is every PSCI function but PSCI_VERSION and SYSTEM_OFF. Nothing the
 *     normal world passes makes the VMM throw, stop or touch memory outside the checked region.
 *   - The tzchan calls go to the secure payload logic of port/trustzone (common/tz_secure.c, compiled in
 *     unchanged with tz_traffic.c, tz_region.c and the portable core): REGISTER is checked by tz_region_check()
 *     against this board's memory split before a byte of the region is read, side B is opened on the normal
 *     world's RAM, traffic runs on both lanes with every byte checked, and the verdict rules are those of the
 *     bare-metal secure side. The platform hooks it needs are at the end of this file.
 *   - Doorbells: the normal world rings with an SMC (its yielding DOORBELL call, served before the SMC returns);
 *     the secure side rings by injecting the doorbell SPI (Board_map::NS_DOORBELL_IRQ), which core sets pending
 *     in the GIC's distributor on the next entry into the normal world. The VM state has one injection slot;
 *     the injection queue keeps what does not fit until the next entry, so no doorbell is lost behind another
 *     pending injection.
 *
 * Built as tzchan_vmm_linux (TZCHAN_VMM_LINUX, src/app/tzchan_vmm/linux), phase 2 boots a 32-bit Linux instead:
 * the ROMs "zImage", "guest.dtb" and "initrd.cpio" are copied to the normal-world addresses the config names, and
 * the zImage is entered as Linux's ARM boot protocol asks (r0 = 0, r1 = ~0: no machine number, the device tree
 * decides; r2 = the device tree's address; SVC mode, MMU and caches off). The tzchan calls then go to the secure
 * service of port/trustzone's Linux firmware (linux/sp_linux.c, compiled in unchanged, with its registration
 * checks and verdict rules), LK_SMC_DOORBELL is answered here as that firmware's monitor answers it (a stale
 * generation refused, otherwise the service runs), PSCI answers VERSION, FEATURES and SYSTEM_OFF (which ends the
 * run with the verdict), and the secure timer's ticks that take the CPU from Linux while a message is half-way
 * are counted.
 *
 * The normal world's RAM is reached through an I/O-memory session for exactly its range (tzchan_tz/board_map.h);
 * base-hw maps it uncached and without the NS bit (QEMU's virt board has one physical RAM for both worlds).
 */

/* Genode includes */
#include <base/attached_io_mem_dataspace.h>
#include <base/attached_rom_dataspace.h>
#include <base/component.h>
#include <base/heap.h>
#include <base/log.h>
#include <base/mutex.h>
#include <base/sleep.h>
#include <base/thread.h>
#include <cpu/vcpu_state_trustzone.h>
#include <timer_session/connection.h>
#include <util/string.h>
#include <vm_session/connection.h>
#include <vm_session/handler.h>

#include <tzchan_tz/board_map.h>

/* the secure payload logic of port/trustzone and its SMC numbers */
extern "C" {
#include <tz_board.h>
#include <tz_secure.h>
#include <tz_smc.h>
#ifdef TZCHAN_VMM_LINUX
#include <lk_board.h>
#include <lk_smc.h>
#include <tz_region.h>
#endif
}

namespace Tzchan_vmm {
	using namespace Genode;
	namespace Board = Tzchan_tz::Board_map;
	struct Injection_queue;
	struct Secure_ticker;
	struct Main;
}


/*
 * Interrupts to inject into the normal world, in the order asked for, each at most once while it waits (a
 * doorbell rung twice before the normal world runs again is one pending interrupt in the GIC as well).
 */
struct Tzchan_vmm::Injection_queue
{
	static constexpr unsigned MAX = 8;

	unsigned _irq[MAX] { };
	unsigned _count = 0;
	unsigned _dropped = 0; /* a full queue: counted and reported, never silent */

	void push(unsigned irq)
	{
		for (unsigned i = 0; i < _count; i++)
			if (_irq[i] == irq) return;
		if (_count == MAX) { _dropped++; return; }
		_irq[_count++] = irq;
	}

	/* move the oldest waiting interrupt into the VM state's slot, if the slot is free */
	void fill(Vcpu_state &state)
	{
		if (state.irq_injection || _count == 0) return;
		state.irq_injection = _irq[0];
		for (unsigned i = 1; i < _count; i++) _irq[i - 1] = _irq[i];
		_count--;
	}

	unsigned waiting() const { return _count; }
	unsigned dropped() const { return _dropped; }
};


static Tzchan_vmm::Main *main_ptr;


/*
 * The secure timer's ticks as the secure payload logic counts them (tz_sp_tick: how many came, how many while a
 * transfer was half-way). A thread of its own, woken by Genode's timer, which is the secure timer's FIQ: it runs
 * whenever that FIQ preempts the VMM's serving of a call or the normal world.
 */
struct Tzchan_vmm::Secure_ticker : Thread
{
	Env &_env;
	bool volatile _enabled = false;

	Secure_ticker(Env &env) : Thread(env, "secure_ticker", Stack_size { 8 * 1024 }), _env(env) { }

	void entry() override;
};


struct Tzchan_vmm::Main
{
	static constexpr unsigned TICKS          = 20;      /* secure ticks to watch in phase 1 */
	static constexpr unsigned TICK_US        = 100000;
	static constexpr uint32_t COUNTER_OFFSET = 0x1000;  /* the counting normal world's data, in its RAM */
	static constexpr uint32_t VECTORS        = 0x100;   /* ... and its exception vectors */
	static constexpr uint32_t GICC_BASE      = Board::Cpu_mmio::IRQ_CONTROLLER_CPU_BASE;
	static constexpr unsigned INJECT_TICK    = 5;       /* the tick at which the VMM injects two interrupts */
	static constexpr unsigned OTHER_SPI      = Board::NS_DOORBELL_IRQ + 1; /* a Group 1 SPI nobody enables */
	static constexpr uint32_t NS_RAM_BASE    = Board::NS_RAM_BASE;
	static constexpr uint32_t NS_RAM_SIZE    = Board::NS_RAM_SIZE;

	/* SMCCC (DEN0028) */
	static constexpr uint32_t SMC64_BIT        = 0x40000000u;
	static constexpr uint32_t OEN_STANDARD     = 4u;
	static constexpr uint32_t NOT_SUPPORTED    = 0xffffffffu;
	static constexpr uint32_t PSCI_VERSION     = 0x84000000u;
	static constexpr uint32_t PSCI_SYSTEM_OFF  = 0x84000008u;
	static constexpr uint32_t PSCI_SYSTEM_RESET = 0x84000009u;
	static constexpr uint32_t PSCI_FEATURES    = 0x8400000au;
	static constexpr uint32_t PSCI_VERSION_1_1 = 0x00010001u;
	static constexpr uint32_t SIP_UNKNOWN      = 0x82000001u; /* a fast SMC32 call of the SiP service */

	Env &_env;

	Heap _heap { _env.ram(), _env.rm() };

	Attached_rom_dataspace _config { _env, "config" };

	/* write-combined: normal uncached memory, so unaligned copies and the ring's atomics work on it */
	Attached_io_mem_dataspace _ns_ram { _env, NS_RAM_BASE, NS_RAM_SIZE, true };

	Vcpu_handler<Main> _exit_handler { _env.ep(), *this, &Main::_handle_exit };

	Vm_connection              _vm          { _env };
	Vm_connection::Exit_config _exit_config { };
	Vm_connection::Vcpu        _vcpu        { _vm, _heap, _exit_handler, _exit_config };

	Timer::Connection _timer { _env };
	Signal_handler<Main> _tick_handler { _env.ep(), *this, &Main::_handle_tick };

	Mutex _time_mutex { };

	Injection_queue _injections { };
	Secure_ticker   _ticker { _env };

	unsigned _ticks = 0, _advanced = 0;
	uint32_t _first = 0, _last = 0;
	bool     _started = false, _phase1_done = false, _stopped = false;
	bool     _serving = false; /* the VMM is serving a normal-world call (for tz_sp_tick) */
	bool     _registered = false; /* the last REGISTER was accepted and no UNREGISTER followed */
	unsigned _ns_ticks = 0;   /* ticker wake-ups that found the normal world running with a registration */
	unsigned _mid_ticks = 0;  /* ... and a message half-way (Linux: counted through tz_sp_half_way()) */
	Mutex    _sp_mutex { };   /* the secure service's state: the entrypoint serves under it, the ticker reads */
	bool     _verdict_seen = false; /* Linux: LK_SMC_VERDICT came; its status */
	uint32_t _verdict_status = 0;

	/* counts of what the normal world asked */
	unsigned _smcs = 0, _unknown = 0, _psci = 0, _injected = 0;

	/* word i of the counting normal world's data (see _load_counting_guest) */
	uint32_t volatile &_counter(unsigned i = 0) {
		return *(uint32_t volatile *)(_ns_ram.local_addr<char>() + COUNTER_OFFSET + 4 * i); }

	bool _image_configured() const {
		return _config.node().attribute_value("ns_image", false); }

	/*
	 * A normal world that asks two SMCs, opens its GIC CPU interface and IRQs, and then counts forever. Its data
	 * (at COUNTER_OFFSET, words): 0 the counter, 1 the answer to PSCI_VERSION, 2 the answer to an SiP call
	 * nobody implements, 3 the last interrupt ID its IRQ handler acknowledged, 4 how many it took.
	 */
	void _load_counting_guest(Vcpu_state &state)
	{
		static uint32_t const code[] = {
			0xe59f1044, /* 0x00: ldr r1, =data            */
			0xe59f0044, /* 0x04: ldr r0, =PSCI_VERSION    */
			0xe1600070, /* 0x08: smc #0                   */
			0xe5810004, /* 0x0c: str r0, [r1, #4]         */
			0xe59f003c, /* 0x10: ldr r0, =SIP_UNKNOWN     */
			0xe1600070, /* 0x14: smc #0                   */
			0xe5810008, /* 0x18: str r0, [r1, #8]         */
			0xe59f0034, /* 0x1c: ldr r0, =vectors         */
			0xee0c0f10, /* 0x20: mcr p15, 0, r0, c12, c0, 0 (VBAR) */
			0xe59f2030, /* 0x24: ldr r2, =GICC            */
			0xe3a00001, /* 0x28: mov r0, #1               */
			0xe5820000, /* 0x2c: str r0, [r2]     GICC_CTLR: Group 1 on */
			0xe3a000ff, /* 0x30: mov r0, #0xff            */
			0xe5820004, /* 0x34: str r0, [r2, #4] GICC_PMR  */
			0xf1080080, /* 0x38: cpsie i                  */
			0xe3a00000, /* 0x3c: mov r0, #0               */
			0xe2800001, /* 0x40: add r0, r0, #1           */
			0xe5810000, /* 0x44: str r0, [r1]             */
			0xeafffffc, /* 0x48: b 0x40                   */
			NS_RAM_BASE + COUNTER_OFFSET, /* 0x4c: data */
			PSCI_VERSION,                 /* 0x50 */
			SIP_UNKNOWN,                  /* 0x54 */
			NS_RAM_BASE + VECTORS,        /* 0x58: vectors */
			GICC_BASE,                    /* 0x5c */
		};
		/* at VECTORS: every exception but IRQ stops in place; IRQ branches to the handler at +0x40 */
		static uint32_t const vectors[] = {
			0xeafffffe, 0xeafffffe, 0xeafffffe, 0xeafffffe,
			0xeafffffe, 0xeafffffe, 0xea000008, 0xeafffffe,
		};
		/* at VECTORS + 0x40, in IRQ mode (no stack; r2..r4 are not the loop's) */
		static uint32_t const irq_handler[] = {
			0xe59f2020, /* 0x40: ldr r2, =GICC            */
			0xe592300c, /* 0x44: ldr r3, [r2, #0xc]  GICC_IAR */
			0xe581300c, /* 0x48: str r3, [r1, #12]        */
			0xe5914010, /* 0x4c: ldr r4, [r1, #16]        */
			0xe2844001, /* 0x50: add r4, r4, #1           */
			0xe5814010, /* 0x54: str r4, [r1, #16]        */
			0xe5823010, /* 0x58: str r3, [r2, #0x10] GICC_EOIR */
			0xe25ef004, /* 0x5c: subs pc, lr, #4          */
			0, 0,       /* 0x60 */
			GICC_BASE,  /* 0x68 */
		};
		uint32_t *ram = _ns_ram.local_addr<uint32_t>();
		for (unsigned i = 0; i < sizeof(code) / sizeof(code[0]); i++) ram[i] = code[i];
		for (unsigned i = 0; i < 8; i++) ram[VECTORS / 4 + i] = vectors[i];
		for (unsigned i = 0; i < sizeof(irq_handler) / sizeof(irq_handler[0]); i++)
			ram[VECTORS / 4 + 0x10 + i] = irq_handler[i];
		for (unsigned i = 0; i < 3; i++) _counter(i) = 0xdeadbeef;
		_counter(3) = 0;
		_counter(4) = 0;

		Genode::bzero(&state, sizeof(state));
		state.ip   = NS_RAM_BASE;
		state.cpsr = 0x1d3; /* SVC, IRQ, FIQ and asynchronous aborts masked (the monitor's FIQ is not maskable) */
	}

	/* the bare-metal normal world of port/trustzone, linked at TZ_NS_IMAGE */
	bool _load_image(Vcpu_state &state)
	{
		Attached_rom_dataspace image { _env, "ns_image.bin" };
		Genode::size_t const offset = TZ_NS_IMAGE - NS_RAM_BASE;
		if (image.size() > NS_RAM_SIZE - offset) {
			error("tzchan_vmm: ns_image.bin (", image.size(), " bytes) does not fit the normal world's RAM");
			return false;
		}
		Genode::bzero(_ns_ram.local_addr<char>(), NS_RAM_SIZE);
		memcpy(_ns_ram.local_addr<char>() + offset, image.local_addr<char>(), image.size());

		Genode::bzero(&state, sizeof(state));
		state.ip   = TZ_NS_IMAGE;
		state.cpsr = 0x193; /* SVC, IRQ and asynchronous aborts masked, FIQ open (it cannot close it) */
		log("normal world: ", image.size(), "-byte image at ", Hex(TZ_NS_IMAGE));
		return true;
	}

#ifdef TZCHAN_VMM_LINUX
	/* copies ROM `name` to normal-world address `pa` (from the config); false if it does not fit */
	bool _load_rom(char const *name, uint32_t pa, Genode::size_t &size)
	{
		Attached_rom_dataspace rom { _env, name };
		size = rom.size();
		if (pa < NS_RAM_BASE || size > NS_RAM_SIZE || pa - NS_RAM_BASE > NS_RAM_SIZE - size) {
			error("tzchan_vmm: ", name, " (", size, " bytes at ", Hex(pa), ") does not fit the normal world's RAM");
			return false;
		}
		memcpy(_ns_ram.local_addr<char>() + (pa - NS_RAM_BASE), rom.local_addr<char>(), size);
		return true;
	}

	/* Linux's ARM boot protocol: r0 = 0, r1 = ~0 (no machine number: the device tree), r2 = the device tree's
	 * address, SVC mode, MMU and caches off (the vCPU state starts with SCTLR's reset value), IRQs masked */
	bool _load_linux(Vcpu_state &state)
	{
		uint32_t const zimage = _config.node().attribute_value("zimage", 0u);
		uint32_t const dtb    = _config.node().attribute_value("dtb",    0u);
		uint32_t const initrd = _config.node().attribute_value("initrd", 0u);
		Genode::size_t zimage_size = 0, dtb_size = 0, initrd_size = 0;

		Genode::bzero(_ns_ram.local_addr<char>(), NS_RAM_SIZE);
		if (!_load_rom("zImage", zimage, zimage_size) || !_load_rom("guest.dtb", dtb, dtb_size) ||
		    !_load_rom("initrd.cpio", initrd, initrd_size))
			return false;

		Genode::bzero(&state, sizeof(state));
		state.ip   = zimage;
		state.r0   = 0;
		state.r1   = ~0ul;
		state.r2   = dtb;
		state.cpsr = 0x1d3; /* SVC, IRQ, FIQ and asynchronous aborts masked (the monitor's FIQ is not maskable) */
		log("normal world: Linux zImage (", zimage_size, " bytes) at ", Hex(zimage), ", device tree (", dtb_size,
		    " bytes) at ", Hex(dtb), ", initramfs (", initrd_size, " bytes) at ", Hex(initrd));
		return true;
	}
#endif

	void _fail(char const *why)
	{
		error("tzchan_vmm: ", why);
		log("tzchan_tz test FAILED");
		_stopped = true;
	}

	/*
	 * SMC from the normal world: sanitise, then dispatch. r0 is the function ID, r1..r6 the arguments (32-bit
	 * registers: nothing to cut), r0..r3 the results. Returns false when the normal world is to stay stopped.
	 */
	bool _smccc_dispatch(Vcpu_state &state)
	{
		uint32_t const fid = (uint32_t)state.r0;
		uint32_t const oen = (fid >> TZ_SMC_OEN_SHIFT) & TZ_SMC_OEN_MASK;
		uint32_t const a[6] = { (uint32_t)state.r1, (uint32_t)state.r2, (uint32_t)state.r3,
		                        (uint32_t)state.r4, (uint32_t)state.r5, (uint32_t)state.r6 };
		uint32_t res[4] = { NOT_SUPPORTED, 0, 0, 0 };
		unsigned results = 1; /* result registers written: r0 only, unless the call returns more */
		bool resume = true;

		_smcs++;
		if (fid & SMC64_BIT) {
			_unknown++;                 /* SMC64 from an AArch32 world: no such calls here */
		} else if (oen == OEN_STANDARD) {
			_psci++;
			if (fid == PSCI_VERSION) {
				res[0] = PSCI_VERSION_1_1;
			} else if (fid == PSCI_FEATURES) {
				/* 0 (implemented) for exactly the functions answered here */
				uint32_t const f = a[0];
				res[0] = (f == PSCI_VERSION || f == PSCI_SYSTEM_OFF || f == PSCI_FEATURES) ? 0 : NOT_SUPPORTED;
			} else if (fid == PSCI_SYSTEM_OFF) {
				log("normal world: PSCI SYSTEM_OFF; the VMM stops it");
				resume = false;
#ifdef TZCHAN_VMM_LINUX
				_linux_off();
#endif
			} else {
#ifdef TZCHAN_VMM_LINUX
				if (fid == PSCI_SYSTEM_RESET) {
					/* what a panicking kernel (panic=-1) asks for: the run ends failed */
					log("normal world: PSCI SYSTEM_RESET (a kernel panic?); the VMM stops it");
					finish(LK_EXIT_RESET);
					return false;
				}
#endif
				_unknown++;
			}
#ifdef TZCHAN_VMM_LINUX
		} else if (fid == LK_SMC_DOORBELL) {
			/* answered as port/trustzone's Linux monitor answers it: a generation that is not the current one
			 * rings nothing; otherwise the secure service runs until every lane waits */
			Mutex::Guard guard(_sp_mutex);
			_serving = true;
			if (a[0] != 0 && a[0] != _published_gen) {
				res[0] = (uint32_t)TZ_REG_ESTALE;
			} else {
				res[0] = 0;
				tz_sp_doorbell_irq();
				while (tz_sp_run())
					;
			}
			_serving = false;
		} else if (oen == TZ_SMC_OEN_TOS || oen == TZ_SMC_OEN_TOS_GENERIC) {
			/* as the Linux firmware's payload takes a call: an interrupt (counted), the call, then traffic
			 * until every lane waits */
			Mutex::Guard guard(_sp_mutex);
			_serving = true;
			tz_sp_doorbell_irq();
			tz_sp_call(fid, a, res);
			while (tz_sp_run())
				;
			if (fid == TZ_SMC_REGISTER)
				_registered = (res[0] == 0);
			if (fid == TZ_SMC_UNREGISTER && res[0] == 0)
				_registered = false;
			if (fid == LK_SMC_VERDICT && !_verdict_seen) {
				_verdict_seen   = true; /* the first one counts, as in the firmware */
				_verdict_status = res[1];
			}
			_serving = false;
			results = 4;
#else
		} else if (oen == TZ_SMC_OEN_TOS || oen == TZ_SMC_OEN_TOS_GENERIC) {
			/* as the bare-metal secure side: serve the call, move traffic until every lane waits, and after a
			 * doorbell report the channel's state after the drain */
			_serving = true;
			tz_sp_call(fid, a, res);
			while (tz_sp_run())
				;
			if (fid == TZ_SMC_DOORBELL)
				tz_sp_call(fid, a, res);
			if (fid == TZ_SMC_REGISTER)
				_registered = (res[0] == 0);
			if (fid == TZ_SMC_UNREGISTER && res[0] == 0)
				_registered = false;
			_serving = false;
			results = 4;
#endif
		} else {
			_unknown++;
		}

		/* a call that returns one value leaves r1..r3 as they were (as SMCCC 1.2 asks of unused result
		 * registers) */
		state.r0 = res[0];
		if (results == 4) {
			state.r1 = res[1];
			state.r2 = res[2];
			state.r3 = res[3];
		}
		/* the monitor saved the address after the SMC: the normal world continues there */
		return resume;
	}

	void _handle_exit()
	{
		_vcpu.with_state([&] (Vcpu_state &state) {
			if (_stopped) return false;

			if (state.cpu_exception == VCPU_EXCEPTION_STARTUP) {
				_load_counting_guest(state);
				_started = true;
				log("normal world started at ", Hex(state.ip));
				_timer.sigh(_tick_handler);
				_timer.trigger_periodic(TICK_US);
				return true;
			}
			if (state.cpu_exception == Cpu_state::SUPERVISOR_CALL) {
				bool const resume = _smccc_dispatch(state);
				_inject(state);
				return resume;
			}
			_fail(String<96>("unexpected normal-world exit ", state.cpu_exception, " at ", Hex(state.ip),
			                 " (dfar ", Hex(state.dfar), ")").string());
			return false;
		});
	}

	void _inject(Vcpu_state &state)
	{
		unsigned const before = _injections.waiting();
		_injections.fill(state);
		if (_injections.waiting() < before) _injected++;
	}

	void _handle_tick()
	{
		if (_phase1_done || !_started || _stopped) return;

		/*
		 * At one tick, two injections at once: first another Group 1 SPI (enabled by nobody, so it stays
		 * pending and is never taken), then the doorbell. The first takes the VM state's one slot; the doorbell
		 * waits in the queue and goes in at the next entry (the next tick's). Without the queue (one slot, as
		 * the stock tz_vmm has it) the doorbell would be lost and the normal world would count no interrupt.
		 */
		_vcpu.with_state([&] (Vcpu_state &state) {
			if (_ticks == INJECT_TICK) {
				_injections.push(OTHER_SPI);
				_injections.push(Board::NS_DOORBELL_IRQ);
			}
			_inject(state);
			return true;
		});

		uint32_t const now = _counter();
		if (_ticks == 0) _first = now;
		else if (now != _last) _advanced++;
		_last = now;
		if (++_ticks < TICKS + 1) return;

		_phase1_done = true;
		_timer.trigger_periodic(0);
		log("secure timer: ", TICKS, " ticks while the normal world ran; its counter moved on in ",
		    _advanced, " of them (", _first, " -> ", _last, ")");
		/* how often it moved on depends on scheduling (two ticks may be handled back to back); that it moved
		 * on at all while the ticks kept coming is the point */
		if (_advanced == 0 || _last == _first) {
			_fail("the normal world did not run between the secure ticks");
			return;
		}
		uint32_t const version = _counter(1), unknown = _counter(2);
		log("counting normal world's SMCs: PSCI_VERSION -> ", Hex(version), ", unknown SiP call ",
		    Hex(SIP_UNKNOWN), " -> ", Hex(unknown));
		if (version != PSCI_VERSION_1_1 || unknown != NOT_SUPPORTED) {
			_fail("wrong answers to the counting normal world's SMCs");
			return;
		}
		uint32_t const irq_id = _counter(3), irqs = _counter(4);
		log("counting normal world's interrupts: ", irqs, " taken, the last with ID ", irq_id,
		    " (the VMM injected SPI ", (unsigned)OTHER_SPI, " and then the doorbell, SPI ",
		    (unsigned)Board::NS_DOORBELL_IRQ, ", at once)");
		if (irqs != 1 || irq_id != Board::NS_DOORBELL_IRQ) {
			_fail("the doorbell injected behind another injection did not arrive once");
			return;
		}
		log("tzchan_tz board check passed");

		if (!_image_configured()) {
			log("tzchan_tz test passed");
			_vcpu.with_state([&] (Vcpu_state &) { return false; });
			return;
		}

		/* phase 2: the counting normal world gives way to the bare-metal one (or Linux) */
		_vcpu.with_state([&] (Vcpu_state &state) {
#ifdef TZCHAN_VMM_LINUX
			if (!_load_linux(state)) { _fail("no Linux to boot"); return false; }
#else
			if (!_load_image(state)) { _fail("no normal-world image"); return false; }
#endif
			_ticker._enabled = true;
			return true;
		});
	}

	Main(Env &env) : _env(env)
	{
		main_ptr = this;
		log("tzchan_vmm: normal-world RAM ", Hex(NS_RAM_BASE), "+", Hex(NS_RAM_SIZE),
		    ", Genode RAM ", Hex(Board::RAM_BASE), "+", Hex(Board::RAM_SIZE),
		    ", secure-only RAM ", Hex(Board::SECURE_ONLY_RAM_BASE), "+", Hex(Board::SECURE_ONLY_RAM_SIZE),
		    " (unused)");
		tz_sp_init();
		_ticker.start();
	}

	/* ---- hooks of the secure payload logic (see the extern "C" functions below) ---- */

	uint64_t now_us()
	{
		Mutex::Guard guard(_time_mutex);
		return _timer.elapsed_us();
	}

	void *map_ns(uint64_t pa, uint64_t size)
	{
		/* tz_region_check() has put [pa, pa+size) inside the normal world's RAM; check again, never trust */
		if (pa < NS_RAM_BASE || size > NS_RAM_SIZE || pa - NS_RAM_BASE > NS_RAM_SIZE - size) return nullptr;
		return _ns_ram.local_addr<char>() + (pa - NS_RAM_BASE);
	}

	void ring_normal() { _injections.push(Board::NS_DOORBELL_IRQ); }

	uint32_t _published_gen = 0; /* the secure service's current generation (tz_sp_publish_gen) */

#ifdef TZCHAN_VMM_LINUX
	/* PSCI SYSTEM_OFF: the run ends with the verdict the test handed over (LK_SMC_VERDICT), or else the one that
	 * came as a message (LK_SMC_COLLECT: LK_EXIT_NO_VERDICT when none came), as the Linux firmware's monitor
	 * decides QEMU's exit status */
	void _linux_off()
	{
		uint32_t status = _verdict_status;
		if (!_verdict_seen) {
			uint32_t const a[6] = { 0, 0, 0, 0, 0, 0 };
			uint32_t res[4] = { 0, 0, 0, 0 };
			Mutex::Guard guard(_sp_mutex);
			tz_sp_call(LK_SMC_COLLECT, a, res);
			status = res[1];
		}
		log("normal world powered off; verdict status ", status);
		finish((int)status);
	}
#endif

	void finish(int status)
	{
		log("tzchan_vmm: ", _smcs, " SMCs (", _psci, " PSCI, ", _unknown, " answered NOT_SUPPORTED), ",
		    _injected, " doorbell injections, ", _injections.dropped(), " dropped by a full queue");
		log("tzchan_vmm: secure timer ticks that took the CPU from the normal world while it had a region "
		    "registered: ", _ns_ticks);
#ifdef TZCHAN_VMM_LINUX
		log("tzchan_vmm: secure timer FIQs that landed in the normal world mid-transfer (a message half-way): ",
		    _mid_ticks);
#endif
		log(status == 0 && _injections.dropped() == 0 ? "tzchan_tz test passed" : "tzchan_tz test FAILED");
		_stopped = true;
	}
};


void Tzchan_vmm::Secure_ticker::entry()
{
	Timer::Connection timer { _env };
	for (;;) {
		timer.msleep(1);
		if (_enabled && main_ptr && !main_ptr->_stopped) {
			bool const serving = main_ptr->_serving;
			/* not serving a call: the VMM was idle, so the normal world had the CPU when the FIQ came */
			if (!serving && main_ptr->_registered) {
				main_ptr->_ns_ticks++;
#ifdef TZCHAN_VMM_LINUX
				/* the entrypoint serves under this mutex: the service's state is read between two calls */
				Mutex::Guard guard(main_ptr->_sp_mutex);
				if (tz_sp_half_way() > 0) main_ptr->_mid_ticks++;
#endif
			}
			tz_sp_tick(serving);
		}
	}
}


/* ---- what the secure payload logic needs from its platform (tz_plat.h, tz_secure.h) ---- */

extern "C" {

#ifdef TZCHAN_VMM_LINUX
const char tz_sp_arch_name[] = "genode-armv7-linux";
#else
const char tz_sp_arch_name[] = "genode-armv7";
#endif

/* forbidden for registration besides secure flash and secure-only RAM: Genode's RAM (image, heaps, everything) */
uint64_t tz_sp_image_ranges[4] = { Tzchan_tz::Board_map::RAM_BASE, Tzchan_tz::Board_map::RAM_SIZE, 0, 0 };

uint64_t tz_arch_now(void)  { return main_ptr->now_us(); }
uint64_t tz_arch_freq(void) { return 1000000; }

/* the endpoint runs as a Genode component: the kernel preempts it, there is nothing to mask */
void tz_arch_irq_off(void) { }
void tz_arch_irq_on(void)  { }
void tz_arch_wfi(void)     { }

void tz_arch_exit(int status)
{
	main_ptr->finish(status);
	Genode::sleep_forever();
}

void tz_arch_putc(char c)
{
	static char line[200];
	static unsigned n;
	if (c != '\n' && n + 1 < sizeof(line)) { line[n++] = c; return; }
	line[n] = 0;
	Genode::log(Genode::Cstring(line));
	n = 0;
}

void *tz_sp_map_ns(uint64_t pa, uint64_t size) { return main_ptr->map_ns(pa, size); }

/* the whole of the normal world's RAM stays attached to the VMM; nothing to unmap */
void tz_sp_unmap_ns(void *, uint64_t) { }

/* LK_SMC_DOORBELL (Linux) checks its generation against this one */
void tz_sp_publish_gen(uint32_t gen) { main_ptr->_published_gen = gen; }

void tz_sp_ring_normal(void *) { main_ptr->ring_normal(); }

/* the traffic checker compares bytes with memcmp, which Genode's base library does not provide to C code */
int memcmp(const void *a, const void *b, Genode::size_t n)
{
	unsigned char const *x = (unsigned char const *)a, *y = (unsigned char const *)b;
	for (Genode::size_t i = 0; i < n; i++)
		if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
	return 0;
}

} /* extern "C" */


void Component::construct(Genode::Env &env) { static Tzchan_vmm::Main main(env); }
