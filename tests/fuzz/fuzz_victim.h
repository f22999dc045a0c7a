/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The fuzz targets' victim: one endpoint plus a mirror of the call sequence its user has made, and one checked
 * wrapper per API call. Each wrapper makes the call and traps (so libFuzzer, or the replay driver, reports it) if
 * the result is not one the API documents for that call in that state: EINVAL exactly when the user's own
 * sequence was wrong (never because of anything the peer wrote), lengths within what the caller allowed and what
 * the message announced, zero-copy pointers inside the right data area, and once TZCHAN_EPROTO always EPROTO.
 * A target that knows what the peer sent sets on_message: every message delivered (by recv, by recv_some up to its
 * end, by peek and release) is passed to it with the victim's consumer index before the call that delivered its
 * first byte, and the target checks its content (fuzz_seq does).
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

/* For the harness's own hot loops that have nothing to teach the fuzzer (pattern generation): no coverage
 * instrumentation, so their comparisons do not cost a trace call each. */
#if defined(__clang__) && __clang_major__ >= 13
#define FZ_NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define FZ_NO_COVERAGE
#endif

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
    size_t dirty; /* buf[dirty..] all hold the canary 0xee */
    unsigned char buf[4096 + 64];
    /* content (only with on_message) */
    void (*on_message)(struct fz_victim *v, uint32_t before, const unsigned char *msg, uint64_t len);
    unsigned id;             /* the target's name for this victim */
    const uint32_t *my_cons; /* the victim's consumer index word */
    uint32_t msg_before, peek_before;
    size_t acc_len;
    unsigned char acc[8192], peek_copy[4096];
};

#define FZ_CANARY 0xee
static const unsigned char fz_canary[sizeof(((struct fz_victim *)0)->buf)] = {
#define FZ_C8 FZ_CANARY, FZ_CANARY, FZ_CANARY, FZ_CANARY, FZ_CANARY, FZ_CANARY, FZ_CANARY, FZ_CANARY
#define FZ_C64 FZ_C8, FZ_C8, FZ_C8, FZ_C8, FZ_C8, FZ_C8, FZ_C8, FZ_C8
#define FZ_C512 FZ_C64, FZ_C64, FZ_C64, FZ_C64, FZ_C64, FZ_C64, FZ_C64, FZ_C64
    FZ_C512, FZ_C512, FZ_C512, FZ_C512, FZ_C512, FZ_C512, FZ_C512, FZ_C512, FZ_C64};
_Static_assert(sizeof fz_canary == 4096 + 64, "canary covers buf");

/* Makes buf all canary again: only the bytes the last call may have written (everything past them was checked).
 * Until the next check, any byte may be written (a call that returns an error may have written some). */
static inline void fz_buf_reset(struct fz_victim *v)
{
    memset(v->buf, FZ_CANARY, v->dirty);
    v->dirty = sizeof v->buf;
}

/* Nothing written past the length the call returned. */
static inline void fz_buf_check(struct fz_victim *v, size_t r)
{
    FZ_CHECK(r <= sizeof v->buf && memcmp(v->buf + r, fz_canary, sizeof v->buf - r) == 0);
    v->dirty = r;
}

static inline uint32_t fz_my_cons(const struct fz_victim *v)
{
    return v->my_cons ? __atomic_load_n(v->my_cons, __ATOMIC_RELAXED) : 0;
}

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
    struct tzchan_out o = {b, 1};
    struct tzchan_in in = {b, sizeof b, 0};
    FZ_CHECK(tzchan_send_many(ch, &o, 1) == TZCHAN_EPROTO);
    FZ_CHECK(tzchan_recv_many(ch, &in, 1) == TZCHAN_EPROTO);
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
    v->dirty = sizeof v->buf; /* the next call fills all of buf with the canary */
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

/* The result of a whole-message send whose first message is len bytes: `ok` is the success it may return. */
static inline void fz_send_result(struct fz_victim *v, int64_t r, size_t len, bool ok)
{
    if (fz_result(v, r))
        return;
    if (fz_tx_busy(v))
        FZ_CHECK(r == TZCHAN_EINVAL || r == TZCHAN_EPIPE);
    else if (len > v->max_msg)
        FZ_CHECK(r == TZCHAN_EMSGSIZE || r == TZCHAN_EPIPE);
    else
        FZ_CHECK(ok || r == TZCHAN_EAGAIN || r == TZCHAN_EPIPE);
}

static inline void fz_send(struct fz_victim *v, size_t len, bool more)
{
    static const unsigned char src[4096];
    if (len > sizeof src)
        len = sizeof src;
    int64_t r = tzchan_send_flags(&v->ch, src, len, more ? TZCHAN_MORE : 0);
    fz_send_result(v, r, len, r == (int64_t)len);
}

