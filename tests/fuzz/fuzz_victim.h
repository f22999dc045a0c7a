/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The fuzz targets' victim: one endpoint plus a mirror of the call sequence its user has made, and one checked
 * wrapper per API call. Each wrapper makes the call and traps (so libFuzzer, or the replay driver, reports it) if
 * the result is not one the API documents for that call in that state: EINVAL exactly when the user's own
 * sequence was wrong (never because of anything the peer wrote), lengths within what the caller allowed and what
 * the message announced, zero-copy pointers inside the right data area, and once TZCHAN_EPROTO always EPROTO.
 * Header-only so that each target is a single file; every function is static.
 */
#ifndef TZCHAN_FUZZ_VICTIM_H
#define TZCHAN_FUZZ_VICTIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tzchan/tzchan.h"
#include "tzchan/wire.h"

#define FZ_CHECK(cond)                                                                                             \
    do {                                                                                                           \
        if (!(cond)) {                                                                                             \
            fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond);                          \
            __builtin_trap();                                                                                      \
        }                                                                                                          \
    } while (0)

struct fz_victim {
    struct tzchan ch;
    bool open, broken;
    const unsigned char *txdata, *rxdata; /* the lane's data areas, from the layout (not from the endpoint) */
    uint32_t ring, max_msg;
    /* the user's sequence */
    bool streaming, reserved, in_msg, peeked;
    uint64_t st_total, st_sent;
    size_t res_len;
    uint64_t msg_got, msg_total;
    bool have_total;
    const void *peek_ptr;
    size_t peek_len;
    unsigned char buf[4096 + 64];
};

static inline void fz_latched(struct fz_victim *v)
{
    struct tzchan *ch = &v->ch;
    unsigned char b[8] = {0};
    size_t len;
    bool eom;
    uint64_t total;
    FZ_CHECK(tzchan_error(ch) == TZCHAN_EPROTO);
    FZ_CHECK(tzchan_send(ch, b, 1) == TZCHAN_EPROTO);
    FZ_CHECK(tzchan_flush(ch) == TZCHAN_EPROTO);
    FZ_CHECK(tzchan_recv(ch, b, sizeof b) == TZCHAN_EPROTO);
    FZ_CHECK(tzchan_recv_some(ch, b, sizeof b, &eom) == TZCHAN_EPROTO);
    FZ_CHECK(tzchan_recv_total(ch, &total) == TZCHAN_EPROTO);
    FZ_CHECK(tzchan_peek(ch, &len) == NULL && tzchan_error(ch) == TZCHAN_EPROTO);
    FZ_CHECK(tzchan_release(ch) == TZCHAN_EPROTO);
    FZ_CHECK(tzchan_reserve(ch, 1) == NULL && tzchan_error(ch) == TZCHAN_EPROTO);
    FZ_CHECK(tzchan_commit(ch, 0) == TZCHAN_EPROTO);
    FZ_CHECK(tzchan_send_begin(ch, 1) == TZCHAN_EPROTO);
    FZ_CHECK(tzchan_send_some(ch, b, 1) == TZCHAN_EPROTO);
    FZ_CHECK(tzchan_send_end(ch) == TZCHAN_EPROTO);
    FZ_CHECK(tzchan_wait_prepare(ch, TZCHAN_WAIT_DATA) == TZCHAN_EPROTO);
}

/* Every result goes through here: EPROTO latches; nothing else may come back while the endpoint is broken. */
static inline bool fz_result(struct fz_victim *v, int64_t code)
{
    if (v->broken) {
        FZ_CHECK(code == TZCHAN_EPROTO);
        return true;
    }
    if (code == TZCHAN_EPROTO) {
        v->broken = true;
        fz_latched(v);
        return true;
    }
    FZ_CHECK(tzchan_error(&v->ch) != TZCHAN_EPROTO);
    return false;
}

static inline void fz_reset_sequence(struct fz_victim *v)
{
    v->streaming = v->reserved = v->in_msg = v->peeked = false;
    v->broken = false;
}

/* Opens (or reopens) the victim; the layout pointers come from the caller's own arithmetic. */
static inline int fz_open(struct fz_victim *v, void *mem, size_t size, enum tzchan_side side, uint32_t lane,
                          const unsigned char *txdata, const unsigned char *rxdata, uint32_t ring)
{
    int e = tzchan_open(&v->ch, mem, size, side, lane);
    FZ_CHECK(e == 0 || e == TZCHAN_EPROTO || e == TZCHAN_EVERSION || e == TZCHAN_EINVAL);
    v->open = e == 0;
    fz_reset_sequence(v);
    if (e == 0) {
        v->txdata = txdata;
        v->rxdata = rxdata;
        v->ring = ring;
        v->max_msg = ring / 2;
        FZ_CHECK(tzchan_max_msg(&v->ch) == v->max_msg);
    }
    return e;
}

