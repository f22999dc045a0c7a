/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The tzchan secure payload, independent of the CPU architecture: the SMC calls it serves (after the monitor has
 * sanitised them), region registration (validate, map as non-secure memory, open side B), the test traffic, the
 * interrupt accounting and the verdict on the secure-only UART.
 *
 * Called on one CPU only (the secure payload's), with this world's interrupts masked except where noted.
 */
#ifndef TZ_SECURE_H
#define TZ_SECURE_H

#include <stdbool.h>
#include <stdint.h>

/* ---- provided by the architecture for the secure payload ------------------------------------------------- */
/* Maps [pa, pa+size) as non-secure, normal, cacheable, never-execute memory; returns its VA or NULL. */
void *tz_sp_map_ns(uint64_t pa, uint64_t size);
/* Removes that mapping, with the TLB maintenance that makes it final. */
void tz_sp_unmap_ns(void *va, uint64_t size);
/* Tells whoever answers calls besides the payload (the AArch64 monitor's own doorbell, TZ_SMC_LK_DOORBELL) the
 * current registration generation, 0 for none. May do nothing where nobody else needs it. */
void tz_sp_publish_gen(uint32_t gen);
/* Rings the normal world's doorbell (an SGI). */
void tz_sp_ring_normal(void *ctx);
/* Architecture name for the verdict line, and the secure image's own extents (for the registration checks). */
extern const char tz_sp_arch_name[];
extern uint64_t tz_sp_image_ranges[4]; /* image in flash: base, size; in secure RAM: base, size (set before init) */

/* ---- provided by tz_sp_memmap.c ----------------------------------------------------------------------------- */
struct tz_memmap;
/* Fills *m with the board's registration map (non-secure RAM allowed; secure flash, secure RAM and this image
 * forbidden; 4 KiB alignment; at most the mapping window) and the accepted lane and ring-size ranges. Call after
 * tz_sp_image_ranges is set. */
void tz_sp_board_memmap(struct tz_memmap *m, uint32_t min_lanes, uint32_t max_lanes, uint32_t min_ring,
                        uint32_t max_ring);

/* ---- provided by tz_secure.c ----------------------------------------------------------------------------- */
void tz_sp_init(void);
/* Whether a per-registration line should go to the secure UART now (false once a flood of calls has been logged). */
bool tz_sp_chatty(void);
/* Serves one call from the normal world. fid and a[0..5] are the caller's w0..w6/r0..r6, already cut to 32 bits;
 * r[0..3] receive w0..w3. */
void tz_sp_call(uint32_t fid, const uint32_t a[6], uint32_t r[4]);
/* Moves traffic (with this world's interrupts unmasked) until it would have to wait, then masks them and
 * announces the waits. Returns 0 when the secure side may sleep (the normal world will ring; interrupts stay
 * masked so that wfi returns for one that arrived meanwhile), 1 when it should run again at once. Prints the
 * verdict and exits when done. */
int tz_sp_run(void);
/* Undoes the announcements of the last tz_sp_run that returned 0 (call after waking). */
void tz_sp_woke(void);
/* Interrupt accounting, from the secure interrupt handler. in_secure: the interrupt stopped secure code. */
void tz_sp_tick(bool in_secure);
void tz_sp_doorbell_irq(void);

/* ---- provided by sp_linux.c only (the Linux variant) --------------------------------------------------------- */
/* How many lanes have a message half-way across right now: part of a message received and its end not yet, or a
 * generated message begun and not yet ended. 0 when nothing is registered. Used by Genode's TrustZone VMM to
 * count the secure timer's ticks that land in the normal world mid-transfer. */
unsigned tz_sp_half_way(void);

#endif /* TZ_SECURE_H */
