/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * \brief  What the test components agree on: reply format, checksum,
 *         payload pattern, ring size
 */

#ifndef _TEST__TZCHAN__CHECKSUM_H_
#define _TEST__TZCHAN__CHECKSUM_H_

#include <base/stdint.h>

namespace Tzchan_test {

	using Genode::uint64_t;
	using Genode::size_t;

	/* the ring of the scenario: 4 KiB each way, so every message over 2 KiB streams */
	enum { RING_BYTES = 4096 };

	/* the server's answer to every message */
	struct Reply
	{
		uint64_t length;
		uint64_t checksum;
	};

	/* FNV-1a, 64 bit, continued over the pieces of one message */
	struct Checksum
	{
		uint64_t value = 0xcbf29ce484222325ull;

		void add(void const *buf, size_t len)
		{
			unsigned char const *p = static_cast<unsigned char const *>(buf);
			for (size_t i = 0; i < len; i++)
				value = (value ^ p[i]) * 0x100000001b3ull;
		}
	};

	/* payload byte i of message number n */
	static inline unsigned char pattern(uint64_t n, uint64_t i)
	{
		return (unsigned char)((i * 131u) ^ (i >> 9) ^ (n * 29u));
	}
}

#endif /* _TEST__TZCHAN__CHECKSUM_H_ */
