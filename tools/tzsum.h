/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The 64-bit checksum the demo and the Linux-port tests use to verify that a message arrived intact: 64-bit words
 * through a multiply-xor chain, with the partial word carried between updates, so a message can be summed in
 * pieces of any size and give the same value. Not cryptographic: it catches corruption, loss and reordering.
 */
#ifndef TZCHAN_TOOLS_TZSUM_H
#define TZCHAN_TOOLS_TZSUM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct tzsum {
    uint64_t h, acc, len;
    unsigned nacc;
};

static inline void tzsum_init(struct tzsum *s)
{
    s->h = 0xcbf29ce484222325ull;
    s->acc = 0;
    s->len = 0;
    s->nacc = 0;
}

static inline void tzsum_word(struct tzsum *s, uint64_t w)
{
    s->h = (s->h ^ w) * 0x100000001b3ull;
    s->h ^= s->h >> 29;
}

static inline void tzsum_update(struct tzsum *s, const void *buf, size_t n)
{
    const unsigned char *p = buf;
    s->len += n;
    while (n > 0 && s->nacc != 0) {
        s->acc |= (uint64_t)*p++ << (8 * s->nacc);
        n--;
        if (++s->nacc == 8) {
            tzsum_word(s, s->acc);
            s->acc = 0;
            s->nacc = 0;
        }
    }
    for (; n >= 8; n -= 8, p += 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        tzsum_word(s, w);
    }
    for (; n > 0; n--)
        s->acc |= (uint64_t)*p++ << (8 * s->nacc++);
}

static inline uint64_t tzsum_final(const struct tzsum *s)
{
    struct tzsum t = *s;
    tzsum_word(&t, t.acc ^ ((uint64_t)t.nacc << 56));
    tzsum_word(&t, t.len);
    return t.h;
}

#endif
