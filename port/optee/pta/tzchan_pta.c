// SPDX-License-Identifier: BSD-2-Clause
/*
 * The tzchan pseudo TA: tzchan's secure side inside OP-TEE OS (tzchan_pta.h is the interface, docs/OPTEE.md the
 * design). The normal world lays a tzchan region out in shared memory it registered with OP-TEE and REGISTERs it;
 * the PTA checks it twice (OP-TEE's view: registered non-secure shared memory; tzchan's view: the geometry,
 * offset, size and a fresh layout, with port/trustzone's tz_region.c), keeps a reference on the memory object and a
 * mapping of it beyond the call, and opens side B of every lane. PUMP serves one lane and returns: the lane's test
 * service answers every message with its length and CRC-32 (lk_smc.h's struct lk_echo, tz_crc32.c) and, on lanes
 * >= 1, generates messages on request (struct lk_gen_req), multi-MiB either way through small rings, in bounded
 * steps. Nothing here ever waits for the normal world.
 *
 * Concurrency and locks (TA_FLAG_CONCURRENT: OP-TEE runs calls of different sessions at once; it serialises the
 * calls of one session itself):
 *   - reg_lock, a spinlock with interrupts masked, guards only `cur` (the published registration), the reference
 *     counts and the counters; it is held for a few loads and stores, never across a tzchan call or a memory-object
 *     operation that could sleep;
 *   - each lane has a busy word taken by compare-and-swap (lane_trylock): a PUMP that finds its lane busy returns
 *     TEE_ERROR_BUSY instead of waiting, so no OP-TEE thread ever blocks behind another (the normal-world client
 *     pumps a lane from one thread at a time anyway). Side B's endpoint and the lane's service state are touched
 *     only by the holder of that word; different lanes share nothing, so one lane per CPU runs at once;
 *   - a registration is freed by whoever drops its last reference: the owner's UNREGISTER or session close, a
 *     PUMP that hit a protocol violation, or a PUMP still running when one of those happened. Memory-object calls
 *     (mobj_dec_map, mobj_put) are made there, outside reg_lock.
 */
#include <initcall.h>
#include <kernel/pseudo_ta.h>
#include <kernel/spinlock.h>
#include <kernel/tee_ta_manager.h>
#include <kernel/thread_private.h>
#include <kernel/ts_manager.h>
#include <malloc.h>
#include <mm/mobj.h>
#include <stdlib.h>
#include <string.h>
#include <trace.h>
#include <tee_api_defines.h>
#include <tee_api_types.h>

#include "tzchan_pta.h"
#include "tzchan/tzchan.h"
#include "tzchan/wire.h"
#include "tz_crc32.h"
#include "tz_region.h"
#include "lk_smc.h"

#define LANE_BUF 4096u            /* bytes received or generated per step */
#define PUMP_BUDGET (512u * 1024u) /* bytes moved per PUMP before it returns with TZCHAN_PTA_PUMP_MORE */

struct pta_lane {
    struct tzchan ch;       /* side B: only the holder of `busy` */
    uint32_t busy;          /* 0 free, 1 a PUMP runs on this lane (lane_trylock) */
    bool rang;              /* side B's tzchan rang side A during this PUMP */
    bool replying;          /* the answer to the last message is not sent yet */
    uint64_t rx_len;        /* the message being received */
    uint32_t rx_crc;
    unsigned char head[sizeof(struct lk_gen_req)];
    uint64_t seq;           /* messages received on the lane */
    struct lk_echo echo;    /* the answer (when not generating) */
    bool gen, gen_open;
    uint64_t gen_len, gen_seed, gen_sent;
    unsigned char buf[LANE_BUF];
};

struct pta_reg {
    uint32_t refs;          /* under reg_lock: the owner's, plus one per PUMP running */
    uint32_t gen;
    bool orderly;           /* released by UNREGISTER/close: close side B (else never write the region again) */
    void *owner;            /* the registering session's context */
    struct mobj *mobj;      /* referenced (mobj_get) and mapped (mobj_inc_map) until release */
    unsigned char *va;
    size_t size;            /* bytes of the region proper (the geometry's) */
    uint32_t lanes, ring;
    struct pta_lane *lane;  /* lanes entries */
};

