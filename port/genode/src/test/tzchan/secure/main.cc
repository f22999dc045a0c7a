/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * \brief  The "secure" side of the tzchan scenario: a server that answers
 *         every message with its length and checksum
 *
 * Each session stands for one normal-world client. The client hands over a
 * RAM dataspace holding a tzchan region (side A); the server checks the
 * dataspace's size against the geometry the client claims before it attaches
 * it, opens the region as side B (which validates the header and the lane's
 * indices), and starts one thread that serves the channel with the blocking
 * calls of 'Tzchan::Channel'. A client that breaks the protocol turns its own
 * channel broken (TZCHAN_EPROTO): the server logs it, drops that channel and
 * goes on serving every other session.
 */

#include <base/component.h>
#include <base/heap.h>
#include <base/log.h>
#include <base/thread.h>
#include <base/attached_dataspace.h>
#include <dataspace/client.h>
#include <root/component.h>
#include <util/reconstructible.h>
#include <tzchan_session/tzchan_session.h>
#include <tzchan/channel.h>

#include "../checksum.h"

namespace Tzchan_secure {

	using namespace Genode;

	struct Session_component;
	struct Root;
	struct Main;

	/* largest ring a client may claim */
	enum { MAX_RING_BYTES = 64*1024 };
}


struct Tzchan_secure::Session_component : Rpc_object<Tzchan::Session>
{
	Env                 &_env;
	Session_label const  _label;
	unsigned long       &_broken;  /* shared by all sessions of the server */

	Constructible<Attached_dataspace> _region { };

	Tzchan::Channel _channel { };

	Stats _stats { };

	struct Worker : Thread
	{
		Session_component &_session;

		Worker(Env &env, Session_component &session)
		:
			Thread(env, "tzchan_worker", Stack_size { 16*1024 }),
			_session(session)
		{ }

		void entry() override { _session._serve(); }
	};

	Constructible<Worker> _worker { };

	/* serve the channel until the client breaks the protocol or goes away */
	void _serve()
	{
		static_assert(sizeof(Tzchan_test::Reply) == 16, "reply is 16 bytes");

		char buf[2048];
		int64_t r = 0;

		for (;;) {
			Tzchan_test::Checksum sum { };
			uint64_t length = 0;
			bool end = false;
			while (!end) {
				r = _channel.recv_some(buf, sizeof(buf), end);
				if (r < 0)
					break;
				sum.add(buf, size_t(r));
				length += uint64_t(r);
			}
			if (r < 0)
				break;

			/*
			 * Count before answering: a client that has its answer finds
			 * the message counted when it asks 'stats' (read on the
			 * entrypoint)
			 */
			__atomic_add_fetch(&_stats.messages, 1, __ATOMIC_RELAXED);
			__atomic_add_fetch(&_stats.bytes, length, __ATOMIC_RELAXED);

			Tzchan_test::Reply const reply { length, sum.value };
			r = _channel.send(&reply, sizeof(reply));
			__atomic_store_n(&_stats.doorbells, _channel.stats().doorbells, __ATOMIC_RELAXED);
			if (r < 0)
				break;
		}

		if (r == TZCHAN_EPROTO) {
			__atomic_add_fetch(&_broken, 1, __ATOMIC_RELAXED);
			error("session '", _label, "': channel dropped after ",
			      _stats.messages, " message(s), still serving the others (",
			      tzchan_strerror(int(r)), ")");
		} else if (r != TZCHAN_EINTR) {
			log("session '", _label, "': ", tzchan_strerror(int(r)));
		}
	}

	Session_component(Env &env, Session_label const &label, unsigned long &broken)
	:
		_env(env), _label(label), _broken(broken)
	{ }

	~Session_component()
	{
		if (_worker.constructed()) {
			_channel.cancel();
			_worker->join();
		}
	}

