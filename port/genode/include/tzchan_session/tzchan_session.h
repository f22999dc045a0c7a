/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * \brief  Tzchan session: how a client hands a tzchan region to a server
 *
 * This is Genode's counterpart of the SMC with which the normal world passes
 * its buffer to the secure world. The client (side A, the creator) allocates
 * a RAM dataspace, lays a one-lane region out in it and hands the dataspace
 * capability over together with the ring size it claims and the capability of
 * its own doorbell (a signal context). The server (side B) validates the
 * dataspace's size against the claimed geometry before it attaches it, opens
 * the region (which validates the header) and answers with its own doorbell.
 * After that, only the region and the two doorbells carry traffic; the RPC
 * interface is not used for messages.
 */

#ifndef _INCLUDE__TZCHAN_SESSION__TZCHAN_SESSION_H_
#define _INCLUDE__TZCHAN_SESSION__TZCHAN_SESSION_H_

#include <session/session.h>
#include <base/rpc.h>
#include <base/signal.h>
#include <dataspace/capability.h>

namespace Tzchan {

	using namespace Genode;

	struct Session;
}


struct Tzchan::Session : Genode::Session
{
	static const char *service_name() { return "Tzchan"; }

	/* the server runs one thread with its own signal receiver per session */
	static constexpr unsigned CAP_QUOTA = 16;

	enum class Attach_result {
		OK,
		ALREADY_ATTACHED,  /* a session carries one region */
		INVALID_DATASPACE, /* not a valid dataspace capability */
		INVALID_GEOMETRY,  /* ring size not a power of two within the policy */
		SIZE_MISMATCH,     /* dataspace size does not fit the claimed geometry */
		ATTACH_FAILED,     /* could not be mapped */
		REGION_REFUSED,    /* the region's header failed validation (tzchan_open) */
	};

	struct Stats
	{
		unsigned long long messages;   /* messages answered in this session */
		unsigned long long bytes;      /* payload bytes received in this session */
		unsigned long long doorbells;  /* times the server rang the client */
		unsigned long long broken;     /* sessions the server dropped for TZCHAN_EPROTO */
	};

	/**
	 * Hand the region over
	 *
	 * \param ds          RAM dataspace holding a one-lane region laid out
	 *                    by the client (side A)
	 * \param ring_bytes  ring size the client claims the region has
	 * \param doorbell    signal context the server rings when the client waits
	 */
	virtual Attach_result attach_region(Dataspace_capability ds,
	                                    unsigned ring_bytes,
	                                    Signal_context_capability doorbell) = 0;

	/**
	 * Signal context the client rings when the server waits (valid once attached)
	 */
	virtual Signal_context_capability server_doorbell() = 0;

	virtual Stats stats() = 0;

	GENODE_RPC(Rpc_attach_region, Attach_result, attach_region,
	           Dataspace_capability, unsigned, Signal_context_capability);
	GENODE_RPC(Rpc_server_doorbell, Signal_context_capability, server_doorbell);
	GENODE_RPC(Rpc_stats, Stats, stats);
	GENODE_RPC_INTERFACE(Rpc_attach_region, Rpc_server_doorbell, Rpc_stats);
};

#endif /* _INCLUDE__TZCHAN_SESSION__TZCHAN_SESSION_H_ */
