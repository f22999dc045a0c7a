/* SPDX-License-Identifier: BSD-2-Clause */
/* The memory functions of tz_libc.c: the images use no C library headers, only the compiler's freestanding ones. */
#ifndef TZ_LIBC_H
#define TZ_LIBC_H

#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif /* TZ_LIBC_H */