	Attach_result attach_region(Dataspace_capability ds, unsigned ring_bytes,
	                            Signal_context_capability doorbell) override
	{
		if (_region.constructed())
			return Attach_result::ALREADY_ATTACHED;

		if (!ds.valid())
			return Attach_result::INVALID_DATASPACE;

		/* the claimed geometry: one lane, a ring the policy allows */
		size_t const need = (ring_bytes <= MAX_RING_BYTES)
		                  ? tzchan_region_size(1, ring_bytes) : 0;
		if (need == 0) {
			warning("session '", _label, "': refused ring of ", ring_bytes, " bytes");
			return Attach_result::INVALID_GEOMETRY;
		}

		/* the dataspace must hold the region and not be larger than its pages */
		size_t ds_size = 0;
		try { ds_size = Dataspace_client(ds).size(); }
		catch (...) { return Attach_result::INVALID_DATASPACE; }
		size_t const max_size = (need + 4095) & ~size_t(4095);
		if (ds_size < need || ds_size > max_size) {
			warning("session '", _label, "': refused dataspace of ", ds_size,
			        " bytes for a region of ", need, " bytes");
			return Attach_result::SIZE_MISMATCH;
		}

		try { _region.construct(_env.rm(), ds); }
		catch (...) { return Attach_result::ATTACH_FAILED; }

		/* validates the header against what we mapped, copies the geometry */
		int const r = _channel.open(_region->local_addr<void>(), _region->size(),
		                            TZCHAN_SIDE_B);
		if (r < 0 || _channel.max_msg() != ring_bytes / 2) {
			warning("session '", _label, "': refused region: ",
			        r < 0 ? tzchan_strerror(r) : "geometry differs from the claim");
			_region.destruct();
			return Attach_result::REGION_REFUSED;
		}

		_channel.peer_doorbell(doorbell);
		_worker.construct(_env, *this);
		_worker->start();

		log("session '", _label, "': region of ", need, " bytes attached, ring ",
		    ring_bytes, " bytes");
		return Attach_result::OK;
	}

	Signal_context_capability server_doorbell() override
	{
		return _region.constructed() ? _channel.doorbell()
		                             : Signal_context_capability();
	}

	Stats stats() override
	{
		Stats s { };
		s.messages  = __atomic_load_n(&_stats.messages,  __ATOMIC_RELAXED);
		s.bytes     = __atomic_load_n(&_stats.bytes,     __ATOMIC_RELAXED);
		s.doorbells = __atomic_load_n(&_stats.doorbells, __ATOMIC_RELAXED);
		s.broken = __atomic_load_n(&_broken, __ATOMIC_RELAXED);
		return s;
	}
};


struct Tzchan_secure::Root : Root_component<Session_component>
{
	Env           &_env;
	unsigned long  _broken = 0;

	Create_result _create_session(char const *args) override
	{
		return *new (md_alloc())
			Session_component(_env, label_from_args(args), _broken);
	}

	Root(Env &env, Allocator &md_alloc)
	:
		Root_component<Session_component>(&env.ep().rpc_ep(), &md_alloc),
		_env(env)
	{ }
};


struct Tzchan_secure::Main
{
	Env &_env;

	Sliced_heap _sliced_heap { _env.ram(), _env.rm() };

	Root _root { _env, _sliced_heap };

	struct Unwind_check : Exception { };

	[[gnu::noinline]] static void _throw() { throw Unwind_check(); }

	Main(Env &env) : _env(env)
	{
		/*
		 * Unwinding through this program's frames exercises the C++ runtime
		 * built from Debian's libraries (docs/GENODE.md, compatibility patch)
		 */
		bool caught = false;
		try { _throw(); } catch (Unwind_check) { caught = true; }

		_env.parent().announce(_env.ep().manage(_root));
		log("secure world ready", caught ? " (C++ exceptions work)" : "");
	}
};


void Component::construct(Genode::Env &env) { static Tzchan_secure::Main main(env); }
