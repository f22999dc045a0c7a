/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * \brief  Client-side stub of the tzchan session
 */

#ifndef _INCLUDE__TZCHAN_SESSION__CLIENT_H_
#define _INCLUDE__TZCHAN_SESSION__CLIENT_H_

#include <tzchan_session/tzchan_session.h>
#include <base/rpc_client.h>

namespace Tzchan { struct Session_client; }


struct Tzchan::Session_client : Genode::Rpc_client<Session>
{
	Session_client(Genode::Capability<Session> cap)
	: Genode::Rpc_client<Session>(cap) { }

	Attach_result attach_region(Dataspace_capability ds, unsigned ring_bytes,
	                            Signal_context_capability doorbell) override {
		return call<Rpc_attach_region>(ds, ring_bytes, doorbell); }

	Signal_context_capability server_doorbell() override {
		return call<Rpc_server_doorbell>(); }

	Stats stats() override { return call<Rpc_stats>(); }
};

#endif /* _INCLUDE__TZCHAN_SESSION__CLIENT_H_ */