/* n messages of len, len + 8, len + 16, ... bytes in one tzchan_send_many */
static inline void fz_send_many(struct fz_victim *v, size_t len, unsigned n)
{
    static const unsigned char src[4096 + 64];
    struct tzchan_out o[8];
    n = n % 8u + 1u;
    if (len > 4096)
        len = 4096;
    for (unsigned i = 0; i < n; i++) {
        o[i].buf = src;
        o[i].len = len + 8u * i;
    }
    int64_t r = tzchan_send_many(&v->ch, o, n);
    fz_send_result(v, r, len, r >= 1 && r <= (int64_t)n);
    for (int64_t i = 0; i < r; i++)
        FZ_CHECK(o[i].len <= v->max_msg); /* never one longer than a message may be */
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
    fz_buf_reset(v);
    uint32_t before = fz_my_cons(v);
    int64_t r = tzchan_recv(&v->ch, cap ? v->buf : NULL, cap);
    if (fz_result(v, r))
        return;
    if (v->in_msg || v->peeked) {
        FZ_CHECK(r == TZCHAN_EINVAL);
        return;
    }
    FZ_CHECK(r == TZCHAN_EAGAIN || r == TZCHAN_EMSGSIZE || r == TZCHAN_EPIPE ||
             (r >= 0 && (size_t)r <= cap && r <= (int64_t)v->max_msg));
    if (r >= 0) {
        fz_buf_check(v, (size_t)r); /* nothing written past the length it returned */
        if (v->on_message)
            v->on_message(v, before, v->buf, (uint64_t)r);
    } /* a call that fails may have written into buf (recv of a message in several records copies as it goes) */
}

/* tzchan_recv_many into n buffers of cap bytes carved from buf, each followed by canary bytes: every length in
 * range, nothing written past a message's length in its buffer, nothing into the buffers after the one where it
 * stopped. A batch of one message is content-checked like fz_recv's. */
static inline void fz_recv_many(struct fz_victim *v, size_t cap, unsigned n)
{
    struct tzchan_in in[8];
    n = n % 8u + 1u;
    size_t stride = sizeof v->buf / n;
    if (cap > stride)
        cap = stride;
    fz_buf_reset(v);
    for (unsigned i = 0; i < n; i++) {
        in[i].buf = cap ? v->buf + i * stride : NULL;
        in[i].cap = cap;
        in[i].len = (size_t)-1;
    }
    uint32_t before = fz_my_cons(v);
    int64_t r = tzchan_recv_many(&v->ch, in, n);
    v->dirty = sizeof v->buf;
    if (fz_result(v, r))
        return;
    if (v->in_msg || v->peeked) {
        FZ_CHECK(r == TZCHAN_EINVAL);
        return;
    }
    FZ_CHECK(r == TZCHAN_EAGAIN || r == TZCHAN_EMSGSIZE || r == TZCHAN_EPIPE || (r >= 1 && r <= (int64_t)n));
    for (int64_t i = 0; i < r; i++) {
        size_t len = in[i].len;
        FZ_CHECK(len <= cap && len <= v->max_msg);
        const unsigned char *slot = v->buf + (size_t)i * stride;
        FZ_CHECK(memcmp(slot + len, fz_canary, stride - len) == 0);
    }
    /* the buffer where it stopped may hold part of a message (a message in several records copies as it goes) */
    for (int64_t i = (r > 0 ? r : 0) + 1; i < (int64_t)n; i++) {
        FZ_CHECK(in[i].len == (size_t)-1);
        FZ_CHECK(memcmp(v->buf + (size_t)i * stride, fz_canary, stride) == 0);
    }
    if (r == 1 && v->on_message)
        v->on_message(v, before, v->buf, (uint64_t)in[0].len);
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
    fz_buf_reset(v);
    bool eom = false;
    uint32_t before = v->in_msg ? v->msg_before : fz_my_cons(v);
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
    fz_buf_check(v, (size_t)r);
    if (!v->in_msg) {
        v->in_msg = true;
        v->msg_got = 0;
        v->have_total = false;
        v->msg_before = before;
        v->acc_len = 0;
    }
    if (v->on_message) {
        if (v->acc_len <= sizeof v->acc && (size_t)r <= sizeof v->acc - v->acc_len) {
            memcpy(v->acc + v->acc_len, v->buf, (size_t)r);
            v->acc_len += (size_t)r;
        } else {
            v->acc_len = sizeof v->acc + 1; /* too long to keep: the target checks the length first */
        }
    }
    v->msg_got += (uint64_t)r;
    if (v->have_total && v->msg_total != TZCHAN_LEN_UNKNOWN) {
        FZ_CHECK(v->msg_got <= v->msg_total);
        if (eom)
            FZ_CHECK(v->msg_got == v->msg_total);
    }
    if (eom) {
        v->in_msg = false;
        if (v->on_message)
            v->on_message(v, v->msg_before, v->acc, v->msg_got);
    } else {
        fz_recv_total(v); /* inside a message: learn the total it announced */
    }
}

static inline void fz_peek(struct fz_victim *v)
{
    size_t len = 0;
    uint32_t before = fz_my_cons(v);
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
    if (!v->peeked && v->on_message) {
        FZ_CHECK(len <= sizeof v->peek_copy);
        memcpy(v->peek_copy, p, len);
        v->peek_before = before;
    }
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
    if (v->peeked && v->on_message)
        v->on_message(v, v->peek_before, v->peek_copy, v->peek_len);
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
