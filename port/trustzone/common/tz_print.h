/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Minimal formatted output for the bare-metal images: %s %c %d %u %x with the l and ll modifiers, %p, a field
 * width, zero padding, '#' (0x prefix for %x) and '-' (left-justify %s). Writes through tz_arch_putc(); no buffering, no allocation.
 */
#ifndef TZ_PRINT_H
#define TZ_PRINT_H

#include <stdarg.h>

void tz_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tz_vprintf(const char *fmt, va_list ap);
/* Prints "PANIC: ..." and exits with status 3. */
void tz_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif /* TZ_PRINT_H */
