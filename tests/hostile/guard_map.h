/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Guarded regions for the hostile-peer tests (the scribbler and the fuzz targets): one tzchan region in a memfd,
 * mapped twice.
 *
 * - The adversary's view maps the whole file read-write: it writes anywhere in the region, as a peer can.
 * - The victim's view maps the same file pages (MAP_SHARED, so both views see the same bytes) at a virtually
 *   contiguous address, as the core requires (it computes every pointer from the region's base), but only up to
 *   a chosen offset `guard` from the region's start; from there to beyond the region's end the view is PROT_NONE.
 *   The region is placed in the file at the in-page offset `slack` that makes base + guard fall exactly on a page
 *   boundary, so the first byte the victim must never touch is the first byte of a PROT_NONE page. A PROT_NONE page
 *   also lies below the view's first page.
 *
 * A test chooses `guard` as the end of the ring its victim endpoint reads (tzchan_open's region base, plus 128 +
 * lane * stride + 768, plus ring_bytes for side B's A->B ring, or 2 * ring_bytes for side A's B->A ring): then
 * reading one byte past that ring is a SIGSEGV (reported as such, or by ASan as a SEGV), whatever lies behind it in
 * the region. The price is that everything in the region after that ring is out of the victim's reach, so on side B
 * (whose own B->A ring follows its receive ring) such a lane is receive-only for the victim; a lane whose guard is
 * the end of the victim's *send* ring is send-only, and catches writes past the send ring the same way.
 *
 * The slack bytes before the region's start (in the same page, file offsets 0 .. slack-1) are the caller's to use
 * (the scribbler keeps a canary there). Header-only; every function is static.
 */
#ifndef TZCHAN_TEST_GUARD_MAP_H
#define TZCHAN_TEST_GUARD_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tzchan/wire.h"

struct guard_region {
    unsigned char *adv; /* the region's start in the adversary's (full, read-write) view */
    unsigned char *vic; /* the region's start in the victim's view: accessible below vic + guard only */
    size_t size;        /* region bytes */
    size_t guard;       /* offset of the victim's first inaccessible byte (page aligned in its view) */
    size_t slack;       /* bytes of the file before the region's start, in its first page */
    /* private */
    unsigned char *adv_map, *vic_map;
    size_t adv_len, vic_len, page;
    int fd;
};

/* Offset of the end of the ring that side `side` of `lane` reads (rx) or writes (tx), from the region's start. */
static inline size_t guard_ring_end(uint32_t ring, uint32_t lane, int side_b, bool rx)
{
    size_t stride = TZCHAN_WIRE_LANE_CTRL + 2u * (size_t)ring;
    size_t lane_at = TZCHAN_WIRE_HEADER_BYTES + (size_t)lane * stride;
    bool ab = side_b ? rx : !rx; /* side A sends A->B, side B receives it */
    return lane_at + TZCHAN_WIRE_LANE_CTRL + (ab ? ring : 2u * (size_t)ring);
}

static inline int guard_memfd(void)
{
#ifdef MFD_CLOEXEC
    int fd = memfd_create("tzchan-guarded", MFD_CLOEXEC);
    if (fd >= 0)
        return fd;
#endif
    /* no memfd (old libc or kernel, some emulators): an unlinked temporary file serves the same purpose */
    char path[] = "/tmp/tzchan-guarded-XXXXXX";
    int tfd = mkstemp(path);
    if (tfd >= 0)
        unlink(path);
    return tfd;
}

/* Maps a region of `size` bytes whose victim view ends at `guard` (0 < guard <= size, a multiple of 64).
 * Returns 0, or -1 (with a message on stderr) if the system refuses. */
static inline int guard_region_map(struct guard_region *g, size_t size, size_t guard)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (guard == 0 || guard > size || guard % TZCHAN_WIRE_ALIGN != 0 || page % TZCHAN_WIRE_ALIGN != 0)
        return -1;
    g->page = page;
    g->size = size;
    g->guard = guard;
    g->slack = (page - guard % page) % page; /* slack + guard is a multiple of the page size */
    size_t file_len = (g->slack + size + page - 1) / page * page;
    g->fd = guard_memfd();
    if (g->fd < 0 || ftruncate(g->fd, (off_t)file_len) != 0) {
        perror("guarded region: memfd");
        return -1;
    }
    g->adv_len = file_len;
    g->adv_map = mmap(NULL, file_len, PROT_READ | PROT_WRITE, MAP_SHARED, g->fd, 0);
    if (g->adv_map == MAP_FAILED) {
        perror("guarded region: mmap");
        return -1;
    }
    /* the victim's view: a PROT_NONE reservation (a page below, the file's pages, a page above), then the file's
     * pages up to the guard mapped over its start */
    g->vic_len = file_len + 2 * page;
    g->vic_map = mmap(NULL, g->vic_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (g->vic_map == MAP_FAILED) {
        perror("guarded region: mmap reserve");
        return -1;
    }
    void *v = mmap(g->vic_map + page, g->slack + guard, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, g->fd, 0);
    if (v == MAP_FAILED) {
        perror("guarded region: mmap view");
        return -1;
    }
    g->adv = g->adv_map + g->slack;
    g->vic = g->vic_map + page + g->slack;
    return 0;
}

static inline void guard_region_unmap(struct guard_region *g)
{
    if (g->vic_map != NULL && g->vic_map != MAP_FAILED)
        munmap(g->vic_map, g->vic_len);
    if (g->adv_map != NULL && g->adv_map != MAP_FAILED)
        munmap(g->adv_map, g->adv_len);
    if (g->fd >= 0)
        close(g->fd);
    g->vic_map = g->adv_map = NULL;
    g->fd = -1;
}

/* True if addr lies in the victim view's PROT_NONE part above the guard (for reporting a SIGSEGV). */
static inline bool guard_region_hit(const struct guard_region *g, const void *addr)
{
    const unsigned char *a = addr;
    return g->vic_map != NULL && a >= g->vic + g->guard && a < g->vic_map + g->vic_len;
}

#endif