struct pta_sess {
    uint32_t id;
};

static unsigned int reg_lock = SPINLOCK_UNLOCK;
/* Under reg_lock. */
static struct pta_reg *cur;
static uint32_t gen_next = 1;
static uint32_t sessions_open, sessions_total, objects_held, refused;
static int32_t last_error;

/* ---- the registration's lifetime ------------------------------------------------------------------------- */
static void reg_free(struct pta_reg *r)
{
    uint32_t i, e;

    if (r->orderly)
        for (i = 0; i < r->lanes; i++)
            tzchan_close(&r->lane[i].ch); /* the normal world's calls see TZCHAN_EPIPE */
    if (mobj_dec_map(r->mobj))
        EMSG("tzchan: unmapping the region failed");
    mobj_put(r->mobj);
    e = cpu_spin_lock_xsave(&reg_lock);
    objects_held--;
    cpu_spin_unlock_xrestore(&reg_lock, e);
    IMSG("tzchan: registration %u released (%s); memory object reference dropped", r->gen,
         r->orderly ? "closed" : "dropped after a protocol violation");
    free(r->lane);
    free(r);
}

static void reg_put(struct pta_reg *r)
{
    uint32_t e = cpu_spin_lock_xsave(&reg_lock);
    bool last = --r->refs == 0;

    cpu_spin_unlock_xrestore(&reg_lock, e);
    if (last)
        reg_free(r);
}

/* Unpublishes the current registration if `owner` holds it (owner NULL: whoever does, for a protocol violation
 * with generation `gen`) and drops the publication's reference. Returns true if it did. */
static bool reg_retire(void *owner, uint32_t gen, bool orderly)
{
    struct pta_reg *r = NULL;
    uint32_t e = cpu_spin_lock_xsave(&reg_lock);

    if (cur && ((owner && cur->owner == owner) || (!owner && cur->gen == gen))) {
        r = cur;
        cur = NULL;
        r->orderly = orderly;
    }
    cpu_spin_unlock_xrestore(&reg_lock, e);
    if (r)
        reg_put(r);
    return r != NULL;
}

/* Side B's doorbell towards side A: recorded, reported by PUMP's return. */
static void lane_rang(void *ctx)
{
    struct pta_lane *l = ctx;

    l->rang = true;
}

/* ---- REGISTER -------------------------------------------------------------------------------------------- */
static TEE_Result refuse(TEE_Result res, int detail, TEE_Param params[TEE_NUM_PARAMS], const char *why)
{
    uint32_t e = cpu_spin_lock_xsave(&reg_lock);

    refused++;
    cpu_spin_unlock_xrestore(&reg_lock, e);
    params[2].value.b = (uint32_t)detail;
    IMSG("tzchan: register refused: %s (%d)", why, detail);
    return res;
}

/* Does side B find a fresh layout of exactly this geometry? Opens side B of every lane on success. */
static int open_lanes(struct pta_reg *r)
{
    struct tz_fresh_snap snap;
    uint32_t i;
    int rc;

    tz_region_snap_b(&snap, r->va, r->lanes, r->ring);
    if (snap.nonzero)
        return TZ_REG_ENOTFRESH;
    for (i = 0; i < r->lanes; i++) {
        struct pta_lane *l = &r->lane[i];

        rc = tzchan_open(&l->ch, r->va, r->size, TZCHAN_SIDE_B, i);
        if (rc)
            return rc; /* the header claims more than r->size, or is no tzchan header */
        if (l->ch.ring != r->ring)
            return TZ_REG_EGEOMETRY;
        tzchan_set_notify(&l->ch, lane_rang, l);
    }
    /* fewer lanes in the header than declared: the last open above failed; more: the size check in open did */
    for (i = 0; i < r->lanes; i++)
        if (tzchan_wait_prepare(&r->lane[i].ch, TZCHAN_WAIT_DATA) < 0) /* A's first message rings */
            return TZCHAN_EPROTO;
    return 0;
}

