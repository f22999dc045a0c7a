/* SPDX-License-Identifier: BSD-2-Clause */
/* Minimal test helpers: a failed CHECK prints where and exits 1; exit 77 means "skipped". */
#ifndef TZCHAN_TEST_CHECK_H
#define TZCHAN_TEST_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define T_EXIT_PASS 0
#define T_EXIT_FAIL 1
#define T_EXIT_SKIP 77

#define CHECK(cond)                                                                                          \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                        \
            exit(T_EXIT_FAIL);                                                                               \
        }                                                                                                    \
    } while (0)

#define CHECK_EQ(a, b)                                                                                       \
    do {                                                                                                     \
        int64_t va_ = (int64_t)(a), vb_ = (int64_t)(b);                                                      \
        if (va_ != vb_) {                                                                                    \
            fprintf(stderr, "%s:%d: CHECK_EQ failed: %s = %" PRId64 ", %s = %" PRId64 "\n", __FILE__,       \
                    __LINE__, #a, va_, #b, vb_);                                                             \
            exit(T_EXIT_FAIL);                                                                               \
        }                                                                                                    \
    } while (0)

/* splitmix64: the tests' reproducible byte source */
static inline uint64_t t_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Fills buf with the bytes of stream `seed` starting at byte offset `at` (so any piece can be regenerated). */
static inline void t_fill(unsigned char *buf, size_t len, uint64_t seed, uint64_t at)
{
    for (size_t i = 0; i < len; i++) {
        uint64_t x = seed * 0x9e3779b97f4a7c15ull + ((at + i) >> 3) * 0xd1b54a32d192ed03ull;
        x ^= x >> 29;
        x *= 0xbf58476d1ce4e5b9ull;
        x ^= x >> 32;
        buf[i] = (unsigned char)(x >> (8 * ((at + i) & 7)));
    }
}

#endif
