/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The TrustZone VMM of the tzchan Genode port: runs the normal world on QEMU virt ARMv7 (board
 * virt_qemu_arm_v7a_tz) through base-hw's VM session.
 *
 * This first part proves the board: it starts a normal world that only counts in its own RAM, and then checks,
 * on the secure timer, that Genode keeps getting the CPU while the normal world never gives it back on its own
 * (it makes no SMC and never stops). All 20 secure ticks must come, and the normal world's counter must have
 * moved on between them: the normal world really ran, and the secure timer's FIQ really took the CPU from it
 * (without Group 0 as FIQ and the monitor's SCR.FIQ, the first tick would never come and the scenario would time
 * out).
 *
 * The normal world's RAM is reached through an I/O-memory session for exactly its range (see
 * virt_qemu_tz_board.h); base-hw maps it uncached and without the NS bit in its page tables (QEMU's virt board
 * has one physical RAM for both worlds, so the secure mapping reaches the same bytes).
 */

/* Genode includes */
#include <base/attached_io_mem_dataspace.h>
#include <base/component.h>
#include <base/heap.h>
#include <base/log.h>
#include <cpu/vcpu_state_trustzone.h>
#include <timer_session/connection.h>
#include <util/string.h>
#include <vm_session/connection.h>
#include <vm_session/handler.h>

/* board facts shared with bootstrap and core */
#include <tzchan_tz/board_map.h>

namespace Tzchan_vmm {
	using namespace Genode;
	namespace Board = Tzchan_tz::Board_map;
	struct Main;
}


struct Tzchan_vmm::Main
{
	static constexpr unsigned TICKS          = 20;      /* secure ticks to watch */
	static constexpr unsigned TICK_US        = 100000;
	static constexpr uint32_t COUNTER_OFFSET = 0x1000;  /* the counting normal world's counter, in its RAM */
	static constexpr uint32_t NS_RAM_BASE    = Board::NS_RAM_BASE;

	Env &_env;

	Heap _heap { _env.ram(), _env.rm() };

	/* write-combined: normal uncached memory, so unaligned copies into it do not fault */
	Attached_io_mem_dataspace _ns_ram { _env, Board::NS_RAM_BASE, Board::NS_RAM_SIZE, true };

	Vcpu_handler<Main> _exit_handler { _env.ep(), *this, &Main::_handle_exit };

	Vm_connection              _vm          { _env };
	Vm_connection::Exit_config _exit_config { };
	Vm_connection::Vcpu        _vcpu        { _vm, _heap, _exit_handler, _exit_config };

	Timer::Connection _timer { _env };
	Signal_handler<Main> _tick_handler { _env.ep(), *this, &Main::_handle_tick };

	unsigned _ticks = 0, _advanced = 0;
	uint32_t _first = 0, _last = 0;
	bool     _started = false, _done = false;

	uint32_t volatile &_counter() {
		return *(uint32_t volatile *)(_ns_ram.local_addr<char>() + COUNTER_OFFSET); }

	/* a normal world that counts forever: r1 = &counter; r0 = 0; loop { r0++; *r1 = r0 } */
	void _load_counting_guest(Vcpu_state &state)
	{
		static uint32_t const code[] = {
			0xe3a00000, /* mov r0, #0          */
			0xe59f1008, /* ldr r1, [pc, #8]    */
			0xe2800001, /* 1: add r0, r0, #1   */
			0xe5810000, /* str r0, [r1]        */
			0xeafffffc, /* b 1b                */
			NS_RAM_BASE + COUNTER_OFFSET,
		};
		uint32_t *dst = _ns_ram.local_addr<uint32_t>();
		for (unsigned i = 0; i < sizeof(code) / sizeof(code[0]); i++) dst[i] = code[i];
		_counter() = 0;

		Genode::bzero(&state, sizeof(state));
		state.ip   = NS_RAM_BASE;
		state.cpsr = 0x1d3; /* SVC, IRQ, FIQ and asynchronous aborts masked (the monitor's FIQ is not maskable) */
	}

	void _fail(char const *why)
	{
		error("tzchan_vmm: ", why);
		log("tzchan_tz test FAILED");
		_done = true;
	}

	void _handle_exit()
	{
		_vcpu.with_state([&] (Vcpu_state &state) {
			if (state.cpu_exception == VCPU_EXCEPTION_STARTUP) {
				_load_counting_guest(state);
				_started = true;
				log("normal world started at ", Hex(state.ip));
				_timer.sigh(_tick_handler);
				_timer.trigger_periodic(TICK_US);
				return true;
			}
			/* the counting normal world never leaves on its own: any exit is a failure */
			_fail(String<64>("unexpected normal-world exit ", state.cpu_exception, " at ", Hex(state.ip)).string());
			return false;
		});
	}

	void _handle_tick()
	{
		if (_done || !_started) return;
		uint32_t const now = _counter();
		if (_ticks == 0) _first = now;
		else if (now != _last) _advanced++;
		_last = now;
		if (++_ticks < TICKS + 1) return;

		_done = true;
		_timer.trigger_periodic(0);
		log("secure timer: ", TICKS, " ticks while the normal world ran; its counter moved on in ",
		    _advanced, " of them (", _first, " -> ", _last, ")");
		/* how often it moved on depends on scheduling (two ticks may be handled back to back); that it moved
		 * on at all while the ticks kept coming is the point */
		if (_advanced == 0 || _last == _first) { _fail("the normal world did not run between the secure ticks"); return; }
		log("tzchan_tz test passed");
	}

	Main(Env &env) : _env(env)
	{
		log("tzchan_vmm: normal-world RAM ", Hex(Board::NS_RAM_BASE), "+", Hex(Board::NS_RAM_SIZE),
		    ", Genode RAM ", Hex(Board::RAM_BASE), "+", Hex(Board::RAM_SIZE));
	}
};


void Component::construct(Genode::Env &env) { static Tzchan_vmm::Main main(env); }
