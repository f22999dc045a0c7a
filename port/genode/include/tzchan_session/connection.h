/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * \brief  Connection to a tzchan server
 */

#ifndef _INCLUDE__TZCHAN_SESSION__CONNECTION_H_
#define _INCLUDE__TZCHAN_SESSION__CONNECTION_H_

#include <tzchan_session/client.h>
#include <base/connection.h>

namespace Tzchan { struct Connection; }


struct Tzchan::Connection : Genode::Connection<Session>, Session_client
{
	Connection(Genode::Env &env, Label const &label = Label())
	:
		/* the server allocates its per-session state from this donation */
		Genode::Connection<Tzchan::Session>(env, label, Ram_quota { 64*1024 }, Args()),
		Session_client(cap())
	{ }
};

#endif /* _INCLUDE__TZCHAN_SESSION__CONNECTION_H_ */
