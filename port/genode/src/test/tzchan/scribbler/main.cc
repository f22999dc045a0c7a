/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * \brief  A hostile "normal" client of the tzchan scenario
 *
 * It first offers the server regions that must be refused before they are
 * attached or used (a ring size outside the policy, a dataspace too small for
 * the claimed geometry, a region whose header is not a tzchan header), then
 * hands over a proper region, exchanges one message, and then scribbles
 * pseudo-random bytes over the whole region and rings the server's doorbell.
 * The server must report TZCHAN_EPROTO for this channel and carry on serving
 * the other clients; this component only checks the refusals itself.
 */

#include <base/component.h>
#include <base/log.h>
#include <base/attached_ram_dataspace.h>
#include <base/sleep.h>
#include <tzchan_session/connection.h>
#include <tzchan/channel.h>

#include "../checksum.h"

namespace Tzchan_scribbler {

	using namespace Genode;

	struct Main;
}


struct Tzchan_scribbler::Main
{
	using Attach_result = Tzchan::Session::Attach_result;

	Env &_env;

	Tzchan::Connection _session { _env, "scribbler" };

	size_t const _region_size = tzchan_region_size(1, Tzchan_test::RING_BYTES);

	Attached_ram_dataspace _region { _env.ram(), _env.rm(), _region_size };

	Tzchan::Channel _channel { };

	bool _expect(char const *what, Attach_result got, Attach_result want)
	{
		if (got == want) {
			log("refused as expected: ", what);
			return true;
		}
		error(what, ": server answered ", unsigned(got), ", expected ", unsigned(want));
		return false;
	}

	bool _offer_bad_regions()
	{
		Signal_context_capability const bell = _channel.doorbell();
		unsigned const ring = Tzchan_test::RING_BYTES;

		bool ok = _expect("ring size not a power of two",
		                  _session.attach_region(_region.cap(), 3000, bell),
		                  Attach_result::INVALID_GEOMETRY);

		ok &= _expect("dataspace too small for the claimed ring",
		              _session.attach_region(_region.cap(), 16*ring, bell),
		              Attach_result::SIZE_MISMATCH);

		/* the dataspace fits, but nobody laid a region out in it */
		ok &= _expect("region without a tzchan header",
		              _session.attach_region(_region.cap(), ring, bell),
		              Attach_result::REGION_REFUSED);
		return ok;
	}

	/* xorshift64: the same garbage on every run */
	static uint64_t _next(uint64_t &s)
	{
		s ^= s << 13; s ^= s >> 7; s ^= s << 17;
		return s;
	}

	void _scribble()
	{
		uint64_t *p = _region.local_addr<uint64_t>();
		uint64_t  s = 0x9e3779b97f4a7c15ull;
		for (size_t i = 0; i < _region_size / sizeof(uint64_t); i++)
			p[i] = _next(s);
	}

	Main(Env &env) : _env(env)
	{
		if (!_offer_bad_regions()) {
			error("tzchan scribbler FAILED");
			return;
		}

		if (tzchan_region_init(_region.local_addr<void>(), _region.size(), 1,
		                       Tzchan_test::RING_BYTES) < 0
		 || _channel.open(_region.local_addr<void>(), _region.size(), TZCHAN_SIDE_A) < 0
		 || _session.attach_region(_region.cap(), Tzchan_test::RING_BYTES,
		                           _channel.doorbell()) != Attach_result::OK) {
			error("tzchan scribbler FAILED: proper region refused");
			return;
		}
		Signal_context_capability const server_bell = _session.server_doorbell();
		_channel.peer_doorbell(server_bell);

		/* one honest exchange, so the server waits on the channel */
		char const msg[] = "hello from the scribbler";
		Tzchan_test::Reply reply { };
		if (_channel.send(msg, sizeof(msg)) != int64_t(sizeof(msg))
		 || _channel.recv(&reply, sizeof(reply)) != int64_t(sizeof(reply))
		 || reply.length != sizeof(msg)) {
			error("tzchan scribbler FAILED: honest exchange");
			return;
		}

		_scribble();
		Signal_transmitter(server_bell).submit();
		log("scribbled over the whole region and rang the server");
	}
};


void Component::construct(Genode::Env &env)
{
	static Tzchan_scribbler::Main main(env);
}
