/* SPDX-License-Identifier: BSD-2-Clause */
/* Minimal printf for the bare-metal images (see tz_print.h); flags '#' (0x for %x), '-' (for %s), '0'. */
#include "tz_print.h"

#include <stdint.h>

#include "tz_plat.h"

static void put_str(const char *s)
{
    while (*s)
        tz_arch_putc(*s++);
}

static void put_padded(const char *s, int width, int left)
{
    int n = 0;
    while (s[n])
        n++;
    if (!left)
        for (; n < width; n++)
            tz_arch_putc(' ');
    put_str(s);
    if (left)
        for (; n < width; n++)
            tz_arch_putc(' ');
}

static void put_num(unsigned long long v, unsigned base, int width, char padc, int neg)
{
    char tmp[24];
    int n = 0;
    do {
        unsigned d = (unsigned)(v % base);
        tmp[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v /= base;
    } while (v);
    if (neg)
        tmp[n++] = '-';
    while (width-- > n)
        tz_arch_putc(padc);
    while (n)
        tz_arch_putc(tmp[--n]);
}

void tz_vprintf(const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        int width = 0, lng = 0, alt = 0, left = 0;
        char padc = ' ';
        unsigned long long u;
        long long s;
        if (*fmt != '%') {
            if (*fmt == '\n')
                tz_arch_putc('\r');
            tz_arch_putc(*fmt);
            continue;
        }
        fmt++;
        for (;; fmt++) {
            if (*fmt == '#')
                alt = 1;
            else if (*fmt == '-')
                left = 1;
            else
                break;
        }
        if (*fmt == '0')
            padc = '0';
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l') {
            lng++;
            fmt++;
        }
        switch (*fmt) {
        case 's': put_padded(va_arg(ap, const char *), width, left); break;
        case 'c': tz_arch_putc((char)va_arg(ap, int)); break;
        case 'd':
            s = lng >= 2 ? va_arg(ap, long long) : lng ? va_arg(ap, long) : va_arg(ap, int);
            put_num(s < 0 ? 0ull - (unsigned long long)s : (unsigned long long)s, 10, width, padc, s < 0);
            break;
        case 'u':
        case 'x':
            u = lng >= 2 ? va_arg(ap, unsigned long long) : lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
            if (alt && *fmt == 'x')
                put_str("0x");
            put_num(u, *fmt == 'u' ? 10 : 16, width, padc, 0);
            break;
        case 'p':
            put_str("0x");
            put_num((uintptr_t)va_arg(ap, void *), 16, width, padc, 0);
            break;
        case '%': tz_arch_putc('%'); break;
        default: tz_arch_putc('?'); break;
        }
    }
}

void tz_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tz_vprintf(fmt, ap);
    va_end(ap);
}

void tz_panic(const char *fmt, ...)
{
    va_list ap;
    tz_arch_irq_off();
    put_str("PANIC: ");
    va_start(ap, fmt);
    tz_vprintf(fmt, ap);
    va_end(ap);
    put_str("\r\n");
    tz_arch_exit(3);
}
