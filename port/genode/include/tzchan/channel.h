/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * \brief  Genode wrapper of one tzchan endpoint: doorbells as signals,
 *         blocking send and receive
 *
 * A 'Tzchan::Channel' is one side's endpoint on lane 0 of a region. Its
 * doorbell is a Genode signal context managed by the channel's own signal
 * receiver; the peer's doorbell is a signal transmitter. The core rings the
 * peer (through the notify hook) only when the peer has announced that it
 * waits, so under load no signal is sent at all. The blocking calls try the
 * core's non-blocking call, and on TZCHAN_EAGAIN announce the wait with
 * 'tzchan_wait_prepare' and sleep on the signal receiver until the peer rings.
 *
 * Threads: all calls except 'cancel' are made by one thread at a time (the
 * thread that owns the channel); 'cancel' may be called from any thread.
 * The shared region stays hostile input: the core validates everything it
 * reads from it, and a violation turns every later call into TZCHAN_EPROTO.
 */

#ifndef _INCLUDE__TZCHAN__CHANNEL_H_
#define _INCLUDE__TZCHAN__CHANNEL_H_

#include <base/signal.h>
#include <util/noncopyable.h>
#include <tzchan/tzchan.h>

namespace Tzchan { class Channel; }


class Tzchan::Channel : Genode::Noncopyable
{
	public:

		using size_t  = Genode::size_t;
		using int64_t = Genode::int64_t;

	private:

		struct tzchan _ch { };
		bool          _opened = false;
		int           _cancelled = 0;  /* set by 'cancel', atomic */

		Genode::Signal_receiver           _receiver { };
		Genode::Signal_context            _context  { };
		Genode::Signal_context_capability _own_doorbell;
		Genode::Signal_transmitter        _peer_doorbell { };

		static void _ring_peer(void *ctx);

		/* sleep until the peer rang, unless the condition already holds */
		int _wait(enum tzchan_wait what);

	public:

		Channel();
		~Channel();

		/**
		 * Signal context the peer rings (hand it to the peer)
		 */
		Genode::Signal_context_capability doorbell() const { return _own_doorbell; }

		/**
		 * Set the peer's doorbell (before the first call that may block)
		 */
		void peer_doorbell(Genode::Signal_context_capability cap) {
			_peer_doorbell = Genode::Signal_transmitter(cap); }

		/**
		 * Open lane 0 of the region at 'mem' as 'side'
		 *
		 * \return 0 or the TZCHAN_E* code of 'tzchan_open'
		 */
		int open(void *mem, size_t size, enum tzchan_side side);

		/**
		 * Send one message of any size, blocking until all of it is in the
		 * ring. Messages up to 'max_msg' travel whole, longer ones through the
		 * stream calls. Returns 'len' or a negative TZCHAN_E* code.
		 */
		int64_t send(void const *buf, size_t len);

		/**
		 * Receive the next whole message (up to 'max_msg' bytes) into 'buf',
		 * blocking until one is complete. Returns its length or an error
		 * (TZCHAN_EMSGSIZE: use 'recv_some').
		 */
		int64_t recv(void *buf, size_t cap);

		/**
		 * Receive the next piece of the current message, blocking until
		 * there is one. Returns the number of bytes (0 only with 'end' set)
		 * or an error; 'end' is true when the piece ends the message.
		 */
		int64_t recv_some(void *buf, size_t cap, bool &end);

		/**
		 * Wake the owner thread from a blocking call, which then returns
		 * TZCHAN_EINTR (as does every later blocking call)
		 */
		void cancel();

		size_t max_msg() const { return tzchan_max_msg(&_ch); }

		tzchan_stats stats() const
		{
			tzchan_stats st { };
			tzchan_get_stats(&_ch, &st);
			return st;
		}

		/**
		 * The core's endpoint, for calls the wrapper does not cover
		 */
		struct tzchan &endpoint() { return _ch; }
};

#endif /* _INCLUDE__TZCHAN__CHANNEL_H_ */