static inline bool fz_inside(const void *p, size_t len, const unsigned char *area, size_t n)
{
    const unsigned char *q = p;
    return q >= area && len <= n && (size_t)(q - area) <= n - len;
}

static inline bool fz_tx_busy(const struct fz_victim *v)
{
    return v->streaming || v->reserved;
}

static inline void fz_send(struct fz_victim *v, size_t len, bool more)
{
    static const unsigned char src[4096];
    if (len > sizeof src)
        len = sizeof src;
    int64_t r = tzchan_send_flags(&v->ch, src, len, more ? TZCHAN_MORE : 0);
    if (fz_result(v, r))
        return;
    if (fz_tx_busy(v))
        FZ_CHECK(r == TZCHAN_EINVAL || r == TZCHAN_EPIPE);
    else if (len > v->max_msg)
        FZ_CHECK(r == TZCHAN_EMSGSIZE || r == TZCHAN_EPIPE);
    else
        FZ_CHECK(r == (int64_t)len || r == TZCHAN_EAGAIN || r == TZCHAN_EPIPE);
}

static inline void fz_flush(struct fz_victim *v)
{
    int r = tzchan_flush(&v->ch);
    if (!fz_result(v, r))
        FZ_CHECK(r == 0);
}

static inline void fz_reserve(struct fz_victim *v, size_t len)
{
    unsigned char *p = tzchan_reserve(&v->ch, len);
    int e = tzchan_error(&v->ch);
    if (p == NULL) {
        if (fz_result(v, e))
            return;
        if (fz_tx_busy(v))
            FZ_CHECK(e == TZCHAN_EINVAL || e == TZCHAN_EPIPE);
        else if (len > v->max_msg)
            FZ_CHECK(e == TZCHAN_EMSGSIZE || e == TZCHAN_EPIPE);
        else
            FZ_CHECK(e == TZCHAN_EAGAIN || e == TZCHAN_EPIPE);
        return;
    }
    FZ_CHECK(!v->broken && !fz_tx_busy(v) && len <= v->max_msg && e == 0);
    FZ_CHECK(fz_inside(p, len, v->txdata, v->ring));
    memset(p, 0x5c, len);
    v->reserved = true;
    v->res_len = len;
}

static inline void fz_commit(struct fz_victim *v, size_t len)
{
    int r = tzchan_commit(&v->ch, len);
    if (fz_result(v, r))
        return;
    if (!v->reserved || len > v->res_len) {
        FZ_CHECK(r == TZCHAN_EINVAL);
        return;
    }
    FZ_CHECK(r == 0);
    v->reserved = false;
}

static inline void fz_send_begin(struct fz_victim *v, uint64_t total)
{
    int r = tzchan_send_begin(&v->ch, total);
    if (fz_result(v, r))
        return;
    if (fz_tx_busy(v)) {
        FZ_CHECK(r == TZCHAN_EINVAL || r == TZCHAN_EPIPE);
        return;
    }
    FZ_CHECK(r == 0 || r == TZCHAN_EPIPE);
    if (r == 0) {
        v->streaming = true;
        v->st_total = total;
        v->st_sent = 0;
    }
}

static inline void fz_send_some(struct fz_victim *v, size_t len)
{
    static const unsigned char src[8192];
    if (len > sizeof src)
        len = sizeof src;
    int64_t r = tzchan_send_some(&v->ch, src, len);
    if (fz_result(v, r))
        return;
    if (!v->streaming || (v->st_total != TZCHAN_LEN_UNKNOWN && len > v->st_total - v->st_sent)) {
        FZ_CHECK(r == TZCHAN_EINVAL || r == TZCHAN_EPIPE);
        return;
    }
    FZ_CHECK(r == TZCHAN_EPIPE || (r >= 0 && (size_t)r <= len));
    if (r > 0)
        v->st_sent += (uint64_t)r;
}

static inline void fz_send_end(struct fz_victim *v)
{
    int r = tzchan_send_end(&v->ch);
    if (fz_result(v, r))
        return;
    if (!v->streaming || (v->st_total != TZCHAN_LEN_UNKNOWN && v->st_sent != v->st_total)) {
        FZ_CHECK(r == TZCHAN_EINVAL || r == TZCHAN_EPIPE);
        return;
    }
    FZ_CHECK(r == 0 || r == TZCHAN_EAGAIN || r == TZCHAN_EPIPE);
    if (r == 0)
        v->streaming = false;
}

