/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * \brief  Genode wrapper of one tzchan endpoint (see include/tzchan/channel.h)
 *
 * The wait follows docs/PROTOCOL.md section 6: 'tzchan_wait_prepare'
 * publishes our progress, announces the wait and checks again; only if it
 * returns 0 do we block on the signal receiver. A signal is never lost: it
 * stays pending at the context until 'wait_for_signal' takes it, so a ring
 * that arrives between the announcement and the block ends the block at once.
 * A stale signal from an earlier ring only causes one more round of the loop.
 */

#include <tzchan/channel.h>

using namespace Genode;


Tzchan::Channel::Channel()
:
	_own_doorbell(_receiver.manage(_context))
{ }


Tzchan::Channel::~Channel()
{
	_receiver.dissolve(_context);
}


void Tzchan::Channel::_ring_peer(void *ctx)
{
	static_cast<Channel *>(ctx)->_peer_doorbell.submit();
}


int Tzchan::Channel::open(void *mem, size_t size, enum tzchan_side side)
{
	if (_opened)
		return TZCHAN_EINVAL;

	int const r = tzchan_open(&_ch, mem, size, side, 0);
	if (r < 0)
		return r;

	tzchan_set_notify(&_ch, _ring_peer, this);
	_opened = true;
	return 0;
}


int Tzchan::Channel::_wait(enum tzchan_wait what)
{
	if (__atomic_load_n(&_cancelled, __ATOMIC_ACQUIRE))
		return TZCHAN_EINTR;

	int const r = tzchan_wait_prepare(&_ch, what);
	if (r != 0)
		return r < 0 ? r : 0;  /* 1: the condition already holds */

	_receiver.wait_for_signal();
	tzchan_wait_done(&_ch);

	return __atomic_load_n(&_cancelled, __ATOMIC_ACQUIRE) ? TZCHAN_EINTR : 0;
}


void Tzchan::Channel::cancel()
{
	__atomic_store_n(&_cancelled, 1, __ATOMIC_RELEASE);
	Signal_transmitter(_own_doorbell).submit();
}


Genode::int64_t Tzchan::Channel::send(void const *buf, size_t len)
{
	if (!_opened)
		return TZCHAN_EINVAL;

	/* a whole message: all or nothing */
	if (len <= max_msg()) {
		for (;;) {
			int64_t const r = tzchan_send(&_ch, buf, len);
			if (r != TZCHAN_EAGAIN)
				return r;
			if (int const e = _wait(TZCHAN_WAIT_ROOM))
				return e;
		}
	}

	/* longer: stream it through the ring as fragments */
	if (int const e = tzchan_send_begin(&_ch, len))
		return e;

	char const *src   = static_cast<char const *>(buf);
	size_t      taken = 0;
	while (taken < len) {
		int64_t const r = tzchan_send_some(&_ch, src + taken, len - taken);
		if (r < 0)
			return r;
		taken += size_t(r);
		if (r == 0)
			if (int const e = _wait(TZCHAN_WAIT_ROOM))
				return e;
	}
	for (;;) {
		int const r = tzchan_send_end(&_ch);
		if (r != TZCHAN_EAGAIN)
			return r < 0 ? r : int64_t(len);
		if (int const e = _wait(TZCHAN_WAIT_ROOM))
			return e;
	}
}


Genode::int64_t Tzchan::Channel::recv(void *buf, size_t cap)
{
	if (!_opened)
		return TZCHAN_EINVAL;

	for (;;) {
		int64_t const r = tzchan_recv(&_ch, buf, cap);
		if (r != TZCHAN_EAGAIN)
			return r;
		if (int const e = _wait(TZCHAN_WAIT_DATA))
			return e;
	}
}


Genode::int64_t Tzchan::Channel::recv_some(void *buf, size_t cap, bool &end)
{
	if (!_opened)
		return TZCHAN_EINVAL;

	for (;;) {
		int64_t const r = tzchan_recv_some(&_ch, buf, cap, &end);
		if (r != TZCHAN_EAGAIN)
			return r;
		if (int const e = _wait(TZCHAN_WAIT_DATA))
			return e;
	}
}
