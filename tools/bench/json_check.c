/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tzchan-bench-json-check: a strict JSON syntax checker (RFC 8259 grammar, no extensions) for the bench smoke
 * test, so CI needs no interpreter to know that `tzchan-bench --json` wrote a document a machine can read.
 * Usage: tzchan-bench-json-check FILE; exit 0 if FILE holds exactly one JSON value, else 1 with the offset.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *p, *start;
static int depth;

static void ws(void)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
}

static bool value(void);

static bool string(void)
{
    if (*p++ != '"')
        return false;
    while (*p != '"') {
        if ((unsigned char)*p < 0x20)
            return false;
        if (*p == '\\') {
            p++;
            if (*p == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (strchr("0123456789abcdefABCDEF", p[i]) == NULL || p[i] == 0)
                        return false;
                p += 4;
            } else if (*p == 0 || strchr("\"\\/bfnrt", *p) == NULL) {
                return false;
            }
        }
        p++;
    }
    p++;
    return true;
}

static bool digits(void)
{
    if (*p < '0' || *p > '9')
        return false;
    while (*p >= '0' && *p <= '9')
        p++;
    return true;
}

static bool number(void)
{
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if (!digits())
        return false;
    if (*p == '.') {
        p++;
        if (!digits())
            return false;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!digits())
            return false;
    }
    return true;
}

static bool word(const char *w)
{
    size_t n = strlen(w);
    if (strncmp(p, w, n) != 0)
        return false;
    p += n;
    return true;
}

static bool members(char close, bool keyed)
{
    p++;
    ws();
    if (*p == close) {
        p++;
        return true;
    }
    for (;;) {
        ws();
        if (keyed) {
            if (!string())
                return false;
            ws();
            if (*p++ != ':')
                return false;
        }
        if (!value())
            return false;
        ws();
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p++ != close)
            return false;
        return true;
    }
}

static bool value(void)
{
    if (++depth > 64)
        return false;
    ws();
    bool ok;
    switch (*p) {
    case '{': ok = members('}', true); break;
    case '[': ok = members(']', false); break;
    case '"': ok = string(); break;
    case 't': ok = word("true"); break;
    case 'f': ok = word("false"); break;
    case 'n': ok = word("null"); break;
    default: ok = number(); break;
    }
    depth--;
    return ok;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: tzchan-bench-json-check FILE\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (f == NULL) {
        perror(argv[1]);
        return 1;
    }
    static char buf[1 << 22];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    if (n == 0 || n == sizeof buf - 1 || memchr(buf, 0, n) != NULL) {
        fprintf(stderr, "%s: empty, too large or holds NUL bytes\n", argv[1]);
        return 1;
    }
    buf[n] = 0;
    start = p = buf;
    bool ok = value();
    ws();
    if (!ok || *p != 0) {
        fprintf(stderr, "%s: not valid JSON at byte %ld\n", argv[1], (long)(p - start));
        return 1;
    }
    return 0;
}