static TEE_Result cmd_register(struct pta_sess *s, uint32_t param_types, TEE_Param params[TEE_NUM_PARAMS])
{
    const uint32_t want = TEE_PARAM_TYPES(TEE_PARAM_TYPE_MEMREF_INOUT, TEE_PARAM_TYPE_VALUE_INPUT,
                                          TEE_PARAM_TYPE_VALUE_OUTPUT, TEE_PARAM_TYPE_NONE);
    struct tee_ta_session *ts = to_ta_session(ts_get_current_session());
    struct tz_range whole;
    struct tz_memmap map;
    struct tz_reg_req req;
    struct pta_reg *r;
    struct mobj *mobj, *held = NULL;
    uint32_t e, i;
    bool busy, mine;
    int rc;

    if (param_types != want)
        return TEE_ERROR_BAD_PARAMETERS;
    params[2].value.a = 0;
    params[2].value.b = 0;
    e = cpu_spin_lock_xsave(&reg_lock);
    busy = cur != NULL;
    mine = busy && cur->owner == s;
    cpu_spin_unlock_xrestore(&reg_lock, e);
    if (mine)
        return refuse(TEE_ERROR_BAD_STATE, 0, params, "this session holds a registration");
    if (busy)
        return refuse(TEE_ERROR_BUSY, TZ_REG_EBUSY, params, "another session holds a registration");

    /* OP-TEE's view: which memory object the memref names, and is it registered non-secure shared memory */
    mobj = ts->param ? ts->param->u[0].mem.mobj : NULL;
    if (!mobj || !mobj_is_nonsec(mobj))
        return refuse(TEE_ERROR_ACCESS_DENIED, 0, params, "no non-secure memory object");
#ifdef CFG_CORE_FFA
    /* Under FF-A every memref names memory the normal world shared with FFA_MEM_SHARE and OP-TEE retrieved:
     * registered by construction (OP-TEE refused any other before this call). */
    held = mobj_get(mobj);
#else
    /* Under the SMC ABI a memref can also be temporary (freed by the normal world when the call returns): only
     * an object OP-TEE finds among its registered ones by the cookie it carries is kept. */
    if (mobj_get_cookie(mobj))
        held = mobj_reg_shm_get_by_cookie(mobj_get_cookie(mobj));
    if (held != mobj) {
        if (held)
            mobj_put(held);
        return refuse(TEE_ERROR_ACCESS_DENIED, 0, params, "not registered shared memory");
    }
#endif

    /* tzchan's view: the geometry and the range inside the object, the checks of port/trustzone's registration
     * (tz_region_check: overflow, alignment, geometry, size), with the memory object as the only "RAM bank" */
    whole.base = 0;
    whole.size = mobj->size;
    memset(&map, 0, sizeof(map));
    map.ns_ram = &whole;
    map.ns_ram_count = 1;
    map.align = 64; /* tzchan_open's alignment; the object itself is page-granular */
    map.max_bytes = TZCHAN_PTA_MAX_REGION;
    map.min_lanes = 1;
    map.max_lanes = TZCHAN_PTA_MAX_LANES;
    map.min_ring = TZCHAN_PTA_MIN_RING;
    map.max_ring = TZCHAN_PTA_MAX_RING;
    req.base = ts->param->u[0].mem.offs;
    req.size = ts->param->u[0].mem.size;
    req.lanes = params[1].value.a;
    req.ring_bytes = params[1].value.b;
    rc = tz_region_check(&map, &req);
    if (rc) {
        mobj_put(held);
        return refuse(TEE_ERROR_BAD_PARAMETERS, rc, params, tz_region_strerror(rc));
    }

    r = calloc(1, sizeof(*r));
    if (r)
        r->lane = calloc(req.lanes, sizeof(*r->lane));
    if (!r || !r->lane) {
        free(r);
        mobj_put(held);
        return TEE_ERROR_OUT_OF_MEMORY;
    }
    /* a map count of our own: the mapping stays when the call's own (pseudo_ta.c) is dropped at return */
    if (mobj_inc_map(held)) {
        free(r->lane);
        free(r);
        mobj_put(held);
        return refuse(TEE_ERROR_ACCESS_DENIED, TZ_REG_EMAP, params, "cannot map the memory object");
    }
    r->mobj = held;
    r->size = (size_t)tz_region_bytes(req.lanes, req.ring_bytes);
    r->va = mobj_get_va(held, (size_t)req.base, r->size);
    r->lanes = req.lanes;
    r->ring = req.ring_bytes;
    r->owner = s;
    r->refs = 1; /* the publication's */
    rc = r->va ? open_lanes(r) : TZ_REG_EMAP;
    if (rc) {
        mobj_dec_map(held);
        mobj_put(held);
        free(r->lane);
        free(r);
        return refuse(rc == TZ_REG_EGEOMETRY ? TEE_ERROR_BAD_PARAMETERS : TEE_ERROR_BAD_FORMAT, rc, params,
                      rc <= TZ_REG_EOVERFLOW ? tz_region_strerror(rc) : tzchan_strerror(rc));
    }

    e = cpu_spin_lock_xsave(&reg_lock);
    if (cur) { /* another session registered meanwhile */
        cpu_spin_unlock_xrestore(&reg_lock, e);
        for (i = 0; i < r->lanes; i++)
            tzchan_close(&r->lane[i].ch);
        mobj_dec_map(held);
        mobj_put(held);
        free(r->lane);
        free(r);
        return refuse(TEE_ERROR_BUSY, TZ_REG_EBUSY, params, "another session registered meanwhile");
    }
    r->gen = gen_next++;
    if (gen_next == 0)
        gen_next = 1; /* 0 is never a generation */
    cur = r;
    objects_held++;
    last_error = 0;
    cpu_spin_unlock_xrestore(&reg_lock, e);
    params[2].value.a = r->gen;
    IMSG("tzchan: registration %u: %u lanes of %u-byte rings, %zu bytes at offset %" PRIu64 " of a %zu-byte object",
         r->gen, r->lanes, r->ring, r->size, req.base, mobj->size);
    return TEE_SUCCESS;
}

