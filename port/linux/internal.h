/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Private to the Linux port: the connection and lane structures shared by handoff.c (making, validating and
 * handing over regions) and wait.c (doorbells, blocking calls, liveness). Nothing here is API.
 */
#ifndef TZCHAN_PORT_LINUX_INTERNAL_H
#define TZCHAN_PORT_LINUX_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "tzchan/linux.h"
#include "tzchan/tzchan.h"

/* One side's view of one lane. All fields below `mu` are guarded by it. */
struct tzchan__lane {
    pthread_mutex_t mu;
    struct tzchan ch; /* the core endpoint (one user at a time: mu) */
    struct tzchan_linux *conn;
    uint32_t idx;
    uint32_t *my_bell;            /* SHARED: our bell counter in the region, the word the peer's futex sleeps on */
    const uint32_t *peer_state;   /* SHARED, peer-written: the peer's doorbell-slot state word (its SLEEP_FENCE bit
                                     says its process registered for membarrier: docs/LINUX.md s.4.1) */
    int bell_fd;                  /* pollable mode: our end of the lane's doorbell (a connected AF_UNIX stream
                                     socket whose other end the peer holds): its rings arrive here, ours leave
                                     from here. Only ever used with MSG_DONTWAIT (the peer may share this file
                                     description and set its flags). Else -1 */
    int wake_fd;                  /* pollable mode: a private eventfd (never leaves this process) by which our
                                     own threads wake the lane's poller. Else -1 */
    unsigned n_sleepers;          /* threads of ours asleep on this lane */
    bool bell_sleeper;            /* pollable mode: one of them polls bell_fd (the others use the futex) */
    unsigned n_data, n_room;      /* ... of which waiting for data / for room */
    bool tx_owned, rx_owned;      /* a streamed message is open in that direction ... */
    pthread_t tx_owner, rx_owner; /* ... and belongs to this thread */
    uint64_t sleeps, sleep_ns, live_checks;
};

struct tzchan_linux {
    int sock;           /* the liveness line (and the hand-off socket) */
    unsigned char *mem; /* the shared mapping */
    size_t size;
    uint32_t lanes, ring;
    bool creator, eventfd;
    bool sleep_fence; /* our lanes sleep behind the asymmetric fence (tzchan__linux_sleep_fence) */
    atomic_bool dead; /* the socket reported the peer gone (sticky) */
    uint64_t spin_ns; /* how long a blocking call retries before it sleeps (0 on one CPU) */
    struct tzchan__lane *lane;
    int memfd; /* a handle on the region, kept open so inspection tools (tzchan-stat) find it in /proc/PID/fd:
                  the creator keeps its read-write memfd, the acceptor a read-only reopening of the one it got
                  (so the open mode tells the sides apart); -1 if none */
};

/* Spin before sleeping: long enough to cover a peer that is running and about to publish, short next to a
 * sleep and wake-up (several microseconds each, far more on a loaded machine). */
#define TZCHAN__LINUX_SPIN_NS 20000u

/* handoff.c: records a failed system call's errno for tzchan_linux_last_errno() (this thread's). */
void tzchan__linux_set_errno(int e);

/* wait.c: the notify hook registered on each endpoint (ctx = the lane). */
void tzchan__linux_notify(void *ctx);
/* wait.c: the asymmetric sleep fence (ctx = the lane), registered with tzchan_set_sleep_fence() on lanes whose
 * side offers it; and the registration of this process that makes the peer's fence reach us. fence_register()
 * returns TZCHAN__FENCE_* bits: EXPEDITED = registered for MEMBARRIER_CMD_GLOBAL_EXPEDITED, GLOBAL =
 * MEMBARRIER_CMD_GLOBAL (reaches every process, registered or not) is available. */
#define TZCHAN__FENCE_EXPEDITED 1u
#define TZCHAN__FENCE_GLOBAL 2u
unsigned tzchan__linux_fence_register(void);
void tzchan__linux_sleep_fence(void *ctx);
/* wait.c: true if the socket says the peer is gone (polls it now unless already known). */
bool tzchan__linux_sock_gone(struct tzchan_linux *l);

#endif /* TZCHAN_PORT_LINUX_INTERNAL_H */