static inline void fz_recv(struct fz_victim *v, size_t cap)
{
    if (cap > sizeof v->buf)
        cap = sizeof v->buf;
    memset(v->buf, 0xee, sizeof v->buf);
    int64_t r = tzchan_recv(&v->ch, cap ? v->buf : NULL, cap);
    if (fz_result(v, r))
        return;
    if (v->in_msg || v->peeked) {
        FZ_CHECK(r == TZCHAN_EINVAL);
        return;
    }
    FZ_CHECK(r == TZCHAN_EAGAIN || r == TZCHAN_EMSGSIZE || r == TZCHAN_EPIPE ||
             (r >= 0 && (size_t)r <= cap && r <= (int64_t)v->max_msg));
    if (r >= 0)
        for (size_t i = (size_t)r; i < sizeof v->buf; i++)
            FZ_CHECK(v->buf[i] == 0xee); /* nothing written past the length it returned */
}

static inline void fz_recv_total(struct fz_victim *v)
{
    uint64_t total = 0;
    int r = tzchan_recv_total(&v->ch, &total);
    if (fz_result(v, r))
        return;
    if (v->in_msg && v->have_total) {
        FZ_CHECK(r == 0 && total == v->msg_total); /* the checked copy does not change */
        return;
    }
    if (v->peeked) {
        FZ_CHECK(r == 0 && total == v->peek_len);
        return;
    }
    FZ_CHECK(r == 0 || r == TZCHAN_EAGAIN || r == TZCHAN_EPIPE);
    if (v->in_msg && r == 0) {
        v->have_total = true;
        v->msg_total = total;
        if (total != TZCHAN_LEN_UNKNOWN)
            FZ_CHECK(v->msg_got <= total);
    }
}

static inline void fz_recv_some(struct fz_victim *v, size_t cap)
{
    if (cap > sizeof v->buf)
        cap = sizeof v->buf;
    memset(v->buf, 0xee, sizeof v->buf);
    bool eom = false;
    int64_t r = tzchan_recv_some(&v->ch, v->buf, cap, &eom);
    if (fz_result(v, r))
        return;
    if (cap == 0 || v->peeked) {
        FZ_CHECK(r == TZCHAN_EINVAL);
        return;
    }
    FZ_CHECK(r == TZCHAN_EAGAIN || r == TZCHAN_EPIPE || (r >= 0 && (size_t)r <= cap));
    if (r < 0) {
        FZ_CHECK(!eom);
        return;
    }
    FZ_CHECK(r > 0 || eom);
    for (size_t i = (size_t)r; i < sizeof v->buf; i++)
        FZ_CHECK(v->buf[i] == 0xee);
    if (!v->in_msg) {
        v->in_msg = true;
        v->msg_got = 0;
        v->have_total = false;
    }
    v->msg_got += (uint64_t)r;
    if (v->have_total && v->msg_total != TZCHAN_LEN_UNKNOWN) {
        FZ_CHECK(v->msg_got <= v->msg_total);
        if (eom)
            FZ_CHECK(v->msg_got == v->msg_total);
    }
    if (eom)
        v->in_msg = false;
    else
        fz_recv_total(v); /* inside a message: learn the total it announced */
}

static inline void fz_peek(struct fz_victim *v)
{
    size_t len = 0;
    const unsigned char *p = tzchan_peek(&v->ch, &len);
    int e = tzchan_error(&v->ch);
    if (p == NULL) {
        if (fz_result(v, e))
            return;
        FZ_CHECK(!v->peeked);
        if (v->in_msg)
            FZ_CHECK(e == TZCHAN_EINVAL);
        else
            FZ_CHECK(e == TZCHAN_EAGAIN || e == TZCHAN_EMSGSIZE || e == TZCHAN_EPIPE);
        return;
    }
    FZ_CHECK(!v->broken && !v->in_msg && e != TZCHAN_EPROTO); /* e: the last NULL return's code, or 0 */
    FZ_CHECK(len <= v->max_msg);
    FZ_CHECK(fz_inside(p, len, v->rxdata, v->ring));
    if (v->peeked)
        FZ_CHECK(p == v->peek_ptr && len == v->peek_len); /* the second peek: the same checked copy */
    unsigned sum = 0;
    for (size_t i = 0; i < len; i++)
        sum += p[i];
    (void)sum;
    v->peeked = true;
    v->peek_ptr = p;
    v->peek_len = len;
}

static inline void fz_release(struct fz_victim *v)
{
    int r = tzchan_release(&v->ch);
    if (fz_result(v, r))
        return;
    FZ_CHECK(v->peeked ? r == 0 : r == TZCHAN_EINVAL);
    v->peeked = false;
}

static inline void fz_wait(struct fz_victim *v, unsigned what)
{
    int r = tzchan_wait_prepare(&v->ch, (enum tzchan_wait)what);
    if (fz_result(v, r))
        return;
    if (what == 0 || what > 3)
        FZ_CHECK(r == TZCHAN_EINVAL);
    else
        FZ_CHECK(r == 0 || r == 1);
    tzchan_wait_done(&v->ch);
}

#endif