/* ---- PUMP: the lane's service ---------------------------------------------------------------------------- */
static bool lane_trylock(struct pta_lane *l)
{
    uint32_t free_ = 0;

    /* acquire: pairs with the release in lane_unlock, so this holder sees the last holder's endpoint state */
    return __atomic_compare_exchange_n(&l->busy, &free_, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static void lane_unlock(struct pta_lane *l)
{
    /* release: publishes this holder's changes to the endpoint and service state to the next (lane_trylock) */
    __atomic_store_n(&l->busy, 0, __ATOMIC_RELEASE);
}

/* A message ended: its answer. */
static void message_done(struct pta_lane *l, uint32_t lane_no)
{
    struct lk_gen_req req;

    l->seq++;
    l->replying = true;
    l->gen = false;
    if (lane_no >= 1 && l->rx_len == sizeof(req)) {
        memcpy(&req, l->head, sizeof(req));
        if (req.magic == LK_GEN_MAGIC) {
            l->gen = true;
            l->gen_open = false;
            l->gen_len = req.len;
            l->gen_seed = req.seed;
            l->gen_sent = 0;
            return;
        }
    }
    l->echo.magic = LK_ECHO_MAGIC;
    l->echo.crc = l->rx_crc;
    l->echo.len = l->rx_len;
    l->echo.seq = l->seq;
}

/* One step: > 0 bytes moved (or a message completed: 1), 0 must wait (*want says for what), < 0 the error. */
static int64_t step(struct pta_lane *l, uint32_t lane_no, unsigned int *want, uint64_t *in, uint64_t *out)
{
    int64_t r;
    bool end;

    *want = 0;
    if (!l->replying) {
        r = tzchan_recv_some(&l->ch, l->buf, sizeof(l->buf), &end);
        if (r == TZCHAN_EAGAIN) {
            *want = TZCHAN_WAIT_DATA;
            return 0;
        }
        if (r < 0)
            return r;
        if (l->rx_len < sizeof(l->head)) {
            uint64_t n = sizeof(l->head) - l->rx_len;

            memcpy(l->head + l->rx_len, l->buf, (size_t)(n < (uint64_t)r ? n : (uint64_t)r));
        }
        l->rx_crc = tz_crc32(l->rx_crc, l->buf, (uint64_t)r);
        l->rx_len += (uint64_t)r;
        *in += (uint64_t)r;
        if (end) {
            message_done(l, lane_no);
            l->rx_len = 0;
            l->rx_crc = 0;
        }
        return r ? r : 1;
    }
    if (!l->gen) {
        r = tzchan_send(&l->ch, &l->echo, sizeof(l->echo));
        if (r == TZCHAN_EAGAIN) {
            *want = TZCHAN_WAIT_ROOM;
            return 0;
        }
        if (r < 0)
            return r;
        *out += sizeof(l->echo);
        l->replying = false;
        return sizeof(l->echo);
    }
    if (!l->gen_open) {
        r = tzchan_send_begin(&l->ch, l->gen_len);
        if (r < 0)
            return r;
        l->gen_open = true;
    }
    if (l->gen_sent < l->gen_len) {
        uint64_t n = l->gen_len - l->gen_sent, i;

        if (n > sizeof(l->buf))
            n = sizeof(l->buf);
        for (i = 0; i < n; i++)
            l->buf[i] = lk_gen_byte(l->gen_seed, l->gen_sent + i);
        r = tzchan_send_some(&l->ch, l->buf, (size_t)n);
        if (r < 0)
            return r;
        if (r == 0) {
            *want = TZCHAN_WAIT_ROOM;
            return 0;
        }
        l->gen_sent += (uint64_t)r;
        *out += (uint64_t)r;
        return r;
    }
    r = tzchan_send_end(&l->ch);
    if (r == TZCHAN_EAGAIN) {
        *want = TZCHAN_WAIT_ROOM;
        return 0;
    }
    if (r < 0)
        return r;
    l->replying = false;
    return 1;
}

static TEE_Result cmd_pump(uint32_t param_types, TEE_Param params[TEE_NUM_PARAMS])
{
    const uint32_t want_types = TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_INPUT, TEE_PARAM_TYPE_VALUE_OUTPUT,
                                                TEE_PARAM_TYPE_VALUE_OUTPUT, TEE_PARAM_TYPE_NONE);
    uint32_t gen, lane_no, e, moved = 0, flags = 0;
    uint64_t in = 0, out = 0;
    unsigned int want = 0;
    struct pta_lane *l;
    struct pta_reg *r;
    int64_t rc = 0;

    if (param_types != want_types)
        return TEE_ERROR_BAD_PARAMETERS;
    gen = params[0].value.a;
    lane_no = params[0].value.b;
    params[1].value.a = params[1].value.b = 0;
    params[2].value.a = params[2].value.b = 0;
    e = cpu_spin_lock_xsave(&reg_lock);
    r = cur && cur->gen == gen && gen ? cur : NULL;
    if (r)
        r->refs++; /* the registration outlives this call even if it is retired meanwhile */
    cpu_spin_unlock_xrestore(&reg_lock, e);
    if (!r)
        return TEE_ERROR_ITEM_NOT_FOUND;
    if (lane_no >= r->lanes) {
        reg_put(r);
        return TEE_ERROR_BAD_PARAMETERS;
    }
    l = &r->lane[lane_no];
    if (!lane_trylock(l)) {
        reg_put(r);
        return TEE_ERROR_BUSY;
    }
    l->rang = false;
    tzchan_wait_done(&l->ch); /* awake: side A need not ring until we announce a wait again below */
    for (;;) {
        rc = step(l, lane_no, &want, &in, &out);
        if (rc < 0)
            break;
        if (rc > 0) {
            moved += (uint32_t)rc;
            if (moved >= PUMP_BUDGET) {
                flags |= TZCHAN_PTA_PUMP_MORE;
                break;
            }
            continue;
        }
        /* must wait: announce it; if what we wait for came meanwhile, go on */
        rc = tzchan_wait_prepare(&l->ch, (enum tzchan_wait)want);
        if (rc == 0)
            break;
        if (rc < 0)
            break;
        tzchan_wait_done(&l->ch);
    }
    if (l->rang)
        flags |= TZCHAN_PTA_PUMP_RANG;
    lane_unlock(l);
    params[1].value.a = (uint32_t)in;
    params[1].value.b = (uint32_t)out;
    params[2].value.a = flags;
    if (rc < 0) {
        /* the normal world broke the protocol on this lane (or closed it): the region is not touched again */
        e = cpu_spin_lock_xsave(&reg_lock);
        last_error = (int32_t)rc;
        cpu_spin_unlock_xrestore(&reg_lock, e);
        IMSG("tzchan: lane %u: %s; registration %u dropped, the PTA keeps serving", lane_no,
             tzchan_strerror((int)rc), gen);
        reg_retire(NULL, gen, false);
        reg_put(r);
        params[2].value.b = (uint32_t)(int32_t)rc;
        return TEE_ERROR_BAD_FORMAT;
    }
    reg_put(r);
    return TEE_SUCCESS;
}

/* ---- STATUS, UNREGISTER, sessions ------------------------------------------------------------------------ */
static TEE_Result cmd_status(uint32_t param_types, TEE_Param params[TEE_NUM_PARAMS])
{
    const uint32_t want = TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_OUTPUT, TEE_PARAM_TYPE_VALUE_OUTPUT,
                                          TEE_PARAM_TYPE_VALUE_OUTPUT, TEE_PARAM_TYPE_VALUE_OUTPUT);
    uint32_t e;

    if (param_types != want)
        return TEE_ERROR_BAD_PARAMETERS;
    e = cpu_spin_lock_xsave(&reg_lock);
    params[0].value.a = TZCHAN_PTA_API_VERSION;
    params[0].value.b = TZCHAN_WIRE_VERSION;
    params[1].value.a = sessions_open;
    params[1].value.b = sessions_total;
    params[2].value.a = cur ? cur->gen : 0;
    params[2].value.b = objects_held;
    params[3].value.a = refused;
    params[3].value.b = (uint32_t)last_error;
    cpu_spin_unlock_xrestore(&reg_lock, e);
    return TEE_SUCCESS;
}

