/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * \brief  The "normal" side of the tzchan scenario: a client that sends
 *         messages of 0 B to several MiB and checks every answer
 *
 * The client plays the normal world: it allocates a RAM dataspace, lays a
 * one-lane region with a 4 KiB ring out in it (side A) and hands it to the
 * secure server through a Tzchan session, as the normal world hands its
 * buffer over with an SMC. Every message is answered with its length and
 * checksum. It sends the list of sizes once, keeps talking until the server
 * reports that another client broke its channel, then sends the list again
 * (the server must go on serving), and prints a summary.
 */

#include <base/component.h>
#include <base/log.h>
#include <base/attached_ram_dataspace.h>
#include <tzchan_session/connection.h>
#include <tzchan/channel.h>

#include "../checksum.h"

namespace Tzchan_normal {

	using namespace Genode;

	struct Main;

	static size_t const sizes[] = {
		0, 1, 7, 8, 9, 100, 1000, 2040, 2047, 2048, 2049, 4095, 4096, 4097,
		10000, 65536, 100000, 1024*1024, 4*1024*1024 + 7 };

	enum { MAX_MSG = 4*1024*1024 + 7 };

	/* prints thousandths as a decimal fraction: 1234 -> 1.234 */
	struct Milli
	{
		unsigned value;

		void print(Output &out) const
		{
			char const frac[4] = { char('0' + value / 100 % 10),
			                       char('0' + value / 10 % 10),
			                       char('0' + value % 10), 0 };
			Genode::print(out, value / 1000, ".", Cstring(frac));
		}
	};
}


struct Tzchan_normal::Main
{
	Env &_env;

	Tzchan::Connection _session { _env, "normal" };

	size_t const _region_size = tzchan_region_size(1, Tzchan_test::RING_BYTES);

	Attached_ram_dataspace _region  { _env.ram(), _env.rm(), _region_size };
	Attached_ram_dataspace _payload { _env.ram(), _env.rm(), MAX_MSG };

	Tzchan::Channel _channel { };

	uint64_t _messages = 0, _bytes = 0;
	bool     _failed   = false;

	void _fail(auto &&... args)
	{
		error(args...);
		_failed = true;
	}

	/* one message of 'len' bytes and its answer */
	bool _exchange(size_t len)
	{
		unsigned char *buf = _payload.local_addr<unsigned char>();
		for (size_t i = 0; i < len; i++)
			buf[i] = Tzchan_test::pattern(_messages, i);

		Tzchan_test::Checksum sum { };
		sum.add(buf, len);

		int64_t r = _channel.send(buf, len);
		if (r != int64_t(len)) {
			_fail("send of ", len, " bytes: ", r < 0 ? tzchan_strerror(int(r)) : "short");
			return false;
		}

		Tzchan_test::Reply reply { };
		r = _channel.recv(&reply, sizeof(reply));
		if (r != int64_t(sizeof(reply))) {
			_fail("answer to ", len, " bytes: ",
			      r < 0 ? tzchan_strerror(int(r)) : "wrong length");
			return false;
		}
		if (reply.length != len || reply.checksum != sum.value) {
			_fail("answer to ", len, " bytes: length ", reply.length,
			      " checksum ", Hex(reply.checksum), ", expected ",
			      Hex(sum.value));
			return false;
		}
		_messages++;
		_bytes += len;
		return true;
	}

	bool _round(char const *name)
	{
		for (size_t len : sizes)
			if (!_exchange(len))
				return false;
		log(name, ": ", sizeof(sizes)/sizeof(sizes[0]), " messages of 0 B .. ",
		    sizes[sizeof(sizes)/sizeof(sizes[0]) - 1], " B answered correctly");
		return true;
	}

	void _run()
	{
		if (tzchan_region_init(_region.local_addr<void>(), _region.size(), 1,
		                       Tzchan_test::RING_BYTES) < 0
		 || _channel.open(_region.local_addr<void>(), _region.size(), TZCHAN_SIDE_A) < 0) {
			_fail("cannot lay out the region");
			return;
		}

		using Attach_result = Tzchan::Session::Attach_result;
		Attach_result const a = _session.attach_region(_region.cap(),
		                                               Tzchan_test::RING_BYTES,
		                                               _channel.doorbell());
		if (a != Attach_result::OK) {
			_fail("server refused the region (", unsigned(a), ")");
			return;
		}
		_channel.peer_doorbell(_session.server_doorbell());

		if (!_round("round 1"))
			return;

		/* keep talking until the server has dropped the scribbler's channel */
		unsigned long pings = 0;
		while (_session.stats().broken == 0) {
			if (++pings > 1000000) {
				_fail("the server never reported the scribbler's protocol violation");
				return;
			}
			if (!_exchange(64))
				return;
		}
		log("server dropped a broken channel; still served after ", pings, " pings");

		if (!_round("round 2"))
			return;

		Tzchan::Session::Stats const s = _session.stats();
		tzchan_stats const c = _channel.stats();
		if (s.messages != _messages || s.bytes != _bytes)
			_fail("server counted ", s.messages, " messages, ", s.bytes, " bytes");

		uint64_t const bells = c.doorbells + s.doorbells;
		unsigned const per_mille = _messages ? unsigned(bells * 1000 / _messages) : 0;
		log("tzchan summary: ", _messages, " messages, ", _bytes, " bytes, ",
		    bells, " doorbells (", c.doorbells, " to secure, ", s.doorbells,
		    " to normal), ", Milli { per_mille }, " doorbells per message, ",
		    s.broken, " broken channel(s) dropped by the server");
	}

	Main(Env &env) : _env(env)
	{
		_run();
		if (_failed)
			error("tzchan test FAILED");
		else
			log("tzchan test passed");
	}
};


void Component::construct(Genode::Env &env) { static Tzchan_normal::Main main(env); }
