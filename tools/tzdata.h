/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test data shared by the demo and the Linux-port tests: a reproducible byte pattern, and the 64-bit checksum they
 * use to verify that a message arrived intact (64-bit words through a multiply-xor chain, with the partial word
 * carried between updates, so a message can be summed in pieces of any size and give the same value). Not
 * cryptographic: it catches corruption, loss and reordering.
 */
#ifndef TZCHAN_TOOLS_TZDATA_H
#define TZCHAN_TOOLS_TZDATA_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Fills buf with bytes [at, at + n) of pattern stream `seed`: 8-byte words; `at` must be a multiple of 8. */
static inline void tzdata_pattern(unsigned char *buf, size_t n, uint64_t seed, uint64_t at)
{
    uint64_t i = at / 8;
    size_t k = 0;
    for (; k + 8 <= n; k += 8, i++) {
        uint64_t w = (i + seed) * 0x9e3779b97f4a7c15ull;
        w ^= w >> 31;
        memcpy(buf + k, &w, 8);
    }
    if (k < n) {
        uint64_t w = (i + seed) * 0x9e3779b97f4a7c15ull;
        w ^= w >> 31;
        memcpy(buf + k, &w, n - k);
    }
}

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