/* OP-TEE's own counts of its shared-memory objects: functions build-optee.sh appends to core/mm/mobj_dyn_shm.c
 * (SMC ABI; OP-TEE builds that file only without FF-A) and core/arch/arm/mm/mobj_ffa.c (FF-A), each walking its
 * file's private list under that list's lock. */
#ifdef CFG_CORE_FFA
size_t tzchan_count_ffa_shm(size_t *bytes);
#define count_shm tzchan_count_ffa_shm
#else
size_t tzchan_count_reg_shm(size_t *bytes);
#define count_shm tzchan_count_reg_shm
#endif

static TEE_Result cmd_core_counts(uint32_t param_types, TEE_Param params[TEE_NUM_PARAMS])
{
    const uint32_t want = TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_OUTPUT, TEE_PARAM_TYPE_VALUE_OUTPUT,
                                          TEE_PARAM_TYPE_VALUE_OUTPUT, TEE_PARAM_TYPE_VALUE_OUTPUT);
#ifdef CFG_WITH_STATS
    struct pta_stats_alloc heap;
    size_t i, busy = 0, objs, bytes;
    uint32_t e;

    if (param_types != want)
        return TEE_ERROR_BAD_PARAMETERS;
    /* OP-TEE's thread table, under the lock its thread allocation takes (a plain spinlock: foreign interrupts
     * masked around it, as OP-TEE's own users of it run) */
    e = thread_mask_exceptions(THREAD_EXCP_FOREIGN_INTR);
    thread_lock_global();
    for (i = 0; i < thread_count; i++)
        if (threads[i].state != THREAD_STATE_FREE)
            busy++;
    thread_unlock_global();
    thread_unmask_exceptions(e);
    params[0].value.a = (uint32_t)busy;
    params[0].value.b = (uint32_t)thread_count;
    objs = count_shm(&bytes);
    params[1].value.a = (uint32_t)objs;
    params[1].value.b = (uint32_t)bytes;
    memset(&heap, 0, sizeof(heap));
    malloc_get_stats(&heap);
    params[2].value.a = heap.allocated;
    params[2].value.b = heap.size;
    e = cpu_spin_lock_xsave(&reg_lock);
    params[3].value.a = objects_held;
    params[3].value.b = sessions_open;
    cpu_spin_unlock_xrestore(&reg_lock, e);
    return TEE_SUCCESS;
#else
    (void)want;
    (void)param_types;
    (void)params;
    return TEE_ERROR_NOT_SUPPORTED;
#endif
}

static TEE_Result cmd_unregister(struct pta_sess *s, uint32_t param_types)
{
    if (param_types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE,
                                       TEE_PARAM_TYPE_NONE))
        return TEE_ERROR_BAD_PARAMETERS;
    return reg_retire(s, 0, true) ? TEE_SUCCESS : TEE_ERROR_BAD_STATE;
}

static TEE_Result open_session(uint32_t param_types __unused, TEE_Param params[TEE_NUM_PARAMS] __unused,
                               void **session)
{
    struct pta_sess *s = calloc(1, sizeof(*s));
    uint32_t e;

    if (!s)
        return TEE_ERROR_OUT_OF_MEMORY;
    e = cpu_spin_lock_xsave(&reg_lock);
    sessions_open++;
    s->id = ++sessions_total;
    cpu_spin_unlock_xrestore(&reg_lock, e);
    *session = s;
    return TEE_SUCCESS;
}

static void close_session(void *session)
{
    struct pta_sess *s = session;
    uint32_t e;

    /* The lifetime rule: a session that dies holding the registration (its client exited, crashed, or closed it
     * first, as it must before unregistering the memory) gives it up here, so that OP-TEE's unregistering of the
     * memory never waits on us. */
    if (reg_retire(s, 0, true))
        IMSG("tzchan: session %u closed holding the registration: released", s->id);
    e = cpu_spin_lock_xsave(&reg_lock);
    sessions_open--; /* OP-TEE calls this only for a session whose open succeeded */
    cpu_spin_unlock_xrestore(&reg_lock, e);
    free(s);
}

static TEE_Result invoke_command(void *session, uint32_t cmd, uint32_t param_types,
                                 TEE_Param params[TEE_NUM_PARAMS])
{
    switch (cmd) {
    case TZCHAN_PTA_CMD_STATUS: return cmd_status(param_types, params);
    case TZCHAN_PTA_CMD_REGISTER: return cmd_register(session, param_types, params);
    case TZCHAN_PTA_CMD_PUMP: return cmd_pump(param_types, params);
    case TZCHAN_PTA_CMD_UNREGISTER: return cmd_unregister(session, param_types);
    case TZCHAN_PTA_CMD_CORE_COUNTS: return cmd_core_counts(param_types, params);
    default: return TEE_ERROR_NOT_SUPPORTED;
    }
}

static TEE_Result tzchan_pta_announce(void)
{
    IMSG("tzchan: pseudo TA %s ready (interface %u, wire format %u)", TZCHAN_PTA_UUID_STR, TZCHAN_PTA_API_VERSION,
         TZCHAN_WIRE_VERSION);
    return TEE_SUCCESS;
}
service_init_late(tzchan_pta_announce);

pseudo_ta_register(.uuid = TZCHAN_PTA_UUID, .name = TZCHAN_PTA_NAME,
                   .flags = PTA_DEFAULT_FLAGS | TA_FLAG_CONCURRENT | TA_FLAG_DEVICE_ENUM,
                   .open_session_entry_point = open_session, .close_session_entry_point = close_session,
                   .invoke_command_entry_point = invoke_command);
